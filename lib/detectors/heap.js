'use strict'
// Guard mode's view of the heap, without ever forcing a GC:
// - heap used after GC, read when lib/session/gc.js's observer sees a collection (a canary or
//   its major-GC sentinel dies): a few readings per sample interval, the lowest kept, and
//   nothing at all on the GC path. A reading after a scavenge includes the old generation's
//   garbage, which the trend's rising-floor rule takes as noise; it gives a fast-growing heap,
//   which gets few major GCs, a reading every interval.
// - V8's sampling heap profiler (HeapProfiler.startSampling through an in-process inspector
//   session): a statistical sample of the allocations still alive, by allocation site, cheap
//   to leave on in a heap that grows, but not free (a few % of throughput in an allocation-heavy
//   http server, measured in bench/guard.bench.js). So it is armed only once heap used after GC
//   rose by `armAt` bytes above its lowest reading, and stays on from then: the sites it then
//   names are those allocating what stays alive while the heap grows.

const { builtin } = require('../builtin')
const path = require('node:path')
const v8 = builtin('node:v8')
const { majorGCs } = require('../session/gc')

/** At most this many allocation sites are remembered between profiles (for the growth). */
const MAX_SITES = 500

const ownDir = path.join(__dirname, '..', path.sep) // lib/

/** `file:line:column` (1-based) where the function of a CDP call frame is defined, or null for native, Node's and leakguard's frames. */
function frameSite(frame) {
  const url = frame.url
  if (typeof url !== 'string' || url === '' || url.startsWith('node:')) return null
  const file = url.startsWith('file://') ? url.slice(7) : url
  if (file.startsWith(ownDir)) return null
  return `${file}:${frame.lineNumber + 1}:${frame.columnNumber + 1}`
}

/**
 * Live sampled bytes per allocation site of a sampling heap profile. Memory allocated inside a
 * builtin or Node's internals (`Array.prototype.map`, `JSON.parse`, ...) counts for the nearest
 * caller in user code: that is the line a person changes.
 */
function sitesOf(profile) {
  const sites = new Map()
  const stack = profile && profile.head ? [[profile.head, null]] : []
  while (stack.length > 0) {
    const [node, inherited] = stack.pop()
    const own = frameSite(node.callFrame)
    const at = own !== null ? { site: own, functionName: node.callFrame.functionName || '(anonymous)' } : inherited
    if (node.selfSize > 0 && at !== null) {
      const s = sites.get(at.site)
      if (s === undefined) sites.set(at.site, { site: at.site, functionName: at.functionName, bytes: node.selfSize })
      else s.bytes += node.selfSize
    }
    if (Array.isArray(node.children)) for (const c of node.children) stack.push([c, at])
  }
  return sites
}

class HeapWatcher {
  /**
   * @param {{ profile: boolean, samplingInterval: number, armAt: number }} options `profile`: run
   * the sampling heap profiler once heap used after GC rose by `armAt` bytes above its lowest
   * reading; `samplingInterval`: its mean bytes between samples.
   */
  constructor({ profile, samplingInterval, armAt }) {
    this.profile = profile
    this.samplingInterval = samplingInterval
    this.armAt = armAt
    this.lowest = Infinity
    this.floor = Infinity // the lowest heap used after a collection seen since the last take()
    this.gcs = 0
    this.last = null
    this.readings = 0 // samples that got a reading
    this.previousSites = new Map()
    this.session = null
    this.stopped = false
    this.onCollection = () => {
      const used = v8.getHeapStatistics().used_heap_size
      if (used < this.floor) this.floor = used
      this.gcs++
    }
    majorGCs.collections.add(this.onCollection)
    majorGCs.start()
  }

  /** True once the sampling heap profiler runs. */
  get profiling() {
    return this.session !== null
  }

  startProfiler(samplingInterval) {
    let session = null
    try {
      const inspector = builtin('node:inspector')
      session = new inspector.Session()
      session.connect()
      // V8 has one sampling heap profiler per isolate: when another tool (an APM) runs it, it is
      // theirs. Leave it alone: never restart it with our interval, never stop it.
      let running = false
      session.post('HeapProfiler.getSamplingProfile', (err) => {
        running = !err
      })
      if (running) {
        session.disconnect()
        this.session = null
        return
      }
      let started = false
      session.post('HeapProfiler.startSampling', { samplingInterval }, (err) => {
        started = !err
      })
      this.session = started ? session : null
      if (!started) session.disconnect()
    } catch {
      // no inspector in this build: heap trend only
      if (session !== null) {
        try {
          session.disconnect()
        } catch {}
      }
      this.session = null
    }
  }

