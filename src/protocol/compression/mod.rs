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

/// The size of a batch once compressed, as Java's `MemoryRecordsBuilder.estimatedBytesWritten()`
/// estimates it while records are appended: `header + (int) (uncompressed records size *
/// estimated ratio * 1.05)` (in `f32`, as Java), or the exact `header + uncompressed records
/// size` without compression. `header_size` is [`RECORD_BATCH_OVERHEAD`] for a RecordBatch v2.
///
/// ```
/// use kafka_producer::protocol::compression::estimated_bytes_written;
/// use kafka_producer::protocol::record_batch::Compression;
/// assert_eq!(estimated_bytes_written(Compression::None, 61, 1000, 0.5), 1061);
/// assert_eq!(estimated_bytes_written(Compression::Zstd, 61, 1000, 0.5), 61 + 525);
/// ```
pub fn estimated_bytes_written(
    codec: Compression,
    header_size: usize,
    uncompressed_records_size: usize,
    estimated_ratio: f32,
) -> usize {
    if codec == Compression::None {
        header_size.saturating_add(uncompressed_records_size)
    } else {
        // Java: (int) (int * float * float); a float-to-int cast saturates in both languages.
        let estimate =
            uncompressed_records_size as f32 * estimated_ratio * COMPRESSION_RATE_ESTIMATION_FACTOR;
        header_size.saturating_add(estimate as usize)
    }
}

/// [`estimated_bytes_written`] for a RecordBatch v2 (61-byte header).
pub fn estimated_batch_size(
    codec: Compression,
    uncompressed_records_size: usize,
    estimated_ratio: f32,
) -> usize {
    estimated_bytes_written(
        codec,
        RECORD_BATCH_OVERHEAD,
        uncompressed_records_size,
        estimated_ratio,
    )
}

/// Per topic and codec, the compressed-to-uncompressed size ratio to expect of the next batch
/// (Java's `CompressionRatioEstimator`, one per producer here rather than a JVM-wide static).
///
/// A batch sized with the estimate (see [`estimated_bytes_written`]) reports its actual ratio
/// when it is closed; the estimate then moves towards it: at once (by at least
/// [`COMPRESSION_RATIO_DETERIORATE_STEP`]) when the data compressed worse than expected, slowly
/// (by [`COMPRESSION_RATIO_IMPROVING_STEP`]) when it compressed better. Unknown topics start at
/// [`INITIAL_COMPRESSION_RATIO`]. Thread-safe: readers share a lock, updates are atomic.
///
/// ```
/// use kafka_producer::protocol::compression::CompressionRatioEstimator;
/// use kafka_producer::protocol::record_batch::Compression;
/// let est = CompressionRatioEstimator::new();
/// assert_eq!(est.estimation("t", Compression::Zstd), 1.0);
/// assert_eq!(est.update_estimation("t", Compression::Zstd, 0.3), 0.995);
/// assert_eq!(est.update_estimation("t", Compression::Zstd, 1.2), 1.2);
/// assert_eq!(est.estimation("t", Compression::Gzip), 1.0);
/// ```
#[derive(Debug, Default)]
pub struct CompressionRatioEstimator {
    ratios: RwLock<HashMap<String, [f32; 5]>>,
}

impl CompressionRatioEstimator {
    /// An estimator with no topic yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The current estimation for `topic` and `codec` ([`INITIAL_COMPRESSION_RATIO`] for a topic
    /// not seen yet).
    pub fn estimation(&self, topic: &str, codec: Compression) -> f32 {
        self.ratios
            .read()
            .get(topic)
            .map_or(INITIAL_COMPRESSION_RATIO, |r| r[codec as usize])
    }

    /// Moves the estimation for `topic` and `codec` after a batch compressed at
    /// `observed_ratio` (compressed records size / uncompressed records size), as Java's
    /// `updateEstimation`, and returns the new estimation:
    /// - worse than estimated: `max(estimation + 0.05, observed)`;
    /// - better than estimated: `max(estimation - 0.005, observed)`;
    /// - equal (or NaN): unchanged.
    pub fn update_estimation(&self, topic: &str, codec: Compression, observed_ratio: f32) -> f32 {
        let mut map = self.ratios.write();
        let ratios = match map.get_mut(topic) {
            Some(r) => r,
            None => map
                .entry(topic.to_owned())
                .or_insert([INITIAL_COMPRESSION_RATIO; 5]),
        };
        let current = &mut ratios[codec as usize];
        if observed_ratio > *current {
            *current = (*current + COMPRESSION_RATIO_DETERIORATE_STEP).max(observed_ratio);
        } else if observed_ratio < *current {
            *current = (*current - COMPRESSION_RATIO_IMPROVING_STEP).max(observed_ratio);
        }
        *current
    }

    /// Sets the estimation for `topic` and `codec` (Java's `setEstimation`, for tests).
    pub fn set_estimation(&self, topic: &str, codec: Compression, ratio: f32) {
        let mut map = self.ratios.write();
        map.entry(topic.to_owned())
            .or_insert([INITIAL_COMPRESSION_RATIO; 5])[codec as usize] = ratio;
    }

    /// Resets every codec's estimation of `topic` to [`INITIAL_COMPRESSION_RATIO`].
    pub fn reset_estimation(&self, topic: &str) {
        if let Some(r) = self.ratios.write().get_mut(topic) {
            *r = [INITIAL_COMPRESSION_RATIO; 5];
        }
    }

