'use strict'
// Guard mode in a real cluster: every worker's gauges reach one scrape of the primary's
// metricsPort, labelled by worker; no process gets EADDRINUSE; a stuck worker does not blind the
// scrape; a primary without guard mode leaves each worker serving metricsPort + its id. And in
// worker threads: each thread's gauges reach the main thread's scrape, labelled by thread.

const { spawn } = require('node:child_process')
const net = require('node:net')
const path = require('node:path')
const parsePrometheus = require('parse-prometheus-text-format')
const { freePort, httpGet, until } = require('./helpers')

const get = (port) => httpGet(`http://127.0.0.1:${port}/metrics`)

const GUARD = path.join(__dirname, '..', 'guard.js')
const APP = path.join(__dirname, 'fixtures', 'guard', 'cluster.js')

/** A free port that is none of `avoid` (a port just closed may be handed out again). */
async function freePortBut(avoid) {
  for (;;) {
    const p = await freePort()
    if (!avoid.includes(p)) return p
  }
}

/** A port p with p, p + 1 and p + 2 free at once (the fallback ports of workers 1 and 2), and none of `avoid`. */
async function freeTriple(avoid) {
  for (;;) {
    const base = await freePort()
    if ([0, 1, 2].some((i) => avoid.includes(base + i))) continue
    const held = []
    const ok = await Promise.all(
      [1, 2].map(
        (i) =>
          new Promise((resolve) => {
            const s = net.createServer()
            s.once('error', () => resolve(false))
            s.listen(base + i, '127.0.0.1', () => {
              held.push(s)
              resolve(true)
            })
          }),
      ),
    )
    await Promise.all(held.map((s) => new Promise((r) => s.close(r))))
    if (ok.every(Boolean)) return base
  }
}

/** `leakguard_listeners{event="jobs"}` by its `worker` label (null: no such label). */
function liveByWorker(body) {
  const f = parsePrometheus(body).find((x) => x.name === 'leakguard_listeners')
  const jobs = f.metrics.filter((m) => m.labels.event === 'jobs')
  return Object.fromEntries(jobs.map((m) => [m.labels.worker !== undefined ? m.labels.worker : null, Number(m.value)]))
}

/** The `worker` labels of `leakguard_findings_total` (every process has it from the start). */
function workersIn(body) {
  const f = parsePrometheus(body).find((x) => x.name === 'leakguard_findings_total')
  return [...new Set(f.metrics.map((m) => m.labels.worker))].sort()
}

/** Starts the cluster; resolves once both workers are ready. */
async function startCluster(env, { guardPrimary = true } = {}) {
  const child = spawn(process.execPath, [...(guardPrimary ? ['-r', GUARD] : []), APP], {
    cwd: path.join(__dirname, '..'),
    env: { PATH: process.env.PATH, LEAKGUARD_INTERVAL: '100', LEAKGUARD_SAMPLE_RATE: '1', PRIMARY_GUARD: guardPrimary ? '1' : '0', ...env },
    detached: true, // its own process group: the workers go with it
  })
  const out = { stdout: '', stderr: '' }
  child.stdout.on('data', (d) => (out.stdout += d))
  child.stderr.on('data', (d) => (out.stderr += d))
  await new Promise((resolve, reject) => {
    child.on('exit', (code) => reject(new Error(`the cluster exited (${code}): ${out.stderr}`)))
    const check = setInterval(() => {
      if (out.stdout.includes('READY')) {
        clearInterval(check)
        resolve()
      }
    }, 20)
  })
  return { child, out, stop: () => process.kill(-child.pid, 'SIGKILL') }
}

