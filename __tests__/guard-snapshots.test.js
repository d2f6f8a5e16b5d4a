'use strict'
// Heap snapshots for confirmed findings, under `-r leakguard/guard` in a real child process: three
// leaks found at about the same time, each warned at once (`snapshotPending`) and again a window
// later when it still grows (`confirmed`, with the snapshot or `snapshotSkipped`), and the policy
// that keeps snapshots safe in production (one per cooldown, count and byte caps, free memory
// precheck). A finding that stops growing gets no snapshot. A confirmed heap finding gets a
// second snapshot a window later and the diff of the two, in a child process: its follow-up
// (`explained`) names the leaking class and who holds it. Real snapshots of a real process.

const { spawn } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { EventEmitter } = require('node:events')
const leakguard = require('../index')

const GUARD = path.join(__dirname, '..', 'guard.js')
const APP = path.join(__dirname, 'fixtures', 'guard', 'app.js')

function runApp(env, { args = [] } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', GUARD, ...args, APP], {
      cwd: path.join(__dirname, '..'),
      env: { PATH: process.env.PATH, LEAKGUARD_INTERVAL: '150', LEAKGUARD_SAMPLE_RATE: '0.05', LEAKGUARD_HEAP_PROFILE: '0', MODE: 'multi', RUN_MS: '30000', UNTIL_WARNINGS: '6', ...env },
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
/** The first warnings (no snapshot yet) and the confirmations of the three leaks. */
function split(warnings) {
  const leaks = warnings.filter((w) => w.name === 'LeakWarning')
  const first = leaks.filter((l) => !l.confirmed)
  const confirmed = leaks.filter((l) => l.confirmed)
  expect(first.map((l) => l.event).sort()).toEqual(['a', 'b', 'c'])
  expect(confirmed.map((l) => l.event).sort()).toEqual(['a', 'b', 'c'])
  for (const l of first) {
    expect(l.snapshotPending).toBe(true)
    expect(l.snapshot).toBeUndefined()
    expect(l.snapshotSkipped).toBeUndefined()
  }
  for (const l of confirmed) expect(l.message).toMatch(/; still growing a window later: \d+ -> \d+/)
  return { first, confirmed }
}

describe('snapshots on a finding', () => {
  test('an unusable snapshotDir (a file where a directory should be) keeps every finding, with snapshotSkipped', async () => {
    const file = path.join(dir, 'not-a-directory')
    fs.writeFileSync(file, '')
    const r = await runApp({ LEAKGUARD_SNAPSHOT_DIR: path.join(file, 'snapshots') })
    expect(r.code).toBe(0)
    const { confirmed } = split(r.warnings)
    for (const l of confirmed) expect(l.snapshotSkipped).toMatch(/ENOTDIR/)
    expect(r.warnings.filter((w) => w.name === 'LeakguardWarning').length).toBeGreaterThan(0)
  })

  test('three confirmed findings within the cooldown: one snapshot (0600, complete), the others skipped by the rate limit', async () => {
    const r = await runApp({ LEAKGUARD_SNAPSHOT_DIR: dir })
    expect(r.code).toBe(0)
    const leaks = split(r.warnings).confirmed
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
    split(r.warnings)
    expect(snapshotsIn(dir)).toHaveLength(2)
    const capped = r.warnings.filter((w) => w.name === 'LeakguardWarning')
    expect(capped).toHaveLength(1)
    expect(capped[0].message).toMatch(/heap snapshot skipped: the cap of 2 snapshots is reached/)
  })

  test('maxSnapshotBytes caps the total size before anything is written', async () => {
    const r = await runApp({ LEAKGUARD_SNAPSHOT_DIR: dir, LEAKGUARD_SNAPSHOT_COOLDOWN: '0', LEAKGUARD_MAX_SNAPSHOT_BYTES: '1000' })
    expect(r.code).toBe(0)
    split(r.warnings)
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

describe('who holds a confirmed heap finding', () => {
  // Session objects (~24 KB each) kept in a module-level Map at ~6 MB/s; forced GCs give a
  // reading every sample. Windows of 3 x 200 ms: warned, confirmed (first snapshot) and compared
  // with a second snapshot within a few seconds.
  const env = { MODE: 'heap-class', LEAKGUARD_INTERVAL: '200', LEAKGUARD_WINDOW: '3', LEAKGUARD_HEAP_THRESHOLD: String(1024 * 1024), LEAKGUARD_SNAPSHOT_COOLDOWN: '0', UNTIL_EXPLAINED: '1', UNTIL_WARNINGS: '' }
  let stopDir
  beforeEach(() => {
    stopDir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakguard-guard-snap-'))
  })
  afterEach(() => fs.rmSync(stopDir, { recursive: true, force: true }))

  test('the follow-up names the leaking class and its holder; a leak that ended gets holdersSkipped and no second snapshot', async () => {
    const [r, ended] = await Promise.all([
      runApp({ ...env, LEAKGUARD_SNAPSHOT_DIR: dir }, { args: ['--expose-gc'] }),
      runApp({ ...env, LEAKGUARD_SNAPSHOT_DIR: stopDir, STOP_WHEN_CONFIRMED: '1' }, { args: ['--expose-gc'] }),
    ])
    expect(r.code).toBe(0)
    const heap = r.warnings.filter((w) => w.code === 'LEAKGUARD_HEAP')
    const confirmed = heap.find((w) => w.confirmed && !w.explained)
    expect(heap[0].snapshotPending).toBe(true)
    expect(confirmed.holdersPending).toBe(true)
    expect(confirmed.snapshot).toMatch(/\.heapsnapshot$/)
    const explained = heap.filter((w) => w.explained)
    expect(explained).toHaveLength(1)
    const [e] = explained
    expect(e.holdersPending).toBeUndefined()
    expect(e.holdersSkipped).toBeUndefined()
    // the diff's own shapes: leak groups with their holders, largest retained size first
    expect(e.groups[0]).toMatchObject({ className: 'Session', rootClass: 'Session', holder: { name: 'sessions', kind: 'variable' } })
    expect(e.groups[0].count).toBeGreaterThan(20)
    expect(e.groups[0].path).toMatch(/sessions \(Map\) → table → Session$/)
    expect(e.newObjects).toBeGreaterThanOrEqual(e.groups[0].count)
    // guard's own state (the Guard, its metrics, the finding) is no leak group: the snapshots are
    // written in a turn of their own, so no frame of guard's holds it (written from the sample,
    // `Array ×2 held by 'this.metrics'` and `(concatenated string) ×1 held by 'leak.message'` were)
    expect(e.groups.filter((g) => /\(Guard\)|\bleak \(Object\)/.test(g.path))).toEqual([])
    expect(e.message).toMatch(/; who holds it: Session ×[\d,]+ \(retained [\d.]+ MiB\) held by 'sessions' \(module __tests__\/fixtures\/guard\/app\.js\) \(diff with a second heap snapshot: .*\.heapsnapshot\)$/)
    expect(e.snapshots).toHaveLength(2)
    expect(e.snapshots[0]).toBe(confirmed.snapshot)
    const files = snapshotsIn(dir)
    expect(files.map((f) => path.join(dir, f)).sort()).toEqual([...e.snapshots].sort())
    expect(fs.readdirSync(dir)).toEqual(files) // nothing else: the diff writes no file
    for (const f of e.snapshots) expect(fs.statSync(f).mode & 0o777).toBe(0o600)

    // the leak ended once confirmed: no second snapshot, a follow-up that says why
    expect(ended.code).toBe(0)
    const endedHeap = ended.warnings.filter((w) => w.code === 'LEAKGUARD_HEAP')
    expect(endedHeap.filter((w) => w.explained)).toEqual([])
    const skipped = endedHeap.filter((w) => w.holdersSkipped)
    expect(skipped).toHaveLength(1)
    expect(skipped[0].holdersSkipped).toMatch(/^the heap did not grow by heapThreshold \(1\.0 MiB\) in the \d+ s after the first snapshot \([\d.]+ MiB -> [\d.]+ MiB\): no second snapshot to compare$/)
    expect(skipped[0].message).toContain('; who holds it: not analysed (the heap did not grow')
    expect(snapshotsIn(stopDir)).toHaveLength(1)
  }, 30000)

  test('the analysis in its child process: a corrupt snapshot, too little memory and a cancel (stop()) are skip reasons, no child is left behind', async () => {
    const { HolderAnalysis } = require('../lib/guard/holders')
    // two small real snapshots of a real process
    const [a, b] = ['a', 'b'].map((n) => path.join(dir, `${n}.heapsnapshot`))
    const w = require('node:child_process').spawnSync(process.execPath, ['-e', 'const v8 = require("node:v8"); v8.writeHeapSnapshot(process.argv[1]); globalThis.kept = new Array(1e4).fill(0).map((_, i) => ({ i })); v8.writeHeapSnapshot(process.argv[2])', a, b])
    expect(w.status).toBe(0)
    const corrupt = path.join(dir, 'corrupt.heapsnapshot')
    fs.writeFileSync(corrupt, fs.readFileSync(b).subarray(0, 5000))
    const bad = await new HolderAnalysis().run(a, corrupt)
    expect(bad.skipped).toMatch(/^the diff of the snapshots failed \(exit code 1\): \S/)
    expect(await new HolderAnalysis({ memoryFactor: 1e12 }).run(a, b)).toEqual({ skipped: expect.stringMatching(/^free memory is too low to compare the snapshots \(.* MiB free, about .* MiB needed\)$/) })
    const h = new HolderAnalysis()
    const running = h.run(a, b)
    const pid = h.child.pid
    h.cancel()
    expect(await running).toEqual({ skipped: 'guard mode stopped during the analysis' })
    expect(h.child).toBeNull()
    expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }))
    expect(process.listenerCount('exit')).toBe(exitListeners)
    expect(fs.readdirSync(dir).sort()).toEqual(['a.heapsnapshot', 'b.heapsnapshot', 'corrupt.heapsnapshot'])
  })
})

const exitListeners = process.listenerCount('exit')

/** guard() in this process with a writer that records the paths; `drive(found)` adds listeners until it returns true. */
async function guardWithWriter(drive) {
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
  try {
    const start = Date.now()
    while (!(await drive(found)) && Date.now() - start < 30000) await new Promise((r) => setTimeout(r, 20))
  } finally {
    g.stop()
  }
  return { written, found }
}

test('guard({ writeSnapshot }) hands the path to the given writer once the finding is confirmed', async () => {
  const bus = new EventEmitter()
  bus.setMaxListeners(0)
  const { written, found } = await guardWithWriter((f) => {
    for (let i = 0; i < 20; i++) bus.on('tick', () => {})
    return f.some((l) => l.confirmed)
  })
  expect(found.map((l) => [l.event, !!l.confirmed])).toEqual([['tick', false], ['tick', true]])
  expect(found[0].snapshotPending).toBe(true)
  expect(written).toHaveLength(1)
  expect(path.dirname(written[0])).toBe(dir)
  expect(path.basename(written[0])).toMatch(new RegExp(`^leakguard-${process.pid}-.*\\.heapsnapshot$`))
  expect(found[1].snapshot).toBe(written[0])
})

test('a finding that stops growing within the next window gets no snapshot', async () => {
  // a burst of listeners that outlasts one window (60 ms x 12) and is then released: warned
  // (the floors rose), never confirmed, no snapshot
  const bus = new EventEmitter()
  bus.setMaxListeners(0)
  let releasedAt = null
  const { written, found } = await guardWithWriter((f) => {
    if (releasedAt === null) {
      if (f.length === 0) {
        for (let i = 0; i < 20; i++) bus.on('burst', () => {})
        return false
      }
      bus.removeAllListeners('burst')
      releasedAt = Date.now()
    }
    return Date.now() - releasedAt > 3 * 12 * 60 // three windows later
  })
  expect(found.map((l) => [l.event, !!l.confirmed])).toEqual([['burst', false]])
  expect(written).toEqual([])
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
