//! JustiFi conformance that does not trust the sandbox: the library runs every JustiFi
//! operation against a sandbox that records each exchange (path, headers, bodies, status), and
//! every request the library sent and every answer the sandbox gave is held to JustiFi's
//! published description (`tests/fixtures/justifi-spec/`: the OpenAPI spec, and the legacy
//! checkout session path). The library's decoder is then fed every spec-valid variant of those
//! answers (a field absent, or null where allowed) and must read each one.
//!
//! The check is strict where JSON Schema is: requests may hold only the properties the spec
//! names (plus [`EXTRA_REQUEST_FIELDS`], each with its source), `oneOf` means one, a property is
//! null only where the spec or [`NULLABLE_PER_WEB_COMPONENT`] says so, an answer's status must be
//! one the operation lists or a documented error, and a route is the operation's server path
//! plus its spec path. Every place it reads the spec more loosely is in [`READINGS`] or
//! [`NULLABLE_PER_WEB_COMPONENT`], with the spec line that forces it, checked by
//! `every_loosening_quotes_its_spec_line`.

mod common;

use checkout_sandbox::{Sandbox, SandboxConfig, TEST_SUB_ACCOUNT};
use common::host::Op;
use common::{config, lib, sandbox_request, tokenize, Answer, Stub};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, OnceLock};

const SPEC: &str = "justifi-openapi.yaml";
const SESSIONS: &str = "checkout_sessions.yaml";

fn fixture_text(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/justifi-spec").join(name);
    std::fs::read_to_string(path).unwrap()
}

fn yaml(name: &str) -> Value {
    serde_norway::from_str(&fixture_text(name)).unwrap()
}

/// A place where the check reads the spec other than literally, and the line (1-based) of
/// `justifi-openapi.yaml` that forces it.
struct Reading {
    line: usize,
    quote: &'static str,
    why: &'static str,
}

/// Every reading of the spec beyond JSON Schema's letter.
const READINGS: [Reading; 11] = [
    Reading {
        line: 7236,
        quote: "type: null",
        why: "`Envelope.page_info` (and `CardPaymentWithEnvelope.page_info`, line 9902) is typed `null`, which \
              JSON Schema spells \"null\"",
    },
    Reading {
        line: 9962,
        quote: "type: array of objects",
        why: "`additional_transactions` (also lines 9532 and 10187) is read as an array",
    },
    Reading {
        line: 9703,
        quote: "type: enum[verifone verifone_simulator]",
        why: "`Terminal.provider` is read as unconstrained (it must compile; no exchange here holds it)",
    },
    Reading {
        line: 7582,
        quote: "will include the payment method once one is attached",
        why: "a payment intent without a payment method is both a `CardPaymentIntent` and a \
              `BankAccountPaymentIntent` (line 7707), so the `oneOf` of the two in the payment intent answers \
              is read as `anyOf`; every other `oneOf` but the payments' (below) stays one",
    },
    Reading {
        line: 10238,
        quote: "additional refund info (or null)",
        why: "`CheckoutRefund.refund_response`, typed `string`, is \"additional refund info (or null)\" when the \
              refund succeeded",
    },
    Reading {
        line: 2531,
        quote: "oneOf:",
        why: "`GetPayment` answers a `oneOf` `CardPayment` and `BankAccountPayment`, schemas that require \
              nothing and close nothing, so every payment is both (a card payment's `payment_method.card` is an \
              extra property of `BankAccountPaymentMethod`): read as `anyOf`, here and in `VoidPayment` (line 3185)",
    },
    Reading {
        line: 3185,
        quote: "oneOf:",
        why: "`VoidPayment`'s answer: the same `oneOf` of the two payments, read as `anyOf`",
    },
    Reading {
        line: 107,
        quote: "All of our responses are contained in the same envelope",
        why: "the payment intent answers, shown bare in the spec, are also accepted inside the `Envelope` \
              (justifi-node `http.js` reads `result.data` of every answer)",
    },
    Reading {
        line: 9992,
        quote: "example: cho_xyz",
        why: "ids are `format: uuid` with examples such as `cho_xyz`, `pi_xyz`, `py_xyz`: `uuid` is not checked \
              (`date-time` is)",
    },
    Reading {
        line: 7045,
        quote: "example: my-request-123abc",
        why: "`Idempotency-Key` is `format: uuid`, its example is not, and line 68 says \"you may use any \
              unique string\" (docs/idempotency.mdx: at most 100 characters): checked as 1 to 100 characters",
    },
    Reading {
        line: 10102,
        quote: "or null",
        why: "`Checkout.payment` is \"data passed to the `payment` property during checkout creation, or null\"",
    },
];

/// `(schema, property, spec line)`: properties the spec types without `nullable` that JustiFi's
/// own web component types `| null` (@justifi/webcomponents 6.14.3 `dist/types/api/Checkout.d.ts`,
/// `ICheckout` and `ICompletion`): null is accepted there, and fed to the decoder.
const NULLABLE_PER_WEB_COMPONENT: [(&str, &str, usize); 9] = [
    ("Checkout", "successful_payment_id", 10062),
    ("Checkout", "statement_descriptor", 10067),
    ("Checkout", "application_fees", 10072),
    ("CheckoutCompletionAttempt", "payment_status", 9931),
    ("CheckoutCompletionAttempt", "payment_error_code", 9942),
    ("CheckoutCompletionAttempt", "payment_error_description", 9946),
    ("CheckoutCompletion", "payment_status", 10156),
    ("CheckoutCompletion", "payment_error_code", 10167),
    ("CheckoutCompletion", "payment_error_description", 10171),
];

