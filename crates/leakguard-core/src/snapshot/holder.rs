//! Who holds an object, said the way a developer would: the nearest owner on its retainer path
//! that a program wrote — a variable (`session`), or an object and its property
//! (`createDebug.instances`) — skipping the module system (`require`, `module`, `exports`,
//! `Module._cache`) and V8's plumbing (contexts, `native_bind`, `bound_this`, internal and
//! hidden edges).
//!
//! Walking from the object towards the root: the first variable met is the holder, unless a
//! property was met before it and a module boundary (a `Module`, `exports`, `require`, the
//! module cache) lies between the two: then the variable is some other module's and the
//! property (`instances` of the `createDebug` that `debug`'s module exports) is the holder. A
//! property directly on the variable's object is named with it (`cache.entries`). Edges out of
//! objects that are themselves part of the leak (new since the baseline, in a diff) or links of
//! a chain of one class (`next` from a Message to a Message) are not holders.

use super::graph::{EdgeKind, HeapSnapshot, NodeKind};
use super::locations::{self, LazyLocations};

/// The holder of an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    /// `session`, `cache.entries`, `createDebug.instances`, `module.exports.registry`.
    pub name: String,
    /// `variable` (a closure's or module's context slot) or `property`.
    pub kind: String,
    /// Index, in the path's steps, of the node the holder's edge reaches (the held object's
    /// side of the holder).
    pub step: usize,
    /// Where the holder was written: for a variable, a function of its scope (`file:line`); for
    /// a function's property, that function's `file:line`; else the file of the module whose
    /// exports lead to it.
    pub site: Option<String>,
    /// The function named in `site`, as `name()`.
    pub function: Option<String>,
    /// The file of the module the path goes through to reach the holder (`Module._cache` key
    /// or the module's `filename`), when it does.
    pub module: Option<String>,
}

/// Names that are never the holder, whoever owns them: the CommonJS wrapper's parameters and
/// V8's links.
fn plumbing_name(name: &str) -> bool {
    matches!(
        name,
        "require"
            | "module"
            | "exports"
            | "__filename"
            | "__dirname"
            | "constructor"
            | "prototype"
            | "__proto__"
            | "bound_this"
            | "bound_function"
            | "bound_argv"
            | "native_bind"
            | "map"
            | "context"
    ) || name.is_empty()
        || name.bytes().all(|b| b.is_ascii_digit())
        // the module cache's keys
        || name.starts_with('/')
        || name.starts_with("file:")
        || name.starts_with("node:")
        || (name.len() > 2 && name.as_bytes()[1] == b':' && name.as_bytes()[2] == b'\\')
}

/// The module system's own objects: `require` and `Module` (the function and its instances).
fn module_system(s: &HeapSnapshot, n: usize) -> bool {
    is_module(s, n) || (s.kind(n) == NodeKind::Closure && matches!(s.name(n), "require" | "Module"))
}

/// Edge `e` out of `owner` is plumbing: a name above, any property of the module system's
/// objects (`require.cache`, `Module._cache`, a module's `children`, `parent`, `paths`, ...) or
/// an edge to one of them.
fn plumbing(s: &HeapSnapshot, owner: usize, e: usize) -> bool {
    plumbing_name(edge_name(s, e)) || module_system(s, owner) || module_system(s, s.edge_target(e))
}

/// Same class for the chain rule: objects by constructor, functions by name, others by type.
fn same_class(s: &HeapSnapshot, a: usize, b: usize) -> bool {
    s.kind(a) == s.kind(b)
        && match s.kind(a) {
            NodeKind::Object | NodeKind::Native | NodeKind::Closure => {
                s.node_name[a] == s.node_name[b]
            }
            _ => true,
        }
}

/// A module's (or script's) top-level scope: its outer context is the native or script
/// context. A CommonJS module's variables live in its wrapper function's context, which is one.
fn top_level(s: &HeapSnapshot, ctx: usize) -> bool {
    locations::edge_to(s, ctx, "previous").is_some_and(|p| {
        matches!(
            s.name(p),
            "system / NativeContext" | "system / ScriptContext" | "system / ScriptContextTable"
        )
    })
}

fn is_module(s: &HeapSnapshot, n: usize) -> bool {
    s.kind(n) == NodeKind::Object && s.name(n) == "Module"
}

/// The edge into a node crosses the module system.
fn boundary(s: &HeapSnapshot, owner: usize, e: usize) -> bool {
    module_system(s, owner)
        || module_system(s, s.edge_target(e))
        || matches!(edge_name(s, e), "require" | "module" | "exports")
}

fn edge_name(s: &HeapSnapshot, e: usize) -> &str {
    if s.edge_kind(e).is_indexed() {
        ""
    } else {
        s.strings.get(s.edge_name(e))
    }
}

