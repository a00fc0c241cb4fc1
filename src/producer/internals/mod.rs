//! The rooms behind [`KafkaProducer`](super::kafka_producer::KafkaProducer), one file each as in
//! the Java client's `producer/internals/`; none of it is public API.
//!
//! - [`accumulator`]: `RecordAccumulator`, per-partition queues of batches.
//! - [`buffer_pool`]: `BufferPool`, the bounded `buffer.memory`.
//! - [`batch`]: `ProducerBatch`, records of one partition in one RecordBatch.
//! - [`sender`]: `Sender`, the I/O thread, over a `KafkaClient` and a `Time`.
//! - [`transaction_manager`]: `TransactionManager`, the idempotent producer's sequences.
//! - [`lock_stats`]: the queues' and the pool's mutexes, timed with the `lock-stats` feature.

pub(crate) mod accumulator;
pub(crate) mod batch;
pub(crate) mod buffer_pool;
pub(crate) mod kafka_producer_metrics;
pub(crate) mod lock_stats;
pub(crate) mod sender;
pub(crate) mod sender_metrics_registry;
pub(crate) mod transaction_manager;
