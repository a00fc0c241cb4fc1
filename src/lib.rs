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
//! in [`network`].
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod cluster;
pub mod config;
pub mod error;
pub mod metadata;
// Also in the crate's own unit tests, which share its response builders.
#[cfg(any(test, feature = "mock"))]
pub mod mock;
pub mod network;
pub mod producer;
pub mod protocol;

pub use cluster::{Cluster, Node, PartitionInfo, TopicPartition};
pub use config::{Acks, ProducerConfig, ProducerConfigBuilder};
pub use error::{Error, Result, TimeoutKind};
pub use producer::delivery::{Callback, RecordFuture};
pub use producer::kafka_producer::{KafkaProducer, ProducerMetrics};
pub use producer::partitioner::Partitioner;
pub use producer::record::{ProducerRecord, RecordMetadata};
pub use producer::serializer::Serializer;
pub use protocol::record_batch::Header;

/// The README's examples, compiled as doc tests so the README stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
