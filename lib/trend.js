'use strict'
// The public TrendEngine: the core's engine (src/trend.rs) behind argument checks in JavaScript,
// so misuse is a Node-style TypeError / RangeError naming the option or argument (and created in
// the caller's realm), never napi's own words ("Failed to convert napi value Null into rust type
// `u32`") nor a silent wrap (`window: -1` read as 4294967295).

const binding = require('./native')
const v = require('./validate')

const U32 = 2 ** 32 - 1
const INTEGER_OPTIONS = ['window', 'segments', 'maxSeries']
const NUMBER_OPTIONS = ['minGrowth', 'regrowFactor', 'maxDrop']

function validateTrendOptions(options) {
  if (options === undefined || options === null) return options
  v.validateObject(options, 'options')
  for (const name of INTEGER_OPTIONS) {
    if (options[name] !== undefined) v.validateNumber(options[name], `options.${name}`, 1, U32, { integer: true })
  }
  for (const name of NUMBER_OPTIONS) {
    if (options[name] !== undefined) v.validateNumber(options[name], `options.${name}`, -Number.MAX_VALUE, Number.MAX_VALUE)
  }
  return options
}

/** The binding's errors are made in Node's main context: the same error, of this realm's class. */
function inThisRealm(err) {
  const Type = err && err.name === 'RangeError' ? RangeError : err && err.name === 'TypeError' ? TypeError : null
  if (Type === null || err instanceof Type) return err
  const out = new Type(err.message)
  if (err.code !== undefined) out.code = err.code
  return out
}

/** Decides when a series of counts is a leak (see the README's "trend engine" section). */
class TrendEngine {
  #engine

  /** A new engine; a bad option is a TypeError / RangeError naming it. */
  constructor(options) {
    try {
      this.#engine = new binding.TrendEngine(validateTrendOptions(options))
    } catch (err) {
      throw inThisRealm(err) // the core's own range checks (segments >= 2, ...)
    }
  }

  /**
   * Records one sample of every live series (`keys[i]` has `values[i]`) taken at `timeMs`,
   * forgets series absent from the batch, and returns those newly reportable.
   */
  observe(timeMs, keys, values) {
    v.validateNumber(timeMs, 'timeMs', -Number.MAX_VALUE, Number.MAX_VALUE)
    if (!(keys instanceof Uint32Array)) throw v.typeError('keys', 'an instance of Uint32Array', keys)
    if (!(values instanceof Float64Array)) throw v.typeError('values', 'an instance of Float64Array', values)
    if (keys.length !== values.length) {
      const err = new RangeError(`The "keys" and "values" arguments must have the same length. Received ${keys.length} and ${values.length}`)
      err.code = 'ERR_OUT_OF_RANGE'
      throw err
    }
    return this.#engine.observe(timeMs, keys, values)
  }

  /** Number of series kept. */
  get size() {
    return this.#engine.size
  }
}

module.exports = { TrendEngine, validateTrendOptions }
