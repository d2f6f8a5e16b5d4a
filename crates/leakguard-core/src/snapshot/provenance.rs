//! Do the snapshots of a diff come from one process, oldest first? A diff of unrelated
//! snapshots, or of snapshots given in the wrong order, looks like a plausible leak; these
//! checks turn it into a warning on the result.
//!
//! V8's heap profiler gives every JavaScript heap object an id when a snapshot first sees it
//! and keeps it for the object's life: the same object has the same id in every snapshot of a
//! process, and objects first seen later get larger ids (the embedder's `native` nodes get new,
//! unrelated ids in every snapshot, so they and the `synthetic` roots are left out here).
//!
//! - **One process**: of the ids an earlier and a later snapshot share, the share whose node
//!   type differs. Measured (Node 20.20, 2026-12-01; 6 pairs of one process, 48,838-181,605
//!   shared ids): 0 of them, every pair. Different processes reuse the same id range, and two
//!   runs of one program even start out alike, but not for long (the string table's order
//!   follows a per-process hash seed): 3.9% of shared ids differ in type between two runs of
//!   the same script, 54-63% between different programs (9 pairs). Warned above 1%.
//! - **Order**: of the ids in the later snapshot but not the earlier, the share larger than
//!   the earlier's largest. In order: 100.00% (6 pairs, 2,046-100,135 such ids; 97.9-100% for
//!   different processes); swapped: 0.00% (5 pairs, 52-131 such ids). Warned below 50%, when
//!   there are at least 20 such ids.
//!
//! The figures are repeated in docs/architecture.md ("Snapshots of one process, oldest first").
//!
//! Those are figures, not proof: two runs of one deterministic program, snapshotted early, can
//! agree on nearly every shared id (a CI run on Node 22 saw it: no warning). So a process that
//! writes its snapshots with leakguard holds a mark, one string made once per process
//! (`leakguard-process:<uuid>`, see lib/snapshot/write.js), and the snapshots say it in their
//! string table: two snapshots with marks are of one process exactly when a mark is in both.
//! Only snapshots without one (written by DevTools, `v8.writeHeapSnapshot`...) are judged by ids.

use super::graph::{HeapSnapshot, NodeKind};

/// How leakguard's process mark starts (lib/snapshot/write.js).
const MARK: &[u8] = b"leakguard-process:";
/// The uuid after it.
const MARK_ID_LEN: usize = 36;
/// At most this many marks are kept of one file (one per process that wrote it: a snapshot
/// of a process that read another's holds that one too, as a string).
const MAX_MARKS: usize = 16;

/// The process marks of a parsed snapshot, in the order of its strings: from its string table,
/// or, for one read with `ids_only` (no strings kept), those the parser found as it went. The
/// file is not read again.
pub fn snapshot_marks(s: &HeapSnapshot) -> Vec<String> {
    let mut marks = s.process_marks.clone();
    let data = s.strings.data.as_bytes();
    let ends = &s.strings.ends;
    let mut at = 0;
    for i in memchr::memmem::find_iter(data, MARK) {
        if i < at {
            continue;
        }
        // the string the mark is in: a mark never runs on into the next string
        let k = ends.partition_point(|&e| e as usize <= i);
        let end = ends.get(k).map_or(data.len(), |&e| e as usize);
        find_marks(&data[i..end], &mut marks);
        at = end;
    }
    marks
}

/// Adds the marks in one string's text to `marks` (new ones, at most `MAX_MARKS`).
pub(crate) fn find_marks(text: &[u8], marks: &mut Vec<String>) {
    if text.len() < MARK.len() + MARK_ID_LEN {
        return;
    }
    for i in memchr::memmem::find_iter(text, MARK) {
        let start = i + MARK.len();
        let Some(id) = text.get(start..start + MARK_ID_LEN) else {
            return;
        };
        if id.iter().all(|b| b.is_ascii_hexdigit() || *b == b'-') {
            let id = String::from_utf8_lossy(id).into_owned();
            if !marks.contains(&id) && marks.len() < MAX_MARKS {
                marks.push(id);
            }
        }
    }
}

