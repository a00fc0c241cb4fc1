//! The capped output buffer of decompression, and reading a decoder into it.

use super::*;

/// Appends to a `Vec` without ever growing it past `limit` bytes appended. `out.len()` is the
/// high-water mark of zero-initialised bytes (so that a region is zeroed once, not per block);
/// `filled` is how much of it holds output.
pub(super) struct Sink<'a> {
    pub(super) out: &'a mut Vec<u8>,
    pub(super) codec: Compression,
    pub(super) start: usize,
    pub(super) filled: usize,
    /// Absolute index in `out` that output must not pass.
    pub(super) end: usize,
    pub(super) limit: usize,
}

impl<'a> Sink<'a> {
    pub(super) fn new(out: &'a mut Vec<u8>, codec: Compression, limit: usize) -> Self {
        let start = out.len();
        Sink {
            out,
            codec,
            start,
            filled: start,
            end: start.saturating_add(limit),
            limit,
        }
    }

    pub(super) fn too_large(&self) -> CompressionError {
        CompressionError::TooLarge {
            codec: self.codec,
            limit: self.limit,
        }
    }

    pub(super) fn room(&self) -> usize {
        self.end - self.filled
    }

    /// A writable window of up to `want` bytes after the output (fewer at the cap; empty at the
    /// cap). Grows the buffer geometrically, but never past the cap.
    pub(super) fn window(&mut self, want: usize) -> &mut [u8] {
        let upto = self.filled.saturating_add(want).min(self.end);
        if self.out.len() < upto {
            if self.out.capacity() < upto {
                let grown = (self.out.capacity().saturating_mul(2)).clamp(upto, self.end);
                self.out.reserve_exact(grown - self.out.len());
            }
            self.out.resize(upto, 0);
        }
        &mut self.out[self.filled..upto]
    }

    pub(super) fn advance(&mut self, n: usize) {
        self.filled += n;
    }

    /// Appends `data`, or fails (appending nothing) when it would pass the cap.
    pub(super) fn write_all(&mut self, data: &[u8]) -> Result<(), CompressionError> {
        if data.len() > self.room() {
            return Err(self.too_large());
        }
        self.window(data.len()).copy_from_slice(data);
        self.advance(data.len());
        Ok(())
    }

    pub(super) fn written(&self) -> &[u8] {
        &self.out[self.start..self.filled]
    }

    pub(super) fn finish(self) -> usize {
        self.out.truncate(self.filled);
        self.filled
    }

    pub(super) fn abandon(self) {
        self.out.truncate(self.start);
    }
}

/// Reads a decoder to its end into the sink; the cap is checked as it goes, and the decoder is
/// read to its end (past the cap by one probe byte) so that its trailer and checksum are
/// verified.
pub(super) fn read_all(r: &mut impl Read, sink: &mut Sink<'_>) -> Result<(), CompressionError> {
    const MIN_CHUNK: usize = 16 * 1024;
    loop {
        if sink.room() == 0 {
            let mut probe = [0u8; 1];
            return match read_retrying(r, &mut probe, sink.codec)? {
                0 => Ok(()),
                _ => Err(sink.too_large()),
            };
        }
        let want = (sink.filled - sink.start).max(MIN_CHUNK);
        let codec = sink.codec;
        let n = read_retrying(r, sink.window(want), codec)?;
        if n == 0 {
            return Ok(());
        }
        sink.advance(n);
    }
}

pub(super) fn read_retrying(
    r: &mut impl Read,
    buf: &mut [u8],
    codec: Compression,
) -> Result<usize, CompressionError> {
    loop {
        match r.read(buf) {
            Ok(n) => return Ok(n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(CompressionError::corrupt(codec, e)),
        }
    }
}
