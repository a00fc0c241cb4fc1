//! The record-batch codecs of Kafka, byte-compatible with the Java client and the brokers:
//! gzip, Snappy (xerial framing), LZ4 (frame format) and Zstandard, with the KIP-390 levels.
//!
//! A RecordBatch v2 compresses its records section (everything after the 61-byte header) as one
//! stream; attribute bits 0-2 name the codec, and `batchLength` and the CRC-32C cover the
//! compressed bytes (see [`RecordBatchBuilder::finish_compressed`]). What each codec writes:
//!
//! | codec  | stream                                                                         |
//! |--------|--------------------------------------------------------------------------------|
//! | gzip   | one gzip member (RFC 1952), deflate at `compression.gzip.level`                 |
//! | snappy | snappy-java's `SnappyOutputStream` framing: the 16-byte header [`SNAPPY_XERIAL_HEADER`], then per 32 KiB of input a 4-byte big-endian length and a raw Snappy block |
//! | lz4    | one LZ4 frame as Kafka's `Lz4BlockOutputStream` writes it (KIP-57): magic `0x184D2204`, FLG `0x60` (version 1, independent blocks, no checksums, no content size), BD `0x40` (64 KiB blocks), header checksum; blocks stored raw when they don't shrink; an end mark |
//! | zstd   | one Zstandard frame at `compression.zstd.level`                                 |
//!
//! Decompression takes a cap on the decompressed size and checks it while it streams: a
//! decompression bomb is a [`CompressionError::TooLarge`], not an out-of-memory abort, and the
//! output buffer never grows past the cap. No input makes these functions panic.
//!
//! ```
//! use kafka_producer::protocol::compression::{compress, decompress};
//! use kafka_producer::protocol::record_batch::Compression;
//!
//! let text = b"hello hello hello hello hello hello hello hello".repeat(20);
//! let mut packed = Vec::new();
//! compress(Compression::Zstd, None, &text, &mut packed).unwrap();
//! assert!(packed.len() < text.len() / 4);
//! assert_eq!(decompress(Compression::Zstd, &packed, 1 << 20).unwrap(), text);
//! // A cap below the real size is an error, not an allocation.
//! assert!(decompress(Compression::Zstd, &packed, 100).is_err());
//! ```
//!
//! Crates: `flate2` on its pure-Rust `zlib-rs` backend (twice as fast as `miniz_oxide` at
//! compressing, for the same ratio within 1%), `snap` and `lz4_flex` (pure Rust; the Snappy and
//! LZ4 framings are written here), `zstd` (bindings to the C libzstd, built from its bundled
//! source by `zstd-sys`).
//!
//! Numbers (`benches/compression.rs`: the records of a 1 MiB batch of JSON events, default
//! levels, one core): gzip ratio 0.193 at 120 MiB/s (decompression 1.2 GiB/s), snappy 0.345 at
//! 1.0 GiB/s (2.8 GiB/s), lz4 0.325 at 1.0 GiB/s (3.8 GiB/s), zstd 0.192 at 525 MiB/s
//! (2.1 GiB/s).
//!
//! [`RecordBatchBuilder::finish_compressed`]: super::record_batch::RecordBatchBuilder::finish_compressed

mod estimator;
mod gzip;
mod lz4;
mod sink;
mod snappy;
mod zstd;

#[cfg(test)]
mod tests;

pub use estimator::{CompressionRatioEstimator, estimated_batch_size, estimated_bytes_written};

use self::gzip::gzip_compress;
use self::lz4::{lz4_compress, lz4_decompress};
use self::sink::{Sink, read_all};
use self::snappy::{snappy_compress, snappy_decompress};
use self::zstd::{zstd_compress, zstd_decompress};
use super::record_batch::{Compression, RECORD_BATCH_OVERHEAD};
use parking_lot::RwLock;
use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::io::{self, Read, Write};
use std::ops::RangeInclusive;

/// `compression.gzip.level` default: -1, deflate's own default (level 6).
pub const GZIP_DEFAULT_LEVEL: i32 = -1;
/// The gzip levels (besides [`GZIP_DEFAULT_LEVEL`]).
pub const GZIP_LEVELS: RangeInclusive<i32> = 1..=9;
/// `compression.lz4.level` default (Java's `CompressionType.LZ4.defaultLevel()`).
pub const LZ4_DEFAULT_LEVEL: i32 = 9;
/// The LZ4 levels.
pub const LZ4_LEVELS: RangeInclusive<i32> = 1..=17;
/// `compression.zstd.level` default (Java's `CompressionType.ZSTD.defaultLevel()`).
pub const ZSTD_DEFAULT_LEVEL: i32 = 3;
/// The Zstandard levels (`ZSTD_minCLevel()..=ZSTD_maxCLevel()`, negative levels are the fast
/// modes; 0 means the library's default, 3).
pub const ZSTD_LEVELS: RangeInclusive<i32> = -131_072..=22;

