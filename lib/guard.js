'use strict'
// Guard mode: always-on leak detection for production. Every `interval` one sample of listener
// totals, tracked collection sizes, closed-but-retained objects and heap used after GC goes into
// the trend engine (one batched call); sustained growth (rising floors over a window, so bursts,
// plateaus and a sawtooth are not leaks) becomes a LeakWarning, once per finding and again only
// when it keeps growing markedly. Instrumentation is sampled (a fraction of adds is tracked, a
// fraction of those pays for a stack); nothing here forces a GC, blocks, or keeps memory unbounded.

const path = require('node:path')
const binding = require('../binding')
// the detectors guard mode samples (index.js registers the same ones)
require('./listeners')
require('./watch')
const emitters = require('./emitters')
const session = require('./session')
const { collectionLeaks, trackedSizes } = require('./collections')
const { retainedLeaks } = require('./watch')
const { Reporter, setKey } = require('./report')
const { HeapWatcher } = require('./heap')
const { SnapshotPolicy } = require('./guard-snapshots')
const { Metrics } = require('./metrics')
const v = require('./validate')

const MiB = 1024 * 1024
/** At most this many listener series get a key at once (the engine keeps at most as many). */
const MAX_KEYS = 10000
/** Samples a finding may wait for its add-site (stacks boosted meanwhile) before it is warned without one. */
const SITE_WAIT_SAMPLES = 4
/** A finding is warned again when its growth rate reached this factor of the rate last warned. */
const REGROW_RATE = 2
/** A window that fell by more than this fraction of its range is a sawtooth, not a leak. */
const MAX_DROP = 0.5

const positiveInt = (max) => (x, n) => v.validateNumber(x, n, 1, max, { integer: true })
const rate = (x, n) => {
  v.validateNumber(x, n, 0, 1)
  if (x === 0) throw v.rangeError(n, '> 0 && <= 1', x)
}

/** Options of guard(): { name: { default, validate } }. */
const GUARD_OPTIONS = {
  interval: { default: 10000, validate: (x, n) => v.validateNumber(x, n, 10, 2 ** 31 - 1, { integer: true }) },
  onLeak: { default: undefined, validate: (x, n) => v.validateFunction(x, n) },
  warn: { default: true, validate: (x, n) => v.validateBoolean(x, n) },
  sampleRate: { default: 0.002, validate: rate },
  stackSampleRate: { default: 0.05, validate: rate },
  window: { default: 12, validate: (x, n) => v.validateNumber(x, n, 3, 1000, { integer: true }) },
  threshold: { default: 10, validate: positiveInt(2 ** 32 - 1) },
  heap: { default: true, validate: (x, n) => v.validateBoolean(x, n) },
  heapThreshold: { default: 32 * MiB, validate: positiveInt(Number.MAX_SAFE_INTEGER) },
  heapProfile: { default: true, validate: (x, n) => v.validateBoolean(x, n) },
  heapSamplingInterval: { default: 512 * 1024, validate: positiveInt(2 ** 31 - 1) },
  snapshotDir: { default: undefined, validate: (x, n) => v.validateString(x, n) },
  snapshotCooldown: { default: 3600000, validate: (x, n) => v.validateNumber(x, n, 0, Number.MAX_SAFE_INTEGER) },
  maxSnapshots: { default: 3, validate: positiveInt(2 ** 31 - 1) },
  maxSnapshotBytes: { default: 2048 * MiB, validate: positiveInt(Number.MAX_SAFE_INTEGER) },
  snapshotMemoryFactor: { default: 2, validate: (x, n) => v.validateNumber(x, n, 0, Number.MAX_SAFE_INTEGER) },
  writeSnapshot: { default: undefined, validate: (x, n) => v.validateFunction(x, n) },
  metricsPort: { default: undefined, validate: (x, n) => v.validateNumber(x, n, 0, 65535, { integer: true }) },
  metricsHost: { default: '127.0.0.1', validate: (x, n) => v.validateString(x, n) },
}

