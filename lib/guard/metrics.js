'use strict'
// leakguard's gauges for fleets: the Prometheus text exposition format (an endpoint of its own,
// or text to serve from the app's), and the OpenTelemetry metrics API when the app has it, so
// many processes roll up in the monitoring a team already runs.

const http = require('node:http')
const path = require('node:path')

const fleet = () => require('./fleet') // loaded (with node:cluster) only with a metrics port
const threads = () => require('./threads')

/** At most this many labelled series per family (the largest values): cardinality stays bounded. */
const MAX_SERIES = 50

/** The finding kinds guard mode reports: `leakguard_findings_total{kind}` has each from the start. */
const GUARD_KINDS = ['listeners', 'collection', 'retained', 'global', 'heap']

/**
 * Every family, present from the first scrape: Prometheus name, type, help, and the matching
 * OpenTelemetry instrument (name, kind, UCUM unit). Counts of live things are gauges in
 * Prometheus and asynchronous UpDownCounters in OpenTelemetry (additive across attributes, like
 * semconv's jvm.memory.used_after_last_gc); the monotonic counts are counters in both.
 */
const FAMILIES = [
  { name: 'leakguard_listeners', type: 'gauge', help: 'Live listeners per emitter and event (the largest series only)', otel: 'leakguard.listeners', instrument: 'upDownCounter', unit: '{listener}' },
  { name: 'leakguard_listeners_live', type: 'gauge', help: 'Live listeners on all tracked emitters (an emitter with more than 512 event names counts one per name plus what its busiest names hold)', otel: 'leakguard.listeners.live', instrument: 'upDownCounter', unit: '{listener}' },
  { name: 'leakguard_collection_size', type: 'gauge', help: 'Members of the collections registered with trackSet, by name', otel: 'leakguard.collection.size', instrument: 'upDownCounter', unit: '{member}' },
  { name: 'leakguard_collection_closed_members', type: 'gauge', help: 'Closed members (sockets, ...) kept by the collections registered with trackSet, by name', otel: 'leakguard.collection.closed_members', instrument: 'upDownCounter', unit: '{member}' },
  { name: 'leakguard_global_collection_size', type: 'gauge', help: 'Members of the Arrays, Maps and Sets that are properties of globalThis, by name', otel: 'leakguard.global_collection.size', instrument: 'upDownCounter', unit: '{member}' },
  { name: 'leakguard_retained_objects', type: 'gauge', help: 'Closed sockets and watched objects still alive past their grace period, by description', otel: 'leakguard.retained.objects', instrument: 'upDownCounter', unit: '{object}' },
  { name: 'leakguard_heap_used_after_gc_bytes', type: 'gauge', help: 'Heap used after the last major GC, in bytes (no sample until a major GC was seen)', otel: 'leakguard.heap.used_after_gc', instrument: 'upDownCounter', unit: 'By' },
  { name: 'leakguard_findings_total', type: 'counter', help: 'Findings reported since guard mode started, by kind', otel: 'leakguard.findings', instrument: 'counter', unit: '{finding}' },
  { name: 'leakguard_snapshots_total', type: 'counter', help: 'Heap snapshots written by guard mode', otel: 'leakguard.snapshots', instrument: 'counter', unit: '{snapshot}' },
  { name: 'leakguard_heap_diffs_total', type: 'counter', help: "Confirmed heap findings whose two snapshots guard mode compared to name who holds the growth (result=\"done\"), or could not (result=\"skipped\", the finding's holdersSkipped says why)", otel: 'leakguard.heap_diffs', instrument: 'counter', unit: '{diff}' },
]

/** Sample point series -> [family, label name, label value of a point]. */
const LABELLED = {
  listeners: ['leakguard_listeners', null, null],
  collectionSize: ['leakguard_collection_size', 'name', (m) => m.collection.name],
  collectionClosed: ['leakguard_collection_closed_members', 'name', (m) => m.collection.name],
  global: ['leakguard_global_collection_size', 'name', (m) => m.name],
  retained: ['leakguard_retained_objects', 'description', (m) => m.group.description],
}

function escapeLabel(value) {
  return String(value).replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')
}

function formatNumber(n) {
  if (Number.isNaN(n)) return 'NaN'
  if (n === Infinity) return '+Inf'
  if (n === -Infinity) return '-Inf'
  return String(n)
}

/**
 * Prometheus text format (version 0.0.4) of `values`: `{ [family]: [{ labels, value }] }`. Every
 * family of FAMILIES is written, with its HELP and TYPE, even when it has no sample yet.
 */
