//! Entry points for the fuzz targets in `fuzz/` (feature `fuzzing`): each feeds arbitrary
//! bytes to the code that reads what providers send, which must answer or refuse, never panic.

use crate::providers::decode::{field_messages, object, Envelope};
use crate::providers::{justifi, payfect, recharge};
use crate::response::Checkout;
use crate::{money, timestamp};
use serde_json::Value;

/// Every provider-response decoder, on `data` as a body and as text.
pub fn provider_responses(data: &[u8]) {
    if let Ok(answer) = object::<justifi::wire::CheckoutObject>(data, Envelope::DataWhenTyped, "fuzz") {
        let _ = Checkout::try_from(answer);
    }
    if let Ok(answer) = object::<justifi::wire::PaymentIntentObject>(data, Envelope::DataWhenTyped, "fuzz") {
        let _ = Checkout::try_from(answer);
    }
    if let Ok((completion, raw)) = object::<justifi::wire::CompletionObject>(data, Envelope::DataWhenTyped, "fuzz") {
        let _ = justifi::wire::completion(completion, raw, "cho_fuzz", "key");
    }
    let _ = justifi::wire::ErrorDetail::parse(data);
    let _ = recharge::wire::ErrorDetail::parse(data);
    let _ = recharge::wire::ErrorDetail::refusal(data);
    if let Ok((checkout, raw)) = object::<payfect::wire::CheckoutObject>(data, Envelope::Bare, "fuzz") {
        let _ = payfect::wire::checkout(checkout, raw);
    }
    if let Ok((checkout, raw)) = object::<recharge::wire::CheckoutObject>(data, Envelope::Key("checkout"), "fuzz") {
        let _ = recharge::wire::checkout(checkout, raw, String::new());
    }
    if let Ok((charge, raw)) = object::<recharge::wire::ChargeObject>(data, Envelope::Key("checkout_charge"), "fuzz") {
        let _ = recharge::wire::charge(charge, raw, None, "token");
    }
    if let Ok(v) = serde_json::from_slice::<Value>(data) {
        let _ = field_messages(&v);
        let _ = justifi::wire::event(v.clone());
        let _ = recharge::wire::event(v.clone(), Some("checkout/processed"));
        let _ = payfect::wire::callback_event(v);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = timestamp::any_utc(text);
        for currency in ["usd", "jpy", "kwd", "usdt", text] {
            let _ = money::to_minor(text, currency);
        }
        let _ = recharge::wire::signature_header(text);
    }
}
