'use strict'
// Runs real jest in a child process on the fixture suite in __tests__/fixtures/jest, the way a
// user's project runs with `setupFilesAfterEnv: ['leakguard/jest']`.

const { spawnSync } = require('node:child_process')
const path = require('node:path')
const { siteOf } = require('./helpers')

const fixture = path.join(__dirname, 'fixtures', 'jest')
const leakyFile = path.join(fixture, 'suite', 'leaky.test.js')
const matchersFile = path.join(fixture, 'suite', 'matchers.test.js')
const mocksFile = path.join(fixture, 'suite', 'mocks.test.js')
const JEST = { 29: require.resolve('jest/bin/jest'), 30: require.resolve('jest30/bin/jest') }

function runFixture(config, extraArgs = [], globals = null, jestBin = JEST[29]) {
  const r = spawnSync(process.execPath, [jestBin, '--config', path.join(fixture, 'jest.config.js'), '--json', '--ci', ...extraArgs], {
    cwd: path.join(__dirname, '..'),
    encoding: 'utf8',
    env: { ...process.env, LEAKGUARD_JEST_FIXTURE_CONFIG: config ? JSON.stringify(config) : '', LEAKGUARD_JEST_FIXTURE_GLOBALS: globals ? JSON.stringify(globals) : '' },
    timeout: 120000,
  })
  const report = JSON.parse(r.stdout)
  const tests = {}
  for (const file of report.testResults) {
    for (const t of file.assertionResults) tests[t.title] = { status: t.status, message: t.failureMessages.join('\n'), file: file.name }
  }
  return { status: r.status, tests, stderr: r.stderr }
}

const relSite = (name, file = leakyFile) => path.relative(path.join(__dirname, '..'), siteOf(file, name))