function formatPrometheus(values) {
  let out = ''
  for (const { name, help, type } of FAMILIES) {
    out += `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n`
    for (const { labels, value } of values[name] || []) {
      const keys = labels ? Object.keys(labels) : []
      const l = keys.length === 0 ? '' : `{${keys.map((k) => `${k}="${escapeLabel(labels[k])}"`).join(',')}}`
      out += `${name}${l} ${formatNumber(value)}\n`
    }
  }
  return out
}

/** Adds `value` to the row of `labels` (one series per label set: same-labelled sources add up). */
function add(rows, labels, value) {
  let id = ''
  for (const k in labels) id += `${labels[k]}\0`
  const row = rows.get(id)
  if (row === undefined) rows.set(id, { labels, value })
  else row.value += value
}

/** The largest `MAX_SERIES` rows. */
function top(rows) {
  if (rows.length <= MAX_SERIES) return rows
  return [...rows].sort((a, b) => b.value - a.value).slice(0, MAX_SERIES)
}

/** The OpenTelemetry API of the app, when it has one (never a dependency of leakguard). */
function loadOtel() {
  const paths = [process.cwd()]
  if (require.main && require.main.filename) paths.push(path.dirname(require.main.filename))
  try {
    return require(require.resolve('@opentelemetry/api', { paths }))
  } catch {
    return null
  }
}

/** The gauge rows of one sample's points and heap reading. */
function rowsOf(points, heapUsedAfterGC) {
  const rows = {}
  for (const [family] of Object.values(LABELLED)) rows[family] = new Map()
  let live = 0
  for (const p of points) {
    const m = p.meta
    const labelled = LABELLED[m.series]
    if (labelled === undefined) continue
    const [family, label, valueOf] = labelled
    if (m.names) {
      live += m.atLeast // an emitter with very many event names: its busiest are rows of their own
    } else if (m.series === 'listeners') {
      live += p.value
      add(rows[family], { emitter: m.emitter, event: m.event }, p.value)
    } else add(rows[family], { [label]: valueOf(m) }, p.value)
  }
  const v = {}
  for (const [family, r] of Object.entries(rows)) v[family] = top([...r.values()])
  v.leakguard_listeners_live = [{ labels: null, value: live }]
  if (heapUsedAfterGC !== null) v.leakguard_heap_used_after_gc_bytes = [{ labels: null, value: heapUsedAfterGC }]
  return v
}

class Metrics {
  constructor() {
    this.computed = { leakguard_listeners_live: [{ labels: null, value: 0 }] }
    this.latest = null // [points, heap reading] of the last sample, made into rows when read
    this.findings = new Map(GUARD_KINDS.map((kind) => [kind, 0]))
    this.snapshots = 0
    this.heapDiffs = new Map([['done', 0], ['skipped', 0]])
    this.server = null
    this.otel = loadOtel()
    this.otelProvider = null
    this.otelGauges = []
    this.aggregator = null
    this.fleetReporter = null
    this.threadCollector = null // main thread: the worker threads' gauges
    this.threadReporter = null // worker thread: posts this thread's to the main thread
  }

  /**
   * Worker threads (lib/guard/threads.js): in the main thread, the gauges worker threads post are
   * served with this thread's; in a worker thread with no metrics port of its own, this thread's
   * are posted to the main thread after each sample.
   */
  joinThreads(metricsPort, intervalMs) {
    if (!threads().isWorkerThread()) this.threadCollector = new (threads().ThreadCollector)()
    else if (metricsPort === undefined) this.threadReporter = new (threads().ThreadReporter)(intervalMs)
  }

  /**
   * Records one sample of the gauges from guard mode's sample points (`{ key, value, meta }`,
   * by `meta.series`) and the latest heap-used-after-GC reading (or null). The rows are made
   * when something reads them (a scrape, OpenTelemetry's collection), not at every sample: a
   * guard nobody scrapes pays nothing for its gauges.
   */
  update(points, heapUsedAfterGC) {
    this.latest = [points, heapUsedAfterGC]
    this.bindOtel()
    if (this.aggregator !== null) this.aggregator.poll() // workers forked since are told
    if (this.threadReporter !== null) this.threadReporter.post(this.all())
  }

  /** The gauges of the last sample: `{ [family]: [{ labels, value }] }`. */
  get values() {
    if (this.latest !== null) {
      this.computed = rowsOf(this.latest[0], this.latest[1])
      this.latest = null
    }
    return this.computed
  }

