'use strict'
// Heap snapshots: writing and analysing a realistic snapshot of >= 200 MB, each measurement in
// its own child process (wall time, and peak RSS = the child's VmHWM at its end):
//   - writer: leakguard.writeSnapshot (v8's writer, 0600) vs plain v8 and an inspector session;
//   - analysis: leakguard.analyze vs memlab (@memlab/heap-analysis getFullHeapFromFile, which
//     parses and computes dominators / retained sizes) vs Microsoft's v8-heap-parser crate
//     (bench/v8-heap-parser, built here with cargo when available), and whether they agree on
//     the node count and on count / self size of the top classes.
//   - diff: three snapshots of a chain-shaped leak (Promise.race reactions, linked list, growing
//     array; 2,000 Messages) diffed by leakguard and by memlab's find-leaks pipeline, against one
//     leakguard.analyze of the final snapshot (`node bench/snapshot.bench.js --diff` runs only this).
// leakguard's phases come from one more, untimed run with LEAKGUARD_PROFILE=1 (it resets peak RSS).
// `node bench/snapshot.bench.js [scale] [--big[=scale]]` (scale: sessions in the heap's Map, default
// 180000: ~2.9M nodes, a ~221 MB snapshot). `--big` also writes a >= 1 GB snapshot (default scale
// 900000: ~1.1 GB, 14M nodes; needs ~12 GB of memory to write) and times leakguard.analyze on it
// against `cat` reading it from the page cache. Every file is written into a fresh directory under
// os.tmpdir() and deleted at the end. `--file=PATH` analyses an existing snapshot instead (no
// writers, no diff): the same file before and after a change.

const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const ROOT = path.join(__dirname, '..')
const TOP = 10

function peakRssKb() {
  const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'))
  return m ? Number(m[1]) : process.resourceUsage().maxRSS
}

// ---- children -----------------------------------------------------------------------------

/** A heap like a busy server's: sessions in a Map, orders in an Array, strings, closures. */
function buildHeap(scale) {
  class Session {
    constructor(i) {
      this.id = i
      this.user = `user-${i}-${(i * 2654435761) % 1e9}`
      this.tags = [`t${i % 97}`, `g${i % 89}`, i]
      this.onClose = () => this.id
    }
  }
  class Order {
    constructor(i, session) {
      this.session = session
      this.items = [i, i * 2, i * 3, { sku: `sku-${i % 5000}`, qty: i % 7 }]
      this.note = `order ${i} for ${session.user}`
    }
  }
  const sessions = new Map()
  const orders = []
  for (let i = 0; i < scale; i++) {
    const s = new Session(i)
    sessions.set(`session:${i}`, s)
    if (i % 2 === 0) orders.push(new Order(i, s))
  }
  globalThis.benchHeap = { sessions, orders }
}

/**
 * One leak shape of `n` Messages, three snapshots (before, after n, after n/10 more) into `dir`:
 * race (each Promise.race'd against one session-long promise: V8's reaction list holds them,
 * one hop deeper each), list (a linked list in one variable), array (a growing array).
 */
async function writeDiffSnapshots(shape, dir, n) {
  class Message {
    constructor(i) {
      this.i = i
      this.body = `message ${i}`
    }
  }
  const session = new Promise(() => {})
  let head = null
  const all = []
  let made = 0
  const leak = (k) => {
    for (let i = 0; i < k; i++, made++) {
      const m = new Message(made)
      if (shape === 'race') Promise.race([session, new Promise((resolve) => (m.resolve = resolve))]).then(() => m.i)
      else if (shape === 'list') (m.next = head), (head = m)
      else all.push(m)
    }
  }
  const later = (fn) => new Promise((resolve) => setTimeout(() => resolve(fn()), 5))
  const files = ['a', 'b', 'c'].map((x) => path.join(dir, `${shape}-${x}.heapsnapshot`))
  await later(() => leak(5))
  await later(() => require('node:v8').writeHeapSnapshot(files[0]))
  await later(() => leak(n))
  await later(() => require('node:v8').writeHeapSnapshot(files[1]))
  await later(() => leak(Math.ceil(n / 10)))
  await later(() => require('node:v8').writeHeapSnapshot(files[2]))
  return files
}

/** memlab's find-leaks pipeline (diffSnapshots + findLeakTraces) on external snapshots, every new object a candidate. */
async function memlabFindLeaks(files) {
  const { config, fileManager, analysis } = require('@memlab/core')
  config.useExternalSnapshot = true
  config.externalSnapshotFilePaths = files
  config.muteConsole = true
  config.externalLeakFilter = { leakFilter: (node) => node.type === 'object' && !node.name.startsWith('system') }
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakguard-bench-memlab-'))
  try {
    fileManager.initDirs(config, { workDir })
    const d = await analysis.diffSnapshots({ loadAllSnapshots: true })
    return (await analysis.findLeakTraces(d.leakedHeapNodeIdSet, d.snapshot)).length
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true })
  }
}

