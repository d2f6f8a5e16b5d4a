'use strict'
// Guard mode as a user runs it: `node -r leakguard/guard app.js` on a real child process that
// simulates requests, configured by environment variables; LeakWarnings read from its output.

const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { EventEmitter } = require('node:events')
const leakguard = require('../index')
const { runNode, siteOf } = require('./helpers')

const GUARD = path.join(__dirname, '..', 'guard.js')
const APP = path.join(__dirname, 'fixtures', 'guard', 'app.js')

/** Runs the fixture app under `-r guard.js`; resolves with its warnings, exit code and `served`. */
async function runApp(env, { args = [] } = {}) {
  const r = await runNode(['-r', GUARD, ...args, APP], { LEAKGUARD_INTERVAL: '150', LEAKGUARD_SAMPLE_RATE: '0.05', RUN_MS: '4000', ...env })
  return { ...r, served: Number((/SERVED (\d+)/.exec(r.stdout) || [])[1]) }
}

describe('node -r leakguard/guard', () => {
  test('an app leaking one listener per request is warned once, naming the event and file:line', async () => {
    const r = await runApp({ MODE: 'leak' })
    expect(r.code).toBe(0)
    expect(r.served).toBeGreaterThan(100)
    const leaks = r.warnings.filter((w) => w.name === 'LeakWarning')
    expect(leaks).toHaveLength(1)
    const [w] = leaks
    expect(w.code).toBe('LEAKGUARD_LISTENERS')
    expect(w.kind).toBe('listeners')
    expect(w.event).toBe('config-changed')
    expect(w.site.startsWith(siteOf(APP, 'leak'))).toBe(true)
    expect(w.ratePerMinute).toBeGreaterThan(0)
    expect(w.message).toContain("'config-changed'")
    expect(w.message).toContain(`${path.relative(path.join(__dirname, '..'), APP)}:`)
    // the process-wide warning goes to stderr as well, like any Node warning
    expect(r.stderr).toContain('[LEAKGUARD_LISTENERS] LeakWarning')
  })

  test('a clean app under the same load for the same time is never warned', async () => {
    const r = await runApp({ MODE: 'clean' })
    expect(r.code).toBe(0)
    expect(r.served).toBeGreaterThan(100)
    expect(r.warnings).toEqual([])
  })

  test('a cache of listeners that fills and is cleared (a sawtooth) is never warned', async () => {
    const r = await runApp({ MODE: 'sawtooth' })
    expect(r.code).toBe(0)
    expect(r.served).toBeGreaterThan(300) // several clear cycles happened
    expect(r.warnings).toEqual([])
  })

  test('heap used after GC that keeps growing is a heap finding naming the allocation site', async () => {
    // the app keeps ~3-4 MiB a second on this machine (less under load): 1 MiB over a window of 6 samples is a margin of 3x.
    // The profile samples every 32 KiB (not 512): under load the heap grows slower, and a
    // profile of a handful of samples could name another function first (seen once in a full run)
    const r = await runApp({ MODE: 'heap', RUN_MS: '6000', LEAKGUARD_WINDOW: '6', LEAKGUARD_HEAP_THRESHOLD: String(1024 * 1024), LEAKGUARD_HEAP_SAMPLING_INTERVAL: String(32 * 1024) }, { args: ['--expose-gc'] })
    expect(r.code).toBe(0)
    const heap = r.warnings.filter((w) => w.code === 'LEAKGUARD_HEAP')
    expect(heap.length).toBeGreaterThanOrEqual(1)
    expect(heap[0].kind).toBe('heap')
    expect(heap[0].ratePerMinute).toBeGreaterThan(0)
    expect(heap[0].message).toMatch(/heap used after GC grew: [\d.]+ MiB -> [\d.]+ MiB/)
    expect(heap[0].allocations[0].site.startsWith(siteOf(APP, 'heap'))).toBe(true)
    expect(heap[0].allocations[0].functionName).toBe('makeEntry')
    expect(heap[0].message).toContain('most sampled live memory allocated in makeEntry (__tests__/fixtures/guard/app.js:')
  })

  test('guard mode never keeps the process alive', async () => {
    const r = await runApp({ MODE: 'idle', LEAKGUARD_INTERVAL: '50' })
    expect(r.code).toBe(0)
    expect(r.signal).toBe(null)
  })

  test('a bad environment variable is warned about and ignored; the app runs', async () => {
    const r = await runApp({ MODE: 'leak', LEAKGUARD_INTERVAL: 'often', RUN_MS: '300' })
    expect(r.code).toBe(0)
    expect(r.stderr).toMatch(/LEAKGUARD_INTERVAL="often" ignored: The "LEAKGUARD_INTERVAL" argument must be of type number/)
    expect(r.served).toBeGreaterThan(0)
  })

  test('LEAKGUARD_WARN=0 silences the warnings', async () => {
    const r = await runApp({ MODE: 'leak', LEAKGUARD_WARN: '0' })
    expect(r.code).toBe(0)
    expect(r.warnings).toEqual([])
  })
})

