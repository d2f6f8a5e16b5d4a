'use strict'
// `setupFiles: ['leakguard/vitest']`, run by real vitest in a child process on a fixture suite of
// two files in one worker, with a setup file of the "user's" that calls configure() after it.

const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { siteOf } = require('./helpers')

const root = path.join(__dirname, '..')
const fixture = path.join(__dirname, 'fixtures', 'vitest-setup')
// vitest 4 (a devDependency); vitest 5 needs Node >= 22.12: .ci/run installs it on Node 22+ and
// names its bin in LEAKGUARD_VITEST5_BIN
const VITESTS = [['4', path.join(path.dirname(require.resolve('vitest/package.json')), 'vitest.mjs')]]
if (process.env.LEAKGUARD_VITEST5_BIN) VITESTS.push(['5', process.env.LEAKGUARD_VITEST5_BIN])

test.each(VITESTS)('leakguard/vitest (vitest %s): leaking tests fail in every file with kind and file:line, configure() and the matchers work', (_major, vitestBin) => {
  // vitest 5 writes the JSON report to a file by default: name one, for both
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'leakguard-vitest-')), 'report.json')
  const r = spawnSync(process.execPath, [vitestBin, 'run', '--config', path.join(fixture, 'vitest.config.mjs'), '--reporter=json', `--outputFile=${out}`], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', CI: '1' },
    timeout: 120000,
  })
  const report = JSON.parse(fs.readFileSync(out, 'utf8'))
  fs.rmSync(path.dirname(out), { recursive: true, force: true })
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
