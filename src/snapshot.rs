//! Heap snapshot analysis: `analyze`, `diff`, `retainerPaths`, each a Promise (the work runs on
//! libuv's thread pool) with a blocking `...Sync` twin.
//!
//! Arguments are checked here so that the binding itself throws Node-style errors: a
//! `TypeError` (`ERR_INVALID_ARG_TYPE`) or `RangeError` (`ERR_OUT_OF_RANGE`) naming the
//! argument, thrown synchronously. A missing or corrupt file rejects with an `Error` naming the
//! path and OS reason, or the byte offset.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::Arc;

use leakguard_core::redact::Strings;
use leakguard_core::snapshot as core;
use leakguard_core::CoreError;
use napi::bindgen_prelude::*;
use napi::{Env, Task, ValueType};
use napi_derive::napi;

use crate::error::Failure;

/// One step of a retainer path from a GC root to an object. The first step is the root side.
#[napi(object, js_name = "RetainerStep")]
pub struct JsRetainerStep {
    /// The edge from the previous step into this node: a property or variable name, `[3]` for
    /// an element, an internal name such as `table` or `context`.
    pub edge: String,
    /// `property` | `context` | `element` | `internal` | `hidden` | `shortcut`.
    pub edge_type: String,
    /// The node as a person reads it: a constructor name (`Map`), `name()` for a function, a
    /// quoted string, `system / Context`, `(GC roots)`.
    pub node: String,
    /// The snapshot's node type: `object` | `closure` | `string` | `hidden` | `array` | ...
    pub node_type: String,
    /// The node's snapshot id (stable across snapshots of one process).
    pub id: u32,
}

impl From<core::RetainerStep> for JsRetainerStep {
    fn from(s: core::RetainerStep) -> Self {
        JsRetainerStep {
            edge: s.edge,
            edge_type: s.edge_type,
            node: s.node,
            node_type: s.node_type,
            id: s.id,
        }
    }
}

fn steps(v: Vec<core::RetainerStep>) -> Vec<JsRetainerStep> {
    v.into_iter().map(JsRetainerStep::from).collect()
}

/// Who holds an object, as a developer would say it: the nearest variable or object property
/// a program wrote on its retainer path (the module system and V8's plumbing skipped).
#[napi(object, js_name = "Holder")]
pub struct JsHolder {
    /// `session` (a variable), `cache.entries`, `createDebug.instances` (an object or function
    /// and its property), `module.exports.registry`.
    pub name: String,
    /// `variable` | `property`.
    pub kind: String,
    /// Index in `retainers` of the step whose edge is the holder.
    pub step: u32,
    /// `file:line` where the holder was written: a function of the variable's scope, the
    /// function owning the property, else the module's file.
    pub site: Option<String>,
    /// The function named by `site`, as `name()`.
    pub function: Option<String>,
    /// The file of the module (from the module cache) the path goes through, when it does.
    pub module: Option<String>,
}

impl From<core::Holder> for JsHolder {
    fn from(h: core::Holder) -> Self {
        JsHolder {
            name: h.name,
            kind: h.kind,
            step: h.step as u32,
            site: h.site,
            function: h.function,
            module: h.module,
        }
    }
}

/// One class of objects in a heap summary.
#[napi(object, js_name = "HeapClass")]
pub struct JsHeapClass {
    /// The class as DevTools names it: the constructor name for objects, `(string)`,
    /// `(closure)`, `(array)`, `(system)`, `(compiled code)`, ...
    pub name: String,
    /// Number of objects of the class.
    pub count: f64,
    /// Sum of their own sizes, in bytes.
    pub self_size: f64,
    /// Bytes freed if every object of the class went away (objects nested in another object of
    /// the same class are counted once).
    pub retained_size: f64,
}

