//! Choosing a record's partition, as the Java client does.
//!
//! * A record with an explicit partition goes there.
//! * Else a user-supplied [`Partitioner`] (Java's `partitioner.class`) may choose.
//! * Else a record with a key goes to [`partition_for_key`]: `murmur2(key) & 0x7fffffff % n`,
//!   bit for bit Java's `BuiltInPartitioner.partitionForKey`, so that Rust and Java producers
//!   put the same key on the same partition.
//! * Else (no key, or `partitioner.ignore.keys`) the built-in partitioner (`BuiltInPartitioner`, crate-private) of the topic picks
//!   the "sticky" partition: it sends to one partition until about `batch.size` bytes went there,
//!   then switches, preferring partitions whose brokers have shorter queues (KIP-794, "uniform
//!   sticky" with adaptive partitioning).
//!
//! ```
//! use kafka_producer::producer::partitioner::{murmur2, partition_for_key};
//! assert_eq!(murmur2(b"key-0"), 29210041);
//! assert_eq!(partition_for_key(b"key-0", 7), 0);
//! assert_eq!(partition_for_key(&258i32.to_be_bytes(), 12), 8);
//! ```

mod built_in;
mod murmur2;

#[cfg(test)]
mod tests;

pub(crate) use built_in::{BuiltInPartitioner, StickyPartitionInfo};
pub use murmur2::{murmur2, partition_for_key, to_positive};

use crate::cluster::Cluster;

/// A user-supplied partitioner, as Java's `org.apache.kafka.clients.producer.Partitioner`
/// (the `partitioner.class` setting).
///
/// The producer calls [`partition`](Partitioner::partition) for every record that names no
/// partition itself, from the thread that calls `send`. Implementations must be thread-safe.
///
/// Unlike Java's interface, `partition` may return `None`: "no opinion, let the built-in
/// partitioner choose", i.e. [`partition_for_key`] when the record has a key (and
/// `partitioner.ignore.keys` is false) or the sticky built-in partitioner (`BuiltInPartitioner`, crate-private) otherwise. A
/// returned partition must exist in the topic; the producer rejects the record otherwise. Java's
/// partitioner also receives the unserialized key and value objects; here only their serialized
/// bytes are passed. Java's deprecated `onNewBatch` has no counterpart.
///
/// ```
/// use kafka_producer::Cluster;
/// use kafka_producer::producer::partitioner::{partition_for_key, Partitioner};
///
/// /// Keys starting with "vip-" go to partition 0; other keys are hashed over the remaining
/// /// partitions; records without a key are left to the built-in sticky partitioner.
/// struct VipFirst;
///
/// impl Partitioner for VipFirst {
///     fn partition(&self, topic: &str, key: Option<&[u8]>, _value: Option<&[u8]>,
///                  cluster: &Cluster) -> Option<i32> {
///         let key = key?;
///         if key.starts_with(b"vip-") {
///             return Some(0);
///         }
///         let n = cluster.partition_count_for_topic(topic)?;
///         Some(1 + partition_for_key(key, n.saturating_sub(1).max(1)))
///     }
/// }
///
/// let cluster = Cluster::default();
/// assert_eq!(VipFirst.partition("t", Some(b"vip-42"), None, &cluster), Some(0));
/// assert_eq!(VipFirst.partition("t", None, Some(b"v"), &cluster), None);
/// ```
pub trait Partitioner: Send + Sync {
    /// The partition for a record of `topic` with the serialized `key` and `value` (`None` for a
    /// null key or value), or `None` to let the built-in partitioner choose. `cluster` is the
    /// current metadata snapshot, which knows the topic.
    fn partition(
        &self,
        topic: &str,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        cluster: &Cluster,
    ) -> Option<i32>;

    /// Called once when the producer closes. Does nothing by default.
    fn close(&self) {}
}
