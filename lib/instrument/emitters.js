'use strict'
// Listener instrumentation for EventEmitter and EventTarget (which covers AbortSignal).
//
// The design keeps the hot path tiny and makes counts exact by construction:
// - The add wrappers do not count. After the original add succeeded they (a) register the
//   emitter weakly on first sight and (b) tag the listener in the emitter's WeakMap with the baseline epoch
//   and, when a stack is captured, its add-site. With `sampleRate < 1` (guard mode) only one add
//   in ~1/sampleRate reaches even that; the others cost a decrement and a compare.
// - Live counts are read from the emitters at check time (rawListeners / getEventListeners), so
//   once(), removeAllListeners(), `{ signal }` removal and `{ once: true }` are always right.
// - Removals are not wrapped at all: removed = adds since the baseline (counted in the add slow
//   path) − still registered. Every removal path (off, removeListener, removeAllListeners, a once
//   listener firing, an aborted `signal`) is thereby exact, and a remove costs nothing extra.
// Nothing here holds an emitter or a listener strongly: WeakMaps, and for iteration a Set of
// the addon's weak references (NativeWeakRef, lib/detectors/retained.js says why not WeakRef),
// swept of the collected emitters' as it grows.
//
// An emitter's entry (ids, add counts) is an own non-enumerable property under a symbol of
// this installation, so it dies with the emitter in the next scavenge: a WeakMap keyed by the
// emitter measured ~6x the plain heap peak in the churn below (V8's scavenger keeps the young
// keys of a live WeakMap), a FinalizationRegistry.register() ~80x. For the same reason the
// listeners' records are kept in a WeakMap of each emitter's own (it dies with the emitter), not
// in one WeakMap of every listener (~1.8x). Proxies and non-extensible emitters use a
// WeakMap instead (defining a property would run the app's Proxy trap, or throw). So does every
// emitter under sampling (guard mode), where few are tracked but those are a server's hottest
// objects: the property gave each tracked keep-alive Socket a hidden class of its own, and
// Node's stream and http functions, optimized for one Socket map, deoptimized ("wrong map")
// and ran polymorphic from then on (bench/guard.bench.js's server, 100k requests under
// --trace-deopt: 16-56 "wrong map" deopts, 9-12 without leakguard and 9 now).
//
// A WeakRef would keep the emitter alive until the current job ends (ECMAScript's KeepDuringJob
// set: a synchronous loop creating 100k short-lived emitters whose listeners hold 8 KB each
// pinned 800 MB), and before V8 14 through every scavenge (so every socket of a test was
// promoted and only a full GC could show it closed and gone). A NativeWeakRef does neither: an
// emitter that dies young is collected young, as without leakguard.
//
// The state lives on the (process-wide) EventEmitter constructor under a registered symbol, so
// every copy of this module in one process (jest loads modules once per test file, the
// prototypes are shared) sees one instrumentation.

const EventEmitter = require('node:events')
const { NativeWeakRef } = require('../native')
const { sweepGrown } = require('./weak')
const { isProxy } = require('node:util').types
const { captureAdd, defineSite, lateOf, INTERNAL } = require('./site')
const { watched } = require('./realm')
const { epochs } = require('../session/epochs')
const { isClosedEmitter } = require('./closed')
const { constructorName } = require('../validate')

const kShared = Symbol.for('leakguard.emitters.v1')
const EE = EventEmitter.prototype
// the watched global's (lib/instrument/realm.js: a jest test file's; jsdom's window has its own)
const targetPrototype = () => {
  const g = watched()
  return typeof g.EventTarget === 'function' ? g.EventTarget.prototype : null
}

const EE_ADD = ['on', 'addListener', 'prependListener']
const EE_ONCE = ['once', 'prependOnceListener']

const KIND_EE = 1
const KIND_ET = 2

/** Weak references to emitters kept before the first sweep of the collected ones' (then twice the live ones). */
const REFS_SWEEP_FLOOR = 1024

