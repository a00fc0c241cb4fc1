//! SASL mechanisms, client side, sans-IO (Java `javax.security.sasl.SaslClient` and Kafka's
//! `PlainSaslClient`-like classes). The exchange on the wire (SaslHandshake, SaslAuthenticate)
//! is `network::sasl_authenticator`'s; a mechanism only turns server messages into client
//! messages.

use crate::error::Error;

pub(crate) use login_manager::SaslLogin;

pub(crate) mod jaas;
pub(crate) mod login_manager;
pub(crate) mod oauthbearer;
pub(crate) mod plain;
pub(crate) mod scram;

/// One authentication exchange of one mechanism (a new one per connection and
/// re-authentication), as Java's `SaslClient`.
pub(crate) trait SaslClient: Send {
    /// The mechanism's name, as the broker spells it (`PLAIN`, `SCRAM-SHA-256`, ...).
    fn mechanism_name(&self) -> &'static str;

    /// The client's first message (every mechanism here has an initial response).
    fn initial_response(&mut self) -> Result<Vec<u8>, Error>;

    /// The server's answer to the last message: `Ok(Some(bytes))` is the next client message
    /// to send, `Ok(None)` means the exchange is complete on the client side (for SCRAM: the
    /// server's signature checked). An error is an authentication failure (the broker's proof
    /// is wrong, or its message is malformed).
    fn evaluate_challenge(&mut self, challenge: &[u8]) -> Result<Option<Vec<u8>>, Error>;

    /// What the server said about a failure, when the mechanism carries it in a challenge
    /// (OAUTHBEARER's error document, RFC 7628 §3.2.2), for the error message.
    fn server_error(&self) -> Option<String> {
        None
    }
}
