//! V8 heap snapshots (`.heapsnapshot`): a parser built for size, the heap graph, dominator
//! tree and retained sizes (Chrome DevTools' rules), retainer paths, `analyze`, memlab's
//! three-snapshot `diff`.

pub mod dominators;
pub mod graph;
mod numbers;
pub mod parse;
mod profile;
pub mod progress;
mod reader;
#[cfg(test)]
pub(crate) mod test_support;

pub use dominators::Dominators;
pub use graph::{EdgeKind, HeapSnapshot, NodeKind};
pub use parse::{open_snapshot, parse, read_file, ParseOptions};
pub use progress::{Phase, Progress};
pub mod analyze;
mod cluster;
pub mod holder;
mod locations;
pub mod own;
pub mod paths;
pub mod provenance;

pub use analyze::{
    analyze, analyze_watched, analyze_with, diff, diff_with, retainer_paths,
    retainer_paths_watched, retainer_paths_with, summarize, Analysis, ClassCount, ClassSummary,
    HeapDiff, HeapSummary, LargeObject, LeakGroup, RetainerPath,
};
pub use holder::Holder;
pub use own::OwnCode;
pub use paths::{held_path_text, path_text, RetainerStep};
pub use provenance::DiffWarning;
