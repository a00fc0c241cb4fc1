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
// Only `producer::callback` (inline storage of callbacks) allows it.
#![deny(unsafe_code)]

pub mod cluster;
pub mod config;
pub mod consumer;
pub mod error;
pub(crate) mod metadata;
pub mod metrics;
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

    /// What an OAUTHBEARER token endpoint sends back: the HTTP/1.1 response (status line,
    /// headers, Content-Length or chunked body), its JSON body (`access_token`, `expires_in`)
    /// and the token's client-side validation (three base64url sections, `exp`, `sub`).
    pub fn oauthbearer_token_response(bytes: &[u8]) -> bool {
        use crate::security::sasl::oauthbearer::http_access_token_retriever::parse_access_token;
        use crate::security::sasl::oauthbearer::http_client::read_response;
        use crate::security::sasl::oauthbearer::login_access_token_validator::LoginAccessTokenValidator;
        let Ok(response) = read_response(std::io::BufReader::new(bytes)) else {
            return false;
        };
        let Ok(retrieved) = parse_access_token(&response.body) else {
            return false;
        };
        LoginAccessTokenValidator::new("scope", "sub")
            .validate(&retrieved.access_token)
            .is_ok()
    }

    /// The OAUTHBEARER client given a server challenge (RFC 7628's error document) after its
    /// initial response: it must answer `%x01` or fail, never panic, and never echo the token.
    pub fn oauthbearer_server_challenge(challenge: &[u8]) -> bool {
        use crate::security::OAuthBearerToken;
        use crate::security::sasl::oauthbearer::client::OAuthBearerSaslClient;
        let token = OAuthBearerToken::new(
            "header.payload.signature",
            "fuzz",
            std::time::SystemTime::UNIX_EPOCH,
        );
        let Ok(mut client) = OAuthBearerSaslClient::new(token, Default::default()) else {
            return false;
        };
        let _ = client.initial_response();
        match client.evaluate_challenge(challenge) {
            Ok(Some(answer)) => {
                assert_eq!(answer, [1], "the answer to an error document is %x01");
                if let Err(e) = client.evaluate_challenge(&[]) {
                    assert!(!e.to_string().contains("payload"), "the token leaked: {e}");
                }
                true
            }
            Ok(None) => true,
            Err(e) => {
                assert!(!e.to_string().contains("payload"), "the token leaked: {e}");
                false
            }
        }
    }
}

pub use cluster::{Cluster, Node, PartitionInfo, TopicPartition};
pub use config::{Acks, CompressionType, ProducerConfig, ProducerConfigBuilder};
pub use consumer::{ConsumerGroupMetadata, OffsetAndMetadata};
pub use error::{AuthenticationKind, Error, Result, TimeoutKind};
pub use producer::delivery::{Callback, RecordFuture};
pub use producer::interceptor::ProducerInterceptor;
pub use producer::kafka_producer::{KafkaProducer, KafkaProducerBuilder, ProducerMetrics};
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
