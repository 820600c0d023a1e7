//! No output carries a secret: every result and error object of calls that succeed and fail,
//! for each provider, is searched for the configured credentials, webhook secrets and the
//! access tokens the library holds.

mod common;

use common::host::Op;
use common::{add_fault, config, ledger, lib, payfect_config, recharge_config, sandbox, Stub};
use serde_json::{json, Value};

const JUSTIFI_SECRET: &str = "test_sandbox_client_secret";
const WEBHOOK_SECRET: &str = "whsec_do_not_print_me_0451";

fn collect(outputs: &mut Vec<String>, result: Result<Value, (i32, Value)>) {
    outputs.push(match result {
        Ok(v) => v.to_string(),
        Err((_, e)) => e.to_string(),
    });
}

#[test]
fn no_result_or_error_carries_a_secret() {
    let s = sandbox();
    let mut outputs = Vec::new();

    let mut cfg = config(&s.base_url());
    cfg["webhook_secrets"] = json!([WEBHOOK_SECRET]);
    let justifi = lib().client(&cfg).unwrap();
    let ops = [
        (Op::Create, json!({"amount": 1799, "description": "x"})),
        (Op::Create, json!({"amount": 1, "description": "x"})),
        (Op::Get, json!({"checkout_id": "cho_missing"})),
        (Op::Complete, json!({"checkout_id": "cho_missing", "payment_token": "pm_x"})),
        (Op::RedirectUrl, json!({"amount": 500, "success_url": "https://shop.test/ok"})),
        (Op::WebComponentToken, json!({"checkout_id": "cho_x"})),
    ];
    for (op, request) in &ops {
        collect(&mut outputs, justifi.call(*op, request));
    }
    add_fault(&s, json!({"route": "POST /v1/checkouts", "status": 500}));
    collect(&mut outputs, justifi.call(Op::Create, &json!({"amount": 1799, "description": "x"})));
    collect(&mut outputs, justifi.verify(&json!({"justifi-timestamp": "1", "justifi-signature": "00"}), b"{}"));
    collect(&mut outputs, justifi.verify(&json!({}), b"{}"));

    let mut wrong = cfg.clone();
    wrong["client_secret"] = "wrong_secret_never_printed".into();
    collect(&mut outputs, lib().client(&wrong).unwrap().call(Op::Get, &json!({"checkout_id": "x"})));
    wrong["colour"] = "red".into();
    outputs.push(lib().client(&wrong).err().unwrap().to_string());

    let mut rc = recharge_config(&s.base_url());
    rc["api_token"] = "rc_token_never_printed".into();
    collect(&mut outputs, lib().client(&rc).unwrap().call(Op::Get, &json!({"checkout_id": "x"})));
    let mut pf = payfect_config(&s.base_url());
    pf["api_key"] = "pf_key_never_printed".into();
    collect(&mut outputs, lib().client(&pf).unwrap().call(Op::Get, &json!({"checkout_id": "x"})));
    let stub = Stub::start(500, r#"{"error": "boom"}"#);
    collect(&mut outputs, lib().client(&config(&stub.base_url)).unwrap().call(Op::Get, &json!({"checkout_id": "x"})));

    assert!(ledger(&s)["token_grants"].as_u64().unwrap() >= 1);
    let forbidden = [
        JUSTIFI_SECRET,
        WEBHOOK_SECRET,
        "wrong_secret_never_printed",
        "rc_token_never_printed",
        "pf_key_never_printed",
        "stub-token",
    ];
    for out in &outputs {
        for secret in forbidden {
            assert!(!out.contains(secret), "{secret} leaked in {out}");
        }
        assert!(!out.contains("\"tok_"), "an access token leaked in {out}");
    }
    println!("{} outputs searched for {} secrets and the access tokens: none found", outputs.len(), forbidden.len());
}
