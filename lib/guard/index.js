'use strict'
// Guard mode: always-on leak detection for production, the second driver over the detector
// registry (the session is the first). Every `interval` each detector's sample() gives one point
// per series (listener totals, collection sizes and closed members, objects alive past their
// death, global collections, heap used after GC); guard's own trend engines (built from its own
// options) judge them, rising floors over a window, so bursts, plateaus and a sawtooth are not
// leaks. A series that grows becomes a finding made in Rust (crates/leakguard-core/src/growth.rs),
// warned once, and again only when it grows markedly faster. Instrumentation is sampled; nothing
// here forces a GC, blocks, or keeps memory unbounded.

const { builtin } = require('../builtin')
const binding = require('../native')
const session = require('../session')
const emitters = require('../instrument/emitters')
const { majorGCs } = require('../session/gc')
const { detectors } = require('../detectors')
const { Reporter, fromNative, setKey, kKey } = require('../findings/report')
const { internalWarning } = require('../errors')
const { SnapshotPolicy } = require('./snapshots')
const v8 = builtin('node:v8')
const timers = builtin('node:timers') // not an app's fakes
const { Metrics } = require('./metrics')
const { normalize, optionsFromEnv, GUARD_OPTIONS, ENV } = require('./options')

/** At most this many series are followed per trend engine (and as many keys remembered). */
const MAX_KEYS = 10000
/**
 * A heap finding's confirmation, and a confirmed one's second snapshot, wait for the heap to grow
 * by heapThreshold: for EXPLAIN_WINDOWS windows, or twice the time the leak took to grow that
 * much at the rate it was found with (the trend judges readings, which come with major GCs: at
 * a 1 s interval, debug@4.1.1's leak of ~1 MiB/s was found over ~2 minutes of readings, and
 * three 12 s windows never saw it grow by 32 MiB), and then until EXPLAIN_READINGS fresh
 * readings were seen, for at most MAX_EXTRA_WINDOWS more.
 */
const EXPLAIN_WINDOWS = 3
const EXPLAIN_READINGS = 3
const MAX_EXTRA_WINDOWS = 5
/** ... and never longer than this (a very slow leak). */
const MAX_WAIT_MS = 30 * 60 * 1000
/** A window that fell by more than this fraction of its range is a sawtooth, not a leak. */
const MAX_DROP = 0.5

/**
 * The trend of each series type: the least rise over a window that counts, and the window (in
 * samples of that series) when not guard's `window`. A point goes to the trend its `trend`
 * names, else its `meta.series`'s.
 */
const TRENDS = {
  listeners: { minGrowth: (o) => o.threshold },
  collectionSize: { minGrowth: (o) => o.threshold },
  collectionClosed: { minGrowth: () => 1 },
  retained: { minGrowth: () => 1 },
  global: { minGrowth: (o) => o.threshold },
  heap: { minGrowth: (o) => o.heapThreshold },
  // a heap that grows fast gets few major GCs (V8 raises its limits as it grows): three readings
  // of heap used after GC that each rose, by heapThreshold in all, are a finding without waiting
  // for a window of them
  heapFast: { minGrowth: (o) => o.heapThreshold, window: 3 },
}

function guardWarning(message) {
  internalWarning(message, 'LEAKGUARD_GUARD')
}

/** A trend engine over string-keyed series (the engine itself takes u32 keys). */
class Trend {
  constructor(config) {
    this.engine = new binding.TrendEngine(config)
    this.keys = new Map() // series key -> u32
    this.names = new Map() // u32 -> series key
    this.next = 1
  }

  /** One sample of `points` (every live series); returns `[{ key, growth }]` newly reportable. */
  observe(now, points) {
    const keys = []
    const values = []
    const live = new Set()
    for (const p of points) {
      let k = this.keys.get(p.key)
      if (k === undefined) {
        if (this.keys.size >= MAX_KEYS) continue
        k = this.next++ >>> 0
        this.keys.set(p.key, k)
        this.names.set(k, p.key)
      }
      live.add(k)
      keys.push(k)
      values.push(p.value)
    }
    // forget series that are gone (bounded by what is alive now)
    for (const [key, k] of this.keys) {
      if (!live.has(k)) {
        this.keys.delete(key)
        this.names.delete(k)
      }
    }
    return this.engine.observe(now, Uint32Array.from(keys), Float64Array.from(values)).map((g) => ({ key: this.names.get(g.key), growth: g }))
  }
}

