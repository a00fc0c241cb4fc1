//! `RecordAccumulator`: per-partition queues of batches between the caller threads that append
//! records and the sender thread that drains them (Java's `RecordAccumulator`).
//!
//! Each partition has a `parking_lot::Mutex`-guarded deque. `append` finds the deque, tries the
//! last batch under the lock, and otherwise allocates a buffer from the [`BufferPool`] *outside*
//! the lock, then locks again and tries once more before creating a new batch (giving the buffer
//! back if another thread made one meanwhile).

use crate::cluster::{Cluster, TopicPartition};
use crate::error::Error;
use crate::producer::delivery::{BatchResult, Callback, RecordFuture};
use crate::producer::internals::batch::{BatchCompression, ProducerBatch};
use crate::producer::internals::buffer_pool::BufferPool;
use crate::producer::internals::transaction_manager::{Rewrite, TransactionManager};
use crate::producer::partitioner::{BuiltInPartitioner, StickyPartitionInfo};
use crate::protocol::compression::{COMPRESSION_RATE_ESTIMATION_FACTOR, CompressionRatioEstimator};
use crate::protocol::record_batch::{Compression, RECORD_BATCH_OVERHEAD};
use crate::protocol::record_batch::{Header, estimate_size_upper_bound};
use crate::time::Time;
use parking_lot::{Mutex, RwLock};
use rustc_hash::FxHashMap;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The settings the accumulator needs.
#[derive(Debug, Clone)]
pub struct AccumulatorConfig {
    /// `batch.size`.
    pub batch_size: usize,
    /// `linger.ms`.
    pub linger: Duration,
    /// `retry.backoff.ms`.
    pub retry_backoff: Duration,
    /// `retry.backoff.max.ms`.
    pub retry_backoff_max: Duration,
    /// `delivery.timeout.ms`.
    pub delivery_timeout: Duration,
    /// `partitioner.adaptive.partitioning.enable`.
    pub adaptive_partitioning: bool,
    /// `partitioner.availability.timeout.ms`.
    pub partition_availability_timeout: Duration,
    /// `compression.type`.
    pub compression: Compression,
    /// The level of `compression.<codec>.level` (`None`: the codec's default).
    pub compression_level: Option<i32>,
}

type Deque = Arc<Mutex<VecDeque<ProducerBatch>>>;

struct TopicInfo {
    name: Arc<str>,
    partitioner: BuiltInPartitioner,
    deques: RwLock<FxHashMap<i32, Deque>>,
}

/// What `append` did.
pub struct RecordAppendResult {
    /// The record's future.
    pub future: RecordFuture,
    /// The batch is full (or more than one batch is queued): wake the sender.
    pub batch_is_full: bool,
    /// A new batch was created: wake the sender.
    pub new_batch_created: bool,
    /// The partition the record went to.
    pub partition: i32,
}

/// What `ready` found.
#[derive(Debug, Default)]
pub struct ReadyCheckResult {
    /// Leaders with at least one sendable batch.
    pub ready_nodes: HashSet<i32>,
    /// How long until another batch may become sendable.
    pub next_ready_check_delay: Duration,
    /// Topics with batches whose partition leader is unknown.
    pub unknown_leader_topics: HashSet<Arc<str>>,
}

#[derive(Debug, Clone, Copy, Default)]
struct NodeLatencyStats {
    ready_time: Option<Instant>,
    drain_time: Option<Instant>,
}

/// The accumulator. Shared (in an `Arc`) by the producer handle and the sender thread.
pub struct RecordAccumulator {
    config: AccumulatorConfig,
    time: Arc<dyn Time>,
    pool: Arc<BufferPool>,
    topics: RwLock<FxHashMap<Arc<str>, Arc<TopicInfo>>>,
    incomplete: Mutex<HashMap<usize, Arc<BatchResult>>>,
    appends_in_progress: AtomicUsize,
    flushes_in_progress: AtomicUsize,
    closed: AtomicBool,
    muted: Mutex<HashSet<TopicPartition>>,
    drain_index: Mutex<HashMap<i32, usize>>,
    node_stats: Mutex<HashMap<i32, NodeLatencyStats>>,
    ratio_estimator: CompressionRatioEstimator,
}

fn result_key(r: &Arc<BatchResult>) -> usize {
    Arc::as_ptr(r) as usize
}

