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
