//! Metadata (key 3), v12–v13 (flexible; topic ids). Kafka 4.x brokers accept v0–v13; this crate
//! speaks the versions with topic ids and nullable names (v12) and the top-level error code (v13).

use super::{Decode, Encode, check_version};
use crate::protocol::codec::{DecodeError, Reader, Uuid, Writer};
use crate::protocol::{ApiKey, ErrorCode, Request};

/// Versions this crate speaks.
pub const VERSIONS: (i16, i16) = (12, 13);

/// One topic asked for: by name (topic id zero) or by id (name `None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetadataRequestTopic {
    /// Topic id, or zero to ask by name.
    pub topic_id: Uuid,
    /// Topic name, or `None` to ask by id.
    pub name: Option<String>,
}

/// The Metadata request body.
///
/// ```
/// use kafka_producer::protocol::messages::{Encode, MetadataRequest};
/// let req = MetadataRequest::for_topics(["orders"], true);
/// let mut buf = Vec::new();
/// req.encode(12, &mut buf);
/// assert_eq!(buf[0], 2); // compact array of one topic
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MetadataRequest {
    /// Topics to describe; `None` asks for every topic, an empty list for none (brokers only).
    pub topics: Option<Vec<MetadataRequestTopic>>,
    /// Whether the broker may auto-create requested topics that do not exist.
    pub allow_auto_topic_creation: bool,
    /// Whether to include each topic's authorized operations.
    pub include_topic_authorized_operations: bool,
}

impl MetadataRequest {
    /// A request for the named topics.
    pub fn for_topics<S: Into<String>>(
        names: impl IntoIterator<Item = S>,
        allow_auto_topic_creation: bool,
    ) -> Self {
        MetadataRequest {
            topics: Some(
                names
                    .into_iter()
                    .map(|n| MetadataRequestTopic {
                        topic_id: Uuid::ZERO,
                        name: Some(n.into()),
                    })
                    .collect(),
            ),
            allow_auto_topic_creation,
            include_topic_authorized_operations: false,
        }
    }
}

impl Request for MetadataRequest {
    const API_KEY: ApiKey = ApiKey::Metadata;
    type Response = MetadataResponse;
}

impl Encode for MetadataRequest {
    fn encode(&self, _version: i16, buf: &mut Vec<u8>) {
        match &self.topics {
            None => buf.put_length(None, true, true),
            Some(topics) => {
                buf.put_array_len(topics.len(), true);
                for t in topics {
                    buf.put_uuid(&t.topic_id);
                    buf.put_nullable_string(t.name.as_deref(), true);
                    buf.put_empty_tagged_fields();
                }
            }
        }
        buf.put_bool(self.allow_auto_topic_creation);
        buf.put_bool(self.include_topic_authorized_operations);
        buf.put_empty_tagged_fields();
    }
}

impl Decode<'_> for MetadataRequest {
    fn decode(version: i16, r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.set_context("MetadataRequest");
        check_version(r, version, VERSIONS)?;
        let topics = match r.nullable_array_len("topics", true, 18)? {
            None => None,
            Some(n) => {
                let mut topics = Vec::with_capacity(n);
                for _ in 0..n {
                    let topic_id = r.uuid("topic_id")?;
                    let name = r.nullable_string("name", true)?;
                    r.skip_tagged_fields()?;
                    topics.push(MetadataRequestTopic { topic_id, name });
                }
                Some(topics)
            }
        };
        let allow_auto_topic_creation = r.bool("allow_auto_topic_creation")?;
        let include_topic_authorized_operations = r.bool("include_topic_authorized_operations")?;
        r.skip_tagged_fields()?;
        Ok(MetadataRequest {
            topics,
            allow_auto_topic_creation,
            include_topic_authorized_operations,
        })
    }
}

/// A broker in the Metadata response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetadataResponseBroker {
    /// Broker (node) id.
    pub node_id: i32,
    /// Host name to connect to.
    pub host: String,
    /// Port to connect to.
    pub port: i32,
    /// Rack, if assigned.
    pub rack: Option<String>,
}

/// A partition in the Metadata response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetadataResponsePartition {
    /// Partition error (e.g. `LEADER_NOT_AVAILABLE`).
    pub error_code: ErrorCode,
    /// Partition index.
    pub partition_index: i32,
    /// Leader broker id, -1 when none.
    pub leader_id: i32,
    /// Leader epoch, -1 when unknown.
    pub leader_epoch: i32,
    /// All replicas.
    pub replica_nodes: Vec<i32>,
    /// In-sync replicas.
    pub isr_nodes: Vec<i32>,
    /// Offline replicas.
    pub offline_replicas: Vec<i32>,
}

