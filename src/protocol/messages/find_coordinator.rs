//! FindCoordinator (key 10), v0–v6; flexible from v3. Finds the broker that coordinates a
//! consumer group ([`KEY_TYPE_GROUP`]) or a transactional id ([`KEY_TYPE_TRANSACTION`]).
//!
//! v0–v3 ask for one key and answer with one coordinator; v4+ (KIP-699) batch several keys in
//! `coordinator_keys` and answer with one [`Coordinator`] per key. v1 adds the key type, the
//! throttle time and the error message; v5 and v6 only add error codes.

use super::{Decode, Encode, check_version};
use crate::protocol::codec::{DecodeError, Reader, Writer};
use crate::protocol::{ApiKey, ErrorCode, Request};

/// Versions this crate speaks.
pub const VERSIONS: (i16, i16) = (0, 6);

/// `key_type` of a consumer group coordinator.
pub const KEY_TYPE_GROUP: i8 = 0;
/// `key_type` of a transaction coordinator.
pub const KEY_TYPE_TRANSACTION: i8 = 1;

/// The FindCoordinator request body.
///
/// ```
/// use kafka_producer::protocol::messages::{Encode, FindCoordinatorRequest};
/// use kafka_producer::protocol::messages::find_coordinator::KEY_TYPE_TRANSACTION;
/// let req = FindCoordinatorRequest {
///     key: "tx".into(),
///     key_type: KEY_TYPE_TRANSACTION,
///     coordinator_keys: vec![],
/// };
/// let mut buf = Vec::new();
/// req.encode(1, &mut buf);
/// assert_eq!(buf, [0, 2, b't', b'x', 1]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FindCoordinatorRequest {
    /// The key to find the coordinator of (v0–v3; empty from v4).
    pub key: String,
    /// [`KEY_TYPE_GROUP`] or [`KEY_TYPE_TRANSACTION`] (v1+; v0 only knows groups).
    pub key_type: i8,
    /// The keys to find the coordinators of (v4+).
    pub coordinator_keys: Vec<String>,
}

impl Request for FindCoordinatorRequest {
    const API_KEY: ApiKey = ApiKey::FindCoordinator;
    type Response = FindCoordinatorResponse;
}

impl Encode for FindCoordinatorRequest {
    fn encode(&self, version: i16, buf: &mut Vec<u8>) {
        let flexible = version >= 3;
        if version <= 3 {
            buf.put_string(&self.key, flexible);
        }
        if version >= 1 {
            buf.put_i8(self.key_type);
        }
        if version >= 4 {
            buf.put_array_len(self.coordinator_keys.len(), true);
            for k in &self.coordinator_keys {
                buf.put_string(k, true);
            }
        }
        if flexible {
            buf.put_empty_tagged_fields();
        }
    }
}

impl Decode<'_> for FindCoordinatorRequest {
    fn decode(version: i16, r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.set_context("FindCoordinatorRequest");
        check_version(r, version, VERSIONS)?;
        let flexible = version >= 3;
        let key = if version <= 3 {
            r.string("key", flexible)?
        } else {
            String::new()
        };
        let key_type = if version >= 1 {
            r.i8("key_type")?
        } else {
            KEY_TYPE_GROUP
        };
        let coordinator_keys = if version >= 4 {
            r.array_of("coordinator_keys", true, 1, |r| {
                r.string("coordinator_key", true)
            })?
        } else {
            Vec::new()
        };
        if flexible {
            r.skip_tagged_fields()?;
        }
        Ok(FindCoordinatorRequest {
            key,
            key_type,
            coordinator_keys,
        })
    }
}

/// The coordinator of one key (v4+ responses).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Coordinator {
    /// The key asked about.
    pub key: String,
    /// The coordinator's node id.
    pub node_id: i32,
    /// The coordinator's host.
    pub host: String,
    /// The coordinator's port.
    pub port: i32,
    /// Error, `NONE` on success.
    pub error_code: ErrorCode,
    /// Error message, if any.
    pub error_message: Option<String>,
}

