'use strict'
// The line `-r leakguard/guard` / `--import leakguard/guard` writes when guard mode starts: what is
// watched and where the metrics are (the address it names serves them), and LEAKGUARD_QUIET=1.

const { spawn } = require('node:child_process')
const path = require('node:path')
const { freePort, httpGet: get } = require('./helpers')

const root = path.join(__dirname, '..')

/** Starts `node <args> -e <keep alive>`; resolves with the child and its first stderr line. */
function start(args, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...args, '-e', 'setTimeout(() => {}, 20000)'], { cwd: root, env: { PATH: process.env.PATH, ...env } })
    let stderr = ''
    child.stderr.on('data', (d) => {
      stderr += d
      if (stderr.includes('\n')) resolve({ child, stderr })
    })
    child.on('error', reject)
    child.on('exit', () => resolve({ child, stderr }))
  })
}

test('one line on stderr says what is watched and where the metrics are served, and that address serves them', async () => {
  const port = await freePort()
  const { child, stderr } = await start(['-r', path.join(root, 'guard.js')], { LEAKGUARD_METRICS_PORT: String(port), LEAKGUARD_SAMPLE_RATE: '0.01' })
  try {
    expect(stderr).toBe(
      `leakguard guard (pid ${child.pid}): watching listeners (1 add in 100 tracked), trackSet collections, closed sockets and watched objects, globals, ` +
        `heap after GC (with allocation sites); a sample every 10 s, a leak after 12 rising samples; metrics at http://127.0.0.1:${port}/metrics (LEAKGUARD_QUIET=1 hides this line)\n`,
    )
    // the line is written when guard mode starts; the endpoint is listening a moment later
    const url = /metrics at (\S+)/.exec(stderr)[1]
    let res
    for (let i = 0; res === undefined; i++) {
      res = await get(url).catch((err) => {
        if (i >= 100) throw err
        return new Promise((r) => setTimeout(r, 50))
      })
    }
    expect(res.status).toBe(200)
    expect(res.body).toContain('# TYPE leakguard_listeners_live gauge')
  } finally {
    child.kill()
  }
})

test('without a metrics port, with snapshots and warnings off, the line says so; --import prints it once', async () => {
  const { child, stderr } = await start(['--import', path.join(root, 'guard.mjs')], { LEAKGUARD_HEAP: '0', LEAKGUARD_SNAPSHOT_DIR: '/tmp', LEAKGUARD_WARN: 'false', LEAKGUARD_INTERVAL: '1500' })
  child.kill()
  expect(stderr).toBe(
    `leakguard guard (pid ${child.pid}): watching listeners (1 add in 500 tracked), trackSet collections, closed sockets and watched objects, globals; ` +
      'a sample every 1500 ms, a leak after 12 rising samples; no metrics endpoint (LEAKGUARD_METRICS_PORT); heap snapshots to /tmp; LeakWarnings off (LEAKGUARD_QUIET=1 hides this line)\n',
  )
})

test('LEAKGUARD_QUIET=1: nothing on stderr', async () => {
  const child = spawn(process.execPath, ['-r', path.join(root, 'guard.js'), '-e', 'setTimeout(() => {}, 300)'], { cwd: root, env: { PATH: process.env.PATH, LEAKGUARD_QUIET: '1' } })
  let stderr = ''
  child.stderr.on('data', (d) => (stderr += d))
  const code = await new Promise((resolve) => child.on('close', resolve))
  expect(code).toBe(0)
  expect(stderr).toBe('')
})
