//! The `retained` rule: one batched call per check.

use leakguard_core::retained::{self, RetainedGroup};
use napi_derive::napi;

use crate::rules::LeakOutput;

/// Watched objects of one description still alive after the grace period.
#[napi(object)]
pub struct RetainedInput {
    /// What they are.
    pub description: String,
    /// How many are still alive.
    pub count: u32,
    /// How many of this description became garbage.
    pub collected: u32,
    /// Age in milliseconds of the oldest one still alive.
    pub oldest_ms: f64,
}

/// Turns the retained groups of one check into findings; groups below `threshold` are
/// skipped. @default threshold 1
#[napi(catch_unwind)]
pub fn evaluate_retained(groups: Vec<RetainedInput>, threshold: Option<u32>) -> Vec<LeakOutput> {
    let groups: Vec<RetainedGroup> = groups
        .into_iter()
        .map(|g| RetainedGroup {
            description: g.description,
            count: u64::from(g.count),
            collected: u64::from(g.collected),
            oldest_ms: g.oldest_ms,
        })
        .collect();
    retained::retained_leaks(&groups, u64::from(threshold.unwrap_or(1)))
        .into_iter()
        .map(LeakOutput::from)
        .collect()
}
