//! The transactional producer's step of each round (Java's
//! `Sender.maybeSendAndPollTransactionalRequest`): abort unsent batches of an aborting
//! transaction, pick the next transactional request, find its coordinator, send it, and hand
//! the answer to the [`TxnCore`](crate::producer::internals::transaction_manager::transactional::TxnCore).
//! While a transactional request is out, no Produce request is sent (as Java).

use super::Sender;
use crate::cluster::{Node, TopicPartition};
use crate::error::Error;
use crate::network::kafka_client::KafkaClient;
use crate::network::{ClientResponse, OutboundRequest};
use crate::producer::internals::transaction_manager::ProducerIdAndEpoch;
use crate::producer::internals::transaction_manager::transactional::{
    CoordinatorType, Effects, Transactional, TxnCore, TxnRequest, TxnRequestKind,
};
use crate::protocol::messages::find_coordinator::{KEY_TYPE_GROUP, KEY_TYPE_TRANSACTION};
use crate::protocol::messages::{
    AddOffsetsToTxnRequest, AddOffsetsToTxnResponse, AddPartitionsToTxnRequest,
    AddPartitionsToTxnResponse, AddPartitionsToTxnTopic, Decode, EndTxnRequest, EndTxnResponse,
    FindCoordinatorRequest, FindCoordinatorResponse, InitProducerIdRequest, InitProducerIdResponse,
    TxnOffsetCommitRequest, TxnOffsetCommitRequestPartition, TxnOffsetCommitRequestTopic,
    TxnOffsetCommitResponse,
};
use crate::protocol::{ApiKey, ErrorCode, Reader, Request};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The finalized feature that says which transaction protocol the brokers run (KIP-890).
pub(crate) const TRANSACTION_VERSION_FEATURE: &str = "transaction.version";

/// The transactional request out, with where it went.
#[derive(Debug)]
pub(crate) struct InFlightTxnRequest {
    node: i32,
    correlation_id: i32,
    request: TxnRequest,
}

impl std::fmt::Display for InFlightTxnRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} to node {} (correlation id {})",
            self.request.kind.name(),
            self.node,
            self.correlation_id
        )
    }
}

/// Where the sender's transactional step left the round.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum TxnStep {
    /// A transactional request is out (or was just sent): poll for at most this long and
    /// send no produce data this round.
    Poll(Duration),
    /// Go on with produce data; wake up within this long for a transactional retry.
    Continue(Option<Duration>),
}

impl<C: KafkaClient> Sender<C> {
    fn transactional(&self) -> Option<Arc<Transactional>> {
        self.txn.as_ref()?.transactional_state().cloned()
    }

    /// Whether transactional requests are queued or out (the sender keeps running for them
    /// when closing).
    pub(super) fn has_pending_transactional_requests(&self) -> bool {
        self.txn_in_flight.is_some()
            || self
                .transactional()
                .is_some_and(|t| t.lock().has_pending_requests())
    }

    /// Fails every transactional call still waiting (the request out, the queued ones, a call
    /// whose caller timed out) with `err`, and every later one: the sender is stopping (Java's
    /// `TransactionManager.close` at a forced close).
    pub(super) fn fail_transactional_calls(&mut self, err: &Error) {
        let Some(t) = self.transactional() else {
            return;
        };
        if let Some(r) = self.txn_in_flight.take() {
            r.request.result.fail(err.clone());
        }
        let mut core = t.lock();
        if !core.has_fatal_error() {
            core.transition_to_fatal_error(err.clone());
        }
    }

    /// At close: whether a transaction is open, and if so begins aborting it (Java's
    /// "Aborting incomplete transaction due to shutdown"). False when there is nothing to do
    /// or the abort cannot start.
    pub(super) fn abort_open_transaction_for_close(&mut self) -> bool {
        let Some(t) = self.transactional() else {
            return false;
        };
        let mut core = t.lock();
        if !core.has_ongoing_transaction() {
            return false;
        }
        if !core.is_completing() {
            log::info!(
                "[TransactionalId {}] Aborting incomplete transaction due to shutdown",
                core.transactional_id()
            );
            if let Err(e) = core.begin_abort() {
                log::error!(
                    "Error in kafka producer I/O thread while aborting transaction when during \
                     closing: {e}"
                );
                return false;
            }
        }
        true
    }