let active = null

/** The heap detector (always in the registry; its readings are null / 0 while heap is off). */
const heapDetector = detectors.find((d) => d.kind === 'heap')

/**
 * Takes a snapshot by `policy` in an event-loop turn of its own, then calls `done(result)`
 * (`{ path }` or `{ skipped, warn }`); returns the Immediate. Written from guard's sample, the
 * snapshot's stack roots held guard's state (the Guard, its metrics, the finding being
 * confirmed), which a diff of it then listed as leak groups of a few hundred bytes beside the
 * real one: leakguard's own objects are told apart by what reaches them, and a stack reaches
 * anything. Here only this closure and the policy are on the stack.
 */
function snapshotInTurnOfItsOwn(policy, now, options, done) {
  const immediate = timers.setImmediate(() => {
    let r
    try {
      r = policy.take(now, options)
    } catch (err) {
      // an unusable snapshotDir (ENOTDIR, EACCES, EROFS, ...) costs the snapshot, never the finding
      r = { skipped: `the snapshot could not be written: ${err && err.message ? err.message : err}`, warn: true }
    }
    done(r)
  })
  immediate.unref() // a process on its way out is not held for a snapshot
  return immediate
}

const mib = (n) => `${(n / 1048576).toFixed(1)} MiB`

class Guard {
  constructor(options) {
    this.options = options
    this.cwd = process.cwd()
    this.reporter = new Reporter()
    this.metrics = new Metrics()
    this.stopped = false
    this.failures = new Map() // detector kind -> failed samples
    this.trends = new Map() // series type -> Trend
    this.owners = new Map() // series type -> the detector whose points it judges
    this.pending = new Map() // `${type}|${key}` -> { detector, meta, growth, waited }
    this.reported = new Set() // keys of the findings warned (first warnings only)
    this.confirming = new Map() // `${type}|${key}` -> { leak, type, key, to, due }: waiting for a second window before a snapshot
    this.explaining = new Map() // `${type}|${key}` -> { leak, from, due }: a confirmed heap finding waiting for its second snapshot
    this.holders = null // the HolderAnalysis that diffs a heap finding's two snapshots (snapshotDir only)
    this.analysing = false // one diff at a time
    this.writing = new Set() // Immediates of snapshots to take (snapshotInTurnOfItsOwn)
    this.boosted = false
    this.snapshots = null
    this.ownsSession = false
    this.htmlReport = null

    // before the instrumentation: the BroadcastChannel's own listeners are not the app's
    this.metrics.joinThreads(options.metricsPort, options.interval)
    if (!session.isStarted()) {
      session.start({ sampleRate: options.sampleRate, stacks: 'sampled', stackSampleRate: options.stackSampleRate, warn: false })
      this.ownsSession = true
    }
    majorGCs.start()
    try {
      for (const d of detectors) if (d.startSampling) d.startSampling(options)
      if (options.snapshotDir !== undefined) {
        this.snapshots = new SnapshotPolicy({
          dir: options.snapshotDir,
          cooldownMs: options.snapshotCooldown,
          maxCount: options.maxSnapshots,
          maxBytes: options.maxSnapshotBytes,
          memoryFactor: options.snapshotMemoryFactor,
          writer: options.writeSnapshot,
        })
        this.holders = new (require('./holders').HolderAnalysis)()
      }
      if (options.reportDir !== undefined) this.htmlReport = new (require('../report/guard').GuardReport)({ dir: options.reportDir })
      if (options.metricsPort !== undefined) {
        this.metrics.serve(options.metricsPort, options.metricsHost, (err) => guardWarning(`leakguard guard: the metrics endpoint could not listen on ${options.metricsHost}:${err && err.port !== undefined ? err.port : options.metricsPort}: ${err.message}`), options.interval)
      }
    } catch (err) {
      this.stop()
      throw err
    }
    this.timer = setInterval(() => this.sample(), options.interval)
    this.timer.unref()
  }

