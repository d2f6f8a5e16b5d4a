'use strict'
// Turns findings into warnings: once per finding (like MaxListenersExceededWarning), through
// process.emitWarning as a `LeakWarning`, or through the user's `onLeak` instead.

const kKey = Symbol('leakguard.findingKey')

// process.emitWarning() accepts only Errors of the main realm. Under jest this module runs in a
// vm context whose `Error` is another realm's, so take Error from the main context.
const HostError = require('node:vm').runInThisContext('Error')
const MAX_KEYS = 10000

/** A warning carrying a finding's data: `name` 'LeakWarning', `code` 'LEAKGUARD_<KIND>'. */
class LeakWarning extends HostError {
  constructor(leak) {
    super(leak.message)
    this.name = 'LeakWarning'
    for (const [k, v] of Object.entries(leak)) if (k !== 'message') this[k] = v
  }
}

/** Identifies one finding across checks, so it is warned about once. */
function setKey(leak, key) {
  Object.defineProperty(leak, kKey, { value: key, enumerable: false })
  return leak
}

class Reporter {
  constructor() {
    this.seen = new Map()
  }

  reset() {
    this.seen.clear()
  }

  /** Emits every finding not emitted before; returns the ones emitted. */
  emit(leaks, { onLeak, warn }) {
    const fresh = []
    for (const leak of leaks) {
      const key = leak[kKey] || `${leak.kind}|${leak.message}`
      if (this.seen.has(key)) continue
      if (this.seen.size >= MAX_KEYS) this.seen.delete(this.seen.keys().next().value)
      this.seen.set(key, true)
      fresh.push(leak)
      if (onLeak) {
        try {
          onLeak(leak)
        } catch (err) {
          // the user's callback must not turn a finding into a crash of the host process
          process.emitWarning(`onLeak threw: ${err && err.stack ? err.stack : err}`, 'LeakguardWarning')
        }
      } else if (warn) {
        process.emitWarning(new LeakWarning(leak))
      }
    }
    return fresh
  }
}

module.exports = { LeakWarning, Reporter, setKey, kKey }
