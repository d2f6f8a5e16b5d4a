'use strict'
// The public facade: re-exports the binding and lib/. See index.d.ts and the README.

const binding = require('./binding')
require('./lib/listeners') // registers the listeners detector
require('./lib/collections') // the collection detector
require('./lib/watch') // the retained detector
require('./lib/globals') // the global detector
require('./lib/timers') // the timers detector (off unless start({ timers: true }))
require('./lib/handles') // the handles detector (off unless start({ handles: true }))
require('./lib/explain') // check({ explain: true }): retainer paths for retained findings
const session = require('./lib/session')
const { listeners } = require('./lib/listeners')
const { LeakWarning } = require('./lib/report')
const { assertNoLeaks } = require('./lib/assert')
const { trackSet } = require('./lib/collections')
const { watch } = require('./lib/watch')
const { guard } = require('./lib/guard')
const { writeSnapshot } = require('./lib/snapshot')
const analysis = require('./lib/analysis')

module.exports = {
  start: session.start,
  stop: session.stop,
  baseline: session.baseline,
  check: session.check,
  isStarted: session.isStarted,
  listeners,
  assertNoLeaks,
  trackSet,
  watch,
  guard,
  writeSnapshot,
  LeakWarning,
  TrendEngine: binding.TrendEngine,
  analyze: analysis.analyze,
  analyzeSync: analysis.analyzeSync,
  diff: analysis.diff,
  diffSync: analysis.diffSync,
  retainerPaths: analysis.retainerPaths,
  retainerPathsSync: analysis.retainerPathsSync,
}
