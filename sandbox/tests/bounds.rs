//! The sandbox's state is bounded: each kind of object keeps at most `max_objects` entries, the
//! oldest dropped first, and tokens and checkout sessions go once past their documented
//! lifetime. Deterministic: small caps, and the sandbox's own clock moved forward
//! (`POST /__sandbox/clock`) instead of waiting.

use checkout_sandbox::{
    Sandbox, SandboxConfig, TEST_CLIENT_ID, TEST_CLIENT_SECRET, TEST_PAYFECT_KEY, TEST_RECHARGE_TOKEN, TEST_SUB_ACCOUNT,
};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU32, Ordering};

static KEYS: AtomicU32 = AtomicU32::new(0);

struct Api {
    base: String,
    agent: ureq::Agent,
}

impl Api {
    fn new(s: &Sandbox) -> Api {
        let agent = ureq::Agent::config_builder().http_status_as_error(false).max_redirects(0).build().into();
        Api { base: s.base_url(), agent }
    }

    /// A request with these headers (and, for a POST, a JSON body and an Idempotency-Key of its
    /// own): the status and the body, JSON when it is.
    fn send(&self, method: &str, path: &str, headers: &[(&str, &str)], body: Value) -> (u16, Value) {
        let url = format!("{}{path}", self.base);
        let mut resp = if method == "GET" {
            let mut r = self.agent.get(&url);
            for (k, v) in headers {
                r = r.header(*k, *v);
            }
            r.call()
        } else {
            let key = format!("bounds-{}", KEYS.fetch_add(1, Ordering::Relaxed));
            let mut r = self.agent.post(&url).header("Idempotency-Key", key);
            for (k, v) in headers {
                r = r.header(*k, *v);
            }
            r.content_type("application/json").send(body.to_string())
        }
        .unwrap();
        let text = resp.body_mut().read_to_string().unwrap();
        (resp.status().as_u16(), serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    fn token(&self) -> String {
        let grant = json!({"client_id": TEST_CLIENT_ID, "client_secret": TEST_CLIENT_SECRET});
        self.send("POST", "/oauth/token", &[], grant).1["access_token"].as_str().unwrap().to_owned()
    }

    fn justifi(&self, method: &str, path: &str, token: &str, body: Value) -> (u16, Value) {
        let bearer = format!("Bearer {token}");
        self.send(method, path, &[("Authorization", &bearer), ("Sub-Account", TEST_SUB_ACCOUNT)], body)
    }

    fn counters(&self) -> Value {
        self.send("GET", "/__sandbox/counters", &[], Value::Null).1
    }

    fn advance_clock(&self, seconds: u64) {
        let (status, v) = self.send("POST", "/__sandbox/clock", &[], json!({ "advance_s": seconds }));
        assert_eq!(status, 200, "{v}");
    }
}

#[test]
fn each_kind_keeps_at_most_max_objects_the_oldest_dropped_first() {
    let s =
        Sandbox::start(SandboxConfig { max_objects: 3, record_exchanges: true, ..SandboxConfig::default() }).unwrap();
    let api = Api::new(&s);
    let token = api.token();
    let mut ids = Vec::new();
    for i in 0..5 {
        let body = json!({"amount": 1799, "description": format!("Donut {i}")});
        let (status, created) = api.justifi("POST", "/v1/checkouts", &token, body);
        assert_eq!(status, 201, "{created}");
        let id = created["data"]["id"].as_str().unwrap().to_owned();
        let card = json!({"payment_method": {"card": {"number": "4242424242424242"}}});
        let pm = api.justifi("POST", "/v1/payment_methods", &token, card).1["data"]["id"].as_str().unwrap().to_owned();
        let path = format!("/v1/checkouts/{id}/complete");
        let (status, paid) = api.justifi("POST", &path, &token, json!({ "payment_token": pm }));
        assert_eq!((status, &paid["data"]["payment_status"]), (201, &json!("succeeded")), "{paid}");
        ids.push(id);
    }
    let recharge = [("X-Recharge-Access-Token", TEST_RECHARGE_TOKEN)];
    let payfect = [("Authorization", &*format!("Api-Key {TEST_PAYFECT_KEY}"))];
    for _ in 0..5 {
        let items = json!({"line_items": [{"product_id": 1, "variant_id": 2, "quantity": 1}]});
        assert_eq!(api.send("POST", "/checkouts", &recharge, items).0, 201);
        let invoice = json!({"currency": "usdt", "invoice_items": [{"quantity": 1,
            "price_data": {"unit_amount": "1.00", "product_data": {"name": "x"}}}]});
        assert_eq!(api.send("POST", "/api/v1/checkouts/", &payfect, invoice).0, 201);
    }

    let counters = api.counters();
    let stored = &counters["stored"];
    for kind in
        ["checkouts", "payment_methods", "payments", "idempotency_keys", "recharge_checkouts", "payfect_checkouts"]
    {
        assert_eq!(stored[kind], 3, "{kind}: {counters}");
    }
    assert_eq!(stored["exchanges"], 3, "{counters}");
    assert_eq!(stored["request_paths"], 3, "{counters}");
    assert_eq!((&counters["checkouts"], &counters["payments"]), (&json!(5), &json!(5)), "totals count everything");

    let (status, _) = api.justifi("GET", &format!("/v1/checkouts/{}", ids[1]), &token, Value::Null);
    assert_eq!(status, 404, "the oldest went first");
    let (status, newest) = api.justifi("GET", &format!("/v1/checkouts/{}", ids[4]), &token, Value::Null);
    assert_eq!((status, &newest["data"]["status"]), (200, &json!("completed")));
    let (_, list) = api.justifi("GET", "/v1/checkouts", &token, Value::Null);
    let listed: Vec<&str> = list["data"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(listed, [&ids[4], &ids[3], &ids[2]], "newest first, as before");
    let ledger = api.send("GET", "/__sandbox/ledger", &[], Value::Null).1;
    assert_eq!(ledger["checkouts"].as_object().unwrap().len(), 3);
    assert_eq!(ledger["checkouts"][&ids[4]]["payments"].as_array().unwrap().len(), 1, "{ledger}");
    assert_eq!(api.send("GET", "/__sandbox/exchanges", &[], Value::Null).1.as_array().unwrap().len(), 3);
}

#[test]
fn tokens_and_checkout_sessions_go_after_their_documented_lifetime() {
    let s = Sandbox::start(SandboxConfig::default()).unwrap();
    let api = Api::new(&s);
    let first = api.token();
    let pi_body = json!({"amount": 1799, "currency": "usd", "description": "One Chocolate Donut"});
    let session = |token: &str| {
        let pi = api.justifi("POST", "/v1/payment_intents", token, pi_body.clone()).1;
        let body = json!({"payment_intent_id": pi["id"], "after_payment_url": "https://shop.example/paid"});
        let (status, v) = api.justifi("POST", "/v1/checkout_sessions", token, body);
        assert_eq!(status, 201, "{v}");
        format!("/r/{}", v["data"]["checkout_session_id"].as_str().unwrap())
    };
    let old_session = session(&first);
    let (_, checkout) =
        api.justifi("POST", "/v1/checkouts", &first, json!({"amount": 1799, "description": "One Chocolate Donut"}));
    let checkout = format!("/v1/checkouts/{}", checkout["data"]["id"].as_str().unwrap());
    let wc = api.justifi("POST", "/v1/web_component_tokens", &first, json!({"resources": ["write:checkout:cho_x"]})).1;
    assert!(wc["access_token"].is_string(), "{wc}");
    assert_eq!(api.counters()["stored"]["web_component_tokens"], 1);

    // 60 minutes on (docs/webComponentTokens.mdx: "good for 60 minutes"): the web component
    // token goes when the next one is granted; the API token (24 h) stays.
    api.advance_clock(3600);
    api.justifi("POST", "/v1/web_component_tokens", &first, json!({"resources": ["write:checkout:cho_y"]}));
    let stored = api.counters()["stored"].clone();
    assert_eq!((&stored["web_component_tokens"], &stored["tokens"]), (&json!(1), &json!(1)), "{stored}");
    assert_eq!(api.send("GET", &old_session, &[], Value::Null).0, 200, "the session has 24 hours");

    // 24 hours on (docs/description.md: tokens "valid for 24 hours"; legacy/hosted_checkout.md:
    // "You have 24 hours to complete the checkout").
    api.advance_clock(23 * 3600);
    assert_eq!(api.justifi("GET", &checkout, &first, Value::Null).0, 401, "the first token expired");
    let second = api.token();
    let new_session = session(&second);
    let stored = api.counters()["stored"].clone();
    assert_eq!((&stored["tokens"], &stored["checkout_sessions"]), (&json!(1), &json!(1)), "{stored}");
    assert_eq!(api.send("GET", &old_session, &[], Value::Null).0, 404, "Checkout Session Expired");
    assert_eq!(api.send("GET", &new_session, &[], Value::Null).0, 200);

    // A week on (docs/lifecycle.mdx): the unpaid checkout is `expired`, and still answered.
    api.advance_clock(6 * 86_400);
    let third = api.token();
    let (status, read) = api.justifi("GET", &checkout, &third, Value::Null);
    assert_eq!((status, &read["data"]["status"]), (200, &json!("expired")), "{read}");
}
