//! Metadata (key 3), v0–v13: every version Kafka 4.x brokers accept (and the Java 4.x client
//! sends; KIP-896 removed none of them), so that brokers from Kafka 2.1 (v0–v7) on are served.
//! v9+ are flexible (compact types, tagged fields).
//!
//! Fields by version (`MetadataRequest.json` / `MetadataResponse.json`):
//! - request: a null topic array (all topics) from v1 (v0 writes an empty array, which means
//!   all topics there); `allow_auto_topic_creation` v4+; `include_cluster_authorized_operations`
//!   v8–v10 (always false here); `include_topic_authorized_operations` v8+; topic ids and null
//!   names v10+ (before v10 a topic asked for by id only is written with an empty name).
//! - response: `rack` v1+, `controller_id` v1+, `is_internal` v1+, `cluster_id` v2+,
//!   `throttle_time_ms` v3+, `offline_replicas` v5+, `leader_epoch` v7+,
//!   `topic_authorized_operations` v8+, `cluster_authorized_operations` v8–v10 (not kept),
//!   `topic_id` v10+, null topic names v12+, the top-level `error_code` v13+. Absent fields read
//!   as their schema defaults (0 throttle, null rack and cluster id, -1 controller and leader
//!   epoch, zero topic id, empty offline replicas, `i32::MIN` authorized operations).

use super::{Decode, Encode, check_version};
use crate::protocol::codec::{DecodeError, Reader, Uuid, Writer};
use crate::protocol::{ApiKey, ErrorCode, Request};

/// Versions this crate speaks.
pub const VERSIONS: (i16, i16) = (0, 13);

/// The first flexible version.
const FIRST_FLEXIBLE: i16 = 9;

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
    fn encode(&self, version: i16, buf: &mut Vec<u8>) {
        let flex = version >= FIRST_FLEXIBLE;
        match &self.topics {
            // v0 has no null array: an empty one asks for every topic.
            None if version == 0 => buf.put_array_len(0, flex),
            None => buf.put_length(None, flex, true),
            Some(topics) => {
                buf.put_array_len(topics.len(), flex);
                for t in topics {
                    if version >= 10 {
                        buf.put_uuid(&t.topic_id);
                        buf.put_nullable_string(t.name.as_deref(), flex);
                    } else {
                        buf.put_string(t.name.as_deref().unwrap_or(""), flex);
                    }
                    if flex {
                        buf.put_empty_tagged_fields();
                    }
                }
            }
        }
        if version >= 4 {
            buf.put_bool(self.allow_auto_topic_creation);
        }
        if (8..=10).contains(&version) {
            buf.put_bool(false); // include_cluster_authorized_operations
        }
        if version >= 8 {
            buf.put_bool(self.include_topic_authorized_operations);
        }
        if flex {
            buf.put_empty_tagged_fields();
        }
    }
}

