//! Fuzzing entry points, shared by the cargo-fuzz target (`fuzz/fuzz_targets/snapshot.rs`,
//! nightly + libFuzzer) and the stable replay-and-mutate harness
//! (`crates/leakguard-core/tests/fuzz.rs`, plain `cargo test`). Not part of the API.
//!
//! [`run`] feeds one input through everything that reads a snapshot: the sequential parser, the
//! two-thread parser (which must agree with the sequential one whenever it answers), the
//! ids-only parse of a diff's baseline, and for what parses: dominators, retained sizes, the
//! summary, a diff, retainer paths and holders, with heap text redacted and raw. Any panic is a
//! bug (the binding would turn it into `ERR_LEAKGUARD_INTERNAL`, but the host's analysis fails).
//! [`generate`] and [`mutate`] make structure-aware inputs: valid snapshots of random graphs
//! (sizes up to `u64::MAX`, edges to anywhere, strings with secrets and escapes) and the
//! mutations that break them in the ways files break (cut, numbers replaced, bytes flipped,
//! parts spliced).

use crate::redact::{self, Strings};
use crate::snapshot::analyze::{diff_analysis, summarize, Analysis};
use crate::snapshot::parse::{parse, parse_parallel_at, ParseOptions};

/// Inputs larger than this are cut: the fuzzer's time goes to many small inputs.
pub const MAX_INPUT: usize = 1 << 20;

/// Runs one input through the parsers and the analyses. Panics only on a bug.
pub fn run(data: &[u8]) {
    let data = &data[..data.len().min(MAX_INPUT)];
    let len = data.len() as u64;
    let seq = parse(data, Some(len), ParseOptions::default());
    // The two-thread parser declines (None) or agrees with the sequential one.
    for split in [None, Some(0.0), Some(0.5), Some(1.0)] {
        if let Some(par) = parse_parallel_at(data, len, ParseOptions::default(), split) {
            let seq = seq.as_ref().unwrap_or_else(|e| {
                panic!("parallel parse succeeded where sequential failed: {e}")
            });
            assert_eq!(
                par.node_count(),
                seq.node_count(),
                "node count, split {split:?}"
            );
            assert_eq!(
                par.edge_count(),
                seq.edge_count(),
                "edge count, split {split:?}"
            );
            assert_eq!(par.node_id, seq.node_id, "node ids, split {split:?}");
            for e in 0..seq.edge_count() {
                assert_eq!(par.edge_target(e), seq.edge_target(e), "edge {e} target");
                assert_eq!(par.edge_label(e), seq.edge_label(e), "edge {e} label");
            }
        }
    }
    // The fast number scanner (records in V8's "\n," shape) reads what the careful path reads:
    // the same document with a space before each such newline (still JSON, the same values)
    // goes the careful way only.
    if data.windows(2).any(|w| w == b"\n,") {
        let mut careful = Vec::with_capacity(data.len() + data.len() / 8);
        for (i, &b) in data.iter().enumerate() {
            if b == b'\n' && data.get(i + 1) == Some(&b',') {
                careful.push(b' ');
            }
            careful.push(b);
        }
        let other = parse(&careful[..], None, ParseOptions::default());
        match (&seq, &other) {
            (Ok(a), Ok(b)) => {
                assert_eq!(a.node_id, b.node_id, "fast and careful paths: node ids");
                assert_eq!(a.self_size, b.self_size, "fast and careful paths: sizes");
                assert_eq!(
                    a.large_sizes, b.large_sizes,
                    "fast and careful paths: sizes"
                );
                assert_eq!(
                    a.edge_count(),
                    b.edge_count(),
                    "fast and careful paths: edges"
                );
                for e in 0..a.edge_count() {
                    assert_eq!(a.edge_target(e), b.edge_target(e), "edge {e} target");
                    assert_eq!(a.edge_label(e), b.edge_label(e), "edge {e} label");
                }
            }
            (Err(_), Err(_)) => {}
            (a, b) => panic!(
                "fast and careful paths disagree: {:?} / {:?}",
                a.as_ref().err(),
                b.as_ref().err()
            ),
        }
    }
    let ids_only = parse(data, Some(len), ParseOptions { ids_only: true });
    if let (Ok(full), Ok(ids)) = (&seq, &ids_only) {
        assert_eq!(full.node_id, ids.node_id, "ids-only parse reads other ids");
        assert_eq!(
            full.node_type, ids.node_type,
            "ids-only parse reads other types"
        );
        assert_eq!(
            crate::snapshot::provenance::snapshot_marks(full),
            crate::snapshot::provenance::snapshot_marks(ids),
            "ids-only parse finds other process marks"
        );
    }
    if let Ok(s) = seq {
        let mut ids = s.node_id.clone();
        ids.sort_unstable();
        let base: Vec<u32> = ids.iter().copied().step_by(2).collect();
        let mut a = Analysis::new(s);
        for strings in [Strings::Redacted, Strings::Raw] {
            a.strings = strings;
            let sum = summarize(&a, 8);
            assert!(sum.largest.len() <= 8);
            let d = diff_analysis(&base, Some(&ids), &a);
            for g in &d.groups {
                assert!(g.count > 0 || g.roots > 0, "an empty group");
            }
            for n in (0..a.snapshot.node_count()).step_by(7).take(16) {
                let _ = a.retainers(n);
            }
        }
    }
    let text = String::from_utf8_lossy(&data[..data.len().min(64 * 1024)]);
    let shown = redact::redact(&text);
    let _ = Strings::Redacted.shortened(&shown, 40);
}

