//! `MockCluster`: N in-process brokers on loopback ports speaking the real wire protocol.

use crate::protocol::ErrorCode;
use parking_lot::Mutex;
use rustc_hash::FxHashMap;
use std::collections::{BTreeMap, VecDeque};
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU16, AtomicU64, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

mod builder;
mod connection;
mod faults;
mod produce;
mod records;
mod script;
mod sequences;

pub use builder::MockClusterBuilder;
pub use records::MockRecord;
pub use script::{Action, BatchInfo, ProduceInfo};

/// How often a connection thread looks up from a blocking read to see whether it must stop.
const POLL: Duration = Duration::from_millis(100);
/// Larger request frames close the connection.
const MAX_FRAME: usize = 256 << 20;
/// Batches a broker remembers per producer and partition for duplicate detection (Kafka's
/// `ProducerStateEntry.NUM_BATCHES_TO_RETAIN`).
const BATCHES_TO_RETAIN: usize = 5;

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
    /// ApiVersions ranges advertised instead of this crate's (an older broker); `None`: the
    /// API is not listed at all.
    api_versions: std::collections::HashMap<crate::protocol::ApiKey, Option<(i16, i16)>>,
    /// The same for one broker (taking precedence).
    broker_api_versions:
        std::collections::HashMap<(i32, crate::protocol::ApiKey), Option<(i16, i16)>>,
    /// Transactional id -> (producer id, current epoch), as a transaction coordinator keeps.
    transactional_ids: std::collections::HashMap<String, (i64, i16)>,
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

/// An in-process Kafka cluster for tests: N brokers on `127.0.0.1` ports speaking the real
/// wire protocol (ApiVersions, Metadata, InitProducerId, Produce, and minimally the transaction
/// APIs), with scriptable faults and the written records readable back. Stops (listeners closed, connections dropped within
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

/// A header of a RecordBatch v2, read without decoding the records.
struct BatchHeader {
    len: usize,
    last_offset_delta: i32,
    producer_id: i64,
    producer_epoch: i16,
    base_sequence: i32,
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

#[cfg(test)]
mod tests;