/// The FindCoordinator response body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FindCoordinatorResponse {
    /// Quota throttle (v1+).
    pub throttle_time_ms: i32,
    /// Error, `NONE` on success (v0–v3).
    pub error_code: ErrorCode,
    /// Error message, if any (v1–v3).
    pub error_message: Option<String>,
    /// The coordinator's node id (v0–v3).
    pub node_id: i32,
    /// The coordinator's host (v0–v3).
    pub host: String,
    /// The coordinator's port (v0–v3).
    pub port: i32,
    /// One coordinator per key asked about (v4+).
    pub coordinators: Vec<Coordinator>,
}

impl Encode for FindCoordinatorResponse {
    fn encode(&self, version: i16, buf: &mut Vec<u8>) {
        let flexible = version >= 3;
        if version >= 1 {
            buf.put_i32(self.throttle_time_ms);
        }
        if version <= 3 {
            buf.put_i16(self.error_code.code());
            if version >= 1 {
                buf.put_nullable_string(self.error_message.as_deref(), flexible);
            }
            buf.put_i32(self.node_id);
            buf.put_string(&self.host, flexible);
            buf.put_i32(self.port);
        } else {
            buf.put_array_len(self.coordinators.len(), true);
            for c in &self.coordinators {
                buf.put_string(&c.key, true);
                buf.put_i32(c.node_id);
                buf.put_string(&c.host, true);
                buf.put_i32(c.port);
                buf.put_i16(c.error_code.code());
                buf.put_nullable_string(c.error_message.as_deref(), true);
                buf.put_empty_tagged_fields();
            }
        }
        if flexible {
            buf.put_empty_tagged_fields();
        }
    }
}

