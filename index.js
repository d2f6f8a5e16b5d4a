'use strict'
// The public facade: re-exports lib/ and the binding. See index.d.ts and the README.
// Under leakguard/jest, a test file's `require('leakguard')` is the copy that judges its tests,
// loaded once per worker (jest.js, lib/builtin.js's workerCopy).

// eslint-disable-next-line no-undef -- a parameter of jest's module wrapper, not a global
const shared = require('./lib/builtin').sharedCopy(typeof jest === 'object' && jest !== null, __filename, './index.js')

function facade() {
  const session = require('./lib/session')
  const { listeners } = require('./lib/detectors/listeners')
  const { trackSet } = require('./lib/detectors/collection')
  const { watch } = require('./lib/detectors/retained')
  const { LeakWarning } = require('./lib/findings/report')
  const { assertNoLeaks } = require('./lib/testing/assert')
  const { guard } = require('./lib/guard')
  const { writeSnapshot } = require('./lib/snapshot/write')
  const analysis = require('./lib/snapshot/analysis')
  const { TrendEngine } = require('./lib/trend')

  return {
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
    TrendEngine,
    analyze: analysis.analyze,
    analyzeSync: analysis.analyzeSync,
    diff: analysis.diff,
    diffSync: analysis.diffSync,
    retainerPaths: analysis.retainerPaths,
    retainerPathsSync: analysis.retainerPathsSync,
  }
}

module.exports = shared !== null ? shared : facade()