/// `(operation, property, schema, source)`: request properties the library sends that the
/// spec's request schema does not name.
const EXTRA_REQUEST_FIELDS: [(&str, &str, &str, &str); 2] = [
    (
        "POST /v1/checkouts",
        "currency",
        r#"{"type": "string"}"#,
        "justifi-node 0.4.0 `dist/lib/internal/checkout.d.ts` `CreateCheckoutPayload.currency?: string`; a \
         mismatch is refused as `checkout_invalid_currency` (JustiFi docs *API description*, error codes)",
    ),
    (
        "POST /v1/checkouts/{id}/complete",
        "payment_mode",
        r#"{"type": "string", "enum": ["ecom", "bnpl", "card_present"]}"#,
        "@justifi/webcomponents 6.14.3 `dist/collection/api/services/checkout.service.js` `complete()` sends \
         `{payment_mode, payment_token}`; the values are `CheckoutCompletion.payment_mode`'s",
    ),
];

/// Request headers the spec names, and where an operation that does not list one may still
/// carry it.
const HEADERS_CHECKED: [&str; 3] = ["authorization", "sub-account", "idempotency-key"];
/// JustiFi docs *Idempotency* (docs/idempotency.mdx): "Each request may include an
/// `Idempotency-Key` header", at most 100 characters.
const IDEMPOTENCY_KEY_ANYWHERE: &str = "idempotency-key";
const MAX_IDEMPOTENCY_KEY: usize = 100;

/// What the library's decoder needs of a 2xx answer (`src/providers/justifi/wire.rs`) beyond
/// the spec, which marks no answer property required: these may not be absent or null. An
/// enveloped answer needs `type` and `data` (`wire::object` tells an envelope from a bare
/// payment intent by them); a checkout `id`, `status` and `payment_amount` (`CheckoutObject`);
/// a completion `payment_status` or `status` (`CompletionObject`); a payment intent `id`,
/// `amount` and `status` (`PaymentIntentObject`); a session `checkout_session_id`; a token
/// `access_token`. The variants fed to the decoder prove it needs nothing more.
fn required_by_library(operation: &str) -> Value {
    let enveloped = |data: Value| json!({"required": ["type", "data"], "properties": {"data": data}});
    match operation {
        "POST /oauth/token" | "POST /v1/web_component_tokens" => json!({"required": ["access_token"]}),
        "POST /v1/checkouts" | "GET /v1/checkouts/{id}" => {
            enveloped(json!({"required": ["id", "status", "payment_amount"]}))
        }
        "POST /v1/checkouts/{id}/complete" => {
            enveloped(json!({"anyOf": [{"required": ["payment_status"]}, {"required": ["status"]}]}))
        }
        "POST /v1/checkout_sessions" => enveloped(json!({"required": ["checkout_session_id"]})),
        "POST /v1/payment_intents" | "GET /v1/payment_intents/{id}" => json!({"required": ["id", "amount", "status"]}),
        // `PaymentObject`: the payment named, and its amount; `CheckoutRefundObject`: `status`.
        "GET /v1/payments/{id}" | "POST /v1/payments/{id}/void" => enveloped(json!({"required": ["id", "amount"]})),
        "POST /v1/checkouts/{id}/refunds" => enveloped(json!({"required": ["status"]})),
        other => panic!("{other}: the library does not call it"),
    }
}

/// OpenAPI 3.0 schemas as JSON Schema (draft 4): `nullable: true` admits null, and the types
/// of [`READINGS`] are read as they say.
fn json_schema(v: &mut Value) {
    const TYPES: [&str; 7] = ["null", "boolean", "object", "array", "number", "string", "integer"];
    match v {
        Value::Object(map) => {
            for inner in map.values_mut() {
                json_schema(inner);
            }
            match map.get("type") {
                Some(Value::Null) => {
                    map.insert("type".into(), "null".into());
                }
                Some(Value::String(t)) if !TYPES.contains(&t.as_str()) => {
                    if t == "array of objects" {
                        map.insert("type".into(), "array".into());
                    } else {
                        map.remove("type");
                    }
                }
                _ => {}
            }
            if map.remove("nullable") == Some(Value::Bool(true)) {
                nullable(map);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(json_schema),
        _ => {}
    }
}

/// Admits null besides what `schema` admits.
fn nullable(schema: &mut Map<String, Value>) {
    match schema.get("type").cloned() {
        Some(Value::String(t)) if t != "null" => {
            schema.insert("type".into(), json!([t, "null"]));
            if let Some(Value::Array(values)) = schema.get_mut("enum") {
                values.push(Value::Null);
            }
        }
        Some(Value::String(_)) => {}
        _ => {
            let inner = Value::Object(std::mem::take(schema));
            schema.insert("anyOf".into(), json!([inner, {"type": "null"}]));
        }
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
                if let Some(name) = r.strip_prefix("../components/parameters/").and_then(|n| n.strip_suffix(".yaml")) {
                    *r = format!("#/components/parameters/{name}");
                }
            }
            map.values_mut().for_each(local_refs);
        }
        Value::Array(items) => items.iter_mut().for_each(local_refs),
        _ => {}
    }
}

