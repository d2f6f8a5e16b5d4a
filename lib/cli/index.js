'use strict'
// `npx leakguard analyze|diff ...`: the command line over leakguard.analyze / leakguard.diff.
// main(argv, io) returns the exit code: 0 done, 1 the work failed (missing / corrupt file, ...),
// 2 usage error. Reports go to stdout (human, or JSON with --json); errors and the progress
// line go to stderr, the progress line only when stderr is a terminal and the work takes more
// than a moment.

const fs = require('node:fs')
const path = require('node:path')
const { parseArgs } = require('node:util')

const USAGE = `Usage:
  leakguard analyze <file.heapsnapshot> [--top N] [--json] [--show-strings]
  leakguard diff <baseline> <target> [final] [--top N] [--json] [--show-strings]
  leakguard report <snapshots...> [-o report.html] [--top N] [--show-strings]
  leakguard --help | --version

Commands:
  analyze   classes by retained size, and the largest single objects with their retainer path
  diff      objects allocated between <baseline> and <target> that are still alive in [final]
            (default: <target>), grouped by class and retainer path: the leak suspects
  report    one self-contained HTML page (opens from disk, no network): 1 snapshot -> its
            classes; 2-3 snapshots -> the diff's leak groups with retainer trees and a chart

Options:
  --top N   how many classes / objects / groups to show (default 20)
  --json    print the result as JSON (for machines) instead of the report
  --show-strings   show text from the heap as it is: by default strings are shortened and
            what looks like a secret (keys, tokens, password=..., JWTs) shows as [redacted]
            (control characters are always shown escaped)
  -o, --output FILE   report: where to write the page (default leakguard-report.html; 0600)
  -h, --help
  -v, --version

Exit codes: 0 done, 1 the analysis failed (missing, truncated or corrupt file), 2 usage error.
Write snapshots with leakguard.writeSnapshot(), require('leakguard/heapdump'), or DevTools.`

const SHORT_USAGE = USAGE.split('\n\n')[0]

const OPTIONS = {
  top: { type: 'string' },
  json: { type: 'boolean', default: false },
  'show-strings': { type: 'boolean', default: false },
  output: { type: 'string', short: 'o' },
  help: { type: 'boolean', short: 'h', default: false },
  version: { type: 'boolean', short: 'v', default: false },
}

const { humanSize, count } = require('../format')

class UsageError extends Error {}


function table(rows, aligns) {
  const widths = aligns.map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)))
  return rows
    .map((r) =>
      r
        .map((cell, c) => {
          const s = String(cell)
          if (c === r.length - 1) return s
          return aligns[c] === 'right' ? s.padStart(widths[c]) : s.padEnd(widths[c])
        })
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
}

function parse(argv) {
  let parsed
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true })
  } catch (err) {
    throw new UsageError(err.message)
  }
  const { values, positionals } = parsed
  let top = 20
  const topGiven = values.top !== undefined
  if (topGiven) {
    top = Number(values.top)
    if (!/^\d+$/.test(values.top) || top < 1) throw new UsageError(`--top must be a positive integer, got '${values.top}'`)
  }
  return { command: positionals[0], files: positionals.slice(1), top, topGiven, json: values.json, showStrings: values['show-strings'], output: values.output, help: values.help, version: values.version }
}

/**
 * A progress line on stderr, shown only on a terminal after `delayMs`: a spinner, `label`,
 * what `status()` says (the analysis's phase and percent of the file read) and the elapsed time.
 */
function progress(stderr, label, { delayMs = 300, status = () => '' } = {}) {
  if (!stderr.isTTY) return () => {}
  const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏']
  const started = Date.now()
  let frame = 0
  let shown = false
  const timer = setInterval(() => {
    const elapsed = Date.now() - started
    if (elapsed < delayMs) return
    shown = true
    let now = ''
    try {
      now = status()
    } catch {}
    stderr.write(`\r\x1b[K${frames[frame++ % frames.length]} ${label}${now ? `: ${now}` : ''} ${(elapsed / 1000).toFixed(1)} s`)
  }, 100)
  return () => {
    clearInterval(timer)
    if (shown) stderr.write('\r\x1b[K')
  }
}