describe('leakguard.guard()', () => {
  const EE = EventEmitter.prototype
  const names = ['on', 'addListener', 'prependListener', 'once', 'prependOnceListener']

  test('stop() restores every patched method exactly and stops sampling', async () => {
    const before = names.map((n) => EE[n])
    const etBefore = EventTarget.prototype.addEventListener
    const found = []
    const g = leakguard.guard({ interval: 50, onLeak: (l) => found.push(l), heapProfile: false })
    expect(leakguard.isStarted()).toBe(true)
    expect(EE.on).not.toBe(before[0])
    g.stop()
    expect(names.map((n) => EE[n])).toEqual(before)
    names.forEach((n, i) => expect(EE[n]).toBe(before[i]))
    expect(EventTarget.prototype.addEventListener).toBe(etBefore)
    expect(leakguard.isStarted()).toBe(false)
    g.stop() // idempotent
    // no sample runs after stop(): a leak added now is never reported
    const bus = new EventEmitter()
    bus.setMaxListeners(0)
    for (let i = 0; i < 500; i++) bus.on('x', () => {})
    await new Promise((r) => setTimeout(r, 300))
    expect(found).toEqual([])
  })

  test('onLeak receives the finding in code, with its add-site', async () => {
    const found = []
    const g = leakguard.guard({ interval: 60, sampleRate: 0.2, onLeak: (l) => found.push(l), heap: false })
    const bus = new EventEmitter()
    bus.setMaxListeners(0)
    try {
      const start = Date.now()
      while (found.length === 0 && Date.now() - start < 30000) {
        for (let i = 0; i < 20; i++) bus.on('tick', () => {}) // @site inproc
        await new Promise((r) => setTimeout(r, 20))
      }
    } finally {
      g.stop()
    }
    expect(found).toHaveLength(1)
    expect(found[0]).toMatchObject({ kind: 'listeners', code: 'LEAKGUARD_LISTENERS', event: 'tick', emitter: 'EventEmitter' })
    expect(found[0].site.startsWith(siteOf(__filename, 'inproc'))).toBe(true)
  })

  test('a fast heap leak with few major GCs (none forced) is warned; a sawtooth of the same rate never is, and with snapshotDir gets no snapshot and no explained finding', async () => {
    // ~10 MB/s kept: V8 raises its limits as the heap grows, so major GCs come seconds apart
    const env = { LEAKGUARD_INTERVAL: '1000', LEAKGUARD_HEAP_PROFILE: '0', RUN_MS: '35000', UNTIL_WARNINGS: '1' }
    const snapshotDir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakguard-guard-sawtooth-'))
    try {
      const [leak, sawtooth] = await Promise.all([runApp({ ...env, MODE: 'heap' }), runApp({ ...env, MODE: 'heap-sawtooth', RUN_MS: '25000', LEAKGUARD_SNAPSHOT_DIR: snapshotDir, LEAKGUARD_SNAPSHOT_COOLDOWN: '0' })])
      expect(leak.code).toBe(0)
      const heap = leak.warnings.filter((w) => w.code === 'LEAKGUARD_HEAP')
      expect(heap).toHaveLength(1)
      expect(heap[0].message).toMatch(/^heap used after GC grew: [\d.]+ MiB -> [\d.]+ MiB \(\+[\d.]+ MiB\/min\)$/)
      expect(sawtooth.code).toBe(0)
      expect(sawtooth.warnings.filter((w) => w.name === 'LeakWarning')).toEqual([]) // (so no explained follow-up either)
      expect(fs.readdirSync(snapshotDir)).toEqual([])
    } finally {
      fs.rmSync(snapshotDir, { recursive: true, force: true })
    }
  }, 60000)

  test("guard's GC observer counts a major GC only after one really ran (Node 26's minor GCs clear weak targets)", () => {
    // every GC V8 ran, as a perf_hooks 'gc' observer saw them, against what the observer said
    const r = spawnSync(process.execPath, [path.join(__dirname, 'fixtures', 'guard', 'gc-observer.js')], { encoding: 'utf8', env: { PATH: process.env.PATH, RUN_MS: '4000' }, timeout: 30000 })
    expect(r.stderr).toBe('')
    const { majors, collections, gcs } = JSON.parse(r.stdout)
    const ran = gcs.filter((g) => g.major)
    expect(ran.length).toBeGreaterThanOrEqual(2)
    expect(majors.length).toBeGreaterThanOrEqual(1)
    expect(collections).toBeGreaterThanOrEqual(majors.length)
    // each observation has a major GC of its own, begun after the observation before it
    const unexplained = majors.filter((t, i) => !ran.some((g) => g.start < t && g.start > (i === 0 ? 0 : majors[i - 1])))
    expect({ unexplained, majors, ran: ran.map((g) => g.start) }).toEqual({ unexplained: [], majors, ran: ran.map((g) => g.start) })
  })

  test('objects past their death that no major GC has reached yet are not retained findings', async () => {
    // garbage promoted to the old generation waits for a major GC: guard never forces one, so
    // until the app's own major GCs have run it cannot tell garbage from a leak, and says nothing
    const r = await runApp({ MODE: 'watched-transient', LEAKGUARD_HEAP: '0' })
    expect(r.code).toBe(0)
    expect(r.warnings.filter((w) => w.name === 'LeakWarning')).toEqual([])
  })

  test('watched objects that survive major GCs and keep growing are one retained finding', async () => {
    const r = await runApp({ MODE: 'watched-leak', LEAKGUARD_HEAP: '0' }, { args: ['--expose-gc'] })
    expect(r.code).toBe(0)
    const retained = r.warnings.filter((w) => w.code === 'LEAKGUARD_RETAINED')
    expect(retained).toHaveLength(1)
    expect(retained[0].message).toMatch(/^'request context' objects still alive grew: \d+ -> \d+ /)
  })

  test('a server that keeps its closed sockets is a retained finding, though guard watches only some of the closes of an interval', async () => {
    // a connection per request, ~400 closes per 500 ms sample interval: more than guard mode
    // watches (CLOSES_PER_SAMPLE, 128), which bounds what the watch pins through scavenges
    const fixture = path.join(__dirname, 'fixtures', 'guard', 'closed-sockets.js')
    const r = await runNode(['--expose-gc', '-r', GUARD, fixture], { MODE: 'keep', LEAKGUARD_INTERVAL: '500', LEAKGUARD_HEAP: '0', RUN_MS: '30000' })
    expect(r.code).toBe(0)
    const retained = r.warnings.filter((w) => w.code === 'LEAKGUARD_RETAINED')
    expect({ retained: retained.length, other: r.warnings.filter((w) => w.code !== 'LEAKGUARD_RETAINED') }).toEqual({ retained: 1, other: [] })
    expect(retained[0].message).toMatch(/^'closed Socket' objects still alive grew: \d+ -> \d+ /)
  })

  test('the same server that keeps no closed socket is never warned', async () => {
    const fixture = path.join(__dirname, 'fixtures', 'guard', 'closed-sockets.js')
    const r = await runNode(['--expose-gc', '-r', GUARD, fixture], { MODE: 'clean', LEAKGUARD_INTERVAL: '500', LEAKGUARD_HEAP: '0', RUN_MS: '8000' })
    expect(r.code).toBe(0)
    expect(Number((/CLOSED (\d+)/.exec(r.stdout) || [])[1])).toBeGreaterThan(500)
    expect(r.warnings).toEqual([])
  })

  test('a revoked Proxy emitter and a collection member whose getters throw do not hide a listener leak', async () => {
    const found = []
    const warnings = []
    const onWarning = (w) => warnings.push(w)
    process.on('warning', onWarning)
    const g = leakguard.guard({ interval: 60, sampleRate: 1, onLeak: (l) => found.push(l), heap: false })
    const { proxy, revoke } = Proxy.revocable(new EventEmitter(), {})
    proxy.on('data', () => {})
    revoke()
    const hostile = new Proxy({}, { get() { throw new Error('getter throws') }, getPrototypeOf() { throw new Error('no prototype') } })
    leakguard.trackSet(new Set([hostile]), 'hostile members')
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
      process.off('warning', onWarning)
    }
    expect(found.map((l) => [l.kind, l.event])).toEqual([['listeners', 'tick']])
    expect(warnings.filter((w) => w.code === 'LEAKGUARD_GUARD')).toEqual([])
  })

  test('an emitter guard tracks keeps its hidden class (Node\'s functions stay monomorphic over Sockets)', () => {
    // guard tracks few emitters, but the busiest: a keep-alive server's Sockets. An own property
    // on a tracked one gave it a map of its own, and Node's stream and http code deoptimized
    const root = JSON.stringify(path.join(__dirname, '..'))
    const script = `
      const net = require('node:net')
      const leakguard = require(${root})
      const { idOf } = require(${root} + '/lib/instrument/emitters')
      const g = leakguard.guard({ warn: false, heap: false, sampleRate: 0.5 })
      const tracked = new net.Socket().setMaxListeners(0)
      const other = new net.Socket().setMaxListeners(0)
      for (let i = 0; i < 200; i++) tracked.on('data', () => {})
      other.on('data', () => {})
      console.log(JSON.stringify({ tracked: idOf(tracked) !== undefined, sameMap: %HaveSameMap(tracked, other) }))
      g.stop()`
    const r = spawnSync(process.execPath, ['--allow-natives-syntax', '-e', script], { encoding: 'utf8', env: { PATH: process.env.PATH }, timeout: 30000 })
    expect(r.stderr).toBe('')
    expect(JSON.parse(r.stdout)).toEqual({ tracked: true, sameMap: true })
  })

  test('bad options are TypeError / RangeError naming the option', () => {
    expect(() => leakguard.guard({ interval: 'fast' })).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('options.interval') }))
    expect(() => leakguard.guard({ sampleRate: 0 })).toThrow(expect.objectContaining({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE', message: expect.stringContaining('options.sampleRate') }))
    expect(() => leakguard.guard({ snapshotDirectory: '/tmp' })).toThrow(expect.objectContaining({ name: 'TypeError', message: expect.stringContaining('snapshotDirectory') }))
    expect(() => leakguard.guard({ onLeak: 1 })).toThrow(/options\.onLeak/)
    expect(leakguard.isStarted()).toBe(false)
  })
})
