// Public types of leakguard. Hand-written over the generated binding.d.ts.

import type { RetainerStep } from './binding'

/** The leak taxonomy: what leaks. */
export type LeakKind = 'listeners' | 'collection' | 'retained' | 'global' | 'heap' | 'timers'

/** A finding. Fields beyond `kind`, `code`, `message` and `count` depend on the kind. */
export interface Leak {
  kind: LeakKind
  /** `LEAKGUARD_<KIND>`, also the `code` of the `LeakWarning`. */
  code: string
  /** A sentence a person acts on: what leaked, how many, added where. */
  message: string
  /** How many things leaked. */
  count: number
  /** `listeners`: a label for the emitter: `'process'`, the constructor name (`'Server'`, `'AbortSignal'`, ...). */
  emitter?: string
  /** `listeners`: the event name (`Symbol(name)` for symbols). */
  event?: string
  /** `file:line:column` of the user's code that added the listener (null when no stack was captured). */
  site?: string | null
  /** `listeners`: removals seen on this emitter and event since the baseline. */
  removed?: number
  /** `collection`: the name given to `trackSet`; `global`: the property name. */
  name?: string
  /** `collection`: current size; `global`: elements / length / own keys of the value. */
  size?: number
  /** `retained`: the description given to `watch()`, or `'closed Socket'`, `'closed TLSSocket'`, `'closed WebSocket'` for automatic watching. */
  description?: string
  /** `global`: the type of the value: `'Array'`, `'Map'`, `'Set'`, `'object'`, `'string'`, a class name, ... */
  valueType?: string
  /** Growth findings (`collection`, `global`): growth per minute over the trend window. */
  ratePerMinute?: number
  /** `listeners`: true when they were added with `once()` / `{ once: true }` and never fired. */
  once?: boolean
  /** `retained` with `check({ explain: true })`: the retainer path of one of the objects, step by step from a GC root to the object. */
  retainers?: RetainerStep[]
  /** `retained` with `explain`: the same path as text, `(GC roots) → … → connections (Set) → table → [3] (WebSocket)`. */
  retainersText?: string
  /** `retained` with `explain`: the variable (or else the property) nearest to the objects on their path, e.g. `'connections'`; null when the path has none. Also named in `message`. */
  heldBy?: string | null
  /** `retained` with `explain`: how many of the finding's objects (at most 8 are kept) were found in the snapshot. */
  explained?: number
  /** `retained` with `explain`: why it could not be explained (the finding is still reported). */
  explainError?: string
  [field: string]: unknown
}

/** Options of `start()`. */
export interface StartOptions {
  /**
   * When to capture the add-site stack of a listener: on every add, on a random sample
   * (`stackSampleRate`), or never. Capturing dominates the cost of instrumentation.
   * @default 'always'
   */
  stacks?: 'always' | 'sampled' | 'off'
  /** With `stacks: 'sampled'`: the fraction of adds whose stack is captured, in (0, 1]. @default 0.05 */
  stackSampleRate?: number
  /** Fraction of adds that are tracked at all, in (0, 1]; guard mode lowers it. @default 1 */
  sampleRate?: number
  /** An emitter and event is a `listeners` finding once this many listeners added since the baseline are still registered. @default 10 */
  threshold?: number
  /** Called once per new finding instead of `process.emitWarning`. */
  onLeak?: (leak: Leak) => void
  /**
   * Report timeouts still pending and intervals still running that were created since the
   * baseline (`kind: 'timers'`). Wraps `globalThis.setTimeout`/`setInterval` while on; the test
   * integrations turn it on. @default false
   */
  timers?: boolean
  /** Emit findings as `LeakWarning`s through `process.emitWarning` (when no `onLeak`). @default true */
  warn?: boolean
  /** Watched objects (and closed sockets) are `retained` findings only once they are this many ms past `watch()` / their close. @default 1000 */
  graceMs?: number
}

/** Options of `check()`. */
export interface CheckOptions {
  /** Overrides `StartOptions.threshold` for this check. */
  threshold?: number
  /** Force a full garbage collection before looking, so only live objects count. @default true */
  gc?: boolean
  /** Overrides `StartOptions.onLeak` for this check. */
  onLeak?: (leak: Leak) => void
  /** Overrides `StartOptions.warn` for this check. */
  warn?: boolean
  /** Overrides `StartOptions.graceMs` for this check. */
  graceMs?: number
  /**
   * Explain `retained` findings: write a heap snapshot to a temporary 0600 file, find the
   * finding's objects in it, attach their retainer path (`retainers`, `retainersText`,
   * `heldBy`, named in `message` too) and delete the file. Blocks the event loop for the
   * snapshot (seconds on a large heap): for tests and on-demand diagnosis. @default false
   */
  explain?: boolean
}


