//! Keys of Java's `ProducerConfig` that are not rows of [`CONFIG_KEYS`](super::CONFIG_KEYS):
//! accepted so that a `producer.properties` written for the Java client loads as it is, but
//! ignored.
//!
//! * Keys naming Java classes (`key.serializer`, `interceptor.classes`, ...) are checked to be
//!   Java class names, then ignored with a log line: at info level for Kafka's own classes
//!   (naming what this crate does instead), at warn level for other classes. In the security
//!   keys (`sasl.login.callback.handler.class`, `ssl.engine.factory.class`, ...) only Kafka's
//!   own default classes are accepted: ignoring a custom one would silently change how the
//!   client authenticates, so it is an error.
//! * `config.providers` is accepted only empty (its default): config providers (KIP-297) are
//!   not supported, and ignoring them would use `${file:...}` placeholders literally; its
//!   `config.providers.*` sub keys are refused too.
//! * Other keys this crate does not implement (`ssl.provider`,
//!   `sasl.kerberos.service.name`, ...) are checked against their Java type and warned about
//!   once per process and key: "Java producer setting `X` is not supported by this crate and
//!   is ignored". A few are quiet at the value that is what this crate does
//!   (`enable.metrics.push=false`), or refused at a value that it cannot honour
//!   (`transaction.two.phase.commit.enable=true`).
//!
//! The values are kept in the [`ProducerConfig`](super::ProducerConfig): they show in its
//! `Display` log and [`to_properties`](super::ProducerConfig::to_properties) returns them.

use super::key::ValueType;
use super::parse::{INT, LONG, boolean, int};
use crate::error::Error;
use std::collections::HashSet;
use std::sync::Mutex;

/// One Java producer key that this crate accepts and ignores.
#[derive(Debug, Clone, Copy)]
pub(crate) struct JavaOnlyKey {
    /// The key, as Java spells it.
    pub name: &'static str,
    /// Its Java type (values are checked against it; `Password` values are hidden in logs).
    pub value_type: ValueType,
    /// What is done with it.
    pub handling: Handling,
}