async function child(kind, file, arg) {
  const started = process.hrtime.bigint()
  const out = {}
  if (kind === 'diff-write') {
    out.files = await writeDiffSnapshots(file, arg, 2000)
  } else if (kind === 'diff-analyze') {
    await require(ROOT).analyze(file.split(',')[2])
    out.ms = Number(process.hrtime.bigint() - started) / 1e6
  } else if (kind === 'diff-leakguard') {
    const d = await require(ROOT).diff(...file.split(','))
    out.ms = Number(process.hrtime.bigint() - started) / 1e6
    const message = d.groups.filter((g) => g.className === 'Message' || g.classes.some((c) => c.name === 'Message'))
    out.groups = d.groups.length
    out.messageGroups = message.length
    out.top = d.groups[0] && { className: d.groups[0].className, count: d.groups[0].count, holder: d.groups[0].holder && d.groups[0].holder.name }
  } else if (kind === 'diff-memlab') {
    out.clusters = await memlabFindLeaks(file.split(','))
    out.ms = Number(process.hrtime.bigint() - started) / 1e6
  } else if (kind.startsWith('write-')) {
    buildHeap(Number(arg))
    globalThis.gc && globalThis.gc()
    out.heapUsed = process.memoryUsage().heapUsed
    const t0 = process.hrtime.bigint()
    const cpu0 = process.cpuUsage()
    if (kind === 'write-leakguard') require(ROOT).writeSnapshot(file)
    else if (kind === 'write-v8') require('node:v8').writeHeapSnapshot(file)
    else writeThroughInspector(file)
    out.ms = Number(process.hrtime.bigint() - t0) / 1e6
    const cpu = process.cpuUsage(cpu0)
    out.cpuMs = (cpu.user + cpu.system) / 1000 // all threads: less sensitive to a busy machine
    out.size = fs.statSync(file).size
  } else if (kind === 'idle') {
    require(ROOT) // Node + leakguard loaded, nothing analysed: the floor under every peak RSS here
    out.ms = 0
  } else if (kind === 'leakguard') {
    const r = await require(ROOT).analyze(file)
    out.ms = Number(process.hrtime.bigint() - started) / 1e6
    out.nodeCount = r.nodeCount
    out.classes = r.classes.map((c) => ({ name: c.name, count: c.count, selfSize: c.selfSize, retainedSize: c.retainedSize }))
  } else if (kind === 'memlab') {
    const { getFullHeapFromFile } = require('@memlab/heap-analysis')
    const heap = await getFullHeapFromFile(file)
    out.ms = Number(process.hrtime.bigint() - started) / 1e6
    // classes as Chrome DevTools names them (objects / native by name, others by type)
    const classes = new Map()
    let nodeCount = 0
    heap.nodes.forEach((node) => {
      nodeCount++
      const name = className(node.type, node.name)
      let c = classes.get(name)
      if (!c) classes.set(name, (c = { name, count: 0, selfSize: 0 }))
      c.count++
      c.selfSize += node.self_size
    })
    out.nodeCount = nodeCount
    out.classes = [...classes.values()]
  }
  out.peakRssKb = peakRssKb()
  process.stdout.write(`\n${JSON.stringify(out)}\n`)
}

/** The alternative writer: an in-process inspector session, chunks written to an fd as they come. */
function writeThroughInspector(file) {
  const inspector = require('node:inspector')
  const fd = fs.openSync(file, 'w', 0o600)
  const session = new inspector.Session()
  session.connect()
  session.on('HeapProfiler.addHeapSnapshotChunk', (m) => fs.writeSync(fd, m.params.chunk))
  let error = null
  session.post('HeapProfiler.takeHeapSnapshot', { reportProgress: false }, (err) => {
    error = err
  })
  session.disconnect()
  fs.closeSync(fd)
  if (error) throw error
}

function className(type, name) {
  if (type === 'object' || type === 'native') return name
  if (type === 'hidden') return '(system)'
  if (type === 'code') return '(compiled code)'
  return `(${type})`
}

// ---- parent -------------------------------------------------------------------------------

