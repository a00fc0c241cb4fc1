//! Unsecured JWTs for development and tests (Java `OAuthBearerUnsecuredLoginCallbackHandler`):
//! a token with header `{"alg":"none"}` and an empty signature, its claims from the JAAS
//! options.

use super::client_initial_response::validate_extensions;
use super::{OAuthBearerToken, OAuthBearerTokenProvider, base64};
use crate::error::Error;
use serde_json::{Map, Number, Value};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// JAAS option: the claim naming the principal (default [`DEFAULT_PRINCIPAL_CLAIM_NAME`]).
pub(crate) const PRINCIPAL_CLAIM_NAME_OPTION: &str = "unsecuredLoginPrincipalClaimName";
/// JAAS option: the token's lifetime in seconds (default [`DEFAULT_LIFETIME_SECONDS`]).
pub(crate) const LIFETIME_SECONDS_OPTION: &str = "unsecuredLoginLifetimeSeconds";
/// JAAS option: the claim holding the scope (default [`DEFAULT_SCOPE_CLAIM_NAME`]).
pub(crate) const SCOPE_CLAIM_NAME_OPTION: &str = "unsecuredLoginScopeClaimName";
/// JAAS option prefix: a string claim.
pub(crate) const STRING_CLAIM_PREFIX: &str = "unsecuredLoginStringClaim_";
/// JAAS option prefix: a number claim.
pub(crate) const NUMBER_CLAIM_PREFIX: &str = "unsecuredLoginNumberClaim_";
/// JAAS option prefix: a list claim (the value's first character is the delimiter).
pub(crate) const LIST_CLAIM_PREFIX: &str = "unsecuredLoginListClaim_";
/// JAAS option prefix: a SASL extension.
pub(crate) const EXTENSION_PREFIX: &str = "unsecuredLoginExtension_";
/// Java's default principal claim.
pub(crate) const DEFAULT_PRINCIPAL_CLAIM_NAME: &str = "sub";
/// Java's default lifetime: one hour.
pub(crate) const DEFAULT_LIFETIME_SECONDS: u64 = 3600;
/// Java's default scope claim.
pub(crate) const DEFAULT_SCOPE_CLAIM_NAME: &str = "scope";
/// Claims the handler sets itself.
const RESERVED_CLAIMS: [&str; 2] = ["iat", "exp"];

/// The key reported in configuration errors.
const JAAS_CONFIG: &str = "sasl.jaas.config";

type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// A [`OAuthBearerTokenProvider`] of unsecured JWTs built from the JAAS options
/// (`unsecuredLoginStringClaim_<name>`, `unsecuredLoginNumberClaim_<name>`,
/// `unsecuredLoginListClaim_<name>`, `unsecuredLoginExtension_<name>`,
/// `unsecuredLoginPrincipalClaimName`, `unsecuredLoginLifetimeSeconds`,
/// `unsecuredLoginScopeClaimName`). Only for development: brokers must be configured to accept
/// unsecured tokens.
pub(crate) struct OAuthBearerUnsecuredLoginCallbackHandler {
    principal_claim_name: String,
    scope_claim_name: String,
    lifetime: Duration,
    claims: BTreeMap<String, Value>,
    extensions: BTreeMap<String, String>,
    clock: Clock,
}

fn config_error(message: impl Into<String>) -> Error {
    Error::Config {
        key: JAAS_CONFIG.to_string(),
        message: message.into(),
    }
}

fn non_blank(value: Option<&String>, default: &str) -> String {
    match value.map(|v| v.trim()) {
        Some(v) if !v.is_empty() => v.to_string(),
        _ => default.to_string(),
    }
}

/// A list claim's elements: the first character of `value` is the delimiter (Java's
/// `listJsonText`); an empty or one-character value is the empty list.
fn list_elements(value: &str) -> Vec<Value> {
    let mut chars = value.chars();
    let Some(delimiter) = chars.next() else {
        return Vec::new();
    };
    let rest = chars.as_str();
    if rest.is_empty() {
        return Vec::new();
    }
    rest.split(delimiter)
        .map(|s| Value::String(s.to_string()))
        .collect()
}

