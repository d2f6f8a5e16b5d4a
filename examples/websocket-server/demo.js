'use strict'
// `npm run demo` part: the WebSocket server that keeps closed connections, leaky and fixed,
// with the Set registered and without any registration.
const { runVariant } = require('./variant')

async function main() {
  await runVariant({ leaky: true, track: true })
  await runVariant({ leaky: true, track: false })
  await runVariant({ leaky: false, track: true })
}

main().catch((err) => {
  console.error(err)
  process.exitCode = 1
})
