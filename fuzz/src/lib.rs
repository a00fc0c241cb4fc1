//! Shared by the fuzz targets: version selection, the decode → encode → decode check, and a CRC
//! fix-up that lets mutated record batches past their checksum.

use kafka_producer::protocol::ApiKey;

/// A version of `api` from a 6-bit selector: one the crate supports, except for two selector
/// values that pick the versions just outside the supported range (which must be refused).
pub fn pick_version(api: ApiKey, selector: u8) -> i16 {
    let (lo, hi) = api.supported_versions();
    match selector & 0x3f {
        0x3f => hi + 1,
        0x3e => lo - 1,
        s => lo + i16::from(s) % (hi - lo + 1),
    }
}

/// Decodes `$bytes` as `$ty` at `$version` (a `Result<(), DecodeError>`). When that succeeds, the
/// value's encoding must decode, wholly, to the same value; and a version outside the supported
/// range must be refused.
#[macro_export]
macro_rules! decode_and_reencode {
    ($ty:ident, $version:expr, $bytes:expr) => {{
        use ::kafka_producer::protocol::messages::{Decode as _, Encode as _};
        let version: i16 = $version;
        let mut r = ::kafka_producer::protocol::codec::Reader::new($bytes, "fuzz");
        match $ty::decode(version, &mut r) {
            Err(e) => Err(e),
            Ok(value) => {
                let mut out = Vec::new();
                value.encode(version, &mut out);
                let mut r2 = ::kafka_producer::protocol::codec::Reader::new(&out, "re-encoded");
                let again = $ty::decode(version, &mut r2).unwrap_or_else(|e| {
                    panic!(
                        "{} v{version}: re-encoding of {value:?} does not decode: {e}",
                        stringify!($ty)
                    )
                });
                assert_eq!(again, value, "{} v{version}", stringify!($ty));
                assert!(
                    r2.is_empty(),
                    "{} v{version}: trailing bytes",
                    stringify!($ty)
                );
                Ok(())
            }
        }
    }};
}

/// Makes `bytes` one record batch as far as its length and CRC-32C go, so that mutations reach
/// the header and record decoding behind the checksum.
pub fn fix_batch_length_and_crc(bytes: &mut [u8]) {
    if bytes.len() >= 21 {
        let len = (bytes.len() - 12) as i32;
        bytes[8..12].copy_from_slice(&len.to_be_bytes());
        let crc = crc32c::crc32c(&bytes[21..]);
        bytes[17..21].copy_from_slice(&crc.to_be_bytes());
    }
}
