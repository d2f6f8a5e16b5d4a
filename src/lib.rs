//! Node-API binding of leakguard: converts types and errors, nothing else.
//! The logic lives in `crates/leakguard-core`.
#![deny(clippy::all)]

mod collections;
mod error;
mod globals;
mod handles;
mod retained;
mod rules;
mod snapshot;
mod timers;
mod trend;

pub use collections::*;
pub use globals::*;
pub use handles::*;
pub use retained::*;
pub use rules::*;
pub use snapshot::*;
pub use timers::*;
pub use trend::*;