impl Decode<'_> for MetadataRequest {
    fn decode(version: i16, r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.set_context("MetadataRequest");
        check_version(r, version, VERSIONS)?;
        let flex = version >= FIRST_FLEXIBLE;
        let min_topic = if version >= 10 { 18 } else { 1 };
        let topics = match r.nullable_array_len("topics", flex, min_topic)? {
            None => None,
            // v0: an empty array asks for every topic.
            Some(0) if version == 0 => None,
            Some(n) => {
                let mut topics = Vec::with_capacity(n);
                for _ in 0..n {
                    let (topic_id, name) = if version >= 10 {
                        (r.uuid("topic_id")?, r.nullable_string("name", flex)?)
                    } else {
                        (Uuid::ZERO, Some(r.string("name", flex)?))
                    };
                    if flex {
                        r.skip_tagged_fields()?;
                    }
                    topics.push(MetadataRequestTopic { topic_id, name });
                }
                Some(topics)
            }
        };
        let allow_auto_topic_creation = if version >= 4 {
            r.bool("allow_auto_topic_creation")?
        } else {
            true
        };
        if (8..=10).contains(&version) {
            r.bool("include_cluster_authorized_operations")?;
        }
        let include_topic_authorized_operations = if version >= 8 {
            r.bool("include_topic_authorized_operations")?
        } else {
            false
        };
        if flex {
            r.skip_tagged_fields()?;
        }
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
        let flex = version >= FIRST_FLEXIBLE;
        let tags = |buf: &mut Vec<u8>| {
            if flex {
                buf.put_empty_tagged_fields();
            }
        };
        if version >= 3 {
            buf.put_i32(self.throttle_time_ms);
        }
        buf.put_array_len(self.brokers.len(), flex);
        for b in &self.brokers {
            buf.put_i32(b.node_id);
            buf.put_string(&b.host, flex);
            buf.put_i32(b.port);
            if version >= 1 {
                buf.put_nullable_string(b.rack.as_deref(), flex);
            }
            tags(buf);
        }
        if version >= 2 {
            buf.put_nullable_string(self.cluster_id.as_deref(), flex);
        }
        if version >= 1 {
            buf.put_i32(self.controller_id);
        }
        buf.put_array_len(self.topics.len(), flex);
        for t in &self.topics {
            buf.put_i16(t.error_code.code());
            if version >= 12 {
                buf.put_nullable_string(t.name.as_deref(), flex);
            } else {
                buf.put_string(t.name.as_deref().unwrap_or(""), flex);
            }
            if version >= 10 {
                buf.put_uuid(&t.topic_id);
            }
            if version >= 1 {
                buf.put_bool(t.is_internal);
            }
            buf.put_array_len(t.partitions.len(), flex);
            for p in &t.partitions {
                buf.put_i16(p.error_code.code());
                buf.put_i32(p.partition_index);
                buf.put_i32(p.leader_id);
                if version >= 7 {
                    buf.put_i32(p.leader_epoch);
                }
                let offline = if version >= 5 {
                    Some(&p.offline_replicas)
                } else {
                    None
                };
                for ids in [Some(&p.replica_nodes), Some(&p.isr_nodes), offline]
                    .into_iter()
                    .flatten()
                {
                    buf.put_array_len(ids.len(), flex);
                    for id in ids {
                        buf.put_i32(*id);
                    }
                }
                tags(buf);
            }
            if version >= 8 {
                buf.put_i32(t.topic_authorized_operations);
            }
            tags(buf);
        }
        if (8..=10).contains(&version) {
            buf.put_i32(i32::MIN); // cluster_authorized_operations: not requested
        }
        if version >= 13 {
            buf.put_i16(self.error_code.code());
        }
        tags(buf);
    }
}

