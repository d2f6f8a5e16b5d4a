'use strict'
// Misuse of the public API is a Node-style TypeError / RangeError that names what was wrong,
// never napi's own words and never a silently wrapped value.

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
