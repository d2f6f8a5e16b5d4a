//! The `.heapsnapshot` document parser.
//!
//! Only the small `snapshot` object (the meta) goes through serde_json. `nodes` and `edges`
//! are scanned number by number straight into compact columns, `strings` decoded into one
//! buffer. Unknown top-level keys (`trace_function_infos`, `trace_tree`, `samples`,
//! `locations`, ...) are skipped. Fields are found by name in `meta.node_fields` and
//! `meta.edge_fields`, never by position.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use serde_json::Value;

use super::graph::{EdgeKind, HeapSnapshot, NodeKind, Packed, StringTable};
use super::progress::{Progress, Watched};
use super::reader::{describe, Reader, RecordSink, Res};
use crate::CoreError;

/// What to keep while parsing.
#[derive(Debug, Clone, Copy, Default)]
pub struct ParseOptions {
    /// Keep only node ids and types (enough for the baseline and target of a diff, and to
    /// tell whether two snapshots come from one process): edges are scanned and counted but
    /// not stored, strings read only for leakguard's process marks (see `provenance`).
    pub ids_only: bool,
}

/// Opens and parses a snapshot file. A missing or unreadable file is `CoreError::Io` naming
/// the path and the OS reason, a FIFO, socket or device `CoreError::NotFile`; a truncated or
/// corrupt one is `CoreError::Snapshot`.
pub fn read_file(path: &Path, options: ParseOptions) -> Result<HeapSnapshot, CoreError> {
    let file = open_snapshot(path)?;
    read_open_file(&file, path, options)
}

/// Parses a snapshot from a file [`open_snapshot`] opened (`path` names it in errors).
pub(crate) fn read_open_file(
    file: &File,
    path: &Path,
    options: ParseOptions,
) -> Result<HeapSnapshot, CoreError> {
    let len = file
        .metadata()
        .map_err(|e| CoreError::io(path, "fstat", &e))?
        .len();
    read_src(file, len, path, options)
}

/// [`read_open_file`], the reads counted in `progress` and stopped by its abort
/// (`CoreError::Aborted`).
pub(crate) fn read_open_file_watched(
    file: &File,
    path: &Path,
    options: ParseOptions,
    progress: &Progress,
) -> Result<HeapSnapshot, CoreError> {
    progress.check()?;
    let len = file
        .metadata()
        .map_err(|e| CoreError::io(path, "fstat", &e))?
        .len();
    progress.set_file_size(len);
    let src = Watched {
        src: file,
        progress,
    };
    let r = read_src(&src, len, path, options);
    progress.check()?;
    r
}

fn read_src<F: ReadAt + ?Sized>(
    src: &F,
    len: u64,
    path: &Path,
    options: ParseOptions,
) -> Result<HeapSnapshot, CoreError> {
    if len >= PARALLEL_MIN_SIZE {
        if let Some(s) = parse_parallel(src, len, options) {
            return Ok(s);
        }
    }
    // Small files, unusual layouts, and every error (reported by the sequential parser, with
    // its offsets) go this way.
    parse(ReadRange::new(src, 0, len), Some(len), options).map_err(|e| read_error(e, path))
}

/// A failed read names the file as a system error does.
fn read_error(e: CoreError, path: &Path) -> CoreError {
    match e {
        CoreError::Snapshot { reason, .. } if reason.starts_with(READ_FAILED) => {
            let raw = reason[READ_FAILED.len()..].trim();
            let raw = raw.rfind(" (os error ").map_or(raw, |i| &raw[..i]);
            CoreError::Io {
                path: path.display().to_string(),
                code: String::new(),
                errno: None,
                syscall: "read".into(),
                reason: raw.to_string(),
            }
        }
        e => e,
    }
}

/// How the reader words a failed `read`.
const READ_FAILED: &str = "read failed:";

/// Opens a snapshot for reading, refusing anything but a regular file without a race: the
/// open itself cannot block (`O_NONBLOCK`: a FIFO without a writer would wait forever, a
/// device might), and the *opened* file is checked (`fstat`), so a FIFO swapped in after a
/// check by name is still refused. A directory is `EISDIR`, as Node says it.
pub fn open_snapshot(path: &Path) -> Result<File, CoreError> {
    let file = open_nonblocking(path).map_err(|e| match e.raw_os_error() {
        // open(2) of a Unix domain socket
        #[cfg(unix)]
        Some(libc::ENXIO) | Some(libc::EOPNOTSUPP) => not_file(path, special_kind(path)),
        _ => CoreError::io(path, "open", &e),
    })?;
    let meta = file
        .metadata()
        .map_err(|e| CoreError::io(path, "fstat", &e))?;
    let ft = meta.file_type();
    if ft.is_dir() {
        return Err(CoreError::Io {
            path: path.display().to_string(),
            code: "EISDIR".into(),
            errno: Some(-21),
            syscall: "read".into(),
            reason: "illegal operation on a directory".into(),
        });
    }
    if !ft.is_file() {
        return Err(not_file(path, kind_of(&ft)));
    }
    clear_nonblocking(&file);
    Ok(file)
}

fn not_file(path: &Path, what: &str) -> CoreError {
    CoreError::NotFile {
        path: path.display().to_string(),
        what: what.to_string(),
    }
}

#[cfg(unix)]
fn kind_of(ft: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if ft.is_fifo() {
        "a FIFO"
    } else if ft.is_socket() {
        "a socket"
    } else if ft.is_char_device() || ft.is_block_device() {
        "a device"
    } else {
        "a special file"
    }
}

#[cfg(not(unix))]
fn kind_of(_ft: &std::fs::FileType) -> &'static str {
    "a special file"
}

/// What a path that could not be opened is, for the message only (the refusal does not depend
/// on it).
#[cfg(unix)]
fn special_kind(path: &Path) -> &'static str {
    match std::fs::metadata(path) {
        Ok(m) => kind_of(&m.file_type()),
        Err(_) => "a special file",
    }
}

#[cfg(unix)]
fn open_nonblocking(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
}

#[cfg(not(unix))]
fn open_nonblocking(path: &Path) -> std::io::Result<File> {
    File::open(path)
}

/// Reads of the regular file block as usual again (`O_NONBLOCK` was for the open).
#[cfg(unix)]
fn clear_nonblocking(file: &File) {
    use std::os::unix::io::AsRawFd;
    let fd = file.as_raw_fd();
    // SAFETY: fcntl on a descriptor this File owns; failure leaves the flag, which regular
    // files ignore anyway.
    unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFL);
        if flags >= 0 {
            libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK);
        }
    }
}

#[cfg(not(unix))]
fn clear_nonblocking(_file: &File) {}

/// Files from this size on are parsed on two threads.
const PARALLEL_MIN_SIZE: u64 = 1 << 20;

/// Positional reads (`pread`): threads read their own parts of one file.
pub(crate) trait ReadAt: Sync {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<usize>;

    /// A read of bytes that are read again later (the second thread's skim): not counted as
    /// progress.
    fn skim_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
        self.read_at(buf, offset)
    }
}

impl ReadAt for File {
    #[cfg(unix)]
    fn read_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
        std::os::unix::fs::FileExt::read_at(self, buf, offset)
    }

    #[cfg(windows)]
    fn read_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
        std::os::windows::fs::FileExt::seek_read(self, buf, offset)
    }

    #[cfg(not(any(unix, windows)))]
    fn read_at(&self, _buf: &mut [u8], _offset: u64) -> std::io::Result<usize> {
        Err(std::io::Error::from(std::io::ErrorKind::Unsupported))
    }
}

impl ReadAt for [u8] {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
        let start = (offset as usize).min(self.len());
        let n = buf.len().min(self.len() - start);
        buf[..n].copy_from_slice(&self[start..start + n]);
        Ok(n)
    }
}

/// The bytes `pos..end` of a `ReadAt` as a `Read`.
pub(crate) struct ReadRange<'a, F: ReadAt + ?Sized> {
    src: &'a F,
    pos: u64,
    end: u64,
    skim: bool,
}

impl<'a, F: ReadAt + ?Sized> ReadRange<'a, F> {
    pub(crate) fn new(src: &'a F, pos: u64, end: u64) -> Self {
        ReadRange {
            src,
            pos,
            end,
            skim: false,
        }
    }

