//! Idempotent delivery proven on a real 3-node KRaft cluster (RF=3, min.insync.replicas=2)
//! while brokers die, hang, or all go away: every record is written exactly once, in send order
//! per key, and every callback runs exactly once.
//!
//! The scenarios run one after another (each on its own cluster) so they do not fight over the
//! machine's two cores.

mod support;

use kafka_producer::producer::serializer::StringSerializer;
use kafka_producer::{Error, KafkaProducer, ProducerConfig, ProducerRecord, TimeoutKind};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use support::TestCluster;

static SERIAL: Mutex<()> = Mutex::new(());

const PARTITIONS: i32 = 6;

fn cluster_with_topic(topic: &str) -> TestCluster {
    let cluster = TestCluster::start(3, &[]);
    support::create_topic_on(
        cluster.bootstrap(),
        topic,
        PARTITIONS,
        3,
        &[("min.insync.replicas", "2")],
    );
    cluster
}

fn producer(bootstrap: &str, extra: &[(&str, &str)]) -> KafkaProducer<String, String> {
    let _ = env_logger::builder().is_test(true).try_init();
    let mut b = ProducerConfig::builder().bootstrap_servers(bootstrap);
    for (k, v) in extra {
        b = b.set(*k, *v);
    }
    let config = b.build().unwrap();
    assert!(config.enable_idempotence());
    KafkaProducer::new(config, StringSerializer, StringSerializer).unwrap()
}

/// Counts of a read-back check.
#[derive(Debug, Default)]
struct Report {
    sent: usize,
    acked: usize,
    read: usize,
    duplicates: usize,
    missing: usize,
    reordered: usize,
}

/// Reads the topic back with the Java console consumer and checks, per key, that the values
/// `key:seq` appear exactly once each, in sequence order. `expected` maps a key to the number
/// of records sent for it.
fn check_topic(
    bootstrap: &str,
    topic: &str,
    expected: &HashMap<String, usize>,
    report: &mut Report,
) {
    let total: usize = expected.values().sum();
    // Ask for more than was sent so that duplicates would show; stop after 8 s without records.
    let records = support::consume_from(
        bootstrap,
        topic,
        total + 1000,
        Duration::from_secs(8),
        false,
    );
    report.read = records.len();
    let mut seen: HashMap<String, Vec<usize>> = HashMap::new();
    let mut key_partition: HashMap<String, i32> = HashMap::new();
    // The console consumer prints each partition in offset order.
    for r in &records {
        let value = r.value_str().expect("value");
        let (key, seq) = value.rsplit_once(':').expect("key:seq");
        let seq: usize = seq.parse().unwrap();
        assert_eq!(
            r.key_str().as_deref(),
            Some(key),
            "key matches the value's key"
        );
        let p = *key_partition.entry(key.to_string()).or_insert(r.partition);
        assert_eq!(p, r.partition, "a key stays on one partition");
        seen.entry(key.to_string()).or_default().push(seq);
    }
    for (key, &n) in expected {
        let seqs = seen.remove(key).unwrap_or_default();
        let mut sorted = seqs.clone();
        sorted.sort();
        let before = sorted.len();
        sorted.dedup();
        report.duplicates += before - sorted.len();
        report.missing += n - sorted.iter().filter(|s| **s < n).count();
        report.reordered += seqs.windows(2).filter(|w| w[1] <= w[0]).count();
    }
    assert!(
        seen.is_empty(),
        "records of unknown keys: {:?}",
        seen.keys().take(5).collect::<Vec<_>>()
    );
}

/// The shape of a load: `threads` threads sending `per_thread` records each over `keys` keys,
/// pausing `pause` after every `chunk` records until the run turns fast.
struct Load {
    threads: usize,
    per_thread: usize,
    keys: usize,
    chunk: usize,
    pause: Duration,
}

/// Shared state of a run: the "go fast" flag, and what the callbacks saw.
#[derive(Default, Clone)]
struct Run {
    fast: Arc<AtomicBool>,
    acked: Arc<AtomicUsize>,
    failures: Arc<Mutex<Vec<Error>>>,
}

