//! Snappy in snappy-java's xerial framing (`SnappyOutputStream`), with `snap`.

use super::*;

pub(super) fn snappy_compress(input: &[u8], out: &mut Vec<u8>) -> Result<(), CompressionError> {
    out.reserve(SNAPPY_XERIAL_HEADER.len() + input.len() / 2 + 64);
    out.extend_from_slice(&SNAPPY_XERIAL_HEADER);
    let mut encoder = snap::raw::Encoder::new();
    let mut block = vec![0u8; snap::raw::max_compress_len(SNAPPY_BLOCK_SIZE)];
    for chunk in input.chunks(SNAPPY_BLOCK_SIZE) {
        let n =
            encoder
                .compress(chunk, &mut block)
                .map_err(|e| CompressionError::CompressFailed {
                    codec: Compression::Snappy,
                    reason: e.to_string(),
                })?;
        out.extend_from_slice(&(n as u32).to_be_bytes());
        out.extend_from_slice(&block[..n]);
    }
    Ok(())
}

/// Reads what snappy-java's `SnappyInputStream` reads: the xerial framing (a header, then
/// length-prefixed raw blocks; a further header may start a concatenated stream), or, when the
/// input does not start with the xerial header, one raw Snappy block.
pub(super) fn snappy_decompress(input: &[u8], sink: &mut Sink<'_>) -> Result<(), CompressionError> {
    const CODEC: Compression = Compression::Snappy;
    if input.is_empty() {
        return Ok(());
    }
    let mut decoder = snap::raw::Decoder::new();
    let mut raw_block = |data: &[u8], sink: &mut Sink<'_>| {
        let n = snap::raw::decompress_len(data).map_err(|e| CompressionError::corrupt(CODEC, e))?;
        if n > sink.room() {
            return Err(sink.too_large());
        }
        let written = decoder
            .decompress(data, sink.window(n))
            .map_err(|e| CompressionError::corrupt(CODEC, e))?;
        if written != n {
            return Err(CompressionError::corrupt(
                CODEC,
                "block shorter than its declared length",
            ));
        }
        sink.advance(n);
        Ok(())
    };
    if input.len() < SNAPPY_XERIAL_HEADER.len() || input[..8] != SNAPPY_MAGIC {
        return raw_block(input, sink);
    }
    let mut pos = 0;
    while pos < input.len() {
        let rest = &input[pos..];
        let Some(len_bytes) = rest.first_chunk::<4>() else {
            return Err(CompressionError::corrupt(CODEC, "truncated block length"));
        };
        let len = u32::from_be_bytes(*len_bytes);
        if pos == 0 || len == SNAPPY_MAGIC_HEAD {
            // A stream header: the first, or that of a concatenated stream.
            let Some(header) = rest.first_chunk::<16>() else {
                return Err(CompressionError::corrupt(CODEC, "truncated stream header"));
            };
            if header[..8] != SNAPPY_MAGIC {
                return Err(CompressionError::corrupt(CODEC, "bad stream header magic"));
            }
            let version = i32::from_be_bytes([header[8], header[9], header[10], header[11]]);
            if version < 1 {
                return Err(CompressionError::corrupt(
                    CODEC,
                    format!("incompatible stream version {version}"),
                ));
            }
            pos += 16;
            continue;
        }
        if len > i32::MAX as u32 {
            return Err(CompressionError::corrupt(
                CODEC,
                format!("negative block length {}", len as i32),
            ));
        }
        let data = rest
            .get(4..4 + len as usize)
            .ok_or_else(|| CompressionError::corrupt(CODEC, "truncated block"))?;
        raw_block(data, sink)?;
        pos += 4 + len as usize;
    }
    Ok(())
}
