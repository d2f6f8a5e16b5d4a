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

module.exports = { builtin }
