'use strict'
// Listener instrumentation for EventEmitter and EventTarget (which covers AbortSignal).
//
// The design keeps the hot path tiny and makes counts exact by construction:
// - The add wrappers do not count. After the original add succeeded they (a) register the
//   emitter weakly on first sight and (b) tag the listener in a WeakMap with the baseline epoch
//   and, when a stack is captured, its add-site. With `sampleRate < 1` (guard mode) only one add
//   in ~1/sampleRate reaches even that; the others cost a decrement and a compare.
// - Live counts are read from the emitters at check time (rawListeners / getEventListeners), so
//   once(), removeAllListeners(), `{ signal }` removal and `{ once: true }` are always right.
// - Removals are not wrapped at all: removed = adds since the baseline (counted in the add slow
//   path) − still registered. Every removal path (off, removeListener, removeAllListeners, a once
//   listener firing, an aborted `signal`) is thereby exact, and a remove costs nothing extra.
// Nothing here holds an emitter or a listener strongly: WeakMaps, WeakRefs and a
// FinalizationRegistry that drops the WeakRef of a collected emitter.
//
// The state lives on the (process-wide) EventEmitter constructor under a registered symbol, so
// every copy of this module in one process (jest loads modules once per test file, the
// prototypes are shared) sees one instrumentation.

const EventEmitter = require('node:events')
const { captureAddSite, INTERNAL } = require('./site')
const { Epochs } = require('../session/epochs')
const { constructorName } = require('../validate')

const kShared = Symbol.for('leakguard.emitters.v1')
const EE = EventEmitter.prototype
const ET = globalThis.EventTarget && EventTarget.prototype

const EE_ADD = ['on', 'addListener', 'prependListener']
const EE_ONCE = ['once', 'prependOnceListener']

const KIND_EE = 1
const KIND_ET = 2

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
    epochs: new Epochs(),
    nextId: 1,
    sampleRate: options.sampleRate,
    stackMode: options.stacks,
    stackRate: options.stackSampleRate,
    countdown: 1,
    stackCountdown: 1,
    epochRecord: { epoch: 1, site: null, once: false },
    pendingOnce: false,
    entries: new WeakMap(), // emitter -> { id, kind, ref, types, adds: Map<epoch, Map<type, n>> }
    refs: new Set(), // WeakRef<emitter>, for iteration
    records: new WeakMap(), // listener -> { epoch, site, once }
    originals: [], // [prototype, name, descriptor]
    registry: null,
  }
  state.registry = new FinalizationRegistry((ref) => state.refs.delete(ref))
  return state
}

function entryFor(state, emitter, kind) {
  let entry = state.entries.get(emitter)
  if (entry === undefined) {
    const ref = new WeakRef(emitter)
    entry = { id: state.nextId++ >>> 0, kind, ref, types: kind === KIND_ET ? new Set() : null, adds: new Map() }
    state.entries.set(emitter, entry)
    state.refs.add(ref)
    state.registry.register(emitter, ref)
  }
  return entry
}

// The slow half of an add: reached by every add (sampleRate 1) or a sample of them.
function onAdd(state, emitter, type, listener, kind, caller) {
  state.countdown = nextCountdown(state.sampleRate)
  if (listener === null || (typeof listener !== 'function' && typeof listener !== 'object')) return
  const entry = entryFor(state, emitter, kind)
  if (entry.types !== null) entry.types.add(type)
  const epoch = state.epochs.epoch
  let adds = entry.adds.get(epoch)
  if (adds === undefined) {
    for (const e of entry.adds.keys()) if (e < state.epochs.floor) entry.adds.delete(e)
    adds = new Map()
    entry.adds.set(epoch, adds)
  }
  adds.set(type, (adds.get(type) || 0) + 1)
  let record = state.epochRecord
  const once = state.pendingOnce
  if (state.stackMode !== 'off' && --state.stackCountdown <= 0) {
    state.stackCountdown = state.stackMode === 'always' ? 1 : nextCountdown(state.stackRate)
    record = { epoch, site: captureAddSite(caller), once }
  } else if (once) {
    record = { epoch, site: null, once }
  }
  state.records.set(listener, record)
}