    /// Reads with `ReadAt::skim_at`.
    fn skimming(src: &'a F, pos: u64, end: u64) -> Self {
        ReadRange {
            skim: true,
            ..ReadRange::new(src, pos, end)
        }
    }
}

impl<F: ReadAt + ?Sized> Read for ReadRange<'_, F> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min((self.end - self.pos) as usize);
        if n == 0 {
            return Ok(0);
        }
        let k = if self.skim {
            self.src.skim_at(&mut buf[..n], self.pos)?
        } else {
            self.src.read_at(&mut buf[..n], self.pos)?
        };
        self.pos += k as u64;
        Ok(k)
    }
}

/// The snapshot parsed on two threads, or `None` when anything is unusual (an error, the meta
/// after the arrays, `strings` before them, a key twice): the caller then parses sequentially,
/// which reports any error with its offset.
///
/// The work is split by bytes, so that both threads finish together: this thread reads the
/// meta, parses `nodes` and then the first part of `edges`. Meanwhile a second thread skims
/// past `nodes` and `edges` (numbers only: the first `]` ends each), picks where to split
/// `edges` (at a newline next to a comma, where V8 ends every record) and tells this thread,
/// then parses the rest of `edges`, reads `strings` and checks everything after it. The split is
/// right only if the first part ends with a whole record; both threads must also agree on
/// where the arrays are.
pub(crate) fn parse_parallel<F: ReadAt + ?Sized>(
    src: &F,
    len: u64,
    options: ParseOptions,
) -> Option<HeapSnapshot> {
    parse_parallel_at(src, len, options, None)
}

/// `parse_parallel` with the split of `edges` at a given fraction of its bytes (tests), or
/// where the estimated costs of both threads' parts balance.
pub(crate) fn parse_parallel_at<F: ReadAt + ?Sized>(
    src: &F,
    len: u64,
    options: ParseOptions,
    split_at: Option<f64>,
) -> Option<HeapSnapshot> {
    super::profile::start();
    let mut r = Reader::new(ReadRange::new(src, 0, len));
    let mut doc = Document::new(options, Some(len));
    r.expect(b'{').ok()?;
    loop {
        if r.peek_token("a key").ok()? != b'"' {
            return None;
        }
        let key_at = r.offset();
        let key = r.read_string().ok()?;
        r.expect(b':').ok()?;
        match key.as_str() {
            "snapshot" => doc.read_meta(&mut r, key_at).ok()?,
            "nodes" => break,
            "edges" | "strings" => return None,
            _ => r.skip_value(None).ok()?,
        }
        r.expect(b',').ok()?;
    }
    let meta = doc.meta.take()?;
    r.skip_ws().ok()?;
    let nodes_at = r.offset();
    drop(r);
    let node_cap = doc.capacity(meta.node_count, meta.nodes.fields);
    let edge_cap = doc.capacity(meta.edge_count, meta.edges.fields);
    let reader_at = |at: u64, end: u64| {
        let mut r = Reader::new(ReadRange::new(src, at, end));
        r.set_base(at);
        r
    };
    // After an array: the keys up to `edges` (true) or `strings` (false), skipping others.
    fn next_key<R: Read>(r: &mut Reader<R>) -> Option<bool> {
        loop {
            r.expect(b',').ok()?;
            if r.peek_token("a key").ok()? != b'"' {
                return None;
            }
            let key = r.read_string().ok()?;
            r.expect(b':').ok()?;
            match key.as_str() {
                "edges" => return Some(true),
                "strings" => return Some(false),
                "snapshot" | "nodes" => return None,
                _ => r.skip_value(None).ok()?,
            }
        }
    }
    let meta_ref = &meta;
    let (split_tx, split_rx) = std::sync::mpsc::channel::<(u64, u64)>();
    let outcome = std::thread::scope(|scope| {
        // No second thread (the OS refused one): the sequential parser does it all.
        let second = std::thread::Builder::new()
            .spawn_scoped(scope, move || {
                super::profile::start_thread();
                let mut r = Reader::new(ReadRange::skimming(src, nodes_at, len));
                r.set_base(nodes_at);
                r.skip_number_array().ok()?;
                let nodes_end = r.offset();
                if !next_key(&mut r)? {
                    return None;
                }
                r.skip_ws().ok()?;
                let edges_at = r.offset();
                r.skip_number_array().ok()?;
                let edges_end = r.offset();
                super::profile::mark("skim nodes and edges");
                let split = choose_split(
                    src,
                    (nodes_at, nodes_end),
                    (edges_at, edges_end),
                    len,
                    split_at,
                );
                split_tx.send((edges_at, split)).ok()?;
                // The second part of `edges`, or all of it.
                let whole = split == edges_at;
                let total = (edges_end - edges_at).max(1);
                let cap = (edge_cap as u64 * (edges_end - split) / total) as usize;
                let mut r = reader_at(split, len);
                let mut edges = Edges::with_capacity(options, cap + cap / 16);
                let mut sink = EdgeSink {
                    edges: &mut edges,
                    layout: meta_ref.edges,
                    ids_only: options.ids_only,
                };
                if !read_records(&mut r, meta_ref.edges.fields, whole, false, &mut sink).ok()?
                    || edges.k != 0
                    || r.offset() != edges_end
                {
                    return None;
                }
                super::profile::mark("parse edges, 2nd part");
                // `strings` and whatever follows it.
                if next_key(&mut r)? {
                    return None;
                }
                let mut strings = Document::new(options, Some(len));
                if options.ids_only {
                    strings.read_marks(&mut r).ok()?;
                } else {
                    strings.read_strings(&mut r).ok()?;
                }
                super::profile::mark("parse strings");
                loop {
                    match r.peek_token("',' or '}'").ok()? {
                        b',' => r.expect(b',').ok()?,
                        b'}' => {
                            r.expect(b'}').ok()?;
                            break;
                        }
                        _ => return None,
                    }
                    let key = r.read_string().ok()?;
                    r.expect(b':').ok()?;
                    if matches!(key.as_str(), "snapshot" | "nodes" | "edges" | "strings") {
                        return None;
                    }
                    r.skip_value(None).ok()?;
                }
                r.skip_ws().ok()?;
                if r.peek().ok()?.is_some() {
                    return None;
                }
                Some((edges, nodes_end, edges_at, strings.strings, strings.marks))
            })
            .ok()?;
        let mut r = reader_at(nodes_at, len);
        let nodes = read_node_array(&mut r, meta_ref, options, node_cap).ok();
        let nodes_end = r.offset();
        super::profile::mark("parse nodes");
        // The first part of `edges`: up to the split, which must end a record.
        let first = split_rx.recv().ok().and_then(|(edges_at, split)| {
            let mut edges = Edges::with_capacity(options, edge_cap);
            if split > edges_at {
                let mut r = reader_at(edges_at, split);
                let mut sink = EdgeSink {
                    edges: &mut edges,
                    layout: meta_ref.edges,
                    ids_only: options.ids_only,
                };
                let ended = read_records(&mut r, meta_ref.edges.fields, true, true, &mut sink);
                if ended.ok()? || edges.k != 0 {
                    return None;
                }
            }
            Some(edges)
        });
        super::profile::mark("parse edges, 1st part");
        let rest = second.join().ok().flatten();
        super::profile::mark("wait for the 2nd thread");
        let (second_part, skimmed_nodes_end, edges_at, strings, marks) = rest?;
        let mut edges = first?;
        edges.append(second_part);
        (skimmed_nodes_end == nodes_end).then_some((nodes?, edges, edges_at, strings, marks))
    });
    let (nodes, edges, edges_at, strings, marks) = outcome?;
    doc.meta = Some(meta);
    doc.nodes = Some(nodes);
    doc.nodes_at = nodes_at;
    doc.edges = Some(edges);
    doc.edges_at = edges_at;
    doc.strings = strings;
    doc.marks = marks;
    let s = doc.finish(len).ok();
    super::profile::mark("parse checks, CSR");
    s
}

