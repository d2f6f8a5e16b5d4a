'use strict'
// The `listeners` detector: live listener groups from lib/instrument/emitters.js, judged in Rust.

const binding = require('../native')
const emitters = require('../instrument/emitters')
const { fromNative, setEmitters, kKey } = require('../findings/report')

/** Samples a growing series may wait for its add-site (stacks boosted meanwhile) before it is reported without one. */
const SITE_WAIT_SAMPLES = 4

/** Findings for the listener groups of this moment; `threshold`, `addedBy`, `closedEmitters` as in check(). */
function listenerLeaks({ threshold, addedBy, closedEmitters = true, cwd }) {
  const groups = emitters.collectGroups({ sinceBaseline: true, addedBy, closed: closedEmitters })
  if (groups.length === 0) return []
  const leaks = fromNative(binding.evaluate({ kind: 'listeners', threshold, groups }, cwd))
  // the key is `listeners|<emitterId>|<event>|<site>` (core's listeners.rs)
  for (const leak of leaks) setEmitters(leak, [Number(String(leak[kKey]).split('|')[1])])
  return leaks
}

/** Live listener groups added since start(): `[{ emitter, event, count, site }]`, largest first. */
function listeners() {
  const groups = emitters.collectGroups({ sinceBaseline: false })
  return groups
    .map((g) => ({ emitter: g.emitter, event: g.event, count: g.count, site: g.site }))
    .sort((a, b) => b.count - a.count)
}

const v = require('../validate')

const detector = {
  kind: 'listeners',
  checkOptions: {
    // who added the listeners that count: the application, packages in node_modules, Node itself
    addedBy: {
      default: emitters.ORIGINS,
      validate: (x, n) => {
        if (!Array.isArray(x)) throw v.typeError(n, 'an array', x)
        x.forEach((o, i) => v.validateOneOf(o, `${n}[${i}]`, emitters.ORIGINS))
      },
    },
    // whether listeners on closed emitters count (a destroyed socket, a server not listening, a
    // closed WebSocket: the test integrations say no, their listeners go with them)
    closedEmitters: { default: true, validate: (x, n) => v.validateBoolean(x, n) },
  },
  start(options) {
    emitters.install(options)
  },
  stop() {
    emitters.uninstall()
  },
  check({ checkOptions, cwd }) {
    return listenerLeaks({ threshold: checkOptions.threshold, addedBy: checkOptions.addedBy, closedEmitters: checkOptions.closedEmitters, cwd })
  },
  /**
   * Live listeners per emitter and event: the series guard mode judges (for an emitter with very
   * many event names: its number of names, and its busiest names).
   */
  sample() {
    return emitters.collectTotals().map((t) =>
      t.names
        ? { key: `${t.emitterId}\u0001names`, value: t.count, meta: { series: 'listeners', emitterId: t.emitterId, emitter: t.emitter, event: null, names: true, atLeast: t.atLeast } }
        : { key: `${t.emitterId}\0${t.event}`, value: t.count, meta: { series: 'listeners', emitterId: t.emitterId, emitter: t.emitter, event: t.event } },
    )
  },
  /**
   * Names the dominant add-site of a growing series; while none is known, every sampled add
   * pays for a stack for a few samples (sampling.boost) before it is reported without one.
   */
  growing(meta, { waited, repeat, sampling }) {
    const site = emitters.dominantSite(meta.emitterId, meta.event)
    if (site === undefined && waited < SITE_WAIT_SAMPLES && !repeat) {
      sampling.boost()
      return null
    }
    return { ...meta, site: site === undefined ? null : site.site }
  },
}

module.exports = detector
module.exports.listeners = listeners
module.exports.listenerLeaks = listenerLeaks
