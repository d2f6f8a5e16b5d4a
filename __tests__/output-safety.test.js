'use strict'
// What leakguard prints cannot be abused by what the app or its heap holds: escape sequences
// and newlines from heap strings and event names are shown escaped; guard mode does not bind
// every interface on an empty host, nor stop another tool's sampling heap profiler.

const { spawnSync } = require('node:child_process')
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
