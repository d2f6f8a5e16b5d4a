// Public types of leakguard. Hand-written over the generated binding.d.ts.

/** The leak taxonomy: what leaks. */
export type LeakKind = 'listeners' | 'collection' | 'retained' | 'global' | 'heap' | 'timers' | 'handles'

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
  /** Growth findings (`collection`, `global`, and every guard-mode finding): growth per minute over the trend window (bytes for `heap`). */
  ratePerMinute?: number
  /** `listeners`: true when they were added with `once()` / `{ once: true }` and never fired. */
  once?: boolean
  /** Guard mode: the value at the start of the trend window (listeners, objects or heap bytes). */
  from?: number
  /** Guard mode: true when this finding was warned before and now grows markedly faster. */
  repeat?: boolean
  /** `heap`: heap used after the latest GC, in bytes. */
  heapUsed?: number
  /** `heap` (guard mode with `heapProfile`): the functions (`site`: where they are defined; allocations inside builtins count for their caller) holding the most sampled live memory, largest growth first. */
  allocations?: Array<{ site: string; functionName: string; bytes: number; growth: number }>
  /** Guard mode with `snapshotDir`: the heap snapshot written for this finding. */
  snapshot?: string
  /** Guard mode with `snapshotDir`: why no snapshot was written for this finding. */
  snapshotSkipped?: string
  /** `retained` with `check({ explain: true })`: the retainer path of one of the objects, step by step from a GC root to the object. */
  retainers?: RetainerStep[]
  /** `retained` with `explain`: the same path as text, `(GC roots) → … → connections (Set) → table → [3] (WebSocket)`. */
  retainersText?: string
  /** `retained` with `explain`: who holds the objects, as a developer names it: a variable (`'connections'`) or an object and its property (`'createDebug.instances'`), the module system and V8 plumbing skipped; null when the path has none. Also named in `message`. */
  heldBy?: string | null
  /** `retained` with `explain`: where the holder was written: `createDebug() at …/debug/src/common.js:64`, `captured by onConnection() at …/server.js:30`, `module …/registry.js`. */
  heldAt?: string
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
  /**
   * Report servers still listening and client sockets still open that were created since the
   * baseline (`kind: 'handles'`). Wraps `net.Server.prototype.listen` while on (http, https, tls,
   * http2 and ws servers inherit it) and reads client sockets from the `net.client.socket`
   * diagnostics channel; the test integrations turn it on. @default false
   */
  handles?: boolean
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
  /** Which kinds count. @default ['listeners', 'collection', 'retained', 'global', 'timers', 'handles'] */
  kinds?: Array<'listeners' | 'collection' | 'retained' | 'global' | 'timers' | 'handles'>
  /** How many times findings are re-checked (short growing delay) before it throws. @default 3 */
  retries?: number
}

/**
 * Runs `fn` and throws an `AssertionError` (with `leaks`) naming each leak it left. Starts
 * leakguard for the call when it was not started; otherwise takes a new baseline.
 */
export function assertNoLeaks(fn: () => unknown, options?: AssertNoLeaksOptions): Promise<void>