  trendOf(type) {
    let t = this.trends.get(type)
    if (t === undefined) {
      const o = this.options
      const spec = TRENDS[type]
      t = new Trend({ window: spec.window || o.window, segments: 3, minGrowth: spec.minGrowth(o), maxSeries: MAX_KEYS, maxDrop: MAX_DROP })
      this.trends.set(type, t)
    }
    return t
  }

  /** A detector's failure becomes (at most) a warning; the other detectors' samples go on. */
  failed(kind, err) {
    const n = (this.failures.get(kind) || 0) + 1
    this.failures.set(kind, n)
    if (n === 1 || n % 100 === 0) {
      guardWarning(`leakguard guard: sampling '${kind}' failed (${n} so far), guard mode keeps running: ${err && err.stack ? err.stack : err}`)
    }
  }

  /** One sample of every detector; never throws into the host. */
  sample() {
    if (this.stopped) return
    try {
      this.sampleNow(Date.now())
    } catch (err) {
      this.failed('guard', err)
    }
  }

  sampleNow(now) {
    majorGCs.release() // the next collection and major GC are observed (heap used after GC, retained objects)
    const context = { options: this.options, cwd: this.cwd }
    const all = []
    const byType = new Map() // series type -> { detector, points }
    const sampled = new Set() // the detectors whose sample() answered
    for (const d of detectors) {
      let points
      try {
        points = d.sample(now, context)
      } catch (err) {
        this.failed(d.kind, err)
        continue
      }
      sampled.add(d)
      for (const p of points) {
        if (p.trend === undefined) all.push(p) // (a second trend of one series is not a second gauge)
        const type = p.trend || p.meta.series
        this.owners.set(type, d)
        const t = byType.get(type)
        if (t === undefined) byType.set(type, { detector: d, points: [p] })
        else t.points.push(p)
      }
    }
    // a type with no point now is observed empty: its series are gone (unless its detector
    // failed this time, or gives points only when it has a reading: heap after a GC)
    for (const type of this.trends.keys()) {
      const owner = this.owners.get(type)
      if (!byType.has(type) && sampled.has(owner) && !owner.sporadic) byType.set(type, { detector: owner, points: [] })
    }
    for (const [type, { detector, points }] of byType) {
      const metaOf = new Map(points.map((p) => [p.key, p.meta]))
      for (const { key, growth } of this.trendOf(type).observe(now, points)) {
        const id = `${type}|${key}`
        const waiting = this.pending.get(id)
        // a finding still waiting for its add-site keeps its place: its first warning is never
        // replaced by a repeat
        if (waiting !== undefined) Object.assign(waiting, { meta: metaOf.get(key), growth: { ...growth, repeat: waiting.growth.repeat } })
        else this.pending.set(id, { detector, meta: metaOf.get(key), growth, waited: 0 })
      }
      for (const id of this.pending.keys()) {
        if (id.startsWith(`${type}|`) && !metaOf.has(id.slice(type.length + 1))) this.pending.delete(id)
      }
    }
    this.metrics.update(all, this.heapReading())
    if (this.htmlReport !== null) this.htmlReport.sample(now, all)
    if (this.confirming.size > 0) this.confirm(now, byType)
    if (this.explaining.size > 0) this.explainDue(now)
    const { series, ids } = this.ready()
    if (series.length > 0) this.report(fromNative(binding.evaluate({ kind: 'growth', series }, this.cwd)), now, ids)
  }

  /** The growing series whose detectors have said what they know of them. */
  ready() {
    let boost = false
    const sampling = { boost: () => (boost = true) }
    const series = []
    const ids = [] // { id, type, key, to } of each series, in order (evaluate gives one finding per series)
    for (const [id, p] of this.pending) {
      let meta = p.meta
      if (p.detector.growing) {
        try {
          meta = p.detector.growing(meta, { waited: p.waited, repeat: p.growth.repeat, sampling })
        } catch (err) {
          this.failed(p.detector.kind, err)
          this.pending.delete(id)
          continue
        }
        if (meta === null) {
          p.waited++
          continue
        }
      }
      this.pending.delete(id)
      series.push({ ...meta, growth: p.growth })
      const bar = id.indexOf('|')
      ids.push({ id, type: id.slice(0, bar), key: id.slice(bar + 1), to: p.growth.to, rate: p.growth.ratePerMinute })
    }
    this.boostStacks(boost)
    return { series, ids }
  }

