//! A secret configuration value (Java's `org.apache.kafka.common.config.types.Password`).

use std::fmt;

/// A secret: a password, a private key, a JAAS configuration. Its `Debug` and `Display` print
/// `[hidden]`, so it never reaches a log by accident; [`value`](Password::value) reads it.
///
/// ```
/// use kafka_producer::config::Password;
/// let p = Password::new("alice-secret");
/// assert_eq!(p.value(), "alice-secret");
/// assert_eq!(format!("{p} {p:?}"), "[hidden] [hidden]");
/// ```
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Password(String);

impl Password {
    /// What `Debug` and `Display` print instead of the value.
    pub const HIDDEN: &'static str = "[hidden]";

    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Password(value.into())
    }

    /// The secret itself.
    pub fn value(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(Self::HIDDEN)
    }
}

impl fmt::Display for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(Self::HIDDEN)
    }
}
