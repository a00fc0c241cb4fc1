//! Tests of the idempotent producer's [`TransactionManager`].
//!
//! Most are ports of Java's idempotence tests, each naming the Java test in its doc comment:
//! those of `TransactionManagerTest` that apply to an idempotent producer, and, since that
//! class has only 15 of them, the idempotence cases of `SenderTest` whose decisions are the
//! manager's (sequence assignment, retry decisions, epoch bumps, unresolved sequences, fatal
//! errors). The manager is driven as our sender drives it: `assign_sequence` on drain,
//! `can_retry` on an error (with the log start offset), `handle_completed_batch`,
//! `handle_failed_batch` (with `adjust_sequences` = retries left), `forget_batch` plus
//! `mark_sequence_unresolved` (when the batch was in retry) on expiry, and each sender loop
//! `maybe_resolve_sequences` then `bump_idempotent_epoch_if_needed`, whose rewrites are
//! applied to the batches. Java's batches carry their own producer state; here a test holds
//! the `BatchSequence`s and applies the `Rewrite`s itself.
//!
//! Two deliberate differences from Java shape some ports (each port says where):
//! (a) `should_stop_drain` keeps a new batch back while the partition has batches in flight
//! and nothing acknowledged under the current epoch, so Java scenarios with two batches in
//! flight before the first acknowledgement start here with one batch acknowledged first (a
//! "warm-up", shifting the sequences by one); (b) an OUT_OF_ORDER_SEQUENCE_NUMBER for a batch
//! at or below the last acknowledged sequence requests an epoch bump (Java retries it for
//! ever). And one difference of design: when the epoch is exhausted, Java rewrites the
//! partitions at once with the invalid producer id; this manager rewrites them when the new
//! producer id arrives (`set_producer_id_and_epoch`), so the reset sequences show then.
//!
//! `TransactionManagerTest` tests NOT ported:
//! - all transactional ones (transactions, coordinators, AddPartitionsToTxn, AddOffsetsToTxn,
//!   TxnOffsetCommit, EndTxn, abortable errors, `isSendToPartitionAllowed`, InitProducerId
//!   retries through a coordinator, `testRetryAbortTransactionAfterTimeout` and the like):
//!   this producer has no transactions.
//! - `testFailIfNotReadyForSendIdempotentProducer`: checks that the transactional
//!   `maybeAddPartition` is a no-op for an idempotent producer; there is no such call here.
//! - `testFailedInflightBatchAfterEpochBump`: in the Java version read (apache/kafka trunk),
//!   its body is the same as `testHealthyPartitionRetriesDuringEpochBump`'s, ported as
//!   `healthy_partition_retries_during_epoch_bump`; the case its name describes (an old-epoch
//!   batch failing for good after a bump) is `SenderTest`'s
//!   `testEpochBumpOnOutOfOrderSequenceForNextBatchWhenBatchInFlightFails`, ported below.
//! - `testInvalidSequenceIncrement` (older versions): incrementing a sequence without a
//!   producer id throws in Java; here sequences are only assigned to batches.
//!
//! `SenderTest` idempotence cases NOT ported here (sender-level, left to the sender's tests):
//! `testCloseWithProducerIdReset`, `testForceCloseWithProducerIdReset`,
//! `testCancelInFlightRequestAfterFatalError`, `testUnsupportedVersionInProduceRequest`,
//! the transactional `testUnresolvedSequencesAreNotFatal` and
//! `testTransactionalUnknownProducerHandlingWhenRetentionLimitReached`.
//!
//! Beyond Java (the first tests, on `tp()`): sequence arithmetic, rules (a) and (b)
//! (`first_batch_of_an_epoch_is_alone_in_flight`,
//! `out_of_order_behind_an_acknowledged_batch_bumps_the_epoch`, its wrap-around), stale
//! OUT_OF_ORDER answers after a rewrite, the exhausted epoch, and the regression
//! `bump_requested_while_waiting_for_a_new_producer_id_is_served_by_it` (last).
use super::*;
use crate::error::TimeoutKind;

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

// ---- Helpers of the ports (Java's `tp0`, `tp1`, `writeIdempotentBatchWithValue`, ...) ----

fn tp0() -> TopicPartition {
    TopicPartition::new("test", 0)
}

fn tp1() -> TopicPartition {
    TopicPartition::new("test", 1)
}

fn pid(producer_id: i64, epoch: i16) -> ProducerIdAndEpoch {
    ProducerIdAndEpoch { producer_id, epoch }
}

/// Java's `initializeTransactionManager(Optional.empty())` + `initializeIdempotentProducerId`.
fn idempotent(producer_id: i64, epoch: i16) -> TransactionManager {
    let mut tm = TransactionManager::new();
    tm.init_sent();
    tm.set_producer_id_and_epoch(pid(producer_id, epoch));
    tm
}

/// Java's `writeIdempotentBatchWithValue`: a batch of `records` records gets its sequence and
/// is in flight, without the drain rules (Java's helper bypasses the accumulator too).
fn write(tm: &mut TransactionManager, tp: &TopicPartition, records: i32) -> BatchSequence {
    let id = tm.next_batch_id();
    tm.assign_sequence(tp, id, records)
}

/// A new batch drained as the sender drains it: the drain rules must let it go.
fn drain_new(tm: &mut TransactionManager, tp: &TopicPartition, records: i32) -> BatchSequence {
    assert!(
        !tm.should_stop_drain(tp, None),
        "a new batch of {tp} may drain: {}",
        tm.describe_partition(tp)
    );
    write(tm, tp, records)
}

/// Rule (a): one batch drained and acknowledged first (at `offset`), so that the batches of
/// a Java scenario may be in flight together.
fn warm_up(tm: &mut TransactionManager, tp: &TopicPartition, offset: i64) {
    let b = drain_new(tm, tp, 1);
    tm.handle_completed_batch(tp, &b, offset);
    assert_eq!(tm.last_acked_sequence(tp), b.last_sequence());
}

/// One sender loop's idempotence step (`maybe_handle_idempotence`).
fn run_once(tm: &mut TransactionManager) -> Vec<(TopicPartition, Rewrite)> {
    tm.maybe_resolve_sequences();
    tm.bump_idempotent_epoch_if_needed()
}

/// `b` as rewritten by `rewrites` (unchanged when not among them).
fn rewritten(b: &BatchSequence, rewrites: &[(TopicPartition, Rewrite)]) -> BatchSequence {
    rewrites
        .iter()
        .find(|(_, r)| r.id == b.id)
        .map_or(*b, |(_, r)| BatchSequence {
            producer: r.producer,
            base_sequence: r.base_sequence,
            ..*b
        })
}

/// The sender's `abandon_batch`: the batch leaves the in-flight set, and if it had been
/// retried its partition's sequence becomes unresolved (Java: `markSequenceUnresolved` when
/// `inRetry()`, then `handleFailedBatch(batch, TimeoutException, false)`).
fn expire(tm: &mut TransactionManager, tp: &TopicPartition, b: &BatchSequence, in_retry: bool) {
    tm.forget_batch(tp, b.id);
    if in_retry {
        tm.mark_sequence_unresolved(tp, b);
    }
}

/// Java's `assertPartitionState` (SenderTest): the partition's producer id and epoch, next
/// sequence and last acknowledged sequence (-1 for Java's empty `OptionalInt`).
fn assert_partition_state(
    tm: &TransactionManager,
    tp: &TopicPartition,
    producer: ProducerIdAndEpoch,
    next_sequence: i32,
    last_acked: i32,
) {
    let e = tm.partitions.get(tp).expect("partition state");
    assert_eq!(e.producer, producer, "producer id and epoch of {tp}");
    assert_eq!(
        tm.sequence_number(tp),
        next_sequence,
        "next sequence of {tp}"
    );
    assert_eq!(tm.last_acked_sequence(tp), last_acked, "last acked of {tp}");
}

fn broker(code: ErrorCode) -> Error {
    Error::broker(code, None)
}

fn delivery_timeout() -> Error {
    Error::timeout(TimeoutKind::Delivery, "expired")
}

// ---- TransactionManagerTest ----

