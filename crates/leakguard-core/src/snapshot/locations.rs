//! Where closures were defined: the snapshot's `locations` array (`object_index, script_id,
//! line, column` per closure, lines and columns from 0) and the script a closure's shared
//! function info names, read on demand when a finding needs a `file:line`.
//!
//! The parser skips `locations` (it is not needed for sizes or paths); this reads it from the
//! file afterwards. V8 writes it after `edges` and before `strings`, so it is found by
//! searching backwards from the end for the key: inside a JSON string every `"` is escaped, so
//! the bytes `"locations":` can only be the key itself. Anything unexpected gives no locations
//! (a site is a nicety; it never fails an analysis).

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};

use super::graph::{EdgeKind, HeapSnapshot, NodeKind};

/// Line and column (from 0) of closures, by node ordinal.
#[derive(Debug, Default)]
pub(crate) struct Locations {
    by_node: HashMap<u32, (u32, u32)>,
}

/// [`Locations`] read on first use (most analyses never need a line).
#[derive(Debug, Default)]
pub(crate) struct LazyLocations {
    /// The snapshot's file, as opened for parsing (never reopened by name: what is at the
    /// path may have changed since), and its node count.
    source: Option<(File, usize)>,
    cell: std::sync::OnceLock<Locations>,
}

impl LazyLocations {
    /// Locations of the snapshot in `file` with `node_count` nodes.
    pub(crate) fn new(file: File, node_count: usize) -> LazyLocations {
        LazyLocations {
            source: Some((file, node_count)),
            cell: std::sync::OnceLock::new(),
        }
    }

    /// No file to read them from: every closure without a line.
    pub(crate) fn none() -> LazyLocations {
        LazyLocations::default()
    }

    pub(crate) fn get(&self) -> &Locations {
        self.cell.get_or_init(|| match &self.source {
            Some((file, count)) => Locations::read(file, *count),
            None => Locations::default(),
        })
    }
}

const KEY: &[u8] = b"\"locations\":";
const CHUNK: usize = 1 << 20;
/// How much of the file's head holds the meta.
const META_BYTES: usize = 1 << 16;

impl Locations {
    /// Reads the `locations` of the snapshot in `file` (empty when it has none or anything is
    /// unusual).
    pub(crate) fn read(file: &File, node_count: usize) -> Locations {
        read(file, node_count).unwrap_or_default()
    }

    /// `(line, column)` from 1, as editors count, of closure `n`.
    pub(crate) fn of(&self, n: usize) -> Option<(u32, u32)> {
        self.by_node
            .get(&(n as u32))
            .map(|&(line, col)| (line + 1, col + 1))
    }
}

/// The position of each name in a `"<key>":["a","b",...]` list of the meta.
fn field_list(head: &[u8], key: &str) -> Option<Vec<String>> {
    let pat = format!("\"{key}\":");
    let at = memchr::memmem::find(head, pat.as_bytes())? + pat.len();
    let end = at + memchr::memchr(b']', &head[at..])?;
    serde_json::from_slice(&head[at..=end]).ok()
}

