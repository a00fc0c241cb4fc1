//! The configuration definition, as Java's `ConfigDef`: one row per key.
//!
//! Each key is declared once, in the [`config_def!`] invocation at the end of this file, with
//! its name, value type, default, validator, importance and description. From that row the
//! macro generates:
//!
//! * the constant in [`keys`] (`keys::LINGER_MS`);
//! * the private field of [`ProducerConfig`] and its getter (`config.linger()`);
//! * the builder setter (`ProducerConfigBuilder::linger`), when the row names one;
//! * the parsing of the key's string value (through its validator), used by
//!   [`ProducerConfig::from_properties`] and the builder alike; the default is parsed the same
//!   way, as Java does;
//! * the line of the `Display` log and of [`ProducerConfig::to_properties`];
//! * the [`ConfigKey`] entry of [`CONFIG_KEYS`], from which the README table and
//!   [`markdown_table`](super::markdown_table) come.

use super::DEFAULT_ENABLE_IDEMPOTENCE;
use super::builder::ProducerConfigBuilder;
use super::key::{ConfigKey, Importance, Validator, Value, ValueType, default_value, parse_value};
use super::password::Password;
use super::types::{
    Acks, ClientDnsLookup, CompressionType, MetadataRecoveryStrategy, SecurityProtocol,
};
use crate::error::Error;
use crate::metrics::RecordingLevel;
use std::time::Duration;

/// Looks a key up in [`CONFIG_KEYS`].
///
/// ```
/// use kafka_producer::config::{config_key, Importance, ValueType};
/// let key = config_key("acks").unwrap();
/// assert_eq!(key.default, Some("all"));
/// assert_eq!(key.value_type, ValueType::String);
/// assert_eq!(key.importance, Importance::High);
/// assert!(config_key("nope").is_none());
/// ```
pub fn config_key(name: &str) -> Option<&'static ConfigKey> {
    CONFIG_KEYS.iter().find(|k| k.name == name)
}

/// Returns the getter's type: the field's own type, or the one given after `=>`.
macro_rules! getter_type {
    ($fty:ty) => {
        $fty
    };
    ($fty:ty, $gty:ty) => {
        $gty
    };
}

/// Declares every key once; see the module documentation for what is generated.
macro_rules! config_def {
    ($(
        $konst:ident = $name:literal => $field:ident: $fty:ty $(=> $gty:ty)? {
            type: $vtype:ident,
            default: $default:expr,
            valid: $valid:expr,
            importance: $imp:ident,
            $(setter: $setter:ident($arg:ident: $argty:ty) => $conv:expr,)?
            doc: $doc:literal $(,)?
        }
    )*) => {
        /// The configuration keys, as the Java client spells them.
        pub mod keys {
            $(
                #[doc = concat!("`", $name, "`")]
                pub const $konst: &str = $name;
            )*
        }

        /// Every key [`ProducerConfig`] accepts, sorted by name, with its Kafka 4.x default:
        /// Java's `ConfigDef` of the producer.
        ///
        /// The README's configuration table is generated from it:
        ///
        /// ```
        /// use kafka_producer::config::CONFIG_KEYS;
        /// for key in CONFIG_KEYS {
        ///     let default = key.default.unwrap_or("(none)");
        ///     println!("| `{}` | {} | {} | {} |", key.name, default, key.valid_values(), key.description);
        /// }
        /// assert!(CONFIG_KEYS.iter().any(|k| k.name == "linger.ms" && k.default == Some("5")));
        /// ```
        pub const CONFIG_KEYS: &[ConfigKey] = &[
            $(
                ConfigKey {
                    name: $name,
                    value_type: ValueType::$vtype,
                    default: $default,
                    validator: { use Validator::*; $valid },
                    importance: Importance::$imp,
                    description: $doc,
                },
            )*
        ];

        /// The producer's configuration, with the Java client's keys and Kafka 4.x's defaults.
        ///
        /// Build one from properties or with [`ProducerConfig::builder`]; both validate every
        /// value and apply the cross-key rules of Java's `ProducerConfig`. Once built it is
        /// read-only: one getter per key, named after the key (`linger.ms` is
        /// [`linger`](ProducerConfig::linger), a [`Duration`]).
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
        ///     config.bootstrap_servers(),
        ///     [("kafka-1".to_string(), 9092), ("::1".to_string(), 9093)]
        /// );
        /// assert_eq!(config.acks(), Acks::Leader);
        /// assert_eq!(config.linger(), Duration::from_millis(20));
        /// assert_eq!(config.batch_size(), 16384); // Kafka's default
        /// assert!(config.client_id().starts_with("producer-"));
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
            $(
                #[doc = concat!("`", $name, "`")]
                pub(super) $field: $fty,
            )*
            /// The OAUTHBEARER token provider given in code, if any (not a key).
            pub(super) token_provider: Option<super::token_provider::TokenProviderRef>,
            /// The Java producer keys that were set and are ignored (`key.serializer`,
            /// `enable.metrics.push`, ...), sorted by key, with their values.
            pub(super) java_only: super::java_only::JavaOnlyValues,
        }

        impl ProducerConfig {
            /// Every key at its default (parsed from the table); no bootstrap servers and an
            /// empty client id yet.
            pub(super) fn defaults() -> Self {
                ProducerConfig {
                    $($field: default_value($name),)*
                    token_provider: None,
                    java_only: Default::default(),
                }
            }

            /// Sets the field of `key` from its configuration string, through its validator.
            pub(super) fn set_value(&mut self, key: &ConfigKey, raw: &str) -> Result<(), Error> {
                match key.name {
                    $($name => self.$field = parse_value(key, raw)?,)*
                    other => unreachable!("`{other}` is not a row of CONFIG_KEYS"),
                }
                Ok(())
            }

            /// Every set key with its value as a configuration string, sorted by key: the rows
            /// of the table and the ignored Java keys that were set.
            pub(super) fn rendered(&self) -> Vec<(&'static str, String)> {
                let mut out = Vec::with_capacity(CONFIG_KEYS.len() + self.java_only.len());
                $(
                    if let Some(v) = Value::render(&self.$field) {
                        out.push(($name, v));
                    }
                )*
                out.extend(self.java_only.iter().cloned());
                out.sort_by_key(|&(k, _)| k);
                out
            }

            $(
                #[doc = concat!("`", $name, "`: ", $doc)]
                pub fn $field(&self) -> getter_type!($fty $(, $gty)?) {
                    Value::get(&self.$field)
                }
            )*
        }

        impl ProducerConfigBuilder {
            $($(
                #[doc = concat!("Sets `", $name, "`: ", $doc)]
                pub fn $setter(self, $arg: $argty) -> Self {
                    self.set($name, $conv)
                }
            )?)*
        }
    };
}

