//! A weak reference to a JavaScript object that a minor GC clears: a Node-API reference of count
//! zero (a weak V8 global handle), which V8's scavenger treats as weak. `WeakRef` and
//! `FinalizationRegistry` targets are held strongly by the scavenger before V8 14 (Node 20-24),
//! so every object watched that way survived its young generation, was promoted, and could be
//! seen dead only after a full GC: a closed socket in a jest test made the file's end pay one.

use napi::bindgen_prelude::*;
use napi::sys;
use napi_derive::napi;
use std::ptr;

/// `new NativeWeakRef(target).deref()`: the target, or `undefined` once it was collected.
#[napi]
pub struct NativeWeakRef {
    env: sys::napi_env,
    reference: sys::napi_ref,
}

#[napi]
impl NativeWeakRef {
    #[napi(constructor)]
    pub fn new(env: Env, target: Unknown) -> Result<Self> {
        let mut reference: sys::napi_ref = ptr::null_mut();
        // SAFETY: `target` is a live value of this call's env; the reference is deleted in Drop.
        let status =
            unsafe { sys::napi_create_reference(env.raw(), target.raw(), 0, &mut reference) };
        if status != sys::Status::napi_ok || reference.is_null() {
            return Err(Error::new(
                Status::InvalidArg,
                "NativeWeakRef: the target must be an object or a function",
            ));
        }
        Ok(NativeWeakRef {
            env: env.raw(),
            reference,
        })
    }

    /// The target, or `undefined` when it has been collected.
    #[napi(ts_return_type = "object | undefined")]
    pub fn deref(&self, env: Env) -> Result<Either<Unknown<'_>, Undefined>> {
        let mut value: sys::napi_value = ptr::null_mut();
        // SAFETY: the reference belongs to `env` (a class instance lives in one env) and is
        // deleted only in Drop.
        let status =
            unsafe { sys::napi_get_reference_value(env.raw(), self.reference, &mut value) };
        if status != sys::Status::napi_ok || value.is_null() {
            return Ok(Either::B(()));
        }
        // SAFETY: `value` is a handle of this call's scope.
        Ok(Either::A(unsafe {
            Unknown::from_raw_unchecked(env.raw(), value)
        }))
    }
}

impl Drop for NativeWeakRef {
    fn drop(&mut self) {
        // Runs in the wrapper's finalizer (outside the GC), the env still alive.
        // SAFETY: the reference was created in `self.env` and is deleted once.
        unsafe {
            sys::napi_delete_reference(self.env, self.reference);
        }
    }
}
