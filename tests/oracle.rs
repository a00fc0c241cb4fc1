//! Cross-check of the hand-written wire protocol in `kafka_producer::protocol` against an
//! independent implementation, the `kafka-protocol` crate (generated from the official Kafka JSON
//! message schemas).
//!
//! For every version this crate speaks (Produce v3-v12, Metadata v0-v13, the transaction APIs,
//! ...; fields a version lacks are compared at their schema defaults, see the `*_at` helpers):
//! - requests: our encoding decodes with kafka-protocol to the same field values, and
//!   kafka-protocol re-encodes those values to exactly our bytes;
//! - responses: kafka-protocol's encoding (every field non-default, tagged fields included)
//!   decodes with ours to the same field values, and our encoding of those values is
//!   byte-for-byte kafka-protocol's;
//! - headers: request header v1/v2 and response header v0/v1 bytes, and which header version each
//!   API version uses;
//! - RecordBatch v2 (no compression): each side decodes the other's batches to the same records,
//!   and both write the same bytes for the same input.

use bytes::{Bytes, BytesMut};
use kafka_producer::protocol::codec::{Reader, Uuid};
use kafka_producer::protocol::messages::api_versions::FeatureRange;
use kafka_producer::protocol::messages::produce::{LeaderIdAndEpoch, NodeEndpoint};
use kafka_producer::protocol::messages::{
    ApiVersionRange, ApiVersionsRequest, ApiVersionsResponse, Decode, Encode,
    InitProducerIdRequest, InitProducerIdResponse, MetadataRequest, MetadataRequestTopic,
    MetadataResponse, MetadataResponseBroker, MetadataResponsePartition, MetadataResponseTopic,
    PartitionProduceData, PartitionProduceResponse, ProduceRequest, ProduceResponse, RecordError,
    TopicProduceData, TopicProduceResponse,
};
use kafka_producer::protocol::record_batch::{
    Header, ProducerState, RecordBatch, RecordBatchBuilder, TimestampType, rewrite_producer_state,
};
use kafka_producer::protocol::{
    ApiKey, ErrorCode, Request, RequestHeader, ResponseHeader, decode_response, encode_request,
};
use kafka_protocol::indexmap::IndexMap;
use kafka_protocol::messages as kp;
use kafka_protocol::messages::api_versions_response::{
    ApiVersion, FinalizedFeatureKey, SupportedFeatureKey,
};
use kafka_protocol::messages::metadata_response::{
    MetadataResponseBroker as KpBroker, MetadataResponsePartition as KpPartition,
    MetadataResponseTopic as KpTopic,
};
use kafka_protocol::messages::produce_response::{
    BatchIndexAndErrorMessage, LeaderIdAndEpoch as KpLeader, NodeEndpoint as KpNodeEndpoint,
    PartitionProduceResponse as KpPartitionResponse, TopicProduceResponse as KpTopicResponse,
};
use kafka_protocol::protocol::{Decodable, Encodable, StrBytes};
use kafka_protocol::records::{
    Compression as KpCompression, Record as KpRecord, RecordBatchDecoder, RecordBatchEncoder,
    RecordEncodeOptions, RecordSet, TimestampType as KpTimestampType,
};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn sb(s: &str) -> StrBytes {
    StrBytes::from_string(s.to_owned())
}

fn kp_uuid(u: Uuid) -> uuid::Uuid {
    uuid::Uuid::from_bytes(u.0)
}

fn our_uuid(u: &uuid::Uuid) -> Uuid {
    Uuid(*u.as_bytes())
}

/// kafka-protocol's encoding of `msg` at `version` (checking its own size computation too).
fn kp_encode<T: Encodable>(msg: &T, version: i16) -> Vec<u8> {
    let mut buf = BytesMut::new();
    msg.encode(&mut buf, version)
        .unwrap_or_else(|e| panic!("kafka-protocol cannot encode v{version}: {e}"));
    assert_eq!(buf.len(), msg.compute_size(version).unwrap());
    buf.to_vec()
}

/// kafka-protocol's decoding of the whole of `bytes` at `version`.
fn kp_decode<T: Decodable>(bytes: &[u8], version: i16) -> T {
    let mut b = Bytes::copy_from_slice(bytes);
    let msg = T::decode(&mut b, version)
        .unwrap_or_else(|e| panic!("kafka-protocol cannot decode our v{version} bytes: {e}"));
    assert!(b.is_empty(), "kafka-protocol left {} bytes unread", b.len());
    msg
}

fn our_encode<T: Encode>(msg: &T, version: i16) -> Vec<u8> {
    let mut buf = Vec::new();
    msg.encode(version, &mut buf);
    buf
}

/// Our decoding of the whole of `bytes` at `version`.
fn our_decode<'a, T: Decode<'a>>(bytes: &'a [u8], version: i16) -> T {
    let mut r = Reader::new(bytes, "oracle");
    let msg = T::decode(version, &mut r)
        .unwrap_or_else(|e| panic!("we cannot decode kafka-protocol's v{version} bytes: {e}"));
    r.finish("end").unwrap();
    msg
}

fn kp_api_key(api: ApiKey) -> kp::ApiKey {
    kp::ApiKey::try_from(api as i16).unwrap()
}

fn versions(api: ApiKey) -> std::ops::RangeInclusive<i16> {
    let (lo, hi) = api.supported_versions();
    lo..=hi
}

// ---------------------------------------------------------------------------------------------
// Converters: kafka-protocol values -> our types. Each builds our struct with a struct literal,
// so every one of our fields is mapped explicitly; kafka-protocol fields we do not model are
// asserted to hold their defaults.
// ---------------------------------------------------------------------------------------------

fn api_versions_request_from_kp(k: &kp::ApiVersionsRequest) -> ApiVersionsRequest {
    assert!(k.unknown_tagged_fields.is_empty());
    ApiVersionsRequest {
        client_software_name: k.client_software_name.to_string(),
        client_software_version: k.client_software_version.to_string(),
    }
}

fn api_versions_response_from_kp(k: &kp::ApiVersionsResponse) -> ApiVersionsResponse {
    ApiVersionsResponse {
        error_code: ErrorCode(k.error_code),
        api_keys: k
            .api_keys
            .iter()
            .map(|a| ApiVersionRange {
                api_key: a.api_key,
                min_version: a.min_version,
                max_version: a.max_version,
            })
            .collect(),
        throttle_time_ms: k.throttle_time_ms,
        supported_features: k
            .supported_features
            .iter()
            .map(|f| FeatureRange {
                name: f.name.to_string(),
                min_version: f.min_version,
                max_version: f.max_version,
            })
            .collect(),
        finalized_features_epoch: k.finalized_features_epoch,
        finalized_features: k
            .finalized_features
            .iter()
            .map(|f| FeatureRange {
                name: f.name.to_string(),
                min_version: f.min_version_level,
                max_version: f.max_version_level,
            })
            .collect(),
        zk_migration_ready: k.zk_migration_ready,
    }
}

fn metadata_request_from_kp(k: &kp::MetadataRequest) -> MetadataRequest {
    // v8-v10 only, and never asked for by this crate.
    assert!(!k.include_cluster_authorized_operations);
    assert!(k.unknown_tagged_fields.is_empty());
    MetadataRequest {
        topics: k.topics.as_ref().map(|ts| {
            ts.iter()
                .map(|t| MetadataRequestTopic {
                    topic_id: our_uuid(&t.topic_id),
                    name: t.name.as_ref().map(|n| n.0.to_string()),
                })
                .collect()
        }),
        allow_auto_topic_creation: k.allow_auto_topic_creation,
        include_topic_authorized_operations: k.include_topic_authorized_operations,
    }
}

fn metadata_response_from_kp(k: &kp::MetadataResponse, version: i16) -> MetadataResponse {
    MetadataResponse {
        throttle_time_ms: k.throttle_time_ms,
        brokers: k
            .brokers
            .iter()
            .map(|b| MetadataResponseBroker {
                node_id: b.node_id.0,
                host: b.host.to_string(),
                port: b.port,
                rack: b.rack.as_ref().map(|r| r.to_string()),
            })
            .collect(),
        cluster_id: k.cluster_id.as_ref().map(|c| c.to_string()),
        controller_id: k.controller_id.0,
        topics: k
            .topics
            .iter()
            .map(|t| MetadataResponseTopic {
                error_code: ErrorCode(t.error_code),
                name: t.name.as_ref().map(|n| n.0.to_string()),
                topic_id: our_uuid(&t.topic_id),
                is_internal: t.is_internal,
                partitions: t
                    .partitions
                    .iter()
                    .map(|p| MetadataResponsePartition {
                        error_code: ErrorCode(p.error_code),
                        partition_index: p.partition_index,
                        leader_id: p.leader_id.0,
                        leader_epoch: p.leader_epoch,
                        replica_nodes: p.replica_nodes.iter().map(|b| b.0).collect(),
                        isr_nodes: p.isr_nodes.iter().map(|b| b.0).collect(),
                        offline_replicas: p.offline_replicas.iter().map(|b| b.0).collect(),
                    })
                    .collect(),
                topic_authorized_operations: t.topic_authorized_operations,
            })
            .collect(),
        error_code: if version >= 13 {
            ErrorCode(k.error_code)
        } else {
            ErrorCode::NONE
        },
    }
}

fn produce_request_from_kp(k: &kp::ProduceRequest) -> ProduceRequest<'_> {
    assert!(k.unknown_tagged_fields.is_empty());
    ProduceRequest {
        transactional_id: k.transactional_id.as_ref().map(|t| t.0.to_string()),
        acks: k.acks,
        timeout_ms: k.timeout_ms,
        topics: k
            .topic_data
            .iter()
            .map(|t| {
                assert!(t.topic_id.is_nil(), "topic ids are v13+");
                TopicProduceData {
                    name: t.name.0.to_string(),
                    partitions: t
                        .partition_data
                        .iter()
                        .map(|p| PartitionProduceData {
                            index: p.index,
                            records: p.records.as_deref(),
                        })
                        .collect(),
                }
            })
            .collect(),
    }
}

fn produce_response_from_kp(k: &kp::ProduceResponse) -> ProduceResponse {
    ProduceResponse {
        responses: k
            .responses
            .iter()
            .map(|t| TopicProduceResponse {
                name: t.name.0.to_string(),
                partitions: t
                    .partition_responses
                    .iter()
                    .map(|p| PartitionProduceResponse {
                        index: p.index,
                        error_code: ErrorCode(p.error_code),
                        base_offset: p.base_offset,
                        log_append_time_ms: p.log_append_time_ms,
                        log_start_offset: p.log_start_offset,
                        record_errors: p
                            .record_errors
                            .iter()
                            .map(|e| RecordError {
                                batch_index: e.batch_index,
                                message: e
                                    .batch_index_error_message
                                    .as_ref()
                                    .map(|m| m.to_string()),
                            })
                            .collect(),
                        error_message: p.error_message.as_ref().map(|m| m.to_string()),
                        // Absent on the wire (and so default in kafka-protocol) is `None` for us.
                        current_leader: (p.current_leader != KpLeader::default()).then_some(
                            LeaderIdAndEpoch {
                                leader_id: p.current_leader.leader_id.0,
                                leader_epoch: p.current_leader.leader_epoch,
                            },
                        ),
                    })
                    .collect(),
            })
            .collect(),
        throttle_time_ms: k.throttle_time_ms,
        node_endpoints: k
            .node_endpoints
            .iter()
            .map(|n| NodeEndpoint {
                node_id: n.node_id.0,
                host: n.host.to_string(),
                port: n.port,
                rack: n.rack.as_ref().map(|r| r.to_string()),
            })
            .collect(),
    }
}

fn init_producer_id_request_from_kp(k: &kp::InitProducerIdRequest) -> InitProducerIdRequest {
    assert!(!k.enable_2_pc && !k.keep_prepared_txn, "v6+ fields");
    InitProducerIdRequest {
        transactional_id: k.transactional_id.as_ref().map(|t| t.0.to_string()),
        transaction_timeout_ms: k.transaction_timeout_ms,
        producer_id: k.producer_id.0,
        producer_epoch: k.producer_epoch,
    }
}

fn init_producer_id_response_from_kp(k: &kp::InitProducerIdResponse) -> InitProducerIdResponse {
    InitProducerIdResponse {
        throttle_time_ms: k.throttle_time_ms,
        error_code: ErrorCode(k.error_code),
        producer_id: k.producer_id.0,
        producer_epoch: k.producer_epoch,
    }
}

// ---------------------------------------------------------------------------------------------
// What of a value a version carries: the fields the version lacks at the defaults a decoder
// reads (from the JSON schemas), so that values can be compared across versions.
// ---------------------------------------------------------------------------------------------

fn metadata_request_at(r: &MetadataRequest, v: i16) -> MetadataRequest {
    let topics = match &r.topics {
        // v0 has no null array; an empty one asks for every topic.
        Some(ts) if v == 0 && ts.is_empty() => None,
        Some(ts) => Some(
            ts.iter()
                .map(|t| {
                    if v >= 10 {
                        t.clone()
                    } else {
                        MetadataRequestTopic {
                            topic_id: Uuid::ZERO,
                            name: Some(t.name.clone().unwrap_or_default()),
                        }
                    }
                })
                .collect(),
        ),
        None => None,
    };
    MetadataRequest {
        topics,
        allow_auto_topic_creation: v < 4 || r.allow_auto_topic_creation,
        include_topic_authorized_operations: v >= 8 && r.include_topic_authorized_operations,
    }
}

/// kafka-protocol's view of a request, read as ours reads it (at v0 an empty topic array is
/// every topic).
fn metadata_request_from_kp_at(k: &kp::MetadataRequest, v: i16) -> MetadataRequest {
    metadata_request_at(&metadata_request_from_kp(k), v)
}

fn metadata_response_at(r: &MetadataResponse, v: i16) -> MetadataResponse {
    let mut r = r.clone();
    if v < 3 {
        r.throttle_time_ms = 0;
    }
    if v < 2 {
        r.cluster_id = None;
    }
    if v < 1 {
        r.controller_id = -1;
    }
    if v < 13 {
        r.error_code = ErrorCode::NONE;
    }
    for b in &mut r.brokers {
        if v < 1 {
            b.rack = None;
        }
    }
    for t in &mut r.topics {
        if v < 12 && t.name.is_none() {
            t.name = Some(String::new());
        }
        if v < 10 {
            t.topic_id = Uuid::ZERO;
        }
        if v < 8 {
            t.topic_authorized_operations = i32::MIN;
        }
        if v < 1 {
            t.is_internal = false;
        }
        for p in &mut t.partitions {
            if v < 7 {
                p.leader_epoch = -1;
            }
            if v < 5 {
                p.offline_replicas.clear();
            }
        }
    }
    r
}

