'use strict'
// "Who holds it" for guard mode's confirmed heap findings: the diff of the finding's two
// snapshots (lib/snapshot/analysis.js's diff: memlab's method, leak groups with their holders),
// run by leakguard's own command line (`leakguard diff <a> <b> --json`) in a child process of
// `process.execPath` at the lowest CPU priority. A child, not libuv's pool in this process:
// - the host's memory is never touched: the analysis takes about 0.9x the snapshot files in RSS
//   (docs/benchmarks-snapshot.md) which glibc would keep in the host after it ended, and a kernel
//   OOM kill on a too-large diff takes the child, never the service;
// - stop() can cancel it at once (SIGKILL), where the in-process diff has no abort;
// - a low priority: the service's own threads are served first on a loaded machine.
// It writes nothing (no temporary file); its stdout is bounded; it is killed on a timeout, on
// stop() and when the host exits. Every failure is a `skipped` reason, never a throw.

const { spawn } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const CLI = path.join(__dirname, '..', '..', 'bin', 'leakguard.js')
const MiB = 1024 * 1024
const mib = (n) => `${(n / MiB).toFixed(1)} MiB`

/** The leak groups a finding carries (largest retained size first). */
const TOP_GROUPS = 5
/** The diff's JSON on stdout past this is refused (TOP_GROUPS groups take a few KB to ~1 MB). */
const MAX_OUTPUT = 16 * MiB
/**
 * Peak RSS of the diff child as a multiple of the two snapshot files' size together. Measured
 * with /usr/bin/time on `leakguard diff a b --json` (Node 20, docs/architecture.md): 0.79x for
 * 150 + 180 MB files of small objects, 0.59x for 127 + 385 MB files of string-heavy ones, Node
 * and the addon at rest (~50 MB) included; 1 leaves room for larger graphs.
 */
const MEMORY_FACTOR = 1
/** An analysis that takes longer than this is killed (a 1 GB snapshot takes ~5 s on 2 cores). */
const TIMEOUT_MS = 10 * 60 * 1000

function availableMemory() {
  // process.availableMemory() honours a cgroup limit (containers); os.freemem() does not
  if (typeof process.availableMemory === 'function') return process.availableMemory()
  return os.freemem()
}

/** The child's environment: the host's, without NODE_OPTIONS (a `-r leakguard/guard` there would guard the analysis too). */
function childEnv() {
  const env = { ...process.env }
  delete env.NODE_OPTIONS
  return env
}

class HolderAnalysis {
  /** @param {{ memoryFactor?: number, timeoutMs?: number, top?: number }} [options] */
  constructor({ memoryFactor = MEMORY_FACTOR, timeoutMs = TIMEOUT_MS, top = TOP_GROUPS } = {}) {
    this.memoryFactor = memoryFactor
    this.timeoutMs = timeoutMs
    this.top = top
    this.child = null
    this.cancelled = false
  }

  /**
   * The diff of `baseline` and `target`: resolves `{ result }` (what `leakguard.diff()` returns,
   * groups cut to the top ones, `groupCount` all of them) or `{ skipped }`; never rejects.
   */
  run(baseline, target) {
    return new Promise((resolve) => {
      let need
      try {
        need = (fs.statSync(baseline).size + fs.statSync(target).size) * this.memoryFactor
      } catch (err) {
        resolve({ skipped: `a snapshot to compare is gone: ${err && err.message ? err.message : err}` })
        return
      }
      const memory = availableMemory()
      if (memory < need) {
        resolve({ skipped: `free memory is too low to compare the snapshots (${mib(memory)} free, about ${mib(need)} needed)` })
        return
      }
      let child
      try {
        child = spawn(process.execPath, [CLI, 'diff', baseline, target, '--json', '--top', String(this.top)], { env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true })
      } catch (err) {
        resolve({ skipped: `the analysis process could not start: ${err && err.message ? err.message : err}` })
        return
      }
      this.child = child
      const out = []
      let outBytes = 0
      let err = ''
      let why = null // a reason of ours to end the child
      const end = (reason) => {
        if (why === null) why = reason
        try {
          child.kill('SIGKILL')
        } catch {}
      }
      const onExit = () => end('the process exited')
      process.once('exit', onExit) // never leave the child behind
      const timer = setTimeout(() => end(`the analysis took longer than ${Math.round(this.timeoutMs / 1000)} s`), this.timeoutMs)
      timer.unref()
      // the host may exit while the child runs: nothing here keeps its event loop alive
      child.unref()
      for (const s of [child.stdout, child.stderr]) if (s && typeof s.unref === 'function') s.unref()
      child.stdout.on('data', (d) => {
        outBytes += d.length
        if (outBytes > MAX_OUTPUT) end(`the analysis printed more than ${mib(MAX_OUTPUT)}`)
        else out.push(d)
      })
      child.stderr.on('data', (d) => {
        if (err.length < 4096) err += d
      })
      child.on('spawn', () => {
        try {
          os.setPriority(child.pid, os.constants.priority.PRIORITY_LOW)
        } catch {} // not allowed here: it runs at the host's priority
      })
      let settled = false
      const settle = (value) => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        process.removeListener('exit', onExit)
        if (this.child === child) this.child = null
        resolve(value)
      }
      child.on('error', (e) => settle({ skipped: `the analysis process failed: ${e && e.message ? e.message : e}` }))
      child.on('close', (code, signal) => {
        if (this.cancelled) return settle({ skipped: 'guard mode stopped during the analysis' })
        if (why !== null) return settle({ skipped: why })
        if (signal !== null) return settle({ skipped: `the analysis process was killed by ${signal}${signal === 'SIGKILL' ? ' (out of memory?)' : ''}` })
        if (code !== 0) {
          const said = err.replace(/^leakguard: (diff failed: )?/, '').trim().split('\n')[0]
          return settle({ skipped: `the diff of the snapshots failed (exit code ${code}): ${said || 'no message'}` })
        }
        let doc
        try {
          doc = JSON.parse(Buffer.concat(out).toString('utf8'))
        } catch (e) {
          return settle({ skipped: `the analysis printed no readable result: ${e.message}` })
        }
        const { files, ...result } = doc // eslint-disable-line no-unused-vars
        if (!Array.isArray(result.groups)) return settle({ skipped: 'the analysis printed no leak groups' })
        settle({ result })
      })
    })
  }

  /** Ends a running analysis (its promise resolves `skipped`); no child is left behind. */
  cancel() {
    this.cancelled = true
    const child = this.child
    if (child !== null) {
      try {
        child.kill('SIGKILL')
      } catch {}
    }
  }
}

/** `Session ×2,000 (retained 12.3 MiB) held by 'sessions' (module app.js)`: a leak group as a developer reads it. */
function describeGroup(g, cwd) {
  const rel = (site) => {
    const r = path.relative(cwd, site)
    return r !== '' && !r.startsWith('..') && !path.isAbsolute(r) ? r : site
  }
  let text = `${g.className} ×${Number(g.count).toLocaleString('en-US')} (retained ${mib(g.retainedSize)})`
  const h = g.holder
  if (h) {
    let where = ''
    if (h.site) where = !h.function ? ` (module ${rel(h.site)})` : h.kind === 'variable' ? ` (captured by ${h.function} at ${rel(h.site)})` : ` (${h.function} at ${rel(h.site)})`
    text += ` held by '${h.name}'${where}`
  } else if (g.path) {
    text += ` via ${g.path}`
  }
  return text
}

module.exports = { HolderAnalysis, describeGroup, MEMORY_FACTOR, TOP_GROUPS }
