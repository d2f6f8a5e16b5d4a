'use strict'
// A test judged by lifetime, for the test integrations (leakguard/jest, leakguard/vitest,
// leakguard/node-test). What a test leaves behind at its end may still be released by the
// file's own teardown: a root-level afterEach or afterAll that closes the server, the next
// beforeEach that replaces a fixture, a mock whose calls are cleared. So:
//
// - begin(): a new epoch for the test (lib/session/epochs.js); the epochs of earlier tests that
//   are still suspect are kept, not forgotten.
// - end(): after the test's own hooks. A check without a GC (cheap) and a count of watched
//   objects still alive. Nothing suspect: the test passed, at no GC's cost. Otherwise, when the
//   runner can fail a test later (`deferred`), the test's epochs are kept for settle(); when it
//   cannot, the suspects are judged now: forced GC, brief retries (teardown races), findings.
// - settle(): at the file's end, after its own afterAll hooks: one forced GC, then every kept
//   test's epochs are checked again, each on its own (`focus`), with brief retries while some
//   remain. What is still there is that test's leak.
//
// `retained` (objects that should be garbage) needs a GC, so it is judged only at settle() or in
// the immediate path. A test-scope variable (`let ws` in a describe block) keeps the last value
// it was given until the file is done: for the last test of a describe block (nothing after it
// replaced the value) a single object of a description is not failed; two or more are (a
// variable holds one; a collection that leaks keeps every one). Elsewhere one object fails its
// test when objects of the same description of other tests outlived the file too (accumulated).

const { builtin } = require('../builtin')
const { setImmediate, setTimeout } = builtin('node:timers') // not a test's fake timers
const session = require('../session')
const { forceGC } = require('../session/gc')
const { kKey } = require('../findings/report')

/** Checks of the test integrations: every add named (threshold 1), nothing warned. */
const CHECK = { threshold: 1, warn: false }
const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const tick = () => new Promise((resolve) => setImmediate(resolve))

class TestLifecycle {
  /**
   * `keep(leak)`: the findings that count (kinds, ignore lists); `checkOptions`: passed to every
   * check (addedBy, closedEmitters); `deferred`: the runner can fail a finished test;
   * `lastInBlock(test)`: whether no later test shares the test's describe block (unknown: true).
   */
  constructor({ keep, checkOptions = {}, retries = 3, retryDelayMs = 25, deferred = false, lastInBlock = () => true }) {
    this.lastInBlock = lastInBlock
    this.keep = keep
    this.options = { ...CHECK, ...checkOptions }
    this.retries = retries
    this.retryDelayMs = retryDelayMs
    this.deferred = deferred
    /** [{ test, epochs, keys }]: tests whose findings wait for settle(). */
    this.pending = []
  }

  begin() {
    session.baseline(this.pending.map((p) => p.epochs))
  }

  /**
   * After the test's own hooks. Returns the findings to fail it with now (the immediate path),
   * or [] (nothing suspect, or deferred to settle()).
   */
  async end(test) {
    if (!session.isStarted()) return []
    await tick() // what a close() scheduled in the last hook runs first
    const epochs = session.currentEpochs()
    const quick = session.checkSync(this.options).filter(this.keep)
    if (quick.length === 0 && session.awaitingGC() === 0) return []
    if (this.deferred) {
      this.pending.push({ test, epochs, keys: new Set(quick.map((l) => l[kKey])), last: this.lastInBlock(test) })
      return []
    }
    const leaks = await this.judge([{ test, epochs, keys: null, last: true }])
    return leaks.length === 0 ? [] : leaks[0].leaks
  }

  /** At the file's end: `[{ test, leaks }]` for every kept test whose findings outlived the file's teardown. */
  async settle() {
    const pending = this.pending
    this.pending = []
    if (pending.length === 0 || !session.isStarted()) return []
    return this.judge(pending)
  }

  /** Forced GC, then each test's epochs checked on their own, retried while findings remain. */
  async judge(tests) {
    let left = tests
    let found = []
    for (let attempt = 0; ; attempt++) {
      await forceGC(1) // one full GC (a retry adds another): WeakRefs read after the job it ended
      if (!session.isStarted()) return []
      found = []
      for (const t of left) {
        const leaks = (await session.check({ ...this.options, gc: false }, t.epochs)).filter((l) => this.confirmed(l, t))
        if (leaks.length > 0) found.push({ test: t.test, leaks, epochs: t.epochs, keys: t.keys, last: t.last })
      }
      if (found.length === 0 || attempt >= this.retries) break
      left = found
      await delay(this.retryDelayMs * (attempt + 1))
    }
    return accumulated(found).map(({ test, leaks }) => ({ test, leaks }))
  }

  confirmed(leak, t) {
    if (!this.keep(leak)) return false
    // a tracked collection is not a test's: count it only for the tests that saw it at their end
    if (leak.kind === 'collection') return t.keys === null || t.keys.has(leak[kKey])
    // nothing after the test replaced its block's variables: they may still hold one object
    if (leak.kind === 'retained' && t.last) return leak.count >= 2
    return true
  }
}

/**
 * One object of a description that outlived the file, in the whole file, is not a leak that
 * grows (a cache, a memoised Error whose unformatted stack frames hold a socket): a retained
 * finding of one object fails its test only when another test's objects of the same description
 * outlived the file too (a collection that leaks keeps them all).
 */
function accumulated(found) {
  const tests = new Map() // description -> tests with retained objects of it
  for (const f of found) for (const l of f.leaks) if (l.kind === 'retained') tests.set(l.description, (tests.get(l.description) || 0) + 1)
  return found
    .map((f) => ({ ...f, leaks: f.leaks.filter((l) => l.kind !== 'retained' || l.count >= 2 || tests.get(l.description) >= 2) }))
    .filter((f) => f.leaks.length > 0)
}

module.exports = { TestLifecycle, CHECK }