/// The file of a `Module` node: the `Module._cache` key it is stored under, or its
/// `filename` / `id` property.
fn module_file(s: &HeapSnapshot, module: usize, edge_in: Option<usize>) -> Option<String> {
    if let Some(e) = edge_in {
        let key = edge_name(s, e);
        if key.starts_with('/') || key.starts_with("file:") || key.contains('\\') {
            return Some(key.to_string());
        }
    }
    ["filename", "id"].iter().find_map(|k| {
        let t = locations::edge_to(s, module, k)?;
        (s.kind(t).is_string() && !s.name(t).is_empty()).then(|| s.name(t).to_string())
    })
}

fn function_label(s: &HeapSnapshot, f: usize) -> String {
    let name = s.name(f);
    format!("{}()", if name.is_empty() { "(anonymous)" } else { name })
}

/// The holder of the object at the end of `edges` (a shortest path, root side first).
/// `is_new(n)`: node `n` was allocated after the baseline (a diff); such owners are part of the
/// leak, not its holder. `loc` gives closures their lines.
pub(crate) fn find(
    s: &HeapSnapshot,
    edges: &[usize],
    is_new: Option<&dyn Fn(usize) -> bool>,
    loc: &LazyLocations,
) -> Option<Holder> {
    let owner = |k: usize| {
        if k == 0 {
            0
        } else {
            s.edge_target(edges[k - 1])
        }
    };
    let leaf = s.edge_target(*edges.last()?);

    let mut chosen: Option<usize> = None;
    for pass in 0..2 {
        // First pass: owners that are old (in a diff); second: any owner.
        if pass == 1 && (is_new.is_none() || chosen.is_some()) {
            break;
        }
        let mut first_prop: Option<usize> = None;
        let mut crossed = false;
        for k in (0..edges.len()).rev() {
            let e = edges[k];
            let o = owner(k);
            let skip_owner = pass == 0 && is_new.is_some_and(|f| f(o));
            // Contexts are `hidden` in older V8s: only their variables count.
            let candidate = !skip_owner
                && !plumbing(s, o, e)
                && !same_class(s, o, leaf)
                && s.kind(o) != NodeKind::Synthetic
                && (s.kind(o) != NodeKind::Hidden || s.edge_kind(e) == EdgeKind::Context);
            match s.edge_kind(e) {
                EdgeKind::Context if candidate => {
                    if first_prop.is_some() && crossed {
                        chosen = first_prop;
                    } else {
                        chosen = Some(k);
                    }
                    break;
                }
                EdgeKind::Property | EdgeKind::Shortcut if candidate && first_prop.is_none() => {
                    first_prop = Some(k);
                }
                _ => {}
            }
            if first_prop.is_some() && boundary(s, o, e) {
                crossed = true;
            }
        }
        if chosen.is_none() {
            chosen = first_prop;
        }
    }
    let k = chosen?;
    let e = edges[k];
    let o = owner(k);
    let name = edge_name(s, e).to_string();
    // The nearest module on the way from the root to the holder.
    let module = (0..k)
        .rev()
        .find(|&j| is_module(s, s.edge_target(edges[j])))
        .and_then(|j| module_file(s, s.edge_target(edges[j]), Some(edges[j])));
    if s.edge_kind(e) == EdgeKind::Context {
        // A property straight on the variable's object names it: `cache.entries`.
        let text = match edges.get(k + 1) {
            Some(&next)
                if k + 2 < edges.len()
                    && s.edge_kind(next) == EdgeKind::Property
                    && !plumbing(s, owner(k + 1), next)
                    && !same_class(s, owner(k + 1), leaf)
                    && !is_new.is_some_and(|f| f(owner(k + 1))) =>
            {
                format!("{name}.{}", edge_name(s, next))
            }
            _ => name,
        };
        // The function whose scope holds the variable: the closure the path came through,
        // else one defined in that scope. A module's top-level variable is named by the
        // module's file alone.
        let function = if k >= 1 && s.kind(owner(k - 1)) == NodeKind::Closure {
            Some(owner(k - 1))
        } else {
            locations::closures_of_contexts(s, loc, &[o])
                .get(&o)
                .copied()
        };
        if top_level(s, o) {
            let file = function.and_then(|f| locations::script_of(s, f).map(str::to_string));
            return Some(Holder {
                name: text,
                kind: "variable".into(),
                step: k,
                site: file.clone(),
                function: None,
                module: module.or(file),
            });
        }
        return Some(Holder {
            name: text,
            kind: "variable".into(),
            step: k,
            site: function.and_then(|f| locations::closure_site(s, loc, f)),
            function: function.map(|f| function_label(s, f)),
            module,
        });
    }
    // A property: named with its owner.
    let owner_name = match s.kind(o) {
        NodeKind::Closure => {
            let n = s.name(o);
            if n.is_empty() {
                "(anonymous)".to_string()
            } else {
                n.to_string()
            }
        }
        _ if k >= 1 => {
            let into = edges[k - 1];
            let via = edge_name(s, into);
            let from = owner(k - 1);
            if via == "exports" && is_module(s, from) {
                "module.exports".to_string()
            } else if matches!(s.edge_kind(into), EdgeKind::Property | EdgeKind::Context)
                && !plumbing(s, from, into)
            {
                via.to_string()
            } else {
                s.class_name(o).into_owned()
            }
        }
        _ => s.class_name(o).into_owned(),
    };
    let function = (s.kind(o) == NodeKind::Closure).then_some(o);
    let site = function
        .and_then(|f| locations::closure_site(s, loc, f))
        .or_else(|| module.clone());
    Some(Holder {
        name: format!("{owner_name}.{name}"),
        kind: "property".into(),
        step: k,
        site,
        function: function.map(|f| function_label(s, f)),
        module,
    })
}

