'use strict'
// The `listeners` detector: live listener groups from lib/instrument/emitters.js, judged in Rust.

const binding = require('../native')
const emitters = require('../instrument/emitters')
const { fromNative } = require('../findings/report')

/** Samples a growing series may wait for its add-site (stacks boosted meanwhile) before it is reported without one. */
const SITE_WAIT_SAMPLES = 4

/** Findings for the listener groups of this moment; `threshold` as in check(). */
function listenerLeaks({ threshold, cwd }) {
  const groups = emitters.collectGroups({ sinceBaseline: true })
  if (groups.length === 0) return []
  return fromNative(binding.evaluate({ kind: 'listeners', threshold, groups }, cwd))
}

/** Live listener groups added since start(): `[{ emitter, event, count, site }]`, largest first. */
function listeners() {
  const groups = emitters.collectGroups({ sinceBaseline: false })
  return groups
    .map((g) => ({ emitter: g.emitter, event: g.event, count: g.count, site: g.site }))
    .sort((a, b) => b.count - a.count)
}

const detector = {
  kind: 'listeners',
  start(options) {
    emitters.install(options)
  },
  stop() {
    emitters.uninstall()
  },
  baseline() {
    emitters.baseline()
  },
  enterScope() {
    return emitters.enterScope()
  },
  exitScope(token) {
    emitters.exitScope(token)
  },
  check({ checkOptions, cwd }) {
    return listenerLeaks({ threshold: checkOptions.threshold, cwd })
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
