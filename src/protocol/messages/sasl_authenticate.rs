//! SaslAuthenticate (key 36), v0–v2; flexible from v2. Carries one SASL token each way
//! (KIP-152); v1 adds the session lifetime for re-authentication (KIP-368).
//!
//! The tokens may hold credentials (PLAIN sends the password, SCRAM a proof): `Debug` prints
//! their length only.

use super::{Decode, Encode, check_version};
use crate::protocol::codec::{DecodeError, Reader, Writer};
use crate::protocol::{ApiKey, ErrorCode, Request};
use std::fmt;

/// Versions this crate speaks.
pub const VERSIONS: (i16, i16) = (0, 2);

/// The SaslAuthenticate request body.
///
/// ```
/// use kafka_producer::protocol::messages::{Encode, SaslAuthenticateRequest};
/// let mut buf = Vec::new();
/// SaslAuthenticateRequest { auth_bytes: b"\0u\0p".to_vec() }.encode(2, &mut buf);
/// assert_eq!(buf, [5, 0, b'u', 0, b'p', 0]);
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct SaslAuthenticateRequest {
    /// The client's SASL token.
    pub auth_bytes: Vec<u8>,
}

impl fmt::Debug for SaslAuthenticateRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SaslAuthenticateRequest")
            .field(
                "auth_bytes",
                &format_args!("[{} bytes]", self.auth_bytes.len()),
            )
            .finish()
    }
}

impl Request for SaslAuthenticateRequest {
    const API_KEY: ApiKey = ApiKey::SaslAuthenticate;
    type Response = SaslAuthenticateResponse;
}

impl Encode for SaslAuthenticateRequest {
    fn encode(&self, version: i16, buf: &mut Vec<u8>) {
        let flexible = version >= 2;
        buf.put_bytes(&self.auth_bytes, flexible);
        if flexible {
            buf.put_empty_tagged_fields();
        }
    }
}

impl Decode<'_> for SaslAuthenticateRequest {
    fn decode(version: i16, r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.set_context("SaslAuthenticateRequest");
        check_version(r, version, VERSIONS)?;
        let flexible = version >= 2;
        let auth_bytes = r.bytes("auth_bytes", flexible)?.to_vec();
        if flexible {
            r.skip_tagged_fields()?;
        }
        Ok(SaslAuthenticateRequest { auth_bytes })
    }
}

/// The SaslAuthenticate response body.
#[derive(Clone, PartialEq, Eq)]
pub struct SaslAuthenticateResponse {
    /// Error, `NONE` on success (`SASL_AUTHENTICATION_FAILED` for bad credentials).
    pub error_code: ErrorCode,
    /// The broker's message for the error, if any.
    pub error_message: Option<String>,
    /// The server's SASL token.
    pub auth_bytes: Vec<u8>,
    /// How long the authenticated session lasts, 0 for no limit (v1+; 0 before).
    pub session_lifetime_ms: i64,
}

impl fmt::Debug for SaslAuthenticateResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SaslAuthenticateResponse")
            .field("error_code", &self.error_code)
            .field("error_message", &self.error_message)
            .field(
                "auth_bytes",
                &format_args!("[{} bytes]", self.auth_bytes.len()),
            )
            .field("session_lifetime_ms", &self.session_lifetime_ms)
            .finish()
    }
}

impl Encode for SaslAuthenticateResponse {
    fn encode(&self, version: i16, buf: &mut Vec<u8>) {
        let flexible = version >= 2;
        buf.put_i16(self.error_code.code());
        buf.put_nullable_string(self.error_message.as_deref(), flexible);
        buf.put_bytes(&self.auth_bytes, flexible);
        if version >= 1 {
            buf.put_i64(self.session_lifetime_ms);
        }
        if flexible {
            buf.put_empty_tagged_fields();
        }
    }
}

