//! Process-wide cache of OAuth access tokens, shared by every client built with the same
//! credentials: a PHP-FPM worker that builds a client per web request fetches one token, not
//! one per request. Nothing here runs at load time; the map is made on first use.

use crate::error::{Error, Result, Status};
use crate::secret::Secret;
use once_cell::sync::Lazy;
use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Tokens are refreshed after half their lifetime, and never kept longer than 12 h (what
/// JustiFi's official SDKs do with the 24 h tokens of `POST /oauth/token`).
const MAX_REUSE: Duration = Duration::from_secs(12 * 3600);

/// (API origin, client id, client secret): a different secret never sees another's token.
type Key = (String, String, Secret);

static SLOTS: Lazy<Mutex<HashMap<Key, Arc<TokenSlot>>>> = Lazy::new(Default::default);

/// The cached token of one set of credentials, and whether a thread is fetching a new one.
///
/// The lock is held only to read or change the state, never during a fetch: a thread that
/// finds a fetch in flight waits on the condition variable until it ends or the caller's
/// deadline passes, whichever comes first. The fetch is recorded with the fetching process's
/// id, so that a child forked while its parent's thread was fetching (a thread the child
/// does not have) fetches for itself instead of waiting for a fetch that never ends.
#[derive(Default)]
pub struct TokenSlot {
    state: Mutex<State>,
    fetched: Condvar,
}

#[derive(Default)]
struct State {
    cached: Option<Cached>,
    /// The process id of a fetch in flight.
    fetching: Option<u32>,
}

struct Cached {
    token: Secret,
    refresh_at: Instant,
}

/// The slot shared by every client with these credentials.
pub fn slot(origin: &str, client_id: &str, client_secret: &Secret) -> Arc<TokenSlot> {
    let mut slots = SLOTS.lock().unwrap_or_else(|e| e.into_inner());
    slots.entry((origin.to_owned(), client_id.to_owned(), client_secret.clone())).or_default().clone()
}

/// Marks the end of this thread's fetch, however it ends (a result, an error or a panic),
/// and wakes the threads waiting for it.
struct FetchGuard<'a>(&'a TokenSlot);

impl Drop for FetchGuard<'_> {
    fn drop(&mut self) {
        self.0.lock().fetching = None;
        self.0.fetched.notify_all();
    }
}

impl TokenSlot {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The cached token, or a new one from `fetch` (token, lifetime). Under concurrency one
    /// thread fetches and the others reuse its token; a thread waiting for another's fetch
    /// gives up at `deadline` with `CHECKOUT_ERR_TIMEOUT`. A failed fetch is not shared: the
    /// next waiter fetches in turn.
    pub fn get_or_fetch(
        &self,
        deadline: Instant,
        fetch: impl FnOnce() -> Result<(Secret, Duration)>,
    ) -> Result<Secret> {
        let pid = std::process::id();
        let mut state = self.lock();
        loop {
            if let Some(c) = state.cached.as_ref().filter(|c| Instant::now() < c.refresh_at) {
                return Ok(c.token.clone());
            }
            if state.fetching != Some(pid) {
                break;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(Error::new(
                    Status::Timeout,
                    "the call's deadline passed while another call fetched the access token",
                ));
            }
            state = self.fetched.wait_timeout(state, left).unwrap_or_else(|e| e.into_inner()).0;
        }
        state.fetching = Some(pid);
        drop(state);
        let guard = FetchGuard(self);
        let (token, lifetime) = fetch()?;
        let refresh_at = Instant::now() + (lifetime / 2).min(MAX_REUSE);
        self.lock().cached = Some(Cached { token: token.clone(), refresh_at });
        drop(guard);
        Ok(token)
    }

