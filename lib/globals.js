'use strict'
// The `global` detector: properties added to globalThis since start() / baseline(), and
// global collections (Arrays, Maps, Sets that are globalThis properties) whose size keeps
// growing (judged by the trend engine, so only after `window` samples).

const binding = require('../binding')
const { registerDetector } = require('./detectors')
const { setKey } = require('./report')

/** At most this many global properties are looked at per check. */
const MAX_GLOBALS = 5000

const state = {
  known: null, // Set of property names present at the baseline
  ids: new Map(), // name -> trend key
  nextId: 1,
  trend: null,
}

function names() {
  return Reflect.ownKeys(globalThis).filter((k) => typeof k === 'string').slice(0, MAX_GLOBALS)
}

function describeValue(value) {
  if (value === null) return { type: 'null', size: 0, collection: false }
  if (Array.isArray(value)) return { type: 'Array', size: value.length, collection: true }
  if (value instanceof Map) return { type: 'Map', size: value.size, collection: true }
  if (value instanceof Set) return { type: 'Set', size: value.size, collection: true }
  if (typeof value === 'string') return { type: 'string', size: value.length, collection: false }
  if (typeof value === 'object') {
    let size = 0
    try {
      size = Object.keys(value).length
    } catch {
      size = 0 // a Proxy may throw
    }
    const ctor = value.constructor && typeof value.constructor.name === 'string' ? value.constructor.name : 'object'
    return { type: ctor === 'Object' ? 'object' : ctor, size, collection: false }
  }
  return { type: typeof value, size: 0, collection: false }
}

function readGlobal(name) {
  const d = Object.getOwnPropertyDescriptor(globalThis, name)
  if (!d || !('value' in d)) return undefined // accessors are Node's lazy globals: never call them
  return d
}

function takeBaseline() {
  state.known = new Set(names())
  state.ids = new Map()
  state.trend = null
}

/** Findings for globals now; feeds one sample of global collection sizes to the trend engine. */
function globalLeaks({ now = Date.now() } = {}) {
  if (state.known === null) takeBaseline()
  const rows = []
  for (const name of names()) {
    const d = readGlobal(name)
    if (d === undefined) continue
    const added = !state.known.has(name)
    const info = describeValue(d.value)
    if (!added && !info.collection) continue
    rows.push({ name, added, ...info })
  }
  const series = rows.filter((r) => r.collection)
  for (const r of series) if (!state.ids.has(r.name)) state.ids.set(r.name, state.nextId++)
  if (state.trend === null) state.trend = new binding.TrendEngine()
  const keys = Uint32Array.from(series, (r) => state.ids.get(r.name))
  const values = Float64Array.from(series, (r) => r.size)
  const grown = new Map(state.trend.observe(now, keys, values).map((g) => [g.key, g.ratePerMinute]))
  const input = rows
    .map((r) => ({
      name: r.name,
      valueType: r.type,
      size: Math.min(r.size, 2 ** 32 - 1),
      added: r.added,
      growthPerMinute: r.collection ? grown.get(state.ids.get(r.name)) : undefined,
    }))
    .filter((r) => r.added || r.growthPerMinute !== undefined)
  if (input.length === 0) return []
  return binding.evaluateGlobals(input).map((out) => {
    const leak = { kind: out.kind, code: out.code, message: out.message, count: out.count }
    leak.name = out.name
    leak.valueType = out.valueType
    leak.size = out.size
    const growing = out.ratePerMinute !== undefined && out.ratePerMinute !== null
    if (growing) leak.ratePerMinute = out.ratePerMinute
    return setKey(leak, `global|${out.name}|${growing ? 'growth' : 'added'}`)
  })
}

registerDetector({
  kind: 'global',
  start() {
    if (state.known === null) takeBaseline()
  },
  stop() {
    state.known = null
    state.ids = new Map()
    state.trend = null
  },
  baseline() {
    takeBaseline()
  },
  enterScope() {
    if (state.known === null) takeBaseline()
    const outer = state.known
    state.known = new Set(names())
    return outer
  },
  exitScope(outer) {
    // the outer scope keeps counting what it counted, not what the block added
    const known = new Set(outer)
    for (const name of names()) if (!state.known.has(name)) known.add(name)
    state.known = known
  },
  collectSync() {
    return globalLeaks()
  },
  async collect() {
    return globalLeaks()
  },
})

module.exports = { globalLeaks }
