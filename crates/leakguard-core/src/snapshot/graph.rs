//! The heap graph: nodes and edges in compact columns, forward edges in CSR form (first edge
//! per node). The reverse (retainer) index is built where it is needed, over the edges that
//! matter there (see `dominators`), and dropped after: it is the largest structure of all.

/// What a node is, from `snapshot.meta.node_types[0]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    Hidden,
    Array,
    String,
    Object,
    Code,
    Closure,
    RegExp,
    Number,
    Native,
    Synthetic,
    ConcatenatedString,
    SlicedString,
    Symbol,
    BigInt,
    ObjectShape,
    /// A type this version does not know; shown by its name.
    Other,
}

impl NodeKind {
    pub(crate) fn from_name(name: &str) -> NodeKind {
        match name {
            "hidden" => NodeKind::Hidden,
            "array" => NodeKind::Array,
            "string" => NodeKind::String,
            "object" => NodeKind::Object,
            "code" => NodeKind::Code,
            "closure" => NodeKind::Closure,
            "regexp" => NodeKind::RegExp,
            "number" => NodeKind::Number,
            "native" => NodeKind::Native,
            "synthetic" => NodeKind::Synthetic,
            "concatenated string" => NodeKind::ConcatenatedString,
            "sliced string" => NodeKind::SlicedString,
            "symbol" => NodeKind::Symbol,
            "bigint" => NodeKind::BigInt,
            "object shape" => NodeKind::ObjectShape,
            _ => NodeKind::Other,
        }
    }

    /// Strings of any representation.
    pub fn is_string(self) -> bool {
        matches!(
            self,
            NodeKind::String | NodeKind::ConcatenatedString | NodeKind::SlicedString
        )
    }
}

/// What an edge is, from `snapshot.meta.edge_types[0]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EdgeKind {
    /// A variable captured in a function context; named by the variable.
    Context,
    /// An array element; `name_or_index` is the index.
    Element,
    /// A named property.
    Property,
    /// A V8-internal reference (`map`, `table`, `context`, ...); named.
    Internal,
    /// A reference not visible to JavaScript; `name_or_index` is an index.
    Hidden,
    /// A shortcut (the root's edges to global objects); named.
    Shortcut,
    /// A weak reference: does not keep its target alive.
    Weak,
    Other,
}

impl EdgeKind {
    pub(crate) fn from_name(name: &str) -> EdgeKind {
        match name {
            "context" => EdgeKind::Context,
            "element" => EdgeKind::Element,
            "property" => EdgeKind::Property,
            "internal" => EdgeKind::Internal,
            "hidden" => EdgeKind::Hidden,
            "shortcut" => EdgeKind::Shortcut,
            "weak" => EdgeKind::Weak,
            _ => EdgeKind::Other,
        }
    }

    /// Element and hidden edges carry an index, every other kind a string-table index.
    pub fn is_indexed(self) -> bool {
        matches!(self, EdgeKind::Element | EdgeKind::Hidden)
    }
}

/// Unsigned integers of up to 32 bits, each stored in as many bits as the largest needs.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Packed {
    /// One spare word at the end: a value may straddle two words.
    words: Vec<u64>,
    bits: u32,
    len: usize,
}

impl Packed {
    #[cfg(test)]
    pub(crate) fn new(values: &[u32]) -> Packed {
        Packed::from_parts(&[values])
    }

    /// The values of `parts`, one after the other (no copy of them made first).
    #[cfg(test)]
    pub(crate) fn from_parts(parts: &[&[u32]]) -> Packed {
        let max = parts
            .iter()
            .flat_map(|p| p.iter().copied())
            .max()
            .unwrap_or(0);
        let (bits, len, mut words) = Packed::room(parts.iter().map(|p| p.len()).sum(), max);
        let (w, acc) = pack_into(parts, bits, &mut words, 0);
        words[w] = acc;
        Packed { words, bits, len }
    }