function run(args, { node = true, nodeFlags = [], env } = {}) {
  const cmd = node ? process.execPath : args[0]
  const argv = node ? [...nodeFlags, __filename, '--child', ...args] : args.slice(1)
  const r = spawnSync(cmd, argv, { encoding: 'utf8', maxBuffer: 64 << 20, env: env ? { ...process.env, ...env } : process.env })
  if (r.status !== 0) return { error: `${path.basename(cmd)} ${argv.slice(-3).join(' ')} exited with ${r.status ?? r.signal}: ${(r.stderr || '').trim().split('\n').slice(-3).join(' | ')}` }
  const lines = r.stdout.trim().split('\n')
  return { ...JSON.parse(lines[lines.length - 1]), stderr: r.stderr }
}

/** leakguard's per-phase profile (LEAKGUARD_PROFILE=1): one untimed run, its phase lines. */
function phases(file) {
  const r = run(['leakguard', file], { env: { LEAKGUARD_PROFILE: '1' } })
  if (r.error) return [`(no profile: ${r.error})`]
  return r.stderr
    .split('\n')
    .filter((l) => l.startsWith('leakguard profile:'))
    .map((l) => l.replace('leakguard profile: ', ''))
}

/** Wall time of `cat file > /dev/null` (best of RUNS, after one read to warm the page cache). */
function catMs(file) {
  spawnSync('cat', [file], { stdio: ['ignore', 'ignore', 'inherit'] })
  let best = Infinity
  for (let i = 0; i < RUNS; i++) {
    const t0 = process.hrtime.bigint()
    const r = spawnSync('cat', [file], { stdio: ['ignore', 'ignore', 'inherit'] })
    if (r.status !== 0) return NaN
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e6)
  }
  return best
}

/** Best of `RUNS` (a loaded machine adds noise, never speed): least time, largest peak RSS seen. */
const RUNS = 2
function best(args, options) {
  const results = []
  for (let i = 0; i < RUNS; i++) {
    const r = run(args, options)
    if (r.error) return r
    results.push(r)
  }
  const fastest = results.reduce((a, b) => (b.ms < a.ms ? b : a))
  const cpu = results.map((r) => r.cpuMs).filter((c) => c !== undefined)
  return {
    ...fastest,
    cpuMs: cpu.length > 0 ? Math.min(...cpu) : undefined,
    peakRssKb: Math.max(...results.map((r) => r.peakRssKb)),
    runs: results.map((r) => r.ms),
  }
}

const runsOf = (r) => `(runs: ${r.runs.map((ms) => (ms / 1000).toFixed(2)).join(', ')} s)`

const mb = (bytes) => `${(bytes / 1e6).toFixed(0)} MB`
const secs = (ms) => `${(ms / 1000).toFixed(2)} s`
const ratio = (a, b) => `${(a / b).toFixed(a / b < 10 ? 2 : 1)}×`

function buildParserBaseline() {
  const dir = path.join(__dirname, 'v8-heap-parser')
  const r = spawnSync('cargo', ['build', '--release', '--quiet', '--manifest-path', path.join(dir, 'Cargo.toml')], { encoding: 'utf8' })
  if (r.error) return { error: `cargo not available (${r.error.code})` }
  if (r.status !== 0) return { error: `cargo build failed: ${(r.stderr || '').trim().split('\n').slice(-2).join(' | ')}` }
  return { bin: path.join(dir, 'target', 'release', 'v8-heap-parser-bench') }
}

// Node count and per-class count/self size must agree (the same file, read by three parsers): a
// difference there fails the benchmark. Retained sizes depend on each tool's dominator rules
// (which edges count, what is a root), so they are compared and reported, not required equal.
function compare(reference, other, label, { retained = false } = {}) {
  const problems = []
  const differences = []
  let equal = 0
  if (other.nodeCount !== reference.nodeCount) problems.push(`node count ${other.nodeCount} vs ${reference.nodeCount}`)
  const byName = new Map(other.classes.map((c) => [c.name, c]))
  for (const c of reference.classes.slice(0, TOP)) {
    const o = byName.get(c.name)
    if (!o) problems.push(`class ${c.name} missing`)
    else if (o.count !== c.count || o.selfSize !== c.selfSize) problems.push(`${c.name}: count ${o.count} vs ${c.count}, self ${o.selfSize} vs ${c.selfSize}`)
    else if (retained && o.retainedSize === c.retainedSize) equal++
    else if (retained) differences.push({ name: c.name, other: o.retainedSize, ours: c.retainedSize, rel: Math.abs(o.retainedSize - c.retainedSize) / Math.max(1, c.retainedSize) })
  }
  console.log(`  ${label} agrees with leakguard on node count and count/self size of the top ${TOP} classes: ${problems.length === 0 ? 'yes' : `NO (${problems.join('; ')})`}`)
  if (retained) {
    differences.sort((a, b) => b.rel - a.rel)
    const worst = differences.slice(0, 3).map((d) => `${d.name} ${d.other} vs ${d.ours} (${(100 * d.rel).toFixed(3)}%)`)
    console.log(`  retained size of the top ${TOP} classes: ${equal} equal${differences.length ? `, ${differences.length} differ (${label}'s vs leakguard's; largest: ${worst.join('; ')})` : ''}`)
  }
  return problems.length === 0
}

