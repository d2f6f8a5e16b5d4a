'use strict'
// What leakguard/jest costs a real-sized suite: a generated suite (24 files, 240 tests: plain
// logic, mocks, an http server per file with requests, emitters, streams, short timers) run by
// jest plain and with `setupFilesAfterEnv: ['leakguard/jest']`, interleaved rounds, the wall time
// of each whole jest process. Prints both medians and their ratio (the goal is <= 1.3x), and
// checks that leakguard failed none of the tests (the suite leaks nothing).
// A third side, "plain + one GC per file", is plain jest with a setup file that forces one full
// GC after each file's tests: what any check that proves objects dead pays at least (leakguard's
// `retained` verdict at a file's end; jest's own --detectLeaks forces GCs too), printed so the
// ratio can be read as that floor plus leakguard's own work.
// `npm run bench -- jest` (JEST_BENCH_ROUNDS, JEST_BENCH_MAJOR=30 for jest 30; JEST_BENCH_BASE=<another
// built leakguard checkout> adds it as a third side of every round: before/after in one run).

const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const root = path.join(__dirname, '..')
const FILES = 24
const ROUNDS = Number(process.env.JEST_BENCH_ROUNDS || 3)
const major = process.env.JEST_BENCH_MAJOR === '30' ? 'jest30' : 'jest'
const jestBin = require.resolve(`${major}/bin/jest`, { paths: [root] })
const base = process.env.JEST_BENCH_BASE ? path.resolve(process.env.JEST_BENCH_BASE) : null

function testFile(i) {
  return `'use strict'
const http = require('node:http')
const { EventEmitter, once } = require('node:events')
const { Readable, Transform, pipeline } = require('node:stream')

let server
let port
beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = ''
    req.on('data', (c) => (body += c))
    req.on('end', () => res.end(JSON.stringify({ url: req.url, length: body.length })))
  })
  await new Promise((r) => server.listen(0, '127.0.0.1', r))
  port = server.address().port
})
afterAll(() => new Promise((r) => server.close(r)))

const request = (path, body = '') =>
  new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: 'POST', agent: false }, (res) => {
      let data = ''
      res.on('data', (c) => (data += c))
      res.on('end', () => resolve(JSON.parse(data)))
    })
    req.on('error', reject)
    req.end(body)
  })

describe('file ${i}: logic', () => {
  test('sorts and groups', () => {
    const xs = Array.from({ length: 500 }, (_, k) => (k * 7919) % 1009)
    const groups = new Map()
    for (const x of xs.sort((a, b) => a - b)) groups.set(x % 10, (groups.get(x % 10) || 0) + 1)
    expect(groups.size).toBe(10)
  })
  test('parses and serialises', () => {
    const o = { a: [1, 2, 3], b: { c: 'd'.repeat(50) } }
    expect(JSON.parse(JSON.stringify(o))).toEqual(o)
  })
  test('a mock records its calls', () => {
    const fn = jest.fn((x) => x * 2)
    ;[1, 2, 3].forEach(fn)
    expect(fn).toHaveBeenCalledTimes(3)
    expect(fn.mock.results[2].value).toBe(6)
  })
})

describe('file ${i}: io', () => {
  test('serves a request', async () => {
    expect(await request('/a', 'x'.repeat(100))).toEqual({ url: '/a', length: 100 })
  })
  test('serves requests in parallel', async () => {
    const rs = await Promise.all([1, 2, 3, 4].map((k) => request('/p' + k)))
    expect(rs.map((r) => r.url)).toEqual(['/p1', '/p2', '/p3', '/p4'])
  })
  test('an emitter with handlers added and removed', async () => {
    const bus = new EventEmitter()
    const seen = []
    const onTick = (n) => seen.push(n)
    bus.on('tick', onTick)
    setTimeout(() => bus.emit('tick', 1), 1)
    await once(bus, 'tick')
    bus.off('tick', onTick)
    expect(seen).toEqual([1])
  })
  test('a stream pipeline', async () => {
    const upper = new Transform({ transform: (c, _e, cb) => cb(null, String(c).toUpperCase()) })
    const out = []
    upper.on('data', (c) => out.push(String(c)))
    await new Promise((resolve, reject) => pipeline(Readable.from(['a', 'b', 'c']), upper, (err) => (err ? reject(err) : resolve())))
    expect(out.join('')).toBe('ABC')
  })
  test('a short timer', async () => {
    const t0 = Date.now()
    await new Promise((r) => setTimeout(r, 5))
    expect(Date.now() - t0).toBeGreaterThanOrEqual(4)
  })
  test('a timer cleared before it fires', () => {
    const t = setTimeout(() => {}, 1000)
    clearTimeout(t)
  })
  test('fake timers', () => {
    jest.useFakeTimers()
    const fn = jest.fn()
    setTimeout(fn, 1000)
    jest.advanceTimersByTime(1000)
    expect(fn).toHaveBeenCalled()
    jest.useRealTimers()
  })
})
`
}

