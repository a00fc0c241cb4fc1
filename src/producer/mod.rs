//! The producer: [`KafkaProducer`](kafka_producer::KafkaProducer) and what its users touch.
//!
//! - [`kafka_producer`]: `KafkaProducer`, the public handle, and its builder.
//! - [`interceptor`]: the `ProducerInterceptor` trait (a chain of them sees every record).
//! - [`record`]: `ProducerRecord`, `RecordMetadata`.
//! - [`delivery`]: `RecordFuture` and callbacks.
//! - [`serializer`]: the `Serializer` trait and Java's built-in serializers.
//! - [`partitioner`]: murmur2 key hashing, the `Partitioner` trait, the built-in sticky partitioner.
//!
//! Behind them, `internals` (crate-private, as Java's `producer/internals/`): the
//! `RecordAccumulator`, `BufferPool`, `ProducerBatch`, `Sender` and `TransactionManager`.

pub(crate) mod callback;
pub mod delivery;
pub mod interceptor;
pub(crate) mod internals;
pub mod kafka_producer;
pub mod partitioner;
pub mod record;
pub mod serializer;

/// Lock statistics of the producer's hot mutexes (the `lock-stats` feature, off by default):
/// the accumulator's per-partition queues and the buffer pool, summed over the process. With
/// the feature every acquisition of those mutexes is timed (two clock reads and a few atomic
/// additions), so a build with it is for finding lock convoys, not for throughput figures.
/// `examples/producer_perf.rs` prints them at the end when built with the feature.
#[cfg(feature = "lock-stats")]
pub mod lock_stats {
    pub use super::internals::lock_stats::{LockCounts, LockStats, read, reset};
}
