//! `Sender`: the producer's one I/O thread (Java's `Sender`). Each loop it asks the accumulator
//! which leaders have sendable batches, connects to them, drains batches into one Produce request
//! per node, expires batches past `delivery.timeout.ms`, polls the network (which also keeps
//! metadata fresh), and completes, retries or fails batches from the responses.

use crate::cluster::TopicPartition;
use crate::error::{Error, TimeoutKind};
use crate::metadata::Metadata;
use crate::network::client::NetworkClient;
use crate::network::{Chunk, ClientResponse, Disconnect, OutboundRequest};
use crate::producer::accumulator::RecordAccumulator;
use crate::producer::batch::ProducerBatch;
use crate::producer::delivery::BatchOutcome;
use crate::protocol::messages::{
    Decode, PartitionProduceData, ProduceRequest, ProduceResponse, TopicProduceData,
};
use crate::protocol::{ApiKey, ErrorCode, Reader};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Sender settings.
#[derive(Debug, Clone)]
pub struct SenderConfig {
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
}

/// What the sender did, for tests, tools and the `metrics()` of the producer.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
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
    /// Metadata requests sent.
    pub metadata_requests: u64,
    /// Connections opened.
    pub connections: u64,
    /// Disconnections.
    pub disconnections: u64,
}

/// Flags shared between the producer handle and the sender thread.
#[derive(Debug, Default)]
pub struct SenderControl {
    /// Cleared to make the sender finish what is buffered and stop.
    pub running: AtomicBool,
    /// Set to make the sender fail what is left and stop at once.
    pub force_close: AtomicBool,
    /// The latest metrics.
    pub metrics: Mutex<SenderMetrics>,
}

/// The sender's state. `run` is the body of the sender thread.
pub struct Sender {
    client: NetworkClient,
    accumulator: Arc<RecordAccumulator>,
    metadata: Arc<Metadata>,
    config: SenderConfig,
    control: Arc<SenderControl>,
    in_flight: HashMap<(i32, i32), Vec<ProducerBatch>>,
    metrics: SenderMetrics,
}

impl Sender {
    /// A sender over `client`.
    pub fn new(
        client: NetworkClient,
        accumulator: Arc<RecordAccumulator>,
        metadata: Arc<Metadata>,
        config: SenderConfig,
        control: Arc<SenderControl>,
    ) -> Self {
        Sender {
            client,
            accumulator,
            metadata,
            config,
            control,
            in_flight: HashMap::new(),
            metrics: SenderMetrics::default(),
        }
    }

    /// The thread body: loops until closed, then drains (or aborts, when forced).
    pub fn run(mut self) {
        log::debug!("Starting Kafka producer I/O thread.");
        while self.control.running.load(Ordering::SeqCst) {
            self.run_once();
        }
        log::debug!("Beginning shutdown of Kafka producer I/O thread, sending remaining records.");
        while !self.control.force_close.load(Ordering::SeqCst)
            && (self.accumulator.has_undrained()
                || self.client.in_flight_count() > 0
                || !self.in_flight.is_empty())
        {
            self.run_once();
        }
        if self.control.force_close.load(Ordering::SeqCst) {
            let err = Error::ProducerClosed("Producer is closed forcefully.".into());
            self.abort_in_flight(&err);
            self.accumulator.abort_undrained_batches(&err);
        }
        let leftovers = self.client.close_all(Instant::now());
        for r in leftovers {
            self.handle_response(r, Instant::now());
        }
        // Anything still incomplete (e.g. appended during shutdown) fails now.
        let err = Error::ProducerClosed("Producer closed before the record was sent".into());
        self.abort_in_flight(&err);
        self.accumulator.abort_undrained_batches(&err);
        self.publish_metrics();
        log::debug!("Shutdown of Kafka producer I/O thread has completed.");
    }