/// One of the largest objects of a heap summary.
#[napi(object, js_name = "HeapObject")]
pub struct JsHeapObject {
    /// Snapshot node id.
    pub id: u32,
    /// The node's name (a constructor name, a function name, a string's text).
    pub name: String,
    /// Its class, as in `classes`.
    pub class_name: String,
    /// Own size in bytes.
    pub self_size: f64,
    /// Bytes this object keeps alive (itself and everything it dominates).
    pub retained_size: f64,
    /// Shortest retainer path as text: `(GC roots) → … → cache (Map) → table`.
    pub path: String,
    /// The same path, step by step from the root side.
    pub retainers: Vec<JsRetainerStep>,
}

/// The result of `analyze`.
#[napi(object, js_name = "HeapSummary")]
pub struct JsHeapSummary {
    /// Nodes (objects) in the snapshot.
    pub node_count: f64,
    /// Edges (references) in the snapshot.
    pub edge_count: f64,
    /// Sum of every object's own size, in bytes.
    pub total_size: f64,
    /// Every class, largest retained size first.
    pub classes: Vec<JsHeapClass>,
    /// The objects with the largest retained sizes (synthetic and `(system)` nodes left out),
    /// largest first.
    pub largest: Vec<JsHeapObject>,
}

impl From<core::HeapSummary> for JsHeapSummary {
    fn from(s: core::HeapSummary) -> Self {
        JsHeapSummary {
            node_count: s.node_count as f64,
            edge_count: s.edge_count as f64,
            total_size: s.total_size as f64,
            classes: s
                .classes
                .into_iter()
                .map(|c| JsHeapClass {
                    name: c.name,
                    count: c.count as f64,
                    self_size: c.self_size as f64,
                    retained_size: c.retained_size as f64,
                })
                .collect(),
            largest: s
                .largest
                .into_iter()
                .map(|o| JsHeapObject {
                    id: o.id,
                    name: o.name,
                    class_name: o.class_name,
                    self_size: o.self_size as f64,
                    retained_size: o.retained_size as f64,
                    path: o.path,
                    retainers: steps(o.retainers),
                })
                .collect(),
        }
    }
}

/// How many new objects of one class a leak group holds.
#[napi(object, js_name = "LeakGroupClass")]
pub struct JsLeakGroupClass {
    /// The class, as in `HeapClass.name`.
    pub name: String,
    /// New objects of the class in the group.
    pub count: f64,
    /// Sum of their own sizes, in bytes.
    pub self_size: f64,
}

/// A group of leaked objects: alike retainer paths (repeated steps collapsed, so a chain of
/// objects is one group).
#[napi(object, js_name = "LeakGroup")]
pub struct JsLeakGroup {
    /// The class of the leaked objects a program wrote: the roots' class, or the most numerous
    /// program class inside them when the roots are JavaScript's or V8's wrappers (Promise,
    /// closure, Array, ...).
    pub class_name: String,
    /// How many new objects of `className` the group holds (nested ones included: a linked
    /// list of 2,000 objects is 2,000).
    pub count: f64,
    /// Sum of their own sizes, in bytes.
    pub self_size: f64,
    /// Bytes freed by fixing this leak.
    pub retained_size: f64,
    /// Snapshot id of the group's largest object (in the final snapshot).
    pub example_id: u32,
    /// Its shortest retainer path as a developer reads it, from the holder on (the module
    /// system and V8's plumbing before it collapsed to `…`, repeated steps counted):
    /// `(GC roots) → … → sessionRegistry (Map) → table → LeakyThing`,
    /// `(GC roots) → … → head (Message) → next (Message) ×1,999`.
    pub path: String,
    /// The raw path, every step from the root side.
    pub retainers: Vec<JsRetainerStep>,
    /// Who holds the group's objects, when a program's variable or property is on the path.
    pub holder: Option<JsHolder>,
    /// `file:line` of the example when it is a function (a group of closures).
    pub site: Option<String>,
    /// How many leak roots (new objects not held by another new object) the group has: 1 for
    /// a linked list, whose `count` is its length.
    pub roots: f64,
    /// The class of the roots: `Promise` for a group of Promises holding `Message`s (whose
    /// `className` is `Message`).
    pub root_class: String,
    /// The most numerous classes of new objects in the group, most first (at most five).
    pub classes: Vec<JsLeakGroupClass>,
}

