//! `MockCluster`: N in-process brokers on loopback ports speaking the real wire protocol.

use super::responses;
use crate::protocol::messages::produce::{LeaderIdAndEpoch, NodeEndpoint};
use crate::protocol::messages::{
    Decode, InitProducerIdRequest, MetadataRequest, MetadataResponseTopic, ProduceRequest,
    ProduceResponse, TopicProduceResponse,
};
use crate::protocol::record_batch::{Header, RecordBatch};
use crate::protocol::{ApiKey, ErrorCode, OwnedRequestHeader, Reader};
use parking_lot::Mutex;
use rustc_hash::FxHashMap;
use std::collections::{BTreeMap, VecDeque};
use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU16, AtomicU64, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

/// How often a connection thread looks up from a blocking read to see whether it must stop.
const POLL: Duration = Duration::from_millis(100);
/// Larger request frames close the connection.
const MAX_FRAME: usize = 256 << 20;
/// Batches a broker remembers per producer and partition for duplicate detection (Kafka's
/// `ProducerStateEntry.NUM_BATCHES_TO_RETAIN`).
const BATCHES_TO_RETAIN: usize = 5;

/// The fate of one Produce request, decided by a script or a queued action.
///
/// ```
/// use kafka_producer::mock::Action;
/// use kafka_producer::protocol::ErrorCode;
/// use std::time::Duration;
/// // Answer after 200 ms, with partition 1 failing.
/// let a = Action::Delay(
///     Duration::from_millis(200),
///     Box::new(Action::PartitionErrors(vec![(1, ErrorCode::NOT_ENOUGH_REPLICAS)])),
/// );
/// assert_ne!(a, Action::Ok);
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Action {
    /// Append the batches (as a broker does: leader and sequence checks) and answer.
    Ok,
    /// Answer every partition of the request with this error code, appending nothing.
    Error(ErrorCode),
    /// Write these raw bytes instead of a response frame (the connection stays open).
    Garbage(Vec<u8>),
    /// Do not answer (the client's request timeout must fire); later requests are served.
    Silence,
    /// Close the connection without answering.
    Close,
    /// Append the batches, then close the connection without answering (a lost response).
    AppendThenClose,
    /// Answer the listed partitions with their error code; append the others.
    PartitionErrors(Vec<(i32, ErrorCode)>),
    /// Forget every producer's sequence state on every partition (as a broker whose producer
    /// state expired), then do the inner action.
    ForgetProducers(Box<Action>),
    /// Wait this long on the connection's thread, then do the inner action. Later requests of
    /// the connection wait too (a broker answers a connection's requests in order).
    Delay(Duration, Box<Action>),
    /// Do the inner action with this `throttle_time_ms` in the response.
    Throttle(i32, Box<Action>),
}

/// One record batch of a Produce request, as a script sees it (read from the batch header).
///
/// ```
/// # use kafka_producer::mock::BatchInfo;
/// fn first_of_partition_0(b: &BatchInfo) -> bool {
///     b.partition == 0 && b.base_sequence == 0
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct BatchInfo {
    /// Topic name.
    pub topic: String,
    /// Partition index.
    pub partition: i32,
    /// Producer id, -1 for a non-idempotent producer.
    pub producer_id: i64,
    /// Producer epoch.
    pub producer_epoch: i16,
    /// Sequence of the batch's first record, -1 without idempotence.
    pub base_sequence: i32,
    /// Records in the batch.
    pub record_count: i32,
}

/// What a Produce script sees of one request.
///
/// ```
/// use kafka_producer::mock::{Action, MockCluster, ProduceInfo};
/// let cluster = MockCluster::new(1);
/// cluster.set_produce_script(|info: &ProduceInfo| {
///     if info.n == 0 { Action::Close } else { Action::Ok }
/// });
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ProduceInfo {
    /// The request's number in the cluster, from 0.
    pub n: usize,
    /// The broker that received it.
    pub broker: i32,
    /// The request's acks (0, 1 or -1).
    pub acks: i16,
    /// Its batches, in request order (one per partition with this crate's producer).
    pub batches: Vec<BatchInfo>,
}

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

type Script = Box<dyn FnMut(&ProduceInfo) -> Action + Send>;
type ThreadHook = Arc<dyn Fn() + Send + Sync>;

/// What a broker remembers of an idempotent producer on a partition (Kafka's
/// `ProducerStateEntry`): its epoch and its last batches.
#[derive(Debug, Clone, Default)]
struct ProducerEntry {
    epoch: i16,
    /// (first sequence, last sequence, base offset) of the last batches, oldest first.
    batches: VecDeque<(i32, i32, i64)>,
}

#[derive(Default)]
struct PartitionState {
    leader: i32,
    leader_epoch: i32,
    next_offset: i64,
    /// (base offset, batch bytes with the base offset set).
    batches: Vec<(i64, Vec<u8>)>,
    producers: FxHashMap<i64, ProducerEntry>,
    pushed_errors: VecDeque<ErrorCode>,
}

#[derive(Default)]
struct State {
    topics: BTreeMap<String, Vec<PartitionState>>,
    strict: bool,
    actions: VecDeque<Action>,
}

struct BrokerShared {
    id: i32,
    port: u16,
    advertised: AtomicU16,
    /// Bumped to close every open connection.
    generation: AtomicU64,
    down: AtomicBool,
    produce_requests: AtomicUsize,
    actions: Mutex<VecDeque<Action>>,
    script: Mutex<Option<Script>>,
}

