//! SASL/SCRAM-SHA-256 and SCRAM-SHA-512, client side (RFC 5802, RFC 7677; Java's
//! `ScramSaslClient`, `ScramMessages` and `ScramFormatter`).
//!
//! ```text
//! client-first  n,,n=<saslname>,r=<client nonce>[,tokenauth=true]
//! server-first  r=<client nonce + server nonce>,s=<base64 salt>,i=<iterations>[,ext=...]
//! client-final  c=biws,r=<nonce>,p=<base64 proof>
//! server-final  v=<base64 server signature>  |  e=<error>
//! ```
//!
//! As Java: no channel binding (`n,,`), the password is used as UTF-8 without SASLprep, the
//! iterations must be at least 4096 (`ScramMechanism.minIterations`). Beyond Java: at most
//! [`MAX_ITERATIONS`] (a hostile broker could otherwise make the client hash for minutes), and a
//! server-first message with the reserved mandatory-extension attribute `m=` is refused (RFC
//! 5802 §5.1; Java ignores it). The server signature is compared in constant time.
//!
//! The server messages' parsers ([`ServerFirstMessage::parse`], [`ServerFinalMessage::parse`])
//! are pure functions, fuzzed by `fuzz/fuzz_targets/scram_server_*.rs`.

// Until `network::sasl_authenticator` builds the mechanisms from the config (in progress on
// another branch), only the tests and `crate::__fuzz` use this module.

use super::SaslClient;
use super::jaas::JaasConfig;
use crate::config::Password;
use crate::error::Error;
use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use ring::{digest, hmac, pbkdf2, rand};
use std::fmt;
use std::num::NonZeroU32;

/// The login module `sasl.jaas.config` must name for SCRAM.
pub(crate) const SCRAM_LOGIN_MODULE: &str =
    "org.apache.kafka.common.security.scram.ScramLoginModule";

/// Fewest iterations accepted from a server (Java's `ScramMechanism.minIterations`).
pub(crate) const MIN_ITERATIONS: u32 = 4096;

/// Most iterations accepted from a server: Kafka's own bound on SCRAM credentials
/// (`ScramMechanism.maxIterations`, enforced by `AlterUserScramCredentials`).
pub(crate) const MAX_ITERATIONS: u32 = 16384;

/// Base64 as Java's `Base64.getDecoder()` reads it: standard alphabet, padding optional.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The GS2 header: no channel binding, no authorization id. Its base64 is `biws`.
const GS2_HEADER: &str = "n,,";

/// A SCRAM hash (Java's `ScramMechanism`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum ScramMechanism {
    /// SCRAM-SHA-256 (RFC 7677).
    Sha256,
    /// SCRAM-SHA-512.
    Sha512,
}

impl ScramMechanism {
    /// The mechanism's name, as `sasl.mechanism` and the broker spell it.
    pub(crate) fn mechanism_name(self) -> &'static str {
        match self {
            ScramMechanism::Sha256 => "SCRAM-SHA-256",
            ScramMechanism::Sha512 => "SCRAM-SHA-512",
        }
    }

    /// The mechanism named `name` (`SCRAM-SHA-256` or `SCRAM-SHA-512`), if it is one.
    pub(crate) fn from_mechanism_name(name: &str) -> Option<Self> {
        match name {
            "SCRAM-SHA-256" => Some(ScramMechanism::Sha256),
            "SCRAM-SHA-512" => Some(ScramMechanism::Sha512),
            _ => None,
        }
    }

    fn hmac_algorithm(self) -> hmac::Algorithm {
        match self {
            ScramMechanism::Sha256 => hmac::HMAC_SHA256,
            ScramMechanism::Sha512 => hmac::HMAC_SHA512,
        }
    }

    fn digest_algorithm(self) -> &'static digest::Algorithm {
        match self {
            ScramMechanism::Sha256 => &digest::SHA256,
            ScramMechanism::Sha512 => &digest::SHA512,
        }
    }

    fn pbkdf2_algorithm(self) -> pbkdf2::Algorithm {
        match self {
            ScramMechanism::Sha256 => pbkdf2::PBKDF2_HMAC_SHA256,
            ScramMechanism::Sha512 => pbkdf2::PBKDF2_HMAC_SHA512,
        }
    }
}