/// TransactionManagerTest.testDefaultSequenceNumber: a partition's sequence starts at 0 and
/// advances by the record count. (Java's `incrementSequenceNumber(tp0, 3)` is here the
/// assignment of a 3-record batch.)
#[test]
fn default_sequence_number() {
    let mut tm = idempotent(13131, 1);
    assert_eq!(tm.sequence_number(&tp0()), 0);
    write(&mut tm, &tp0(), 3);
    assert_eq!(tm.sequence_number(&tp0()), 3);
}

/// TransactionManagerTest.testSequenceNumberOverflow: sequences wrap from `i32::MAX` to 0
/// (increments are batches of `i32::MAX`, 100 and `i32::MAX` records).
#[test]
fn sequence_number_overflow() {
    let mut tm = idempotent(13131, 1);
    assert_eq!(tm.sequence_number(&tp0()), 0);
    write(&mut tm, &tp0(), i32::MAX);
    assert_eq!(tm.sequence_number(&tp0()), i32::MAX);
    let b = write(&mut tm, &tp0(), 100);
    assert_eq!(b.base_sequence, i32::MAX);
    assert_eq!(b.last_sequence(), 98);
    assert_eq!(tm.sequence_number(&tp0()), 99);
    write(&mut tm, &tp0(), i32::MAX);
    assert_eq!(tm.sequence_number(&tp0()), 98);
}

/// TransactionManagerTest.testProducerIdReset: with the epoch exhausted, a bump requested for
/// tp0 drops the producer id; tp0's sequence restarts at 0 and tp1's is untouched. Adapted:
/// Java increments the sequences without batches; here the batches were acknowledged (none in
/// flight). And tp0 is reset when the new producer id arrives, not at the bump (see the
/// module comment).
#[test]
fn producer_id_reset() {
    let mut tm = idempotent(15, i16::MAX);
    assert_eq!(tm.sequence_number(&tp0()), 0);
    assert_eq!(tm.sequence_number(&tp1()), 0);
    let a = write(&mut tm, &tp0(), 3);
    tm.handle_completed_batch(&tp0(), &a, 0);
    assert_eq!(tm.sequence_number(&tp0()), 3);
    let b = write(&mut tm, &tp1(), 3);
    tm.handle_completed_batch(&tp1(), &b, 0);
    assert_eq!(tm.sequence_number(&tp1()), 3);

    tm.request_epoch_bump_for_partition(&tp0());
    assert!(tm.bump_idempotent_epoch_if_needed().is_empty());
    assert!(!tm.producer_id_and_epoch().is_valid());
    assert_eq!(tm.init_state(), InitState::Needed);
    assert!(
        tm.should_stop_drain(&tp1(), None),
        "nothing drains without an id"
    );
    let rewrites = tm.set_producer_id_and_epoch(pid(16, 0));
    assert!(rewrites.is_empty(), "nothing in flight to rewrite");
    assert_eq!(tm.sequence_number(&tp0()), 0);
    assert_eq!(tm.sequence_number(&tp1()), 3);
}

/// TransactionManagerTest.testBumpEpochAndResetSequenceNumbersAfterUnknownProducerId: five
/// batches in flight, the first acknowledged (offset 500), the second gets
/// UNKNOWN_PRODUCER_ID with log start offset 500: it is retried, the epoch goes from 1 to 2
/// and the four in flight restart at sequence 0.
#[test]
fn bump_epoch_and_reset_sequence_numbers_after_unknown_producer_id() {
    let mut tm = idempotent(13131, 1);
    let b: Vec<_> = (0..5).map(|_| write(&mut tm, &tp0(), 1)).collect();
    assert_eq!(tm.sequence_number(&tp0()), 5);
    tm.handle_completed_batch(&tp0(), &b[0], 500);
    assert_eq!(
        tm.can_retry(&tp0(), &b[1], false, ErrorCode::UNKNOWN_PRODUCER_ID, 500),
        RetryDecision::Retry
    );
    let rewrites = run_once(&mut tm);
    assert_eq!(tm.producer_id_and_epoch().epoch, 2);
    for (i, batch) in b[1..].iter().enumerate() {
        let r = rewritten(batch, &rewrites);
        assert_eq!(r.producer.epoch, 2);
        assert_eq!(r.base_sequence, i as i32);
    }
}

/// TransactionManagerTest.testBatchFailureAfterProducerReset: with the epoch exhausted, an
/// UNKNOWN_PRODUCER_ID on tp0 (the log start offset 400 is past the last acknowledged offset,
/// unknown here) resets the producer id; tp0's in-flight batch restarts at 0 and tp1 keeps its
/// sequences. Adapted: the rewrite of tp0 shows when the new producer id arrives (see the
/// module comment), before which nothing of tp0 changes.
#[test]
fn batch_failure_after_producer_reset() {
    let mut tm = idempotent(13131, i16::MAX);
    let tp0b1 = write(&mut tm, &tp0(), 1);
    let tp1b1 = write(&mut tm, &tp1(), 1);
    tm.handle_completed_batch(&tp0(), &tp0b1, -1);
    tm.handle_completed_batch(&tp1(), &tp1b1, -1);
    let tp0b2 = write(&mut tm, &tp0(), 1);
    let tp1b2 = write(&mut tm, &tp1(), 1);
    assert_eq!(tm.sequence_number(&tp0()), 2);
    assert_eq!(tm.sequence_number(&tp1()), 2);

    assert_eq!(
        tm.can_retry(&tp0(), &tp0b1, false, ErrorCode::UNKNOWN_PRODUCER_ID, 400),
        RetryDecision::Retry
    );
    tm.handle_completed_batch(&tp1(), &tp1b1, -1);
    assert!(run_once(&mut tm).is_empty());
    assert_eq!(
        tm.sequence_number(&tp0()),
        2,
        "rewritten when the new id arrives"
    );
    let rewrites = tm.set_producer_id_and_epoch(pid(13132, 0));
    assert_eq!(rewrites.len(), 1);
    assert_eq!(rewritten(&tp0b2, &rewrites).base_sequence, 0);
    assert_eq!(tm.sequence_number(&tp0()), 1);
    assert_eq!(tm.first_in_flight_sequence(&tp0()), 0);
    assert_eq!(tm.sequence_number(&tp1()), 2);
    assert_eq!(tm.first_in_flight_sequence(&tp1()), tp1b2.base_sequence);
}

/// TransactionManagerTest.testBatchCompletedAfterProducerReset: the producer id is reset
/// because of tp1; tp0's batches in flight keep the old id and epoch and are still tracked
/// until they complete, after which tp0 restarts at 0 under the new id. Adapted: Java checks
/// the restart with `maybeUpdateProducerIdAndEpoch(tp0)`; here it happens when the next batch
/// of tp0 gets its sequence.
#[test]
fn batch_completed_after_producer_reset() {
    let mut tm = idempotent(13131, i16::MAX);
    let b1 = write(&mut tm, &tp0(), 1);
    write(&mut tm, &tp1(), 1);
    let b2 = write(&mut tm, &tp0(), 1);
    assert_eq!(tm.sequence_number(&tp0()), 2);

    // The producer id might be reset due to a failure on another partition.
    tm.request_epoch_bump_for_partition(&tp1());
    assert!(run_once(&mut tm).is_empty());
    let rewrites = tm.set_producer_id_and_epoch(pid(13132, 0));
    assert!(rewrites.iter().all(|(tp, _)| *tp == tp1()));

    tm.handle_completed_batch(&tp0(), &b1, 500);
    assert_eq!(tm.sequence_number(&tp0()), 2);
    assert_eq!(tm.last_acked_sequence(&tp0()), 0);
    assert_eq!(tm.first_in_flight_sequence(&tp0()), b2.base_sequence);
    assert_eq!(tm.partitions[&tp0()].in_flight[0].producer.epoch, i16::MAX);

    tm.handle_completed_batch(&tp0(), &b2, 501);
    assert!(!tm.has_in_flight_batches(&tp0()));
    assert!(tm.has_stale_producer_id_and_epoch(&tp0()));
    let b3 = drain_new(&mut tm, &tp0(), 1);
    assert_eq!(b3.base_sequence, 0);
    assert_eq!(b3.producer, pid(13132, 0));
    assert_eq!(tm.last_acked_sequence(&tp0()), -1);
    assert_eq!(tm.first_in_flight_sequence(&tp0()), 0);
}