/// A reason not to trust a diff.
#[napi(object, js_name = "DiffWarning")]
pub struct JsDiffWarning {
    /// `LEAKGUARD_DIFF_PROCESSES` or `LEAKGUARD_DIFF_ORDER`.
    pub code: String,
    /// What was seen and what to do, naming the files.
    pub message: String,
}

/// The result of `diff`.
#[napi(object, js_name = "HeapDiff")]
pub struct JsHeapDiff {
    /// Leak groups, largest retained size first.
    pub groups: Vec<JsLeakGroup>,
    /// Objects allocated between baseline and target still alive in the final snapshot
    /// (system internals left out), including those held inside the groups' objects.
    pub new_objects: f64,
    /// Reasons not to trust this diff, from the snapshots' ids: `LEAKGUARD_DIFF_PROCESSES`
    /// (they are not all of one process) or `LEAKGUARD_DIFF_ORDER` (not given oldest first).
    /// Empty when there are none.
    pub warnings: Vec<JsDiffWarning>,
}

impl From<core::HeapDiff> for JsHeapDiff {
    fn from(d: core::HeapDiff) -> Self {
        JsHeapDiff {
            groups: d
                .groups
                .into_iter()
                .map(|g| JsLeakGroup {
                    class_name: g.class_name,
                    count: g.count as f64,
                    self_size: g.self_size as f64,
                    retained_size: g.retained_size as f64,
                    example_id: g.example_id,
                    path: g.path,
                    retainers: steps(g.retainers),
                    holder: g.holder.map(JsHolder::from),
                    site: g.site,
                    roots: g.roots as f64,
                    root_class: g.root_class,
                    classes: g
                        .classes
                        .into_iter()
                        .map(|c| JsLeakGroupClass {
                            name: c.name,
                            count: c.count as f64,
                            self_size: c.self_size as f64,
                        })
                        .collect(),
                })
                .collect(),
            new_objects: d.new_objects as f64,
            warnings: d
                .warnings
                .into_iter()
                .map(|w| JsDiffWarning {
                    code: w.code,
                    message: w.message,
                })
                .collect(),
        }
    }
}

/// The retainer path of one requested id.
#[napi(object, js_name = "RetainerPath")]
pub struct JsRetainerPath {
    /// The requested snapshot node id.
    pub id: u32,
    /// False when the id is not in the snapshot or not reachable from a GC root.
    pub found: bool,
    /// Shortest retainer path as a developer reads it, from the holder on (empty when not
    /// found).
    pub path: String,
    /// The raw path, step by step from the root side (empty when not found).
    pub retainers: Vec<JsRetainerStep>,
    /// Who holds the object, when a program's variable or property is on the path.
    pub holder: Option<JsHolder>,
}

