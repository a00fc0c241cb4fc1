//! The built-in "uniform sticky" partitioner with adaptive partitioning (KIP-794), Java's
//! `BuiltInPartitioner`, and its sticky-partition handle.

use crate::cluster::Cluster;
use parking_lot::RwLock;
use std::cell::Cell;
use std::fmt;
use std::hash::{BuildHasher, RandomState};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use super::murmur2::to_positive;

/// The sticky partition a [`BuiltInPartitioner`] currently sends to (Java's
/// `BuiltInPartitioner.StickyPartitionInfo`), as a copyable handle.
///
/// Handles are compared by identity: a new one is made at every switch, even when the new
/// partition is the same as the old one, and [`BuiltInPartitioner::is_partition_changed`] tells
/// whether a handle still refers to the current one. The identity is an epoch counted by the
/// partitioner (Java compares object references), so that peeking, checking and comparing the
/// current partition are plain atomic loads, as Java's volatile reads, instead of a lock and a
/// reference count per record; the bytes appended since the switch live in the partitioner
/// ([`BuiltInPartitioner::produced_bytes`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StickyPartitionInfo {
    /// `epoch << 32 | partition as u32`; epochs start at 1, so 0 is "none chosen yet".
    word: u64,
}

impl StickyPartitionInfo {
    fn pack(epoch: u32, index: i32) -> Self {
        StickyPartitionInfo {
            word: (u64::from(epoch) << 32) | u64::from(index as u32),
        }
    }

    fn epoch(self) -> u32 {
        (self.word >> 32) as u32
    }

    // Used by the ported Java tests only.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(super) fn same_as(&self, other: &StickyPartitionInfo) -> bool {
        self.word == other.word
    }

    /// The partition.
    pub(crate) fn partition(&self) -> i32 {
        self.word as u32 as i32
    }
}

/// Java's `BuiltInPartitioner.PartitionLoadStats`: the cumulative frequency table of the
/// partitions that may be chosen, and their ids (both of the logical length).
#[derive(Debug)]
pub(super) struct PartitionLoadStats {
    cumulative_frequency_table: Vec<i64>,
    partition_ids: Vec<i32>,
}

/// Where [`BuiltInPartitioner::next_partition`] gets its random numbers.
pub(super) enum RandomSource {
    /// A per-thread generator, as Java's `ThreadLocalRandom`.
    ThreadLocal,
    /// An injected source (tests, simulations).
    // Used by the ported Java tests only.
    #[cfg_attr(not(test), allow(dead_code))]
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
pub(crate) struct BuiltInPartitioner {
    topic: Arc<str>,
    sticky_batch_size: usize,
    /// Java's `volatile PartitionLoadStats partitionLoadStats`.
    partition_load_stats: RwLock<Option<Arc<PartitionLoadStats>>>,
    /// Java's `AtomicReference<StickyPartitionInfo> stickyPartitionInfo`: the current
    /// [`StickyPartitionInfo`]'s word, 0 before the first record.
    sticky_partition_info: AtomicU64,
    /// Java's `stickyPartitionInfo.producedBytes`: bytes appended to the current sticky
    /// partition. Reset before a new sticky partition is published, so that a thread that sees
    /// the new one also sees the reset (all appends to the old one happened under the old
    /// partition's queue lock, which the switching thread holds).
    produced_bytes: AtomicUsize,
    random: RandomSource,
}

impl fmt::Debug for BuiltInPartitioner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BuiltInPartitioner")
            .field("topic", &self.topic)
            .field("sticky_batch_size", &self.sticky_batch_size)
            .field("partition_load_stats", &*self.partition_load_stats.read())
            .field("sticky_partition_info", &self.current())
            .field(
                "produced_bytes",
                &self.produced_bytes.load(Ordering::Relaxed),
            )
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
    pub(crate) fn new(topic: impl Into<Arc<str>>, sticky_batch_size: usize) -> Self {
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
    // Used by the ported Java tests only.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn with_random(
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

    pub(super) fn build(topic: Arc<str>, sticky_batch_size: usize, random: RandomSource) -> Self {
        assert!(
            sticky_batch_size >= 1,
            "stickyBatchSize must be >= 1 but got {sticky_batch_size}"
        );
        BuiltInPartitioner {
            topic,
            sticky_batch_size,
            partition_load_stats: RwLock::new(None),
            sticky_partition_info: AtomicU64::new(0),
            produced_bytes: AtomicUsize::new(0),
            random,
        }
    }

    /// How many bytes go to a partition before switching (at least; up to twice as many when
    /// switching was disabled, see [`update_partition_info`](Self::update_partition_info)).
    // Used by the ported Java tests only.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn sticky_batch_size(&self) -> usize {
        self.sticky_batch_size
    }

