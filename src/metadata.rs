//! `Metadata`: the producer's view of the cluster, refreshed by the sender thread (Java's
//! `ProducerMetadata`).
//!
//! Caller threads read the current [`Cluster`] snapshot without blocking the sender (an
//! `Arc<Cluster>` swapped under a short read lock), register the topics they send to, and wait
//! for a newer version when a topic or partition is unknown (`await_update`). The sender decides
//! when to refresh (`time_to_next_update`), asks for the registered topics, and installs the
//! answer (`update`), bumping the version and waking waiters.

use crate::cluster::{Cluster, TopicPartition};
use crate::error::{Error, TimeoutKind};
use crate::protocol::ErrorCode;
use crate::protocol::messages::MetadataResponse;
use parking_lot::{Condvar, Mutex, RwLock};
use rustc_hash::FxHashMap;
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Metadata settings.
#[derive(Debug, Clone)]
pub(crate) struct MetadataConfig {
    /// `retry.backoff.ms`: the least time between two refresh attempts.
    pub refresh_backoff: Duration,
    /// `retry.backoff.max.ms`: the backoff cap after repeated failures.
    pub refresh_backoff_max: Duration,
    /// `metadata.max.age.ms`: refresh at least this often.
    pub metadata_max_age: Duration,
    /// `metadata.max.idle.ms`: forget topics not sent to for this long.
    pub metadata_max_idle: Duration,
}

#[derive(Debug)]
struct State {
    version: u64,
    need_update: bool,
    last_refresh: Option<Instant>,
    last_successful_refresh: Option<Instant>,
    failed_attempts: u32,
    /// Fingerprint of the last response that still left an update needed (unknown topic,
    /// missing leader): an identical next one backs off further (Java KIP-580's
    /// "equivalent response" backoff).
    last_incomplete_fingerprint: Option<u64>,
    closed: bool,
    /// An error no retry will fix (a broker this client cannot talk to): metadata waits
    /// fail with it at once until a metadata update succeeds (Java `Metadata.fatalError`).
    fatal: Option<Error>,
}

/// The producer's metadata.
#[derive(Debug)]
pub(crate) struct Metadata {
    config: MetadataConfig,
    bootstrap: Vec<(String, u16)>,
    state: Mutex<State>,
    updated: Condvar,
    cluster: RwLock<Arc<Cluster>>,
    /// The registered topics and when each was last sent to (milliseconds since `epoch`): a
    /// send to a known topic only takes the read lock.
    topics: RwLock<FxHashMap<Arc<str>, AtomicU64>>,
    epoch: Instant,
    /// This instance, among all (the key of the threads' snapshot caches).
    id: u64,
    /// Grows after each change of `cluster` (read by [`fetch_local`](Self::fetch_local)).
    generation: AtomicU64,
}

static NEXT_METADATA_ID: AtomicU64 = AtomicU64::new(1);

/// A snapshot as one thread holds it: cloning and dropping the `Rc` is not atomic, so a send
/// touches no reference count that other threads (and the sender) also touch.
#[allow(clippy::redundant_allocation)]
pub(crate) type LocalCluster = Rc<Arc<Cluster>>;

/// A thread's cached snapshot: (metadata id, generation, snapshot).
type CachedCluster = Option<(u64, u64, LocalCluster)>;

thread_local! {
    /// The last snapshot this thread read: (metadata id, generation, snapshot).
    static CLUSTER_CACHE: RefCell<CachedCluster> = const { RefCell::new(None) };
    /// The topic this thread sent to last (see [`Metadata::topic_for_send`]).
    static SEND_TOPIC: RefCell<Option<SendTopic>> = const { RefCell::new(None) };
}

/// A thread's last topic: of which metadata and snapshot generation, its partition count in
/// that snapshot, and when the thread last registered it (`add_topic`).
struct SendTopic {
    metadata: u64,
    generation: u64,
    topic: Box<str>,
    /// The snapshot the partition count was read from: the two are handed out together.
    cluster: LocalCluster,
    partitions: Option<usize>,
    /// Wall-clock milliseconds of the registration: the send reads this clock anyway (for the
    /// record's timestamp), so a cache hit costs no second clock read.
    registered_ms: i64,
}

/// How long a thread's registration of its topic stands before it is renewed, far below the
/// smallest `metadata.max.idle.ms` (5 s).
const TOPIC_REGISTRATION_TTL_MS: i64 = 1000;

