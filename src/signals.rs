//! An unfinished snapshot never outlives a SIGTERM or SIGINT.
//!
//! `v8.writeHeapSnapshot` blocks the main thread for seconds; a SIGTERM or SIGINT with its default
//! action kills the process meanwhile and leaves the temporary file (hundreds of MB) behind. While
//! a snapshot is written, a signal the app has no listener for gets a handler that removes the
//! temporary file and its private directory (`unlink`, `rmdir`: async-signal-safe) and then takes
//! the action it had (Node's own handler, which resets the terminal and dies of the signal). A
//! signal the app listens for is left alone: its listener runs after the write, which completes.

use napi_derive::napi;

#[cfg(unix)]
mod imp {
    use std::ffi::{c_char, c_int, CString};
    use std::sync::atomic::{AtomicBool, AtomicI32, AtomicPtr, AtomicUsize, Ordering};

    static FILE: AtomicPtr<c_char> = AtomicPtr::new(std::ptr::null_mut());
    static DIR: AtomicPtr<c_char> = AtomicPtr::new(std::ptr::null_mut());
    const SIGNALS: [c_int; 2] = [libc::SIGTERM, libc::SIGINT];
    static INSTALLED: [AtomicBool; 2] = [AtomicBool::new(false), AtomicBool::new(false)];
    // the action replaced (Node's own SignalExit, which resets the terminal and dies of the signal)
    static OLD_HANDLER: [AtomicUsize; 2] = [AtomicUsize::new(0), AtomicUsize::new(0)];
    static OLD_FLAGS: [AtomicI32; 2] = [AtomicI32::new(0), AtomicI32::new(0)];

    fn index(sig: c_int) -> usize {
        if sig == libc::SIGTERM {
            0
        } else {
            1
        }
    }

    /// Puts back the action saved for signal `i` (async-signal-safe).
    unsafe fn restore(i: usize) {
        let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
        old.sa_sigaction = OLD_HANDLER[i].load(Ordering::SeqCst);
        old.sa_flags = OLD_FLAGS[i].load(Ordering::SeqCst);
        unsafe {
            libc::sigemptyset(&mut old.sa_mask);
            libc::sigaction(SIGNALS[i], &old, std::ptr::null_mut());
        }
    }

    extern "C" fn on_signal(sig: c_int) {
        let file = FILE.load(Ordering::SeqCst);
        if !file.is_null() {
            unsafe { libc::unlink(file) };
        }
        let dir = DIR.load(Ordering::SeqCst);
        if !dir.is_null() {
            unsafe { libc::rmdir(dir) };
        }
        // then whatever would have happened without us: Node's handler or the default action
        unsafe {
            restore(index(sig));
            libc::raise(sig);
        }
    }

    fn take(slot: &AtomicPtr<c_char>) {
        let old = slot.swap(std::ptr::null_mut(), Ordering::SeqCst);
        if !old.is_null() {
            drop(unsafe { CString::from_raw(old) });
        }
    }

    pub fn guard(file: &str, dir: &str, signals: &[String]) -> bool {
        release();
        let (Ok(file), Ok(dir)) = (CString::new(file), CString::new(dir)) else {
            return false;
        };
        FILE.store(file.into_raw(), Ordering::SeqCst);
        DIR.store(dir.into_raw(), Ordering::SeqCst);
        let mut any = false;
        for (i, &sig) in SIGNALS.iter().enumerate() {
            let name = if sig == libc::SIGTERM {
                "SIGTERM"
            } else {
                "SIGINT"
            };
            if !signals.iter().any(|s| s == name) {
                continue;
            }
            unsafe {
                let mut old: libc::sigaction = std::mem::zeroed();
                if libc::sigaction(sig, std::ptr::null(), &mut old) != 0
                    || old.sa_sigaction == libc::SIG_IGN
                {
                    continue; // ignored: it kills nothing
                }
                OLD_HANDLER[i].store(old.sa_sigaction, Ordering::SeqCst);
                OLD_FLAGS[i].store(old.sa_flags, Ordering::SeqCst);
                let mut new: libc::sigaction = std::mem::zeroed();
                new.sa_sigaction = on_signal as *const () as libc::sighandler_t;
                libc::sigemptyset(&mut new.sa_mask);
                if libc::sigaction(sig, &new, std::ptr::null_mut()) == 0 {
                    INSTALLED[i].store(true, Ordering::SeqCst);
                    any = true;
                }
            }
        }
        any
    }

    pub fn release() {
        for (i, &sig) in SIGNALS.iter().enumerate() {
            if !INSTALLED[i].swap(false, Ordering::SeqCst) {
                continue;
            }
            unsafe {
                let mut current: libc::sigaction = std::mem::zeroed();
                if libc::sigaction(sig, std::ptr::null(), &mut current) == 0
                    && current.sa_sigaction == on_signal as *const () as libc::sighandler_t
                {
                    restore(i);
                }
            }
        }
        take(&FILE);
        take(&DIR);
    }
}

#[cfg(not(unix))]
mod imp {
    pub fn guard(_file: &str, _dir: &str, _signals: &[String]) -> bool {
        false
    }
    pub fn release() {}
}

/// Internal (leakguard's snapshot writer): until `releaseTempFile()`, each of `signals`
/// ('SIGTERM', 'SIGINT': those the app has no listener for, so they would kill it) removes `file`
/// and then `dir`, then takes the action it had before (Node's: die of it). Returns whether a
/// handler was installed.
#[napi]
pub fn guard_temp_file(file: String, dir: String, signals: Vec<String>) -> bool {
    imp::guard(&file, &dir, &signals)
}

/// Internal: ends `guardTempFile()` and restores the default actions it replaced.
#[napi]
pub fn release_temp_file() {
    imp::release()
}
