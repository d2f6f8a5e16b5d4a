//! leakguard-core: the pure-Rust heart of leakguard.
//!
//! Nothing here knows about Node-API. The binding crate hands the observations the JavaScript
//! side gathered to [`evaluate`] (deserialized by serde) and returns the finished findings.
//!
//! - [`leak`]: a finding, as data: the one definition (TypeScript types generated from it).
//! - [`evaluate`]: observations of one detector in, findings out.
//! - one rule module per kind: [`listeners`], [`collections`], [`retained`], [`globals`],
//!   [`timers`], [`handles`]; [`growth`] for guard mode's trend findings.
//! - [`trend`]: decides when a series of counts is a leak (sustained growth without matching
//!   removals) rather than a burst, a plateau or a sawtooth.
//! - [`site`]: formatting of add-sites for people.
//! - [`snapshot`]: V8 heap snapshots: parser, graph, dominators, retained sizes, analyze,
//!   three-snapshot diff and retainer paths.
#![deny(clippy::all)]

pub mod collections;
pub mod error;
pub mod evaluate;
#[doc(hidden)]
pub mod fuzzing;
pub mod globals;
pub mod growth;
pub mod handles;
pub mod leak;
pub mod listeners;
pub mod redact;
pub mod retained;
pub mod site;
pub mod snapshot;
pub mod timers;
pub mod trend;
mod typings;

pub use error::CoreError;
pub use evaluate::{evaluate, Observations};
pub use leak::{Keyed, Leak, LeakKind};
