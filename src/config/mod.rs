//! The producer's configuration: [`ProducerConfig`], with the Java client's keys and the
//! Kafka 4.x defaults.
//!
//! A configuration comes from Java-style properties ([`ProducerConfig::from_properties`],
//! [`ProducerConfig::from_properties_file`]) or from the typed [`ProducerConfigBuilder`]. Both
//! go through the same parser and validator, so they accept and refuse the same things:
//!
//! * an unknown key is an error naming it (with a "did you mean" hint for an obvious typo);
//! * a value that does not parse or is out of range is an error naming the key, the value and
//!   what is allowed, as Java's `ConfigDef` does;
//! * the cross-key rules of Java's `ProducerConfig` and `KafkaProducer` are applied (for example
//!   `delivery.timeout.ms >= linger.ms + request.timeout.ms`).
//!
//! Features this crate does not implement yet are refused rather than silently ignored:
//! a `compression.type` other than `none`, `transactional.id`, and a `security.protocol` other
//! than `PLAINTEXT`.
//!
//! [`CONFIG_KEYS`] lists every accepted key with its default and a description.

use crate::error::Error;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::num::IntErrorKind;
use std::path::Path;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The configuration keys, as the Java client spells them.
pub mod keys {
    /// `acks`
    pub const ACKS: &str = "acks";
    /// `allow.auto.create.topics`
    pub const ALLOW_AUTO_CREATE_TOPICS: &str = "allow.auto.create.topics";
    /// `batch.size`
    pub const BATCH_SIZE: &str = "batch.size";
    /// `bootstrap.servers`
    pub const BOOTSTRAP_SERVERS: &str = "bootstrap.servers";
    /// `buffer.memory`
    pub const BUFFER_MEMORY: &str = "buffer.memory";
    /// `client.id`
    pub const CLIENT_ID: &str = "client.id";
    /// `compression.gzip.level`
    pub const COMPRESSION_GZIP_LEVEL: &str = "compression.gzip.level";
    /// `compression.lz4.level`
    pub const COMPRESSION_LZ4_LEVEL: &str = "compression.lz4.level";
    /// `compression.type`
    pub const COMPRESSION_TYPE: &str = "compression.type";
    /// `compression.zstd.level`
    pub const COMPRESSION_ZSTD_LEVEL: &str = "compression.zstd.level";
    /// `connections.max.idle.ms`
    pub const CONNECTIONS_MAX_IDLE_MS: &str = "connections.max.idle.ms";
    /// `delivery.timeout.ms`
    pub const DELIVERY_TIMEOUT_MS: &str = "delivery.timeout.ms";
    /// `enable.idempotence`
    pub const ENABLE_IDEMPOTENCE: &str = "enable.idempotence";
    /// `linger.ms`
    pub const LINGER_MS: &str = "linger.ms";
    /// `max.block.ms`
    pub const MAX_BLOCK_MS: &str = "max.block.ms";
    /// `max.in.flight.requests.per.connection`
    pub const MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION: &str = "max.in.flight.requests.per.connection";
    /// `max.request.size`
    pub const MAX_REQUEST_SIZE: &str = "max.request.size";
    /// `metadata.max.age.ms`
    pub const METADATA_MAX_AGE_MS: &str = "metadata.max.age.ms";
    /// `metadata.max.idle.ms`
    pub const METADATA_MAX_IDLE_MS: &str = "metadata.max.idle.ms";
    /// `metadata.recovery.rebootstrap.trigger.ms`
    pub const METADATA_RECOVERY_REBOOTSTRAP_TRIGGER_MS: &str =
        "metadata.recovery.rebootstrap.trigger.ms";
    /// `metadata.recovery.strategy`
    pub const METADATA_RECOVERY_STRATEGY: &str = "metadata.recovery.strategy";
    /// `partitioner.adaptive.partitioning.enable`
    pub const PARTITIONER_ADAPTIVE_PARTITIONING_ENABLE: &str =
        "partitioner.adaptive.partitioning.enable";
    /// `partitioner.availability.timeout.ms`
    pub const PARTITIONER_AVAILABILITY_TIMEOUT_MS: &str = "partitioner.availability.timeout.ms";
    /// `partitioner.ignore.keys`
    pub const PARTITIONER_IGNORE_KEYS: &str = "partitioner.ignore.keys";
    /// `receive.buffer.bytes`
    pub const RECEIVE_BUFFER_BYTES: &str = "receive.buffer.bytes";
    /// `reconnect.backoff.max.ms`
    pub const RECONNECT_BACKOFF_MAX_MS: &str = "reconnect.backoff.max.ms";
    /// `reconnect.backoff.ms`
    pub const RECONNECT_BACKOFF_MS: &str = "reconnect.backoff.ms";
    /// `request.timeout.ms`
    pub const REQUEST_TIMEOUT_MS: &str = "request.timeout.ms";
    /// `retries`
    pub const RETRIES: &str = "retries";
    /// `retry.backoff.max.ms`
    pub const RETRY_BACKOFF_MAX_MS: &str = "retry.backoff.max.ms";
    /// `retry.backoff.ms`
    pub const RETRY_BACKOFF_MS: &str = "retry.backoff.ms";
    /// `security.protocol`
    pub const SECURITY_PROTOCOL: &str = "security.protocol";
    /// `send.buffer.bytes`
    pub const SEND_BUFFER_BYTES: &str = "send.buffer.bytes";
    /// `socket.connection.setup.timeout.max.ms`
    pub const SOCKET_CONNECTION_SETUP_TIMEOUT_MAX_MS: &str =
        "socket.connection.setup.timeout.max.ms";
    /// `socket.connection.setup.timeout.ms`
    pub const SOCKET_CONNECTION_SETUP_TIMEOUT_MS: &str = "socket.connection.setup.timeout.ms";
    /// `transactional.id`
    pub const TRANSACTIONAL_ID: &str = "transactional.id";
}

use keys::*;

/// Whether this crate implements the idempotent producer.
///
/// The default of `enable.idempotence`: `true`, as in Kafka 4.x.
pub const DEFAULT_ENABLE_IDEMPOTENCE: bool = true;

/// Java's `MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION_FOR_IDEMPOTENCE`: the broker keeps the state
/// of at most 5 batches per producer.
pub const MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION_FOR_IDEMPOTENCE: usize = 5;

/// How many replicas must acknowledge a record before the producer counts it as written
/// (`acks`).
///
/// ```
/// use kafka_producer::config::Acks;
/// assert_eq!("all".parse::<Acks>().unwrap(), Acks::All);
/// assert_eq!("-1".parse::<Acks>().unwrap(), Acks::All);
/// assert_eq!(Acks::Leader.as_i16(), 1);
/// assert!("2".parse::<Acks>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Acks {
    /// `acks=0`: do not wait for any acknowledgement; offsets are reported as -1.
    None,
    /// `acks=1`: wait for the partition leader only.
    Leader,
    /// `acks=all` (or `-1`): wait for all in-sync replicas. The default.
    #[default]
    All,
}

impl Acks {
    /// The value sent in a `ProduceRequest`: 0, 1 or -1.
    pub fn as_i16(self) -> i16 {
        match self {
            Acks::None => 0,
            Acks::Leader => 1,
            Acks::All => -1,
        }
    }

    /// The configuration value: `"0"`, `"1"` or `"all"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Acks::None => "0",
            Acks::Leader => "1",
            Acks::All => "all",
        }
    }
}

impl FromStr for Acks {
    type Err = Error;

    /// Parses `all`, `-1`, `0` or `1` (case-sensitive, as Java; surrounding spaces ignored).
    fn from_str(s: &str) -> Result<Self, Error> {
        match s.trim() {
            "all" | "-1" => Ok(Acks::All),
            "0" => Ok(Acks::None),
            "1" => Ok(Acks::Leader),
            _ => Err(not_one_of(ACKS, s, "all, -1, 0, 1")),
        }
    }
}

impl fmt::Display for Acks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The codec for record batches (`compression.type`).
///
/// Java's five values, with the bytes Kafka brokers and the Java consumer expect (gzip stream,
/// snappy in the xerial framing, LZ4 frame, zstd frame).
///
/// ```
/// use kafka_producer::config::CompressionType;
/// let c: CompressionType = "zstd".parse().unwrap();
/// assert_eq!(c, CompressionType::Zstd);
/// assert_eq!(c.id(), 4);
/// assert!(c.is_supported());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CompressionType {
    /// No compression. The default.
    #[default]
    None,
    /// gzip (pure Rust, zlib-rs).
    Gzip,
    /// Snappy in the xerial framing (pure Rust).
    Snappy,
    /// LZ4 frame (pure Rust).
    Lz4,
    /// Zstandard (the C libzstd, built from source by the `zstd` crate).
    Zstd,
}

impl CompressionType {
    /// The configuration value: `none`, `gzip`, `snappy`, `lz4` or `zstd`.
    pub fn as_str(self) -> &'static str {
        match self {
            CompressionType::None => "none",
            CompressionType::Gzip => "gzip",
            CompressionType::Snappy => "snappy",
            CompressionType::Lz4 => "lz4",
            CompressionType::Zstd => "zstd",
        }
    }

    /// The codec id stored in the low 3 bits of a record batch's attributes.
    pub fn id(self) -> i16 {
        match self {
            CompressionType::None => 0,
            CompressionType::Gzip => 1,
            CompressionType::Snappy => 2,
            CompressionType::Lz4 => 3,
            CompressionType::Zstd => 4,
        }
    }

    /// Whether this crate can produce batches with this codec (all five).
    pub fn is_supported(self) -> bool {
        true
    }

    /// The record batch codec.
    pub fn codec(self) -> crate::protocol::record_batch::Compression {
        use crate::protocol::record_batch::Compression;
        match self {
            CompressionType::None => Compression::None,
            CompressionType::Gzip => Compression::Gzip,
            CompressionType::Snappy => Compression::Snappy,
            CompressionType::Lz4 => Compression::Lz4,
            CompressionType::Zstd => Compression::Zstd,
        }
    }
}

impl FromStr for CompressionType {
    type Err = Error;

    /// Parses `none`, `gzip`, `snappy`, `lz4` or `zstd` (case-sensitive, as Java).
    fn from_str(s: &str) -> Result<Self, Error> {
        match s.trim() {
            "none" => Ok(CompressionType::None),
            "gzip" => Ok(CompressionType::Gzip),
            "snappy" => Ok(CompressionType::Snappy),
            "lz4" => Ok(CompressionType::Lz4),
            "zstd" => Ok(CompressionType::Zstd),
            _ => Err(not_one_of(
                COMPRESSION_TYPE,
                s,
                "none, gzip, snappy, lz4, zstd",
            )),
        }
    }
}

impl fmt::Display for CompressionType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the client does when it cannot reach any broker it knows of
/// (`metadata.recovery.strategy`).
///
/// ```
/// use kafka_producer::config::MetadataRecoveryStrategy;
/// assert_eq!(
///     "REBOOTSTRAP".parse::<MetadataRecoveryStrategy>().unwrap(),
///     MetadataRecoveryStrategy::Rebootstrap
/// );
/// assert_eq!(MetadataRecoveryStrategy::default(), MetadataRecoveryStrategy::Rebootstrap);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum MetadataRecoveryStrategy {
    /// `none`: keep trying the brokers from the last metadata.
    None,
    /// `rebootstrap`: go back to `bootstrap.servers`. The Kafka 4.x default.
    #[default]
    Rebootstrap,
}

impl MetadataRecoveryStrategy {
    /// The configuration value: `none` or `rebootstrap`.
    pub fn as_str(self) -> &'static str {
        match self {
            MetadataRecoveryStrategy::None => "none",
            MetadataRecoveryStrategy::Rebootstrap => "rebootstrap",
        }
    }
}

impl FromStr for MetadataRecoveryStrategy {
    type Err = Error;

    /// Parses `none` or `rebootstrap`, case-insensitively (as Java).
    fn from_str(s: &str) -> Result<Self, Error> {
        let t = s.trim();
        if t.eq_ignore_ascii_case("none") {
            Ok(MetadataRecoveryStrategy::None)
        } else if t.eq_ignore_ascii_case("rebootstrap") {
            Ok(MetadataRecoveryStrategy::Rebootstrap)
        } else {
            Err(not_one_of(
                METADATA_RECOVERY_STRATEGY,
                s,
                "none, rebootstrap (case-insensitive)",
            ))
        }
    }
}

