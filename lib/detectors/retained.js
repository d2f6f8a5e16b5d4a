'use strict'
// watch() and the `retained` detector: objects expected to become garbage are held by a
// WeakRef; after a forced GC and a grace period, those still alive are findings, grouped by
// description. Closed sockets are watched automatically from their 'close': server and client
// sockets through diagnostics_channel (`net.server.socket` / `net.client.socket`), and the ws
// WebSocket attached to a socket (found by ws's own `Symbol(websocket)`, so ws is never required).
//
// `new WeakRef(object)` keeps its target alive until the current job ends (ECMAScript's
// KeepDuringJob set): a synchronous loop that watches 100k short-lived objects of 8 KB each ran
// out of a 512 MB heap (measured in issue 13; the same loop without leakguard peaks at ~1 MB).
// So at most MAX_NEW_REFS watched objects get a WeakRef per turn of the event loop; the others
// are known to the FinalizationRegistry alone, which pins nothing: such an entry is alive until
// its finalizer ran (check() collects twice, yielding between, so the finalizers of what died
// have run), and it is counted in findings but cannot be one of the objects a snapshot explains.

const { builtin } = require('../builtin')
const dc = require('node:diagnostics_channel')
const { EventEmitter } = require('node:events')
const timers = builtin('node:timers')
const binding = require('../native')
const { fromNative } = require('../findings/report')
const { notStarted } = require('../errors')
const v = require('../validate')
const { epochs } = require('../session/epochs')
const { majorGCs, forcedGCs } = require('../session/gc')

const kTargets = Symbol.for('leakguard.targets')
/** At most this many objects are watched at once; later ones are not watched. */
const MAX_WATCHED = 200000
const MAX_TARGETS = 8
/** Watched objects given a WeakRef (pinned until their job ends) per turn of the event loop. */
const MAX_NEW_REFS = 256
// Guard mode watches at most CLOSES_PER_SAMPLE closed sockets (and their WebSockets) per sample
// interval; a session (check()) watches every one. On Node 20-24 V8's scavenger holds the targets
// of WeakRefs and of a FinalizationRegistry strongly, so every watched socket, with what it
// references, is promoted and waits for a major GC: an http server with a connection per request
// (autocannon with `connection: close`, 5,000 connections) promoted 7.0 MB under guard against
// 3.0 MB plain, had twice the page faults and ~1.35x the CPU per request (1.05-1.1x without the
// watch). A leak of closed sockets is many of them, so it still shows in the interval's sample
// (its count grows), though the count is then that of the sockets watched, not of all those leaked.
const CLOSES_PER_SAMPLE = 128
// Captured before any instrumentation patches the prototype: our own 'close' listeners are
// not the user's, so they bypass the listeners detector. (prependOnceListener would not: it
// calls `this.prependListener`, the patched one.) 'close' is emitted once per socket.
const prepend = EventEmitter.prototype.prependListener

const state = {
  generation: 0,
  active: false,
  graceMs: 0,
  watched: new Set(), // entries { ref (a WeakRef, or null over the budget), description, time, epoch, gc, forced }
  collected: new Map(), // description -> count that became garbage
  registry: null,
  subscribed: false,
  newRefs: 0, // WeakRefs created in this turn of the event loop (see MAX_NEW_REFS)
  closes: Infinity, // closed sockets that may still be watched until the next sample (see CLOSES_PER_SAMPLE)
}

function onFinalized(entry) {
  if (!state.watched.delete(entry)) return
  state.collected.set(entry.description, (state.collected.get(entry.description) || 0) + 1)
  if (state.collected.size > 1000) state.collected.delete(state.collected.keys().next().value)
}

/** Watches `object`; `epoch`: the one it belongs to (a socket's: when it was opened, not when it closed). */
function add(object, description, epoch = epochs.epoch) {
  if (state.watched.size >= MAX_WATCHED) return
  if (state.registry === null) state.registry = new FinalizationRegistry(onFinalized)
  let ref = null
  if (state.newRefs < MAX_NEW_REFS) {
    if (state.newRefs++ === 0) {
      // the budget comes back in the next turn, once the job that pinned these has ended (a
      // real setImmediate, which fake timers do not replace; unref'd: it never holds the process)
      timers.setImmediate(() => (state.newRefs = 0)).unref()
    }
    ref = new WeakRef(object)
  }
  const entry = { ref, description, time: Date.now(), epoch, gc: majorGCs.count, forced: forcedGCs.started }
  state.watched.add(entry)
  state.registry.register(object, entry)
}

/**
 * Watches `object`, which is expected to become garbage soon: if it is still alive at a check
 * after the grace period and a GC, it is a `retained` finding under `description`.
 */
function watch(object, description) {
  if (object === null || (typeof object !== 'object' && typeof object !== 'function')) {
    throw v.typeError('object', 'of type object or function', object)
  }
  v.validateString(description, 'description')
  if (!state.active) throw notStarted('watch')
  add(object, description)
}

function findWebSocket(socket) {
  for (const s of Object.getOwnPropertySymbols(socket)) {
    if (s.description === 'websocket') {
      const ws = socket[s]
      return ws !== null && typeof ws === 'object' ? ws : null
    }
  }
  return null
}