test("one scrape of the primary's metricsPort has every worker's gauges, labelled by worker; nobody gets EADDRINUSE", async () => {
  const metricsPort = await freePort()
  const c = await startCluster({ LEAKGUARD_METRICS_PORT: String(metricsPort), PORT: String(await freePortBut([metricsPort])) })
  try {
    const live = await until(async () => {
      const r = await get(metricsPort)
      expect(r.status).toBe(200)
      const l = liveByWorker(r.body)
      return l['1'] >= 5 && l['2'] >= 7 ? l : null
    })
    expect(live).toEqual({ 1: 5, 2: 7 }) // the primary holds none
    expect(workersIn((await get(metricsPort)).body)).toEqual(['1', '2', 'primary'])
  } finally {
    c.stop()
  }
  expect(c.out.stderr).not.toMatch(/EADDRINUSE|could not listen/)
  // each worker's startup line says where its metrics are served
  expect(c.out.stderr).toContain(`metrics served by the cluster primary at http://127.0.0.1:${metricsPort}/metrics (worker="1"`)
}, 40000)

test('a worker stuck in a synchronous loop costs only its own rows: the scrape answers with the others', async () => {
  const metricsPort = await freePort()
  const c = await startCluster({ LEAKGUARD_METRICS_PORT: String(metricsPort), PORT: String(await freePortBut([metricsPort])), HANG_WORKER: '2', HANG_MS: '8000' })
  try {
    await until(async () => liveByWorker((await get(metricsPort)).body)['1'] >= 5) // (before or after the hang begins)
    await new Promise((r) => setTimeout(r, 600)) // worker 2 is now stuck
    const r = await get(metricsPort)
    expect(r.status).toBe(200)
    const live = liveByWorker(r.body)
    expect(live).toEqual({ 1: 5 })
    expect(workersIn(r.body)).toEqual(['1', 'primary'])
    expect(r.body).toContain('# leakguard: worker 2 did not answer within 1000 ms')
  } finally {
    c.stop()
  }
}, 40000)

test('a primary without guard mode: each worker serves its own gauges at metricsPort + its worker id', async () => {
  // the workers' http server must not sit on a fallback port (ephemeral ports come close together)
  const port = await freePort()
  const base = await freeTriple([port])
  const c = await startCluster({ LEAKGUARD_METRICS_PORT: String(base), PORT: String(port) }, { guardPrimary: false })
  try {
    const one = await until(async () => {
      const r = await get(base + 1).catch(() => null)
      return r && liveByWorker(r.body)[null] >= 5 ? r : null
    })
    expect(liveByWorker(one.body)).toEqual({ null: 5 })
    const two = await until(async () => {
      const r = await get(base + 2).catch(() => null)
      return r && liveByWorker(r.body)[null] >= 7 ? r : null
    })
    expect(liveByWorker(two.body)).toEqual({ null: 7 })
  } catch (err) {
    err.message += `\nthe cluster's stderr:\n${c.out.stderr}`
    throw err
  } finally {
    c.stop()
  }
}, 40000)

// ---- worker threads -------------------------------------------------------------------------

const THREADS = path.join(__dirname, 'fixtures', 'guard', 'threads.js')

/** `family{event="jobs"}` (or every row of `family` without `event`) by its `thread` label. */
function byThread(body, family, match = (m) => m.labels.event === 'jobs') {
  const f = parsePrometheus(body).find((x) => x.name === family)
  return Object.fromEntries(f.metrics.filter(match).map((m) => [m.labels.thread, Number(m.value)]))
}

