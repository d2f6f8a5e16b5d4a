'use strict'
const net = require('node:net')
const http = require('node:http')
const leakguard = require('../index')

const N = 200

afterEach(() => leakguard.stop())

function listen(server) {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)))
}
const closeServer = (server) => new Promise((r) => server.close(() => r()))

async function netChurn(port, count) {
  for (let done = 0; done < count; done += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, count - done) }, () => new Promise((resolve, reject) => {
        const c = net.connect(port, '127.0.0.1', () => c.end('ping'))
        c.on('error', reject)
        c.on('close', resolve)
        c.resume()
      })),
    )
  }
}

async function netRun({ leaky }) {
  leakguard.start({ warn: false, graceMs: 0 })
  const sockets = leakguard.trackSet([], 'netSockets')
  let closed = 0
  const server = net.createServer((socket) => {
    sockets.push(socket)
    socket.on('data', () => {})
    socket.on('end', () => socket.end())
    socket.on('close', () => {
      closed++
      if (!leaky) sockets.splice(sockets.indexOf(socket), 1)
    })
  })
  const port = await listen(server)
  await netChurn(port, N)
  while (closed < N) await new Promise((r) => setTimeout(r, 20))
  let leaks = await leakguard.check()
  // A dropped client socket can outlive the first GC on a loaded machine (its handle is
  // released on a later tick): look again, briefly, before counting what is retained.
  const retained = () => leaks.find((l) => l.kind === 'retained')?.count ?? 0
  const expected = leaky ? N : 0 // the server side when it keeps them; nothing otherwise
  for (let i = 0; i < 5 && retained() > expected; i++) {
    await new Promise((r) => setTimeout(r, 50))
    leaks = await leakguard.check()
  }
  await closeServer(server)
  return leaks
}

test('plain net server keeping closed sockets in an Array: collection and retained findings', async () => {
  const leaks = await netRun({ leaky: true })
  const c = leaks.find((l) => l.kind === 'collection')
  expect(c).toMatchObject({ name: 'netSockets', count: N, size: N })
  expect(c.message).toContain(`Array 'netSockets' holds ${N} closed sockets (of ${N})`)
  const r = leaks.find((l) => l.kind === 'retained' && l.description === 'closed Socket')
  expect(r).toBeDefined()
  expect(r.count).toBe(N) // the server side; the client sockets were dropped
})

test('plain net server that removes closed sockets is silent', async () => {
  expect(await netRun({ leaky: false })).toEqual([])
})

async function httpRun({ leaky }) {
  leakguard.start({ warn: false, graceMs: 0 })
  const seen = leakguard.trackSet(new Map(), 'httpSockets')
  let closed = 0
  let id = 0
  const server = http.createServer((req, res) => res.end('ok'))
  server.on('connection', (socket) => {
    const key = id++
    seen.set(key, socket)
    socket.on('close', () => {
      closed++
      if (!leaky) seen.delete(key)
    })
  })
  const port = await listen(server)
  // keep-alive clients: several requests per socket, then the agents are destroyed
  for (let round = 0; round < N / 20; round++) {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 })
    await Promise.all(
      Array.from({ length: 12 }, () => new Promise((resolve, reject) => {
        http.get({ host: '127.0.0.1', port, agent }, (res) => {
          res.resume()
          res.on('end', resolve)
        }).on('error', reject)
      })),
    )
    agent.destroy()
  }
  while (closed < id) await new Promise((r) => setTimeout(r, 20))
  const leaks = await leakguard.check()
  await closeServer(server)
  return { leaks, sockets: id }
}

test('http keep-alive sockets kept in a Map after close: found with their count', async () => {
  const { leaks, sockets } = await httpRun({ leaky: true })
  expect(sockets).toBeGreaterThan(0)
  const c = leaks.find((l) => l.kind === 'collection')
  expect(c).toMatchObject({ name: 'httpSockets', count: sockets, size: sockets })
  expect(c.message).toContain(`Map 'httpSockets' holds ${sockets} closed sockets`)
  expect(leaks.find((l) => l.kind === 'retained' && l.description === 'closed Socket').count).toBe(sockets)
})

test('http keep-alive server that forgets closed sockets is silent', async () => {
  const { leaks } = await httpRun({ leaky: false })
  expect(leaks).toEqual([])
})
