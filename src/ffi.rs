//! The C ABI (docs/contract.md §2–§3, §8). Every export runs inside [`boundary`], one panic
//! boundary that turns a panic into `CHECKOUT_ERR_INTERNAL`, and reads its arguments through
//! the conversions here: NULL checks, UTF-8 checks and JSON parsing are written once. The
//! `*_async` exports run the same operations on the library's I/O threads (`workers`).

use crate::client::{Client, Operation};
use crate::error::{Error, Result, Status, CHECKOUT_ERR_INTERNAL, CHECKOUT_ERR_NULL_ARGUMENT, CHECKOUT_OK};
use crate::fields::json_object;
use crate::workers::{self, Task};
use serde_json::{Map, Value};
use std::ffi::{c_char, c_void, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;
use std::sync::Arc;
use std::time::Instant;

/// An opaque handle to a configured client. Thread-safe: one handle may be used from many
/// threads at once. Create with `checkout_client_new`, release with `checkout_client_free`.
pub struct CheckoutClient {
    /// Shared with the asynchronous calls in flight, which keep it alive past a free.
    inner: Arc<Client>,
    /// The handle's lane on the I/O threads: its `max_in_flight` bound.
    lane: u64,
}

/// The completion of an asynchronous call (`checkout_create_async`, ...), called exactly once
/// per call that was started, on one of the library's I/O threads (never the thread that
/// started the call; possibly before the start function has returned):
/// - `user_data`: the pointer given when the call was started, untouched;
/// - `status`: `CHECKOUT_OK` or a `CHECKOUT_ERR_*` code, as the synchronous export returns;
/// - `result_json`: the result or the error object, NUL-terminated JSON that the library
///   owns and frees when the callback returns: copy it to keep it, never free it.
///
/// The callback must not block (nor wait for another asynchronous call of the library): the
/// thread that runs it serves other calls afterwards. It must not unwind (throw a C++
/// exception or longjmp) into the library.
pub type CheckoutCallback =
    Option<unsafe extern "C" fn(user_data: *mut c_void, status: i32, result_json: *const c_char)>;

/// The panic boundary every export runs in: `body`'s value, or `on_panic` if it panicked
/// (unwinding into a C, PHP or Python host is undefined behaviour).
pub(crate) fn boundary<R>(on_panic: R, body: impl FnOnce() -> R) -> R {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(on_panic)
}

/// Runs `body` behind the panic boundary and writes its outcome to `*out_json`: the result
/// on success, the error object otherwise (`CHECKOUT_ERR_INTERNAL` for a panic). Returns
/// the status code.
///
/// # Safety
/// `out_json` must be NULL or valid for one pointer write.
unsafe fn guard(out_json: *mut *mut c_char, body: impl FnOnce() -> Result<String>) -> i32 {
    if out_json.is_null() {
        return CHECKOUT_ERR_NULL_ARGUMENT;
    }
    *out_json = ptr::null_mut();
    let (code, text) = outcome(body);
    *out_json = owned_string(text);
    code
}

/// `body`'s status code and JSON text (the result, or the error object), behind the panic
/// boundary.
fn outcome(body: impl FnOnce() -> Result<String>) -> (i32, String) {
    match boundary(Err(Error::caught_panic()), body) {
        Ok(json) => (CHECKOUT_OK, json),
        Err(e) => (e.status.code(), e.to_json()),
    }
}

/// A string the caller owns, to free with `checkout_string_free`. JSON text has no NUL
/// bytes (serde_json escapes them), so the conversion cannot fail in practice.
fn owned_string(text: String) -> *mut c_char {
    CString::new(text).map(CString::into_raw).unwrap_or(ptr::null_mut())
}

/// The NUL-terminated UTF-8 string at `p`, named `name` in errors.
///
/// # Safety
/// `p` must be NULL or point to a NUL-terminated string that outlives the call.
unsafe fn str_arg<'a>(p: *const c_char, name: &str) -> Result<&'a str> {
    text_arg((!p.is_null()).then(|| CStr::from_ptr(p)), name)
}

/// The UTF-8 text of `s` (`None` for a NULL pointer), named `name` in errors.
fn text_arg<'a>(s: Option<&'a CStr>, name: &str) -> Result<&'a str> {
    let s = s.ok_or_else(|| Error::new(Status::NullArgument, format!("{name}: must not be NULL")))?;
    s.to_str().map_err(|e| {
        Error::new(Status::InvalidUtf8, format!("{name}: is not valid UTF-8 (at byte {})", e.valid_up_to()))
    })
}