/** `parse 42%`, `dominators`, `summary`: an analysis's progress (`analysisProgress`) as the progress line shows it. */
function analysisStatus(p) {
  if (p.phase !== 'parse') return p.phase === 'done' ? '' : p.phase
  if (!(p.fileSize > 0)) return 'parse'
  return `parse ${Math.min(99, Math.floor((100 * p.bytesRead) / p.fileSize))}%`
}

function describeFile(file) {
  try {
    return `${path.basename(file)} (${humanSize(fs.statSync(file).size)})`
  } catch {
    return path.basename(file)
  }
}

// Control characters (ESC sequences that re-title, clear or recolour the terminal, CR, newlines
// that forge lines) and bidirectional overrides, as they may come from any string in a heap:
// shown escaped, never sent to the terminal.
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g
const SHORT = { '\n': '\\n', '\r': '\\r', '\t': '\\t' }
const safe = (text) => String(text).replace(UNSAFE, (ch) => SHORT[ch] || (ch.charCodeAt(0) <= 0xff ? `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}` : `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`))

/** `Map`, `handler() (closure)`, `"some text…" (string)`: a node as a person reads it. */
function describeObject(o) {
  if (!o.name || o.name === o.className) return safe(o.className)
  let name = o.name.length > 60 ? `${o.name.slice(0, 57)}…` : o.name
  if (o.className === '(closure)') name = `${name}()`
  else if (o.className.startsWith('(')) name = JSON.stringify(name)
  return safe(`${name} ${o.className}`)
}

function renderAnalysis(file, r, top, seconds) {
  const out = []
  out.push(`${file}: ${count(r.nodeCount)} nodes, ${count(r.edgeCount)} edges, ${humanSize(r.totalSize)} total (analysed in ${seconds.toFixed(2)} s)`)
  const classes = r.classes.slice(0, top)
  out.push('', `Classes by retained size (top ${classes.length} of ${count(r.classes.length)})`)
  const rows = [['retained', 'self', 'count', 'class']]
  for (const c of classes) rows.push([humanSize(c.retainedSize), humanSize(c.selfSize), count(c.count), safe(c.name)])
  out.push(indent(table(rows, ['right', 'right', 'right', 'left'])))
  const largest = (r.largest || []).slice(0, top)
  if (largest.length > 0) {
    out.push('', `Largest objects by retained size (top ${largest.length})`)
    for (const o of largest) {
      out.push(`  ${humanSize(o.retainedSize).padStart(8)}  ${describeObject(o)} @${o.id}`)
      if (o.path) out.push(`            ${safe(o.path)}`)
    }
  }
  return out.join('\n')
}

/** ` (captured by f() at file:line)`, ` (f() at file:line)`, ` (module file)` or ''. */
function holderWhere(h) {
  if (!h.site) return ''
  if (!h.function) return ` (module ${h.site})`
  return h.kind === 'variable' ? ` (captured by ${h.function} at ${h.site})` : ` (${h.function} at ${h.site})`
}

function renderDiff(files, r, top, seconds) {
  const [a, b, c] = files
  const out = []
  const where = c === undefined ? `still alive in ${b}` : `still alive in ${c}`
  out.push(`Objects allocated between ${a} and ${b}, ${where}: ${count(r.newObjects)} (compared in ${seconds.toFixed(2)} s)`)
  // snapshots of different processes, or not oldest first: said before anything else
  for (const w of r.warnings || []) out.push('', `WARNING (${w.code}): ${safe(w.message)}`)
  const groups = r.groups.slice(0, top)
  if (groups.length === 0) {
    out.push('', 'No leak groups: nothing allocated in between is still alive.')
    return out.join('\n')
  }
  out.push('', `Leak groups by retained size (top ${groups.length} of ${count(r.groups.length)})`)
  groups.forEach((g, i) => {
    out.push('', `${String(i + 1).padStart(3)}. ${safe(g.className)} ×${count(g.count)}  retained ${humanSize(g.retainedSize)} (self ${humanSize(g.selfSize)}), e.g. @${g.exampleId}`)
    const notes = []
    if (g.holder) notes.push(`held by '${g.holder.name}'${holderWhere(g.holder)}`)
    if (g.rootClass && g.rootClass !== g.className) notes.push(`in ${g.rootClass} ×${count(g.roots)}`)
    if (g.site) notes.push(`defined at ${g.site}`)
    if (notes.length > 0) out.push(`     ${safe(notes.join('; '))}`)
    out.push(`     ${g.path ? safe(g.path) : '(no path from a GC root)'}`)
  })
  return out.join('\n')
}