impl Decode<'_> for FindCoordinatorResponse {
    fn decode(version: i16, r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.set_context("FindCoordinatorResponse");
        check_version(r, version, VERSIONS)?;
        let flexible = version >= 3;
        let mut resp = FindCoordinatorResponse::default();
        if version >= 1 {
            resp.throttle_time_ms = r.i32("throttle_time_ms")?;
        }
        if version <= 3 {
            resp.error_code = ErrorCode(r.i16("error_code")?);
            if version >= 1 {
                resp.error_message = r.nullable_string("error_message", flexible)?;
            }
            resp.node_id = r.i32("node_id")?;
            resp.host = r.string("host", flexible)?;
            resp.port = r.i32("port")?;
        } else {
            // key, node_id, host, port, error_code, error_message, tagged fields.
            resp.coordinators = r.array_of("coordinators", true, 14, |r| {
                let c = Coordinator {
                    key: r.string("key", true)?,
                    node_id: r.i32("node_id")?,
                    host: r.string("host", true)?,
                    port: r.i32("port")?,
                    error_code: ErrorCode(r.i16("error_code")?),
                    error_message: r.nullable_string("error_message", true)?,
                };
                r.skip_tagged_fields()?;
                Ok(c)
            })?;
        }
        if flexible {
            r.skip_tagged_fields()?;
        }
        Ok(resp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::codec::DecodeErrorKind;

    fn round_trip_request(req: &FindCoordinatorRequest, v: i16) -> Vec<u8> {
        let mut buf = Vec::new();
        req.encode(v, &mut buf);
        let mut r = Reader::new(&buf, "t");
        assert_eq!(
            &FindCoordinatorRequest::decode(v, &mut r).unwrap(),
            req,
            "v{v}"
        );
        assert!(r.is_empty());
        buf
    }

    #[test]
    fn request_bytes() {
        let group = FindCoordinatorRequest {
            key: "g".into(),
            ..Default::default()
        };
        assert_eq!(round_trip_request(&group, 0), [0, 1, b'g']);
        let tx = FindCoordinatorRequest {
            key: "tx".into(),
            key_type: KEY_TYPE_TRANSACTION,
            coordinator_keys: vec![],
        };
        assert_eq!(round_trip_request(&tx, 2), [0, 2, b't', b'x', 1]);
        assert_eq!(round_trip_request(&tx, 3), [3, b't', b'x', 1, 0]);
        let batched = FindCoordinatorRequest {
            key: String::new(),
            key_type: KEY_TYPE_TRANSACTION,
            coordinator_keys: vec!["a".into(), "bc".into()],
        };
        assert_eq!(
            round_trip_request(&batched, 4),
            [1, 3, 2, b'a', 3, b'b', b'c', 0]
        );
        assert_eq!(
            round_trip_request(&batched, 6),
            round_trip_request(&batched, 4)
        );
    }

    #[test]
    fn response_single_coordinator_bytes() {
        let resp = FindCoordinatorResponse {
            throttle_time_ms: 0,
            error_code: ErrorCode::NONE,
            error_message: None,
            node_id: 2,
            host: "h".into(),
            port: 9092,
            coordinators: vec![],
        };
        let mut v0 = Vec::new();
        resp.encode(0, &mut v0);
        assert_eq!(v0, [0, 0, 0, 0, 0, 2, 0, 1, b'h', 0, 0, 0x23, 0x84]);
        let mut v1 = Vec::new();
        resp.encode(1, &mut v1);
        #[rustfmt::skip]
        let expected = [
            0, 0, 0, 0,     // throttle
            0, 0,           // error_code
            0xff, 0xff,     // error_message: null
            0, 0, 0, 2,     // node_id
            0, 1, b'h',     // host
            0, 0, 0x23, 0x84, // port
        ];
        assert_eq!(v1, expected);
        let mut v3 = Vec::new();
        resp.encode(3, &mut v3);
        assert_eq!(
            v3,
            [
                0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 2, b'h', 0, 0, 0x23, 0x84, 0
            ]
        );
        for (v, bytes) in [(0, &v0), (1, &v1), (3, &v3)] {
            let mut r = Reader::new(bytes, "t");
            assert_eq!(FindCoordinatorResponse::decode(v, &mut r).unwrap(), resp);
            assert!(r.is_empty());
        }
    }

    #[test]
    fn response_v4_bytes() {
        let resp = FindCoordinatorResponse {
            throttle_time_ms: 1,
            coordinators: vec![Coordinator {
                key: "t".into(),
                node_id: 1,
                host: "h".into(),
                port: 1,
                error_code: ErrorCode::COORDINATOR_NOT_AVAILABLE,
                error_message: Some("x".into()),
            }],
            ..Default::default()
        };
        let mut buf = Vec::new();
        resp.encode(4, &mut buf);
        #[rustfmt::skip]
        let expected = [
            0, 0, 0, 1,     // throttle
            2,              // one coordinator
            2, b't',        // key
            0, 0, 0, 1,     // node_id
            2, b'h',        // host
            0, 0, 0, 1,     // port
            0, 15,          // COORDINATOR_NOT_AVAILABLE
            2, b'x',        // error_message
            0,              // coordinator tags
            0,              // top-level tags
        ];
        assert_eq!(buf, expected);
        let mut r = Reader::new(&buf, "t");
        assert_eq!(FindCoordinatorResponse::decode(6, &mut r).unwrap(), resp);
        assert!(r.is_empty());
    }

    #[test]
    fn unsupported_version_is_an_error() {
        let e = FindCoordinatorResponse::decode(7, &mut Reader::new(&[], "t")).unwrap_err();
        assert_eq!(e.kind, DecodeErrorKind::UnsupportedVersion(7));
    }
}

#[cfg(test)]
mod smallest_coordinators {
    use super::*;

    /// Found by the `txn_responses` fuzz target: coordinators with empty key and host (14
    /// bytes each, the smallest) were refused by a per-element minimum of 15 bytes.
    #[test]
    fn four_smallest_coordinators_round_trip() {
        let c = Coordinator {
            key: String::new(),
            node_id: 1,
            host: String::new(),
            port: 2,
            error_code: ErrorCode::NONE,
            error_message: None,
        };
        let resp = FindCoordinatorResponse {
            coordinators: vec![c.clone(), c.clone(), c.clone(), c],
            ..Default::default()
        };
        for v in 4..=6 {
            let mut buf = Vec::new();
            resp.encode(v, &mut buf);
            // throttle (4) + array length (1) + 4 x 14 + tags (1).
            assert_eq!(buf.len(), 4 + 1 + 4 * 14 + 1);
            let mut r = Reader::new(&buf, "t");
            assert_eq!(FindCoordinatorResponse::decode(v, &mut r).unwrap(), resp);
        }
    }
}
