'use strict'
// analyze / diff / retainerPaths on real heap snapshots of a real child process
// (__tests__/fixtures/heap-leak.js): a class leaked into a module-level Map between the first
// and second snapshot, transient objects dropped before the third.

const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { execFileSync } = require('node:child_process')
const leakguard = require('../index')

const fixture = path.join(__dirname, 'fixtures', 'heap-leak.js')
const LEAKED = 400
const TRANSIENT = 300

let dir
let snaps

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakguard-analyze-'))
  const out = execFileSync(process.execPath, [fixture, dir, String(LEAKED), String(TRANSIENT)], {
    encoding: 'utf8',
    timeout: 120000,
  })
  snaps = JSON.parse(out)
}, 180000)

afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true })
})

function classOf(summary, name) {
  return summary.classes.find((c) => c.name === name)
}

describe('diff (three snapshots)', () => {
  test('finds the class leaked into a module-level Map, with the variable name in its path', async () => {
    const d = await leakguard.diff(snaps.a, snaps.b, snaps.c)
    expect(d.groups.length).toBeGreaterThan(0)
    const top = d.groups[0]
    expect(top.className).toBe('LeakyThing')
    expect(top.count).toBe(LEAKED)
    expect(top.path).toMatch(/sessionRegistry \(Map\) → table → LeakyThing$/)
    expect(top.path.startsWith('(GC roots)')).toBe(true)
    expect(top.retainedSize).toBeGreaterThan(top.selfSize)
    expect(d.newObjects).toBeGreaterThanOrEqual(LEAKED)

    // The structured path: root side first, the Map reached through the variable, the
    // example object last.
    const steps = top.retainers
    expect(steps[0].node).toBe('(GC roots)')
    const viaVariable = steps.find((s) => s.edge === 'sessionRegistry')
    expect(viaVariable).toMatchObject({ edgeType: 'context', node: 'Map', nodeType: 'object' })
    expect(steps[steps.length - 1]).toMatchObject({ node: 'LeakyThing', nodeType: 'object', id: top.exampleId })
    for (const s of steps) {
      expect(Object.keys(s).sort()).toEqual(['edge', 'edgeType', 'id', 'node', 'nodeType'])
    }

    // Groups are sorted by retained size.
    for (let i = 1; i < d.groups.length; i++) {
      expect(d.groups[i - 1].retainedSize).toBeGreaterThanOrEqual(d.groups[i].retainedSize)
    }
  })

  test('transient objects (gone by the final snapshot) are not reported', async () => {
    const d = await leakguard.diff(snaps.a, snaps.b, snaps.c)
    expect(d.groups.find((g) => g.className === 'Transient')).toBeUndefined()
    // With only two snapshots they are still alive in the "final" one and do show: the
    // third snapshot is what tells them apart.
    const two = leakguard.diffSync(snaps.a, snaps.b)
    const transient = two.groups.find((g) => g.className === 'Transient')
    expect(transient).toBeDefined()
    expect(transient.count).toBe(TRANSIENT)
    expect(transient.path).toMatch(/pending \(Array\)/)
    expect(two.groups.find((g) => g.className === 'LeakyThing').count).toBe(LEAKED)
  })

  test('a snapshot against itself reports nothing', async () => {
    const d = await leakguard.diff(snaps.c, snaps.c, null)
    expect(d).toEqual({ groups: [], newObjects: 0, warnings: [] })
  })
})

describe('analyze', () => {
  test('counts a class created N times as N, and the dropped class as gone', async () => {
    const summary = await leakguard.analyze(snaps.c)
    const leaky = classOf(summary, 'LeakyThing')
    expect(leaky.count).toBe(LEAKED)
    expect(leaky.retainedSize).toBeGreaterThan(leaky.selfSize)
    expect(classOf(summary, 'Transient')).toBeUndefined()
    // In the target snapshot the transients are still there.
    const target = leakguard.analyzeSync(snaps.b)
    expect(classOf(target, 'Transient').count).toBe(TRANSIENT)
    expect(classOf(target, 'LeakyThing').count).toBe(LEAKED)
  })

  test('summary shape: counts, total, classes sorted by retained size, largest objects with paths', async () => {
    const summary = await leakguard.analyze(snaps.c)
    expect(summary.nodeCount).toBeGreaterThan(1000)
    expect(summary.edgeCount).toBeGreaterThan(summary.nodeCount)
    const selfSum = summary.classes.reduce((n, c) => n + c.selfSize, 0)
    expect(summary.totalSize).toBe(selfSum)
    for (let i = 1; i < summary.classes.length; i++) {
      expect(summary.classes[i - 1].retainedSize).toBeGreaterThanOrEqual(summary.classes[i].retainedSize)
    }
    expect(summary.largest).toHaveLength(20)
    for (const o of summary.largest) {
      expect(o.retainedSize).toBeGreaterThanOrEqual(o.selfSize)
      expect(typeof o.path).toBe('string')
      expect(Array.isArray(o.retainers)).toBe(true)
    }
    const three = leakguard.analyzeSync(snaps.c, { top: 3 })
    expect(three.largest).toEqual(summary.largest.slice(0, 3))
    expect(three.classes).toEqual(summary.classes)
  })
})