fn read(mut file: &File, node_count: usize) -> Option<Locations> {
    let len = file.metadata().ok()?.len();
    let mut head = vec![0u8; META_BYTES.min(len as usize)];
    file.read_exact(&mut head).ok()?;
    let node_fields = field_list(&head, "node_fields")?.len();
    let fields = field_list(&head, "location_fields")?;
    let pos = |name: &str| fields.iter().position(|f| f == name);
    let (object, line, column) = (pos("object_index")?, pos("line")?, pos("column")?);
    if node_fields == 0 || fields.is_empty() {
        return None;
    }
    // Backwards, chunk by chunk (overlapping by the key's length), to the key.
    let mut end = len;
    let mut buf = vec![0u8; CHUNK + KEY.len()];
    let start = loop {
        if end == 0 {
            return None;
        }
        let from = end.saturating_sub(CHUNK as u64);
        let n = (end - from) as usize + KEY.len().min((len - end) as usize);
        file.seek(SeekFrom::Start(from)).ok()?;
        file.read_exact(&mut buf[..n]).ok()?;
        if let Some(i) = memchr::memmem::rfind(&buf[..n], KEY) {
            break from + (i + KEY.len()) as u64;
        }
        end = from;
    };
    file.seek(SeekFrom::Start(start)).ok()?;
    let mut reader = std::io::BufReader::with_capacity(1 << 16, file);
    let mut record = vec![0u64; fields.len()];
    let mut k = 0;
    let mut value: Option<u64> = None;
    let mut opened = false;
    let mut by_node = HashMap::new();
    let mut bytes = [0u8; 1 << 16];
    loop {
        let n = reader.read(&mut bytes).ok()?;
        if n == 0 {
            return None;
        }
        for &b in &bytes[..n] {
            match b {
                b'[' if !opened => opened = true,
                b'0'..=b'9' if opened => {
                    let v = value.unwrap_or(0);
                    value = Some(v.checked_mul(10)?.checked_add(u64::from(b - b'0'))?);
                }
                b',' | b']' | b' ' | b'\n' | b'\r' | b'\t' if opened => {
                    if let Some(v) = value.take() {
                        record[k] = v;
                        k += 1;
                        if k == fields.len() {
                            k = 0;
                            let node = record[object] / node_fields as u64;
                            if node < node_count as u64 && record[object] % node_fields as u64 == 0
                            {
                                let line = u32::try_from(record[line]).ok()?;
                                let col = u32::try_from(record[column]).ok()?;
                                by_node.insert(node as u32, (line, col));
                            }
                        }
                    }
                    if b == b']' {
                        return (k == 0).then_some(Locations { by_node });
                    }
                }
                b' ' | b'\n' | b'\r' | b'\t' => {}
                _ => return None,
            }
        }
    }
}

/// The target of `n`'s first edge named `name` (property or internal).
pub(crate) fn edge_to(s: &HeapSnapshot, n: usize, name: &str) -> Option<usize> {
    s.edges(n)
        .find(|&e| !s.edge_kind(e).is_indexed() && s.strings.get(s.edge_name(e)) == name)
        .map(|e| s.edge_target(e))
}

/// The script (file name or URL) closure `n` was defined in: its shared function info's script.
pub(crate) fn script_of(s: &HeapSnapshot, n: usize) -> Option<&str> {
    if s.kind(n) != NodeKind::Closure {
        return None;
    }
    let shared = edge_to(s, n, "shared")?;
    let script =
        edge_to(s, shared, "script_or_debug_info").or_else(|| edge_to(s, shared, "script"))?;
    let name = s.name(script);
    (!name.is_empty() && !name.starts_with("system / ")).then_some(name)
}

/// `file:line` of closure `n` (`file` alone without a location).
pub(crate) fn closure_site(s: &HeapSnapshot, loc: &LazyLocations, n: usize) -> Option<String> {
    let file = script_of(s, n)?;
    Some(match loc.get().of(n) {
        Some((line, _)) => format!("{file}:{line}"),
        None => file.to_string(),
    })
}

/// A closure whose context is `ctx` (a function defined in that scope), for each of `contexts`:
/// the one defined first in its file (lowest line), else the first in node order. One pass
/// over the closures' edges.
pub(crate) fn closures_of_contexts(
    s: &HeapSnapshot,
    loc: &LazyLocations,
    contexts: &[usize],
) -> HashMap<usize, usize> {
    let mut out: HashMap<usize, usize> = HashMap::new();
    if contexts.is_empty() {
        return out;
    }
    let wanted: std::collections::HashSet<usize> = contexts.iter().copied().collect();
    let loc = loc.get();
    let line = |f: usize| loc.of(f).map_or(u32::MAX, |(l, _)| l);
    for n in 0..s.node_count() {
        if s.kind(n) != NodeKind::Closure {
            continue;
        }
        for e in s.edges(n) {
            if s.edge_kind(e) != EdgeKind::Internal || s.strings.get(s.edge_name(e)) != "context" {
                continue;
            }
            let ctx = s.edge_target(e);
            if wanted.contains(&ctx) {
                let best = out.entry(ctx).or_insert(n);
                if line(n) < line(*best) {
                    *best = n;
                }
            }
        }
    }
    out
}
