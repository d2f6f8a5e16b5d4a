'use strict'
const leakguard = require('../index')

afterEach(() => {
  leakguard.stop()
  delete globalThis.leakyCache
  delete globalThis.requests
  delete globalThis.steadyList
})

const globalLeaks = async () => (await leakguard.check({ warn: false })).filter((l) => l.kind === 'global')

test('nothing added: the runtime and test runner globals are not findings', async () => {
  leakguard.start({ warn: false })
  expect(await globalLeaks()).toEqual([])
  // lazily created Node globals (accessors) are read after start without becoming findings
  void globalThis.crypto
  void globalThis.navigator
  expect(await globalLeaks()).toEqual([])
})

test('an accidental global is found with its name, type and size', async () => {
  leakguard.start({ warn: false })
  // what `function f() { leakyCache = {} }` does in sloppy mode
  globalThis.leakyCache = { a: 1, b: 2, c: 3 }
  const [leak] = await globalLeaks()
  expect(leak).toMatchObject({ kind: 'global', code: 'LEAKGUARD_GLOBAL', name: 'leakyCache', valueType: 'object', size: 3 })
  expect(leak.message).toMatch(/^global 'leakyCache' was added since the baseline \(object, size 3\)/)
})

test('baseline() forgets globals added before it', async () => {
  leakguard.start({ warn: false })
  globalThis.leakyCache = 'x'
  leakguard.baseline()
  expect(await globalLeaks()).toEqual([])
})

test('a global array that keeps growing is found after the trend window; a steady one is not', async () => {
  globalThis.requests = []
  globalThis.steadyList = [1, 2, 3]
  leakguard.start({ warn: false })
  const found = []
  for (let i = 0; i < 8; i++) {
    for (let j = 0; j < 25; j++) globalThis.requests.push({ url: `/r/${i}/${j}` })
    globalThis.steadyList.push(4)
    globalThis.steadyList.pop()
    found.push(...(await globalLeaks()))
  }
  expect(found.map((l) => l.name)).toEqual(['requests'])
  expect(found[0]).toMatchObject({ valueType: 'Array', name: 'requests' })
  expect(found[0].message).toMatch(/^global 'requests' \(Array\) keeps growing: \d+ elements now/)
  expect(found[0].ratePerMinute).toBeGreaterThan(0)
})
