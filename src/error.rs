//! The conversions from core errors to JavaScript errors: one scheme for the binding and the
//! JavaScript layer (`lib/errors.js`). A core error becomes an `Error` whose `code` is
//! [`CoreError::code`]: the system error's name for a file that cannot be read (`ENOENT`,
//! `EACCES`, `EISDIR`, with `errno`, `syscall` and `path` as Node's `fs` errors have them),
//! `ERR_LEAKGUARD_SNAPSHOT_NOT_FILE` for a FIFO, socket or device,
//! `ERR_LEAKGUARD_SNAPSHOT_CORRUPT` for a truncated or corrupt snapshot and
//! `ERR_LEAKGUARD_INTERNAL` for a bug caught before it crossed the FFI. Bad arguments are
//! `TypeError` / `RangeError` (`ERR_INVALID_ARG_TYPE`, `ERR_OUT_OF_RANGE`). Never napi's own
//! `GenericFailure`.

use leakguard_core::CoreError;
use napi::bindgen_prelude::Object;
use napi::{sys, Env, JsValue, Status};

/// What can go wrong in a call: the core's errors, or a panic caught at the boundary.
#[derive(Debug, Clone)]
pub enum Failure {
    Core(CoreError),
    /// A bug (a panic in the core), caught before it could cross the FFI.
    Internal,
}

const INTERNAL: &str =
    "leakguard: internal error while analysing the heap snapshot (please report it)";

impl Failure {
    fn code(&self) -> &str {
        match self {
            Failure::Core(e) => e.code(),
            Failure::Internal => "ERR_LEAKGUARD_INTERNAL",
        }
    }

    fn message(&self) -> String {
        match self {
            Failure::Core(e) => e.to_string(),
            Failure::Internal => INTERNAL.to_string(),
        }
    }

    /// A placeholder napi error for the thread-pool half of a task; `reject` replaces it by
    /// [`Failure::to_js`] on the main thread.
    pub fn placeholder(&self) -> napi::Error {
        napi::Error::new(Status::GenericFailure, self.message())
    }

    /// The JavaScript error object.
    pub fn to_js<'env>(&self, env: &'env Env) -> napi::Result<Object<'env>> {
        let code = env.create_string(self.code())?;
        let msg = env.create_string(self.message())?;
        let mut raw = std::ptr::null_mut();
        let is_type = matches!(self, Failure::Core(CoreError::InvalidArgument(_)));
        // SAFETY: valid env and napi strings created just above.
        let status = unsafe {
            if is_type {
                sys::napi_create_type_error(env.raw(), code.raw(), msg.raw(), &mut raw)
            } else {
                sys::napi_create_error(env.raw(), code.raw(), msg.raw(), &mut raw)
            }
        };
        if status != sys::Status::napi_ok {
            return Err(napi::Error::new(Status::from(status), self.message()));
        }
        let mut obj = Object::from_raw(env.raw(), raw);
        match self {
            Failure::Core(CoreError::Io {
                path,
                errno,
                syscall,
                ..
            }) => {
                if let Some(n) = errno {
                    obj.set("errno", *n)?;
                }
                obj.set("syscall", syscall.as_str())?;
                obj.set("path", path.as_str())?;
            }
            Failure::Core(CoreError::NotFile { path, .. }) => obj.set("path", path.as_str())?,
            Failure::Core(CoreError::Snapshot { offset, .. }) => {
                obj.set("offset", *offset as f64)?
            }
            _ => {}
        }
        Ok(obj)
    }

    /// Throws the error now (a synchronous call); the returned error tells napi-rs one is
    /// pending.
    pub fn throw(&self, env: &Env) -> napi::Error {
        match self.to_js(env) {
            Ok(obj) => {
                let _ = env.throw(obj);
                napi::Error::new(Status::PendingException, self.message())
            }
            Err(e) => e,
        }
    }

    /// The error a Promise rejects with (the `reject` half of a task).
    pub fn reject(&self, env: &Env) -> napi::Error {
        match self.to_js(env) {
            Ok(obj) => napi::Error::from(obj.to_unknown()),
            Err(e) => e,
        }
    }
}

impl From<CoreError> for Failure {
    fn from(e: CoreError) -> Self {
        Failure::Core(e)
    }
}

/// Throws a `TypeError` with `code` now; the returned error tells napi-rs one is pending.
pub fn throw_type_error(env: &Env, message: &str, code: &str) -> napi::Error {
    let _ = env.throw_type_error(message, Some(code));
    napi::Error::new(napi::Status::PendingException, message.to_string())
}

/// Throws a `RangeError` with `code` now; the returned error tells napi-rs one is pending.
pub fn throw_range_error(env: &Env, message: &str, code: &str) -> napi::Error {
    let _ = env.throw_range_error(message, Some(code));
    napi::Error::new(napi::Status::PendingException, message.to_string())
}