impl fmt::Display for MetadataRecoveryStrategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The protocol used to talk to brokers (`security.protocol`).
///
/// Java's four values parse (case-insensitively), but only [`SecurityProtocol::Plaintext`] is
/// supported for now: the others are refused when a [`ProducerConfig`] is built.
///
/// ```
/// use kafka_producer::config::SecurityProtocol;
/// let p: SecurityProtocol = "sasl_ssl".parse().unwrap();
/// assert_eq!(p, SecurityProtocol::SaslSsl);
/// assert_eq!(p.as_str(), "SASL_SSL");
/// assert!(!p.is_supported());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SecurityProtocol {
    /// `PLAINTEXT`: no encryption, no authentication. The default, and the only one supported.
    #[default]
    Plaintext,
    /// `SSL` (not supported yet).
    Ssl,
    /// `SASL_PLAINTEXT` (not supported yet).
    SaslPlaintext,
    /// `SASL_SSL` (not supported yet).
    SaslSsl,
}

impl SecurityProtocol {
    /// The configuration value: `PLAINTEXT`, `SSL`, `SASL_PLAINTEXT` or `SASL_SSL`.
    pub fn as_str(self) -> &'static str {
        match self {
            SecurityProtocol::Plaintext => "PLAINTEXT",
            SecurityProtocol::Ssl => "SSL",
            SecurityProtocol::SaslPlaintext => "SASL_PLAINTEXT",
            SecurityProtocol::SaslSsl => "SASL_SSL",
        }
    }

    /// Whether this crate implements the protocol yet (only `PLAINTEXT` for now).
    pub fn is_supported(self) -> bool {
        matches!(self, SecurityProtocol::Plaintext)
    }
}

impl FromStr for SecurityProtocol {
    type Err = Error;

    /// Parses `PLAINTEXT`, `SSL`, `SASL_PLAINTEXT` or `SASL_SSL`, case-insensitively (as Java).
    fn from_str(s: &str) -> Result<Self, Error> {
        let t = s.trim();
        [
            SecurityProtocol::Plaintext,
            SecurityProtocol::Ssl,
            SecurityProtocol::SaslPlaintext,
            SecurityProtocol::SaslSsl,
        ]
        .into_iter()
        .find(|p| t.eq_ignore_ascii_case(p.as_str()))
        .ok_or_else(|| {
            not_one_of(
                SECURITY_PROTOCOL,
                s,
                "PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL (case-insensitive)",
            )
        })
    }
}

impl fmt::Display for SecurityProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One accepted configuration key: its name, default, allowed values and meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConfigKey {
    /// The key, as the Java client spells it.
    pub name: &'static str,
    /// The default as a configuration value, or `None` when there is no fixed default
    /// (`bootstrap.servers` is required, `client.id` is generated, `transactional.id` is unset).
    pub default: Option<&'static str>,
    /// The allowed values, in words.
    pub valid_values: &'static str,
    /// What the key controls.
    pub description: &'static str,
}

const fn bool_str(b: bool) -> &'static str {
    if b { "true" } else { "false" }
}

/// Every key [`ProducerConfig`] accepts, sorted by name, with its Kafka 4.x default.
///
/// The README's configuration table is generated from it:
///
/// ```
/// use kafka_producer::config::CONFIG_KEYS;
/// for key in CONFIG_KEYS {
///     let default = key.default.unwrap_or("(none)");
///     println!("| `{}` | {} | {} | {} |", key.name, default, key.valid_values, key.description);
/// }
/// assert!(CONFIG_KEYS.iter().any(|k| k.name == "linger.ms" && k.default == Some("5")));
/// ```
pub const CONFIG_KEYS: &[ConfigKey] = &[
    ConfigKey {
        name: ACKS,
        default: Some("all"),
        valid_values: "all, -1, 0, 1",
        description: "How many replicas must acknowledge a record: 0 (none), 1 (the leader) or \
                      all/-1 (all in-sync replicas).",
    },
    ConfigKey {
        name: ALLOW_AUTO_CREATE_TOPICS,
        default: Some("true"),
        valid_values: "true, false",
        description: "Whether metadata requests ask the broker to create missing topics (if the \
                      broker allows it). Not a Java producer key: the Java producer always asks.",
    },
    ConfigKey {
        name: BATCH_SIZE,
        default: Some("16384"),
        valid_values: ">= 0 (32-bit)",
        description: "Upper bound, in bytes, of a batch of records for one partition; 0 disables \
                      batching.",
    },
    ConfigKey {
        name: BOOTSTRAP_SERVERS,
        default: None,
        valid_values: "host:port,... (IPv6 as [addr]:port); required",
        description: "Brokers to fetch the first metadata from; the cluster's other brokers are \
                      discovered from it.",
    },
    ConfigKey {
        name: BUFFER_MEMORY,
        default: Some("33554432"),
        valid_values: ">= 0",
        description: "Total bytes for records waiting to be sent; send() blocks up to \
                      max.block.ms when it is full.",
    },
    ConfigKey {
        name: CLIENT_ID,
        default: None,
        valid_values: "any string",
        description: "Name sent to the brokers with every request, for their logs and quotas. \
                      Defaults to producer-N, N counting producers in the process from 1.",
    },
    ConfigKey {
        name: COMPRESSION_GZIP_LEVEL,
        default: Some("-1"),
        valid_values: "-1 or 1..=9",
        description: "gzip compression level when compression.type=gzip (-1: the codec's \
                      default).",
    },
    ConfigKey {
        name: COMPRESSION_LZ4_LEVEL,
        default: Some("9"),
        valid_values: "1..=17",
        description: "LZ4 compression level when compression.type=lz4.",
    },
    ConfigKey {
        name: COMPRESSION_TYPE,
        default: Some("none"),
        valid_values: "none, gzip, snappy, lz4, zstd",
        description: "Codec for record batches. Batches still fill to about batch.size: the \
                      compression ratio is estimated per topic.",
    },
    ConfigKey {
        name: COMPRESSION_ZSTD_LEVEL,
        default: Some("3"),
        valid_values: "-131072..=22",
        description: "Zstandard compression level when compression.type=zstd.",
    },
    ConfigKey {
        name: CONNECTIONS_MAX_IDLE_MS,
        default: Some("540000"),
        valid_values: ">= 0",
        description: "Close connections idle for this long (ms).",
    },
    ConfigKey {
        name: DELIVERY_TIMEOUT_MS,
        default: Some("120000"),
        valid_values: ">= linger.ms + request.timeout.ms (32-bit)",
        description: "Upper bound (ms) on the time between send() returning and the record's \
                      outcome being reported, retries included.",
    },
    ConfigKey {
        name: ENABLE_IDEMPOTENCE,
        default: Some(bool_str(DEFAULT_ENABLE_IDEMPOTENCE)),
        valid_values: "true, false (true needs acks=all, retries > 0, \
                       max.in.flight.requests.per.connection <= 5)",
        description: "Write each record exactly once per partition, in order, despite retries \
                      (producer id, epoch and sequence numbers). When not set explicitly and \
                      another setting conflicts, it is turned off with a warning.",
    },
    ConfigKey {
        name: LINGER_MS,
        default: Some("5"),
        valid_values: ">= 0",
        description: "How long (ms) to wait for more records before sending a batch that is not \
                      full.",
    },
    ConfigKey {
        name: MAX_BLOCK_MS,
        default: Some("60000"),
        valid_values: ">= 0",
        description: "How long (ms) send() and partitions_for() may block waiting for metadata \
                      or buffer memory.",
    },
    ConfigKey {
        name: MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION,
        default: Some("5"),
        valid_values: ">= 1 (32-bit)",
        description: "Unacknowledged requests allowed per broker connection.",
    },
    ConfigKey {
        name: MAX_REQUEST_SIZE,
        default: Some("1048576"),
        valid_values: ">= 0 (32-bit)",
        description: "Largest request, in bytes; also caps the size of a record.",
    },
    ConfigKey {
        name: METADATA_MAX_AGE_MS,
        default: Some("300000"),
        valid_values: ">= 0",
        description: "Refresh metadata at least this often (ms), even without errors.",
    },
    ConfigKey {
        name: METADATA_MAX_IDLE_MS,
        default: Some("300000"),
        valid_values: ">= 5000",
        description: "Forget a topic's metadata when nothing was sent to it for this long (ms).",
    },
    ConfigKey {
        name: METADATA_RECOVERY_REBOOTSTRAP_TRIGGER_MS,
        default: Some("300000"),
        valid_values: ">= 0",
        description: "Rebootstrap when a metadata update has been due for this long (ms) \
                      without success, if metadata.recovery.strategy=rebootstrap.",
    },
    ConfigKey {
        name: METADATA_RECOVERY_STRATEGY,
        default: Some("rebootstrap"),
        valid_values: "none, rebootstrap (case-insensitive)",
        description: "What to do when no known broker is reachable: rebootstrap goes back to \
                      bootstrap.servers.",
    },
    ConfigKey {
        name: PARTITIONER_ADAPTIVE_PARTITIONING_ENABLE,
        default: Some("true"),
        valid_values: "true, false",
        description: "Send more records to partitions on faster brokers when no key and no \
                      partition is given.",
    },
    ConfigKey {
        name: PARTITIONER_AVAILABILITY_TIMEOUT_MS,
        default: Some("0"),
        valid_values: ">= 0",
        description: "Treat a partition as unavailable when its broker has not taken produce \
                      requests for this long (ms); 0 disables.",
    },
    ConfigKey {
        name: PARTITIONER_IGNORE_KEYS,
        default: Some("false"),
        valid_values: "true, false",
        description: "Choose partitions without hashing the record key.",
    },
    ConfigKey {
        name: RECEIVE_BUFFER_BYTES,
        default: Some("32768"),
        valid_values: ">= -1 (-1: the OS default)",
        description: "TCP receive buffer (SO_RCVBUF) size.",
    },
    ConfigKey {
        name: RECONNECT_BACKOFF_MAX_MS,
        default: Some("1000"),
        valid_values: ">= 0",
        description: "Ceiling (ms) of the exponential backoff between reconnection attempts. \
                      When unset but reconnect.backoff.ms is set, it takes that value.",
    },
    ConfigKey {
        name: RECONNECT_BACKOFF_MS,
        default: Some("50"),
        valid_values: ">= 0",
        description: "Initial wait (ms) before reconnecting to a broker.",
    },
    ConfigKey {
        name: REQUEST_TIMEOUT_MS,
        default: Some("30000"),
        valid_values: ">= 0 (32-bit)",
        description: "How long (ms) to wait for a broker's response before failing or retrying \
                      the request.",
    },
    ConfigKey {
        name: RETRIES,
        default: Some("2147483647"),
        valid_values: "0..=2147483647",
        description: "How many times to retry a failed send; delivery.timeout.ms bounds retries \
                      in time.",
    },
    ConfigKey {
        name: RETRY_BACKOFF_MAX_MS,
        default: Some("1000"),
        valid_values: ">= 0",
        description: "Ceiling (ms) of the exponential backoff between retries.",
    },
    ConfigKey {
        name: RETRY_BACKOFF_MS,
        default: Some("100"),
        valid_values: ">= 0",
        description: "Initial wait (ms) before retrying a failed request.",
    },
    ConfigKey {
        name: SECURITY_PROTOCOL,
        default: Some("PLAINTEXT"),
        valid_values: "PLAINTEXT (SSL, SASL_PLAINTEXT, SASL_SSL: not supported yet)",
        description: "Protocol used to talk to brokers.",
    },
    ConfigKey {
        name: SEND_BUFFER_BYTES,
        default: Some("131072"),
        valid_values: ">= -1 (-1: the OS default)",
        description: "TCP send buffer (SO_SNDBUF) size.",
    },
    ConfigKey {
        name: SOCKET_CONNECTION_SETUP_TIMEOUT_MAX_MS,
        default: Some("30000"),
        valid_values: ">= 0",
        description: "Ceiling (ms) of the exponentially growing connection setup timeout.",
    },
    ConfigKey {
        name: SOCKET_CONNECTION_SETUP_TIMEOUT_MS,
        default: Some("10000"),
        valid_values: ">= 0",
        description: "How long (ms) to wait for a connection to be established.",
    },
    ConfigKey {
        name: TRANSACTIONAL_ID,
        default: None,
        valid_values: "(unset: transactions are not supported)",
        description: "Id for transactional delivery. Transactions are not supported.",
    },
];

/// [`CONFIG_KEYS`] as a Markdown table (key, default, valid values, description), for the
/// README.
///
/// ```
/// let table = kafka_producer::config::markdown_table();
/// assert!(table.starts_with("| Key | Default | Valid values | Description |\n"));
/// assert!(table.contains("\n| `linger.ms` | `5` | >= 0 | "));
/// ```
pub fn markdown_table() -> String {
    let mut out =
        String::from("| Key | Default | Valid values | Description |\n|---|---|---|---|\n");
    for key in CONFIG_KEYS {
        let default = match key.default {
            Some(d) => format!("`{d}`"),
            None => "(none)".to_string(),
        };
        out.push_str(&format!(
            "| `{}` | {default} | {} | {} |\n",
            key.name,
            key.valid_values.replace('|', "\\|"),
            key.description.replace('|', "\\|")
        ));
    }
    out
}

