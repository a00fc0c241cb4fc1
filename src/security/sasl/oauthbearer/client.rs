//! The OAUTHBEARER mechanism, client side (Java `OAuthBearerSaslClient`, RFC 7628 §3).

use super::OAuthBearerToken;
use super::client_initial_response;
use crate::error::Error;
use crate::security::sasl::SaslClient;
use std::collections::BTreeMap;

/// Where the exchange is (Java's `OAuthBearerSaslClient.State`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    SendClientFirstMessage,
    ReceiveServerFirstMessage,
    ReceiveServerMessageAfterFailure,
    Complete,
}

/// One OAUTHBEARER exchange: sends the token (and SASL extensions), then either the server's
/// empty success message completes it, or the server's error (a JSON document, RFC 7628
/// §3.2.2) is answered with `%x01` and kept for [`server_error`](Self::server_error).
///
/// Its `Debug` shows the token's principal, never its value.
pub(crate) struct OAuthBearerSaslClient {
    token: OAuthBearerToken,
    extensions: BTreeMap<String, String>,
    state: State,
    server_error: Option<String>,
}

impl OAuthBearerSaslClient {
    /// A client sending `token` with `extensions` (checked as Java's
    /// `OAuthBearerClientInitialResponse.validateExtensions`).
    pub(crate) fn new(
        token: OAuthBearerToken,
        extensions: BTreeMap<String, String>,
    ) -> Result<Self, Error> {
        client_initial_response::validate_extensions(&extensions)?;
        Ok(OAuthBearerSaslClient {
            token,
            extensions,
            state: State::SendClientFirstMessage,
            server_error: None,
        })
    }

    /// The server's error document (RFC 7628 §3.2.2, e.g.
    /// `{"status":"invalid_token","scope":"..."}`), when the server rejected the token.
    #[cfg(test)]
    pub(crate) fn server_error(&self) -> Option<&str> {
        self.server_error.as_deref()
    }

    /// The `status` field of the server's error document, if it has one.
    pub(crate) fn server_error_status(&self) -> Option<String> {
        let json: serde_json::Value = serde_json::from_str(self.server_error.as_deref()?).ok()?;
        json.get("status")?.as_str().map(str::to_string)
    }

    /// Whether the client side of the exchange is complete (the server accepted the token).
    #[cfg(test)]
    pub(crate) fn is_complete(&self) -> bool {
        self.state == State::Complete
    }

    fn failure_message(&self) -> String {
        format!(
            "OAUTHBEARER authentication of principal {} failed; server error: {}",
            self.token.principal(),
            self.server_error.as_deref().unwrap_or("(none)")
        )
    }
}

impl std::fmt::Debug for OAuthBearerSaslClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthBearerSaslClient")
            .field("token", &self.token)
            .field("extensions", &self.extensions.keys().collect::<Vec<_>>())
            .field("state", &self.state)
            .field("server_error", &self.server_error)
            .finish()
    }
}