/// The JSON object in `p`.
///
/// # Safety
/// As [`str_arg`].
unsafe fn object_arg(p: *const c_char, name: &str) -> Result<Map<String, Value>> {
    json_object(str_arg(p, name)?, name)
}

/// The client behind a handle.
///
/// # Safety
/// `p` must be NULL or a handle from `checkout_client_new` not yet freed.
unsafe fn client_arg<'a>(p: *const CheckoutClient) -> Result<&'a Client> {
    p.as_ref().map(|c| &*c.inner).ok_or_else(|| Error::new(Status::NullArgument, "client: must not be NULL"))
}

/// One operation: the handle, the request object, the result as JSON text.
///
/// # Safety
/// As [`client_arg`], [`object_arg`] and [`guard`].
unsafe fn operation(
    client: *const CheckoutClient,
    request_json: *const c_char,
    out_json: *mut *mut c_char,
    op: Operation,
) -> i32 {
    guard(out_json, || client_arg(client)?.json(op, object_arg(request_json, "request_json")?))
}

/// The library's version, Cargo.toml's (e.g. `"0.1.0"`; `STOREFRONT_CHECKOUT_VERSION` in the
/// header): a static string, never NULL, that the caller must not free.
#[no_mangle]
pub extern "C" fn checkout_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// Creates a client from `config_json`, a JSON object (docs/contract.md §5).
///
/// On `CHECKOUT_OK`, `*client_out` is a handle the caller owns and must release with
/// `checkout_client_free`, and `*out_json` is NULL. On failure `*client_out` is NULL and
/// `*out_json` is an error object the caller owns and must free with
/// `checkout_string_free`. `out_json` may be NULL when the error text is not wanted;
/// `config_json` and `client_out` must not be NULL (`CHECKOUT_ERR_NULL_ARGUMENT`).
///
/// # Safety
/// `config_json` must be NULL or a NUL-terminated string; `client_out` and `out_json` must
/// be NULL or valid for one pointer write.
#[no_mangle]
pub unsafe extern "C" fn checkout_client_new(
    config_json: *const c_char,
    client_out: *mut *mut CheckoutClient,
    out_json: *mut *mut c_char,
) -> i32 {
    let mut error_text: *mut c_char = ptr::null_mut();
    let code = guard(&mut error_text, || {
        if client_out.is_null() {
            return Err(Error::new(Status::NullArgument, "client_out: must not be NULL"));
        }
        *client_out = ptr::null_mut();
        let client = Client::new(object_arg(config_json, "config_json")?)?;
        *client_out = Box::into_raw(Box::new(CheckoutClient { inner: Arc::new(client), lane: workers::new_lane() }));
        Ok(String::new())
    });
    if code == CHECKOUT_OK || out_json.is_null() {
        checkout_string_free(error_text);
    } else {
        *out_json = error_text;
    }
    code
}

/// Releases a client. Calling with NULL is fine. The handle must not be used afterwards,
/// nor while another thread is still inside a synchronous call with it. Asynchronous calls
/// still in flight (running or queued) are safe: they keep what they need, run to their end,
/// and call their callbacks; the client's memory is released when the last one has. The log
/// callback is cleared first, as `checkout_client_set_log_callback` with NULL does: none runs
/// after this returns. Must not be called from the client's own log callback.
///
/// # Safety
/// `client` must be NULL or a handle from `checkout_client_new` not yet freed.
#[no_mangle]
pub unsafe extern "C" fn checkout_client_free(client: *mut CheckoutClient) {
    if !client.is_null() {
        boundary((), || {
            let client = Box::from_raw(client);
            // No log callback after this returns, even from the asynchronous calls in flight.
            client.inner.set_log_callback(None, ptr::null_mut(), false);
            drop(client)
        });
    }
}

