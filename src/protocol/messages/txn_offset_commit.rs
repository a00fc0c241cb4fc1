//! TxnOffsetCommit (key 28), v0–v5; flexible from v3. A transactional producer commits a
//! consumer group's offsets, sent to the group coordinator, as part of its transaction.
//!
//! v2 adds each partition's committed leader epoch; v3 (KIP-447) the consumer's generation id,
//! member id and group instance id, so that the group coordinator can fence zombies; v1, v4 and
//! v5 only change error codes.

use super::{
    Decode, Encode, PartitionErrorFields, check_version, put_partition_errors,
    read_partition_errors,
};
use crate::protocol::codec::{DecodeError, Reader, Writer};
use crate::protocol::{ApiKey, ErrorCode, Request};

/// Versions this crate speaks.
pub const VERSIONS: (i16, i16) = (0, 5);

/// The TxnOffsetCommit request body.
///
/// ```
/// use kafka_producer::protocol::messages::{Encode, TxnOffsetCommitRequest};
/// let req = TxnOffsetCommitRequest {
///     transactional_id: "tx".into(),
///     group_id: "g".into(),
///     producer_id: 7,
///     producer_epoch: 1,
///     ..Default::default()
/// };
/// let mut buf = Vec::new();
/// req.encode(3, &mut buf);
/// #[rustfmt::skip]
/// let expected = [
///     3, b't', b'x', 2, b'g', 0, 0, 0, 0, 0, 0, 0, 7, 0, 1,
///     0xff, 0xff, 0xff, 0xff, // generation_id -1
///     1,                      // member_id ""
///     0,                      // group_instance_id null
///     1,                      // no topics
///     0,
/// ];
/// assert_eq!(buf, expected);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxnOffsetCommitRequest {
    /// The transactional id.
    pub transactional_id: String,
    /// The consumer group.
    pub group_id: String,
    /// The producer id.
    pub producer_id: i64,
    /// The producer epoch.
    pub producer_epoch: i16,
    /// The consumer's generation (v3+; -1 otherwise).
    pub generation_id: i32,
    /// The consumer's member id (v3+; empty otherwise).
    pub member_id: String,
    /// The consumer's static group instance id (v3+).
    pub group_instance_id: Option<String>,
    /// The offsets to commit, by topic.
    pub topics: Vec<TxnOffsetCommitRequestTopic>,
}

impl Default for TxnOffsetCommitRequest {
    fn default() -> Self {
        TxnOffsetCommitRequest {
            transactional_id: String::new(),
            group_id: String::new(),
            producer_id: -1,
            producer_epoch: -1,
            generation_id: -1,
            member_id: String::new(),
            group_instance_id: None,
            topics: Vec::new(),
        }
    }
}

/// The offsets of one topic.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TxnOffsetCommitRequestTopic {
    /// Topic name.
    pub name: String,
    /// The offsets, by partition.
    pub partitions: Vec<TxnOffsetCommitRequestPartition>,
}

/// The offset of one partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxnOffsetCommitRequestPartition {
    /// Partition index.
    pub partition_index: i32,
    /// The offset to commit (the next record the group will consume).
    pub committed_offset: i64,
    /// Leader epoch of the last consumed record (v2+; -1 when unknown or before v2).
    pub committed_leader_epoch: i32,
    /// Metadata kept with the offset.
    pub committed_metadata: Option<String>,
}

impl Default for TxnOffsetCommitRequestPartition {
    fn default() -> Self {
        TxnOffsetCommitRequestPartition {
            partition_index: 0,
            committed_offset: 0,
            committed_leader_epoch: -1,
            committed_metadata: None,
        }
    }
}

impl Request for TxnOffsetCommitRequest {
    const API_KEY: ApiKey = ApiKey::TxnOffsetCommit;
    type Response = TxnOffsetCommitResponse;
}

impl Encode for TxnOffsetCommitRequest {
    fn encode(&self, version: i16, buf: &mut Vec<u8>) {
        let flexible = version >= 3;
        buf.put_string(&self.transactional_id, flexible);
        buf.put_string(&self.group_id, flexible);
        buf.put_i64(self.producer_id);
        buf.put_i16(self.producer_epoch);
        if version >= 3 {
            buf.put_i32(self.generation_id);
            buf.put_string(&self.member_id, flexible);
            buf.put_nullable_string(self.group_instance_id.as_deref(), flexible);
        }
        buf.put_array_len(self.topics.len(), flexible);
        for t in &self.topics {
            buf.put_string(&t.name, flexible);
            buf.put_array_len(t.partitions.len(), flexible);
            for p in &t.partitions {
                buf.put_i32(p.partition_index);
                buf.put_i64(p.committed_offset);
                if version >= 2 {
                    buf.put_i32(p.committed_leader_epoch);
                }
                buf.put_nullable_string(p.committed_metadata.as_deref(), flexible);
                if flexible {
                    buf.put_empty_tagged_fields();
                }
            }
            if flexible {
                buf.put_empty_tagged_fields();
            }
        }
        if flexible {
            buf.put_empty_tagged_fields();
        }
    }
}

