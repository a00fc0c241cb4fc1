//! Primitive types of the Kafka wire protocol: a bounds-checked [`Reader`] for decoding and the
//! [`Writer`] trait (implemented for `Vec<u8>`) for encoding.
//!
//! Every multi-byte integer is big-endian. Variable-length integers use the protobuf encoding:
//! unsigned varints, and zig-zag signed varints / varlongs. "Compact" strings, bytes and arrays
//! (flexible versions, KIP-482) prefix their length with an unsigned varint of `length + 1`, where
//! 0 means null. Every decode failure is a [`DecodeError`] naming the structure, the field and the
//! byte offset; no input makes a decoder panic or allocate more than the bytes present justify.

mod decode_error;
mod reader;
mod uuid;
mod varint;
mod writer;

pub use decode_error::{DecodeError, DecodeErrorKind};
pub use reader::Reader;
pub use uuid::Uuid;
pub use varint::{uvarint_len, varint_len, varlong_len};
pub use writer::Writer;

#[cfg(test)]
mod tests;
