//! The library's I/O threads for asynchronous calls (docs/contract.md §8): a call started by a
//! `*_async` export runs its blocking HTTP round trips here, so that the host's own threads
//! (an event loop, libuv's pool) never wait on a provider.
//!
//! - Threads are started on demand, and a thread idle for [`IDLE_RETIREMENT`] ends.
//! - Each client runs at most its `max_in_flight` calls at once; the next ones wait in the
//!   client's queue, first in first out, and a thread that finishes a call of that client takes
//!   the next one. The time a call waits counts against its `deadline_ms` (the caller's clock
//!   starts when it starts the call).
//! - Threads have [`STACK_SIZE`] stacks (a quarter of Rust's default), so that a thousand calls
//!   in flight cost little memory.
//! - A task runs behind the same panic boundary as the synchronous exports: a panic becomes
//!   `CHECKOUT_ERR_INTERNAL` given to the task's completion, never an unwind.
//! - After `fork()` the child starts with no threads and no queued work: the state lives in a
//!   process-wide [`Pool`] stamped with the process id, and a child that finds its parent's
//!   pool makes its own (leaking the parent's, whose threads it does not have, and never
//!   touching its lock, which a parent thread may have held at the fork).

use crate::error::{Error, Result, Status};
use crate::ffi::boundary;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Duration;

/// How long an idle I/O thread waits for work before it ends.
const IDLE_RETIREMENT: Duration = Duration::from_secs(10);

/// The stack of each I/O thread: virtual memory, of which only the pages a call touches
/// become resident. Measured in a debug build (the largest frames) by lowering it until
/// tests crashed: a JustiFi create and complete over TLS (rustls handshake, ureq, serde_json)
/// needs 160 to 192 KiB (`transport_security`'s asynchronous test); the deepest JSON the
/// library reads, a 128-level request and a 125-level answer, 256 to 320 KiB
/// (`async_abi`'s deepest-JSON test). 512 KiB leaves 1.6 times the worst of them.
const STACK_SIZE: usize = 512 * 1024;

/// One asynchronous call: its work, and what receives the outcome (status and JSON text).
pub struct Task {
    /// The client's lane: its calls share one `max_in_flight` bound.
    pub lane: u64,
    /// The lane's bound.
    pub max_in_flight: usize,
    /// The call: its status code and JSON text (the result, or the error object).
    pub work: Box<dyn FnOnce() -> (i32, String) + Send>,
    /// Receives the outcome, once, on the I/O thread.
    pub complete: Box<dyn FnOnce(i32, String) + Send>,
}

impl Task {
    /// Runs the work behind the panic boundary, then hands its outcome to `complete`.
    fn run(self) {
        let Task { work, complete, .. } = self;
        let (code, text) = boundary(None, || Some(work())).unwrap_or_else(|| {
            let e = Error::caught_panic();
            (e.status.code(), e.to_json())
        });
        boundary((), || complete(code, text));
    }
}

/// A new lane id, one per client handle.
pub fn new_lane() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// Starts `task` on an I/O thread, or queues it behind its lane's running calls. `Err` (the
/// task dropped, its completion never called) only when the operating system refuses a new
/// thread and the process has none to queue it for.
///
/// The caller starts at most one thread per burst of calls: a new thread starts up to two
/// more before its first call while calls are waiting for one, so that the pool doubles
/// towards the demand off the caller's thread (an event loop's, which must not spend a
/// thread creation on every call).
pub fn submit(task: Task) -> Result<()> {
    let pool = Pool::current();
    let mut state = pool.lock();
    let lane = state.lanes.entry(task.lane).or_default();
    if lane.running >= task.max_in_flight {
        lane.waiting.push_back(task);
        state.unfinished += 1;
        return Ok(());
    }
    lane.running += 1;
    state.ready.push_back(task);
    state.unfinished += 1;
    pool.work.notify_one();
    if state.idle >= state.ready.len() || state.starting > 0 {
        return Ok(());
    }
    match pool.start_thread(&mut state) {
        Ok(()) => Ok(()),
        // A thread of the pool takes it when it finishes its call.
        Err(_) if state.threads > 0 => Ok(()),
        Err(e) => {
            if let Some(task) = state.ready.pop_back() {
                state.release(task.lane);
                state.unfinished -= 1;
            }
            Err(Error::new(Status::Internal, format!("could not start an I/O thread ({e})")))
        }
    }
}

