'use strict'
// The README's vitest recipe, run by real vitest in a child process on a fixture suite.

const { spawnSync } = require('node:child_process')
const path = require('node:path')
const { siteOf } = require('./helpers')

const root = path.join(__dirname, '..')
const fixture = path.join(__dirname, 'fixtures', 'vitest')
const leakyFile = path.join(fixture, 'suite', 'leaky.test.mjs')
const vitestBin = path.join(path.dirname(require.resolve('vitest/package.json')), 'vitest.mjs')

test('vitest with the recipe: leaking tests fail with event and file:line, clean tests pass', () => {
  const r = spawnSync(process.execPath, [vitestBin, 'run', '--config', path.join(fixture, 'vitest.config.mjs'), '--reporter=json'], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', CI: '1' },
    timeout: 120000,
  })
  const start = r.stdout.indexOf('{')
  expect(start).toBeGreaterThanOrEqual(0)
  const report = JSON.parse(r.stdout.slice(start))
  const tests = {}
  for (const file of report.testResults) {
    for (const t of file.assertionResults) tests[t.title] = { status: t.status, message: t.failureMessages.join('\n') }
  }
  const site = path.relative(root, siteOf(leakyFile, 'vitest-after-await'))
  const leaky = tests['leaks a listener on a module-level emitter after an await']
  expect(leaky.status).toBe('failed')
  expect(leaky.message).toContain(`leaked 1 listener for 'config' on EventEmitter, added at ${site}`)
  expect(leaky.message).not.toContain('AbortSignal') // vitest's own per-test signal listener
  const global = tests['leaves an accidental global']
  expect(global.status).toBe('failed')
  expect(global.message).toContain("global 'vitestLeakedCache' was added since the baseline")
  expect(tests['adds and removes a listener across an await'].status).toBe('passed')
  expect(tests['starts a real http server, makes a request and closes it'].status).toBe('passed')
  expect(r.status).toBe(1)
})
