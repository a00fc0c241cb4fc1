//! Primitive types of the Kafka wire protocol: a bounds-checked [`Reader`] for decoding and the
//! [`Writer`] trait (implemented for `Vec<u8>`) for encoding.
//!
//! Every multi-byte integer is big-endian. Variable-length integers use the protobuf encoding:
//! unsigned varints, and zig-zag signed varints / varlongs. "Compact" strings, bytes and arrays
//! (flexible versions, KIP-482) prefix their length with an unsigned varint of `length + 1`, where
//! 0 means null. Every decode failure is a [`DecodeError`] naming the structure, the field and the
//! byte offset; no input makes a decoder panic or allocate more than the bytes present justify.

use std::fmt;

/// Why a decode failed, with where: the structure being decoded (`context`, e.g.
/// `"MetadataResponse v12"`), the field, and the byte offset from the start of the decoded buffer.
///
/// ```
/// use kafka_producer::protocol::codec::Reader;
/// let mut r = Reader::new(&[0, 1], "Example");
/// let err = r.i32("count").unwrap_err();
/// assert_eq!(err.field, "count");
/// assert_eq!(err.offset, 0);
/// assert!(err.to_string().contains("Example"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// The structure being decoded (an API and version, a record batch, a header).
    pub context: &'static str,
    /// The field whose bytes were wrong.
    pub field: &'static str,
    /// Byte offset of that field from the start of the buffer given to the decoder.
    pub offset: usize,
    /// What was wrong.
    pub kind: DecodeErrorKind,
}

/// What was wrong with the bytes, see [`DecodeError`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeErrorKind {
    /// The buffer ended before the field did.
    UnexpectedEof {
        /// Bytes the field needs.
        needed: usize,
        /// Bytes left in the buffer.
        remaining: usize,
    },
    /// A length or count is negative where null is not allowed (or below -1).
    InvalidLength(i64),
    /// A length or count claims more bytes than are left in the buffer.
    LengthExceedsBuffer {
        /// The claimed length (in bytes, or elements times their minimum size).
        length: u64,
        /// Bytes left in the buffer.
        remaining: usize,
    },
    /// A varint ran over its maximum number of bytes.
    VarintTooLong,
    /// A string is not valid UTF-8.
    InvalidUtf8,
    /// A null appeared where the protocol does not allow one.
    UnexpectedNull,
    /// The record batch magic byte is not 2.
    UnsupportedMagic(i8),
    /// The CRC-32C of a record batch does not match its contents.
    CrcMismatch {
        /// CRC stored in the batch.
        stored: u32,
        /// CRC computed over the bytes present.
        computed: u32,
    },
    /// Bytes were left over after a structure that must fill its frame.
    TrailingBytes(usize),
    /// The version is not one this crate can decode.
    UnsupportedVersion(i16),
    /// A value is out of its allowed range; the text says which.
    InvalidValue(&'static str),
}

impl fmt::Display for DecodeErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeErrorKind::UnexpectedEof { needed, remaining } => {
                write!(f, "needs {needed} bytes but only {remaining} remain")
            }
            DecodeErrorKind::InvalidLength(n) => write!(f, "invalid length {n}"),
            DecodeErrorKind::LengthExceedsBuffer { length, remaining } => {
                write!(f, "length {length} exceeds the {remaining} bytes remaining")
            }
            DecodeErrorKind::VarintTooLong => write!(f, "varint is longer than allowed"),
            DecodeErrorKind::InvalidUtf8 => write!(f, "string is not valid UTF-8"),
            DecodeErrorKind::UnexpectedNull => write!(f, "unexpected null"),
            DecodeErrorKind::UnsupportedMagic(m) => {
                write!(
                    f,
                    "unsupported record batch magic {m} (only 2 is supported)"
                )
            }
            DecodeErrorKind::CrcMismatch { stored, computed } => write!(
                f,
                "CRC-32C mismatch: stored {stored:#010x}, computed {computed:#010x}"
            ),
            DecodeErrorKind::TrailingBytes(n) => write!(f, "{n} unexpected trailing bytes"),
            DecodeErrorKind::UnsupportedVersion(v) => write!(f, "unsupported version {v}"),
            DecodeErrorKind::InvalidValue(what) => write!(f, "invalid value: {what}"),
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot decode {}: field `{}` at byte {}: {}",
            self.context, self.field, self.offset, self.kind
        )
    }
}

