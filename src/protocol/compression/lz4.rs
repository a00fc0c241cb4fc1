//! LZ4 frames as Kafka's `Lz4BlockOutputStream` writes them (KIP-57), with `lz4_flex`.

use super::*;

pub(super) fn xxh32(data: &[u8]) -> u32 {
    twox_hash::XxHash32::oneshot(0, data)
}

/// The header checksum byte of an LZ4 frame descriptor: the second byte of the xxHash32 of
/// the descriptor (FLG up to the byte before the checksum).
pub(super) fn lz4_header_checksum(descriptor: &[u8]) -> u8 {
    (xxh32(descriptor) >> 8) as u8
}

pub(super) fn lz4_compress(input: &[u8], out: &mut Vec<u8>) -> Result<(), CompressionError> {
    let blocks = input.len().div_ceil(LZ4_BLOCK_SIZE);
    out.reserve(7 + 4 * blocks + input.len() / 2 + 4);
    out.extend_from_slice(&LZ4_FRAME_MAGIC.to_le_bytes());
    out.extend_from_slice(&[LZ4_FLG, LZ4_BD, lz4_header_checksum(&[LZ4_FLG, LZ4_BD])]);
    let mut block = vec![0u8; lz4_flex::block::get_maximum_output_size(LZ4_BLOCK_SIZE)];
    let mut table = lz4_flex::block::CompressTable::large();
    for chunk in input.chunks(LZ4_BLOCK_SIZE) {
        let n = lz4_flex::block::compress_into_with_table(chunk, &mut block, &mut table).map_err(
            |e| CompressionError::CompressFailed {
                codec: Compression::Lz4,
                reason: e.to_string(),
            },
        )?;
        // As Kafka's Lz4BlockOutputStream: a block that does not shrink is stored as it is.
        if n >= chunk.len() {
            out.extend_from_slice(&(chunk.len() as u32 | LZ4_UNCOMPRESSED_BIT).to_le_bytes());
            out.extend_from_slice(chunk);
        } else {
            out.extend_from_slice(&(n as u32).to_le_bytes());
            out.extend_from_slice(&block[..n]);
        }
    }
    out.extend_from_slice(&0u32.to_le_bytes()); // end mark
    Ok(())
}

pub(super) fn take<'i>(
    input: &'i [u8],
    pos: &mut usize,
    n: usize,
    what: &str,
) -> Result<&'i [u8], CompressionError> {
    let bytes = input
        .get(*pos..pos.saturating_add(n))
        .ok_or_else(|| CompressionError::corrupt(Compression::Lz4, format!("truncated {what}")))?;
    *pos += n;
    Ok(bytes)
}

pub(super) fn take_u32_le(
    input: &[u8],
    pos: &mut usize,
    what: &str,
) -> Result<u32, CompressionError> {
    let b = take(input, pos, 4, what)?;
    Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// Reads LZ4 frames (one, as Kafka writes, or several concatenated; skippable frames are
/// skipped). Refuses what Kafka's `Lz4BlockInputStream` refuses: dependent blocks, and (not
/// in Kafka's format at all) dictionary ids. Verifies the header checksum, and the block and
/// content checksums when present.
pub(super) fn lz4_decompress(input: &[u8], sink: &mut Sink<'_>) -> Result<(), CompressionError> {
    const CODEC: Compression = Compression::Lz4;
    let corrupt = |reason: &str| CompressionError::corrupt(CODEC, reason);
    let mut pos = 0;
    if input.is_empty() {
        return Err(corrupt("empty input"));
    }
    while pos < input.len() {
        let magic = take_u32_le(input, &mut pos, "frame magic")?;
        if magic & 0xFFFF_FFF0 == 0x184D_2A50 {
            let len = take_u32_le(input, &mut pos, "skippable frame length")?;
            take(input, &mut pos, len as usize, "skippable frame")?;
            continue;
        }
        if magic != LZ4_FRAME_MAGIC {
            return Err(CompressionError::corrupt(
                CODEC,
                format!("bad frame magic {magic:#010x}"),
            ));
        }
        let descriptor_at = pos;
        let fd = take(input, &mut pos, 2, "frame descriptor")?;
        let (flg, bd) = (fd[0], fd[1]);
        if flg >> 6 != 1 {
            return Err(corrupt("unsupported frame version"));
        }
        if flg & 0x02 != 0 || bd & 0x8F != 0 {
            return Err(corrupt("reserved frame descriptor bits are set"));
        }
        if flg & 0x20 == 0 {
            return Err(CompressionError::Unsupported {
                codec: CODEC,
                feature: "dependent blocks",
            });
        }
        if flg & 0x01 != 0 {
            return Err(CompressionError::Unsupported {
                codec: CODEC,
                feature: "a dictionary id",
            });
        }
        let block_checksums = flg & 0x10 != 0;
        let content_checksum = flg & 0x04 != 0;
        let block_max = match (bd >> 4) & 0x07 {
            code @ 4..=7 => 1usize << (2 * code + 8),
            _ => return Err(corrupt("invalid maximum block size")),
        };
        let content_size = if flg & 0x08 != 0 {
            let b = take(input, &mut pos, 8, "content size")?;
            Some(u64::from_le_bytes([
                b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7],
            ]))
        } else {
            None
        };
        let hc = take(input, &mut pos, 1, "header checksum")?[0];
        if hc != lz4_header_checksum(&input[descriptor_at..pos - 1]) {
            return Err(corrupt("frame descriptor checksum mismatch"));
        }
        if let Some(size) = content_size {
            if size > sink.room() as u64 {
                return Err(sink.too_large());
            }
        }
        let frame_start = sink.filled;
        loop {
            let word = take_u32_le(input, &mut pos, "block size")?;
            if word == 0 {
                break; // end mark
            }
            let len = (word & !LZ4_UNCOMPRESSED_BIT) as usize;
            if len > block_max {
                return Err(CompressionError::corrupt(
                    CODEC,
                    format!("block of {len} bytes exceeds the frame's maximum {block_max}"),
                ));
            }
            let data = take(input, &mut pos, len, "block")?;
            if block_checksums {
                let sum = take_u32_le(input, &mut pos, "block checksum")?;
                if sum != xxh32(data) {
                    return Err(corrupt("block checksum mismatch"));
                }
            }
            if word & LZ4_UNCOMPRESSED_BIT != 0 {
                sink.write_all(data)?;
                continue;
            }
            let capped = sink.room() < block_max;
            if sink.room() == 0 {
                // A compressed block holds at least one byte (a literal or a match).
                return Err(sink.too_large());
            }
            let window = sink.window(block_max);
            match lz4_flex::block::decompress_into(data, window) {
                Ok(n) => sink.advance(n),
                Err(lz4_flex::block::DecompressError::OutputTooSmall { .. }) if capped => {
                    return Err(sink.too_large());
                }
                Err(e) => return Err(CompressionError::corrupt(CODEC, e)),
            }
        }
        let produced = (sink.filled - frame_start) as u64;
        if content_checksum {
            let sum = take_u32_le(input, &mut pos, "content checksum")?;
            if sum != xxh32(&sink.written()[frame_start - sink.start..]) {
                return Err(corrupt("content checksum mismatch"));
            }
        }
        if content_size.is_some_and(|size| size != produced) {
            return Err(corrupt("content size mismatch"));
        }
    }
    Ok(())
}