/// Looks a key up in [`CONFIG_KEYS`].
pub fn config_key(name: &str) -> Option<&'static ConfigKey> {
    CONFIG_KEYS.iter().find(|k| k.name == name)
}

/// The producer's configuration, with the Java client's keys and Kafka 4.x's defaults.
///
/// Build one from properties or with [`ProducerConfig::builder`]; both validate every value and
/// apply the cross-key rules of Java's `ProducerConfig`:
///
/// ```
/// use kafka_producer::config::{Acks, ProducerConfig};
/// use std::time::Duration;
///
/// let config = ProducerConfig::from_properties([
///     ("bootstrap.servers", "kafka-1:9092, [::1]:9093"),
///     ("acks", "1"),
///     ("linger.ms", "20"),
/// ])?;
/// assert_eq!(
///     config.bootstrap_servers,
///     vec![("kafka-1".to_string(), 9092), ("::1".to_string(), 9093)]
/// );
/// assert_eq!(config.acks, Acks::Leader);
/// assert_eq!(config.linger, Duration::from_millis(20));
/// assert_eq!(config.batch_size, 16384); // Kafka's default
/// assert!(config.client_id.starts_with("producer-"));
///
/// // Unknown keys and invalid values are errors naming the key.
/// let err = ProducerConfig::from_properties([
///     ("bootstrap.servers", "localhost:9092"),
///     ("linger.ms", "-1"),
/// ])
/// .unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "invalid configuration `linger.ms`: value \"-1\" is out of range: must be >= 0"
/// );
/// # Ok::<(), kafka_producer::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ProducerConfig {
    /// `bootstrap.servers` (required): the brokers to fetch the first metadata from, as
    /// `(host, port)`. IPv6 addresses are given as `[addr]:port` and stored without brackets.
    pub bootstrap_servers: Vec<(String, u16)>,
    /// `client.id`: sent with every request. Default: `producer-N`, N counting the configs built
    /// without a `client.id` in this process, from 1 (as Java).
    pub client_id: String,
    /// `acks`. Default [`Acks::All`].
    pub acks: Acks,
    /// `linger.ms`. Default 5 ms.
    pub linger: Duration,
    /// `batch.size` in bytes. Default 16384.
    pub batch_size: usize,
    /// `buffer.memory` in bytes. Default 33554432 (32 MiB).
    pub buffer_memory: usize,
    /// `max.block.ms`. Default 60 s.
    pub max_block: Duration,
    /// `max.request.size` in bytes. Default 1048576 (1 MiB).
    pub max_request_size: usize,
    /// `request.timeout.ms`. Default 30 s.
    pub request_timeout: Duration,
    /// `delivery.timeout.ms`. Default 120 s; at least `linger + request_timeout` (when not set
    /// explicitly it is raised to that sum, with a warning, as Java does).
    pub delivery_timeout: Duration,
    /// `retries`. Default `i32::MAX`.
    pub retries: i32,
    /// `retry.backoff.ms`. Default 100 ms.
    pub retry_backoff: Duration,
    /// `retry.backoff.max.ms`. Default 1 s. When smaller than `retry_backoff` it wins: the
    /// backoff is then constant (a warning is logged).
    pub retry_backoff_max: Duration,
    /// `max.in.flight.requests.per.connection`. Default 5.
    pub max_in_flight_requests_per_connection: usize,
    /// `metadata.max.age.ms`. Default 5 min.
    pub metadata_max_age: Duration,
    /// `metadata.max.idle.ms`. Default 5 min; at least 5 s.
    pub metadata_max_idle: Duration,
    /// `reconnect.backoff.ms`. Default 50 ms.
    pub reconnect_backoff: Duration,
    /// `reconnect.backoff.max.ms`. Default 1 s; when only `reconnect.backoff.ms` is set, it
    /// takes that value (exponential backoff off), as Java.
    pub reconnect_backoff_max: Duration,
    /// `socket.connection.setup.timeout.ms`. Default 10 s.
    pub socket_connection_setup_timeout: Duration,
    /// `socket.connection.setup.timeout.max.ms`. Default 30 s.
    pub socket_connection_setup_timeout_max: Duration,
    /// `connections.max.idle.ms`. Default 9 min.
    pub connections_max_idle: Duration,
    /// `send.buffer.bytes` (`SO_SNDBUF`). Default 131072; -1 leaves the OS default.
    pub send_buffer_bytes: i32,
    /// `receive.buffer.bytes` (`SO_RCVBUF`). Default 32768; -1 leaves the OS default.
    pub receive_buffer_bytes: i32,
    /// `allow.auto.create.topics`: whether metadata requests let the broker create missing
    /// topics. Default `true`. (Not a Java producer key; the Java producer always asks.)
    pub allow_auto_create_topics: bool,
    /// `enable.idempotence`, default `true` (Kafka 4.x). Java's rules apply: it needs
    /// `acks=all`, `retries > 0` and `max.in.flight.requests.per.connection <= 5`; a conflict
    /// is an error when it was set explicitly, and turns it off (with a warning) otherwise.
    pub enable_idempotence: bool,
    /// `compression.type`. Default [`CompressionType::None`].
    ///
    /// **Compression is not implemented yet**: every value parses, but anything other than
    /// `none` is a [`Error::Config`] ("not supported yet") for now.
    pub compression_type: CompressionType,
    /// `compression.gzip.level`: -1 (the codec's default) or 1..=9. Default -1.
    pub compression_gzip_level: i32,
    /// `compression.lz4.level`: 1..=17. Default 9.
    pub compression_lz4_level: i32,
    /// `compression.zstd.level`: -131072..=22. Default 3.
    pub compression_zstd_level: i32,
    /// `partitioner.adaptive.partitioning.enable`. Default `true`.
    pub partitioner_adaptive_partitioning_enable: bool,
    /// `partitioner.availability.timeout.ms`. Default 0 (disabled).
    pub partitioner_availability_timeout: Duration,
    /// `partitioner.ignore.keys`. Default `false`.
    pub partitioner_ignore_keys: bool,
    /// `metadata.recovery.strategy`. Default [`MetadataRecoveryStrategy::Rebootstrap`].
    pub metadata_recovery_strategy: MetadataRecoveryStrategy,
    /// `metadata.recovery.rebootstrap.trigger.ms`. Default 5 min.
    pub metadata_recovery_rebootstrap_trigger: Duration,
    /// `transactional.id`: always `None`. **Transactions are not supported**: setting the key
    /// is a [`Error::Config`].
    pub transactional_id: Option<String>,
    /// `security.protocol`. Default [`SecurityProtocol::Plaintext`], the only one supported for
    /// now; the others are a [`Error::Config`] ("not supported yet").
    pub security_protocol: SecurityProtocol,
}

/// Counter for the default `client.id`, as Java's `PRODUCER_CLIENT_ID_SEQUENCE`.
static PRODUCER_CLIENT_ID_SEQUENCE: AtomicU64 = AtomicU64::new(1);

impl ProducerConfig {
    /// The Kafka 4.x defaults, with no bootstrap servers and an empty client id (both are
    /// filled in by the parser).
    fn defaults() -> Self {
        ProducerConfig {
            bootstrap_servers: Vec::new(),
            client_id: String::new(),
            acks: Acks::All,
            linger: Duration::from_millis(5),
            batch_size: 16384,
            buffer_memory: 32 * 1024 * 1024,
            max_block: Duration::from_millis(60_000),
            max_request_size: 1024 * 1024,
            request_timeout: Duration::from_millis(30_000),
            delivery_timeout: Duration::from_millis(120_000),
            retries: i32::MAX,
            retry_backoff: Duration::from_millis(100),
            retry_backoff_max: Duration::from_millis(1000),
            max_in_flight_requests_per_connection: 5,
            metadata_max_age: Duration::from_millis(300_000),
            metadata_max_idle: Duration::from_millis(300_000),
            reconnect_backoff: Duration::from_millis(50),
            reconnect_backoff_max: Duration::from_millis(1000),
            socket_connection_setup_timeout: Duration::from_millis(10_000),
            socket_connection_setup_timeout_max: Duration::from_millis(30_000),
            connections_max_idle: Duration::from_millis(540_000),
            send_buffer_bytes: 128 * 1024,
            receive_buffer_bytes: 32 * 1024,
            allow_auto_create_topics: true,
            enable_idempotence: DEFAULT_ENABLE_IDEMPOTENCE,
            compression_type: CompressionType::None,
            compression_gzip_level: -1,
            compression_lz4_level: 9,
            compression_zstd_level: 3,
            partitioner_adaptive_partitioning_enable: true,
            partitioner_availability_timeout: Duration::ZERO,
            partitioner_ignore_keys: false,
            metadata_recovery_strategy: MetadataRecoveryStrategy::Rebootstrap,
            metadata_recovery_rebootstrap_trigger: Duration::from_millis(300_000),
            transactional_id: None,
            security_protocol: SecurityProtocol::Plaintext,
        }
    }

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
    /// assert_eq!(config.client_id, "orders");
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
        parse(
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
    /// assert_eq!(config.acks, Acks::None);
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

    /// Every key with its effective value, sorted by key, as configuration strings that
    /// [`ProducerConfig::from_properties`] accepts back (giving an equal config). Useful for
    /// logging, as Java's "ProducerConfig values:" (the [`fmt::Display`] impl prints that).
    ///
    /// `transactional.id` is left out: it is never set.
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
        let ms = |d: Duration| d.as_millis().to_string();
        let servers = self
            .bootstrap_servers
            .iter()
            .map(|(h, p)| format_host_port(h, *p))
            .collect::<Vec<_>>()
            .join(",");
        let mut out: Vec<(&str, String)> = vec![
            (ACKS, self.acks.as_str().to_string()),
            (
                ALLOW_AUTO_CREATE_TOPICS,
                self.allow_auto_create_topics.to_string(),
            ),
            (BATCH_SIZE, self.batch_size.to_string()),
            (BOOTSTRAP_SERVERS, servers),
            (BUFFER_MEMORY, self.buffer_memory.to_string()),
            (CLIENT_ID, self.client_id.clone()),
            (
                COMPRESSION_GZIP_LEVEL,
                self.compression_gzip_level.to_string(),
            ),
            (
                COMPRESSION_LZ4_LEVEL,
                self.compression_lz4_level.to_string(),
            ),
            (COMPRESSION_TYPE, self.compression_type.as_str().to_string()),
            (
                COMPRESSION_ZSTD_LEVEL,
                self.compression_zstd_level.to_string(),
            ),
            (CONNECTIONS_MAX_IDLE_MS, ms(self.connections_max_idle)),
            (DELIVERY_TIMEOUT_MS, ms(self.delivery_timeout)),
            (ENABLE_IDEMPOTENCE, self.enable_idempotence.to_string()),
            (LINGER_MS, ms(self.linger)),
            (MAX_BLOCK_MS, ms(self.max_block)),
            (
                MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION,
                self.max_in_flight_requests_per_connection.to_string(),
            ),
            (MAX_REQUEST_SIZE, self.max_request_size.to_string()),
            (METADATA_MAX_AGE_MS, ms(self.metadata_max_age)),
            (METADATA_MAX_IDLE_MS, ms(self.metadata_max_idle)),
            (
                METADATA_RECOVERY_REBOOTSTRAP_TRIGGER_MS,
                ms(self.metadata_recovery_rebootstrap_trigger),
            ),
            (
                METADATA_RECOVERY_STRATEGY,
                self.metadata_recovery_strategy.as_str().to_string(),
            ),
            (
                PARTITIONER_ADAPTIVE_PARTITIONING_ENABLE,
                self.partitioner_adaptive_partitioning_enable.to_string(),
            ),
            (
                PARTITIONER_AVAILABILITY_TIMEOUT_MS,
                ms(self.partitioner_availability_timeout),
            ),
            (
                PARTITIONER_IGNORE_KEYS,
                self.partitioner_ignore_keys.to_string(),
            ),
            (RECEIVE_BUFFER_BYTES, self.receive_buffer_bytes.to_string()),
            (RECONNECT_BACKOFF_MAX_MS, ms(self.reconnect_backoff_max)),
            (RECONNECT_BACKOFF_MS, ms(self.reconnect_backoff)),
            (REQUEST_TIMEOUT_MS, ms(self.request_timeout)),
            (RETRIES, self.retries.to_string()),
            (RETRY_BACKOFF_MAX_MS, ms(self.retry_backoff_max)),
            (RETRY_BACKOFF_MS, ms(self.retry_backoff)),
            (
                SECURITY_PROTOCOL,
                self.security_protocol.as_str().to_string(),
            ),
            (SEND_BUFFER_BYTES, self.send_buffer_bytes.to_string()),
            (
                SOCKET_CONNECTION_SETUP_TIMEOUT_MAX_MS,
                ms(self.socket_connection_setup_timeout_max),
            ),
            (
                SOCKET_CONNECTION_SETUP_TIMEOUT_MS,
                ms(self.socket_connection_setup_timeout),
            ),
        ];
        if let Some(id) = &self.transactional_id {
            out.push((TRANSACTIONAL_ID, id.clone()));
        }
        out.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
    }
}

