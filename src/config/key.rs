//! The row type of the configuration definition ([`ConfigKey`]: Java's `ConfigDef.ConfigKey`)
//! and how each Rust value type is parsed from, and written as, a configuration string.

use super::def::config_key;
use super::parse::{
    INT, LONG, boolean, format_host_port, int, millis, parse_bootstrap_servers, size,
};
use super::password::Password;
use super::types::{
    Acks, ClientDnsLookup, CompressionType, MetadataRecoveryStrategy, SecurityProtocol,
};
use crate::error::Error;
use crate::metrics::RecordingLevel;
use std::time::Duration;

/// The type of a key's value, as Java's `ConfigDef.Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ValueType {
    /// `true` or `false` (case-insensitive).
    Boolean,
    /// A 32-bit signed integer (Java `int`).
    Int,
    /// A 64-bit signed integer (Java `long`).
    Long,
    /// A string.
    String,
    /// A comma-separated list.
    List,
    /// A floating-point number (Java `double`).
    Double,
    /// A secret string (Java `password`): printed as `[hidden]` in logs and `Debug`.
    Password,
}

impl ValueType {
    /// Java's name of the type: `boolean`, `int`, `long`, `string`, `list`.
    pub fn as_str(self) -> &'static str {
        match self {
            ValueType::Boolean => "boolean",
            ValueType::Int => "int",
            ValueType::Long => "long",
            ValueType::String => "string",
            ValueType::List => "list",
            ValueType::Double => "double",
            ValueType::Password => "password",
        }
    }

    /// The smallest and largest integer of the type (`int` or `long`).
    fn limits(self) -> (i64, i64) {
        match self {
            ValueType::Int => (i32::MIN.into(), INT),
            _ => (i64::MIN, LONG),
        }
    }
}

/// How much a key matters, as Java's `ConfigDef.Importance` (used to order documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Importance {
    /// Most users set it.
    High,
    /// Often tuned.
    Medium,
    /// Rarely needs changing.
    Low,
}

impl Importance {
    /// `high`, `medium` or `low`, as Java prints it.
    pub fn as_str(self) -> &'static str {
        match self {
            Importance::High => "high",
            Importance::Medium => "medium",
            Importance::Low => "low",
        }
    }
}

