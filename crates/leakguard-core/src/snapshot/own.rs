//! The tool's own allocations, left out of a diff: a snapshot of a process leakguard watches
//! holds leakguard's state too (its modules' variables, the WeakRefs and FinalizationRegistry
//! of its detectors, the entries it keeps on emitters under its symbols, the realms it makes
//! for stacks and GC, the strings of its code), and that state grows between snapshots.
//!
//! What is leakguard's is told apart in the snapshot itself, by code and by dominance:
//! - seeds: closures whose script is under one of leakguard's directories (or is a file of a
//!   `node_modules/<package>/`), with their shared function info, script and scope context;
//!   leakguard's `Module` objects (by `filename`); values its scopes' variables hold that are
//!   new in the diff (by contract leakguard never holds a program's object strongly: a
//!   WeakRef, WeakMap or FinalizationRegistry, never a variable); what is kept under a
//!   property keyed by one of its symbols (`Symbol('leakguard.…')`, on a program's emitter);
//! - an object is leakguard's when it is a seed or the root no longer reaches it (by strong
//!   edges) once the seeds are taken out: every path to it from a GC root goes through
//!   leakguard's code or state, so freeing leakguard would free it. An object a program also
//!   holds is still reached and stays in the diff. One search over the graph: linear.
//!   Likewise what a leakguard object dominates in the dominator tree the diff groups by.

use std::collections::HashMap;

use super::dominators::Dominators;
use super::graph::{EdgeKind, HeapSnapshot, NodeKind};
use super::locations;

/// Whose code is "own": leakguard's package, however it was installed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OwnCode {
    /// Files, and directories whose scripts are, own (what leakguard's package ships, as
    /// loaded: `lib/`, `index.js`, ...; not the package's tests).
    pub paths: Vec<String>,
    /// A package name whose files are own wherever they are installed
    /// (`…/node_modules/<package>/…`): the snapshot may come from another installation than
    /// the one diffing it.
    pub package: Option<String>,
    /// Symbol descriptions starting with this mark what is kept under them as own
    /// (`leakguard.`).
    pub symbol_prefix: Option<String>,
}

impl OwnCode {
    /// leakguard's own code: the files and directories `paths`, package `leakguard`, symbols
    /// `leakguard.…`.
    pub fn leakguard(paths: Vec<String>) -> OwnCode {
        OwnCode {
            paths,
            package: Some("leakguard".into()),
            symbol_prefix: Some("leakguard.".into()),
        }
    }

    /// The script (a file name or `file://` URL) is own.
    pub fn owns_script(&self, script: &str) -> bool {
        let path = script.strip_prefix("file://").unwrap_or(script);
        let under = |dir: &str| {
            let dir = dir.trim_end_matches(['/', '\\']);
            !dir.is_empty()
                && path.starts_with(dir)
                && (path.len() == dir.len() || matches!(path.as_bytes()[dir.len()], b'/' | b'\\'))
        };
        self.paths.iter().any(|d| under(d))
            || self.package.as_deref().is_some_and(|p| {
                [
                    format!("/node_modules/{p}/"),
                    format!("\\node_modules\\{p}\\"),
                ]
                .iter()
                .any(|m| path.contains(m.as_str()))
            })
    }

    fn owns_symbol_edge(&self, name: &str) -> bool {
        self.symbol_prefix.as_deref().is_some_and(|p| {
            name.strip_prefix("<symbol ")
                .is_some_and(|rest| rest.starts_with(p))
        })
    }
}

/// Per node: it is the tool's own (see the module doc). `is_new(n)`: node `n` is new in the
/// diff (only new values of own variables are seeds).
pub(crate) fn owned(
    s: &HeapSnapshot,
    d: &Dominators,
    own: &OwnCode,
    is_new: &dyn Fn(usize) -> bool,
) -> Vec<bool> {
    let n = s.node_count();
    let mut seed = vec![false; n];
    let mut own_script: HashMap<usize, bool> = HashMap::new();
    let mut own_contexts = Vec::new();
    for f in 0..n {
        match s.kind(f) {
            NodeKind::Closure => {
                let Some(shared) = locations::edge_to(s, f, "shared") else {
                    continue;
                };
                let Some(script) = locations::edge_to(s, shared, "script_or_debug_info")
                    .or_else(|| locations::edge_to(s, shared, "script"))
                else {
                    continue;
                };
                let mine = *own_script
                    .entry(script)
                    .or_insert_with(|| own.owns_script(s.name(script)));
                if !mine {
                    continue;
                }
                seed[f] = true;
                seed[shared] = true;
                seed[script] = true;
                if let Some(ctx) = locations::edge_to(s, f, "context") {
                    if s.name(ctx) == "system / Context" {
                        seed[ctx] = true;
                        own_contexts.push(ctx);
                    }
                }
            }
            NodeKind::Object if s.name(f) == "Module" => {
                let file = ["filename", "id"].iter().find_map(|k| {
                    let t = locations::edge_to(s, f, k)?;
                    s.kind(t).is_string().then(|| s.name(t))
                });
                if file.is_some_and(|p| own.owns_script(p)) {
                    seed[f] = true;
                }
            }
            _ => {}
        }
    }
    for ctx in own_contexts {
        for e in s.edges(ctx) {
            let t = s.edge_target(e);
            if s.edge_kind(e) == EdgeKind::Context && is_new(t) {
                seed[t] = true;
            }
        }
    }
    if own.symbol_prefix.is_some() {
        for o in 0..n {
            for e in s.edges(o) {
                if s.edge_kind(e) == EdgeKind::Property
                    && own.owns_symbol_edge(s.strings.get(s.edge_name(e)))
                {
                    seed[s.edge_target(e)] = true;
                }
            }
        }
    }
    // What the root still reaches, strongly, with the seeds taken out: the rest is held only
    // through them (or not at all).
    let mut reached = vec![false; n];
    reached[0] = true;
    let mut queue: Vec<u32> = vec![0];
    while let Some(i) = queue.pop() {
        for e in s.edges(i as usize) {
            let t = s.edge_target(e);
            if !reached[t] && !seed[t] && s.edge_kind(e) != EdgeKind::Weak {
                reached[t] = true;
                queue.push(t as u32);
            }
        }
    }
    for (o, r) in seed.iter_mut().zip(reached) {
        *o = *o || !r;
    }
    // And what leakguard's objects dominate, by the rules the diff groups by (DevTools':
    // references from the embedder's nodes into a program's do not count): down the dominator
    // tree, parents first.
    super::analyze::walk_dominator_tree(d, |i, enter| {
        if enter && i != 0 && seed[d.idom[i] as usize] {
            seed[i] = true;
        }
    });
    seed
}

