//! Serializers: how record keys and values become bytes, as Java's
//! `org.apache.kafka.common.serialization` package.
//!
//! Every built-in serializer writes exactly the bytes its Java namesake writes, so that a key
//! sent by this crate lands on the same partition (and reads back the same) as one sent by the
//! Java client.
//!
//! | Rust                    | Java                     | Types                                   | Bytes                                   |
//! |-------------------------|--------------------------|-----------------------------------------|-----------------------------------------|
//! | [`StringSerializer`]    | `StringSerializer`       | `str`, `String`, `&str`                 | UTF-8                                   |
//! | [`ShortSerializer`]     | `ShortSerializer`        | `i16`                                   | 2, big-endian                           |
//! | [`IntegerSerializer`]   | `IntegerSerializer`      | `i32`                                   | 4, big-endian                           |
//! | [`LongSerializer`]      | `LongSerializer`         | `i64`                                   | 8, big-endian                           |
//! | [`FloatSerializer`]     | `FloatSerializer`        | `f32`                                   | `floatToRawIntBits`, 4, big-endian      |
//! | [`DoubleSerializer`]    | `DoubleSerializer`       | `f64`                                   | `doubleToRawLongBits`, 8, big-endian    |
//! | [`BooleanSerializer`]   | `BooleanSerializer`      | `bool`                                  | 1 byte: 1 or 0                          |
//! | [`ByteArraySerializer`] | `ByteArraySerializer`    | `[u8]`, `Vec<u8>`, `[u8; N]`, `&[u8]`   | as they are                             |
//! | [`BytesSerializer`]     | `BytesSerializer`        | (the same as `ByteArraySerializer`)     | as they are                             |
//! | [`UuidSerializer`]      | `UUIDSerializer`         | [`Uuid`]                                | `toString()` in UTF-8 (36 chars)        |
//!
//! Java's `VoidSerializer` has no counterpart: it always serializes to `null`, and in this crate
//! a null key or value is simply `None` in the record, which never reaches a serializer.
//! Likewise Java's serializers map a `null` input to a `null` output; here serializers are only
//! ever called with a value.
//!
//! Any closure `Fn(&str, &T, &mut Vec<u8>) -> Result<(), Error>` (that is `Send + Sync`) is a
//! serializer too:
//!
//! ```
//! use kafka_producer::Error;
//! use kafka_producer::producer::serializer::Serializer;
//!
//! let csv = |_topic: &str, v: &(u32, u32), out: &mut Vec<u8>| -> Result<(), Error> {
//!     out.extend_from_slice(format!("{},{}", v.0, v.1).as_bytes());
//!     Ok(())
//! };
//! let mut out = Vec::new();
//! csv.serialize("points", &(3, 4), &mut out).unwrap();
//! assert_eq!(out, b"3,4");
//! ```

use crate::error::Error;
use crate::producer::record::Headers;
use crate::protocol::Uuid;

/// Turns a value into bytes, as Java's `org.apache.kafka.common.serialization.Serializer`.
///
/// `serialize` appends to `out`, a buffer the producer reuses from record to record, so that a
/// serializer need not allocate per record. It must only append (never clear or truncate `out`):
/// the producer may serialize the key and the value into one buffer.
///
/// Java's `configure` and `close` have no counterpart: configure the serializer when building
/// it, and let `Drop` release what it holds. Java's `serialize(topic, headers, data)` overload is
/// [`serialize_with_headers`](Serializer::serialize_with_headers): the producer calls it, key
/// first, then value, with the record's own headers, which the serializer may read or change
/// (the record is sized and written with the headers as they are after both calls). Its default
/// calls `serialize`, so most serializers implement `serialize` only.
///
/// ```
/// use kafka_producer::Error;
/// use kafka_producer::producer::serializer::Serializer;
///
/// /// Writes a `u16` as 2 bytes, little-endian.
/// struct U16Le;
///
/// impl Serializer<u16> for U16Le {
///     fn serialize(&self, _topic: &str, data: &u16, out: &mut Vec<u8>) -> Result<(), Error> {
///         out.extend_from_slice(&data.to_le_bytes());
///         Ok(())
///     }
/// }
///
/// let mut out = vec![0xaa];
/// U16Le.serialize("t", &0x0102, &mut out).unwrap();
/// assert_eq!(out, [0xaa, 0x02, 0x01], "appended, never cleared");
/// ```
pub trait Serializer<T: ?Sized>: Send + Sync {
    /// Appends the serialized bytes of `data` to `out` (a reusable buffer: no allocation per
    /// record). `topic` is the record's topic, for serializers that depend on it (schema
    /// registries do). A failure is reported as [`Error::Serialization`] by convention.
    ///
    /// ```
    /// use kafka_producer::producer::serializer::{IntegerSerializer, Serializer};
    /// let mut out = Vec::new();
    /// IntegerSerializer.serialize("t", &258, &mut out).unwrap();
    /// assert_eq!(out, [0, 0, 1, 2]);
    /// ```
    fn serialize(&self, topic: &str, data: &T, out: &mut Vec<u8>) -> Result<(), Error>;

