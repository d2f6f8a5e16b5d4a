'use strict'
// lib/testing/lifecycle.js's immediate path (vitest, node:test: a finished test cannot be failed
// later), driven directly: what a forced GC may confirm decides whether one is paid.

const leakguard = require('..')
const { TestLifecycle } = require('../lib/testing/lifecycle')
const { forcedGCs } = require('../lib/session/gc')
const { EventEmitter } = require('node:events')

const keepAll = () => true

describe('TestLifecycle, immediate path', () => {
  beforeEach(() => leakguard.start({ stacks: 'always' }))
  afterEach(() => leakguard.stop())

  test('a watched object still alive costs no GC when retained objects are not judged at the end', async () => {
    const lifecycle = new TestLifecycle({ keep: keepAll })
    lifecycle.begin()
    const held = { kept: true } // alive, and would stay alive through any GC
    leakguard.watch(held, 'request context')
    const gcs = forcedGCs.started
    expect(await lifecycle.end({ name: 'a test' })).toEqual([])
    expect(forcedGCs.started).toBe(gcs)
    expect(held.kept).toBe(true)
  })

  test('asked for (kinds lists retained), the same object is judged after a GC and found', async () => {
    const lifecycle = new TestLifecycle({ keep: keepAll, retainedAtEnd: true, retryDelayMs: 1 })
    lifecycle.begin()
    const held = { kept: true }
    leakguard.watch(held, 'request context')
    const gcs = forcedGCs.started
    const leaks = await lifecycle.end({ name: 'a test' })
    expect(forcedGCs.started).toBeGreaterThan(gcs)
    expect(leaks.map((l) => [l.kind, l.description, l.count])).toEqual([['retained', 'request context', 1]])
    expect(held.kept).toBe(true)
  })

  test('a listener leak beside a live watched object is found, and the object is not', async () => {
    const lifecycle = new TestLifecycle({ keep: keepAll, retryDelayMs: 1 })
    lifecycle.begin()
    const bus = new EventEmitter()
    bus.on('data', () => {})
    const held = { kept: true }
    leakguard.watch(held, 'request context')
    const leaks = await lifecycle.end({ name: 'a test' })
    expect(leaks.map((l) => [l.kind, l.event])).toEqual([['listeners', 'data']])
    expect(held.kept).toBe(true)
    bus.removeAllListeners()
  })
})