fn config_error(message: impl Into<String>) -> Error {
    Error::Config {
        key: "sasl.jaas.config".to_owned(),
        message: message.into(),
    }
}

/// The user name as a SCRAM `saslname`: `=` → `=3D`, `,` → `=2C` (Java `ScramFormatter.saslName`).
pub(crate) fn sasl_name(username: &str) -> String {
    username.replace('=', "=3D").replace(',', "=2C")
}

/// Whether `s` is a SCRAM `printable` (0x21–0x7E except `,`), as a nonce must be.
fn is_printable(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| (0x21..=0x7e).contains(&b) && b != b',')
}

/// Splits `name=value` where `name` is ASCII letters (a one-letter attribute or an extension).
fn split_attribute(part: &str) -> Option<(&str, &str)> {
    let (name, value) = part.split_once('=')?;
    if !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphabetic()) {
        Some((name, value))
    } else {
        None
    }
}

/// Reads the `extensions` after the mandatory attributes: each `name=value`, names unique.
fn parse_extensions<'a>(
    parts: impl Iterator<Item = &'a str>,
    what: &str,
) -> Result<Vec<(String, String)>, Error> {
    let mut out: Vec<(String, String)> = Vec::new();
    for part in parts {
        let (name, value) = split_attribute(part)
            .ok_or_else(|| Error::sasl(format!("invalid SCRAM {what} message: bad extension")))?;
        if out.iter().any(|(n, _)| n == name) {
            return Err(Error::sasl(format!(
                "invalid SCRAM {what} message: repeated extension {name}"
            )));
        }
        out.push((name.to_owned(), value.to_owned()));
    }
    Ok(out)
}

/// The server's first message (Java `ScramMessages.ServerFirstMessage`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ServerFirstMessage {
    /// The combined nonce: the client's followed by the server's.
    pub(crate) nonce: String,
    /// The salt (decoded).
    pub(crate) salt: Vec<u8>,
    /// The PBKDF2 iteration count (not yet checked against the bounds).
    pub(crate) iterations: u32,
    /// Extensions after `i=`, in order.
    pub(crate) extensions: Vec<(String, String)>,
}

impl ServerFirstMessage {
    /// Parses `r=<nonce>,s=<salt>,i=<iterations>[,ext=value...]`. Never panics.
    pub(crate) fn parse(bytes: &[u8]) -> Result<Self, Error> {
        let bad = |why: &str| Error::sasl(format!("invalid SCRAM server first message: {why}"));
        let text = std::str::from_utf8(bytes).map_err(|_| bad("not UTF-8"))?;
        let mut parts = text.split(',');
        let mut first = parts.next().unwrap_or_default();
        if first.starts_with("m=") {
            return Err(bad("mandatory extension (m=) not supported"));
        }
        let nonce = first
            .strip_prefix("r=")
            .filter(|n| is_printable(n))
            .ok_or_else(|| bad("missing or invalid nonce (r=)"))?;
        first = parts.next().unwrap_or_default();
        let salt = first
            .strip_prefix("s=")
            .and_then(|s| BASE64.decode(s).ok())
            .ok_or_else(|| bad("missing or invalid salt (s=)"))?;
        first = parts.next().unwrap_or_default();
        let iterations = first
            .strip_prefix("i=")
            .filter(|i| !i.is_empty() && i.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|i| i.parse::<u32>().ok())
            .ok_or_else(|| bad("missing or invalid iteration count (i=)"))?;
        let extensions = parse_extensions(parts, "server first")?;
        Ok(ServerFirstMessage {
            nonce: nonce.to_owned(),
            salt,
            iterations,
            extensions,
        })
    }