/// Java's exponential backoff: `base * 2^(attempts-1)` capped at `max`, with ±20% jitter.
pub(crate) fn retry_backoff(
    base: Duration,
    max: Duration,
    attempts: u32,
    jitter_seed: u64,
) -> Duration {
    if attempts == 0 || base.is_zero() {
        return Duration::ZERO;
    }
    let exp = attempts.saturating_sub(1).min(30);
    let raw = base.saturating_mul(1u32 << exp).min(max.max(base));
    // Deterministic jitter in [0.8, 1.2) from the seed.
    let frac = (jitter_seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 40) as f64 / (1u64 << 24) as f64;
    let factor = 0.8 + 0.4 * frac;
    raw.mul_f64(factor).min(max.max(base))
}

impl RecordAccumulator {
    /// An accumulator drawing memory from `pool`, on the system clock.
    pub fn new(config: AccumulatorConfig, pool: Arc<BufferPool>) -> Self {
        Self::with_time(config, pool, crate::time::system())
    }

    /// An accumulator reading the clock (batch creation times) from `time`.
    pub fn with_time(
        config: AccumulatorConfig,
        pool: Arc<BufferPool>,
        time: Arc<dyn Time>,
    ) -> Self {
        RecordAccumulator {
            config,
            time,
            pool,
            topics: RwLock::new(FxHashMap::default()),
            incomplete: Mutex::new(HashMap::new()),
            appends_in_progress: AtomicUsize::new(0),
            flushes_in_progress: AtomicUsize::new(0),
            closed: AtomicBool::new(false),
            muted: Mutex::new(HashSet::new()),
            drain_index: Mutex::new(HashMap::new()),
            node_stats: Mutex::new(HashMap::new()),
            ratio_estimator: CompressionRatioEstimator::new(),
        }
    }

    /// The buffer pool.
    pub fn pool(&self) -> &Arc<BufferPool> {
        &self.pool
    }

    fn topic_info(&self, topic: &str) -> Arc<TopicInfo> {
        if let Some(t) = self.topics.read().get(topic) {
            return t.clone();
        }
        let mut w = self.topics.write();
        let name: Arc<str> = Arc::from(topic);
        w.entry(name.clone())
            .or_insert_with(|| {
                Arc::new(TopicInfo {
                    name,
                    partitioner: BuiltInPartitioner::new(topic, self.config.batch_size),
                    deques: RwLock::new(FxHashMap::default()),
                })
            })
            .clone()
    }

    fn deque_of(info: &TopicInfo, partition: i32) -> Deque {
        if let Some(d) = info.deques.read().get(&partition) {
            return d.clone();
        }
        info.deques.write().entry(partition).or_default().clone()
    }

    fn existing_deque(&self, tp: &TopicPartition) -> Option<Deque> {
        let info = self.topics.read().get(&*tp.topic)?.clone();
        info.deques.read().get(&tp.partition).cloned()
    }

