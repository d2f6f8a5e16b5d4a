'use strict'
// A drop-in for the `heapdump` package: `require('leakguard/heapdump').writeSnapshot([path], [callback])`.
// Same signature and behaviour: the snapshot is written before it returns, `callback(err, filename)`
// is called synchronously, and without a callback it returns true / false. Unlike heapdump the
// file is 0600 and appears complete or not at all (see leakguard.writeSnapshot).

const { writeSnapshot: write } = require('./lib/snapshot/write')
const v = require('./lib/validate')

/**
 * Writes a heap snapshot to `filename` (default `heapdump-<ms>.<pid>.heapsnapshot` in the current
 * directory). With a callback: `callback(err, filename)` (filename absolute) and returns
 * undefined; without one: returns true on success, false on failure (like heapdump).
 */
function writeSnapshot(filename, callback) {
  if (typeof filename === 'function' && callback === undefined) {
    callback = filename
    filename = undefined
  }
  if (callback !== undefined) v.validateFunction(callback, 'callback')
  if (filename !== undefined) v.validateString(filename, 'filename')
  let written
  try {
    written = write(filename)
  } catch (err) {
    if (callback === undefined) return false
    callback(err)
    return undefined
  }
  if (callback === undefined) return true
  callback(null, written)
  return undefined
}

module.exports = { writeSnapshot }
