'use strict'
// The HTML report: render(data) -> one self-contained page (inline CSS, inline SVG charts, a
// little inline JS for sorting and opening trees; no network, no fonts, opens from disk). Every
// string that came from a heap snapshot or the app (class names, edge names, strings, messages,
// file paths) goes through esc() and is cut to a bounded length, so a snapshot cannot inject
// markup and a huge string cannot blow up the page.
//
// data: {
//   title, generatedAt (ISO string), subtitle,
//   summary: [{ label, value }],
//   files: [string],                          the snapshot files, in order
//   groups: [{ className, count, retainedSize, selfSize, holder?, site?, path?, retainers?,
//              rootClass?, roots?, exampleId?, perFile? }],
//   groupsTitle, groupsNote,
//   chart: { labels: [string], series: [{ name, counts: [n], retained: [n] }], note } | null,
//   timeline: { series: [{ key, label, type, points: [[t, v]] }],
//               findings: [{ t, kind, code, message, site?, seriesKey? }], note } | null,
//   snapshots: [string],                      guard mode: the snapshot files written
//   tests: [{ file, test, leaks: [{ kind, code, message, site? }] }],
//                                             a test run (leakguard/jest): which tests leaked what
// }

const { CSS, JS } = require('./assets')
const { humanSize, count: thousands } = require('../format')

const MAX_TEXT = 160
const MAX_STEPS = 120 // retainer steps drawn per group (repeated runs count once)
const MAX_GROUPS = 200
const PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#be185d', '#4d7c0f']

/** HTML-escapes `s` (text and attribute values), cut to `max` characters. */
function esc(s, max = MAX_TEXT) {
  let t = s === undefined || s === null ? '' : String(s)
  if (t.length > max) t = `${t.slice(0, max - 1)}…`
  return t.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c])
}

const size = humanSize
const num = thousands
const base = (file) => String(file).split(/[\\/]/).pop()
/** `registry.js:4` for `/a/b/registry.js:4`, the full text kept for the title attribute. */
const shortSite = (site) => base(site)

/** The index of the first step shown after the root: what comes before it is plumbing. */
function plumbingEnd(steps, holder) {
  if (!holder || typeof holder.step !== 'number') return 1
  let m = -1
  for (let i = holder.step - 1; i >= 1; i--) {
    if (steps[i] && steps[i].node === 'Module') {
      m = i
      break
    }
  }
  return m > 1 ? m : Math.max(1, holder.step - 1)
}

const V8_EDGES = new Set(['internal', 'hidden', 'shortcut', 'weak'])

/** Steps -> items: { step, index } or { run: [items] } (plumbing) or { repeat: step, times }. */
function treeItems(steps, holder) {
  const items = []
  const end = plumbingEnd(steps, holder)
  if (steps.length > 0) items.push({ step: steps[0], index: 0 })
  if (end > 1) items.push({ plumbing: steps.slice(1, end).map((s, k) => ({ step: s, index: k + 1 })) })
  // after the module boundary: runs of V8's own links collapse too, repeats are counted
  let run = []
  const flush = () => {
    if (run.length === 0) return
    if (run.length === 1) items.push(run[0])
    else items.push({ plumbing: run })
    run = []
  }
  for (let i = end; i < steps.length; i++) {
    const s = steps[i]
    const isHolder = holder && holder.step === i
    const last = i === steps.length - 1
    if (!isHolder && !last && (V8_EDGES.has(s.edgeType) || String(s.node).startsWith('system /'))) {
      run.push({ step: s, index: i })
      continue
    }
    flush()
    const prev = items[items.length - 1]
    if (!isHolder && !last && prev && prev.step && prev.step.edge === s.edge && prev.step.node === s.node && prev.index !== holder?.step) {
      prev.times = (prev.times || 1) + 1
      continue
    }
    items.push({ step: s, index: i })
  }
  flush()
  return items
}

function stepHtml(s, cls, extra = '') {
  const type = s.nodeType ? `<span class="t">${esc(s.nodeType)}</span>` : ''
  const edge = s.edge !== undefined && s.edge !== '' ? `<span class="edge e-${esc(s.edgeType || 'x', 20)}" title="${esc(s.edgeType)} edge">${esc(s.edge)}</span> ` : ''
  return `<div class="step${cls}">${edge}<span class="node">${esc(s.node)}</span> ${type}<span class="id">@${esc(s.id)}</span>${extra}</div>`
}

