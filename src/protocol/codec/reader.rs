//! [`Reader`]: the decode side, a bounds-checked cursor over received bytes (fixed-width
//! integers, varints, compact and classic strings, bytes and arrays, tagged fields).

use super::varint::{MAX_VARINT_BYTES, MAX_VARLONG_BYTES};
use super::{DecodeError, DecodeErrorKind, Uuid};

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
