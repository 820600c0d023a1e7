//! Loads `libstorefront_checkout` with libloading and calls it through its C ABI, exactly as
//! a PHP, Python or Node host does. Shared by the quickstart and the integration tests.

#![allow(dead_code)]

use libloading::Library;
use serde_json::Value;
use std::ffi::{c_char, c_void, CStr, CString};
use std::path::{Path, PathBuf};
use std::ptr;
use std::sync::mpsc;

/// The opaque `CheckoutClient`.
#[repr(C)]
pub struct RawClient {
    _private: [u8; 0],
}

pub type OpFn = unsafe extern "C" fn(*const RawClient, *const c_char, *mut *mut c_char) -> i32;
pub type VerifyFn = unsafe extern "C" fn(*const RawClient, *const c_char, *const u8, usize, *mut *mut c_char) -> i32;
pub type ClientNewFn = unsafe extern "C" fn(*const c_char, *mut *mut RawClient, *mut *mut c_char) -> i32;
/// `CheckoutCallback`: `(user_data, status, result_json)`, on one of the library's threads.
pub type Callback = unsafe extern "C" fn(*mut c_void, i32, *const c_char);
/// The asynchronous operations: `int32_t op_async(client, request_json, callback, user_data)`.
pub type AsyncOpFn = unsafe extern "C" fn(*const RawClient, *const c_char, Option<Callback>, *mut c_void) -> i32;
/// An asynchronous call's outcome: its status and `result_json` text.
pub type Outcome = (i32, String);

/// The operations with the shape `int32_t op(client, request_json, out_json)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Create,
    Get,
    Complete,
    RedirectUrl,
    WebComponentToken,
    Refund,
    Refunds,
    Void,
}

impl Op {
    pub const ALL: [Op; 8] =
        [Op::Create, Op::Get, Op::Complete, Op::RedirectUrl, Op::WebComponentToken, Op::Refund, Op::Refunds, Op::Void];
}

/// The library and its exports.
pub struct CheckoutLib {
    pub version: unsafe extern "C" fn() -> *const c_char,
    pub client_new: ClientNewFn,
    pub client_free: unsafe extern "C" fn(*mut RawClient),
    pub string_free: unsafe extern "C" fn(*mut c_char),
    pub create: OpFn,
    pub get: OpFn,
    pub complete: OpFn,
    pub redirect_url: OpFn,
    pub web_component_token: OpFn,
    pub refund: OpFn,
    pub refunds: OpFn,
    pub void: OpFn,
    pub webhook_verify: VerifyFn,
    pub create_async: AsyncOpFn,
    pub get_async: AsyncOpFn,
    pub complete_async: AsyncOpFn,
    pub redirect_url_async: AsyncOpFn,
    pub web_component_token_async: AsyncOpFn,
    pub refund_async: AsyncOpFn,
    pub refunds_async: AsyncOpFn,
    pub void_async: AsyncOpFn,
    pub async_wait_idle: unsafe extern "C" fn(u64) -> i32,
    pub path: PathBuf,
    _lib: Library,
}

/// `libstorefront_checkout.so` (`.dylib`, `.dll`).
pub fn library_file_name() -> String {
    format!("{}storefront_checkout{}", std::env::consts::DLL_PREFIX, std::env::consts::DLL_SUFFIX)
}

/// The built shared library: `STOREFRONT_CHECKOUT_LIB` when set; else beside this program,
/// one folder up, or in `deps/` (where cargo leaves it when it has not copied it up).
pub fn locate() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os("STOREFRONT_CHECKOUT_LIB") {
        return Ok(PathBuf::from(p));
    }
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let dir = exe.parent().ok_or("no folder for this program")?;
    let name = library_file_name();
    let candidates = [dir.join(&name), dir.join("..").join(&name), dir.join("..").join("deps").join(&name)];
    candidates.iter().find(|p| p.is_file()).cloned().ok_or_else(|| {
        format!("{name} not found near {}; build it with `cargo build` or set STOREFRONT_CHECKOUT_LIB", dir.display())
    })
}

