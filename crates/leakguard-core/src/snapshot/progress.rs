//! How far an analysis has got, and a request to stop it: shared between the thread that runs
//! the analysis and the one that watches it (a progress display, an `AbortSignal`).
//!
//! The file is read through [`Watched`], which counts the bytes read and fails the next read
//! once an abort was asked for (every read is at most a buffer of 256 KB); the phases after the
//! parse check between them. An aborted analysis ends with [`CoreError::Aborted`].

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering::Relaxed};

use super::parse::ReadAt;
use crate::CoreError;

/// The phases of an analysis, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Reading and parsing the file (see [`Progress::bytes_read`]).
    Parse = 0,
    /// Dominator tree and retained sizes.
    Dominators = 1,
    /// Summing classes, retainer paths of the largest objects.
    Summary = 2,
    /// Finished (or failed).
    Done = 3,
}

impl Phase {
    /// The phase as a progress display names it.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Parse => "parse",
            Phase::Dominators => "dominators",
            Phase::Summary => "summary",
            Phase::Done => "done",
        }
    }
}

/// Progress of one analysis and its abort flag. All relaxed atomics: a display reads them
/// while the analysis runs.
#[derive(Debug, Default)]
pub struct Progress {
    read: AtomicU64,
    size: AtomicU64,
    phase: AtomicU8,
    aborted: AtomicBool,
}

impl Progress {
    pub fn new() -> Progress {
        Progress::default()
    }

    /// Asks the analysis to stop at its next read or phase.
    pub fn abort(&self) {
        self.aborted.store(true, Relaxed);
    }

    pub fn is_aborted(&self) -> bool {
        self.aborted.load(Relaxed)
    }

    /// `Err(CoreError::Aborted)` once an abort was asked for.
    pub fn check(&self) -> Result<(), CoreError> {
        if self.is_aborted() {
            Err(CoreError::Aborted)
        } else {
            Ok(())
        }
    }

    pub fn phase(&self) -> Phase {
        match self.phase.load(Relaxed) {
            0 => Phase::Parse,
            1 => Phase::Dominators,
            2 => Phase::Summary,
            _ => Phase::Done,
        }
    }

    /// Enters `phase`; `Err(CoreError::Aborted)` instead when an abort was asked for.
    pub fn enter(&self, phase: Phase) -> Result<(), CoreError> {
        self.check()?;
        self.phase.store(phase as u8, Relaxed);
        Ok(())
    }

    /// Bytes of the file read so far: about its size at the end of the parse (a little more:
    /// the two threads' first buffers overlap; twice when the file is parsed again after the
    /// two-thread parse declined it).
    pub fn bytes_read(&self) -> u64 {
        self.read.load(Relaxed)
    }

    /// The file's size (0 until it was opened).
    pub fn file_size(&self) -> u64 {
        self.size.load(Relaxed)
    }

    /// Marks the analysis finished (or failed).
    pub(crate) fn finish(&self) {
        self.phase.store(Phase::Done as u8, Relaxed);
    }

    pub(crate) fn set_file_size(&self, size: u64) {
        self.size.store(size, Relaxed);
    }
}

/// A file read through a [`Progress`]: reads are counted, and fail once an abort was asked for.
pub(crate) struct Watched<'a, F: ?Sized> {
    pub(crate) src: &'a F,
    pub(crate) progress: &'a Progress,
}

