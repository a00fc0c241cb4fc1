//! Building a [`ProducerConfig`] from `(key, value)` pairs: each value parsed through its row of
//! the definition, then Java's cross-key rules (`ProducerConfig.postProcessParsedConfig`,
//! `KafkaProducer.configureDeliveryTimeout`, ...), applied once.

use super::def::config_key;
use super::java_only::{self, JAVA_ONLY_KEYS, java_only_key};
use super::keys::*;
use super::parse::INT;
use super::{
    Acks, CONFIG_KEYS, DEFAULT_ENABLE_IDEMPOTENCE,
    MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION_FOR_IDEMPOTENCE, ProducerConfig,
};
use crate::error::Error;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The SASL mechanisms this crate implements, as the broker names them.
pub(crate) const SUPPORTED_SASL_MECHANISMS: &[&str] =
    &["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER"];

/// Counter for the default `client.id`, as Java's `PRODUCER_CLIENT_ID_SEQUENCE`.
static PRODUCER_CLIENT_ID_SEQUENCE: AtomicU64 = AtomicU64::new(1);

/// Parses and validates `(key, value)` pairs (keys trimmed): the one path by which every
/// [`ProducerConfig`] is made.
pub(super) fn build(
    props: impl Iterator<Item = (String, String)>,
) -> Result<ProducerConfig, Error> {
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

    // Java passes every setting to the serializers, interceptors, partitioner and metrics
    // reporters: with a custom one among them, a key unknown to Java may be its setting.
    let custom_class = pairs.iter().any(|(k, v)| {
        java_only::PLUGIN_CLASS_KEYS.contains(&k.as_str())
            && v.split(',')
                .map(str::trim)
                .any(|class| !class.is_empty() && java_only::is_custom_class(class))
    });

    let mut c = ProducerConfig::defaults();
    let mut explicit: HashSet<&str> = HashSet::new();
    for (key, raw) in &pairs {
        if let Some(def) = config_key(key) {
            c.set_value(def, raw)?;
            explicit.insert(def.name);
        } else if let Some(java) = java_only_key(key) {
            // Checked and logged (or refused) here; kept for the log and to_properties.
            let value = java_only::accept(java, raw)?;
            c.java_only.push((java.name, value));
            explicit.insert(java.name);
        } else if key.starts_with(java_only::CONFIG_PROVIDERS_PREFIX) {
            return Err(Error::config(key, java_only::CONFIG_PROVIDERS));
        } else if custom_class {
            log::warn!("{}", java_only::unknown_key_message(key, suggest_key(key)));
        } else {
            return Err(unaccepted_key(key));
        }
    }
    c.java_only.sort_by_key(|&(k, _)| k);

    if explicit.contains(METRIC_REPORTERS) {
        java_only::log_classes(
            METRIC_REPORTERS,
            &c.metric_reporters,
            false,
            java_only::metric_reporter,
        )?;
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
        explicit
            .contains(ENABLE_IDEMPOTENCE)
            .then_some(c.enable_idempotence),
        c.acks,
        c.retries,
        c.max_in_flight_requests_per_connection,
    )?;

    // ProducerConfig.postProcessAndValidateIdempotenceConfigs: transactions need idempotence.
    if c.transactional_id.is_some() && !c.enable_idempotence {
        let why = if explicit.contains(ENABLE_IDEMPOTENCE) {
            format!("{ENABLE_IDEMPOTENCE} is false")
        } else {
            format!(
                "idempotence is off because of {ACKS}, {RETRIES} or \
                 {MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION} (see the warning above)"
            )
        };
        return Err(Error::config(
            TRANSACTIONAL_ID,
            format!("Cannot set a {TRANSACTIONAL_ID} without also enabling idempotence: {why}"),
        ));
    }
    if c.transactional_id.as_deref() == Some("") {
        return Err(Error::config(
            TRANSACTIONAL_ID,
            "must not be empty (unset it for a non-transactional producer)",
        ));
    }

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

    // SASL: a mechanism this crate implements (Java's default, GSSAPI, is Kerberos).
    if c.security_protocol.uses_sasl() {
        if !SUPPORTED_SASL_MECHANISMS.contains(&c.sasl_mechanism.as_str()) {
            let hint = if c.sasl_mechanism == "GSSAPI" {
                " (GSSAPI, Kerberos, is Java's default and is not supported: set sasl.mechanism)"
            } else {
                ""
            };
            return Err(Error::config(
                SASL_MECHANISM,
                format!(
                    "value \"{}\" is not supported{hint}: must be one of {}",
                    c.sasl_mechanism,
                    SUPPORTED_SASL_MECHANISMS.join(", ")
                ),
            ));
        }
    }

    // A known OAuth login callback handler is ignored, but it must agree with what this crate
    // does: tokens from the endpoint when one is set, unsecured JWTs otherwise.
    if c.security_protocol.uses_sasl() && c.sasl_mechanism == "OAUTHBEARER" {
        if let Some((_, handler)) = c
            .java_only
            .iter()
            .find(|(k, _)| *k == "sasl.login.callback.handler.class")
        {
            let endpoint = c.sasl_oauthbearer_token_endpoint_url.is_some();
            if java_only::is_oauth_login_handler(handler) && !endpoint {
                return Err(Error::config(
                    "sasl.login.callback.handler.class",
                    format!(
                        "{handler} needs {SASL_OAUTHBEARER_TOKEN_ENDPOINT_URL} (the OAuth token \
                         endpoint); without it this crate would send unsecured JWTs"
                    ),
                ));
            }
            if java_only::is_unsecured_login_handler(handler) && endpoint {
                return Err(Error::config(
                    "sasl.login.callback.handler.class",
                    format!(
                        "{handler} makes unsecured JWTs, but \
                         {SASL_OAUTHBEARER_TOKEN_ENDPOINT_URL} is set: this crate would fetch \
                         tokens from it; remove one of the two settings"
                    ),
                ));
            }
        }
    }

    // A JWT retriever naming one source must agree with sasl.oauthbearer.token.endpoint.url.
    if c.security_protocol.uses_sasl() && c.sasl_mechanism == "OAUTHBEARER" {
        const KEY: &str = "sasl.oauthbearer.jwt.retriever.class";
        if let Some((_, class)) = c.java_only.iter().find(|(k, _)| *k == KEY) {
            if let Some(needs_file) = java_only::jwt_retriever_needs_file_url(class) {
                let url = c.sasl_oauthbearer_token_endpoint_url.as_deref();
                let is_file = url.is_some_and(|u| u.trim().starts_with("file:"));
                if url.is_none() || is_file != needs_file {
                    let want = if needs_file {
                        "a file: URL to read the token from"
                    } else {
                        "the http(s) URL of the OAuth token endpoint"
                    };
                    return Err(Error::config(
                        KEY,
                        format!(
                            "{class} needs {SASL_OAUTHBEARER_TOKEN_ENDPOINT_URL} set to {want}; \
                             this crate would {}",
                            match url {
                                None => "send unsecured JWTs".to_string(),
                                Some(u) if is_file => format!("read the token from {u}"),
                                Some(u) => format!("fetch the token from {u}"),
                            }
                        ),
                    ));
                }
            }
        }
    }

    // Last, so that a refused config does not use up a number (ProducerConfig.maybeOverrideClientId).
    if !explicit.contains(CLIENT_ID) {
        c.client_id = format!(
            "producer-{}",
            PRODUCER_CLIENT_ID_SEQUENCE.fetch_add(1, Ordering::Relaxed)
        );
    }
    Ok(c)
}