impl CheckoutLib {
    pub fn load(path: &Path) -> Result<CheckoutLib, String> {
        // SAFETY: loading our own library runs no initialisers (it does nothing at load time),
        // and each symbol is read with the signature the header declares.
        unsafe {
            let lib = Library::new(path).map_err(|e| format!("{}: {e}", path.display()))?;
            macro_rules! sym {
                ($name:literal) => {
                    *lib.get($name).map_err(|e| format!("{}: {e}", String::from_utf8_lossy($name)))?
                };
            }
            Ok(CheckoutLib {
                version: sym!(b"checkout_version"),
                client_new: sym!(b"checkout_client_new"),
                client_free: sym!(b"checkout_client_free"),
                string_free: sym!(b"checkout_string_free"),
                create: sym!(b"checkout_create"),
                get: sym!(b"checkout_get"),
                complete: sym!(b"checkout_complete"),
                redirect_url: sym!(b"session_redirect_url"),
                web_component_token: sym!(b"checkout_web_component_token"),
                refund: sym!(b"checkout_refund"),
                refunds: sym!(b"checkout_refunds"),
                void: sym!(b"checkout_void"),
                webhook_verify: sym!(b"checkout_webhook_verify"),
                create_async: sym!(b"checkout_create_async"),
                get_async: sym!(b"checkout_get_async"),
                complete_async: sym!(b"checkout_complete_async"),
                redirect_url_async: sym!(b"session_redirect_url_async"),
                web_component_token_async: sym!(b"checkout_web_component_token_async"),
                refund_async: sym!(b"checkout_refund_async"),
                refunds_async: sym!(b"checkout_refunds_async"),
                void_async: sym!(b"checkout_void_async"),
                async_wait_idle: sym!(b"checkout_async_wait_idle"),
                path: path.to_owned(),
                _lib: lib,
            })
        }
    }

    pub fn op(&self, op: Op) -> OpFn {
        match op {
            Op::Create => self.create,
            Op::Get => self.get,
            Op::Complete => self.complete,
            Op::RedirectUrl => self.redirect_url,
            Op::WebComponentToken => self.web_component_token,
            Op::Refund => self.refund,
            Op::Refunds => self.refunds,
            Op::Void => self.void,
        }
    }

    pub fn op_async(&self, op: Op) -> AsyncOpFn {
        match op {
            Op::Create => self.create_async,
            Op::Get => self.get_async,
            Op::Complete => self.complete_async,
            Op::RedirectUrl => self.redirect_url_async,
            Op::WebComponentToken => self.web_component_token_async,
            Op::Refund => self.refund_async,
            Op::Refunds => self.refunds_async,
            Op::Void => self.void_async,
        }
    }

    pub fn version(&self) -> String {
        // SAFETY: checkout_version returns a static NUL-terminated string.
        unsafe { CStr::from_ptr((self.version)()).to_string_lossy().into_owned() }
    }

    /// Takes ownership of an `out_json` string: its text, then `checkout_string_free`.
    pub fn take_string(&self, s: *mut c_char) -> Option<String> {
        if s.is_null() {
            return None;
        }
        // SAFETY: `s` came from the library and is freed exactly once, here.
        unsafe {
            let text = CStr::from_ptr(s).to_string_lossy().into_owned();
            (self.string_free)(s);
            Some(text)
        }
    }

    /// `checkout_client_new` with raw bytes: the status, the handle (or NULL) and the
    /// error text, if any.
    pub fn client_new_raw(&self, config: Option<&[u8]>) -> (i32, *mut RawClient, Option<String>) {
        let config = config.map(|c| CString::new(c).expect("no NUL inside"));
        let mut client = ptr::null_mut();
        let mut out = ptr::null_mut();
        // SAFETY: valid pointers or NULL, as the header allows.
        let code =
            unsafe { (self.client_new)(config.as_ref().map_or(ptr::null(), |c| c.as_ptr()), &mut client, &mut out) };
        (code, client, self.take_string(out))
    }

