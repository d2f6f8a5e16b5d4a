'use strict'
// Garbage collection on demand without --expose-gc on the command line: the flag is switched on
// just long enough to fetch `gc` in a fresh context (as jest's --detectLeaks does).

const { builtin } = require('../builtin')

let gcFunction = null

function getGC() {
  if (typeof globalThis.gc === 'function') return globalThis.gc
  if (gcFunction === null) {
    const v8 = builtin('node:v8')
    const vm = builtin('node:vm')
    v8.setFlagsFromString('--expose-gc')
    gcFunction = vm.runInNewContext('gc')
    v8.setFlagsFromString('--no-expose-gc')
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
 * Major GCs as they happen, without forcing one and without a cost on the GC path: a sentinel
 * object is held strongly for one sampling interval (long enough to be promoted to the old
 * generation, which only a major GC collects), then only a FinalizationRegistry knows it; its
 * cleanup callback, run shortly after the major GC that collected it, counts the GC, tells the
 * listeners and arms the next sentinel. At most one observation per interval. (A perf_hooks 'gc'
 * PerformanceObserver sees every GC but costs every GC.) In an app so idle that the sentinel is
 * not promoted within an interval, a scavenge may collect it: then the observation is early.
 * Guard mode's driver calls release() once per sample; users start() / stop() it.
 */
class MajorGCs {
  constructor() {
    this.count = 0
    this.users = 0
    this.sentinel = null
    this.listeners = new Set()
    this.registry = new FinalizationRegistry(() => this.observed())
  }

  start() {
    if (this.users++ > 0) return
    // the first major GC after the start is observed too (a fast-growing heap gets few); the
    // sentinel may still be young, so a scavenge may take it first: an early, high reading
    this.sentinel = {}
    this.release()
  }

  stop() {
    if (this.users === 0) return
    if (--this.users === 0) this.sentinel = null
  }

  observed() {
    if (this.users === 0) return
    this.count++
    for (const f of this.listeners) f()
    this.sentinel = {}
  }

  /** Lets the sentinel held since the last call go: the next major GC collects it. */
  release() {
    if (this.sentinel === null) return
    this.registry.register(this.sentinel, 0)
    this.sentinel = null
  }
}

/** The process's one major-GC observer (guard mode's heap and retained detectors share it). */
const majorGCs = new MajorGCs()

module.exports = { forceGC, forcedGCs, getGC, tick, majorGCs }