/** Options of `trackSet()`. */
export interface TrackSetOptions {
  /** Says whether a member that leakguard does not know is closed (sockets, ws WebSockets and http2 sessions are known). A throwing predicate counts as "not closed". */
  isClosed?: (member: any) => boolean
}

/** A live listener group: listeners added since `start()` on one emitter, event and add-site. */
export interface ListenerGroup {
  emitter: string
  event: string
  count: number
  site: string | null
}

/** Installs the instrumentation. Idempotent: a second call applies new options. */
export function start(options?: StartOptions): void
/** Restores every patched prototype exactly (`===` the originals) and drops all tracking state. */
export function stop(): void
/** "From now on": later checks count only what is new. Throws when not started. */
export function baseline(): void
/** True between `start()` and `stop()`. */
export function isStarted(): boolean
/** Live listener groups added since `start()`, largest first. */
export function listeners(): ListenerGroup[]
/**
 * Runs every detector now (after a forced GC) and returns the findings. New findings are warned
 * once each as a `LeakWarning` (or passed to `onLeak`). Throws when not started.
 */
export function check(options?: CheckOptions): Promise<Leak[]>

/**
 * Registers a Set, a Map (its values) or an Array under `name` and returns the same object,
 * unchanged (no Proxy). Held weakly. Each `check()` counts its closed members (destroyed
 * `net.Socket`s, CLOSED ws WebSockets, closed http2 sessions, or `options.isClosed`) — inspecting
 * at most 2000 per check — and feeds its size to the trend engine. Throws a `TypeError` for
 * anything else.
 */
export function trackSet<T extends Set<any> | Map<any, any> | any[]>(collection: T, name: string, options?: TrackSetOptions): T
/**
 * Expects `object` to become garbage soon: it is held by a `WeakRef`, and a `check()` after the
 * grace period (`graceMs`) that still finds it alive after a GC reports it as a `retained`
 * finding, grouped by `description`. Throws when not started.
 */
export function watch(object: object, description: string): void

/**
 * Writes a heap snapshot of this process through V8's heap profiler and returns its absolute
 * path: `path`, or `heapdump-<ms>.<pid>.heapsnapshot` in the current directory. Blocks the event
 * loop while V8 serializes the heap (about as long as the heap is large: seconds for hundreds of
 * MB). The file is created with mode 0600 (a snapshot holds every string in memory, secrets
 * included) under a temporary name in the same directory and renamed when complete. On failure
 * nothing is left behind and the thrown Error names the path and the reason, with the system
 * error's `code` (`ENOENT`, `EACCES`, `ENOSPC`, `EISDIR`, ...) and `path`.
 */
export function writeSnapshot(path?: string): string

/** Options of `assertNoLeaks()`. */
export interface AssertNoLeaksOptions {
  /** Which kinds count. @default ['listeners', 'collection', 'retained', 'global', 'timers'] */
  kinds?: Array<'listeners' | 'collection' | 'retained' | 'global' | 'timers'>
  /** How many times findings are re-checked (short growing delay) before it throws. @default 3 */
  retries?: number
}

/**
 * Runs `fn` and throws an `AssertionError` (with `leaks`) naming each leak it left. Starts
 * leakguard for the call when it was not started; otherwise takes a new baseline.
 */
export function assertNoLeaks(fn: () => unknown, options?: AssertNoLeaksOptions): Promise<void>

/** The warning emitted for a finding: `name` is `'LeakWarning'`, `code` is `LEAKGUARD_<KIND>`, and it carries the finding's fields. */
export class LeakWarning extends Error {
  name: 'LeakWarning'
  code: string
  kind: LeakKind
  count: number
  constructor(leak: Leak)
}

export { TrendEngine, TrendOptions, TrendGrowth } from './binding'
/** One step of a retainer path from a GC root to an object (`edge`, `edgeType`, `node`, `nodeType`, `id`). */
export type { RetainerStep } from './binding'