/// Bytes of input per Snappy block: snappy-java's `SnappyOutputStream` default block size,
/// which Kafka uses.
pub const SNAPPY_BLOCK_SIZE: usize = 32 * 1024;
/// The header snappy-java's `SnappyOutputStream` writes first: the magic `\x82SNAPPY\x00`, then
/// the version (1) and the minimum compatible version (1), both 32-bit big-endian.
pub const SNAPPY_XERIAL_HEADER: [u8; 16] = [
    0x82, b'S', b'N', b'A', b'P', b'P', b'Y', 0, 0, 0, 0, 1, 0, 0, 0, 1,
];
const SNAPPY_MAGIC: [u8; 8] = [0x82, b'S', b'N', b'A', b'P', b'P', b'Y', 0];
/// The first 4 bytes of [`SNAPPY_MAGIC`] read as a chunk length: snappy-java treats it as the
/// start of a concatenated stream's header.
const SNAPPY_MAGIC_HEAD: u32 = 0x8253_4E41;

/// Bytes of input per LZ4 block (BD block size code 4), as Kafka writes.
pub const LZ4_BLOCK_SIZE: usize = 64 * 1024;
/// The magic number of an LZ4 frame (written little-endian: `04 22 4D 18`).
pub const LZ4_FRAME_MAGIC: u32 = 0x184D_2204;
/// The FLG byte Kafka writes: version 01, block independence, no block or content checksum,
/// no content size, no dictionary.
pub const LZ4_FLG: u8 = 0x60;
/// The BD byte Kafka writes: maximum block size 64 KiB.
pub const LZ4_BD: u8 = 0x40;
const LZ4_UNCOMPRESSED_BIT: u32 = 0x8000_0000;

/// A sane default cap on the decompressed size of one batch's records: 256 MiB.
pub const DEFAULT_MAX_DECOMPRESSED_SIZE: usize = 256 << 20;

/// Java's `MemoryRecordsBuilder.COMPRESSION_RATE_ESTIMATION_FACTOR`: the estimated ratio is
/// inflated by 5% to err on the side of a smaller batch.
pub const COMPRESSION_RATE_ESTIMATION_FACTOR: f32 = 1.05;
/// Java's `CompressionRatioEstimator.COMPRESSION_RATIO_IMPROVING_STEP`.
pub const COMPRESSION_RATIO_IMPROVING_STEP: f32 = 0.005;
/// Java's `CompressionRatioEstimator.COMPRESSION_RATIO_DETERIORATE_STEP`.
pub const COMPRESSION_RATIO_DETERIORATE_STEP: f32 = 0.05;
/// The initial estimation of every codec (Java's `CompressionType.rate`, 1.0 for all of them).
pub const INITIAL_COMPRESSION_RATIO: f32 = 1.0;

/// Why a compression or a decompression failed.
///
/// ```
/// use kafka_producer::protocol::compression::{decompress, CompressionError};
/// use kafka_producer::protocol::record_batch::Compression;
/// let e = decompress(Compression::Gzip, b"not gzip", 1024).unwrap_err();
/// assert!(matches!(e, CompressionError::Corrupt { codec: Compression::Gzip, .. }), "{e}");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CompressionError {
    /// The decompressed data would be larger than the cap (a decompression bomb, or a cap too
    /// low for the data). Nothing past the cap was allocated.
    TooLarge {
        /// The codec.
        codec: Compression,
        /// The cap, in bytes.
        limit: usize,
    },
    /// The bytes are not a valid stream of the codec (or fail a checksum).
    Corrupt {
        /// The codec.
        codec: Compression,
        /// What was wrong, as the codec reported it.
        reason: String,
    },
    /// The stream is valid but uses a feature Kafka's readers refuse (LZ4 dependent blocks or a
    /// dictionary id).
    Unsupported {
        /// The codec.
        codec: Compression,
        /// The feature.
        feature: &'static str,
    },
    /// The level is outside the codec's range (see [`level_range`]).
    InvalidLevel {
        /// The codec.
        codec: Compression,
        /// The level given.
        level: i32,
    },
    /// The codec library failed to compress (an internal error).
    CompressFailed {
        /// The codec.
        codec: Compression,
        /// What the library said.
        reason: String,
    },
}