    /// The message as a server writes it (for tests, fuzzing and a mock broker).
    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        let mut s = format!(
            "r={},s={},i={}",
            self.nonce,
            BASE64.encode(&self.salt),
            self.iterations
        );
        for (k, v) in &self.extensions {
            s.push_str(&format!(",{k}={v}"));
        }
        s.into_bytes()
    }
}

/// The server's final message (Java `ScramMessages.ServerFinalMessage`): its signature, or an
/// error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ServerFinalMessage {
    /// `v=`: the server signature (decoded).
    Verifier(Vec<u8>),
    /// `e=`: the server's error (`invalid-proof`, `unknown-user`, ...).
    Error(String),
}

impl ServerFinalMessage {
    /// Parses `v=<base64>` or `e=<error>`, each optionally followed by extensions. Never panics.
    pub(crate) fn parse(bytes: &[u8]) -> Result<Self, Error> {
        let bad = |why: &str| Error::sasl(format!("invalid SCRAM server final message: {why}"));
        let text = std::str::from_utf8(bytes).map_err(|_| bad("not UTF-8"))?;
        let mut parts = text.split(',');
        let first = parts.next().unwrap_or_default();
        let msg = if let Some(v) = first.strip_prefix("v=") {
            let sig = BASE64
                .decode(v)
                .ok()
                .filter(|s| !s.is_empty())
                .ok_or_else(|| bad("invalid server signature (v=)"))?;
            ServerFinalMessage::Verifier(sig)
        } else if let Some(e) = first.strip_prefix("e=") {
            if e.is_empty() || e.contains('=') {
                return Err(bad("invalid server error (e=)"));
            }
            ServerFinalMessage::Error(e.to_owned())
        } else {
            return Err(bad("neither a signature (v=) nor an error (e=)"));
        };
        parse_extensions(parts, "server final")?;
        Ok(msg)
    }

    /// The message as a server writes it (for tests, fuzzing and a mock broker).
    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        match self {
            ServerFinalMessage::Verifier(sig) => format!("v={}", BASE64.encode(sig)).into_bytes(),
            ServerFinalMessage::Error(e) => format!("e={e}").into_bytes(),
        }
    }
}

/// Where a client stands in its exchange.
enum State {
    /// The client-first message is next.
    SendClientFirst,
    /// Waiting for the server-first message (holds the client-first-bare message).
    ReceiveServerFirst { client_first_bare: String },
    /// Waiting for the server-final message (holds the server key and the auth message, which
    /// sign it).
    ReceiveServerFinal {
        server_key: hmac::Key,
        auth_message: String,
    },
    /// The server's signature checked.
    Complete,
    /// A step failed: nothing more is accepted.
    Failed,
}

impl State {
    fn name(&self) -> &'static str {
        match self {
            State::SendClientFirst => "SendClientFirst",
            State::ReceiveServerFirst { .. } => "ReceiveServerFirst",
            State::ReceiveServerFinal { .. } => "ReceiveServerFinal",
            State::Complete => "Complete",
            State::Failed => "Failed",
        }
    }
}

/// A SCRAM exchange (Java `ScramSaslClient`). `Debug` shows the mechanism, user and state;
/// never the password, the salted password or the proofs.
pub(crate) struct ScramSaslClient {
    mechanism: ScramMechanism,
    username: String,
    password: Password,
    /// The client nonce.
    nonce: String,
    /// `tokenauth=true` in the client-first message (delegation tokens, KIP-48).
    token_auth: bool,
    state: State,
}

impl fmt::Debug for ScramSaslClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScramSaslClient")
            .field("mechanism", &self.mechanism)
            .field("username", &self.username)
            .field("password", &self.password)
            .field("token_auth", &self.token_auth)
            .field("state", &self.state.name())
            .finish()
    }
}

/// A fresh random nonce: 24 base64 characters (18 bytes from the system's CSPRNG).
fn random_nonce() -> Result<String, Error> {
    let bytes: [u8; 18] = rand::generate(&rand::SystemRandom::new())
        .map_err(|_| Error::sasl("SCRAM: the system random generator failed"))?
        .expose();
    Ok(BASE64.encode(bytes))
}

