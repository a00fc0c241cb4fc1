//! Writes a seed corpus of valid encodings, with the selector byte each target expects in front,
//! to `corpus/<target>/` (run from `fuzz/`: `cargo run --example write_seeds`). libFuzzer then
//! starts from well-formed messages instead of having to discover the formats.

use kafka_producer::mock::responses;
use kafka_producer::protocol::messages::{
    ApiVersionsRequest, Encode, InitProducerIdRequest, MetadataRequest, PartitionProduceData,
    ProduceRequest, TopicProduceData,
};
use kafka_producer::protocol::record_batch::ProducerState;
use kafka_producer::protocol::{ApiKey, encode_request};
use std::fs;
use std::path::Path;

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

/// The selector byte that makes a target read `api` at `version` (low 2 bits: the type).
fn selector(api: ApiKey, version: i16) -> u8 {
    let (lo, _) = api.supported_versions();
    let kind = match api {
        ApiKey::ApiVersions => 0,
        ApiKey::Metadata => 1,
        ApiKey::Produce => 2,
        ApiKey::InitProducerId => 3,
    };
    kind | (((version - lo) as u8) << 2)
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
            };
            write("decode_response", &name, s, &response);
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
    write("record_batch", "batch", 0, &batch);
    write("record_batch", "batch-fix-crc", 1, &batch);
    let mut two = batch.clone();
    two.extend_from_slice(&batch);
    write("record_batch", "two-batches", 0, &two);
    println!("seed corpus written to corpus/");
}
