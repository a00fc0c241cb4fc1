//! Produce (key 0), v3–v12: the versions addressing topics by name that carry record batch v2
//! and the transactional id (v3, Kafka 0.11, is the Java 4.x client's floor: KIP-896 removed
//! v0–v2). v9+ are flexible (compact types, tagged fields); v13 addresses topics by id and is not
//! used yet.
//!
//! Fields by version (`ProduceRequest.json` / `ProduceResponse.json`): the request is the same
//! from v3 on; the response gains `log_start_offset` in v5, `record_errors` and `error_message`
//! in v8, and the tagged `current_leader` / `node_endpoints` in v10 (absent ones read as their
//! schema defaults: -1, empty, null). zstd batches need v7 (KIP-110).
//!
//! The request borrows the record batches it carries (`&'a [u8]`): the batches are written once,
//! into the accumulator's buffers, and never copied into an intermediate structure.

use super::{Decode, Encode, check_version};
use crate::protocol::codec::{DecodeError, Reader, Writer};
use crate::protocol::{ApiKey, ErrorCode, Request};

/// Versions this crate speaks.
pub const VERSIONS: (i16, i16) = (3, 12);

/// The first version a broker accepts zstd-compressed batches with (KIP-110, Kafka 2.1).
pub const FIRST_ZSTD_VERSION: i16 = 7;

/// The first flexible version.
const FIRST_FLEXIBLE: i16 = 9;

/// Record data for one partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionProduceData<'a> {
    /// Partition index.
    pub index: i32,
    /// One or more RecordBatch v2, back to back (null is allowed by the protocol).
    pub records: Option<&'a [u8]>,
}

/// Record data for one topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicProduceData<'a> {
    /// Topic name.
    pub name: String,
    /// Per-partition data.
    pub partitions: Vec<PartitionProduceData<'a>>,
}

/// The Produce request body.
///
/// ```
/// use kafka_producer::protocol::messages::{Encode, PartitionProduceData, ProduceRequest, TopicProduceData};
/// let batch = [0u8; 3]; // normally a RecordBatch v2
/// let req = ProduceRequest {
///     transactional_id: None,
///     acks: -1,
///     timeout_ms: 30_000,
///     topics: vec![TopicProduceData {
///         name: "t".into(),
///         partitions: vec![PartitionProduceData { index: 0, records: Some(&batch) }],
///     }],
/// };
/// let mut buf = Vec::new();
/// req.encode(9, &mut buf);
/// assert_eq!(&buf[..7], &[0, 0xff, 0xff, 0, 0, 0x75, 0x30]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProduceRequest<'a> {
    /// Transactional id, or `None` for a non-transactional producer.
    pub transactional_id: Option<String>,
    /// 0 (no response), 1 (leader) or -1 (all in-sync replicas).
    pub acks: i16,
    /// How long the broker may wait for replication, in milliseconds.
    pub timeout_ms: i32,
    /// Per-topic data.
    pub topics: Vec<TopicProduceData<'a>>,
}

impl Request for ProduceRequest<'_> {
    const API_KEY: ApiKey = ApiKey::Produce;
    type Response = ProduceResponse;
}

impl Encode for ProduceRequest<'_> {
    fn encode(&self, version: i16, buf: &mut Vec<u8>) {
        self.write_body(version, buf, |buf, records| buf.put_slice(records));
    }
}