/// What is done with a [`JavaOnlyKey`].
#[derive(Debug, Clone, Copy)]
pub(crate) enum Handling {
    /// A Java class (a comma-separated list of them when `list`).
    Class {
        list: bool,
        /// Unknown classes are an error (a security plug-in).
        security: bool,
        /// What this crate does about a class: `Some(text)` for Kafka's own classes, `None` for
        /// others.
        known: fn(&str) -> Option<Known>,
    },
    /// Not implemented: warned once when set, except to `quiet` (what this crate does).
    Unsupported { quiet: Option<&'static str> },
    /// A `*.encoding` key of Java's `StringSerializer`: accepted (quietly) when UTF-8.
    Utf8Encoding,
    /// Not implemented: accepted (quietly) only at `accepted`, refused otherwise.
    OnlyAt {
        accepted: &'static str,
        message: &'static str,
    },
}

/// What this crate does instead of a known Java class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Known {
    /// The crate does the same, or offers it in code: logged at info level.
    Info(&'static str),
    /// A Kafka class whose behaviour this crate does not have: logged at warn level.
    Warn(&'static str),
}

const SERIALIZERS: &str =
    "serializers are chosen in code: KafkaProducer::new(config, key_serializer, value_serializer)";
const INTERCEPTORS: &str = "interceptors are added with KafkaProducer::builder(..).interceptor(..)";
const PARTITIONER: &str = "partitioner: KafkaProducer::builder(..).partitioner(..)";
const REPORTERS: &str = "metrics reporters: KafkaProducer::builder(..).metrics_reporter(..)";

fn serializer(class: &str) -> Option<Known> {
    let name = class.strip_prefix("org.apache.kafka.common.serialization.")?;
    (!name.contains('.') && name.ends_with("Serializer")).then_some(Known::Info(SERIALIZERS))
}

fn interceptor(_class: &str) -> Option<Known> {
    // Kafka ships no producer interceptor.
    None
}

fn partitioner(class: &str) -> Option<Known> {
    match class {
        "org.apache.kafka.clients.producer.internals.DefaultPartitioner" => Some(Known::Info(
            "Kafka's default partitioning (murmur2 of the key, else sticky) is what this crate \
             does without a partitioner; a custom partitioner: \
             KafkaProducer::builder(..).partitioner(..)",
        )),
        "org.apache.kafka.clients.producer.UniformStickyPartitioner" => Some(Known::Warn(
            "UniformStickyPartitioner is not built into this crate: set \
             partitioner.ignore.keys=true for the same behaviour",
        )),
        "org.apache.kafka.clients.producer.RoundRobinPartitioner" => Some(Known::Warn(
            "RoundRobinPartitioner is not built into this crate: records are partitioned by \
             key hash, else sticky; a round-robin partitioner must be given in code: \
             KafkaProducer::builder(..).partitioner(..)",
        )),
        _ => None,
    }
}

pub(crate) fn metric_reporter(class: &str) -> Option<Known> {
    (class == "org.apache.kafka.common.metrics.JmxReporter").then_some(Known::Info(
        "there is no JMX in Rust; metrics are read with KafkaProducer::metrics(), \
         metrics reporters: KafkaProducer::builder(..).metrics_reporter(..)",
    ))
}

const OAUTH: &str = "org.apache.kafka.common.security.oauthbearer.";

/// The OAuth login callback handler (4.x and 3.x packages): tokens from
/// `sasl.oauthbearer.token.endpoint.url`.
pub(crate) fn is_oauth_login_handler(class: &str) -> bool {
    matches!(
        class.strip_prefix(OAUTH),
        Some("OAuthBearerLoginCallbackHandler" | "secured.OAuthBearerLoginCallbackHandler")
    )
}

/// The unsecured (testing) OAuth login callback handler: JWTs made from `sasl.jaas.config`.
pub(crate) fn is_unsecured_login_handler(class: &str) -> bool {
    class.strip_prefix(OAUTH)
        == Some("internals.unsecured.OAuthBearerUnsecuredLoginCallbackHandler")
}

fn sasl_login_callback_handler(class: &str) -> Option<Known> {
    if is_oauth_login_handler(class) {
        Some(Known::Info(
            "OAUTHBEARER tokens come from sasl.oauthbearer.token.endpoint.url, as with this \
             handler; a custom token source: \
             ProducerConfigBuilder::sasl_oauthbearer_token_provider",
        ))
    } else if is_unsecured_login_handler(class) {
        Some(Known::Info(
            "without sasl.oauthbearer.token.endpoint.url, unsecured JWTs are made from \
             sasl.jaas.config, as with this handler",
        ))
    } else if class
        == "org.apache.kafka.common.security.authenticator.AbstractLogin$DefaultLoginCallbackHandler"
    {
        Some(Known::Info(
            "credentials come from sasl.jaas.config, as with this handler",
        ))
    } else {
        None
    }
}

fn sasl_login_class(class: &str) -> Option<Known> {
    matches!(
        class,
        "org.apache.kafka.common.security.authenticator.DefaultLogin"
            | "org.apache.kafka.common.security.oauthbearer.internals.OAuthBearerRefreshingLogin"
    )
    .then_some(Known::Info(
        "the login (and the OAUTHBEARER token refresh) is built in, as with this class",
    ))
}

fn sasl_client_callback_handler(class: &str) -> Option<Known> {
    matches!(
        class,
        "org.apache.kafka.common.security.authenticator.SaslClientCallbackHandler"
            | "org.apache.kafka.common.security.oauthbearer.internals.OAuthBearerSaslClientCallbackHandler"
    )
    .then_some(Known::Info(
        "credentials come from sasl.jaas.config, as with this handler",
    ))
}

fn ssl_engine_factory(class: &str) -> Option<Known> {
    (class == "org.apache.kafka.common.security.ssl.DefaultSslEngineFactory").then_some(
        Known::Info("TLS is built from the ssl.* settings with rustls, as with this factory"),
    )
}

/// Kafka's JWT retrievers (4.1) that do what this crate does with
/// `sasl.oauthbearer.token.endpoint.url`: `DefaultJwtRetriever` (a `file:` URL or an OAuth
/// client-credentials endpoint), `ClientCredentialsJwtRetriever` (the endpoint) and
/// `FileJwtRetriever` (the `file:` URL). The last two must agree with the URL (checked in
/// `validate.rs`, see [`jwt_retriever_needs_file_url`]).
fn jwt_retriever(class: &str) -> Option<Known> {
    match class.strip_prefix(OAUTH)? {
        "DefaultJwtRetriever" => Some(Known::Info(
            "tokens come from sasl.oauthbearer.token.endpoint.url (a file: URL or an OAuth \
             client-credentials endpoint), as with this retriever",
        )),
        "ClientCredentialsJwtRetriever" => Some(Known::Info(
            "tokens come from the OAuth client-credentials endpoint \
             sasl.oauthbearer.token.endpoint.url (client id, secret and scope from their \
             sasl.oauthbearer.* keys, else from sasl.jaas.config), as with this retriever",
        )),
        "FileJwtRetriever" => Some(Known::Info(
            "tokens are read from the file: URL sasl.oauthbearer.token.endpoint.url, as with \
             this retriever",
        )),
        _ => None,
    }
}

/// For a JWT retriever class that needs one kind of `sasl.oauthbearer.token.endpoint.url`:
/// `Some(true)` for `FileJwtRetriever` (a `file:` URL), `Some(false)` for
/// `ClientCredentialsJwtRetriever` (an `http(s)` URL), `None` otherwise.
pub(crate) fn jwt_retriever_needs_file_url(class: &str) -> Option<bool> {
    match class.strip_prefix(OAUTH)? {
        "FileJwtRetriever" => Some(true),
        "ClientCredentialsJwtRetriever" => Some(false),
        _ => None,
    }
}

fn jwt_validator(class: &str) -> Option<Known> {
    matches!(
        class.strip_prefix(OAUTH),
        Some("DefaultJwtValidator" | "ClientJwtValidator")
    )
    .then_some(Known::Info(
        "tokens are checked for their expiry, sub and scope claims, as with this validator",
    ))
}

macro_rules! java_only {
    ($($name:literal: $vtype:ident => $handling:expr,)*) => {
        /// The Java producer keys that are accepted and ignored, sorted by name.
        pub(crate) const JAVA_ONLY_KEYS: &[JavaOnlyKey] = &[
            $(JavaOnlyKey {
                name: $name,
                value_type: ValueType::$vtype,
                handling: $handling,
            },)*
        ];
    };
}

const fn class(known: fn(&str) -> Option<Known>) -> Handling {
    Handling::Class {
        list: false,
        security: false,
        known,
    }
}

const fn classes(known: fn(&str) -> Option<Known>) -> Handling {
    Handling::Class {
        list: true,
        security: false,
        known,
    }
}

const fn security_class(known: fn(&str) -> Option<Known>) -> Handling {
    Handling::Class {
        list: false,
        security: true,
        known,
    }
}

const IGNORED: Handling = Handling::Unsupported { quiet: None };

/// The error for `config.providers` (set to providers) and its `config.providers.*` sub keys:
/// ignoring them would send `${provider:path:key}` placeholders as the values themselves.
pub(crate) const CONFIG_PROVIDERS: &str = "config providers (KIP-297) are not supported: put \
     the values in the file (a ${provider:...} placeholder would be used literally)";

/// The prefix of the settings of the config providers (`config.providers.file.class`, ...).
pub(crate) const CONFIG_PROVIDERS_PREFIX: &str = "config.providers.";

// Java 4.1's ProducerConfig keys (with CommonClientConfigs', SslConfigs' and SaslConfigs') that
// are not rows of CONFIG_KEYS, plus `auto.include.jmx.reporter` (3.x) and the settings of
// Kafka's StringSerializer (`*.encoding`, which Java passes on to the serializers). `metric.reporters` is a
// row (it has a default) but its classes are handled as here.
java_only! {
    "auto.include.jmx.reporter": Boolean => IGNORED,
    "config.providers": List => Handling::OnlyAt {
        accepted: "",
        message: CONFIG_PROVIDERS,
    },
    "enable.metrics.push": Boolean => Handling::Unsupported { quiet: Some("false") },
    "interceptor.classes": List => classes(interceptor),
    "key.serializer": String => class(serializer),
    "key.serializer.encoding": String => Handling::Utf8Encoding,
    "partitioner.class": String => class(partitioner),
    "sasl.client.callback.handler.class": String => security_class(sasl_client_callback_handler),
    "sasl.kerberos.kinit.cmd": String => IGNORED,
    "sasl.kerberos.min.time.before.relogin": Long => IGNORED,
    "sasl.kerberos.service.name": String => IGNORED,
    "sasl.kerberos.ticket.renew.jitter": Double => IGNORED,
    "sasl.kerberos.ticket.renew.window.factor": Double => IGNORED,
    "sasl.login.callback.handler.class": String => security_class(sasl_login_callback_handler),
    "sasl.login.class": String => security_class(sasl_login_class),
    "sasl.oauthbearer.assertion.algorithm": String => IGNORED,
    "sasl.oauthbearer.assertion.claim.aud": String => IGNORED,
    "sasl.oauthbearer.assertion.claim.exp.seconds": Int => IGNORED,
    "sasl.oauthbearer.assertion.claim.iss": String => IGNORED,
    "sasl.oauthbearer.assertion.claim.jti.include": Boolean => IGNORED,
    "sasl.oauthbearer.assertion.claim.nbf.seconds": Int => IGNORED,
    "sasl.oauthbearer.assertion.claim.sub": String => IGNORED,
    "sasl.oauthbearer.assertion.file": String => IGNORED,
    "sasl.oauthbearer.assertion.private.key.file": String => IGNORED,
    "sasl.oauthbearer.assertion.private.key.passphrase": Password => IGNORED,
    "sasl.oauthbearer.assertion.template.file": String => IGNORED,
    "sasl.oauthbearer.clock.skew.seconds": Int => IGNORED,
    "sasl.oauthbearer.expected.audience": List => IGNORED,
    "sasl.oauthbearer.expected.issuer": String => IGNORED,
    "sasl.oauthbearer.jwks.endpoint.refresh.ms": Long => IGNORED,
    "sasl.oauthbearer.jwks.endpoint.retry.backoff.max.ms": Long => IGNORED,
    "sasl.oauthbearer.jwks.endpoint.retry.backoff.ms": Long => IGNORED,
    "sasl.oauthbearer.jwks.endpoint.url": String => IGNORED,
    "sasl.oauthbearer.jwt.retriever.class": String => security_class(jwt_retriever),
    "sasl.oauthbearer.jwt.validator.class": String => security_class(jwt_validator),
    "security.providers": String => IGNORED,
    "serializer.encoding": String => Handling::Utf8Encoding,
    "ssl.engine.factory.class": String => security_class(ssl_engine_factory),
    "ssl.keymanager.algorithm": String => IGNORED,
    "ssl.provider": String => IGNORED,
    "ssl.secure.random.implementation": String => IGNORED,
    "ssl.trustmanager.algorithm": String => IGNORED,
    "transaction.two.phase.commit.enable": Boolean => Handling::OnlyAt {
        accepted: "false",
        message: "two-phase commit (KIP-939) is not supported by this crate: value \"true\" \
                  is refused (false, the default, is accepted)",
    },
    "value.serializer": String => class(serializer),
    "value.serializer.encoding": String => Handling::Utf8Encoding,
}

/// The Java-only keys that were set, with their values (a field of the
/// [`ProducerConfig`](super::ProducerConfig)). Its `Debug` hides the values of secrets
/// (`password` keys, such as `sasl.oauthbearer.assertion.private.key.passphrase`), as the
/// `Debug` of a [`Password`](super::Password) row does.
#[derive(Clone, Default, PartialEq)]
pub(crate) struct JavaOnlyValues(pub(crate) Vec<(&'static str, String)>);

impl std::ops::Deref for JavaOnlyValues {
    type Target = Vec<(&'static str, String)>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl std::ops::DerefMut for JavaOnlyValues {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl std::fmt::Debug for JavaOnlyValues {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|(k, v)| {
                let v = if is_secret(k).unwrap_or(true) {
                    super::Password::HIDDEN
                } else {
                    v.as_str()
                };
                (k, v)
            }))
            .finish()
    }
}

/// Looks a key up in [`JAVA_ONLY_KEYS`].
pub(crate) fn java_only_key(name: &str) -> Option<&'static JavaOnlyKey> {
    JAVA_ONLY_KEYS.iter().find(|k| k.name == name)
}