fn produce_response_at(r: &ProduceResponse, v: i16) -> ProduceResponse {
    let mut r = r.clone();
    if v < 10 {
        r.node_endpoints.clear();
    }
    for p in r.responses.iter_mut().flat_map(|t| &mut t.partitions) {
        if v < 5 {
            p.log_start_offset = -1;
        }
        if v < 8 {
            p.record_errors.clear();
            p.error_message = None;
        }
        if v < 10 {
            p.current_leader = None;
        }
    }
    r
}

// ---------------------------------------------------------------------------------------------
// Requests: ours -> kafka-protocol
// ---------------------------------------------------------------------------------------------

/// Encodes `ours` at `version`, decodes it with kafka-protocol, checks the values came through
/// (`assert_same` compares kafka-protocol's view with ours, field by field) and that
/// kafka-protocol re-encodes them to exactly our bytes.
fn check_request<O, K>(ours: &O, version: i16, assert_same: impl Fn(&K, &O))
where
    O: Encode,
    K: Encodable + Decodable,
{
    let bytes = our_encode(ours, version);
    let theirs: K = kp_decode(&bytes, version);
    assert_same(&theirs, ours);
    assert_eq!(
        kp_encode(&theirs, version),
        bytes,
        "v{version}: kafka-protocol writes different bytes"
    );
}

#[test]
fn api_versions_request_all_versions() {
    let req = ApiVersionsRequest {
        client_software_name: "kafka-producer-rs".into(),
        client_software_version: "0.1.0-alpha.7".into(),
    };
    for v in versions(ApiKey::ApiVersions) {
        let bytes = our_encode(&req, v);
        let theirs: kp::ApiVersionsRequest = kp_decode(&bytes, v);
        if v >= 3 {
            assert_eq!(api_versions_request_from_kp(&theirs), req, "v{v}");
            assert_eq!(theirs.client_software_name.as_str(), "kafka-producer-rs");
            assert_eq!(theirs.client_software_version.as_str(), "0.1.0-alpha.7");
        } else {
            assert!(bytes.is_empty(), "v{v} body is empty");
            assert_eq!(theirs.client_software_name.as_str(), "");
        }
        assert_eq!(kp_encode(&theirs, v), bytes, "v{v}");
        // And kafka-protocol's request decodes with ours.
        let kp_req = kp::ApiVersionsRequest::default()
            .with_client_software_name(sb("librdkafka"))
            .with_client_software_version(sb("2.3.0"));
        let back: ApiVersionsRequest = our_decode(&kp_encode(&kp_req, v), v);
        if v >= 3 {
            assert_eq!(back.client_software_name, "librdkafka");
            assert_eq!(back.client_software_version, "2.3.0");
        } else {
            assert_eq!(back.client_software_name, "");
        }
    }
}

fn metadata_requests() -> Vec<MetadataRequest> {
    vec![
        MetadataRequest {
            topics: Some(vec![
                MetadataRequestTopic {
                    topic_id: Uuid::ZERO,
                    name: Some("orders".into()),
                },
                MetadataRequestTopic {
                    topic_id: Uuid::from_u64_pair(0x0123_4567_89ab_cdef, 0xfedc_ba98_7654_3210),
                    name: None,
                },
                MetadataRequestTopic {
                    topic_id: Uuid::ZERO,
                    name: Some("ünïcödé.topic-with_a.long_name".repeat(3)),
                },
            ]),
            allow_auto_topic_creation: true,
            include_topic_authorized_operations: true,
        },
        // All topics (null array).
        MetadataRequest {
            topics: None,
            allow_auto_topic_creation: false,
            include_topic_authorized_operations: true,
        },
        // No topics (empty array): brokers only.
        MetadataRequest {
            topics: Some(vec![]),
            allow_auto_topic_creation: true,
            include_topic_authorized_operations: false,
        },
        MetadataRequest::for_topics(["a", "b"], false),
    ]
}

#[test]
fn metadata_request_all_versions() {
    for v in versions(ApiKey::Metadata) {
        for req in metadata_requests() {
            check_request(&req, v, |k: &kp::MetadataRequest, o| {
                assert_eq!(
                    metadata_request_from_kp_at(k, v),
                    metadata_request_at(o, v),
                    "v{v}"
                )
            });
        }
        // Spot checks independent of the converter.
        let bytes = our_encode(&metadata_requests()[0], v);
        let theirs: kp::MetadataRequest = kp_decode(&bytes, v);
        let topics = theirs.topics.unwrap();
        assert_eq!(topics.len(), 3);
        assert_eq!(topics[0].name.as_ref().unwrap().0.as_str(), "orders");
        assert!(topics[0].topic_id.is_nil());
        if v >= 10 {
            assert_eq!(topics[1].name, None);
            assert_eq!(
                topics[1].topic_id.as_u64_pair(),
                (0x0123_4567_89ab_cdef, 0xfedc_ba98_7654_3210)
            );
        } else {
            // No topic ids before v10: a topic asked for by id only has an empty name.
            assert_eq!(topics[1].name.as_ref().unwrap().0.as_str(), "");
        }
        assert!(theirs.allow_auto_topic_creation);
        assert_eq!(theirs.include_topic_authorized_operations, v >= 8);
        let all: kp::MetadataRequest = kp_decode(&our_encode(&metadata_requests()[1], v), v);
        if v >= 1 {
            assert_eq!(all.topics, None);
        } else {
            assert_eq!(
                all.topics,
                Some(vec![]),
                "v0: an empty array is every topic"
            );
        }
        assert_eq!(all.allow_auto_topic_creation, v < 4);
    }
}

fn produce_requests<'a>(batch_a: &'a [u8], batch_b: &'a [u8]) -> Vec<ProduceRequest<'a>> {
    vec![
        ProduceRequest {
            transactional_id: Some("tx-ünï-1".into()),
            acks: -1,
            timeout_ms: 30_000,
            topics: vec![
                TopicProduceData {
                    name: "orders".into(),
                    partitions: vec![
                        PartitionProduceData {
                            index: 0,
                            records: Some(batch_a),
                        },
                        PartitionProduceData {
                            index: 7,
                            records: Some(batch_b),
                        },
                    ],
                },
                TopicProduceData {
                    name: "audit.log".into(),
                    partitions: vec![
                        PartitionProduceData {
                            index: 3,
                            records: None,
                        },
                        PartitionProduceData {
                            index: i32::MAX,
                            records: Some(&[]),
                        },
                    ],
                },
            ],
        },
        ProduceRequest {
            transactional_id: None,
            acks: 1,
            timeout_ms: 1,
            topics: vec![TopicProduceData {
                name: "t".into(),
                partitions: vec![PartitionProduceData {
                    index: 1,
                    records: Some(batch_b),
                }],
            }],
        },
        ProduceRequest {
            transactional_id: None,
            acks: 0,
            timeout_ms: i32::MAX,
            topics: vec![],
        },
    ]
}

#[test]
fn produce_request_all_versions() {
    let batch_a = build_ours(&mixed_spec());
    // Two batches back to back in one partition's records.
    let mut batch_b = build_ours(&idempotent_spec());
    batch_b.extend_from_slice(&build_ours(&broker_offsets_spec()));
    for v in versions(ApiKey::Produce) {
        for req in produce_requests(&batch_a, &batch_b) {
            check_request(&req, v, |k: &kp::ProduceRequest, o| {
                assert_eq!(&produce_request_from_kp(k), o, "v{v}")
            });
        }
        let bytes = our_encode(&produce_requests(&batch_a, &batch_b)[0], v);
        let theirs: kp::ProduceRequest = kp_decode(&bytes, v);
        assert_eq!(theirs.transactional_id.unwrap().0.as_str(), "tx-ünï-1");
        assert_eq!((theirs.acks, theirs.timeout_ms), (-1, 30_000));
        let p = &theirs.topic_data[0].partition_data[1];
        assert_eq!(p.index, 7);
        // The records inside decode with kafka-protocol's record decoder too.
        let mut records = p.records.clone().unwrap();
        let sets = RecordBatchDecoder::decode_all(&mut records).unwrap();
        assert_eq!(sets.len(), 2);
        assert_eq!(theirs.topic_data[1].partition_data[0].records, None);
        assert_eq!(
            theirs.topic_data[1].partition_data[1].records.as_deref(),
            Some(&[][..])
        );
    }
}

fn init_producer_id_requests(version: i16) -> Vec<InitProducerIdRequest> {
    let (pid, epoch) = if version >= 3 { (9_001, 3) } else { (-1, -1) };
    vec![
        InitProducerIdRequest {
            transactional_id: Some("txn-ß-42".into()),
            transaction_timeout_ms: 60_000,
            producer_id: pid,
            producer_epoch: epoch,
        },
        InitProducerIdRequest::idempotent(),
        InitProducerIdRequest {
            transactional_id: Some(String::new()),
            transaction_timeout_ms: -5,
            producer_id: -1,
            producer_epoch: -1,
        },
    ]
}