/// A small deterministic PRNG (xorshift64*): the harness needs no crate.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// In `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }
}

const NODE_TYPES: [&str; 15] = [
    "hidden",
    "array",
    "string",
    "object",
    "code",
    "closure",
    "regexp",
    "number",
    "native",
    "synthetic",
    "concatenated string",
    "sliced string",
    "symbol",
    "bigint",
    "object shape",
];
const EDGE_TYPES: [&str; 7] = [
    "context", "element", "property", "internal", "hidden", "shortcut", "weak",
];
const NAMES: [&str; 16] = [
    "",
    "(GC roots)",
    "(Handle scope)",
    "system / Context",
    "Map",
    "Array",
    "Object",
    "LeakyThing",
    "Promise",
    "Module",
    "require",
    "exports",
    "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYzq93Kd0aXkLl",
    "\u{1b}]0;title\u{7}\r\n",
    "password",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlMTIzNDU2",
];

/// A valid snapshot of a random graph, in V8's layout.
pub fn generate(rng: &mut Rng) -> Vec<u8> {
    let nodes = 1 + rng.below(60);
    let mut strings: Vec<String> = NAMES.iter().map(|s| s.to_string()).collect();
    if rng.chance(30) {
        strings.push(format!("/app/file{}.js", rng.below(9)));
    }
    let mut node_rows = Vec::with_capacity(nodes);
    let mut edge_rows = Vec::new();
    for i in 0..nodes {
        let ty = if i == 0 {
            9
        } else {
            rng.below(NODE_TYPES.len())
        };
        let size: u64 = match rng.below(10) {
            0 => u64::MAX,
            1 => u64::from(u32::MAX),
            2 => 0,
            _ => rng.below(5000) as u64,
        };
        let edges = rng.below(6);
        for _ in 0..edges {
            let et = rng.below(EDGE_TYPES.len());
            let name = if matches!(et, 1 | 4) {
                rng.below(40)
            } else {
                rng.below(strings.len())
            };
            edge_rows.push(format!("{et},{name},{}", rng.below(nodes) * 7));
        }
        let id = if rng.chance(5) {
            rng.below(5) * 2 + 1
        } else {
            2 * i + 1
        };
        node_rows.push(format!(
            "{ty},{},{id},{size},{edges},0,0",
            rng.below(strings.len())
        ));
    }
    let q = |v: &[&str]| {
        v.iter()
            .map(|s| format!("\"{s}\""))
            .collect::<Vec<_>>()
            .join(",")
    };
    // V8 ends a record with "\n," (what the fast number scanner reads); other writers ",\n".
    let records = if rng.chance(50) { "\n," } else { ",\n" };
    let strings_json: Vec<String> = strings
        .iter()
        .map(|s| serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into()))
        .collect();
    format!(
        "{{\"snapshot\":{{\"meta\":{{\"node_fields\":[\"type\",\"name\",\"id\",\"self_size\",\"edge_count\",\"trace_node_id\",\"detachedness\"],\
\"node_types\":[[{}],\"string\",\"number\",\"number\",\"number\",\"number\",\"number\"],\
\"edge_fields\":[\"type\",\"name_or_index\",\"to_node\"],\
\"edge_types\":[[{}],\"string_or_number\",\"node\"],\
\"trace_function_info_fields\":[],\"trace_node_fields\":[],\"sample_fields\":[],\
\"location_fields\":[\"object_index\",\"script_id\",\"line\",\"column\"]}},\
\"node_count\":{},\"edge_count\":{},\"trace_function_count\":0}},\n\
\"nodes\":[{}],\n\"edges\":[{}],\n\"trace_function_infos\":[],\"trace_tree\":[],\"samples\":[],\"locations\":[],\n\"strings\":[{}]}}",
        q(&NODE_TYPES),
        q(&EDGE_TYPES),
        nodes,
        edge_rows.len(),
        node_rows.join(records),
        edge_rows.join(records),
        strings_json.join(",\n")
    )
    .into_bytes()
}

