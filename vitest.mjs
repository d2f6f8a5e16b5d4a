// `setupFiles: ['leakguard/vitest']` in the vitest config: every test that leaks listeners,
// tracked collections' closed members, watched objects, globals, timers or handles fails, naming
// each leak and its line; what `leakguard/jest` does for jest (same hooks, retries and options,
// and the `toLeak` / `toLeakListeners` matchers). ES module only: vitest itself is one.
// `import { configure } from 'leakguard/vitest'` in a later setup file adjusts it.
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest'
import integration from './lib/testing/jest.js'

integration.register({ beforeAll, beforeEach, afterEach, afterAll, expect })

export const { configure, matchers } = integration
