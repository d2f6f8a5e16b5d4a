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

test("looking at globals loads nothing into the app (Node 22+'s lazy globals: FormData would load undici)", () => {
  const script = `
    const leakguard = require(${JSON.stringify(require.resolve('../index'))})
    leakguard.start({ warn: false, timers: true, handles: true })
    const before = new Set(process.moduleLoadList)
    globalThis.appCache = new Map()
    leakguard.check().then((leaks) => {
      const loaded = process.moduleLoadList.filter((m) => !before.has(m))
      process.stdout.write(JSON.stringify({ loaded, globals: leaks.filter((l) => l.kind === 'global').map((l) => l.name) }))
      leakguard.stop()
    })`
  const r = require('node:child_process').spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60000 })
  const out = JSON.parse(r.stdout)
  expect(out.globals).toEqual(['appCache'])
  expect(out.loaded.filter((m) => /undici|webstreams|webcrypto|formdata|perf_hooks/i.test(m))).toEqual([])
})
