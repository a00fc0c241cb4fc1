//! Zstandard frames, with the `zstd` crate (bindings to the C libzstd).

use super::*;

thread_local! {
    /// One compression context per thread, kept between batches: a zstd context allocates its
    /// working memory (about a megabyte at level 3) on first use.
    static ZSTD_COMPRESSOR: RefCell<Option<(i32, ::zstd::bulk::Compressor<'static>)>> =
        const { RefCell::new(None) };
}

pub(super) fn zstd_compress(
    level: i32,
    input: &[u8],
    out: &mut Vec<u8>,
) -> Result<(), CompressionError> {
    let failed = |e: io::Error| CompressionError::CompressFailed {
        codec: Compression::Zstd,
        reason: e.to_string(),
    };
    ZSTD_COMPRESSOR.with(|cell| {
        // A re-entrant call (impossible today) would find the cell borrowed: use a fresh one.
        let mut fresh = None;
        let mut cached = cell.try_borrow_mut();
        let slot = match &mut cached {
            Ok(cached) => &mut **cached,
            Err(_) => &mut fresh,
        };
        if let Some((l, c)) = slot.as_mut() {
            if *l != level {
                c.set_compression_level(level).map_err(failed)?;
                *l = level;
            }
        }
        let c = match slot {
            Some((_, c)) => c,
            None => {
                let c = ::zstd::bulk::Compressor::new(level).map_err(failed)?;
                &mut slot.insert((level, c)).1
            }
        };
        let start = out.len();
        out.reserve(::zstd::zstd_safe::compress_bound(input.len()));
        // The cursor makes zstd write after the bytes already in `out`, into its spare
        // capacity (no zero-filling).
        let mut cursor = io::Cursor::new(std::mem::take(out));
        cursor.set_position(start as u64);
        let result = c.compress_to_buffer(input, &mut cursor);
        *out = cursor.into_inner();
        result.map(|_| ()).map_err(failed)
    })
}

/// The largest zstd window accepted: the cap rounded up to a power of two, but at least 8 MiB
/// (what Java's streaming compressor declares up to level 19 when it doesn't know the size
/// up front) and at most 128 MiB (zstd's own default limit). The window is memory the decoder
/// itself reserves, on top of the output.
pub(super) fn zstd_window_log_max(max_output: usize) -> u32 {
    let log = usize::BITS - max_output.saturating_sub(1).leading_zeros();
    log.clamp(23, 27)
}

pub(super) fn zstd_decompress(input: &[u8], sink: &mut Sink<'_>) -> Result<(), CompressionError> {
    const CODEC: Compression = Compression::Zstd;
    if input.is_empty() {
        return Err(CompressionError::corrupt(CODEC, "empty input"));
    }
    // An honest frame header that declares more than the cap fails at once.
    if let Ok(Some(size)) = ::zstd::zstd_safe::get_frame_content_size(input) {
        if size > sink.room() as u64 {
            return Err(sink.too_large());
        }
    }
    let mut dec = ::zstd::stream::read::Decoder::with_buffer(input)
        .map_err(|e| CompressionError::corrupt(CODEC, e))?;
    dec.window_log_max(zstd_window_log_max(sink.limit))
        .map_err(|e| CompressionError::corrupt(CODEC, e))?;
    read_all(&mut dec, sink)
}
