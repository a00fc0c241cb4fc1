//! SASL/PLAIN, client side (RFC 4616; Java's `PlainSaslClient` as the JDK's `PlainClient` with
//! Kafka's `PlainLoginModule`): one message, `authzid NUL authcid NUL passwd`, with an empty
//! authorization id.

// Until `network::sasl_authenticator` builds the mechanisms from the config (in progress on
// another branch), only the tests and `crate::__fuzz` use this module.

use super::SaslClient;
use super::jaas::JaasConfig;
use crate::config::Password;
use crate::error::Error;
use std::fmt;

/// The login module `sasl.jaas.config` must name for PLAIN.
pub(crate) const PLAIN_LOGIN_MODULE: &str =
    "org.apache.kafka.common.security.plain.PlainLoginModule";

/// The mechanism's name.
const MECHANISM: &str = "PLAIN";

/// A PLAIN exchange: the initial response carries the credentials; the server's answer must be
/// empty. `Debug` shows the user name, never the password.
pub(crate) struct PlainSaslClient {
    username: String,
    password: Password,
    /// Whether the initial response has been sent (a second call is an error).
    sent: bool,
    /// Whether the exchange is complete.
    complete: bool,
}

impl fmt::Debug for PlainSaslClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlainSaslClient")
            .field("username", &self.username)
            .field("password", &self.password)
            .field("complete", &self.complete)
            .finish()
    }
}

impl PlainSaslClient {
    /// A client for `username` with `password`.
    pub(crate) fn new(username: impl Into<String>, password: Password) -> Self {
        PlainSaslClient {
            username: username.into(),
            password,
            sent: false,
            complete: false,
        }
    }

    /// A client from `sasl.jaas.config`: the login module must be
    /// [`PLAIN_LOGIN_MODULE`], with the options `username` and `password`.
    pub(crate) fn from_jaas(jaas: &JaasConfig) -> Result<Self, Error> {
        jaas.require_login_module(PLAIN_LOGIN_MODULE, MECHANISM)?;
        let username = jaas.required_option("username", MECHANISM)?;
        let password = jaas.required_option("password", MECHANISM)?;
        Ok(Self::new(username, Password::new(password)))
    }

    /// Whether the server accepted the exchange as far as the client can tell.
    #[cfg(test)]
    pub(crate) fn is_complete(&self) -> bool {
        self.complete
    }
}

impl SaslClient for PlainSaslClient {
    fn mechanism_name(&self) -> &'static str {
        MECHANISM
    }

    fn initial_response(&mut self) -> Result<Vec<u8>, Error> {
        if self.sent {
            return Err(Error::sasl("PLAIN: initial response already sent"));
        }
        if self.username.contains('\0') || self.password.value().contains('\0') {
            return Err(Error::sasl(
                "PLAIN: user name or password contains a NUL character",
            ));
        }
        self.sent = true;
        let (user, pass) = (self.username.as_bytes(), self.password.value().as_bytes());
        let mut out = Vec::with_capacity(2 + user.len() + pass.len());
        out.push(0);
        out.extend_from_slice(user);
        out.push(0);
        out.extend_from_slice(pass);
        Ok(out)
    }

    fn evaluate_challenge(&mut self, challenge: &[u8]) -> Result<Option<Vec<u8>>, Error> {
        if !self.sent || self.complete {
            return Err(Error::sasl("PLAIN: unexpected server message"));
        }
        if !challenge.is_empty() {
            return Err(Error::sasl(format!(
                "PLAIN: unexpected non-empty server message ({} bytes)",
                challenge.len()
            )));
        }
        self.complete = true;
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initial_response_then_done() {
        let mut c = PlainSaslClient::new("alice", Password::new("alice-secret"));
        assert_eq!(c.mechanism_name(), "PLAIN");
        assert_eq!(c.initial_response().unwrap(), b"\0alice\0alice-secret");
        assert!(!c.is_complete());
        assert_eq!(c.evaluate_challenge(b"").unwrap(), None);
        assert!(c.is_complete());
        // Nothing more is expected.
        assert!(c.evaluate_challenge(b"").is_err());
        assert!(c.initial_response().is_err());
    }

    #[test]
    fn non_empty_challenge_is_an_error() {
        let mut c = PlainSaslClient::new("alice", Password::new("pw"));
        c.initial_response().unwrap();
        let e = c.evaluate_challenge(b"what?").unwrap_err();
        assert!(matches!(
            e,
            Error::Authentication {
                kind: crate::error::AuthenticationKind::Sasl,
                ..
            }
        ));
    }

    #[test]
    fn challenge_before_initial_response_is_an_error() {
        let mut c = PlainSaslClient::new("alice", Password::new("pw"));
        assert!(c.evaluate_challenge(b"").is_err());
    }

    #[test]
    fn nul_in_credentials_is_refused() {
        assert!(
            PlainSaslClient::new("a\0b", Password::new("pw"))
                .initial_response()
                .is_err()
        );
        assert!(
            PlainSaslClient::new("a", Password::new("p\0w"))
                .initial_response()
                .is_err()
        );
    }

    #[test]
    fn from_jaas() {
        let j = JaasConfig::parse(
            "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"alice\" password=\"alice-secret\";",
        )
        .unwrap();
        let mut c = PlainSaslClient::from_jaas(&j).unwrap();
        assert_eq!(c.initial_response().unwrap(), b"\0alice\0alice-secret");
        let d = format!("{c:?}");
        assert!(d.contains("alice") && !d.contains("alice-secret"), "{d}");

        let missing = JaasConfig::parse(
            "org.apache.kafka.common.security.plain.PlainLoginModule required username=alice;",
        )
        .unwrap();
        match PlainSaslClient::from_jaas(&missing).unwrap_err() {
            Error::Config { key, message } => {
                assert_eq!(key, "sasl.jaas.config");
                assert!(message.contains("password"), "{message}");
            }
            e => panic!("{e:?}"),
        }
        let wrong = JaasConfig::parse(
            "org.apache.kafka.common.security.scram.ScramLoginModule required username=a password=b;",
        )
        .unwrap();
        match PlainSaslClient::from_jaas(&wrong).unwrap_err() {
            Error::Config { key, message } => {
                assert_eq!(key, "sasl.jaas.config");
                assert!(message.contains("ScramLoginModule"), "{message}");
            }
            e => panic!("{e:?}"),
        }
    }
}
