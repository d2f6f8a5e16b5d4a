'use strict'
// leakguard/node-test, run by real `node --test` in a child process: required by a CommonJS test
// file (with configure()), and preloaded with --import into an ES module test file.

const { spawnSync } = require('node:child_process')
const path = require('node:path')
const { siteOf } = require('./helpers')

const root = path.join(__dirname, '..')
const fixture = path.join(__dirname, 'fixtures', 'node-test-helper')

/** `node --test` with the TAP reporter: { [test name]: { ok, text } } and the exit code. */
function nodeTest(args) {
  const r = spawnSync(process.execPath, ['--test', '--test-reporter=tap', ...args], { cwd: root, encoding: 'utf8', timeout: 60000 })
  // TAP puts a test's diagnostics after its `ok` / `not ok` line: one block per test
  const tests = {}
  for (const block of r.stdout.split(/\n(?=(?:not )?ok \d+ - )/)) {
    const m = /^(not )?ok \d+ - (.+)$/m.exec(block)
    if (m) tests[m[2]] = { ok: !m[1], text: block }
  }
  return { tests, status: r.status }
}

const site = (file, name) => path.relative(root, siteOf(path.join(fixture, file), name))

test('require("leakguard/node-test"): leaking tests fail with kind and file:line, configure() applies, clean tests pass', () => {
  const { tests, status } = nodeTest([path.join(fixture, 'suite.test.js')])
  expect(tests['leaky test'].ok).toBe(false)
  expect(tests['leaky test'].text).toContain(`leaked 1 listener for 'job' on EventEmitter, added at ${site('suite.test.js', 'node-test-helper-leak')}`)
  expect(tests['leaves a server listening'].ok).toBe(false) // handles are on, unlike the old recipe
  expect(tests['leaves a server listening'].text).toMatch(new RegExp(`left 1 server listening \\(Server on 127\\.0\\.0\\.1:\\d+\\), listen\\(\\) called at ${site('suite.test.js', 'node-test-helper-server').replace(/\./g, '\\.')}`))
  expect(tests['an ignored leak'].ok).toBe(true)
  expect(tests['clean test'].ok).toBe(true)
  expect(status).toBe(1)
})

test('node --test --import leakguard/node-test: an ES module test file that does not mention leakguard', () => {
  const { tests, status } = nodeTest(['--import', 'leakguard/node-test', path.join(fixture, 'preloaded.test.mjs')])
  expect(tests['leaves an interval running'].ok).toBe(false)
  expect(tests['leaves an interval running'].text).toContain(`left 1 interval running (every 1000 ms), created at ${site('preloaded.test.mjs', 'node-test-helper-interval')}`)
  expect(tests.clean.ok).toBe(true)
  expect(status).toBe(1)
})