    /// As [`serialize`](Self::serialize), with the record's headers, which the serializer may
    /// read and change (Java's `serialize(topic, headers, data)`). The producer (and
    /// `MockProducer`) call this one, key first, then value, unless
    /// [`borrow_serialized`](Self::borrow_serialized) gives the bytes; the default ignores the
    /// headers and calls `serialize`.
    ///
    /// A serializer that names the schema of what it wrote in a header, as Confluent's
    /// serializers can instead of the magic-byte prefix:
    ///
    /// ```
    /// use kafka_producer::{Error, Header, Headers};
    /// use kafka_producer::producer::serializer::Serializer;
    ///
    /// /// Writes a `u32` as 4 big-endian bytes and says so in a `value.schema.id` header.
    /// struct SchemaIdU32 {
    ///     schema_id: u32,
    /// }
    ///
    /// impl Serializer<u32> for SchemaIdU32 {
    ///     fn serialize(&self, _topic: &str, data: &u32, out: &mut Vec<u8>) -> Result<(), Error> {
    ///         out.extend_from_slice(&data.to_be_bytes());
    ///         Ok(())
    ///     }
    ///
    ///     fn serialize_with_headers(
    ///         &self,
    ///         topic: &str,
    ///         headers: &mut Headers,
    ///         data: &u32,
    ///         out: &mut Vec<u8>,
    ///     ) -> Result<(), Error> {
    ///         headers.retain(|h| h.key != "value.schema.id");
    ///         headers.push(Header::new("value.schema.id", self.schema_id.to_be_bytes()));
    ///         self.serialize(topic, data, out)
    ///     }
    /// }
    ///
    /// let mut headers = Headers::new();
    /// let mut out = Vec::new();
    /// SchemaIdU32 { schema_id: 7 }
    ///     .serialize_with_headers("t", &mut headers, &258, &mut out)
    ///     .unwrap();
    /// assert_eq!(out, [0, 0, 1, 2]);
    /// assert_eq!(headers[0].key, "value.schema.id");
    /// assert_eq!(headers[0].value.as_deref(), Some(&[0, 0, 0, 7][..]));
    /// ```
    fn serialize_with_headers(
        &self,
        topic: &str,
        headers: &mut Headers,
        data: &T,
        out: &mut Vec<u8>,
    ) -> Result<(), Error> {
        let _ = headers;
        self.serialize(topic, data, out)
    }

    /// `data`'s serialized bytes when they are bytes `data` already holds, as they are (raw
    /// bytes, UTF-8 strings): the producer then appends them straight into the batch, with
    /// no copy into a buffer first, and calls neither `serialize` nor
    /// `serialize_with_headers`. The default, `None`, serializes.
    ///
    /// ```
    /// use kafka_producer::producer::serializer::{ByteArraySerializer, IntegerSerializer, Serializer};
    /// assert_eq!(ByteArraySerializer.borrow_serialized("t", &vec![1u8, 2]), Some(&[1u8, 2][..]));
    /// assert_eq!(IntegerSerializer.borrow_serialized("t", &7), None);
    /// ```
    fn borrow_serialized<'a>(&self, topic: &str, data: &'a T) -> Option<&'a [u8]> {
        let _ = (topic, data);
        None
    }
}

/// The bytes of `data` as the producer sends them: `borrow_serialized`'s when it gives them,
/// else `serialize_with_headers` into `buf` (one rule for `KafkaProducer` and `MockProducer`).
pub(crate) fn serialized_bytes<'a, T: ?Sized, S: Serializer<T> + ?Sized>(
    serializer: &S,
    topic: &str,
    headers: &mut Headers,
    data: &'a T,
    buf: &'a mut Vec<u8>,
) -> Result<&'a [u8], Error> {
    match serializer.borrow_serialized(topic, data) {
        Some(bytes) => Ok(bytes),
        None => {
            serializer.serialize_with_headers(topic, headers, data, buf)?;
            Ok(&buf[..])
        }
    }
}

