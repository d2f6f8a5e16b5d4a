//! leakguard-core: the pure-Rust heart of leakguard.
//!
//! Nothing here knows about Node-API. The binding crate converts JavaScript values into the
//! plain structs below, calls in, and converts the results back.
//!
//! - [`trend`]: decides when a series of counts is a leak (sustained growth without matching
//!   removals) rather than a burst, a plateau or a sawtooth.
//! - [`leak`]: a finding, as data.
//! - [`rules`]: turns batched observations (listener groups, ...) into findings.
//! - [`site`]: formatting of add-sites for people.
//! - [`snapshot`]: V8 heap snapshots: parser, graph, dominators, retained sizes, analyze,
//!   three-snapshot diff and retainer paths.
#![deny(clippy::all)]

pub mod collections;
pub mod error;
pub mod globals;
pub mod handles;
pub mod leak;
pub mod retained;
pub mod rules;
pub mod site;
pub mod snapshot;
pub mod timers;
pub mod trend;

pub use error::CoreError;
pub use leak::{Leak, LeakKind};