/// The message of the warning for an unsupported key.
pub(crate) fn unsupported_message(key: &str) -> String {
    format!("Java producer setting `{key}` is not supported by this crate and is ignored")
}

/// The keys warned about so far in this process.
static WARNED: Mutex<Option<HashSet<&'static str>>> = Mutex::new(None);

/// Logs the warning for `key` the first time it is set in this process; returns whether it
/// was logged.
fn warn_once(key: &'static str) -> bool {
    let first = WARNED
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get_or_insert_with(HashSet::new)
        .insert(key);
    if first {
        log::warn!("{}", unsupported_message(key));
    }
    first
}

/// Whether `s` is a Java class name: identifiers (letters, digits, `_`, `$`, not starting
/// with a digit) separated by single dots, as `org.apache.kafka.common.metrics.JmxReporter` or
/// `com.acme.Outer$Inner`.
///
/// ```text
/// assert!(is_java_class_name("com.acme.MyInterceptor"));
/// assert!(!is_java_class_name("String Serializer"));
/// assert!(!is_java_class_name("org..Foo"));
/// ```
pub(crate) fn is_java_class_name(s: &str) -> bool {
    !s.is_empty()
        && s.split('.').all(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .is_some_and(|c| c.is_alphabetic() || c == '_' || c == '$')
                && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '$')
        })
}

