'use strict'
// jest integration: `setupFilesAfterEnv: ['leakguard/jest']` makes every test fail that leaks.
// Per test file: start() in beforeAll, stop() in afterAll (the prototypes are shared by the
// whole worker; a finished file must not leave its wrappers behind). Per test: baseline() before,
// check() after, with a brief retry (as goleak does) so teardown races are not called leaks.

const leakguard = require('../index')
const { checkWithRetry, formatLeaks, KINDS } = require('./assert')
const v = require('./validate')

const DEFAULT_IGNORE_SITES = [/\/node_modules\/(jest-[^/]+|@jest\/[^/]+)\//]

const config = {
  kinds: KINDS.slice(),
  ignoreEvents: [],
  ignoreEmitters: [],
  ignoreSites: [],
  report: false,
  retries: 3,
  retryDelayMs: 25,
}

const patterns = (list, name) => {
  if (!Array.isArray(list)) throw v.typeError(name, 'an array of strings or RegExps', list)
  list.forEach((p, i) => {
    if (typeof p !== 'string' && !(p instanceof RegExp)) throw v.typeError(`${name}[${i}]`, 'a string or RegExp', p)
  })
  return list.slice()
}

/**
 * Sets options for the following tests: `kinds` (which leak kinds fail a test), `ignore`
 * (`{ events, emitters, sites }`: strings match exactly, RegExps by test), `report` (warn
 * instead of failing), `retries`.
 */
function configure(options) {
  const o = v.validateOptions(options, 'options', ['kinds', 'ignore', 'report', 'retries'])
  if (o.kinds !== undefined) {
    if (!Array.isArray(o.kinds)) throw v.typeError('options.kinds', 'an array', o.kinds)
    o.kinds.forEach((k, i) => v.validateOneOf(k, `options.kinds[${i}]`, KINDS))
    config.kinds = o.kinds.slice()
  }
  if (o.ignore !== undefined) {
    const ig = v.validateOptions(o.ignore, 'options.ignore', ['events', 'emitters', 'sites'])
    if (ig.events !== undefined) config.ignoreEvents = patterns(ig.events, 'options.ignore.events')
    if (ig.emitters !== undefined) config.ignoreEmitters = patterns(ig.emitters, 'options.ignore.emitters')
    if (ig.sites !== undefined) config.ignoreSites = patterns(ig.sites, 'options.ignore.sites')
  }
  if (o.report !== undefined) {
    v.validateBoolean(o.report, 'options.report')
    config.report = o.report
  }
  if (o.retries !== undefined) {
    v.validateNumber(o.retries, 'options.retries', 0, 100, { integer: true })
    config.retries = o.retries
  }
}

const matches = (list, value) =>
  typeof value === 'string' && list.some((p) => (typeof p === 'string' ? p === value : p.test(value)))

function relevant(leak) {
  if (!config.kinds.includes(leak.kind)) return false
  if (leak.kind !== 'listeners') return true
  if (matches(config.ignoreEvents, leak.event) || matches(config.ignoreEmitters, leak.emitter)) return false
  if (matches(DEFAULT_IGNORE_SITES, leak.site) || matches(config.ignoreSites, leak.site)) return false
  return true
}

/** Checks after a test; retries briefly while findings remain. Returns the findings left. */
function leaksAfterTest() {
  return checkWithRetry({ keep: relevant, retries: config.retries, retryDelayMs: config.retryDelayMs })
}

function formatFailure(testName, leaks) {
  return `leakguard: ${formatLeaks(`test "${testName}"`, leaks)}`
}

/** Registers the hooks with jest's globals; called by `leakguard/jest`. */
function register(g = globalThis) {
  g.beforeAll(() => leakguard.start({ threshold: 1, warn: false, stacks: 'always', timers: true }))
  g.beforeEach(() => leakguard.baseline())
  g.afterEach(async () => {
    const leaks = await leaksAfterTest()
    if (leaks.length === 0) return
    const state = g.expect && typeof g.expect.getState === 'function' ? g.expect.getState() : {}
    const message = formatFailure(state.currentTestName || '(unnamed test)', leaks)
    if (config.report) process.stderr.write(`${message}\n`)
    else throw new Error(message)
  })
  g.afterAll(() => leakguard.stop())
}

module.exports = { configure, register, leaksAfterTest, formatFailure }