  /** The heap-used-after-GC reading since the last call (null when no collection was seen). */
  take() {
    if (this.gcs === 0) return null
    const reading = { usedAfterGC: this.floor, gcs: this.gcs }
    this.floor = Infinity
    this.gcs = 0
    this.last = reading.usedAfterGC
    this.readings++
    if (reading.usedAfterGC < this.lowest) this.lowest = reading.usedAfterGC
    if (this.profile && this.session === null && reading.usedAfterGC - this.lowest >= this.armAt) {
      this.profile = false // one attempt
      this.startProfiler(this.samplingInterval)
    }
    return reading
  }

  /**
   * The allocation sites (functions, at their definition) holding the most sampled live memory, with the growth since the
   * previous call: `[{ site, functionName, bytes, growth }]`, largest growth first. Empty when
   * the profiler is not running.
   */
  topSites(n = 5) {
    if (this.session === null) return []
    let profile = null
    this.session.post('HeapProfiler.getSamplingProfile', (err, result) => {
      if (!err && result) profile = result.profile
    })
    if (profile === null) return [] // the in-process session answers synchronously
    const sites = sitesOf(profile)
    const rows = [...sites.values()].map((s) => ({ ...s, growth: s.bytes - (this.previousSites.get(s.site) || 0) }))
    rows.sort((a, b) => b.growth - a.growth || b.bytes - a.bytes)
    this.previousSites = new Map(rows.slice(0, MAX_SITES).map((r) => [r.site, r.bytes]))
    return rows.slice(0, n)
  }

  stop() {
    if (!this.stopped) {
      majorGCs.collections.delete(this.onCollection)
      majorGCs.stop()
    }
    this.stopped = true
    if (this.session !== null) {
      try {
        this.session.post('HeapProfiler.stopSampling')
        this.session.disconnect()
      } catch {}
      this.session = null
    }
  }
}

/** At most this many allocation sites are attached to a heap finding. */
const TOP_SITES = 5
/** Samples a heap finding may wait for the profiler's first allocation sites. */
const SITE_WAIT_SAMPLES = 4

let watcher = null

const detector = {
  kind: 'heap',
  /** A point only when a collection gave a reading: a sample without one is no absence. */
  sporadic: true,
  /** A point-in-time check cannot judge heap growth: only guard mode's trend over samples can. */
  check() {
    return []
  },
  startSampling(options) {
    if (!options.heap) return
    watcher = new HeapWatcher({ profile: options.heapProfile, samplingInterval: options.heapSamplingInterval, armAt: options.heapThreshold / 4 })
  },
  stopSampling() {
    if (watcher !== null) watcher.stop()
    watcher = null
  },
  /**
   * Heap used after the collections since the last sample (nothing when none ran), judged twice:
   * over guard's window of readings, and over the last three (`heapFast`), for a heap that grows
   * so fast that it gets few major GCs.
   */
  sample() {
    const reading = watcher === null ? null : watcher.take()
    if (reading === null) return []
    const meta = { series: 'heap' }
    return [
      { key: 'heap', value: reading.usedAfterGC, meta },
      { key: 'heap', value: reading.usedAfterGC, meta, trend: 'heapFast' },
    ]
  },
  /**
   * The sampling heap profiler's top allocation sites, when it runs. A heap that grew fast may be
   * judged before the profiler (armed once the heap rose by heapThreshold / 4) has sampled
   * anything: then the finding waits a few samples for its sites, as a listener finding waits
   * for its add-site.
   */
  growing(meta, { waited }) {
    const allocations = watcher === null ? [] : watcher.topSites(TOP_SITES)
    const expected = watcher !== null && (watcher.profile || watcher.profiling) // armed, or still to be
    if (allocations.length === 0 && expected && waited < SITE_WAIT_SAMPLES) return null
    return { ...meta, allocations }
  },
  /** The latest heap-used-after-GC reading, or null. */
  last() {
    return watcher === null ? null : watcher.last
  },
  /** How many samples got a reading so far (they come with collections, not with the clock). */
  readings() {
    return watcher === null ? 0 : watcher.readings
  },
}

module.exports = detector
module.exports.HeapWatcher = HeapWatcher
module.exports.sitesOf = sitesOf
