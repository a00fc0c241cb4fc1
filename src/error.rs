//! The crate's one error type.

use crate::protocol::versions::UnsupportedApi;
use crate::protocol::{DecodeError, ErrorCode};
use std::fmt;

/// Which timeout fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TimeoutKind {
    /// `max.block.ms` ran out while `send` waited for buffer memory.
    BufferMemory,
    /// `max.block.ms` ran out while `send` (or `partitions_for`) waited for a topic's metadata.
    Metadata,
    /// `request.timeout.ms` ran out waiting for a broker's response.
    Request,
    /// `delivery.timeout.ms` ran out before the record was acknowledged.
    Delivery,
    /// A caller's own timeout (`RecordFuture::get_timeout`, `close_timeout`, `flush`).
    Caller,
    /// `max.block.ms` ran out while a transactional call (`init_transactions`,
    /// `send_offsets_to_transaction`, `commit_transaction`, `abort_transaction`) waited for the
    /// transaction coordinator. The operation goes on in the background: calling the same
    /// method again waits for it (and does not start another), as Java's producer does.
    Transaction,
}

impl TimeoutKind {
    /// The config key whose value ran out, if any.
    pub fn config_key(self) -> Option<&'static str> {
        match self {
            TimeoutKind::BufferMemory | TimeoutKind::Metadata | TimeoutKind::Transaction => {
                Some("max.block.ms")
            }
            TimeoutKind::Request => Some("request.timeout.ms"),
            TimeoutKind::Delivery => Some("delivery.timeout.ms"),
            TimeoutKind::Caller => None,
        }
    }
}

