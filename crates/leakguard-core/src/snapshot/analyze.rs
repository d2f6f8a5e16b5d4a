//! What users ask of a snapshot: a summary by class (`analyze`), the objects a program leaked
//! between snapshots (`diff`, memlab's three-snapshot method) and who holds given objects
//! (`retainer_paths`).

use std::collections::HashMap;
use std::path::Path;

use super::cluster::PathSignatures;
use super::dominators::{refill, Dominators};
use super::graph::{HeapSnapshot, NodeKind};
use super::holder::{self, Holder};
use super::locations::{self as loc, LazyLocations};
use super::own::{self, OwnCode};
use super::parse::{
    open_snapshot, read_file, read_open_file, read_open_file_watched, ParseOptions,
};
use super::paths::{self, DistanceFilter, PathTree, RetainerStep, UNREACHABLE};
use super::progress::{Phase, Progress};
use super::provenance::{self, DiffWarning, IdKinds};
use crate::redact::Strings;
use crate::CoreError;

/// A snapshot with its dominator tree and distances: everything the questions below need.
pub struct Analysis {
    pub snapshot: HeapSnapshot,
    pub dominators: Dominators,
    paths: PathTree,
    /// Where closures were defined, read from the file when first needed.
    locations: LazyLocations,
    /// How text from the heap is shown in what this analysis returns. @default redacted
    pub strings: Strings,
    /// The tool's own code, whose allocations a diff leaves out (see `own`). @default none
    pub own: Option<OwnCode>,
}

impl Analysis {
    pub fn new(snapshot: HeapSnapshot) -> Analysis {
        let dominators = Dominators::compute(&snapshot);
        Analysis::with_dominators(snapshot, dominators)
    }

    fn with_dominators(snapshot: HeapSnapshot, dominators: Dominators) -> Analysis {
        let paths = PathTree::new(&snapshot, &DistanceFilter::new(&snapshot));
        super::profile::mark("distances (BFS)");
        Analysis::with_paths(snapshot, dominators, paths)
    }

    fn with_paths(snapshot: HeapSnapshot, dominators: Dominators, paths: PathTree) -> Analysis {
        Analysis {
            snapshot,
            dominators,
            paths,
            locations: LazyLocations::none(),
            strings: Strings::default(),
            own: None,
        }
    }

    /// Reads and analyses a file.
    pub fn from_file(path: &Path) -> Result<Analysis, CoreError> {
        let file = open_snapshot(path)?;
        let mut a = Analysis::new(read_open_file(&file, path, ParseOptions::default())?);
        a.locations = LazyLocations::new(file, a.snapshot.node_count());
        Ok(a)
    }

    /// Distance of node `n` from the root (`paths::UNREACHABLE` when none).
    pub fn distance(&self, n: usize) -> u32 {
        self.paths.dist(n)
    }

    /// The shortest retainer path of node `n` from the root, root side first.
    pub fn retainers(&self, n: usize) -> Option<Vec<RetainerStep>> {
        let edges = self.path_edges(n)?;
        Some(paths::steps(&self.snapshot, &edges, self.strings))
    }

    fn path_edges(&self, n: usize) -> Option<Vec<usize>> {
        self.paths.path_edges(&self.snapshot, n)
    }
}

/// One class of objects in a summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassSummary {
    /// The class as DevTools names it: a constructor name, `(string)`, `(closure)`, ...
    pub name: String,
    pub count: u64,
    /// Sum of the objects' own sizes.
    pub self_size: u64,
    /// What freeing every object of the class would free: the sum of the retained sizes of the
    /// objects not dominated by another object of the same class (DevTools' rule).
    pub retained_size: u64,
}

/// One large object in a summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LargeObject {
    pub id: u32,
    pub name: String,
    pub class_name: String,
    pub self_size: u64,
    pub retained_size: u64,
    /// The shortest retainer path as text (empty when unreachable).
    pub path: String,
    pub retainers: Vec<RetainerStep>,
}

/// The answer of `analyze`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeapSummary {
    pub node_count: u64,
    pub edge_count: u64,
    /// Sum of every node's self size (what DevTools shows as the root's retained size).
    pub total_size: u64,
    /// Every class, largest retained size first. As in DevTools, objects of size 0 (the
    /// synthetic root and GC root categories) are left out, native objects kept.
    pub classes: Vec<ClassSummary>,
    /// The `top` objects with the largest retained sizes (synthetic and `(system)` nodes left
    /// out), largest first.
    pub largest: Vec<LargeObject>,
}

/// Reads `path` and summarises it. `top` bounds `largest`.
///
/// Classes are summed before the distances are computed (they need only the dominator tree),
/// so their temporaries and the distances are never in memory together.
pub fn analyze(path: &Path, top: usize) -> Result<HeapSummary, CoreError> {
    analyze_with(path, top, Strings::default())
}

/// [`analyze`], heap text (object names, retainer paths) shown as `strings` says.
pub fn analyze_with(path: &Path, top: usize, strings: Strings) -> Result<HeapSummary, CoreError> {
    analyze_watched(path, top, strings, &Progress::new())
}

/// [`analyze_with`], its progress in `progress`, stopped (`CoreError::Aborted`) at the next read
/// of the file or the next phase once `progress.abort()` was called.
pub fn analyze_watched(
    path: &Path,
    top: usize,
    strings: Strings,
    progress: &Progress,
) -> Result<HeapSummary, CoreError> {
    let r = analyze_phases(path, top, strings, progress);
    progress.finish();
    r
}

