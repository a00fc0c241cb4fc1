//! SaslHandshake and SaslAuthenticate bodies at every version (and the versions just outside).
//!
//! First input byte: bit 0 picks the API (0: SaslHandshake, 1: SaslAuthenticate), bits 1–6 the
//! version, bit 7 the direction (0: the response, also read as a whole response payload, header
//! and body; 1: the request, as a test broker reads it). The rest is the body.
#![no_main]

use kafka_producer::protocol::messages::{
    SaslAuthenticateRequest, SaslAuthenticateResponse, SaslHandshakeRequest, SaslHandshakeResponse,
};
use kafka_producer::protocol::{ApiKey, decode_response};
use kafka_producer_fuzz::{decode_and_reencode, pick_version};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let api = if selector & 1 == 0 {
        ApiKey::SaslHandshake
    } else {
        ApiKey::SaslAuthenticate
    };
    let version = pick_version(api, selector >> 1);
    let request = selector & 0x80 != 0;
    let result = match (api, request) {
        (ApiKey::SaslHandshake, false) => {
            let _ = decode_response::<SaslHandshakeResponse>(api, version, body);
            decode_and_reencode!(SaslHandshakeResponse, version, body)
        }
        (ApiKey::SaslHandshake, true) => decode_and_reencode!(SaslHandshakeRequest, version, body),
        (_, false) => {
            let _ = decode_response::<SaslAuthenticateResponse>(api, version, body);
            decode_and_reencode!(SaslAuthenticateResponse, version, body)
        }
        (_, true) => decode_and_reencode!(SaslAuthenticateRequest, version, body),
    };
    let (lo, hi) = api.supported_versions();
    if version < lo || version > hi {
        assert!(result.is_err(), "{api} v{version} accepted");
    }
});
