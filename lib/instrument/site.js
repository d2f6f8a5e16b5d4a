'use strict'
// Add-sites: the first stack frame outside leakguard and outside Node's internals, as
// `file:line:column`. This is the expensive part of instrumentation (V8's captureStackTrace
// alone is ~3-6 µs here), which is why capture is configurable (always / sampled / off).
//
// When a source mapping is in force (jest 29's transform and source-map-support install
// Error.prepareStackTrace; jest 30 installs it in the worker's realm, see outerRealm();
// `node --enable-source-maps` sets process.sourceMapsEnabled), the formatted `.stack` is parsed,
// so the site is the line the user wrote. Otherwise (and when the
// app's formatting throws or is not V8's format) structured CallSites are read directly, which
// also skips formatting (about half the cost).

const { builtin, processWide } = require('../builtin')
const { watched, outerRealm } = require('./realm')
const path = require('node:path')

const root = path.join(__dirname, '..', '..')
const ownFiles = [path.join(root, 'lib') + path.sep, path.join(root, 'index.js')]

// `    at fn (file:line:col)` / `    at file:line:col` / `    at async fn (file:line:col)`
const FRAME = /^\s*at (?:.*?\()?(.+?):(\d+):(\d+)\)?$/

const isOwn = (file) => ownFiles.some((own) => file.startsWith(own))

// Node's own frames: its modules (`node:events`, `node:internal/...`), the wrapper it runs `-e`
// code in, V8's builtins (`<anonymous>`, `native`), and leakguard's. A file name without a '/' is
// not Node's as such: code run by `node -e`/`-p` is `[eval]`, the REPL's `REPL1`, a vm script's
// `evalmachine.<anonymous>` or the filename it was given, and their adds are the user's.
const NODE_FRAMES = new Set(['<anonymous>', 'native', '[eval]-wrapper'])

function isInternal(file) {
  return file.startsWith('node:') || file.startsWith('internal/') || NODE_FRAMES.has(file) || isOwn(file)
}

const inPackage = (file) => file.includes(`${path.sep}node_modules${path.sep}`)

function structured(_error, callSites) {
  return callSites
}

// Stacks are captured through the Error of a private realm (a vm context of leakguard's own), so
// the app's Error is never written: V8 takes the frame limit from the realm whose
// captureStackTrace runs, and Node formats a stack with the Error.prepareStackTrace of the realm
// that made the holder object. Hence CallSites come from a holder of the private realm, whose
// prepareStackTrace returns them as they are, whatever the app did to its own Error (frozen it,
// `--frozen-intrinsics`, a formatter that throws or returns its own text, a setter that throws).
// A holder of the app's realm gets the app's formatting (source maps: jest's transform,
// source-map-support, --enable-source-maps).
let realm = null

function privateRealm() {
  if (realm === null) {
    // one per process, not per copy of this module (a vm context per jest test file otherwise)
    realm = processWide('privateRealm', () => {
      const vm = builtin('node:vm')
      const context = vm.createContext({})
      const RealmError = vm.runInContext('Error', context)
      RealmError.prepareStackTrace = structured
      return { Error: RealmError, holder: vm.runInContext('() => ({})', context) }
    })
  }
  return realm
}

// jest 30 maps stack frames with an Error.prepareStackTrace of its own realm (the worker's), not
// of the test file's vm context: a holder made by that realm is formatted by it (outerRealm() in
// lib/instrument/realm.js). jest 29's source-map-support is the context's own Error's.

/**
 * The Error.prepareStackTrace that maps stacks now, to be called later on a frame kept as data
 * (lateSite): `{ fn, self }`, EAGER when stacks are mapped by Node itself (--enable-source-maps:
 * no function to call; the site is mapped when captured), or null when nobody maps them.
 */
