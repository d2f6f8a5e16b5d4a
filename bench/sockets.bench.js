'use strict'
// Two costs of issue 3, each beside its baseline measured in the same run:
// 1. µs per TCP connection opened and closed on 127.0.0.1 (server + client socket), plain vs
//    with leakguard started (both sockets watched automatically from their 'close').
// 2. ms per check() with tracked collections of 100 / 10,000 / 100,000 sockets-like members,
//    vs a check() with nothing tracked (the inspection is bounded: 2,000 members at most).

const net = require('node:net')
const leakguard = require('..')

const CONNS = Number(process.env.BENCH_CONNS || 4000)
const ROUNDS = Number(process.env.BENCH_ROUNDS || 5)
const BATCH = 200
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1]

function batch(port, n) {
  return new Promise((resolve, reject) => {
    let closed = 0
    for (let i = 0; i < n; i++) {
      const c = net.connect(port, '127.0.0.1', () => c.end())
      c.on('error', reject)
      c.resume()
      c.on('close', () => ++closed === n && resolve())
    }
  })
}

async function connections(port, on) {
  if (on) leakguard.start({ warn: false, ...on })
  try {
    const t0 = process.hrtime.bigint()
    for (let done = 0; done < CONNS; done += BATCH) await batch(port, BATCH)
    return Number(process.hrtime.bigint() - t0) / 1000 / CONNS
  } finally {
    if (on) leakguard.stop()
  }
}

async function checkMs(size) {
  leakguard.start({ warn: false })
  const members = []
  if (size > 0) {
    const arr = leakguard.trackSet([], 'arr', { isClosed: (m) => m.closed })
    const set = leakguard.trackSet(new Set(), 'set', { isClosed: (m) => m.closed })
    for (let i = 0; i < size; i++) {
      const m = { closed: false }
      arr.push(m)
      set.add(m)
    }
    members.push(arr, set)
  }
  await leakguard.check({ gc: false }) // warm up
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < 20; i++) await leakguard.check({ gc: false })
  const ms = Number(process.hrtime.bigint() - t0) / 1e6 / 20
  leakguard.stop()
  return ms
}

async function main() {
  const server = net.createServer((s) => {
    s.resume()
    s.on('end', () => s.end())
  })
  await new Promise((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address()
  const configs = [
    ['plain', false],
    ['leakguard, stacks off', { stacks: 'off' }],
    ['leakguard, default options', {}],
  ]
  const results = configs.map(() => [])
  for (const [, on] of configs) await connections(port, on) // warm up
  for (let r = 0; r < ROUNDS; r++) {
    for (let i = 0; i < configs.length; i++) results[i].push(await connections(port, configs[i][1]))
  }
  server.close()
  const p = median(results[0])
  console.log(`${CONNS} TCP connections opened and closed on 127.0.0.1, median of ${ROUNDS} interleaved rounds (node ${process.version})`)
  console.log('(with leakguard both sockets are watched from close; the listeners instrumentation also')
  console.log(' sees every internal on() of a socket, and with stacks on captures a stack for each)')
  console.log('configuration                 µs/connection   vs plain')
  configs.forEach(([name], i) => {
    const us = median(results[i])
    console.log(`${name.padEnd(30)}${us.toFixed(1).padStart(13)}   ${(us / p).toFixed(2)}x`)
  })

  const empty = await checkMs(0)
  console.log('\ncheck({ gc: false }) with a tracked Array and Set of N members (mean of 20)')
  console.log('tracked members              ms/check   vs nothing tracked')
  console.log(`${'none'.padEnd(28)}${empty.toFixed(3).padStart(9)}   1.00x`)
  for (const n of [100, 10_000, 100_000]) {
    const ms = await checkMs(n)
    console.log(`${`2 x ${n}`.padEnd(28)}${ms.toFixed(3).padStart(9)}   ${(ms / empty).toFixed(2)}x`)
  }
}

main().catch((err) => {
  console.error(err)
  process.exitCode = 1
})