impl Metadata {
    /// Metadata knowing only the bootstrap servers.
    pub(crate) fn new(config: MetadataConfig, bootstrap: &[(String, u16)]) -> Self {
        Metadata {
            config,
            bootstrap: bootstrap.to_vec(),
            state: Mutex::new(State {
                version: 0,
                need_update: true,
                last_refresh: None,
                last_successful_refresh: None,
                failed_attempts: 0,
                last_incomplete_fingerprint: None,
                closed: false,
                fatal: None,
            }),
            updated: Condvar::new(),
            cluster: RwLock::new(Arc::new(Cluster::bootstrap(bootstrap))),
            topics: RwLock::new(FxHashMap::default()),
            epoch: Instant::now(),
            id: NEXT_METADATA_ID.fetch_add(1, Ordering::Relaxed),
            generation: AtomicU64::new(0),
        }
    }

    /// The current snapshot, through this thread's cache: while the snapshot does not change,
    /// a send takes no lock and touches no reference count shared with other threads (the
    /// cache keeps the last snapshot a thread read alive until that thread reads another).
    pub(crate) fn fetch_local(&self) -> LocalCluster {
        // Read before the snapshot: a writer replaces the snapshot, then bumps the generation.
        let generation = self.generation.load(Ordering::Acquire);
        CLUSTER_CACHE.with(|cache| {
            let mut cache = cache.borrow_mut();
            if let Some((id, cached_generation, cluster)) = &*cache {
                if *id == self.id && *cached_generation == generation {
                    return cluster.clone();
                }
            }
            let cluster = Rc::new(self.fetch());
            *cache = Some((self.id, generation, cluster.clone()));
            cluster
        })
    }

    /// Java's `metadata.add(topic, nowMs)` and `metadata.fetch()` of a send, for the common case
    /// of a thread sending to the same topic again: the snapshot (as
    /// [`fetch_local`](Self::fetch_local)) and the topic's partition count in it (`None`:
    /// unknown). The topic is registered ([`add_topic`](Self::add_topic)) when it is new to
    /// this thread or to the snapshot, and otherwise at most once a second per thread, so
    /// its idle time stays far inside `metadata.max.idle.ms`.
    ///
    /// `now_ms` is the wall clock the send read; `now` gives the monotonic time, read only to
    /// register the topic. A wall clock set back registers the topic again at once.
    pub(crate) fn topic_for_send(
        &self,
        topic: &str,
        now_ms: i64,
        now: impl FnOnce() -> Instant,
    ) -> (LocalCluster, Option<usize>) {
        let generation = self.generation.load(Ordering::Acquire);
        let cached = SEND_TOPIC.with(|cache| match &*cache.borrow() {
            Some(c)
                if c.metadata == self.id
                    && c.generation == generation
                    && &*c.topic == topic
                    && (c.registered_ms..c.registered_ms + TOPIC_REGISTRATION_TTL_MS)
                        .contains(&now_ms) =>
            {
                Some((c.cluster.clone(), c.partitions))
            }
            _ => None,
        });
        if let Some(hit) = cached {
            return hit;
        }
        self.add_topic(topic, now());
        let cluster = self.fetch_local();
        let partitions = cluster.partition_count_for_topic(topic);
        SEND_TOPIC.with(|cache| {
            *cache.borrow_mut() = Some(SendTopic {
                metadata: self.id,
                generation,
                topic: topic.into(),
                cluster: cluster.clone(),
                partitions,
                registered_ms: now_ms,
            });
        });
        (cluster, partitions)
    }

    /// Replaces the snapshot.
    fn set_cluster(&self, slot: &mut Arc<Cluster>, cluster: Cluster) {
        *slot = Arc::new(cluster);
        self.generation.fetch_add(1, Ordering::Release);
    }

    /// The current snapshot.
    pub(crate) fn fetch(&self) -> Arc<Cluster> {
        self.cluster.read().clone()
    }

    /// The version: it grows by one with each successful update.
    #[cfg(test)]
    pub(crate) fn version(&self) -> u64 {
        self.state.lock().version
    }

    /// Registers a topic the producer sends to (extending its idle expiry). A topic new to the
    /// set triggers an update. Returns whether the topic was new.
    pub(crate) fn add_topic(&self, topic: &str, now: Instant) -> bool {
        let at = self.millis(now);
        if let Some(last) = self.topics.read().get(topic) {
            // A plain load and store, no read-modify-write per record: racing threads store
            // times a few milliseconds apart, all far inside metadata.max.idle.ms.
            if last.load(Ordering::Relaxed) < at {
                last.store(at, Ordering::Relaxed);
            }
            return false;
        }
        if self
            .topics
            .write()
            .insert(Arc::from(topic), AtomicU64::new(at))
            .is_some()
        {
            return false;
        }
        // Java `requestUpdateForNewTopics`: a new topic does not wait out the refresh backoff.
        let mut st = self.state.lock();
        st.need_update = true;
        st.last_refresh = None;
        st.failed_attempts = 0;
        true
    }

