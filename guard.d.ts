// Types of `leakguard/guard` (`node -r leakguard/guard app.js`): the running guard started from
// the LEAKGUARD_* environment variables, or null when it did not start (a worker thread, or an
// error already reported as a warning).
import type { Guard } from './index'

declare const running: Guard | null
export = running
