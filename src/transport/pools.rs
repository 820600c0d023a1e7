//! The process's keep-alive connection pools: one per distinct set of transport settings
//! ([`PoolKey`]), shared by every client with those settings, each holding a ureq agent made
//! on first use; and the sweep that closes idle pools' connections and frees the pools no
//! client uses beyond [`MAX_UNUSED_POOLS`].

use super::settings::{build_agent, ProxyRoute};
use once_cell::sync::Lazy;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use ureq::Agent;

/// How long an idle keep-alive connection stays in a pool: ureq drops older ones whenever
/// their pool is used, and [`sweep`] closes a whole pool once none of its connections has
/// been used for this long, on the next call of any client. (Short in unit tests, so that
/// they can watch it happen without a long sleep.)
#[cfg(not(test))]
pub(super) const MAX_IDLE_AGE: Duration = Duration::from_secs(15);
#[cfg(test)]
pub(super) const MAX_IDLE_AGE: Duration = Duration::from_millis(300);

/// Pools kept when no client uses them any more, for the next client with the same settings
/// (a storefront making a client per web request frees each before making the next): beyond
/// this many, the least recently used is freed at once, closing its connections. The
/// process holds one pool per distinct setting among its live clients, plus at most these.
pub(crate) const MAX_UNUSED_POOLS: usize = 8;

/// The process's connection pools, one per distinct [`PoolKey`]. Clients with equal transport
/// settings share one pool, so that a storefront building a client per request (the PHP-FPM
/// habit) reuses the connections of the previous request. The lock is held to find or make a
/// pool when a client is made, and to [`sweep`]; never across I/O, and never while a pool's
/// connections are closed.
pub(super) static POOLS: Lazy<Mutex<HashMap<PoolKey, Arc<Pool>>>> = Lazy::new(Default::default);

/// When [`sweep`] is next due, in nanoseconds after [`EPOCH`] (`u64::MAX`: no pool holds
/// an agent). Read on every request without a lock, so that a request takes the
/// process-wide lock only when some pool's connections are due to close.
static NEXT_SWEEP: AtomicU64 = AtomicU64::new(u64::MAX);

/// The origin of [`NEXT_SWEEP`]'s clock.
static EPOCH: Lazy<Instant> = Lazy::new(Instant::now);

fn since_epoch(t: Instant) -> u64 {
    u64::try_from(t.saturating_duration_since(*EPOCH).as_nanos()).unwrap_or(u64::MAX)
}

/// A pool of the process: its settings, and its ureq agent (the keep-alive connections and
/// the TLS session cache), made on first use and dropped once idle for [`MAX_IDLE_AGE`].
pub(super) struct Pool {
    pub(super) settings: PoolKey,
    pub(super) state: Mutex<PoolState>,
}

#[derive(Default)]
pub(super) struct PoolState {
    agent: Option<Built>,
    /// When its last request ended.
    last_used: Option<Instant>,
}

/// An agent, the process that built it, and that process's requests running on it.
struct Built {
    pid: u32,
    agent: Agent,
    in_flight: usize,
}

/// A request's hold on its pool's agent: the pool is not swept while one runs.
pub(super) struct InUse<'a> {
    pool: &'a Pool,
    pid: u32,
    pub(super) agent: Agent,
}

pub(super) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Pool {
    /// The agent for a request from this process, made if the pool has none (its first use,
    /// after a sweep, or the first in a forked child, which never touches the parent's
    /// sockets: they are leaked rather than dropped, so that no TLS close is sent on them).
    pub(super) fn acquire(&self) -> InUse<'_> {
        let pid = std::process::id();
        let mut state = lock(&self.state);
        let agent = match &mut state.agent {
            Some(built) if built.pid == pid => {
                built.in_flight += 1;
                built.agent.clone()
            }
            slot => {
                std::mem::forget(slot.take());
                let agent = build_agent(&self.settings);
                *slot = Some(Built { pid, agent: agent.clone(), in_flight: 1 });
                agent
            }
        };
        InUse { pool: self, pid, agent }
    }
}

impl Drop for InUse<'_> {
    fn drop(&mut self) {
        let now = Instant::now();
        let mut state = lock(&self.pool.state);
        if let Some(built) = state.agent.as_mut().filter(|b| b.pid == self.pid) {
            built.in_flight -= 1;
        }
        state.last_used = Some(now);
        NEXT_SWEEP.fetch_min(since_epoch(now + MAX_IDLE_AGE), Ordering::Relaxed);
    }
}

/// [`sweep`], if a pool's connections are due to close.
pub(super) fn sweep_if_due(now: Instant) {
    if since_epoch(now) >= NEXT_SWEEP.load(Ordering::Relaxed) {
        sweep(now, None);
    }
}

