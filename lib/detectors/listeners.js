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
  const lates = new Map() // key of a group whose site is unmapped -> the group
  const plain = groups.map(({ late, ...g }) => {
    if (late !== null) lates.set(`listeners|${g.emitterId}|${g.event}|${g.site}`, { ...g, late })
    return g
  })
  const leaks = fromNative(binding.evaluate({ kind: 'listeners', threshold, groups: plain }, cwd))
  // the key is `listeners|<emitterId>|<event>|<site>` (core's listeners.rs)
  for (const leak of leaks) {
    setEmitters(leak, [Number(String(leak[kKey]).split('|')[1])])
    const g = lates.get(leak[kKey])
    if (g !== undefined) mapLater(leak, g, cwd)
  }
  return leaks
}

/**
 * A finding whose add-site is not mapped yet (the site as the runtime ran it, e.g. babel's
 * output): its `site` and `message` are made again from the mapped site when first read. Most
 * findings of a test's end are never read (the socket closes before the file's end, and the key,
 * made from the unmapped site, is all the lifecycle compares); the first mapping of a jest file
 * parses its source map (7-26 ms).
 */
function mapLater(leak, group, cwd) {
  let made = null
  const { message } = leak
  const remade = () => {
    if (made === null) {
      const { late, ...g } = group
      const site = late.read()
      made = site === g.site ? { site, message } : binding.evaluate({ kind: 'listeners', threshold: 1, groups: [{ ...g, site }] }, cwd)[0].leak
    }
    return made
  }
  for (const field of ['site', 'message']) {
    Object.defineProperty(leak, field, {
      configurable: true,
      enumerable: true,
      get() {
        const value = remade()[field]
        Object.defineProperty(this, field, { value, writable: true, enumerable: true, configurable: true })
        return value
      },
      set(value) {
        Object.defineProperty(this, field, { value, writable: true, enumerable: true, configurable: true })
      },
    })
  }
}

/** Live listener groups added since start(): `[{ emitter, event, count, site }]`, largest first. */
function listeners() {
  const groups = emitters.collectGroups({ sinceBaseline: false })
  return groups
    .map((g) => ({ emitter: g.emitter, event: g.event, count: g.count, site: g.late !== null ? g.late.read() : g.site }))
    .sort((a, b) => b.count - a.count)
}

const v = require('../validate')

const detector = {
  kind: 'listeners',
  checkOptions: {
    // who added the listeners that count: the application, packages in node_modules, Node itself
    addedBy: {
      default: emitters.ORIGINS,
      validate: (x, n) => void v.validateArrayOf(x, n, emitters.ORIGINS),
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
