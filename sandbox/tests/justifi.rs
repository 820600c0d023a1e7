//! The sandbox answers as JustiFi's spec says: envelopes, status codes, id prefixes, error
//! bodies, cursor pagination, idempotency and bearer checks.

use checkout_sandbox::{Sandbox, SandboxConfig, TEST_CLIENT_ID, TEST_CLIENT_SECRET, TEST_SUB_ACCOUNT};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

struct Api {
    base: String,
    agent: ureq::Agent,
}

impl Api {
    fn new(s: &Sandbox) -> Api {
        Api { base: s.base_url(), agent: ureq::Agent::config_builder().http_status_as_error(false).build().into() }
    }

    fn send(&self, method: &str, path: &str, headers: &[(&str, &str)], body: Option<Value>) -> (u16, Value) {
        let url = format!("{}{path}", self.base);
        let mut resp = if method == "GET" {
            let mut r = self.agent.get(&url);
            for (k, v) in headers {
                r = r.header(*k, *v);
            }
            r.call()
        } else {
            let mut r = self.agent.post(&url);
            for (k, v) in headers {
                r = r.header(*k, *v);
            }
            r.content_type("application/json").send(body.unwrap_or(json!({})).to_string())
        }
        .unwrap();
        let status = resp.status().as_u16();
        assert!(resp.headers().get("request-id").is_some(), "every answer has a request-id");
        (status, serde_json::from_str(&resp.body_mut().read_to_string().unwrap()).unwrap_or(Value::Null))
    }

    fn token(&self) -> String {
        let (status, v) = self.send(
            "POST",
            "/oauth/token",
            &[],
            Some(json!({"client_id": TEST_CLIENT_ID, "client_secret": TEST_CLIENT_SECRET})),
        );
        assert_eq!(status, 200);
        v["access_token"].as_str().unwrap().to_owned()
    }
}

#[test]
fn access_tokens_require_the_right_credentials_and_a_bearer_header() {
    let s = Sandbox::start(SandboxConfig::default()).unwrap();
    let api = Api::new(&s);
    let (status, v) =
        api.send("POST", "/oauth/token", &[], Some(json!({"client_id": TEST_CLIENT_ID, "client_secret": "nope"})));
    assert_eq!((status, v["error"]["code"].as_str()), (401, Some("not_authenticated")));
    let token = api.token();
    for auth in [None, Some("Bearer wrong".to_owned()), Some(format!("Token {token}"))] {
        let headers: Vec<(&str, &str)> = auth.as_deref().map(|a| ("Authorization", a)).into_iter().collect();
        let (status, v) = api.send("GET", "/v1/checkouts", &headers, None);
        assert_eq!((status, &v), (401, &json!({"error": "Not Authorized"})));
    }
    let spaced = format!("Bearer  {token}");
    assert_eq!(
        api.send("GET", "/v1/checkouts", &[("Authorization", &spaced)], None).0,
        200,
        "a leading space is tolerated"
    );
}

#[test]
fn tokens_expire_after_their_lifetime() {
    let s = Sandbox::start(SandboxConfig { token_ttl: Duration::from_millis(100), ..Default::default() }).unwrap();
    let api = Api::new(&s);
    let bearer = format!("Bearer {}", api.token());
    assert_eq!(api.send("GET", "/v1/checkouts", &[("Authorization", &bearer)], None).0, 200);
    std::thread::sleep(Duration::from_millis(150));
    assert_eq!(api.send("GET", "/v1/checkouts", &[("Authorization", &bearer)], None).0, 401);
}

