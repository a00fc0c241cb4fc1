//! Tests of `kafka_producer::mock::MockProducer`, ported from Java's `MockProducerTest` where
//! they apply (each names the Java test it mirrors).

use kafka_producer::mock::MockProducer;
use kafka_producer::producer::serializer::StringSerializer;
use kafka_producer::{Cluster, Error, PartitionInfo, ProducerRecord};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

const TOPIC: &str = "topic";

fn mock(auto_complete: bool) -> MockProducer<String, String> {
    MockProducer::new(auto_complete, StringSerializer, StringSerializer)
}

fn record(key: &str, value: &str) -> ProducerRecord<String, String> {
    ProducerRecord::with_key_value(TOPIC, key.to_string(), value.to_string())
}

/// `MockProducerTest.testAutoCompleteMock`
#[test]
fn test_auto_complete_mock() {
    let producer = mock(true);
    let r = record("key", "value");
    let metadata = producer.send(r.clone());
    assert!(metadata.is_done(), "Send should be immediately complete");
    assert_eq!(metadata.get().unwrap().offset, 0, "Offset should be 0");
    assert_eq!(
        producer.history(),
        vec![r],
        "We should have the record in our history"
    );
    producer.clear();
    assert!(
        producer.history().is_empty(),
        "Clear should erase our history"
    );
}

/// `MockProducerTest.testPartitioner`
#[test]
fn test_partitioner() {
    let partitions = (0..2).map(|p| PartitionInfo::new(TOPIC, p, None));
    let cluster = Cluster::new(None, None, [], partitions);
    let producer = MockProducer::with_cluster(cluster, true, StringSerializer, StringSerializer);
    assert_eq!(producer.partitions_for(TOPIC).len(), 2);
    let metadata = producer.send(record("key", "value"));
    assert_eq!(
        metadata.get().unwrap().partition,
        1,
        "Partition should be correct"
    );
}

/// `MockProducerTest.testManualCompletion`
#[test]
fn test_manual_completion() {
    let producer = mock(false);
    let r1 = record("key1", "value1");
    let r2 = record("key2", "value2");
    let md1 = producer.send(r1.clone());
    assert!(!md1.is_done(), "Send shouldn't have completed");
    let md2 = producer.send(r2.clone());
    assert!(!md2.is_done(), "Send shouldn't have completed");
    assert!(producer.complete_next(), "Complete the first request");
    assert_eq!(
        md1.get().unwrap().offset,
        0,
        "Requests should be completed."
    );
    assert!(!md2.is_done(), "Second request still incomplete");
    let e = Error::Network("oops".into());
    assert!(
        producer.error_next(e.clone()),
        "Complete the second request with an error"
    );
    assert_eq!(md2.get().unwrap_err(), e);
    assert!(!producer.complete_next(), "No more requests to complete");

    let md3 = producer.send(r1.clone());
    let md4 = producer.send(r2.clone());
    assert!(
        !md3.is_done() && !md4.is_done(),
        "Requests should not be completed."
    );
    producer.flush().unwrap();
    assert!(
        md3.is_done() && md4.is_done(),
        "Requests should be completed."
    );
    assert_eq!(md3.get().unwrap().offset, 2);
    assert_eq!(md4.get().unwrap().offset, 3);
    assert_eq!(producer.history(), vec![r1.clone(), r2.clone(), r1, r2]);
}

/// `MockProducerTest.shouldThrowOnSendIfProducerIsClosed`
#[test]
fn should_throw_on_send_if_producer_is_closed() {
    let producer = mock(true);
    producer.close();
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let err = producer
        .send_with_callback(record("k", "v"), move |r| {
            assert!(matches!(r, Err(Error::ProducerClosed(_))));
            c.fetch_add(1, Ordering::SeqCst);
        })
        .get()
        .unwrap_err();
    assert!(matches!(err, Error::ProducerClosed(_)), "{err:?}");
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert!(producer.history().is_empty());
}

