'use strict'
// `setupFiles: ['leakguard/vitest']`, run by real vitest in a child process on a fixture suite of
// two files in one worker, with a setup file of the "user's" that calls configure() after it.

const { spawnSync } = require('node:child_process')
const path = require('node:path')
const { siteOf } = require('./helpers')

const root = path.join(__dirname, '..')
const fixture = path.join(__dirname, 'fixtures', 'vitest-setup')
const vitestBin = path.join(path.dirname(require.resolve('vitest/package.json')), 'vitest.mjs')

test('leakguard/vitest: leaking tests fail in every file with kind and file:line, configure() and the matchers work', () => {
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
  const site = (file, name) => path.relative(root, siteOf(path.join(fixture, 'suite', file), name))
  expect(tests['first file: leaks a listener after an await']).toEqual({
    status: 'failed',
    message: expect.stringContaining(`leaked 1 listener for 'config' on EventEmitter, added at ${site('first.test.mjs', 'vitest-setup-first')}`),
  })
  expect(tests['first file: leaves an interval running'].message).toContain(`left 1 interval running (every 1000 ms), created at ${site('first.test.mjs', 'vitest-setup-interval')}`)
  expect(tests['second file: leaks a listener'].message).toContain(`leaked 1 listener for 'second' on EventEmitter, added at ${site('second.test.mjs', 'vitest-setup-second')}`)
  expect(tests['first file: a leak the configure() setup file ignores'].status).toBe('passed')
  expect(tests['first file: toLeak matcher'].status).toBe('passed')
  expect(tests['second file: a real http server, closed'].status).toBe('passed')
  expect(tests['second file: clean'].status).toBe('passed')
  expect(Object.keys(tests)).toHaveLength(7)
  expect(r.status).toBe(1)
})
