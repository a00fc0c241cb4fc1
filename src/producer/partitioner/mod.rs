//! Choosing a record's partition, as the Java client does.
//!
//! * A record with an explicit partition goes there.
//! * Else a user-supplied [`Partitioner`] (Java's `partitioner.class`) may choose.
//! * Else a record with a key goes to [`partition_for_key`]: `murmur2(key) & 0x7fffffff % n`,
//!   bit for bit Java's `BuiltInPartitioner.partitionForKey`, so that Rust and Java producers
//!   put the same key on the same partition.
//! * Else (no key, or `partitioner.ignore.keys`) the [`BuiltInPartitioner`] of the topic picks
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

use crate::cluster::Cluster;
use parking_lot::RwLock;
use std::cell::Cell;
use std::fmt;
use std::hash::{BuildHasher, RandomState};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// The 32-bit MurmurHash2 of `data`, exactly as Java's
/// `org.apache.kafka.common.utils.Utils.murmur2(byte[])` (seed `0x9747b28c`): the hash every
/// Kafka client uses to map keys to partitions.
///
/// ```
/// use kafka_producer::producer::partitioner::murmur2;
/// assert_eq!(murmur2(b""), 275646681);
/// assert_eq!(murmur2(b"hello"), 2132663229);
/// assert_eq!(murmur2(&[0xff]), -311467685);
/// ```
pub fn murmur2(data: &[u8]) -> i32 {
    const SEED: u32 = 0x9747_b28c;
    // 'm' and 'r' are mixing constants generated offline (Java's comment: "They're not really
    // 'magic', they just happen to work well").
    const M: u32 = 0x5bd1_e995;
    const R: u32 = 24;

    let length = data.len();
    // Java: `int h = seed ^ length` (the length of a Java array is an int).
    let mut h = SEED ^ (length as u32);

    let mut chunks = data.chunks_exact(4);
    for c in &mut chunks {
        // Java adds the four `& 0xff` bytes little-endian; the parts do not overlap, so + is |.
        let mut k = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        k = k.wrapping_mul(M);
        k ^= k >> R; // `>>>`: a logical shift, as on u32
        k = k.wrapping_mul(M);
        h = h.wrapping_mul(M);
        h ^= k;
    }

    // Java's `switch (length % 4)` with fall-through from case 3 to case 1.
    let tail = chunks.remainder();
    if tail.len() >= 3 {
        h ^= u32::from(tail[2]) << 16;
    }
    if tail.len() >= 2 {
        h ^= u32::from(tail[1]) << 8;
    }
    if !tail.is_empty() {
        h ^= u32::from(tail[0]);
        h = h.wrapping_mul(M);
    }

    h ^= h >> 13;
    h = h.wrapping_mul(M);
    h ^= h >> 15;
    h as i32
}

/// Java's `Utils.toPositive`: clears the sign bit (this is not `abs`: `-1` becomes
/// `0x7fffffff`, and `i32::MIN` becomes 0).
///
/// ```
/// use kafka_producer::producer::partitioner::to_positive;
/// assert_eq!(to_positive(5), 5);
/// assert_eq!(to_positive(-1), i32::MAX);
/// assert_eq!(to_positive(i32::MIN), 0);
/// ```
pub fn to_positive(n: i32) -> i32 {
    n & 0x7fff_ffff
}

/// The partition of a record whose serialized key is `key`, in a topic of `num_partitions`
/// partitions: `to_positive(murmur2(key)) % num_partitions`, as Java's
/// `BuiltInPartitioner.partitionForKey` (and the old `DefaultPartitioner`).
///
/// # Panics
///
/// If `num_partitions` is 0 (Java throws `ArithmeticException`).
///
/// ```
/// use kafka_producer::producer::partitioner::partition_for_key;
/// assert_eq!(partition_for_key(b"key-0", 7), 0);
/// assert_eq!(partition_for_key(b"kafka", 12), 4);
/// ```
pub fn partition_for_key(key: &[u8], num_partitions: usize) -> i32 {
    // `to_positive(..)` is below 2^31, so the remainder fits an i32 for every `num_partitions`.
    (to_positive(murmur2(key)) as usize % num_partitions) as i32
}

/// A user-supplied partitioner, as Java's `org.apache.kafka.clients.producer.Partitioner`
/// (the `partitioner.class` setting).
///
/// The producer calls [`partition`](Partitioner::partition) for every record that names no
/// partition itself, from the thread that calls `send`. Implementations must be thread-safe.
///
/// Unlike Java's interface, `partition` may return `None`: "no opinion, let the built-in
/// partitioner choose", i.e. [`partition_for_key`] when the record has a key (and
/// `partitioner.ignore.keys` is false) or the sticky [`BuiltInPartitioner`] otherwise. A
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

/// The sticky partition a [`BuiltInPartitioner`] currently sends to, and how many bytes were
/// appended to it since it was chosen (Java's `BuiltInPartitioner.StickyPartitionInfo`).
///
/// A cheap handle: clones share one object. Objects are compared by identity: a new one is made
/// at every switch, even when the new partition is the same as the old one, and
/// [`BuiltInPartitioner::is_partition_changed`] tells whether a handle still refers to the
/// current one.
///
/// ```
/// # use kafka_producer::{Cluster, Node, PartitionInfo};
/// use kafka_producer::producer::partitioner::BuiltInPartitioner;
/// # let node = Node { id: 1, host: "h".into(), port: 9092, rack: None };
/// # let part = PartitionInfo { topic: "t".into(), partition: 0, leader: Some(1), leader_epoch: 0,
/// #     replicas: vec![1], in_sync_replicas: vec![1], offline_replicas: vec![] };
/// # let cluster = Cluster::new(None, None, [node], [part]);
/// let p = BuiltInPartitioner::new("t", 16384);
/// let info = p.peek_current_partition_info(&cluster);
/// assert_eq!(info.partition(), 0, "the topic's only partition");
/// assert_eq!(info.produced_bytes(), 0);
/// ```
#[derive(Debug, Clone)]
pub struct StickyPartitionInfo {
    inner: Arc<StickyState>,
}

#[derive(Debug)]
struct StickyState {
    index: i32,
    produced_bytes: AtomicUsize,
}

impl StickyPartitionInfo {
    fn new(index: i32) -> Self {
        StickyPartitionInfo {
            inner: Arc::new(StickyState {
                index,
                produced_bytes: AtomicUsize::new(0),
            }),
        }
    }

    fn same_as(&self, other: &StickyPartitionInfo) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// The partition.
    ///
    /// ```
    /// # use kafka_producer::{Cluster, Node, PartitionInfo};
    /// use kafka_producer::producer::partitioner::BuiltInPartitioner;
    /// # let node = Node { id: 1, host: "h".into(), port: 9092, rack: None };
    /// # let part = PartitionInfo { topic: "t".into(), partition: 0, leader: Some(1), leader_epoch: 0,
    /// #     replicas: vec![1], in_sync_replicas: vec![1], offline_replicas: vec![] };
    /// # let cluster = Cluster::new(None, None, [node], [part]);
    /// let p = BuiltInPartitioner::new("t", 16384);
    /// assert_eq!(p.peek_current_partition_info(&cluster).partition(), 0);
    /// ```
    pub fn partition(&self) -> i32 {
        self.inner.index
    }

