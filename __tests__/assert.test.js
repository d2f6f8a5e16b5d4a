'use strict'

const { spawnSync } = require('node:child_process')
const path = require('node:path')
const { EventEmitter } = require('node:events')
const leakguard = require('../index')
const { siteOf } = require('./helpers')

afterEach(() => leakguard.stop())

describe('assertNoLeaks(fn)', () => {
  const bus = new EventEmitter()

  test('throws an AssertionError naming the leak and its line', async () => {
    const err = await leakguard
      .assertNoLeaks(async function subscribe() {
        await new Promise((r) => setTimeout(r, 1))
        bus.on('update', () => {}) // @site assert-leak
      })
      .catch((e) => e)
    expect(err).toMatchObject({ name: 'AssertionError', code: 'ERR_ASSERTION', operator: 'assertNoLeaks' })
    expect(err.message).toContain('subscribe() leaked:')
    expect(err.message).toContain("leaked 1 listener for 'update' on EventEmitter, added at __tests__/assert.test.js:")
    expect(err.leaks[0].site.startsWith(siteOf(__filename, 'assert-leak'))).toBe(true)
    expect(leakguard.isStarted()).toBe(false) // it started leakguard for the call only
  })

  test('passes for add-then-remove and leaves a started session started', async () => {
    leakguard.start({ warn: false })
    await leakguard.assertNoLeaks(() => {
      const fn = () => {}
      bus.on('update', fn)
      bus.removeListener('update', fn)
    })
    expect(leakguard.isStarted()).toBe(true)
  })

  test('timers left running are leaks; setTimeout/setInterval are restored exactly', async () => {
    const before = [globalThis.setTimeout, globalThis.setInterval]
    let interval
    const err = await leakguard
      .assertNoLeaks(() => {
        interval = setInterval(() => {}, 250) // @site assert-interval
      })
      .catch((e) => e)
    clearInterval(interval)
    expect(err.message).toContain('left 1 interval running (every 250 ms), created at __tests__/assert.test.js:')
    expect(err.leaks[0]).toMatchObject({ kind: 'timers', code: 'LEAKGUARD_TIMERS', count: 1 })
    expect([globalThis.setTimeout, globalThis.setInterval]).toEqual(before)
    expect(globalThis.setTimeout).toBe(before[0])
  })

  test('kinds selects what counts; bad arguments are TypeErrors', async () => {
    await leakguard.assertNoLeaks(() => bus.on('ignored', () => {}), { kinds: ['global'] })
    await expect(leakguard.assertNoLeaks('fn')).rejects.toThrow(/"fn" argument must be of type function/)
    await expect(leakguard.assertNoLeaks(() => {}, { kinds: ['heap'] })).rejects.toThrow(TypeError)
    await expect(leakguard.assertNoLeaks(() => {}, { retries: -1 })).rejects.toThrow(RangeError)
  })
})

test('the node:test recipe fails the leaky test with its line and passes the clean one', () => {
  const suite = path.join(__dirname, 'fixtures', 'node-test', 'suite.js')
  const r = spawnSync(process.execPath, ['--test', '--test-reporter=tap', suite], { encoding: 'utf8', timeout: 60000 })
  expect(r.status).toBe(1)
  expect(r.stdout).toMatch(/not ok \d+ - leaky test/)
  expect(r.stdout).toMatch(/\nok \d+ - clean test/)
  const site = path.relative(process.cwd(), siteOf(suite, 'node-test-leak'))
  expect(r.stdout).toContain(`leaked 1 listener for 'job' on EventEmitter, added at ${site}`)
})