impl OAuthBearerUnsecuredLoginCallbackHandler {
    /// A handler from the JAAS options of `OAuthBearerLoginModule` (option name → value).
    /// Bad options (a claim given twice, `iat`/`exp` set explicitly, a number or lifetime that
    /// does not parse, no principal claim, an invalid extension) are [`Error::Config`].
    pub(crate) fn new(options: &BTreeMap<String, String>) -> Result<Self, Error> {
        Self::with_clock(options, Arc::new(SystemTime::now))
    }

    /// As [`new`](Self::new), with the clock that sets `iat` and `exp` (for tests).
    pub(crate) fn with_clock(
        options: &BTreeMap<String, String>,
        clock: Clock,
    ) -> Result<Self, Error> {
        let principal_claim_name = non_blank(
            options.get(PRINCIPAL_CLAIM_NAME_OPTION),
            DEFAULT_PRINCIPAL_CLAIM_NAME,
        );
        let scope_claim_name = non_blank(
            options.get(SCOPE_CLAIM_NAME_OPTION),
            DEFAULT_SCOPE_CLAIM_NAME,
        );
        let lifetime = match options.get(LIFETIME_SECONDS_OPTION) {
            None => DEFAULT_LIFETIME_SECONDS,
            Some(v) => v.parse::<u64>().map_err(|_| {
                config_error(format!("{LIFETIME_SECONDS_OPTION} must be a non-negative integer number of seconds, not \"{v}\""))
            })?,
        };
        let mut claims = BTreeMap::new();
        let mut extensions = BTreeMap::new();
        for (key, value) in options {
            let (name, claim) = if let Some(name) = key.strip_prefix(STRING_CLAIM_PREFIX) {
                (name, Value::String(value.clone()))
            } else if let Some(name) = key.strip_prefix(NUMBER_CLAIM_PREFIX) {
                let number = value
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .and_then(Number::from_f64)
                    .ok_or_else(|| config_error(format!("{key}: \"{value}\" is not a number")))?;
                (name, Value::Number(number))
            } else if let Some(name) = key.strip_prefix(LIST_CLAIM_PREFIX) {
                (name, Value::Array(list_elements(value)))
            } else {
                if let Some(name) = key.strip_prefix(EXTENSION_PREFIX) {
                    if !name.is_empty() {
                        extensions.insert(name.to_string(), value.clone());
                    }
                }
                continue;
            };
            if name.is_empty() {
                continue;
            }
            if RESERVED_CLAIMS.contains(&name) {
                return Err(config_error(format!(
                    "Cannot explicitly set the '{name}' claim"
                )));
            }
            if claims.insert(name.to_string(), claim).is_some() {
                return Err(config_error(format!(
                    "The '{name}' claim is set more than once"
                )));
            }
        }
        validate_extensions(&extensions).map_err(|e| match e {
            Error::Authentication { message, .. } => config_error(message),
            other => other,
        })?;
        let handler = OAuthBearerUnsecuredLoginCallbackHandler {
            principal_claim_name,
            scope_claim_name,
            lifetime: Duration::from_secs(lifetime),
            claims,
            extensions,
            clock,
        };
        handler.build(SystemTime::now())?;
        Ok(handler)
    }

    /// The token for the time `now`.
    fn build(&self, now: SystemTime) -> Result<OAuthBearerToken, Error> {
        let principal = match self.claims.get(&self.principal_claim_name) {
            Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_string(),
            _ => {
                return Err(config_error(format!(
                    "No principal name in JWT claim: {}",
                    self.principal_claim_name
                )));
            }
        };
        let scope: Vec<String> = match self.claims.get(&self.scope_claim_name) {
            Some(Value::String(s)) if !s.trim().is_empty() => vec![s.trim().to_string()],
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|v| v.as_str())
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect(),
            _ => Vec::new(),
        };
        let now_secs = now
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or(0.0);
        let exp_secs = now_secs + self.lifetime.as_secs_f64();
        let mut payload: Map<String, Value> = self
            .claims
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for (name, secs) in [("exp", exp_secs), ("iat", now_secs)] {
            let number =
                Number::from_f64(secs).ok_or_else(|| config_error("the clock is out of range"))?;
            payload.insert(name.to_string(), Value::Number(number));
        }
        let header = br#"{"alg":"none"}"#;
        let payload = Value::Object(payload).to_string();
        let value = format!(
            "{}.{}.",
            base64::encode_url_no_pad(header),
            base64::encode_url_no_pad(payload.as_bytes())
        );
        Ok(OAuthBearerToken::new(value, principal, now + self.lifetime)
            .with_scope(scope)
            .with_start_time(now))
    }
}