impl fmt::Display for ProducerConfig {
    /// Java's log block: `ProducerConfig values:` then one `\tkey = value` line per key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ProducerConfig values:")?;
        for (k, v) in self.to_properties() {
            write!(f, "\n\t{k} = {v}")?;
        }
        Ok(())
    }
}

/// Builds a [`ProducerConfig`] with typed setters named after its fields.
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
/// assert_eq!(config.batch_size, 65536);
/// assert_eq!(config.max_block, Duration::from_secs(5));
///
/// // Same validation as from_properties.
/// assert!(ProducerConfig::builder().build().is_err()); // bootstrap.servers is required
/// # Ok::<(), kafka_producer::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProducerConfigBuilder {
    props: Vec<(String, String)>,
}

macro_rules! ms_setters {
    ($($(#[$doc:meta])* $name:ident => $key:expr;)*) => {
        $(
            $(#[$doc])*
            pub fn $name(self, value: Duration) -> Self {
                self.set($key, value.as_millis().to_string())
            }
        )*
    };
}

macro_rules! display_setters {
    ($($(#[$doc:meta])* $name:ident: $ty:ty => $key:expr;)*) => {
        $(
            $(#[$doc])*
            pub fn $name(self, value: $ty) -> Self {
                self.set($key, value.to_string())
            }
        )*
    };
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

    /// `bootstrap.servers`: `"host:port,host2:port2"`, IPv6 as `"[::1]:9092"`.
    pub fn bootstrap_servers(self, servers: impl Into<String>) -> Self {
        self.set(BOOTSTRAP_SERVERS, servers)
    }

    /// `client.id`.
    pub fn client_id(self, client_id: impl Into<String>) -> Self {
        self.set(CLIENT_ID, client_id)
    }

    /// `acks`.
    pub fn acks(self, acks: Acks) -> Self {
        self.set(ACKS, acks.as_str())
    }

    /// `compression.type` (only [`CompressionType::None`] is supported for now).
    pub fn compression_type(self, compression: CompressionType) -> Self {
        self.set(COMPRESSION_TYPE, compression.as_str())
    }

    /// `metadata.recovery.strategy`.
    pub fn metadata_recovery_strategy(self, strategy: MetadataRecoveryStrategy) -> Self {
        self.set(METADATA_RECOVERY_STRATEGY, strategy.as_str())
    }

    /// `security.protocol` (only [`SecurityProtocol::Plaintext`] is supported for now).
    pub fn security_protocol(self, protocol: SecurityProtocol) -> Self {
        self.set(SECURITY_PROTOCOL, protocol.as_str())
    }

    ms_setters! {
        /// `linger.ms` (whole milliseconds; sub-millisecond parts are dropped).
        linger => LINGER_MS;
        /// `max.block.ms`.
        max_block => MAX_BLOCK_MS;
        /// `request.timeout.ms`.
        request_timeout => REQUEST_TIMEOUT_MS;
        /// `delivery.timeout.ms`.
        delivery_timeout => DELIVERY_TIMEOUT_MS;
        /// `retry.backoff.ms`.
        retry_backoff => RETRY_BACKOFF_MS;
        /// `retry.backoff.max.ms`.
        retry_backoff_max => RETRY_BACKOFF_MAX_MS;
        /// `metadata.max.age.ms`.
        metadata_max_age => METADATA_MAX_AGE_MS;
        /// `metadata.max.idle.ms` (at least 5 s).
        metadata_max_idle => METADATA_MAX_IDLE_MS;
        /// `reconnect.backoff.ms`.
        reconnect_backoff => RECONNECT_BACKOFF_MS;
        /// `reconnect.backoff.max.ms`.
        reconnect_backoff_max => RECONNECT_BACKOFF_MAX_MS;
        /// `socket.connection.setup.timeout.ms`.
        socket_connection_setup_timeout => SOCKET_CONNECTION_SETUP_TIMEOUT_MS;
        /// `socket.connection.setup.timeout.max.ms`.
        socket_connection_setup_timeout_max => SOCKET_CONNECTION_SETUP_TIMEOUT_MAX_MS;
        /// `connections.max.idle.ms`.
        connections_max_idle => CONNECTIONS_MAX_IDLE_MS;
        /// `partitioner.availability.timeout.ms`.
        partitioner_availability_timeout => PARTITIONER_AVAILABILITY_TIMEOUT_MS;
        /// `metadata.recovery.rebootstrap.trigger.ms`.
        metadata_recovery_rebootstrap_trigger => METADATA_RECOVERY_REBOOTSTRAP_TRIGGER_MS;
    }

    display_setters! {
        /// `batch.size` in bytes.
        batch_size: usize => BATCH_SIZE;
        /// `buffer.memory` in bytes.
        buffer_memory: usize => BUFFER_MEMORY;
        /// `max.request.size` in bytes.
        max_request_size: usize => MAX_REQUEST_SIZE;
        /// `retries`.
        retries: i32 => RETRIES;
        /// `max.in.flight.requests.per.connection`.
        max_in_flight_requests_per_connection: usize => MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION;
        /// `send.buffer.bytes` (-1: the OS default).
        send_buffer_bytes: i32 => SEND_BUFFER_BYTES;
        /// `receive.buffer.bytes` (-1: the OS default).
        receive_buffer_bytes: i32 => RECEIVE_BUFFER_BYTES;
        /// `allow.auto.create.topics`.
        allow_auto_create_topics: bool => ALLOW_AUTO_CREATE_TOPICS;
        /// `enable.idempotence`.
        enable_idempotence: bool => ENABLE_IDEMPOTENCE;
        /// `compression.gzip.level`.
        compression_gzip_level: i32 => COMPRESSION_GZIP_LEVEL;
        /// `compression.lz4.level`.
        compression_lz4_level: i32 => COMPRESSION_LZ4_LEVEL;
        /// `compression.zstd.level`.
        compression_zstd_level: i32 => COMPRESSION_ZSTD_LEVEL;
        /// `partitioner.adaptive.partitioning.enable`.
        partitioner_adaptive_partitioning_enable: bool => PARTITIONER_ADAPTIVE_PARTITIONING_ENABLE;
        /// `partitioner.ignore.keys`.
        partitioner_ignore_keys: bool => PARTITIONER_IGNORE_KEYS;
    }

    /// Parses and validates the settings, as [`ProducerConfig::from_properties`].
    pub fn build(&self) -> Result<ProducerConfig, Error> {
        ProducerConfig::from_properties(self.props.iter().map(|(k, v)| (k, v)))
    }
}

// ---------------------------------------------------------------------------------------------
// Parsing and validation.

/// Largest value of a Java `int` config.
const INT: i64 = i32::MAX as i64;
/// Largest value of a Java `long` config.
const LONG: i64 = i64::MAX;

fn parse(props: impl Iterator<Item = (String, String)>) -> Result<ProducerConfig, Error> {
    // Last value wins, as in a Java map; keep the order of first appearance for error reporting.
    let mut pairs: Vec<(String, String)> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for (k, v) in props {
        match index.get(&k) {
            Some(&i) => pairs[i].1 = v,
            None => {
                index.insert(k.clone(), pairs.len());
                pairs.push((k, v));
            }
        }
    }

    let mut c = ProducerConfig::defaults();
    let mut explicit: HashSet<&str> = HashSet::new();
    let mut client_id = None;
    let mut idempotence = None;
    for (key, raw) in &pairs {
        let key = key.as_str();
        let v = raw.trim();
        match key {
            BOOTSTRAP_SERVERS => c.bootstrap_servers = parse_bootstrap_servers(raw)?,
            CLIENT_ID => client_id = Some(v.to_string()),
            ACKS => c.acks = raw.parse()?,
            LINGER_MS => c.linger = millis(key, raw, 0, LONG)?,
            BATCH_SIZE => c.batch_size = size(key, raw, 0, INT)?,
            BUFFER_MEMORY => c.buffer_memory = size(key, raw, 0, LONG)?,
            MAX_BLOCK_MS => c.max_block = millis(key, raw, 0, LONG)?,
            MAX_REQUEST_SIZE => c.max_request_size = size(key, raw, 0, INT)?,
            REQUEST_TIMEOUT_MS => c.request_timeout = millis(key, raw, 0, INT)?,
            DELIVERY_TIMEOUT_MS => c.delivery_timeout = millis(key, raw, 0, INT)?,
            RETRIES => c.retries = int(key, raw, 0, INT)? as i32,
            RETRY_BACKOFF_MS => c.retry_backoff = millis(key, raw, 0, LONG)?,
            RETRY_BACKOFF_MAX_MS => c.retry_backoff_max = millis(key, raw, 0, LONG)?,
            MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION => {
                c.max_in_flight_requests_per_connection = size(key, raw, 1, INT)?
            }
            METADATA_MAX_AGE_MS => c.metadata_max_age = millis(key, raw, 0, LONG)?,
            METADATA_MAX_IDLE_MS => c.metadata_max_idle = millis(key, raw, 5000, LONG)?,
            RECONNECT_BACKOFF_MS => c.reconnect_backoff = millis(key, raw, 0, LONG)?,
            RECONNECT_BACKOFF_MAX_MS => c.reconnect_backoff_max = millis(key, raw, 0, LONG)?,
            SOCKET_CONNECTION_SETUP_TIMEOUT_MS => {
                c.socket_connection_setup_timeout = millis(key, raw, 0, LONG)?
            }
            SOCKET_CONNECTION_SETUP_TIMEOUT_MAX_MS => {
                c.socket_connection_setup_timeout_max = millis(key, raw, 0, LONG)?
            }
            CONNECTIONS_MAX_IDLE_MS => c.connections_max_idle = millis(key, raw, 0, LONG)?,
            SEND_BUFFER_BYTES => c.send_buffer_bytes = int(key, raw, -1, INT)? as i32,
            RECEIVE_BUFFER_BYTES => c.receive_buffer_bytes = int(key, raw, -1, INT)? as i32,
            ALLOW_AUTO_CREATE_TOPICS => c.allow_auto_create_topics = boolean(key, raw)?,
            ENABLE_IDEMPOTENCE => idempotence = Some(boolean(key, raw)?),
            COMPRESSION_TYPE => c.compression_type = raw.parse()?,
            COMPRESSION_GZIP_LEVEL => {
                let level = int(key, raw, i32::MIN.into(), INT)?;
                if level != -1 && !(1..=9).contains(&level) {
                    return Err(Error::config(
                        key,
                        format!("value \"{v}\" is out of range: must be between 1 and 9 or -1"),
                    ));
                }
                c.compression_gzip_level = level as i32;
            }
            COMPRESSION_LZ4_LEVEL => c.compression_lz4_level = int(key, raw, 1, 17)? as i32,
            COMPRESSION_ZSTD_LEVEL => {
                c.compression_zstd_level = int(key, raw, -131_072, 22)? as i32
            }
            PARTITIONER_ADAPTIVE_PARTITIONING_ENABLE => {
                c.partitioner_adaptive_partitioning_enable = boolean(key, raw)?
            }
            PARTITIONER_AVAILABILITY_TIMEOUT_MS => {
                c.partitioner_availability_timeout = millis(key, raw, 0, LONG)?
            }
            PARTITIONER_IGNORE_KEYS => c.partitioner_ignore_keys = boolean(key, raw)?,
            METADATA_RECOVERY_STRATEGY => c.metadata_recovery_strategy = raw.parse()?,
            METADATA_RECOVERY_REBOOTSTRAP_TRIGGER_MS => {
                c.metadata_recovery_rebootstrap_trigger = millis(key, raw, 0, LONG)?
            }
            SECURITY_PROTOCOL => {
                let p: SecurityProtocol = raw.parse()?;
                if !p.is_supported() {
                    return Err(Error::config(
                        key,
                        format!(
                            "value \"{v}\" is not supported yet: this crate only speaks \
                             PLAINTEXT for now"
                        ),
                    ));
                }
                c.security_protocol = p;
            }
            TRANSACTIONAL_ID => {
                return Err(Error::config(
                    key,
                    "transactions are not supported by this crate; remove this setting",
                ));
            }
            _ => return Err(unaccepted_key(key)),
        }
        explicit.insert(key);
    }

    if c.bootstrap_servers.is_empty() {
        return Err(Error::config(
            BOOTSTRAP_SERVERS,
            "missing required setting (no default): set it to host:port[,host:port...]",
        ));
    }

    // CommonClientConfigs.postProcessReconnectBackoffConfigs.
    if explicit.contains(RECONNECT_BACKOFF_MS) && !explicit.contains(RECONNECT_BACKOFF_MAX_MS) {
        log::warn!(
            "Disabling exponential reconnect backoff because {RECONNECT_BACKOFF_MS} is set, \
             but {RECONNECT_BACKOFF_MAX_MS} is not."
        );
        c.reconnect_backoff_max = c.reconnect_backoff;
    }
    // CommonClientConfigs.warnDisablingExponentialBackoff.
    if c.retry_backoff > c.retry_backoff_max {
        log::warn!(
            "Configuration '{RETRY_BACKOFF_MS}' with value '{}' is greater than configuration \
             '{RETRY_BACKOFF_MAX_MS}' with value '{}'. A static backoff with value '{}' will be \
             applied.",
            c.retry_backoff.as_millis(),
            c.retry_backoff_max.as_millis(),
            c.retry_backoff_max.as_millis()
        );
    }
    if c.socket_connection_setup_timeout > c.socket_connection_setup_timeout_max {
        log::warn!(
            "Configuration '{SOCKET_CONNECTION_SETUP_TIMEOUT_MS}' with value '{}' is greater \
             than configuration '{SOCKET_CONNECTION_SETUP_TIMEOUT_MAX_MS}' with value '{}'. A \
             static connection setup timeout with value '{}' will be applied.",
            c.socket_connection_setup_timeout.as_millis(),
            c.socket_connection_setup_timeout_max.as_millis(),
            c.socket_connection_setup_timeout_max.as_millis()
        );
    }

    c.enable_idempotence = resolve_idempotence(
        idempotence,
        c.acks,
        c.retries,
        c.max_in_flight_requests_per_connection,
    )?;

    // KafkaProducer.configureDeliveryTimeout.
    let linger_ms = c.linger.as_millis().min(INT as u128);
    let request_ms = c.request_timeout.as_millis();
    let floor_ms = (linger_ms + request_ms).min(INT as u128);
    if c.delivery_timeout.as_millis() < floor_ms {
        if explicit.contains(DELIVERY_TIMEOUT_MS) {
            return Err(Error::config(
                DELIVERY_TIMEOUT_MS,
                format!(
                    "value \"{}\" must be equal to or larger than {LINGER_MS} ({linger_ms}) + \
                     {REQUEST_TIMEOUT_MS} ({request_ms}) = {floor_ms}",
                    c.delivery_timeout.as_millis()
                ),
            ));
        }
        log::warn!(
            "{DELIVERY_TIMEOUT_MS} should be equal to or larger than {LINGER_MS} + \
             {REQUEST_TIMEOUT_MS}. Setting it to {floor_ms}."
        );
        c.delivery_timeout = Duration::from_millis(floor_ms as u64);
    }

    // Last, so that a refused config does not use up a number (ProducerConfig.maybeOverrideClientId).
    c.client_id = match client_id {
        Some(id) => id,
        None => format!(
            "producer-{}",
            PRODUCER_CLIENT_ID_SEQUENCE.fetch_add(1, Ordering::Relaxed)
        ),
    };
    Ok(c)
}

/// Java's `ProducerConfig.postProcessAndValidateIdempotenceConfigs`, behind `supported`.
fn resolve_idempotence(
    explicit: Option<bool>,
    acks: Acks,
    retries: i32,
    max_in_flight: usize,
) -> Result<bool, Error> {
    if !explicit.unwrap_or(DEFAULT_ENABLE_IDEMPOTENCE) {
        return Ok(false);
    }
    let user_set = explicit.is_some();
    let both = |other: &str| format!("{ENABLE_IDEMPOTENCE} and {other}");
    let mut enabled = true;
    if retries == 0 {
        if user_set {
            return Err(Error::config(
                both(RETRIES),
                "retries must be non-zero when using the idempotent producer \
                 (enable.idempotence=true)",
            ));
        }
        log::warn!("Idempotence will be disabled because {RETRIES} is set to 0.");
        enabled = false;
    }
    if acks != Acks::All {
        if user_set {
            return Err(Error::config(
                both(ACKS),
                "acks must be all in order to use the idempotent producer \
                 (enable.idempotence=true); otherwise idempotence cannot be guaranteed",
            ));
        }
        log::warn!(
            "Idempotence will be disabled because {ACKS} is set to {}, not set to 'all'.",
            acks.as_i16()
        );
        enabled = false;
    }
    if enabled && max_in_flight > MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION_FOR_IDEMPOTENCE {
        if user_set {
            return Err(Error::config(
                both(MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION),
                format!(
                    "max.in.flight.requests.per.connection must be at most \
                     {MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION_FOR_IDEMPOTENCE} to use the \
                     idempotent producer; current value is {max_in_flight}"
                ),
            ));
        }
        log::warn!(
            "Idempotence will be disabled because {MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION} is set \
             to {max_in_flight}, which is greater than \
             {MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION_FOR_IDEMPOTENCE}."
        );
        enabled = false;
    }
    Ok(enabled)
}

/// The error for a key that is not a [`CONFIG_KEYS`] entry.
fn unaccepted_key(key: &str) -> Error {
    let message = match key {
        "key.serializer" | "value.serializer" => {
            "serializers are Rust types given to KafkaProducer in code, not configuration; \
             remove this setting"
                .to_string()
        }
        "partitioner.class" => "the partitioner is a Rust type given to KafkaProducer in code, \
                                not configuration; remove this setting"
            .to_string(),
        "interceptor.classes" => "interceptors are Rust values given to KafkaProducer in code, \
                                  not configuration; remove this setting"
            .to_string(),
        "transaction.timeout.ms" | "transaction.two.phase.commit.enable" => {
            "transactions are not supported by this crate; remove this setting".to_string()
        }
        _ if key.starts_with("ssl.") || key.starts_with("sasl.") => {
            "SSL and SASL are not supported yet (only security.protocol=PLAINTEXT); remove this \
             setting"
                .to_string()
        }
        "client.dns.lookup"
        | "enable.metrics.push"
        | "metrics.sample.window.ms"
        | "metrics.num.samples"
        | "metrics.recording.level"
        | "metric.reporters"
        | "auto.include.jmx.reporter"
        | "security.providers"
        | "config.providers" => "this Java producer setting is not supported by this crate; \
                                 remove it"
            .to_string(),
        _ => match suggest_key(key) {
            Some(known) => format!("unknown configuration key; did you mean `{known}`?"),
            None => "unknown configuration key (the accepted keys are listed in \
                     kafka_producer::config::CONFIG_KEYS)"
                .to_string(),
        },
    };
    Error::config(key, message)
}

/// The accepted key `key` is an obvious typo of, if any.
fn suggest_key(key: &str) -> Option<&'static str> {
    let normalized: String = key
        .chars()
        .map(|c| match c {
            '_' | '-' => '.',
            c => c.to_ascii_lowercase(),
        })
        .collect();
    if let Some(k) = config_key(&normalized) {
        return Some(k.name);
    }
    let (best, distance) = CONFIG_KEYS
        .iter()
        .map(|k| (k.name, edit_distance(&normalized, k.name)))
        .min_by_key(|&(_, d)| d)?;
    let limit = (best.len() / 4).clamp(1, 3);
    (distance <= limit).then_some(best)
}

/// Levenshtein distance between two strings, by chars.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(ca != cb);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

fn not_one_of(key: &str, raw: &str, allowed: &str) -> Error {
    Error::config(
        key,
        format!(
            "value \"{}\" is not allowed: must be one of {allowed}",
            raw.trim()
        ),
    )
}

/// "must be >= lo" when `hi` is only the type's limit, "must be between lo and hi" otherwise.
fn range_text(lo: i64, hi: i64) -> String {
    if hi == INT || hi == LONG {
        format!(">= {lo}")
    } else {
        format!("between {lo} and {hi}")
    }
}

/// Parses an integer in `lo..=hi` (`hi` is [`INT`] or [`LONG`] for Java's `int` and `long`
/// types with no upper bound).
fn int(key: &str, raw: &str, lo: i64, hi: i64) -> Result<i64, Error> {
    let v = raw.trim();
    let out_of_range = |too_big: bool| {
        let range = if too_big {
            format!("between {lo} and {hi}")
        } else {
            range_text(lo, hi)
        };
        Error::config(
            key,
            format!("value \"{v}\" is out of range: must be {range}"),
        )
    };
    match v.parse::<i64>() {
        Ok(n) if n < lo => Err(out_of_range(false)),
        Ok(n) if n > hi => Err(out_of_range(true)),
        Ok(n) => Ok(n),
        Err(e) => match e.kind() {
            IntErrorKind::PosOverflow => Err(out_of_range(true)),
            IntErrorKind::NegOverflow => Err(out_of_range(false)),
            _ => Err(Error::config(
                key,
                format!(
                    "value \"{v}\" is not an integer: must be an integer {}",
                    range_text(lo, hi)
                ),
            )),
        },
    }
}

/// Parses milliseconds (`lo >= 0`).
fn millis(key: &str, raw: &str, lo: i64, hi: i64) -> Result<Duration, Error> {
    debug_assert!(lo >= 0);
    Ok(Duration::from_millis(int(key, raw, lo, hi)? as u64))
}

/// Parses a size or count (`lo >= 0`).
fn size(key: &str, raw: &str, lo: i64, hi: i64) -> Result<usize, Error> {
    debug_assert!(lo >= 0);
    let n = int(key, raw, lo, hi)?;
    usize::try_from(n).map_err(|_| {
        Error::config(
            key,
            format!(
                "value \"{}\" is out of range: must be at most {} on this platform",
                raw.trim(),
                usize::MAX
            ),
        )
    })
}

/// Parses `true` or `false`, case-insensitively (as Java).
fn boolean(key: &str, raw: &str) -> Result<bool, Error> {
    let v = raw.trim();
    if v.eq_ignore_ascii_case("true") {
        Ok(true)
    } else if v.eq_ignore_ascii_case("false") {
        Ok(false)
    } else {
        Err(Error::config(
            key,
            format!("value \"{v}\" is not a boolean: must be true or false"),
        ))
    }
}

/// `host:port`, or `[host]:port` for an IPv6 address.
fn format_host_port(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// Parses a `bootstrap.servers` value: comma-separated `host:port` entries, IPv6 addresses in
/// brackets (`[::1]:9092`, stored as `::1`), spaces around entries ignored.
///
/// As Java (4.x), the list must not be empty and have no empty entries (`a:1,,b:2`, a trailing
/// comma) or duplicates. Ports must be 1..=65535. A listener prefix such as `PLAINTEXT://` is
/// ignored, as Java does.
///
/// ```
/// use kafka_producer::config::parse_bootstrap_servers;
/// assert_eq!(
///     parse_bootstrap_servers("kafka:9092, 10.0.0.1:9093,[fe80::1]:9094").unwrap(),
///     vec![
///         ("kafka".to_string(), 9092),
///         ("10.0.0.1".to_string(), 9093),
///         ("fe80::1".to_string(), 9094)
///     ]
/// );
/// assert!(parse_bootstrap_servers("kafka").is_err()); // no port
/// ```
pub fn parse_bootstrap_servers(value: &str) -> Result<Vec<(String, u16)>, Error> {
    let value = value.trim();
    if value.is_empty() {
        return Err(Error::config(
            BOOTSTRAP_SERVERS,
            "must not be empty: set it to host:port[,host:port...]",
        ));
    }
    let mut servers: Vec<(String, u16)> = Vec::new();
    for entry in value.split(',').map(str::trim) {
        if entry.is_empty() {
            return Err(Error::config(
                BOOTSTRAP_SERVERS,
                format!("value \"{value}\" has an empty entry (a stray comma?)"),
            ));
        }
        let server = parse_host_port(entry).map_err(|why| {
            Error::config(
                BOOTSTRAP_SERVERS,
                format!(
                    "invalid entry \"{entry}\": {why}; expected host:port, or [address]:port \
                     for IPv6"
                ),
            )
        })?;
        if servers.contains(&server) {
            return Err(Error::config(
                BOOTSTRAP_SERVERS,
                format!("entry \"{entry}\" is listed twice"),
            ));
        }
        servers.push(server);
    }
    Ok(servers)
}

fn parse_host_port(entry: &str) -> Result<(String, u16), String> {
    // Java ignores a listener or scheme prefix such as `PLAINTEXT://`.
    let entry = match entry.split_once("://") {
        Some((scheme, rest))
            if !scheme.is_empty()
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') =>
        {
            rest
        }
        _ => entry,
    };
    let (host, port) = if let Some(rest) = entry.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or("missing `]` after the IPv6 address")?;
        if host.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(format!("\"{host}\" is not an IPv6 address"));
        }
        let port = after.strip_prefix(':').ok_or("missing port")?;
        (host, port)
    } else {
        let (host, port) = entry.rsplit_once(':').ok_or("missing port")?;
        if host.is_empty() {
            return Err("missing host".to_string());
        }
        if let Some(bad) = host
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | ':')))
        {
            return Err(format!("invalid character {bad:?} in host \"{host}\""));
        }
        if host.contains(':') {
            return Err("an IPv6 address must be in brackets, e.g. [::1]:9092".to_string());
        }
        (host, port)
    };
    if port.is_empty() {
        return Err("missing port".to_string());
    }
    if !port.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("port \"{port}\" is not a number"));
    }
    match port.parse::<u32>() {
        Ok(p @ 1..=65535) => Ok((host.to_string(), p as u16)),
        _ => Err(format!(
            "port {port} is out of range: must be between 1 and 65535"
        )),
    }
}