describe.each([
  [29, '--runInBand'],
  [29, '--maxWorkers=2'],
  [30, '--runInBand'],
])('leakguard/jest (jest %s, %s)', (major, mode) => {
  let run
  beforeAll(() => {
    run = runFixture(null, [mode], null, JEST[major])
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

  test("a test that leaves an interval running fails; one that clears its timers or only unref()s it passes", () => {
    const t = run.tests['leaves an interval running']
    expect(t.status).toBe('failed')
    expect(t.message).toContain(`left 1 interval running (every 1000 ms), created at ${relSite('interval')}`)
    expect(run.tests['clears its timers'].status).toBe('passed')
    expect(run.tests['leaves an unref()ed interval running'].status).toBe('passed')
  })

  test('closed sockets kept in a Set fail the test that made them', () => {
    const t = run.tests['keeps closed sockets in a Set']
    expect(t.status).toBe('failed')
    expect(t.message).toContain("3 objects 'closed Socket' still reachable after a GC")
    // one per test, but every test's kept: each test that made one fails
    for (const n of [1, 2, 3]) {
      const one = run.tests[`connects once (${n})`]
      expect([n, one.status]).toEqual([n, 'failed'])
      expect(one.message).toContain("1 object 'closed Socket' still reachable after a GC")
    }
  })

  test('the failure points at the line that leaked, not at leakguard', () => {
    const t = run.tests['leaks a SIGUSR2 listener on process']
    expect(t.message).toContain(`at ${siteOf(leakyFile, 'sigusr2')}`)
    expect(t.message).not.toMatch(/lib[\\/]testing[\\/]/)
  })

  test('judged by lifetime: what the file releases, and what Node added, is no leak', () => {
    const lifetime = Object.entries(run.tests).filter(([, t]) => t.file.endsWith('lifetime.test.js'))
    expect(lifetime.length).toBe(22)
    for (const [title, t] of lifetime) expect([title, t.status, t.message]).toEqual([title, 'passed', ''])
  })

  test('a server left listening and a client socket left open fail their tests', () => {
    const server = run.tests['leaves a server listening']
    expect(server.status).toBe('failed')
    expect(server.message).toMatch(/left 1 server listening \(Server on 127\.0\.0\.1:\d+\), listen\(\) called at /)
    expect(server.message).toContain(`listen() called at ${relSite('server')}`)
    const socket = run.tests['leaves a client socket open']
    expect(socket.status).toBe('failed')
    expect(socket.message).toMatch(/left 1 socket open \(Socket to 127\.0\.0\.1:\d+\), connected at /)
    expect(socket.message).toContain(`connected at ${relSite('socket')}`)
  })

  test("a file that mocks v8 and never restores fake timers: leakguard still works, on time", () => {
    expect(run.tests['a test under fake timers that closes what it opened'].status).toBe('passed')
    expect(run.tests['an empty test under fake timers'].status).toBe('passed')
    const t = run.tests['leaks a listener under fake timers, with v8 mocked']
    expect(t.status).toBe('failed')
    expect(t.message).toContain(`leaked 1 listener for 'SIGUSR1' on process, added at ${relSite('mocks-sigusr1', mocksFile)}`)
    expect(t.message).not.toMatch(/Exceeded timeout|is not a function/)
  })

  test('one leaked server is one finding, its own listeners shown under it', () => {
    const t = run.tests['leaves a server listening with its own handlers on it']
    expect(t.status).toBe('failed')
    const lines = t.message.split('\n').filter((l) => /^\s+[-·] /.test(l))
    expect(lines.slice(0, 3).map((l) => l.trim().slice(0, 1))).toEqual(['-', '·', '·'])
    expect(lines[0]).toContain(`listen() called at ${relSite('server-parts')}`)
    expect(t.message).toContain(`'request' on Server, added at ${relSite('server-request')}`)
    expect(t.message).toContain(`'error' on Server, added at ${relSite('server-error')}`)
  })

  test('toLeak matchers: sync and async blocks, listeners only, a block is judged on its own', () => {
    expect(run.tests['not.toLeak passes for blocks that clean up, sync and async'].status).toBe('passed')
    const sync = run.tests['not.toLeak fails for a synchronous block that leaks']
    expect(sync.status).toBe('failed')
    expect(sync.message).toContain('expect(fn).not.toLeak()')
    expect(sync.message).toContain(`leaked 1 listener for 'sync-leak' on EventEmitter, added at ${relSite('matcher-sync', matchersFile)}`)
    expect(sync.message.split("'sync-leak'").length).toBe(2) // reported by the matcher, not again after the test
    const asyncRun = run.tests['not.toLeak fails for an async block that leaks after an await']
    expect(asyncRun.status).toBe('failed')
    expect(asyncRun.message).toContain(`leaked 1 listener for 'async-leak' on EventEmitter, added at ${relSite('matcher-async', matchersFile)}`)
    expect(run.tests["toLeakListeners looks at listeners only; what a block leaked is the block's"].status).toBe('passed')
    const before = run.tests['a leak before the block still fails the test']
    expect(before.status).toBe('failed')
    expect(before.message).toContain(`leakguard: test "a leak before the block still fails the test" leaked:`)
    expect(before.message).toContain(`'before-block' on EventEmitter, added at ${relSite('before-block', matchersFile)}`)
    const positive = run.tests['a block that leaks nothing fails a positive toLeak']
    expect(positive.status).toBe('failed')
    expect(positive.message).toContain('The function left nothing behind')
  })

  test('clean tests pass: add/remove across an await, a real http server, a second file', () => {
    expect(run.tests['adds and removes a listener across an await'].status).toBe('passed')
    expect(run.tests['starts a real http server, makes a request and closes it'].status).toBe('passed')
    expect(run.tests['a clean test in a second file of the same worker'].status).toBe('passed')
    expect(run.tests["the file's require('leakguard') is the session that judges it"].status).toBe('passed')
    expect(run.status).toBe(1)
  })
})

test('report mode warns instead of failing', () => {
  const run = runFixture({ report: true }, ['--runInBand', 'leaky|clean'])
  expect(Object.values(run.tests).every((t) => t.status === 'passed')).toBe(true)
  expect(run.status).toBe(0)
  expect(run.stderr).toContain("leaked 1 listener for 'SIGUSR2' on process")
})

test('ignore rules for every kind: by description and by site; unrefTimers', () => {
  const run = runFixture({ ignore: { descriptions: ['closed Socket'], sites: ['leaky\\.test\\.js:5\\d:'] } }, ['--runInBand', 'leaky'])
  expect(run.tests['keeps closed sockets in a Set'].status).toBe('passed')
  expect(run.tests['leaves an interval running'].status).toBe('passed') // its site is on line 5x
  expect(run.tests['leaves a server listening'].status).toBe('failed')
  const unref = runFixture({ unrefTimers: true }, ['--runInBand', 'leaky'])
  expect(unref.tests['leaves an unref()ed interval running'].status).toBe('failed')
})

test('ignore rules by event, emitter and add-site; kinds selection', () => {
  const run = runFixture(
    { ignore: { events: ['SIGUSR2'], emitters: ['EventEmitter'] }, kinds: ['listeners'] },
    ['--runInBand'],
  )
  expect(run.tests['leaks a SIGUSR2 listener on process'].status).toBe('passed')
  expect(run.tests['leaks a listener on a module-level emitter after an await'].status).toBe('passed')
  expect(run.tests['leaves an accidental global'].status).toBe('passed') // 'global' not selected
  const bySite = runFixture({ ignore: { sites: ['leaky\\.test\\.js'] }, kinds: ['listeners'] }, ['--runInBand', 'leaky|clean'])
  expect(Object.values(bySite.tests).every((t) => t.status === 'passed')).toBe(true)
})

test('options through the jest config key globals.leakguard, RegExps as "/.../" strings', () => {
  const run = runFixture(null, ['--runInBand', 'leaky'], { ignore: { events: ['/^SIGUSR/'] }, kinds: ['listeners'] })
  expect(run.tests['leaks a SIGUSR2 listener on process'].status).toBe('passed')
  expect(run.tests['leaks a listener on a module-level emitter after an await'].status).toBe('failed')
  const report = runFixture(null, ['--runInBand', 'leaky'], { report: true })
  expect(report.status).toBe(0)
  expect(report.stderr).toContain("leaked 1 listener for 'SIGUSR2' on process")
  const bad = runFixture(null, ['--runInBand', 'clean'], { kinds: ['sockets'] })
  expect(bad.status).toBe(1)
  expect(JSON.stringify(bad)).toContain("the jest config's globals.leakguard is invalid")
})

test('configure() rejects bad options', () => {
  const { configure } = require('../lib/testing/jest') // ../jest would register hooks inside this test
  expect(() => configure({ kinds: ['sockets'] })).toThrow(/"options.kinds\[0\]" argument must be one of/)
  expect(() => configure({ report: 'yes' })).toThrow(TypeError)
  expect(() => configure({ ignore: { events: 'SIGUSR2' } })).toThrow(/"options.ignore.events" argument must be an array/)
  expect(() => configure({ retries: -1 })).toThrow(RangeError)
  expect(() => configure({ addedBy: ['user'] })).toThrow(/"options.addedBy\[0\]" argument must be one of/)
  expect(() => configure({ unrefTimers: 1 })).toThrow(TypeError)
  expect(() => configure({ ignore: { descriptions: [1] } })).toThrow(/"options.ignore.descriptions\[0\]"/)
})
