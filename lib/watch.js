'use strict'
// watch() and the `retained` detector: objects expected to become garbage are held by a
// WeakRef; after a forced GC and a grace period, those still alive are findings, grouped by
// description. Closed sockets are watched automatically from their 'close': server and client
// sockets through diagnostics_channel (`net.server.socket` / `net.client.socket`), and the ws
// WebSocket attached to a socket (found by ws's own `Symbol(websocket)`, so ws is never required).

const dc = require('node:diagnostics_channel')
const { EventEmitter } = require('node:events')
const binding = require('../binding')
const { registerDetector } = require('./detectors')
const { setKey } = require('./report')
const v = require('./validate')
const { Epochs } = require('./epochs')

const kTargets = Symbol.for('leakguard.targets')
/** At most this many objects are watched at once; later ones are counted as skipped. */
const MAX_WATCHED = 200000
const MAX_TARGETS = 8
// Captured before any instrumentation patches the prototype: our own 'close' listeners are
// not the user's, so they bypass the listeners detector. (prependOnceListener would not: it
// calls `this.prependListener`, the patched one.) 'close' is emitted once per socket.
const prepend = EventEmitter.prototype.prependListener

const state = {
  generation: 0,
  active: false,
  graceMs: 1000,
  watched: new Set(), // entries { ref, description, time, epoch }
  epochs: new Epochs(),
  collected: new Map(), // description -> count that became garbage
  skipped: 0,
  registry: null,
  subscribed: false,
}

function onFinalized(entry) {
  if (!state.watched.delete(entry)) return
  state.collected.set(entry.description, (state.collected.get(entry.description) || 0) + 1)
  if (state.collected.size > 1000) state.collected.delete(state.collected.keys().next().value)
}

function add(object, description) {
  if (state.watched.size >= MAX_WATCHED) {
    state.skipped++
    return
  }
  if (state.registry === null) state.registry = new FinalizationRegistry(onFinalized)
  const entry = { ref: new WeakRef(object), description, time: Date.now(), epoch: state.epochs.epoch }
  state.watched.add(entry)
  state.registry.register(object, entry)
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
  if (!state.active) {
    const err = new Error('leakguard.watch() was called before leakguard.start(): call leakguard.start() first')
    err.code = 'ERR_LEAKGUARD_NOT_STARTED'
    throw err
  }
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
  if (!state.active) return
  const socket = message && message.socket
  if (!socket || typeof socket.on !== 'function') return
  const generation = state.generation
  let seen = false
  prepend.call(socket, 'close', function leakguardWatchClosed() {
    if (seen || !state.active || state.generation !== generation) return
    seen = true
    // runs before ws's own socket 'close' handler, while the WebSocket is still attached
    const ws = findWebSocket(this)
    add(this, `closed ${this.constructor.name}`)
    if (ws !== null) add(ws, 'closed WebSocket')
  })
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

function reset() {
  state.epochs.baseline()
  state.watched = new Set()
  state.collected = new Map()
  state.skipped = 0
  state.registry = null // entries of the old registry find nothing to delete
}

/** Findings for watched objects still alive after the grace period (call after a GC). */
function retainedLeaks({ graceMs, now = Date.now() }) {
  const groups = new Map()
  for (const entry of state.watched) {
    const target = entry.ref.deref()
    if (target === undefined) {
      onFinalized(entry)
      continue
    }
    if (!state.epochs.counts(entry.epoch)) continue // watched in a block checked on its own
    const age = now - entry.time
    if (age < graceMs) continue
    let g = groups.get(entry.description)
    if (!g) groups.set(entry.description, (g = { count: 0, oldestMs: 0, targets: [] }))
    g.count++
    if (age > g.oldestMs) g.oldestMs = age
    if (g.targets.length < MAX_TARGETS) g.targets.push(entry.ref)
  }
  if (groups.size === 0) return []
  const input = [...groups].map(([description, g]) => ({
    description,
    count: g.count,
    collected: state.collected.get(description) || 0,
    oldestMs: g.oldestMs,
  }))
  return binding.evaluateRetained(input, 1).map((out) => {
    const leak = { kind: out.kind, code: out.code, message: out.message, count: out.count }
    leak.description = out.description
    Object.defineProperty(leak, kTargets, { value: groups.get(out.description).targets, enumerable: false })
    // one finding per description; warned again only when it doubled
    const bucket = Math.floor(Math.log2(out.count))
    return setKey(leak, `retained|${out.description}|${bucket}`)
  })
}

const graceSpec = { validate: (x, n) => v.validateNumber(x, n, 0, 2 ** 31 - 1) }

registerDetector({
  kind: 'retained',
  startOptions: { graceMs: { default: 1000, ...graceSpec } },
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
  stop() {
    unsubscribe()
    state.active = false
    state.generation++
    reset()
  },
  baseline() {
    reset()
  },
  enterScope() {
    return state.epochs.enter()
  },
  exitScope(token) {
    state.epochs.exit(token)
  },
  async collect({ checkOptions }) {
    const graceMs = checkOptions.graceMs === undefined ? state.graceMs : checkOptions.graceMs
    return retainedLeaks({ graceMs })
  },
})

module.exports = { watch, retainedLeaks, kTargets }