    /// Appends a record. `partition` is `None` to let the built-in sticky partitioner choose.
    /// Blocks at most `max_block` for buffer memory.
    #[allow(clippy::too_many_arguments)]
    pub fn append(
        &self,
        topic: &str,
        partition: Option<i32>,
        timestamp: i64,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &[Header],
        mut callback: Option<Callback>,
        max_block: Duration,
        cluster: &Cluster,
    ) -> Result<RecordAppendResult, (Error, Option<Callback>)> {
        let info = self.topic_info(topic);
        self.appends_in_progress.fetch_add(1, Ordering::SeqCst);
        let mut buffer: Option<(Vec<u8>, usize)> = None;
        let tp_topic = info.name.clone();
        let result = loop {
            let (sticky, effective): (Option<StickyPartitionInfo>, i32) = match partition {
                Some(p) => (None, p),
                None => {
                    let s = info.partitioner.peek_current_partition_info(cluster);
                    let p = s.partition();
                    (Some(s), p)
                }
            };
            let dq = Self::deque_of(&info, effective);
            {
                let mut d = dq.lock();
                if self.closed.load(Ordering::SeqCst) {
                    break Err((closed_error(), callback));
                }
                if self.partition_changed(&info, sticky.as_ref()) {
                    continue;
                }
                match Self::try_append(&mut d, timestamp, key, value, headers, callback) {
                    Ok((future, appended)) => {
                        let r = appended_result(&d, &info, sticky.as_ref(), appended, cluster);
                        break Ok(r(future, false, effective));
                    }
                    Err(cb) => callback = cb,
                }
            }
            if buffer.is_none() {
                let size = self
                    .batch_buffer_size(topic)
                    .max(estimate_size_upper_bound(key, value, headers));
                match self.pool.allocate(size, max_block) {
                    Ok(b) => buffer = Some((b, size)),
                    Err(e) => break Err((e, callback)),
                }
            }
            let mut d = dq.lock();
            if self.closed.load(Ordering::SeqCst) {
                break Err((closed_error(), callback));
            }
            if self.partition_changed(&info, sticky.as_ref()) {
                continue;
            }
            // Another thread may have created a batch while we allocated. The new batch's
            // creation time (delivery.timeout.ms, linger.ms) is read after the allocation,
            // which may have blocked.
            let now = self.time.now();
            match Self::try_append(&mut d, timestamp, key, value, headers, callback) {
                Ok((future, appended)) => {
                    let r = appended_result(&d, &info, sticky.as_ref(), appended, cluster);
                    break Ok(r(future, false, effective));
                }
                Err(cb) => callback = cb,
            }
            let (buf, size) = buffer.take().expect("buffer allocated above");
            let tp = TopicPartition {
                topic: tp_topic.clone(),
                partition: effective,
            };
            let compression = self.batch_compression(&tp.topic);
            let mut batch =
                ProducerBatch::new(tp, buf, size, self.config.batch_size, compression, now);
            let before = batch.estimated_size_in_bytes();
            let future = match batch.try_append(timestamp, key, value, headers, callback) {
                Ok(f) => f,
                Err(cb) => {
                    // Cannot happen: a new batch is sized for its first record.
                    let (b, s) = batch.into_buffer();
                    buffer = b.map(|b| (b, s));
                    break Err((
                        Error::Internal("record does not fit in a new batch".into()),
                        cb,
                    ));
                }
            };
            let appended = batch.estimated_size_in_bytes() - before;
            let result = batch.result().clone();
            self.incomplete.lock().insert(result_key(&result), result);
            d.push_back(batch);
            let r = appended_result(&d, &info, sticky.as_ref(), appended, cluster);
            break Ok(r(future, true, effective));
        };
        if let Some((buf, size)) = buffer {
            self.pool.deallocate(buf, size);
        }
        self.appends_in_progress.fetch_sub(1, Ordering::SeqCst);
        result
    }

    /// The compression of a new batch of `topic`, with the topic's current ratio estimate.
    fn batch_compression(&self, topic: &str) -> BatchCompression {
        match self.config.compression {
            Compression::None => BatchCompression::NONE,
            codec => BatchCompression {
                codec,
                estimated_ratio: self.ratio_estimator.estimation(topic, codec),
                level: self.config.compression_level,
            },
        }
    }

    /// Pool memory for a new batch: `batch.size`, or with compression room for the
    /// uncompressed records of a batch expected to compress to about `batch.size` (at most 16
    /// times `batch.size` and half of `buffer.memory`).
    fn batch_buffer_size(&self, topic: &str) -> usize {
        let batch_size = self.config.batch_size;
        let c = self.batch_compression(topic);
        if c.codec == Compression::None {
            return batch_size;
        }
        let ratio = f64::from(c.estimated_ratio * COMPRESSION_RATE_ESTIMATION_FACTOR).max(1e-3);
        let records =
            (batch_size.saturating_sub(RECORD_BATCH_OVERHEAD) as f64 / ratio).ceil() as usize;
        let cap = batch_size
            .saturating_mul(16)
            .min(self.pool.total_memory() / 2)
            .max(batch_size);
        (RECORD_BATCH_OVERHEAD + records).clamp(batch_size, cap)
    }

    fn partition_changed(&self, info: &TopicInfo, sticky: Option<&StickyPartitionInfo>) -> bool {
        match sticky {
            Some(s) => info.partitioner.is_partition_changed(s),
            None => false,
        }
    }