    /// Java's `randomPartition()`: a non-negative random number.
    pub(super) fn random_partition(&self) -> i32 {
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
    pub(crate) fn next_partition(&self, cluster: &Cluster) -> i32 {
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
    // Used by the ported Java tests only.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn load_stats_range_end(&self) -> Option<i64> {
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
    pub(crate) fn peek_current_partition_info(&self, cluster: &Cluster) -> StickyPartitionInfo {
        if let Some(info) = self.current() {
            return info;
        }
        // We're the first to create it, unless someone races us.
        let info = StickyPartitionInfo::pack(1, self.next_partition(cluster));
        match self.sticky_partition_info.compare_exchange(
            0,
            info.word,
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            Ok(_) => info,
            Err(current) => StickyPartitionInfo { word: current },
        }
    }

    /// The current sticky partition, if one was chosen.
    fn current(&self) -> Option<StickyPartitionInfo> {
        match self.sticky_partition_info.load(Ordering::Acquire) {
            0 => None,
            word => Some(StickyPartitionInfo { word }),
        }
    }

    /// The bytes appended to the sticky partition of `info` since it was chosen, while it is
    /// the current one (`None` once the partitioner switched away from it).
    // Used by the ported Java tests only.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn produced_bytes(&self, info: &StickyPartitionInfo) -> Option<usize> {
        self.is_current(info)
            .then(|| self.produced_bytes.load(Ordering::Relaxed))
    }

    /// Whether a concurrent thread switched the sticky partition since `partition_info` was
    /// peeked. Call it under the partition's batch queue lock. (Java's also accepts `null`, for
    /// records that did not use the built-in partitioner, and answers `false`: here the caller
    /// skips the call instead.)
    pub(crate) fn is_partition_changed(&self, partition_info: &StickyPartitionInfo) -> bool {
        !self.is_current(partition_info)
    }

    pub(super) fn is_current(&self, info: &StickyPartitionInfo) -> bool {
        self.sticky_partition_info.load(Ordering::Acquire) == info.word
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
    /// A switch it disabled happens at the next record appended once the batches are full.
    pub(crate) fn update_partition_info(
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
        // A load and a store, not Java's `addAndGet`: every call for the current partition is
        // made under that partition's queue lock (the protocol above), which orders them, and the
        // reset before a switch is published to the next holder by the exchange below. A
        // read-modify-write per record cost as much as the queue lock's own atomics.
        let produced_bytes = self
            .produced_bytes
            .load(Ordering::Relaxed)
            .saturating_add(appended_bytes);
        self.produced_bytes.store(produced_bytes, Ordering::Relaxed);

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
            let epoch = match partition_info.epoch().wrapping_add(1) {
                0 => 1,
                e => e,
            };
            let next = StickyPartitionInfo::pack(epoch, self.next_partition(cluster));
            // Reset, then publish (see `produced_bytes`). Only the holder of the current
            // partition's queue lock switches; the exchange keeps a caller that broke that
            // protocol from replacing a newer partition.
            self.produced_bytes.store(0, Ordering::Relaxed);
            let _ = self.sticky_partition_info.compare_exchange(
                partition_info.word,
                next.word,
                Ordering::AcqRel,
                Ordering::Relaxed,
            );
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
    // Used by the ported Java tests only.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn update_partition_load_stats(
        &self,
        queue_sizes: Option<&[i32]>,
        partition_ids: &[i32],
    ) {
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
    pub(crate) fn update_partition_load_stats_with_length(
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
pub(super) fn thread_local_random() -> i32 {
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
mod examples;
