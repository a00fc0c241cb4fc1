//! Builders of sample responses, as a broker would send them: used by
//! [`MockCluster`](crate::mock::MockCluster) to answer, and by decoder tests and fuzz seeds that
//! need a valid message to start from.
//!
//! ```
//! use kafka_producer::mock::responses;
//! use kafka_producer::protocol::messages::Encode;
//! let md = responses::metadata(
//!     vec![responses::broker(0, "127.0.0.1", 9092)],
//!     vec![responses::topic("t", (0..3).map(|p| responses::partition(p, 0, 0)))],
//! );
//! let mut body = Vec::new();
//! md.encode(12, &mut body);
//! assert!(!body.is_empty());
//! ```

use crate::protocol::messages::{
    AddOffsetsToTxnResponse, AddPartitionsToTxnPartitionResult, AddPartitionsToTxnResponse,
    AddPartitionsToTxnTopicResult, ApiVersionRange, ApiVersionsResponse, Coordinator, Encode,
    EndTxnResponse, FindCoordinatorResponse, InitProducerIdResponse, MetadataResponse,
    MetadataResponseBroker, MetadataResponsePartition, MetadataResponseTopic,
    PartitionProduceResponse, ProduceResponse, TopicProduceResponse, TxnOffsetCommitResponse,
    TxnOffsetCommitResponsePartition, TxnOffsetCommitResponseTopic,
};
use crate::protocol::{ApiKey, ErrorCode, ResponseHeader, Uuid};

/// An ApiVersions response listing every API this crate speaks with the versions it supports.
///
/// ```
/// let r = kafka_producer::mock::responses::api_versions();
/// assert_eq!(r.api_keys.len(), kafka_producer::protocol::ApiKey::ALL.len());
/// ```
pub fn api_versions() -> ApiVersionsResponse {
    ApiVersionsResponse {
        api_keys: ApiKey::ALL
            .iter()
            .map(|k| ApiVersionRange {
                api_key: *k as i16,
                min_version: k.supported_versions().0,
                max_version: k.supported_versions().1,
            })
            .collect(),
        ..Default::default()
    }
}

/// One broker of a Metadata response (no rack).
///
/// ```
/// let b = kafka_producer::mock::responses::broker(1, "localhost", 9092);
/// assert_eq!((b.node_id, b.port), (1, 9092));
/// ```
pub fn broker(node_id: i32, host: &str, port: u16) -> MetadataResponseBroker {
    MetadataResponseBroker {
        node_id,
        host: host.to_owned(),
        port: i32::from(port),
        rack: None,
    }
}

/// One healthy partition of a Metadata response: `leader` is its only replica and in sync.
///
/// ```
/// let p = kafka_producer::mock::responses::partition(3, 1, 7);
/// assert_eq!((p.partition_index, p.leader_id, p.leader_epoch), (3, 1, 7));
/// ```
pub fn partition(index: i32, leader: i32, leader_epoch: i32) -> MetadataResponsePartition {
    MetadataResponsePartition {
        error_code: ErrorCode::NONE,
        partition_index: index,
        leader_id: leader,
        leader_epoch,
        replica_nodes: vec![leader],
        isr_nodes: vec![leader],
        offline_replicas: vec![],
    }
}

/// A topic of a Metadata response, without error, with a topic id derived from its name.
///
/// ```
/// use kafka_producer::mock::responses::{partition, topic};
/// let t = topic("t", [partition(0, 0, 0)]);
/// assert_eq!(t.name.as_deref(), Some("t"));
/// ```
pub fn topic(
    name: &str,
    partitions: impl IntoIterator<Item = MetadataResponsePartition>,
) -> MetadataResponseTopic {
    MetadataResponseTopic {
        error_code: ErrorCode::NONE,
        name: Some(name.to_owned()),
        topic_id: topic_id(name),
        is_internal: false,
        partitions: partitions.into_iter().collect(),
        topic_authorized_operations: i32::MIN,
    }
}