/// What the marks of two snapshots say: `Some(true)` one process, `Some(false)` two, `None`
/// nothing (one of them has none).
pub fn same_process(a: &[String], b: &[String]) -> Option<bool> {
    if a.is_empty() || b.is_empty() {
        return None;
    }
    Some(a.iter().any(|m| b.contains(m)))
}

/// Above this share of shared ids with another type, two snapshots are not of one process.
const MAX_DISAGREE: f64 = 0.01;
/// Fewer shared ids than this say nothing about the type share.
const MIN_SHARED: u64 = 100;
/// Below this share of new ids above the earlier snapshot's largest, the order is wrong.
const MIN_ABOVE: f64 = 0.5;
/// Fewer new ids than this say nothing about the order.
const MIN_FRESH: u64 = 20;

/// A warning about the snapshots given to a diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffWarning {
    /// `LEAKGUARD_DIFF_PROCESSES` (not one process) or `LEAKGUARD_DIFF_ORDER` (not oldest
    /// first).
    pub code: String,
    pub message: String,
}

/// The JavaScript heap objects of one snapshot: (id, kind), sorted by id.
pub struct IdKinds {
    ids: Vec<(u32, NodeKind)>,
}

impl IdKinds {
    /// Of a snapshot, full or ids-only.
    pub fn of(s: &HeapSnapshot) -> IdKinds {
        let mut ids: Vec<(u32, NodeKind)> = (0..s.node_count())
            .map(|n| (s.id(n), s.kind(n)))
            .filter(|&(_, k)| !matches!(k, NodeKind::Native | NodeKind::Synthetic))
            .collect();
        ids.sort_unstable_by_key(|&(id, _)| id);
        IdKinds { ids }
    }

    fn max(&self) -> Option<u32> {
        self.ids.last().map(|&(id, _)| id)
    }
}

/// What two snapshots' ids say about each other.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PairStats {
    /// Ids in both.
    pub shared: u64,
    /// Ids in both, of another node type in each.
    pub disagree: u64,
    /// Ids in the later, not in the earlier.
    pub fresh: u64,
    /// Of those, larger than the earlier's largest.
    pub fresh_above: u64,
}

/// The statistics of `earlier` against `later` (one merge of two sorted lists).
pub fn compare(earlier: &IdKinds, later: &IdKinds) -> PairStats {
    let (a, b) = (&earlier.ids, &later.ids);
    let max = earlier.max();
    let mut st = PairStats::default();
    let (mut i, mut j) = (0, 0);
    while j < b.len() {
        let (id, kind) = b[j];
        while i < a.len() && a[i].0 < id {
            i += 1;
        }
        if i < a.len() && a[i].0 == id {
            st.shared += 1;
            if a[i].1 != kind {
                st.disagree += 1;
            }
        } else {
            st.fresh += 1;
            if max.is_none_or(|m| id > m) {
                st.fresh_above += 1;
            }
        }
        j += 1;
    }
    st
}

fn percent(part: u64, whole: u64) -> String {
    format!("{:.1}%", 100.0 * part as f64 / whole.max(1) as f64)
}

fn thousands(n: u64) -> String {
    super::paths::thousands(n as usize)
}

