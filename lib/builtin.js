'use strict'
// Node's own modules as Node has them, whatever the test runner's module registry says: a test
// file's `jest.mock('v8')` (prom-client's suite does) replaces `require('v8')` for every module
// jest loads for that file, leakguard's included. process.getBuiltinModule (Node >= 20.16)
// bypasses the registry; before it, require() is all there is.

function builtin(name) {
  if (typeof process.getBuiltinModule === 'function') {
    const m = process.getBuiltinModule(name)
    if (m !== undefined) return m
  }
  return require(name)
}

// What is the same for every copy of leakguard's modules in the process (jest loads them again
// for every test file): kept on Node's EventEmitter constructor, which every copy shares (as the
// listener instrumentation and the epochs are), made by the first copy that asks.
const kProcessWide = Symbol.for('leakguard.processWide.v1')

/** The process-wide value under `key`, made by `make()` the first time any copy asks for it. */
function processWide(key, make) {
  const { EventEmitter } = builtin('node:events')
  if (!Object.prototype.hasOwnProperty.call(EventEmitter, kProcessWide)) {
    Object.defineProperty(EventEmitter, kProcessWide, { value: new Map(), enumerable: false })
  }
  const values = EventEmitter[kProcessWide]
  if (!values.has(key)) values.set(key, make())
  return values.get(key)
}

/** The main context's global object (under jest, leakguard runs in a test file's vm context). */
const mainGlobal = () => processWide('mainGlobal', () => builtin('node:vm').runInThisContext('globalThis'))


/**
 * Node's own `module` (whose createRequire loads through Node's module system, outside any test
 * runner's registry), or null. Reached through the main context's `process`: jest 30.5 makes a
 * test file's `process.getBuiltinModule` go through its registry too (`node:module` is then its
 * own, whose createRequire is the registry's require).
 */
function hostModule() {
  try {
    const p = mainGlobal().process
    if (p !== null && typeof p === 'object' && typeof p.getBuiltinModule === 'function') {
      const m = p.getBuiltinModule('node:module')
      if (m && typeof m.createRequire === 'function') return m
    }
  } catch {} // no vm (a test's jest.mock('vm')): no host module system
  return null
}

/**
 * leakguard/jest's copy of leakguard's modules, loaded once per worker (jest.js): `request`
 * (relative to `from`, a file of this checkout) from Node's own module system, not from the jest
 * registry that `require` is in this module (jest loads every module again for each test file).
 * After it, `sharedCopy()` of another entry point (index.js) finds the same copy. `fallback()`
 * (the registry's copy) when Node's module system cannot be reached (Node < 20.16).
 */
function workerCopy(from, request, fallback) {
  const m = hostModule()
  if (m === null) return fallback()
  const exports = m.createRequire(from)(request)
  processWide('workerCopy', () => true)
  return exports
}

/**
 * The worker's copy of `request` (relative to `from`) when leakguard/jest made one and `inJest`
 * (the caller is a module of a jest registry), so that a test file's `require('leakguard')`
 * shares the state of the copy that judges its tests; null otherwise (load it as usual).
 */
function sharedCopy(inJest, from, request) {
  if (!inJest) return null
  const { EventEmitter } = builtin('node:events')
  const values = Object.prototype.hasOwnProperty.call(EventEmitter, kProcessWide) ? EventEmitter[kProcessWide] : null
  if (values === null || values.get('workerCopy') !== true) return null
  const m = hostModule()
  return m === null ? null : m.createRequire(from)(request)
}

module.exports = { builtin, processWide, mainGlobal, workerCopy, sharedCopy }
