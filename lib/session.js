'use strict'
// start / stop / baseline / check: the lifecycle every detector follows.

const binding = require('../binding')
const { detectors } = require('./detectors')
const { forceGC } = require('./gc')
const { Reporter } = require('./report')
const v = require('./validate')

// Options every session has. Detectors may add their own through `startOptions` /
// `checkOptions`: { name: { default, validate(value, argName) } }.
const START_OPTIONS = {
  stacks: { default: 'always', validate: (x, n) => v.validateOneOf(x, n, ['always', 'sampled', 'off']) },
  stackSampleRate: { default: 0.05, validate: (x, n) => validateRate(x, n) },
  sampleRate: { default: 1, validate: (x, n) => validateRate(x, n) },
  threshold: { default: 10, validate: (x, n) => v.validateNumber(x, n, 1, 2 ** 32 - 1, { integer: true }) },
  onLeak: { default: undefined, validate: (x, n) => v.validateFunction(x, n) },
  warn: { default: true, validate: (x, n) => v.validateBoolean(x, n) },
}
const CHECK_OPTIONS = {
  threshold: { default: undefined, validate: START_OPTIONS.threshold.validate },
  gc: { default: true, validate: (x, n) => v.validateBoolean(x, n) },
  onLeak: { default: undefined, validate: START_OPTIONS.onLeak.validate },
  warn: { default: undefined, validate: START_OPTIONS.warn.validate },
}

function validateRate(x, n) {
  v.validateNumber(x, n, 0, 1)
  if (x === 0) throw v.rangeError(n, '> 0 && <= 1', x)
}

function optionTable(base, key) {
  const table = { ...base }
  for (const d of detectors) Object.assign(table, d[key] || {})
  return table
}

function normalize(options, argName, table) {
  const given = v.validateOptions(options, argName, Object.keys(table))
  const out = {}
  for (const [name, spec] of Object.entries(table)) {
    const value = given[name]
    if (value === undefined) out[name] = spec.default
    else {
      spec.validate(value, `${argName}.${name}`)
      out[name] = value
    }
  }
  return out
}

const session = { started: false, options: null, reporter: new Reporter() }

function notStarted(fn) {
  const err = new Error(`leakguard.${fn}() was called before leakguard.start(): call leakguard.start() first`)
  err.code = 'ERR_LEAKGUARD_NOT_STARTED'
  return err
}

/**
 * Installs the instrumentation of every detector. Idempotent: a second call applies new options
 * and keeps what was tracked so far.
 */
function start(options) {
  const normalized = normalize(options, 'options', optionTable(START_OPTIONS, 'startOptions'))
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
  const checkOptions = normalize(options, 'options', optionTable(CHECK_OPTIONS, 'checkOptions'))
  if (!session.started) throw notStarted('check')
  const startOptions = session.options
  if (checkOptions.threshold === undefined) checkOptions.threshold = startOptions.threshold
  if (checkOptions.gc) await forceGC()
  if (!session.started) return [] // stop() was called while we waited for the GC
  const context = { options: startOptions, checkOptions, cwd: process.cwd(), binding }
  const leaks = []
  for (const d of detectors) if (d.collect) leaks.push(...(await d.collect(context)))
  // annotators add fields to findings of any kind (check({ explain: true }): lib/explain.js)
  for (const d of detectors) if (d.annotate) await d.annotate(leaks, context)
  session.reporter.emit(leaks, {
    onLeak: checkOptions.onLeak || startOptions.onLeak,
    warn: checkOptions.warn === undefined ? startOptions.warn : checkOptions.warn,
  })
  return leaks
}

/**
 * check() without waiting: no forced GC, only the detectors that can answer synchronously
 * (everything but `retained`, which needs a GC and a grace period). Warns nothing.
 */
function checkSync(options) {
  const checkOptions = normalize(options, 'options', optionTable(CHECK_OPTIONS, 'checkOptions'))
  if (!session.started) throw notStarted('check')
  const startOptions = session.options
  if (checkOptions.threshold === undefined) checkOptions.threshold = startOptions.threshold
  const context = { options: startOptions, checkOptions, cwd: process.cwd(), binding }
  const leaks = []
  for (const d of detectors) if (d.collectSync) leaks.push(...d.collectSync(context))
  return leaks
}

module.exports = { start, stop, baseline, check, checkSync, enterScope, exitScope, isStarted, normalize, START_OPTIONS, CHECK_OPTIONS }
