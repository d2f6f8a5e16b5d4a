'use strict'
// Heap snapshots on a finding, under `-r leakguard/guard` in a real child process: three leaks
// found at about the same time, and the policy that keeps snapshots safe in production (one per
// cooldown, count and byte caps, free memory precheck). Real snapshots of a real process.

const { spawn } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { EventEmitter } = require('node:events')
const leakguard = require('../index')

const GUARD = path.join(__dirname, '..', 'guard.js')
const APP = path.join(__dirname, 'fixtures', 'guard', 'app.js')

function runApp(env) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', GUARD, APP], {
      cwd: path.join(__dirname, '..'),
      env: { PATH: process.env.PATH, LEAKGUARD_INTERVAL: '150', LEAKGUARD_SAMPLE_RATE: '0.05', LEAKGUARD_HEAP_PROFILE: '0', MODE: 'multi', RUN_MS: '30000', UNTIL_WARNINGS: '3', ...env },
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code) => {
      const warnings = stdout
        .split('\n')
        .filter((l) => l.startsWith('WARNING '))
        .map((l) => JSON.parse(l.slice(8)))
      resolve({ code, warnings, stderr })
    })
  })
}

let dir
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakguard-guard-snap-'))
})
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }))

const snapshotsIn = (d) => fs.readdirSync(d).filter((f) => f.endsWith('.heapsnapshot'))

