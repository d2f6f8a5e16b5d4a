'use strict'
// Guard mode's gauges: the Prometheus endpoint (parsed by a real Prometheus text parser) and the
// OpenTelemetry metrics API with the real SDK registered by the "app".

const { EventEmitter } = require('node:events')
const parsePrometheus = require('parse-prometheus-text-format')
const otel = require('@opentelemetry/api')
const { MeterProvider, MetricReader } = require('@opentelemetry/sdk-metrics')
const leakguard = require('../index')
const { freePort, httpGet, sleep, until } = require('./helpers')

const get = (port, urlPath) => httpGet(`http://127.0.0.1:${port}${urlPath}`)

const family = (families, name) => families.find((f) => f.name === name)

// a full GC on demand, as the app's own would run
require('node:v8').setFlagsFromString('--expose-gc')
const gc = require('node:vm').runInNewContext('gc')

test('GET /metrics serves the gauges in Prometheus text format', async () => {
  const port = await freePort()
  const g = leakguard.guard({ interval: 50, sampleRate: 1, heapProfile: false, metricsPort: port, warn: false })
  const bus = new EventEmitter()
  bus.setMaxListeners(0)
  const sessions = leakguard.trackSet(new Set([{}, {}, {}]), 'sessions')
  const listeners = []
  try {
    for (let i = 0; i < 25; i++) {
      const fn = () => {}
      listeners.push(fn)
      bus.on('message', fn)
    }
    const res = await until(async () => {
      const r = await get(port, '/metrics')
      return r.body.includes('leakguard_collection_size{name="sessions"}') ? r : null
    })
    expect(res.status).toBe(200)
    expect(res.type).toMatch(/^text\/plain; version=0\.0\.4/)
    const families = parsePrometheus(res.body)
    const total = family(families, 'leakguard_listeners_live')
    expect(total.type).toBe('GAUGE')
    expect(Number(total.metrics[0].value)).toBeGreaterThanOrEqual(25)
    const perEvent = family(families, 'leakguard_listeners').metrics.find((m) => m.labels.event === 'message')
    expect(perEvent).toEqual({ labels: { emitter: 'EventEmitter', event: 'message' }, value: '25' })
    const size = family(families, 'leakguard_collection_size').metrics.find((m) => m.labels.name === 'sessions')
    expect(size.value).toBe('3')
    expect(family(families, 'leakguard_snapshots_total').type).toBe('COUNTER')
    // the same text, for apps that serve it from their own server
    // (a sample may land between the two reads: a family can appear, e.g. heap after the first
    // major GC, never go)
    expect(parsePrometheus(g.metrics()).map((f) => f.name)).toEqual(expect.arrayContaining(families.map((f) => f.name)))
    expect((await get(port, '/other')).status).toBe(404)
  } finally {
    g.stop()
  }
  // stop() closes the endpoint
  await expect(get(port, '/metrics')).rejects.toThrow(/ECONNREFUSED/)
  expect(sessions.size).toBe(3)
})

const FAMILIES = [
  ['leakguard_listeners', 'GAUGE'],
  ['leakguard_listeners_live', 'GAUGE'],
  ['leakguard_collection_size', 'GAUGE'],
  ['leakguard_collection_closed_members', 'GAUGE'],
  ['leakguard_global_collection_size', 'GAUGE'],
  ['leakguard_retained_objects', 'GAUGE'],
  ['leakguard_heap_used_after_gc_bytes', 'GAUGE'],
  ['leakguard_findings_total', 'COUNTER'],
  ['leakguard_snapshots_total', 'COUNTER'],
  ['leakguard_heap_diffs_total', 'COUNTER'],
]

/** Label sets that appear more than once in a family (Prometheus rejects such a scrape). */
function duplicates(families) {
  const dup = []
  for (const f of families) {
    const seen = new Set()
    for (const m of f.metrics) {
      const id = `${f.name}${JSON.stringify(Object.entries(m.labels || {}).sort())}`
      if (seen.has(id)) dup.push(id)
      seen.add(id)
    }
  }
  return dup
}

