'use strict'
// Runs examples/guard/server.js under `node -r leakguard/guard` (fast settings: a sample every
// 200 ms, a window of 8 samples), sends it requests for a few seconds and prints what guard mode
// warned on its stderr.

const { fork } = require('node:child_process')
const http = require('node:http')
const path = require('node:path')

const agent = new http.Agent({ keepAlive: true, maxSockets: 8 })
const get = (port) =>
  new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, agent }, (res) => res.resume().on('end', resolve)).on('error', reject)
  })

async function main() {
  const child = fork(path.join(__dirname, 'server.js'), {
    execArgv: ['-r', path.join(__dirname, '..', '..', 'guard.js')],
    env: { ...process.env, LEAKGUARD_INTERVAL: '200', LEAKGUARD_WINDOW: '8', LEAKGUARD_SAMPLE_RATE: '0.05' },
    cwd: path.join(__dirname, '..', '..'),
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
  })
  let stderr = ''
  child.stderr.on('data', (d) => (stderr += d))
  const { port } = await new Promise((resolve) => child.once('message', resolve))
  const until = Date.now() + 4000
  let requests = 0
  while (Date.now() < until) {
    await Promise.all(Array.from({ length: 8 }, () => get(port)))
    requests += 8
  }
  agent.destroy()
  child.kill()
  await new Promise((resolve) => child.once('exit', resolve))
  const warnings = stderr.split('\n').filter((l) => l.includes('LeakWarning'))
  console.log(`${requests} requests to a server under \`node -r leakguard/guard\`; guard mode warned:`)
  for (const w of warnings) console.log(`  ${w.trim()}`)
  if (warnings.length === 0) console.log('  (nothing: the load was too short on this machine)')
}

main().catch((err) => {
  console.error(err)
  process.exitCode = 1
})