// ---------------------------------------------------------------------------------------------
// Java .properties format.

const PROPERTIES_WHITESPACE: [char; 3] = [' ', '\t', '\x0c'];

/// Parses the text of a Java `.properties` file into `(key, value)` pairs, in file order
/// (duplicates kept; [`ProducerConfig::from_properties`] keeps the last).
///
/// Follows `java.util.Properties.load`: `key=value`, `key:value` or `key value`; `#` and `!`
/// comment lines; blank lines; `\` at the end of a line continues it on the next one (whose
/// leading whitespace is skipped); escapes `\t`, `\n`, `\r`, `\f`, `\uXXXX`, and `\` before any
/// other character for that character. Values are returned with trailing whitespace removed.
/// The error is a message naming the line of a malformed `\u` escape.
///
/// ```
/// use kafka_producer::config::parse_properties;
/// let props = parse_properties("# comment\na = 1\nb: two \\\n    words\nc\n").unwrap();
/// assert_eq!(
///     props,
///     vec![
///         ("a".to_string(), "1".to_string()),
///         ("b".to_string(), "two words".to_string()),
///         ("c".to_string(), String::new()),
///     ]
/// );
/// ```
pub fn parse_properties(text: &str) -> Result<Vec<(String, String)>, String> {
    let text = text.replace("\r\n", "\n");
    let mut lines = text.split(['\n', '\r']).enumerate();
    let mut out = Vec::new();
    while let Some((index, line)) = lines.next() {
        let line = line.trim_start_matches(PROPERTIES_WHITESPACE);
        if line.is_empty() || line.starts_with('#') || line.starts_with('!') {
            continue;
        }
        let mut logical = line.to_string();
        while ends_with_odd_backslashes(&logical) {
            logical.pop();
            match lines.next() {
                Some((_, next)) => logical.push_str(next.trim_start_matches(PROPERTIES_WHITESPACE)),
                None => break,
            }
        }
        let (key, value) = split_key_value(&logical);
        let line_no = index + 1;
        let key = unescape(key).map_err(|e| format!("line {line_no}: {e}"))?;
        let value = unescape(value).map_err(|e| format!("line {line_no}: {e}"))?;
        out.push((key, value.trim_end().to_string()));
    }
    Ok(out)
}

