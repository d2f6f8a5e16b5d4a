'use strict'
// Add-sites: the first stack frame outside leakguard and outside Node's internals, as
// `file:line:column`. This is the expensive part of instrumentation (V8's captureStackTrace
// alone is ~3-6 µs here), which is why capture is configurable (always / sampled / off).
//
// When a source mapping is in force (jest's transform and source-map-support install
// Error.prepareStackTrace; `node --enable-source-maps` sets process.sourceMapsEnabled), the
// formatted `.stack` is parsed, so the site is the line the user wrote. Otherwise structured
// CallSites are read directly, which skips formatting (about half the cost).

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

/**
 * Returns the first user frame above `skip` (a function on the stack) as `file:line:column`,
 * or null when there is none (e.g. everything came from Node internals). With `app`, frames in
 * node_modules are passed over too when a frame of the application is on the stack (a server a
 * test starts through a library is named by the test's line).
 */
function captureSite(skip, depth = 10, app = false) {
  const limit = Error.stackTraceLimit
  const prepare = Error.prepareStackTrace
  const mapped = prepare !== undefined || process.sourceMapsEnabled === true
  if (!mapped) Error.prepareStackTrace = structured
  Error.stackTraceLimit = depth
  const holder = {}
  let stack
  try {
    Error.captureStackTrace(holder, skip)
    stack = holder.stack
  } catch {
    stack = null
  } finally {
    Error.stackTraceLimit = limit
    if (!mapped) Error.prepareStackTrace = prepare
  }
  if (typeof stack === 'string') return (app && firstUserFrame(stack, true)) || firstUserFrame(stack)
  if (!Array.isArray(stack)) return null
  return (app && firstUserCallSite(stack, true)) || firstUserCallSite(stack)
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
