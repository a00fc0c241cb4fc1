//! `TransactionManager`: the idempotent producer's state (Java's `TransactionManager` with
//! `TxnPartitionMap`, idempotent branches only; KIP-98, KIP-360, KIP-679).
//!
//! It holds the producer id and epoch, and per partition the next sequence number, the last
//! acknowledged sequence and offset, and the batches that have a sequence but no final outcome
//! ("in flight", whether inside a request or queued for a retry). It decides whether a failed
//! batch may be retried, when the epoch must be bumped, and what the new sequences of the
//! affected batches are.
//!
//! It is sans-IO and owns no batch: batches are named by their id and described by their
//! [`BatchSequence`]; when sequences are rewritten it returns [`Rewrite`]s that the sender
//! applies to the batches it and the accumulator hold. Only the sender thread uses it.

use crate::cluster::TopicPartition;
use crate::error::Error;
use crate::protocol::ErrorCode;
use crate::protocol::record_batch::{NO_PRODUCER_EPOCH, NO_PRODUCER_ID, NO_SEQUENCE};
use rustc_hash::FxHashMap as HashMap;
use std::collections::HashSet;
use std::sync::Arc;
use transactional::Transactional;

/// A producer id and epoch; invalid (-1, -1) until InitProducerId answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProducerIdAndEpoch {
    /// Producer id, -1 when none.
    pub producer_id: i64,
    /// Epoch, -1 when none.
    pub epoch: i16,
}

impl ProducerIdAndEpoch {
    /// No producer id yet.
    pub const NONE: ProducerIdAndEpoch = ProducerIdAndEpoch {
        producer_id: NO_PRODUCER_ID,
        epoch: NO_PRODUCER_EPOCH,
    };

    /// Whether a producer id was assigned.
    pub fn is_valid(&self) -> bool {
        self.producer_id > NO_PRODUCER_ID
    }
}

/// What the manager knows of one batch: its id, its producer id and epoch, its base
/// sequence and its record count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchSequence {
    /// The batch's unique id.
    pub id: u64,
    /// The producer id and epoch the sequence belongs to.
    pub producer: ProducerIdAndEpoch,
    /// The sequence of the batch's first record.
    pub base_sequence: i32,
    /// Records in the batch.
    pub record_count: i32,
    /// Whether the batch belongs to a transaction (the transactional bit of its header).
    pub is_transactional: bool,
}

impl BatchSequence {
    /// Sequence of the batch's last record (wrapping as Kafka's sequences do).
    pub fn last_sequence(&self) -> i32 {
        increment_sequence(self.base_sequence, self.record_count - 1)
    }

    fn sort_key(&self) -> (ProducerIdAndEpoch, i32) {
        (self.producer, self.base_sequence)
    }
}

/// A new producer state for a batch whose sequence was reset by an epoch bump.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rewrite {
    /// The batch.
    pub id: u64,
    /// Its partition.
    pub tp_partition: i32,
    /// The new producer id and epoch.
    pub producer: ProducerIdAndEpoch,
    /// The new base sequence.
    pub base_sequence: i32,
}

/// Kafka's sequence arithmetic: wraps from `i32::MAX` to 0 (`DefaultRecordBatch.incrementSequence`).
pub(crate) fn increment_sequence(sequence: i32, increment: i32) -> i32 {
    if sequence > i32::MAX - increment {
        increment - (i32::MAX - sequence) - 1
    } else {
        sequence + increment
    }
}

#[derive(Debug, Clone)]
struct PartitionEntry {
    producer: ProducerIdAndEpoch,
    next_sequence: i32,
    last_acked_sequence: i32,
    last_acked_offset: i64,
    /// Sorted by (producer, base sequence).
    in_flight: Vec<BatchSequence>,
}

impl Default for PartitionEntry {
    fn default() -> Self {
        PartitionEntry {
            producer: ProducerIdAndEpoch::NONE,
            next_sequence: 0,
            last_acked_sequence: -1,
            last_acked_offset: -1,
            in_flight: Vec::new(),
        }
    }
}

