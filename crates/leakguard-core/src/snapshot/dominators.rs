//! Dominator tree and retained sizes, over the rules of Chrome DevTools' `HeapSnapshot.ts`
//! (`buildPostOrderIndex`, `buildDominatorTree`, `isEssentialEdge`, `markPageOwnedNodes`):
//!
//! - The start is the synthetic root (node 0).
//! - Weak edges are ignored; shortcut edges count only from the root (they mark the user
//!   roots: the global objects).
//! - "Page-owned" nodes are those reachable (over non-weak edges) from the root's shortcut
//!   targets and from `(Document DOM trees)`. An edge from a node that is not page-owned into
//!   a page-owned node is ignored (except from the root), so that debugger / system
//!   references do not steal the dominance of objects a program owns.
//! - Nodes not reachable that way are hung under the root: first those with only weak (or
//!   shortcut) retainers, then any left, each with its subgraph, as DevTools does.
//!
//! The dominators are computed with Cooper, Harvey and Kennedy's "A Simple, Fast Dominance
//! Algorithm" over a reverse postorder from an iterative DFS (no recursion), revisiting only
//! nodes whose retainers' dominators changed. Retained sizes are `u64`, summed bottom-up.

use super::graph::{EdgeKind, HeapSnapshot, NodeKind};

const ROOT: usize = 0;
const UNDEF: u32 = u32::MAX;

/// The dominator tree of a snapshot.
#[derive(Debug)]
pub struct Dominators {
    /// Immediate dominator of every node (the root dominates itself).
    pub idom: Vec<u32>,
    /// Retained size of every node: its self size plus all it dominates.
    pub retained: Vec<u64>,
}

impl Dominators {
    /// Computes the dominator tree and the retained sizes of `s`.
    pub fn compute(s: &HeapSnapshot) -> Dominators {
        let n = s.node_count();
        let page = page_owned(s);
        let essential = |from: usize, e: usize| -> bool {
            let kind = s.edge_kind(e);
            !(kind == EdgeKind::Weak || (kind == EdgeKind::Shortcut && from != ROOT))
        };
        let allowed_nodes = |from: usize, to: usize| !(from != ROOT && page[to] && !page[from]);
        let allowed = |from: usize, e: usize| -> bool {
            essential(from, e) && allowed_nodes(from, s.edge_target(e))
        };
        // Retainers over essential edges only: the largest structure here, dropped on return.
        let (first_retainer, retainer_node) = retainer_index(s, essential);

        // 1. Postorder of an iterative DFS from the root; the root is numbered last.
        let mut post_of = vec![UNDEF; n];
        let mut order: Vec<u32> = Vec::with_capacity(n);
        let mut under_root = vec![false; n];
        {
            let mut stack: Vec<(u32, u32)> = Vec::new();
            let mut visited = vec![false; n];
            let dfs = |start: usize,
                       stack: &mut Vec<(u32, u32)>,
                       visited: &mut Vec<bool>,
                       order: &mut Vec<u32>,
                       post_of: &mut Vec<u32>| {
                visited[start] = true;
                stack.push((start as u32, s.first_edge[start]));
                while let Some(top) = stack.last_mut() {
                    let node = top.0 as usize;
                    let e = top.1 as usize;
                    if e < s.first_edge[node + 1] as usize {
                        top.1 += 1;
                        if !allowed(node, e) {
                            continue;
                        }
                        let child = s.edge_target(e);
                        if visited[child] {
                            continue;
                        }
                        visited[child] = true;
                        stack.push((child as u32, s.first_edge[child]));
                    } else {
                        stack.pop();
                        if node != ROOT {
                            post_of[node] = order.len() as u32;
                            order.push(node as u32);
                        }
                    }
                }
            };
            dfs(ROOT, &mut stack, &mut visited, &mut order, &mut post_of);
            if order.len() + 1 < n {
                // Nodes held only weakly (or by shortcuts) first, then anything left.
                for pass in 0..2 {
                    for i in 0..n {
                        let only_weak = first_retainer[i] == first_retainer[i + 1];
                        if visited[i] || (pass == 0 && !only_weak) {
                            continue;
                        }
                        under_root[i] = true;
                        dfs(i, &mut stack, &mut visited, &mut order, &mut post_of);
                    }
                }
            }
            post_of[ROOT] = order.len() as u32;
            order.push(ROOT as u32);
        }

        // 2. Cooper–Harvey–Kennedy in postorder-index space.
        let root_post = (n - 1) as u32;
        let mut dom = vec![UNDEF; n];
        dom[root_post as usize] = root_post;
        let mut affected = vec![false; n];
        for e in s.edges(ROOT) {
            if allowed(ROOT, e) {
                affected[post_of[s.edge_target(e)] as usize] = true;
            }
        }
        for (i, &u) in under_root.iter().enumerate() {
            if u {
                affected[post_of[i] as usize] = true;
            }
        }
        let mut changed = true;
        while changed {
            changed = false;
            for p in (0..root_post as usize).rev() {
                if !affected[p] {
                    continue;
                }
                affected[p] = false;
                if dom[p] == root_post {
                    continue;
                }
                let node = order[p] as usize;
                let mut new_idom = if under_root[node] { root_post } else { UNDEF };
                if new_idom == UNDEF {
                    let slots = first_retainer[node] as usize..first_retainer[node + 1] as usize;
                    for &from in &retainer_node[slots] {
                        let from = from as usize;
                        if !allowed_nodes(from, node) {
                            continue;
                        }
                        let mut rp = post_of[from];
                        if dom[rp as usize] == UNDEF {
                            continue;
                        }
                        if new_idom == UNDEF {
                            new_idom = rp;
                        } else {
                            while rp != new_idom {
                                while rp < new_idom {
                                    rp = dom[rp as usize];
                                }
                                while new_idom < rp {
                                    new_idom = dom[new_idom as usize];
                                }
                            }
                        }
                        if new_idom == root_post {
                            break;
                        }
                    }
                }
                if new_idom != UNDEF && dom[p] != new_idom {
                    dom[p] = new_idom;
                    changed = true;
                    for e in s.edges(node) {
                        affected[post_of[s.edge_target(e)] as usize] = true;
                    }
                }
            }
        }

        drop(retainer_node);
        drop(first_retainer);
        drop(affected);
        drop(under_root);

        // 3. Back to node ordinals; retained sizes bottom-up (a dominator always comes later in
        // the postorder than the nodes it dominates).
        let mut idom = vec![ROOT as u32; n];
        for p in 0..n {
            let d = dom[p];
            idom[order[p] as usize] = if d == UNDEF {
                ROOT as u32
            } else {
                order[d as usize]
            };
        }
        drop(dom);
        drop(post_of);
        let mut retained: Vec<u64> = (0..n).map(|i| s.self_size(i)).collect();
        for &node in &order[..n - 1] {
            let node = node as usize;
            let d = idom[node] as usize;
            retained[d] += retained[node];
        }
        Dominators { idom, retained }
    }

