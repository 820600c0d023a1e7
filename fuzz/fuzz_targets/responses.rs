//! Arbitrary provider answers through every decoder (JustiFi, ReCharge, Payfect), the
//! timestamp and money parsers.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    storefront_checkout::fuzzing::provider_responses(data);
});
