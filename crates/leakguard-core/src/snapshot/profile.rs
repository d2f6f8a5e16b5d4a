//! Phase timings for the snapshot analysis, printed to stderr when the environment variable
//! `LEAKGUARD_PROFILE` is set (to anything): wall time since the previous mark, this thread's CPU time in it, the resident set
//! at the mark and the peak resident set during the phase (Linux: `VmHWM`, reset at every mark
//! through `/proc/self/clear_refs`). Off, a mark costs one relaxed load.
//!
//! Each thread keeps its own clock: a phase on a second thread (started with
//! [`start_thread`]) is timed from that thread's previous mark, and its line says so, so the
//! overlapping phases of two threads read as what each thread spent.

use std::cell::Cell;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Instant;

static STATE: AtomicU8 = AtomicU8::new(0); // 0 unknown, 1 off, 2 on

thread_local! {
    /// This thread's previous mark, and whether it is a helper thread.
    static LAST: Cell<(Option<Instant>, bool)> = const { Cell::new((None, false)) };
    /// This thread's CPU time at its previous mark, in nanoseconds.
    static LAST_CPU: Cell<u64> = const { Cell::new(0) };
}

/// CPU time this thread has used, in nanoseconds (0 where unknown): unlike the wall time, it
/// does not grow when other work on the machine takes the core, so the two threads' parts can
/// be compared on a loaded machine.
fn thread_cpu_ns() -> u64 {
    #[cfg(unix)]
    {
        let mut t = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `t` is a valid timespec for the call to write.
        if unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) } == 0 {
            return t.tv_sec as u64 * 1_000_000_000 + t.tv_nsec as u64;
        }
    }
    0
}

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
    LAST_CPU.with(|c| c.set(thread_cpu_ns()));
    LAST.with(|l| l.set((Some(Instant::now()), l.get().1)));
}

/// Starts the clock of a helper thread (its marks are labelled as such; the peak is left to the
/// main thread's marks).
pub(crate) fn start_thread() {
    if !enabled() {
        return;
    }
    LAST_CPU.with(|c| c.set(thread_cpu_ns()));
    LAST.with(|l| l.set((Some(Instant::now()), true)));
}

/// Ends the phase `name`: prints its time, the resident set now and its peak.
pub(crate) fn mark(name: &str) {
    if !enabled() {
        return;
    }
    let (last, helper) = LAST.with(Cell::get);
    let ms = last.map_or(0.0, |t| t.elapsed().as_secs_f64() * 1e3);
    let cpu_ms = thread_cpu_ns().saturating_sub(LAST_CPU.with(Cell::get)) as f64 / 1e6;
    let thread = if helper { "2nd thread: " } else { "" };
    let name = format!("{thread}{name}");
    #[allow(clippy::print_stderr)]
    {
        eprintln!(
            "leakguard profile: {name:<36} {ms:>8.1} ms  cpu {cpu_ms:>7.1} ms  rss {:>5} MB  peak {:>5} MB",
            status_kb("VmRSS:") / 1024,
            status_kb("VmHWM:") / 1024
        );
    }
    if helper {
        LAST_CPU.with(|c| c.set(thread_cpu_ns()));
        LAST.with(|l| l.set((Some(Instant::now()), true)));
    } else {
        start();
    }
}
