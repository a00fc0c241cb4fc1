//! [`ProducerConfigBuilder`]: typed setters (generated from the definition, see `def.rs`) over
//! `(key, value)` strings, validated once by [`ProducerConfigBuilder::build`].

use super::ProducerConfig;
use crate::error::Error;

/// Builds a [`ProducerConfig`] with typed setters named after its getters.
///
/// The builder only records `(key, value)` strings; [`ProducerConfigBuilder::build`] runs them
/// through the same parser and validator as [`ProducerConfig::from_properties`], so both
/// behave the same (including "was this key set explicitly" rules such as the one of
/// `delivery.timeout.ms`). [`ProducerConfigBuilder::set`] sets any key from its string value.
/// A later setting of the same key replaces an earlier one.
///
/// ```
/// use kafka_producer::config::{Acks, ProducerConfig};
/// use std::time::Duration;
///
/// let config = ProducerConfig::builder()
///     .bootstrap_servers("kafka-1:9092,kafka-2:9092")
///     .acks(Acks::All)
///     .linger(Duration::from_millis(10))
///     .batch_size(64 * 1024)
///     .set("max.block.ms", "5000")
///     .build()?;
/// assert_eq!(config.batch_size(), 65536);
/// assert_eq!(config.max_block(), Duration::from_secs(5));
///
/// // Same validation as from_properties.
/// assert!(ProducerConfig::builder().build().is_err()); // bootstrap.servers is required
/// # Ok::<(), kafka_producer::Error>(())
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ProducerConfigBuilder {
    props: Vec<(String, String)>,
    pub(super) token_provider: Option<super::token_provider::TokenProviderRef>,
}

impl std::fmt::Debug for ProducerConfigBuilder {
    /// The settings, with the values of secret keys (`sasl.jaas.config`, `ssl.*password`,
    /// `ssl.keystore.key`, ...) hidden.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let props: Vec<(&str, &str)> = self
            .props
            .iter()
            .map(|(k, v)| {
                let secret = super::java_only::is_secret(k).unwrap_or(true);
                (
                    k.as_str(),
                    if secret {
                        super::Password::HIDDEN
                    } else {
                        v.as_str()
                    },
                )
            })
            .collect();
        f.debug_struct("ProducerConfigBuilder")
            .field("props", &props)
            .finish()
    }
}

impl ProducerConfigBuilder {
    /// An empty builder: every key at its default, no bootstrap servers yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets any key from its configuration string, as in a properties file.
    pub fn set(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        let key = key.into().trim().to_string();
        let value = value.into();
        match self.props.iter_mut().find(|(k, _)| *k == key) {
            Some(entry) => entry.1 = value,
            None => self.props.push((key, value)),
        }
        self
    }

    /// The `(key, value)` pairs set so far.
    pub fn properties(&self) -> &[(String, String)] {
        &self.props
    }

    /// Parses and validates the settings, as [`ProducerConfig::from_properties`].
    pub fn build(&self) -> Result<ProducerConfig, Error> {
        let config = ProducerConfig::from_properties(self.props.iter().map(|(k, v)| (k, v)))?;
        Ok(match &self.token_provider {
            Some(p) => config.with_sasl_oauthbearer_token_provider(p.0.clone()),
            None => config,
        })
    }
}