/** The retainer path of a group as a tree from the GC root down to its objects. */
function retainerTree(g) {
  const steps = Array.isArray(g.retainers) ? g.retainers : []
  if (steps.length === 0) return '<p class="muted">No path from a GC root was recorded for this group.</p>'
  const holder = g.holder
  let drawn = 0
  const out = []
  let depth = 0
  const open = () => {
    out.push('<li>')
    depth++
  }
  for (const it of treeItems(steps, holder)) {
    if (drawn >= MAX_STEPS) {
      out.push(`<li><div class="step more">… ${num(steps.length - drawn)} more steps not drawn</div>`)
      depth++
      break
    }
    if (it.plumbing) {
      const inner = it.plumbing.slice(0, MAX_STEPS).map((p) => stepHtml(p.step, '')).join('')
      open()
      out.push(`<details class="plumbing"><summary>${num(it.plumbing.length)} step${it.plumbing.length === 1 ? '' : 's'} of V8 and module-system plumbing</summary>${inner}</details><ul>`)
      drawn++
      continue
    }
    const s = it.step
    const isHolder = holder && it.index === holder.step
    const isLast = it.index === steps.length - 1
    let cls = ''
    let extra = ''
    if (it.times > 1) extra += ` <span class="times">×${num(it.times)}</span>`
    if (it.index === 0) cls = ' root'
    if (s.node === 'Module' && holder && holder.module) extra += ` <span class="where" title="${esc(holder.module, 1000)}">module ${esc(shortSite(holder.module))}</span>`
    if (isHolder) {
      cls += ' holder'
      const where = holder.site ? ` — ${holder.function ? `${esc(holder.function)} at ` : ''}<span title="${esc(holder.site, 1000)}">${esc(shortSite(holder.site))}</span>` : ''
      extra += ` <span class="badge">holder</span> <span class="hname">${esc(holder.name)}</span><span class="where">${where}</span>`
    }
    if (isLast) {
      cls += ' leaf'
      extra += ` <span class="badge leafb">${num(g.count)} ${esc(g.className)}</span>`
      if (g.site) extra += ` <span class="where" title="${esc(g.site, 1000)}">defined at ${esc(shortSite(g.site))}</span>`
    }
    open()
    out.push(stepHtml(s, cls, extra), '<ul>')
    drawn++
  }
  for (let i = 0; i < depth; i++) out.push('</ul></li>')
  return `<ul class="tree">${out.join('')}</ul>`
}

function holderCell(h) {
  if (!h) return '<span class="muted">—</span>'
  const where = h.site ? `<div class="sub" title="${esc(h.site, 1000)}">${h.function ? `${esc(h.function)} · ` : ''}${esc(shortSite(h.site))}</div>` : ''
  return `<span class="hname">${esc(h.name)}</span> <span class="kind">${esc(h.kind)}</span>${where}`
}

