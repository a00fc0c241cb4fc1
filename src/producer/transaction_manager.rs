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
use std::collections::{HashMap, HashSet};

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
pub fn increment_sequence(sequence: i32, increment: i32) -> i32 {
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
            partitions: HashMap::new(),
            epoch_bump_required: false,
            partitions_to_rewrite: HashSet::new(),
            unresolved: HashMap::new(),
            fatal: None,
            next_batch_id: 1,
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
    /// epoch overflow reset the id) are rewritten now; the returned rewrites must be applied.
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
        if first.is_none() {
            if self.has_in_flight_batches(tp) && self.has_stale_producer_id_and_epoch(tp) {
                return true;
            }
            if self.has_unresolved_sequence(tp) {
                return true;
            }
            if self.has_in_flight_batches(tp) && self.last_acked_sequence(tp) < 0 {
                return true;
            }
        }
        let first_in_flight = self.first_in_flight_sequence(tp);
        matches!(first, Some(s) if first_in_flight != NO_SEQUENCE && s != first_in_flight)
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
            self.request_epoch_bump_for_partition(tp);
            return RetryDecision::Retry;
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
    /// when it still had retries left (its sequence is then a gap: bump the epoch).
    pub fn handle_failed_batch(
        &mut self,
        tp: &TopicPartition,
        batch: &BatchSequence,
        error: &Error,
        adjust_sequences: bool,
    ) {
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
            return;
        }
        let sequence_error = matches!(error, Error::Broker { code, .. }
            if *code == ErrorCode::OUT_OF_ORDER_SEQUENCE_NUMBER || *code == ErrorCode::UNKNOWN_PRODUCER_ID);
        if sequence_error || adjust_sequences {
            self.request_epoch_bump_for_partition(tp);
        }
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
            if !self.is_next_sequence(&tp, next) {
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
        tps.sort_by(|a, b| (&*a.topic, a.partition).cmp(&(&*b.topic, b.partition)));
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

#[cfg(test)]
mod tests {
    use super::*;

    fn tp() -> TopicPartition {
        TopicPartition::new("t", 0)
    }

    fn ready(tm: &mut TransactionManager) {
        tm.init_sent();
        tm.set_producer_id_and_epoch(ProducerIdAndEpoch {
            producer_id: 1000,
            epoch: 0,
        });
    }

    /// Drains `n` batches of `records` records each, returning their sequences.
    /// (Pipelined batches: those after the first of an epoch may only drain once the first
    /// was acknowledged, a rule `first_batch_of_an_epoch_is_alone_in_flight` checks; the
    /// other tests take that as given.)
    fn drain(tm: &mut TransactionManager, n: usize, records: i32) -> Vec<BatchSequence> {
        (0..n)
            .map(|_| {
                assert!(
                    !tm.should_stop_drain(&tp(), None)
                        || (tm.has_in_flight_batches(&tp()) && tm.last_acked_sequence(&tp()) < 0)
                );
                let id = tm.next_batch_id();
                tm.assign_sequence(&tp(), id, records)
            })
            .collect()
    }

    #[test]
    fn sequence_arithmetic_wraps_like_kafka() {
        assert_eq!(increment_sequence(i32::MAX, 100), 99);
        assert_eq!(increment_sequence(99, i32::MAX), 98);
        assert_eq!(increment_sequence(5, 3), 8);
    }

    #[test]
    fn nothing_drains_before_a_producer_id() {
        let mut tm = TransactionManager::new();
        assert_eq!(tm.init_state(), InitState::Needed);
        assert!(tm.should_stop_drain(&tp(), None));
        ready(&mut tm);
        assert!(!tm.should_stop_drain(&tp(), None));
    }

    #[test]
    fn five_in_flight_batches_get_consecutive_sequences_and_ack_in_order() {
        let mut tm = TransactionManager::new();
        ready(&mut tm);
        let b = drain(&mut tm, 5, 10);
        let bases: Vec<i32> = b.iter().map(|b| b.base_sequence).collect();
        assert_eq!(bases, vec![0, 10, 20, 30, 40]);
        assert_eq!(tm.sequence_number(&tp()), 50);
        assert_eq!(tm.first_in_flight_sequence(&tp()), 0);
        for (i, batch) in b.iter().enumerate() {
            tm.handle_completed_batch(&tp(), batch, i as i64 * 10);
            assert_eq!(tm.last_acked_sequence(&tp()), batch.last_sequence());
        }
        assert_eq!(tm.last_acked_offset(&tp()), 49);
        assert!(!tm.has_in_flight_batches(&tp()));
    }

    #[test]
    fn retries_go_in_sequence_order_one_at_a_time() {
        // 5 in flight; the first fails with a retriable error, the 4 others with
        // OUT_OF_ORDER_SEQUENCE_NUMBER (the broker saw the gap). All are retried without a bump,
        // and while they are re-queued only the lowest sequence may be drained.
        let mut tm = TransactionManager::new();
        ready(&mut tm);
        let first = drain(&mut tm, 1, 1);
        tm.handle_completed_batch(&tp(), &first[0], 0);
        let b = drain(&mut tm, 5, 1);
        assert_eq!(
            tm.can_retry(&tp(), &b[0], false, ErrorCode::NOT_LEADER_OR_FOLLOWER, -1),
            RetryDecision::Retry
        );
        for batch in &b[1..] {
            assert_eq!(
                tm.can_retry(
                    &tp(),
                    batch,
                    false,
                    ErrorCode::OUT_OF_ORDER_SEQUENCE_NUMBER,
                    0
                ),
                RetryDecision::Retry
            );
        }
        assert!(
            !tm.epoch_bump_required(),
            "not the next sequence: plain retries"
        );
        // The re-queued batches drain strictly from the lowest in-flight sequence.
        assert!(!tm.should_stop_drain(&tp(), Some(1)));
        assert!(tm.should_stop_drain(&tp(), Some(2)));
        // A new batch (no sequence) is not held back by retries alone.
        assert!(!tm.should_stop_drain(&tp(), None));
        for (i, batch) in b.iter().enumerate() {
            assert!(
                !tm.should_stop_drain(&tp(), Some(batch.base_sequence)),
                "batch {i} is next"
            );
            tm.handle_completed_batch(&tp(), batch, i as i64 + 1);
        }
        assert_eq!(tm.last_acked_sequence(&tp()), 5);
    }

    #[test]
    fn first_batch_of_an_epoch_is_alone_in_flight() {
        // Regression (stall on a new topic): a broker with no state for the producer accepts
        // any sequence, so a second batch in flight could be written before a first one that
        // failed. Until the first acknowledgement a new batch waits; retries are not held.
        let mut tm = TransactionManager::new();
        ready(&mut tm);
        assert!(!tm.should_stop_drain(&tp(), None));
        let id = tm.next_batch_id();
        let first = tm.assign_sequence(&tp(), id, 3);
        assert!(tm.should_stop_drain(&tp(), None), "waits for the first ack");
        assert!(
            !tm.should_stop_drain(&tp(), Some(0)),
            "the first batch itself may be retried"
        );
        // Another partition is not affected.
        assert!(!tm.should_stop_drain(&TopicPartition::new("t", 1), None));
        tm.handle_completed_batch(&tp(), &first, 0);
        assert!(!tm.should_stop_drain(&tp(), None));
        let second = tm.assign_sequence(&tp(), 99, 1);
        assert!(!tm.should_stop_drain(&tp(), None), "pipelined from now on");
        // An epoch bump restarts the sequences: alone again until the next ack.
        tm.request_epoch_bump_for_partition(&tp());
        tm.bump_idempotent_epoch_if_needed();
        assert!(tm.should_stop_drain(&tp(), None));
        tm.handle_completed_batch(
            &tp(),
            &BatchSequence {
                producer: tm.producer_id_and_epoch(),
                base_sequence: 0,
                ..second
            },
            5,
        );
        assert!(!tm.should_stop_drain(&tp(), None));
    }

    #[test]
    fn out_of_order_behind_an_acknowledged_batch_bumps_the_epoch() {
        // Regression (stall on a new topic): batch 0 failed with NOT_LEADER_OR_FOLLOWER, batch
        // 1 was then written by a broker without state for the producer. Batch 0's retry gets
        // OUT_OF_ORDER for ever; it is not the next sequence, but it is behind an acknowledged
        // one, so no retry can fill the gap: bump and restart at 0.
        let mut tm = TransactionManager::new();
        ready(&mut tm);
        let b = drain(&mut tm, 2, 5);
        assert_eq!(
            tm.can_retry(&tp(), &b[0], false, ErrorCode::NOT_LEADER_OR_FOLLOWER, -1),
            RetryDecision::Retry
        );
        tm.handle_completed_batch(&tp(), &b[1], 0);
        assert_eq!(tm.last_acked_sequence(&tp()), 9);
        assert_eq!(
            tm.can_retry(
                &tp(),
                &b[0],
                false,
                ErrorCode::OUT_OF_ORDER_SEQUENCE_NUMBER,
                0
            ),
            RetryDecision::Retry
        );
        assert!(tm.epoch_bump_required());
        let rewrites = tm.bump_idempotent_epoch_if_needed();
        assert_eq!(rewrites.len(), 1);
        assert_eq!(
            (
                rewrites[0].1.id,
                rewrites[0].1.base_sequence,
                rewrites[0].1.producer.epoch
            ),
            (b[0].id, 0, 1)
        );
        // After a rewrite, a stale OUT_OF_ORDER (sequence reset) is a plain retry.
        let rewritten = BatchSequence {
            producer: rewrites[0].1.producer,
            base_sequence: 0,
            ..b[0]
        };
        assert_eq!(
            tm.can_retry(
                &tp(),
                &rewritten,
                true,
                ErrorCode::OUT_OF_ORDER_SEQUENCE_NUMBER,
                0
            ),
            RetryDecision::Retry
        );
        assert!(!tm.epoch_bump_required());
    }

    #[test]
    fn behind_the_last_ack_understands_sequence_wrap_around() {
        let mut tm = TransactionManager::new();
        ready(&mut tm);
        let producer = tm.producer;
        let e = tm.entry(&tp());
        e.producer = producer;
        e.last_acked_sequence = 5; // wrapped past i32::MAX
        assert!(
            tm.is_behind_last_acked(&tp(), i32::MAX - 10),
            "before the wrap: behind"
        );
        assert!(tm.is_behind_last_acked(&tp(), 5));
        assert!(tm.is_behind_last_acked(&tp(), 0));
        assert!(!tm.is_behind_last_acked(&tp(), 6));
        tm.entry(&tp()).last_acked_sequence = i32::MAX - 1;
        assert!(tm.is_behind_last_acked(&tp(), i32::MAX - 100));
        assert!(!tm.is_behind_last_acked(&tp(), 3), "ahead across the wrap");
    }

    #[test]
    fn duplicate_sequence_is_success_without_offset() {
        let mut tm = TransactionManager::new();
        ready(&mut tm);
        let b = drain(&mut tm, 1, 3);
        // DUPLICATE_SEQUENCE_NUMBER is not retriable: the sender completes the batch with
        // offset -1, and the sequence still advances.
        assert_eq!(
            tm.can_retry(&tp(), &b[0], false, ErrorCode::DUPLICATE_SEQUENCE_NUMBER, 0),
            RetryDecision::Fail
        );
        tm.handle_completed_batch(&tp(), &b[0], -1);
        assert_eq!(tm.last_acked_sequence(&tp()), 2);
        assert_eq!(tm.last_acked_offset(&tp()), -1);
    }

    #[test]
    fn out_of_order_for_the_next_batch_bumps_the_epoch() {
        // The response of batch 0 was lost and the broker also lost it (e.g. a leader change
        // truncated the log): batch 1 then gets OUT_OF_ORDER. Batch 0 is the next expected
        // one, so its own OUT_OF_ORDER is a real gap: bump the epoch and restart at 0.
        let mut tm = TransactionManager::new();
        ready(&mut tm);
        let b = drain(&mut tm, 2, 5);
        assert_eq!(
            tm.can_retry(
                &tp(),
                &b[1],
                false,
                ErrorCode::OUT_OF_ORDER_SEQUENCE_NUMBER,
                0
            ),
            RetryDecision::Retry
        );
        assert!(!tm.epoch_bump_required());
        assert_eq!(
            tm.can_retry(
                &tp(),
                &b[0],
                false,
                ErrorCode::OUT_OF_ORDER_SEQUENCE_NUMBER,
                0
            ),
            RetryDecision::Retry
        );
        assert!(tm.epoch_bump_required());
        let rewrites = tm.bump_idempotent_epoch_if_needed();
        assert_eq!(tm.producer_id_and_epoch().epoch, 1);
        let seqs: Vec<(u64, i32)> = rewrites
            .iter()
            .map(|(_, r)| (r.id, r.base_sequence))
            .collect();
        assert_eq!(seqs, vec![(b[0].id, 0), (b[1].id, 5)]);
        assert!(rewrites.iter().all(|(_, r)| r.producer.epoch == 1));
        assert_eq!(tm.sequence_number(&tp()), 10);
        assert_eq!(tm.last_acked_sequence(&tp()), -1);
        // The rewritten batch's stale response (OUT_OF_ORDER again) is a plain retry.
        let b1 = BatchSequence {
            producer: rewrites[1].1.producer,
            base_sequence: 5,
            ..b[1]
        };
        assert_eq!(
            tm.can_retry(&tp(), &b1, true, ErrorCode::OUT_OF_ORDER_SEQUENCE_NUMBER, 0),
            RetryDecision::Retry
        );
        assert!(!tm.epoch_bump_required());
    }

    #[test]
    fn unknown_producer_id_after_log_truncation_bumps_the_epoch() {
        let mut tm = TransactionManager::new();
        ready(&mut tm);
        let b = drain(&mut tm, 2, 1);
        tm.handle_completed_batch(&tp(), &b[0], 1000);
        assert_eq!(tm.last_acked_offset(&tp()), 1000);
        // With the log start offset unknown: retry as is.
        assert_eq!(
            tm.can_retry(&tp(), &b[1], false, ErrorCode::UNKNOWN_PRODUCER_ID, -1),
            RetryDecision::Retry
        );
        assert!(!tm.epoch_bump_required());
        // The log was truncated past our last ack: the broker forgot us; bump and restart.
        assert_eq!(
            tm.can_retry(&tp(), &b[1], false, ErrorCode::UNKNOWN_PRODUCER_ID, 1010),
            RetryDecision::Retry
        );
        assert!(tm.epoch_bump_required());
        let rewrites = tm.bump_idempotent_epoch_if_needed();
        assert_eq!(rewrites.len(), 1);
        assert_eq!(rewrites[0].1.base_sequence, 0);
        assert_eq!(
            tm.producer_id_and_epoch(),
            ProducerIdAndEpoch {
                producer_id: 1000,
                epoch: 1
            }
        );
        // New batches follow the rewritten one.
        let next = tm.assign_sequence(&tp(), 99, 1);
        assert_eq!(next.base_sequence, 1);
        assert_eq!(next.producer.epoch, 1);
    }

    #[test]
    fn other_partitions_keep_their_epoch_until_their_batches_finish() {
        let mut tm = TransactionManager::new();
        ready(&mut tm);
        let other = TopicPartition::new("t", 1);
        let id = tm.next_batch_id();
        let o = tm.assign_sequence(&other, id, 1);
        let b = drain(&mut tm, 1, 1);
        tm.request_epoch_bump_for_partition(&tp());
        tm.bump_idempotent_epoch_if_needed();
        assert_eq!(tm.first_in_flight_sequence(&tp()), 0);
        assert_eq!(b[0].base_sequence, 0);
        // The other partition still has an old-epoch batch in flight: new batches wait.
        assert!(tm.has_stale_producer_id_and_epoch(&other));
        assert!(tm.should_stop_drain(&other, None));
        tm.handle_completed_batch(&other, &o, 0);
        assert!(!tm.should_stop_drain(&other, None));
        let next = tm.assign_sequence(&other, 77, 1);
        assert_eq!(
            (next.base_sequence, next.producer.epoch),
            (0, 1),
            "restarted under the new epoch"
        );
    }

    #[test]
    fn expired_retried_batch_makes_the_partition_unresolved_until_known() {
        let mut tm = TransactionManager::new();
        ready(&mut tm);
        let b = drain(&mut tm, 2, 1);
        // Batch 0 was retried, then expired: unknown whether it was written.
        tm.mark_sequence_unresolved(&tp(), &b[0]);
        tm.forget_batch(&tp(), b[0].id);
        assert!(tm.should_stop_drain(&tp(), None), "new batches wait");
        // Batch 1 succeeds: so batch 0 was written too; resolved without a bump.
        tm.handle_completed_batch(&tp(), &b[1], 5);
        tm.maybe_resolve_sequences();
        assert!(!tm.has_unresolved_sequence(&tp()));
        assert!(!tm.epoch_bump_required());

        // Same, but the last batch also fails for good: the gap is real, bump.
        let b = drain(&mut tm, 1, 1);
        tm.mark_sequence_unresolved(&tp(), &b[0]);
        tm.forget_batch(&tp(), b[0].id);
        tm.maybe_resolve_sequences();
        assert!(tm.epoch_bump_required());
    }

    #[test]
    fn definitive_failure_with_retries_left_bumps_the_epoch() {
        let mut tm = TransactionManager::new();
        ready(&mut tm);
        let b = drain(&mut tm, 2, 1);
        let err = Error::broker(ErrorCode::MESSAGE_TOO_LARGE, None);
        assert_eq!(
            tm.can_retry(&tp(), &b[0], false, ErrorCode::MESSAGE_TOO_LARGE, 0),
            RetryDecision::Fail
        );
        tm.handle_failed_batch(&tp(), &b[0], &err, true);
        let rewrites = tm.bump_idempotent_epoch_if_needed();
        // Batch 1 moves to sequence 0 under epoch 1.
        assert_eq!(rewrites.len(), 1);
        assert_eq!(
            (rewrites[0].1.id, rewrites[0].1.base_sequence),
            (b[1].id, 0)
        );
    }

    #[test]
    fn fatal_errors_stop_everything() {
        let mut tm = TransactionManager::new();
        ready(&mut tm);
        let b = drain(&mut tm, 1, 1);
        let err = Error::broker(ErrorCode::CLUSTER_AUTHORIZATION_FAILED, None);
        tm.handle_failed_batch(&tp(), &b[0], &err, true);
        assert_eq!(tm.fatal_error(), Some(&err));
        assert!(tm.should_stop_drain(&tp(), None));
        assert!(!tm.epoch_bump_required());
    }

    #[test]
    fn exhausted_epoch_asks_for_a_new_producer_id() {
        let mut tm = TransactionManager::new();
        tm.set_producer_id_and_epoch(ProducerIdAndEpoch {
            producer_id: 7,
            epoch: i16::MAX,
        });
        let b = drain(&mut tm, 1, 2);
        tm.request_epoch_bump_for_partition(&tp());
        assert!(tm.bump_idempotent_epoch_if_needed().is_empty());
        assert_eq!(tm.init_state(), InitState::Needed);
        assert!(tm.should_stop_drain(&tp(), None));
        let rewrites = tm.set_producer_id_and_epoch(ProducerIdAndEpoch {
            producer_id: 8,
            epoch: 0,
        });
        assert_eq!(rewrites.len(), 1);
        assert_eq!(rewrites[0].1.id, b[0].id);
        assert_eq!(rewrites[0].1.producer.producer_id, 8);
    }
}