/// The values a key accepts, checked when it is parsed (Java's `ConfigDef.Validator`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Validator {
    /// Any value of the type.
    Any,
    /// An integer at least this, up to the type's largest value.
    AtLeast(i64),
    /// An integer in `lo..=hi`.
    Between(i64, i64),
    /// An integer in `lo..=hi`, or the third value (`-1 or 1..=9`).
    BetweenOr(i64, i64, i64),
    /// One of these values (as the documentation writes them); checked by the value's parser.
    OneOf(&'static str),
    /// Described in words; checked by the value's parser.
    Described(&'static str),
    /// The key is refused: setting it is an error with this message.
    Unsupported(&'static str),
    /// A comma-separated list of Java class names, checked to be well-formed, then ignored
    /// (`metric.reporters`).
    JavaClasses,
    /// A floating-point number in `lo/100..=hi/100` (hundredths, so that the validator stays
    /// `Eq`).
    Hundredths(u32, u32),
}

/// One accepted configuration key: a row of the definition ([`CONFIG_KEYS`](super::CONFIG_KEYS)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConfigKey {
    /// The key, as the Java client spells it.
    pub name: &'static str,
    /// The type of its value.
    pub value_type: ValueType,
    /// The default as a configuration value, or `None` when there is no fixed default
    /// (`bootstrap.servers` is required, `client.id` is generated, `transactional.id` is unset).
    pub default: Option<&'static str>,
    /// The values accepted.
    pub validator: Validator,
    /// How much the key matters.
    pub importance: Importance,
    /// What the key controls.
    pub description: &'static str,
}

impl ConfigKey {
    /// The allowed values, in words (for documentation).
    ///
    /// ```
    /// let key = kafka_producer::config::config_key("linger.ms").unwrap();
    /// assert_eq!(key.valid_values(), ">= 0");
    /// ```
    pub fn valid_values(&self) -> String {
        match self.validator {
            Validator::Any => match self.value_type {
                ValueType::Boolean => "true, false".to_string(),
                ValueType::Int | ValueType::Long => "any integer".to_string(),
                ValueType::String | ValueType::List | ValueType::Password => {
                    "any string".to_string()
                }
                ValueType::Double => "any number".to_string(),
            },
            Validator::Hundredths(lo, hi) => {
                format!("{}..={}", f64::from(lo) / 100.0, f64::from(hi) / 100.0)
            }
            Validator::AtLeast(lo) => format!(">= {lo}"),
            Validator::Between(lo, hi) => format!("{lo}..={hi}"),
            Validator::BetweenOr(lo, hi, or) => format!("{or} or {lo}..={hi}"),
            Validator::OneOf(text) | Validator::Described(text) => text.to_string(),
            Validator::Unsupported(_) => "(unset: not supported)".to_string(),
            Validator::JavaClasses => "Java class names (checked, then ignored)".to_string(),
        }
    }

    /// The integer range the validator allows, within the type's limits.
    pub(super) fn bounds(&self) -> (i64, i64) {
        let (min, max) = self.value_type.limits();
        match self.validator {
            Validator::AtLeast(lo) => (lo, max),
            Validator::Between(lo, hi) => (lo, hi),
            _ => (min, max),
        }
    }
}

/// A Rust type holding a key's value: how it is parsed from, and written as, a configuration
/// string, and what its getter returns.
pub(super) trait Value: Sized {
    /// What the getter returns (`&str` for a `String`).
    type Get<'a>
    where
        Self: 'a;
    /// Parses and validates `raw` for `key`.
    fn parse(key: &ConfigKey, raw: &str) -> Result<Self, Error>;
    /// The value as a configuration string, `None` when unset.
    fn render(&self) -> Option<String>;
    /// The getter's view of the value.
    fn get(&self) -> Self::Get<'_>;
}

macro_rules! copy_value {
    ($ty:ty, |$key:ident, $raw:ident| $parse:expr, |$v:ident| $render:expr) => {
        impl Value for $ty {
            type Get<'a> = $ty;
            fn parse($key: &ConfigKey, $raw: &str) -> Result<Self, Error> {
                $parse
            }
            fn render(&self) -> Option<String> {
                let $v = self;
                Some($render)
            }
            fn get(&self) -> $ty {
                *self
            }
        }
    };
}

copy_value!(bool, |key, raw| boolean(key.name, raw), |v| v.to_string());
copy_value!(
    i32,
    |key, raw| {
        if let Validator::BetweenOr(lo, hi, or) = key.validator {
            let n = int(key.name, raw, i32::MIN.into(), INT)?;
            if n != or && !(lo..=hi).contains(&n) {
                return Err(Error::config(
                    key.name,
                    format!(
                        "value \"{}\" is out of range: must be between {lo} and {hi} or {or}",
                        raw.trim()
                    ),
                ));
            }
            return Ok(n as i32);
        }
        let (lo, hi) = key.bounds();
        Ok(int(key.name, raw, lo, hi)? as i32)
    },
    |v| v.to_string()
);
copy_value!(
    usize,
    |key, raw| {
        let (lo, hi) = key.bounds();
        size(key.name, raw, lo, hi)
    },
    |v| v.to_string()
);
copy_value!(
    Duration,
    |key, raw| {
        let (lo, hi) = key.bounds();
        millis(key.name, raw, lo, hi)
    },
    |v| v.as_millis().to_string()
);
copy_value!(Acks, |_key, raw| raw.parse(), |v| v.as_str().to_string());
copy_value!(CompressionType, |_key, raw| raw.parse(), |v| v
    .as_str()
    .to_string());
copy_value!(MetadataRecoveryStrategy, |_key, raw| raw.parse(), |v| v
    .as_str()
    .to_string());
copy_value!(SecurityProtocol, |_key, raw| raw.parse(), |v| v
    .as_str()
    .to_string());
copy_value!(ClientDnsLookup, |_key, raw| raw.parse(), |v| v
    .as_str()
    .to_string());
copy_value!(
    RecordingLevel,
    |key, raw| raw.trim().parse().map_err(|_| super::parse::not_one_of(
        key.name,
        raw,
        "INFO, DEBUG, TRACE"
    )),
    |v| v.name().to_string()
);

impl Value for String {
    type Get<'a> = &'a str;
    fn parse(_key: &ConfigKey, raw: &str) -> Result<Self, Error> {
        Ok(raw.trim().to_string())
    }
    fn render(&self) -> Option<String> {
        Some(self.clone())
    }
    fn get(&self) -> &str {
        self
    }
}

impl Value for Option<String> {
    type Get<'a> = Option<&'a str>;
    fn parse(_key: &ConfigKey, raw: &str) -> Result<Self, Error> {
        Ok(Some(raw.trim().to_string()))
    }
    fn render(&self) -> Option<String> {
        self.clone()
    }
    fn get(&self) -> Option<&str> {
        self.as_deref()
    }
}

/// A secret (`sasl.jaas.config`, `ssl.key.password`, ...): rendered as its value (so that
/// [`ProducerConfig::to_properties`](super::ProducerConfig::to_properties) round-trips); the
/// `Display` log hides it.
impl Value for Option<Password> {
    type Get<'a> = Option<&'a Password>;
    fn parse(_key: &ConfigKey, raw: &str) -> Result<Self, Error> {
        Ok(Some(Password::new(raw.trim())))
    }
    fn render(&self) -> Option<String> {
        self.as_ref().map(|p| p.value().to_string())
    }
    fn get(&self) -> Option<&Password> {
        self.as_ref()
    }
}

/// A duration in ms with no default (`sasl.login.connect.timeout.ms`, ...).
impl Value for Option<Duration> {
    type Get<'a> = Option<Duration>;
    fn parse(key: &ConfigKey, raw: &str) -> Result<Self, Error> {
        let (lo, hi) = key.bounds();
        millis(key.name, raw, lo, hi).map(Some)
    }
    fn render(&self) -> Option<String> {
        self.map(|d| d.as_millis().to_string())
    }
    fn get(&self) -> Option<Duration> {
        *self
    }
}

/// A list (`ssl.enabled.protocols`, ...): comma-separated, each item trimmed, empty items
/// dropped; class names checked with [`Validator::JavaClasses`].
impl Value for Vec<String> {
    type Get<'a> = &'a [String];
    fn parse(key: &ConfigKey, raw: &str) -> Result<Self, Error> {
        if key.validator == Validator::JavaClasses {
            return super::java_only::parse_classes(key.name, raw, true);
        }
        Ok(raw
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect())
    }
    fn render(&self) -> Option<String> {
        Some(self.join(","))
    }
    fn get(&self) -> &[String] {
        self
    }
}

/// A `double`, within its [`Validator::Hundredths`] range.
impl Value for f64 {
    type Get<'a> = f64;
    fn parse(key: &ConfigKey, raw: &str) -> Result<Self, Error> {
        let v: f64 = raw.trim().parse().map_err(|_| {
            Error::config(
                key.name,
                format!("value \"{}\" is not a number", raw.trim()),
            )
        })?;
        if let Validator::Hundredths(lo, hi) = key.validator {
            let (lo, hi) = (f64::from(lo) / 100.0, f64::from(hi) / 100.0);
            if !(lo..=hi).contains(&v) {
                return Err(Error::config(
                    key.name,
                    format!(
                        "value \"{}\" is out of range: must be between {lo} and {hi}",
                        raw.trim()
                    ),
                ));
            }
        }
        Ok(v)
    }
    fn render(&self) -> Option<String> {
        Some(self.to_string())
    }
    fn get(&self) -> f64 {
        *self
    }
}

/// `bootstrap.servers`: `(host, port)` pairs.
impl Value for Vec<(String, u16)> {
    type Get<'a> = &'a [(String, u16)];
    fn parse(_key: &ConfigKey, raw: &str) -> Result<Self, Error> {
        parse_bootstrap_servers(raw)
    }
    fn render(&self) -> Option<String> {
        Some(
            self.iter()
                .map(|(h, p)| format_host_port(h, *p))
                .collect::<Vec<_>>()
                .join(","),
        )
    }
    fn get(&self) -> &[(String, u16)] {
        self
    }
}

/// Parses `raw` as the value of `key`, through its validator.
pub(super) fn parse_value<T: Value>(key: &ConfigKey, raw: &str) -> Result<T, Error> {
    if let Validator::Unsupported(message) = key.validator {
        return Err(Error::config(key.name, message));
    }
    T::parse(key, raw)
}

/// The value of the row named `name` when it is not set: its default parsed, or the type's
/// empty value when it has none.
pub(super) fn default_value<T: Value + Default>(name: &str) -> T {
    let key = config_key(name).expect("every field has a row");
    match key.default {
        Some(default) => parse_value(key, default)
            .unwrap_or_else(|e| panic!("the default of `{name}` is invalid: {e}")),
        None => T::default(),
    }
}
