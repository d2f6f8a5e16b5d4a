//! Phase timings for the snapshot analysis, printed to stderr when the environment variable
//! `LEAKGUARD_PROFILE` is set (to anything): wall time since the previous mark, the resident set
//! at the mark and the peak resident set during the phase (Linux: `VmHWM`, reset at every mark
//! through `/proc/self/clear_refs`). Off, a mark costs one relaxed load.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Mutex;
use std::time::Instant;

static STATE: AtomicU8 = AtomicU8::new(0); // 0 unknown, 1 off, 2 on
static LAST: Mutex<Option<Instant>> = Mutex::new(None);

fn enabled() -> bool {
    match STATE.load(Ordering::Relaxed) {
        1 => false,
        2 => true,
        _ => {
            let on = std::env::var_os("LEAKGUARD_PROFILE").is_some();
            STATE.store(if on { 2 } else { 1 }, Ordering::Relaxed);
            on
        }
    }
}

fn status_kb(key: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// Starts the clock (and the peak) for the next phase.
pub(crate) fn start() {
    if !enabled() {
        return;
    }
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    if let Ok(mut last) = LAST.lock() {
        *last = Some(Instant::now());
    }
}

/// Ends the phase `name`: prints its time, the resident set now and its peak.
pub(crate) fn mark(name: &str) {
    if !enabled() {
        return;
    }
    let ms = LAST
        .lock()
        .ok()
        .and_then(|l| l.map(|t| t.elapsed().as_secs_f64() * 1e3))
        .unwrap_or(0.0);
    #[allow(clippy::print_stderr)]
    {
        eprintln!(
            "leakguard profile: {name:<24} {ms:>8.1} ms  rss {:>5} MB  peak {:>5} MB",
            status_kb("VmRSS:") / 1024,
            status_kb("VmHWM:") / 1024
        );
    }
    start();
}
