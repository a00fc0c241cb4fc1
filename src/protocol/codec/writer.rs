//! [`Writer`]: the encode side, the protocol primitives appended to a `Vec<u8>`.

use super::Uuid;
use super::varint::{MAX_VARINT_BYTES, MAX_VARLONG_BYTES};

/// Encoding of protocol primitives; implemented for `Vec<u8>`.
///
/// ```
/// use kafka_producer::protocol::codec::Writer;
/// let mut buf = Vec::new();
/// buf.put_i16(1);
/// buf.put_string("ab", true); // compact: uvarint(len + 1)
/// buf.put_varint(-1);         // zig-zag: 1
/// assert_eq!(buf, [0, 1, 3, b'a', b'b', 1]);
/// ```
pub trait Writer {
    /// Appends raw bytes.
    fn put_slice(&mut self, b: &[u8]);

    /// INT8.
    fn put_i8(&mut self, v: i8) {
        self.put_slice(&v.to_be_bytes());
    }
    /// INT16.
    fn put_i16(&mut self, v: i16) {
        self.put_slice(&v.to_be_bytes());
    }
    /// INT32.
    fn put_i32(&mut self, v: i32) {
        self.put_slice(&v.to_be_bytes());
    }
    /// INT64.
    fn put_i64(&mut self, v: i64) {
        self.put_slice(&v.to_be_bytes());
    }
    /// UINT16.
    fn put_u16(&mut self, v: u16) {
        self.put_slice(&v.to_be_bytes());
    }
    /// UINT32.
    fn put_u32(&mut self, v: u32) {
        self.put_slice(&v.to_be_bytes());
    }
    /// BOOLEAN.
    fn put_bool(&mut self, v: bool) {
        self.put_i8(v as i8);
    }
    /// UUID.
    fn put_uuid(&mut self, v: &Uuid) {
        self.put_slice(&v.0);
    }
    /// UNSIGNED_VARINT.
    fn put_uvarint(&mut self, mut v: u32) {
        let mut tmp = [0u8; MAX_VARINT_BYTES];
        let mut i = 0;
        while v >= 0x80 {
            tmp[i] = (v as u8) | 0x80;
            v >>= 7;
            i += 1;
        }
        tmp[i] = v as u8;
        self.put_slice(&tmp[..=i]);
    }
    /// VARINT (zig-zag).
    fn put_varint(&mut self, v: i32) {
        self.put_uvarint(((v << 1) ^ (v >> 31)) as u32);
    }
    /// VARLONG (zig-zag).
    fn put_varlong(&mut self, v: i64) {
        let mut z = ((v << 1) ^ (v >> 63)) as u64;
        let mut tmp = [0u8; MAX_VARLONG_BYTES];
        let mut i = 0;
        while z >= 0x80 {
            tmp[i] = (z as u8) | 0x80;
            z >>= 7;
            i += 1;
        }
        tmp[i] = z as u8;
        self.put_slice(&tmp[..=i]);
    }
    /// A length prefix for strings (INT16), bytes and arrays (INT32), or compact (`len + 1`).
    /// `None` writes null.
    fn put_length(&mut self, len: Option<usize>, flexible: bool, wide: bool) {
        match (len, flexible) {
            (None, true) => self.put_uvarint(0),
            (Some(n), true) => self.put_uvarint(n as u32 + 1),
            (None, false) if wide => self.put_i32(-1),
            (None, false) => self.put_i16(-1),
            (Some(n), false) if wide => self.put_i32(n as i32),
            (Some(n), false) => self.put_i16(n as i16),
        }
    }
    /// STRING / COMPACT_STRING.
    fn put_string(&mut self, s: &str, flexible: bool) {
        self.put_length(Some(s.len()), flexible, false);
        self.put_slice(s.as_bytes());
    }
    /// NULLABLE_STRING / COMPACT_NULLABLE_STRING.
    fn put_nullable_string(&mut self, s: Option<&str>, flexible: bool) {
        match s {
            Some(s) => self.put_string(s, flexible),
            None => self.put_length(None, flexible, false),
        }
    }
    /// BYTES / COMPACT_BYTES.
    fn put_bytes(&mut self, b: &[u8], flexible: bool) {
        self.put_length(Some(b.len()), flexible, true);
        self.put_slice(b);
    }
    /// NULLABLE_BYTES / COMPACT_NULLABLE_BYTES.
    fn put_nullable_bytes(&mut self, b: Option<&[u8]>, flexible: bool) {
        match b {
            Some(b) => self.put_bytes(b, flexible),
            None => self.put_length(None, flexible, true),
        }
    }
    /// The element count of an ARRAY / COMPACT_ARRAY.
    fn put_array_len(&mut self, n: usize, flexible: bool) {
        self.put_length(Some(n), flexible, true);
    }
    /// An empty tagged-field section (flexible versions).
    fn put_empty_tagged_fields(&mut self) {
        self.put_uvarint(0);
    }
    /// One tagged field: tag, size, data (the section's count is written by the caller).
    fn put_tagged_field(&mut self, tag: u32, data: &[u8]) {
        self.put_uvarint(tag);
        self.put_uvarint(data.len() as u32);
        self.put_slice(data);
    }
}

impl Writer for Vec<u8> {
    fn put_slice(&mut self, b: &[u8]) {
        self.extend_from_slice(b);
    }
}