#[cfg(test)]
mod tests {
    use super::super::paths::{DistanceFilter, PathTree};
    use super::super::test_support::{SnapshotBuilder, E};
    use super::*;

    fn holder_of(b: &SnapshotBuilder, target: usize) -> Option<Holder> {
        let s = b.parse();
        let tree = PathTree::new(&s, &DistanceFilter::new(&s));
        let edges = tree.path_edges(&s, target).unwrap();
        find(&s, &edges, None, &LazyLocations::none())
    }

    #[test]
    fn a_registry_reached_through_the_module_system_is_named_by_object_and_property() {
        // handle's context -require-> require() -cache-> Object -/app/debug.js-> Module
        // -exports-> createDebug() -instances-> Array -[3]-> debug()
        let mut b = SnapshotBuilder::new();
        let gc = b.node("synthetic", "(GC roots)", 0);
        let handle = b.node("closure", "handle", 32);
        let ctx = b.node("object", "system / Context", 40);
        let require = b.node("closure", "require", 32);
        let cache = b.node("object", "Object", 32);
        let module = b.node("object", "Module", 64);
        let create = b.node("closure", "createDebug", 32);
        let list = b.node("object", "Array", 16);
        let debug = b.node("closure", "debug", 32);
        b.edge(0, E::Element(1), gc);
        b.edge(gc, E::Element(1), handle);
        b.edge(handle, E::Internal("context"), ctx);
        b.edge(ctx, E::Context("require"), require);
        b.edge(require, E::Property("cache"), cache);
        b.edge(
            cache,
            E::Property("/app/node_modules/debug/src/node.js"),
            module,
        );
        b.edge(module, E::Property("exports"), create);
        b.edge(create, E::Property("instances"), list);
        b.edge(list, E::Element(3), debug);
        let h = holder_of(&b, debug).unwrap();
        assert_eq!(
            (h.name.as_str(), h.kind.as_str()),
            ("createDebug.instances", "property")
        );
        assert_eq!(
            h.module.as_deref(),
            Some("/app/node_modules/debug/src/node.js")
        );
        assert_eq!(h.function.as_deref(), Some("createDebug()"));
        assert_eq!(h.step, 7);

        // The same registry in a variable of the caller's own scope: the variable.
        let mut b = SnapshotBuilder::new();
        let gc = b.node("synthetic", "(GC roots)", 0);
        let ctx = b.node("object", "system / Context", 40);
        let cache = b.node("object", "Object", 32);
        let map = b.node("object", "Map", 32);
        let table = b.node("array", "(object elements)", 64);
        let session = b.node("object", "Session", 32);
        b.edge(0, E::Element(1), gc);
        b.edge(gc, E::Element(1), ctx);
        b.edge(ctx, E::Context("cache"), cache);
        b.edge(cache, E::Property("entries"), map);
        b.edge(map, E::Internal("table"), table);
        b.edge(table, E::Internal("7"), session);
        let h = holder_of(&b, session).unwrap();
        assert_eq!(
            (h.name.as_str(), h.kind.as_str()),
            ("cache.entries", "variable")
        );
    }

    #[test]
    fn links_of_a_chain_are_not_the_holder() {
        let mut b = SnapshotBuilder::new();
        let gc = b.node("synthetic", "(GC roots)", 0);
        let ctx = b.node("object", "system / Context", 40);
        b.edge(0, E::Element(1), gc);
        b.edge(gc, E::Element(1), ctx);
        let mut prev = ctx;
        for i in 0..10 {
            let m = b.node("object", "Message", 16);
            let e = if i == 0 {
                E::Context("head")
            } else {
                E::Property("next")
            };
            b.edge(prev, e, m);
            prev = m;
        }
        let h = holder_of(&b, prev).unwrap();
        assert_eq!((h.name.as_str(), h.step), ("head", 2));
    }
}
