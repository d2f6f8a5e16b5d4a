'use strict'
// The `global` detector: properties added to globalThis since start() / baseline(), and
// global collections (Arrays, Maps, Sets that are globalThis properties) whose size keeps
// growing (judged by the trend engine, so only after `window` samples).

const { builtin, mainGlobal } = require('../builtin')
const { isMap, isSet } = builtin('node:util').types
const { watched } = require('../instrument/realm')
const binding = require('../native')
const { fromNative } = require('../findings/report')
const { epochs } = require('../session/epochs')

/** At most this many global properties are looked at per check. */
const MAX_GLOBALS = 5000

const state = {
  known: null, // Map of property name -> the epoch it appeared in (0: before the baseline)
  global: globalThis, // the global object looked at (lib/instrument/realm.js), taken at the baseline
  mainRealm: true, // whether it is the main context's (not a vm context such as jest's environment)
  functions: new Set(), // functionNames() at start()
  ids: new Map(), // name -> trend key
  nextId: 1,
  trend: null,
}

function names() {
  // the string keys (symbols are never read), in Reflect.ownKeys' order; on a vm context's global
  // (jest's environment, whose keys come through Node's interceptor) ~4x cheaper than
  // Reflect.ownKeys (22 µs against 92 µs for jest's 147 names)
  const all = Object.getOwnPropertyNames(state.global)
  return all.length > MAX_GLOBALS ? all.slice(0, MAX_GLOBALS) : all
}

function describeValue(value) {
  try {
    return describeUnsafe(value)
  } catch {
    return { type: 'object', size: 0, collection: false } // a revoked Proxy throws even in Array.isArray
  }
}

function describeUnsafe(value) {
  if (value === null) return { type: 'null', size: 0, collection: false }
  if (Array.isArray(value)) return { type: 'Array', size: value.length, collection: true }
  // realm-independent: a test file's globals are of its own vm context's Map and Set
  if (isMap(value)) return { type: 'Map', size: value.size, collection: true }
  if (isSet(value)) return { type: 'Set', size: value.size, collection: true }
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

const isEnumerable = (name) => Object.prototype.propertyIsEnumerable.call(state.global, name)
/** Whether `g` is the main context's global (not a vm context's such as jest's environment). */
function isMainRealm(g) {
  try {
    return mainGlobal() === g
  } catch {
    return true
  }
}

function isCollection(value) {
  try {
    return Array.isArray(value) || isMap(value) || isSet(value)
  } catch {
    return false // a revoked Proxy throws even in Array.isArray
  }
}

function readGlobal(name) {
  const d = Object.getOwnPropertyDescriptor(state.global, name)
  if (!d || !('value' in d)) return undefined // accessors are Node's lazy globals: never call them
  return d
}

/**
 * In a vm context (jest's environment), the globals that held a function at start(): Node's and
 * the runner's (setTimeout, Buffer, URL, ...), most of the ~150 names, never read again unless
 * deleted and added anew (the main realm passes over them by enumerability instead, see
 * readGlobals). A global that held a function and later holds a growing collection is not seen.
 */
function functionNames(list) {
  const fns = new Set()
  if (state.mainRealm) return fns
  for (const name of list) {
    const d = readGlobal(name)
    if (d !== undefined && typeof d.value === 'function') fns.add(name)
  }
  return fns
}

function takeBaseline() {
  state.global = watched()
  state.mainRealm = isMainRealm(state.global)
  const list = names()
  state.functions = functionNames(list)
  state.known = new Map(list.map((n) => [n, 0]))
  state.ids = new Map()
  state.trend = null
}

/** Names that appeared since the last look are the current epoch's; names gone are forgotten. */
function scan() {
  if (state.known === null) takeBaseline()
  const present = names()
  const now = new Set(present)
  for (const name of state.known.keys()) if (!now.has(name)) state.known.delete(name)
  for (const name of present) if (!state.known.has(name)) state.known.set(name, epochs.epoch)
  return present
}

/** Globals added in the counted epochs, and every global collection: `[{ name, added, type, size, collection }]`. */
function readGlobals() {
  const rows = []
  for (const name of scan()) {
    const added = epochs.counts(state.known.get(name))
    // Node's own globals are non-enumerable, and on Node 22+ many are V8 lazy data properties
    // that even Object.getOwnPropertyDescriptor materializes (FormData: undici and 70 modules
    // loaded into the app). An app's globals are enumerable (assigned): of what was there before,
    // only those are read (for the collections that keep growing). A vm context's global (jest's
    // environment) has no lazy properties, and says its assigned ones are not enumerable (Node 20):
    // there, what held a function at start() is passed over (functionNames)
    if (!added && (state.mainRealm ? !isEnumerable(name) : state.functions.has(name))) continue
    const d = readGlobal(name)
    if (d === undefined) continue
    // the cheap tests first: most globals are neither new nor collections (most are functions)
    if (!added && (d.value === null || typeof d.value !== 'object' || !isCollection(d.value))) continue
    const info = describeValue(d.value)
    rows.push({ name, added, ...info })
  }
  return rows
}

/** Findings for globals now; feeds one sample of global collection sizes to check()'s trend engine. */
function globalLeaks({ now = Date.now() } = {}) {
  const rows = readGlobals()
  const series = rows.filter((r) => r.collection)
  for (const r of series) if (!state.ids.has(r.name)) state.ids.set(r.name, state.nextId++)
  const added = rows.some((r) => r.added)
  if (series.length === 0 && state.ids.size === 0 && !added) return [] // no collection has ever been seen, nothing new
  if (state.trend === null) state.trend = new binding.TrendEngine()
  const keys = Uint32Array.from(series, (r) => state.ids.get(r.name))
  const values = Float64Array.from(series, (r) => r.size)
  const grown = new Map(state.trend.observe(now, keys, values).map((g) => [g.key, g.ratePerMinute]))
  const globals = rows
    .map((r) => ({
      name: r.name,
      valueType: r.type,
      size: r.size,
      added: r.added,
      growthPerMinute: r.collection ? grown.get(state.ids.get(r.name)) : undefined,
    }))
    .filter((r) => r.added || r.growthPerMinute !== undefined)
  if (globals.length === 0) return []
  return fromNative(binding.evaluate({ kind: 'global', globals }, ''))
}

const detector = {
  kind: 'global',
  start() {
    if (state.known === null) takeBaseline()
  },
  stop() {
    state.known = null
    state.global = globalThis
    state.functions = new Set()
    state.ids = new Map()
    state.trend = null
  },
  /** Before the epoch changes: what appeared so far belongs to the epoch that is ending. */
  transition() {
    if (state.known !== null) scan()
  },
  baseline() {
    if (state.known === null) return takeBaseline()
    for (const [name, epoch] of state.known) if (epoch !== 0 && !epochs.keeps(epoch)) state.known.set(name, 0)
    state.ids = new Map()
    state.trend = null
  },
  check() {
    return globalLeaks()
  },
  /** The size of every Array, Map and Set that is a property of globalThis. */
  sample() {
    return readGlobals()
      .filter((r) => r.collection)
      .map((r) => ({ key: r.name, value: r.size, meta: { series: 'global', name: r.name, valueType: r.type } }))
  },
}

module.exports = detector
