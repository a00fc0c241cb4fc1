//! Reading batches back: [`RecordBatch`] and its [`Record`]s, with CRC verification, safe on
//! hostile input.

use super::*;

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
pub(super) const MIN_RECORD_SIZE: usize = 7;

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
pub(super) fn decode_records(
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

pub(super) fn varint_bytes<'a>(
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

pub(super) fn decode_record(r: &mut Reader<'_>) -> Result<Record, DecodeError> {
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