struct Shared {
    stop: AtomicBool,
    state: Mutex<State>,
    script: Mutex<Option<Script>>,
    brokers: Vec<BrokerShared>,
    produce_requests: AtomicUsize,
    next_producer_id: AtomicI64,
    store_records: bool,
    check_sequences: bool,
    auto_create: Option<usize>,
    thread_hook: Option<ThreadHook>,
}

/// Builds a [`MockCluster`] with options beyond [`MockCluster::new`].
///
/// ```
/// use kafka_producer::mock::MockCluster;
/// let cluster = MockCluster::builder()
///     .brokers(2)
///     .auto_create_topics(Some(3))
///     .build();
/// assert_eq!(cluster.broker_count(), 2);
/// ```
#[derive(Clone)]
pub struct MockClusterBuilder {
    brokers: usize,
    store_records: bool,
    check_sequences: bool,
    auto_create: Option<usize>,
    thread_hook: Option<ThreadHook>,
}

impl std::fmt::Debug for MockClusterBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockClusterBuilder")
            .field("brokers", &self.brokers)
            .field("store_records", &self.store_records)
            .field("check_sequences", &self.check_sequences)
            .field("auto_create", &self.auto_create)
            .finish_non_exhaustive()
    }
}

impl Default for MockClusterBuilder {
    fn default() -> Self {
        MockClusterBuilder {
            brokers: 1,
            store_records: true,
            check_sequences: true,
            auto_create: None,
            thread_hook: None,
        }
    }
}

impl MockClusterBuilder {
    /// How many brokers (ids 0..n); at least 1. Default 1.
    ///
    /// ```
    /// let c = kafka_producer::mock::MockCluster::builder().brokers(3).build();
    /// assert_eq!(c.broker_count(), 3);
    /// ```
    pub fn brokers(mut self, n: usize) -> Self {
        self.brokers = n.max(1);
        self
    }

    /// Whether written batches are kept for [`MockCluster::records`] (default true). Off, the
    /// brokers only count offsets: the fast "sink" for client-only benchmarks.
    ///
    /// ```
    /// let c = kafka_producer::mock::MockCluster::builder().store_records(false).build();
    /// # drop(c);
    /// ```
    pub fn store_records(mut self, store: bool) -> Self {
        self.store_records = store;
        self
    }

    /// Whether idempotent batches are checked as Kafka does (epoch, sequence, duplicates;
    /// default true). Off, every batch is appended.
    ///
    /// ```
    /// let c = kafka_producer::mock::MockCluster::builder().check_sequences(false).build();
    /// # drop(c);
    /// ```
    pub fn check_sequences(mut self, check: bool) -> Self {
        self.check_sequences = check;
        self
    }

    /// With `Some(partitions)`, a Metadata request for an unknown topic creates it with that
    /// many partitions (Kafka's `auto.create.topics.enable`). Default `None`: the topic is
    /// answered `UNKNOWN_TOPIC_OR_PARTITION`.
    ///
    /// ```
    /// let c = kafka_producer::mock::MockCluster::builder().auto_create_topics(Some(1)).build();
    /// # drop(c);
    /// ```
    pub fn auto_create_topics(mut self, partitions: Option<usize>) -> Self {
        self.auto_create = partitions.map(|p| p.max(1));
        self
    }

    /// Runs `hook` first on every thread the cluster starts (e.g. to pin it to a CPU).
    ///
    /// ```
    /// let c = kafka_producer::mock::MockCluster::builder().on_thread_start(|| {}).build();
    /// # drop(c);
    /// ```
    pub fn on_thread_start(mut self, hook: impl Fn() + Send + Sync + 'static) -> Self {
        self.thread_hook = Some(Arc::new(hook));
        self
    }

    /// Starts the brokers, each listening on its own `127.0.0.1` port.
    ///
    /// # Panics
    ///
    /// If a listener cannot be bound or a thread cannot be started; see [`try_build`](Self::try_build).
    ///
    /// ```
    /// let c = kafka_producer::mock::MockCluster::builder().build();
    /// assert!(c.bootstrap_servers().starts_with("127.0.0.1:"));
    /// ```
    pub fn build(self) -> MockCluster {
        self.try_build()
            .unwrap_or_else(|e| panic!("cannot start the mock cluster: {e}"))
    }

    /// [`build`](Self::build), returning an error instead of panicking.
    ///
    /// ```
    /// let c = kafka_producer::mock::MockCluster::builder().try_build()?;
    /// # drop(c);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn try_build(self) -> std::io::Result<MockCluster> {
        let mut listeners = Vec::new();
        let mut brokers = Vec::new();
        for id in 0..self.brokers {
            let listener = TcpListener::bind("127.0.0.1:0")?;
            let port = listener.local_addr()?.port();
            brokers.push(BrokerShared {
                id: id as i32,
                port,
                advertised: AtomicU16::new(port),
                generation: AtomicU64::new(0),
                down: AtomicBool::new(false),
                produce_requests: AtomicUsize::new(0),
                actions: Mutex::new(VecDeque::new()),
                script: Mutex::new(None),
            });
            listeners.push(listener);
        }
        let shared = Arc::new(Shared {
            stop: AtomicBool::new(false),
            state: Mutex::new(State::default()),
            script: Mutex::new(None),
            brokers,
            produce_requests: AtomicUsize::new(0),
            next_producer_id: AtomicI64::new(1000),
            store_records: self.store_records,
            check_sequences: self.check_sequences,
            auto_create: self.auto_create,
            thread_hook: self.thread_hook,
        });
        let mut cluster = MockCluster {
            shared: shared.clone(),
            accept_threads: Vec::new(),
        };
        for (id, listener) in listeners.into_iter().enumerate() {
            let shared = shared.clone();
            let handle = std::thread::Builder::new()
                .name(format!("mock-broker-{id}-accept"))
                .spawn(move || accept_loop(listener, id, shared))?;
            cluster.accept_threads.push(handle);
        }
        Ok(cluster)
    }
}

