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

pub(crate) mod default_ssl_engine_factory;
pub(crate) mod no_hostname_verifier;
pub(crate) mod ssl_factory;
#[cfg(test)]
pub(crate) mod test_certs;
#[cfg(test)]
pub(crate) mod tests;

pub(crate) use ssl_factory::SslFactory;

use crate::config::Password;
use crate::error::Error;

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

impl SslSettings {
    /// The `ssl.*` settings of `config`. `ssl.protocol` is checked here (rustls picks the
    /// version among `ssl.enabled.protocols`; Java's `SSLContext` protocol names only the
    /// family).
    pub(crate) fn from_config(config: &crate::config::ProducerConfig) -> Result<Self, Error> {
        let protocol = config.ssl_protocol();
        if !["TLS", "TLSv1.2", "TLSv1.3"].contains(&protocol) {
            return Err(Error::config(
                crate::config::keys::SSL_PROTOCOL,
                format!(
                    "value \"{protocol}\" is not supported: must be TLSv1.3, TLSv1.2 or TLS \
                     (rustls implements TLS 1.2 and 1.3 only)"
                ),
            ));
        }
        Ok(SslSettings {
            enabled_protocols: config.ssl_enabled_protocols().to_vec(),
            cipher_suites: config.ssl_cipher_suites().to_vec(),
            endpoint_identification_algorithm: config
                .ssl_endpoint_identification_algorithm()
                .to_string(),
            truststore_type: config.ssl_truststore_type().to_string(),
            truststore_location: config.ssl_truststore_location().map(str::to_string),
            truststore_password: config.ssl_truststore_password().cloned(),
            truststore_certificates: config.ssl_truststore_certificates().cloned(),
            keystore_type: config.ssl_keystore_type().to_string(),
            keystore_location: config.ssl_keystore_location().map(str::to_string),
            keystore_password: config.ssl_keystore_password().cloned(),
            keystore_certificate_chain: config.ssl_keystore_certificate_chain().cloned(),
            keystore_key: config.ssl_keystore_key().cloned(),
            key_password: config.ssl_key_password().cloned(),
        })
    }
}
