//! The log of a client: one structured record per HTTP attempt, one when an ambiguous outcome
//! is settled by a read, one when an operation fails (docs/contract.md, "Logging"). Records go
//! to the host's callback (`checkout_client_set_log_callback`) and, for attempts, to stderr
//! when the `log` configuration key is set. No record holds a header value but the
//! idempotency key, nor a body: no secret, token or card number can reach one.

use super::attempt::Failure;
use super::call::{call_is_queued, call_operation};
use super::{HttpRequest, HttpResponse, Method};
use crate::error::Error;
use serde::Serialize;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::ffi::{c_char, c_void};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// The host's log callback: `callback(user_data, record_json, len)` with one record, `len`
/// bytes of UTF-8 JSON (NUL-terminated too) that the library owns until the callback returns.
pub type LogCallback = unsafe extern "C" fn(user_data: *mut c_void, record_json: *const c_char, len: usize);

/// The most records of asynchronous calls kept for `checkout_client_flush_log` when the host
/// asked for them to be deferred; beyond it the oldest are dropped and counted.
const MAX_DEFERRED_RECORDS: usize = 1000;

/// A record's level: `debug` for an attempt, `info` for an attempt that will be retried and
/// for a settled outcome, `warning` for a failed attempt that is not retried and for a failed
/// operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Debug,
    Info,
    Warning,
}

/// The callback a host registered, with its `user_data`.
#[derive(Clone, Copy)]
struct Target {
    callback: LogCallback,
    user_data: *mut c_void,
    /// Records of asynchronous calls are queued for `checkout_client_flush_log` instead of
    /// being delivered on the I/O threads (hosts that cannot be called from a foreign thread).
    defer_async: bool,
}

/// The callback slot: who to call, how many calls of it are running, the deferred records.
struct Hook {
    target: Option<Target>,
    /// Counts the registrations (`set` calls), so that a flush stops delivering when its
    /// callback's registration is replaced or cleared meanwhile.
    generation: u64,
    running: usize,
    deferred: VecDeque<String>,
    dropped: u64,
}

// SAFETY: the library never dereferences `user_data`; the host that registered the callback
// is told (docs/contract.md) that it is called with it from the threads that make calls.
unsafe impl Send for Hook {}

thread_local! {
    /// The loggers whose callback this thread is running (by address), so that a callback that
    /// clears its own logger waits only for the other threads' callbacks, never for itself.
    static RUNNING_HERE: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
}

/// A client's log: whether attempts go to stderr (`log`), and the host's callback, which any
/// thread may set or clear while others log.
pub struct Logger {
    stderr: bool,
    /// Whether a callback is set: read without the lock, so that a client nobody listens to
    /// builds no record.
    hooked: AtomicBool,
    hook: Mutex<Hook>,
    /// Signalled when a running callback returns, for [`Logger::set`] to wait on.
    idle: Condvar,
}

impl Logger {
    /// A logger writing attempts to stderr when `stderr` (the `log` key), with no callback.
    pub fn new(stderr: bool) -> Logger {
        let hook = Hook { target: None, generation: 0, running: 0, deferred: VecDeque::new(), dropped: 0 };
        Logger { stderr, hooked: AtomicBool::new(false), hook: Mutex::new(hook), idle: Condvar::new() }
    }

