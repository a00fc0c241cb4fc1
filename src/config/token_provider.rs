//! The OAUTHBEARER token provider a user gives in code (Java's
//! `sasl.login.callback.handler.class`), carried by the configuration.

use super::{ProducerConfig, ProducerConfigBuilder};
use crate::security::OAuthBearerTokenProvider;
use std::sync::Arc;

/// A token provider, compared by identity so that configurations stay comparable.
#[derive(Clone)]
pub(crate) struct TokenProviderRef(pub(crate) Arc<dyn OAuthBearerTokenProvider>);

impl std::fmt::Debug for TokenProviderRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OAuthBearerTokenProvider")
    }
}

impl PartialEq for TokenProviderRef {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::addr_eq(Arc::as_ptr(&self.0), Arc::as_ptr(&other.0))
    }
}

impl Eq for TokenProviderRef {}

impl ProducerConfig {
    /// The same configuration with `provider` as the source of OAUTHBEARER tokens (Java's
    /// `sasl.login.callback.handler.class`): with `sasl.mechanism=OAUTHBEARER` it replaces the
    /// built-in providers (the unsecured JWTs of `sasl.jaas.config`, or the token endpoint of
    /// `sasl.oauthbearer.token.endpoint.url`).
    ///
    /// ```
    /// use kafka_producer::config::ProducerConfig;
    /// use kafka_producer::security::{OAuthBearerToken, OAuthBearerTokenProvider};
    /// use std::sync::Arc;
    /// use std::time::{Duration, SystemTime};
    ///
    /// struct FromVault;
    /// impl OAuthBearerTokenProvider for FromVault {
    ///     fn token(&self) -> Result<OAuthBearerToken, kafka_producer::Error> {
    ///         let expires = SystemTime::now() + Duration::from_secs(3600);
    ///         Ok(OAuthBearerToken::new("eyJ...", "svc-orders", expires))
    ///     }
    /// }
    ///
    /// let config = ProducerConfig::from_properties([
    ///     ("bootstrap.servers", "broker:9093"),
    ///     ("security.protocol", "SASL_SSL"),
    ///     ("sasl.mechanism", "OAUTHBEARER"),
    /// ])?
    /// .with_sasl_oauthbearer_token_provider(Arc::new(FromVault));
    /// assert!(config.sasl_oauthbearer_token_provider().is_some());
    /// # Ok::<(), kafka_producer::Error>(())
    /// ```
    pub fn with_sasl_oauthbearer_token_provider(
        mut self,
        provider: Arc<dyn OAuthBearerTokenProvider>,
    ) -> Self {
        self.token_provider = Some(TokenProviderRef(provider));
        self
    }

    /// The OAUTHBEARER token provider given in code, if any.
    pub fn sasl_oauthbearer_token_provider(&self) -> Option<&Arc<dyn OAuthBearerTokenProvider>> {
        self.token_provider.as_ref().map(|p| &p.0)
    }
}

impl ProducerConfigBuilder {
    /// Sets the OAUTHBEARER token provider (see
    /// [`ProducerConfig::with_sasl_oauthbearer_token_provider`]).
    pub fn sasl_oauthbearer_token_provider(
        mut self,
        provider: Arc<dyn OAuthBearerTokenProvider>,
    ) -> Self {
        self.token_provider = Some(TokenProviderRef(provider));
        self
    }
}
