//! Client-side checks of a token from the token endpoint (Java `LoginAccessTokenValidator`):
//! a JWT of three dot-separated base64url parts whose payload is a JSON object with an `exp`
//! number and a principal; no signature check (the broker does that).

use super::{OAuthBearerToken, base64};
use crate::error::Error;
use serde_json::Value;
use std::collections::BTreeSet;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Java's default `sasl.oauthbearer.sub.claim.name`.
pub(crate) const DEFAULT_SUB_CLAIM_NAME: &str = "sub";
/// Java's default `sasl.oauthbearer.scope.claim.name`.
pub(crate) const DEFAULT_SCOPE_CLAIM_NAME: &str = "scope";

/// Validates access tokens and turns them into [`OAuthBearerToken`]s.
#[derive(Debug, Clone)]
pub(crate) struct LoginAccessTokenValidator {
    scope_claim_name: String,
    sub_claim_name: String,
}

fn invalid(message: impl std::fmt::Display) -> Error {
    Error::sasl(format!("The access token is invalid: {message}"))
}

/// Seconds since the epoch (a JSON number) as a time; `None` when negative or not a number.
fn seconds(value: &Value) -> Option<SystemTime> {
    let secs = value.as_f64()?;
    if !(0.0..=1e12).contains(&secs) {
        return None;
    }
    // Java takes the integral part (`Number.longValue()`).
    Some(UNIX_EPOCH + Duration::from_secs(secs.trunc() as u64))
}

impl LoginAccessTokenValidator {
    /// A validator reading the scope and the principal from these claims.
    pub(crate) fn new(
        scope_claim_name: impl Into<String>,
        sub_claim_name: impl Into<String>,
    ) -> Self {
        LoginAccessTokenValidator {
            scope_claim_name: scope_claim_name.into(),
            sub_claim_name: sub_claim_name.into(),
        }
    }