fn analyze_phases(
    path: &Path,
    top: usize,
    strings: Strings,
    progress: &Progress,
) -> Result<HeapSummary, CoreError> {
    let file = open_snapshot(path)?;
    let snapshot = read_open_file_watched(&file, path, ParseOptions::default(), progress)?;
    drop(file);
    progress.enter(Phase::Dominators)?;
    // What needs only the graph and little memory is done on a second thread, idle until the
    // dominators' retainer index: the classes' counts and self sizes (a few bytes a class and
    // a string) and the strings the distances filter on.
    let graph_only = || {
        let counts = ClassCounts::new(&snapshot);
        super::profile::mark("class index, counts");
        (counts, DistanceFilter::new(&snapshot))
    };
    let (dominators, counts, filter) = std::thread::scope(|scope| {
        let second = std::thread::Builder::new().spawn_scoped(scope, || {
            super::profile::start_thread();
            graph_only()
        });
        let dominators = Dominators::compute_keeping(&snapshot, progress);
        let (counts, filter) = match second.map(|t| t.join()) {
            Ok(Ok(done)) => done,
            Ok(Err(panic)) => std::panic::resume_unwind(panic),
            // the OS refused a thread
            Err(_) => graph_only(),
        };
        (dominators, counts, filter)
    });
    let dominators = dominators?;
    progress.enter(Phase::Summary)?;
    // The distances need only the graph: a second thread finds them while this one sums the
    // classes. (Not beside the dominators: their peak is the analysis's, and the distances
    // would add 9 bytes a node to it. Beside the classes, which take the dominator tree apart
    // for their walk, the two add 13 bytes a node to the 12 of the dominators' result.)
    let (Dominators { idom, retained }, mut spare) = dominators;
    // The dominators' spare arrays: two for the distances, one for the classes' walk.
    let spare_bfs = std::sync::Mutex::new(Some([spare.pop(), spare.pop()]));
    let spare_tree = spare.pop();
    drop(spare);
    let distances = || {
        let spare = spare_bfs.lock().ok().and_then(|mut s| s.take());
        let paths = PathTree::reusing(&snapshot, &filter, spare.unwrap_or([None, None]));
        super::profile::mark("distances (BFS)");
        paths
    };
    let (classes, total_size, candidates, paths) = std::thread::scope(|scope| {
        let bfs = std::thread::Builder::new().spawn_scoped(scope, || {
            super::profile::start_thread();
            distances()
        });
        let (classes, total_size) =
            class_summary_from(&snapshot, counts, idom, &retained, spare_tree);
        // The largest objects need only the retained sizes: found while the distances (the
        // longer of the two, on every snapshot measured) are still being searched.
        let candidates = largest_candidates(&snapshot, &retained, top);
        super::profile::mark("largest objects");
        let paths = match bfs.map(|t| t.join()) {
            Ok(Ok(paths)) => paths,
            Ok(Err(panic)) => std::panic::resume_unwind(panic),
            // the OS refused a thread: the distances are found here, after the classes
            Err(_) => distances(),
        };
        (classes, total_size, candidates, paths)
    });
    progress.check()?;
    let largest = describe_largest(&snapshot, &retained, &paths, strings, candidates);
    super::profile::mark("their paths");
    Ok(HeapSummary {
        node_count: snapshot.node_count() as u64,
        edge_count: snapshot.edge_count() as u64,
        total_size,
        classes,
        largest,
    })
}

/// Dense class numbers by class key (`HeapSnapshot::class_key`: below 256 a node type, above
/// a string index), and the class names, numbered in node order.
struct ClassIndex {
    of_key: Vec<u32>,
    names: Vec<String>,
}

impl ClassIndex {
    fn new(s: &HeapSnapshot) -> ClassIndex {
        let mut of_key = vec![u32::MAX; 256 + s.strings.len()];
        let mut names = Vec::new();
        for n in 0..s.node_count() {
            let slot = &mut of_key[s.class_key(n) as usize];
            if *slot == u32::MAX {
                *slot = names.len() as u32;
                names.push(s.class_name(n).into_owned());
            }
        }
        ClassIndex { of_key, names }
    }

    #[inline]
    fn of(&self, s: &HeapSnapshot, n: usize) -> usize {
        self.of_key[s.class_key(n) as usize] as usize
    }

    /// The class of node `n` if the summary counts it: DevTools leaves nodes without a size
    /// out (the synthetic root and GC root categories), except native ones.
    #[inline]
    fn counted(&self, s: &HeapSnapshot, n: usize) -> Option<usize> {
        if s.self_size[n] == 0 && s.kind(n) != NodeKind::Native {
            None
        } else {
            Some(self.of(s, n))
        }
    }
}

/// Visits the dominator tree depth-first, calling `visit(node, true)` before a node's children
/// and `visit(node, false)` after them (iteratively: the tree can be millions deep).
pub(crate) fn walk_dominator_tree(d: &Dominators, mut visit: impl FnMut(usize, bool)) {
    let (first, children) = d.children();
    let mut stack: Vec<(u32, u32)> = vec![(0, first[0])];
    visit(0, true);
    while let Some(top) = stack.last_mut() {
        let node = top.0 as usize;
        if top.1 < first[node + 1] {
            let child = children[top.1 as usize];
            top.1 += 1;
            visit(child as usize, true);
            stack.push((child, first[child as usize]));
        } else {
            visit(node, false);
            stack.pop();
        }
    }
}

/// The summary of an analysed snapshot.
pub fn summarize(a: &Analysis, top: usize) -> HeapSummary {
    let d = &a.dominators;
    let (classes, total_size) = class_summary(&a.snapshot, d.idom.clone(), &d.retained);
    HeapSummary {
        node_count: a.snapshot.node_count() as u64,
        edge_count: a.snapshot.edge_count() as u64,
        total_size,
        classes,
        largest: largest(&a.snapshot, &d.retained, &a.paths, a.strings, top),
    }
}

/// Every class (largest retained size first) and the sum of all self sizes, from the
/// dominator tree (`idom`, taken apart for the walk) and the retained sizes.
fn class_summary(s: &HeapSnapshot, idom: Vec<u32>, d_retained: &[u64]) -> (Vec<ClassSummary>, u64) {
    class_summary_from(s, ClassCounts::new(s), idom, d_retained, None)
}

/// The classes' counts and self sizes: what the summary needs of the graph alone.
struct ClassCounts {
    index: ClassIndex,
    names: Vec<String>,
    count: Vec<u64>,
    self_size: Vec<u64>,
    total: u64,
}

impl ClassCounts {
    fn new(s: &HeapSnapshot) -> ClassCounts {
        let mut index = ClassIndex::new(s);
        let names = std::mem::take(&mut index.names);
        let mut count = vec![0u64; names.len()];
        let mut self_size = vec![0u64; names.len()];
        let mut total = 0u64;
        for i in 0..s.node_count() {
            let size = s.self_size(i);
            total = total.saturating_add(size);
            if let Some(c) = index.counted(s, i) {
                count[c] += 1;
                self_size[c] = self_size[c].saturating_add(size);
            }
        }
        ClassCounts {
            index,
            names,
            count,
            self_size,
            total,
        }
    }
}