impl PartitionEntry {
    fn start_sequences_at_beginning(
        &mut self,
        tp: &TopicPartition,
        producer: ProducerIdAndEpoch,
        out: &mut Vec<(TopicPartition, Rewrite)>,
    ) {
        let mut sequence = 0;
        for b in self.in_flight.iter_mut() {
            b.producer = producer;
            b.base_sequence = sequence;
            out.push((
                tp.clone(),
                Rewrite {
                    id: b.id,
                    tp_partition: tp.partition,
                    producer,
                    base_sequence: sequence,
                },
            ));
            sequence = increment_sequence(sequence, b.record_count);
        }
        self.in_flight.sort_by_key(BatchSequence::sort_key);
        self.producer = producer;
        self.next_sequence = sequence;
        self.last_acked_sequence = -1;
    }
}

/// Where the InitProducerId exchange stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InitState {
    /// No producer id and no request in flight: one must be sent.
    Needed,
    /// A request is in flight.
    InFlight,
    /// The producer id is known.
    Ready,
}

/// Whether a failed batch goes back for a retry, and what else to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryDecision {
    /// Retry the batch.
    Retry,
    /// Do not retry (the error is final for this batch).
    Fail,
}

/// The idempotent producer's state.
#[derive(Debug)]
pub struct TransactionManager {
    producer: ProducerIdAndEpoch,
    init: InitState,
    partitions: HashMap<TopicPartition, PartitionEntry>,
    epoch_bump_required: bool,
    partitions_to_rewrite: HashSet<TopicPartition>,
    unresolved: HashMap<TopicPartition, i32>,
    fatal: Option<Error>,
    next_batch_id: u64,
    /// The transactional state, for a producer with a `transactional.id`.
    transactional: Option<Arc<Transactional>>,
    /// The partitions whose batches may be sent (those in the transaction), with the version
    /// of the transactional state they were copied at.
    sendable: Option<(u64, HashSet<TopicPartition>)>,
}

impl Default for TransactionManager {
    fn default() -> Self {
        Self::new()
    }
}

impl TransactionManager {
    /// A manager without a producer id.
    pub fn new() -> Self {
        TransactionManager {
            producer: ProducerIdAndEpoch::NONE,
            init: InitState::Needed,
            partitions: HashMap::default(),
            epoch_bump_required: false,
            partitions_to_rewrite: HashSet::new(),
            unresolved: HashMap::default(),
            fatal: None,
            next_batch_id: 1,
            transactional: None,
            sendable: None,
        }
    }

    /// A manager for a transactional producer: sequences as for an idempotent one, but epochs
    /// come from the transaction coordinator, failures make the transaction abortable, and only
    /// the partitions of the open transaction are drained.
    pub(crate) fn transactional(state: Arc<Transactional>) -> Self {
        TransactionManager {
            transactional: Some(state),
            sendable: Some((u64::MAX, HashSet::new())),
            ..Self::new()
        }
    }

    /// The transactional state, if the producer is transactional.
    pub(crate) fn transactional_state(&self) -> Option<&Arc<Transactional>> {
        self.transactional.as_ref()
    }

    /// Whether the producer is transactional.
    pub fn is_transactional(&self) -> bool {
        self.transactional.is_some()
    }

    /// Copies the partitions of the open transaction when they changed (each sender round,
    /// before draining).
    pub fn sync_transaction_partitions(&mut self) {
        let (Some(t), Some((seen, set))) = (&self.transactional, self.sendable.as_mut()) else {
            return;
        };
        if let Some((version, partitions)) = t.lock().partitions_if_changed(*seen) {
            *seen = version;
            *set = partitions;
        }
    }

    /// A fresh batch id.
    pub fn next_batch_id(&mut self) -> u64 {
        let id = self.next_batch_id;
        self.next_batch_id += 1;
        id
    }

    /// The current producer id and epoch.
    pub fn producer_id_and_epoch(&self) -> ProducerIdAndEpoch {
        self.producer
    }

    /// Where the InitProducerId exchange stands.
    pub fn init_state(&self) -> InitState {
        self.init
    }

