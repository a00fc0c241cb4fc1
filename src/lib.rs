//! A native, synchronous Apache Kafka producer, designed after the Java `KafkaProducer`.
//!
//! ```text
//!  caller threads                         sender thread (one, "kafka-producer-network-thread")
//!  ───────────────                        ─────────────────────────────────────────────────────
//!  send(record)                           loop {
//!   ├ wait on metadata (max.block.ms)       ready(): leaders with sendable batches (linger.ms,
//!   ├ serialize key / value                          batch.size, flush, close, memory pressure)
//!   ├ partition (explicit, murmur2(key),    drain(): one Produce request per node, round-robin
//!   │            sticky / adaptive)                  over its partitions, up to max.request.size
//!   ├ size check (max.request.size,         expire batches past delivery.timeout.ms
//!   │             buffer.memory)            poll(): connect, ApiVersions, write, read,
//!   └ RecordAccumulator.append ──────────►          request timeouts, metadata maybeUpdate
//!       per-partition Mutex<VecDeque<          complete / retry / fail batches: callbacks and
//!       ProducerBatch>>, memory from           futures, once each, in order per partition
//!       the BufferPool (blocks FIFO)        }
//! ```
//!
//! The wire protocol lives in [`protocol`] (sans-IO: bytes in, typed values out), sockets only
//! in the crate-private `network` module.
#![warn(missing_docs)]
#![deny(unreachable_pub)]
#![forbid(unsafe_code)]

pub mod cluster;
pub mod config;
pub mod error;
pub(crate) mod metadata;
// Also in the crate's own unit tests, which share its response builders.
#[cfg(any(test, feature = "mock"))]
pub mod mock;
pub(crate) mod network;
pub mod producer;
pub mod protocol;
pub mod security;
pub(crate) mod time;

/// Internals that the crate's own benchmarks measure directly (`benches/producer.rs`): not
/// public API, no stability promise.
#[doc(hidden)]
pub mod __bench {
    pub use crate::producer::delivery::BatchOutcome;
    pub use crate::producer::internals::accumulator::{AccumulatorConfig, RecordAccumulator};
    pub use crate::producer::internals::buffer_pool::BufferPool;
}

/// Thin wrappers over crate-private parsers for the fuzz targets in `fuzz/` (a separate
/// package): not public API, no stability promise. Each returns whether the input was accepted
/// and panics only when a checked property breaks.
#[doc(hidden)]
pub mod __fuzz {
    use crate::config::Password;
    use crate::security::sasl::SaslClient;
    use crate::security::sasl::jaas::JaasConfig;
    use crate::security::sasl::scram::{
        ScramMechanism, ScramSaslClient, ServerFinalMessage, ServerFirstMessage,
    };

    /// Parses a SCRAM server-first message. An accepted message re-encodes to bytes that parse
    /// to the same value.
    pub fn scram_parse_server_first(bytes: &[u8]) -> bool {
        match ServerFirstMessage::parse(bytes) {
            Err(_) => false,
            Ok(m) => {
                let again = ServerFirstMessage::parse(&m.to_bytes());
                assert_eq!(again.as_ref(), Ok(&m), "server-first re-encoding");
                true
            }
        }
    }

    /// Parses a SCRAM server-final message. An accepted message re-encodes to bytes that parse
    /// to the same value.
    pub fn scram_parse_server_final(bytes: &[u8]) -> bool {
        match ServerFinalMessage::parse(bytes) {
            Err(_) => false,
            Ok(m) => {
                let again = ServerFinalMessage::parse(&m.to_bytes());
                assert_eq!(again.as_ref(), Ok(&m), "server-final re-encoding");
                true
            }
        }
    }

    /// Runs a whole SCRAM client exchange (client nonce `fuzz`, user `user`, password `pencil`)
    /// against the two server messages; true when the client accepts both (which a fuzzer
    /// should not manage without forging the HMAC).
    pub fn scram_exchange(sha512: bool, server_first: &[u8], server_final: &[u8]) -> bool {
        let mechanism = if sha512 {
            ScramMechanism::Sha512
        } else {
            ScramMechanism::Sha256
        };
        let mut c =
            ScramSaslClient::with_nonce(mechanism, "user", Password::new("pencil"), "fuzz".into());
        assert_eq!(c.mechanism_name(), mechanism.mechanism_name());
        if c.initial_response().is_err() {
            return false;
        }
        match c.evaluate_challenge(server_first) {
            Ok(Some(_)) => {}
            _ => return false,
        }
        let done = matches!(c.evaluate_challenge(server_final), Ok(None));
        assert_eq!(done, c.is_complete());
        done
    }

    /// Parses a `sasl.jaas.config` value.
    pub fn jaas_parse(text: &str) -> bool {
        JaasConfig::parse(text).is_ok()
    }
}

pub use cluster::{Cluster, Node, PartitionInfo, TopicPartition};
pub use config::{Acks, CompressionType, ProducerConfig, ProducerConfigBuilder};
pub use error::{AuthenticationKind, Error, Result, TimeoutKind};
pub use producer::delivery::{Callback, RecordFuture};
pub use producer::kafka_producer::{KafkaProducer, ProducerMetrics};
pub use producer::partitioner::Partitioner;
pub use producer::record::{Headers, ProducerRecord, RecordMetadata};
pub use producer::serializer::{
    BooleanSerializer, ByteArraySerializer, BytesSerializer, DoubleSerializer, FloatSerializer,
    IntegerSerializer, LongSerializer, Serializer, ShortSerializer, StringSerializer,
    UuidSerializer,
};
pub use protocol::record_batch::Header;

/// The README's examples, compiled as doc tests so the README stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
