//! Unit tests of the configuration: defaults, parsing, validation, the table.

use super::keys::*;
use super::parse::*;
use super::validate::{edit_distance, resolve_idempotence, suggest_key};
use super::*;
use crate::error::Error;
use std::time::Duration;

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
    assert_eq!(c.bootstrap_servers(), vec![("localhost".to_string(), 9092)]);
    assert!(c.client_id().starts_with("producer-"), "{}", c.client_id());
    assert_eq!(c.acks(), Acks::All);
    assert_eq!(c.linger(), ms(5));
    assert_eq!(c.batch_size(), 16384);
    assert_eq!(c.buffer_memory(), 33_554_432);
    assert_eq!(c.max_block(), ms(60_000));
    assert_eq!(c.max_request_size(), 1_048_576);
    assert_eq!(c.request_timeout(), ms(30_000));
    assert_eq!(c.delivery_timeout(), ms(120_000));
    assert_eq!(c.retries(), 2_147_483_647);
    assert_eq!(c.retry_backoff(), ms(100));
    assert_eq!(c.retry_backoff_max(), ms(1000));
    assert_eq!(c.max_in_flight_requests_per_connection(), 5);
    assert_eq!(c.metadata_max_age(), ms(300_000));
    assert_eq!(c.metadata_max_idle(), ms(300_000));
    assert_eq!(c.reconnect_backoff(), ms(50));
    assert_eq!(c.reconnect_backoff_max(), ms(1000));
    assert_eq!(c.socket_connection_setup_timeout(), ms(10_000));
    assert_eq!(c.socket_connection_setup_timeout_max(), ms(30_000));
    assert_eq!(c.connections_max_idle(), ms(540_000));
    assert_eq!(c.send_buffer_bytes(), 131_072);
    assert_eq!(c.receive_buffer_bytes(), 32_768);
    assert!(c.allow_auto_create_topics());
    // Kafka 4.x: idempotent by default.
    assert!(c.enable_idempotence());
    assert_eq!(c.compression_type(), CompressionType::None);
    assert_eq!(c.compression_gzip_level(), -1);
    assert_eq!(c.compression_lz4_level(), 9);
    assert_eq!(c.compression_zstd_level(), 3);
    assert!(c.partitioner_adaptive_partitioning_enable());
    assert_eq!(c.partitioner_availability_timeout(), Duration::ZERO);
    assert!(!c.partitioner_ignore_keys());
    assert_eq!(
        c.metadata_recovery_strategy(),
        MetadataRecoveryStrategy::Rebootstrap
    );
    assert_eq!(c.metadata_recovery_rebootstrap_trigger(), ms(300_000));
    assert_eq!(c.transactional_id(), None);
    assert_eq!(c.security_protocol(), SecurityProtocol::Plaintext);
}

#[test]
fn client_id_sequence() {
    let a = ProducerConfig::from_properties([(BOOTSTRAP_SERVERS, "h:1")]).unwrap();
    let b = ProducerConfig::from_properties([(BOOTSTRAP_SERVERS, "h:1")]).unwrap();
    let n = |c: &ProducerConfig| -> u64 {
        c.client_id()
            .strip_prefix("producer-")
            .unwrap()
            .parse()
            .unwrap()
    };
    assert!(n(&a) >= 1);
    assert!(n(&b) > n(&a));
    // An explicit client id, even empty, is kept (as Java).
    let c = ProducerConfig::from_properties([(BOOTSTRAP_SERVERS, "h:1"), (CLIENT_ID, "")]).unwrap();
    assert_eq!(c.client_id(), "");
    let c =
        ProducerConfig::from_properties([(BOOTSTRAP_SERVERS, "h:1"), (CLIENT_ID, " me ")]).unwrap();
    assert_eq!(c.client_id(), "me");
}