    /// A client from a configuration object, or the error object.
    pub fn client(&self, config: &Value) -> Result<HostClient<'_>, Value> {
        let (code, raw, text) = self.client_new_raw(Some(config.to_string().as_bytes()));
        if code == 0 {
            assert!(text.is_none(), "out_json must be NULL on success");
            Ok(HostClient { lib: self, raw })
        } else {
            assert!(raw.is_null(), "client_out must be NULL on failure");
            Err(serde_json::from_str(&text.expect("error object on failure")).expect("error object is JSON"))
        }
    }

    /// An operation with raw bytes: the status and the `out_json` text.
    pub fn call_raw(&self, op: Op, client: *const RawClient, request: Option<&[u8]>) -> (i32, Option<String>) {
        let request = request.map(|r| CString::new(r).expect("no NUL inside"));
        let mut out = ptr::null_mut();
        // SAFETY: valid pointers or NULL, as the header allows.
        let code = unsafe { (self.op(op))(client, request.as_ref().map_or(ptr::null(), |r| r.as_ptr()), &mut out) };
        (code, self.take_string(out))
    }
}

/// A live `CheckoutClient`, freed on drop.
pub struct HostClient<'a> {
    lib: &'a CheckoutLib,
    pub raw: *mut RawClient,
}

// SAFETY: the library documents `CheckoutClient` as thread-safe (Send + Sync).
unsafe impl Send for HostClient<'_> {}
unsafe impl Sync for HostClient<'_> {}

impl HostClient<'_> {
    /// Calls `op` with `request`: the result, or `(status, error object)`.
    pub fn call(&self, op: Op, request: &Value) -> Result<Value, (i32, Value)> {
        let (code, text) = self.lib.call_raw(op, self.raw, Some(request.to_string().as_bytes()));
        let json: Value = serde_json::from_str(&text.expect("out_json is always set")).expect("out_json is JSON");
        if code == 0 {
            Ok(json)
        } else {
            Err((code, json))
        }
    }
}

impl HostClient<'_> {
    /// `checkout_webhook_verify` with `headers` and the raw `body`: the event, or
    /// `(status, error object)`.
    pub fn verify(&self, headers: &Value, body: &[u8]) -> Result<Value, (i32, Value)> {
        let headers = CString::new(headers.to_string()).expect("no NUL inside");
        let mut out = ptr::null_mut();
        // SAFETY: valid pointers; `body` is valid for its length.
        let code =
            unsafe { (self.lib.webhook_verify)(self.raw, headers.as_ptr(), body.as_ptr(), body.len(), &mut out) };
        let json: Value =
            serde_json::from_str(&self.lib.take_string(out).expect("out_json is always set")).expect("JSON");
        if code == 0 {
            Ok(json)
        } else {
            Err((code, json))
        }
    }
}

/// The callback given to the asynchronous exports: `user_data` is a boxed channel sender,
/// taken back here (the callback runs exactly once per started call).
unsafe extern "C" fn deliver(user_data: *mut c_void, status: i32, result_json: *const c_char) {
    let tx = Box::from_raw(user_data.cast::<mpsc::Sender<Outcome>>());
    let text = CStr::from_ptr(result_json).to_string_lossy().into_owned();
    tx.send((status, text)).ok();
}

impl HostClient<'_> {
    /// Starts `op` with `request` through its `*_async` export; the outcome arrives on `tx`.
    /// Returns the start status (on anything but 0 nothing arrives).
    pub fn start(&self, op: Op, request: &Value, tx: mpsc::Sender<Outcome>) -> i32 {
        let request = CString::new(request.to_string()).expect("no NUL inside");
        self.start_raw(op, request.as_ptr(), tx)
    }

    /// As [`HostClient::start`] with the request as a raw pointer (NULL allowed).
    pub fn start_raw(&self, op: Op, request: *const c_char, tx: mpsc::Sender<Outcome>) -> i32 {
        let data = Box::into_raw(Box::new(tx));
        // SAFETY: the callback takes `data` back exactly once; on a failed start it is never
        // called, so `data` is freed here instead.
        unsafe {
            let code = (self.lib.op_async(op))(self.raw, request, Some(deliver), data.cast());
            if code != 0 {
                drop(Box::from_raw(data));
            }
            code
        }
    }

    /// Frees the handle now, whatever is in flight (as `checkout_client_free` allows).
    pub fn free(self) {}
}

impl Drop for HostClient<'_> {
    fn drop(&mut self) {
        // SAFETY: `raw` came from checkout_client_new and is freed once.
        unsafe { (self.lib.client_free)(self.raw) }
    }
}