/// `MockProducerTest.shouldThrowOnFlushProducerIfProducerIsClosed`
#[test]
fn should_throw_on_flush_producer_if_producer_is_closed() {
    let producer = mock(true);
    producer.close();
    assert!(matches!(producer.flush(), Err(Error::ProducerClosed(_))));
}

/// `MockProducerTest.shouldBeFlushedIfNoBufferedRecords`
#[test]
fn should_be_flushed_if_no_buffered_records() {
    assert!(mock(true).flushed());
}

/// `MockProducerTest.shouldBeFlushedWithAutoCompleteIfBufferedRecords`
#[test]
fn should_be_flushed_with_auto_complete_if_buffered_records() {
    let producer = mock(true);
    producer.send(record("k", "v"));
    assert!(producer.flushed());
}

/// `MockProducerTest.shouldNotBeFlushedWithNoAutoCompleteIfBufferedRecords`
#[test]
fn should_not_be_flushed_with_no_auto_complete_if_buffered_records() {
    let producer = mock(false);
    producer.send(record("k", "v"));
    assert!(!producer.flushed());
}

/// `MockProducerTest.shouldNotBeFlushedAfterFlush` (which, despite its name, checks that the
/// producer is flushed after `flush()`).
#[test]
fn should_not_be_flushed_after_flush() {
    let producer = mock(false);
    producer.send(record("k", "v"));
    producer.flush().unwrap();
    assert!(producer.flushed());
}

/// `MockProducerTest.shouldClearRecordsWhenClear`
#[test]
fn should_clear_records_when_clear() {
    let producer = mock(true);
    producer.send(record("k", "v"));
    producer.clear();
    assert!(producer.history().is_empty());
}

/// Java's `MockProducer.closed()` after `close()` (no `MockProducerTest` case of its own).
#[test]
fn should_be_closed_after_close() {
    let producer = mock(true);
    assert!(!producer.closed());
    producer.close();
    assert!(producer.closed());
}

/// Callbacks run once, with the record's metadata, in completion order (Java's `Completion`).
#[test]
fn callbacks_run_on_completion_in_order() {
    let producer = mock(false);
    let seen = Arc::new(parking_lot::Mutex::new(Vec::new()));
    for i in 0..3 {
        let s = seen.clone();
        producer.send_with_callback(
            ProducerRecord::new(TOPIC, format!("v{i}")).with_partition(2),
            move |r| s.lock().push(r.map(|m| (m.partition, m.offset))),
        );
    }
    assert!(seen.lock().is_empty());
    producer.complete_next();
    producer.error_next(Error::Network("x".into()));
    producer.complete_next();
    assert_eq!(
        *seen.lock(),
        vec![Ok((2, 0)), Err(Error::Network("x".into())), Ok((2, 2))]
    );
}

/// `MockProducerTest.shouldInitTransactions`,
/// `shouldThrowOnInitTransactionIfProducerAlreadyInitializedForTransactions`,
/// `shouldThrowOnBeginTransactionIfTransactionsNotInitialized`, `shouldBeginTransactions`.
#[test]
fn transactions_init_once_then_begin() {
    let p = mock(true);
    assert!(matches!(p.begin_transaction(), Err(Error::IllegalState(_))));
    p.init_transactions().unwrap();
    assert!(p.transaction_initialized());
    assert!(matches!(p.init_transactions(), Err(Error::IllegalState(_))));
    p.begin_transaction().unwrap();
    assert!(p.transaction_in_flight());
    assert!(matches!(p.begin_transaction(), Err(Error::IllegalState(_))));
}