    /// Forgets `refused`, the token the provider just answered 401 to, unless another thread
    /// has already replaced it.
    pub fn invalidate(&self, refused: &Secret) {
        let mut state = self.lock();
        if state.cached.as_ref().is_some_and(|c| &c.token == refused) {
            state.cached = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    fn far() -> Instant {
        Instant::now() + Duration::from_secs(60)
    }

    #[test]
    fn same_credentials_share_a_slot_and_a_token() {
        let secret = Secret::new("s1");
        let a = slot("http://127.0.0.1:1", "id", &secret);
        let b = slot("http://127.0.0.1:1", "id", &secret);
        let other = slot("http://127.0.0.1:1", "id", &Secret::new("s2"));
        assert!(Arc::ptr_eq(&a, &b));
        assert!(!Arc::ptr_eq(&a, &other));

        let mut fetches = 0;
        for _ in 0..3 {
            let t = b
                .get_or_fetch(far(), || {
                    fetches += 1;
                    Ok((Secret::new("tok1"), Duration::from_secs(3600)))
                })
                .unwrap();
            assert_eq!(t.expose(), "tok1");
        }
        assert_eq!(fetches, 1);

        a.invalidate(&Secret::new("some other token"));
        assert_eq!(a.get_or_fetch(far(), || unreachable!()).unwrap().expose(), "tok1");
        a.invalidate(&Secret::new("tok1"));
        let t = a.get_or_fetch(far(), || Ok((Secret::new("tok2"), Duration::from_secs(3600)))).unwrap();
        assert_eq!(t.expose(), "tok2");
    }

    #[test]
    fn a_token_is_refreshed_after_half_its_lifetime() {
        let s = TokenSlot::default();
        s.get_or_fetch(far(), || Ok((Secret::new("short"), Duration::ZERO))).unwrap();
        let t = s.get_or_fetch(far(), || Ok((Secret::new("next"), Duration::from_secs(60)))).unwrap();
        assert_eq!(t.expose(), "next");
    }

    #[test]
    fn a_waiter_gives_up_at_its_own_deadline_while_another_thread_fetches() {
        let slot = Arc::new(TokenSlot::default());
        let (started, fetching) = mpsc::channel();
        let (release, released) = mpsc::channel::<()>();
        let fetcher = {
            let slot = slot.clone();
            std::thread::spawn(move || {
                slot.get_or_fetch(Instant::now() + Duration::from_secs(60), || {
                    started.send(()).unwrap();
                    released.recv().unwrap();
                    Ok((Secret::new("slow"), Duration::from_secs(3600)))
                })
            })
        };
        fetching.recv().unwrap();
        let began = Instant::now();
        let e = slot.get_or_fetch(began + Duration::from_millis(200), || unreachable!()).unwrap_err();
        let waited = began.elapsed();
        assert_eq!(e.status, Status::Timeout);
        assert!(waited >= Duration::from_millis(200) && waited < Duration::from_secs(5), "{waited:?}");
        release.send(()).unwrap();
        assert_eq!(fetcher.join().unwrap().unwrap().expose(), "slow");
        let t = slot.get_or_fetch(Instant::now(), || unreachable!()).unwrap();
        assert_eq!(t.expose(), "slow", "the waiter-free path needs no time left");
    }

    #[test]
    fn a_failed_fetch_lets_the_next_caller_fetch() {
        let slot = TokenSlot::default();
        let e = slot.get_or_fetch(Instant::now() + Duration::from_secs(1), || Err(Error::config("no"))).unwrap_err();
        assert_eq!(e.status, Status::Config);
        let t = slot.get_or_fetch(Instant::now(), || Ok((Secret::new("t"), Duration::from_secs(60)))).unwrap();
        assert_eq!(t.expose(), "t");
    }

    #[test]
    fn a_fetch_recorded_by_another_process_is_not_waited_for() {
        let slot = TokenSlot::default();
        slot.lock().fetching = Some(std::process::id().wrapping_add(1));
        let t = slot.get_or_fetch(Instant::now(), || Ok((Secret::new("child"), Duration::from_secs(60)))).unwrap();
        assert_eq!(t.expose(), "child");
    }
}