impl ProduceRequest<'_> {
    /// Writes the body at `version`; `write_records` is called after each partition's records
    /// length prefix, to write the records or to note where they go.
    fn write_body(
        &self,
        version: i16,
        buf: &mut Vec<u8>,
        mut write_records: impl FnMut(&mut Vec<u8>, &[u8]),
    ) {
        let flex = version >= FIRST_FLEXIBLE;
        buf.put_nullable_string(self.transactional_id.as_deref(), flex);
        buf.put_i16(self.acks);
        buf.put_i32(self.timeout_ms);
        buf.put_array_len(self.topics.len(), flex);
        for t in &self.topics {
            buf.put_string(&t.name, flex);
            buf.put_array_len(t.partitions.len(), flex);
            for p in &t.partitions {
                buf.put_i32(p.index);
                match p.records {
                    Some(r) => {
                        buf.put_length(Some(r.len()), flex, true);
                        write_records(buf, r);
                    }
                    None => buf.put_length(None, flex, true),
                }
                if flex {
                    buf.put_empty_tagged_fields();
                }
            }
            if flex {
                buf.put_empty_tagged_fields();
            }
        }
        if flex {
            buf.put_empty_tagged_fields();
        }
    }

    /// Writes a whole framed request (size prefix, header, body) like
    /// [`encode_request`](crate::protocol::encode_request), except that the records themselves
    /// are left out: their length prefixes are written, and the returned positions say where in
    /// `buf` each partition's records belong, in request order. A vectored write of
    /// `buf[..p0]`, records 0, `buf[p0..p1]`, records 1, ..., `buf[pn..]` sends exactly the
    /// bytes `encode_request` would, without copying the record batches.
    pub fn encode_vectored(
        &self,
        buf: &mut Vec<u8>,
        version: i16,
        correlation_id: i32,
        client_id: Option<&str>,
    ) -> Vec<usize> {
        let at = crate::protocol::frame::begin_frame(buf);
        crate::protocol::RequestHeader {
            api_key: ApiKey::Produce,
            api_version: version,
            correlation_id,
            client_id,
        }
        .encode(buf, ApiKey::Produce.request_header_flexible(version));
        let mut splits = Vec::new();
        let mut records_len = 0usize;
        self.write_body(version, buf, |buf, records| {
            splits.push(buf.len());
            records_len += records.len();
        });
        let size = (buf.len() - at - crate::protocol::frame::SIZE_PREFIX + records_len) as i32;
        buf[at..at + 4].copy_from_slice(&size.to_be_bytes());
        splits
    }
}

impl<'a> Decode<'a> for ProduceRequest<'a> {
    fn decode(version: i16, r: &mut Reader<'a>) -> Result<Self, DecodeError> {
        r.set_context("ProduceRequest");
        check_version(r, version, VERSIONS)?;
        let flex = version >= FIRST_FLEXIBLE;
        let transactional_id = r.nullable_string("transactional_id", flex)?;
        let acks = r.i16("acks")?;
        let timeout_ms = r.i32("timeout_ms")?;
        let topics = r.array_of("topic_data", flex, 3, |r| {
            let name = r.string("name", flex)?;
            let partitions = r.array_of("partition_data", flex, 6, |r| {
                let index = r.i32("index")?;
                let records = r.nullable_bytes("records", flex)?;
                if flex {
                    r.skip_tagged_fields()?;
                }
                Ok(PartitionProduceData { index, records })
            })?;
            if flex {
                r.skip_tagged_fields()?;
            }
            Ok(TopicProduceData { name, partitions })
        })?;
        if flex {
            r.skip_tagged_fields()?;
        }
        Ok(ProduceRequest {
            transactional_id,
            acks,
            timeout_ms,
            topics,
        })
    }
}

/// A record the broker rejected, making it drop the whole batch (KIP-467).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordError {
    /// Index of the record within its batch.
    pub batch_index: i32,
    /// Why.
    pub message: Option<String>,
}

/// The leader a broker points to when it answers `NOT_LEADER_OR_FOLLOWER` (KIP-951, v10+).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeaderIdAndEpoch {
    /// Leader id, -1 when unknown.
    pub leader_id: i32,
    /// Leader epoch, -1 when unknown.
    pub leader_epoch: i32,
}

/// An endpoint named by a v10+ response for the new leaders it points to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeEndpoint {
    /// Node id.
    pub node_id: i32,
    /// Host.
    pub host: String,
    /// Port.
    pub port: i32,
    /// Rack.
    pub rack: Option<String>,
}