const indent = (text) =>
  text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n')

/** `leakguard report`: the HTML page of 1 snapshot (classes) or 2-3 (the diff's leak groups). */
async function report(args, stdout, stderr, usageError) {
  if (args.files.length < 1 || args.files.length > 3) return usageError(`report takes one to three snapshot files, got ${args.files.length}`)
  if (args.json) return usageError('report writes HTML; use analyze or diff for --json')
  const { fromSnapshots, writeReport, render } = require('../report')
  const files = args.files.map((f) => path.resolve(f))
  const out = path.resolve(args.output === undefined ? 'leakguard-report.html' : args.output)
  const done = progress(stderr, `reporting on ${files.map(describeFile).join(', ')}`)
  try {
    const data = await fromSnapshots(files, { ...(args.topGiven ? { top: args.top } : {}), showStrings: args.showStrings })
    writeReport(out, render(data))
  } catch (err) {
    done()
    stderr.write(`leakguard: report failed: ${err && err.message ? err.message : err}\n`)
    return 1
  }
  done()
  stdout.write(`${out}\n`)
  return 0
}

/** Runs the command line; resolves to the exit code. `io`: { stdout, stderr } (default: the process's). */
async function main(argv, io = {}) {
  const stdout = io.stdout || process.stdout
  const stderr = io.stderr || process.stderr
  const usageError = (message) => {
    stderr.write(`leakguard: ${message}\n\n${SHORT_USAGE}\n(leakguard --help for the options)\n`)
    return 2
  }
  let args
  try {
    args = parse(argv)
  } catch (err) {
    if (err instanceof UsageError) return usageError(err.message)
    throw err
  }
  if (args.help) {
    stdout.write(`${USAGE}\n`)
    return 0
  }
  if (args.version) {
    stdout.write(`${require('../../package.json').version}\n`)
    return 0
  }
  if (args.command === undefined) return usageError('a command is required: analyze, diff or report')
  if (args.command === 'report') return report(args, stdout, stderr, usageError)
  if (args.output !== undefined) return usageError('-o/--output is an option of report')
  if (args.command === 'analyze') {
    if (args.files.length !== 1) return usageError(`analyze takes one snapshot file, got ${args.files.length}`)
  } else if (args.command === 'diff') {
    if (args.files.length < 2 || args.files.length > 3) return usageError(`diff takes two or three snapshot files (baseline, target, final), got ${args.files.length}`)
  } else {
    return usageError(`unknown command '${args.command}'`)
  }

  const api = require('../snapshot/analysis')
  const files = args.files.map((f) => path.resolve(f))
  const label = args.command === 'analyze' ? `analysing ${describeFile(files[0])}` : `comparing ${files.map(describeFile).join(', ')}`
  let job
  const done = progress(stderr, label, { status: () => (job === undefined ? '' : analysisStatus(require('../native').analysisProgress(job))) })
  const started = process.hrtime.bigint()
  let result
  try {
    const strings = { showStrings: args.showStrings }
    result =
      args.command === 'analyze'
        ? await api.analyzeWatched(files[0], { top: args.top, ...strings }, (j) => (job = j))
        : await api.diff(files[0], files[1], files[2], strings)
  } catch (err) {
    done()
    stderr.write(`leakguard: ${args.command} failed: ${err && err.message ? err.message : err}\n`)
    return 1
  }
  done()
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  if (args.json) {
    // --top bounds the groups of a diff here too (all of them without --top: for machines)
    const doc =
      args.command === 'analyze'
        ? { file: files[0], ...result }
        : { files, ...result, groupCount: result.groups.length, groups: args.topGiven ? result.groups.slice(0, args.top) : result.groups }
    stdout.write(`${JSON.stringify(doc, null, 2)}\n`)
    if (args.command === 'diff') for (const w of result.warnings || []) stderr.write(`leakguard: warning (${w.code}): ${safe(w.message)}\n`)
  } else {
    stdout.write(`${args.command === 'analyze' ? renderAnalysis(args.files[0], result, args.top, seconds) : renderDiff(args.files, result, args.top, seconds)}\n`)
  }
  return 0
}

module.exports = { main, humanSize, analysisStatus, USAGE }
