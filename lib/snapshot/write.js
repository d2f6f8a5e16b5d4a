'use strict'
// writeSnapshot(): a .heapsnapshot of this process. Snapshots hold every string in memory,
// secrets included, so nobody else may ever see one, complete or not:
// - the file is created 0600 (whatever the umask, O_EXCL | O_NOFOLLOW) inside a directory of its
//   own, made by mkdtemp (0700) in the target directory, so no other user can put a symlink in
//   its place or open it;
// - V8 fills it through /proc/self/fd/<fd> where there is one (the file this process opened,
//   whatever happens to names meanwhile), else by its name inside the private directory;
// - it is fsync'ed and renamed into place: it appears whole or not at all;
// - on failure it is truncated first (V8 may keep its own descriptor open: space is freed at
//   once, ENOSPC included), then removed with its directory; the error names the path and the
//   reason, its `code` kept;
// - a SIGTERM or SIGINT that would kill the process mid-write removes it first (src/signals.rs);
//   private directories left by a process that died anyway (SIGKILL) are removed by
//   removeLeftovers() (guard mode does it for its snapshotDir).
//
// The content comes from v8.writeHeapSnapshot: on a 221 MB snapshot it took 8.5-12.5 s against
// 10.4-17.3 s for an in-process inspector session (HeapProfiler.takeHeapSnapshot, whose chunks
// are JSON-escaped into protocol messages, parsed back into strings and written from JS), same
// peak RSS (bench/snapshot.bench.js).

const { builtin } = require('../builtin')
const fs = require('node:fs')
const path = require('node:path')
const v = require('../validate')

/** Private directories are `.leakguard-<pid>-XXXXXX` (mkdtemp) in the target directory. */
const PRIVATE = /^\.leakguard-(\d+)-[A-Za-z0-9]{6}$/
const TEMP_NAME = 'snapshot.tmp'

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

function quietly(fn) {
  try {
    fn()
  } catch {}
}

/** The path V8 should open to write into `fd`: the descriptor itself where /proc has it. */
function pathOfFd(fd, tmp) {
  const proc = `/proc/self/fd/${fd}`
  try {
    const a = fs.fstatSync(fd)
    const b = fs.statSync(proc)
    if (a.dev === b.dev && a.ino === b.ino) return proc
  } catch {}
  return tmp
}

let signals = null
function signalGuard() {
  if (signals === null) {
    try {
      const binding = require('../native')
      signals = typeof binding.guardTempFile === 'function' ? binding : false
    } catch {
      signals = false
    }
  }
  return signals
}

/**
 * Writes a heap snapshot to `target` (absolute) atomically with mode 0600. `fill(fd, file)` writes
 * the content, to the open fd or through `file` (a path that opens that same file). Returns
 * `target`.
 */
function writeAtomically(target, fill) {
  refuseSpecial(target)
  let dir
  try {
    dir = fs.mkdtempSync(path.join(path.dirname(target), `.leakguard-${process.pid}-`))
  } catch (err) {
    throw failure(err, target)
  }
  const tmp = path.join(dir, TEMP_NAME)
  let fd
  const guard = signalGuard()
  try {
    fd = fs.openSync(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | (fs.constants.O_NOFOLLOW || 0), 0o600)
    fs.fchmodSync(fd, 0o600) // whatever the umask: exactly owner read/write
    const file = pathOfFd(fd, tmp)
    if (file === tmp) {
      // V8 will open the file by its name: only safe where no one else can swap the directory
      const unsafe = unsafeDirectory(path.dirname(target))
      if (unsafe !== null) throw Object.assign(new Error(`EPERM: refused, ${unsafe}`), { code: 'EPERM' })
    }
    if (guard) {
      // the signals that would kill the process mid-write: those the app does not listen for
      const fatal = ['SIGTERM', 'SIGINT'].filter((sig) => process.listenerCount(sig) === 0)
      if (fatal.length > 0) guard.guardTempFile(tmp, dir, fatal)
    }
    fill(fd, file)
    fs.fsyncSync(fd)
    fs.closeSync(fd)
    fd = undefined
    fs.renameSync(tmp, target)
  } catch (err) {
    if (fd !== undefined) {
      quietly(() => fs.ftruncateSync(fd, 0)) // frees the space even if V8 still holds the file open
      quietly(() => fs.closeSync(fd))
    }
    quietly(() => fs.unlinkSync(tmp))
    throw failure(err, target)
  } finally {
    if (guard) quietly(() => guard.releaseTempFile())
    quietly(() => fs.rmdirSync(dir))
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

/**
 * Why `dir` is no place for snapshots, or null when it is one: it must not be a symbolic link,
 * must belong to this user (or root) and must not be writable by others unless sticky (as /tmp
 * is: then nobody else may rename or remove what is ours).
 */
function unsafeDirectory(dir) {
  const st = fs.lstatSync(dir)
  if (st.isSymbolicLink()) return 'it is a symbolic link'
  if (!st.isDirectory()) return 'it is not a directory'
  const uid = typeof process.geteuid === 'function' ? process.geteuid() : null
  if (uid !== null && st.uid !== uid && st.uid !== 0) return `it belongs to another user (uid ${st.uid})`
  if ((st.mode & 0o022) !== 0 && (st.mode & 0o1000) === 0) {
    return `it is writable by other users (mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')}, not sticky)`
  }
  return null
}

/** Removes the private directories of processes that died while writing into `dir`. */
function removeLeftovers(dir) {
  let names
  try {
    names = fs.readdirSync(dir)
  } catch {
    return
  }
  for (const name of names) {
    const m = PRIVATE.exec(name)
    if (m === null || Number(m[1]) === process.pid || alive(Number(m[1]))) continue
    quietly(() => fs.rmSync(path.join(dir, name), { recursive: true, force: true }))
  }
}

function alive(pid) {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return err.code === 'EPERM' // someone else's process: not ours to judge
  }
}

const kMark = Symbol.for('leakguard.processMark.v1')

/**
 * This process's mark, one string made at its first snapshot and kept for its life (on the
 * shared EventEmitter constructor, like the listener instrumentation: every copy of leakguard
 * in the process, and every jest module registry, finds the same one). Every snapshot of the
 * process holds it in its string table; a diff of snapshots that hold different marks is of
 * different processes (crates/leakguard-core/src/snapshot/provenance.rs).
 */
function processMark() {
  const { EventEmitter } = builtin('node:events')
  if (!Object.prototype.hasOwnProperty.call(EventEmitter, kMark)) {
    // one flat string (a template literal makes a cons string, whose halves the snapshot lists apart)
    const mark = Buffer.from(`leakguard-process:${builtin('node:crypto').randomUUID()}`).toString('latin1')
    Object.defineProperty(EventEmitter, kMark, { value: mark, enumerable: false })
  }
  return EventEmitter[kMark]
}

/** Fills the open 0600 temporary file: V8 opens `file` (that file) and truncates it (owner and mode stay). */
function fillWithV8(fd, file) {
  processMark()
  builtin('node:v8').writeHeapSnapshot(file)
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

module.exports = { writeSnapshot, writeAtomically, fillWithV8, unsafeDirectory, removeLeftovers }