/// Where to split `edges` (`edges_at..edges_end`, `[` to `]` included) between the two
/// threads: right after a comma next to a newline, at a fraction of its bytes chosen so that
/// both threads' parts cost about the same (`split_at` instead, in tests), or `edges_at` (no
/// split) when there is no such place.
fn choose_split<F: ReadAt + ?Sized>(
    src: &F,
    (nodes_at, nodes_end): (u64, u64),
    (edges_at, edges_end): (u64, u64),
    len: u64,
    split_at: Option<f64>,
) -> u64 {
    let edges = (edges_end - edges_at) as f64;
    let fraction = split_at.unwrap_or_else(|| {
        // Costs per byte, relative to a byte of `edges` (measured on V8 snapshots): a byte of
        // `nodes` costs more (more fields per record), a byte of what follows `edges`
        // (strings, locations) more again, and skimming costs little.
        let nodes = (nodes_end - nodes_at) as f64;
        let rest = (len - edges_end) as f64;
        let skim = 0.09 * (nodes + edges);
        // first: 1.2 nodes + x; second: skim + (edges - x) + 1.85 rest.
        let x = (skim + edges + 1.85 * rest - 1.2 * nodes) / 2.0;
        x / edges.max(1.0)
    });
    if fraction.is_nan() || fraction <= 0.0 {
        return edges_at;
    }
    let target = edges_at + (edges * fraction.min(1.0)) as u64;
    // Look for "\n," or ",\n" in the bytes from the target on.
    let mut buf = [0u8; 4096];
    let at = target.saturating_sub(1).max(edges_at + 1);
    let n = match src.read_at(&mut buf, at) {
        Ok(n) => n.min((edges_end.saturating_sub(1).saturating_sub(at)) as usize),
        Err(_) => return edges_at,
    };
    for i in 1..n {
        match (buf[i - 1], buf[i]) {
            (b'\n', b',') => return at + i as u64 + 1,
            (b',', b'\n') => return at + i as u64,
            _ => {}
        }
    }
    edges_at
}

/// Parses a snapshot from any reader. `size_hint` (the file size) bounds allocations made
/// from the counts the file claims, so a corrupt count cannot exhaust memory.
pub fn parse<R: Read>(
    input: R,
    size_hint: Option<u64>,
    options: ParseOptions,
) -> Result<HeapSnapshot, CoreError> {
    super::profile::start();
    let mut r = Reader::new(input);
    let mut doc = Document::new(options, size_hint);

    r.expect(b'{')?;
    let mut first = true;
    loop {
        let b = r.peek_token("a key or '}'")?;
        if b == b'}' && first {
            r.expect(b'}')?;
            break;
        }
        first = false;
        let key_at = r.offset();
        let key = r.read_string()?;
        r.expect(b':')?;
        match key.as_str() {
            "snapshot" => doc.read_meta(&mut r, key_at)?,
            "nodes" => {
                doc.read_nodes(&mut r)?;
                super::profile::mark("parse nodes");
            }
            "edges" => {
                doc.read_edges(&mut r)?;
                super::profile::mark("parse edges");
            }
            "strings" if !options.ids_only => {
                doc.read_strings(&mut r)?;
                super::profile::mark("parse strings");
            }
            "strings" => doc.read_marks(&mut r)?,
            _ => r.skip_value(None)?,
        }
        match r.peek_token("',' or '}'")? {
            b',' => r.expect(b',')?,
            b'}' => {
                r.expect(b'}')?;
                break;
            }
            other => {
                return Err(r.error(format!(
                    "expected ',' or '}}' after the value of \"{key}\", found {}",
                    describe(other)
                )))
            }
        }
    }
    r.skip_ws()?;
    if let Some(b) = r.peek()? {
        return Err(r.error(format!("unexpected {} after the document", describe(b))));
    }
    let s = doc.finish(r.offset());
    super::profile::mark("parse checks, CSR");
    s
}

/// Where each field we use sits in a node record.
#[derive(Debug, Clone, Copy)]
struct NodeLayout {
    fields: usize,
    ty: usize,
    name: usize,
    id: usize,
    size: usize,
    edges: usize,
    types: u64,
}

