'use strict'
// jest integration: `setupFilesAfterEnv: ['leakguard/jest']` makes every test fail that leaks.
// Per test file: start() in beforeAll, stop() in afterAll (the prototypes are shared by the
// whole worker; a finished file must not leave its wrappers behind). Tests are judged by
// lifetime (lib/testing/lifecycle.js): a new epoch before each test, a cheap look after the
// test's own hooks, and what is still suspect judged again after the file's own afterAll hooks.
//
// Hook order. jest-circus runs a block's afterEach and afterAll hooks in the order they were
// registered, so the hooks of this setup file would run before the test file's own root-level
// ones (the afterEach that closes the server). When the first hook runs (our beforeAll: every
// hook of the file is registered by then), ours are moved to the end of the root block's list.
// A finding confirmed at the file's end is added to the errors of the test that made it, which
// fails it in jest's results. Both need jest-circus's state (jest's default runner since 27,
// kept on the environment's global); without it (jest-jasmine2), each test is judged at its
// end, after a GC and brief retries, and its own afterEach hooks may run after ours.

const session = require('../session')
const { formatLeaks, KINDS, TEST_ADDED_BY, TEST_START_OPTIONS, checkWithRetry, testCheckOptions } = require('./assert')
const { TestLifecycle } = require('./lifecycle')
const v = require('../validate')
const { ORIGINS } = require('../instrument/emitters')
const { setWatched } = require('../instrument/realm')
const { isRegExp } = require('../builtin').builtin('node:util').types // realm-independent

const defaults = () => ({
  kinds: KINDS.slice(),
  kindsGiven: false, // configure({ kinds }) was called: vitest and node:test then judge `retained` too
  ignoreEvents: [],
  ignoreEmitters: [],
  ignoreSites: [],
  ignoreDescriptions: [],
  addedBy: TEST_ADDED_BY,
  unrefTimers: false,
  report: false,
  reportFile: null,
  retries: 3,
  retryDelayMs: 25,
})
// this file's options: reset by register() for each test file (under jest this module is loaded
// once per worker, see jest.js, and serves every file the worker runs)
const config = defaults()

const patterns = (list, name) => {
  if (!Array.isArray(list)) throw v.typeError(name, 'an array of strings or RegExps', list)
  list.forEach((p, i) => {
    if (typeof p !== 'string' && !isRegExp(p)) throw v.typeError(`${name}[${i}]`, 'a string or RegExp', p)
  })
  return list.slice()
}

const IGNORE_KEYS = { events: 'ignoreEvents', emitters: 'ignoreEmitters', sites: 'ignoreSites', descriptions: 'ignoreDescriptions' }

/**
 * Sets options for the following tests: `kinds` (which leak kinds fail a test), `ignore`
 * (`{ events, emitters, sites, descriptions }`, for every kind: strings match exactly, RegExps
 * by test), `addedBy` (whose listeners count: 'app' by default; 'package', 'node' widen it),
 * `unrefTimers` (whether unref()'d timers fail a test: they keep no process alive; false),
 * `report` (true: warn on stderr instead of failing; 'html': write one page for the run,
 * `reportFile`, instead of failing), `retries`.
 */