    /// The transactional step of a round (Java `maybeSendAndPollTransactionalRequest`).
    pub(super) fn maybe_send_and_poll_transactional_request(&mut self, now: Instant) -> TxnStep {
        let Some(t) = self.transactional() else {
            return TxnStep::Continue(None);
        };
        let backoff = self.config.retry_backoff.max(Duration::from_millis(1));
        if let Some(level) = self.client.finalized_feature(TRANSACTION_VERSION_FEATURE) {
            t.lock().set_broker_transaction_version(level);
        }
        if self.txn_in_flight.is_some() {
            return TxnStep::Poll(backoff);
        }
        let (abort_error, completing) = {
            let core = t.lock();
            let abort_error = if core.has_abortable_error() {
                core.last_error().cloned()
            } else if core.is_aborting() {
                Some(Error::TransactionAborted(
                    "Failing batch since transaction was aborted".into(),
                ))
            } else {
                None
            };
            (abort_error, core.is_completing())
        };
        self.accumulator.set_transaction_completing(completing);
        if let Some(e) = abort_error {
            self.abort_unsequenced_batches(&e);
        }
        let accumulator = self.accumulator.clone();
        let mut core = t.lock();
        let Some(request) = core.next_request(|| accumulator.has_incomplete()) else {
            return TxnStep::Continue(None);
        };
        // A retry waits for its backoff first (Java sleeps the sender thread).
        let mut request = request;
        if request.is_retry {
            match request.not_before {
                None => {
                    let at = now + request.retry_backoff;
                    request.not_before = Some(at);
                    core.push_front(request);
                    return TxnStep::Continue(Some(at - now));
                }
                Some(at) if now < at => {
                    core.push_front(request);
                    return TxnStep::Continue(Some(at - now));
                }
                Some(_) => {}
            }
        }
        let target = match request.kind.coordinator_type() {
            Some(ct) => match core.coordinator(ct).cloned() {
                Some(n) => n,
                None => {
                    log::trace!(
                        "Coordinator not known for {ct:?}, will retry {} after finding \
                         coordinator.",
                        request.kind.name()
                    );
                    let key = core.coordinator_key(&request.kind);
                    core.lookup_coordinator(ct, &key);
                    // It goes right after the FindCoordinator answer.
                    request.is_retry = true;
                    request.not_before = Some(now);
                    core.push_front(request);
                    return TxnStep::Continue(Some(Duration::ZERO));
                }
            },
            None => match self.client.least_loaded_node(now) {
                Some(n) => n,
                None => {
                    log::trace!(
                        "No nodes available to send requests, will poll and retry when until a \
                         node is ready."
                    );
                    core.retry(request);
                    self.metadata.request_update();
                    return TxnStep::Poll(backoff);
                }
            },
        };
        if !self.client.ready(&target, now) {
            // Java waits up to request.timeout.ms for the node (blocking); here the request
            // waits its turn, and after request.timeout.ms of trying the coordinator is looked
            // up again.
            let since = *self.txn_node_wait.get_or_insert((target.id, now));
            let waited = if since.0 == target.id {
                now.saturating_duration_since(since.1)
            } else {
                self.txn_node_wait = Some((target.id, now));
                Duration::ZERO
            };
            if let Some(e) = self.client.authentication_error(target.id) {
                log::error!(
                    "Cannot authenticate with node {target} for {}: {e}",
                    request.kind.name()
                );
                self.txn_node_wait = None;
                core.handle_authentication_failure(request, e);
                return TxnStep::Poll(backoff);
            }
            // No connection and a reconnect backoff running: the connection attempt failed
            // (Java's `awaitNodeReady` throws then): the coordinator may have moved.
            let connection_failed = self.client.connection_failed(target.id, now);
            if waited >= self.config.request_timeout || connection_failed {
                self.txn_node_wait = None;
                log::debug!(
                    "Node {target} is not ready (connection failed, or not ready within \
                     request.timeout.ms); looking up the coordinator again"
                );
                if let Some(ct) = request.kind.coordinator_type() {
                    let key = core.coordinator_key(&request.kind);
                    core.lookup_coordinator(ct, &key);
                } else {
                    self.metadata.request_update();
                }
                request.is_retry = true;
                request.not_before = Some(now + backoff);
                core.push_front(request);
                return TxnStep::Continue(Some(backoff));
            }
            core.push_front(request);
            let delay = self
                .client
                .connection_delay(target.id, now)
                .min(backoff)
                .max(Duration::from_millis(1));
            return TxnStep::Poll(delay);
        }
        self.txn_node_wait = None;
        let producer = self
            .txn
            .as_ref()
            .map_or(ProducerIdAndEpoch::NONE, |tm| tm.producer_id_and_epoch());
        match self.build_txn_request(&mut core, &request, target.id, producer) {
            Ok(out) => {
                log::debug!(
                    "Sending transactional request {} to node {target} with correlation ID {}",
                    request.kind.name(),
                    out.correlation_id
                );
                self.txn_in_flight = Some(InFlightTxnRequest {
                    node: target.id,
                    correlation_id: out.correlation_id,
                    request,
                });
                drop(core);
                self.client.send(target.id, out, now);
            }
            Err(e @ Error::UnsupportedVersion(_)) => {
                log::error!("Cannot send {} to node {target}: {e}", request.kind.name());
                core.handle_unsupported(request, e);
            }
            Err(e) => {
                log::debug!(
                    "Cannot send {} to node {target}: {e}; retrying",
                    request.kind.name()
                );
                core.handle_disconnect(request);
            }
        }
        TxnStep::Poll(backoff)
    }

