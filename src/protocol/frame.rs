//! Size-prefix framing: every request and response is an INT32 byte count followed by that many
//! bytes.

use super::codec::{DecodeError, DecodeErrorKind};

/// Bytes of the size prefix.
pub const SIZE_PREFIX: usize = 4;

/// Looks for a whole frame at the start of `buf`.
///
/// Returns `Ok(Some(n))` when the first `n` bytes (prefix included) are a whole frame,
/// `Ok(None)` when more bytes are needed, and an error for a negative size or one above
/// `max_size` (garbage on the wire must not make the client buffer gigabytes).
///
/// ```
/// use kafka_producer::protocol::frame::try_frame;
/// assert_eq!(try_frame(&[0, 0, 0, 2, 9], 100).unwrap(), None);
/// assert_eq!(try_frame(&[0, 0, 0, 2, 9, 9, 1], 100).unwrap(), Some(6));
/// assert!(try_frame(&[0xff, 0, 0, 0], 100).is_err());
/// ```
pub fn try_frame(buf: &[u8], max_size: usize) -> Result<Option<usize>, DecodeError> {
    if buf.len() < SIZE_PREFIX {
        return Ok(None);
    }
    let size = i32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]]);
    let err = |kind| DecodeError {
        context: "frame",
        field: "size",
        offset: 0,
        kind,
    };
    if size < 0 {
        return Err(err(DecodeErrorKind::InvalidLength(i64::from(size))));
    }
    let size = size as usize;
    if size > max_size {
        return Err(err(DecodeErrorKind::InvalidValue(
            "frame size is larger than the maximum allowed",
        )));
    }
    if buf.len() - SIZE_PREFIX >= size {
        Ok(Some(SIZE_PREFIX + size))
    } else {
        Ok(None)
    }
}

/// Starts a frame: pushes a placeholder size and returns its position for [`end_frame`].
pub fn begin_frame(buf: &mut Vec<u8>) -> usize {
    let at = buf.len();
    buf.extend_from_slice(&[0; SIZE_PREFIX]);
    at
}

/// Ends a frame begun at `at`: writes the number of bytes after the prefix.
pub fn end_frame(buf: &mut [u8], at: usize) {
    let size = (buf.len() - at - SIZE_PREFIX) as i32;
    buf[at..at + SIZE_PREFIX].copy_from_slice(&size.to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_round_trip() {
        let mut buf = vec![0xaa];
        let at = begin_frame(&mut buf);
        buf.extend_from_slice(&[1, 2, 3]);
        end_frame(&mut buf, at);
        assert_eq!(buf, [0xaa, 0, 0, 0, 3, 1, 2, 3]);
        assert_eq!(try_frame(&buf[1..], 10).unwrap(), Some(7));
        assert_eq!(try_frame(&buf[1..6], 10).unwrap(), None);
        assert_eq!(try_frame(&[0, 0], 10).unwrap(), None);
    }

    #[test]
    fn oversized_and_negative_frames_are_errors() {
        assert!(try_frame(&[0, 0, 0, 11], 10).is_err());
        let e = try_frame(&[0x80, 0, 0, 0], 10).unwrap_err();
        assert!(matches!(e.kind, DecodeErrorKind::InvalidLength(_)));
    }
}