/** The same families and samples written by prom-client (the reference client library), parsed. */
async function asPromClient(families) {
  const client = require('prom-client')
  const registry = new client.Registry()
  for (const f of families) {
    const labelNames = [...new Set(f.metrics.flatMap((m) => Object.keys(m.labels || {})))]
    const Type = f.type === 'COUNTER' ? client.Counter : client.Gauge
    const metric = new Type({ name: f.name, help: f.help, labelNames, registers: [registry] })
    for (const m of f.metrics) {
      if (f.type === 'COUNTER') metric.inc(m.labels || {}, Number(m.value))
      else metric.set(m.labels || {}, Number(m.value))
    }
  }
  return parsePrometheus(await registry.metrics())
}

test('every family is served from the start, before any sample, with counters at 0', async () => {
  const port = await freePort()
  const g = leakguard.guard({ interval: 60000, heapProfile: false, metricsPort: port, warn: false })
  try {
    const res = await until(() => get(port, '/metrics').catch(() => null))
    const families = parsePrometheus(res.body)
    expect(families.map((f) => [f.name, f.type])).toEqual(FAMILIES)
    expect(family(families, 'leakguard_findings_total').metrics).toEqual(['listeners', 'collection', 'retained', 'global', 'heap'].map((kind) => ({ labels: { kind }, value: '0' })))
    expect(family(families, 'leakguard_snapshots_total').metrics).toEqual([{ value: '0' }])
    expect(family(families, 'leakguard_heap_diffs_total').metrics).toEqual(['done', 'skipped'].map((result) => ({ labels: { result }, value: '0' })))
    expect(family(families, 'leakguard_listeners_live').metrics).toEqual([{ value: '0' }])
    expect(family(families, 'leakguard_heap_used_after_gc_bytes').metrics).toEqual([]) // no major GC seen yet: no sample rather than a false 0
    expect(family(families, 'leakguard_heap_used_after_gc_bytes').help).toMatch(/in bytes/)
    expect(res.body).not.toMatch(/leakguard_listeners_total/)
  } finally {
    g.stop()
  }
})

test('one series per label set: same-labelled emitters, collections and watched objects add up; as prom-client writes them', async () => {
  const port = await freePort()
  const g = leakguard.guard({ interval: 50, sampleRate: 1, heapProfile: false, metricsPort: port, warn: false })
  const buses = [new EventEmitter(), new EventEmitter()]
  const fn = () => {}
  const pools = [leakguard.trackSet(new Set([1, 2]), 'pool'), leakguard.trackSet(new Set([3, 4, 5]), 'pool')]
  const sessions = [{}, {}]
  globalThis.lgMetricsCache = [1, 2, 3]
  try {
    for (const bus of buses) for (let i = 0; i < 3; i++) bus.on('dup', fn)
    for (const s of sessions) leakguard.watch(s, 'session')
    const families = await until(async () => {
      gc() // watched objects count once they survived a major GC (guard mode never forces one itself)
      const f = parsePrometheus((await get(port, '/metrics')).body)
      const retained = family(f, 'leakguard_retained_objects').metrics.find((m) => m.labels.description === 'session')
      return retained ? f : null
    })
    expect(families.map((f) => [f.name, f.type])).toEqual(FAMILIES)
    expect(duplicates(families)).toEqual([])
    const value = (name, labels) => family(families, name).metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels[k] === v))?.value
    expect(value('leakguard_listeners', { emitter: 'EventEmitter', event: 'dup' })).toBe('6')
    expect(value('leakguard_collection_size', { name: 'pool' })).toBe('5')
    expect(value('leakguard_collection_closed_members', { name: 'pool' })).toBe('0')
    expect(value('leakguard_global_collection_size', { name: 'lgMetricsCache' })).toBe('3')
    expect(value('leakguard_retained_objects', { description: 'session' })).toBe('2')
    // prom-client cannot write "no sample yet" for an unlabelled gauge (it writes 0): compare the rest
    const sampled = families.filter((f) => f.metrics.length > 0)
    expect(await asPromClient(sampled)).toEqual(sampled)
  } finally {
    g.stop()
    delete globalThis.lgMetricsCache
    for (const bus of buses) bus.removeAllListeners('dup')
  }
  expect(pools.map((p) => p.size)).toEqual([2, 3])
})