    fn try_append(
        d: &mut VecDeque<ProducerBatch>,
        timestamp: i64,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &[Header],
        callback: Option<Callback>,
    ) -> Result<(RecordFuture, usize), Option<Callback>> {
        match d.back_mut() {
            Some(last) if !last.is_closed() => {
                let before = last.estimated_size_in_bytes();
                match last.try_append(timestamp, key, value, headers, callback) {
                    Ok(f) => Ok((f, last.estimated_size_in_bytes() - before)),
                    Err(cb) => {
                        last.close_for_appends();
                        Err(cb)
                    }
                }
            }
            _ => Err(callback),
        }
    }

    /// Finds the leaders that have sendable batches (Java `ready`).
    pub fn ready(&self, cluster: &Cluster, now: Instant) -> ReadyCheckResult {
        let mut result = ReadyCheckResult {
            next_ready_check_delay: Duration::MAX,
            ..Default::default()
        };
        let exhausted = self.pool.queued() > 0;
        let closing = self.closed.load(Ordering::SeqCst) || self.flush_in_progress();
        let muted = self.muted.lock().clone();
        let node_stats = self.node_stats.lock().clone();
        let topics: Vec<(Arc<str>, Arc<TopicInfo>)> = self
            .topics
            .read()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for (topic, info) in topics {
            let deques: Vec<(i32, Deque)> = info
                .deques
                .read()
                .iter()
                .map(|(p, d)| (*p, d.clone()))
                .collect();
            // Load stats for adaptive partitioning, as Java: only once every partition of the
            // topic has a queue; partitions on brokers slower than
            // partitioner.availability.timeout.ms are left out.
            let collect_stats = self.config.adaptive_partitioning
                && deques.len() >= cluster.partitions_for_topic(&topic).len();
            let mut queue_sizes: Vec<i32> = vec![0; if collect_stats { deques.len() } else { 0 }];
            let mut partition_ids: Vec<i32> = queue_sizes.clone();
            let mut stats_len = 0usize;
            for (partition, dq) in deques {
                let tp = TopicPartition {
                    topic: topic.clone(),
                    partition,
                };
                let leader = cluster.partition(&tp).and_then(|p| p.leader);
                let (len, first) = {
                    let d = dq.lock();
                    let first = d
                        .front()
                        .map(|b| (b.waited_time(now), b.attempts(), b.is_full()));
                    (d.len(), first)
                };
                let leader = match leader.filter(|l| cluster.node_by_id(*l).is_some()) {
                    Some(l) => l,
                    None => {
                        if len > 0 {
                            result.unknown_leader_topics.insert(topic.clone());
                        }
                        continue;
                    }
                };
                if collect_stats {
                    let slow = !self.config.partition_availability_timeout.is_zero()
                        && node_stats.get(&leader).is_some_and(|s| {
                            match (s.ready_time, s.drain_time) {
                                (Some(r), Some(d)) => {
                                    r.saturating_duration_since(d)
                                        > self.config.partition_availability_timeout
                                }
                                _ => false,
                            }
                        });
                    queue_sizes[stats_len] = len as i32;
                    partition_ids[stats_len] = partition;
                    if !slow {
                        stats_len += 1;
                    }
                }
                let Some((waited, attempts, first_full)) = first else {
                    continue;
                };
                if result.ready_nodes.contains(&leader) || muted.contains(&tp) {
                    continue;
                }
                let backoff = retry_backoff(
                    self.config.retry_backoff,
                    self.config.retry_backoff_max,
                    attempts,
                    partition as u64,
                );
                let backing_off = attempts > 0 && waited < backoff;
                let time_to_wait = if backing_off {
                    backoff
                } else {
                    self.config.linger
                };
                let full = len > 1 || first_full;
                let expired = waited >= time_to_wait;
                let sendable = full || expired || exhausted || closing;
                if sendable && !backing_off {
                    result.ready_nodes.insert(leader);
                } else {
                    let left = time_to_wait.saturating_sub(waited);
                    result.next_ready_check_delay = result.next_ready_check_delay.min(left);
                }
            }
            if self.config.adaptive_partitioning {
                info.partitioner.update_partition_load_stats_with_length(
                    collect_stats.then_some(&queue_sizes[..]),
                    &partition_ids,
                    stats_len,
                );
            }
        }
        result
    }