/// An in-process Kafka cluster for tests: N brokers on `127.0.0.1` ports speaking the real
/// wire protocol (ApiVersions, Metadata, InitProducerId, Produce), with scriptable faults and
/// the written records readable back. Stops (listeners closed, connections dropped within
/// 100 ms) when dropped.
///
/// Broker ids are `0..n`. Partition leaders are spread over the brokers; a broker that does
/// not lead a partition answers `NOT_LEADER_OR_FOLLOWER` for it, with the current leader and
/// its endpoint in the response (KIP-951, Produce v10+). Idempotent batches are checked
/// per (producer id, partition) as Kafka's `ProducerStateManager` does: a stale epoch is
/// `INVALID_PRODUCER_EPOCH`, a gap `OUT_OF_ORDER_SEQUENCE_NUMBER`, and one of the last 5
/// batches again is a duplicate answered with its original offset. A producer the partition
/// has no state for is accepted at any sequence, as Kafka does, unless
/// [`set_strict_sequences`](Self::set_strict_sequences).
///
/// ```
/// use kafka_producer::mock::MockCluster;
/// let cluster = MockCluster::new(3);
/// cluster.create_topic("t", 6);
/// assert_eq!(cluster.leader("t", 4), Some(1));
/// cluster.set_leader("t", 4, 2);
/// assert_eq!(cluster.leader("t", 4), Some(2));
/// ```
pub struct MockCluster {
    shared: Arc<Shared>,
    accept_threads: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for MockCluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockCluster")
            .field("bootstrap_servers", &self.bootstrap_servers())
            .finish_non_exhaustive()
    }
}

impl MockCluster {
    /// Starts a cluster of `brokers` brokers (at least 1) with default options.
    ///
    /// # Panics
    ///
    /// If a listener cannot be bound.
    ///
    /// ```
    /// let cluster = kafka_producer::mock::MockCluster::new(3);
    /// assert_eq!(cluster.bootstrap_servers().split(',').count(), 3);
    /// ```
    pub fn new(brokers: usize) -> MockCluster {
        Self::builder().brokers(brokers).build()
    }

    /// A builder for more options (records kept or not, sequence checks, auto-creation).
    ///
    /// ```
    /// let cluster = kafka_producer::mock::MockCluster::builder().brokers(2).build();
    /// # drop(cluster);
    /// ```
    pub fn builder() -> MockClusterBuilder {
        MockClusterBuilder::default()
    }

    /// A one-broker cluster leading `partitions` partitions of `topic` that keeps no records
    /// and checks no sequences: it answers every request at once, to measure a producer with
    /// the broker taken out (`producer_perf --sink`, the benches).
    ///
    /// ```
    /// let sink = kafka_producer::mock::MockCluster::sink("perf", 4);
    /// assert_eq!(sink.partition_count("perf"), Some(4));
    /// ```
    pub fn sink(topic: &str, partitions: usize) -> MockCluster {
        let c = Self::builder()
            .store_records(false)
            .check_sequences(false)
            .build();
        c.create_topic(topic, partitions);
        c
    }