    /// Fails the queued batches that have no sequence (never sent) with `error`; batches being
    /// retried are sent (their sequences are needed), as Java's `abortUndrainedBatches`.
    fn abort_unsequenced_batches(&mut self, error: &Error) {
        let batches = self.accumulator.take_queued_batches_without_sequence();
        if batches.is_empty() {
            return;
        }
        log::debug!(
            "Aborting {} unsent batch(es) of the transaction: {error}",
            batches.len()
        );
        for mut b in batches {
            if b.done(Err(error.clone())) {
                self.metrics.records_failed += b.record_count() as u64;
            }
            self.accumulator.deallocate(b);
        }
    }

    fn build_txn_request(
        &mut self,
        core: &mut TxnCore,
        request: &TxnRequest,
        node: i32,
        producer: ProducerIdAndEpoch,
    ) -> Result<OutboundRequest, Error> {
        let id = core.transactional_id().to_string();
        let tv2 = core.is_transaction_v2();
        match &request.kind {
            TxnRequestKind::FindCoordinator {
                coordinator_type,
                key,
            } => {
                let key_type = match coordinator_type {
                    CoordinatorType::Group => KEY_TYPE_GROUP,
                    CoordinatorType::Transaction => KEY_TYPE_TRANSACTION,
                };
                self.client.build_request(
                    node,
                    &FindCoordinatorRequest {
                        key: key.clone(),
                        key_type,
                        coordinator_keys: vec![key.clone()],
                    },
                    true,
                )
            }
            TxnRequestKind::InitProducerId { bump } => {
                let version = self.client.api_version(node, ApiKey::InitProducerId)?;
                core.set_coordinator_supports_bumping_epoch(version >= 3);
                let (producer_id, producer_epoch) = if *bump {
                    (producer.producer_id, producer.epoch)
                } else {
                    (-1, -1)
                };
                self.client.build_request(
                    node,
                    &InitProducerIdRequest {
                        transactional_id: Some(id),
                        transaction_timeout_ms: core.transaction_timeout_ms(),
                        producer_id,
                        producer_epoch,
                    },
                    true,
                )
            }
            TxnRequestKind::AddPartitions { partitions } => {
                let mut by_topic: BTreeMap<&str, Vec<i32>> = BTreeMap::new();
                for tp in partitions {
                    by_topic.entry(&tp.topic).or_default().push(tp.partition);
                }
                self.client.build_request(
                    node,
                    &AddPartitionsToTxnRequest {
                        transactional_id: id,
                        producer_id: producer.producer_id,
                        producer_epoch: producer.epoch,
                        topics: by_topic
                            .into_iter()
                            .map(|(name, partitions)| AddPartitionsToTxnTopic {
                                name: name.to_string(),
                                partitions,
                            })
                            .collect(),
                    },
                    true,
                )
            }
            TxnRequestKind::AddOffsets { group } => self.client.build_request(
                node,
                &AddOffsetsToTxnRequest {
                    transactional_id: id,
                    producer_id: producer.producer_id,
                    producer_epoch: producer.epoch,
                    group_id: group.group_id.clone(),
                },
                true,
            ),
            TxnRequestKind::TxnOffsetCommit { group } => {
                let mut by_topic: BTreeMap<String, Vec<TxnOffsetCommitRequestPartition>> =
                    BTreeMap::new();
                for (tp, o) in core.pending_offsets() {
                    by_topic.entry(tp.topic.to_string()).or_default().push(
                        TxnOffsetCommitRequestPartition {
                            partition_index: tp.partition,
                            committed_offset: o.offset,
                            committed_leader_epoch: o.leader_epoch.unwrap_or(-1),
                            committed_metadata: Some(o.metadata.clone()),
                        },
                    );
                }
                let body = TxnOffsetCommitRequest {
                    transactional_id: id,
                    group_id: group.group_id.clone(),
                    producer_id: producer.producer_id,
                    producer_epoch: producer.epoch,
                    generation_id: group.generation_id,
                    member_id: group.member_id.clone(),
                    group_instance_id: group.group_instance_id.clone(),
                    topics: by_topic
                        .into_iter()
                        .map(|(name, partitions)| TxnOffsetCommitRequestTopic { name, partitions })
                        .collect(),
                };
                // v5 adds the group to the transaction implicitly (TV2 only).
                let cap = if tv2 { 5 } else { 4 };
                let version = self
                    .client
                    .api_version(node, ApiKey::TxnOffsetCommit)?
                    .min(cap);
                let has_member = group.generation_id != -1
                    || !group.member_id.is_empty()
                    || group.group_instance_id.is_some();
                if version < 3 && has_member {
                    return Err(Error::UnsupportedVersion(
                        crate::protocol::versions::UnsupportedApi {
                            api: ApiKey::TxnOffsetCommit,
                            ours: (3, 5),
                            broker: Some((0, version)),
                            node: Some(format!(
                                "{node} (group metadata needs TxnOffsetCommit v3, Kafka 2.5)"
                            )),
                        },
                    ));
                }
                self.build_request_at(&body, version)
            }
            TxnRequestKind::EndTxn { commit } => {
                let cap = if tv2 { 5 } else { 4 };
                let version = self.client.api_version(node, ApiKey::EndTxn)?.min(cap);
                self.build_request_at(
                    &EndTxnRequest {
                        transactional_id: id,
                        producer_id: producer.producer_id,
                        producer_epoch: producer.epoch,
                        committed: *commit,
                    },
                    version,
                )
            }
        }
    }

