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
//! DevTools (and memlab) use Cooper, Harvey and Kennedy's iterative algorithm, which is
//! quadratic on some ordinary heaps: two long linked lists with cross links (300,000 nodes
//! each) did not finish in 10 minutes; Semi-NCA took 65 s on the same heap. Here it is
//! Lengauer–Tarjan (EVAL with path compression, buckets), O(m log n), all iterative (no
//! recursion: heaps are millions deep), in preorder numbers. The dominator tree is unique, so
//! the result is the one DevTools computes. Retained sizes are `u64`, summed bottom-up.

use std::sync::atomic::{AtomicU32, Ordering::Relaxed};

use super::graph::{EdgeKind, HeapSnapshot, NodeKind};
use super::progress::Progress;
use crate::CoreError;

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
    ///
    /// Memory is the constraint (a snapshot of millions of nodes): the retainer index is built
    /// after the DFS, in preorder numbers, and holds only the retainers numbered after their
    /// target (the others only matter through their minimum, kept in `label` until the vertex
    /// is linked). Buckets live in arrays that are free at the time: the head of `v`'s bucket
    /// in `semi[v]` (unused until `v` is processed, and `v`'s bucket is empty by then), the
    /// next link of `v` in `first[v + 1]` (read for the last time when `v` is processed).
    pub fn compute(s: &HeapSnapshot) -> Dominators {
        match Dominators::compute_watched(s, &Progress::new()) {
            Ok(d) => d,
            // nothing else can abort a Progress only this call has
            Err(_) => unreachable!("an unshared Progress was aborted"),
        }
    }

    /// [`Dominators::compute`], stopped with `CoreError::Aborted` between its passes once
    /// `progress.abort()` was called (a pass takes about a second on a 1 GB snapshot).
    pub fn compute_watched(s: &HeapSnapshot, progress: &Progress) -> Result<Dominators, CoreError> {
        Dominators::compute_keeping(s, progress).map(|(d, _)| d)
    }

    /// [`Dominators::compute_watched`], also handing back three arrays of its passes, each
    /// at least a node count long and free at the end (garbage in them), for the analysis's
    /// next phases to reuse (see [`refill`]) rather than map fresh pages: above glibc's mmap
    /// threshold (arrays of more than 8M nodes) a freed array is unmapped and a new one
    /// faults in zeroed pages. Keeping them to the end adds nothing to the peak, which is
    /// Lengauer-Tarjan's.
    pub(crate) fn compute_keeping(
        s: &HeapSnapshot,
        progress: &Progress,
    ) -> Result<(Dominators, Vec<Vec<u32>>), CoreError> {
        let n = s.node_count();
        let essential = |from: usize, e: usize| -> bool {
            let kind = s.edge_kind(e);
            !(kind == EdgeKind::Weak || (kind == EdgeKind::Shortcut && from != ROOT))
        };
        // 1. Preorder numbering by an iterative DFS from the root. Nodes it cannot reach hang
        // under the root: first those held only weakly (or by shortcuts), then any left.
        //
        // The DFS also does the retainer index's counting, as it goes over every allowed edge
        // exactly once and both ends' numbers are known by then: `label[t]` becomes the least
        // retainer numbered before `t` (its DFS parent at most), and the retainers numbered
        // after `t`, which need EVAL, are counted per target and their edges noted in `fill`.
        // Counts are kept per half of the sources (by node ordinal), so that two threads can
        // fill the index after.
        let page = page_owned(s);
        super::profile::mark("page owned");
        progress.check()?;
        // An edge is followed when it is essential and, from a node that is not page-owned
        // (nor the root), only into one that is not page-owned either. (The source's page bit
        // first, once a visit: most sources are page-owned, and then the target's bit, a read
        // anywhere in the set, is not needed.)
        let mid = s
            .first_edge
            .partition_point(|&f| (f as usize) < s.edge_count() / 2)
            .min(n);
        // Preorder number of each node; turned into its inverse (`vertex`) in place later.
        let mut dfn = vec![UNDEF; n];
        let mut parent: Vec<u32> = Vec::with_capacity(n);
        // Hung under the root, by preorder number.
        let mut under = BitSet::new(n);
        // The allowed edges from a node numbered after their target (not hung under the root).
        let mut fill = BitSet::new(s.edge_count());
        let mut label: Vec<u32> = (0..n as u32).collect();
        let mut first = vec![0u32; n + 1];
        let mut upper = vec![0u32; n + 1];
        {
            // (node, its next edge): a node's part of the tests is read once a visit (when it
            // is entered, and again after each child), not once an edge.
            let mut stack: Vec<(u32, u32)> = Vec::new();
            let mut any_under = false;
            let mut dfs = |start: usize,
                           hung: bool,
                           dfn: &mut Vec<u32>,
                           parent: &mut Vec<u32>,
                           under: &mut BitSet| {
                if hung {
                    under.set(parent.len());
                    any_under = true;
                }
                let f = parent.len() as u32;
                dfn[start] = f;
                parent.push(0);
                stack.push((start as u32, s.first_edge[start]));
                while let Some(top) = stack.last_mut() {
                    let (node, mut e) = (top.0 as usize, top.1 as usize);
                    let (end, f) = (s.first_edge[node + 1] as usize, dfn[node]);
                    // An edge from a page-owned node (or the root) may go anywhere.
                    let free = node == ROOT || page.get(node);
                    let counts = if node < mid { &mut first } else { &mut upper };
                    let mut next = None;
                    while e < end {
                        let edge = e;
                        e += 1;
                        if !essential(node, edge) {
                            continue;
                        }
                        let child = s.edge_target(edge);
                        if !free && page.get(child) {
                            continue;
                        }
                        let t = dfn[child];
                        if t == UNDEF {
                            next = Some(child);
                            break;
                        }
                        // (No node is hung under the root during the search from it: the
                        // set, a read at random, is not looked at then.)
                        if any_under && under.get(t as usize) {
                            continue;
                        }
                        if f > t {
                            counts[t as usize + 1] += 1;
                            fill.set(edge);
                        } else if f < label[t as usize] {
                            label[t as usize] = f;
                        }
                    }
                    top.1 = e as u32;
                    match next {
                        Some(child) => {
                            let t = parent.len() as u32;
                            dfn[child] = t;
                            parent.push(f);
                            label[t as usize] = f;
                            stack.push((child as u32, s.first_edge[child]));
                        }
                        None => {
                            stack.pop();
                        }
                    }
                }
            };
            dfs(ROOT, false, &mut dfn, &mut parent, &mut under);
            if parent.len() < n {
                // DevTools' hasOnlyWeakRetainers: no essential edge into the node at all.
                let mut retained = BitSet::new(n);
                for from in 0..n {
                    for e in s.edges(from) {
                        if essential(from, e) {
                            retained.set(s.edge_target(e));
                        }
                    }
                }
                for pass in 0..2 {
                    for i in 0..n {
                        if dfn[i] != UNDEF || (pass == 0 && retained.get(i)) {
                            continue;
                        }
                        dfs(i, true, &mut dfn, &mut parent, &mut under);
                    }
                }
            }
        }
        super::profile::mark("DFS, retainer counts");
        progress.check()?;

        // 2. Retainers numbered after their target, in preorder numbers: `first`/`rev` index
        // them by target. Two threads, each over the noted edges of half of the sources, fill
        // their own slots of each target's range.
        // first[t] becomes where t's retainers start (the lower half's cursor), upper[t] where
        // the upper half's start.
        for t in 0..n {
            let (a, b) = (first[t + 1], upper[t + 1]);
            upper[t] = first[t] + a;
            first[t + 1] = first[t] + a + b;
        }
        let rev: Vec<AtomicU32> = (0..first[n]).map(|_| AtomicU32::new(0)).collect();
        let fill_half = |sources: std::ops::Range<usize>, cursor: &mut [u32]| {
            for from in sources {
                let edges = s.edges(from);
                if !fill.any(edges.clone()) {
                    continue;
                }
                let f = dfn[from];
                for e in edges {
                    if fill.get(e) {
                        let t = dfn[s.edge_target(e)] as usize;
                        rev[cursor[t] as usize].store(f, Relaxed);
                        cursor[t] += 1;
                    }
                }
            }
        };
        if !in_two(
            || fill_half(mid..n, &mut upper),
            || fill_half(0..mid, &mut first),
        ) {
            fill_half(mid..n, &mut upper);
            fill_half(0..mid, &mut first);
        }
        drop(fill);
        // The upper half's cursor stopped where the next target starts. The lower half's
        // array becomes `vertex` (memory reused between passes: its pages are mapped already).
        let lower = first;
        let mut first = upper;
        first.copy_within(0..n, 1);
        first[0] = 0;
        let rev: Vec<u32> = rev.into_iter().map(AtomicU32::into_inner).collect();
        drop(page);
        let vertex = invert_into(&dfn, lower);
        super::profile::mark("retainer index");
        progress.check()?;

        // 3. Lengauer–Tarjan in reverse preorder: semidominators through EVAL with path
        // compression (iterative), then each bucket gives its members a relative dominator.
        // The forest of LINK starts as the DFS tree: `ancestor` is `parent`, and a vertex counts
        // as linked once the loop has passed it (numbers >= `t`), which saves an array.
        // `dfn`'s memory, free now, holds `semi`.
        let mut semi = dfn;
        semi.fill(UNDEF);
        let mut ancestor = parent;
        let mut path: Vec<u32> = Vec::new();
        for w in (1..n).rev() {
            let sw = if under.get(w) {
                0
            } else {
                let mut sw = label[w];
                for &from in &rev[first[w] as usize..first[w + 1] as usize] {
                    let u = eval(
                        from,
                        w as u32 + 1,
                        &mut ancestor,
                        &mut label,
                        &semi,
                        &mut path,
                    );
                    sw = sw.min(semi[u as usize]);
                }
                sw
            };
            label[w] = w as u32;
            // semi[w] held w's bucket, empty by now (its members were all linked under w).
            semi[w] = sw;
            first[w + 1] = std::mem::replace(&mut semi[sw as usize], w as u32);
            // LINK(parent, w): w is linked from now on (t = w).
            let p = ancestor[w];
            let mut v = std::mem::replace(&mut semi[p as usize], UNDEF);
            while v != UNDEF {
                let next = first[v as usize + 1];
                let u = eval(v, w as u32, &mut ancestor, &mut label, &semi, &mut path);
                first[v as usize + 1] = if semi[u as usize] < semi[v as usize] {
                    u
                } else {
                    p
                };
                v = next;
            }
        }
        super::profile::mark("Lengauer-Tarjan");
        progress.check()?;
        drop(ancestor);
        drop(path);
        drop(rev);
        drop(under);
        // first[w + 1] is w's relative dominator now.
        let mut idom_pre = first;
        idom_pre.copy_within(1.., 0);
        idom_pre.truncate(n);
        idom_pre[0] = 0;
        for w in 1..n {
            if idom_pre[w] != semi[w] {
                idom_pre[w] = idom_pre[idom_pre[w] as usize];
            }
        }

        // 4. Back to node ordinals; retained sizes bottom-up (everything a node dominates
        // comes after it in preorder).
        // `label`'s memory, free since Lengauer-Tarjan, holds `idom`.
        let mut idom = label;
        idom.fill(ROOT as u32);
        for (w, &node) in vertex.iter().enumerate() {
            idom[node as usize] = vertex[idom_pre[w] as usize];
        }
        let mut retained: Vec<u64> = (0..n).map(|i| s.self_size(i)).collect();
        for w in (1..n).rev() {
            let node = vertex[w] as usize;
            // saturating: a crafted snapshot may declare sizes that sum past u64::MAX
            retained[idom[node] as usize] =
                retained[idom[node] as usize].saturating_add(retained[node]);
        }
        super::profile::mark("idom, retained sizes");
        Ok((Dominators { idom, retained }, vec![vertex, semi, idom_pre]))
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
        // Fill from the back with first[d + 1] as the cursor (children stay in node order):
        // it ends where d's children start, so the offsets shift down by one.
        let mut children = vec![0u32; n.saturating_sub(1)];
        for (i, &d) in self.idom.iter().enumerate().rev() {
            if i != ROOT {
                let slot = &mut first[d as usize + 1];
                *slot -= 1;
                children[*slot as usize] = i as u32;
            }
        }
        first.copy_within(1.., 0);
        first[n] = children.len() as u32;
        (first, children)
    }
}