    fn lock(&self) -> MutexGuard<'_, Hook> {
        self.hook.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sets (or with `None` clears) the callback, dropping deferred records. Returns when no
    /// callback of the previous registration is running on another thread, so that none runs
    /// after this returns (a callback clearing its own logger does not wait for itself).
    ///
    /// # Safety
    /// `callback` must be safe to call with `user_data` from any thread that makes a call with
    /// the client (and from the thread that flushes) until the next `set` returns.
    pub unsafe fn set(&self, callback: Option<LogCallback>, user_data: *mut c_void, defer_async: bool) {
        let here = RUNNING_HERE.with(|r| r.borrow().iter().filter(|a| **a == self.address()).count());
        let mut hook = self.lock();
        hook.target = callback.map(|callback| Target { callback, user_data, defer_async });
        hook.generation += 1;
        hook.deferred.clear();
        hook.dropped = 0;
        self.hooked.store(hook.target.is_some(), Ordering::Release);
        while hook.running > here {
            hook = self.idle.wait(hook).unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Delivers the deferred records of asynchronous calls to the callback on this thread,
    /// oldest first, preceded by a `log_records_dropped` record when some were dropped. It
    /// stops when the registration changes meanwhile (the callback itself may clear it and
    /// free its `user_data`): no record reaches a callback after its registration ended.
    pub fn flush(&self) {
        let (target, generation, records) = {
            let mut hook = self.lock();
            let Some(target) = hook.target else { return };
            let mut records = Vec::with_capacity(hook.deferred.len() + 1);
            if hook.dropped > 0 {
                let dropped = Dropped { level: Level::Warning, event: "log_records_dropped", count: hook.dropped };
                records.extend(serde_json::to_string(&dropped).ok());
                hook.dropped = 0;
            }
            records.extend(hook.deferred.drain(..));
            hook.running += 1;
            (target, hook.generation, records)
        };
        self.run(|| {
            for record in records {
                if self.lock().generation != generation {
                    break;
                }
                call(target, record);
            }
        });
    }

    /// Whether a record would reach anyone (`stderr` counts for attempts only).
    fn listening(&self) -> bool {
        self.hooked.load(Ordering::Acquire)
    }

    /// Hands `record` to the callback: on this thread, or into the deferred queue for a
    /// queued (asynchronous) call when the host asked for that.
    fn emit(&self, record: &impl Serialize) {
        let Ok(text) = serde_json::to_string(record) else { return };
        let target = {
            let mut hook = self.lock();
            let Some(target) = hook.target else { return };
            if target.defer_async && call_is_queued() {
                if hook.deferred.len() == MAX_DEFERRED_RECORDS {
                    hook.deferred.pop_front();
                    hook.dropped += 1;
                }
                hook.deferred.push_back(text);
                return;
            }
            hook.running += 1;
            target
        };
        self.run(|| call(target, text));
    }

    /// Runs `deliver` (which calls the callback), counted in `running` (already incremented by the
    /// caller) and in this thread's [`RUNNING_HERE`]; wakes [`Logger::set`] afterwards. The
    /// count is released even if `deliver` unwinds.
    fn run(&self, deliver: impl FnOnce()) {
        struct Done<'a>(&'a Logger);
        impl Drop for Done<'_> {
            fn drop(&mut self) {
                RUNNING_HERE.with(|r| {
                    let mut r = r.borrow_mut();
                    if let Some(i) = r.iter().rposition(|a| *a == self.0.address()) {
                        r.swap_remove(i);
                    }
                });
                self.0.lock().running -= 1;
                self.0.idle.notify_all();
            }
        }
        RUNNING_HERE.with(|r| r.borrow_mut().push(self.address()));
        let _done = Done(self);
        deliver();
    }

    fn address(&self) -> usize {
        self as *const Logger as usize
    }

    /// Logs one HTTP attempt: `retry_in` is the wait before the next attempt when it will be
    /// retried. Written to stderr too when `log` is set.
    pub(super) fn attempt(
        &self,
        req: &HttpRequest,
        outcome: &std::result::Result<HttpResponse, Failure>,
        took: Duration,
        attempt: u32,
        retry_in: Option<Duration>,
    ) {
        if !self.stderr && !self.listening() {
            return;
        }
        let path = url::Url::parse(req.url).map(|u| u.path().to_owned()).unwrap_or_default();
        let key = req.headers.iter().find(|(name, _)| name.eq_ignore_ascii_case("Idempotency-Key")).map(|(_, v)| *v);
        let (status, error, request_id) = match outcome {
            Ok(r) => (Some(r.status), None, r.request_id.as_deref()),
            Err(f) => (None, Some(f.error.status.name()), None),
        };
        let failed = error.is_some() || status.is_some_and(|s| s == 429 || s >= 500);
        let level = match retry_in {
            Some(_) => Level::Info,
            None if failed => Level::Warning,
            None => Level::Debug,
        };
        let mut record = Attempt {
            storefront_checkout: None,
            level,
            event: "http_attempt",
            operation: call_operation(),
            method: match req.method {
                Method::Get => "GET",
                Method::Post => "POST",
            },
            path: &path,
            status,
            error,
            ms: took.as_secs_f64() * 1000.0,
            attempt,
            retry_in_ms: retry_in.map(|d| d.as_millis() as u64),
            request_id,
            idempotency_key: key,
        };
        if self.listening() {
            self.emit(&record);
        }
        if self.stderr {
            // The `log` key's line, as before the callback existed: marked for grep.
            record.storefront_checkout = Some("http_attempt");
            if let Ok(line) = serde_json::to_string(&record) {
                eprintln!("{line}");
            }
        }
    }