    fn millis(&self, now: Instant) -> u64 {
        now.saturating_duration_since(self.epoch).as_millis() as u64
    }

    /// Asks for an update as soon as the backoff allows; returns the current version, to pass
    /// to [`await_update`](Self::await_update).
    pub(crate) fn request_update(&self) -> u64 {
        let mut st = self.state.lock();
        st.need_update = true;
        st.version
    }

    /// Whether an update was requested.
    #[cfg(test)]
    pub(crate) fn update_requested(&self) -> bool {
        self.state.lock().need_update
    }

    /// An error no retry will fix: threads waiting for metadata fail with it at once, until a
    /// metadata update succeeds.
    pub(crate) fn set_fatal_error(&self, error: Error) {
        let mut st = self.state.lock();
        st.fatal = Some(error);
        self.updated.notify_all();
    }

    /// A usable broker was found: metadata waits wait again.
    pub(crate) fn clear_fatal_error(&self) {
        self.state.lock().fatal = None;
    }

    /// Waits until the version exceeds `last_version`, or until `deadline`.
    pub(crate) fn await_update(&self, last_version: u64, deadline: Instant) -> Result<(), Error> {
        let mut st = self.state.lock();
        while st.version <= last_version {
            if let Some(e) = &st.fatal {
                return Err(e.clone());
            }
            if st.closed {
                return Err(Error::ProducerClosed(
                    "Requested metadata update after close".into(),
                ));
            }
            if self.updated.wait_until(&mut st, deadline).timed_out() && st.version <= last_version
            {
                return Err(Error::timeout(
                    TimeoutKind::Metadata,
                    "metadata was not updated in time".to_string(),
                ));
            }
        }
        Ok(())
    }

    fn backoff(&self, failed_attempts: u32) -> Duration {
        let exp = failed_attempts.saturating_sub(1).min(20);
        self.config.refresh_backoff.saturating_mul(1u32 << exp).min(
            self.config
                .refresh_backoff_max
                .max(self.config.refresh_backoff),
        )
    }

    /// When the last successful update was (the `metadata-age` metric).
    pub(crate) fn last_successful_update(&self) -> Option<Instant> {
        self.state.lock().last_successful_refresh
    }

    /// How long until the next update should be sent: 0 when due now.
    pub(crate) fn time_to_next_update(&self, now: Instant) -> Duration {
        let st = self.state.lock();
        let backoff_left = match st.last_refresh {
            Some(t) => (t + self.backoff(st.failed_attempts)).saturating_duration_since(now),
            None => Duration::ZERO,
        };
        let expire_left = if st.need_update {
            Duration::ZERO
        } else {
            match st.last_successful_refresh {
                Some(t) => (t + self.config.metadata_max_age).saturating_duration_since(now),
                None => Duration::ZERO,
            }
        };
        expire_left.max(backoff_left)
    }

    /// The topics to ask about, dropping those idle past `metadata.max.idle.ms`.
    pub(crate) fn topics_for_request(&self, now: Instant) -> Vec<String> {
        let now_ms = self.millis(now);
        let idle = self.config.metadata_max_idle.as_millis() as u64;
        let mut topics = self.topics.write();
        topics.retain(|t, last| {
            let keep = now_ms.saturating_sub(last.load(Ordering::Relaxed)) < idle;
            if !keep {
                log::debug!("Removing unused topic {t} from the metadata list");
            }
            keep
        });
        topics.keys().map(|t| t.to_string()).collect()
    }

