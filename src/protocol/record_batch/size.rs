//! The sizes of records and batches, as Java's `DefaultRecord` and `DefaultRecordBatch` compute them.

use super::*;

/// Size of one record's body after its length prefix (Java `DefaultRecord.sizeOfBodyInBytes`).
#[inline]
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
#[inline]
pub fn record_size_in_bytes(
    offset_delta: i32,
    timestamp_delta: i64,
    key: Option<&[u8]>,
    value: Option<&[u8]>,
    headers: &[Header],
) -> usize {
    record_sizes(offset_delta, timestamp_delta, key, value, headers).1
}

/// A record's body size (after its length prefix) and its whole size (with the prefix).
#[inline]
pub(super) fn record_sizes(
    offset_delta: i32,
    timestamp_delta: i64,
    key: Option<&[u8]>,
    value: Option<&[u8]>,
    headers: &[Header],
) -> (usize, usize) {
    let body = record_body_size(
        offset_delta,
        timestamp_delta,
        key.map(<[u8]>::len),
        value.map(<[u8]>::len),
        headers,
    );
    (body, varint_len(body as i32) + body)
}

/// An upper bound of the bytes a batch holding only this record takes (Java
/// `AbstractRecords.estimateSizeInBytesUpperBound` for magic 2): used to size a new batch and to
/// reject records larger than `max.request.size` before they are appended.
///
/// ```
/// use kafka_producer::protocol::record_batch::estimate_size_upper_bound;
/// assert!(estimate_size_upper_bound(Some(b"k"), Some(b"v"), &[]) < 100);
/// ```
#[inline]
pub fn estimate_size_upper_bound(
    key: Option<&[u8]>,
    value: Option<&[u8]>,
    headers: &[Header],
) -> usize {
    RECORD_BATCH_OVERHEAD + record_size_in_bytes(i32::MAX, i64::MAX, key, value, headers)
}