/// The result for one partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionProduceResponse {
    /// Partition index.
    pub index: i32,
    /// Error, `NONE` on success.
    pub error_code: ErrorCode,
    /// Offset of the first record written.
    pub base_offset: i64,
    /// Broker append time when the topic uses LogAppendTime, else -1.
    pub log_append_time_ms: i64,
    /// Log start offset.
    pub log_start_offset: i64,
    /// Records that made the broker drop the batch.
    pub record_errors: Vec<RecordError>,
    /// Summary error message.
    pub error_message: Option<String>,
    /// Current leader hint (v10+ tag 0).
    pub current_leader: Option<LeaderIdAndEpoch>,
}

/// The result for one topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicProduceResponse {
    /// Topic name.
    pub name: String,
    /// Per-partition results.
    pub partitions: Vec<PartitionProduceResponse>,
}

/// The Produce response body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProduceResponse {
    /// Per-topic results.
    pub responses: Vec<TopicProduceResponse>,
    /// Quota throttle.
    pub throttle_time_ms: i32,
    /// Endpoints of the leaders named in `current_leader` hints (v10+ tag 0).
    pub node_endpoints: Vec<NodeEndpoint>,
}

impl Encode for ProduceResponse {
    fn encode(&self, version: i16, buf: &mut Vec<u8>) {
        let flex = version >= FIRST_FLEXIBLE;
        buf.put_array_len(self.responses.len(), flex);
        for t in &self.responses {
            buf.put_string(&t.name, flex);
            buf.put_array_len(t.partitions.len(), flex);
            for p in &t.partitions {
                buf.put_i32(p.index);
                buf.put_i16(p.error_code.code());
                buf.put_i64(p.base_offset);
                buf.put_i64(p.log_append_time_ms);
                if version >= 5 {
                    buf.put_i64(p.log_start_offset);
                }
                if version >= 8 {
                    buf.put_array_len(p.record_errors.len(), flex);
                    for e in &p.record_errors {
                        buf.put_i32(e.batch_index);
                        buf.put_nullable_string(e.message.as_deref(), flex);
                        if flex {
                            buf.put_empty_tagged_fields();
                        }
                    }
                    buf.put_nullable_string(p.error_message.as_deref(), flex);
                }
                if !flex {
                    continue;
                }
                match p.current_leader {
                    Some(l) if version >= 10 => {
                        let mut sub = Vec::with_capacity(9);
                        sub.put_i32(l.leader_id);
                        sub.put_i32(l.leader_epoch);
                        sub.put_empty_tagged_fields();
                        buf.put_uvarint(1);
                        buf.put_tagged_field(0, &sub);
                    }
                    _ => buf.put_empty_tagged_fields(),
                }
            }
            if flex {
                buf.put_empty_tagged_fields();
            }
        }
        buf.put_i32(self.throttle_time_ms);
        if !flex {
            return;
        }
        if version >= 10 && !self.node_endpoints.is_empty() {
            let mut sub = Vec::new();
            sub.put_array_len(self.node_endpoints.len(), true);
            for n in &self.node_endpoints {
                sub.put_i32(n.node_id);
                sub.put_string(&n.host, true);
                sub.put_i32(n.port);
                sub.put_nullable_string(n.rack.as_deref(), true);
                sub.put_empty_tagged_fields();
            }
            buf.put_uvarint(1);
            buf.put_tagged_field(0, &sub);
        } else {
            buf.put_empty_tagged_fields();
        }
    }
}