describe('analyze with options.signal', () => {
  const { getEventListeners } = require('node:events')

  test('a signal never aborted changes nothing; an abort rejects with an AbortError whose cause is the reason', async () => {
    const plain = await leakguard.analyze(snaps.c)
    const quiet = new AbortController()
    expect(await leakguard.analyze(snaps.c, { signal: quiet.signal })).toEqual(plain)
    expect(getEventListeners(quiet.signal, 'abort')).toHaveLength(0)

    // aborted before: no work starts
    const before = new AbortController()
    const reason = new Error('stop it')
    before.abort(reason)
    await expect(leakguard.analyze(snaps.c, { signal: before.signal })).rejects.toMatchObject({ name: 'AbortError', code: 'ABORT_ERR', cause: reason })

    // aborted while it runs (right after the call: on the thread pool, the analysis stops at its
    // next read or phase, or is refused when it is handed over)
    const during = new AbortController()
    const running = leakguard.analyze(snaps.c, { signal: during.signal })
    during.abort()
    await expect(running).rejects.toMatchObject({ name: 'AbortError', code: 'ABORT_ERR', message: 'The operation was aborted' })
    expect(getEventListeners(during.signal, 'abort')).toHaveLength(0)
    // an abort after the promise settled does nothing
    const after = new AbortController()
    expect((await leakguard.analyze(snaps.c, { signal: after.signal })).nodeCount).toBe(plain.nodeCount)
    after.abort()
  })

  test('a signal that is not an AbortSignal is a TypeError; analyzeSync takes none', async () => {
    await expect(leakguard.analyze(snaps.c, { signal: {} })).rejects.toMatchObject({ name: 'TypeError', message: expect.stringContaining('"options.signal"') })
    expect(() => leakguard.analyzeSync(snaps.c, { signal: new AbortController().signal })).toThrow(TypeError)
  })
})

describe('retainerPaths', () => {
  test('explains given snapshot ids and says when one is not there', async () => {
    const d = leakguard.diffSync(snaps.a, snaps.b, snaps.c)
    const id = d.groups[0].exampleId
    const [found, missing] = await leakguard.retainerPaths(snaps.c, [id, 4294967295])
    expect(found).toMatchObject({ id, found: true })
    expect(found.path).toMatch(/sessionRegistry \(Map\) → table → LeakyThing$/)
    expect(found.retainers[found.retainers.length - 1].id).toBe(id)
    expect(missing).toEqual({ id: 4294967295, found: false, path: '', retainers: [] })
    expect(leakguard.retainerPathsSync(snaps.c, [id])).toEqual([found])
  })
})

