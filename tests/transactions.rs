//! Transactions (issue 13) against real brokers: what a `read_committed` reader (the Java
//! console consumer) sees after commits, aborts, fencing, transaction timeouts and coordinator
//! kills, and when consumer-group offsets sent with a transaction become visible.
//!
//! Tests that need a broker of a special shape start their own (`TestCluster`, stopped on drop):
//! one single-node cluster with `transaction.version=2` (KIP-890) and one with `=1` for the big
//! commit/abort run, and a 3-node cluster (transaction state RF 3, min ISR 2) for the kills. The
//! others use the suite's broker ([`support::bootstrap`]); the transaction-timeout test relies on
//! `kafka.sh`'s default `transaction.abort.timed.out.transaction.cleanup.interval.ms=1000` there
//! (a broker with the default 10 s sweep may not have aborted the transaction yet).
//!
//! The heavy tests (the 100k-record runs and the kills) take [`HEAVY`] so they do not fight
//! over the machine's cores; the light ones run beside them.

mod support;

use kafka_producer::producer::partitioner::partition_for_key;
use kafka_producer::producer::serializer::StringSerializer;
use kafka_producer::{
    ConsumerGroupMetadata, Error, KafkaProducer, OffsetAndMetadata, ProducerConfig, ProducerRecord,
    TimeoutKind, TopicPartition,
};
use parking_lot::Mutex;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use support::TestCluster;

/// Held by the tests that load the machine (so that they run one at a time).
static HEAVY: Mutex<()> = Mutex::new(());

const PARTITIONS: i32 = 6;

/// A transactional producer of strings (`max.block.ms` 20 s, so that a hang fails the test in
/// reasonable time).
fn txn_producer(
    bootstrap: &str,
    id: &str,
    extra: &[(&str, &str)],
) -> KafkaProducer<String, String> {
    let _ = env_logger::builder().is_test(true).try_init();
    let mut b = ProducerConfig::builder()
        .bootstrap_servers(bootstrap)
        .transactional_id(id)
        .max_block(Duration::from_secs(20));
    for (k, v) in extra {
        b = b.set(*k, *v);
    }
    let config = b.build().unwrap();
    KafkaProducer::new(config, StringSerializer, StringSerializer).unwrap()
}

/// A transactional id unique to this run.
fn unique_id(prefix: &str) -> String {
    support::unique_topic(&format!("txn-{prefix}"))
}

/// For each partition of a topic of `partitions` partitions, a key the default partitioner
/// maps there (`key-<n>`).
fn keys_per_partition(partitions: i32) -> Vec<String> {
    (0..partitions)
        .map(|p| {
            (0..)
                .map(|n| format!("key-{n}"))
                .find(|k| partition_for_key(k.as_bytes(), partitions as usize) == p)
                .unwrap()
        })
        .collect()
}

/// Value `t<txn>-r<rec>` of record `rec` of transaction `txn`.
fn value(txn: usize, rec: usize) -> String {
    format!("t{txn:05}-r{rec:05}")
}

fn parse_value(v: &str) -> (usize, usize) {
    let (t, r) = v
        .strip_prefix('t')
        .and_then(|rest| rest.split_once("-r"))
        .unwrap_or_else(|| panic!("unexpected value {v:?}"));
    (t.parse().unwrap(), r.parse().unwrap())
}

/// Commits, retrying while `commit_transaction` times out (`max.block.ms`: the commit goes on
/// in the background and the next call waits for it).
fn commit(producer: &KafkaProducer<String, String>) -> Result<(), Error> {
    let mut tries = 0;
    loop {
        match producer.commit_transaction() {
            Err(Error::Timeout {
                kind: TimeoutKind::Transaction,
                message,
            }) if tries < 5 => {
                tries += 1;
                eprintln!("commit_transaction timed out ({message}); calling it again");
            }
            other => return other,
        }
    }
}