/// Requests may hold only the properties their schema names: `additionalProperties: false`
/// on every object schema that names properties.
fn closed(v: &mut Value) {
    if let Value::Object(map) = v {
        if map.contains_key("properties") && !map.contains_key("additionalProperties") {
            map.insert("additionalProperties".into(), false.into());
        }
        for (key, inner) in map.iter_mut() {
            match (key.as_str(), inner) {
                ("properties", Value::Object(properties)) => properties.values_mut().for_each(closed),
                ("items" | "additionalProperties", inner) => closed(inner),
                ("allOf" | "anyOf" | "oneOf", Value::Array(choices)) => choices.iter_mut().for_each(closed),
                _ => {}
            }
        }
    }
}

/// The path part of a server URL (`https://api.justifi.ai/v1` → `/v1`).
fn server_path(url: &str) -> &str {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    after_scheme.find('/').map_or("", |i| after_scheme[i..].trim_end_matches('/'))
}

/// One exchange's context: the access token the library was last given, and its sub account.
struct Context {
    access_token: Option<String>,
    sub_account: String,
}

struct Spec {
    root: Value,
    /// `METHOD route` (the route being the server's path and the spec's path) → the operation.
    operations: BTreeMap<String, Value>,
    /// The statuses of the spec's *HTTP Errors* section.
    error_statuses: Vec<u16>,
    validators: Mutex<BTreeMap<String, Arc<jsonschema::Validator>>>,
}