// Per-event-name state (an epoch's add counts, an EventTarget's names) stays bounded: once it
// holds more than `sweepAt` names, the names with no live listener are dropped and `sweepAt`
// becomes twice what is left (at least SWEEP_FLOOR), so a sweep costs O(1) per add amortized;
// past MAX_NAMES / 2 live names the oldest go first. (1M `once(uniqueName)` + emit otherwise kept
// 1M counts.) An emitter whose counts were pruned reports `removed` as unknown (null).
/** Names an emitter keeps before the first sweep. */
const SWEEP_FLOOR = 64
/** At most this many names per epoch and emitter (and per EventTarget). */
const MAX_NAMES = 20000
// Guard mode's sample of an emitter with more than WIDE event names does not enumerate them
// (Reflect.ownKeys of 100k names alone took ~18 ms): it follows the number of names with
// listeners (a leak of ever new names) and the HOT names with the most live listeners among
// those followed and those added (sampled) since the last sample (at most RECENT of them).
const WIDE = 512
const HOT = 16
const RECENT = 256
/** The newest names with listeners whose add-sites name a leak of ever new names (see newestNames). */
const NEWEST = 256

// SIGHTED: under sampling (guard mode) an emitter's first sampled add only puts it in a WeakSet;
// it is tracked (entry, WeakRef, records) from its second, or at once when that add left it with
// more than SIGHTED_LISTENERS listeners of the event. A leak is many adds on one emitter,
// so it is sampled again soon; the request, response and socket objects of a busy server, that
// get a few adds each and die, are never tracked. Tracking one of them cost ~20 us (an own
// property on a hot class, a WeakRef that holds it past scavenges, a finalizer, often a stack)
// and a sample read every one still alive: at sampleRate 0.002, ~1% of a server's CPU per request
// (bench/guard.bench.js's http server, profiled with --cpu-prof). With sampleRate 1 (the tests'
// session) every emitter is tracked from its first add.

/** Listeners of one event beyond which an EventEmitter is tracked from its first sampled add. */
const SIGHTED_LISTENERS = 3

function shared() {
  if (!Object.prototype.hasOwnProperty.call(EventEmitter, kShared)) {
    Object.defineProperty(EventEmitter, kShared, { value: { state: null }, enumerable: false })
  }
  return EventEmitter[kShared]
}

function nextCountdown(rate) {
  if (rate >= 1) return 1
  // geometric gaps with mean 1/rate: a fixed stride would alias with request patterns that add
  // the same few listeners in a fixed order and never sample some of them
  return 1 + Math.floor(-Math.log(1 - Math.random()) / rate)
}

function createState(options) {
  const state = {
    nextId: 1,
    sampleRate: options.sampleRate,
    stackMode: options.stacks,
    stackRate: options.stackSampleRate,
    countdown: 1,
    stackCountdown: 1,
    epochRecord: { epoch: 0, site: null, once: false, by: 'app' }, // shared by the adds of an epoch without a stack
    pendingOnce: false,
    // emitter[kEntry]: { id, kind, ref, types, adds: Map<epoch, Map<type, n>>,
    //   records: WeakMap<listener, { epoch, site, once, by }> (by: who added it, site.js),
    //   sweepAt, pruned, hot: Map<type, n> | null, recent: Set<type> | null (wide emitters, see WIDE) }
    kEntry: Symbol('leakguard.emitter'),
    entries: new WeakMap(), // the same, for Proxies and non-extensible emitters
    sighted: new WeakSet(), // emitters with a sampled add (see SIGHTED)
    refs: new Set(), // NativeWeakRef of each tracked emitter, for iteration
    refsSweepAt: REFS_SWEEP_FLOOR, // the size of `refs` at which register() drops the collected emitters'
    originals: [], // [prototype, name, descriptor]
  }
  return state
}

