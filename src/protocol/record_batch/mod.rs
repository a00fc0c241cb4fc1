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

use super::codec::{DecodeError, DecodeErrorKind, Reader, Writer, varint_len, varlong_len};
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

/// Size of one record's body after its length prefix (Java `DefaultRecord.sizeOfBodyInBytes`).
fn record_body_size(
    offset_delta: i32,
    timestamp_delta: i64,
    key_len: Option<usize>,
    value_len: Option<usize>,
    headers: &[Header],
) -> usize {
    let mut size = 1 + varlong_len(timestamp_delta) + varint_len(offset_delta);
    size += match key_len {
        None => 1,
        Some(n) => varint_len(n as i32) + n,
    };
    size += match value_len {
        None => 1,
        Some(n) => varint_len(n as i32) + n,
    };
    size += varint_len(headers.len() as i32);
    for h in headers {
        size += varint_len(h.key.len() as i32) + h.key.len();
        size += match &h.value {
            None => 1,
            Some(v) => varint_len(v.len() as i32) + v.len(),
        };
    }
    size
}

/// Bytes one record takes in a batch, length prefix included (Java `DefaultRecord.sizeInBytes`).
pub fn record_size_in_bytes(
    offset_delta: i32,
    timestamp_delta: i64,
    key: Option<&[u8]>,
    value: Option<&[u8]>,
    headers: &[Header],
) -> usize {
    let body = record_body_size(
        offset_delta,
        timestamp_delta,
        key.map(<[u8]>::len),
        value.map(<[u8]>::len),
        headers,
    );
    varint_len(body as i32) + body
}

/// An upper bound of the bytes a batch holding only this record takes (Java
/// `AbstractRecords.estimateSizeInBytesUpperBound` for magic 2): used to size a new batch and to
/// reject records larger than `max.request.size` before they are appended.
///
/// ```
/// use kafka_producer::protocol::record_batch::estimate_size_upper_bound;
/// assert!(estimate_size_upper_bound(Some(b"k"), Some(b"v"), &[]) < 100);
/// ```
pub fn estimate_size_upper_bound(
    key: Option<&[u8]>,
    value: Option<&[u8]>,
    headers: &[Header],
) -> usize {
    RECORD_BATCH_OVERHEAD + record_size_in_bytes(i32::MAX, i64::MAX, key, value, headers)
}

/// Producer identity written into a batch's header (idempotent and transactional producers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProducerState {
    /// Producer id, -1 when not idempotent.
    pub producer_id: i64,
    /// Producer epoch, -1 when not idempotent.
    pub producer_epoch: i16,
    /// Sequence of the batch's first record, -1 when not idempotent.
    pub base_sequence: i32,
    /// Whether the batch belongs to a transaction.
    pub is_transactional: bool,
}

impl Default for ProducerState {
    fn default() -> Self {
        ProducerState {
            producer_id: NO_PRODUCER_ID,
            producer_epoch: NO_PRODUCER_EPOCH,
            base_sequence: NO_SEQUENCE,
            is_transactional: false,
        }
    }
}

/// Writes one RecordBatch v2 into a buffer it owns (normally taken from the producer's
/// `BufferPool`), record by record, then fills in the header and CRC-32C.
///
/// The batch starts at the buffer's current end, so a caller may keep other bytes in front.
///
/// ```
/// use kafka_producer::protocol::record_batch::{Header, RecordBatch, RecordBatchBuilder};
/// let mut b = RecordBatchBuilder::new(Vec::with_capacity(16 * 1024), 16 * 1024);
/// b.append(1_700_000_000_000, Some(b"key"), Some(b"value"), &[Header::new("h", b"v".to_vec())]);
/// b.append(1_700_000_000_005, None, Some(b""), &[]);
/// let bytes = b.finish().to_vec();
/// let batch = RecordBatch::decode_all(&bytes).unwrap().remove(0);
/// assert_eq!(batch.records.len(), 2);
/// assert_eq!(batch.records[1].key, None);
/// assert_eq!(batch.max_timestamp, 1_700_000_000_005);
/// ```
///
/// # Compression
///
/// Records are always appended uncompressed (an append stays a plain copy into the buffer, cheap
/// under the accumulator's lock). [`set_compression`](Self::set_compression) names the codec
/// and the estimated compression ratio, so that [`has_room_for`](Self::has_room_for) and
/// [`estimated_size_in_bytes`](Self::estimated_size_in_bytes) size the batch by its expected
/// compressed size, as Java's `MemoryRecordsBuilder` does; then
/// [`finish_compressed`](Self::finish_compressed), called once when the batch is closed,
/// compresses the records section and rewrites the buffer as header + compressed records.
///
/// ```
/// use kafka_producer::protocol::record_batch::{Compression, RecordBatch, RecordBatchBuilder};
/// let mut b = RecordBatchBuilder::new(Vec::with_capacity(16 * 1024), 16 * 1024);
/// b.set_compression(Compression::Lz4, 0.5);
/// for i in 0..100 {
///     b.append(1_700_000_000_000 + i, None, Some(br#"{"user":"alice","action":"login"}"#), &[]);
/// }
/// let uncompressed = b.size_in_bytes();
/// let mut scratch = Vec::new();
/// let bytes = b.finish_compressed(None, &mut scratch).unwrap().to_vec();
/// assert!(bytes.len() < uncompressed / 4);
/// let batch = RecordBatch::decode_all(&bytes).unwrap().remove(0);
/// assert_eq!(batch.compression(), Some(Compression::Lz4));
/// assert_eq!(batch.records.len(), 100);
/// ```
///
/// Note on memory: because the records stay uncompressed until the batch is closed, a batch
/// whose estimated ratio is `r` holds up to about `write_limit / (r * 1.05)` bytes in its buffer
/// before [`has_room_for`](Self::has_room_for) says no (Java compresses as it appends, so its
/// buffer holds about `write_limit`). The buffer grows past its pooled size when that happens.
#[derive(Debug, Clone)]
pub struct RecordBatchBuilder {
    buf: Vec<u8>,
    start: usize,
    write_limit: usize,
    base_offset: i64,
    partition_leader_epoch: i32,
    attributes: i16,
    producer: ProducerState,
    base_timestamp: Option<i64>,
    max_timestamp: i64,
    count: i32,
    /// The codec [`finish_compressed`](Self::finish_compressed) will use.
    compression: Compression,
    /// Estimated compressed / uncompressed size of the records.
    estimated_ratio: f32,
    /// Set once the records section holds compressed bytes: the uncompressed size it had.
    compressed_from: Option<usize>,
}