describe('bad files and bad arguments', () => {
  test('truncated, corrupt and missing files are errors that say where and why', async () => {
    const whole = fs.readFileSync(snaps.a)
    const truncated = path.join(dir, 'truncated.heapsnapshot')
    fs.writeFileSync(truncated, whole.subarray(0, Math.floor(whole.length * 0.6)))
    await expect(leakguard.analyze(truncated)).rejects.toThrow(/heap snapshot is corrupt at byte \d+: unexpected end of file/)

    // A letter in the middle of the nodes array.
    const text = whole.toString('latin1')
    const at = text.indexOf('"nodes":[') + 40
    const corruptBytes = Buffer.from(whole)
    corruptBytes[at] = 'x'.charCodeAt(0)
    const corrupt = path.join(dir, 'corrupt.heapsnapshot')
    fs.writeFileSync(corrupt, corruptBytes)
    await expect(leakguard.analyze(corrupt)).rejects.toThrow(`heap snapshot is corrupt at byte ${at}:`)
    expect(() => leakguard.diffSync(snaps.a, corrupt)).toThrow(`at byte ${at}:`)

    const missing = path.join(dir, 'nope', 'missing.heapsnapshot')
    await expect(leakguard.analyze(missing)).rejects.toThrow(missing)
    await expect(leakguard.diff(snaps.a, snaps.b, missing)).rejects.toThrow(/ENOENT/)
    expect(() => leakguard.retainerPathsSync(missing, [1])).toThrow(/ENOENT: no such file or directory/)
    await expect(leakguard.analyze(dir)).rejects.toThrow(/EISDIR/)
    const notJson = path.join(dir, 'text.heapsnapshot')
    fs.writeFileSync(notJson, 'hello')
    await expect(leakguard.analyze(notJson)).rejects.toThrow(/at byte 0: expected '\{'/)

    // The process is fine afterwards.
    const summary = await leakguard.analyze(snaps.c)
    expect(classOf(summary, 'LeakyThing').count).toBe(LEAKED)
  })

  test('bad arguments are TypeErrors and RangeErrors naming the argument', async () => {
    const check = (err, Type, name) => {
      expect(err).toBeInstanceOf(Type)
      expect(err.code).toBe(Type === TypeError ? 'ERR_INVALID_ARG_TYPE' : 'ERR_OUT_OF_RANGE')
      expect(err.message).toContain(`"${name}"`)
    }
    const thrown = (fn) => {
      try {
        fn()
      } catch (e) {
        return e
      }
      throw new Error('did not throw')
    }
    const rejected = (promise) => promise.then(() => { throw new Error('did not reject') }, (e) => e)

    check(await rejected(leakguard.analyze(42)), TypeError, 'path')
    check(thrown(() => leakguard.analyzeSync(undefined)), TypeError, 'path')
    check(await rejected(leakguard.analyze(snaps.a, 'top')), TypeError, 'options')
    check(thrown(() => leakguard.analyzeSync(snaps.a, { top: '3' })), TypeError, 'options.top')
    check(thrown(() => leakguard.analyzeSync(snaps.a, { top: -1 })), RangeError, 'options.top')
    check(await rejected(leakguard.analyze(snaps.a, { top: 1.5 })), RangeError, 'options.top')
    const unknown = thrown(() => leakguard.analyzeSync(snaps.a, { tops: 3 }))
    expect(unknown).toBeInstanceOf(TypeError)
    expect(unknown.message).toMatch(/unknown property "tops"/)
    check(await rejected(leakguard.diff(snaps.a)), TypeError, 'target')
    check(thrown(() => leakguard.diffSync(snaps.a, snaps.b, 7)), TypeError, 'final')
    check(await rejected(leakguard.retainerPaths(snaps.a, 5)), TypeError, 'ids')
    check(thrown(() => leakguard.retainerPathsSync(snaps.a, [1, -2])), RangeError, 'ids[1]')
    check(thrown(() => leakguard.retainerPathsSync(snaps.a, [1, '2'])), TypeError, 'ids[1]')
  })

  test('the binding itself refuses bad arguments without crashing', () => {
    // lib/analysis.js checks first; the native functions check again for direct callers.
    const binding = require('../binding')
    const name = (fn) => {
      try {
        fn()
      } catch (e) {
        return `${e.name}: ${e.code}: ${e.message}`
      }
      return 'no error'
    }
    expect(name(() => binding.analyze(42))).toMatch(/^TypeError: ERR_INVALID_ARG_TYPE: The "path" argument must be of type string/)
    expect(name(() => binding.analyzeSync('x', { top: -1 }))).toMatch(/^RangeError: ERR_OUT_OF_RANGE: .*"options.top"/)
    expect(name(() => binding.diffSync('a', {}))).toMatch(/^TypeError: .*"target"/)
    expect(name(() => binding.retainerPaths('a', [1, 2.5]))).toMatch(/^RangeError: .*"ids\[1\]"/)
  })
})

// memlab (`@memlab/heap-analysis`) is the reference the issue names. It is not a dependency
// of this package (it pulls in puppeteer); where it is installed, the two must agree. It lives in
// bench/node_modules (`node bench/index.js --install`, which .ci/run does).
let memlab = null
for (const from of [__dirname, path.join(__dirname, '..', 'bench')]) {
  try {
    memlab = require(require.resolve('@memlab/heap-analysis', { paths: [from] }))
    break
  } catch {}
}

;(memlab ? test : test.skip)('agrees with memlab on counts, classes and retained sizes of the leak', async () => {
  const heap = await memlab.getFullHeapFromFile(snaps.c)
  const summary = await leakguard.analyze(snaps.c)
  expect(summary.nodeCount).toBe(heap.nodes.length)
  expect(summary.edgeCount).toBe(heap.edges.length)
  let leaky = 0
  heap.nodes.forEach((n) => {
    if (n.type === 'object' && n.name === 'LeakyThing') leaky++
  })
  expect(classOf(summary, 'LeakyThing').count).toBe(leaky)
  const d = await leakguard.diff(snaps.a, snaps.b, snaps.c)
  const group = d.groups[0]
  expect(group.retainedSize / group.count).toBe(heap.getNodeById(group.exampleId).retainedSize)
}, 120000)