  /** `{ until, readings }` of a heap wait starting now, for growth at `ratePerMinute` (see EXPLAIN_WINDOWS). */
  heapWait(now, ratePerMinute) {
    const o = this.options
    let wait = EXPLAIN_WINDOWS * o.window * o.interval
    if (ratePerMinute > 0) wait = Math.max(wait, Math.min(MAX_WAIT_MS, (2 * 60000 * o.heapThreshold) / ratePerMinute))
    return { until: now + wait, readings: heapDetector.readings() }
  }

  /** Whether a heap wait (heapWait) may end now: its time is over and EXPLAIN_READINGS fresh readings came, or MAX_EXTRA_WINDOWS more passed. */
  heapWaitOver(now, { until, readings }) {
    if (now < until) return false
    if (now >= until + MAX_EXTRA_WINDOWS * this.options.window * this.options.interval) return true
    return heapDetector.readings() - readings >= EXPLAIN_READINGS
  }

  heapReading() {
    return heapDetector.last()
  }

  /** While a listener finding waits for its add-site, every sampled add pays for a stack. */
  boostStacks(on) {
    if (!this.ownsSession || on === this.boosted || !emitters.isInstalled()) return
    this.boosted = on
    const o = this.options
    emitters.install({ sampleRate: o.sampleRate, stacks: 'sampled', stackSampleRate: on ? 1 : o.stackSampleRate })
  }

  report(found, now, ids) {
    // one series judged by two trends (heap, heapFast) is one finding: its first warning once
    const leaks = []
    found.forEach((leak, i) => {
      if (!leak.repeat) {
        const key = leak[kKey]
        if (this.reported.has(key)) return
        if (this.reported.size >= MAX_KEYS) this.reported.delete(this.reported.values().next().value)
        this.reported.add(key)
        // a heap snapshot is for a finding that persists: taken once the series still grew a
        // window later (a burst the next GC or the next minute gives back costs nothing)
        if (this.snapshots !== null && ids[i] !== undefined) this.awaitConfirmation(leak, ids[i], now)
      }
      leaks.push(leak)
    })
    this.emit(leaks, now)
  }

  emit(leaks, now) {
    const o = this.options
    // the trend engines report a series once, then only when it grows markedly faster
    const emitted = this.reporter.emit(leaks, { onLeak: o.onLeak, warn: o.warn, dedupe: false })
    const fresh = emitted.filter((leak) => !leak.confirmed) // a confirmation is no new finding
    for (const leak of fresh) this.metrics.finding(leak.kind)
    if (this.htmlReport !== null && fresh.length > 0) this.writeHtmlReport(now, fresh)
  }

  awaitConfirmation(leak, { id, type, key, to, rate }, now) {
    const o = this.options
    leak.snapshotPending = true
    if (this.confirming.size >= MAX_KEYS) this.confirming.delete(this.confirming.keys().next().value)
    const windowMs = o.window * o.interval
    // heap used after GC is read only after a collection, a few times a minute under a fast
    // leak: a heap finding waits as heapWait says for the readings that confirm it
    const heap = type === 'heap' || type === 'heapFast'
    const wait = heap ? this.heapWait(now, rate) : { until: now + windowMs }
    this.confirming.set(id, { leak, type, key, to, rate, due: now + windowMs, ...wait })
  }

