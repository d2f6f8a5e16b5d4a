'use strict'
const leakguard = require('../index')
const { startServer } = require('../examples/websocket-server/server')
const { churn, drained } = require('../examples/websocket-server/client')

const CONNECTIONS = 300

afterEach(() => leakguard.stop())

async function run({ leaky, track }) {
  leakguard.start({ warn: false, graceMs: 0 })
  const app = await startServer({ leaky, track })
  try {
    await churn(app.port, { count: CONNECTIONS, batch: 50 })
    await drained(app.server)
    const leaks = await leakguard.check()
    return { leaks, app }
  } finally {
    await app.close()
  }
}

test('leaky ws server, tracked: a collection finding names the Set and counts every closed connection', async () => {
  const { leaks, app } = await run({ leaky: true, track: true })
  const found = leaks.filter((l) => l.kind === 'collection')
  expect(found).toHaveLength(1)
  expect(found[0]).toMatchObject({ code: 'LEAKGUARD_COLLECTION', name: 'connections', count: CONNECTIONS, size: CONNECTIONS })
  expect(found[0].message).toContain(`Set 'connections' holds ${CONNECTIONS} closed sockets (of ${CONNECTIONS})`)
  expect(found[0].site).toMatch(/examples\/websocket-server\/server\.js:\d+:\d+$/)
  expect(app.connections).toBeInstanceOf(Set)
})

test('leaky ws server, untracked: the closed WebSockets are retained findings', async () => {
  const { leaks } = await run({ leaky: true, track: false })
  const ws = leaks.find((l) => l.kind === 'retained' && l.description === 'closed WebSocket')
  expect(ws).toBeDefined()
  expect(ws.code).toBe('LEAKGUARD_RETAINED')
  expect(ws.count).toBe(CONNECTIONS)
  const targets = ws[Symbol.for('leakguard.targets')]
  expect(Object.keys(ws)).not.toContain(Symbol.for('leakguard.targets'))
  expect(targets.length).toBeGreaterThan(0)
  expect(targets.length).toBeLessThanOrEqual(8)
  expect(typeof targets[0].deref).toBe('function') // a weak reference (the addon's NativeWeakRef)
  expect(targets[0].deref().readyState).toBe(3)
})

test('fixed ws server is silent, tracked or not', async () => {
  for (const track of [true, false]) {
    const { leaks } = await run({ leaky: false, track })
    expect(leaks).toEqual([])
    leakguard.stop()
  }
})