    /// Records when a node was ready and whether it could be drained (adaptive partitioning's
    /// availability check, `partitioner.availability.timeout.ms`).
    pub fn update_node_latency_stats(&self, node: i32, now: Instant, can_drain: bool) {
        let mut stats = self.node_stats.lock();
        let s = stats.entry(node).or_default();
        s.ready_time = Some(now);
        if can_drain || s.drain_time.is_none() {
            s.drain_time = Some(now);
        }
    }

    /// Whether any batch is still queued (not yet drained).
    pub fn has_undrained(&self) -> bool {
        let topics: Vec<Arc<TopicInfo>> = self.topics.read().values().cloned().collect();
        topics
            .iter()
            .any(|t| t.deques.read().values().any(|d| !d.lock().is_empty()))
    }

    /// Whether any batch is not yet completed (queued or in flight).
    pub fn has_incomplete(&self) -> bool {
        !self.incomplete.lock().is_empty()
    }

    /// Takes, for each ready node, up to `max_size` bytes of batches, one per partition,
    /// round-robin across the node's partitions (Java `drain`). Drained batches are closed.
    ///
    /// With idempotence (`txn`), a partition whose first batch must wait (no producer id yet,
    /// a retry that is not the lowest sequence in flight, an unresolved sequence) stops the
    /// node's drain for this round, and a batch drained for the first time gets its producer
    /// id, epoch and sequence.
    pub fn drain(
        &self,
        cluster: &Cluster,
        nodes: &HashSet<i32>,
        max_size: usize,
        now: Instant,
        guarantee_order: bool,
        mut txn: Option<&mut TransactionManager>,
    ) -> HashMap<i32, Vec<ProducerBatch>> {
        let mut out = HashMap::new();
        for &node in nodes {
            let batches = self.drain_node(
                cluster,
                node,
                max_size,
                now,
                guarantee_order,
                txn.as_deref_mut(),
            );
            out.insert(node, batches);
        }
        out
    }

    fn drain_node(
        &self,
        cluster: &Cluster,
        node: i32,
        max_size: usize,
        now: Instant,
        guarantee_order: bool,
        mut txn: Option<&mut TransactionManager>,
    ) -> Vec<ProducerBatch> {
        let parts = cluster.partitions_for_node(node);
        let mut ready = Vec::new();
        if parts.is_empty() {
            return ready;
        }
        let mut size = 0usize;
        let mut index = self.drain_index.lock();
        let start = *index.get(&node).unwrap_or(&0) % parts.len();
        let mut i = start;
        loop {
            let tp = &parts[i];
            // The index of the partition looked at, not the next one: a partition that did
            // not fit this request is the first one of the next (Java's updateDrainIndex).
            index.insert(node, i);
            i = (i + 1) % parts.len();
            let muted = guarantee_order && self.muted.lock().contains(tp);
            if !muted {
                if let Some(dq) = self.existing_deque(tp) {
                    let mut d = dq.lock();
                    if let Some(first) = d.front() {
                        let backoff = retry_backoff(
                            self.config.retry_backoff,
                            self.config.retry_backoff_max,
                            first.attempts(),
                            tp.partition as u64,
                        );
                        let backing_off = first.in_retry_backoff(backoff, now);
                        let too_big =
                            size + first.estimated_size_in_bytes() > max_size && !ready.is_empty();
                        if too_big {
                            // One request is full; a lone batch bigger than max_size still goes.
                            break;
                        }
                        // A partition whose first batch must wait (Java's
                        // shouldStopDrainBatchesForPartition) is skipped; unlike Java, which
                        // ends the node's drain there, the node's other partitions still go.
                        let must_wait = txn.as_deref().is_some_and(|tm| {
                            tm.should_stop_drain(tp, first.sequence().map(|q| q.base_sequence))
                        });
                        if !backing_off && !must_wait {
                            let mut batch = d.pop_front().expect("front exists");
                            if let Some(tm) = txn.as_deref_mut() {
                                if batch.sequence().is_none() {
                                    let count = batch.record_count() as i32;
                                    batch.set_sequence(tm.assign_sequence(tp, batch.id(), count));
                                }
                            }
                            drop(d);
                            if let Some(ratio) = batch.close() {
                                let c = batch.compression().codec;
                                self.ratio_estimator.update_estimation(&tp.topic, c, ratio);
                            }
                            batch.drained(now);
                            size += batch.estimated_size_in_bytes();
                            if guarantee_order {
                                self.muted.lock().insert(tp.clone());
                            }
                            ready.push(batch);
                        }
                    }
                }
            }
            if i == start {
                break;
            }
        }
        ready
    }