  /**
   * Findings a window old: one whose series rose again by the trend's least growth is confirmed
   * (a second warning, `confirmed: true`, with the heap snapshot or `snapshotSkipped`); one that
   * did not (or whose series is gone) is dropped without a snapshot.
   */
  confirm(now, byType) {
    const o = this.options
    for (const [id, c] of this.confirming) {
      if (now < c.due) continue
      const heap = c.type === 'heap' || c.type === 'heapFast'
      let value
      if (heap) value = this.heapReading()
      else {
        const points = byType.get(c.type)
        const p = points && points.points.find((x) => x.key === c.key)
        value = p === undefined ? null : p.value
      }
      if (value === null || value === undefined || value < c.to + TRENDS[c.type].minGrowth(o)) {
        if (heap ? this.heapWaitOver(now, c) : now >= c.until) this.confirming.delete(id)
        continue
      }
      this.confirming.delete(id)
      const shown = (n) => (heap ? `${(n / 1048576).toFixed(1)} MiB` : String(n))
      const { snapshotPending, ...rest } = c.leak // eslint-disable-line no-unused-vars
      const leak = setKey({ ...rest, confirmed: true, message: `${c.leak.message}; still growing a window later: ${shown(c.to)} -> ${shown(value)}` }, c.leak[kKey])
      this.takeSnapshot(now, undefined, (r) => {
        if (r.path) {
          leak.snapshot = r.path
          leak.message += `; heap snapshot: ${r.path}`
        } else {
          leak.snapshotSkipped = r.skipped
        }
        // the wait starts once the snapshot is written: writing blocks the event loop for seconds
        // (17 s for a 180 MiB heap under debug@4.1.1's leak), which must not eat the wait
        // and from the heap the snapshot holds (V8 collected before writing it), not from the
        // last reading before it: what the leak added since that reading is in the first snapshot
        if (heap && leak.snapshot !== undefined) this.awaitHolders(leak, id, Math.max(value, v8.getHeapStatistics().used_heap_size), c.rate, Date.now())
        this.emit([leak], Date.now())
      })
    }
  }

  /**
   * One snapshot by the policy, in a turn of its own (snapshotInTurnOfItsOwn): `done({ path })`
   * or `done({ skipped })` (warned when worth it), never after stop(); never throws.
   */
  takeSnapshot(now, options, done) {
    const immediate = snapshotInTurnOfItsOwn(this.snapshots, now, options, (r) => {
      this.writing.delete(immediate)
      if (this.stopped) return
      try {
        if (r.path) this.metrics.snapshot()
        else if (r.warn) guardWarning(`leakguard guard: heap snapshot skipped: ${r.skipped}`)
        done(r)
      } catch (err) {
        this.failed('snapshot', err)
      }
    })
    this.writing.add(immediate)
  }

  /**
   * A confirmed heap finding with a snapshot: from a window later, once the heap grew again by
   * heapThreshold (waiting as heapWait says), a second snapshot (same policy, the cooldown excepted: one investigation) and
   * the diff of the two in a child process; the answer comes as a follow-up of the finding.
   */
  awaitHolders(leak, id, value, rate, now) {
    const o = this.options
    leak.holdersPending = true
    if (this.explaining.size >= MAX_KEYS) this.explaining.delete(this.explaining.keys().next().value)
    const windowMs = o.window * o.interval
    this.explaining.set(id, { leak, from: value, due: now + windowMs, ...this.heapWait(now, rate) })
  }

  explainDue(now) {
    const o = this.options
    for (const [id, e] of this.explaining) {
      if (now < e.due) continue
      const value = this.heapReading()
      // the diff needs the leak to stand out: heapThreshold more than at the first snapshot,
      // within the wait (a leak that ended, or slowed to a crawl, is let go)
      if (value === null || value < e.from + o.heapThreshold) {
        if (!this.heapWaitOver(now, e)) continue
        this.explaining.delete(id)
        const seen = value === null ? 'no reading since' : `${mib(e.from)} -> ${mib(value)}`
        this.explained(e.leak, now, { skipped: `the heap did not grow by heapThreshold (${mib(o.heapThreshold)}) in the ${Math.round((now - e.due) / 1000 + o.window * o.interval / 1000)} s after the first snapshot (${seen}): no second snapshot to compare` })
        continue
      }
      this.explaining.delete(id)
      if (this.analysing) {
        this.explained(e.leak, now, { skipped: 'another finding\'s snapshots are being compared' })
        continue
      }
      this.analysing = true // from now: one pair at a time
      this.takeSnapshot(now, { paired: true }, (r) => this.compare(e, r))
    }
  }