    fn build_request_at<R: Request>(
        &mut self,
        body: &R,
        version: i16,
    ) -> Result<OutboundRequest, Error> {
        let correlation_id = self.client.next_correlation_id();
        let mut buf = Vec::new();
        crate::protocol::encode_request(
            &mut buf,
            body,
            version,
            correlation_id,
            Some(self.client.client_id()),
        );
        Ok(OutboundRequest {
            api: R::API_KEY,
            version,
            correlation_id,
            expect_response: true,
            chunks: vec![crate::network::Chunk::Owned(buf)],
        })
    }

    /// Whether `response` answers the transactional request out.
    pub(super) fn is_transactional_response(&self, response: &ClientResponse) -> bool {
        self.txn_in_flight
            .as_ref()
            .is_some_and(|r| r.node == response.node && r.correlation_id == response.correlation_id)
    }

    /// Hands the answer to the transactional request out to the state machine and applies
    /// what follows (a new producer id or epoch).
    pub(super) fn handle_transactional_response(&mut self, response: ClientResponse, now: Instant) {
        let Some(InFlightTxnRequest { request, .. }) = self.txn_in_flight.take() else {
            return;
        };
        let Some(t) = self.transactional() else {
            return;
        };
        let body = match response.body {
            Ok(Some(body)) => body,
            Ok(None) | Err(_) => {
                log::debug!(
                    "Disconnected from node {} while awaiting {}; will retry",
                    response.node,
                    request.kind.name()
                );
                t.lock().handle_disconnect(request);
                return;
            }
        };
        let version = response.version;
        let api = response.api;
        let mut core = t.lock();
        let mut throttle_ms = 0;
        let effects = match decode_txn_response(api, version, &body) {
            Err(e) => {
                log::warn!(
                    "Invalid {} response from node {}: {e}; retrying",
                    request.kind.name(),
                    response.node
                );
                core.handle_disconnect(request);
                Effects::default()
            }
            Ok(TxnResponse::FindCoordinator(r)) => {
                throttle_ms = r.throttle_time_ms;
                let (code, message, node) = if version >= 4 {
                    match r.coordinators.into_iter().next() {
                        Some(c) => (
                            c.error_code,
                            c.error_message,
                            node_of(c.node_id, &c.host, c.port),
                        ),
                        None => (ErrorCode::COORDINATOR_NOT_AVAILABLE, None, None),
                    }
                } else {
                    (
                        r.error_code,
                        r.error_message,
                        node_of(r.node_id, &r.host, r.port),
                    )
                };
                core.handle_find_coordinator(request, code, message, node);
                Effects::default()
            }
            Ok(TxnResponse::InitProducerId(r)) => {
                throttle_ms = r.throttle_time_ms;
                core.handle_init_producer_id(
                    request,
                    r.error_code,
                    ProducerIdAndEpoch {
                        producer_id: r.producer_id,
                        epoch: r.producer_epoch,
                    },
                )
            }
            Ok(TxnResponse::AddPartitions(r)) => {
                throttle_ms = r.throttle_time_ms;
                let errors: Vec<(TopicPartition, ErrorCode)> = r
                    .results
                    .iter()
                    .flat_map(|t| {
                        t.results.iter().map(move |p| {
                            (
                                TopicPartition::new(t.name.as_str(), p.partition_index),
                                p.error_code,
                            )
                        })
                    })
                    .collect();
                core.handle_add_partitions(request, &errors);
                Effects::default()
            }
            Ok(TxnResponse::AddOffsets(r)) => {
                throttle_ms = r.throttle_time_ms;
                core.handle_add_offsets(request, r.error_code);
                Effects::default()
            }
            Ok(TxnResponse::TxnOffsetCommit(r)) => {
                throttle_ms = r.throttle_time_ms;
                let errors: Vec<(TopicPartition, ErrorCode)> = r
                    .topics
                    .iter()
                    .flat_map(|t| {
                        t.partitions.iter().map(move |p| {
                            (
                                TopicPartition::new(t.name.as_str(), p.partition_index),
                                p.error_code,
                            )
                        })
                    })
                    .collect();
                core.handle_txn_offset_commit(request, &errors);
                Effects::default()
            }
            Ok(TxnResponse::EndTxn(r)) => {
                throttle_ms = r.throttle_time_ms;
                let producer = (r.producer_id >= 0).then_some(ProducerIdAndEpoch {
                    producer_id: r.producer_id,
                    epoch: r.producer_epoch,
                });
                core.handle_end_txn(request, r.error_code, producer)
            }
        };
        let completing = core.is_completing();
        drop(core);
        self.accumulator.set_transaction_completing(completing);
        if throttle_ms > 0 {
            self.client.throttle(
                response.node,
                Duration::from_millis(throttle_ms as u64),
                now,
            );
        }
        if let Some(p) = effects.producer {
            if let Some(tm) = self.txn.as_mut() {
                let rewrites = tm.set_producer_id_and_epoch(p);
                self.apply_transactional_rewrites(rewrites);
            }
        }
    }
}