    /// [`Packed::from_parts`] of `a` then `b`, whose largest value is `max` (known to the
    /// caller: not searched for again), the first and the second half of the values packed on
    /// two threads (the words they share at the middle joined after).
    pub(crate) fn from_two(a: &[u32], b: &[u32], max: u32) -> Packed {
        let (bits, len, mut words) = Packed::room(a.len() + b.len(), max);
        let mid = len / 2;
        let (ma, mb) = (mid.min(a.len()), mid.saturating_sub(a.len()));
        let first: [&[u32]; 2] = [&a[..ma], &b[..mb]];
        let second: [&[u32]; 2] = [&a[ma..], &b[mb..]];
        let split = mid as u64 * u64::from(bits);
        let at = (split / 64) as usize;
        let mut carry = 0u64;
        {
            let (head, tail) = words.split_at_mut(at);
            // The second half starts `split % 64` bits into word `at`; the first half's last
            // bits, below those, are or'd in after.
            let second_half = |tail: &mut [u64]| {
                let (w, acc) = pack_into(&second, bits, tail, (split % 64) as u32);
                tail[w] = acc;
            };
            // (Small arrays: a thread costs more than it saves.)
            if len < 1 << 16
                || !super::dominators::in_two(
                    || second_half(tail),
                    || carry = pack_into(&first, bits, head, 0).1,
                )
            {
                let (head, tail) = words.split_at_mut(at);
                second_half(tail);
                carry = pack_into(&first, bits, head, 0).1;
            }
        }
        words[at] |= carry;
        Packed { words, bits, len }
    }

    /// The bits per value for values up to `max`, and zeroed words for `len` of them (one spare).
    fn room(len: usize, max: u32) -> (u32, usize, Vec<u64>) {
        let bits = (32 - max.leading_zeros()).max(1);
        let total = len as u64 * u64::from(bits);
        (bits, len, vec![0; total.div_ceil(64) as usize + 1])
    }

    /// Value `i`; 0 past the end.
    #[inline]
    pub(crate) fn get(&self, i: usize) -> u32 {
        if i >= self.len {
            return 0;
        }
        let bit = i as u64 * u64::from(self.bits);
        let (w, off) = ((bit / 64) as usize, (bit % 64) as u32);
        let mut v = self.words[w] >> off;
        if off + self.bits > 64 {
            v |= self.words[w + 1] << (64 - off);
        }
        (v & ((1u64 << self.bits) - 1)) as u32
    }
}

/// Streams the values of `parts`, `bits` each, into `out` from bit `filled` of its first word
/// (whose bits below are left as 0): every full word is stored, and the last, partial one
/// returned with its index.
fn pack_into(parts: &[&[u32]], bits: u32, out: &mut [u64], mut filled: u32) -> (usize, u64) {
    let (mut w, mut acc) = (0usize, 0u64);
    for part in parts {
        for &v in part.iter() {
            let v = u64::from(v);
            acc |= v << filled;
            filled += bits;
            if filled >= 64 {
                out[w] = acc;
                w += 1;
                filled -= 64;
                // The bits of `v` that did not fit (none when it ended the word exactly).
                acc = if filled == 0 { 0 } else { v >> (bits - filled) };
            }
        }
    }
    (w, acc)
}

/// The `strings` table: all strings in one buffer.
#[derive(Debug, Default)]
pub(crate) struct StringTable {
    pub(crate) data: String,
    /// `ends[i]` is where string `i` ends; it starts where `i - 1` ends.
    pub(crate) ends: Vec<u32>,
}

impl StringTable {
    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    pub(crate) fn get(&self, i: u32) -> &str {
        let i = i as usize;
        if i >= self.ends.len() {
            return "";
        }
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        self.data.get(start..self.ends[i] as usize).unwrap_or("")
    }
}

