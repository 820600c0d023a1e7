//! Process-wide cache of OAuth access tokens, shared by every client built with the same
//! credentials: a PHP-FPM worker that builds a client per web request fetches one token, not
//! one per request. Nothing here runs at load time; the map is made on first use.

use crate::error::Result;
use crate::secret::Secret;
use once_cell::sync::Lazy;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Tokens are refreshed after half their lifetime, and never kept longer than 12 h (what
/// JustiFi's official SDKs do with the 24 h tokens of `POST /oauth/token`).
const MAX_REUSE: Duration = Duration::from_secs(12 * 3600);

/// (API origin, client id, client secret): a different secret never sees another's token.
type Key = (String, String, Secret);

static SLOTS: Lazy<Mutex<HashMap<Key, Arc<TokenSlot>>>> = Lazy::new(Default::default);

/// The cached token of one set of credentials.
#[derive(Default)]
pub struct TokenSlot {
    state: Mutex<Option<Cached>>,
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

impl TokenSlot {
    /// The cached token, or a new one from `fetch` (token, lifetime). The slot stays locked
    /// while fetching, so under concurrency one thread fetches and the others reuse its token.
    pub fn get_or_fetch(&self, fetch: impl FnOnce() -> Result<(Secret, Duration)>) -> Result<Secret> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = state.as_ref().filter(|c| Instant::now() < c.refresh_at) {
            return Ok(c.token.clone());
        }
        let (token, lifetime) = fetch()?;
        let refresh_at = Instant::now() + (lifetime / 2).min(MAX_REUSE);
        *state = Some(Cached { token: token.clone(), refresh_at });
        Ok(token)
    }

    /// Forgets `refused`, the token the provider just answered 401 to, unless another thread
    /// has already replaced it.
    pub fn invalidate(&self, refused: &Secret) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.as_ref().is_some_and(|c| &c.token == refused) {
            *state = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
                .get_or_fetch(|| {
                    fetches += 1;
                    Ok((Secret::new("tok1"), Duration::from_secs(3600)))
                })
                .unwrap();
            assert_eq!(t.expose(), "tok1");
        }
        assert_eq!(fetches, 1);

        a.invalidate(&Secret::new("some other token"));
        assert_eq!(a.get_or_fetch(|| unreachable!()).unwrap().expose(), "tok1");
        a.invalidate(&Secret::new("tok1"));
        let t = a.get_or_fetch(|| Ok((Secret::new("tok2"), Duration::from_secs(3600)))).unwrap();
        assert_eq!(t.expose(), "tok2");
    }

    #[test]
    fn a_token_is_refreshed_after_half_its_lifetime() {
        let s = TokenSlot::default();
        s.get_or_fetch(|| Ok((Secret::new("short"), Duration::ZERO))).unwrap();
        let t = s.get_or_fetch(|| Ok((Secret::new("next"), Duration::from_secs(60)))).unwrap();
        assert_eq!(t.expose(), "next");
    }
}
