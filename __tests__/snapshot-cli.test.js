'use strict'
// `npx leakguard analyze|diff`: the real bin on real snapshots of a real child process that
// leaks 600 LeakyThings into a module-level Map `sessionRegistry` (a few MB each).

const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const BIN = path.join(__dirname, '..', 'bin', 'leakguard.js')
const CHILD = path.join(__dirname, '..', 'examples', 'heap-snapshots', 'registry-leak.js')
let dir
let a
let b
let c

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakguard-cli-'))
  const r = spawnSync(process.execPath, [CHILD, dir], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`fixture failed: ${r.stderr}`)
  ;[a, b, c] = ['a', 'b', 'c'].map((n) => path.join(dir, `${n}.heapsnapshot`))
})

afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true })
})

function cli(...args) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: dir })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

describe('analyze', () => {
  test('a readable report: totals, a table of classes by retained size, the largest objects', () => {
    const r = cli('analyze', 'c.heapsnapshot', '--top', '200')
    expect(r.code).toBe(0)
    expect(r.stderr).toBe('') // no progress line when stderr is not a terminal
    const lines = r.stdout.split('\n')
    expect(lines[0]).toMatch(/^c\.heapsnapshot: [\d,]+ nodes, [\d,]+ edges, [\d.]+ (kB|MB) total/)
    expect(r.stdout).toMatch(/Classes by retained size \(top \d+ of [\d,]+\)/)
    expect(r.stdout).toMatch(/^\s+retained\s+self\s+count\s+class$/m)
    // the 600 leaked objects, with human sizes
    expect(r.stdout).toMatch(/^\s+[\d.]+ (B|kB|MB)\s+[\d.]+ (B|kB)\s+600\s+LeakyThing$/m)
    expect(r.stdout).toMatch(/Largest objects by retained size/)
    expect(r.stdout).toMatch(/\(GC roots\)/)
  })

  test('--json: the analysis for machines, agreeing with the report', () => {
    const r = cli('analyze', c, '--json')
    expect(r.code).toBe(0)
    const doc = JSON.parse(r.stdout)
    expect(doc.file).toBe(c)
    expect(doc.nodeCount).toBeGreaterThan(10000)
    expect(doc.edgeCount).toBeGreaterThan(doc.nodeCount)
    expect(doc.totalSize).toBeGreaterThan(1e6)
    const sizes = doc.classes.map((k) => k.retainedSize)
    expect(sizes).toEqual([...sizes].sort((x, y) => y - x))
    const human = cli('analyze', c, '--top', '3')
    expect(human.stdout).toContain(`${doc.nodeCount.toLocaleString('en-US')} nodes`)
    for (const k of doc.classes.slice(0, 3)) expect(human.stdout).toContain(k.name)
  })
})

describe('diff', () => {
  test("three snapshots: the leak group, with the Map's variable name in its path; transient objects are not reported", () => {
    const r = cli('diff', 'a.heapsnapshot', 'b.heapsnapshot', 'c.heapsnapshot')
    expect(r.code).toBe(0)
    expect(r.stderr).toBe('')
    expect(r.stdout).toMatch(/^Objects allocated between a\.heapsnapshot and b\.heapsnapshot, still alive in c\.heapsnapshot: [\d,]+/)
    expect(r.stdout).toMatch(/^\s+1\. LeakyThing ×500 {2}retained [\d.]+ (kB|MB) \(self [\d.]+ (B|kB)\)/m)
    expect(r.stdout).toMatch(/sessionRegistry/)
    expect(r.stdout).not.toMatch(/^ +\d+\. Transient /m) // the Transient objects died before c
  })

  test('--json', () => {
    const r = cli('diff', a, b, c, '--json')
    expect(r.code).toBe(0)
    const doc = JSON.parse(r.stdout)
    expect(doc.files).toEqual([a, b, c])
    const leaky = doc.groups.find((g) => g.className === 'LeakyThing')
    expect(leaky).toMatchObject({ count: 500 })
    expect(leaky.retainedSize).toBeGreaterThanOrEqual(leaky.selfSize)
    expect(leaky.path).toMatch(/sessionRegistry/)
    expect(doc.groups.find((g) => g.className === 'Transient')).toBeUndefined()
  })

  test('a snapshot against itself: no leak groups, said in words', () => {
    const r = cli('diff', 'a.heapsnapshot', 'a.heapsnapshot')
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/still alive in a\.heapsnapshot: 0 /)
    expect(r.stdout).toMatch(/No leak groups: nothing allocated in between is still alive\./)
  })

  test('two snapshots: final defaults to the target', () => {
    const r = cli('diff', a, c, '--json')
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout).groups.find((g) => g.className === 'LeakyThing')).toMatchObject({ count: 600 })
  })
})

