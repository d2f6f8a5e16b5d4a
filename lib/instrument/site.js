'use strict'
// Add-sites: the first stack frame outside leakguard and outside Node's internals, as
// `file:line:column`. This is the expensive part of instrumentation (V8's captureStackTrace
// alone is ~3-6 µs here), which is why capture is configurable (always / sampled / off).
//
// When a source mapping is in force (jest's transform and source-map-support install
// Error.prepareStackTrace; `node --enable-source-maps` sets process.sourceMapsEnabled), the
// formatted `.stack` is parsed, so the site is the line the user wrote. Otherwise (and when the
// app's formatting throws or is not V8's format) structured CallSites are read directly, which
// also skips formatting (about half the cost).

const path = require('node:path')

const root = path.join(__dirname, '..', '..')
const ownFiles = [path.join(root, 'lib') + path.sep, path.join(root, 'index.js')]

// `    at fn (file:line:col)` / `    at file:line:col` / `    at async fn (file:line:col)`
const FRAME = /^\s*at (?:.*?\()?(.+?):(\d+):(\d+)\)?$/

function isInternal(file) {
  if (file.startsWith('node:') || !file.includes('/')) return true // node:events, internal/...
  for (const own of ownFiles) if (file.startsWith(own)) return true
  return false
}

const inPackage = (file) => file.includes(`${path.sep}node_modules${path.sep}`)

/** The first user frame of a formatted stack (outside node_modules with `app`), or null. */
function firstUserFrame(stack, app = false) {
  let start = stack.indexOf('\n')
  while (start !== -1) {
    const end = stack.indexOf('\n', start + 1)
    const line = stack.slice(start + 1, end === -1 ? undefined : end)
    start = end
    const m = FRAME.exec(line)
    if (m === null || line.includes('(eval at ')) continue
    let file = m[1]
    if (file.startsWith('file://')) file = file.slice(7)
    if (isInternal(file) || (app && inPackage(file))) continue
    return `${file}:${m[2]}:${m[3]}`
  }
  return null
}

function structured(_error, callSites) {
  return callSites
}

function firstUserCallSite(callSites, app = false) {
  for (const frame of callSites) {
    let file = frame.getFileName()
    if (!file || isInternal(file) || frame.isEval() || (app && inPackage(file))) continue
    if (file.startsWith('file://')) file = file.slice(7)
    return `${file}:${frame.getLineNumber()}:${frame.getColumnNumber()}`
  }
  return null
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
    const vm = require('node:vm')
    const context = vm.createContext({})
    const RealmError = vm.runInContext('Error', context)
    RealmError.prepareStackTrace = structured
    realm = { Error: RealmError, holder: vm.runInContext('() => ({})', context) }
  }
  return realm
}

/** Whether the app formats stacks itself or maps them (then its formatted text is preferred). */
function appFormats() {
  try {
    return Error.prepareStackTrace !== undefined || process.sourceMapsEnabled === true
  } catch {
    return false // a getter that throws: read CallSites instead
  }
}

/** The first user frame of the app's own formatting; undefined when it gave nothing usable. */
function fromAppFormat(r, skip, app) {
  const holder = {}
  r.Error.captureStackTrace(holder, skip)
  let stack
  try {
    stack = holder.stack // runs the app's Error.prepareStackTrace, which may throw
  } catch {
    return undefined
  }
  let site = null
  if (typeof stack === 'string') site = (app && firstUserFrame(stack, true)) || firstUserFrame(stack)
  else if (Array.isArray(stack) && stack.every((f) => f !== null && typeof f === 'object' && typeof f.getFileName === 'function')) {
    site = (app && firstUserCallSite(stack, true)) || firstUserCallSite(stack)
  }
  return site === null ? undefined : site // not V8's format (or no user frame): read CallSites
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
    const r = privateRealm()
    r.Error.stackTraceLimit = depth
    if (appFormats()) {
      const site = fromAppFormat(r, skip, app)
      if (site !== undefined) return site
    }
    const holder = r.holder()
    r.Error.captureStackTrace(holder, skip)
    const stack = holder.stack
    if (!Array.isArray(stack)) return null
    return (app && firstUserCallSite(stack, true)) || firstUserCallSite(stack)
  } catch {
    return null
  }
}

/** Marks an add whose whole stack is Node's internals (e.g. node:test's own timeout signals). */
const INTERNAL = 'node:internal'

/** Test runners' own packages: what they add for themselves (a test's AbortSignal) is theirs. */
const RUNNER = /[\\/]node_modules[\\/](?:jest-[^\\/]+|@jest[\\/][^\\/]+|vitest|@vitest[\\/][^\\/]+|mocha)[\\/]/

/**
 * The add-site of a listener, or INTERNAL when no frame of the (deep) stack is user code (then
 * Node added it for itself; a deeper stack is taken only in that rare case) or when the first one
 * is a test runner's own package.
 */
function captureAddSite(skip) {
  const site = captureSite(skip) || captureSite(skip, 64)
  return site === null || RUNNER.test(site) ? INTERNAL : site
}

/**
 * True when the code that called `skip` is Node's own (a `node:` module, e.g. the undici behind
 * fetch() calling the global setTimeout). Never throws.
 */
function calledByNode(skip) {
  const holder = {}
  let limit
  try {
    limit = Error.stackTraceLimit
    Error.stackTraceLimit = 1
    Error.captureStackTrace(holder, skip)
    const stack = holder.stack
    if (typeof stack !== 'string') return false
    const line = stack.slice(stack.indexOf('\n') + 1)
    return /^\s*at (?:.*\()?node:/.test(line)
  } catch {
    return false
  } finally {
    try {
      Error.stackTraceLimit = limit
    } catch {}
  }
}

module.exports = { captureSite, captureAddSite, calledByNode, firstUserFrame, INTERNAL, RUNNER }
