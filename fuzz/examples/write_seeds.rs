//! Writes a seed corpus of valid encodings, with the selector byte each target expects in front,
//! to `corpus/<target>/` (run from `fuzz/`: `cargo run --example write_seeds`). libFuzzer then
//! starts from well-formed messages instead of having to discover the formats.

use kafka_producer::protocol::codec::Uuid;
use kafka_producer::protocol::messages::api_versions::FeatureRange;
use kafka_producer::protocol::messages::produce::{LeaderIdAndEpoch, NodeEndpoint};
use kafka_producer::protocol::messages::{
    ApiVersionRange, ApiVersionsRequest, ApiVersionsResponse, Encode, InitProducerIdRequest,
    InitProducerIdResponse, MetadataRequest, MetadataResponse, MetadataResponseBroker,
    MetadataResponsePartition, MetadataResponseTopic, PartitionProduceData,
    PartitionProduceResponse, ProduceRequest, ProduceResponse, RecordError, TopicProduceData,
    TopicProduceResponse,
};
use kafka_producer::protocol::record_batch::{Header, ProducerState, RecordBatchBuilder};
use kafka_producer::protocol::{ApiKey, ErrorCode, encode_request};
use std::fs;
use std::path::Path;

fn batch() -> Vec<u8> {
    let mut b = RecordBatchBuilder::new(Vec::new(), 1 << 20);
    b.set_producer_state(ProducerState {
        producer_id: 8,
        producer_epoch: 1,
        base_sequence: 40,
        is_transactional: false,
    });
    b.append(1_000, Some(b"key"), Some(b"value"), &[]);
    b.append(
        999,
        None,
        Some(b""),
        &[Header::new("h", b"v".to_vec()), Header::null("n")],
    );
    b.append(1_005, Some(b""), None, &[]);
    b.finish().to_vec()
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
    let api_versions = ApiVersionsResponse {
        error_code: ErrorCode::NONE,
        api_keys: vec![ApiVersionRange {
            api_key: 0,
            min_version: 3,
            max_version: 12,
        }],
        throttle_time_ms: 3,
        supported_features: vec![FeatureRange {
            name: "metadata.version".into(),
            min_version: 1,
            max_version: 27,
        }],
        finalized_features_epoch: 9,
        finalized_features: vec![FeatureRange {
            name: "metadata.version".into(),
            min_version: 20,
            max_version: 27,
        }],
        zk_migration_ready: true,
    };
    let metadata = MetadataResponse {
        throttle_time_ms: 1,
        brokers: vec![MetadataResponseBroker {
            node_id: 1,
            host: "b1".into(),
            port: 9092,
            rack: Some("r".into()),
        }],
        cluster_id: Some("c".into()),
        controller_id: 1,
        topics: vec![MetadataResponseTopic {
            error_code: ErrorCode::NONE,
            name: Some("orders".into()),
            topic_id: Uuid([7; 16]),
            is_internal: false,
            partitions: vec![MetadataResponsePartition {
                error_code: ErrorCode::NONE,
                partition_index: 0,
                leader_id: 1,
                leader_epoch: 4,
                replica_nodes: vec![1, 2],
                isr_nodes: vec![1],
                offline_replicas: vec![2],
            }],
            topic_authorized_operations: i32::MIN,
        }],
        error_code: ErrorCode::NONE,
    };
    let produce = ProduceResponse {
        responses: vec![TopicProduceResponse {
            name: "orders".into(),
            partitions: vec![PartitionProduceResponse {
                index: 0,
                error_code: ErrorCode::NOT_LEADER_OR_FOLLOWER,
                base_offset: 10,
                log_append_time_ms: -1,
                log_start_offset: 0,
                record_errors: vec![RecordError {
                    batch_index: 1,
                    message: Some("bad".into()),
                }],
                error_message: Some("err".into()),
                current_leader: Some(LeaderIdAndEpoch {
                    leader_id: 2,
                    leader_epoch: 5,
                }),
            }],
        }],
        throttle_time_ms: 0,
        node_endpoints: vec![NodeEndpoint {
            node_id: 2,
            host: "b2".into(),
            port: 9093,
            rack: None,
        }],
    };
    let init = InitProducerIdResponse {
        throttle_time_ms: 0,
        error_code: ErrorCode::NONE,
        producer_id: 1_000,
        producer_epoch: 2,
    };
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