/// Per node: V8's scratch slots and once-per-process registrations, never a program's leak
/// whatever allocated them: what a native context's `regexp_last_match_info` (the last
/// RegExp match's subject and captures, replaced by the next match) and
/// `fast_template_instantiations_cache` (one function per native class template) hold, and
/// what the `(Extensions)` GC root category holds (V8 extensions, `--expose-gc`'s `v8/gc`);
/// and strings whose every strong retainer is code, an object shape or a GC root category
/// (string constants of compiled functions and property names, in the string table: the
/// code's memory, not a program's data), or the scratch above, or the tool's `own` objects. What these dominate goes with
/// them.
pub(crate) fn v8_scratch(s: &HeapSnapshot, d: &Dominators, own: Option<&[bool]>) -> Vec<bool> {
    let n = s.node_count();
    let mut out = vec![false; n];
    let strong = |e: usize| s.edge_kind(e) != EdgeKind::Weak;
    for f in 0..n {
        let native_context = s.name(f) == "system / NativeContext";
        let extensions = s.kind(f) == NodeKind::Synthetic && s.name(f) == "(Extensions)";
        if !native_context && !extensions {
            continue;
        }
        for e in s.edges(f).filter(|&e| strong(e)) {
            let slot = !s.edge_kind(e).is_indexed()
                && matches!(
                    s.strings.get(s.edge_name(e)),
                    "regexp_last_match_info" | "fast_template_instantiations_cache"
                );
            if extensions || slot {
                out[s.edge_target(e)] = true;
            }
        }
    }
    let down = |out: &mut Vec<bool>| {
        super::analyze::walk_dominator_tree(d, |i, enter| {
            if enter && i != 0 && out[d.idom[i] as usize] {
                out[i] = true;
            }
        })
    };
    down(&mut out);
    // Strings held by data: by anything but code, object shapes (property names), GC root
    // categories (the string table), the scratch above and the tool's own objects (`own`).
    let mut data_string = vec![false; n];
    for f in 0..n {
        if out[f]
            || own.is_some_and(|o| o[f])
            || matches!(
                s.kind(f),
                NodeKind::Code | NodeKind::ObjectShape | NodeKind::Synthetic
            )
        {
            continue;
        }
        for e in s.edges(f).filter(|&e| strong(e)) {
            let t = s.edge_target(e);
            if s.kind(t).is_string() {
                data_string[t] = true;
            }
        }
    }
    for (i, o) in out.iter_mut().enumerate() {
        if s.kind(i).is_string() && !data_string[i] {
            *o = true;
        }
    }
    drop(data_string);
    down(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_under_the_package_or_its_name_are_own() {
        let own = OwnCode::leakguard(vec!["/work/app/node_modules/leakguard".into()]);
        assert!(own.owns_script("/work/app/node_modules/leakguard/lib/session/gc.js"));
        assert!(own.owns_script("file:///work/app/node_modules/leakguard/index.js"));
        assert!(own.owns_script("/home/u/.npm/_npx/1/node_modules/leakguard/lib/x.js"));
        assert!(own.owns_script("C:\\app\\node_modules\\leakguard\\index.js"));
        assert!(!own.owns_script("/work/app/node_modules/leakguard-extra/index.js"));
        assert!(!own.owns_script("/work/app/src/leakguard.js"));
        assert!(!own.owns_script("node:events"));
        // a checkout: what the package ships, not its tests
        let dev = OwnCode::leakguard(vec![
            "/work/wt-15/lib/".into(),
            "/work/wt-15/index.js".into(),
        ]);
        assert!(dev.owns_script("/work/wt-15/lib/instrument/site.js"));
        assert!(dev.owns_script("/work/wt-15/index.js"));
        assert!(!dev.owns_script("/work/wt-15/index.jsx"));
        assert!(!dev.owns_script("/work/wt-15/__tests__/fixtures/holders/leaks.js"));
        assert!(!dev.owns_script("/work/wt-15/lib-other/x.js"));
        assert!(own.owns_symbol_edge("<symbol leakguard.emitter>"));
        assert!(!own.owns_symbol_edge("<symbol kEvents>"));
        assert!(!own.owns_symbol_edge("leakguard.emitter"));
    }
}