    /// Forgets `topic`.
    pub fn remove_estimation(&self, topic: &str) {
        self.ratios.write().remove(topic);
    }
}

// ---------------------------------------------------------------------------------------------
// The capped output buffer.

/// Appends to a `Vec` without ever growing it past `limit` bytes appended. `out.len()` is the
/// high-water mark of zero-initialised bytes (so that a region is zeroed once, not per block);
/// `filled` is how much of it holds output.
struct Sink<'a> {
    out: &'a mut Vec<u8>,
    codec: Compression,
    start: usize,
    filled: usize,
    /// Absolute index in `out` that output must not pass.
    end: usize,
    limit: usize,
}

impl<'a> Sink<'a> {
    fn new(out: &'a mut Vec<u8>, codec: Compression, limit: usize) -> Self {
        let start = out.len();
        Sink {
            out,
            codec,
            start,
            filled: start,
            end: start.saturating_add(limit),
            limit,
        }
    }

    fn too_large(&self) -> CompressionError {
        CompressionError::TooLarge {
            codec: self.codec,
            limit: self.limit,
        }
    }

    fn room(&self) -> usize {
        self.end - self.filled
    }

    /// A writable window of up to `want` bytes after the output (fewer at the cap; empty at the
    /// cap). Grows the buffer geometrically, but never past the cap.
    fn window(&mut self, want: usize) -> &mut [u8] {
        let upto = self.filled.saturating_add(want).min(self.end);
        if self.out.len() < upto {
            if self.out.capacity() < upto {
                let grown = (self.out.capacity().saturating_mul(2)).clamp(upto, self.end);
                self.out.reserve_exact(grown - self.out.len());
            }
            self.out.resize(upto, 0);
        }
        &mut self.out[self.filled..upto]
    }

    fn advance(&mut self, n: usize) {
        self.filled += n;
    }

    /// Appends `data`, or fails (appending nothing) when it would pass the cap.
    fn write_all(&mut self, data: &[u8]) -> Result<(), CompressionError> {
        if data.len() > self.room() {
            return Err(self.too_large());
        }
        self.window(data.len()).copy_from_slice(data);
        self.advance(data.len());
        Ok(())
    }

    fn written(&self) -> &[u8] {
        &self.out[self.start..self.filled]
    }

    fn finish(self) -> usize {
        self.out.truncate(self.filled);
        self.filled
    }

    fn abandon(self) {
        self.out.truncate(self.start);
    }
}

/// Reads a decoder to its end into the sink; the cap is checked as it goes, and the decoder is
/// read to its end (past the cap by one probe byte) so that its trailer and checksum are
/// verified.
fn read_all(r: &mut impl Read, sink: &mut Sink<'_>) -> Result<(), CompressionError> {
    const MIN_CHUNK: usize = 16 * 1024;
    loop {
        if sink.room() == 0 {
            let mut probe = [0u8; 1];
            return match read_retrying(r, &mut probe, sink.codec)? {
                0 => Ok(()),
                _ => Err(sink.too_large()),
            };
        }
        let want = (sink.filled - sink.start).max(MIN_CHUNK);
        let codec = sink.codec;
        let n = read_retrying(r, sink.window(want), codec)?;
        if n == 0 {
            return Ok(());
        }
        sink.advance(n);
    }
}

