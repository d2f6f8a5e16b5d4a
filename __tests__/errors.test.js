'use strict'
// Misuse of the public API is a Node-style TypeError / RangeError that names what was wrong,
// never napi's own words and never a silently wrapped value.

const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const leakguard = require('../index')

describe('TrendEngine', () => {
  test.each([
    [{ window: -1 }, RangeError, 'ERR_OUT_OF_RANGE', /"options\.window".*>= 1 && <= 4294967295\. Received -1/],
    [{ window: 2 ** 32 }, RangeError, 'ERR_OUT_OF_RANGE', /"options\.window"/],
    [{ window: null }, TypeError, 'ERR_INVALID_ARG_TYPE', /"options\.window" argument must be of type number\. Received null/],
    [{ segments: 2.5 }, RangeError, 'ERR_OUT_OF_RANGE', /"options\.segments".*an integer/],
    [{ maxSeries: '10' }, TypeError, 'ERR_INVALID_ARG_TYPE', /"options\.maxSeries"/],
    [{ minGrowth: NaN }, TypeError, 'ERR_INVALID_ARG_TYPE', /"options\.minGrowth"/],
    [{ maxDrop: Infinity }, RangeError, 'ERR_OUT_OF_RANGE', /"options\.maxDrop"/],
    ['x', TypeError, 'ERR_INVALID_ARG_TYPE', /"options" argument must be of type object/],
    [{ segments: 1 }, RangeError, 'ERR_OUT_OF_RANGE', /segments/],
  ])('new TrendEngine(%p) is a %p naming the option', (options, Type, code, message) => {
    let err
    try {
      new leakguard.TrendEngine(options)
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(Type)
    expect(err).toMatchObject({ code, message: expect.stringMatching(message) })
    expect(err.message).not.toMatch(/napi|rust type/)
  })

  test('observe() names the argument that is wrong', () => {
    const engine = new leakguard.TrendEngine()
    const keys = new Uint32Array([1])
    const values = new Float64Array([1])
    expect(() => engine.observe(null, keys, values)).toThrow(expect.objectContaining({ name: 'TypeError', message: expect.stringContaining('"timeMs"') }))
    expect(() => engine.observe(1, [1], values)).toThrow(expect.objectContaining({ name: 'TypeError', message: expect.stringContaining('"keys" argument must be an instance of Uint32Array') }))
    expect(() => engine.observe(1, keys, [1])).toThrow(expect.objectContaining({ name: 'TypeError', message: expect.stringContaining('"values"') }))
    expect(() => engine.observe(1, new Uint32Array(2), values)).toThrow(expect.objectContaining({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE' }))
    expect(engine.observe(1, keys, values)).toEqual([])
    expect(engine.size).toBe(1)
  })
})

// A program may require the native binding itself (binding.js, or the .node file): its errors
// are leakguard's scheme too, as lib/errors.js words them, never napi's `GenericFailure`.
describe('the binding called directly', () => {
  const binding = require('../binding')
  let dir
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakguard-errors-'))
  })
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

  const thrown = (fn) => {
    try {
      fn()
    } catch (e) {
      return e
    }
    throw new Error('did not throw')
  }
  const rejected = (promise) => promise.then(() => { throw new Error('did not reject') }, (e) => e)
  const plain = (e) => ({ name: e.name, code: e.code, message: e.message, errno: e.errno, syscall: e.syscall, path: e.path, offset: e.offset })

  test('a missing file is ENOENT as Node says it (errno, syscall, path), sync and async alike', async () => {
    const file = path.join(dir, 'none.heapsnapshot')
    const want = { name: 'Error', code: 'ENOENT', errno: -2, syscall: 'open', path: file, offset: undefined, message: `leakguard: cannot read heap snapshot ${file}: ENOENT: no such file or directory, open '${file}'` }
    expect(plain(thrown(() => binding.analyzeSync(file)))).toEqual(want)
    expect(plain(await rejected(binding.analyze(file)))).toEqual(want)
    expect(plain(await rejected(binding.diff(file, file)))).toEqual(want)
    expect(plain(thrown(() => binding.diffSync(file, file, file)))).toEqual(want)
    expect(plain(await rejected(binding.retainerPaths(file, [1])))).toEqual(want)
    expect(plain(thrown(() => binding.retainerPathsSync(file, [1])))).toEqual(want)
  })

  test('a directory is EISDIR, a device ERR_LEAKGUARD_SNAPSHOT_NOT_FILE', async () => {
    expect(plain(await rejected(binding.analyze(dir)))).toMatchObject({ code: 'EISDIR', errno: -21, path: dir, message: expect.stringContaining(`${dir}: EISDIR: illegal operation on a directory`) })
    expect(plain(thrown(() => binding.analyzeSync('/dev/null')))).toMatchObject({ code: 'ERR_LEAKGUARD_SNAPSHOT_NOT_FILE', path: '/dev/null', message: 'leakguard: cannot read heap snapshot /dev/null: it is a device, not a regular file' })
  })

  test('a corrupt snapshot is ERR_LEAKGUARD_SNAPSHOT_CORRUPT with the byte offset', async () => {
    const file = path.join(dir, 'text.heapsnapshot')
    fs.writeFileSync(file, '{"snapshot": 5}')
    const e = await rejected(binding.analyze(file))
    expect(plain(e)).toMatchObject({ name: 'Error', code: 'ERR_LEAKGUARD_SNAPSHOT_CORRUPT', message: expect.stringMatching(/^heap snapshot is corrupt at byte \d+: /) })
    expect(typeof e.offset).toBe('number')
    expect(plain(thrown(() => binding.diffSync(file, file)))).toMatchObject({ code: 'ERR_LEAKGUARD_SNAPSHOT_CORRUPT' })
  })

  test('no snapshot error carries napi\'s words', async () => {
    const fifo = path.join(dir, 'fifo')
    execFileSync('mkfifo', [fifo])
    const errors = [thrown(() => binding.analyzeSync(path.join(dir, 'x'))), thrown(() => binding.analyzeSync(dir)), thrown(() => binding.analyzeSync(fifo)), await rejected(binding.analyze(fifo))]
    for (const e of errors) {
      expect(e.code).not.toBe('GenericFailure')
      expect(e.message).not.toMatch(/napi|os error|rust type/)
    }
  })

  test('the public API and the binding say the same', async () => {
    const file = path.join(dir, 'none.heapsnapshot')
    const viaApi = await rejected(leakguard.analyze(file))
    const viaBinding = await rejected(binding.analyze(file))
    expect(viaApi.code).toBe(viaBinding.code)
    expect(viaApi.path).toBe(viaBinding.path)
  })
})