/// A closure is a serializer.
///
/// Annotate the closure's argument types (`|topic: &str, data: &T, out: &mut Vec<u8>|`) so that
/// Rust infers a closure over any lifetimes:
///
/// ```
/// use kafka_producer::Error;
/// use kafka_producer::producer::serializer::Serializer;
///
/// fn boxed<T>(s: impl Serializer<T> + 'static) -> Box<dyn Serializer<T>> {
///     Box::new(s)
/// }
/// let upper = boxed(|_: &str, s: &String, out: &mut Vec<u8>| -> Result<(), Error> {
///     out.extend_from_slice(s.to_uppercase().as_bytes());
///     Ok(())
/// });
/// let mut out = Vec::new();
/// upper.serialize("t", &"abc".to_string(), &mut out).unwrap();
/// assert_eq!(out, b"ABC");
/// ```
impl<T: ?Sized, F> Serializer<T> for F
where
    F: Fn(&str, &T, &mut Vec<u8>) -> Result<(), Error> + Send + Sync,
{
    fn serialize(&self, topic: &str, data: &T, out: &mut Vec<u8>) -> Result<(), Error> {
        self(topic, data, out)
    }
}

/// UTF-8 text, as Java's `StringSerializer` with its default `serializer.encoding` (UTF-8; Rust
/// strings are always UTF-8, so no other encoding is offered).
///
/// ```
/// use kafka_producer::producer::serializer::{Serializer, StringSerializer};
/// let mut out = Vec::new();
/// StringSerializer.serialize("t", "héllo", &mut out).unwrap();
/// assert_eq!(out, b"h\xc3\xa9llo");
/// out.clear();
/// StringSerializer.serialize("t", &String::from("key-1"), &mut out).unwrap();
/// assert_eq!(out, b"key-1");
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StringSerializer;

impl Serializer<str> for StringSerializer {
    fn borrow_serialized<'a>(&self, _topic: &str, data: &'a str) -> Option<&'a [u8]> {
        Some(data.as_bytes())
    }

    fn serialize(&self, _topic: &str, data: &str, out: &mut Vec<u8>) -> Result<(), Error> {
        out.extend_from_slice(data.as_bytes());
        Ok(())
    }
}

impl Serializer<String> for StringSerializer {
    fn borrow_serialized<'a>(&self, _topic: &str, data: &'a String) -> Option<&'a [u8]> {
        Some(data.as_bytes())
    }

    fn serialize(&self, topic: &str, data: &String, out: &mut Vec<u8>) -> Result<(), Error> {
        Serializer::<str>::serialize(self, topic, data, out)
    }
}

impl Serializer<&str> for StringSerializer {
    fn borrow_serialized<'a>(&self, _topic: &str, data: &'a &str) -> Option<&'a [u8]> {
        Some(data.as_bytes())
    }

    fn serialize(&self, topic: &str, data: &&str, out: &mut Vec<u8>) -> Result<(), Error> {
        Serializer::<str>::serialize(self, topic, data, out)
    }
}

/// Raw bytes, copied as they are, as Java's `ByteArraySerializer` (and `BytesSerializer`,
/// `ByteBufferSerializer`).
///
/// ```
/// use kafka_producer::producer::serializer::{ByteArraySerializer, Serializer};
/// let mut out = Vec::new();
/// ByteArraySerializer.serialize("t", &vec![1u8, 2, 3], &mut out).unwrap();
/// ByteArraySerializer.serialize("t", &[4u8, 5][..], &mut out).unwrap();
/// ByteArraySerializer.serialize("t", &[6u8; 2], &mut out).unwrap();
/// assert_eq!(out, [1, 2, 3, 4, 5, 6, 6]);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ByteArraySerializer;

/// Java's `BytesSerializer` (for its `Bytes` wrapper) writes the wrapped bytes as they are: the
/// same as [`ByteArraySerializer`], for the same types.
///
/// ```
/// use kafka_producer::producer::serializer::{BytesSerializer, Serializer};
/// let mut out = Vec::new();
/// BytesSerializer.serialize("t", &b"raw"[..], &mut out).unwrap();
/// assert_eq!(out, b"raw");
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BytesSerializer;

