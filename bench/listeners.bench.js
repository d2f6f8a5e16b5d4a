'use strict'
// ns per on()+off() pair on one EventEmitter: plain vs instrumented with stacks off / sampled /
// always. Configurations run interleaved, several rounds each, and the median is reported with
// its ratio to the plain median of the same run.

const { EventEmitter } = require('node:events')
const leakguard = require('..')

const PAIRS = Number(process.env.BENCH_PAIRS || 2_000_000)
const ROUNDS = Number(process.env.BENCH_ROUNDS || 7)

const configs = [
  ['plain', null],
  ['stacks off', { stacks: 'off' }],
  ['stacks sampled (5%)', { stacks: 'sampled', stackSampleRate: 0.05 }],
  ['stacks always', { stacks: 'always' }],
]

function pairs(n) {
  const e = new EventEmitter()
  const fn = () => {}
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < n; i++) {
    e.on('data', fn)
    e.off('data', fn)
  }
  return Number(process.hrtime.bigint() - t0) / n
}

function run(options, n) {
  if (options) leakguard.start({ ...options, warn: false })
  try {
    return pairs(n)
  } finally {
    if (options) leakguard.stop()
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1]

// 'always' captures a stack per add (~µs): fewer pairs keep the bench short, ns/pair is the same
const pairsFor = (name) => (name === 'stacks always' ? Math.max(1, PAIRS / 20) : PAIRS)

for (const [name, options] of configs) run(options, pairsFor(name) / 10) // warm up every path
const results = new Map(configs.map(([name]) => [name, []]))
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, options] of configs) results.get(name).push(run(options, pairsFor(name)))
}

const plain = median(results.get('plain'))
console.log(`on()+off() pair on one EventEmitter, median of ${ROUNDS} interleaved rounds (node ${process.version})`)
console.log('configuration           ns/pair   vs plain')
for (const [name] of configs) {
  const ns = median(results.get(name))
  console.log(`${name.padEnd(22)} ${ns.toFixed(1).padStart(8)}   ${(ns / plain).toFixed(2)}x`)
}
