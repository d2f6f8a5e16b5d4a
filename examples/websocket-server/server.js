'use strict'
// The seed server of the issue, in a leaky and a fixed variant.
//   const server = new WebSocket.Server({ port: 3000 })
//   const connections = new Set()
//   server.on('connection', (socket) => {
//     connections.add(socket)
//     socket.on('message', (message) => { /* ... */ })
//     socket.on('close', () => connections.delete(socket))   // forget this line and it leaks
//   })

const WebSocket = require('ws')
const leakguard = require('../../index')

/**
 * Starts the server on 127.0.0.1 (port 0 = any free port). `leaky`: forgets the delete.
 * `track`: registers `connections` with leakguard.trackSet (leakguard must be started).
 * Resolves to `{ server, port, connections, close() }`.
 */
function startServer({ leaky, track = true, port = 0 } = {}) {
  const server = new WebSocket.Server({ host: '127.0.0.1', port })
  let connections = new Set()
  if (track) connections = leakguard.trackSet(connections, 'connections')
  server.on('connection', (socket) => {
    connections.add(socket)
    socket.on('message', (message) => socket.send(message))
    if (!leaky) socket.on('close', () => connections.delete(socket))
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.once('listening', () => {
      resolve({
        server,
        port: server.address().port,
        connections,
        close: () => new Promise((r) => server.close(() => r())),
      })
    })
  })
}

module.exports = { startServer }