impl Decode<'_> for TxnOffsetCommitRequest {
    fn decode(version: i16, r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.set_context("TxnOffsetCommitRequest");
        check_version(r, version, VERSIONS)?;
        let flexible = version >= 3;
        let transactional_id = r.string("transactional_id", flexible)?;
        let group_id = r.string("group_id", flexible)?;
        let producer_id = r.i64("producer_id")?;
        let producer_epoch = r.i16("producer_epoch")?;
        let (generation_id, member_id, group_instance_id) = if version >= 3 {
            (
                r.i32("generation_id")?,
                r.string("member_id", flexible)?,
                r.nullable_string("group_instance_id", flexible)?,
            )
        } else {
            (-1, String::new(), None)
        };
        let topics = r.array_of("topics", flexible, 2, |r| {
            let name = r.string("name", flexible)?;
            let partitions = r.array_of("partitions", flexible, 13, |r| {
                let partition_index = r.i32("partition_index")?;
                let committed_offset = r.i64("committed_offset")?;
                let committed_leader_epoch = if version >= 2 {
                    r.i32("committed_leader_epoch")?
                } else {
                    -1
                };
                let committed_metadata = r.nullable_string("committed_metadata", flexible)?;
                if flexible {
                    r.skip_tagged_fields()?;
                }
                Ok(TxnOffsetCommitRequestPartition {
                    partition_index,
                    committed_offset,
                    committed_leader_epoch,
                    committed_metadata,
                })
            })?;
            if flexible {
                r.skip_tagged_fields()?;
            }
            Ok(TxnOffsetCommitRequestTopic { name, partitions })
        })?;
        if flexible {
            r.skip_tagged_fields()?;
        }
        Ok(TxnOffsetCommitRequest {
            transactional_id,
            group_id,
            producer_id,
            producer_epoch,
            generation_id,
            member_id,
            group_instance_id,
            topics,
        })
    }
}

/// The TxnOffsetCommit response body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TxnOffsetCommitResponse {
    /// Quota throttle.
    pub throttle_time_ms: i32,
    /// The results, by topic.
    pub topics: Vec<TxnOffsetCommitResponseTopic>,
}

/// The results of one topic.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TxnOffsetCommitResponseTopic {
    /// Topic name.
    pub name: String,
    /// The results, by partition.
    pub partitions: Vec<TxnOffsetCommitResponsePartition>,
}

/// The result of one partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TxnOffsetCommitResponsePartition {
    /// Partition index.
    pub partition_index: i32,
    /// Error, `NONE` on success.
    pub error_code: ErrorCode,
}

impl Encode for TxnOffsetCommitResponse {
    fn encode(&self, version: i16, buf: &mut Vec<u8>) {
        let flexible = version >= 3;
        buf.put_i32(self.throttle_time_ms);
        put_partition_errors(buf, flexible, &self.topics, |t| {
            let p = t.partitions.iter();
            (
                &t.name,
                p.map(|p| (p.partition_index, p.error_code)).collect(),
            )
        });
        if flexible {
            buf.put_empty_tagged_fields();
        }
    }
}