impl std::error::Error for DecodeError {}

/// A bounds-checked cursor over received bytes.
///
/// Each read names its field, so that an error says where it happened.
///
/// ```
/// use kafka_producer::protocol::codec::Reader;
/// let bytes = [0x00, 0x03, b'a', b'b', b'c', 0x02];
/// let mut r = Reader::new(&bytes, "Example");
/// assert_eq!(r.string("name", false).unwrap(), "abc");
/// assert_eq!(r.varint("delta").unwrap(), 1); // zig-zag: 2 -> 1
/// assert!(r.is_empty());
/// ```
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    base: usize,
    context: &'static str,
}

/// Maximum bytes of a varint (32 bits) and varlong (64 bits).
const MAX_VARINT_BYTES: usize = 5;
const MAX_VARLONG_BYTES: usize = 10;

impl<'a> Reader<'a> {
    /// A reader over `buf`; `context` names the structure in errors.
    pub fn new(buf: &'a [u8], context: &'static str) -> Self {
        Reader {
            buf,
            pos: 0,
            base: 0,
            context,
        }
    }

    /// Changes the structure named in errors (e.g. once the API version is known).
    pub fn set_context(&mut self, context: &'static str) {
        self.context = context;
    }

    /// The structure named in errors.
    pub fn context(&self) -> &'static str {
        self.context
    }

    /// Bytes not yet read.
    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// True when every byte was read.
    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    /// Offset of the next byte, from the start of the outermost buffer.
    pub fn offset(&self) -> usize {
        self.base + self.pos
    }

    /// The bytes not yet read, without consuming them.
    pub fn rest(&self) -> &'a [u8] {
        &self.buf[self.pos..]
    }

    /// An error of `kind` for `field` at the current offset.
    pub fn error(&self, field: &'static str, kind: DecodeErrorKind) -> DecodeError {
        self.error_at(field, self.offset(), kind)
    }

    /// An error of `kind` for `field` at an earlier `offset` (where the field started).
    pub fn error_at(
        &self,
        field: &'static str,
        offset: usize,
        kind: DecodeErrorKind,
    ) -> DecodeError {
        DecodeError {
            context: self.context,
            field,
            offset,
            kind,
        }
    }

    /// Fails with [`DecodeErrorKind::TrailingBytes`] unless every byte was read.
    pub fn finish(&self, field: &'static str) -> Result<(), DecodeError> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(self.error(field, DecodeErrorKind::TrailingBytes(self.remaining())))
        }
    }

    /// Takes the next `n` bytes.
    pub fn bytes_raw(&mut self, field: &'static str, n: usize) -> Result<&'a [u8], DecodeError> {
        if n > self.remaining() {
            return Err(self.error(
                field,
                DecodeErrorKind::UnexpectedEof {
                    needed: n,
                    remaining: self.remaining(),
                },
            ));
        }
        let out = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    /// A reader over the next `n` bytes (consumed from this one), with offsets kept absolute.
    pub fn sub_reader(&mut self, field: &'static str, n: usize) -> Result<Reader<'a>, DecodeError> {
        let base = self.offset();
        let buf = self.bytes_raw(field, n)?;
        Ok(Reader {
            buf,
            pos: 0,
            base,
            context: self.context,
        })
    }

    fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], DecodeError> {
        let b = self.bytes_raw(field, N)?;
        let mut out = [0u8; N];
        out.copy_from_slice(b);
        Ok(out)
    }

    /// INT8.
    pub fn i8(&mut self, field: &'static str) -> Result<i8, DecodeError> {
        Ok(i8::from_be_bytes(self.array(field)?))
    }

    /// INT16.
    pub fn i16(&mut self, field: &'static str) -> Result<i16, DecodeError> {
        Ok(i16::from_be_bytes(self.array(field)?))
    }

    /// INT32.
    pub fn i32(&mut self, field: &'static str) -> Result<i32, DecodeError> {
        Ok(i32::from_be_bytes(self.array(field)?))
    }

    /// INT64.
    pub fn i64(&mut self, field: &'static str) -> Result<i64, DecodeError> {
        Ok(i64::from_be_bytes(self.array(field)?))
    }

    /// UINT16.
    pub fn u16(&mut self, field: &'static str) -> Result<u16, DecodeError> {
        Ok(u16::from_be_bytes(self.array(field)?))
    }

    /// UINT32.
    pub fn u32(&mut self, field: &'static str) -> Result<u32, DecodeError> {
        Ok(u32::from_be_bytes(self.array(field)?))
    }

    /// BOOLEAN: one byte, any non-zero value is true (as the Java client reads it).
    pub fn bool(&mut self, field: &'static str) -> Result<bool, DecodeError> {
        Ok(self.i8(field)? != 0)
    }

    /// UUID: 16 bytes.
    pub fn uuid(&mut self, field: &'static str) -> Result<Uuid, DecodeError> {
        Ok(Uuid(self.array(field)?))
    }

    fn raw_varint(&mut self, field: &'static str, max_bytes: usize) -> Result<u64, DecodeError> {
        let start = self.offset();
        let mut value: u64 = 0;
        for i in 0..max_bytes {
            let b = self.bytes_raw(field, 1)?[0];
            value |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(self.error_at(field, start, DecodeErrorKind::VarintTooLong))
    }

    /// UNSIGNED_VARINT (at most 5 bytes, 32 bits).
    pub fn uvarint(&mut self, field: &'static str) -> Result<u32, DecodeError> {
        let start = self.offset();
        let v = self.raw_varint(field, MAX_VARINT_BYTES)?;
        u32::try_from(v).map_err(|_| self.error_at(field, start, DecodeErrorKind::VarintTooLong))
    }

    /// VARINT: zig-zag signed 32-bit.
    pub fn varint(&mut self, field: &'static str) -> Result<i32, DecodeError> {
        let v = self.uvarint(field)?;
        Ok(((v >> 1) as i32) ^ -((v & 1) as i32))
    }

    /// VARLONG: zig-zag signed 64-bit.
    pub fn varlong(&mut self, field: &'static str) -> Result<i64, DecodeError> {
        let v = self.raw_varint(field, MAX_VARLONG_BYTES)?;
        Ok(((v >> 1) as i64) ^ -((v & 1) as i64))
    }

    /// Checks that `count` items of at least `min_size` bytes each can fit in what remains.
    fn check_fits(
        &self,
        field: &'static str,
        start: usize,
        count: u64,
        min_size: usize,
    ) -> Result<(), DecodeError> {
        let needed = count.saturating_mul(min_size as u64);
        if needed > self.remaining() as u64 {
            Err(self.error_at(
                field,
                start,
                DecodeErrorKind::LengthExceedsBuffer {
                    length: needed,
                    remaining: self.remaining(),
                },
            ))
        } else {
            Ok(())
        }
    }

    /// A length prefix: INT16 (`wide == false`) or INT32, or the compact unsigned varint
    /// (`length + 1`) in flexible versions. `None` is null (-1 / 0 compact).
    fn length(
        &mut self,
        field: &'static str,
        flexible: bool,
        wide: bool,
    ) -> Result<Option<usize>, DecodeError> {
        let start = self.offset();
        let n: i64 = if flexible {
            i64::from(self.uvarint(field)?) - 1
        } else if wide {
            i64::from(self.i32(field)?)
        } else {
            i64::from(self.i16(field)?)
        };
        match n {
            -1 => Ok(None),
            n if n < -1 => Err(self.error_at(field, start, DecodeErrorKind::InvalidLength(n))),
            n => Ok(Some(n as usize)),
        }
    }

    fn str_of(
        &self,
        field: &'static str,
        start: usize,
        b: &'a [u8],
    ) -> Result<&'a str, DecodeError> {
        std::str::from_utf8(b)
            .map_err(|_| self.error_at(field, start, DecodeErrorKind::InvalidUtf8))
    }

    /// NULLABLE_STRING or COMPACT_NULLABLE_STRING.
    pub fn nullable_str(
        &mut self,
        field: &'static str,
        flexible: bool,
    ) -> Result<Option<&'a str>, DecodeError> {
        let start = self.offset();
        match self.length(field, flexible, false)? {
            None => Ok(None),
            Some(n) => {
                let b = self.bytes_raw(field, n)?;
                self.str_of(field, start, b).map(Some)
            }
        }
    }

    /// STRING or COMPACT_STRING (null is an error).
    pub fn str(&mut self, field: &'static str, flexible: bool) -> Result<&'a str, DecodeError> {
        let start = self.offset();
        self.nullable_str(field, flexible)?
            .ok_or_else(|| self.error_at(field, start, DecodeErrorKind::UnexpectedNull))
    }

    /// STRING or COMPACT_STRING, owned.
    pub fn string(&mut self, field: &'static str, flexible: bool) -> Result<String, DecodeError> {
        self.str(field, flexible).map(str::to_owned)
    }

    /// NULLABLE_STRING or COMPACT_NULLABLE_STRING, owned.
    pub fn nullable_string(
        &mut self,
        field: &'static str,
        flexible: bool,
    ) -> Result<Option<String>, DecodeError> {
        Ok(self.nullable_str(field, flexible)?.map(str::to_owned))
    }

    /// NULLABLE_BYTES or COMPACT_NULLABLE_BYTES (INT32 length when not flexible).
    pub fn nullable_bytes(
        &mut self,
        field: &'static str,
        flexible: bool,
    ) -> Result<Option<&'a [u8]>, DecodeError> {
        match self.length(field, flexible, true)? {
            None => Ok(None),
            Some(n) => self.bytes_raw(field, n).map(Some),
        }
    }

    /// BYTES or COMPACT_BYTES (null is an error).
    pub fn bytes(&mut self, field: &'static str, flexible: bool) -> Result<&'a [u8], DecodeError> {
        let start = self.offset();
        self.nullable_bytes(field, flexible)?
            .ok_or_else(|| self.error_at(field, start, DecodeErrorKind::UnexpectedNull))
    }

    /// The element count of a (compact) nullable array, checked against the bytes left given
    /// that each element takes at least `min_element_size` bytes.
    pub fn nullable_array_len(
        &mut self,
        field: &'static str,
        flexible: bool,
        min_element_size: usize,
    ) -> Result<Option<usize>, DecodeError> {
        let start = self.offset();
        let n = self.length(field, flexible, true)?;
        if let Some(n) = n {
            self.check_fits(field, start, n as u64, min_element_size.max(1))?;
        }
        Ok(n)
    }

    /// The element count of a (compact) array; null is an error.
    pub fn array_len(
        &mut self,
        field: &'static str,
        flexible: bool,
        min_element_size: usize,
    ) -> Result<usize, DecodeError> {
        let start = self.offset();
        self.nullable_array_len(field, flexible, min_element_size)?
            .ok_or_else(|| self.error_at(field, start, DecodeErrorKind::UnexpectedNull))
    }

    /// Reads an array with `read` called once per element.
    pub fn array_of<T>(
        &mut self,
        field: &'static str,
        flexible: bool,
        min_element_size: usize,
        mut read: impl FnMut(&mut Self) -> Result<T, DecodeError>,
    ) -> Result<Vec<T>, DecodeError> {
        let n = self.array_len(field, flexible, min_element_size)?;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            out.push(read(self)?);
        }
        Ok(out)
    }

    /// An array of INT32 (e.g. replica ids).
    pub fn i32_array(
        &mut self,
        field: &'static str,
        flexible: bool,
    ) -> Result<Vec<i32>, DecodeError> {
        self.array_of(field, flexible, 4, |r| r.i32(field))
    }

    /// A tagged-field section (flexible versions): calls `on_field(tag, reader)` for each field;
    /// the callback may decode known tags and ignore the rest (the reader is then skipped).
    /// Tags must be strictly increasing, as the protocol requires.
    pub fn tagged_fields(
        &mut self,
        mut on_field: impl FnMut(u32, &mut Reader<'a>) -> Result<(), DecodeError>,
    ) -> Result<(), DecodeError> {
        let start = self.offset();
        let count = self.uvarint("tagged_fields")?;
        // Each tagged field takes at least two bytes (tag and size).
        self.check_fits("tagged_fields", start, u64::from(count), 2)?;
        let mut last: Option<u32> = None;
        for _ in 0..count {
            let tag_at = self.offset();
            let tag = self.uvarint("tag")?;
            if last.is_some_and(|l| tag <= l) {
                return Err(self.error_at(
                    "tag",
                    tag_at,
                    DecodeErrorKind::InvalidValue("tagged fields out of order or repeated"),
                ));
            }
            last = Some(tag);
            let size = self.uvarint("tag_size")? as usize;
            let mut sub = self.sub_reader("tag_data", size)?;
            on_field(tag, &mut sub)?;
        }
        Ok(())
    }

    /// A tagged-field section whose fields are all ignored.
    pub fn skip_tagged_fields(&mut self) -> Result<(), DecodeError> {
        self.tagged_fields(|_, _| Ok(()))
    }
}

/// A 128-bit UUID as Kafka sends it (topic ids): 16 bytes, most significant first.
///
/// ```
/// use kafka_producer::protocol::codec::Uuid;
/// assert!(Uuid::ZERO.is_zero());
/// assert_eq!(Uuid([0xab; 16]).to_string(), "abababab-abab-abab-abab-abababababab");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Uuid(pub [u8; 16]);

impl Uuid {
    /// The all-zero UUID ("no topic id").
    pub const ZERO: Uuid = Uuid([0; 16]);

    /// True for the all-zero UUID.
    pub fn is_zero(&self) -> bool {
        *self == Self::ZERO
    }

    /// The two 64-bit halves, as Java's `UUID(mostSigBits, leastSigBits)`.
    pub fn from_u64_pair(most: u64, least: u64) -> Self {
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&most.to_be_bytes());
        b[8..].copy_from_slice(&least.to_be_bytes());
        Uuid(b)
    }
}