function groupsTable(data) {
  const groups = (data.groups || []).slice(0, MAX_GROUPS)
  if (groups.length === 0) return `<section><h2>${esc(data.groupsTitle || 'Leak groups')}</h2><p class="empty">Nothing to show: no objects allocated in between are still alive.</p></section>`
  const hasTrees = groups.some((g) => Array.isArray(g.retainers) && g.retainers.length > 0)
  const rows = groups
    .map((g, i) => {
      const tree = Array.isArray(g.retainers) && g.retainers.length > 0
      const inside = g.rootClass && g.rootClass !== g.className ? `<div class="sub">in ${esc(g.rootClass)} ×${num(g.roots)}</div>` : ''
      const site = g.site ? `<div class="sub" title="${esc(g.site, 1000)}">${esc(shortSite(g.site))}</div>` : ''
      const toggle = tree ? `<button class="tog" aria-expanded="false" aria-controls="tree-${i}" title="Show the retainer tree">▸</button>` : '<span class="tog-none"></span>'
      const main = `<tr class="group" data-i="${i}">
<td class="c-name">${toggle}<span class="cls">${esc(g.className)}</span>${inside}${site}</td>
<td class="num" data-v="${Number(g.count) || 0}">${num(g.count)}</td>
<td class="num" data-v="${Number(g.retainedSize) || 0}">${size(g.retainedSize)}<span class="bar" style="width:${barWidth(g.retainedSize, groups)}%"></span></td>
<td class="num" data-v="${Number(g.selfSize) || 0}">${size(g.selfSize)}</td>
<td class="c-holder" data-v="${esc(g.holder ? g.holder.name : '')}">${holderCell(g.holder)}</td></tr>`
      const detail = tree
        ? `<tr class="tree-row" id="tree-${i}" hidden><td colspan="5"><div class="tree-head">Retainer tree of ${esc(g.className)}${g.exampleId !== undefined ? ` (e.g. @${esc(g.exampleId)})` : ''}: from a GC root down to the objects</div>${retainerTree(g)}${g.path ? `<div class="path" title="the same path as text">${esc(g.path, 600)}</div>` : ''}</td></tr>`
        : ''
      return `<tbody>${main}${detail}</tbody>`
    })
    .join('')
  const more = data.groups.length > groups.length ? `<p class="muted">${num(data.groups.length - groups.length)} smaller groups left out.</p>` : ''
  return `<section><h2>${esc(data.groupsTitle || 'Leak groups')}</h2>${data.groupsNote ? `<p class="note">${esc(data.groupsNote, 400)}</p>` : ''}
<table id="groups" class="groups">
<thead><tr><th data-k="0" data-t="s">Class</th><th data-k="1" data-t="n" class="num">Count</th><th data-k="2" data-t="n" class="num sorted desc">Retained</th><th data-k="3" data-t="n" class="num">Self</th><th data-k="4" data-t="s">Holder</th></tr></thead>
${rows}</table>${hasTrees ? '<p class="muted hint">Click a row to open its retainer tree.</p>' : ''}${more}</section>`
}

function barWidth(v, groups) {
  const max = Math.max(1, ...groups.map((g) => Number(g.retainedSize) || 0))
  return Math.max(0, Math.min(100, ((Number(v) || 0) / max) * 100)).toFixed(1)
}

function niceMax(v) {
  if (!(v > 0)) return 1
  const p = 10 ** Math.floor(Math.log10(v))
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p
  return 10 * p
}

/** One line chart: x = index or time, y from 0; series [{ name, color, values: [[x, y]] }]. */
function lineChart({ title, series, xs, xLabel, yFormat, markers = [], w = 440, h = 220, cls = '' }) {
  const padL = 62
  const padR = 14
  const padT = 26
  const padB = 26
  const all = series.flatMap((s) => s.values.map((p) => p[1]))
  const ymax = niceMax(Math.max(0, ...all))
  const xmin = Math.min(...xs)
  const xmax = Math.max(...xs)
  const X = (x) => padL + (xmax === xmin ? (w - padL - padR) / 2 : ((x - xmin) / (xmax - xmin)) * (w - padL - padR))
  const Y = (y) => padT + (1 - y / ymax) * (h - padT - padB)
  const grid = [0, 0.25, 0.5, 0.75, 1]
    .map((f) => `<line class="grid" x1="${padL}" x2="${w - padR}" y1="${Y(ymax * f).toFixed(1)}" y2="${Y(ymax * f).toFixed(1)}"/><text class="yl" x="${padL - 6}" y="${(Y(ymax * f) + 4).toFixed(1)}">${esc(yFormat(ymax * f))}</text>`)
    .join('')
  const anchor = (i, n) => (n > 1 && i === 0 ? 'start' : n > 1 && i === n - 1 ? 'end' : 'middle')
  const ticks = xLabel.ticks.map((t, i, a) => `<text class="xl" text-anchor="${anchor(i, a.length)}" x="${X(t.x).toFixed(1)}" y="${h - padB + 16}">${esc(t.label, 40)}</text>`).join('')
  const lines = series
    .map((s) => {
      const pts = s.values.map(([x, y]) => `${X(x).toFixed(1)},${Y(y).toFixed(1)}`).join(' ')
      const dots = s.values.length <= 12 ? s.values.map(([x, y]) => `<circle cx="${X(x).toFixed(1)}" cy="${Y(y).toFixed(1)}" r="3.5" fill="${s.color}"><title>${esc(s.name)}: ${esc(yFormat(y))}</title></circle>`).join('') : ''
      return `<g class="series"><polyline fill="none" stroke="${s.color}" stroke-width="2" points="${pts}"><title>${esc(s.name)}</title></polyline>${dots}</g>`
    })
    .join('')
  const marks = markers
    .map((m) => `<g class="marker"><line x1="${X(m.x).toFixed(1)}" x2="${X(m.x).toFixed(1)}" y1="${padT - 4}" y2="${h - padB}"/><circle cx="${X(m.x).toFixed(1)}" cy="${padT - 8}" r="8"/><text x="${X(m.x).toFixed(1)}" y="${padT - 4.5}">${esc(m.label, 4)}</text><title>${esc(m.title, 400)}</title></g>`)
    .join('')
  return `<svg class="chart${cls}" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="${esc(title)}"><text class="ct" x="${padL}" y="14">${esc(title)}</text>${grid}<line class="axis" x1="${padL}" x2="${w - padR}" y1="${Y(0)}" y2="${Y(0)}"/>${ticks}${lines}${marks}</svg>`
}