impl CompressionError {
    /// The codec the error is about.
    pub fn codec(&self) -> Compression {
        match self {
            CompressionError::TooLarge { codec, .. }
            | CompressionError::Corrupt { codec, .. }
            | CompressionError::Unsupported { codec, .. }
            | CompressionError::InvalidLevel { codec, .. }
            | CompressionError::CompressFailed { codec, .. } => *codec,
        }
    }

    /// A fixed one-line summary (no details), for error types that only hold a `&'static str`
    /// such as [`DecodeErrorKind::InvalidValue`](super::codec::DecodeErrorKind::InvalidValue).
    pub fn summary(&self) -> &'static str {
        use Compression::*;
        match (self, self.codec()) {
            (CompressionError::TooLarge { .. }, _) => {
                "decompressed records exceed the decompressed size limit"
            }
            (CompressionError::Corrupt { .. }, Gzip) => "gzip-compressed records are corrupt",
            (CompressionError::Corrupt { .. }, Snappy) => "snappy-compressed records are corrupt",
            (CompressionError::Corrupt { .. }, Lz4) => "lz4-compressed records are corrupt",
            (CompressionError::Corrupt { .. }, Zstd) => "zstd-compressed records are corrupt",
            (CompressionError::Corrupt { .. }, None) => "records are corrupt",
            (CompressionError::Unsupported { .. }, _) => {
                "compressed records use a codec feature Kafka does not support"
            }
            (CompressionError::InvalidLevel { .. }, _) => "invalid compression level",
            (CompressionError::CompressFailed { .. }, _) => "compression failed",
        }
    }

    fn corrupt(codec: Compression, reason: impl fmt::Display) -> Self {
        CompressionError::Corrupt {
            codec,
            reason: reason.to_string(),
        }
    }
}

impl fmt::Display for CompressionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let codec = self.codec().name();
        match self {
            CompressionError::TooLarge { limit, .. } => {
                write!(
                    f,
                    "{codec}: decompressed data exceeds the limit of {limit} bytes"
                )
            }
            CompressionError::Corrupt { reason, .. } => {
                write!(f, "{codec}: corrupt compressed data: {reason}")
            }
            CompressionError::Unsupported { feature, .. } => {
                write!(f, "{codec}: unsupported stream feature: {feature}")
            }
            CompressionError::InvalidLevel { level, .. } => {
                write!(f, "{codec}: invalid compression level {level}")
            }
            CompressionError::CompressFailed { reason, .. } => {
                write!(f, "{codec}: compression failed: {reason}")
            }
        }
    }
}

impl std::error::Error for CompressionError {}

/// The default level of a codec (`None` for the codecs without levels: none and snappy).
///
/// ```
/// use kafka_producer::protocol::compression::default_level;
/// use kafka_producer::protocol::record_batch::Compression;
/// assert_eq!(default_level(Compression::Lz4), Some(9));
/// assert_eq!(default_level(Compression::Snappy), None);
/// ```
pub fn default_level(codec: Compression) -> Option<i32> {
    match codec {
        Compression::Gzip => Some(GZIP_DEFAULT_LEVEL),
        Compression::Lz4 => Some(LZ4_DEFAULT_LEVEL),
        Compression::Zstd => Some(ZSTD_DEFAULT_LEVEL),
        Compression::None | Compression::Snappy => None,
    }
}

/// The range of a codec's levels (`None` for the codecs without levels). gzip also takes
/// [`GZIP_DEFAULT_LEVEL`] (-1), outside its range, as Java does.
pub fn level_range(codec: Compression) -> Option<RangeInclusive<i32>> {
    match codec {
        Compression::Gzip => Some(GZIP_LEVELS),
        Compression::Lz4 => Some(LZ4_LEVELS),
        Compression::Zstd => Some(ZSTD_LEVELS),
        Compression::None | Compression::Snappy => None,
    }
}

/// The level [`compress`] will use: `level`, or the codec's default when `None`. A level for a
/// codec without levels (none, snappy) is ignored, as Java ignores it; a level outside the
/// codec's range is an [`CompressionError::InvalidLevel`], as Java's
/// `Compression.Builder.level` refuses it.
///
/// ```
/// use kafka_producer::protocol::compression::validate_level;
/// use kafka_producer::protocol::record_batch::Compression;
/// assert_eq!(validate_level(Compression::Gzip, Some(-1)).unwrap(), Some(-1));
/// assert!(validate_level(Compression::Gzip, Some(0)).is_err());
/// assert_eq!(validate_level(Compression::Zstd, None).unwrap(), Some(3));
/// assert_eq!(validate_level(Compression::Snappy, Some(5)).unwrap(), None);
/// ```
pub fn validate_level(
    codec: Compression,
    level: Option<i32>,
) -> Result<Option<i32>, CompressionError> {
    let (Some(range), Some(default)) = (level_range(codec), default_level(codec)) else {
        return Ok(None);
    };
    let level = level.unwrap_or(default);
    if range.contains(&level) || level == default {
        Ok(Some(level))
    } else {
        Err(CompressionError::InvalidLevel { codec, level })
    }
}

