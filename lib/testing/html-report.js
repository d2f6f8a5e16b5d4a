'use strict'
// leakguard/jest `report: 'html'`: one page for the whole run, which tests leaked what and where.
// Every test file (in any jest worker) adds a record of its findings to the run's directory in
// the temporary directory and rewrites the page from all of them, atomically, under a lock; the
// page (0600: it names files and values of the app) is `leakguard-report.html` in the working
// directory, or `reportFile`. A run is the jest process: a worker's parent, or the process itself
// with --runInBand.

const crypto = require('node:crypto')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const LOCK_STALE_MS = 10000

const prefix = () => `leakguard-jest-${process.getuid ? process.getuid() : 'u'}-`

/** Removes the directories of earlier runs whose jest process is gone. */
function removeStale(current) {
  try {
    for (const name of fs.readdirSync(os.tmpdir())) {
      if (!name.startsWith(prefix()) || name === current) continue
      const pid = Number(name.slice(prefix().length))
      try {
        process.kill(pid, 0)
        continue // still running
      } catch (err) {
        if (err.code !== 'ESRCH') continue
      }
      fs.rmSync(path.join(os.tmpdir(), name), { recursive: true, force: true })
    }
  } catch {}
}

function runDir() {
  const run = process.env.JEST_WORKER_ID !== undefined ? process.ppid : process.pid
  const name = `${prefix()}${run}`
  const dir = path.join(os.tmpdir(), name)
  if (!fs.existsSync(dir)) removeStale(name)
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 })
  const st = fs.lstatSync(dir)
  // another user's directory, or a symlink planted there: write nothing through it
  if (!st.isDirectory() || (process.getuid && st.uid !== process.getuid())) throw new Error(`leakguard: ${dir} is not this user's directory`)
  return dir
}

function withLock(dir, fn) {
  const lock = path.join(dir, 'lock')
  const deadline = Date.now() + LOCK_STALE_MS
  for (;;) {
    try {
      fs.closeSync(fs.openSync(lock, 'wx', 0o600))
      break
    } catch (err) {
      if (err.code !== 'EEXIST') throw err
      try {
        if (Date.now() - fs.statSync(lock).mtimeMs > LOCK_STALE_MS) fs.unlinkSync(lock) // a worker that died holding it
      } catch {}
      if (Date.now() > deadline) break // never hang a test run over a page
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5)
    }
  }
  try {
    return fn()
  } finally {
    try {
      fs.unlinkSync(lock)
    } catch {}
  }
}

const relative = (cwd, site) => (typeof site === 'string' && path.isAbsolute(site) ? path.relative(cwd, site) : site)

/**
 * Adds one test file's results (`[{ test, leaks }]`, `leaks` as the findings) and rewrites the
 * page. Returns the page's path. Throws only for what the caller reports (a directory it may not
 * use, a page it cannot write).
 */
function addFileResults({ file, results, reportFile, cwd = process.cwd() }) {
  const { render, writeReport } = require('../report')
  const dir = runDir()
  const record = {
    file: path.relative(cwd, file) || file,
    tests: results.map(({ test, leaks }) => ({ test, leaks: leaks.map((l) => ({ kind: l.kind, code: l.code, message: l.message, site: relative(cwd, l.site) })) })),
  }
  const name = path.join(dir, `${process.pid}-${crypto.randomBytes(6).toString('hex')}.json`)
  fs.writeFileSync(name, JSON.stringify(record), { mode: 0o600, flag: 'wx' })
  const target = path.resolve(cwd, reportFile || 'leakguard-report.html')
  return withLock(dir, () => {
    const records = []
    for (const f of fs.readdirSync(dir)) {
      if (!f.endsWith('.json')) continue
      try {
        records.push(JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')))
      } catch {} // a record being written: the next file's rewrite has it
    }
    records.sort((a, b) => a.file.localeCompare(b.file))
    const tests = records.flatMap((r) => r.tests.map((t) => ({ file: r.file, ...t })))
    const leaks = tests.reduce((n, t) => n + t.leaks.length, 0)
    const html = render({
      title: 'leakguard: tests that leaked',
      subtitle: `jest run in ${cwd}`,
      summary: [
        { label: 'test files', value: String(records.length) },
        { label: 'tests that leaked', value: String(tests.length) },
        { label: 'leaks', value: String(leaks) },
      ],
      tests,
    })
    return writeReport(target, html)
  })
}

module.exports = { addFileResults }
