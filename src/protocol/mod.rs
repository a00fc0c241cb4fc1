//! The Kafka wire protocol, sans-IO: typed requests become bytes and bytes become typed
//! responses. Nothing here touches a socket, a thread or a clock; `network/` does the I/O.
//!
//! - [`codec`]: primitives (fixed ints, varints, strings, bytes, arrays, UUIDs, tagged fields).
//! - [`frame`]: the 4-byte size prefix.
//! - [`header`]: request header v1/v2, response header v0/v1.
//! - [`messages`]: ApiVersions, Metadata, Produce, InitProducerId, SaslHandshake,
//!   SaslAuthenticate, and the transaction APIs FindCoordinator, AddPartitionsToTxn,
//!   AddOffsetsToTxn, EndTxn and TxnOffsetCommit.
//! - [`record_batch`]: RecordBatch v2 (magic 2) writer and reader with CRC-32C.
//! - [`compression`]: the batch codecs (gzip, Snappy, LZ4, Zstandard) as Kafka frames them.
//! - [`error_code`]: every Kafka error code, retriable or not.
//! - [`versions`]: choosing, per API, the highest version both sides support.
//!
//! ```
//! use kafka_producer::protocol::{encode_request, decode_response, ApiKey};
//! use kafka_producer::protocol::messages::{ApiVersionsRequest, ApiVersionsResponse};
//!
//! let mut wire = Vec::new();
//! let req = ApiVersionsRequest::default();
//! encode_request(&mut wire, &req, 3, 1, Some("my-client"));
//! assert_eq!(&wire[4..6], &[0, 18]); // after the size prefix: api key 18
//! ```

pub mod codec;
pub mod compression;
pub mod error_code;
pub mod frame;
pub mod header;
pub mod messages;
pub mod record_batch;
pub mod versions;

pub use codec::{DecodeError, DecodeErrorKind, Reader, Uuid, Writer};
pub use error_code::ErrorCode;
pub use header::{OwnedRequestHeader, RequestHeader, ResponseHeader};

/// The APIs this crate speaks (numbered as in the Kafka protocol).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(i16)]
pub enum ApiKey {
    /// Produce (0): write record batches.
    Produce = 0,
    /// Metadata (3): brokers, topics, partitions, leaders.
    Metadata = 3,
    /// FindCoordinator (10): the broker coordinating a transactional id or consumer group.
    FindCoordinator = 10,
    /// SaslHandshake (17): the SASL mechanism to authenticate with.
    SaslHandshake = 17,
    /// ApiVersions (18): which versions of which APIs the broker supports.
    ApiVersions = 18,
    /// InitProducerId (22): producer id and epoch for idempotence and transactions.
    InitProducerId = 22,
    /// AddPartitionsToTxn (24): add partitions to the ongoing transaction.
    AddPartitionsToTxn = 24,
    /// AddOffsetsToTxn (25): add a consumer group's offsets to the ongoing transaction.
    AddOffsetsToTxn = 25,
    /// EndTxn (26): commit or abort the ongoing transaction.
    EndTxn = 26,
    /// TxnOffsetCommit (28): commit a consumer group's offsets within the transaction.
    TxnOffsetCommit = 28,
    /// SaslAuthenticate (36): one SASL token each way.
    SaslAuthenticate = 36,
}

impl ApiKey {
    /// Every API this crate speaks.
    pub const ALL: [ApiKey; 11] = [
        ApiKey::Produce,
        ApiKey::Metadata,
        ApiKey::FindCoordinator,
        ApiKey::SaslHandshake,
        ApiKey::ApiVersions,
        ApiKey::InitProducerId,
        ApiKey::AddPartitionsToTxn,
        ApiKey::AddOffsetsToTxn,
        ApiKey::EndTxn,
        ApiKey::TxnOffsetCommit,
        ApiKey::SaslAuthenticate,
    ];

    /// The API for a raw key, if this crate speaks it.
    pub fn from_i16(key: i16) -> Option<ApiKey> {
        ApiKey::ALL.into_iter().find(|k| *k as i16 == key)
    }