/// Java's `ProducerConfig.postProcessAndValidateIdempotenceConfigs`; `explicit` is the value
/// of `enable.idempotence` when it was set.
pub(super) fn resolve_idempotence(
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

/// The error for a key that is neither a [`CONFIG_KEYS`] entry nor a Java producer key this
/// crate accepts and ignores ([`JAVA_ONLY_KEYS`]): a key Java does not know either (and no
/// custom class that could read it is configured).
fn unaccepted_key(key: &str) -> Error {
    let message = match suggest_key(key) {
        Some(known) => format!("unknown configuration key; did you mean `{known}`?"),
        None => "unknown configuration key (the accepted keys are listed in \
                 kafka_producer::config::CONFIG_KEYS)"
            .to_string(),
    };
    Error::config(key, message)
}

/// The accepted key `key` is an obvious typo of, if any.
pub(super) fn suggest_key(key: &str) -> Option<&'static str> {
    let normalized: String = key
        .chars()
        .map(|c| match c {
            '_' | '-' => '.',
            c => c.to_ascii_lowercase(),
        })
        .collect();
    let names = CONFIG_KEYS
        .iter()
        .map(|k| k.name)
        .chain(JAVA_ONLY_KEYS.iter().map(|k| k.name));
    if let Some(k) = names.clone().find(|&k| k == normalized) {
        return Some(k);
    }
    let (best, distance) = names
        .map(|k| (k, edit_distance(&normalized, k)))
        .min_by_key(|&(_, d)| d)?;
    let limit = (best.len() / 4).clamp(1, 3);
    (distance <= limit).then_some(best)
}

/// Levenshtein distance between two strings, by chars.
pub(super) fn edit_distance(a: &str, b: &str) -> usize {
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
