//! The producer against the real broker: sync and async sends, many threads, Java's key
//! mapping, batching, errors, and close.

mod support;

use kafka_producer::producer::serializer::{IntegerSerializer, StringSerializer};
use kafka_producer::{
    Error, KafkaProducer, ProducerConfig, ProducerConfigBuilder, ProducerRecord, RecordFuture,
    RecordMetadata, TimeoutKind,
};
use parking_lot::Mutex;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

fn config(bootstrap: &str) -> ProducerConfigBuilder {
    ProducerConfig::builder()
        .bootstrap_servers(bootstrap)
        .max_block(Duration::from_secs(30))
}

fn string_producer(b: ProducerConfigBuilder) -> KafkaProducer<String, String> {
    KafkaProducer::new(b.build().unwrap(), StringSerializer, StringSerializer).unwrap()
}

#[test]
fn sync_sends_get_consecutive_offsets() {
    let topic = support::unique_topic("sync");
    support::create_topic(&topic, 1, 1, &[]);
    let producer = string_producer(config(&support::bootstrap()));
    let mut offsets = Vec::new();
    for i in 0..20 {
        let md = producer
            .send(ProducerRecord::new(topic.as_str(), format!("v{i}")))
            .get()
            .unwrap();
        assert_eq!(&*md.topic, topic.as_str());
        assert_eq!(md.partition, 0);
        assert_eq!(md.serialized_value_size, format!("v{i}").len() as i32);
        assert_eq!(md.serialized_key_size, -1);
        offsets.push(md.offset);
    }
    assert_eq!(offsets, (0..20).collect::<Vec<i64>>());
    producer.close();
    let read = support::consume(&topic, 20, Duration::from_secs(30));
    let values: Vec<String> = read.iter().map(|r| r.value_str().unwrap()).collect();
    assert_eq!(values, (0..20).map(|i| format!("v{i}")).collect::<Vec<_>>());
}

#[test]
fn async_callbacks_fire_once_with_partition_and_offset() {
    let topic = support::unique_topic("async");
    support::create_topic(&topic, 3, 1, &[]);
    let producer: KafkaProducer<i32, String> = KafkaProducer::new(
        config(&support::bootstrap()).build().unwrap(),
        IntegerSerializer,
        StringSerializer,
    )
    .unwrap();
    type Calls = Vec<(i32, Result<RecordMetadata, Error>)>;
    let calls: Arc<Mutex<Calls>> = Arc::default();
    let n = 3000;
    for i in 0..n {
        let c = calls.clone();
        producer.send_with_callback(
            ProducerRecord::with_key_value(topic.as_str(), i, format!("Message_{i}")),
            move |r| c.lock().push((i, r)),
        );
    }
    producer.flush().unwrap();
    let calls = std::mem::take(&mut *calls.lock());
    assert_eq!(calls.len(), n as usize, "every callback exactly once");
    let ids: HashSet<i32> = calls.iter().map(|(i, _)| *i).collect();
    assert_eq!(ids.len(), n as usize);
    // Per partition, offsets are 0..count in send order.
    let mut per_partition: HashMap<i32, Vec<(i32, i64)>> = HashMap::new();
    for (i, r) in &calls {
        let md = r.as_ref().unwrap();
        per_partition
            .entry(md.partition)
            .or_default()
            .push((*i, md.offset));
    }
    assert_eq!(
        per_partition.len(),
        3,
        "int keys spread over the 3 partitions"
    );
    let consumed = support::consume(&topic, n as usize, Duration::from_secs(60));
    let mut where_java_found: HashMap<Vec<u8>, (i32, i64)> = HashMap::new();
    for r in &consumed {
        where_java_found.insert(r.key.clone().unwrap(), (r.partition, r.offset));
    }
    for (p, list) in per_partition {
        let mut offsets: Vec<i64> = list.iter().map(|(_, o)| *o).collect();
        offsets.sort();
        assert_eq!(offsets, (0..list.len() as i64).collect::<Vec<_>>());
        for (i, o) in list {
            assert_eq!(
                where_java_found[&i.to_be_bytes().to_vec()],
                (p, o),
                "key {i}"
            );
        }
    }
    producer.close();
}

