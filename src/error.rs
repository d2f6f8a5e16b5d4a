//! The conversions from core errors to JavaScript errors.

use leakguard_core::CoreError;
use napi::Env;

/// Wrapper so the orphan rule lets us implement `From` for `napi::Error`.
pub struct JsError(pub CoreError);

impl From<CoreError> for JsError {
    fn from(e: CoreError) -> Self {
        JsError(e)
    }
}

impl From<JsError> for napi::Error {
    fn from(JsError(e): JsError) -> Self {
        match e {
            CoreError::InvalidArgument(msg) => napi::Error::new(napi::Status::InvalidArg, msg),
            e @ (CoreError::Snapshot { .. } | CoreError::Io { .. }) => {
                napi::Error::new(napi::Status::GenericFailure, e.to_string())
            }
        }
    }
}

/// Shorthand used by every exported function.
pub fn to_napi(e: CoreError) -> napi::Error {
    JsError(e).into()
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