// Tests make every layout `wide` (on their own thread) to check it on small snapshots.
#[cfg(test)]
thread_local! {
    pub(crate) static FORCE_WIDE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

#[cfg(test)]
fn force_wide() -> bool {
    FORCE_WIDE.with(|f| f.get())
}

#[cfg(not(test))]
fn force_wide() -> bool {
    false
}

/// Where each field we use sits in an edge record.
#[derive(Debug, Clone, Copy)]
struct EdgeLayout {
    fields: usize,
    ty: usize,
    name: usize,
    to: usize,
    types: u64,
    /// Bits for a type index next to the target in `Edges::to_type`; 0 when the types are
    /// kept apart (`wide`).
    type_bits: u32,
    /// Too many nodes for a target and a type in 32 bits: targets get all 32 and the types a
    /// byte each in `Edges::types`.
    wide: bool,
    node_fields: u64,
    /// `ceil(2^64 / node_fields)`: divides a 32-bit `to_node` by a multiply (Lemire).
    node_fields_magic: u64,
    node_count: Option<u64>,
}

struct Meta {
    nodes: NodeLayout,
    edges: EdgeLayout,
    node_types: Vec<String>,
    edge_types: Vec<String>,
    node_count: Option<u64>,
    edge_count: Option<u64>,
}

impl Meta {
    fn from_json(v: &Value) -> Result<Meta, String> {
        let meta = v.get("meta").ok_or("the snapshot object has no \"meta\"")?;
        let names = |key: &str| -> Result<Vec<String>, String> {
            meta.get(key)
                .and_then(Value::as_array)
                .ok_or(format!("meta.{key} is missing or not an array"))?
                .iter()
                .map(|f| {
                    f.as_str()
                        .map(str::to_string)
                        .ok_or(format!("meta.{key} holds a non-string"))
                })
                .collect()
        };
        let node_fields = names("node_fields")?;
        let edge_fields = names("edge_fields")?;
        let type_names = |key: &str, fields: &[String]| -> Result<Vec<String>, String> {
            let at = fields
                .iter()
                .position(|f| f == "type")
                .ok_or(format!("meta.{key} has no \"type\" field"))?;
            let list = meta
                .get(key)
                .and_then(|t| t.get(at))
                .and_then(Value::as_array)
                .ok_or(format!("meta.{key}[{at}] (the type names) is missing"))?;
            let out: Vec<String> = list
                .iter()
                .map(|s| s.as_str().unwrap_or("").to_string())
                .collect();
            if out.len() > 256 {
                return Err(format!(
                    "meta.{key} lists {} types, at most 256 are supported",
                    out.len()
                ));
            }
            Ok(out)
        };
        let node_types = type_names("node_types", &node_fields)?;
        let edge_types = type_names("edge_types", &edge_fields)?;
        let find = |fields: &[String], key: &str, name: &str| -> Result<usize, String> {
            fields
                .iter()
                .position(|f| f == name)
                .ok_or(format!("meta.{key} has no \"{name}\""))
        };
        let node_count = v.get("node_count").and_then(Value::as_u64);
        let nodes = NodeLayout {
            fields: node_fields.len(),
            ty: find(&node_fields, "node_fields", "type")?,
            name: find(&node_fields, "node_fields", "name")?,
            id: find(&node_fields, "node_fields", "id")?,
            size: find(&node_fields, "node_fields", "self_size")?,
            edges: find(&node_fields, "node_fields", "edge_count")?,
            types: node_types.len() as u64,
        };
        let type_bits = 64 - (edge_types.len().max(1) as u64 - 1).leading_zeros();
        // Without snapshot.node_count, targets must fit next to a type (checked per edge).
        let wide = node_count.is_some_and(|c| c >= 1 << (32 - type_bits)) || force_wide();
        let type_bits = if wide { 0 } else { type_bits };
        let edges = EdgeLayout {
            fields: edge_fields.len(),
            ty: find(&edge_fields, "edge_fields", "type")?,
            name: find(&edge_fields, "edge_fields", "name_or_index")?,
            to: find(&edge_fields, "edge_fields", "to_node")?,
            types: edge_types.len() as u64,
            type_bits,
            wide,
            node_fields: node_fields.len() as u64,
            node_fields_magic: (u64::MAX / (node_fields.len() as u64).max(1)).wrapping_add(1),
            node_count,
        };
        Ok(Meta {
            nodes,
            edges,
            node_types,
            edge_types,
            node_count,
            edge_count: v.get("edge_count").and_then(Value::as_u64),
        })
    }
}

/// Node columns, filled one record (all fields of a node) at a time.
#[derive(Default)]
struct Nodes {
    rec: Vec<u64>,
    k: usize,
    /// Offset of the current record's first number, for errors.
    rec_at: u64,
    ntype: Vec<u8>,
    name: Vec<u32>,
    id: Vec<u32>,
    self_size: Vec<u32>,
    large_sizes: std::collections::HashMap<u32, u64>,
    edge_count: Vec<u32>,
    /// Sum of edge_count, to check against the edges.
    edge_total: u64,
    /// The largest name index, to check against the strings.
    max_name: u32,
}

impl Nodes {
    /// One number; a record is stored when its last field arrives.
    #[inline(always)]
    fn push(&mut self, l: &NodeLayout, ids_only: bool, v: u64, at: u64) -> Res<()> {
        if self.k == 0 {
            self.rec_at = at;
            if self.rec.len() != l.fields {
                self.rec.resize(l.fields, 0);
            }
        }
        self.rec[self.k] = v;
        self.k += 1;
        if self.k < l.fields {
            return Ok(());
        }
        self.k = 0;
        let rec = std::mem::take(&mut self.rec);
        let done = self.record(l, ids_only, &rec, self.rec_at);
        self.rec = rec;
        done
    }

    /// One whole record (`rec` holds its `l.fields` numbers), read at offset `at`.
    #[inline(always)]
    fn record(&mut self, l: &NodeLayout, ids_only: bool, rec: &[u64], at: u64) -> Res<()> {
        let err = |reason: String| CoreError::Snapshot { offset: at, reason };
        self.id.push(to_u32(rec[l.id], "node id").map_err(err)?);
        let ty = rec[l.ty];
        if ty >= l.types {
            return Err(err(format!(
                "node type {ty} is not one of the {} types in meta.node_types",
                l.types
            )));
        }
        self.ntype.push(ty as u8);
        if ids_only {
            return Ok(());
        }
        let name = to_u32(rec[l.name], "node name index").map_err(err)?;
        self.max_name = self.max_name.max(name);
        self.name.push(name);
        let size = rec[l.size];
        if size >= u64::from(u32::MAX) {
            self.large_sizes.insert(self.self_size.len() as u32, size);
            self.self_size.push(u32::MAX);
        } else {
            self.self_size.push(size as u32);
        }
        let edges = rec[l.edges];
        self.edge_count
            .push(to_u32(edges, "edge count").map_err(err)?);
        self.edge_total += edges;
        Ok(())
    }
}

#[derive(Default)]
struct Edges {
    rec: Vec<u64>,
    k: usize,
    rec_at: u64,
    count: u64,
    /// Target ordinal << `type_bits` | type index (see `HeapSnapshot::edge_to_type`).
    to_type: Vec<u32>,
    /// The type index of every edge when the layout is `wide`, else empty.
    types: Vec<u8>,
    name: Vec<u32>,
    /// The names of the second part of a split array (`append`), until packed.
    name_tail: Vec<u32>,
    /// `name` and `name_tail`, once packed.
    packed: Option<Packed>,
    /// The largest name per edge type, to check against the strings.
    max_name: Vec<u32>,
}

impl Edges {
    /// One number; a record is stored when its last field arrives.
    #[inline(always)]
    fn push(&mut self, l: &EdgeLayout, ids_only: bool, v: u64, at: u64) -> Res<()> {
        if self.k == 0 {
            self.rec_at = at;
            if self.rec.len() != l.fields {
                self.rec.resize(l.fields, 0);
            }
        }
        self.rec[self.k] = v;
        self.k += 1;
        if self.k < l.fields {
            return Ok(());
        }
        self.k = 0;
        let rec = std::mem::take(&mut self.rec);
        let done = self.record(l, ids_only, &rec, self.rec_at);
        self.rec = rec;
        done
    }

    /// One whole record (`rec` holds its `l.fields` numbers), read at offset `at`.
    #[inline(always)]
    fn record(&mut self, l: &EdgeLayout, ids_only: bool, rec: &[u64], at: u64) -> Res<()> {
        self.count += 1;
        if ids_only {
            return Ok(());
        }
        let err = |reason: String| CoreError::Snapshot { offset: at, reason };
        let ty = rec[l.ty];
        if ty >= l.types {
            return Err(err(format!(
                "edge type {ty} is not one of the {} types in meta.edge_types",
                l.types
            )));
        }
        let to = rec[l.to];
        // to / node_fields without a division instruction (tens of cycles, per edge).
        let (ordinal, rem) = if to <= u64::from(u32::MAX) && l.node_fields > 1 {
            let q = ((u128::from(l.node_fields_magic) * u128::from(to)) >> 64) as u64;
            (q, to - q * l.node_fields)
        } else {
            (to / l.node_fields, to % l.node_fields)
        };
        if rem != 0 {
            return Err(err(format!(
                "edge to_node {to} is not a multiple of the {} node fields",
                l.node_fields
            )));
        }
        if let Some(count) = l.node_count {
            if ordinal >= count {
                return Err(err(format!(
                    "edge to_node {to} points past the last of {count} nodes"
                )));
            }
        }
        let name = to_u32(rec[l.name], "edge name or index").map_err(err)?;
        if self.max_name.len() != l.types as usize {
            self.max_name.resize(l.types as usize, 0);
        }
        let max = &mut self.max_name[ty as usize];
        *max = (*max).max(name);
        self.name.push(name);
        if ordinal >= 1 << (32 - l.type_bits) {
            return Err(err(format!(
                "edge to_node {to}: more than {} nodes are not supported{}",
                1u64 << (32 - l.type_bits),
                if l.wide {
                    ""
                } else {
                    " without snapshot.node_count"
                }
            )));
        }
        if l.wide {
            self.types.push(ty as u8);
            self.to_type.push(ordinal as u32);
        } else {
            self.to_type
                .push(((ordinal as u32) << l.type_bits) | ty as u32);
        }
        Ok(())
    }
}

/// Reads the `nodes` array (at `r`) into columns, `cap` nodes reserved.
fn read_node_array<R: Read>(
    r: &mut Reader<R>,
    meta: &Meta,
    options: ParseOptions,
    cap: usize,
) -> Res<Nodes> {
    let mut nodes = Nodes::default();
    nodes.id.reserve_exact(cap);
    nodes.ntype.reserve_exact(cap);
    if !options.ids_only {
        nodes.name.reserve_exact(cap);
        nodes.self_size.reserve_exact(cap);
        // One more: the counts become CSR offsets with an end marker.
        nodes.edge_count.reserve_exact(cap + 1);
    }
    let mut sink = NodeSink {
        nodes: &mut nodes,
        layout: meta.nodes,
        ids_only: options.ids_only,
    };
    read_records(r, meta.nodes.fields, true, false, &mut sink)?;
    Ok(nodes)
}

/// `Reader::read_records` for a record of `fields` numbers (the common sizes compiled for
/// their size; any other goes number by number).
fn read_records<R: Read, S: RecordSink>(
    r: &mut Reader<R>,
    fields: usize,
    open: bool,
    part_end: bool,
    sink: &mut S,
) -> Res<bool> {
    match fields {
        3 => r.read_records::<3, S>(open, part_end, sink),
        4 => r.read_records::<4, S>(open, part_end, sink),
        5 => r.read_records::<5, S>(open, part_end, sink),
        6 => r.read_records::<6, S>(open, part_end, sink),
        7 => r.read_records::<7, S>(open, part_end, sink),
        8 => r.read_records::<8, S>(open, part_end, sink),
        _ => r.read_records::<0, S>(open, part_end, sink),
    }
}

struct NodeSink<'a> {
    nodes: &'a mut Nodes,
    layout: NodeLayout,
    ids_only: bool,
}

impl RecordSink for NodeSink<'_> {
    #[inline(always)]
    fn at_record_start(&self) -> bool {
        self.nodes.k == 0
    }

    #[inline(always)]
    fn record(&mut self, rec: &[u64], at: u64) -> Res<()> {
        self.nodes.record(&self.layout, self.ids_only, rec, at)
    }

    fn number(&mut self, v: u64, at: u64) -> Res<()> {
        self.nodes.push(&self.layout, self.ids_only, v, at)
    }
}

struct EdgeSink<'a> {
    edges: &'a mut Edges,
    layout: EdgeLayout,
    ids_only: bool,
}