    /// The API's name as in the protocol guide.
    pub fn name(self) -> &'static str {
        match self {
            ApiKey::Produce => "Produce",
            ApiKey::Metadata => "Metadata",
            ApiKey::ApiVersions => "ApiVersions",
            ApiKey::InitProducerId => "InitProducerId",
            ApiKey::SaslHandshake => "SaslHandshake",
            ApiKey::SaslAuthenticate => "SaslAuthenticate",
            ApiKey::FindCoordinator => "FindCoordinator",
            ApiKey::AddPartitionsToTxn => "AddPartitionsToTxn",
            ApiKey::AddOffsetsToTxn => "AddOffsetsToTxn",
            ApiKey::EndTxn => "EndTxn",
            ApiKey::TxnOffsetCommit => "TxnOffsetCommit",
        }
    }

    /// The versions this crate can encode and decode, inclusive: down to the Java 4.x client's
    /// floor (KIP-896), so that brokers from Kafka 2.1 on are served: Produce v3–v12 (v3: record
    /// batch v2 and the transactional id), Metadata v0–v13, ApiVersions v0–v4, InitProducerId
    /// v0–v5 (a Kafka 2.1 broker offers Produce v0–v7, Metadata v0–v7, ApiVersions v0–v2 and
    /// InitProducerId v0–v1); the transaction APIs FindCoordinator v0–v6, AddPartitionsToTxn
    /// v0–v3 (v4+ are broker-to-broker), AddOffsetsToTxn v0–v4, EndTxn v0–v5 and TxnOffsetCommit
    /// v0–v5.
    ///
    /// ```
    /// use kafka_producer::protocol::ApiKey;
    /// assert_eq!(ApiKey::Produce.supported_versions(), (3, 12));
    /// assert_eq!(ApiKey::Metadata.supported_versions(), (0, 13));
    /// assert_eq!(ApiKey::AddPartitionsToTxn.supported_versions(), (0, 3));
    /// ```
    pub fn supported_versions(self) -> (i16, i16) {
        match self {
            ApiKey::Produce => messages::produce::VERSIONS,
            ApiKey::Metadata => messages::metadata::VERSIONS,
            ApiKey::ApiVersions => messages::api_versions::VERSIONS,
            ApiKey::InitProducerId => messages::init_producer_id::VERSIONS,
            ApiKey::SaslHandshake => messages::sasl_handshake::VERSIONS,
            ApiKey::SaslAuthenticate => messages::sasl_authenticate::VERSIONS,
            ApiKey::FindCoordinator => messages::find_coordinator::VERSIONS,
            ApiKey::AddPartitionsToTxn => messages::add_partitions_to_txn::VERSIONS,
            ApiKey::AddOffsetsToTxn => messages::add_offsets_to_txn::VERSIONS,
            ApiKey::EndTxn => messages::end_txn::VERSIONS,
            ApiKey::TxnOffsetCommit => messages::txn_offset_commit::VERSIONS,
        }
    }

    /// The first flexible version (KIP-482: compact types and tagged fields).
    pub fn first_flexible_version(self) -> i16 {
        match self {
            ApiKey::Produce => 9,
            ApiKey::Metadata => 9,
            ApiKey::ApiVersions => 3,
            ApiKey::InitProducerId => 2,
            // Never flexible: no version reaches it.
            ApiKey::SaslHandshake => i16::MAX,
            ApiKey::SaslAuthenticate => 2,
            ApiKey::FindCoordinator
            | ApiKey::AddPartitionsToTxn
            | ApiKey::AddOffsetsToTxn
            | ApiKey::EndTxn
            | ApiKey::TxnOffsetCommit => 3,
        }
    }

    /// True when `version` of this API uses the flexible encoding.
    pub fn is_flexible(self, version: i16) -> bool {
        version >= self.first_flexible_version()
    }

    /// Whether requests of this version carry header v2 (else v1).
    pub fn request_header_flexible(self, version: i16) -> bool {
        self.is_flexible(version)
    }

    /// Whether responses of this version carry header v1 (else v0). ApiVersions responses
    /// always use header v0, so that a client of any version can read them.
    pub fn response_header_flexible(self, version: i16) -> bool {
        self != ApiKey::ApiVersions && self.is_flexible(version)
    }
}

impl std::fmt::Display for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.name(), *self as i16)
    }
}

/// A request body: which API it belongs to and its response type.
pub trait Request: messages::Encode {
    /// The API.
    const API_KEY: ApiKey;
    /// The response body type.
    type Response: for<'a> messages::Decode<'a>;
}

/// Writes one whole request: size prefix, header (v1 or v2 as the version requires) and body.
pub fn encode_request<R: Request>(
    buf: &mut Vec<u8>,
    request: &R,
    version: i16,
    correlation_id: i32,
    client_id: Option<&str>,
) {
    let at = frame::begin_frame(buf);
    RequestHeader {
        api_key: R::API_KEY,
        api_version: version,
        correlation_id,
        client_id,
    }
    .encode(buf, R::API_KEY.request_header_flexible(version));
    request.encode(version, buf);
    frame::end_frame(buf, at);
}

/// Reads the response header of one frame's payload (the bytes after the size prefix) and
/// returns the correlation id and a reader positioned at the body.
pub fn decode_response_header<'a>(
    api: ApiKey,
    version: i16,
    payload: &'a [u8],
) -> Result<(i32, Reader<'a>), DecodeError> {
    let mut r = Reader::new(payload, "ResponseHeader");
    let header = ResponseHeader::decode(&mut r, api.response_header_flexible(version))?;
    Ok((header.correlation_id, r))
}

/// Decodes one response frame payload (after the size prefix): header, then body, and checks
/// that nothing is left over. Returns the correlation id with the body.
pub fn decode_response<'a, T: messages::Decode<'a>>(
    api: ApiKey,
    version: i16,
    payload: &'a [u8],
) -> Result<(i32, T), DecodeError> {
    let (correlation_id, mut r) = decode_response_header(api, version, payload)?;
    let body = T::decode(version, &mut r)?;
    r.finish("end of response")?;
    Ok((correlation_id, body))
}
