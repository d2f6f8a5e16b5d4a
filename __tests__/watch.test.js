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