impl<F: ReadAt + ?Sized> ReadAt for Watched<'_, F> {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
        if self.progress.is_aborted() {
            return Err(std::io::Error::other("aborted"));
        }
        let n = self.src.read_at(buf, offset)?;
        self.progress.read.fetch_add(n as u64, Relaxed);
        Ok(n)
    }

    fn skim_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
        if self.progress.is_aborted() {
            return Err(std::io::Error::other("aborted"));
        }
        self.src.read_at(buf, offset)
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse::{parse_parallel, ReadRange};
    use super::super::test_support::{SnapshotBuilder, E};
    use super::super::{parse, ParseOptions};
    use super::*;

    /// A source that asks for the abort itself once `after` bytes were read.
    struct AbortsAfter<'a> {
        bytes: &'a [u8],
        progress: &'a Progress,
        after: u64,
    }

    impl ReadAt for AbortsAfter<'_> {
        fn read_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
            if self.progress.bytes_read() >= self.after {
                self.progress.abort();
            }
            // small reads, so that an abort lands inside the arrays
            let n = buf.len().min(64);
            self.bytes.read_at(&mut buf[..n], offset)
        }
    }

    fn snapshot_text() -> String {
        let mut b = SnapshotBuilder::new();
        let mut prev = 0;
        for i in 0..400 {
            let n = b.node("object", &format!("N{i}"), 16 + i as u64);
            b.edge(prev, E::Property("next"), n);
            prev = n;
        }
        b.json()
    }

    #[test]
    fn reads_are_counted_and_stop_once_aborted() {
        let text = snapshot_text();
        let progress = Progress::new();
        let src = Watched {
            src: text.as_bytes(),
            progress: &progress,
        };
        let whole = parse(
            ReadRange::new(&src, 0, text.len() as u64),
            None,
            ParseOptions::default(),
        )
        .unwrap();
        assert_eq!(whole.node_count(), 401);
        assert_eq!(progress.bytes_read(), text.len() as u64);
        assert!(progress.check().is_ok());

        // An abort anywhere before the last reads: the parse fails (sequential and on two
        // threads), nothing panics, and no read happens after it. (An abort during the last
        // read is seen by the analysis's next check.)
        for after in (0..text.len() as u64 - 128).step_by(97) {
            let progress = Progress::new();
            let inner = AbortsAfter {
                bytes: text.as_bytes(),
                progress: &progress,
                after,
            };
            let src = Watched {
                src: &inner,
                progress: &progress,
            };
            let r = parse(
                ReadRange::new(&src, 0, text.len() as u64),
                None,
                ParseOptions::default(),
            );
            assert!(r.is_err(), "abort after {after} bytes");
            // the read that asked for the abort still counts, none after it
            assert!(progress.bytes_read() <= after + 128, "{after}");
            assert_eq!(progress.check(), Err(CoreError::Aborted));
            assert!(parse_parallel(&src, text.len() as u64, ParseOptions::default()).is_none());
        }
    }

    #[test]
    fn an_aborted_analysis_stops_with_aborted() {
        let dir = std::env::temp_dir().join(format!("leakguard-abort-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("a.heapsnapshot");
        std::fs::write(&file, snapshot_text()).unwrap();
        let strings = crate::redact::Strings::default();
        let progress = Progress::new();
        let summary = super::super::analyze_watched(&file, 5, strings, &progress).unwrap();
        assert_eq!(summary.node_count, 401);
        assert_eq!(progress.phase(), Phase::Done);
        assert_eq!(progress.file_size(), progress.bytes_read());
        let progress = Progress::new();
        progress.abort();
        let e = super::super::analyze_watched(&file, 5, strings, &progress).unwrap_err();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(e, CoreError::Aborted);
        assert_eq!(e.code(), "ABORT_ERR");
        assert_eq!(progress.bytes_read(), 0);
        assert_eq!(progress.phase(), Phase::Done);
    }

    #[test]
    fn retainer_paths_stop_when_aborted() {
        let dir =
            std::env::temp_dir().join(format!("leakguard-abort-paths-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("a.heapsnapshot");
        std::fs::write(&file, snapshot_text()).unwrap();
        let strings = crate::redact::Strings::default();
        let s = parse(snapshot_text().as_bytes(), None, ParseOptions::default()).unwrap();
        let ids: Vec<u32> = (0..s.node_count())
            .step_by(50)
            .map(|i| s.id(i) as u32)
            .collect();
        let progress = Progress::new();
        let paths = super::super::retainer_paths_watched(&file, &ids, strings, &progress).unwrap();
        assert_eq!(paths.len(), ids.len());
        assert!(
            paths.iter().all(|p| p.found),
            "every node of the chain is reachable"
        );
        assert_eq!(progress.phase(), Phase::Done);
        assert_eq!(progress.file_size(), progress.bytes_read());
        // aborted before it starts (explain's time limit already over): nothing is read
        let progress = Progress::new();
        progress.abort();
        let e = super::super::retainer_paths_watched(&file, &ids, strings, &progress).unwrap_err();
        assert_eq!(e, CoreError::Aborted);
        assert_eq!(progress.bytes_read(), 0);
        assert_eq!(progress.phase(), Phase::Done);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn dominators_stop_when_aborted() {
        let text = snapshot_text();
        let s = parse(text.as_bytes(), None, ParseOptions::default()).unwrap();
        let progress = Progress::new();
        let d = super::super::Dominators::compute_watched(&s, &progress).unwrap();
        assert_eq!(d.idom, super::super::Dominators::compute(&s).idom);
        progress.abort();
        assert_eq!(
            super::super::Dominators::compute_watched(&s, &progress).unwrap_err(),
            CoreError::Aborted
        );
    }
}
