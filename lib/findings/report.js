'use strict'
// Findings as JavaScript sees them, and how they become warnings: once per finding (like
// MaxListenersExceededWarning), through process.emitWarning as a `LeakWarning`, or through the
// user's `onLeak` instead. Findings are built whole in Rust (crates/leakguard-core/src/leak.rs)
// and reach JS as plain objects with the key that makes them one finding across checks.

const { mainGlobal } = require('../builtin')
const { internalWarning } = require('../errors')

const kKey = Symbol('leakguard.findingKey')
/** The ids (lib/instrument/emitters.js) of the emitters a finding is about: listeners' and handles' findings. */
const kEmitters = Symbol('leakguard.emitters')

// process.emitWarning() accepts only Errors of the main realm. Under jest this module runs in a
// vm context whose `Error` is another realm's, so take Error from the main context.
const HostError = mainGlobal().Error
const MAX_KEYS = 10000

// A message names things the app controls (event names, collection names, descriptions): a
// newline or other control character in one must not forge a line of the warning log.
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g
const SHORT = { '\n': '\\n', '\r': '\\r', '\t': '\\t' }
const escapeControls = (text) => String(text).replace(CONTROL, (ch) => SHORT[ch] || `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`)

/** A warning carrying a finding's data: `name` 'LeakWarning', `code` 'LEAKGUARD_<KIND>'. */
class LeakWarning extends HostError {
  constructor(leak) {
    super(escapeControls(leak.message))
    this.name = 'LeakWarning'
    for (const [k, v] of Object.entries(leak)) if (k !== 'message') this[k] = v
  }
}

/** Identifies one finding across checks, so it is warned about once. */
function setKey(leak, key) {
  Object.defineProperty(leak, kKey, { value: key, enumerable: false, configurable: true })
  return leak
}

/** Marks the emitters (their ids) a finding is about, so the parts of one object can be told apart. */
function setEmitters(leak, ids) {
  Object.defineProperty(leak, kEmitters, { value: ids, enumerable: false, configurable: true })
  return leak
}

/** The findings of `binding.evaluate()` (`[{ key, leak }]`), each keyed. */
function fromNative(rows) {
  return rows.map((row) => setKey(row.leak, row.key))
}

class Reporter {
  constructor() {
    this.seen = new Map()
  }

  reset() {
    this.seen.clear()
  }

  /**
   * Emits every finding not emitted before (every finding with `dedupe: false`: guard mode's
   * trend engines already report a series once, then only when it doubled); returns the ones
   * emitted.
   */
  emit(leaks, { onLeak, warn, dedupe = true }) {
    const fresh = []
    for (const leak of leaks) {
      const key = leak[kKey] || `${leak.kind}|${leak.message}`
      if (dedupe && this.seen.has(key)) continue
      if (this.seen.size >= MAX_KEYS) this.seen.delete(this.seen.keys().next().value)
      this.seen.set(key, true)
      fresh.push(leak)
      if (onLeak) {
        try {
          onLeak(leak)
        } catch (err) {
          // the user's callback must not turn a finding into a crash of the host process
          internalWarning(`onLeak threw: ${err && err.stack ? err.stack : err}`, 'LEAKGUARD_ON_LEAK')
        }
      } else if (warn) {
        process.emitWarning(new LeakWarning(leak))
      }
    }
    return fresh
  }
}

module.exports = { LeakWarning, Reporter, setKey, setEmitters, fromNative, kKey, kEmitters }