const NUMBERS: [&[u8]; 10] = [
    b"0",
    b"1",
    b"7",
    b"4294967295",
    b"4294967296",
    b"18446744073709551615",
    b"18446744073709551616",
    b"-1",
    b"1e309",
    b"0.5",
];
const TOKENS: [&[u8]; 10] = [
    b"[",
    b"]",
    b"{",
    b"}",
    b",",
    b"\"",
    b"\\u",
    b"\\ud800",
    b"null",
    b"\"nodes\":[",
];

/// Breaks `data` the way files break: a cut, a number replaced by an extreme one, bytes
/// flipped, inserted or removed, a part of `other` spliced in.
pub fn mutate(data: &mut Vec<u8>, other: &[u8], rng: &mut Rng) {
    if data.is_empty() {
        data.extend_from_slice(TOKENS[rng.below(TOKENS.len())]);
        return;
    }
    let at = rng.below(data.len());
    match rng.below(8) {
        0 => data.truncate(at),
        1 => {
            // the number at (or after) `at`
            let start = (at..data.len()).find(|&i| data[i].is_ascii_digit());
            if let Some(start) = start {
                let end = (start..data.len())
                    .find(|&i| !data[i].is_ascii_digit())
                    .unwrap_or(data.len());
                let n = NUMBERS[rng.below(NUMBERS.len())];
                data.splice(start..end, n.iter().copied());
            }
        }
        2 => data[at] ^= 1 << rng.below(8),
        3 => {
            let t = TOKENS[rng.below(TOKENS.len())];
            data.splice(at..at, t.iter().copied());
        }
        4 => {
            let end = (at + 1 + rng.below(16)).min(data.len());
            data.drain(at..end);
        }
        5 if !other.is_empty() => {
            let from = rng.below(other.len());
            let to = (from + 1 + rng.below(256)).min(other.len());
            let end = (at + rng.below(256)).min(data.len());
            data.splice(at..end, other[from..to].iter().copied());
        }
        6 => {
            // a digit changed: counts and indices off by a little
            if let Some(i) = (at..data.len()).find(|&i| data[i].is_ascii_digit()) {
                data[i] = b'0' + rng.below(10) as u8;
            }
        }
        _ => {
            let b = data[at];
            let n = 1 + rng.below(8);
            data.splice(at..at, std::iter::repeat_n(b, n));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_snapshots_parse_and_run() {
        let mut rng = Rng::new(7);
        for _ in 0..50 {
            let g = generate(&mut rng);
            parse(&g[..], None, ParseOptions::default()).expect("a generated snapshot parses");
            run(&g);
        }
    }
}