impl RecordBatchBuilder {
    /// Starts a batch at the end of `buf`. `write_limit` is the size (in bytes, header included)
    /// past which [`has_room_for`](Self::has_room_for) says no: `batch.size` in the producer.
    pub fn new(mut buf: Vec<u8>, write_limit: usize) -> Self {
        let start = buf.len();
        buf.resize(start + RECORD_BATCH_OVERHEAD, 0);
        RecordBatchBuilder {
            buf,
            start,
            write_limit,
            base_offset: 0,
            partition_leader_epoch: NO_PARTITION_LEADER_EPOCH,
            attributes: 0,
            producer: ProducerState::default(),
            base_timestamp: None,
            max_timestamp: -1,
            count: 0,
            compression: Compression::None,
            estimated_ratio: compression::INITIAL_COMPRESSION_RATIO,
            compressed_from: None,
        }
    }

    /// Names the codec [`finish_compressed`](Self::finish_compressed) will compress the records
    /// with, and the compression ratio to expect (compressed / uncompressed records size: the
    /// producer's [`CompressionRatioEstimator`](super::compression::CompressionRatioEstimator)
    /// value for the topic, as Java's `setEstimatedCompressionRatio`). Set it before the first
    /// append; it only changes how full the batch looks until it is compressed.
    pub fn set_compression(&mut self, codec: Compression, estimated_ratio: f32) {
        if self.compressed_from.is_none() {
            self.compression = codec;
        }
        self.estimated_ratio = estimated_ratio;
    }

    /// The codec of the batch (set by [`set_compression`](Self::set_compression)).
    pub fn compression(&self) -> Compression {
        self.compression
    }

    /// Sets the timestamp type bit.
    pub fn set_timestamp_type(&mut self, t: TimestampType) {
        match t {
            TimestampType::CreateTime => self.attributes &= !TIMESTAMP_TYPE_MASK,
            TimestampType::LogAppendTime => self.attributes |= TIMESTAMP_TYPE_MASK,
        }
    }

    /// Sets the producer id, epoch, base sequence and transactional bit. May be called again
    /// before a retry (a new epoch or sequence); call [`finish`](Self::finish) afterwards (also
    /// after [`finish_compressed`](Self::finish_compressed): the compressed records stay).
    pub fn set_producer_state(&mut self, state: ProducerState) {
        self.producer = state;
        if state.is_transactional {
            self.attributes |= TRANSACTIONAL_MASK;
        } else {
            self.attributes &= !TRANSACTIONAL_MASK;
        }
    }

    /// The producer state the header will carry.
    pub fn producer_state(&self) -> ProducerState {
        self.producer
    }

    /// Sets the base offset (0 for a producer; brokers and tools set others).
    pub fn set_base_offset(&mut self, base_offset: i64) {
        self.base_offset = base_offset;
    }

    /// Number of records appended.
    pub fn record_count(&self) -> i32 {
        self.count
    }

    /// Bytes of the batch so far, header included: with uncompressed records until
    /// [`finish_compressed`](Self::finish_compressed), the actual compressed size after.
    pub fn size_in_bytes(&self) -> usize {
        self.buf.len() - self.start
    }

    /// Bytes of the records section before compression (Java's
    /// `uncompressedRecordsSizeInBytes`).
    pub fn uncompressed_records_size(&self) -> usize {
        self.compressed_from
            .unwrap_or(self.size_in_bytes() - RECORD_BATCH_OVERHEAD)
    }

    /// The size the batch is expected to have once closed (Java's
    /// `MemoryRecordsBuilder.estimatedSizeInBytes`): the header plus the uncompressed records
    /// times the estimated ratio times 1.05 (see
    /// [`estimated_bytes_written`](super::compression::estimated_bytes_written)), the exact
    /// size without compression or once compressed.
    pub fn estimated_size_in_bytes(&self) -> usize {
        if self.compressed_from.is_some() {
            return self.size_in_bytes();
        }
        compression::estimated_bytes_written(
            self.compression,
            RECORD_BATCH_OVERHEAD,
            self.uncompressed_records_size(),
            self.estimated_ratio,
        )
    }

    /// Whether the records were compressed ([`finish_compressed`](Self::finish_compressed) with
    /// a codec): no more records can be appended.
    pub fn is_compressed(&self) -> bool {
        self.compressed_from.is_some()
    }

    /// Compressed / uncompressed size of the records section once compressed (Java's
    /// `MemoryRecordsBuilder.compressionRatio()`, to feed the
    /// [`CompressionRatioEstimator`](super::compression::CompressionRatioEstimator)); 1.0 before
    /// compression, without compression, or without records.
    pub fn compression_ratio(&self) -> f32 {
        match self.compressed_from {
            Some(uncompressed) if uncompressed > 0 => {
                (self.size_in_bytes() - RECORD_BATCH_OVERHEAD) as f32 / uncompressed as f32
            }
            _ => 1.0,
        }
    }

    /// The soft size limit given at creation.
    pub fn write_limit(&self) -> usize {
        self.write_limit
    }

    /// Whether a record fits under the write limit. The first record always fits (a batch is
    /// sized for its first record), as in Java's `MemoryRecordsBuilder.hasRoomFor`, which also
    /// compares the *estimated* compressed size so far (see
    /// [`estimated_size_in_bytes`](Self::estimated_size_in_bytes)) plus the new record's
    /// uncompressed size with the limit. Always false once the records are compressed.
    pub fn has_room_for(
        &self,
        timestamp: i64,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &[Header],
    ) -> bool {
        if self.compressed_from.is_some() {
            return false;
        }
        if self.count == 0 {
            return true;
        }
        let delta = timestamp.wrapping_sub(self.base_timestamp.unwrap_or(timestamp));
        self.estimated_size_in_bytes()
            .saturating_add(record_size_in_bytes(self.count, delta, key, value, headers))
            <= self.write_limit
    }

