'use strict'
// The seed server with `socket.on('close', () => connections.delete(socket))`:
// `node examples/websocket-server/fixed.js`
require('./variant').runVariant({ leaky: false }).catch((err) => {
  console.error(err)
  process.exitCode = 1
})
