//! Writing batches: [`RecordBatchBuilder`], the producer state in the header, and rewriting
//! it in an encoded batch.

use super::size::record_sizes;
use super::*;

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
        self.append_sized(timestamp, key, value, headers, false)
            .map_or(-1, |(offset_delta, _)| offset_delta)
    }

    /// [`has_room_for`](Self::has_room_for) and [`append`](Self::append) in one step, sizing
    /// the record once: appends the record when it fits and returns its offset delta and the
    /// bytes it took; `None` (nothing written) when it does not fit or the records are
    /// compressed.
    ///
    /// ```
    /// use kafka_producer::protocol::record_batch::RecordBatchBuilder;
    /// let mut b = RecordBatchBuilder::new(Vec::new(), 100);
    /// assert_eq!(b.try_append(0, None, Some(&[0; 40]), &[]), Some((0, 47)));
    /// assert_eq!(b.try_append(0, None, Some(&[0; 40]), &[]), None); // 61 + 47 + 47 > 100
    /// ```
    pub fn try_append(
        &mut self,
        timestamp: i64,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &[Header],
    ) -> Option<(i32, usize)> {
        self.append_sized(timestamp, key, value, headers, true)
    }

    /// Sizes the record once and appends it (unless the records are compressed, or
    /// `check_room` and it does not fit): its offset delta and the bytes it took.
    fn append_sized(
        &mut self,
        timestamp: i64,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &[Header],
        check_room: bool,
    ) -> Option<(i32, usize)> {
        if self.compressed_from.is_some() {
            return None;
        }
        let base = self.base_timestamp.unwrap_or(timestamp);
        let offset_delta = self.count;
        let timestamp_delta = timestamp.wrapping_sub(base);
        let (body, size) = record_sizes(offset_delta, timestamp_delta, key, value, headers);
        if check_room
            && self.count > 0
            && self.estimated_size_in_bytes().saturating_add(size) > self.write_limit
        {
            return None;
        }
        self.base_timestamp = Some(base);
        self.write_record(body, timestamp, timestamp_delta, key, value, headers);
        Some((offset_delta, size))
    }

    /// Writes one record of `body` bytes (after its length prefix) at offset delta `count`,
    /// into room reserved once: the varints byte by byte, the key and value as one copy each.
    fn write_record(
        &mut self,
        body: usize,
        timestamp: i64,
        timestamp_delta: i64,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &[Header],
    ) {
        let offset_delta = self.count;
        let buf = &mut self.buf;
        buf.reserve(varint_len(body as i32) + body);
        push_varint(buf, body as i32);
        buf.push(0); // record attributes: unused
        push_varlong(buf, timestamp_delta);
        push_varint(buf, offset_delta);
        push_varint_bytes(buf, key);
        push_varint_bytes(buf, value);
        push_varint(buf, headers.len() as i32);
        for h in headers {
            push_varint_bytes(buf, Some(h.key.as_bytes()));
            push_varint_bytes(buf, h.value.as_deref());
        }
        self.max_timestamp = self.max_timestamp.max(timestamp);
        self.count += 1;
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

/// A zig-zag VARINT: the same bytes as the VARLONG of the same value.
#[inline]
fn push_varint(buf: &mut Vec<u8>, v: i32) {
    push_varlong(buf, i64::from(v));
}

/// A zig-zag VARLONG, byte by byte (the room is reserved: no call per byte).
#[inline]
fn push_varlong(buf: &mut Vec<u8>, v: i64) {
    let mut z = ((v << 1) ^ (v >> 63)) as u64;
    while z >= 0x80 {
        buf.push((z as u8) | 0x80);
        z >>= 7;
    }
    buf.push(z as u8);
}

/// VARINT length then the bytes; -1 for null.
#[inline]
fn push_varint_bytes(buf: &mut Vec<u8>, b: Option<&[u8]>) {
    match b {
        None => push_varint(buf, -1),
        Some(b) => {
            push_varint(buf, b.len() as i32);
            buf.extend_from_slice(b);
        }
    }
}