impl RecordSink for EdgeSink<'_> {
    #[inline(always)]
    fn at_record_start(&self) -> bool {
        self.edges.k == 0
    }

    #[inline(always)]
    fn record(&mut self, rec: &[u64], at: u64) -> Res<()> {
        self.edges.record(&self.layout, self.ids_only, rec, at)
    }

    fn number(&mut self, v: u64, at: u64) -> Res<()> {
        self.edges.push(&self.layout, self.ids_only, v, at)
    }
}

/// Reads the `edges` array (at `r`) into columns, `cap` edges reserved.
fn read_edge_array<R: Read>(
    r: &mut Reader<R>,
    meta: &Meta,
    options: ParseOptions,
    cap: usize,
) -> Res<Edges> {
    let mut edges = Edges::with_capacity(options, cap);
    let mut sink = EdgeSink {
        edges: &mut edges,
        layout: meta.edges,
        ids_only: options.ids_only,
    };
    read_records(r, meta.edges.fields, true, false, &mut sink)?;
    Ok(edges)
}

impl Edges {
    fn with_capacity(options: ParseOptions, cap: usize) -> Edges {
        let mut edges = Edges::default();
        if !options.ids_only {
            edges.to_type.reserve_exact(cap);
            edges.name.reserve_exact(cap);
        }
        edges
    }

    /// Appends the edges read after these (the second part of a split array).
    fn append(&mut self, other: Edges) {
        self.count += other.count;
        self.to_type.extend_from_slice(&other.to_type);
        drop(other.to_type);
        self.types.extend_from_slice(&other.types);
        // Names are packed from both parts as they are (no copy here).
        self.name_tail = other.name;
        if self.max_name.len() < other.max_name.len() {
            self.max_name.resize(other.max_name.len(), 0);
        }
        for (m, o) in self.max_name.iter_mut().zip(other.max_name) {
            *m = (*m).max(o);
        }
    }

    /// Packs the names (the u32 column is dropped).
    fn pack(&mut self) {
        if self.packed.is_none() {
            // Every name pushed went through `max_name`: their largest is known.
            let max = self.max_name.iter().copied().max().unwrap_or(0);
            self.packed = Some(Packed::from_two(&self.name, &self.name_tail, max));
            self.name = Vec::new();
            self.name_tail = Vec::new();
        }
    }
}

#[inline(always)]
fn to_u32(v: u64, what: &str) -> Result<u32, String> {
    match u32::try_from(v) {
        Ok(v) => Ok(v),
        Err(_) => Err(too_large(v, what)),
    }
}

#[cold]
fn too_large(v: u64, what: &str) -> String {
    format!("{what} {v} does not fit in 32 bits")
}

struct Document {
    options: ParseOptions,
    size_hint: Option<u64>,
    meta: Option<Meta>,
    nodes: Option<Nodes>,
    nodes_at: u64,
    /// `nodes` seen before the meta: kept raw, decoded once the meta is known.
    raw_nodes: Option<Vec<u64>>,
    edges: Option<Edges>,
    edges_at: u64,
    raw_edges: Option<Vec<u64>>,
    strings: Option<StringTable>,
    strings_at: u64,
    /// leakguard's process marks, found in the strings when they are not kept (`ids_only`).
    marks: Vec<String>,
}

impl Document {
    fn new(options: ParseOptions, size_hint: Option<u64>) -> Self {
        Document {
            options,
            size_hint,
            meta: None,
            nodes: None,
            nodes_at: 0,
            raw_nodes: None,
            edges: None,
            edges_at: 0,
            raw_edges: None,
            strings: None,
            strings_at: 0,
            marks: Vec::new(),
        }
    }

    /// A capacity to reserve for `count` items of `fields` numbers each, bounded by what the
    /// file can hold (every number takes at least two bytes).
    fn capacity(&self, count: Option<u64>, fields: usize) -> usize {
        let bound = self.size_hint.unwrap_or(1 << 20) / (2 * fields.max(1) as u64);
        count.unwrap_or(0).min(bound).min(usize::MAX as u64) as usize
    }

    fn read_meta<R: Read>(&mut self, r: &mut Reader<R>, key_at: u64) -> Res<()> {
        if self.meta.is_some() {
            return Err(CoreError::Snapshot {
                offset: key_at,
                reason: "\"snapshot\" appears twice".into(),
            });
        }
        let at = {
            r.skip_ws()?;
            r.offset()
        };
        let mut text = Vec::new();
        r.skip_value(Some(&mut text))?;
        let value: Value = serde_json::from_slice(&text).map_err(|e| CoreError::Snapshot {
            offset: at,
            reason: format!("the snapshot meta is not valid JSON: {e}"),
        })?;
        let meta =
            Meta::from_json(&value).map_err(|reason| CoreError::Snapshot { offset: at, reason })?;
        self.meta = Some(meta);
        // Decode arrays that came before the meta.
        let meta = self.meta.as_ref().ok_or_else(|| r.error("no meta"))?;
        let ids_only = self.options.ids_only;
        if let Some(raw) = self.raw_nodes.take() {
            let mut nodes = Nodes::default();
            for v in raw {
                nodes.push(&meta.nodes, ids_only, v, self.nodes_at)?;
            }
            self.nodes = Some(nodes);
        }
        if let Some(raw) = self.raw_edges.take() {
            let mut edges = Edges::default();
            for v in raw {
                edges.push(&meta.edges, ids_only, v, self.edges_at)?;
            }
            self.edges = Some(edges);
        }
        Ok(())
    }

    fn read_nodes<R: Read>(&mut self, r: &mut Reader<R>) -> Res<()> {
        r.skip_ws()?;
        self.nodes_at = r.offset();
        if self.nodes.is_some() || self.raw_nodes.is_some() {
            return Err(r.error("\"nodes\" appears twice"));
        }
        match &self.meta {
            Some(meta) => {
                let cap = self.capacity(meta.node_count, meta.nodes.fields);
                self.nodes = Some(read_node_array(r, meta, self.options, cap)?);
            }
            None => self.raw_nodes = Some(read_raw_array(r)?),
        }
        Ok(())
    }

    fn read_edges<R: Read>(&mut self, r: &mut Reader<R>) -> Res<()> {
        r.skip_ws()?;
        self.edges_at = r.offset();
        if self.edges.is_some() || self.raw_edges.is_some() {
            return Err(r.error("\"edges\" appears twice"));
        }
        match &self.meta {
            Some(meta) => {
                let cap = self.capacity(meta.edge_count, meta.edges.fields);
                self.edges = Some(read_edge_array(r, meta, self.options, cap)?);
            }
            None => self.raw_edges = Some(read_raw_array(r)?),
        }
        Ok(())
    }

    /// `strings` read for leakguard's process marks only (see `provenance`), the rest dropped
    /// string by string: `diff` needs no second read of the file for them.
    fn read_marks<R: Read>(&mut self, r: &mut Reader<R>) -> Res<()> {
        r.skip_ws()?;
        let mut text: Vec<u8> = Vec::new();
        r.expect(b'[')?;
        if r.peek_token("a string or ']'")? == b']' {
            return r.expect(b']');
        }
        loop {
            text.clear();
            r.read_string_into(&mut text)?;
            super::provenance::find_marks(&text, &mut self.marks);
            match r.peek_token("',' or ']'")? {
                b',' => r.expect(b',')?,
                b']' => return r.expect(b']'),
                other => {
                    return Err(r.error(format!(
                        "expected ',' or ']' in strings, found {}",
                        describe(other)
                    )))
                }
            }
        }
    }

    fn read_strings<R: Read>(&mut self, r: &mut Reader<R>) -> Res<()> {
        r.skip_ws()?;
        self.strings_at = r.offset();
        if self.strings.is_some() {
            return Err(r.error("\"strings\" appears twice"));
        }
        let mut data: Vec<u8> = Vec::new();
        let mut ends: Vec<u32> = Vec::new();
        r.expect(b'[')?;
        if r.peek_token("a string or ']'")? == b']' {
            r.expect(b']')?;
        } else {
            loop {
                r.read_string_into(&mut data)?;
                let end = u32::try_from(data.len())
                    .map_err(|_| r.error("strings longer than 4 GiB in all are not supported"))?;
                ends.push(end);
                match r.peek_token("',' or ']'")? {
                    b',' => r.expect(b',')?,
                    b']' => {
                        r.expect(b']')?;
                        break;
                    }
                    other => {
                        return Err(r.error(format!(
                            "expected ',' or ']' in strings, found {}",
                            describe(other)
                        )))
                    }
                }
            }
        }
        data.shrink_to_fit();
        ends.shrink_to_fit();
        // Each string was checked (or repaired) as UTF-8 when decoded.
        let data = String::from_utf8(data).map_err(|_| CoreError::Snapshot {
            offset: self.strings_at,
            reason: "strings are not valid UTF-8".into(),
        })?;
        self.strings = Some(StringTable { data, ends });
        Ok(())
    }

