//! storefront-checkout: create a checkout with a payment provider, send the shopper to the
//! provider's hosted page, complete the payment with a payment method token, through one
//! shared library with a stable C ABI (`include/storefront_checkout.h`, docs/contract.md).
//!
//! Data flows one way: C ABI (`ffi`) → unified request (`request`) → provider (`providers`)
//! → transport policy (`transport`) → unified result (`response`) → JSON. Rust hosts may use
//! [`Client`] directly; its requests and results are the same JSON objects.

#[cfg(feature = "abi_stable")]
mod abi_module;
mod client;
mod config;
pub mod error;
mod ffi;
mod fields;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
mod money;
mod providers;
mod request;
mod response;
mod secret;
mod timestamp;
mod token_cache;
mod transport;
mod webhook;
mod workers;

pub use client::Client;
pub use error::{Error, Status};