/// A topic of a Metadata response that failed with `code` (e.g. `UNKNOWN_TOPIC_OR_PARTITION`).
///
/// ```
/// use kafka_producer::protocol::ErrorCode;
/// let t = kafka_producer::mock::responses::topic_error("t", ErrorCode::UNKNOWN_TOPIC_OR_PARTITION);
/// assert!(t.partitions.is_empty());
/// ```
pub fn topic_error(name: &str, code: ErrorCode) -> MetadataResponseTopic {
    MetadataResponseTopic {
        error_code: code,
        name: Some(name.to_owned()),
        topic_id: Uuid([0; 16]),
        is_internal: false,
        partitions: vec![],
        topic_authorized_operations: i32::MIN,
    }
}

/// A stable, non-zero topic id for a name (the same name always gets the same id).
///
/// ```
/// use kafka_producer::mock::responses::topic_id;
/// assert_eq!(topic_id("a"), topic_id("a"));
/// assert_ne!(topic_id("a"), topic_id("b"));
/// ```
pub fn topic_id(name: &str) -> Uuid {
    let h = crate::producer::partitioner::murmur2(name.as_bytes()) as u32;
    let mut id = [0u8; 16];
    for (i, b) in id.iter_mut().enumerate() {
        *b = (h.rotate_left(i as u32 * 5) as u8) | 1;
    }
    Uuid(id)
}

/// A Metadata response with these brokers and topics; the first broker is the controller.
///
/// ```
/// use kafka_producer::mock::responses::{broker, metadata};
/// let md = metadata(vec![broker(0, "h", 1)], vec![]);
/// assert_eq!(md.controller_id, 0);
/// ```
pub fn metadata(
    brokers: Vec<MetadataResponseBroker>,
    topics: Vec<MetadataResponseTopic>,
) -> MetadataResponse {
    MetadataResponse {
        throttle_time_ms: 0,
        controller_id: brokers.first().map_or(-1, |b| b.node_id),
        brokers,
        cluster_id: Some("mock-cluster".into()),
        topics,
        error_code: ErrorCode::NONE,
    }
}

/// One partition's answer in a Produce response.
///
/// ```
/// use kafka_producer::protocol::ErrorCode;
/// let p = kafka_producer::mock::responses::produce_partition(0, ErrorCode::NONE, 42);
/// assert_eq!(p.base_offset, 42);
/// ```
pub fn produce_partition(
    index: i32,
    error_code: ErrorCode,
    base_offset: i64,
) -> PartitionProduceResponse {
    PartitionProduceResponse {
        index,
        error_code,
        base_offset,
        log_append_time_ms: -1,
        log_start_offset: 0,
        record_errors: vec![],
        error_message: None,
        current_leader: None,
    }
}

/// A Produce response for one topic: `(partition, error code, base offset)` per partition.
///
/// ```
/// use kafka_producer::protocol::ErrorCode;
/// let r = kafka_producer::mock::responses::produce("t", &[(0, ErrorCode::NONE, 5)]);
/// assert_eq!(r.responses[0].partitions[0].base_offset, 5);
/// ```
pub fn produce(topic: &str, partitions: &[(i32, ErrorCode, i64)]) -> ProduceResponse {
    ProduceResponse {
        responses: vec![TopicProduceResponse {
            name: topic.to_owned(),
            partitions: partitions
                .iter()
                .map(|&(p, code, offset)| produce_partition(p, code, offset))
                .collect(),
        }],
        throttle_time_ms: 0,
        node_endpoints: vec![],
    }
}

/// A successful InitProducerId response.
///
/// ```
/// let r = kafka_producer::mock::responses::init_producer_id(1000, 0);
/// assert_eq!(r.producer_id, 1000);
/// ```
pub fn init_producer_id(producer_id: i64, producer_epoch: i16) -> InitProducerIdResponse {
    InitProducerIdResponse {
        throttle_time_ms: 0,
        error_code: ErrorCode::NONE,
        producer_id,
        producer_epoch,
    }
}

