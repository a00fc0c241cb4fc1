//! RecordBatch v2 (magic 2), the on-wire and on-disk format of Kafka records since 0.11.
//!
//! ```text
//! baseOffset            int64    0
//! batchLength           int32    8   bytes after this field
//! partitionLeaderEpoch  int32   12
//! magic                 int8    16   = 2
//! crc                   uint32  17   CRC-32C of attributes .. end
//! attributes            int16   21   bits 0-2 compression, 3 timestamp type, 4 transactional, 5 control
//! lastOffsetDelta       int32   23
//! baseTimestamp         int64   27
//! maxTimestamp          int64   35
//! producerId            int64   43
//! producerEpoch         int16   51
//! baseSequence          int32   53
//! records count         int32   57
//! records               ...     61   each: varint length, int8 attributes, varlong timestamp delta,
//!                                    varint offset delta, varint key length + key, varint value
//!                                    length + value, varint header count, headers
//! ```
//!
//! [`RecordBatchBuilder`] writes records straight into a caller-provided buffer (the producer's
//! pooled batch memory); [`RecordBatch::decode`] reads batches back with CRC verification and is
//! safe on hostile input.
//!
//! A compressed batch (attribute bits 0-2 not 0) has the same 61-byte header; its records
//! section is one stream of the codec (see [`compression`]), and
//! `batchLength` and the CRC cover the compressed bytes. The builder appends records
//! uncompressed and compresses them once, when the batch is closed
//! ([`RecordBatchBuilder::finish_compressed`]); the reader decompresses under a size cap
//! ([`RecordBatch::decode_all_with_limit`]).

mod decode;
mod encode;
mod size;

#[cfg(test)]
mod tests;

pub use decode::{Record, RecordBatch};
pub use encode::{ProducerState, RecordBatchBuilder, rewrite_producer_state};
pub use size::{estimate_size_upper_bound, record_size_in_bytes};

use super::codec::{DecodeError, DecodeErrorKind, Reader, varint_len, varlong_len};
use super::compression::{self, CompressionError, DEFAULT_MAX_DECOMPRESSED_SIZE};
use byteorder::{BigEndian, ByteOrder};

/// Bytes of the batch header before the first record.
pub const RECORD_BATCH_OVERHEAD: usize = 61;
/// The magic byte of RecordBatch v2.
pub const MAGIC_V2: i8 = 2;
/// "No producer id": a batch of a non-idempotent producer.
pub const NO_PRODUCER_ID: i64 = -1;
/// "No producer epoch".
pub const NO_PRODUCER_EPOCH: i16 = -1;
/// "No sequence".
pub const NO_SEQUENCE: i32 = -1;
/// "No partition leader epoch" (the broker fills it in).
pub const NO_PARTITION_LEADER_EPOCH: i32 = -1;

const CRC_OFFSET: usize = 17;
const ATTRIBUTES_OFFSET: usize = 21;
const BATCH_LENGTH_OFFSET: usize = 8;
/// Bytes from the start of the batch up to and including `batchLength`.
const LOG_OVERHEAD: usize = 12;

const COMPRESSION_MASK: i16 = 0x07;
const TIMESTAMP_TYPE_MASK: i16 = 0x08;
const TRANSACTIONAL_MASK: i16 = 0x10;
const CONTROL_MASK: i16 = 0x20;

/// A record header: a UTF-8 key and an optional byte value.
///
/// ```
/// use kafka_producer::protocol::record_batch::Header;
/// let h = Header::new("trace-id", b"abc".to_vec());
/// assert_eq!(h.value.as_deref(), Some(&b"abc"[..]));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Header {
    /// The header key.
    pub key: String,
    /// The header value; `None` is a null value.
    pub value: Option<Vec<u8>>,
}

impl Header {
    /// A header with a value.
    pub fn new(key: impl Into<String>, value: impl Into<Vec<u8>>) -> Self {
        Header {
            key: key.into(),
            value: Some(value.into()),
        }
    }

    /// A header with a null value.
    pub fn null(key: impl Into<String>) -> Self {
        Header {
            key: key.into(),
            value: None,
        }
    }
}

/// The codec of a batch's records (attribute bits 0-2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Compression {
    /// No compression.
    #[default]
    None = 0,
    /// gzip.
    Gzip = 1,
    /// Snappy (xerial framing).
    Snappy = 2,
    /// LZ4 frame.
    Lz4 = 3,
    /// Zstandard.
    Zstd = 4,
}

impl Compression {
    /// The codec of attribute bits 0-2, if valid.
    pub fn from_attributes(attributes: i16) -> Option<Compression> {
        match attributes & COMPRESSION_MASK {
            0 => Some(Compression::None),
            1 => Some(Compression::Gzip),
            2 => Some(Compression::Snappy),
            3 => Some(Compression::Lz4),
            4 => Some(Compression::Zstd),
            _ => None,
        }
    }

    /// The codec's name as in `compression.type`.
    ///
    /// ```
    /// use kafka_producer::protocol::record_batch::Compression;
    /// assert_eq!(Compression::Lz4.name(), "lz4");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Snappy => "snappy",
            Compression::Lz4 => "lz4",
            Compression::Zstd => "zstd",
        }
    }
}

impl std::fmt::Display for Compression {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Which timestamp a batch carries (attribute bit 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TimestampType {
    /// The producer's timestamp.
    #[default]
    CreateTime,
    /// The broker's append time (set by the broker for `LogAppendTime` topics).
    LogAppendTime,
}
