//! The OAUTHBEARER client's first message (Java `OAuthBearerClientInitialResponse`, RFC 7628
//! §3.1): `n,,\x01auth=Bearer <token>\x01` then each SASL extension `key=value\x01`, then
//! `\x01`.

use crate::error::Error;
use std::collections::BTreeMap;

/// The separator between the message's key/value pairs (`%x01`).
pub(crate) const SEPARATOR: u8 = 0x01;

/// The extension name the token itself uses; no SASL extension may take it.
pub(crate) const AUTH_KEY: &str = "auth";

/// Whether `name` is a valid extension key (RFC 7628 `key = 1*(ALPHA)`).
fn valid_key(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphabetic())
}

/// Whether `value` is a valid extension value (RFC 7628 `value = *(VCHAR / SP / HTAB / CR /
/// LF)`; Java requires at least one character).
fn valid_value(value: &str) -> bool {
    !value.is_empty()
        && value
            .bytes()
            .all(|b| (0x21..=0x7e).contains(&b) || matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
}

/// Checks SASL extensions as Java's `validateExtensions`: `auth` is reserved, names are letters,
/// values visible ASCII or white space.
pub(crate) fn validate_extensions(extensions: &BTreeMap<String, String>) -> Result<(), Error> {
    if extensions.contains_key(AUTH_KEY) {
        return Err(Error::sasl(format!("Extension name {AUTH_KEY} is invalid")));
    }
    for (name, value) in extensions {
        if !valid_key(name) {
            return Err(Error::sasl(format!("Extension name {name} is invalid")));
        }
        if !valid_value(value) {
            // The value may be a secret; it is not repeated.
            return Err(Error::sasl(format!(
                "Extension value for extension {name} is invalid"
            )));
        }
    }
    Ok(())
}

/// Whether the token can be sent as an RFC 6750 `b64token` (Java's `AUTH_PATTERN` on the
/// server side accepts `[-_.a-zA-Z0-9]+`; this also allows the rest of `b64token`).
fn valid_token(token: &str) -> bool {
    !token.is_empty()
        && token.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/' | b'=')
        })
}

/// The initial response for `token` and `extensions` (no authorization id, as Java's client).
pub(crate) fn to_bytes(
    token: &str,
    extensions: &BTreeMap<String, String>,
) -> Result<Vec<u8>, Error> {
    if !valid_token(token) {
        return Err(Error::sasl(
            "The OAUTHBEARER token contains characters not allowed in a bearer token",
        ));
    }
    validate_extensions(extensions)?;
    let mut out = Vec::with_capacity(token.len() + 32);
    out.extend_from_slice(b"n,,");
    out.push(SEPARATOR);
    out.extend_from_slice(b"auth=Bearer ");
    out.extend_from_slice(token.as_bytes());
    out.push(SEPARATOR);
    for (name, value) in extensions {
        out.extend_from_slice(name.as_bytes());
        out.push(b'=');
        out.extend_from_slice(value.as_bytes());
        out.push(SEPARATOR);
    }
    out.push(SEPARATOR);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ext(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn message_without_extensions() {
        assert_eq!(
            to_bytes("abc.def.", &BTreeMap::new()).unwrap(),
            b"n,,\x01auth=Bearer abc.def.\x01\x01"
        );
    }

    #[test]
    fn message_with_extensions() {
        let bytes = to_bytes("t.u.v", &ext(&[("one", "1"), ("two", "a b")])).unwrap();
        assert_eq!(
            bytes,
            b"n,,\x01auth=Bearer t.u.v\x01one=1\x01two=a b\x01\x01"
        );
    }

    #[test]
    fn rejects_invalid_extensions() {
        for bad in [
            ext(&[("auth", "x")]),
            ext(&[("test.Id", "1")]),
            ext(&[("a1", "1")]),
            ext(&[("", "1")]),
        ] {
            assert!(validate_extensions(&bad).is_err(), "{bad:?}");
        }
        for bad in [
            ext(&[("k", "")]),
            ext(&[("k", "a\u{1}b")]),
            ext(&[("k", "é")]),
        ] {
            let e = validate_extensions(&bad).unwrap_err();
            assert!(e.to_string().contains("Extension value"), "{e}");
        }
        assert!(validate_extensions(&ext(&[("k", "a\tb\r\n~")])).is_ok());
    }

    #[test]
    fn rejects_token_that_would_break_framing() {
        assert!(to_bytes("a\u{1}b", &BTreeMap::new()).is_err());
        assert!(to_bytes("a b", &BTreeMap::new()).is_err());
        assert!(to_bytes("", &BTreeMap::new()).is_err());
    }
}
