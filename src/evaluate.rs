//! Findings: one batch of observations of one detector in, finished findings out. Both sides
//! go through serde: the shapes are defined once, in `leakguard_core::evaluate` and
//! `leakguard_core::leak`.

use leakguard_core::{evaluate as core_evaluate, Observations};
use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::error::throw_type_error;

/// Turns a detector's observations (`{ kind, ... }`) into findings: `[{ key, leak }]`, where
/// `key` makes one finding the same across checks. Sites are shown relative to `cwd`.
/// A malformed batch throws a `TypeError` naming what was wrong.
#[napi(
    catch_unwind,
    ts_return_type = "Array<{ key: string; leak: import('./types/leak').Leak }>"
)]
pub fn evaluate<'env>(
    env: &'env Env,
    observations: Unknown<'env>,
    cwd: String,
) -> Result<Unknown<'env>> {
    let observations: Observations = env.from_js_value(observations).map_err(|e| {
        throw_type_error(
            env,
            &format!(
                "leakguard: invalid observations for evaluate(): {}",
                e.reason
            ),
            "ERR_INVALID_ARG_VALUE",
        )
    })?;
    env.to_js_value(&core_evaluate(&observations, &cwd))
}