/// Everything that can go wrong, each variant saying when it happens.
///
/// Errors compare with `==` so tests can assert on them:
///
/// ```
/// use kafka_producer::{Error, TimeoutKind};
/// let e = Error::Timeout { kind: TimeoutKind::Delivery, message: "Expired 3 record(s)".into() };
/// assert!(e.is_retriable());
/// assert!(e.to_string().contains("delivery.timeout.ms"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A configuration key is unknown or its value is invalid. Raised when the producer is built.
    Config {
        /// The key at fault (or keys, joined with " and ").
        key: String,
        /// What is wrong and what is allowed.
        message: String,
    },
    /// A timeout fired; `kind` says which one.
    Timeout {
        /// Which timeout.
        kind: TimeoutKind,
        /// Details: topic, partition, elapsed time.
        message: String,
    },
    /// The broker answered with an error code for this record's partition (or request).
    Broker {
        /// The Kafka error code.
        code: ErrorCode,
        /// The broker's message, if any, or context added by the client.
        message: Option<String>,
    },
    /// The record is larger than `max.request.size`, `buffer.memory`, or the topic's
    /// `max.message.bytes`. Raised by `send` before anything is buffered when the producer can
    /// tell.
    RecordTooLarge {
        /// Serialized size of the record in a batch, in bytes.
        size: usize,
        /// The limit it exceeds.
        limit: usize,
        /// The setting that sets the limit (`max.request.size`, `buffer.memory`, ...).
        setting: &'static str,
    },
    /// The record names a partition the topic does not have.
    InvalidPartition {
        /// The topic.
        topic: String,
        /// The partition asked for.
        partition: i32,
        /// How many partitions the topic has.
        partitions: usize,
    },
    /// A broker could not be reached or the connection broke (retriable).
    Network(String),
    /// A socket operation failed: connecting, writing or reading (retriable). The
    /// [`io::Error`](std::io::Error) is kept: [`source()`](std::error::Error::source) returns
    /// it and [`Error::io_error_kind`] its kind.
    Io {
        /// What was being done, and with which broker.
        context: String,
        /// The I/O error.
        source: IoError,
    },
    /// A broker sent bytes that are not a valid response (the connection is closed).
    Decode(DecodeError),
    /// No broker supports a version of an API this client needs.
    UnsupportedVersion(UnsupportedApi),
    /// The key or value serializer failed.
    Serialization(String),
    /// The record itself is invalid (e.g. a negative timestamp).
    InvalidRecord(String),
    /// The producer was closed before the record could be sent or acknowledged.
    ProducerClosed(String),
    /// The call is not permitted where it was made: [`flush`](crate::KafkaProducer::flush)
    /// from a callback (on the sender thread, which the flush would wait for: a deadlock).
    /// As Java's `KafkaException` from `flush()` in a callback.
    IllegalState(String),
    /// An internal invariant broke: a bug in this crate. Reported instead of panicking.
    Internal(String),
    /// Authentication with a broker failed: the TLS handshake (a certificate no trusted CA
    /// signed, a host name the certificate does not name, no common protocol version or cipher
    /// suite, a client certificate the broker requires and did not get) or SASL (wrong
    /// credentials, a mechanism the broker does not enable). Not retriable: retrying with the
    /// same settings fails the same way, so sends waiting for metadata fail with it at once
    /// (Java's `AuthenticationException` and its subclasses).
    Authentication {
        /// Which layer failed.
        kind: AuthenticationKind,
        /// The broker, as `host:port (id: n)`.
        node: String,
        /// What failed, in words.
        message: String,
        /// The underlying error, when there is one (a TLS error wrapped in an `io::Error`).
        source: Option<IoError>,
    },
    /// Another producer with the same `transactional.id` initialized transactions (or the
    /// transaction coordinator aborted this producer's transaction after
    /// `transaction.timeout.ms` and bumped its epoch): this producer can no longer write
    /// transactionally. Fatal: every later call fails with it; close the producer (Java's
    /// `ProducerFencedException`).
    ProducerFenced(String),
    /// The current transaction cannot commit because of `cause` (a record that failed, a
    /// coordinator error that only aborting clears): call
    /// [`abort_transaction`](crate::KafkaProducer::abort_transaction), then begin a new one.
    /// Returned by `commit_transaction` and `send_offsets_to_transaction`, and by `send`
    /// inside the failed transaction (Java's abortable errors, `TransactionAbortableException`).
    TransactionAbortable {
        /// What happened.
        message: String,
        /// The error that made the transaction abortable.
        cause: Box<Error>,
    },
    /// The transactional producer hit an error that neither a retry nor an abort recovers from
    /// (`transactional.id` not authorized, an invalid transaction state, a transaction timeout
    /// above the broker's maximum, a broker too old for transactions): every later call fails
    /// with it; close the producer (Java's fatal `KafkaException`s of the `TransactionManager`).
    TransactionFatal {
        /// What happened.
        message: String,
        /// The error behind it.
        cause: Box<Error>,
    },
    /// The record's transaction was aborted before the record was written (by
    /// `abort_transaction`, or after an error made the transaction abortable): the record is
    /// not in the log (Java's `TransactionAbortedException`).
    TransactionAborted(String),
}

/// Which layer an [`Error::Authentication`] comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AuthenticationKind {
    /// The TLS handshake failed (Java `SslAuthenticationException`).
    Ssl,
    /// The SASL exchange failed: the broker rejected the credentials, or the client rejected
    /// the server's proof (Java `SaslAuthenticationException`).
    Sasl,
    /// The broker does not enable the configured `sasl.mechanism` (Java
    /// `UnsupportedSaslMechanismException`); the message lists the ones it enables.
    UnsupportedSaslMechanism,
}

impl Error {
    /// Whether retrying the same operation later may succeed (Java's `RetriableException`).
    pub fn is_retriable(&self) -> bool {
        match self {
            Error::Timeout { .. } | Error::Network(_) | Error::Io { .. } => true,
            Error::Broker { code, .. } => code.is_retriable(),
            _ => false,
        }
    }