    /// Appends a record and returns its offset delta within the batch.
    ///
    /// Once the records are compressed ([`is_compressed`](Self::is_compressed), where
    /// [`has_room_for`](Self::has_room_for) says no) the record is not appended and -1 is
    /// returned.
    pub fn append(
        &mut self,
        timestamp: i64,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &[Header],
    ) -> i32 {
        if self.compressed_from.is_some() {
            return -1;
        }
        let base = *self.base_timestamp.get_or_insert(timestamp);
        let offset_delta = self.count;
        let timestamp_delta = timestamp.wrapping_sub(base);
        let body = record_body_size(
            offset_delta,
            timestamp_delta,
            key.map(<[u8]>::len),
            value.map(<[u8]>::len),
            headers,
        );
        let buf = &mut self.buf;
        buf.reserve(varint_len(body as i32) + body);
        buf.put_varint(body as i32);
        buf.put_i8(0); // record attributes: unused
        buf.put_varlong(timestamp_delta);
        buf.put_varint(offset_delta);
        put_varint_bytes(buf, key);
        put_varint_bytes(buf, value);
        buf.put_varint(headers.len() as i32);
        for h in headers {
            put_varint_bytes(buf, Some(h.key.as_bytes()));
            put_varint_bytes(buf, h.value.as_deref());
        }
        self.max_timestamp = self.max_timestamp.max(timestamp);
        self.count += 1;
        offset_delta
    }

    /// Writes the header fields and the CRC-32C, and returns the whole batch. May be called
    /// again after [`set_producer_state`](Self::set_producer_state), also on a compressed
    /// batch (the header then keeps the codec bits and the CRC covers the compressed records).
    pub fn finish(&mut self) -> &[u8] {
        let batch_len = self.size_in_bytes();
        let h = &mut self.buf[self.start..];
        BigEndian::write_i64(&mut h[0..8], self.base_offset);
        BigEndian::write_i32(
            &mut h[BATCH_LENGTH_OFFSET..LOG_OVERHEAD],
            (batch_len - LOG_OVERHEAD) as i32,
        );
        BigEndian::write_i32(&mut h[12..16], self.partition_leader_epoch);
        h[16] = MAGIC_V2 as u8;
        BigEndian::write_i16(&mut h[21..23], self.attributes);
        BigEndian::write_i32(&mut h[23..27], (self.count - 1).max(0));
        let base_ts = self.base_timestamp.unwrap_or(-1);
        BigEndian::write_i64(&mut h[27..35], base_ts);
        BigEndian::write_i64(&mut h[35..43], self.max_timestamp);
        BigEndian::write_i64(&mut h[43..51], self.producer.producer_id);
        BigEndian::write_i16(&mut h[51..53], self.producer.producer_epoch);
        BigEndian::write_i32(&mut h[53..57], self.producer.base_sequence);
        BigEndian::write_i32(&mut h[57..61], self.count);
        let crc = crc32c::crc32c(&h[ATTRIBUTES_OFFSET..]);
        BigEndian::write_u32(&mut h[CRC_OFFSET..ATTRIBUTES_OFFSET], crc);
        &self.buf[self.start..]
    }

    /// Compresses the records section with the codec of
    /// [`set_compression`](Self::set_compression) at `level` (`None`: the codec's default; see
    /// [`compression::compress`]), rewrites the buffer as header + compressed records with the
    /// codec in the attributes, then [`finish`](Self::finish)es it: `batchLength` and the CRC
    /// cover the compressed bytes. Call it once, when the batch is closed for appends; after it
    /// [`has_room_for`](Self::has_room_for) says no, while [`finish`](Self::finish) (after
    /// [`set_producer_state`](Self::set_producer_state)) and [`rewrite_producer_state`] still
    /// work. A second call only finishes again. Without a codec it is [`finish`](Self::finish).
    ///
    /// The records are compressed into `scratch` (cleared first; keep one per thread to reuse
    /// its allocation), then copied back over the uncompressed records in this builder's own
    /// buffer, which thus stays the pooled buffer it was created with (its capacity is kept).
    /// The price is one copy of the compressed bytes, small next to compressing them.
    ///
    /// On error (an invalid level, a codec failure) nothing changed: the batch is still
    /// uncompressed and open.
    pub fn finish_compressed(
        &mut self,
        level: Option<i32>,
        scratch: &mut Vec<u8>,
    ) -> Result<&[u8], CompressionError> {
        if self.compression == Compression::None || self.compressed_from.is_some() {
            return Ok(self.finish());
        }
        let records_at = self.start + RECORD_BATCH_OVERHEAD;
        let uncompressed = self.buf.len() - records_at;
        scratch.clear();
        compression::compress(self.compression, level, &self.buf[records_at..], scratch)?;
        self.buf.truncate(records_at);
        self.buf.extend_from_slice(scratch);
        self.compressed_from = Some(uncompressed);
        self.attributes = (self.attributes & !COMPRESSION_MASK) | self.compression as i16;
        Ok(self.finish())
    }

    /// The batch bytes as last finished (call [`finish`](Self::finish) first).
    pub fn bytes(&self) -> &[u8] {
        &self.buf[self.start..]
    }

    /// Gives the buffer back (to return it to the pool).
    pub fn into_buffer(self) -> Vec<u8> {
        self.buf
    }
}

/// Rewrites the producer id, epoch, base sequence and transactional bit of a finished batch
/// (a batch retried under a new epoch or sequence) and recomputes its CRC-32C.
///
/// `batch` must start with a whole batch header (it is not otherwise checked). Compressed
/// batches work the same: only the header changes, and the CRC covers the records as they are.
pub fn rewrite_producer_state(batch: &mut [u8], state: ProducerState) {
    if batch.len() < RECORD_BATCH_OVERHEAD {
        return;
    }
    let mut attributes = BigEndian::read_i16(&batch[21..23]);
    if state.is_transactional {
        attributes |= TRANSACTIONAL_MASK;
    } else {
        attributes &= !TRANSACTIONAL_MASK;
    }
    BigEndian::write_i16(&mut batch[21..23], attributes);
    BigEndian::write_i64(&mut batch[43..51], state.producer_id);
    BigEndian::write_i16(&mut batch[51..53], state.producer_epoch);
    BigEndian::write_i32(&mut batch[53..57], state.base_sequence);
    let crc = crc32c::crc32c(&batch[ATTRIBUTES_OFFSET..]);
    BigEndian::write_u32(&mut batch[CRC_OFFSET..ATTRIBUTES_OFFSET], crc);
}

fn put_varint_bytes(buf: &mut Vec<u8>, b: Option<&[u8]>) {
    match b {
        None => buf.put_varint(-1),
        Some(b) => {
            buf.put_varint(b.len() as i32);
            buf.put_slice(b);
        }
    }
}

/// One decoded record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Record attributes (unused by Kafka today).
    pub attributes: i8,
    /// Timestamp minus the batch's base timestamp.
    pub timestamp_delta: i64,
    /// Offset minus the batch's base offset.
    pub offset_delta: i32,
    /// The key, `None` for a null key.
    pub key: Option<Vec<u8>>,
    /// The value, `None` for a null value (a tombstone).
    pub value: Option<Vec<u8>>,
    /// The headers.
    pub headers: Vec<Header>,
}

