//! One error type for the whole core.

use thiserror::Error;

/// Every way the core can fail. The binding maps `InvalidArgument` to a JS `TypeError`/`RangeError`
/// (`Status::InvalidArg`) and everything else to a plain `Error`.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum CoreError {
    /// A caller passed something the core cannot work with; the text says what was expected.
    #[error("{0}")]
    InvalidArgument(String),
    /// A heap snapshot is truncated or corrupt: where (byte offset) and what.
    #[error("heap snapshot is corrupt at byte {offset}: {reason}")]
    Snapshot { offset: u64, reason: String },
    /// A file could not be read: the path and the OS reason (`ENOENT: ...`).
    #[error("cannot read heap snapshot '{path}': {reason}")]
    Io { path: String, reason: String },
}
