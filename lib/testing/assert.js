'use strict'
// assertNoLeaks(fn): the runner-agnostic check. Also the retrying check the jest integration uses.

const { builtin } = require('../builtin')
const { AssertionError } = require('node:assert')
const session = require('../session')
const { kEmitters } = require('../findings/report')
const v = require('../validate')
const { ORIGINS } = require('../instrument/emitters')

const KINDS = ['listeners', 'collection', 'retained', 'global', 'timers', 'handles']
/** How leakguard starts around a test: every add named, timers and handles on. */
const TEST_START_OPTIONS = { threshold: 1, warn: false, stacks: 'always', timers: true, handles: true }
/** Whose listeners count in a test's check, by default: the test's and the app's own code (not Node's, not node_modules'). */
const TEST_ADDED_BY = Object.freeze(['app'])
/**
 * What a test's check counts by default, in every test integration (assertNoLeaks, the jest
 * matchers, leakguard/jest, vitest, node:test): listeners added by `TEST_ADDED_BY`, on emitters
 * still open (a finished request or a destroyed socket can never call its listeners again: they
 * go with it), and timers that keep the process alive (an unref()'d one does not).
 */
const testCheckOptions = (addedBy = TEST_ADDED_BY, unrefTimers = false) => ({ addedBy, closedEmitters: false, unrefTimers })
// node:timers' own: a test's fake timers replace the global setTimeout
const delay = (ms) => new Promise((resolve) => builtin('node:timers').setTimeout(resolve, ms))
const tick = () => new Promise((resolve) => builtin('node:timers').setImmediate(resolve))

/**
 * check({ threshold: 1 }) filtered by `keep`, re-checked up to `retries` times with a short,
 * growing delay while findings remain (teardown races: a close handler that runs a tick later),
 * or while watched objects that count are still alive with no GC begun since they should have
 * died (a socket destroyed during the check's own GC is judged by the next one).
 */
async function checkWithRetry({ keep, retries, retryDelayMs = 25, checkOptions = {} }) {
  for (let attempt = 0; ; attempt++) {
    const leaks = (await session.check({ threshold: 1, warn: false, ...checkOptions })).filter(keep)
    if (attempt >= retries) return leaks
    if (leaks.length === 0 && session.awaitingGC().filter(keep).length === 0) return leaks
    await delay(retryDelayMs * (attempt + 1))
  }
}

/**
 * `<title> leaked:` and one line per leaked thing. One object is one finding: the listeners left
 * on a server or socket that was itself left open are shown under it, not as findings of their own.
 */
function formatLeaks(title, leaks) {
  const owners = new Map() // emitter id -> the handle finding it belongs to
  for (const l of leaks) if (l.kind === 'handles') for (const id of l[kEmitters] || []) owners.set(id, l)
  const parts = new Map()
  const top = []
  for (const l of leaks) {
    const owner = l.kind === 'listeners' ? (l[kEmitters] || []).map((id) => owners.get(id)).find(Boolean) : undefined
    if (owner === undefined) top.push(l)
    else parts.set(owner, [...(parts.get(owner) || []), l])
  }
  const lines = []
  for (const l of top) {
    lines.push(`  - ${l.message}`)
    for (const p of parts.get(l) || []) lines.push(`      · ${p.message}`)
  }
  return `${title} leaked:\n${lines.join('\n')}`
}

/**
 * Runs `fn` (sync or async) and throws an AssertionError naming each leak it left: listeners
 * added and not removed on live emitters, closed members in tracked collections, watched objects
 * still alive, new globals, timers and handles left open. Starts leakguard for the call when it
 * was not started (and stops it after); when it was, checks `fn` as a block of its own: what it
 * leaked is reported here, and later checks of the running session do not report it again.
 * Options: `kinds`, `addedBy` (whose listeners count, @default ['app']), `retries` (@default 3).
 * What counts is what counts in the test integrations (testCheckOptions).
 */
async function assertNoLeaks(fn, options) {
  v.validateFunction(fn, 'fn')
  const o = v.validateOptions(options, 'options', ['kinds', 'addedBy', 'retries'])
  const kinds = o.kinds === undefined ? KINDS : v.validateArrayOf(o.kinds, 'options.kinds', KINDS)
  const addedBy = o.addedBy === undefined ? TEST_ADDED_BY : v.validateArrayOf(o.addedBy, 'options.addedBy', ORIGINS)
  if (o.retries !== undefined) v.validateNumber(o.retries, 'options.retries', 0, 100, { integer: true })

  const owned = !session.isStarted()
  if (owned) session.start(TEST_START_OPTIONS)
  let leaks
  const scope = owned ? null : session.enterScope()
  try {
    if (owned) session.baseline()
    await fn()
    await tick() // what fn's last close() scheduled runs first (a socket is destroyed a tick after its response ends)
    leaks = await checkWithRetry({ keep: (l) => kinds.includes(l.kind), retries: o.retries === undefined ? 3 : o.retries, checkOptions: testCheckOptions(addedBy) })
  } finally {
    if (scope !== null) session.exitScope(scope)
    if (owned) session.stop()
  }
  if (leaks.length > 0) {
    const err = new AssertionError({ message: formatLeaks(fn.name ? `${fn.name}()` : 'the function', leaks), actual: leaks, expected: [], operator: 'assertNoLeaks' })
    err.leaks = leaks
    throw err
  }
}

module.exports = { assertNoLeaks, checkWithRetry, formatLeaks, testCheckOptions, KINDS, TEST_ADDED_BY, TEST_START_OPTIONS }
