//! Writes a seed corpus of valid encodings, with the selector byte each target expects in front,
//! to `corpus/<target>/` (run from `fuzz/`: `cargo run --example write_seeds`). libFuzzer then
//! starts from well-formed messages instead of having to discover the formats.

use kafka_producer::mock::responses;
use kafka_producer::protocol::messages::{
    ApiVersionsRequest, Encode, InitProducerIdRequest, MetadataRequest, PartitionProduceData,
    ProduceRequest, SaslAuthenticateRequest, SaslAuthenticateResponse, SaslHandshakeRequest,
    SaslHandshakeResponse, TopicProduceData,
};
use kafka_producer::protocol::record_batch::ProducerState;
use kafka_producer::protocol::{ApiKey, ErrorCode, encode_request};
use std::fs;
use std::path::Path;

/// RFC 7677's SCRAM-SHA-256 example.
const SCRAM_CLIENT_FIRST: &[u8] = b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO";
const SCRAM_SERVER_FIRST: &[u8] =
    b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
const SCRAM_SERVER_FINAL: &[u8] = b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

fn batch() -> Vec<u8> {
    responses::sample_batch(ProducerState {
        producer_id: 8,
        producer_epoch: 1,
        base_sequence: 40,
        is_transactional: false,
    })
}

fn encoded(msg: &impl Encode, version: i16) -> Vec<u8> {
    let mut out = Vec::new();
    msg.encode(version, &mut out);
    out
}

/// The selector byte that makes `decode_response` / `decode_request` read `api` at `version`
/// (low 2 bits: the type); for SaslHandshake and SaslAuthenticate, `sasl_authenticate`'s
/// (bit 0: the API, bits 1–6: the version; bit 7, the request, is the caller's).
fn selector(api: ApiKey, version: i16) -> u8 {
    let (lo, _) = api.supported_versions();
    let offset = (version - lo) as u8;
    match api {
        ApiKey::ApiVersions => offset << 2,
        ApiKey::Metadata => 1 | (offset << 2),
        ApiKey::Produce => 2 | (offset << 2),
        ApiKey::InitProducerId => 3 | (offset << 2),
        ApiKey::SaslHandshake => offset << 1,
        ApiKey::SaslAuthenticate => 1 | (offset << 1),
    }
}

fn write(target: &str, name: &str, selector: u8, body: &[u8]) {
    let dir = Path::new("corpus").join(target);
    fs::create_dir_all(&dir).unwrap();
    let mut data = vec![selector];
    data.extend_from_slice(body);
    fs::write(dir.join(name), data).unwrap();
}

