//! ApiVersions (key 18), v0–v4; flexible from v3. The first request on every connection.
//!
//! A broker that does not support the requested version answers with a v0 body carrying
//! `UNSUPPORTED_VERSION` and its own ApiVersions range; [`ApiVersionsResponse::decode_with_fallback`]
//! reads that, and the client retries at the highest version the broker named.

use super::{Decode, Encode, check_version};
use crate::protocol::codec::{DecodeError, Reader, Writer};
use crate::protocol::{ApiKey, ErrorCode, Request};

/// Versions this crate speaks.
pub const VERSIONS: (i16, i16) = (0, 4);

/// The ApiVersions request body. Empty before v3; v3+ names the client software.
///
/// ```
/// use kafka_producer::protocol::messages::{ApiVersionsRequest, Encode};
/// let mut buf = Vec::new();
/// ApiVersionsRequest::default().encode(3, &mut buf);
/// assert_eq!(&buf[..15], b"\x0fkafka-producer");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiVersionsRequest {
    /// Name of the client library (v3+), `[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?`.
    pub client_software_name: String,
    /// Version of the client library (v3+), same pattern.
    pub client_software_version: String,
}

impl Default for ApiVersionsRequest {
    fn default() -> Self {
        ApiVersionsRequest {
            client_software_name: "kafka-producer".to_owned(),
            client_software_version: env!("CARGO_PKG_VERSION").to_owned(),
        }
    }
}

impl Request for ApiVersionsRequest {
    const API_KEY: ApiKey = ApiKey::ApiVersions;
    type Response = ApiVersionsResponse;
}

impl Encode for ApiVersionsRequest {
    fn encode(&self, version: i16, buf: &mut Vec<u8>) {
        if version >= 3 {
            buf.put_string(&self.client_software_name, true);
            buf.put_string(&self.client_software_version, true);
            buf.put_empty_tagged_fields();
        }
    }
}

impl Decode<'_> for ApiVersionsRequest {
    fn decode(version: i16, r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.set_context("ApiVersionsRequest");
        check_version(r, version, VERSIONS)?;
        if version >= 3 {
            let client_software_name = r.string("client_software_name", true)?;
            let client_software_version = r.string("client_software_version", true)?;
            r.skip_tagged_fields()?;
            Ok(ApiVersionsRequest {
                client_software_name,
                client_software_version,
            })
        } else {
            Ok(ApiVersionsRequest {
                client_software_name: String::new(),
                client_software_version: String::new(),
            })
        }
    }
}

/// The versions of one API a broker supports, inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiVersionRange {
    /// Raw API key (brokers list APIs this crate does not know).
    pub api_key: i16,
    /// Lowest supported version.
    pub min_version: i16,
    /// Highest supported version.
    pub max_version: i16,
}

/// A feature and its version range (v3+ tagged fields).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureRange {
    /// Feature name, e.g. `metadata.version`.
    pub name: String,
    /// Lowest version (or finalized min level).
    pub min_version: i16,
    /// Highest version (or finalized max level).
    pub max_version: i16,
}

/// The ApiVersions response body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ApiVersionsResponse {
    /// Top-level error; `UNSUPPORTED_VERSION` when the request version was too new.
    pub error_code: ErrorCode,
    /// What the broker supports.
    pub api_keys: Vec<ApiVersionRange>,
    /// Quota throttle (v1+).
    pub throttle_time_ms: i32,
    /// Supported features (v3+, tag 0).
    pub supported_features: Vec<FeatureRange>,
    /// Epoch of the finalized features, -1 when unknown (v3+, tag 1).
    pub finalized_features_epoch: i64,
    /// Cluster-wide finalized features (v3+, tag 2).
    pub finalized_features: Vec<FeatureRange>,
    /// Set by a KRaft controller ready for ZK migration (v3+, tag 3).
    pub zk_migration_ready: bool,
}

impl Default for ErrorCode {
    fn default() -> Self {
        ErrorCode::NONE
    }
}

impl ApiVersionsResponse {
    /// The broker's range for `api`, if it supports the API at all.
    pub fn range_for(&self, api: ApiKey) -> Option<ApiVersionRange> {
        self.api_keys
            .iter()
            .copied()
            .find(|k| k.api_key == api as i16)
    }

