// `node --import leakguard/guard app.mjs`: guard mode from the LEAKGUARD_* environment, as
// `node -r leakguard/guard` does. The default export is the running guard (or null when it did not
// start, as `require('leakguard/guard')`); `stop()` and `metrics()` act on it and are safe to call
// when it did not start (`metrics()` is then '').
import running from './guard.js'

export function stop() {
  if (running !== null) running.stop()
}

export function metrics() {
  return running === null ? '' : running.metrics()
}

export default running