#[test]
fn init_producer_id_request_all_versions() {
    for v in versions(ApiKey::InitProducerId) {
        for req in init_producer_id_requests(v) {
            check_request(&req, v, |k: &kp::InitProducerIdRequest, o| {
                assert_eq!(&init_producer_id_request_from_kp(k), o, "v{v}")
            });
        }
        let theirs: kp::InitProducerIdRequest =
            kp_decode(&our_encode(&init_producer_id_requests(v)[0], v), v);
        assert_eq!(theirs.transactional_id.unwrap().0.as_str(), "txn-ß-42");
        assert_eq!(theirs.transaction_timeout_ms, 60_000);
        if v >= 3 {
            assert_eq!((theirs.producer_id.0, theirs.producer_epoch), (9_001, 3));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Responses: kafka-protocol -> ours
// ---------------------------------------------------------------------------------------------

/// Decodes kafka-protocol's encoding of `theirs` with ours, checks the values (via `from_kp`),
/// and that our encoding of the decoded value is byte-for-byte kafka-protocol's.
fn check_response<O, K>(theirs: &K, version: i16, from_kp: impl Fn(&K) -> O) -> O
where
    O: Encode + for<'a> Decode<'a> + PartialEq + std::fmt::Debug,
    K: Encodable + Decodable,
{
    let bytes = kp_encode(theirs, version);
    let ours: O = our_decode(&bytes, version);
    assert_eq!(ours, from_kp(theirs), "v{version}: values differ");
    assert_eq!(
        our_encode(&ours, version),
        bytes,
        "v{version}: we write different bytes"
    );
    ours
}

fn kp_api_versions_response(version: i16) -> kp::ApiVersionsResponse {
    let range = |k, lo, hi| {
        ApiVersion::default()
            .with_api_key(k)
            .with_min_version(lo)
            .with_max_version(hi)
    };
    let mut r = kp::ApiVersionsResponse::default()
        .with_error_code(35)
        .with_api_keys(vec![
            range(0, 3, 12),
            range(3, 0, 13),
            range(18, 0, 4),
            range(22, 0, 5),
            range(1000, -3, 9),
        ]);
    if version >= 1 {
        r.throttle_time_ms = 1_234;
    }
    if version >= 3 {
        r.supported_features = vec![
            SupportedFeatureKey::default()
                .with_name(sb("metadata.version"))
                .with_min_version(7)
                .with_max_version(27),
            SupportedFeatureKey::default()
                .with_name(sb("kraft.version"))
                .with_min_version(0)
                .with_max_version(1),
        ];
        r.finalized_features_epoch = 0x0102_0304_0506_0708;
        r.finalized_features = vec![
            FinalizedFeatureKey::default()
                .with_name(sb("metadata.version"))
                .with_max_version_level(27)
                .with_min_version_level(20),
        ];
        r.zk_migration_ready = true;
    }
    r
}

#[test]
fn api_versions_response_all_versions() {
    for v in versions(ApiKey::ApiVersions) {
        let theirs = kp_api_versions_response(v);
        let ours = check_response(&theirs, v, api_versions_response_from_kp);
        assert_eq!(ours.error_code, ErrorCode::UNSUPPORTED_VERSION);
        assert_eq!(ours.api_keys.len(), 5);
        assert_eq!(
            ours.api_keys[4],
            ApiVersionRange {
                api_key: 1000,
                min_version: -3,
                max_version: 9
            }
        );
        if v >= 1 {
            assert_eq!(ours.throttle_time_ms, 1_234);
        }
        if v >= 3 {
            assert_eq!(ours.supported_features[0].min_version, 7);
            assert_eq!(ours.supported_features[1].name, "kraft.version");
            assert_eq!(ours.finalized_features_epoch, 0x0102_0304_0506_0708);
            // FinalizedFeatureKey lists max before min on the wire.
            assert_eq!(ours.finalized_features[0].min_version, 20);
            assert_eq!(ours.finalized_features[0].max_version, 27);
            assert!(ours.zk_migration_ready);
        } else {
            assert_eq!(ours.finalized_features_epoch, -1);
        }
    }
}

#[test]
fn api_versions_response_fallback_reads_kafka_protocol_v0_answers() {
    // A broker asked for a version it does not know answers in v0 with UNSUPPORTED_VERSION.
    let v0 = kp::ApiVersionsResponse::default()
        .with_error_code(35)
        .with_api_keys(vec![
            ApiVersion::default()
                .with_api_key(18)
                .with_min_version(0)
                .with_max_version(2),
        ]);
    let bytes = kp_encode(&v0, 0);
    for asked in versions(ApiKey::ApiVersions) {
        let got = ApiVersionsResponse::decode_with_fallback(asked, &bytes).unwrap();
        assert_eq!(
            got.error_code,
            ErrorCode::UNSUPPORTED_VERSION,
            "asked v{asked}"
        );
        assert_eq!(got.range_for(ApiKey::ApiVersions).unwrap().max_version, 2);
    }
    // A normal answer at the asked version is read at that version.
    for asked in versions(ApiKey::ApiVersions) {
        let ok = kp_api_versions_response(asked).with_error_code(0);
        let got = ApiVersionsResponse::decode_with_fallback(asked, &kp_encode(&ok, asked)).unwrap();
        assert_eq!(got, api_versions_response_from_kp(&ok), "v{asked}");
    }
}

fn kp_metadata_response(version: i16) -> kp::MetadataResponse {
    let ids = |v: &[i32]| v.iter().map(|&i| kp::BrokerId(i)).collect::<Vec<_>>();
    let mut r = kp::MetadataResponse::default()
        .with_throttle_time_ms(77)
        .with_brokers(vec![
            KpBroker::default()
                .with_node_id(kp::BrokerId(1))
                .with_host(sb("broker-1.kafka.example.com"))
                .with_port(9092)
                .with_rack(Some(sb("rack-a"))),
            KpBroker::default()
                .with_node_id(kp::BrokerId(2))
                .with_host(sb("10.0.0.2"))
                .with_port(19_093)
                .with_rack(None),
        ])
        .with_cluster_id(Some(sb("MkU3OEVBNTcwNTJENDM2Qk")))
        .with_controller_id(kp::BrokerId(2))
        .with_topics(vec![
            KpTopic::default()
                .with_error_code(0)
                .with_name(Some(kp::TopicName(sb("orders"))))
                .with_topic_id(kp_uuid(Uuid::from_u64_pair(11, 22)))
                .with_is_internal(false)
                .with_partitions(vec![
                    KpPartition::default()
                        .with_error_code(0)
                        .with_partition_index(0)
                        .with_leader_id(kp::BrokerId(1))
                        .with_leader_epoch(5)
                        .with_replica_nodes(ids(&[1, 2, 3]))
                        .with_isr_nodes(ids(&[1, 2]))
                        .with_offline_replicas(ids(&[3])),
                    KpPartition::default()
                        .with_error_code(5)
                        .with_partition_index(1)
                        .with_leader_id(kp::BrokerId(-1))
                        .with_leader_epoch(6)
                        .with_replica_nodes(ids(&[2]))
                        .with_isr_nodes(ids(&[]))
                        .with_offline_replicas(ids(&[])),
                ])
                .with_topic_authorized_operations(0b1010_1000),
            // Unknown topic asked for by id: null name (v12+; before, names are not null).
            KpTopic::default()
                .with_error_code(100)
                .with_name((version < 12).then(|| kp::TopicName(sb(""))))
                .with_topic_id(kp_uuid(Uuid([0xab; 16])))
                .with_is_internal(true)
                .with_partitions(vec![])
                .with_topic_authorized_operations(i32::MIN),
        ]);
    if version >= 13 {
        r.error_code = 41;
    }
    if version < 8 {
        // Not ignorable: kafka-protocol refuses a non-default value where it has no place.
        for t in &mut r.topics {
            t.topic_authorized_operations = i32::MIN;
        }
    }
    r
}

#[test]
fn metadata_response_all_versions() {
    for v in versions(ApiKey::Metadata) {
        let ours = check_response(&kp_metadata_response(v), v, |k| {
            metadata_response_at(&metadata_response_from_kp(k, v), v)
        });
        // Each field from the version that has it, else its default.
        assert_eq!(ours.throttle_time_ms, if v >= 3 { 77 } else { 0 });
        let rack = (v >= 1).then_some("rack-a");
        assert_eq!(ours.brokers[0].rack.as_deref(), rack);
        assert_eq!(ours.brokers[1].port, 19_093);
        let cluster = (v >= 2).then_some("MkU3OEVBNTcwNTJENDM2Qk");
        assert_eq!(ours.cluster_id.as_deref(), cluster);
        assert_eq!(ours.controller_id, if v >= 1 { 2 } else { -1 });
        let p0 = &ours.topics[0].partitions[0];
        assert_eq!(p0.leader_epoch, if v >= 7 { 5 } else { -1 });
        let offline = if v >= 5 { vec![3] } else { vec![] };
        assert_eq!(p0.offline_replicas, offline);
        assert_eq!(ours.topics[0].partitions[1].error_code, ErrorCode(5));
        let ops = if v >= 8 { 0b1010_1000 } else { i32::MIN };
        assert_eq!(ours.topics[0].topic_authorized_operations, ops);
        let orders_id = if v >= 10 {
            Uuid::from_u64_pair(11, 22)
        } else {
            Uuid::ZERO
        };
        assert_eq!(ours.topics[0].topic_id, orders_id);
        let name = if v >= 12 { None } else { Some(String::new()) };
        assert_eq!(ours.topics[1].name, name);
        assert_eq!(ours.topics[1].is_internal, v >= 1);
        let id = if v >= 10 {
            Uuid([0xab; 16])
        } else {
            Uuid::ZERO
        };
        assert_eq!(ours.topics[1].topic_id, id);
        let top = if v >= 13 {
            ErrorCode(41)
        } else {
            ErrorCode::NONE
        };
        assert_eq!(ours.error_code, top);
        // Null cluster id and no brokers or topics.
        let empty = kp::MetadataResponse::default()
            .with_cluster_id(None)
            .with_controller_id(kp::BrokerId(-1));
        let ours = check_response(&empty, v, |k| {
            metadata_response_at(&metadata_response_from_kp(k, v), v)
        });
        assert_eq!((ours.cluster_id, ours.controller_id), (None, -1));
    }
}

fn kp_produce_response(version: i16) -> kp::ProduceResponse {
    let leader = if version >= 10 {
        KpLeader::default()
            .with_leader_id(kp::BrokerId(3))
            .with_leader_epoch(17)
    } else {
        KpLeader::default()
    };
    let mut r = kp::ProduceResponse::default()
        .with_responses(vec![
            KpTopicResponse::default()
                .with_name(kp::TopicName(sb("orders")))
                .with_partition_responses(vec![
                    KpPartitionResponse::default()
                        .with_index(0)
                        .with_error_code(0)
                        .with_base_offset(1_000_000_007)
                        .with_log_append_time_ms(1_700_000_000_123)
                        .with_log_start_offset(42),
                    KpPartitionResponse::default()
                        .with_index(1)
                        .with_error_code(6)
                        .with_base_offset(-1)
                        .with_log_append_time_ms(-1)
                        .with_log_start_offset(-1)
                        .with_record_errors(vec![
                            BatchIndexAndErrorMessage::default()
                                .with_batch_index(3)
                                .with_batch_index_error_message(Some(sb("bad key"))),
                            BatchIndexAndErrorMessage::default()
                                .with_batch_index(9)
                                .with_batch_index_error_message(None),
                        ])
                        .with_error_message(Some(sb("This server is not the leader")))
                        .with_current_leader(leader),
                ]),
            KpTopicResponse::default()
                .with_name(kp::TopicName(sb("t2")))
                .with_partition_responses(vec![
                    KpPartitionResponse::default()
                        .with_index(4)
                        .with_error_code(87)
                        .with_base_offset(5)
                        .with_log_append_time_ms(6)
                        .with_log_start_offset(7),
                ]),
        ])
        .with_throttle_time_ms(250);
    if version >= 10 {
        r.node_endpoints = vec![
            KpNodeEndpoint::default()
                .with_node_id(kp::BrokerId(3))
                .with_host(sb("broker-3"))
                .with_port(9094)
                .with_rack(Some(sb("r3"))),
            KpNodeEndpoint::default()
                .with_node_id(kp::BrokerId(4))
                .with_host(sb("b4"))
                .with_port(9095)
                .with_rack(None),
        ];
    }
    r
}

#[test]
fn produce_response_all_versions() {
    for v in versions(ApiKey::Produce) {
        let ours = check_response(&kp_produce_response(v), v, |k| {
            produce_response_at(&produce_response_from_kp(k), v)
        });
        assert_eq!(ours.throttle_time_ms, 250);
        let p = &ours.responses[0].partitions;
        assert_eq!(p[0].base_offset, 1_000_000_007);
        assert_eq!(p[0].log_append_time_ms, 1_700_000_000_123);
        // Each field from the version that has it, else its default.
        assert_eq!(p[0].log_start_offset, if v >= 5 { 42 } else { -1 });
        assert_eq!(p[1].error_code, ErrorCode::NOT_LEADER_OR_FOLLOWER);
        if v >= 8 {
            assert_eq!(p[1].record_errors[0].message.as_deref(), Some("bad key"));
            assert_eq!(p[1].record_errors[1].message, None);
            assert_eq!(
                p[1].error_message.as_deref(),
                Some("This server is not the leader")
            );
        } else {
            assert!(p[1].record_errors.is_empty());
            assert_eq!(p[1].error_message, None);
        }
        assert_eq!(p[0].current_leader, None);
        if v >= 10 {
            assert_eq!(
                p[1].current_leader,
                Some(LeaderIdAndEpoch {
                    leader_id: 3,
                    leader_epoch: 17
                })
            );
            assert_eq!(ours.node_endpoints.len(), 2);
            assert_eq!(ours.node_endpoints[0].rack.as_deref(), Some("r3"));
            assert_eq!(ours.node_endpoints[1].rack, None);
        } else {
            assert_eq!(p[1].current_leader, None);
            assert!(ours.node_endpoints.is_empty());
        }
        assert_eq!(ours.responses[1].partitions[0].error_code, ErrorCode(87));
    }
}

/// A leader hint equal to the schema default (-1, -1) is not written by kafka-protocol (nor by
/// Java), while we write any `Some`. Both encodings decode to the same values on both sides.
#[test]
fn produce_response_default_leader_hint_is_equivalent() {
    let mut ours: ProduceResponse = our_decode(&kp_encode(&kp_produce_response(10), 10), 10);
    ours.responses[0].partitions[0].current_leader = Some(LeaderIdAndEpoch {
        leader_id: -1,
        leader_epoch: -1,
    });
    let bytes = our_encode(&ours, 10);
    let theirs: kp::ProduceResponse = kp_decode(&bytes, 10);
    assert_eq!(
        theirs.responses[0].partition_responses[0].current_leader,
        KpLeader::default()
    );
    // kafka-protocol omits the default tag: 9 bytes of tag data plus tag and size.
    assert_eq!(kp_encode(&theirs, 10).len() + 11, bytes.len());
}

#[test]
fn init_producer_id_response_all_versions() {
    for v in versions(ApiKey::InitProducerId) {
        let theirs = kp::InitProducerIdResponse::default()
            .with_throttle_time_ms(15)
            .with_error_code(47)
            .with_producer_id(kp::ProducerId(123_456_789_012))
            .with_producer_epoch(42);
        let ours = check_response(&theirs, v, init_producer_id_response_from_kp);
        assert_eq!(
            ours,
            InitProducerIdResponse {
                throttle_time_ms: 15,
                error_code: ErrorCode(47),
                producer_id: 123_456_789_012,
                producer_epoch: 42,
            }
        );
    }
}

/// Flexible versions: kafka-protocol writes unknown tagged fields at every level (top level and
/// nested structs); we skip them and still read every known field.
#[test]
fn unknown_tagged_fields_are_skipped_at_every_level() {
    let tag = |n| Bytes::from(vec![0xee; n]);
    for v in 3..=4 {
        let mut k = kp_api_versions_response(v).with_unknown_tagged_field(9, tag(3));
        k.api_keys[0].unknown_tagged_fields.insert(0, tag(1));
        k.supported_features[0]
            .unknown_tagged_fields
            .insert(5, tag(0));
        k.finalized_features[0]
            .unknown_tagged_fields
            .insert(1, tag(200));
        let ours: ApiVersionsResponse = our_decode(&kp_encode(&k, v), v);
        assert_eq!(ours, api_versions_response_from_kp(&k), "ApiVersions v{v}");
    }
    for v in versions(ApiKey::Metadata).filter(|v| *v >= 9) {
        let mut k = kp_metadata_response(v).with_unknown_tagged_field(0, tag(2));
        k.brokers[1].unknown_tagged_fields.insert(3, tag(4));
        k.topics[0].unknown_tagged_fields.insert(0, tag(130));
        k.topics[0].partitions[1]
            .unknown_tagged_fields
            .insert(6, tag(1));
        let ours: MetadataResponse = our_decode(&kp_encode(&k, v), v);
        let expected = metadata_response_at(&metadata_response_from_kp(&k, v), v);
        assert_eq!(ours, expected, "Metadata v{v}");
    }
    for v in versions(ApiKey::Produce).filter(|v| *v >= 9) {
        let mut k = kp_produce_response(v).with_unknown_tagged_field(1, tag(5));
        k.responses[0].unknown_tagged_fields.insert(2, tag(1));
        k.responses[0].partition_responses[1]
            .unknown_tagged_fields
            .insert(1, tag(8));
        k.responses[0].partition_responses[1].record_errors[0]
            .unknown_tagged_fields
            .insert(0, tag(2));
        if v >= 10 {
            k.responses[0].partition_responses[1]
                .current_leader
                .unknown_tagged_fields
                .insert(4, tag(3));
            k.node_endpoints[0].unknown_tagged_fields.insert(0, tag(1));
        }
        let ours: ProduceResponse = our_decode(&kp_encode(&k, v), v);
        assert_eq!(ours, produce_response_from_kp(&k), "Produce v{v}");
    }
    for v in 2..=5 {
        let k = kp::InitProducerIdResponse::default()
            .with_producer_id(kp::ProducerId(7))
            .with_unknown_tagged_field(3, tag(10));
        let ours: InitProducerIdResponse = our_decode(&kp_encode(&k, v), v);
        assert_eq!(ours.producer_id, 7, "InitProducerId v{v}");
    }
}

// ---------------------------------------------------------------------------------------------
// Headers and whole frames
// ---------------------------------------------------------------------------------------------

#[test]
fn header_versions_agree_for_every_api_version() {
    for api in ApiKey::ALL {
        let k = kp_api_key(api);
        for v in versions(api) {
            let req = if api.request_header_flexible(v) { 2 } else { 1 };
            let resp = if api.response_header_flexible(v) {
                1
            } else {
                0
            };
            assert_eq!(
                k.request_header_version(v),
                req,
                "{api} v{v} request header"
            );
            assert_eq!(
                k.response_header_version(v),
                resp,
                "{api} v{v} response header"
            );
        }
    }
}

#[test]
fn request_header_bytes_match() {
    for api in ApiKey::ALL {
        for v in versions(api) {
            for client_id in [Some("producer-ü-1"), Some(""), None] {
                for correlation_id in [0, 7, -1, i32::MAX] {
                    let flexible = api.request_header_flexible(v);
                    let mut ours = Vec::new();
                    RequestHeader {
                        api_key: api,
                        api_version: v,
                        correlation_id,
                        client_id,
                    }
                    .encode(&mut ours, flexible);
                    let theirs = kp::RequestHeader::default()
                        .with_request_api_key(api as i16)
                        .with_request_api_version(v)
                        .with_correlation_id(correlation_id)
                        .with_client_id(client_id.map(sb));
                    let header_version = if flexible { 2 } else { 1 };
                    assert_eq!(
                        ours,
                        kp_encode(&theirs, header_version),
                        "{api} v{v} {client_id:?}"
                    );
                    let back: kp::RequestHeader = kp_decode(&ours, header_version);
                    assert_eq!(back.request_api_key, api as i16);
                    assert_eq!(back.request_api_version, v);
                    assert_eq!(back.correlation_id, correlation_id);
                    assert_eq!(back.client_id.as_deref(), client_id);
                }
            }
        }
    }
}

#[test]
fn response_header_bytes_match() {
    for version in 0..=1 {
        let flexible = version == 1;
        for correlation_id in [0, 1, -1, i32::MIN, 0x0102_0304] {
            let theirs = kp::ResponseHeader::default().with_correlation_id(correlation_id);
            let bytes = kp_encode(&theirs, version);
            let mut r = Reader::new(&bytes, "header");
            let ours = ResponseHeader::decode(&mut r, flexible).unwrap();
            r.finish("end").unwrap();
            assert_eq!(ours.correlation_id, correlation_id);
            let mut out = Vec::new();
            ours.encode(&mut out, flexible);
            assert_eq!(out, bytes);
        }
    }
    // An unknown tagged field in a v1 header is skipped.
    let theirs = kp::ResponseHeader::default()
        .with_correlation_id(5)
        .with_unknown_tagged_field(0, Bytes::from_static(b"xyz"));
    let bytes = kp_encode(&theirs, 1);
    let mut r = Reader::new(&bytes, "header");
    assert_eq!(
        ResponseHeader::decode(&mut r, true).unwrap().correlation_id,
        5
    );
    assert!(r.is_empty());
}

/// `encode_request` writes size prefix + header + body; kafka-protocol writes the same header and
/// body for the same values.
fn check_frame<R: Request, K: Encodable + Decodable>(req: &R, version: i16) {
    let mut frame = Vec::new();
    encode_request(&mut frame, req, version, 0x5eed, Some("client-1"));
    let header_version = kp_api_key(R::API_KEY).request_header_version(version);
    let mut expected = kp_encode(
        &kp::RequestHeader::default()
            .with_request_api_key(R::API_KEY as i16)
            .with_request_api_version(version)
            .with_correlation_id(0x5eed)
            .with_client_id(Some(sb("client-1"))),
        header_version,
    );
    let header_len = expected.len();
    let body: K = kp_decode(&frame[4 + header_len..], version);
    expected.extend(kp_encode(&body, version));
    assert_eq!(
        i32::from_be_bytes(frame[..4].try_into().unwrap()) as usize,
        expected.len()
    );
    assert_eq!(&frame[4..], &expected[..], "{} v{version}", R::API_KEY);
}

/// `ProduceRequest::encode_vectored` leaves the records out of the buffer and says where they
/// go; put back, the frame is `encode_request`'s, and so kafka-protocol's.
fn check_vectored_frame(req: &ProduceRequest<'_>, version: i16) {
    let mut plain = Vec::new();
    encode_request(&mut plain, req, version, 0x5eed, Some("client-1"));
    let mut head = vec![0xaa; 3]; // bytes already in the buffer stay untouched
    let splits = req.encode_vectored(&mut head, version, 0x5eed, Some("client-1"));
    let records: Vec<&[u8]> = req
        .topics
        .iter()
        .flat_map(|t| t.partitions.iter().filter_map(|p| p.records))
        .collect();
    assert_eq!(splits.len(), records.len());
    assert_eq!(&head[..3], &[0xaa; 3]);
    let mut joined = Vec::new();
    let mut from = 3;
    for (split, r) in splits.iter().zip(&records) {
        joined.extend_from_slice(&head[from..*split]);
        joined.extend_from_slice(r);
        from = *split;
    }
    joined.extend_from_slice(&head[from..]);
    assert_eq!(joined, plain, "Produce v{version}: vectored frame");
}

#[test]
fn whole_request_frames_match() {
    let batch = build_ours(&mixed_spec());
    for v in versions(ApiKey::ApiVersions) {
        check_frame::<_, kp::ApiVersionsRequest>(&ApiVersionsRequest::default(), v);
    }
    for v in versions(ApiKey::Metadata) {
        check_frame::<_, kp::MetadataRequest>(&metadata_requests()[0], v);
    }
    for v in versions(ApiKey::Produce) {
        for req in produce_requests(&batch, &batch) {
            check_frame::<_, kp::ProduceRequest>(&req, v);
            check_vectored_frame(&req, v);
        }
    }
    for v in versions(ApiKey::InitProducerId) {
        check_frame::<_, kp::InitProducerIdRequest>(&init_producer_id_requests(v)[0], v);
    }
}

/// kafka-protocol's response header + body, read with `decode_response` (which picks the
/// response header version, v0 for every ApiVersions response).
fn check_response_frame<O, K>(api: ApiKey, theirs: &K, version: i16, from_kp: impl Fn(&K) -> O)
where
    O: for<'a> Decode<'a> + PartialEq + std::fmt::Debug,
    K: Encodable,
{
    let header_version = kp_api_key(api).response_header_version(version);
    let mut payload = kp_encode(
        &kp::ResponseHeader::default().with_correlation_id(-77),
        header_version,
    );
    payload.extend(kp_encode(theirs, version));
    let (correlation_id, body) = decode_response::<O>(api, version, &payload)
        .unwrap_or_else(|e| panic!("{api} v{version}: {e}"));
    assert_eq!(correlation_id, -77);
    assert_eq!(body, from_kp(theirs), "{api} v{version}");
}

#[test]
fn whole_response_payloads_decode() {
    for v in versions(ApiKey::ApiVersions) {
        check_response_frame(
            ApiKey::ApiVersions,
            &kp_api_versions_response(v),
            v,
            api_versions_response_from_kp,
        );
    }
    for v in versions(ApiKey::Metadata) {
        check_response_frame(ApiKey::Metadata, &kp_metadata_response(v), v, |k| {
            metadata_response_at(&metadata_response_from_kp(k, v), v)
        });
    }
    for v in versions(ApiKey::Produce) {
        check_response_frame(ApiKey::Produce, &kp_produce_response(v), v, |k| {
            produce_response_at(&produce_response_from_kp(k), v)
        });
    }
    for v in versions(ApiKey::InitProducerId) {
        let k = kp::InitProducerIdResponse::default()
            .with_error_code(3)
            .with_producer_id(kp::ProducerId(99))
            .with_producer_epoch(1);
        check_response_frame(
            ApiKey::InitProducerId,
            &k,
            v,
            init_producer_id_response_from_kp,
        );
    }
}

// ---------------------------------------------------------------------------------------------
// RecordBatch v2
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct Rec {
    timestamp: i64,
    key: Option<Vec<u8>>,
    value: Option<Vec<u8>>,
    headers: Vec<Header>,
}

#[derive(Debug, Clone)]
struct BatchSpec {
    base_offset: i64,
    producer: ProducerState,
    log_append_time: bool,
    records: Vec<Rec>,
}

fn rec(timestamp: i64, key: Option<&[u8]>, value: Option<&[u8]>, headers: Vec<Header>) -> Rec {
    Rec {
        timestamp,
        key: key.map(<[u8]>::to_vec),
        value: value.map(<[u8]>::to_vec),
        headers,
    }
}

/// Null keys, empty keys and values, null values (tombstones), headers with null, empty and large
/// values, multi-byte varint lengths, equal timestamps.
fn mixed_spec() -> BatchSpec {
    let big_value = (0..20_000u32).map(|i| (i % 251) as u8).collect::<Vec<_>>();
    BatchSpec {
        base_offset: 0,
        producer: ProducerState::default(),
        log_append_time: false,
        records: vec![
            rec(1_700_000_000_000, Some(b"k0"), Some(b"v0"), vec![]),
            rec(
                1_700_000_000_001,
                None,
                Some(b""),
                vec![
                    Header::new("trace-id", b"abc".to_vec()),
                    Header::null("null-header"),
                    Header::new("empty-header", Vec::new()),
                ],
            ),
            rec(1_700_000_000_001, Some(b""), None, vec![]),
            rec(
                1_700_000_000_500,
                None,
                None,
                vec![Header::new("ünïcödé-kéy", vec![0xff; 200])],
            ),
            rec(
                1_700_000_100_000,
                Some(&[1; 300]),
                Some(&big_value),
                vec![Header::new("h".repeat(130), vec![])],
            ),
        ],
    }
}

fn idempotent_spec() -> BatchSpec {
    BatchSpec {
        base_offset: 0,
        producer: ProducerState {
            producer_id: 4_242,
            producer_epoch: 7,
            base_sequence: 1_000,
            is_transactional: true,
        },
        log_append_time: false,
        records: (0..5)
            .map(|i| {
                rec(
                    10 + i,
                    Some(format!("key-{i}").as_bytes()),
                    Some(&[i as u8; 3]),
                    vec![],
                )
            })
            .collect(),
    }
}

fn broker_offsets_spec() -> BatchSpec {
    BatchSpec {
        base_offset: 1_234_567_890,
        producer: ProducerState {
            producer_id: 1,
            producer_epoch: 0,
            base_sequence: 0,
            is_transactional: false,
        },
        log_append_time: false,
        records: vec![
            rec(5, Some(b"a"), Some(b"1"), vec![]),
            rec(
                6,
                Some(b"b"),
                Some(b"2"),
                vec![Header::new("x", b"y".to_vec())],
            ),
            rec(7, Some(b"c"), Some(b"3"), vec![]),
        ],
    }
}

fn thousand_spec() -> BatchSpec {
    BatchSpec {
        base_offset: 0,
        producer: ProducerState {
            producer_id: 77,
            producer_epoch: 1,
            base_sequence: i32::MAX - 500, // sequences wrap past i32::MAX within the batch
            is_transactional: false,
        },
        log_append_time: false,
        records: (0..1000u32)
            .map(|i| {
                let key = (i % 5 != 0).then(|| format!("key-{i}").into_bytes());
                let value = match i {
                    i if i % 11 == 0 => None,
                    i if i % 7 == 0 => Some(vec![]),
                    i => Some(vec![(i % 256) as u8; (i % 300) as usize]),
                };
                let headers = if i % 3 == 0 {
                    vec![
                        Header::new(format!("h{i}"), i.to_be_bytes().to_vec()),
                        Header::null("tombstone-header"),
                    ]
                } else {
                    vec![]
                };
                Rec {
                    timestamp: 1_600_000_000_000 + i64::from(i) * 3,
                    key,
                    value,
                    headers,
                }
            })
            .collect(),
    }
}

fn all_specs() -> Vec<(&'static str, BatchSpec)> {
    vec![
        ("mixed", mixed_spec()),
        ("idempotent transactional", idempotent_spec()),
        ("broker offsets", broker_offsets_spec()),
        ("1000 records", thousand_spec()),
    ]
}

fn build_ours(spec: &BatchSpec) -> Vec<u8> {
    let mut b = RecordBatchBuilder::new(Vec::new(), usize::MAX);
    b.set_base_offset(spec.base_offset);
    b.set_producer_state(spec.producer);
    if spec.log_append_time {
        b.set_timestamp_type(TimestampType::LogAppendTime);
    }
    for (i, r) in spec.records.iter().enumerate() {
        let delta = b.append(
            r.timestamp,
            r.key.as_deref(),
            r.value.as_deref(),
            &r.headers,
        );
        assert_eq!(delta as usize, i);
    }
    b.finish().to_vec()
}

fn kp_records(spec: &BatchSpec) -> Vec<KpRecord> {
    spec.records
        .iter()
        .enumerate()
        .map(|(i, r)| KpRecord {
            transactional: spec.producer.is_transactional,
            control: false,
            delete_horizon: false,
            partition_leader_epoch: -1,
            producer_id: spec.producer.producer_id,
            producer_epoch: spec.producer.producer_epoch,
            timestamp_type: KpTimestampType::Creation,
            offset: spec.base_offset + i as i64,
            sequence: spec.producer.base_sequence.wrapping_add(i as i32),
            timestamp: r.timestamp,
            key: r.key.clone().map(Bytes::from),
            value: r.value.clone().map(Bytes::from),
            headers: r
                .headers
                .iter()
                .map(|h| (sb(&h.key), h.value.clone().map(Bytes::from)))
                .collect::<IndexMap<_, _>>(),
        })
        .collect()
}

fn build_kp(spec: &BatchSpec) -> Vec<u8> {
    let mut buf = BytesMut::new();
    let options = RecordEncodeOptions {
        version: 2,
        compression: KpCompression::None,
    };
    RecordBatchEncoder::encode(&mut buf, &kp_records(spec), &options).unwrap();
    buf.to_vec()
}

fn kp_decode_batches(bytes: &[u8]) -> Vec<RecordSet> {
    let mut b = Bytes::copy_from_slice(bytes);
    RecordBatchDecoder::decode_all(&mut b)
        .unwrap_or_else(|e| panic!("kafka-protocol cannot decode our batch: {e}"))
}

/// Checks kafka-protocol's view of a batch against the spec, record by record.
fn check_kp_view(name: &str, spec: &BatchSpec, sets: &[RecordSet]) {
    assert_eq!(sets.len(), 1, "{name}: one batch");
    let set = &sets[0];
    assert_eq!(set.version, 2);
    assert_eq!(set.compression, KpCompression::None);
    assert_eq!(set.records.len(), spec.records.len(), "{name}");
    for (i, (got, want)) in set.records.iter().zip(&spec.records).enumerate() {
        let at = format!("{name}: record {i}");
        assert_eq!(got.offset, spec.base_offset + i as i64, "{at}");
        assert_eq!(got.timestamp, want.timestamp, "{at}");
        assert_eq!(got.key.as_deref(), want.key.as_deref(), "{at}");
        assert_eq!(got.value.as_deref(), want.value.as_deref(), "{at}");
        let headers: Vec<Header> = got
            .headers
            .iter()
            .map(|(k, v)| Header {
                key: k.to_string(),
                value: v.as_ref().map(|v| v.to_vec()),
            })
            .collect();
        assert_eq!(headers, want.headers, "{at}");
        assert_eq!(got.producer_id, spec.producer.producer_id, "{at}");
        assert_eq!(got.producer_epoch, spec.producer.producer_epoch, "{at}");
        assert_eq!(
            got.sequence,
            spec.producer.base_sequence.wrapping_add(i as i32),
            "{at}"
        );
        assert_eq!(got.transactional, spec.producer.is_transactional, "{at}");
        assert!(!got.control && !got.delete_horizon, "{at}");
        assert_eq!(got.partition_leader_epoch, -1, "{at}");
        let ts_type = if spec.log_append_time {
            KpTimestampType::LogAppend
        } else {
            KpTimestampType::Creation
        };
        assert_eq!(got.timestamp_type, ts_type, "{at}");
    }
}

/// Checks our view of a batch against the spec, record by record.
fn check_our_view(name: &str, spec: &BatchSpec, batches: &[RecordBatch]) {
    assert_eq!(batches.len(), 1, "{name}: one batch");
    let b = &batches[0];
    assert_eq!(b.base_offset, spec.base_offset, "{name}");
    assert_eq!(b.partition_leader_epoch, -1, "{name}");
    assert_eq!(b.producer_id, spec.producer.producer_id, "{name}");
    assert_eq!(b.producer_epoch, spec.producer.producer_epoch, "{name}");
    assert_eq!(b.base_sequence, spec.producer.base_sequence, "{name}");
    assert_eq!(
        b.is_transactional(),
        spec.producer.is_transactional,
        "{name}"
    );
    assert!(!b.is_control(), "{name}");
    assert_eq!(
        b.last_offset_delta as usize,
        spec.records.len() - 1,
        "{name}"
    );
    let min_ts = spec.records.iter().map(|r| r.timestamp).min().unwrap();
    let max_ts = spec.records.iter().map(|r| r.timestamp).max().unwrap();
    assert_eq!(b.max_timestamp, max_ts, "{name}");
    assert!(b.base_timestamp == min_ts || b.base_timestamp == spec.records[0].timestamp);
    assert_eq!(b.records.len(), spec.records.len(), "{name}");
    for (i, (got, want)) in b.records.iter().zip(&spec.records).enumerate() {
        let at = format!("{name}: record {i}");
        assert_eq!(b.offset_of(got), spec.base_offset + i as i64, "{at}");
        assert_eq!(got.offset_delta, i as i32, "{at}");
        assert_eq!(b.timestamp_of(got), want.timestamp, "{at}");
        assert_eq!(got.key, want.key, "{at}");
        assert_eq!(got.value, want.value, "{at}");
        assert_eq!(got.headers, want.headers, "{at}");
        assert_eq!(got.attributes, 0, "{at}");
    }
}

#[test]
fn our_record_batches_decode_with_kafka_protocol() {
    for (name, spec) in all_specs() {
        check_kp_view(name, &spec, &kp_decode_batches(&build_ours(&spec)));
    }
}

#[test]
fn kafka_protocol_record_batches_decode_with_ours() {
    for (name, spec) in all_specs() {
        let bytes = build_kp(&spec);
        let batches = RecordBatch::decode_all(&bytes)
            .unwrap_or_else(|e| panic!("{name}: we cannot decode kafka-protocol's batch: {e}"));
        check_our_view(name, &spec, &batches);
    }
}

#[test]
fn record_batch_bytes_are_identical() {
    for (name, spec) in all_specs() {
        let ours = build_ours(&spec);
        let theirs = build_kp(&spec);
        assert_eq!(ours.len(), theirs.len(), "{name}: lengths");
        assert_eq!(ours, theirs, "{name}: bytes");
    }
}

#[test]
fn several_batches_back_to_back_both_ways() {
    // kafka-protocol splits records into batches where the producer id changes.
    let mut records = kp_records(&idempotent_spec());
    records.extend(kp_records(&broker_offsets_spec()));
    let mut buf = BytesMut::new();
    let options = RecordEncodeOptions {
        version: 2,
        compression: KpCompression::None,
    };
    RecordBatchEncoder::encode(&mut buf, &records, &options).unwrap();
    let ours = RecordBatch::decode_all(&buf).unwrap();
    assert_eq!(ours.len(), 2);
    check_our_view("first", &idempotent_spec(), &ours[..1]);
    check_our_view("second", &broker_offsets_spec(), &ours[1..]);

    let mut concatenated = build_ours(&idempotent_spec());
    concatenated.extend(build_ours(&broker_offsets_spec()));
    assert_eq!(concatenated, buf.to_vec());
    let sets = kp_decode_batches(&concatenated);
    assert_eq!(sets.len(), 2);
    check_kp_view("first", &idempotent_spec(), &sets[..1]);
    check_kp_view("second", &broker_offsets_spec(), &sets[1..]);
}

/// The LogAppendTime attribute bit, which kafka-protocol reads but cannot write.
#[test]
fn log_append_time_bit_is_read_by_kafka_protocol() {
    let spec = BatchSpec {
        log_append_time: true,
        ..broker_offsets_spec()
    };
    check_kp_view(
        "log append time",
        &spec,
        &kp_decode_batches(&build_ours(&spec)),
    );
}

/// Out-of-order timestamps: the only input for which the two writers differ. We (like Java's
/// `MemoryRecordsBuilder`) take the batch's base timestamp from the first record, so deltas may be
/// negative; kafka-protocol takes the minimum timestamp. Both are valid batches: each side reads
/// the other's to the same absolute timestamps.
#[test]
fn out_of_order_timestamps_differ_only_in_base_timestamp_and_deltas() {
    let spec = BatchSpec {
        base_offset: 0,
        producer: ProducerState::default(),
        log_append_time: false,
        records: vec![
            rec(1_000, Some(b"a"), Some(b"1"), vec![]),
            rec(900, Some(b"b"), Some(b"2"), vec![]),
            rec(1_100, Some(b"c"), Some(b"3"), vec![]),
        ],
    };
    let ours = build_ours(&spec);
    let theirs = build_kp(&spec);
    assert_ne!(ours, theirs);

    let ours_decoded = RecordBatch::decode_all(&ours).unwrap().remove(0);
    let theirs_decoded = RecordBatch::decode_all(&theirs).unwrap().remove(0);
    assert_eq!(ours_decoded.base_timestamp, 1_000, "first record's");
    assert_eq!(theirs_decoded.base_timestamp, 900, "minimum");
    let deltas = |b: &RecordBatch| {
        b.records
            .iter()
            .map(|r| r.timestamp_delta)
            .collect::<Vec<_>>()
    };
    assert_eq!(deltas(&ours_decoded), vec![0, -100, 100]);
    assert_eq!(deltas(&theirs_decoded), vec![100, 0, 200]);
    assert_eq!(ours_decoded.max_timestamp, theirs_decoded.max_timestamp);
    check_our_view("theirs", &spec, &[theirs_decoded]);
    check_kp_view("ours", &spec, &kp_decode_batches(&ours));

    // Apart from the base timestamp, the CRC and the record deltas (same varint sizes here), the
    // bytes are the same.
    assert_eq!(ours.len(), theirs.len());
    let differing: Vec<usize> = (0..ours.len()).filter(|&i| ours[i] != theirs[i]).collect();
    assert!(
        differing
            .iter()
            .all(|&i| (17..21).contains(&i) || (27..35).contains(&i) || i >= 61),
        "{differing:?}"
    );
}

/// Kafka allows repeated header keys; we keep them all. (kafka-protocol's `Record::headers` is a
/// map, so it keeps only the last value of a repeated key: a limitation of the oracle.)
#[test]
fn repeated_header_keys_are_kept() {
    let headers = vec![
        Header::new("k", b"1".to_vec()),
        Header::new("k", b"2".to_vec()),
        Header::null("k"),
    ];
    let spec = BatchSpec {
        records: vec![rec(1, None, Some(b"v"), headers.clone())],
        ..broker_offsets_spec()
    };
    let bytes = build_ours(&spec);
    let ours = RecordBatch::decode_all(&bytes).unwrap().remove(0);
    assert_eq!(ours.records[0].headers, headers);
    let sets = kp_decode_batches(&bytes);
    assert_eq!(sets[0].records[0].headers.len(), 1);
    assert_eq!(sets[0].records[0].headers[&sb("k")], None);
}

/// `rewrite_producer_state` (used when a batch is retried under a new producer epoch or
/// sequence) gives the bytes a fresh build with that state would have, which kafka-protocol
/// reads with the new producer id, epoch, sequences and transactional bit.
#[test]
fn rewritten_producer_state_matches_a_fresh_build() {
    let state = ProducerState {
        producer_id: 31_337,
        producer_epoch: 12,
        base_sequence: 2_000,
        is_transactional: true,
    };
    for (name, spec) in all_specs() {
        let mut bytes = build_ours(&spec);
        rewrite_producer_state(&mut bytes, state);
        let fresh = BatchSpec {
            producer: state,
            ..spec
        };
        assert_eq!(bytes, build_ours(&fresh), "{name}");
        check_kp_view(name, &fresh, &kp_decode_batches(&bytes));
    }
}

/// Error code names and retriability, against kafka-protocol's `ResponseError` table, for every
/// code it knows. The one disagreement is kafka-protocol's: CONCURRENT_TRANSACTIONS (51) became
/// retriable in the Java client (`ConcurrentTransactionsException extends RetriableException`,
/// as in kafka-clients 4.1.1, which our table follows); kafka-protocol still says it is not.
#[test]
fn error_codes_agree_with_kafka_protocol() {
    fn screaming_snake(camel: &str) -> String {
        let mut out = String::new();
        for (i, c) in camel.chars().enumerate() {
            if c.is_ascii_uppercase() && i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_uppercase());
        }
        out
    }
    let mut known = 0;
    for code in i16::MIN..=i16::MAX {
        let ours = ErrorCode(code);
        match kafka_protocol::ResponseError::try_from_code(code) {
            None => assert!(ours.is_ok() && code == 0),
            Some(kafka_protocol::ResponseError::Unknown(_)) => {}
            Some(theirs) => {
                known += 1;
                assert_eq!(ours.code(), theirs.code());
                assert_eq!(
                    ours.name(),
                    screaming_snake(&format!("{theirs:?}")),
                    "{code}"
                );
                if code == 51 {
                    assert!(ours.is_retriable() && !theirs.is_retriable());
                } else {
                    assert_eq!(ours.is_retriable(), theirs.is_retriable(), "{code}");
                }
            }
        }
    }
    assert!(known > 100, "{known} codes compared");
}

// ---------------------------------------------------------------------------------------------
// Differential properties: arbitrary values, our bytes against kafka-protocol's
// ---------------------------------------------------------------------------------------------

mod differential {
    use super::*;
    use proptest::prelude::*;

    fn text() -> impl Strategy<Value = String> {
        "\\PC{0,12}"
    }

    fn opt_text() -> impl Strategy<Value = Option<String>> {
        prop::option::of(text())
    }

    fn error_code() -> impl Strategy<Value = ErrorCode> {
        any::<i16>().prop_map(ErrorCode)
    }

    fn ids() -> impl Strategy<Value = Vec<i32>> {
        prop::collection::vec(any::<i32>(), 0..5)
    }

    fn features() -> impl Strategy<Value = Vec<FeatureRange>> {
        prop::collection::vec(
            (text(), any::<i16>(), any::<i16>()).prop_map(|(name, min_version, max_version)| {
                FeatureRange {
                    name,
                    min_version,
                    max_version,
                }
            }),
            0..3,
        )
    }

    fn api_versions_response(v: i16) -> impl Strategy<Value = ApiVersionsResponse> {
        let flexible = v >= 3;
        (
            error_code(),
            prop::collection::vec(
                (any::<i16>(), any::<i16>(), any::<i16>()).prop_map(|(api_key, lo, hi)| {
                    ApiVersionRange {
                        api_key,
                        min_version: lo,
                        max_version: hi,
                    }
                }),
                0..6,
            ),
            any::<i32>(),
            features(),
            any::<i64>(),
            features(),
            any::<bool>(),
        )
            .prop_map(move |(error_code, api_keys, throttle, sf, epoch, ff, zk)| {
                ApiVersionsResponse {
                    error_code,
                    api_keys,
                    throttle_time_ms: if v >= 1 { throttle } else { 0 },
                    supported_features: if flexible { sf } else { vec![] },
                    finalized_features_epoch: if flexible { epoch } else { -1 },
                    finalized_features: if flexible { ff } else { vec![] },
                    zk_migration_ready: flexible && zk,
                }
            })
    }

    fn metadata_response(v: i16) -> impl Strategy<Value = MetadataResponse> {
        let broker = (any::<i32>(), text(), any::<i32>(), opt_text()).prop_map(
            |(node_id, host, port, rack)| MetadataResponseBroker {
                node_id,
                host,
                port,
                rack,
            },
        );
        let partition = (
            error_code(),
            any::<i32>(),
            any::<i32>(),
            any::<i32>(),
            ids(),
            ids(),
            ids(),
        )
            .prop_map(|(error_code, index, leader, epoch, r, i, o)| {
                MetadataResponsePartition {
                    error_code,
                    partition_index: index,
                    leader_id: leader,
                    leader_epoch: epoch,
                    replica_nodes: r,
                    isr_nodes: i,
                    offline_replicas: o,
                }
            });
        let topic = (
            error_code(),
            opt_text(),
            any::<[u8; 16]>(),
            any::<bool>(),
            prop::collection::vec(partition, 0..4),
            any::<i32>(),
        )
            .prop_map(|(error_code, name, id, is_internal, partitions, ops)| {
                MetadataResponseTopic {
                    error_code,
                    name,
                    topic_id: Uuid(id),
                    is_internal,
                    partitions,
                    topic_authorized_operations: ops,
                }
            });
        (
            any::<i32>(),
            prop::collection::vec(broker, 0..4),
            opt_text(),
            any::<i32>(),
            prop::collection::vec(topic, 0..4),
            error_code(),
        )
            .prop_map(
                move |(throttle, brokers, cluster_id, controller, topics, error)| {
                    MetadataResponse {
                        throttle_time_ms: throttle,
                        brokers,
                        cluster_id,
                        controller_id: controller,
                        topics,
                        error_code: if v >= 13 { error } else { ErrorCode::NONE },
                    }
                },
            )
    }

    fn produce_response(v: i16) -> impl Strategy<Value = ProduceResponse> {
        let leader = prop::option::of((any::<i32>(), any::<i32>())).prop_map(move |l| match l {
            // The schema default (-1, -1) is "no hint" on the wire.
            Some((-1, -1)) | None => None,
            Some(_) if v < 10 => None,
            Some((leader_id, leader_epoch)) => Some(LeaderIdAndEpoch {
                leader_id,
                leader_epoch,
            }),
        });
        let record_error =
            (any::<i32>(), opt_text()).prop_map(|(batch_index, message)| RecordError {
                batch_index,
                message,
            });
        let partition = (
            (
                any::<i32>(),
                error_code(),
                any::<i64>(),
                any::<i64>(),
                any::<i64>(),
            ),
            prop::collection::vec(record_error, 0..3),
            opt_text(),
            leader,
        )
            .prop_map(
                |((index, error_code, base, append, start), record_errors, msg, leader)| {
                    PartitionProduceResponse {
                        index,
                        error_code,
                        base_offset: base,
                        log_append_time_ms: append,
                        log_start_offset: start,
                        record_errors,
                        error_message: msg,
                        current_leader: leader,
                    }
                },
            );
        let topic = (text(), prop::collection::vec(partition, 0..3))
            .prop_map(|(name, partitions)| TopicProduceResponse { name, partitions });
        let endpoint = (any::<i32>(), text(), any::<i32>(), opt_text()).prop_map(
            |(node_id, host, port, rack)| NodeEndpoint {
                node_id,
                host,
                port,
                rack,
            },
        );
        (
            prop::collection::vec(topic, 0..3),
            any::<i32>(),
            prop::collection::vec(endpoint, 0..3),
        )
            .prop_map(move |(responses, throttle, endpoints)| ProduceResponse {
                responses,
                throttle_time_ms: throttle,
                node_endpoints: if v >= 10 { endpoints } else { vec![] },
            })
    }

    fn init_producer_id_response() -> impl Strategy<Value = InitProducerIdResponse> {
        (any::<i32>(), error_code(), any::<i64>(), any::<i16>()).prop_map(
            |(throttle_time_ms, error_code, producer_id, producer_epoch)| InitProducerIdResponse {
                throttle_time_ms,
                error_code,
                producer_id,
                producer_epoch,
            },
        )
    }

    /// Our encoding of `ours` decodes with kafka-protocol to the same values and is exactly
    /// kafka-protocol's encoding of them; and it decodes back with ours.
    fn check<O, K>(ours: &O, version: i16, from_kp: impl Fn(&K) -> O)
    where
        O: Encode + for<'a> Decode<'a> + PartialEq + std::fmt::Debug,
        K: Encodable + Decodable,
    {
        let bytes = our_encode(ours, version);
        let theirs: K = kp_decode(&bytes, version);
        assert_eq!(&from_kp(&theirs), ours, "v{version}");
        assert_eq!(kp_encode(&theirs, version), bytes, "v{version}");
        assert_eq!(&our_decode::<O>(&bytes, version), ours, "v{version}");
    }

    type ProduceTopics = Vec<(String, Vec<(i32, Option<Vec<u8>>)>)>;

    fn produce_topics() -> impl Strategy<Value = ProduceTopics> {
        prop::collection::vec(
            (
                text(),
                prop::collection::vec(
                    (
                        any::<i32>(),
                        prop::option::of(prop::collection::vec(any::<u8>(), 0..200)),
                    ),
                    0..3,
                ),
            ),
            0..3,
        )
    }

    /// 256 cases per property, unless `PROPTEST_CASES` asks for another number.
    fn config() -> ProptestConfig {
        let cases = std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(256);
        ProptestConfig {
            cases,
            failure_persistence: None,
            ..ProptestConfig::default()
        }
    }

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn api_versions_responses(
            (v, resp) in (0i16..=4).prop_flat_map(|v| (Just(v), api_versions_response(v)))
        ) {
            check(&resp, v, api_versions_response_from_kp);
        }

        #[test]
        fn metadata_responses(
            (v, resp) in (0i16..=13).prop_flat_map(|v| (Just(v), metadata_response(v)))
        ) {
            // Only what the version carries can come back.
            let resp = metadata_response_at(&resp, v);
            check(&resp, v, |k| metadata_response_from_kp(k, v));
        }

        #[test]
        fn produce_responses(
            (v, resp) in (3i16..=12).prop_flat_map(|v| (Just(v), produce_response(v)))
        ) {
            let resp = produce_response_at(&resp, v);
            check(&resp, v, produce_response_from_kp);
        }

        #[test]
        fn init_producer_id_responses(v in 0i16..=5, resp in init_producer_id_response()) {
            check(&resp, v, init_producer_id_response_from_kp);
        }

        #[test]
        fn api_versions_requests(v in 3i16..=4, name in text(), version in text()) {
            let req = ApiVersionsRequest {
                client_software_name: name,
                client_software_version: version,
            };
            check_request(&req, v, |k: &kp::ApiVersionsRequest, o| {
                assert_eq!(&api_versions_request_from_kp(k), o)
            });
        }

        #[test]
        fn metadata_requests(
            v in 0i16..=13,
            topics in prop::option::of(prop::collection::vec(
                (any::<[u8; 16]>(), opt_text()),
                0..4,
            )),
            allow in any::<bool>(),
            include in any::<bool>(),
        ) {
            let req = MetadataRequest {
                topics: topics.map(|ts| {
                    ts.into_iter()
                        .map(|(id, name)| MetadataRequestTopic { topic_id: Uuid(id), name })
                        .collect()
                }),
                allow_auto_topic_creation: allow,
                include_topic_authorized_operations: include,
            };
            let req = metadata_request_at(&req, v);
            check_request(&req, v, |k: &kp::MetadataRequest, o| {
                assert_eq!(&metadata_request_from_kp_at(k, v), o)
            });
        }

        #[test]
        fn produce_requests(
            v in 3i16..=12,
            transactional_id in opt_text(),
            acks in any::<i16>(),
            timeout_ms in any::<i32>(),
            topics in produce_topics(),
        ) {
            let req = ProduceRequest {
                transactional_id,
                acks,
                timeout_ms,
                topics: topics
                    .iter()
                    .map(|(name, ps)| TopicProduceData {
                        name: name.clone(),
                        partitions: ps
                            .iter()
                            .map(|(index, records)| PartitionProduceData {
                                index: *index,
                                records: records.as_deref(),
                            })
                            .collect(),
                    })
                    .collect(),
            };
            check_request(&req, v, |k: &kp::ProduceRequest, o| {
                assert_eq!(&produce_request_from_kp(k), o)
            });
            check_vectored_frame(&req, v);
        }

        #[test]
        fn init_producer_id_requests(
            v in 0i16..=5,
            transactional_id in opt_text(),
            timeout in any::<i32>(),
            pid in any::<i64>(),
            epoch in any::<i16>(),
        ) {
            let (producer_id, producer_epoch) = if v >= 3 { (pid, epoch) } else { (-1, -1) };
            let req = InitProducerIdRequest {
                transactional_id,
                transaction_timeout_ms: timeout,
                producer_id,
                producer_epoch,
            };
            check_request(&req, v, |k: &kp::InitProducerIdRequest, o| {
                assert_eq!(&init_producer_id_request_from_kp(k), o)
            });
        }
    }
}

// ---------------------------------------------------------------------------------------------
// SaslHandshake and SaslAuthenticate
// ---------------------------------------------------------------------------------------------

use kafka_producer::protocol::messages::{
    SaslAuthenticateRequest, SaslAuthenticateResponse, SaslHandshakeRequest, SaslHandshakeResponse,
};

fn sasl_handshake_response_from_kp(k: &kp::SaslHandshakeResponse) -> SaslHandshakeResponse {
    SaslHandshakeResponse {
        error_code: ErrorCode(k.error_code),
        mechanisms: k.mechanisms.iter().map(|m| m.to_string()).collect(),
    }
}

fn sasl_authenticate_response_from_kp(
    k: &kp::SaslAuthenticateResponse,
    version: i16,
) -> SaslAuthenticateResponse {
    SaslAuthenticateResponse {
        error_code: ErrorCode(k.error_code),
        error_message: k.error_message.as_ref().map(|m| m.to_string()),
        auth_bytes: k.auth_bytes.to_vec(),
        session_lifetime_ms: if version >= 1 {
            k.session_lifetime_ms
        } else {
            0
        },
    }
}

#[test]
fn sasl_handshake_request_all_versions() {
    for v in versions(ApiKey::SaslHandshake) {
        for mechanism in ["PLAIN", "SCRAM-SHA-512", "OAUTHBEARER", ""] {
            let req = SaslHandshakeRequest {
                mechanism: mechanism.into(),
            };
            check_request(&req, v, |k: &kp::SaslHandshakeRequest, o| {
                assert_eq!(k.mechanism.as_str(), o.mechanism, "v{v}")
            });
            check_frame::<_, kp::SaslHandshakeRequest>(&req, v);
        }
    }
}

#[test]
fn sasl_handshake_response_all_versions() {
    for v in versions(ApiKey::SaslHandshake) {
        for mechanisms in [vec![], vec!["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]] {
            let theirs = kp::SaslHandshakeResponse::default()
                .with_error_code(33)
                .with_mechanisms(mechanisms.iter().map(|m| sb(m)).collect());
            let ours = check_response(&theirs, v, sasl_handshake_response_from_kp);
            assert_eq!(ours.error_code, ErrorCode::UNSUPPORTED_SASL_MECHANISM);
            assert_eq!(ours.mechanisms, mechanisms);
            check_response_frame(
                ApiKey::SaslHandshake,
                &theirs,
                v,
                sasl_handshake_response_from_kp,
            );
        }
    }
}

#[test]
fn sasl_authenticate_request_all_versions() {
    for v in versions(ApiKey::SaslAuthenticate) {
        for auth_bytes in [
            b"\0alice\0alice-secret".to_vec(),
            Vec::new(),
            vec![0xff; 300],
        ] {
            let req = SaslAuthenticateRequest { auth_bytes };
            check_request(&req, v, |k: &kp::SaslAuthenticateRequest, o| {
                assert_eq!(&k.auth_bytes[..], &o.auth_bytes[..], "v{v}")
            });
            check_frame::<_, kp::SaslAuthenticateRequest>(&req, v);
        }
    }
}

#[test]
fn sasl_authenticate_response_all_versions() {
    for v in versions(ApiKey::SaslAuthenticate) {
        for (code, message, token) in [
            (
                58,
                Some("Authentication failed: Invalid username or password"),
                &b""[..],
            ),
            (
                0,
                None,
                &b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="[..],
            ),
            (34, Some(""), &[0u8; 200][..]),
        ] {
            let theirs = kp::SaslAuthenticateResponse::default()
                .with_error_code(code)
                .with_error_message(message.map(sb))
                .with_auth_bytes(Bytes::copy_from_slice(token))
                .with_session_lifetime_ms(if v >= 1 { 3_600_000 } else { 0 });
            let ours = check_response(&theirs, v, |k| sasl_authenticate_response_from_kp(k, v));
            assert_eq!(ours.error_code, ErrorCode(code));
            assert_eq!(ours.error_message.as_deref(), message);
            assert_eq!(ours.auth_bytes, token);
            assert_eq!(ours.session_lifetime_ms, if v >= 1 { 3_600_000 } else { 0 });
            check_response_frame(ApiKey::SaslAuthenticate, &theirs, v, |k| {
                sasl_authenticate_response_from_kp(k, v)
            });
        }
    }
}

/// SaslAuthenticate v2 (flexible): unknown tagged fields are skipped on both bodies.
#[test]
fn sasl_authenticate_unknown_tagged_fields_are_skipped() {
    let tag = |n| Bytes::from(vec![0xee; n]);
    let k = kp::SaslAuthenticateResponse::default()
        .with_error_code(0)
        .with_auth_bytes(Bytes::from_static(b"token"))
        .with_session_lifetime_ms(5)
        .with_unknown_tagged_field(2, tag(3))
        .with_unknown_tagged_field(7, tag(130));
    let ours: SaslAuthenticateResponse = our_decode(&kp_encode(&k, 2), 2);
    assert_eq!(ours, sasl_authenticate_response_from_kp(&k, 2));
    let k = kp::SaslAuthenticateRequest::default()
        .with_auth_bytes(Bytes::from_static(b"n,,n=user,r=abc"))
        .with_unknown_tagged_field(0, tag(1));
    let ours: SaslAuthenticateRequest = our_decode(&kp_encode(&k, 2), 2);
    assert_eq!(ours.auth_bytes, b"n,,n=user,r=abc");
}

// ---------------------------------------------------------------------------------------------
// Transaction APIs: FindCoordinator, AddPartitionsToTxn, AddOffsetsToTxn, EndTxn,
// TxnOffsetCommit
// ---------------------------------------------------------------------------------------------

use kafka_producer::protocol::messages::find_coordinator::{KEY_TYPE_GROUP, KEY_TYPE_TRANSACTION};
use kafka_producer::protocol::messages::{
    AddOffsetsToTxnRequest, AddOffsetsToTxnResponse, AddPartitionsToTxnPartitionResult,
    AddPartitionsToTxnRequest, AddPartitionsToTxnResponse, AddPartitionsToTxnTopic,
    AddPartitionsToTxnTopicResult, Coordinator, EndTxnRequest, EndTxnResponse,
    FindCoordinatorRequest, FindCoordinatorResponse, TxnOffsetCommitRequest,
    TxnOffsetCommitRequestPartition, TxnOffsetCommitRequestTopic, TxnOffsetCommitResponse,
    TxnOffsetCommitResponsePartition, TxnOffsetCommitResponseTopic,
};
use kafka_protocol::messages::add_partitions_to_txn_request::AddPartitionsToTxnTopic as KpAptTopic;
use kafka_protocol::messages::add_partitions_to_txn_response::{
    AddPartitionsToTxnPartitionResult as KpAptPartitionResult,
    AddPartitionsToTxnTopicResult as KpAptTopicResult,
};
use kafka_protocol::messages::find_coordinator_response::Coordinator as KpCoordinator;
use kafka_protocol::messages::txn_offset_commit_request::{
    TxnOffsetCommitRequestPartition as KpTocPartition, TxnOffsetCommitRequestTopic as KpTocTopic,
};
use kafka_protocol::messages::txn_offset_commit_response::{
    TxnOffsetCommitResponsePartition as KpTocResponsePartition,
    TxnOffsetCommitResponseTopic as KpTocResponseTopic,
};

fn opt_string(s: &Option<StrBytes>) -> Option<String> {
    s.as_ref().map(|s| s.to_string())
}

fn find_coordinator_request_from_kp(k: &kp::FindCoordinatorRequest) -> FindCoordinatorRequest {
    assert!(k.unknown_tagged_fields.is_empty());
    FindCoordinatorRequest {
        key: k.key.to_string(),
        key_type: k.key_type,
        coordinator_keys: k.coordinator_keys.iter().map(|c| c.to_string()).collect(),
    }
}

fn find_coordinator_response_from_kp(k: &kp::FindCoordinatorResponse) -> FindCoordinatorResponse {
    FindCoordinatorResponse {
        throttle_time_ms: k.throttle_time_ms,
        error_code: ErrorCode(k.error_code),
        error_message: opt_string(&k.error_message),
        node_id: k.node_id.0,
        host: k.host.to_string(),
        port: k.port,
        coordinators: k
            .coordinators
            .iter()
            .map(|c| Coordinator {
                key: c.key.to_string(),
                node_id: c.node_id.0,
                host: c.host.to_string(),
                port: c.port,
                error_code: ErrorCode(c.error_code),
                error_message: opt_string(&c.error_message),
            })
            .collect(),
    }
}

fn add_partitions_to_txn_request_from_kp(
    k: &kp::AddPartitionsToTxnRequest,
) -> AddPartitionsToTxnRequest {
    assert!(k.transactions.is_empty(), "v4+ field");
    AddPartitionsToTxnRequest {
        transactional_id: k.v3_and_below_transactional_id.0.to_string(),
        producer_id: k.v3_and_below_producer_id.0,
        producer_epoch: k.v3_and_below_producer_epoch,
        topics: k
            .v3_and_below_topics
            .iter()
            .map(|t| AddPartitionsToTxnTopic {
                name: t.name.0.to_string(),
                partitions: t.partitions.clone(),
            })
            .collect(),
    }
}

fn add_partitions_to_txn_response_from_kp(
    k: &kp::AddPartitionsToTxnResponse,
) -> AddPartitionsToTxnResponse {
    assert!(
        k.results_by_transaction.is_empty() && k.error_code == 0,
        "v4+ fields"
    );
    AddPartitionsToTxnResponse {
        throttle_time_ms: k.throttle_time_ms,
        results: k
            .results_by_topic_v3_and_below
            .iter()
            .map(|t| AddPartitionsToTxnTopicResult {
                name: t.name.0.to_string(),
                results: t
                    .results_by_partition
                    .iter()
                    .map(|p| AddPartitionsToTxnPartitionResult {
                        partition_index: p.partition_index,
                        error_code: ErrorCode(p.partition_error_code),
                    })
                    .collect(),
            })
            .collect(),
    }
}

fn add_offsets_to_txn_request_from_kp(k: &kp::AddOffsetsToTxnRequest) -> AddOffsetsToTxnRequest {
    AddOffsetsToTxnRequest {
        transactional_id: k.transactional_id.0.to_string(),
        producer_id: k.producer_id.0,
        producer_epoch: k.producer_epoch,
        group_id: k.group_id.0.to_string(),
    }
}

fn add_offsets_to_txn_response_from_kp(k: &kp::AddOffsetsToTxnResponse) -> AddOffsetsToTxnResponse {
    AddOffsetsToTxnResponse {
        throttle_time_ms: k.throttle_time_ms,
        error_code: ErrorCode(k.error_code),
    }
}

fn end_txn_request_from_kp(k: &kp::EndTxnRequest) -> EndTxnRequest {
    EndTxnRequest {
        transactional_id: k.transactional_id.0.to_string(),
        producer_id: k.producer_id.0,
        producer_epoch: k.producer_epoch,
        committed: k.committed,
    }
}

/// Before v5 the producer id and epoch are not on the wire: read back as -1.
fn end_txn_response_from_kp(k: &kp::EndTxnResponse, version: i16) -> EndTxnResponse {
    let (producer_id, producer_epoch) = if version >= 5 {
        (k.producer_id.0, k.producer_epoch)
    } else {
        (-1, -1)
    };
    EndTxnResponse {
        throttle_time_ms: k.throttle_time_ms,
        error_code: ErrorCode(k.error_code),
        producer_id,
        producer_epoch,
    }
}

fn txn_offset_commit_request_from_kp(k: &kp::TxnOffsetCommitRequest) -> TxnOffsetCommitRequest {
    TxnOffsetCommitRequest {
        transactional_id: k.transactional_id.0.to_string(),
        group_id: k.group_id.0.to_string(),
        producer_id: k.producer_id.0,
        producer_epoch: k.producer_epoch,
        generation_id: k.generation_id,
        member_id: k.member_id.to_string(),
        group_instance_id: opt_string(&k.group_instance_id),
        topics: k
            .topics
            .iter()
            .map(|t| TxnOffsetCommitRequestTopic {
                name: t.name.0.to_string(),
                partitions: t
                    .partitions
                    .iter()
                    .map(|p| TxnOffsetCommitRequestPartition {
                        partition_index: p.partition_index,
                        committed_offset: p.committed_offset,
                        committed_leader_epoch: p.committed_leader_epoch,
                        committed_metadata: opt_string(&p.committed_metadata),
                    })
                    .collect(),
            })
            .collect(),
    }
}

fn txn_offset_commit_response_from_kp(k: &kp::TxnOffsetCommitResponse) -> TxnOffsetCommitResponse {
    TxnOffsetCommitResponse {
        throttle_time_ms: k.throttle_time_ms,
        topics: k
            .topics
            .iter()
            .map(|t| TxnOffsetCommitResponseTopic {
                name: t.name.0.to_string(),
                partitions: t
                    .partitions
                    .iter()
                    .map(|p| TxnOffsetCommitResponsePartition {
                        partition_index: p.partition_index,
                        error_code: ErrorCode(p.error_code),
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// What version `v` carries of a FindCoordinator request: the fields it lacks at the defaults.
fn find_coordinator_request_at(r: &FindCoordinatorRequest, v: i16) -> FindCoordinatorRequest {
    FindCoordinatorRequest {
        key: if v <= 3 { r.key.clone() } else { String::new() },
        key_type: if v >= 1 { r.key_type } else { KEY_TYPE_GROUP },
        coordinator_keys: if v >= 4 {
            r.coordinator_keys.clone()
        } else {
            vec![]
        },
    }
}

fn find_coordinator_response_at(r: &FindCoordinatorResponse, v: i16) -> FindCoordinatorResponse {
    let old = v <= 3;
    FindCoordinatorResponse {
        throttle_time_ms: if v >= 1 { r.throttle_time_ms } else { 0 },
        error_code: if old { r.error_code } else { ErrorCode::NONE },
        error_message: if (1..=3).contains(&v) {
            r.error_message.clone()
        } else {
            None
        },
        node_id: if old { r.node_id } else { 0 },
        host: if old { r.host.clone() } else { String::new() },
        port: if old { r.port } else { 0 },
        coordinators: if old { vec![] } else { r.coordinators.clone() },
    }
}

fn txn_offset_commit_request_at(r: &TxnOffsetCommitRequest, v: i16) -> TxnOffsetCommitRequest {
    let mut r = r.clone();
    if v < 3 {
        r.generation_id = -1;
        r.member_id.clear();
        r.group_instance_id = None;
    }
    if v < 2 {
        for p in r.topics.iter_mut().flat_map(|t| &mut t.partitions) {
            p.committed_leader_epoch = -1;
        }
    }
    r
}

fn find_coordinator_requests() -> Vec<FindCoordinatorRequest> {
    vec![
        FindCoordinatorRequest {
            key: "txn-ß-1".into(),
            key_type: KEY_TYPE_TRANSACTION,
            coordinator_keys: vec!["txn-ß-1".into(), String::new(), "g".into()],
        },
        FindCoordinatorRequest {
            key: "group".into(),
            key_type: KEY_TYPE_GROUP,
            coordinator_keys: vec![],
        },
        FindCoordinatorRequest::default(),
    ]
}

#[test]
fn find_coordinator_request_all_versions() {
    for v in versions(ApiKey::FindCoordinator) {
        for req in find_coordinator_requests() {
            let req = find_coordinator_request_at(&req, v);
            check_request(&req, v, |k: &kp::FindCoordinatorRequest, o| {
                assert_eq!(&find_coordinator_request_from_kp(k), o, "v{v}")
            });
            check_frame::<_, kp::FindCoordinatorRequest>(&req, v);
        }
    }
}

fn kp_find_coordinator_response(v: i16) -> kp::FindCoordinatorResponse {
    let coordinator = |key: &str, node, error_code, message: Option<&str>| {
        KpCoordinator::default()
            .with_key(sb(key))
            .with_node_id(kp::BrokerId(node))
            .with_host(sb("broker-ü.example"))
            .with_port(9093)
            .with_error_code(error_code)
            .with_error_message(message.map(sb))
    };
    let k =
        kp::FindCoordinatorResponse::default().with_throttle_time_ms(if v >= 1 { 25 } else { 0 });
    if v <= 3 {
        k.with_error_code(15)
            .with_error_message(if v >= 1 { Some(sb("not yet")) } else { None })
            .with_node_id(kp::BrokerId(3))
            .with_host(sb("broker-3"))
            .with_port(9092)
    } else {
        k.with_coordinators(vec![
            coordinator("txn-1", 2, 0, None),
            coordinator("txn-2", -1, 15, Some("loading")),
            coordinator("", 0, 0, Some("")),
        ])
    }
}

#[test]
fn find_coordinator_response_all_versions() {
    for v in versions(ApiKey::FindCoordinator) {
        let theirs = kp_find_coordinator_response(v);
        // kafka-protocol's default error message is "", written only in v1-v3.
        let from_kp = |k: &kp::FindCoordinatorResponse| {
            find_coordinator_response_at(&find_coordinator_response_from_kp(k), v)
        };
        let ours = check_response(&theirs, v, from_kp);
        if v <= 3 {
            assert_eq!((ours.node_id, ours.port), (3, 9092));
            assert_eq!(ours.error_code, ErrorCode::COORDINATOR_NOT_AVAILABLE);
        } else {
            assert_eq!(ours.coordinators.len(), 3);
            assert_eq!(
                ours.coordinators[1].error_message.as_deref(),
                Some("loading")
            );
        }
        check_response_frame(ApiKey::FindCoordinator, &theirs, v, from_kp);
    }
}

fn add_partitions_to_txn_requests() -> Vec<AddPartitionsToTxnRequest> {
    vec![
        AddPartitionsToTxnRequest {
            transactional_id: "txn-ß-1".into(),
            producer_id: 123_456_789_012,
            producer_epoch: 7,
            topics: vec![
                AddPartitionsToTxnTopic {
                    name: "orders".into(),
                    partitions: vec![0, 5, i32::MAX],
                },
                AddPartitionsToTxnTopic {
                    name: "empty".into(),
                    partitions: vec![],
                },
            ],
        },
        AddPartitionsToTxnRequest::default(),
    ]
}

#[test]
fn add_partitions_to_txn_request_all_versions() {
    for v in versions(ApiKey::AddPartitionsToTxn) {
        for req in add_partitions_to_txn_requests() {
            check_request(&req, v, |k: &kp::AddPartitionsToTxnRequest, o| {
                assert_eq!(&add_partitions_to_txn_request_from_kp(k), o, "v{v}")
            });
            check_frame::<_, kp::AddPartitionsToTxnRequest>(&req, v);
        }
    }
}

fn kp_add_partitions_to_txn_response() -> kp::AddPartitionsToTxnResponse {
    let partition = |i, e| {
        KpAptPartitionResult::default()
            .with_partition_index(i)
            .with_partition_error_code(e)
    };
    kp::AddPartitionsToTxnResponse::default()
        .with_throttle_time_ms(12)
        .with_results_by_topic_v3_and_below(vec![
            KpAptTopicResult::default()
                .with_name(kp::TopicName(sb("orders")))
                .with_results_by_partition(vec![partition(0, 0), partition(5, 51)]),
            KpAptTopicResult::default().with_name(kp::TopicName(sb("ü"))),
        ])
}

#[test]
fn add_partitions_to_txn_response_all_versions() {
    for v in versions(ApiKey::AddPartitionsToTxn) {
        let theirs = kp_add_partitions_to_txn_response();
        let ours = check_response(&theirs, v, add_partitions_to_txn_response_from_kp);
        assert_eq!(
            ours.results[0].results[1].error_code,
            ErrorCode::CONCURRENT_TRANSACTIONS
        );
        check_response_frame(
            ApiKey::AddPartitionsToTxn,
            &theirs,
            v,
            add_partitions_to_txn_response_from_kp,
        );
    }
    // kafka-protocol's v4+ (broker-to-broker) form is not ours.
    assert!(ApiKey::AddPartitionsToTxn.supported_versions().1 < 4);
}

#[test]
fn add_offsets_to_txn_all_versions() {
    for v in versions(ApiKey::AddOffsetsToTxn) {
        for req in [
            AddOffsetsToTxnRequest {
                transactional_id: "txn-ß-1".into(),
                producer_id: 42,
                producer_epoch: -1,
                group_id: "consumers".into(),
            },
            AddOffsetsToTxnRequest::default(),
        ] {
            check_request(&req, v, |k: &kp::AddOffsetsToTxnRequest, o| {
                assert_eq!(&add_offsets_to_txn_request_from_kp(k), o, "v{v}")
            });
            check_frame::<_, kp::AddOffsetsToTxnRequest>(&req, v);
        }
        let theirs = kp::AddOffsetsToTxnResponse::default()
            .with_throttle_time_ms(3)
            .with_error_code(90);
        let ours = check_response(&theirs, v, add_offsets_to_txn_response_from_kp);
        assert_eq!(ours.error_code, ErrorCode::PRODUCER_FENCED);
        check_response_frame(
            ApiKey::AddOffsetsToTxn,
            &theirs,
            v,
            add_offsets_to_txn_response_from_kp,
        );
    }
}

#[test]
fn end_txn_all_versions() {
    for v in versions(ApiKey::EndTxn) {
        for committed in [true, false] {
            let req = EndTxnRequest {
                transactional_id: "txn-ß-1".into(),
                producer_id: 123_456_789_012,
                producer_epoch: 9,
                committed,
            };
            check_request(&req, v, |k: &kp::EndTxnRequest, o| {
                assert_eq!(&end_txn_request_from_kp(k), o, "v{v}")
            });
            check_frame::<_, kp::EndTxnRequest>(&req, v);
        }
        let theirs = kp::EndTxnResponse::default()
            .with_throttle_time_ms(4)
            .with_error_code(47)
            .with_producer_id(kp::ProducerId(if v >= 5 { 77 } else { -1 }))
            .with_producer_epoch(if v >= 5 { 10 } else { -1 });
        let ours = check_response(&theirs, v, |k| end_txn_response_from_kp(k, v));
        if v >= 5 {
            assert_eq!((ours.producer_id, ours.producer_epoch), (77, 10));
        } else {
            assert_eq!((ours.producer_id, ours.producer_epoch), (-1, -1));
        }
        check_response_frame(ApiKey::EndTxn, &theirs, v, |k| {
            end_txn_response_from_kp(k, v)
        });
    }
}

fn txn_offset_commit_requests() -> Vec<TxnOffsetCommitRequest> {
    vec![
        TxnOffsetCommitRequest {
            transactional_id: "txn-ß-1".into(),
            group_id: "consumers".into(),
            producer_id: 123_456_789_012,
            producer_epoch: 3,
            generation_id: 17,
            member_id: "member-1".into(),
            group_instance_id: Some("instance-ü".into()),
            topics: vec![
                TxnOffsetCommitRequestTopic {
                    name: "orders".into(),
                    partitions: vec![
                        TxnOffsetCommitRequestPartition {
                            partition_index: 0,
                            committed_offset: 1_000_000_000_000,
                            committed_leader_epoch: 4,
                            committed_metadata: Some("meta".into()),
                        },
                        TxnOffsetCommitRequestPartition {
                            partition_index: 9,
                            committed_offset: 0,
                            committed_leader_epoch: -1,
                            committed_metadata: None,
                        },
                    ],
                },
                TxnOffsetCommitRequestTopic {
                    name: "none".into(),
                    partitions: vec![],
                },
            ],
        },
        TxnOffsetCommitRequest::default(),
    ]
}

#[test]
fn txn_offset_commit_request_all_versions() {
    for v in versions(ApiKey::TxnOffsetCommit) {
        for req in txn_offset_commit_requests() {
            let req = txn_offset_commit_request_at(&req, v);
            check_request(&req, v, |k: &kp::TxnOffsetCommitRequest, o| {
                assert_eq!(&txn_offset_commit_request_from_kp(k), o, "v{v}")
            });
            check_frame::<_, kp::TxnOffsetCommitRequest>(&req, v);
        }
    }
}

#[test]
fn txn_offset_commit_response_all_versions() {
    let partition = |i, e| {
        KpTocResponsePartition::default()
            .with_partition_index(i)
            .with_error_code(e)
    };
    let theirs = kp::TxnOffsetCommitResponse::default()
        .with_throttle_time_ms(8)
        .with_topics(vec![
            KpTocResponseTopic::default()
                .with_name(kp::TopicName(sb("orders")))
                .with_partitions(vec![partition(0, 0), partition(9, 22)]),
            KpTocResponseTopic::default().with_name(kp::TopicName(sb("none"))),
        ]);
    for v in versions(ApiKey::TxnOffsetCommit) {
        let ours = check_response(&theirs, v, txn_offset_commit_response_from_kp);
        assert_eq!(ours.topics[0].partitions[1].error_code, ErrorCode(22));
        check_response_frame(
            ApiKey::TxnOffsetCommit,
            &theirs,
            v,
            txn_offset_commit_response_from_kp,
        );
    }
    // A partition entry as kafka-protocol builds it by default (metadata "", not null).
    let k = kp::TxnOffsetCommitRequest::default().with_topics(vec![
        KpTocTopic::default().with_partitions(vec![KpTocPartition::default()]),
    ]);
    let ours: TxnOffsetCommitRequest = our_decode(&kp_encode(&k, 3), 3);
    assert_eq!(
        ours.topics[0].partitions[0].committed_metadata.as_deref(),
        Some("")
    );
}

/// Flexible versions of the transaction APIs: kafka-protocol writes unknown tagged fields at
/// every level; we skip them and still read every known field.
#[test]
fn transaction_apis_skip_unknown_tagged_fields() {
    let tag = |n| Bytes::from(vec![0xee; n]);
    // FindCoordinator v4: top level and coordinator.
    let k = kp::FindCoordinatorResponse::default().with_coordinators(vec![
        KpCoordinator::default()
            .with_key(sb("t"))
            .with_port(1)
            .with_unknown_tagged_field(1, tag(2)),
    ]);
    let k = k.with_unknown_tagged_field(0, tag(200));
    let ours: FindCoordinatorResponse = our_decode(&kp_encode(&k, 4), 4);
    assert_eq!(ours.coordinators[0].key, "t");
    let k = kp::FindCoordinatorRequest::default()
        .with_key(sb("k"))
        .with_key_type(1)
        .with_unknown_tagged_field(3, tag(1));
    let ours: FindCoordinatorRequest = our_decode(&kp_encode(&k, 3), 3);
    assert_eq!((ours.key.as_str(), ours.key_type), ("k", 1));
    // AddPartitionsToTxn v3: top level, topic and partition.
    let k = kp::AddPartitionsToTxnResponse::default()
        .with_results_by_topic_v3_and_below(vec![
            KpAptTopicResult::default()
                .with_name(kp::TopicName(sb("t")))
                .with_results_by_partition(vec![
                    KpAptPartitionResult::default()
                        .with_partition_index(4)
                        .with_unknown_tagged_field(0, tag(3)),
                ])
                .with_unknown_tagged_field(2, tag(4)),
        ])
        .with_unknown_tagged_field(9, tag(5));
    let ours: AddPartitionsToTxnResponse = our_decode(&kp_encode(&k, 3), 3);
    assert_eq!(ours.results[0].results[0].partition_index, 4);
    let k = kp::AddPartitionsToTxnRequest::default()
        .with_v3_and_below_topics(vec![
            KpAptTopic::default()
                .with_name(kp::TopicName(sb("t")))
                .with_partitions(vec![1])
                .with_unknown_tagged_field(0, tag(1)),
        ])
        .with_unknown_tagged_field(1, tag(1));
    let ours: AddPartitionsToTxnRequest = our_decode(&kp_encode(&k, 3), 3);
    assert_eq!(ours.topics[0].partitions, [1]);
    // AddOffsetsToTxn, EndTxn.
    let k = kp::AddOffsetsToTxnResponse::default()
        .with_error_code(1)
        .with_unknown_tagged_field(0, tag(1));
    let ours: AddOffsetsToTxnResponse = our_decode(&kp_encode(&k, 4), 4);
    assert_eq!(ours.error_code, ErrorCode(1));
    let k = kp::EndTxnResponse::default()
        .with_producer_id(kp::ProducerId(5))
        .with_unknown_tagged_field(0, tag(1));
    let ours: EndTxnResponse = our_decode(&kp_encode(&k, 5), 5);
    assert_eq!(ours.producer_id, 5);
    // TxnOffsetCommit v3: request and response, every level.
    let k = kp::TxnOffsetCommitRequest::default()
        .with_topics(vec![
            KpTocTopic::default()
                .with_name(kp::TopicName(sb("t")))
                .with_partitions(vec![
                    KpTocPartition::default()
                        .with_committed_offset(6)
                        .with_unknown_tagged_field(0, tag(2)),
                ])
                .with_unknown_tagged_field(0, tag(2)),
        ])
        .with_unknown_tagged_field(0, tag(2));
    let ours: TxnOffsetCommitRequest = our_decode(&kp_encode(&k, 5), 5);
    assert_eq!(ours.topics[0].partitions[0].committed_offset, 6);
    let k = kp::TxnOffsetCommitResponse::default()
        .with_topics(vec![
            KpTocResponseTopic::default()
                .with_name(kp::TopicName(sb("t")))
                .with_partitions(vec![
                    KpTocResponsePartition::default()
                        .with_error_code(3)
                        .with_unknown_tagged_field(0, tag(2)),
                ])
                .with_unknown_tagged_field(0, tag(2)),
        ])
        .with_unknown_tagged_field(0, tag(2));
    let ours: TxnOffsetCommitResponse = our_decode(&kp_encode(&k, 3), 3);
    assert_eq!(ours.topics[0].partitions[0].error_code, ErrorCode(3));
}

/// Random values of the transaction APIs, at random versions, both ways against kafka-protocol
/// (as `differential` for the other APIs).
mod differential_txn {
    use super::*;
    use proptest::prelude::*;

    fn text() -> impl Strategy<Value = String> {
        "\\PC{0,12}"
    }

    fn opt_text() -> impl Strategy<Value = Option<String>> {
        prop::option::of(text())
    }

    fn error_code() -> impl Strategy<Value = ErrorCode> {
        any::<i16>().prop_map(ErrorCode)
    }

    /// Our encoding of `ours` decodes with kafka-protocol to the same values and is exactly
    /// kafka-protocol's encoding of them; and it decodes back with ours.
    fn check<O, K>(ours: &O, version: i16, from_kp: impl Fn(&K) -> O)
    where
        O: Encode + for<'a> Decode<'a> + PartialEq + std::fmt::Debug,
        K: Encodable + Decodable,
    {
        let bytes = our_encode(ours, version);
        let theirs: K = kp_decode(&bytes, version);
        assert_eq!(&from_kp(&theirs), ours, "v{version}");
        assert_eq!(kp_encode(&theirs, version), bytes, "v{version}");
        assert_eq!(&our_decode::<O>(&bytes, version), ours, "v{version}");
    }

    fn coordinator() -> impl Strategy<Value = Coordinator> {
        (
            text(),
            any::<i32>(),
            text(),
            any::<i32>(),
            error_code(),
            opt_text(),
        )
            .prop_map(|(key, node_id, host, port, error_code, error_message)| {
                Coordinator {
                    key,
                    node_id,
                    host,
                    port,
                    error_code,
                    error_message,
                }
            })
    }

    fn find_coordinator_response() -> impl Strategy<Value = FindCoordinatorResponse> {
        (
            any::<i32>(),
            error_code(),
            opt_text(),
            (any::<i32>(), text(), any::<i32>()),
            prop::collection::vec(coordinator(), 0..3),
        )
            .prop_map(
                |(
                    throttle_time_ms,
                    error_code,
                    error_message,
                    (node_id, host, port),
                    coordinators,
                )| {
                    FindCoordinatorResponse {
                        throttle_time_ms,
                        error_code,
                        error_message,
                        node_id,
                        host,
                        port,
                        coordinators,
                    }
                },
            )
    }

    fn partition_results() -> impl Strategy<Value = Vec<(i32, ErrorCode)>> {
        prop::collection::vec((any::<i32>(), error_code()), 0..4)
    }

    fn topics<T: std::fmt::Debug>(
        inner: impl Strategy<Value = T>,
    ) -> impl Strategy<Value = Vec<(String, T)>> {
        prop::collection::vec((text(), inner), 0..3)
    }

    fn config() -> ProptestConfig {
        let cases = std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(256);
        ProptestConfig {
            cases,
            failure_persistence: None,
            ..ProptestConfig::default()
        }
    }

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn find_coordinator_responses(v in 0i16..=6, resp in find_coordinator_response()) {
            let resp = find_coordinator_response_at(&resp, v);
            check(&resp, v, |k| find_coordinator_response_at(&find_coordinator_response_from_kp(k), v));
        }

        #[test]
        fn find_coordinator_requests(
            v in 0i16..=6,
            key in text(),
            key_type in any::<i8>(),
            keys in prop::collection::vec(text(), 0..4),
        ) {
            let req = find_coordinator_request_at(
                &FindCoordinatorRequest { key, key_type, coordinator_keys: keys },
                v,
            );
            check_request(&req, v, |k: &kp::FindCoordinatorRequest, o| {
                assert_eq!(&find_coordinator_request_from_kp(k), o)
            });
        }

        #[test]
        fn add_partitions_to_txn(
            v in 0i16..=3,
            tid in text(),
            pid in any::<i64>(),
            epoch in any::<i16>(),
            req_topics in topics(prop::collection::vec(any::<i32>(), 0..4)),
            throttle in any::<i32>(),
            resp_topics in topics(partition_results()),
        ) {
            let req = AddPartitionsToTxnRequest {
                transactional_id: tid,
                producer_id: pid,
                producer_epoch: epoch,
                topics: req_topics
                    .into_iter()
                    .map(|(name, partitions)| AddPartitionsToTxnTopic { name, partitions })
                    .collect(),
            };
            check_request(&req, v, |k: &kp::AddPartitionsToTxnRequest, o| {
                assert_eq!(&add_partitions_to_txn_request_from_kp(k), o)
            });
            let resp = AddPartitionsToTxnResponse {
                throttle_time_ms: throttle,
                results: resp_topics
                    .into_iter()
                    .map(|(name, ps)| AddPartitionsToTxnTopicResult {
                        name,
                        results: ps
                            .into_iter()
                            .map(|(partition_index, error_code)| {
                                AddPartitionsToTxnPartitionResult { partition_index, error_code }
                            })
                            .collect(),
                    })
                    .collect(),
            };
            check(&resp, v, add_partitions_to_txn_response_from_kp);
        }

        #[test]
        fn add_offsets_to_txn(
            v in 0i16..=4,
            tid in text(),
            pid in any::<i64>(),
            epoch in any::<i16>(),
            group in text(),
            throttle in any::<i32>(),
            code in error_code(),
        ) {
            let req = AddOffsetsToTxnRequest {
                transactional_id: tid,
                producer_id: pid,
                producer_epoch: epoch,
                group_id: group,
            };
            check_request(&req, v, |k: &kp::AddOffsetsToTxnRequest, o| {
                assert_eq!(&add_offsets_to_txn_request_from_kp(k), o)
            });
            let resp = AddOffsetsToTxnResponse { throttle_time_ms: throttle, error_code: code };
            check(&resp, v, add_offsets_to_txn_response_from_kp);
        }

        #[test]
        fn end_txn(
            v in 0i16..=5,
            tid in text(),
            pid in any::<i64>(),
            epoch in any::<i16>(),
            committed in any::<bool>(),
            throttle in any::<i32>(),
            code in error_code(),
        ) {
            let req = EndTxnRequest {
                transactional_id: tid,
                producer_id: pid,
                producer_epoch: epoch,
                committed,
            };
            check_request(&req, v, |k: &kp::EndTxnRequest, o| {
                assert_eq!(&end_txn_request_from_kp(k), o)
            });
            let (producer_id, producer_epoch) = if v >= 5 { (pid, epoch) } else { (-1, -1) };
            let resp = EndTxnResponse {
                throttle_time_ms: throttle,
                error_code: code,
                producer_id,
                producer_epoch,
            };
            check(&resp, v, |k| end_txn_response_from_kp(k, v));
        }

        #[test]
        fn txn_offset_commit(
            v in 0i16..=5,
            (tid, group, pid, epoch) in (text(), text(), any::<i64>(), any::<i16>()),
            (generation, member, instance) in (any::<i32>(), text(), opt_text()),
            req_topics in topics(prop::collection::vec(
                (any::<i32>(), any::<i64>(), any::<i32>(), opt_text()),
                0..3,
            )),
            throttle in any::<i32>(),
            resp_topics in topics(partition_results()),
        ) {
            let req = TxnOffsetCommitRequest {
                transactional_id: tid,
                group_id: group,
                producer_id: pid,
                producer_epoch: epoch,
                generation_id: generation,
                member_id: member,
                group_instance_id: instance,
                topics: req_topics
                    .into_iter()
                    .map(|(name, ps)| TxnOffsetCommitRequestTopic {
                        name,
                        partitions: ps
                            .into_iter()
                            .map(|(partition_index, committed_offset, epoch, metadata)| {
                                TxnOffsetCommitRequestPartition {
                                    partition_index,
                                    committed_offset,
                                    committed_leader_epoch: epoch,
                                    committed_metadata: metadata,
                                }
                            })
                            .collect(),
                    })
                    .collect(),
            };
            let req = txn_offset_commit_request_at(&req, v);
            check_request(&req, v, |k: &kp::TxnOffsetCommitRequest, o| {
                assert_eq!(&txn_offset_commit_request_from_kp(k), o)
            });
            let resp = TxnOffsetCommitResponse {
                throttle_time_ms: throttle,
                topics: resp_topics
                    .into_iter()
                    .map(|(name, ps)| TxnOffsetCommitResponseTopic {
                        name,
                        partitions: ps
                            .into_iter()
                            .map(|(partition_index, error_code)| {
                                TxnOffsetCommitResponsePartition { partition_index, error_code }
                            })
                            .collect(),
                    })
                    .collect(),
            };
            check(&resp, v, txn_offset_commit_response_from_kp);
        }
    }
}