    fn finish(self, end: u64) -> Result<HeapSnapshot, CoreError> {
        let missing = |what: &str| CoreError::Snapshot {
            offset: end,
            reason: format!("the document has no \"{what}\""),
        };
        let meta = self.meta.ok_or_else(|| missing("snapshot"))?;
        let nodes = self.nodes.ok_or_else(|| missing("nodes"))?;
        let mut edges = self.edges.ok_or_else(|| missing("edges"))?;
        let at_nodes = |reason: String| CoreError::Snapshot {
            offset: self.nodes_at,
            reason,
        };
        let at_edges = |reason: String| CoreError::Snapshot {
            offset: self.edges_at,
            reason,
        };
        if nodes.k != 0 {
            return Err(at_nodes(format!(
                "nodes has a partial node: its length is not a multiple of the {} node fields",
                meta.nodes.fields
            )));
        }
        if edges.k != 0 {
            return Err(at_edges(format!(
                "edges has a partial edge: its length is not a multiple of the {} edge fields",
                meta.edges.fields
            )));
        }
        let node_count = nodes.id.len();
        if let Some(expected) = meta.node_count {
            if expected != node_count as u64 {
                return Err(at_nodes(format!(
                    "nodes holds {node_count} nodes but snapshot.node_count says {expected}"
                )));
            }
        }
        if let Some(expected) = meta.edge_count {
            if expected != edges.count {
                return Err(at_edges(format!(
                    "edges holds {} edges but snapshot.edge_count says {expected}",
                    edges.count
                )));
            }
        }
        if node_count == 0 {
            return Err(at_nodes(
                "the snapshot has no nodes (not even the root)".into(),
            ));
        }
        if u32::try_from(edges.count).is_err() || u32::try_from(node_count).is_err() {
            return Err(at_edges(
                "more than 2^32 nodes or edges are not supported".into(),
            ));
        }
        if self.options.ids_only {
            return Ok(HeapSnapshot {
                node_kind_of_type: meta
                    .node_types
                    .iter()
                    .map(|t| NodeKind::from_name(t))
                    .collect(),
                node_type_names: meta.node_types,
                node_type: nodes.ntype,
                node_id: nodes.id,
                process_marks: self.marks,
                ..HeapSnapshot::default()
            });
        }
        if nodes.edge_total != edges.count {
            return Err(at_nodes(format!(
                "the nodes' edge counts add up to {} but edges holds {}",
                nodes.edge_total, edges.count
            )));
        }
        let strings = self.strings.ok_or_else(|| missing("strings"))?;
        if nodes.max_name as usize >= strings.len() {
            let (i, &bad) = nodes
                .name
                .iter()
                .enumerate()
                .find(|(_, &s)| s as usize >= strings.len())
                .unwrap_or((0, &0));
            return Err(at_nodes(format!(
                "node {i} (id {}) names string {bad} but there are only {} strings",
                nodes.id[i],
                strings.len()
            )));
        }
        let edge_kind_of_type: Vec<EdgeKind> = meta
            .edge_types
            .iter()
            .map(|t| EdgeKind::from_name(t))
            .collect();
        edges.pack();
        let names = edges.packed.unwrap_or_default();
        let named_past_end =
            edges.max_name.iter().enumerate().any(|(t, &max)| {
                !edge_kind_of_type[t].is_indexed() && max as usize >= strings.len()
            });
        if named_past_end {
            for (i, &v) in edges.to_type.iter().enumerate() {
                let name = names.get(i);
                let t = match edges.types.get(i) {
                    Some(&t) => u32::from(t),
                    None => v & ((1 << meta.edges.type_bits) - 1),
                };
                if !edge_kind_of_type[t as usize].is_indexed() && name as usize >= strings.len() {
                    return Err(at_edges(format!(
                        "edge {i} names string {name} but there are only {} strings",
                        strings.len()
                    )));
                }
            }
        }
        // Targets were checked against snapshot.node_count while parsing, when it is given.
        let unchecked = if meta.node_count.is_none() {
            usize::MAX
        } else {
            0
        };
        if let Some((i, to)) = edges
            .to_type
            .iter()
            .take(unchecked)
            .map(|&v| v >> meta.edges.type_bits)
            .enumerate()
            .find(|&(_, to)| to as usize >= node_count)
        {
            return Err(at_edges(format!(
                "edge {i} points to node {to} but there are only {node_count} nodes"
            )));
        }
        // Edge counts become CSR offsets in place.
        let mut first_edge = nodes.edge_count;
        let mut acc = 0u32;
        for c in first_edge.iter_mut() {
            let count = *c;
            *c = acc;
            acc += count;
        }
        first_edge.reserve_exact(1);
        first_edge.push(acc);

        Ok(HeapSnapshot {
            node_kind_of_type: meta
                .node_types
                .iter()
                .map(|t| NodeKind::from_name(t))
                .collect(),
            edge_kind_of_type,
            node_type_names: meta.node_types,
            edge_type_names: meta.edge_types,
            node_type: nodes.ntype,
            node_name: nodes.name,
            node_id: nodes.id,
            self_size: nodes.self_size,
            large_sizes: nodes.large_sizes,
            first_edge,

            edge_name: names,
            edge_to_type: edges.to_type,
            edge_type_bits: meta.edges.type_bits,
            edge_type: edges.types,
            strings,
            process_marks: Vec::new(),
        })
    }
}