    /// The bytes appended to this partition since it became the sticky partition.
    ///
    /// ```
    /// # use kafka_producer::{Cluster, Node, PartitionInfo};
    /// use kafka_producer::producer::partitioner::BuiltInPartitioner;
    /// # let node = Node { id: 1, host: "h".into(), port: 9092, rack: None };
    /// # let part = PartitionInfo { topic: "t".into(), partition: 0, leader: Some(1), leader_epoch: 0,
    /// #     replicas: vec![1], in_sync_replicas: vec![1], offline_replicas: vec![] };
    /// # let cluster = Cluster::new(None, None, [node], [part]);
    /// let p = BuiltInPartitioner::new("t", 16384);
    /// let info = p.peek_current_partition_info(&cluster);
    /// p.update_partition_info(&info, 100, &cluster, true);
    /// assert_eq!(info.produced_bytes(), 100);
    /// ```
    pub fn produced_bytes(&self) -> usize {
        self.inner.produced_bytes.load(Ordering::Relaxed)
    }
}

/// Java's `BuiltInPartitioner.PartitionLoadStats`: the cumulative frequency table of the
/// partitions that may be chosen, and their ids (both of the logical length).
#[derive(Debug)]
struct PartitionLoadStats {
    cumulative_frequency_table: Vec<i64>,
    partition_ids: Vec<i32>,
}

/// Where [`BuiltInPartitioner::next_partition`] gets its random numbers.
enum RandomSource {
    /// A per-thread generator, as Java's `ThreadLocalRandom`.
    ThreadLocal,
    /// An injected source (tests, simulations).
    Custom(Box<dyn Fn() -> i32 + Send + Sync>),
}

/// The built-in "uniform sticky" partitioner with adaptive partitioning (KIP-794): a faithful
/// port of Java's `org.apache.kafka.clients.producer.internals.BuiltInPartitioner`
/// (Kafka 3.3 to 4.x). One instance per topic; it picks the partition of every record that has
/// neither an explicit partition nor a key (or whose key is ignored).
///
/// It sends to one partition (the *sticky* partition) until at least `sticky_batch_size` bytes
/// (`batch.size`) were appended to it, then switches to another one. The next partition is
/// chosen at random, uniformly among the partitions that have a leader, or, once the sender
/// reported the queue sizes of the partitions with
/// [`update_partition_load_stats`](Self::update_partition_load_stats), with a probability that
/// falls as the partition's queue of unsent batches grows (partitions on slow brokers get less).
///
/// The accumulator drives it as the Java `RecordAccumulator.append` does:
///
/// 1. [`peek_current_partition_info`](Self::peek_current_partition_info) says which partition to
///    lock;
/// 2. lock that partition's batch queue;
/// 3. under the lock, [`is_partition_changed`](Self::is_partition_changed) checks that no other
///    thread switched meanwhile (if so, unlock and start over);
/// 4. append the record;
/// 5. still under the lock, [`update_partition_info`](Self::update_partition_info) counts the
///    appended bytes and maybe switches.
///
/// All methods take `&self` and may be called from many threads at once.
///
/// ```
/// use kafka_producer::{Cluster, Node, PartitionInfo};
/// use kafka_producer::producer::partitioner::BuiltInPartitioner;
///
/// let nodes = (0..3).map(|id| Node { id, host: "localhost".into(), port: 9092, rack: None });
/// let parts = (0..3).map(|p| PartitionInfo {
///     topic: "orders".into(), partition: p, leader: Some(p), leader_epoch: 0,
///     replicas: vec![p], in_sync_replicas: vec![p], offline_replicas: vec![],
/// });
/// let cluster = Cluster::new(None, None, nodes, parts);
///
/// // Switch after 100 bytes.
/// let partitioner = BuiltInPartitioner::new("orders", 100);
/// let first = partitioner.peek_current_partition_info(&cluster);
/// for _ in 0..3 {
///     let info = partitioner.peek_current_partition_info(&cluster);
///     assert_eq!(info.partition(), first.partition(), "sticky");
///     // ... lock the partition's queue, append 30 bytes ...
///     assert!(!partitioner.is_partition_changed(&info));
///     partitioner.update_partition_info(&info, 30, &cluster, true);
/// }
/// let info = partitioner.peek_current_partition_info(&cluster);
/// partitioner.update_partition_info(&info, 30, &cluster, true); // 120 >= 100 bytes
/// assert!(partitioner.is_partition_changed(&first), "switched to a new sticky partition");
/// ```
pub struct BuiltInPartitioner {
    topic: Arc<str>,
    sticky_batch_size: usize,
    /// Java's `volatile PartitionLoadStats partitionLoadStats`.
    partition_load_stats: RwLock<Option<Arc<PartitionLoadStats>>>,
    /// Java's `AtomicReference<StickyPartitionInfo> stickyPartitionInfo`.
    sticky_partition_info: RwLock<Option<StickyPartitionInfo>>,
    random: RandomSource,
}

impl fmt::Debug for BuiltInPartitioner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BuiltInPartitioner")
            .field("topic", &self.topic)
            .field("sticky_batch_size", &self.sticky_batch_size)
            .field("partition_load_stats", &*self.partition_load_stats.read())
            .field("sticky_partition_info", &*self.sticky_partition_info.read())
            .finish_non_exhaustive()
    }
}

impl BuiltInPartitioner {
    /// The partitioner of `topic`, switching partitions after `sticky_batch_size` bytes (the
    /// producer passes `max(1, batch.size)`).
    ///
    /// # Panics
    ///
    /// If `sticky_batch_size` is 0 (Java throws `IllegalArgumentException`).
    ///
    /// ```
    /// use kafka_producer::producer::partitioner::BuiltInPartitioner;
    /// let p = BuiltInPartitioner::new("orders", 16384);
    /// assert_eq!(p.topic(), "orders");
    /// assert_eq!(p.sticky_batch_size(), 16384);
    /// ```
    pub fn new(topic: impl Into<Arc<str>>, sticky_batch_size: usize) -> Self {
        Self::build(topic.into(), sticky_batch_size, RandomSource::ThreadLocal)
    }

    /// Like [`new`](Self::new), but the random numbers that pick the next partition come from
    /// `random` instead of a per-thread generator: for tests and simulations that need a
    /// deterministic choice. Negative numbers are made non-negative with [`to_positive`].
    ///
    /// With no load stats the next partition is the available partition at index
    /// `random % available.len()`; with load stats it is found from `random` modulo the end of
    /// the cumulative frequency table.
    ///
    /// # Panics
    ///
    /// If `sticky_batch_size` is 0.
    ///
    /// ```
    /// use kafka_producer::{Cluster, Node, PartitionInfo};
    /// use kafka_producer::producer::partitioner::BuiltInPartitioner;
    /// use std::sync::atomic::{AtomicI32, Ordering};
    ///
    /// let nodes = [Node { id: 1, host: "h".into(), port: 9092, rack: None }];
    /// let parts = (0..3).map(|p| PartitionInfo {
    ///     topic: "t".into(), partition: p, leader: Some(1), leader_epoch: 0,
    ///     replicas: vec![1], in_sync_replicas: vec![1], offline_replicas: vec![],
    /// });
    /// let cluster = Cluster::new(None, None, nodes, parts);
    ///
    /// let counter = AtomicI32::new(0);
    /// let p = BuiltInPartitioner::with_random("t", 1, move || counter.fetch_add(1, Ordering::Relaxed));
    /// let chosen: Vec<i32> = (0..5).map(|_| p.next_partition(&cluster)).collect();
    /// assert_eq!(chosen, [0, 1, 2, 0, 1], "round robin with a counter as the random source");
    /// ```
    pub fn with_random(
        topic: impl Into<Arc<str>>,
        sticky_batch_size: usize,
        random: impl Fn() -> i32 + Send + Sync + 'static,
    ) -> Self {
        Self::build(
            topic.into(),
            sticky_batch_size,
            RandomSource::Custom(Box::new(random)),
        )
    }