impl From<core::RetainerPath> for JsRetainerPath {
    fn from(p: core::RetainerPath) -> Self {
        JsRetainerPath {
            id: p.id,
            found: p.found,
            path: p.path,
            retainers: steps(p.retainers),
            holder: p.holder.map(JsHolder::from),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Argument checks (Node-style errors, like lib/validate.js)

fn describe(v: &Unknown) -> String {
    match v.get_type() {
        Ok(ValueType::Undefined) => "undefined".into(),
        Ok(ValueType::Null) => "null".into(),
        Ok(ValueType::String) => match unsafe { v.cast::<String>() } {
            Ok(s) if s.chars().count() > 28 => {
                format!(
                    "type string ('{}...')",
                    s.chars().take(25).collect::<String>()
                )
            }
            Ok(s) => format!("type string ('{s}')"),
            Err(_) => "type string".into(),
        },
        Ok(ValueType::Number) => match unsafe { v.cast::<f64>() } {
            Ok(n) => format!("type number ({n})"),
            Err(_) => "type number".into(),
        },
        Ok(ValueType::Boolean) => match unsafe { v.cast::<bool>() } {
            Ok(b) => format!("type boolean ({b})"),
            Err(_) => "type boolean".into(),
        },
        Ok(ValueType::Function) => "a function".into(),
        Ok(ValueType::Object) => "an object".into(),
        Ok(ValueType::Symbol) => "type symbol".into(),
        Ok(ValueType::BigInt) => "type bigint".into(),
        _ => "a value of unknown type".into(),
    }
}

/// Throws a `TypeError` now; the returned error tells napi-rs an exception is pending.
fn type_error(env: &Env, name: &str, expected: &str, received: &Unknown) -> Error {
    let msg = format!(
        "The \"{name}\" argument must be {expected}. Received {}",
        describe(received)
    );
    let _ = env.throw_type_error(&msg, Some("ERR_INVALID_ARG_TYPE"));
    Error::new(Status::PendingException, msg)
}

fn range_error(env: &Env, name: &str, expected: &str, received: f64) -> Error {
    let msg = format!(
        "The value of \"{name}\" is out of range. It must be {expected}. Received {received}"
    );
    let _ = env.throw_range_error(&msg, Some("ERR_OUT_OF_RANGE"));
    Error::new(Status::PendingException, msg)
}

fn is_nullish(v: &Unknown) -> bool {
    matches!(v.get_type(), Ok(ValueType::Undefined | ValueType::Null))
}

fn path_arg(env: &Env, v: &Unknown, name: &str) -> Result<PathBuf> {
    if v.get_type()? != ValueType::String {
        return Err(type_error(env, name, "of type string", v));
    }
    let s: String = unsafe { v.cast()? };
    Ok(PathBuf::from(s))
}

/// An integer in `min..=max` from a JS number.
fn integer_arg(env: &Env, v: &Unknown, name: &str, min: f64, max: f64) -> Result<f64> {
    if v.get_type()? != ValueType::Number {
        return Err(type_error(env, name, "of type number", v));
    }
    let n: f64 = unsafe { v.cast()? };
    if !n.is_finite() || n.fract() != 0.0 {
        return Err(range_error(env, name, "an integer", n));
    }
    if n < min || n > max {
        return Err(range_error(env, name, &format!(">= {min} && <= {max}"), n));
    }
    Ok(n)
}

const DEFAULT_TOP: usize = 20;

/// The options of `analyze`, `diff` and `retainerPaths`.
struct Options {
    top: usize,
    strings: Strings,
    /// `ownCode`: leakguard's shipped files and directories, whose allocations a diff leaves
    /// out (lib/snapshot/analysis.js passes them unless asked `includeOwn`).
    own: Option<Vec<String>>,
}

/// Checks an options object with the `known` properties (`top`, `showStrings`).
fn options_arg(env: &Env, options: Option<Unknown>, known: &[&str]) -> Result<Options> {
    let mut out = Options {
        top: DEFAULT_TOP,
        strings: Strings::Redacted,
        own: None,
    };
    let Some(options) = options.filter(|o| !is_nullish(o)) else {
        return Ok(out);
    };
    if options.get_type()? != ValueType::Object {
        return Err(type_error(env, "options", "of type object", &options));
    }
    let obj: Object = unsafe { options.cast()? };
    if obj.is_array()? {
        return Err(type_error(env, "options", "of type object", &options));
    }
    for key in Object::keys(&obj)? {
        if !known.contains(&key.as_str()) {
            let msg = format!(
                "The \"options\" argument has an unknown property \"{key}\". Known properties: {}",
                known.join(", ")
            );
            let _ = env.throw_type_error(&msg, Some("ERR_INVALID_ARG_VALUE"));
            return Err(Error::new(Status::PendingException, msg));
        }
    }
    if known.contains(&"top") {
        if let Some(top) = obj.get::<Unknown>("top")? {
            if !matches!(top.get_type()?, ValueType::Undefined) {
                out.top = integer_arg(env, &top, "options.top", 0.0, 1_000_000.0)? as usize;
            }
        }
    }
    if let Some(show) = obj.get::<Unknown>("showStrings")? {
        match show.get_type()? {
            ValueType::Undefined => {}
            ValueType::Boolean => {
                if unsafe { show.cast::<bool>()? } {
                    out.strings = Strings::Raw;
                }
            }
            _ => {
                return Err(type_error(
                    env,
                    "options.showStrings",
                    "of type boolean",
                    &show,
                ))
            }
        }
    }
    if known.contains(&"ownCode") {
        if let Some(v) = obj.get::<Unknown>("ownCode")? {
            if !matches!(v.get_type()?, ValueType::Undefined) {
                out.own = Some(strings_arg(env, &v, "options.ownCode")?);
            }
        }
    }
    Ok(out)
}

/// An array of strings.
fn strings_arg(env: &Env, v: &Unknown, name: &str) -> Result<Vec<String>> {
    let ok_type = v.get_type()? == ValueType::Object && {
        let obj: Object = unsafe { v.cast()? };
        obj.is_array()?
    };
    if !ok_type {
        return Err(type_error(env, name, "an instance of Array", v));
    }
    let arr: Array = unsafe { v.cast()? };
    let mut out = Vec::with_capacity(arr.len() as usize);
    for i in 0..arr.len() {
        let item: Unknown = arr
            .get(i)?
            .ok_or_else(|| Error::from_reason(format!("{name} changed")))?;
        if item.get_type()? != ValueType::String {
            return Err(type_error(
                env,
                &format!("{name}[{i}]"),
                "of type string",
                &item,
            ));
        }
        out.push(unsafe { item.cast::<String>()? });
    }
    Ok(out)
}

fn ids_arg(env: &Env, v: &Unknown) -> Result<Vec<u32>> {
    let ok_type = v.get_type()? == ValueType::Object && {
        let obj: Object = unsafe { v.cast()? };
        obj.is_array()?
    };
    if !ok_type {
        return Err(type_error(env, "ids", "an instance of Array", v));
    }
    let arr: Array = unsafe { v.cast()? };
    let mut ids = Vec::with_capacity(arr.len() as usize);
    for i in 0..arr.len() {
        let item: Unknown = arr
            .get(i)?
            .ok_or_else(|| Error::from_reason("ids changed"))?;
        let id = integer_arg(env, &item, &format!("ids[{i}]"), 0.0, f64::from(u32::MAX))?;
        ids.push(id as u32);
    }
    Ok(ids)
}

/// Runs core work, turning a panic (a bug) into an error instead of unwinding across threads.
fn guarded<T>(
    f: impl FnOnce() -> std::result::Result<T, CoreError>,
) -> std::result::Result<T, Failure> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r.map_err(Failure::from),
        Err(_) => Err(Failure::Internal),
    }
}

/// The thread-pool half of a task: keeps the failure for `reject`, which builds the JS error
/// (with its code) on the main thread.
fn computed<T>(slot: &mut Option<Failure>, r: std::result::Result<T, Failure>) -> Result<T> {
    r.map_err(|f| {
        let e = f.placeholder();
        *slot = Some(f);
        e
    })
}

/// The `reject` half of a task: the failure `computed` kept, as leakguard's JS error.
fn rejected<T>(env: &Env, slot: &mut Option<Failure>, err: Error) -> Result<T> {
    match slot.take() {
        Some(f) => Err(f.reject(env)),
        None => Err(err),
    }
}

// ---------------------------------------------------------------------------------------------
// analyze

/// Background work of `analyze`.
pub struct AnalyzeTask {
    path: PathBuf,
    top: usize,
    strings: Strings,
    progress: Arc<core::Progress>,
    failure: Option<Failure>,
}

impl Task for AnalyzeTask {
    type Output = core::HeapSummary;
    type JsValue = JsHeapSummary;

