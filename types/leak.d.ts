// Generated from crates/leakguard-core/src/leak.rs by ts-rs: do not edit.
// Regenerate: LEAKGUARD_WRITE_TYPES=1 cargo test -p leakguard-core typings

/**
 * The leak taxonomy of ARCHITECTURE.md.
 */

export type LeakKind = "listeners" | "collection" | "retained" | "global" | "heap" | "timers" | "handles";

/**
 * One finding: the fields every kind has, the kind's own (`detail`, flattened, tagged by
 * `kind`) and, for findings judged by a trend, the growth.
 */

export type Leak = { 
/**
 * `LEAKGUARD_<KIND>`, also the `code` of the `LeakWarning`.
 */
code: string, 
/**
 * A sentence a person acts on: what leaked, how many, added where.
 */
message: string, 
/**
 * How many things leaked (listeners, closed members, objects, heap bytes grown, ...).
 */
count: number, 
/**
 * Trend findings (growing collections and globals, every guard-mode finding): growth per
 * minute over the trend window (bytes for `heap`).
 */
ratePerMinute?: number, 
/**
 * Guard mode: the value at the start of the trend window.
 */
from?: number, 
/**
 * Guard mode: true when this series was warned before and has doubled since.
 */
repeat?: boolean, } & ({ "kind": "listeners" } & ListenersDetail | { "kind": "collection" } & CollectionDetail | { "kind": "retained" } & RetainedDetail | { "kind": "global" } & GlobalDetail | { "kind": "heap" } & HeapDetail | { "kind": "timers" } & TimersDetail | { "kind": "handles" } & HandlesDetail);

/**
 * The fields only one kind of finding has; `kind` tells which.
 */

export type LeakDetail = { "kind": "listeners" } & ListenersDetail | { "kind": "collection" } & CollectionDetail | { "kind": "retained" } & RetainedDetail | { "kind": "global" } & GlobalDetail | { "kind": "heap" } & HeapDetail | { "kind": "timers" } & TimersDetail | { "kind": "handles" } & HandlesDetail;

/**
 * `listeners`: listeners added and not removed on an emitter that stays alive.
 */

export type ListenersDetail = { 
/**
 * A label for the emitter: `'process'`, the constructor name (`'Server'`, `'AbortSignal'`, ...).
 */
emitter: string, 
/**
 * The event name (`Symbol(name)` for symbols); `'*'` for a guard finding about ever new event
 * names on one emitter.
 */
event: string, 
/**
 * `file:line:column` of the user's code that added them; null when no stack was captured.
 */
site: string | null, 
/**
 * Removals seen on this emitter and event since the baseline (absent under sampling).
 */
removed?: number, 
/**
 * True when they were added with `once()` / `{ once: true }` and never fired.
 */
once?: boolean, };

/**
 * `collection`: a collection registered with `trackSet` keeps closed members or keeps growing.
 */

export type CollectionDetail = { 
/**
 * The name given to `trackSet`.
 */
name: string, 
/**
 * Its current size.
 */
size: number, 
/**
 * Where `trackSet` was called; null when unknown.
 */
site: string | null, };

/**
 * `retained`: objects still reachable after a GC that should have become garbage.
 */

export type RetainedDetail = { 
/**
 * The description given to `watch()`, or `'closed Socket'`, `'closed TLSSocket'`,
 * `'closed WebSocket'` for automatic watching.
 */
description: string, };

/**
 * `global`: a property added to `globalThis`, or a global collection that keeps growing.
 */

export type GlobalDetail = { 
/**
 * The property name.
 */
name: string, 
/**
 * The type of the value: `'Array'`, `'Map'`, `'Set'`, `'object'`, `'string'`, a class name, ...
 */
valueType: string, 
/**
 * Elements / length / own keys of the value.
 */
size: number, };

/**
 * `heap` (guard mode): heap used after GC keeps growing.
 */

export type HeapDetail = { 
/**
 * Heap used after the latest major GC, in bytes.
 */
heapUsed: number, 
/**
 * With `heapProfile`: the functions holding the most sampled live memory (allocations
 * inside builtins count for their caller), largest growth first.
 */
allocations?: Array<Allocation>, };

/**
 * One allocation site of V8's sampling heap profiler.
 */

export type Allocation = { 
/**
 * `file:line:column` where the function is defined.
 */
site: string, 
/**
 * The function's name, `(anonymous)` when it has none.
 */
functionName: string, 
/**
 * Sampled live bytes allocated there.
 */
bytes: number, 
/**
 * Change of `bytes` since the previous profile.
 */
growth: number, };

/**
 * `timers`: timeouts still pending / intervals still running that a test created.
 */

export type TimersDetail = { 
/**
 * Where they were created; null when unknown.
 */
site: string | null, };

/**
 * `handles`: servers still listening / sockets still open that a test created.
 */

export type HandlesDetail = { 
/**
 * Where `listen()` was called / the socket connected; null when unknown.
 */
site: string | null, 
/**
 * What is open: `'Server on 127.0.0.1:PORT'`, `'Socket to ...'`.
 */
description: string, };