describe('progress line', () => {
  test("on a terminal it names the phase and, while parsing, the percent of the file read", () => {
    const { analysisStatus } = require('../lib/cli')
    expect(analysisStatus({ phase: 'parse', bytesRead: 0, fileSize: 0 })).toBe('parse')
    expect(analysisStatus({ phase: 'parse', bytesRead: 50, fileSize: 200 })).toBe('parse 25%')
    // the two parse threads' buffers overlap a little: never past 99% while parsing
    expect(analysisStatus({ phase: 'parse', bytesRead: 210, fileSize: 200 })).toBe('parse 99%')
    expect(analysisStatus({ phase: 'dominators', bytesRead: 210, fileSize: 200 })).toBe('dominators')
    expect(analysisStatus({ phase: 'done', bytesRead: 210, fileSize: 200 })).toBe('')
  })
})

describe('errors', () => {
  test.each([
    [[], /a command is required/],
    [['analyze'], /analyze takes one snapshot file, got 0/],
    [['analyze', 'x', 'y'], /analyze takes one snapshot file, got 2/],
    [['diff', 'x'], /diff takes two or three snapshot files/],
    [['diff', 'a', 'b', 'c', 'd'], /diff takes two or three snapshot files/],
    [['explode', 'x'], /unknown command 'explode'/],
    [['analyze', 'x', '--top', 'ten'], /--top must be a positive integer/],
    [['analyze', 'x', '--top', '0'], /--top must be a positive integer/],
    [['analyze', 'x', '--frobnicate'], /Unknown option '--frobnicate'/],
  ])('usage error %j: exit 2, the reason and the usage on stderr', (args, reason) => {
    const r = cli(...args)
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr).toMatch(reason)
    expect(r.stderr).toMatch(/Usage:\n {2}leakguard analyze <file.heapsnapshot>/)
  })

  test('--help and --version: exit 0 on stdout', () => {
    const help = cli('--help')
    expect(help.code).toBe(0)
    expect(help.stdout).toMatch(/^Usage:/)
    expect(help.stdout).toMatch(/Exit codes: 0 done, 1 .*, 2 usage error/)
    const version = cli('--version')
    expect(version.code).toBe(0)
    expect(version.stdout.trim()).toBe(require('../package.json').version)
  })

  test('output piped into a reader that stops early (| head): a quiet exit 0, no EPIPE stack', () => {
    // --top 2000: megabytes of JSON, more than a pipe buffer, so the writes outlive `head`
    const r = spawnSync('bash', ['-c', `"$0" "$1" analyze "$2" --json --top 2000 | head -c 20 >/dev/null; exit \${PIPESTATUS[0]}`, process.execPath, BIN, c], { encoding: 'utf8' })
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
  })

  test('a missing file: exit 1 naming it', () => {
    const r = cli('analyze', 'missing.heapsnapshot')
    expect(r.code).toBe(1)
    expect(r.stdout).toBe('')
    expect(r.stderr).toMatch(/^leakguard: analyze failed: /)
    expect(r.stderr).toContain('missing.heapsnapshot')
  })

  test('a truncated or corrupt file: exit 1 with the reason', () => {
    const truncated = path.join(dir, 'truncated.heapsnapshot')
    const content = fs.readFileSync(a)
    fs.writeFileSync(truncated, content.subarray(0, Math.floor(content.length / 2)))
    const corrupt = path.join(dir, 'corrupt.heapsnapshot')
    fs.writeFileSync(corrupt, 'this is not a heap snapshot')
    for (const file of [truncated, corrupt]) {
      const r = cli('analyze', file)
      expect(r.code).toBe(1)
      expect(r.stderr).toMatch(/^leakguard: analyze failed: \S/)
    }
    expect(cli('diff', a, truncated).code).toBe(1)
  })
})