impl Decode<'_> for MetadataResponse {
    fn decode(version: i16, r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.set_context("MetadataResponse");
        check_version(r, version, VERSIONS)?;
        let flex = version >= FIRST_FLEXIBLE;
        let tags = |r: &mut Reader<'_>| if flex { r.skip_tagged_fields() } else { Ok(()) };
        let throttle_time_ms = if version >= 3 {
            r.i32("throttle_time_ms")?
        } else {
            0
        };
        let brokers = r.array_of("brokers", flex, 10, |r| {
            let node_id = r.i32("node_id")?;
            let host = r.string("host", flex)?;
            let port = r.i32("port")?;
            let rack = if version >= 1 {
                r.nullable_string("rack", flex)?
            } else {
                None
            };
            tags(r)?;
            Ok(MetadataResponseBroker {
                node_id,
                host,
                port,
                rack,
            })
        })?;
        let cluster_id = if version >= 2 {
            r.nullable_string("cluster_id", flex)?
        } else {
            None
        };
        let controller_id = if version >= 1 {
            r.i32("controller_id")?
        } else {
            -1
        };
        let topics = r.array_of("topics", flex, 4, |r| {
            let error_code = ErrorCode(r.i16("topic_error_code")?);
            let name = if version >= 12 {
                r.nullable_string("topic_name", flex)?
            } else {
                Some(r.string("topic_name", flex)?)
            };
            let topic_id = if version >= 10 {
                r.uuid("topic_id")?
            } else {
                Uuid::ZERO
            };
            let is_internal = version >= 1 && r.bool("is_internal")?;
            let partitions = r.array_of("partitions", flex, 12, |r| {
                let error_code = ErrorCode(r.i16("partition_error_code")?);
                let partition_index = r.i32("partition_index")?;
                let leader_id = r.i32("leader_id")?;
                let leader_epoch = if version >= 7 {
                    r.i32("leader_epoch")?
                } else {
                    -1
                };
                let replica_nodes = r.i32_array("replica_nodes", flex)?;
                let isr_nodes = r.i32_array("isr_nodes", flex)?;
                let offline_replicas = if version >= 5 {
                    r.i32_array("offline_replicas", flex)?
                } else {
                    Vec::new()
                };
                tags(r)?;
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
            let topic_authorized_operations = if version >= 8 {
                r.i32("topic_authorized_operations")?
            } else {
                i32::MIN
            };
            tags(r)?;
            Ok(MetadataResponseTopic {
                error_code,
                name,
                topic_id,
                is_internal,
                partitions,
                topic_authorized_operations,
            })
        })?;
        if (8..=10).contains(&version) {
            r.i32("cluster_authorized_operations")?;
        }
        let error_code = if version >= 13 {
            ErrorCode(r.i16("error_code")?)
        } else {
            ErrorCode::NONE
        };
        tags(r)?;
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

    /// `sample()` with the fields `version` lacks at their defaults (what a decoder reads).
    fn sample_at(version: i16) -> MetadataResponse {
        let mut m = sample();
        if version < 1 {
            m.controller_id = -1;
        }
        if version < 2 {
            m.cluster_id = None;
        }
        let t = &mut m.topics[0];
        if version < 10 {
            t.topic_id = Uuid::ZERO;
        }
        if version < 7 {
            t.partitions[0].leader_epoch = -1;
        }
        m
    }

    #[test]
    fn request_bytes_v0_to_v11() {
        let req = MetadataRequest {
            include_topic_authorized_operations: true,
            ..MetadataRequest::for_topics(["ab"], false)
        };
        let classic_topics = [0u8, 0, 0, 1, 0, 2, b'a', b'b'];
        let flexible_topic = [2u8, 3, b'a', b'b', 0];
        for v in 0..=11 {
            let mut expected = Vec::new();
            if v >= 10 {
                expected.push(2);
                expected.extend([0u8; 16]); // topic id zero
                expected.extend([3, b'a', b'b', 0]);
            } else if v == 9 {
                expected.extend(flexible_topic);
            } else {
                expected.extend(classic_topics);
            }
            if v >= 4 {
                expected.push(0); // no auto creation
            }
            if (8..=10).contains(&v) {
                expected.push(0); // no cluster authorized operations
            }
            if v >= 8 {
                expected.push(1); // topic authorized operations
            }
            if v >= 9 {
                expected.push(0); // tags
            }
            let mut buf = Vec::new();
            req.encode(v, &mut buf);
            assert_eq!(buf, expected, "v{v}");
            let mut back = req.clone();
            // Absent: auto creation defaults to true, authorized operations to false.
            back.allow_auto_topic_creation = v < 4 || req.allow_auto_topic_creation;
            back.include_topic_authorized_operations = v >= 8;
            let mut r = Reader::new(&buf, "t");
            assert_eq!(MetadataRequest::decode(v, &mut r).unwrap(), back, "v{v}");
            assert!(r.is_empty());
        }
        // Every topic: an empty array at v0, null from v1.
        let mut buf = Vec::new();
        MetadataRequest::default().encode(0, &mut buf);
        assert_eq!(buf, [0, 0, 0, 0]);
        assert_eq!(
            MetadataRequest::decode(0, &mut Reader::new(&buf, "t")).unwrap(),
            MetadataRequest {
                allow_auto_topic_creation: true,
                ..MetadataRequest::default()
            }
        );
        for v in 1..=3 {
            buf.clear();
            MetadataRequest::default().encode(v, &mut buf);
            assert_eq!(buf, [0xff, 0xff, 0xff, 0xff], "v{v}");
        }
    }

    #[test]
    fn response_bytes_v0_to_v12() {
        for v in 0..=12 {
            let mut expected = Vec::new();
            let flex = v >= 9;
            // Length prefixes: compact (n + 1) from v9, else INT32 (arrays) / INT16 (strings).
            let arr = |e: &mut Vec<u8>, n: u8| {
                if flex {
                    e.push(n + 1)
                } else {
                    e.extend([0, 0, 0, n])
                }
            };
            let st = |e: &mut Vec<u8>, s: &[u8]| {
                if flex {
                    e.push(s.len() as u8 + 1)
                } else {
                    e.extend([0, s.len() as u8])
                }
                e.extend(s);
            };
            let tags = |e: &mut Vec<u8>| {
                if flex {
                    e.push(0)
                }
            };
            if v >= 3 {
                expected.extend([0, 0, 0, 0]); // throttle
            }
            arr(&mut expected, 1);
            expected.extend([0, 0, 0, 1]); // node id
            st(&mut expected, b"h");
            expected.extend([0, 0, 0x23, 0x84]); // port 9092
            if v >= 1 {
                expected.extend(if flex { &[0][..] } else { &[0xff, 0xff][..] }); // rack null
            }
            tags(&mut expected);
            if v >= 2 {
                st(&mut expected, b"c"); // cluster id
            }
            if v >= 1 {
                expected.extend([0, 0, 0, 1]); // controller
            }
            arr(&mut expected, 1);
            expected.extend([0, 0]); // topic error
            st(&mut expected, b"t");
            if v >= 10 {
                expected.extend([7u8; 16]);
            }
            if v >= 1 {
                expected.push(0); // not internal
            }
            arr(&mut expected, 1);
            expected.extend([0, 0, 0, 0, 0, 0, 0, 0, 0, 1]); // error, partition 0, leader 1
            if v >= 7 {
                expected.extend([0, 0, 0, 3]); // leader epoch
            }
            arr(&mut expected, 1);
            expected.extend([0, 0, 0, 1]); // replicas [1]
            arr(&mut expected, 1);
            expected.extend([0, 0, 0, 1]); // isr [1]
            if v >= 5 {
                arr(&mut expected, 0); // offline []
            }
            tags(&mut expected);
            if v >= 8 {
                expected.extend([0x80, 0, 0, 0]); // topic authorized operations
            }
            tags(&mut expected);
            if (8..=10).contains(&v) {
                expected.extend([0x80, 0, 0, 0]); // cluster authorized operations
            }
            tags(&mut expected);
            let mut buf = Vec::new();
            sample().encode(v, &mut buf);
            assert_eq!(buf, expected, "v{v}");
            let mut r = Reader::new(&buf, "t");
            assert_eq!(
                MetadataResponse::decode(v, &mut r).unwrap(),
                sample_at(v),
                "v{v}"
            );
            assert!(r.is_empty());
        }
    }

    #[test]
    fn v0_response_literal() {
        // Kafka 0.8-style answer: brokers (id, host, port), topics without is_internal.
        #[rustfmt::skip]
        let bytes = [
            0, 0, 0, 1, 0, 0, 0, 1, 0, 1, b'h', 0, 0, 0x23, 0x84,
            0, 0, 0, 1, 0, 3, 0, 1, b't', // UNKNOWN_TOPIC_OR_PARTITION, "t"
            0, 0, 0, 0,                   // no partitions
        ];
        let m = MetadataResponse::decode(0, &mut Reader::new(&bytes, "t")).unwrap();
        assert_eq!(m.controller_id, -1);
        assert_eq!(m.cluster_id, None);
        assert_eq!(m.brokers[0].rack, None);
        assert_eq!(
            m.topics[0].error_code,
            ErrorCode::UNKNOWN_TOPIC_OR_PARTITION
        );
        assert_eq!(m.topics[0].topic_id, Uuid::ZERO);
        assert_eq!(m.topics[0].topic_authorized_operations, i32::MIN);
    }

    #[test]
    fn old_truncations_are_errors() {
        for v in [0, 1, 5, 7, 8, 9, 10] {
            let mut buf = Vec::new();
            sample().encode(v, &mut buf);
            for n in 0..buf.len() {
                let e = MetadataResponse::decode(v, &mut Reader::new(&buf[..n], "t")).unwrap_err();
                assert_eq!(e.context, "MetadataResponse", "v{v}");
            }
        }
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