#[test]
fn checkouts_follow_the_spec() {
    let s = Sandbox::start(SandboxConfig::default()).unwrap();
    let api = Api::new(&s);
    let bearer = format!("Bearer {}", api.token());
    let auth = [("Authorization", bearer.as_str()), ("Sub-Account", TEST_SUB_ACCOUNT)];

    let (status, v) = api.send("POST", "/v1/checkouts", &auth[..1], Some(json!({"amount": 1799, "description": "x"})));
    assert_eq!((status, v["error"]["code"].as_str()), (400, Some("parameter_missing")));
    let (status, _) = api.send(
        "POST",
        "/v1/checkouts",
        &[auth[0], ("Sub-Account", "acc_unknown")],
        Some(json!({"amount": 1799, "description": "x"})),
    );
    assert_eq!(status, 403);
    // The codes of JustiFi's docs' error table (*API description*, "Error Codes").
    for (bad, code) in [
        (json!({"amount": 49, "description": "x"}), "amount_below_minimum"),
        (json!({"amount": 100000001, "description": "x"}), "amount_above_maximum"),
        (json!({"amount": "1799", "description": "x"}), "amount_must_be_an_integer"),
        (json!({"description": "x"}), "amount_required"),
        (json!({"amount": 1799}), "parameter_missing"),
        (json!({"amount": 1799, "description": " "}), "parameter_missing"),
    ] {
        let (status, v) = api.send("POST", "/v1/checkouts", &auth, Some(bad.clone()));
        assert_eq!((status, v["error"]["code"].as_str()), (422, Some(code)), "{bad}");
    }

    let (status, v) =
        api.send("POST", "/v1/checkouts", &auth, Some(json!({"amount": 1799, "description": "One Chocolate Donut"})));
    assert_eq!(status, 201);
    let id = v["data"]["id"].as_str().unwrap();
    assert!(id.starts_with("cho_"));
    assert_eq!((v["id"].as_str(), v["type"].as_str(), &v["page_info"]), (Some(id), Some("checkout"), &Value::Null));
    let data = &v["data"];
    assert_eq!(
        (data["payment_amount"].as_u64(), data["payment_currency"].as_str(), data["status"].as_str()),
        (Some(1799), Some("USD"), Some("created"))
    );
    let default = format!("Checkout {id}");
    assert_eq!(
        data["payment_description"],
        default.as_str(),
        "spec: no payment.description, \"Checkout [checkout id]\""
    );
    // The properties of `components.schemas.Checkout` in tests/fixtures/justifi-spec/justifi-openapi.yaml.
    let mut spec = [
        "id",
        "account_id",
        "platform_account_id",
        "payment_amount",
        "payment_currency",
        "payment_description",
        "payment_methods",
        // `payment_method_group_id` is there "if provided"; this create gives none.
        "status",
        "mode",
        "successful_payment_id",
        "statement_descriptor",
        "application_fees",
        "payment_settings",
        "payment",
        "created_at",
        "updated_at",
        "completions",
    ];
    let mut keys: Vec<&str> = data.as_object().unwrap().keys().map(String::as_str).collect();
    spec.sort_unstable();
    keys.sort_unstable();
    assert_eq!(keys, spec, "exactly the spec's Checkout properties");
    assert_eq!(data["account_id"], TEST_SUB_ACCOUNT);
    assert_eq!(data["completions"], json!([]));

    let (status, got) = api.send("GET", &format!("/v1/checkouts/{id}"), &auth, None);
    assert_eq!((status, &got["data"]), (200, data));
    assert_eq!(api.send("GET", "/v1/checkouts/cho_missing", &auth, None).0, 404);
    assert_eq!(api.send("GET", "/v1/nothing/here", &auth, None).0, 404);
}