/// A numeric array kept as it is, for `nodes`/`edges` met before the `meta` that says how to read them.
fn read_raw_array<R: Read>(r: &mut Reader<R>) -> Res<Vec<u64>> {
    let mut raw = Vec::new();
    r.read_uint_array(|v, _| {
        raw.push(v);
        Ok(())
    })?;
    Ok(raw)
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{SnapshotBuilder, E};
    use super::*;

    fn sample() -> SnapshotBuilder {
        let mut b = SnapshotBuilder::new();
        let gc = b.node("synthetic", "(GC roots)", 0);
        let map = b.node("object", "Map", 32);
        let s = b.node("string", "h\u{e9}llo \u{1F600}", 24);
        let f = b.node("closure", "handler", 56);
        b.edge(0, E::Element(1), gc);
        b.edge(gc, E::Element(3), map);
        b.edge(map, E::Property("label"), s);
        b.edge(map, E::Internal("table"), f);
        b.edge(f, E::Context("sessionRegistry"), map);
        b.edge(f, E::Weak("weak"), s);
        b
    }

    fn err(text: &[u8]) -> (u64, String) {
        match parse(text, Some(text.len() as u64), ParseOptions::default()) {
            Err(CoreError::Snapshot { offset, reason }) => (offset, reason),
            other => panic!("expected a snapshot error, got {other:?}"),
        }
    }

    #[test]
    fn parses_nodes_edges_and_strings() {
        let s = sample().parse();
        assert_eq!(s.node_count(), 5);
        assert_eq!(s.edge_count(), 6);
        assert_eq!(s.id(2), 5);
        assert_eq!(s.name(2), "Map");
        assert_eq!(s.class_name(2), "Map");
        assert_eq!(s.name(3), "h\u{e9}llo \u{1F600}");
        assert_eq!(s.class_name(3), "(string)");
        assert_eq!(s.class_name(4), "(closure)");
        assert_eq!(s.class_name(1), "(synthetic)");
        assert_eq!(s.self_size(4), 56);
        let labels: Vec<String> = s.edges(2).map(|e| s.edge_label(e)).collect();
        assert_eq!(labels, vec!["label", "table"]);
        assert_eq!(s.edge_label(s.edges(1).start), "[3]");
        let ctx = s.edges(4).start;
        assert_eq!(s.edge_kind(ctx), EdgeKind::Context);
        assert_eq!(s.edge_label(ctx), "sessionRegistry");
        assert_eq!(s.edge_target(ctx), 2);
        // Every edge knows its owner.
        let owners: Vec<usize> = (0..s.edge_count()).map(|e| s.edge_owner(e)).collect();
        assert_eq!(owners, vec![0, 1, 2, 2, 4, 4]);
    }

    #[test]
    fn ids_only_keeps_ids() {
        let json = sample().json();
        let s = parse(json.as_bytes(), None, ParseOptions { ids_only: true }).unwrap();
        assert_eq!(s.node_id, vec![1, 3, 5, 7, 9]);
        let full = parse(json.as_bytes(), None, ParseOptions::default()).unwrap();
        let kinds = |s: &HeapSnapshot| (0..s.node_count()).map(|n| s.kind(n)).collect::<Vec<_>>();
        assert_eq!(kinds(&s), kinds(&full));
    }

    #[test]
    fn fields_are_found_by_name_and_meta_may_come_last() {
        // Node fields in another order, an extra field, unknown top-level keys before and
        // after, and the meta after the arrays.
        let text = r#"{
          "unknown": {"deep": [[[1, "x"]]], "s": "]}"},
          "nodes": [ 1, 9, 1, 0, 0, 0,   3, 3, 0, 0, 1, 100 ],
          "edges": [1, 1, 6],
          "strings": ["", "Thing"],
          "snapshot": {"meta": {
            "node_fields": ["id", "type", "edge_count", "extra", "name", "self_size"],
            "node_types": ["number", ["hidden", "array", "string", "object", "code", "closure", "regexp", "number", "native", "synthetic"], "number", "number", "string", "number"],
            "edge_fields": ["name_or_index", "type", "to_node"],
            "edge_types": ["string_or_number", ["context", "element", "property", "internal", "hidden", "shortcut", "weak"], "node"]
          }, "node_count": 2, "edge_count": 1},
          "trailing": null
        }"#;
        let s = parse(text.as_bytes(), None, ParseOptions::default()).unwrap();
        assert_eq!(s.node_count(), 2);
        assert_eq!(s.id(1), 3);
        assert_eq!(s.name(1), "Thing");
        assert_eq!(s.self_size(1), 100);
        assert_eq!(s.kind(0), NodeKind::Synthetic);
        assert_eq!(s.edge_target(0), 1);
        assert_eq!(s.edge_label(0), "[1]");
    }

    #[test]
    fn every_truncation_is_an_error_with_an_offset() {
        let json = sample().json();
        let bytes = json.as_bytes();
        for cut in 0..bytes.len() {
            let prefix = &bytes[..cut];
            // A cut inside trailing whitespace is still a whole document.
            if bytes[cut..].iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let (offset, reason) = err(prefix);
            assert!(
                offset <= cut as u64,
                "cut {cut}: offset {offset} ({reason})"
            );
        }
    }

    #[test]
    fn corrupt_documents_say_where_and_what() {
        let json = sample().json();
        let nodes_at = json.find("\"nodes\":").unwrap() as u64 + 8;
        let edges_at = json.find("\"edges\":").unwrap() as u64 + 8;

        // A target past the last node.
        let bad = json.replace("3,4,28,", "3,4,700,");
        assert_ne!(bad, json);
        let (_, reason) = err(bad.as_bytes());
        assert!(reason.contains("to_node 700"), "{reason}");

        // A target that is not a node boundary.
        let (_, reason) = err(json.replace("3,4,28,", "3,4,29,").as_bytes());
        assert!(reason.contains("not a multiple"), "{reason}");

        // Counts that disagree with the meta.
        let (offset, reason) = err(json
            .replace("\"node_count\":5", "\"node_count\":6")
            .as_bytes());
        assert_eq!(offset, nodes_at);
        assert!(reason.contains("snapshot.node_count says 6"), "{reason}");
        let (offset, reason) = err(json
            .replace("\"edge_count\":6", "\"edge_count\":7")
            .as_bytes());
        assert_eq!(offset, edges_at);
        assert!(reason.contains("edge_count says 7"), "{reason}");

        // A name past the string table.
        let bad = json
            .replace("[9,", "[9,99")
            .replacen("\"strings\":[\"\",", "\"strings\":[", 1);
        let (_, reason) = err(bad.as_bytes());
        assert!(reason.contains("string"), "{reason}");

        // A node type that does not exist.
        let (offset, reason) = err(json
            .replacen("\"nodes\":[9,", "\"nodes\":[42,", 1)
            .as_bytes());
        assert_eq!(offset, nodes_at + 1);
        assert!(reason.contains("node type 42"), "{reason}");

        // Garbage inside the numbers.
        let bad = json.replacen("\"edges\":[1,", "\"edges\":[1,x", 1);
        let (offset, reason) = err(bad.as_bytes());
        assert_eq!(offset, edges_at + 3);
        assert!(reason.contains("'x'"), "{reason}");

        // Not a snapshot at all.
        assert_eq!(err(b"").0, 0);
        assert_eq!(err(b"[1,2]").0, 0);
        let (_, reason) = err(b"{}");
        assert!(reason.contains("no \"snapshot\""), "{reason}");
        let (offset, _) = err(format!("{json} x").as_bytes());
        assert_eq!(offset, json.len() as u64 + 1);
    }

    fn assert_same(a: &HeapSnapshot, b: &HeapSnapshot) {
        assert_eq!(a.node_type, b.node_type);
        assert_eq!(a.node_name, b.node_name);
        assert_eq!(a.node_id, b.node_id);
        assert_eq!(a.self_size, b.self_size);
        assert_eq!(a.large_sizes, b.large_sizes);
        assert_eq!(a.first_edge, b.first_edge);
        assert_eq!(a.edge_to_type, b.edge_to_type);
        assert_eq!(a.edge_type_bits, b.edge_type_bits);
        assert_eq!(a.edge_type, b.edge_type);
        assert_eq!(a.edge_name, b.edge_name);
        assert_eq!(a.strings.data, b.strings.data);
        assert_eq!(a.strings.ends, b.strings.ends);
        assert_eq!(a.node_type_names, b.node_type_names);
        assert_eq!(a.edge_type_names, b.edge_type_names);
    }

    /// The two-thread parser gives the sequential parser's result, or declines (`None`) and
    /// leaves the document (and its error) to the sequential parser. It never accepts a
    /// document the sequential parser rejects.
    #[test]
    fn parallel_parse_matches_sequential_or_declines() {
        let json = sample().json();
        let mut b = sample();
        // Enough edges for splits at many places.
        for i in 0..40 {
            let n = b.node("object", &format!("N{i}"), i);
            b.edge(1 + (i as usize % 4), E::Property("p"), n);
        }
        let big = b.json();
        // V8 writes the newline before the comma that ends a record, the builder after it.
        let v8 = |text: &str| text.replace(",\n", "\n,");
        let check = |text: &[u8], options: ParseOptions| {
            let seq = parse(text, Some(text.len() as u64), options);
            for split in [
                None,
                Some(0.0),
                Some(0.01),
                Some(0.3),
                Some(0.5),
                Some(0.99),
            ] {
                match (
                    &seq,
                    parse_parallel_at(text, text.len() as u64, options, split),
                ) {
                    (Ok(a), Some(b)) => assert_same(a, &b),
                    (Err(e), Some(_)) => panic!("parallel accepted a document rejected with {e}"),
                    (_, None) => {}
                }
            }
        };
        for options in [ParseOptions::default(), ParseOptions { ids_only: true }] {
            for text in [&json, &v8(&json), &big, &v8(&big)] {
                for split in [None, Some(0.0), Some(0.2), Some(0.5), Some(0.8), Some(1.0)] {
                    let whole =
                        parse_parallel_at(text.as_bytes(), text.len() as u64, options, split);
                    assert!(
                        whole.is_some(),
                        "a V8-shaped document is parsed in parallel (split {split:?})"
                    );
                }
            }
            check(big.as_bytes(), options);
            check(v8(&big).as_bytes(), options);
            let v8_json = v8(&json);
            for cut in 0..v8_json.len() {
                check(&v8_json.as_bytes()[..cut], options);
            }
            check(json.as_bytes(), options);
            for cut in 0..json.len() {
                check(&json.as_bytes()[..cut], options);
            }
            for (from, to) in [
                ("3,4,28,", "3,4,700,"),
                ("3,4,28,", "3,4,29,"),
                ("\"node_count\":5", "\"node_count\":6"),
                ("\"edge_count\":6", "\"edge_count\":7"),
                ("\"nodes\":[9,", "\"nodes\":[42,"),
                ("\"edges\":[1,", "\"edges\":[1,x"),
                ("\"edges\":[1,", "\"edges\":[1,\"]\","),
                ("\"edges\":[1,", "\"edges\":[[1],"),
                ("\"nodes\":[9,", "\"nodes\":[9]]["),
                ("\"strings\":[", "\"nodes\":[],\"strings\":["),
                ("\"strings\":[", "\"x\":{\"edges\":[]},\"strings\":["),
                ("\"edges\":", "\"edges\" :"),
            ] {
                let bad = json.replacen(from, to, 1);
                assert_ne!(bad, json, "{from}");
                check(bad.as_bytes(), options);
            }
            let tail = format!("{}, \"nodes\": []}}", json.trim_end().trim_end_matches('}'));
            check(tail.as_bytes(), options);
            assert!(parse_parallel(tail.as_bytes(), tail.len() as u64, options).is_none());
        }
    }

    /// Snapshots of 2^29 nodes and more keep edge types apart from targets (`wide`): forced
    /// here on a small one, every edge and the dominator tree read the same.
    /// The builder's records in V8's own shape: "\n," between records (the fast scanner's).
    fn v8_shape(json: &str) -> String {
        json.replace(",\n", "\n,")
    }

    #[test]
    fn v8_shaped_arrays_read_the_same_and_fail_the_same() {
        let mut b = sample();
        for i in 0..400u64 {
            let size = match i % 9 {
                0 => u64::MAX,
                1 => u64::from(u32::MAX) + i,
                2 => 123_456_789_012 + i,
                _ => i * 37,
            };
            let n = if i == 200 {
                b.node_with_id("object", "marked", size, 777_777_771)
            } else {
                b.node("object", &format!("N{i}"), size)
            };
            b.edge(1 + (i as usize % 4), E::Property("p"), n);
            b.edge(n, E::Element(i as u32 * 1000), 1 + (i as usize % 3));
        }
        let json = b.json();
        let v8 = v8_shape(&json);
        assert!(v8.contains("\n,") && v8.len() == json.len());
        let a = parse(json.as_bytes(), None, ParseOptions::default()).unwrap();
        let b8 = parse(v8.as_bytes(), None, ParseOptions::default()).unwrap();
        assert_same(&a, &b8);
        let par = parse_parallel_at(
            v8.as_bytes(),
            v8.len() as u64,
            ParseOptions::default(),
            None,
        )
        .unwrap();
        assert_same(&a, &par);
        // A node id past 32 bits, deep in the array: the error names it at its record.
        let id_at = v8.find(",777777771,").unwrap() + 1;
        let record_at = v8[..id_at].rfind("\n,").unwrap() + 2;
        assert!(record_at > 2000, "deep enough for the fast path");
        for (id, reason, want) in [
            (
                "4294967296",
                "node id 4294967296 does not fit in 32 bits",
                record_at,
            ),
            (
                "18446744073709551616",
                "integer does not fit in 64 bits",
                id_at,
            ),
        ] {
            let bad = v8.replacen(",777777771,", &format!(",{id},"), 1);
            let (offset, why) = err(bad.as_bytes());
            assert!(why.contains(reason), "{why}");
            assert_eq!(offset, want as u64, "{id}: {why}");
        }
    }

    #[test]
    fn wide_layout_reads_the_same() {
        let mut b = sample();
        for i in 0..40 {
            let n = b.node("object", &format!("N{i}"), i);
            b.edge(1 + (i as usize % 4), E::Weak("w"), n);
            b.edge(n, E::Element(i as u32), 1 + (i as usize % 3));
        }
        let json = b.json();
        let narrow = parse(json.as_bytes(), None, ParseOptions::default()).unwrap();
        FORCE_WIDE.with(|f| f.set(true));
        let wide = parse(json.as_bytes(), None, ParseOptions::default()).unwrap();
        let wide_parallel = parse_parallel_at(
            json.as_bytes(),
            json.len() as u64,
            ParseOptions::default(),
            Some(0.5),
        )
        .unwrap();
        FORCE_WIDE.with(|f| f.set(false));
        assert_same(&wide, &wide_parallel);
        assert_eq!(wide.edge_type_bits, 0);
        assert_eq!(wide.edge_type.len(), wide.edge_count());
        assert!(narrow.edge_type.is_empty());
        assert_eq!(narrow.edge_count(), wide.edge_count());
        for e in 0..narrow.edge_count() {
            assert_eq!(narrow.edge_target(e), wide.edge_target(e), "edge {e}");
            assert_eq!(narrow.edge_kind(e), wide.edge_kind(e), "edge {e}");
            assert_eq!(narrow.edge_label(e), wide.edge_label(e), "edge {e}");
        }
        let (a, b) = (
            super::super::Dominators::compute(&narrow),
            super::super::Dominators::compute(&wide),
        );
        assert_eq!(a.idom, b.idom);
        assert_eq!(a.retained, b.retained);
    }

    #[test]
    fn edges_split_after_a_comma_next_to_a_newline() {
        for (text, edges) in [
            ("{\"edges\":[1,2,3,\n4,5,6,\n7,8,9]}", (9u64, 30u64)),
            ("{\"edges\":[1,2,3\n,4,5,6\n,7,8,9]}", (9, 30)),
        ] {
            let bytes = text.as_bytes();
            for fraction in [0.01, 0.3, 0.5] {
                let split = choose_split(bytes, (0, 0), edges, bytes.len() as u64, Some(fraction));
                let at = split as usize;
                assert!(
                    split > edges.0 && split < edges.1,
                    "{text} {fraction}: {split}"
                );
                let (before, after) = (&text[..at], &text[at..]);
                assert!(
                    before.trim_end().ends_with(',')
                        && after.trim_start().starts_with(|c: char| c.is_ascii_digit()),
                    "{text} {fraction}: split at {at}: {before:?} | {after:?}"
                );
            }
            assert_eq!(
                choose_split(bytes, (0, 0), edges, bytes.len() as u64, Some(0.0)),
                edges.0
            );
        }
        // No newline at all: no split.
        let text = b"{\"edges\":[1,2,3,4,5,6,7,8,9]}";
        assert_eq!(choose_split(&text[..], (0, 0), (9, 29), 30, Some(0.5)), 9);
    }

    #[test]
    fn missing_file_names_path_and_reason() {
        let e = read_file(
            Path::new("/nonexistent/dir/x.heapsnapshot"),
            ParseOptions::default(),
        )
        .unwrap_err();
        let text = e.to_string();
        assert!(text.contains("/nonexistent/dir/x.heapsnapshot"), "{text}");
        assert!(text.contains("ENOENT"), "{text}");
        assert!(!text.contains("os error"), "{text}");
        assert_eq!(e.code(), "ENOENT");
        let e = read_file(Path::new("/"), ParseOptions::default()).unwrap_err();
        assert!(e.to_string().contains("EISDIR"), "{e}");
        assert_eq!(e.code(), "EISDIR");
    }

    /// A FIFO without a writer: a blocking open would never return. This test would hang (the
    /// harness's timeout) without `O_NONBLOCK`; it runs on a thread so that it fails instead.
    #[cfg(unix)]
    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let dir = std::env::temp_dir().join(format!("leakguard-fifo-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let fifo = dir.join("pipe.heapsnapshot");
        let _ = std::fs::remove_file(&fifo);
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let (tx, rx) = std::sync::mpsc::channel();
        let p = fifo.clone();
        std::thread::spawn(move || {
            let _ = tx.send(read_file(&p, ParseOptions::default()).map(|_| ()));
        });
        let got = rx.recv_timeout(std::time::Duration::from_secs(5));
        std::fs::remove_dir_all(&dir).unwrap();
        let e = got.expect("reading a FIFO blocked").unwrap_err();
        assert_eq!(e.code(), "ERR_LEAKGUARD_SNAPSHOT_NOT_FILE");
        assert!(
            e.to_string().contains("it is a FIFO, not a regular file"),
            "{e}"
        );
        let dev = read_file(Path::new("/dev/null"), ParseOptions::default()).unwrap_err();
        assert!(dev.to_string().contains("it is a device"), "{dev}");
    }
}