    fn compute(&mut self) -> Result<Self::Output> {
        let r =
            guarded(|| core::analyze_watched(&self.path, self.top, self.strings, &self.progress));
        computed(&mut self.failure, r)
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> Result<Self::JsValue> {
        // aborted after the work was done, before it was handed over: aborted all the same
        if self.progress.is_aborted() {
            return Err(Failure::from(CoreError::Aborted).reject(&env));
        }
        Ok(output.into())
    }

    fn reject(&mut self, env: Env, err: Error) -> Result<Self::JsValue> {
        rejected(&env, &mut self.failure, err)
    }
}

/// Reads a `.heapsnapshot` file and summarises it: node and edge counts, total size, every
/// class with count, self size and retained size (largest retained first), and the `top`
/// largest objects with their retainer paths. Runs off the main thread; use it in servers.
/// `options.top`: how many of the largest objects to list. @default 20
/// `options.showStrings`: show text from the heap as it is; by default it is shortened and
/// secret-looking text (tokens, `password=…`, keys) is `[redacted]`. @default false
/// `job` (from `analysisJob`): where the analysis reports its progress and looks for an abort.
#[napi(
    catch_unwind,
    ts_args_type = "path: string, options?: { top?: number, showStrings?: boolean } | null, job?: ExternalObject<'AnalysisJob'> | null",
    ts_return_type = "Promise<HeapSummary>"
)]
pub fn analyze(
    env: Env,
    path: Unknown,
    options: Option<Unknown>,
    job: Option<&External<AnalysisJob>>,
) -> Result<AsyncTask<AnalyzeTask>> {
    let path = path_arg(&env, &path, "path")?;
    let o = options_arg(&env, options, &["top", "showStrings"])?;
    Ok(AsyncTask::new(AnalyzeTask {
        path,
        top: o.top,
        strings: o.strings,
        progress: job.map_or_else(Default::default, |j| j.0.clone()),
        failure: None,
    }))
}