function normalize(options) {
  const given = v.validateOptions(options, 'options', Object.keys(GUARD_OPTIONS))
  const out = {}
  for (const [name, spec] of Object.entries(GUARD_OPTIONS)) {
    const value = given[name]
    if (value === undefined) out[name] = spec.default
    else {
      spec.validate(value, `options.${name}`)
      out[name] = value
    }
  }
  return out
}

function guardWarning(message) {
  process.emitWarning(message, { type: 'LeakguardWarning', code: 'LEAKGUARD_GUARD' })
}

function relative(site, cwd) {
  if (typeof site !== 'string') return null
  const file = site.startsWith('file://') ? site.slice(7) : site
  return file.startsWith(cwd + path.sep) ? file.slice(cwd.length + 1) : file
}

const perMinute = (n, unit = '') => `${n >= 0 ? '+' : ''}${Number(n.toPrecision(3))}${unit}/min`
const mib = (n) => `${(n / MiB).toFixed(1)} MiB`

let active = null

class Guard {
  constructor(options) {
    this.options = options
    this.cwd = process.cwd()
    this.reporter = new Reporter()
    this.metrics = new Metrics()
    this.stopped = false
    this.failures = 0
    this.boosted = false
    this.pending = new Map() // listener key -> { growth, info, waited }
    this.keys = new Map() // `${emitterId}\0${event}` -> u32 key
    this.info = new Map() // u32 key -> { emitterId, emitter, event }
    this.nextKey = 1
    this.regrows = new Map() // finding key -> how many times it was warned
    this.rates = new Map() // finding key -> growth rate at its last warning
    const trend = { window: options.window, segments: 3, minGrowth: options.threshold, maxSeries: MAX_KEYS, maxDrop: MAX_DROP }
    this.listenerTrend = new binding.TrendEngine(trend)
    this.otherTrend = new binding.TrendEngine({ ...trend, minGrowth: 1 })
    this.otherKeys = new Map() // `collection|name` / `retained|description` -> u32 key
    this.nextOtherKey = 1
    this.heapTrend = new binding.TrendEngine({ window: options.window, segments: 3, minGrowth: options.heapThreshold, maxDrop: MAX_DROP })
    this.heap = null
    this.snapshots = null
    this.ownsSession = false

    if (!session.isStarted()) {
      session.start({ sampleRate: options.sampleRate, stacks: 'sampled', stackSampleRate: options.stackSampleRate, warn: false })
      this.ownsSession = true
    }
    try {
      if (options.heap) this.heap = new HeapWatcher({ profile: options.heapProfile, samplingInterval: options.heapSamplingInterval, armAt: options.heapThreshold / 4 })
      if (options.snapshotDir !== undefined) {
        this.snapshots = new SnapshotPolicy({
          dir: options.snapshotDir,
          cooldownMs: options.snapshotCooldown,
          maxCount: options.maxSnapshots,
          maxBytes: options.maxSnapshotBytes,
          memoryFactor: options.snapshotMemoryFactor,
          writer: options.writeSnapshot,
        })
      }
      if (options.metricsPort !== undefined) {
        this.metrics.listen(options.metricsPort, options.metricsHost, (err) => guardWarning(`leakguard guard: the metrics endpoint could not listen on ${options.metricsHost}:${options.metricsPort}: ${err.message}`))
      }
    } catch (err) {
      this.stop()
      throw err
    }
    this.timer = setInterval(() => this.sample(), options.interval)
    this.timer.unref()
  }

  /** One sample; an exception becomes (at most) a warning, never a crash of the host. */
  sample() {
    if (this.stopped) return
    try {
      this.sampleNow(Date.now())
    } catch (err) {
      this.failures++
      if (this.failures === 1 || this.failures % 100 === 0) {
        guardWarning(`leakguard guard: a sample failed (${this.failures} so far), guard mode keeps running: ${err && err.stack ? err.stack : err}`)
      }
    }
  }

