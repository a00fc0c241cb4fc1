//! The idempotent producer's step of each round (Java `Sender.runOnce` with a
//! `TransactionManager`): resolving sequences, bumping the epoch, InitProducerId and its response.

use super::Sender;
use crate::cluster::TopicPartition;
use crate::error::Error;
use crate::network::ClientResponse;
use crate::network::kafka_client::KafkaClient;
use crate::producer::internals::transaction_manager::{InitState, ProducerIdAndEpoch, Rewrite};
use crate::protocol::messages::{Decode, InitProducerIdRequest, InitProducerIdResponse};
use crate::protocol::{ErrorCode, Reader};
use std::time::{Duration, Instant};

impl<C: KafkaClient> Sender<C> {
    /// The idempotent producer's step before sending (Java `Sender.runOnce` with a
    /// `TransactionManager`): resolve sequences, handle a fatal error, bump the epoch, and get a
    /// producer id. Returns the poll timeout when no produce data may be sent this round.
    pub(super) fn maybe_handle_idempotence(&mut self, now: Instant) -> Option<Duration> {
        let backoff = self.config.retry_backoff.max(Duration::from_millis(1));
        let tm = self.txn.as_mut()?;
        tm.maybe_resolve_sequences();
        let fatal = match tm.transactional_state().cloned() {
            // A transactional producer's fatal error is the state machine's (ProducerFenced,
            // TransactionFatal); one the sequences found is made the state machine's too.
            Some(t) => {
                let mut core = t.lock();
                if !core.has_fatal_error() {
                    if let Some(e) = tm.fatal_error().cloned() {
                        core.batch_failed(&e);
                        if !core.has_fatal_error() {
                            core.transition_to_fatal_error(Error::TransactionFatal {
                                message: "the producer entered a fatal state".into(),
                                cause: Box::new(e),
                            });
                        }
                    }
                }
                let e = core
                    .has_fatal_error()
                    .then(|| core.last_error().cloned())
                    .flatten();
                drop(core);
                if let Some(e) = &e {
                    tm.set_fatal(e.clone());
                }
                e
            }
            None => tm.fatal_error().cloned(),
        };
        if let Some(err) = fatal {
            if !self
                .control
                .has_fatal_error
                .load(std::sync::atomic::Ordering::Relaxed)
            {
                self.control.set_fatal_error(err.clone());
            }
            self.abort_in_flight(&err);
            self.abort_queued_batches(&err);
            return Some(backoff);
        }
        if tm.is_transactional() {
            // The transaction coordinator gives producer ids and epochs (the transactional
            // step); no local epoch bump.
            tm.sync_transaction_partitions();
            return None;
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

    pub(super) fn handle_init_producer_id_response(
        &mut self,
        response: ClientResponse,
        now: Instant,
    ) {
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
        if let Ok(r) = &parsed {
            self.client.throttle(
                response.node,
                Duration::from_millis(r.throttle_time_ms.max(0) as u64),
                now,
            );
        }
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
                self.abort_queued_batches(&err);
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

    /// Applies the rewrites of a new producer id or epoch from the transaction coordinator.
    pub(super) fn apply_transactional_rewrites(
        &mut self,
        rewrites: Vec<(TopicPartition, Rewrite)>,
    ) {
        self.apply_rewrites(rewrites);
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
}
