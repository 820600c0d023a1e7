//! JustiFi's idempotency semantics (JustiFi docs *Idempotency*): the same key
//! and request after a 2xx replays the original answer; the same key while the first is in
//! flight is `409 idempotency_request_in_progress`; the same key with another request is
//! refused (`idempotency_params_mismatch`). Declines (402) are recorded answers too; other
//! 4xx and 5xx free the key for a retry.
//!
//! JustiFi publishes no lifetime for a key, so keys are kept until `max_objects` newer ones
//! have been used (the oldest is forgotten first), each answer serialized (a fraction of the
//! memory of its parsed form).

use crate::bounded::Bounded;
use serde_json::Value;

enum Entry {
    InFlight { fingerprint: String },
    Done { fingerprint: String, status: u16, body: String },
}

/// What to do with a request carrying a key.
pub enum Begin {
    /// First use: process it, then call [`Idempotency::finish`].
    Fresh,
    /// Already answered: send this again.
    Replay(u16, Value),
    InFlight,
    Mismatch,
}

/// Keys per API client.
pub struct Idempotency {
    entries: Bounded<(String, String), Entry>,
}

impl Idempotency {
    /// Remembers at most `cap` keys.
    pub fn new(cap: usize) -> Idempotency {
        Idempotency { entries: Bounded::new(cap) }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// `fingerprint` identifies the request (method, path, body).
    pub fn begin(&mut self, client: &str, key: &str, fingerprint: &str) -> Begin {
        let slot = (client.to_owned(), key.to_owned());
        match self.entries.get(&slot) {
            None => {
                self.entries.insert(slot, Entry::InFlight { fingerprint: fingerprint.to_owned() });
                Begin::Fresh
            }
            Some(Entry::InFlight { fingerprint: f } | Entry::Done { fingerprint: f, .. }) if f != fingerprint => {
                Begin::Mismatch
            }
            Some(Entry::InFlight { .. }) => Begin::InFlight,
            Some(Entry::Done { status, body, .. }) => {
                Begin::Replay(*status, serde_json::from_str(body).unwrap_or(Value::Null))
            }
        }
    }

    /// Records the answer to a [`Begin::Fresh`] request.
    pub fn finish(&mut self, client: &str, key: &str, status: u16, body: &Value) {
        let slot = (client.to_owned(), key.to_owned());
        if (200..300).contains(&status) || status == 402 {
            if let Some(Entry::InFlight { fingerprint }) = self.entries.remove(&slot) {
                self.entries.insert(slot, Entry::Done { fingerprint, status, body: body.to_string() });
            }
        } else {
            self.entries.remove(&slot);
        }
    }
}
