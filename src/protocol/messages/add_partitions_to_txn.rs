//! AddPartitionsToTxn (key 24), v0–v3; flexible from v3. A transactional producer adds the
//! partitions it is about to write to its ongoing transaction.
//!
//! v4 and v5 (KIP-890) are the broker-to-broker batched form (several transactions per request,
//! `verify_only`), sent by partition leaders to the transaction coordinator, never by clients:
//! this crate does not speak them. v1 and v2 only add error codes.

use super::{
    Decode, Encode, PartitionErrorFields, check_version, put_partition_errors,
    read_partition_errors,
};
use crate::protocol::codec::{DecodeError, Reader, Writer};
use crate::protocol::{ApiKey, ErrorCode, Request};

/// Versions this crate speaks (the client versions; v4+ are broker-to-broker).
pub const VERSIONS: (i16, i16) = (0, 3);

/// The AddPartitionsToTxn request body.
///
/// ```
/// use kafka_producer::protocol::messages::{
///     AddPartitionsToTxnRequest, AddPartitionsToTxnTopic, Encode,
/// };
/// let req = AddPartitionsToTxnRequest {
///     transactional_id: "tx".into(),
///     producer_id: 7,
///     producer_epoch: 1,
///     topics: vec![AddPartitionsToTxnTopic { name: "t".into(), partitions: vec![0] }],
/// };
/// let mut buf = Vec::new();
/// req.encode(3, &mut buf);
/// assert_eq!(buf, [3, b't', b'x', 0, 0, 0, 0, 0, 0, 0, 7, 0, 1, 2, 2, b't', 2, 0, 0, 0, 0, 0, 0]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AddPartitionsToTxnRequest {
    /// The transactional id.
    pub transactional_id: String,
    /// The producer id.
    pub producer_id: i64,
    /// The producer epoch.
    pub producer_epoch: i16,
    /// The partitions to add, by topic.
    pub topics: Vec<AddPartitionsToTxnTopic>,
}

/// The partitions of one topic to add to the transaction.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AddPartitionsToTxnTopic {
    /// Topic name.
    pub name: String,
    /// Partition indexes.
    pub partitions: Vec<i32>,
}

impl Request for AddPartitionsToTxnRequest {
    const API_KEY: ApiKey = ApiKey::AddPartitionsToTxn;
    type Response = AddPartitionsToTxnResponse;
}

impl Encode for AddPartitionsToTxnRequest {
    fn encode(&self, version: i16, buf: &mut Vec<u8>) {
        let flexible = version >= 3;
        buf.put_string(&self.transactional_id, flexible);
        buf.put_i64(self.producer_id);
        buf.put_i16(self.producer_epoch);
        buf.put_array_len(self.topics.len(), flexible);
        for t in &self.topics {
            buf.put_string(&t.name, flexible);
            buf.put_array_len(t.partitions.len(), flexible);
            for p in &t.partitions {
                buf.put_i32(*p);
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

impl Decode<'_> for AddPartitionsToTxnRequest {
    fn decode(version: i16, r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.set_context("AddPartitionsToTxnRequest");
        check_version(r, version, VERSIONS)?;
        let flexible = version >= 3;
        let transactional_id = r.string("transactional_id", flexible)?;
        let producer_id = r.i64("producer_id")?;
        let producer_epoch = r.i16("producer_epoch")?;
        let topics = r.array_of("topics", flexible, 2, |r| {
            let name = r.string("name", flexible)?;
            let partitions = r.i32_array("partitions", flexible)?;
            if flexible {
                r.skip_tagged_fields()?;
            }
            Ok(AddPartitionsToTxnTopic { name, partitions })
        })?;
        if flexible {
            r.skip_tagged_fields()?;
        }
        Ok(AddPartitionsToTxnRequest {
            transactional_id,
            producer_id,
            producer_epoch,
            topics,
        })
    }
}

/// The AddPartitionsToTxn response body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AddPartitionsToTxnResponse {
    /// Quota throttle.
    pub throttle_time_ms: i32,
    /// The results, by topic (`ResultsByTopicV3AndBelow` in the schema).
    pub results: Vec<AddPartitionsToTxnTopicResult>,
}

/// The results of one topic.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AddPartitionsToTxnTopicResult {
    /// Topic name.
    pub name: String,
    /// The results, by partition (`ResultsByPartition` in the schema).
    pub results: Vec<AddPartitionsToTxnPartitionResult>,
}

/// The result of one partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AddPartitionsToTxnPartitionResult {
    /// Partition index.
    pub partition_index: i32,
    /// Error, `NONE` on success (`PartitionErrorCode` in the schema).
    pub error_code: ErrorCode,
}