/// `MockProducerTest.shouldPublishMessagesOnlyAfterCommitIfTransactionsAreEnabled`,
/// `shouldFlushOnCommitForNonAutoCompleteIfTransactionsAreEnabled`.
#[test]
fn transactions_publish_only_after_commit_and_flush_on_commit() {
    let p = mock(false);
    p.init_transactions().unwrap();
    p.begin_transaction().unwrap();
    let f1 = p.send(record("k1", "v1"));
    let f2 = p.send(record("k2", "v2"));
    assert!(p.history().is_empty());
    assert!(!f1.is_done());
    p.commit_transaction().unwrap();
    assert!(f1.is_done() && f2.is_done());
    assert_eq!(p.history(), vec![record("k1", "v1"), record("k2", "v2")]);
    assert!(p.transaction_committed() && !p.transaction_in_flight());
    assert_eq!(p.commit_count(), 1);
}

/// `MockProducerTest.shouldDropMessagesOnAbortIfTransactionsAreEnabled`.
#[test]
fn transactions_drop_messages_on_abort() {
    let p = mock(true);
    p.init_transactions().unwrap();
    p.begin_transaction().unwrap();
    let _sent = p.send(record("k", "v"));
    p.abort_transaction().unwrap();
    assert!(p.history().is_empty() && p.uncommitted_records().is_empty());
    assert!(p.transaction_aborted());
    p.begin_transaction().unwrap();
    let _sent = p.send(record("k", "v2"));
    p.commit_transaction().unwrap();
    assert_eq!(p.history(), vec![record("k", "v2")]);
}

/// `MockProducerTest.shouldThrowOnBeginTransactionsIfProducerGotFenced` and the other
/// fenced cases.
#[test]
fn transactions_fenced_producer_fails_every_call() {
    let p = mock(true);
    p.init_transactions().unwrap();
    p.fence_producer();
    assert!(matches!(
        p.begin_transaction(),
        Err(Error::ProducerFenced(_))
    ));
    assert!(p.commit_transaction().unwrap_err().is_fatal());
    assert!(p.abort_transaction().unwrap_err().is_fatal());
}

/// `MockProducerTest.shouldAddOffsetsWhenSendOffsetsToTransaction`,
/// `shouldPreserveOffsetsFromCommitByGroupMetadata`,
/// `shouldIgnoreEmptyOffsetsWhenSendOffsetsToTransaction`, `shouldDropConsumerGroupOffsetsOnAbortIfTransactionsAreEnabled`.
#[test]
fn transactions_offsets_kept_on_commit_dropped_on_abort() {
    use kafka_producer::TopicPartition;
    use kafka_producer::consumer::{ConsumerGroupMetadata, OffsetAndMetadata};
    use std::collections::HashMap;
    let p = mock(true);
    p.init_transactions().unwrap();
    p.begin_transaction().unwrap();
    let group = ConsumerGroupMetadata::new("g");
    p.send_offsets_to_transaction(&HashMap::new(), &group)
        .unwrap();
    assert!(!p.sent_offsets());
    let mut offsets = HashMap::new();
    offsets.insert(TopicPartition::new("in", 0), OffsetAndMetadata::new(42));
    p.send_offsets_to_transaction(&offsets, &group).unwrap();
    assert!(p.sent_offsets());
    p.abort_transaction().unwrap();
    assert!(p.consumer_group_offsets_history().is_empty());
    p.begin_transaction().unwrap();
    p.send_offsets_to_transaction(&offsets, &group).unwrap();
    p.commit_transaction().unwrap();
    let history = p.consumer_group_offsets_history();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0]["g"], offsets);
}

/// `MockProducerTest.shouldThrowOnCommitTransactionIfNoTransactionGotStarted` and the injected
/// errors (`commitTransactionException`, ...).
#[test]
fn transactions_injected_errors_and_order() {
    use kafka_producer::mock::TransactionCall;
    let p = mock(true);
    p.init_transactions().unwrap();
    assert!(matches!(
        p.commit_transaction(),
        Err(Error::IllegalState(_))
    ));
    p.begin_transaction().unwrap();
    p.fail_next(
        TransactionCall::CommitTransaction,
        Error::Network("down".into()),
    );
    assert_eq!(
        p.commit_transaction().unwrap_err(),
        Error::Network("down".into())
    );
    assert!(p.transaction_in_flight());
    p.commit_transaction().unwrap();
}
