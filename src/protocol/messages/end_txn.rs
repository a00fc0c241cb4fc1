//! EndTxn (key 26), v0–v5; flexible from v3. A transactional producer commits or aborts its
//! ongoing transaction. v5 (KIP-890 part 2) answers with the producer id and the epoch the
//! coordinator bumped; v1, v2 and v4 only add error codes.

use super::{Decode, Encode, check_version};
use crate::protocol::codec::{DecodeError, Reader, Writer};
use crate::protocol::{ApiKey, ErrorCode, Request};

/// Versions this crate speaks.
pub const VERSIONS: (i16, i16) = (0, 5);

/// The EndTxn request body.
///
/// ```
/// use kafka_producer::protocol::messages::{EndTxnRequest, Encode};
/// let req = EndTxnRequest {
///     transactional_id: "tx".into(),
///     producer_id: 7,
///     producer_epoch: 1,
///     committed: true,
/// };
/// let mut buf = Vec::new();
/// req.encode(3, &mut buf);
/// assert_eq!(buf, [3, b't', b'x', 0, 0, 0, 0, 0, 0, 0, 7, 0, 1, 1, 0]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EndTxnRequest {
    /// The transactional id.
    pub transactional_id: String,
    /// The producer id.
    pub producer_id: i64,
    /// The producer epoch.
    pub producer_epoch: i16,
    /// True to commit the transaction, false to abort it.
    pub committed: bool,
}

impl Request for EndTxnRequest {
    const API_KEY: ApiKey = ApiKey::EndTxn;
    type Response = EndTxnResponse;
}

impl Encode for EndTxnRequest {
    fn encode(&self, version: i16, buf: &mut Vec<u8>) {
        let flexible = version >= 3;
        buf.put_string(&self.transactional_id, flexible);
        buf.put_i64(self.producer_id);
        buf.put_i16(self.producer_epoch);
        buf.put_bool(self.committed);
        if flexible {
            buf.put_empty_tagged_fields();
        }
    }
}

impl Decode<'_> for EndTxnRequest {
    fn decode(version: i16, r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.set_context("EndTxnRequest");
        check_version(r, version, VERSIONS)?;
        let flexible = version >= 3;
        let req = EndTxnRequest {
            transactional_id: r.string("transactional_id", flexible)?,
            producer_id: r.i64("producer_id")?,
            producer_epoch: r.i16("producer_epoch")?,
            committed: r.bool("committed")?,
        };
        if flexible {
            r.skip_tagged_fields()?;
        }
        Ok(req)
    }
}

/// The EndTxn response body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EndTxnResponse {
    /// Quota throttle.
    pub throttle_time_ms: i32,
    /// Error, `NONE` on success.
    pub error_code: ErrorCode,
    /// The producer id (v5+; -1 before).
    pub producer_id: i64,
    /// The producer epoch after the transaction ended (v5+; -1 before).
    pub producer_epoch: i16,
}

impl Default for EndTxnResponse {
    fn default() -> Self {
        EndTxnResponse {
            throttle_time_ms: 0,
            error_code: ErrorCode::NONE,
            producer_id: -1,
            producer_epoch: -1,
        }
    }
}

impl Encode for EndTxnResponse {
    fn encode(&self, version: i16, buf: &mut Vec<u8>) {
        buf.put_i32(self.throttle_time_ms);
        buf.put_i16(self.error_code.code());
        if version >= 5 {
            buf.put_i64(self.producer_id);
            buf.put_i16(self.producer_epoch);
        }
        if version >= 3 {
            buf.put_empty_tagged_fields();
        }
    }
}

impl Decode<'_> for EndTxnResponse {
    fn decode(version: i16, r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.set_context("EndTxnResponse");
        check_version(r, version, VERSIONS)?;
        let throttle_time_ms = r.i32("throttle_time_ms")?;
        let error_code = ErrorCode(r.i16("error_code")?);
        let (producer_id, producer_epoch) = if version >= 5 {
            (r.i64("producer_id")?, r.i16("producer_epoch")?)
        } else {
            (-1, -1)
        };
        if version >= 3 {
            r.skip_tagged_fields()?;
        }
        Ok(EndTxnResponse {
            throttle_time_ms,
            error_code,
            producer_id,
            producer_epoch,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_bytes() {
        let req = EndTxnRequest {
            transactional_id: "tx".into(),
            producer_id: 7,
            producer_epoch: 1,
            committed: false,
        };
        let mut v2 = Vec::new();
        req.encode(2, &mut v2);
        assert_eq!(v2, [0, 2, b't', b'x', 0, 0, 0, 0, 0, 0, 0, 7, 0, 1, 0]);
        let mut v5 = Vec::new();
        req.encode(5, &mut v5);
        assert_eq!(v5, [3, b't', b'x', 0, 0, 0, 0, 0, 0, 0, 7, 0, 1, 0, 0]);
        for (v, bytes) in [(0, &v2), (2, &v2), (3, &v5), (5, &v5)] {
            let mut r = Reader::new(bytes, "t");
            assert_eq!(EndTxnRequest::decode(v, &mut r).unwrap(), req);
            assert!(r.is_empty());
        }
    }

    #[test]
    fn response_bytes() {
        let resp = EndTxnResponse {
            throttle_time_ms: 0,
            error_code: ErrorCode::PRODUCER_FENCED,
            producer_id: 7,
            producer_epoch: 2,
        };
        let old = EndTxnResponse {
            producer_id: -1,
            producer_epoch: -1,
            ..resp
        };
        let mut v2 = Vec::new();
        resp.encode(2, &mut v2);
        assert_eq!(v2, [0, 0, 0, 0, 0, 90]);
        let mut v4 = Vec::new();
        resp.encode(4, &mut v4);
        assert_eq!(v4, [0, 0, 0, 0, 0, 90, 0]);
        let mut v5 = Vec::new();
        resp.encode(5, &mut v5);
        assert_eq!(v5, [0, 0, 0, 0, 0, 90, 0, 0, 0, 0, 0, 0, 0, 7, 0, 2, 0]);
        for (v, bytes, want) in [(2, &v2, old), (4, &v4, old), (5, &v5, resp)] {
            let mut r = Reader::new(bytes, "t");
            assert_eq!(EndTxnResponse::decode(v, &mut r).unwrap(), want, "v{v}");
            assert!(r.is_empty());
        }
        assert_eq!(
            EndTxnResponse::default(),
            EndTxnResponse {
                error_code: ErrorCode::NONE,
                ..old
            }
        );
    }
}