    /// Decodes a response to a request sent at `version`. A broker that did not support that
    /// version answers in v0; when reading at `version` fails, or the body says
    /// `UNSUPPORTED_VERSION`, the bytes are read again as v0 (as the Java client does).
    pub fn decode_with_fallback(version: i16, body: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(body, "ApiVersionsResponse");
        match Self::decode(version, &mut r).and_then(|resp| r.finish("end").map(|_| resp)) {
            Ok(resp) if resp.error_code != ErrorCode::UNSUPPORTED_VERSION => Ok(resp),
            first => {
                let mut r0 = Reader::new(body, "ApiVersionsResponse");
                match Self::decode(0, &mut r0) {
                    Ok(v0) => Ok(v0),
                    Err(e) => first.and(Err(e)),
                }
            }
        }
    }
}

/// Encodes a feature array; `finalized` features list max before min.
fn encode_features(features: &[FeatureRange], finalized: bool) -> Vec<u8> {
    let mut sub = Vec::new();
    sub.put_array_len(features.len(), true);
    for f in features {
        sub.put_string(&f.name, true);
        let (first, second) = if finalized {
            (f.max_version, f.min_version)
        } else {
            (f.min_version, f.max_version)
        };
        sub.put_i16(first);
        sub.put_i16(second);
        sub.put_empty_tagged_fields();
    }
    sub
}

fn decode_features(r: &mut Reader<'_>, finalized: bool) -> Result<Vec<FeatureRange>, DecodeError> {
    r.array_of("features", true, 6, |r| {
        let name = r.string("feature_name", true)?;
        let (min_version, max_version) = if finalized {
            // FinalizedFeatureKey lists max before min.
            let max = r.i16("max_version_level")?;
            let min = r.i16("min_version_level")?;
            (min, max)
        } else {
            (r.i16("min_version")?, r.i16("max_version")?)
        };
        r.skip_tagged_fields()?;
        Ok(FeatureRange {
            name,
            min_version,
            max_version,
        })
    })
}

impl Encode for ApiVersionsResponse {
    fn encode(&self, version: i16, buf: &mut Vec<u8>) {
        let flexible = version >= 3;
        buf.put_i16(self.error_code.code());
        buf.put_array_len(self.api_keys.len(), flexible);
        for k in &self.api_keys {
            buf.put_i16(k.api_key);
            buf.put_i16(k.min_version);
            buf.put_i16(k.max_version);
            if flexible {
                buf.put_empty_tagged_fields();
            }
        }
        if version >= 1 {
            buf.put_i32(self.throttle_time_ms);
        }
        if flexible {
            let mut tags: Vec<(u32, Vec<u8>)> = Vec::new();
            if !self.supported_features.is_empty() {
                tags.push((0, encode_features(&self.supported_features, false)));
            }
            if self.finalized_features_epoch != -1 {
                tags.push((1, self.finalized_features_epoch.to_be_bytes().to_vec()));
            }
            if !self.finalized_features.is_empty() {
                tags.push((2, encode_features(&self.finalized_features, true)));
            }
            if self.zk_migration_ready {
                tags.push((3, vec![1]));
            }
            buf.put_uvarint(tags.len() as u32);
            for (tag, data) in &tags {
                buf.put_tagged_field(*tag, data);
            }
        }
    }
}