    /// Whether the current transaction must be aborted ([`Error::TransactionAbortable`]):
    /// [`abort_transaction`](crate::KafkaProducer::abort_transaction) then recovers the
    /// producer.
    ///
    /// ```
    /// use kafka_producer::Error;
    /// let e = Error::ProducerFenced("fenced".into());
    /// assert!(e.is_fatal() && !e.is_abortable());
    /// ```
    pub fn is_abortable(&self) -> bool {
        matches!(self, Error::TransactionAbortable { .. })
    }

    /// Whether the producer can no longer be used ([`Error::ProducerFenced`],
    /// [`Error::TransactionFatal`]): close it and build a new one.
    pub fn is_fatal(&self) -> bool {
        matches!(
            self,
            Error::ProducerFenced(_) | Error::TransactionFatal { .. }
        )
    }

    /// Shorthand for a [`Error::Config`].
    pub fn config(key: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Config {
            key: key.into(),
            message: message.into(),
        }
    }

    /// Shorthand for a [`Error::Timeout`].
    pub fn timeout(kind: TimeoutKind, message: impl Into<String>) -> Self {
        Error::Timeout {
            kind,
            message: message.into(),
        }
    }

    /// An [`Error::Authentication`] whose broker the network layer fills in.
    pub(crate) fn authentication(kind: AuthenticationKind, message: impl Into<String>) -> Self {
        Error::Authentication {
            kind,
            node: String::new(),
            message: message.into(),
            source: None,
        }
    }

    /// A SASL [`Error::Authentication`] (a rejected or malformed exchange, a failed login).
    pub(crate) fn sasl(message: impl Into<String>) -> Self {
        Self::authentication(AuthenticationKind::Sasl, message)
    }

    /// Shorthand for a [`Error::Broker`].
    pub fn broker(code: ErrorCode, message: Option<String>) -> Self {
        Error::Broker { code, message }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Config { key, message } => write!(f, "invalid configuration `{key}`: {message}"),
            Error::Timeout { kind, message } => match kind.config_key() {
                Some(key) => write!(f, "timeout ({key}): {message}"),
                None => write!(f, "timeout: {message}"),
            },
            Error::Broker { code, message } => match message {
                Some(m) => write!(f, "broker error {}: {m}", code),
                None => write!(f, "broker error {}", code),
            },
            Error::RecordTooLarge {
                size,
                limit,
                setting,
            } => write!(
                f,
                "the record is {size} bytes when serialized, which is larger than {limit}, \
                 the value of {setting}"
            ),
            Error::InvalidPartition {
                topic,
                partition,
                partitions,
            } => write!(
                f,
                "invalid partition {partition} for topic {topic}: it has {partitions} partition(s)"
            ),
            Error::Network(m) => write!(f, "network error: {m}"),
            Error::Io { context, source } => write!(f, "network error: {context}: {source}"),
            Error::Decode(e) => write!(f, "invalid bytes from the broker: {e}"),
            Error::UnsupportedVersion(e) => write!(f, "unsupported version: {e}"),
            Error::Serialization(m) => write!(f, "serialization failed: {m}"),
            Error::InvalidRecord(m) => write!(f, "invalid record: {m}"),
            Error::ProducerClosed(m) => write!(f, "producer closed: {m}"),
            Error::IllegalState(m) => write!(f, "{m}"),
            Error::Internal(m) => write!(f, "internal error (a bug in kafka-producer): {m}"),
            Error::Authentication {
                kind,
                node,
                message,
                ..
            } => {
                let what = match kind {
                    AuthenticationKind::Ssl => "TLS handshake",
                    AuthenticationKind::Sasl | AuthenticationKind::UnsupportedSaslMechanism => {
                        "SASL authentication"
                    }
                };
                write!(f, "{what} with node {node} failed: {message}")
            }
            Error::ProducerFenced(m) => write!(f, "producer fenced: {m}"),
            Error::TransactionAbortable { message, cause } => {
                write!(
                    f,
                    "the transaction must be aborted (abort_transaction): {message}: {cause}"
                )
            }
            Error::TransactionFatal { message, cause } => write!(
                f,
                "fatal transactional error, close the producer: {message}: {cause}"
            ),
            Error::TransactionAborted(m) => write!(f, "transaction aborted: {m}"),
        }
    }
}

