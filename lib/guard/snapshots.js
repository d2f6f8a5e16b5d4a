'use strict'
// Guard mode's heap snapshot on a new finding, and everything that keeps it safe in production:
// at most one per cooldown, a cap on the count and on the total bytes, and a precheck of free
// memory and disk (writing a snapshot takes about 9-10x the heap used in extra RSS at its peak,
// docs/benchmarks.md: processes get OOM-killed here), and the C heap handed back afterwards
// (glibc keeps what V8 freed: RSS stayed at ~8x the heap without malloc_trim, ~2.7x with it).

const { builtin } = require('../builtin')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const v8 = builtin('node:v8')
const binding = require('../native')
const { writeSnapshot, unsafeDirectory, removeLeftovers } = require('../snapshot/write')

function availableMemory() {
  // process.availableMemory() honours a cgroup limit (containers); os.freemem() does not
  if (typeof process.availableMemory === 'function') return process.availableMemory()
  return os.freemem()
}

function freeDisk(dir) {
  const s = fs.statfsSync(dir)
  return s.bavail * s.bsize
}

const MiB = 1024 * 1024
const mib = (n) => `${(n / MiB).toFixed(1)} MiB`

/** The C heap V8 used for the snapshot goes back to the OS (glibc keeps it otherwise). */
function trim() {
  try {
    binding.trimNativeMemory()
  } catch {} // an older binding without it: the memory stays with the process
}

class SnapshotPolicy {
  /**
   * @param {{ dir: string, cooldownMs: number, maxCount: number, maxBytes: number,
   *   memoryFactor: number, writer: (path: string) => string }} options
   */
  constructor({ dir, cooldownMs, maxCount, maxBytes, memoryFactor, writer }) {
    this.dir = path.resolve(dir)
    this.cooldownMs = cooldownMs
    this.maxCount = maxCount
    this.maxBytes = maxBytes
    this.memoryFactor = memoryFactor
    this.writer = writer || writeSnapshot
    this.count = 0
    this.bytes = 0
    this.lastAt = -Infinity
    this.capWarned = false
    this.swept = false
    this.refusedWarned = false
  }

  /**
   * Takes a snapshot for a new finding when the policy allows it. Returns `{ path }` or
   * `{ skipped, warn }` (`warn`: worth telling the operator; a cooldown skip is not).
   * `paired`: the second snapshot of a heap finding's pair (its diff says who holds the
   * growth): one investigation with the first, so the cooldown does not apply to it; the caps
   * and the memory and disk checks do.
   */
  take(now = Date.now(), { paired = false } = {}) {
    if (this.count >= this.maxCount) return this.capped(`the cap of ${this.maxCount} snapshots is reached`)
    if (!paired && now - this.lastAt < this.cooldownMs) {
      return { skipped: `a snapshot was written ${Math.round((now - this.lastAt) / 1000)} s ago (snapshotCooldown ${Math.round(this.cooldownMs / 1000)} s)`, warn: false }
    }
    const heap = v8.getHeapStatistics().used_heap_size
    if (this.bytes + heap > this.maxBytes) {
      return this.capped(`it would pass maxSnapshotBytes (${mib(this.bytes)} written, about ${mib(heap)} more needed, cap ${mib(this.maxBytes)})`)
    }
    const need = heap * this.memoryFactor
    const memory = availableMemory()
    if (memory < need) {
      return { skipped: `free memory is too low (${mib(memory)} free, about ${mib(need)} needed for a ${mib(heap)} heap)`, warn: true }
    }
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 })
    // a snapshot holds every secret in memory: never into a directory someone else controls
    const unsafe = unsafeDirectory(this.dir)
    if (unsafe !== null) {
      const warn = !this.refusedWarned // once: every later finding would say the same
      this.refusedWarned = true
      return { skipped: `snapshotDir ${this.dir} is refused: ${unsafe}; use a directory of this user's own, mode 0700`, warn }
    }
    if (!this.swept) {
      this.swept = true
      removeLeftovers(this.dir) // unfinished snapshots of processes killed mid-write (SIGKILL)
    }
    const disk = freeDisk(this.dir)
    if (disk < need) {
      return { skipped: `free disk in ${this.dir} is too low (${mib(disk)} free, about ${mib(need)} needed)`, warn: true }
    }
    this.lastAt = now // also after a failed write: a failing writer must not be retried every sample
    const stamp = new Date(now).toISOString().replace(/[:.]/g, '-')
    const file = path.join(this.dir, `leakguard-${process.pid}-${stamp}-${this.count + 1}.heapsnapshot`)
    let written
    try {
      written = this.writer(file)
    } catch (err) {
      return { skipped: `the snapshot writer failed: ${err && err.message ? err.message : err}`, warn: true }
    } finally {
      trim()
    }
    if (typeof written !== 'string') written = file
    let size = 0
    try {
      size = fs.statSync(written).size
    } catch {}
    this.count++
    this.bytes += size
    return { path: written }
  }

  capped(reason) {
    const warn = !this.capWarned
    this.capWarned = true
    return { skipped: reason, warn }
  }
}

module.exports = { SnapshotPolicy }