/// TransactionManagerTest.testDuplicateSequenceAfterProducerReset: a batch times out on its
/// request, is retried, and expires while the retry is in flight: its sequence is
/// unresolved, nothing else is in flight, so the epoch is bumped and the partition restarts
/// at 0; the next batch takes sequence 0 under the new epoch and is itself retried after
/// another request timeout. (The request timeouts reach the manager as the sender passes
/// them, as NETWORK_EXCEPTION.)
#[test]
fn duplicate_sequence_after_producer_reset() {
    let mut tm = idempotent(13131, 1);
    assert_eq!(tm.sequence_number(&tp0()), 0);
    let b1 = drain_new(&mut tm, &tp0(), 1);
    assert_eq!(tm.sequence_number(&tp0()), 1);
    assert_eq!(
        tm.can_retry(&tp0(), &b1, false, ErrorCode::NETWORK_EXCEPTION, -1),
        RetryDecision::Retry
    );
    assert!(tm.has_in_flight_batches(&tp0()));
    assert_eq!(tm.sequence_number(&tp0()), 1);
    // Delivery timeout while the retry is in flight.
    expire(&mut tm, &tp0(), &b1, true);
    assert!(tm.has_unresolved_sequence(&tp0()));
    run_once(&mut tm);
    assert_eq!(tm.producer_id_and_epoch().epoch, 2);
    assert_eq!(tm.sequence_number(&tp0()), 0);

    let b2 = drain_new(&mut tm, &tp0(), 1);
    assert_eq!((b2.base_sequence, b2.producer.epoch), (0, 2));
    assert_eq!(tm.first_in_flight_sequence(&tp0()), 0);
    assert_eq!(tm.sequence_number(&tp0()), 1);
    assert_eq!(
        tm.can_retry(&tp0(), &b2, false, ErrorCode::NETWORK_EXCEPTION, -1),
        RetryDecision::Retry
    );
    assert!(
        tm.has_in_flight_batches(&tp0()),
        "the later batch is retried"
    );
}

/// TransactionManagerTest.testBumpEpochAfterTimeoutWithoutPendingInflightRequests: marking a
/// sequence unresolved with nothing in flight and everything acknowledged is a no-op; a batch
/// that expires (unresolved) with nothing else in flight makes the next loop bump the epoch.
#[test]
fn bump_epoch_after_timeout_without_pending_inflight_requests() {
    let mut tm = idempotent(15, 5);
    // Nothing to resolve, so no bump.
    run_once(&mut tm);
    assert_eq!(tm.producer_id_and_epoch(), pid(15, 5));

    let tp0 = TopicPartition::new("foo", 0);
    assert_eq!(tm.sequence_number(&tp0), 0);
    let b1 = write(&mut tm, &tp0, 1);
    assert_eq!(tm.sequence_number(&tp0), 1);
    tm.handle_completed_batch(&tp0, &b1, 500);
    assert_eq!(tm.last_acked_sequence(&tp0), 0);

    tm.mark_sequence_unresolved(&tp0, &b1);
    tm.maybe_resolve_sequences();
    assert_eq!(tm.producer_id_and_epoch(), pid(15, 5));
    assert!(!tm.has_unresolved_sequence(&tp0));

    let b2 = write(&mut tm, &tp0, 1);
    assert_eq!(tm.sequence_number(&tp0), 2);
    expire(&mut tm, &tp0, &b2, true);
    assert!(tm.has_unresolved_sequence(&tp0));
    tm.maybe_resolve_sequences();
    assert!(!tm.has_unresolved_sequence(&tp0));
    run_once(&mut tm);
    assert_eq!(tm.producer_id_and_epoch(), pid(15, 6));
}

/// TransactionManagerTest.testNoProducerIdResetAfterLastInFlightBatchSucceeds: the first two
/// of three batches expire (the first after a retry: unresolved); no bump while the third is
/// in flight, and none once it succeeds, since its success proves the earlier ones written.
#[test]
fn no_producer_id_reset_after_last_in_flight_batch_succeeds() {
    let mut tm = idempotent(15, 5);
    let tp0 = TopicPartition::new("foo", 0);
    let b1 = write(&mut tm, &tp0, 1);
    let b2 = write(&mut tm, &tp0, 1);
    let b3 = write(&mut tm, &tp0, 1);
    assert_eq!(tm.sequence_number(&tp0), 3);

    expire(&mut tm, &tp0, &b1, true);
    assert!(tm.has_unresolved_sequence(&tp0));
    assert!(tm.should_stop_drain(&tp0, None), "new batches wait");
    run_once(&mut tm);
    assert_eq!(tm.producer_id_and_epoch(), pid(15, 5));
    assert!(tm.has_unresolved_sequence(&tp0));

    expire(&mut tm, &tp0, &b2, false);
    run_once(&mut tm);
    assert_eq!(tm.producer_id_and_epoch(), pid(15, 5));
    assert!(tm.has_unresolved_sequence(&tp0));

    tm.handle_completed_batch(&tp0, &b3, 500);
    run_once(&mut tm);
    assert_eq!(tm.producer_id_and_epoch(), pid(15, 5));
    assert!(!tm.has_unresolved_sequence(&tp0));
    assert_eq!(tm.sequence_number(&tp0), 3);
}

/// TransactionManagerTest.testEpochBumpAfterLastInflightBatchFails: the first batch expires
/// after a retry (unresolved), the second succeeds, the third expires: the acknowledged
/// sequence did not catch up, so the epoch is bumped and the partition restarts at 0.
#[test]
fn epoch_bump_after_last_inflight_batch_fails() {
    let mut tm = idempotent(13131, 1);
    let tp0 = TopicPartition::new("foo", 0);
    let b1 = write(&mut tm, &tp0, 1);
    let b2 = write(&mut tm, &tp0, 1);
    let b3 = write(&mut tm, &tp0, 1);
    assert_eq!(tm.sequence_number(&tp0), 3);

    expire(&mut tm, &tp0, &b1, true);
    assert!(tm.has_unresolved_sequence(&tp0));
    tm.handle_completed_batch(&tp0, &b2, 500);
    run_once(&mut tm);
    assert_eq!(tm.producer_id_and_epoch(), pid(13131, 1));
    assert!(tm.has_unresolved_sequence(&tp0));

    expire(&mut tm, &tp0, &b3, false);
    run_once(&mut tm);
    assert_eq!(tm.producer_id_and_epoch().epoch, 2);
    assert!(!tm.has_unresolved_sequence(&tp0));
    assert_eq!(tm.sequence_number(&tp0), 0);
}

/// TransactionManagerTest.testNoFailedBatchHandlingWhenTxnManagerIsInFatalError: a batch
/// failing with OUT_OF_ORDER_SEQUENCE_NUMBER bumps the epoch; once the manager is in a fatal
/// state, a failed batch (even with retries left) no longer does.
#[test]
fn no_failed_batch_handling_when_txn_manager_is_in_fatal_error() {
    let mut tm = idempotent(15, 5);
    let tp0 = TopicPartition::new("foo", 0);
    let b1 = write(&mut tm, &tp0, 1);
    tm.handle_failed_batch(
        &tp0,
        &b1,
        &broker(ErrorCode::OUT_OF_ORDER_SEQUENCE_NUMBER),
        false,
    );
    run_once(&mut tm);
    assert_eq!(tm.producer_id_and_epoch(), pid(15, 6));

    tm.set_fatal(Error::ProducerClosed("fatal".into()));
    let b2 = write(&mut tm, &tp0, 1);
    tm.handle_failed_batch(&tp0, &b2, &delivery_timeout(), true);
    assert!(!tm.epoch_bump_required());
    run_once(&mut tm);
    assert_eq!(tm.producer_id_and_epoch(), pid(15, 6));
}

/// TransactionManagerTest.testFailIfNotReadyForSendIdempotentProducerFatalError: after a fatal
/// error nothing more is sent. Java's `maybeAddPartition` throws; here `should_stop_drain`
/// holds every partition back and the first fatal error is kept.
#[test]
fn fail_if_not_ready_for_send_idempotent_producer_fatal_error() {
    let mut tm = idempotent(13131, 1);
    assert!(!tm.should_stop_drain(&tp0(), None));
    let first = Error::ProducerClosed("first".into());
    tm.set_fatal(first.clone());
    tm.set_fatal(Error::ProducerClosed("second".into()));
    assert_eq!(tm.fatal_error(), Some(&first));
    assert!(tm.should_stop_drain(&tp0(), None));
    assert!(tm.should_stop_drain(&tp1(), Some(0)));
}

