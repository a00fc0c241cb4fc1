//! AddOffsetsToTxn (key 25), v0–v4; flexible from v3. A transactional producer tells its
//! transaction coordinator that the transaction will commit offsets of a consumer group
//! (before `sendOffsetsToTransaction`'s TxnOffsetCommit to the group coordinator). v1, v2 and v4
//! only add error codes.

use super::{Decode, Encode, check_version};
use crate::protocol::codec::{DecodeError, Reader, Writer};
use crate::protocol::{ApiKey, ErrorCode, Request};

/// Versions this crate speaks.
pub const VERSIONS: (i16, i16) = (0, 4);

/// The AddOffsetsToTxn request body.
///
/// ```
/// use kafka_producer::protocol::messages::{AddOffsetsToTxnRequest, Encode};
/// let req = AddOffsetsToTxnRequest {
///     transactional_id: "tx".into(),
///     producer_id: 7,
///     producer_epoch: 1,
///     group_id: "g".into(),
/// };
/// let mut buf = Vec::new();
/// req.encode(3, &mut buf);
/// assert_eq!(buf, [3, b't', b'x', 0, 0, 0, 0, 0, 0, 0, 7, 0, 1, 2, b'g', 0]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AddOffsetsToTxnRequest {
    /// The transactional id.
    pub transactional_id: String,
    /// The producer id.
    pub producer_id: i64,
    /// The producer epoch.
    pub producer_epoch: i16,
    /// The consumer group whose offsets the transaction will commit.
    pub group_id: String,
}

impl Request for AddOffsetsToTxnRequest {
    const API_KEY: ApiKey = ApiKey::AddOffsetsToTxn;
    type Response = AddOffsetsToTxnResponse;
}

impl Encode for AddOffsetsToTxnRequest {
    fn encode(&self, version: i16, buf: &mut Vec<u8>) {
        let flexible = version >= 3;
        buf.put_string(&self.transactional_id, flexible);
        buf.put_i64(self.producer_id);
        buf.put_i16(self.producer_epoch);
        buf.put_string(&self.group_id, flexible);
        if flexible {
            buf.put_empty_tagged_fields();
        }
    }
}

impl Decode<'_> for AddOffsetsToTxnRequest {
    fn decode(version: i16, r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.set_context("AddOffsetsToTxnRequest");
        check_version(r, version, VERSIONS)?;
        let flexible = version >= 3;
        let req = AddOffsetsToTxnRequest {
            transactional_id: r.string("transactional_id", flexible)?,
            producer_id: r.i64("producer_id")?,
            producer_epoch: r.i16("producer_epoch")?,
            group_id: r.string("group_id", flexible)?,
        };
        if flexible {
            r.skip_tagged_fields()?;
        }
        Ok(req)
    }
}

/// The AddOffsetsToTxn response body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AddOffsetsToTxnResponse {
    /// Quota throttle.
    pub throttle_time_ms: i32,
    /// Error, `NONE` on success.
    pub error_code: ErrorCode,
}

impl Encode for AddOffsetsToTxnResponse {
    fn encode(&self, version: i16, buf: &mut Vec<u8>) {
        buf.put_i32(self.throttle_time_ms);
        buf.put_i16(self.error_code.code());
        if version >= 3 {
            buf.put_empty_tagged_fields();
        }
    }
}

impl Decode<'_> for AddOffsetsToTxnResponse {
    fn decode(version: i16, r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.set_context("AddOffsetsToTxnResponse");
        check_version(r, version, VERSIONS)?;
        let resp = AddOffsetsToTxnResponse {
            throttle_time_ms: r.i32("throttle_time_ms")?,
            error_code: ErrorCode(r.i16("error_code")?),
        };
        if version >= 3 {
            r.skip_tagged_fields()?;
        }
        Ok(resp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_bytes() {
        let req = AddOffsetsToTxnRequest {
            transactional_id: "tx".into(),
            producer_id: 7,
            producer_epoch: 1,
            group_id: "g".into(),
        };
        let mut v2 = Vec::new();
        req.encode(2, &mut v2);
        assert_eq!(
            v2,
            [0, 2, b't', b'x', 0, 0, 0, 0, 0, 0, 0, 7, 0, 1, 0, 1, b'g']
        );
        let mut v4 = Vec::new();
        req.encode(4, &mut v4);
        assert_eq!(
            v4,
            [3, b't', b'x', 0, 0, 0, 0, 0, 0, 0, 7, 0, 1, 2, b'g', 0]
        );
        for (v, bytes) in [(0, &v2), (2, &v2), (3, &v4), (4, &v4)] {
            let mut r = Reader::new(bytes, "t");
            assert_eq!(AddOffsetsToTxnRequest::decode(v, &mut r).unwrap(), req);
            assert!(r.is_empty());
        }
    }

    #[test]
    fn response_bytes() {
        let resp = AddOffsetsToTxnResponse {
            throttle_time_ms: 2,
            error_code: ErrorCode::COORDINATOR_NOT_AVAILABLE,
        };
        let mut v2 = Vec::new();
        resp.encode(2, &mut v2);
        assert_eq!(v2, [0, 0, 0, 2, 0, 15]);
        let mut v3 = Vec::new();
        resp.encode(3, &mut v3);
        assert_eq!(v3, [0, 0, 0, 2, 0, 15, 0]);
        for (v, bytes) in [(0, &v2), (3, &v3), (4, &v3)] {
            let mut r = Reader::new(bytes, "t");
            assert_eq!(AddOffsetsToTxnResponse::decode(v, &mut r).unwrap(), resp);
            assert!(r.is_empty());
        }
    }
}
