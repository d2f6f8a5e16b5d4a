//! Distances from the root and shortest retainer paths, as DevTools' retainers view finds them.
//!
//! Distances come from a breadth-first search from the synthetic root over every edge but
//! weak ones, with DevTools' `JSHeapSnapshot.calculateDistances` filter: the
//! `sloppy_function_map` of a native context and the descriptor links of `(map descriptors)`
//! arrays are not followed (they make every object look one hop from a context).
//!
//! Every node keeps the edge it was reached by on a shortest path; among all its retainers one
//! step closer to the root, edges a program wrote (property, context variable, element) are
//! preferred to V8-internal ones, and objects to system nodes, so the path reads in the names a
//! developer knows.

use std::borrow::Cow;

use super::graph::{EdgeKind, HeapSnapshot, NodeKind};

/// Unreachable from the root.
pub const UNREACHABLE: u32 = u32::MAX;

/// One step of a retainer path. The first step is the root side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetainerStep {
    /// The edge from the previous step (the synthetic root for the first) into this node:
    /// a property or variable name, `[index]` for elements and hidden edges.
    pub edge: String,
    /// `property`, `context`, `element`, `internal`, `hidden`, `shortcut`.
    pub edge_type: String,
    /// The node as a person reads it: a constructor name, `name()` for a function, a quoted
    /// string, `system / Context`, `(GC roots)`.
    pub node: String,
    /// The snapshot's type of the node: `object`, `closure`, `string`, `hidden`, ...
    pub node_type: String,
    /// The node's snapshot id.
    pub id: u32,
}

/// String-table indices the distance filter compares against.
#[derive(Debug, Default)]
pub(crate) struct DistanceFilter {
    sloppy_function_map: Option<u32>,
    native_context: Option<u32>,
    map_descriptors: Option<u32>,
}

impl DistanceFilter {
    pub(crate) fn new(s: &HeapSnapshot) -> Self {
        let mut f = DistanceFilter::default();
        for i in 0..s.strings.len() as u32 {
            match s.strings.get(i) {
                "sloppy_function_map" => f.sloppy_function_map = Some(i),
                "system / NativeContext" => f.native_context = Some(i),
                "(map descriptors)" => f.map_descriptors = Some(i),
                _ => {}
            }
        }
        f
    }

    /// Whether a path may go from `from` through edge `e`.
    #[inline]
    pub(crate) fn follows(&self, s: &HeapSnapshot, from: usize, e: usize) -> bool {
        let kind = s.edge_kind(e);
        if kind == EdgeKind::Weak {
            return false;
        }
        match s.kind(from) {
            NodeKind::Hidden
                if self.native_context == Some(s.node_name[from])
                    && !kind.is_indexed()
                    && self.sloppy_function_map == Some(s.edge_name(e)) =>
            {
                false
            }
            NodeKind::Array if self.map_descriptors == Some(s.node_name[from]) => {
                let index = if kind.is_indexed() {
                    Some(u64::from(s.edge_name(e)))
                } else {
                    s.strings.get(s.edge_name(e)).parse::<u64>().ok()
                };
                match index {
                    Some(i) => i < 2 || i % 3 != 1,
                    None => true,
                }
            }
            _ => true,
        }
    }
}

/// How much a path step is preferred: lower is better.
fn preference(s: &HeapSnapshot, from: usize, e: usize) -> u8 {
    let edge = match s.edge_kind(e) {
        EdgeKind::Property | EdgeKind::Context | EdgeKind::Element => 0,
        EdgeKind::Shortcut => 1,
        EdgeKind::Internal => 2,
        _ => 3,
    };
    let node = match s.kind(from) {
        NodeKind::Hidden | NodeKind::Array | NodeKind::Code | NodeKind::ObjectShape => 1,
        _ => 0,
    };
    edge * 2 + node
}

/// Breadth-first distances from the root (node 0) and, per node, the edge it is reached by on
/// a shortest path. Of all shortest-path parents of a node the most preferred edge is kept, so
/// no retainer index is needed to rebuild paths.
pub(crate) struct PathTree {
    /// Distance from the root; `UNREACHABLE` where no path exists.
    pub(crate) dist: Vec<u32>,
    /// The edge into each node on its shortest path (`u32::MAX` for the root and unreached).
    parent: Vec<u32>,
}

