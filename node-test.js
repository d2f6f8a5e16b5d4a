'use strict'
// `require('leakguard/node-test')` at the top of a node:test file, or
// `node --test --require leakguard/node-test` (`--import` for ES modules): every test that leaks
// listeners, tracked collections' closed members, watched objects, globals, timers or handles
// fails, naming each leak and its line. `configure({ ... })` adjusts it (leakguard/jest's options).

const integration = require('./lib/testing/node-test')

integration.register()

module.exports = { configure: integration.configure }