/// Splits and checks the value of a class key: one class name, or a comma-separated list
/// (items trimmed, empty items dropped, as Java's list type) when `list`.
pub(crate) fn parse_classes(key: &str, raw: &str, list: bool) -> Result<Vec<String>, Error> {
    let classes: Vec<String> = if list {
        raw.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    } else {
        vec![raw.trim().to_string()]
    };
    for class in &classes {
        if !is_java_class_name(class) {
            let what = if list {
                "a comma-separated list of Java class names"
            } else {
                "a Java class name"
            };
            return Err(Error::config(
                key,
                format!(
                    "value \"{}\" is not {what} (such as \
                     org.apache.kafka.common.serialization.StringSerializer): \"{class}\" is \
                     malformed",
                    raw.trim()
                ),
            ));
        }
    }
    Ok(classes)
}

/// Logs (or refuses) the classes of a class key, once they have been parsed.
pub(crate) fn log_classes(
    key: &str,
    classes: &[String],
    security: bool,
    known: fn(&str) -> Option<Known>,
) -> Result<(), Error> {
    for class in classes {
        match known(class) {
            Some(Known::Info(instead)) => {
                log::info!("Ignoring {key}={class} (a Java class): {instead}")
            }
            Some(Known::Warn(why)) => log::warn!("Ignoring {key}={class} (a Java class): {why}"),
            None if security => {
                return Err(Error::config(
                    key,
                    format!(
                        "custom Java class \"{class}\" cannot be used by this crate, and \
                         ignoring it would change how the client authenticates: remove this \
                         setting (only Kafka's own default classes are accepted, and ignored)"
                    ),
                ));
            }
            None => log::warn!(
                "Ignoring {key}={class}: a custom Java class cannot be loaded by this crate \
                 ({})",
                match key {
                    "key.serializer" | "value.serializer" => SERIALIZERS,
                    "interceptor.classes" => INTERCEPTORS,
                    "partitioner.class" => PARTITIONER,
                    "metric.reporters" => REPORTERS,
                    _ => "it has no equivalent here",
                }
            ),
        }
    }
    Ok(())
}

