'use strict'
// Argument validation in the style of Node core's internal/validators: a TypeError/RangeError
// whose message names the argument, what was expected and what was received, with a `code`.

/** The constructor name of `value`, or `fallback` (a Proxy or a getter may throw: never rethrown). */
function constructorName(value, fallback) {
  try {
    const name = value.constructor && value.constructor.name
    if (typeof name === 'string' && name !== '') return name
  } catch {}
  return fallback
}

function describe(value) {
  if (value === null) return 'null'
  if (value === undefined) return 'undefined'
  if (typeof value === 'function') return `function ${value.name || '<anonymous>'}`
  if (typeof value === 'object') {
    const name = constructorName(value, null)
    return name ? `an instance of ${name}` : 'an object'
  }
  let shown = String(value)
  if (shown.length > 28) shown = `${shown.slice(0, 25)}...`
  if (typeof value === 'string') shown = `'${shown}'`
  return `type ${typeof value} (${shown})`
}

function typeError(name, expected, value) {
  const err = new TypeError(`The "${name}" argument must be ${expected}. Received ${describe(value)}`)
  err.code = 'ERR_INVALID_ARG_TYPE'
  return err
}

function rangeError(name, expected, value) {
  const err = new RangeError(`The value of "${name}" is out of range. It must be ${expected}. Received ${String(value)}`)
  err.code = 'ERR_OUT_OF_RANGE'
  return err
}

function validateObject(value, name) {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw typeError(name, 'of type object', value)
  }
}

/** Validates an optional options bag and rejects unknown keys (a typo is a TypeError, not a no-op). */
function validateOptions(value, name, known) {
  if (value === undefined) return {}
  validateObject(value, name)
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      const err = new TypeError(`The "${name}" argument has an unknown property "${key}". Known properties: ${known.join(', ')}`)
      err.code = 'ERR_INVALID_ARG_VALUE'
      throw err
    }
  }
  return value
}

function validateFunction(value, name) {
  if (typeof value !== 'function') throw typeError(name, 'of type function', value)
}

function validateBoolean(value, name) {
  if (typeof value !== 'boolean') throw typeError(name, 'of type boolean', value)
}

function validateString(value, name) {
  if (typeof value !== 'string') throw typeError(name, 'of type string', value)
}

function validateNumber(value, name, min, max, { integer = false } = {}) {
  if (typeof value !== 'number' || Number.isNaN(value)) throw typeError(name, 'of type number', value)
  if (integer && !Number.isInteger(value)) throw rangeError(name, 'an integer', value)
  if (value < min || value > max) {
    const bound = max === Infinity ? `>= ${min}` : `>= ${min} && <= ${max}`
    throw rangeError(name, bound, value)
  }
}

function validateOneOf(value, name, allowed) {
  if (!allowed.includes(value)) {
    const err = new TypeError(`The "${name}" argument must be one of: ${allowed.map((a) => `'${a}'`).join(', ')}. Received ${describe(value)}`)
    err.code = 'ERR_INVALID_ARG_VALUE'
    throw err
  }
}

/** An array whose every element is one of `allowed`: a copy of it. */
function validateArrayOf(value, name, allowed) {
  if (!Array.isArray(value)) throw typeError(name, 'an array', value)
  value.forEach((x, i) => validateOneOf(x, `${name}[${i}]`, allowed))
  return value.slice()
}

/** A fraction in (0, 1]. */
function validateRate(value, name) {
  validateNumber(value, name, 0, 1)
  if (value === 0) throw rangeError(name, '> 0 && <= 1', value)
}

/**
 * Validates an options bag against `table` (`{ name: { default, validate(value, argName) } }`):
 * unknown keys are a TypeError, every known one is validated or defaulted. Returns a new object.
 */
function normalizeOptions(options, argName, table) {
  const given = validateOptions(options, argName, Object.keys(table))
  const out = {}
  for (const [name, spec] of Object.entries(table)) {
    const value = given[name]
    if (value === undefined) out[name] = spec.default
    else {
      spec.validate(value, `${argName}.${name}`)
      out[name] = value
    }
  }
  return out
}

module.exports = {
  normalizeOptions,
  validateRate,
  constructorName,
  describe,
  typeError,
  rangeError,
  validateObject,
  validateOptions,
  validateFunction,
  validateBoolean,
  validateString,
  validateNumber,
  validateArrayOf,
  validateOneOf,
}
