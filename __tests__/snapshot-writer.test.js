'use strict'
// leakguard.writeSnapshot and the heapdump drop-in, on snapshots of real child processes (a bare
// node process: a few MB each).

const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const leakguard = require('../index')
const heapdump = require('../heapdump')

const CHILD = path.join(__dirname, 'fixtures', 'snapshot', 'write.js')
const dirs = []

function tempDir() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakguard-writer-'))
  dirs.push(dir)
  return dir
}

afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true })
})

/**
 * Runs the fixture and returns its JSON line. `shell` wraps it in `bash -c` (for ulimit);
 * `prefix` runs it through another command (setpriv).
 */
function runChild(args, { cwd, shell, prefix = [] } = {}) {
  const r = shell
    ? spawnSync('bash', ['-c', `${shell}; exec "$0" "$@"`, process.execPath, CHILD, ...args], { cwd, encoding: 'utf8' })
    : spawnSync(prefix[0] || process.execPath, [...prefix.slice(1), ...(prefix.length ? [process.execPath] : []), CHILD, ...args], { cwd, encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`child exited with ${r.status ?? r.signal}: ${r.stderr}`)
  return JSON.parse(r.stdout.trim().split('\n').pop())
}

/** Parses a snapshot and counts the live instances of the fixture's marker class. */
function readSnapshot(file) {
  const doc = JSON.parse(fs.readFileSync(file, 'utf8'))
  const { meta } = doc.snapshot
  const fields = meta.node_fields.length
  const typeIndex = meta.node_fields.indexOf('type')
  const nameIndex = meta.node_fields.indexOf('name')
  const objectType = meta.node_types[0].indexOf('object')
  let markers = 0
  for (let i = 0; i < doc.nodes.length; i += fields) {
    if (doc.nodes[i + typeIndex] === objectType && doc.strings[doc.nodes[i + nameIndex]] === 'MarkerForLeakguardTest') markers++
  }
  return { nodeCount: doc.nodes.length / fields, declared: doc.snapshot.node_count, markers }
}

const mode = (file) => fs.statSync(file).mode & 0o777

test('writes a complete, parseable snapshot with mode 0600 and leaves no temporary file', () => {
  const dir = tempDir()
  const target = path.join(dir, 'app.heapsnapshot')
  const out = runChild([target])
  expect(out).toEqual({ ok: true, pid: out.pid, path: target })
  expect(mode(target)).toBe(0o600)
  const snap = readSnapshot(target)
  expect(snap.nodeCount).toBe(snap.declared)
  expect(snap.markers).toBe(100)
  expect(fs.readdirSync(dir)).toEqual(['app.heapsnapshot'])
})

test('0600 whatever the umask, and a relative path resolves against the current directory', () => {
  for (const umask of ['000', '277']) {
    const dir = tempDir()
    const out = runChild(['rel.heapsnapshot'], { cwd: dir, shell: `umask ${umask}` })
    expect(out.path).toBe(path.join(fs.realpathSync(dir), 'rel.heapsnapshot'))
    expect(mode(out.path)).toBe(0o600)
  }
})

test('default name: heapdump-<ms>.<pid>.heapsnapshot in the current directory', () => {
  const dir = tempDir()
  const out = runChild([], { cwd: dir })
  expect(path.dirname(out.path)).toBe(fs.realpathSync(dir))
  expect(path.basename(out.path)).toMatch(new RegExp(`^heapdump-\\d{13}\\.${out.pid}\\.heapsnapshot$`))
  expect(fs.readdirSync(dir)).toEqual([path.basename(out.path)])
  expect(readSnapshot(out.path).markers).toBe(100)
})

test('in this process too (a jest worker): the returned path is the file written', () => {
  const dir = tempDir()
  const file = leakguard.writeSnapshot(path.join(dir, 'self.heapsnapshot'))
  expect(file).toBe(path.join(dir, 'self.heapsnapshot'))
  expect(mode(file)).toBe(0o600)
  const snap = readSnapshot(file)
  expect(snap.nodeCount).toBeGreaterThan(1000)
  expect(snap.nodeCount).toBe(snap.declared)
  fs.unlinkSync(file)
})

test('a missing directory: ENOENT naming the path, nothing created', () => {
  const dir = tempDir()
  const target = path.join(dir, 'missing', 'x.heapsnapshot')
  const out = runChild([target])
  expect(out).toMatchObject({ ok: false, code: 'ENOENT', path: target })
  expect(out.message).toContain(target)
  expect(out.message).toMatch(/no such file or directory/)
  expect(fs.readdirSync(dir)).toEqual([])
})

test('a directory the process may not write: EACCES naming the path, nothing created', () => {
  const dir = tempDir()
  const locked = path.join(dir, 'locked')
  fs.mkdirSync(locked)
  fs.chmodSync(locked, 0o555)
  fs.chmodSync(dir, 0o755)
  const target = path.join(locked, 'x.heapsnapshot')
  // root writes anywhere: then the writer runs as root without the capabilities that override
  // file modes (as another user it could not read a checkout in a private 0700 directory)
  const asRoot = process.getuid && process.getuid() === 0
  const out = runChild([target], asRoot ? { prefix: ['setpriv', '--bounding-set=-dac_override,-dac_read_search'] } : {})
  fs.chmodSync(locked, 0o755)
  expect(out).toMatchObject({ ok: false, code: 'EACCES', path: target })
  expect(out.message).toContain(target)
  expect(fs.readdirSync(locked)).toEqual([])
})

test('a write that fails half-way (file size limit): the error says why and no partial file remains', () => {
  const dir = tempDir()
  const target = path.join(dir, 'big.heapsnapshot')
  // 64 KiB limit, SIGXFSZ ignored: write() fails with EFBIG after the first chunks
  const out = runChild([target], { shell: "ulimit -f 64; trap '' XFSZ" })
  expect(out).toMatchObject({ ok: false, code: 'EFBIG', path: target })
  expect(out.message).toContain(target)
  expect(fs.readdirSync(dir)).toEqual([])
})

test('an existing snapshot is replaced whole; a directory or device is never replaced', () => {
  const dir = tempDir()
  const target = path.join(dir, 'again.heapsnapshot')
  fs.writeFileSync(target, 'old', { mode: 0o644 })
  expect(runChild([target]).ok).toBe(true)
  expect(mode(target)).toBe(0o600)
  expect(readSnapshot(target).markers).toBe(100)

  const sub = path.join(dir, 'sub')
  fs.mkdirSync(sub)
  expect(() => leakguard.writeSnapshot(sub)).toThrow(expect.objectContaining({ code: 'EISDIR', path: sub }))
  expect(() => leakguard.writeSnapshot('/dev/null')).toThrow(/not a regular file/)
  expect(fs.statSync('/dev/null').isCharacterDevice()).toBe(true)
  expect(fs.readdirSync(dir).sort()).toEqual(['again.heapsnapshot', 'sub'])
})

test('bad arguments are TypeErrors naming the argument', () => {
  expect(() => leakguard.writeSnapshot(42)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('"path"') }))
  expect(() => leakguard.writeSnapshot('')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }))
  expect(() => heapdump.writeSnapshot('x', 'not a function')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('"callback"') }))
})

