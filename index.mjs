// `import { start, check } from 'leakguard'`: the ES module face of index.js. One instance: this
// file re-exports the CommonJS module, so `import` and `require` share the same state.
// __tests__/esm.test.js checks that these names are exactly index.js's.
import leakguard from './index.js'

export const {
  start,
  stop,
  baseline,
  check,
  isStarted,
  listeners,
  assertNoLeaks,
  trackSet,
  watch,
  guard,
  writeSnapshot,
  LeakWarning,
  TrendEngine,
  analyze,
  analyzeSync,
  diff,
  diffSync,
  retainerPaths,
  retainerPathsSync,
} = leakguard
export default leakguard
