'use strict'
// `setupFilesAfterEnv: ['leakguard/jest']`: every test that leaks listeners, tracked
// collections' closed members, watched objects or globals fails, naming each leak and its line.
// `require('leakguard/jest').configure({ ... })` in a later setup file or a test file adjusts it.
//
// jest runs this file again in every test file's module registry. leakguard's own modules are
// loaded once per worker instead, in Node's own module system (lib/builtin.js hostModule(): jest's
// `require('module')`, and on jest 30.5 `process.getBuiltinModule`, are its registry's), so they
// are compiled once and stay warm, not compiled and run again for every file; this file hands
// them the file's global object (timers, globals) and jest's module object. `require('leakguard')`
// in a test file gets the same copy (index.js). Without Node's (Node < 20.16) they are the
// registry's, as any module.

const { workerCopy } = require('./lib/builtin')

const integration = workerCopy(__filename, './lib/testing/jest', () => require('./lib/testing/jest'))

if (typeof globalThis.beforeAll === 'function' && typeof globalThis.afterEach === 'function') {
  // eslint-disable-next-line no-undef -- a parameter of jest's module wrapper, not a global
  integration.register(globalThis, { global: globalThis, jest: typeof jest === 'object' && jest !== null ? jest : null })
}

module.exports = { configure: integration.configure, matchers: integration.matchers }