    /// The fatal error, once one happened (every later send fails with it).
    pub fn fatal_error(&self) -> Option<&Error> {
        self.fatal.as_ref()
    }

    /// Enters the fatal state.
    pub fn set_fatal(&mut self, error: Error) {
        if self.fatal.is_none() {
            log::error!("The idempotent producer entered a fatal state: {error}");
            self.fatal = Some(error);
        }
    }

    /// Marks an InitProducerId request as sent.
    pub fn init_sent(&mut self) {
        self.init = InitState::InFlight;
    }

    /// An InitProducerId attempt failed in a retriable way: try again later.
    pub fn init_failed(&mut self) {
        if self.init == InitState::InFlight {
            self.init = InitState::Needed;
        }
    }

    /// InitProducerId answered: adopt the id and epoch. Partitions waiting for a rewrite (an
    /// epoch overflow reset the id, or a bump was requested while the new id was awaited) are
    /// rewritten now; the returned rewrites must be applied. A pending bump request is served
    /// by the new id (bumping its epoch too would only leave the rewritten batches stale).
    pub fn set_producer_id_and_epoch(
        &mut self,
        producer: ProducerIdAndEpoch,
    ) -> Vec<(TopicPartition, Rewrite)> {
        log::info!(
            "ProducerId set to {} with epoch {}",
            producer.producer_id,
            producer.epoch
        );
        self.producer = producer;
        self.init = InitState::Ready;
        self.epoch_bump_required = false;
        self.rewrite_requested_partitions()
    }

    fn entry(&mut self, tp: &TopicPartition) -> &mut PartitionEntry {
        self.partitions.entry(tp.clone()).or_default()
    }

    /// Whether the partition's sequences belong to another producer id or epoch.
    pub fn has_stale_producer_id_and_epoch(&self, tp: &TopicPartition) -> bool {
        self.partitions
            .get(tp)
            .is_none_or(|e| e.producer != self.producer)
    }

    /// Whether batches of the partition have a sequence and no final outcome.
    pub fn has_in_flight_batches(&self, tp: &TopicPartition) -> bool {
        self.partitions
            .get(tp)
            .is_some_and(|e| !e.in_flight.is_empty())
    }

    /// Whether an expired batch left the partition's sequence state unknown.
    pub fn has_unresolved_sequence(&self, tp: &TopicPartition) -> bool {
        self.unresolved.contains_key(tp)
    }

    /// The sequence the partition's next new batch gets.
    pub fn sequence_number(&self, tp: &TopicPartition) -> i32 {
        self.partitions.get(tp).map_or(0, |e| e.next_sequence)
    }

    /// The last acknowledged sequence, -1 when none.
    pub fn last_acked_sequence(&self, tp: &TopicPartition) -> i32 {
        self.partitions
            .get(tp)
            .map_or(-1, |e| e.last_acked_sequence)
    }

    /// The last acknowledged offset, -1 when none.
    pub fn last_acked_offset(&self, tp: &TopicPartition) -> i64 {
        self.partitions.get(tp).map_or(-1, |e| e.last_acked_offset)
    }

    /// Base sequence of the partition's lowest in-flight batch, -1 when none.
    pub fn first_in_flight_sequence(&self, tp: &TopicPartition) -> i32 {
        self.partitions
            .get(tp)
            .and_then(|e| e.in_flight.first())
            .map_or(NO_SEQUENCE, |b| b.base_sequence)
    }

    fn is_next_sequence(&self, tp: &TopicPartition, sequence: i32) -> bool {
        i64::from(sequence) - i64::from(self.last_acked_sequence(tp)) == 1
    }

    /// Whether a batch starting at `sequence` lies at or below the last acknowledged sequence
    /// (modulo Kafka's wrap-around): a later batch of the same epoch was written although
    /// this one was not. No batch still to come can fill such a gap.
    fn is_behind_last_acked(&self, tp: &TopicPartition, sequence: i32) -> bool {
        let acked = self.last_acked_sequence(tp);
        if acked < 0 {
            return false;
        }
        // Sequences live in [0, i32::MAX]; "behind" is a distance below half that range.
        let behind = (i64::from(acked) - i64::from(sequence)).rem_euclid(1i64 << 31);
        behind < (1i64 << 30)
    }

