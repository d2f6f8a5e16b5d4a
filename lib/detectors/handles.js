'use strict'
// The `handles` detector: servers still listening and client sockets still open that were
// created since the baseline. Off unless `start({ handles: true })` (an app keeps its server
// open; a test that does leaks it); leakguard/jest and assertNoLeaks turn it on.
// Servers: net.Server.prototype.listen (http, https, tls, http2 and ws servers inherit it) is
// wrapped while on and restored exactly by stop(). Client sockets: the `net.client.socket`
// diagnostics channel. Both are held by WeakRef; a server is open while `listening`, a socket
// until it is destroyed.

const dc = require('node:diagnostics_channel')
const net = require('node:net')
const binding = require('../native')
const { NativeWeakRef } = binding
const { sweepGrown } = require('../instrument/weak')
const { epochs } = require('../session/epochs')
const { fromNative, setEmitters } = require('../findings/report')
const emitters = require('../instrument/emitters')
const { captureLateSite, defineSite } = require('../instrument/site')
const v = require('../validate')

/** At most this many handles are remembered at once (later ones are not tracked). */
const MAX_HANDLES = 10000
/** Records kept before the first sweep of the collected handles' (lib/instrument/weak.js). */
const SWEEP_FROM = 1024
/** Frames looked at for the creation site (servers are often started through a library). */
const SITE_DEPTH = 24

const state = { original: null, wrapper: null, live: new Set(), sweepAt: SWEEP_FROM, seen: new WeakSet(), subscribed: false }

function track(handle, server, skip) {
  sweepGrown(state.live, state, 'sweepAt', SWEEP_FROM, (record) => record.ref.deref() === undefined)
  if (state.live.size >= MAX_HANDLES || state.seen.has(handle)) return
  state.seen.add(handle)
  const site = captureLateSite(skip, SITE_DEPTH, true) // mapped when read: most sockets close unseen
  // a client socket no frame of the app's opened: Node's own (fetch()'s undici connects from its
  // pool, later), like the listeners Node adds for itself
  if (!server && site === null) return
  // the addon's weak reference, which a scavenge clears (lib/detectors/retained.js): a closed
  // socket that died young is collected young; what died is dropped at the next baseline or check
  const record = { ref: new NativeWeakRef(handle), server, site, epoch: epochs.epoch }
  if (site !== null && typeof site === 'object') defineSite(record) // a LateSite: mapped when first read
  state.live.add(record)
}

function onClientSocket(message) {
  try {
    const socket = message && message.socket
    if (socket && typeof socket === 'object') track(socket, false, onClientSocket)
  } catch {} // a subscriber that throws would be rethrown to the app by diagnostics_channel
}

function install() {
  if (state.original !== null) return
  const original = net.Server.prototype.listen
  const wrapper = function listen(...args) {
    const result = original.apply(this, args)
    try {
      track(this, true, wrapper)
    } catch {} // bookkeeping never throws into the app
    return result
  }
  Object.defineProperty(wrapper, 'name', { value: original.name })
  Object.defineProperty(wrapper, 'length', { value: original.length })
  state.original = original
  state.wrapper = wrapper
  net.Server.prototype.listen = wrapper
  dc.subscribe('net.client.socket', onClientSocket)
  state.subscribed = true
}

function uninstall() {
  if (state.original === null) return
  if (net.Server.prototype.listen === state.wrapper) net.Server.prototype.listen = state.original
  state.original = null
  state.wrapper = null
  if (state.subscribed) dc.unsubscribe('net.client.socket', onClientSocket)
  state.subscribed = false
  state.live = new Set()
  state.sweepAt = SWEEP_FROM
  state.seen = new WeakSet()
}

function isOpen(handle, server) {
  if (handle === undefined) return false
  return server ? handle.listening === true : handle.destroyed !== true && !pooled(handle)
}

/**
 * An idle keep-alive socket in an http.Agent's pool: no request on it, and unref()'d by the agent
 * (Node's global agent keeps sockets alive since Node 19). It keeps no process alive and the
 * server's keepAliveTimeout closes it: nobody's leak.
 */
function pooled(socket) {
  try {
    return socket._httpMessage === null && socket._handle != null && typeof socket._handle.hasRef === 'function' && socket._handle.hasRef() === false
  } catch {
    return false
  }
}

function addressOf(handle, server) {
  try {
    if (server) {
      const a = handle.address()
      if (typeof a === 'string') return a
      if (a && typeof a === 'object') return a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`
      return undefined
    }
    if (typeof handle.remoteAddress === 'string') return `${handle.remoteAddress}:${handle.remotePort}`
    if (handle._host) return String(handle._host)
  } catch {}
  return undefined
}


/** Findings for servers still listening and sockets still open, created since the baseline. */
function handleLeaks({ cwd }) {
  const groups = new Map()
  for (const record of state.live) {
    const handle = record.ref.deref()
    if (!isOpen(handle, record.server)) {
      state.live.delete(record)
      continue
    }
    if (!epochs.counts(record.epoch)) continue // created in a block checked on its own
    const label = v.constructorName(handle, 'handle')
    const address = addressOf(handle, record.server)
    const key = `${record.server}|${label}|${address}|${record.site}`
    let g = groups.get(key)
    if (g) g.group.count++
    else groups.set(key, (g = { group: { server: record.server, label, address, site: record.site || undefined, count: 1 }, ids: [] }))
    const id = emitters.idOf(handle)
    if (id !== undefined) g.ids.push(id)
  }
  if (groups.size === 0) return []
  // one group at a time, so each finding knows its handles (the emitters its listeners are on)
  const leaks = []
  for (const g of groups.values()) {
    for (const leak of fromNative(binding.evaluate({ kind: 'handles', groups: [g.group] }, cwd))) leaks.push(setEmitters(leak, g.ids))
  }
  return leaks.sort((a, b) => b.count - a.count)
}

const detector = {
  kind: 'handles',
  startOptions: { handles: { default: false, validate: (x, n) => v.validateBoolean(x, n) } },
  start(options) {
    if (options.handles) install()
    else uninstall()
  },
  stop() {
    uninstall()
  },
  baseline() {
    // a handle seen before is tracked again when it listens again; a kept test's stay as they are
    state.seen = new WeakSet()
    for (const record of state.live) {
      const handle = epochs.keeps(record.epoch) ? record.ref.deref() : undefined
      if (handle === undefined) state.live.delete(record)
      else state.seen.add(handle)
    }
  },
  check({ cwd }) {
    return state.original === null ? [] : handleLeaks({ cwd })
  },
  /** Listening servers and open sockets are normal in a running app: guard mode judges none (a test's leftovers are check()'s). */
  sample() {
    return []
  },
}

module.exports = detector
module.exports.handleLeaks = handleLeaks