  /** Counts a warned finding of `kind`. */
  finding(kind) {
    this.findings.set(kind, (this.findings.get(kind) || 0) + 1)
  }

  snapshot() {
    this.snapshots++
  }

  /** Counts a heap finding's diff: `done` or `skipped`. */
  heapDiff(result) {
    this.heapDiffs.set(result, (this.heapDiffs.get(result) || 0) + 1)
  }

  all() {
    return {
      ...this.values,
      leakguard_findings_total: [...this.findings].map(([kind, value]) => ({ labels: { kind }, value })),
      leakguard_snapshots_total: [{ labels: null, value: this.snapshots }],
      leakguard_heap_diffs_total: [...this.heapDiffs].map(([result, value]) => ({ labels: { result }, value })),
    }
  }

  /** This thread's gauges and its worker threads' (`notes`: a comment line per thread left out). */
  allThreads() {
    if (this.threadCollector === null) return { values: this.all(), notes: [] }
    return this.threadCollector.merge(this.all())
  }

  /** Every family in Prometheus text format. */
  prometheus() {
    const { values, notes } = this.allThreads()
    return formatPrometheus(values) + notes.map((n) => `${n}\n`).join('')
  }

  /**
   * Serves `GET /metrics` on `host:port`; in a cluster, the primary serves every process's gauges
   * (a `worker` label on each row) and a worker answers it over IPC (lib/guard/fleet.js).
   */
  serve(port, host, onError, intervalMs) {
    if (fleet().isClusterWorker()) {
      this.fleetReporter = new (fleet().Reporter)(
        () => this.allThreads().values,
        (id) => this.listen(port === 0 ? 0 : port + id, host, onError, { exclusive: true }),
        intervalMs,
      )
      return
    }
    this.aggregator = new (fleet().Aggregator)()
    this.listen(port, host, onError)
  }

  /** The text of one scrape: this process's gauges, and in a cluster primary its workers' too. */
  async scrape() {
    if (this.aggregator === null) return this.prometheus()
    const own = this.allThreads()
    const { values, missing } = await this.aggregator.gather(own.values)
    let text = formatPrometheus(values)
    for (const n of own.notes) text += `${n}\n`
    for (const id of missing) text += `# leakguard: worker ${id} did not answer within ${fleet().REPLY_MS} ms\n`
    return text
  }

  /** Serves `GET /metrics` on `host:port` (the server never keeps the process alive). */
  listen(port, host, onError, { exclusive = false } = {}) {
    const server = http.createServer((req, res) => {
      if (req.method !== 'GET' || req.url.split('?')[0] !== '/metrics') {
        res.writeHead(404).end()
        return
      }
      this.scrape().then(
        (text) => {
          res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' })
          res.end(text)
        },
        () => res.writeHead(500).end(),
      )
    })
    server.on('error', onError)
    server.listen({ port, host, exclusive })
    server.unref()
    this.server = server
    return server
  }

  /**
   * Asynchronous instruments (UpDownCounters for live counts, Counters for the monotonic
   * ones, with units) on the app's global MeterProvider, re-bound if the app installs one later.
   */
  bindOtel() {
    const api = this.otel
    if (api === null || !api.metrics) return
    const provider = api.metrics.getMeterProvider()
    if (provider === this.otelProvider) return
    this.unbindOtel()
    this.otelProvider = provider
    const meter = provider.getMeter('leakguard')
    for (const f of FAMILIES) {
      const options = { description: f.help, unit: f.unit }
      const instrument = f.instrument === 'counter' ? meter.createObservableCounter(f.otel, options) : meter.createObservableUpDownCounter(f.otel, options)
      const callback = (result) => {
        for (const row of this.all()[f.name] || []) result.observe(row.value, row.labels || {})
      }
      instrument.addCallback(callback)
      this.otelGauges.push([instrument, callback])
    }
  }

  unbindOtel() {
    for (const [gauge, callback] of this.otelGauges) {
      try {
        gauge.removeCallback(callback)
      } catch {}
    }
    this.otelGauges = []
    this.otelProvider = null
  }

  close() {
    this.unbindOtel()
    if (this.aggregator !== null) this.aggregator.close()
    if (this.fleetReporter !== null) this.fleetReporter.close()
    if (this.threadCollector !== null) this.threadCollector.close()
    if (this.threadReporter !== null) this.threadReporter.close()
    this.aggregator = this.fleetReporter = this.threadCollector = this.threadReporter = null
    if (this.server !== null) {
      this.server.close()
      this.server = null
    }
  }
}

module.exports = { Metrics, formatPrometheus, FAMILIES }
