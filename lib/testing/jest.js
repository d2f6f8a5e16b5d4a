'use strict'
// jest integration: `setupFilesAfterEnv: ['leakguard/jest']` makes every test fail that leaks.
// Per test file: start() in beforeAll, stop() in afterAll (the prototypes are shared by the
// whole worker; a finished file must not leave its wrappers behind). Per test: baseline() before,
// check() after, with a brief retry (as goleak does) so teardown races are not called leaks.

const session = require('../session')
const { checkWithRetry, formatLeaks, KINDS, TEST_START_OPTIONS } = require('./assert')
const v = require('../validate')

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

const REGEXP_STRING = /^\/(.+)\/([dgimsuvy]*)$/

/**
 * Options from the jest config: `globals: { leakguard: { ... } }`. jest hands `globals` to the
 * workers as JSON, so a RegExp in an ignore list is written as a string '/.../flags'.
 */
function configureFromGlobals(g) {
  const o = g.leakguard
  if (o === undefined) return
  if (o === null || typeof o !== 'object' || Array.isArray(o)) throw v.typeError('globals.leakguard', 'an object', o)
  try {
    const options = { ...o }
    if (o.ignore !== null && typeof o.ignore === 'object') {
      options.ignore = { ...o.ignore }
      for (const [key, list] of Object.entries(o.ignore)) {
        if (!Array.isArray(list)) continue
        options.ignore[key] = list.map((p) => {
          const m = typeof p === 'string' ? REGEXP_STRING.exec(p) : null
          return m ? new RegExp(m[1], m[2]) : p // a bad pattern is a SyntaxError, named below
        })
      }
    }
    configure(options)
  } catch (err) {
    err.message = `leakguard: the jest config's globals.leakguard is invalid: ${err.message}`
    throw err
  }
}

const matches = (list, value) =>
  typeof value === 'string' && list.some((p) => (typeof p === 'string' ? p === value : p.test(value)))

function relevant(leak, kinds = config.kinds) {
  if (!kinds.includes(leak.kind)) return false
  if (leak.kind !== 'listeners') return true
  if (matches(config.ignoreEvents, leak.event) || matches(config.ignoreEmitters, leak.emitter)) return false
  // (the test runners' own listeners never get here: lib/instrument/site.js marks them internal)
  if (matches(config.ignoreSites, leak.site)) return false
  return true
}

/** Checks after a test; retries briefly while findings remain. Returns the findings left. */
function leaksAfterTest() {
  return checkWithRetry({ keep: (leak) => relevant(leak), retries: config.retries, retryDelayMs: config.retryDelayMs })
}

function formatFailure(testName, leaks) {
  return `leakguard: ${formatLeaks(`test "${testName}"`, leaks)}`
}

function describeReceived(value) {
  if (value === null) return 'null'
  if (typeof value === 'object') return `an instance of ${(value.constructor && value.constructor.name) || 'Object'}`
  return `type ${typeof value} (${String(value).slice(0, 40)})`
}

/**
 * A matcher that runs the received function as a block of its own (lib/epochs.js) and passes
 * when it leaked: `expect(fn).not.toLeak()`, `await expect(asyncFn).not.toLeak()`. Async
 * functions get the same brief retry as a test; a synchronous function is checked at once, without
 * a GC (so `retained` needs an async function). `only`: the kinds it looks at.
 */
function leakMatcher(name, only) {
  return function matcher(received, options) {
    const hint = `expect(fn)${this && this.isNot ? '.not' : ''}.${name}()`
    if (typeof received !== 'function') {
      throw new TypeError(`${hint}: the received value must be a function. Received ${describeReceived(received)}`)
    }
    const o = v.validateOptions(options, 'options', ['kinds', 'retries'])
    let kinds = only || config.kinds
    if (o.kinds !== undefined) {
      if (!Array.isArray(o.kinds)) throw v.typeError('options.kinds', 'an array', o.kinds)
      o.kinds.forEach((k, i) => v.validateOneOf(k, `options.kinds[${i}]`, KINDS))
      kinds = o.kinds.filter((k) => only === undefined || only.includes(k))
    }
    if (o.retries !== undefined) v.validateNumber(o.retries, 'options.retries', 0, 100, { integer: true })
    const retries = o.retries === undefined ? config.retries : o.retries
    const keep = (leak) => relevant(leak, kinds)

    const owned = !session.isStarted()
    if (owned) session.start(TEST_START_OPTIONS)
    let scope = null
    const done = () => {
      if (scope !== null) session.exitScope(scope)
      scope = null
      if (owned) session.stop()
    }
    const result = (leaks) => {
      const pass = leaks.length > 0
      return {
        pass,
        leaks,
        message: () =>
          pass
            ? `${hint}\n\n${formatLeaks('The function', leaks)}`
            : `${hint}\n\nThe function left nothing behind (kinds checked: ${kinds.join(', ')}).`,
      }
    }
    let returned
    try {
      if (owned) session.baseline()
      else scope = session.enterScope()
      returned = received()
    } catch (err) {
      done()
      throw err
    }
    if (returned !== null && (typeof returned === 'object' || typeof returned === 'function') && typeof returned.then === 'function') {
      return Promise.resolve(returned)
        .then(() => checkWithRetry({ keep, retries, retryDelayMs: config.retryDelayMs }))
        .then(
          (leaks) => {
            done()
            return result(leaks)
          },
          (err) => {
            done()
            throw err
          },
        )
    }
    try {
      return result(session.checkSync({ threshold: 1 }).filter(keep))
    } finally {
      done()
    }
  }
}

/** `toLeak` (every kind configured) and `toLeakListeners` (listeners only). */
const matchers = {
  toLeak: leakMatcher('toLeak', undefined),
  toLeakListeners: leakMatcher('toLeakListeners', ['listeners']),
}

/** Registers the hooks and the matchers with jest's globals; called by `leakguard/jest`. */
function register(g = globalThis) {
  configureFromGlobals(g)
  if (g.expect && typeof g.expect.extend === 'function') g.expect.extend(matchers)
  g.beforeAll(() => session.start(TEST_START_OPTIONS))
  g.beforeEach(() => session.baseline())
  g.afterEach(async () => {
    const leaks = await leaksAfterTest()
    if (leaks.length === 0) return
    const state = g.expect && typeof g.expect.getState === 'function' ? g.expect.getState() : {}
    const message = formatFailure(state.currentTestName || '(unnamed test)', leaks)
    if (config.report) process.stderr.write(`${message}\n`)
    else throw new Error(message)
  })
  g.afterAll(() => session.stop())
}

/** Whether findings are written to stderr instead of failing the test (`configure({ report })`). */
const reporting = () => config.report

module.exports = { configure, register, leaksAfterTest, formatFailure, reporting, matchers }
