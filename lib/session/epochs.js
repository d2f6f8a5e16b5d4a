'use strict'
// Epochs: what "since the baseline" means for every detector that tags what it sees (listeners,
// timers, handles, watched objects, globals). One clock per process (every copy of leakguard's
// modules in it, as jest loads them once per test file, shares it), advanced by the session:
// - baseline() starts a new epoch and counts only it; what was tagged before is forgotten, except
//   the epochs it is told to keep (a test whose findings wait for the file's own teardown to be
//   judged: lib/testing/lifecycle.js);
// - enter() starts a nested block (the toLeak matchers) that counts only its own epoch; exit()
//   returns to the outer scope, which counts what it counted before and what comes after, but not
//   the block's (the block's findings were the block's);
// - focus(set) counts exactly the given epochs for the duration of one synchronous check (a kept
//   test's findings judged again later).

const { EventEmitter } = require('node:events')

class Epochs {
  constructor() {
    this.epoch = 1
    /** The epoch the last baseline() started; it and every later one belong to the current scope. */
    this.base = 1
    this.counted = new Set([1])
    /** Older epochs kept by the last baseline(keep). */
    this.kept = new Set()
  }

  /** A new epoch, counted alone; tags of older epochs not in `keep` (sets of epochs) are dropped. */
  baseline(keep = []) {
    this.epoch++
    this.base = this.epoch
    this.kept = new Set()
    for (const set of keep) for (const e of set) if (e < this.epoch) this.kept.add(e)
    this.counted = new Set([this.epoch])
  }

  /** Starts a nested block; returns the token exit() needs. */
  enter() {
    const saved = this.counted
    this.epoch++
    this.counted = new Set([this.epoch])
    return saved
  }

  exit(saved) {
    this.epoch++
    const counted = new Set(saved)
    counted.add(this.epoch)
    this.counted = counted
  }

  /** The epochs counted now (a copy): what a test's findings are made of. */
  snapshot() {
    return new Set(this.counted)
  }

  /** Counts exactly `set` until the returned function is called (one synchronous check). */
  focus(set) {
    const saved = this.counted
    this.counted = new Set(set)
    return () => {
      this.counted = saved
    }
  }

  counts(epoch) {
    return this.counted.has(epoch)
  }

  /** Whether tags of `epoch` may still be counted: the current scope's, or a kept test's. */
  keeps(epoch) {
    return epoch >= this.base || this.kept.has(epoch)
  }
}

const kShared = Symbol.for('leakguard.epochs.v1')

/** The process's one clock (kept on the shared EventEmitter constructor, like the listener instrumentation). */
function processEpochs() {
  if (!Object.prototype.hasOwnProperty.call(EventEmitter, kShared)) {
    Object.defineProperty(EventEmitter, kShared, { value: new Epochs(), enumerable: false })
  }
  return EventEmitter[kShared]
}

module.exports = { Epochs, epochs: processEpochs() }
