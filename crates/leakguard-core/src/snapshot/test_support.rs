//! Tiny snapshots for tests, written as the JSON V8 writes (same meta, same field order).

use super::graph::HeapSnapshot;
use super::parse::{parse, ParseOptions};

/// An edge as the test names it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum E<'a> {
    Element(u32),
    Hidden(u32),
    Property(&'a str),
    Context(&'a str),
    Internal(&'a str),
    Shortcut(&'a str),
    Weak(&'a str),
}

pub(crate) const NODE_TYPES: [&str; 15] = [
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
pub(crate) const EDGE_TYPES: [&str; 7] = [
    "context", "element", "property", "internal", "hidden", "shortcut", "weak",
];

pub(crate) struct SnapshotBuilder {
    nodes: Vec<(String, String, u64, u64)>,
    edges: Vec<(usize, String, String, usize)>,
}

impl SnapshotBuilder {
    /// A builder holding the synthetic root (node 0, id 1).
    pub(crate) fn new() -> Self {
        SnapshotBuilder {
            nodes: vec![("synthetic".into(), String::new(), 1, 0)],
            edges: Vec::new(),
        }
    }

    /// Adds a node with id `2 * ordinal + 1`; returns its ordinal.
    pub(crate) fn node(&mut self, ty: &str, name: &str, size: u64) -> usize {
        let id = 2 * self.nodes.len() as u64 + 1;
        self.node_with_id(ty, name, size, id)
    }

    pub(crate) fn node_with_id(&mut self, ty: &str, name: &str, size: u64, id: u64) -> usize {
        assert!(NODE_TYPES.contains(&ty), "unknown node type {ty}");
        self.nodes.push((ty.into(), name.into(), id, size));
        self.nodes.len() - 1
    }

    pub(crate) fn edge(&mut self, from: usize, e: E<'_>, to: usize) {
        let (ty, name) = match e {
            E::Element(i) => ("element", format!("#{i}")),
            E::Hidden(i) => ("hidden", format!("#{i}")),
            E::Property(s) => ("property", s.to_string()),
            E::Context(s) => ("context", s.to_string()),
            E::Internal(s) => ("internal", s.to_string()),
            E::Shortcut(s) => ("shortcut", s.to_string()),
            E::Weak(s) => ("weak", s.to_string()),
        };
        self.edges.push((from, ty.into(), name, to));
    }

    /// The `.heapsnapshot` text.
    pub(crate) fn json(&self) -> String {
        let mut strings: Vec<String> = Vec::new();
        let mut index: std::collections::HashMap<String, usize> = Default::default();
        let mut intern = |s: &str| -> usize {
            if let Some(&i) = index.get(s) {
                return i;
            }
            strings.push(s.to_string());
            index.insert(s.to_string(), strings.len() - 1);
            strings.len() - 1
        };
        let type_index = |t: &str| NODE_TYPES.iter().position(|x| *x == t).unwrap();
        let edge_index = |t: &str| EDGE_TYPES.iter().position(|x| *x == t).unwrap();
        let mut by_node: Vec<Vec<usize>> = vec![Vec::new(); self.nodes.len()];
        for (i, e) in self.edges.iter().enumerate() {
            by_node[e.0].push(i);
        }
        let mut nodes = Vec::new();
        let mut edges = Vec::new();
        for (i, (ty, name, id, size)) in self.nodes.iter().enumerate() {
            let mine: Vec<_> = by_node[i].iter().map(|&k| &self.edges[k]).collect();
            nodes.push(format!(
                "{},{},{},{},{},0,0",
                type_index(ty),
                intern(name),
                id,
                size,
                mine.len()
            ));
            for (_, ty, name, to) in mine {
                let name_or_index = match name.strip_prefix('#') {
                    Some(ix) if ty == "element" || ty == "hidden" => ix.parse::<usize>().unwrap(),
                    _ => intern(name),
                };
                edges.push(format!("{},{},{}", edge_index(ty), name_or_index, to * 7));
            }
        }
        let q = |v: &[&str]| {
            v.iter()
                .map(|s| format!("\"{s}\""))
                .collect::<Vec<_>>()
                .join(",")
        };
        format!(
            "{{\"snapshot\":{{\"meta\":{{\"node_fields\":[\"type\",\"name\",\"id\",\"self_size\",\"edge_count\",\"trace_node_id\",\"detachedness\"],\
\"node_types\":[[{}],\"string\",\"number\",\"number\",\"number\",\"number\",\"number\"],\
\"edge_fields\":[\"type\",\"name_or_index\",\"to_node\"],\
\"edge_types\":[[{}],\"string_or_number\",\"node\"],\
\"trace_function_info_fields\":[],\"trace_node_fields\":[],\"sample_fields\":[],\"location_fields\":[]}},\
\"node_count\":{},\"edge_count\":{},\"trace_function_count\":0}},\n\
\"nodes\":[{}],\n\"edges\":[{}],\n\"trace_function_infos\":[],\"trace_tree\":[],\"samples\":[],\"locations\":[],\n\"strings\":[{}]}}",
            q(&NODE_TYPES),
            q(&EDGE_TYPES),
            self.nodes.len(),
            self.edges.len(),
            nodes.join(",\n"),
            edges.join(",\n"),
            strings
                .iter()
                .map(|s| serde_json::to_string(s).unwrap())
                .collect::<Vec<_>>()
                .join(",")
        )
    }

    pub(crate) fn parse(&self) -> HeapSnapshot {
        parse(self.json().as_bytes(), None, ParseOptions::default()).expect("test snapshot parses")
    }
}