/// [`class_summary`] with the counts made already.
fn class_summary_from(
    s: &HeapSnapshot,
    counts: ClassCounts,
    idom: Vec<u32>,
    d_retained: &[u64],
    spare: Option<Vec<u32>>,
) -> (Vec<ClassSummary>, u64) {
    let n = s.node_count();
    let ClassCounts {
        index,
        names,
        count,
        self_size,
        total,
    } = counts;
    let mut retained = vec![0u64; names.len()];
    // (A column of every node's class would make the walk below faster, but the distances are
    // found beside it and the two together would add to the analysis's peak.)
    let class = |i: usize| index.counted(s, i);
    // A node adds its retained size to its class unless an ancestor in the dominator tree
    // already did (DevTools' calculateClassesRetainedSize).
    // Depth-first over the dominator tree; each stack entry keeps the class its node made
    // active (u32::MAX: none), to clear on the way out.
    let mut active = vec![false; names.len()];
    let enter = |i: usize, active: &mut [bool], retained: &mut [u64]| -> u32 {
        match class(i) {
            Some(c) if !active[c] => {
                retained[c] = retained[c].saturating_add(d_retained[i]);
                active[c] = true;
                c as u32
            }
            _ => u32::MAX,
        }
    };
    // The tree as first child and next sibling, the siblings written over `idom` (each node's
    // entry is read just before it is overwritten): 4 bytes a node where a CSR takes 8 more.
    const NONE: u32 = u32::MAX;
    let mut first_child = refill(spare, n, NONE);
    let mut next = idom;
    for i in (1..n).rev() {
        let p = next[i] as usize;
        next[i] = std::mem::replace(&mut first_child[p], i as u32);
    }
    if let Some(root) = next.first_mut() {
        *root = NONE;
    }
    // (node, its next child to visit, the class it made active)
    let mut stack: Vec<(u32, u32, u32)> = Vec::new();
    if n > 0 {
        stack.push((0, first_child[0], enter(0, &mut active, &mut retained)));
    }
    while let Some(top) = stack.last_mut() {
        let child = top.1;
        if child != NONE {
            top.1 = next[child as usize];
            let activated = enter(child as usize, &mut active, &mut retained);
            stack.push((child, first_child[child as usize], activated));
        } else {
            if top.2 != u32::MAX {
                active[top.2 as usize] = false;
            }
            stack.pop();
        }
    }
    drop((first_child, next, stack, index));
    super::profile::mark("class retained sizes");
    let mut classes: Vec<ClassSummary> = names
        .into_iter()
        .enumerate()
        .filter(|&(c, _)| count[c] > 0)
        .map(|(c, name)| ClassSummary {
            name,
            count: count[c],
            self_size: self_size[c],
            retained_size: retained[c],
        })
        .collect();
    classes.sort_by(|x, y| {
        y.retained_size
            .cmp(&x.retained_size)
            .then(y.self_size.cmp(&x.self_size))
            .then(x.name.cmp(&y.name))
    });

    (classes, total)
}

/// The `top` objects with the largest retained sizes, largest first (synthetic and `(system)`
/// nodes left out; equal sizes by node order), with their retainer paths.
fn largest(
    s: &HeapSnapshot,
    retained: &[u64],
    paths: &PathTree,
    strings: Strings,
    top: usize,
) -> Vec<LargeObject> {
    let candidates = largest_candidates(s, retained, top);
    describe_largest(s, retained, paths, strings, candidates)
}

/// The nodes [`largest`] shows, in its order: they need only the retained sizes.
fn largest_candidates(s: &HeapSnapshot, retained: &[u64], top: usize) -> Vec<u32> {
    use std::cmp::Reverse;
    // A min-heap of the best `top` so far, by (retained size, earlier node first).
    let mut best: std::collections::BinaryHeap<Reverse<(u64, Reverse<u32>)>> =
        std::collections::BinaryHeap::new();
    if top > 0 {
        for (i, &size) in retained.iter().enumerate() {
            if matches!(s.kind(i), NodeKind::Synthetic | NodeKind::Hidden) {
                continue;
            }
            let key = (size, Reverse(i as u32));
            if best.len() < top {
                best.push(Reverse(key));
            } else if best.peek().is_some_and(|min| key > min.0) {
                best.pop();
                best.push(Reverse(key));
            }
        }
    }
    let mut candidates: Vec<u32> = best.into_iter().map(|Reverse((_, Reverse(i)))| i).collect();
    candidates.sort_by(|x, y| {
        retained[*y as usize]
            .cmp(&retained[*x as usize])
            .then(x.cmp(y))
    });
    candidates
}

/// [`largest`]'s objects for `candidates`, with their paths.
fn describe_largest(
    s: &HeapSnapshot,
    retained: &[u64],
    paths: &PathTree,
    strings: Strings,
    candidates: Vec<u32>,
) -> Vec<LargeObject> {
    candidates
        .into_iter()
        .map(|i| {
            let i = i as usize;
            let retainers = paths
                .path_edges(s, i)
                .map(|edges| paths::steps(s, &edges, strings))
                .unwrap_or_default();
            LargeObject {
                id: s.id(i),
                name: match strings {
                    Strings::Raw => strings.shortened(s.name(i), 200),
                    // a string held under a secret's name (`password`) is hidden whole, as on
                    // its path
                    Strings::Redacted
                        if s.kind(i).is_string()
                            && retainers
                                .last()
                                .is_some_and(|st| crate::redact::is_secret_name(&st.edge)) =>
                    {
                        crate::redact::REDACTED.to_string()
                    }
                    Strings::Redacted => strings.shortened(s.name(i), 60),
                },
                class_name: s.class_name(i).into_owned(),
                self_size: s.self_size(i),
                retained_size: retained[i],
                path: paths::path_text(&retainers),
                retainers,
            }
        })
        .collect()
}

/// How many new objects of one class a leak group holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassCount {
    pub name: String,
    pub count: u64,
    pub self_size: u64,
}

/// Objects that leaked between snapshots, grouped by retainer path (repeated steps collapsed,
/// so the objects of a chain are one group).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeakGroup {
    /// The class a developer wrote: the roots' class, or, when the roots are JavaScript's or
    /// V8's wrappers (Promise, closure, Array, ...), the most numerous program class inside.
    pub class_name: String,
    /// How many new objects of `class_name` the group holds (nested ones included: a linked
    /// list of 2,000 is 2,000).
    pub count: u64,
    /// Sum of the own sizes of those objects.
    pub self_size: u64,
    /// Sum of their retained sizes: what fixing this leak frees.
    pub retained_size: u64,
    /// Snapshot id of the group's largest object, in the final snapshot.
    pub example_id: u32,
    /// The example's shortest retainer path as a developer reads it: from the holder on (the
    /// module system and V8 plumbing before it collapsed to `…`), repeated steps counted.
    pub path: String,
    /// The raw path, every step from the root.
    pub retainers: Vec<RetainerStep>,
    /// Who holds the group's objects (see [`holder`]).
    pub holder: Option<Holder>,
    /// `file:line` where the example was defined, when it is a function.
    pub site: Option<String>,
    /// How many leak roots (new objects not held by another one, see [`diff`]) the group has.
    pub roots: u64,
    /// The class of the roots (the example's).
    pub root_class: String,
    /// The most numerous classes of new objects in the group, most first (at most five).
    pub classes: Vec<ClassCount>,
}

