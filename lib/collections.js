'use strict'
// trackSet() and the `collection` detector: registered Sets / Maps (values) / Arrays are
// inspected at every check for closed members (sockets, WebSockets, http2 sessions, or what the
// user's isClosed says) and for sizes that only grow (the trend engine judges the series).

const binding = require('../binding')
const { registerDetector } = require('./detectors')
const { setKey } = require('./report')
const { captureSite } = require('./site')
const { memberKind, isClosedBuiltin, LABELS } = require('./closed')
const v = require('./validate')

/** At most this many members are inspected per collection and check (sampled beyond). */
const MAX_INSPECT = 2000
/** At most this many collections are registered at once (the oldest dead ones go first). */
const MAX_TRACKED = 10000

const state = {
  nextId: 1,
  tracked: [], // { id, ref: WeakRef, name, site, type, isClosed }
  trend: null,
}

function typeOf(c) {
  if (c instanceof Set) return 'Set'
  if (c instanceof Map) return 'Map'
  if (Array.isArray(c)) return 'Array'
  return null
}

/**
 * Registers a Set, Map (its values) or Array under `name` and returns it unchanged. The
 * registration holds it weakly. Options: `isClosed(member) -> boolean` for members leakguard
 * does not know (sockets, ws WebSockets and http2 sessions are known).
 */
function trackSet(collection, name, options) {
  const type = typeOf(collection)
  if (type === null) throw v.typeError('collection', 'an instance of Set, Map or Array', collection)
  v.validateString(name, 'name')
  const given = v.validateOptions(options, 'options', ['isClosed'])
  if (given.isClosed !== undefined) v.validateFunction(given.isClosed, 'options.isClosed')
  const existing = state.tracked.find((t) => t.ref.deref() === collection)
  const site = captureSite(trackSet)
  if (existing) {
    Object.assign(existing, { name, site, isClosed: given.isClosed || null })
    return collection
  }
  if (state.tracked.length >= MAX_TRACKED) prune()
  if (state.tracked.length >= MAX_TRACKED) state.tracked.shift()
  state.tracked.push({ id: state.nextId++, ref: new WeakRef(collection), name, site, type, isClosed: given.isClosed || null })
  return collection
}

function prune() {
  state.tracked = state.tracked.filter((t) => t.ref.deref() !== undefined)
}

/** Up to MAX_INSPECT members: all of a small collection, an evenly spaced sample of a large Array, the first MAX_INSPECT of a large Set/Map. */
function* sample(c, type) {
  const size = type === 'Array' ? c.length : c.size
  if (type === 'Array') {
    if (size <= MAX_INSPECT) {
      for (let i = 0; i < size; i++) yield c[i]
      return
    }
    // the middle of each of MAX_INSPECT equal strides
    const step = size / MAX_INSPECT
    for (let n = 0; n < MAX_INSPECT; n++) yield c[Math.floor((n + 0.5) * step)]
    return
  }
  let n = 0
  for (const m of c.values()) {
    if (n++ >= MAX_INSPECT) return
    yield m
  }
}

function inspect(t, c) {
  const size = t.type === 'Array' ? c.length : c.size
  let inspected = 0
  let closed = 0
  const kinds = new Set()
  for (const m of sample(c, t.type)) {
    inspected++
    let isClosed = false
    const kind = memberKind(m)
    if (kind !== null) isClosed = isClosedBuiltin(m, kind)
    else if (t.isClosed !== null) {
      try {
        isClosed = t.isClosed(m) === true
      } catch {
        isClosed = false // a throwing predicate must not break check()
      }
    }
    if (isClosed) {
      closed++
      kinds.add(kind === null ? 'members' : LABELS[kind])
    }
  }
  const memberLabel = kinds.size === 1 ? [...kinds][0] : 'members'
  return { size, inspected, closed, memberLabel }
}

/** Findings of the registered collections now; feeds one sample of sizes to the trend engine. */
function collectionLeaks({ cwd, now = Date.now() }) {
  prune()
  if (state.tracked.length === 0) return []
  const rows = []
  for (const t of state.tracked) {
    const c = t.ref.deref()
    if (c !== undefined) rows.push({ t, ...inspect(t, c) })
  }
  if (state.trend === null) state.trend = new binding.TrendEngine()
  const keys = Uint32Array.from(rows, (r) => r.t.id)
  const values = Float64Array.from(rows, (r) => r.size)
  const growth = new Map(state.trend.observe(now, keys, values).map((g) => [g.key, g.ratePerMinute]))
  const input = rows.map((r) => ({
    name: r.t.name,
    collectionType: r.t.type,
    site: r.t.site === null ? undefined : r.t.site,
    size: r.size,
    inspected: r.inspected,
    closed: r.closed,
    memberLabel: r.memberLabel,
    growthPerMinute: growth.get(r.t.id),
  }))
  const byName = new Map(rows.map((r) => [r.t.name, r.t]))
  return binding.evaluateCollections(input, cwd).map((out) => {
    const leak = { kind: out.kind, code: out.code, message: out.message, count: out.count }
    leak.name = out.name
    leak.size = out.size
    leak.site = out.site === undefined ? null : out.site
    if (out.ratePerMinute !== undefined && out.ratePerMinute !== null) leak.ratePerMinute = out.ratePerMinute
    const t = byName.get(out.name)
    const growing = leak.ratePerMinute !== undefined ? 'growth' : 'closed'
    return setKey(leak, `collection|${t ? t.id : out.name}|${growing}`)
  })
}

/** `[{ name, size }]` of the registered collections still alive (for guard mode's gauges). */
function trackedSizes() {
  const out = []
  for (const t of state.tracked) {
    const c = t.ref.deref()
    if (c !== undefined) out.push({ name: t.name, size: t.type === 'Array' ? c.length : c.size })
  }
  return out
}

registerDetector({
  kind: 'collection',
  stop() {
    state.tracked = []
    state.trend = null
  },
  baseline() {
    state.trend = null
  },
  collectSync({ cwd }) {
    return collectionLeaks({ cwd })
  },
  async collect({ cwd }) {
    return collectionLeaks({ cwd })
  },
})

module.exports = { trackSet, collectionLeaks, trackedSizes, MAX_INSPECT }