const EAGER = { fn: null, self: null }
// Node 20+ installs its own default (`ErrorPrepareStackTrace`, which maps nothing unless
// --enable-source-maps): not a formatter to call later
const isNodeDefault = (fn) => fn.name === 'ErrorPrepareStackTrace'
// one object per formatter function, which every LateSite of it shares; held weakly: under
// leakguard/jest a formatter is a finished test file's (its context's source-map-support)
const formatters = new WeakMap() // self (an Error constructor) -> { fn, self }
function formatterOf(fn, self) {
  let f = formatters.get(self)
  if (f === undefined || f.fn !== fn) formatters.set(self, (f = { fn, self }))
  return f
}
function formatter() {
  try {
    if (process.sourceMapsEnabled === true) return EAGER
    const g = watched()
    const own = g.Error.prepareStackTrace
    if (typeof own === 'function') return isNodeDefault(own) ? null : formatterOf(own, g.Error)
    if (own !== undefined) return EAGER // not a function: what V8 does with it is V8's business
    const outer = outerRealm(g)
    const fn = outer !== null ? outer.Error.prepareStackTrace : undefined
    if (typeof fn === 'function' && !isNodeDefault(fn)) return formatterOf(fn, outer.Error)
  } catch {
    return EAGER // a getter that throws: the capture reads CallSites, as it always did
  }
  return null
}

// A CallSite as plain data, for a formatter called later (source-map-support, which jest 29 and 30
// install, reads these methods and clones the object through its prototype's).
class FrameData {
  constructor(f) {
    this.file = f.file
    this.line = f.line
    this.column = f.column
  }
  getFileName() { return this.file }
  getScriptNameOrSourceURL() { return this.file }
  getLineNumber() { return this.line }
  getColumnNumber() { return this.column }
  getFunctionName() { return null }
  getMethodName() { return null }
  getTypeName() { return null }
  getEvalOrigin() { return undefined }
  getThis() { return undefined }
  getFunction() { return undefined }
  getPromiseIndex() { return null }
  getScriptHash() { return '' }
  getEnclosingLineNumber() { return this.line }
  getEnclosingColumnNumber() { return this.column }
  getPosition() { return 0 }
  isNative() { return false }
  isEval() { return false }
  isToplevel() { return true }
  isConstructor() { return false }
  isAsync() { return false }
  isPromiseAll() { return false }
  toString() { return `${this.file}:${this.line}:${this.column}` }
}

/**
 * A site mapped when it is first read, not when it is captured: mapping a stack through a
 * source map costs several times the capture, and the first one of a jest test file parses the
 * file's map (7-26 ms each in the jest bench's files); most sites are never read (the socket is
 * closed, the listener removed). The frame is kept as data, never as the CallSite (which would
 * pin its receiver and function). `raw` is the unmapped site, the answer when mapping fails.
 */
class LateSite {
  constructor(frame, format) {
    this.raw = `${frame.file}:${frame.line}:${frame.column}` // two fields: one a record per add
    this.format = format
  }

  read() {
    if (this.mapped === undefined) this.mapped = this.map()
    return this.mapped
  }

  map() {
    try {
      const c = this.raw.lastIndexOf(':')
      const l = this.raw.lastIndexOf(':', c - 1)
      const frame = new FrameData({ file: this.raw.slice(0, l), line: Number(this.raw.slice(l + 1, c)), column: Number(this.raw.slice(c + 1)) })
      const stack = this.format.fn.call(this.format.self, { name: 'Error', message: '' }, [frame])
      if (typeof stack === 'string') {
        const f = parseFrames(stack)[0]
        if (f !== undefined) return format(f)
      }
    } catch {} // the formatter threw: the unmapped site
    return this.raw
  }
}

const kLate = Symbol('leakguard.lateSite')

/**
 * The LateSite behind a record's `site` (defineSite), mapped or not, or undefined: its `raw` is
 * the key to group records by without mapping them (only a finding's site is mapped, when read).
 */
const lateOf = (target) => target[kLate]

/**
 * When `target.site` is a LateSite: it is read (and the property made plain) at first access.
 * Records are made with `site` in their literal and passed here only when it is an object.
 */
function defineSite(target) {
  const site = target.site
  if (!(site instanceof LateSite)) return target
  Object.defineProperty(target, kLate, { value: site })
  Object.defineProperty(target, 'site', {
    configurable: true,
    enumerable: true,
    get() {
      const value = site.read()
      Object.defineProperty(this, 'site', { value, writable: true, enumerable: true, configurable: true })
      return value
    },
    set(value) {
      Object.defineProperty(this, 'site', { value, writable: true, enumerable: true, configurable: true })
    },
  })
  return target
}

/**
 * A holder whose realm formats stacks with the app's (or the runner's) source mapping, or null
 * when nobody maps them (then structured CallSites are read instead).
 */
function formattingHolder() {
  try {
    const g = watched()
    if (g.Error.prepareStackTrace !== undefined || process.sourceMapsEnabled === true) return new g.Object()
    const outer = outerRealm(g)
    if (outer !== null && typeof outer.Error.prepareStackTrace === 'function') return new outer.Object()
  } catch {} // a getter that throws: read CallSites instead
  return null
}