    /// The dominator tree's children of every node, as CSR (`first`, `children`).
    pub fn children(&self) -> (Vec<u32>, Vec<u32>) {
        let n = self.idom.len();
        let mut first = vec![0u32; n + 1];
        for (i, &d) in self.idom.iter().enumerate() {
            if i != ROOT {
                first[d as usize + 1] += 1;
            }
        }
        for i in 0..n {
            first[i + 1] += first[i];
        }
        let mut fill = first.clone();
        let mut children = vec![0u32; n.saturating_sub(1)];
        for (i, &d) in self.idom.iter().enumerate() {
            if i != ROOT {
                children[fill[d as usize] as usize] = i as u32;
                fill[d as usize] += 1;
            }
        }
        (first, children)
    }
}

/// The retainers of every node over the edges `keep` accepts, as CSR: node `n` is held by
/// `nodes[first[n]..first[n + 1]]`. A node without any is held only weakly (or by shortcuts),
/// DevTools' `hasOnlyWeakRetainers`.
fn retainer_index(s: &HeapSnapshot, keep: impl Fn(usize, usize) -> bool) -> (Vec<u32>, Vec<u32>) {
    let n = s.node_count();
    let mut first = vec![0u32; n + 1];
    let mut total = 0usize;
    for from in 0..n {
        for e in s.edges(from) {
            if keep(from, e) {
                first[s.edge_target(e) + 1] += 1;
                total += 1;
            }
        }
    }
    for i in 0..n {
        first[i + 1] += first[i];
    }
    // Fill with first[to] as the cursor, then shift the offsets back into place.
    let mut nodes = vec![0u32; total];
    for from in 0..n {
        for e in s.edges(from) {
            if keep(from, e) {
                let to = s.edge_target(e);
                nodes[first[to] as usize] = from as u32;
                first[to] += 1;
            }
        }
    }
    for i in (1..=n).rev() {
        first[i] = first[i - 1];
    }
    first[0] = 0;
    (first, nodes)
}