impl std::error::Error for Error {
    /// The cause: the [`io::Error`](std::io::Error) of [`Error::Io`], the decoding error of
    /// [`Error::Decode`], the version mismatch of [`Error::UnsupportedVersion`].
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source.get_ref()),
            Error::Decode(e) => Some(e),
            Error::UnsupportedVersion(e) => Some(e),
            Error::Authentication {
                source: Some(s), ..
            } => Some(s.get_ref()),
            Error::TransactionAbortable { cause, .. } | Error::TransactionFatal { cause, .. } => {
                Some(cause.as_ref())
            }
            _ => None,
        }
    }
}

impl Error {
    /// The [`io::ErrorKind`](std::io::ErrorKind) of an [`Error::Io`].
    ///
    /// ```
    /// use kafka_producer::Error;
    /// let e = Error::io("connecting to node 1", std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
    /// assert_eq!(e.io_error_kind(), Some(std::io::ErrorKind::ConnectionRefused));
    /// assert!(std::error::Error::source(&e).is_some());
    /// ```
    pub fn io_error_kind(&self) -> Option<std::io::ErrorKind> {
        match self {
            Error::Io { source, .. } => Some(source.kind()),
            _ => None,
        }
    }

    /// An [`Error::Io`] with what was being done.
    pub fn io(context: impl Into<String>, error: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source: IoError::new(error),
        }
    }
}

/// An [`io::Error`](std::io::Error) shared by every record it failed: cloneable, and equal to
/// another with the same kind and message.
///
/// ```
/// use kafka_producer::error::IoError;
/// let e = IoError::new(std::io::Error::from(std::io::ErrorKind::TimedOut));
/// assert_eq!(e.kind(), std::io::ErrorKind::TimedOut);
/// ```
#[derive(Debug, Clone)]
pub struct IoError(std::sync::Arc<std::io::Error>);

impl IoError {
    /// Wraps an I/O error.
    pub fn new(error: std::io::Error) -> Self {
        IoError(std::sync::Arc::new(error))
    }

    /// Its kind.
    pub fn kind(&self) -> std::io::ErrorKind {
        self.0.kind()
    }

    /// The I/O error.
    pub fn get_ref(&self) -> &std::io::Error {
        &self.0
    }
}

impl PartialEq for IoError {
    fn eq(&self, other: &Self) -> bool {
        self.kind() == other.kind() && self.0.to_string() == other.0.to_string()
    }
}

impl Eq for IoError {}

impl fmt::Display for IoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl From<DecodeError> for Error {
    fn from(e: DecodeError) -> Self {
        Error::Decode(e)
    }
}

impl From<UnsupportedApi> for Error {
    fn from(e: UnsupportedApi) -> Self {
        Error::UnsupportedVersion(e)
    }
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retriable_classification() {
        assert!(Error::broker(ErrorCode::NOT_LEADER_OR_FOLLOWER, None).is_retriable());
        assert!(!Error::broker(ErrorCode::MESSAGE_TOO_LARGE, None).is_retriable());
        assert!(Error::Network("reset".into()).is_retriable());
        assert!(!Error::config("acks", "bad").is_retriable());
    }

    #[test]
    fn messages_name_the_setting() {
        let e = Error::RecordTooLarge {
            size: 2_000_000,
            limit: 1_048_576,
            setting: "max.request.size",
        };
        assert!(e.to_string().contains("max.request.size"));
        let e = Error::timeout(
            TimeoutKind::Metadata,
            "Topic t not present in metadata after 10 ms.",
        );
        assert!(e.to_string().contains("max.block.ms"));
    }
}