/// A parsed heap snapshot. Node `0` is the synthetic root. Nodes are addressed by ordinal
/// (their position in `nodes`), not by their snapshot id.
#[derive(Debug, Default)]
pub struct HeapSnapshot {
    pub(crate) node_type_names: Vec<String>,
    pub(crate) edge_type_names: Vec<String>,
    pub(crate) node_kind_of_type: Vec<NodeKind>,
    pub(crate) edge_kind_of_type: Vec<EdgeKind>,
    /// Per node: index into `node_type_names`.
    pub(crate) node_type: Vec<u8>,
    pub(crate) node_name: Vec<u32>,
    pub(crate) node_id: Vec<u32>,
    /// Own size per node; `u32::MAX` means "see `large_sizes`" (objects of 4 GiB and more).
    pub(crate) self_size: Vec<u32>,
    pub(crate) large_sizes: std::collections::HashMap<u32, u64>,
    /// CSR: edges of node `n` are `first_edge[n]..first_edge[n + 1]` (length nodes + 1).
    pub(crate) first_edge: Vec<u32>,
    /// Bit-packed: read through `edge_name(e)` (needed for labels and a few filters only).
    pub(crate) edge_name: Packed,
    /// Per edge: target node ordinal `<< edge_type_bits`, or'd with the type index.
    pub(crate) edge_to_type: Vec<u32>,
    /// Bits of the type index in `edge_to_type` (enough for every type in the meta); 0 when the
    /// types are in `edge_type`.
    pub(crate) edge_type_bits: u32,
    /// Per edge, the type index, when targets need all 32 bits of `edge_to_type` (snapshots
    /// of 2^29 nodes and more); empty otherwise.
    pub(crate) edge_type: Vec<u8>,
    pub(crate) strings: StringTable,
    /// leakguard's process marks, for a snapshot read with `ids_only` (which keeps no
    /// strings); see `provenance::snapshot_marks`.
    pub(crate) process_marks: Vec<String>,
}

impl HeapSnapshot {
    /// Number of nodes (objects) in the snapshot.
    pub fn node_count(&self) -> usize {
        self.node_id.len()
    }

    /// Number of edges (references) in the snapshot.
    pub fn edge_count(&self) -> usize {
        self.edge_to_type.len()
    }

    /// The snapshot id of a node (stable across snapshots of one process).
    pub fn id(&self, n: usize) -> u32 {
        self.node_id[n]
    }

    pub fn self_size(&self, n: usize) -> u64 {
        match self.self_size.get(n) {
            Some(&u32::MAX) => self
                .large_sizes
                .get(&(n as u32))
                .copied()
                .unwrap_or(u64::from(u32::MAX)),
            Some(&v) => u64::from(v),
            None => 0,
        }
    }

    pub fn kind(&self, n: usize) -> NodeKind {
        self.node_kind_of_type[self.node_type[n] as usize]
    }

    /// The node's type as the snapshot names it (`object`, `closure`, ...).
    pub fn type_name(&self, n: usize) -> &str {
        &self.node_type_names[self.node_type[n] as usize]
    }

    /// The node's name: a constructor name for objects, the text for strings, ...
    pub fn name(&self, n: usize) -> &str {
        self.strings.get(self.node_name[n])
    }

