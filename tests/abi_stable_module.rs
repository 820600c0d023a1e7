//! A Rust host loads the library's `abi_stable` root module with
//! `RootModule::load_from_directory` (its layout checked against `storefront-checkout-abi`)
//! and runs a checkout through it. Run with `--features abi_stable`.
#![cfg(feature = "abi_stable")]

mod common;

use abi_stable::library::RootModule;
use abi_stable::std_types::{RResult, RStr};
use common::{config, ledger, sandbox, tokenize};
use serde_json::{json, Value};
use storefront_checkout_abi::{CheckoutModRef, ClientBox, Operation};

fn call(client: &ClientBox, operation: Operation, request: Value) -> Result<Value, Value> {
    let text = request.to_string();
    match client.call(operation, RStr::from(text.as_str())) {
        RResult::ROk(ok) => Ok(serde_json::from_str(ok.as_str()).unwrap()),
        RResult::RErr(err) => Err(serde_json::from_str(err.as_str()).unwrap()),
    }
}

#[test]
fn a_rust_host_loads_the_checked_module_and_pays() {
    let dir = std::env::current_exe().unwrap().parent().unwrap().to_owned();
    let module = CheckoutModRef::load_from_directory(&dir).expect("the root module loads and its layout checks");
    assert_eq!(module.version()().as_str(), "0.1.0");

    let s = sandbox();
    let cfg = config(&s.base_url()).to_string();
    let client = match module.new_client()(RStr::from(cfg.as_str())) {
        RResult::ROk(c) => c,
        RResult::RErr(e) => panic!("{e}"),
    };
    let checkout =
        call(&client, Operation::Create, json!({"amount": 1799, "description": "One Chocolate Donut"})).unwrap();
    let id = checkout["id"].as_str().unwrap().to_owned();
    let page = call(&client, Operation::RedirectUrl, json!({"checkout_id": id})).unwrap();
    assert!(page["url"].as_str().unwrap().contains(&id));
    let done = call(
        &client,
        Operation::Complete,
        json!({"checkout_id": id, "payment_token": tokenize(&s, "4242424242424242")}),
    )
    .unwrap();
    assert_eq!(done["payment_status"], "succeeded");
    assert_eq!(ledger(&s)["checkouts"][&id]["payments"].as_array().unwrap().len(), 1);

    let e = call(&client, Operation::Get, json!({"checkout_id": "cho_missing"})).unwrap_err();
    assert_eq!((e["error"]["status"].as_i64(), e["error"]["code"].as_str()), (Some(8), Some("not_found")));
    let e = call(&client, Operation::Get, json!([])).unwrap_err();
    assert_eq!(e["error"]["status"], 3);
    match module.new_client()(RStr::from("{\"provider\": \"nope\"}")) {
        RResult::RErr(e) => assert!(e.as_str().contains("provider: must be one of"), "{e}"),
        RResult::ROk(_) => panic!("a bad configuration made a client"),
    }
}