    /// Logs an ambiguous outcome settled by reading: `confirmed_by` the operation that read
    /// (`checkout_get`, `checkout_refunds`), `outcome` the status the read gave.
    pub fn settled(&self, confirmed_by: &str, checkout_id: &str, outcome: &impl Serialize, key: Option<&str>) {
        if !self.listening() {
            return;
        }
        self.emit(&Settled {
            level: Level::Info,
            event: "outcome_settled",
            operation: call_operation(),
            confirmed_by,
            checkout_id,
            outcome,
            idempotency_key: key,
        });
    }

    /// Logs a failed operation: its error's code (never its message, which may quote what the
    /// provider said), whether it may be retried, the HTTP requests it sent and how long it took.
    pub fn failed(&self, operation: &str, error: &Error, took: Duration) {
        if !self.listening() {
            return;
        }
        self.emit(&Failed {
            level: Level::Warning,
            event: "operation_failed",
            operation,
            error: error.status.name(),
            http_status: error.http_status,
            retryable: error.retryable,
            attempts: error.attempts.unwrap_or(0),
            ms: took.as_secs_f64() * 1000.0,
            request_id: error.request_id.as_deref(),
            idempotency_key: error.idempotency_key.as_deref(),
        });
    }
}

/// Calls the host's callback with one record.
fn call(target: Target, record: String) {
    let Ok(text) = std::ffi::CString::new(record) else { return };
    let len = text.as_bytes().len();
    // SAFETY: the host registered this callback for this user_data (Logger::set's contract);
    // the text lives until the callback returns.
    unsafe { (target.callback)(target.user_data, text.as_ptr(), len) }
}

/// An `http_attempt` record. `level` comes first so that a host may filter on the record's
/// first bytes without parsing it; `storefront_checkout` is set only on the stderr line.
#[derive(Serialize)]
struct Attempt<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    storefront_checkout: Option<&'static str>,
    level: Level,
    event: &'static str,
    operation: &'a str,
    method: &'static str,
    path: &'a str,
    status: Option<u16>,
    error: Option<&'static str>,
    ms: f64,
    attempt: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    retry_in_ms: Option<u64>,
    request_id: Option<&'a str>,
    idempotency_key: Option<&'a str>,
}

/// An `outcome_settled` record.
#[derive(Serialize)]
struct Settled<'a, T: Serialize> {
    level: Level,
    event: &'static str,
    operation: &'a str,
    confirmed_by: &'a str,
    checkout_id: &'a str,
    outcome: &'a T,
    idempotency_key: Option<&'a str>,
}

/// An `operation_failed` record.
#[derive(Serialize)]
struct Failed<'a> {
    level: Level,
    event: &'static str,
    operation: &'a str,
    error: &'static str,
    http_status: Option<u16>,
    retryable: bool,
    attempts: u32,
    ms: f64,
    request_id: Option<&'a str>,
    idempotency_key: Option<&'a str>,
}

/// A `log_records_dropped` record: deferred records lost to [`MAX_DEFERRED_RECORDS`].
#[derive(Serialize)]
struct Dropped {
    level: Level,
    event: &'static str,
    count: u64,
}
