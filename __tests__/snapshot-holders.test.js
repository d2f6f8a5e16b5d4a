'use strict'
// "Who holds it", on real snapshots of real child processes (__tests__/fixtures/holders): the
// holder a developer would name (not `require`), chains of 2,000 objects as one group naming
// their variable and the class the program wrote, a closure group with its file:line.

const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { execFileSync } = require('node:child_process')
const leakguard = require('../index')

const FIXTURES = path.join(__dirname, 'fixtures', 'holders')
const LEAKS = path.join(FIXTURES, 'leaks.js')
// the module system's links a raw path to a module's exports may take
const MODULE_SYSTEM = ['require', 'cache', '_cache', 'children', 'mainModule', '$Module']
const N = 2000

let dir
const snaps = {}

function child(...args) {
  return JSON.parse(execFileSync(process.execPath, [LEAKS, ...args], { encoding: 'utf8', timeout: 120000 }).trim().split('\n').pop())
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakguard-holders-'))
  for (const shape of ['registry', 'race', 'list', 'closures']) snaps[shape] = child(shape, dir, String(N))
}, 300000)

afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true })
})

const diff = (shape) => leakguard.diffSync(snaps[shape].a, snaps[shape].b, snaps[shape].c)
/** The groups holding objects of `className` (as their class or inside them). */
const groupsOf = (d, className) => d.groups.filter((g) => g.className === className || g.classes.some((c) => c.name === className))

describe('the holder is what the program wrote', () => {
  test("a module-level registry reached through the module's exports: createThing.instances, not require", () => {
    const d = diff('registry')
    const [g] = groupsOf(d, 'Thing')
    expect(g).toMatchObject({ className: 'Thing', count: N })
    expect(g.holder).toMatchObject({ name: 'createThing.instances', kind: 'property', function: 'createThing()' })
    expect(g.holder.site).toBe(`${path.join(FIXTURES, 'registry.js')}:4`)
    expect(g.holder.module).toBe(path.join(FIXTURES, 'registry.js'))
    // the raw path goes through require and the module cache; the text starts at the module
    const edges = g.retainers.map((s) => s.edge)
    expect(edges).toEqual(expect.arrayContaining(['exports', 'instances']))
    expect(edges.filter((e) => MODULE_SYSTEM.includes(e))).not.toEqual([])
    expect(g.path).toMatch(/ → … → module .*registry\.js → exports \(createThing\(\)\) → instances \(Array\) → Thing$/)
    expect(g.path).not.toMatch(/require/)
  })

  test('check({ explain: true }) names the same holder, with where it was written', () => {
    const leak = child('explain', dir, '20')
    expect(leak).toMatchObject({ kind: 'retained', count: 20, heldBy: 'createThing.instances' })
    expect(leak.heldAt).toBe(`createThing() at ${path.join(FIXTURES, 'registry.js')}:4`)
    expect(leak.message).toContain(`Held by 'createThing.instances' (createThing() at ${path.join(FIXTURES, 'registry.js')}:4): `)
    expect(leak.retainersText).not.toMatch(/require/)
    expect(leak.retainers.map((s) => s.edge).filter((e) => MODULE_SYSTEM.includes(e))).not.toEqual([])
  })
})

describe('chains of 2,000 objects are one group naming their variable', () => {
  test('Promise.race against a session-long promise: one group of Messages held by sessionPromise', () => {
    const d = diff('race')
    const groups = groupsOf(d, 'Message')
    expect(groups.length).toBeGreaterThanOrEqual(1)
    expect(groups.length).toBeLessThanOrEqual(3)
    expect(groups.reduce((n, g) => n + (g.className === 'Message' ? g.count : 0), 0)).toBe(N)
    const [top] = groups
    // named by the class the program wrote, inside V8's Promise wrappers
    expect(top).toMatchObject({ className: 'Message', rootClass: 'Promise' })
    expect(top.holder).toMatchObject({ name: 'sessionPromise', kind: 'variable' })
    expect(top.holder.site).toBe(LEAKS)
    // (which slot of the reaction list V8 uses differs between versions: [0] on Node 20, [1] on 22)
    expect(top.path).toMatch(/sessionPromise \(Promise\) → reactions_or_result → \[\d+\] ×[\d,]+ → /)
  })

  test('a linked list in one variable: one group, every link counted, held by head', () => {
    const d = diff('list')
    const groups = groupsOf(d, 'Message')
    expect(groups).toHaveLength(1)
    expect(groups[0]).toMatchObject({ className: 'Message', count: N, roots: 1 })
    expect(groups[0].holder).toMatchObject({ name: 'head', kind: 'variable' })
    expect(groups[0].path).toMatch(/head \(Message\) → next \(Message\) ×[\d,]+$/)
  })
})

test('a group of closures carries the file:line where the function was written', () => {
  const d = diff('closures')
  const [g] = groupsOf(d, 'Message')
  const line = fs.readFileSync(LEAKS, 'utf8').split('\n').findIndex((l) => l.includes('// closure-site')) + 2
  expect(line).toBeGreaterThan(0)
  expect(g).toMatchObject({ className: 'Message', count: N, rootClass: '(closure)', roots: N })
  expect(g.site).toBe(`${LEAKS}:${line}`)
  expect(g.holder).toMatchObject({ name: 'handlers', kind: 'variable' })
})
