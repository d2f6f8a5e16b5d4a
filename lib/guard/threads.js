'use strict'
// Metrics of worker threads: each thread has its own V8 heap and its own EventEmitter prototypes,
// so a leak in a worker is seen only by a guard in that worker. Under `node -r leakguard/guard`
// (NODE_OPTIONS and execArgv reach worker threads) every thread runs guard mode; a worker thread
// never listens on metricsPort (one process, one port) and instead posts its gauges after each
// sample on a BroadcastChannel; the main thread's guard keeps the latest of each thread and
// serves them with its own, each row with a `thread` label (the worker's threadId, `main` for the
// main thread's own). A thread that has not posted for three of its intervals (at least
// STALE_MIN_MS: a blocked event loop, or it exited) is left out of the scrape with a comment line,
// and forgotten after FORGET_FACTOR times that. With no worker thread reporting, rows have no
// `thread` label.

const MSG = 'leakguard.threads.v1'
/** At most this many threads are remembered (a process with more: later ones are left out). */
const MAX_THREADS = 256
/** A thread is stale after max(3 intervals, this) without a post. */
const STALE_MIN_MS = 2000
/** A stale thread is forgotten after this many times its stale bound. */
const FORGET_FACTOR = 10

function workerThreads() {
  return require('node:worker_threads')
}

/** True in a worker thread (the main thread serves its own port and its workers' gauges). */
function isWorkerThread() {
  return !workerThreads().isMainThread
}

/** `values` ({ family: rows }) with `thread: id` added to every row's labels. */
function labelled(values, id) {
  const out = {}
  for (const [family, rows] of Object.entries(values)) {
    if (!Array.isArray(rows)) continue
    out[family] = rows.map((r) => ({ labels: { ...(r && r.labels ? r.labels : {}), thread: id }, value: r ? Number(r.value) : NaN }))
  }
  return out
}

/** A BroadcastChannel on MSG that never keeps the thread alive, or null when there is none. */
function openChannel(onMessage) {
  try {
    const channel = new BroadcastChannel(MSG)
    channel.onmessage = onMessage
    if (typeof channel.unref === 'function') channel.unref()
    return channel
  } catch {
    return null // no BroadcastChannel (an embedder without it): each thread's own gauges only
  }
}

/** A worker thread's side: posts this thread's gauges after each sample, and says goodbye when it stops. */
class ThreadReporter {
  constructor(intervalMs) {
    this.threadId = workerThreads().threadId
    this.intervalMs = intervalMs
    // every thread's posts reach every open channel: a worker's drops them (a channel without a
    // listener would queue them all)
    this.channel = openChannel(() => {})
    // a thread that ends (or calls process.exit()) leaves the scrape at once; one terminate()d
    // from outside runs no 'exit' listener and becomes stale instead
    this.onExit = () => this.bye()
    process.on('exit', this.onExit)
  }

  send(message) {
    try {
      if (this.channel !== null) this.channel.postMessage(message)
    } catch {} // values that cannot be cloned: this sample is not seen
  }

  post(values) {
    this.send({ [MSG]: 'values', threadId: this.threadId, intervalMs: this.intervalMs, values })
  }

  bye() {
    this.send({ [MSG]: 'bye', threadId: this.threadId })
  }

  close() {
    process.off('exit', this.onExit)
    this.bye()
    if (this.channel !== null) {
      try {
        this.channel.close()
      } catch {}
    }
    this.channel = null
  }
}

/** The main thread's side: the latest gauges of every worker thread that posts them. */
class ThreadCollector {
  constructor() {
    this.threads = new Map() // threadId -> { values, at, intervalMs }
    this.channel = openChannel((event) => this.onMessage(event.data))
  }

  onMessage(m) {
    if (m === null || typeof m !== 'object' || !Number.isInteger(m.threadId)) return
    if (m[MSG] === 'bye') {
      this.threads.delete(m.threadId)
      return
    }
    if (m[MSG] !== 'values' || m.values === null || typeof m.values !== 'object') return
    if (!this.threads.has(m.threadId) && this.threads.size >= MAX_THREADS) return
    const intervalMs = Number.isFinite(m.intervalMs) && m.intervalMs > 0 ? m.intervalMs : STALE_MIN_MS
    this.threads.set(m.threadId, { values: m.values, at: Date.now(), intervalMs })
  }

  /**
   * `values` (the main thread's) and every fresh thread's, labelled by thread; `notes`: a comment
   * line for each thread left out. Without any thread, `values` as they are.
   */
  merge(values, now = Date.now()) {
    if (this.threads.size === 0) return { values, notes: [] }
    const all = [labelled(values, 'main')]
    const notes = []
    for (const [id, t] of this.threads) {
      const staleMs = Math.max(3 * t.intervalMs, STALE_MIN_MS)
      const age = now - t.at
      if (age > FORGET_FACTOR * staleMs) this.threads.delete(id)
      else if (age > staleMs) notes.push(`# leakguard: thread ${id} has not reported for ${(age / 1000).toFixed(1)} s (a blocked event loop, or it exited)`)
      else all.push(labelled(t.values, String(id)))
    }
    const merged = {}
    for (const v of all) for (const [family, rows] of Object.entries(v)) (merged[family] = merged[family] || []).push(...rows)
    return { values: merged, notes }
  }

  close() {
    if (this.channel !== null) {
      try {
        this.channel.close()
      } catch {}
    }
    this.channel = null
    this.threads.clear()
  }
}

module.exports = { isWorkerThread, ThreadReporter, ThreadCollector, MSG, STALE_MIN_MS }