/// Checks the value of a Java-only key against its type and logs what is ignored. Returns the
/// value to keep (trimmed).
pub(crate) fn accept(key: &'static JavaOnlyKey, raw: &str) -> Result<String, Error> {
    let v = raw.trim();
    match key.value_type {
        ValueType::Boolean => {
            boolean(key.name, v)?;
        }
        ValueType::Int => {
            int(key.name, v, i32::MIN.into(), INT)?;
        }
        ValueType::Long => {
            int(key.name, v, i64::MIN, LONG)?;
        }
        ValueType::Double => {
            v.parse::<f64>()
                .map_err(|_| Error::config(key.name, format!("value \"{v}\" is not a number")))?;
        }
        _ => {}
    }
    match key.handling {
        Handling::Class {
            list,
            security,
            known,
        } => {
            let classes = parse_classes(key.name, v, list)?;
            log_classes(key.name, &classes, security, known)?;
        }
        Handling::Unsupported { quiet } => {
            let is_quiet = quiet.is_some_and(|q| {
                if key.value_type == ValueType::Boolean {
                    v.eq_ignore_ascii_case(q)
                } else {
                    v == q
                }
            });
            if !is_quiet {
                warn_once(key.name);
            }
        }
        Handling::Utf8Encoding => {
            if !(v.eq_ignore_ascii_case("UTF8") || v.eq_ignore_ascii_case("UTF-8")) {
                return Err(Error::config(
                    key.name,
                    format!(
                        "value \"{v}\" is not supported: only UTF-8 (UTF8) is, since Rust \
                         strings are UTF-8"
                    ),
                ));
            }
        }
        Handling::OnlyAt { accepted, message } => {
            let ok = if key.value_type == ValueType::Boolean {
                v.eq_ignore_ascii_case(accepted)
            } else {
                v == accepted
            };
            if !ok {
                return Err(Error::config(key.name, message));
            }
        }
    }
    Ok(v.to_string())
}