function configure(options) {
  const o = v.validateOptions(options, 'options', ['kinds', 'ignore', 'addedBy', 'unrefTimers', 'report', 'reportFile', 'retries'])
  if (o.kinds !== undefined) {
    config.kinds = v.validateArrayOf(o.kinds, 'options.kinds', KINDS)
    config.kindsGiven = true
  }
  if (o.ignore !== undefined) {
    const ig = v.validateOptions(o.ignore, 'options.ignore', Object.keys(IGNORE_KEYS))
    for (const [key, field] of Object.entries(IGNORE_KEYS)) if (ig[key] !== undefined) config[field] = patterns(ig[key], `options.ignore.${key}`)
  }
  if (o.addedBy !== undefined) config.addedBy = v.validateArrayOf(o.addedBy, 'options.addedBy', ORIGINS)
  if (o.unrefTimers !== undefined) {
    v.validateBoolean(o.unrefTimers, 'options.unrefTimers')
    config.unrefTimers = o.unrefTimers
  }
  if (o.report !== undefined) {
    if (o.report !== 'html') v.validateBoolean(o.report, 'options.report')
    config.report = o.report
  }
  if (o.reportFile !== undefined) {
    v.validateString(o.reportFile, 'options.reportFile')
    config.reportFile = o.reportFile
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

// the list first: reading a finding's `site` maps it through a source map (lib/detectors/listeners.js)
const matches = (list, read) => {
  if (list.length === 0) return false
  const value = read()
  return typeof value === 'string' && list.some((p) => (typeof p === 'string' ? p === value : p.test(value)))
}

/** Whether a finding counts under the configured kinds and ignore lists (every kind). */
function relevant(leak, kinds = config.kinds) {
  if (!kinds.includes(leak.kind)) return false
  // (the test runners' own listeners never get here: lib/instrument/site.js marks them internal)
  if (matches(config.ignoreSites, () => leak.site)) return false
  if (matches(config.ignoreEvents, () => leak.event)) return false
  if (matches(config.ignoreEmitters, () => leak.emitter)) return false
  if (matches(config.ignoreDescriptions, () => (leak.description !== undefined ? leak.description : leak.name))) return false
  return true
}

/** What every check of a test passes: whose listeners count, whether unref()'d timers do. */
const checkOptions = () => testCheckOptions(config.addedBy, config.unrefTimers)

/** A lifecycle with the current options (`deferred`: the runner can fail a finished test). */
function lifecycle(deferred, lastInBlock, scopes = null) {
  return new TestLifecycle({
    scopes,
    keep: (leak) => relevant(leak),
    checkOptions: checkOptions(),
    retries: config.retries,
    retryDelayMs: config.retryDelayMs,
    deferred,
    lastInBlock,
    retainedAtEnd: config.kindsGiven && config.kinds.includes('retained'),
  })
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
      kinds = v.validateArrayOf(o.kinds, 'options.kinds', KINDS).filter((k) => only === undefined || only.includes(k))
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
        .then(() => checkWithRetry({ keep, retries, retryDelayMs: config.retryDelayMs, checkOptions: checkOptions() }))
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
      return result(session.checkSync({ threshold: 1, ...checkOptions() }).filter(keep))
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

/** jest-circus's state on the environment's global (jest 27+), or null (jest-jasmine2, another runner). */
function circusState(g) {
  try {
    const sym = Object.getOwnPropertySymbols(g).find((s) => s.description === 'JEST_STATE_SYMBOL')
    const state = sym === undefined ? null : g[sym]
    if (state && state.rootDescribeBlock && Array.isArray(state.rootDescribeBlock.hooks)) return state
  } catch {}
  return null
}

/**
 * Makes our root-level afterEach and afterAll hooks run after the file's own. jest-circus took
 * its list of the root block's afterAll hooks before the first beforeAll ran, so the list itself
 * cannot be reordered from here: the hooks' contents are (each hook object of a type gets the
 * next one's function, ours go last).
 */
function runOursLast(state, fns) {
  for (const type of ['afterEach', 'afterAll']) {
    const hooks = state.rootDescribeBlock.hooks.filter((h) => h.type === type)
    const payload = (h) => ({ fn: h.fn, timeout: h.timeout, asyncError: h.asyncError })
    const ours = hooks.filter((h) => fns.includes(h.fn)).map(payload)
    if (ours.length === 0) continue
    const order = [...hooks.filter((h) => !fns.includes(h.fn)).map(payload), ...ours]
    hooks.forEach((h, i) => Object.assign(h, order[i]))
  }
}

/**
 * An Error whose stack is the leak's own site, so jest's code frame shows the line that leaked
 * (not leakguard's hook). `Err`: the test file's Error (its realm's, as the file's own errors are).
 */
function failure(message, leaks, Err = Error) {
  const err = new Err(message)
  const site = leaks.map((l) => l.site).find((x) => typeof x === 'string' && x.length > 0)
  err.stack = site === undefined ? `Error: ${message}` : `Error: ${message}\n    at ${site}`
  err.leaks = leaks
  return err
}

/** What a released test or hook function of the file becomes (nothing calls it again). */
function released() {}

/**
 * The test file's scopes (lib/testing/lifecycle.js, "who holds it"): jest-circus's describe
 * blocks, innermost first, the root block last, each `{ encloses(test), release() }`. release()
 * lets go of what jest keeps for the block's own tests and hooks until the run ends: their
 * functions (whose closures are the block's variables) and their stacks not yet formatted (an
 * Error's frames keep the functions on them, the describe callbacks, alive). Our own hooks
 * (`ours`) are kept. Called once every hook of the file has run.
 */
function fileScopes(state, ours) {
  const blocks = []
  const walk = (block) => {
    for (const c of block.children) if (c && c.type === 'describeBlock') walk(c)
    blocks.push(block)
  }
  const format = (x) => {
    try {
      if (x && typeof x === 'object') void x.stack // formats it: the frames' functions are let go
    } catch {}
  }
  try {
    walk(state.rootDescribeBlock)
  } catch {
    return null
  }
  return blocks.map((block) => ({
    encloses(test) {
      for (let b = test && test.parent; b; b = b.parent) if (b === block) return true
      return false
    },
    release() {
      try {
        for (const c of block.children) {
          if (!c || c.type !== 'test') continue
          c.fn = released
          format(c.asyncError)
        }
        for (const h of block.hooks) {
          format(h.asyncError)
          if (!ours.includes(h.fn)) h.fn = released
        }
      } catch {}
    },
  }))
}

/** Whether no test after `test` shares its describe block (jest-circus: children in order). */
function lastInBlock(test) {
  try {
    const siblings = test.parent.children.filter((c) => c.type === 'test')
    return siblings[siblings.length - 1] === test
  } catch {
    return true
  }
}

function testName(test) {
  const names = []
  for (let t = test; t && t.parent; t = t.parent) names.unshift(t.name)
  return names.join(' ')
}

/**
 * What jest itself releases when a test file ends, released before the file's findings are
 * judged: the calls mocks recorded (an Error in `mock.calls` holds the sockets of its frames), the
 * spies (`jest.spyOn` keeps the spied object), the timers of a fake clock (their arguments).
 */
function releaseRunnerState(g, jestObject) {
  if (jestObject === null) return
  const quietly = (f) => {
    try {
      f()
    } catch {}
  }
  quietly(() => jestObject.clearAllMocks())
  quietly(() => jestObject.restoreAllMocks())
  quietly(() => {
    const t = g.setTimeout
    if (t && (t.clock !== undefined || jestObject.isMockFunction(t))) {
      jestObject.clearAllTimers()
      jestObject.useRealTimers()
    }
  })
}

/**
 * Registers the hooks and the matchers with the runner's globals `g` (jest's, or vitest's hooks
 * and expect); called by `leakguard/jest` for each test file. `global`: the test file's global
 * object, whose globals and timers are watched (jest: its vm context's); `jest`: jest's module
 * object of the file (its mocks and fake timers are released before the file's verdict), or null.
 */
function register(g = globalThis, { global = globalThis, jest = null } = {}) {
  const jestObject = jest !== null && typeof jest === 'object' ? jest : null
  Object.assign(config, defaults()) // a file's options are its own
  setWatched(global)
  configureFromGlobals(g)
  if (g.expect && typeof g.expect.extend === 'function') g.expect.extend(matchers)
  const state = circusState(g)
  let tests = null
  const currentName = () => {
    const s = g.expect && typeof g.expect.getState === 'function' ? g.expect.getState() : {}
    return s.currentTestName || '(unnamed test)'
  }
  let reported = [] // report: 'html': this file's tests that leaked
  const fail = (name, leaks) => {
    const message = formatFailure(name, leaks)
    if (config.report === 'html') {
      reported.push({ test: name, leaks })
      return null
    }
    if (config.report) {
      process.stderr.write(`${message}\n`)
      return null
    }
    return failure(message, leaks, global.Error) // the test file's Error, as its own errors are
  }
  const writeHtml = () => {
    if (config.report !== 'html') return
    const s = g.expect && typeof g.expect.getState === 'function' ? g.expect.getState() : {}
    try {
      const file = require('./html-report').addFileResults({ file: s.testPath || '(unknown file)', results: reported, reportFile: config.reportFile })
      if (reported.length > 0) process.stderr.write(`leakguard: ${reported.length} test(s) leaked; the report: ${file}\n`)
    } catch (err) {
      process.stderr.write(`leakguard: the HTML report was not written: ${err && err.message}\n`)
    }
    reported = []
  }

  const afterEachHook = async () => {
    const test = state !== null ? state.currentlyRunningTest : null
    const leaks = await tests.end(test)
    if (leaks.length === 0) return
    const err = fail(currentName(), leaks)
    if (err !== null) throw err
  }
  const afterAllHook = async () => {
    try {
      const late = []
      releaseRunnerState(global, jestObject)
      for (const { test, leaks } of await tests.settle()) {
        const err = fail(test ? testName(test) : '(unnamed test)', leaks)
        if (err === null) continue
        // the test that made it fails in jest's results; jest reports them when the file ends
        if (test && Array.isArray(test.errors)) test.errors.push([err, err])
        else late.push(err)
      }
      writeHtml()
      if (late.length > 0) throw late[0]
    } finally {
      session.stop()
      setWatched(null) // the file's global is let go with the file
    }
  }
  g.beforeAll(() => {
    session.start(TEST_START_OPTIONS)
    const ours = [afterEachHook, afterAllHook]
    tests = lifecycle(state !== null, lastInBlock, state !== null ? () => fileScopes(state, ours) : null)
    if (state !== null) runOursLast(state, [afterEachHook, afterAllHook])
  })
  g.beforeEach(() => tests.begin())
  g.afterEach(afterEachHook)
  g.afterAll(afterAllHook)
}

/** Whether findings are written to stderr instead of failing the test (`configure({ report })`). */
const reporting = () => config.report

module.exports = { configure, register, lifecycle, formatFailure, reporting, matchers }