#[test]
fn table_and_parser_agree() {
    // Every table key is accepted with its default, alone...
    for key in CONFIG_KEYS {
        if let Some(default) = key.default {
            with(&[(key.name, default)]).unwrap_or_else(|e| panic!("{}={default}: {e}", key.name));
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
    assert_eq!(
        no_default,
        [
            BOOTSTRAP_SERVERS,
            CLIENT_ID,
            SASL_JAAS_CONFIG,
            SASL_LOGIN_CONNECT_TIMEOUT_MS,
            SASL_LOGIN_READ_TIMEOUT_MS,
            SASL_OAUTHBEARER_CLIENT_CREDENTIALS_CLIENT_ID,
            SASL_OAUTHBEARER_CLIENT_CREDENTIALS_CLIENT_SECRET,
            SASL_OAUTHBEARER_SCOPE,
            SASL_OAUTHBEARER_TOKEN_ENDPOINT_URL,
            SSL_CIPHER_SUITES,
            SSL_KEY_PASSWORD,
            SSL_KEYSTORE_CERTIFICATE_CHAIN,
            SSL_KEYSTORE_KEY,
            SSL_KEYSTORE_LOCATION,
            SSL_KEYSTORE_PASSWORD,
            SSL_TRUSTSTORE_CERTIFICATES,
            SSL_TRUSTSTORE_LOCATION,
            SSL_TRUSTSTORE_PASSWORD,
            TRANSACTIONAL_ID
        ]
    );
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
        .filter(|&k| {
            // Unset optional values are not listed.
            config_key(k).unwrap().default.is_some()
                || [BOOTSTRAP_SERVERS, CLIENT_ID, SSL_CIPHER_SUITES].contains(&k)
        })
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
        .transaction_timeout(ms(30_000))
        .security_protocol(SecurityProtocol::Plaintext)
        .client_dns_lookup(ClientDnsLookup::ResolveCanonicalBootstrapServersOnly)
        .metrics_num_samples(3)
        .metrics_sample_window(ms(1000))
        .metrics_recording_level(crate::metrics::RecordingLevel::Debug)
        .set("metric.reporters", "com.acme.Reporter")
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
        ("transaction.timeout.ms", "30000"),
        ("security.protocol", "plaintext"),
        (
            "client.dns.lookup",
            "resolve_canonical_bootstrap_servers_only",
        ),
        ("metrics.num.samples", "3"),
        ("metrics.sample.window.ms", "1000"),
        ("metrics.recording.level", "DEBUG"),
        ("metric.reporters", "com.acme.Reporter"),
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
    // All but transactional.id (unset: listed only when set; it needs idempotence), the TLS and SASL keys (tested in
    // `security_keys_round_trip`) and security.protocol (set to its default here).
    let security = CONFIG_KEYS
        .iter()
        .filter(|k| k.name.starts_with("ssl.") || k.name.starts_with("sasl."))
        .count();
    assert_eq!(differing, CONFIG_KEYS.len() - 2 - security);

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
        (SECURITY_PROTOCOL, &["TLS", "SASL", ""]),
        (SASL_LOGIN_CONNECT_TIMEOUT_MS, &["-1", "x"]),
        (SASL_LOGIN_READ_TIMEOUT_MS, &["-1"]),
        (SASL_LOGIN_REFRESH_BUFFER_SECONDS, &["-1", "3601"]),
        (SASL_LOGIN_REFRESH_MIN_PERIOD_SECONDS, &["-1", "901"]),
        (SASL_LOGIN_REFRESH_WINDOW_FACTOR, &["0.4", "1.1", "x"]),
        (SASL_LOGIN_REFRESH_WINDOW_JITTER, &["-0.1", "0.26"]),
        (SASL_LOGIN_RETRY_BACKOFF_MAX_MS, &["-1"]),
        (SASL_LOGIN_RETRY_BACKOFF_MS, &["-1"]),
        (SASL_OAUTHBEARER_HEADER_URLENCODE, &["yes"]),
        (SEND_BUFFER_BYTES, &["-2"]),
        (SOCKET_CONNECTION_SETUP_TIMEOUT_MAX_MS, &["-1"]),
        (SOCKET_CONNECTION_SETUP_TIMEOUT_MS, &["-1"]),
        (TRANSACTIONAL_ID, &[""]),
        (TRANSACTION_TIMEOUT_MS, &["0", "-1"]),
        (BOOTSTRAP_SERVERS, &["", "h", "h:0"]),
        (CLIENT_DNS_LOOKUP, &["default", ""]),
        (METRIC_REPORTERS, &["Jmx Reporter", "org..JmxReporter"]),
        (METRICS_NUM_SAMPLES, &["0", "2147483648"]),
        (METRICS_RECORDING_LEVEL, &["info", "WARN", ""]),
        (METRICS_SAMPLE_WINDOW_MS, &["-1", "x"]),
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
    // Every key with a range is covered (free strings and secrets have none; the SASL and
    // TLS strings are checked when the producer is built).
    for k in CONFIG_KEYS {
        let free = matches!(
            k.value_type,
            ValueType::String | ValueType::Password | ValueType::List
        ) && (k.name.starts_with("ssl.") || k.name.starts_with("sasl."));
        if k.name != CLIENT_ID && !free {
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
    assert_eq!(
        with(&[(SECURITY_PROTOCOL, "ssl")])
            .unwrap()
            .security_protocol(),
        SecurityProtocol::Ssl
    );
    // SASL needs a mechanism this crate implements; Java's default is Kerberos.
    let m = show(&[(SECURITY_PROTOCOL, "SASL_SSL")]);
    assert!(m.contains("sasl.mechanism") && m.contains("GSSAPI"), "{m}");
    assert!(m.contains("SCRAM-SHA-512"), "{m}");
    let m = show(&[
        (SECURITY_PROTOCOL, "SASL_PLAINTEXT"),
        (SASL_MECHANISM, "DIGEST-MD5"),
    ]);
    assert!(m.contains("DIGEST-MD5") && m.contains("OAUTHBEARER"), "{m}");
    let c = with(&[
        (SECURITY_PROTOCOL, "SASL_PLAINTEXT"),
        (SASL_MECHANISM, "PLAIN"),
    ])
    .unwrap();
    assert_eq!(c.sasl_mechanism(), "PLAIN");
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
    assert_eq!(
        with(&[(TRANSACTIONAL_ID, "tx")])
            .unwrap()
            .transactional_id(),
        Some("tx")
    );
    // Transactions need idempotence (Java's postProcessAndValidateIdempotenceConfigs).
    assert!(
        show(&[(TRANSACTIONAL_ID, "tx"), (ENABLE_IDEMPOTENCE, "false")])
            .contains("without also enabling idempotence")
    );
    assert!(show(&[(TRANSACTIONAL_ID, "tx"), (ACKS, "1")]).contains("acks"));
    assert!(show(&[(TRANSACTIONAL_ID, "")]).contains("must not be empty"));
    assert!(show(&[(TRANSACTION_TIMEOUT_MS, "0")]).contains("must be >= 1"));
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
    assert_eq!(c.compression_zstd_level(), -131_072);
    assert_eq!(c.acks(), Acks::All);
    assert_eq!(c.linger(), Duration::from_millis(3));
    assert_eq!(c.retries(), 0);
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

    // A typo of a Java key this crate accepts and ignores gets the hint too.
    let (_, m) = err(&[("key.serialiser", "x.Y")]);
    assert!(m.contains("did you mean `key.serializer`?"), "{m}");
    let (_, m) = err(&[("sasl.kerberos.service.nam", "kafka")]);
    assert!(
        m.contains("did you mean `sasl.kerberos.service.name`?"),
        "{m}"
    );
}

#[test]
fn delivery_timeout_rule() {
    let ms = Duration::from_millis;
    // Not set: raised to linger.ms + request.timeout.ms.
    let c = with(&[(LINGER_MS, "100000"), (REQUEST_TIMEOUT_MS, "30000")]).unwrap();
    assert_eq!(c.delivery_timeout(), ms(130_000));
    // Not set and the default is enough: unchanged.
    let c = with(&[(LINGER_MS, "1000")]).unwrap();
    assert_eq!(c.delivery_timeout(), ms(120_000));
    // The sum is capped at i32::MAX, as Java.
    let c = with(&[(LINGER_MS, "9223372036854775807")]).unwrap();
    assert_eq!(c.delivery_timeout(), ms(i32::MAX as u64));
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
    assert_eq!(c.delivery_timeout(), ms(30_005));
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
        (c.reconnect_backoff(), c.reconnect_backoff_max()),
        (ms(200), ms(200))
    );
    let c = with(&[
        (RECONNECT_BACKOFF_MS, "200"),
        (RECONNECT_BACKOFF_MAX_MS, "5000"),
    ])
    .unwrap();
    assert_eq!(
        (c.reconnect_backoff(), c.reconnect_backoff_max()),
        (ms(200), ms(5000))
    );
    let c = with(&[(RECONNECT_BACKOFF_MAX_MS, "5000")]).unwrap();
    assert_eq!(
        (c.reconnect_backoff(), c.reconnect_backoff_max()),
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
    assert_eq!(c.linger(), Duration::from_millis(7));
    let c = with(&[(" linger.ms ", "8")]).unwrap();
    assert_eq!(c.linger(), Duration::from_millis(8));
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
    // Trailing (and escaped) whitespace is kept, as Java's Properties.load.
    expect("client.id", "my\tclienté  ");
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
fn properties_keep_escaped_and_trailing_whitespace_and_config_values_are_trimmed() {
    let props = parse_properties("sep=\\t\ntab = \\t x \\t \nspaces = a  \n").unwrap();
    assert_eq!(
        props,
        vec![
            ("sep".to_string(), "\t".to_string()),
            ("tab".to_string(), "\t x \t ".to_string()),
            ("spaces".to_string(), "a  ".to_string()),
        ]
    );
    // The configuration trims the values of its keys, of every type, as Java's ConfigDef.
    let c = ProducerConfig::from_properties_str(
        "bootstrap.servers = a:1 \\t\n\
         acks = 0 \\t\n\
         linger.ms = 7  \n\
         client.id = my-id \\t \n\
         compression.type = gzip \\t\n\
         security.protocol = SASL_SSL \\t\n\
         sasl.mechanism = PLAIN \\t\n\
         sasl.jaas.config = x \\t\n\
         client.dns.lookup = use_all_dns_ips \\t\n\
         metrics.recording.level = DEBUG \\t\n\
         ssl.enabled.protocols = TLSv1.3 \\t\n\
         sasl.login.refresh.window.factor = 0.9 \\t\n\
         enable.idempotence = false \\t\n\
         key.serializer = org.apache.kafka.common.serialization.StringSerializer \\t\n",
    )
    .unwrap();
    assert_eq!(c.bootstrap_servers(), [("a".to_string(), 1)]);
    assert_eq!(c.acks(), Acks::None);
    assert!(!c.enable_idempotence());
    assert_eq!(c.linger(), Duration::from_millis(7));
    assert_eq!(c.client_id(), "my-id");
    assert_eq!(c.compression_type(), CompressionType::Gzip);
    assert_eq!(c.sasl_mechanism(), "PLAIN");
    assert_eq!(c.sasl_jaas_config().unwrap().value(), "x");
    assert_eq!(c.ssl_enabled_protocols(), ["TLSv1.3".to_string()]);
    assert_eq!(c.sasl_login_refresh_window_factor(), 0.9);
    assert!(c.to_properties().contains(&(
        "key.serializer".to_string(),
        "org.apache.kafka.common.serialization.StringSerializer".to_string()
    )));
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
    std::fs::write(
        &path2,
        "bootstrap.servers=h:1\nkey.serializer=String Serializer\n",
    )
    .unwrap();
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

#[test]
fn readme_table_is_current() {
    // Regenerate with `cargo run --example config_table` and paste it into README.md.
    let readme = include_str!("../../README.md");
    assert!(
        readme.contains(&markdown_table()),
        "README.md's configuration table is stale: regenerate it with \
         `cargo run --example config_table`"
    );
}

#[test]
fn every_row_is_consistent() {
    for key in CONFIG_KEYS {
        // The validator's own values are accepted by the type.
        if let Some(default) = key.default {
            assert!(!default.is_empty(), "{}", key.name);
        }
        assert!(!key.description.is_empty(), "{}", key.name);
        assert!(!key.valid_values().is_empty(), "{}", key.name);
    }
    assert_eq!(
        config_key(ENABLE_IDEMPOTENCE).unwrap().default,
        Some(if DEFAULT_ENABLE_IDEMPOTENCE {
            "true"
        } else {
            "false"
        })
    );
    // transactional.id without idempotence is refused, with Java's key in the error.
    let (key, message) = err(&[(TRANSACTIONAL_ID, "tx"), (RETRIES, "0")]);
    assert_eq!(key, TRANSACTIONAL_ID);
    assert!(message.contains("idempotence"), "{message}");
}

#[test]
fn security_keys_round_trip_and_secrets_stay_hidden() {
    let secret = "s3cr3t-Value";
    let jaas = format!(
        "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"u\" \
         password=\"{secret}\";"
    );
    let jaas: &'static str = Box::leak(jaas.into_boxed_str());
    let c = with(&[
        (SECURITY_PROTOCOL, "SASL_SSL"),
        (SASL_MECHANISM, "SCRAM-SHA-512"),
        (SASL_JAAS_CONFIG, jaas),
        (SSL_KEY_PASSWORD, secret),
        (SSL_KEYSTORE_PASSWORD, secret),
        (SSL_TRUSTSTORE_PASSWORD, secret),
        (SSL_KEYSTORE_KEY, secret),
        (SSL_ENABLED_PROTOCOLS, " TLSv1.3 ,"),
        (SSL_ENDPOINT_IDENTIFICATION_ALGORITHM, ""),
        (SASL_LOGIN_REFRESH_WINDOW_FACTOR, "0.9"),
        (SASL_LOGIN_CONNECT_TIMEOUT_MS, "2500"),
    ])
    .unwrap();
    assert_eq!(c.sasl_jaas_config().unwrap().value(), jaas);
    assert_eq!(c.ssl_enabled_protocols(), ["TLSv1.3"]);
    assert_eq!(c.ssl_endpoint_identification_algorithm(), "");
    assert_eq!(c.sasl_login_refresh_window_factor(), 0.9);
    assert_eq!(
        c.sasl_login_connect_timeout(),
        Some(Duration::from_millis(2500))
    );
    assert_eq!(c.sasl_login_read_timeout(), None);
    // The log and Debug hide every secret; to_properties keeps them so that it round-trips.
    let shown = format!("{c}\n{c:?}");
    assert!(!shown.contains(secret), "{shown}");
    assert!(shown.contains("sasl.jaas.config = [hidden]"), "{shown}");
    assert_eq!(
        ProducerConfig::from_properties(c.to_properties()).unwrap(),
        c
    );
    let builder = ProducerConfig::builder()
        .bootstrap_servers("h:1")
        .sasl_jaas_config(jaas)
        .set(SSL_KEY_PASSWORD, secret);
    assert!(!format!("{builder:?}").contains(secret), "{builder:?}");
}

// ---------------------------------------------------------------------------------------------
// Java producer.properties: class keys, Java keys accepted and ignored, the metrics and DNS rows.

const STRING_SERIALIZER: &str = "org.apache.kafka.common.serialization.StringSerializer";

#[test]
fn java_class_names() {
    use super::java_only::is_java_class_name;
    for ok in [
        STRING_SERIALIZER,
        "com.acme.MyInterceptor",
        "com.acme.Outer$Inner",
        "_x.$y.Z1",
        "Single",
    ] {
        assert!(is_java_class_name(ok), "{ok}");
    }
    for bad in [
        "",
        "String Serializer",
        "org..Foo",
        ".org.Foo",
        "org.Foo.",
        "org.1Foo",
        "org.Foo-Bar",
        "org.Foo;",
    ] {
        assert!(!is_java_class_name(bad), "{bad:?}");
    }
}

#[test]
fn serializer_keys_are_checked_then_ignored() {
    for key in ["key.serializer", "value.serializer"] {
        let c = with(&[(key, STRING_SERIALIZER)]).unwrap();
        assert!(
            c.to_properties()
                .contains(&(key.to_string(), STRING_SERIALIZER.to_string()))
        );
        assert!(
            c.to_string()
                .contains(&format!("\n\t{key} = {STRING_SERIALIZER}")),
            "{c}"
        );
        // Custom serializers (warned) too.
        with(&[(key, "io.confluent.kafka.serializers.KafkaAvroSerializer")]).unwrap();
        for bad in ["String Serializer", "org..Foo", "", "  "] {
            let (k, m) = err(&[(key, bad)]);
            assert_eq!(k, key);
            assert!(m.contains("is not a Java class name"), "{m}");
        }
    }
}

#[test]
fn list_class_keys() {
    let c = with(&[
        (
            "interceptor.classes",
            "com.acme.AuditInterceptor, com.acme.Other",
        ),
        (
            "partitioner.class",
            "org.apache.kafka.clients.producer.RoundRobinPartitioner",
        ),
    ])
    .unwrap();
    let props = c.to_properties();
    assert!(props.contains(&(
        "interceptor.classes".to_string(),
        "com.acme.AuditInterceptor, com.acme.Other".to_string()
    )));
    // Empty list: Java's default.
    with(&[("interceptor.classes", "")]).unwrap();
    let (k, m) = err(&[("interceptor.classes", "com.acme.A,com acme B")]);
    assert_eq!(k, "interceptor.classes");
    assert!(
        m.contains("comma-separated list of Java class names"),
        "{m}"
    );
    assert!(m.contains("\"com acme B\" is malformed"), "{m}");
    let (_, m) = err(&[("partitioner.class", "org..RoundRobinPartitioner")]);
    assert!(m.contains("is not a Java class name"), "{m}");
}

#[test]
fn security_class_keys_accept_only_kafka_defaults() {
    let sasl = |extra: &[(&'static str, &'static str)]| {
        let mut props = vec![
            (SECURITY_PROTOCOL, "SASL_SSL"),
            (SASL_MECHANISM, "OAUTHBEARER"),
            (
                SASL_JAAS_CONFIG,
                "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required \
                 clientId=\"c\" clientSecret=\"s\";",
            ),
        ];
        props.extend_from_slice(extra);
        props
    };
    let endpoint = (
        SASL_OAUTHBEARER_TOKEN_ENDPOINT_URL,
        "https://idp.example/token",
    );
    for handler in [
        "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler",
        "org.apache.kafka.common.security.oauthbearer.secured.OAuthBearerLoginCallbackHandler",
    ] {
        with(&sasl(&[
            endpoint,
            ("sasl.login.callback.handler.class", handler),
        ]))
        .unwrap();
        // Without the endpoint the crate would send unsecured JWTs: refused.
        let (k, m) = err(&sasl(&[("sasl.login.callback.handler.class", handler)]));
        assert_eq!(k, "sasl.login.callback.handler.class");
        assert!(m.contains("sasl.oauthbearer.token.endpoint.url"), "{m}");
    }
    let unsecured = "org.apache.kafka.common.security.oauthbearer.internals.unsecured.\
                     OAuthBearerUnsecuredLoginCallbackHandler";
    with(&sasl(&[("sasl.login.callback.handler.class", unsecured)])).unwrap();
    err(&sasl(&[
        endpoint,
        ("sasl.login.callback.handler.class", unsecured),
    ]));

    for (key, known) in [
        (
            "sasl.login.class",
            "org.apache.kafka.common.security.oauthbearer.internals.OAuthBearerRefreshingLogin",
        ),
        (
            "sasl.client.callback.handler.class",
            "org.apache.kafka.common.security.authenticator.SaslClientCallbackHandler",
        ),
        (
            "ssl.engine.factory.class",
            "org.apache.kafka.common.security.ssl.DefaultSslEngineFactory",
        ),
        (
            "sasl.oauthbearer.jwt.retriever.class",
            "org.apache.kafka.common.security.oauthbearer.DefaultJwtRetriever",
        ),
    ] {
        with(&sasl(&[endpoint, (key, known)])).unwrap();
        // A custom class stays an error, with a clear message.
        let (k, m) = err(&sasl(&[endpoint, (key, "com.acme.MySecurityPlugin")]));
        assert_eq!(k, key);
        assert!(
            m.contains("custom Java class \"com.acme.MySecurityPlugin\" cannot be used"),
            "{m}"
        );
        assert!(m.contains("authenticates"), "{m}");
        // A malformed one is a malformed class name.
        let (_, m) = err(&[(key, "com acme")]);
        assert!(m.contains("is not a Java class name"), "{m}");
    }
    let (_, m) = err(&[(
        "sasl.login.callback.handler.class",
        "com.acme.VaultLoginCallbackHandler",
    )]);
    assert!(m.contains("remove this setting"), "{m}");
}

#[test]
fn kafka_jwt_retrievers_are_accepted_when_they_match_the_token_endpoint() {
    let sasl = |extra: &[(&'static str, &'static str)]| {
        let mut props = vec![
            (SECURITY_PROTOCOL, "SASL_SSL"),
            (SASL_MECHANISM, "OAUTHBEARER"),
            (
                SASL_JAAS_CONFIG,
                "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required \
                 clientId=\"c\" clientSecret=\"s\";",
            ),
        ];
        props.extend_from_slice(extra);
        props
    };
    const KEY: &str = "sasl.oauthbearer.jwt.retriever.class";
    let https = (
        SASL_OAUTHBEARER_TOKEN_ENDPOINT_URL,
        "https://idp.example/token",
    );
    let file = (SASL_OAUTHBEARER_TOKEN_ENDPOINT_URL, "file:/run/token.jwt");
    let client_credentials =
        "org.apache.kafka.common.security.oauthbearer.ClientCredentialsJwtRetriever";
    let file_retriever = "org.apache.kafka.common.security.oauthbearer.FileJwtRetriever";
    with(&sasl(&[https, (KEY, client_credentials)])).unwrap();
    with(&sasl(&[file, (KEY, file_retriever)])).unwrap();
    for (endpoint, class) in [(file, client_credentials), (https, file_retriever)] {
        let (k, m) = err(&sasl(&[endpoint, (KEY, class)]));
        assert_eq!(k, KEY);
        assert!(m.contains("sasl.oauthbearer.token.endpoint.url"), "{m}");
    }
    let (k, m) = err(&sasl(&[(KEY, client_credentials)]));
    assert_eq!(k, KEY);
    assert!(m.contains("unsecured"), "{m}");
    // Kafka's client-side validators too.
    for validator in [
        "org.apache.kafka.common.security.oauthbearer.DefaultJwtValidator",
        "org.apache.kafka.common.security.oauthbearer.ClientJwtValidator",
    ] {
        with(&sasl(&[
            https,
            ("sasl.oauthbearer.jwt.validator.class", validator),
        ]))
        .unwrap();
    }
}

#[test]
fn oauth_client_credentials_keys_are_config_rows_with_the_secret_hidden() {
    // KIP-1139 (Java 4.1): real keys, null by default, the secret a password.
    for (key, value_type) in [
        (
            SASL_OAUTHBEARER_CLIENT_CREDENTIALS_CLIENT_ID,
            ValueType::String,
        ),
        (
            SASL_OAUTHBEARER_CLIENT_CREDENTIALS_CLIENT_SECRET,
            ValueType::Password,
        ),
        (SASL_OAUTHBEARER_SCOPE, ValueType::String),
    ] {
        let k = config_key(key).unwrap();
        assert_eq!(k.value_type, value_type, "{key}");
        assert_eq!(k.default, None, "{key}");
        assert_eq!(k.importance, Importance::Medium, "{key}");
        assert!(
            crate::config::java_only::java_only_key(key).is_none(),
            "{key}"
        );
    }
    let unset = with(&[]).unwrap();
    assert_eq!(unset.sasl_oauthbearer_client_credentials_client_id(), None);
    assert_eq!(
        unset.sasl_oauthbearer_client_credentials_client_secret(),
        None
    );
    assert_eq!(unset.sasl_oauthbearer_scope(), None);

    const SECRET: &str = "S3CRET-client-secret";
    let c = with(&[
        (
            SASL_OAUTHBEARER_CLIENT_CREDENTIALS_CLIENT_ID,
            " producer-app ",
        ),
        (SASL_OAUTHBEARER_CLIENT_CREDENTIALS_CLIENT_SECRET, SECRET),
        (SASL_OAUTHBEARER_SCOPE, "kafka produce"),
    ])
    .unwrap();
    assert_eq!(
        c.sasl_oauthbearer_client_credentials_client_id(),
        Some("producer-app")
    );
    assert_eq!(
        c.sasl_oauthbearer_client_credentials_client_secret()
            .map(Password::value),
        Some(SECRET)
    );
    assert_eq!(c.sasl_oauthbearer_scope(), Some("kafka produce"));
    // The builder's setters give the same config.
    let built = ProducerConfig::builder()
        .bootstrap_servers("localhost:9092")
        .client_id("test")
        .sasl_oauthbearer_client_credentials_client_id("producer-app")
        .sasl_oauthbearer_client_credentials_client_secret(SECRET)
        .sasl_oauthbearer_scope("kafka produce");
    assert!(!format!("{built:?}").contains(SECRET));
    assert_eq!(built.build().unwrap(), c);
    // Display (Java's "ProducerConfig values:") and Debug hide the secret, not the others.
    let shown = c.to_string();
    assert!(!shown.contains(SECRET), "{shown}");
    assert!(
        shown.contains("\n\tsasl.oauthbearer.client.credentials.client.secret = [hidden]\n"),
        "{shown}"
    );
    assert!(
        shown.contains("\n\tsasl.oauthbearer.client.credentials.client.id = producer-app\n"),
        "{shown}"
    );
    assert!(!format!("{c:?}").contains(SECRET));
    assert!(!format!("{c:#?}").contains(SECRET));
    // to_properties carries the real value (as for sasl.jaas.config), so it round-trips.
    let props = c.to_properties();
    assert!(props.contains(&(
        SASL_OAUTHBEARER_CLIENT_CREDENTIALS_CLIENT_SECRET.to_string(),
        SECRET.to_string()
    )));
    assert_eq!(ProducerConfig::from_properties(props).unwrap(), c);
}

#[test]
fn string_serializer_encoding_keys_accept_only_utf8() {
    for key in [
        "key.serializer.encoding",
        "value.serializer.encoding",
        "serializer.encoding",
    ] {
        for v in ["UTF8", "utf-8", " UTF-8 "] {
            with(&[(key, v)]).unwrap();
        }
        let (k, m) = err(&[(key, "ISO-8859-1")]);
        assert_eq!(k, key);
        assert!(m.contains("only UTF-8"), "{m}");
        assert!(m.contains("Rust strings are UTF-8"), "{m}");
    }
}

#[test]
fn unknown_keys_are_accepted_with_a_custom_plugin_class() {
    let avro = "io.confluent.kafka.serializers.KafkaAvroSerializer";
    for class_key in [
        "key.serializer",
        "value.serializer",
        "interceptor.classes",
        "partitioner.class",
        "metric.reporters",
    ] {
        let c = with(&[
            (class_key, avro),
            ("schema.registry.url", "http://registry:8081"),
            ("basic.auth.credentials.source", "USER_INFO"),
        ])
        .unwrap();
        // Not kept: they are not this crate's settings.
        assert!(
            !c.to_properties()
                .iter()
                .any(|(k, _)| k == "schema.registry.url")
        );
    }
    // A list with a custom class among Kafka's.
    with(&[
        (
            METRIC_REPORTERS,
            "org.apache.kafka.common.metrics.JmxReporter, com.acme.Reporter",
        ),
        ("acme.reporter.url", "x"),
    ])
    .unwrap();
    assert_eq!(
        super::java_only::unknown_key_message("schema.registry.url", None),
        "`schema.registry.url` is not a Java producer setting; ignored (the custom classes named \
         in this configuration may have read it in Java)"
    );
    // Without a custom class (Kafka's own only), unknown keys stay errors, with the hint.
    let (k, m) = err(&[
        ("value.serializer", STRING_SERIALIZER),
        (
            "partitioner.class",
            "org.apache.kafka.clients.producer.RoundRobinPartitioner",
        ),
        ("schema.registry.url", "http://registry:8081"),
    ]);
    assert_eq!(k, "schema.registry.url");
    assert!(m.starts_with("unknown configuration key"), "{m}");
    let (_, m) = err(&[("lingr.ms", "5")]);
    assert!(m.contains("did you mean `linger.ms`?"), "{m}");
}

#[test]
fn config_providers_are_refused() {
    // Ignoring them would send `${file:...}` placeholders as the values themselves.
    for (key, value) in [
        ("config.providers", "file"),
        ("config.providers", " file , vault "),
        (
            "config.providers.file.class",
            "org.apache.kafka.common.config.provider.FileConfigProvider",
        ),
        ("config.providers.vault.param.address", "https://vault"),
    ] {
        let (k, m) = err(&[
            (key, value),
            (
                SASL_JAAS_CONFIG,
                "${file:/etc/kafka/secrets.properties:jaas}",
            ),
        ]);
        assert_eq!(k, key);
        assert!(
            m.starts_with(
                "config providers (KIP-297) are not supported: put the values in the file"
            ),
            "{m}"
        );
    }
    // Empty, Java's default (no providers), is accepted.
    let c = with(&[("config.providers", "")]).unwrap();
    assert!(
        c.to_properties()
            .iter()
            .any(|(k, _)| k == "config.providers")
    );
}

#[test]
fn unsupported_java_keys_are_accepted_and_warned_once() {
    use super::java_only::warned;
    let c = with(&[
        ("security.providers", "com.acme.Provider"),
        ("ssl.keymanager.algorithm", "SunX509"),
        ("ssl.trustmanager.algorithm", "PKIX"),
        ("ssl.provider", "SunJSSE"),
        ("ssl.secure.random.implementation", "SHA1PRNG"),
        ("auto.include.jmx.reporter", "true"),
        ("sasl.kerberos.service.name", "kafka"),
        ("sasl.kerberos.ticket.renew.window.factor", "0.8"),
    ])
    .unwrap();
    for key in [
        "security.providers",
        "ssl.keymanager.algorithm",
        "sasl.kerberos.service.name",
    ] {
        assert!(warned(key), "{key}");
        assert!(c.to_properties().iter().any(|(k, _)| k == key), "{key}");
    }
    assert_eq!(
        super::java_only::unsupported_message("ssl.provider"),
        "Java producer setting `ssl.provider` is not supported by this crate and is ignored"
    );
    // Java's types are checked.
    let (k, m) = err(&[("sasl.kerberos.min.time.before.relogin", "soon")]);
    assert_eq!(k, "sasl.kerberos.min.time.before.relogin");
    assert!(m.contains("not an integer"), "{m}");
    let (_, m) = err(&[("sasl.kerberos.ticket.renew.jitter", "x")]);
    assert!(m.contains("not a number"), "{m}");
    let (_, m) = err(&[("auto.include.jmx.reporter", "yes")]);
    assert!(m.contains("not a boolean"), "{m}");
}

#[test]
fn enable_metrics_push_is_warned_only_when_true() {
    use super::java_only::warned;
    // The only test that sets enable.metrics.push (the warned set is per process).
    with(&[("enable.metrics.push", "false")]).unwrap();
    with(&[("enable.metrics.push", "FALSE")]).unwrap();
    assert!(!warned("enable.metrics.push"));
    with(&[("enable.metrics.push", "true")]).unwrap();
    assert!(warned("enable.metrics.push"));
    let (_, m) = err(&[("enable.metrics.push", "maybe")]);
    assert!(m.contains("not a boolean"), "{m}");
}

#[test]
fn two_phase_commit_only_false() {
    let c = with(&[("transaction.two.phase.commit.enable", "false")]).unwrap();
    assert!(
        c.to_string()
            .contains("transaction.two.phase.commit.enable = false")
    );
    let (k, m) = err(&[("transaction.two.phase.commit.enable", "true")]);
    assert_eq!(k, "transaction.two.phase.commit.enable");
    assert!(m.contains("KIP-939"), "{m}");
}

#[test]
fn kerberos_keys_accepted_but_gssapi_still_refused() {
    with(&[
        (SECURITY_PROTOCOL, "SASL_PLAINTEXT"),
        (SASL_MECHANISM, "PLAIN"),
        (SASL_JAAS_CONFIG, "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"u\" password=\"p\";"),
        ("sasl.kerberos.service.name", "kafka"),
    ])
    .unwrap();
    let (k, m) = err(&[
        (SECURITY_PROTOCOL, "SASL_PLAINTEXT"),
        ("sasl.kerberos.service.name", "kafka"),
    ]);
    assert_eq!(k, SASL_MECHANISM);
    assert!(m.contains("GSSAPI"), "{m}");
}

#[test]
fn java_only_values_show_and_round_trip() {
    let c = with(&[
        ("key.serializer", STRING_SERIALIZER),
        ("interceptor.classes", "com.acme.AuditInterceptor"),
        (
            "sasl.oauthbearer.assertion.private.key.passphrase",
            "s3cret",
        ),
        ("ssl.provider", "SunJSSE"),
    ])
    .unwrap();
    let shown = c.to_string();
    assert!(shown.contains("\n\tssl.provider = SunJSSE"), "{shown}");
    assert!(
        shown.contains("\n\tsasl.oauthbearer.assertion.private.key.passphrase = [hidden]"),
        "{shown}"
    );
    assert!(!shown.contains("s3cret"), "{shown}");
    // Debug hides the secret too, and shows the other values.
    let dbg = format!("{c:?}");
    assert!(dbg.contains("SunJSSE") && !dbg.contains("s3cret"), "{dbg}");
    // Sorted, as Java's log.
    let keys: Vec<String> = c.to_properties().into_iter().map(|(k, _)| k).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    let again = ProducerConfig::from_properties(c.to_properties()).unwrap();
    assert_eq!(again, c);
    // The builder's Debug hides only secrets.
    let b = ProducerConfig::builder()
        .set("ssl.provider", "SunJSSE")
        .set(
            "sasl.oauthbearer.assertion.private.key.passphrase",
            "s3cret",
        );
    let dbg = format!("{b:?}");
    assert!(dbg.contains("SunJSSE") && !dbg.contains("s3cret"), "{dbg}");
}

#[test]
fn metrics_rows() {
    use crate::metrics::RecordingLevel;
    let c = with(&[]).unwrap();
    assert_eq!(c.metrics_num_samples(), 2);
    assert_eq!(c.metrics_sample_window(), Duration::from_secs(30));
    assert_eq!(c.metrics_recording_level(), RecordingLevel::Info);
    assert_eq!(
        c.metric_reporters(),
        ["org.apache.kafka.common.metrics.JmxReporter".to_string()]
    );
    let c = with(&[
        (METRICS_NUM_SAMPLES, "5"),
        (METRICS_SAMPLE_WINDOW_MS, "1000"),
        (METRICS_RECORDING_LEVEL, "DEBUG"),
        (
            METRIC_REPORTERS,
            "com.acme.Reporter,org.apache.kafka.common.metrics.JmxReporter",
        ),
    ])
    .unwrap();
    assert_eq!(c.metrics_num_samples(), 5);
    assert_eq!(c.metrics_sample_window(), Duration::from_secs(1));
    assert_eq!(c.metrics_recording_level(), RecordingLevel::Debug);
    assert_eq!(c.metric_reporters().len(), 2);
    with(&[(METRIC_REPORTERS, "")]).unwrap();
    let (k, m) = err(&[(METRICS_NUM_SAMPLES, "0")]);
    assert_eq!(
        (k.as_str(), m.as_str()),
        (
            METRICS_NUM_SAMPLES,
            "value \"0\" is out of range: must be >= 1"
        )
    );
    let (_, m) = err(&[(METRICS_SAMPLE_WINDOW_MS, "-1")]);
    assert!(m.contains(">= 0"), "{m}");
    let (k, m) = err(&[(METRICS_RECORDING_LEVEL, "debug")]);
    assert_eq!(k, METRICS_RECORDING_LEVEL);
    assert!(m.contains("INFO, DEBUG, TRACE"), "{m}");
    let (_, m) = err(&[(METRIC_REPORTERS, "org..JmxReporter")]);
    assert!(m.contains("Java class names"), "{m}");

    let b = ProducerConfig::builder()
        .bootstrap_servers("localhost:9092")
        .metrics_num_samples(3)
        .metrics_sample_window(Duration::from_millis(500))
        .metrics_recording_level(RecordingLevel::Trace)
        .build()
        .unwrap();
    assert_eq!(b.metrics_num_samples(), 3);
    assert_eq!(b.metrics_sample_window(), Duration::from_millis(500));
    assert_eq!(b.metrics_recording_level(), RecordingLevel::Trace);
}

#[test]
fn client_dns_lookup_row() {
    let c = with(&[]).unwrap();
    assert_eq!(c.client_dns_lookup(), ClientDnsLookup::UseAllDnsIps);
    let c = with(&[(
        CLIENT_DNS_LOOKUP,
        "resolve_canonical_bootstrap_servers_only",
    )])
    .unwrap();
    assert_eq!(
        c.client_dns_lookup(),
        ClientDnsLookup::ResolveCanonicalBootstrapServersOnly
    );
    for bad in ["default", "USE_ALL_DNS_IPS", "all"] {
        let (k, m) = err(&[(CLIENT_DNS_LOOKUP, bad)]);
        assert_eq!(k, CLIENT_DNS_LOOKUP);
        assert!(
            m.contains("use_all_dns_ips, resolve_canonical_bootstrap_servers_only"),
            "{m}"
        );
    }
    let b = ProducerConfig::builder()
        .bootstrap_servers("localhost:9092")
        .client_dns_lookup(ClientDnsLookup::ResolveCanonicalBootstrapServersOnly)
        .build()
        .unwrap();
    assert_eq!(
        b.client_dns_lookup(),
        ClientDnsLookup::ResolveCanonicalBootstrapServersOnly
    );
}

#[test]
fn java_only_keys_are_sorted_and_disjoint_from_the_table() {
    let names: Vec<&str> = super::java_only::JAVA_ONLY_KEYS
        .iter()
        .map(|k| k.name)
        .collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(names, sorted);
    for name in names {
        assert!(config_key(name).is_none(), "{name} is also a row");
    }
}
