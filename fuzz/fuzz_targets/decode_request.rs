//! Request bodies (ApiVersions, Metadata, Produce, InitProducerId), as a test broker reads them.
//!
//! First input byte: with the top bit clear, the low 2 bits pick the type and the next 5 bits
//! the version, and the rest is a bare body; with the top bit set, the rest is a whole request
//! (header v1 or v2, as the api key and version it names require, then the body), of any API
//! the crate speaks (SaslHandshake, SaslAuthenticate and the transaction APIs included).
#![no_main]

use kafka_producer::protocol::codec::Reader;
use kafka_producer::protocol::messages::{
    AddOffsetsToTxnRequest, AddPartitionsToTxnRequest, ApiVersionsRequest, EndTxnRequest,
    FindCoordinatorRequest, InitProducerIdRequest, MetadataRequest, ProduceRequest,
    SaslAuthenticateRequest, SaslHandshakeRequest, TxnOffsetCommitRequest,
};
use kafka_producer::protocol::{ApiKey, OwnedRequestHeader};
use kafka_producer_fuzz::{decode_and_reencode, pick_version};
use libfuzzer_sys::fuzz_target;

fn decode_body(api: ApiKey, version: i16, body: &[u8]) {
    let result = match api {
        ApiKey::ApiVersions => decode_and_reencode!(ApiVersionsRequest, version, body),
        ApiKey::Metadata => decode_and_reencode!(MetadataRequest, version, body),
        ApiKey::Produce => decode_and_reencode!(ProduceRequest, version, body),
        ApiKey::InitProducerId => decode_and_reencode!(InitProducerIdRequest, version, body),
        ApiKey::SaslHandshake => decode_and_reencode!(SaslHandshakeRequest, version, body),
        ApiKey::SaslAuthenticate => decode_and_reencode!(SaslAuthenticateRequest, version, body),
        ApiKey::FindCoordinator => decode_and_reencode!(FindCoordinatorRequest, version, body),
        ApiKey::AddPartitionsToTxn => {
            decode_and_reencode!(AddPartitionsToTxnRequest, version, body)
        }
        ApiKey::AddOffsetsToTxn => decode_and_reencode!(AddOffsetsToTxnRequest, version, body),
        ApiKey::EndTxn => decode_and_reencode!(EndTxnRequest, version, body),
        ApiKey::TxnOffsetCommit => decode_and_reencode!(TxnOffsetCommitRequest, version, body),
    };
    let (lo, hi) = api.supported_versions();
    if version < lo || version > hi {
        assert!(result.is_err(), "{api} v{version} accepted");
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    if selector & 0x80 == 0 {
        let api = [
            ApiKey::ApiVersions,
            ApiKey::Metadata,
            ApiKey::Produce,
            ApiKey::InitProducerId,
        ][usize::from(selector & 3)];
        decode_body(api, pick_version(api, (selector >> 2) & 0x1f), rest);
        return;
    }
    if rest.len() < 4 {
        return;
    }
    let key = i16::from_be_bytes([rest[0], rest[1]]);
    let version = i16::from_be_bytes([rest[2], rest[3]]);
    let api = ApiKey::from_i16(key);
    let flexible = api.is_some_and(|a| a.request_header_flexible(version));
    let mut r = Reader::new(rest, "RequestHeader");
    let Ok(header) = OwnedRequestHeader::decode(&mut r, flexible) else {
        return;
    };
    assert_eq!((header.api_key, header.api_version), (key, version));
    if let Some(api) = api {
        decode_body(api, version, r.rest());
    }
});
