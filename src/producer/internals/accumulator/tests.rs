//! Deterministic accumulator tests on a [`MockTime`], ported from Java's `RecordAccumulatorTest`
//! (each test names the Java test it mirrors). The cluster is Java's: `node1` (id 0) leads
//! `tp1` and `tp2`, `node2` (id 1) leads `tp3`.
//!
//! Not ported: the old message format tests (`testAppendLargeOldMessageFormat*`,
//! `testIdempotenceWithOldMagic`: record batch v2 only), `testAwaitFlushComplete` (Java thread
//! interruption has no Rust equivalent), the compression-ratio split statistics
//! (`testSplitFrequency`, `testSplitBatchOffAccumulator`: random-payload estimator statistics;
//! the estimator has its own unit tests) and the metrics tests.

use super::*;
use crate::cluster::{Cluster, Node, PartitionInfo};
use crate::error::Error;
use crate::producer::delivery::Callback;
use crate::protocol::record_batch::RECORD_BATCH_OVERHEAD;
use crate::protocol::record_batch::RecordBatch;
use crate::time::MockTime;
use std::sync::atomic::AtomicUsize;

const TOPIC: &str = "test";
const KEY: &[u8] = b"key";
const VALUE: &[u8] = b"value";
const MAX_BLOCK: Duration = Duration::from_millis(1000);

fn tp1() -> TopicPartition {
    TopicPartition::new(TOPIC, 0)
}
fn tp2() -> TopicPartition {
    TopicPartition::new(TOPIC, 1)
}
fn tp3() -> TopicPartition {
    TopicPartition::new(TOPIC, 2)
}

const NODE1: i32 = 0;
const NODE2: i32 = 1;

fn cluster() -> Cluster {
    let node = |id: i32| Node {
        id,
        host: "localhost".into(),
        port: 1111 + id as u16,
        rack: None,
    };
    let part = |p: i32, leader: i32| PartitionInfo {
        topic: TOPIC.into(),
        partition: p,
        leader: Some(leader),
        leader_epoch: 0,
        replicas: vec![leader],
        in_sync_replicas: vec![leader],
        offline_replicas: vec![],
    };
    Cluster::new(
        None,
        None,
        [node(NODE1), node(NODE2)],
        [part(0, NODE1), part(1, NODE1), part(2, NODE2)],
    )
}

struct Accum {
    accum: RecordAccumulator,
    time: MockTime,
    cluster: Cluster,
}

/// The settings of Java's `createTestRecordAccumulator` (no compression, 3.2 s delivery
/// timeout); also for other modules' tests that need an accumulator.
pub(crate) fn config(batch_size: usize, linger_ms: u64) -> AccumulatorConfig {
    AccumulatorConfig {
        batch_size,
        linger: Duration::from_millis(linger_ms),
        retry_backoff: Duration::from_millis(100),
        retry_backoff_max: Duration::from_millis(1000),
        delivery_timeout: Duration::from_millis(3200),
        adaptive_partitioning: false,
        partition_availability_timeout: Duration::ZERO,
        compression: Compression::None,
        compression_level: None,
    }
}

/// Java `createTestRecordAccumulator(batchSize, totalSize, compression, lingerMs)`.
fn accum(batch_size: usize, total: usize, linger_ms: u64) -> Accum {
    accum_with(config(batch_size, linger_ms), total)
}

fn accum_with(config: AccumulatorConfig, total: usize) -> Accum {
    let time = MockTime::new();
    let pool = Arc::new(BufferPool::new(total, config.batch_size));
    Accum {
        accum: RecordAccumulator::with_time(config, pool, time.shared()),
        time,
        cluster: cluster(),
    }
}

impl Accum {
    fn now(&self) -> Instant {
        self.time.now()
    }

    fn append(&self, tp: &TopicPartition, value: &[u8]) -> RecordAppendResult {
        self.append_cb(tp, value, None)
    }

    fn append_cb(
        &self,
        tp: &TopicPartition,
        value: &[u8],
        callback: Option<Callback>,
    ) -> RecordAppendResult {
        self.accum
            .append(
                &tp.topic,
                Some(tp.partition),
                0,
                Some(KEY),
                Some(value),
                &[],
                callback,
                MAX_BLOCK,
                &self.cluster,
            )
            .map_err(|(e, _)| e)
            .expect("append")
    }

