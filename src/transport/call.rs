//! The state of the library call running on this thread: the operation's name for the log,
//! the HTTP attempts it has made, and its deadline (`deadline_ms`, set by its first request
//! or by the time an asynchronous call was queued), with the error when it has passed.

use crate::error::{Error, Status};
use std::cell::Cell;
use std::time::{Duration, Instant};

/// The state of the library call running on this thread: the HTTP attempts it made, and its
/// deadline once its first request set it. A call runs on one thread from start to end (the
/// C export returns only when it is done), so a thread-local holds it without being shared;
/// it is not a "last error": nothing outlives the call.
#[derive(Clone, Copy, Default)]
struct CallState {
    /// The operation's C name (`checkout_complete`), for the log.
    operation: &'static str,
    attempts: u32,
    deadline: Option<Instant>,
    /// When the call's clock started, if before its first request: an asynchronous call's
    /// time waiting for an I/O thread counts against its `deadline_ms` (docs/contract.md §8).
    since: Option<Instant>,
}

thread_local! {
    static CALL: Cell<Option<CallState>> = const { Cell::new(None) };
}

/// Counts the attempts of one library call; restores the enclosing state when dropped.
pub struct CallScope {
    previous: Option<CallState>,
}

/// Starts counting the HTTP attempts of `operation` (its C name) on this thread.
pub fn begin_call(operation: &'static str) -> CallScope {
    let state = CallState { operation, ..CallState::default() };
    CallScope { previous: CALL.with(|c| c.replace(Some(state))) }
}

/// As [`begin_call`], for a call whose deadline runs from `since` (when it was queued)
/// rather than from its first request.
pub fn begin_call_since(operation: &'static str, since: Instant) -> CallScope {
    let state = CallState { operation, since: Some(since), ..CallState::default() };
    CallScope { previous: CALL.with(|c| c.replace(Some(state))) }
}

/// The running call's operation, for the log.
pub(super) fn call_operation() -> &'static str {
    CALL.with(|c| c.get().map_or("", |s| s.operation))
}

/// Whether the running call is an asynchronous one (queued for an I/O thread), whose log
/// records a host may ask to be deferred.
pub(super) fn call_is_queued() -> bool {
    CALL.with(|c| c.get().is_some_and(|s| s.since.is_some()))
}

impl CallScope {
    /// HTTP requests sent so far in this call, retries included.
    pub fn attempts(&self) -> u32 {
        CALL.with(|c| c.get().map_or(0, |s| s.attempts))
    }
}

impl Drop for CallScope {
    fn drop(&mut self) {
        CALL.with(|c| c.set(self.previous));
    }
}

/// The call's deadline (set by its first request to `now + budget`), and one attempt counted.
pub(super) fn start_attempt(budget: Duration) -> Instant {
    CALL.with(|c| {
        let mut state = c.get().unwrap_or_default();
        let deadline = *state.deadline.get_or_insert_with(|| state.since.unwrap_or_else(Instant::now) + budget);
        state.attempts += 1;
        c.set(Some(state));
        deadline
    })
}

/// The deadline of the call running on this thread, starting its clock now if no request
/// has yet (`now + budget` outside a call).
pub(super) fn deadline_from_now(budget: Duration) -> Instant {
    CALL.with(|c| match c.get() {
        Some(mut state) => {
            let deadline = *state.deadline.get_or_insert_with(|| state.since.unwrap_or_else(Instant::now) + budget);
            c.set(Some(state));
            deadline
        }
        None => Instant::now() + budget,
    })
}

pub(super) fn deadline_passed(budget: Duration) -> Error {
    Error::new(Status::Timeout, format!("the call's deadline of {} ms passed", budget.as_millis()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_scope_counts_attempts_and_restores_the_outer_one() {
        let outer = begin_call("outer");
        start_attempt(Duration::from_secs(1));
        {
            let inner = begin_call("inner");
            start_attempt(Duration::from_secs(1));
            start_attempt(Duration::from_secs(1));
            assert_eq!(inner.attempts(), 2);
        }
        assert_eq!(outer.attempts(), 1);
    }
}