/// A topic in the Metadata response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetadataResponseTopic {
    /// Topic error (e.g. `UNKNOWN_TOPIC_OR_PARTITION`).
    pub error_code: ErrorCode,
    /// Topic name; `None` only for unknown topics asked for by id.
    pub name: Option<String>,
    /// Topic id; zero for unknown topics asked for by name.
    pub topic_id: Uuid,
    /// Whether the topic is internal (`__consumer_offsets`).
    pub is_internal: bool,
    /// The partitions.
    pub partitions: Vec<MetadataResponsePartition>,
    /// Authorized operations bit field, `i32::MIN` when not requested.
    pub topic_authorized_operations: i32,
}

/// The Metadata response body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetadataResponse {
    /// Quota throttle.
    pub throttle_time_ms: i32,
    /// Live brokers.
    pub brokers: Vec<MetadataResponseBroker>,
    /// Cluster id.
    pub cluster_id: Option<String>,
    /// Controller id, -1 when unknown.
    pub controller_id: i32,
    /// Requested topics.
    pub topics: Vec<MetadataResponseTopic>,
    /// Top-level error (v13+; `NONE` before).
    pub error_code: ErrorCode,
}

impl Encode for MetadataResponse {
    fn encode(&self, version: i16, buf: &mut Vec<u8>) {
        buf.put_i32(self.throttle_time_ms);
        buf.put_array_len(self.brokers.len(), true);
        for b in &self.brokers {
            buf.put_i32(b.node_id);
            buf.put_string(&b.host, true);
            buf.put_i32(b.port);
            buf.put_nullable_string(b.rack.as_deref(), true);
            buf.put_empty_tagged_fields();
        }
        buf.put_nullable_string(self.cluster_id.as_deref(), true);
        buf.put_i32(self.controller_id);
        buf.put_array_len(self.topics.len(), true);
        for t in &self.topics {
            buf.put_i16(t.error_code.code());
            buf.put_nullable_string(t.name.as_deref(), true);
            buf.put_uuid(&t.topic_id);
            buf.put_bool(t.is_internal);
            buf.put_array_len(t.partitions.len(), true);
            for p in &t.partitions {
                buf.put_i16(p.error_code.code());
                buf.put_i32(p.partition_index);
                buf.put_i32(p.leader_id);
                buf.put_i32(p.leader_epoch);
                for ids in [&p.replica_nodes, &p.isr_nodes, &p.offline_replicas] {
                    buf.put_array_len(ids.len(), true);
                    for id in ids {
                        buf.put_i32(*id);
                    }
                }
                buf.put_empty_tagged_fields();
            }
            buf.put_i32(t.topic_authorized_operations);
            buf.put_empty_tagged_fields();
        }
        if version >= 13 {
            buf.put_i16(self.error_code.code());
        }
        buf.put_empty_tagged_fields();
    }
}

