//! The `handles` rule: one batched call per check.

use leakguard_core::handles::{self, HandleGroup};
use napi_derive::napi;

use crate::rules::LeakOutput;

/// Open handles of one kind, address and creation site.
#[napi(object)]
pub struct HandleInput {
    /// A listening server (true) or an open client socket (false).
    pub server: bool,
    /// The class the user knows it by: `Server`, `Socket`, ...
    pub label: String,
    /// `127.0.0.1:4242`, a pipe path, or nothing.
    pub address: Option<String>,
    /// `file:line:column` where it was created.
    pub site: Option<String>,
    /// How many are still open.
    pub count: u32,
}

/// Turns the open handles of one check into findings. @default cwd ''
#[napi(catch_unwind)]
pub fn evaluate_handles(groups: Vec<HandleInput>, cwd: Option<String>) -> Vec<LeakOutput> {
    let groups: Vec<HandleGroup> = groups
        .into_iter()
        .map(|g| HandleGroup {
            server: g.server,
            label: g.label,
            address: g.address,
            site: g.site,
            count: u64::from(g.count),
        })
        .collect();
    handles::handle_leaks(&groups, &cwd.unwrap_or_default())
        .into_iter()
        .map(LeakOutput::from)
        .collect()
}