/// Waits until every task submitted in this process has ended and its completion returned,
/// or `timeout` passes: whether none is left.
pub fn wait_until_drained(timeout: Duration) -> bool {
    let pool = Pool::current();
    let state = pool.lock();
    let (state, _) =
        pool.drained.wait_timeout_while(state, timeout, |s| s.unfinished > 0).unwrap_or_else(|e| e.into_inner());
    state.unfinished == 0
}

/// The process's I/O threads and queues.
struct Pool {
    /// The process that made the pool; another process (a fork's child) makes its own.
    pid: u32,
    state: Mutex<State>,
    /// Signalled when a task is put in `ready`.
    work: Condvar,
    /// Signalled when `unfinished` drops to zero.
    drained: Condvar,
}

#[derive(Default)]
struct State {
    /// Tasks already counted in their lane's `running`, waiting for an idle thread.
    ready: VecDeque<Task>,
    /// Threads waiting for a task.
    idle: usize,
    /// Threads started that have not yet taken their first task.
    starting: usize,
    /// Threads alive.
    threads: usize,
    /// Tasks submitted whose completion has not yet returned (queued, running or calling back).
    unfinished: usize,
    lanes: HashMap<u64, Lane>,
}

/// One client's calls: how many run, and those waiting for a place.
#[derive(Default)]
struct Lane {
    running: usize,
    waiting: VecDeque<Task>,
}

impl State {
    /// Notes that a call of `lane` ended on a thread: the lane's next waiting task, to run on
    /// the same thread, or `None` (the lane then has one call fewer running).
    fn finish(&mut self, lane: u64) -> Option<Task> {
        let entry = self.lanes.get_mut(&lane)?;
        if let Some(next) = entry.waiting.pop_front() {
            return Some(next);
        }
        self.release(lane);
        None
    }

    /// One call fewer running in `lane`; a lane with none running and none waiting is removed.
    fn release(&mut self, lane: u64) {
        if let Some(entry) = self.lanes.get_mut(&lane) {
            entry.running -= 1;
            if entry.running == 0 && entry.waiting.is_empty() {
                self.lanes.remove(&lane);
            }
        }
    }
}

static CURRENT: AtomicPtr<Pool> = AtomicPtr::new(std::ptr::null_mut());

