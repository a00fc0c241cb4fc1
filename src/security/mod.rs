//! Encryption and authentication of broker connections (Java's
//! `org.apache.kafka.common.security`): TLS with rustls (`ssl`) and SASL (`sasl`: PLAIN,
//! SCRAM-SHA-256/512, OAUTHBEARER).
//!
//! The public part is what a user may plug in: an OAUTHBEARER token provider
//! ([`OAuthBearerTokenProvider`]) and the token it returns ([`OAuthBearerToken`]).

pub(crate) mod sasl;
pub(crate) mod ssl;

pub use sasl::oauthbearer::{OAuthBearerToken, OAuthBearerTokenProvider};
