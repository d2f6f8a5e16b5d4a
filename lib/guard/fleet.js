'use strict'
// Metrics of a cluster: the primary serves one `GET /metrics` for every process. In cluster mode
// `-r leakguard/guard` runs in the primary and in each worker (they inherit execArgv /
// NODE_OPTIONS); a worker listening on metricsPort would be handed to the primary's port
// (EADDRINUSE) or share it round-robin (each scrape seeing one random worker). So:
// - the primary's guard, with metricsPort, tells every worker it aggregates (at each sample and
//   scrape it looks for new workers: no listener is added to `cluster` before there is one, so a
//   process that never forks has no listener of leakguard's; a cluster primary has one, on
//   `cluster` 'message'), and on each scrape asks each worker over the cluster IPC channel for
//   its gauges; each row gets a
//   `worker` label (the cluster worker id, `primary` for its own). A worker that does not answer
//   within REPLY_MS is left out of that scrape (a comment line says so): one busy or hung process
//   never blinds the others.
// - a worker answers those requests and never listens on metricsPort itself; when no primary
//   said it aggregates within ANNOUNCE_MS or three sample intervals, whichever is longer (the
//   primary runs without guard mode), the worker serves its own at metricsPort + its worker id
//   (exclusive: not shared through the primary).
// Outside cluster mode nothing here is used and the output has no `worker` label.

const MSG = 'leakguard.metrics.v1'
/** How long a scrape waits for the workers' gauges. */
const REPLY_MS = 1000
/** How long a worker waits for its primary to say it aggregates before serving its own port. */
const ANNOUNCE_MS = 2000

function cluster() {
  return require('node:cluster')
}

/** True in a cluster worker (a lone process and a cluster primary both serve their own port). */
function isClusterWorker() {
  return cluster().isWorker
}

/** `values` ({ family: rows }) with `worker: id` added to every row's labels. */
function labelled(values, id) {
  const out = {}
  for (const [family, rows] of Object.entries(values)) {
    out[family] = rows.map((r) => ({ labels: { ...(r.labels || {}), worker: id }, value: r.value }))
  }
  return out
}

/** The primary's side: announces itself to workers and gathers their gauges on each scrape. */
class Aggregator {
  constructor() {
    this.next = 1
    this.waiting = new Map() // request id -> { replies: Map<worker id, values>, done }
    this.onMessage = (worker, msg) => {
      if (msg === null || typeof msg !== 'object' || msg[MSG] !== 'reply') return
      const w = this.waiting.get(msg.id)
      if (w === undefined) return
      w.replies.set(String(worker.id), msg.values)
      if (w.replies.size >= w.expected) w.done()
    }
    this.attached = false
    this.announced = new WeakSet()
  }

  /** The connected workers; new ones are told this primary aggregates. */
  poll() {
    const c = cluster()
    const workers = Object.values(c.workers || {}).filter((w) => w.isConnected())
    if (workers.length > 0 && !this.attached) {
      c.on('message', this.onMessage)
      this.attached = true
    }
    for (const w of workers) {
      if (this.announced.has(w)) continue
      this.announced.add(w)
      send(w, { [MSG]: 'aggregator' })
    }
    return workers
  }

  /** Every process's gauges (`values` the primary's own), or just `values` when there are no workers. */
  async gather(values) {
    const workers = this.poll()
    if (workers.length === 0) return { values, missing: [] }
    const id = this.next++
    const replies = new Map()
    await new Promise((resolve) => {
      const timer = setTimeout(resolve, REPLY_MS)
      timer.unref()
      const done = () => {
        clearTimeout(timer)
        resolve()
      }
      this.waiting.set(id, { replies, expected: workers.length, done })
      for (const w of workers) send(w, { [MSG]: 'request', id })
    })
    this.waiting.delete(id)
    const all = [labelled(values, 'primary')]
    const missing = []
    for (const w of workers) {
      const v = replies.get(String(w.id))
      if (v === undefined) missing.push(w.id)
      else all.push(labelled(v, String(w.id)))
    }
    const merged = {}
    for (const v of all) for (const [family, rows] of Object.entries(v)) (merged[family] = merged[family] || []).push(...rows)
    return { values: merged, missing }
  }

  close() {
    if (this.attached) cluster().off('message', this.onMessage)
    this.attached = false
  }
}

function send(worker, message) {
  try {
    worker.send(message, () => {}) // (an error, such as a closed channel, goes to the callback)
  } catch {} // a worker going away: missing from this scrape
}

/** A worker's side: answers the primary's requests with `valuesOf()`; `onAlone()` when no primary aggregates. */
class Reporter {
  constructor(valuesOf, onAlone, intervalMs) {
    this.announced = false
    this.onMessage = (msg) => {
      if (msg === null || typeof msg !== 'object' || msg[MSG] === undefined) return
      if (msg[MSG] === 'aggregator') {
        this.announced = true
        return
      }
      if (msg[MSG] !== 'request') return
      this.announced = true
      try {
        process.send({ [MSG]: 'reply', id: msg.id, values: valuesOf() }, () => {})
      } catch {} // the channel closed: the primary is going away
    }
    process.on('message', this.onMessage)
    this.timer = setTimeout(() => {
      if (!this.announced) onAlone(cluster().worker.id)
    }, Math.max(ANNOUNCE_MS, 3 * intervalMs))
    this.timer.unref()
  }

  close() {
    clearTimeout(this.timer)
    process.off('message', this.onMessage)
  }
}

module.exports = { isClusterWorker, Aggregator, Reporter, REPLY_MS, ANNOUNCE_MS }
