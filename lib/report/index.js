'use strict'
// The HTML report's data: from snapshot files (the `report` command) and the writer (0600,
// atomic: a reader never sees half a page). The page itself is lib/report/html.js.

const fs = require('node:fs')
const path = require('node:path')
const { randomBytes } = require('node:crypto')
const { render } = require('./html')

/** Groups whose classes are followed across the snapshots in the chart. */
const CHART_GROUPS = 6

/**
 * The report's data for 1 snapshot (its classes, each with the retainer path of its largest
 * object when it is among the `top` largest) or 2-3 snapshots (the diff's leak groups, and the
 * count and retained size of the top groups' classes in every snapshot). Heap text (strings,
 * names on paths) comes redacted from the analysis unless `showStrings` (the page may be shared).
 */
async function fromSnapshots(files, { top = 50, showStrings = false } = {}) {
  const api = require('../snapshot/analysis')
  const names = files.map((f) => path.basename(f))
  const sizes = files.map((f) => {
    try {
      return fs.statSync(f).size
    } catch {
      return 0
    }
  })
  const generatedAt = new Date().toISOString()
  if (files.length === 1) {
    const r = await api.analyze(files[0], { top, showStrings })
    const largestOf = new Map()
    for (const o of r.largest || []) if (!largestOf.has(o.className)) largestOf.set(o.className, o)
    const groups = r.classes.slice(0, top).map((c) => {
      const o = largestOf.get(c.name)
      return { className: c.name, count: c.count, retainedSize: c.retainedSize, selfSize: c.selfSize, retainers: o ? o.retainers : undefined, exampleId: o ? o.id : undefined, path: o ? o.path : undefined }
    })
    return {
      title: `leakguard report: ${names[0]}`,
      subtitle: files[0],
      generatedAt,
      summary: [
        { label: 'objects', value: r.nodeCount.toLocaleString('en-US') },
        { label: 'heap size', value: require('./html').size(r.totalSize) },
        { label: 'classes', value: r.classes.length.toLocaleString('en-US') },
        { label: 'snapshot file', value: require('./html').size(sizes[0]) },
      ],
      groupsTitle: `Classes by retained size (top ${groups.length} of ${r.classes.length.toLocaleString('en-US')})`,
      groupsNote: 'One snapshot shows what is big, not what grows: give the report three snapshots (before, after, after more of the same work) to see the leak groups.',
      groups,
      chart: { labels: [names[0]], series: groups.slice(0, 10).map((g) => ({ name: g.className, counts: [g.count], retained: [g.retainedSize] })) },
    }
  }
  const d = await api.diff(files[0], files[1], files[2], { showStrings })
  const wanted = [...new Set(d.groups.slice(0, CHART_GROUPS).map((g) => g.className))]
  const perFile = []
  for (const f of files) {
    const r = await api.analyze(f, { top: 0 })
    perFile.push(new Map(r.classes.filter((c) => wanted.includes(c.name)).map((c) => [c.name, c])))
  }
  const series = wanted.map((name) => ({
    name,
    counts: perFile.map((m) => (m.get(name) ? m.get(name).count : 0)),
    retained: perFile.map((m) => (m.get(name) ? m.get(name).retainedSize : 0)),
  }))
  const leaked = d.groups.reduce((n, g) => n + g.retainedSize, 0)
  const last = files.length === 3 ? names[2] : names[1]
  return {
    title: `leakguard report: ${d.groups.length === 0 ? 'no leak groups' : `${d.groups.length.toLocaleString('en-US')} leak group${d.groups.length === 1 ? '' : 's'}`}`,
    subtitle: files.join(' → '),
    generatedAt,
    files,
    summary: [
      { label: `new objects still alive in ${last}`, value: d.newObjects.toLocaleString('en-US') },
      { label: 'leak groups', value: d.groups.length.toLocaleString('en-US') },
      { label: 'retained by the groups', value: require('./html').size(leaked) },
      { label: 'snapshots', value: String(files.length) },
    ],
    groupsTitle: 'Leak groups',
    groupsNote: `Objects allocated between ${names[0]} and ${names[1]} that are still alive in ${last}, grouped by who holds them.`,
    groups: d.groups,
    chart: { labels: names, series, note: "Every object of each leak group's class in each snapshot (not only the group's)." },
  }
}

/**
 * Writes `html` to `target` with mode 0600, atomically: a temporary file in the same directory
 * (O_EXCL, 0600 whatever the umask: the page holds strings from the heap), fsync'ed and renamed
 * into place, removed on failure. Returns the absolute path.
 */
function writeReport(target, html) {
  const file = path.resolve(target)
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`)
  let fd
  try {
    fd = fs.openSync(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600)
    fs.fchmodSync(fd, 0o600)
    fs.writeFileSync(fd, html)
    fs.fsyncSync(fd)
    fs.closeSync(fd)
    fd = undefined
    fs.renameSync(tmp, file)
  } catch (err) {
    if (fd !== undefined) {
      try {
        fs.closeSync(fd)
      } catch {}
    }
    try {
      fs.unlinkSync(tmp)
    } catch {}
    const out = new Error(`leakguard: cannot write the report ${file}: ${err && err.message ? err.message : err}`, { cause: err })
    if (err && err.code !== undefined) out.code = err.code
    throw out
  }
  return file
}

module.exports = { fromSnapshots, writeReport, render }