    /// The non-empty partition queues, for the producer's state dump: per partition the
    /// queued batches and records, and the first batch's sequence, attempts, age and retry
    /// backoff left.
    pub fn describe_queues(&self, now: Instant) -> Vec<(TopicPartition, String)> {
        let mut out = Vec::new();
        let muted = self.muted.lock().clone();
        let topics: Vec<Arc<TopicInfo>> = self.topics.read().values().cloned().collect();
        for t in topics {
            let deques: Vec<(i32, Deque)> = t
                .deques
                .read()
                .iter()
                .map(|(p, d)| (*p, d.clone()))
                .collect();
            for (partition, dq) in deques {
                let d = dq.lock();
                let Some(first) = d.front() else { continue };
                let tp = TopicPartition {
                    topic: t.name.clone(),
                    partition,
                };
                let records: usize = d.iter().map(ProducerBatch::record_count).sum();
                let backoff = retry_backoff(
                    self.config.retry_backoff,
                    self.config.retry_backoff_max,
                    first.attempts(),
                    partition as u64,
                );
                let backoff_left = if first.in_retry_backoff(backoff, now) {
                    format!(
                        ", retry backoff {} ms left",
                        backoff.saturating_sub(first.waited_time(now)).as_millis()
                    )
                } else {
                    String::new()
                };
                let line = format!(
                    "queued {} batch(es), {records} record(s); first: sequence {}, {} attempt(s), created {} ms ago{backoff_left}{}",
                    d.len(),
                    first
                        .sequence()
                        .map_or_else(|| "none".to_string(), |q| q.base_sequence.to_string()),
                    first.attempts(),
                    now.saturating_duration_since(first.created()).as_millis(),
                    if muted.contains(&tp) { ", muted" } else { "" }
                );
                out.push((tp, line));
            }
        }
        out.sort_by(|(a, _), (b, _)| (&*a.topic, a.partition).cmp(&(&*b.topic, b.partition)));
        out
    }

    /// The batches queued for `tp`, front first: (records, base sequence if assigned)
    /// (Java tests read `accumulator.getDeque(tp)`).
    #[cfg(test)]
    pub(crate) fn queued(&self, tp: &TopicPartition) -> Vec<(usize, Option<i32>)> {
        self.existing_deque(tp).map_or_else(Vec::new, |dq| {
            dq.lock()
                .iter()
                .map(|b| (b.record_count(), b.sequence().map(|q| q.base_sequence)))
                .collect()
        })
    }

    /// The node's (ready time, drain time) of the availability check (Java `getNodeLatencyStats`).
    #[cfg(test)]
    pub(crate) fn node_latency_stats(
        &self,
        node: i32,
    ) -> Option<(Option<Instant>, Option<Instant>)> {
        self.node_stats
            .lock()
            .get(&node)
            .map(|s| (s.ready_time, s.drain_time))
    }

    /// Unmutes a partition once its in-flight batch completed (max.in.flight = 1 ordering).
    pub fn unmute_partition(&self, tp: &TopicPartition) {
        self.muted.lock().remove(tp);
    }

    /// Removes and returns queued batches that waited longer than `delivery.timeout.ms`.
    pub fn expired_batches(&self, now: Instant) -> Vec<ProducerBatch> {
        let mut expired = Vec::new();
        let topics: Vec<Arc<TopicInfo>> = self.topics.read().values().cloned().collect();
        for t in topics {
            let deques: Vec<Deque> = t.deques.read().values().cloned().collect();
            for dq in deques {
                let mut d = dq.lock();
                while d.front().is_some_and(|b| {
                    b.has_reached_delivery_timeout(self.config.delivery_timeout, now)
                }) {
                    // Failed, never sent: no header to write (nor records to compress
                    // under the lock).
                    expired.push(d.pop_front().expect("front exists"));
                }
            }
        }
        expired
    }

    /// How long until the first queued batch reaches `delivery.timeout.ms`.
    pub fn next_expiry_delay(&self, now: Instant) -> Duration {
        let mut min = Duration::MAX;
        let topics: Vec<Arc<TopicInfo>> = self.topics.read().values().cloned().collect();
        for t in topics {
            for dq in t.deques.read().values() {
                if let Some(b) = dq.lock().front() {
                    let deadline = b.created() + self.config.delivery_timeout;
                    min = min.min(deadline.saturating_duration_since(now));
                }
            }
        }
        min
    }