describe('leakguard/heapdump (drop-in for the heapdump package)', () => {
  test('writeSnapshot(filename, callback): callback(null, filename) once, synchronously', () => {
    const dir = tempDir()
    const out = runChild([path.join(dir, 'cb.heapsnapshot'), 'heapdump'])
    expect(out).toMatchObject({ ok: true, path: path.join(dir, 'cb.heapsnapshot') })
    expect(mode(out.path)).toBe(0o600)
    expect(readSnapshot(out.path).markers).toBe(100)
  })

  test('writeSnapshot(callback): default name in the current directory', () => {
    const dir = tempDir()
    const out = runChild(['', 'heapdump'], { cwd: dir })
    expect(path.basename(out.path)).toMatch(/^heapdump-\d+\.\d+\.heapsnapshot$/)
    expect(fs.readdirSync(dir)).toEqual([path.basename(out.path)])
  })

  test('errors go to the callback; without one it returns false (and true on success)', () => {
    const dir = tempDir()
    const target = path.join(dir, 'nope', 'x.heapsnapshot')
    const calls = []
    const ret = heapdump.writeSnapshot(target, (...args) => calls.push(args))
    expect(ret).toBeUndefined()
    expect(calls).toHaveLength(1)
    expect(calls[0][0]).toMatchObject({ code: 'ENOENT', path: target })
    expect(heapdump.writeSnapshot(target)).toBe(false)
    const ok = path.join(dir, 'ok.heapsnapshot')
    expect(heapdump.writeSnapshot(ok)).toBe(true)
    expect(mode(ok)).toBe(0o600)
    fs.unlinkSync(ok)
    expect(fs.readdirSync(dir)).toEqual([])
  })

  test('is exported as leakguard/heapdump', () => {
    expect(require.resolve('leakguard/heapdump', { paths: [path.join(__dirname, '..')] })).toBe(path.join(__dirname, '..', 'heapdump.js'))
  })
})
