'use strict'
// trackSet() and the `collection` detector: registered Sets / Maps (values) / Arrays are
// inspected at every check for closed members (sockets, WebSockets, http2 sessions, or what the
// user's isClosed says) and for sizes that only grow (the trend engine judges the series).

const { isMap, isSet } = require('../builtin').builtin('node:util').types // realm-independent
const binding = require('../native')
const { fromNative } = require('../findings/report')
const { captureSite } = require('../instrument/site')
const { memberKind, isClosedBuiltin, LABELS } = require('../instrument/closed')
const v = require('../validate')

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
  // realm-independent: a jest test file's collections are of its own vm context's Set and Map
  if (isSet(c)) return 'Set'
  if (isMap(c)) return 'Map'
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
    let kind = null
    try {
      kind = memberKind(m)
      if (kind !== null) isClosed = isClosedBuiltin(m, kind)
      else if (t.isClosed !== null) isClosed = t.isClosed(m) === true
    } catch {
      isClosed = false // a revoked Proxy, a throwing getter or predicate: this member only
    }
    if (isClosed) {
      closed++
      kinds.add(kind === null ? 'members' : LABELS[kind])
    }
  }
  const memberLabel = kinds.size === 1 ? [...kinds][0] : 'members'
  return { size, inspected, closed, memberLabel }
}

/** Each registered collection still alive, inspected now: `{ t, size, inspected, closed, memberLabel }`. */
function inspectAll() {
  prune()
  const rows = []
  for (const t of state.tracked) {
    const c = t.ref.deref()
    if (c === undefined) continue
    try {
      rows.push({ t, ...inspect(t, c) })
    } catch {
      // an Array whose elements are getters that throw: this collection only, never the check
    }
  }
  return rows
}

/** What Rust knows of a collection (core's CollectionObservation). */
function observation(r, growthPerMinute) {
  return {
    id: r.t.id,
    name: r.t.name,
    collectionType: r.t.type,
    site: r.t.site,
    size: r.size,
    inspected: r.inspected,
    closed: r.closed,
    memberLabel: r.memberLabel,
    growthPerMinute,
  }
}

/** Findings of the registered collections now; feeds one sample of sizes to check()'s trend engine. */
function collectionLeaks({ cwd, now = Date.now() }) {
  const rows = inspectAll()
  if (rows.length === 0) return []
  if (state.trend === null) state.trend = new binding.TrendEngine()
  const keys = Uint32Array.from(rows, (r) => r.t.id)
  const values = Float64Array.from(rows, (r) => r.size)
  const growth = new Map(state.trend.observe(now, keys, values).map((g) => [g.key, g.ratePerMinute]))
  const collections = rows.map((r) => observation(r, growth.get(r.t.id)))
  return fromNative(binding.evaluate({ kind: 'collection', collections }, cwd))
}

const detector = {
  kind: 'collection',
  stop() {
    state.tracked = []
    state.trend = null
  },
  baseline() {
    state.trend = null
  },
  check({ cwd }) {
    return collectionLeaks({ cwd })
  },
  /** Two series per collection: its size, and the closed members it keeps. */
  sample() {
    const points = []
    for (const r of inspectAll()) {
      const collection = observation(r, undefined)
      points.push({ key: `size|${r.t.id}`, value: r.size, meta: { series: 'collectionSize', collection } })
      points.push({ key: `closed|${r.t.id}`, value: r.closed, meta: { series: 'collectionClosed', collection } })
    }
    return points
  },
}

module.exports = detector
module.exports.trackSet = trackSet
module.exports.MAX_INSPECT = MAX_INSPECT