/// Creates a checkout. `request_json`: amount (minor units) or line_items, currency,
/// description, origin_url, metadata, provider_options, ... (docs/contract.md §7). On
/// `CHECKOUT_OK`, `*out_json` is the unified checkout; otherwise an error object. Either way
/// the caller owns `*out_json` and must free it with `checkout_string_free`. NULL `client`
/// or `request_json` is `CHECKOUT_ERR_NULL_ARGUMENT`; NULL `out_json` returns that status
/// with nothing written.
///
/// # Safety
/// `client` must be NULL or a live handle; `request_json` NULL or a NUL-terminated string;
/// `out_json` NULL or valid for one pointer write.
#[no_mangle]
pub unsafe extern "C" fn checkout_create(
    client: *const CheckoutClient,
    request_json: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    operation(client, request_json, out_json, Operation::Create)
}

/// Reads a checkout: `{"checkout_id": "..."}`, or for JustiFi's hosted-session flow
/// `{"payment_intent_id": "pi_..."}`. `*out_json` is the unified checkout or an error object,
/// owned by the caller (free with `checkout_string_free`). NULL handling as
/// `checkout_create`.
///
/// # Safety
/// As `checkout_create`.
#[no_mangle]
pub unsafe extern "C" fn checkout_get(
    client: *const CheckoutClient,
    request_json: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    operation(client, request_json, out_json, Operation::Get)
}

/// Pays a checkout with a payment method token: `checkout_id`, `payment_token`,
/// `payment_mode`, `idempotency_key` (generated when absent, and returned). A decline is
/// `CHECKOUT_OK` with `payment_status: "failed"`. Errors carry the idempotency key to call
/// again with; the same key never charges twice. `*out_json` is owned by the caller (free
/// with `checkout_string_free`). NULL handling as `checkout_create`.
///
/// # Safety
/// As `checkout_create`.
#[no_mangle]
pub unsafe extern "C" fn checkout_complete(
    client: *const CheckoutClient,
    request_json: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    operation(client, request_json, out_json, Operation::Complete)
}

/// The provider's hosted payment page: `{"url", "expires_at", "payment_intent_id"?,
/// "provider_data"}` for `checkout_id`, or (JustiFi) a checkout session for
/// `payment_intent_id` or `amount`+`currency`+`description`, with `success_url` and
/// `cancel_url`. `*out_json` is owned by the caller (free with `checkout_string_free`).
/// NULL handling as `checkout_create`.
///
/// # Safety
/// As `checkout_create`.
#[no_mangle]
pub unsafe extern "C" fn session_redirect_url(
    client: *const CheckoutClient,
    request_json: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    operation(client, request_json, out_json, Operation::RedirectUrl)
}

/// JustiFi only: a web component token for `{"checkout_id"}`, as
/// `{"access_token", "expires_in" (seconds), "html"}`; other providers answer
/// `CHECKOUT_ERR_UNSUPPORTED`. `*out_json` is owned by the caller (free with
/// `checkout_string_free`). NULL handling as `checkout_create`.
///
/// # Safety
/// As `checkout_create`.
#[no_mangle]
pub unsafe extern "C" fn checkout_web_component_token(
    client: *const CheckoutClient,
    request_json: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    operation(client, request_json, out_json, Operation::WebComponentToken)
}

/// Frees a string returned through an `out_json` parameter. Calling with NULL is fine;
/// never pass it to `free()`, nor free one string twice.
///
/// # Safety
/// `s` must be NULL or a string from this library not yet freed.
#[no_mangle]
pub unsafe extern "C" fn checkout_string_free(s: *mut c_char) {
    if !s.is_null() {
        boundary((), || drop(CString::from_raw(s)));
    }
}

