//! One error type for the whole core.

use thiserror::Error;

/// Every way the core can fail. The binding maps `InvalidArgument` to a JS `TypeError`/`RangeError`
/// (`Status::InvalidArg`) and everything else to a plain `Error`.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum CoreError {
    /// A caller passed something the core cannot work with; the text says what was expected.
    #[error("{0}")]
    InvalidArgument(String),
}