impl ScramSaslClient {
    /// A client for `username` with `password`, a random nonce drawn at the first message.
    pub(crate) fn new(
        mechanism: ScramMechanism,
        username: impl Into<String>,
        password: Password,
    ) -> Self {
        Self::with_nonce(mechanism, username, password, String::new())
    }

    /// A client with a fixed nonce (RFC test vectors, fuzzing); empty draws a random one.
    pub(crate) fn with_nonce(
        mechanism: ScramMechanism,
        username: impl Into<String>,
        password: Password,
        nonce: String,
    ) -> Self {
        ScramSaslClient {
            mechanism,
            username: username.into(),
            password,
            nonce,
            token_auth: false,
            state: State::SendClientFirst,
        }
    }

    /// A client from `sasl.jaas.config`: the login module must be [`SCRAM_LOGIN_MODULE`], with
    /// the options `username` and `password`; `tokenauth=true` authenticates with a delegation
    /// token (the token id as user name, its HMAC as password), as Java's `ScramLoginModule`.
    pub(crate) fn from_jaas(mechanism: ScramMechanism, jaas: &JaasConfig) -> Result<Self, Error> {
        let name = mechanism.mechanism_name();
        jaas.require_login_module(SCRAM_LOGIN_MODULE, name)?;
        let username = jaas.required_option("username", name)?;
        let password = jaas.required_option("password", name)?;
        let token_auth = match jaas.option("tokenauth") {
            None => false,
            Some(v) if v.eq_ignore_ascii_case("true") => true,
            Some(v) if v.eq_ignore_ascii_case("false") => false,
            Some(_) => {
                return Err(config_error(format!(
                    "option 'tokenauth' of {SCRAM_LOGIN_MODULE} must be true or false"
                )));
            }
        };
        Ok(Self::new(mechanism, username, Password::new(password)).token_auth(token_auth))
    }

    /// Sets whether to send the `tokenauth=true` extension (delegation-token authentication).
    pub(crate) fn token_auth(mut self, token_auth: bool) -> Self {
        self.token_auth = token_auth;
        self
    }

    /// Whether the server's signature has been verified.
    pub(crate) fn is_complete(&self) -> bool {
        matches!(self.state, State::Complete)
    }

    fn hmac(&self, key: &[u8], data: &[u8]) -> hmac::Tag {
        hmac::sign(&hmac::Key::new(self.mechanism.hmac_algorithm(), key), data)
    }

    /// Handles the server-first message; returns the client-final message and what checks the
    /// server's signature: the server key and the auth message.
    fn client_final(
        &self,
        client_first_bare: &str,
        server_first: &[u8],
    ) -> Result<(Vec<u8>, hmac::Key, String), Error> {
        let name = self.mechanism.mechanism_name();
        let sf = ServerFirstMessage::parse(server_first)?;
        // RFC 5802: the server appends its own nonce to the client's, so the combined nonce
        // must be strictly longer.
        if !sf.nonce.starts_with(&self.nonce) || sf.nonce.len() <= self.nonce.len() {
            return Err(Error::sasl(format!(
                "{name}: invalid server nonce: does not extend the client nonce"
            )));
        }
        if sf.iterations < MIN_ITERATIONS {
            return Err(Error::sasl(format!(
                "{name}: requested iterations {} is less than the minimum {MIN_ITERATIONS}",
                sf.iterations
            )));
        }
        if sf.iterations > MAX_ITERATIONS {
            return Err(Error::sasl(format!(
                "{name}: requested iterations {} is more than the maximum {MAX_ITERATIONS}",
                sf.iterations
            )));
        }
        let iterations = NonZeroU32::new(sf.iterations)
            .ok_or_else(|| Error::sasl(format!("{name}: zero iterations")))?;
        let len = self.mechanism.digest_algorithm().output_len();
        let mut salted_password = vec![0u8; len];
        pbkdf2::derive(
            self.mechanism.pbkdf2_algorithm(),
            iterations,
            &sf.salt,
            self.password.value().as_bytes(),
            &mut salted_password,
        );
        let client_key = self.hmac(&salted_password, b"Client Key");
        let stored_key = digest::digest(self.mechanism.digest_algorithm(), client_key.as_ref());
        let without_proof = format!("c={},r={}", BASE64.encode(GS2_HEADER), sf.nonce);
        // The server-first message is UTF-8 (checked by the parse).
        let server_first_text = String::from_utf8_lossy(server_first);
        let auth_message = format!("{client_first_bare},{server_first_text},{without_proof}");
        let client_signature = self.hmac(stored_key.as_ref(), auth_message.as_bytes());
        let proof: Vec<u8> = client_key
            .as_ref()
            .iter()
            .zip(client_signature.as_ref())
            .map(|(k, s)| k ^ s)
            .collect();
        let server_key = self.hmac(&salted_password, b"Server Key");
        let server_key = hmac::Key::new(self.mechanism.hmac_algorithm(), server_key.as_ref());
        salted_password.fill(0);
        let message = format!("{without_proof},p={}", BASE64.encode(&proof)).into_bytes();
        Ok((message, server_key, auth_message))
    }
}