/// Runs `a` on a new thread and `b` on this one; `false` (neither ran) when the OS refuses a
/// thread, so the caller can run both itself.
pub(crate) fn in_two(a: impl FnOnce() + Send, b: impl FnOnce()) -> bool {
    std::thread::scope(
        |scope| match std::thread::Builder::new().spawn_scoped(scope, a) {
            Ok(_) => {
                b();
                true
            }
            Err(_) => false,
        },
    )
}

/// Lengauer–Tarjan's EVAL: the vertex of minimum semidominator on the forest path from `v` up to
/// (not including) its tree's root, compressing the path on the way (iteratively). Vertices
/// numbered `t` and above are linked into the forest; the others are roots.
#[inline]
fn eval(
    v: u32,
    t: u32,
    ancestor: &mut [u32],
    label: &mut [u32],
    semi: &[u32],
    path: &mut Vec<u32>,
) -> u32 {
    if v < t {
        return v;
    }
    let mut x = v;
    while ancestor[x as usize] >= t {
        path.push(x);
        x = ancestor[x as usize];
    }
    while let Some(y) = path.pop() {
        let y = y as usize;
        let a = ancestor[y] as usize;
        if semi[label[a] as usize] < semi[label[y] as usize] {
            label[y] = label[a];
        }
        ancestor[y] = ancestor[a];
    }
    label[v as usize]
}