    /// Puts a batch back at the front of its queue for another attempt. A batch with a sequence
    /// (idempotence) goes in sequence order among the queued batches that have one (Java
    /// `insertInSequenceOrder`), so retries leave in order.
    pub fn reenqueue(&self, mut batch: ProducerBatch, now: Instant) {
        batch.reenqueued(now);
        let tp = batch.topic_partition().clone();
        let info = self.topic_info(&tp.topic);
        let dq = Self::deque_of(&info, tp.partition);
        let mut d = dq.lock();
        match batch.sequence() {
            None => d.push_front(batch),
            Some(seq) => {
                let pos = d
                    .iter()
                    .position(|b| {
                        b.sequence()
                            .is_none_or(|q| q.base_sequence >= seq.base_sequence)
                    })
                    .unwrap_or(d.len());
                d.insert(pos, batch);
            }
        }
    }

    /// Java `splitAndReenqueue`: splits a batch the broker found too large into batches of at
    /// most half its size (and at most `batch.size`), puts them at the front of the
    /// partition's queue (in sequence order with idempotence, tracked by `txn`), and frees the
    /// original. Returns how many batches it became, or gives the batch back if it cannot be
    /// split.
    pub fn split_and_reenqueue(
        &self,
        mut batch: ProducerBatch,
        txn: Option<&mut TransactionManager>,
        now: Instant,
    ) -> Result<usize, Box<(ProducerBatch, Error)>> {
        let tp = batch.topic_partition().clone();
        let codec = batch.compression().codec;
        if codec != Compression::None {
            self.ratio_estimator.set_estimation(&tp.topic, codec, 1.0);
        }
        let split_size = (batch.estimated_size_in_bytes() / 2)
            .min(self.config.batch_size)
            .max(1);
        let parts = match batch.split(split_size, now) {
            Ok(parts) => parts,
            Err(e) => return Err(Box::new((batch, e))),
        };
        self.deallocate(batch);
        let n = parts.len();
        let info = self.topic_info(&tp.topic);
        let dq = Self::deque_of(&info, tp.partition);
        let mut txn = txn;
        let mut d = dq.lock();
        for b in parts.into_iter().rev() {
            let result = b.result().clone();
            self.incomplete.lock().insert(result_key(&result), result);
            match (b.sequence(), txn.as_deref_mut()) {
                (Some(seq), Some(tm)) => {
                    tm.add_in_flight_batch(&tp, seq);
                    let pos = d
                        .iter()
                        .position(|q| {
                            q.sequence()
                                .is_none_or(|s| s.base_sequence >= seq.base_sequence)
                        })
                        .unwrap_or(d.len());
                    d.insert(pos, b);
                }
                _ => d.push_front(b),
            }
        }
        Ok(n)
    }

    /// Applies sequence rewrites (an epoch bump) to the queued batches; returns the rewrites
    /// of batches not queued here (they are in flight, held by the sender).
    pub fn apply_rewrites(
        &self,
        rewrites: Vec<(TopicPartition, Rewrite)>,
    ) -> Vec<(TopicPartition, Rewrite)> {
        let mut rest = Vec::new();
        for (tp, r) in rewrites {
            let applied = self.existing_deque(&tp).is_some_and(|dq| {
                let mut d = dq.lock();
                match d.iter_mut().find(|b| b.id() == r.id) {
                    Some(b) => {
                        b.reset_producer_state(r.producer, r.base_sequence);
                        true
                    }
                    None => false,
                }
            });
            if !applied {
                rest.push((tp, r));
            }
        }
        rest
    }

    /// Completes a batch's bookkeeping: forgets it and returns its memory to the pool. The batch
    /// must be done (its futures completed) already.
    pub fn deallocate(&self, batch: ProducerBatch) {
        self.incomplete.lock().remove(&result_key(batch.result()));
        let (buf, size) = batch.into_buffer();
        match buf {
            Some(b) => self.pool.deallocate(b, size),
            None => self.pool.deallocate_size(size),
        }
    }

