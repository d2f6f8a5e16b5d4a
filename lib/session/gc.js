'use strict'
// Garbage collection on demand without --expose-gc on the command line: the flag is switched on
// just long enough to fetch `gc` in a fresh context (as jest's --detectLeaks does).

let gcFunction = null

function getGC() {
  if (typeof globalThis.gc === 'function') return globalThis.gc
  if (gcFunction === null) {
    const v8 = require('node:v8')
    const vm = require('node:vm')
    v8.setFlagsFromString('--expose-gc')
    gcFunction = vm.runInNewContext('gc')
    v8.setFlagsFromString('--no-expose-gc')
  }
  return gcFunction
}

const tick = () => new Promise((resolve) => setImmediate(resolve))

/**
 * Collects garbage until WeakRefs to dead objects read as empty: WeakRefs keep their target for
 * the rest of the current job, and finalizers run in later tasks, so collect, yield, repeat.
 */
async function forceGC(rounds = 2) {
  const gc = getGC()
  for (let i = 0; i < rounds; i++) {
    await tick()
    gc()
  }
  await tick()
}

module.exports = { forceGC, getGC, tick }