/** Frames `{ file, line, column }` of a formatted stack (Node's own included). */
function parseFrames(stack) {
  const frames = []
  let start = stack.indexOf('\n')
  while (start !== -1) {
    const end = stack.indexOf('\n', start + 1)
    const line = stack.slice(start + 1, end === -1 ? undefined : end)
    start = end
    const m = FRAME.exec(line)
    if (m === null || line.includes('(eval at ')) continue
    let file = m[1]
    if (file.startsWith('file://')) file = file.slice(7)
    frames.push({ file, line: m[2], column: m[3] })
  }
  return frames
}

function callSiteFrames(callSites) {
  const frames = []
  for (const frame of callSites) {
    let file = frame.getFileName()
    if (!file || frame.isEval()) continue
    if (file.startsWith('file://')) file = file.slice(7)
    frames.push({ file, line: frame.getLineNumber(), column: frame.getColumnNumber() })
  }
  return frames
}

/**
 * The frames above `skip`, mapped the way the app or runner maps them (with `mapped`; formatting
 * through a source map costs several times the capture); null when unreadable.
 */
function captureFrames(skip, depth, mapped = true) {
  const r = privateRealm()
  r.Error.stackTraceLimit = depth
  const holder = mapped ? formattingHolder() : null
  if (holder !== null) {
    r.Error.captureStackTrace(holder, skip)
    let stack
    try {
      stack = holder.stack // runs the app's Error.prepareStackTrace, which may throw
    } catch {
      stack = undefined
    }
    if (typeof stack === 'string') {
      const frames = parseFrames(stack)
      if (frames.length > 0) return frames
    } else if (Array.isArray(stack) && stack.every((f) => f !== null && typeof f === 'object' && typeof f.getFileName === 'function')) {
      return callSiteFrames(stack)
    }
    // not V8's format (or nothing parsable): read CallSites
  }
  const own = r.holder()
  r.Error.captureStackTrace(own, skip)
  return Array.isArray(own.stack) ? callSiteFrames(own.stack) : null
}

function format(f) {
  return `${f.file}:${f.line}:${f.column}`
}

function firstRaw(frames, app) {
  for (const f of frames) if (!isInternal(f.file) && !(app && inPackage(f.file))) return f
  return null
}

function firstFrame(frames, app) {
  const f = firstRaw(frames, app)
  return f === null ? null : format(f)
}

/**
 * captureSite(), mapped later (a LateSite) when a formatter maps stacks: a string, a LateSite
 * (give it to defineSite()) or null. Never throws.
 */
function captureLateSite(skip, depth = 10, app = false) {
  try {
    const f = formatter()
    if (f === null || f === EAGER) return captureSite(skip, depth, app)
    const frames = captureFrames(skip, depth, false)
    if (frames === null) return null
    const frame = (app && firstRaw(frames, true)) || firstRaw(frames, false)
    return frame === null ? null : new LateSite(frame, f)
  } catch {
    return null
  }
}

/**
 * Returns the first user frame above `skip` (a function on the stack) as `file:line:column`,
 * or null when there is none (e.g. everything came from Node internals). With `app`, frames in
 * node_modules are passed over too when a frame of the application is on the stack (a server a
 * test starts through a library is named by the test's line). Never throws, never writes the
 * app's `Error`.
 */
function captureSite(skip, depth = 10, app = false) {
  try {
    const frames = captureFrames(skip, depth)
    if (frames === null) return null
    return (app && firstFrame(frames, true)) || firstFrame(frames, false)
  } catch {
    return null
  }
}

/** Marks an add whose whole stack is Node's internals (e.g. node:test's own timeout signals). */
const INTERNAL = 'node:internal'

/** Test runners' own packages: what they add for themselves (a test's AbortSignal) is theirs. */
const RUNNER = /[\\/]node_modules[\\/](?:jest-[^\\/]+|@jest[\\/][^\\/]+|vitest|@vitest[\\/][^\\/]+|mocha)[\\/]/

// Frames that are the events machinery rather than whoever asked for the listener: once() adds
// through on(), events.once(emitter) and EventEmitter.on(emitter) through the emitter's own methods.
const PLUMBING = /^node:(?:events|internal\/events\/|internal\/event_target)/

