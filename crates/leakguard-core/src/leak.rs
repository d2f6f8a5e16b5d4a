//! A finding: what leaks, how much, and where it came from. Findings are data, never errors.
//!
//! This is the one definition of a finding. The rules build it whole (message included), the
//! binding hands it to JavaScript through serde as a plain object, and the TypeScript type
//! (`types/leak.d.ts`, re-exported by `index.d.ts` as `Leak`) is generated from it by ts-rs: a
//! union discriminated by `kind`. `cargo test` fails when the committed typings drift.

use serde::Serialize;
use ts_rs::TS;

/// The leak taxonomy of ARCHITECTURE.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum LeakKind {
    /// Listeners added and never removed, on emitters that stay alive.
    Listeners,
    /// A registered collection that keeps closed members or grows without bound.
    Collection,
    /// Objects that should be garbage but are still reachable after GC.
    Retained,
    /// New or growing properties of `globalThis`.
    Global,
    /// Heap used after GC keeps growing.
    Heap,
    /// Timers and intervals a test left running.
    Timers,
    /// Servers left listening and sockets left open by a test.
    Handles,
}

impl LeakKind {
    /// The `kind` field users see: `'listeners'`, `'collection'`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            LeakKind::Listeners => "listeners",
            LeakKind::Collection => "collection",
            LeakKind::Retained => "retained",
            LeakKind::Global => "global",
            LeakKind::Heap => "heap",
            LeakKind::Timers => "timers",
            LeakKind::Handles => "handles",
        }
    }

    /// The warning code: `LEAKGUARD_LISTENERS`, ...
    pub fn code(self) -> &'static str {
        match self {
            LeakKind::Listeners => "LEAKGUARD_LISTENERS",
            LeakKind::Collection => "LEAKGUARD_COLLECTION",
            LeakKind::Retained => "LEAKGUARD_RETAINED",
            LeakKind::Global => "LEAKGUARD_GLOBAL",
            LeakKind::Heap => "LEAKGUARD_HEAP",
            LeakKind::Timers => "LEAKGUARD_TIMERS",
            LeakKind::Handles => "LEAKGUARD_HANDLES",
        }
    }
}

/// One finding: the fields every kind has, the kind's own (`detail`, flattened, tagged by
/// `kind`) and, for findings judged by a trend, the growth.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Leak {
    /// What leaked, with the fields that kind knows.
    #[serde(flatten)]
    pub detail: LeakDetail,
    /// `LEAKGUARD_<KIND>`, also the `code` of the `LeakWarning`.
    pub code: String,
    /// A sentence a person acts on: what leaked, how many, added where.
    pub message: String,
    /// How many things leaked (listeners, closed members, objects, heap bytes grown, ...).
    pub count: f64,
    /// Trend findings (growing collections and globals, every guard-mode finding): growth per
    /// minute over the trend window (bytes for `heap`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub rate_per_minute: Option<f64>,
    /// Guard mode: the value at the start of the trend window.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub from: Option<f64>,
    /// Guard mode: true when this series was warned before and has doubled since.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub repeat: Option<bool>,
}

impl Leak {
    /// A finding with its detail, message and count; no trend.
    pub fn new(detail: LeakDetail, message: String, count: f64) -> Self {
        Leak {
            code: detail.kind().code().to_string(),
            detail,
            message,
            count,
            rate_per_minute: None,
            from: None,
            repeat: None,
        }
    }

    /// The kind of the finding.
    pub fn kind(&self) -> LeakKind {
        self.detail.kind()
    }

    /// `file:line:column` of the user's code, for the kinds that have one.
    pub fn site(&self) -> Option<&str> {
        match &self.detail {
            LeakDetail::Listeners(d) => d.site.as_deref(),
            LeakDetail::Collection(d) => d.site.as_deref(),
            LeakDetail::Timers(d) => d.site.as_deref(),
            LeakDetail::Handles(d) => d.site.as_deref(),
            LeakDetail::Retained(_) | LeakDetail::Global(_) | LeakDetail::Heap(_) => None,
        }
    }
}

/// The fields only one kind of finding has; `kind` tells which.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum LeakDetail {
    Listeners(ListenersDetail),
    Collection(CollectionDetail),
    Retained(RetainedDetail),
    Global(GlobalDetail),
    Heap(HeapDetail),
    Timers(TimersDetail),
    Handles(HandlesDetail),
}

