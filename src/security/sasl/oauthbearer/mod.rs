//! OAUTHBEARER (RFC 7628, KIP-255, KIP-768): tokens from a [`OAuthBearerTokenProvider`].
//!
//! - [`client`]: the mechanism itself (Java `OAuthBearerSaslClient`), with the initial response
//!   of [`client_initial_response`];
//! - token providers: [`unsecured_login_callback_handler`] (unsecured JWTs, for tests and
//!   development) and [`login_callback_handler`] (OIDC client credentials against
//!   `sasl.oauthbearer.token.endpoint.url`, or a token read from a `file:` URL);
//! - [`expiring_credential_refreshing_login`]: keeps a fresh token, refreshed on a background
//!   thread before it expires.

// The SASL authenticator that uses these items is written separately; until it is connected,
// the crate-private API here is only used by its tests.

use crate::error::Error;
use std::collections::{BTreeMap, BTreeSet};
use std::time::SystemTime;

mod base64;
pub(crate) mod client;
pub(crate) mod client_initial_response;
pub(crate) mod expiring_credential_refreshing_login;
pub(crate) mod file_token_retriever;
pub(crate) mod http_access_token_retriever;
pub(crate) mod http_client;
pub(crate) mod login_access_token_validator;
pub(crate) mod login_callback_handler;
pub(crate) mod unsecured_login_callback_handler;

/// An OAuth 2 bearer token for OAUTHBEARER (Java `OAuthBearerToken`).
///
/// Its `Debug` never shows the token's value.
///
/// ```
/// use kafka_producer::security::OAuthBearerToken;
/// use std::time::{Duration, SystemTime};
/// let expires = SystemTime::UNIX_EPOCH + Duration::from_secs(2_000_000_000);
/// let token = OAuthBearerToken::new("eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9.", "alice", expires)
///     .with_scope(["produce".to_string()])
///     .with_start_time(SystemTime::UNIX_EPOCH + Duration::from_secs(1_999_996_400));
/// assert_eq!(token.principal(), "alice");
/// assert!(token.scope().contains("produce"));
/// assert!(!format!("{token:?}").contains("eyJ"));
/// ```
#[derive(Clone)]
pub struct OAuthBearerToken {
    value: String,
    principal: String,
    expires_at: SystemTime,
    scope: BTreeSet<String>,
    start_time: Option<SystemTime>,
}

impl OAuthBearerToken {
    /// A token: its compact serialization (`value`), the principal it names, and when it
    /// expires.
    pub fn new(
        value: impl Into<String>,
        principal: impl Into<String>,
        expires_at: SystemTime,
    ) -> Self {
        OAuthBearerToken {
            value: value.into(),
            principal: principal.into(),
            expires_at,
            scope: BTreeSet::new(),
            start_time: None,
        }
    }

    /// The same token with this scope (the token's `scope` claim, Java `OAuthBearerToken.scope()`).
    pub fn with_scope(mut self, scope: impl IntoIterator<Item = String>) -> Self {
        self.scope = scope.into_iter().collect();
        self
    }

    /// The same token with the time it became valid (its `iat` claim, Java
    /// `OAuthBearerToken.startTimeMs()`); the refresh is scheduled relative to it.
    pub fn with_start_time(mut self, start_time: SystemTime) -> Self {
        self.start_time = Some(start_time);
        self
    }

    /// The token, as sent to the broker.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// The principal the token names.
    pub fn principal(&self) -> &str {
        &self.principal
    }

    /// When the token expires.
    pub fn expires_at(&self) -> SystemTime {
        self.expires_at
    }

    /// The token's scope (empty when it has none).
    pub fn scope(&self) -> &BTreeSet<String> {
        &self.scope
    }

    /// When the token became valid, if known.
    pub fn start_time(&self) -> Option<SystemTime> {
        self.start_time
    }
}

impl std::fmt::Debug for OAuthBearerToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthBearerToken")
            .field("value", &"[hidden]")
            .field("principal", &self.principal)
            .field("expires_at", &self.expires_at)
            .field("scope", &self.scope)
            .field("start_time", &self.start_time)
            .finish()
    }
}

/// Where OAUTHBEARER tokens come from (Java's `sasl.login.callback.handler.class`).
///
/// ```
/// use kafka_producer::security::{OAuthBearerToken, OAuthBearerTokenProvider};
/// use kafka_producer::error::Error;
/// use std::time::{Duration, SystemTime};
///
/// struct Fixed;
/// impl OAuthBearerTokenProvider for Fixed {
///     fn token(&self) -> Result<OAuthBearerToken, Error> {
///         Ok(OAuthBearerToken::new("a.b.c", "alice", SystemTime::now() + Duration::from_secs(3600)))
///     }
/// }
/// assert_eq!(Fixed.token().unwrap().principal(), "alice");
/// assert!(Fixed.extensions().unwrap().is_empty());
/// ```
pub trait OAuthBearerTokenProvider: Send + Sync {
    /// A fresh token. Called when the producer starts and again before the current token
    /// expires; may block (it runs on a background thread).
    fn token(&self) -> Result<OAuthBearerToken, Error>;

    /// The SASL extensions (RFC 7628 §3.1 `key=value` pairs) to send with the token (Java's
    /// `SaslExtensionsCallback`); none by default.
    fn extensions(&self) -> Result<BTreeMap<String, String>, Error> {
        Ok(BTreeMap::new())
    }
}
