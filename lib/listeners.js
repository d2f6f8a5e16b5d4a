'use strict'
// The `listeners` detector: live listener groups from lib/emitters.js, judged in Rust.

const binding = require('../binding')
const emitters = require('./emitters')
const { registerDetector } = require('./detectors')
const { setKey } = require('./report')

function toLeak(out) {
  const leak = { kind: out.kind, code: out.code, message: out.message, count: out.count }
  leak.emitter = out.emitter
  leak.event = out.event
  leak.site = out.site === undefined ? null : out.site
  if (out.removed !== undefined) leak.removed = out.removed
  if (out.once) leak.once = true
  return leak
}

/** Findings for the listener groups of this moment; `threshold` as in check(). */
function listenerLeaks({ threshold, cwd }) {
  const groups = emitters.collectGroups({ sinceBaseline: true })
  if (groups.length === 0) return []
  const input = groups.map((g) => ({
    emitterId: g.emitterId,
    emitter: g.emitter,
    event: g.event,
    site: g.site === null ? undefined : g.site,
    count: g.count,
    once: g.once,
    removed: g.removed === null ? undefined : g.removed,
  }))
  const outs = binding.evaluateListeners(input, { threshold, cwd })
  return outs.map((out) => {
    const leak = toLeak(out)
    // the same emitter, event and site is one finding across checks (warned once)
    return setKey(leak, `listeners|${out.emitterId}|${out.event}|${out.site || ''}`)
  })
}

registerDetector({
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
  collectSync({ checkOptions, cwd }) {
    return listenerLeaks({ threshold: checkOptions.threshold, cwd })
  },
  async collect(context) {
    return this.collectSync(context)
  },
})

/** Live listener groups added since start(): `[{ emitter, event, count, site }]`, largest first. */
function listeners() {
  const groups = emitters.collectGroups({ sinceBaseline: false })
  return groups
    .map((g) => ({ emitter: g.emitter, event: g.event, count: g.count, site: g.site }))
    .sort((a, b) => b.count - a.count)
}

module.exports = { listeners, listenerLeaks }
