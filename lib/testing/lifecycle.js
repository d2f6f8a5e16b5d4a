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
// - settle(): at the file's end, after its own afterAll hooks: a minor GC (what the tests left
//   is mostly young: lib/session/gc.js minorGC()), then, when that leaves a suspect, one forced
//   full GC, then every kept test's epochs are checked again, each on its own (`focus`), with
//   brief retries while some remain. What is still there is that test's leak.
//
// `retained` (objects that should be garbage) needs a GC, so it is judged only at settle() or in
// the immediate path, and by accumulation (retainedConfirmed): a variable of the test file keeps
// the last value it was given (a describe block's `let ws`, a closure holding the last test's
// requests), so what the last test of a block left may be held by it, however many objects;
// a leaking collection keeps what every test left. Deferred: a test's objects fail it when it
// is not the last of its block and left two or more, or when objects of the same description
// left by two or more tests that are not the last of their blocks outlived the file too.
// "Last of its block" is only a proxy for "a block variable may hold it": the variable keeps what
// the test that last set it left, and a later test of the block may never set it (@hono/
// node-server's 'Abort request' block: the put test's two requests, kept by the block's
// `onAbort`, and a last test that has its own server). So what that rule confirms is judged
// again by who holds it (byHolder, when the runner can name the file's scopes: jest's describe
// blocks): the file's scopes are let go one at a time, innermost first, each followed by a GC.
// Objects of one test collected by releasing a scope were a variable of the file keeping that
// test's values: no leak. Objects of two or more tests collected by releasing the same scope are
// a collection of the file that fills: a leak. What no release collects is held outside the test
// file (the app's modules, the process, a handle) and judged by the rule above, over those alone.
// Immediate (vitest, node:test, which cannot fail a finished test): what a test leaves is
// judged at its end, when the block's own variables and servers may still hold it (@hono/
// node-server's suite on vitest: every aborted request held by the block's server until its
// afterAll), so `retained` counts there only when the user listed it in `kinds`.

