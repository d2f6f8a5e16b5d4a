'use strict'
// What leakguard prints cannot be abused by what the app or its heap holds: escape sequences
// and newlines from heap strings and event names are shown escaped, secret-looking strings
// redacted unless asked for (--show-strings); guard mode does not bind
// every interface on an empty host, nor stop another tool's sampling heap profiler.

const { spawnSync } = require('node:child_process')
const crypto = require('node:crypto')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const leakguard = require('../index')

const ROOT = path.join(__dirname, '..')
const HOST = path.join(__dirname, 'fixtures', 'host')
const EVIL_APP = path.join(HOST, 'evil-heap.js')
const run = (args, env = {}) => spawnSync(process.execPath, args, { cwd: ROOT, env: { PATH: process.env.PATH, ...env }, encoding: 'utf8' })

let dir
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakguard-output-'))
})
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

test('the CLI shows control characters from the heap escaped: no ESC, CR or forged line reaches the terminal', () => {
  const file = path.join(dir, 'evil.heapsnapshot')
  expect(run([EVIL_APP, file]).status).toBe(0)
  const r = run([path.join(ROOT, 'bin', 'leakguard.js'), 'analyze', file])
  expect(r.status).toBe(0)
  for (const ch of ['\x1b', '\x07', '\r']) expect(r.stdout.includes(ch)).toBe(false)
  expect(r.stdout).not.toMatch(/^\(node:1\) \[FORGED\]/m)
  // the property is still named, readably
  expect(r.stdout).toContain('\\x1b]0;pwned\\x07\\x1b[2J\\x1b[31mRed\\rCR\\n(node:1) [FORGED] LeakWarning: forged line (Array)')
})

describe('secrets from the heap', () => {
  // a fresh key each run (never in a file): 40 characters of base64
  const SECRET = crypto.randomBytes(30).toString('base64')
  const CLI = path.join(ROOT, 'bin', 'leakguard.js')
  let snaps
  beforeAll(() => {
    snaps = ['a', 'b', 'c'].map((n) => path.join(dir, `secret-${n}.heapsnapshot`))
    const r = run([path.join(HOST, 'secret-heap.js'), ...snaps], { SECRET })
    expect(r.status).toBe(0)
  })
  /** The longest run of the secret's characters (either way round) found in `text`. */
  function longestLeak(text) {
    let longest = 0
    for (const secret of [SECRET, [...SECRET].reverse().join('')]) {
      for (let i = 0; i < secret.length; i++) {
        for (let len = longest + 1; i + len <= secret.length && text.includes(secret.slice(i, i + len)); len++) longest = len
      }
    }
    return longest
  }

  test.each([
    ['analyze', ['--top', '5']],
    ['analyze --json', ['--top', '5', '--json']],
    ['diff', []],
    ['diff --json', ['--json']],
  ])('%s shows them redacted by default; --show-strings shows them', (name, extra) => {
    const files = name.startsWith('analyze') ? [snaps[2]] : snaps
    const cmd = name.split(' ')[0]
    const redacted = run([CLI, cmd, ...files, ...extra])
    expect(redacted.status).toBe(0)
    expect(redacted.stdout).toContain('AWS_SECRET_ACCESS_KEY=[redacted]') // what it is, not what it says
    expect(longestLeak(redacted.stdout)).toBeLessThan(6) // a few characters may match by chance
    const raw = run([CLI, cmd, ...files, ...extra, '--show-strings'])
    expect(raw.status).toBe(0)
    // shortened as usual: the diff's path shows 18 characters of it, analyze --json all 40
    expect(raw.stdout).toContain(`AWS_SECRET_ACCESS_KEY=${SECRET.slice(0, 18)}`)
    if (name === 'analyze --json') expect(raw.stdout).toContain(SECRET)
  })

  test('the HTML report shows them redacted by default; --show-strings shows them', () => {
    const page = path.join(dir, 'secret-report.html')
    expect(run([CLI, 'report', ...snaps, '-o', page]).status).toBe(0)
    const html = fs.readFileSync(page, 'utf8')
    expect(html).toContain('AWS_SECRET_ACCESS_KEY=[redacted]')
    expect(longestLeak(html)).toBeLessThan(6)
    expect(run([CLI, 'report', ...snaps, '-o', page, '--show-strings']).status).toBe(0)
    expect(fs.readFileSync(page, 'utf8')).toContain(`AWS_SECRET_ACCESS_KEY=${SECRET.slice(0, 18)}`)
  })

  test('the API redacts by default too; showStrings must be a boolean', async () => {
    const summary = await leakguard.analyze(snaps[2], { top: 5 })
    expect(longestLeak(JSON.stringify(summary))).toBeLessThan(6)
    expect(JSON.stringify(await leakguard.analyze(snaps[2], { top: 5, showStrings: true }))).toContain(SECRET)
    expect(longestLeak(JSON.stringify(leakguard.diffSync(...snaps)))).toBeLessThan(6)
    expect(JSON.stringify(leakguard.diffSync(...snaps, { showStrings: true }))).toContain(SECRET.slice(0, 18))
    await expect(leakguard.analyze(snaps[2], { showStrings: 'yes' })).rejects.toMatchObject({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('"options.showStrings"') })
    expect(() => leakguard.diffSync(snaps[0], snaps[1], null, { showString: true })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }))
    const binding = require('../binding')
    expect(() => binding.analyzeSync(snaps[2], { showStrings: 1 })).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }))
  })
})

test('a LeakWarning escapes a newline in an event name: the warning log gets no forged line', () => {
  const r = run([EVIL_APP], { WARN: '1' })
  expect(r.status).toBe(0)
  expect(r.stderr).toMatch(/\[LEAKGUARD_LISTENERS\] LeakWarning: leaked 20 listeners for '.*\\r.*\\n\(node:1\) \[FORGED\]/)
  expect(r.stderr).not.toMatch(/^\(node:1\) \[FORGED\]/m)
  for (const ch of ['\x1b', '\x07', '\r']) expect(r.stderr.includes(ch)).toBe(false)
})

test("guard's metricsHost must be a host: '' (every interface) is a TypeError", () => {
  for (const host of ['', ' ']) {
    expect(() => leakguard.guard({ metricsHost: host, metricsPort: 0 })).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE', message: expect.stringContaining('"options.metricsHost"') }))
  }
})

describe("V8's sampling heap profiler", () => {
  const PROFILER = path.join(HOST, 'profiler.js')

  test("another tool's profiler is left running: guard neither restarts nor stops it", () => {
    const r = run([PROFILER])
    expect(r.status).toBe(0)
    expect(JSON.parse(/^APM (.*)$/m.exec(r.stdout)[1])).toEqual({ started: true, leakguardStarted: false, profile: true, stopped: true })
  })

  test('the profiler guard started itself is stopped by stop()', () => {
    const r = run([PROFILER], { OWN: '1' })
    expect(r.status).toBe(0)
    expect(JSON.parse(/^OWN (.*)$/m.exec(r.stdout)[1])).toEqual({ ran: true, stillRunning: false })
  })
})
