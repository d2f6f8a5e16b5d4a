// Public types of leakguard. Hand-written over the generated binding.d.ts.

import type { Leak as NativeLeak } from './types/leak'
import type { DiffWarning, HeapDiff, HeapSummary, LeakGroup, RetainerPath, RetainerStep } from './binding'

// The finding model is generated from the Rust types (crates/leakguard-core/src/leak.rs):
// `Leak` is a union discriminated by `kind`; narrow it with `if (leak.kind === 'listeners')`.
export type {
  LeakKind,
  LeakDetail,
  ListenersDetail,
  CollectionDetail,
  RetainedDetail,
  GlobalDetail,
  HeapDetail,
  Allocation,
  TimersDetail,
  HandlesDetail,
} from './types/leak'
export type { DiffWarning, HeapClass, HeapDiff, HeapObject, HeapSummary, LeakGroup, RetainerPath, RetainerStep } from './binding'

/** What `check({ explain: true })` adds to a `retained` finding. */
export interface ExplainFields {
  /** The retainer path of one of the objects, step by step from a GC root to the object. */
  retainers?: RetainerStep[]
  /** The same path as text, `(GC roots) → … → connections (Set) → table → [3] (WebSocket)`. */
  retainersText?: string
  /** Who holds the objects, as a developer names it: a variable (`'connections'`) or an object and its property (`'createDebug.instances'`), the module system and V8 plumbing skipped; null when the path has none. Also named in `message`. */
  heldBy?: string | null
  /** Where the holder was written: `createDebug() at …/debug/src/common.js:64`, `captured by onConnection() at …/server.js:30`, `module …/registry.js`. */
  heldAt?: string
  /** How many of the finding's objects (at most 8 are kept) were found in the snapshot. */
  explained?: number
  /** Why it could not be explained (the finding is still reported). */
  explainError?: string
}

/** What guard mode with `snapshotDir` adds to a finding. */
export interface SnapshotFields {
  /** The first warning of a finding: a snapshot follows if it still grows a window later. */
  snapshotPending?: boolean
  /** The finding's second warning: its series still grew a window after the first. */
  confirmed?: boolean
  /** The heap snapshot written for this finding. */
  snapshot?: string
  /** Why no snapshot was written for this finding. */
  snapshotSkipped?: string
}

/**
 * What guard mode with `snapshotDir` adds to a confirmed `heap` finding: "who holds it", from the
 * diff of its snapshot and a second one (a follow-up warning of the same finding).
 */
export interface HolderFields {
  /** On the confirmed finding: a follow-up with the diff (or `holdersSkipped`) comes. */
  holdersPending?: boolean
  /** On the follow-up: the two snapshots were compared; `groups` says who holds the growth. */
  explained?: boolean
  /** The diff's leak groups (top 5, largest retained size first), as `diff()` returns them. */
  groups?: LeakGroup[]
  /** Objects allocated between the two snapshots and still alive (the diff's `newObjects`). */
  newObjects?: number
  /** The two snapshots compared: the finding's `snapshot`, then the second one. */
  snapshots?: string[]
  /** The diff's warnings (snapshots that seem not to be of one process, ...), when it had any. */
  diffWarnings?: DiffWarning[]
  /** On the follow-up: why there is no diff (the finding keeps everything else). */
  holdersSkipped?: string
}

/**
 * A finding: `{ kind, code, message, count }` and what its kind knows (`emitter`, `event`, `site`
 * for listeners; `name`, `size` for collections; `description` for retained objects; ...).
 */
export type Leak = (
  | Exclude<NativeLeak, { kind: 'retained' | 'heap' }>
  | (Extract<NativeLeak, { kind: 'retained' }> & ExplainFields)
  | (Extract<NativeLeak, { kind: 'heap' }> & HolderFields)
) &
  SnapshotFields

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
  /**
   * Watched objects (and closed sockets) are `retained` findings only once they are this many ms
   * past `watch()` / their close. Whatever the grace, only what survived a forced GC that began
   * after it (a `check()`'s) counts. @default 0
   */
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
   * Whose listeners count: `'app'` (code outside node_modules), `'package'` (code in
   * node_modules), `'node'` (Node's own modules: `createServer`'s `'connection'`, an
   * `http.Agent`'s). Judged by the first frame that called the add. @default ['app', 'package', 'node']
   */
  addedBy?: Array<'app' | 'package' | 'node'>
  /** Whether listeners on closed emitters count (destroyed sockets, servers not listening, closed WebSockets). @default true */
  closedEmitters?: boolean
  /** Whether unref()'d timers count (`start({ timers: true })`). @default true */
  unrefTimers?: boolean
  /**
   * Explain `retained` findings: write a heap snapshot to a temporary 0600 file, find the
   * finding's objects in it, attach their retainer path (`retainers`, `retainersText`,
   * `heldBy`, named in `message` too) and delete the file. Blocks the event loop for the
   * snapshot (seconds on a large heap): for tests and on-demand diagnosis. @default false
   */
  explain?: boolean
  /**
   * How long `explain` may take: past it the snapshot's analysis is stopped, the file removed and
   * each finding gets `explainError` (the snapshot itself is V8's and cannot be stopped). @default 30000
   */
  explainTimeoutMs?: number
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
 * Expects `object` to become garbage soon: it is held by a `WeakRef`, and a `check()` that still
 * finds it alive after its forced GC (and past `graceMs`) reports it as a `retained` finding,
 * grouped by `description`. Throws when not started.
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
  /**
   * Whose listeners count: `'app'` (code outside node_modules), `'package'` (node_modules), `'node'`
   * (Node's own modules). Listeners on emitters that are done (a finished request, a destroyed
   * socket, a closed server) never count, as in the test integrations. @default ['app']
   */
  addedBy?: Array<'app' | 'package' | 'node'>
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
  /** Fraction of tracked adds that pay for an add-site stack, in (0, 1] (`LEAKGUARD_STACK_SAMPLE_RATE`). While a finding waits for its site, every tracked add does. @default 0.05 */
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
  /**
   * Write an HTML report (`leakguard-report-<pid>.html`, 0600) into this directory after each
   * sample with findings: the timeline of every sampled series with the findings marked
   * (`LEAKGUARD_REPORT_DIR`). Off when unset.
   */
  reportDir?: string
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
  kind: import('./types/leak').LeakKind
  count: number
  constructor(leak: Leak)
}