    fn build(topic: Arc<str>, sticky_batch_size: usize, random: RandomSource) -> Self {
        assert!(
            sticky_batch_size >= 1,
            "stickyBatchSize must be >= 1 but got {sticky_batch_size}"
        );
        BuiltInPartitioner {
            topic,
            sticky_batch_size,
            partition_load_stats: RwLock::new(None),
            sticky_partition_info: RwLock::new(None),
            random,
        }
    }

    /// The topic.
    ///
    /// ```
    /// use kafka_producer::producer::partitioner::BuiltInPartitioner;
    /// assert_eq!(BuiltInPartitioner::new("t", 1).topic(), "t");
    /// ```
    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// How many bytes go to a partition before switching (at least; up to twice as many when
    /// switching was disabled, see [`update_partition_info`](Self::update_partition_info)).
    ///
    /// ```
    /// use kafka_producer::producer::partitioner::BuiltInPartitioner;
    /// assert_eq!(BuiltInPartitioner::new("t", 512).sticky_batch_size(), 512);
    /// ```
    pub fn sticky_batch_size(&self) -> usize {
        self.sticky_batch_size
    }

    /// Java's `randomPartition()`: a non-negative random number.
    fn random_partition(&self) -> i32 {
        match &self.random {
            RandomSource::ThreadLocal => to_positive(thread_local_random()),
            RandomSource::Custom(f) => to_positive(f()),
        }
    }

    /// Chooses the next sticky partition (Java's private `nextPartition`); changes nothing.
    ///
    /// Without load stats: a uniformly random partition among the topic's partitions that have
    /// a leader (`cluster.available_partitions_for_topic`), or among all its partitions when
    /// none has one. With load stats: a random partition among those of the stats, weighted by
    /// the cumulative frequency table (partitions with shorter queues are more likely).
    ///
    /// # Panics
    ///
    /// If `cluster` knows no partition of the topic (Java throws `ArithmeticException`); the
    /// producer only partitions records of topics whose metadata it has.
    ///
    /// ```
    /// use kafka_producer::{Cluster, Node, PartitionInfo};
    /// use kafka_producer::producer::partitioner::BuiltInPartitioner;
    ///
    /// let nodes = [Node { id: 1, host: "h".into(), port: 9092, rack: None }];
    /// let parts = (0..4).map(|p| PartitionInfo {
    ///     topic: "t".into(), partition: p, leader: (p % 2 == 1).then_some(1), leader_epoch: 0,
    ///     replicas: vec![1], in_sync_replicas: vec![1], offline_replicas: vec![],
    /// });
    /// let cluster = Cluster::new(None, None, nodes, parts);
    /// let p = BuiltInPartitioner::new("t", 16384);
    /// for _ in 0..20 {
    ///     assert!(matches!(p.next_partition(&cluster), 1 | 3), "only partitions with a leader");
    /// }
    /// ```
    pub fn next_partition(&self, cluster: &Cluster) -> i32 {
        let random = self.random_partition();

        // Java reads its volatile field once into a local.
        let stats = self.partition_load_stats.read().clone();
        let partition = match stats {
            None => {
                // No stats for adaptive partitioning (or it's disabled): switch to the next
                // partition based on a uniform distribution.
                let available = cluster.available_partitions_for_topic(&self.topic);
                if !available.is_empty() {
                    available[random as usize % available.len()].partition
                } else {
                    // No available partitions: pick one among all partitions.
                    let count = cluster.partitions_for_topic(&self.topic).len();
                    assert!(
                        count > 0,
                        "the cluster knows no partitions of topic {}",
                        self.topic
                    );
                    (random as usize % count) as i32
                }
            }
            Some(stats) => {
                // Partitions without leader are excluded from the load stats.
                let cft = &stats.cumulative_frequency_table;
                let weighted_random = i64::from(random) % cft[cft.len() - 1];
                // The table is strictly increasing: find the first value strictly greater than
                // the random number (Java's `Math.abs(Arrays.binarySearch(..) + 1)`). For 4 5 8,
                // 0..=3 map to index 0, 4 to index 1, 5..=7 to index 2.
                let index = cft.partition_point(|&v| v <= weighted_random);
                stats.partition_ids[index]
            }
        };
        log::trace!("Switching to partition {partition} in topic {}", self.topic);
        partition
    }

    /// The end of the range of the weighted random number, i.e. the last entry of the cumulative
    /// frequency table, when load stats are in use (Java's test-only `loadStatsRangeEnd`).
    ///
    /// ```
    /// use kafka_producer::producer::partitioner::BuiltInPartitioner;
    /// let p = BuiltInPartitioner::new("t", 1);
    /// assert_eq!(p.load_stats_range_end(), None);
    /// // Queue sizes 0 3 1 invert to 4 1 3 (max + 1 - size), which sum to 8.
    /// p.update_partition_load_stats(Some(&[0, 3, 1]), &[0, 1, 2]);
    /// assert_eq!(p.load_stats_range_end(), Some(8));
    /// ```
    pub fn load_stats_range_end(&self) -> Option<i64> {
        self.partition_load_stats
            .read()
            .as_ref()
            .map(|s| s.cumulative_frequency_table[s.cumulative_frequency_table.len() - 1])
    }

    /// The current sticky partition; chooses one with [`next_partition`](Self::next_partition)
    /// if there is none yet. Hold on to the returned object: pass it to
    /// [`is_partition_changed`](Self::is_partition_changed) and
    /// [`update_partition_info`](Self::update_partition_info) (see the protocol on
    /// [`BuiltInPartitioner`]).
    ///
    /// ```
    /// # use kafka_producer::{Cluster, Node, PartitionInfo};
    /// use kafka_producer::producer::partitioner::BuiltInPartitioner;
    /// # let node = Node { id: 1, host: "h".into(), port: 9092, rack: None };
    /// # let parts = (0..5).map(|p| PartitionInfo { topic: "t".into(), partition: p, leader: Some(1),
    /// #     leader_epoch: 0, replicas: vec![1], in_sync_replicas: vec![1], offline_replicas: vec![] });
    /// # let cluster = Cluster::new(None, None, [node], parts);
    /// let p = BuiltInPartitioner::new("t", 16384);
    /// let a = p.peek_current_partition_info(&cluster);
    /// let b = p.peek_current_partition_info(&cluster);
    /// assert_eq!(a.partition(), b.partition(), "peeking does not switch");
    /// ```
    pub fn peek_current_partition_info(&self, cluster: &Cluster) -> StickyPartitionInfo {
        if let Some(info) = self.sticky_partition_info.read().as_ref() {
            return info.clone();
        }
        let mut current = self.sticky_partition_info.write();
        if let Some(info) = current.as_ref() {
            // Someone has raced us.
            return info.clone();
        }
        // We're the first to create it.
        let info = StickyPartitionInfo::new(self.next_partition(cluster));
        *current = Some(info.clone());
        info
    }

