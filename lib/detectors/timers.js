'use strict'
// The `timers` detector: timeouts still pending and intervals still running that were created
// since the baseline. Off unless `start({ timers: true })` (pending timers are normal in an app;
// a test that leaves them leaks); leakguard/jest and assertNoLeaks turn it on.
// The watched global's setTimeout / setInterval (lib/instrument/realm.js: a jest test file's
// context's) are wrapped while on and restored exactly by stop(). Timers
// are held by the addon's weak reference (lib/detectors/retained.js: a scavenge clears it; what
// died is dropped at the next baseline or check); a fired or cleared Node Timeout reads `_destroyed`.

const binding = require('../native')
const { sweepGrown } = require('../instrument/weak')
const { NativeWeakRef } = binding
const { fromNative } = require('../findings/report')
const { captureAdd, calledByNode, defineSite, INTERNAL } = require('../instrument/site')
const v = require('../validate')
const { epochs } = require('../session/epochs')
const { watched } = require('../instrument/realm')

const MAX_TIMERS = 10000
/** Records kept before the first sweep of the collected timers' (lib/instrument/weak.js). */
const SWEEP_FROM = 1024

const state = { on: false, global: null, originals: null, live: new Set(), sweepAt: SWEEP_FROM }

function running(timer) {
  if (timer === null || typeof timer !== 'object') return false
  return timer._destroyed !== true && timer._idleTimeout !== -1
}

function wrap(g, name, interval) {
  const original = g[name]
  const wrapper = {
    [name](callback, delay, ...args) {
      const timer = original.call(this, callback, delay, ...args)
      if (state.on) sweepGrown(state.live, state, 'sweepAt', SWEEP_FROM, (record) => record.ref.deref() === undefined)
      if (state.on && state.live.size < MAX_TIMERS && timer !== null && typeof timer === 'object') {
        try {
          // Node's own timers (fetch()'s undici calls the global setTimeout for its keep-alive
          // and header timeouts) and a test runner's are not the app's
          if (calledByNode(wrapper)) return timer
          const { site } = captureAdd(wrapper)
          if (site === INTERNAL) return timer
          const record = { ref: new NativeWeakRef(timer), interval, delay: Number(delay) || 1, site, epoch: epochs.epoch }
          if (site !== null && typeof site === 'object') defineSite(record) // a LateSite: mapped when first read
          state.live.add(record)
        } catch {} // bookkeeping never throws into the app (`delay` may be an object whose valueOf throws)
      }
      return timer
    },
  }[name]
  return [name, original, wrapper]
}

function install() {
  if (state.originals !== null) return
  const g = watched()
  state.global = g
  state.originals = [wrap(g, 'setTimeout', false), wrap(g, 'setInterval', true)]
  for (const [name, , wrapper] of state.originals) g[name] = wrapper
}

function uninstall() {
  if (state.originals === null) return
  const g = state.global
  for (const [name, original, wrapper] of state.originals) if (g[name] === wrapper) g[name] = original
  state.originals = null
  state.global = null
  state.live = new Set()
  state.sweepAt = SWEEP_FROM
  state.on = false
}

/** Whether a timer keeps the process alive (an unref()'d one does not). */
function hasRef(timer) {
  try {
    return typeof timer.hasRef !== 'function' || timer.hasRef() !== false
  } catch {
    return true
  }
}

/** Findings for timers created since the baseline that are still pending or running (`unref`: unref()'d ones too). */
function timerLeaks({ cwd, unref = true }) {
  const groups = new Map()
  for (const record of state.live) {
    const timer = record.ref.deref()
    if (!running(timer)) {
      state.live.delete(record)
      continue
    }
    if (!epochs.counts(record.epoch)) continue // created in a block checked on its own
    if (!unref && !hasRef(timer)) continue
    const key = `${record.interval}|${record.delay}|${record.site}`
    const g = groups.get(key)
    if (g) g.count++
    else groups.set(key, { interval: record.interval, delayMs: record.delay, site: record.site || undefined, count: 1 })
  }
  if (groups.size === 0) return []
  return fromNative(binding.evaluate({ kind: 'timers', groups: [...groups.values()] }, cwd))
}

const detector = {
  kind: 'timers',
  startOptions: { timers: { default: false, validate: (x, n) => v.validateBoolean(x, n) } },
  // whether unref()'d timers count: they keep no process alive (the test integrations say no)
  checkOptions: { unrefTimers: { default: true, validate: (x, n) => v.validateBoolean(x, n) } },
  start(options) {
    if (options.timers) {
      install()
      state.on = true
    } else uninstall()
  },
  stop() {
    uninstall()
  },
  baseline() {
    for (const record of state.live) if (!epochs.keeps(record.epoch)) state.live.delete(record)
  },
  check({ cwd, checkOptions }) {
    return state.originals === null ? [] : timerLeaks({ cwd, unref: checkOptions.unrefTimers })
  },
  /** Pending timers are normal in a running app: guard mode judges none (a test's leftovers are check()'s). */
  sample() {
    return []
  },
}

module.exports = detector
module.exports.timerLeaks = timerLeaks
