//! `Sender`: the producer's one I/O thread (Java's `Sender`). Each loop it asks the accumulator
//! which leaders have sendable batches, connects to them, drains batches into one Produce request
//! per node, expires batches past `delivery.timeout.ms`, polls the network (which also keeps
//! metadata fresh), and completes, retries or fails batches from the responses.

#[cfg(test)]
use crate::cluster::TopicPartition;
use crate::error::{Error, TimeoutKind};
use crate::metadata::Metadata;
use crate::network::client::NetworkClient;
use crate::network::kafka_client::KafkaClient;
use crate::producer::internals::accumulator::RecordAccumulator;
use crate::producer::internals::batch::ProducerBatch;
use crate::producer::internals::transaction_manager::TransactionManager;
use crate::time::Time;
use rustc_hash::FxHashMap as HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

mod control;
mod idempotence;
mod produce;
mod sensors;
mod state_dump;
mod transactional;

pub(crate) use control::{SenderConfig, SenderControl, SenderMetrics};
pub(crate) use sensors::SenderSensors;

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
    /// Java's `SenderMetrics`: the sensors of the producer's metrics.
    sensors: SenderSensors,
    txn: Option<TransactionManager>,
    init_request: Option<(i32, i32)>,
    next_init_attempt: Option<Instant>,
    /// The transactional request out.
    txn_in_flight: Option<transactional::InFlightTxnRequest>,
    /// Since when the sender waits for the node of the next transactional request.
    txn_node_wait: Option<(i32, Instant)>,
    /// `transactional.id`, for Produce requests.
    transactional_id: Option<String>,
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
        let txn = match &config.transactional {
            Some(t) => Some(TransactionManager::transactional(t.clone())),
            None => idempotence.then(TransactionManager::new),
        };
        let transactional_id = config
            .transactional
            .as_ref()
            .map(|t| t.lock().transactional_id().to_string());
        let sensors = SenderSensors::new(config.metrics.clone(), metadata.clone());
        Sender {
            sensors,
            client,
            time,
            accumulator,
            metadata,
            config,
            control,
            in_flight: HashMap::default(),
            metrics: SenderMetrics::default(),
            txn,
            init_request: None,
            next_init_attempt: None,
            txn_in_flight: None,
            txn_node_wait: None,
            transactional_id,
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
                || !self.in_flight.is_empty()
                || self.has_pending_transactional_requests())
        {
            if !self.run_once_catching_panics() {
                return;
            }
        }
        // An open transaction is aborted (Java: "Aborting incomplete transaction due to
        // shutdown").
        while !self.control.force_close.load(Ordering::SeqCst)
            && self.abort_open_transaction_for_close()
        {
            if !self.run_once_catching_panics() {
                return;
            }
        }
        if self.control.force_close.load(Ordering::SeqCst) {
            let err = Error::ProducerClosed("Producer is closed forcefully.".into());
            self.fail_transactional_calls(&err);
            self.abort_in_flight(&err);
            self.accumulator.abort_incomplete_batches(&err);
        }
        let now = self.time.now();
        let leftovers = self.client.close_all(now);
        for r in leftovers {
            self.handle_response(r, now);
        }
        // Anything still incomplete (e.g. appended during shutdown) fails now.
        if self.has_pending_transactional_requests() {
            self.fail_transactional_calls(&Error::ProducerClosed(
                "Producer closed before the transactional call completed".into(),
            ));
        }
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
        self.fail_transactional_calls(&err);
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
        self.control.sends_blocked.store(false, Ordering::SeqCst);
        if self.control.dump.is_asked() {
            self.control.dump.answer(self.describe_state(now));
        }
        if let Some(timeout) = self.maybe_handle_idempotence(now) {
            // No producer id yet (or a fatal error): produce nothing this round.
            self.poll_without_producing(timeout, now);
            return;
        }
        let mut timeout = match self.maybe_send_and_poll_transactional_request(now) {
            transactional::TxnStep::Poll(timeout) => {
                self.poll_without_producing(timeout, now);
                return;
            }
            transactional::TxnStep::Continue(wake) => wake.unwrap_or(Duration::MAX),
        };
        timeout = timeout.min(self.send_producer_data(now));
        let responses = self.client.poll(timeout, now);
        self.sensors.set_in_flight(self.client.in_flight_count());
        let now = self.time.now();
        for r in responses {
            self.handle_response(r, now);
        }
        self.publish_metrics();
    }

    /// A round that sends no produce data: batches still expire and the network makes
    /// progress.
    fn poll_without_producing(&mut self, timeout: Duration, now: Instant) {
        self.expire_batches(now);
        let timeout = timeout.min(self.accumulator.next_expiry_delay(now));
        let responses = self.client.poll(timeout, now);
        self.sensors.set_in_flight(self.client.in_flight_count());
        let now = self.time.now();
        for r in responses {
            self.handle_response(r, now);
        }
        self.publish_metrics();
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
        self.sensors.set_in_flight(self.client.in_flight_count());
        let s = self.client.stats();
        self.metrics.produce_requests = s.produce_requests;
        self.metrics.metadata_requests = s.metadata_requests;
        self.metrics.connections = s.connections;
        self.metrics.disconnections = s.disconnections;
        self.metrics.authentications = s.authentications;
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
        let mut unauthenticated = Vec::new();
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
                if let Some(e) = self.client.authentication_error(id) {
                    unauthenticated.push((id, e));
                }
                false
            }
        });
        for (node, error) in unauthenticated {
            self.fail_batches_of_unauthenticated_leader(&cluster, node, &error);
        }
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
        if self.sends_blocked_until_network_event(&cluster) {
            self.control.sends_blocked.store(true, Ordering::SeqCst);
        }
        poll_timeout
    }

    /// Whether no batch appended from now on could be sent before a network event ends the
    /// coming poll: every partition has a leader, and every leader's connection is at its
    /// in-flight limit (or has a write pending). Then callers need not wake the sender for a
    /// new or full batch: a response frees the slot, ends the poll, and the next round sees
    /// the batch. This saves a wake-up (two context switches and a round that finds nothing
    /// to do) per batch while the broker is the limit. Transactional producers always wake
    /// the sender: a new partition first needs `AddPartitionsToTxn`, which may go to another
    /// node.
    fn sends_blocked_until_network_event(&self, cluster: &crate::cluster::Cluster) -> bool {
        if cluster.is_bootstrap()
            || cluster.has_leaderless_partitions()
            || self.txn.as_ref().is_some_and(|t| t.is_transactional())
        {
            return false;
        }
        let mut leaders = cluster.leaders().peekable();
        leaders.peek().is_some() && leaders.all(|node| self.client.send_blocked(node))
    }

    /// Fails the queued batches of the partitions `node` leads: the client cannot authenticate
    /// with it (a TLS or SASL failure), which retrying will not fix, so the records fail with
    /// that error now instead of with a delivery timeout later. (Beyond Java, whose batches
    /// wait for `delivery.timeout.ms`.) A later successful connection clears the error; records
    /// sent after it are sent normally.
    fn fail_batches_of_unauthenticated_leader(
        &mut self,
        cluster: &crate::cluster::Cluster,
        node: i32,
        error: &Error,
    ) {
        let batches = self
            .accumulator
            .take_queued_batches_of(|tp| cluster.leader_for(tp).is_some_and(|l| l.id == node));
        if batches.is_empty() {
            return;
        }
        log::warn!(
            "Failing {} batch(es) led by node {node}, which cannot be authenticated with: {error}",
            batches.len()
        );
        for mut batch in batches {
            abandon_batch(
                &mut self.txn,
                &mut self.metrics,
                &mut self.sensors,
                &mut batch,
                error.clone(),
            );
            self.accumulator.deallocate(batch);
        }
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

    /// Fails every queued batch with `err` (Java `abortBatches`), forgetting the sequences of
    /// those that had one, so that no stale in-flight entry holds their partitions back.
    pub(super) fn abort_queued_batches(&mut self, err: &Error) {
        for mut batch in self.accumulator.take_queued_batches() {
            abandon_batch(
                &mut self.txn,
                &mut self.metrics,
                &mut self.sensors,
                &mut batch,
                err.clone(),
            );
            self.accumulator.deallocate(batch);
        }
    }

    fn expire_batches(&mut self, now: Instant) {
        for mut batch in self.accumulator.expired_batches(now) {
            let err = delivery_timeout_error(&batch, now);
            abandon_batch(
                &mut self.txn,
                &mut self.metrics,
                &mut self.sensors,
                &mut batch,
                err,
            );
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
                    abandon_batch(&mut self.txn, &mut self.metrics, &mut self.sensors, b, err);
                }
            }
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

/// Fails a batch whose fate the broker may not have told (expired, or aborted while queued);
/// with idempotence its sequence leaves the in-flight set, and a batch that had been retried
/// leaves its partition's sequence unresolved (it may or may not have been written).
fn abandon_batch(
    txn: &mut Option<TransactionManager>,
    metrics: &mut SenderMetrics,
    sensors: &mut SenderSensors,
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
    // A transaction whose record failed (expired, its leader unreachable...) cannot commit
    // (Java's `failBatch` → `handleFailedBatch` → `maybeTransitionToErrorState`).
    if let Some(t) = txn.as_ref().and_then(|tm| tm.transactional_state()) {
        t.lock().batch_failed(&err);
    }
    // Counted before the records complete, as Java's `failBatch`: who sees a record fail sees
    // it counted.
    if !batch.is_done() {
        sensors.record_errors(&batch.topic_partition().topic, batch.record_count(), None);
    }
    if batch.done(Err(err)) {
        metrics.records_failed += batch.record_count() as u64;
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod tests_metrics;

#[cfg(test)]
mod tests_transactional;

#[cfg(test)]
mod tests_wakeups;