    /// `127.0.0.1:port` of every broker, comma-separated (for `bootstrap.servers`).
    ///
    /// ```
    /// let cluster = kafka_producer::mock::MockCluster::new(1);
    /// assert_eq!(cluster.bootstrap_servers(), format!("127.0.0.1:{}", cluster.port(0)));
    /// ```
    pub fn bootstrap_servers(&self) -> String {
        (0..self.shared.brokers.len())
            .map(|b| self.broker_address(b as i32))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// `127.0.0.1:port` of one broker.
    ///
    /// ```
    /// let cluster = kafka_producer::mock::MockCluster::new(2);
    /// assert!(cluster.broker_address(1).starts_with("127.0.0.1:"));
    /// ```
    pub fn broker_address(&self, broker: i32) -> String {
        format!("127.0.0.1:{}", self.port(broker))
    }

    /// The port broker `broker` listens on.
    ///
    /// # Panics
    ///
    /// If there is no such broker.
    ///
    /// ```
    /// let cluster = kafka_producer::mock::MockCluster::new(1);
    /// assert_ne!(cluster.port(0), 0);
    /// ```
    pub fn port(&self, broker: i32) -> u16 {
        self.broker(broker).port
    }

    /// How many brokers the cluster has.
    ///
    /// ```
    /// assert_eq!(kafka_producer::mock::MockCluster::new(2).broker_count(), 2);
    /// ```
    pub fn broker_count(&self) -> usize {
        self.shared.brokers.len()
    }

    fn broker(&self, broker: i32) -> &BrokerShared {
        usize::try_from(broker)
            .ok()
            .and_then(|b| self.shared.brokers.get(b))
            .unwrap_or_else(|| panic!("no broker {broker} in the mock cluster"))
    }

    /// Creates `topic` with `partitions` partitions (at least 1), partition `p` led by broker
    /// `p % brokers`. Does nothing if the topic exists.
    ///
    /// ```
    /// let cluster = kafka_producer::mock::MockCluster::new(2);
    /// cluster.create_topic("t", 3);
    /// assert_eq!(cluster.leader("t", 2), Some(0));
    /// ```
    pub fn create_topic(&self, topic: &str, partitions: usize) {
        let mut st = self.shared.state.lock();
        create_topic(&mut st, topic, partitions, self.shared.brokers.len());
    }

    /// Partitions of `topic`, `None` if it does not exist.
    ///
    /// ```
    /// let cluster = kafka_producer::mock::MockCluster::new(1);
    /// assert_eq!(cluster.partition_count("nope"), None);
    /// ```
    pub fn partition_count(&self, topic: &str) -> Option<usize> {
        self.shared.state.lock().topics.get(topic).map(Vec::len)
    }

    /// Moves the leadership of a partition to `broker` (and bumps its leader epoch): the old
    /// leader answers `NOT_LEADER_OR_FOLLOWER` for it from now on and Metadata names the new one.
    ///
    /// # Panics
    ///
    /// If the partition or the broker does not exist.
    ///
    /// ```
    /// let cluster = kafka_producer::mock::MockCluster::new(2);
    /// cluster.create_topic("t", 1);
    /// cluster.set_leader("t", 0, 1);
    /// assert_eq!(cluster.leader("t", 0), Some(1));
    /// ```
    pub fn set_leader(&self, topic: &str, partition: i32, broker: i32) {
        self.broker(broker);
        let mut st = self.shared.state.lock();
        let p = partition_mut(&mut st, topic, partition)
            .unwrap_or_else(|| panic!("no partition {topic}-{partition} in the mock cluster"));
        if p.leader != broker {
            p.leader = broker;
            p.leader_epoch += 1;
        }
    }

    /// The leader of a partition, `None` if the partition does not exist.
    ///
    /// ```
    /// let cluster = kafka_producer::mock::MockCluster::new(1);
    /// cluster.create_topic("t", 1);
    /// assert_eq!(cluster.leader("t", 0), Some(0));
    /// ```
    pub fn leader(&self, topic: &str, partition: i32) -> Option<i32> {
        let mut st = self.shared.state.lock();
        partition_mut(&mut st, topic, partition).map(|p| p.leader)
    }

    /// Sets the script that decides the fate of every Produce request no queued action or
    /// broker script decides (replacing any earlier one). It runs on the receiving connection's
    /// thread, one request at a time across the cluster: sleeping in it delays this answer and
    /// the later ones of the connection.
    ///
    /// ```
    /// use kafka_producer::mock::{Action, MockCluster};
    /// use kafka_producer::protocol::ErrorCode;
    /// let cluster = MockCluster::new(1);
    /// cluster.set_produce_script(|info| {
    ///     if info.n < 2 { Action::Error(ErrorCode::NOT_ENOUGH_REPLICAS) } else { Action::Ok }
    /// });
    /// ```
    pub fn set_produce_script(&self, script: impl FnMut(&ProduceInfo) -> Action + Send + 'static) {
        *self.shared.script.lock() = Some(Box::new(script));
    }

    /// Like [`set_produce_script`](Self::set_produce_script) for the Produce requests of one
    /// broker; it comes before the cluster-wide script.
    ///
    /// ```
    /// use kafka_producer::mock::{Action, MockCluster};
    /// let cluster = MockCluster::new(2);
    /// cluster.set_broker_produce_script(1, |_| Action::Silence);
    /// ```
    pub fn set_broker_produce_script(
        &self,
        broker: i32,
        script: impl FnMut(&ProduceInfo) -> Action + Send + 'static,
    ) {
        *self.broker(broker).script.lock() = Some(Box::new(script));
    }

    /// Removes every script (cluster-wide and per broker) and queued action.
    ///
    /// ```
    /// let cluster = kafka_producer::mock::MockCluster::new(1);
    /// cluster.clear_produce_scripts();
    /// ```
    pub fn clear_produce_scripts(&self) {
        *self.shared.script.lock() = None;
        self.shared.state.lock().actions.clear();
        for b in &self.shared.brokers {
            *b.script.lock() = None;
            b.actions.lock().clear();
        }
    }

    /// Queues actions for the next Produce requests the cluster receives, one each, before
    /// any script is asked.
    ///
    /// ```
    /// use kafka_producer::mock::{Action, MockCluster};
    /// let cluster = MockCluster::new(1);
    /// cluster.push_produce_actions([Action::Close, Action::Silence]);
    /// ```
    pub fn push_produce_actions(&self, actions: impl IntoIterator<Item = Action>) {
        self.shared.state.lock().actions.extend(actions);
    }

    /// Queues actions for the next Produce requests of one broker; they come before the
    /// cluster-wide queue.
    ///
    /// ```
    /// use kafka_producer::mock::{Action, MockCluster};
    /// let cluster = MockCluster::new(2);
    /// cluster.push_broker_produce_actions(1, [Action::Close]);
    /// ```
    pub fn push_broker_produce_actions(
        &self,
        broker: i32,
        actions: impl IntoIterator<Item = Action>,
    ) {
        self.broker(broker).actions.lock().extend(actions);
    }

    /// Makes the next Produce requests for a partition fail with these codes, one request
    /// each (librdkafka's `rd_kafka_mock_push_request_errors`, per partition). Creates nothing:
    /// the partition must exist.
    ///
    /// ```
    /// use kafka_producer::mock::MockCluster;
    /// use kafka_producer::protocol::ErrorCode;
    /// let cluster = MockCluster::new(1);
    /// cluster.create_topic("t", 1);
    /// cluster.push_produce_errors("t", 0, &[ErrorCode::NOT_LEADER_OR_FOLLOWER, ErrorCode::REQUEST_TIMED_OUT]);
    /// ```
    pub fn push_produce_errors(&self, topic: &str, partition: i32, codes: &[ErrorCode]) {
        let mut st = self.shared.state.lock();
        let p = partition_mut(&mut st, topic, partition)
            .unwrap_or_else(|| panic!("no partition {topic}-{partition} in the mock cluster"));
        p.pushed_errors.extend(codes.iter().copied());
    }

    /// With `true`, a producer a partition has no state for must start at sequence 0
    /// (`OUT_OF_ORDER_SEQUENCE_NUMBER` otherwise); Kafka, and the default, accept any sequence
    /// then (the state may have expired).
    ///
    /// ```
    /// kafka_producer::mock::MockCluster::new(1).set_strict_sequences(true);
    /// ```
    pub fn set_strict_sequences(&self, strict: bool) {
        self.shared.state.lock().strict = strict;
    }

    /// Forgets every producer's sequence state on every partition (as when it expires).
    ///
    /// ```
    /// kafka_producer::mock::MockCluster::new(1).forget_producers();
    /// ```
    pub fn forget_producers(&self) {
        forget_producers(&mut self.shared.state.lock());
    }

    /// Closes every open connection of a broker (clients reconnect).
    ///
    /// ```
    /// kafka_producer::mock::MockCluster::new(1).disconnect(0);
    /// ```
    pub fn disconnect(&self, broker: i32) {
        self.broker(broker)
            .generation
            .fetch_add(1, Ordering::SeqCst);
    }

    /// Takes a broker down (its connections close, new ones are closed at once, Metadata
    /// leaves it out) or brings it back up.
    ///
    /// ```
    /// let cluster = kafka_producer::mock::MockCluster::new(2);
    /// cluster.set_broker_down(1, true);
    /// cluster.set_broker_down(1, false);
    /// ```
    pub fn set_broker_down(&self, broker: i32, down: bool) {
        let b = self.broker(broker);
        b.down.store(down, Ordering::SeqCst);
        b.generation.fetch_add(1, Ordering::SeqCst);
    }

    /// The port Metadata responses give for `broker` (its own by default). Pointing it at
    /// another server (say, another cluster's broker) makes this one a bootstrap-only server.
    ///
    /// ```
    /// let a = kafka_producer::mock::MockCluster::new(1);
    /// let b = kafka_producer::mock::MockCluster::new(1);
    /// a.set_advertised_port(0, b.port(0));
    /// ```
    pub fn set_advertised_port(&self, broker: i32, port: u16) {
        self.broker(broker).advertised.store(port, Ordering::SeqCst);
    }

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
    /// Empty when records are not kept ([`MockClusterBuilder::store_records`]).
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

impl Drop for MockCluster {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        for b in &self.shared.brokers {
            // Wakes the accept loop, which then sees `stop`.
            let _ = TcpStream::connect_timeout(
                &std::net::SocketAddr::from(([127, 0, 0, 1], b.port)),
                Duration::from_secs(1),
            );
        }
        for t in self.accept_threads.drain(..) {
            let _ = t.join();
        }
    }
}

fn create_topic(st: &mut State, topic: &str, partitions: usize, brokers: usize) {
    st.topics.entry(topic.to_owned()).or_insert_with(|| {
        (0..partitions.max(1))
            .map(|p| PartitionState {
                leader: (p % brokers) as i32,
                ..Default::default()
            })
            .collect()
    });
}

fn partition_mut<'a>(
    st: &'a mut State,
    topic: &str,
    partition: i32,
) -> Option<&'a mut PartitionState> {
    st.topics
        .get_mut(topic)
        .and_then(|t| t.get_mut(usize::try_from(partition).ok()?))
}