describe('snapshots on a finding', () => {
  test('an unusable snapshotDir (a file where a directory should be) keeps every finding, with snapshotSkipped', async () => {
    const file = path.join(dir, 'not-a-directory')
    fs.writeFileSync(file, '')
    const r = await runApp({ LEAKGUARD_SNAPSHOT_DIR: path.join(file, 'snapshots') })
    expect(r.code).toBe(0)
    const leaks = r.warnings.filter((w) => w.name === 'LeakWarning')
    expect(leaks.map((l) => l.event).sort()).toEqual(['a', 'b', 'c'])
    for (const l of leaks) expect(l.snapshotSkipped).toMatch(/ENOTDIR/)
    expect(r.warnings.filter((w) => w.name === 'LeakguardWarning').length).toBeGreaterThan(0)
  })

  test('three findings within the cooldown: one snapshot (0600, complete), the others skipped by the rate limit', async () => {
    const r = await runApp({ LEAKGUARD_SNAPSHOT_DIR: dir })
    expect(r.code).toBe(0)
    const leaks = r.warnings.filter((w) => w.name === 'LeakWarning')
    expect(leaks.map((l) => l.event).sort()).toEqual(['a', 'b', 'c'])
    const files = snapshotsIn(dir)
    expect(files).toHaveLength(1)
    expect(fs.readdirSync(dir)).toEqual(files) // no temporary file or directory left behind
    const file = path.join(dir, files[0])
    expect(fs.statSync(file).mode & 0o777).toBe(0o600)
    const snapshot = JSON.parse(fs.readFileSync(file, 'utf8'))
    expect(snapshot.snapshot.node_count).toBeGreaterThan(1000)
    const withSnapshot = leaks.filter((l) => l.snapshot)
    expect(withSnapshot).toHaveLength(1)
    expect(withSnapshot[0].snapshot).toBe(file)
    expect(withSnapshot[0].message).toContain(`heap snapshot: ${file}`)
    const skipped = leaks.filter((l) => l.snapshotSkipped)
    expect(skipped).toHaveLength(2)
    for (const l of skipped) expect(l.snapshotSkipped).toMatch(/snapshotCooldown/)
    // a cooldown skip is expected behaviour: no extra warning for it
    expect(r.warnings.filter((w) => w.name === 'LeakguardWarning')).toEqual([])
  })

  test('maxSnapshots caps the count, with one warning when the cap is reached', async () => {
    const r = await runApp({ LEAKGUARD_SNAPSHOT_DIR: dir, LEAKGUARD_SNAPSHOT_COOLDOWN: '0', LEAKGUARD_MAX_SNAPSHOTS: '2' })
    expect(r.code).toBe(0)
    expect(r.warnings.filter((w) => w.name === 'LeakWarning')).toHaveLength(3)
    expect(snapshotsIn(dir)).toHaveLength(2)
    const capped = r.warnings.filter((w) => w.name === 'LeakguardWarning')
    expect(capped).toHaveLength(1)
    expect(capped[0].message).toMatch(/heap snapshot skipped: the cap of 2 snapshots is reached/)
  })

  test('maxSnapshotBytes caps the total size before anything is written', async () => {
    const r = await runApp({ LEAKGUARD_SNAPSHOT_DIR: dir, LEAKGUARD_SNAPSHOT_COOLDOWN: '0', LEAKGUARD_MAX_SNAPSHOT_BYTES: '1000' })
    expect(r.code).toBe(0)
    expect(r.warnings.filter((w) => w.name === 'LeakWarning')).toHaveLength(3)
    expect(snapshotsIn(dir)).toEqual([])
    expect(r.stderr).toMatch(/heap snapshot skipped: it would pass maxSnapshotBytes/)
  })

  test('too little free memory for a snapshot: skipped with a warning, the process lives on', async () => {
    // needs 10^9 x the heap free: never the case
    const r = await runApp({ LEAKGUARD_SNAPSHOT_DIR: dir, LEAKGUARD_SNAPSHOT_MEMORY_FACTOR: '1e9' })
    expect(r.code).toBe(0)
    expect(snapshotsIn(dir)).toEqual([])
    const warned = r.warnings.filter((w) => w.name === 'LeakguardWarning')
    expect(warned.length).toBeGreaterThanOrEqual(1)
    expect(warned[0].message).toMatch(/heap snapshot skipped: free memory is too low \(.* MiB free, about .* MiB needed/)
  })
})

test('guard({ writeSnapshot }) hands the path to the given writer', async () => {
  const written = []
  const found = []
  const g = leakguard.guard({
    interval: 60,
    sampleRate: 1,
    heap: false,
    snapshotDir: dir,
    onLeak: (l) => found.push(l),
    writeSnapshot(file) {
      fs.writeFileSync(file, '{}', { mode: 0o600 })
      written.push(file)
      return file
    },
  })
  const bus = new EventEmitter()
  bus.setMaxListeners(0)
  try {
    const start = Date.now()
    while (found.length === 0 && Date.now() - start < 30000) {
      for (let i = 0; i < 20; i++) bus.on('tick', () => {})
      await new Promise((r) => setTimeout(r, 20))
    }
  } finally {
    g.stop()
  }
  expect(found).toHaveLength(1)
  expect(written).toHaveLength(1)
  expect(path.dirname(written[0])).toBe(dir)
  expect(path.basename(written[0])).toMatch(new RegExp(`^leakguard-${process.pid}-.*\\.heapsnapshot$`))
  expect(found[0].snapshot).toBe(written[0])
})

test("guard's snapshot hands the C heap V8 built for it back to the OS (malloc_trim): RSS falls most of the way back", () => {
  // a 40 MB heap of small objects (a service's records): writing its snapshot takes several
  // times the heap in malloc'ed memory, which glibc would otherwise keep (RSS stayed at 75% of
  // the peak's extra without the trim, measured at 200 MB)
  const child = `
    const fs = require('node:fs')
    const { SnapshotPolicy } = require(${JSON.stringify(path.join(__dirname, '..', 'lib', 'guard', 'snapshots.js'))})
    const rss = (k) => Number(new RegExp(k + ':\\\\s+(\\\\d+) kB').exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]) * 1024
    const keep = []
    for (let i = 0; process.memoryUsage().heapUsed < 40 * 1048576; i++) keep.push({ id: i, name: 'user-' + i, tags: ['t' + (i % 100)], meta: new Map([['n', i]]) })
    const before = rss('VmRSS')
    fs.writeFileSync('/proc/self/clear_refs', '5') // the peak (VmHWM) starts from here
    const r = new SnapshotPolicy({ dir: process.argv[1], cooldownMs: 0, maxCount: 1, maxBytes: 2 ** 40, memoryFactor: 1 }).take()
    process.stdout.write(JSON.stringify({ r, before, peak: rss('VmHWM'), after: rss('VmRSS'), kept: keep.length }))
  `
  const r = require('node:child_process').spawnSync(process.execPath, ['-e', child, dir], { encoding: 'utf8' })
  expect(r.status).toBe(0)
  const m = JSON.parse(r.stdout)
  expect(m.r.path).toMatch(/\.heapsnapshot$/)
  expect(m.peak - m.before).toBeGreaterThan(40 * 1048576) // the snapshot did cost memory
  // at least half of what the snapshot took is given back
  expect(m.after - m.before).toBeLessThan((m.peak - m.before) / 2)
}, 60000)
