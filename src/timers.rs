//! The `timers` rule: one batched call per check.

use leakguard_core::timers::{self, TimerGroup};
use napi_derive::napi;

use crate::rules::LeakOutput;

/// Live timers of one kind, delay and creation site.
#[napi(object)]
pub struct TimerInput {
    /// `setInterval` (true) or `setTimeout` (false).
    pub interval: bool,
    /// The delay in milliseconds.
    pub delay_ms: f64,
    /// `file:line:column` where they were created.
    pub site: Option<String>,
    /// How many are still pending / running.
    pub count: u32,
}

/// Turns the live timer groups of one check into findings. @default cwd ''
#[napi(catch_unwind)]
pub fn evaluate_timers(groups: Vec<TimerInput>, cwd: Option<String>) -> Vec<LeakOutput> {
    let groups: Vec<TimerGroup> = groups
        .into_iter()
        .map(|g| TimerGroup {
            interval: g.interval,
            delay_ms: g.delay_ms,
            site: g.site,
            count: u64::from(g.count),
        })
        .collect();
    timers::timer_leaks(&groups, &cwd.unwrap_or_default())
        .into_iter()
        .map(LeakOutput::from)
        .collect()
}
