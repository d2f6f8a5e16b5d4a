'use strict'
// The tracking itself retains nothing: 10,000 sockets opened, closed and dropped with leakguard
// on (automatic closed-socket watching, a tracked Set the server cleans) leave the heap used
// after GC back at its baseline, within a generous margin.
const net = require('node:net')
const leakguard = require('../index')

const TOTAL = 10000
const BATCH = 250
// measured: +2.5 MB after 10,000 sockets; keeping them costs ~6 KB per connection (~60 MB)
const MARGIN = 12 * 1024 * 1024

afterAll(() => leakguard.stop())

function churn(port, count, keep) {
  return new Promise((resolve, reject) => {
    let closed = 0
    for (let i = 0; i < count; i++) {
      const c = net.connect(port, '127.0.0.1', () => c.end())
      if (keep) keep.push(c)
      c.on('error', reject)
      c.resume()
      c.on('close', () => {
        if (++closed === count) resolve()
      })
    }
  })
}

async function heapAfterGC() {
  await leakguard.check({ warn: false, graceMs: 0 })
  await leakguard.check({ warn: false, graceMs: 0 })
  return process.memoryUsage().heapUsed
}

async function run(total, keep) {
  for (let done = 0; done < total; done += BATCH) await churn(port, BATCH, keep)
}

let server
let port
let live

beforeAll(async () => {
  leakguard.start({ warn: false, graceMs: 0 })
  live = leakguard.trackSet(new Set(), 'live')
  server = net.createServer((s) => {
    live.add(s)
    s.on('close', () => live.delete(s))
    s.resume()
    s.on('end', () => s.end())
  })
  await new Promise((r) => server.listen(0, '127.0.0.1', r))
  port = server.address().port
})

afterAll(() => new Promise((r) => server.close(r)))

test(`${TOTAL} sockets opened, closed and dropped leave the heap at baseline`, async () => {
  await run(1000) // warm-up: lazily created internals exist before the baseline
  const before = await heapAfterGC()
  await run(TOTAL)
  while (live.size > 0) await new Promise((r) => setTimeout(r, 10))
  const after = await heapAfterGC()
  const leaks = await leakguard.check({ warn: false, graceMs: 0 })
  expect(leaks).toEqual([])
  expect(after - before).toBeLessThan(MARGIN)
})

test('control: the same measurement sees sockets that are kept', async () => {
  const kept = []
  const before = await heapAfterGC()
  await run(2000, kept)
  const after = await heapAfterGC()
  expect(after - before).toBeGreaterThan(4 * 1024 * 1024) // measured ~12 MB
  const leaks = await leakguard.check({ warn: false, graceMs: 0 })
  expect(leaks.find((l) => l.kind === 'retained').count).toBe(2000)
  expect(kept).toHaveLength(2000)
})
