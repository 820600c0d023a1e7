//! Minimal hosted pages, so a person (or a test) can pay the way a shopper would:
//! `/hosted-checkout/{checkout_id}[?success_redirect_url=]` (JustiFi's current hosted
//! checkout), `/r/{checkout_session_id}` (the legacy checkout session of seed 003),
//! `/r/checkout/{token}` (ReCharge's hosted checkout) and `/payfect/checkouts/{id}` (a
//! Payfect checkout's `url`). Each has a payment form; paying redirects (303) to the
//! storefront's URL where it has one.
//!
//! Those URLs are only ever absolute `http` or `https` URLs: JustiFi documents
//! `success_redirect_url` as the way to "redirect back to your application" (example
//! `https://yourapp.com/payment-success`, `docs/hosted-checkout.mdx`), and the checkout session's
//! `after_payment_url`/`back_url` as URLs of the platform (`legacy/checkout_sessions.yaml`);
//! neither says what the page does with another scheme. A page given a `javascript:`, `data:` or
//! relative URL answers 400 with a page naming it, before any payment, rather than send the
//! shopper there (JustiFi's material is silent on the check; this is the sandbox's choice).

use crate::justifi::{complete, tokenize_card};
use crate::payfect;
use crate::recharge;
use crate::state::{App, Inner};
use axum::extract::{Form, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/hosted-checkout/{id}", get(hosted_checkout).post(pay_checkout))
        .route("/r/{session}", get(checkout_session).post(pay_session))
        .route("/r/checkout/{token}", get(recharge_checkout).post(pay_recharge))
        .route("/payfect/checkouts/{id}", get(payfect_checkout).post(pay_payfect))
}

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{t}</title></head>\
         <body><h1>{t}</h1>{body}</body></html>",
        t = text(title)
    );
    (status, Html(html)).into_response()
}

/// The page of a refused payment.
fn failed(message: &str) -> Response {
    page(StatusCode::PAYMENT_REQUIRED, "Payment failed", &text(message))
}

/// Tokenizes the form's `card_number` for `account`: the payment method id, or why not.
fn form_card(inner: &mut Inner, account: &str, form: &HashMap<String, String>) -> Result<String, String> {
    let card = json!({"number": form.get("card_number").cloned().unwrap_or_default()});
    match tokenize_card(inner, account, card.as_object().expect("object literal")) {
        Ok(data) => Ok(data["id"].as_str().unwrap_or_default().to_owned()),
        Err(e) => Err(e["error"]["message"].as_str().unwrap_or("The card was refused.").to_owned()),
    }
}

/// `url` as a redirect target: an absolute `http(s)` URL with a host, or the error page.
fn redirect_target(field: &str, url: &str) -> Result<String, Response> {
    match url::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.has_host() => Ok(u.into()),
        _ => Err(page(
            StatusCode::BAD_REQUEST,
            "Invalid redirect URL",
            &format!("<p>{} must be an absolute http or https URL.</p>", text(field)),
        )),
    }
}

fn see_other(location: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, location.to_owned())]).into_response()
}

fn dollars(cents: u64) -> String {
    format!("${}.{:02}", cents / 100, cents % 100)
}

fn card_form(action_note: &str, hidden: &str) -> String {
    format!(
        "<form method=\"post\">{hidden}<label>Card number <input name=\"card_number\" \
         value=\"4242424242424242\"></label> <button type=\"submit\">{}</button></form>",
        text(action_note)
    )
}

async fn hosted_checkout(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let mut inner = app.lock();
    let Some(c) = inner.checkout_mut(&id) else {
        return page(StatusCode::NOT_FOUND, "Checkout not found", "");
    };
    match c.status {
        "completed" => page(StatusCode::OK, "Checkout Complete", ""),
        "expired" => page(StatusCode::GONE, "Checkout Session Expired", ""),
        _ => {
            let target = q.get("success_redirect_url").map(|u| redirect_target("success_redirect_url", u));
            let hidden = match target.transpose() {
                Ok(url) => url
                    .map(|u| format!("<input type=\"hidden\" name=\"success_redirect_url\" value=\"{}\">", attr(&u)))
                    .unwrap_or_default(),
                Err(refused) => return refused,
            };
            let body = format!("<p>{} — {}</p>{}", text(&c.description), dollars(c.amount), card_form("Pay", &hidden));
            page(StatusCode::OK, "Checkout", &body)
        }
    }
}

async fn pay_checkout(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let success = match form.get("success_redirect_url").map(|u| redirect_target("success_redirect_url", u)) {
        Some(Err(refused)) => return refused,
        Some(Ok(url)) => Some(url),
        None => None,
    };
    let mut inner = app.lock();
    let Some(account) = inner.checkout_mut(&id).map(|c| c.account_id.clone()) else {
        return page(StatusCode::NOT_FOUND, "Checkout not found", "");
    };
    let pm = match form_card(&mut inner, &account, &form) {
        Ok(pm) => pm,
        Err(message) => return failed(&message),
    };
    let (status, completion) = complete(&mut inner, &id, &pm, "ecom");
    drop(inner);
    crate::webhooks::flush(&app);
    let data = &completion["data"];
    if status != StatusCode::CREATED {
        return page(status, "Payment failed", &text(completion["error"]["message"].as_str().unwrap_or("")));
    }
    if data["payment_status"] != "succeeded" {
        let message = data["payment_error_description"].as_str().unwrap_or("The payment failed.");
        return failed(message);
    }
    match success {
        Some(url) => see_other(&url),
        None => page(StatusCode::OK, "Checkout Complete", ""),
    }
}

