'use strict'
// guard() options, and the LEAKGUARD_* environment variables of `-r leakguard/guard`.

const v = require('../validate')

const MiB = 1024 * 1024

/** A host to listen on: non-empty (Node's `listen(port, '')` would bind every interface). */
function validateHost(x, n) {
  v.validateString(x, n)
  if (x.trim() === '' || /[\s\0]/.test(x)) {
    const err = new TypeError(`The "${n}" option must be a host name or address such as '127.0.0.1' (an empty host would listen on every interface). Received ${v.describe(x)}`)
    err.code = 'ERR_INVALID_ARG_VALUE'
    throw err
  }
}
const positiveInt = (max) => (x, n) => v.validateNumber(x, n, 1, max, { integer: true })

/** Options of guard(): { name: { default, validate } }. */
const GUARD_OPTIONS = {
  interval: { default: 10000, validate: (x, n) => v.validateNumber(x, n, 10, 2 ** 31 - 1, { integer: true }) },
  onLeak: { default: undefined, validate: (x, n) => v.validateFunction(x, n) },
  warn: { default: true, validate: (x, n) => v.validateBoolean(x, n) },
  sampleRate: { default: 0.002, validate: v.validateRate },
  stackSampleRate: { default: 0.05, validate: v.validateRate },
  window: { default: 12, validate: (x, n) => v.validateNumber(x, n, 3, 1000, { integer: true }) },
  threshold: { default: 10, validate: positiveInt(2 ** 32 - 1) },
  heap: { default: true, validate: (x, n) => v.validateBoolean(x, n) },
  heapThreshold: { default: 32 * MiB, validate: positiveInt(Number.MAX_SAFE_INTEGER) },
  heapProfile: { default: true, validate: (x, n) => v.validateBoolean(x, n) },
  heapSamplingInterval: { default: 512 * 1024, validate: positiveInt(2 ** 31 - 1) },
  snapshotDir: { default: undefined, validate: (x, n) => v.validateString(x, n) },
  snapshotCooldown: { default: 3600000, validate: (x, n) => v.validateNumber(x, n, 0, Number.MAX_SAFE_INTEGER) },
  maxSnapshots: { default: 3, validate: positiveInt(2 ** 31 - 1) },
  maxSnapshotBytes: { default: 2048 * MiB, validate: positiveInt(Number.MAX_SAFE_INTEGER) },
  // extra RSS at the peak of v8.writeHeapSnapshot, measured 8.8-9.6x heap used (docs/benchmarks.md)
  snapshotMemoryFactor: { default: 10, validate: (x, n) => v.validateNumber(x, n, 0, Number.MAX_SAFE_INTEGER) },
  writeSnapshot: { default: undefined, validate: (x, n) => v.validateFunction(x, n) },
  metricsPort: { default: undefined, validate: (x, n) => v.validateNumber(x, n, 0, 65535, { integer: true }) },
  metricsHost: { default: '127.0.0.1', validate: validateHost },
  reportDir: { default: undefined, validate: (x, n) => v.validateString(x, n) },
}

/** Environment variables of `-r leakguard/guard`, each mapped to the option it sets. */
const ENV = {
  LEAKGUARD_INTERVAL: ['interval', 'number'],
  LEAKGUARD_SAMPLE_RATE: ['sampleRate', 'number'],
  LEAKGUARD_STACK_SAMPLE_RATE: ['stackSampleRate', 'number'],
  LEAKGUARD_WINDOW: ['window', 'number'],
  LEAKGUARD_THRESHOLD: ['threshold', 'number'],
  LEAKGUARD_WARN: ['warn', 'boolean'],
  LEAKGUARD_HEAP: ['heap', 'boolean'],
  LEAKGUARD_HEAP_THRESHOLD: ['heapThreshold', 'number'],
  LEAKGUARD_HEAP_PROFILE: ['heapProfile', 'boolean'],
  LEAKGUARD_HEAP_SAMPLING_INTERVAL: ['heapSamplingInterval', 'number'],
  LEAKGUARD_SNAPSHOT_DIR: ['snapshotDir', 'string'],
  LEAKGUARD_SNAPSHOT_COOLDOWN: ['snapshotCooldown', 'number'],
  LEAKGUARD_MAX_SNAPSHOTS: ['maxSnapshots', 'number'],
  LEAKGUARD_MAX_SNAPSHOT_BYTES: ['maxSnapshotBytes', 'number'],
  LEAKGUARD_SNAPSHOT_MEMORY_FACTOR: ['snapshotMemoryFactor', 'number'],
  LEAKGUARD_METRICS_PORT: ['metricsPort', 'number'],
  LEAKGUARD_METRICS_HOST: ['metricsHost', 'string'],
  LEAKGUARD_REPORT_DIR: ['reportDir', 'string'],
}

/** guard()'s options, validated and defaulted. */
function normalize(options) {
  return v.normalizeOptions(options, 'options', GUARD_OPTIONS)
}

/**
 * guard() options from `env`. A variable that does not parse or validate is left out and
 * reported in `problems` (a typo in the environment must not take the app down).
 */
function optionsFromEnv(env) {
  const options = {}
  const problems = []
  for (const [variable, [name, type]] of Object.entries(ENV)) {
    const raw = env[variable]
    if (raw === undefined || raw === '') continue
    let value = raw
    if (type === 'number') {
      value = Number(raw)
      if (raw.trim() === '' || Number.isNaN(value)) {
        problems.push(`${variable}=${JSON.stringify(raw)} ignored: The "${variable}" argument must be of type number (written in decimal). Received ${JSON.stringify(raw)}`)
        continue
      }
    }
    else if (type === 'boolean') {
      const lower = raw.toLowerCase()
      value = ['1', 'true', 'yes', 'on'].includes(lower) ? true : ['0', 'false', 'no', 'off'].includes(lower) ? false : raw
    }
    try {
      GUARD_OPTIONS[name].validate(value, variable)
      options[name] = value
    } catch (err) {
      problems.push(`${variable}=${JSON.stringify(raw)} ignored: ${err.message}`)
    }
  }
  return { options, problems }
}

module.exports = { GUARD_OPTIONS, ENV, normalize, optionsFromEnv }