/// TransactionManagerTest.testHealthyPartitionRetriesDuringEpochBump: an UNKNOWN_PRODUCER_ID
/// on tp0 bumps the epoch and rewrites tp0's batches; tp1's in-flight batch keeps the old
/// epoch and sequence, may still be retried (NOT_LEADER_OR_FOLLOWER) and drained while new
/// tp1 batches wait; once it succeeds, tp1's next batch starts at 0 under the new epoch.
/// Adapted: Java's `maybeUpdateProducerIdAndEpoch(tp1)` (sequence 0) is the next batch's
/// sequence assignment here.
#[test]
fn healthy_partition_retries_during_epoch_bump() {
    let mut tm = idempotent(13131, 1);
    let tp0b1 = write(&mut tm, &tp0(), 1);
    let tp0b2 = write(&mut tm, &tp0(), 1);
    let tp0b3 = write(&mut tm, &tp0(), 1);
    let tp1b1 = write(&mut tm, &tp1(), 1);
    let tp1b2 = write(&mut tm, &tp1(), 1);
    assert_eq!(tm.sequence_number(&tp0()), 3);
    assert_eq!(tm.sequence_number(&tp1()), 2);
    tm.handle_completed_batch(&tp0(), &tp0b1, 500);
    tm.handle_completed_batch(&tp1(), &tp1b1, 500);

    assert_eq!(
        tm.can_retry(&tp0(), &tp0b2, false, ErrorCode::UNKNOWN_PRODUCER_ID, 500),
        RetryDecision::Retry
    );
    let rewrites = run_once(&mut tm);
    assert_eq!(tm.producer_id_and_epoch().epoch, 2);
    // tp0's batches are rewritten, tp1's are not.
    let r2 = rewritten(&tp0b2, &rewrites);
    assert_eq!((r2.base_sequence, r2.producer.epoch), (0, 2));
    assert_eq!(rewritten(&tp0b3, &rewrites).base_sequence, 1);
    assert_eq!(tm.first_in_flight_sequence(&tp0()), 0);
    assert!(rewrites.iter().all(|(tp, _)| *tp == tp0()));
    assert_eq!(tm.first_in_flight_sequence(&tp1()), 1);
    assert_eq!(tm.partitions[&tp1()].in_flight[0].producer.epoch, 1);

    // New tp1 batches wait while tp1 has in-flight batches of the old epoch.
    assert!(tm.should_stop_drain(&tp1(), None));
    // The old-epoch batch is retried after a partition failover, and drains.
    assert_eq!(
        tm.can_retry(
            &tp1(),
            &tp1b2,
            false,
            ErrorCode::NOT_LEADER_OR_FOLLOWER,
            600
        ),
        RetryDecision::Retry
    );
    assert!(!tm.should_stop_drain(&tp1(), Some(1)));
    assert!(tm.should_stop_drain(&tp1(), None));
    assert_eq!(tp1b2.producer.epoch, 1);

    tm.handle_completed_batch(&tp1(), &tp1b2, 501);
    assert!(!tm.has_in_flight_batches(&tp1()));
    let tp1b3 = drain_new(&mut tm, &tp1(), 1);
    assert_eq!((tp1b3.base_sequence, tp1b3.producer.epoch), (0, 2));
    tm.handle_completed_batch(&tp1(), &tp1b3, 502);
    assert!(!tm.has_in_flight_batches(&tp1()));
    assert_eq!(tm.sequence_number(&tp1()), 1);
}

// ---- SenderTest (idempotence cases decided by the manager) ----

/// SenderTest.testSequenceNumberIncrement: the first batch goes out with the producer id,
/// epoch 0 and sequence 0; its acknowledgement sets the last acked sequence to 0 and the next
/// sequence is 1.
#[test]
fn sender_sequence_number_increment() {
    let mut tm = idempotent(343434, 0);
    let b = drain_new(&mut tm, &tp0(), 1);
    assert_eq!(b.base_sequence, 0);
    assert_eq!(b.producer, pid(343434, 0));
    tm.handle_completed_batch(&tp0(), &b, 0);
    assert_eq!(tm.last_acked_sequence(&tp0()), 0);
    assert_eq!(tm.sequence_number(&tp0()), 1);
}

/// SenderTest.testEpochBumpOnOutOfOrderSequenceForNextBatch: after a 2-record batch is
/// acknowledged, OUT_OF_ORDER_SEQUENCE_NUMBER for the next batch (sequence 2, right after the
/// last acknowledged) is a real gap: the epoch is bumped and the batch restarts at 0.
#[test]
fn sender_epoch_bump_on_out_of_order_sequence_for_next_batch() {
    let mut tm = idempotent(343434, 0);
    assert_eq!(tm.sequence_number(&tp0()), 0);
    let b1 = drain_new(&mut tm, &tp0(), 2);
    assert_eq!(tm.sequence_number(&tp0()), 2);
    assert_eq!(tm.last_acked_sequence(&tp0()), -1);
    tm.handle_completed_batch(&tp0(), &b1, 0);
    let b2 = drain_new(&mut tm, &tp0(), 1);
    assert_eq!(tm.sequence_number(&tp0()), 3);
    assert_eq!(tm.last_acked_sequence(&tp0()), 1);

    assert_eq!(
        tm.can_retry(
            &tp0(),
            &b2,
            false,
            ErrorCode::OUT_OF_ORDER_SEQUENCE_NUMBER,
            -1
        ),
        RetryDecision::Retry
    );
    let rewrites = run_once(&mut tm);
    assert_eq!(tm.producer_id_and_epoch().epoch, 1);
    assert_eq!(rewritten(&b2, &rewrites).base_sequence, 0);
    assert_eq!(tm.sequence_number(&tp0()), 1);
    assert_eq!(tm.first_in_flight_sequence(&tp0()), 0);
}

/// SenderTest.testEpochBumpOnOutOfOrderSequenceForNextBatchWhenThereIsNoBatchInFlight: the
/// bump caused by tp0 leaves tp1 (nothing in flight) on the old epoch until its next batch,
/// which then starts at sequence 0 under the new epoch.
#[test]
fn sender_epoch_bump_on_out_of_order_sequence_for_next_batch_when_there_is_no_batch_in_flight() {
    let id = 343434;
    let mut tm = idempotent(id, 0);
    assert_eq!(tm.producer_id_and_epoch(), pid(id, 0));
    let b = drain_new(&mut tm, &tp0(), 1);
    assert_partition_state(&tm, &tp0(), pid(id, 0), 1, -1);
    tm.handle_completed_batch(&tp0(), &b, 0);
    assert_partition_state(&tm, &tp0(), pid(id, 0), 1, 0);
    let b = drain_new(&mut tm, &tp1(), 1);
    assert_partition_state(&tm, &tp1(), pid(id, 0), 1, -1);
    tm.handle_completed_batch(&tp1(), &b, 0);
    assert_partition_state(&tm, &tp1(), pid(id, 0), 1, 0);

    let tp0b2 = drain_new(&mut tm, &tp0(), 1);
    assert_partition_state(&tm, &tp0(), pid(id, 0), 2, 0);
    assert_eq!(
        tm.can_retry(
            &tp0(),
            &tp0b2,
            false,
            ErrorCode::OUT_OF_ORDER_SEQUENCE_NUMBER,
            -1
        ),
        RetryDecision::Retry
    );
    let rewrites = run_once(&mut tm);
    assert_eq!(tm.producer_id_and_epoch().epoch, 1);
    assert_partition_state(&tm, &tp0(), pid(id, 1), 1, -1);
    assert_partition_state(&tm, &tp1(), pid(id, 0), 1, 0);
    assert!(tm.has_stale_producer_id_and_epoch(&tp1()));

    let tp0b2 = rewritten(&tp0b2, &rewrites);
    assert_eq!((tp0b2.base_sequence, tp0b2.producer.epoch), (0, 1));
    tm.handle_completed_batch(&tp0(), &tp0b2, 1);
    assert_partition_state(&tm, &tp0(), pid(id, 1), 1, 0);

    let tp1b2 = drain_new(&mut tm, &tp1(), 1);
    assert_eq!((tp1b2.base_sequence, tp1b2.producer.epoch), (0, 1));
    assert_partition_state(&tm, &tp1(), pid(id, 1), 1, -1);
    assert!(!tm.has_stale_producer_id_and_epoch(&tp1()));
    tm.handle_completed_batch(&tp1(), &tp1b2, 1);
    assert_partition_state(&tm, &tp1(), pid(id, 1), 1, 0);
}