async fn checkout_session(State(app): State<Arc<App>>, Path(session): Path<String>) -> Response {
    let inner = app.lock();
    let now = inner.now();
    let Some(s) = inner.checkout_sessions.get(&session).filter(|s| now < s.expires_at) else {
        return page(StatusCode::NOT_FOUND, "Checkout Session Expired", "");
    };
    let Some(pi) = inner.payment_intents.get(&s.payment_intent_id) else {
        return page(StatusCode::NOT_FOUND, "Checkout Session Expired", "");
    };
    let after = match redirect_target("after_payment_url", &s.after_payment_url) {
        Ok(url) => url,
        Err(refused) => return refused,
    };
    if pi.status == "succeeded" {
        return see_other(&after);
    }
    let description = pi.description.as_str().unwrap_or("Payment");
    let back = match s.back_url.as_deref().map(|u| redirect_target("back_url", u)).transpose() {
        Ok(back) => back.map(|u| format!("<p><a href=\"{}\">Back</a></p>", attr(&u))).unwrap_or_default(),
        Err(refused) => return refused,
    };
    let body = format!("<p>{} — {}</p>{}{}", text(description), dollars(pi.amount), card_form("Pay", ""), back);
    page(StatusCode::OK, "Checkout", &body)
}

async fn pay_session(
    State(app): State<Arc<App>>,
    Path(session): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let mut inner = app.lock();
    let now = inner.now();
    let Some((pi_id, after)) = inner
        .checkout_sessions
        .get(&session)
        .filter(|s| now < s.expires_at)
        .map(|s| (s.payment_intent_id.clone(), s.after_payment_url.clone()))
    else {
        return page(StatusCode::NOT_FOUND, "Checkout Session Expired", "");
    };
    let after = match redirect_target("after_payment_url", &after) {
        Ok(url) => url,
        Err(refused) => return refused,
    };
    let Some((account, amount, status)) =
        inner.payment_intents.get(&pi_id).map(|p| (p.account_id.clone(), p.amount, p.status))
    else {
        return page(StatusCode::NOT_FOUND, "Checkout Session Expired", "");
    };
    if status == "succeeded" {
        return see_other(&after);
    }
    let pm = match form_card(&mut inner, &account, &form) {
        Ok(pm) => pm,
        Err(message) => return failed(&message),
    };
    match inner.charge(&pm, amount, &pi_id) {
        Ok(payment) => {
            if let Some(pi) = inner.payment_intents.get_mut(&pi_id) {
                pi.status = "succeeded";
                pi.successful_payment_id = Some(payment);
                pi.updated_at = crate::state::now();
                let (account, data) = (pi.account_id.clone(), pi.to_json());
                crate::justifi::emit_event(&mut inner, &account, "payment_intent.succeeded", data);
            }
            drop(inner);
            crate::webhooks::flush(&app);
            see_other(&after)
        }
        Err(d) => failed(d.message),
    }
}

async fn recharge_checkout(State(app): State<Arc<App>>, Path(token): Path<String>) -> Response {
    let inner = app.lock();
    let Some(c) = inner.recharge_checkouts.get(&token) else {
        return page(StatusCode::NOT_FOUND, "Checkout not found", "");
    };
    if !c.json["completed_at"].is_null() {
        return page(StatusCode::OK, "Order placed", "");
    }
    let total = c.json["total_price"].as_str().unwrap_or("");
    let form = "<form method=\"post\"><label>Payment token <input name=\"payment_token\" value=\"tok_visa\"></label> \
                <button type=\"submit\">Place order</button></form>";
    page(StatusCode::OK, "Checkout", &format!("<p>Total {}</p>{form}", text(total)))
}

async fn pay_recharge(
    State(app): State<Arc<App>>,
    Path(token): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let mut inner = app.lock();
    let body = json!({"payment_processor": "stripe", "payment_token": form.get("payment_token").cloned().unwrap_or_default(),
        "payment_type": "CREDIT_CARD"});
    let (status, answer) = recharge::settle(&mut inner, &token, body.as_object().expect("object literal"));
    drop(inner);
    crate::webhooks::flush(&app);
    if status == StatusCode::OK {
        return page(StatusCode::OK, "Order placed", "");
    }
    failed(&answer["errors"].to_string())
}

async fn payfect_checkout(State(app): State<Arc<App>>, Path(id): Path<String>) -> Response {
    let mut inner = app.lock();
    let Some(c) = payfect::checkout(&mut inner, &id) else {
        return page(StatusCode::NOT_FOUND, "Checkout not found", "");
    };
    match c.json["status"].as_str() {
        Some("complete") => page(StatusCode::OK, "Paid", ""),
        Some("open") => {
            let body = format!(
                "<p>{} {}</p><form method=\"post\"><button type=\"submit\">Pay with USDT (TRC20)</button></form>",
                text(c.json["amountTotal"].as_str().unwrap_or("")),
                text(&c.json["currency"].as_str().unwrap_or("").to_uppercase()),
            );
            page(StatusCode::OK, "Checkout", &body)
        }
        _ => page(StatusCode::GONE, "Checkout expired", ""),
    }
}

async fn pay_payfect(State(app): State<Arc<App>>, Path(id): Path<String>) -> Response {
    let mut inner = app.lock();
    let success = payfect::checkout(&mut inner, &id).and_then(|c| c.json["successUrl"].as_str().map(str::to_owned));
    let success = match success.map(|u| redirect_target("success_url", &u)).transpose() {
        Ok(url) => url,
        Err(refused) => return refused,
    };
    let paid = payfect::pay(&mut inner, &id);
    drop(inner);
    crate::webhooks::flush(&app);
    match (paid, success) {
        (Ok(()), Some(success)) => see_other(&success),
        (Ok(()), None) => page(StatusCode::OK, "Paid", ""),
        (Err(message), _) => failed(message),
    }
}