/// One decoded RecordBatch v2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordBatch {
    /// Offset of the first record.
    pub base_offset: i64,
    /// Partition leader epoch.
    pub partition_leader_epoch: i32,
    /// Raw attributes.
    pub attributes: i16,
    /// Offset delta of the last record.
    pub last_offset_delta: i32,
    /// Timestamp of the first record.
    pub base_timestamp: i64,
    /// Largest timestamp in the batch.
    pub max_timestamp: i64,
    /// Producer id, -1 when not idempotent.
    pub producer_id: i64,
    /// Producer epoch.
    pub producer_epoch: i16,
    /// Sequence of the first record.
    pub base_sequence: i32,
    /// The CRC-32C stored in (and verified against) the batch.
    pub crc: u32,
    /// The records.
    pub records: Vec<Record>,
}

/// Smallest possible record: length, attributes, timestamp delta, offset delta, key length,
/// value length, header count: one byte each.
const MIN_RECORD_SIZE: usize = 7;

impl RecordBatch {
    /// The compression codec (`None` when the bits hold an unknown codec).
    pub fn compression(&self) -> Option<Compression> {
        Compression::from_attributes(self.attributes)
    }

    /// The timestamp type.
    pub fn timestamp_type(&self) -> TimestampType {
        if self.attributes & TIMESTAMP_TYPE_MASK != 0 {
            TimestampType::LogAppendTime
        } else {
            TimestampType::CreateTime
        }
    }

    /// Whether the batch belongs to a transaction.
    pub fn is_transactional(&self) -> bool {
        self.attributes & TRANSACTIONAL_MASK != 0
    }

    /// Whether the batch holds control records (transaction markers).
    pub fn is_control(&self) -> bool {
        self.attributes & CONTROL_MASK != 0
    }

    /// Absolute offset of a record of this batch.
    pub fn offset_of(&self, record: &Record) -> i64 {
        self.base_offset
            .wrapping_add(i64::from(record.offset_delta))
    }

    /// Absolute timestamp of a record of this batch (for CreateTime batches).
    pub fn timestamp_of(&self, record: &Record) -> i64 {
        self.base_timestamp.wrapping_add(record.timestamp_delta)
    }

    /// Decodes every batch in `bytes` (a Produce request's or a log segment's records), which
    /// must hold whole batches only. Compressed batches are decompressed, all of them together
    /// into at most [`DEFAULT_MAX_DECOMPRESSED_SIZE`] (256 MiB) of records; see
    /// [`decode_all_with_limit`](Self::decode_all_with_limit).
    pub fn decode_all(bytes: &[u8]) -> Result<Vec<RecordBatch>, DecodeError> {
        Self::decode_all_with_limit(bytes, DEFAULT_MAX_DECOMPRESSED_SIZE)
    }

    /// [`decode_all`](Self::decode_all) with a budget of `max_decompressed` bytes for the
    /// decompressed records sections of all the batches together: a batch that would take more
    /// than what is left fails (with `field` `"records"` and an
    /// [`InvalidValue`](DecodeErrorKind::InvalidValue) saying so) as soon as its decompression
    /// passes the budget; nothing larger is allocated. Uncompressed batches take nothing from
    /// the budget.
    ///
    /// ```
    /// use kafka_producer::protocol::record_batch::{Compression, RecordBatch, RecordBatchBuilder};
    /// let mut b = RecordBatchBuilder::new(Vec::new(), usize::MAX);
    /// b.set_compression(Compression::Zstd, 1.0);
    /// b.append(0, None, Some(&vec![0u8; 1 << 20]), &[]);
    /// let bomb = b.finish_compressed(None, &mut Vec::new()).unwrap().to_vec();
    /// assert!(bomb.len() < 200);
    /// assert!(RecordBatch::decode_all_with_limit(&bomb, 2 << 20).is_ok());
    /// let e = RecordBatch::decode_all_with_limit(&bomb, 1 << 20).unwrap_err();
    /// assert_eq!(e.field, "records");
    /// assert!(e.to_string().contains("size limit"), "{e}");
    /// ```
    pub fn decode_all_with_limit(
        bytes: &[u8],
        max_decompressed: usize,
    ) -> Result<Vec<RecordBatch>, DecodeError> {
        let mut r = Reader::new(bytes, "RecordBatch");
        let mut out = Vec::new();
        let mut budget = max_decompressed;
        let mut scratch = Vec::new();
        while !r.is_empty() {
            let (batch, used) = RecordBatch::decode_inner(&mut r, budget, &mut scratch)?;
            budget -= used;
            out.push(batch);
        }
        Ok(out)
    }

    /// Decodes one batch from `r`, verifying magic and CRC-32C; a compressed batch is
    /// decompressed into at most [`DEFAULT_MAX_DECOMPRESSED_SIZE`] bytes of records.
    pub fn decode(r: &mut Reader<'_>) -> Result<RecordBatch, DecodeError> {
        Self::decode_with_limit(r, DEFAULT_MAX_DECOMPRESSED_SIZE)
    }

    /// [`decode`](Self::decode) with a cap on the decompressed size of the records section.
    ///
    /// Errors in the records of a compressed batch give, as their offset, the offset within the
    /// decompressed records section, and `"RecordBatch records (decompressed)"` as context.
    pub fn decode_with_limit(
        r: &mut Reader<'_>,
        max_decompressed: usize,
    ) -> Result<RecordBatch, DecodeError> {
        Self::decode_inner(r, max_decompressed, &mut Vec::new()).map(|(batch, _)| batch)
    }

