//! The `global` rule: one batched call per check.

use leakguard_core::globals::{self, GlobalObservation};
use napi_derive::napi;

use crate::rules::LeakOutput;

/// One property of `globalThis` worth judging.
#[napi(object)]
pub struct GlobalInput {
    /// The property name.
    pub name: String,
    /// `Array`, `Map`, `Set`, `object`, `string`, ...
    pub value_type: String,
    /// Elements / length / own keys; 0 otherwise.
    pub size: u32,
    /// True when the property did not exist at the baseline.
    pub added: bool,
    /// Growth per minute, when the trend engine reported the size rising.
    pub growth_per_minute: Option<f64>,
}

/// Turns the globals of one check into findings.
#[napi(catch_unwind)]
pub fn evaluate_globals(globals: Vec<GlobalInput>) -> Vec<LeakOutput> {
    let obs: Vec<GlobalObservation> = globals
        .into_iter()
        .map(|g| GlobalObservation {
            name: g.name,
            value_type: g.value_type,
            size: u64::from(g.size),
            added: g.added,
            growth_per_minute: g.growth_per_minute,
        })
        .collect();
    globals::global_leaks(&obs)
        .into_iter()
        .map(LeakOutput::from)
        .collect()
}