/// One analysis's progress and abort flag, shared with the thread that runs it.
pub struct AnalysisJob(Arc<core::Progress>);

/// A handle for one `analyze`: pass it as `job`, then read `analysisProgress(job)` or call
/// `abortAnalysis(job)` while it runs.
#[napi(catch_unwind, ts_return_type = "ExternalObject<'AnalysisJob'>")]
pub fn analysis_job() -> External<AnalysisJob> {
    External::new(AnalysisJob(Arc::new(core::Progress::new())))
}

/// Asks the analysis of `job` to stop: it rejects with code `ABORT_ERR` at its next read of the
/// file (every 256 KB) or its next pass.
#[napi(catch_unwind, ts_args_type = "job: ExternalObject<'AnalysisJob'>")]
pub fn abort_analysis(job: &External<AnalysisJob>) {
    job.0.abort();
}

/// How far an analysis has got.
#[napi(object)]
pub struct JsAnalysisProgress {
    /// `parse` | `dominators` | `summary` | `done`.
    pub phase: String,
    /// Bytes of the file read so far (the parse reads parts of it twice).
    pub bytes_read: f64,
    /// The file's size (0 until it was opened).
    pub file_size: f64,
}

/// The progress of the analysis of `job`.
#[napi(catch_unwind, ts_args_type = "job: ExternalObject<'AnalysisJob'>")]
pub fn analysis_progress(job: &External<AnalysisJob>) -> JsAnalysisProgress {
    let p = &job.0;
    JsAnalysisProgress {
        phase: p.phase().name().to_string(),
        bytes_read: p.bytes_read() as f64,
        file_size: p.file_size() as f64,
    }
}

