'use strict'
// writeSnapshot(): a .heapsnapshot of this process. Snapshots hold every string in memory,
// secrets included, so the file is created 0600 under a temporary name in the target directory
// (O_EXCL: never someone else's file), filled, fsync'ed and renamed into place; on any failure the
// temporary file is removed and the error names the path and the reason (its `code` kept).
//
// The content comes from v8.writeHeapSnapshot into the 0600 temporary file: on a 221 MB snapshot
// it took 8.5-12.5 s against 10.4-17.3 s for an in-process inspector session
// (HeapProfiler.takeHeapSnapshot, whose chunks are JSON-escaped into protocol messages, parsed
// back into strings and written from JS), same peak RSS (bench/snapshot.bench.js).

const fs = require('node:fs')
const path = require('node:path')
const { randomBytes } = require('node:crypto')
const v = require('../validate')

/** `heapdump-<ms>.<pid>.heapsnapshot` in the current directory, like the heapdump package. */
function defaultName() {
  return path.resolve(`heapdump-${Date.now()}.${process.pid}.heapsnapshot`)
}

function failure(err, target) {
  const reason = err && err.message ? err.message : String(err)
  const out = new Error(`leakguard: cannot write heap snapshot ${target}: ${reason}`, { cause: err })
  if (err && err.code !== undefined) out.code = err.code
  if (err && err.errno !== undefined) out.errno = err.errno
  if (err && err.syscall !== undefined) out.syscall = err.syscall
  out.path = target
  return out
}

/**
 * Writes a heap snapshot to `target` (absolute) atomically with mode 0600. `fill(fd, tmp)` writes
 * the content, to the open fd or by the temporary file's name. Returns `target`.
 */
function writeAtomically(target, fill) {
  refuseSpecial(target)
  const tmp = path.join(path.dirname(target), `.${path.basename(target)}.${randomBytes(6).toString('hex')}.tmp`)
  let fd
  try {
    fd = fs.openSync(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600)
  } catch (err) {
    throw failure(err, target)
  }
  try {
    fs.fchmodSync(fd, 0o600) // whatever the umask: exactly owner read/write
    fill(fd, tmp)
    fs.fsyncSync(fd)
    fs.closeSync(fd)
    fd = undefined
    fs.renameSync(tmp, target)
  } catch (err) {
    if (fd !== undefined) {
      try {
        fs.closeSync(fd)
      } catch {}
    }
    try {
      fs.unlinkSync(tmp)
    } catch {}
    throw failure(err, target)
  }
  return target
}

// The rename replaces the directory entry: never swap a directory, device, FIFO or socket for a
// snapshot (heapdump and v8.writeHeapSnapshot would write into /dev/full; we refuse instead).
function refuseSpecial(target) {
  let st
  try {
    st = fs.lstatSync(target)
  } catch {
    return // nothing there (or unreadable: create/rename will say why)
  }
  if (st.isFile() || st.isSymbolicLink()) return
  const err = new Error(`${st.isDirectory() ? 'EISDIR: is a directory' : 'EEXIST: not a regular file'}, '${target}'`)
  err.code = st.isDirectory() ? 'EISDIR' : 'EEXIST'
  throw failure(err, target)
}

/** Fills the open 0600 temporary file: V8 opens it by name and truncates it (owner and mode stay). */
function fillWithV8(fd, tmp) {
  require('node:v8').writeHeapSnapshot(tmp)
}

function resolveTarget(file, argName) {
  if (file === undefined) return defaultName()
  v.validateString(file, argName)
  if (file.length === 0 || file.includes('\0')) {
    const err = new TypeError(`The "${argName}" argument must be a non-empty file path without NUL bytes. Received ${v.describe(file)}`)
    err.code = 'ERR_INVALID_ARG_VALUE'
    throw err
  }
  return path.resolve(file)
}

/**
 * Writes a heap snapshot of this process (blocks the event loop while V8 serializes the heap)
 * and returns its absolute path: `file`, or `heapdump-<ms>.<pid>.heapsnapshot` in the current
 * directory. The file is 0600 and appears complete or not at all; failures throw an Error whose
 * message names the path and the reason, with the system error's `code` (ENOENT, EACCES, ENOSPC...).
 */
function writeSnapshot(file) {
  const target = resolveTarget(file, 'path')
  return writeAtomically(target, fillWithV8)
}

module.exports = { writeSnapshot, writeAtomically, fillWithV8 }
