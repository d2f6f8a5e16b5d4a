// Types of `leakguard/vitest` (setupFiles: ['leakguard/vitest']): the options and matchers of
// leakguard/jest.
export { configure, matchers } from './jest.js'
export type { JestLeakOptions, LeakMatcherOptions, TestLeakKind } from './jest.js'