/// Compresses `input` with `codec` and appends the stream to `out` (the bytes of `out` already
/// there are kept). `level` is the KIP-390 level (`None`: the codec's default), see
/// [`validate_level`].
///
/// About levels: gzip and zstd honour every level. LZ4 is compressed with `lz4_flex`, which has
/// only LZ4's fast compressor: that is what Java uses at the default level 9 (its
/// `Lz4BlockOutputStream` switches to the LZ4 HC compressor only for other levels), so the
/// default matches Java, while other LZ4 levels are validated but compress as level 9 does
/// (the stream is valid either way; only the ratio differs). [`Compression::None`] appends
/// `input` as it is.
///
/// ```
/// use kafka_producer::protocol::compression::{compress, SNAPPY_XERIAL_HEADER};
/// use kafka_producer::protocol::record_batch::Compression;
/// let mut out = Vec::new();
/// compress(Compression::Snappy, None, b"abcabcabcabc", &mut out).unwrap();
/// assert_eq!(&out[..16], &SNAPPY_XERIAL_HEADER);
/// ```
pub fn compress(
    codec: Compression,
    level: Option<i32>,
    input: &[u8],
    out: &mut Vec<u8>,
) -> Result<(), CompressionError> {
    let level = validate_level(codec, level)?;
    let start = out.len();
    let result = match codec {
        Compression::None => {
            out.extend_from_slice(input);
            Ok(())
        }
        Compression::Gzip => gzip_compress(level.unwrap_or(GZIP_DEFAULT_LEVEL), input, out),
        Compression::Snappy => snappy_compress(input, out),
        Compression::Lz4 => lz4_compress(input, out),
        Compression::Zstd => zstd_compress(level.unwrap_or(ZSTD_DEFAULT_LEVEL), input, out),
    };
    if result.is_err() {
        out.truncate(start);
    }
    result
}

/// Decompresses a whole `input` stream of `codec` into a new buffer of at most `max_output`
/// bytes: a stream that decompresses to more is a [`CompressionError::TooLarge`], detected
/// while decompressing (the buffer never grows past `max_output`). Trailing bytes after the
/// stream are an error. [`Compression::None`] copies `input` (within the cap).
///
/// ```
/// use kafka_producer::protocol::compression::{compress, decompress, CompressionError};
/// use kafka_producer::protocol::record_batch::Compression;
/// let zeros = vec![0u8; 1 << 20];
/// let mut bomb = Vec::new();
/// compress(Compression::Gzip, Some(9), &zeros, &mut bomb).unwrap();
/// assert!(bomb.len() < 2048);
/// let e = decompress(Compression::Gzip, &bomb, 64 * 1024).unwrap_err();
/// assert!(matches!(e, CompressionError::TooLarge { limit: 65536, .. }));
/// ```
pub fn decompress(
    codec: Compression,
    input: &[u8],
    max_output: usize,
) -> Result<Vec<u8>, CompressionError> {
    let mut out = Vec::new();
    decompress_into(codec, input, max_output, &mut out)?;
    Ok(out)
}

/// Like [`decompress`], appending to `out` (a reusable buffer); `max_output` caps the bytes
/// appended. Returns the number of bytes appended; on error `out` is left as it was.
pub fn decompress_into(
    codec: Compression,
    input: &[u8],
    max_output: usize,
    out: &mut Vec<u8>,
) -> Result<usize, CompressionError> {
    let start = out.len();
    let mut sink = Sink::new(out, codec, max_output);
    let result = match codec {
        Compression::None => sink.write_all(input),
        Compression::Gzip => {
            let mut dec = flate2::bufread::MultiGzDecoder::new(input);
            read_all(&mut dec, &mut sink)
        }
        Compression::Snappy => snappy_decompress(input, &mut sink),
        Compression::Lz4 => lz4_decompress(input, &mut sink),
        Compression::Zstd => zstd_decompress(input, &mut sink),
    };
    match result {
        Ok(()) => Ok(sink.finish() - start),
        Err(e) => {
            sink.abandon();
            Err(e)
        }
    }
}
