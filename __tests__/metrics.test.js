'use strict'
// Guard mode's gauges: the Prometheus endpoint (parsed by a real Prometheus text parser) and the
// OpenTelemetry metrics API with the real SDK registered by the "app".

const http = require('node:http')
const net = require('node:net')
const { EventEmitter } = require('node:events')
const parsePrometheus = require('parse-prometheus-text-format')
const otel = require('@opentelemetry/api')
const { MeterProvider, MetricReader } = require('@opentelemetry/sdk-metrics')
const leakguard = require('../index')

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer()
    s.on('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
  })
}

function get(port, urlPath) {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: urlPath, agent: false }, (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (d) => (body += d))
        res.on('end', () => resolve({ status: res.statusCode, type: res.headers['content-type'], body }))
      })
      .on('error', reject)
  })
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

async function until(fn, timeoutMs = 30000) {
  const start = Date.now()
  for (;;) {
    const value = await fn()
    if (value) return value
    if (Date.now() - start > timeoutMs) throw new Error('timed out')
    await sleep(50)
  }
}

const family = (families, name) => families.find((f) => f.name === name)

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
      return r.body.includes('leakguard_collection_size') ? r : null
    })
    expect(res.status).toBe(200)
    expect(res.type).toMatch(/^text\/plain; version=0\.0\.4/)
    const families = parsePrometheus(res.body)
    const total = family(families, 'leakguard_listeners_total')
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

test('findings are counted by kind', async () => {
  const g = leakguard.guard({ interval: 50, sampleRate: 1, heapProfile: false, warn: false })
  const bus = new EventEmitter()
  bus.setMaxListeners(0)
  try {
    const text = await until(async () => {
      for (let i = 0; i < 20; i++) bus.on('tick', () => {})
      await sleep(20)
      const t = g.metrics()
      return t.includes('leakguard_findings_total') ? t : null
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
  } finally {
    g.stop()
    otel.metrics.disable()
    await provider.shutdown()
  }
})