/** diff against one analyze (and memlab's find-leaks) on the same three snapshots, per leak shape. */
function diffBench() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakguard-bench-diff-'))
  try {
    console.log('diff of three snapshots, 2,000 leaked Messages   analyze   diff  diff/analyze  groups  memlab find-leaks')
    for (const shape of ['race', 'list', 'array']) {
      const w = run(['diff-write', shape, dir], { nodeFlags: ['--expose-gc'] })
      if (w.error) throw new Error(w.error)
      const files = w.files.join(',')
      const one = best(['diff-analyze', files])
      const lg = best(['diff-leakguard', files])
      const ml = best(['diff-memlab', files], { nodeFlags: ['--max-old-space-size=16384'] })
      if (one.error || lg.error) throw new Error(one.error || lg.error)
      const memlab = ml.error ? `not measured: ${ml.error}` : `${secs(ml.ms)} (${ratio(ml.ms, lg.ms)} leakguard's diff, ${ml.clusters} clusters)`
      const top = lg.top ? `${lg.top.className} ×${lg.top.count} held by ${lg.top.holder}` : '-'
      console.log(`  ${shape.padEnd(6)} ${`(${top})`.padEnd(40)}${secs(one.ms).padStart(7)} ${secs(lg.ms).padStart(6)} ${ratio(lg.ms, one.ms).padStart(12)}  ${String(lg.messageGroups).padStart(6)}  ${memlab}`)
    }
    console.log('  (whole child processes, best of 2: Node start-up and loading the addon included in every figure)')
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

/** leakguard, memlab and v8-heap-parser on one file of `size` bytes; false when they disagree. */
function analysisBench(file, size) {
  let ok = true
  const idle = run(['idle'])
  const lg = best(['leakguard', file])
  if (lg.error) throw new Error(lg.error)
  const memlab = best(['memlab', file], { nodeFlags: ['--max-old-space-size=16384'] })
  const parser = buildParserBaseline()
  const vhp = parser.error ? parser : best([parser.bin, file, '1000000'], { node: false })
  console.log(`analysis of ${mb(size)}, ${lg.nodeCount.toLocaleString('en-US')} nodes      time   peak RSS`)
  console.log(`  leakguard.analyze     ${secs(lg.ms).padStart(8)}  ${mb(lg.peakRssKb * 1024).padStart(8)}   peak RSS / file size: ${((lg.peakRssKb * 1024) / size).toFixed(2)} ${runsOf(lg)}`)
  for (const [label, r] of [['memlab', memlab], ['v8-heap-parser', vhp]]) {
    if (r.error) {
      console.log(`  ${label}: not measured: ${r.error}`)
      continue
    }
    console.log(`  ${label.padEnd(20)}${secs(r.ms).padStart(8)}  ${mb(r.peakRssKb * 1024).padStart(8)}   ${label} / leakguard: ${ratio(r.ms, lg.ms)} time, ${ratio(r.peakRssKb, lg.peakRssKb)} peak RSS ${runsOf(r)}`)
  }
  if (!idle.error) console.log(`  (a Node process with leakguard loaded and nothing analysed peaks at ${mb(idle.peakRssKb * 1024)}: leakguard.analyze adds ${mb((lg.peakRssKb - idle.peakRssKb) * 1024)}, ${(((lg.peakRssKb - idle.peakRssKb) * 1024) / size).toFixed(2)}× the file size)`)
  // memlab has no per-class retained size; v8-heap-parser computes DevTools' (dominators)
  if (!memlab.error) ok = compare(lg, memlab, 'memlab') && ok
  if (!vhp.error) ok = compare(lg, vhp, 'v8-heap-parser', { retained: true }) && ok
  console.log(`  top classes by retained size (leakguard): ${lg.classes.slice(0, 5).map((c) => `${c.name} ${mb(c.retainedSize)}`).join(', ')}`)
  console.log('  leakguard phases (one more run with LEAKGUARD_PROFILE=1; the two parse threads overlap):')
  for (const line of phases(file)) console.log(`    ${line}`)
  if (!vhp.error && vhp.parseMs !== undefined) console.log(`  v8-heap-parser phases: parse ${secs(vhp.parseMs)}, the rest ${secs(vhp.ms - vhp.parseMs)}; memlab: one call (getFullHeapFromFile)`)
  return ok
}

async function main() {
  if (process.argv[2] === '--diff') return diffBench()
  const positional = process.argv.slice(2).filter((a) => !a.startsWith('--'))
  const bigArg = process.argv.slice(2).find((a) => a === '--big' || a.startsWith('--big='))
  const big = bigArg ? Number(bigArg.split('=')[1] || 900000) : 0
  const scale = Number(positional[0] || 180000)
  const given = process.argv.slice(2).find((a) => a.startsWith('--file='))
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakguard-bench-'))
  const file = given ? path.resolve(given.slice('--file='.length)) : path.join(dir, 'bench.heapsnapshot')
  let ok = true
  try {
    if (given) {
      if (!analysisBench(file, fs.statSync(file).size)) process.exitCode = 1
      return
    }
    // writers: the same heap in fresh processes; leakguard's file is the one analysed
    const lgw = best(['write-leakguard', file, String(scale)], { nodeFlags: ['--expose-gc'] })
    if (lgw.error) throw new Error(lgw.error)
    const others = {}
    for (const kind of ['write-v8', 'write-inspector']) {
      const other = path.join(dir, `${kind}.heapsnapshot`)
      others[kind] = best([kind, other, String(scale)], { nodeFlags: ['--expose-gc'] })
      fs.rmSync(other, { force: true })
    }
    console.log(`heap: ${mb(lgw.heapUsed)} used, snapshot ${mb(lgw.size)} (${scale} sessions); best of ${RUNS} runs each`)
    console.log('writer                                  time  CPU time   peak RSS')
    const row = (label, r) => console.log(`  ${label.padEnd(34)}${secs(r.ms).padStart(8)}  ${secs(r.cpuMs).padStart(8)}  ${mb(r.peakRssKb * 1024).padStart(8)}   ${runsOf(r)}`)
    row('leakguard.writeSnapshot (v8, 0600)', lgw)
    const v8w = others['write-v8']
    const insp = others['write-inspector']
    if (v8w.error) console.log(`  v8.writeHeapSnapshot: ${v8w.error}`)
    else row('v8.writeHeapSnapshot (plain)', v8w)
    if (insp.error) console.log(`  inspector session: ${insp.error}`)
    else row('inspector session (chunks to fd)', insp)
    if (!v8w.error) console.log(`  leakguard / plain v8: ${ratio(lgw.ms, v8w.ms)} time, ${ratio(lgw.cpuMs, v8w.cpuMs)} CPU time (the 0600 temporary file, fsync and rename)`)
    if (!v8w.error && !insp.error) console.log(`  inspector / v8: ${ratio(insp.ms, v8w.ms)} time, ${ratio(insp.cpuMs, v8w.cpuMs)} CPU time, ${ratio(insp.peakRssKb, v8w.peakRssKb)} peak RSS`)

    ok = analysisBench(file, lgw.size) && ok

    if (big) {
      fs.rmSync(file, { force: true })
      const bigFile = path.join(dir, 'big.heapsnapshot')
      const w = run(['write-v8', bigFile, String(big)], { nodeFlags: ['--expose-gc', '--max-old-space-size=16384'] })
      if (w.error) throw new Error(w.error)
      const lgBig = best(['leakguard', bigFile])
      if (lgBig.error) throw new Error(lgBig.error)
      const cat = catMs(bigFile)
      console.log(`analysis of ${mb(w.size)}, ${lgBig.nodeCount.toLocaleString('en-US')} nodes (${big} sessions)      time   peak RSS`)
      console.log(`  leakguard.analyze     ${secs(lgBig.ms).padStart(8)}  ${mb(lgBig.peakRssKb * 1024).padStart(8)}   peak RSS / file size: ${((lgBig.peakRssKb * 1024) / w.size).toFixed(2)} ${runsOf(lgBig)}`)
      console.log(`  cat (page cache)      ${secs(cat).padStart(8)}             leakguard / cat: ${ratio(lgBig.ms, cat)} time`)
      console.log('  leakguard phases (one more run with LEAKGUARD_PROFILE=1):')
      for (const line of phases(bigFile)) console.log(`    ${line}`)
    }
    diffBench()
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
  if (!ok) process.exitCode = 1
}

if (process.argv[2] === '--child') {
  child(process.argv[3], process.argv[4], process.argv[5]).catch((err) => {
    console.error(err)
    process.exitCode = 1
  })
} else {
  main().catch((err) => {
    console.error(err)
    process.exitCode = 1
  })
}
