//! Leak rules: one call per check with the whole batch of observations.

use leakguard_core::rules::{self, ListenerGroup, ListenerRuleOptions};
use leakguard_core::Leak;
use napi_derive::napi;

/// Live listeners of one emitter and event, added since the baseline at one add-site.
#[napi(object)]
pub struct ListenerGroupInput {
    /// Stable id of the emitter within this process.
    pub emitter_id: u32,
    /// A label for the emitter (`process`, `Server`, `AbortSignal`, ...).
    pub emitter: String,
    /// The event name.
    pub event: String,
    /// `file:line:column` where they were added, when a stack was captured.
    pub site: Option<String>,
    /// How many are still registered.
    pub count: u32,
    /// Added with `once()` / `{ once: true }` and never fired. @default false
    pub once: Option<bool>,
    /// Added since the baseline and removed again; absent when unknown (sampled tracking).
    pub removed: Option<u32>,
}

/// Options of `evaluateListeners`.
#[napi(object)]
pub struct ListenerRuleInput {
    /// Findings start at this many listeners added since the baseline and still registered.
    /// @default 10
    pub threshold: Option<u32>,
    /// Working directory, to show add-sites relative to it. @default ''
    pub cwd: Option<String>,
}

/// A finding, as the JavaScript side sees it (before it adds what only it knows).
#[napi(object)]
pub struct LeakOutput {
    /// `listeners` | `collection` | `retained` | `global` | `heap`.
    pub kind: String,
    /// `LEAKGUARD_<KIND>`.
    pub code: String,
    /// A sentence a person acts on.
    pub message: String,
    /// How many things leaked.
    pub count: f64,
    /// `listeners`: the session-wide emitter id (internal: identifies a finding across checks).
    pub emitter_id: Option<u32>,
    /// `listeners`: the emitter label.
    pub emitter: Option<String>,
    /// `listeners`: the event.
    pub event: Option<String>,
    /// Where the user's code added it: `file:line:column`.
    pub site: Option<String>,
    /// `listeners`: removals since the baseline.
    pub removed: Option<f64>,
    /// `listeners`: once-listeners that never fired.
    pub once: Option<bool>,
    /// Trend findings: growth per minute.
    pub rate_per_minute: Option<f64>,
    /// `collection` / `global`: the name.
    pub name: Option<String>,
    /// `collection` / `global`: current size.
    pub size: Option<f64>,
    /// `retained`: what the objects are.
    pub description: Option<String>,
    /// `global`: the type of the value.
    pub value_type: Option<String>,
}

impl From<Leak> for LeakOutput {
    fn from(l: Leak) -> Self {
        LeakOutput {
            kind: l.kind.as_str().to_string(),
            code: l.kind.code().to_string(),
            message: l.message,
            count: l.count as f64,
            emitter_id: l.emitter_id.map(|id| id as u32),
            emitter: l.emitter,
            event: l.event,
            site: l.site,
            removed: l.removed.map(|r| r as f64),
            once: l.once,
            rate_per_minute: l.rate_per_minute,
            name: l.name,
            size: l.size.map(|s| s as f64),
            description: l.description,
            value_type: l.value_type,
        }
    }
}

/// Turns the listener groups of one check into findings (grouped by add-site, largest first).
#[napi(catch_unwind)]
pub fn evaluate_listeners(
    groups: Vec<ListenerGroupInput>,
    options: Option<ListenerRuleInput>,
) -> Vec<LeakOutput> {
    let defaults = ListenerRuleOptions::default();
    let options = options.unwrap_or(ListenerRuleInput {
        threshold: None,
        cwd: None,
    });
    let options = ListenerRuleOptions {
        threshold: options.threshold.map_or(defaults.threshold, u64::from),
        cwd: options.cwd.unwrap_or(defaults.cwd),
    };
    let groups: Vec<ListenerGroup> = groups
        .into_iter()
        .map(|g| ListenerGroup {
            emitter_id: u64::from(g.emitter_id),
            emitter: g.emitter,
            event: g.event,
            site: g.site,
            count: u64::from(g.count),
            once: g.once.unwrap_or(false),
            removed: g.removed.map(u64::from),
        })
        .collect();
    rules::listener_leaks(&groups, &options)
        .into_iter()
        .map(LeakOutput::from)
        .collect()
}