    /// Whether a concurrent thread switched the sticky partition since `partition_info` was
    /// peeked. Call it under the partition's batch queue lock. (Java's also accepts `null`, for
    /// records that did not use the built-in partitioner, and answers `false`: here the caller
    /// skips the call instead.)
    ///
    /// ```
    /// # use kafka_producer::{Cluster, Node, PartitionInfo};
    /// use kafka_producer::producer::partitioner::BuiltInPartitioner;
    /// # let node = Node { id: 1, host: "h".into(), port: 9092, rack: None };
    /// # let part = PartitionInfo { topic: "t".into(), partition: 0, leader: Some(1), leader_epoch: 0,
    /// #     replicas: vec![1], in_sync_replicas: vec![1], offline_replicas: vec![] };
    /// # let cluster = Cluster::new(None, None, [node], [part]);
    /// let p = BuiltInPartitioner::new("t", 10);
    /// let info = p.peek_current_partition_info(&cluster);
    /// assert!(!p.is_partition_changed(&info));
    /// p.update_partition_info(&info, 10, &cluster, true);
    /// // A new sticky partition object, although the topic has only partition 0.
    /// assert!(p.is_partition_changed(&info));
    /// ```
    pub fn is_partition_changed(&self, partition_info: &StickyPartitionInfo) -> bool {
        !self.is_current(partition_info)
    }

    fn is_current(&self, info: &StickyPartitionInfo) -> bool {
        self.sticky_partition_info
            .read()
            .as_ref()
            .is_some_and(|current| current.same_as(info))
    }

    /// Counts `appended_bytes` more bytes appended to the sticky partition and switches to the
    /// [`next_partition`](Self::next_partition) when enough were: at `sticky_batch_size` bytes
    /// if `enable_switch`, else at twice `sticky_batch_size`. Call it under the partition's
    /// batch queue lock, with the object [`peek_current_partition_info`](Self::peek_current_partition_info)
    /// returned. (Java's also accepts `null` for records that did not use the built-in
    /// partitioner, and does nothing: here the caller skips the call instead.)
    ///
    /// The accumulator passes `enable_switch = false` while the partition's last batch is not
    /// full, so that a switch waits for the batch to fill up instead of leaving a small batch
    /// behind (with `linger.ms=500`, 12 KB produced per 500 ms and `batch.size` 16 KB, switching
    /// at 16 KB would make batches of 12 KB and 4 KB); the cap at twice the size bounds that wait.
    /// It calls it with 0 bytes and `enable_switch = true` to complete a switch it disabled
    /// before, once the batches are full.
    ///
    /// ```
    /// # use kafka_producer::{Cluster, Node, PartitionInfo};
    /// use kafka_producer::producer::partitioner::BuiltInPartitioner;
    /// # let node = Node { id: 1, host: "h".into(), port: 9092, rack: None };
    /// # let part = PartitionInfo { topic: "t".into(), partition: 0, leader: Some(1), leader_epoch: 0,
    /// #     replicas: vec![1], in_sync_replicas: vec![1], offline_replicas: vec![] };
    /// # let cluster = Cluster::new(None, None, [node], [part]);
    /// let p = BuiltInPartitioner::new("t", 100);
    /// let info = p.peek_current_partition_info(&cluster);
    /// p.update_partition_info(&info, 150, &cluster, false);
    /// assert!(!p.is_partition_changed(&info), "switching disabled below 2 x 100 bytes");
    /// p.update_partition_info(&info, 0, &cluster, true);
    /// assert!(p.is_partition_changed(&info), "the deferred switch");
    /// ```
    pub fn update_partition_info(
        &self,
        partition_info: &StickyPartitionInfo,
        appended_bytes: usize,
        cluster: &Cluster,
        enable_switch: bool,
    ) {
        debug_assert!(
            self.is_current(partition_info),
            "update_partition_info with a sticky partition info that is not the current one"
        );
        let produced_bytes = partition_info
            .inner
            .produced_bytes
            .fetch_add(appended_bytes, Ordering::Relaxed)
            .saturating_add(appended_bytes);

        // We're trying to switch partition once we produce stickyBatchSize bytes to a partition,
        // but doing so may hinder batching because the switch may happen while the batch isn't
        // ready to send (see the doc comment). We cap the produced bytes to not exceed 2x of the
        // batch size to avoid pathological cases (e.g. with a mix of keyed and unkeyed messages,
        // keyed messages may create an unready batch after the batch that disabled partition
        // switch becomes ready). So with a high linger.ms we end up switching partitions after
        // producing between stickyBatchSize and stickyBatchSize * 2 bytes.
        let twice = self.sticky_batch_size.saturating_mul(2);
        if produced_bytes >= twice {
            log::trace!(
                "Produced {produced_bytes} bytes, exceeding twice the batch size of {} bytes, with switching set to {enable_switch}",
                self.sticky_batch_size
            );
        }
        if (produced_bytes >= self.sticky_batch_size && enable_switch) || produced_bytes >= twice {
            // We've produced enough to this partition, switch to next.
            let next = StickyPartitionInfo::new(self.next_partition(cluster));
            *self.sticky_partition_info.write() = Some(next);
        }
    }

    /// Updates the load stats from the queue sizes (the number of batches queued) of the
    /// topic's partitions that have a leader, as the sender computes them on every ready check
    /// (Java's `RecordAccumulator.partitionReady`). The next partition is then chosen with a
    /// probability proportional to `max(queue_sizes) + 1 - queue_size`.
    ///
    /// `queue_sizes` is `None` to turn adaptive partitioning off (uniform choice), else one
    /// entry per partition, `partition_ids` giving the partition of each (same length). The
    /// stats are dropped (uniform choice) when there are fewer than 2 partitions or all queue
    /// sizes are equal.
    ///
    /// This is Java's `updatePartitionLoadStats(queueSizes, partitionIds, queueSizes.length)`:
    /// every partition is a candidate. When the sender leaves out the partitions of slow
    /// brokers (`partitioner.availability.timeout.ms`), use
    /// [`update_partition_load_stats_with_length`](Self::update_partition_load_stats_with_length),
    /// which must also know how many partitions there were in all.
    ///
    /// ```
    /// use kafka_producer::{Cluster, Node, PartitionInfo};
    /// use kafka_producer::producer::partitioner::BuiltInPartitioner;
    /// use std::sync::atomic::{AtomicI32, Ordering};
    ///
    /// let nodes = [Node { id: 1, host: "h".into(), port: 9092, rack: None }];
    /// let parts = (0..3).map(|p| PartitionInfo {
    ///     topic: "t".into(), partition: p, leader: Some(1), leader_epoch: 0,
    ///     replicas: vec![1], in_sync_replicas: vec![1], offline_replicas: vec![],
    /// });
    /// let cluster = Cluster::new(None, None, nodes, parts);
    /// let counter = AtomicI32::new(0);
    /// let p = BuiltInPartitioner::with_random("t", 1, move || counter.fetch_add(1, Ordering::Relaxed));
    ///
    /// // Queue sizes 0 3 1: frequencies 4 1 3, cumulative 4 5 8.
    /// p.update_partition_load_stats(Some(&[0, 3, 1]), &[0, 1, 2]);
    /// let chosen: Vec<i32> = (0..8).map(|_| p.next_partition(&cluster)).collect();
    /// assert_eq!(chosen, [0, 0, 0, 0, 1, 2, 2, 2]);
    ///
    /// // Equal queues: uniform again.
    /// p.update_partition_load_stats(Some(&[2, 2, 2]), &[0, 1, 2]);
    /// assert_eq!(p.load_stats_range_end(), None);
    /// ```
    pub fn update_partition_load_stats(&self, queue_sizes: Option<&[i32]>, partition_ids: &[i32]) {
        let length = queue_sizes.map_or(0, <[i32]>::len);
        self.update_partition_load_stats_with_length(queue_sizes, partition_ids, length);
    }

