//! OAUTHBEARER (RFC 7628, KIP-255): tokens from a [`OAuthBearerTokenProvider`].

use crate::error::Error;
use std::time::SystemTime;

/// An OAuth 2 bearer token for OAUTHBEARER (Java `OAuthBearerToken`).
///
/// Its `Debug` never shows the token's value.
#[derive(Clone)]
pub struct OAuthBearerToken {
    value: String,
    principal: String,
    expires_at: SystemTime,
}

impl OAuthBearerToken {
    /// A token: its compact serialization (`value`), the principal it names, and when it
    /// expires.
    pub fn new(value: impl Into<String>, principal: impl Into<String>, expires_at: SystemTime) -> Self {
        OAuthBearerToken {
            value: value.into(),
            principal: principal.into(),
            expires_at,
        }
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
}

impl std::fmt::Debug for OAuthBearerToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthBearerToken")
            .field("value", &"[hidden]")
            .field("principal", &self.principal)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// Where OAUTHBEARER tokens come from (Java's `sasl.login.callback.handler.class`).
pub trait OAuthBearerTokenProvider: Send + Sync {
    /// A fresh token. Called when the producer starts and again before the current token
    /// expires; may block (it runs on a background thread).
    fn token(&self) -> Result<OAuthBearerToken, Error>;
}