    fn is_next_sequence_for_unresolved_partition(
        &self,
        tp: &TopicPartition,
        sequence: i32,
    ) -> bool {
        self.unresolved.get(tp) == Some(&sequence)
    }

    /// Java's `shouldStopDrainBatchesForPartition`: whether the partition's first queued batch
    /// (`first`: its sequence, `None` if it never got one) must wait.
    ///
    /// One rule goes beyond Java's: while nothing of the partition was acknowledged under the
    /// current producer id and epoch, a new batch waits until the one in flight is answered.
    /// A broker that has no state yet for this producer on the partition (its first write,
    /// or state lost to retention) accepts *any* sequence (Kafka's `ProducerAppendInfo`), so
    /// if the first batch failed with a retriable error (say `NOT_LEADER_OR_FOLLOWER` on a
    /// topic created a moment ago) a second batch in flight behind it would be written first
    /// and the first could never follow (`OUT_OF_ORDER_SEQUENCE_NUMBER` for ever). With one
    /// batch in flight until the first acknowledgement, the broker's state always starts at
    /// the partition's first sequence. It costs one round trip per partition and epoch.
    pub fn should_stop_drain(&self, tp: &TopicPartition, first: Option<i32>) -> bool {
        if self.fatal.is_some() || !self.producer.is_valid() {
            return true;
        }
        // Java's `isSendToPartitionAllowed`: a transactional batch waits until its partition
        // is in the transaction.
        if let Some((_, sendable)) = &self.sendable {
            if !sendable.contains(tp) {
                return true;
            }
        }
        // One lookup of the partition's state: this runs for every batch drained.
        let entry = self.partitions.get(tp);
        let first_in_flight = entry.and_then(|e| e.in_flight.first());
        match first {
            None => {
                if self.has_unresolved_sequence(tp) {
                    return true;
                }
                // With batches in flight: wait while they belong to another producer id or
                // epoch, or while none of the partition was acknowledged yet.
                entry.is_some_and(|e| {
                    !e.in_flight.is_empty()
                        && (e.producer != self.producer || e.last_acked_sequence < 0)
                })
            }
            // A retried batch waits unless it is the lowest sequence in flight.
            Some(s) => first_in_flight.is_some_and(|b| b.base_sequence != s),
        }
    }

    /// Assigns the sequence of a batch drained for the first time (Java: `maybeUpdateProducerIdAndEpoch`,
    /// `setProducerState`, `incrementSequenceNumber`, `addInFlightBatch`).
    pub fn assign_sequence(
        &mut self,
        tp: &TopicPartition,
        id: u64,
        record_count: i32,
    ) -> BatchSequence {
        let producer = self.producer;
        let is_transactional = self.transactional.is_some();
        if self.has_stale_producer_id_and_epoch(tp) && !self.has_in_flight_batches(tp) {
            let mut ignored = Vec::new();
            self.entry(tp)
                .start_sequences_at_beginning(tp, producer, &mut ignored);
        }
        let e = self.entry(tp);
        let b = BatchSequence {
            id,
            producer,
            base_sequence: e.next_sequence,
            record_count,
            is_transactional,
        };
        e.next_sequence = increment_sequence(e.next_sequence, record_count);
        e.in_flight.push(b);
        e.in_flight.sort_by_key(BatchSequence::sort_key);
        b
    }

    /// Tracks a batch that got its sequence elsewhere (a split batch).
    pub fn add_in_flight_batch(&mut self, tp: &TopicPartition, b: BatchSequence) {
        let e = self.entry(tp);
        e.in_flight.push(b);
        e.in_flight.sort_by_key(BatchSequence::sort_key);
    }

    fn remove_in_flight_batch(&mut self, tp: &TopicPartition, id: u64) {
        if let Some(e) = self.partitions.get_mut(tp) {
            e.in_flight.retain(|b| b.id != id);
        }
    }

