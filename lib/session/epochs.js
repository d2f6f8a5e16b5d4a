'use strict'
// Epochs: what "since the baseline" means for detectors that tag what they see (listeners,
// timers, watched objects), including a block checked on its own inside a test (the toLeak
// matchers): baseline() starts a new epoch and counts only it; enter() starts a nested block that
// counts only its own epoch; exit() returns to the outer scope, which counts what it counted
// before and what comes after, but not the block's (the block's findings were the block's).

class Epochs {
  constructor() {
    this.epoch = 1
    /** The epoch baseline() started: anything tagged before it is never counted again. */
    this.floor = 1
    this.counted = new Set([1])
  }

  baseline() {
    this.epoch++
    this.floor = this.epoch
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

  counts(epoch) {
    return this.counted.has(epoch)
  }
}

module.exports = { Epochs }
