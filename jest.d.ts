// Types of `leakguard/jest` (setupFilesAfterEnv: ['leakguard/jest']).

export type TestLeakKind = 'listeners' | 'collection' | 'retained' | 'global' | 'timers' | 'handles'

/** Options of the `toLeak` / `toLeakListeners` matchers. */
export interface LeakMatcherOptions {
  /** Which kinds the matcher looks at (`toLeakListeners`: listeners only). @default the configured kinds */
  kinds?: Array<TestLeakKind>
  /** Re-checks (short growing delay) of an async block before it counts as leaking. @default 3 */
  retries?: number
}

export interface JestLeakOptions {
  /** Which leak kinds fail a test. @default ['listeners', 'collection', 'retained', 'global', 'timers', 'handles'] */
  kinds?: Array<TestLeakKind>
  /** Findings to ignore, of every kind: strings match exactly, RegExps by `test()`. */
  ignore?: {
    /** Listener findings' event names. */
    events?: Array<string | RegExp>
    /** Listener findings' emitter labels (`process`, `Server`, `AbortSignal`...). */
    emitters?: Array<string | RegExp>
    /** Add-sites and creation sites (`file:line:column`) of any finding. */
    sites?: Array<string | RegExp>
    /** Retained descriptions (`closed Socket`), global and collection names, handle descriptions. */
    descriptions?: Array<string | RegExp>
  }
  /** Whose listeners count: the application's (test and source files), packages' in node_modules, Node's own. @default ['app'] */
  addedBy?: Array<'app' | 'package' | 'node'>
  /** Whether unref()'d timers (which keep no process alive) fail a test. @default false */
  unrefTimers?: boolean
  /**
   * Report instead of failing (while a team adopts it): `true` writes each test's findings to
   * stderr; `'html'` writes one page for the whole run (every worker's test files: which tests
   * leaked what, and where) to `reportFile`. @default false
   */
  report?: boolean | 'html'
  /** The page `report: 'html'` writes (0600, rewritten atomically after each test file). @default 'leakguard-report.html' in the working directory */
  reportFile?: string
  /** How many times a finding is re-checked (with a short, growing delay) before it fails a test. @default 3 */
  retries?: number
}

/** Adjusts leakguard/jest for the tests that follow (call it in a setup file after leakguard/jest, or in a test file). */
export function configure(options: JestLeakOptions): void

/** The matchers `leakguard/jest` registers with `expect.extend` (also usable with vitest's `expect.extend`). */
export const matchers: {
  toLeak(this: unknown, received: () => unknown, options?: LeakMatcherOptions): unknown
  toLeakListeners(this: unknown, received: () => unknown, options?: LeakMatcherOptions): unknown
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace jest {
    interface Matchers<R> {
      /**
       * Runs the received function as a block of its own and passes when it leaked (listeners,
       * globals, timers, handles, tracked collections; `retained` too for an async function).
       * Use `expect(fn).not.toLeak()`; `await` it when `fn` is async. What the block leaked is
       * reported here, not again by the test's own check.
       */
      toLeak(options?: LeakMatcherOptions): R
      /** `toLeak` for listeners only. */
      toLeakListeners(options?: LeakMatcherOptions): R
    }
  }
}