/// Blocking twin of `analyze`: the event loop stops until it returns. For scripts and CLIs.
/// `options.top`: how many of the largest objects to list. @default 20
/// `options.showStrings`: show text from the heap unredacted. @default false
#[napi(
    catch_unwind,
    ts_args_type = "path: string, options?: { top?: number, showStrings?: boolean } | null"
)]
pub fn analyze_sync(env: Env, path: Unknown, options: Option<Unknown>) -> Result<JsHeapSummary> {
    let path = path_arg(&env, &path, "path")?;
    let o = options_arg(&env, options, &["top", "showStrings"])?;
    guarded(|| core::analyze_with(&path, o.top, o.strings))
        .map(JsHeapSummary::from)
        .map_err(|f| f.throw(&env))
}

// ---------------------------------------------------------------------------------------------
// diff

/// Background work of `diff`.
pub struct DiffTask {
    baseline: PathBuf,
    target: PathBuf,
    last: Option<PathBuf>,
    strings: Strings,
    own: Option<Vec<String>>,
    failure: Option<Failure>,
}

impl Task for DiffTask {
    type Output = core::HeapDiff;
    type JsValue = JsHeapDiff;

    fn compute(&mut self) -> Result<Self::Output> {
        let r = self.run();
        computed(&mut self.failure, r)
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> Result<Self::JsValue> {
        Ok(output.into())
    }

    fn reject(&mut self, env: Env, err: Error) -> Result<Self::JsValue> {
        rejected(&env, &mut self.failure, err)
    }
}

impl DiffTask {
    fn run(&self) -> std::result::Result<core::HeapDiff, Failure> {
        guarded(|| {
            core::diff_with(
                &self.baseline,
                &self.target,
                self.last.as_deref(),
                self.strings,
                self.own.clone().map(core::OwnCode::leakguard),
            )
        })
    }
}

fn diff_args(
    env: &Env,
    baseline: &Unknown,
    target: &Unknown,
    last: Option<Unknown>,
    options: Option<Unknown>,
) -> Result<DiffTask> {
    let baseline = path_arg(env, baseline, "baseline")?;
    let target = path_arg(env, target, "target")?;
    let last = match last.filter(|v| !is_nullish(v)) {
        None => None,
        Some(v) => Some(path_arg(env, &v, "final")?),
    };
    let o = options_arg(env, options, &["showStrings", "ownCode"])?;
    Ok(DiffTask {
        baseline,
        target,
        last,
        strings: o.strings,
        own: o.own,
        failure: None,
    })
}

/// memlab's three-snapshot method: the objects allocated after `baseline`, present in
/// `target` and still alive in `final` (or in `target` when `final` is absent), grouped by
/// class and retainer path, largest retained size first. Objects gone by `final` (transient)
/// and system internals are not reported. Take all three snapshots from one process
/// (node ids are stable within a process): `warnings` says when they seem not to be, or not
/// oldest first. Runs off the main thread.
/// `options.showStrings`: show text from the heap unredacted. @default false
/// `options.ownCode`: files and directories of leakguard's code, whose allocations are left
/// out. @default none (everything reported)
#[napi(
    catch_unwind,
    ts_args_type = "baseline: string, target: string, final?: string | null, options?: { showStrings?: boolean; ownCode?: string[] } | null",
    ts_return_type = "Promise<HeapDiff>"
)]
pub fn diff(
    env: Env,
    baseline: Unknown,
    target: Unknown,
    r#final: Option<Unknown>,
    options: Option<Unknown>,
) -> Result<AsyncTask<DiffTask>> {
    Ok(AsyncTask::new(diff_args(
        &env, &baseline, &target, r#final, options,
    )?))
}