impl Spec {
    fn load() -> Spec {
        let mut root = yaml(SPEC);
        let mut sessions = yaml(SESSIONS);
        local_refs(&mut sessions);
        // A path item of the same spec tree (its refs are `../components/...`), so served from
        // the root's `servers`: `/v1/checkout_sessions`, where justifi-node 0.4.0
        // (`dist/lib/internal/checkout_session.js`) posts.
        root["paths"]["/checkout_sessions"] = sessions;
        let intents = ["/payment_intents", "/payment_intents/{id}"];
        for (path, method) in [(intents[0], "post"), (intents[1], "get")] {
            for answer in root["paths"][path][method]["responses"].as_object_mut().unwrap().values_mut() {
                let schema = &mut answer["content"]["application/json"]["schema"];
                let choices = schema.as_object_mut().unwrap().remove("oneOf").expect("the spec's oneOf");
                schema["anyOf"] = choices;
            }
        }
        for (path, method) in [("/payments/{id}", "get"), ("/payments/{id}/void", "post")] {
            let data = &mut root["paths"][path][method]["responses"]["200"]["content"]["application/json"]["schema"]
                ["allOf"][1]["properties"]["data"];
            let choices = data.as_object_mut().unwrap().remove("oneOf").expect("the spec's oneOf");
            data["anyOf"] = choices;
        }
        for (schema, property, _) in NULLABLE_PER_WEB_COMPONENT {
            let at = &mut root["components"]["schemas"][schema]["properties"][property];
            at["nullable"] = true.into();
        }
        root["components"]["schemas"]["Checkout"]["properties"]["payment"]["nullable"] = true.into();
        root["components"]["schemas"]["CheckoutRefund"]["properties"]["refund_response"]["nullable"] = true.into();
        json_schema(&mut root);
        let servers = root["servers"].clone();
        let mut operations = BTreeMap::new();
        for (path, item) in root["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                // OpenAPI 3.0 §4.7.10: an operation's `servers` replace its path's, which
                // replace the root's (`/oauth/token` is served from `https://api.justifi.ai`).
                let servers = [&operation["servers"], &item["servers"], &servers]
                    .into_iter()
                    .find(|s| s.is_array())
                    .and_then(Value::as_array)
                    .unwrap();
                for server in servers {
                    let route = format!("{}{path}", server_path(server["url"].as_str().unwrap()));
                    operations.insert(format!("{} {route}", method.to_ascii_uppercase()), operation.clone());
                }
            }
        }
        let description = root["info"]["description"].as_str().unwrap();
        let errors = &description[description.find("## HTTP Errors").unwrap()..];
        let errors = &errors[..errors.find("#### Error Codes").unwrap()];
        let error_statuses = errors.split("- code: `").skip(1).map(|rest| rest[..3].parse().unwrap()).collect();
        Spec { root, operations, error_statuses, validators: Mutex::default() }
    }

    /// A validator of `schema` (whose `$ref`s point into the spec), built once per `name`.
    fn validator(&self, name: &str, schema: impl FnOnce() -> Value) -> Arc<jsonschema::Validator> {
        let mut validators = self.validators.lock().unwrap();
        validators
            .entry(name.to_owned())
            .or_insert_with(|| {
                let root = json!({"allOf": [schema()], "components": self.root["components"]});
                let validator = jsonschema::options()
                    .with_draft(jsonschema::Draft::Draft4)
                    .should_validate_formats(true)
                    .with_format("uuid", |_: &str| true)
                    .build(&root)
                    .unwrap_or_else(|e| panic!("{name}: schema does not compile: {e}"));
                Arc::new(validator)
            })
            .clone()
    }

    fn operation(&self, name: &str) -> Result<&Value, String> {
        self.operations.get(name).ok_or_else(|| format!("{name}: no operation of the spec is at this route"))
    }

    /// The request schema, closed, with [`EXTRA_REQUEST_FIELDS`].
    fn request_validator(&self, name: &str) -> Option<Arc<jsonschema::Validator>> {
        let schema = self.operation(name).ok()?.pointer("/requestBody/content/application~1json/schema")?.clone();
        Some(self.validator(&format!("{name} request"), || {
            let mut schema = schema;
            for (operation, field, extra, _) in EXTRA_REQUEST_FIELDS {
                if operation == name {
                    schema["properties"][field] = serde_json::from_str(extra).unwrap();
                }
            }
            closed(&mut schema);
            schema
        }))
    }

    /// The answer schema for `status`, with what the library requires; `None` when the
    /// operation lists the status without a body.
    fn answer_validator(&self, name: &str, status: u16) -> Result<Option<Arc<jsonschema::Validator>>, String> {
        let operation = self.operation(name)?;
        let Some(listed) = operation["responses"].get(status.to_string()) else {
            if !self.error_statuses.contains(&status) {
                return Err(format!("{name}: answered {status}, which it does not list and is no documented error"));
            }
            // The spec's one error body (`components.schemas.PaymentError`).
            return Ok(Some(self.validator(
                &format!("error {status}"),
                || json!({"allOf": [{"$ref": "#/components/schemas/PaymentError"}], "required": ["error"]}),
            )));
        };
        let Some(schema) = listed.pointer("/content/application~1json/schema").cloned() else { return Ok(None) };
        Ok(Some(self.validator(&format!("{name} {status}"), || {
            let required = required_by_library(name);
            let strict = json!({"allOf": [schema, required]});
            if name.contains("/payment_intents") {
                json!({"anyOf": [strict, {"allOf": [{"$ref": "#/components/schemas/Envelope"},
                    {"required": ["type", "data"], "properties": {"data": strict}}]}]})
            } else {
                strict
            }
        })))
    }

    /// Every way `exchange` departs from the spec.
    fn check(&self, exchange: &Value, context: &Context) -> Vec<String> {
        let (method, route) = (exchange["method"].as_str().unwrap(), exchange["route"].as_str().unwrap());
        let name = format!("{method} {route}");
        let operation = match self.operation(&name) {
            Ok(operation) => operation,
            Err(e) => return vec![e],
        };
        let mut failures = self.check_headers(&name, operation, &exchange["headers"], context);
        let secret = name == "POST /oauth/token";
        if let Some(validator) = self.request_validator(&name) {
            for e in validator.iter_errors(&exchange["request"]) {
                failures.push(describe(&name, "request", &e, secret));
            }
        }
        let status = exchange["status"].as_u64().unwrap() as u16;
        let answer = &exchange["response"];
        match self.answer_validator(&name, status) {
            Err(e) => failures.push(e),
            Ok(None) => {}
            Ok(Some(validator)) => {
                for e in validator.iter_errors(answer) {
                    failures.push(describe(&name, &format!("{status} answer"), &e, secret));
                }
            }
        }
        failures.extend(same_object(&name, exchange));
        failures
    }

    /// The headers the spec names: present where required, as it writes them, and only where
    /// it takes them (or [`IDEMPOTENCY_KEY_ANYWHERE`]).
    fn check_headers(&self, name: &str, operation: &Value, headers: &Value, context: &Context) -> Vec<String> {
        let mut failures = Vec::new();
        let mut taken = Vec::new();
        for parameter in operation["parameters"].as_array().into_iter().flatten() {
            let parameter = match parameter["$ref"].as_str() {
                Some(r) => self.root.pointer(r.trim_start_matches('#')).unwrap(),
                None => parameter,
            };
            if parameter["in"] != "header" {
                continue;
            }
            let header = parameter["name"].as_str().unwrap().to_ascii_lowercase();
            let value = headers[&header].as_str();
            if value.is_none() && parameter["required"] == true {
                failures.push(format!("{name}: the required header {} is missing", parameter["name"]));
            }
            taken.push(header);
        }
        for header in HEADERS_CHECKED {
            let Some(value) = headers[header].as_str() else { continue };
            if !taken.iter().any(|t| t == header) && header != IDEMPOTENCY_KEY_ANYWHERE {
                failures.push(format!("{name}: sends {header}, which the spec does not take for this operation"));
            }
            let problem = match header {
                // `authorization-header`: "be sure to append `Bearer` before the token".
                "authorization" => match (value.strip_prefix("Bearer "), &context.access_token) {
                    (Some(token), Some(granted)) if token == granted => None,
                    _ => Some("is not `Bearer ` and the access token /oauth/token gave"),
                },
                "sub-account" => (value != context.sub_account).then_some("is not the configured sub account"),
                _ => (value.is_empty() || value.len() > MAX_IDEMPOTENCY_KEY).then_some("is not 1 to 100 characters"),
            };
            if let Some(problem) = problem {
                failures.push(format!("{name}: header {header} {problem}"));
            }
        }
        failures
    }
}

