'use strict'
// `npm run demo` part: who holds a leak.
//  1. The seed's leaky WebSocket server (closed connections never deleted from a Set):
//     check({ explain: true }) names the variable that holds them and the path to it.
//  2. A process that leaks into a module-level Map, snapshotted three times with
//     leakguard.writeSnapshot, and `npx leakguard diff a b c` on the files.

const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const leakguard = require('../../index')
const { startServer } = require('../websocket-server/server')
const { churn, drained } = require('../websocket-server/client')

async function explainWebSocketServer() {
  leakguard.start({ warn: false, graceMs: 0 })
  const app = await startServer({ leaky: true, track: false })
  try {
    await churn(app.port, { count: 40, batch: 20 })
    await drained(app.server)
    const leaks = (await leakguard.check({ explain: true })).filter((l) => l.kind === 'retained')
    console.log('1. leaky WebSocket server, 40 connections opened and closed, check({ explain: true }):')
    for (const l of leaks) {
      console.log(`   ${l.count} '${l.description}' still alive, held by '${l.heldBy}':`)
      console.log(`     ${l.retainersText}`)
    }
  } finally {
    await app.close()
    leakguard.stop()
  }
}

function diffThreeSnapshots() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakguard-demo-'))
  try {
    const child = path.join(__dirname, 'registry-leak.js')
    const made = spawnSync(process.execPath, [child, dir], { encoding: 'utf8' })
    if (made.status !== 0) throw new Error(made.stderr)
    console.log('\n2. a process leaking a LeakyThing per request into `sessionRegistry` (a Map), 3 snapshots:')
    console.log('   $ npx leakguard diff a.heapsnapshot b.heapsnapshot c.heapsnapshot --top 1')
    const bin = path.join(__dirname, '..', '..', 'bin', 'leakguard.js')
    const r = spawnSync(process.execPath, [bin, 'diff', 'a.heapsnapshot', 'b.heapsnapshot', 'c.heapsnapshot', '--top', '1'], { cwd: dir, encoding: 'utf8' })
    process.stdout.write(r.stdout.replace(/^/gm, '   '))
    if (r.status !== 0) throw new Error(r.stderr)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

explainWebSocketServer()
  .then(diffThreeSnapshots)
  .catch((err) => {
    console.error(err)
    process.exitCode = 1
  })
