//! Grouping leak roots whose retainer paths are alike, in time linear in the nodes on their
//! paths.
//!
//! A leak root's path is read as a sequence of steps (edge type, edge name with indices and
//! numeric names blurred, the class of the node reached). Repeated runs of one to
//! [`PERIOD`] steps are collapsed to one occurrence, so the 2,000 objects of a linked list, of
//! V8's promise-reaction list or of nested arrays, each one hop deeper than the last, have one
//! signature. Collapsed paths are interned in a trie: every node's signature is built from its
//! parent's (the node before it on its shortest path) in constant time, and each node is
//! visited once however many roots share its path, so no path is ever materialised per root.

use std::collections::HashMap;

use super::graph::{HeapSnapshot, NodeKind};
use super::paths::PathTree;

/// Longest repeated block collapsed (`a → b → a → b` is `a → b`).
pub(crate) const PERIOD: usize = 3;

/// One step of a path as grouping sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Step {
    edge_type: u8,
    /// String index of the edge name, `u32::MAX` when blurred (indices, numeric names).
    name: u32,
    /// The node's class: its name for objects, closures, natives and V8 internals (so a
    /// `system / PromiseReaction` is not a `system / Context`), its type otherwise.
    class: u64,
}

const UNKNOWN: u32 = u32::MAX;

/// Collapsed-path signatures, computed on demand and memoised per node.
pub(crate) struct PathSignatures<'a> {
    s: &'a HeapSnapshot,
    tree: &'a PathTree,
    interned: HashMap<(u32, Step), u32>,
    /// Per trie node: its parent (the root, 0, is its own) and the step into it.
    parent: Vec<u32>,
    step: Vec<Step>,
    depth: Vec<u32>,
    /// Per heap node: the trie node of its collapsed path, `UNKNOWN` until computed.
    of_node: Vec<u32>,
}

impl<'a> PathSignatures<'a> {
    pub(crate) fn new(s: &'a HeapSnapshot, tree: &'a PathTree) -> Self {
        let mut of_node = vec![UNKNOWN; s.node_count()];
        if !of_node.is_empty() {
            of_node[0] = 0;
        }
        let none = Step {
            edge_type: u8::MAX,
            name: u32::MAX,
            class: u64::MAX,
        };
        PathSignatures {
            s,
            tree,
            interned: HashMap::new(),
            parent: vec![0],
            step: vec![none],
            depth: vec![0],
            of_node,
        }
    }

    fn sig_class(&self, n: usize) -> u64 {
        let s = self.s;
        match s.kind(n) {
            NodeKind::Object
            | NodeKind::Native
            | NodeKind::Hidden
            | NodeKind::Synthetic
            | NodeKind::Closure
            | NodeKind::Array
            | NodeKind::Code => 256 + u64::from(s.node_name[n]),
            _ => u64::from(s.node_type[n]),
        }
    }