/// [`commit`] for `abort_transaction`.
fn abort(producer: &KafkaProducer<String, String>) -> Result<(), Error> {
    let mut tries = 0;
    loop {
        match producer.abort_transaction() {
            Err(Error::Timeout {
                kind: TimeoutKind::Transaction,
                message,
            }) if tries < 5 => {
                tries += 1;
                eprintln!("abort_transaction timed out ({message}); calling it again");
            }
            other => return other,
        }
    }
}

/// Reads `topic` at `read_committed` until `idle` passes without a record (asking for one more
/// record than `expected`, so that extra records would show).
fn read_committed(
    bootstrap: &str,
    topic: &str,
    expected: usize,
    idle: Duration,
) -> Vec<(i32, String)> {
    support::consume_from(bootstrap, topic, expected + 1, idle, true)
        .into_iter()
        .map(|r| (r.partition, r.value_str().expect("a value")))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// a. commits and aborts, transaction.version 2 and 1

const TXNS: usize = 200;
const RECORDS_PER_TXN: usize = 500;

/// Under `scripts/compat.sh` (which sets `KAFKA_VERSION` to the release under test) the tests
/// on its broker run; those that start clusters of their own (`transaction.version` features,
/// Kafka 4.x; three nodes) run with the default release only, in `scripts/test.sh`.
fn skipped_in_compat_run(test: &str) -> bool {
    match std::env::var("KAFKA_VERSION") {
        Ok(v) if !v.is_empty() => {
            eprintln!("{test}: skipped under KAFKA_VERSION={v} (runs with the default release)");
            true
        }
        _ => false,
    }
}

fn committed_and_aborted(transaction_version: &str) {
    if skipped_in_compat_run("committed_and_aborted") {
        return;
    }
    let _heavy = HEAVY.lock();
    let cluster =
        TestCluster::start_with_features(1, &[], &[("transaction.version", transaction_version)]);
    let bs = cluster.bootstrap();
    let features = support::finalized_features(bs);
    assert_eq!(
        features.get("transaction.version").map(String::as_str),
        Some(transaction_version),
        "finalized features: {features:?}"
    );
    let topic = support::unique_topic(&format!("txn-commit-abort-tv{transaction_version}"));
    support::create_topic_on(bs, &topic, PARTITIONS, 1, &[]);
    let keys = keys_per_partition(PARTITIONS);

    let producer = txn_producer(bs, &unique_id("commit-abort"), &[]);
    let started = Instant::now();
    producer.init_transactions().expect("init_transactions");
    // Failures of records of committed transactions (those of aborted ones may fail with
    // TransactionAborted).
    let failures: Arc<Mutex<Vec<(usize, Error)>>> = Arc::default();
    for txn in 0..TXNS {
        producer.begin_transaction().expect("begin_transaction");
        for rec in 0..RECORDS_PER_TXN {
            let key = keys[rec % keys.len()].clone();
            let f = failures.clone();
            let committing = txn % 2 == 0;
            drop(producer.send_with_callback(
                ProducerRecord::with_key_value(topic.as_str(), key, value(txn, rec)),
                move |r| {
                    if let (true, Err(e)) = (committing, r) {
                        f.lock().push((txn, e));
                    }
                },
            ));
        }
        if txn % 2 == 0 {
            commit(&producer).unwrap_or_else(|e| panic!("commit of transaction {txn}: {e}"));
        } else {
            // Written first, then aborted: the aborted records are in the log (checked below
            // with the end offsets) and must stay invisible at read_committed.
            producer.flush().expect("flush");
            abort(&producer).unwrap_or_else(|e| panic!("abort of transaction {txn}: {e}"));
        }
    }
    let elapsed = started.elapsed();
    producer.close();
    // Every record (committed or aborted) and one marker per transaction and partition.
    let log_end: i64 = support::end_offsets_on(bs, &topic)
        .iter()
        .map(|(_, o)| *o)
        .sum();
    assert_eq!(
        log_end,
        (TXNS * RECORDS_PER_TXN + TXNS * PARTITIONS as usize) as i64,
        "the log holds every record of both kinds of transaction and their markers"
    );
    assert!(
        failures.lock().is_empty(),
        "records of committed transactions failed: {:?}",
        &failures.lock()[..failures.lock().len().min(5)]
    );
    eprintln!(
        "transaction.version={transaction_version}: {TXNS} transactions of {RECORDS_PER_TXN} \
         records (every other aborted) in {elapsed:?}"
    );

    let committed = TXNS.div_ceil(2) * RECORDS_PER_TXN;
    let t0 = Instant::now();
    let records = read_committed(bs, &topic, committed, Duration::from_secs(5));
    eprintln!("read {} records back in {:?}", records.len(), t0.elapsed());

    let mut seen: HashSet<(usize, usize)> = HashSet::new();
    let mut last: BTreeMap<i32, (usize, usize)> = BTreeMap::new();
    let mut duplicates = 0;
    let mut from_aborted = 0;
    let mut out_of_order = 0;
    for (partition, v) in &records {
        let (txn, rec) = parse_value(v);
        if txn % 2 == 1 {
            from_aborted += 1;
        }
        if !seen.insert((txn, rec)) {
            duplicates += 1;
        }
        assert_eq!(
            *partition,
            (rec % keys.len()) as i32,
            "{v} is in the partition of its key"
        );
        if let Some(prev) = last.insert(*partition, (txn, rec)) {
            if prev >= (txn, rec) {
                out_of_order += 1;
            }
        }
    }
    let missing = (0..TXNS)
        .step_by(2)
        .flat_map(|t| (0..RECORDS_PER_TXN).map(move |r| (t, r)))
        .filter(|k| !seen.contains(k))
        .count();
    assert_eq!(
        (from_aborted, duplicates, missing, out_of_order),
        (0, 0, 0, 0),
        "(records of aborted transactions, duplicates, missing, out of order) of {} read",
        records.len()
    );
    assert_eq!(records.len(), committed);
    assert_eq!(
        last.len(),
        PARTITIONS as usize,
        "every partition got records"
    );
}

/// 200 transactions of 500 records over 6 partitions on a `transaction.version=2` broker
/// (KIP-890: partitions added implicitly, epoch bumped at every commit/abort); the odd ones are
/// aborted. At `read_committed`: every record of an even transaction once, none of an odd one,
/// in send order per partition.
#[test]
fn committed_and_aborted_transactions_read_committed() {
    committed_and_aborted("2");
}

/// The same on a `transaction.version=1` broker (AddPartitionsToTxn, no epoch bump per
/// transaction).
#[test]
fn committed_and_aborted_transactions_read_committed_tv1() {
    committed_and_aborted("1");
}

// ---------------------------------------------------------------------------------------------
// b. fencing

/// Producer A begins and writes; producer B with the same `transactional.id` initializes: A's
/// commit fails with `ProducerFenced`, and later calls on A fail at once with a fatal error. A's
/// records never become visible; B's next transaction commits.
#[test]
fn second_producer_fences_the_first() {
    let bs = support::bootstrap();
    let topic = support::unique_topic("txn-fenced");
    support::create_topic_on(&bs, &topic, 3, 1, &[]);
    let id = unique_id("fenced");

    let a = txn_producer(&bs, &id, &[]);
    a.init_transactions().expect("A: init_transactions");
    a.begin_transaction().expect("A: begin_transaction");
    for i in 0..20 {
        drop(a.send(ProducerRecord::with_key_value(
            topic.as_str(),
            format!("k{i}"),
            format!("A-{i}"),
        )));
    }
    a.flush().expect("A: flush");

    let b = txn_producer(&bs, &id, &[]);
    b.init_transactions().expect("B: init_transactions");

    let e = a
        .commit_transaction()
        .expect_err("A's commit after B's init must fail");
    eprintln!("A: commit_transaction: {e:?}");
    assert!(
        matches!(e, Error::ProducerFenced(_)),
        "A's commit fails with ProducerFenced, not {e:?}"
    );
    assert!(e.is_fatal());

    let t0 = Instant::now();
    let send = a
        .send(ProducerRecord::with_key_value(
            topic.as_str(),
            "k".into(),
            "A-late".into(),
        ))
        .get_timeout(Duration::from_secs(10));
    let e = send.expect_err("A: send after being fenced");
    eprintln!("A: send after fencing: {e:?}");
    assert!(e.is_fatal(), "send fails with a fatal error, not {e:?}");
    let e = a
        .begin_transaction()
        .expect_err("A: begin_transaction after being fenced");
    eprintln!("A: begin_transaction after fencing: {e:?}");
    assert!(
        e.is_fatal(),
        "begin_transaction fails with a fatal error, not {e:?}"
    );
    assert!(
        t0.elapsed() < Duration::from_secs(2),
        "A's calls fail fast, took {:?}",
        t0.elapsed()
    );
    a.close();

    b.begin_transaction().expect("B: begin_transaction");
    for i in 0..10 {
        drop(b.send(ProducerRecord::with_key_value(
            topic.as_str(),
            format!("k{i}"),
            format!("B-{i}"),
        )));
    }
    b.commit_transaction().expect("B: commit_transaction");
    b.close();

    let mut values: Vec<String> = read_committed(&bs, &topic, 10, Duration::from_secs(5))
        .into_iter()
        .map(|(_, v)| v)
        .collect();
    values.sort();
    let mut expected: Vec<String> = (0..10).map(|i| format!("B-{i}")).collect();
    expected.sort();
    assert_eq!(values, expected, "only B's transaction is visible");
}

// ---------------------------------------------------------------------------------------------
// c. transaction timeout

/// `transaction.timeout.ms=2000`: a transaction left open for 6 s is aborted by the coordinator
/// (whose sweep runs every second on kafka.sh brokers); the commit fails and nothing is visible.
#[test]
fn transaction_timeout_aborts_and_is_reported() {
    let bs = support::bootstrap();
    let topic = support::unique_topic("txn-timeout");
    support::create_topic_on(&bs, &topic, 1, 1, &[]);
    let producer = txn_producer(
        &bs,
        &unique_id("timeout"),
        &[("transaction.timeout.ms", "2000")],
    );
    producer.init_transactions().expect("init_transactions");
    producer.begin_transaction().expect("begin_transaction");
    for i in 0..10 {
        drop(producer.send(ProducerRecord::with_key_value(
            topic.as_str(),
            format!("k{i}"),
            format!("v{i}"),
        )));
    }
    producer.flush().expect("flush");
    std::thread::sleep(Duration::from_secs(6));
    let e = producer
        .commit_transaction()
        .expect_err("the commit of a transaction the coordinator aborted must fail");
    eprintln!(
        "commit_transaction after the transaction timed out: {e:?} (abortable: {}, fatal: {})",
        e.is_abortable(),
        e.is_fatal()
    );
    if e.is_abortable() {
        // Not fenced: the producer recovers with an abort.
        abort(&producer).expect("abort_transaction after an abortable error");
    }
    producer.close();
    let records = read_committed(&bs, &topic, 0, Duration::from_secs(4));
    assert!(
        records.is_empty(),
        "records of the timed-out transaction are visible: {records:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// d. offsets in transactions

/// Polls `kafka.sh group-offsets` until it shows `expected` (the markers of a commit are written
/// after `commit_transaction` returns, and only then are the offsets stable), for at most 20 s.
fn wait_group_offsets(bs: &str, group: &str, expected: &[(String, i32, i64)]) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let offsets = support::group_offsets(bs, group);
        if offsets == expected {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "group {group}: offsets {offsets:?}, expected {expected:?}"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
}

/// Offsets sent with `send_offsets_to_transaction` are committed to the group if and only if
/// the transaction commits: none after an aborted one, exactly those sent after a committed
/// one, unchanged after a later aborted one.
#[test]
fn offsets_visible_only_after_commit() {
    let bs = support::bootstrap();
    let input = support::unique_topic("txn-offsets-in");
    let output = support::unique_topic("txn-offsets-out");
    support::create_topic_on(&bs, &input, 3, 1, &[]);
    support::create_topic_on(&bs, &output, 1, 1, &[]);
    let group = support::unique_topic("txn-offsets-group");
    let meta = ConsumerGroupMetadata::new(group.clone());
    let offsets = |pairs: &[(i32, i64)]| -> HashMap<TopicPartition, OffsetAndMetadata> {
        pairs
            .iter()
            .map(|&(p, o)| {
                (
                    TopicPartition::new(input.as_str(), p),
                    OffsetAndMetadata::new(o),
                )
            })
            .collect()
    };
    let producer = txn_producer(&bs, &unique_id("offsets"), &[]);
    producer.init_transactions().expect("init_transactions");

    // 1. aborted: no offsets.
    producer.begin_transaction().unwrap();
    drop(producer.send(ProducerRecord::with_key_value(
        output.as_str(),
        "k".into(),
        "aborted-1".into(),
    )));
    producer
        .send_offsets_to_transaction(&offsets(&[(0, 5), (1, 7)]), &meta)
        .expect("send_offsets_to_transaction");
    abort(&producer).expect("abort");
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(
        support::group_offsets(&bs, &group),
        vec![],
        "no offsets after an aborted transaction"
    );

    // 2. committed: exactly those sent.
    producer.begin_transaction().unwrap();
    drop(producer.send(ProducerRecord::with_key_value(
        output.as_str(),
        "k".into(),
        "committed-2".into(),
    )));
    producer
        .send_offsets_to_transaction(&offsets(&[(0, 10), (1, 20), (2, 30)]), &meta)
        .expect("send_offsets_to_transaction");
    commit(&producer).expect("commit");
    let after_commit = vec![
        (input.clone(), 0, 10),
        (input.clone(), 1, 20),
        (input.clone(), 2, 30),
    ];
    wait_group_offsets(&bs, &group, &after_commit);

    // 3. aborted again: the committed ones stay.
    producer.begin_transaction().unwrap();
    producer
        .send_offsets_to_transaction(&offsets(&[(0, 99), (2, 99)]), &meta)
        .expect("send_offsets_to_transaction");
    drop(producer.send(ProducerRecord::with_key_value(
        output.as_str(),
        "k".into(),
        "aborted-3".into(),
    )));
    abort(&producer).expect("abort");
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(
        support::group_offsets(&bs, &group),
        after_commit,
        "an aborted transaction leaves the committed offsets"
    );
    producer.close();

    let values: Vec<String> = read_committed(&bs, &output, 1, Duration::from_secs(4))
        .into_iter()
        .map(|(_, v)| v)
        .collect();
    assert_eq!(values, vec!["committed-2".to_string()]);
}

// ---------------------------------------------------------------------------------------------
// e. coordinator kills

const KILL_TXNS: usize = 200;
const KILL_RECORDS: usize = 100;
/// Kill the coordinator when the producer reaches these transactions.
const KILL_AT: [usize; 4] = [20, 60, 100, 140];

/// What the killer thread did.
#[derive(Debug)]
#[allow(dead_code)] // printed
struct Kill {
    at_txn: usize,
    node: i32,
    txn_open: bool,
}

/// A 3-node cluster (transaction state RF 3, min ISR 2; a topic of 6 partitions, RF 3, min ISR
/// 2). 200 transactions of 100 records; the node leading the `__transaction_state` partition of
/// the transactional id (the coordinator) is SIGKILLed 4 times during the run and restarted a
/// few seconds later. Commits that fail with an abortable error are aborted. At
/// `read_committed` no transaction is torn: a committed one is wholly visible, exactly once, an
/// aborted one not at all.
#[test]
fn coordinator_kills_never_tear_a_transaction() {
    if skipped_in_compat_run("coordinator_kills_never_tear_a_transaction") {
        return;
    }
    let _heavy = HEAVY.lock();
    let cluster = TestCluster::start(3, &[]);
    let bs = cluster.bootstrap().to_string();
    let topic = support::unique_topic("txn-kills");
    support::create_topic_on(&bs, &topic, PARTITIONS, 3, &[("min.insync.replicas", "2")]);
    let keys = keys_per_partition(PARTITIONS);
    let id = unique_id("kills");
    let state_partition = support::transaction_state_partition(&id, 3) as usize;

    let producer = txn_producer(&bs, &id, &[]);
    producer.init_transactions().expect("init_transactions");

    // The transaction state topic exists now: 3 replicas, min ISR 2 (kafka.sh's defaults).
    let describe = support::kafka_sh(&[
        "java-tool",
        "org.apache.kafka.tools.TopicCommand",
        "--bootstrap-server",
        &bs,
        "--describe",
        "--topic",
        "__transaction_state",
    ]);
    assert!(
        describe.contains("ReplicationFactor: 3") && describe.contains("min.insync.replicas=2"),
        "__transaction_state:\n{describe}"
    );

    let current_txn = Arc::new(AtomicUsize::new(0));
    let txn_open = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicBool::new(false));
    let killer = {
        let (current_txn, txn_open, done) = (current_txn.clone(), txn_open.clone(), done.clone());
        let cluster = &cluster;
        let bs = bs.clone();
        move || {
            let mut kills = Vec::new();
            for at in KILL_AT {
                while current_txn.load(Ordering::SeqCst) < at && !done.load(Ordering::SeqCst) {
                    std::thread::sleep(Duration::from_millis(20));
                }
                if done.load(Ordering::SeqCst) {
                    break;
                }
                // (Right after a restart the partition may be without a leader for a moment.)
                let deadline = Instant::now() + Duration::from_secs(15);
                let node = loop {
                    let leader = support::leaders(&bs, "__transaction_state")
                        .and_then(|l| l.get(state_partition).copied().flatten());
                    match leader {
                        Some(node) => break node,
                        None if Instant::now() < deadline => {
                            std::thread::sleep(Duration::from_millis(200))
                        }
                        None => panic!("__transaction_state-{state_partition} has no leader"),
                    }
                };
                let open = txn_open.load(Ordering::SeqCst);
                let at_txn = current_txn.load(Ordering::SeqCst);
                cluster.kill(node as usize);
                eprintln!(
                    "killed node {node} (the coordinator) at transaction {at_txn} (open: {open})"
                );
                kills.push(Kill {
                    at_txn,
                    node,
                    txn_open: open,
                });
                std::thread::sleep(Duration::from_secs(3));
                cluster.restart(node as usize);
                eprintln!("restarted node {node}");
            }
            kills
        }
    };

    let failures: Arc<Mutex<Vec<(usize, Error)>>> = Arc::default();
    let started = Instant::now();
    let (kills, committed, aborted) = std::thread::scope(|s| {
        let killer = s.spawn(killer);
        let mut committed = Vec::new();
        let mut aborted = Vec::new();
        for txn in 0..KILL_TXNS {
            current_txn.store(txn, Ordering::SeqCst);
            producer
                .begin_transaction()
                .unwrap_or_else(|e| panic!("begin_transaction {txn}: {e}"));
            txn_open.store(true, Ordering::SeqCst);
            for rec in 0..KILL_RECORDS {
                let f = failures.clone();
                drop(producer.send_with_callback(
                    ProducerRecord::with_key_value(
                        topic.as_str(),
                        keys[rec % keys.len()].clone(),
                        value(txn, rec),
                    ),
                    move |r| {
                        if let Err(e) = r {
                            f.lock().push((txn, e));
                        }
                    },
                ));
            }
            match commit(&producer) {
                Ok(()) => committed.push(txn),
                Err(e) if e.is_abortable() => {
                    eprintln!("transaction {txn}: commit failed ({e}); aborting");
                    abort(&producer).unwrap_or_else(|e| panic!("abort of transaction {txn}: {e}"));
                    aborted.push(txn);
                }
                Err(e) => panic!("transaction {txn}: commit failed: {e:?}"),
            }
            txn_open.store(false, Ordering::SeqCst);
        }
        done.store(true, Ordering::SeqCst);
        (killer.join().unwrap(), committed, aborted)
    });
    let elapsed = started.elapsed();
    producer.close();
    // Records of committed transactions must all have been written.
    let committed_set: HashSet<usize> = committed.iter().copied().collect();
    let lost: Vec<_> = failures
        .lock()
        .iter()
        .filter(|(t, _)| committed_set.contains(t))
        .map(|(t, e)| format!("{t}: {e}"))
        .take(5)
        .collect();
    assert!(
        lost.is_empty(),
        "records of committed transactions failed: {lost:?}"
    );

    let records = read_committed(
        &bs,
        &topic,
        committed.len() * KILL_RECORDS,
        Duration::from_secs(8),
    );
    let mut per_txn: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (_, v) in &records {
        let (t, r) = parse_value(v);
        per_txn.entry(t).or_default().push(r);
    }
    let mut torn = Vec::new();
    let mut duplicated = Vec::new();
    let mut visible_aborted = Vec::new();
    for (t, recs) in &per_txn {
        let distinct: HashSet<_> = recs.iter().collect();
        if distinct.len() != KILL_RECORDS {
            torn.push((*t, distinct.len()));
        }
        if recs.len() != distinct.len() {
            duplicated.push(*t);
        }
        if !committed_set.contains(t) {
            visible_aborted.push(*t);
        }
    }
    let invisible_committed: Vec<_> = committed
        .iter()
        .filter(|t| !per_txn.contains_key(t))
        .collect();
    let open_kills = kills.iter().filter(|k| k.txn_open).count();
    eprintln!(
        "{KILL_TXNS} transactions in {elapsed:?}: {} committed, {} aborted ({aborted:?}); \
         {} coordinator kills, {open_kills} while a transaction was open: {kills:?}",
        committed.len(),
        aborted.len(),
        kills.len()
    );
    assert_eq!(
        kills.len(),
        KILL_AT.len(),
        "every kill happened during the run"
    );
    assert!(
        torn.is_empty(),
        "torn transactions (txn, records visible): {torn:?}"
    );
    assert!(
        duplicated.is_empty(),
        "transactions with duplicates: {duplicated:?}"
    );
    assert!(
        visible_aborted.is_empty(),
        "aborted but visible: {visible_aborted:?}"
    );
    assert!(
        invisible_committed.is_empty(),
        "committed but invisible: {invisible_committed:?}"
    );
    assert_eq!(records.len(), committed.len() * KILL_RECORDS);
}

// ---------------------------------------------------------------------------------------------
// f. misc

fn illegal_state(r: Result<(), Error>, what: &str) -> String {
    match r {
        Err(Error::IllegalState(m)) => m,
        other => panic!("{what}: expected IllegalState, got {other:?}"),
    }
}

/// `begin_transaction` before `init_transactions` is an illegal state.
#[test]
fn begin_before_init_fails() {
    let producer = txn_producer(&support::bootstrap(), &unique_id("no-init"), &[]);
    let m = illegal_state(
        producer.begin_transaction(),
        "begin_transaction before init",
    );
    eprintln!("begin_transaction before init_transactions: {m}");
    producer.close();
}

/// The transactional methods of a producer without `transactional.id` fail with an
/// IllegalState that names `transactional.id`.
#[test]
fn transactional_methods_need_a_transactional_id() {
    let config = ProducerConfig::builder()
        .bootstrap_servers(support::bootstrap())
        .build()
        .unwrap();
    let producer: KafkaProducer<String, String> =
        KafkaProducer::new(config, StringSerializer, StringSerializer).unwrap();
    let offsets: HashMap<TopicPartition, OffsetAndMetadata> =
        [(TopicPartition::new("t", 0), OffsetAndMetadata::new(1))].into();
    let calls: [(&str, Result<(), Error>); 5] = [
        ("init_transactions", producer.init_transactions()),
        ("begin_transaction", producer.begin_transaction()),
        (
            "send_offsets_to_transaction",
            producer.send_offsets_to_transaction(&offsets, &ConsumerGroupMetadata::new("g")),
        ),
        ("commit_transaction", producer.commit_transaction()),
        ("abort_transaction", producer.abort_transaction()),
    ];
    for (what, r) in calls {
        let m = illegal_state(r, what);
        assert!(
            m.contains("transactional.id"),
            "{what}: {m:?} names transactional.id"
        );
    }
    producer.close();
}

/// On a transactional producer, `send` outside a transaction fails (before `init_transactions`
/// and between transactions), quickly, without writing anything.
#[test]
fn send_outside_a_transaction_fails() {
    let bs = support::bootstrap();
    let topic = support::unique_topic("txn-outside");
    support::create_topic_on(&bs, &topic, 1, 1, &[]);
    let producer = txn_producer(&bs, &unique_id("outside"), &[]);
    let send = |v: &str| {
        producer
            .send(ProducerRecord::with_key_value(
                topic.as_str(),
                "k".into(),
                v.into(),
            ))
            .get_timeout(Duration::from_secs(5))
    };
    let t0 = Instant::now();
    let e = send("before-init").expect_err("send before init_transactions");
    eprintln!("send before init_transactions: {e:?}");
    producer.init_transactions().expect("init_transactions");
    let e = send("no-txn").expect_err("send before begin_transaction");
    eprintln!("send outside a transaction: {e:?}");
    assert!(
        !matches!(e, Error::Timeout { .. }),
        "fails at once, not by a timeout: {e:?}"
    );
    assert!(
        t0.elapsed() < Duration::from_secs(15),
        "took {:?}",
        t0.elapsed()
    );
    producer.close();
    let records = support::consume_from(&bs, &topic, 0, Duration::from_secs(3), false);
    assert!(records.is_empty(), "nothing was written: {records:?}");
}

/// A transaction without records commits (and aborts), and the producer goes on.
#[test]
fn empty_transaction_commits() {
    let bs = support::bootstrap();
    let topic = support::unique_topic("txn-empty");
    support::create_topic_on(&bs, &topic, 1, 1, &[]);
    let producer = txn_producer(&bs, &unique_id("empty"), &[]);
    producer.init_transactions().expect("init_transactions");
    producer.begin_transaction().expect("begin_transaction");
    producer
        .commit_transaction()
        .expect("commit of an empty transaction");
    producer.begin_transaction().expect("begin_transaction");
    producer
        .abort_transaction()
        .expect("abort of an empty transaction");
    producer.begin_transaction().expect("begin_transaction");
    drop(producer.send(ProducerRecord::with_key_value(
        topic.as_str(),
        "k".into(),
        "after".into(),
    )));
    producer.commit_transaction().expect("commit");
    producer.close();
    let values: Vec<String> = read_committed(&bs, &topic, 1, Duration::from_secs(4))
        .into_iter()
        .map(|(_, v)| v)
        .collect();
    assert_eq!(values, vec!["after".to_string()]);
}

/// The coordinator lookup of the kill test: Java's `String.hashCode` and `Utils.abs`.
#[test]
fn transaction_state_partition_as_the_broker() {
    assert_eq!(support::java_string_hash("hello"), 99_162_322);
    assert_eq!(support::java_string_hash(""), 0);
    // "polygenelubricants".hashCode() == Integer.MIN_VALUE: Utils.abs makes it 0.
    assert_eq!(support::java_string_hash("polygenelubricants"), i32::MIN);
    assert_eq!(
        support::transaction_state_partition("polygenelubricants", 3),
        0
    );
    // "Aa".hashCode() == 2112; negative hashes are made positive before the modulo.
    assert_eq!(support::transaction_state_partition("Aa", 50), 2112 % 50);
    let negative = "zzzzzzzzzz";
    let h = support::java_string_hash(negative);
    assert!(h < 0, "{h}");
    assert_eq!(
        support::transaction_state_partition(negative, 3),
        h.abs() % 3
    );
}