impl Decode<'_> for ApiVersionsResponse {
    fn decode(version: i16, r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.set_context("ApiVersionsResponse");
        check_version(r, version, VERSIONS)?;
        let flexible = version >= 3;
        let error_code = ErrorCode(r.i16("error_code")?);
        let api_keys = r.array_of("api_keys", flexible, 6, |r| {
            let k = ApiVersionRange {
                api_key: r.i16("api_key")?,
                min_version: r.i16("min_version")?,
                max_version: r.i16("max_version")?,
            };
            if flexible {
                r.skip_tagged_fields()?;
            }
            Ok(k)
        })?;
        let throttle_time_ms = if version >= 1 {
            r.i32("throttle_time_ms")?
        } else {
            0
        };
        let mut resp = ApiVersionsResponse {
            error_code,
            api_keys,
            throttle_time_ms,
            supported_features: Vec::new(),
            finalized_features_epoch: -1,
            finalized_features: Vec::new(),
            zk_migration_ready: false,
        };
        if flexible {
            r.tagged_fields(|tag, sub| {
                match tag {
                    0 => resp.supported_features = decode_features(sub, false)?,
                    1 => resp.finalized_features_epoch = sub.i64("finalized_features_epoch")?,
                    2 => resp.finalized_features = decode_features(sub, true)?,
                    3 => resp.zk_migration_ready = sub.bool("zk_migration_ready")?,
                    _ => {}
                }
                Ok(())
            })?;
        }
        Ok(resp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::codec::DecodeErrorKind;

    fn sample() -> ApiVersionsResponse {
        ApiVersionsResponse {
            error_code: ErrorCode::NONE,
            api_keys: vec![
                ApiVersionRange {
                    api_key: 0,
                    min_version: 3,
                    max_version: 13,
                },
                ApiVersionRange {
                    api_key: 18,
                    min_version: 0,
                    max_version: 4,
                },
            ],
            throttle_time_ms: 0,
            supported_features: vec![FeatureRange {
                name: "metadata.version".into(),
                min_version: 7,
                max_version: 27,
            }],
            finalized_features_epoch: 42,
            finalized_features: vec![FeatureRange {
                name: "metadata.version".into(),
                min_version: 27,
                max_version: 27,
            }],
            zk_migration_ready: false,
        }
    }

    #[test]
    fn request_bytes() {
        let mut buf = Vec::new();
        ApiVersionsRequest::default().encode(0, &mut buf);
        assert!(buf.is_empty(), "v0-2 bodies are empty");
        let req = ApiVersionsRequest {
            client_software_name: "a".into(),
            client_software_version: "1".into(),
        };
        req.encode(3, &mut buf);
        assert_eq!(buf, [2, b'a', 2, b'1', 0]);
        let back = ApiVersionsRequest::decode(3, &mut Reader::new(&buf, "t")).unwrap();
        assert_eq!(back, req);
    }

    #[test]
    fn response_v0_bytes() {
        let bytes = [0, 0, 0, 0, 0, 1, 0, 18, 0, 0, 0, 3];
        let resp = ApiVersionsResponse::decode(0, &mut Reader::new(&bytes, "t")).unwrap();
        assert_eq!(
            resp.api_keys,
            vec![ApiVersionRange {
                api_key: 18,
                min_version: 0,
                max_version: 3
            }]
        );
        let mut out = Vec::new();
        resp.encode(0, &mut out);
        assert_eq!(out, bytes);
    }

    #[test]
    fn response_v3_bytes_with_tagged_fields() {
        let resp = ApiVersionsResponse {
            api_keys: vec![ApiVersionRange {
                api_key: 0,
                min_version: 3,
                max_version: 13,
            }],
            finalized_features_epoch: 1,
            ..sample()
        };
        let resp = ApiVersionsResponse {
            supported_features: vec![],
            finalized_features: vec![],
            ..resp
        };
        let mut out = Vec::new();
        resp.encode(3, &mut out);
        #[rustfmt::skip]
        let expected = [
            0, 0,                   // error_code
            2,                      // compact array of 1
            0, 0, 0, 3, 0, 13, 0,   // produce 3..13, no tags
            0, 0, 0, 0,             // throttle
            1,                      // one tagged field
            1, 8, 0, 0, 0, 0, 0, 0, 0, 1, // tag 1: finalized_features_epoch = 1
        ];
        assert_eq!(out, expected);
        assert_eq!(
            ApiVersionsResponse::decode(3, &mut Reader::new(&out, "t")).unwrap(),
            resp
        );
    }

    #[test]
    fn round_trip_all_versions() {
        for v in 0..=4 {
            let mut resp = sample();
            if v < 3 {
                resp.supported_features.clear();
                resp.finalized_features.clear();
                resp.finalized_features_epoch = -1;
            }
            let mut out = Vec::new();
            resp.encode(v, &mut out);
            let mut r = Reader::new(&out, "t");
            assert_eq!(
                ApiVersionsResponse::decode(v, &mut r).unwrap(),
                resp,
                "v{v}"
            );
            assert!(r.is_empty());
        }
    }

    #[test]
    fn fallback_to_v0_on_unsupported_version() {
        // What a broker sends when asked for a version it does not know: v0 body.
        let v0 = ApiVersionsResponse {
            error_code: ErrorCode::UNSUPPORTED_VERSION,
            api_keys: vec![ApiVersionRange {
                api_key: 18,
                min_version: 0,
                max_version: 2,
            }],
            ..Default::default()
        };
        let mut bytes = Vec::new();
        v0.encode(0, &mut bytes);
        let got = ApiVersionsResponse::decode_with_fallback(4, &bytes).unwrap();
        assert_eq!(got.error_code, ErrorCode::UNSUPPORTED_VERSION);
        assert_eq!(got.range_for(ApiKey::ApiVersions).unwrap().max_version, 2);
    }

    #[test]
    fn unsupported_version_is_an_error() {
        let e = ApiVersionsResponse::decode(9, &mut Reader::new(&[], "t")).unwrap_err();
        assert_eq!(e.kind, DecodeErrorKind::UnsupportedVersion(9));
        assert_eq!(e.context, "ApiVersionsResponse");
    }
}