/// A validation error, without the value when the exchange carries a credential.
fn describe(name: &str, part: &str, e: &jsonschema::ValidationError, secret: bool) -> String {
    match secret {
        true => format!("{name} {part}: invalid at {}", e.instance_path()),
        false => format!("{name} {part}: {e} at {}", e.instance_path()),
    }
}

/// An answer about the object in the path must be about that object: the envelope's `id` is
/// its `data`'s (`Envelope.id`: "also found in the data object"), a read's object is the one
/// asked for, and a completion names its checkout.
fn same_object(name: &str, exchange: &Value) -> Vec<String> {
    let answer = &exchange["response"];
    if !(200..300).contains(&exchange["status"].as_u64().unwrap()) {
        return Vec::new();
    }
    let object = if answer["data"].is_object() { &answer["data"] } else { answer };
    let mut failures = Vec::new();
    if answer["data"].is_object() && object.get("id").is_some() && answer["id"] != object["id"] {
        failures.push(format!("{name}: the envelope's id is not its data's"));
    }
    let in_path = exchange["path"].as_str().unwrap_or_default().split('/').nth(3);
    let (field, asked) = match name {
        "GET /v1/checkouts/{id}" | "GET /v1/payment_intents/{id}" => ("id", in_path),
        "POST /v1/checkouts/{id}/complete" => ("checkout_id", in_path),
        _ => return failures,
    };
    if object.get(field).is_some() && object[field].as_str() != asked {
        failures.push(format!("{name}: the answer's {field} is not the id in the path"));
    }
    failures
}

/// The library's requests carry its `User-Agent` (`src/transport/settings.rs`); the test's own (a
/// token and `POST /v1/payment_methods`, standing in for the web component) do not.
const LIBRARY_USER_AGENT: &str = "storefront-checkout/";

/// Every JustiFi operation run through the library against a recording sandbox (once per
/// test binary): the exchanges, in order.
fn exchanges() -> &'static [Value] {
    static EXCHANGES: OnceLock<Vec<Value>> = OnceLock::new();
    EXCHANGES.get_or_init(|| {
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
        client.call(Op::Get, &json!({"checkout_id": declined["id"]})).unwrap();
        client.call(Op::Complete, &json!({"checkout_id": id, "payment_token": pm})).unwrap();
        client.call(Op::Get, &json!({"checkout_id": id})).unwrap();
        // A refusal, so that an error answer is checked too.
        client.call(Op::Complete, &json!({"checkout_id": id, "payment_token": pm})).unwrap_err();
        client.call(Op::Refunds, &json!({"checkout_id": id})).unwrap();
        client.call(Op::Refund, &json!({"checkout_id": id, "amount": 500})).unwrap();
        client.call(Op::Refund, &json!({"checkout_id": id})).unwrap();
        // With the caller's key the library leaves the amount to JustiFi, which refuses it.
        client.call(Op::Refund, &json!({"checkout_id": id, "amount": 100, "idempotency_key": "too-much"})).unwrap_err();
        let voided = client.call(Op::Create, &json!({"amount": 700, "description": "Voided"})).unwrap();
        client.call(Op::Complete, &json!({"checkout_id": voided["id"], "payment_token": pm})).unwrap();
        client.call(Op::Void, &json!({"checkout_id": voided["id"]})).unwrap();
        let session = client
            .call(
                Op::RedirectUrl,
                &json!({"amount": 900, "description": "Box", "success_url": "https://shop.example/ok",
                "cancel_url": "https://shop.example/cart"}),
            )
            .unwrap();
        client.call(Op::Get, &json!({"payment_intent_id": session["payment_intent_id"]})).unwrap();
        let (_, recorded) = sandbox_request("GET", &format!("{}/__sandbox/exchanges", s.base_url()), None, None);
        let library =
            |e: &&Value| e["headers"]["user-agent"].as_str().is_some_and(|a| a.starts_with(LIBRARY_USER_AGENT));
        recorded.as_array().unwrap().iter().filter(library).cloned().collect()
    })
}

fn name(exchange: &Value) -> String {
    format!("{} {}", exchange["method"].as_str().unwrap(), exchange["route"].as_str().unwrap())
}

fn spec() -> &'static Spec {
    static SPEC_LOADED: OnceLock<Spec> = OnceLock::new();
    SPEC_LOADED.get_or_init(Spec::load)
}

/// Each exchange with its context: the access token last granted before it.
fn with_context(exchanges: &[Value]) -> Vec<(&Value, Context)> {
    let mut token = None;
    let mut out = Vec::new();
    for exchange in exchanges {
        out.push((exchange, Context { access_token: token.clone(), sub_account: TEST_SUB_ACCOUNT.to_owned() }));
        if name(exchange) == "POST /oauth/token" && exchange["status"] == 200 {
            token = exchange["response"]["access_token"].as_str().map(str::to_owned);
        }
    }
    out
}