impl OAuthBearerTokenProvider for OAuthBearerUnsecuredLoginCallbackHandler {
    fn token(&self) -> Result<OAuthBearerToken, Error> {
        let token = self.build((self.clock)())?;
        log::info!(
            "Retrieved unsecured token with principal {}",
            token.principal()
        );
        Ok(token)
    }

    fn extensions(&self) -> Result<BTreeMap<String, String>, Error> {
        Ok(self.extensions.clone())
    }
}

impl std::fmt::Debug for OAuthBearerUnsecuredLoginCallbackHandler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthBearerUnsecuredLoginCallbackHandler")
            .field("principal_claim_name", &self.principal_claim_name)
            .field("scope_claim_name", &self.scope_claim_name)
            .field("lifetime", &self.lifetime)
            .field("claims", &self.claims.keys().collect::<Vec<_>>())
            .field("extensions", &self.extensions.keys().collect::<Vec<_>>())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    //! Ported from Java's `OAuthBearerUnsecuredLoginCallbackHandlerTest`.
    use super::*;

    const NOW_MS: u64 = 100_000_000;

    fn options(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn handler(pairs: &[(&str, &str)]) -> Result<OAuthBearerUnsecuredLoginCallbackHandler, Error> {
        OAuthBearerUnsecuredLoginCallbackHandler::with_clock(
            &options(pairs),
            Arc::new(|| UNIX_EPOCH + Duration::from_millis(NOW_MS)),
        )
    }

    fn decode(token: &OAuthBearerToken) -> (Value, Map<String, Value>) {
        let parts: Vec<&str> = token.value().split('.').collect();
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[2], "");
        let header: Value = serde_json::from_slice(&base64::decode_url(parts[0]).unwrap()).unwrap();
        let claims: Value = serde_json::from_slice(&base64::decode_url(parts[1]).unwrap()).unwrap();
        (header, claims.as_object().unwrap().clone())
    }

    #[test]
    fn minimal_token() {
        let h = handler(&[("unsecuredLoginStringClaim_sub", "user")]).unwrap();
        let token = h.token().unwrap();
        let (header, claims) = decode(&token);
        assert_eq!(header, serde_json::json!({"alg": "none"}));
        assert_eq!(claims.len(), 3, "{claims:?}");
        assert_eq!(claims["sub"], "user");
        assert_eq!(claims["iat"].as_f64(), Some(NOW_MS as f64 / 1000.0));
        assert_eq!(
            claims["exp"].as_f64(),
            Some(NOW_MS as f64 / 1000.0 + 3600.0)
        );
        assert_eq!(token.principal(), "user");
        assert!(token.scope().is_empty());
        assert_eq!(
            token.start_time(),
            Some(UNIX_EPOCH + Duration::from_millis(NOW_MS))
        );
        assert_eq!(
            token.expires_at(),
            UNIX_EPOCH + Duration::from_millis(NOW_MS + 3_600_000)
        );
        assert!(h.extensions().unwrap().is_empty());
    }

    #[test]
    fn valid_options_with_explicit_option_values() {
        let h = handler(&[
            ("unsecuredLoginPrincipalClaimName", "principal"),
            ("unsecuredLoginStringClaim_principal", "user"),
            ("unsecuredLoginScopeClaimName", "putScopeInHere"),
            ("unsecuredLoginListClaim_putScopeInHere", " scope1 scope2"),
            ("unsecuredLoginListClaim_list", ",1,2,"),
            ("unsecuredLoginListClaim_emptyList1", ""),
            ("unsecuredLoginListClaim_emptyList2", ","),
            ("unsecuredLoginNumberClaim_number", "1"),
            ("unsecuredLoginLifetimeSeconds", "10000"),
            ("unsecuredLoginExtension_testId", "1"),
        ])
        .unwrap();
        let token = h.token().unwrap();
        let (_, claims) = decode(&token);
        assert_eq!(token.principal(), "user");
        assert_eq!(claims["principal"], "user");
        assert_eq!(claims["list"], serde_json::json!(["1", "2", ""]));
        assert_eq!(claims["emptyList1"], serde_json::json!([]));
        assert_eq!(claims["emptyList2"], serde_json::json!([]));
        assert_eq!(claims["number"].as_f64(), Some(1.0));
        assert_eq!(
            claims["exp"].as_f64(),
            Some(NOW_MS as f64 / 1000.0 + 10000.0)
        );
        let scope: Vec<&str> = token.scope().iter().map(String::as_str).collect();
        assert_eq!(scope, ["scope1", "scope2"]);
        assert_eq!(
            h.extensions().unwrap().get("testId").map(String::as_str),
            Some("1")
        );
    }

    #[test]
    fn string_scope_is_one_scope() {
        let token = handler(&[
            ("unsecuredLoginStringClaim_sub", "u"),
            ("unsecuredLoginStringClaim_scope", "a"),
        ])
        .unwrap()
        .token()
        .unwrap();
        assert_eq!(token.scope().iter().collect::<Vec<_>>(), ["a"]);
    }

    #[test]
    fn json_special_characters_are_escaped() {
        let token = handler(&[("unsecuredLoginStringClaim_sub", "a\"b\\c\n")])
            .unwrap()
            .token()
            .unwrap();
        assert_eq!(decode(&token).1["sub"], "a\"b\\c\n");
    }

    #[test]
    fn invalid_options() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[], "No principal name in JWT claim: sub"),
            (
                &[("unsecuredLoginStringClaim_sub", "  ")],
                "No principal name",
            ),
            (
                &[("unsecuredLoginNumberClaim_sub", "1")],
                "No principal name",
            ),
            (
                &[
                    ("unsecuredLoginStringClaim_sub", "u"),
                    ("unsecuredLoginPrincipalClaimName", "p"),
                ],
                "JWT claim: p",
            ),
            (
                &[
                    ("unsecuredLoginStringClaim_sub", "u"),
                    ("unsecuredLoginNumberClaim_iat", "1"),
                ],
                "'iat'",
            ),
            (
                &[
                    ("unsecuredLoginStringClaim_sub", "u"),
                    ("unsecuredLoginStringClaim_exp", "1"),
                ],
                "'exp'",
            ),
            (
                &[
                    ("unsecuredLoginStringClaim_sub", "u"),
                    ("unsecuredLoginListClaim_sub", ",u"),
                ],
                "more than once",
            ),
            (
                &[
                    ("unsecuredLoginStringClaim_sub", "u"),
                    ("unsecuredLoginNumberClaim_n", "x"),
                ],
                "not a number",
            ),
            (
                &[
                    ("unsecuredLoginStringClaim_sub", "u"),
                    ("unsecuredLoginNumberClaim_n", "NaN"),
                ],
                "not a number",
            ),
            (
                &[
                    ("unsecuredLoginStringClaim_sub", "u"),
                    ("unsecuredLoginLifetimeSeconds", "1h"),
                ],
                "LifetimeSeconds",
            ),
            (
                &[
                    ("unsecuredLoginStringClaim_sub", "u"),
                    ("unsecuredLoginExtension_test.Id", "1"),
                ],
                "Extension name",
            ),
            (
                &[
                    ("unsecuredLoginStringClaim_sub", "u"),
                    ("unsecuredLoginExtension_auth", "1"),
                ],
                "Extension name auth",
            ),
            (
                &[
                    ("unsecuredLoginStringClaim_sub", "u"),
                    ("unsecuredLoginExtension_x", "\u{1}"),
                ],
                "Extension value",
            ),
        ];
        for (pairs, expected) in cases {
            match handler(pairs) {
                Err(Error::Config { key, message }) => {
                    assert_eq!(key, "sasl.jaas.config");
                    assert!(message.contains(expected), "{pairs:?}: {message}");
                }
                other => panic!("{pairs:?}: {other:?}"),
            }
        }
    }
}
