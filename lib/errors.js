'use strict'
// leakguard's own errors, with stable codes, in the style of Node core's internal/errors.
// Argument errors (ERR_INVALID_ARG_TYPE, ERR_OUT_OF_RANGE, ...) are built by lib/validate.js.

const CODES = {
  ERR_LEAKGUARD_NOT_STARTED: (fn) => `leakguard.${fn}() was called before leakguard.start(): call leakguard.start() first`,
}

/** An Error with `code`; `args` fill the code's message. */
function leakguardError(code, ...args) {
  const err = new Error(CODES[code](...args))
  err.code = code
  return err
}

/** leakguard.<fn>() was called before start(). */
const notStarted = (fn) => leakguardError('ERR_LEAKGUARD_NOT_STARTED', fn)

/** Reports a problem of leakguard's own (never a finding) as a `LeakguardWarning`; never throws. */
function internalWarning(message, code = 'LEAKGUARD_GUARD') {
  try {
    process.emitWarning(message, { type: 'LeakguardWarning', code })
  } catch {}
}

module.exports = { leakguardError, notStarted, internalWarning, CODES }