/// Verifies a webhook delivery and returns its normalized event:
/// `{"provider", "event_id", "type", "object_id", "checkout_id", "payment_status", "data"}`.
/// `headers_json` is a JSON object of the request's headers (names in any case; a value is a
/// string, or an array of strings); `body` points to the `body_len` raw bytes as received
/// (NULL is fine when `body_len` is 0). A signature, timestamp or body that fails a check is
/// `CHECKOUT_ERR_SIGNATURE`, with a message saying which; no `webhook_secrets` configured is
/// `CHECKOUT_ERR_CONFIG`. `*out_json` is owned by the caller (free with
/// `checkout_string_free`). NULL `client` or `headers_json` is `CHECKOUT_ERR_NULL_ARGUMENT`;
/// NULL `out_json` returns that status with nothing written.
///
/// # Safety
/// `client` must be NULL or a live handle; `headers_json` NULL or a NUL-terminated string;
/// `body` NULL or valid for `body_len` bytes; `out_json` NULL or valid for one pointer write.
#[no_mangle]
pub unsafe extern "C" fn checkout_webhook_verify(
    client: *const CheckoutClient,
    headers_json: *const c_char,
    body: *const u8,
    body_len: usize,
    out_json: *mut *mut c_char,
) -> i32 {
    guard(out_json, || {
        let client = client_arg(client)?;
        let headers = str_arg(headers_json, "headers_json")?;
        let body = match (body.is_null(), body_len) {
            (true, 0) => &[][..],
            (true, _) => return Err(Error::new(Status::NullArgument, "body: must not be NULL when body_len > 0")),
            (false, len) => std::slice::from_raw_parts(body, len),
        };
        client.verify_webhook_json(headers, body)
    })
}

/// The log callback (docs/contract.md, "Logging"): called with one record, `len` bytes of
/// UTF-8 JSON (also NUL-terminated) that the library owns until the callback returns: copy it
/// to keep it, never free it. `user_data` is the pointer given with the callback, untouched.
/// The callback must not unwind into the library, nor free the client it was given for; it
/// may call the library (its own records are then delivered to it too).
pub type CheckoutLogCallback =
    Option<unsafe extern "C" fn(user_data: *mut c_void, record_json: *const c_char, len: usize)>;

/// A `checkout_client_set_log_callback` flag: the records of asynchronous calls are not given
/// to the callback on the library's I/O threads but kept in the client (at most 1000; beyond
/// that the oldest are dropped, and counted in a `log_records_dropped` record), until
/// `checkout_client_flush_log` delivers them on the thread that calls it. For hosts whose
/// callbacks cannot run on a foreign thread (Node through koffi, PHP).
pub const CHECKOUT_LOG_DEFER_ASYNC: u32 = 1;

/// Sets the client's log callback, replacing any previous one, or clears it when `callback` is
/// NULL (docs/contract.md, "Logging"). The callback receives one JSON record per HTTP attempt,
/// one when an ambiguous payment or refund is settled by a read, and one when an operation
/// fails; no record ever holds a secret, a token, a header value other than the idempotency
/// key, or a body.
///
/// Threads: the records of a synchronous call are delivered on the thread that made the call,
/// before it returns; those of an asynchronous (`*_async`) call on the library's I/O thread
/// running it, before its completion callback (or, with `CHECKOUT_LOG_DEFER_ASYNC` in `flags`,
/// kept for `checkout_client_flush_log`). Calls with the client may run on several threads at
/// once, so the callback may run on several threads at once.
///
/// When this returns, no callback of the previous registration is running or will start on
/// another thread (it waits for those running to return; called from inside the callback, it
/// does not wait for that one). Deferred records not yet flushed are dropped.
/// `checkout_client_free` clears the callback the same way before releasing the client, so no
/// callback runs after it returns, even for asynchronous calls still in flight.
///
/// Returns `CHECKOUT_OK`; `CHECKOUT_ERR_NULL_ARGUMENT` for a NULL `client`;
/// `CHECKOUT_ERR_INVALID_REQUEST` for an unknown bit in `flags` (nothing changed). It returns no
/// string (the caller owns nothing new).
///
/// # Safety
/// `client` must be NULL or a live handle; `callback` NULL or a function safe to call with
/// `user_data` from any thread that makes calls with the client, until a later call of this
/// function (or `checkout_client_free`) has returned.
#[no_mangle]
pub unsafe extern "C" fn checkout_client_set_log_callback(
    client: *const CheckoutClient,
    callback: CheckoutLogCallback,
    user_data: *mut c_void,
    flags: u32,
) -> i32 {
    boundary(CHECKOUT_ERR_INTERNAL, || {
        let Some(handle) = client.as_ref() else { return CHECKOUT_ERR_NULL_ARGUMENT };
        if flags & !CHECKOUT_LOG_DEFER_ASYNC != 0 {
            return Status::InvalidRequest.code();
        }
        handle.inner.set_log_callback(callback, user_data, flags & CHECKOUT_LOG_DEFER_ASYNC != 0);
        CHECKOUT_OK
    })
}

