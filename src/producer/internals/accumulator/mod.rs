//! `RecordAccumulator`: per-partition queues of batches between the caller threads that append
//! records and the sender thread that drains them (Java's `RecordAccumulator`).
//!
//! Each partition has a `parking_lot::Mutex`-guarded deque. `append` finds the deque, tries the
//! last batch under the lock, and otherwise allocates a buffer from the [`BufferPool`] *outside*
//! the lock, then locks again and tries once more before creating a new batch (giving the buffer
//! back if another thread made one meanwhile).

use crate::cluster::TopicPartition;
use crate::producer::delivery::{BatchResult, RecordFuture};
use crate::producer::internals::batch::ProducerBatch;
use crate::producer::internals::buffer_pool::BufferPool;
use crate::producer::partitioner::BuiltInPartitioner;
use crate::protocol::compression::CompressionRatioEstimator;
use crate::protocol::record_batch::Compression;
use crate::time::Time;
use parking_lot::{Mutex, RwLock};
use rustc_hash::FxHashMap;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

mod abort;
mod append;
mod describe;
mod drain;
mod expiry;
mod flush;
mod ready;
mod reenqueue;

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

type Deque = Arc<super::lock_stats::DequeMutex<VecDeque<ProducerBatch>>>;

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
    flushes_in_progress: AtomicUsize,
    /// A transaction is committing or aborting: every batch is sendable at once (Java's
    /// `transactionCompleting` in `ready`).
    transaction_completing: AtomicBool,
    closed: AtomicBool,
    muted: Mutex<HashSet<TopicPartition>>,
    drain_index: Mutex<HashMap<i32, usize>>,
    node_stats: Mutex<HashMap<i32, NodeLatencyStats>>,
    ratio_estimator: CompressionRatioEstimator,
    /// This accumulator, among all (the key of the threads' route caches).
    id: u64,
}

static NEXT_ACCUMULATOR_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// A topic's queues as one thread holds them (non-atomic clones, as
/// [`LocalCluster`](crate::metadata::LocalCluster)).
#[allow(clippy::redundant_allocation)]
type LocalTopicInfo = Rc<Arc<TopicInfo>>;

/// The topic and partition queue a thread appended to last, so that its next append to them
/// takes no map lock and touches no reference count shared with other threads. Topics and
/// queues are never removed from an accumulator, so a cached one stays the live one.
struct RouteCache {
    accumulator: u64,
    topic: LocalTopicInfo,
    deque: Option<(i32, Rc<Deque>)>,
}

thread_local! {
    static ROUTE_CACHE: RefCell<Option<RouteCache>> = const { RefCell::new(None) };
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
            incomplete: Mutex::new(HashMap::default()),
            flushes_in_progress: AtomicUsize::new(0),
            transaction_completing: AtomicBool::new(false),
            closed: AtomicBool::new(false),
            muted: Mutex::new(HashSet::default()),
            drain_index: Mutex::new(HashMap::default()),
            node_stats: Mutex::new(HashMap::default()),
            ratio_estimator: CompressionRatioEstimator::new(),
            id: NEXT_ACCUMULATOR_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        }
    }

    /// Registers the pool's gauges (Java's `registerMetrics`): `waiting-threads`,
    /// `buffer-total-bytes` and `buffer-available-bytes`, in `producer-metrics`.
    pub(crate) fn register_metrics(
        &self,
        registry: &crate::producer::internals::sender_metrics_registry::SenderMetricsRegistry,
    ) {
        use crate::producer::internals::sender_metrics_registry::GROUP;
        let m = registry.metrics();
        type Read = fn(&BufferPool) -> usize;
        let gauges: [(&str, &str, Read); 3] = [
            (
                "waiting-threads",
                "The number of user threads blocked waiting for buffer memory to enqueue their records",
                BufferPool::queued,
            ),
            (
                "buffer-total-bytes",
                "The maximum amount of buffer memory the client can use (whether or not it is currently used).",
                BufferPool::total_memory,
            ),
            (
                "buffer-available-bytes",
                "The total amount of buffer memory that is not being used (either unallocated or in the free list).",
                BufferPool::available_memory,
            ),
        ];
        for (name, description, read) in gauges {
            let pool = self.pool.clone();
            m.add_gauge(registry.in_group(GROUP, name, description), move |_| {
                read(&pool) as f64
            });
        }
    }

    /// The buffer pool.
    pub fn pool(&self) -> &Arc<BufferPool> {
        &self.pool
    }

    /// The topic's queues, through this thread's [`RouteCache`].
    fn topic_info(&self, topic: &str) -> LocalTopicInfo {
        ROUTE_CACHE.with(|cache| {
            let mut cache = cache.borrow_mut();
            if let Some(c) = &*cache {
                if c.accumulator == self.id && &*c.topic.name == topic {
                    return c.topic.clone();
                }
            }
            let info = Rc::new(self.shared_topic_info(topic));
            *cache = Some(RouteCache {
                accumulator: self.id,
                topic: info.clone(),
                deque: None,
            });
            info
        })
    }

    /// The partition's queue, through this thread's [`RouteCache`] (filled for `info`'s topic
    /// by [`topic_info`](Self::topic_info)).
    fn deque_of(&self, info: &Arc<TopicInfo>, partition: i32) -> Rc<Deque> {
        ROUTE_CACHE.with(|cache| {
            let mut cache = cache.borrow_mut();
            match &mut *cache {
                Some(c) if c.accumulator == self.id && Arc::ptr_eq(&c.topic, info) => {
                    if let Some((p, d)) = &c.deque {
                        if *p == partition {
                            return d.clone();
                        }
                    }
                    let d = Rc::new(Self::shared_deque(info, partition));
                    c.deque = Some((partition, d.clone()));
                    d
                }
                _ => Rc::new(Self::shared_deque(info, partition)),
            }
        })
    }

    fn shared_topic_info(&self, topic: &str) -> Arc<TopicInfo> {
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

    fn shared_deque(info: &TopicInfo, partition: i32) -> Deque {
        if let Some(d) = info.deques.read().get(&partition) {
            return d.clone();
        }
        info.deques.write().entry(partition).or_default().clone()
    }

    fn existing_deque(&self, tp: &TopicPartition) -> Option<Deque> {
        let info = self.topics.read().get(&*tp.topic)?.clone();
        info.deques.read().get(&tp.partition).cloned()
    }

    /// Every partition queue as a snapshot (topic, partition, queue): the caller locks the
    /// queues with no map lock held.
    fn all_deques(&self) -> Vec<(Arc<str>, i32, Deque)> {
        let topics: Vec<Arc<TopicInfo>> = self.topics.read().values().cloned().collect();
        let mut out = Vec::new();
        for t in topics {
            out.extend(
                t.deques
                    .read()
                    .iter()
                    .map(|(p, d)| (t.name.clone(), *p, d.clone())),
            );
        }
        out
    }

    /// Unmutes a partition once its in-flight batch completed (max.in.flight = 1 ordering).
    pub fn unmute_partition(&self, tp: &TopicPartition) {
        self.muted.lock().remove(tp);
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
}

#[cfg(test)]
pub(crate) mod tests;