  sampleNow(now) {
    const leaks = []
    const totals = emitters.collectTotals()
    leaks.push(...this.sampleListeners(now, totals))
    const { collections, retained, found } = this.sampleTracked(now)
    leaks.push(...found)
    let heapUsedAfterGC = this.heap === null ? null : this.heap.last
    if (this.heap !== null) {
      const reading = this.heap.take()
      if (reading !== null) {
        heapUsedAfterGC = reading.usedAfterGC
        for (const g of this.heapTrend.observe(now, Uint32Array.of(1), Float64Array.of(reading.usedAfterGC))) {
          if (this.worth('heap', g)) leaks.push(this.heapLeak(g))
        }
      }
    }
    this.metrics.update({ totals, collections, retained, heapUsedAfterGC })
    if (leaks.length > 0) this.report(leaks, now)
  }

  keyOf(t) {
    const id = `${t.emitterId}\0${t.event}`
    let key = this.keys.get(id)
    if (key === undefined) {
      if (this.keys.size >= MAX_KEYS) return undefined
      key = this.nextKey++
      this.keys.set(id, key)
    }
    this.info.set(key, t)
    return key
  }

  sampleListeners(now, totals) {
    const keys = []
    const values = []
    const live = new Set()
    for (const t of totals) {
      const key = this.keyOf(t)
      if (key === undefined) continue
      keys.push(key)
      values.push(t.count)
      live.add(key)
    }
    // forget emitters and events that are gone (bounded by what is alive now)
    for (const [id, key] of this.keys) {
      if (!live.has(key)) {
        this.keys.delete(id)
        this.info.delete(key)
        this.pending.delete(key)
      }
    }
    for (const g of this.listenerTrend.observe(now, Uint32Array.from(keys), Float64Array.from(values))) {
      const info = this.info.get(g.key)
      if (info && !this.worth(`listeners|${info.emitterId}|${info.event}`, g)) continue
      this.pending.set(g.key, { growth: g, waited: 0 })
    }
    if (this.pending.size === 0) return []
    // name the dominant add-site of each growing series: the site most of its tagged live
    // listeners were added at; wait a few samples (with more stacks captured) when none is known
    const sites = this.dominantSites()
    const out = []
    for (const [key, p] of this.pending) {
      const info = this.info.get(key)
      const site = info ? sites.get(`${info.emitterId}\0${info.event}`) : undefined
      if (site === undefined && p.waited < SITE_WAIT_SAMPLES && !p.growth.repeat) {
        p.waited++
        continue
      }
      this.pending.delete(key)
      if (info) out.push(this.listenerLeak(info, p.growth, site || null))
    }
    this.boostStacks(this.pending.size > 0)
    return out
  }

  dominantSites() {
    const best = new Map()
    for (const g of emitters.collectGroups({ sinceBaseline: false })) {
      if (g.site === null) continue
      const id = `${g.emitterId}\0${g.event}`
      const b = best.get(id)
      if (b === undefined || g.count > b.count) best.set(id, { site: g.site, count: g.count })
    }
    return new Map([...best].map(([id, b]) => [id, b.site]))
  }

  /** While a finding waits for its add-site, every sampled add pays for a stack. */
  boostStacks(on) {
    if (!this.ownsSession || on === this.boosted || !emitters.isInstalled()) return
    this.boosted = on
    const o = this.options
    emitters.install({ sampleRate: o.sampleRate, stacks: 'sampled', stackSampleRate: on ? 1 : o.stackSampleRate })
  }

  listenerLeak(info, g, site) {
    const shown = relative(site, this.cwd)
    const at = shown === null ? 'add-site not captured yet (stacks are sampled)' : `added at ${shown}`
    const verb = g.repeat ? 'keep growing' : 'grew'
    const leak = {
      kind: 'listeners',
      code: 'LEAKGUARD_LISTENERS',
      message: `listeners for '${info.event}' on ${info.emitter} ${verb}: ${g.from} -> ${g.to} (${perMinute(g.ratePerMinute)}) without matching removals, ${at}`,
      count: g.to,
      emitter: info.emitter,
      event: info.event,
      site,
      ratePerMinute: g.ratePerMinute,
      from: g.from,
      repeat: g.repeat,
    }
    return this.keyed(leak, `listeners|${info.emitterId}|${info.event}`, g)
  }

