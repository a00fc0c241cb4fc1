//! What a transactional producer needs of the consumer side of an exactly-once pipeline
//! (Java's `org.apache.kafka.clients.consumer` types of the same names):
//!
//! - [`OffsetAndMetadata`]: a consumed position to commit with the transaction.
//! - [`ConsumerGroupMetadata`]: the group (and, for fencing of zombie consumers, its generation
//!   and member) the offsets belong to.
//!
//! Both go to [`KafkaProducer::send_offsets_to_transaction`](crate::KafkaProducer::send_offsets_to_transaction).

mod consumer_group_metadata;
mod offset_and_metadata;

pub use consumer_group_metadata::ConsumerGroupMetadata;
pub use offset_and_metadata::OffsetAndMetadata;