#[test]
fn four_threads_200k_records_exactly_once() {
    let topic = support::unique_topic("threads");
    support::create_topic(&topic, 4, 1, &[]);
    let producer = Arc::new(string_producer(config(&support::bootstrap())));
    let acked = Arc::new(AtomicUsize::new(0));
    let per_thread = 50_000;
    let handles: Vec<_> = (0..4)
        .map(|t| {
            let p = producer.clone();
            let topic = topic.clone();
            let acked = acked.clone();
            std::thread::spawn(move || {
                let mut futures = Vec::with_capacity(per_thread);
                for i in 0..per_thread {
                    futures.push(p.send(ProducerRecord::with_key_value(
                        topic.as_str(),
                        format!("t{t}-{i}"),
                        format!("value-{t}-{i}"),
                    )));
                }
                for f in futures {
                    f.get().expect("every future resolves successfully");
                    acked.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(acked.load(Ordering::Relaxed), 200_000);
    // The counters are published once per sender loop: exact after close.
    producer.close();
    let m = producer.counters();
    assert_eq!(m.records_acked, 200_000);
    assert_eq!(m.records_failed, 0);
    let ends = support::end_offsets(&topic);
    let total: i64 = ends.iter().map(|(_, o)| *o).sum();
    assert_eq!(total, 200_000, "the log holds every record once: {ends:?}");
}

#[test]
fn keyed_partitions_match_the_java_client() {
    use support::java::{COUNT, PARTITIONS, int_key, java_partitions};
    let lines = java_partitions();
    assert_eq!(lines.len(), 2 * COUNT);
    let bootstrap = support::bootstrap();
    for (j, &partitions) in PARTITIONS.iter().enumerate() {
        let topic = support::unique_topic(&format!("keys{partitions}"));
        support::create_topic(&topic, partitions as i32, 1, &[]);
        let strings = string_producer(config(&bootstrap));
        let ints: KafkaProducer<i32, String> = KafkaProducer::new(
            config(&bootstrap).build().unwrap(),
            IntegerSerializer,
            StringSerializer,
        )
        .unwrap();
        let mut futures = Vec::new();
        for i in 0..COUNT {
            futures.push(strings.send(ProducerRecord::with_key_value(
                topic.as_str(),
                format!("key-{i}"),
                String::new(),
            )));
        }
        for i in 0..COUNT {
            futures.push(ints.send(ProducerRecord::with_key_value(
                topic.as_str(),
                int_key(i),
                String::new(),
            )));
        }
        let mut mismatches = 0;
        for (n, f) in futures.into_iter().enumerate() {
            let md = f.get().unwrap();
            let java: i32 = lines[n].split('\t').nth(3 + j).unwrap().parse().unwrap();
            if md.partition != java {
                mismatches += 1;
            }
        }
        assert_eq!(mismatches, 0, "{partitions} partitions");
    }
}

#[test]
fn small_records_with_linger_are_batched() {
    let topic = support::unique_topic("linger");
    support::create_topic(&topic, 1, 1, &[]);
    let producer = string_producer(config(&support::bootstrap()).linger(Duration::from_millis(50)));
    // Warm up metadata and the connection first.
    producer
        .send(ProducerRecord::new(topic.as_str(), "warm".to_string()))
        .get()
        .unwrap();
    let before = producer.counters().produce_requests;
    let futures: Vec<_> = (0..10_000)
        .map(|i| producer.send(ProducerRecord::new(topic.as_str(), format!("r{i}"))))
        .collect();
    for f in futures {
        f.get().unwrap();
    }
    let requests = producer.counters().produce_requests - before;
    println!("10000 records went out in {requests} Produce requests");
    assert!(requests >= 1);
    assert!(
        requests <= 100,
        "{requests} requests for 10,000 small records"
    );
    producer.close();
}

#[test]
fn record_larger_than_max_request_size_fails_alone() {
    let topic = support::unique_topic("toolarge");
    support::create_topic(&topic, 1, 1, &[]);
    let producer = string_producer(config(&support::bootstrap()).max_request_size(10_000));
    let ok1 = producer.send(ProducerRecord::new(topic.as_str(), "small-1".to_string()));
    let start = Instant::now();
    let big = producer.send(ProducerRecord::new(topic.as_str(), "x".repeat(20_000)));
    let err = big.get().unwrap_err();
    assert!(start.elapsed() < Duration::from_secs(5), "fails at once");
    match &err {
        Error::RecordTooLarge { limit, setting, .. } => {
            assert_eq!(*limit, 10_000);
            assert_eq!(*setting, "max.request.size");
        }
        other => panic!("unexpected {other}"),
    }
    let ok2 = producer.send(ProducerRecord::new(topic.as_str(), "small-2".to_string()));
    assert_eq!(ok1.get().unwrap().offset, 0);
    assert_eq!(ok2.get().unwrap().offset, 1);
    producer.close();
}

#[test]
fn explicit_partition_out_of_range_is_an_error() {
    let topic = support::unique_topic("badpart");
    support::create_topic(&topic, 2, 1, &[]);
    let producer = string_producer(config(&support::bootstrap()));
    let err = producer
        .send(ProducerRecord::new(topic.as_str(), "v".to_string()).with_partition(5))
        .get()
        .unwrap_err();
    assert_eq!(
        err,
        Error::InvalidPartition {
            topic: topic.clone(),
            partition: 5,
            partitions: 2
        }
    );
    let err = producer
        .send(ProducerRecord::new(topic.as_str(), "v".to_string()).with_partition(-1))
        .get()
        .unwrap_err();
    assert!(matches!(err, Error::InvalidPartition { partition: -1, .. }));
    // A negative timestamp is refused, as Java does.
    let err = producer
        .send(ProducerRecord::new(topic.as_str(), "v".to_string()).with_timestamp(-5))
        .get()
        .unwrap_err();
    assert!(matches!(err, Error::InvalidRecord(_)), "{err}");
    // A valid one still works.
    let md = producer
        .send(ProducerRecord::new(topic.as_str(), "v".to_string()).with_partition(1))
        .get()
        .unwrap();
    assert_eq!(md.partition, 1);
}

#[test]
fn unknown_topic_without_auto_creation_times_out_naming_the_topic() {
    let topic = support::unique_topic("missing");
    let producer = string_producer(
        config(&support::bootstrap())
            .allow_auto_create_topics(false)
            .max_block(Duration::from_millis(1500)),
    );
    let start = Instant::now();
    let called = Arc::new(AtomicUsize::new(0));
    let c = called.clone();
    let err = producer
        .send_with_callback(
            ProducerRecord::new(topic.as_str(), "v".to_string()),
            move |r| {
                assert!(r.is_err());
                c.fetch_add(1, Ordering::SeqCst);
            },
        )
        .get()
        .unwrap_err();
    let waited = start.elapsed();
    assert!(waited >= Duration::from_millis(1400), "{waited:?}");
    assert!(waited < Duration::from_secs(10), "{waited:?}");
    match &err {
        Error::Timeout {
            kind: TimeoutKind::Metadata,
            message,
        } => assert!(message.contains(&topic), "{message}"),
        other => panic!("unexpected {other}"),
    }
    assert!(err.to_string().contains("max.block.ms"));
    assert_eq!(called.load(Ordering::SeqCst), 1, "callback exactly once");
}

#[test]
fn invalid_configs_are_refused_with_the_key() {
    let cases: &[(&str, &str)] = &[
        ("acks", "2"),
        ("linger.ms", "-1"),
        ("batch.size", "abc"),
        ("max.in.flight.requests.per.connection", "0"),
        ("no.such.key", "1"),
        ("enable.idempotence", "maybe"),
    ];
    for (key, value) in cases {
        let err = ProducerConfig::from_properties([
            ("bootstrap.servers", "localhost:9092"),
            (*key, *value),
        ])
        .unwrap_err();
        match &err {
            Error::Config { key: k, .. } => assert_eq!(k, key, "{err}"),
            other => panic!("{key}={value}: unexpected {other}"),
        }
    }
    // Idempotence (the default) set explicitly with a conflicting acks: both keys are named.
    let err = ProducerConfig::from_properties([
        ("bootstrap.servers", "localhost:9092"),
        ("enable.idempotence", "true"),
        ("acks", "1"),
    ])
    .unwrap_err();
    match &err {
        Error::Config { key, .. } => assert_eq!(key, "enable.idempotence and acks"),
        other => panic!("unexpected {other}"),
    }
    let err = ProducerConfig::from_properties([("acks", "all")]).unwrap_err();
    assert!(err.to_string().contains("bootstrap.servers"), "{err}");
    let err = ProducerConfig::from_properties([
        ("bootstrap.servers", "localhost:9092"),
        ("delivery.timeout.ms", "1000"),
    ])
    .unwrap_err();
    assert!(err.to_string().contains("linger.ms"), "{err}");
}

/// Sends records "v0", "v1", ... to `topic`, each callback counting into (acknowledged,
/// failed); returns the two counters and the records' futures.
fn send_counting(
    producer: &KafkaProducer<String, String>,
    topic: &str,
    records: usize,
) -> (Arc<AtomicUsize>, Arc<AtomicUsize>, Vec<RecordFuture>) {
    let ok = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let futures = (0..records)
        .map(|i| {
            let (o, f) = (ok.clone(), failed.clone());
            producer.send_with_callback(ProducerRecord::new(topic, format!("v{i}")), move |r| {
                let counter = if r.is_ok() { o } else { f };
                counter.fetch_add(1, Ordering::SeqCst);
            })
        })
        .collect();
    (ok, failed, futures)
}

#[test]
fn close_delivers_in_flight_records_and_close_zero_fails_them() {
    let bootstrap = support::bootstrap();
    let topic = support::unique_topic("close");
    support::create_topic(&topic, 2, 1, &[]);
    // Graceful close: everything buffered is delivered, every callback once.
    let producer = string_producer(config(&bootstrap).linger(Duration::from_millis(200)));
    producer
        .send(ProducerRecord::new(topic.as_str(), "warm".to_string()))
        .get()
        .unwrap();
    let (ok, failed, _) = send_counting(&producer, &topic, 1000);
    producer.close();
    assert_eq!(ok.load(Ordering::SeqCst), 1000);
    assert_eq!(failed.load(Ordering::SeqCst), 0);
    let after = producer
        .send(ProducerRecord::new(topic.as_str(), "late".to_string()))
        .get()
        .unwrap_err();
    assert!(matches!(after, Error::ProducerClosed(_)), "{after}");

    // close_timeout(0): pending records fail at once, each callback once.
    let producer = string_producer(
        config(&bootstrap)
            .linger(Duration::from_secs(10))
            .batch_size(1 << 20),
    );
    producer
        .send(ProducerRecord::new(topic.as_str(), "warm".to_string()))
        .get()
        .unwrap();
    let (ok, failed, futures) = send_counting(&producer, &topic, 500);
    let start = Instant::now();
    producer.close_timeout(Duration::ZERO);
    assert!(start.elapsed() < Duration::from_secs(5));
    assert_eq!(
        ok.load(Ordering::SeqCst) + failed.load(Ordering::SeqCst),
        500
    );
    assert_eq!(
        failed.load(Ordering::SeqCst),
        500,
        "linger 10 s: nothing was sent yet"
    );
    for f in futures {
        match f.get() {
            Err(Error::ProducerClosed(m)) => assert!(m.contains("forcefully"), "{m}"),
            other => panic!("unexpected {other:?}"),
        }
    }
}

#[test]
fn partitions_for_lists_the_topic() {
    let topic = support::unique_topic("partsfor");
    support::create_topic(&topic, 5, 1, &[]);
    let producer = string_producer(config(&support::bootstrap()));
    let parts = producer.partitions_for(&topic).unwrap();
    assert_eq!(parts.len(), 5);
    assert!(parts.iter().all(|p| p.leader.is_some()));
    assert_eq!(
        parts.iter().map(|p| p.partition).collect::<Vec<_>>(),
        vec![0, 1, 2, 3, 4]
    );
}

#[test]
fn acks_zero_completes_with_unknown_offsets() {
    let topic = support::unique_topic("acks0");
    support::create_topic(&topic, 1, 1, &[]);
    let producer = string_producer(config(&support::bootstrap()).acks(kafka_producer::Acks::None));
    let futures: Vec<_> = (0..100)
        .map(|i| producer.send(ProducerRecord::new(topic.as_str(), format!("v{i}"))))
        .collect();
    for f in futures {
        let md = f.get().unwrap();
        assert_eq!(md.offset, -1);
        assert!(!md.has_offset());
    }
    producer.close();
    assert_eq!(
        support::consume(&topic, 100, Duration::from_secs(30)).len(),
        100
    );
}

#[test]
fn headers_null_values_and_timestamps_reach_the_java_consumer() {
    let topic = support::unique_topic("shapes");
    support::create_topic(&topic, 1, 1, &[]);
    let producer = string_producer(config(&support::bootstrap()));
    producer
        .send(
            ProducerRecord::with_key_value(topic.as_str(), "k".to_string(), "v".to_string())
                .with_header("a", b"1".to_vec())
                .with_header("b", b"".to_vec())
                .with_timestamp(1_600_000_000_123),
        )
        .get()
        .unwrap();
    producer
        .send(ProducerRecord::tombstone(
            topic.as_str(),
            "gone".to_string(),
        ))
        .get()
        .unwrap();
    let r = support::consume(&topic, 2, Duration::from_secs(30));
    assert_eq!(r[0].timestamp, 1_600_000_000_123);
    assert_eq!(
        r[0].headers,
        vec![
            ("a".to_string(), Some(b"1".to_vec())),
            ("b".to_string(), Some(vec![]))
        ]
    );
    assert_eq!(r[1].key.as_deref(), Some(&b"gone"[..]));
    assert_eq!(r[1].value, None);
}

#[test]
fn idempotent_full_speed_on_topics_created_a_moment_ago() {
    // Issue 16, against the real broker: create a topic and at once send at full speed with
    // the defaults (idempotent, acks=all), several times. The new partitions' first batches can
    // meet NOT_LEADER_OR_FOLLOWER while later ones are already in flight; before the fix one
    // run in four or so stalled for good on such a partition. Every record must be acknowledged
    // once (the topic's end offsets add up to what was sent) and every run must finish well
    // within delivery.timeout.ms.
    let bootstrap = support::bootstrap();
    const RUNS: usize = 5;
    const RECORDS: usize = 300_000;
    let payload = "x".repeat(100);
    let mut retries = 0;
    for run in 0..RUNS {
        let topic = support::unique_topic("fresh");
        support::kafka_sh(&[
            "java-tool",
            "org.apache.kafka.tools.TopicCommand",
            "--bootstrap-server",
            &bootstrap,
            "--create",
            "--topic",
            &topic,
            "--partitions",
            "6",
        ]);
        let producer = string_producer(
            config(&bootstrap)
                .set("request.timeout.ms", "15000")
                .set("delivery.timeout.ms", "30000")
                .set("linger.ms", "5"),
        );
        let errors = Arc::new(Mutex::new(Vec::new()));
        let acked = Arc::new(AtomicUsize::new(0));
        let start = Instant::now();
        for _ in 0..RECORDS {
            let (errors, acked) = (errors.clone(), acked.clone());
            producer.send_with_callback(
                ProducerRecord::new(topic.as_str(), payload.clone()),
                move |r| match r {
                    Ok(_) => {
                        acked.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(e) => errors.lock().push(e.to_string()),
                },
            );
        }
        producer.flush().unwrap();
        let took = start.elapsed();
        retries += producer.counters().retries;
        producer.close();
        let errors = errors.lock();
        assert!(
            errors.is_empty(),
            "run {run}: {} failed, first: {}",
            errors.len(),
            errors[0]
        );
        assert_eq!(acked.load(Ordering::SeqCst), RECORDS, "run {run}");
        assert!(took < Duration::from_secs(25), "run {run} took {took:?}");
        let written: i64 = support::end_offsets(&topic).iter().map(|(_, o)| o).sum();
        assert_eq!(
            written, RECORDS as i64,
            "run {run}: exactly once on the broker"
        );
    }
    eprintln!("{RUNS} runs of {RECORDS} records on new topics: {retries} batch retries in all");
}