fn ends_with_odd_backslashes(s: &str) -> bool {
    s.chars().rev().take_while(|&c| c == '\\').count() % 2 == 1
}

/// Splits a logical line at the first unescaped `=`, `:` or whitespace.
fn split_key_value(line: &str) -> (&str, &str) {
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == '=' || c == ':' {
            let value = line[i + 1..].trim_start_matches(PROPERTIES_WHITESPACE);
            return (&line[..i], value);
        } else if PROPERTIES_WHITESPACE.contains(&c) {
            let mut value = line[i..].trim_start_matches(PROPERTIES_WHITESPACE);
            if let Some(rest) = value.strip_prefix(['=', ':']) {
                value = rest.trim_start_matches(PROPERTIES_WHITESPACE);
            }
            return (&line[..i], value);
        }
    }
    (line, "")
}

fn unescape(s: &str) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('f') => out.push('\x0c'),
            Some('u') => {
                let unit = hex4(&mut chars)?;
                let code = if (0xD800..0xDC00).contains(&unit) {
                    // A UTF-16 high surrogate: a `\uXXXX` low surrogate must follow.
                    let low = match (chars.next(), chars.next()) {
                        (Some('\\'), Some('u')) => hex4(&mut chars)?,
                        _ => return Err("malformed \\uXXXX escape: lone surrogate".to_string()),
                    };
                    if !(0xDC00..0xE000).contains(&low) {
                        return Err("malformed \\uXXXX escape: lone surrogate".to_string());
                    }
                    0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                } else {
                    unit
                };
                out.push(
                    char::from_u32(code)
                        .ok_or("malformed \\uXXXX escape: lone surrogate".to_string())?,
                );
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    Ok(out)
}

