'use strict'

const http = require('node:http')
const { EventEmitter, once } = require('node:events')
const leakguard = require('../index')
const { siteOf, fromFile } = require('./helpers')

const quiet = { warn: false }

afterEach(() => leakguard.stop())

function listen(server) {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)))
}

function request(port, body) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', agent: false }, (res) => {
      res.resume()
      res.on('end', resolve)
    })
    req.on('error', reject)
    req.end(body)
  })
}

describe('listener leaks on real emitters', () => {
  test('a handler per request on a shared emitter is found, with the line that added it', async () => {
    leakguard.start(quiet)
    const bus = new EventEmitter()
    bus.setMaxListeners(0)
    const server = http.createServer((req, res) => {
      bus.on('config', () => req.url) // @site per-request
      res.end('ok')
    })
    const port = await listen(server)
    for (let i = 0; i < 25; i++) await request(port, 'x')
    server.close()

    const leaks = fromFile(await leakguard.check(), __filename)
    expect(leaks).toHaveLength(1)
    const [leak] = leaks
    expect(leak).toMatchObject({ kind: 'listeners', code: 'LEAKGUARD_LISTENERS', emitter: 'EventEmitter', event: 'config', count: 25, removed: 0 })
    expect(leak.site.startsWith(siteOf(__filename, 'per-request'))).toBe(true)
    expect(leak.message).toMatch(/^leaked 25 listeners for 'config' on EventEmitter, added at __tests__\/listeners\.test\.js:\d+:\d+; none were removed$/)
    void bus // the bus stays alive until here
  })

  test("the seed's add-then-remove pattern on real requests is silent", async () => {
    leakguard.start({ ...quiet, threshold: 1 })
    let handled = 0
    // the server lives in this function only: once closed and dropped, its own listeners go too
    async function serve() {
      const server = http.createServer((req, res) => {
        const chunks = []
        const dataHandler = (data) => chunks.push(data)
        req.on('data', dataHandler)
        req.on('end', () => {
          req.removeListener('data', dataHandler)
          handled++
          res.end(String(chunks.length))
        })
      })
      const port = await listen(server)
      for (let i = 0; i < 30; i++) await request(port, 'payload')
      server.close()
      await once(server, 'close')
    }
    await serve()
    expect(handled).toBe(30)
    expect(fromFile(await leakguard.check(), __filename)).toEqual([])
  })

  test('thousands of short-lived emitters that die with their listeners are silent', async () => {
    leakguard.start({ ...quiet, threshold: 1 })
    let refs = []
    for (let i = 0; i < 5000; i++) {
      const e = new EventEmitter()
      for (let j = 0; j < 3; j++) e.on('tick', () => j)
      if (i % 500 === 0) refs.push(new WeakRef(e))
    }
    const leaks = fromFile(await leakguard.check(), __filename)
    expect(leaks).toEqual([])
    // and leakguard did not keep them alive
    expect(refs.filter((r) => r.deref() !== undefined)).toEqual([])
    refs = null
  })

  test('an AbortSignal collecting listeners is found', async () => {
    leakguard.start(quiet)
    const controller = new AbortController()
    const { setMaxListeners } = require('node:events')
    setMaxListeners(0, controller.signal)
    for (let i = 0; i < 12; i++) {
      controller.signal.addEventListener('abort', () => i) // @site abort
    }
    const leaks = fromFile(await leakguard.check(), __filename)
    expect(leaks).toHaveLength(1)
    expect(leaks[0]).toMatchObject({ emitter: 'AbortSignal', event: 'abort', count: 12 })
    expect(leaks[0].site.startsWith(siteOf(__filename, 'abort'))).toBe(true)
    // abort() does not remove plain 'abort' listeners: a signal that stays alive still holds them
    controller.abort()
    expect(fromFile(await leakguard.check(), __filename)).toHaveLength(1)
    // the fix: { once: true } listeners are removed when the signal fires
    const fixed = new AbortController()
    for (let i = 0; i < 12; i++) fixed.signal.addEventListener('abort', () => i, { once: true })
    fixed.abort()
    const after = fromFile(await leakguard.check(), __filename)
    expect(after.map((l) => l.count)).toEqual([12]) // only the first signal's
    void controller
  })

  test("EventTarget listeners removed through { once: true } and { signal } are not counted", async () => {
    leakguard.start({ ...quiet, threshold: 1 })
    const target = new EventTarget()
    const ac = new AbortController()
    for (let i = 0; i < 5; i++) target.addEventListener('ping', () => i, { once: true })
    for (let i = 0; i < 5; i++) target.addEventListener('pong', () => i, { signal: ac.signal })
    target.dispatchEvent(new Event('ping'))
    ac.abort()
    expect(fromFile(await leakguard.check(), __filename)).toEqual([])
    target.addEventListener('kept', () => 1) // @site kept
    const leaks = fromFile(await leakguard.check(), __filename)
    expect(leaks).toHaveLength(1)
    expect(leaks[0]).toMatchObject({ emitter: 'EventTarget', event: 'kept', count: 1 })
  })

  test('once() listeners count until they fire; removeAllListeners() clears them', async () => {
    leakguard.start({ ...quiet, threshold: 1 })
    const e = new EventEmitter()
    e.once('ready', () => 1) // fires below
    e.once('never', () => 2) // @site never
    e.prependOnceListener('never', () => 3) // @site never-prepended
    e.emit('ready')
    let leaks = fromFile(await leakguard.check(), __filename)
    expect(leaks.map((l) => [l.event, l.count, l.removed])).toEqual([
      ['never', 1, 0],
      ['never', 1, 0],
    ])
    expect(leaks.every((l) => l.once === true && l.message.startsWith("leaked 1 once-listener (never fired) for 'never'"))).toBe(true)
    const sites = leaks.map((l) => l.site)
    expect(sites.some((s) => s.startsWith(siteOf(__filename, 'never')))).toBe(true)
    expect(sites.some((s) => s.startsWith(siteOf(__filename, 'never-prepended')))).toBe(true)

    for (let i = 0; i < 4; i++) e.on('data', () => i)
    e.removeAllListeners('data')
    e.removeAllListeners()
    leaks = fromFile(await leakguard.check(), __filename)
    expect(leaks).toEqual([])
  })

  test('removed counts are reported beside what is left', async () => {
    leakguard.start({ ...quiet, threshold: 1 })
    const e = new EventEmitter()
    const fns = []
    for (let i = 0; i < 6; i++) {
      const fn = () => i
      fns.push(fn)
      e.addListener('job', fn)
    }
    e.off('job', fns[0])
    e.removeListener('job', fns[1])
    const [leak] = fromFile(await leakguard.check(), __filename)
    expect(leak).toMatchObject({ event: 'job', count: 4, removed: 2 })
    expect(leak.message).toMatch(/; 2 removed$/)
  })

  test('baseline() makes later checks count only what is new', async () => {
    leakguard.start({ ...quiet, threshold: 1 })
    const e = new EventEmitter()
    for (let i = 0; i < 3; i++) e.on('old', () => i)
    leakguard.baseline()
    expect(fromFile(await leakguard.check(), __filename)).toEqual([])
    e.on('new', () => 0)
    const leaks = fromFile(await leakguard.check(), __filename)
    expect(leaks.map((l) => l.event)).toEqual(['new'])
  })

  test('listeners added before start() are not counted; listeners() lists live groups', async () => {
    const e = new EventEmitter()
    e.on('before', () => 0)
    leakguard.start({ ...quiet, threshold: 1 })
    e.on('after', () => 1) // @site after
    e.on('after', () => 2) // @site after
    // two lines, two add-sites: two findings of one listener each
    expect(fromFile(await leakguard.check(), __filename).map((l) => [l.event, l.count])).toEqual([
      ['after', 1],
      ['after', 1],
    ])
    const groups = leakguard.listeners().filter((g) => g.site && g.site.startsWith(`${__filename}:`))
    expect(groups).toHaveLength(2)
    expect(groups.every((g) => g.emitter === 'EventEmitter' && g.event === 'after' && g.count === 1)).toBe(true)
  })

  test("stacks: 'off' still finds the leak and says the site was not captured", async () => {
    leakguard.start({ ...quiet, stacks: 'off', threshold: 3 })
    const e = new EventEmitter()
    for (let i = 0; i < 3; i++) e.on('quiet', () => i)
    const leaks = (await leakguard.check()).filter((l) => l.event === 'quiet')
    expect(leaks).toHaveLength(1)
    expect(leaks[0].site).toBeNull()
    expect(leaks[0].message).toContain('add-site not captured')
  })

  test('symbol event names are shown as Symbol(name)', async () => {
    leakguard.start({ ...quiet, threshold: 2 })
    const e = new EventEmitter()
    const ev = Symbol('tick')
    e.on(ev, () => 1)
    e.on(ev, () => 2)
    const [leak] = fromFile(await leakguard.check(), __filename)
    expect(leak.event).toBe('Symbol(tick)')
  })
})