impl Decode<'_> for ProduceResponse {
    fn decode(version: i16, r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.set_context("ProduceResponse");
        check_version(r, version, VERSIONS)?;
        let flex = version >= FIRST_FLEXIBLE;
        // The smallest partition response: index, error, base offset, append time (v2+), log
        // start offset (v5+), record errors and error message (v8+), tags (v9+).
        let min_partition = 22 + if version >= 5 { 8 } else { 0 } + if flex { 3 } else { 0 };
        let responses = r.array_of("responses", flex, 3, |r| {
            let name = r.string("name", flex)?;
            let partitions = r.array_of("partition_responses", flex, min_partition, |r| {
                let index = r.i32("index")?;
                let error_code = ErrorCode(r.i16("error_code")?);
                let base_offset = r.i64("base_offset")?;
                let log_append_time_ms = r.i64("log_append_time_ms")?;
                let log_start_offset = if version >= 5 {
                    r.i64("log_start_offset")?
                } else {
                    -1
                };
                let (record_errors, error_message) = if version >= 8 {
                    let record_errors = r.array_of("record_errors", flex, 6, |r| {
                        let batch_index = r.i32("batch_index")?;
                        let message = r.nullable_string("batch_index_error_message", flex)?;
                        if flex {
                            r.skip_tagged_fields()?;
                        }
                        Ok(RecordError {
                            batch_index,
                            message,
                        })
                    })?;
                    (record_errors, r.nullable_string("error_message", flex)?)
                } else {
                    (Vec::new(), None)
                };
                let mut current_leader = None;
                if flex {
                    r.tagged_fields(|tag, sub| {
                        if tag == 0 && version >= 10 {
                            let leader_id = sub.i32("current_leader.leader_id")?;
                            let leader_epoch = sub.i32("current_leader.leader_epoch")?;
                            sub.skip_tagged_fields()?;
                            current_leader = Some(LeaderIdAndEpoch {
                                leader_id,
                                leader_epoch,
                            });
                        }
                        Ok(())
                    })?;
                }
                Ok(PartitionProduceResponse {
                    index,
                    error_code,
                    base_offset,
                    log_append_time_ms,
                    log_start_offset,
                    record_errors,
                    error_message,
                    current_leader,
                })
            })?;
            if flex {
                r.skip_tagged_fields()?;
            }
            Ok(TopicProduceResponse { name, partitions })
        })?;
        let throttle_time_ms = r.i32("throttle_time_ms")?;
        let mut node_endpoints = Vec::new();
        if flex {
            r.tagged_fields(|tag, sub| {
                if tag == 0 && version >= 10 {
                    node_endpoints = sub.array_of("node_endpoints", true, 11, |r| {
                        let node_id = r.i32("node_id")?;
                        let host = r.string("host", true)?;
                        let port = r.i32("port")?;
                        let rack = r.nullable_string("rack", true)?;
                        r.skip_tagged_fields()?;
                        Ok(NodeEndpoint {
                            node_id,
                            host,
                            port,
                            rack,
                        })
                    })?;
                }
                Ok(())
            })?;
        }
        Ok(ProduceResponse {
            responses,
            throttle_time_ms,
            node_endpoints,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(version: i16) -> ProduceResponse {
        ProduceResponse {
            responses: vec![TopicProduceResponse {
                name: "t".into(),
                partitions: vec![PartitionProduceResponse {
                    index: 2,
                    error_code: ErrorCode::NOT_LEADER_OR_FOLLOWER,
                    base_offset: -1,
                    log_append_time_ms: -1,
                    log_start_offset: 0,
                    record_errors: vec![RecordError {
                        batch_index: 1,
                        message: Some("bad".into()),
                    }],
                    error_message: None,
                    current_leader: (version >= 10).then_some(LeaderIdAndEpoch {
                        leader_id: 3,
                        leader_epoch: 9,
                    }),
                }],
            }],
            throttle_time_ms: 5,
            node_endpoints: if version >= 10 {
                vec![NodeEndpoint {
                    node_id: 3,
                    host: "b3".into(),
                    port: 9094,
                    rack: Some("r".into()),
                }]
            } else {
                vec![]
            },
        }
    }

    #[test]
    fn request_bytes() {
        let records = [0xde, 0xad];
        let req = ProduceRequest {
            transactional_id: None,
            acks: 1,
            timeout_ms: 1000,
            topics: vec![TopicProduceData {
                name: "t".into(),
                partitions: vec![PartitionProduceData {
                    index: 0,
                    records: Some(&records),
                }],
            }],
        };
        let mut buf = Vec::new();
        req.encode(9, &mut buf);
        #[rustfmt::skip]
        let expected = [
            0,                // transactional id null
            0, 1,             // acks
            0, 0, 0x03, 0xe8, // timeout
            2, 2, b't',       // one topic "t"
            2, 0, 0, 0, 0,    // one partition, index 0
            3, 0xde, 0xad,    // records, compact bytes
            0, 0, 0,          // tags: partition, topic, request
        ];
        assert_eq!(buf, expected);
        let back = ProduceRequest::decode(12, &mut Reader::new(&buf, "t")).unwrap();
        assert_eq!(back, req);
    }

    #[test]
    fn vectored_encoding_equals_plain_encoding() {
        let r1 = [1u8, 2, 3];
        let r2 = [9u8; 200];
        let req = ProduceRequest {
            transactional_id: None,
            acks: -1,
            timeout_ms: 30_000,
            topics: vec![
                TopicProduceData {
                    name: "a".into(),
                    partitions: vec![
                        PartitionProduceData {
                            index: 0,
                            records: Some(&r1),
                        },
                        PartitionProduceData {
                            index: 1,
                            records: None,
                        },
                    ],
                },
                TopicProduceData {
                    name: "b".into(),
                    partitions: vec![PartitionProduceData {
                        index: 7,
                        records: Some(&r2),
                    }],
                },
            ],
        };
        let mut plain = Vec::new();
        crate::protocol::encode_request(&mut plain, &req, 11, 42, Some("c"));
        let mut head = Vec::new();
        let splits = req.encode_vectored(&mut head, 11, 42, Some("c"));
        assert_eq!(splits.len(), 2);
        let mut joined = head[..splits[0]].to_vec();
        joined.extend_from_slice(&r1);
        joined.extend_from_slice(&head[splits[0]..splits[1]]);
        joined.extend_from_slice(&r2);
        joined.extend_from_slice(&head[splits[1]..]);
        assert_eq!(joined, plain);
    }

    #[test]
    fn response_bytes_v9() {
        let mut buf = Vec::new();
        response(9).encode(9, &mut buf);
        #[rustfmt::skip]
        let expected = [
            2, 2, b't',              // one topic "t"
            2, 0, 0, 0, 2, 0, 6,     // one partition: 2, NOT_LEADER_OR_FOLLOWER
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, // base offset -1
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, // append time -1
            0, 0, 0, 0, 0, 0, 0, 0,  // log start 0
            2, 0, 0, 0, 1, 4, b'b', b'a', b'd', 0, // record errors
            0,                       // error message null
            0, 0,                    // partition tags, topic tags
            0, 0, 0, 5,              // throttle
            0,                       // tags
        ];
        assert_eq!(buf, expected);
        assert_eq!(
            ProduceResponse::decode(9, &mut Reader::new(&buf, "t")).unwrap(),
            response(9)
        );
    }

    #[test]
    fn response_v10_tagged_leader_and_endpoints_round_trip() {
        for v in 10..=12 {
            let mut buf = Vec::new();
            response(v).encode(v, &mut buf);
            let mut r = Reader::new(&buf, "t");
            assert_eq!(ProduceResponse::decode(v, &mut r).unwrap(), response(v));
            assert!(r.is_empty());
        }
    }

    /// v3–v8: classic (non-flexible) encoding, the same fields at every version.
    #[test]
    fn request_bytes_v3_to_v8() {
        let records = [0xde, 0xad];
        let req = ProduceRequest {
            transactional_id: Some("x".into()),
            acks: -1,
            timeout_ms: 1000,
            topics: vec![TopicProduceData {
                name: "t".into(),
                partitions: vec![
                    PartitionProduceData {
                        index: 0,
                        records: Some(&records),
                    },
                    PartitionProduceData {
                        index: 1,
                        records: None,
                    },
                ],
            }],
        };
        #[rustfmt::skip]
        let expected = [
            0, 1, b'x',                   // transactional id (INT16 length)
            0xff, 0xff,                   // acks -1
            0, 0, 0x03, 0xe8,             // timeout
            0, 0, 0, 1, 0, 1, b't',       // one topic "t"
            0, 0, 0, 2,                   // two partitions
            0, 0, 0, 0, 0, 0, 0, 2, 0xde, 0xad, // 0: records (INT32 length)
            0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, // 1: null records
        ];
        for v in 3..=8 {
            let mut buf = Vec::new();
            req.encode(v, &mut buf);
            assert_eq!(buf, expected, "v{v}");
            let mut r = Reader::new(&buf, "t");
            assert_eq!(ProduceRequest::decode(v, &mut r).unwrap(), req, "v{v}");
            assert!(r.is_empty());
            // The vectored framing (request header v1 before v9) matches the plain one.
            let mut plain = Vec::new();
            crate::protocol::encode_request(&mut plain, &req, v, 7, Some("c"));
            let mut head = Vec::new();
            let splits = req.encode_vectored(&mut head, v, 7, Some("c"));
            assert_eq!(splits.len(), 1);
            let mut joined = head[..splits[0]].to_vec();
            joined.extend_from_slice(&records);
            joined.extend_from_slice(&head[splits[0]..]);
            assert_eq!(joined, plain, "v{v}");
        }
        // v0-v2 (message formats v0/v1, no transactional id) are not spoken.
        let e = ProduceRequest::decode(2, &mut Reader::new(&expected, "t")).unwrap_err();
        assert!(e.to_string().contains("version"), "{e}");
    }

    /// The partition fields present at `version`, the rest at their defaults (what a decoder
    /// reads when they are absent).
    fn old_response(version: i16) -> ProduceResponse {
        let mut r = response(9);
        let p = &mut r.responses[0].partitions[0];
        p.base_offset = 42;
        p.log_append_time_ms = 7;
        if version < 5 {
            p.log_start_offset = -1;
        }
        if version < 8 {
            p.record_errors.clear();
            p.error_message = None;
        } else {
            p.error_message = Some("m".into());
        }
        r
    }

    #[test]
    fn response_bytes_v3_to_v8() {
        #[rustfmt::skip]
        let head = [
            0, 0, 0, 1, 0, 1, b't',       // one topic "t"
            0, 0, 0, 1, 0, 0, 0, 2, 0, 6, // one partition: 2, NOT_LEADER_OR_FOLLOWER
            0, 0, 0, 0, 0, 0, 0, 42,      // base offset
            0, 0, 0, 0, 0, 0, 0, 7,       // log append time (v2+)
        ];
        let log_start = [0u8; 8]; // v5+
        #[rustfmt::skip]
        let v8_fields = [
            0, 0, 0, 1, 0, 0, 0, 1, 0, 3, b'b', b'a', b'd', // record errors
            0, 1, b'm',                   // error message
        ];
        let throttle = [0, 0, 0, 5];
        for v in 3..=8 {
            let mut expected = head.to_vec();
            if v >= 5 {
                expected.extend(log_start);
            }
            if v >= 8 {
                expected.extend(v8_fields);
            }
            expected.extend(throttle);
            let mut buf = Vec::new();
            old_response(v).encode(v, &mut buf);
            assert_eq!(buf, expected, "v{v}");
            let mut r = Reader::new(&buf, "t");
            assert_eq!(
                ProduceResponse::decode(v, &mut r).unwrap(),
                old_response(v),
                "v{v}"
            );
            assert!(r.is_empty());
            // Fields the version lacks are not written, whatever they hold.
            let mut buf2 = Vec::new();
            old_response(9).encode(v, &mut buf2);
            assert_eq!(buf2, buf, "v{v}");
        }
    }

    #[test]
    fn old_response_truncations_are_errors() {
        for v in [3, 5, 8] {
            let mut buf = Vec::new();
            old_response(v).encode(v, &mut buf);
            for n in 0..buf.len() {
                let e = ProduceResponse::decode(v, &mut Reader::new(&buf[..n], "t")).unwrap_err();
                assert_eq!(e.context, "ProduceResponse");
            }
        }
    }

    #[test]
    fn unknown_tags_are_skipped() {
        // Partition-level tag 7 holding 2 bytes must be skipped by a v9 reader.
        let mut buf = Vec::new();
        response(9).encode(9, &mut buf);
        // The partition's tagged-field byte is the 0 right after error_message (index 45).
        assert_eq!(&buf[44..47], &[0, 0, 0]);
        buf.splice(45..46, [1, 7, 2, 0xaa, 0xbb]);
        assert_eq!(
            ProduceResponse::decode(9, &mut Reader::new(&buf, "t")).unwrap(),
            response(9)
        );
    }
}
