'use strict'
const leakguard = require('../index')

afterEach(() => leakguard.stop())

const check = (o) => leakguard.check({ warn: false, ...o })
const collectionLeaks = async () => (await check()).filter((l) => l.kind === 'collection')

test('trackSet returns the same object, unchanged in type and behaviour', () => {
  leakguard.start({ warn: false })
  const s = new Set([1])
  const m = new Map()
  const a = [1, 2]
  expect(leakguard.trackSet(s, 's')).toBe(s)
  expect(leakguard.trackSet(m, 'm')).toBe(m)
  expect(leakguard.trackSet(a, 'a')).toBe(a)
  expect(s instanceof Set).toBe(true)
  expect(Array.isArray(a)).toBe(true)
  s.add(2)
  expect([...s]).toEqual([1, 2])
  expect(Object.getPrototypeOf(m)).toBe(Map.prototype)
})

test('a Map (values) and an Array with closed members, via isClosed', async () => {
  leakguard.start({ warn: false })
  const isClosed = (x) => x.closed
  const sessions = leakguard.trackSet(new Map(), 'sessions', { isClosed })
  const queue = leakguard.trackSet([], 'queue', { isClosed })
  for (let i = 0; i < 30; i++) sessions.set(`k${i}`, { closed: i < 12 })
  for (let i = 0; i < 10; i++) queue.push({ closed: i % 2 === 0 })
  const leaks = await collectionLeaks()
  const byName = Object.fromEntries(leaks.map((l) => [l.name, l]))
  expect(byName.sessions).toMatchObject({ code: 'LEAKGUARD_COLLECTION', count: 12, size: 30 })
  expect(byName.sessions.message).toMatch(/^Map 'sessions' holds 12 closed members \(of 30\)/)
  expect(byName.sessions.site).toMatch(/__tests__\/collections\.test\.js:\d+:\d+$/)
  expect(byName.queue).toMatchObject({ count: 5, size: 10 })
  expect(byName.queue.message).toMatch(/^Array 'queue' holds 5 closed members \(of 10\)/)
})

test('open members, a throwing isClosed and unknown members are not findings', async () => {
  leakguard.start({ warn: false })
  leakguard.trackSet(new Set([{ closed: false }, 1, 'x', null]), 'open', { isClosed: (x) => x && x.closed })
  leakguard.trackSet([{}], 'throws', {
    isClosed() {
      throw new Error('boom')
    },
  })
  expect(await collectionLeaks()).toEqual([])
})

test('a collection that only grows is a finding once the trend window is full', async () => {
  leakguard.start({ warn: false })
  const grow = leakguard.trackSet(new Set(), 'growing')
  const steady = leakguard.trackSet(new Set(), 'steady')
  const seen = []
  for (let i = 0; i < 8; i++) {
    for (let j = 0; j < 10; j++) grow.add({ i, j })
    steady.clear()
    for (let j = 0; j < 10; j++) steady.add(j)
    seen.push(await collectionLeaks())
  }
  expect(seen.slice(0, 5).flat()).toEqual([]) // the default window is 6 samples
  const found = seen.flat()
  expect(found.map((l) => l.name)).toEqual(['growing'])
  expect(found[0].message).toMatch(/^Set 'growing' keeps growing: 60 members now/)
  expect(found[0].ratePerMinute).toBeGreaterThan(0)
})

test('large collections are sampled and the count is an estimate', async () => {
  leakguard.start({ warn: false })
  const big = leakguard.trackSet([], 'big', { isClosed: (x) => x.closed })
  for (let i = 0; i < 50000; i++) big.push({ closed: i % 2 === 0 })
  const [leak] = await collectionLeaks()
  expect(leak.size).toBe(50000)
  expect(leak.count).toBe(25000)
  expect(leak.message).toContain('holds about 25000 closed members (of 50000)')
  expect(big.length).toBe(50000) // keeps `big` alive through the check
})

test('the registration holds the collection weakly', async () => {
  leakguard.start({ warn: false })
  let ref
  ;(() => {
    const s = leakguard.trackSet(new Set([{ closed: true }]), 'temp', { isClosed: (x) => x.closed })
    ref = new WeakRef(s)
  })()
  await check({ gc: true })
  await check({ gc: true })
  expect(ref.deref()).toBeUndefined()
})

test('bad arguments are TypeErrors naming the argument', () => {
  leakguard.start({ warn: false })
  expect(() => leakguard.trackSet({}, 'x')).toThrow(TypeError)
  expect(() => leakguard.trackSet({}, 'x')).toThrow(/"collection" argument must be an instance of Set, Map or Array/)
  expect(() => leakguard.trackSet(new WeakSet(), 'x')).toThrow(TypeError)
  expect(() => leakguard.trackSet(new Set(), 42)).toThrow(/"name" argument must be of type string/)
  expect(() => leakguard.trackSet(new Set(), 'x', { isClosed: 1 })).toThrow(/"options.isClosed"/)
  expect(() => leakguard.trackSet(new Set(), 'x', { closed: () => true })).toThrow(/unknown property "closed"/)
  expect(() => leakguard.trackSet(new Set(), 'x', 'y')).toThrow(TypeError)
})
