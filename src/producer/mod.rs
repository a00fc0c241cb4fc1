//! The producer: [`KafkaProducer`](kafka_producer::KafkaProducer) and the rooms of its design,
//! one file each as in the Java client's `producer/internals/`.
//!
//! - [`accumulator`]: `RecordAccumulator`, per-partition queues of batches.
//! - [`buffer_pool`]: `BufferPool`, the bounded `buffer.memory`.
//! - [`batch`]: `ProducerBatch`, records of one partition in one RecordBatch.
//! - [`sender`]: `Sender`, the I/O thread.
//! - [`partitioner`]: murmur2 key hashing, the `Partitioner` trait, the built-in sticky partitioner.
//! - [`serializer`]: the `Serializer` trait and Java's built-in serializers.
//! - [`record`]: `ProducerRecord`, `RecordMetadata`.
//! - [`delivery`]: `RecordFuture` and callbacks.

pub mod accumulator;
pub mod batch;
pub mod buffer_pool;
pub mod delivery;
pub mod kafka_producer;
pub mod partitioner;
pub mod record;
pub mod sender;
pub mod serializer;
pub mod transaction_manager;
