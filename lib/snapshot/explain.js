'use strict'
// check({ explain: true }): who holds the `retained` findings. A `retained` finding carries
// WeakRefs to up to 8 of its still-alive objects (Symbol.for('leakguard.targets')). Explaining
// them, without ever holding them strongly across a GC:
//
//   1. wait one macrotask, so the WeakRef.deref() calls of the check (which keep their targets
//      alive until the job ends) no longer count as a retainer;
//   2. write a heap snapshot (v8.writeHeapSnapshot) into a 0600 temporary file;
//   3. only then find each object's snapshot node id: deref it, expose it for one synchronous
//      moment on a temporary global of the main context, `Runtime.evaluate` → objectId,
//      `HeapProfiler.getHeapObjectId` → id (an in-process inspector session); delete the global
//      and release the object group. Ids exist only for objects a snapshot has seen, and the
//      snapshot made V8's heap profiler track object moves, so ids taken after it are the ids in
//      it; and the temporary references never existed while it was taken, so they can never
//      appear in a retainer path;
//   4. binding.retainerPaths(file, ids) (Rust, off the main thread) → path from a GC root;
//   5. delete the file; attach `retainers` (the raw path), `retainersText` (the path from the
//      holder on, module system and V8 plumbing collapsed), `heldBy` and `heldAt` (where the
//      holder was written, `fn() at file:line`) to the finding and add them to its message.
// A failure (no inspector in this build, disk full, ...) never fails the check: the finding
// keeps its data and gets `explainError` with the reason.

const { builtin, mainGlobal: mainContextGlobal } = require('../builtin')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { randomBytes } = require('node:crypto')
const binding = require('../native')
const { writeAtomically, fillWithV8 } = require('./write')
const { kTargets } = require('../detectors/retained')
const { tick } = require('../session/gc')
const { setTimeout, clearTimeout } = builtin('node:timers') // not a test's fake timers

const OBJECT_GROUP = 'leakguard-explain'

let mainGlobal = null

function post(session, method, params) {
  let result
  let error = null
  session.post(method, params, (err, res) => {
    error = err
    result = res
  })
  if (error) throw error
  return result
}

/**
 * The heap snapshot node id of `object`, or 0 when it has none. `object` is reachable from the
 * main context's global under `key` only during this synchronous call.
 */
function heapObjectId(session, object) {
  // Runtime.evaluate runs in the main context; under jest this module runs in a vm context whose
  // globalThis is another object
  if (mainGlobal === null) mainGlobal = mainContextGlobal()
  const key = `__leakguardExplain_${randomBytes(6).toString('hex')}`
  Object.defineProperty(mainGlobal, key, { value: object, configurable: true, enumerable: false, writable: false })
  try {
    const { result } = post(session, 'Runtime.evaluate', { expression: `globalThis[${JSON.stringify(key)}]`, objectGroup: OBJECT_GROUP, silent: true })
    if (!result || typeof result.objectId !== 'string') return 0
    const { heapSnapshotObjectId } = post(session, 'HeapProfiler.getHeapObjectId', { objectId: result.objectId })
    return Number(heapSnapshotObjectId) || 0
  } finally {
    delete mainGlobal[key]
    post(session, 'Runtime.releaseObjectGroup', { objectGroup: OBJECT_GROUP })
  }
}

/**
 * The holder to name: the nearest variable (a closure/module `context` edge) on the path from the
 * object back to the root, else the nearest named property. Steps are root first.
 */
function holderOf(steps) {
  for (const type of ['context', 'property']) {
    for (let i = steps.length - 1; i >= 1; i--) {
      const s = steps[i]
      if (s.edgeType === type && typeof s.edge === 'string' && s.edge.length > 0) return s.edge
    }
  }
  return null
}

/**
 * Where the holder was written: `createDebug() at /app/node_modules/debug/src/common.js:64` (a
 * function's property), `captured by onClose() at /app/server.js:30` (a function's variable),
 * `module /app/registry.js` (a module's top-level variable).
 */
function holderWhere(h) {
  if (!h || !h.site) return null
  if (!h.function) return `module ${h.site}`
  return h.kind === 'variable' ? `captured by ${h.function} at ${h.site}` : `${h.function} at ${h.site}`
}

function attach(leak, found) {
  // the holder of most of the targets found, shown with the shortest of their paths (one
  // object may be held by a stray temporary, the rest by the real culprit). The core names the
  // holder (module system and V8 plumbing skipped); holderOf is the fallback.
  const byHolder = new Map()
  for (const p of found) {
    const holder = p.holder ? p.holder.name : holderOf(p.retainers)
    const group = byHolder.get(holder)
    if (group === undefined) byHolder.set(holder, [p])
    else group.push(p)
  }
  const [holder, paths] = [...byHolder].reduce((a, b) => (b[1].length > a[1].length ? b : a))
  const best = paths.reduce((a, b) => (b.retainers.length < a.retainers.length ? b : a))
  leak.retainers = best.retainers
  leak.retainersText = best.path
  leak.heldBy = holder
  const where = holderWhere(best.holder)
  if (where !== null) leak.heldAt = where
  leak.explained = found.length
  const intro = holder === null ? 'Retainer path' : `Held by '${holder}'${where === null ? '' : ` (${where})`}`
  leak.message = `${leak.message}. ${intro}: ${best.path}`
}