#[test]
fn every_justifi_request_and_answer_follows_the_published_spec() {
    let spec = spec();
    let mut failures = Vec::new();
    let mut checked = BTreeMap::<String, (u32, u32)>::new();
    for (exchange, context) in with_context(exchanges()) {
        let name = name(exchange);
        failures.extend(spec.check(exchange, &context));
        let counts = checked.entry(name.clone()).or_default();
        counts.0 += u32::from(spec.request_validator(&name).is_some());
        counts.1 += 1;
    }
    println!("checked (requests with a body, answers) per route: {checked:#?}");
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
        "GET /v1/payments/{id}",
        "POST /v1/checkouts/{id}/refunds",
        "POST /v1/payments/{id}/void",
    ] {
        let (requests, answers) = checked.get(route).copied().unwrap_or_default();
        assert!(answers > 0, "{route}: no answer was checked");
        // GETs and `VoidPayment` have no request body.
        let bodiless = route.starts_with("GET") || route.ends_with("/void");
        assert!(requests > 0 || bodiless, "{route}: no request was checked");
    }
    let statuses: Vec<u64> = exchanges().iter().filter_map(|e| e["status"].as_u64()).collect();
    assert!(statuses.iter().any(|s| *s >= 400), "no error answer was checked: {statuses:?}");
}

/// A copy of the first recorded exchange of `route` (with a 2xx answer) changed by `change`.
fn changed(route: &str, change: impl FnOnce(&mut Value)) -> (Value, Context) {
    let (exchange, context) = with_context(exchanges())
        .into_iter()
        .find(|(e, _)| name(e) == route && e["status"].as_u64().is_some_and(|s| s < 300))
        .unwrap_or_else(|| panic!("{route} was recorded"));
    let mut exchange = exchange.clone();
    change(&mut exchange);
    (exchange, context)
}

fn failures_of(route: &str, change: impl FnOnce(&mut Value)) -> String {
    let (exchange, context) = changed(route, change);
    spec().check(&exchange, &context).join("\n")
}