impl Decode<'_> for MetadataResponse {
    fn decode(version: i16, r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.set_context("MetadataResponse");
        check_version(r, version, VERSIONS)?;
        let throttle_time_ms = r.i32("throttle_time_ms")?;
        let brokers = r.array_of("brokers", true, 11, |r| {
            let node_id = r.i32("node_id")?;
            let host = r.string("host", true)?;
            let port = r.i32("port")?;
            let rack = r.nullable_string("rack", true)?;
            r.skip_tagged_fields()?;
            Ok(MetadataResponseBroker {
                node_id,
                host,
                port,
                rack,
            })
        })?;
        let cluster_id = r.nullable_string("cluster_id", true)?;
        let controller_id = r.i32("controller_id")?;
        let topics = r.array_of("topics", true, 26, |r| {
            let error_code = ErrorCode(r.i16("topic_error_code")?);
            let name = r.nullable_string("topic_name", true)?;
            let topic_id = r.uuid("topic_id")?;
            let is_internal = r.bool("is_internal")?;
            let partitions = r.array_of("partitions", true, 18, |r| {
                let error_code = ErrorCode(r.i16("partition_error_code")?);
                let partition_index = r.i32("partition_index")?;
                let leader_id = r.i32("leader_id")?;
                let leader_epoch = r.i32("leader_epoch")?;
                let replica_nodes = r.i32_array("replica_nodes", true)?;
                let isr_nodes = r.i32_array("isr_nodes", true)?;
                let offline_replicas = r.i32_array("offline_replicas", true)?;
                r.skip_tagged_fields()?;
                Ok(MetadataResponsePartition {
                    error_code,
                    partition_index,
                    leader_id,
                    leader_epoch,
                    replica_nodes,
                    isr_nodes,
                    offline_replicas,
                })
            })?;
            let topic_authorized_operations = r.i32("topic_authorized_operations")?;
            r.skip_tagged_fields()?;
            Ok(MetadataResponseTopic {
                error_code,
                name,
                topic_id,
                is_internal,
                partitions,
                topic_authorized_operations,
            })
        })?;
        let error_code = if version >= 13 {
            ErrorCode(r.i16("error_code")?)
        } else {
            ErrorCode::NONE
        };
        r.skip_tagged_fields()?;
        Ok(MetadataResponse {
            throttle_time_ms,
            brokers,
            cluster_id,
            controller_id,
            topics,
            error_code,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample() -> MetadataResponse {
        MetadataResponse {
            throttle_time_ms: 0,
            brokers: vec![MetadataResponseBroker {
                node_id: 1,
                host: "h".into(),
                port: 9092,
                rack: None,
            }],
            cluster_id: Some("c".into()),
            controller_id: 1,
            topics: vec![MetadataResponseTopic {
                error_code: ErrorCode::NONE,
                name: Some("t".into()),
                topic_id: Uuid([7; 16]),
                is_internal: false,
                partitions: vec![MetadataResponsePartition {
                    error_code: ErrorCode::NONE,
                    partition_index: 0,
                    leader_id: 1,
                    leader_epoch: 3,
                    replica_nodes: vec![1],
                    isr_nodes: vec![1],
                    offline_replicas: vec![],
                }],
                topic_authorized_operations: i32::MIN,
            }],
            error_code: ErrorCode::NONE,
        }
    }

    #[test]
    fn request_bytes() {
        let mut buf = Vec::new();
        MetadataRequest::for_topics(["ab"], false).encode(12, &mut buf);
        let mut expected = vec![2];
        expected.extend([0u8; 16]); // topic id zero
        expected.extend([3, b'a', b'b', 0]); // name, tags
        expected.extend([0, 0, 0]); // no auto create, no authorized ops, tags
        assert_eq!(buf, expected);
        assert_eq!(
            MetadataRequest::decode(12, &mut Reader::new(&buf, "t")).unwrap(),
            MetadataRequest::for_topics(["ab"], false)
        );
        // All topics: null array.
        buf.clear();
        MetadataRequest::default().encode(13, &mut buf);
        assert_eq!(buf, [0, 0, 0, 0]);
    }

    #[test]
    fn response_bytes_v13() {
        let mut buf = Vec::new();
        sample().encode(13, &mut buf);
        #[rustfmt::skip]
        let mut expected = vec![
            0, 0, 0, 0,                       // throttle
            2, 0, 0, 0, 1, 2, b'h', 0, 0, 0x23, 0x84, 0, 0, // broker 1 h:9092 rack null, tags
            2, b'c',                          // cluster id
            0, 0, 0, 1,                       // controller
            2, 0, 0, 2, b't',                 // 1 topic: error 0, name "t"
        ];
        expected.extend([7u8; 16]);
        #[rustfmt::skip]
        expected.extend([
            0,                                // not internal
            2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 3, // partition 0 leader 1 epoch 3
            2, 0, 0, 0, 1, 2, 0, 0, 0, 1, 1, 0, // replicas [1], isr [1], offline [], tags
            0x80, 0, 0, 0, 0,                 // authorized ops, tags
            0, 0,                             // v13 error code
            0,                                // tags
        ]);
        assert_eq!(buf, expected);
        let back = MetadataResponse::decode(13, &mut Reader::new(&buf, "t")).unwrap();
        assert_eq!(back, sample());
    }

    #[test]
    fn v12_has_no_top_level_error() {
        let mut a = Vec::new();
        let mut b = Vec::new();
        sample().encode(12, &mut a);
        sample().encode(13, &mut b);
        assert_eq!(a.len() + 2, b.len());
        let mut r = Reader::new(&a, "t");
        assert_eq!(MetadataResponse::decode(12, &mut r).unwrap(), sample());
        assert!(r.is_empty());
    }

    #[test]
    fn every_truncation_is_an_error_naming_the_api() {
        let mut buf = Vec::new();
        sample().encode(13, &mut buf);
        for n in 0..buf.len() {
            let e = MetadataResponse::decode(13, &mut Reader::new(&buf[..n], "t")).unwrap_err();
            assert_eq!(e.context, "MetadataResponse");
            assert!(e.offset <= n, "offset {} beyond {n}", e.offset);
        }
    }
}
