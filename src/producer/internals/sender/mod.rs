//! `Sender`: the producer's one I/O thread (Java's `Sender`). Each loop it asks the accumulator
//! which leaders have sendable batches, connects to them, drains batches into one Produce request
//! per node, expires batches past `delivery.timeout.ms`, polls the network (which also keeps
//! metadata fresh), and completes, retries or fails batches from the responses.

use crate::cluster::TopicPartition;
use crate::error::{Error, TimeoutKind};
use crate::metadata::Metadata;
use crate::network::client::NetworkClient;
use crate::network::kafka_client::KafkaClient;
use crate::network::{Chunk, ClientResponse, Disconnect, OutboundRequest};
use crate::producer::delivery::BatchOutcome;
use crate::producer::internals::accumulator::RecordAccumulator;
use crate::producer::internals::batch::ProducerBatch;
use crate::producer::internals::transaction_manager::{
    InitState, ProducerIdAndEpoch, RetryDecision, Rewrite, TransactionManager,
};
use crate::protocol::messages::{
    Decode, InitProducerIdRequest, InitProducerIdResponse, PartitionProduceData, ProduceRequest,
    ProduceResponse, TopicProduceData,
};
use crate::protocol::{ApiKey, ErrorCode, Reader};
use crate::time::Time;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Sender settings.
#[derive(Debug, Clone)]
pub(crate) struct SenderConfig {
    /// `acks` as sent: 0, 1 or -1.
    pub acks: i16,
    /// `max.request.size`.
    pub max_request_size: usize,
    /// `request.timeout.ms`.
    pub request_timeout: Duration,
    /// `delivery.timeout.ms`.
    pub delivery_timeout: Duration,
    /// `retries`.
    pub retries: i32,
    /// `max.in.flight.requests.per.connection == 1`: mute partitions while a batch is in flight.
    pub guarantee_message_order: bool,
    /// `retry.backoff.ms`: the wait between InitProducerId attempts.
    pub retry_backoff: Duration,
    /// `enable.idempotence`.
    pub idempotence: bool,
}

/// What the sender did, for tests, tools and the `metrics()` of the producer.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct SenderMetrics {
    /// Produce requests sent.
    pub produce_requests: u64,
    /// Batches sent (attempts, retries included).
    pub batches_sent: u64,
    /// Records acknowledged.
    pub records_acked: u64,
    /// Records failed.
    pub records_failed: u64,
    /// Batches put back for a retry.
    pub retries: u64,
    /// Epoch bumps of the idempotent producer.
    pub epoch_bumps: u64,
    /// Batches split after `MESSAGE_TOO_LARGE`.
    pub splits: u64,
    /// Metadata requests sent.
    pub metadata_requests: u64,
    /// Connections opened.
    pub connections: u64,
    /// Disconnections.
    pub disconnections: u64,
}

/// Flags shared between the producer handle and the sender thread.
#[derive(Debug, Default)]
pub(crate) struct SenderControl {
    /// Cleared to make the sender finish what is buffered and stop.
    pub running: AtomicBool,
    /// Set to make the sender fail what is left and stop at once.
    pub force_close: AtomicBool,
    /// The latest metrics.
    pub metrics: Mutex<SenderMetrics>,
    /// A fatal error of the idempotent producer (e.g. fenced): every later send fails with it.
    pub fatal_error: Mutex<Option<Error>>,
    /// Whether `fatal_error` is set (read by every send without taking the lock).
    pub has_fatal_error: AtomicBool,
    /// Set by a caller thread that woke the sender, cleared by the sender before it looks for
    /// work: while it is set, further wake-ups (a system call each) are skipped.
    pub wake_pending: AtomicBool,
    /// State dumps asked by callers.
    pub dump: StateDump,
}

impl SenderControl {
    /// Records a fatal error: every later send fails with it.
    pub(crate) fn set_fatal_error(&self, err: Error) {
        *self.fatal_error.lock() = Some(err);
        self.has_fatal_error.store(true, Ordering::SeqCst);
    }
}

/// A state dump asked of the sender thread by a caller (`KafkaProducer::debug_state`): the
/// caller asks and waits, the sender answers at the start of its next round.
#[derive(Debug, Default)]
pub(crate) struct StateDump {
    asked: AtomicBool,
    slot: Mutex<(u64, Option<String>)>,
    answered: parking_lot::Condvar,
}

impl StateDump {
    /// Asks for a dump; returns the ticket to wait with.
    pub(crate) fn ask(&self) -> u64 {
        let mut slot = self.slot.lock();
        slot.0 += 1;
        slot.1 = None;
        self.asked.store(true, Ordering::SeqCst);
        slot.0
    }