#[test]
fn checkout_lists_page_by_cursor() {
    let s = Sandbox::start(SandboxConfig::default()).unwrap();
    let api = Api::new(&s);
    let bearer = format!("Bearer {}", api.token());
    let auth = [("Authorization", bearer.as_str()), ("Sub-Account", TEST_SUB_ACCOUNT)];
    let mut created = Vec::new();
    for i in 0..5 {
        let (_, v) = api.send("POST", "/v1/checkouts", &auth, Some(json!({"amount": 100 + i, "description": "x"})));
        created.push(v["data"]["id"].as_str().unwrap().to_owned());
    }
    created.reverse();
    let (status, page1) = api.send("GET", "/v1/checkouts?limit=2", &auth, None);
    assert_eq!(status, 200);
    assert_eq!((page1["id"].clone(), page1["type"].as_str()), (Value::Null, Some("array")));
    let ids = |p: &Value| {
        p["data"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
    };
    assert_eq!(ids(&page1), created[..2]);
    assert_eq!(
        (page1["page_info"]["has_next"].as_bool(), page1["page_info"]["has_previous"].as_bool()),
        (Some(true), Some(false))
    );
    let end = page1["page_info"]["end_cursor"].as_str().unwrap();
    let (_, page2) = api.send("GET", &format!("/v1/checkouts?limit=2&after_cursor={end}"), &auth, None);
    assert_eq!(ids(&page2), created[2..4]);
    let start = page2["page_info"]["start_cursor"].as_str().unwrap();
    let (_, back) = api.send("GET", &format!("/v1/checkouts?limit=2&before_cursor={start}"), &auth, None);
    assert_eq!(ids(&back), created[..2]);
    let end = page2["page_info"]["end_cursor"].as_str().unwrap();
    let (_, page3) = api.send("GET", &format!("/v1/checkouts?limit=2&after_cursor={end}"), &auth, None);
    assert_eq!(ids(&page3), created[4..]);
    assert_eq!(page3["page_info"]["has_next"], false);
    assert_eq!(api.send("GET", "/v1/checkouts?limit=101", &auth, None).0, 422);
    assert_eq!(api.send("GET", "/v1/checkouts?after_cursor=zz", &auth, None).0, 422);
}

#[test]
fn completion_idempotency_follows_the_docs() {
    let s = Sandbox::start(SandboxConfig::default()).unwrap();
    let api = Api::new(&s);
    let bearer = format!("Bearer {}", api.token());
    let auth = [("Authorization", bearer.as_str()), ("Sub-Account", TEST_SUB_ACCOUNT)];
    let (_, v) = api.send("POST", "/v1/checkouts", &auth, Some(json!({"amount": 1799, "description": "x"})));
    let path = format!("/v1/checkouts/{}/complete", v["data"]["id"].as_str().unwrap());
    let (_, pm) = api.send(
        "POST",
        "/v1/payment_methods",
        &auth,
        Some(json!({"payment_method": {"card": {"number": "4242424242424242"}}})),
    );
    let pm = pm["data"]["id"].as_str().unwrap();
    let body = json!({"payment_token": pm, "payment_mode": "ecom"});

    let (status, v) = api.send("POST", &path, &auth, Some(body.clone()));
    assert_eq!((status, v["error"]["code"].as_str()), (400, Some("idempotency_key_required")));
    let long = "k".repeat(101);
    let (status, v) = api.send("POST", &path, &[auth[0], auth[1], ("Idempotency-Key", &long)], Some(body.clone()));
    assert_eq!(status, 422);
    assert_eq!(v["error"]["message"], "Validation failed: Idempotency key is too long (maximum is 100 characters)");

    let keyed = [auth[0], auth[1], ("Idempotency-Key", "k1")];
    let (status, first) = api.send("POST", &path, &keyed, Some(body.clone()));
    assert_eq!((status, first["type"].as_str()), (201, Some("checkout_completion")));
    assert!(first["data"]["id"].as_str().unwrap().starts_with("chc_"));
    assert_eq!(first["data"]["checkout"]["status"], "completed");
    assert_eq!(first["data"]["payment_response"]["type"], "payment");
    let (status, replay) = api.send("POST", &path, &keyed, Some(body.clone()));
    assert_eq!((status, &replay), (201, &first));
    let (status, v) = api.send("POST", &path, &keyed, Some(json!({"payment_token": "pm_other"})));
    assert_eq!((status, v["error"]["code"].as_str()), (422, Some("idempotency_params_mismatch")));
    let (status, v) = api.send("POST", &path, &[auth[0], auth[1], ("Idempotency-Key", "k2")], Some(body));
    // No published code for a closed checkout: 422 with a message and no code.
    assert_eq!((status, &v), (422, &json!({"error": {"message": "Checkout has already been completed"}})));
}

#[test]
fn tokenization_checks_the_card_number() {
    let s = Sandbox::start(SandboxConfig::default()).unwrap();
    let api = Api::new(&s);
    let bearer = format!("Bearer {}", api.token());
    let auth = [("Authorization", bearer.as_str()), ("Sub-Account", TEST_SUB_ACCOUNT)];
    let (status, v) = api.send(
        "POST",
        "/v1/payment_methods",
        &auth,
        Some(json!({"payment_method": {"card": {"number": "4242424242424241"}}})),
    );
    assert_eq!((status, v["error"]["code"].as_str()), (402, Some("invalid_card_number")));
    let (status, v) = api.send(
        "POST",
        "/v1/payment_methods",
        &auth,
        Some(json!({"payment_method": {"card": {"number": "4242 4242 4242 4242"}}})),
    );
    assert_eq!(status, 201);
    assert_eq!(
        (v["data"]["card"]["brand"].as_str(), v["data"]["card"]["acct_last_four"].as_str()),
        (Some("visa"), Some("4242"))
    );
    let (status, v) = api.send("POST", "/v1/payment_methods", &auth,
        Some(json!({"payment_method": {"bank_account": {"routing_number": "110000000", "account_number": "000123456789"}}})));
    assert_eq!((status, v["data"]["type"].as_str()), (201, Some("bank_account")));
}

/// A checkout created for `origin_url` (none when `None`) and a web component token for it,
/// with the roles seed 001 names: `(checkout id, token)`.
fn component_checkout(api: &Api, origin_url: Option<&str>) -> (String, String) {
    let bearer = format!("Bearer {}", api.token());
    let mut body = json!({"amount": 1799, "description": "One Chocolate Donut"});
    if let Some(url) = origin_url {
        body["origin_url"] = url.into();
    }
    let (status, checkout) =
        api.send("POST", "/v1/checkouts", &[("Authorization", &bearer), ("Sub-Account", TEST_SUB_ACCOUNT)], Some(body));
    assert_eq!(status, 201, "{checkout}");
    let id = checkout["data"]["id"].as_str().unwrap().to_owned();
    let resources = [format!("write:checkout:{id}"), format!("write:tokenize:{TEST_SUB_ACCOUNT}")];
    let (status, wct) = api.send(
        "POST",
        "/v1/web_component_tokens",
        &[("Authorization", &bearer)],
        Some(json!({"resources": resources})),
    );
    assert_eq!(status, 200, "{wct}");
    (id, wct["access_token"].as_str().unwrap().to_owned())
}

/// The headers JustiFi's component sends with every call (`@justifi/webcomponents` 6.x,
/// `dist/collection/api/Api.js` `getAuthorizationHeader`), from a page on `origin`, with
/// a fresh 10-character key as its `generateId` makes.
fn component_headers(origin: &str, token: &str, key: &str) -> Vec<(String, String)> {
    vec![
        ("Origin".into(), origin.into()),
        ("Authorization".into(), format!("Bearer {token}")),
        ("Idempotency-Key".into(), key.into()),
        ("Justifi-Web-Component-Version".into(), "6.14.3".into()),
    ]
}

fn as_refs(headers: &[(String, String)]) -> Vec<(&str, &str)> {
    headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

#[test]
fn the_web_component_script_and_its_card_field_pages_are_served() {
    let s = Sandbox::start(SandboxConfig::default()).unwrap();
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let shop = "http://127.0.0.1:8000";
    let mut script = agent
        .get(&format!("{}/webcomponents/webcomponents.esm.js", s.base_url()))
        .header("Origin", shop)
        .call()
        .unwrap();
    assert_eq!(script.status(), 200);
    assert!(script.headers()["content-type"].to_str().unwrap().starts_with("text/javascript"));
    assert_eq!(script.headers()["access-control-allow-origin"], "*", "a module script is fetched in CORS mode");
    let text = script.body_mut().read_to_string().unwrap();
    assert!(text.contains("customElements.define('justifi-checkout'"));
    assert!(text.contains("customElements.define('justifi-config-provider'"));

    // card-form.js loads {iframe origin}/v2/{cardNumber,expirationMonth,expirationYear,CVV}.
    for field in ["cardNumber", "expirationMonth", "expirationYear", "CVV"] {
        let mut page = agent.get(&format!("{}/v2/{field}?tabId=abc", s.base_url())).call().unwrap();
        assert_eq!(page.status(), 200, "{field}");
        assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
        assert!(page.body_mut().read_to_string().unwrap().contains("[iFrameSizer]"));
    }
    assert_eq!(agent.get(&format!("{}/v2/accountNumber", s.base_url())).call().unwrap().status(), 404);
}

#[test]
fn the_web_component_reads_and_completes_its_checkout_from_the_page() {
    let s = Sandbox::start(SandboxConfig::default()).unwrap();
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let api = Api::new(&s);
    let shop = "http://127.0.0.1:8000";
    let (id, wct) = component_checkout(&api, Some(shop));

    // The browser's preflights of the component's calls (api/Api.js headers).
    for (method, path) in [("GET", format!("/v1/checkouts/{id}")), ("POST", format!("/v1/checkouts/{id}/complete"))] {
        let preflight = agent
            .options(&format!("{}{path}", s.base_url()))
            .header("Origin", shop)
            .header("Access-Control-Request-Method", method)
            .header(
                "Access-Control-Request-Headers",
                "authorization,content-type,idempotency-key,justifi-web-component-version",
            )
            .call()
            .unwrap();
        assert_eq!(preflight.status(), 200, "{method} {path}");
        assert_eq!(preflight.headers()["access-control-allow-origin"], "*");
        let allowed = preflight.headers()["access-control-allow-headers"].to_str().unwrap().to_ascii_lowercase();
        for header in ["authorization", "content-type", "idempotency-key", "justifi-web-component-version"] {
            assert!(allowed.contains(header), "{method} {path}: {header} not in {allowed}");
        }
    }

    // fetchCheckout: the token as bearer, no Sub-Account, a key even on a GET.
    let headers = component_headers(shop, &wct, "aB3dE5gH7j");
    let (status, read) = api.send("GET", &format!("/v1/checkouts/{id}"), &as_refs(&headers), None);
    assert_eq!((status, read["data"]["id"].as_str()), (200, Some(id.as_str())), "{read}");
    let account = read["data"]["account_id"].as_str().unwrap().to_owned();

    // The card iframe's tokenizing call, then complete: a decline is a 201 with payment_status
    // failed (what the component hands to submit-event), and a new key pays.
    let tokenize = |number: &str| {
        let (status, pm) = api.send(
            "POST",
            "/v1/payment_methods",
            &[("Authorization", &format!("Bearer {wct}")), ("Sub-Account", &account)],
            Some(json!({"payment_method": {"card": {"number": number, "month": "12", "year": "2040"}}})),
        );
        assert_eq!(status, 201, "{pm}");
        pm["id"].as_str().unwrap().to_owned()
    };
    let complete = format!("/v1/checkouts/{id}/complete");
    let declined = tokenize("4000000000000002");
    let headers = component_headers(shop, &wct, "kL9mN1pQ3r");
    let (status, answer) = api.send(
        "POST",
        &complete,
        &as_refs(&headers),
        Some(json!({"payment_mode": "ecom", "payment_token": declined})),
    );
    assert_eq!((status, answer["data"]["payment_status"].as_str()), (201, Some("failed")), "{answer}");
    let paid = tokenize("4242424242424242");
    let headers = component_headers(shop, &wct, "sT5uV7wX9y");
    let (status, answer) =
        api.send("POST", &complete, &as_refs(&headers), Some(json!({"payment_mode": "ecom", "payment_token": paid})));
    assert_eq!((status, answer["data"]["payment_status"].as_str()), (201, Some("succeeded")), "{answer}");
    assert_eq!(answer["data"]["checkout"]["status"], "completed");
}

#[test]
fn the_web_component_works_only_from_the_checkouts_origin_url() {
    // Seed 001: "you must set the origin_url parameter to be the domain on which you will
    // render the component".
    let s = Sandbox::start(SandboxConfig::default()).unwrap();
    let api = Api::new(&s);
    let shop = "http://127.0.0.1:8000";
    let (id, wct) = component_checkout(&api, Some(shop));
    let body = json!({"payment_mode": "ecom", "payment_token": "pm_test_visa"});
    for origin in ["http://127.0.0.1:8001", "https://127.0.0.1:8000", "http://evil.example", "null"] {
        let headers = component_headers(origin, &wct, "aB3dE5gH7j");
        let (status, v) = api.send("GET", &format!("/v1/checkouts/{id}"), &as_refs(&headers), None);
        assert_eq!(status, 403, "GET from {origin}: {v}");
        let (status, v) =
            api.send("POST", &format!("/v1/checkouts/{id}/complete"), &as_refs(&headers), Some(body.clone()));
        assert_eq!(status, 403, "complete from {origin}: {v}");
    }
    let no_origin = [("Authorization", format!("Bearer {wct}")), ("Idempotency-Key", "kL9mN1pQ3r".to_owned())];
    let no_origin: Vec<(&str, &str)> = no_origin.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(api.send("GET", &format!("/v1/checkouts/{id}"), &no_origin, None).0, 403, "a page always sends Origin");
    let ledger = ureq::get(format!("{}/__sandbox/ledger", s.base_url())).call().unwrap().body_mut().read_to_string();
    let ledger: Value = serde_json::from_str(&ledger.unwrap()).unwrap();
    assert_eq!(ledger["checkouts"][&id]["completions"], 0, "no refused call completed it");

    // A checkout created without origin_url cannot be used by the component at all.
    let (bare, bare_wct) = component_checkout(&api, None);
    let headers = component_headers(shop, &bare_wct, "aB3dE5gH7j");
    let (status, v) = api.send("GET", &format!("/v1/checkouts/{bare}"), &as_refs(&headers), None);
    assert_eq!(status, 403, "{v}");

    // The storefront's server reads with its API token, and sends no Origin.
    let bearer = format!("Bearer {}", api.token());
    assert_eq!(api.send("GET", &format!("/v1/checkouts/{bare}"), &[("Authorization", &bearer)], None).0, 200);
    // origin_url names a page origin; a trailing slash does not change it.
    let (slash, slash_wct) = component_checkout(&api, Some("http://127.0.0.1:8000/"));
    let headers = component_headers(shop, &slash_wct, "aB3dE5gH7j");
    assert_eq!(api.send("GET", &format!("/v1/checkouts/{slash}"), &as_refs(&headers), None).0, 200);
}

#[test]
fn the_binary_serves_on_the_port_it_prints() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_checkout-sandbox"))
        .args(["--port", "0"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let base = line.trim().strip_prefix("checkout-sandbox listening on ").expect("the address line").to_owned();
    let status = ureq::post(format!("{base}/oauth/token"))
        .content_type("application/json")
        .send(json!({"client_id": TEST_CLIENT_ID, "client_secret": TEST_CLIENT_SECRET}).to_string())
        .map(|r| r.status().as_u16());
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(status.unwrap(), 200);

    let out = Command::new(env!("CARGO_BIN_EXE_checkout-sandbox")).arg("--bogus").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// JustiFi's docs (*API description*, "Standard API Response Structure": "All of our responses
/// are contained in the same envelope", with `id`, `type`, `data`, `page_info`) and the official
/// justifi-node (`lib/internal/http.js` builds its `ApiResponse` from `result.id`,
/// `result.type`, `result.data`): payment intents are enveloped too, though the legacy
/// `payment_intents.yaml` shows the 201 bare.
#[test]
fn payment_intents_answer_in_the_standard_envelope() {
    let s = Sandbox::start(SandboxConfig::default()).unwrap();
    let api = Api::new(&s);
    let bearer = format!("Bearer {}", api.token());
    let auth = [("Authorization", bearer.as_str()), ("Sub-Account", TEST_SUB_ACCOUNT), ("Idempotency-Key", "pi-1")];
    let body = json!({"amount": 1799, "currency": "usd", "description": "One Chocolate Donut"});
    let (status, created) = api.send("POST", "/v1/payment_intents", &auth, Some(body));
    assert_eq!(status, 201, "{created}");
    let id = created["data"]["id"].as_str().unwrap_or_else(|| panic!("no data.id: {created}")).to_owned();
    assert!(id.starts_with("pi_"));
    assert_eq!(
        (created["id"].as_str(), created["type"].as_str(), &created["page_info"]),
        (Some(id.as_str()), Some("payment_intent"), &Value::Null)
    );
    assert_eq!(
        (created["data"]["amount"].as_u64(), created["data"]["status"].as_str()),
        (Some(1799), Some("requires_payment_method"))
    );
    let (status, read) = api.send("GET", &format!("/v1/payment_intents/{id}"), &auth[..2], None);
    assert_eq!(status, 200);
    assert_eq!(
        (read["id"].as_str(), read["type"].as_str(), read["data"]["id"].as_str()),
        (Some(id.as_str()), Some("payment_intent"), Some(id.as_str()))
    );
}

/// The spec's `POST /web_component_tokens` answer is `200` with `access_token` alone, and
/// justifi-node's `AccessToken` (`lib/internal/auth.d.ts`) has nothing else.
#[test]
fn a_web_component_token_answer_is_the_specs_access_token_alone() {
    let s = Sandbox::start(SandboxConfig::default()).unwrap();
    let api = Api::new(&s);
    let bearer = format!("Bearer {}", api.token());
    let body = json!({"resources": ["write:checkout:cho_1", format!("write:tokenize:{TEST_SUB_ACCOUNT}")]});
    let (status, wct) = api.send("POST", "/v1/web_component_tokens", &[("Authorization", &bearer)], Some(body));
    assert_eq!(status, 200, "{wct}");
    let keys: Vec<&String> = wct.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["access_token"], "{wct}");
}
