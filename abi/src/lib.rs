//! The `abi_stable` interface of storefront-checkout, for Rust hosts that load the library at
//! run time with their types checked: `CheckoutModRef::load_from_directory(dir)` finds
//! `libstorefront_checkout.so` (built with the `abi_stable` feature) and verifies that its
//! layout matches this crate's before any call.
//!
//! Requests and results are the JSON of docs/contract.md, as with the C ABI; an error is the
//! contract's error object `{"error": {"status", "code", "message", ...}}`.

// abi_stable 0.11's `#[sabi_trait]` expands to impls inside a const item, which rustc's
// `non_local_definitions` lint reports; the expansion is abi_stable's documented usage.
#![allow(non_local_definitions)]

use abi_stable::{
    declare_root_module_statics,
    library::RootModule,
    package_version_strings, sabi_trait,
    sabi_types::VersionStrings,
    std_types::{RBox, RResult, RStr, RString},
    StableAbi,
};

/// The operations of docs/contract.md §7, by name of their C function.
#[repr(u8)]
#[derive(StableAbi, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    /// `checkout_create`
    Create,
    /// `checkout_get`
    Get,
    /// `checkout_complete`
    Complete,
    /// `session_redirect_url`
    RedirectUrl,
    /// `checkout_web_component_token`
    WebComponentToken,
    /// `checkout_refund`
    Refund,
    /// `checkout_refunds`
    Refunds,
    /// `checkout_void`
    Void,
}

/// A configured client; thread-safe like the C handle.
#[sabi_trait]
pub trait CheckoutClient: Send + Sync {
    /// Runs `operation` with a JSON request object: the result JSON, or the error object JSON.
    fn call(&self, operation: Operation, request: RStr<'_>) -> RResult<RString, RString>;
}

/// An owned client behind the stable trait object.
pub type ClientBox = CheckoutClient_TO<'static, RBox<()>>;

/// The root module the library exports.
#[repr(C)]
#[derive(StableAbi)]
#[sabi(kind(Prefix(prefix_ref = CheckoutModRef)))]
#[sabi(missing_field(panic))]
pub struct CheckoutMod {
    /// The library's version, `"0.1.0"`.
    pub version: extern "C" fn() -> RString,
    /// A client from the configuration JSON of docs/contract.md §5, or the error object JSON.
    #[sabi(last_prefix_field)]
    pub new_client: extern "C" fn(config: RStr<'_>) -> RResult<ClientBox, RString>,
}

impl RootModule for CheckoutModRef {
    declare_root_module_statics! {CheckoutModRef}
    const BASE_NAME: &'static str = "storefront_checkout";
    const NAME: &'static str = "storefront_checkout";
    const VERSION_STRINGS: VersionStrings = package_version_strings!();
}