    fn ready_nodes(&self) -> Vec<i32> {
        let mut v: Vec<i32> = self
            .accum
            .ready(&self.cluster, self.now())
            .ready_nodes
            .into_iter()
            .collect();
        v.sort_unstable();
        v
    }

    fn drain(&self, nodes: &[i32], max_size: usize) -> HashMap<i32, Vec<ProducerBatch>> {
        let nodes: HashSet<i32> = nodes.iter().copied().collect();
        self.accum
            .drain(&self.cluster, &nodes, max_size, self.now(), false, None)
    }

    fn drain_all(&self) -> Vec<ProducerBatch> {
        let nodes = self.ready_nodes();
        self.drain(&nodes, usize::MAX)
            .into_values()
            .flatten()
            .collect()
    }
}

/// A record's key and value.
type KeyValue = (Option<Vec<u8>>, Option<Vec<u8>>);

/// The records of a drained (closed) batch.
fn records(batch: &ProducerBatch) -> Vec<KeyValue> {
    let bytes = batch.shared_bytes().expect("drained batches are closed");
    RecordBatch::decode_all(&bytes)
        .unwrap()
        .into_iter()
        .flat_map(|b| b.records)
        .map(|r| (r.key, r.value))
        .collect()
}

/// How many appends of `VALUE` with `KEY` fit in a batch of `batch_size` (Java
/// `expectedNumAppends`).
fn expected_num_appends(batch_size: usize) -> usize {
    let a = accum(batch_size, 1 << 20, 1_000_000);
    let mut n = 0;
    loop {
        let r = a.append(&tp1(), VALUE);
        if r.new_batch_created && n > 0 {
            return n;
        }
        n += 1;
    }
}

fn closed_error() -> Error {
    Error::ProducerClosed("Producer is closed forcefully.".into())
}

/// RecordAccumulatorTest.testFull: appends fill a batch; the leader is not ready until one is
/// full; the drained batch holds the records in order.
#[test]
fn full() {
    let batch_size = 1024;
    let a = accum(batch_size, 10 * batch_size, 10);
    let appends = expected_num_appends(batch_size);
    for i in 0..appends {
        let r = a.append(&tp1(), VALUE);
        assert_eq!(r.new_batch_created, i == 0);
        assert!(a.ready_nodes().is_empty(), "no partition should be ready");
    }
    // The next append creates a second batch: the first is full.
    let r = a.append(&tp1(), VALUE);
    assert!(r.new_batch_created);
    assert_eq!(
        a.ready_nodes(),
        vec![NODE1],
        "the partition's leader is ready"
    );
    let batches = a.drain(&[NODE1], usize::MAX).remove(&NODE1).unwrap();
    assert_eq!(batches.len(), 1);
    let recs = records(&batches[0]);
    assert_eq!(recs.len(), appends);
    assert!(
        recs.iter()
            .all(|(k, v)| k.as_deref() == Some(KEY) && v.as_deref() == Some(VALUE))
    );
}

/// RecordAccumulatorTest.testAppendLarge (NONE): a record larger than batch.size gets a batch
/// of its own, and its leader is ready at once.
#[test]
fn append_large_non_compressed() {
    let batch_size = 512;
    let a = accum(batch_size + RECORD_BATCH_OVERHEAD, 10 * 1024, 0);
    let value = vec![7u8; 2 * batch_size];
    a.append(&tp1(), &value);
    assert_eq!(a.ready_nodes(), vec![NODE1]);
    let batches = a.drain_all();
    assert_eq!(batches.len(), 1);
    let recs = records(&batches[0]);
    assert_eq!(recs, vec![(Some(KEY.to_vec()), Some(value))]);
}

/// RecordAccumulatorTest.testAppendLarge (GZIP): the same with compression.
#[test]
fn append_large_compressed() {
    let batch_size = 512;
    let a = accum_with(
        AccumulatorConfig {
            compression: Compression::Gzip,
            ..config(batch_size + RECORD_BATCH_OVERHEAD, 0)
        },
        10 * 1024,
    );
    let value = vec![7u8; 2 * batch_size];
    a.append(&tp1(), &value);
    assert_eq!(a.ready_nodes(), vec![NODE1]);
    let batches = a.drain_all();
    assert_eq!(batches.len(), 1);
    assert_eq!(
        records(&batches[0]),
        vec![(Some(KEY.to_vec()), Some(value))]
    );
}