function legend(series) {
  return `<div class="legend">${series.map((s) => `<span><i style="background:${s.color}"></i>${esc(s.name)}</span>`).join('')}</div>`
}

/** Count and retained size of the top groups' classes in every snapshot. */
function snapshotChart(chart) {
  if (!chart || !Array.isArray(chart.labels) || chart.labels.length === 0 || chart.series.length === 0) return ''
  const series = chart.series.slice(0, PALETTE.length).map((s, i) => ({ ...s, color: PALETTE[i] }))
  const xs = chart.labels.map((_, i) => i)
  const short = (l) => {
    const t = String(l).replace(/\.heapsnapshot$/, '')
    return t.length > 18 ? `…${t.slice(-17)}` : t
  }
  const xLabel = { ticks: chart.labels.map((l, i) => ({ x: i, label: short(l) })) }
  if (chart.labels.length === 1) {
    // one snapshot: bars of the top classes' retained size
    const w = 940
    const rowH = 22
    const h = 24 + series.length * rowH
    const max = Math.max(1, ...series.map((s) => s.retained[0] || 0))
    const bars = series
      .map((s, i) => {
        const y = 20 + i * rowH
        const bw = ((s.retained[0] || 0) / max) * (w - 420)
        return `<text class="bl" x="250" y="${y + 14}">${esc(s.name, 40)}</text><rect x="258" y="${y + 3}" width="${bw.toFixed(1)}" height="15" rx="3" fill="${s.color}"><title>${esc(s.name)}: ${esc(size(s.retained[0]))}, ${esc(num(s.counts[0]))} objects</title></rect><text class="bv" x="${(264 + bw).toFixed(1)}" y="${y + 14}">${esc(size(s.retained[0]))} · ${esc(num(s.counts[0]))}</text>`
      })
      .join('')
    return `<section><h2>Largest classes</h2><svg class="chart bars" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="retained size by class"><text class="ct" x="258" y="12">retained size · count in ${esc(chart.labels[0], 60)}</text>${bars}</svg></section>`
  }
  const counts = lineChart({ title: 'objects per snapshot', series: series.map((s) => ({ ...s, values: s.counts.map((v, i) => [i, v]) })), xs, xLabel, yFormat: count })
  const retained = lineChart({ title: 'retained size per snapshot', series: series.map((s) => ({ ...s, values: s.retained.map((v, i) => [i, v]) })), xs, xLabel, yFormat: size })
  return `<section><h2>Growth across the snapshots</h2>${chart.note ? `<p class="note">${esc(chart.note, 400)}</p>` : ''}<div class="charts">${counts}${retained}</div>${legend(series)}</section>`
}

const clock = (t) => new Date(t).toISOString().slice(11, 19)

function seriesFormat(type) {
  return type === 'heap' ? size : count
}

/** A count on an axis: `1,250`, `0.25` below 10. */
function count(v) {
  if (Number.isInteger(v) || v >= 10) return num(Math.round(v))
  return String(Number(v.toFixed(2)))
}

