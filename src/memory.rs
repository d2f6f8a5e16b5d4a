//! Memory handed back to the operating system after a heap snapshot.
//!
//! Writing a snapshot makes V8 build the whole heap graph in malloc'ed memory (about 2.5x the
//! heap used at its peak; see docs/benchmarks.md). glibc keeps most of what was freed in its
//! arenas, so the process's RSS stays at the peak long after the snapshot was written.
//! `malloc_trim(0)` returns the free pages at the top of every arena and, since glibc 2.8, the
//! free whole pages inside them.

use napi_derive::napi;

/// Returns the C heap's free memory to the operating system (glibc's `malloc_trim(0)`); true when
/// some was released. A no-op returning false where the allocator is not glibc's (musl, macOS,
/// Windows). Guard mode calls it after each heap snapshot it writes.
#[napi(catch_unwind)]
pub fn trim_native_memory() -> bool {
    imp::trim()
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod imp {
    pub fn trim() -> bool {
        // SAFETY: malloc_trim takes no pointer and only walks glibc's own arenas, under their locks.
        unsafe { libc::malloc_trim(0) == 1 }
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
mod imp {
    pub fn trim() -> bool {
        false
    }
}