    /// The token for `access_token`, or why it is not a valid JWT. Error messages never
    /// contain the token.
    pub(crate) fn validate(&self, access_token: &str) -> Result<OAuthBearerToken, Error> {
        let token = access_token.trim();
        if token.is_empty() {
            return Err(invalid(
                "Empty JWT provided; expected three sections (header, payload, and signature)",
            ));
        }
        let parts: Vec<&str> = token.split('.').map(str::trim).collect();
        if parts.len() != 3 || parts.iter().any(|p| p.is_empty()) {
            return Err(invalid(format!(
                "Malformed JWT provided ({} section(s)); expected three sections (header, payload, and signature)",
                parts.iter().filter(|p| !p.is_empty()).count()
            )));
        }
        let payload = base64::decode_url(parts[1])
            .ok_or_else(|| invalid("the JWT payload is not valid base64url"))?;
        let payload: Value = serde_json::from_slice(&payload)
            .map_err(|e| invalid(format!("the JWT payload is not valid JSON: {e}")))?;
        let Value::Object(claims) = payload else {
            return Err(invalid("the JWT payload is not a JSON object"));
        };

        let raw_scope: Vec<&Value> = match claims.get(&self.scope_claim_name) {
            Some(v @ Value::String(_)) => vec![v],
            Some(Value::Array(items)) => items.iter().collect(),
            _ => Vec::new(),
        };
        let mut scope = BTreeSet::new();
        for item in raw_scope {
            let Some(s) = item.as_str() else {
                return Err(invalid(format!(
                    "{} value must be a string",
                    self.scope_claim_name
                )));
            };
            let s = s.trim();
            if s.is_empty() {
                return Err(invalid(format!(
                    "{} value must be non-empty",
                    self.scope_claim_name
                )));
            }
            if !scope.insert(s.to_string()) {
                return Err(invalid(format!(
                    "{} value must not contain duplicates - {s} already present",
                    self.scope_claim_name
                )));
            }
        }

        let expires_at = match claims.get("exp") {
            None | Some(Value::Null) => return Err(invalid("exp value must be non-null")),
            Some(v) => {
                seconds(v).ok_or_else(|| invalid("exp value must be a non-negative number"))?
            }
        };
        let principal = match claims.get(&self.sub_claim_name) {
            Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_string(),
            Some(Value::String(_)) => {
                return Err(invalid(format!(
                    "{} value must be non-empty",
                    self.sub_claim_name
                )));
            }
            Some(Value::Null) | None => {
                return Err(invalid(format!(
                    "{} value must be non-null",
                    self.sub_claim_name
                )));
            }
            Some(_) => {
                return Err(invalid(format!(
                    "{} value must be a string",
                    self.sub_claim_name
                )));
            }
        };
        let issued_at = match claims.get("iat") {
            None | Some(Value::Null) => None,
            Some(v) => {
                Some(seconds(v).ok_or_else(|| invalid("iat value must be a non-negative number"))?)
            }
        };
        let mut result = OAuthBearerToken::new(token, principal, expires_at).with_scope(scope);
        if let Some(iat) = issued_at {
            result = result.with_start_time(iat);
        }
        Ok(result)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde_json::json;

    /// A JWT with these claims and a dummy signature.
    pub(crate) fn jwt(claims: &Value) -> String {
        format!(
            "{}.{}.c2lnbmF0dXJl",
            base64::encode_url_no_pad(br#"{"alg":"RS256"}"#),
            base64::encode_url_no_pad(claims.to_string().as_bytes())
        )
    }

    fn validator() -> LoginAccessTokenValidator {
        LoginAccessTokenValidator::new(DEFAULT_SCOPE_CLAIM_NAME, DEFAULT_SUB_CLAIM_NAME)
    }

    #[test]
    fn valid_token() {
        let value = jwt(
            &json!({"sub": " alice ", "exp": 2_000_000_000u64, "iat": 1_999_996_400.5, "scope": ["a", "b"]}),
        );
        let token = validator().validate(&format!(" {value}\n")).unwrap();
        assert_eq!(token.value(), value);
        assert_eq!(token.principal(), "alice");
        assert_eq!(
            token.expires_at(),
            UNIX_EPOCH + Duration::from_secs(2_000_000_000)
        );
        assert_eq!(
            token.start_time(),
            Some(UNIX_EPOCH + Duration::from_secs(1_999_996_400))
        );
        assert_eq!(token.scope().iter().collect::<Vec<_>>(), ["a", "b"]);
        let token = validator()
            .validate(&jwt(&json!({"sub": "a", "exp": 1, "scope": "one two"})))
            .unwrap();
        assert_eq!(token.scope().iter().collect::<Vec<_>>(), ["one two"]);
        assert_eq!(token.start_time(), None);
    }

    #[test]
    fn custom_claim_names() {
        let v = LoginAccessTokenValidator::new("scp", "client_id");
        let token = v
            .validate(&jwt(&json!({"client_id": "svc", "exp": 5, "scp": ["x"]})))
            .unwrap();
        assert_eq!(token.principal(), "svc");
        assert_eq!(token.scope().iter().collect::<Vec<_>>(), ["x"]);
    }

    #[test]
    fn invalid_tokens() {
        let good_payload = base64::encode_url_no_pad(br#"{"sub":"a","exp":1}"#);
        let cases = [
            (String::new(), "Empty JWT"),
            ("  ".to_string(), "Empty JWT"),
            ("abc".to_string(), "Malformed JWT"),
            (format!("h.{good_payload}."), "Malformed JWT"),
            (format!("h.{good_payload}.s.x"), "Malformed JWT"),
            ("h.!!!.s".to_string(), "base64url"),
            (
                format!("h.{}.s", base64::encode_url_no_pad(b"not json")),
                "not valid JSON",
            ),
            (
                format!("h.{}.s", base64::encode_url_no_pad(b"[1]")),
                "not a JSON object",
            ),
            (jwt(&json!({"sub": "a"})), "exp value must be non-null"),
            (jwt(&json!({"sub": "a", "exp": "soon"})), "exp value"),
            (jwt(&json!({"sub": "a", "exp": -1})), "exp value"),
            (jwt(&json!({"exp": 1})), "sub value must be non-null"),
            (
                jwt(&json!({"sub": " ", "exp": 1})),
                "sub value must be non-empty",
            ),
            (
                jwt(&json!({"sub": 7, "exp": 1})),
                "sub value must be a string",
            ),
            (jwt(&json!({"sub": "a", "exp": 1, "iat": -5})), "iat value"),
            (
                jwt(&json!({"sub": "a", "exp": 1, "scope": ["x", "x"]})),
                "duplicates",
            ),
            (
                jwt(&json!({"sub": "a", "exp": 1, "scope": [""]})),
                "non-empty",
            ),
            (
                jwt(&json!({"sub": "a", "exp": 1, "scope": [1]})),
                "must be a string",
            ),
        ];
        for (token, expected) in cases {
            let e = validator().validate(&token).unwrap_err();
            let Error::Authentication { message, .. } = &e else {
                panic!("{e:?}")
            };
            assert!(message.contains(expected), "{token}: {message}");
            if token.len() > 8 {
                assert!(!message.contains(&token), "{message}");
            }
        }
    }
}
