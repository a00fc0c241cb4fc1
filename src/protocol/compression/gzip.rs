//! gzip: one gzip member (RFC 1952), with `flate2` on `zlib-rs`.

use super::*;

pub(super) fn gzip_compress(
    level: i32,
    input: &[u8],
    out: &mut Vec<u8>,
) -> Result<(), CompressionError> {
    let level = if level == GZIP_DEFAULT_LEVEL {
        flate2::Compression::default()
    } else {
        flate2::Compression::new(level.clamp(0, 9) as u32)
    };
    let failed = |e: io::Error| CompressionError::CompressFailed {
        codec: Compression::Gzip,
        reason: e.to_string(),
    };
    out.reserve(input.len() / 2 + 64);
    let mut enc = flate2::write::GzEncoder::new(out, level);
    enc.write_all(input).map_err(failed)?;
    enc.finish().map_err(failed)?;
    Ok(())
}