test('findings are counted by kind', async () => {
  const g = leakguard.guard({ interval: 50, sampleRate: 1, heapProfile: false, warn: false })
  const bus = new EventEmitter()
  bus.setMaxListeners(0)
  try {
    const text = await until(async () => {
      for (let i = 0; i < 20; i++) bus.on('tick', () => {})
      await sleep(20)
      const t = g.metrics()
      return t.includes('leakguard_findings_total{kind="listeners"} 1') ? t : null
    })
    const findings = family(parsePrometheus(text), 'leakguard_findings_total')
    expect(findings.type).toBe('COUNTER')
    expect(findings.metrics).toContainEqual({ labels: { kind: 'listeners' }, value: '1' })
  } finally {
    g.stop()
  }
})

test('label values are escaped so the output still parses', async () => {
  const g = leakguard.guard({ interval: 50, sampleRate: 1, heapProfile: false, warn: false })
  const weird = 'a "quoted"\\ name\nwith a newline'
  const bus = new EventEmitter()
  const fn = () => {}
  try {
    bus.on(weird, fn)
    const text = await until(() => (g.metrics().includes('leakguard_listeners{') ? g.metrics() : null))
    const m = family(parsePrometheus(text), 'leakguard_listeners').metrics.find((x) => x.labels.event.startsWith('a '))
    expect(m.labels.event).toBe(weird)
  } finally {
    g.stop()
    bus.off(weird, fn)
  }
})

test('the OpenTelemetry metrics API gets observable gauges when the app registers a MeterProvider', async () => {
  class Reader extends MetricReader {
    async onForceFlush() {}
    async onShutdown() {}
  }
  const reader = new Reader()
  const provider = new MeterProvider({ readers: [reader] })
  const g = leakguard.guard({ interval: 50, sampleRate: 1, heapProfile: false, warn: false })
  const bus = new EventEmitter()
  const fns = Array.from({ length: 7 }, () => () => {})
  try {
    for (const fn of fns) bus.on('otel-event', fn)
    await sleep(120)
    // the app installs its SDK after guard mode started (-r runs first): gauges follow it
    otel.metrics.setGlobalMeterProvider(provider)
    const point = await until(async () => {
      const { resourceMetrics } = await reader.collect()
      const scope = resourceMetrics.scopeMetrics.find((s) => s.scope.name === 'leakguard')
      const metric = scope && scope.metrics.find((m) => m.descriptor.name === 'leakguard.listeners')
      return metric && metric.dataPoints.find((p) => p.attributes.event === 'otel-event')
    })
    expect(point.value).toBe(7)
    expect(point.attributes).toEqual({ emitter: 'EventEmitter', event: 'otel-event' })
    const { resourceMetrics } = await reader.collect()
    const metrics = resourceMetrics.scopeMetrics.find((s) => s.scope.name === 'leakguard').metrics
    const kinds = Object.fromEntries(metrics.map((m) => [m.descriptor.name, [m.descriptor.type, m.descriptor.unit, m.isMonotonic]]))
    expect(kinds).toMatchObject({
      'leakguard.listeners': ['OBSERVABLE_UP_DOWN_COUNTER', '{listener}', false],
      'leakguard.listeners.live': ['OBSERVABLE_UP_DOWN_COUNTER', '{listener}', false],
      'leakguard.findings': ['OBSERVABLE_COUNTER', '{finding}', true],
      'leakguard.snapshots': ['OBSERVABLE_COUNTER', '{snapshot}', true],
    })
    for (const m of metrics) expect(m.descriptor.unit).not.toBe('')
  } finally {
    g.stop()
    otel.metrics.disable()
    await provider.shutdown()
  }
})
