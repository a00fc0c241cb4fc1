//! TLS with rustls (Java's `org.apache.kafka.common.security.ssl`): the settings
//! ([`SslSettings`], the `ssl.*` keys), the factory that turns them into one shared rustls client
//! configuration ([`SslFactory`], Java `SslFactory`), the loading of trust and key stores
//! ([`default_ssl_engine_factory`], Java `DefaultSslEngineFactory`), and the verifier used when
//! `ssl.endpoint.identification.algorithm` is empty ([`no_hostname_verifier`]). The bytes go
//! through `network::transport` (Java `SslTransportLayer`).
//!
//! The crypto provider is rustls's **ring** backend: it builds with just a C compiler (no cmake,
//! no nasm, unlike aws-lc-rs), it is small, and the same crate serves SCRAM's HMAC and PBKDF2.
//! Protocols: `TLSv1.2` and `TLSv1.3` (rustls does not implement TLSv1 or TLSv1.1).

// Built from the configuration by the `security.protocol` wiring (a separate change); until it
// lands only the tests construct the settings.
#![cfg_attr(not(test), allow(dead_code))]

pub(crate) mod default_ssl_engine_factory;
pub(crate) mod no_hostname_verifier;
pub(crate) mod ssl_factory;
#[cfg(test)]
pub(crate) mod test_certs;
#[cfg(test)]
pub(crate) mod tests;

pub(crate) use ssl_factory::SslFactory;

use crate::config::Password;

/// The `ssl.*` settings (Java `SslConfigs`), with Java's defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SslSettings {
    /// `ssl.enabled.protocols` (default `TLSv1.2,TLSv1.3`).
    pub enabled_protocols: Vec<String>,
    /// `ssl.cipher.suites` (default empty: every suite the provider supports).
    pub cipher_suites: Vec<String>,
    /// `ssl.endpoint.identification.algorithm` (default `https`: the broker's certificate must
    /// name the host connected to; empty disables that check only).
    pub endpoint_identification_algorithm: String,
    /// `ssl.truststore.type` (default `JKS`, as Java; a JKS file is refused with how to convert
    /// it, a PKCS12 file typed JKS is read as PKCS12).
    pub truststore_type: String,
    /// `ssl.truststore.location`.
    pub truststore_location: Option<String>,
    /// `ssl.truststore.password`.
    pub truststore_password: Option<Password>,
    /// `ssl.truststore.certificates` (PEM, inline).
    pub truststore_certificates: Option<Password>,
    /// `ssl.keystore.type` (default `JKS`).
    pub keystore_type: String,
    /// `ssl.keystore.location`.
    pub keystore_location: Option<String>,
    /// `ssl.keystore.password`.
    pub keystore_password: Option<Password>,
    /// `ssl.keystore.certificate.chain` (PEM, inline).
    pub keystore_certificate_chain: Option<Password>,
    /// `ssl.keystore.key` (PEM, inline).
    pub keystore_key: Option<Password>,
    /// `ssl.key.password` (the password of an encrypted private key).
    pub key_password: Option<Password>,
}

impl Default for SslSettings {
    fn default() -> Self {
        SslSettings {
            enabled_protocols: vec!["TLSv1.2".to_string(), "TLSv1.3".to_string()],
            cipher_suites: Vec::new(),
            endpoint_identification_algorithm: "https".to_string(),
            truststore_type: "JKS".to_string(),
            truststore_location: None,
            truststore_password: None,
            truststore_certificates: None,
            keystore_type: "JKS".to_string(),
            keystore_location: None,
            keystore_password: None,
            keystore_certificate_chain: None,
            keystore_key: None,
            key_password: None,
        }
    }
}