function makeSuite() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakguard-jest-bench-'))
  for (let i = 0; i < FILES; i++) fs.writeFileSync(path.join(dir, `f${String(i).padStart(2, '0')}.test.js`), testFile(i))
  // an installed leakguard lives in node_modules, which jest never transforms: so is this checkout here
  const escape = (p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  const plain = { rootDir: dir, testEnvironment: 'node', testMatch: ['<rootDir>/*.test.js'], transformIgnorePatterns: ['/node_modules/', `^${escape(root)}/`] }
  const guarded = (checkout) => ({ ...plain, setupFilesAfterEnv: [path.join(checkout, 'jest.js')], transformIgnorePatterns: [...plain.transformIgnorePatterns, `^${escape(checkout)}/`] })
  // jest 30 looks for a package.json (or a jest config) from the working directory up, even with --config
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'leakguard-jest-bench', private: true }))
  fs.writeFileSync(path.join(dir, 'plain.config.json'), JSON.stringify(plain))
  // the floor: one forced full GC at each file's end, as leakguard's settle() does (a fetched gc,
  // as lib/session/gc.js does, so jest's command line stays the same)
  fs.writeFileSync(
    path.join(dir, 'gc-per-file.js'),
    `const v8 = require('node:v8')
const vm = require('node:vm')
v8.setFlagsFromString('--expose-gc')
const gc = vm.runInNewContext('gc')
v8.setFlagsFromString('--no-expose-gc')
afterAll(() => new Promise((resolve) => setImmediate(() => { gc(); setImmediate(resolve) })))
`,
  )
  fs.writeFileSync(path.join(dir, 'floor.config.json'), JSON.stringify({ ...plain, setupFilesAfterEnv: [path.join(dir, 'gc-per-file.js')] }))
  fs.writeFileSync(path.join(dir, 'leakguard.config.json'), JSON.stringify(guarded(root)))
  if (base !== null) fs.writeFileSync(path.join(dir, 'base.config.json'), JSON.stringify(guarded(base)))
  return dir
}

function run(dir, config) {
  const t0 = process.hrtime.bigint()
  const r = spawnSync(process.execPath, [jestBin, '--config', path.join(dir, `${config}.config.json`), '--ci', '--json', '--maxWorkers=2'], {
    cwd: dir,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  })
  const ms = Number(process.hrtime.bigint() - t0) / 1e6
  let report
  try {
    report = JSON.parse(r.stdout)
  } catch {
    throw new Error(`jest (${config}) printed no JSON report: ${r.stderr.slice(-2000)}`)
  }
  return { ms, tests: report.numTotalTests, failed: report.numFailedTests, failures: report.testResults.flatMap((f) => f.assertionResults.filter((t) => t.status === 'failed').map((t) => `${path.basename(f.name)}: ${t.title}: ${t.failureMessages.join(' ').slice(0, 300)}`)) }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

const dir = makeSuite()
try {
  // warm jest's transform cache for every side: its key is the whole project config, so each of
  // the configs transforms the suite once (unwarmed, the first leakguard round ran babel over all
  // 24 files: in a --runInBand cpu profile, babel's frames were in that run only)
  run(dir, 'plain')
  run(dir, 'floor')
  run(dir, 'leakguard')
  if (base !== null) run(dir, 'base')
  const plain = []
  const floor = []
  const guarded = []
  const based = []
  let last = null
  for (let i = 0; i < ROUNDS; i++) {
    plain.push(run(dir, 'plain').ms)
    floor.push(run(dir, 'floor').ms)
    last = run(dir, 'leakguard')
    guarded.push(last.ms)
    if (base !== null) based.push(run(dir, 'base').ms)
  }
  const p = median(plain)
  const g = median(guarded)
  const list = (xs) => xs.map((x) => x.toFixed(0)).join(', ')
  console.log(`${major} ${require(path.join(path.dirname(path.dirname(jestBin)), 'package.json')).version}, ${FILES} files, ${last.tests} tests, ${ROUNDS} interleaved rounds, --maxWorkers=2, load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`)
  const f = median(floor)
  console.log(`  plain jest          median ${p.toFixed(0)} ms  (${list(plain)})`)
  console.log(`  plain + 1 GC a file median ${f.toFixed(0)} ms  (${list(floor)}): ${(f / p).toFixed(2)}x plain`)
  console.log(`  with leakguard/jest median ${g.toFixed(0)} ms  (${list(guarded)})`)
  if (base !== null) console.log(`  with ${base}'s     median ${median(based).toFixed(0)} ms  (${list(based)}): ${(median(based) / p).toFixed(2)}x plain; this checkout / it: ${(g / median(based)).toFixed(2)}x`)
  console.log(`  ratio ${(g / p).toFixed(2)}x the plain suite's wall time (goal <= 1.30x), ${(g / f).toFixed(2)}x plain + 1 GC a file; leakguard failures: ${last.failed}`)
  for (const f of last.failures) console.log(`    ${f}`)
  if (last.failed > 0) process.exitCode = 1
} finally {
  fs.rmSync(dir, { recursive: true, force: true })
}