    /// Decodes one batch; returns it with the bytes of decompressed records it took.
    fn decode_inner(
        r: &mut Reader<'_>,
        max_decompressed: usize,
        scratch: &mut Vec<u8>,
    ) -> Result<(RecordBatch, usize), DecodeError> {
        r.set_context("RecordBatch");
        let base_offset = r.i64("base_offset")?;
        let len_at = r.offset();
        let batch_length = r.i32("batch_length")?;
        let min_len = (RECORD_BATCH_OVERHEAD - LOG_OVERHEAD) as i32;
        if batch_length < min_len {
            return Err(r.error_at(
                "batch_length",
                len_at,
                DecodeErrorKind::InvalidLength(i64::from(batch_length)),
            ));
        }
        let mut b = r.sub_reader("batch_length", batch_length as usize)?;
        let partition_leader_epoch = b.i32("partition_leader_epoch")?;
        let magic_at = b.offset();
        let magic = b.i8("magic")?;
        if magic != MAGIC_V2 {
            return Err(b.error_at("magic", magic_at, DecodeErrorKind::UnsupportedMagic(magic)));
        }
        let crc_at = b.offset();
        let crc = b.u32("crc")?;
        let computed = crc32c::crc32c(b.rest());
        if computed != crc {
            return Err(b.error_at(
                "crc",
                crc_at,
                DecodeErrorKind::CrcMismatch {
                    stored: crc,
                    computed,
                },
            ));
        }
        let attributes_at = b.offset();
        let attributes = b.i16("attributes")?;
        let last_offset_delta = b.i32("last_offset_delta")?;
        let base_timestamp = b.i64("base_timestamp")?;
        let max_timestamp = b.i64("max_timestamp")?;
        let producer_id = b.i64("producer_id")?;
        let producer_epoch = b.i16("producer_epoch")?;
        let base_sequence = b.i32("base_sequence")?;
        let count_at = b.offset();
        let count = b.i32("records_count")?;
        let Some(codec) = Compression::from_attributes(attributes) else {
            return Err(b.error_at(
                "attributes",
                attributes_at,
                DecodeErrorKind::InvalidValue("unknown compression codec"),
            ));
        };
        if count < 0 {
            return Err(b.error_at(
                "records_count",
                count_at,
                DecodeErrorKind::InvalidLength(i64::from(count)),
            ));
        }
        let (records, used) = if codec == Compression::None {
            (decode_records(&mut b, count, count_at)?, 0)
        } else {
            let records_at = b.offset();
            scratch.clear();
            compression::decompress_into(codec, b.rest(), max_decompressed, scratch).map_err(
                |e| {
                    b.error_at(
                        "records",
                        records_at,
                        DecodeErrorKind::InvalidValue(e.summary()),
                    )
                },
            )?;
            let mut d = Reader::new(scratch, "RecordBatch records (decompressed)");
            (decode_records(&mut d, count, 0)?, scratch.len())
        };
        Ok((
            RecordBatch {
                base_offset,
                partition_leader_epoch,
                attributes,
                last_offset_delta,
                base_timestamp,
                max_timestamp,
                producer_id,
                producer_epoch,
                base_sequence,
                crc,
                records,
            },
            used,
        ))
    }
}

/// Decodes `count` records that must fill `r` exactly. `count_at` is where the count was read,
/// for errors.
fn decode_records(
    r: &mut Reader<'_>,
    count: i32,
    count_at: usize,
) -> Result<Vec<Record>, DecodeError> {
    let needed = (count as u64).saturating_mul(MIN_RECORD_SIZE as u64);
    if needed > r.remaining() as u64 {
        return Err(r.error_at(
            "records_count",
            count_at,
            DecodeErrorKind::LengthExceedsBuffer {
                length: needed,
                remaining: r.remaining(),
            },
        ));
    }
    let mut records = Vec::with_capacity(count as usize);
    for _ in 0..count {
        records.push(decode_record(r)?);
    }
    r.finish("records")?;
    Ok(records)
}

fn varint_bytes<'a>(
    r: &mut Reader<'a>,
    field: &'static str,
) -> Result<Option<&'a [u8]>, DecodeError> {
    let at = r.offset();
    match r.varint(field)? {
        -1 => Ok(None),
        n if n < -1 => Err(r.error_at(field, at, DecodeErrorKind::InvalidLength(i64::from(n)))),
        n => r.bytes_raw(field, n as usize).map(Some),
    }
}