/// The answer of `diff`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeapDiff {
    /// Largest retained size first.
    pub groups: Vec<LeakGroup>,
    /// Objects allocated between baseline and target and still alive at the end (after the
    /// noise filter), including those held inside the groups' objects.
    pub new_objects: u64,
    /// What the snapshots' ids say against trusting the diff: snapshots of different
    /// processes, or not oldest first (see `provenance`). Empty when nothing.
    pub warnings: Vec<DiffWarning>,
}

/// Node kinds a program allocates and can leak. System internals (`hidden`, V8's internal
/// `array`s, `code`, `object shape`, `synthetic`) are left out: they follow the objects that
/// own them and show in those objects' retained sizes.
/// `native` nodes are left out too: V8 gives the embedder's nodes (`Node / Environment`, ...)
/// new ids in every snapshot, so they would all look new; a leaked native object shows through
/// the JavaScript object that owns it.
fn reportable(kind: NodeKind) -> bool {
    matches!(
        kind,
        NodeKind::Object
            | NodeKind::Closure
            | NodeKind::RegExp
            | NodeKind::Number
            | NodeKind::Symbol
            | NodeKind::BigInt
    ) || kind.is_string()
}

/// Held only by the running code (stack slots, handle scopes): in flight, not leaked.
fn transient_holder(s: &HeapSnapshot, holder: usize) -> bool {
    s.kind(holder) == NodeKind::Synthetic
        && matches!(s.name(holder), "(Stack roots)" | "(Handle scope)")
}

/// The ids of the snapshot at `path`, sorted, and its JavaScript objects' ids and kinds.
/// The sorted node ids of a snapshot, their kinds and its process marks.
fn sorted_ids(path: &Path) -> Result<(Vec<u32>, IdKinds, Vec<String>), CoreError> {
    let s = read_file(path, ParseOptions { ids_only: true })?;
    let kinds = IdKinds::of(&s);
    let marks = provenance::snapshot_marks(&s);
    let mut ids = s.node_id;
    ids.sort_unstable();
    Ok((ids, kinds, marks))
}

/// memlab's three-snapshot method. Objects (by snapshot node id) that are not in `baseline`,
/// are in `target`, and are still alive in `last` (`final`; `target` itself when absent) are
/// the new objects. Transient objects, gone by `final`, are not reported.
///
/// Noise is left out: nodes that are not [`reportable`] (system internals), nodes that are
/// unreachable from the root (held only weakly; the next GC frees them), nodes whose immediate
/// dominator is a `hidden` or `code` V8 internal (allocation-site boilerplates, feedback cells,
/// caches) or
/// `(Stack roots)` / `(Handle scope)` (in flight in the running code, not leaked), and
/// strings held directly by a GC root category (the internalized string table, the stack):
/// strings count only when a program's object retains them. Of the rest, only
/// leak roots are reported: new objects not dominated by another reported new object through
/// a chain of new objects (a leaked object's own properties, strings and closures are part of
/// its retained size, not separate leaks). Strings are reported only when they are such roots.
///
/// Leak roots are grouped by the signature of their shortest retainer path (edge types, edge
/// names with indices and the last edge's name blurred, node classes) with repeated runs of
/// steps collapsed (see `cluster`), so the objects of a linked list, a promise chain or a
/// growing array are one group; largest retained size first. Each group counts the new objects
/// inside it by class and is named by the class a program wrote. Time and memory are linear
/// in the snapshot: no path is built per object, only one per group.
pub fn diff(baseline: &Path, target: &Path, last: Option<&Path>) -> Result<HeapDiff, CoreError> {
    diff_with(baseline, target, last, Strings::default(), None)
}

/// [`diff`], heap text (retainer paths, holder names) shown as `strings` says, the
/// allocations of `own` code (leakguard's: see `own`) left out when given.
pub fn diff_with(
    baseline: &Path,
    target: &Path,
    last: Option<&Path>,
    strings: Strings,
    own: Option<OwnCode>,
) -> Result<HeapDiff, CoreError> {
    // Each file is read once: the process marks come with the parse (see `provenance`).
    let (base_ids, base_kinds, base_marks) = sorted_ids(baseline)?;
    let name = |p: &Path| p.display().to_string();
    let mut warnings;
    let (target_ids, mut analysis) = match last {
        Some(last) => {
            let (target_ids, target_kinds, target_marks) = sorted_ids(target)?;
            let marked = provenance::same_process(&base_marks, &target_marks);
            warnings = provenance::warnings(
                &name(baseline),
                &base_kinds,
                &name(target),
                &target_kinds,
                marked,
            );
            drop(base_kinds);
            let analysis = Analysis::from_file(last)?;
            let last_marks = provenance::snapshot_marks(&analysis.snapshot);
            let last_kinds = IdKinds::of(&analysis.snapshot);
            warnings.extend(provenance::warnings(
                &name(target),
                &target_kinds,
                &name(last),
                &last_kinds,
                provenance::same_process(&target_marks, &last_marks),
            ));
            (Some(target_ids), analysis)
        }
        None => {
            let analysis = Analysis::from_file(target)?;
            let target_kinds = IdKinds::of(&analysis.snapshot);
            let target_marks = provenance::snapshot_marks(&analysis.snapshot);
            let marked = provenance::same_process(&base_marks, &target_marks);
            warnings = provenance::warnings(
                &name(baseline),
                &base_kinds,
                &name(target),
                &target_kinds,
                marked,
            );
            (None, analysis)
        }
    };
    analysis.strings = strings;
    analysis.own = own;
    let mut d = diff_analysis(&base_ids, target_ids.as_deref(), &analysis);
    d.warnings = warnings;
    Ok(d)
}

