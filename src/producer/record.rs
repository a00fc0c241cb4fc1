//! `ProducerRecord` (what is sent) and `RecordMetadata` (where it landed).

use crate::protocol::record_batch::Header;
use std::sync::Arc;

/// A record's headers, in order (Java's `Headers`); a key may repeat.
///
/// ```
/// use kafka_producer::{Header, Headers};
/// let headers: Headers = vec![Header { key: "trace".into(), value: Some(b"42".to_vec()) }];
/// assert_eq!(headers[0].key, "trace");
/// ```
pub type Headers = Vec<Header>;

/// A record to send: topic, optional partition, optional key, value, headers and timestamp.
///
/// ```
/// use kafka_producer::ProducerRecord;
/// let r = ProducerRecord::new("orders", "order-1".to_string())
///     .with_key(42)
///     .with_partition(3)
///     .with_header("trace", b"abc".to_vec())
///     .with_timestamp(1_700_000_000_000);
/// assert_eq!(r.partition, Some(3));
/// assert_eq!(r.key, Some(42));
///
/// // Many records to one topic: share the name instead of copying it per record.
/// let topic: std::sync::Arc<str> = "orders".into();
/// let records: Vec<ProducerRecord<(), String>> =
///     (0..3).map(|i| ProducerRecord::new(topic.clone(), format!("order-{i}"))).collect();
/// assert_eq!(&*records[2].topic, "orders");
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ProducerRecord<K, V> {
    /// Topic to send to. Shared, not copied: a caller sending many records to one topic
    /// clones one `Arc<str>` (a reference count) instead of allocating a `String` per record.
    pub topic: Arc<str>,
    /// Partition; `None` lets the partitioner choose.
    pub partition: Option<i32>,
    /// Key; `None` is a null key.
    pub key: Option<K>,
    /// Value; `None` is a null value (a tombstone on compacted topics).
    pub value: Option<V>,
    /// Headers.
    pub headers: Headers,
    /// Create time in milliseconds since the epoch; `None` uses the current time.
    pub timestamp: Option<i64>,
}

impl<K, V> ProducerRecord<K, V> {
    /// A record with a value and no key.
    pub fn new(topic: impl Into<Arc<str>>, value: V) -> Self {
        ProducerRecord {
            topic: topic.into(),
            partition: None,
            key: None,
            value: Some(value),
            headers: Vec::new(),
            timestamp: None,
        }
    }

    /// A record with a key and a value.
    pub fn with_key_value(topic: impl Into<Arc<str>>, key: K, value: V) -> Self {
        Self::new(topic, value).with_key(key)
    }

    /// A record with a null value (a tombstone).
    pub fn tombstone(topic: impl Into<Arc<str>>, key: K) -> Self {
        ProducerRecord {
            topic: topic.into(),
            partition: None,
            key: Some(key),
            value: None,
            headers: Vec::new(),
            timestamp: None,
        }
    }

    /// Sets the key.
    pub fn with_key(mut self, key: K) -> Self {
        self.key = Some(key);
        self
    }

    /// Sets the partition.
    pub fn with_partition(mut self, partition: i32) -> Self {
        self.partition = Some(partition);
        self
    }

    /// Sets the timestamp (ms since the epoch).
    pub fn with_timestamp(mut self, timestamp: i64) -> Self {
        self.timestamp = Some(timestamp);
        self
    }

    /// Adds a header.
    pub fn with_header(mut self, key: impl Into<String>, value: impl Into<Vec<u8>>) -> Self {
        self.headers.push(Header::new(key, value));
        self
    }
}

/// Where an acknowledged record landed, as Java's `RecordMetadata`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecordMetadata {
    /// Topic.
    pub topic: Arc<str>,
    /// Partition.
    pub partition: i32,
    /// Offset in the partition; -1 when unknown (acks=0).
    pub offset: i64,
    /// The record's timestamp: its create time, or the broker's append time for topics with
    /// `message.timestamp.type=LogAppendTime`.
    pub timestamp: i64,
    /// Serialized key size in bytes, -1 for a null key.
    pub serialized_key_size: i32,
    /// Serialized value size in bytes, -1 for a null value.
    pub serialized_value_size: i32,
}

impl RecordMetadata {
    /// Whether the offset is known (false with acks=0).
    pub fn has_offset(&self) -> bool {
        self.offset >= 0
    }
}
