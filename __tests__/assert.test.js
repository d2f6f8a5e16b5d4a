'use strict'

const { spawnSync } = require('node:child_process')
const path = require('node:path')
const { EventEmitter } = require('node:events')
const leakguard = require('../index')
const { siteOf } = require('./helpers')

afterEach(() => leakguard.stop())

describe('assertNoLeaks(fn)', () => {
  const bus = new EventEmitter()

  test('throws an AssertionError naming the leak and its line', async () => {
    const err = await leakguard
      .assertNoLeaks(async function subscribe() {
        await new Promise((r) => setTimeout(r, 1))
        bus.on('update', () => {}) // @site assert-leak
      })
      .catch((e) => e)
    expect(err).toMatchObject({ name: 'AssertionError', code: 'ERR_ASSERTION', operator: 'assertNoLeaks' })
    expect(err.message).toContain('subscribe() leaked:')
    expect(err.message).toContain("leaked 1 listener for 'update' on EventEmitter, added at __tests__/assert.test.js:")
    expect(err.leaks[0].site.startsWith(siteOf(__filename, 'assert-leak'))).toBe(true)
    expect(leakguard.isStarted()).toBe(false) // it started leakguard for the call only
  })

  test('passes for add-then-remove and leaves a started session started', async () => {
    leakguard.start({ warn: false })
    await leakguard.assertNoLeaks(() => {
      const fn = () => {}
      bus.on('update', fn)
      bus.removeListener('update', fn)
    })
    expect(leakguard.isStarted()).toBe(true)
  })

  test('timers left running are leaks; setTimeout/setInterval are restored exactly', async () => {
    const before = [globalThis.setTimeout, globalThis.setInterval]
    let interval
    const err = await leakguard
      .assertNoLeaks(() => {
        interval = setInterval(() => {}, 250) // @site assert-interval
      })
      .catch((e) => e)
    clearInterval(interval)
    expect(err.message).toContain('left 1 interval running (every 250 ms), created at __tests__/assert.test.js:')
    expect(err.leaks[0]).toMatchObject({ kind: 'timers', code: 'LEAKGUARD_TIMERS', count: 1 })
    expect([globalThis.setTimeout, globalThis.setInterval]).toEqual(before)
    expect(globalThis.setTimeout).toBe(before[0])
  })

  test("fetch()'s own timers (Node's bundled undici) are not the app's; a timer the app starts beside it is", () => {
    const run = (arg) => {
      const r = spawnSync(process.execPath, [path.join(__dirname, 'fixtures', 'timers', 'fetch.js'), arg], { encoding: 'utf8', timeout: 30000 })
      expect(r.status).toBe(0)
      return JSON.parse(r.stdout.trim().split('\n').pop())
    }
    expect(run('fetch-only')).toEqual([])
    const own = run('own-timer')
    expect(own).toHaveLength(1)
    expect(own[0].message).toMatch(/^left 1 timeout pending \(60000 ms\), created at __tests__\/fixtures\/timers\/fetch\.js:\d+:\d+$/)
  })

  test('inside a running session the block is judged on its own; the session still sees its own leaks', async () => {
    leakguard.start({ warn: false, threshold: 1 })
    leakguard.baseline()
    const outer = () => {}
    bus.on('outer', outer) // @site assert-outer
    const err = await leakguard.assertNoLeaks(() => bus.on('inner', () => {})).catch((e) => e)
    expect(err.message).toContain("leaked 1 listener for 'inner'")
    expect(err.message).not.toContain("'outer'")
    const after = (await leakguard.check({ threshold: 1 })).filter((l) => l.event === 'outer' || l.event === 'inner')
    expect(after.map((l) => l.event)).toEqual(['outer']) // the block's leak was the block's
    expect(after[0].site.startsWith(siteOf(__filename, 'assert-outer'))).toBe(true)
    bus.removeAllListeners('outer')
    bus.removeAllListeners('inner')
    leakguard.stop()
  })

  test('a server left listening and a client socket left open are handles findings', async () => {
    const http = require('node:http')
    const net = require('node:net')
    const listen = net.Server.prototype.listen
    let server
    let socket
    const err = await leakguard
      .assertNoLeaks(async () => {
        server = http.createServer()
        await new Promise((r) => server.listen(0, '127.0.0.1', r)) // @site assert-server
        socket = net.connect(server.address().port, '127.0.0.1') // @site assert-socket
        await new Promise((r) => socket.on('connect', r))
      })
      .catch((e) => e)
    const port = server.address().port
    socket.destroy()
    await new Promise((r) => server.close(r))
    const handles = err.leaks.filter((l) => l.kind === 'handles')
    expect(handles.map((l) => l.code)).toEqual(['LEAKGUARD_HANDLES', 'LEAKGUARD_HANDLES'])
    expect(err.message).toContain(`left 1 server listening (Server on 127.0.0.1:${port}), listen() called at __tests__/assert.test.js:`)
    expect(err.message).toContain(`left 1 socket open (Socket to 127.0.0.1:${port}), connected at __tests__/assert.test.js:`)
    expect(handles.find((l) => l.message.includes('server')).site.startsWith(siteOf(__filename, 'assert-server'))).toBe(true)
    expect(handles.find((l) => l.message.includes('socket')).site.startsWith(siteOf(__filename, 'assert-socket'))).toBe(true)
    expect(net.Server.prototype.listen).toBe(listen) // restored exactly when assertNoLeaks stopped
  })

  test('a finished request counts as the integrations count it: Node\'s listeners and those on done emitters are not leaks, a socket the function keeps is', async () => {
    const http = require('node:http')
    const server = http.createServer((req, res) => res.end('ok'))
    await new Promise((r) => server.listen(0, '127.0.0.1', r))
    const { port } = server.address()
    let kept = null
    const request = (keep) =>
      new Promise((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port, agent: false }, (res) => {
          res.resume()
          res.on('end', resolve)
        })
        req.on('error', reject) // stays on the finished request: Node never removes it
        req.end()
        if (keep) kept = req
      })
    try {
      await leakguard.assertNoLeaks(() => request(false))
      // the request kept by a variable the function wrote: its socket is held, its listeners
      // (Node's on the Agent and Socket, ours on the request and response) are not leaks
      const err = await leakguard.assertNoLeaks(() => request(true)).catch((e) => e)
      expect(err).toMatchObject({ name: 'AssertionError' })
      expect(err.leaks.map((l) => l.kind)).toEqual(['retained'])
      expect(err.message).toContain("1 object 'closed Socket' still reachable after a GC")
      expect(kept.destroyed).toBe(true)
      await expect(leakguard.assertNoLeaks(() => {}, { addedBy: ['kernel'] })).rejects.toThrow(TypeError)
      await expect(leakguard.assertNoLeaks(() => {}, { addedBy: 'app' })).rejects.toThrow(TypeError)
    } finally {
      kept = null
      await new Promise((r) => server.close(r))
    }
  })

  test('addedBy widens whose listeners count', async () => {
    const { Readable } = require('node:stream')
    const src = Readable.from(['a'])
    // pipe() adds Node's own listeners to the source (its 'data', 'end'...), on an emitter left open
    const sink = new (require('node:stream').Writable)({ write: (c, e, cb) => setTimeout(cb, 1e6).unref() })
    await leakguard.assertNoLeaks(() => void src.pipe(sink), { kinds: ['listeners'] })
    const err = await leakguard.assertNoLeaks(() => void src.pipe(sink), { kinds: ['listeners'], addedBy: ['app', 'node'] }).catch((e) => e)
    expect(err).toMatchObject({ name: 'AssertionError' })
    expect(err.leaks.length).toBeGreaterThan(0)
    src.destroy()
    sink.destroy()
  })

  test('kinds selects what counts; bad arguments are TypeErrors', async () => {
    await leakguard.assertNoLeaks(() => bus.on('ignored', () => {}), { kinds: ['global'] })
    await expect(leakguard.assertNoLeaks('fn')).rejects.toThrow(/"fn" argument must be of type function/)
    await expect(leakguard.assertNoLeaks(() => {}, { kinds: ['heap'] })).rejects.toThrow(TypeError)
    await expect(leakguard.assertNoLeaks(() => {}, { retries: -1 })).rejects.toThrow(RangeError)
  })
})

test('the node:test recipe fails the leaky test with its line and passes the clean one', () => {
  const suite = path.join(__dirname, 'fixtures', 'node-test', 'suite.js')
  const r = spawnSync(process.execPath, ['--test', '--test-reporter=tap', suite], { encoding: 'utf8', timeout: 60000 })
  expect(r.status).toBe(1)
  expect(r.stdout).toMatch(/not ok \d+ - leaky test/)
  expect(r.stdout).toMatch(/\nok \d+ - clean test/)
  const site = path.relative(process.cwd(), siteOf(suite, 'node-test-leak'))
  expect(r.stdout).toContain(`leaked 1 listener for 'job' on EventEmitter, added at ${site}`)
})
