'use strict'
// "Is this member closed?" for the things servers keep in collections: net/tls sockets,
// ws WebSockets (detected by shape, ws is never required), http2 sessions.

const net = require('node:net')

/** 'socket' | 'websocket' | 'http2' | null: what kind of closable thing `m` is. */
function memberKind(m) {
  if (m === null || typeof m !== 'object') return null
  if (m instanceof net.Socket) return 'socket'
  // ws: readyState 0..3 and a terminate() method (CLOSED is 3)
  if (typeof m.readyState === 'number' && typeof m.terminate === 'function' && typeof m.ping === 'function') {
    return 'websocket'
  }
  // http2 sessions: a boolean `closed` and goaway()
  if (typeof m.goaway === 'function' && typeof m.closed === 'boolean') return 'http2'
  return null
}

/** True when `m` is a closed socket / WebSocket / http2 session. */
function isClosedBuiltin(m, kind = memberKind(m)) {
  switch (kind) {
    case 'socket':
      return m.destroyed === true
    case 'websocket':
      return m.readyState === 3
    case 'http2':
      return m.closed === true || m.destroyed === true
    default:
      return false
  }
}

const LABELS = { socket: 'sockets', websocket: 'sockets', http2: 'http2 sessions' }

module.exports = { memberKind, isClosedBuiltin, LABELS }