/// Closes what has outlived its use: the agent (every connection) of each pool idle for
/// [`MAX_IDLE_AGE`] with no request running, whichever client is calling; pools no client
/// uses once they hold no agent, and beyond [`MAX_UNUSED_POOLS`] the least recently used.
/// `freeing` is a pool whose client is being dropped, which counts as unused. A forked
/// child forgets its parent's agents without dropping them. Connections are closed after
/// the lock is released.
pub(super) fn sweep(now: Instant, freeing: Option<&Arc<Pool>>) {
    let pid = std::process::id();
    let mut closing: Vec<Built> = Vec::new();
    let mut freed: Vec<Arc<Pool>> = Vec::new();
    {
        let mut pools = lock(&POOLS);
        let mut next = u64::MAX;
        let mut unused: Vec<(Option<Instant>, *const Pool)> = Vec::new();
        pools.retain(|_, pool| {
            let holders = Arc::strong_count(pool) - usize::from(freeing.is_some_and(|f| Arc::ptr_eq(f, pool)));
            let mut state = lock(&pool.state);
            if state.agent.as_ref().is_some_and(|b| b.pid != pid) {
                std::mem::forget(state.agent.take());
            }
            match &state.agent {
                Some(b) if b.in_flight > 0 => next = next.min(since_epoch(now + MAX_IDLE_AGE)),
                Some(_) => match state.last_used.map(|t| t + MAX_IDLE_AGE) {
                    Some(expiry) if expiry > now => next = next.min(since_epoch(expiry)),
                    _ => closing.extend(state.agent.take()),
                },
                None => {}
            }
            // The map holds one reference; clients hold the others.
            let used = holders > 1;
            if !used && state.agent.is_none() {
                return false;
            }
            if !used {
                unused.push((state.last_used, Arc::as_ptr(pool)));
            }
            true
        });
        if unused.len() > MAX_UNUSED_POOLS {
            unused.sort_unstable_by_key(|(last_used, _)| *last_used);
            let evicted: Vec<*const Pool> = unused[..unused.len() - MAX_UNUSED_POOLS].iter().map(|u| u.1).collect();
            pools.retain(|_, pool| {
                let keep = !evicted.contains(&Arc::as_ptr(pool));
                if !keep {
                    freed.push(pool.clone());
                }
                keep
            });
        }
        NEXT_SWEEP.store(next, Ordering::Relaxed);
    }
    drop(closing);
    drop(freed);
}

/// The transport settings a pool is built from: clients whose settings are equal share it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub(super) struct PoolKey {
    pub(super) timeout: Duration,
    pub(super) connect_timeout: Duration,
    /// The DER certificates of `ca_bundle_path`, or `None` for the webpki roots: two paths
    /// to the same certificates share a pool, a file changed between clients does not.
    pub(super) roots: Option<Vec<Vec<u8>>>,
    /// The proxy every request goes through (but those to hosts its `NO_PROXY` list names).
    pub(super) proxy: Option<ProxyRoute>,
}

#[cfg(test)]
mod tests {
    use super::super::{HttpRequest, Method, Replay, Transport};
    use super::*;
    use crate::config::ClientConfig;

    /// A loopback HTTP/1.1 server answering every request `200 {}` on keep-alive
    /// connections, and the number of connections it holds open.
    fn counting_server() -> (String, Arc<std::sync::atomic::AtomicUsize>) {
        use std::io::{BufRead, BufReader, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let open = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let count = open.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { break };
                count.fetch_add(1, Ordering::SeqCst);
                let count = count.clone();
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(stream.try_clone().unwrap());
                    'requests: loop {
                        loop {
                            let mut line = String::new();
                            match reader.read_line(&mut line) {
                                Ok(0) | Err(_) => break 'requests,
                                Ok(_) if line == "\r\n" => break,
                                Ok(_) => {}
                            }
                        }
                        if stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}").is_err() {
                            break;
                        }
                    }
                    count.fetch_sub(1, Ordering::SeqCst);
                });
            }
        });
        (url, open)
    }

    /// Whether `done` holds within 5 s (polled: the server sees a close a little after it).
    fn eventually(done: impl Fn() -> bool) -> bool {
        let until = Instant::now() + Duration::from_secs(5);
        while !done() {
            if Instant::now() > until {
                return false;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        true
    }

    #[test]
    fn pools_are_bounded_freed_and_closed_when_idle_whichever_pool_is_used_next() {
        let (url, open) = counting_server();
        let config = |timeout_ms: u64| ClientConfig {
            base_url: url.clone(),
            hosted_base_url: None,
            timeout: Duration::from_millis(timeout_ms),
            connect_timeout: Duration::from_secs(10),
            max_retries: 0,
            deadline: Duration::from_secs(60),
            ca_bundle_path: None,
            proxy: None,
            webhook_secrets: Vec::new(),
            webhook_tolerance_s: None,
            log: false,
        };
        let target = format!("{url}/v1/checkouts/cho_1");
        let get = HttpRequest {
            method: Method::Get,
            url: &target,
            headers: &[],
            body: None,
            content_type: "application/json",
            replay: Replay::Safe,
            settles: false,
        };
        // 300 clients with distinct settings (hence pools), each freed after one request.
        const FIRST: u64 = 700_001;
        for timeout_ms in FIRST..FIRST + 300 {
            assert_eq!(Transport::new(&config(timeout_ms)).unwrap().send(&get).unwrap().status, 200);
        }
        assert!(
            eventually(|| open.load(Ordering::SeqCst) <= MAX_UNUSED_POOLS),
            "{} connections left open by 300 freed clients",
            open.load(Ordering::SeqCst)
        );
        let live = Transport::new(&config(800_001)).unwrap();
        live.send(&get).unwrap();
        std::thread::sleep(MAX_IDLE_AGE + Duration::from_millis(50));
        // Past the idle limit, a call through another pool closes every idle pool's
        // connections, the live client's too, and frees the pools no client uses.
        let other = Transport::new(&config(800_002)).unwrap();
        other.send(&get).unwrap();
        assert!(
            eventually(|| open.load(Ordering::SeqCst) == 1),
            "{} connections open; only the last call's should be",
            open.load(Ordering::SeqCst)
        );
        let mine = |k: &PoolKey| (FIRST..FIRST + 300).contains(&(k.timeout.as_millis() as u64));
        assert_eq!(lock(&POOLS).keys().filter(|k| mine(k)).count(), 0, "the freed clients' pools are gone");
        assert_eq!(live.send(&get).unwrap().status, 200, "the live client's pool makes a new connection");
        assert!(eventually(|| open.load(Ordering::SeqCst) == 2));
    }
}