#[test]
fn the_spec_check_fails_on_each_departure() {
    for route in ["GET /v1/checkouts/{id}", "POST /v1/checkouts", "POST /v1/checkouts/{id}/complete"] {
        assert_eq!(failures_of(route, |_| ()), "", "{route} as recorded passes");
    }
    let missing_id = failures_of("GET /v1/checkouts/{id}", |e| {
        e["response"]["data"].as_object_mut().unwrap().remove("id");
    });
    assert!(missing_id.contains(r#""id" is a required property"#), "a missing id: {missing_id}");
    let null_data = failures_of("GET /v1/checkouts/{id}", |e| e["response"]["data"] = Value::Null);
    assert!(null_data.contains("/data"), "data: null: {null_data}");
    let other_checkout = failures_of("GET /v1/checkouts/{id}", |e| e["path"] = "/v1/checkouts/cho_other".into());
    assert!(other_checkout.contains("not the id in the path"), "another checkout: {other_checkout}");

    let unknown = failures_of("POST /v1/checkouts", |e| e["request"]["colour"] = "red".into());
    assert!(unknown.contains("colour"), "an unknown request field: {unknown}");
    let nested = failures_of("POST /v1/checkouts", |e| e["request"]["payment"]["memo"] = "x".into());
    assert!(nested.contains("memo"), "an unknown nested request field: {nested}");
    let no_sub_account = failures_of("POST /v1/checkouts", |e| {
        e["headers"].as_object_mut().unwrap().remove("sub-account");
    });
    assert!(no_sub_account.contains("Sub-Account"), "a create without Sub-Account: {no_sub_account}");
    let other_token = failures_of("POST /v1/checkouts", |e| e["headers"]["authorization"] = "Bearer other".into());
    assert!(other_token.contains("authorization"), "another bearer token: {other_token}");

    let no_key = failures_of("POST /v1/checkouts/{id}/complete", |e| {
        e["headers"].as_object_mut().unwrap().remove("idempotency-key");
    });
    assert!(no_key.contains("Idempotency-Key"), "a completion without Idempotency-Key: {no_key}");
    let sub_account = failures_of("POST /v1/checkouts/{id}/complete", |e| {
        e["headers"]["sub-account"] = TEST_SUB_ACCOUNT.into();
    });
    assert!(sub_account.contains("does not take"), "Sub-Account where the spec takes none: {sub_account}");
    let unlisted = failures_of("POST /v1/checkouts/{id}/complete", |e| e["status"] = 200.into());
    assert!(unlisted.contains("does not list"), "a 200 where the spec lists 201: {unlisted}");
    let teapot = failures_of("POST /v1/checkouts/{id}/complete", |e| e["status"] = 418.into());
    assert!(teapot.contains("no documented error"), "an undocumented status: {teapot}");
    let documented = failures_of("POST /v1/checkouts/{id}/complete", |e| {
        e["status"] = 404.into();
        e["response"] = json!({"error": {"code": "not_found", "message": "no such checkout"}});
    });
    assert_eq!(documented, "", "a documented error in the spec's error body");

    for (route, prefix) in [("POST /v1/checkouts", "/checkouts"), ("POST /oauth/token", "/v1/oauth/token")] {
        let wrong = failures_of(route, |e| e["route"] = prefix.into());
        assert!(wrong.contains("no operation"), "{prefix}: {wrong}");
    }
}

/// The recorded read of the paid checkout whose payment is `payment_id`, and its id.
fn paid_checkout_of(payment_id: &Value) -> (Answer, String) {
    let read = exchanges()
        .iter()
        .find(|e| name(e) == "GET /v1/checkouts/{id}" && &e["response"]["data"]["successful_payment_id"] == payment_id)
        .unwrap_or_else(|| panic!("a read of the checkout paid by {payment_id} was recorded"));
    let id = read["response"]["data"]["id"].as_str().unwrap().to_owned();
    (Answer::json(200, read["response"].to_string()), id)
}

/// A loopback server answering the library's requests from a queue (418 when it is empty),
/// and `/oauth/token` with the recorded grant.
struct Feeder {
    stub: Stub,
    queue: Arc<Mutex<VecDeque<Answer>>>,
}

impl Feeder {
    fn start() -> Feeder {
        let queue = Arc::new(Mutex::new(VecDeque::new()));
        let answers = queue.clone();
        let stub = Stub::answering(r#"{"access_token": "fed-token"}"#, move || {
            answers.lock().unwrap().pop_front().unwrap_or_else(|| Answer::json(418, "{}"))
        });
        Feeder { stub, queue }
    }

    /// Runs the library operation that reads `name`'s answer, with `answer` as that answer
    /// (and the recorded answers of any other request the operation makes).
    fn feed(&self, name: &str, status: u64, answer: &Value) -> Result<Value, String> {
        let recorded = |route: &str| {
            let e = exchanges()
                .iter()
                .find(|e| self::name(e) == route && e["status"].as_u64().is_some_and(|s| s < 300))
                .unwrap();
            Answer::json(e["status"].as_u64().unwrap() as u16, e["response"].to_string())
        };
        let fed = Answer::json(status as u16, answer.to_string());
        let success_url = "https://shop.example/ok";
        let (queue, op, args) = match name {
            "POST /v1/checkouts" => (vec![fed], Op::Create, json!({"amount": 1799, "description": "Donut"})),
            "GET /v1/checkouts/{id}" => {
                let id = answer["data"]["id"].clone();
                (vec![fed], Op::Get, json!({"checkout_id": id}))
            }
            "POST /v1/checkouts/{id}/complete" => {
                let id = answer["data"]["checkout_id"].as_str().unwrap_or("cho_fed").to_owned();
                (vec![fed], Op::Complete, json!({"checkout_id": id, "payment_token": "pm_fed"}))
            }
            "POST /v1/web_component_tokens" => (vec![fed], Op::WebComponentToken, json!({"checkout_id": "cho_fed"})),
            "POST /v1/payment_intents" => (
                vec![fed, recorded("POST /v1/checkout_sessions")],
                Op::RedirectUrl,
                json!({"amount": 900, "success_url": success_url}),
            ),
            "GET /v1/payment_intents/{id}" => {
                let id = if answer["data"].is_object() { &answer["data"]["id"] } else { &answer["id"] };
                (vec![fed], Op::Get, json!({"payment_intent_id": id}))
            }
            "POST /v1/checkout_sessions" => {
                (vec![fed], Op::RedirectUrl, json!({"payment_intent_id": "pi_fed", "success_url": success_url}))
            }
            // The reads a refund or void makes first: the paid checkout whose payment is the
            // one answered, and (for a refund) that payment before any refund.
            "GET /v1/payments/{id}" => {
                let (checkout, id) = paid_checkout_of(&answer["data"]["id"]);
                (vec![checkout, fed], Op::Refunds, json!({"checkout_id": id}))
            }
            "POST /v1/payments/{id}/void" => {
                let (checkout, id) = paid_checkout_of(&answer["data"]["id"]);
                (vec![checkout, fed], Op::Void, json!({"checkout_id": id}))
            }
            "POST /v1/checkouts/{id}/refunds" => {
                let id = answer["data"]["checkout_id"].as_str().map(str::to_owned);
                let payment = exchanges()
                    .iter()
                    .find(|e| self::name(e) == "GET /v1/payments/{id}" && e["response"]["data"]["amount_refunded"] == 0)
                    .unwrap();
                let (checkout, paid_id) = paid_checkout_of(&payment["response"]["data"]["id"]);
                let payment = Answer::json(200, payment["response"].to_string());
                let id = id.unwrap_or(paid_id);
                (vec![checkout, payment, fed], Op::Refund, json!({"checkout_id": id, "amount": 500}))
            }
            "POST /oauth/token" => {
                let token: &'static str = Box::leak(answer.to_string().into_boxed_str());
                let checkout = recorded("GET /v1/checkouts/{id}");
                let stub = Stub::answering(token, move || Answer::json(checkout.status, checkout.body.clone()));
                let client = lib().client(&config(&stub.base_url)).map_err(|e| format!("{e:?}"))?;
                let read = exchanges().iter().find(|e| self::name(e) == "GET /v1/checkouts/{id}").unwrap();
                let id = &read["response"]["data"]["id"];
                return client.call(Op::Get, &json!({"checkout_id": id})).map_err(|e| format!("{e:?}"));
            }
            other => panic!("{other}: no operation reads it"),
        };
        *self.queue.lock().unwrap() = queue.into();
        let client = lib().client(&config(&self.stub.base_url)).map_err(|e| format!("{e:?}"))?;
        let result = client.call(op, &args).map_err(|e| format!("{e:?}"));
        self.queue.lock().unwrap().clear();
        result
    }
}

/// Every JSON pointer to an object member inside `v`, parents before children.
fn members(v: &Value, at: &str, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (key, inner) in map {
                let pointer = format!("{at}/{}", key.replace('~', "~0").replace('/', "~1"));
                out.push(pointer.clone());
                members(inner, &pointer, out);
            }
        }
        Value::Array(items) => {
            for (i, inner) in items.iter().enumerate() {
                members(inner, &format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

fn without(v: &Value, pointer: &str) -> Option<Value> {
    let mut v = v.clone();
    let (parent, key) = pointer.rsplit_once('/')?;
    let key = key.replace("~1", "/").replace("~0", "~");
    v.pointer_mut(parent)?.as_object_mut()?.remove(&key)?;
    Some(v)
}

fn nulled(v: &Value, pointer: &str) -> Option<Value> {
    let mut v = v.clone();
    let at = v.pointer_mut(pointer)?;
    (!at.is_null()).then(|| *at = Value::Null)?;
    Some(v)
}

/// The spec-valid variants of a valid `answer`: each member absent, each member null, and the
/// smallest answer left by dropping every member the spec and the library can spare.
fn variants(answer: &Value, valid: impl Fn(&Value) -> bool) -> Vec<(String, Value)> {
    let mut pointers = Vec::new();
    members(answer, "", &mut pointers);
    let mut out = Vec::new();
    for pointer in &pointers {
        out.extend(without(answer, pointer).filter(&valid).map(|v| (format!("{pointer} absent"), v)));
        out.extend(nulled(answer, pointer).filter(&valid).map(|v| (format!("{pointer} null"), v)));
    }
    let mut smallest = answer.clone();
    for pointer in &pointers {
        if let Some(smaller) = without(&smallest, pointer).filter(&valid) {
            smallest = smaller;
        }
    }
    out.push(("every member the spec can spare absent".into(), smallest));
    out
}

#[test]
fn the_decoder_reads_every_spec_valid_variant_of_the_answers() {
    let spec = spec();
    let feeder = Feeder::start();
    let mut failures = Vec::new();
    let mut fed = BTreeMap::<String, usize>::new();
    let mut seen = std::collections::HashSet::new();
    for exchange in exchanges() {
        let (name, status) = (name(exchange), exchange["status"].as_u64().unwrap());
        if !(200..300).contains(&status) || !seen.insert(format!("{name} {}", exchange["response"])) {
            continue;
        }
        let validator = spec.answer_validator(&name, status as u16).unwrap().unwrap();
        let answer = &exchange["response"];
        assert!(feeder.feed(&name, status, answer).is_ok(), "{name}: the recorded answer is read");
        for (variant, body) in variants(answer, |v| validator.is_valid(v)) {
            *fed.entry(name.clone()).or_default() += 1;
            if let Err(e) = feeder.feed(&name, status, &body) {
                failures.push(format!("{name}, {variant}: {e}"));
            }
        }
    }
    println!("variants fed per route: {fed:#?}");
    assert!(failures.is_empty(), "{} spec-valid answers the decoder refused:\n{}", failures.len(), failures.join("\n"));
    for route in ["POST /v1/checkouts", "GET /v1/checkouts/{id}", "POST /v1/checkouts/{id}/complete"] {
        assert!(fed.get(route).copied().unwrap_or_default() > 10, "{route}: variants were fed");
    }
}

#[test]
fn the_variant_feed_fails_on_an_answer_the_decoder_cannot_read() {
    let feeder = Feeder::start();
    let (read, _) = changed("GET /v1/checkouts/{id}", |_| ());
    let answer = &read["response"];
    assert!(feeder.feed("GET /v1/checkouts/{id}", 200, answer).is_ok());
    let mut no_amount = answer.clone();
    no_amount["data"].as_object_mut().unwrap().remove("payment_amount");
    assert!(feeder.feed("GET /v1/checkouts/{id}", 200, &no_amount).is_err(), "payment_amount is required");
    let no_data = json!({"id": answer["id"], "type": "checkout", "data": null, "page_info": null});
    assert!(feeder.feed("GET /v1/checkouts/{id}", 200, &no_data).is_err(), "data: null is refused");
}

#[test]
fn every_loosening_quotes_its_spec_line() {
    let spec_lines: Vec<String> = fixture_text(SPEC).lines().map(str::to_owned).collect();
    for r in READINGS {
        assert!(spec_lines[r.line - 1].contains(r.quote), "{SPEC}:{} does not say {:?} ({})", r.line, r.quote, r.why);
    }
    for (schema, property, line) in NULLABLE_PER_WEB_COMPONENT {
        assert_eq!(spec_lines[line - 1].trim(), format!("{property}:"), "{schema}.{property} at {SPEC}:{line}");
    }
    let openapi = yaml(SPEC);
    for (schema, property, _) in NULLABLE_PER_WEB_COMPONENT {
        let declared = &openapi["components"]["schemas"][schema]["properties"][property];
        assert!(declared.is_object() && declared.get("nullable").is_none(), "{schema}.{property} is a loosening");
    }
    let spec = spec();
    for (operation, field, _, _) in EXTRA_REQUEST_FIELDS {
        let named =
            spec.operation(operation).unwrap().pointer("/requestBody/content/application~1json/schema/properties");
        assert!(named.unwrap().get(field).is_none(), "{operation} {field}: the spec names it, no allowance needed");
    }
}
