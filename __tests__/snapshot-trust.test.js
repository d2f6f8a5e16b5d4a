'use strict'
// Can a diff be trusted? On real snapshots of real child processes watched by leakguard
// (__tests__/fixtures/snapshot/instrumented.js, leaking EventEmitters while leakguard's own
// instrumentation works): leakguard's own allocations are not a leak group, and snapshots of
// two processes, or given in the wrong order, come with a warning (API and CLI).

const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { execFileSync, spawnSync } = require('node:child_process')
const leakguard = require('../index')

const CHILD = path.join(__dirname, 'fixtures', 'snapshot', 'instrumented.js')
const BIN = path.join(__dirname, '..', 'bin', 'leakguard.js')
const LIB = path.join(__dirname, '..', 'lib') + path.sep

let dir
let small // 300 emitters leaked
let large // 1,500 emitters leaked, another process

function child(tag, n) {
  return JSON.parse(execFileSync(process.execPath, [CHILD, dir, tag, String(n)], { encoding: 'utf8', timeout: 120000 }).trim().split('\n').pop())
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakguard-trust-'))
  small = child('small', 300)
  large = child('large', 1500)
}, 300000)

afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true })
})

/** Where a group says it comes from: its holder's site and module, its path's steps. */
function ownTraces(g) {
  const places = [g.holder && g.holder.site, g.holder && g.holder.module, g.site, g.path, ...g.retainers.map((s) => s.node)]
  return places.filter((p) => typeof p === 'string' && p.includes(LIB))
}

describe("leakguard's own allocations are not the app's leak", () => {
  test('the diff is the leaked EventEmitters alone: no group of leakguard state, strings or V8 scratch', () => {
    const d = leakguard.diffSync(small.a, small.b, small.c)
    expect(d.warnings).toEqual([])
    const [top] = d.groups
    expect(top).toMatchObject({ className: 'EventEmitter', count: 300 })
    expect(top.holder).toMatchObject({ name: 'emitters' })
    expect(top.holder.module).toBe(CHILD)
    for (const g of d.groups) expect(ownTraces(g)).toEqual([])
    const classes = d.groups.map((g) => g.className)
    for (const own of ['WeakRef', 'NativeWeakRef', 'FinalizationRegistry', 'TrendEngine', 'Atomics', 'Math']) expect(classes).not.toContain(own)
    // the watched description string lives in the app's code and leakguard's registry only
    expect(d.groups.filter((g) => /finished job/.test(g.path))).toEqual([])
  })

  test('includeOwn: true shows them (the exclusion above is what removes them)', () => {
    const all = leakguard.diffSync(small.a, small.b, small.c, { includeOwn: true })
    const own = all.groups.filter((g) => ownTraces(g).length > 0)
    expect(own.length).toBeGreaterThanOrEqual(3)
    // the weak references to the watched objects and tracked emitters (the addon's NativeWeakRef
    // instances): a group of them (Node 20-24), or on Node 26 groups of their parts (Node-API's
    // type tag and wrapper) whose path steps through them. (The global detector no longer makes a
    // TrendEngine for a check that has no global collection to sample, as this app's checks have none.)
    const weak = all.groups.filter((g) => g.className === 'NativeWeakRef' || / \(NativeWeakRef\) → [^→]*$/.test(g.path))
    expect(weak.map((g) => g.count)).toContain(300)
    const d = leakguard.diffSync(small.a, small.b, small.c)
    expect(d.newObjects).toBeLessThan(all.newObjects)
    // the app's leak is the same either way
    expect(all.groups[0]).toMatchObject({ className: 'EventEmitter', count: 300 })
  })

  test('the async diff and the CLI leave them out too', async () => {
    const d = await leakguard.diff(small.a, small.b, small.c)
    for (const g of d.groups) expect(ownTraces(g)).toEqual([])
    const r = spawnSync(process.execPath, [BIN, 'diff', small.a, small.b, small.c, '--json'], { encoding: 'utf8' })
    expect(r.status).toBe(0)
    const doc = JSON.parse(r.stdout)
    expect(doc.groups[0]).toMatchObject({ className: 'EventEmitter', count: 300 })
    expect(r.stdout).not.toContain(LIB)
    expect(doc.warnings).toEqual([])
  })

  test('includeOwn must be a boolean', () => {
    expect(() => leakguard.diffSync(small.a, small.b, small.c, { includeOwn: 'yes' })).toThrow(TypeError)
    expect(() => leakguard.diffSync(small.a, small.b, small.c, { includeOwn: 'yes' })).toThrow(/options\.includeOwn/)
  })
})