/** Options of `guard()` (and, through `LEAKGUARD_*` environment variables, of `-r leakguard/guard`). */
export interface GuardOptions {
  /** Milliseconds between samples (`LEAKGUARD_INTERVAL`). @default 10000 */
  interval?: number
  /** Called once per new finding instead of `process.emitWarning`. */
  onLeak?: (leak: Leak) => void
  /** Emit findings as `LeakWarning`s when there is no `onLeak` (`LEAKGUARD_WARN`). @default true */
  warn?: boolean
  /** Fraction of listener adds tracked at all, in (0, 1] (`LEAKGUARD_SAMPLE_RATE`). @default 0.002 */
  sampleRate?: number
  /** Fraction of tracked adds that pay for an add-site stack, in (0, 1] (`LEAKGUARD_STACK_SAMPLE_RATE`). While a finding waits for its site, every tracked add does. @default 0.05 *
  stackSampleRate?: number
  /** Samples judged by the trend engine: a finding needs rising floors over this many samples (`LEAKGUARD_WINDOW`). @default 12 */
  window?: number
  /** Minimum rise over the window of a listener count (or closed members / retained objects) (`LEAKGUARD_THRESHOLD`). @default 10 */
  threshold?: number
  /** Watch heap used after GC (read when a sentinel object dies in a major GC; GC is never forced) (`LEAKGUARD_HEAP`). @default true */
  heap?: boolean
  /** Minimum rise of heap used after GC over the window, in bytes (`LEAKGUARD_HEAP_THRESHOLD`). @default 33554432 (32 MiB) */
  heapThreshold?: number
  /** Run V8's sampling heap profiler and attach the allocation sites holding growing memory to `heap` findings (`LEAKGUARD_HEAP_PROFILE`). @default true */
  heapProfile?: boolean
  /** Mean bytes between two samples of the sampling heap profiler. @default 524288 */
  heapSamplingInterval?: number
  /** Write a heap snapshot (0600, atomic) here on each new finding, within the limits below (`LEAKGUARD_SNAPSHOT_DIR`). Off when unset. */
  snapshotDir?: string
  /** At most one snapshot per this many ms (`LEAKGUARD_SNAPSHOT_COOLDOWN`). @default 3600000 */
  snapshotCooldown?: number
  /** At most this many snapshots per process (`LEAKGUARD_MAX_SNAPSHOTS`). @default 3 */
  maxSnapshots?: number
  /** At most this many bytes of snapshots per process (`LEAKGUARD_MAX_SNAPSHOT_BYTES`). @default 2147483648 */
  maxSnapshotBytes?: number
  /** A snapshot is skipped (with a warning) unless free memory and free disk are at least this many times the heap used (`LEAKGUARD_SNAPSHOT_MEMORY_FACTOR`). @default 2 */
  snapshotMemoryFactor?: number
  /** Writes a snapshot to the path it is given and returns the path written (e.g. to add an upload). @default leakguard's own writer */
  writeSnapshot?: (path: string) => string
  /** Serve the gauges in Prometheus text format at `GET /metrics` on this port (`LEAKGUARD_METRICS_PORT`). Off when unset. */
  metricsPort?: number
  /** Host the metrics endpoint listens on (`LEAKGUARD_METRICS_HOST`). @default '127.0.0.1' */
  metricsHost?: string
}

/** A running guard. */
export interface Guard {
  /** Stops sampling, closes the metrics endpoint and restores everything guard mode changed. */
  stop(): void
  /** The gauges (listener totals, collection sizes, retained objects, heap, findings) in Prometheus text format. */
  metrics(): string
}

/**
 * Production guard mode: sampled instrumentation, one sample every `interval` into the trend
 * engine, a `LeakWarning` (or `onLeak`) once per sustained leak, again only when it grows
 * markedly faster. Never forces a GC; timers are unref'd. A second call replaces the running guard.
 */
export function guard(options?: GuardOptions): Guard

/** The warning emitted for a finding: `name` is `'LeakWarning'`, `code` is `LEAKGUARD_<KIND>`, and it carries the finding's fields. */
export class LeakWarning extends Error {
  name: 'LeakWarning'
  code: string
  kind: LeakKind
  count: number
  constructor(leak: Leak)
}

/**
 * One step of a retainer path from a GC root to an object; the first step is the root side.
 * `edge` is the reference from the previous step into this node.
 */
export interface RetainerStep {
  /** A property or variable name (`sessionRegistry`), `[3]` for an element or a hash-table slot, an internal name (`table`, `context`). */
  edge: string
  /** `'property' | 'context' | 'element' | 'internal' | 'hidden' | 'shortcut'`. */
  edgeType: string
  /** The node as a person reads it: a constructor name (`Map`), `name()` for a function, a quoted string, `system / Context`, `(GC roots)`. */
  node: string
  /** The snapshot's node type: `'object' | 'closure' | 'string' | 'hidden' | 'array' | 'synthetic' | ...`. */
  nodeType: string
  /** The node's snapshot id (stable across snapshots of one process). */
  id: number
}

