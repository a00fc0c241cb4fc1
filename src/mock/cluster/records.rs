//! Reading back what the cluster received: request counts, end offsets, raw batches and
//! [`MockRecord`]s.

use crate::protocol::record_batch::{Header, RecordBatch};
use std::sync::atomic::Ordering;

use super::{MockCluster, partition_mut};

/// A record read back from a [`MockCluster`] partition.
///
/// ```
/// use kafka_producer::mock::MockCluster;
/// let cluster = MockCluster::new(1);
/// cluster.create_topic("t", 1);
/// let records: Vec<kafka_producer::mock::MockRecord> = cluster.records("t", 0);
/// assert!(records.is_empty());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MockRecord {
    /// Offset in the partition.
    pub offset: i64,
    /// Timestamp (create time, or the batch's log append time).
    pub timestamp: i64,
    /// Key, `None` for a null key.
    pub key: Option<Vec<u8>>,
    /// Value, `None` for a null value (tombstone).
    pub value: Option<Vec<u8>>,
    /// Headers, in order.
    pub headers: Vec<Header>,
    /// Producer id of its batch, -1 without idempotence.
    pub producer_id: i64,
    /// Producer epoch of its batch.
    pub producer_epoch: i16,
    /// The record's own sequence number (batch base sequence + offset delta), -1 without
    /// idempotence.
    pub sequence: i32,
}

impl MockCluster {
    /// Produce requests received by the whole cluster so far.
    ///
    /// ```
    /// assert_eq!(kafka_producer::mock::MockCluster::new(1).produce_requests(), 0);
    /// ```
    pub fn produce_requests(&self) -> usize {
        self.shared.produce_requests.load(Ordering::SeqCst)
    }

    /// Produce requests received by one broker so far.
    ///
    /// ```
    /// assert_eq!(kafka_producer::mock::MockCluster::new(2).broker_produce_requests(1), 0);
    /// ```
    pub fn broker_produce_requests(&self, broker: i32) -> usize {
        self.broker(broker).produce_requests.load(Ordering::SeqCst)
    }

    /// The partition's log end offset (0 if it does not exist).
    ///
    /// ```
    /// let cluster = kafka_producer::mock::MockCluster::new(1);
    /// cluster.create_topic("t", 1);
    /// assert_eq!(cluster.end_offset("t", 0), 0);
    /// ```
    pub fn end_offset(&self, topic: &str, partition: i32) -> i64 {
        let mut st = self.shared.state.lock();
        partition_mut(&mut st, topic, partition).map_or(0, |p| p.next_offset)
    }

    /// The record batches written to a partition, as stored (base offsets set), oldest first.
    /// Empty when records are not kept
    /// ([`MockClusterBuilder::store_records`](super::MockClusterBuilder::store_records)).
    ///
    /// ```
    /// let cluster = kafka_producer::mock::MockCluster::new(1);
    /// cluster.create_topic("t", 1);
    /// assert!(cluster.batches("t", 0).is_empty());
    /// ```
    pub fn batches(&self, topic: &str, partition: i32) -> Vec<Vec<u8>> {
        let mut st = self.shared.state.lock();
        partition_mut(&mut st, topic, partition)
            .map(|p| p.batches.iter().map(|(_, b)| b.clone()).collect())
            .unwrap_or_default()
    }

    /// The records written to a partition, decoded with the crate's RecordBatch decoder (every
    /// codec), in offset order.
    ///
    /// ```
    /// let cluster = kafka_producer::mock::MockCluster::new(1);
    /// cluster.create_topic("t", 1);
    /// assert!(cluster.records("t", 0).is_empty());
    /// ```
    ///
    /// # Panics
    ///
    /// If a stored batch does not decode (the producer wrote a corrupt batch).
    pub fn records(&self, topic: &str, partition: i32) -> Vec<MockRecord> {
        let mut out = Vec::new();
        for bytes in self.batches(topic, partition) {
            let batches = RecordBatch::decode_all(&bytes)
                .unwrap_or_else(|e| panic!("{topic}-{partition}: undecodable batch: {e}"));
            for b in batches {
                for r in &b.records {
                    out.push(MockRecord {
                        offset: b.offset_of(r),
                        timestamp: b.timestamp_of(r),
                        key: r.key.clone(),
                        value: r.value.clone(),
                        headers: r.headers.clone(),
                        producer_id: b.producer_id,
                        producer_epoch: b.producer_epoch,
                        sequence: if b.base_sequence < 0 {
                            -1
                        } else {
                            b.base_sequence.wrapping_add(r.offset_delta)
                        },
                    });
                }
            }
        }
        out
    }

    /// The values of [`records`](Self::records), a null value as an empty one.
    ///
    /// ```
    /// let cluster = kafka_producer::mock::MockCluster::new(1);
    /// cluster.create_topic("t", 1);
    /// assert!(cluster.values("t", 0).is_empty());
    /// ```
    pub fn values(&self, topic: &str, partition: i32) -> Vec<Vec<u8>> {
        self.records(topic, partition)
            .into_iter()
            .map(|r| r.value.unwrap_or_default())
            .collect()
    }
}