/// Sends the load (keys `t{thread}-k{n}`, values `key:seq`); returns the per-key counts.
fn send_keyed(
    producer: &Arc<KafkaProducer<String, String>>,
    topic: &str,
    load: Load,
    run: &Run,
) -> HashMap<String, usize> {
    let Load {
        threads,
        per_thread,
        keys,
        chunk,
        pause,
    } = load;
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let p = producer.clone();
            let topic = topic.to_string();
            let (fast, acked, failures) =
                (run.fast.clone(), run.acked.clone(), run.failures.clone());
            std::thread::spawn(move || {
                let mut counts: HashMap<String, usize> = HashMap::new();
                for i in 0..per_thread {
                    let key = format!("t{t}-k{}", i % keys);
                    let seq = counts.entry(key.clone()).or_default();
                    let value = format!("{key}:{seq}");
                    *seq += 1;
                    let (a, f) = (acked.clone(), failures.clone());
                    p.send_with_callback(
                        ProducerRecord::with_key_value(topic.as_str(), key, value),
                        move |r| match r {
                            Ok(_) => {
                                a.fetch_add(1, Ordering::SeqCst);
                            }
                            Err(e) => f.lock().push(e),
                        },
                    );
                    if i % chunk == chunk - 1 && !fast.load(Ordering::SeqCst) {
                        std::thread::sleep(pause);
                    }
                }
                counts
            })
        })
        .collect();
    let mut all = HashMap::new();
    for h in handles {
        all.extend(h.join().unwrap());
    }
    all
}

/// Kills (SIGKILL) and restarts the leader of partition `round % 6`, `rounds` times, once
/// records flow; returns (partition, leader killed, records acked at that time) per round.
fn kill_leaders(
    cluster: &TestCluster,
    topic: &str,
    rounds: usize,
    acked: &AtomicUsize,
) -> Vec<(usize, i32, usize)> {
    let mut log = Vec::new();
    while acked.load(Ordering::SeqCst) < 2000 {
        std::thread::sleep(Duration::from_millis(50));
    }
    for round in 0..rounds {
        let partition = round % PARTITIONS as usize;
        let leader = support::leaders(cluster.bootstrap(), topic)
            .and_then(|l| l.get(partition).copied().flatten())
            .expect("the partition has a leader");
        log.push((partition, leader, acked.load(Ordering::SeqCst)));
        cluster.kill(leader as usize);
        std::thread::sleep(Duration::from_millis(1500));
        cluster.restart(leader as usize);
        std::thread::sleep(Duration::from_millis(1500));
    }
    log
}

#[test]
fn leader_kills_lose_nothing_and_write_nothing_twice() {
    let _serial = SERIAL.lock();
    let topic = support::unique_topic("leaderkill");
    let cluster = cluster_with_topic(&topic);
    let producer = Arc::new(producer(cluster.bootstrap(), &[]));
    let run = Run::default();
    let (fast, acked, failures) = (&run.fast, &run.acked, &run.failures);
    let start = Instant::now();
    let (expected, kills) = std::thread::scope(|s| {
        let killer = s.spawn(|| {
            let log = kill_leaders(&cluster, &topic, 5, acked);
            fast.store(true, Ordering::SeqCst);
            log
        });
        // 2 threads x 100,000 records, paced (about 4,000 records/s) until the killer is done.
        let load = Load {
            threads: 2,
            per_thread: 100_000,
            keys: 500,
            chunk: 200,
            pause: Duration::from_millis(100),
        };
        let expected = send_keyed(&producer, &topic, load, &run);
        let kills = killer.join().unwrap();
        (expected, kills)
    });
    producer.flush().unwrap();
    let elapsed = start.elapsed();
    let mut report = Report {
        sent: expected.values().sum(),
        acked: acked.load(Ordering::SeqCst),
        ..Default::default()
    };
    let failures = failures.lock().clone();
    assert!(
        failures.is_empty(),
        "{} failures, first: {:?}",
        failures.len(),
        failures.first()
    );
    check_topic(cluster.bootstrap(), &topic, &expected, &mut report);
    let m = producer.counters();
    println!(
        "leader kill: {kills:?} (partition, leader, acked) in {elapsed:?}; {report:?}; retries {}, epoch bumps {}, disconnections {}",
        m.retries, m.epoch_bumps, m.disconnections
    );
    assert!(kills.len() >= 5);
    assert!(
        kills.last().unwrap().2 < 200_000,
        "the last kill happened during the run"
    );
    assert_eq!(report.sent, 200_000);
    assert_eq!(report.acked, 200_000);
    assert_eq!(
        (
            report.read,
            report.duplicates,
            report.missing,
            report.reordered
        ),
        (200_000, 0, 0, 0)
    );
}