impl LeakDetail {
    /// The kind this detail belongs to.
    pub fn kind(&self) -> LeakKind {
        match self {
            LeakDetail::Listeners(_) => LeakKind::Listeners,
            LeakDetail::Collection(_) => LeakKind::Collection,
            LeakDetail::Retained(_) => LeakKind::Retained,
            LeakDetail::Global(_) => LeakKind::Global,
            LeakDetail::Heap(_) => LeakKind::Heap,
            LeakDetail::Timers(_) => LeakKind::Timers,
            LeakDetail::Handles(_) => LeakKind::Handles,
        }
    }
}

/// `listeners`: listeners added and not removed on an emitter that stays alive.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ListenersDetail {
    /// A label for the emitter: `'process'`, the constructor name (`'Server'`, `'AbortSignal'`, ...).
    pub emitter: String,
    /// The event name (`Symbol(name)` for symbols); `'*'` for a guard finding about ever new event
    /// names on one emitter.
    pub event: String,
    /// `file:line:column` of the user's code that added them; null when no stack was captured.
    pub site: Option<String>,
    /// Removals seen on this emitter and event since the baseline (absent under sampling).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub removed: Option<f64>,
    /// True when they were added with `once()` / `{ once: true }` and never fired.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub once: Option<bool>,
}

/// `collection`: a collection registered with `trackSet` keeps closed members or keeps growing.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CollectionDetail {
    /// The name given to `trackSet`.
    pub name: String,
    /// Its current size.
    pub size: f64,
    /// Where `trackSet` was called; null when unknown.
    pub site: Option<String>,
}

/// `retained`: objects still reachable after a GC that should have become garbage.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RetainedDetail {
    /// The description given to `watch()`, or `'closed Socket'`, `'closed TLSSocket'`,
    /// `'closed WebSocket'` for automatic watching.
    pub description: String,
}

/// `global`: a property added to `globalThis`, or a global collection that keeps growing.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct GlobalDetail {
    /// The property name.
    pub name: String,
    /// The type of the value: `'Array'`, `'Map'`, `'Set'`, `'object'`, `'string'`, a class name, ...
    pub value_type: String,
    /// Elements / length / own keys of the value.
    pub size: f64,
}

/// `heap` (guard mode): heap used after GC keeps growing.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct HeapDetail {
    /// Heap used after the latest major GC, in bytes.
    pub heap_used: f64,
    /// With `heapProfile`: the functions holding the most sampled live memory (allocations
    /// inside builtins count for their caller), largest growth first.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub allocations: Option<Vec<Allocation>>,
}

/// One allocation site of V8's sampling heap profiler.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Allocation {
    /// `file:line:column` where the function is defined.
    pub site: String,
    /// The function's name, `(anonymous)` when it has none.
    pub function_name: String,
    /// Sampled live bytes allocated there.
    pub bytes: f64,
    /// Change of `bytes` since the previous profile.
    pub growth: f64,
}

/// `timers`: timeouts still pending / intervals still running that a test created.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TimersDetail {
    /// Where they were created; null when unknown.
    pub site: Option<String>,
}

/// `handles`: servers still listening / sockets still open that a test created.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct HandlesDetail {
    /// Where `listen()` was called / the socket connected; null when unknown.
    pub site: Option<String>,
    /// What is open: `'Server on 127.0.0.1:PORT'`, `'Socket to ...'`.
    pub description: String,
}

/// A finding with the identity that makes it one finding across checks (warned once).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Keyed {
    /// Same key, same finding: `listeners|<emitter id>|<event>|<site>`, ...
    pub key: String,
    /// The finding.
    pub leak: Leak,
}

/// The bucket of "again when it doubled": findings whose count doubles get a new key.
pub fn doubling_bucket(count: f64) -> u32 {
    if count < 1.0 {
        0
    } else {
        count.log2().floor() as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_flat_with_kind_and_code() {
        let leak = Leak::new(
            LeakDetail::Retained(RetainedDetail {
                description: "closed Socket".into(),
            }),
            "msg".into(),
            3.0,
        );
        let json = serde_json::to_value(&leak).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "kind": "retained", "code": "LEAKGUARD_RETAINED", "message": "msg",
                "count": 3.0, "description": "closed Socket"
            })
        );
    }

    #[test]
    fn doubling_buckets() {
        assert_eq!(doubling_bucket(0.0), 0);
        assert_eq!(doubling_bucket(1.0), 0);
        assert_eq!(doubling_bucket(3.0), 1);
        assert_eq!(doubling_bucket(4.0), 2);
    }
}