fn forget_producers(st: &mut State) {
    for parts in st.topics.values_mut() {
        for p in parts {
            p.producers.clear();
        }
    }
}

fn accept_loop(listener: TcpListener, id: usize, shared: Arc<Shared>) {
    if let Some(h) = &shared.thread_hook {
        h();
    }
    for stream in listener.incoming() {
        if shared.stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok(stream) = stream else { continue };
        if shared.brokers[id].down.load(Ordering::SeqCst) {
            continue;
        }
        let shared = shared.clone();
        let _ = std::thread::Builder::new()
            .name(format!("mock-broker-{id}"))
            .spawn(move || {
                if let Some(h) = &shared.thread_hook {
                    h();
                }
                let generation = shared.brokers[id].generation.load(Ordering::SeqCst);
                let mut conn = Conn {
                    stream,
                    buf: vec![0; 64 * 1024],
                    start: 0,
                    end: 0,
                    shared: &shared,
                    broker: &shared.brokers[id],
                    generation,
                    out: Vec::new(),
                };
                let _ = conn.serve();
            });
    }
}

/// A header of a RecordBatch v2, read without decoding the records.
struct BatchHeader {
    len: usize,
    last_offset_delta: i32,
    producer_id: i64,
    producer_epoch: i16,
    base_sequence: i32,
}

fn be<const N: usize>(b: &[u8], at: usize) -> [u8; N] {
    b[at..at + N].try_into().expect("length checked")
}

/// Reads the header of the batch at the start of `bytes`; `None` if it is cut short.
fn batch_header(bytes: &[u8]) -> Option<BatchHeader> {
    if bytes.len() < 61 {
        return None;
    }
    let len = 12 + usize::try_from(i32::from_be_bytes(be(bytes, 8))).ok()?;
    if len > bytes.len() || len < 61 {
        return None;
    }
    Some(BatchHeader {
        len,
        last_offset_delta: i32::from_be_bytes(be(bytes, 23)),
        producer_id: i64::from_be_bytes(be(bytes, 43)),
        producer_epoch: i16::from_be_bytes(be(bytes, 51)),
        base_sequence: i32::from_be_bytes(be(bytes, 53)),
    })
}

/// The batch headers of back-to-back batches; `None` if one is cut short.
fn batch_headers(mut bytes: &[u8]) -> Option<Vec<(BatchHeader, &[u8])>> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let h = batch_header(bytes)?;
        let (batch, rest) = bytes.split_at(h.len);
        out.push((h, batch));
        bytes = rest;
    }
    Some(out)
}

