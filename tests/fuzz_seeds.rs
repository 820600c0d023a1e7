//! Replays `tests/fixtures/fuzz/<target>/`: the fuzzers' seeds, and every crash they ever
//! find (scripts/fuzz), through the same entry points as the fuzz targets. Run with
//! `--features fuzzing`.
#![cfg(feature = "fuzzing")]

mod common;

use common::host::Op;
use serde_json::{json, Value};
use std::path::Path;

fn inputs(target: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fuzz").join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert!(!files.is_empty(), "no inputs in {}", dir.display());
    files.iter().map(|f| std::fs::read(f).unwrap()).collect()
}

#[test]
fn response_inputs_decode_without_panicking() {
    for data in inputs("responses") {
        storefront_checkout::fuzzing::provider_responses(&data);
    }
}

#[test]
fn request_inputs_get_a_status_and_json() {
    let client = common::lib()
        .client(
            &json!({"provider": "justifi", "base_url": "http://127.0.0.1:9", "client_id": "c", "client_secret": "s",
            "sub_account": "a", "max_retries": 0, "connect_timeout_ms": 50}),
        )
        .unwrap();
    for data in inputs("requests") {
        let (&selector, rest) = data.split_first().unwrap();
        let op = Op::ALL[usize::from(selector) % Op::ALL.len()];
        let text: Vec<u8> = rest.iter().copied().filter(|b| *b != 0).collect();
        let (status, out) = common::lib().call_raw(op, client.raw, Some(&text));
        let v: Value = serde_json::from_str(&out.unwrap()).unwrap();
        assert!(status == 0 || v["error"]["status"] == status);
    }
}

#[test]
fn webhook_inputs_are_verified_or_refused() {
    let client = common::lib()
        .client(
            &json!({"provider": "justifi", "base_url": "http://127.0.0.1:9", "client_id": "c", "client_secret": "s",
            "sub_account": "a", "webhook_secrets": ["sigk_fuzz"]}),
        )
        .unwrap();
    for data in inputs("webhooks") {
        let split = data.iter().position(|b| *b == 0).unwrap_or(data.len());
        let headers: Value = serde_json::from_slice(&data[..split]).unwrap_or(json!({}));
        let body = data.get(split + 1..).unwrap_or_default();
        match client.verify(&headers, body) {
            Ok(event) => assert!(event.is_object()),
            Err((status, e)) => assert_eq!(e["error"]["status"], status),
        }
    }
}