    /// Java `TransactionManager.canRetry` (idempotent branches), for a batch that failed with
    /// `error` (the sender has already checked attempts and the delivery timeout).
    /// `sequence_has_been_reset`: the batch was rewritten by an epoch bump since it was sent.
    pub fn can_retry(
        &mut self,
        tp: &TopicPartition,
        batch: &BatchSequence,
        sequence_has_been_reset: bool,
        error: ErrorCode,
        log_start_offset: i64,
    ) -> RetryDecision {
        if error == ErrorCode::UNKNOWN_PRODUCER_ID {
            if log_start_offset == -1 || sequence_has_been_reset {
                return RetryDecision::Retry;
            }
            // A transactional batch fails: the transaction becomes abortable (with an epoch
            // bump where the coordinator supports one).
            if self.is_transactional() {
                return RetryDecision::Fail;
            }
            self.request_epoch_bump_for_partition(tp);
            return RetryDecision::Retry;
        }
        if error == ErrorCode::OUT_OF_ORDER_SEQUENCE_NUMBER && self.is_transactional() {
            // Java: retried unless the batch is the next one (then there is a real gap).
            return if !self.has_unresolved_sequence(tp)
                && (sequence_has_been_reset || !self.is_next_sequence(tp, batch.base_sequence))
            {
                RetryDecision::Retry
            } else {
                RetryDecision::Fail
            };
        }
        if error == ErrorCode::OUT_OF_ORDER_SEQUENCE_NUMBER {
            if !sequence_has_been_reset && self.is_behind_last_acked(tp, batch.base_sequence) {
                // A later batch was written past this one (a broker without state for this
                // producer accepts any sequence): the gap is behind an acknowledged write and
                // nothing in flight can fill it. Java would retry this for ever; restart the
                // partition's sequences under a new epoch instead.
                log::warn!(
                    "Batch at sequence {} of {tp} is behind the last acknowledged sequence {}: bumping the epoch",
                    batch.base_sequence,
                    self.last_acked_sequence(tp)
                );
                self.request_epoch_bump_for_partition(tp);
                return RetryDecision::Retry;
            }
            if !self.has_unresolved_sequence(tp)
                && (sequence_has_been_reset || !self.is_next_sequence(tp, batch.base_sequence))
            {
                return RetryDecision::Retry;
            }
            if !self.has_unresolved_sequence(tp)
                || self.is_next_sequence_for_unresolved_partition(tp, batch.base_sequence)
            {
                self.request_epoch_bump_for_partition(tp);
            }
            return RetryDecision::Retry;
        }
        if error.is_retriable() {
            RetryDecision::Retry
        } else {
            RetryDecision::Fail
        }
    }

    /// Java `handleCompletedBatch`: the batch was written (or was a duplicate of a write).
    pub fn handle_completed_batch(
        &mut self,
        tp: &TopicPartition,
        batch: &BatchSequence,
        base_offset: i64,
    ) {
        if let Some(e) = self.partitions.get_mut(tp) {
            let last = batch.last_sequence();
            if last > e.last_acked_sequence {
                e.last_acked_sequence = last;
            }
            if base_offset >= 0 {
                let last_offset = base_offset.saturating_add(i64::from(batch.record_count) - 1);
                if last_offset > e.last_acked_offset {
                    e.last_acked_offset = last_offset;
                }
            }
        }
        self.remove_in_flight_batch(tp, batch.id);
    }

