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