    /// Whether a dump was asked and not answered yet (one atomic load).
    pub(crate) fn is_asked(&self) -> bool {
        self.asked.load(Ordering::Relaxed)
    }

    /// The sender's answer.
    pub(crate) fn answer(&self, text: String) {
        let mut slot = self.slot.lock();
        self.asked.store(false, Ordering::SeqCst);
        slot.1 = Some(text);
        self.answered.notify_all();
    }

    /// Waits until `deadline` for the answer to the dump asked with `ticket`.
    pub(crate) fn wait(&self, ticket: u64, deadline: Instant) -> Option<String> {
        let mut slot = self.slot.lock();
        loop {
            if slot.0 != ticket {
                return None;
            }
            if let Some(text) = &slot.1 {
                return Some(text.clone());
            }
            if self.answered.wait_until(&mut slot, deadline).timed_out() {
                return None;
            }
        }
    }
}

/// The sender's state. `run` is the body of the sender thread.
///
/// It talks to the network through a [`KafkaClient`] (the mio [`NetworkClient`] in
/// production, a scripted mock in the unit tests) and reads the clock through a [`Time`]; each
/// round, [`run_once`](Self::run_once), takes the current instant, so that its decisions can
/// be driven deterministically.
pub(crate) struct Sender<C: KafkaClient = NetworkClient> {
    client: C,
    time: Arc<dyn Time>,
    accumulator: Arc<RecordAccumulator>,
    metadata: Arc<Metadata>,
    config: SenderConfig,
    control: Arc<SenderControl>,
    in_flight: HashMap<(i32, i32), Vec<ProducerBatch>>,
    metrics: SenderMetrics,
    txn: Option<TransactionManager>,
    init_request: Option<(i32, i32)>,
    next_init_attempt: Option<Instant>,
}

impl<C: KafkaClient> Sender<C> {
    /// A sender over `client`, reading the clock from `time`.
    pub(crate) fn new(
        client: C,
        time: Arc<dyn Time>,
        accumulator: Arc<RecordAccumulator>,
        metadata: Arc<Metadata>,
        config: SenderConfig,
        control: Arc<SenderControl>,
    ) -> Self {
        let idempotence = config.idempotence;
        Sender {
            client,
            time,
            accumulator,
            metadata,
            config,
            control,
            in_flight: HashMap::new(),
            metrics: SenderMetrics::default(),
            txn: idempotence.then(TransactionManager::new),
            init_request: None,
            next_init_attempt: None,
        }
    }

    /// The thread body: loops until closed, then drains (or aborts, when forced).
    pub(crate) fn run(mut self) {
        log::debug!("Starting Kafka producer I/O thread.");
        while self.control.running.load(Ordering::SeqCst) {
            if !self.run_once_catching_panics() {
                return;
            }
        }
        log::debug!("Beginning shutdown of Kafka producer I/O thread, sending remaining records.");
        while !self.control.force_close.load(Ordering::SeqCst)
            && (self.accumulator.has_undrained()
                || self.client.in_flight_count() > 0
                || !self.in_flight.is_empty())
        {
            if !self.run_once_catching_panics() {
                return;
            }
        }
        if self.control.force_close.load(Ordering::SeqCst) {
            let err = Error::ProducerClosed("Producer is closed forcefully.".into());
            self.abort_in_flight(&err);
            self.accumulator.abort_incomplete_batches(&err);
        }
        let now = self.time.now();
        let leftovers = self.client.close_all(now);
        for r in leftovers {
            self.handle_response(r, now);
        }
        // Anything still incomplete (e.g. appended during shutdown) fails now.
        let err = Error::ProducerClosed("Producer closed before the record was sent".into());
        self.abort_in_flight(&err);
        self.accumulator.abort_incomplete_batches(&err);
        self.publish_metrics();
        log::debug!("Shutdown of Kafka producer I/O thread has completed.");
    }

