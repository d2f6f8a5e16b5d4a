'use strict'
// Runs real jest in a child process on the fixture suite in __tests__/fixtures/jest, the way a
// user's project runs with `setupFilesAfterEnv: ['leakguard/jest']`.

const { spawnSync } = require('node:child_process')
const path = require('node:path')
const { siteOf } = require('./helpers')

const fixture = path.join(__dirname, 'fixtures', 'jest')
const leakyFile = path.join(fixture, 'suite', 'leaky.test.js')
const jestBin = require.resolve('jest/bin/jest')

function runFixture(config, extraArgs = []) {
  const r = spawnSync(process.execPath, [jestBin, '--config', path.join(fixture, 'jest.config.js'), '--json', '--ci', ...extraArgs], {
    cwd: path.join(__dirname, '..'),
    encoding: 'utf8',
    env: { ...process.env, LEAKGUARD_JEST_FIXTURE_CONFIG: config ? JSON.stringify(config) : '' },
    timeout: 120000,
  })
  const report = JSON.parse(r.stdout)
  const tests = {}
  for (const file of report.testResults) {
    for (const t of file.assertionResults) tests[t.title] = { status: t.status, message: t.failureMessages.join('\n') }
  }
  return { status: r.status, tests, stderr: r.stderr }
}

const relSite = (name) => path.relative(path.join(__dirname, '..'), siteOf(leakyFile, name))

describe.each([['--runInBand'], ['--maxWorkers=2']])('leakguard/jest (%s)', (mode) => {
  let run
  beforeAll(() => {
    run = runFixture(null, [mode])
  })

  test('a test leaking a process listener fails, naming the event and the line', () => {
    const t = run.tests['leaks a SIGUSR2 listener on process']
    expect(t.status).toBe('failed')
    expect(t.message).toContain('leakguard: test "leaks a SIGUSR2 listener on process" leaked:')
    expect(t.message).toContain(`leaked 1 listener for 'SIGUSR2' on process, added at ${relSite('sigusr2')}`)
  })

  test('a listener added after an await counts', () => {
    const t = run.tests['leaks a listener on a module-level emitter after an await']
    expect(t.status).toBe('failed')
    expect(t.message).toContain(`leaked 1 listener for 'config' on EventEmitter, added at ${relSite('after-await')}`)
  })

  test('an accidental global fails the test', () => {
    const t = run.tests['leaves an accidental global']
    expect(t.status).toBe('failed')
    expect(t.message).toContain("global 'leakedCache'")
  })

  test('a test that leaves an interval running fails; one that clears its timers passes', () => {
    const t = run.tests['leaves an interval running']
    expect(t.status).toBe('failed')
    expect(t.message).toContain(`left 1 interval running (every 1000 ms), created at ${relSite('interval')}`)
    expect(run.tests['clears its timers'].status).toBe('passed')
  })

  test('clean tests pass: add/remove across an await, a real http server, a second file', () => {
    expect(run.tests['adds and removes a listener across an await'].status).toBe('passed')
    expect(run.tests['starts a real http server, makes a request and closes it'].status).toBe('passed')
    expect(run.tests['a clean test in a second file of the same worker'].status).toBe('passed')
    expect(run.status).toBe(1)
  })
})

test('report mode warns instead of failing', () => {
  const run = runFixture({ report: true }, ['--runInBand'])
  expect(Object.values(run.tests).every((t) => t.status === 'passed')).toBe(true)
  expect(run.status).toBe(0)
  expect(run.stderr).toContain("leaked 1 listener for 'SIGUSR2' on process")
})

test('ignore rules by event, emitter and add-site; kinds selection', () => {
  const run = runFixture(
    { ignore: { events: ['SIGUSR2'], emitters: ['EventEmitter'] }, kinds: ['listeners'] },
    ['--runInBand'],
  )
  expect(run.tests['leaks a SIGUSR2 listener on process'].status).toBe('passed')
  expect(run.tests['leaks a listener on a module-level emitter after an await'].status).toBe('passed')
  expect(run.tests['leaves an accidental global'].status).toBe('passed') // 'global' not selected
  const bySite = runFixture({ ignore: { sites: ['leaky\\.test\\.js'] }, kinds: ['listeners'] }, ['--runInBand'])
  expect(Object.values(bySite.tests).every((t) => t.status === 'passed')).toBe(true)
})

test('configure() rejects bad options', () => {
  const { configure } = require('../lib/jest') // ../jest would register hooks inside this test
  expect(() => configure({ kinds: ['sockets'] })).toThrow(/"options.kinds\[0\]" argument must be one of/)
  expect(() => configure({ report: 'yes' })).toThrow(TypeError)
  expect(() => configure({ ignore: { events: 'SIGUSR2' } })).toThrow(/"options.ignore.events" argument must be an array/)
  expect(() => configure({ retries: -1 })).toThrow(RangeError)
})