/// SenderTest.testEpochBumpOnOutOfOrderSequenceForNextBatchWhenBatchInFlightFails: the bump
/// caused by tp0 leaves tp1's in-flight batch on the old epoch; it is retried, then fails for
/// good (retries exhausted: `handle_failed_batch` without adjusting, as the sender calls it),
/// which changes nothing; tp1's next batch starts at 0 under the new epoch.
#[test]
fn sender_epoch_bump_on_out_of_order_sequence_for_next_batch_when_batch_in_flight_fails() {
    let id = 343434;
    let mut tm = idempotent(id, 0);
    for tp in [tp0(), tp1()] {
        let b = drain_new(&mut tm, &tp, 1);
        assert_partition_state(&tm, &tp, pid(id, 0), 1, -1);
        tm.handle_completed_batch(&tp, &b, 0);
        assert_partition_state(&tm, &tp, pid(id, 0), 1, 0);
    }
    let tp0b2 = drain_new(&mut tm, &tp0(), 1);
    assert_partition_state(&tm, &tp0(), pid(id, 0), 2, 0);
    let tp1b2 = drain_new(&mut tm, &tp1(), 1);
    assert_partition_state(&tm, &tp1(), pid(id, 0), 2, 0);

    assert_eq!(
        tm.can_retry(
            &tp0(),
            &tp0b2,
            false,
            ErrorCode::OUT_OF_ORDER_SEQUENCE_NUMBER,
            -1
        ),
        RetryDecision::Retry
    );
    let rewrites = run_once(&mut tm);
    assert_eq!(tm.producer_id_and_epoch().epoch, 1);
    assert_partition_state(&tm, &tp0(), pid(id, 1), 1, -1);
    assert_partition_state(&tm, &tp1(), pid(id, 0), 2, 0);
    assert!(tm.has_stale_producer_id_and_epoch(&tp1()));

    assert_eq!(
        tm.can_retry(&tp1(), &tp1b2, false, ErrorCode::NOT_LEADER_OR_FOLLOWER, -1),
        RetryDecision::Retry
    );
    assert_partition_state(&tm, &tp1(), pid(id, 0), 2, 0);
    assert!(tm.has_stale_producer_id_and_epoch(&tp1()));

    tm.handle_completed_batch(&tp0(), &rewritten(&tp0b2, &rewrites), 1);
    assert_partition_state(&tm, &tp0(), pid(id, 1), 1, 0);

    // tp1's batch fails for good, retries exhausted.
    tm.handle_failed_batch(
        &tp1(),
        &tp1b2,
        &broker(ErrorCode::NOT_LEADER_OR_FOLLOWER),
        false,
    );
    assert!(!tm.epoch_bump_required());
    assert_partition_state(&tm, &tp1(), pid(id, 0), 2, 0);
    assert!(tm.has_stale_producer_id_and_epoch(&tp1()));

    let tp1b3 = drain_new(&mut tm, &tp1(), 1);
    assert_eq!(tp1b3.base_sequence, 0);
    assert_partition_state(&tm, &tp1(), pid(id, 1), 1, -1);
    assert!(!tm.has_stale_producer_id_and_epoch(&tp1()));
    tm.handle_completed_batch(&tp1(), &tp1b3, 0);
    assert_partition_state(&tm, &tp1(), pid(id, 1), 1, 0);

    let tp0b3 = drain_new(&mut tm, &tp0(), 1);
    assert_eq!(tp0b3.base_sequence, 1);
    assert_partition_state(&tm, &tp0(), pid(id, 1), 2, 0);
    tm.handle_completed_batch(&tp0(), &tp0b3, 0);
    assert_partition_state(&tm, &tp0(), pid(id, 1), 2, 1);
}

/// SenderTest.testCorrectHandlingOfOutOfOrderResponses: the second of two batches in flight
/// gets OUT_OF_ORDER_SEQUENCE_NUMBER (not the next sequence: retried without a bump), then the
/// first gets NOT_LEADER_OR_FOLLOWER; both are re-queued, drain in sequence order, and
/// succeed. Adapted for rule (a): a warm-up batch is acknowledged first (sequences 1 and 2
/// where Java has 0 and 1). Java's "one in flight while retrying" is the accumulator's; here
/// only the lowest in-flight sequence may drain. (Merges the former
/// `retries_go_in_sequence_order_one_at_a_time`.)
#[test]
fn sender_correct_handling_of_out_of_order_responses() {
    let mut tm = idempotent(343434, 0);
    warm_up(&mut tm, &tp0(), 0);
    let b1 = drain_new(&mut tm, &tp0(), 1);
    let b2 = drain_new(&mut tm, &tp0(), 1);
    assert_eq!((b1.base_sequence, b2.base_sequence), (1, 2));
    assert_eq!(tm.sequence_number(&tp0()), 3);

    assert_eq!(
        tm.can_retry(
            &tp0(),
            &b2,
            false,
            ErrorCode::OUT_OF_ORDER_SEQUENCE_NUMBER,
            -1
        ),
        RetryDecision::Retry
    );
    assert!(
        !tm.epoch_bump_required(),
        "not the next sequence: plain retry"
    );
    assert_eq!(
        tm.can_retry(&tp0(), &b1, false, ErrorCode::NOT_LEADER_OR_FOLLOWER, -1),
        RetryDecision::Retry
    );
    assert!(!tm.epoch_bump_required());
    assert_eq!(tm.last_acked_sequence(&tp0()), 0);
    // Re-queued in order: only the lowest in-flight sequence may drain.
    assert!(!tm.should_stop_drain(&tp0(), Some(1)));
    assert!(tm.should_stop_drain(&tp0(), Some(2)));
    // A new batch (no sequence) is not held back by retries alone.
    assert!(!tm.should_stop_drain(&tp0(), None));

    tm.handle_completed_batch(&tp0(), &b1, 1);
    assert_eq!(tm.last_acked_sequence(&tp0()), 1);
    assert!(!tm.should_stop_drain(&tp0(), Some(2)));
    tm.handle_completed_batch(&tp0(), &b2, 2);
    assert_eq!(tm.last_acked_sequence(&tp0()), 2);
    assert!(!tm.has_in_flight_batches(&tp0()));
    assert_eq!(tm.producer_id_and_epoch().epoch, 0);
}

/// SenderTest.testCorrectHandlingOfOutOfOrderResponsesWhenSecondSucceeds: the second batch
/// succeeds, then the first gets REQUEST_TIMED_OUT: it is retried and succeeds, and the last
/// acknowledged sequence stays the second's. Adapted for rule (a) with a warm-up batch
/// (sequences shifted by one).
#[test]
fn sender_correct_handling_of_out_of_order_responses_when_second_succeeds() {
    let mut tm = idempotent(343434, 0);
    warm_up(&mut tm, &tp0(), 0);
    let b1 = drain_new(&mut tm, &tp0(), 1);
    let b2 = drain_new(&mut tm, &tp0(), 1);
    tm.handle_completed_batch(&tp0(), &b2, 2);
    assert_eq!(tm.last_acked_sequence(&tp0()), 2);
    assert_eq!(
        tm.can_retry(&tp0(), &b1, false, ErrorCode::REQUEST_TIMED_OUT, -1),
        RetryDecision::Retry
    );
    assert!(!tm.epoch_bump_required());
    assert!(!tm.should_stop_drain(&tp0(), Some(1)));
    assert_eq!(tm.last_acked_sequence(&tp0()), 2);
    tm.handle_completed_batch(&tp0(), &b1, 1);
    assert_eq!(tm.last_acked_sequence(&tp0()), 2);
    assert_eq!(tm.last_acked_offset(&tp0()), 2);
    assert!(!tm.has_in_flight_batches(&tp0()));
    assert!(!tm.epoch_bump_required());
}

