// Types of `leakguard/guard` (`node -r leakguard/guard app.js`): the running guard started from
// the LEAKGUARD_* environment variables, or null when it did not start (an error already reported
// as a warning). In a worker thread it guards that thread and posts its gauges to the main thread
// (null there with LEAKGUARD_WORKER_THREADS=0).
import type { Guard } from './index'

declare const running: Guard | null
export = running