    /// Java `handleFailedBatch`: the batch failed for good with `error`; `adjust_sequences`
    /// when it still had retries left (its sequence is then a gap: an idempotent producer
    /// bumps the epoch; a transactional one gives the sequence back). Returns the rewrites of
    /// the partition's later batches to apply.
    pub fn handle_failed_batch(
        &mut self,
        tp: &TopicPartition,
        batch: &BatchSequence,
        error: &Error,
        adjust_sequences: bool,
    ) -> Vec<(TopicPartition, Rewrite)> {
        if let Some(t) = self.transactional.clone() {
            // Java's `maybeTransitionToErrorState`: fatal or abortable; no local epoch bump.
            let fatal = {
                let mut core = t.lock();
                core.batch_failed(error);
                core.has_fatal_error()
                    .then(|| core.last_error().cloned())
                    .flatten()
            };
            self.remove_in_flight_batch(tp, batch.id);
            if let Some(e) = fatal {
                self.set_fatal(e);
                return Vec::new();
            }
            if matches!(error, Error::Broker { code, .. } if *code == ErrorCode::UNKNOWN_PRODUCER_ID)
            {
                // The broker has no state for this producer: it takes sequence 0 next (Java's
                // `resetSequenceForPartition`).
                self.partitions.remove(tp);
                self.unresolved.remove(tp);
                return Vec::new();
            }
            if adjust_sequences {
                return self.adjust_sequences_due_to_failed_batch(tp, batch);
            }
            return Vec::new();
        }
        if let Error::Broker { code, .. } = error {
            if *code == ErrorCode::CLUSTER_AUTHORIZATION_FAILED
                || *code == ErrorCode::PRODUCER_FENCED
                || *code == ErrorCode::UNSUPPORTED_VERSION
                || *code == ErrorCode::INVALID_PRODUCER_ID_MAPPING
            {
                self.set_fatal(error.clone());
            }
        }
        self.remove_in_flight_batch(tp, batch.id);
        if self.fatal.is_some() {
            return Vec::new();
        }
        let sequence_error = matches!(error, Error::Broker { code, .. }
            if *code == ErrorCode::OUT_OF_ORDER_SEQUENCE_NUMBER || *code == ErrorCode::UNKNOWN_PRODUCER_ID);
        if sequence_error || adjust_sequences {
            self.request_epoch_bump_for_partition(tp);
        }
        Vec::new()
    }

    /// Java's `TxnPartitionMap.adjustSequencesDueToFailedBatch`: a transactional batch that
    /// failed for good was never written, so the partition's next sequence and the later
    /// batches' sequences move down by its record count.
    fn adjust_sequences_due_to_failed_batch(
        &mut self,
        tp: &TopicPartition,
        failed: &BatchSequence,
    ) -> Vec<(TopicPartition, Rewrite)> {
        let Some(e) = self.partitions.get_mut(tp) else {
            return Vec::new();
        };
        let count = failed.record_count;
        let next = e.next_sequence - count;
        if next < 0 {
            log::error!(
                "Sequence number for partition {tp} would become negative ({next}); not adjusting"
            );
            return Vec::new();
        }
        log::debug!(
            "Producer id {}: send to partition {tp} failed fatally. Reducing future sequence \
             numbers by {count}",
            failed.producer.producer_id
        );
        e.next_sequence = next;
        let mut out = Vec::new();
        for b in e.in_flight.iter_mut() {
            if b.base_sequence < failed.base_sequence || b.base_sequence - count < 0 {
                continue;
            }
            b.base_sequence -= count;
            out.push((
                tp.clone(),
                Rewrite {
                    id: b.id,
                    tp_partition: tp.partition,
                    producer: b.producer,
                    base_sequence: b.base_sequence,
                },
            ));
        }
        e.in_flight.sort_by_key(BatchSequence::sort_key);
        out
    }

    /// A batch that had been retried expired: its fate is unknown, so new batches of the
    /// partition wait until the in-flight ones tell whether the sequence advanced.
    pub fn mark_sequence_unresolved(&mut self, tp: &TopicPartition, batch: &BatchSequence) {
        let next = increment_sequence(batch.last_sequence(), 1);
        log::debug!("Marking partition {tp} unresolved with next sequence {next}");
        let v = self.unresolved.entry(tp.clone()).or_insert(next);
        *v = (*v).max(next);
    }

    /// An expired or aborted batch leaves the in-flight set without a bump.
    pub fn forget_batch(&mut self, tp: &TopicPartition, id: u64) {
        self.remove_in_flight_batch(tp, id);
    }