/// Delivers the log records of asynchronous calls kept under `CHECKOUT_LOG_DEFER_ASYNC` to the
/// client's callback, on this thread, oldest first (none when no callback is set). A host calls
/// it on its own thread, e.g. from each completion it handles there, so that an asynchronous
/// call's records reach it before its result. Returns `CHECKOUT_OK`, or
/// `CHECKOUT_ERR_NULL_ARGUMENT` for a NULL `client`; it returns no string (the caller owns
/// nothing new; each record is the library's until its callback returns).
///
/// # Safety
/// `client` must be NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn checkout_client_flush_log(client: *const CheckoutClient) -> i32 {
    boundary(CHECKOUT_ERR_INTERNAL, || match client.as_ref() {
        Some(handle) => {
            handle.inner.flush_log();
            CHECKOUT_OK
        }
        None => CHECKOUT_ERR_NULL_ARGUMENT,
    })
}

/// A host's `user_data` pointer, carried to the I/O thread that calls the callback with it.
struct UserData(*mut c_void);

// SAFETY: the library never dereferences it; the header tells the host that the callback
// receives it on another thread.
unsafe impl Send for UserData {}

impl UserData {
    fn get(&self) -> *mut c_void {
        self.0
    }
}

/// Starts `op` on an I/O thread. The request text is copied before this returns; parsing,
/// checking and the provider's round trips happen on the I/O thread, and every outcome after
/// a successful start (a bad request included) reaches `callback`.
///
/// # Safety
/// `client` NULL or a live handle; `request_json` NULL or a NUL-terminated string; `callback`
/// NULL or a function that may be called from another thread with `user_data`.
unsafe fn start(
    client: *const CheckoutClient,
    request_json: *const c_char,
    callback: CheckoutCallback,
    user_data: *mut c_void,
    op: Operation,
) -> i32 {
    boundary(CHECKOUT_ERR_INTERNAL, || {
        let (Some(handle), Some(callback)) = (client.as_ref(), callback) else {
            return CHECKOUT_ERR_NULL_ARGUMENT;
        };
        let since = Instant::now();
        let request = (!request_json.is_null()).then(|| CStr::from_ptr(request_json).to_owned());
        let client = Arc::clone(&handle.inner);
        let user_data = UserData(user_data);
        let task = Task {
            lane: handle.lane,
            max_in_flight: client.max_in_flight(),
            work: Box::new(move || {
                outcome(|| {
                    let request = json_object(text_arg(request.as_deref(), "request_json")?, "request_json")?;
                    client.json_since(op, request, since)
                })
            }),
            complete: Box::new(move |code, text| {
                let text = CString::new(text).unwrap_or_default();
                // SAFETY: the host gave this callback for this user_data; the text lives
                // until the callback returns.
                unsafe { callback(user_data.get(), code, text.as_ptr()) }
            }),
        };
        match workers::submit(task) {
            Ok(()) => CHECKOUT_OK,
            Err(e) => e.status.code(),
        }
    })
}

/// Refunds a paid checkout: `{"checkout_id", "amount"? (minor units; default: all that is
/// still refundable), "reason"?, "metadata"?, "idempotency_key"?}` (the fields the provider
/// takes: docs/contract.md). `*out_json` is the refund (`status` `pending | succeeded |
/// failed`, `idempotency_key` to call again with, never refunding twice) or an error object
/// carrying the key; an unpaid or fully refunded checkout is `CHECKOUT_ERR_CONFLICT`, more
/// than is refundable `CHECKOUT_ERR_INVALID_REQUEST`, Payfect `CHECKOUT_ERR_UNSUPPORTED`.
/// `*out_json` is owned by the caller (free with `checkout_string_free`). NULL handling as
/// `checkout_create`.
///
/// # Safety
/// As `checkout_create`.
#[no_mangle]
pub unsafe extern "C" fn checkout_refund(
    client: *const CheckoutClient,
    request_json: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    operation(client, request_json, out_json, Operation::Refund)
}