function entryFor(state, emitter, kind) {
  let entry = entryOf(state, emitter)
  if (entry === undefined) {
    const types = kind === KIND_ET ? new Set() : null
    entry = { id: state.nextId++ >>> 0, kind, ref: null, types, adds: new Map(), records: new WeakMap(), sweepAt: SWEEP_FLOOR, pruned: false, hot: null, recent: null }
    // under sampling (guard mode) in the WeakMap: an own property would give the tracked object
    // a hidden class of its own (see kEntry)
    if (state.sampleRate < 1 || isProxy(emitter) || !Object.isExtensible(emitter)) state.entries.set(emitter, entry)
    else Object.defineProperty(emitter, state.kEntry, { value: entry, writable: false, enumerable: false, configurable: true })
  }
  if (entry.ref === null) register(state, emitter, entry)
  return entry
}

/** The entry of a tracked emitter, or undefined. */
function entryOf(state, emitter) {
  if (isProxy(emitter)) return state.entries.get(emitter)
  const own = emitter[state.kEntry]
  // an own property: an object whose prototype is a tracked emitter is an emitter of its own
  if (own !== undefined && Object.hasOwn(emitter, state.kEntry)) return own
  return state.entries.get(emitter)
}

/** Gives `entry` its weak reference, in the set that is iterated. */
function register(state, emitter, entry) {
  sweepGrown(state.refs, state, 'refsSweepAt', REFS_SWEEP_FLOOR, (r) => r.deref() === undefined)
  const ref = new NativeWeakRef(emitter)
  entry.ref = ref
  state.refs.add(ref)
}

// The slow half of an add: reached by every add (sampleRate 1) or a sample of them.
function onAdd(state, emitter, type, listener, kind, caller) {
  state.countdown = nextCountdown(state.sampleRate)
  if (listener === null || (typeof listener !== 'function' && typeof listener !== 'object')) return
  // under sampling, an emitter is tracked from its second sampled add on (see SIGHTED): its first
  // costs a WeakSet lookup and insert (no Proxy test, no entry lookup), unless it already holds
  // more than SIGHTED_LISTENERS listeners of that event (a leak under way: tracked at once)
  if (state.sampleRate < 1 && !state.sighted.has(emitter)) {
    state.sighted.add(emitter)
    if (kind !== KIND_EE || EE.listenerCount.call(emitter, type) <= SIGHTED_LISTENERS) return
  }
  const entry = entryFor(state, emitter, kind)
  if (entry.types !== null) entry.types.add(type)
  const epoch = epochs.epoch
  let adds = entry.adds.get(epoch)
  if (adds === undefined) {
    for (const e of entry.adds.keys()) if (!epochs.keeps(e)) entry.adds.delete(e)
    adds = new Map()
    entry.adds.set(epoch, adds)
  }
  if (adds.size > entry.sweepAt || (entry.types !== null && entry.types.size > entry.sweepAt)) sweep(emitter, entry)
  if (entry.recent !== null && entry.recent.size < RECENT) entry.recent.add(type)
  if (state.epochRecord.epoch !== epoch) state.epochRecord = { epoch, site: null, once: false, by: 'app' }
  let record = state.epochRecord
  const once = state.pendingOnce
  if (state.stackMode !== 'off' && --state.stackCountdown <= 0) {
    state.stackCountdown = state.stackMode === 'always' ? 1 : nextCountdown(state.stackRate)
    const { site, by } = captureAdd(caller)
    record = { epoch, site, once, by }
    if (site !== null && typeof site === 'object') defineSite(record) // a LateSite: mapped when first read
  } else if (once) {
    record = { epoch, site: null, once, by: 'app' }
  }
  entry.records.set(listener, record)
  // adds per event and origin (app, package, node: ORIGINS' order), for the removals
  let counts = adds.get(type)
  if (counts === undefined) adds.set(type, (counts = [0, 0, 0]))
  counts[record.by === 'app' ? 0 : record.by === 'package' ? 1 : 2]++
}

/** Live listeners of `type` on a tracked emitter (no copy of the listener array for an EventEmitter). */
function liveCount(entry, emitter, type) {
  if (entry.kind === KIND_EE) return EE.listenerCount.call(emitter, type)
  return EventEmitter.getEventListeners(emitter, type).length
}