const { builtin } = require('../builtin')
const { setImmediate, setTimeout } = builtin('node:timers') // not a test's fake timers
const session = require('../session')
const { forceGC, minorGC } = require('../session/gc')
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
  constructor({ keep, checkOptions = {}, retries = 3, retryDelayMs = 25, deferred = false, lastInBlock = () => true, retainedAtEnd = false, scopes = null }) {
    this.retainedAtEnd = retainedAtEnd
    this.scopes = scopes
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
    // retained objects judged at the test's end cannot be told from what a block's variables or
    // servers hold until its afterAll: the immediate path counts them only when asked for (see
    // the top of this file). Watched objects still alive that cannot count are no reason for a GC
    // (on vitest, most tests with a request: 72 GCs in @hono/node-server's listener.test.ts).
    const retained = this.deferred || this.retainedAtEnd
    if (quick.length === 0 && (!retained || !(await this.stillAlive()))) return []
    if (this.deferred) {
      this.pending.push({ test, epochs, keys: new Set(quick.map((l) => l[kKey])), last: this.lastInBlock(test) })
      return []
    }
    const found = await this.judge([{ test, epochs, keys: null, last: true }], { accumulate: false, retained })
    return found.length === 0 ? [] : found[0].leaks
  }

  /** At the file's end: `[{ test, leaks }]` for every kept test whose findings outlived the file's teardown. */
  async settle() {
    const pending = this.pending
    this.pending = []
    if (pending.length === 0 || !session.isStarted()) return []
    if (!this.mayFind(pending)) return []
    // what a request of the file's tests left (closed sockets, their requests) is mostly young:
    // a minor GC (a few ms) collects it, where a full one costs ~30 ms on a jest worker's heap
    await minorGC()
    if (!session.isStarted() || !this.mayFind(pending)) return []
    return this.judge(pending)
  }

  /**
   * The immediate path's test for `retained`: whether watched objects of the test are alive, after
   * a minor GC when some are (what died young needs no full GC to be seen gone).
   */
  async stillAlive() {
    if (session.awaitingGC().filter(this.keep).length === 0) return false
    await minorGC()
    return session.isStarted() && session.awaitingGC().filter(this.keep).length > 0
  }

  /**
   * Whether a forced GC could confirm anything of `pending` (the file's teardown has run). A
   * finding that needs no GC still there: yes. Otherwise only `retained` is left, and a GC can
   * only lower what is alive now (a GC of the app's own may have collected some already): when
   * the accumulation rule confirms nothing even over every watched object still alive, no GC
   * (~60-80 ms on a jest worker's heap) is paid.
   */
  mayFind(pending) {
    const bound = []
    for (const p of pending) {
      if (session.checkSync(this.options, p.epochs).some((l) => this.confirmed(l, p))) return true
      const alive = session.awaitingGC(p.epochs).filter((l) => this.keep(l))
      if (alive.length > 0) bound.push({ test: p.test, last: p.last, leaks: alive })
    }
    return confirmedRetained(bound).size > 0
  }

  /**
   * Forced GC, then each test's epochs checked on their own, retried while findings remain.
   * `retained: false`: watched objects still alive are no finding (nor a reason to retry).
   */
  async judge(tests, { accumulate = true, retained = true } = {}) {
    let left = tests
    let found = []
    for (let attempt = 0; ; attempt++) {
      await forceGC(1) // one full GC (a retry adds another): WeakRefs read after the job it ended
      if (!session.isStarted()) return []
      found = []
      for (const t of left) {
        const leaks = (await session.check({ ...this.options, gc: false }, t.epochs)).filter((l) => (retained || l.kind !== 'retained') && this.confirmed(l, t))
        if (leaks.length > 0) found.push({ test: t.test, leaks, epochs: t.epochs, keys: t.keys, last: t.last })
      }
      // a retry can only lower what is alive: retained objects the accumulation rule confirms
      // nothing of now it never will, so they are no reason for another GC (express-rate-limit's
      // middleware-test.ts paid 3 retries of ~190 ms each at its end for such objects)
      if (accumulate) found = couldConfirm(found)
      if (found.length === 0 || attempt >= this.retries) break
      left = found
      await delay(this.retryDelayMs * (attempt + 1))
    }
    if (!accumulate) return found.map(({ test, leaks }) => ({ test, leaks }))
    const confirmed = confirmedRetained(found)
    if (confirmed.size > 0 && this.scopes !== null) await this.byHolder(found, confirmed)
    return couldConfirm(found, confirmed).map(({ test, leaks }) => ({ test, leaks }))
  }

  /**
   * Who holds the retained objects the accumulation rule confirmed (in place: drops from
   * `confirmed` what the test file's own variables hold for one test). The file's scopes are
   * released one at a time, innermost first (`this.scopes()`: jest's describe blocks), each
   * followed by a GC when it encloses a tested test: what a scope's release collects, that scope
   * held. Objects of one description from two or more tests held by one scope are a collection of
   * the file that fills (a leak); held for one test only, it is a variable keeping the value the
   * test that last set it gave (not necessarily the block's last test: no rule of order can tell
   * which). What no scope's release collects is held elsewhere (the app's modules, the process, a
   * handle): judged by the accumulation rule again, over those survivors only.
   */
  async byHolder(found, confirmed) {
    const scopes = this.scopes()
    if (!Array.isArray(scopes) || scopes.length === 0) return
    const tracked = found.filter((f) => f.leaks.some((l) => l.kind === 'retained'))
    const alive = async (f) => {
      const counts = new Map()
      for (const l of await session.check({ ...this.options, gc: false }, f.epochs)) {
        if (l.kind === 'retained' && this.keep(l)) counts.set(l.description, l.count)
      }
      return counts
    }
    const before = new Map(tracked.map((f) => [f, new Map(f.leaks.filter((l) => l.kind === 'retained').map((l) => [l.description, l.count]))]))
    const collection = new Set() // `${index in tracked}\0${description}` held by a scope that holds it for 2+ tests
    for (const scope of scopes) {
      scope.release()
      if (!tracked.some((f) => scope.encloses(f.test))) continue // released with the next GC
      await forceGC(1)
      if (!session.isStarted()) return
      const held = new Map() // description -> [index in tracked]
      for (const [i, f] of tracked.entries()) {
        const now = await alive(f)
        for (const [description, n] of before.get(f)) {
          if ((now.get(description) || 0) < n) held.set(description, [...(held.get(description) || []), i])
        }
        before.set(f, now)
      }
      for (const [description, list] of held) if (list.length >= 2) for (const i of list) collection.add(`${i}\0${description}`)
    }
    // the survivors: what is held outside the file's scopes
    const survivors = tracked.map((f) => ({ ...f, leaks: [...before.get(f)].map(([description, count]) => ({ kind: 'retained', description, count })) }))
    const outside = new Set([...confirmedRetained(survivors)].map((l) => `${survivors.findIndex((f) => f.leaks.includes(l))}\0${l.description}`))
    for (const [i, f] of tracked.entries()) {
      for (const l of f.leaks) {
        const key = `${i}\0${l.description}`
        if (confirmed.has(l) && !collection.has(key) && !outside.has(key)) confirmed.delete(l)
      }
    }
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
 * blocks outlived the file (then every test's of that description count). The confirmed
 * findings, a Set.
 */
function confirmedRetained(found) {
  const byDescription = new Map() // description -> [{ test entry, leak }]
  for (const f of found) for (const l of f.leaks) if (l.kind === 'retained') byDescription.set(l.description, [...(byDescription.get(l.description) || []), { f, l }])
  const confirmed = new Set()
  for (const list of byDescription.values()) {
    // two tests whose objects no block variable of theirs can explain: a collection keeps them all
    const accumulates = list.filter(({ f }) => !f.last).length >= 2
    for (const { f, l } of list) if (accumulates || (!f.last && l.count >= 2)) confirmed.add(l)
  }
  return confirmed
}

/** `found` without the retained findings `confirmed` (by default confirmedRetained()'s) leaves out: what may still fail its test. */
function couldConfirm(found, confirmed = confirmedRetained(found)) {
  return found.map((f) => ({ ...f, leaks: f.leaks.filter((l) => l.kind !== 'retained' || confirmed.has(l)) })).filter((f) => f.leaks.length > 0)
}

module.exports = { TestLifecycle, CHECK }