/// `spare` (an array handed back by [`Dominators::compute_keeping`]), or a new array when
/// there is none or it is too short, as `n` copies of `value`.
pub(crate) fn refill(spare: Option<Vec<u32>>, n: usize, value: u32) -> Vec<u32> {
    match spare {
        Some(mut v) if v.capacity() >= n => {
            v.clear();
            v.resize(n, value);
            v
        }
        _ => vec![value; n],
    }
}

/// The inverse of a permutation of `0..n`, written into `q` (at least `n` long: an array
/// of the pass before, whose pages are mapped already; every slot is overwritten). (In place,
/// by following cycles, it took 130 ms more on 2.9M nodes: a cache miss per step. The copy
/// costs no more peak memory: `q`'s array was freed at this point before.)
fn invert_into(p: &[u32], mut q: Vec<u32>) -> Vec<u32> {
    q.truncate(p.len());
    if q.len() < p.len() {
        q.resize(p.len(), 0);
    }
    for (i, &v) in p.iter().enumerate() {
        q[v as usize] = i as u32;
    }
    q
}

/// A fixed-size set of small integers, one bit each.
struct BitSet(Vec<u64>);

impl BitSet {
    fn new(n: usize) -> BitSet {
        BitSet(vec![0; n.div_ceil(64)])
    }