/// RecordAccumulatorTest.testLinger: a batch becomes sendable once linger.ms has passed.
#[test]
fn linger() {
    let a = accum(1024 + RECORD_BATCH_OVERHEAD, 10 * 1024, 10);
    a.append(&tp1(), VALUE);
    assert!(a.ready_nodes().is_empty(), "no partition should be ready");
    a.time.sleep_ms(10);
    assert_eq!(a.ready_nodes(), vec![NODE1]);
    let batches = a.drain(&[NODE1], usize::MAX).remove(&NODE1).unwrap();
    assert_eq!(batches.len(), 1);
    assert_eq!(
        records(&batches[0]),
        vec![(Some(KEY.to_vec()), Some(VALUE.to_vec()))]
    );
}

/// RecordAccumulatorTest.testPartialDrain: a drain bounded by the request size takes one
/// partition's batch only.
#[test]
fn partial_drain() {
    let a = accum(1024 + RECORD_BATCH_OVERHEAD, 10 * 1024, 10);
    let appends = expected_num_appends(1024 + RECORD_BATCH_OVERHEAD) + 1;
    for tp in [tp1(), tp2()] {
        for _ in 0..appends {
            a.append(&tp, VALUE);
        }
    }
    assert_eq!(a.ready_nodes(), vec![NODE1]);
    let batches = a.drain(&[NODE1], 1024).remove(&NODE1).unwrap();
    assert_eq!(batches.len(), 1, "due to the size bound only one partition");
}

/// RecordAccumulatorTest.testStressfulSituation: 5 threads append 10,000 records each to 2
/// partitions while this thread drains; every record is drained once.
#[test]
fn stressful_situation() {
    let threads = 5;
    let msgs = 10_000;
    let a = Arc::new(accum(1024 + RECORD_BATCH_OVERHEAD, 10 * 1024, 0));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let a = a.clone();
            std::thread::spawn(move || {
                for i in 0..msgs {
                    a.append(&TopicPartition::new(TOPIC, (i % 2) as i32), VALUE);
                }
            })
        })
        .collect();
    let mut read = 0;
    while read < threads * msgs {
        let nodes = a.ready_nodes();
        for b in a.drain(&nodes, 5 * 1024).into_values().flatten() {
            read += b.record_count();
            a.accum.deallocate(b);
        }
        // Batches still open (not full) become ready once the appenders are done.
        if nodes.is_empty() && handles.iter().all(|h| h.is_finished()) {
            a.accum.begin_flush();
        }
    }
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(read, threads * msgs);
}

/// RecordAccumulatorTest.testNextReadyCheckDelay: the next check delay is the linger time
/// left of the oldest waiting batch.
#[test]
fn next_ready_check_delay() {
    let linger = 10;
    let batch_size = 1025;
    let a = accum(batch_size + RECORD_BATCH_OVERHEAD, 10 * batch_size, linger);
    let appends = expected_num_appends(batch_size + RECORD_BATCH_OVERHEAD);
    for _ in 0..appends {
        a.append(&tp1(), VALUE);
    }
    let r = a.accum.ready(&a.cluster, a.now());
    assert!(r.ready_nodes.is_empty());
    assert_eq!(r.next_ready_check_delay, Duration::from_millis(linger));
    a.time.sleep_ms(linger / 2);
    for _ in 0..appends {
        a.append(&tp3(), VALUE);
    }
    let r = a.accum.ready(&a.cluster, a.now());
    assert!(r.ready_nodes.is_empty());
    assert_eq!(
        r.next_ready_check_delay,
        Duration::from_millis(linger / 2),
        "defined by node1, half the linger time left"
    );
    for _ in 0..appends + 1 {
        a.append(&tp2(), VALUE);
    }
    let r = a.accum.ready(&a.cluster, a.now());
    assert_eq!(r.ready_nodes, HashSet::from_iter([NODE1]));
    assert!(r.next_ready_check_delay <= Duration::from_millis(linger));
}

/// RecordAccumulatorTest.testRetryBackoff: a re-enqueued batch backs off while another
/// partition of the same node drains; after the backoff it drains too.
#[test]
fn retry_backoff() {
    let a = accum(1024 + RECORD_BATCH_OVERHEAD, 10 * 1024, 0);
    a.append(&tp1(), VALUE);
    assert_eq!(a.ready_nodes(), vec![NODE1]);
    let mut batches = a.drain(&[NODE1], usize::MAX).remove(&NODE1).unwrap();
    assert_eq!(batches.len(), 1);
    a.accum.reenqueue(batches.remove(0), a.now());
    a.append(&tp2(), VALUE);
    assert_eq!(a.ready_nodes(), vec![NODE1]);
    let batches = a.drain(&[NODE1], usize::MAX).remove(&NODE1).unwrap();
    assert_eq!(batches.len(), 1, "tp1 backs off, tp2 does not");
    assert_eq!(batches[0].topic_partition(), &tp2());
    // The first retry backs off retry.backoff.ms (±20% jitter).
    a.time.sleep_ms(121);
    assert_eq!(a.ready_nodes(), vec![NODE1]);
    let batches = a.drain(&[NODE1], usize::MAX).remove(&NODE1).unwrap();
    assert_eq!(batches.len(), 1);
    assert_eq!(batches[0].topic_partition(), &tp1());
}

