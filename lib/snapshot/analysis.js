'use strict'
// Heap snapshot analysis, in Rust (src/snapshot.rs → crates/leakguard-core/src/snapshot):
// analyze, diff (memlab's three-snapshot method) and retainer paths. This file only checks the
// arguments, so that a TypeError/RangeError comes from the caller's realm (the binding's own
// errors are created in Node's main context, which `instanceof` misses under jest's vm), then
// forwards. The async forms run on libuv's thread pool and reject on bad arguments; the Sync
// forms block the event loop and throw.

const fs = require('node:fs')
const nodePath = require('node:path')
const binding = require('../native')
const { typeError, rangeError, validateBoolean, validateOptions, validateString } = require('../validate')
const { snapshotPathError } = require('../errors')

const MAX_TOP = 1e6
const MAX_ID = 2 ** 32 - 1

function checkInteger(value, name, max) {
  if (typeof value !== 'number' || Number.isNaN(value)) throw typeError(name, 'of type number', value)
  if (!Number.isInteger(value)) throw rangeError(name, 'an integer', value)
  if (value < 0 || value > max) throw rangeError(name, `>= 0 && <= ${max}`, value)
}

/**
 * A snapshot path must name a regular file: a FIFO would block a reader forever. Checked here by
 * name for an early, clear error; the binding checks again on the file it opened (O_NONBLOCK +
 * fstat), so a FIFO swapped in after this check is refused too, never waited on.
 */
function checkSnapshotFile(path) {
  let stat
  try {
    stat = fs.statSync(path)
  } catch (err) {
    throw snapshotPathError(path, undefined, err)
  }
  if (!stat.isFile()) throw snapshotPathError(path, stat)
  try {
    fs.accessSync(path, fs.constants.R_OK) // EACCES before any work starts (the binding says the same)
  } catch (err) {
    throw snapshotPathError(path, undefined, err)
  }
}

/** `{ showStrings }` of the options, checked (undefined when not given). */
function stringsOption(options) {
  const { showStrings } = options
  if (showStrings !== undefined) validateBoolean(showStrings, 'options.showStrings')
  return showStrings
}

function analyzeArgs(path, options, known = ['top', 'showStrings']) {
  validateString(path, 'path')
  if (options === null) options = undefined
  const given = validateOptions(options, 'options', known)
  const { top } = given
  if (top !== undefined) checkInteger(top, 'options.top', MAX_TOP)
  const showStrings = stringsOption(given)
  checkSnapshotFile(path)
  if (top === undefined && showStrings === undefined) return undefined
  return { ...(top === undefined ? {} : { top }), ...(showStrings === undefined ? {} : { showStrings }) }
}

/**
 * leakguard's own code as a diff recognises it (crates/leakguard-core/src/snapshot/own.rs): what
 * the package ships (package.json `files`: lib/, index.js, jest.js, ...), as loaded here, not its
 * tests or examples. Its allocations (and what only they hold) are left out of a diff.
 */
let ownCode = null
function ownPaths() {
  if (ownCode === null) {
    const root = nodePath.join(__dirname, '..', '..')
    let files = []
    try {
      files = require('../../package.json').files || []
    } catch {}
    ownCode = files.filter((f) => typeof f === 'string' && !/\.d\.m?ts$/.test(f)).map((f) => nodePath.join(root, f))
  }
  return ownCode
}

/** `{ showStrings, ownCode }` of a diff's options, for the binding. */
function diffOptions(options) {
  if (options === null) options = undefined
  const given = validateOptions(options, 'options', ['showStrings', 'includeOwn'])
  const showStrings = stringsOption(given)
  const { includeOwn } = given
  if (includeOwn !== undefined) validateBoolean(includeOwn, 'options.includeOwn')
  return { ...(showStrings === undefined ? {} : { showStrings }), ...(includeOwn === true ? {} : { ownCode: ownPaths() }) }
}

/** `{ showStrings }` for the binding, or undefined. */
function stringsArgs(options) {
  if (options === null) options = undefined
  const showStrings = stringsOption(validateOptions(options, 'options', ['showStrings']))
  return showStrings === undefined ? undefined : { showStrings }
}

function diffArgs(baseline, target, final, options) {
  validateString(baseline, 'baseline')
  validateString(target, 'target')
  const last = final !== undefined && final !== null
  if (last) validateString(final, 'final')
  const opts = diffOptions(options)
  checkSnapshotFile(baseline)
  checkSnapshotFile(target)
  if (last) checkSnapshotFile(final)
  return [last ? final : null, opts]
}

