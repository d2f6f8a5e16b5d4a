// Types of `leakguard/node-test` (require it at the top of a node:test file, or --require it).
import type { JestLeakOptions } from './jest'

export type { JestLeakOptions as NodeTestLeakOptions, TestLeakKind } from './jest'
/** Adjusts leakguard/node-test for the tests that follow (the options of leakguard/jest's `configure`). */
export function configure(options: JestLeakOptions): void