impl Encode for AddPartitionsToTxnResponse {
    fn encode(&self, version: i16, buf: &mut Vec<u8>) {
        let flexible = version >= 3;
        buf.put_i32(self.throttle_time_ms);
        put_partition_errors(buf, flexible, &self.results, |t| {
            let p = t.results.iter();
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

impl Decode<'_> for AddPartitionsToTxnResponse {
    fn decode(version: i16, r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.set_context("AddPartitionsToTxnResponse");
        check_version(r, version, VERSIONS)?;
        let flexible = version >= 3;
        let throttle_time_ms = r.i32("throttle_time_ms")?;
        let fields = PartitionErrorFields {
            topics: "results",
            partitions: "results_by_partition",
            error_code: "partition_error_code",
        };
        let results = read_partition_errors(r, flexible, fields, |name, partitions| {
            AddPartitionsToTxnTopicResult {
                name,
                results: partitions
                    .into_iter()
                    .map(
                        |(partition_index, error_code)| AddPartitionsToTxnPartitionResult {
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
        Ok(AddPartitionsToTxnResponse {
            throttle_time_ms,
            results,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::codec::DecodeErrorKind;

    fn sample_request() -> AddPartitionsToTxnRequest {
        AddPartitionsToTxnRequest {
            transactional_id: "tx".into(),
            producer_id: 7,
            producer_epoch: 1,
            topics: vec![AddPartitionsToTxnTopic {
                name: "t".into(),
                partitions: vec![0, 2],
            }],
        }
    }

    #[test]
    fn request_bytes() {
        let req = sample_request();
        let mut v2 = Vec::new();
        req.encode(2, &mut v2);
        #[rustfmt::skip]
        let expected = [
            0, 2, b't', b'x',           // transactional_id
            0, 0, 0, 0, 0, 0, 0, 7,     // producer_id
            0, 1,                       // producer_epoch
            0, 0, 0, 1,                 // one topic
            0, 1, b't',                 // name
            0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 2, // partitions [0, 2]
        ];
        assert_eq!(v2, expected);
        let mut v3 = Vec::new();
        req.encode(3, &mut v3);
        #[rustfmt::skip]
        let expected = [
            3, b't', b'x',
            0, 0, 0, 0, 0, 0, 0, 7,
            0, 1,
            2,
            2, b't',
            3, 0, 0, 0, 0, 0, 0, 0, 2,
            0,                          // topic tags
            0,                          // top-level tags
        ];
        assert_eq!(v3, expected);
        for (v, bytes) in [(0, &v2), (2, &v2), (3, &v3)] {
            let mut r = Reader::new(bytes, "t");
            assert_eq!(AddPartitionsToTxnRequest::decode(v, &mut r).unwrap(), req);
            assert!(r.is_empty());
        }
    }

    #[test]
    fn response_bytes() {
        let resp = AddPartitionsToTxnResponse {
            throttle_time_ms: 0,
            results: vec![AddPartitionsToTxnTopicResult {
                name: "t".into(),
                results: vec![AddPartitionsToTxnPartitionResult {
                    partition_index: 1,
                    error_code: ErrorCode::CONCURRENT_TRANSACTIONS,
                }],
            }],
        };
        let mut v0 = Vec::new();
        resp.encode(0, &mut v0);
        assert_eq!(
            v0,
            [
                0, 0, 0, 0, 0, 0, 0, 1, 0, 1, b't', 0, 0, 0, 1, 0, 0, 0, 1, 0, 51
            ]
        );
        let mut v3 = Vec::new();
        resp.encode(3, &mut v3);
        assert_eq!(v3, [0, 0, 0, 0, 2, 2, b't', 2, 0, 0, 0, 1, 0, 51, 0, 0, 0]);
        for (v, bytes) in [(0, &v0), (1, &v0), (3, &v3)] {
            let mut r = Reader::new(bytes, "t");
            assert_eq!(AddPartitionsToTxnResponse::decode(v, &mut r).unwrap(), resp);
            assert!(r.is_empty());
        }
    }

    #[test]
    fn broker_to_broker_versions_are_refused() {
        let e = AddPartitionsToTxnRequest::decode(4, &mut Reader::new(&[], "t")).unwrap_err();
        assert_eq!(e.kind, DecodeErrorKind::UnsupportedVersion(4));
    }
}