fn read_retrying(
    r: &mut impl Read,
    buf: &mut [u8],
    codec: Compression,
) -> Result<usize, CompressionError> {
    loop {
        match r.read(buf) {
            Ok(n) => return Ok(n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(CompressionError::corrupt(codec, e)),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// gzip

fn gzip_compress(level: i32, input: &[u8], out: &mut Vec<u8>) -> Result<(), CompressionError> {
    let level = if level == GZIP_DEFAULT_LEVEL {
        flate2::Compression::default()
    } else {
        flate2::Compression::new(level.clamp(0, 9) as u32)
    };
    let failed = |e: io::Error| CompressionError::CompressFailed {
        codec: Compression::Gzip,
        reason: e.to_string(),
    };
    out.reserve(input.len() / 2 + 64);
    let mut enc = flate2::write::GzEncoder::new(out, level);
    enc.write_all(input).map_err(failed)?;
    enc.finish().map_err(failed)?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Snappy, xerial framing

fn snappy_compress(input: &[u8], out: &mut Vec<u8>) -> Result<(), CompressionError> {
    out.reserve(SNAPPY_XERIAL_HEADER.len() + input.len() / 2 + 64);
    out.extend_from_slice(&SNAPPY_XERIAL_HEADER);
    let mut encoder = snap::raw::Encoder::new();
    let mut block = vec![0u8; snap::raw::max_compress_len(SNAPPY_BLOCK_SIZE)];
    for chunk in input.chunks(SNAPPY_BLOCK_SIZE) {
        let n =
            encoder
                .compress(chunk, &mut block)
                .map_err(|e| CompressionError::CompressFailed {
                    codec: Compression::Snappy,
                    reason: e.to_string(),
                })?;
        out.extend_from_slice(&(n as u32).to_be_bytes());
        out.extend_from_slice(&block[..n]);
    }
    Ok(())
}

/// Reads what snappy-java's `SnappyInputStream` reads: the xerial framing (a header, then
/// length-prefixed raw blocks; a further header may start a concatenated stream), or, when the
/// input does not start with the xerial header, one raw Snappy block.
fn snappy_decompress(input: &[u8], sink: &mut Sink<'_>) -> Result<(), CompressionError> {
    const CODEC: Compression = Compression::Snappy;
    if input.is_empty() {
        return Ok(());
    }
    let mut decoder = snap::raw::Decoder::new();
    let mut raw_block = |data: &[u8], sink: &mut Sink<'_>| {
        let n = snap::raw::decompress_len(data).map_err(|e| CompressionError::corrupt(CODEC, e))?;
        if n > sink.room() {
            return Err(sink.too_large());
        }
        let written = decoder
            .decompress(data, sink.window(n))
            .map_err(|e| CompressionError::corrupt(CODEC, e))?;
        if written != n {
            return Err(CompressionError::corrupt(
                CODEC,
                "block shorter than its declared length",
            ));
        }
        sink.advance(n);
        Ok(())
    };
    if input.len() < SNAPPY_XERIAL_HEADER.len() || input[..8] != SNAPPY_MAGIC {
        return raw_block(input, sink);
    }
    let mut pos = 0;
    while pos < input.len() {
        let rest = &input[pos..];
        let Some(len_bytes) = rest.first_chunk::<4>() else {
            return Err(CompressionError::corrupt(CODEC, "truncated block length"));
        };
        let len = u32::from_be_bytes(*len_bytes);
        if pos == 0 || len == SNAPPY_MAGIC_HEAD {
            // A stream header: the first, or that of a concatenated stream.
            let Some(header) = rest.first_chunk::<16>() else {
                return Err(CompressionError::corrupt(CODEC, "truncated stream header"));
            };
            if header[..8] != SNAPPY_MAGIC {
                return Err(CompressionError::corrupt(CODEC, "bad stream header magic"));
            }
            let version = i32::from_be_bytes([header[8], header[9], header[10], header[11]]);
            if version < 1 {
                return Err(CompressionError::corrupt(
                    CODEC,
                    format!("incompatible stream version {version}"),
                ));
            }
            pos += 16;
            continue;
        }
        if len > i32::MAX as u32 {
            return Err(CompressionError::corrupt(
                CODEC,
                format!("negative block length {}", len as i32),
            ));
        }
        let data = rest
            .get(4..4 + len as usize)
            .ok_or_else(|| CompressionError::corrupt(CODEC, "truncated block"))?;
        raw_block(data, sink)?;
        pos += 4 + len as usize;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// LZ4 frame

fn xxh32(data: &[u8]) -> u32 {
    twox_hash::XxHash32::oneshot(0, data)
}

/// The header checksum byte of an LZ4 frame descriptor: the second byte of the xxHash32 of
/// the descriptor (FLG up to the byte before the checksum).
fn lz4_header_checksum(descriptor: &[u8]) -> u8 {
    (xxh32(descriptor) >> 8) as u8
}

fn lz4_compress(input: &[u8], out: &mut Vec<u8>) -> Result<(), CompressionError> {
    let blocks = input.len().div_ceil(LZ4_BLOCK_SIZE);
    out.reserve(7 + 4 * blocks + input.len() / 2 + 4);
    out.extend_from_slice(&LZ4_FRAME_MAGIC.to_le_bytes());
    out.extend_from_slice(&[LZ4_FLG, LZ4_BD, lz4_header_checksum(&[LZ4_FLG, LZ4_BD])]);
    let mut block = vec![0u8; lz4_flex::block::get_maximum_output_size(LZ4_BLOCK_SIZE)];
    let mut table = lz4_flex::block::CompressTable::large();
    for chunk in input.chunks(LZ4_BLOCK_SIZE) {
        let n = lz4_flex::block::compress_into_with_table(chunk, &mut block, &mut table).map_err(
            |e| CompressionError::CompressFailed {
                codec: Compression::Lz4,
                reason: e.to_string(),
            },
        )?;
        // As Kafka's Lz4BlockOutputStream: a block that does not shrink is stored as it is.
        if n >= chunk.len() {
            out.extend_from_slice(&(chunk.len() as u32 | LZ4_UNCOMPRESSED_BIT).to_le_bytes());
            out.extend_from_slice(chunk);
        } else {
            out.extend_from_slice(&(n as u32).to_le_bytes());
            out.extend_from_slice(&block[..n]);
        }
    }
    out.extend_from_slice(&0u32.to_le_bytes()); // end mark
    Ok(())
}

fn take<'i>(
    input: &'i [u8],
    pos: &mut usize,
    n: usize,
    what: &str,
) -> Result<&'i [u8], CompressionError> {
    let bytes = input
        .get(*pos..pos.saturating_add(n))
        .ok_or_else(|| CompressionError::corrupt(Compression::Lz4, format!("truncated {what}")))?;
    *pos += n;
    Ok(bytes)
}

fn take_u32_le(input: &[u8], pos: &mut usize, what: &str) -> Result<u32, CompressionError> {
    let b = take(input, pos, 4, what)?;
    Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// Reads LZ4 frames (one, as Kafka writes, or several concatenated; skippable frames are
/// skipped). Refuses what Kafka's `Lz4BlockInputStream` refuses: dependent blocks, and (not
/// in Kafka's format at all) dictionary ids. Verifies the header checksum, and the block and
/// content checksums when present.
fn lz4_decompress(input: &[u8], sink: &mut Sink<'_>) -> Result<(), CompressionError> {
    const CODEC: Compression = Compression::Lz4;
    let corrupt = |reason: &str| CompressionError::corrupt(CODEC, reason);
    let mut pos = 0;
    if input.is_empty() {
        return Err(corrupt("empty input"));
    }
    while pos < input.len() {
        let magic = take_u32_le(input, &mut pos, "frame magic")?;
        if magic & 0xFFFF_FFF0 == 0x184D_2A50 {
            let len = take_u32_le(input, &mut pos, "skippable frame length")?;
            take(input, &mut pos, len as usize, "skippable frame")?;
            continue;
        }
        if magic != LZ4_FRAME_MAGIC {
            return Err(CompressionError::corrupt(
                CODEC,
                format!("bad frame magic {magic:#010x}"),
            ));
        }
        let descriptor_at = pos;
        let fd = take(input, &mut pos, 2, "frame descriptor")?;
        let (flg, bd) = (fd[0], fd[1]);
        if flg >> 6 != 1 {
            return Err(corrupt("unsupported frame version"));
        }
        if flg & 0x02 != 0 || bd & 0x8F != 0 {
            return Err(corrupt("reserved frame descriptor bits are set"));
        }
        if flg & 0x20 == 0 {
            return Err(CompressionError::Unsupported {
                codec: CODEC,
                feature: "dependent blocks",
            });
        }
        if flg & 0x01 != 0 {
            return Err(CompressionError::Unsupported {
                codec: CODEC,
                feature: "a dictionary id",
            });
        }
        let block_checksums = flg & 0x10 != 0;
        let content_checksum = flg & 0x04 != 0;
        let block_max = match (bd >> 4) & 0x07 {
            code @ 4..=7 => 1usize << (2 * code + 8),
            _ => return Err(corrupt("invalid maximum block size")),
        };
        let content_size = if flg & 0x08 != 0 {
            let b = take(input, &mut pos, 8, "content size")?;
            Some(u64::from_le_bytes([
                b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7],
            ]))
        } else {
            None
        };
        let hc = take(input, &mut pos, 1, "header checksum")?[0];
        if hc != lz4_header_checksum(&input[descriptor_at..pos - 1]) {
            return Err(corrupt("frame descriptor checksum mismatch"));
        }
        if let Some(size) = content_size {
            if size > sink.room() as u64 {
                return Err(sink.too_large());
            }
        }
        let frame_start = sink.filled;
        loop {
            let word = take_u32_le(input, &mut pos, "block size")?;
            if word == 0 {
                break; // end mark
            }
            let len = (word & !LZ4_UNCOMPRESSED_BIT) as usize;
            if len > block_max {
                return Err(CompressionError::corrupt(
                    CODEC,
                    format!("block of {len} bytes exceeds the frame's maximum {block_max}"),
                ));
            }
            let data = take(input, &mut pos, len, "block")?;
            if block_checksums {
                let sum = take_u32_le(input, &mut pos, "block checksum")?;
                if sum != xxh32(data) {
                    return Err(corrupt("block checksum mismatch"));
                }
            }
            if word & LZ4_UNCOMPRESSED_BIT != 0 {
                sink.write_all(data)?;
                continue;
            }
            let capped = sink.room() < block_max;
            if sink.room() == 0 {
                // A compressed block holds at least one byte (a literal or a match).
                return Err(sink.too_large());
            }
            let window = sink.window(block_max);
            match lz4_flex::block::decompress_into(data, window) {
                Ok(n) => sink.advance(n),
                Err(lz4_flex::block::DecompressError::OutputTooSmall { .. }) if capped => {
                    return Err(sink.too_large());
                }
                Err(e) => return Err(CompressionError::corrupt(CODEC, e)),
            }
        }
        let produced = (sink.filled - frame_start) as u64;
        if content_checksum {
            let sum = take_u32_le(input, &mut pos, "content checksum")?;
            if sum != xxh32(&sink.written()[frame_start - sink.start..]) {
                return Err(corrupt("content checksum mismatch"));
            }
        }
        if content_size.is_some_and(|size| size != produced) {
            return Err(corrupt("content size mismatch"));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Zstandard

thread_local! {
    /// One compression context per thread, kept between batches: a zstd context allocates its
    /// working memory (about a megabyte at level 3) on first use.
    static ZSTD_COMPRESSOR: RefCell<Option<(i32, zstd::bulk::Compressor<'static>)>> =
        const { RefCell::new(None) };
}

fn zstd_compress(level: i32, input: &[u8], out: &mut Vec<u8>) -> Result<(), CompressionError> {
    let failed = |e: io::Error| CompressionError::CompressFailed {
        codec: Compression::Zstd,
        reason: e.to_string(),
    };
    ZSTD_COMPRESSOR.with(|cell| {
        // A re-entrant call (impossible today) would find the cell borrowed: use a fresh one.
        let mut fresh = None;
        let mut cached = cell.try_borrow_mut();
        let slot = match &mut cached {
            Ok(cached) => &mut **cached,
            Err(_) => &mut fresh,
        };
        if let Some((l, c)) = slot.as_mut() {
            if *l != level {
                c.set_compression_level(level).map_err(failed)?;
                *l = level;
            }
        }
        let c = match slot {
            Some((_, c)) => c,
            None => {
                let c = zstd::bulk::Compressor::new(level).map_err(failed)?;
                &mut slot.insert((level, c)).1
            }
        };
        let start = out.len();
        out.reserve(zstd::zstd_safe::compress_bound(input.len()));
        // The cursor makes zstd write after the bytes already in `out`, into its spare
        // capacity (no zero-filling).
        let mut cursor = io::Cursor::new(std::mem::take(out));
        cursor.set_position(start as u64);
        let result = c.compress_to_buffer(input, &mut cursor);
        *out = cursor.into_inner();
        result.map(|_| ()).map_err(failed)
    })
}

/// The largest zstd window accepted: the cap rounded up to a power of two, but at least 8 MiB
/// (what Java's streaming compressor declares up to level 19 when it doesn't know the size
/// up front) and at most 128 MiB (zstd's own default limit). The window is memory the decoder
/// itself reserves, on top of the output.
fn zstd_window_log_max(max_output: usize) -> u32 {
    let log = usize::BITS - max_output.saturating_sub(1).leading_zeros();
    log.clamp(23, 27)
}

fn zstd_decompress(input: &[u8], sink: &mut Sink<'_>) -> Result<(), CompressionError> {
    const CODEC: Compression = Compression::Zstd;
    if input.is_empty() {
        return Err(CompressionError::corrupt(CODEC, "empty input"));
    }
    // An honest frame header that declares more than the cap fails at once.
    if let Ok(Some(size)) = zstd::zstd_safe::get_frame_content_size(input) {
        if size > sink.room() as u64 {
            return Err(sink.too_large());
        }
    }
    let mut dec = zstd::stream::read::Decoder::with_buffer(input)
        .map_err(|e| CompressionError::corrupt(CODEC, e))?;
    dec.window_log_max(zstd_window_log_max(sink.limit))
        .map_err(|e| CompressionError::corrupt(CODEC, e))?;
    read_all(&mut dec, sink)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Compression; 5] = [
        Compression::None,
        Compression::Gzip,
        Compression::Snappy,
        Compression::Lz4,
        Compression::Zstd,
    ];
    const CODECS: [Compression; 4] = [
        Compression::Gzip,
        Compression::Snappy,
        Compression::Lz4,
        Compression::Zstd,
    ];

    /// Deterministic, JSON-ish, compressible text with some noise.
    fn text(n: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(n + 200);
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut i = 0u64;
        while out.len() < n {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            out.extend_from_slice(
                format!(
                    r#"{{"id":{i},"name":"user-{}","ts":{},"tags":["a","b"]}}"#,
                    x % 1000,
                    1_700_000_000_000u64 + (x % 100_000)
                )
                .as_bytes(),
            );
            i += 1;
        }
        out.truncate(n);
        out
    }

    fn noise(n: usize) -> Vec<u8> {
        let mut x: u32 = 0x1234_5678;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            })
            .collect()
    }

    fn round_trip(codec: Compression, level: Option<i32>, data: &[u8]) -> Vec<u8> {
        let mut packed = vec![0xEE; 3]; // bytes already there are kept
        compress(codec, level, data, &mut packed).unwrap();
        assert_eq!(&packed[..3], &[0xEE; 3]);
        let back = decompress(codec, &packed[3..], data.len()).unwrap();
        assert_eq!(back.len(), data.len(), "{codec:?} {level:?}");
        assert!(back == data, "{codec:?} {level:?}");
        packed.split_off(3)
    }

    #[test]
    fn every_codec_round_trips_every_size() {
        let big = text(300_000);
        let sizes = [
            0,
            1,
            2,
            100,
            SNAPPY_BLOCK_SIZE - 1,
            SNAPPY_BLOCK_SIZE,
            SNAPPY_BLOCK_SIZE + 1,
            LZ4_BLOCK_SIZE,
            LZ4_BLOCK_SIZE + 1,
            300_000,
        ];
        for codec in ALL {
            for n in sizes {
                round_trip(codec, None, &big[..n]);
                round_trip(codec, None, &noise(n));
            }
        }
    }

    #[test]
    fn every_level_round_trips() {
        let data = text(100_000);
        let mut sizes = Vec::new();
        for level in [-1, 1, 5, 9] {
            sizes.push(round_trip(Compression::Gzip, Some(level), &data).len());
        }
        assert!(sizes[3] <= sizes[1], "gzip 9 beats 1: {sizes:?}");
        for level in [1, 9, 17] {
            round_trip(Compression::Lz4, Some(level), &data);
        }
        let mut sizes = Vec::new();
        for level in [-5, 0, 1, 3, 19, 22] {
            sizes.push(round_trip(Compression::Zstd, Some(level), &data).len());
        }
        assert!(sizes[4] < sizes[0], "zstd 19 beats -5: {sizes:?}");
        // Switching levels on the cached context.
        round_trip(Compression::Zstd, Some(7), &data);
        round_trip(Compression::Zstd, None, &data);
    }

    #[test]
    fn levels_are_validated_as_java_does() {
        let mut out = Vec::new();
        for (codec, level) in [
            (Compression::Gzip, 0),
            (Compression::Gzip, 10),
            (Compression::Gzip, -2),
            (Compression::Lz4, 0),
            (Compression::Lz4, 18),
            (Compression::Zstd, 23),
            (Compression::Zstd, -131_073),
        ] {
            let e = compress(codec, Some(level), b"x", &mut out).unwrap_err();
            assert_eq!(e, CompressionError::InvalidLevel { codec, level });
            assert!(out.is_empty());
        }
        assert_eq!(validate_level(Compression::Gzip, None).unwrap(), Some(-1));
        assert_eq!(validate_level(Compression::Lz4, None).unwrap(), Some(9));
        assert_eq!(validate_level(Compression::None, Some(99)).unwrap(), None);
        assert_eq!(level_range(Compression::Zstd), Some(-131_072..=22));
    }

    #[test]
    fn snappy_xerial_framing_known_answer() {
        let data = text(SNAPPY_BLOCK_SIZE * 2 + 10);
        let mut out = Vec::new();
        compress(Compression::Snappy, None, &data, &mut out).unwrap();
        assert_eq!(
            &out[..16],
            b"\x82SNAPPY\x00\x00\x00\x00\x01\x00\x00\x00\x01",
            "magic, version 1, compatible version 1"
        );
        // Three blocks of 32 KiB, 32 KiB and 10 bytes of input, each a raw Snappy block whose
        // varint preamble gives its uncompressed length.
        let mut pos = 16;
        let mut lens = Vec::new();
        while pos < out.len() {
            let n = u32::from_be_bytes(out[pos..pos + 4].try_into().unwrap()) as usize;
            let block = &out[pos + 4..pos + 4 + n];
            lens.push(snap::raw::decompress_len(block).unwrap());
            pos += 4 + n;
        }
        assert_eq!(lens, [SNAPPY_BLOCK_SIZE, SNAPPY_BLOCK_SIZE, 10]);
        assert_eq!(pos, out.len());

        // Empty input: the header alone, as SnappyOutputStream writes on close.
        let mut empty = Vec::new();
        compress(Compression::Snappy, None, b"", &mut empty).unwrap();
        assert_eq!(empty, SNAPPY_XERIAL_HEADER);
        assert_eq!(decompress(Compression::Snappy, &empty, 0).unwrap(), b"");
    }

    #[test]
    fn snappy_reads_raw_blocks_and_concatenated_streams() {
        // Not framed: one raw block (snappy-java's fallback for Snappy.compress output).
        let raw = snap::raw::Encoder::new()
            .compress_vec(b"raw raw raw raw")
            .unwrap();
        assert_eq!(
            decompress(Compression::Snappy, &raw, 100).unwrap(),
            b"raw raw raw raw"
        );
        // Two framed streams back to back.
        let mut two = Vec::new();
        compress(Compression::Snappy, None, b"first ", &mut two).unwrap();
        compress(Compression::Snappy, None, b"second", &mut two).unwrap();
        assert_eq!(
            decompress(Compression::Snappy, &two, 100).unwrap(),
            b"first second"
        );
        // Version 0 is refused, as snappy-java does.
        let mut v0 = two.clone();
        v0[11] = 0;
        assert!(matches!(
            decompress(Compression::Snappy, &v0, 100),
            Err(CompressionError::Corrupt { .. })
        ));
    }

    #[test]
    fn lz4_frame_known_answer() {
        let data = text(LZ4_BLOCK_SIZE + 100);
        let mut out = Vec::new();
        compress(Compression::Lz4, None, &data, &mut out).unwrap();
        // Magic 0x184D2204 little-endian, FLG 0x60, BD 0x40, and the header checksum of
        // FLG+BD: (xxh32([0x60, 0x40], 0) >> 8) & 0xFF = 0x82.
        assert_eq!(&out[..7], &[0x04, 0x22, 0x4D, 0x18, 0x60, 0x40, 0x82]);
        assert_eq!(&out[out.len() - 4..], &[0, 0, 0, 0], "end mark");
        let first = u32::from_le_bytes(out[7..11].try_into().unwrap());
        assert_eq!(first & LZ4_UNCOMPRESSED_BIT, 0, "text compresses");
        assert!((first as usize) < LZ4_BLOCK_SIZE);
        // lz4_flex's own frame reader (an independent implementation) agrees.
        let mut back = Vec::new();
        lz4_flex::frame::FrameDecoder::new(&out[..])
            .read_to_end(&mut back)
            .unwrap();
        assert_eq!(back, data);
        // And we read frames written by it, with content size, content and block checksums.
        let info = lz4_flex::frame::FrameInfo::new()
            .block_size(lz4_flex::frame::BlockSize::Max256KB)
            .content_checksum(true)
            .block_checksums(true)
            .content_size(Some(data.len() as u64));
        let mut enc = lz4_flex::frame::FrameEncoder::with_frame_info(info, Vec::new());
        enc.write_all(&data).unwrap();
        let theirs = enc.finish().unwrap();
        assert_eq!(
            decompress(Compression::Lz4, &theirs, data.len()).unwrap(),
            data
        );
        let mut bad = theirs.clone();
        let at = bad.len() - 2;
        bad[at] ^= 1;
        assert!(matches!(
            decompress(Compression::Lz4, &bad, data.len()),
            Err(CompressionError::Corrupt { .. })
        ));
        // An honest content size above the cap fails before any block.
        assert!(matches!(
            decompress(Compression::Lz4, &theirs, 1000),
            Err(CompressionError::TooLarge { limit: 1000, .. })
        ));
    }

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// The records section of a batch holding one record (null key, value `0x42`, no headers)
    /// as kafka-clients 4.1.1's `MemoryRecordsBuilder` compressed it (captured with
    /// `tests/java/CompressionInterop.java`).
    #[test]
    fn known_answers_from_the_java_client() {
        let records = unhex("0e00000001024200");
        let java = [
            (
                Compression::Gzip,
                "1f8b08000000000000ffe3636060606472620000d753df0908000000",
            ),
            (
                Compression::Snappy,
                "82534e41505059000000000100000001\
                 0000000a081c0e00000001024200",
            ),
            (
                Compression::Lz4,
                "04224d18604082080000800e0000000102420000000000",
            ),
            // zstd-jni's streaming frame: no content size, a 2 MiB window (descriptor 0x58), a
            // raw block, then an empty last block.
            (
                Compression::Zstd,
                "28b52ffd00584000000e00000001024200010000",
            ),
        ];
        for (codec, hex) in java {
            let hex: String = hex.split_whitespace().collect();
            let java = unhex(&hex);
            assert_eq!(decompress(codec, &java, 8).unwrap(), records, "{codec}");
            // A cap below the content is refused even for these tiny frames.
            assert!(decompress(codec, &java, 7).is_err(), "{codec}");
            let mut ours = Vec::new();
            compress(codec, None, &records, &mut ours).unwrap();
            if matches!(codec, Compression::Snappy | Compression::Lz4) {
                // The framings are Kafka's, to the byte.
                assert_eq!(ours, java, "{codec}");
            }
        }
    }

    #[test]
    fn lz4_incompressible_blocks_are_stored_raw() {
        let data = noise(1000);
        let mut out = Vec::new();
        compress(Compression::Lz4, None, &data, &mut out).unwrap();
        assert_eq!(
            u32::from_le_bytes(out[7..11].try_into().unwrap()),
            1000 | LZ4_UNCOMPRESSED_BIT
        );
        assert_eq!(&out[11..1011], &data[..]);
        assert_eq!(out.len(), 7 + 4 + 1000 + 4);
    }

    #[test]
    fn lz4_dependent_blocks_are_refused_as_kafka_does() {
        let mut out = Vec::new();
        compress(Compression::Lz4, None, b"abc", &mut out).unwrap();
        out[4] = 0x40; // FLG without block independence
        out[6] = lz4_header_checksum(&out[4..6]);
        assert!(matches!(
            decompress(Compression::Lz4, &out, 100),
            Err(CompressionError::Unsupported { .. })
        ));
    }

    #[test]
    fn gzip_is_a_gzip_stream() {
        let mut out = Vec::new();
        compress(Compression::Gzip, None, b"hello", &mut out).unwrap();
        assert_eq!(&out[..3], &[0x1f, 0x8b, 8], "gzip magic, deflate");
        // The trailer: CRC-32 and length of the data, little-endian.
        assert_eq!(&out[out.len() - 4..], &5u32.to_le_bytes());
        // Two members back to back read as one stream, as java.util.zip.GZIPInputStream does.
        compress(Compression::Gzip, Some(1), b" world", &mut out).unwrap();
        assert_eq!(
            decompress(Compression::Gzip, &out, 100).unwrap(),
            b"hello world"
        );
    }

    #[test]
    fn zstd_is_a_zstd_frame() {
        let mut out = Vec::new();
        compress(Compression::Zstd, None, b"hello", &mut out).unwrap();
        assert_eq!(&out[..4], &[0x28, 0xB5, 0x2F, 0xFD], "zstd frame magic");
    }

    #[test]
    fn bombs_fail_with_too_large_and_never_grow_past_the_cap() {
        let zeros = vec![0u8; 8 << 20];
        for codec in CODECS {
            let mut bomb = Vec::new();
            compress(codec, None, &zeros, &mut bomb).unwrap();
            assert!(bomb.len() < zeros.len() / 20, "{codec:?}: {}", bomb.len());
            for cap in [0, 1, 1000, 64 * 1024, (8 << 20) - 1] {
                let mut out = Vec::new();
                let e = decompress_into(codec, &bomb, cap, &mut out).unwrap_err();
                assert_eq!(e, CompressionError::TooLarge { codec, limit: cap });
                assert!(out.is_empty());
                assert!(
                    out.capacity() <= cap,
                    "{codec:?} cap {cap}: {}",
                    out.capacity()
                );
            }
            // Exactly at the cap is fine.
            assert_eq!(decompress(codec, &bomb, 8 << 20).unwrap().len(), 8 << 20);
        }
        // None is capped too.
        assert!(matches!(
            decompress(Compression::None, b"abc", 2),
            Err(CompressionError::TooLarge { .. })
        ));
    }

    #[test]
    fn hand_made_bombs_with_lying_headers() {
        // A raw Snappy block claiming 4 GiB, and a xerial chunk doing the same.
        let raw = [0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x00];
        assert!(matches!(
            decompress(Compression::Snappy, &raw, 1 << 20),
            Err(CompressionError::TooLarge { .. })
        ));
        let mut framed = SNAPPY_XERIAL_HEADER.to_vec();
        framed.extend_from_slice(&6u32.to_be_bytes());
        framed.extend_from_slice(&raw);
        assert!(matches!(
            decompress(Compression::Snappy, &framed, 1 << 20),
            Err(CompressionError::TooLarge { .. })
        ));
        // An LZ4 frame declaring 4 MiB blocks whose block is garbage.
        let mut lz4 = LZ4_FRAME_MAGIC.to_le_bytes().to_vec();
        lz4.extend_from_slice(&[LZ4_FLG, 0x70, lz4_header_checksum(&[LZ4_FLG, 0x70])]);
        lz4.extend_from_slice(&3u32.to_le_bytes());
        lz4.extend_from_slice(&[0xF0, 0xFF, 0xFF]);
        let mut out = Vec::new();
        assert!(decompress_into(Compression::Lz4, &lz4, 1000, &mut out).is_err());
        assert!(out.capacity() <= 1000);
    }

    #[test]
    fn garbage_and_truncations_are_errors_not_panics() {
        let data = text(100_000);
        for codec in CODECS {
            let mut packed = Vec::new();
            compress(codec, None, &data, &mut packed).unwrap();
            // Every truncation point near the edges, and a stride through the middle.
            let cuts = (0..64)
                .chain((64..packed.len()).step_by(97))
                .chain(packed.len().saturating_sub(64)..packed.len());
            for cut in cuts {
                let r = decompress(codec, &packed[..cut], 1 << 20);
                if let Ok(back) = r {
                    // Only a snappy prefix that ends on a block boundary decodes (to a prefix).
                    assert_eq!(codec, Compression::Snappy, "{codec:?} cut {cut}");
                    assert!(data.starts_with(&back));
                }
            }
            // Bit flips: an error or (for codecs without checksums) other bytes; never a panic.
            let mut x: u32 = 7;
            for _ in 0..300 {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                let mut bad = packed.clone();
                let at = (x as usize >> 4) % bad.len();
                bad[at] ^= 1 << (x % 8);
                let _ = decompress(codec, &bad, 1 << 20);
            }
            // Trailing garbage is an error.
            let mut trailing = packed.clone();
            trailing.extend_from_slice(b"junk");
            assert!(decompress(codec, &trailing, 1 << 20).is_err(), "{codec:?}");
        }
        // Pure noise.
        for n in [0, 1, 3, 7, 16, 17, 100, 5000] {
            let junk = noise(n);
            for codec in CODECS {
                let _ = decompress(codec, &junk, 1 << 20);
            }
        }
        assert!(decompress(Compression::Gzip, b"", 10).is_err());
        assert!(decompress(Compression::Lz4, b"", 10).is_err());
        assert!(decompress(Compression::Zstd, b"", 10).is_err());
    }

    #[test]
    fn decompress_into_appends_and_restores_on_error() {
        let mut packed = Vec::new();
        compress(Compression::Lz4, None, b"abcdef", &mut packed).unwrap();
        let mut out = b"xy".to_vec();
        assert_eq!(
            decompress_into(Compression::Lz4, &packed, 6, &mut out).unwrap(),
            6
        );
        assert_eq!(out, b"xyabcdef");
        assert!(decompress_into(Compression::Lz4, &packed, 5, &mut out).is_err());
        assert_eq!(out, b"xyabcdef");
    }

    #[test]
    fn estimator_follows_java() {
        let est = CompressionRatioEstimator::new();
        // Improving: 0.005 per batch, never below the observed ratio.
        let mut e = 1.0f32;
        for _ in 0..10 {
            e = est.update_estimation("t", Compression::Lz4, 0.5);
        }
        assert!((e - 0.95).abs() < 1e-5, "{e}");
        assert_eq!(est.update_estimation("t", Compression::Lz4, 0.949), 0.949);
        // Deteriorating: at least 0.05 at once.
        assert!((est.update_estimation("t", Compression::Lz4, 0.95) - 0.999).abs() < 1e-5);
        assert_eq!(est.update_estimation("t", Compression::Lz4, 1.5), 1.5);
        // Other codecs and topics are separate.
        assert_eq!(est.estimation("t", Compression::Zstd), 1.0);
        assert_eq!(est.estimation("u", Compression::Lz4), 1.0);
        assert_eq!(est.update_estimation("t", Compression::Lz4, f32::NAN), 1.5);
        est.set_estimation("u", Compression::Gzip, 0.25);
        assert_eq!(est.estimation("u", Compression::Gzip), 0.25);
        est.reset_estimation("u");
        assert_eq!(est.estimation("u", Compression::Gzip), 1.0);
        est.remove_estimation("t");
        assert_eq!(est.estimation("t", Compression::Lz4), 1.0);
        // Shared between threads.
        let est = std::sync::Arc::new(est);
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let est = est.clone();
                std::thread::spawn(move || {
                    for _ in 0..100 {
                        est.update_estimation("x", Compression::Zstd, 0.1);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        // 400 improvements of 0.005 from 1.0 would pass 0.1: the observed ratio is the floor.
        assert_eq!(est.estimation("x", Compression::Zstd), 0.1);
    }

    #[test]
    fn estimated_size_matches_java_arithmetic() {
        assert_eq!(
            estimated_batch_size(Compression::Gzip, 10_000, 1.0),
            61 + 10_500
        );
        assert_eq!(estimated_batch_size(Compression::None, 10_000, 0.1), 10_061);
        assert_eq!(
            estimated_batch_size(Compression::Zstd, 16_384, 0.3),
            61 + (16_384f32 * 0.3f32 * 1.05f32) as usize
        );
        assert_eq!(
            estimated_batch_size(Compression::Zstd, usize::MAX, f32::INFINITY),
            usize::MAX
        );
    }

    #[test]
    fn zstd_window_limit() {
        assert_eq!(zstd_window_log_max(0), 23);
        assert_eq!(zstd_window_log_max(1 << 20), 23);
        assert_eq!(zstd_window_log_max((16 << 20) + 1), 25);
        assert_eq!(zstd_window_log_max(DEFAULT_MAX_DECOMPRESSED_SIZE), 27);
        assert_eq!(zstd_window_log_max(usize::MAX), 27);
    }
}