    /// The class a node is grouped under, as DevTools' `HeapSnapshotNode.className()`:
    /// `object` and `native` nodes by their name (the constructor), `hidden` as `(system)`,
    /// `code` as `(compiled code)`, every other type as `(<type>)`: `(string)`, `(closure)`,
    /// `(array)`, `(concatenated string)`, `(number)`, ...
    pub fn class_name(&self, n: usize) -> std::borrow::Cow<'_, str> {
        match self.kind(n) {
            NodeKind::Object | NodeKind::Native => std::borrow::Cow::Borrowed(self.name(n)),
            NodeKind::Hidden => std::borrow::Cow::Borrowed("(system)"),
            NodeKind::Code => std::borrow::Cow::Borrowed("(compiled code)"),
            _ => std::borrow::Cow::Owned(format!("({})", self.type_name(n))),
        }
    }

    /// A key per class: equal for nodes with equal `class_name`. Objects and natives use their
    /// name's string index (offset past the type range), others their type index.
    pub fn class_key(&self, n: usize) -> u64 {
        match self.kind(n) {
            NodeKind::Object | NodeKind::Native => 256 + u64::from(self.node_name[n]),
            _ => u64::from(self.node_type[n]),
        }
    }

    /// Edges of node `n` as a range of edge indices.
    #[inline]
    pub fn edges(&self, n: usize) -> std::ops::Range<usize> {
        self.first_edge[n] as usize..self.first_edge[n + 1] as usize
    }

    /// The node that owns edge `e` (binary search over the CSR offsets).
    pub fn edge_owner(&self, e: usize) -> usize {
        self.first_edge.partition_point(|&f| f as usize <= e) - 1
    }

    #[inline]
    pub fn edge_kind(&self, e: usize) -> EdgeKind {
        self.edge_kind_of_type[self.edge_type_index(e)]
    }

    /// The edge's type: an index into `meta.edge_types`.
    #[inline]
    pub(crate) fn edge_type_index(&self, e: usize) -> usize {
        if self.edge_type.is_empty() {
            (self.edge_to_type[e] & ((1 << self.edge_type_bits) - 1)) as usize
        } else {
            usize::from(self.edge_type[e])
        }
    }

    /// The edge's `name_or_index`: a string index, or an index for element and hidden edges.
    #[inline]
    pub fn edge_name(&self, e: usize) -> u32 {
        self.edge_name.get(e)
    }

    /// The edge's type as the snapshot names it (`property`, `context`, ...).
    pub fn edge_type_name(&self, e: usize) -> &str {
        &self.edge_type_names[self.edge_type_index(e)]
    }

    #[inline]
    pub fn edge_target(&self, e: usize) -> usize {
        (self.edge_to_type[e] >> self.edge_type_bits) as usize
    }

    /// The edge's label: element and hidden edges as `[index]`, property, context, internal
    /// and shortcut edges by name; a name made only of digits (V8 names the slots of hash
    /// tables that way) reads as an index too: `[42]`.
    pub fn edge_label(&self, e: usize) -> String {
        let v = self.edge_name(e);
        if self.edge_kind(e).is_indexed() {
            return format!("[{v}]");
        }
        let name = self.strings.get(v);
        if !name.is_empty() && name.bytes().all(|b| b.is_ascii_digit()) {
            format!("[{name}]")
        } else {
            name.to_string()
        }
    }

    /// The ordinal of the node with snapshot id `id`, if present (linear scan).
    pub fn find_id(&self, id: u32) -> Option<usize> {
        self.node_id.iter().position(|&x| x == id)
    }
}

#[cfg(test)]
mod tests {
    use super::Packed;

    #[test]
    fn packed_values_read_back_at_every_width() {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for bits in 0..=32u32 {
            let values: Vec<u32> = (0..1000)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    if bits == 0 {
                        0
                    } else {
                        (x >> (64 - bits)) as u32
                    }
                })
                .chain([if bits == 0 {
                    0
                } else {
                    u32::MAX >> (32 - bits)
                }])
                .collect();
            let p = Packed::new(&values);
            for (i, &v) in values.iter().enumerate() {
                assert_eq!(p.get(i), v, "bits {bits}, index {i}");
            }
            assert_eq!(p.get(values.len()), 0);
            for cut in [0, 1, 333, values.len()] {
                let (a, b) = values.split_at(cut);
                assert_eq!(Packed::from_parts(&[a, b]), p, "bits {bits}, cut {cut}");
                let max = values.iter().copied().max().unwrap_or(0);
                assert_eq!(Packed::from_two(a, b, max), p, "bits {bits}, cut {cut}");
            }
        }
        assert_eq!(Packed::new(&[]).get(0), 0);
        assert_eq!(Packed::from_two(&[], &[], 0), Packed::new(&[]));
    }

    #[test]
    fn packed_on_two_threads_equals_packed_on_one() {
        // Past the size where `from_two` starts a thread; cuts on both sides of the middle.
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        for (len, bits) in [
            (200_003usize, 17u32),
            (131_072, 32),
            (70_001, 1),
            (99_999, 5),
        ] {
            let values: Vec<u32> = (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    (x >> (64 - bits)) as u32
                })
                .collect();
            let max = values.iter().copied().max().unwrap_or(0);
            let p = Packed::new(&values);
            for cut in [0, 1, len / 3, len / 2, len / 2 + 1, len - 1, len] {
                let (a, b) = values.split_at(cut);
                assert_eq!(
                    Packed::from_two(a, b, max),
                    p,
                    "len {len}, bits {bits}, cut {cut}"
                );
            }
        }
    }
}
