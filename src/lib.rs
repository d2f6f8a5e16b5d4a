//! Node-API binding of leakguard: converts types and errors, nothing else.
//! The logic lives in `crates/leakguard-core`.
#![deny(clippy::all)]

mod error;
mod rules;
mod snapshot;
mod trend;

pub use rules::*;
pub use snapshot::*;
pub use trend::*;