impl Decode<'_> for TxnOffsetCommitResponse {
    fn decode(version: i16, r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.set_context("TxnOffsetCommitResponse");
        check_version(r, version, VERSIONS)?;
        let flexible = version >= 3;
        let throttle_time_ms = r.i32("throttle_time_ms")?;
        let fields = PartitionErrorFields {
            topics: "topics",
            partitions: "partitions",
            error_code: "error_code",
        };
        let topics = read_partition_errors(r, flexible, fields, |name, partitions| {
            TxnOffsetCommitResponseTopic {
                name,
                partitions: partitions
                    .into_iter()
                    .map(
                        |(partition_index, error_code)| TxnOffsetCommitResponsePartition {
                            partition_index,
                            error_code,
                        },
                    )
                    .collect(),
            }
        })?;
        if flexible {
            r.skip_tagged_fields()?;
        }
        Ok(TxnOffsetCommitResponse {
            throttle_time_ms,
            topics,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> TxnOffsetCommitRequest {
        TxnOffsetCommitRequest {
            transactional_id: "tx".into(),
            group_id: "g".into(),
            producer_id: 7,
            producer_epoch: 1,
            generation_id: 3,
            member_id: "m".into(),
            group_instance_id: Some("i".into()),
            topics: vec![TxnOffsetCommitRequestTopic {
                name: "t".into(),
                partitions: vec![TxnOffsetCommitRequestPartition {
                    partition_index: 1,
                    committed_offset: 5,
                    committed_leader_epoch: 2,
                    committed_metadata: None,
                }],
            }],
        }
    }

    /// What version `v` carries of `req`: the fields it lacks at their defaults.
    fn at(req: &TxnOffsetCommitRequest, v: i16) -> TxnOffsetCommitRequest {
        let mut req = req.clone();
        if v < 3 {
            req.generation_id = -1;
            req.member_id.clear();
            req.group_instance_id = None;
        }
        if v < 2 {
            for p in req.topics.iter_mut().flat_map(|t| &mut t.partitions) {
                p.committed_leader_epoch = -1;
            }
        }
        req
    }

    fn encoded(req: &TxnOffsetCommitRequest, v: i16) -> Vec<u8> {
        let mut buf = Vec::new();
        req.encode(v, &mut buf);
        let mut r = Reader::new(&buf, "t");
        assert_eq!(
            TxnOffsetCommitRequest::decode(v, &mut r).unwrap(),
            at(req, v),
            "v{v}"
        );
        assert!(r.is_empty());
        buf
    }

    #[test]
    fn request_bytes() {
        let req = sample();
        #[rustfmt::skip]
        let head = [
            0, 2, b't', b'x', 0, 1, b'g',
            0, 0, 0, 0, 0, 0, 0, 7, 0, 1,
        ];
        #[rustfmt::skip]
        let v1 = [
            &head[..],
            &[0, 0, 0, 1, 0, 1, b't', 0, 0, 0, 1],       // one topic "t", one partition
            &[0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 5],       // partition 1, offset 5
            &[0xff, 0xff],                               // metadata: null
        ]
        .concat();
        assert_eq!(encoded(&req, 0), v1);
        assert_eq!(encoded(&req, 1), v1);
        #[rustfmt::skip]
        let v2 = [
            &head[..],
            &[0, 0, 0, 1, 0, 1, b't', 0, 0, 0, 1],
            &[0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 5],
            &[0, 0, 0, 2],                               // leader epoch 2
            &[0xff, 0xff],
        ]
        .concat();
        assert_eq!(encoded(&req, 2), v2);
        #[rustfmt::skip]
        let v3 = [
            3, b't', b'x', 2, b'g',
            0, 0, 0, 0, 0, 0, 0, 7, 0, 1,
            0, 0, 0, 3,                                  // generation_id
            2, b'm',                                     // member_id
            2, b'i',                                     // group_instance_id
            2, 2, b't', 2,                               // one topic "t", one partition
            0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 2,
            0,                                           // metadata: null
            0, 0, 0,                                     // partition, topic, top tags
        ];
        assert_eq!(encoded(&req, 3), v3);
        assert_eq!(encoded(&req, 5), v3);
    }

    #[test]
    fn response_bytes() {
        let resp = TxnOffsetCommitResponse {
            throttle_time_ms: 0,
            topics: vec![TxnOffsetCommitResponseTopic {
                name: "t".into(),
                partitions: vec![TxnOffsetCommitResponsePartition {
                    partition_index: 1,
                    error_code: ErrorCode::COORDINATOR_NOT_AVAILABLE,
                }],
            }],
        };
        let mut v2 = Vec::new();
        resp.encode(2, &mut v2);
        assert_eq!(
            v2,
            [
                0, 0, 0, 0, 0, 0, 0, 1, 0, 1, b't', 0, 0, 0, 1, 0, 0, 0, 1, 0, 15
            ]
        );
        let mut v3 = Vec::new();
        resp.encode(3, &mut v3);
        assert_eq!(v3, [0, 0, 0, 0, 2, 2, b't', 2, 0, 0, 0, 1, 0, 15, 0, 0, 0]);
        for (v, bytes) in [(0, &v2), (2, &v2), (3, &v3), (5, &v3)] {
            let mut r = Reader::new(bytes, "t");
            assert_eq!(TxnOffsetCommitResponse::decode(v, &mut r).unwrap(), resp);
            assert!(r.is_empty());
        }
    }
}