/// SenderTest.testExpiryOfUnsentBatchesShouldNotCauseUnresolvedSequences: a batch that
/// expires before it was drained never got a sequence, and the sender's `abandon_batch` only
/// tells the manager about batches with one; a batch that expires after a single attempt
/// (not in retry) leaves the in-flight set without making the sequence unresolved either.
#[test]
fn sender_expiry_of_unsent_batches_should_not_cause_unresolved_sequences() {
    let mut tm = idempotent(343434, 0);
    assert_eq!(tm.sequence_number(&tp0()), 0);
    // The unsent batch: nothing of it reached the manager.
    assert!(!tm.has_unresolved_sequence(&tp0()));
    assert!(!tm.should_stop_drain(&tp0(), None));
    // Sent once, then expired without a retry.
    let b = drain_new(&mut tm, &tp0(), 1);
    expire(&mut tm, &tp0(), &b, false);
    assert!(!tm.has_unresolved_sequence(&tp0()));
    assert!(!tm.has_in_flight_batches(&tp0()));
}

/// SenderTest.testExpiryOfFirstBatchShouldNotCauseUnresolvedSequencesIfFutureBatchesSucceed:
/// the first of two batches is retried (REQUEST_TIMED_OUT) and expires: the partition is
/// unresolved and a new batch waits; the second batch succeeds, so the next loop resolves the
/// partition without a bump and the new batch drains with the next sequence. Adapted for
/// rule (a) with a warm-up batch (sequences shifted by one). (Merges the former
/// `expired_retried_batch_makes_the_partition_unresolved_until_known`.)
#[test]
fn sender_expiry_of_first_batch_should_not_cause_unresolved_sequences_if_future_batches_succeed() {
    let mut tm = idempotent(343434, 0);
    warm_up(&mut tm, &tp0(), 0);
    let b1 = drain_new(&mut tm, &tp0(), 1);
    let b2 = drain_new(&mut tm, &tp0(), 1);
    assert_eq!(
        tm.can_retry(&tp0(), &b1, false, ErrorCode::REQUEST_TIMED_OUT, -1),
        RetryDecision::Retry
    );
    expire(&mut tm, &tp0(), &b1, true);
    assert!(tm.has_unresolved_sequence(&tp0()));
    assert!(tm.should_stop_drain(&tp0(), None), "new batches wait");

    tm.handle_completed_batch(&tp0(), &b2, 2);
    assert!(tm.should_stop_drain(&tp0(), None), "until the next loop");
    assert_eq!(tm.sequence_number(&tp0()), 3);
    assert!(tm.has_unresolved_sequence(&tp0()));

    run_once(&mut tm);
    assert!(!tm.has_unresolved_sequence(&tp0()));
    assert!(tm.producer_id_and_epoch().is_valid());
    assert_eq!(tm.producer_id_and_epoch().epoch, 0, "no bump");
    let b3 = drain_new(&mut tm, &tp0(), 1);
    assert_eq!(b3.base_sequence, 3);
}

/// SenderTest.testExpiryOfFirstBatchShouldCauseEpochBumpIfFutureBatchesFail: the first of two
/// batches is retried (NOT_LEADER_OR_FOLLOWER) and expires (unresolved, next sequence that of
/// the second); the second then gets OUT_OF_ORDER_SEQUENCE_NUMBER: it is the next sequence of
/// the unresolved partition, so the gap is real: bump, restart the second at 0, and the
/// partition is no longer unresolved. Adapted for rule (a) with a warm-up batch.
#[test]
fn sender_expiry_of_first_batch_should_cause_epoch_bump_if_future_batches_fail() {
    let mut tm = idempotent(343434, 0);
    warm_up(&mut tm, &tp0(), 0);
    let b1 = drain_new(&mut tm, &tp0(), 1);
    let b2 = drain_new(&mut tm, &tp0(), 1);
    assert_eq!(
        tm.can_retry(&tp0(), &b1, false, ErrorCode::NOT_LEADER_OR_FOLLOWER, -1),
        RetryDecision::Retry
    );
    expire(&mut tm, &tp0(), &b1, true);
    assert!(tm.has_unresolved_sequence(&tp0()));
    assert!(tm.should_stop_drain(&tp0(), None));

    assert_eq!(
        tm.can_retry(
            &tp0(),
            &b2,
            false,
            ErrorCode::OUT_OF_ORDER_SEQUENCE_NUMBER,
            1
        ),
        RetryDecision::Retry
    );
    assert!(tm.epoch_bump_required());
    let rewrites = run_once(&mut tm);
    assert_eq!(tm.producer_id_and_epoch().epoch, 1);
    assert_eq!(rewritten(&b2, &rewrites).base_sequence, 0);
    assert_eq!(tm.sequence_number(&tp0()), 1);
    assert!(!tm.has_unresolved_sequence(&tp0()));
}

/// SenderTest.testExpiryOfAllSentBatchesShouldCauseUnresolvedSequences: the only batch is
/// retried (NOT_LEADER_OR_FOLLOWER) and expires: unresolved, and with nothing in flight the
/// next loop bumps the epoch and clears the unresolved state.
#[test]
fn sender_expiry_of_all_sent_batches_should_cause_unresolved_sequences() {
    let mut tm = idempotent(343434, 0);
    let b = drain_new(&mut tm, &tp0(), 1);
    assert_eq!(
        tm.can_retry(&tp0(), &b, false, ErrorCode::NOT_LEADER_OR_FOLLOWER, -1),
        RetryDecision::Retry
    );
    assert_eq!(tm.sequence_number(&tp0()), 1);
    expire(&mut tm, &tp0(), &b, true);
    assert!(tm.has_unresolved_sequence(&tp0()));
    assert!(!tm.has_in_flight_batches(&tp0()));
    assert_eq!(tm.producer_id_and_epoch().producer_id, 343434);
    run_once(&mut tm);
    assert_eq!(tm.producer_id_and_epoch().epoch, 1);
    assert!(!tm.has_unresolved_sequence(&tp0()));
}

/// SenderTest.testResetOfProducerStateShouldAllowQueuedBatchesToDrain: with the epoch
/// exhausted, OUT_OF_ORDER_SEQUENCE_NUMBER on tp0 (the next sequence) resets the producer id;
/// tp1's batch, retried after NOT_LEADER_OR_FOLLOWER under the old id, still drains once the
/// new id is there, succeeds, and tp1's next batch restarts under the new id.
#[test]
fn sender_reset_of_producer_state_should_allow_queued_batches_to_drain() {
    let mut tm = idempotent(343434, i16::MAX);
    let tp0b = drain_new(&mut tm, &tp0(), 1);
    let tp1b = drain_new(&mut tm, &tp1(), 1);
    assert_eq!(
        tm.can_retry(&tp1(), &tp1b, false, ErrorCode::NOT_LEADER_OR_FOLLOWER, -1),
        RetryDecision::Retry
    );
    assert_eq!(
        tm.can_retry(
            &tp0(),
            &tp0b,
            false,
            ErrorCode::OUT_OF_ORDER_SEQUENCE_NUMBER,
            -1
        ),
        RetryDecision::Retry
    );
    assert!(run_once(&mut tm).is_empty());
    assert_eq!(tm.init_state(), InitState::Needed);
    assert!(tm.should_stop_drain(&tp1(), Some(0)), "no producer id yet");
    let rewrites = tm.set_producer_id_and_epoch(pid(343435, 0));
    assert_eq!(tm.producer_id_and_epoch().producer_id, 343435);
    assert_eq!(rewritten(&tp0b, &rewrites).producer, pid(343435, 0));
    assert!(!tm.should_stop_drain(&tp1(), Some(0)), "tp1's retry drains");
    tm.handle_completed_batch(&tp1(), &tp1b, 10);
    assert_eq!(tm.last_acked_offset(&tp1()), 10);
    // The epoch and the sequence are updated when the next batch is sent.
    assert_eq!(tm.sequence_number(&tp1()), 1);
    let next = drain_new(&mut tm, &tp1(), 1);
    assert_eq!((next.base_sequence, next.producer), (0, pid(343435, 0)));
}

