//! storefront-checkout: create a checkout with a payment provider, send the shopper to the
//! provider's hosted page, complete the payment with a payment method token, through one
//! shared library with a stable C ABI (`include/storefront_checkout.h`, CONTRACT.md).
//!
//! Data flows one way: C ABI ([`ffi`]) → unified request ([`request`]) → provider
//! ([`providers`]) → transport policy ([`transport`]) → unified result ([`response`]) → JSON.
//! Rust hosts may use [`Client`] directly; its requests and results are the same JSON.

pub mod client;
pub mod config;
pub mod error;
pub mod ffi;
pub mod fields;
pub mod providers;
pub mod request;
pub mod response;
pub mod secret;
pub mod timestamp;
pub mod token_cache;
pub mod transport;

pub use client::Client;
pub use error::{Error, Status};
