//! Produce requests: building and sending them (Java `Sender.sendProduceRequest`), and handling
//! their responses: complete, retry, split or fail each batch (Java `Sender.handleProduceResponse`,
//! `completeBatch`, `canRetry`).

use super::Sender;
use crate::cluster::TopicPartition;
use crate::error::{Error, TimeoutKind};
use crate::network::kafka_client::KafkaClient;
use crate::network::{Chunk, ClientResponse, Disconnect, OutboundRequest};
use crate::producer::delivery::BatchOutcome;
use crate::producer::internals::batch::ProducerBatch;
use crate::producer::internals::transaction_manager::RetryDecision;
use crate::protocol::messages::produce::FIRST_ZSTD_VERSION;
use crate::protocol::messages::{
    Decode, PartitionProduceData, ProduceRequest, ProduceResponse, TopicProduceData,
};
use crate::protocol::record_batch::Compression;
use crate::protocol::{ApiKey, ErrorCode, Reader};
use rustc_hash::FxHashMap as HashMap;
use std::sync::Arc;
use std::time::Instant;

impl<C: KafkaClient> Sender<C> {
    /// KIP-951: partitions answered NOT_LEADER_OR_FOLLOWER or FENCED_LEADER_EPOCH with the
    /// current leader and its endpoint take that leader in the metadata snapshot at once, so
    /// that the retry goes there without a metadata round trip (Java `Sender` with
    /// `updatePartitionLeadership`). A metadata update is still requested, as Java does.
    fn apply_leader_hints(
        &self,
        results: &HashMap<TopicPartition, &crate::protocol::messages::PartitionProduceResponse>,
        endpoints: &[crate::protocol::messages::produce::NodeEndpoint],
    ) {
        let leaders: Vec<(TopicPartition, i32, i32)> = results
            .iter()
            .filter(|(_, p)| {
                p.error_code == ErrorCode::NOT_LEADER_OR_FOLLOWER
                    || p.error_code == ErrorCode::FENCED_LEADER_EPOCH
            })
            .filter_map(|(tp, p)| {
                let l = p.current_leader.as_ref()?;
                (l.leader_id >= 0 && l.leader_epoch >= 0)
                    .then(|| (tp.clone(), l.leader_id, l.leader_epoch))
            })
            .collect();
        if leaders.is_empty() {
            return;
        }
        let nodes: Vec<crate::cluster::Node> = endpoints
            .iter()
            .filter(|e| e.node_id >= 0)
            .filter_map(|e| {
                let port = u16::try_from(e.port).ok()?;
                let mut n = crate::cluster::Node::new(e.node_id, e.host.clone(), port);
                n.rack = e.rack.clone();
                Some(n)
            })
            .collect();
        self.metadata.update_partition_leadership(&leaders, &nodes);
    }

    /// Brokers before Kafka 2.1 (highest common Produce version below 7) reject zstd batches
    /// (KIP-110): fails those at once with a non-retriable `UNSUPPORTED_COMPRESSION_TYPE` naming
    /// zstd, the broker and Produce v7 (Java's `UnsupportedCompressionTypeException` from
    /// `ProduceRequest.Builder`), and returns the others.
    fn fail_zstd_batches(
        &mut self,
        node: i32,
        version: i16,
        batches: Vec<ProducerBatch>,
    ) -> Vec<ProducerBatch> {
        let (zstd, rest): (Vec<_>, Vec<_>) = batches
            .into_iter()
            .partition(|b| b.compression().codec == Compression::Zstd);
        if zstd.is_empty() {
            return rest;
        }
        let err = Error::Broker {
            code: ErrorCode::UNSUPPORTED_COMPRESSION_TYPE,
            message: Some(format!(
                "compression.type=zstd needs Produce v{FIRST_ZSTD_VERSION} (Kafka 2.1 or newer), \
                 but broker {node} supports at most Produce v{version}"
            )),
        };
        log::error!(
            "Failing {} zstd batch(es) for node {node}: {err}",
            zstd.len()
        );
        for mut b in zstd {
            super::abandon_batch(
                &mut self.txn,
                &mut self.metrics,
                &mut self.sensors,
                &mut b,
                err.clone(),
            );
            self.accumulator.deallocate(b);
        }
        rest
    }