fn main() {
    let batch = batch();
    // The shared samples (every optional field set), also used by tests/decode_fuzz.rs.
    let api_versions = responses::sample_api_versions();
    let metadata = responses::sample_metadata();
    let produce = responses::sample_produce();
    let init = responses::sample_init_producer_id();
    let produce_request = ProduceRequest {
        transactional_id: Some("tx".into()),
        acks: -1,
        timeout_ms: 30_000,
        topics: vec![TopicProduceData {
            name: "orders".into(),
            partitions: vec![PartitionProduceData {
                index: 0,
                records: Some(&batch),
            }],
        }],
    };
    let init_request = InitProducerIdRequest {
        transactional_id: Some("tx".into()),
        transaction_timeout_ms: 60_000,
        producer_id: 5,
        producer_epoch: 1,
    };
    let handshake_request = SaslHandshakeRequest {
        mechanism: "SCRAM-SHA-256".into(),
    };
    let handshake = SaslHandshakeResponse {
        error_code: ErrorCode::NONE,
        mechanisms: vec![
            "PLAIN".into(),
            "SCRAM-SHA-256".into(),
            "SCRAM-SHA-512".into(),
        ],
    };
    let authenticate_request = SaslAuthenticateRequest {
        auth_bytes: SCRAM_CLIENT_FIRST.to_vec(),
    };
    let authenticate = SaslAuthenticateResponse {
        error_code: ErrorCode::NONE,
        error_message: Some("none".into()),
        auth_bytes: SCRAM_SERVER_FIRST.to_vec(),
        session_lifetime_ms: 3_600_000,
    };
    for api in ApiKey::ALL {
        let (lo, hi) = api.supported_versions();
        for v in lo..=hi {
            let s = selector(api, v);
            let name = format!("{}-v{v}", api.name());
            let response = match api {
                ApiKey::ApiVersions => encoded(&api_versions, v),
                ApiKey::Metadata => encoded(&metadata, v),
                ApiKey::Produce => encoded(&produce, v),
                ApiKey::InitProducerId => encoded(&init, v),
                ApiKey::SaslHandshake => encoded(&handshake, v),
                ApiKey::SaslAuthenticate => encoded(&authenticate, v),
            };
            let sasl = matches!(api, ApiKey::SaslHandshake | ApiKey::SaslAuthenticate);
            let response_target = if sasl {
                "sasl_authenticate"
            } else {
                "decode_response"
            };
            write(response_target, &name, s, &response);
            let mut frame = Vec::new();
            match api {
                ApiKey::ApiVersions => {
                    let req = ApiVersionsRequest::default();
                    write("decode_request", &name, s, &encoded(&req, v));
                    encode_request(&mut frame, &req, v, 1, Some("c"));
                }
                ApiKey::Metadata => {
                    let req = MetadataRequest::for_topics(["orders"], true);
                    write("decode_request", &name, s, &encoded(&req, v));
                    encode_request(&mut frame, &req, v, 1, Some("c"));
                }
                ApiKey::Produce => {
                    write("decode_request", &name, s, &encoded(&produce_request, v));
                    encode_request(&mut frame, &produce_request, v, 1, Some("c"));
                }
                ApiKey::InitProducerId => {
                    write("decode_request", &name, s, &encoded(&init_request, v));
                    encode_request(&mut frame, &init_request, v, 1, Some("c"));
                }
                ApiKey::SaslHandshake => {
                    let body = encoded(&handshake_request, v);
                    write(
                        "sasl_authenticate",
                        &format!("{name}-request"),
                        s | 0x80,
                        &body,
                    );
                    encode_request(&mut frame, &handshake_request, v, 1, Some("c"));
                }
                ApiKey::SaslAuthenticate => {
                    let body = encoded(&authenticate_request, v);
                    write(
                        "sasl_authenticate",
                        &format!("{name}-request"),
                        s | 0x80,
                        &body,
                    );
                    encode_request(&mut frame, &authenticate_request, v, 1, Some("c"));
                }
            }
            // Whole request (header + body) for the broker path of decode_request.
            write(
                "decode_request",
                &format!("{name}-frame"),
                0x80,
                &frame[4..],
            );
            write("frame", &name, 3, &frame);
        }
    }
    // SCRAM (RFC 7677's example); the selector-less targets take the message as it is, so the
    // first byte goes in front.
    let (first_byte, first_rest) = SCRAM_SERVER_FIRST.split_at(1);
    write("scram_server_first", "rfc7677", first_byte[0], first_rest);
    let mut exchange = SCRAM_SERVER_FIRST.to_vec();
    exchange.push(0);
    exchange.extend_from_slice(SCRAM_SERVER_FINAL);
    write(
        "scram_server_first",
        "rfc7677-exchange",
        exchange[0],
        &exchange[1..],
    );
    let (final_byte, final_rest) = SCRAM_SERVER_FINAL.split_at(1);
    write("scram_server_final", "rfc7677", final_byte[0], final_rest);
    write("scram_server_final", "error", b'e', b"=invalid-proof");
    write("record_batch", "batch", 0, &batch);
    write("record_batch", "batch-fix-crc", 1, &batch);
    let mut two = batch.clone();
    two.extend_from_slice(&batch);
    write("record_batch", "two-batches", 0, &two);
    println!("seed corpus written to corpus/");
}
