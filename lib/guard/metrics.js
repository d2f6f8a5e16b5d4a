'use strict'
// leakguard's gauges for fleets: the Prometheus text exposition format (an endpoint of its own,
// or text to serve from the app's), and the OpenTelemetry metrics API when the app has it, so
// many processes roll up in the monitoring a team already runs.

const http = require('node:http')
const path = require('node:path')

/** At most this many labelled series per gauge (the largest values): cardinality stays bounded. */
const MAX_SERIES = 50

const GAUGES = [
  ['leakguard_listeners', 'Live listeners per emitter label and event (largest series only)', 'gauge'],
  ['leakguard_listeners_total', 'Live listeners on all tracked emitters', 'gauge'],
  ['leakguard_collection_size', 'Size of each collection registered with trackSet', 'gauge'],
  ['leakguard_retained_objects', 'Closed sockets and watched objects still alive, by description', 'gauge'],
  ['leakguard_heap_used_after_gc_bytes', 'Heap used after the last major GC', 'gauge'],
  ['leakguard_findings_total', 'Findings warned since guard mode started, by kind', 'counter'],
  ['leakguard_snapshots_total', 'Heap snapshots written by guard mode', 'counter'],
]

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
 * Prometheus text format (version 0.0.4) of `values`: `{ [metricName]: [{ labels, value }] }`.
 */
function formatPrometheus(values) {
  let out = ''
  for (const [name, help, type] of GAUGES) {
    const rows = values[name]
    if (!rows || rows.length === 0) continue
    out += `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n`
    for (const { labels, value } of rows) {
      const keys = labels ? Object.keys(labels) : []
      const l = keys.length === 0 ? '' : `{${keys.map((k) => `${k}="${escapeLabel(labels[k])}"`).join(',')}}`
      out += `${name}${l} ${formatNumber(value)}\n`
    }
  }
  return out
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

class Metrics {
  constructor() {
    this.values = {}
    this.findings = new Map()
    this.snapshots = 0
    this.server = null
    this.otel = loadOtel()
    this.otelProvider = null
    this.otelGauges = []
  }

  /**
   * Records one sample of the gauges from guard mode's sample points (`{ key, value, meta }`,
   * by `meta.series`) and the latest heap-used-after-GC reading (or null).
   */
  update(points, heapUsedAfterGC) {
    const listeners = new Map() // one series per label set: same-labelled emitters add up
    const collections = []
    const retained = []
    let sum = 0
    for (const p of points) {
      const m = p.meta
      if (m.series === 'listeners') {
        sum += p.value
        const id = `${m.emitter}\0${m.event}`
        const row = listeners.get(id)
        if (row === undefined) listeners.set(id, { labels: { emitter: m.emitter, event: m.event }, value: p.value })
        else row.value += p.value
      } else if (m.series === 'collectionSize') collections.push({ labels: { name: m.collection.name }, value: p.value })
      else if (m.series === 'retained') retained.push({ labels: { description: m.group.description }, value: p.value })
    }
    const v = {}
    v.leakguard_listeners = top([...listeners.values()])
    v.leakguard_listeners_total = [{ labels: null, value: sum }]
    v.leakguard_collection_size = top(collections)
    v.leakguard_retained_objects = top(retained)
    if (heapUsedAfterGC !== null) v.leakguard_heap_used_after_gc_bytes = [{ labels: null, value: heapUsedAfterGC }]
    this.values = v
    this.bindOtel()
  }

  /** Counts a warned finding of `kind`. */
  finding(kind) {
    this.findings.set(kind, (this.findings.get(kind) || 0) + 1)
  }

  snapshot() {
    this.snapshots++
  }

  all() {
    return {
      ...this.values,
      leakguard_findings_total: [...this.findings].map(([kind, value]) => ({ labels: { kind }, value })),
      leakguard_snapshots_total: [{ labels: null, value: this.snapshots }],
    }
  }

  /** The gauges in Prometheus text format. */
  prometheus() {
    return formatPrometheus(this.all())
  }

  /** Serves `GET /metrics` on `host:port` (the server never keeps the process alive). */
  listen(port, host, onError) {
    const server = http.createServer((req, res) => {
      if (req.method !== 'GET' || req.url.split('?')[0] !== '/metrics') {
        res.writeHead(404).end()
        return
      }
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' })
      res.end(this.prometheus())
    })
    server.on('error', onError)
    server.listen(port, host)
    server.unref()
    this.server = server
    return server
  }

  /** Observable gauges on the app's global MeterProvider, re-bound if the app installs one later. */
  bindOtel() {
    const api = this.otel
    if (api === null || !api.metrics) return
    const provider = api.metrics.getMeterProvider()
    if (provider === this.otelProvider) return
    this.unbindOtel()
    this.otelProvider = provider
    const meter = provider.getMeter('leakguard')
    for (const [name, help] of GAUGES) {
      const gauge = meter.createObservableGauge(name.replace(/_/g, '.'), { description: help })
      const callback = (result) => {
        for (const row of this.all()[name] || []) result.observe(row.value, row.labels || {})
      }
      gauge.addCallback(callback)
      this.otelGauges.push([gauge, callback])
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
    if (this.server !== null) {
      this.server.close()
      this.server = null
    }
  }
}

module.exports = { Metrics, formatPrometheus, GAUGES }
