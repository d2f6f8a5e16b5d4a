'use strict'
// Runs one variant of the seed server under leakguard, churns `count` real connections through
// it, and prints what leakguard found. Used by leaky.js, fixed.js and demo.js.

const leakguard = require('../../index')
const { startServer } = require('./server')
const { churn, drained } = require('./client')

async function runVariant({ leaky, track = true, count = 120, log = console.log }) {
  leakguard.start({ warn: false, graceMs: 0 })
  const app = await startServer({ leaky, track })
  try {
    await churn(app.port, { count })
    await drained(app.server)
    const leaks = await leakguard.check()
    const label = `${leaky ? 'leaky' : 'fixed'} server${track ? ' (connections tracked with trackSet)' : ' (nothing registered)'}`
    log(`${label}, ${count} connections opened and closed:`)
    if (leaks.length === 0) log('  no leaks found')
    for (const l of leaks) log(`  [${l.code}] ${l.message}`)
    return leaks
  } finally {
    await app.close()
    leakguard.stop()
  }
}

module.exports = { runVariant }
