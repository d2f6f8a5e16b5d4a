'use strict'
// watch() and the `retained` detector: objects expected to become garbage are held by a weak
// reference; after a forced GC and a grace period, those still alive are findings, grouped by
// description. Closed sockets are watched automatically from their 'close': server and client
// sockets through diagnostics_channel (`net.server.socket` / `net.client.socket`), and the ws
// WebSocket attached to a socket (found by ws's own `Symbol(websocket)`, so ws is never required).
//
// The weak references are the addon's (NativeWeakRef: a Node-API reference of count zero), not
// JavaScript's WeakRef and FinalizationRegistry, for what they pin:
// - before V8 14 (Node 20-24) the scavenger holds WeakRef and FinalizationRegistry targets
//   strongly, so a watched object survived its young generation, was promoted, and could be seen
//   dead only after a full GC: every jest test file whose tests made a request (a closed client
//   and server socket each) paid a forced full GC at its end, ~30 ms on the bench's worker heap,
//   and guard mode promoted every watched socket with what it references. A weak global handle is
//   cleared by the scavenger: what dies young is gone at the next minor GC, as without leakguard;
// - `new WeakRef(object)` keeps its target alive until the current job ends (ECMAScript's
//   KeepDuringJob set): a synchronous loop that watches 100k short-lived objects of 8 KB each ran
//   out of a 512 MB heap (issue 13). A Node-API reference keeps nothing, and neither does
//   deref() (its value is a handle of the call's scope).
// Nothing calls back when a target dies: dead entries are found, counted and dropped when the
// entries are read (every check, guard sample and test end) and when the set doubles.

const dc = require('node:diagnostics_channel')
const { EventEmitter } = require('node:events')
const binding = require('../native')
const { NativeWeakRef } = binding
const { sweepGrown } = require('../instrument/weak')
const { fromNative } = require('../findings/report')
const { notStarted } = require('../errors')
const v = require('../validate')
const { epochs } = require('../session/epochs')
const { majorGCs, forcedGCs } = require('../session/gc')

const kTargets = Symbol.for('leakguard.targets')
/** At most this many objects are watched at once; later ones are not watched. */
const MAX_WATCHED = 200000
const MAX_TARGETS = 8
/** add() first drops the dead entries at this many (then at twice the live ones). */
const SWEEP_FROM = 4096
// Guard mode watches at most CLOSES_PER_SAMPLE closed sockets (and their WebSockets) per sample
// interval; a session (check()) watches every one. (With WeakRefs, which the scavenger held
// strongly on Node 20-24, an http server with a connection per request, autocannon with
// `connection: close`, 5,000 connections, promoted 7.0 MB under guard against 3.0 MB plain and had
// ~1.35x the CPU per request; the cap bounds the entries an interval adds, whatever holds them.)
// A leak of closed sockets is many of them, so it still shows in the interval's sample (its count
// grows), though the count is then that of the sockets watched, not of all those leaked.
const CLOSES_PER_SAMPLE = 128
// Captured before any instrumentation patches the prototype: our own 'close' listeners are
// not the user's, so they bypass the listeners detector. (prependOnceListener would not: it
// calls `this.prependListener`, the patched one.) 'close' is emitted once per socket.
const prepend = EventEmitter.prototype.prependListener

const state = {
  generation: 0,
  active: false,
  graceMs: 0,
  watched: new Set(), // entries { ref (a NativeWeakRef), description, time, epoch, gc, forced }
  sweepAt: SWEEP_FROM, // the size of `watched` at which add() drops the dead entries
  collected: new Map(), // description -> count that became garbage
  subscribed: false,
  closes: Infinity, // closed sockets that may still be watched until the next sample (see CLOSES_PER_SAMPLE)
}

/** Whether `entry`'s object is still alive; a dead one is counted as collected and dropped. */
function alive(entry) {
  if (entry.ref.deref() !== undefined) return true
  state.watched.delete(entry)
  state.collected.set(entry.description, (state.collected.get(entry.description) || 0) + 1)
  if (state.collected.size > 1000) state.collected.delete(state.collected.keys().next().value)
  return false
}

/** Watches `object`; `epoch`: the one it belongs to (a socket's: when it was opened, not when it closed). */
function add(object, description, epoch = epochs.epoch) {
  sweepGrown(state.watched, state, 'sweepAt', SWEEP_FROM, (entry) => !alive(entry)) // (alive() drops a dead one itself)
  if (state.watched.size >= MAX_WATCHED) return
  const entry = { ref: new NativeWeakRef(object), description, time: Date.now(), epoch, gc: majorGCs.count, forced: forcedGCs.started }
  state.watched.add(entry)
}

/**
 * Watches `object`, which is expected to become garbage soon: if it is still alive at a check
 * after the grace period and a GC, it is a `retained` finding under `description`.
 */
function watch(object, description) {
  if (object === null || (typeof object !== 'object' && typeof object !== 'function')) {
    throw v.typeError('object', 'of type object or function', object)
  }
  v.validateString(description, 'description')
  if (!state.active) throw notStarted('watch')
  add(object, description)
}

function findWebSocket(socket) {
  for (const s of Object.getOwnPropertySymbols(socket)) {
    if (s.description === 'websocket') {
      const ws = socket[s]
      return ws !== null && typeof ws === 'object' ? ws : null
    }
  }
  return null
}