/// Validates a batch's sequence as Kafka's `ProducerAppendInfo` does: the error, or the base
/// offset of an earlier identical batch (a duplicate), or `None` to append it.
fn check_sequence(
    producers: &FxHashMap<i64, ProducerEntry>,
    h: &BatchHeader,
    strict: bool,
) -> Result<Option<i64>, ErrorCode> {
    if h.producer_id < 0 {
        return Ok(None);
    }
    let first = h.base_sequence;
    let last = first.wrapping_add(h.last_offset_delta);
    match producers.get(&h.producer_id) {
        None if strict && first != 0 => Err(ErrorCode::OUT_OF_ORDER_SEQUENCE_NUMBER),
        None => Ok(None),
        Some(s) if h.producer_epoch < s.epoch => Err(ErrorCode::INVALID_PRODUCER_EPOCH),
        Some(s) if h.producer_epoch > s.epoch => {
            if first == 0 {
                Ok(None)
            } else {
                Err(ErrorCode::OUT_OF_ORDER_SEQUENCE_NUMBER)
            }
        }
        Some(s) => {
            if let Some(&(_, _, offset)) =
                s.batches.iter().find(|(f, l, _)| *f == first && *l == last)
            {
                return Ok(Some(offset));
            }
            let expected = s.batches.back().map_or(0, |(_, l, _)| l.wrapping_add(1));
            if first == expected {
                Ok(None)
            } else {
                Err(ErrorCode::OUT_OF_ORDER_SEQUENCE_NUMBER)
            }
        }
    }
}

fn remember(producers: &mut FxHashMap<i64, ProducerEntry>, h: &BatchHeader, base_offset: i64) {
    if h.producer_id < 0 {
        return;
    }
    let s = producers.entry(h.producer_id).or_default();
    if h.producer_epoch != s.epoch {
        s.epoch = h.producer_epoch;
        s.batches.clear();
    }
    s.batches.push_back((
        h.base_sequence,
        h.base_sequence.wrapping_add(h.last_offset_delta),
        base_offset,
    ));
    if s.batches.len() > BATCHES_TO_RETAIN {
        s.batches.pop_front();
    }
}

/// Appends a partition's record data as its leader `broker`; the error code and base offset
/// to answer. When `broker` is not the leader, `moved` gets the leader and its epoch (the
/// KIP-951 hint of the response).
fn append(
    shared: &Shared,
    st: &mut State,
    broker: i32,
    (topic, partition): (&str, i32),
    records: &[u8],
    moved: &mut Option<(i32, i32)>,
) -> (ErrorCode, i64) {
    let strict = st.strict;
    let Some(p) = partition_mut(st, topic, partition) else {
        return (ErrorCode::UNKNOWN_TOPIC_OR_PARTITION, -1);
    };
    if p.leader != broker {
        *moved = Some((p.leader, p.leader_epoch));
        return (ErrorCode::NOT_LEADER_OR_FOLLOWER, -1);
    }
    if let Some(code) = p.pushed_errors.pop_front() {
        return (code, -1);
    }
    let Some(batches) = batch_headers(records) else {
        return (ErrorCode::CORRUPT_MESSAGE, -1);
    };
    if batches.is_empty() {
        return (ErrorCode::CORRUPT_MESSAGE, -1);
    }
    let mut result = (ErrorCode::NONE, p.next_offset);
    for (h, bytes) in batches {
        let check = if shared.check_sequences {
            check_sequence(&p.producers, &h, strict)
        } else {
            Ok(None)
        };
        match check {
            Err(code) => result = (code, -1),
            Ok(Some(offset)) => result = (ErrorCode::NONE, offset),
            Ok(None) => {
                let base = p.next_offset;
                if shared.check_sequences {
                    remember(&mut p.producers, &h, base);
                }
                p.next_offset += i64::from(h.last_offset_delta) + 1;
                if shared.store_records {
                    let mut stored = bytes.to_vec();
                    stored[..8].copy_from_slice(&base.to_be_bytes());
                    p.batches.push((base, stored));
                }
                result = (ErrorCode::NONE, base);
            }
        }
    }
    result
}

struct Conn<'a> {
    stream: TcpStream,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    shared: &'a Shared,
    broker: &'a BrokerShared,
    generation: u64,
    out: Vec<u8>,
}