/**
 * How text from the heap (string contents, property and variable names on retainer paths,
 * object names) is shown by `analyze`, `diff` and `retainerPaths`.
 */
export interface StringsOptions {
  /**
   * Show heap text as it is. By default it is shortened and what looks like a secret (AWS keys,
   * `…SECRET…=`/`password=` values, bearer tokens, JWTs, long random-looking base64/hex, a
   * string held under a property such as `password`) is replaced by `[redacted]`.
   * @default false
   */
  showStrings?: boolean
}

/** Options of `diff()`. */
export interface DiffOptions extends StringsOptions {
  /**
   * Report leakguard's own allocations too (its detectors' state, the entries it keeps on
   * emitters, its WeakRefs and FinalizationRegistry cells, the strings of its code). By default
   * they, and whatever only they hold, are left out: they are not the app's leak.
   * @default false
   */
  includeOwn?: boolean
}

/** Options of `analyze()` and `analyzeSync()`. */
export interface AnalyzeOptions extends StringsOptions {
  /** How many of the largest objects to list in `largest`. @default 20 */
  top?: number
}

/** Options of `analyze()`. */
export interface AnalyzeAsyncOptions extends AnalyzeOptions {
  /**
   * Stops the analysis: the promise rejects with an `AbortError` (`code` `ABORT_ERR`, the
   * signal's reason as `cause`) at the next read of the file (every 256 KB) or the next pass
   * of the analysis (a pass takes about a second on a 1 GB snapshot), and the memory it used
   * is freed.
   */
  signal?: AbortSignal
}

/**
 * Reads a `.heapsnapshot` and summarises it: counts, total size, every class with count, self
 * size and retained size (DevTools' dominator rules), and the largest objects with their
 * retainer paths. Parsed and analysed in Rust off the main thread. Bad arguments reject with a
 * `TypeError`/`RangeError`; a missing file with the path and `ENOENT`/`EACCES` (`errno`,
 * `syscall`, `path`); a FIFO, socket or device with `ERR_LEAKGUARD_SNAPSHOT_NOT_FILE`; a
 * truncated or corrupt one with `ERR_LEAKGUARD_SNAPSHOT_CORRUPT` and the byte `offset`; an
 * aborted `options.signal` with an `AbortError`.
 */
export function analyze(path: string, options?: AnalyzeAsyncOptions | null): Promise<HeapSummary>
/** Blocking twin of `analyze()` (the event loop waits): for scripts and CLIs. Throws where `analyze` rejects. */
export function analyzeSync(path: string, options?: AnalyzeOptions | null): HeapSummary
/**
 * memlab's three-snapshot method: objects allocated after `baseline`, present in `target` and
 * still alive in `final` (or in `target` when `final` is absent), grouped by class and
 * retainer path, largest retained size first. Transient objects (gone by `final`) and V8
 * internals are not reported, nor are leakguard's own allocations (see `includeOwn`). The
 * snapshots must come from one process (node ids are stable only within a process), oldest
 * first: `warnings` says when they seem not to (`LEAKGUARD_DIFF_PROCESSES`,
 * `LEAKGUARD_DIFF_ORDER`). Off the main thread.
 */
export function diff(baseline: string, target: string, final?: string | null, options?: DiffOptions | null): Promise<HeapDiff>
/** Blocking twin of `diff()`. */
export function diffSync(baseline: string, target: string, final?: string | null, options?: DiffOptions | null): HeapDiff
/** The shortest retainer path from a GC root of each snapshot node id in `ids`, in order. Off the main thread. */
export function retainerPaths(path: string, ids: number[], options?: StringsOptions | null): Promise<RetainerPath[]>
/** Blocking twin of `retainerPaths()`. */
export function retainerPathsSync(path: string, ids: number[], options?: StringsOptions | null): RetainerPath[]

export { TrendEngine, TrendOptions, TrendGrowth } from './binding'