impl Decode<'_> for SaslAuthenticateResponse {
    fn decode(version: i16, r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.set_context("SaslAuthenticateResponse");
        check_version(r, version, VERSIONS)?;
        let flexible = version >= 2;
        let error_code = ErrorCode(r.i16("error_code")?);
        let error_message = r.nullable_string("error_message", flexible)?;
        let auth_bytes = r.bytes("auth_bytes", flexible)?.to_vec();
        let session_lifetime_ms = if version >= 1 {
            r.i64("session_lifetime_ms")?
        } else {
            0
        };
        if flexible {
            r.skip_tagged_fields()?;
        }
        Ok(SaslAuthenticateResponse {
            error_code,
            error_message,
            auth_bytes,
            session_lifetime_ms,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::codec::DecodeErrorKind;

    #[test]
    fn request_bytes() {
        let req = SaslAuthenticateRequest {
            auth_bytes: vec![0, b'u', 0, b'p'],
        };
        let mut v0 = Vec::new();
        req.encode(0, &mut v0);
        assert_eq!(v0, [0, 0, 0, 4, 0, b'u', 0, b'p']);
        let mut v1 = Vec::new();
        req.encode(1, &mut v1);
        assert_eq!(v1, v0);
        let mut v2 = Vec::new();
        req.encode(2, &mut v2);
        assert_eq!(v2, [5, 0, b'u', 0, b'p', 0]);
        for (v, buf) in [(0, &v0), (1, &v1), (2, &v2)] {
            let mut r = Reader::new(buf, "t");
            assert_eq!(SaslAuthenticateRequest::decode(v, &mut r).unwrap(), req);
            assert!(r.is_empty());
        }
    }

    #[test]
    fn response_bytes() {
        let resp = SaslAuthenticateResponse {
            error_code: ErrorCode::SASL_AUTHENTICATION_FAILED,
            error_message: Some("bad".into()),
            auth_bytes: b"v=x".to_vec(),
            session_lifetime_ms: 3_600_000,
        };
        let mut v0 = Vec::new();
        resp.encode(0, &mut v0);
        assert_eq!(
            v0,
            [0, 58, 0, 3, b'b', b'a', b'd', 0, 0, 0, 3, b'v', b'=', b'x']
        );
        let mut v1 = Vec::new();
        resp.encode(1, &mut v1);
        let mut want = v0.clone();
        want.extend_from_slice(&[0, 0, 0, 0, 0, 0x36, 0xee, 0x80]);
        assert_eq!(v1, want);
        let mut v2 = Vec::new();
        resp.encode(2, &mut v2);
        assert_eq!(
            v2,
            [
                0, 58, 4, b'b', b'a', b'd', 4, b'v', b'=', b'x', 0, 0, 0, 0, 0, 0x36, 0xee, 0x80, 0
            ]
        );
        let v0_resp = SaslAuthenticateResponse {
            session_lifetime_ms: 0,
            ..resp.clone()
        };
        for (v, buf, want) in [(0, &v0, &v0_resp), (1, &v1, &resp), (2, &v2, &resp)] {
            let mut r = Reader::new(buf, "t");
            assert_eq!(&SaslAuthenticateResponse::decode(v, &mut r).unwrap(), want);
            assert!(r.is_empty());
        }
        // A null error message.
        let ok = SaslAuthenticateResponse {
            error_code: ErrorCode::NONE,
            error_message: None,
            auth_bytes: Vec::new(),
            session_lifetime_ms: 0,
        };
        let mut buf = Vec::new();
        ok.encode(2, &mut buf);
        assert_eq!(buf, [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    }

    #[test]
    fn bad_input_is_an_error() {
        // Null auth bytes, a length beyond the input, version 3.
        let null = [0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
        assert!(SaslAuthenticateResponse::decode(0, &mut Reader::new(&null, "t")).is_err());
        let long = [0, 0, 0xff, 0xff, 0x7f, 0, 0, 0];
        assert!(SaslAuthenticateResponse::decode(0, &mut Reader::new(&long, "t")).is_err());
        let e = SaslAuthenticateResponse::decode(3, &mut Reader::new(&[0; 16], "t")).unwrap_err();
        assert_eq!(e.kind, DecodeErrorKind::UnsupportedVersion(3));
    }

    #[test]
    fn debug_hides_tokens() {
        let req = SaslAuthenticateRequest {
            auth_bytes: b"\0alice\0secret".to_vec(),
        };
        let s = format!("{req:?}");
        assert!(!s.contains("secret") && s.contains("13 bytes"), "{s}");
    }
}