    /// Starts a flush: every queued batch is sendable at once.
    pub fn begin_flush(&self) {
        self.flushes_in_progress.fetch_add(1, Ordering::SeqCst);
    }

    /// Whether a flush is running.
    pub fn flush_in_progress(&self) -> bool {
        self.flushes_in_progress.load(Ordering::SeqCst) > 0
    }

    /// Waits until every batch incomplete at the call is done, then ends the flush.
    pub fn await_flush_completion(&self, deadline: Option<Instant>) -> bool {
        self.await_flush_completion_or(deadline, None, || {})
    }

    /// [`await_flush_completion`](Self::await_flush_completion), calling `slow` once if the
    /// batches are not all complete after `slow_after` (and waiting on).
    pub fn await_flush_completion_or(
        &self,
        deadline: Option<Instant>,
        slow_after: Option<Duration>,
        slow: impl FnOnce(),
    ) -> bool {
        let pending: Vec<Arc<BatchResult>> = self.incomplete.lock().values().cloned().collect();
        let mut slow = Some(slow);
        let slow_at = slow_after.and_then(|d| Instant::now().checked_add(d));
        let mut all = true;
        for r in pending {
            if let (Some(at), Some(_)) = (slow_at, slow.as_ref()) {
                let first_deadline = deadline.map_or(at, |d| d.min(at));
                if r.wait_all(Some(first_deadline)) {
                    continue;
                }
                if deadline.is_some_and(|d| d <= at) {
                    all = false;
                    break;
                }
                if let Some(f) = slow.take() {
                    f();
                }
            }
            if !r.wait_all(deadline) {
                all = false;
                break;
            }
        }
        self.flushes_in_progress.fetch_sub(1, Ordering::SeqCst);
        all
    }

    /// Whether threads are appending right now.
    pub fn has_appends_in_progress(&self) -> bool {
        self.appends_in_progress.load(Ordering::SeqCst) > 0
    }

    /// Stops accepting appends (and wakes threads waiting for buffer memory with an error);
    /// queued batches become sendable at once.
    pub fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        self.pool.close();
    }

    /// Whether [`close`](Self::close) was called.
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    /// Fails every queued batch with `error` and frees its memory (Java `abortBatches`).
    /// Batches in flight belong to the sender, which aborts them itself.
    pub fn abort_undrained_batches(&self, error: &Error) {
        let topics: Vec<Arc<TopicInfo>> = self.topics.read().values().cloned().collect();
        for t in topics {
            let deques: Vec<Deque> = t.deques.read().values().cloned().collect();
            for dq in deques {
                let drained: Vec<ProducerBatch> = dq.lock().drain(..).collect();
                for mut b in drained {
                    b.done(Err(error.clone()));
                    self.deallocate(b);
                }
            }
        }
    }

    /// At a forced close: aborts queued batches until no thread is appending any more, then
    /// once more for a batch made by an append that ended just then (Java
    /// `abortIncompleteBatches`).
    pub fn abort_incomplete_batches(&self, error: &Error) {
        loop {
            self.abort_undrained_batches(error);
            if !self.has_appends_in_progress() {
                break;
            }
            std::thread::yield_now();
        }
        self.abort_undrained_batches(error);
    }
}

/// After an append: tells the sticky partitioner how many bytes went in (it may switch
/// partition once the batch is full, Java `updatePartitionInfo`) and builds the result; the
/// sender must be woken when more than one batch is queued or the last one is full.
fn appended_result(
    d: &VecDeque<ProducerBatch>,
    info: &TopicInfo,
    sticky: Option<&StickyPartitionInfo>,
    appended: usize,
    cluster: &Cluster,
) -> impl FnOnce(RecordFuture, bool, i32) -> RecordAppendResult {
    let full = d.len() > 1 || d.back().is_some_and(|b| b.is_full());
    if let Some(s) = sticky {
        info.partitioner
            .update_partition_info(s, appended, cluster, all_batches_full(d));
    }
    move |future, new_batch_created, partition| RecordAppendResult {
        future,
        batch_is_full: full,
        new_batch_created,
        partition,
    }
}

fn closed_error() -> Error {
    Error::ProducerClosed("Producer closed while send in progress".into())
}

fn all_batches_full(d: &VecDeque<ProducerBatch>) -> bool {
    d.back().is_none_or(|b| b.is_full())
}

#[cfg(test)]
mod tests;
