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

module.exports = { builtin, processWide, mainGlobal }

/**
 * leakguard/jest's copy of leakguard's modules, loaded once per worker (jest.js): `request`
 * (relative to `from`, a file of this checkout) from Node's own module system, not from the jest
 * registry that `require` is in this module (jest loads every module again for each test file).
 * After it, `sharedCopy()` of another entry point (index.js) finds the same copy. `fallback()`
 * (the registry's copy) without process.getBuiltinModule (Node < 20.16).
 */
function workerCopy(from, request, fallback) {
  if (typeof process.getBuiltinModule !== 'function') return fallback()
  const load = process.getBuiltinModule('node:module').createRequire(from)
  processWide('workerCopy', () => true)
  return load(request)
}

/**
 * The worker's copy of `request` (relative to `from`) when leakguard/jest made one and `inJest`
 * (the caller is a module of a jest registry), so that a test file's `require('leakguard')`
 * shares the state of the copy that judges its tests; null otherwise (load it as usual).
 */
function sharedCopy(inJest, from, request) {
  if (!inJest || typeof process.getBuiltinModule !== 'function') return null
  const { EventEmitter } = builtin('node:events')
  const values = Object.prototype.hasOwnProperty.call(EventEmitter, kProcessWide) ? EventEmitter[kProcessWide] : null
  if (values === null || values.get('workerCopy') !== true) return null
  return process.getBuiltinModule('node:module').createRequire(from)(request)
}

module.exports.workerCopy = workerCopy
module.exports.sharedCopy = sharedCopy
