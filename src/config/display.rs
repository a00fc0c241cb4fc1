//! Writing a configuration out: [`ProducerConfig::to_properties`], Java's "ProducerConfig
//! values:" log (`Display`) and the README's Markdown table, all from the definition.

use super::{CONFIG_KEYS, ProducerConfig};
use std::fmt;

impl ProducerConfig {
    /// Every key with its effective value, sorted by key, as configuration strings that
    /// [`ProducerConfig::from_properties`] accepts back (giving an equal config).
    ///
    /// The values are the real ones, **secrets included** (`sasl.jaas.config`,
    /// `ssl.key.password`, ...), so that the round trip works: do not log them. For logging use
    /// the [`fmt::Display`] impl (Java's "ProducerConfig values:"), which prints secrets as
    /// `[hidden]`.
    ///
    /// `transactional.id` is listed only when it is set, and so are the Java keys accepted and
    /// ignored (`key.serializer`, `ssl.provider`, ...), with their values as given.
    ///
    /// ```
    /// use kafka_producer::config::ProducerConfig;
    /// let config = ProducerConfig::builder().bootstrap_servers("localhost:9092").build()?;
    /// let props = config.to_properties();
    /// assert!(props.contains(&("linger.ms".to_string(), "5".to_string())));
    /// assert_eq!(ProducerConfig::from_properties(props)?, config);
    /// # Ok::<(), kafka_producer::Error>(())
    /// ```
    pub fn to_properties(&self) -> Vec<(String, String)> {
        self.rendered()
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect()
    }
}

impl fmt::Display for ProducerConfig {
    /// Java's log block: `ProducerConfig values:` then one `\tkey = value` line per key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ProducerConfig values:")?;
        for (k, v) in self.rendered() {
            let hidden = super::java_only::is_secret(k).unwrap_or(true);
            let v = if hidden { super::Password::HIDDEN } else { &v };
            write!(f, "\n\t{k} = {v}")?;
        }
        Ok(())
    }
}

/// [`CONFIG_KEYS`] as a Markdown table (key, type, default, valid values, importance,
/// description), for the README.
///
/// ```
/// let table = kafka_producer::config::markdown_table();
/// assert!(table.starts_with(
///     "| Key | Type | Default | Valid values | Importance | Description |\n"
/// ));
/// assert!(table.contains("\n| `linger.ms` | long | `5` | >= 0 | medium | "));
/// ```
pub fn markdown_table() -> String {
    let mut out = String::from(
        "| Key | Type | Default | Valid values | Importance | Description |\n\
         |---|---|---|---|---|---|\n",
    );
    for key in CONFIG_KEYS {
        let default = match key.default {
            Some(d) => format!("`{d}`"),
            None => "(none)".to_string(),
        };
        out.push_str(&format!(
            "| `{}` | {} | {default} | {} | {} | {} |\n",
            key.name,
            key.value_type.as_str(),
            key.valid_values().replace('|', "\\|"),
            key.importance.as_str(),
            key.description.replace('|', "\\|")
        ));
    }
    out
}