    /// Java's `updatePartitionLoadStats(queueSizes, partitionIds, length)`, exactly: like
    /// [`update_partition_load_stats`](Self::update_partition_load_stats), but only the first
    /// `length` entries are candidates.
    ///
    /// * `queue_sizes`: `None` turns adaptive partitioning off. Otherwise one entry for every
    ///   partition *with a leader* (that has a batch queue), slow or not: the slices' length
    ///   counts those partitions.
    /// * `partition_ids`: the partition of each entry (same length as `queue_sizes`).
    /// * `length`: how many leading entries are candidates. Java's sender fills the arrays in
    ///   partition order and leaves out a partition whose leader has not been drained for longer
    ///   than `partitioner.availability.timeout.ms` by not advancing its index, so the next
    ///   partition overwrites its entry; `length` is the final index. Entries past it are
    ///   ignored.
    ///
    /// The stats are dropped (uniform choice among all available partitions, slow ones
    /// included) when `length` is 0, when the slices have fewer than 2 entries, or when all
    /// candidates' queue sizes are equal *and* none was left out. So with partitions left out,
    /// the choice stays among the remaining ones even when their queues are equal, or when only
    /// one remains.
    ///
    /// ```
    /// use kafka_producer::{Cluster, Node, PartitionInfo};
    /// use kafka_producer::producer::partitioner::BuiltInPartitioner;
    ///
    /// let nodes = [Node { id: 1, host: "h".into(), port: 9092, rack: None }];
    /// let parts = (0..3).map(|p| PartitionInfo {
    ///     topic: "t".into(), partition: p, leader: Some(1), leader_epoch: 0,
    ///     replicas: vec![1], in_sync_replicas: vec![1], offline_replicas: vec![],
    /// });
    /// let cluster = Cluster::new(None, None, nodes, parts);
    /// let p = BuiltInPartitioner::new("t", 1);
    ///
    /// // Partition 0's broker is slow and left out: only 1 and 2 remain, equally likely.
    /// p.update_partition_load_stats_with_length(Some(&[5, 5, 5]), &[1, 2, 2], 2);
    /// assert_eq!(p.load_stats_range_end(), Some(2));
    /// assert!((0..20).all(|_| p.next_partition(&cluster) != 0));
    /// ```
    pub fn update_partition_load_stats_with_length(
        &self,
        queue_sizes: Option<&[i32]>,
        partition_ids: &[i32],
        length: usize,
    ) {
        let Some(queue_sizes) = queue_sizes else {
            log::trace!("No load stats for topic {}, not using adaptive", self.topic);
            *self.partition_load_stats.write() = None;
            return;
        };
        debug_assert_eq!(queue_sizes.len(), partition_ids.len());
        debug_assert!(length <= queue_sizes.len());
        let length = length.min(queue_sizes.len()).min(partition_ids.len());

        // queue_sizes.len() is the number of all partitions (with a leader) of the topic; with
        // fewer than 2 there is no need for adaptive logic. If partitions were left out for
        // high latency, length counts the ones that were not; then we still want the adaptive
        // logic, even with one partition.
        if length < 1 || queue_sizes.len() < 2 {
            log::trace!(
                "The number of partitions is too small: available={length}, all={}, not using adaptive for topic {}",
                queue_sizes.len(),
                self.topic
            );
            *self.partition_load_stats.write() = None;
            return;
        }

        // Build the cumulative frequency table from the queue sizes: invert each size (so it
        // represents a frequency) and make a running sum. A uniformly distributed random number
        // in [0, last) then maps to a partition with weighted probability. E.g. queue sizes
        // 0 3 1 invert (max + 1 = 4, minus the size) to 4 1 3, which sum up to 4 5 8; random
        // numbers 0..=3 map to partition[0], 4 to partition[1], 5..=7 to partition[2].
        let sizes = &queue_sizes[..length];
        let first = i64::from(sizes[0]);
        let all_equal = sizes.iter().all(|&s| i64::from(s) == first);
        let max_size_plus_1 = sizes.iter().map(|&s| i64::from(s)).max().unwrap_or(first) + 1;

        if all_equal && length == queue_sizes.len() {
            // No need for the probability logic when all queue sizes are the same and no
            // partition was left out for high latency.
            log::trace!(
                "All queue lengths are the same, not using adaptive for topic {}",
                self.topic
            );
            *self.partition_load_stats.write() = None;
            return;
        }

        let mut sum = 0i64;
        let cumulative_frequency_table: Vec<i64> = sizes
            .iter()
            .map(|&s| {
                sum += max_size_plus_1 - i64::from(s);
                sum
            })
            .collect();
        let partition_ids = partition_ids[..length].to_vec();
        log::trace!(
            "Partition load stats for topic {}: CFT={cumulative_frequency_table:?}, IDs={partition_ids:?}, length={length}",
            self.topic
        );
        *self.partition_load_stats.write() = Some(Arc::new(PartitionLoadStats {
            cumulative_frequency_table,
            partition_ids,
        }));
    }
}

