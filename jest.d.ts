// Types of `leakguard/jest` (setupFilesAfterEnv: ['leakguard/jest']).

export interface JestLeakOptions {
  /** Which leak kinds fail a test. @default ['listeners', 'collection', 'retained', 'global', 'timers'] */
  kinds?: Array<'listeners' | 'collection' | 'retained' | 'global' | 'timers'>
  /** Findings to ignore: strings match exactly, RegExps by `test()`. Listener findings only. */
  ignore?: {
    events?: Array<string | RegExp>
    emitters?: Array<string | RegExp>
    sites?: Array<string | RegExp>
  }
  /** Write the leak report to stderr instead of failing the test (while a team adopts it). @default false */
  report?: boolean
  /** How many times a finding is re-checked (with a short, growing delay) before it fails a test. @default 3 */
  retries?: number
}

/** Adjusts leakguard/jest for the tests that follow (call it in a setup file after leakguard/jest, or in a test file). */
export function configure(options: JestLeakOptions): void