function idsArgs(path, ids, options) {
  validateString(path, 'path')
  if (!Array.isArray(ids)) throw typeError('ids', 'an instance of Array', ids)
  ids.forEach((id, i) => checkInteger(id, `ids[${i}]`, MAX_ID))
  const opts = stringsArgs(options)
  checkSnapshotFile(path)
  return opts
}

/**
 * Summary of a `.heapsnapshot`: counts, total size, every class (count, self and retained
 * size; largest retained first) and the `top` (default 20) largest objects with their
 * retainer paths. Off the main thread. Text from the heap (object names, paths) is shortened
 * and secret-looking text `[redacted]` unless `options.showStrings` is true.
 */
async function analyze(path, options) {
  const opts = analyzeArgs(path, options, ['top', 'showStrings', 'signal'])
  const signal = options == null ? undefined : options.signal
  if (signal !== undefined) validateAbortSignal(signal, 'options.signal')
  return watched(path, opts, signal)
}

function validateAbortSignal(signal, name) {
  if (signal === null || typeof signal !== 'object' || !('aborted' in signal) || typeof signal.addEventListener !== 'function') throw typeError(name, 'an instance of AbortSignal', signal)
}

/**
 * The analysis of `path` with a job handle: `signal` aborts it (an `AbortError` with code
 * `ABORT_ERR` and the signal's reason as `cause`, as Node's own APIs reject), `onJob(job)` gets the
 * handle to read `binding.analysisProgress(job)` while it runs (the CLI's progress line).
 */
async function watched(path, opts, signal, onJob) {
  if (signal !== undefined && signal.aborted) throw abortError(signal)
  const job = binding.analysisJob()
  const onAbort = () => binding.abortAnalysis(job)
  if (signal !== undefined) signal.addEventListener('abort', onAbort, { once: true })
  try {
    if (onJob !== undefined) onJob(job)
    return await binding.analyze(path, opts, job)
  } catch (err) {
    if (err && err.code === 'ABORT_ERR') throw abortError(signal)
    throw err
  } finally {
    if (signal !== undefined) signal.removeEventListener('abort', onAbort)
  }
}

/** Node's AbortError: name `AbortError`, code `ABORT_ERR`, the signal's reason as `cause`. */
function abortError(signal) {
  const err = new Error('The operation was aborted', signal === undefined ? undefined : { cause: signal.reason })
  err.name = 'AbortError'
  err.code = 'ABORT_ERR'
  return err
}

/** Blocking twin of `analyze`. */
function analyzeSync(path, options) {
  return binding.analyzeSync(path, analyzeArgs(path, options))
}

/**
 * Objects allocated after `baseline`, present in `target` and still alive in `final` (or in
 * `target` when no `final`), grouped by class and retainer path. Off the main thread.
 * `options.showStrings`: heap text unredacted (default false). leakguard's own allocations are
 * left out unless `options.includeOwn` is true. `warnings` says when the snapshots seem not to be
 * of one process, or not oldest first.
 */
async function diff(baseline, target, final, options) {
  const [last, opts] = diffArgs(baseline, target, final, options)
  return binding.diff(baseline, target, last, opts)
}

/** Blocking twin of `diff`. */
function diffSync(baseline, target, final, options) {
  const [last, opts] = diffArgs(baseline, target, final, options)
  return binding.diffSync(baseline, target, last, opts)
}

/**
 * Shortest retainer path from a GC root of each snapshot node id in `ids`. Off the main thread.
 * `options.showStrings`: heap text unredacted (default false).
 */
async function retainerPaths(path, ids, options) {
  const opts = idsArgs(path, ids, options)
  return binding.retainerPaths(path, ids, opts)
}

/** Blocking twin of `retainerPaths`. */
function retainerPathsSync(path, ids, options) {
  const opts = idsArgs(path, ids, options)
  return binding.retainerPathsSync(path, ids, opts)
}

/** `analyze` for the CLI: `onJob(job)` gets the handle whose progress it shows. */
async function analyzeWatched(path, options, onJob) {
  return watched(path, analyzeArgs(path, options), undefined, onJob)
}

module.exports = { analyze, analyzeSync, analyzeWatched, diff, diffSync, retainerPaths, retainerPathsSync }