describe('snapshots of one process, oldest first', () => {
  test('in order, one process: no warning (both sizes, 2 and 3 snapshots)', () => {
    for (const s of [small, large]) {
      expect(leakguard.diffSync(s.a, s.b, s.c).warnings).toEqual([])
      expect(leakguard.diffSync(s.a, s.b).warnings).toEqual([])
      expect(leakguard.diffSync(s.a, s.c).warnings).toEqual([])
      expect(leakguard.diffSync(s.b, s.c).warnings).toEqual([])
    }
  })

  test('two processes: LEAKGUARD_DIFF_PROCESSES naming both files', () => {
    for (const [x, y] of [
      [small.a, large.b],
      [large.a, small.b],
      [small.b, large.c],
    ]) {
      const w = leakguard.diffSync(x, y).warnings
      expect(w).toHaveLength(1)
      expect(w[0].code).toBe('LEAKGUARD_DIFF_PROCESSES')
      expect(w[0].message).toContain(`${x} and ${y} look like snapshots of different processes`)
      // told by the process marks leakguard's snapshots hold: two runs of one program can agree
      // on nearly every object id (a CI run on Node 22 had no warning from the ids alone)
      expect(w[0].message).toContain('leakguard wrote them in two processes')
    }
    // a final from another process: the warning names the pair that is wrong
    const w = leakguard.diffSync(small.a, small.b, large.c).warnings
    expect(w.map((x) => x.code)).toEqual(['LEAKGUARD_DIFF_PROCESSES'])
    expect(w[0].message).toContain(`${small.b} and ${large.c}`)
  })

  test('swapped: LEAKGUARD_DIFF_ORDER, for each pair out of order', () => {
    for (const s of [small, large]) {
      const w = leakguard.diffSync(s.b, s.a).warnings
      expect(w.map((x) => x.code)).toEqual(['LEAKGUARD_DIFF_ORDER'])
      expect(w[0].message).toContain(`${s.a} looks older than ${s.b}`)
      expect(w[0].message).toContain('oldest first')
      const all = leakguard.diffSync(s.c, s.b, s.a).warnings
      expect(all.map((x) => x.code)).toEqual(['LEAKGUARD_DIFF_ORDER', 'LEAKGUARD_DIFF_ORDER'])
      const one = leakguard.diffSync(s.a, s.c, s.b).warnings
      expect(one.map((x) => x.code)).toEqual(['LEAKGUARD_DIFF_ORDER'])
      expect(one[0].message).toContain(`${s.b} looks older than ${s.c}`)
    }
  })

  test('the CLI prints the warning first in its report, and on stderr with --json', () => {
    const r = spawnSync(process.execPath, [BIN, 'diff', small.a, large.b], { encoding: 'utf8' })
    expect(r.status).toBe(0)
    const lines = r.stdout.split('\n')
    expect(lines[2]).toMatch(/^WARNING \(LEAKGUARD_DIFF_PROCESSES\): .* look like snapshots of different processes/)
    const j = spawnSync(process.execPath, [BIN, 'diff', small.b, small.a, '--json'], { encoding: 'utf8' })
    expect(j.status).toBe(0)
    expect(JSON.parse(j.stdout).warnings.map((w) => w.code)).toEqual(['LEAKGUARD_DIFF_ORDER'])
    expect(j.stderr).toMatch(/^leakguard: warning \(LEAKGUARD_DIFF_ORDER\): .* looks older than /m)
    // in order: nothing on stderr
    const ok = spawnSync(process.execPath, [BIN, 'diff', small.a, small.b, '--json'], { encoding: 'utf8' })
    expect(ok.stderr).toBe('')
  })
})