// Who added a listener: 'app' (the application's or the test's own code), 'package' (a library in
// node_modules), 'node' (Node's own modules: createServer's 'connection', an http.Agent, a pipe),
// judged by the first frame that is not leakguard's or the events machinery's (scanAdd).
/**
 * The first pass of captureAdd over raw CallSites (`depth` of them above `skip`), reading only
 * what it needs: each frame's file until both answers are known, and the line and column of the
 * site's frame alone (a listener add is the hot path: Node adds a dozen per http request).
 * `{ site, frame, by, whole }` (site null: no user frame in reach), or null when unreadable.
 */
function scanAdd(skip, depth) {
  const r = privateRealm()
  r.Error.stackTraceLimit = depth
  const own = r.holder()
  r.Error.captureStackTrace(own, skip)
  const callSites = own.stack
  if (!Array.isArray(callSites)) return null
  let frame = null
  let by = null
  for (const c of callSites) {
    let file = c.getFileName()
    if (!file || c.isEval()) continue
    if (file.startsWith('file://')) file = file.slice(7)
    const internal = isInternal(file)
    // who: the first frame that is not leakguard's or the events machinery's (see above)
    if (by === null && !PLUMBING.test(file) && !isOwn(file)) by = internal ? 'node' : inPackage(file) ? 'package' : 'app'
    if (frame === null && !internal) frame = { file, line: c.getLineNumber(), column: c.getColumnNumber() }
    if (frame !== null && by !== null) break
  }
  // `whole`: the stack had fewer frames than asked for, so a deeper one would show nothing more
  return { site: frame === null ? null : format(frame), frame, by: by === null ? 'node' : by, whole: callSites.length < depth }
}

// Frames of the first look at a listener add's stack. Node's own adds from its event loop are
// 11-13 frames deep (a socket's 'end' from Writable.uncork via _http_outgoing's flush, under
// processTicksAndRejections): at 10 they were cut short, and each was captured again at 64 (3,240
// of the jest bench's 5,905 adds; a capture is ~15 us on Node 20). 16 takes them whole at about
// the cost of 10 (~1 us more).
const FIRST_DEPTH = 16

/**
 * The add-site of a listener and who added it: `{ site, by }`. `site` is INTERNAL when no frame of
 * the (deep) stack is user code (Node added it for itself; a deeper stack is taken only in that
 * rare case) or when the first one is a test runner's own package. Never throws.
 */
function captureAdd(skip) {
  try {
    // who added it, from raw CallSites (cheap); only the app's own adds pay for a mapped site
    // (Node's adds, a dozen per http request, are the bulk and are rarely reported)
    let scan = scanAdd(skip, FIRST_DEPTH)
    if (scan === null) return { site: INTERNAL, by: 'node' }
    if (scan.site === null && !scan.whole) scan = scanAdd(skip, 64) || scan
    let site = scan.site
    if (site === null || RUNNER.test(site)) return { site: INTERNAL, by: 'node' }
    const by = scan.by
    if (by === 'app') {
      const f = formatter()
      if (f === EAGER) {
        const mapped = captureFrames(skip, 10)
        site = (mapped && firstFrame(mapped, false)) || site
      } else if (f !== null) {
        site = new LateSite(scan.frame, f) // mapped when read
      }
    }
    return { site, by }
  } catch {
    return { site: null, by: 'app' }
  }
}

/** The add-site alone (timers), mapped now: see captureAdd(). */
function captureAddSite(skip) {
  const { site } = captureAdd(skip)
  return site instanceof LateSite ? site.read() : site
}

/**
 * True when the code that called `skip` is Node's own (a `node:` module, e.g. the undici behind
 * fetch() calling the global setTimeout). Never throws.
 */
function calledByNode(skip) {
  try {
    // raw CallSites of the private realm: formatting the app's stack would run its source mapping
    // (jest's source-map-support parses the test file's map at the first timer of a file)
    const r = privateRealm()
    r.Error.stackTraceLimit = 1
    const own = r.holder()
    r.Error.captureStackTrace(own, skip)
    const c = Array.isArray(own.stack) ? own.stack[0] : undefined
    if (c === undefined || c.isEval()) return false
    const file = c.getFileName()
    return typeof file === 'string' && file.startsWith('node:')
  } catch {
    return false
  }
}

module.exports = { captureSite, captureLateSite, captureAdd, captureAddSite, defineSite, lateOf, calledByNode, INTERNAL, RUNNER }
