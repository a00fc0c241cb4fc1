//! SaslHandshake (key 17), v0–v1; never flexible. Names the SASL mechanism the client wants;
//! the broker answers with the mechanisms it enables. From v1 the tokens that follow travel in
//! SaslAuthenticate requests (KIP-152); v0 sent them as raw frames, which this crate does not.

use super::{Decode, Encode, check_version};
use crate::protocol::codec::{DecodeError, Reader, Writer};
use crate::protocol::{ApiKey, ErrorCode, Request};

/// Versions this crate speaks.
pub const VERSIONS: (i16, i16) = (0, 1);

/// The SaslHandshake request body.
///
/// ```
/// use kafka_producer::protocol::messages::{Encode, SaslHandshakeRequest};
/// let mut buf = Vec::new();
/// SaslHandshakeRequest { mechanism: "PLAIN".into() }.encode(1, &mut buf);
/// assert_eq!(buf, [0, 5, b'P', b'L', b'A', b'I', b'N']);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaslHandshakeRequest {
    /// The SASL mechanism chosen by the client (`PLAIN`, `SCRAM-SHA-256`, ...).
    pub mechanism: String,
}

impl Request for SaslHandshakeRequest {
    const API_KEY: ApiKey = ApiKey::SaslHandshake;
    type Response = SaslHandshakeResponse;
}

impl Encode for SaslHandshakeRequest {
    fn encode(&self, _version: i16, buf: &mut Vec<u8>) {
        buf.put_string(&self.mechanism, false);
    }
}

impl Decode<'_> for SaslHandshakeRequest {
    fn decode(version: i16, r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.set_context("SaslHandshakeRequest");
        check_version(r, version, VERSIONS)?;
        Ok(SaslHandshakeRequest {
            mechanism: r.string("mechanism", false)?,
        })
    }
}

/// The SaslHandshake response body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaslHandshakeResponse {
    /// Error, `NONE` on success (`UNSUPPORTED_SASL_MECHANISM` when the broker does not enable
    /// the requested mechanism).
    pub error_code: ErrorCode,
    /// The mechanisms the broker enables.
    pub mechanisms: Vec<String>,
}

impl Encode for SaslHandshakeResponse {
    fn encode(&self, _version: i16, buf: &mut Vec<u8>) {
        buf.put_i16(self.error_code.code());
        buf.put_array_len(self.mechanisms.len(), false);
        for m in &self.mechanisms {
            buf.put_string(m, false);
        }
    }
}

impl Decode<'_> for SaslHandshakeResponse {
    fn decode(version: i16, r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.set_context("SaslHandshakeResponse");
        check_version(r, version, VERSIONS)?;
        Ok(SaslHandshakeResponse {
            error_code: ErrorCode(r.i16("error_code")?),
            mechanisms: r.array_of("mechanisms", false, 2, |r| r.string("mechanisms", false))?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::codec::DecodeErrorKind;

    #[test]
    fn request_bytes() {
        let req = SaslHandshakeRequest {
            mechanism: "SCRAM-SHA-256".into(),
        };
        for v in 0..=1 {
            let mut buf = Vec::new();
            req.encode(v, &mut buf);
            let mut want = vec![0, 13];
            want.extend_from_slice(b"SCRAM-SHA-256");
            assert_eq!(buf, want);
            assert_eq!(
                SaslHandshakeRequest::decode(v, &mut Reader::new(&buf, "t")).unwrap(),
                req
            );
        }
    }

    #[test]
    fn response_bytes() {
        let resp = SaslHandshakeResponse {
            error_code: ErrorCode::UNSUPPORTED_SASL_MECHANISM,
            mechanisms: vec!["PLAIN".into(), "GSSAPI".into()],
        };
        let mut buf = Vec::new();
        resp.encode(1, &mut buf);
        assert_eq!(
            buf,
            [
                0, 33, 0, 0, 0, 2, 0, 5, b'P', b'L', b'A', b'I', b'N', 0, 6, b'G', b'S', b'S',
                b'A', b'P', b'I'
            ]
        );
        for v in 0..=1 {
            let mut r = Reader::new(&buf, "t");
            assert_eq!(SaslHandshakeResponse::decode(v, &mut r).unwrap(), resp);
            assert!(r.is_empty());
        }
    }

    #[test]
    fn bad_input_is_an_error() {
        // An array count far beyond the bytes present, a truncated string, version 2.
        let huge = [0, 0, 0x7f, 0xff, 0xff, 0xff, 0, 1];
        assert!(SaslHandshakeResponse::decode(1, &mut Reader::new(&huge, "t")).is_err());
        let short = [0, 0, 0, 0, 0, 1, 0, 5, b'P'];
        assert!(SaslHandshakeResponse::decode(1, &mut Reader::new(&short, "t")).is_err());
        let e = SaslHandshakeResponse::decode(2, &mut Reader::new(&[0, 0, 0, 0, 0, 0], "t"))
            .unwrap_err();
        assert_eq!(e.kind, DecodeErrorKind::UnsupportedVersion(2));
    }
}