/// Blocking twin of `diff`: the event loop stops until it returns. For scripts and CLIs.
/// `options.showStrings`: show text from the heap unredacted. @default false
/// `options.ownCode`: files and directories of leakguard's code, whose allocations are left
/// out. @default none (everything reported)
#[napi(
    catch_unwind,
    ts_args_type = "baseline: string, target: string, final?: string | null, options?: { showStrings?: boolean; ownCode?: string[] } | null"
)]
pub fn diff_sync(
    env: Env,
    baseline: Unknown,
    target: Unknown,
    r#final: Option<Unknown>,
    options: Option<Unknown>,
) -> Result<JsHeapDiff> {
    let task = diff_args(&env, &baseline, &target, r#final, options)?;
    task.run().map(JsHeapDiff::from).map_err(|f| f.throw(&env))
}

// ---------------------------------------------------------------------------------------------
// retainerPaths

/// Background work of `retainerPaths`.
pub struct RetainerPathsTask {
    path: PathBuf,
    ids: Vec<u32>,
    strings: Strings,
    progress: Arc<core::Progress>,
    failure: Option<Failure>,
}

impl Task for RetainerPathsTask {
    type Output = Vec<core::RetainerPath>;
    type JsValue = Vec<JsRetainerPath>;

    fn compute(&mut self) -> Result<Self::Output> {
        let r = guarded(|| {
            core::retainer_paths_watched(&self.path, &self.ids, self.strings, &self.progress)
        });
        computed(&mut self.failure, r)
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> Result<Self::JsValue> {
        // aborted after the work was done, before it was handed over: aborted all the same
        if self.progress.is_aborted() {
            return Err(Failure::from(CoreError::Aborted).reject(&env));
        }
        Ok(output.into_iter().map(JsRetainerPath::from).collect())
    }

    fn reject(&mut self, env: Env, err: Error) -> Result<Self::JsValue> {
        rejected(&env, &mut self.failure, err)
    }
}

/// The shortest retainer path from a GC root of each snapshot node id in `ids` (ids from
/// `HeapProfiler.getHeapObjectId` or an earlier analysis), in the order given. Runs off the
/// main thread. `options.showStrings`: show text from the heap unredacted. @default false
/// `job` (from `analysisJob`): `abortAnalysis(job)` stops it (code `ABORT_ERR`) at its next read
/// of the file, phase or id (explain's time limit).
#[napi(
    catch_unwind,
    ts_args_type = "path: string, ids: number[], options?: { showStrings?: boolean } | null, job?: ExternalObject<'AnalysisJob'> | null",
    ts_return_type = "Promise<RetainerPath[]>"
)]
pub fn retainer_paths(
    env: Env,
    path: Unknown,
    ids: Unknown,
    options: Option<Unknown>,
    job: Option<&External<AnalysisJob>>,
) -> Result<AsyncTask<RetainerPathsTask>> {
    let path = path_arg(&env, &path, "path")?;
    let ids = ids_arg(&env, &ids)?;
    let strings = options_arg(&env, options, &["showStrings"])?.strings;
    Ok(AsyncTask::new(RetainerPathsTask {
        path,
        ids,
        strings,
        progress: job.map_or_else(Default::default, |j| j.0.clone()),
        failure: None,
    }))
}

/// Blocking twin of `retainerPaths`.
/// `options.showStrings`: show text from the heap unredacted. @default false
#[napi(
    catch_unwind,
    ts_args_type = "path: string, ids: number[], options?: { showStrings?: boolean } | null"
)]
pub fn retainer_paths_sync(
    env: Env,
    path: Unknown,
    ids: Unknown,
    options: Option<Unknown>,
) -> Result<Vec<JsRetainerPath>> {
    let path = path_arg(&env, &path, "path")?;
    let ids = ids_arg(&env, &ids)?;
    let strings = options_arg(&env, options, &["showStrings"])?.strings;
    guarded(|| core::retainer_paths_with(&path, &ids, strings))
        .map(|v| v.into_iter().map(JsRetainerPath::from).collect())
        .map_err(|f| f.throw(&env))
}