impl Pool {
    /// This process's pool, made on first use (and again in a forked child).
    fn current() -> &'static Pool {
        let pid = std::process::id();
        loop {
            let seen = CURRENT.load(Ordering::Acquire);
            // SAFETY: a non-null pointer in CURRENT came from Box::leak below and is never freed.
            if let Some(pool) = unsafe { seen.as_ref() }.filter(|p| p.pid == pid) {
                return pool;
            }
            let fresh: &'static mut Pool = Box::leak(Box::new(Pool {
                pid,
                state: Mutex::default(),
                work: Condvar::new(),
                drained: Condvar::new(),
            }));
            match CURRENT.compare_exchange(seen, fresh, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => return fresh,
                // Another thread installed one first; ours was never shared, so it is freed.
                // SAFETY: `fresh` came from Box::leak just above and nothing else refers to it.
                Err(_) => drop(unsafe { Box::from_raw(fresh as *mut Pool) }),
            }
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts one I/O thread, counted in `threads` and `starting` until it runs.
    fn start_thread(&'static self, state: &mut State) -> std::io::Result<()> {
        std::thread::Builder::new()
            .name("storefront-checkout-io".into())
            .stack_size(STACK_SIZE)
            .spawn(move || self.serve())?;
        state.threads += 1;
        state.starting += 1;
        Ok(())
    }

    /// An I/O thread's life: take a ready task (starting up to two more threads while more
    /// tasks wait than threads are idle or starting), run it and then its lane's waiting
    /// ones, and again, until idle for [`IDLE_RETIREMENT`].
    fn serve(&'static self) {
        let mut state = self.lock();
        state.starting -= 1;
        loop {
            let mut task = loop {
                if let Some(task) = state.ready.pop_front() {
                    break task;
                }
                state.idle += 1;
                let (s, waited) = self.work.wait_timeout(state, IDLE_RETIREMENT).unwrap_or_else(|e| e.into_inner());
                state = s;
                state.idle -= 1;
                if waited.timed_out() && state.ready.is_empty() {
                    state.threads -= 1;
                    return;
                }
            };
            for _ in 0..2 {
                // A refusal leaves the tasks in `ready`, for the threads there are.
                if state.ready.len() <= state.idle + state.starting || self.start_thread(&mut state).is_err() {
                    break;
                }
            }
            drop(state);
            state = loop {
                let lane = task.lane;
                task.run();
                let mut state = self.lock();
                state.unfinished -= 1;
                if state.unfinished == 0 {
                    self.drained.notify_all();
                }
                match state.finish(lane) {
                    Some(next) => {
                        drop(state);
                        task = next;
                    }
                    None => break state,
                }
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::sync::Arc;
    use std::time::Instant;

    fn task(
        lane: u64,
        max: usize,
        work: impl FnOnce() -> (i32, String) + Send + 'static,
    ) -> (Task, mpsc::Receiver<(i32, String)>) {
        let (tx, rx) = mpsc::channel();
        let complete = Box::new(move |code, text| tx.send((code, text)).unwrap());
        (Task { lane, max_in_flight: max, work: Box::new(work), complete }, rx)
    }

    #[test]
    fn a_panic_in_a_task_is_an_internal_status_given_to_its_completion() {
        let (t, rx) = task(new_lane(), 4, || panic!("boom"));
        submit(t).unwrap();
        let (code, text) = rx.recv_timeout(Duration::from_secs(10)).unwrap();
        assert_eq!(code, 99);
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["error"]["code"], "internal");
        // The thread survived its panic and serves the next task.
        let (t, rx) = task(new_lane(), 4, || (0, "{}".into()));
        submit(t).unwrap();
        assert_eq!(rx.recv_timeout(Duration::from_secs(10)).unwrap(), (0, "{}".into()));
    }

    #[test]
    fn a_lane_runs_at_most_its_bound_at_once_and_queues_the_rest_in_order() {
        let lane = new_lane();
        let running = Arc::new(Mutex::new((0usize, 0usize)));
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut receivers = Vec::new();
        for i in 0..12 {
            let (running, order) = (running.clone(), order.clone());
            let (t, rx) = task(lane, 3, move || {
                {
                    let mut r = running.lock().unwrap();
                    r.0 += 1;
                    r.1 = r.1.max(r.0);
                }
                order.lock().unwrap().push(i);
                std::thread::sleep(Duration::from_millis(20));
                running.lock().unwrap().0 -= 1;
                (0, i.to_string())
            });
            submit(t).unwrap();
            receivers.push(rx);
        }
        for (i, rx) in receivers.into_iter().enumerate() {
            assert_eq!(rx.recv_timeout(Duration::from_secs(10)).unwrap(), (0, i.to_string()));
        }
        assert_eq!(running.lock().unwrap().1, 3, "never more than max_in_flight at once");
        let order = order.lock().unwrap();
        assert_eq!(order[3..], (3..12).collect::<Vec<_>>()[..], "the queue is first in, first out");
    }

    #[test]
    fn lanes_do_not_wait_for_each_other() {
        let slow = new_lane();
        let (gate_tx, gate_rx) = mpsc::channel::<()>();
        let (t, slow_done) = task(slow, 1, move || {
            gate_rx.recv_timeout(Duration::from_secs(10)).ok();
            (0, "slow".into())
        });
        submit(t).unwrap();
        let began = Instant::now();
        let (t, fast_done) = task(new_lane(), 1, || (0, "fast".into()));
        submit(t).unwrap();
        assert_eq!(fast_done.recv_timeout(Duration::from_secs(10)).unwrap().1, "fast");
        assert!(began.elapsed() < Duration::from_secs(5));
        gate_tx.send(()).unwrap();
        assert_eq!(slow_done.recv_timeout(Duration::from_secs(10)).unwrap().1, "slow");
    }
}
