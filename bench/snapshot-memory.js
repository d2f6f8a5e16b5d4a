'use strict'
// The memory a heap snapshot takes and gives back (docs/benchmarks.md, "Memory a snapshot takes"):
//   node bench/snapshot-memory.js <heap MiB> <records|strings> <trim 0|1>
// Builds a heap of that size, resets the peak RSS, writes leakguard.writeSnapshot into a fresh
// directory under os.tmpdir() (deleted after), and prints peak RSS over heap used, RSS after, and
// RSS after trimNativeMemory() (glibc malloc_trim) when asked. Linux only (/proc/self). Not part
// of `npm run bench`: at 1 GB it takes minutes and ~10 GB of RAM.

const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const leakguard = require('..')
const binding = require('../binding')
const { getGC } = require('../lib/session/gc')

const targetMiB = Number(process.argv[2] || 200)
const kind = process.argv[3] || 'records'
const trim = process.argv[4] === '1'
const gc = getGC()
const status = (k) => Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]) * 1024

const keep = []
let i = 0
while (process.memoryUsage().heapUsed < targetMiB * 1048576) {
  if (kind === 'strings') for (let k = 0; k < 100; k++, i++) keep.push({ id: i, body: `${i}:`.padEnd(4096, `x${i % 10}`) })
  else for (let k = 0; k < 10000; k++, i++) keep.push({ id: i, name: `user-${i}`, tags: [`t${i % 100}`, `g${i % 7}`], meta: new Map([['created', i], ['score', i * 1.5]]) })
}
gc()
gc()
const heapUsed = process.memoryUsage().heapUsed
const rssBefore = status('VmRSS')
fs.writeFileSync('/proc/self/clear_refs', '5') // the peak RSS (VmHWM) starts again from here
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakguard-snapshot-memory-'))
const t0 = Date.now()
const file = leakguard.writeSnapshot(path.join(dir, 'x.heapsnapshot'))
const ms = Date.now() - t0
const peak = status('VmHWM')
const rssAfter = status('VmRSS')
const trimmed = trim ? binding.trimNativeMemory() : null
const rssAfterTrim = status('VmRSS')
const size = fs.statSync(file).size
fs.rmSync(dir, { recursive: true, force: true })
const mib = (n) => Math.round(n / 1048576)
console.log(JSON.stringify({ node: process.version, kind, objects: keep.length, heapUsedMiB: mib(heapUsed), rssBeforeMiB: mib(rssBefore), peakRssMiB: mib(peak), extraPeakOverHeap: +((peak - rssBefore) / heapUsed).toFixed(2), rssAfterMiB: mib(rssAfter), trimmed, rssAfterTrimMiB: trim ? mib(rssAfterTrim) : null, fileMiB: mib(size), ms }))
