'use strict'
const http2 = require('node:http2')
const leakguard = require('../index')

afterEach(() => leakguard.stop())

async function run({ leaky }) {
  leakguard.start({ warn: false, graceMs: 0 })
  const sessions = leakguard.trackSet(new Set(), 'sessions')
  let closed = 0
  const server = http2.createServer()
  server.on('session', (session) => {
    sessions.add(session)
    session.on('close', () => {
      closed++
      if (!leaky) sessions.delete(session)
    })
  })
  server.on('stream', (stream) => stream.respond({ ':status': 200 }, { endStream: true }))
  await new Promise((r) => server.listen(0, '127.0.0.1', r))
  const url = `http://127.0.0.1:${server.address().port}`
  const N = 40
  await Promise.all(
    Array.from({ length: N }, () => new Promise((resolve, reject) => {
      const client = http2.connect(url)
      client.on('error', reject)
      const req = client.request({ ':path': '/' })
      req.on('response', () => {})
      req.resume()
      req.on('end', () => client.close(resolve))
      req.end()
    })),
  )
  while (closed < N) await new Promise((r) => setTimeout(r, 20))
  const leaks = (await leakguard.check()).filter((l) => l.kind === 'collection')
  await new Promise((r) => server.close(r))
  return { leaks, N }
}

test('closed http2 sessions kept in a tracked Set are found', async () => {
  const { leaks, N } = await run({ leaky: true })
  expect(leaks).toHaveLength(1)
  expect(leaks[0]).toMatchObject({ name: 'sessions', count: N, size: N })
  expect(leaks[0].message).toContain(`Set 'sessions' holds ${N} closed http2 sessions (of ${N})`)
})

test('a Set that drops closed http2 sessions is silent', async () => {
  const { leaks } = await run({ leaky: false })
  expect(leaks).toEqual([])
})
