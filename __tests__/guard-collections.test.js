'use strict'
// Guard mode and tracked collections: guard samples every detector into trend engines of its
// own, built from its own options, so a growing collection is one LEAKGUARD_COLLECTION finding
// honouring guard's window/threshold, and check() running beside it keeps its own trend.

const { EventEmitter } = require('node:events')
const leakguard = require('../index')

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

afterEach(() => leakguard.stop())

/**
 * Grows `registry` by `step` every `every` ms for `ms`, calling `each` after each step. The steps
 * follow the clock, not the timer: a timer that fires late (a loaded machine) is caught up, so
 * the rate guard measures stays the same (a stall then a burst read as a doubled rate: a repeat).
 */
async function grow(registry, { ms, step, every = 20, each = () => {} }) {
  const start = Date.now()
  let n = registry.size
  let steps = 0
  while (Date.now() - start < ms) {
    const due = Math.floor((Date.now() - start) / every) + 1
    for (; steps < due; steps++) {
      for (let i = 0; i < step; i++) registry.set(`k${n++}`, { n })
      await each()
    }
    await sleep(every)
  }
}

describe('guard mode with a tracked collection', () => {
  test('a growing Map is exactly one collection growth finding, and a listener leak in the same samples is found too', async () => {
    const found = []
    const g = leakguard.guard({ interval: 40, window: 5, threshold: 20, heap: false, sampleRate: 1, onLeak: (l) => found.push(l) })
    const registry = leakguard.trackSet(new Map(), 'sessions')
    const bus = new EventEmitter()
    bus.setMaxListeners(0)
    try {
      await grow(registry, { ms: 1500, step: 10, each: () => { for (let i = 0; i < 10; i++) bus.on('tick', () => {}) } })
    } finally {
      g.stop()
    }
    const collection = found.filter((l) => l.kind === 'collection')
    expect(collection).toHaveLength(1)
    expect(collection[0]).toMatchObject({ code: 'LEAKGUARD_COLLECTION', name: 'sessions', repeat: false })
    expect(collection[0].ratePerMinute).toBeGreaterThan(0)
    expect(collection[0].message).toMatch(/^Map 'sessions' grew: \d+ -> \d+ members \(\+[\d.]+\/min\) \(registered at __tests__\/guard-collections\.test\.js:\d+:\d+\); nothing removes what it adds$/)
    expect(found.filter((l) => l.kind === 'listeners' && l.event === 'tick')).toHaveLength(1)
  })

  test("guard's threshold reaches collection growth: a rise below it is no finding", async () => {
    const found = []
    const g = leakguard.guard({ interval: 40, window: 5, threshold: 100000, heap: false, onLeak: (l) => found.push(l) })
    const registry = leakguard.trackSet(new Map(), 'sessions')
    try {
      await grow(registry, { ms: 800, step: 10 })
    } finally {
      g.stop()
    }
    expect(found.filter((l) => l.kind === 'collection')).toEqual([])
  })

  test("guard's window reaches collection growth: no finding before the window is full", async () => {
    const found = []
    // 40 ms samples, a window of 1000 samples: 40 s before anything can be judged
    const g = leakguard.guard({ interval: 40, window: 1000, threshold: 1, heap: false, onLeak: (l) => found.push(l) })
    const registry = leakguard.trackSet(new Map(), 'sessions')
    try {
      await grow(registry, { ms: 800, step: 10 })
    } finally {
      g.stop()
    }
    expect(found).toEqual([])
  })

  test('check() beside guard mode: each keeps its own trend and both report the growth once', async () => {
    leakguard.start({ warn: false })
    const fromGuard = []
    const g = leakguard.guard({ interval: 40, window: 5, threshold: 20, heap: false, onLeak: (l) => fromGuard.push(l) })
    const registry = leakguard.trackSet(new Map(), 'sessions')
    const fromCheck = []
    try {
      await grow(registry, {
        ms: 1500,
        step: 10,
        every: 30,
        each: async () => fromCheck.push(...(await leakguard.check({ gc: false, warn: false }))),
      })
    } finally {
      g.stop()
    }
    expect(leakguard.isStarted()).toBe(true) // guard did not own the session: it left it running
    expect(fromGuard.filter((l) => l.kind === 'collection')).toHaveLength(1)
    const checked = fromCheck.filter((l) => l.kind === 'collection')
    expect(checked.length).toBeGreaterThan(0)
    expect(checked[0]).toMatchObject({ name: 'sessions' })
    expect(checked[0].message).toContain("Map 'sessions' keeps growing")
  })
})
