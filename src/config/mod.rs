//! The producer's configuration: [`ProducerConfig`], with the Java client's keys and the
//! Kafka 4.x defaults.
//!
//! Every key is defined once, as a row of Java's `ConfigDef`-like table [`CONFIG_KEYS`] (name,
//! type, default, validator, importance, description); the typed getters of
//! [`ProducerConfig`], the setters of [`ProducerConfigBuilder`], the parsing of values, the
//! `Display` log and the README table are all generated from it.
//!
//! A configuration comes from Java-style properties ([`ProducerConfig::from_properties`],
//! [`ProducerConfig::from_properties_file`]) or from the typed [`ProducerConfigBuilder`]. Both
//! go through the same parser and validator, once, so they accept and refuse the same things:
//!
//! * a key unknown to the Java producer as well is an error naming it (with a "did you mean"
//!   hint for an obvious typo);
//! * a value that does not parse or is out of range is an error naming the key, the value and
//!   what is allowed, as Java's `ConfigDef` does;
//! * the cross-key rules of Java's `ProducerConfig` and `KafkaProducer` are applied (for example
//!   `delivery.timeout.ms >= linger.ms + request.timeout.ms`).
//!
//! A built [`ProducerConfig`] is read-only: one getter per key.
//!
//! A `producer.properties` written for the Java client loads as it is: the Java producer keys
//! that are not rows of the table are accepted and ignored (`java_only.rs`). Keys naming Java
//! classes (`key.serializer`, `interceptor.classes`, `partitioner.class`, `metric.reporters`)
//! must hold well-formed class names and are logged (info for Kafka's own classes, with what
//! to do in code instead; warn for others); the security class keys
//! (`sasl.login.callback.handler.class`, `ssl.engine.factory.class`, ...) accept only Kafka's
//! own default classes; `config.providers` is accepted only empty (config providers are not
//! supported). The other keys this crate does not implement (`ssl.provider`,
//! `ssl.keymanager.algorithm`, `sasl.kerberos.*`, ...) are checked against their Java type and
//! warned about once per process. Their values show in the `Display` log and in
//! [`ProducerConfig::to_properties`].
//!
//! Features this crate does not implement are refused rather than silently ignored when
//! ignoring them would change behaviour: `sasl.mechanism=GSSAPI` (Kerberos),
//! `transaction.two.phase.commit.enable=true`, custom security classes. Every
//! `compression.type` (`none`, `gzip`, `snappy`, `lz4`, `zstd`) and every `security.protocol`
//! (`PLAINTEXT`, `SSL`, `SASL_PLAINTEXT`, `SASL_SSL`) is supported.
//!
//! Secrets (`sasl.jaas.config`, `ssl.key.password`, `ssl.keystore.key`, the store passwords)
//! are [`Password`]s: the `Display` log, `Debug` and the builder's `Debug` print `[hidden]`.
//!
//! Layout: `def.rs` holds the table (one row per key) and the macro that generates code from it;
//! `key.rs` the row type and the parsing of each value type; `types.rs` the enumerated value types;
//! `parse.rs` the parsing of numbers, `bootstrap.servers` and `.properties` text; `validate.rs` the
//! cross-key rules; `java_only.rs` the Java keys accepted and ignored; `builder.rs` the builder;
//! `display.rs` the `Display` log and the Markdown table.

mod builder;
mod def;
mod display;
mod java_only;
mod key;
mod parse;
mod password;
mod token_provider;
mod types;
mod validate;

#[cfg(test)]
mod tests;

pub use builder::ProducerConfigBuilder;
pub use def::{CONFIG_KEYS, ProducerConfig, config_key, keys};
pub use display::markdown_table;
pub use key::{ConfigKey, Importance, Validator, ValueType};
pub(crate) use parse::format_host_port;
pub use parse::{parse_bootstrap_servers, parse_properties};
pub use password::Password;
pub use types::{
    Acks, ClientDnsLookup, CompressionType, MetadataRecoveryStrategy, SecurityProtocol,
};

use crate::error::Error;
use std::path::Path;

/// Whether this crate implements the idempotent producer.
///
/// The default of `enable.idempotence`: `true`, as in Kafka 4.x.
pub const DEFAULT_ENABLE_IDEMPOTENCE: bool = true;

/// Java's `MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION_FOR_IDEMPOTENCE`: the broker keeps the state
/// of at most 5 batches per producer.
pub const MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION_FOR_IDEMPOTENCE: usize = 5;

impl ProducerConfig {
    /// Parses and validates Java-style properties: `(key, value)` pairs, values as strings.
    ///
    /// Keys and values are trimmed. When a key appears twice, the last value wins (as in a Java
    /// `Properties` map). Keys not given take their default; `bootstrap.servers` is required.
    ///
    /// ```
    /// use kafka_producer::config::ProducerConfig;
    /// use std::collections::HashMap;
    ///
    /// let props = HashMap::from([
    ///     ("bootstrap.servers".to_string(), "localhost:9092".to_string()),
    ///     ("client.id".to_string(), "orders".to_string()),
    /// ]);
    /// let config = ProducerConfig::from_properties(&props)?;
    /// assert_eq!(config.client_id(), "orders");
    ///
    /// let err = ProducerConfig::from_properties([("bootstrap.servers", "h:1"), ("lingr.ms", "5")])
    ///     .unwrap_err();
    /// assert!(err.to_string().contains("did you mean `linger.ms`?"));
    /// # Ok::<(), kafka_producer::Error>(())
    /// ```
    pub fn from_properties<I, K, V>(props: I) -> Result<Self, Error>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        validate::build(
            props
                .into_iter()
                .map(|(k, v)| (k.as_ref().trim().to_string(), v.as_ref().to_string())),
        )
    }

    /// Reads a Java `.properties` file and parses it as [`ProducerConfig::from_properties`].
    ///
    /// The file format is Java's: `key=value`, `key: value` or `key value`; lines starting with
    /// `#` or `!` are comments; blank lines are skipped; a line ending with `\` continues on the
    /// next one; `\t`, `\n`, `\uXXXX` and `\`-escaped characters are unescaped. The file is read
    /// as UTF-8.
    ///
    /// A file that cannot be read or has a malformed escape is a [`Error::Config`] whose `key` is
    /// the file's path.
    pub fn from_properties_file(path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::config(
                path.display().to_string(),
                format!("cannot read the properties file: {e}"),
            )
        })?;
        let props = parse_properties(&text)
            .map_err(|msg| Error::config(path.display().to_string(), msg))?;
        Self::from_properties(props)
    }

    /// Parses the text of a Java `.properties` file, as [`ProducerConfig::from_properties_file`].
    ///
    /// ```
    /// use kafka_producer::config::{Acks, ProducerConfig};
    /// let config = ProducerConfig::from_properties_str(
    ///     "# producer settings\n\
    ///      bootstrap.servers = localhost:9092\n\
    ///      acks: 0\n",
    /// )?;
    /// assert_eq!(config.acks(), Acks::None);
    /// # Ok::<(), kafka_producer::Error>(())
    /// ```
    pub fn from_properties_str(text: &str) -> Result<Self, Error> {
        let props = parse_properties(text).map_err(|msg| Error::config("properties", msg))?;
        Self::from_properties(props)
    }

    /// A builder with typed setters; see [`ProducerConfigBuilder`].
    pub fn builder() -> ProducerConfigBuilder {
        ProducerConfigBuilder::new()
    }
}
