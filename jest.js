'use strict'
// `setupFilesAfterEnv: ['leakguard/jest']`: every test that leaks listeners, tracked
// collections' closed members, watched objects or globals fails, naming each leak and its line.
// `require('leakguard/jest').configure({ ... })` in a later setup file or a test file adjusts it.

const integration = require('./lib/testing/jest')

if (typeof globalThis.beforeAll === 'function' && typeof globalThis.afterEach === 'function') integration.register(globalThis)

module.exports = { configure: integration.configure, matchers: integration.matchers }