/// RecordAccumulatorTest.testExponentialRetryBackoff: each retry doubles the backoff, up to
/// retry.backoff.max.ms.
#[test]
fn exponential_retry_backoff() {
    let a = accum(1024 + RECORD_BATCH_OVERHEAD, 10 * 1024, 0);
    a.append(&tp1(), VALUE);
    let mut batch = a.drain_all().remove(0);
    let mut expected = 100u64;
    for _attempt in 1..=6 {
        a.accum.reenqueue(batch, a.now());
        // Not before 80% of the backoff...
        a.time.sleep_ms(expected * 8 / 10 - 1);
        assert!(
            a.drain(&[NODE1], usize::MAX)[&NODE1].is_empty(),
            "backing off {expected} ms"
        );
        // ... and surely after 120%.
        a.time.sleep_ms(expected * 4 / 10 + 2);
        batch = a
            .drain(&[NODE1], usize::MAX)
            .remove(&NODE1)
            .unwrap()
            .remove(0);
        expected = (expected * 2).min(1000);
    }
}

/// RecordAccumulatorTest.testFlush: a flush makes lingering batches ready; once every drained
/// batch is deallocated (completed) the flush is complete.
#[test]
fn flush() {
    let a = accum(4 * 1024 + RECORD_BATCH_OVERHEAD, 64 * 1024, u64::MAX / 4);
    for i in 0..100 {
        a.append(&TopicPartition::new(TOPIC, i % 3), VALUE);
        assert!(a.accum.has_incomplete());
    }
    assert!(a.ready_nodes().is_empty());
    a.accum.begin_flush();
    let batches = a.drain_all();
    assert!(a.accum.has_incomplete());
    for mut b in batches {
        b.done(Ok(crate::producer::delivery::BatchOutcome {
            base_offset: 0,
            log_append_time: -1,
        }));
        a.accum.deallocate(b);
    }
    assert!(a.accum.await_flush_completion(Some(a.now())));
    assert!(!a.accum.has_undrained());
    assert!(!a.accum.has_incomplete());
}

/// RecordAccumulatorTest.testAbortIncompleteBatches: a forced close fails every queued record
/// once; drained batches belong to the sender.
#[test]
fn abort_incomplete_batches() {
    let a = accum(128 + RECORD_BATCH_OVERHEAD, 64 * 1024, u64::MAX / 4);
    let calls = Arc::new(AtomicUsize::new(0));
    for i in 0..100 {
        let c = calls.clone();
        a.append_cb(
            &TopicPartition::new(TOPIC, i % 3),
            VALUE,
            Some(Callback::new(move |r: Result<_, Error>| {
                assert_eq!(r.unwrap_err().to_string(), closed_error().to_string());
                c.fetch_add(1, Ordering::SeqCst);
            })),
        );
    }
    assert!(!a.ready_nodes().is_empty());
    let drained = a.drain_all();
    let drained_records: usize = drained.iter().map(ProducerBatch::record_count).sum();
    assert!(drained_records > 0 && drained_records < 100);
    assert!(drained.iter().all(|b| b.is_closed() && !b.is_done()));
    a.accum.abort_incomplete_batches(&closed_error());
    assert_eq!(calls.load(Ordering::SeqCst), 100 - drained_records);
    assert!(!a.accum.has_undrained());
    assert!(
        a.accum.has_incomplete(),
        "the drained batches are the sender's to complete"
    );
}

