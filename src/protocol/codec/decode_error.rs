//! [`DecodeError`]: why and where a decode failed.

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
