'use strict'
// The public facade: re-exports the binding and lib/. See index.d.ts and the README.

const binding = require('./binding')
require('./lib/listeners') // registers the listeners detector
const session = require('./lib/session')
const { listeners } = require('./lib/listeners')
const { LeakWarning } = require('./lib/report')

module.exports = {
  start: session.start,
  stop: session.stop,
  baseline: session.baseline,
  check: session.check,
  isStarted: session.isStarted,
  listeners,
  LeakWarning,
  TrendEngine: binding.TrendEngine,
}