describe('who added it, and where it lives', () => {
  test("addedBy: Node's own listeners (createServer, an http.Agent) apart from the app's", async () => {
    leakguard.start({ ...quiet, threshold: 1 })
    const agent = new http.Agent({ keepAlive: true })
    const server = http.createServer((req, res) => res.end('ok'))
    server.on('request', () => {}) // @site app-request
    const port = await listen(server)
    await new Promise((resolve, reject) => http.get({ host: '127.0.0.1', port, agent }, (res) => res.resume().on('end', resolve)).on('error', reject))
    const mine = fromFile(await leakguard.check({ addedBy: ['app'] }), __filename)
    expect(mine.map((l) => `${l.emitter} ${l.event}`)).toEqual(['Server request'])
    expect(mine[0].site.startsWith(siteOf(__filename, 'app-request'))).toBe(true)
    // Node added the 'connection' and 'request' (the handler given to createServer) listeners
    const all = fromFile(await leakguard.check({ addedBy: ['app', 'package', 'node'] }), __filename).map((l) => `${l.emitter} ${l.event}`)
    expect(all).toEqual(expect.arrayContaining(['Server request', 'Server connection']))
    agent.destroy()
    await new Promise((r) => server.close(r))
  })

  test('closedEmitters: false passes over a destroyed socket and a server that stopped listening', async () => {
    leakguard.start({ ...quiet, threshold: 1 })
    const server = http.createServer((req, res) => res.end('ok'))
    server.on('checkContinue', () => {})
    const port = await listen(server)
    const socket = require('node:net').connect(port, '127.0.0.1')
    socket.on('data', () => {})
    await once(socket, 'connect')
    const open = fromFile(await leakguard.check({ closedEmitters: false }), __filename).map((l) => `${l.emitter} ${l.event}`)
    expect(open).toEqual(expect.arrayContaining(['Server checkContinue', 'Socket data']))
    socket.destroy()
    await new Promise((r) => server.close(r))
    expect(fromFile(await leakguard.check({ closedEmitters: false }), __filename)).toEqual([])
    // counted again when asked: the server is alive, its listener with it
    expect(fromFile(await leakguard.check({ closedEmitters: true, addedBy: ['app'] }), __filename).map((l) => l.event)).toContain('checkContinue')
    void socket
  })

  test('one handler on two emitters: each emitter keeps its own record of it', async () => {
    const a = new EventEmitter()
    const b = new EventEmitter()
    const handler = () => {}
    leakguard.start({ ...quiet, threshold: 1 })
    a.on('x', handler) // before the baseline: not counted
    leakguard.baseline()
    b.on('x', handler) // @site shared-b
    const leaks = fromFile(await leakguard.check(), __filename)
    expect(leaks).toHaveLength(1)
    expect(leaks[0].site.startsWith(siteOf(__filename, 'shared-b'))).toBe(true)
    expect(leaks[0].message).toContain('none were removed')
    void a
  })
  test("code run by `node -e` is the app's: its leak is found at its [eval] line (it was taken for Node's own)", () => {
    const { execFileSync } = require('node:child_process')
    const code = [
      `const leakguard = require(${JSON.stringify(require.resolve('../index'))})`,
      "const { EventEmitter } = require('node:events')",
      'leakguard.start({ warn: false })',
      'const bus = new EventEmitter()',
      'setTimeout(async () => {',
      "  for (let i = 0; i < 20; i++) bus.on('tick', () => i)",
      "  const leaks = (await leakguard.check()).filter((l) => l.kind === 'listeners')",
      '  process.stdout.write(JSON.stringify(leaks.map(({ event, count, site }) => ({ event, count, site }))))',
      '}, 1)',
    ]
    const out = execFileSync(process.execPath, ['-e', code.join('\n')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
    const column = code[5].indexOf('bus.on') + 'bus.'.length + 1 // V8 names the call by its property
    expect(JSON.parse(out)).toEqual([{ event: 'tick', count: 20, site: `[eval]:6:${column}` }])
  })
})

describe('warnings', () => {
  test('each finding is emitted once as a LeakWarning with its code (real process)', () => {
    const { execFileSync } = require('node:child_process')
    const path = require('node:path')
    const fixture = path.join(__dirname, 'fixtures', 'listeners', 'warn-once.js')
    const out = execFileSync(process.execPath, [fixture], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
    const warnings = JSON.parse(out)
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatchObject({ name: 'LeakWarning', code: 'LEAKGUARD_LISTENERS', kind: 'listeners', event: 'warned', count: 3, isLeakWarning: true })
    expect(warnings[0].site).toMatch(/warn-once\.js:\d+:\d+$/)
  })

  test('onLeak replaces process.emitWarning; a throwing onLeak does not break check()', async () => {
    const seen = []
    leakguard.start({ threshold: 1, onLeak: (l) => seen.push(l) })
    const e = new EventEmitter()
    e.on('cb', () => 0)
    await leakguard.check()
    expect(seen.filter((l) => l.event === 'cb')).toHaveLength(1)
    e.on('cb2', () => 0)
    const leaks = await leakguard.check({
      onLeak: () => {
        throw new Error('boom')
      },
    })
    expect(leaks.some((l) => l.event === 'cb2')).toBe(true)
  })
})

describe('stop()', () => {
  const names = ['on', 'addListener', 'prependListener', 'once', 'prependOnceListener', 'off', 'removeListener', 'removeAllListeners']
  const descriptors = () => [
    ...names.map((n) => Object.getOwnPropertyDescriptor(EventEmitter.prototype, n)),
    ...['addEventListener', 'removeEventListener'].map((n) => Object.getOwnPropertyDescriptor(EventTarget.prototype, n)),
  ]

  test('restores every prototype method exactly', () => {
    const before = descriptors()
    leakguard.start()
    leakguard.start() // idempotent
    expect(EventEmitter.prototype.on).not.toBe(before[0].value)
    expect(EventEmitter.prototype.addListener).toBe(EventEmitter.prototype.on)
    expect(EventTarget.prototype.addEventListener).not.toBe(before[8].value)
    leakguard.stop()
    const after = descriptors()
    after.forEach((d, i) => expect(d).toEqual(before[i]))
    after.forEach((d, i) => expect(d.value).toBe(before[i].value))
    leakguard.stop() // stopping twice is harmless
  })

  test('wrapped methods behave like the originals (return values, errors, this)', () => {
    leakguard.start()
    const e = new EventEmitter()
    expect(e.on('x', () => 0)).toBe(e)
    expect(e.once('x', () => 0)).toBe(e)
    expect(() => e.on('x', 'not a function')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }))
    expect(e.listenerCount('x')).toBe(2)
    const t = new EventTarget()
    expect(t.addEventListener('y', null)).toBeUndefined()
  })
})

describe('bad arguments', () => {
  test.each([
    [() => leakguard.start('yes'), TypeError, /"options" argument must be of type object/],
    [() => leakguard.start({ stacks: 'sometimes' }), TypeError, /"options.stacks" argument must be one of: 'always', 'sampled', 'off'/],
    [() => leakguard.start({ threshold: 0 }), RangeError, /"options.threshold" is out of range/],
    [() => leakguard.start({ threshold: 1.5 }), RangeError, /must be an integer/],
    [() => leakguard.start({ stackSampleRate: 0 }), RangeError, /"options.stackSampleRate" is out of range/],
    [() => leakguard.start({ sampleRate: 2 }), RangeError, /"options.sampleRate" is out of range/],
    [() => leakguard.start({ onLeak: 'log' }), TypeError, /"options.onLeak" argument must be of type function/],
    [() => leakguard.start({ stack: 'off' }), TypeError, /unknown property "stack"/],
  ])('%# start() rejects bad options', (fn, type, message) => {
    expect(fn).toThrow(type)
    expect(fn).toThrow(message)
    expect(leakguard.isStarted()).toBe(false)
  })

  test('check() validates its options and needs start()', async () => {
    await expect(leakguard.check()).rejects.toMatchObject({ code: 'ERR_LEAKGUARD_NOT_STARTED' })
    expect(() => leakguard.baseline()).toThrow(/called before leakguard.start\(\)/)
    leakguard.start(quiet)
    await expect(leakguard.check({ gc: 'yes' })).rejects.toThrow(TypeError)
    await expect(leakguard.check({ threshold: -1 })).rejects.toThrow(RangeError)
    await expect(leakguard.check(null)).rejects.toThrow(/"options" argument must be of type object. Received null/)
  })

  test('TrendEngine rejects out-of-range knobs with the knob named', () => {
    expect(() => new leakguard.TrendEngine({ segments: 1 })).toThrow(/segments/)
    expect(() => new leakguard.TrendEngine({ regrowFactor: 0.5 })).toThrow(/regrowFactor/)
    const engine = new leakguard.TrendEngine()
    expect(() => engine.observe(0, new Uint32Array([1, 2]), new Float64Array([1]))).toThrow(/same length/)
  })
})

describe('trend engine from JavaScript', () => {
  test('steady growth is reported once, again only when it grows markedly faster; a sawtooth never', () => {
    const engine = new leakguard.TrendEngine()
    const reports = []
    for (let i = 0; i < 30; i++) {
      const keys = new Uint32Array([1, 2, 3])
      // 3: steady for 15 samples, then four times as fast
      const values = new Float64Array([10 + i, (i % 4) * 10, i < 15 ? i : 15 + (i - 15) * 4])
      reports.push(...engine.observe(i * 10_000, keys, values))
    }
    expect(reports.map((r) => [r.key, r.repeat])).toEqual([
      [1, false],
      [3, false],
      [3, true],
    ])
    expect(reports[0]).toMatchObject({ from: 10, to: 15, ratePerMinute: 6 })
    expect(engine.size).toBe(3)
  })
})
