//! [`SslFactory`] (Java `SslFactory`): one rustls client configuration, shared by every
//! connection, and a TLS session per connection.

use super::SslSettings;
use super::default_ssl_engine_factory::client_config;
use crate::error::Error;
use rustls::pki_types::ServerName;
use std::sync::Arc;

/// Builds TLS sessions for broker connections from one shared, validated client configuration.
/// Created once per producer: the stores are read (and every `ssl.*` error reported) when the
/// producer is built, not at each connection.
#[derive(Clone)]
pub(crate) struct SslFactory {
    config: Arc<rustls::ClientConfig>,
    hostname_check: bool,
}

impl std::fmt::Debug for SslFactory {
    /// No key material: only what is safe to log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SslFactory")
            .field("hostname_check", &self.hostname_check)
            .field(
                "client_auth",
                &self.config.client_auth_cert_resolver.has_certs(),
            )
            .finish_non_exhaustive()
    }
}

impl SslFactory {
    /// Reads the stores and builds the configuration. Errors are `Error::Config` naming the key
    /// at fault.
    pub(crate) fn new(settings: &SslSettings) -> Result<SslFactory, Error> {
        let config = client_config(settings)?;
        Ok(SslFactory {
            config: Arc::new(config),
            hostname_check: !settings.endpoint_identification_algorithm.is_empty(),
        })
    }

    /// A TLS session to the broker at `host` (a DNS name or an IP address, as in the metadata or
    /// `bootstrap.servers`): the name sent as SNI (DNS names only) and checked against the
    /// broker's certificate.
    pub(crate) fn client_connection(&self, host: &str) -> Result<rustls::ClientConnection, Error> {
        let name = ServerName::try_from(host.trim_start_matches('[').trim_end_matches(']'))
            .map_err(|e| Error::Network(format!("invalid TLS server name {host:?}: {e}")))?
            .to_owned();
        rustls::ClientConnection::new(self.config.clone(), name)
            .map_err(|e| Error::Network(format!("cannot start a TLS session with {host}: {e}")))
    }

    /// The shared configuration.
    #[cfg(test)]
    pub(crate) fn config(&self) -> &Arc<rustls::ClientConfig> {
        &self.config
    }
}