fn decode_record(r: &mut Reader<'_>) -> Result<Record, DecodeError> {
    let len_at = r.offset();
    let length = r.varint("record_length")?;
    if length < 0 {
        return Err(r.error_at(
            "record_length",
            len_at,
            DecodeErrorKind::InvalidLength(i64::from(length)),
        ));
    }
    let mut rr = r.sub_reader("record_length", length as usize)?;
    let attributes = rr.i8("record_attributes")?;
    let timestamp_delta = rr.varlong("timestamp_delta")?;
    let offset_delta = rr.varint("offset_delta")?;
    let key = varint_bytes(&mut rr, "key")?.map(<[u8]>::to_vec);
    let value = varint_bytes(&mut rr, "value")?.map(<[u8]>::to_vec);
    let count_at = rr.offset();
    let header_count = rr.varint("header_count")?;
    if header_count < 0 {
        return Err(rr.error_at(
            "header_count",
            count_at,
            DecodeErrorKind::InvalidLength(i64::from(header_count)),
        ));
    }
    // Each header takes at least 2 bytes (key length and value length).
    if header_count as usize > rr.remaining() / 2 {
        return Err(rr.error_at(
            "header_count",
            count_at,
            DecodeErrorKind::LengthExceedsBuffer {
                length: header_count as u64 * 2,
                remaining: rr.remaining(),
            },
        ));
    }
    let mut headers = Vec::with_capacity(header_count as usize);
    for _ in 0..header_count {
        let key_at = rr.offset();
        let key = varint_bytes(&mut rr, "header_key")?
            .ok_or_else(|| rr.error_at("header_key", key_at, DecodeErrorKind::UnexpectedNull))?;
        let key = std::str::from_utf8(key)
            .map_err(|_| rr.error_at("header_key", key_at, DecodeErrorKind::InvalidUtf8))?
            .to_owned();
        let value = varint_bytes(&mut rr, "header_value")?.map(<[u8]>::to_vec);
        headers.push(Header { key, value });
    }
    rr.finish("record_length")?;
    Ok(Record {
        attributes,
        timestamp_delta,
        offset_delta,
        key,
        value,
        headers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn three_records() -> Vec<u8> {
        let mut b = RecordBatchBuilder::new(Vec::new(), 1024);
        b.append(1000, Some(b"k1"), Some(b"v1"), &[]);
        b.append(
            1002,
            None,
            Some(b"v2"),
            &[Header::new("a", b"1".to_vec()), Header::null("b")],
        );
        b.append(999, Some(b""), None, &[]);
        b.finish().to_vec()
    }

    #[test]
    fn known_batch_bytes_and_crc() {
        let mut b = RecordBatchBuilder::new(Vec::new(), 1024);
        b.append(0x10, Some(b"k"), Some(b"v"), &[]);
        let bytes = b.finish().to_vec();
        #[rustfmt::skip]
        let mut expected: Vec<u8> = vec![
            0, 0, 0, 0, 0, 0, 0, 0,        // base offset
            0, 0, 0, 0x3a,                 // batch length: 70 - 12 = 58
            0xff, 0xff, 0xff, 0xff,        // partition leader epoch -1
            2,                             // magic
            0, 0, 0, 0,                    // crc (filled below)
            0, 0,                          // attributes
            0, 0, 0, 0,                    // last offset delta
            0, 0, 0, 0, 0, 0, 0, 0x10,     // base timestamp
            0, 0, 0, 0, 0, 0, 0, 0x10,     // max timestamp
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, // producer id -1
            0xff, 0xff,                    // producer epoch -1
            0xff, 0xff, 0xff, 0xff,        // base sequence -1
            0, 0, 0, 1,                    // count
            // record: length 8 (zig-zag 16), attrs, ts delta 0, offset delta 0,
            // key len 1 (2), 'k', value len 1 (2), 'v', headers 0
            16, 0, 0, 0, 2, b'k', 2, b'v', 0,
        ];
        let crc = crc32c::crc32c(&expected[21..]);
        expected[17..21].copy_from_slice(&crc.to_be_bytes());
        assert_eq!(bytes.len(), 70);
        assert_eq!(bytes, expected);
        // The CRC-32C (Castagnoli) of the canonical check string.
        assert_eq!(crc32c::crc32c(b"123456789"), 0xe3069283);
    }

    #[test]
    fn round_trip_with_headers_null_key_and_null_value() {
        let bytes = three_records();
        let batches = RecordBatch::decode_all(&bytes).unwrap();
        assert_eq!(batches.len(), 1);
        let batch = &batches[0];
        assert_eq!(batch.last_offset_delta, 2);
        assert_eq!(batch.base_timestamp, 1000);
        assert_eq!(batch.max_timestamp, 1002);
        assert_eq!(batch.compression(), Some(Compression::None));
        assert_eq!(batch.timestamp_type(), TimestampType::CreateTime);
        let r = &batch.records;
        assert_eq!(r[0].key.as_deref(), Some(&b"k1"[..]));
        assert_eq!(r[1].key, None);
        assert_eq!(
            r[1].headers,
            vec![Header::new("a", b"1".to_vec()), Header::null("b")]
        );
        assert_eq!(r[2].key.as_deref(), Some(&b""[..]));
        assert_eq!(r[2].value, None);
        assert_eq!(batch.timestamp_of(&r[2]), 999, "negative timestamp delta");
        assert_eq!(batch.offset_of(&r[2]), 2);
    }

    #[test]
    fn sizes_match_what_is_written() {
        let mut b = RecordBatchBuilder::new(vec![0xaa; 3], 1 << 20);
        assert_eq!(b.size_in_bytes(), RECORD_BATCH_OVERHEAD);
        let headers = [Header::new("key", vec![1; 200])];
        for i in 0..300i64 {
            let before = b.size_in_bytes();
            let value = vec![7u8; (i * 3) as usize];
            let predicted =
                record_size_in_bytes(i as i32, i * 1000, Some(b"kk"), Some(&value), &headers);
            b.append(5 + i * 1000, Some(b"kk"), Some(&value), &headers);
            assert_eq!(b.size_in_bytes() - before, predicted, "record {i}");
        }
        let bytes = b.finish().to_vec();
        assert_eq!(
            RecordBatch::decode_all(&bytes).unwrap()[0].records.len(),
            300
        );
        // The upper bound holds for a single-record batch.
        let est = estimate_size_upper_bound(Some(b"kk"), Some(&[1; 100]), &headers);
        let mut one = RecordBatchBuilder::new(Vec::new(), 0);
        one.append(1, Some(b"kk"), Some(&[1; 100]), &headers);
        assert!(one.size_in_bytes() <= est);
        // The prefix the caller kept is untouched.
        assert_eq!(&b.into_buffer()[..3], &[0xaa; 3]);
    }

    #[test]
    fn has_room_for_respects_the_write_limit() {
        let mut b = RecordBatchBuilder::new(Vec::new(), 110);
        assert!(
            b.has_room_for(0, None, Some(&[0; 500]), &[]),
            "first record always fits"
        );
        b.append(0, None, Some(&[0; 20]), &[]);
        assert!(b.has_room_for(0, None, Some(&[0; 10]), &[]));
        assert!(!b.has_room_for(0, None, Some(&[0; 20]), &[]));
    }

    #[test]
    fn producer_state_and_refinish() {
        let mut b = RecordBatchBuilder::new(Vec::new(), 1024);
        b.append(1, None, Some(b"x"), &[]);
        b.finish();
        b.set_producer_state(ProducerState {
            producer_id: 77,
            producer_epoch: 3,
            base_sequence: 42,
            is_transactional: true,
        });
        let bytes = b.finish().to_vec();
        let batch = RecordBatch::decode_all(&bytes).unwrap().remove(0);
        assert_eq!(
            (batch.producer_id, batch.producer_epoch, batch.base_sequence),
            (77, 3, 42)
        );
        assert!(batch.is_transactional());
        assert!(!batch.is_control());
    }

    #[test]
    fn crc_mismatch_is_detected() {
        let mut bytes = three_records();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        let e = RecordBatch::decode_all(&bytes).unwrap_err();
        assert!(matches!(e.kind, DecodeErrorKind::CrcMismatch { .. }), "{e}");
        assert_eq!((e.field, e.offset), ("crc", 17));
    }

    #[test]
    fn bad_magic_and_lengths() {
        let mut bytes = three_records();
        bytes[16] = 1;
        let e = RecordBatch::decode_all(&bytes).unwrap_err();
        assert_eq!(e.kind, DecodeErrorKind::UnsupportedMagic(1));

        let mut bytes = three_records();
        bytes[8..12].copy_from_slice(&1_000_000i32.to_be_bytes());
        let e = RecordBatch::decode_all(&bytes).unwrap_err();
        assert!(
            matches!(e.kind, DecodeErrorKind::UnexpectedEof { .. }),
            "{e}"
        );

        let mut bytes = three_records();
        bytes[8..12].copy_from_slice(&(-5i32).to_be_bytes());
        assert!(matches!(
            RecordBatch::decode_all(&bytes).unwrap_err().kind,
            DecodeErrorKind::InvalidLength(-5)
        ));
    }

    /// Rewrites a batch's CRC after tampering so that the decoder gets past the CRC check.
    fn fix_crc(bytes: &mut [u8]) {
        let crc = crc32c::crc32c(&bytes[21..]);
        bytes[17..21].copy_from_slice(&crc.to_be_bytes());
    }

    #[test]
    fn lying_record_count_does_not_allocate() {
        let mut bytes = three_records();
        bytes[57..61].copy_from_slice(&i32::MAX.to_be_bytes());
        fix_crc(&mut bytes);
        let e = RecordBatch::decode_all(&bytes).unwrap_err();
        assert!(
            matches!(e.kind, DecodeErrorKind::LengthExceedsBuffer { .. }),
            "{e}"
        );
        assert_eq!(e.field, "records_count");
    }

    const CODECS: [Compression; 4] = [
        Compression::Gzip,
        Compression::Snappy,
        Compression::Lz4,
        Compression::Zstd,
    ];

    /// Records with null keys and values, headers (one with a null value), 1-byte, empty and
    /// 100 KiB values, and a negative timestamp delta.
    fn varied_builder(prefix: &[u8]) -> RecordBatchBuilder {
        let mut b = RecordBatchBuilder::new(prefix.to_vec(), 1 << 20);
        let big: Vec<u8> = (0..100 * 1024u32)
            .map(|i| b"{\"id\":12345,\"name\":\"abc\"}"[(i % 25) as usize] ^ (i % 7 == 0) as u8)
            .collect();
        b.append(1_000, Some(b"k1"), Some(b"v"), &[]);
        b.append(
            1_002,
            None,
            Some(b"x"),
            &[Header::new("a", b"1".to_vec()), Header::null("b")],
        );
        b.append(999, Some(b""), None, &[]);
        b.append(
            1_010,
            Some(b"big"),
            Some(&big),
            &[Header::new("h", big[..50].to_vec())],
        );
        for i in 0..200i64 {
            let v = format!(r#"{{"seq":{i},"user":"user-{}","ok":true}}"#, i % 13);
            b.append(1_100 + i, Some(&i.to_be_bytes()), Some(v.as_bytes()), &[]);
        }
        b
    }

    #[test]
    fn every_codec_round_trips_through_the_builder() {
        let plain = varied_builder(&[]).finish().to_vec();
        let expected = RecordBatch::decode_all(&plain).unwrap().remove(0);
        let mut scratch = Vec::new();
        for codec in CODECS {
            let mut b = varied_builder(&[0xaa; 5]);
            b.set_compression(codec, 1.0);
            let uncompressed = b.uncompressed_records_size();
            assert_eq!(uncompressed, plain.len() - RECORD_BATCH_OVERHEAD);
            let bytes = b.finish_compressed(None, &mut scratch).unwrap().to_vec();
            assert!(bytes.len() < plain.len() / 2, "{codec}: {}", bytes.len());
            assert!(b.is_compressed());
            assert_eq!(b.uncompressed_records_size(), uncompressed);
            assert_eq!(b.size_in_bytes(), bytes.len());
            assert_eq!(b.estimated_size_in_bytes(), bytes.len());
            let ratio = (bytes.len() - RECORD_BATCH_OVERHEAD) as f32 / uncompressed as f32;
            assert_eq!(b.compression_ratio(), ratio);
            // Header: codec bits, length and CRC over the compressed bytes.
            assert_eq!(i16::from_be_bytes([bytes[21], bytes[22]]), codec as i16);
            assert_eq!(
                i32::from_be_bytes(bytes[8..12].try_into().unwrap()) as usize,
                bytes.len() - LOG_OVERHEAD
            );
            assert_eq!(
                &bytes[..61][23..61],
                &plain[23..61],
                "{codec}: other fields"
            );
            let batch = RecordBatch::decode_all(&bytes).unwrap().remove(0);
            assert_eq!(batch.compression(), Some(codec));
            assert_eq!(batch.records, expected.records, "{codec}");
            assert_eq!(
                (
                    batch.last_offset_delta,
                    batch.base_timestamp,
                    batch.max_timestamp
                ),
                (expected.last_offset_delta, 1_000, 1_299)
            );
            // The caller's prefix is untouched.
            assert_eq!(&b.into_buffer()[..5], &[0xaa; 5]);
        }
    }

    #[test]
    fn compressed_batches_keep_their_buffer_and_take_producer_state() {
        let mut b = varied_builder(&[]);
        b.set_compression(Compression::Zstd, 0.5);
        let ptr = b.bytes().as_ptr();
        let mut scratch = Vec::new();
        b.finish_compressed(Some(10), &mut scratch).unwrap();
        assert_eq!(
            b.bytes().as_ptr(),
            ptr,
            "compressed in place, same allocation"
        );
        // Closed for appends.
        assert!(!b.has_room_for(0, None, Some(b"x"), &[]));
        let count = b.record_count();
        assert_eq!(b.append(5_000, None, Some(b"late"), &[]), -1);
        assert_eq!(b.record_count(), count);
        // Producer state after compression: through the builder...
        let state = ProducerState {
            producer_id: 77,
            producer_epoch: 3,
            base_sequence: 42,
            is_transactional: true,
        };
        b.set_producer_state(state);
        let bytes = b.finish().to_vec();
        let batch = RecordBatch::decode_all(&bytes).unwrap().remove(0);
        assert_eq!(batch.compression(), Some(Compression::Zstd));
        assert_eq!(
            (batch.producer_id, batch.producer_epoch, batch.base_sequence),
            (77, 3, 42)
        );
        assert!(batch.is_transactional());
        // ...and on the bytes.
        let mut bytes = bytes;
        rewrite_producer_state(
            &mut bytes,
            ProducerState {
                base_sequence: 7,
                is_transactional: false,
                ..state
            },
        );
        let batch2 = RecordBatch::decode_all(&bytes).unwrap().remove(0);
        assert_eq!(
            (batch2.base_sequence, batch2.is_transactional()),
            (7, false)
        );
        assert_eq!(batch2.compression(), Some(Compression::Zstd));
        assert_eq!(batch2.records, batch.records);
        // A second finish_compressed only finishes again.
        let again = b.finish_compressed(None, &mut scratch).unwrap().to_vec();
        let batch3 = RecordBatch::decode_all(&again).unwrap().remove(0);
        assert_eq!(batch3.records, batch.records);
    }

    #[test]
    fn finish_compressed_without_codec_or_with_a_bad_level() {
        let mut b = varied_builder(&[]);
        let plain = b.finish().to_vec();
        assert_eq!(
            b.finish_compressed(None, &mut Vec::new()).unwrap(),
            &plain[..]
        );
        assert!(!b.is_compressed());
        assert_eq!(b.compression_ratio(), 1.0);

        let mut b = varied_builder(&[]);
        b.set_compression(Compression::Gzip, 1.0);
        let e = b.finish_compressed(Some(42), &mut Vec::new()).unwrap_err();
        assert!(matches!(
            e,
            CompressionError::InvalidLevel { level: 42, .. }
        ));
        // Nothing changed: still open and uncompressed.
        assert!(!b.is_compressed());
        assert_eq!(b.finish(), &plain[..]);
        assert!(b.has_room_for(0, None, Some(b"x"), &[]));
    }

    #[test]
    fn has_room_for_uses_the_estimated_compressed_size() {
        let value = [b'a'; 100];
        let fill = |codec, ratio| {
            let mut b = RecordBatchBuilder::new(Vec::new(), 10_000);
            b.set_compression(codec, ratio);
            while b.has_room_for(0, None, Some(&value), &[]) {
                b.append(0, None, Some(&value), &[]);
            }
            b
        };
        let none = fill(Compression::None, 0.5);
        let lz4_1 = fill(Compression::Lz4, 1.0);
        let lz4_half = fill(Compression::Lz4, 0.5);
        // Without compression the ratio is ignored; at ratio 1.0 the 5% margin costs records;
        // at 0.5 about twice as many fit.
        assert!(none.size_in_bytes() <= 10_000);
        assert!(lz4_1.record_count() < none.record_count());
        assert!(lz4_1.estimated_size_in_bytes() <= 10_000);
        assert!(lz4_half.record_count() > none.record_count() * 18 / 10);
        let est = lz4_half.estimated_size_in_bytes();
        assert_eq!(
            est,
            61 + (lz4_half.uncompressed_records_size() as f32 * 0.5 * 1.05) as usize
        );
        assert!(est <= 10_000 && est > 9_000, "{est}");
    }

    #[test]
    fn compressed_garbage_is_an_error() {
        for codec in CODECS {
            let mut bytes = three_records();
            bytes[22] |= codec as u8;
            fix_crc(&mut bytes);
            let e = RecordBatch::decode_all(&bytes).unwrap_err();
            assert!(
                matches!(e.kind, DecodeErrorKind::InvalidValue(_)),
                "{codec}: {e}"
            );
        }
        for bits in 5..=7 {
            let mut bytes = three_records();
            bytes[22] |= bits;
            fix_crc(&mut bytes);
            let e = RecordBatch::decode_all(&bytes).unwrap_err();
            assert_eq!(e.field, "attributes");
            assert!(e.to_string().contains("unknown compression codec"), "{e}");
        }
    }

    #[test]
    fn compressed_batches_survive_tampering() {
        let mut scratch = Vec::new();
        for codec in CODECS {
            let mut b = varied_builder(&[]);
            b.set_compression(codec, 1.0);
            let bytes = b.finish_compressed(None, &mut scratch).unwrap().to_vec();
            for n in (0..bytes.len()).step_by(37) {
                assert!(RecordBatch::decode_all(&bytes[..n]).is_err() || n == 0);
            }
            // Flipped bits in the compressed records, CRC fixed: an error or other records.
            let mut x: u32 = 99;
            for _ in 0..200 {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                let mut bad = bytes.clone();
                let at = RECORD_BATCH_OVERHEAD + (x as usize >> 4) % (bad.len() - 61);
                bad[at] ^= 1 << (x % 8);
                fix_crc(&mut bad);
                let _ = RecordBatch::decode_all(&bad);
            }
            // A count that disagrees with the records.
            for (count, field) in [(205i32, "record_length"), (203, "records")] {
                let mut bad = bytes.clone();
                bad[57..61].copy_from_slice(&count.to_be_bytes());
                fix_crc(&mut bad);
                let e = RecordBatch::decode_all(&bad).unwrap_err();
                assert_eq!(e.context, "RecordBatch records (decompressed)", "{e}");
                assert!(e.field == field || e.field == "records_count", "{e}");
            }
        }
    }

    #[test]
    fn decompression_bombs_hit_the_limit() {
        let mut scratch = Vec::new();
        for codec in CODECS {
            let mut b = RecordBatchBuilder::new(Vec::new(), usize::MAX);
            b.set_compression(codec, 1.0);
            b.append(0, None, Some(&vec![0u8; 4 << 20]), &[]);
            let bomb = b.finish_compressed(None, &mut scratch).unwrap().to_vec();
            assert!(bomb.len() < 250_000, "{codec}: {}", bomb.len());
            let e = RecordBatch::decode_all_with_limit(&bomb, 1 << 20).unwrap_err();
            assert_eq!((e.field, e.offset), ("records", 61), "{codec}: {e}");
            assert_eq!(
                e.kind,
                DecodeErrorKind::InvalidValue(
                    "decompressed records exceed the decompressed size limit"
                )
            );
            assert_eq!(RecordBatch::decode_all(&bomb).unwrap()[0].records.len(), 1);
            // The limit is shared by the batches of one buffer.
            let two = [&bomb[..], &bomb[..]].concat();
            assert!(RecordBatch::decode_all_with_limit(&two, 9 << 20).is_ok());
            assert!(RecordBatch::decode_all_with_limit(&two, 8 << 20).is_err());
            // decode_with_limit caps one batch.
            let mut r = Reader::new(&two, "test");
            assert!(RecordBatch::decode_with_limit(&mut r, 5 << 20).is_ok());
            assert!(RecordBatch::decode_with_limit(&mut r, 4 << 20).is_err());
        }
    }

    #[test]
    fn every_truncation_is_an_error() {
        let bytes = three_records();
        for n in 0..bytes.len() {
            assert!(
                RecordBatch::decode_all(&bytes[..n]).is_err() || n == 0,
                "prefix {n}"
            );
        }
    }

    #[test]
    fn thousand_records_round_trip() {
        let mut b = RecordBatchBuilder::new(Vec::new(), usize::MAX);
        for i in 0..1000u32 {
            let key = i.to_be_bytes();
            b.append(
                i64::from(i),
                (i % 3 != 0).then_some(&key[..]),
                Some(&[i as u8; 10]),
                &[],
            );
        }
        let bytes = b.finish().to_vec();
        let batch = RecordBatch::decode_all(&bytes).unwrap().remove(0);
        assert_eq!(batch.records.len(), 1000);
        assert_eq!(batch.last_offset_delta, 999);
        assert_eq!(batch.records[3].key, None);
        assert_eq!(
            batch.records[4].key.as_deref(),
            Some(&4u32.to_be_bytes()[..])
        );
    }
}