/** Guard mode: every sampled series over time, the findings marked where they were made. */
function timeline(tl) {
  if (!tl || !Array.isArray(tl.series) || tl.series.length === 0) return ''
  const findings = tl.findings || []
  const times = tl.series.flatMap((s) => s.points.map((p) => p[0]))
  const t0 = Math.min(...times)
  const t1 = Math.max(...times)
  const ticks = [t0, t0 + (t1 - t0) / 2, t1].map((x) => ({ x, label: clock(x) }))
  const charts = tl.series
    .map((s) => {
      const mine = findings.map((f, i) => ({ f, i })).filter(({ f }) => f.seriesKey === s.key)
      const markers = mine.map(({ f, i }) => ({ x: Math.min(Math.max(f.t, t0), t1), label: String(i + 1), title: `${i + 1}. ${f.message}` }))
      const svg = lineChart({
        title: s.label,
        series: [{ name: s.label, color: mine.length > 0 ? '#dc2626' : '#2563eb', values: s.points }],
        xs: [t0, t1],
        xLabel: { ticks },
        yFormat: seriesFormat(s.type),
        markers,
        w: 428,
        h: 180,
        cls: mine.length > 0 ? ' flagged' : '',
      })
      return `<figure class="series-chart" data-series="${esc(s.key, 300)}">${svg}<figcaption>${esc(s.type)}${mine.length > 0 ? ` · <b>${mine.length} finding${mine.length === 1 ? '' : 's'}</b>` : ''}</figcaption></figure>`
    })
    .join('')
  const list = findings.length
    ? `<ol class="findings">${findings
        .map((f) => `<li id="finding-${esc(f.t)}"><span class="fkind">${esc(f.code || f.kind)}</span> <span class="ftime">${esc(clock(f.t))}</span><div class="fmsg">${esc(f.message, 1200)}</div>${f.site ? `<div class="where" title="${esc(f.site, 1000)}">site: <code>${esc(f.site, 300)}</code></div>` : ''}</li>`)
        .join('')}</ol>`
    : '<p class="empty">No findings yet.</p>'
  return `<section><h2>Timeline</h2>${tl.note ? `<p class="note">${esc(tl.note, 400)}</p>` : ''}<h3>Findings</h3>${list}<h3>Sampled series</h3><div class="charts timeline">${charts}</div></section>`
}

/** A test run: one row per leaked thing, by file and test, each with its site. */
function testsTable(tests) {
  if (!Array.isArray(tests)) return ''
  if (tests.length === 0) return '<section><h2>Tests that leaked</h2><p class="empty">No test leaked.</p></section>'
  const rows = []
  for (const t of tests.slice(0, 2000)) {
    t.leaks.forEach((l, i) => {
      const first = i === 0
      rows.push(
        `<tr class="leak${first ? ' first' : ''}">${first ? `<td class="test" rowspan="${t.leaks.length}"><div class="file">${esc(t.file, 300)}</div><div class="name">${esc(t.test, 300)}</div></td>` : ''}` +
          `<td class="kind"><code>${esc(l.kind, 20)}</code></td><td class="msg">${esc(l.message, 600)}</td><td class="site">${l.site ? `<code>${esc(l.site, 400)}</code>` : ''}</td></tr>`,
      )
    })
  }
  return `<section><h2>Tests that leaked</h2><table class="tests"><thead><tr><th>test</th><th>kind</th><th>what it left behind</th><th>where</th></tr></thead><tbody>${rows.join('')}</tbody></table></section>`
}

function snapshotsList(files) {
  if (!Array.isArray(files) || files.length === 0) return ''
  const cmd = `npx leakguard report ${files.slice(-3).join(' ')} -o report.html`
  return `<section><h2>Heap snapshots written</h2><ul class="files">${files.map((f) => `<li><code>${esc(f, 1000)}</code></li>`).join('')}</ul><p class="note">Their leak groups and retainer trees: <code>${esc(cmd, 3000)}</code></p></section>`
}

function render(data) {
  const cards = (data.summary || []).map((c) => `<div class="card"><div class="v">${esc(c.value, 60)}</div><div class="l">${esc(c.label, 80)}</div></div>`).join('')
  const body = [
    cards ? `<div class="cards">${cards}</div>` : '',
    testsTable(data.tests),
    timeline(data.timeline),
    data.groups ? groupsTable(data) : '',
    snapshotChart(data.chart),
    snapshotsList(data.snapshots),
  ].join('\n')
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>${esc(data.title || 'leakguard report')}</title>
<style>${CSS}</style></head>
<body><header><h1>${esc(data.title || 'leakguard report')}</h1>${data.subtitle ? `<div class="sub">${esc(data.subtitle, 2000)}</div>` : ''}</header>
<main>${body}
<footer>leakguard report · generated ${esc(data.generatedAt || new Date().toISOString())} · a self-contained file: no network, nothing loaded from elsewhere</footer></main>
<script>${JS}</script></body></html>
`
}

module.exports = { render, esc, size }