/// DevTools' `markPageOwnedNodes`: everything reachable over non-weak edges from the root's
/// shortcut targets (global objects) and from `(Document DOM trees)`.
fn page_owned(s: &HeapSnapshot) -> Vec<bool> {
    let n = s.node_count();
    let mut page = vec![false; n];
    let mut stack: Vec<u32> = Vec::new();
    for e in s.edges(ROOT) {
        let to = s.edge_target(e);
        let entry = match s.edge_kind(e) {
            EdgeKind::Element => {
                s.kind(to) == NodeKind::Synthetic && s.name(to) == "(Document DOM trees)"
            }
            EdgeKind::Shortcut => true,
            _ => false,
        };
        if entry && !page[to] {
            page[to] = true;
            stack.push(to as u32);
        }
    }
    while let Some(node) = stack.pop() {
        for e in s.edges(node as usize) {
            let to = s.edge_target(e);
            if page[to] || s.edge_kind(e) == EdgeKind::Weak {
                continue;
            }
            page[to] = true;
            stack.push(to as u32);
        }
    }
    page
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{SnapshotBuilder, E};
    use super::*;

    /// Builds a snapshot from (name, self_size, edges) per node; node 0 is the root.
    fn doms(b: &SnapshotBuilder) -> (HeapSnapshot, Dominators) {
        let s = b.parse();
        let d = Dominators::compute(&s);
        (s, d)
    }

    fn idom_names(s: &HeapSnapshot, d: &Dominators) -> Vec<(String, String)> {
        (1..s.node_count())
            .map(|i| {
                (
                    s.name(i).to_string(),
                    s.name(d.idom[i] as usize).to_string(),
                )
            })
            .collect()
    }

    #[test]
    fn chain() {
        // root -> a -> b -> c
        let mut b = SnapshotBuilder::new();
        let a = b.node("object", "A", 10);
        let bb = b.node("object", "B", 20);
        let c = b.node("object", "C", 30);
        b.edge(0, E::Element(1), a);
        b.edge(a, E::Property("b"), bb);
        b.edge(bb, E::Property("c"), c);
        let (s, d) = doms(&b);
        assert_eq!(
            idom_names(&s, &d),
            vec![
                ("A".into(), "".into()),
                ("B".into(), "A".into()),
                ("C".into(), "B".into())
            ]
        );
        assert_eq!(d.retained[c], 30);
        assert_eq!(d.retained[bb], 50);
        assert_eq!(d.retained[a], 60);
        assert_eq!(d.retained[0], 60);
    }

    #[test]
    fn diamond() {
        // root -> a; a -> l, a -> r; l -> m, r -> m; m -> x
        let mut b = SnapshotBuilder::new();
        let a = b.node("object", "A", 1);
        let l = b.node("object", "L", 2);
        let r = b.node("object", "R", 4);
        let m = b.node("object", "M", 8);
        let x = b.node("object", "X", 16);
        b.edge(0, E::Element(1), a);
        b.edge(a, E::Property("l"), l);
        b.edge(a, E::Property("r"), r);
        b.edge(l, E::Property("m"), m);
        b.edge(r, E::Property("m"), m);
        b.edge(m, E::Property("x"), x);
        let (_, d) = doms(&b);
        assert_eq!(
            d.idom[m] as usize, a,
            "M is held by both L and R: A dominates it"
        );
        assert_eq!(d.idom[x] as usize, m);
        assert_eq!(d.retained[l], 2);
        assert_eq!(d.retained[r], 4);
        assert_eq!(d.retained[m], 24);
        assert_eq!(d.retained[a], 31);
    }

    #[test]
    fn sizes_past_4_gib_do_not_overflow() {
        // root -> holder -> two 3 GiB buffers: sizes and sums are u64 all the way.
        let mut b = SnapshotBuilder::new();
        let holder = b.node("object", "Holder", 16);
        let x = b.node("native", "Buffer", 3 << 30);
        let y = b.node("native", "Buffer", (1u64 << 32) + 5);
        b.edge(0, E::Element(1), holder);
        b.edge(holder, E::Internal("a"), x);
        b.edge(holder, E::Internal("b"), y);
        let (s, d) = doms(&b);
        assert_eq!(s.self_size(y), (1u64 << 32) + 5);
        assert_eq!(s.self_size(x), 3 << 30);
        assert_eq!(d.retained[holder], 16 + (3 << 30) + (1u64 << 32) + 5);
        assert_eq!(d.retained[0], d.retained[holder]);
    }

    #[test]
    fn cycle() {
        // root -> a -> b -> c -> a (cycle), c -> d
        let mut b = SnapshotBuilder::new();
        let a = b.node("object", "A", 1);
        let bb = b.node("object", "B", 2);
        let c = b.node("object", "C", 4);
        let dd = b.node("object", "D", 8);
        b.edge(0, E::Element(1), a);
        b.edge(a, E::Property("b"), bb);
        b.edge(bb, E::Property("c"), c);
        b.edge(c, E::Property("a"), a);
        b.edge(c, E::Property("d"), dd);
        let (_, d) = doms(&b);
        assert_eq!(d.idom[a], 0);
        assert_eq!(d.idom[bb] as usize, a);
        assert_eq!(d.idom[c] as usize, bb);
        assert_eq!(d.idom[dd] as usize, c);
        assert_eq!(d.retained[a], 15);
        assert_eq!(d.retained[c], 12);
    }

    #[test]
    fn weak_edges_are_ignored() {
        // root -> a -> x; root -> b -weak-> x: only A keeps X alive.
        let mut b = SnapshotBuilder::new();
        let a = b.node("object", "A", 1);
        let bb = b.node("object", "B", 2);
        let x = b.node("object", "X", 100);
        b.edge(0, E::Element(1), a);
        b.edge(0, E::Element(2), bb);
        b.edge(a, E::Property("x"), x);
        b.edge(bb, E::Weak("w"), x);
        let (_, d) = doms(&b);
        assert_eq!(d.idom[x] as usize, a);
        assert_eq!(d.retained[a], 101);
        assert_eq!(d.retained[bb], 2);

        // A node held only weakly hangs under the root and still counts in the total.
        let mut b = SnapshotBuilder::new();
        let a = b.node("object", "A", 1);
        let w = b.node("object", "W", 50);
        let y = b.node("object", "Y", 5);
        b.edge(0, E::Element(1), a);
        b.edge(a, E::Weak("w"), w);
        b.edge(w, E::Property("y"), y);
        let (_, d) = doms(&b);
        assert_eq!(d.idom[w], 0);
        assert_eq!(d.idom[y] as usize, w);
        assert_eq!(d.retained[a], 1);
        assert_eq!(d.retained[w], 55);
        assert_eq!(d.retained[0], 56);
    }

    #[test]
    fn shared_object_is_dominated_by_common_ancestor() {
        // Two retainers on different branches: only the root dominates the shared node.
        let mut b = SnapshotBuilder::new();
        let a = b.node("object", "A", 1);
        let bb = b.node("object", "B", 1);
        let x = b.node("object", "X", 7);
        b.edge(0, E::Element(1), a);
        b.edge(0, E::Element(2), bb);
        b.edge(a, E::Property("x"), x);
        b.edge(bb, E::Property("x"), x);
        let (_, d) = doms(&b);
        assert_eq!(d.idom[x], 0);
        assert_eq!(d.retained[a], 1);
        assert_eq!(d.retained[0], 9);
    }

    #[test]
    fn system_references_do_not_steal_page_objects() {
        // root =shortcut=> global -> obj; root -> (GC roots) -> handle -> obj.
        // DevTools ignores handle -> obj (not page-owned -> page-owned): global dominates obj.
        let mut b = SnapshotBuilder::new();
        let gc = b.node("synthetic", "(GC roots)", 0);
        let global = b.node("object", "global", 10);
        let handle = b.node("hidden", "handle", 1);
        let obj = b.node("object", "Obj", 100);
        b.edge(0, E::Element(1), gc);
        b.edge(0, E::Shortcut("global"), global);
        b.edge(gc, E::Element(1), handle);
        b.edge(handle, E::Hidden(1), obj);
        b.edge(global, E::Property("obj"), obj);
        b.edge(gc, E::Element(2), global);
        let (_, d) = doms(&b);
        assert_eq!(d.idom[obj] as usize, global);
        assert_eq!(d.idom[global], 0);
        assert_eq!(d.retained[global], 110);
        assert_eq!(d.retained[gc], 1);
    }
}