  /**
   * A growing series is warned the first time, then again only when it grows markedly faster
   * (its rate at least doubled since the last warning): one steady leak is one warning.
   */
  worth(id, g) {
    const last = this.rates.get(id)
    return !(g.repeat && last !== undefined && !(g.ratePerMinute >= last * REGROW_RATE))
  }

  remember(id, g) {
    if (this.rates.size >= MAX_KEYS) this.rates.delete(this.rates.keys().next().value)
    this.rates.set(id, g.ratePerMinute)
  }

  keyed(leak, id, g) {
    if (g !== undefined) this.remember(id, g)
    const n = this.regrows.get(id) || 0
    if (this.regrows.size >= MAX_KEYS) this.regrows.delete(this.regrows.keys().next().value)
    this.regrows.set(id, n + 1)
    return setKey(leak, `${id}|${n}`)
  }

  otherKey(id) {
    let key = this.otherKeys.get(id)
    if (key === undefined) {
      if (this.otherKeys.size >= MAX_KEYS) return undefined
      key = this.nextOtherKey++
      this.otherKeys.set(id, key)
    }
    return key
  }

  /** Tracked collections (trackSet) and closed-but-retained objects: sizes into the trend engine. */
  sampleTracked(now) {
    const collections = []
    const retained = []
    const found = []
    const keys = []
    const values = []
    const rows = new Map()
    for (const leak of collectionLeaks({ cwd: this.cwd, now })) {
      // growth of a collection is judged by its own trend engine: warned as it comes
      if (leak.ratePerMinute !== undefined) found.push(this.keyed(leak, `collection|${leak.name}|growth`))
      else {
        // closed members kept: a finding only when their number keeps rising
        const key = this.otherKey(`collection|${leak.name}`)
        if (key === undefined) continue
        keys.push(key)
        values.push(leak.count)
        rows.set(key, leak)
      }
    }
    for (const c of trackedSizes()) collections.push(c)
    for (const leak of retainedLeaks({ graceMs: this.options.interval, now })) {
      retained.push({ description: leak.description, count: leak.count })
      const key = this.otherKey(`retained|${leak.description}`)
      if (key === undefined) continue
      keys.push(key)
      values.push(leak.count)
      rows.set(key, leak)
    }
    const live = new Set(keys)
    for (const [id, key] of this.otherKeys) if (!live.has(key)) this.otherKeys.delete(id)
    for (const g of this.otherTrend.observe(now, Uint32Array.from(keys), Float64Array.from(values))) {
      const leak = rows.get(g.key)
      if (leak === undefined) continue
      const id = leak.kind === 'retained' ? `retained|${leak.description}` : `collection|${leak.name}|closed`
      if (!this.worth(id, g)) continue
      const what = leak.kind === 'retained' ? `'${leak.description}' objects still alive` : `closed members kept in '${leak.name}'`
      const verb = g.repeat ? 'keep growing' : 'grew'
      const out = { ...leak, message: `${what} ${verb}: ${g.from} -> ${g.to} (${perMinute(g.ratePerMinute)}); ${leak.message}`, ratePerMinute: g.ratePerMinute, repeat: g.repeat }
      found.push(this.keyed(out, id, g))
    }
    return { collections, retained, found }
  }

  heapLeak(g) {
    const leak = {
      kind: 'heap',
      code: 'LEAKGUARD_HEAP',
      message: `heap used after GC ${g.repeat ? 'keeps growing' : 'grew'}: ${mib(g.from)} -> ${mib(g.to)} (${perMinute(g.ratePerMinute / MiB, ' MiB')})`,
      count: Math.max(0, Math.round(g.to - g.from)),
      heapUsed: g.to,
      from: g.from,
      ratePerMinute: g.ratePerMinute,
      repeat: g.repeat,
    }
    const allocations = this.heap.topSites(5)
    if (allocations.length > 0) {
      leak.allocations = allocations
      const a = allocations[0]
      leak.message += `; most sampled live memory allocated in ${a.functionName} (${relative(a.site, this.cwd)}) (${mib(a.bytes)}, ${a.growth >= 0 ? '+' : ''}${mib(a.growth)} since the last profile)`
    }
    return this.keyed(leak, 'heap', g)
  }

