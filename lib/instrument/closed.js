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
 * True when an emitter is done: a destroyed stream, socket, request or http2 session, a response
 * that finished, a server not listening (ws's WebSocketServer closed too), a closed WebSocket (ws
 * or WHATWG), an aborted AbortSignal (it never fires again). Their listeners can never run
 * again: a test that leaves listeners on one has leaked nothing that lives on (the test
 * integrations pass over them; check() counts them unless `closedEmitters: false`: one kept alive
 * still holds its listeners). May throw (a getter): callers catch.
 */
function isClosedEmitter(e) {
  if (e === process) return false
  if (e.destroyed === true) return true
  if (e instanceof net.Server) return e.listening !== true
  if (typeof AbortSignal === 'function' && e instanceof AbortSignal) return e.aborted === true
  // http.ServerResponse, Http2ServerResponse: finished and flushed
  if (typeof e.writeHead === 'function' && e.writableFinished === true) return true
  // ws's WebSocketServer: _state CLOSED (2), by shape (ws is never required)
  if (typeof e.handleUpgrade === 'function' && typeof e.shouldHandle === 'function' && e._state === 2) return true
  const kind = memberKind(e)
  if (kind !== null) return isClosedBuiltin(e, kind)
  // WHATWG WebSocket / EventSource: CLOSED is 2 for EventSource, 3 for WebSocket
  if (typeof e.readyState === 'number' && typeof e.close === 'function') return e.readyState === (e.CLOSED === undefined ? 3 : e.CLOSED)
  return false
}

module.exports = { memberKind, isClosedBuiltin, isClosedEmitter, LABELS }