/// [`diff`] over ids already read (sorted) and the analysed final snapshot.
pub fn diff_analysis(base_ids: &[u32], target_ids: Option<&[u32]>, a: &Analysis) -> HeapDiff {
    let s = &a.snapshot;
    let n = s.node_count();
    let idom = &a.dominators.idom;
    // New since the baseline and already there in the target, of any kind.
    let new_any: Vec<bool> = (0..n)
        .map(|i| {
            let id = s.id(i);
            i != 0
                && base_ids.binary_search(&id).is_err()
                && target_ids.is_none_or(|t| t.binary_search(&id).is_ok())
        })
        .collect();
    // The tool's own state and what only it holds, V8's scratch slots (see `own`).
    let own = a
        .own
        .as_ref()
        .map(|o| own::owned(s, &a.dominators, o, &|i| new_any[i]));
    let scratch = own::v8_scratch(s, &a.dominators, own.as_deref());
    let leaked: Vec<bool> = (0..n)
        .map(|i| {
            let kind = s.kind(i);
            let holder = s.kind(idom[i] as usize);
            new_any[i]
                && !own.as_ref().is_some_and(|o| o[i])
                && !scratch[i]
                && reportable(kind)
                && a.distance(i) != UNREACHABLE
                && !transient_holder(s, idom[i] as usize)
                // Held directly by V8 internals (allocation sites, feedback, caches, code).
                && !matches!(holder, NodeKind::Hidden | NodeKind::Code)
                // Strings only when a program object holds them (not the string table).
                && !(kind.is_string() && holder == NodeKind::Synthetic)
        })
        .collect();
    let new_objects = leaked.iter().filter(|&&x| x).count() as u64;
    drop((own, scratch));

    // chain[i]: i is a leaked object, or a new node held (dominated) by one through new nodes,
    // or by the running code.
    // root_of[i]: the leak root whose group i belongs to (u32::MAX: none).
    let mut chain = vec![false; n];
    let mut root_of = vec![u32::MAX; n];
    let mut roots: Vec<usize> = Vec::new();
    walk_dominator_tree(&a.dominators, |i, enter| {
        if !enter || i == 0 {
            return;
        }
        let parent_chain = chain[idom[i] as usize];
        if leaked[i] && !parent_chain {
            roots.push(i);
            root_of[i] = i as u32;
        } else if parent_chain && new_any[i] {
            root_of[i] = root_of[idom[i] as usize];
        }
        // New nodes held by the running code carry what they hold out of the report too.
        chain[i] =
            leaked[i] || (new_any[i] && (parent_chain || transient_holder(s, idom[i] as usize)));
    });
    drop(chain);

    // Group by the collapsed path signature (see `cluster`): the objects of a chain, each one
    // hop deeper than the last, share one.
    let mut sigs = PathSignatures::new(s, &a.paths);
    let mut by_key: HashMap<(u32, u64, u8), u32> = HashMap::new();
    let mut acc: Vec<GroupAcc> = Vec::new();
    let mut group_of = vec![u32::MAX; n];
    for &r in &roots {
        let key = sigs.root_key(r);
        let g = *by_key.entry(key).or_insert_with(|| {
            acc.push(GroupAcc::new(r));
            (acc.len() - 1) as u32
        });
        group_of[r] = g;
        let ga = &mut acc[g as usize];
        ga.roots += 1;
        ga.retained = ga.retained.saturating_add(a.dominators.retained[r]);
        if a.dominators.retained[r] > a.dominators.retained[ga.example] {
            ga.example = r;
        }
    }
    drop(sigs);
    // Every new object inside a group (its roots and what they hold), counted by class.
    let mut classes: HashMap<(u32, u64), (u64, u64)> = HashMap::new();
    for (i, &r) in root_of.iter().enumerate() {
        if r == u32::MAX || !reportable(s.kind(i)) {
            continue;
        }
        let g = group_of[r as usize];
        let c = classes.entry((g, s.class_key(i))).or_insert((0, 0));
        c.0 += 1;
        c.1 = c.1.saturating_add(s.self_size(i));
        if i != r as usize {
            let ga = &mut acc[g as usize];
            if ga.samples.len() < 64 {
                ga.samples.push(i as u32);
            }
        }
    }
    drop((root_of, group_of));
    let mut per_group: Vec<Vec<(u64, u64, u64)>> = vec![Vec::new(); acc.len()];
    for ((g, class), (count, size)) in classes {
        per_group[g as usize].push((class, count, size));
    }
    let name_of_class = |ga: &GroupAcc, class: u64| -> String {
        std::iter::once(ga.example)
            .chain(ga.samples.iter().map(|&i| i as usize))
            .find(|&i| s.class_key(i) == class)
            .map(|i| s.class_name(i).into_owned())
            .unwrap_or_default()
    };
    let mut groups: Vec<LeakGroup> = acc
        .iter()
        .zip(per_group)
        .map(|(ga, mut counts)| {
            counts.sort_by(|x, y| y.1.cmp(&x.1).then(y.2.cmp(&x.2)).then(x.0.cmp(&y.0)));
            let root_key = s.class_key(ga.example);
            let root_class = s.class_name(ga.example).into_owned();
            // The class a developer wrote: the roots' own unless they are V8's wrappers
            // (Promise, closure, Array, ...) around objects of a class of theirs.
            let headline = if is_builtin_class(&root_class) {
                counts
                    .iter()
                    .find(|c| c.0 >= 256 && !is_builtin_class(&name_of_class(ga, c.0)))
                    .map(|c| c.0)
                    .unwrap_or(root_key)
            } else {
                root_key
            };
            let (count, self_size) = counts
                .iter()
                .find(|c| c.0 == headline)
                .map(|c| (c.1, c.2))
                .unwrap_or((ga.roots, 0));
            let edges = a.path_edges(ga.example).unwrap_or_default();
            let retainers = paths::steps(s, &edges, a.strings);
            let held = holder::find(s, &edges, Some(&|n: usize| new_any[n]), &a.locations)
                .map(|h| shown_holder(h, a.strings));
            let path = match &held {
                Some(h) => paths::held_path_text(&retainers, h.step, h.module.as_deref()),
                None => paths::path_text(&retainers),
            };
            let site = (s.kind(ga.example) == NodeKind::Closure)
                .then(|| loc::closure_site(s, &a.locations, ga.example))
                .flatten();
            LeakGroup {
                class_name: if headline == root_key {
                    root_class.clone()
                } else {
                    name_of_class(ga, headline)
                },
                count,
                self_size,
                retained_size: ga.retained,
                example_id: s.id(ga.example),
                path,
                retainers,
                holder: held,
                site,
                roots: ga.roots,
                root_class,
                classes: counts
                    .iter()
                    .take(GROUP_CLASSES)
                    .map(|c| ClassCount {
                        name: name_of_class(ga, c.0),
                        count: c.1,
                        self_size: c.2,
                    })
                    .collect(),
            }
        })
        .collect();
    groups.sort_by(|x, y| {
        y.retained_size
            .cmp(&x.retained_size)
            .then(y.count.cmp(&x.count))
            .then(x.class_name.cmp(&y.class_name))
            .then(x.path.cmp(&y.path))
    });
    HeapDiff {
        groups,
        new_objects,
        warnings: Vec::new(),
    }
}

/// How many classes a group lists in `classes`.
const GROUP_CLASSES: usize = 5;