    /// Installs a Metadata response.
    pub(crate) fn update(&self, response: &MetadataResponse, now: Instant) {
        let cluster = Cluster::from_metadata_response(response);
        let mut need_update = false;
        for t in &response.topics {
            let name = t.name.as_deref().unwrap_or("<unknown>");
            if t.error_code == ErrorCode::UNKNOWN_TOPIC_OR_PARTITION {
                log::warn!("Error while fetching metadata: {{{name}=UNKNOWN_TOPIC_OR_PARTITION}}");
            } else if !t.error_code.is_ok() {
                log::warn!(
                    "Error while fetching metadata for topic {name}: {}",
                    t.error_code
                );
            }
            if t.error_code.is_retriable()
                || t.partitions
                    .iter()
                    .any(|p| p.leader_id < 0 || !p.error_code.is_ok())
            {
                need_update = true;
            }
        }
        self.set_cluster(&mut self.cluster.write(), cluster);
        let mut st = self.state.lock();
        st.version += 1;
        st.fatal = None;
        st.need_update = need_update;
        st.last_refresh = Some(now);
        st.last_successful_refresh = Some(now);
        // A response that changes nothing and still leaves the update needed backs off
        // exponentially (up to retry.backoff.max.ms) instead of asking again every
        // retry.backoff.ms.
        let fingerprint = need_update.then(|| fingerprint(response));
        if fingerprint.is_some() && fingerprint == st.last_incomplete_fingerprint {
            st.failed_attempts = st.failed_attempts.saturating_add(1).max(2);
        } else {
            st.failed_attempts = 0;
        }
        st.last_incomplete_fingerprint = fingerprint;
        drop(st);
        log::debug!(
            "Updated cluster metadata: {} broker(s)",
            response.brokers.len()
        );
        self.updated.notify_all();
    }

    /// New leaders named by a Produce response (KIP-951): the snapshot takes them at once,
    /// without waiting for a metadata round trip (Java `updatePartitionLeadership`). Returns
    /// whether anything changed.
    pub(crate) fn update_partition_leadership(
        &self,
        leaders: &[(TopicPartition, i32, i32)],
        endpoints: &[crate::cluster::Node],
    ) -> bool {
        let mut cluster = self.cluster.write();
        match cluster.with_leaders(leaders, endpoints) {
            Some(updated) => {
                log::debug!("Updated partition leaders from a Produce response: {leaders:?}");
                self.set_cluster(&mut cluster, updated);
                true
            }
            None => false,
        }
    }

    /// Goes back to the bootstrap servers (`metadata.recovery.strategy=rebootstrap`): used when
    /// no known broker can be reached, or no metadata arrived for
    /// `metadata.recovery.rebootstrap.trigger.ms`. The topics stay registered with their
    /// partition counts (their leaders unknown) and an update is requested at once.
    pub(crate) fn rebootstrap(&self) {
        let current = self.fetch();
        self.set_cluster(
            &mut self.cluster.write(),
            current.rebootstrapped(&self.bootstrap),
        );
        let mut st = self.state.lock();
        st.need_update = true;
        st.failed_attempts = 0;
        st.last_refresh = None;
    }

    /// Records a failed update attempt (no response, or a broken connection).
    pub(crate) fn failed_update(&self, now: Instant) {
        let mut st = self.state.lock();
        st.last_refresh = Some(now);
        st.failed_attempts = st.failed_attempts.saturating_add(1);
    }

    /// Closes: waiters fail at once.
    pub(crate) fn close(&self) {
        self.state.lock().closed = true;
        self.updated.notify_all();
    }
}