fn node_of(id: i32, host: &str, port: i32) -> Option<Node> {
    let port = u16::try_from(port).ok()?;
    (id >= 0 && !host.is_empty()).then(|| Node::new(id, host, port))
}

/// A decoded transactional response.
enum TxnResponse {
    FindCoordinator(FindCoordinatorResponse),
    InitProducerId(InitProducerIdResponse),
    AddPartitions(AddPartitionsToTxnResponse),
    AddOffsets(AddOffsetsToTxnResponse),
    TxnOffsetCommit(TxnOffsetCommitResponse),
    EndTxn(EndTxnResponse),
}

fn decode_txn_response(
    api: ApiKey,
    version: i16,
    body: &[u8],
) -> Result<TxnResponse, crate::protocol::DecodeError> {
    let mut r = Reader::new(body, api.name());
    Ok(match api {
        ApiKey::FindCoordinator => {
            TxnResponse::FindCoordinator(FindCoordinatorResponse::decode(version, &mut r)?)
        }
        ApiKey::InitProducerId => {
            TxnResponse::InitProducerId(InitProducerIdResponse::decode(version, &mut r)?)
        }
        ApiKey::AddPartitionsToTxn => {
            TxnResponse::AddPartitions(AddPartitionsToTxnResponse::decode(version, &mut r)?)
        }
        ApiKey::AddOffsetsToTxn => {
            TxnResponse::AddOffsets(AddOffsetsToTxnResponse::decode(version, &mut r)?)
        }
        ApiKey::TxnOffsetCommit => {
            TxnResponse::TxnOffsetCommit(TxnOffsetCommitResponse::decode(version, &mut r)?)
        }
        ApiKey::EndTxn => TxnResponse::EndTxn(EndTxnResponse::decode(version, &mut r)?),
        _ => {
            return Err(r.error(
                "api",
                crate::protocol::DecodeErrorKind::UnsupportedVersion(version),
            ));
        }
    })
}