/// Appends a whole response frame (size, header, body at `version`) to `out`. ApiVersions
/// responses always use the non-flexible header; pass `api.response_header_flexible(version)`
/// for the others.
///
/// ```
/// use kafka_producer::mock::responses::{api_versions, frame};
/// let mut out = Vec::new();
/// frame(&mut out, 7, false, 3, &api_versions());
/// assert_eq!(i32::from_be_bytes(out[..4].try_into().unwrap()) as usize, out.len() - 4);
/// ```
pub fn frame(
    out: &mut Vec<u8>,
    correlation_id: i32,
    flexible_header: bool,
    version: i16,
    body: &impl Encode,
) {
    let start = out.len();
    out.extend_from_slice(&[0; 4]);
    ResponseHeader { correlation_id }.encode(out, flexible_header);
    body.encode(version, out);
    let len = (out.len() - start - 4) as i32;
    out[start..start + 4].copy_from_slice(&len.to_be_bytes());
}

// -------------------------------------------------------------------------------------------
// Samples with every optional field set, for decoder tests and fuzz seeds
// -------------------------------------------------------------------------------------------

/// A small record batch (3 records: a key and value, an empty value with a header and a null
/// header value, a null value) of the given producer state, for decoder tests and fuzz seeds.
///
/// ```
/// use kafka_producer::protocol::record_batch::{ProducerState, RecordBatch};
/// let b = kafka_producer::mock::responses::sample_batch(ProducerState::default());
/// assert_eq!(RecordBatch::decode_all(&b).unwrap()[0].records.len(), 3);
/// ```
pub fn sample_batch(producer: crate::protocol::record_batch::ProducerState) -> Vec<u8> {
    let mut b = crate::protocol::record_batch::RecordBatchBuilder::new(Vec::new(), 1 << 20);
    b.set_producer_state(producer);
    b.append(1_000, Some(b"key"), Some(b"value"), &[]);
    b.append(
        999,
        None,
        Some(b""),
        &[
            crate::protocol::record_batch::Header::new("h", b"v".to_vec()),
            crate::protocol::record_batch::Header::null("n"),
        ],
    );
    b.append(1_005, Some(b""), None, &[]);
    b.finish().to_vec()
}

/// An ApiVersions response with every field set (features, throttle, ZK migration flag).
///
/// ```
/// let r = kafka_producer::mock::responses::sample_api_versions();
/// assert!(r.zk_migration_ready);
/// ```
pub fn sample_api_versions() -> ApiVersionsResponse {
    use crate::protocol::messages::api_versions::FeatureRange;
    ApiVersionsResponse {
        error_code: ErrorCode::NONE,
        api_keys: vec![
            ApiVersionRange {
                api_key: 0,
                min_version: 3,
                max_version: 12,
            },
            ApiVersionRange {
                api_key: 18,
                min_version: 0,
                max_version: 4,
            },
        ],
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
    }
}

/// A Metadata response with every field set: two brokers (one with a rack), a topic whose
/// partition has an offline replica.
///
/// ```
/// let r = kafka_producer::mock::responses::sample_metadata();
/// assert_eq!(r.brokers.len(), 2);
/// ```
pub fn sample_metadata() -> MetadataResponse {
    MetadataResponse {
        throttle_time_ms: 1,
        brokers: vec![
            MetadataResponseBroker {
                node_id: 1,
                host: "b1".into(),
                port: 9092,
                rack: Some("r".into()),
            },
            MetadataResponseBroker {
                node_id: 2,
                host: "b2".into(),
                port: 9093,
                rack: None,
            },
        ],
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
    }
}

/// A Produce response with every field set: an error with record errors, a message, the
/// current leader and its endpoint.
///
/// ```
/// let r = kafka_producer::mock::responses::sample_produce();
/// assert!(r.responses[0].partitions[0].current_leader.is_some());
/// ```
pub fn sample_produce() -> ProduceResponse {
    use crate::protocol::messages::RecordError;
    use crate::protocol::messages::produce::{LeaderIdAndEpoch, NodeEndpoint};
    ProduceResponse {
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
    }
}