/// A group while its roots are gathered.
struct GroupAcc {
    roots: u64,
    retained: u64,
    /// The root with the largest retained size.
    example: usize,
    /// A few objects held inside the group's roots (to name their classes).
    samples: Vec<u32>,
}

impl GroupAcc {
    fn new(example: usize) -> GroupAcc {
        GroupAcc {
            roots: 0,
            retained: 0,
            example,
            samples: Vec::new(),
        }
    }
}

/// Classes that are JavaScript's, V8's or Node's plumbing rather than a program's own: a leak
/// of Promises holding `Message`s is named `Message`.
pub(crate) fn is_builtin_class(name: &str) -> bool {
    if name.starts_with('(') || name.starts_with("system / ") || name.is_empty() {
        return true;
    }
    let typed = name.ends_with("Array")
        && ["Int", "Uint", "Float", "BigInt", "BigUint"]
            .iter()
            .any(|p| name.starts_with(p));
    typed
        || name.ends_with(" Iterator")
        || matches!(
            name,
            "Object"
                | "Array"
                | "Promise"
                | "Map"
                | "Set"
                | "WeakMap"
                | "WeakSet"
                | "WeakRef"
                | "FinalizationRegistry"
                | "Function"
                | "Arguments"
                | "Error"
                | "TypeError"
                | "RangeError"
                | "SyntaxError"
                | "ReferenceError"
                | "AggregateError"
                | "Date"
                | "RegExp"
                | "ArrayBuffer"
                | "SharedArrayBuffer"
                | "DataView"
                | "FastBuffer"
                | "Buffer"
                | "Generator"
                | "AsyncGenerator"
                | "AsyncFunction"
                | "Proxy"
                | "Symbol"
                | "Number"
                | "String"
                | "Boolean"
                | "BigInt"
                | "Module"
        )
}

/// The answer of `retainer_paths` for one id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetainerPath {
    pub id: u32,
    /// The id is in the snapshot and reachable from the root.
    pub found: bool,
    /// The path as a developer reads it (see [`LeakGroup::path`]).
    pub path: String,
    /// The raw path, every step from the root.
    pub retainers: Vec<RetainerStep>,
    /// Who holds the object (see [`holder`]).
    pub holder: Option<Holder>,
}

/// The shortest retainer path of each of `ids` in the snapshot at `path`.
pub fn retainer_paths(path: &Path, ids: &[u32]) -> Result<Vec<RetainerPath>, CoreError> {
    retainer_paths_with(path, ids, Strings::default())
}

/// A holder's name is made of the program's names (variables, properties: a session token
/// used as a key is one): shown as `strings` says.
fn shown_holder(mut h: Holder, strings: Strings) -> Holder {
    if let std::borrow::Cow::Owned(name) = strings.text(&h.name) {
        h.name = name;
    }
    h
}

/// [`retainer_paths`], heap text shown as `strings` says.
pub fn retainer_paths_with(
    path: &Path,
    ids: &[u32],
    strings: Strings,
) -> Result<Vec<RetainerPath>, CoreError> {
    retainer_paths_watched(path, ids, strings, &Progress::new())
}

/// [`retainer_paths_with`], stopped (`CoreError::Aborted`) at the next read of the file (every
/// 256 KB), the next phase or the next id once `progress.abort()` was called (explain's time
/// limit: `check({ explain: true })` must never hold a test or a server for minutes).
pub fn retainer_paths_watched(
    path: &Path,
    ids: &[u32],
    strings: Strings,
    progress: &Progress,
) -> Result<Vec<RetainerPath>, CoreError> {
    let r = retainer_paths_phases(path, ids, strings, progress);
    progress.finish();
    r
}

