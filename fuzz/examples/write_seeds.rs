//! Writes a seed corpus of valid encodings, with the selector byte each target expects in front,
//! to `corpus/<target>/` (run from `fuzz/`: `cargo run --example write_seeds`). libFuzzer then
//! starts from well-formed messages instead of having to discover the formats.

use kafka_producer::mock::responses;
use kafka_producer::protocol::messages::find_coordinator::KEY_TYPE_TRANSACTION;
use kafka_producer::protocol::messages::{
    AddOffsetsToTxnRequest, AddPartitionsToTxnRequest, AddPartitionsToTxnTopic, ApiVersionsRequest,
    Encode, EndTxnRequest, FindCoordinatorRequest, InitProducerIdRequest, MetadataRequest,
    PartitionProduceData, ProduceRequest, SaslAuthenticateRequest, SaslAuthenticateResponse,
    SaslHandshakeRequest, SaslHandshakeResponse, TopicProduceData, TxnOffsetCommitRequest,
    TxnOffsetCommitRequestPartition, TxnOffsetCommitRequestTopic,
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
/// (bit 0: the API, bits 1–6: the version; bit 7, the request, is the caller's); for the
/// transaction APIs, `txn_responses`' first byte (the API; bit 7 is the caller's), the version
/// going in the second byte (see `txn_version_byte`).
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
        ApiKey::FindCoordinator => 0,
        ApiKey::AddPartitionsToTxn => 1,
        ApiKey::AddOffsetsToTxn => 2,
        ApiKey::EndTxn => 3,
        ApiKey::TxnOffsetCommit => 4,
    }
}

/// `txn_responses`' second byte: the version, as an offset from the lowest supported one.
fn txn_version_byte(api: ApiKey, version: i16) -> u8 {
    (version - api.supported_versions().0) as u8
}

/// `body` with `txn_responses`' version byte in front.
fn txn_body(api: ApiKey, version: i16, body: &[u8]) -> Vec<u8> {
    let mut out = vec![txn_version_byte(api, version)];
    out.extend_from_slice(body);
    out
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
    let find_coordinator = responses::sample_find_coordinator();
    let add_partitions = responses::sample_add_partitions_to_txn();
    let add_offsets = responses::sample_add_offsets_to_txn();
    let end_txn = responses::sample_end_txn();
    let txn_offset_commit = responses::sample_txn_offset_commit();
    let add_partitions_request = AddPartitionsToTxnRequest {
        transactional_id: "tx".into(),
        producer_id: 5,
        producer_epoch: 1,
        topics: vec![AddPartitionsToTxnTopic {
            name: "orders".into(),
            partitions: vec![0, 3],
        }],
    };
    let add_offsets_request = AddOffsetsToTxnRequest {
        transactional_id: "tx".into(),
        producer_id: 5,
        producer_epoch: 1,
        group_id: "consumers".into(),
    };
    let end_txn_request = EndTxnRequest {
        transactional_id: "tx".into(),
        producer_id: 5,
        producer_epoch: 1,
        committed: true,
    };
    let txn_offset_commit_request = TxnOffsetCommitRequest {
        transactional_id: "tx".into(),
        group_id: "consumers".into(),
        producer_id: 5,
        producer_epoch: 1,
        generation_id: 3,
        member_id: "m".into(),
        group_instance_id: Some("i".into()),
        topics: vec![TxnOffsetCommitRequestTopic {
            name: "orders".into(),
            partitions: vec![TxnOffsetCommitRequestPartition {
                partition_index: 0,
                committed_offset: 42,
                committed_leader_epoch: 2,
                committed_metadata: Some(String::new()),
            }],
        }],
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
                ApiKey::FindCoordinator => encoded(&find_coordinator, v),
                ApiKey::AddPartitionsToTxn => encoded(&add_partitions, v),
                ApiKey::AddOffsetsToTxn => encoded(&add_offsets, v),
                ApiKey::EndTxn => encoded(&end_txn, v),
                ApiKey::TxnOffsetCommit => encoded(&txn_offset_commit, v),
            };
            let sasl = matches!(api, ApiKey::SaslHandshake | ApiKey::SaslAuthenticate);
            let txn = matches!(
                api,
                ApiKey::FindCoordinator
                    | ApiKey::AddPartitionsToTxn
                    | ApiKey::AddOffsetsToTxn
                    | ApiKey::EndTxn
                    | ApiKey::TxnOffsetCommit
            );
            if txn {
                write("txn_responses", &name, s, &txn_body(api, v, &response));
            } else if sasl {
                write("sasl_authenticate", &name, s, &response);
            } else {
                write("decode_response", &name, s, &response);
            }
            // A transaction API's request body for `txn_responses` (top bit: request).
            let txn_request = |body: &[u8]| {
                write(
                    "txn_responses",
                    &format!("{name}-request"),
                    s | 0x80,
                    &txn_body(api, v, body),
                );
            };
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
                ApiKey::FindCoordinator => {
                    let req = FindCoordinatorRequest {
                        key: if v <= 3 { "tx".into() } else { String::new() },
                        key_type: KEY_TYPE_TRANSACTION,
                        coordinator_keys: if v >= 4 { vec!["tx".into()] } else { vec![] },
                    };
                    txn_request(&encoded(&req, v));
                    encode_request(&mut frame, &req, v, 1, Some("c"));
                }
                ApiKey::AddPartitionsToTxn => {
                    txn_request(&encoded(&add_partitions_request, v));
                    encode_request(&mut frame, &add_partitions_request, v, 1, Some("c"));
                }
                ApiKey::AddOffsetsToTxn => {
                    txn_request(&encoded(&add_offsets_request, v));
                    encode_request(&mut frame, &add_offsets_request, v, 1, Some("c"));
                }
                ApiKey::EndTxn => {
                    txn_request(&encoded(&end_txn_request, v));
                    encode_request(&mut frame, &end_txn_request, v, 1, Some("c"));
                }
                ApiKey::TxnOffsetCommit => {
                    txn_request(&encoded(&txn_offset_commit_request, v));
                    encode_request(&mut frame, &txn_offset_commit_request, v, 1, Some("c"));
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
    // A Java producer.properties as a Java user writes it (class keys, Java-only keys,
    // escapes, a continuation line).
    let properties = b"# producer.properties\n\
bootstrap.servers=127.0.0.1:9092, localhost:9093\n\
key.serializer=org.apache.kafka.common.serialization.StringSerializer\n\
value.serializer=io.confluent.kafka.serializers.KafkaAvroSerializer\n\
schema.registry.url=http://localhost:8081\n\
interceptor.classes=com.acme.AuditInterceptor,\\\n    com.acme.TraceInterceptor\n\
metric.reporters=org.apache.kafka.common.metrics.JmxReporter\n\
client.dns.lookup=use_all_dns_ips\n\
enable.metrics.push=true\n\
acks=all\n\
linger.ms : 5\n\
compression.type lz4\n\
client.id=orders\\u0041\n\
metrics.recording.level=DEBUG\n\
transactional.id=tx-1\n";
    let (first, rest) = properties.split_at(1);
    write("producer_properties", "java", first[0], rest);
    println!("seed corpus written to corpus/");
}
