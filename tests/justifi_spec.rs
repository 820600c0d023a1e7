//! JustiFi conformance that does not trust the sandbox: the library runs every JustiFi
//! operation against a sandbox that records each exchange, and every request the library sent
//! and every answer the sandbox gave is validated against JustiFi's published description
//! (`tests/fixtures/justifi-spec/`: the OpenAPI spec, and the legacy checkout session path).

mod common;

use checkout_sandbox::{Sandbox, SandboxConfig};
use common::host::Op;
use common::{config, lib, sandbox_request, tokenize};
use serde_json::{json, Map, Value};

fn yaml(name: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/justifi-spec").join(name);
    serde_norway::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// OpenAPI 3.0 schemas as JSON Schema (draft 4): `nullable: true` becomes a `null` type. The
/// spec also writes types JSON Schema has not, read for what they say: `type: null`
/// (`Envelope.page_info`, always null) as `"null"`, `"array of objects"`
/// (`additional_transactions`) as `"array"`, and `"enum[verifone verifone_simulator]"` as no
/// type constraint.
fn json_schema(v: &mut Value) {
    const TYPES: [&str; 7] = ["null", "boolean", "object", "array", "number", "string", "integer"];
    match v {
        Value::Object(map) => {
            for inner in map.values_mut() {
                json_schema(inner);
            }
            // A property the schema does not require may be null: the spec describes them as
            // present "if provided" or "or null", and never marks them `nullable`.
            let required: Vec<String> = map
                .get("required")
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
                .unwrap_or_default();
            if let Some(Value::Object(properties)) = map.get_mut("properties") {
                for (name, property) in properties.iter_mut() {
                    if !required.contains(name) {
                        let inner = std::mem::take(property);
                        *property = json!({"anyOf": [inner, {"type": "null"}]});
                    }
                }
            }
            // `oneOf` without a discriminator: a payment intent with no payment method yet is
            // both a `CardPaymentIntent` and a `BankAccountPaymentIntent`, so one of them is
            // what the spec means.
            if let Some(choices) = map.remove("oneOf") {
                map.insert("anyOf".into(), choices);
            }
            match map.get("type") {
                Some(Value::Null) => {
                    map.insert("type".into(), "null".into());
                }
                Some(Value::String(t)) if !TYPES.contains(&t.as_str()) => {
                    if t.starts_with("array") {
                        map.insert("type".into(), "array".into());
                    } else {
                        map.remove("type");
                    }
                }
                _ => {}
            }
            if map.remove("nullable") == Some(Value::Bool(true)) {
                match map.get("type").cloned() {
                    Some(Value::String(t)) => {
                        map.insert("type".into(), json!([t, "null"]));
                        if let Some(Value::Array(values)) = map.get_mut("enum") {
                            values.push(Value::Null);
                        }
                    }
                    _ => {
                        let inner = Value::Object(std::mem::take(map));
                        map.insert("anyOf".into(), json!([inner, {"type": "null"}]));
                    }
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(json_schema),
        _ => {}
    }
}

/// The legacy path files refer to the spec's components by file; the same components are in
/// the spec itself.
fn local_refs(v: &mut Value) {
    match v {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get_mut("$ref") {
                if let Some(name) = r.strip_prefix("../components/schemas/").and_then(|n| n.strip_suffix(".yaml")) {
                    *r = format!("#/components/schemas/{name}");
                }
            }
            map.values_mut().for_each(local_refs);
        }
        Value::Array(items) => items.iter_mut().for_each(local_refs),
        _ => {}
    }
}

struct Spec {
    paths: Map<String, Value>,
    components: Value,
}

impl Spec {
    fn load() -> Spec {
        let mut spec = yaml("justifi-openapi.yaml");
        let mut sessions = yaml("checkout_sessions.yaml");
        local_refs(&mut sessions);
        json_schema(&mut spec);
        json_schema(&mut sessions);
        let mut paths = spec["paths"].as_object().unwrap().clone();
        paths.insert("/checkout_sessions".into(), sessions);
        Spec { paths, components: spec["components"].clone() }
    }

    /// The operation for a sandbox route (`POST /v1/checkouts/{id}/complete`).
    fn operation(&self, method: &str, route: &str) -> Option<&Value> {
        let route = route.strip_prefix("/v1").unwrap_or(route);
        self.paths.get(route)?.get(method.to_ascii_lowercase())
    }

    /// Validates `instance` against `schema` (whose `$ref`s point into the components).
    fn check(&self, schema: &Value, instance: &Value) -> Vec<String> {
        let root = json!({"allOf": [schema], "components": self.components});
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft4)
            .should_validate_formats(false)
            .build(&root)
            .unwrap_or_else(|e| panic!("schema does not compile: {e}"));
        validator.iter_errors(instance).map(|e| format!("{} at {}", e, e.instance_path())).collect()
    }
}

/// The tokenizer (`POST /v1/payment_methods`) stands in for JustiFi's web component in the
/// browser: the tests call it, the library never does.
const NOT_THE_LIBRARYS: &str = "POST /v1/payment_methods";

/// Runs every JustiFi operation through the library against a recording sandbox.
fn exchanges() -> Vec<Value> {
    let s = Sandbox::start(SandboxConfig { record_exchanges: true, ..Default::default() }).unwrap();
    let client = lib().client(&config(&s.base_url())).unwrap();
    let checkout = client
        .call(
            Op::Create,
            &json!({"amount": 1799, "currency": "usd", "description": "One Chocolate Donut",
                "origin_url": "http://localhost:3000", "metadata": {"order": "7"}, "client_reference_id": "cart_7",
                "provider_options": {"statement_descriptor": "Big Donuts"}}),
        )
        .unwrap();
    let id = checkout["id"].as_str().unwrap();
    client.call(Op::Get, &json!({"checkout_id": id})).unwrap();
    client.call(Op::WebComponentToken, &json!({"checkout_id": id})).unwrap();
    client.call(Op::RedirectUrl, &json!({"checkout_id": id, "success_url": "https://shop.example/ok"})).unwrap();
    let pm = tokenize(&s, "4242424242424242");
    let declined = client.call(Op::Create, &json!({"amount": 500, "description": "Declined"})).unwrap();
    let card = tokenize(&s, "4000000000000002");
    client.call(Op::Complete, &json!({"checkout_id": declined["id"], "payment_token": card})).unwrap();
    client.call(Op::Complete, &json!({"checkout_id": id, "payment_token": pm})).unwrap();
    client.call(Op::Get, &json!({"checkout_id": id})).unwrap();
    let session = client
        .call(
            Op::RedirectUrl,
            &json!({"amount": 900, "description": "Box", "success_url": "https://shop.example/ok",
            "cancel_url": "https://shop.example/cart"}),
        )
        .unwrap();
    client.call(Op::Get, &json!({"payment_intent_id": session["payment_intent_id"]})).unwrap();
    let (_, recorded) = sandbox_request("GET", &format!("{}/__sandbox/exchanges", s.base_url()), None, None);
    recorded.as_array().unwrap().clone()
}

#[test]
fn every_justifi_request_and_answer_follows_the_published_spec() {
    let spec = Spec::load();
    let mut failures = Vec::new();
    let mut checked = std::collections::BTreeMap::<String, (u32, u32)>::new();
    for exchange in exchanges() {
        let (method, route) = (exchange["method"].as_str().unwrap(), exchange["route"].as_str().unwrap());
        let name = format!("{method} {route}");
        if name == NOT_THE_LIBRARYS {
            continue;
        }
        let operation = spec.operation(method, route).unwrap_or_else(|| panic!("{name}: not in the published spec"));
        let counts = checked.entry(name.clone()).or_default();
        if let Some(schema) = operation.pointer("/requestBody/content/application~1json/schema") {
            counts.0 += 1;
            for e in spec.check(schema, &exchange["request"]) {
                failures.push(format!("{name} request: {e}\n  {}", exchange["request"]));
            }
        }
        let status = exchange["status"].to_string();
        let answer = format!("/responses/{status}/content/application~1json/schema");
        if let Some(schema) = operation.pointer(&answer) {
            counts.1 += 1;
            for e in spec.check(schema, &exchange["response"]) {
                failures.push(format!("{name} {status} answer: {e}"));
            }
        }
    }
    println!("validated (requests, answers) per route: {checked:#?}");
    assert!(failures.is_empty(), "{} divergences from the spec:\n{}", failures.len(), failures.join("\n"));
    for route in [
        "POST /oauth/token",
        "POST /v1/checkouts",
        "GET /v1/checkouts/{id}",
        "POST /v1/checkouts/{id}/complete",
        "POST /v1/web_component_tokens",
        "POST /v1/payment_intents",
        "GET /v1/payment_intents/{id}",
        "POST /v1/checkout_sessions",
    ] {
        let (requests, answers) = checked.get(route).copied().unwrap_or_default();
        assert!(answers > 0, "{route}: no answer was checked");
        assert!(requests > 0 || route.starts_with("GET"), "{route}: no request was checked");
    }
}

#[test]
fn the_spec_check_catches_a_wrong_body() {
    let spec = Spec::load();
    let create = spec.operation("POST", "/v1/checkouts").unwrap();
    let schema = create.pointer("/requestBody/content/application~1json/schema").unwrap();
    assert!(spec.check(schema, &json!({"amount": 1799, "description": "x"})).is_empty());
    assert!(!spec.check(schema, &json!({"amount": "1799", "description": "x"})).is_empty(), "amount is a number");
    assert!(!spec.check(schema, &json!({"amount": 1799})).is_empty(), "description is required");
}