/// What of a response decides whether an update is still needed: brokers, topics with their
/// errors, partitions with their leaders and errors.
fn fingerprint(resp: &MetadataResponse) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = rustc_hash::FxHasher::default();
    for b in &resp.brokers {
        (b.node_id, &b.host, b.port).hash(&mut h);
    }
    for t in &resp.topics {
        (&t.name, t.error_code.code()).hash(&mut h);
        for p in &t.partitions {
            (
                p.partition_index,
                p.leader_id,
                p.leader_epoch,
                p.error_code.code(),
            )
                .hash(&mut h);
        }
    }
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> MetadataConfig {
        MetadataConfig {
            refresh_backoff: Duration::from_millis(100),
            refresh_backoff_max: Duration::from_millis(1000),
            metadata_max_age: Duration::from_secs(300),
            metadata_max_idle: Duration::from_secs(300),
        }
    }

    /// Broker 1 and topic "t" with one partition led by `leader` (-1: no leader).
    fn response(leader: i32) -> MetadataResponse {
        use crate::mock::responses::{broker, metadata, partition, topic};
        metadata(
            vec![broker(1, "h", 1)],
            vec![topic("t", [partition(0, leader, 0)])],
        )
    }

    /// The per-thread snapshot cache answers for its own `Metadata` only, and follows every
    /// kind of change of the snapshot (update, new leaders, rebootstrap).
    #[test]
    fn fetch_local_follows_each_instance_and_each_change() {
        let a = Metadata::new(config(), &[("h".into(), 1)]);
        let b = Metadata::new(config(), &[("h".into(), 1)]);
        let t0 = Instant::now();
        assert_eq!(a.fetch_local().partition_count_for_topic("t"), None);
        a.update(&response(1), t0);
        assert_eq!(a.fetch_local().partition_count_for_topic("t"), Some(1));
        // The other instance, read right after in the same thread, is not served a's snapshot.
        assert_eq!(b.fetch_local().partition_count_for_topic("t"), None);
        assert_eq!(a.fetch_local().partition_count_for_topic("t"), Some(1));
        let leader = |m: &Metadata| {
            m.fetch_local()
                .leader_for(&TopicPartition::new("t", 0))
                .map(|n| n.id)
        };
        // Also not at the same generation.
        b.update(&response(-1), t0);
        assert_eq!(leader(&a), Some(1));
        assert_eq!(leader(&b), None);
        assert_eq!(leader(&a), Some(1));
        a.update(&response(-1), t0);
        assert_eq!(leader(&a), None);
        let node = crate::cluster::Node {
            id: 1,
            host: "h".into(),
            port: 1,
            rack: None,
        };
        assert!(a.update_partition_leadership(&[(TopicPartition::new("t", 0), 1, 1)], &[node]));
        assert_eq!(leader(&a), Some(1));
        a.rebootstrap();
        assert_eq!(leader(&a), None);
        assert!(Arc::ptr_eq(&a.fetch_local(), &a.fetch()));
    }

    /// A thread sending to the same topic registers it again once a second (its idle expiry
    /// moves on) and sees each new snapshot's partition count.
    #[test]
    fn topic_for_send_renews_the_registration_and_follows_updates() {
        let m = Metadata::new(config(), &[("h".into(), 1)]);
        let t0 = Instant::now();
        // The wall clock (ms) and the monotonic clock, both `d` after the start.
        let at = |d: Duration| (d.as_millis() as i64, move || t0 + d);
        let send = |d: Duration| {
            let (ms, now) = at(d);
            m.topic_for_send("t", ms, now)
        };
        assert_eq!(send(Duration::ZERO).1, None);
        assert_eq!(m.topics_for_request(t0), vec!["t".to_string()]);
        m.update(&response(1), t0);
        assert_eq!(send(Duration::ZERO).1, Some(1));
        // Within the second: served by the thread's cache; after it: registered again.
        send(Duration::from_millis(500));
        send(Duration::from_secs(2));
        assert_eq!(
            m.topics_for_request(t0 + Duration::from_secs(301)),
            vec!["t".to_string()]
        );
        assert!(
            m.topics_for_request(t0 + Duration::from_secs(303))
                .is_empty()
        );
        // A topic dropped as idle is registered again by the next send.
        assert_eq!(send(Duration::from_secs(303)).1, Some(1));
        assert_eq!(
            m.topics_for_request(t0 + Duration::from_secs(303)),
            vec!["t".to_string()]
        );
    }

    /// A wall clock set back does not freeze the thread's registration until the clock catches
    /// up: the next send registers the topic again (else it would expire as idle).
    #[test]
    fn topic_for_send_registers_again_when_the_wall_clock_goes_back() {
        let m = Metadata::new(config(), &[("h".into(), 1)]);
        let t0 = Instant::now();
        m.update(&response(1), t0);
        m.topic_for_send("t", 1_000_000, || t0);
        // The wall clock went back an hour; the monotonic clock moved on 200 s.
        m.topic_for_send("t", 1_000_000 - 3_600_000, || t0 + Duration::from_secs(200));
        assert_eq!(
            m.topics_for_request(t0 + Duration::from_secs(303)),
            vec!["t".to_string()],
            "registered again at 200 s, so not idle at 303 s"
        );
    }

    /// The partition count `topic_for_send` gives is the count in the snapshot it gives with
    /// it, while another thread installs snapshots with and without the topic (a count from a
    /// newer snapshot than the one handed out made the sticky partitioner panic on a snapshot
    /// without the topic).
    #[test]
    fn topic_for_send_count_comes_from_the_snapshot_it_returns() {
        use crate::mock::responses::{broker, metadata, topic_error};
        let m = Arc::new(Metadata::new(config(), &[("h".into(), 1)]));
        let without = metadata(
            vec![broker(1, "h", 1)],
            vec![topic_error("t", ErrorCode::LEADER_NOT_AVAILABLE)],
        );
        m.update(&response(1), Instant::now());
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let writer = {
            let (m, stop) = (m.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut i = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    if i.is_multiple_of(2) {
                        m.update(&without, Instant::now());
                    } else {
                        m.update(&response(1), Instant::now());
                    }
                    i += 1;
                }
            })
        };
        let t0 = Instant::now();
        let mut mismatches = 0u64;
        while t0.elapsed() < Duration::from_millis(1500) {
            let (cluster, partitions) = m.topic_for_send("t", 0, || t0);
            if partitions != cluster.partition_count_for_topic("t") {
                mismatches += 1;
            }
        }
        stop.store(true, Ordering::Relaxed);
        writer.join().unwrap();
        assert_eq!(mismatches, 0);
    }

    #[test]
    fn update_cycle_and_backoff() {
        let m = Metadata::new(config(), &[("h".into(), 1)]);
        let t0 = Instant::now();
        assert_eq!(m.time_to_next_update(t0), Duration::ZERO);
        assert!(m.add_topic("t", t0));
        assert!(!m.add_topic("t", t0));
        m.update(&response(1), t0);
        assert_eq!(m.version(), 1);
        assert_eq!(m.fetch().partition_count_for_topic("t"), Some(1));
        // Next regular refresh after metadata.max.age.
        assert_eq!(m.time_to_next_update(t0), Duration::from_secs(300));
        // A request is honoured after the refresh backoff.
        m.request_update();
        assert_eq!(m.time_to_next_update(t0), Duration::from_millis(100));
        assert_eq!(
            m.time_to_next_update(t0 + Duration::from_millis(150)),
            Duration::ZERO
        );
        // A missing leader keeps asking.
        m.update(&response(-1), t0);
        assert!(m.update_requested());
        // Failures back off exponentially.
        m.failed_update(t0);
        m.failed_update(t0);
        assert_eq!(m.time_to_next_update(t0), Duration::from_millis(200));
    }

    #[test]
    fn repeated_identical_incomplete_responses_back_off() {
        let m = Metadata::new(config(), &[("h".into(), 1)]);
        let t0 = Instant::now();
        // A leader is missing: an update stays needed.
        m.update(&response(-1), t0);
        assert!(m.update_requested());
        assert_eq!(m.time_to_next_update(t0), Duration::from_millis(100));
        // The same answer again: the backoff grows (200, 400, ... up to 1 s).
        m.update(&response(-1), t0);
        assert_eq!(m.time_to_next_update(t0), Duration::from_millis(200));
        m.update(&response(-1), t0);
        assert_eq!(m.time_to_next_update(t0), Duration::from_millis(400));
        for _ in 0..5 {
            m.update(&response(-1), t0);
        }
        assert_eq!(m.time_to_next_update(t0), Duration::from_millis(1000));
        // A different answer resets it.
        m.update(&response(1), t0);
        m.request_update();
        assert_eq!(m.time_to_next_update(t0), Duration::from_millis(100));
    }

    #[test]
    fn await_update_times_out_and_wakes() {
        let m = Arc::new(Metadata::new(config(), &[("h".into(), 1)]));
        let v = m.request_update();
        let e = m
            .await_update(v, Instant::now() + Duration::from_millis(20))
            .unwrap_err();
        assert!(matches!(
            e,
            Error::Timeout {
                kind: TimeoutKind::Metadata,
                ..
            }
        ));
        let m2 = m.clone();
        let t = std::thread::spawn(move || {
            m2.await_update(v, Instant::now() + Duration::from_secs(10))
        });
        std::thread::sleep(Duration::from_millis(20));
        m.update(&response(1), Instant::now());
        assert!(t.join().unwrap().is_ok());
    }

    #[test]
    fn rebootstrap_goes_back_to_the_bootstrap_servers() {
        let m = Metadata::new(config(), &[("boot".into(), 9)]);
        let t0 = Instant::now();
        m.update(&response(1), t0);
        assert!(!m.fetch().is_bootstrap());
        m.rebootstrap();
        let c = m.fetch();
        assert!(c.is_bootstrap());
        assert_eq!(c.node_by_id(-1).unwrap().host, "boot");
        assert!(m.update_requested());
        assert_eq!(m.time_to_next_update(t0), Duration::ZERO);
    }

    #[test]
    fn idle_topics_expire() {
        let m = Metadata::new(config(), &[("h".into(), 1)]);
        let t0 = Instant::now();
        m.add_topic("a", t0);
        m.add_topic("b", t0 + Duration::from_secs(200));
        let topics = m.topics_for_request(t0 + Duration::from_secs(301));
        assert_eq!(topics, vec!["b".to_string()]);
    }
}
