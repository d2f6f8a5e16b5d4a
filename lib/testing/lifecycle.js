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
// the immediate path, and by accumulation (retainedConfirmed): a variable of the test file keeps
// the last value it was given (a describe block's `let ws`, a closure holding the last test's
// requests), so what the last test of a block left may be held by it, however many objects;
// a leaking collection keeps what every test left. Deferred: a test's objects fail it when it
// is not the last of its block and left two or more, or when objects of the same description
// left by two or more tests that are not the last of their blocks outlived the file too.
// Immediate (vitest, node:test, which cannot fail a finished test): what a test leaves is
// judged at its end, when the block's own variables and servers may still hold it (@hono/
// node-server's suite on vitest: every aborted request held by the block's server until its
// afterAll), so `retained` counts there only when the user listed it in `kinds`.

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
   * `lastInBlock(test)`: whether no later test shares the test's describe block (unknown: true);
   * `retainedAtEnd`: the immediate path judges `retained` too (the user asked for the kind).
   */
  constructor({ keep, checkOptions = {}, retries = 3, retryDelayMs = 25, deferred = false, lastInBlock = () => true, retainedAtEnd = false }) {
    this.retainedAtEnd = retainedAtEnd
    this.lastInBlock = lastInBlock
    this.keep = keep
    this.options = { ...CHECK, ...checkOptions }
    this.retries = retries
    this.retryDelayMs = retryDelayMs
    this.deferred = deferred
    /** [{ test, epochs, keys, last }]: tests whose findings wait for settle(). */
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
    const found = await this.judge([{ test, epochs, keys: null, last: true }], { accumulate: false })
    if (found.length === 0) return []
    // retained objects judged at the test's end cannot be told from what a block's variables or
    // servers hold until its afterAll: counted only when asked for (see the top of this file)
    return found[0].leaks.filter((l) => l.kind !== 'retained' || this.retainedAtEnd)
  }

  /** At the file's end: `[{ test, leaks }]` for every kept test whose findings outlived the file's teardown. */
  async settle() {
    const pending = this.pending
    this.pending = []
    if (pending.length === 0 || !session.isStarted()) return []
    return this.judge(pending)
  }

  /** Forced GC, then each test's epochs checked on their own, retried while findings remain. */
  async judge(tests, { accumulate = true } = {}) {
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
    return (accumulate ? retainedConfirmed(found) : found).map(({ test, leaks }) => ({ test, leaks }))
  }

  confirmed(leak, t) {
    if (!this.keep(leak)) return false
    // a tracked collection is not a test's: count it only for the tests that saw it at their end
    if (leak.kind === 'collection') return t.keys === null || t.keys.has(leak[kKey])
    return true
  }
}

/**
 * The deferred judgement of `retained` (see the top of this file): a test's objects of a
 * description count when the test is not the last of its block and left two or more, or when
 * objects of the same description left by two or more tests that are not the last of their
 * blocks outlived the file (then every test's of that description count).
 */
function retainedConfirmed(found) {
  const byDescription = new Map() // description -> [{ test entry, leak }]
  for (const f of found) for (const l of f.leaks) if (l.kind === 'retained') byDescription.set(l.description, [...(byDescription.get(l.description) || []), { f, l }])
  const confirmed = new Set()
  for (const list of byDescription.values()) {
    // two tests whose objects no block variable of theirs can explain: a collection keeps them all
    const accumulates = list.filter(({ f }) => !f.last).length >= 2
    for (const { f, l } of list) if (accumulates || (!f.last && l.count >= 2)) confirmed.add(l)
  }
  return found.map((f) => ({ ...f, leaks: f.leaks.filter((l) => l.kind !== 'retained' || confirmed.has(l)) })).filter((f) => f.leaks.length > 0)
}

module.exports = { TestLifecycle, CHECK }