/** Drops the names of `set` (a Map or Set) with no live listener, then the oldest past MAX_NAMES / 2. */
function sweepNames(set, entry, emitter) {
  for (const type of set.keys()) {
    let live = 1
    try {
      live = liveCount(entry, emitter, type)
    } catch {} // unreadable (a Proxy trap that throws): kept, the cap still bounds it
    if (live === 0) {
      set.delete(type)
      entry.pruned = true
    }
  }
  while (set.size > MAX_NAMES / 2) {
    set.delete(set.keys().next().value)
    entry.pruned = true
  }
  return set.size
}

/** Bounds an emitter's per-name state (see SWEEP_FLOOR); O(1) per add amortized. */
function sweep(emitter, entry) {
  let kept = 0
  try {
    for (const adds of entry.adds.values()) kept = Math.max(kept, sweepNames(adds, entry, emitter))
    if (entry.types !== null) kept = Math.max(kept, sweepNames(entry.types, entry, emitter))
  } finally {
    entry.sweepAt = Math.max(SWEEP_FLOOR, 2 * kept)
  }
}

/** onAdd for an EventEmitter, which never throws into the app (the listener is added). */
function sampledEEAdd(state, emitter, type, listener, wrapper) {
  try {
    onAdd(state, emitter, type, listener, KIND_EE, wrapper)
  } catch {}
}

const FunctionPrototypeCall = Function.prototype.call

// The wrapper calls Node's add through `Function.prototype.call` bound to it (`add(this, type,
// listener)`), not `original.call(this, ...)`: the call site's feedback then names that bound
// function, so TurboFan calls Node's add directly (or inlines it) also where it did not inline
// the wrapper itself; `original.call` left it a generic call (V8's CallFunction builtin: ~14
// instructions and ~4 L1 misses an add in callgrind). Each original gets a function literal of
// its own: closures of one literal share their feedback, and one prependListener() through it
// would make the call site megamorphic (generic) for addListener too.
const EE_ADD_WRAPPERS = {
  addListener: (state, add) => {
    const wrapper = {
      addListener(type, listener) {
        const result = add(this, type, listener)
        if (--state.countdown <= 0) sampledEEAdd(state, this, type, listener, wrapper)
        return result
      },
    }.addListener
    return wrapper
  },
  prependListener: (state, add) => {
    const wrapper = {
      prependListener(type, listener) {
        const result = add(this, type, listener)
        if (--state.countdown <= 0) sampledEEAdd(state, this, type, listener, wrapper)
        return result
      },
    }.prependListener
    return wrapper
  },
}

function wrapEEAdd(state, original) {
  // as small as can be (the slow half out of line, its try/catch too): V8 inlines this wrapper
  // into Node's and the app's callers and, within its inlining budget, the original add into it
  const make = Object.hasOwn(EE_ADD_WRAPPERS, original.name) ? EE_ADD_WRAPPERS[original.name] : null
  const add = FunctionPrototypeCall.bind(original)
  if (make !== null) return make(state, add)
  const wrapper = {
    [original.name](type, listener) {
      const result = add(this, type, listener)
      if (--state.countdown <= 0) sampledEEAdd(state, this, type, listener, wrapper)
      return result
    },
  }[original.name]
  return wrapper
}

function wrapEEOnce(state, original) {
  // Node's once()/prependOnceListener() add through this.on()/this.prependListener(), which are
  // instrumented: here we only mark the record as a once-listener.
  return {
    [original.name](type, listener) {
      state.pendingOnce = true
      try {
        return original.call(this, type, listener)
      } finally {
        state.pendingOnce = false
      }
    },
  }[original.name]
}

function wrapETAdd(state, original) {
  const wrapper = function addEventListener(type, listener, options) {
    const result = original.call(this, type, listener, options)
    if (--state.countdown <= 0) {
      try {
        // `options.once` may be a getter or a Proxy trap that throws: inside the try too
        state.pendingOnce = options !== null && typeof options === 'object' && options.once === true
        onAdd(state, this, type, listener, KIND_ET, wrapper)
      } catch {
        // bookkeeping never throws into the app (the listener is added)
      } finally {
        state.pendingOnce = false
      }
    }
    return result
  }
  return wrapper
}