    #[inline]
    fn set(&mut self, i: usize) {
        self.0[i / 64] |= 1 << (i % 64);
    }

    #[inline]
    fn get(&self, i: usize) -> bool {
        self.0[i / 64] & (1 << (i % 64)) != 0
    }

    /// Whether any of `range` is in the set (a word at a time).
    #[inline]
    fn any(&self, range: std::ops::Range<usize>) -> bool {
        if range.is_empty() {
            return false;
        }
        let (a, b) = (range.start / 64, (range.end - 1) / 64);
        let low = u64::MAX << (range.start % 64);
        let high = u64::MAX >> (63 - (range.end - 1) % 64);
        if a == b {
            return self.0[a] & low & high != 0;
        }
        self.0[a] & low != 0 || self.0[b] & high != 0 || self.0[a + 1..b].iter().any(|&w| w != 0)
    }
}

/// DevTools' `markPageOwnedNodes`: everything reachable over non-weak edges from the root's
/// shortcut targets (global objects) and from `(Document DOM trees)`.
fn page_owned(s: &HeapSnapshot) -> BitSet {
    let n = s.node_count();
    let mut page = BitSet::new(n);
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
        if entry && !page.get(to) {
            page.set(to);
            stack.push(to as u32);
        }
    }
    while let Some(node) = stack.pop() {
        for e in s.edges(node as usize) {
            let to = s.edge_target(e);
            if page.get(to) || s.edge_kind(e) == EdgeKind::Weak {
                continue;
            }
            page.set(to);
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

    /// Dominators by definition: `d` dominates `v` when `v` cannot be reached from the root
    /// without `d`, over the same edges (the same DevTools rules, the same nodes hung under the
    /// root). Quadratic and obviously right.
    fn naive_idoms(s: &HeapSnapshot) -> Vec<usize> {
        let n = s.node_count();
        let page = page_owned(s);
        let allowed = |from: usize, e: usize| {
            let kind = s.edge_kind(e);
            let to = s.edge_target(e);
            kind != EdgeKind::Weak
                && (kind != EdgeKind::Shortcut || from == ROOT)
                && !(from != ROOT && page.get(to) && !page.get(from))
        };
        let reach = |extra: &[usize], removed: usize| -> Vec<bool> {
            let mut seen = vec![false; n];
            seen[ROOT] = true;
            let mut stack = vec![ROOT];
            while let Some(u) = stack.pop() {
                let mut next: Vec<usize> = s
                    .edges(u)
                    .filter(|&e| allowed(u, e))
                    .map(|e| s.edge_target(e))
                    .collect();
                if u == ROOT {
                    next.extend_from_slice(extra);
                }
                for v in next {
                    if v != removed && !seen[v] {
                        seen[v] = true;
                        stack.push(v);
                    }
                }
            }
            seen
        };
        let essential_retainers = |v: usize| {
            (0..n).any(|u| {
                s.edges(u).any(|e| {
                    s.edge_target(e) == v
                        && s.edge_kind(e) != EdgeKind::Weak
                        && (s.edge_kind(e) != EdgeKind::Shortcut || u == ROOT)
                })
            })
        };
        let mut extra = Vec::new();
        let mut seen = reach(&extra, usize::MAX);
        for pass in 0..2 {
            for i in 0..n {
                if seen[i] || (pass == 0 && essential_retainers(i)) {
                    continue;
                }
                extra.push(i);
                seen = reach(&extra, usize::MAX);
            }
        }
        // strict dominators of every node
        let mut sdoms: Vec<Vec<usize>> = vec![Vec::new(); n];
        for d in 0..n {
            let without = if d == ROOT {
                vec![false; n]
            } else {
                reach(&extra, d)
            };
            for v in 0..n {
                if v != d && !without[v] {
                    sdoms[v].push(d);
                }
            }
        }
        (0..n)
            .map(|v| {
                if v == ROOT {
                    return ROOT;
                }
                // the deepest strict dominator: the one with the most strict dominators
                *sdoms[v].iter().max_by_key(|&&d| sdoms[d].len()).unwrap()
            })
            .collect()
    }

    #[test]
    fn matches_the_definition_on_random_heaps() {
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut rand = move |m: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % m
        };
        for round in 0..300 {
            let mut b = SnapshotBuilder::new();
            let count = 2 + rand(18) as usize;
            let mut nodes = vec![0];
            for i in 0..count {
                let ty = match rand(10) {
                    0 => "synthetic",
                    1 => "hidden",
                    2 => "closure",
                    _ => "object",
                };
                nodes.push(b.node(ty, &format!("N{i}"), 1 + rand(100)));
            }
            let edges = rand(3 * count as u64 + 1) as usize;
            for _ in 0..edges {
                let from = nodes[rand(nodes.len() as u64) as usize];
                let to = nodes[1 + rand(count as u64) as usize];
                let kind = match rand(12) {
                    0 => E::Weak("w"),
                    1 => E::Shortcut("s"),
                    2 => E::Internal("i"),
                    3 => E::Element(rand(5) as u32),
                    _ => E::Property("p"),
                };
                b.edge(from, kind, to);
            }
            let s = b.parse();
            let d = Dominators::compute(&s);
            let want = naive_idoms(&s);
            let got: Vec<usize> = d.idom.iter().map(|&x| x as usize).collect();
            assert_eq!(got, want, "round {round}: {}", b.json());
            // Retained size: own size plus the sizes of everything dominated.
            for v in 0..s.node_count() {
                let mut total = 0;
                for u in 0..s.node_count() {
                    let mut x = u;
                    loop {
                        if x == v {
                            total += s.self_size(u);
                            break;
                        }
                        if x == ROOT {
                            break;
                        }
                        x = want[x];
                    }
                }
                assert_eq!(d.retained[v], total, "round {round} node {v}");
            }
        }
    }

    #[test]
    fn long_cross_linked_lists_stay_fast() {
        // Two lists A and B with A[i] -> B[i]: quadratic for Cooper–Harvey–Kennedy.
        let n = 200_000;
        let mut b = SnapshotBuilder::new();
        let mut prev_a = 0;
        let mut prev_b = 0;
        for i in 0..n {
            let a = b.node("object", "A", 1);
            let bb = b.node("object", "B", 1);
            b.edge(prev_a, E::Property("next"), a);
            b.edge(prev_b, E::Property("next"), bb);
            b.edge(a, E::Property("partner"), bb);
            if i == 0 {
                b.edge(0, E::Element(2), bb);
            }
            prev_a = a;
            prev_b = bb;
        }
        let (_, d) = doms(&b);
        // B[i] is reached along B's list and from A[i]: only the root dominates it.
        assert_eq!(d.idom[2 * n], 0);
        assert_eq!(d.idom[2 * n - 1] as usize, 2 * n - 3);
        assert_eq!(d.retained[1], n as u64);
    }

    #[test]
    fn permutations_invert() {
        let mut x: u64 = 88172645463325252;
        for n in [0usize, 1, 2, 3, 10, 1000] {
            let mut p: Vec<u32> = (0..n as u32).collect();
            for i in (1..n).rev() {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                p.swap(i, (x % (i as u64 + 1)) as usize);
            }
            // From a longer array of garbage, as the dominators hand it over.
            let q = invert_into(&p, vec![7; n + 1]);
            assert_eq!(q.len(), n);
            for (i, &v) in p.iter().enumerate() {
                assert_eq!(q[v as usize], i as u32);
            }
        }
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
    fn crafted_sizes_saturate_instead_of_overflowing() {
        let mut b = SnapshotBuilder::new();
        let x = b.node("object", "Huge", u64::MAX);
        let y = b.node("object", "Huge", u64::MAX);
        b.edge(0, E::Element(1), x);
        b.edge(x, E::Property("y"), y);
        let (_, d) = doms(&b);
        assert_eq!(d.retained[x], u64::MAX);
        assert_eq!(d.retained[0], u64::MAX);
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
