//! The transaction API bodies: FindCoordinator, AddPartitionsToTxn, AddOffsetsToTxn, EndTxn and
//! TxnOffsetCommit. The first input byte picks the API (low 7 bits, modulo 5) and, with its top
//! bit set, the request instead of the response; the second byte the version; the rest is the
//! body. Responses are also read as a whole response payload (header + body).
#![no_main]

use kafka_producer::protocol::messages::{
    AddOffsetsToTxnRequest, AddOffsetsToTxnResponse, AddPartitionsToTxnRequest,
    AddPartitionsToTxnResponse, EndTxnRequest, EndTxnResponse, FindCoordinatorRequest,
    FindCoordinatorResponse, TxnOffsetCommitRequest, TxnOffsetCommitResponse,
};
use kafka_producer::protocol::{ApiKey, decode_response};
use kafka_producer_fuzz::{decode_and_reencode, pick_version};
use libfuzzer_sys::fuzz_target;

/// The APIs of this target, in selector order.
const APIS: [ApiKey; 5] = [
    ApiKey::FindCoordinator,
    ApiKey::AddPartitionsToTxn,
    ApiKey::AddOffsetsToTxn,
    ApiKey::EndTxn,
    ApiKey::TxnOffsetCommit,
];

fuzz_target!(|data: &[u8]| {
    let [selector, version_selector, body @ ..] = data else {
        return;
    };
    let api = APIS[usize::from(selector & 0x7f) % APIS.len()];
    let request = selector & 0x80 != 0;
    let version = pick_version(api, *version_selector);
    let (lo, hi) = api.supported_versions();
    let result = match (api, request) {
        (ApiKey::FindCoordinator, false) => {
            let _ = decode_response::<FindCoordinatorResponse>(api, version, body);
            decode_and_reencode!(FindCoordinatorResponse, version, body)
        }
        (ApiKey::FindCoordinator, true) => {
            decode_and_reencode!(FindCoordinatorRequest, version, body)
        }
        (ApiKey::AddPartitionsToTxn, false) => {
            let _ = decode_response::<AddPartitionsToTxnResponse>(api, version, body);
            decode_and_reencode!(AddPartitionsToTxnResponse, version, body)
        }
        (ApiKey::AddPartitionsToTxn, true) => {
            decode_and_reencode!(AddPartitionsToTxnRequest, version, body)
        }
        (ApiKey::AddOffsetsToTxn, false) => {
            let _ = decode_response::<AddOffsetsToTxnResponse>(api, version, body);
            decode_and_reencode!(AddOffsetsToTxnResponse, version, body)
        }
        (ApiKey::AddOffsetsToTxn, true) => {
            decode_and_reencode!(AddOffsetsToTxnRequest, version, body)
        }
        (ApiKey::EndTxn, false) => {
            let _ = decode_response::<EndTxnResponse>(api, version, body);
            decode_and_reencode!(EndTxnResponse, version, body)
        }
        (ApiKey::EndTxn, true) => decode_and_reencode!(EndTxnRequest, version, body),
        (ApiKey::TxnOffsetCommit, false) => {
            let _ = decode_response::<TxnOffsetCommitResponse>(api, version, body);
            decode_and_reencode!(TxnOffsetCommitResponse, version, body)
        }
        (ApiKey::TxnOffsetCommit, true) => {
            decode_and_reencode!(TxnOffsetCommitRequest, version, body)
        }
        _ => unreachable!("not in APIS"),
    };
    if version < lo || version > hi {
        assert!(result.is_err(), "{api} v{version} accepted");
    }
});