function patch(state, proto, name, make) {
  const descriptor = Object.getOwnPropertyDescriptor(proto, name)
  if (!descriptor || typeof descriptor.value !== 'function') return
  state.originals.push([proto, name, descriptor])
  Object.defineProperty(proto, name, { ...descriptor, value: make(state, descriptor.value) })
}

/** Installs the wrappers; a second call only updates the sampling options. */
function install(options) {
  const holder = shared()
  if (holder.state !== null) {
    const s = holder.state
    s.sampleRate = options.sampleRate
    s.stackMode = options.stacks
    s.stackRate = options.stackSampleRate
    s.countdown = 1
    s.stackCountdown = 1
    return s
  }
  const state = createState(options)
  // `on` and `addListener` are the same function in Node; wrap it once and reuse the wrapper
  const wrapped = new Map()
  const reuse = (make) => (s, original) => {
    if (!wrapped.has(original)) wrapped.set(original, make(s, original))
    return wrapped.get(original)
  }
  for (const name of EE_ADD) patch(state, EE, name, reuse(wrapEEAdd))
  for (const name of EE_ONCE) patch(state, EE, name, wrapEEOnce)
  const ET = targetPrototype()
  if (ET) patch(state, ET, 'addEventListener', wrapETAdd)
  holder.state = state
  return state
}

/** Restores every patched method exactly (the original descriptors) and drops all state. */
function uninstall() {
  const holder = shared()
  const state = holder.state
  if (state === null) return
  for (let i = state.originals.length - 1; i >= 0; i--) {
    const [proto, name, descriptor] = state.originals[i]
    Object.defineProperty(proto, name, descriptor)
  }
  state.refs.clear()
  holder.state = null
}

function isInstalled() {
  return shared().state !== null
}

/** Adds of `type` on `entry` by the given origins in the epochs the current scope counts. */
function addsCounted(entry, type, addedBy) {
  let n = 0
  for (const [epoch, adds] of entry.adds) {
    const counts = epochs.counts(epoch) ? adds.get(type) : undefined
    if (counts !== undefined) for (let i = 0; i < ORIGINS.length; i++) if (addedBy.includes(ORIGINS[i])) n += counts[i]
  }
  return n
}

function labelOf(emitter) {
  return emitter === process ? 'process' : constructorName(emitter, 'EventEmitter')
}

function listenersOf(entry, emitter, type) {
  if (entry.kind === KIND_EE) return EE.rawListeners.call(emitter, type)
  return EventEmitter.getEventListeners(emitter, type)
}

function typesOf(entry, emitter) {
  return entry.kind === KIND_EE ? EE.eventNames.call(emitter) : [...entry.types]
}

/** Who may have added a listener (site.js originOf): the application, a package, Node itself. */
const ORIGINS = ['app', 'package', 'node']

/**
 * Reads the live listeners of every tracked emitter that is still alive. With `sinceBaseline`,
 * only listeners tagged in the epochs counted now. `addedBy`: the origins that count (all by
 * default); `closed: false` passes over emitters that are closed (a destroyed socket, a server
 * not listening, a closed WebSocket: their listeners go with them). Returns groups
 * `{ emitterId, emitter, event, site, count, removed, total, once, late }`, one per add-site
 * (`removed` is null under sampling; `site` is unmapped when `late`, the LateSite that maps it,
 * is not null).
 */
function collectGroups({ sinceBaseline, addedBy = ORIGINS, closed = true }) {
  const state = shared().state
  if (state === null) return []
  const groups = []
  for (const ref of state.refs) {
    const emitter = ref.deref()
    if (emitter === undefined) {
      state.refs.delete(ref)
      continue
    }
    try {
      // an emitter with no add in the counted epochs has no listener they count (a record is made
      // at an add, after its epoch's entry in `adds`, which only drops epochs no scope keeps): most
      // of those alive (the earlier tests' sockets, the server, process) are passed over unread
      if (sinceBaseline && !addedInCounted(entryOf(state, emitter))) continue
      if (!closed && isClosedEmitter(emitter)) continue
      groupsOf(state, emitter, { sinceBaseline, addedBy }, groups)
    } catch {
      // an emitter that cannot be read (a revoked Proxy, a getter that throws) is no finding
    }
  }
  return groups
}

