//! [`MockClusterBuilder`]: a [`MockCluster`] with options (brokers, record storage, sequence
//! checks, topic auto-creation, a thread-start hook).

use parking_lot::Mutex;
use std::collections::VecDeque;
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU16, AtomicU64, AtomicUsize};

use super::connection::accept_loop;
use super::{BrokerShared, MockCluster, Shared, State, ThreadHook};

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
