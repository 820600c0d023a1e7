//! Arbitrary webhook deliveries: the bytes before the first NUL are the headers JSON, the rest
//! the body, verified by a JustiFi, a ReCharge and a Payfect client.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::{json, Map, Value};
use std::sync::OnceLock;
use storefront_checkout::Client;

fn clients() -> &'static [Client; 3] {
    static CLIENTS: OnceLock<[Client; 3]> = OnceLock::new();
    CLIENTS.get_or_init(|| {
        let make = |config: Value| match config {
            Value::Object(map) => Client::new(map).unwrap(),
            _ => unreachable!(),
        };
        let fernet = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=";
        [
            make(json!({"provider": "justifi", "base_url": "http://127.0.0.1:9", "client_id": "c", "client_secret": "s",
                "sub_account": "a", "webhook_secrets": ["sigk_fuzz"], "webhook_tolerance_s": 0})),
            make(json!({"provider": "recharge", "base_url": "http://127.0.0.1:9", "api_token": "t",
                "webhook_secrets": ["rc_fuzz"], "webhook_tolerance_s": 0})),
            make(json!({"provider": "payfect", "base_url": "http://127.0.0.1:9", "api_key": "k", "webhook_secrets": [fernet]})),
        ]
    })
}

fuzz_target!(|data: &[u8]| {
    let (headers, body) = match data.iter().position(|b| *b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let Ok(headers) = std::str::from_utf8(headers) else { return };
    for client in clients() {
        if let Ok(event) = client.verify_webhook(headers, body) {
            let _: &Map<String, Value> = event.as_object().expect("an event is an object");
        }
    }
});
