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

describe('TestLifecycle, deferred path (jest)', () => {
  const http = require('node:http')
  let server
  beforeEach(async () => {
    leakguard.start({ stacks: 'always' })
    server = http.createServer((req, res) => res.end('ok'))
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  })
  afterEach(async () => {
    leakguard.stop()
    await new Promise((resolve) => server.close(resolve))
  })
  // a request on its own connection: its client and server sockets close before it resolves
  const request = () =>
    new Promise((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port: server.address().port, agent: false }, (res) => res.resume())
        .on('close', resolve)
        .on('error', reject)
    })
  // two tests that are not the last of their block, each leaving a request's closed sockets: by
  // the accumulation rule a GC could confirm them (`mayFind`), so the file's end must look
  const twoTests = async (lifecycle) => {
    for (const name of ['first', 'second']) {
      lifecycle.begin()
      await request()
      expect(await lifecycle.end({ name })).toEqual([])
    }
    expect(lifecycle.pending).toHaveLength(2) // their sockets were alive at their ends
  }

  test('watched objects that died young cost the file a minor GC, not a full one', async () => {
    // Watched plain objects, not a request's sockets: which of those a scavenge can collect is up
    // to Node and V8 (after a full GC, Node keeps the last request's client objects through the
    // next scavenges without leakguard loaded; a major GC V8 started while they were open
    // promotes them: the CI run that saw 1 forced GC here). Before settle() tried a minor GC
    // first (lib/testing/lifecycle.js), these cost a full one.
    const lifecycle = new TestLifecycle({ keep: keepAll, deferred: true, lastInBlock: () => false, retryDelayMs: 1 })
    const { minorGC } = require('../lib/session/gc')
    await minorGC() // what jest and the server's start left, out of the young generation
    // two objects of one description alive at a test's end (as a request's sockets whose other
    // side closes a moment later) and let go of right after: a GC could confirm them (a test not
    // the last of its block with two of them), so the file's end must look. (A test's end ran a
    // minor GC already, with them alive: a second one would promote them.)
    lifecycle.begin()
    const held = [{ n: 1 }, { n: 2 }]
    for (const object of held) leakguard.watch(object, 'request context')
    expect(await lifecycle.end({ name: 'first' })).toEqual([])
    held.length = 0
    expect(lifecycle.pending).toHaveLength(1)
    const gcs = forcedGCs.started
    expect(await lifecycle.settle()).toEqual([])
    expect(forcedGCs.started).toBe(gcs)
  })

  test('a retained object the accumulation rule cannot confirm after the full GC costs no retry', async () => {
    const lifecycle = new TestLifecycle({ keep: keepAll, deferred: true, lastInBlock: () => false, retries: 3, retryDelayMs: 1 })
    const { getGC } = require('../lib/session/gc')
    const kept = { n: 1 } // alive through every GC
    let promoted = null // alive through a full GC, then let go of: only a full GC sees it gone
    lifecycle.begin()
    leakguard.watch(kept, 'request context')
    expect(await lifecycle.end({ name: 'first' })).toEqual([])
    lifecycle.begin()
    promoted = { n: 2 }
    leakguard.watch(promoted, 'request context')
    expect(await lifecycle.end({ name: 'second' })).toEqual([])
    getGC()()
    promoted = null
    expect(lifecycle.pending).toHaveLength(2)
    const gcs = forcedGCs.started
    // after the full GC one test's object is left: one object of one test is no finding, and no
    // retry can make it one (a retry only lowers what is alive)
    expect(await lifecycle.settle()).toEqual([])
    expect(forcedGCs.started - gcs).toBe(1)
    expect([kept.n, promoted]).toEqual([1, null])
  })

  test('control: closed sockets an array keeps are judged after a full GC and found for both tests', async () => {
    const lifecycle = new TestLifecycle({ keep: keepAll, deferred: true, lastInBlock: () => false, retryDelayMs: 1 })
    const sockets = []
    const onConnection = (s) => sockets.push(s)
    server.on('connection', onConnection)
    await twoTests(lifecycle)
    const gcs = forcedGCs.started
    const found = await lifecycle.settle()
    expect(forcedGCs.started).toBeGreaterThan(gcs)
    expect(found.map((f) => [f.test.name, f.leaks.map((l) => [l.kind, l.description, l.count])])).toEqual([
      ['first', [['retained', 'closed Socket', 1]]],
      ['second', [['retained', 'closed Socket', 1]]],
    ])
    expect(sockets).toHaveLength(2)
    server.off('connection', onConnection)
  })
})