/// SenderTest.testBatchesDrainedWithOldProducerIdShouldSucceedOnSubsequentRetry: the epoch is
/// bumped because of tp0; tp1's batch of the old epoch gets NOT_LEADER_OR_FOLLOWER twice, is
/// retried each time, then succeeds; tp1's next batch restarts under the new epoch.
#[test]
fn sender_batches_drained_with_old_producer_id_should_succeed_on_subsequent_retry() {
    let mut tm = idempotent(343434, 0);
    let tp0b = drain_new(&mut tm, &tp0(), 1);
    let tp1b = drain_new(&mut tm, &tp1(), 1);
    assert_eq!(
        tm.can_retry(&tp1(), &tp1b, false, ErrorCode::NOT_LEADER_OR_FOLLOWER, -1),
        RetryDecision::Retry
    );
    assert_eq!(
        tm.can_retry(
            &tp0(),
            &tp0b,
            false,
            ErrorCode::OUT_OF_ORDER_SEQUENCE_NUMBER,
            -1
        ),
        RetryDecision::Retry
    );
    run_once(&mut tm);
    assert_eq!(tm.producer_id_and_epoch().epoch, 1);
    assert!(!tm.should_stop_drain(&tp1(), Some(0)));
    assert_eq!(
        tm.can_retry(&tp1(), &tp1b, false, ErrorCode::NOT_LEADER_OR_FOLLOWER, -1),
        RetryDecision::Retry
    );
    assert!(!tm.epoch_bump_required());
    tm.handle_completed_batch(&tp1(), &tp1b, 0);
    // The partition's epoch is bumped and its sequence reset when the next batch is sent.
    assert_eq!(tm.sequence_number(&tp1()), 1);
    let next = drain_new(&mut tm, &tp1(), 1);
    assert_eq!((next.base_sequence, next.producer.epoch), (0, 1));
}

/// SenderTest.testCorrectHandlingOfDuplicateSequenceError: the second batch is acknowledged at
/// offset 1000, then the first gets DUPLICATE_SEQUENCE_NUMBER: not retried, and completed by
/// the sender as a success without offset, which moves neither the last acknowledged
/// sequence nor offset. Adapted for rule (a) with a warm-up batch. (Merges the former
/// `duplicate_sequence_is_success_without_offset`.)
#[test]
fn sender_correct_handling_of_duplicate_sequence_error() {
    let mut tm = idempotent(343434, 0);
    warm_up(&mut tm, &tp0(), 999);
    let b1 = drain_new(&mut tm, &tp0(), 1);
    let b2 = drain_new(&mut tm, &tp0(), 1);
    assert_eq!(tm.sequence_number(&tp0()), 3);
    tm.handle_completed_batch(&tp0(), &b2, 1000);
    assert_eq!(tm.last_acked_offset(&tp0()), 1000);
    assert_eq!(tm.last_acked_sequence(&tp0()), 2);

    assert_eq!(
        tm.can_retry(&tp0(), &b1, false, ErrorCode::DUPLICATE_SEQUENCE_NUMBER, 0),
        RetryDecision::Fail
    );
    tm.handle_completed_batch(&tp0(), &b1, -1);
    assert_eq!(tm.last_acked_sequence(&tp0()), 2);
    assert_eq!(tm.last_acked_offset(&tp0()), 1000);
    assert!(!tm.has_in_flight_batches(&tp0()));
    assert!(!tm.epoch_bump_required());
}

/// SenderTest.testIdempotentUnknownProducerHandlingWhenRetentionLimitReached: after an
/// acknowledgement at offset 1000, a 2-record batch gets UNKNOWN_PRODUCER_ID with log start
/// offset 1010 (the broker lost the producer's state to retention): retried, the epoch is
/// bumped, the batch restarts at 0 and its success at 1011 acknowledges sequence 1 and offset
/// 1012. (Merges the former `unknown_producer_id_after_log_truncation_bumps_the_epoch`.)
#[test]
fn sender_idempotent_unknown_producer_handling_when_retention_limit_reached() {
    let mut tm = idempotent(343434, 0);
    let b0 = drain_new(&mut tm, &tp0(), 1);
    tm.handle_completed_batch(&tp0(), &b0, 1000);
    assert_eq!(tm.last_acked_sequence(&tp0()), 0);
    assert_eq!(tm.last_acked_offset(&tp0()), 1000);
    let b1 = drain_new(&mut tm, &tp0(), 2);
    assert_eq!(tm.sequence_number(&tp0()), 3);

    assert_eq!(
        tm.can_retry(&tp0(), &b1, false, ErrorCode::UNKNOWN_PRODUCER_ID, 1010),
        RetryDecision::Retry
    );
    let rewrites = run_once(&mut tm);
    assert_eq!(tm.last_acked_sequence(&tp0()), -1);
    assert_eq!(tm.sequence_number(&tp0()), 2);
    assert_eq!(tm.producer_id_and_epoch().epoch, 1);
    let b1 = rewritten(&b1, &rewrites);
    assert_eq!(b1.base_sequence, 0);
    tm.handle_completed_batch(&tp0(), &b1, 1011);
    assert_eq!(tm.last_acked_sequence(&tp0()), 1);
    assert_eq!(tm.sequence_number(&tp0()), 2);
    assert_eq!(tm.last_acked_offset(&tp0()), 1012);
}

/// SenderTest.testUnknownProducerErrorShouldBeRetriedWhenLogStartOffsetIsUnknown:
/// UNKNOWN_PRODUCER_ID without a log start offset (-1) is retried as is: no bump, the
/// sequences stay, and the retry succeeds with sequence 1.
#[test]
fn sender_unknown_producer_error_should_be_retried_when_log_start_offset_is_unknown() {
    let mut tm = idempotent(343434, 0);
    let b0 = drain_new(&mut tm, &tp0(), 1);
    tm.handle_completed_batch(&tp0(), &b0, 1000);
    let b1 = drain_new(&mut tm, &tp0(), 1);
    assert_eq!(tm.sequence_number(&tp0()), 2);
    assert_eq!(
        tm.can_retry(&tp0(), &b1, false, ErrorCode::UNKNOWN_PRODUCER_ID, -1),
        RetryDecision::Retry
    );
    assert!(!tm.epoch_bump_required());
    run_once(&mut tm);
    assert_eq!(tm.last_acked_sequence(&tp0()), 0);
    assert_eq!(tm.sequence_number(&tp0()), 2);
    assert!(!tm.should_stop_drain(&tp0(), Some(1)));
    tm.handle_completed_batch(&tp0(), &b1, 1011);
    assert_eq!(tm.last_acked_sequence(&tp0()), 1);
    assert_eq!(tm.last_acked_offset(&tp0()), 1011);
    assert_eq!(tm.producer_id_and_epoch().epoch, 0);
}

/// SenderTest.testUnknownProducerErrorShouldBeRetriedForFutureBatchesWhenFirstFails: two
/// batches in flight after an acknowledgement at 1000; the first gets UNKNOWN_PRODUCER_ID with
/// log start offset 1010: bump, both restart at 0 and 1. The second's stale answer (also
/// UNKNOWN_PRODUCER_ID, for its old sequence) is a plain retry since its sequence was reset.
/// Then the first succeeds at 1011 and the second, drained after it, at 1012.
#[test]
fn sender_unknown_producer_error_should_be_retried_for_future_batches_when_first_fails() {
    let mut tm = idempotent(343434, 0);
    let b0 = drain_new(&mut tm, &tp0(), 1);
    tm.handle_completed_batch(&tp0(), &b0, 1000);
    let b1 = drain_new(&mut tm, &tp0(), 1);
    let b2 = drain_new(&mut tm, &tp0(), 1);
    assert_eq!(tm.sequence_number(&tp0()), 3);
    assert_eq!(tm.last_acked_sequence(&tp0()), 0);

    assert_eq!(
        tm.can_retry(&tp0(), &b1, false, ErrorCode::UNKNOWN_PRODUCER_ID, 1010),
        RetryDecision::Retry
    );
    let rewrites = run_once(&mut tm);
    assert_eq!(tm.last_acked_sequence(&tp0()), -1);
    assert_eq!(tm.sequence_number(&tp0()), 2);
    assert_eq!(tm.producer_id_and_epoch().epoch, 1);
    let (b1, b2) = (rewritten(&b1, &rewrites), rewritten(&b2, &rewrites));
    assert_eq!((b1.base_sequence, b2.base_sequence), (0, 1));

    assert_eq!(
        tm.can_retry(&tp0(), &b2, true, ErrorCode::UNKNOWN_PRODUCER_ID, 1010),
        RetryDecision::Retry
    );
    assert!(
        !tm.epoch_bump_required(),
        "sequence already reset: no new bump"
    );
    assert_eq!(tm.last_acked_sequence(&tp0()), -1);
    assert_eq!(tm.sequence_number(&tp0()), 2);

    assert!(!tm.should_stop_drain(&tp0(), Some(0)));
    assert!(tm.should_stop_drain(&tp0(), Some(1)));
    tm.handle_completed_batch(&tp0(), &b1, 1011);
    assert_eq!(tm.last_acked_sequence(&tp0()), 0);
    assert_eq!(tm.last_acked_offset(&tp0()), 1011);
    assert!(!tm.should_stop_drain(&tp0(), Some(1)));
    tm.handle_completed_batch(&tp0(), &b2, 1012);
    assert_eq!(tm.last_acked_offset(&tp0()), 1012);
    assert!(!tm.has_in_flight_batches(&tp0()));
}