impl PathTree {
    pub(crate) fn new(s: &HeapSnapshot, filter: &DistanceFilter) -> PathTree {
        let n = s.node_count();
        let mut dist = vec![UNREACHABLE; n];
        let mut parent = vec![u32::MAX; n];
        let mut pref = vec![u8::MAX; n];
        let mut queue: Vec<u32> = Vec::with_capacity(1024);
        dist[0] = 0;
        queue.push(0);
        let mut head = 0;
        while head < queue.len() {
            let from = queue[head] as usize;
            head += 1;
            let d = dist[from] + 1;
            for e in s.edges(from) {
                let to = s.edge_target(e);
                let seen = dist[to];
                if seen != UNREACHABLE && seen != d {
                    continue;
                }
                if !filter.follows(s, from, e) {
                    continue;
                }
                let p = preference(s, from, e);
                if seen == UNREACHABLE {
                    dist[to] = d;
                    queue.push(to as u32);
                } else if p >= pref[to] {
                    continue;
                }
                parent[to] = e as u32;
                pref[to] = p;
            }
        }
        PathTree { dist, parent }
    }

    /// The edge into `n` on its shortest path (`None` for the root and unreachable nodes).
    #[inline]
    pub(crate) fn parent_edge(&self, n: usize) -> Option<usize> {
        match self.parent[n] {
            u32::MAX => None,
            e => Some(e as usize),
        }
    }

    /// The edges of a shortest path from the root to `target` (root side first), or `None`
    /// when `target` is unreachable. Empty for the root itself.
    pub(crate) fn path_edges(&self, s: &HeapSnapshot, target: usize) -> Option<Vec<usize>> {
        if self.dist[target] == UNREACHABLE {
            return None;
        }
        let mut edges = Vec::with_capacity(self.dist[target] as usize);
        let mut cur = target;
        while cur != 0 {
            let e = self.parent[cur];
            if e == u32::MAX || edges.len() > self.dist[target] as usize {
                return None;
            }
            edges.push(e as usize);
            cur = s.edge_owner(e as usize);
        }
        edges.reverse();
        Some(edges)
    }
}

fn truncate(text: &str, max: usize) -> Cow<'_, str> {
    if text.chars().count() <= max {
        Cow::Borrowed(text)
    } else {
        let mut t: String = text.chars().take(max).collect();
        t.push('…');
        Cow::Owned(t)
    }
}

/// A node as a person reads it.
pub fn node_label(s: &HeapSnapshot, n: usize) -> String {
    let name = s.name(n);
    if name.is_empty() && !matches!(s.kind(n), NodeKind::Closure) && !s.kind(n).is_string() {
        return s.class_name(n).into_owned();
    }
    match s.kind(n) {
        NodeKind::Closure => {
            let f = if name.is_empty() { "(anonymous)" } else { name };
            format!("{}()", truncate(f, 60))
        }
        k if k.is_string() => {
            let one_line = name.replace('\n', "\\n");
            format!("\"{}\"", truncate(&one_line, 40))
        }
        NodeKind::Object | NodeKind::Native | NodeKind::Hidden | NodeKind::Array => {
            truncate(name, 80).into_owned()
        }
        NodeKind::Synthetic if !name.is_empty() => name.to_string(),
        _ => s.class_name(n).into_owned(),
    }
}

/// The steps of a path given by its edges.
pub(crate) fn steps(s: &HeapSnapshot, edges: &[usize]) -> Vec<RetainerStep> {
    edges
        .iter()
        .map(|&e| {
            let n = s.edge_target(e);
            RetainerStep {
                edge: s.edge_label(e),
                edge_type: s.edge_type_name(e).to_string(),
                node: node_label(s, n),
                node_type: s.type_name(n).to_string(),
                id: s.id(n),
            }
        })
        .collect()
}

/// Paths longer than this are shown with `…` in the middle.
const MAX_SHOWN: usize = 12;