/// An InitProducerId response (producer 1000, epoch 2).
///
/// ```
/// assert_eq!(kafka_producer::mock::responses::sample_init_producer_id().producer_epoch, 2);
/// ```
pub fn sample_init_producer_id() -> InitProducerIdResponse {
    init_producer_id(1_000, 2)
}

/// A FindCoordinator response with every field of every version set: the single coordinator of
/// v0–v3 (with an error message) and two v4+ coordinators.
///
/// ```
/// let r = kafka_producer::mock::responses::sample_find_coordinator();
/// assert_eq!(r.coordinators.len(), 2);
/// ```
pub fn sample_find_coordinator() -> FindCoordinatorResponse {
    FindCoordinatorResponse {
        throttle_time_ms: 4,
        error_code: ErrorCode::NONE,
        error_message: Some("ok".into()),
        node_id: 1,
        host: "b1".into(),
        port: 9092,
        coordinators: vec![
            Coordinator {
                key: "tx".into(),
                node_id: 1,
                host: "b1".into(),
                port: 9092,
                error_code: ErrorCode::NONE,
                error_message: None,
            },
            Coordinator {
                key: "tx-2".into(),
                node_id: -1,
                host: String::new(),
                port: -1,
                error_code: ErrorCode::COORDINATOR_LOAD_IN_PROGRESS,
                error_message: Some("loading".into()),
            },
        ],
    }
}

/// An AddPartitionsToTxn response: two partitions of one topic, one of them with an error.
///
/// ```
/// let r = kafka_producer::mock::responses::sample_add_partitions_to_txn();
/// assert_eq!(r.results[0].results.len(), 2);
/// ```
pub fn sample_add_partitions_to_txn() -> AddPartitionsToTxnResponse {
    AddPartitionsToTxnResponse {
        throttle_time_ms: 5,
        results: vec![AddPartitionsToTxnTopicResult {
            name: "orders".into(),
            results: vec![
                AddPartitionsToTxnPartitionResult {
                    partition_index: 0,
                    error_code: ErrorCode::NONE,
                },
                AddPartitionsToTxnPartitionResult {
                    partition_index: 3,
                    error_code: ErrorCode::CONCURRENT_TRANSACTIONS,
                },
            ],
        }],
    }
}

/// An AddOffsetsToTxn response (with an error).
///
/// ```
/// let r = kafka_producer::mock::responses::sample_add_offsets_to_txn();
/// assert!(!r.error_code.is_ok());
/// ```
pub fn sample_add_offsets_to_txn() -> AddOffsetsToTxnResponse {
    AddOffsetsToTxnResponse {
        throttle_time_ms: 6,
        error_code: ErrorCode::COORDINATOR_NOT_AVAILABLE,
    }
}

/// An EndTxn response with the v5 producer id and epoch.
///
/// ```
/// let r = kafka_producer::mock::responses::sample_end_txn();
/// assert_eq!((r.producer_id, r.producer_epoch), (1_000, 3));
/// ```
pub fn sample_end_txn() -> EndTxnResponse {
    EndTxnResponse {
        throttle_time_ms: 7,
        error_code: ErrorCode::NONE,
        producer_id: 1_000,
        producer_epoch: 3,
    }
}

/// A TxnOffsetCommit response: two partitions of one topic, one of them with an error.
///
/// ```
/// let r = kafka_producer::mock::responses::sample_txn_offset_commit();
/// assert_eq!(r.topics[0].partitions.len(), 2);
/// ```
pub fn sample_txn_offset_commit() -> TxnOffsetCommitResponse {
    TxnOffsetCommitResponse {
        throttle_time_ms: 8,
        topics: vec![TxnOffsetCommitResponseTopic {
            name: "orders".into(),
            partitions: vec![
                TxnOffsetCommitResponsePartition {
                    partition_index: 0,
                    error_code: ErrorCode::NONE,
                },
                TxnOffsetCommitResponsePartition {
                    partition_index: 1,
                    error_code: ErrorCode::UNKNOWN_MEMBER_ID,
                },
            ],
        }],
    }
}