/// RecordAccumulatorTest.testAbortUnsentBatches: `abortUndrainedBatches` fails queued batches
/// with the cause and leaves drained ones incomplete.
#[test]
fn abort_unsent_batches() {
    let a = accum(128 + RECORD_BATCH_OVERHEAD, 64 * 1024, u64::MAX / 4);
    let cause = Error::Network("cause".into());
    let calls = Arc::new(AtomicUsize::new(0));
    for i in 0..100 {
        let c = calls.clone();
        let expected = cause.clone();
        a.append_cb(
            &TopicPartition::new(TOPIC, i % 3),
            VALUE,
            Some(Callback::new(move |r: Result<_, Error>| {
                assert_eq!(r.unwrap_err(), expected);
                c.fetch_add(1, Ordering::SeqCst);
            })),
        );
    }
    let drained = a.drain_all();
    let drained_records: usize = drained.iter().map(ProducerBatch::record_count).sum();
    a.accum.abort_undrained_batches(&cause);
    assert!(drained_records > 0);
    assert!(calls.load(Ordering::SeqCst) > 0);
    assert_eq!(calls.load(Ordering::SeqCst) + drained_records, 100);
    assert!(!a.accum.has_undrained());
    assert!(a.accum.has_incomplete());
}

/// RecordAccumulatorTest.testExpiredBatchSingle: one batch expires after delivery.timeout.ms,
/// not before.
#[test]
fn expired_batch_single() {
    let a = accum(1024 + RECORD_BATCH_OVERHEAD, 10 * 1024, 10);
    a.append(&tp1(), VALUE);
    a.time.sleep_ms(3199);
    assert!(a.accum.expired_batches(a.now()).is_empty());
    assert_eq!(a.accum.next_expiry_delay(a.now()), Duration::from_millis(1));
    a.time.sleep_ms(1);
    assert_eq!(a.accum.expired_batches(a.now()).len(), 1);
    assert!(!a.accum.has_undrained());
}

/// RecordAccumulatorTest.testExpiredBatchesSize: every batch of every partition past the
/// delivery timeout expires in one call.
#[test]
fn expired_batches_size() {
    let batch_size = 1024 + RECORD_BATCH_OVERHEAD;
    let a = accum(batch_size, 10 * 1024, 10);
    let appends = expected_num_appends(batch_size);
    for tp in [tp1(), tp2(), tp3()] {
        for _ in 0..2 * appends {
            a.append(&tp, VALUE);
        }
    }
    a.time.sleep_ms(3200);
    assert_eq!(
        a.accum.expired_batches(a.now()).len(),
        6,
        "two full batches per partition"
    );
}

/// RecordAccumulatorTest.testExpiredBatchesRetry: a re-enqueued batch keeps its creation time:
/// it expires at the same deadline, retries or not.
#[test]
fn expired_batches_retry() {
    let a = accum(1024 + RECORD_BATCH_OVERHEAD, 10 * 1024, 0);
    a.append(&tp1(), VALUE);
    let b = a.drain_all().remove(0);
    a.time.sleep_ms(1000);
    a.accum.reenqueue(b, a.now());
    a.time.sleep_ms(2199);
    assert!(a.accum.expired_batches(a.now()).is_empty());
    a.time.sleep_ms(1);
    let expired = a.accum.expired_batches(a.now());
    assert_eq!(expired.len(), 1);
    assert!(expired[0].in_retry());
}

/// RecordAccumulatorTest.testMutedPartitions: with max.in.flight=1 a drained partition is
/// muted: it is neither ready nor drained until unmuted.
#[test]
fn muted_partitions() {
    let a = accum(1024 + RECORD_BATCH_OVERHEAD, 10 * 1024, 10);
    a.append(&tp1(), VALUE);
    a.time.sleep_ms(10);
    let nodes: HashSet<i32> = HashSet::from_iter([NODE1]);
    let drained = a
        .accum
        .drain(&a.cluster, &nodes, usize::MAX, a.now(), true, None);
    assert_eq!(drained[&NODE1].len(), 1, "drained, and the partition muted");
    a.append(&tp1(), VALUE);
    a.time.sleep_ms(10);
    assert!(a.ready_nodes().is_empty(), "a muted partition is not ready");
    let drained = a
        .accum
        .drain(&a.cluster, &nodes, usize::MAX, a.now(), true, None);
    assert!(drained[&NODE1].is_empty(), "nor drained");
    a.accum.unmute_partition(&tp1());
    assert_eq!(a.ready_nodes(), vec![NODE1]);
    let drained = a
        .accum
        .drain(&a.cluster, &nodes, usize::MAX, a.now(), true, None);
    assert_eq!(drained[&NODE1].len(), 1);
}