/// The keys naming classes to which Java passes every setting (serializers, interceptors,
/// partitioner, metrics reporters): with a custom class among them, keys unknown to Java may be
/// that class's settings (`schema.registry.url`).
pub(crate) const PLUGIN_CLASS_KEYS: &[&str] = &[
    "key.serializer",
    "value.serializer",
    "interceptor.classes",
    "partitioner.class",
    "metric.reporters",
];

/// Whether `class` is not one of Kafka's own (`org.apache.kafka.*`).
pub(crate) fn is_custom_class(class: &str) -> bool {
    !class.starts_with("org.apache.kafka.")
}

/// The warning for a key unknown to Java, accepted because a custom class is configured.
pub(crate) fn unknown_key_message(key: &str, did_you_mean: Option<&str>) -> String {
    let hint = did_you_mean
        .map(|k| format!("; did you mean `{k}`?"))
        .unwrap_or_default();
    format!(
        "`{key}` is not a Java producer setting; ignored (the custom classes named in this \
         configuration may have read it in Java){hint}"
    )
}

/// Whether the warning for `key` has been logged in this process.
#[cfg(test)]
pub(crate) fn warned(key: &str) -> bool {
    WARNED
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .as_ref()
        .is_some_and(|set| set.contains(key))
}

/// Whether `key` holds a secret (its Java type is `password`), among the rows of the table and
/// the Java-only keys; `None` for a key unknown to both.
pub(crate) fn is_secret(key: &str) -> Option<bool> {
    super::config_key(key)
        .map(|k| k.value_type)
        .or_else(|| java_only_key(key).map(|k| k.value_type))
        .map(|t| t == ValueType::Password)
}
