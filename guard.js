'use strict'
// `node -r leakguard/guard app.js` (or NODE_OPTIONS=--require=leakguard/guard): guard mode with no
// code change, configured by LEAKGUARD_* environment variables (see the README). Exports the
// running guard's handle ({ stop(), metrics() }), or null when it did not start. Writes one line
// to stderr when it starts (what is watched, where the metrics are); LEAKGUARD_QUIET=1 hides it.

const { isMainThread } = require('node:worker_threads')
const { guard, optionsFromEnv, guardWarning } = require('./lib/guard')
const { startupNotice, isQuiet } = require('./lib/guard/notice')

function startFromEnv() {
  // LEAKGUARD_WORKER_THREADS=0: worker threads are left alone (guard mode in the main thread only)
  if (!isMainThread && /^(0|false|no|off)$/i.test(String(process.env.LEAKGUARD_WORKER_THREADS || '').trim())) return null
  const { options, problems } = optionsFromEnv(process.env)
  // NODE_OPTIONS and execArgv reach worker threads too: each guards its own heap and emitters,
  // and posts its gauges to the main thread, which serves them (lib/guard/threads.js)
  if (!isMainThread) delete options.metricsPort
  for (const p of problems) if (isMainThread) guardWarning(`leakguard guard: ${p}`)
  try {
    const running = guard(options)
    if (isMainThread && !isQuiet(process.env)) process.stderr.write(`${startupNotice(options)}\n`)
    return running
  } catch (err) {
    // leakguard must never take the host process down
    guardWarning(`leakguard guard: guard mode did not start: ${err && err.message ? err.message : err}`)
    return null
  }
}

module.exports = startFromEnv()
