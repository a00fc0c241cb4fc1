//! Request and response bodies, one file per API. Each body encodes and decodes at any of the
//! versions its file lists (both directions: the client writes requests and reads responses,
//! test brokers and tools do the opposite).

pub mod add_offsets_to_txn;
pub mod add_partitions_to_txn;
pub mod api_versions;
pub mod end_txn;
pub mod find_coordinator;
pub mod init_producer_id;
pub mod metadata;
pub mod produce;
pub mod sasl_authenticate;
pub mod sasl_handshake;
pub mod txn_offset_commit;

pub use add_offsets_to_txn::{AddOffsetsToTxnRequest, AddOffsetsToTxnResponse};
pub use add_partitions_to_txn::{
    AddPartitionsToTxnPartitionResult, AddPartitionsToTxnRequest, AddPartitionsToTxnResponse,
    AddPartitionsToTxnTopic, AddPartitionsToTxnTopicResult,
};
pub use api_versions::{ApiVersionRange, ApiVersionsRequest, ApiVersionsResponse};
pub use end_txn::{EndTxnRequest, EndTxnResponse};
pub use find_coordinator::{Coordinator, FindCoordinatorRequest, FindCoordinatorResponse};
pub use init_producer_id::{InitProducerIdRequest, InitProducerIdResponse};
pub use metadata::{
    MetadataRequest, MetadataRequestTopic, MetadataResponse, MetadataResponseBroker,
    MetadataResponsePartition, MetadataResponseTopic,
};
pub use produce::{
    PartitionProduceData, PartitionProduceResponse, ProduceRequest, ProduceResponse, RecordError,
    TopicProduceData, TopicProduceResponse,
};

pub use sasl_authenticate::{SaslAuthenticateRequest, SaslAuthenticateResponse};
pub use sasl_handshake::{SaslHandshakeRequest, SaslHandshakeResponse};
pub use txn_offset_commit::{
    TxnOffsetCommitRequest, TxnOffsetCommitRequestPartition, TxnOffsetCommitRequestTopic,
    TxnOffsetCommitResponse, TxnOffsetCommitResponsePartition, TxnOffsetCommitResponseTopic,
};

use super::codec::{DecodeError, DecodeErrorKind, Reader};

/// A body that can be written at a version.
pub trait Encode {
    /// Appends the body at `version` (which must be one the type supports).
    fn encode(&self, version: i16, buf: &mut Vec<u8>);
}

/// A body that can be read at a version. `'a` is the lifetime of the input bytes: bodies that
/// carry record data borrow it instead of copying.
pub trait Decode<'a>: Sized {
    /// Reads the body at `version`.
    fn decode(version: i16, r: &mut Reader<'a>) -> Result<Self, DecodeError>;
}

/// Fails with `UnsupportedVersion` unless `version` lies in `range`.
pub(crate) fn check_version(
    r: &Reader<'_>,
    version: i16,
    range: (i16, i16),
) -> Result<(), DecodeError> {
    if version < range.0 || version > range.1 {
        Err(r.error("version", DecodeErrorKind::UnsupportedVersion(version)))
    } else {
        Ok(())
    }
}

/// The field names of a `[topic name, [partition index, error code]]` response array as its
/// schema names them (they appear in decoding errors).
pub(crate) struct PartitionErrorFields {
    pub(crate) topics: &'static str,
    pub(crate) partitions: &'static str,
    pub(crate) error_code: &'static str,
}

/// Writes the per-topic, per-partition error codes that the AddPartitionsToTxn (v0-v3) and
/// TxnOffsetCommit responses share: `[name, [partition_index, error_code]]`.
pub(crate) fn put_partition_errors<T>(
    buf: &mut Vec<u8>,
    flexible: bool,
    topics: &[T],
    parts: impl Fn(&T) -> (&str, Vec<(i32, crate::protocol::ErrorCode)>),
) {
    use super::codec::Writer;
    buf.put_array_len(topics.len(), flexible);
    for t in topics {
        let (name, partitions) = parts(t);
        buf.put_string(name, flexible);
        buf.put_array_len(partitions.len(), flexible);
        for (index, code) in partitions {
            buf.put_i32(index);
            buf.put_i16(code.code());
            if flexible {
                buf.put_empty_tagged_fields();
            }
        }
        if flexible {
            buf.put_empty_tagged_fields();
        }
    }
}

/// Reads what [`put_partition_errors`] writes, making each topic with `make`.
pub(crate) fn read_partition_errors<T>(
    r: &mut Reader<'_>,
    flexible: bool,
    fields: PartitionErrorFields,
    make: impl Fn(String, Vec<(i32, crate::protocol::ErrorCode)>) -> T,
) -> Result<Vec<T>, DecodeError> {
    r.array_of(fields.topics, flexible, 2, |r| {
        let name = r.string("name", flexible)?;
        let partitions = r.array_of(fields.partitions, flexible, 6, |r| {
            let p = (
                r.i32("partition_index")?,
                crate::protocol::ErrorCode(r.i16(fields.error_code)?),
            );
            if flexible {
                r.skip_tagged_fields()?;
            }
            Ok(p)
        })?;
        if flexible {
            r.skip_tagged_fields()?;
        }
        Ok(make(name, partitions))
    })
}