macro_rules! bytes_serializer {
    (@as_slice $name:ident, $ty:ty) => {
        impl Serializer<$ty> for $name {
            fn serialize(&self, topic: &str, data: &$ty, out: &mut Vec<u8>) -> Result<(), Error> {
                Serializer::<[u8]>::serialize(self, topic, data, out)
            }

            fn borrow_serialized<'a>(&self, _topic: &str, data: &'a $ty) -> Option<&'a [u8]> {
                Some(&data[..])
            }
        }
    };
    ($name:ident) => {
        impl Serializer<[u8]> for $name {
            fn serialize(&self, _topic: &str, data: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
                out.extend_from_slice(data);
                Ok(())
            }

            fn borrow_serialized<'a>(&self, _topic: &str, data: &'a [u8]) -> Option<&'a [u8]> {
                Some(data)
            }
        }

        bytes_serializer!(@as_slice $name, std::sync::Arc<[u8]>);
        bytes_serializer!(@as_slice $name, Box<[u8]>);

        impl Serializer<Vec<u8>> for $name {
            fn serialize(
                &self,
                topic: &str,
                data: &Vec<u8>,
                out: &mut Vec<u8>,
            ) -> Result<(), Error> {
                Serializer::<[u8]>::serialize(self, topic, data, out)
            }

            fn borrow_serialized<'a>(&self, _topic: &str, data: &'a Vec<u8>) -> Option<&'a [u8]> {
                Some(&data[..])
            }
        }

        impl Serializer<&[u8]> for $name {
            fn serialize(&self, topic: &str, data: &&[u8], out: &mut Vec<u8>) -> Result<(), Error> {
                Serializer::<[u8]>::serialize(self, topic, data, out)
            }

            fn borrow_serialized<'a>(&self, _topic: &str, data: &'a &[u8]) -> Option<&'a [u8]> {
                Some(&data[..])
            }
        }

        impl<const N: usize> Serializer<[u8; N]> for $name {
            fn serialize(
                &self,
                topic: &str,
                data: &[u8; N],
                out: &mut Vec<u8>,
            ) -> Result<(), Error> {
                Serializer::<[u8]>::serialize(self, topic, data, out)
            }

            fn borrow_serialized<'a>(&self, _topic: &str, data: &'a [u8; N]) -> Option<&'a [u8]> {
                Some(&data[..])
            }
        }
    };
}

bytes_serializer!(ByteArraySerializer);
bytes_serializer!(BytesSerializer);