/// A per-thread SplitMix64 generator (Java uses `ThreadLocalRandom`), seeded from the std
/// library's random hash keys, the thread and the time. Returns any `i32`.
fn thread_local_random() -> i32 {
    thread_local! {
        static STATE: Cell<u64> = Cell::new(seed());
    }
    fn seed() -> u64 {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        RandomState::new().hash_one((
            std::thread::current().id(),
            now,
            COUNTER.fetch_add(1, Ordering::Relaxed),
        ))
    }
    STATE.with(|state| {
        let s = state.get().wrapping_add(0x9e37_79b9_7f4a_7c15);
        state.set(s);
        let mut z = s;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        (z >> 32) as i32
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::{Node, PartitionInfo};
    use std::sync::atomic::AtomicI32;

    // ---------------------------------------------------------------------------------------
    // murmur2 / partition_for_key: every expected value was printed by kafka-clients 4.1.1
    // (`Utils.murmur2(bytes)` and `BuiltInPartitioner.partitionForKey(bytes, n)`).

    /// (input, murmur2, partition for 7, 12 and 100 partitions)
    fn java_vectors() -> Vec<(Vec<u8>, i32, i32, i32, i32)> {
        let seq = |n: u8| (1..=n).collect::<Vec<u8>>();
        let high = |n: u8| (0..n).map(|i| 0xff - i * 0x11).collect::<Vec<u8>>();
        let s = |t: &str| t.as_bytes().to_vec();
        let int = |v: i32| v.to_be_bytes().to_vec();
        vec![
            (vec![], 275646681, 2, 9, 81),
            (seq(1), 2107329057, 1, 9, 57),
            (seq(2), -1935140722, 5, 10, 26),
            (seq(3), 2139322793, 6, 5, 93),
            (seq(4), -1698034171, 1, 1, 77),
            (seq(5), 963186390, 5, 6, 90),
            (seq(6), 2086299777, 2, 9, 77),
            (seq(7), -528389943, 5, 5, 5),
            (seq(8), -1574696873, 1, 3, 75),
            (high(1), -311467685, 5, 3, 63),
            (high(2), 1750061758, 4, 10, 58),
            (high(3), 2053089151, 1, 7, 51),
            (high(4), 705638213, 0, 5, 13),
            (high(5), -435349888, 1, 4, 60),
            (high(6), -1576922666, 5, 6, 82),
            (high(7), -1046235303, 1, 5, 45),
            (s("a"), -1563381124, 5, 4, 24),
            (s("hello"), 2132663229, 4, 9, 29),
            (s("key-0"), 29210041, 0, 1, 41),
            (s("kafka"), -798503068, 3, 4, 80),
            (s("héllo wörld"), 439213890, 3, 6, 90),
            (s("日本語"), 1431860170, 6, 10, 70),
            (
                s("The quick brown fox jumps over the lazy dog"),
                495243318,
                3,
                6,
                18,
            ),
            (int(0), 850957120, 6, 4, 20),
            (int(1), -173113808, 2, 0, 40),
            (int(-1), 644171429, 6, 5, 29),
            (int(258), 460993052, 2, 8, 52),
            (int(i32::MIN), -65415266, 2, 6, 82),
            (int(i32::MAX), -1009756325, 5, 3, 23),
            (int(123456789), -1159482564, 0, 8, 84),
            ((0..100u8).collect(), 697119286, 3, 10, 86),
            (
                (0..1001u32).map(|i| (i * 31 + 7) as u8).collect(),
                1872886761,
                4,
                9,
                61,
            ),
        ]
    }

    #[test]
    fn murmur2_matches_java() {
        for (input, hash, p7, p12, p100) in java_vectors() {
            assert_eq!(murmur2(&input), hash, "murmur2 of {input:02x?}");
            assert_eq!(partition_for_key(&input, 7), p7, "{input:02x?} % 7");
            assert_eq!(partition_for_key(&input, 12), p12, "{input:02x?} % 12");
            assert_eq!(partition_for_key(&input, 100), p100, "{input:02x?} % 100");
        }
    }

    #[test]
    fn to_positive_is_a_mask() {
        assert_eq!(to_positive(0), 0);
        assert_eq!(to_positive(-1), 0x7fff_ffff);
        assert_eq!(to_positive(i32::MIN), 0);
        assert_eq!(to_positive(i32::MIN + 5), 5);
        assert_eq!(to_positive(-1563381124), -1563381124 & 0x7fff_ffff);
    }

    #[test]
    fn partition_for_key_edge_cases() {
        assert_eq!(partition_for_key(b"anything", 1), 0);
        // More partitions than any positive hash: the positive hash itself.
        assert_eq!(
            partition_for_key(b"hello", usize::MAX),
            to_positive(2132663229)
        );
    }

    #[test]
    #[should_panic]
    fn partition_for_key_of_zero_partitions_panics() {
        partition_for_key(b"k", 0);
    }

    // ---------------------------------------------------------------------------------------
    // BuiltInPartitioner: ports of Java's BuiltInPartitionerTest, then extras.

    const TOPIC_A: &str = "topicA";
    const TOPIC_B: &str = "topicB";
    const TOPIC_C: &str = "topicC";
    const NODE_IDS: [i32; 4] = [0, 1, 2, 11];

    fn node(id: i32) -> Node {
        Node {
            id,
            host: "localhost".into(),
            port: 99 + id as u16,
            rack: None,
        }
    }

    fn partition(topic: &str, p: i32, leader: Option<i32>) -> PartitionInfo {
        PartitionInfo {
            topic: topic.into(),
            partition: p,
            leader,
            leader_epoch: 0,
            replicas: NODE_IDS.to_vec(),
            in_sync_replicas: NODE_IDS.to_vec(),
            offline_replicas: vec![],
        }
    }

    fn cluster(nodes: &[i32], partitions: Vec<PartitionInfo>) -> Cluster {
        Cluster::new(
            Some("clusterId".into()),
            None,
            nodes.iter().map(|&id| node(id)),
            partitions,
        )
    }

    /// Java's `mockRandom = () -> mockRandom.getAndAdd(1)`.
    fn sequential(topic: &str, sticky_batch_size: usize) -> BuiltInPartitioner {
        let counter = AtomicI32::new(0);
        BuiltInPartitioner::with_random(topic, sticky_batch_size, move || {
            counter.fetch_add(1, Ordering::Relaxed)
        })
    }

    /// peek + update, as one record appended without switching restrictions.
    fn append(p: &BuiltInPartitioner, cluster: &Cluster, bytes: usize) -> i32 {
        let info = p.peek_current_partition_info(cluster);
        p.update_partition_info(&info, bytes, cluster, true);
        info.partition()
    }

    #[test]
    fn test_sticky_partitioning() {
        let test_cluster = cluster(
            &NODE_IDS,
            vec![
                partition(TOPIC_A, 0, Some(0)),
                partition(TOPIC_A, 1, Some(1)),
                partition(TOPIC_A, 2, Some(2)),
                partition(TOPIC_B, 0, Some(0)),
            ],
        );

        // "Sticky" batch size to accommodate 3 records.
        let built_in_partitioner_a = sequential(TOPIC_A, 3);

        // The partition is not switched until the sticky batch size is reached.
        let mut partition_info = built_in_partitioner_a.peek_current_partition_info(&test_cluster);
        let part_a = partition_info.partition();
        built_in_partitioner_a.update_partition_info(&partition_info, 1, &test_cluster, true);

        partition_info = built_in_partitioner_a.peek_current_partition_info(&test_cluster);
        assert_eq!(part_a, partition_info.partition());
        built_in_partitioner_a.update_partition_info(&partition_info, 1, &test_cluster, true);

        partition_info = built_in_partitioner_a.peek_current_partition_info(&test_cluster);
        assert_eq!(part_a, partition_info.partition());
        built_in_partitioner_a.update_partition_info(&partition_info, 1, &test_cluster, true);

        // After producing 3 records, the partition must've switched.
        assert_ne!(
            part_a,
            built_in_partitioner_a
                .peek_current_partition_info(&test_cluster)
                .partition()
        );

        // Switching works even when there is one partition.
        let built_in_partitioner_b = sequential(TOPIC_B, 1);
        for _ in 0..10 {
            partition_info = built_in_partitioner_b.peek_current_partition_info(&test_cluster);
            assert_eq!(0, partition_info.partition());
            built_in_partitioner_b.update_partition_info(&partition_info, 1, &test_cluster, true);
        }
    }

    #[test]
    fn unavailable_partitions_test() {
        // Partition 1 in topic A, partition 0 in topic B and partition 0 in topic C are
        // unavailable partitions.
        let test_cluster = cluster(
            &NODE_IDS[..3],
            vec![
                partition(TOPIC_A, 0, Some(0)),
                partition(TOPIC_A, 1, None),
                partition(TOPIC_A, 2, Some(2)),
                partition(TOPIC_B, 0, None),
                partition(TOPIC_B, 1, Some(0)),
                partition(TOPIC_C, 0, None),
            ],
        );

        // "Sticky" batch size to accommodate 1 record; the real random source, as in Java.
        let built_in_partitioner_a = BuiltInPartitioner::new(TOPIC_A, 1);

        // We never choose partition 1 because it is unavailable.
        let part_a = append(&built_in_partitioner_a, &test_cluster, 1);
        assert_ne!(1, part_a);
        let mut found_another_part_a = false;
        for _ in 0..100 {
            let another_part_a = append(&built_in_partitioner_a, &test_cluster, 1);
            assert_ne!(1, another_part_a);
            found_another_part_a = found_another_part_a || another_part_a != part_a;
        }
        assert!(
            found_another_part_a,
            "Expected to find partition other than {part_a}"
        );

        // We always choose partition 1 for topic B.
        let built_in_partitioner_b = BuiltInPartitioner::new(TOPIC_B, 1);
        let part_b = append(&built_in_partitioner_b, &test_cluster, 1);
        assert_eq!(1, part_b);
        for _ in 0..100 {
            assert_eq!(1, append(&built_in_partitioner_b, &test_cluster, 1));
        }

        // We still choose a partition when there are no partitions available.
        let built_in_partitioner_c = BuiltInPartitioner::new(TOPIC_C, 1);
        let part_c = append(&built_in_partitioner_c, &test_cluster, 1);
        assert_eq!(0, part_c);
        let part_c = built_in_partitioner_c
            .peek_current_partition_info(&test_cluster)
            .partition();
        assert_eq!(0, part_c);
    }

    #[test]
    fn adaptive_partitions_test() {
        let built_in_partitioner = sequential(TOPIC_A, 1);

        // Simulate partition queue sizes.
        let queue_sizes: [i32; 5] = [5, 0, 3, 0, 1];
        let partition_ids: Vec<i32> = (0..queue_sizes.len() as i32).collect();
        // 6 is max(queue_sizes) + 1.
        let expected_frequencies: Vec<i64> =
            queue_sizes.iter().map(|&q| 6 - i64::from(q)).collect();
        let all_partitions = partition_ids
            .iter()
            .map(|&i| partition(TOPIC_A, i, Some(NODE_IDS[i as usize % NODE_IDS.len()])))
            .collect();

        built_in_partitioner.update_partition_load_stats_with_length(
            Some(&queue_sizes),
            &partition_ids,
            queue_sizes.len(),
        );

        let test_cluster = cluster(&NODE_IDS, all_partitions);

        // Issue a number of partition calls to validate that the partitions are distributed
        // with frequencies reciprocal to the queue sizes. The number of iterations is the last
        // element of the cumulative frequency table (the sum of all frequencies); 2 cycles, just
        // so it's more than 1.
        let number_of_cycles = 2;
        let number_of_iterations =
            built_in_partitioner.load_stats_range_end().unwrap() * number_of_cycles;
        assert_eq!(number_of_iterations, 42);
        let mut frequencies = vec![0i64; queue_sizes.len()];
        for _ in 0..number_of_iterations {
            let p = append(&built_in_partitioner, &test_cluster, 1);
            frequencies[p as usize] += 1;
        }

        // Frequencies are reciprocal of queue sizes.
        for (i, f) in frequencies.iter().enumerate() {
            assert_eq!(
                expected_frequencies[i] * number_of_cycles,
                *f,
                "Partition {i} was chosen {f} times"
            );
        }
    }

    #[test]
    #[should_panic(expected = "stickyBatchSize must be >= 1 but got 0")]
    fn test_sticky_batch_size_more_than_zero() {
        BuiltInPartitioner::new(TOPIC_A, 0);
    }

    #[test]
    fn sticky_batch_size_of_one_is_fine() {
        assert_eq!(BuiltInPartitioner::new(TOPIC_A, 1).sticky_batch_size(), 1);
    }

    // Extras (not in Java's test).

    fn three_partitions() -> Cluster {
        cluster(
            &NODE_IDS,
            (0..3).map(|p| partition(TOPIC_A, p, Some(p))).collect(),
        )
    }

    #[test]
    fn sequential_random_walks_available_partitions() {
        let c = three_partitions();
        let p = sequential(TOPIC_A, 10);
        let chosen: Vec<i32> = (0..7).map(|_| append(&p, &c, 10)).collect();
        assert_eq!(chosen, [0, 1, 2, 0, 1, 2, 0]);
    }

    #[test]
    fn switch_disabled_until_twice_the_batch_size() {
        let c = three_partitions();
        let p = sequential(TOPIC_A, 100);
        let info = p.peek_current_partition_info(&c);
        p.update_partition_info(&info, 99, &c, false);
        p.update_partition_info(&info, 1, &c, false);
        assert!(!p.is_partition_changed(&info), "100 bytes, but disabled");
        p.update_partition_info(&info, 99, &c, false);
        assert!(!p.is_partition_changed(&info), "199 bytes");
        assert_eq!(info.produced_bytes(), 199);
        p.update_partition_info(&info, 1, &c, false);
        assert!(p.is_partition_changed(&info), "200 bytes: forced");
        let next = p.peek_current_partition_info(&c);
        assert_eq!(next.partition(), 1);
        assert_eq!(next.produced_bytes(), 0);

        // Enabled: switch at exactly the batch size.
        p.update_partition_info(&next, 100, &c, true);
        assert!(p.is_partition_changed(&next));

        // A huge batch size does not overflow the 2x cap.
        let big = sequential(TOPIC_A, usize::MAX);
        let info = big.peek_current_partition_info(&c);
        big.update_partition_info(&info, usize::MAX / 2, &c, false);
        assert!(!big.is_partition_changed(&info));
    }

    #[test]
    fn nothing_chosen_before_the_first_peek() {
        let c = three_partitions();
        let p = sequential(TOPIC_A, 1);
        p.update_partition_load_stats(None, &[]);
        // Nothing was chosen yet: the first peek consumes random number 0.
        assert_eq!(p.peek_current_partition_info(&c).partition(), 0);
    }

    #[test]
    fn peek_does_not_switch_and_returns_the_same_object() {
        let c = three_partitions();
        let p = BuiltInPartitioner::new(TOPIC_A, 1000);
        let a = p.peek_current_partition_info(&c);
        let b = p.peek_current_partition_info(&c);
        assert!(a.same_as(&b));
        assert!(a.clone().same_as(&b), "clones are the same object");
        // A switch makes a new object even when the partition stays the same.
        let single = cluster(&NODE_IDS, vec![partition(TOPIC_B, 0, Some(0))]);
        let pb = BuiltInPartitioner::new(TOPIC_B, 1);
        let first = pb.peek_current_partition_info(&single);
        pb.update_partition_info(&first, 1, &single, true);
        let second = pb.peek_current_partition_info(&single);
        assert_eq!(first.partition(), second.partition());
        assert!(!first.same_as(&second));
        assert!(pb.is_partition_changed(&first));
        assert!(!pb.is_partition_changed(&second));
    }

    #[test]
    fn load_stats_builds_the_cumulative_frequency_table() {
        let c = three_partitions();
        let p = sequential(TOPIC_A, 1);
        // Java's comment example: queue sizes 0 3 1 -> CFT 4 5 8.
        p.update_partition_load_stats_with_length(Some(&[0, 3, 1]), &[0, 1, 2], 3);
        assert_eq!(p.load_stats_range_end(), Some(8));
        let chosen: Vec<i32> = (0..16).map(|_| p.next_partition(&c)).collect();
        assert_eq!(
            chosen,
            [0, 0, 0, 0, 1, 2, 2, 2, 0, 0, 0, 0, 1, 2, 2, 2],
            "random 0..=3 -> index 0, 4 -> index 1, 5..=7 -> index 2"
        );

        // Ids need not be sorted or dense.
        p.update_partition_load_stats_with_length(Some(&[2, 0]), &[2, 0], 2);
        assert_eq!(p.load_stats_range_end(), Some(1 + 3));
        let chosen: Vec<i32> = (0..4).map(|_| p.next_partition(&c)).collect();
        // The counter is at 16 now: 16 % 4 = 0 -> index 0 (id 2), then 1, 2, 3 -> index 1 (id 0).
        assert_eq!(chosen, [2, 0, 0, 0]);
    }

    #[test]
    fn load_stats_dropped_when_not_useful() {
        let p = sequential(TOPIC_A, 1);
        let set = |p: &BuiltInPartitioner| {
            p.update_partition_load_stats_with_length(Some(&[0, 3, 1]), &[0, 1, 2], 3);
            assert!(p.load_stats_range_end().is_some());
        };
        set(&p);
        p.update_partition_load_stats_with_length(None, &[], 0);
        assert_eq!(p.load_stats_range_end(), None, "None turns adaptive off");

        set(&p);
        p.update_partition_load_stats_with_length(Some(&[4, 4, 4]), &[0, 1, 2], 3);
        assert_eq!(p.load_stats_range_end(), None, "all equal");

        set(&p);
        p.update_partition_load_stats_with_length(Some(&[4]), &[0], 1);
        assert_eq!(p.load_stats_range_end(), None, "fewer than 2 partitions");

        set(&p);
        p.update_partition_load_stats_with_length(Some(&[1, 2]), &[0, 1], 0);
        assert_eq!(p.load_stats_range_end(), None, "every partition left out");

        // All equal but one left out: still adaptive, over the remaining ones.
        p.update_partition_load_stats_with_length(Some(&[4, 4, 4]), &[0, 2, 2], 2);
        assert_eq!(p.load_stats_range_end(), Some(2));
        // Even a single remaining partition (of 2 or more) keeps the stats.
        p.update_partition_load_stats_with_length(Some(&[7, 9]), &[1, 0], 1);
        assert_eq!(p.load_stats_range_end(), Some(1));
        let c = three_partitions();
        assert!((0..10).all(|_| p.next_partition(&c) == 1));
    }

    #[test]
    fn load_stats_without_length_take_every_entry() {
        let p = sequential(TOPIC_A, 1);
        p.update_partition_load_stats(Some(&[0, 3, 1]), &[0, 1, 2]);
        assert_eq!(p.load_stats_range_end(), Some(8));
        p.update_partition_load_stats(Some(&[1, 1]), &[0, 2]);
        assert_eq!(p.load_stats_range_end(), None, "all equal, none left out");
        p.update_partition_load_stats(Some(&[1, 6]), &[0, 2]);
        assert_eq!(p.load_stats_range_end(), Some(6 + 1));
        p.update_partition_load_stats(Some(&[]), &[]);
        assert_eq!(p.load_stats_range_end(), None, "no partitions");
    }

    #[test]
    fn load_stats_exclude_slow_partitions_from_choice() {
        let c = three_partitions();
        let p = BuiltInPartitioner::new(TOPIC_A, 1);
        // Partition 1 left out (its entry overwritten by partition 2's, as the sender does).
        p.update_partition_load_stats_with_length(Some(&[3, 1, 1]), &[0, 2, 2], 2);
        let mut seen = [0; 3];
        for _ in 0..2000 {
            seen[append(&p, &c, 1) as usize] += 1;
        }
        assert_eq!(seen[1], 0);
        // Frequencies 1 (partition 0) and 3 (partition 2).
        assert!(seen[0] > 300 && seen[0] < 700, "{seen:?}");
        assert!(seen[2] > 1300, "{seen:?}");
    }

    #[test]
    fn random_source_is_roughly_uniform_and_non_negative() {
        let c = cluster(
            &NODE_IDS,
            (0..10).map(|p| partition(TOPIC_A, p, Some(0))).collect(),
        );
        let p = BuiltInPartitioner::new(TOPIC_A, 1);
        let mut seen = [0u32; 10];
        for _ in 0..10_000 {
            seen[p.next_partition(&c) as usize] += 1;
        }
        assert!(seen.iter().all(|&n| (800..1200).contains(&n)), "{seen:?}");
        assert!((0..1000).all(|_| to_positive(thread_local_random()) >= 0));
        // Different threads get different sequences.
        let a: Vec<i32> = (0..4).map(|_| thread_local_random()).collect();
        let b = std::thread::spawn(|| (0..4).map(|_| thread_local_random()).collect::<Vec<_>>())
            .join()
            .unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn negative_custom_random_is_made_positive() {
        let c = three_partitions();
        let p = BuiltInPartitioner::with_random(TOPIC_A, 1, || -1);
        // to_positive(-1) = i32::MAX; i32::MAX % 3 = 1.
        assert_eq!(p.next_partition(&c), 1);
    }

    #[test]
    #[should_panic(expected = "knows no partitions")]
    fn next_partition_of_unknown_topic_panics() {
        BuiltInPartitioner::new("nope", 1).next_partition(&three_partitions());
    }

    #[test]
    fn concurrent_appends_follow_the_protocol() {
        // Many threads run the accumulator's protocol with one lock per partition; every
        // byte is counted by exactly one sticky partition info, and switches happen.
        let c = Arc::new(three_partitions());
        let p = Arc::new(BuiltInPartitioner::new(TOPIC_A, 64));
        let locks: Arc<Vec<parking_lot::Mutex<u64>>> =
            Arc::new((0..3).map(|_| parking_lot::Mutex::new(0)).collect());
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (c, p, locks) = (c.clone(), p.clone(), locks.clone());
                std::thread::spawn(move || {
                    let mut retries = 0;
                    for _ in 0..2000 {
                        loop {
                            let info = p.peek_current_partition_info(&c);
                            let mut appended = locks[info.partition() as usize].lock();
                            if p.is_partition_changed(&info) {
                                retries += 1;
                                continue;
                            }
                            *appended += 10;
                            p.update_partition_info(&info, 10, &c, true);
                            break;
                        }
                    }
                    retries
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let total: u64 = locks.iter().map(|l| *l.lock()).sum();
        assert_eq!(total, 8 * 2000 * 10);
        assert!(locks.iter().all(|l| *l.lock() > 0), "every partition used");
    }

    #[test]
    fn is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<BuiltInPartitioner>();
        check::<StickyPartitionInfo>();
        check::<Box<dyn Partitioner>>();
    }

    #[test]
    fn debug_output_names_the_topic() {
        let p = BuiltInPartitioner::new(TOPIC_A, 5);
        assert!(format!("{p:?}").contains("topicA"));
    }
}
