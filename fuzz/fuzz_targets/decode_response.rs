//! Response bodies (ApiVersions, Metadata, Produce, InitProducerId). The first input byte picks
//! the type (low 2 bits) and the version (high 6 bits); the rest is the body, which is also read
//! as a whole response payload (header + body) and, for ApiVersions, with the v0 fallback.
//! SaslHandshake and SaslAuthenticate have their own target, `sasl_authenticate`; the
//! transaction APIs theirs, `txn_responses`.
#![no_main]

use kafka_producer::protocol::messages::{
    AddOffsetsToTxnResponse, AddPartitionsToTxnResponse, ApiVersionsResponse, EndTxnResponse,
    FindCoordinatorResponse, InitProducerIdResponse, MetadataResponse, ProduceResponse,
    SaslAuthenticateResponse, SaslHandshakeResponse, TxnOffsetCommitResponse,
};
use kafka_producer::protocol::{ApiKey, decode_response};
use kafka_producer_fuzz::{decode_and_reencode, pick_version};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let api = [
        ApiKey::ApiVersions,
        ApiKey::Metadata,
        ApiKey::Produce,
        ApiKey::InitProducerId,
    ][usize::from(selector & 3)];
    let version = pick_version(api, selector >> 2);
    let (lo, hi) = api.supported_versions();
    let result = match api {
        ApiKey::ApiVersions => {
            let _ = ApiVersionsResponse::decode_with_fallback(version, body);
            let _ = decode_response::<ApiVersionsResponse>(api, version, body);
            decode_and_reencode!(ApiVersionsResponse, version, body)
        }
        ApiKey::Metadata => {
            let _ = decode_response::<MetadataResponse>(api, version, body);
            decode_and_reencode!(MetadataResponse, version, body)
        }
        ApiKey::Produce => {
            let _ = decode_response::<ProduceResponse>(api, version, body);
            decode_and_reencode!(ProduceResponse, version, body)
        }
        ApiKey::InitProducerId => {
            let _ = decode_response::<InitProducerIdResponse>(api, version, body);
            decode_and_reencode!(InitProducerIdResponse, version, body)
        }
        // Not picked by the selector above (see `sasl_authenticate`); kept for completeness.
        ApiKey::SaslHandshake => {
            let _ = decode_response::<SaslHandshakeResponse>(api, version, body);
            decode_and_reencode!(SaslHandshakeResponse, version, body)
        }
        ApiKey::SaslAuthenticate => {
            let _ = decode_response::<SaslAuthenticateResponse>(api, version, body);
            decode_and_reencode!(SaslAuthenticateResponse, version, body)
        }
        // Not picked either (see `txn_responses`).
        ApiKey::FindCoordinator => decode_and_reencode!(FindCoordinatorResponse, version, body),
        ApiKey::AddPartitionsToTxn => {
            decode_and_reencode!(AddPartitionsToTxnResponse, version, body)
        }
        ApiKey::AddOffsetsToTxn => decode_and_reencode!(AddOffsetsToTxnResponse, version, body),
        ApiKey::EndTxn => decode_and_reencode!(EndTxnResponse, version, body),
        ApiKey::TxnOffsetCommit => decode_and_reencode!(TxnOffsetCommitResponse, version, body),
    };
    if version < lo || version > hi {
        assert!(result.is_err(), "{api} v{version} accepted");
    }
});
