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
//!
//! Roots that hold an object only for the moment the snapshot was taken (`(Handle scope)`,
//! `(Stack roots)`: handles on the native stack of whatever was running; `(Strong roots)`, where
//! the snapshot writer's own identity maps hang) are followed last: an object the program also
//! holds in a variable is reached through that variable, whatever V8 was doing when the snapshot
//! was written.

use super::dominators::refill;
use super::graph::{EdgeKind, HeapSnapshot, NodeKind};
use crate::redact::{self, Strings};

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

    /// Whether [`DistanceFilter::follows`] can refuse an edge from `from` that is not weak:
    /// false for all but a native context and `(map descriptors)` arrays.
    #[inline]
    pub(crate) fn filters(&self, s: &HeapSnapshot, from: usize) -> bool {
        match s.kind(from) {
            NodeKind::Hidden => self.native_context == Some(s.node_name[from]),
            NodeKind::Array => self.map_descriptors == Some(s.node_name[from]),
            _ => false,
        }
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

/// A root that holds objects only while the snapshot is written: handles on the native stack,
/// the writer's identity maps.
fn is_transient_root(s: &HeapSnapshot, n: usize) -> bool {
    s.kind(n) == NodeKind::Synthetic
        && matches!(
            s.name(n),
            "(Handle scope)" | "(Stack roots)" | "(Strong roots)"
        )
}

/// How much a path step is preferred: lower is better (`edge_preference(kind of the edge) * 2
/// + node_preference(kind of its source)`).
#[inline]
fn edge_preference(kind: EdgeKind) -> u8 {
    match kind {
        EdgeKind::Property | EdgeKind::Context | EdgeKind::Element => 0,
        EdgeKind::Shortcut => 1,
        EdgeKind::Internal => 2,
        _ => 3,
    }
}

/// The source node's part of a step's preference (see [`edge_preference`]).
#[inline]
fn node_preference(kind: NodeKind) -> u8 {
    match kind {
        NodeKind::Hidden | NodeKind::Array | NodeKind::Code | NodeKind::ObjectShape => 1,
        _ => 0,
    }
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
        PathTree::reusing(s, filter, [None, None])
    }

    /// [`PathTree::new`] with its two node arrays in `spare` ones (`dominators::refill`).
    pub(crate) fn reusing(
        s: &HeapSnapshot,
        filter: &DistanceFilter,
        [spare_dist, spare_parent]: [Option<Vec<u32>>; 2],
    ) -> PathTree {
        let n = s.node_count();
        let mut dist = refill(spare_dist, n, UNREACHABLE);
        let mut parent = refill(spare_parent, n, u32::MAX);
        let mut pref = vec![u8::MAX; n];
        // Only the frontier is kept (a ring): a queue of every node reached would be one more
        // u32 per node at this phase's peak.
        let mut queue: std::collections::VecDeque<u32> =
            std::collections::VecDeque::with_capacity(1024);
        // transient roots met, with the edge into each: searched from once the rest is done
        let mut deferred: Vec<(u32, u32)> = Vec::new();
        dist[0] = 0;
        queue.push_back(0);
        // the distance of the node queued last
        let mut last = 0;
        loop {
            let Some(from) = queue.pop_front() else {
                // everything the lasting roots reach is done: go on from the transient ones
                for (to, e) in deferred.drain(..) {
                    if dist[to as usize] == UNREACHABLE {
                        dist[to as usize] = last + 1;
                        parent[to as usize] = e;
                        queue.push_back(to);
                    }
                }
                if queue.is_empty() {
                    break;
                }
                last += 1;
                continue;
            };
            let from = from as usize;
            let d = dist[from] + 1;
            // What depends on `from` alone, once per node: whether the filter can refuse an
            // edge other than a weak one, and the node's part of the preference.
            let filtered = filter.filters(s, from);
            let from_pref = node_preference(s.kind(from));
            for e in s.edges(from) {
                let to = s.edge_target(e);
                let seen = dist[to];
                if seen != UNREACHABLE && seen != d {
                    continue;
                }
                let kind = s.edge_kind(e);
                if kind == EdgeKind::Weak || (filtered && !filter.follows(s, from, e)) {
                    continue;
                }
                if seen == UNREACHABLE && is_transient_root(s, to) {
                    deferred.push((to as u32, e as u32));
                    continue;
                }
                let p = edge_preference(kind) * 2 + from_pref;
                if seen == UNREACHABLE {
                    dist[to] = d;
                    last = d;
                    queue.push_back(to as u32);
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

    /// Distance of node `n` from the root (`UNREACHABLE` when none).
    #[inline]
    pub(crate) fn dist(&self, n: usize) -> u32 {
        self.dist[n]
    }

    /// The edges of a shortest path from the root to `target` (root side first), or `None`
    /// when `target` is unreachable. Empty for the root itself.
    pub(crate) fn path_edges(&self, s: &HeapSnapshot, target: usize) -> Option<Vec<usize>> {
        let dist = self.dist(target);
        if dist == UNREACHABLE {
            return None;
        }
        let mut edges = Vec::with_capacity(dist as usize);
        let mut cur = target;
        while cur != 0 {
            let e = self.parent[cur];
            if e == u32::MAX || edges.len() > dist as usize {
                return None;
            }
            edges.push(e as usize);
            cur = s.edge_owner(e as usize);
        }
        edges.reverse();
        Some(edges)
    }
}

/// A node as a person reads it. Its text comes from the heap: shown as `strings` says
/// (secret-looking text redacted by default, see [`crate::redact`]).
pub fn node_label(s: &HeapSnapshot, n: usize, strings: Strings) -> String {
    let name = s.name(n);
    if name.is_empty() && !matches!(s.kind(n), NodeKind::Closure) && !s.kind(n).is_string() {
        return s.class_name(n).into_owned();
    }
    match s.kind(n) {
        NodeKind::Closure => {
            let f = if name.is_empty() { "(anonymous)" } else { name };
            format!("{}()", strings.shortened(f, 60))
        }
        k if k.is_string() => {
            let shown = strings.shortened(name, 40);
            format!("\"{}\"", shown.replace('\n', "\\n"))
        }
        NodeKind::Object | NodeKind::Native | NodeKind::Hidden | NodeKind::Array => {
            strings.shortened(name, 80)
        }
        NodeKind::Synthetic if !name.is_empty() => name.to_string(),
        _ => s.class_name(n).into_owned(),
    }
}

/// The steps of a path given by its edges, heap text shown as `strings` says; a string
/// reached through a property that names a secret (`AWS_SECRET_ACCESS_KEY`, `password`) is
/// redacted whole unless `strings` is `Raw`.
pub(crate) fn steps(s: &HeapSnapshot, edges: &[usize], strings: Strings) -> Vec<RetainerStep> {
    edges
        .iter()
        .map(|&e| {
            let n = s.edge_target(e);
            let edge = s.edge_label(e);
            let node = if strings == Strings::Redacted
                && s.kind(n).is_string()
                && redact::is_secret_name(&edge)
            {
                format!("\"{}\"", redact::REDACTED)
            } else {
                node_label(s, n, strings)
            };
            RetainerStep {
                edge: strings.text(&edge).into_owned(),
                edge_type: s.edge_type_name(e).to_string(),
                node,
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
/// through an index (`[3]`). A run of three or more repeated steps (blocks of one to three
/// steps, indices aside) is shown once with its count: `next (Message) ×1,999`, `[0] ×1,998`. Long paths keep their
/// first two and last nine parts.
pub fn path_text(steps: &[RetainerStep]) -> String {
    text(steps, 0, None)
}

/// A path as a developer reads it: the root, then (the module system and V8's plumbing before
/// the holder collapsed to `…`, and the module the path goes through) the holder's owner, the
/// holder and what it holds, repeated runs collapsed as in [`path_text`]:
/// `(GC roots) → … → module /app/node_modules/debug/src/node.js → exports (createDebug()) →
/// instances (Array) → debug()`. `holder_step` indexes `steps` (the node the holder's edge
/// reaches).
pub fn held_path_text(steps: &[RetainerStep], holder_step: usize, module: Option<&str>) -> String {
    if holder_step == 0 || holder_step >= steps.len() {
        return path_text(steps);
    }
    let owner = &steps[holder_step - 1];
    let meaningful = matches!(owner.node_type.as_str(), "object" | "closure")
        && !owner.node.starts_with("system / ");
    let from = if holder_step >= 2 && meaningful {
        holder_step - 1
    } else {
        holder_step
    };
    text(steps, from, module)
}

fn wrap(node: &str) -> String {
    if node.starts_with('(') && node.ends_with(')') && !node.ends_with("()") {
        node.to_string()
    } else {
        format!("({node})")
    }
}

/// Step `i` of a path as shown.
fn shown(steps: &[RetainerStep], i: usize) -> String {
    let st = &steps[i];
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
}

/// What makes two shown steps "the same" in a run: the text with indices blurred.
fn run_key(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_index = false;
    for c in text.chars() {
        match c {
            '[' => {
                in_index = true;
                out.push('[');
            }
            ']' => {
                in_index = false;
                out.push(']');
            }
            d if in_index && d.is_ascii_digit() => {}
            c => out.push(c),
        }
    }
    out
}

/// `1234567` as `1,234,567`.
pub(crate) fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Runs shorter than this are shown step by step.
const MIN_RUN: usize = 3;

/// Shown parts with repeated runs (blocks of one to three parts) written once with a count.
fn collapse_runs(parts: Vec<String>) -> Vec<String> {
    let keys: Vec<String> = parts.iter().map(|p| run_key(p)).collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < parts.len() {
        // The block length repeating most (by parts covered) from here.
        let mut best = (1, 1);
        for p in 1..=3 {
            let mut reps = 1;
            while i + (reps + 1) * p <= parts.len()
                && keys[i + reps * p..i + (reps + 1) * p] == keys[i..i + p]
            {
                reps += 1;
            }
            if reps >= MIN_RUN && reps * p > best.0 * best.1 {
                best = (p, reps);
            }
        }
        let (p, reps) = best;
        if reps >= MIN_RUN {
            let block = parts[i..i + p].join(" → ");
            if p == 1 {
                out.push(format!("{block} ×{}", thousands(reps)));
            } else {
                out.push(format!("({block}) ×{}", thousands(reps)));
            }
        } else {
            out.push(parts[i].clone());
        }
        i += p * reps;
    }
    out
}

fn text(steps: &[RetainerStep], from: usize, module: Option<&str>) -> String {
    if steps.is_empty() {
        return String::new();
    }
    let mut head: Vec<String> = Vec::new();
    if from > 0 {
        head.push(shown(steps, 0));
        if from > 1 {
            head.push("…".into());
            if let Some(m) = module {
                head.push(format!("module {m}"));
            }
        }
    }
    let body = collapse_runs((from..steps.len()).map(|i| shown(steps, i)).collect());
    let mut parts = head;
    parts.extend(body);
    if parts.len() > MAX_SHOWN {
        let keep = if parts[1] == "…" { 1 } else { 2 };
        let tail = parts.split_off(parts.len() - (MAX_SHOWN - 3));
        parts.truncate(keep);
        parts.push("…".into());
        parts.extend(tail);
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
    fn a_handle_on_the_stack_does_not_hide_the_variable() {
        let (mut b, thing, gc) = leaky();
        // the object was also on the native stack while the snapshot was written: a shorter path
        let scope = b.node("synthetic", "(Handle scope)", 0);
        b.edge(gc, E::Element(3), scope);
        b.edge(scope, E::Element(11), thing);
        let only_on_stack = b.node("object", "Temporary", 16);
        b.edge(scope, E::Element(12), only_on_stack);
        let s = b.parse();
        let tree = PathTree::new(&s, &DistanceFilter::new(&s));
        let text = path_text(&steps(
            &s,
            &tree.path_edges(&s, thing).unwrap(),
            Strings::Raw,
        ));
        assert!(text.contains("sessionRegistry (Map)"), "{text}");
        // what only the stack holds is still reachable, through the stack
        let text = path_text(&steps(
            &s,
            &tree.path_edges(&s, only_on_stack).unwrap(),
            Strings::Raw,
        ));
        assert_eq!(text, "(GC roots) → [3] (Handle scope) → Temporary");
    }

    #[test]
    fn distances_skip_the_sloppy_function_map_and_descriptor_links() {
        let mut b = SnapshotBuilder::new();
        let native = b.node("hidden", "system / NativeContext", 8);
        let sloppy = b.node("object", "SloppyMap", 8);
        let via_sloppy = b.node("object", "FarA", 8);
        let descriptors = b.node("array", "(map descriptors)", 8);
        let d = [
            b.node("object", "D0", 8),
            b.node("object", "D1", 8),
            b.node("object", "D4", 8),
            b.node("object", "D5", 8),
            b.node("object", "DNamed", 8),
        ];
        let other = b.node("hidden", "system / Foo", 8);
        let via_other = b.node("object", "Near", 8);
        let mid = b.node("object", "Mid", 8);
        let far = b.node("object", "Far", 8);
        b.edge(0, E::Element(1), native);
        b.edge(native, E::Internal("sloppy_function_map"), sloppy);
        b.edge(sloppy, E::Internal("x"), via_sloppy);
        b.edge(native, E::Internal("other"), other);
        b.edge(other, E::Internal("y"), via_other);
        b.edge(0, E::Element(2), descriptors);
        // indices 0 and 1 are followed, and every other but 3k + 1 (4, 7, ...): descriptor links
        b.edge(descriptors, E::Hidden(0), d[0]);
        b.edge(descriptors, E::Hidden(1), d[1]);
        b.edge(descriptors, E::Hidden(4), d[2]);
        b.edge(descriptors, E::Internal("5"), d[3]);
        b.edge(descriptors, E::Internal("name"), d[4]);
        // the long way round to what the filter cuts off
        b.edge(0, E::Element(3), mid);
        b.edge(mid, E::Property("far"), far);
        for t in [sloppy, d[2]] {
            b.edge(far, E::Property("p"), t);
        }
        b.edge(0, E::Weak("w"), via_sloppy);
        let s = b.parse();
        let tree = PathTree::new(&s, &DistanceFilter::new(&s));
        assert_eq!(tree.dist(sloppy), 3, "not from the native context");
        assert_eq!(tree.dist(via_sloppy), 4);
        assert_eq!(tree.dist(via_other), 3);
        assert_eq!(tree.dist(other), 2);
        assert_eq!(tree.dist(d[2]), 3, "index 4 is a descriptor link");
        for n in [d[0], d[1], d[3], d[4]] {
            assert_eq!(tree.dist(n), 2);
        }
        let step = |n: usize| s.edge_owner(tree.parent_edge(n).unwrap());
        assert_eq!(step(d[2]), far);
        assert_eq!(step(sloppy), far);
        assert_eq!(step(d[3]), descriptors);
    }

    #[test]
    fn shortest_path_reads_in_program_names() {
        let (b, thing, _) = leaky();
        let s = b.parse();
        let tree = PathTree::new(&s, &DistanceFilter::new(&s));
        assert_eq!(tree.dist(thing), 7);
        let edges = tree.path_edges(&s, thing).unwrap();
        let steps = steps(&s, &edges, Strings::Raw);
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
        assert_eq!(tree.dist(w), UNREACHABLE);
        assert!(tree.path_edges(&s, w).is_none());
        assert_eq!(tree.path_edges(&s, 0), Some(vec![]));
    }

    fn step(edge: &str, edge_type: &str, node: &str, node_type: &str) -> RetainerStep {
        RetainerStep {
            edge: edge.into(),
            edge_type: edge_type.into(),
            node: node.into(),
            node_type: node_type.into(),
            id: 0,
        }
    }

    #[test]
    fn repeated_steps_are_shown_once_with_their_count() {
        let mut steps = vec![
            step("", "element", "(GC roots)", "synthetic"),
            step("[28]", "internal", "system / Context", "object"),
            step("head", "context", "Message", "object"),
        ];
        for _ in 0..1999 {
            steps.push(step("next", "property", "Message", "object"));
        }
        assert_eq!(
            path_text(&steps),
            "(GC roots) → [28] (system / Context) → head (Message) → next (Message) ×1,999"
        );
        // a period of two, indices aside
        let mut steps = vec![step("", "element", "(GC roots)", "synthetic")];
        for i in 0..5 {
            steps.push(step(
                &format!("[{i}]"),
                "hidden",
                "system / PromiseReaction",
                "hidden",
            ));
            steps.push(step("fulfill", "internal", "f()", "closure"));
        }
        steps.push(step("context", "internal", "system / Context", "object"));
        assert_eq!(
            path_text(&steps),
            "(GC roots) → ([0] → fulfill (f())) ×5 → context (system / Context)"
        );
    }

    #[test]
    fn the_path_from_the_holder_skips_the_module_system() {
        let steps = vec![
            step("", "element", "(GC roots)", "synthetic"),
            step("[7]", "element", "(Stack roots)", "synthetic"),
            step("[30]", "internal", "system / Context", "object"),
            step("handle", "context", "handle()", "closure"),
            step("context", "internal", "system / Context", "object"),
            step("require", "context", "require()", "closure"),
            step("cache", "property", "Object", "object"),
            step(
                "/app/node_modules/debug/src/node.js",
                "property",
                "Module",
                "object",
            ),
            step("exports", "property", "createDebug()", "closure"),
            step("instances", "property", "Array", "object"),
            step("[148]", "element", "debug()", "closure"),
        ];
        assert_eq!(
            held_path_text(&steps, 9, Some("/app/node_modules/debug/src/node.js")),
            "(GC roots) → … → module /app/node_modules/debug/src/node.js → \
             exports (createDebug()) → instances (Array) → debug()"
        );
        // a variable of a context: the context is not shown
        assert_eq!(
            held_path_text(&steps[..6], 5, None),
            "(GC roots) → … → require (require())"
        );
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
