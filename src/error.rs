//! The one conversion from core errors to JavaScript errors.

use leakguard_core::CoreError;

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
