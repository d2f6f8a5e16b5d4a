'use strict'
// A client that churns connections: opens `count` WebSockets in batches of `batch`, sends a
// message on each, waits for the echo and closes it, and waits until the server saw the close.

const WebSocket = require('ws')

function once(ws, event) {
  return new Promise((resolve, reject) => {
    ws.once(event, resolve)
    if (event !== 'error') ws.once('error', reject)
  })
}

async function churn(port, { count = 200, batch = 50 } = {}) {
  for (let done = 0; done < count; done += batch) {
    const n = Math.min(batch, count - done)
    await Promise.all(
      Array.from({ length: n }, async () => {
        const ws = new WebSocket(`ws://127.0.0.1:${port}`)
        await once(ws, 'open')
        ws.send('hello')
        await once(ws, 'message')
        ws.close()
        await once(ws, 'close')
      }),
    )
  }
}

/** Waits until `server.clients` (ws's own tracking) is empty: every server side saw 'close'. */
async function drained(server) {
  while (server.clients.size > 0) await new Promise((r) => setTimeout(r, 20))
}

module.exports = { churn, drained }

if (require.main === module) {
  const port = Number(process.argv[2] || 3000)
  churn(port, { count: Number(process.argv[3] || 200) }).then(
    () => console.log('churned'),
    (err) => {
      console.error(err)
      process.exitCode = 1
    },
  )
}
