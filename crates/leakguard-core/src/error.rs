//! One error type for the whole core.

use thiserror::Error;

/// Every way the core can fail. The binding maps `InvalidArgument` to a JS `TypeError`/`RangeError`
/// (`Status::InvalidArg`) and everything else to a plain `Error` whose `code` is [`CoreError::code`].
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum CoreError {
    /// A caller passed something the core cannot work with; the text says what was expected.
    #[error("{0}")]
    InvalidArgument(String),
    /// A heap snapshot is truncated or corrupt: where (byte offset) and what.
    #[error("heap snapshot is corrupt at byte {offset}: {reason}")]
    Snapshot { offset: u64, reason: String },
    /// A file could not be opened or read, as Node's `fs` says it: `code` is the system error's
    /// name (`ENOENT`, `EACCES`, `EISDIR`; empty when the system gave none), `errno` Node's
    /// (negative) number, `syscall` what failed (`open`, `read`), `reason` the system's words
    /// (`no such file or directory`).
    #[error(
        "leakguard: cannot read heap snapshot {path}: {}",
        io_text(code, reason, syscall, path)
    )]
    Io {
        path: String,
        code: String,
        errno: Option<i32>,
        syscall: String,
        reason: String,
    },
    /// The path names a FIFO, socket, device or directory-like special file: reading one could
    /// wait forever, so it is refused before any read. `what` is `a FIFO`, `a socket`, ...
    #[error("leakguard: cannot read heap snapshot {path}: it is {what}, not a regular file")]
    NotFile { path: String, what: String },
    /// The caller asked the work to stop (an `AbortSignal`), and it stopped.
    #[error("The operation was aborted")]
    Aborted,
}

fn io_text(code: &str, reason: &str, syscall: &str, path: &str) -> String {
    if code.is_empty() {
        format!("{reason}, {syscall} '{path}'")
    } else {
        format!("{code}: {reason}, {syscall} '{path}'")
    }
}

impl CoreError {
    /// The stable `code` a JavaScript error carries: the system error's name for `Io` (as
    /// Node's `fs` errors do), `ERR_LEAKGUARD_*` for leakguard's own.
    pub fn code(&self) -> &str {
        match self {
            CoreError::InvalidArgument(_) => "ERR_INVALID_ARG_VALUE",
            CoreError::Snapshot { .. } => "ERR_LEAKGUARD_SNAPSHOT_CORRUPT",
            CoreError::Io { code, .. } if !code.is_empty() => code,
            CoreError::Io { .. } => "ERR_LEAKGUARD_SNAPSHOT_UNREADABLE",
            CoreError::NotFile { .. } => "ERR_LEAKGUARD_SNAPSHOT_NOT_FILE",
            // Node's AbortError code
            CoreError::Aborted => "ABORT_ERR",
        }
    }

    /// An `Io` error from a system error at `path` in `syscall`.
    pub fn io(path: &std::path::Path, syscall: &str, e: &std::io::Error) -> CoreError {
        let (code, reason) = describe_io(e);
        CoreError::Io {
            path: path.display().to_string(),
            code: code.to_string(),
            errno: e.raw_os_error().map(|n| -n),
            syscall: syscall.to_string(),
            reason,
        }
    }
}

/// `("ENOENT", "no such file or directory")`: the code Node users know and the system's words
/// without Rust's ` (os error 2)`.
fn describe_io(e: &std::io::Error) -> (&'static str, String) {
    use std::io::ErrorKind as K;
    let code = match e.raw_os_error() {
        Some(n) => errno_name(n),
        None => "",
    };
    let code = if !code.is_empty() {
        code
    } else {
        match e.kind() {
            K::NotFound => "ENOENT",
            K::PermissionDenied => "EACCES",
            K::IsADirectory => "EISDIR",
            K::NotADirectory => "ENOTDIR",
            K::OutOfMemory => "ENOMEM",
            K::StorageFull => "ENOSPC",
            _ => "",
        }
    };
    let text = e.to_string();
    let text = match text.rfind(" (os error ") {
        Some(i) if text.ends_with(')') => text[..i].to_string(),
        _ => text,
    };
    let text = text
        .get(..1)
        .map(|f| f.to_lowercase() + &text[1..])
        .unwrap_or(text);
    (code, text)
}

/// The name of a system error number (the ones opening and reading a file can give).
#[cfg(unix)]
fn errno_name(n: i32) -> &'static str {
    match n {
        libc::ENOENT => "ENOENT",
        libc::EACCES => "EACCES",
        libc::EPERM => "EPERM",
        libc::EISDIR => "EISDIR",
        libc::ENOTDIR => "ENOTDIR",
        libc::ELOOP => "ELOOP",
        libc::ENAMETOOLONG => "ENAMETOOLONG",
        libc::EMFILE => "EMFILE",
        libc::ENFILE => "ENFILE",
        libc::ENXIO => "ENXIO",
        libc::ENODEV => "ENODEV",
        libc::EIO => "EIO",
        libc::ENOMEM => "ENOMEM",
        libc::ENOSPC => "ENOSPC",
        libc::EAGAIN => "EAGAIN",
        libc::EINVAL => "EINVAL",
        libc::EOVERFLOW => "EOVERFLOW",
        libc::ETXTBSY => "ETXTBSY",
        libc::EBUSY => "EBUSY",
        _ => "",
    }
}

#[cfg(not(unix))]
fn errno_name(_n: i32) -> &'static str {
    ""
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_errors_read_like_node_fs_errors() {
        let e = std::io::Error::from_raw_os_error(2);
        let err = CoreError::io(std::path::Path::new("/x/a.heapsnapshot"), "open", &e);
        assert_eq!(err.code(), "ENOENT");
        assert_eq!(
            err.to_string(),
            "leakguard: cannot read heap snapshot /x/a.heapsnapshot: ENOENT: no such file or \
             directory, open '/x/a.heapsnapshot'"
        );
        assert!(matches!(
            err,
            CoreError::Io {
                errno: Some(-2),
                ..
            }
        ));
    }

    #[test]
    fn every_kind_has_a_stable_code() {
        let corrupt = CoreError::Snapshot {
            offset: 3,
            reason: "x".into(),
        };
        assert_eq!(corrupt.code(), "ERR_LEAKGUARD_SNAPSHOT_CORRUPT");
        let fifo = CoreError::NotFile {
            path: "/p".into(),
            what: "a FIFO".into(),
        };
        assert_eq!(fifo.code(), "ERR_LEAKGUARD_SNAPSHOT_NOT_FILE");
        assert_eq!(
            fifo.to_string(),
            "leakguard: cannot read heap snapshot /p: it is a FIFO, not a regular file"
        );
    }
}
