'use strict'
// "Is this member closed?" for the things servers keep in collections: net/tls sockets,
// ws WebSockets (detected by shape, ws is never required), http2 sessions; and "is this emitter
// done?" for the listeners left on it.

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

/**
 * True when an emitter is done: a destroyed stream, socket, request or http2 session, a server
 * not listening, a closed WebSocket (ws or WHATWG). Their listeners go with them; a test that
 * leaves listeners on one has leaked nothing that lives on (an aborted AbortSignal is not done:
 * one kept alive still holds its 'abort' listeners). May throw (a getter): callers catch.
 */
function isClosedEmitter(e) {
  if (e === process) return false
  if (e.destroyed === true) return true
  if (e instanceof net.Server) return e.listening !== true
  const kind = memberKind(e)
  if (kind !== null) return isClosedBuiltin(e, kind)
  // WHATWG WebSocket / EventSource: CLOSED is 2 for EventSource, 3 for WebSocket
  if (typeof e.readyState === 'number' && typeof e.close === 'function') return e.readyState === (e.CLOSED === undefined ? 3 : e.CLOSED)
  return false
}

module.exports = { memberKind, isClosedBuiltin, isClosedEmitter, LABELS }
