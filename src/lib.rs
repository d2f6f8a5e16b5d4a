//! Node-API binding of leakguard: converts types and errors, nothing else.
//! The logic lives in `crates/leakguard-core`.
#![deny(clippy::all)]

mod error;
mod evaluate;
mod memory;
mod signals;
mod snapshot;
mod trend;
mod weak;

pub use evaluate::*;
pub use memory::*;
pub use signals::*;
pub use snapshot::*;
pub use trend::*;
pub use weak::*;
