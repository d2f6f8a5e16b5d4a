'use strict'
// Guard mode's HTML report (`reportDir` / LEAKGUARD_REPORT_DIR): every sampled series over time
// with the findings marked on it, their messages and add-sites, and the snapshots written. The
// memory it keeps is bounded (a ring of MAX_SAMPLES samples of at most MAX_SERIES series, the
// last MAX_FINDINGS findings), and so is the page; it is rewritten atomically (0600) after each
// sample that made findings.

const fs = require('node:fs')
const path = require('node:path')
const { render, writeReport } = require('./index')

const MAX_SAMPLES = 360
const MAX_SERIES = 48
const MAX_FINDINGS = 100

/** How a series reads, and what of a finding points at it (strings only: nothing of the app is kept). */
function describe(p) {
  const m = p.meta || {}
  const str = (x) => (x === undefined || x === null ? '' : String(x))
  const emitter = str(m.emitter)
  const event = str(m.event)
  const name = str(m.collection ? m.collection.name : m.name)
  const description = str(m.group && m.group.description)
  switch (m.series) {
    case 'listeners':
      return { label: `${emitter} '${event}' listeners`, match: (l) => l.kind === 'listeners' && l.emitter === emitter && l.event === event }
    case 'collectionSize':
      return { label: `${name} size`, match: (l) => l.kind === 'collection' && l.name === name && !/closed/.test(l.message) }
    case 'collectionClosed':
      return { label: `${name} closed members`, match: (l) => l.kind === 'collection' && l.name === name && /closed/.test(l.message) }
    case 'retained':
      return { label: `'${description}' alive after GC`, match: (l) => l.kind === 'retained' && l.description === description }
    case 'global':
      return { label: `globalThis.${name} size`, match: (l) => l.kind === 'global' && l.name === name }
    case 'heap':
      return { label: 'heap used after GC', match: (l) => l.kind === 'heap' }
    default:
      return { label: str(p.key), match: () => false }
  }
}

class GuardReport {
  /** @param {{ dir: string, pid?: number }} options */
  constructor({ dir, pid = process.pid }) {
    this.file = path.join(path.resolve(dir), `leakguard-report-${pid}.html`)
    this.startedAt = Date.now()
    this.times = [] // the ring's sample times
    this.series = new Map() // key -> { key, label, type, match, points: [[t, v]], flagged }
    this.findings = []
    this.snapshots = []
    this.holders = null // the leak groups of the last explained heap finding
  }

  /** One sample: `points` as guard's detectors gave them ({ key, value, meta: { series } }). */
  sample(now, points) {
    this.times.push(now)
    if (this.times.length > MAX_SAMPLES) this.times.shift()
    const oldest = this.times[0]
    for (const p of points) {
      const key = `${p.meta && p.meta.series}|${p.key}`
      let s = this.series.get(key)
      if (s === undefined) {
        if (this.series.size >= MAX_SERIES && !this.evict()) continue
        const d = describe(p)
        s = { key, label: d.label, type: p.meta && p.meta.series, match: d.match, points: [], flagged: false }
        this.series.set(key, s)
      }
      s.points.push([now, Number(p.value) || 0])
    }
    for (const [key, s] of this.series) {
      while (s.points.length > 0 && s.points[0][0] < oldest) s.points.shift()
      if (s.points.length === 0) this.series.delete(key)
    }
  }

  /** Makes room for a new series: the smallest one without a finding goes. */
  evict() {
    let victim
    for (const s of this.series.values()) {
      if (s.flagged || s.type === 'heap') continue
      const last = s.points.length ? s.points[s.points.length - 1][1] : 0
      if (victim === undefined || last < victim.last) victim = { key: s.key, last }
    }
    if (victim === undefined) return false
    this.series.delete(victim.key)
    return true
  }

  /** The findings reported at `now` (Leak objects). */
  found(now, leaks) {
    for (const l of leaks) {
      let seriesKey
      for (const s of this.series.values()) {
        if (s.match(l)) {
          seriesKey = s.key
          s.flagged = true
          break
        }
      }
      this.findings.push({ t: now, kind: l.kind, code: l.code, message: l.message, site: l.site || undefined, seriesKey })
      if (this.findings.length > MAX_FINDINGS) this.findings.shift()
      if (typeof l.snapshot === 'string' && !this.snapshots.includes(l.snapshot)) this.snapshots.push(l.snapshot)
    }
  }

  /** A heap finding's follow-up with its diff's leak groups (`explained: true`): shown with their holders. */
  explained(leak) {
    if (!Array.isArray(leak.groups)) return
    this.holders = { groups: leak.groups.slice(0, 20), snapshots: Array.isArray(leak.snapshots) ? leak.snapshots.map(String) : [] }
    for (const f of this.holders.snapshots) if (!this.snapshots.includes(f)) this.snapshots.push(f)
  }

  /** The page's data. */
  data() {
    const series = [...this.series.values()].sort((a, b) => Number(b.flagged) - Number(a.flagged) || (a.type === 'heap' ? -1 : b.type === 'heap' ? 1 : 0))
    return {
      title: `leakguard guard report: ${this.findings.length} finding${this.findings.length === 1 ? '' : 's'}`,
      subtitle: `process ${process.pid} (${process.argv.slice(1, 2).join(' ')}), guarded since ${new Date(this.startedAt).toISOString()}`,
      generatedAt: new Date().toISOString(),
      summary: [
        { label: 'findings', value: String(this.findings.length) },
        { label: 'series sampled', value: String(series.length) },
        { label: 'samples kept', value: String(this.times.length) },
        { label: 'heap snapshots', value: String(this.snapshots.length) },
      ],
      timeline: {
        series: series.map(({ key, label, type, points }) => ({ key, label, type, points })),
        findings: this.findings,
        note: `The last ${this.times.length} samples (at most ${MAX_SAMPLES}) of at most ${MAX_SERIES} series; a numbered red line is a finding on that series.`,
      },
      snapshots: this.snapshots,
      ...(this.holders === null
        ? {}
        : {
            groups: this.holders.groups,
            groupsTitle: 'Who holds the heap growth',
            groupsNote: `Objects allocated between ${this.holders.snapshots.join(' and ')} and still alive, grouped by retainer path, largest retained size first (the confirmed heap finding's diff).`,
          }),
    }
  }

  /** Rewrites the page (atomically, 0600); returns its path. */
  write() {
    fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 })
    return writeReport(this.file, render(this.data()))
  }
}

module.exports = { GuardReport, MAX_SAMPLES, MAX_SERIES }