/// RecordAccumulatorTest.testSplitAndReenqueue: a batch split in two: both parts drain in
/// order and complete the original futures with consecutive offsets.
#[test]
fn split_and_reenqueue() {
    let a = accum(1024, 10 * 1024, 10);
    let value = vec![1u8; 1024];
    let f1 = a.append(&tp1(), &value).future;
    let f2 = a.append(&tp1(), &value).future;
    // Each record is as large as a batch: two batches. Merge them into one too-large batch
    // as the broker would see a batch above max.message.bytes: drain one and split it.
    a.time.sleep_ms(10);
    let mut batches = a.drain_all();
    assert_eq!(batches.len(), 1, "one batch per partition per drain");
    let big = batches.remove(0);
    assert_eq!(big.record_count(), 1);
    let parts = a
        .accum
        .split_and_reenqueue(big, None, a.now())
        .map_err(|e| e.1)
        .unwrap();
    assert_eq!(parts, 1, "a one-record batch stays one batch");
    let b1 = a
        .drain(&[NODE1], usize::MAX)
        .remove(&NODE1)
        .unwrap()
        .remove(0);
    let mut b1 = b1;
    b1.done(Ok(crate::producer::delivery::BatchOutcome {
        base_offset: 0,
        log_append_time: -1,
    }));
    assert_eq!(f1.get_timeout(Duration::ZERO).unwrap().offset, 0);
    let mut b2 = a
        .drain(&[NODE1], usize::MAX)
        .remove(&NODE1)
        .unwrap()
        .remove(0);
    b2.done(Ok(crate::producer::delivery::BatchOutcome {
        base_offset: 1,
        log_append_time: -1,
    }));
    assert_eq!(f2.get_timeout(Duration::ZERO).unwrap().offset, 1);
}

/// RecordAccumulatorTest.testSplitAndReenqueue (many records): a batch of many records is split
/// into halves at most batch.size; the futures complete with the offsets of their new batches.
#[test]
fn split_many_records_keeps_order_and_futures() {
    let a = accum(4096, 64 * 1024, 0);
    let futures: Vec<_> = (0..40u8)
        .map(|i| a.append(&tp1(), &[i; 50]).future)
        .collect();
    let batch = a.drain_all().remove(0);
    assert_eq!(batch.record_count(), 40);
    let parts = a
        .accum
        .split_and_reenqueue(batch, None, a.now())
        .map_err(|e| e.1)
        .unwrap();
    assert!(parts >= 2, "{parts}");
    let mut offset = 0i64;
    let mut seen = 0;
    while seen < 40 {
        let mut b = a
            .drain(&[NODE1], usize::MAX)
            .remove(&NODE1)
            .unwrap()
            .remove(0);
        let n = b.record_count();
        let values: Vec<u8> = records(&b)
            .iter()
            .map(|(_, v)| v.as_ref().unwrap()[0])
            .collect();
        assert_eq!(
            values,
            (seen as u8..(seen + n) as u8).collect::<Vec<_>>(),
            "in order"
        );
        b.done(Ok(crate::producer::delivery::BatchOutcome {
            base_offset: offset,
            log_append_time: -1,
        }));
        offset += n as i64;
        seen += n;
    }
    for (i, f) in futures.iter().enumerate() {
        assert_eq!(f.get_timeout(Duration::ZERO).unwrap().offset, i as i64);
    }
}

/// RecordAccumulatorTest.testDrainWithANodeThatDoesntHostAnyPartitions: draining a node that
/// leads nothing yields nothing, and does not disturb the others.
#[test]
fn drain_with_a_node_that_doesnt_host_any_partitions() {
    let a = accum(1024 + RECORD_BATCH_OVERHEAD, 10 * 1024, 0);
    a.append(&tp1(), VALUE);
    let drained = a.drain(&[NODE1, 42], usize::MAX);
    assert_eq!(drained[&NODE1].len(), 1);
    assert!(drained[&42].is_empty());
}

/// RecordAccumulatorTest.testDrainRoundRobin (Java `drainIndex`): successive drains of a node
/// start at the partition after the last one drained, so no partition starves under a tight
/// request size.
#[test]
fn drain_round_robin() {
    let a = accum(1024 + RECORD_BATCH_OVERHEAD, 64 * 1024, 0);
    let appends = expected_num_appends(1024 + RECORD_BATCH_OVERHEAD);
    for tp in [tp1(), tp2()] {
        for _ in 0..3 * appends {
            a.append(&tp, VALUE);
        }
    }
    let mut order = Vec::new();
    for _ in 0..4 {
        let b = a.drain(&[NODE1], 1).remove(&NODE1).unwrap();
        assert_eq!(
            b.len(),
            1,
            "one batch fits a request of 1 byte (a lone batch always goes)"
        );
        order.push(b[0].topic_partition().partition);
    }
    assert_eq!(order, vec![0, 1, 0, 1]);
}