/// A path as one line: `(GC roots) → … → sessionRegistry (Map) → table → LeakyThing`.
///
/// The first step shows its node; every later step shows the edge that reaches it, followed by
/// the node in parentheses when it is something a program made (an object, a function, a
/// native object) or a synthetic group. The last step shows its node alone when it is reached
/// through an index (`[3]`). Long paths keep their first two and last nine steps.
pub fn path_text(steps: &[RetainerStep]) -> String {
    let wrap = |node: &str| -> String {
        if node.starts_with('(') && node.ends_with(')') && !node.ends_with("()") {
            node.to_string()
        } else {
            format!("({node})")
        }
    };
    let shown = |i: usize, st: &RetainerStep| -> String {
        if i == 0 {
            return st.node.clone();
        }
        let user = matches!(
            st.node_type.as_str(),
            "object" | "closure" | "native" | "regexp" | "synthetic"
        );
        let last = i + 1 == steps.len();
        if last {
            if st.edge.starts_with('[') {
                st.node.clone()
            } else {
                format!("{} {}", st.edge, wrap(&st.node))
            }
        } else if user {
            format!("{} {}", st.edge, wrap(&st.node))
        } else {
            st.edge.clone()
        }
    };
    let mut parts: Vec<String> = Vec::new();
    if steps.len() > MAX_SHOWN {
        parts.extend(steps[..2].iter().enumerate().map(|(i, st)| shown(i, st)));
        parts.push("…".into());
        let from = steps.len() - (MAX_SHOWN - 3);
        parts.extend(
            steps
                .iter()
                .enumerate()
                .skip(from)
                .map(|(i, st)| shown(i, st)),
        );
    } else {
        parts.extend(steps.iter().enumerate().map(|(i, st)| shown(i, st)));
    }
    parts.join(" → ")
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{SnapshotBuilder, E};
    use super::*;

    /// root -> (GC roots) -> handle -> fn -> context -> Map -> table -> LeakyThing, plus a
    /// longer property route and a hidden shortcut of the same length.
    fn leaky() -> (SnapshotBuilder, usize, usize) {
        let mut b = SnapshotBuilder::new();
        let gc = b.node("synthetic", "(GC roots)", 0);
        let handles = b.node("synthetic", "(Global handles)", 0);
        let f = b.node("closure", "serve", 32);
        let ctx = b.node("hidden", "system / Context", 40);
        let map = b.node("object", "Map", 32);
        let table = b.node("array", "(object elements)", 64);
        let thing = b.node("object", "LeakyThing", 24);
        let other = b.node("hidden", "system / Foo", 8);
        b.edge(0, E::Element(1), gc);
        b.edge(gc, E::Element(2), handles);
        b.edge(handles, E::Element(5), f);
        b.edge(f, E::Internal("context"), ctx);
        b.edge(ctx, E::Context("sessionRegistry"), map);
        b.edge(map, E::Internal("table"), table);
        // A hidden edge of the same length from a system node: not preferred.
        b.edge(ctx, E::Hidden(7), other);
        b.edge(other, E::Hidden(1), table);
        b.edge(table, E::Internal("3"), thing);
        b.edge(table, E::Weak("w"), thing);
        (b, thing, gc)
    }

    #[test]
    fn shortest_path_reads_in_program_names() {
        let (b, thing, _) = leaky();
        let s = b.parse();
        let tree = PathTree::new(&s, &DistanceFilter::new(&s));
        assert_eq!(tree.dist[thing], 7);
        let edges = tree.path_edges(&s, thing).unwrap();
        let steps = steps(&s, &edges);
        assert_eq!(steps.len(), 7);
        assert_eq!(steps[0].node, "(GC roots)");
        assert_eq!(steps[4].edge, "sessionRegistry");
        assert_eq!(steps[4].edge_type, "context");
        assert_eq!(steps[4].node, "Map");
        assert_eq!(steps[4].id, s.id(5));
        assert_eq!(steps[6].node, "LeakyThing");
        assert_eq!(
            path_text(&steps),
            "(GC roots) → [2] (Global handles) → [5] (serve()) → context → \
             sessionRegistry (Map) → table → LeakyThing"
        );
    }

    #[test]
    fn weak_only_is_unreachable_and_root_path_is_empty() {
        let mut b = SnapshotBuilder::new();
        let a = b.node("object", "A", 1);
        let w = b.node("object", "W", 1);
        b.edge(0, E::Element(1), a);
        b.edge(a, E::Weak("w"), w);
        let s = b.parse();
        let tree = PathTree::new(&s, &DistanceFilter::new(&s));
        assert_eq!(tree.dist[w], UNREACHABLE);
        assert!(tree.path_edges(&s, w).is_none());
        assert_eq!(tree.path_edges(&s, 0), Some(vec![]));
    }

    #[test]
    fn long_paths_are_shortened_in_the_middle() {
        let steps: Vec<RetainerStep> = (0..20)
            .map(|i| RetainerStep {
                edge: format!("e{i}"),
                edge_type: "property".into(),
                node: format!("N{i}"),
                node_type: "object".into(),
                id: i,
            })
            .collect();
        let text = path_text(&steps);
        assert!(text.starts_with("N0 → e1 (N1) → … → e11 (N11)"), "{text}");
        assert!(text.ends_with("e19 (N19)"), "{text}");
        assert_eq!(text.matches(" → ").count(), 11);
    }
}
