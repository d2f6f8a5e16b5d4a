'use strict'
// leakguard's own errors, with stable codes, in the style of Node core's internal/errors.
// Argument errors (ERR_INVALID_ARG_TYPE, ERR_OUT_OF_RANGE, ...) are built by lib/validate.js.
// The native binding builds the same scheme itself (src/error.rs, codes from core's
// CoreError::code): a file that cannot be read keeps its system code (ENOENT, EACCES, EISDIR,
// with errno, syscall and path), ERR_LEAKGUARD_SNAPSHOT_NOT_FILE (same message as here),
// ERR_LEAKGUARD_SNAPSHOT_CORRUPT (with the byte `offset`), ERR_LEAKGUARD_INTERNAL (a bug caught
// before it crossed the FFI).

const CODES = {
  ERR_LEAKGUARD_NOT_STARTED: (fn) => `leakguard.${fn}() was called before leakguard.start(): call leakguard.start() first`,
  ERR_LEAKGUARD_SNAPSHOT_NOT_FILE: (file, what) => `leakguard: cannot read heap snapshot ${file}: it is ${what}, not a regular file`,
}

/** An Error with `code`; `args` fill the code's message. */
function leakguardError(code, ...args) {
  const err = new Error(CODES[code](...args))
  err.code = code
  return err
}

/** leakguard.<fn>() was called before start(). */
const notStarted = (fn) => leakguardError('ERR_LEAKGUARD_NOT_STARTED', fn)

/**
 * The error for a snapshot path that cannot be read: a system error (`stat`) keeps its code
 * (ENOENT, EACCES, ...) and names the path; a directory is EISDIR; a FIFO, socket or device is
 * ERR_LEAKGUARD_SNAPSHOT_NOT_FILE (reading a FIFO would wait forever).
 */
function snapshotPathError(file, stat, err) {
  if (err !== undefined) {
    const out = new Error(`leakguard: cannot read heap snapshot ${file}: ${err.message}`, { cause: err })
    for (const k of ['code', 'errno', 'syscall']) if (err[k] !== undefined) out[k] = err[k]
    out.path = file
    return out
  }
  if (stat.isDirectory()) {
    const out = new Error(`leakguard: cannot read heap snapshot ${file}: EISDIR: it is a directory`)
    out.code = 'EISDIR'
    out.path = file
    return out
  }
  const what = stat.isFIFO() ? 'a FIFO' : stat.isSocket() ? 'a socket' : stat.isCharacterDevice() || stat.isBlockDevice() ? 'a device' : 'a special file'
  const out = leakguardError('ERR_LEAKGUARD_SNAPSHOT_NOT_FILE', file, what)
  out.path = file
  return out
}

/** Reports a problem of leakguard's own (never a finding) as a `LeakguardWarning`; never throws. */
function internalWarning(message, code = 'LEAKGUARD_GUARD') {
  try {
    process.emitWarning(message, { type: 'LeakguardWarning', code })
  } catch {}
}

module.exports = { leakguardError, notStarted, internalWarning, snapshotPathError, CODES }