/** Whether a tracked emitter's entry had an add in an epoch counted now. */
function addedInCounted(entry) {
  if (entry === undefined) return false
  for (const epoch of entry.adds.keys()) if (epochs.counts(epoch)) return true
  return false
}

function groupsOf(state, emitter, { sinceBaseline, addedBy }, groups) {
  const entry = entryOf(state, emitter)
  if (entry === undefined) return
  const found = []
  for (const type of typesOf(entry, emitter)) {
    const live = listenersOf(entry, emitter, type)
    if (live.length === 0) continue
    const bySite = new Map()
    let tagged = 0 // live listeners added in the counted epochs by the origins asked about
    for (const listener of live) {
      const record = entry.records.get(listener)
      if (record === undefined) continue
      if (sinceBaseline && !epochs.counts(record.epoch)) continue
      if (!addedBy.includes(record.by)) continue // not added by whom the caller asked about
      tagged++
      // grouped by the unmapped site: mapping (a source map) is paid by the findings that are read
      const late = lateOf(record)
      const site = late === undefined ? record.site : late.raw
      if (site === INTERNAL) continue // Node added it for itself (no user frame at all)
      const group = bySite.get(site)
      if (group === undefined) bySite.set(site, { count: 1, once: record.once, late: late === undefined ? null : late })
      else group.count++
    }
    if (bySite.size === 0) continue
    // removals are derived: adds in the counted epochs minus those still registered (exact when
    // every add is tracked; unknown under sampling)
    const removed = state.sampleRate >= 1 && sinceBaseline && !entry.pruned ? Math.max(0, addsCounted(entry, type, addedBy) - tagged) : null
    const label = labelOf(emitter)
    const event = typeof type === 'symbol' ? type.toString() : String(type)
    for (const [site, g] of bySite) {
      found.push({ emitterId: entry.id, emitter: label, event, site, count: g.count, removed, total: live.length, once: g.once, late: g.late })
    }
  }
  for (const g of found) groups.push(g) // all of an emitter's groups, or none
}

/** The id of a tracked emitter (the `emitterId` of its listener groups), or undefined. */
function idOf(emitter) {
  const state = shared().state
  if (state === null || emitter === null || typeof emitter !== 'object') return undefined
  try {
    const entry = entryOf(state, emitter)
    return entry === undefined ? undefined : entry.id
  } catch {
    return undefined
  }
}

/** The number of event names with listeners when `emitter` is an EventEmitter that keeps it, else null. */
function namesCount(entry, emitter) {
  if (entry.kind !== KIND_EE) return null
  const n = emitter._eventsCount
  return typeof n === 'number' ? n : null
}

/** Pushes the totals of a wide emitter (see WIDE): its number of names, and its HOT busiest names. */
function wideTotals(entry, emitter, names, push) {
  if (entry.recent === null) entry.recent = new Set()
  if (entry.hot === null) entry.hot = new Map()
  const counted = []
  const seen = new Set()
  for (const type of [...entry.hot.keys(), ...entry.recent]) {
    if (seen.has(type)) continue
    seen.add(type)
    const n = liveCount(entry, emitter, type)
    if (n > 0) counted.push([type, n])
  }
  entry.recent.clear()
  counted.sort((a, b) => b[1] - a[1])
  entry.hot = new Map(counted.slice(0, HOT))
  // live listeners, at least: one per name, and what the busiest names hold beyond one
  let atLeast = names
  for (const n of entry.hot.values()) atLeast += n - 1
  push(null, names, atLeast)
  for (const [type, n] of entry.hot) push(type, n)
}

