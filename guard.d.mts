// Types of `import ... from 'leakguard/guard'` (guard.mjs).
import type { Guard } from './index.js'

/** The running guard started from the LEAKGUARD_* environment, or null when it did not start. */
declare const running: Guard | null
export default running
/** Stops the running guard (nothing when it did not start). */
export function stop(): void
/** The running guard's gauges in Prometheus text format ('' when it did not start). */
export function metrics(): string