/**
 * The largest heap explain() snapshots (used heap; LEAKGUARD_EXPLAIN_MAX_HEAP overrides): a
 * snapshot blocks the event loop about a second per 100 MiB here and needs several times the heap
 * in memory, so beyond this a check explains nothing and says why (explainError).
 */
const MAX_EXPLAIN_HEAP = Number(process.env.LEAKGUARD_EXPLAIN_MAX_HEAP) > 0 ? Number(process.env.LEAKGUARD_EXPLAIN_MAX_HEAP) : 2 * 1024 ** 3

function snapshotFile() {
  return path.join(os.tmpdir(), `leakguard-explain-${process.pid}-${randomBytes(6).toString('hex')}.heapsnapshot`)
}

/** How long an explain may take, snapshot and analysis (check's `explainTimeoutMs`). */
const EXPLAIN_TIMEOUT_MS = 30000

/**
 * Removes `file` if the process ends while it exists: at a normal exit ('exit'), and at a SIGTERM
 * or SIGINT nobody listens for (which would kill the process: the native guard removes the file,
 * then the signal does what it did before). Returns the function that ends the guard.
 */
function removedOnExit(file) {
  const remove = () => fs.rmSync(file, { force: true })
  process.once('exit', remove)
  let guarded = false
  try {
    const fatal = ['SIGTERM', 'SIGINT'].filter((sig) => process.listenerCount(sig) === 0)
    // one guard at a time in the process: a snapshot written meanwhile takes it over (this file
    // is still removed when explain ends)
    if (fatal.length > 0 && typeof binding.guardTempFile === 'function') guarded = binding.guardTempFile(file, '', fatal)
  } catch {}
  return () => {
    process.removeListener('exit', remove)
    if (guarded) {
      try {
        binding.releaseTempFile()
      } catch {}
    }
  }
}

/**
 * Adds retainer paths to the `retained` findings among `leaks` (in place). `timeoutMs`: after it,
 * the analysis is stopped (the snapshot itself is V8's and cannot be) and each finding gets
 * `explainError`; the snapshot file is removed on every path.
 */
async function explainRetained(leaks, { timeoutMs = EXPLAIN_TIMEOUT_MS } = {}) {
  const todo = leaks.filter((l) => l.kind === 'retained' && Array.isArray(l[kTargets]) && l[kTargets].length > 0)
  if (todo.length === 0) return
  const fail = (err) => {
    for (const leak of todo) leak.explainError = err && err.message ? err.message : String(err)
  }
  let inspector
  try {
    inspector = builtin('node:inspector')
  } catch (err) {
    return fail(new Error(`the inspector is not available in this Node.js build: ${err.message}`))
  }
  const used = builtin('node:v8').getHeapStatistics().used_heap_size
  if (used > MAX_EXPLAIN_HEAP) {
    const mib = (n) => `${Math.round(n / 1024 ** 2)} MiB`
    return fail(new Error(`the heap (${mib(used)} used) is larger than explain snapshots (${mib(MAX_EXPLAIN_HEAP)}, LEAKGUARD_EXPLAIN_MAX_HEAP): take one with writeSnapshot() and run \`npx leakguard diff\``))
  }
  const started = Date.now()
  const job = binding.analysisJob()
  const timer = setTimeout(() => binding.abortAnalysis(job), timeoutMs)
  timer.unref()
  await tick()
  const file = snapshotFile()
  const session = new inspector.Session()
  session.connect()
  let written = false
  let unguard = null
  try {
    writeAtomically(file, fillWithV8)
    written = true
    unguard = removedOnExit(file)
    const ids = todo.map((leak) =>
      leak[kTargets]
        .map((ref) => {
          const object = ref.deref()
          return object === undefined ? 0 : heapObjectId(session, object)
        })
        .filter((id) => id > 0),
    )
    session.disconnect()
    const unique = [...new Set(ids.flat())]
    // the time limit may be over already (a large snapshot): then the analysis does not start
    if (Date.now() - started >= timeoutMs) binding.abortAnalysis(job)
    const paths = unique.length === 0 ? [] : await binding.retainerPaths(file, unique, null, job)
    const byId = new Map(paths.map((p) => [p.id, p]))
    todo.forEach((leak, i) => {
      const found = ids[i].map((id) => byId.get(id)).filter((p) => p && p.found && Array.isArray(p.retainers))
      if (found.length > 0) attach(leak, found)
      else leak.explainError = 'none of its objects is reachable from a GC root in the heap snapshot (they died meanwhile)'
    })
  } catch (err) {
    if (err && err.code === 'ABORT_ERR') {
      fail(new Error(`explain stopped at its time limit (${timeoutMs} ms, explainTimeoutMs) after ${Date.now() - started} ms: take a snapshot with writeSnapshot() and run \`npx leakguard diff\` off the process`))
    } else fail(err)
  } finally {
    clearTimeout(timer)
    try {
      session.disconnect()
    } catch {}
    if (written) fs.rmSync(file, { force: true })
    if (unguard !== null) unguard()
  }
}

module.exports = { explainRetained, holderOf, holderWhere }