/// A checkout's payment and its refunds: `{"checkout_id"}` → `{"payment_id", "currency",
/// "amount_paid", "amount_refunded", "amount_refundable" (minor units), "refunds": [...]}`.
/// `*out_json` is owned by the caller (free with `checkout_string_free`). NULL handling as
/// `checkout_create`.
///
/// # Safety
/// As `checkout_create`.
#[no_mangle]
pub unsafe extern "C" fn checkout_refunds(
    client: *const CheckoutClient,
    request_json: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    operation(client, request_json, out_json, Operation::Refunds)
}

/// JustiFi only: voids a paid checkout's card payment before it settles (within JustiFi's
/// void window; after it, `CHECKOUT_ERR_CONFLICT`: refund instead): `{"checkout_id",
/// "idempotency_key"?}` → `{"payment_id", "status": "voided", "idempotency_key"}`. Other
/// providers answer `CHECKOUT_ERR_UNSUPPORTED`. `*out_json` is owned by the caller (free with
/// `checkout_string_free`). NULL handling as `checkout_create`.
///
/// # Safety
/// As `checkout_create`.
#[no_mangle]
pub unsafe extern "C" fn checkout_void(
    client: *const CheckoutClient,
    request_json: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    operation(client, request_json, out_json, Operation::Void)
}

/// Starts `checkout_create` without blocking (docs/contract.md §8): `request_json` as for
/// `checkout_create`; the outcome reaches `callback(user_data, status, result_json)` on one
/// of the library's I/O threads, exactly once, with what `checkout_create` would return
/// (the library owns `result_json`, valid until the callback returns). Returns
/// `CHECKOUT_OK` when the call was started (the callback may run before this returns);
/// `CHECKOUT_ERR_NULL_ARGUMENT` for a NULL `client` or `callback`, or `CHECKOUT_ERR_INTERNAL`
/// when no I/O thread could be started: then the callback is never called. A NULL or bad
/// `request_json` is reported through the callback. The caller keeps ownership of
/// `request_json` (copied before this returns) and of `user_data`, which it must keep valid
/// until the callback has run. At most `max_in_flight` calls of one client run at once; the
/// next wait in a queue, and the wait counts against the call's `deadline_ms`.
/// `checkout_client_free` may be called with calls in flight.
///
/// # Safety
/// `client` must be NULL or a live handle; `request_json` NULL or a NUL-terminated string;
/// `callback` NULL or a function safe to call from any thread with `user_data`.
#[no_mangle]
pub unsafe extern "C" fn checkout_create_async(
    client: *const CheckoutClient,
    request_json: *const c_char,
    callback: CheckoutCallback,
    user_data: *mut c_void,
) -> i32 {
    start(client, request_json, callback, user_data, Operation::Create)
}

/// Starts `checkout_get` without blocking; the outcome reaches `callback` on an I/O thread.
/// The library owns `result_json` (valid until the callback returns); NULL handling, threads
/// and queueing as `checkout_create_async`.
///
/// # Safety
/// As `checkout_create_async`.
#[no_mangle]
pub unsafe extern "C" fn checkout_get_async(
    client: *const CheckoutClient,
    request_json: *const c_char,
    callback: CheckoutCallback,
    user_data: *mut c_void,
) -> i32 {
    start(client, request_json, callback, user_data, Operation::Get)
}

/// Starts `checkout_complete` without blocking; the outcome reaches `callback` on an I/O
/// thread. Pass an `idempotency_key` to know it before the call ends: a host that stops
/// waiting still learns the payment's outcome by calling `checkout_complete` again with that
/// key (the call itself always runs to its end). The library owns `result_json` (valid until
/// the callback returns); NULL handling, threads and queueing as `checkout_create_async`.
///
/// # Safety
/// As `checkout_create_async`.
#[no_mangle]
pub unsafe extern "C" fn checkout_complete_async(
    client: *const CheckoutClient,
    request_json: *const c_char,
    callback: CheckoutCallback,
    user_data: *mut c_void,
) -> i32 {
    start(client, request_json, callback, user_data, Operation::Complete)
}