/// RecordAccumulatorTest.testReadyAndDrainWhenABatchIsBeingRetried: a batch in retry backoff
/// keeps its partition from being ready; others of the node still are.
#[test]
fn ready_and_drain_when_a_batch_is_being_retried() {
    let a = accum(1024 + RECORD_BATCH_OVERHEAD, 10 * 1024, 0);
    a.append(&tp1(), VALUE);
    let b = a.drain_all().remove(0);
    a.accum.reenqueue(b, a.now());
    assert!(a.ready_nodes().is_empty(), "backing off");
    a.append(&tp3(), VALUE);
    assert_eq!(a.ready_nodes(), vec![NODE2]);
    a.time.sleep_ms(121);
    assert_eq!(a.ready_nodes(), vec![NODE1, NODE2]);
}

/// RecordAccumulatorTest.testAppendWithFullBuffer (Java `testPoolExhausted` semantics): with the
/// pool exhausted, waiting appenders make every lingering batch sendable.
#[test]
fn exhausted_pool_makes_batches_ready() {
    let batch_size = 256;
    let a = Arc::new(accum(batch_size, 3 * batch_size, u64::MAX / 4));
    a.append(&tp1(), VALUE);
    a.append(&tp3(), &[0u8; 300]);
    assert!(a.ready_nodes().is_empty(), "both batches linger");
    // A third batch cannot get memory: the appender waits, and the lingering batch goes.
    let a2 = a.clone();
    let waiter = std::thread::spawn(move || {
        a2.accum
            .append(
                TOPIC,
                Some(1),
                0,
                Some(KEY),
                Some(&[0u8; 200]),
                &[],
                None,
                Duration::from_secs(5),
                &a2.cluster,
            )
            .is_ok()
    });
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while a.accum.pool().queued() == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the appender never waited"
        );
        std::thread::yield_now();
    }
    assert_eq!(
        a.ready_nodes(),
        vec![NODE1, NODE2],
        "exhausted: everything is sendable"
    );
    for b in a.drain_all() {
        a.accum.deallocate(b);
    }
    assert!(waiter.join().unwrap(), "memory came back");
}

/// RecordAccumulatorTest.testUnknownLeader (Java `ready` collecting unknownLeaderTopics): a
/// partition without a leader reports its topic and makes no node ready.
#[test]
fn unknown_leader_topics() {
    let mut a = accum(1024 + RECORD_BATCH_OVERHEAD, 10 * 1024, 0);
    a.append(&tp1(), VALUE);
    a.cluster = Cluster::new(None, None, [], []);
    let r = a.accum.ready(&a.cluster, a.now());
    assert!(r.ready_nodes.is_empty());
    assert!(r.unknown_leader_topics.contains(TOPIC));
}

/// RecordAccumulatorTest.testAppendInExpiryCallback: a callback of an expired batch may append
/// again (no deadlock on the deque lock), and its record goes into a new batch.
#[test]
fn append_in_expiry_callback() {
    let a = Arc::new(accum(1024 + RECORD_BATCH_OVERHEAD, 10 * 1024, 10));
    let appended = Arc::new(AtomicUsize::new(0));
    for _ in 0..5 {
        let (a2, n) = (a.clone(), appended.clone());
        a.append_cb(
            &tp1(),
            VALUE,
            Some(Callback::new(move |r: Result<_, Error>| {
                if matches!(r, Err(Error::Timeout { .. })) {
                    a2.append(&tp2(), VALUE);
                    n.fetch_add(1, Ordering::SeqCst);
                }
            })),
        );
    }
    a.time.sleep_ms(3200);
    for mut b in a.accum.expired_batches(a.now()) {
        b.done(Err(Error::timeout(
            crate::error::TimeoutKind::Delivery,
            "expired".to_string(),
        )));
        a.accum.deallocate(b);
    }
    assert_eq!(appended.load(Ordering::SeqCst), 5);
    a.time.sleep_ms(10);
    let batches = a.drain_all();
    assert_eq!(batches.len(), 1);
    assert_eq!(batches[0].topic_partition(), &tp2());
    assert_eq!(batches[0].record_count(), 5);
}