function onSocket(message) {
  // never throws: diagnostics_channel would rethrow a subscriber's error to the app
  try {
    if (!state.active) return
    const socket = message && message.socket
    if (!socket || typeof socket.on !== 'function') return
    const generation = state.generation
    const opened = epochs.epoch // the test that opened it left it, whenever it closes
    let seen = false
    prepend.call(socket, 'close', function leakguardWatchClosed() {
      if (seen || !state.active || state.generation !== generation) return
      seen = true
      if (state.closes <= 0) return // guard mode: this interval's budget is spent
      state.closes--
      try {
        // runs before ws's own socket 'close' handler, while the WebSocket is still attached
        const ws = findWebSocket(this)
        add(this, `closed ${v.constructorName(this, 'Socket')}`, opened)
        if (ws !== null) add(ws, 'closed WebSocket', opened)
      } catch {} // the app's own 'close' handlers run whatever happens here
    })
  } catch {}
}

function subscribe() {
  if (state.subscribed) return
  dc.subscribe('net.server.socket', onSocket)
  dc.subscribe('net.client.socket', onSocket)
  state.subscribed = true
}

function unsubscribe() {
  if (!state.subscribed) return
  dc.unsubscribe('net.server.socket', onSocket)
  dc.unsubscribe('net.client.socket', onSocket)
  state.subscribed = false
}

/** Forgets what was watched (all of it, or what no kept epoch needs). */
function reset(all = true) {
  if (all) {
    state.watched = new Set()
    state.sweepAt = SWEEP_FROM
  } else {
    for (const entry of state.watched) if (!epochs.keeps(entry.epoch)) state.watched.delete(entry)
  }
  state.collected = new Map()
}

/**
 * Watched objects still alive past `graceMs`, by description: `[{ group, targets }]` where
 * `group` is what Rust knows (core's RetainedGroup) and `targets` up to MAX_TARGETS weak references (NativeWeakRef: `deref()`).
 */
function aliveGroups({ graceMs, now = Date.now(), survivedGC = false }) {
  const groups = new Map()
  for (const entry of state.watched) {
    if (!alive(entry)) continue
    if (!epochs.counts(entry.epoch)) continue // watched in a block checked on its own
    const age = now - entry.time
    if (age < graceMs) continue
    // only what survived a GC that began after it should have died: check() forces one (a later
    // forced GC than the watch); guard mode waits for the app's own major GCs (the second one
    // observed since: the first may have begun before)
    if (survivedGC ? majorGCs.count < entry.gc + 2 : forcedGCs.started <= entry.forced) continue
    let g = groups.get(entry.description)
    if (!g) {
      g = { group: { description: entry.description, count: 0, collected: 0, oldestMs: 0 }, targets: [] }
      groups.set(entry.description, g)
    }
    g.group.count++
    if (age > g.group.oldestMs) g.group.oldestMs = age
    if (g.targets.length < MAX_TARGETS) g.targets.push(entry.ref)
  }
  for (const g of groups.values()) g.group.collected = state.collected.get(g.group.description) || 0
  return [...groups.values()]
}

/** Findings for watched objects still alive after the grace period (call after a GC). */
function retainedLeaks({ graceMs, now }) {
  const alive = aliveGroups({ graceMs, now })
  if (alive.length === 0) return []
  const targets = new Map(alive.map((g) => [g.group.description, g.targets]))
  const leaks = fromNative(binding.evaluate({ kind: 'retained', threshold: 1, groups: alive.map((g) => g.group) }, ''))
  for (const leak of leaks) Object.defineProperty(leak, kTargets, { value: targets.get(leak.description), enumerable: false })
  return leaks
}

const graceSpec = { validate: (x, n) => v.validateNumber(x, n, 0, 2 ** 31 - 1) }

const detector = {
  kind: 'retained',
  needsGC: true,
  startOptions: { graceMs: { default: 0, ...graceSpec } },
  checkOptions: { graceMs: { default: undefined, ...graceSpec } },
  start(options) {
    if (!state.active) {
      state.generation++
      reset()
    }
    state.active = true
    state.graceMs = options.graceMs
    subscribe()
  },
  startSampling() {
    state.closes = CLOSES_PER_SAMPLE
  },
  stopSampling() {
    state.closes = Infinity
  },
  stop() {
    unsubscribe()
    state.active = false
    state.closes = Infinity
    state.generation++
    reset()
  },
  baseline() {
    reset(false)
  },
  /**
   * Watched objects of the counted epochs still alive, by description (a Map): they wait for a
   * forced GC to be judged. What a GC of the app's own collected reads as gone already.
   */
  awaitingGC() {
    const counts = new Map()
    for (const entry of state.watched) {
      if (epochs.counts(entry.epoch) && alive(entry)) counts.set(entry.description, (counts.get(entry.description) || 0) + 1)
    }
    return counts
  },
  check({ checkOptions }) {
    const graceMs = checkOptions.graceMs === undefined ? state.graceMs : checkOptions.graceMs
    return retainedLeaks({ graceMs })
  },
  /**
   * Objects still alive after a major GC that began after they should have died, by
   * description. Guard mode never forces a GC: it waits for the app's own (lib/session/gc.js),
   * so nothing the next GC would collect is counted; a finding needs the count to keep rising
   * over the trend window.
   */
  sample(now) {
    state.closes = CLOSES_PER_SAMPLE
    return aliveGroups({ graceMs: 0, now, survivedGC: true }).map((g) => ({
      key: g.group.description,
      value: g.group.count,
      meta: { series: 'retained', group: g.group },
    }))
  },
}

module.exports = detector
module.exports.watch = watch
module.exports.kTargets = kTargets