/**
 * Live listener totals per tracked emitter and event (for trend sampling): `{ emitterId,
 * emitter, event, count }`; for an emitter with more than WIDE event names, one total with
 * `names: true` (its number of names with listeners; `atLeast`: its live listeners, at least)
 * and those of its busiest names only.
 */
function collectTotals() {
  const state = shared().state
  if (state === null) return []
  const out = []
  for (const ref of state.refs) {
    const emitter = ref.deref()
    if (emitter === undefined) continue
    try {
      const entry = entryOf(state, emitter)
      if (entry === undefined) continue
      const label = labelOf(emitter)
      const found = []
      const push = (type, count, atLeast) => {
        if (type === null) found.push({ emitterId: entry.id, emitter: label, event: null, names: true, count, atLeast })
        else found.push({ emitterId: entry.id, emitter: label, event: typeof type === 'symbol' ? type.toString() : String(type), count })
      }
      const names = namesCount(entry, emitter)
      if (names !== null && names > WIDE) wideTotals(entry, emitter, names, push)
      else {
        entry.hot = entry.recent = null
        for (const type of typesOf(entry, emitter)) {
          const n = liveCount(entry, emitter, type)
          if (n > 0) push(type, n)
        }
      }
      for (const t of found) out.push(t) // all of an emitter's totals, or none
    } catch {} // an emitter that cannot be read (a revoked Proxy) is skipped
  }
  return out
}

/**
 * The NEWEST names of an emitter's add counts that still have listeners, newest first: where a
 * leak of ever new names is going on now. (Counted over every name, the app's steady listeners
 * outnumbered or tied the new names' few sampled sites: one handler `on()` 100k names at start
 * was named the site of a `once('reply:<id>')` leak.)
 */
function newestNames(entry, emitter) {
  const all = []
  for (const adds of entry.adds.values()) for (const type of adds.keys()) all.push(type)
  const names = new Set()
  for (let i = all.length - 1; i >= 0 && names.size < NEWEST; i--) {
    if (!names.has(all[i]) && liveCount(entry, emitter, all[i]) > 0) names.add(all[i])
  }
  return names
}

/**
 * The add-site most tagged live listeners of one emitter's `event` were added at
 * (`{ site, count }`, or undefined); with `event === null`, over its newest names with listeners
 * (a leak of ever new names: see newestNames). Reads that emitter only.
 */
function dominantSite(emitterId, event) {
  const state = shared().state
  if (state === null) return undefined
  for (const ref of state.refs) {
    const emitter = ref.deref()
    if (emitter === undefined) continue
    try {
      const entry = entryOf(state, emitter)
      if (entry === undefined || entry.id !== emitterId) continue
      const names = event === null ? newestNames(entry, emitter) : new Set()
      if (event !== null) {
        for (const adds of entry.adds.values()) for (const type of adds.keys()) names.add(type)
        if (entry.hot !== null) for (const type of entry.hot.keys()) names.add(type)
        if ((namesCount(entry, emitter) || 0) <= WIDE) for (const type of typesOf(entry, emitter)) names.add(type)
      }
      const bySite = new Map()
      // over names (a leak of ever new names), one function added for many names counts once: its
      // record is that of its latest add, wherever that was, not the new names' site
      const seen = event === null ? new Set() : null
      for (const type of names) {
        if (event !== null && (typeof type === 'symbol' ? type.toString() : String(type)) !== event) continue
        for (const listener of listenersOf(entry, emitter, type)) {
          if (seen !== null) {
            if (seen.has(listener)) continue
            seen.add(listener)
          }
          const record = entry.records.get(listener)
          if (record === undefined || record.site === null || record.site === INTERNAL) continue
          bySite.set(record.site, (bySite.get(record.site) || 0) + 1)
        }
      }
      let best
      for (const [site, count] of bySite) if (best === undefined || count > best.count) best = { site, count }
      return best
    } catch {
      return undefined
    }
  }
  return undefined
}

module.exports = { install, uninstall, isInstalled, collectGroups, collectTotals, dominantSite, idOf, labelOf, ORIGINS }