/// SenderTest.testShouldRaiseOutOfOrderSequenceExceptionToUserIfLogWasNotTruncated: despite
/// its historical name, the Java test checks that UNKNOWN_PRODUCER_ID with a log start offset
/// (10) below the last acknowledged offset (1000) also bumps the epoch for an idempotent
/// producer (KIP-360), resetting the last acknowledged sequence.
#[test]
fn sender_should_raise_out_of_order_sequence_exception_to_user_if_log_was_not_truncated() {
    let mut tm = idempotent(343434, 0);
    let b0 = drain_new(&mut tm, &tp0(), 1);
    tm.handle_completed_batch(&tp0(), &b0, 1000);
    let b1 = drain_new(&mut tm, &tp0(), 1);
    assert_eq!(tm.sequence_number(&tp0()), 2);
    assert_eq!(
        tm.can_retry(&tp0(), &b1, false, ErrorCode::UNKNOWN_PRODUCER_ID, 10),
        RetryDecision::Retry
    );
    run_once(&mut tm);
    assert_eq!(tm.producer_id_and_epoch().epoch, 1);
    assert_eq!(tm.last_acked_sequence(&tp0()), -1);
    assert!(tm.has_in_flight_batches(&tp0()), "the batch is not failed");
}

/// SenderTest.testClusterAuthorizationExceptionInProduceRequest: CLUSTER_AUTHORIZATION_FAILED
/// is fatal for the producer: every later send is held back (the sender fails them with the
/// fatal error) and no epoch bump follows. (Merges the former `fatal_errors_stop_everything`.)
#[test]
fn sender_cluster_authorization_exception_in_produce_request() {
    let mut tm = idempotent(343434, 0);
    let b = drain_new(&mut tm, &tp0(), 1);
    let err = broker(ErrorCode::CLUSTER_AUTHORIZATION_FAILED);
    assert_eq!(
        tm.can_retry(
            &tp0(),
            &b,
            false,
            ErrorCode::CLUSTER_AUTHORIZATION_FAILED,
            -1
        ),
        RetryDecision::Fail
    );
    tm.handle_failed_batch(&tp0(), &b, &err, true);
    assert_eq!(tm.fatal_error(), Some(&err));
    assert!(tm.should_stop_drain(&tp0(), None));
    assert!(tm.should_stop_drain(&tp1(), None));
    assert!(!tm.epoch_bump_required());
}

/// SenderTest.testUnsupportedForMessageFormatInProduceRequest: UNSUPPORTED_FOR_MESSAGE_FORMAT
/// fails the batch but is not fatal: other sends go on. (With retries left the failed
/// sequence is a gap, so an epoch bump is requested, as Java's `handleFailedBatch` with
/// `adjustSequenceNumbers` does; the Java test checks only that there is no error state.)
#[test]
fn sender_unsupported_for_message_format_in_produce_request() {
    let mut tm = idempotent(343434, 0);
    let b = drain_new(&mut tm, &tp0(), 1);
    assert_eq!(
        tm.can_retry(
            &tp0(),
            &b,
            false,
            ErrorCode::UNSUPPORTED_FOR_MESSAGE_FORMAT,
            -1
        ),
        RetryDecision::Fail
    );
    tm.handle_failed_batch(
        &tp0(),
        &b,
        &broker(ErrorCode::UNSUPPORTED_FOR_MESSAGE_FORMAT),
        true,
    );
    assert!(tm.fatal_error().is_none());
    run_once(&mut tm);
    assert!(!tm.should_stop_drain(&tp0(), None));
    assert!(!tm.should_stop_drain(&tp1(), None));
}

/// SenderTest.testIdempotenceWithMultipleInflightsWhereFirstFailsFatallyAndSequenceOfFutureBatchesIsAdjusted:
/// the first of two batches in flight fails for good (MESSAGE_TOO_LARGE, a single record so
/// no split) with retries left: its sequence is a gap, so the epoch is bumped and the second
/// batch restarts at 0; the second's stale OUT_OF_ORDER_SEQUENCE_NUMBER (for its old
/// sequence) is a plain retry, and its resend at sequence 0 succeeds. Adapted for rule (a)
/// with a warm-up batch. (Merges the former `definitive_failure_with_retries_left_bumps_the_epoch`.)
#[test]
fn sender_idempotence_with_multiple_inflights_where_first_fails_fatally_and_sequence_of_future_batches_is_adjusted()
 {
    let mut tm = idempotent(343434, 0);
    warm_up(&mut tm, &tp0(), 0);
    let b1 = drain_new(&mut tm, &tp0(), 1);
    let b2 = drain_new(&mut tm, &tp0(), 1);
    assert_eq!(
        tm.can_retry(&tp0(), &b1, false, ErrorCode::MESSAGE_TOO_LARGE, -1),
        RetryDecision::Fail
    );
    tm.handle_failed_batch(&tp0(), &b1, &broker(ErrorCode::MESSAGE_TOO_LARGE), true);
    assert!(tm.epoch_bump_required());
    let rewrites = run_once(&mut tm);
    assert_eq!(rewrites.len(), 1);
    let b2r = rewritten(&b2, &rewrites);
    assert_eq!((b2r.base_sequence, b2r.producer.epoch), (0, 1));
    assert_eq!(tm.last_acked_sequence(&tp0()), -1);

    assert_eq!(
        tm.can_retry(
            &tp0(),
            &b2r,
            true,
            ErrorCode::OUT_OF_ORDER_SEQUENCE_NUMBER,
            -1
        ),
        RetryDecision::Retry
    );
    assert!(!tm.epoch_bump_required());
    assert!(!tm.should_stop_drain(&tp0(), Some(0)));
    tm.handle_completed_batch(&tp0(), &b2r, 0);
    assert_eq!(tm.last_acked_sequence(&tp0()), 0);
    assert!(!tm.has_in_flight_batches(&tp0()));
}

/// Regression: with the epoch exhausted the producer id is dropped and a new one requested;
/// a bump requested by another partition while that request is in flight is served by the
/// new producer id (both partitions restart at 0 under it). It used to stay pending and
/// bump the new id's epoch once more at the next loop, leaving the just-rewritten batches on
/// a stale epoch for nothing.
#[test]
fn bump_requested_while_waiting_for_a_new_producer_id_is_served_by_it() {
    let mut tm = idempotent(7, i16::MAX);
    let a = drain_new(&mut tm, &tp0(), 1);
    let b = drain_new(&mut tm, &tp1(), 1);
    tm.request_epoch_bump_for_partition(&tp0());
    assert!(run_once(&mut tm).is_empty());
    assert_eq!(tm.init_state(), InitState::Needed);
    tm.init_sent();
    // tp1's batch answers OUT_OF_ORDER_SEQUENCE_NUMBER while InitProducerId is in flight.
    assert_eq!(
        tm.can_retry(
            &tp1(),
            &b,
            false,
            ErrorCode::OUT_OF_ORDER_SEQUENCE_NUMBER,
            -1
        ),
        RetryDecision::Retry
    );
    assert!(run_once(&mut tm).is_empty(), "no producer id to bump");
    let rewrites = tm.set_producer_id_and_epoch(pid(8, 0));
    assert_eq!(rewrites.len(), 2);
    assert_eq!(rewritten(&a, &rewrites).producer, pid(8, 0));
    assert_eq!(rewritten(&b, &rewrites).producer, pid(8, 0));
    assert!(
        !tm.epoch_bump_required(),
        "the new producer id served the bump"
    );
    assert!(run_once(&mut tm).is_empty());
    assert_eq!(tm.producer_id_and_epoch(), pid(8, 0));
    assert!(!tm.has_stale_producer_id_and_epoch(&tp0()));
    assert!(!tm.has_stale_producer_id_and_epoch(&tp1()));
}
