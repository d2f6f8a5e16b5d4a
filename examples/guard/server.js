'use strict'
// A small http server with a classic leak: every request subscribes to config changes and never
// unsubscribes. Run it under guard mode with no code change:
//   LEAKGUARD_INTERVAL=1000 node -r leakguard/guard examples/guard/server.js
const http = require('node:http')
const { EventEmitter } = require('node:events')

const config = new EventEmitter()
config.setMaxListeners(0)

const server = http.createServer((req, res) => {
  config.on('changed', () => res.headersSent) // the leak: never removed
  res.end('ok')
})

server.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  if (process.send) process.send({ port: server.address().port })
  else console.log(`listening on http://127.0.0.1:${server.address().port}`)
})