    pub(super) fn send_produce_request(
        &mut self,
        node: i32,
        mut batches: Vec<ProducerBatch>,
        now: Instant,
    ) {
        let version = match self.client.api_version(node, ApiKey::Produce) {
            // Produce v12 adds partitions to a transaction implicitly (KIP-890): a
            // transactional producer speaks it only under transaction version 2.
            Ok(v) if self.transactional_id.is_some() && !self.transaction_v2() => v.min(11),
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
        if version < FIRST_ZSTD_VERSION {
            batches = self.fail_zstd_batches(node, version, batches);
            if batches.is_empty() {
                return;
            }
        }
        // Group by topic, keeping drain order.
        let mut order: Vec<std::sync::Arc<str>> = Vec::new();
        let mut by_topic: HashMap<std::sync::Arc<str>, Vec<usize>> = HashMap::default();
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
            transactional_id: self.transactional_id.clone(),
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
        self.sensors.update_produce_request_metrics(&batches, now);
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

    pub(super) fn handle_response(&mut self, response: ClientResponse, now: Instant) {
        if self.is_transactional_response(&response) {
            self.handle_transactional_response(response, now);
            return;
        }
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
                    Disconnect::Authentication(e) => e,
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
                self.sensors
                    .record_latency(response.node, response.latency, now);
                self.sensors.record_throttle(parsed.throttle_time_ms, now);
                self.client.throttle(
                    response.node,
                    std::time::Duration::from_millis(parsed.throttle_time_ms.max(0) as u64),
                    now,
                );
                let mut results: HashMap<TopicPartition, _> = HashMap::default();
                for t in &parsed.responses {
                    for p in &t.partitions {
                        results.insert(TopicPartition::new(t.name.as_str(), p.index), p);
                    }
                }
                self.apply_leader_hints(&results, &parsed.node_endpoints);
                for mut b in batches {
                    let result = results.get(b.topic_partition()).copied();
                    let outcome = match result {
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
                                b.set_record_errors(record_errors(p));
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
                    let log_start_offset = result.map_or(-1, |p| p.log_start_offset);
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
                            self.sensors.record_batch_split(now);
                        }
                        Err(failed) => {
                            let (mut batch, e) = *failed;
                            log::error!("Cannot split the batch for {tp}: {e}");
                            if let Some(t) =
                                self.txn.as_ref().and_then(|tm| tm.transactional_state())
                            {
                                t.lock().batch_failed(&err);
                            }
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
                    self.sensors
                        .record_retries(&tp.topic, batch.record_count(), now);
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
                    if !batch.is_done() {
                        // Before the records complete, as Java's `failBatch`.
                        self.sensors
                            .record_errors(&tp.topic, batch.record_count(), Some(now));
                    }
                    let failed_now = batch.done(Err(err.clone()));
                    if failed_now {
                        self.metrics.records_failed += batch.record_count() as u64;
                    }
                    if let (Some(tm), Some(seq)) = (self.txn.as_mut(), seq) {
                        if failed_now {
                            let rewrites = tm.handle_failed_batch(&tp, &seq, &err, adjust);
                            self.apply_transactional_rewrites(rewrites);
                        } else if let Some(t) = tm.transactional_state() {
                            // Failed already (expired): the transaction still learns it.
                            t.lock().batch_failed(&err);
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

    fn transaction_v2(&self) -> bool {
        self.txn
            .as_ref()
            .and_then(|tm| tm.transactional_state())
            .is_some_and(|t| t.lock().is_transaction_v2())
    }

    fn fail_batch(&mut self, batch: &mut ProducerBatch, err: Error) {
        if let (Some(tm), Some(seq)) = (self.txn.as_mut(), batch.sequence()) {
            tm.forget_batch(batch.topic_partition(), seq.id);
        }
        if !batch.is_done() {
            // Before the records complete, as Java's `failBatch`.
            self.sensors
                .record_errors(&batch.topic_partition().topic, batch.record_count(), None);
        }
        if batch.done(Err(err)) {
            self.metrics.records_failed += batch.record_count() as u64;
        }
    }

    pub(super) fn abort_in_flight(&mut self, err: &Error) {
        let all: Vec<ProducerBatch> = self.in_flight.drain().flat_map(|(_, v)| v).collect();
        for mut b in all {
            self.fail_batch(&mut b, err.clone());
            self.accumulator.deallocate(b);
        }
    }
}

/// The per-record errors of a partition the broker refused for some of its records (KIP-467),
/// as Java's `Sender.completeBatch`: a record named alone gets the partition's error code,
/// several named get INVALID_RECORD each with its own message, the others a generic error.
fn record_errors(
    p: &crate::protocol::messages::PartitionProduceResponse,
) -> crate::producer::delivery::RecordErrors {
    let single = p.record_errors.len() == 1;
    let by_index = p
        .record_errors
        .iter()
        .map(|e| {
            let message = e.message.clone().or_else(|| p.error_message.clone());
            let code = if single {
                p.error_code
            } else {
                ErrorCode::INVALID_RECORD
            };
            (e.batch_index, Error::broker(code, message))
        })
        .collect();
    crate::producer::delivery::RecordErrors {
        by_index,
        others: Error::broker(
            p.error_code,
            Some(
                "Failed to append record because it was part of a batch which had one or more \
                 invalid records"
                    .into(),
            ),
        ),
    }
}
