'use strict'
// The session: start / stop / baseline / check, one driver over the detector registry
// (lib/detectors/index.js). check() runs every detector's check(); guard mode (lib/guard/) is the
// other driver, over their sample().

const { detectors } = require('../detectors')
const { epochs } = require('./epochs')
const { forceGC } = require('./gc')
const { Reporter } = require('../findings/report')
const { notStarted } = require('../errors')
const v = require('../validate')

// Options every session has. Detectors may add their own through `startOptions` /
// `checkOptions`: { name: { default, validate(value, argName) } }.
const START_OPTIONS = {
  stacks: { default: 'always', validate: (x, n) => v.validateOneOf(x, n, ['always', 'sampled', 'off']) },
  stackSampleRate: { default: 0.05, validate: (x, n) => v.validateRate(x, n) },
  sampleRate: { default: 1, validate: (x, n) => v.validateRate(x, n) },
  threshold: { default: 10, validate: (x, n) => v.validateNumber(x, n, 1, 2 ** 32 - 1, { integer: true }) },
  onLeak: { default: undefined, validate: (x, n) => v.validateFunction(x, n) },
  warn: { default: true, validate: (x, n) => v.validateBoolean(x, n) },
}
const CHECK_OPTIONS = {
  threshold: { default: undefined, validate: START_OPTIONS.threshold.validate },
  gc: { default: true, validate: (x, n) => v.validateBoolean(x, n) },
  onLeak: { default: undefined, validate: START_OPTIONS.onLeak.validate },
  warn: { default: undefined, validate: START_OPTIONS.warn.validate },
  explain: { default: false, validate: (x, n) => v.validateBoolean(x, n) },
  // how long explain may take (the analysis is stopped after it; V8's snapshot cannot be)
  explainTimeoutMs: { default: 30000, validate: (x, n) => v.validateNumber(x, n, 1, 2 ** 31 - 1, { integer: true }) },
}


const tables = new Map() // key -> the table (the registry is fixed: made once, not at every check)

function optionTable(base, key) {
  let table = tables.get(key)
  if (table === undefined) {
    table = { ...base }
    for (const d of detectors) Object.assign(table, d[key] || {})
    tables.set(key, table)
  }
  return table
}

const session = { started: false, options: null, reporter: new Reporter() }

/**
 * Installs the instrumentation of every detector. Idempotent: a second call applies new options
 * and keeps what was tracked so far.
 */
function start(options) {
  const normalized = v.normalizeOptions(options, 'options', optionTable(START_OPTIONS, 'startOptions'))
  for (const d of detectors) if (d.start) d.start(normalized)
  session.options = normalized
  session.started = true
}

/** Restores every patched prototype exactly and drops all tracking state. */
function stop() {
  for (let i = detectors.length - 1; i >= 0; i--) if (detectors[i].stop) detectors[i].stop()
  session.started = false
  session.options = null
  session.reporter.reset()
}

/**
 * From now on: later checks count only what is new. `keep` (internal: the test integrations'
 * lifecycle) lists epoch sets whose tags are kept to be judged again later.
 */
function baseline(keep) {
  if (!session.started) throw notStarted('baseline')
  transition()
  epochs.baseline(keep)
  for (const d of detectors) if (d.baseline) d.baseline()
}

/** Tells the detectors that keep per-epoch state (globals) that the epoch is about to change. */
function transition() {
  for (const d of detectors) if (d.transition) d.transition()
}

/**
 * Starts a block counted on its own inside the current baseline (the toLeak matchers): checks
 * until exitScope() see only what the block does; after it, the outer scope counts what it
 * counted before and what follows, not the block's. Returns the token for exitScope().
 */
function enterScope() {
  if (!session.started) throw notStarted('enterScope')
  transition()
  return epochs.enter()
}

function exitScope(token) {
  if (!session.started) return
  transition()
  epochs.exit(token)
}

/** The epochs counted now: a test's, to be judged again later with checkEpochs(). */
function currentEpochs() {
  return epochs.snapshot()
}

/** True between start() and stop(). */
function isStarted() {
  return session.started
}

function contextOf(options) {
  const checkOptions = v.normalizeOptions(options, 'options', optionTable(CHECK_OPTIONS, 'checkOptions'))
  if (!session.started) throw notStarted('check')
  if (checkOptions.threshold === undefined) checkOptions.threshold = session.options.threshold
  return { options: session.options, checkOptions, cwd: process.cwd() }
}

/** Every detector's findings now (with `gcDone: false`, those that need no GC only). */
function runDetectors(context, gcDone, focus) {
  const restore = focus === undefined ? null : epochs.focus(focus)
  try {
    const leaks = []
    for (const d of detectors) if (gcDone || !d.needsGC) leaks.push(...d.check(context))
    return leaks
  } finally {
    if (restore !== null) restore()
  }
}

/**
 * Runs every detector now (after a forced GC unless `gc: false`) and returns the findings.
 * New findings are warned once each (`LeakWarning`) or passed to `onLeak`. `focus` (internal):
 * the epochs to count instead of the current scope's (a test judged again later).
 */
async function check(options, focus) {
  const context = contextOf(options)
  const { checkOptions, options: startOptions } = context
  if (checkOptions.gc) await forceGC()
  if (!session.started) return [] // stop() was called while we waited for the GC
  const leaks = runDetectors(context, true, focus)
  // who holds the `retained` findings: a heap snapshot, so loaded only when asked for
  if (checkOptions.explain) await require('../snapshot/explain').explainRetained(leaks, { timeoutMs: checkOptions.explainTimeoutMs })
  session.reporter.emit(leaks, {
    onLeak: checkOptions.onLeak || startOptions.onLeak,
    warn: checkOptions.warn === undefined ? startOptions.warn : checkOptions.warn,
  })
  return leaks
}

/**
 * check() without waiting: no forced GC, so only the detectors that need none (everything but
 * `retained`). Warns nothing. `focus` as in check().
 */
function checkSync(options, focus) {
  return runDetectors(contextOf(options), false, focus)
}

/**
 * What waits for a GC to be judged (watched objects still alive) in the counted epochs, or in
 * `focus`: `[{ kind, description, count }]`, the most a check after a GC could find of them.
 */
function awaitingGC(focus) {
  const restore = focus === undefined ? null : epochs.focus(focus)
  try {
    const found = []
    for (const d of detectors) if (d.awaitingGC) for (const [description, count] of d.awaitingGC()) found.push({ kind: d.kind, description, count })
    return found
  } finally {
    if (restore !== null) restore()
  }
}

module.exports = { start, stop, baseline, check, checkSync, awaitingGC, currentEpochs, enterScope, exitScope, isStarted, START_OPTIONS, CHECK_OPTIONS }