fn ms(d: Duration) -> String {
    d.as_millis().to_string()
}

// The definition. Rows sorted by key name (a unit test checks it).
config_def! {
    ACKS = "acks" => acks: Acks {
        type: String,
        default: Some("all"),
        valid: OneOf("all, -1, 0, 1"),
        importance: High,
        setter: acks(v: Acks) => v.as_str(),
        doc: "How many replicas must acknowledge a record: 0 (none), 1 (the leader) or \
              all/-1 (all in-sync replicas).",
    }
    ALLOW_AUTO_CREATE_TOPICS = "allow.auto.create.topics" => allow_auto_create_topics: bool {
        type: Boolean,
        default: Some("true"),
        valid: Any,
        importance: Medium,
        setter: allow_auto_create_topics(v: bool) => v.to_string(),
        doc: "Whether metadata requests ask the broker to create missing topics (if the \
              broker allows it). Not a Java producer key: the Java producer always asks.",
    }
    BATCH_SIZE = "batch.size" => batch_size: usize {
        type: Int,
        default: Some("16384"),
        valid: AtLeast(0),
        importance: Medium,
        setter: batch_size(v: usize) => v.to_string(),
        doc: "Upper bound, in bytes, of a batch of records for one partition; 0 disables \
              batching.",
    }
    BOOTSTRAP_SERVERS = "bootstrap.servers" => bootstrap_servers: Vec<(String, u16)>
        => &[(String, u16)] {
        type: List,
        default: None,
        valid: Described("host:port,... (IPv6 as [addr]:port); required"),
        importance: High,
        setter: bootstrap_servers(servers: impl Into<String>) => servers,
        doc: "Brokers to fetch the first metadata from, as (host, port); the cluster's other \
              brokers are discovered from it. IPv6 addresses are written in brackets, as \
              `[::1]:9092`, and kept without them.",
    }
    BUFFER_MEMORY = "buffer.memory" => buffer_memory: usize {
        type: Long,
        default: Some("33554432"),
        valid: AtLeast(0),
        importance: High,
        setter: buffer_memory(v: usize) => v.to_string(),
        doc: "Total bytes for records waiting to be sent; send() blocks up to max.block.ms \
              when it is full.",
    }
    CLIENT_DNS_LOOKUP = "client.dns.lookup" => client_dns_lookup: ClientDnsLookup {
        type: String,
        default: Some("use_all_dns_ips"),
        valid: OneOf("use_all_dns_ips, resolve_canonical_bootstrap_servers_only"),
        importance: Medium,
        setter: client_dns_lookup(v: ClientDnsLookup) => v.as_str(),
        doc: "How host names are resolved. use_all_dns_ips: a host's addresses are tried one \
              after another; a bootstrap server that does not resolve is skipped (with a \
              warning), and none resolving is an error. \
              resolve_canonical_bootstrap_servers_only: each bootstrap host is resolved to all \
              its addresses, each replaced by its canonical host name (reverse lookup), and \
              those names are the bootstrap list.",
    }
    CLIENT_ID = "client.id" => client_id: String => &str {
        type: String,
        default: None,
        valid: Any,
        importance: Medium,
        setter: client_id(id: impl Into<String>) => id,
        doc: "Name sent to the brokers with every request, for their logs and quotas. \
              Defaults to producer-N, N counting producers in the process from 1.",
    }
    COMPRESSION_GZIP_LEVEL = "compression.gzip.level" => compression_gzip_level: i32 {
        type: Int,
        default: Some("-1"),
        valid: BetweenOr(1, 9, -1),
        importance: Medium,
        setter: compression_gzip_level(v: i32) => v.to_string(),
        doc: "gzip compression level when compression.type=gzip (-1: the codec's default).",
    }
    COMPRESSION_LZ4_LEVEL = "compression.lz4.level" => compression_lz4_level: i32 {
        type: Int,
        default: Some("9"),
        valid: Between(1, 17),
        importance: Medium,
        setter: compression_lz4_level(v: i32) => v.to_string(),
        doc: "LZ4 compression level when compression.type=lz4.",
    }
    COMPRESSION_TYPE = "compression.type" => compression_type: CompressionType {
        type: String,
        default: Some("none"),
        valid: OneOf("none, gzip, snappy, lz4, zstd"),
        importance: High,
        setter: compression_type(v: CompressionType) => v.as_str(),
        doc: "Codec for record batches. Batches still fill to about batch.size: the \
              compression ratio is estimated per topic.",
    }
    COMPRESSION_ZSTD_LEVEL = "compression.zstd.level" => compression_zstd_level: i32 {
        type: Int,
        default: Some("3"),
        valid: Between(-131_072, 22),
        importance: Medium,
        setter: compression_zstd_level(v: i32) => v.to_string(),
        doc: "Zstandard compression level when compression.type=zstd.",
    }
    CONNECTIONS_MAX_IDLE_MS = "connections.max.idle.ms" => connections_max_idle: Duration {
        type: Long,
        default: Some("540000"),
        valid: AtLeast(0),
        importance: Medium,
        setter: connections_max_idle(v: Duration) => ms(v),
        doc: "Close connections idle for this long (ms).",
    }
    DELIVERY_TIMEOUT_MS = "delivery.timeout.ms" => delivery_timeout: Duration {
        type: Int,
        default: Some("120000"),
        valid: AtLeast(0),
        importance: Medium,
        setter: delivery_timeout(v: Duration) => ms(v),
        doc: "Upper bound (ms) on the time between send() returning and the record's outcome \
              being reported, retries included. Must be >= linger.ms + request.timeout.ms; \
              when not set explicitly it is raised to that sum, with a warning.",
    }
    ENABLE_IDEMPOTENCE = "enable.idempotence" => enable_idempotence: bool {
        type: Boolean,
        default: Some(bool_str(DEFAULT_ENABLE_IDEMPOTENCE)),
        valid: Any,
        importance: Low,
        setter: enable_idempotence(v: bool) => v.to_string(),
        doc: "Write each record exactly once per partition, in order, despite retries \
              (producer id, epoch and sequence numbers). Needs acks=all, retries > 0 and \
              max.in.flight.requests.per.connection <= 5: a conflict is an error when it is \
              set explicitly, and turns it off (with a warning) otherwise.",
    }
    LINGER_MS = "linger.ms" => linger: Duration {
        type: Long,
        default: Some("5"),
        valid: AtLeast(0),
        importance: Medium,
        setter: linger(v: Duration) => ms(v),
        doc: "How long (ms) to wait for more records before sending a batch that is not full.",
    }
    MAX_BLOCK_MS = "max.block.ms" => max_block: Duration {
        type: Long,
        default: Some("60000"),
        valid: AtLeast(0),
        importance: Medium,
        setter: max_block(v: Duration) => ms(v),
        doc: "How long (ms) send() and partitions_for() may block waiting for metadata or \
              buffer memory.",
    }
    MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION = "max.in.flight.requests.per.connection"
        => max_in_flight_requests_per_connection: usize {
        type: Int,
        default: Some("5"),
        valid: AtLeast(1),
        importance: Low,
        setter: max_in_flight_requests_per_connection(v: usize) => v.to_string(),
        doc: "Unacknowledged requests allowed per broker connection.",
    }
    MAX_REQUEST_SIZE = "max.request.size" => max_request_size: usize {
        type: Int,
        default: Some("1048576"),
        valid: AtLeast(0),
        importance: Medium,
        setter: max_request_size(v: usize) => v.to_string(),
        doc: "Largest request, in bytes; also caps the size of a record.",
    }
    METADATA_MAX_AGE_MS = "metadata.max.age.ms" => metadata_max_age: Duration {
        type: Long,
        default: Some("300000"),
        valid: AtLeast(0),
        importance: Low,
        setter: metadata_max_age(v: Duration) => ms(v),
        doc: "Refresh metadata at least this often (ms), even without errors.",
    }
    METADATA_MAX_IDLE_MS = "metadata.max.idle.ms" => metadata_max_idle: Duration {
        type: Long,
        default: Some("300000"),
        valid: AtLeast(5000),
        importance: Low,
        setter: metadata_max_idle(v: Duration) => ms(v),
        doc: "Forget a topic's metadata when nothing was sent to it for this long (ms).",
    }
    METADATA_RECOVERY_REBOOTSTRAP_TRIGGER_MS = "metadata.recovery.rebootstrap.trigger.ms"
        => metadata_recovery_rebootstrap_trigger: Duration {
        type: Long,
        default: Some("300000"),
        valid: AtLeast(0),
        importance: Low,
        setter: metadata_recovery_rebootstrap_trigger(v: Duration) => ms(v),
        doc: "Rebootstrap when a metadata update has been due for this long (ms) without \
              success, if metadata.recovery.strategy=rebootstrap.",
    }
    METADATA_RECOVERY_STRATEGY = "metadata.recovery.strategy"
        => metadata_recovery_strategy: MetadataRecoveryStrategy {
        type: String,
        default: Some("rebootstrap"),
        valid: OneOf("none, rebootstrap (case-insensitive)"),
        importance: Low,
        setter: metadata_recovery_strategy(v: MetadataRecoveryStrategy) => v.as_str(),
        doc: "What to do when no known broker is reachable: rebootstrap goes back to \
              bootstrap.servers.",
    }
    METRIC_REPORTERS = "metric.reporters" => metric_reporters: Vec<String> => &[String] {
        type: List,
        default: Some("org.apache.kafka.common.metrics.JmxReporter"),
        valid: JavaClasses,
        importance: Low,
        doc: "Java metrics reporter classes. Accepted so that Java properties load, checked to \
              be class names, then ignored with a log line: metrics reporters are given in \
              code (KafkaProducer::builder(..).metrics_reporter(..)).",
    }
    METRICS_NUM_SAMPLES = "metrics.num.samples" => metrics_num_samples: usize {
        type: Int,
        default: Some("2"),
        valid: AtLeast(1),
        importance: Low,
        setter: metrics_num_samples(v: usize) => v.to_string(),
        doc: "The number of samples maintained to compute metrics.",
    }
    METRICS_RECORDING_LEVEL = "metrics.recording.level" => metrics_recording_level: RecordingLevel {
        type: String,
        default: Some("INFO"),
        valid: OneOf("INFO, DEBUG, TRACE"),
        importance: Low,
        setter: metrics_recording_level(v: RecordingLevel) => v.name(),
        doc: "The highest recording level for metrics: sensors of a higher level (DEBUG, \
              TRACE) do not record.",
    }
    METRICS_SAMPLE_WINDOW_MS = "metrics.sample.window.ms" => metrics_sample_window: Duration {
        type: Long,
        default: Some("30000"),
        valid: AtLeast(0),
        importance: Low,
        setter: metrics_sample_window(v: Duration) => ms(v),
        doc: "The window of time (ms) a metrics sample is computed over.",
    }
    PARTITIONER_ADAPTIVE_PARTITIONING_ENABLE = "partitioner.adaptive.partitioning.enable"
        => partitioner_adaptive_partitioning_enable: bool {
        type: Boolean,
        default: Some("true"),
        valid: Any,
        importance: Low,
        setter: partitioner_adaptive_partitioning_enable(v: bool) => v.to_string(),
        doc: "Send more records to partitions on faster brokers when no key and no partition \
              is given.",
    }
    PARTITIONER_AVAILABILITY_TIMEOUT_MS = "partitioner.availability.timeout.ms"
        => partitioner_availability_timeout: Duration {
        type: Long,
        default: Some("0"),
        valid: AtLeast(0),
        importance: Low,
        setter: partitioner_availability_timeout(v: Duration) => ms(v),
        doc: "Treat a partition as unavailable when its broker has not taken produce requests \
              for this long (ms); 0 disables.",
    }
    PARTITIONER_IGNORE_KEYS = "partitioner.ignore.keys" => partitioner_ignore_keys: bool {
        type: Boolean,
        default: Some("false"),
        valid: Any,
        importance: Medium,
        setter: partitioner_ignore_keys(v: bool) => v.to_string(),
        doc: "Choose partitions without hashing the record key.",
    }
    RECEIVE_BUFFER_BYTES = "receive.buffer.bytes" => receive_buffer_bytes: i32 {
        type: Int,
        default: Some("32768"),
        valid: AtLeast(-1),
        importance: Medium,
        setter: receive_buffer_bytes(v: i32) => v.to_string(),
        doc: "TCP receive buffer (SO_RCVBUF) size; -1: the OS default.",
    }
    RECONNECT_BACKOFF_MAX_MS = "reconnect.backoff.max.ms" => reconnect_backoff_max: Duration {
        type: Long,
        default: Some("1000"),
        valid: AtLeast(0),
        importance: Low,
        setter: reconnect_backoff_max(v: Duration) => ms(v),
        doc: "Ceiling (ms) of the exponential backoff between reconnection attempts. When \
              unset but reconnect.backoff.ms is set, it takes that value.",
    }
    RECONNECT_BACKOFF_MS = "reconnect.backoff.ms" => reconnect_backoff: Duration {
        type: Long,
        default: Some("50"),
        valid: AtLeast(0),
        importance: Low,
        setter: reconnect_backoff(v: Duration) => ms(v),
        doc: "Initial wait (ms) before reconnecting to a broker.",
    }
    REQUEST_TIMEOUT_MS = "request.timeout.ms" => request_timeout: Duration {
        type: Int,
        default: Some("30000"),
        valid: AtLeast(0),
        importance: Medium,
        setter: request_timeout(v: Duration) => ms(v),
        doc: "How long (ms) to wait for a broker's response before failing or retrying the \
              request.",
    }
    RETRIES = "retries" => retries: i32 {
        type: Int,
        default: Some("2147483647"),
        valid: AtLeast(0),
        importance: High,
        setter: retries(v: i32) => v.to_string(),
        doc: "How many times to retry a failed send; delivery.timeout.ms bounds retries in \
              time.",
    }
    RETRY_BACKOFF_MAX_MS = "retry.backoff.max.ms" => retry_backoff_max: Duration {
        type: Long,
        default: Some("1000"),
        valid: AtLeast(0),
        importance: Low,
        setter: retry_backoff_max(v: Duration) => ms(v),
        doc: "Ceiling (ms) of the exponential backoff between retries. When smaller than \
              retry.backoff.ms it wins: the backoff is then constant (with a warning).",
    }
    RETRY_BACKOFF_MS = "retry.backoff.ms" => retry_backoff: Duration {
        type: Long,
        default: Some("100"),
        valid: AtLeast(0),
        importance: Low,
        setter: retry_backoff(v: Duration) => ms(v),
        doc: "Initial wait (ms) before retrying a failed request.",
    }
    SASL_JAAS_CONFIG = "sasl.jaas.config" => sasl_jaas_config: Option<Password>
        => Option<&Password> {
        type: Password,
        default: None,
        valid: Described("one JAAS login module entry, as Java: `<LoginModule> required \
                          key=\"value\" ...;` (PlainLoginModule, ScramLoginModule or \
                          OAuthBearerLoginModule)"),
        importance: Medium,
        setter: sasl_jaas_config(v: impl Into<String>) => v,
        doc: "The SASL login module and its options (user name, password, OAuth client \
              credentials), in Java's JAAS syntax. A secret: hidden in logs.",
    }
    SASL_LOGIN_CONNECT_TIMEOUT_MS = "sasl.login.connect.timeout.ms"
        => sasl_login_connect_timeout: Option<Duration> {
        type: Int,
        default: None,
        valid: AtLeast(0),
        importance: Low,
        doc: "OAUTHBEARER with a token endpoint: how long (ms) to wait for the connection to \
              it. Unset: 10 s (Java: no limit).",
    }
    SASL_LOGIN_READ_TIMEOUT_MS = "sasl.login.read.timeout.ms"
        => sasl_login_read_timeout: Option<Duration> {
        type: Int,
        default: None,
        valid: AtLeast(0),
        importance: Low,
        doc: "OAUTHBEARER with a token endpoint: how long (ms) to wait for its response. \
              Unset: 10 s (Java: no limit).",
    }
    SASL_LOGIN_REFRESH_BUFFER_SECONDS = "sasl.login.refresh.buffer.seconds"
        => sasl_login_refresh_buffer_seconds: i32 {
        type: Int,
        default: Some("300"),
        valid: Between(0, 3600),
        importance: Low,
        doc: "OAUTHBEARER: time (s) before the token expires that a refresh must leave.",
    }
    SASL_LOGIN_REFRESH_MIN_PERIOD_SECONDS = "sasl.login.refresh.min.period.seconds"
        => sasl_login_refresh_min_period_seconds: i32 {
        type: Int,
        default: Some("60"),
        valid: Between(0, 900),
        importance: Low,
        doc: "OAUTHBEARER: shortest time (s) between two token refreshes.",
    }
    SASL_LOGIN_REFRESH_WINDOW_FACTOR = "sasl.login.refresh.window.factor"
        => sasl_login_refresh_window_factor: f64 {
        type: Double,
        default: Some("0.8"),
        valid: Hundredths(50, 100),
        importance: Low,
        doc: "OAUTHBEARER: the token is refreshed after this fraction of its lifetime.",
    }
    SASL_LOGIN_REFRESH_WINDOW_JITTER = "sasl.login.refresh.window.jitter"
        => sasl_login_refresh_window_jitter: f64 {
        type: Double,
        default: Some("0.05"),
        valid: Hundredths(0, 25),
        importance: Low,
        doc: "OAUTHBEARER: random fraction of the lifetime added to the refresh time.",
    }
    SASL_LOGIN_RETRY_BACKOFF_MAX_MS = "sasl.login.retry.backoff.max.ms"
        => sasl_login_retry_backoff_max: Duration {
        type: Long,
        default: Some("10000"),
        valid: AtLeast(0),
        importance: Low,
        doc: "OAUTHBEARER with a token endpoint: ceiling (ms) of the backoff between attempts.",
    }
    SASL_LOGIN_RETRY_BACKOFF_MS = "sasl.login.retry.backoff.ms"
        => sasl_login_retry_backoff: Duration {
        type: Long,
        default: Some("100"),
        valid: AtLeast(0),
        importance: Low,
        doc: "OAUTHBEARER with a token endpoint: initial backoff (ms) between attempts.",
    }
    SASL_MECHANISM = "sasl.mechanism" => sasl_mechanism: String => &str {
        type: String,
        default: Some("GSSAPI"),
        valid: Described("PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER (GSSAPI, Java's \
                          default, is not supported)"),
        importance: Medium,
        setter: sasl_mechanism(v: impl Into<String>) => v,
        doc: "The SASL mechanism, with SASL_PLAINTEXT or SASL_SSL.",
    }
    SASL_OAUTHBEARER_CLIENT_CREDENTIALS_CLIENT_ID = "sasl.oauthbearer.client.credentials.client.id"
        => sasl_oauthbearer_client_credentials_client_id: Option<String> => Option<&str> {
        type: String,
        default: None,
        valid: Any,
        importance: Medium,
        setter: sasl_oauthbearer_client_credentials_client_id(v: impl Into<String>) => v,
        doc: "OAUTHBEARER with an http(s) token endpoint: the OAuth client id (KIP-1139). \
              Unset: the clientId option of sasl.jaas.config (deprecated in Java 4.1, with a \
              warning); set, it wins over that option.",
    }
    SASL_OAUTHBEARER_CLIENT_CREDENTIALS_CLIENT_SECRET =
        "sasl.oauthbearer.client.credentials.client.secret"
        => sasl_oauthbearer_client_credentials_client_secret: Option<Password>
        => Option<&Password> {
        type: Password,
        default: None,
        valid: Any,
        importance: Medium,
        setter: sasl_oauthbearer_client_credentials_client_secret(v: impl Into<String>) => v,
        doc: "OAUTHBEARER with an http(s) token endpoint: the OAuth client secret (KIP-1139). \
              Unset: the clientSecret option of sasl.jaas.config (deprecated in Java 4.1, with \
              a warning); set, it wins over that option. A secret: hidden in logs.",
    }
    SASL_OAUTHBEARER_HEADER_URLENCODE = "sasl.oauthbearer.header.urlencode"
        => sasl_oauthbearer_header_urlencode: bool {
        type: Boolean,
        default: Some("false"),
        valid: Any,
        importance: Low,
        doc: "OAUTHBEARER with a token endpoint: URL-encode the client id and secret in the \
              HTTP Basic authorization header (RFC 6749 2.3.1).",
    }
    SASL_OAUTHBEARER_SCOPE = "sasl.oauthbearer.scope"
        => sasl_oauthbearer_scope: Option<String> => Option<&str> {
        type: String,
        default: None,
        valid: Any,
        importance: Medium,
        setter: sasl_oauthbearer_scope(v: impl Into<String>) => v,
        doc: "OAUTHBEARER with an http(s) token endpoint: the scope requested (KIP-1139), \
              optional. Unset: the scope option of sasl.jaas.config (deprecated in Java 4.1, \
              with a warning); set, it wins over that option.",
    }
    SASL_OAUTHBEARER_SCOPE_CLAIM_NAME = "sasl.oauthbearer.scope.claim.name"
        => sasl_oauthbearer_scope_claim_name: String => &str {
        type: String,
        default: Some("scope"),
        valid: Any,
        importance: Low,
        doc: "OAUTHBEARER: the JWT claim that holds the token's scope.",
    }
    SASL_OAUTHBEARER_SUB_CLAIM_NAME = "sasl.oauthbearer.sub.claim.name"
        => sasl_oauthbearer_sub_claim_name: String => &str {
        type: String,
        default: Some("sub"),
        valid: Any,
        importance: Low,
        doc: "OAUTHBEARER: the JWT claim that holds the token's principal.",
    }
    SASL_OAUTHBEARER_TOKEN_ENDPOINT_URL = "sasl.oauthbearer.token.endpoint.url"
        => sasl_oauthbearer_token_endpoint_url: Option<String> => Option<&str> {
        type: String,
        default: None,
        valid: Described("http://, https:// or file: URL"),
        importance: Medium,
        setter: sasl_oauthbearer_token_endpoint_url(v: impl Into<String>) => v,
        doc: "OAUTHBEARER: the OAuth/OIDC token endpoint (client-credentials grant, with \
              sasl.oauthbearer.client.credentials.client.id and .client.secret, else clientId \
              and clientSecret from sasl.jaas.config), or a file: URL to read a token \
              from. Unset: unsecured JWTs made from sasl.jaas.config (testing only).",
    }
    SECURITY_PROTOCOL = "security.protocol" => security_protocol: SecurityProtocol {
        type: String,
        default: Some("PLAINTEXT"),
        valid: OneOf("PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL"),
        importance: Medium,
        setter: security_protocol(v: SecurityProtocol) => v.as_str(),
        doc: "Protocol used to talk to brokers.",
    }
    SEND_BUFFER_BYTES = "send.buffer.bytes" => send_buffer_bytes: i32 {
        type: Int,
        default: Some("131072"),
        valid: AtLeast(-1),
        importance: Medium,
        setter: send_buffer_bytes(v: i32) => v.to_string(),
        doc: "TCP send buffer (SO_SNDBUF) size; -1: the OS default.",
    }
    SOCKET_CONNECTION_SETUP_TIMEOUT_MAX_MS = "socket.connection.setup.timeout.max.ms"
        => socket_connection_setup_timeout_max: Duration {
        type: Long,
        default: Some("30000"),
        valid: AtLeast(0),
        importance: Medium,
        setter: socket_connection_setup_timeout_max(v: Duration) => ms(v),
        doc: "Ceiling (ms) of the exponentially growing connection setup timeout.",
    }
    SOCKET_CONNECTION_SETUP_TIMEOUT_MS = "socket.connection.setup.timeout.ms"
        => socket_connection_setup_timeout: Duration {
        type: Long,
        default: Some("10000"),
        valid: AtLeast(0),
        importance: Medium,
        setter: socket_connection_setup_timeout(v: Duration) => ms(v),
        doc: "How long (ms) to wait for a connection to be established.",
    }
    SSL_CIPHER_SUITES = "ssl.cipher.suites" => ssl_cipher_suites: Vec<String> => &[String] {
        type: List,
        default: None,
        valid: Described("Java's suite names (TLS_AES_128_GCM_SHA256, \
                          TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, ...) that rustls implements"),
        importance: Low,
        doc: "TLS cipher suites to offer. Unset: rustls's defaults (all its safe suites).",
    }
    SSL_ENABLED_PROTOCOLS = "ssl.enabled.protocols" => ssl_enabled_protocols: Vec<String>
        => &[String] {
        type: List,
        default: Some("TLSv1.2,TLSv1.3"),
        valid: Described("TLSv1.2, TLSv1.3"),
        importance: Medium,
        doc: "TLS versions to offer.",
    }
    SSL_ENDPOINT_IDENTIFICATION_ALGORITHM = "ssl.endpoint.identification.algorithm"
        => ssl_endpoint_identification_algorithm: String => &str {
        type: String,
        default: Some("https"),
        valid: Described("https, or empty to skip the host name check"),
        importance: Low,
        doc: "https: the broker's certificate must name the host connected to. Empty: only \
              the chain is verified (logged as a warning).",
    }
    SSL_KEY_PASSWORD = "ssl.key.password" => ssl_key_password: Option<Password>
        => Option<&Password> {
        type: Password,
        default: None,
        valid: Any,
        importance: High,
        doc: "Password of the client's private key (an encrypted PKCS#8 PEM key, or a key \
              entry of a PKCS12 keystore). A secret: hidden in logs.",
    }
    SSL_KEYSTORE_CERTIFICATE_CHAIN = "ssl.keystore.certificate.chain"
        => ssl_keystore_certificate_chain: Option<Password> => Option<&Password> {
        type: Password,
        default: None,
        valid: Any,
        importance: High,
        doc: "The client's certificate chain, inline in PEM (with ssl.keystore.type=PEM and \
              ssl.keystore.key).",
    }
    SSL_KEYSTORE_KEY = "ssl.keystore.key" => ssl_keystore_key: Option<Password>
        => Option<&Password> {
        type: Password,
        default: None,
        valid: Any,
        importance: High,
        doc: "The client's private key, inline in PEM (PKCS#8, encrypted with \
              ssl.key.password or not). A secret: hidden in logs.",
    }
    SSL_KEYSTORE_LOCATION = "ssl.keystore.location" => ssl_keystore_location: Option<String>
        => Option<&str> {
        type: String,
        default: None,
        valid: Any,
        importance: High,
        doc: "File of the client's key and certificate chain, for brokers that require \
              client certificates (mTLS).",
    }
    SSL_KEYSTORE_PASSWORD = "ssl.keystore.password" => ssl_keystore_password: Option<Password>
        => Option<&Password> {
        type: Password,
        default: None,
        valid: Any,
        importance: High,
        doc: "Password of the PKCS12 keystore. A secret: hidden in logs.",
    }
    SSL_KEYSTORE_TYPE = "ssl.keystore.type" => ssl_keystore_type: String => &str {
        type: String,
        default: Some("JKS"),
        valid: Described("PEM, PKCS12 (JKS: convert it to PKCS12 with keytool)"),
        importance: Medium,
        doc: "Format of the keystore.",
    }
    SSL_PROTOCOL = "ssl.protocol" => ssl_protocol: String => &str {
        type: String,
        default: Some("TLSv1.3"),
        valid: Described("TLSv1.2, TLSv1.3, TLS"),
        importance: Medium,
        doc: "The TLS protocol family (Java's SSLContext protocol); ssl.enabled.protocols \
              says which versions are offered.",
    }
    SSL_TRUSTSTORE_CERTIFICATES = "ssl.truststore.certificates"
        => ssl_truststore_certificates: Option<Password> => Option<&Password> {
        type: Password,
        default: None,
        valid: Any,
        importance: High,
        doc: "Trusted CA certificates, inline in PEM (with ssl.truststore.type=PEM).",
    }
    SSL_TRUSTSTORE_LOCATION = "ssl.truststore.location"
        => ssl_truststore_location: Option<String> => Option<&str> {
        type: String,
        default: None,
        valid: Any,
        importance: High,
        doc: "File of the trusted CA certificates. Unset (and no inline certificates): the \
              operating system's trust store.",
    }
    SSL_TRUSTSTORE_PASSWORD = "ssl.truststore.password"
        => ssl_truststore_password: Option<Password> => Option<&Password> {
        type: Password,
        default: None,
        valid: Any,
        importance: High,
        doc: "Password of the PKCS12 truststore (PKCS12 integrity). A secret: hidden in logs.",
    }
    SSL_TRUSTSTORE_TYPE = "ssl.truststore.type" => ssl_truststore_type: String => &str {
        type: String,
        default: Some("JKS"),
        valid: Described("PEM, PKCS12 (JKS: convert it to PKCS12 with keytool)"),
        importance: Medium,
        doc: "Format of the truststore.",
    }
    TRANSACTION_TIMEOUT_MS = "transaction.timeout.ms" => transaction_timeout: Duration {
        type: Int,
        default: Some("60000"),
        valid: AtLeast(1),
        importance: Low,
        setter: transaction_timeout(v: Duration) => ms(v),
        doc: "The longest time (ms) a transaction may stay open before the transaction \
              coordinator aborts it; the producer's next transactional call then fails. Must \
              not exceed the broker's transaction.max.timeout.ms (InitProducerId fails with \
              INVALID_TRANSACTION_TIMEOUT).",
    }
    TRANSACTIONAL_ID = "transactional.id" => transactional_id: Option<String>
        => Option<&str> {
        type: String,
        default: None,
        valid: Any,
        importance: Low,
        setter: transactional_id(v: impl Into<String>) => v.into(),
        doc: "The id that makes the producer transactional (init_transactions, \
              begin_transaction, commit_transaction, ...): one producer per id at a time, a new \
              one fences the old. Needs idempotence: setting it with enable.idempotence=false, \
              or with acks, retries or max.in.flight.requests.per.connection values idempotence \
              refuses, is an error.",
    }
}

const fn bool_str(b: bool) -> &'static str {
    if b { "true" } else { "false" }
}