    fn edge_step(&self, e: usize, class: u64) -> Step {
        let s = self.s;
        let name = if s.edge_kind(e).is_indexed() {
            u32::MAX
        } else {
            let v = s.edge_name(e);
            let text = s.strings.get(v);
            if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
                u32::MAX
            } else {
                v
            }
        };
        Step {
            edge_type: s.edge_type_index(e) as u8,
            name,
            class,
        }
    }

    fn intern(&mut self, parent: u32, step: Step) -> u32 {
        if let Some(&t) = self.interned.get(&(parent, step)) {
            return t;
        }
        let t = self.parent.len() as u32;
        self.parent.push(parent);
        self.step.push(step);
        self.depth.push(self.depth[parent as usize] + 1);
        self.interned.insert((parent, step), t);
        t
    }

    /// The collapsed path `t` followed by `step`.
    fn push(&mut self, t: u32, step: Step) -> u32 {
        let t = self.intern(t, step);
        // The last 2 * PERIOD steps, newest first.
        let mut tail = [self.step[0]; 2 * PERIOD];
        let mut len = 0;
        let mut cur = t;
        while len < 2 * PERIOD && cur != 0 {
            tail[len] = self.step[cur as usize];
            len += 1;
            cur = self.parent[cur as usize];
        }
        for p in 1..=PERIOD {
            if 2 * p <= len && tail[..p] == tail[p..2 * p] {
                let mut up = t;
                for _ in 0..p {
                    up = self.parent[up as usize];
                }
                return up;
            }
        }
        t
    }

    /// The trie node of the collapsed path of heap node `n` (0 for the root and for nodes
    /// without a path).
    pub(crate) fn of(&mut self, n: usize) -> u32 {
        if self.of_node[n] != UNKNOWN {
            return self.of_node[n];
        }
        let mut pending: Vec<(usize, usize)> = Vec::new();
        let mut cur = n;
        while self.of_node[cur] == UNKNOWN {
            match self.tree.parent_edge(cur) {
                Some(e) => {
                    pending.push((cur, e));
                    cur = self.s.edge_owner(e);
                }
                None => {
                    self.of_node[cur] = 0;
                    break;
                }
            }
        }
        let mut t = self.of_node[cur];
        while let Some((node, e)) = pending.pop() {
            let step = self.edge_step(e, self.sig_class(node));
            t = self.push(t, step);
            self.of_node[node] = t;
        }
        t
    }

    /// The group key of leak root `r`: its collapsed path, with the name of the last step
    /// blurred (the key a dictionary stores it under: `sessions['a81f']`) and the root's class
    /// as `HeapSnapshot::class_key` has it (closures of any name are one class).
    pub(crate) fn root_key(&mut self, r: usize) -> (u32, u64, u8) {
        let t = self.of(r);
        if t == 0 {
            return (0, u64::MAX, u8::MAX);
        }
        let edge_type = self.step[t as usize].edge_type;
        (self.parent[t as usize], self.s.class_key(r), edge_type)
    }

    /// Steps in the collapsed path `t` (for tests and diagnostics).
    #[cfg(test)]
    pub(crate) fn len(&self, t: u32) -> u32 {
        self.depth[t as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::super::paths::DistanceFilter;
    use super::super::test_support::{SnapshotBuilder, E};
    use super::*;

    #[test]
    fn chains_of_any_length_collapse_to_one_signature() {
        // root -> ctx -head-> M -next-> M -next-> ... (20), and a second list of wrappers
        // whose period is two: W -value-> V -next-> W ...
        let mut b = SnapshotBuilder::new();
        let gc = b.node("synthetic", "(GC roots)", 0);
        let ctx = b.node("object", "system / Context", 40);
        b.edge(0, E::Element(1), gc);
        b.edge(gc, E::Element(1), ctx);
        let mut list = Vec::new();
        let mut prev = ctx;
        for i in 0..20 {
            let m = b.node("object", "Message", 16);
            b.edge(
                prev,
                if i == 0 {
                    E::Context("head")
                } else {
                    E::Property("next")
                },
                m,
            );
            list.push(m);
            prev = m;
        }
        let mut pairs = Vec::new();
        let mut prev = ctx;
        for i in 0..10 {
            let w = b.node("object", "Wrapper", 16);
            let v = b.node("object", "Value", 16);
            b.edge(
                prev,
                if i == 0 {
                    E::Context("first")
                } else {
                    E::Property("next")
                },
                w,
            );
            b.edge(w, E::Property("value"), v);
            pairs.push(v);
            prev = v;
        }
        let s = b.parse();
        let tree = PathTree::new(&s, &DistanceFilter::new(&s));
        let mut sig = PathSignatures::new(&s, &tree);
        let keys: Vec<_> = list[1..].iter().map(|&m| sig.root_key(m)).collect();
        assert!(keys.iter().all(|&k| k == keys[0]), "{keys:?}");
        // (GC roots), ctx, head, and one `next` for the whole run
        let first = sig.root_key(list[0]);
        assert_ne!(first, keys[0]);
        let last = sig.of(list[19]);
        assert_eq!(sig.len(last), 4);
        let keys: Vec<_> = pairs[1..].iter().map(|&v| sig.root_key(v)).collect();
        assert!(keys.iter().all(|&k| k == keys[0]), "{keys:?}");
        // a different holder is a different signature
        assert_ne!(sig.root_key(pairs[3]), sig.root_key(list[3]));
    }
}
