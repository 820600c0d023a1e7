//! The hosted pages send the shopper only to absolute `http(s)` URLs: JustiFi documents
//! `success_redirect_url` as a way back to the storefront (`https://yourapp.com/payment-success`,
//! docs/hosted-checkout.mdx); a `javascript:` or `data:` URL is refused with an error page, before
//! any payment.

use checkout_sandbox::{Sandbox, SandboxConfig, TEST_CLIENT_ID, TEST_CLIENT_SECRET, TEST_SUB_ACCOUNT};
use serde_json::{json, Value};

/// Idempotency keys, one per API POST.
static KEYS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

struct Browser {
    base: String,
    agent: ureq::Agent,
}

/// An answer: status, `Location` and body.
type Answer = (u16, Option<String>, String);

impl Browser {
    fn new(s: &Sandbox) -> Browser {
        let agent = ureq::Agent::config_builder().http_status_as_error(false).max_redirects(0).build().into();
        Browser { base: s.base_url(), agent }
    }

    fn answer(mut resp: ureq::http::Response<ureq::Body>) -> Answer {
        let location = resp.headers().get("location").and_then(|v| v.to_str().ok()).map(str::to_owned);
        (resp.status().as_u16(), location, resp.body_mut().read_to_string().unwrap())
    }

    fn get(&self, path: &str) -> Answer {
        Browser::answer(self.agent.get(&format!("{}{path}", self.base)).call().unwrap())
    }

    fn post_form(&self, path: &str, form: &[(&str, &str)]) -> Answer {
        let url = format!("{}{path}", self.base);
        Browser::answer(self.agent.post(&url).send_form(form.iter().copied()).unwrap())
    }

    fn api(&self, method: &str, path: &str, token: Option<&str>, body: Value) -> Value {
        let url = format!("{}{path}", self.base);
        let mut resp = if method == "GET" {
            self.agent.get(&url).header("Authorization", format!("Bearer {}", token.unwrap_or_default())).call()
        } else {
            let key = format!("pages-test-{}", KEYS.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
            let mut r = self.agent.post(&url).header("Sub-Account", TEST_SUB_ACCOUNT).header("Idempotency-Key", key);
            if let Some(t) = token {
                r = r.header("Authorization", format!("Bearer {t}"));
            }
            r.content_type("application/json").send(body.to_string())
        }
        .unwrap();
        serde_json::from_str(&resp.body_mut().read_to_string().unwrap()).unwrap()
    }

    fn token(&self) -> String {
        let grant = json!({"client_id": TEST_CLIENT_ID, "client_secret": TEST_CLIENT_SECRET});
        self.api("POST", "/oauth/token", None, grant)["access_token"].as_str().unwrap().to_owned()
    }
}

#[test]
fn the_hosted_checkout_redirects_only_to_http_urls() {
    let s = Sandbox::start(SandboxConfig::default()).unwrap();
    let browser = Browser::new(&s);
    let token = browser.token();
    let checkout = browser.api(
        "POST",
        "/v1/checkouts",
        Some(&token),
        json!({"amount": 1799, "description": "One Chocolate Donut"}),
    );
    let id = checkout["data"]["id"].as_str().unwrap();
    let page = format!("/hosted-checkout/{id}");
    for bad in
        ["javascript:alert(document.domain)", "data:text/html,<script>alert(1)</script>", "/relative", "ftp://x/"]
    {
        let query: String = url::form_urlencoded::byte_serialize(bad.as_bytes()).collect();
        let (status, _, body) = browser.get(&format!("{page}?success_redirect_url={query}"));
        assert_eq!(status, 400, "{bad}: {body}");
        assert!(body.contains("success_redirect_url must be an absolute http or https URL"), "{body}");
        let (status, location, body) =
            browser.post_form(&page, &[("card_number", "4242424242424242"), ("success_redirect_url", bad)]);
        assert_eq!((status, location), (400, None), "{bad}: {body}");
    }
    let read = browser.api("GET", &format!("/v1/checkouts/{id}"), Some(&token), Value::Null);
    assert_eq!(read["data"]["status"], "created", "a refused redirect charged nothing");

    let ok = "https://shop.example/orders/1?paid=1";
    let (status, _, body) =
        browser.get(&format!("{page}?success_redirect_url=https%3A%2F%2Fshop.example%2Forders%2F1%3Fpaid%3D1"));
    assert_eq!(status, 200);
    assert!(body.contains("value=\"https://shop.example/orders/1?paid=1\""), "{body}");
    let (status, location, _) =
        browser.post_form(&page, &[("card_number", "4242424242424242"), ("success_redirect_url", ok)]);
    assert_eq!((status, location.as_deref()), (303, Some(ok)));
}

#[test]
fn a_checkout_session_with_a_script_url_is_refused_before_payment() {
    let s = Sandbox::start(SandboxConfig::default()).unwrap();
    let browser = Browser::new(&s);
    let token = browser.token();
    let pi = browser.api(
        "POST",
        "/v1/payment_intents",
        Some(&token),
        json!({"amount": 1799, "currency": "usd", "description": "One Chocolate Donut"}),
    );
    let session = browser.api(
        "POST",
        "/v1/checkout_sessions",
        Some(&token),
        json!({"payment_intent_id": pi["id"], "after_payment_url": "javascript:alert(1)"}),
    );
    let path = format!("/r/{}", session["data"]["checkout_session_id"].as_str().unwrap());
    let (status, _, body) = browser.get(&path);
    assert_eq!(status, 400, "{body}");
    let (status, location, _) = browser.post_form(&path, &[("card_number", "4242424242424242")]);
    assert_eq!((status, location), (400, None));
    let read =
        browser.api("GET", &format!("/v1/payment_intents/{}", pi["id"].as_str().unwrap()), Some(&token), Value::Null);
    assert_eq!(read["data"]["status"], "requires_payment_method", "nothing was charged");
}
