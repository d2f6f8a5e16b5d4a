'use strict'
// Add-sites: the first stack frame outside leakguard and outside Node's internals, as
// `file:line:column`. This is the expensive part of instrumentation (~1-3 µs), which is why
// capture is configurable (always / sampled / off).

const path = require('node:path')

const root = path.join(__dirname, '..')
const ownFiles = [path.join(root, 'lib') + path.sep, path.join(root, 'index.js')]

function structured(_error, callSites) {
  return callSites
}

function isInternal(file) {
  if (file.startsWith('node:') || !file.includes('/')) return true // node:events, internal/...
  for (const own of ownFiles) if (file.startsWith(own)) return true
  return false
}

/**
 * Returns the first user frame above `skip` (a function on the stack) as `file:line:column`,
 * or null when there is none (e.g. everything came from Node internals).
 */
function captureSite(skip) {
  const prepare = Error.prepareStackTrace
  const limit = Error.stackTraceLimit
  Error.prepareStackTrace = structured
  Error.stackTraceLimit = 24
  const holder = {}
  let frames
  try {
    Error.captureStackTrace(holder, skip)
    frames = holder.stack
  } finally {
    Error.prepareStackTrace = prepare
    Error.stackTraceLimit = limit
  }
  if (!Array.isArray(frames)) return null
  for (const frame of frames) {
    let file = frame.getFileName() || frame.getScriptNameOrSourceURL()
    if (!file || isInternal(file)) continue
    if (file.startsWith('file://')) file = file.slice(7)
    return `${file}:${frame.getLineNumber()}:${frame.getColumnNumber()}`
  }
  return null
}

module.exports = { captureSite }