    /// One iteration: send what is ready, then poll the network and handle the results.
    pub fn run_once(&mut self) {
        let now = Instant::now();
        let timeout = self.send_producer_data(now);
        let responses = self.client.poll(timeout, now);
        let now = Instant::now();
        for r in responses {
            self.handle_response(r, now);
        }
        self.publish_metrics();
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
        );
        self.expire_batches(now);
        let mut poll_timeout = result
            .next_ready_check_delay
            .min(not_ready_timeout)
            .min(self.accumulator.next_expiry_delay(now))
            .min(self.next_in_flight_expiry(now));
        if !result.ready_nodes.is_empty() {
            poll_timeout = Duration::ZERO;
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
            let err = self.delivery_timeout_error(&batch, now);
            self.fail_batch(&mut batch, err);
            self.accumulator.deallocate(batch);
        }
        let delivery_timeout = self.config.delivery_timeout;
        let mut expired = Vec::new();
        for batches in self.in_flight.values_mut() {
            for b in batches.iter_mut() {
                if !b.is_done() && b.has_reached_delivery_timeout(delivery_timeout, now) {
                    expired.push((b.topic_partition().clone(), b.record_count(), b.created()));
                    let n = b.record_count();
                    let err = Error::timeout(
                        TimeoutKind::Delivery,
                        format!(
                            "Expiring {n} record(s) for {}:{} ms has passed since batch creation",
                            b.topic_partition(),
                            now.saturating_duration_since(b.created()).as_millis()
                        ),
                    );
                    b.done(Err(err));
                    self.metrics.records_failed += n as u64;
                }
            }
        }
        for (tp, n, _) in expired {
            log::warn!("Expired {n} in-flight record(s) of {tp} (delivery.timeout.ms)");
        }
    }

    fn delivery_timeout_error(&self, batch: &ProducerBatch, now: Instant) -> Error {
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

    fn send_produce_request(&mut self, node: i32, mut batches: Vec<ProducerBatch>, now: Instant) {
        let version = match self.client.api_version(node, ApiKey::Produce) {
            Ok(v) => v,
            Err(e) => {
                log::error!("Cannot send a Produce request to node {node}: {e}");
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
                };
                for b in batches {
                    self.complete_batch(b, Err(err.clone()), response.correlation_id, now);
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
                    self.complete_batch(b, outcome, response.correlation_id, now);
                }
            }
        }
    }

    fn can_retry(&self, batch: &ProducerBatch, error: &Error, now: Instant) -> bool {
        !batch.has_reached_delivery_timeout(self.config.delivery_timeout, now)
            && (batch.attempts() as i64) < i64::from(self.config.retries)
            && !batch.is_done()
            && error.is_retriable()
    }

    fn complete_batch(
        &mut self,
        mut batch: ProducerBatch,
        outcome: Result<BatchOutcome, Error>,
        correlation_id: i32,
        now: Instant,
    ) {
        let tp = batch.topic_partition().clone();
        match outcome {
            Ok(o) => {
                if batch.done(Ok(o)) {
                    self.metrics.records_acked += batch.record_count() as u64;
                }
                self.accumulator.deallocate(batch);
            }
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
                        | Error::Timeout {
                            kind: TimeoutKind::Request,
                            ..
                        }
                ) {
                    self.metadata.request_update();
                }
                if self.can_retry(&batch, &err, now) {
                    log::warn!(
                        "Got error produce response with correlation id {correlation_id} on topic-partition {tp}, retrying ({} attempts left). Error: {err}",
                        i64::from(self.config.retries) - i64::from(batch.attempts()) - 1
                    );
                    self.metrics.retries += 1;
                    self.accumulator.reenqueue(batch, now);
                } else {
                    if !batch.is_done() {
                        log::debug!("Failing batch for {tp}: {err}");
                    }
                    self.fail_batch(&mut batch, err);
                    self.accumulator.deallocate(batch);
                }
            }
        }
        if self.config.guarantee_message_order {
            self.accumulator.unmute_partition(&tp);
        }
    }

    fn fail_batch(&mut self, batch: &mut ProducerBatch, err: Error) {
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
