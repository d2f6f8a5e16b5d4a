'use strict'
const leakguard = require('../index')

afterEach(() => leakguard.stop())

const retained = async (o) => (await leakguard.check({ warn: false, ...o })).filter((l) => l.kind === 'retained')

test('watched objects still alive after GC are grouped by description; collected ones are not', async () => {
  leakguard.start({ warn: false })
  const kept = []
  // in a plain function: a suspended async frame may keep its last temporaries alive
  ;(() => {
    for (let i = 0; i < 5; i++) {
      const session = { id: i, buffer: Buffer.alloc(16) }
      leakguard.watch(session, 'closed session')
      if (i < 3) kept.push(session)
    }
    leakguard.watch({ other: true }, 'request context')
  })()
  const leaks = await retained({ graceMs: 0 })
  expect(leaks).toHaveLength(1)
  expect(leaks[0]).toMatchObject({ kind: 'retained', code: 'LEAKGUARD_RETAINED', description: 'closed session', count: 3 })
  expect(leaks[0].message).toMatch(/^3 objects 'closed session' still reachable after a GC/)
  const targets = leaks[0][Symbol.for('leakguard.targets')]
  expect(Object.keys(leaks[0])).not.toContain('targets')
  expect(targets.map((r) => r.deref())).toEqual(kept)
  kept.length = 0
  expect(await retained({ graceMs: 0 })).toEqual([])
})

test('the grace period: a young object is not reported yet', async () => {
  leakguard.start({ warn: false, graceMs: 60000 })
  const o = {}
  leakguard.watch(o, 'young')
  expect(await retained()).toEqual([])
  expect(await retained({ graceMs: 0 })).toHaveLength(1)
  expect(o).toBeDefined()
})

test('bad arguments and use before start()', async () => {
  expect(() => leakguard.watch({}, 'x')).toThrow(/before leakguard.start\(\)/)
  leakguard.start({ warn: false })
  expect(() => leakguard.watch(1, 'x')).toThrow(/"object" argument must be of type object or function/)
  expect(() => leakguard.watch(null, 'x')).toThrow(TypeError)
  expect(() => leakguard.watch({}, 1)).toThrow(/"description" argument must be of type string/)
  expect(() => leakguard.start({ graceMs: -1 })).toThrow(RangeError)
  await expect(leakguard.check({ graceMs: 'soon' })).rejects.toThrow(TypeError)
})

test('stop() drops what was watched', async () => {
  leakguard.start({ warn: false })
  const o = {}
  leakguard.watch(o, 'x')
  leakguard.stop()
  leakguard.start({ warn: false })
  expect(await retained({ graceMs: 0 })).toEqual([])
  expect(o).toBeDefined()
})

// The weak references are the addon's (lib/detectors/retained.js): a minor GC clears them, where
// Node 20-24's scavenger keeps a WeakRef's target and a FinalizationRegistry's, so an object
// watched that way is promoted and needs a full GC to be seen gone.
test('a watched object that dies young reads as collected after a minor GC; a held one does not', async () => {
  const { minorGC, forcedGCs } = require('../lib/session/gc')
  leakguard.start({ warn: false })
  await minorGC() // the young generation empty: what is made next is young at the next one
  const held = { held: true }
  ;(() => {
    for (let i = 0; i < 3; i++) leakguard.watch({ i, buffer: Buffer.alloc(16) }, 'closed session')
    leakguard.watch(held, 'closed session')
  })()
  const before = forcedGCs.started
  await minorGC()
  expect(require('../lib/session').awaitingGC()).toEqual([expect.objectContaining({ kind: 'retained', description: 'closed session', count: 1 })])
  expect(forcedGCs.started).toBe(before) // a minor GC is no forced collection: nothing is judged by it
  const leaks = await retained({ graceMs: 0 })
  expect(leaks.map((l) => [l.description, l.count])).toEqual([['closed session', 1]])
  expect(leaks[0][Symbol.for('leakguard.targets')].map((r) => r.deref())).toEqual([held])
})

test('NativeWeakRef: deref() gives the target while it lives, undefined after; only objects and functions', async () => {
  const { NativeWeakRef } = require('../lib/native')
  const { minorGC } = require('../lib/session/gc')
  const target = () => {}
  const ref = new NativeWeakRef(target)
  expect(ref.deref()).toBe(target)
  let young
  ;(() => {
    young = new NativeWeakRef({ young: true })
  })()
  await minorGC()
  expect(young.deref()).toBeUndefined()
  expect(ref.deref()).toBe(target)
  for (const bad of [1, 'x', undefined, null]) expect(() => new NativeWeakRef(bad)).toThrow(/NativeWeakRef: the target must be an object or a function/)
})