impl SaslClient for OAuthBearerSaslClient {
    fn mechanism_name(&self) -> &'static str {
        "OAUTHBEARER"
    }

    fn server_error(&self) -> Option<String> {
        self.server_error_status()
            .map(|status| format!("the server's error status: {status}"))
    }

    fn initial_response(&mut self) -> Result<Vec<u8>, Error> {
        if self.state != State::SendClientFirstMessage {
            return Err(Error::sasl(format!(
                "Unexpected initial response in OAUTHBEARER client state {:?}",
                self.state
            )));
        }
        let bytes = client_initial_response::to_bytes(self.token.value(), &self.extensions)?;
        log::debug!(
            "OAUTHBEARER: sending token of principal {} (expires at {:?})",
            self.token.principal(),
            self.token.expires_at()
        );
        self.state = State::ReceiveServerFirstMessage;
        Ok(bytes)
    }

    fn evaluate_challenge(&mut self, challenge: &[u8]) -> Result<Option<Vec<u8>>, Error> {
        match self.state {
            State::SendClientFirstMessage => {
                if !challenge.is_empty() {
                    return Err(Error::sasl("Expected empty challenge"));
                }
                self.initial_response().map(Some)
            }
            State::ReceiveServerFirstMessage => {
                if challenge.is_empty() {
                    self.state = State::Complete;
                    return Ok(None);
                }
                // Bounded: the document goes into error messages and logs.
                let text = String::from_utf8_lossy(challenge);
                let text: String = text.chars().take(1024).collect();
                log::debug!(
                    "OAUTHBEARER: sending %x01 response to server after receiving an error: {text}"
                );
                self.server_error = Some(text);
                self.state = State::ReceiveServerMessageAfterFailure;
                Ok(Some(vec![client_initial_response::SEPARATOR]))
            }
            State::ReceiveServerMessageAfterFailure => Err(Error::sasl(self.failure_message())),
            State::Complete => Err(Error::sasl(
                "Unexpected challenge in OAUTHBEARER client state Complete",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, SystemTime};

    fn token() -> OAuthBearerToken {
        OAuthBearerToken::new(
            "hdr.payload.sig",
            "alice",
            SystemTime::now() + Duration::from_secs(60),
        )
    }

    #[test]
    fn success_exchange() {
        let mut ext = BTreeMap::new();
        ext.insert("traceId".to_string(), "42".to_string());
        let mut c = OAuthBearerSaslClient::new(token(), ext).unwrap();
        assert_eq!(c.mechanism_name(), "OAUTHBEARER");
        assert_eq!(
            c.initial_response().unwrap(),
            b"n,,\x01auth=Bearer hdr.payload.sig\x01traceId=42\x01\x01"
        );
        assert_eq!(c.evaluate_challenge(b"").unwrap(), None);
        assert!(c.is_complete());
        assert!(c.server_error().is_none());
        assert!(c.evaluate_challenge(b"x").is_err());
    }

    #[test]
    fn server_error_is_answered_and_kept() {
        let mut c = OAuthBearerSaslClient::new(token(), BTreeMap::new()).unwrap();
        c.initial_response().unwrap();
        let doc = br#"{"status":"invalid_token","scope":"kafka"}"#;
        assert_eq!(c.evaluate_challenge(doc).unwrap(), Some(vec![1]));
        assert_eq!(
            c.server_error(),
            Some(r#"{"status":"invalid_token","scope":"kafka"}"#)
        );
        assert_eq!(c.server_error_status().as_deref(), Some("invalid_token"));
        assert!(!c.is_complete());
        // Any further message is a failure naming the server's error, never the token.
        let e = c.evaluate_challenge(b"").unwrap_err().to_string();
        assert!(
            e.contains("invalid_token") && e.contains("alice") && !e.contains("hdr.payload.sig"),
            "{e}"
        );
    }

    #[test]
    fn garbage_from_the_server_does_not_panic() {
        let mut c = OAuthBearerSaslClient::new(token(), BTreeMap::new()).unwrap();
        c.initial_response().unwrap();
        assert_eq!(
            c.evaluate_challenge(&[0xff, 0xfe, 0x00]).unwrap(),
            Some(vec![1])
        );
        assert_eq!(c.server_error_status(), None);
        let mut c = OAuthBearerSaslClient::new(token(), BTreeMap::new()).unwrap();
        assert!(c.evaluate_challenge(b"unexpected").is_err());
        assert!(c.evaluate_challenge(b"").unwrap().is_some());
    }

    #[test]
    fn invalid_extensions_rejected_at_construction() {
        let mut ext = BTreeMap::new();
        ext.insert("auth".to_string(), "x".to_string());
        assert!(OAuthBearerSaslClient::new(token(), ext).is_err());
    }

    #[test]
    fn debug_hides_token() {
        let c = OAuthBearerSaslClient::new(token(), BTreeMap::new()).unwrap();
        let d = format!("{c:?}");
        assert!(!d.contains("hdr.payload.sig") && d.contains("alice"), "{d}");
    }
}