impl Conn<'_> {
    fn must_close(&self) -> bool {
        self.shared.stop.load(Ordering::SeqCst)
            || self.broker.down.load(Ordering::SeqCst)
            || self.broker.generation.load(Ordering::SeqCst) != self.generation
    }

    /// The range in `buf` of the next request frame's payload; `None` when the connection
    /// must close.
    fn next_frame(&mut self) -> Option<Range<usize>> {
        loop {
            let have = self.end - self.start;
            let mut need = 4;
            if have >= 4 {
                let size = usize::try_from(i32::from_be_bytes(be(&self.buf, self.start))).ok()?;
                if size > MAX_FRAME {
                    return None;
                }
                need = 4 + size;
                if have >= need {
                    let frame = self.start + 4..self.start + need;
                    self.start += need;
                    return Some(frame);
                }
            }
            if self.start == self.end {
                self.start = 0;
                self.end = 0;
            } else if self.start + need > self.buf.len() {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            }
            if need > self.buf.len() {
                self.buf.resize(need, 0);
            }
            match self.stream.read(&mut self.buf[self.end..]) {
                Ok(0) => return None,
                Ok(n) => self.end += n,
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return None,
            }
            if self.must_close() {
                return None;
            }
        }
    }

    fn serve(&mut self) -> Option<()> {
        self.stream.set_nodelay(true).ok()?;
        self.stream.set_read_timeout(Some(POLL)).ok()?;
        loop {
            let range = self.next_frame()?;
            // The buffer is taken out while its frame is handled (no copy), then handed back.
            let buf = std::mem::take(&mut self.buf);
            let handled = self.handle(&buf[range]);
            self.buf = buf;
            handled?;
        }
    }

    fn send(&mut self) -> Option<()> {
        self.stream.write_all(&self.out).ok()
    }

    /// Handles one request; `None` closes the connection.
    fn handle(&mut self, frame: &[u8]) -> Option<()> {
        let mut r = Reader::new(frame, "request");
        let mut peek = r.clone();
        let api = ApiKey::from_i16(peek.i16("api_key").ok()?)?;
        let version = peek.i16("api_version").ok()?;
        let header =
            OwnedRequestHeader::decode(&mut r, api.request_header_flexible(version)).ok()?;
        let id = header.correlation_id;
        let flexible = api.response_header_flexible(version);
        self.out.clear();
        match api {
            ApiKey::ApiVersions => {
                let v = version.clamp(0, ApiKey::ApiVersions.supported_versions().1);
                responses::frame(&mut self.out, id, false, v, &responses::api_versions());
            }
            ApiKey::Metadata => {
                let req = MetadataRequest::decode(version, &mut r).ok()?;
                let md = self.metadata(&req);
                responses::frame(&mut self.out, id, flexible, version, &md);
            }
            ApiKey::InitProducerId => {
                let req = InitProducerIdRequest::decode(version, &mut r).ok()?;
                let resp = if req.producer_id >= 0 && req.producer_epoch >= 0 {
                    responses::init_producer_id(req.producer_id, req.producer_epoch + 1)
                } else {
                    let pid = self.shared.next_producer_id.fetch_add(1, Ordering::SeqCst);
                    responses::init_producer_id(pid, 0)
                };
                responses::frame(&mut self.out, id, flexible, version, &resp);
            }
            ApiKey::Produce => {
                let req = ProduceRequest::decode(version, &mut r).ok()?;
                return self.produce(id, flexible, version, &req);
            }
        }
        self.send()
    }

    fn metadata(&self, req: &MetadataRequest) -> crate::protocol::messages::MetadataResponse {
        let shared = self.shared;
        let brokers = shared
            .brokers
            .iter()
            .filter(|b| !b.down.load(Ordering::SeqCst))
            .map(|b| responses::broker(b.id, "127.0.0.1", b.advertised.load(Ordering::SeqCst)))
            .collect();
        let mut st = shared.state.lock();
        let names: Vec<String> = match &req.topics {
            None => st.topics.keys().cloned().collect(),
            Some(ts) => ts.iter().filter_map(|t| t.name.clone()).collect(),
        };
        let topics: Vec<MetadataResponseTopic> = names
            .iter()
            .map(|name| {
                if !st.topics.contains_key(name) {
                    if let Some(n) = shared.auto_create {
                        create_topic(&mut st, name, n, shared.brokers.len());
                    }
                }
                match st.topics.get(name) {
                    Some(parts) => responses::topic(
                        name,
                        parts
                            .iter()
                            .enumerate()
                            .map(|(i, p)| responses::partition(i as i32, p.leader, p.leader_epoch)),
                    ),
                    None => responses::topic_error(name, ErrorCode::UNKNOWN_TOPIC_OR_PARTITION),
                }
            })
            .collect();
        responses::metadata(brokers, topics)
    }

    fn next_action(&self, info: &ProduceInfo) -> Action {
        if let Some(a) = self.broker.actions.lock().pop_front() {
            return a;
        }
        if let Some(a) = self.shared.state.lock().actions.pop_front() {
            return a;
        }
        if let Some(script) = self.broker.script.lock().as_mut() {
            return script(info);
        }
        if let Some(script) = self.shared.script.lock().as_mut() {
            return script(info);
        }
        Action::Ok
    }

    fn produce(
        &mut self,
        id: i32,
        flexible: bool,
        version: i16,
        req: &ProduceRequest<'_>,
    ) -> Option<()> {
        let shared = self.shared;
        let n = shared.produce_requests.fetch_add(1, Ordering::SeqCst);
        self.broker.produce_requests.fetch_add(1, Ordering::SeqCst);
        let scripted = self.broker.script.lock().is_some()
            || shared.script.lock().is_some()
            || !self.broker.actions.lock().is_empty()
            || !shared.state.lock().actions.is_empty();
        let mut action = if scripted {
            let info = ProduceInfo {
                n,
                broker: self.broker.id,
                acks: req.acks,
                batches: req
                    .topics
                    .iter()
                    .flat_map(|t| t.partitions.iter().map(move |p| (t, p)))
                    .flat_map(|(t, p)| {
                        batch_headers(p.records.unwrap_or(&[]))
                            .unwrap_or_default()
                            .into_iter()
                            .map(move |(h, _)| BatchInfo {
                                topic: t.name.clone(),
                                partition: p.index,
                                producer_id: h.producer_id,
                                producer_epoch: h.producer_epoch,
                                base_sequence: h.base_sequence,
                                record_count: h.last_offset_delta + 1,
                            })
                    })
                    .collect(),
            };
            self.next_action(&info)
        } else {
            Action::Ok
        };
        let mut throttle = 0;
        let action = loop {
            action = match action {
                Action::ForgetProducers(inner) => {
                    forget_producers(&mut shared.state.lock());
                    *inner
                }
                Action::Delay(d, inner) => {
                    std::thread::sleep(d);
                    *inner
                }
                Action::Throttle(ms, inner) => {
                    throttle = ms;
                    *inner
                }
                Action::Silence => return Some(()),
                Action::Close => return None,
                Action::Garbage(bytes) => return self.stream.write_all(&bytes).ok(),
                other => break other,
            }
        };
        let mut responses = Vec::with_capacity(req.topics.len());
        let mut endpoints = Vec::new();
        {
            let mut st = shared.state.lock();
            for t in &req.topics {
                let partitions = t
                    .partitions
                    .iter()
                    .map(|p| {
                        let scripted = match &action {
                            Action::Error(code) => Some(*code),
                            Action::PartitionErrors(errors) => errors
                                .iter()
                                .find(|(index, _)| *index == p.index)
                                .map(|(_, code)| *code),
                            _ => None,
                        };
                        let mut moved = None;
                        let (code, base_offset) = match scripted {
                            Some(code) => (code, -1),
                            None => append(
                                shared,
                                &mut st,
                                self.broker.id,
                                (&t.name, p.index),
                                p.records.unwrap_or(&[]),
                                &mut moved,
                            ),
                        };
                        let mut resp = responses::produce_partition(p.index, code, base_offset);
                        if let Some((leader_id, leader_epoch)) = moved {
                            resp.current_leader = Some(LeaderIdAndEpoch {
                                leader_id,
                                leader_epoch,
                            });
                            if !endpoints
                                .iter()
                                .any(|e: &NodeEndpoint| e.node_id == leader_id)
                            {
                                if let Some(b) = usize::try_from(leader_id)
                                    .ok()
                                    .and_then(|l| shared.brokers.get(l))
                                {
                                    endpoints.push(NodeEndpoint {
                                        node_id: leader_id,
                                        host: "127.0.0.1".into(),
                                        port: i32::from(b.advertised.load(Ordering::SeqCst)),
                                        rack: None,
                                    });
                                }
                            }
                        }
                        resp
                    })
                    .collect();
                responses.push(TopicProduceResponse {
                    name: t.name.clone(),
                    partitions,
                });
            }
        }
        if action == Action::AppendThenClose {
            return None;
        }
        if req.acks == 0 {
            return Some(());
        }
        let resp = ProduceResponse {
            responses,
            throttle_time_ms: throttle,
            node_endpoints: endpoints,
        };
        self.out.clear();
        responses::frame(&mut self.out, id, flexible, version, &resp);
        self.send()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pid: i64, epoch: i16, first: i32, count: i32) -> BatchHeader {
        BatchHeader {
            len: 61,
            last_offset_delta: count - 1,
            producer_id: pid,
            producer_epoch: epoch,
            base_sequence: first,
        }
    }

    /// Kafka's `ProducerStateManagerTest`: in-sequence appends, duplicates of the last 5
    /// batches with their offsets, gaps, stale and new epochs.
    #[test]
    fn sequence_checks_follow_kafka() {
        let mut ps = FxHashMap::default();
        // No state: any sequence (state may have expired), unless strict.
        assert_eq!(check_sequence(&ps, &h(7, 0, 42, 1), false), Ok(None));
        assert_eq!(
            check_sequence(&ps, &h(7, 0, 42, 1), true),
            Err(ErrorCode::OUT_OF_ORDER_SEQUENCE_NUMBER)
        );
        for i in 0..7 {
            let b = h(7, 0, i * 2, 2);
            assert_eq!(check_sequence(&ps, &b, true), Ok(None), "batch {i}");
            remember(&mut ps, &b, i64::from(i) * 2);
        }
        // The last 5 batches are duplicates, answered with their offsets; older ones are not.
        assert_eq!(check_sequence(&ps, &h(7, 0, 12, 2), false), Ok(Some(12)));
        assert_eq!(check_sequence(&ps, &h(7, 0, 4, 2), false), Ok(Some(4)));
        assert_eq!(
            check_sequence(&ps, &h(7, 0, 2, 2), false),
            Err(ErrorCode::OUT_OF_ORDER_SEQUENCE_NUMBER)
        );
        // A gap.
        assert_eq!(
            check_sequence(&ps, &h(7, 0, 15, 1), false),
            Err(ErrorCode::OUT_OF_ORDER_SEQUENCE_NUMBER)
        );
        assert_eq!(check_sequence(&ps, &h(7, 0, 14, 1), false), Ok(None));
        // A new epoch starts at 0; an older one is fenced.
        assert_eq!(
            check_sequence(&ps, &h(7, 1, 14, 1), false),
            Err(ErrorCode::OUT_OF_ORDER_SEQUENCE_NUMBER)
        );
        assert_eq!(check_sequence(&ps, &h(7, 1, 0, 1), false), Ok(None));
        remember(&mut ps, &h(7, 1, 0, 1), 20);
        assert_eq!(
            check_sequence(&ps, &h(7, 0, 14, 1), false),
            Err(ErrorCode::INVALID_PRODUCER_EPOCH)
        );
        // Non-idempotent batches are never checked.
        assert_eq!(check_sequence(&ps, &h(-1, -1, -1, 3), true), Ok(None));
    }

    #[test]
    fn batch_headers_split_back_to_back_batches_and_refuse_short_ones() {
        let mut one = vec![0u8; 61];
        one[8..12].copy_from_slice(&49i32.to_be_bytes());
        one[23..27].copy_from_slice(&4i32.to_be_bytes());
        let two = [one.clone(), one.clone()].concat();
        let hs = batch_headers(&two).unwrap();
        assert_eq!(hs.len(), 2);
        assert_eq!(hs[1].0.last_offset_delta, 4);
        assert!(batch_headers(&two[..100]).is_none());
        assert!(batch_headers(&[]).unwrap().is_empty());
    }
}