fn retainer_paths_phases(
    path: &Path,
    ids: &[u32],
    strings: Strings,
    progress: &Progress,
) -> Result<Vec<RetainerPath>, CoreError> {
    let file = open_snapshot(path)?;
    let s = read_open_file_watched(&file, path, ParseOptions::default(), progress)?;
    progress.enter(Phase::Dominators)?; // the distances and the path tree
    let distances = DistanceFilter::new(&s);
    progress.check()?;
    let tree = PathTree::new(&s, &distances);
    progress.enter(Phase::Summary)?; // the paths
    let locations = LazyLocations::new(file, s.node_count());
    let mut wanted: HashMap<u32, Option<usize>> = ids.iter().map(|&id| (id, None)).collect();
    for i in 0..s.node_count() {
        if let Some(slot) = wanted.get_mut(&s.id(i)) {
            slot.get_or_insert(i);
        }
    }
    ids.iter()
        .map(|&id| {
            progress.check()?;
            let edges = wanted
                .get(&id)
                .copied()
                .flatten()
                .and_then(|n| tree.path_edges(&s, n));
            Ok(match edges {
                Some(edges) => {
                    let retainers = paths::steps(&s, &edges, strings);
                    let held = holder::find(&s, &edges, None, &locations)
                        .map(|h| shown_holder(h, strings));
                    RetainerPath {
                        id,
                        found: true,
                        path: match &held {
                            Some(h) => {
                                paths::held_path_text(&retainers, h.step, h.module.as_deref())
                            }
                            None => paths::path_text(&retainers),
                        },
                        retainers,
                        holder: held,
                    }
                }
                None => RetainerPath {
                    id,
                    found: false,
                    path: String::new(),
                    retainers: Vec::new(),
                    holder: None,
                },
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{SnapshotBuilder, E};
    use super::*;

    /// A process heap: root -> (GC roots) -> ctx -sessionRegistry-> Map -table-> table,
    /// with `leaked` LeakyThings (each holding a string) in the table, `kept` old objects and
    /// optionally `transient` new objects held by `ctx.pending`.
    struct Heap {
        b: SnapshotBuilder,
        table: usize,
        pending: usize,
        next_id: u64,
    }

    impl Heap {
        fn new() -> Heap {
            let mut b = SnapshotBuilder::new();
            let gc = b.node_with_id("synthetic", "(GC roots)", 0, 3);
            let ctx = b.node_with_id("object", "system / Context", 40, 5);
            let map = b.node_with_id("object", "Map", 32, 7);
            let table = b.node_with_id("array", "(object elements)", 64, 9);
            let pending = b.node_with_id("object", "Array", 16, 11);
            let old = b.node_with_id("object", "Config", 100, 13);
            b.edge(0, E::Element(1), gc);
            b.edge(gc, E::Element(1), ctx);
            b.edge(ctx, E::Context("sessionRegistry"), map);
            b.edge(ctx, E::Context("pending"), pending);
            b.edge(ctx, E::Context("config"), old);
            b.edge(map, E::Internal("table"), table);
            Heap {
                b,
                table,
                pending,
                next_id: 1001,
            }
        }

        fn leak(&mut self, i: u64) -> u64 {
            let id = 1001 + 2 * i;
            self.next_id = self.next_id.max(id + 2);
            let t = self.b.node_with_id("object", "LeakyThing", 24, id);
            let s = self
                .b
                .node_with_id("string", &format!("session {i}"), 32, 100_001 + 2 * i);
            self.b
                .edge(self.table, E::Internal(&format!("{}", i + 2)), t);
            self.b.edge(t, E::Property("name"), s);
            id
        }

        fn transient(&mut self, i: u64) {
            let t = self.b.node_with_id("object", "Temp", 16, 50_001 + 2 * i);
            self.b.edge(self.pending, E::Element(i as u32), t);
        }

        fn ids(&self) -> Vec<u32> {
            let s = self.b.parse();
            let mut v = s.node_id.clone();
            v.sort_unstable();
            v
        }
    }

    #[test]
    fn three_snapshot_diff_finds_what_stays_and_skips_transients() {
        let baseline = Heap::new();
        let mut target = Heap::new();
        let mut last = Heap::new();
        for i in 0..5 {
            target.leak(i);
            last.leak(i);
        }
        for i in 0..3 {
            target.transient(i);
        }
        // After the target: more leaks that must not count (not in the target) and the
        // transients are gone.
        for i in 5..7 {
            last.leak(i);
        }
        let a = Analysis::new(last.b.parse());
        let d = diff_analysis(&baseline.ids(), Some(&target.ids()), &a);
        assert_eq!(d.groups.len(), 1, "{:#?}", d.groups);
        let g = &d.groups[0];
        assert_eq!(g.class_name, "LeakyThing");
        assert_eq!(g.count, 5);
        assert_eq!(g.self_size, 5 * 24);
        assert_eq!(g.retained_size, 5 * (24 + 32));
        assert!(g.path.contains("sessionRegistry (Map)"), "{}", g.path);
        assert!(g.path.ends_with("table → LeakyThing"), "{}", g.path);
        assert_eq!(g.retainers.last().unwrap().id, g.example_id);
        // 5 things and their 5 strings.
        assert_eq!(d.new_objects, 10);

        // Without a final snapshot the target is the final one: the transients show too.
        let a = Analysis::new(target.b.parse());
        let d = diff_analysis(&baseline.ids(), None, &a);
        let classes: Vec<(&str, u64)> = d
            .groups
            .iter()
            .map(|g| (g.class_name.as_str(), g.count))
            .collect();
        assert_eq!(classes, vec![("LeakyThing", 5), ("Temp", 3)]);
        assert!(
            d.groups[1].path.contains("pending (Array)"),
            "{}",
            d.groups[1].path
        );
    }

    #[test]
    fn objects_kept_under_different_keys_form_one_group() {
        let baseline = Heap::new();
        let mut last = Heap::new();
        let cache = last.b.node_with_id("object", "Object", 56, 15);
        last.b.edge(1, E::Element(9), cache);
        for (i, key) in ["a81f", "b22c", "user-7"].iter().enumerate() {
            let t = last
                .b
                .node_with_id("object", "Session", 40, 7001 + 2 * i as u64);
            last.b.edge(cache, E::Property(key), t);
        }
        // The cache object was there at the baseline; the sessions are new.
        let mut base = baseline.ids();
        base.push(15);
        let a = Analysis::new(last.b.parse());
        let d = diff_analysis(&base, None, &a);
        assert_eq!(d.groups.len(), 1, "{:#?}", d.groups);
        assert_eq!(
            (d.groups[0].class_name.as_str(), d.groups[0].count),
            ("Session", 3)
        );
    }

    #[test]
    fn a_promise_reaction_chain_is_one_group_named_by_the_program_class() {
        // An old session promise whose reaction list (V8 internals, one hop deeper per
        // reaction) holds, per reaction, a closure whose context holds a Message.
        let baseline = Heap::new();
        let mut last = Heap::new();
        let promise = last.b.node_with_id("object", "Promise", 32, 15);
        last.b.edge(1, E::Element(9), promise);
        let mut prev = promise;
        for i in 0..50u64 {
            let id = 20_001 + 8 * i;
            let reaction = last
                .b
                .node_with_id("hidden", "system / PromiseReaction", 24, id);
            let f = last.b.node_with_id("closure", "", 32, id + 2);
            let ctx = last
                .b
                .node_with_id("object", "system / Context", 24, id + 4);
            let m = last.b.node_with_id("object", "Message", 40, id + 6);
            if i == 0 {
                last.b
                    .edge(prev, E::Internal("reactions_or_result"), reaction);
            } else {
                last.b.edge(prev, E::Hidden(0), reaction);
            }
            last.b.edge(reaction, E::Hidden(1), f);
            last.b.edge(f, E::Internal("context"), ctx);
            last.b.edge(ctx, E::Context("m"), m);
            prev = reaction;
        }
        let mut base = baseline.ids();
        base.push(15);
        base.sort_unstable();
        let a = Analysis::new(last.b.parse());
        let d = diff_analysis(&base, None, &a);
        assert!(d.groups.len() <= 2, "{:#?}", d.groups);
        let g = &d.groups[0];
        assert_eq!((g.class_name.as_str(), g.count), ("Message", 49));
        assert_eq!((g.root_class.as_str(), g.roots), ("system / Context", 49));
        assert!(g
            .classes
            .iter()
            .any(|c| c.name == "Message" && c.count == 49));
        let total: u64 = d.groups.iter().map(|g| g.count).sum();
        assert_eq!(total, 50);
    }

    #[test]
    fn a_linked_list_counts_every_link() {
        let baseline = Heap::new();
        let mut last = Heap::new();
        let mut prev = 1;
        for i in 0..30u64 {
            let m = last.b.node_with_id("object", "Message", 40, 30_001 + 2 * i);
            let e = if i == 0 {
                E::Element(9)
            } else {
                E::Property("next")
            };
            last.b.edge(prev, e, m);
            prev = m;
        }
        let a = Analysis::new(last.b.parse());
        let d = diff_analysis(&baseline.ids(), None, &a);
        assert_eq!(d.groups.len(), 1, "{:#?}", d.groups);
        let g = &d.groups[0];
        assert_eq!(
            (g.class_name.as_str(), g.count, g.roots),
            ("Message", 30, 1)
        );
        assert_eq!(g.self_size, 30 * 40);
    }

    #[test]
    fn nothing_new_is_nothing_reported() {
        let mut h = Heap::new();
        h.leak(0);
        let a = Analysis::new(h.b.parse());
        let d = diff_analysis(&h.ids(), None, &a);
        assert!(d.groups.is_empty());
        assert_eq!(d.new_objects, 0);
    }

    /// `analyze` (its phases on two threads, the largest objects chosen beside the distances)
    /// answers what `summarize` of the same snapshot does, for every `top`.
    #[test]
    fn analyze_of_a_file_equals_the_summary_of_its_analysis() {
        let mut h = Heap::new();
        for i in 0..6 {
            h.leak(i);
        }
        h.transient(100);
        let path = std::env::temp_dir().join(format!(
            "leakguard-analyze-equals-summary-{}.heapsnapshot",
            std::process::id()
        ));
        std::fs::write(&path, h.b.json()).unwrap();
        for top in [0, 1, 3, 20] {
            let from_file = analyze(&path, top).unwrap();
            let summary = summarize(&Analysis::new(h.b.parse()), top);
            assert_eq!(from_file, summary, "top {top}");
            assert_eq!(from_file.largest.len(), top.min(from_file.largest.len()));
        }
        assert!(!analyze(&path, 3).unwrap().largest[0].path.is_empty());
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn summary_counts_classes_and_nested_retained_sizes() {
        let mut h = Heap::new();
        for i in 0..4 {
            h.leak(i);
        }
        let s = h.b.parse();
        let total: u64 = (0..s.node_count()).map(|i| s.self_size(i)).sum();
        let sum = summarize(&Analysis::new(s), 3);
        assert_eq!(sum.node_count, 15);
        assert_eq!(sum.total_size, total);
        let thing = sum.classes.iter().find(|c| c.name == "LeakyThing").unwrap();
        assert_eq!(
            (thing.count, thing.self_size, thing.retained_size),
            (4, 96, 4 * 56)
        );
        let strings = sum.classes.iter().find(|c| c.name == "(string)").unwrap();
        assert_eq!((strings.count, strings.retained_size), (4, 128));
        assert!(sum.classes.iter().all(|c| c.name != "(synthetic)"));
        // Sorted by retained size: the context holds the Map, the Map everything leaked.
        assert_eq!(sum.classes[0].name, "system / Context");
        assert_eq!(
            sum.classes[0].retained_size,
            40 + 16 + 100 + 32 + 64 + 4 * 56
        );
        assert_eq!(sum.classes[1].name, "Map");
        assert_eq!(sum.classes[1].retained_size, 32 + 64 + 4 * 56);
        assert!(sum
            .classes
            .windows(2)
            .all(|w| w[0].retained_size >= w[1].retained_size));
        assert_eq!(sum.largest.len(), 3);
        assert_eq!(sum.largest[0].class_name, "system / Context");
        assert_eq!(sum.largest[1].class_name, "Map");
        assert_eq!(
            sum.largest[1].path,
            "(GC roots) → [1] (system / Context) → sessionRegistry (Map)"
        );
    }

    #[test]
    fn class_retained_size_does_not_double_count_nested_objects() {
        // A Node holding a Node holding a Node: the class retains the outer one's size once.
        let mut b = SnapshotBuilder::new();
        let n1 = b.node("object", "Node", 10);
        let n2 = b.node("object", "Node", 10);
        let n3 = b.node("object", "Node", 10);
        b.edge(0, E::Element(1), n1);
        b.edge(n1, E::Property("next"), n2);
        b.edge(n2, E::Property("next"), n3);
        let sum = summarize(&Analysis::new(b.parse()), 5);
        let node = sum.classes.iter().find(|c| c.name == "Node").unwrap();
        assert_eq!(
            (node.count, node.self_size, node.retained_size),
            (3, 30, 30)
        );
        assert_eq!(sum.largest[0].path, "Node");
        assert_eq!(sum.largest[2].path, "Node → next (Node) → next (Node)");
    }

    /// Secrets held by leaked objects: the diff's paths, the summary's names and retainer
    /// paths show them redacted by default, raw only when asked.
    #[test]
    fn secrets_on_paths_and_in_names_are_redacted_unless_raw() {
        const KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzq93Kd0aXkLl";
        let baseline = Heap::new();
        let mut last = Heap::new();
        let env = last.b.node_with_id("object", "Object", 40, 21);
        last.b.edge(1, E::Element(7), env);
        let line = format!("AWS_SECRET_ACCESS_KEY={KEY}");
        for i in 0..3u64 {
            let s = last.b.node_with_id("string", &line, 5000, 31 + 2 * i);
            last.b.edge(env, E::Property(&format!("line{i}")), s);
        }
        let v = last.b.node_with_id("string", "hunter2", 4000, 41);
        last.b.edge(env, E::Property("password"), v);
        let keyed = last.b.node_with_id("object", "Session", 3000, 43);
        last.b.edge(
            env,
            E::Property("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlMTIzNDU2"),
            keyed,
        );
        let show = |strings: Strings| {
            let mut a = Analysis::new(last.b.parse());
            a.strings = strings;
            let d = diff_analysis(&baseline.ids(), None, &a);
            let sum = summarize(&a, 20);
            format!("{:?}\n{:?}", d, sum)
        };
        let redacted = show(Strings::Redacted);
        assert!(!redacted.contains("wJal"), "{redacted}");
        assert!(!redacted.contains("hunter2"), "{redacted}");
        assert!(!redacted.contains("eyJhbGci"), "{redacted}");
        assert!(
            redacted.contains("AWS_SECRET_ACCESS_KEY=[redacted]"),
            "{redacted}"
        );
        assert!(
            redacted.contains("password"),
            "the property's name is kept: {redacted}"
        );
        let raw = show(Strings::Raw);
        assert!(raw.contains(&line[..40]), "{raw}");
        assert!(raw.contains("hunter2"), "{raw}");
        assert!(raw.contains("eyJhbGci"), "{raw}");
    }

    #[test]
    fn crafted_sizes_saturate_in_the_summary() {
        // two objects declaring u64::MAX bytes each: no overflow (a panic with overflow checks)
        let mut b = SnapshotBuilder::new();
        let x = b.node("object", "Huge", u64::MAX);
        let y = b.node("object", "Huge", u64::MAX);
        b.edge(0, E::Element(1), x);
        b.edge(0, E::Element(2), y);
        let sum = summarize(&Analysis::new(b.parse()), 5);
        assert_eq!(sum.total_size, u64::MAX);
        let huge = sum.classes.iter().find(|c| c.name == "Huge").unwrap();
        assert_eq!((huge.self_size, huge.retained_size), (u64::MAX, u64::MAX));
    }
}
