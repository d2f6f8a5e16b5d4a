'use strict'
// assertNoLeaks(fn): the runner-agnostic check. Also the retrying check the jest integration uses.

const { builtin } = require('../builtin')
const { AssertionError } = require('node:assert')
const session = require('../session')
const { kEmitters } = require('../findings/report')
const v = require('../validate')

const KINDS = ['listeners', 'collection', 'retained', 'global', 'timers', 'handles']
/** How leakguard starts around a test: every add named, timers and handles on. */
const TEST_START_OPTIONS = { threshold: 1, warn: false, stacks: 'always', timers: true, handles: true }
// node:timers' own: a test's fake timers replace the global setTimeout
const delay = (ms) => new Promise((resolve) => builtin('node:timers').setTimeout(resolve, ms))

/**
 * check({ threshold: 1 }) filtered by `keep`, re-checked up to `retries` times with a short,
 * growing delay while findings remain (teardown races: a close handler that runs a tick later).
 */
async function checkWithRetry({ keep, retries, retryDelayMs = 25, checkOptions = {} }) {
  for (let attempt = 0; ; attempt++) {
    const leaks = (await session.check({ threshold: 1, warn: false, ...checkOptions })).filter(keep)
    if (leaks.length === 0 || attempt >= retries) return leaks
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
 * Options: `kinds`, `retries` (@default 3).
 */
async function assertNoLeaks(fn, options) {
  v.validateFunction(fn, 'fn')
  const o = v.validateOptions(options, 'options', ['kinds', 'retries'])
  const kinds = o.kinds === undefined ? KINDS : o.kinds
  if (!Array.isArray(kinds)) throw v.typeError('options.kinds', 'an array', kinds)
  kinds.forEach((k, i) => v.validateOneOf(k, `options.kinds[${i}]`, KINDS))
  if (o.retries !== undefined) v.validateNumber(o.retries, 'options.retries', 0, 100, { integer: true })

  const owned = !session.isStarted()
  if (owned) session.start(TEST_START_OPTIONS)
  let leaks
  const scope = owned ? null : session.enterScope()
  try {
    if (owned) session.baseline()
    await fn()
    leaks = await checkWithRetry({ keep: (l) => kinds.includes(l.kind), retries: o.retries === undefined ? 3 : o.retries })
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

module.exports = { assertNoLeaks, checkWithRetry, formatLeaks, KINDS, TEST_START_OPTIONS }