/** One class of objects in a heap summary. */
export interface HeapClass {
  /** As DevTools names it: the constructor name for objects, `(string)`, `(closure)`, `(array)`, `(system)`, `(compiled code)`, ... */
  name: string
  count: number
  /** Sum of the objects' own sizes, in bytes. */
  selfSize: number
  /** Bytes freed if every object of the class went away (objects nested in another object of the same class count once). */
  retainedSize: number
}

/** One of the largest objects of a heap summary. */
export interface HeapObject {
  /** Snapshot node id. */
  id: number
  /** The node's name: a constructor name, a function name, a string's text. */
  name: string
  className: string
  selfSize: number
  /** Bytes this object keeps alive: itself and everything only reachable through it. */
  retainedSize: number
  /** Shortest retainer path as text, e.g. `(GC roots) → … → cache (Map) → table`. */
  path: string
  retainers: RetainerStep[]
}

/** The result of `analyze()`. */
export interface HeapSummary {
  nodeCount: number
  edgeCount: number
  /** Sum of every object's own size, in bytes. */
  totalSize: number
  /** Every class, largest retained size first. */
  classes: HeapClass[]
  /** The `top` objects with the largest retained sizes (synthetic and `(system)` nodes left out), largest first. */
  largest: HeapObject[]
}

/** Options of `analyze()`. */
export interface AnalyzeOptions {
  /** How many of the largest objects to list in `largest`. @default 20 */
  top?: number
}

/** Leaked objects of one class held through one retainer path. */
export interface LeakGroup {
  className: string
  /** Leaked objects in the group (objects held inside another leaked object count in its retained size, not here). */
  count: number
  selfSize: number
  /** Bytes freed by fixing this leak. */
  retainedSize: number
  /** Snapshot id of the group's largest object (in the final snapshot). */
  exampleId: number
  /** Its shortest retainer path: `(GC roots) → … → sessionRegistry (Map) → table → LeakyThing`. */
  path: string
  retainers: RetainerStep[]
}

/** The result of `diff()`. */
export interface HeapDiff {
  /** Largest retained size first. */
  groups: LeakGroup[]
  /** Objects allocated between baseline and target still alive at the end (system internals left out), including those inside the groups' objects. */
  newObjects: number
}

/** The retainer path of one requested id. */
export interface RetainerPath {
  id: number
  /** False when the id is not in the snapshot or not reachable from a GC root. */
  found: boolean
  /** Empty when not found. */
  path: string
  retainers: RetainerStep[]
}

/**
 * Reads a `.heapsnapshot` and summarises it: counts, total size, every class with count, self
 * size and retained size (DevTools' dominator rules), and the largest objects with their
 * retainer paths. Parsed and analysed in Rust off the main thread. Bad arguments reject with a
 * `TypeError`/`RangeError`; a missing file with the path and `ENOENT`/`EACCES`; a truncated or
 * corrupt one with the byte offset.
 */
export function analyze(path: string, options?: AnalyzeOptions | null): Promise<HeapSummary>
/** Blocking twin of `analyze()` (the event loop waits): for scripts and CLIs. Throws where `analyze` rejects. */
export function analyzeSync(path: string, options?: AnalyzeOptions | null): HeapSummary
/**
 * memlab's three-snapshot method: objects allocated after `baseline`, present in `target` and
 * still alive in `final` (or in `target` when `final` is absent), grouped by class and
 * retainer path, largest retained size first. Transient objects (gone by `final`) and V8
 * internals are not reported. The snapshots must come from one process (node ids are stable
 * only within a process). Off the main thread.
 */
export function diff(baseline: string, target: string, final?: string | null): Promise<HeapDiff>
/** Blocking twin of `diff()`. */
export function diffSync(baseline: string, target: string, final?: string | null): HeapDiff
/** The shortest retainer path from a GC root of each snapshot node id in `ids`, in order. Off the main thread. */
export function retainerPaths(path: string, ids: number[]): Promise<RetainerPath[]>
/** Blocking twin of `retainerPaths()`. */
export function retainerPathsSync(path: string, ids: number[]): RetainerPath[]

export { TrendEngine, TrendOptions, TrendGrowth } from './binding'