    /// [`run_once`](Self::run_once), turning a panic (a bug) into a fatal error: every pending
    /// record fails, later sends fail at once, and the thread stops. Returns false after a panic.
    fn run_once_catching_panics(&mut self) -> bool {
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let now = self.time.now();
            self.run_once(now)
        }));
        let Err(panic) = result else {
            return true;
        };
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        log::error!("The producer's sender thread panicked: {what}; failing every pending record");
        let err = Error::Internal(format!("the sender thread panicked: {what}"));
        self.control.set_fatal_error(err.clone());
        self.accumulator.close();
        self.abort_in_flight(&err);
        self.accumulator.abort_incomplete_batches(&err);
        let _ = self.client.close_all(self.time.now());
        self.publish_metrics();
        false
    }

    /// One iteration at `now`: send what is ready, then poll the network and handle the
    /// results (at the clock's time after the poll) (Java `Sender.runOnce`).
    pub(crate) fn run_once(&mut self, now: Instant) {
        // Before looking for work: a caller appending from now on wakes the poll again.
        self.control.wake_pending.store(false, Ordering::SeqCst);
        if self.control.dump.is_asked() {
            self.control.dump.answer(self.describe_state(now));
        }
        if let Some(timeout) = self.maybe_handle_idempotence(now) {
            // No producer id yet (or a fatal error): produce nothing this round, but let
            // batches expire and the network make progress.
            self.expire_batches(now);
            let timeout = timeout.min(self.accumulator.next_expiry_delay(now));
            let responses = self.client.poll(timeout, now);
            let now = self.time.now();
            for r in responses {
                self.handle_response(r, now);
            }
            self.publish_metrics();
            return;
        }
        let timeout = self.send_producer_data(now);
        let responses = self.client.poll(timeout, now);
        let now = self.time.now();
        for r in responses {
            self.handle_response(r, now);
        }
        self.publish_metrics();
    }

    /// The idempotent producer's step before sending (Java `Sender.runOnce` with a
    /// `TransactionManager`): resolve sequences, handle a fatal error, bump the epoch, and get a
    /// producer id. Returns the poll timeout when no produce data may be sent this round.
    fn maybe_handle_idempotence(&mut self, now: Instant) -> Option<Duration> {
        let backoff = self.config.retry_backoff.max(Duration::from_millis(1));
        let tm = self.txn.as_mut()?;
        tm.maybe_resolve_sequences();
        if let Some(err) = tm.fatal_error().cloned() {
            self.control.set_fatal_error(err.clone());
            self.abort_in_flight(&err);
            self.accumulator.abort_undrained_batches(&err);
            return Some(backoff);
        }
        let bump = tm.epoch_bump_required() && tm.producer_id_and_epoch().is_valid();
        let rewrites = tm.bump_idempotent_epoch_if_needed();
        if bump {
            self.metrics.epoch_bumps += 1;
        }
        self.apply_rewrites(rewrites);
        let tm = self.txn.as_mut()?;
        match tm.init_state() {
            InitState::Ready => None,
            InitState::InFlight => Some(backoff),
            InitState::Needed => {
                if let Some(at) = self.next_init_attempt {
                    if now < at {
                        return Some(at - now);
                    }
                }
                let Some(node) = self.client.least_loaded_node(now) else {
                    self.next_init_attempt = Some(now + backoff);
                    return Some(backoff);
                };
                if !self.client.ready(&node, now) {
                    return Some(backoff);
                }
                match self
                    .client
                    .build_request(node.id, &InitProducerIdRequest::idempotent(), true)
                {
                    Ok(req) => {
                        log::debug!("Sending InitProducerId request to node {node}");
                        self.init_request = Some((node.id, req.correlation_id));
                        if let Some(tm) = self.txn.as_mut() {
                            tm.init_sent();
                        }
                        self.client.send(node.id, req, now);
                    }
                    Err(e) => {
                        log::warn!("Cannot send InitProducerId to node {node}: {e}");
                        self.next_init_attempt = Some(now + backoff);
                    }
                }
                Some(backoff)
            }
        }
    }

    fn handle_init_producer_id_response(&mut self, response: ClientResponse, now: Instant) {
        if self.init_request != Some((response.node, response.correlation_id)) {
            return;
        }
        self.init_request = None;
        let backoff = self.config.retry_backoff;
        let parsed = match response.body {
            Ok(Some(body)) => {
                let mut r = Reader::new(&body, "InitProducerIdResponse");
                InitProducerIdResponse::decode(response.version, &mut r).map_err(|e| e.to_string())
            }
            Ok(None) => Err("no response".to_string()),
            Err(d) => Err(format!("{d:?}")),
        };
        let Some(tm) = self.txn.as_mut() else { return };
        match parsed {
            Ok(r) if r.error_code.is_ok() => {
                let rewrites = tm.set_producer_id_and_epoch(ProducerIdAndEpoch {
                    producer_id: r.producer_id,
                    epoch: r.producer_epoch,
                });
                self.apply_rewrites(rewrites);
            }
            Ok(r)
                if r.error_code.is_retriable()
                    || r.error_code == ErrorCode::NOT_COORDINATOR
                    || r.error_code == ErrorCode::COORDINATOR_NOT_AVAILABLE =>
            {
                log::warn!("InitProducerId failed with {}; retrying", r.error_code);
                tm.init_failed();
                self.next_init_attempt = Some(now + backoff);
            }
            Ok(r)
                if r.error_code == ErrorCode::CLUSTER_AUTHORIZATION_FAILED
                    || r.error_code == ErrorCode::TRANSACTIONAL_ID_AUTHORIZATION_FAILED =>
            {
                // Java: an authorization error fails the pending records, then tries again.
                let err = Error::broker(
                    r.error_code,
                    Some("the producer is not authorized to do idempotent sends".into()),
                );
                log::error!("InitProducerId failed: {err}");
                tm.init_failed();
                self.next_init_attempt = Some(now + backoff);
                self.abort_in_flight(&err);
                self.accumulator.abort_undrained_batches(&err);
            }
            Ok(r) => {
                tm.set_fatal(Error::broker(
                    r.error_code,
                    Some("unexpected error in InitProducerIdResponse".into()),
                ));
            }
            Err(why) => {
                log::warn!(
                    "InitProducerId to node {} failed: {why}; retrying",
                    response.node
                );
                tm.init_failed();
                self.next_init_attempt = Some(now + backoff);
            }
        }
    }

    /// Applies an epoch bump's new sequences to the batches queued and in flight.
    fn apply_rewrites(&mut self, rewrites: Vec<(TopicPartition, Rewrite)>) {
        if rewrites.is_empty() {
            return;
        }
        let rest = self.accumulator.apply_rewrites(rewrites);
        for (_, r) in rest {
            if let Some(b) = self
                .in_flight
                .values_mut()
                .flatten()
                .find(|b| b.id() == r.id)
            {
                b.reset_producer_state(r.producer, r.base_sequence);
            }
        }
    }

    /// The state dump (`KafkaProducer::debug_state`): the producer id, then per partition
    /// with queued or in-flight batches the queue, the batches in flight and the sequence
    /// state, then per node the connection.
    fn describe_state(&self, now: Instant) -> String {
        use std::collections::BTreeMap;
        use std::fmt::Write as _;
        let mut out = String::new();
        let running = self.control.running.load(Ordering::SeqCst);
        let _ = writeln!(
            out,
            "Kafka producer state (client.id {}): sender {}, {} produce request(s) in flight",
            self.client.client_id(),
            if running { "running" } else { "closing" },
            self.in_flight.len()
        );
        if let Some(tm) = &self.txn {
            let pe = tm.producer_id_and_epoch();
            let _ = writeln!(
                out,
                "  idempotence: producer id {}, epoch {}, InitProducerId {:?}, epoch bump pending: {}, fatal error: {}",
                pe.producer_id,
                pe.epoch,
                tm.init_state(),
                tm.epoch_bump_required(),
                tm.fatal_error()
                    .map_or_else(|| "none".to_string(), |e| e.to_string())
            );
        }
        let key = |tp: &TopicPartition| (tp.topic.to_string(), tp.partition);
        let mut parts: BTreeMap<(String, i32), Vec<String>> = BTreeMap::new();
        for (tp, line) in self.accumulator.describe_queues(now) {
            parts.entry(key(&tp)).or_default().push(line);
        }
        let mut sent: BTreeMap<(String, i32), Vec<String>> = BTreeMap::new();
        for ((node, correlation_id), batches) in &self.in_flight {
            for b in batches {
                sent.entry(key(b.topic_partition())).or_default().push(format!(
                    "{} record(s){} in request {correlation_id} to node {node}, {} attempt(s){}",
                    b.record_count(),
                    b.sequence()
                        .map_or(String::new(), |q| format!(" at sequence {}", q.base_sequence)),
                    b.attempts() + 1,
                    if b.is_done() { ", already failed" } else { "" }
                ));
            }
        }
        for (k, lines) in sent {
            parts
                .entry(k)
                .or_default()
                .push(format!("in flight: {}", lines.join("; ")));
        }
        if let Some(tm) = &self.txn {
            for tp in tm.partitions() {
                let k = key(&tp);
                if parts.contains_key(&k) || tm.has_in_flight_batches(&tp) {
                    parts
                        .entry(k)
                        .or_default()
                        .push(format!("sequences: {}", tm.describe_partition(&tp)));
                }
            }
        }
        if parts.is_empty() {
            let _ = writeln!(out, "  no batch queued or in flight");
        }
        for ((topic, partition), lines) in parts {
            let _ = writeln!(out, "  partition {topic}-{partition}: {}", lines.join("; "));
        }
        for line in self.client.describe_nodes(now) {
            let _ = writeln!(out, "  {line}");
        }
        out
    }

    /// The client (tests drive the mock through it).
    #[cfg(test)]
    pub(crate) fn client_mut(&mut self) -> &mut C {
        &mut self.client
    }

    /// Batches of `tp` inside requests in flight (Java `Sender.inFlightBatches(tp)`).
    #[cfg(test)]
    pub(crate) fn in_flight_batches(&self, tp: &TopicPartition) -> usize {
        self.in_flight
            .values()
            .flatten()
            .filter(|b| b.topic_partition() == tp)
            .count()
    }

    /// The idempotent producer's state.
    #[cfg(test)]
    pub(crate) fn transaction_manager(&mut self) -> Option<&mut TransactionManager> {
        self.txn.as_mut()
    }

    fn publish_metrics(&mut self) {
        let s = self.client.stats();
        self.metrics.produce_requests = s.produce_requests;
        self.metrics.metadata_requests = s.metadata_requests;
        self.metrics.connections = s.connections;
        self.metrics.disconnections = s.disconnections;
        *self.control.metrics.lock() = self.metrics;
    }

    fn send_producer_data(&mut self, now: Instant) -> Duration {
        let cluster = self.metadata.fetch();
        let mut result = self.accumulator.ready(&cluster, now);
        if !result.unknown_leader_topics.is_empty() {
            for t in &result.unknown_leader_topics {
                self.metadata.add_topic(t, now);
            }
            log::debug!(
                "Requesting metadata update due to unknown leader topics: {:?}",
                result.unknown_leader_topics
            );
            self.metadata.request_update();
        }
        let mut not_ready_timeout = Duration::MAX;
        result.ready_nodes.retain(|&id| {
            let Some(node) = cluster.node_by_id(id) else {
                return false;
            };
            if self.client.ready(node, now) {
                self.accumulator.update_node_latency_stats(id, now, true);
                true
            } else {
                self.accumulator.update_node_latency_stats(id, now, false);
                not_ready_timeout = not_ready_timeout.min(self.client.connection_delay(id, now));
                false
            }
        });
        let batches = self.accumulator.drain(
            &cluster,
            &result.ready_nodes,
            self.config.max_request_size,
            now,
            self.config.guarantee_message_order,
            self.txn.as_mut(),
        );
        self.expire_batches(now);
        let mut poll_timeout = result
            .next_ready_check_delay
            .min(not_ready_timeout)
            .min(self.accumulator.next_expiry_delay(now))
            .min(self.next_in_flight_expiry(now));
        // More may be sendable at once after what was drained; when ready nodes had nothing
        // drainable (e.g. retries waiting for a lower sequence), wake up after the backoff.
        if batches.values().any(|b| !b.is_empty()) {
            poll_timeout = Duration::ZERO;
        } else if !result.ready_nodes.is_empty() {
            poll_timeout =
                poll_timeout.min(self.config.retry_backoff.max(Duration::from_millis(1)));
        }
        for (node, batches) in batches {
            if !batches.is_empty() {
                self.send_produce_request(node, batches, now);
            }
        }
        poll_timeout
    }

    fn next_in_flight_expiry(&self, now: Instant) -> Duration {
        self.in_flight
            .values()
            .flatten()
            .filter(|b| !b.is_done())
            .map(|b| (b.created() + self.config.delivery_timeout).saturating_duration_since(now))
            .min()
            .unwrap_or(Duration::MAX)
    }

    fn expire_batches(&mut self, now: Instant) {
        for mut batch in self.accumulator.expired_batches(now) {
            let err = delivery_timeout_error(&batch, now);
            expire_batch(&mut self.txn, &mut self.metrics, &mut batch, err);
            self.accumulator.deallocate(batch);
        }
        // In-flight batches past the delivery timeout fail now; they stay in the in-flight map
        // (their request is still out) until the response or the disconnect.
        let delivery_timeout = self.config.delivery_timeout;
        for batches in self.in_flight.values_mut() {
            for b in batches.iter_mut() {
                if !b.is_done() && b.has_reached_delivery_timeout(delivery_timeout, now) {
                    let err = delivery_timeout_error(b, now);
                    log::warn!("{err}");
                    expire_batch(&mut self.txn, &mut self.metrics, b, err);
                }
            }
        }
    }

    fn send_produce_request(&mut self, node: i32, mut batches: Vec<ProducerBatch>, now: Instant) {
        let version = match self.client.api_version(node, ApiKey::Produce) {
            Ok(v) => v,
            Err(e) => {
                log::error!("Cannot send a Produce request to node {node}: {e}");
                if matches!(e, Error::UnsupportedVersion(_)) {
                    // Fatal for the idempotent producer, as Java's `handleFailedBatch` makes
                    // an `UnsupportedVersionException`: later sends fail with it too.
                    if let Some(tm) = self.txn.as_mut() {
                        tm.set_fatal(e.clone());
                    }
                }
                for mut b in batches {
                    if matches!(e, Error::UnsupportedVersion(_)) {
                        self.fail_batch(&mut b, e.clone());
                        self.accumulator.deallocate(b);
                    } else {
                        self.accumulator.reenqueue(b, now);
                    }
                }
                return;
            }
        };
        // Group by topic, keeping drain order.
        let mut order: Vec<std::sync::Arc<str>> = Vec::new();
        let mut by_topic: HashMap<std::sync::Arc<str>, Vec<usize>> = HashMap::new();
        for (i, b) in batches.iter().enumerate() {
            let t = b.topic_partition().topic.clone();
            by_topic
                .entry(t.clone())
                .or_insert_with(|| {
                    order.push(t);
                    Vec::new()
                })
                .push(i);
        }
        let shared: Vec<Arc<Vec<u8>>> = batches
            .iter_mut()
            .map(|b| {
                b.close();
                b.shared_bytes().expect("closed batches have bytes")
            })
            .collect();
        let mut record_chunks: Vec<Arc<Vec<u8>>> = Vec::with_capacity(batches.len());
        let topics: Vec<TopicProduceData<'_>> = order
            .iter()
            .map(|t| TopicProduceData {
                name: t.to_string(),
                partitions: by_topic[t]
                    .iter()
                    .map(|&i| {
                        record_chunks.push(shared[i].clone());
                        PartitionProduceData {
                            index: batches[i].topic_partition().partition,
                            records: Some(&shared[i][..]),
                        }
                    })
                    .collect(),
            })
            .collect();
        let request = ProduceRequest {
            transactional_id: None,
            acks: self.config.acks,
            timeout_ms: self
                .config
                .request_timeout
                .as_millis()
                .min(i32::MAX as u128) as i32,
            topics,
        };
        let correlation_id = self.client.next_correlation_id();
        let mut head = Vec::with_capacity(128 + 32 * batches.len());
        let client_id = self.client.client_id().to_owned();
        let splits = request.encode_vectored(&mut head, version, correlation_id, Some(&client_id));
        drop(request);
        // Interleave the owned framing with the shared record batches.
        let mut chunks = Vec::with_capacity(2 * splits.len() + 1);
        let mut last = 0;
        for (split, records) in splits.iter().zip(record_chunks) {
            chunks.push(Chunk::Owned(head[last..*split].to_vec()));
            chunks.push(Chunk::Shared(records));
            last = *split;
        }
        chunks.push(Chunk::Owned(head[last..].to_vec()));
        drop(shared);
        self.metrics.batches_sent += batches.len() as u64;
        log::debug!(
            "Sending produce request with {} batch(es) to node {node} (correlation id {correlation_id})",
            batches.len()
        );
        self.in_flight.insert((node, correlation_id), batches);
        self.client.send(
            node,
            OutboundRequest {
                api: ApiKey::Produce,
                version,
                correlation_id,
                expect_response: self.config.acks != 0,
                chunks,
            },
            now,
        );
    }

    fn handle_response(&mut self, response: ClientResponse, now: Instant) {
        if response.api == ApiKey::InitProducerId {
            self.handle_init_producer_id_response(response, now);
            return;
        }
        if response.api != ApiKey::Produce {
            return;
        }
        let Some(batches) = self
            .in_flight
            .remove(&(response.node, response.correlation_id))
        else {
            return;
        };
        match response.body {
            Err(reason) => {
                let err = match reason {
                    Disconnect::RequestTimeout => Error::timeout(
                        TimeoutKind::Request,
                        format!(
                            "Disconnected from node {} due to timeout ({} ms)",
                            response.node,
                            self.config.request_timeout.as_millis()
                        ),
                    ),
                    Disconnect::Closed(why) => {
                        Error::Network(format!("Disconnected from node {}: {why}", response.node))
                    }
                    Disconnect::Io { context, error } => Error::Io {
                        context: format!("Disconnected from node {}: {context}", response.node),
                        source: error,
                    },
                };
                for b in batches {
                    self.complete_batch(b, Err(err.clone()), -1, response.correlation_id, now);
                }
            }
            Ok(None) => {
                for b in batches {
                    self.complete_batch(
                        b,
                        Ok(BatchOutcome {
                            base_offset: -1,
                            log_append_time: -1,
                        }),
                        -1,
                        response.correlation_id,
                        now,
                    );
                }
            }
            Ok(Some(body)) => {
                let mut r = Reader::new(&body, "ProduceResponse");
                let decoded = ProduceResponse::decode(response.version, &mut r)
                    .and_then(|p| r.finish("end").map(|_| p));
                let parsed = match decoded {
                    Ok(p) => p,
                    Err(e) => {
                        log::error!("Invalid Produce response from node {}: {e}", response.node);
                        self.client.disconnect(
                            response.node,
                            Disconnect::Closed(format!("invalid response: {e}")),
                            now,
                        );
                        let err = Error::Decode(e);
                        for b in batches {
                            // Not retried blindly: the write may have happened. Java treats a
                            // broken response as a network error, which is retriable.
                            self.complete_batch(
                                b,
                                Err(Error::Network(err.to_string())),
                                -1,
                                response.correlation_id,
                                now,
                            );
                        }
                        return;
                    }
                };
                let mut results: HashMap<TopicPartition, _> = HashMap::new();
                for t in &parsed.responses {
                    for p in &t.partitions {
                        results.insert(TopicPartition::new(t.name.as_str(), p.index), p);
                    }
                }
                for b in batches {
                    let outcome = match results.get(b.topic_partition()) {
                        None => Err(Error::Network(format!(
                            "the Produce response has no result for {}",
                            b.topic_partition()
                        ))),
                        Some(p) if p.error_code.is_ok() => Ok(BatchOutcome {
                            base_offset: p.base_offset,
                            log_append_time: p.log_append_time_ms,
                        }),
                        Some(p) => {
                            let mut message = p.error_message.clone();
                            if p.error_code == ErrorCode::MESSAGE_TOO_LARGE {
                                message = Some(format!(
                                    "the batch for {} ({} bytes) is larger than the topic's \
                                     max.message.bytes (or the broker's message.max.bytes){}",
                                    b.topic_partition(),
                                    b.estimated_size_in_bytes(),
                                    message.map(|m| format!(": {m}")).unwrap_or_default()
                                ));
                            }
                            if !p.record_errors.is_empty() {
                                let details: Vec<String> = p
                                    .record_errors
                                    .iter()
                                    .map(|e| {
                                        format!(
                                            "record {}: {}",
                                            e.batch_index,
                                            e.message.as_deref().unwrap_or("")
                                        )
                                    })
                                    .collect();
                                message = Some(format!(
                                    "{}{}",
                                    message.map(|m| format!("{m}; ")).unwrap_or_default(),
                                    details.join(", ")
                                ));
                            }
                            Err(Error::broker(p.error_code, message))
                        }
                    };
                    let log_start_offset = results
                        .get(b.topic_partition())
                        .map_or(-1, |p| p.log_start_offset);
                    self.complete_batch(b, outcome, log_start_offset, response.correlation_id, now);
                }
            }
        }
    }

    /// Java `Sender.canRetry`: within the delivery timeout and the retries, not done, and
    /// retriable (with idempotence, as the `TransactionManager` decides).
    fn can_retry(
        &mut self,
        batch: &ProducerBatch,
        error: &Error,
        log_start_offset: i64,
        now: Instant,
    ) -> bool {
        if batch.has_reached_delivery_timeout(self.config.delivery_timeout, now)
            || (batch.attempts() as i64) >= i64::from(self.config.retries)
            || batch.is_done()
        {
            return false;
        }
        match (self.txn.as_mut(), batch.sequence()) {
            (Some(tm), Some(seq)) => {
                let code = match error {
                    Error::Broker { code, .. } => *code,
                    e if e.is_retriable() => ErrorCode::NETWORK_EXCEPTION,
                    _ => return false,
                };
                tm.can_retry(
                    batch.topic_partition(),
                    &seq,
                    batch.sequence_has_been_reset(),
                    code,
                    log_start_offset,
                ) == RetryDecision::Retry
            }
            _ => error.is_retriable(),
        }
    }

    fn complete_batch(
        &mut self,
        mut batch: ProducerBatch,
        outcome: Result<BatchOutcome, Error>,
        log_start_offset: i64,
        correlation_id: i32,
        now: Instant,
    ) {
        let tp = batch.topic_partition().clone();
        match outcome {
            Ok(o) => self.succeed_batch(batch, o),
            Err(err) => {
                if let Error::Broker { code, .. } = &err {
                    if code.invalidates_metadata() {
                        if *code == ErrorCode::UNKNOWN_TOPIC_OR_PARTITION {
                            log::warn!(
                                "Received unknown topic or partition error in produce request on partition {tp}. The topic-partition may not exist or the user may not have Describe access to it"
                            );
                        }
                        self.metadata.request_update();
                    }
                }
                if matches!(
                    err,
                    Error::Network(_)
                        | Error::Io { .. }
                        | Error::Timeout {
                            kind: TimeoutKind::Request,
                            ..
                        }
                ) {
                    self.metadata.request_update();
                }
                let too_large = matches!(&err, Error::Broker { code, .. } if *code == ErrorCode::MESSAGE_TOO_LARGE);
                if too_large && batch.record_count() > 1 && !batch.is_done() {
                    // Split it and send the halves (Java `splitAndReenqueue`); does not use up
                    // a retry.
                    if let (Some(tm), Some(seq)) = (self.txn.as_mut(), batch.sequence()) {
                        tm.forget_batch(&tp, seq.id);
                    }
                    let records = batch.record_count();
                    match self
                        .accumulator
                        .split_and_reenqueue(batch, self.txn.as_mut(), now)
                    {
                        Ok(n) => {
                            log::info!(
                                "Split a batch of {records} record(s) for {tp} that was too large for the broker into {n} batches"
                            );
                            self.metrics.splits += 1;
                        }
                        Err(failed) => {
                            let (mut batch, e) = *failed;
                            log::error!("Cannot split the batch for {tp}: {e}");
                            self.fail_batch(&mut batch, err);
                            self.accumulator.deallocate(batch);
                        }
                    }
                } else if self.can_retry(&batch, &err, log_start_offset, now) {
                    log::warn!(
                        "Got error produce response with correlation id {correlation_id} on topic-partition {tp}, retrying ({} attempts left). Error: {err}",
                        i64::from(self.config.retries) - i64::from(batch.attempts()) - 1
                    );
                    self.metrics.retries += 1;
                    self.accumulator.reenqueue(batch, now);
                } else if matches!(&err, Error::Broker { code, .. } if *code == ErrorCode::DUPLICATE_SEQUENCE_NUMBER)
                {
                    // The broker already has these records but no longer their offsets: a
                    // success without offset, as Java reports it.
                    self.succeed_batch(
                        batch,
                        BatchOutcome {
                            base_offset: -1,
                            log_append_time: -1,
                        },
                    );
                } else {
                    if !batch.is_done() {
                        log::debug!("Failing batch for {tp}: {err}");
                    }
                    let adjust = (batch.attempts() as i64) < i64::from(self.config.retries);
                    let seq = batch.sequence();
                    let failed_now = batch.done(Err(err.clone()));
                    if failed_now {
                        self.metrics.records_failed += batch.record_count() as u64;
                    }
                    if let (Some(tm), Some(seq)) = (self.txn.as_mut(), seq) {
                        if failed_now {
                            tm.handle_failed_batch(&tp, &seq, &err, adjust);
                        }
                    }
                    self.accumulator.deallocate(batch);
                }
            }
        }
        if self.config.guarantee_message_order {
            self.accumulator.unmute_partition(&tp);
        }
    }

    /// A batch written (or a duplicate of a write): advance the acknowledged sequence, then
    /// complete its records (a batch that already expired stays failed).
    fn succeed_batch(&mut self, mut batch: ProducerBatch, o: BatchOutcome) {
        if let (Some(tm), Some(seq)) = (self.txn.as_mut(), batch.sequence()) {
            tm.handle_completed_batch(batch.topic_partition(), &seq, o.base_offset);
        }
        if batch.done(Ok(o)) {
            self.metrics.records_acked += batch.record_count() as u64;
        }
        self.accumulator.deallocate(batch);
    }

    fn fail_batch(&mut self, batch: &mut ProducerBatch, err: Error) {
        if let (Some(tm), Some(seq)) = (self.txn.as_mut(), batch.sequence()) {
            tm.forget_batch(batch.topic_partition(), seq.id);
        }
        if batch.done(Err(err)) {
            self.metrics.records_failed += batch.record_count() as u64;
        }
    }

    fn abort_in_flight(&mut self, err: &Error) {
        let all: Vec<ProducerBatch> = self.in_flight.drain().flat_map(|(_, v)| v).collect();
        for mut b in all {
            self.fail_batch(&mut b, err.clone());
            self.accumulator.deallocate(b);
        }
    }
}

fn delivery_timeout_error(batch: &ProducerBatch, now: Instant) -> Error {
    Error::timeout(
        TimeoutKind::Delivery,
        format!(
            "Expiring {} record(s) for {}:{} ms has passed since batch creation",
            batch.record_count(),
            batch.topic_partition(),
            now.saturating_duration_since(batch.created()).as_millis()
        ),
    )
}

/// Fails an expired batch; with idempotence, a batch that had been retried leaves its
/// partition's sequence unresolved (it may or may not have been written).
fn expire_batch(
    txn: &mut Option<TransactionManager>,
    metrics: &mut SenderMetrics,
    batch: &mut ProducerBatch,
    err: Error,
) {
    if let (Some(tm), Some(seq)) = (txn.as_mut(), batch.sequence()) {
        let tp = batch.topic_partition().clone();
        tm.forget_batch(&tp, seq.id);
        if batch.in_retry() {
            tm.mark_sequence_unresolved(&tp, &seq);
        }
    }
    if batch.done(Err(err)) {
        metrics.records_failed += batch.record_count() as u64;
    }
}

#[cfg(test)]
mod tests;