/// RecordAccumulatorTest.testCloseBeforeAppend (Java `append` after `close`): appends fail
/// with the closed error and return the callback.
#[test]
fn append_after_close_fails() {
    let a = accum(1024, 10 * 1024, 0);
    a.accum.close();
    let err = a
        .accum
        .append(
            TOPIC,
            Some(0),
            0,
            None,
            Some(VALUE),
            &[],
            None,
            MAX_BLOCK,
            &a.cluster,
        )
        .err()
        .expect("closed");
    assert!(matches!(err.0, Error::ProducerClosed(_)), "{:?}", err.0);
}

/// RecordAccumulatorTest.testNodeLatencyStats (adaptive partitioning's node stats): a node that
/// stays ready without being drained longer than partitioner.availability.timeout.ms has its
/// partitions left out of the load stats.
#[test]
fn node_latency_stats() {
    let a = accum(1024, 10 * 1024, 0);
    let t0 = a.now();
    a.accum.update_node_latency_stats(NODE1, t0, true);
    a.time.sleep_ms(100);
    a.accum.update_node_latency_stats(NODE1, a.now(), false);
    let stats = a.accum.node_stats.lock()[&NODE1];
    assert_eq!(stats.drain_time, Some(t0), "not drained since");
    assert_eq!(stats.ready_time, Some(a.now()));
    a.accum.update_node_latency_stats(NODE1, a.now(), true);
    assert_eq!(a.accum.node_stats.lock()[&NODE1].drain_time, Some(a.now()));
}

/// The per-thread route cache (last topic and partition queue appended to) answers for its own
/// accumulator only: two accumulators with the same topic, appended to in turns from one
/// thread, each keep their own records; switching partitions and topics goes to the right
/// queue.
#[test]
fn route_cache_keeps_accumulators_and_partitions_apart() {
    let a = accum(1024, 10 * 1024, 10);
    let b = accum(1024, 10 * 1024, 10);
    for i in 0..10 {
        a.append(&tp1(), VALUE);
        if i % 2 == 0 {
            b.append(&tp1(), VALUE);
        }
        a.append(&tp2(), VALUE);
    }
    let other = TopicPartition::new("other", 0);
    a.append(&other, VALUE);
    a.append(&tp1(), VALUE);
    let count = |acc: &Accum, tp: &TopicPartition| -> usize {
        acc.accum.existing_deque(tp).map_or(0, |d| {
            d.lock().iter().map(|batch| batch.record_count()).sum()
        })
    };
    assert_eq!(count(&a, &tp1()), 11);
    assert_eq!(count(&a, &tp2()), 10);
    assert_eq!(count(&a, &other), 1);
    assert_eq!(count(&b, &tp1()), 5);
    assert_eq!(count(&b, &tp2()), 0);
}

/// Threads append at full speed while the accumulator is closed and its batches aborted (one
/// pass, no count of appends in progress): every record ends either refused by `append` or in
/// an aborted batch; none is left queued or pending.
#[test]
fn abort_after_close_leaves_no_record_behind_racing_appends() {
    for round in 0..20 {
        let a = Arc::new(accum(512, 1 << 20, 0));
        let threads: Vec<_> = (0..3)
            .map(|t| {
                let a = a.clone();
                std::thread::spawn(move || {
                    let mut futures = Vec::new();
                    let mut refused = 0usize;
                    let mut i = 0u32;
                    // Until the first refusal: every append after close is refused.
                    loop {
                        // Also new partitions of a new topic while closing.
                        let topic = format!("t{}", (i + t + round) % 7);
                        match a.accum.append(
                            &topic,
                            Some((i % 3) as i32),
                            0,
                            None,
                            Some(VALUE),
                            &[],
                            None,
                            MAX_BLOCK,
                            &a.cluster,
                        ) {
                            Ok(r) => futures.push(r.future),
                            Err(_) => refused += 1,
                        }
                        i += 1;
                        if refused > 0 {
                            break;
                        }
                    }
                    (futures, refused)
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(2));
        a.accum.close();
        a.accum.abort_incomplete_batches(&closed_error());
        for t in threads {
            let (futures, refused) = t.join().unwrap();
            assert_eq!(refused, 1, "each thread stops at its first refused append");
            for f in futures {
                assert!(
                    f.is_done(),
                    "a record appended before the abort was left pending"
                );
            }
        }
        assert!(!a.accum.has_undrained());
        assert!(!a.accum.has_incomplete());
    }
}
