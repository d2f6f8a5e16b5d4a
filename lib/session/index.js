'use strict'
// The session: start / stop / baseline / check, one driver over the detector registry
// (lib/detectors/index.js). check() runs every detector's check(); guard mode (lib/guard/) is the
// other driver, over their sample().

const { detectors } = require('../detectors')
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
}


function optionTable(base, key) {
  const table = { ...base }
  for (const d of detectors) Object.assign(table, d[key] || {})
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

/** From now on: later checks count only what is new. */
function baseline() {
  if (!session.started) throw notStarted('baseline')
  for (const d of detectors) if (d.baseline) d.baseline()
}

/**
 * Starts a block counted on its own inside the current baseline (the toLeak matchers): checks
 * until exitScope() see only what the block does; after it, the outer scope counts what it
 * counted before and what follows, not the block's. Returns the token for exitScope().
 */
function enterScope() {
  if (!session.started) throw notStarted('enterScope')
  const tokens = []
  for (const d of detectors) {
    if (d.enterScope) tokens.push([d, d.enterScope()])
    else if (d.baseline) d.baseline()
  }
  return tokens
}

function exitScope(tokens) {
  if (!session.started) return
  for (const [d, token] of tokens) d.exitScope(token)
}

/** True between start() and stop(). */
function isStarted() {
  return session.started
}

/**
 * Runs every detector now (after a forced GC unless `gc: false`) and returns the findings.
 * New findings are warned once each (`LeakWarning`) or passed to `onLeak`.
 */
async function check(options) {
  const checkOptions = v.normalizeOptions(options, 'options', optionTable(CHECK_OPTIONS, 'checkOptions'))
  if (!session.started) throw notStarted('check')
  const startOptions = session.options
  if (checkOptions.threshold === undefined) checkOptions.threshold = startOptions.threshold
  if (checkOptions.gc) await forceGC()
  if (!session.started) return [] // stop() was called while we waited for the GC
  const context = { options: startOptions, checkOptions, cwd: process.cwd() }
  const leaks = []
  for (const d of detectors) leaks.push(...d.check(context))
  // who holds the `retained` findings: a heap snapshot, so loaded only when asked for
  if (checkOptions.explain) await require('../snapshot/explain').explainRetained(leaks)
  session.reporter.emit(leaks, {
    onLeak: checkOptions.onLeak || startOptions.onLeak,
    warn: checkOptions.warn === undefined ? startOptions.warn : checkOptions.warn,
  })
  return leaks
}

/**
 * check() without waiting: no forced GC, so only the detectors that need none (everything but
 * `retained`). Warns nothing.
 */
function checkSync(options) {
  const checkOptions = v.normalizeOptions(options, 'options', optionTable(CHECK_OPTIONS, 'checkOptions'))
  if (!session.started) throw notStarted('check')
  const startOptions = session.options
  if (checkOptions.threshold === undefined) checkOptions.threshold = startOptions.threshold
  const context = { options: startOptions, checkOptions, cwd: process.cwd() }
  const leaks = []
  for (const d of detectors) if (!d.needsGC) leaks.push(...d.check(context))
  return leaks
}

module.exports = { start, stop, baseline, check, checkSync, enterScope, exitScope, isStarted, START_OPTIONS, CHECK_OPTIONS }