/// The warnings for `earlier` (named `earlier_name`) and `later`, which a diff takes in that
/// order.
///
/// `marked`: what the snapshots' process marks say ([`same_process`]); when they say anything,
/// it decides whether they are of one process.
pub fn warnings(
    earlier_name: &str,
    earlier: &IdKinds,
    later_name: &str,
    later: &IdKinds,
    marked: Option<bool>,
) -> Vec<DiffWarning> {
    let st = compare(earlier, later);
    let mut out = Vec::new();
    if marked == Some(false) {
        out.push(DiffWarning {
            code: "LEAKGUARD_DIFF_PROCESSES".into(),
            message: format!(
                "{earlier_name} and {later_name} look like snapshots of different processes: leakguard wrote them in two processes (each marks its snapshots). The diff compares unrelated objects; take every snapshot from one process."
            ),
        });
        return out;
    }
    let unrelated = if marked == Some(true) {
        false
    } else if st.shared >= MIN_SHARED {
        st.disagree as f64 > MAX_DISAGREE * st.shared as f64
    } else {
        // not even the global object and the builtins in common
        st.shared == 0
            && earlier.ids.len() as u64 >= MIN_SHARED
            && later.ids.len() as u64 >= MIN_SHARED
    };
    if unrelated {
        let why = if st.shared == 0 {
            "they have no object id in common".to_string()
        } else {
            format!(
                "of the {} objects with the same id in both, {} are of another type (in snapshots of one process none are: an id names one object for the life of the process)",
                thousands(st.shared),
                percent(st.disagree, st.shared)
            )
        };
        out.push(DiffWarning {
            code: "LEAKGUARD_DIFF_PROCESSES".into(),
            message: format!(
                "{earlier_name} and {later_name} look like snapshots of different processes: {why}. The diff compares unrelated objects; take every snapshot from one process."
            ),
        });
    } else if st.fresh >= MIN_FRESH && (st.fresh_above as f64) < MIN_ABOVE * st.fresh as f64 {
        out.push(DiffWarning {
            code: "LEAKGUARD_DIFF_ORDER".into(),
            message: format!(
                "{later_name} looks older than {earlier_name}: of the {} objects in it and not in {earlier_name}, only {} have ids above {earlier_name}'s newest (a process numbers new objects upwards: in order, all of them do). Give the snapshots oldest first: baseline, target, final.",
                thousands(st.fresh),
                percent(st.fresh_above, st.fresh)
            ),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(v: &[(u32, NodeKind)]) -> IdKinds {
        let mut ids = v.to_vec();
        ids.sort_unstable_by_key(|&(id, _)| id);
        IdKinds { ids }
    }

    fn heap(range: std::ops::Range<u32>, kind: impl Fn(u32) -> NodeKind) -> Vec<(u32, NodeKind)> {
        range.map(|i| (2 * i + 1, kind(i))).collect()
    }

    #[test]
    fn one_process_in_order_is_quiet() {
        let obj = |_| NodeKind::Object;
        let a = ids(&heap(0..500, obj));
        let b = ids(&heap(100..900, obj)); // some died, new ones above
        let st = compare(&a, &b);
        assert_eq!(
            st,
            PairStats {
                shared: 400,
                disagree: 0,
                fresh: 400,
                fresh_above: 400
            }
        );
        assert!(warnings("a", &a, "b", &b, None).is_empty());
    }

    #[test]
    fn swapped_snapshots_are_out_of_order() {
        let obj = |_| NodeKind::Object;
        let early = ids(&heap(0..500, obj));
        let late = ids(&heap(100..900, obj));
        let w = warnings("b.heapsnapshot", &late, "a.heapsnapshot", &early, None);
        assert_eq!(w.len(), 1, "{w:?}");
        assert_eq!(w[0].code, "LEAKGUARD_DIFF_ORDER");
        assert!(w[0].message.starts_with("a.heapsnapshot looks older than b.heapsnapshot: of the 100 objects in it and not in b.heapsnapshot, only 0.0% "), "{}", w[0].message);
    }

    #[test]
    fn reused_ids_of_other_types_are_other_processes() {
        let kinds = [
            NodeKind::Object,
            NodeKind::String,
            NodeKind::Closure,
            NodeKind::Code,
        ];
        let a = ids(&heap(0..1000, |i| kinds[i as usize % 4]));
        // the same ids, 2% of them another type
        let b = ids(&heap(0..1200, |i| {
            kinds[(i as usize + usize::from(i % 50 == 0)) % 4]
        }));
        let w = warnings("a", &a, "b", &b, None);
        assert_eq!(w.len(), 1, "{w:?}");
        assert_eq!(w[0].code, "LEAKGUARD_DIFF_PROCESSES");
        assert!(
            w[0].message.contains(
                "of the 1,000 objects with the same id in both, 2.0% are of another type"
            ),
            "{}",
            w[0].message
        );
        // 1 in 200: within the threshold (one process: none)
        let c = ids(&heap(0..1200, |i| {
            kinds[(i as usize + usize::from(i % 200 == 0)) % 4]
        }));
        assert!(warnings("a", &a, "c", &c, None).is_empty());
        // nothing in common at all
        let d = ids(&heap(5000..6000, |_| NodeKind::Object));
        let w = warnings("a", &a, "d", &d, None);
        assert!(w[0].message.contains("no object id in common"), "{w:?}");
    }

    #[test]
    fn process_marks_decide_when_both_have_one() {
        let kinds = [NodeKind::Object, NodeKind::String];
        let a = ids(&heap(0..1000, |i| kinds[i as usize % 2]));
        let b = ids(&heap(0..1200, |i| kinds[i as usize % 2]));
        // ids agree, marks do not: two processes
        let w = warnings("a", &a, "b", &b, Some(false));
        assert_eq!(w.len(), 1, "{w:?}");
        assert_eq!(w[0].code, "LEAKGUARD_DIFF_PROCESSES");
        assert!(
            w[0].message
                .contains("leakguard wrote them in two processes"),
            "{}",
            w[0].message
        );
        // ids disagree, marks agree: one process (still checked for order)
        let c = ids(&heap(0..1200, |i| kinds[(i as usize + 1) % 2]));
        assert!(warnings("a", &a, "c", &c, Some(true)).is_empty());
        let late = ids(&heap(100..1200, |i| kinds[i as usize % 2]));
        assert_eq!(
            warnings("late", &late, "a", &a, Some(true))[0].code,
            "LEAKGUARD_DIFF_ORDER"
        );
        let m = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(same_process(&m(&["x", "y"]), &m(&["y"])), Some(true));
        assert_eq!(same_process(&m(&["x"]), &m(&["y"])), Some(false));
        assert_eq!(same_process(&m(&[]), &m(&["y"])), None);
    }

    #[test]
    fn process_marks_are_read_with_the_strings() {
        use super::super::parse::{parse, parse_parallel_at, ParseOptions};
        use super::super::test_support::{SnapshotBuilder, E};
        let id = "0123abcd-0000-4000-8000-00000000beef";
        let other = "ffffffff-1111-4111-8111-111111111111";
        let mut b = SnapshotBuilder::new();
        let texts = [
            "x".repeat(100),
            format!("leakguard-process:{id}"),
            format!("held by leakguard-process:{id}"),
            format!("\"a\nquoted leakguard-process:{other}\""),
            "leakguard-process:short".to_string(),
            format!("leakguard-process:{}", "0".repeat(35)),
        ];
        for (i, t) in texts.iter().enumerate() {
            let n = b.node("string", t, 16);
            b.edge(0, E::Element(i as u32), n);
        }
        let json = b.json();
        // the last string ends one byte short of an id: no mark runs on into the next string
        let mut unmarked = SnapshotBuilder::new();
        let a = unmarked.node(
            "string",
            "leakguard-process:0123abcd-0000-4000-8000-00000000bee",
            8,
        );
        let z = unmarked.node("string", "f", 8);
        unmarked.edge(0, E::Element(0), a);
        unmarked.edge(0, E::Element(1), z);
        let unmarked = unmarked.json();
        let want = vec![id.to_string(), other.to_string()];
        for options in [ParseOptions::default(), ParseOptions { ids_only: true }] {
            let s = parse(json.as_bytes(), None, options).unwrap();
            assert_eq!(snapshot_marks(&s), want, "{options:?}");
            for split in [None, Some(0.5)] {
                let s = parse_parallel_at(json.as_bytes(), json.len() as u64, options, split)
                    .expect("the two-thread parse takes this layout");
                assert_eq!(snapshot_marks(&s), want, "{options:?} {split:?}");
            }
            let s = parse(unmarked.as_bytes(), None, options).unwrap();
            assert!(snapshot_marks(&s).is_empty(), "{options:?}");
        }
    }

    #[test]
    fn few_ids_say_nothing() {
        let a = ids(&heap(10..30, |_| NodeKind::Object));
        let b = ids(&heap(0..15, |_| NodeKind::String));
        assert!(warnings("a", &a, "b", &b, None).is_empty());
    }
}
