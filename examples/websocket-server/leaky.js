'use strict'
// The seed server without `connections.delete(socket)`: `node examples/websocket-server/leaky.js`
require('./variant').runVariant({ leaky: true }).catch((err) => {
  console.error(err)
  process.exitCode = 1
})
