'use strict'
// Runs examples/listeners/app.js under leakguard and prints what it finds.

const leakguard = require('../..')
const { EventEmitter } = require('node:events')

async function main() {
  leakguard.start({ onLeak: () => {} }) // we print the findings ourselves below
  const app = require('./app')

  for (let i = 0; i < 200; i++) {
    app.handleRequest({ id: i, refresh() {} })
    app.runJob({ cancel() {} })
    const req = Object.assign(new EventEmitter(), { body: [] })
    app.streamRequest(req)
    req.emit('data', 'x')
    req.emit('end')
  }

  const leaks = await leakguard.check()
  console.log(`200 simulated requests, ${leaks.length} findings:`)
  for (const leak of leaks) console.log(`  [${leak.code}] ${leak.message}`)
  console.log('(the request streams that removed their listeners are not findings)')
  leakguard.stop()
}

main().catch((err) => {
  console.error(err)
  process.exitCode = 1
})
