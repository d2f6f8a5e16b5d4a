'use strict'
// The global object of the code leakguard watches. It is `globalThis` of leakguard's own modules,
// except under leakguard/jest: there the modules are loaded once per jest worker, in Node's own
// module system (jest.js), so their `globalThis` is the worker's, while a test file runs in a vm
// context of its own; the integration names that context's global for each file (setWatched).
// Detectors that read globals or wrap the global timers use watched(), never `globalThis`, and
// check values that come from it without `instanceof` (every realm has its own Map, RegExp, ...).

let current = globalThis
const outers = new WeakMap() // a watched global -> the realm its timer functions come from (or null)

/** The global object whose properties and timers are watched. */
const watched = () => current

/** Watches `g` from now on (the global of the test file about to run); null: `globalThis` again. */
function setWatched(g) {
  current = g === null || g === undefined ? globalThis : g
  outerRealm(current) // now, before the timers detector wraps its setTimeout with a function of another realm
}

/**
 * The realm, other than `g`'s own, that `g`'s timer functions come from: jest-environment-node
 * hands the worker's own setTimeout to the test file's context, and jest 30 maps stack frames with
 * an Error.prepareStackTrace of that realm. null when there is none (the main realm, a vm context
 * with timers of its own, code generation disallowed).
 */
function outerRealm(g = current) {
  let outer = outers.get(g)
  if (outer !== undefined) return outer
  outer = null
  try {
    for (const name of ['clearTimeout', 'setImmediate', 'queueMicrotask', 'setTimeout']) {
      const F = typeof g[name] === 'function' ? g[name].constructor : undefined
      if (typeof F !== 'function' || F === g.Function) continue
      const o = F('return globalThis')()
      if (o !== g && o && typeof o.Object === 'function' && typeof o.Error === 'function') outer = o
      break
    }
  } catch {} // code generation disallowed: no outer realm
  outers.set(g, outer)
  return outer
}
outerRealm(globalThis)

module.exports = { watched, setWatched, outerRealm }