fn hex4(chars: &mut std::str::Chars<'_>) -> Result<u32, String> {
    let digits: String = chars.by_ref().take(4).collect();
    if digits.len() == 4 && digits.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(u32::from_str_radix(&digits, 16).expect("four hex digits"))
    } else {
        Err(format!("malformed \\uXXXX escape: \\u{digits}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Vec<(&'static str, &'static str)> {
        vec![(BOOTSTRAP_SERVERS, "localhost:9092"), (CLIENT_ID, "test")]
    }

    fn with(extra: &[(&'static str, &'static str)]) -> Result<ProducerConfig, Error> {
        let mut props = base();
        props.extend_from_slice(extra);
        ProducerConfig::from_properties(props)
    }

    fn err(extra: &[(&'static str, &'static str)]) -> (String, String) {
        match with(extra) {
            Err(Error::Config { key, message }) => (key, message),
            other => panic!("expected a config error for {extra:?}, got {other:?}"),
        }
    }

    #[test]
    fn defaults_are_kafka_4x() {
        let c = ProducerConfig::from_properties([(BOOTSTRAP_SERVERS, "localhost:9092")]).unwrap();
        let ms = Duration::from_millis;
        assert_eq!(c.bootstrap_servers, vec![("localhost".to_string(), 9092)]);
        assert!(c.client_id.starts_with("producer-"), "{}", c.client_id);
        assert_eq!(c.acks, Acks::All);
        assert_eq!(c.linger, ms(5));
        assert_eq!(c.batch_size, 16384);
        assert_eq!(c.buffer_memory, 33_554_432);
        assert_eq!(c.max_block, ms(60_000));
        assert_eq!(c.max_request_size, 1_048_576);
        assert_eq!(c.request_timeout, ms(30_000));
        assert_eq!(c.delivery_timeout, ms(120_000));
        assert_eq!(c.retries, 2_147_483_647);
        assert_eq!(c.retry_backoff, ms(100));
        assert_eq!(c.retry_backoff_max, ms(1000));
        assert_eq!(c.max_in_flight_requests_per_connection, 5);
        assert_eq!(c.metadata_max_age, ms(300_000));
        assert_eq!(c.metadata_max_idle, ms(300_000));
        assert_eq!(c.reconnect_backoff, ms(50));
        assert_eq!(c.reconnect_backoff_max, ms(1000));
        assert_eq!(c.socket_connection_setup_timeout, ms(10_000));
        assert_eq!(c.socket_connection_setup_timeout_max, ms(30_000));
        assert_eq!(c.connections_max_idle, ms(540_000));
        assert_eq!(c.send_buffer_bytes, 131_072);
        assert_eq!(c.receive_buffer_bytes, 32_768);
        assert!(c.allow_auto_create_topics);
        // Kafka 4.x: idempotent by default.
        assert!(c.enable_idempotence);
        assert_eq!(c.compression_type, CompressionType::None);
        assert_eq!(c.compression_gzip_level, -1);
        assert_eq!(c.compression_lz4_level, 9);
        assert_eq!(c.compression_zstd_level, 3);
        assert!(c.partitioner_adaptive_partitioning_enable);
        assert_eq!(c.partitioner_availability_timeout, Duration::ZERO);
        assert!(!c.partitioner_ignore_keys);
        assert_eq!(
            c.metadata_recovery_strategy,
            MetadataRecoveryStrategy::Rebootstrap
        );
        assert_eq!(c.metadata_recovery_rebootstrap_trigger, ms(300_000));
        assert_eq!(c.transactional_id, None);
        assert_eq!(c.security_protocol, SecurityProtocol::Plaintext);
    }

    #[test]
    fn client_id_sequence() {
        let a = ProducerConfig::from_properties([(BOOTSTRAP_SERVERS, "h:1")]).unwrap();
        let b = ProducerConfig::from_properties([(BOOTSTRAP_SERVERS, "h:1")]).unwrap();
        let n = |c: &ProducerConfig| -> u64 {
            c.client_id
                .strip_prefix("producer-")
                .unwrap()
                .parse()
                .unwrap()
        };
        assert!(n(&a) >= 1);
        assert!(n(&b) > n(&a));
        // An explicit client id, even empty, is kept (as Java).
        let c =
            ProducerConfig::from_properties([(BOOTSTRAP_SERVERS, "h:1"), (CLIENT_ID, "")]).unwrap();
        assert_eq!(c.client_id, "");
        let c = ProducerConfig::from_properties([(BOOTSTRAP_SERVERS, "h:1"), (CLIENT_ID, " me ")])
            .unwrap();
        assert_eq!(c.client_id, "me");
    }

    #[test]
    fn table_and_parser_agree() {
        // Every table key is accepted with its default, alone...
        for key in CONFIG_KEYS {
            if let Some(default) = key.default {
                with(&[(key.name, default)])
                    .unwrap_or_else(|e| panic!("{}={default}: {e}", key.name));
            }
        }
        // ...and all the defaults together give the default config.
        let mut props = base();
        props.extend(
            CONFIG_KEYS
                .iter()
                .filter_map(|k| k.default.map(|d| (k.name, d))),
        );
        assert_eq!(
            ProducerConfig::from_properties(props).unwrap(),
            with(&[]).unwrap()
        );
        // The keys without a default are the ones the parser treats specially.
        let no_default: Vec<_> = CONFIG_KEYS
            .iter()
            .filter(|k| k.default.is_none())
            .map(|k| k.name)
            .collect();
        assert_eq!(no_default, [BOOTSTRAP_SERVERS, CLIENT_ID, TRANSACTIONAL_ID]);
        // The table is sorted, and to_properties lists the same keys in the same order.
        let names: Vec<_> = CONFIG_KEYS.iter().map(|k| k.name).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted);
        let listed: Vec<_> = with(&[]).unwrap().to_properties();
        let listed: Vec<_> = listed.iter().map(|(k, _)| k.as_str()).collect();
        let expected: Vec<_> = names
            .iter()
            .copied()
            .filter(|&k| k != TRANSACTIONAL_ID)
            .collect();
        assert_eq!(listed, expected);
        assert_eq!(config_key(LINGER_MS).unwrap().default, Some("5"));
        assert!(config_key("nope").is_none());
    }

    #[test]
    fn builder_equals_properties() {
        let ms = Duration::from_millis;
        let built = ProducerConfig::builder()
            .bootstrap_servers("a:1,[::1]:2")
            .client_id("c")
            .acks(Acks::Leader)
            .linger(ms(7))
            .batch_size(1000)
            .buffer_memory(2_000_000)
            .max_block(ms(1234))
            .max_request_size(4000)
            .request_timeout(ms(20_000))
            .delivery_timeout(ms(50_000))
            .retries(3)
            .retry_backoff(ms(10))
            .retry_backoff_max(ms(20))
            .max_in_flight_requests_per_connection(2)
            .metadata_max_age(ms(1000))
            .metadata_max_idle(ms(6000))
            .reconnect_backoff(ms(11))
            .reconnect_backoff_max(ms(22))
            .socket_connection_setup_timeout(ms(100))
            .socket_connection_setup_timeout_max(ms(200))
            .connections_max_idle(ms(300))
            .send_buffer_bytes(-1)
            .receive_buffer_bytes(-1)
            .allow_auto_create_topics(false)
            .enable_idempotence(false)
            .compression_type(CompressionType::Gzip)
            .compression_gzip_level(5)
            .compression_lz4_level(1)
            .compression_zstd_level(-5)
            .partitioner_adaptive_partitioning_enable(false)
            .partitioner_availability_timeout(ms(40))
            .partitioner_ignore_keys(true)
            .metadata_recovery_strategy(MetadataRecoveryStrategy::None)
            .metadata_recovery_rebootstrap_trigger(ms(50))
            .security_protocol(SecurityProtocol::Plaintext)
            .build()
            .unwrap();
        let parsed = ProducerConfig::from_properties([
            ("bootstrap.servers", "a:1,[::1]:2"),
            ("client.id", "c"),
            ("acks", "1"),
            ("linger.ms", "7"),
            ("batch.size", "1000"),
            ("buffer.memory", "2000000"),
            ("max.block.ms", "1234"),
            ("max.request.size", "4000"),
            ("request.timeout.ms", "20000"),
            ("delivery.timeout.ms", "50000"),
            ("retries", "3"),
            ("retry.backoff.ms", "10"),
            ("retry.backoff.max.ms", "20"),
            ("max.in.flight.requests.per.connection", "2"),
            ("metadata.max.age.ms", "1000"),
            ("metadata.max.idle.ms", "6000"),
            ("reconnect.backoff.ms", "11"),
            ("reconnect.backoff.max.ms", "22"),
            ("socket.connection.setup.timeout.ms", "100"),
            ("socket.connection.setup.timeout.max.ms", "200"),
            ("connections.max.idle.ms", "300"),
            ("send.buffer.bytes", "-1"),
            ("receive.buffer.bytes", "-1"),
            ("allow.auto.create.topics", "FALSE"),
            ("enable.idempotence", "false"),
            ("compression.type", "gzip"),
            ("compression.gzip.level", "5"),
            ("compression.lz4.level", "1"),
            ("compression.zstd.level", "-5"),
            ("partitioner.adaptive.partitioning.enable", "false"),
            ("partitioner.availability.timeout.ms", "40"),
            ("partitioner.ignore.keys", "True"),
            ("metadata.recovery.strategy", "NONE"),
            ("metadata.recovery.rebootstrap.trigger.ms", "50"),
            ("security.protocol", "plaintext"),
        ])
        .unwrap();
        assert_eq!(built, parsed);
        // Every field differs from its default, so every setter was checked.
        let defaults = with(&[]).unwrap();
        let differing = built
            .to_properties()
            .into_iter()
            .zip(defaults.to_properties())
            .filter(|(a, b)| a != b)
            .count();
        // All but transactional.id (not listed) and security.protocol (one accepted value).
        assert_eq!(differing, CONFIG_KEYS.len() - 2);

        // The builder keeps the last setting of a key, typed or raw.
        let b = ProducerConfig::builder()
            .bootstrap_servers("h:1")
            .linger(ms(1))
            .set("linger.ms", "9");
        assert_eq!(b.build().unwrap().linger, ms(9));
        assert_eq!(b.properties().len(), 2);
        let b = b.set("linger.ms", "-1").linger(ms(3));
        assert_eq!(b.build().unwrap().linger, ms(3));
        // Same errors.
        let e = ProducerConfig::builder()
            .bootstrap_servers("h:1")
            .set("linger.ms", "x")
            .build()
            .unwrap_err();
        assert_eq!(
            e,
            ProducerConfig::from_properties([("bootstrap.servers", "h:1"), ("linger.ms", "x")])
                .unwrap_err()
        );
        // Values too large for the Java type are refused, not truncated.
        let e = ProducerConfig::builder()
            .bootstrap_servers("h:1")
            .batch_size(1 << 31)
            .build()
            .unwrap_err();
        assert!(
            matches!(e, Error::Config { ref key, .. } if key == BATCH_SIZE),
            "{e}"
        );
    }

    #[test]
    fn to_properties_round_trips() {
        let c = with(&[
            (BOOTSTRAP_SERVERS, "a:1, [2001:db8::1]:2"),
            (LINGER_MS, "100"),
            (RECONNECT_BACKOFF_MS, "70"),
        ])
        .unwrap();
        let props = c.to_properties();
        assert!(props.contains(&(BOOTSTRAP_SERVERS.into(), "a:1,[2001:db8::1]:2".into())));
        assert_eq!(ProducerConfig::from_properties(props).unwrap(), c);
        let shown = c.to_string();
        assert!(
            shown.starts_with("ProducerConfig values:\n\tacks = all\n"),
            "{shown}"
        );
        assert!(shown.contains("\n\tlinger.ms = 100\n"));
    }

    #[test]
    fn invalid_values_name_the_key() {
        let cases: &[(&str, &[&str])] = &[
            (ACKS, &["2", "ALL", "", "yes"]),
            (ALLOW_AUTO_CREATE_TOPICS, &["yes", "1", ""]),
            (BATCH_SIZE, &["-1", "2147483648", "1.5", "", "16k"]),
            (BUFFER_MEMORY, &["-1", "x", "9223372036854775808"]),
            (COMPRESSION_GZIP_LEVEL, &["0", "10", "-2", "x"]),
            (COMPRESSION_LZ4_LEVEL, &["0", "18", "x"]),
            (COMPRESSION_TYPE, &["brotli", "GZIP", ""]),
            (COMPRESSION_ZSTD_LEVEL, &["23", "-131073", "x"]),
            (CONNECTIONS_MAX_IDLE_MS, &["-1", "x"]),
            (DELIVERY_TIMEOUT_MS, &["-1", "2147483648", "x"]),
            (ENABLE_IDEMPOTENCE, &["yes", "", "1"]),
            (LINGER_MS, &["-1", "5ms", "", "9223372036854775808"]),
            (MAX_BLOCK_MS, &["-1", "x"]),
            (MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, &["0", "-1", "x"]),
            (MAX_REQUEST_SIZE, &["-1", "2147483648"]),
            (METADATA_MAX_AGE_MS, &["-1"]),
            (METADATA_MAX_IDLE_MS, &["4999", "0", "-1"]),
            (METADATA_RECOVERY_REBOOTSTRAP_TRIGGER_MS, &["-1"]),
            (METADATA_RECOVERY_STRATEGY, &["always", ""]),
            (PARTITIONER_ADAPTIVE_PARTITIONING_ENABLE, &["on"]),
            (PARTITIONER_AVAILABILITY_TIMEOUT_MS, &["-1"]),
            (PARTITIONER_IGNORE_KEYS, &["0"]),
            (RECEIVE_BUFFER_BYTES, &["-2", "2147483648"]),
            (RECONNECT_BACKOFF_MAX_MS, &["-1"]),
            (RECONNECT_BACKOFF_MS, &["-1"]),
            (REQUEST_TIMEOUT_MS, &["-1", "2147483648"]),
            (RETRIES, &["-1", "2147483648", "many"]),
            (RETRY_BACKOFF_MAX_MS, &["-1"]),
            (RETRY_BACKOFF_MS, &["-1"]),
            (
                SECURITY_PROTOCOL,
                &["TLS", "SSL", "sasl_plaintext", "SASL_SSL", ""],
            ),
            (SEND_BUFFER_BYTES, &["-2"]),
            (SOCKET_CONNECTION_SETUP_TIMEOUT_MAX_MS, &["-1"]),
            (SOCKET_CONNECTION_SETUP_TIMEOUT_MS, &["-1"]),
            (TRANSACTIONAL_ID, &["tx-1", ""]),
            (BOOTSTRAP_SERVERS, &["", "h", "h:0"]),
        ];
        for &(key, values) in cases {
            for &value in values {
                let (k, message) = err(&[(key, value)]);
                assert_eq!(k, key, "{key}={value}: {message}");
                if !value.is_empty() && key != TRANSACTIONAL_ID {
                    assert!(
                        message.to_lowercase().contains(&value.to_lowercase()),
                        "{key}={value}: {message}"
                    );
                }
            }
        }
        // Every key with a range is covered.
        for k in CONFIG_KEYS {
            if k.name != CLIENT_ID {
                assert!(
                    cases.iter().any(|(c, _)| *c == k.name),
                    "{} untested",
                    k.name
                );
            }
        }
    }

    #[test]
    fn error_messages() {
        let show = |extra: &[(&'static str, &'static str)]| with(extra).unwrap_err().to_string();
        assert_eq!(
            show(&[(LINGER_MS, "-1")]),
            "invalid configuration `linger.ms`: value \"-1\" is out of range: must be >= 0"
        );
        assert_eq!(
            show(&[(LINGER_MS, " abc ")]),
            "invalid configuration `linger.ms`: value \"abc\" is not an integer: must be an \
             integer >= 0"
        );
        assert_eq!(
            show(&[(REQUEST_TIMEOUT_MS, "2147483648")]),
            "invalid configuration `request.timeout.ms`: value \"2147483648\" is out of range: \
             must be between 0 and 2147483647"
        );
        assert_eq!(
            show(&[(METADATA_MAX_IDLE_MS, "100")]),
            "invalid configuration `metadata.max.idle.ms`: value \"100\" is out of range: must \
             be >= 5000"
        );
        assert_eq!(
            show(&[(COMPRESSION_LZ4_LEVEL, "18")]),
            "invalid configuration `compression.lz4.level`: value \"18\" is out of range: must \
             be between 1 and 17"
        );
        assert!(show(&[(COMPRESSION_GZIP_LEVEL, "0")]).contains("between 1 and 9 or -1"));
        assert_eq!(
            show(&[(ACKS, "2")]),
            "invalid configuration `acks`: value \"2\" is not allowed: must be one of all, -1, \
             0, 1"
        );
        assert_eq!(
            show(&[(PARTITIONER_IGNORE_KEYS, "yes")]),
            "invalid configuration `partitioner.ignore.keys`: value \"yes\" is not a boolean: \
             must be true or false"
        );
        assert_eq!(
            with(&[(COMPRESSION_TYPE, "gzip")])
                .unwrap()
                .compression_type,
            CompressionType::Gzip
        );
        assert!(show(&[(COMPRESSION_TYPE, "brotli")]).contains("compression.type"));
        assert!(show(&[(SECURITY_PROTOCOL, "SSL")]).contains("not supported yet"));
        assert!(show(&[(SECURITY_PROTOCOL, "TLS")]).contains("must be one of"));
        // Idempotence set explicitly conflicts with acks/retries/max.in.flight: an error naming
        // both keys; left to its default, it is turned off instead (as Java does).
        let idem = show(&[(ENABLE_IDEMPOTENCE, "true"), (ACKS, "1")]);
        assert!(
            idem.contains("acks") && idem.contains("idempoten"),
            "{idem}"
        );
        assert!(show(&[(ENABLE_IDEMPOTENCE, "true"), (RETRIES, "0")]).contains("retries"));
        assert!(!with(&[(ACKS, "1")]).unwrap().enable_idempotence);
        assert!(!with(&[(RETRIES, "0")]).unwrap().enable_idempotence);
        assert!(
            with(&[(ENABLE_IDEMPOTENCE, "TRUE")])
                .unwrap()
                .enable_idempotence
        );
        assert!(show(&[(TRANSACTIONAL_ID, "tx")]).contains("transactions are not supported"));
        assert!(show(&[(MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "0")]).contains("must be >= 1"));
        assert!(show(&[(SEND_BUFFER_BYTES, "-2")]).contains("must be >= -1"));
        // Acceptable edge values.
        let c = with(&[
            (COMPRESSION_GZIP_LEVEL, "9"),
            (COMPRESSION_ZSTD_LEVEL, "-131072"),
            (METADATA_MAX_IDLE_MS, "5000"),
            (BATCH_SIZE, "0"),
            (RETRIES, "0"),
            (ACKS, " -1 "),
            (LINGER_MS, "+3"),
        ])
        .unwrap();
        assert_eq!(c.compression_zstd_level, -131_072);
        assert_eq!(c.acks, Acks::All);
        assert_eq!(c.linger, Duration::from_millis(3));
        assert_eq!(c.retries, 0);
    }

    #[test]
    fn unknown_and_java_only_keys() {
        let (k, m) = err(&[("lingr.ms", "5")]);
        assert_eq!(k, "lingr.ms");
        assert!(m.contains("did you mean `linger.ms`?"), "{m}");
        let (_, m) = err(&[("BATCH_SIZE", "5")]);
        assert!(m.contains("did you mean `batch.size`?"), "{m}");
        let (_, m) = err(&[("request.timeout", "5")]);
        assert!(m.contains("did you mean `request.timeout.ms`?"), "{m}");
        let (k, m) = err(&[("frobnicate", "5")]);
        assert_eq!(k, "frobnicate");
        assert!(m.starts_with("unknown configuration key"), "{m}");
        assert!(!m.contains("did you mean"), "{m}");

        for key in ["key.serializer", "value.serializer"] {
            let (k, m) = err(&[(
                key,
                "org.apache.kafka.common.serialization.StringSerializer",
            )]);
            assert_eq!(k, key);
            assert!(m.contains("serializers are Rust types"), "{m}");
            assert!(m.contains("KafkaProducer"), "{m}");
        }
        let (_, m) = err(&[("partitioner.class", "x")]);
        assert!(m.contains("partitioner is a Rust type"), "{m}");
        let (_, m) = err(&[("interceptor.classes", "x")]);
        assert!(m.contains("KafkaProducer"), "{m}");
        let (_, m) = err(&[("sasl.mechanism", "PLAIN")]);
        assert!(m.contains("not supported yet"), "{m}");
        let (_, m) = err(&[("transaction.timeout.ms", "60000")]);
        assert!(m.contains("transactions are not supported"), "{m}");
        let (_, m) = err(&[("metrics.num.samples", "2")]);
        assert!(m.contains("not supported by this crate"), "{m}");
    }

    #[test]
    fn delivery_timeout_rule() {
        let ms = Duration::from_millis;
        // Not set: raised to linger.ms + request.timeout.ms.
        let c = with(&[(LINGER_MS, "100000"), (REQUEST_TIMEOUT_MS, "30000")]).unwrap();
        assert_eq!(c.delivery_timeout, ms(130_000));
        // Not set and the default is enough: unchanged.
        let c = with(&[(LINGER_MS, "1000")]).unwrap();
        assert_eq!(c.delivery_timeout, ms(120_000));
        // The sum is capped at i32::MAX, as Java.
        let c = with(&[(LINGER_MS, "9223372036854775807")]).unwrap();
        assert_eq!(c.delivery_timeout, ms(i32::MAX as u64));
        // Set explicitly: an error naming the three keys.
        let (k, m) = err(&[(DELIVERY_TIMEOUT_MS, "30004")]);
        assert_eq!(k, DELIVERY_TIMEOUT_MS);
        assert!(
            m.contains(LINGER_MS) && m.contains(REQUEST_TIMEOUT_MS),
            "{m}"
        );
        assert!(m.contains("30005"), "{m}");
        // Set explicitly and equal to the sum: fine.
        let c = with(&[(DELIVERY_TIMEOUT_MS, "30005")]).unwrap();
        assert_eq!(c.delivery_timeout, ms(30_005));
        // Through the builder too.
        let e = ProducerConfig::builder()
            .bootstrap_servers("h:1")
            .delivery_timeout(ms(1000))
            .build()
            .unwrap_err();
        assert!(matches!(e, Error::Config { ref key, .. } if key == DELIVERY_TIMEOUT_MS));
    }

    #[test]
    fn reconnect_backoff_max_follows_backoff_when_unset() {
        let ms = Duration::from_millis;
        let c = with(&[(RECONNECT_BACKOFF_MS, "200")]).unwrap();
        assert_eq!(
            (c.reconnect_backoff, c.reconnect_backoff_max),
            (ms(200), ms(200))
        );
        let c = with(&[
            (RECONNECT_BACKOFF_MS, "200"),
            (RECONNECT_BACKOFF_MAX_MS, "5000"),
        ])
        .unwrap();
        assert_eq!(
            (c.reconnect_backoff, c.reconnect_backoff_max),
            (ms(200), ms(5000))
        );
        let c = with(&[(RECONNECT_BACKOFF_MAX_MS, "5000")]).unwrap();
        assert_eq!(
            (c.reconnect_backoff, c.reconnect_backoff_max),
            (ms(50), ms(5000))
        );
    }

    #[test]
    fn idempotence_rules() {
        let r = |explicit, acks, retries, in_flight| {
            resolve_idempotence(explicit, acks, retries, in_flight)
        };
        let key = |e: Error| match e {
            Error::Config { key, .. } => key,
            e => panic!("{e}"),
        };
        // Default on, turned off (with a warning) by conflicting settings.
        assert!(r(None, Acks::All, i32::MAX, 5).unwrap());
        assert!(!r(None, Acks::Leader, i32::MAX, 5).unwrap());
        assert!(!r(None, Acks::All, 0, 5).unwrap());
        assert!(!r(None, Acks::All, 1, 6).unwrap());
        assert!(!r(Some(false), Acks::All, i32::MAX, 6).unwrap());
        // Explicitly on: conflicts are errors naming both keys.
        assert!(r(Some(true), Acks::All, 1, 1).unwrap());
        assert_eq!(
            key(r(Some(true), Acks::None, 1, 1).unwrap_err()),
            "enable.idempotence and acks"
        );
        assert_eq!(
            key(r(Some(true), Acks::All, 0, 1).unwrap_err()),
            "enable.idempotence and retries"
        );
        assert_eq!(
            key(r(Some(true), Acks::All, 1, 6).unwrap_err()),
            "enable.idempotence and max.in.flight.requests.per.connection"
        );
    }

    #[test]
    fn bootstrap_servers_parsing() {
        let ok = |s: &str| parse_bootstrap_servers(s).unwrap();
        let owned = |v: &[(&str, u16)]| -> Vec<(String, u16)> {
            v.iter().map(|&(h, p)| (h.to_string(), p)).collect()
        };
        assert_eq!(ok("127.0.0.1:9092"), owned(&[("127.0.0.1", 9092)]));
        assert_eq!(
            ok("  kafka-1.example.com:9092 ,kafka_2:19092,localhost:65535  "),
            owned(&[
                ("kafka-1.example.com", 9092),
                ("kafka_2", 19092),
                ("localhost", 65535)
            ])
        );
        assert_eq!(
            ok("[::1]:9092, [2001:db8::10]:9093"),
            owned(&[("::1", 9092), ("2001:db8::10", 9093)])
        );
        assert_eq!(ok("a:1,a:2"), owned(&[("a", 1), ("a", 2)]));

        let bad = |s: &str| -> String {
            match parse_bootstrap_servers(s) {
                Err(Error::Config { key, message }) => {
                    assert_eq!(key, BOOTSTRAP_SERVERS);
                    message
                }
                other => panic!("{s:?}: {other:?}"),
            }
        };
        assert!(bad("").contains("must not be empty"));
        assert!(bad("   ").contains("must not be empty"));
        assert!(bad("a:1,,b:2").contains("empty entry"));
        assert!(bad("a:1,").contains("empty entry"));
        assert!(bad(",a:1").contains("empty entry"));
        assert!(bad("localhost").contains("missing port"));
        assert!(bad("localhost:").contains("missing port"));
        assert!(bad("a:1,b").contains("invalid entry \"b\""));
        assert!(bad(":9092").contains("missing host"));
        assert!(bad("h:0").contains("out of range"));
        assert!(bad("h:65536").contains("out of range"));
        assert!(bad("h:99999999999999999999").contains("out of range"));
        assert!(bad("h:-1").contains("not a number"));
        assert!(bad("h:+1").contains("not a number"));
        assert!(bad("h:90 92").contains("not a number"));
        assert!(bad("::1:9092").contains("brackets"));
        assert!(bad("[::1]").contains("missing port"));
        assert!(bad("[::1:9092").contains("missing `]`"));
        assert!(bad("[not-ipv6]:9092").contains("not an IPv6 address"));
        assert!(bad("[::1]9092").contains("missing port"));
        assert!(bad("a b:9092").contains("invalid character"));
        assert!(bad("://h:9092").contains("invalid character"));
        assert!(bad("a/b://h:9092").contains("invalid character"));
        // A listener prefix is ignored, as Java.
        assert_eq!(
            ok("PLAINTEXT://h:9092,SASL_SSL://[::1]:9093"),
            owned(&[("h", 9092), ("::1", 9093)])
        );
        assert!(bad("a:1, a:1").contains("listed twice"));
        // The message names the entry and the expected form.
        let m = bad("kafka:1,kafka");
        assert!(m.contains("\"kafka\"") && m.contains("host:port"), "{m}");
        // Through the config, missing is an error too.
        let e = ProducerConfig::from_properties([(CLIENT_ID, "x")]).unwrap_err();
        assert!(
            matches!(e, Error::Config { ref key, .. } if key == BOOTSTRAP_SERVERS),
            "{e}"
        );
        assert!(e.to_string().contains("required"), "{e}");
    }

    #[test]
    fn duplicate_keys_last_wins() {
        let c = with(&[(LINGER_MS, "-1"), (LINGER_MS, "7")]).unwrap();
        assert_eq!(c.linger, Duration::from_millis(7));
        let c = with(&[(" linger.ms ", "8")]).unwrap();
        assert_eq!(c.linger, Duration::from_millis(8));
    }

    #[test]
    fn properties_text_parsing() {
        let text = "# a comment\n\
                    ! another comment\n\
                    \n\
                    \x20  bootstrap.servers = a:1, \\\n\
                    \x20     b:2\n\
                    acks:1\n\
                    linger.ms 20\n\
                    client.id\t=  my\\tclient\\u00e9  \n\
                    batch.size=\\\n\
                    \x20 100\r\n\
                    max.block.ms : 5\r\
                    key\\=with\\:seps\\ x = v\n\
                    # a comment ending in a backslash does not continue \\\n\
                    empty\n\
                    emoji = \\ud83d\\ude00\n\
                    eq==\n";
        let props = parse_properties(text).unwrap();
        let expect = |k: &str, v: &str| {
            assert!(
                props.contains(&(k.to_string(), v.to_string())),
                "{k}={v:?} not in {props:?}"
            )
        };
        expect("bootstrap.servers", "a:1, b:2");
        expect("acks", "1");
        expect("linger.ms", "20");
        expect("client.id", "my\tclienté");
        expect("batch.size", "100");
        expect("max.block.ms", "5");
        expect("key=with:seps x", "v");
        expect("empty", "");
        expect("emoji", "😀");
        expect("eq", "=");
        assert_eq!(props.len(), 10, "{props:?}");

        assert!(parse_properties("a=\\u12").unwrap_err().contains("line 1"));
        assert!(
            parse_properties("\n\na=\\uzzzz")
                .unwrap_err()
                .contains("line 3")
        );
        assert!(parse_properties("a=\\ud83d").is_err());
    }

    #[test]
    fn properties_file() {
        let dir = std::env::temp_dir();
        let path = dir.join(format!(
            "kafka-producer-config-test-{}.properties",
            std::process::id()
        ));
        std::fs::write(
            &path,
            "# Java producer.properties\n\
             bootstrap.servers=localhost:9092,[::1]:9093\n\
             client.id = file-client\n\
             acks: 0\n\
             linger.ms=50\n\
             compression.type=none\n",
        )
        .unwrap();
        let c = ProducerConfig::from_properties_file(&path);
        std::fs::remove_file(&path).unwrap();
        let c = c.unwrap();
        assert_eq!(
            c,
            with(&[
                (BOOTSTRAP_SERVERS, "localhost:9092,[::1]:9093"),
                (CLIENT_ID, "file-client"),
                (ACKS, "0"),
                (LINGER_MS, "50"),
            ])
            .unwrap()
        );

        // Errors from the file's content name the key; unreadable files name the path.
        let path2 = dir.join(format!(
            "kafka-producer-config-test-{}-bad.properties",
            std::process::id()
        ));
        std::fs::write(&path2, "bootstrap.servers=h:1\nkey.serializer=x\n").unwrap();
        let e = ProducerConfig::from_properties_file(&path2).unwrap_err();
        std::fs::remove_file(&path2).unwrap();
        assert!(
            matches!(e, Error::Config { ref key, .. } if key == "key.serializer"),
            "{e}"
        );
        let missing = dir.join("kafka-producer-config-test-does-not-exist.properties");
        let e = ProducerConfig::from_properties_file(&missing).unwrap_err();
        assert!(
            matches!(e, Error::Config { ref key, ref message }
                if key.contains("does-not-exist") && message.contains("cannot read")),
            "{e}"
        );
        assert!(ProducerConfig::from_properties_str("bootstrap.servers=h:1\nacks=7").is_err());
    }

    #[test]
    fn enums_round_trip() {
        for a in [Acks::None, Acks::Leader, Acks::All] {
            assert_eq!(a.as_str().parse::<Acks>().unwrap(), a);
            assert_eq!(a.to_string(), a.as_str());
        }
        assert_eq!(
            [Acks::None, Acks::Leader, Acks::All].map(Acks::as_i16),
            [0, 1, -1]
        );
        for c in [
            CompressionType::None,
            CompressionType::Gzip,
            CompressionType::Snappy,
            CompressionType::Lz4,
            CompressionType::Zstd,
        ] {
            assert_eq!(c.as_str().parse::<CompressionType>().unwrap(), c);
            assert_eq!(c.to_string(), c.as_str());
        }
        for s in [
            MetadataRecoveryStrategy::None,
            MetadataRecoveryStrategy::Rebootstrap,
        ] {
            assert_eq!(s.as_str().parse::<MetadataRecoveryStrategy>().unwrap(), s);
            assert_eq!(s.to_string(), s.as_str());
        }
        for p in [
            SecurityProtocol::Plaintext,
            SecurityProtocol::Ssl,
            SecurityProtocol::SaslPlaintext,
            SecurityProtocol::SaslSsl,
        ] {
            assert_eq!(p.as_str().parse::<SecurityProtocol>().unwrap(), p);
            assert_eq!(p.to_string(), p.as_str());
        }
    }

    #[test]
    fn edit_distance_works() {
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("linger.ms", "linger.ms"), 0);
        assert_eq!(suggest_key("acks"), Some("acks"));
        assert_eq!(suggest_key("x"), None);
    }
}