    /// Java `maybeResolveSequences`: once an unresolved partition has nothing in flight, it is
    /// resolved if the acknowledged sequence caught up, else the epoch is bumped.
    pub fn maybe_resolve_sequences(&mut self) {
        let tps: Vec<TopicPartition> = self.unresolved.keys().cloned().collect();
        for tp in tps {
            if self.has_in_flight_batches(&tp) {
                continue;
            }
            let next = self.sequence_number(&tp);
            if !self.is_next_sequence(&tp, next) && self.transactional.is_some() {
                if let Some(t) = &self.transactional {
                    t.lock().unresolved_sequence(&tp);
                }
            } else if !self.is_next_sequence(&tp, next) {
                log::info!(
                    "No inflight batches remaining for {tp}, last ack'd sequence for partition is {}, next sequence is {next}. Going to bump epoch and reset sequence numbers.",
                    self.last_acked_sequence(&tp)
                );
                self.request_epoch_bump_for_partition(&tp);
            }
            self.unresolved.remove(&tp);
        }
    }

    /// The partitions whose sequences are tracked, for the state dump.
    pub fn partitions(&self) -> Vec<TopicPartition> {
        let mut tps: Vec<TopicPartition> = self.partitions.keys().cloned().collect();
        tps.sort();
        tps
    }

    /// The partition's sequence state in one line, for the state dump.
    pub fn describe_partition(&self, tp: &TopicPartition) -> String {
        let Some(e) = self.partitions.get(tp) else {
            return "no sequence state".into();
        };
        let in_flight: Vec<String> = e
            .in_flight
            .iter()
            .map(|b| {
                format!(
                    "{}..{} (epoch {})",
                    b.base_sequence,
                    b.last_sequence(),
                    b.producer.epoch
                )
            })
            .collect();
        format!(
            "epoch {}, next sequence {}, last acked sequence {}, in flight by sequence [{}]{}",
            e.producer.epoch,
            e.next_sequence,
            e.last_acked_sequence,
            in_flight.join(", "),
            match self.unresolved.get(tp) {
                Some(next) => format!(", unresolved (next sequence {next})"),
                None => String::new(),
            }
        )
    }

    /// Asks for an epoch bump that restarts the partition's sequences (KIP-360).
    pub fn request_epoch_bump_for_partition(&mut self, tp: &TopicPartition) {
        self.epoch_bump_required = true;
        self.partitions_to_rewrite.insert(tp.clone());
    }

    /// Whether an epoch bump is pending.
    pub fn epoch_bump_required(&self) -> bool {
        self.epoch_bump_required
    }

    /// Java `bumpIdempotentEpochAndResetIdIfNeeded`: performs a requested bump locally (the
    /// epoch plus one), or, when the epoch is exhausted, drops the producer id so that a new
    /// one is requested (the partitions are rewritten when it arrives). Returns the rewrites to
    /// apply.
    pub fn bump_idempotent_epoch_if_needed(&mut self) -> Vec<(TopicPartition, Rewrite)> {
        if !self.epoch_bump_required || !self.producer.is_valid() {
            return Vec::new();
        }
        self.epoch_bump_required = false;
        if self.producer.epoch == i16::MAX {
            log::info!(
                "Epoch of producer id {} is exhausted; requesting a new producer id",
                self.producer.producer_id
            );
            self.producer = ProducerIdAndEpoch::NONE;
            self.init = InitState::Needed;
            return Vec::new();
        }
        self.producer = ProducerIdAndEpoch {
            producer_id: self.producer.producer_id,
            epoch: self.producer.epoch + 1,
        };
        log::info!(
            "Bumped the epoch of producer id {} to {} and reset the sequences of {} partition(s)",
            self.producer.producer_id,
            self.producer.epoch,
            self.partitions_to_rewrite.len()
        );
        self.rewrite_requested_partitions()
    }

    fn rewrite_requested_partitions(&mut self) -> Vec<(TopicPartition, Rewrite)> {
        let mut out = Vec::new();
        let producer = self.producer;
        for tp in std::mem::take(&mut self.partitions_to_rewrite) {
            self.partitions
                .entry(tp.clone())
                .or_default()
                .start_sequences_at_beginning(&tp, producer, &mut out);
            self.unresolved.remove(&tp);
        }
        out
    }
}

pub(crate) mod state;
pub(crate) mod transactional;
pub(crate) mod transactional_request_result;

#[cfg(test)]
mod tests;