#[test]
fn hung_leader_times_out_and_nothing_is_lost_or_doubled() {
    let _serial = SERIAL.lock();
    let topic = support::unique_topic("hung");
    let cluster = cluster_with_topic(&topic);
    let producer = Arc::new(producer(
        cluster.bootstrap(),
        &[
            ("request.timeout.ms", "3000"),
            ("delivery.timeout.ms", "60000"),
        ],
    ));
    let run = Run::default();
    let (fast, acked, failures) = (&run.fast, &run.acked, &run.failures);
    let paused_for = Duration::from_secs(9);
    let (expected, leader) = std::thread::scope(|s| {
        let pauser = s.spawn(|| {
            while acked.load(Ordering::SeqCst) < 2000 {
                std::thread::sleep(Duration::from_millis(50));
            }
            let leader = support::leaders(cluster.bootstrap(), &topic)
                .and_then(|l| l[0])
                .expect("leader");
            // SIGSTOP for longer than request.timeout.ms and the broker session timeout (6 s):
            // requests time out and the controller moves the leadership away.
            cluster.pause(leader as usize);
            std::thread::sleep(paused_for);
            cluster.resume(leader as usize);
            std::thread::sleep(Duration::from_secs(2));
            fast.store(true, Ordering::SeqCst);
            leader
        });
        let load = Load {
            threads: 2,
            per_thread: 20_000,
            keys: 200,
            chunk: 100,
            pause: Duration::from_millis(50),
        };
        let expected = send_keyed(&producer, &topic, load, &run);
        (expected, pauser.join().unwrap())
    });
    producer.flush().unwrap();
    let failures = failures.lock().clone();
    assert!(
        failures.is_empty(),
        "{} failures, first: {:?}",
        failures.len(),
        failures.first()
    );
    let mut report = Report {
        sent: expected.values().sum(),
        acked: acked.load(Ordering::SeqCst),
        ..Default::default()
    };
    check_topic(cluster.bootstrap(), &topic, &expected, &mut report);
    let m = producer.counters();
    println!(
        "hung broker: node {leader} stopped {paused_for:?}; {report:?}; retries {}, disconnections {}",
        m.retries, m.disconnections
    );
    assert!(
        m.disconnections >= 1,
        "the request timeout closed the connection"
    );
    assert_eq!(report.acked, 40_000);
    assert_eq!(
        (
            report.read,
            report.duplicates,
            report.missing,
            report.reordered
        ),
        (40_000, 0, 0, 0)
    );
}