impl fmt::Display for Uuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, b) in self.0.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                f.write_str("-")?;
            }
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

/// Size in bytes of `v` as an UNSIGNED_VARINT.
pub fn uvarint_len(v: u32) -> usize {
    match v {
        0..=0x7f => 1,
        0x80..=0x3fff => 2,
        0x4000..=0x1f_ffff => 3,
        0x20_0000..=0x0fff_ffff => 4,
        _ => 5,
    }
}

/// Size in bytes of `v` as a zig-zag VARINT.
pub fn varint_len(v: i32) -> usize {
    uvarint_len(((v << 1) ^ (v >> 31)) as u32)
}

/// Size in bytes of `v` as a zig-zag VARLONG.
pub fn varlong_len(v: i64) -> usize {
    let mut z = ((v << 1) ^ (v >> 63)) as u64;
    let mut n = 1;
    while z >= 0x80 {
        z >>= 7;
        n += 1;
    }
    n
}

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

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(f: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
        let mut v = Vec::new();
        f(&mut v);
        v
    }

    #[test]
    fn fixed_width_integers_are_big_endian() {
        assert_eq!(enc(|b| b.put_i8(-2)), [0xfe]);
        assert_eq!(enc(|b| b.put_i16(0x0102)), [1, 2]);
        assert_eq!(enc(|b| b.put_i32(-1)), [0xff; 4]);
        assert_eq!(
            enc(|b| b.put_i64(0x0102030405060708)),
            [1, 2, 3, 4, 5, 6, 7, 8]
        );
        assert_eq!(enc(|b| b.put_u32(0xdeadbeef)), [0xde, 0xad, 0xbe, 0xef]);
        assert_eq!(enc(|b| b.put_u16(0xbeef)), [0xbe, 0xef]);
        assert_eq!(enc(|b| b.put_bool(true)), [1]);
        let bytes = [
            0xfe, 1, 2, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4, 5, 6, 7, 8, 0xde, 0xad, 0xbe, 0xef, 0,
        ];
        let mut r = Reader::new(&bytes, "t");
        assert_eq!(r.i8("a").unwrap(), -2);
        assert_eq!(r.i16("b").unwrap(), 0x0102);
        assert_eq!(r.i32("c").unwrap(), -1);
        assert_eq!(r.i64("d").unwrap(), 0x0102030405060708);
        assert_eq!(r.u32("e").unwrap(), 0xdeadbeef);
        assert!(!r.bool("f").unwrap());
        r.finish("end").unwrap();
    }

    // Vectors from the protobuf / Kafka ByteUtils tests.
    #[test]
    fn unsigned_varint_vectors() {
        let cases: &[(u32, &[u8])] = &[
            (0, &[0x00]),
            (1, &[0x01]),
            (127, &[0x7f]),
            (128, &[0x80, 0x01]),
            (300, &[0xac, 0x02]),
            (16383, &[0xff, 0x7f]),
            (16384, &[0x80, 0x80, 0x01]),
            (u32::MAX, &[0xff, 0xff, 0xff, 0xff, 0x0f]),
        ];
        for &(v, bytes) in cases {
            assert_eq!(enc(|b| b.put_uvarint(v)), bytes, "encode {v}");
            assert_eq!(uvarint_len(v), bytes.len());
            let mut r = Reader::new(bytes, "t");
            assert_eq!(r.uvarint("v").unwrap(), v);
            assert!(r.is_empty());
        }
    }

    #[test]
    fn zigzag_varint_vectors() {
        let cases: &[(i32, &[u8])] = &[
            (0, &[0x00]),
            (-1, &[0x01]),
            (1, &[0x02]),
            (-2, &[0x03]),
            (63, &[0x7e]),
            (-64, &[0x7f]),
            (64, &[0x80, 0x01]),
            (i32::MAX, &[0xfe, 0xff, 0xff, 0xff, 0x0f]),
            (i32::MIN, &[0xff, 0xff, 0xff, 0xff, 0x0f]),
        ];
        for &(v, bytes) in cases {
            assert_eq!(enc(|b| b.put_varint(v)), bytes, "encode {v}");
            assert_eq!(varint_len(v), bytes.len());
            assert_eq!(Reader::new(bytes, "t").varint("v").unwrap(), v);
        }
    }

    #[test]
    fn zigzag_varlong_vectors() {
        let cases: &[(i64, &[u8])] = &[
            (0, &[0x00]),
            (-1, &[0x01]),
            (1, &[0x02]),
            (1_000_000, &[0x80, 0x89, 0x7a]),
            (
                i64::MAX,
                &[0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
            ),
            (
                i64::MIN,
                &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
            ),
        ];
        for &(v, bytes) in cases {
            assert_eq!(enc(|b| b.put_varlong(v)), bytes, "encode {v}");
            assert_eq!(varlong_len(v), bytes.len());
            assert_eq!(Reader::new(bytes, "t").varlong("v").unwrap(), v);
        }
    }

    #[test]
    fn overlong_varints_are_errors() {
        let six = [0x80, 0x80, 0x80, 0x80, 0x80, 0x01];
        let e = Reader::new(&six, "t").varint("v").unwrap_err();
        assert_eq!(e.kind, DecodeErrorKind::VarintTooLong);
        // Five bytes whose value needs more than 32 bits.
        let big = [0xff, 0xff, 0xff, 0xff, 0x7f];
        assert_eq!(
            Reader::new(&big, "t").uvarint("v").unwrap_err().kind,
            DecodeErrorKind::VarintTooLong
        );
        let eleven = [0xff; 11];
        assert_eq!(
            Reader::new(&eleven, "t").varlong("v").unwrap_err().kind,
            DecodeErrorKind::VarintTooLong
        );
        let truncated = [0x80];
        assert!(matches!(
            Reader::new(&truncated, "t").uvarint("v").unwrap_err().kind,
            DecodeErrorKind::UnexpectedEof { .. }
        ));
    }

    #[test]
    fn strings_classic_and_compact() {
        assert_eq!(enc(|b| b.put_string("hi", false)), [0, 2, b'h', b'i']);
        assert_eq!(enc(|b| b.put_string("hi", true)), [3, b'h', b'i']);
        assert_eq!(enc(|b| b.put_nullable_string(None, false)), [0xff, 0xff]);
        assert_eq!(enc(|b| b.put_nullable_string(None, true)), [0]);
        assert_eq!(enc(|b| b.put_string("", true)), [1]);

        let mut r = Reader::new(&[0, 2, b'h', b'i', 0xff, 0xff, 3, b'h', b'i', 0, 1], "t");
        assert_eq!(r.string("a", false).unwrap(), "hi");
        assert_eq!(r.nullable_string("b", false).unwrap(), None);
        assert_eq!(r.str("c", true).unwrap(), "hi");
        assert_eq!(r.nullable_str("d", true).unwrap(), None);
        assert_eq!(r.str("e", true).unwrap(), "");
        r.finish("end").unwrap();
    }

    #[test]
    fn string_errors_name_field_and_offset() {
        let e = Reader::new(&[0xff, 0xff], "Ctx")
            .string("name", false)
            .unwrap_err();
        assert_eq!(e.kind, DecodeErrorKind::UnexpectedNull);
        assert_eq!((e.context, e.field, e.offset), ("Ctx", "name", 0));

        let e = Reader::new(&[0xff, 0xfe], "Ctx")
            .string("name", false)
            .unwrap_err();
        assert_eq!(e.kind, DecodeErrorKind::InvalidLength(-2));

        let e = Reader::new(&[1, 2, 0, 9, b'a'], "Ctx");
        let mut r = e;
        r.i16("skip").unwrap();
        let e = r.string("name", false).unwrap_err();
        assert_eq!(e.offset, 4);
        assert_eq!(
            e.kind,
            DecodeErrorKind::UnexpectedEof {
                needed: 9,
                remaining: 1
            }
        );

        let e = Reader::new(&[0, 2, 0xc3, 0x28], "Ctx")
            .string("name", false)
            .unwrap_err();
        assert_eq!(e.kind, DecodeErrorKind::InvalidUtf8);
        assert!(e.to_string().contains("`name`"));
    }

    #[test]
    fn bytes_classic_and_compact() {
        assert_eq!(enc(|b| b.put_bytes(&[7, 8], false)), [0, 0, 0, 2, 7, 8]);
        assert_eq!(enc(|b| b.put_bytes(&[7, 8], true)), [3, 7, 8]);
        assert_eq!(enc(|b| b.put_nullable_bytes(None, false)), [0xff; 4]);
        assert_eq!(enc(|b| b.put_nullable_bytes(None, true)), [0]);
        let mut r = Reader::new(&[0, 0, 0, 2, 7, 8, 0xff, 0xff, 0xff, 0xff, 3, 7, 8, 0], "t");
        assert_eq!(r.bytes("a", false).unwrap(), &[7, 8]);
        assert_eq!(r.nullable_bytes("b", false).unwrap(), None);
        assert_eq!(r.bytes("c", true).unwrap(), &[7, 8]);
        assert_eq!(r.nullable_bytes("d", true).unwrap(), None);
        r.finish("end").unwrap();
    }

    #[test]
    fn arrays_and_lying_counts() {
        assert_eq!(enc(|b| b.put_array_len(2, false)), [0, 0, 0, 2]);
        assert_eq!(enc(|b| b.put_array_len(2, true)), [3]);
        let mut r = Reader::new(&[0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2], "t");
        assert_eq!(r.i32_array("ids", false).unwrap(), vec![1, 2]);
        let mut r = Reader::new(&[3, 0, 0, 0, 1, 0, 0, 0, 2], "t");
        assert_eq!(r.i32_array("ids", true).unwrap(), vec![1, 2]);

        // A count of 2^31-1 with 4 bytes present must fail before allocating.
        let e = Reader::new(&[0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 1], "t")
            .i32_array("ids", false)
            .unwrap_err();
        assert!(matches!(
            e.kind,
            DecodeErrorKind::LengthExceedsBuffer { .. }
        ));
        // Null where an array is required.
        let e = Reader::new(&[0], "t").i32_array("ids", true).unwrap_err();
        assert_eq!(e.kind, DecodeErrorKind::UnexpectedNull);
        assert_eq!(
            Reader::new(&[0], "t")
                .nullable_array_len("ids", true, 4)
                .unwrap(),
            None
        );
    }

    #[test]
    fn uuid_round_trip() {
        let u = Uuid::from_u64_pair(0x0011223344556677, 0x8899aabbccddeeff);
        let b = enc(|b| b.put_uuid(&u));
        assert_eq!(b.len(), 16);
        assert_eq!(Reader::new(&b, "t").uuid("id").unwrap(), u);
        assert_eq!(u.to_string(), "00112233-4455-6677-8899-aabbccddeeff");
    }

    #[test]
    fn tagged_fields_known_unknown_and_order() {
        // Two fields: tag 0 = i32 7, tag 5 = 2 opaque bytes.
        let bytes = [2, 0, 4, 0, 0, 0, 7, 5, 2, 0xaa, 0xbb];
        let mut seen = Vec::new();
        let mut r = Reader::new(&bytes, "t");
        r.tagged_fields(|tag, sub| {
            if tag == 0 {
                seen.push(sub.i32("x")?);
            }
            Ok(())
        })
        .unwrap();
        assert_eq!(seen, vec![7]);
        r.finish("end").unwrap();

        let mut r = Reader::new(&bytes, "t");
        r.skip_tagged_fields().unwrap();
        assert!(r.is_empty());

        // Out of order tags.
        let bad = [2, 5, 0, 0, 0];
        let e = Reader::new(&bad, "t").skip_tagged_fields().unwrap_err();
        assert!(matches!(e.kind, DecodeErrorKind::InvalidValue(_)));
        // Size larger than the buffer.
        let bad = [1, 0, 100, 1];
        assert!(Reader::new(&bad, "t").skip_tagged_fields().is_err());
        // Count larger than the buffer.
        let bad = [0x7f];
        assert!(matches!(
            Reader::new(&bad, "t")
                .skip_tagged_fields()
                .unwrap_err()
                .kind,
            DecodeErrorKind::LengthExceedsBuffer { .. }
        ));
        assert_eq!(enc(|b| b.put_empty_tagged_fields()), [0]);
    }

    #[test]
    fn sub_reader_keeps_absolute_offsets() {
        let bytes = [9, 9, 0, 1];
        let mut r = Reader::new(&bytes, "t");
        r.i16("skip").unwrap();
        let mut sub = r.sub_reader("inner", 2).unwrap();
        assert_eq!(sub.offset(), 2);
        let e = sub.i32("x").unwrap_err();
        assert_eq!(e.offset, 2);
    }
}