macro_rules! big_endian_serializer {
    ($(#[$doc:meta])* $name:ident, $ty:ty, |$v:ident| $bytes:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
        pub struct $name;

        impl Serializer<$ty> for $name {
            fn serialize(&self, _topic: &str, data: &$ty, out: &mut Vec<u8>) -> Result<(), Error> {
                let $v = *data;
                out.extend_from_slice(&$bytes);
                Ok(())
            }
        }
    };
}

big_endian_serializer!(
    /// An `i16` as 2 bytes, big-endian, as Java's `ShortSerializer`.
    ///
    /// ```
    /// use kafka_producer::producer::serializer::{Serializer, ShortSerializer};
    /// let mut out = Vec::new();
    /// ShortSerializer.serialize("t", &-2, &mut out).unwrap();
    /// assert_eq!(out, [0xff, 0xfe]);
    /// ```
    ShortSerializer,
    i16,
    |v| v.to_be_bytes()
);

big_endian_serializer!(
    /// An `i32` as 4 bytes, big-endian, as Java's `IntegerSerializer`.
    ///
    /// ```
    /// use kafka_producer::producer::serializer::{IntegerSerializer, Serializer};
    /// let mut out = Vec::new();
    /// IntegerSerializer.serialize("t", &258, &mut out).unwrap();
    /// assert_eq!(out, [0, 0, 1, 2]);
    /// ```
    IntegerSerializer,
    i32,
    |v| v.to_be_bytes()
);

big_endian_serializer!(
    /// An `i64` as 8 bytes, big-endian, as Java's `LongSerializer`.
    ///
    /// ```
    /// use kafka_producer::producer::serializer::{LongSerializer, Serializer};
    /// let mut out = Vec::new();
    /// LongSerializer.serialize("t", &-1, &mut out).unwrap();
    /// assert_eq!(out, [0xff; 8]);
    /// ```
    LongSerializer,
    i64,
    |v| v.to_be_bytes()
);

big_endian_serializer!(
    /// An `f32` as its raw IEEE 754 bits (Java's `Float.floatToRawIntBits`: NaN payloads and the
    /// sign of zero are kept), 4 bytes big-endian, as Java's `FloatSerializer`.
    ///
    /// ```
    /// use kafka_producer::producer::serializer::{FloatSerializer, Serializer};
    /// let mut out = Vec::new();
    /// FloatSerializer.serialize("t", &1.5, &mut out).unwrap();
    /// assert_eq!(out, [0x3f, 0xc0, 0, 0]);
    /// ```
    FloatSerializer,
    f32,
    |v| v.to_bits().to_be_bytes()
);

big_endian_serializer!(
    /// An `f64` as its raw IEEE 754 bits (Java's `Double.doubleToRawLongBits`), 8 bytes
    /// big-endian, as Java's `DoubleSerializer`.
    ///
    /// ```
    /// use kafka_producer::producer::serializer::{DoubleSerializer, Serializer};
    /// let mut out = Vec::new();
    /// DoubleSerializer.serialize("t", &1.5, &mut out).unwrap();
    /// assert_eq!(out, [0x3f, 0xf8, 0, 0, 0, 0, 0, 0]);
    /// ```
    DoubleSerializer,
    f64,
    |v| v.to_bits().to_be_bytes()
);

big_endian_serializer!(
    /// A `bool` as one byte, 1 for `true` and 0 for `false`, as Java's `BooleanSerializer`.
    ///
    /// ```
    /// use kafka_producer::producer::serializer::{BooleanSerializer, Serializer};
    /// let mut out = Vec::new();
    /// BooleanSerializer.serialize("t", &true, &mut out).unwrap();
    /// BooleanSerializer.serialize("t", &false, &mut out).unwrap();
    /// assert_eq!(out, [1, 0]);
    /// ```
    BooleanSerializer,
    bool,
    |v| [u8::from(v)]
);

/// A UUID as Java's `UUIDSerializer` writes it: the text of `UUID.toString()` (36 characters,
/// lower-case hexadecimal, hyphenated 8-4-4-4-12) in UTF-8, not the 16 raw bytes.
///
/// ```
/// use kafka_producer::producer::serializer::{Serializer, UuidSerializer};
/// use kafka_producer::protocol::Uuid;
/// let id = Uuid::from_u64_pair(0x0011223344556677, 0x8899aabbccddeeff);
/// let mut out = Vec::new();
/// UuidSerializer.serialize("t", &id, &mut out).unwrap();
/// assert_eq!(out, b"00112233-4455-6677-8899-aabbccddeeff");
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UuidSerializer;

impl Serializer<Uuid> for UuidSerializer {
    fn serialize(&self, _topic: &str, data: &Uuid, out: &mut Vec<u8>) -> Result<(), Error> {
        use std::io::Write as _;
        // `Vec<u8>`'s `io::Write` never fails; formatting appends without a temporary String.
        write!(out, "{data}").map_err(|e| Error::Serialization(format!("UUID {data:?}: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ser<T: ?Sized>(s: &impl Serializer<T>, v: &T) -> Vec<u8> {
        let mut out = Vec::new();
        s.serialize("topic", v, &mut out).unwrap();
        out
    }

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    // Every expected byte string below was printed by the Java serializers of kafka-clients
    // 4.1.1 (`new XSerializer().serialize("t", value)`).

    #[test]
    fn integer() {
        assert_eq!(ser(&IntegerSerializer, &258), [0, 0, 1, 2]);
        assert_eq!(ser(&IntegerSerializer, &0), [0, 0, 0, 0]);
        assert_eq!(ser(&IntegerSerializer, &-1), [0xff; 4]);
        assert_eq!(ser(&IntegerSerializer, &i32::MIN), [0x80, 0, 0, 0]);
        assert_eq!(ser(&IntegerSerializer, &i32::MAX), [0x7f, 0xff, 0xff, 0xff]);
        assert_eq!(ser(&IntegerSerializer, &123456789), hex("075bcd15"));
    }

    #[test]
    fn long() {
        assert_eq!(ser(&LongSerializer, &-1), [0xff; 8]);
        assert_eq!(
            ser(&LongSerializer, &0x0102030405060708),
            [1, 2, 3, 4, 5, 6, 7, 8]
        );
        assert_eq!(ser(&LongSerializer, &i64::MIN), hex("8000000000000000"));
    }

    #[test]
    fn short() {
        assert_eq!(ser(&ShortSerializer, &-2), [0xff, 0xfe]);
        assert_eq!(ser(&ShortSerializer, &258), [1, 2]);
        assert_eq!(ser(&ShortSerializer, &i16::MIN), [0x80, 0]);
    }

    #[test]
    fn float() {
        assert_eq!(ser(&FloatSerializer, &1.5), hex("3fc00000"));
        assert_eq!(ser(&FloatSerializer, &-0.0), hex("80000000"));
        assert_eq!(ser(&FloatSerializer, &0.0), hex("00000000"));
        // Java's Float.NaN is the canonical quiet NaN, as Rust's f32::NAN.
        assert_eq!(ser(&FloatSerializer, &f32::NAN), hex("7fc00000"));
        // Raw bits: a NaN payload survives (floatToRawIntBits, not floatToIntBits).
        assert_eq!(
            ser(&FloatSerializer, &f32::from_bits(0x7fc0_0001)),
            hex("7fc00001")
        );
        assert_eq!(ser(&FloatSerializer, &f32::INFINITY), hex("7f800000"));
    }

    #[test]
    fn double() {
        assert_eq!(ser(&DoubleSerializer, &1.5), hex("3ff8000000000000"));
        assert_eq!(ser(&DoubleSerializer, &-0.0), hex("8000000000000000"));
        assert_eq!(ser(&DoubleSerializer, &f64::NAN), hex("7ff8000000000000"));
        assert_eq!(
            ser(&DoubleSerializer, &std::f64::consts::PI),
            hex("400921fb54442d18")
        );
        assert_eq!(
            ser(&DoubleSerializer, &f64::from_bits(0xfff0_0000_0000_0001)),
            hex("fff0000000000001")
        );
    }

    #[test]
    fn boolean() {
        assert_eq!(ser(&BooleanSerializer, &true), [1]);
        assert_eq!(ser(&BooleanSerializer, &false), [0]);
    }

    #[test]
    fn string() {
        assert_eq!(ser(&StringSerializer, "key-0"), hex("6b65792d30"));
        assert_eq!(
            ser(&StringSerializer, &"héllo wörld".to_string()),
            hex("68c3a96c6c6f2077c3b6726c64")
        );
        assert_eq!(ser(&StringSerializer, &"日本語"), hex("e697a5e69cace8aa9e"));
        assert_eq!(ser(&StringSerializer, ""), b"");
    }

    #[test]
    fn byte_array() {
        assert_eq!(ser(&ByteArraySerializer, &vec![0u8, 0xff, 7]), [0, 0xff, 7]);
        assert_eq!(ser(&ByteArraySerializer, &[1u8, 2][..]), [1, 2]);
        assert_eq!(ser(&ByteArraySerializer, &&[3u8][..]), [3]);
        assert_eq!(ser(&BytesSerializer, &[9u8; 3]), [9, 9, 9]);
        assert_eq!(ser(&ByteArraySerializer, &Vec::<u8>::new()), b"");
    }

    #[test]
    fn uuid_is_its_text() {
        let id = Uuid::from_u64_pair(0x0011223344556677, 0x8899aabbccddeeff);
        assert_eq!(
            ser(&UuidSerializer, &id),
            b"00112233-4455-6677-8899-aabbccddeeff"
        );
        assert_eq!(
            ser(&UuidSerializer, &Uuid::ZERO),
            b"00000000-0000-0000-0000-000000000000"
        );
        assert_eq!(ser(&UuidSerializer, &Uuid([0xab; 16])).len(), 36);
    }

    #[test]
    fn appends_to_the_buffer() {
        let mut out = b"key".to_vec();
        IntegerSerializer.serialize("t", &1, &mut out).unwrap();
        StringSerializer.serialize("t", "v", &mut out).unwrap();
        UuidSerializer
            .serialize("t", &Uuid([0; 16]), &mut out)
            .unwrap();
        assert_eq!(&out[..8], b"key\0\0\0\x01v");
        assert_eq!(out.len(), 8 + 36);
    }

    #[test]
    fn closures_and_trait_objects() {
        let fail = |topic: &str, _: &i32, _: &mut Vec<u8>| -> Result<(), Error> {
            Err(Error::Serialization(format!("no ints for {topic}")))
        };
        assert_eq!(
            fail.serialize("t", &1, &mut Vec::new()),
            Err(Error::Serialization("no ints for t".into()))
        );
        let serializers: Vec<Box<dyn Serializer<str>>> = vec![
            Box::new(StringSerializer),
            Box::new(|_: &str, s: &str, out: &mut Vec<u8>| -> Result<(), Error> {
                out.extend(s.bytes().rev());
                Ok(())
            }),
        ];
        let mut out = Vec::new();
        for s in &serializers {
            s.serialize("t", "ab", &mut out).unwrap();
        }
        assert_eq!(out, b"abba");
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Box<dyn Serializer<str>>>();
    }
}