function wrapEEAdd(state, original) {
  const wrapper = {
    [original.name](type, listener) {
      const result = original.call(this, type, listener)
      if (--state.countdown <= 0) onAdd(state, this, type, listener, KIND_EE, wrapper)
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
      state.pendingOnce = options !== null && typeof options === 'object' && options.once === true
      try {
        onAdd(state, this, type, listener, KIND_ET, wrapper)
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

/** Starts a new epoch: listeners added before now no longer count as new. */
function baseline() {
  const state = shared().state
  if (state === null) return
  state.epochs.baseline()
  state.epochRecord = { epoch: state.epochs.epoch, site: null, once: false }
}

/** A nested block counted on its own (see lib/epochs.js); returns the token for exitScope(). */
function enterScope() {
  const state = shared().state
  if (state === null) return null
  const token = state.epochs.enter()
  state.epochRecord = { epoch: state.epochs.epoch, site: null, once: false }
  return token
}

function exitScope(token) {
  const state = shared().state
  if (state === null || token === null) return
  state.epochs.exit(token)
  state.epochRecord = { epoch: state.epochs.epoch, site: null, once: false }
}

/** Adds of `type` on `entry` in the epochs the current scope counts. */
function addsCounted(state, entry, type) {
  let n = 0
  for (const [epoch, adds] of entry.adds) if (state.epochs.counts(epoch)) n += adds.get(type) || 0
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

/**
 * Reads the live listeners of every tracked emitter that is still alive. With `sinceBaseline`,
 * only listeners tagged in the current epoch count. Returns groups
 * `{ emitterId, emitter, event, site, count, removed, total, once }` (`removed` is null under sampling), one per add-site.
 */
function collectGroups({ sinceBaseline }) {
  const state = shared().state
  if (state === null) return []
  const groups = []
  for (const ref of state.refs) {
    const emitter = ref.deref()
    if (emitter === undefined) {
      state.refs.delete(ref)
      continue
    }
    const entry = state.entries.get(emitter)
    if (entry === undefined) continue
    try {
      groupsOf(state, entry, emitter, sinceBaseline, groups)
    } catch {
      // a revoked Proxy, a throwing getter: it costs this emitter only, never the check
    }
  }
  return groups
}

function groupsOf(state, entry, emitter, sinceBaseline, groups) {
  for (const type of typesOf(entry, emitter)) {
    const live = listenersOf(entry, emitter, type)
    if (live.length === 0) continue
    const bySite = new Map()
    for (const listener of live) {
      const record = state.records.get(listener)
      if (record === undefined) continue
      if (sinceBaseline && !state.epochs.counts(record.epoch)) continue
      if (record.site === INTERNAL) continue // Node added it for itself: not the user's listener
      const site = record.site
      const group = bySite.get(site)
      if (group === undefined) bySite.set(site, { count: 1, once: record.once })
      else group.count++
    }
    // removals are derived: adds since the baseline minus those still registered (exact when
    // every add is tracked; unknown under sampling)
    let added = 0
    for (const g of bySite.values()) added += g.count
    const adds = addsCounted(state, entry, type)
    const removed = state.sampleRate >= 1 ? Math.max(0, adds - added) : null
    const label = labelOf(emitter)
    const event = typeof type === 'symbol' ? type.toString() : String(type)
    for (const [site, g] of bySite) {
      groups.push({ emitterId: entry.id, emitter: label, event, site, count: g.count, removed, total: live.length, once: g.once })
    }
  }
}

/** Live listener totals per tracked emitter and event (for trend sampling). */
function collectTotals() {
  const state = shared().state
  if (state === null) return []
  const out = []
  for (const ref of state.refs) {
    const emitter = ref.deref()
    if (emitter === undefined) continue
    const entry = state.entries.get(emitter)
    if (entry === undefined) continue
    try {
      const label = labelOf(emitter)
      for (const type of typesOf(entry, emitter)) {
        const n = listenersOf(entry, emitter, type).length
        if (n > 0) out.push({ emitterId: entry.id, emitter: label, event: typeof type === 'symbol' ? type.toString() : String(type), count: n })
      }
    } catch {
      // this emitter only (see collectGroups)
    }
  }
  return out
}

module.exports = { install, uninstall, isInstalled, baseline, enterScope, exitScope, collectGroups, collectTotals, labelOf }
