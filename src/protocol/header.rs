//! Request headers (v1 classic, v2 flexible) and response headers (v0 classic, v1 flexible).

use super::ApiKey;
use super::codec::{DecodeError, Reader, Writer};

/// The header in front of every request.
///
/// v1 (non-flexible request versions): api key, api version, correlation id, nullable client id.
/// v2 (flexible versions) adds a tagged-field section; the client id stays a classic
/// NULLABLE_STRING even in v2.
///
/// ```
/// use kafka_producer::protocol::{ApiKey, RequestHeader};
/// let h = RequestHeader { api_key: ApiKey::ApiVersions, api_version: 0, correlation_id: 7, client_id: Some("c") };
/// let mut buf = Vec::new();
/// h.encode(&mut buf, false);
/// assert_eq!(buf, [0, 18, 0, 0, 0, 0, 0, 7, 0, 1, b'c']);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestHeader<'a> {
    /// Which API.
    pub api_key: ApiKey,
    /// Which version of it.
    pub api_version: i16,
    /// Echoed by the broker in the response header.
    pub correlation_id: i32,
    /// `client.id`, for the broker's logs and quotas.
    pub client_id: Option<&'a str>,
}

impl RequestHeader<'_> {
    /// Appends the header; `flexible` selects v2 (with tagged fields) over v1.
    pub fn encode(&self, buf: &mut Vec<u8>, flexible: bool) {
        buf.put_i16(self.api_key as i16);
        buf.put_i16(self.api_version);
        buf.put_i32(self.correlation_id);
        buf.put_nullable_string(self.client_id, false);
        if flexible {
            buf.put_empty_tagged_fields();
        }
    }
}

/// A decoded request header, owned (used by test brokers and tools).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedRequestHeader {
    /// The raw api key (it may be one this crate does not know).
    pub api_key: i16,
    /// The requested version.
    pub api_version: i16,
    /// Correlation id to echo.
    pub correlation_id: i32,
    /// The client id.
    pub client_id: Option<String>,
}

impl OwnedRequestHeader {
    /// Decodes a request header; `flexible` selects v2.
    pub fn decode(r: &mut Reader<'_>, flexible: bool) -> Result<Self, DecodeError> {
        let api_key = r.i16("api_key")?;
        let api_version = r.i16("api_version")?;
        let correlation_id = r.i32("correlation_id")?;
        let client_id = r.nullable_string("client_id", false)?;
        if flexible {
            r.skip_tagged_fields()?;
        }
        Ok(OwnedRequestHeader {
            api_key,
            api_version,
            correlation_id,
            client_id,
        })
    }
}

/// The header in front of every response: the correlation id, plus (v1, flexible versions) a
/// tagged-field section. ApiVersions responses always use v0 so that any client can read them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponseHeader {
    /// The request's correlation id.
    pub correlation_id: i32,
}

impl ResponseHeader {
    /// Decodes a response header; `flexible` selects v1.
    ///
    /// ```
    /// use kafka_producer::protocol::{codec::Reader, ResponseHeader};
    /// let mut r = Reader::new(&[0, 0, 0, 9, 0], "header");
    /// assert_eq!(ResponseHeader::decode(&mut r, true).unwrap().correlation_id, 9);
    /// ```
    pub fn decode(r: &mut Reader<'_>, flexible: bool) -> Result<Self, DecodeError> {
        let correlation_id = r.i32("correlation_id")?;
        if flexible {
            r.skip_tagged_fields()?;
        }
        Ok(ResponseHeader { correlation_id })
    }

    /// Appends the header; `flexible` selects v1.
    pub fn encode(&self, buf: &mut Vec<u8>, flexible: bool) {
        buf.put_i32(self.correlation_id);
        if flexible {
            buf.put_empty_tagged_fields();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_header_v2_has_tagged_fields_and_classic_client_id() {
        let h = RequestHeader {
            api_key: ApiKey::Metadata,
            api_version: 12,
            correlation_id: 0x01020304,
            client_id: Some("ab"),
        };
        let mut buf = Vec::new();
        h.encode(&mut buf, true);
        assert_eq!(buf, [0, 3, 0, 12, 1, 2, 3, 4, 0, 2, b'a', b'b', 0]);
        let back = OwnedRequestHeader::decode(&mut Reader::new(&buf, "h"), true).unwrap();
        assert_eq!(back.api_key, 3);
        assert_eq!(back.client_id.as_deref(), Some("ab"));
    }

    #[test]
    fn request_header_null_client_id() {
        let h = RequestHeader {
            api_key: ApiKey::Produce,
            api_version: 9,
            correlation_id: 1,
            client_id: None,
        };
        let mut buf = Vec::new();
        h.encode(&mut buf, false);
        assert_eq!(buf, [0, 0, 0, 9, 0, 0, 0, 1, 0xff, 0xff]);
    }

    #[test]
    fn response_header_versions() {
        let mut buf = Vec::new();
        ResponseHeader { correlation_id: 5 }.encode(&mut buf, false);
        assert_eq!(buf, [0, 0, 0, 5]);
        buf.clear();
        ResponseHeader { correlation_id: 5 }.encode(&mut buf, true);
        assert_eq!(buf, [0, 0, 0, 5, 0]);
        let e = ResponseHeader::decode(&mut Reader::new(&[0, 0, 0], "h"), false).unwrap_err();
        assert_eq!(e.field, "correlation_id");
    }
}
