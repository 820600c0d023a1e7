//! The `abi_stable` root module (feature `abi_stable`): the same client as the C ABI, for Rust
//! hosts that load the library with `CheckoutModRef::load_from_directory` and have its layout
//! checked (crate `storefront-checkout-abi`).

use crate::client::{self, Client};
use crate::error::Error;
use crate::ffi::boundary;
use crate::fields::json_object;
use abi_stable::export_root_module;
use abi_stable::prefix_type::PrefixTypeTrait;
use abi_stable::sabi_trait::TD_Opaque;
use abi_stable::std_types::{RErr, ROk, RResult, RStr, RString};
use storefront_checkout_abi::{CheckoutClient, CheckoutClient_TO, CheckoutMod, CheckoutModRef, ClientBox, Operation};

#[export_root_module]
fn root_module() -> CheckoutModRef {
    CheckoutMod { version, new_client }.leak_into_prefix()
}

extern "C" fn version() -> RString {
    env!("CARGO_PKG_VERSION").into()
}

/// Runs `body` behind the C exports' panic boundary: a panic becomes `CHECKOUT_ERR_INTERNAL`,
/// never an unwind into the host.
fn guarded<T>(body: impl FnOnce() -> Result<T, Error>) -> RResult<T, RString> {
    match boundary(Err(Error::caught_panic()), body) {
        Ok(v) => ROk(v),
        Err(e) => RErr(e.to_json().into()),
    }
}

extern "C" fn new_client(config: RStr<'_>) -> RResult<ClientBox, RString> {
    guarded(|| {
        let client = Client::new(json_object(config.as_str(), "config")?)?;
        Ok(CheckoutClient_TO::from_value(Module(client), TD_Opaque))
    })
}

struct Module(Client);

impl CheckoutClient for Module {
    fn call(&self, operation: Operation, request: RStr<'_>) -> RResult<RString, RString> {
        guarded(|| {
            let request = json_object(request.as_str(), "request")?;
            let operation = match operation {
                Operation::Create => client::Operation::Create,
                Operation::Get => client::Operation::Get,
                Operation::Complete => client::Operation::Complete,
                Operation::RedirectUrl => client::Operation::RedirectUrl,
                Operation::WebComponentToken => client::Operation::WebComponentToken,
                Operation::Refund => client::Operation::Refund,
                Operation::Refunds => client::Operation::Refunds,
                Operation::Void => client::Operation::Void,
            };
            Ok(self.0.json(operation, request)?.into())
        })
    }
}