test("worker threads under -r guard: each thread's gauges reach the main thread's scrape, labelled by thread; a worker's leak is warned by that worker; a thread that exits leaves the scrape, a silent one is left out", async () => {
  const metricsPort = await freePort()
  const child = spawn(process.execPath, ['-r', GUARD, THREADS], {
    cwd: path.join(__dirname, '..'),
    env: { PATH: process.env.PATH, LEAKGUARD_INTERVAL: '100', LEAKGUARD_SAMPLE_RATE: '1', LEAKGUARD_HEAP: '0', LEAKGUARD_METRICS_PORT: String(metricsPort), LEAK_WORKER: '2' },
  })
  const out = { stdout: '', stderr: '' }
  child.stdout.on('data', (d) => (out.stdout += d))
  child.stderr.on('data', (d) => (out.stderr += d))
  try {
    await until(async () => out.stdout.includes('READY 1,2'))
    const first = await until(async () => {
      const r = await get(metricsPort)
      expect(r.status).toBe(200)
      const jobs = byThread(r.body, 'leakguard_listeners')
      return jobs['1'] !== undefined && jobs['2'] >= 7 ? r.body : null
    })
    const jobs = byThread(first, 'leakguard_listeners')
    expect(jobs.main).toBe(2)
    expect(jobs['1']).toBe(5)
    // every thread has every family from its first post, the findings counter too
    expect(Object.keys(byThread(first, 'leakguard_findings_total', (m) => m.labels.kind === 'heap')).sort()).toEqual(['1', '2', 'main'])
    // worker 2 leaks: its own guard warns it, naming the line in the worker, and counts it
    const found = await until(async () => {
      const n = byThread((await get(metricsPort)).body, 'leakguard_findings_total', (m) => m.labels.kind === 'listeners')
      return n['2'] >= 1 ? n : null
    })
    expect(found).toEqual({ main: 0, 1: 0, 2: 1 })
    expect(out.stderr).toMatch(/\[LEAKGUARD_LISTENERS\] LeakWarning: listeners for 'jobs' on EventEmitter grew: \d+ -> \d+ .*added at __tests__\/fixtures\/guard\/threads\.js:\d+:\d+/)
    expect(out.stderr.match(/leakguard guard \(pid/g)).toHaveLength(1) // one startup line: the main thread's
    // worker 1 ends: its rows leave the next scrapes at once (no stale comment)
    child.stdin.write('exit 1\n')
    const after = await until(async () => {
      const r = await get(metricsPort)
      return byThread(r.body, 'leakguard_listeners')['1'] === undefined ? r.body : null
    })
    expect(Object.keys(byThread(after, 'leakguard_listeners')).sort()).toEqual(['2', 'main'])
    expect(after).not.toContain('has not reported')
    // worker 2 is terminate()d (no 'exit' listener runs): once it is 2 s silent, its rows are left
    // out with a comment saying so
    child.stdin.write('terminate 2\n')
    const stale = await until(async () => {
      const r = await get(metricsPort)
      return r.body.includes('# leakguard: thread 2 has not reported for') ? r.body : null
    })
    expect(Object.keys(byThread(stale, 'leakguard_listeners'))).toEqual(['main'])
  } finally {
    child.kill('SIGKILL')
  }
  expect(out.stderr).not.toMatch(/EADDRINUSE|could not listen/)
}, 40000)

test('LEAKGUARD_WORKER_THREADS=0: worker threads are left alone, the main thread is guarded as before', async () => {
  const metricsPort = await freePort()
  const child = spawn(process.execPath, ['-r', GUARD, THREADS], {
    cwd: path.join(__dirname, '..'),
    env: { PATH: process.env.PATH, LEAKGUARD_INTERVAL: '100', LEAKGUARD_SAMPLE_RATE: '1', LEAKGUARD_HEAP: '0', LEAKGUARD_METRICS_PORT: String(metricsPort), LEAKGUARD_WORKER_THREADS: '0' },
  })
  let stdout = ''
  child.stdout.on('data', (d) => (stdout += d))
  try {
    await until(async () => stdout.includes('READY 1,2'))
    // a worker guard posts after its first sample (100 ms): ten intervals later, none has
    await new Promise((r) => setTimeout(r, 1000))
    const body = (await get(metricsPort)).body
    expect(byThread(body, 'leakguard_listeners', (m) => m.labels.event === 'jobs')).toEqual({ undefined: 2 })
    expect(body).not.toContain('thread=')
  } finally {
    child.kill('SIGKILL')
  }
}, 20000)
