//! InitProducerId (key 22), v0–v5; flexible from v2. Gives an idempotent (or transactional)
//! producer its producer id and epoch.

use super::{Decode, Encode, check_version};
use crate::protocol::codec::{DecodeError, Reader, Writer};
use crate::protocol::{ApiKey, ErrorCode, Request};

/// Versions this crate speaks.
pub const VERSIONS: (i16, i16) = (0, 5);

/// The InitProducerId request body.
///
/// ```
/// use kafka_producer::protocol::messages::{Encode, InitProducerIdRequest};
/// let mut buf = Vec::new();
/// InitProducerIdRequest::idempotent().encode(4, &mut buf);
/// assert_eq!(buf, [0, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitProducerIdRequest {
    /// Transactional id; `None` for an idempotent-only producer.
    pub transactional_id: Option<String>,
    /// Transaction timeout (only meaningful with a transactional id).
    pub transaction_timeout_ms: i32,
    /// Current producer id, -1 for a new one (v3+; used to bump the epoch, KIP-360).
    pub producer_id: i64,
    /// Current epoch, -1 for a new producer id (v3+).
    pub producer_epoch: i16,
}

impl InitProducerIdRequest {
    /// The request of an idempotent, non-transactional producer asking for a new id.
    pub fn idempotent() -> Self {
        InitProducerIdRequest {
            transactional_id: None,
            transaction_timeout_ms: i32::MAX,
            producer_id: -1,
            producer_epoch: -1,
        }
    }
}

impl Request for InitProducerIdRequest {
    const API_KEY: ApiKey = ApiKey::InitProducerId;
    type Response = InitProducerIdResponse;
}

impl Encode for InitProducerIdRequest {
    fn encode(&self, version: i16, buf: &mut Vec<u8>) {
        let flexible = version >= 2;
        buf.put_nullable_string(self.transactional_id.as_deref(), flexible);
        buf.put_i32(self.transaction_timeout_ms);
        if version >= 3 {
            buf.put_i64(self.producer_id);
            buf.put_i16(self.producer_epoch);
        }
        if flexible {
            buf.put_empty_tagged_fields();
        }
    }
}

impl Decode<'_> for InitProducerIdRequest {
    fn decode(version: i16, r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.set_context("InitProducerIdRequest");
        check_version(r, version, VERSIONS)?;
        let flexible = version >= 2;
        let transactional_id = r.nullable_string("transactional_id", flexible)?;
        let transaction_timeout_ms = r.i32("transaction_timeout_ms")?;
        let (producer_id, producer_epoch) = if version >= 3 {
            (r.i64("producer_id")?, r.i16("producer_epoch")?)
        } else {
            (-1, -1)
        };
        if flexible {
            r.skip_tagged_fields()?;
        }
        Ok(InitProducerIdRequest {
            transactional_id,
            transaction_timeout_ms,
            producer_id,
            producer_epoch,
        })
    }
}

/// The InitProducerId response body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InitProducerIdResponse {
    /// Quota throttle.
    pub throttle_time_ms: i32,
    /// Error, `NONE` on success.
    pub error_code: ErrorCode,
    /// The producer id.
    pub producer_id: i64,
    /// The producer epoch.
    pub producer_epoch: i16,
}

impl Encode for InitProducerIdResponse {
    fn encode(&self, version: i16, buf: &mut Vec<u8>) {
        buf.put_i32(self.throttle_time_ms);
        buf.put_i16(self.error_code.code());
        buf.put_i64(self.producer_id);
        buf.put_i16(self.producer_epoch);
        if version >= 2 {
            buf.put_empty_tagged_fields();
        }
    }
}

impl Decode<'_> for InitProducerIdResponse {
    fn decode(version: i16, r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.set_context("InitProducerIdResponse");
        check_version(r, version, VERSIONS)?;
        let resp = InitProducerIdResponse {
            throttle_time_ms: r.i32("throttle_time_ms")?,
            error_code: ErrorCode(r.i16("error_code")?),
            producer_id: r.i64("producer_id")?,
            producer_epoch: r.i16("producer_epoch")?,
        };
        if version >= 2 {
            r.skip_tagged_fields()?;
        }
        Ok(resp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_versions() {
        let req = InitProducerIdRequest {
            transactional_id: Some("tx".into()),
            transaction_timeout_ms: 60_000,
            producer_id: 5,
            producer_epoch: 2,
        };
        let mut v1 = Vec::new();
        req.encode(1, &mut v1);
        assert_eq!(v1, [0, 2, b't', b'x', 0, 0, 0xea, 0x60]);
        let mut v3 = Vec::new();
        req.encode(3, &mut v3);
        assert_eq!(
            v3,
            [
                3, b't', b'x', 0, 0, 0xea, 0x60, 0, 0, 0, 0, 0, 0, 0, 5, 0, 2, 0
            ]
        );
        assert_eq!(
            InitProducerIdRequest::decode(3, &mut Reader::new(&v3, "t")).unwrap(),
            req
        );
    }

    #[test]
    fn response_bytes() {
        let resp = InitProducerIdResponse {
            throttle_time_ms: 0,
            error_code: ErrorCode::NONE,
            producer_id: 1000,
            producer_epoch: 0,
        };
        let mut buf = Vec::new();
        resp.encode(4, &mut buf);
        assert_eq!(
            buf,
            [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x03, 0xe8, 0, 0, 0]
        );
        assert_eq!(
            InitProducerIdResponse::decode(4, &mut Reader::new(&buf, "t")).unwrap(),
            resp
        );
        let mut v0 = Vec::new();
        resp.encode(0, &mut v0);
        assert_eq!(v0.len(), buf.len() - 1);
        assert_eq!(
            InitProducerIdResponse::decode(0, &mut Reader::new(&v0, "t")).unwrap(),
            resp
        );
    }
}