#[test]
fn whole_cluster_down_shorter_then_longer_than_delivery_timeout() {
    let _serial = SERIAL.lock();
    let topic = support::unique_topic("alldown");
    let cluster = cluster_with_topic(&topic);
    let kill_all = |c: &TestCluster| (1..=3).for_each(|n| c.kill(n));
    let restart_all = |c: &TestCluster| {
        std::thread::scope(|s| {
            for n in 1..=3 {
                s.spawn(move || c.restart(n));
            }
        })
    };

    // Down for less than delivery.timeout.ms: everything is delivered once.
    let p = producer(
        cluster.bootstrap(),
        &[
            ("delivery.timeout.ms", "45000"),
            ("request.timeout.ms", "5000"),
        ],
    );
    let mut expected: HashMap<String, usize> = HashMap::new();
    let ok = Arc::new(AtomicUsize::new(0));
    let calls = Arc::new(AtomicUsize::new(0));
    let send = |p: &KafkaProducer<String, String>,
                range: std::ops::Range<usize>,
                expected: &mut HashMap<String, usize>| {
        for i in range {
            let key = format!("k{}", i % 100);
            let seq = expected.entry(key.clone()).or_default();
            let value = format!("{key}:{seq}");
            *seq += 1;
            let (o, c) = (ok.clone(), calls.clone());
            p.send_with_callback(
                ProducerRecord::with_key_value(topic.as_str(), key, value),
                move |r| {
                    c.fetch_add(1, Ordering::SeqCst);
                    if r.is_ok() {
                        o.fetch_add(1, Ordering::SeqCst);
                    }
                },
            );
        }
    };
    send(&p, 0..5000, &mut expected);
    p.flush().unwrap();
    kill_all(&cluster);
    send(&p, 5000..10_000, &mut expected);
    std::thread::sleep(Duration::from_secs(5));
    restart_all(&cluster);
    p.flush().unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 10_000);
    assert_eq!(
        ok.load(Ordering::SeqCst),
        10_000,
        "all delivered after the cluster came back"
    );
    let mut report = Report {
        sent: 10_000,
        acked: 10_000,
        ..Default::default()
    };
    check_topic(cluster.bootstrap(), &topic, &expected, &mut report);
    println!("cluster down 5 s (< delivery.timeout.ms): {report:?}");
    assert_eq!(
        (
            report.read,
            report.duplicates,
            report.missing,
            report.reordered
        ),
        (10_000, 0, 0, 0)
    );
    p.close();

    // Down for longer than delivery.timeout.ms: the pending records fail with a delivery
    // timeout, each callback once; afterwards nothing is written twice.
    let p = producer(
        cluster.bootstrap(),
        &[
            ("delivery.timeout.ms", "8000"),
            ("request.timeout.ms", "3000"),
            ("linger.ms", "0"),
        ],
    );
    let errors: Arc<Mutex<Vec<Error>>> = Arc::default();
    p.send(ProducerRecord::with_key_value(
        topic.as_str(),
        "warm".to_string(),
        "warm:0".to_string(),
    ))
    .get()
    .unwrap();
    kill_all(&cluster);
    let lost_calls = Arc::new(AtomicUsize::new(0));
    for i in 0..2000 {
        let (e, c) = (errors.clone(), lost_calls.clone());
        p.send_with_callback(
            ProducerRecord::with_key_value(
                topic.as_str(),
                format!("late{}", i % 10),
                format!("late{}:{}", i % 10, i / 10),
            ),
            move |r| {
                c.fetch_add(1, Ordering::SeqCst);
                if let Err(err) = r {
                    e.lock().push(err);
                }
            },
        );
    }
    let start = Instant::now();
    p.flush().unwrap();
    let waited = start.elapsed();
    assert_eq!(
        lost_calls.load(Ordering::SeqCst),
        2000,
        "every callback once"
    );
    let errors = errors.lock().clone();
    assert_eq!(errors.len(), 2000);
    assert!(
        errors.iter().all(|e| matches!(
            e,
            Error::Timeout {
                kind: TimeoutKind::Delivery,
                ..
            }
        )),
        "{:?}",
        errors.first()
    );
    assert!(waited < Duration::from_secs(30), "{waited:?}");
    restart_all(&cluster);
    // The producer keeps working once the cluster is back.
    for i in 0..100 {
        p.send(ProducerRecord::with_key_value(
            topic.as_str(),
            "after".to_string(),
            format!("after:{i}"),
        ))
        .get()
        .unwrap();
    }
    p.close();
    expected.insert("warm".into(), 1);
    expected.insert("after".into(), 100);
    let mut report = Report::default();
    check_topic(cluster.bootstrap(), &topic, &expected, &mut report);
    println!("cluster down past delivery.timeout.ms: 2000 timed out; {report:?}");
    assert_eq!(
        (report.duplicates, report.missing, report.reordered),
        (0, 0, 0)
    );
}