function onSocket(message) {
  // never throws: diagnostics_channel would rethrow a subscriber's error to the app
  try {
    if (!state.active) return
    const socket = message && message.socket
    if (!socket || typeof socket.on !== 'function') return
    const generation = state.generation
    const opened = epochs.epoch // the test that opened it left it, whenever it closes
    let seen = false
    prepend.call(socket, 'close', function leakguardWatchClosed() {
      if (seen || !state.active || state.generation !== generation) return
      seen = true
      if (state.closes <= 0) return // guard mode: this interval's budget is spent
      state.closes--
      try {
        // runs before ws's own socket 'close' handler, while the WebSocket is still attached
        const ws = findWebSocket(this)
        add(this, `closed ${v.constructorName(this, 'Socket')}`, opened)
        if (ws !== null) add(ws, 'closed WebSocket', opened)
      } catch {} // the app's own 'close' handlers run whatever happens here
    })
  } catch {}
}

function subscribe() {
  if (state.subscribed) return
  dc.subscribe('net.server.socket', onSocket)
  dc.subscribe('net.client.socket', onSocket)
  state.subscribed = true
}

function unsubscribe() {
  if (!state.subscribed) return
  dc.unsubscribe('net.server.socket', onSocket)
  dc.unsubscribe('net.client.socket', onSocket)
  state.subscribed = false
}

/** Forgets what was watched (all of it, or what no kept epoch needs). */
function reset(all = true) {
  if (all) {
    state.watched = new Set()
    state.registry = null // entries of the old registry find nothing to delete
  } else {
    for (const entry of state.watched) if (!epochs.keeps(entry.epoch)) state.watched.delete(entry)
  }
  state.collected = new Map()
}

/**
 * Watched objects still alive past `graceMs`, by description: `[{ group, targets }]` where
 * `group` is what Rust knows (core's RetainedGroup) and `targets` up to MAX_TARGETS WeakRefs.
 */
function aliveGroups({ graceMs, now = Date.now(), survivedGC = false }) {
  const groups = new Map()
  for (const entry of state.watched) {
    // without a WeakRef (over the turn's budget) the entry is alive until its finalizer runs
    if (entry.ref !== null && entry.ref.deref() === undefined) {
      onFinalized(entry)
      continue
    }
    if (!epochs.counts(entry.epoch)) continue // watched in a block checked on its own
    const age = now - entry.time
    if (age < graceMs) continue
    // only what survived a GC that began after it should have died: check() forces one (a later
    // forced GC than the watch); guard mode waits for the app's own major GCs (the second one
    // observed since: the first may have begun before; one more for an entry without a WeakRef:
    // its finalizer, run after the GC that collected it, may come after the observation of that GC)
    if (survivedGC ? majorGCs.count < entry.gc + (entry.ref === null ? 3 : 2) : forcedGCs.started <= entry.forced) continue
    let g = groups.get(entry.description)
    if (!g) {
      g = { group: { description: entry.description, count: 0, collected: 0, oldestMs: 0 }, targets: [] }
      groups.set(entry.description, g)
    }
    g.group.count++
    if (age > g.group.oldestMs) g.group.oldestMs = age
    if (g.targets.length < MAX_TARGETS && entry.ref !== null) g.targets.push(entry.ref)
  }
  for (const g of groups.values()) g.group.collected = state.collected.get(g.group.description) || 0
  return [...groups.values()]
}

/** Findings for watched objects still alive after the grace period (call after a GC). */
function retainedLeaks({ graceMs, now }) {
  const alive = aliveGroups({ graceMs, now })
  if (alive.length === 0) return []
  const targets = new Map(alive.map((g) => [g.group.description, g.targets]))
  const leaks = fromNative(binding.evaluate({ kind: 'retained', threshold: 1, groups: alive.map((g) => g.group) }, ''))
  for (const leak of leaks) Object.defineProperty(leak, kTargets, { value: targets.get(leak.description), enumerable: false })
  return leaks
}

const graceSpec = { validate: (x, n) => v.validateNumber(x, n, 0, 2 ** 31 - 1) }

const detector = {
  kind: 'retained',
  needsGC: true,
  startOptions: { graceMs: { default: 0, ...graceSpec } },
  checkOptions: { graceMs: { default: undefined, ...graceSpec } },
  start(options) {
    if (!state.active) {
      state.generation++
      reset()
    }
    state.active = true
    state.graceMs = options.graceMs
    subscribe()
  },
  startSampling() {
    state.closes = CLOSES_PER_SAMPLE
  },
  stopSampling() {
    state.closes = Infinity
  },
  stop() {
    unsubscribe()
    state.active = false
    state.closes = Infinity
    state.generation++
    reset()
  },
  baseline() {
    reset(false)
  },
  /**
   * Watched objects of the counted epochs still alive, by description (a Map): they wait for a
   * forced GC to be judged. What a GC of the app's own collected reads as gone already.
   */
  awaitingGC() {
    const counts = new Map()
    for (const entry of state.watched) {
      if (epochs.counts(entry.epoch) && (entry.ref === null || entry.ref.deref() !== undefined)) counts.set(entry.description, (counts.get(entry.description) || 0) + 1)
    }
    return counts
  },
  check({ checkOptions }) {
    const graceMs = checkOptions.graceMs === undefined ? state.graceMs : checkOptions.graceMs
    return retainedLeaks({ graceMs })
  },
  /**
   * Objects still alive after a major GC that began after they should have died, by
   * description. Guard mode never forces a GC: it waits for the app's own (lib/session/gc.js),
   * so nothing the next GC would collect is counted; a finding needs the count to keep rising
   * over the trend window.
   */
  sample(now) {
    state.closes = CLOSES_PER_SAMPLE
    return aliveGroups({ graceMs: 0, now, survivedGC: true }).map((g) => ({
      key: g.group.description,
      value: g.group.count,
      meta: { series: 'retained', group: g.group },
    }))
  },
}

module.exports = detector
module.exports.watch = watch
module.exports.kTargets = kTargets