impl SaslClient for ScramSaslClient {
    fn mechanism_name(&self) -> &'static str {
        self.mechanism.mechanism_name()
    }

    fn initial_response(&mut self) -> Result<Vec<u8>, Error> {
        if !matches!(self.state, State::SendClientFirst) {
            self.state = State::Failed;
            return Err(Error::sasl(format!(
                "{}: initial response already sent",
                self.mechanism.mechanism_name()
            )));
        }
        if self.nonce.is_empty() {
            self.nonce = random_nonce()?;
        }
        let mut client_first_bare = format!("n={},r={}", sasl_name(&self.username), self.nonce);
        if self.token_auth {
            client_first_bare.push_str(",tokenauth=true");
        }
        let message = format!("{GS2_HEADER}{client_first_bare}").into_bytes();
        self.state = State::ReceiveServerFirst { client_first_bare };
        Ok(message)
    }

    fn evaluate_challenge(&mut self, challenge: &[u8]) -> Result<Option<Vec<u8>>, Error> {
        let name = self.mechanism.mechanism_name();
        match std::mem::replace(&mut self.state, State::Failed) {
            State::ReceiveServerFirst { client_first_bare } => {
                let (message, server_key, auth_message) =
                    self.client_final(&client_first_bare, challenge)?;
                self.state = State::ReceiveServerFinal {
                    server_key,
                    auth_message,
                };
                Ok(Some(message))
            }
            State::ReceiveServerFinal {
                server_key,
                auth_message,
            } => {
                match ServerFinalMessage::parse(challenge)? {
                    ServerFinalMessage::Error(e) => Err(Error::sasl(format!(
                        "{name}: authentication failed: the server says {e}"
                    ))),
                    ServerFinalMessage::Verifier(sig) => {
                        // Constant time (ring's HMAC verification).
                        if hmac::verify(&server_key, auth_message.as_bytes(), &sig).is_ok() {
                            self.state = State::Complete;
                            Ok(None)
                        } else {
                            Err(Error::sasl(format!("{name}: invalid server signature")))
                        }
                    }
                }
            }
            State::SendClientFirst | State::Complete | State::Failed => {
                Err(Error::sasl(format!("{name}: unexpected server message")))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RFC_SERVER_FIRST: &str =
        "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";

    fn rfc_client(mechanism: ScramMechanism) -> ScramSaslClient {
        ScramSaslClient::with_nonce(
            mechanism,
            "user",
            Password::new("pencil"),
            "rOprNGfwEbeRWgbNEkqO".into(),
        )
    }

    fn is_sasl_error(e: &Error, needle: &str) -> bool {
        matches!(e, Error::Authentication { kind: crate::error::AuthenticationKind::Sasl, message, .. } if message.contains(needle))
    }

    /// RFC 7677 §3, exactly.
    #[test]
    fn rfc7677_sha256_example() {
        let mut c = rfc_client(ScramMechanism::Sha256);
        assert_eq!(c.mechanism_name(), "SCRAM-SHA-256");
        assert_eq!(
            c.initial_response().unwrap(),
            b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
        );
        let cf = c
            .evaluate_challenge(RFC_SERVER_FIRST.as_bytes())
            .unwrap()
            .unwrap();
        assert_eq!(
            String::from_utf8(cf).unwrap(),
            "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
        );
        assert!(!c.is_complete());
        assert_eq!(
            c.evaluate_challenge(b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")
                .unwrap(),
            None
        );
        assert!(c.is_complete());
        assert!(
            c.evaluate_challenge(b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")
                .is_err()
        );
    }

    /// The same exchange with SHA-512; expected values computed independently with Python's
    /// hashlib.pbkdf2_hmac / hmac.
    #[test]
    fn sha512_vector() {
        let mut c = rfc_client(ScramMechanism::Sha512);
        assert_eq!(c.mechanism_name(), "SCRAM-SHA-512");
        c.initial_response().unwrap();
        let cf = c
            .evaluate_challenge(RFC_SERVER_FIRST.as_bytes())
            .unwrap()
            .unwrap();
        assert_eq!(
            String::from_utf8(cf).unwrap(),
            "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=gMGXRcevScNtxZ6/8lQYpGtnsNAc3mGcmNomv+xnoOMw+3R2xNJdMNnzMlTN8PPC6wdp6dybEmDYXYTxwnYPJQ=="
        );
        let v = b"v=ZQnYEgWQMFmmsM8aQMF0nDDCy/AgCzkwk8CmMZYcMg0vSVlKDanekLtifDSeVGT4+5ZxXnJq199RVG2rR7N7Zw==";
        assert_eq!(c.evaluate_challenge(v).unwrap(), None);
        assert!(c.is_complete());
    }

    /// `tokenauth=true` and a user name needing escapes (also computed with Python).
    #[test]
    fn token_auth_and_saslname_escapes() {
        let mut c = ScramSaslClient::with_nonce(
            ScramMechanism::Sha256,
            "tok=en,1",
            Password::new("hmac-of-token"),
            "fixednonce".into(),
        )
        .token_auth(true);
        assert_eq!(
            c.initial_response().unwrap(),
            b"n,,n=tok=3Den=2C1,r=fixednonce,tokenauth=true"
        );
        let cf = c
            .evaluate_challenge(b"r=fixednonceSRV,s=c2FsdA==,i=4096")
            .unwrap()
            .unwrap();
        assert_eq!(
            cf,
            b"c=biws,r=fixednonceSRV,p=WS325uLkdje4exkQ29W4jZlZg8z8mayZQ1rJ6VYffD4="
        );
        assert_eq!(
            c.evaluate_challenge(b"v=A1xA4TsSSYpc1121LBeyzMhqGuaauxXXOB05yJCrkKc=")
                .unwrap(),
            None
        );
    }

    #[test]
    fn random_nonce_is_used_and_fresh() {
        let mut a = ScramSaslClient::new(ScramMechanism::Sha256, "u", Password::new("p"));
        let mut b = ScramSaslClient::new(ScramMechanism::Sha256, "u", Password::new("p"));
        let (ma, mb) = (a.initial_response().unwrap(), b.initial_response().unwrap());
        assert_ne!(ma, mb);
        let text = String::from_utf8(ma).unwrap();
        let nonce = text.strip_prefix("n,,n=u,r=").unwrap();
        assert_eq!(nonce.len(), 24);
        assert!(is_printable(nonce));
    }

    #[test]
    fn wrong_server_signature_is_refused() {
        let mut c = rfc_client(ScramMechanism::Sha256);
        c.initial_response().unwrap();
        c.evaluate_challenge(RFC_SERVER_FIRST.as_bytes()).unwrap();
        let e = c
            .evaluate_challenge(b"v=7rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")
            .unwrap_err();
        assert!(is_sasl_error(&e, "invalid server signature"), "{e:?}");
        assert!(!c.is_complete());
        // A truncated signature too.
        let mut c = rfc_client(ScramMechanism::Sha256);
        c.initial_response().unwrap();
        c.evaluate_challenge(RFC_SERVER_FIRST.as_bytes()).unwrap();
        assert!(c.evaluate_challenge(b"v=6rriTRBi23WpRR/w").is_err());
    }

    #[test]
    fn nonce_mismatch_is_refused() {
        let mut c = rfc_client(ScramMechanism::Sha256);
        c.initial_response().unwrap();
        let e = c
            .evaluate_challenge(b"r=XOprNGfwEbeRWgbNEkqO%hvY,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096")
            .unwrap_err();
        assert!(is_sasl_error(&e, "nonce"), "{e:?}");
        // Failed: nothing more is accepted.
        assert!(c.evaluate_challenge(RFC_SERVER_FIRST.as_bytes()).is_err());
    }

    #[test]
    fn server_nonce_equal_to_client_nonce_is_refused() {
        let mut c = rfc_client(ScramMechanism::Sha256);
        c.initial_response().unwrap();
        let e = c
            .evaluate_challenge(b"r=rOprNGfwEbeRWgbNEkqO,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096")
            .unwrap_err();
        assert!(is_sasl_error(&e, "nonce"), "{e:?}");
    }

    #[test]
    fn iteration_bounds() {
        for (i, ok) in [
            (4095, false),
            (0, false),
            (16385, false),
            (4_000_000_000u32, false),
            (4096, true),
        ] {
            let mut c = rfc_client(ScramMechanism::Sha256);
            c.initial_response().unwrap();
            let sf = format!("r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i={i}");
            let r = c.evaluate_challenge(sf.as_bytes());
            assert_eq!(r.is_ok(), ok, "{i}: {r:?}");
            if !ok {
                assert!(is_sasl_error(&r.unwrap_err(), "iterations"), "{i}");
            }
        }
    }

    #[test]
    fn server_error_is_reported() {
        let mut c = rfc_client(ScramMechanism::Sha256);
        c.initial_response().unwrap();
        c.evaluate_challenge(RFC_SERVER_FIRST.as_bytes()).unwrap();
        let e = c.evaluate_challenge(b"e=invalid-proof").unwrap_err();
        assert!(is_sasl_error(&e, "invalid-proof"), "{e:?}");
    }

    #[test]
    fn server_first_parse() {
        let m = ServerFirstMessage::parse(RFC_SERVER_FIRST.as_bytes()).unwrap();
        assert_eq!(
            m.nonce,
            "rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
        );
        assert_eq!(m.iterations, 4096);
        assert_eq!(m.salt.len(), 16);
        assert_eq!(m.to_bytes(), RFC_SERVER_FIRST.as_bytes());
        // Extensions; unpadded base64.
        let m = ServerFirstMessage::parse(b"r=abc,s=c2FsdA,i=8192,tokenauth=true,x=").unwrap();
        assert_eq!(m.salt, b"salt");
        assert_eq!(
            m.extensions,
            [
                ("tokenauth".into(), "true".into()),
                ("x".into(), String::new())
            ]
        );
        assert_eq!(ServerFirstMessage::parse(&m.to_bytes()).unwrap(), m);
        for bad in [
            &b""[..],
            b"r=",
            b"r=abc",
            b"r=abc,s=c2FsdA==",
            b"r=abc,s=c2FsdA==,i=",
            b"r=abc,s=c2FsdA==,i=-4096",
            b"r=abc,s=c2FsdA==,i=+4096",
            b"r=abc,s=c2FsdA==,i=99999999999",
            b"r=abc,s=!!!,i=4096",
            b"s=c2FsdA==,r=abc,i=4096",
            b"m=ext,r=abc,s=c2FsdA==,i=4096",
            b"r=a b,s=c2FsdA==,i=4096",
            b"r=abc,s=c2FsdA==,i=4096,",
            b"r=abc,s=c2FsdA==,i=4096,1=2",
            b"r=abc,s=c2FsdA==,i=4096,a=1,a=2",
            b"r=ab\xff,s=c2FsdA==,i=4096",
        ] {
            let r = ServerFirstMessage::parse(bad);
            assert!(
                r.is_err(),
                "{:?} accepted: {r:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn server_final_parse() {
        assert_eq!(
            ServerFinalMessage::parse(b"v=c2ln").unwrap(),
            ServerFinalMessage::Verifier(b"sig".to_vec())
        );
        assert_eq!(
            ServerFinalMessage::parse(b"e=unknown-user,ext=1").unwrap(),
            ServerFinalMessage::Error("unknown-user".into())
        );
        let v = ServerFinalMessage::Verifier(vec![1, 2, 3]);
        assert_eq!(ServerFinalMessage::parse(&v.to_bytes()).unwrap(), v);
        for bad in [
            &b""[..],
            b"v=",
            b"e=",
            b"x=1",
            b"v=!!",
            b"e=a=b",
            b"v=c2ln,",
            b"\xff",
        ] {
            assert!(ServerFinalMessage::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn messages_out_of_order_are_refused() {
        let mut c = rfc_client(ScramMechanism::Sha256);
        assert!(c.evaluate_challenge(RFC_SERVER_FIRST.as_bytes()).is_err());
        let mut c = rfc_client(ScramMechanism::Sha256);
        c.initial_response().unwrap();
        assert!(c.initial_response().is_err());
    }

    #[test]
    fn from_jaas_and_secrets() {
        let j = JaasConfig::parse(
            r#"org.apache.kafka.common.security.scram.ScramLoginModule required username="user" password="pencil";"#,
        )
        .unwrap();
        let mut c = ScramSaslClient::from_jaas(ScramMechanism::Sha512, &j).unwrap();
        assert_eq!(c.mechanism_name(), "SCRAM-SHA-512");
        assert!(c.initial_response().unwrap().starts_with(b"n,,n=user,r="));
        let d = format!("{c:?}");
        assert!(d.contains("user") && !d.contains("pencil"), "{d}");

        let j = JaasConfig::parse(
            "org.apache.kafka.common.security.scram.ScramLoginModule required username=u password=p tokenauth=TRUE;",
        )
        .unwrap();
        let mut c = ScramSaslClient::from_jaas(ScramMechanism::Sha256, &j).unwrap();
        assert!(c.initial_response().unwrap().ends_with(b",tokenauth=true"));

        for (text, needle) in [
            (
                "org.apache.kafka.common.security.scram.ScramLoginModule required password=p;",
                "username",
            ),
            (
                "org.apache.kafka.common.security.scram.ScramLoginModule required username=u;",
                "password",
            ),
            (
                "org.apache.kafka.common.security.plain.PlainLoginModule required username=u password=p;",
                "PlainLoginModule",
            ),
            (
                "org.apache.kafka.common.security.scram.ScramLoginModule required username=u password=p tokenauth=yes;",
                "tokenauth",
            ),
        ] {
            match ScramSaslClient::from_jaas(
                ScramMechanism::Sha256,
                &JaasConfig::parse(text).unwrap(),
            ) {
                Err(Error::Config { key, message }) => {
                    assert_eq!(key, "sasl.jaas.config");
                    assert!(message.contains(needle), "{message}");
                }
                other => panic!("{text}: {other:?}"),
            }
        }
    }

    #[test]
    fn mechanism_names() {
        for m in [ScramMechanism::Sha256, ScramMechanism::Sha512] {
            assert_eq!(
                ScramMechanism::from_mechanism_name(m.mechanism_name()),
                Some(m)
            );
        }
        assert_eq!(ScramMechanism::from_mechanism_name("PLAIN"), None);
        assert_eq!(sasl_name("a=b,c"), "a=3Db=2Cc");
    }
}
