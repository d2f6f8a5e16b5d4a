'use strict'
// node:test integration: `require('leakguard/node-test')` at the top of a test file (or
// `node --test --require leakguard/node-test`, `--import` for ES modules) registers, on the
// file's root test: start() before the first test, a new epoch before each test, a check after
// each (lib/testing/lifecycle.js: a GC and the retries of leakguard/jest only when something is
// suspect) that fails the test naming each leak, and stop() after the last. Timers and handles are on, as with leakguard/jest. Options: the same
// `configure()` (kinds, ignore, report, retries).

const test = require('node:test')
const session = require('../session')
const { TEST_START_OPTIONS } = require('./assert')
const integration = require('./jest')

let registered = false

/** Registers the hooks once per process (node --test runs each file in a process of its own). */
function register() {
  if (registered) return
  registered = true
  let tests = null
  test.before(() => {
    session.start(TEST_START_OPTIONS)
    tests = integration.lifecycle(false) // node:test cannot fail a finished test: judged at its end
  })
  test.beforeEach(() => tests.begin())
  test.afterEach(async (t) => {
    const leaks = await tests.end(t)
    if (leaks.length === 0) return
    const message = integration.formatFailure(t.name, leaks)
    if (integration.reporting()) process.stderr.write(`${message}\n`)
    else throw new Error(message)
  })
  test.after(() => session.stop())
}

module.exports = { register, configure: integration.configure }
