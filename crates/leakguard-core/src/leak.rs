//! A finding: what leaks, how much, and where it came from. Findings are data, never errors.

/// The leak taxonomy of ARCHITECTURE.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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

/// One finding. Fields beyond `kind`, `message` and `count` are filled by the kinds that know them.
#[derive(Debug, Clone, PartialEq)]
pub struct Leak {
    pub kind: LeakKind,
    /// A sentence a person can act on: what, how many, where.
    pub message: String,
    /// How many things leaked (listeners, closed members, retained objects, ...).
    pub count: u64,
    /// `listeners`: the session-wide id of the emitter (identifies one finding across checks).
    pub emitter_id: Option<u64>,
    /// `listeners`: a label for the emitter (`process`, `Server`, `AbortSignal`, ...).
    pub emitter: Option<String>,
    /// `listeners`: the event name.
    pub event: Option<String>,
    /// Where the user's code added the listener / registered the collection: `file:line:column`.
    pub site: Option<String>,
    /// `listeners`: removals seen for this emitter and event since the baseline.
    pub removed: Option<u64>,
    /// `listeners`: added with `once()` / `{ once: true }` and never fired.
    pub once: Option<bool>,
    /// Trend findings: growth per minute over the observed window.
    pub rate_per_minute: Option<f64>,
    /// `collection` / `global`: the name the user gave (or the global property name).
    pub name: Option<String>,
    /// `collection` / `global`: current size (members, or elements for a global collection).
    pub size: Option<u64>,
    /// `retained`: the description passed to `watch()` (or the automatic one for sockets).
    pub description: Option<String>,
    /// `global`: the type of the value (`Array`, `object`, `string`, ...).
    pub value_type: Option<String>,
}

impl Leak {
    /// A finding of `kind` with only the always-present fields set.
    pub fn new(kind: LeakKind, message: String, count: u64) -> Self {
        Leak {
            kind,
            message,
            count,
            emitter_id: None,
            emitter: None,
            event: None,
            site: None,
            removed: None,
            once: None,
            rate_per_minute: None,
            name: None,
            size: None,
            description: None,
            value_type: None,
        }
    }
}
