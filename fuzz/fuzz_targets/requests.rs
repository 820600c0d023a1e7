//! Arbitrary request bytes through the exported C functions: the first byte picks the
//! operation, the rest is the request text. Every call must return a status and a JSON
//! string, never crash. The client points at a closed loopback port, so a well-formed
//! request ends in a quick network error.
#![no_main]

// Linked for its exported C functions, which the declarations below call.
extern crate storefront_checkout;

use libfuzzer_sys::fuzz_target;
use std::ffi::{c_char, CStr, CString};
use std::ptr;
use std::sync::OnceLock;

#[repr(C)]
struct CheckoutClient {
    _private: [u8; 0],
}

type Op = unsafe extern "C" fn(*const CheckoutClient, *const c_char, *mut *mut c_char) -> i32;

extern "C" {
    fn checkout_client_new(config: *const c_char, client: *mut *mut CheckoutClient, out: *mut *mut c_char) -> i32;
    fn checkout_create(c: *const CheckoutClient, r: *const c_char, o: *mut *mut c_char) -> i32;
    fn checkout_get(c: *const CheckoutClient, r: *const c_char, o: *mut *mut c_char) -> i32;
    fn checkout_complete(c: *const CheckoutClient, r: *const c_char, o: *mut *mut c_char) -> i32;
    fn session_redirect_url(c: *const CheckoutClient, r: *const c_char, o: *mut *mut c_char) -> i32;
    fn checkout_web_component_token(c: *const CheckoutClient, r: *const c_char, o: *mut *mut c_char) -> i32;
    fn checkout_string_free(s: *mut c_char);
}

struct Client(*mut CheckoutClient);
unsafe impl Send for Client {}
unsafe impl Sync for Client {}

fn clients() -> &'static [Client; 3] {
    static CLIENTS: OnceLock<[Client; 3]> = OnceLock::new();
    CLIENTS.get_or_init(|| {
        let make = |config: &str| {
            let config = CString::new(config).unwrap();
            let mut client = ptr::null_mut();
            let mut out = ptr::null_mut();
            assert_eq!(unsafe { checkout_client_new(config.as_ptr(), &mut client, &mut out) }, 0);
            Client(client)
        };
        let common = r#""base_url": "http://127.0.0.1:9", "max_retries": 0, "timeout_ms": 50, "connect_timeout_ms": 50"#;
        [
            make(&format!(r#"{{"provider": "justifi", "client_id": "c", "client_secret": "s", "sub_account": "acc_f", {common}}}"#)),
            make(&format!(r#"{{"provider": "recharge", "api_token": "t", {common}}}"#)),
            make(&format!(r#"{{"provider": "payfect", "api_key": "k", {common}}}"#)),
        ]
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    let ops: [Op; 5] = [checkout_create, checkout_get, checkout_complete, session_redirect_url, checkout_web_component_token];
    let op = ops[usize::from(selector) % ops.len()];
    let client = &clients()[usize::from(selector / 5) % 3];
    let text: Vec<u8> = rest.iter().copied().filter(|b| *b != 0).collect();
    let request = CString::new(text).unwrap();
    let mut out = ptr::null_mut();
    let status = unsafe { op(client.0, request.as_ptr(), &mut out) };
    assert!(!out.is_null(), "out_json is always written");
    let json = unsafe { CStr::from_ptr(out) }.to_str().expect("UTF-8 out_json").to_owned();
    unsafe { checkout_string_free(out) };
    let value: serde_json::Value = serde_json::from_str(&json).expect("JSON out_json");
    if status != 0 {
        assert_eq!(value["error"]["status"], status);
    }
});
