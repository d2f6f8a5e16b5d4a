'use strict'
// The one line `-r leakguard/guard` (and `--import`) writes to stderr when guard mode starts: what
// is watched and where the metrics are, so an operator sees it is on. LEAKGUARD_QUIET=1 hides it.
// guard() called from code prints nothing: the application decides what it logs.

const { normalize } = require('./options')

const seconds = (ms) => (ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`)

/** The startup line for guard options `options` (as given; defaults filled in here). */
function startupNotice(options, pid = process.pid) {
  const o = normalize(options)
  const watched = [`listeners (1 add in ${Math.round(1 / o.sampleRate)} tracked)`, 'trackSet collections', 'closed sockets and watched objects', 'globals']
  if (o.heap) watched.push(o.heapProfile ? 'heap after GC (with allocation sites)' : 'heap after GC')
  let line = `leakguard guard (pid ${pid}): watching ${watched.join(', ')}; a sample every ${seconds(o.interval)}, a leak after ${o.window} rising samples`
  const url = (port) => `http://${o.metricsHost.includes(':') ? `[${o.metricsHost}]` : o.metricsHost}:${port}/metrics`
  if (o.metricsPort === undefined) line += '; no metrics endpoint (LEAKGUARD_METRICS_PORT)'
  else if (require('node:cluster').isWorker) {
    const id = require('node:cluster').worker.id
    line += `; metrics served by the cluster primary at ${url(o.metricsPort)} (worker="${id}"; at ${url(o.metricsPort === 0 ? 0 : o.metricsPort + id)} when the primary runs no guard mode)`
  } else line += `; metrics at ${url(o.metricsPort)}`
  if (o.snapshotDir !== undefined) line += `; heap snapshots to ${o.snapshotDir}`
  if (!o.warn) line += '; LeakWarnings off'
  return `${line} (LEAKGUARD_QUIET=1 hides this line)`
}

/** Whether LEAKGUARD_QUIET asks for no startup line (1 / true / yes / on). */
function isQuiet(env) {
  return /^(1|true|yes|on)$/i.test(String(env.LEAKGUARD_QUIET || '').trim())
}

module.exports = { startupNotice, isQuiet }
