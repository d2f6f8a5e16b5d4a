'use strict'
// Garbage collection on demand without --expose-gc on the command line: the flag is switched on
// just long enough to fetch `gc` in a fresh context (as jest's --detectLeaks does).

const { builtin, processWide } = require('../builtin')

let gcFunction = null

function getGC() {
  if (typeof globalThis.gc === 'function') return globalThis.gc
  if (gcFunction === null) {
    // once per process (a new context and two flag flips: ~1 ms per jest test file otherwise)
    gcFunction = processWide('gc', () => {
      const v8 = builtin('node:v8')
      const vm = builtin('node:vm')
      v8.setFlagsFromString('--expose-gc')
      const gc = vm.runInNewContext('gc')
      v8.setFlagsFromString('--no-expose-gc')
      return gc
    })
  }
  return gcFunction
}

// node:timers' own, not the global one: a test's fake timers (jest, sinon) replace the global
const { setImmediate } = builtin('node:timers')
const tick = () => new Promise((resolve) => setImmediate(resolve))

/** Forced collections begun so far: what was watched before one began and survived it is retained. */
const forcedGCs = { started: 0 }

/**
 * Collects garbage until WeakRefs to dead objects read as empty: WeakRefs keep their target for
 * the rest of the current job, and finalizers run in later tasks, so collect, yield, repeat.
 */
async function forceGC(rounds = 2) {
  const gc = getGC()
  forcedGCs.started++
  for (let i = 0; i < rounds; i++) {
    await tick()
    gc()
  }
  await tick()
}

/**
 * One minor GC (a scavenge), at a small part of a full one's cost: what died young is collected,
 * and the addon's weak references to it (lib/instrument/weak.js) read as empty. It proves nothing
 * of old objects, so it is no forced collection (`forcedGCs`): what survives it is judged after a
 * full GC still. (Node 20-24's scavenger keeps WeakRef targets; the addon's references it clears.)
 */
async function minorGC() {
  const gc = getGC()
  await tick()
  gc({ type: 'minor' })
  await tick()
}

/**
 * Garbage collections as they happen, without forcing one and without a cost on the GC path.
 * - Major GCs: a sentinel object is held strongly until it is old (where minor GCs clear weak
 *   targets, until it has survived AGED collections, which promote it to the old generation,
 *   which only a major GC collects), then,
 *   at the next release(), only a FinalizationRegistry knows it; its cleanup callback, run
 *   shortly after the major GC that collected it, counts the GC, tells the `listeners` and arms
 *   the next sentinel. Releasing a sentinel that was still young is what once made a scavenge
 *   count as a major GC (Node 26 kept a 200 ms old sentinel young: retained objects were judged
 *   after a scavenge that never looks at them, and healthy servers were warned of closed sockets).
 * - Collections of any kind: a canary, one young unreachable object at a time in the same
 *   registry, dies at the next collection; its cleanup tells the `collections` listeners and,
 *   while the sentinel ages, counts one collection it survived (only a canary made after the
 *   sentinel counts). A canary is made at each release() and while the sentinel ages: at most a
 *   few callbacks per sample interval.
 * An app that allocates nothing collects nothing, and observes nothing. (A perf_hooks 'gc'
 * PerformanceObserver sees every GC but costs every GC.) Guard mode's driver calls release()
 * once per sample; users start() / stop() it.
 */
const AGED = weakInMinorGC() ? 3 : 0 // V8 promotes what survives two scavenges; one more for minor mark-sweep's page promotion

/**
 * Whether minor GCs clear WeakRef and FinalizationRegistry targets (V8 14's
 * --handle-weak-ref-weakly-in-minor-gc, on by default from Node 26). Before, the scavenger held
 * them strongly: a sentinel only a registry knows, young or old, died in a major GC only, and a
 * canary too.
 */
function weakInMinorGC() {
  const major = Number(String(process.versions.v8).split('.')[0])
  if (!(major >= 14)) return false
  const flags = [...process.execArgv, ...String(process.env.NODE_OPTIONS || '').split(/\s+/)]
  return !flags.some((f) => /^--no[-_]handle[-_]weak[-_]ref[-_]weakly[-_]in[-_]minor[-_]gc$/.test(f))
}
const SENTINEL = 0 // the registry's held value for the sentinel; canaries hold their serial (>= 1)

class GCObserver {
  constructor() {
    this.count = 0 // major GCs observed
    this.users = 0
    this.sentinel = null
    this.born = 0 // the canary serial when the sentinel was made
    this.age = 0 // collections the held sentinel has survived
    this.wanted = false // release() was called while the sentinel was young
    this.serial = 0
    this.canaryAlive = false
    this.listeners = new Set() // major GCs
    this.collections = new Set() // any collection seen (a canary or the sentinel died)
    this.registry = new FinalizationRegistry((held) => (held === SENTINEL ? this.observed() : this.collected(held)))
  }

  start() {
    if (this.users++ > 0) return
    // the first major GC after the start is observed too (a fast-growing heap gets few): the
    // sentinel goes as soon as it is old
    this.arm()
    this.wanted = true
  }

  stop() {
    if (this.users === 0) return
    if (--this.users === 0) this.sentinel = null
  }

  arm() {
    this.sentinel = {}
    this.born = this.serial
    this.age = 0
    this.wanted = false
    this.canary()
  }

  canary() {
    if (this.canaryAlive) return
    this.canaryAlive = true
    this.registry.register({}, ++this.serial)
  }

  collected(serial) {
    if (serial === this.serial) this.canaryAlive = false
    if (this.users === 0) return
    for (const f of this.collections) f()
    if (this.sentinel === null) return
    if (serial > this.born) this.age++
    if (this.age < AGED) this.canary()
    else if (this.wanted) this.letGo()
  }

  observed() {
    if (this.users === 0) return
    this.count++
    for (const f of this.collections) f()
    for (const f of this.listeners) f()
    this.arm()
  }

  /** A canary for the next collection; the sentinel held since the last call goes once it is old. */
  release() {
    if (this.users === 0) return
    this.canary()
    if (this.sentinel === null) return
    if (this.age >= AGED) this.letGo()
    else this.wanted = true
  }

  letGo() {
    this.registry.register(this.sentinel, SENTINEL)
    this.sentinel = null
  }
}

/** The process's one GC observer (guard mode's heap and retained detectors share it). */
const majorGCs = new GCObserver()

module.exports = { forceGC, minorGC, forcedGCs, getGC, tick, majorGCs }