/// Starts `session_redirect_url` without blocking; the outcome reaches `callback` on an I/O
/// thread. The library owns `result_json` (valid until the callback returns); NULL handling,
/// threads and queueing as `checkout_create_async`.
///
/// # Safety
/// As `checkout_create_async`.
#[no_mangle]
pub unsafe extern "C" fn session_redirect_url_async(
    client: *const CheckoutClient,
    request_json: *const c_char,
    callback: CheckoutCallback,
    user_data: *mut c_void,
) -> i32 {
    start(client, request_json, callback, user_data, Operation::RedirectUrl)
}

/// Starts `checkout_web_component_token` without blocking; the outcome reaches `callback` on
/// an I/O thread. The library owns `result_json` (valid until the callback returns); NULL
/// handling, threads and queueing as `checkout_create_async`.
/// (`checkout_webhook_verify` has no asynchronous form: it does no I/O, only a few
/// microseconds of hashing, so calling it on an event loop's thread does not block it.)
///
/// # Safety
/// As `checkout_create_async`.
#[no_mangle]
pub unsafe extern "C" fn checkout_web_component_token_async(
    client: *const CheckoutClient,
    request_json: *const c_char,
    callback: CheckoutCallback,
    user_data: *mut c_void,
) -> i32 {
    start(client, request_json, callback, user_data, Operation::WebComponentToken)
}

/// Starts `checkout_refund` without blocking; the outcome reaches `callback` on an I/O thread. The
/// library owns `result_json` (valid until the callback returns); NULL handling, threads and
/// queueing as `checkout_create_async`.
///
/// # Safety
/// As `checkout_create_async`.
#[no_mangle]
pub unsafe extern "C" fn checkout_refund_async(
    client: *const CheckoutClient,
    request_json: *const c_char,
    callback: CheckoutCallback,
    user_data: *mut c_void,
) -> i32 {
    start(client, request_json, callback, user_data, Operation::Refund)
}

/// Starts `checkout_refunds` without blocking; the outcome reaches `callback` on an I/O thread. The
/// library owns `result_json` (valid until the callback returns); NULL handling, threads and
/// queueing as `checkout_create_async`.
///
/// # Safety
/// As `checkout_create_async`.
#[no_mangle]
pub unsafe extern "C" fn checkout_refunds_async(
    client: *const CheckoutClient,
    request_json: *const c_char,
    callback: CheckoutCallback,
    user_data: *mut c_void,
) -> i32 {
    start(client, request_json, callback, user_data, Operation::Refunds)
}

/// Starts `checkout_void` without blocking; the outcome reaches `callback` on an I/O thread. The
/// library owns `result_json` (valid until the callback returns); NULL handling, threads and
/// queueing as `checkout_create_async`.
///
/// # Safety
/// As `checkout_create_async`.
#[no_mangle]
pub unsafe extern "C" fn checkout_void_async(
    client: *const CheckoutClient,
    request_json: *const c_char,
    callback: CheckoutCallback,
    user_data: *mut c_void,
) -> i32 {
    start(client, request_json, callback, user_data, Operation::Void)
}

/// Waits until no asynchronous call of this process is in flight: every call started has
/// ended and its callback has returned. For a host tearing down the runtime its callbacks run
/// in (Python at interpreter exit), so that no library thread enters it afterwards. Returns
/// `CHECKOUT_OK`, or `CHECKOUT_ERR_TIMEOUT` when calls are still in flight after `timeout_ms`
/// milliseconds. It returns no string (the caller owns nothing new) and takes no pointer (NULL
/// never applies). Must not be called from a callback (it would wait for itself).
#[no_mangle]
pub extern "C" fn checkout_async_wait_idle(timeout_ms: u64) -> i32 {
    boundary(CHECKOUT_ERR_INTERNAL, || {
        if workers::wait_until_drained(std::time::Duration::from_millis(timeout_ms)) {
            CHECKOUT_OK
        } else {
            crate::error::CHECKOUT_ERR_TIMEOUT
        }
    })
}