  report(leaks, now) {
    const o = this.options
    // every leak here is new: the trend engine reports a series once, then only on marked regrowth
    if (this.snapshots !== null) {
      for (const leak of leaks) {
        if (leak.repeat) continue
        const r = this.snapshots.take(now)
        if (r.path) {
          leak.snapshot = r.path
          leak.message += `; heap snapshot: ${r.path}`
          this.metrics.snapshot()
        } else {
          leak.snapshotSkipped = r.skipped
          if (r.warn) guardWarning(`leakguard guard: heap snapshot skipped: ${r.skipped}`)
        }
      }
    }
    for (const leak of this.reporter.emit(leaks, { onLeak: o.onLeak, warn: o.warn })) this.metrics.finding(leak.kind)
  }

  /** Gauges in Prometheus text format (serve it from your own /metrics if you like). */
  prometheus() {
    return this.metrics.prometheus()
  }

  stop() {
    if (this.stopped) return
    this.stopped = true
    if (this.timer) clearInterval(this.timer)
    if (this.heap !== null) this.heap.stop()
    this.metrics.close()
    if (this.ownsSession) session.stop()
    else this.boostStacks(false)
    if (active === this) active = null
  }
}

/** Environment variables of `-r leakguard/guard`, each mapped to the option it sets. */
const ENV = {
  LEAKGUARD_INTERVAL: ['interval', 'number'],
  LEAKGUARD_SAMPLE_RATE: ['sampleRate', 'number'],
  LEAKGUARD_STACK_SAMPLE_RATE: ['stackSampleRate', 'number'],
  LEAKGUARD_WINDOW: ['window', 'number'],
  LEAKGUARD_THRESHOLD: ['threshold', 'number'],
  LEAKGUARD_WARN: ['warn', 'boolean'],
  LEAKGUARD_HEAP: ['heap', 'boolean'],
  LEAKGUARD_HEAP_THRESHOLD: ['heapThreshold', 'number'],
  LEAKGUARD_HEAP_PROFILE: ['heapProfile', 'boolean'],
  LEAKGUARD_HEAP_SAMPLING_INTERVAL: ['heapSamplingInterval', 'number'],
  LEAKGUARD_SNAPSHOT_DIR: ['snapshotDir', 'string'],
  LEAKGUARD_SNAPSHOT_COOLDOWN: ['snapshotCooldown', 'number'],
  LEAKGUARD_MAX_SNAPSHOTS: ['maxSnapshots', 'number'],
  LEAKGUARD_MAX_SNAPSHOT_BYTES: ['maxSnapshotBytes', 'number'],
  LEAKGUARD_SNAPSHOT_MEMORY_FACTOR: ['snapshotMemoryFactor', 'number'],
  LEAKGUARD_METRICS_PORT: ['metricsPort', 'number'],
  LEAKGUARD_METRICS_HOST: ['metricsHost', 'string'],
}

/**
 * guard() options from `env`. A variable that does not parse or validate is left out and
 * reported in `problems` (a typo in the environment must not take the app down).
 */
function optionsFromEnv(env) {
  const options = {}
  const problems = []
  for (const [variable, [name, type]] of Object.entries(ENV)) {
    const raw = env[variable]
    if (raw === undefined || raw === '') continue
    let value = raw
    if (type === 'number') value = Number(raw)
    else if (type === 'boolean') {
      const lower = raw.toLowerCase()
      value = ['1', 'true', 'yes', 'on'].includes(lower) ? true : ['0', 'false', 'no', 'off'].includes(lower) ? false : raw
    }
    try {
      GUARD_OPTIONS[name].validate(value, variable)
      options[name] = value
    } catch (err) {
      problems.push(`${variable}=${JSON.stringify(raw)} ignored: ${err.message}`)
    }
  }
  return { options, problems }
}

/**
 * Starts guard mode: sampled instrumentation, one sample every `interval` ms into the trend
 * engine, a LeakWarning (or `onLeak`) per sustained leak. Returns `{ stop(), metrics() }`;
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