  /** The diff of a heap finding's first snapshot and its second (`r`, takeSnapshot's result), in the child. */
  compare(e, r) {
    if (!r.path) {
      this.analysing = false
      this.explained(e.leak, Date.now(), { skipped: `the second snapshot was skipped: ${r.skipped}` })
      return
    }
    const pair = [e.leak.snapshot, r.path]
    this.holders.run(pair[0], pair[1]).then(
      (answer) => {
        this.analysing = false
        if (!this.stopped) this.explained(e.leak, Date.now(), { ...answer, pair })
      },
      // run() never rejects; should it, the finding still gets its follow-up
      (err) => {
        this.analysing = false
        if (!this.stopped) this.explained(e.leak, Date.now(), { skipped: `the analysis failed: ${err && err.message ? err.message : err}`, pair })
      },
    )
  }

  /**
   * The follow-up of a confirmed heap finding: `explained: true` with the diff's leak groups
   * (`groups`, largest retained size first, holders named) and the message naming the top one,
   * or `holdersSkipped: reason`. Never throws.
   */
  explained(leak, now, { result, skipped, pair }) {
    try {
      const { holdersPending, ...rest } = leak // eslint-disable-line no-unused-vars
      const out = { ...rest }
      if (pair !== undefined) out.snapshots = pair
      if (result !== undefined) {
        const { describeGroup } = require('./holders')
        out.explained = true
        out.groups = result.groups
        out.newObjects = result.newObjects
        if (result.warnings && result.warnings.length > 0) out.diffWarnings = result.warnings
        const top = result.groups[0]
        const answer = top === undefined ? 'no leak group: nothing allocated between the two snapshots is still alive in the JavaScript heap' : describeGroup(top, this.cwd)
        out.message = `${leak.message}; who holds it: ${answer} (diff with a second heap snapshot: ${pair[1]})`
        this.metrics.heapDiff('done')
      } else {
        out.holdersSkipped = skipped
        out.message = `${leak.message}; who holds it: not analysed (${skipped})`
        this.metrics.heapDiff('skipped')
      }
      setKey(out, leak[kKey])
      this.emit([out], now)
      if (this.htmlReport !== null && out.explained) this.writeHtmlReport(now, [], out)
    } catch (err) {
      this.failed('holders', err)
    }
  }

  /** reportDir: the page is rewritten after each sample with findings; a failure costs the page only. */
  writeHtmlReport(now, leaks, explained) {
    try {
      if (leaks.length > 0) this.htmlReport.found(now, leaks)
      if (explained !== undefined) this.htmlReport.explained(explained)
      this.htmlReport.write()
    } catch (err) {
      this.failed('report', err)
    }
  }

  /** Gauges in Prometheus text format (serve it from your own /metrics if you like). */
  prometheus() {
    return this.metrics.prometheus()
  }

  stop() {
    if (this.stopped) return
    this.stopped = true
    if (this.timer) clearInterval(this.timer)
    for (const immediate of this.writing) timers.clearImmediate(immediate)
    this.writing.clear()
    this.explaining.clear()
    if (this.holders !== null) this.holders.cancel() // no child left behind
    for (const d of detectors) if (d.stopSampling) d.stopSampling()
    majorGCs.stop()
    this.metrics.close()
    if (this.ownsSession) session.stop()
    else this.boostStacks(false)
    if (active === this) active = null
  }
}

/**
 * Starts guard mode: sampled instrumentation, one sample every `interval` ms into the trend
 * engines, a LeakWarning (or `onLeak`) per sustained leak. Returns `{ stop(), metrics() }`;
 * `stop()` restores everything. A second call replaces the running guard.
 */
function guard(options) {
  const normalized = normalize(options)
  if (active !== null) active.stop()
  const g = new Guard(normalized)
  active = g
  return {
    stop: () => g.stop(),
    metrics: () => g.prometheus(),
  }
}

module.exports = { guard, optionsFromEnv, guardWarning, GUARD_OPTIONS, ENV }
