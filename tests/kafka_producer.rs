//! `KafkaProducer` behaviours ported from Java's `KafkaProducerTest` (each test names the Java
//! test it mirrors), against the in-process `MockCluster`.
//!
//! Not ported: the tests of Java's constructor plumbing (serializer/interceptor/metrics-reporter
//! class loading, JMX, `ClientTelemetry`), and null-argument checks that Rust's types rule out
//! (`testPartitionsForWithNullTopic`, `testNullTopicName`). Interceptors are tested in
//! `tests/interceptors.rs`, metrics in `tests/metrics.rs` and the sender's `tests_metrics.rs`,
//! transactions in `tests/transactions.rs` and the sender's `tests_transactional.rs`.

#[path = "support/mock.rs"]
mod mock_support;

use kafka_producer::mock::MockCluster;
use kafka_producer::{
    Cluster, Error, KafkaProducer, Partitioner, ProducerConfig, ProducerRecord, Serializer,
    StringSerializer, TimeoutKind,
};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const TOPIC: &str = "topic";

fn config(cluster: &MockCluster, extra: &[(&str, &str)]) -> ProducerConfig {
    mock_support::config(cluster, extra).build().unwrap()
}

fn producer(cluster: &MockCluster, extra: &[(&str, &str)]) -> KafkaProducer<String, String> {
    KafkaProducer::new(config(cluster, extra), StringSerializer, StringSerializer).unwrap()
}

fn record(value: &str) -> ProducerRecord<String, String> {
    ProducerRecord::new(TOPIC, value.to_string())
}

/// KafkaProducerTest.testMetadataFetch: the first send waits for the topic's metadata, later
/// sends use it; the records reach the partition leaders.
#[test]
fn metadata_fetch() {
    let cluster = MockCluster::new(2);
    cluster.create_topic(TOPIC, 2);
    let p = producer(&cluster, &[]);
    for i in 0..4 {
        let md = p
            .send(record(&format!("v{i}")).with_partition(i % 2))
            .get()
            .unwrap();
        assert_eq!(md.partition, i % 2);
    }
    p.close();
    assert_eq!(cluster.values(TOPIC, 0).len(), 2);
    assert_eq!(cluster.values(TOPIC, 1).len(), 2);
}

/// KafkaProducerTest.testTopicNotExistingInMetadata (and testMetadataTimeoutWithMissingTopic):
/// a topic the cluster does not have fails the send after max.block.ms with a metadata
/// timeout naming the topic.
#[test]
fn topic_not_existing_in_metadata() {
    let cluster = MockCluster::new(1);
    let p = producer(&cluster, &[("max.block.ms", "500")]);
    let start = Instant::now();
    let err = p.send(record("v")).get().unwrap_err();
    let waited = start.elapsed();
    match &err {
        Error::Timeout {
            kind: TimeoutKind::Metadata,
            message,
        } => assert!(
            message.contains("Topic topic not present in metadata"),
            "{message}"
        ),
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("max.block.ms"), "{err}");
    assert!(waited >= Duration::from_millis(450), "{waited:?}");
    assert!(waited < Duration::from_secs(5), "{waited:?}");
}

/// KafkaProducerTest.testMetadataWithPartitionOutOfRange: a partition the topic does not have
/// fails with InvalidPartition once the metadata confirms the partition count, well before
/// max.block.ms.
#[test]
fn metadata_with_partition_out_of_range() {
    let cluster = MockCluster::new(1);
    cluster.create_topic(TOPIC, 2);
    let p = producer(&cluster, &[]);
    let start = Instant::now();
    match p.send(record("v").with_partition(5)).get() {
        Err(Error::InvalidPartition {
            partition,
            partitions,
            ..
        }) => assert_eq!((partition, partitions), (5, 2)),
        other => panic!("{other:?}"),
    }
    assert!(start.elapsed() < Duration::from_secs(5));
}

/// KafkaProducerTest.testHeaders: headers reach the broker as sent, in order, a key repeated.
#[test]
fn headers() {
    let cluster = MockCluster::new(1);
    cluster.create_topic(TOPIC, 1);
    let p = producer(&cluster, &[]);
    p.send(
        record("v")
            .with_header("test", "header2")
            .with_header("test", "header3")
            .with_header("other", Vec::new()),
    )
    .get()
    .unwrap();
    p.close();
    let records = cluster.records(TOPIC, 0);
    assert_eq!(records.len(), 1);
    let headers: Vec<(String, Option<Vec<u8>>)> = records[0]
        .headers
        .iter()
        .map(|h| (h.key.clone(), h.value.clone()))
        .collect();
    assert_eq!(
        headers,
        vec![
            ("test".to_string(), Some(b"header2".to_vec())),
            ("test".to_string(), Some(b"header3".to_vec())),
            ("other".to_string(), Some(Vec::new())),
        ]
    );
}

/// KafkaProducerTest.testCloseWhenWaitingForMetadataUpdate: a send blocked on metadata for a
/// missing topic is released by close() with an error, long before max.block.ms.
#[test]
fn close_when_waiting_for_metadata_update() {
    let cluster = MockCluster::new(1);
    let p = Arc::new(producer(&cluster, &[("max.block.ms", "30000")]));
    let sender = p.clone();
    let start = Instant::now();
    let t = std::thread::spawn(move || sender.send(record("v")).get());
    std::thread::sleep(Duration::from_millis(200));
    p.close();
    let result = t.join().unwrap();
    assert!(
        matches!(result, Err(Error::ProducerClosed(_))),
        "{result:?}"
    );
    assert!(start.elapsed() < Duration::from_secs(10));
}

/// KafkaProducerTest.testPartitionerClose: the custom partitioner is closed once, with the
/// producer, however often close is called (Java's testCloseIsIdempotent too).
#[test]
fn partitioner_close() {
    struct Counting(Arc<AtomicUsize>);
    impl Partitioner for Counting {
        fn partition(
            &self,
            _: &str,
            _: Option<&[u8]>,
            _: Option<&[u8]>,
            _: &Cluster,
        ) -> Option<i32> {
            Some(0)
        }
        fn close(&self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let cluster = MockCluster::new(1);
    cluster.create_topic(TOPIC, 3);
    let closes = Arc::new(AtomicUsize::new(0));
    let p: KafkaProducer<String, String> = KafkaProducer::with_partitioner(
        config(&cluster, &[]),
        StringSerializer,
        StringSerializer,
        Some(Box::new(Counting(closes.clone()))),
    )
    .unwrap();
    assert_eq!(p.send(record("v")).get().unwrap().partition, 0);
    p.close();
    p.close();
    drop(p);
    assert_eq!(closes.load(Ordering::SeqCst), 1);
}

/// KafkaProducerTest.testFlushCompleteSendOfInflightBatches: after flush() every record sent
/// before it is complete.
#[test]
fn flush_complete_send_of_inflight_batches() {
    let cluster = MockCluster::new(1);
    cluster.create_topic(TOPIC, 3);
    let p = producer(
        &cluster,
        &[("linger.ms", "60000"), ("batch.size", "100000")],
    );
    let futures: Vec<_> = (0..50).map(|i| p.send(record(&format!("v{i}")))).collect();
    assert!(
        futures.iter().any(|f| !f.is_done()),
        "a long linger keeps them buffered"
    );
    p.flush().unwrap();
    assert!(futures.iter().all(|f| f.is_done()));
    for f in futures {
        f.get().unwrap();
    }
}

/// KafkaProducerTest.testSendToClosedProducer (send after close): the future and the callback
/// fail at once, each once.
#[test]
fn send_after_close_fails_once() {
    let cluster = MockCluster::new(1);
    cluster.create_topic(TOPIC, 1);
    let p = producer(&cluster, &[]);
    p.close();
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let f = p.send_with_callback(record("v"), move |r| {
        assert!(matches!(r, Err(Error::ProducerClosed(_))));
        c.fetch_add(1, Ordering::SeqCst);
    });
    assert!(matches!(f.get(), Err(Error::ProducerClosed(_))));
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

/// KafkaProducerTest.testInvalidSocketSendBufferSize / testInvalidSocketReceiveBufferSize /
/// testOsDefaultSocketBufferSizes: -1 means the OS default, below that is a config error.
#[test]
fn socket_buffer_sizes() {
    let cluster = MockCluster::new(1);
    for key in ["send.buffer.bytes", "receive.buffer.bytes"] {
        let err = ProducerConfig::builder()
            .bootstrap_servers(cluster.bootstrap_servers())
            .set(key, "-2")
            .build()
            .unwrap_err();
        assert!(
            matches!(&err, Error::Config { key: k, .. } if k == key),
            "{err:?}"
        );
        let p = producer(&cluster, &[(key, "-1")]);
        p.close();
    }
}

/// KafkaProducerTest.testRecordTooLarge (Java `ensureValidRecordSize`): a record larger than
/// max.request.size fails before anything is buffered, naming the setting.
#[test]
fn record_too_large() {
    let cluster = MockCluster::new(1);
    cluster.create_topic(TOPIC, 1);
    let p = producer(&cluster, &[("max.request.size", "1000")]);
    match p.send(record(&"x".repeat(2000))).get() {
        Err(Error::RecordTooLarge { setting, .. }) => assert_eq!(setting, "max.request.size"),
        other => panic!("{other:?}"),
    }
    p.send(record("small")).get().unwrap();
}

/// KafkaProducerTest.testNegativeTimestamp (Java `ProducerRecord` rejects it): a negative
/// timestamp fails the send with InvalidRecord.
#[test]
fn negative_timestamp() {
    let cluster = MockCluster::new(1);
    cluster.create_topic(TOPIC, 1);
    let p = producer(&cluster, &[]);
    match p.send(record("v").with_timestamp(-5)).get() {
        Err(Error::InvalidRecord(m)) => assert!(m.contains("Invalid timestamp: -5"), "{m}"),
        other => panic!("{other:?}"),
    }
}

/// KafkaProducerTest.testSerializerErrors (Java `SerializationException` from doSend): a
/// failing serializer fails the send, nothing is buffered, and the callback runs once.
#[test]
fn serializer_errors() {
    struct Refuses;
    impl Serializer<String> for Refuses {
        fn serialize(&self, _: &str, data: &String, _: &mut Vec<u8>) -> Result<(), Error> {
            Err(Error::Serialization(format!("cannot serialize {data}")))
        }
    }
    let cluster = MockCluster::new(1);
    cluster.create_topic(TOPIC, 1);
    let p: KafkaProducer<String, String> =
        KafkaProducer::new(config(&cluster, &[]), StringSerializer, Refuses).unwrap();
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let f = p.send_with_callback(record("v"), move |r| {
        assert!(matches!(r, Err(Error::Serialization(_))));
        c.fetch_add(1, Ordering::SeqCst);
    });
    match f.get() {
        Err(Error::Serialization(m)) => assert!(m.contains("cannot serialize v"), "{m}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    p.close();
    assert!(cluster.values(TOPIC, 0).is_empty());
}

/// KafkaProducerTest.testPartitionsFor (Java `partitionsFor`): the topic's partitions with
/// their leaders, from metadata fetched on demand.
#[test]
fn partitions_for() {
    let cluster = MockCluster::new(2);
    cluster.create_topic(TOPIC, 4);
    let p = producer(&cluster, &[]);
    let mut parts = p.partitions_for(TOPIC).unwrap();
    parts.sort_by_key(|p| p.partition);
    assert_eq!(parts.len(), 4);
    for (i, part) in parts.iter().enumerate() {
        assert_eq!(part.partition, i as i32);
        assert_eq!(part.leader, Some(i as i32 % 2));
    }
    p.close();
    assert!(matches!(
        p.partitions_for(TOPIC),
        Err(Error::ProducerClosed(_))
    ));
}

/// KafkaProducerTest.testCloseTimeoutZero (Java `close(Duration.ZERO)`): pending records fail
/// at once with the closed error, each callback once, and close returns immediately.
#[test]
fn close_with_zero_timeout_fails_pending_records() {
    let cluster = MockCluster::new(1);
    cluster.create_topic(TOPIC, 1);
    let p = producer(
        &cluster,
        &[("linger.ms", "60000"), ("batch.size", "100000")],
    );
    let calls = Arc::new(AtomicUsize::new(0));
    let futures: Vec<_> = (0..10)
        .map(|i| {
            let c = calls.clone();
            p.send_with_callback(record(&format!("v{i}")), move |r| {
                assert!(r.is_err());
                c.fetch_add(1, Ordering::SeqCst);
            })
        })
        .collect();
    let start = Instant::now();
    p.close_timeout(Duration::ZERO);
    assert!(start.elapsed() < Duration::from_secs(2));
    for f in futures {
        assert!(matches!(f.get(), Err(Error::ProducerClosed(_))));
    }
    assert_eq!(calls.load(Ordering::SeqCst), 10);
    assert!(cluster.values(TOPIC, 0).is_empty());
}

/// A broker this client cannot use (here one that stops at Produce v2, as Kafka before 0.11 does, or
/// does not list Metadata at all) fails the send fast with a non-retriable
/// `Error::UnsupportedVersion` naming the broker, the API and both version ranges, instead of
/// a metadata timeout after max.block.ms (Java's metadata fatal error; issue 12 item 2).
#[test]
fn unsupported_broker_fails_fast_with_a_clear_error() {
    use kafka_producer::protocol::ApiKey;
    for (api, range, expect) in [
        (
            ApiKey::Produce,
            Some((0, 2)),
            "supports Produce (0) versions 0..=2, this client 3..=12: no common version",
        ),
        (
            ApiKey::Metadata,
            None,
            "does not support the Metadata (3) API (this client needs versions 0..=13)",
        ),
    ] {
        let cluster = MockCluster::new(1);
        cluster.create_topic(TOPIC, 1);
        cluster.set_api_versions(api, range);
        let p = producer(&cluster, &[("max.block.ms", "20000")]);
        let start = Instant::now();
        let err = p.send(record("v")).get().unwrap_err();
        let took = start.elapsed();
        assert!(took < Duration::from_secs(3), "{took:?}");
        assert!(!err.is_retriable(), "{err}");
        let text = err.to_string();
        assert!(matches!(err, Error::UnsupportedVersion(_)), "{err:?}");
        assert!(text.contains(expect), "{text}");
        assert!(
            text.contains(&format!("broker 127.0.0.1:{}", cluster.port(0)))
                || text.contains("broker localhost"),
            "names the broker: {text}"
        );
        p.close_timeout(Duration::ZERO);
    }
}

/// Issue 12 item 1: a cluster advertising only what a Kafka 2.1 broker offers (Produce v0-v7,
/// Metadata v0-v7, InitProducerId v0-v1, ApiVersions v0-v2; the mock closes the connection on a
/// request outside these ranges, as a broker does, and answers ApiVersions above v2 with a v0
/// UNSUPPORTED_VERSION, so the client asks again at v2). An idempotent producer gets its
/// producer id, sends to both brokers, and every record is acknowledged with its offset, once,
/// under that producer id with consecutive sequences.
#[test]
fn kafka_2_1_broker_versions_are_enough() {
    use kafka_producer::protocol::ApiKey;
    let cluster = MockCluster::new(2);
    cluster.create_topic(TOPIC, 2);
    cluster.set_strict_sequences(true);
    for (api, hi) in [
        (ApiKey::Produce, 7),
        (ApiKey::Metadata, 7),
        (ApiKey::InitProducerId, 1),
        (ApiKey::ApiVersions, 2),
    ] {
        cluster.set_api_versions(api, Some((0, hi)));
    }
    let p = producer(
        &cluster,
        &[
            ("enable.idempotence", "true"),
            ("acks", "all"),
            ("compression.type", "lz4"),
            ("delivery.timeout.ms", "10000"),
            ("request.timeout.ms", "5000"),
        ],
    );
    let futures: Vec<_> = (0..20)
        .map(|i| p.send(record(&format!("v{i}")).with_partition(i % 2)))
        .collect();
    let mut offsets = [Vec::new(), Vec::new()];
    for f in futures {
        let md = f.get().unwrap();
        offsets[md.partition as usize].push(md.offset);
    }
    p.close();
    for (partition, got) in offsets.iter().enumerate() {
        assert_eq!(got, &(0..10).collect::<Vec<i64>>(), "partition {partition}");
        let records = cluster.records(TOPIC, partition as i32);
        assert_eq!(records.len(), 10);
        assert!(
            records
                .iter()
                .all(|r| r.producer_id >= 0 && r.producer_epoch == 0)
        );
        let sequences: Vec<i32> = records.iter().map(|r| r.sequence).collect();
        assert_eq!(sequences, (0..10).collect::<Vec<i32>>());
    }
    assert!(cluster.produce_requests() > 0);
}

/// zstd needs Produce v7 (Kafka 2.1): against brokers stopping at Produce v6 (Kafka 2.0) a zstd
/// producer's send fails at once, not after delivery.timeout.ms, with a non-retriable error
/// naming zstd, the broker and Produce v7; nothing reaches the broker.
#[test]
fn zstd_against_a_produce_v6_broker_fails_fast() {
    use kafka_producer::protocol::{ApiKey, ErrorCode};
    let cluster = MockCluster::new(1);
    cluster.create_topic(TOPIC, 1);
    cluster.set_api_versions(ApiKey::Produce, Some((0, 6)));
    let p = producer(
        &cluster,
        &[
            ("compression.type", "zstd"),
            ("delivery.timeout.ms", "60000"),
        ],
    );
    let start = Instant::now();
    let err = p.send(record("v")).get().unwrap_err();
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
    assert!(
        matches!(
            err,
            Error::Broker {
                code: ErrorCode::UNSUPPORTED_COMPRESSION_TYPE,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(!err.is_retriable());
    let text = err.to_string();
    for part in ["zstd", "broker 0", "Produce v7", "Produce v6"] {
        assert!(text.contains(part), "{part:?} not in {text}");
    }
    p.close_timeout(Duration::ZERO);
    assert_eq!(cluster.produce_requests(), 0);
}

/// A cluster in the middle of a rolling upgrade: broker 1 is too old, broker 0 fine. The
/// producer keeps away from broker 1 (its partition's records wait, then expire), while sends
/// to topics on broker 0 (including ones that wait for metadata) succeed: one old broker is no
/// reason to fail everything. (Found in review: the unsupported-broker error used to fail every
/// metadata wait.)
#[test]
fn one_old_broker_does_not_fail_sends_to_the_others() {
    use kafka_producer::protocol::ApiKey;
    let cluster = MockCluster::new(2);
    cluster.create_topic(TOPIC, 2); // partition 1 on the old broker 1
    for t in ["fresh-a", "fresh-b", "fresh-c"] {
        cluster.create_topic(t, 1); // on broker 0
    }
    cluster.set_broker_api_versions(1, ApiKey::Produce, Some((0, 2)));
    let p = producer(
        &cluster,
        &[
            ("reconnect.backoff.max.ms", "50"),
            ("delivery.timeout.ms", "3000"),
            ("request.timeout.ms", "1000"),
        ],
    );
    p.send(record("warm-up").with_partition(0)).get().unwrap();
    // Records for broker 1 make the client try it (and find it unusable) again and again.
    let stuck = p.send(record("to the old broker").with_partition(1));
    std::thread::sleep(Duration::from_millis(300));
    for t in ["fresh-a", "fresh-b", "fresh-c"] {
        let md = p
            .send(ProducerRecord::new(t, "v".to_string()))
            .get()
            .unwrap_or_else(|e| panic!("{t}: {e}"));
        assert_eq!(md.partition, 0);
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(matches!(stuck.get(), Err(Error::Timeout { .. })));
    p.close();
}

/// Beyond Java: while every request slot to the leader is taken, callers do not wake the
/// sender for new batches (the response will). That must never strand a full batch: with
/// `linger.ms` at ten minutes, every full batch goes out as responses come back (only the
/// last, open batch waits for `flush`), for the idempotent producer and for acks=1.
#[test]
fn full_batches_go_out_as_responses_free_request_slots_without_waiting_for_linger() {
    for (label, extra) in [
        ("idempotent", &[][..]),
        (
            "acks=1",
            &[
                ("acks", "1"),
                ("enable.idempotence", "false"),
                ("max.in.flight.requests.per.connection", "2"),
            ][..],
        ),
    ] {
        let cluster = MockCluster::sink(TOPIC, 1);
        // Every request answered after 2 ms: the slots stay taken while the caller appends.
        cluster.push_produce_actions((0..2_000).map(|_| {
            kafka_producer::mock::Action::Delay(
                Duration::from_millis(2),
                Box::new(kafka_producer::mock::Action::Ok),
            )
        }));
        let mut settings = vec![
            ("linger.ms", "600000"),
            ("batch.size", "1024"),
            ("max.in.flight.requests.per.connection", "1"),
        ];
        settings.extend_from_slice(extra);
        let p = producer(&cluster, &settings);
        let done = Arc::new(AtomicUsize::new(0));
        let records = 5_000;
        let value = "v".repeat(90);
        for _ in 0..records {
            let done = done.clone();
            p.send_with_callback(record(&value), move |r| {
                r.expect("acknowledged");
                done.fetch_add(1, Ordering::SeqCst);
            });
        }
        // About 9 records fill a 1 KiB batch: all but the last batch complete without flush.
        let deadline = Instant::now() + Duration::from_secs(20);
        while done.load(Ordering::SeqCst) < records - 20 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        let before_flush = done.load(Ordering::SeqCst);
        assert!(
            before_flush >= records - 20,
            "{label}: only {before_flush} of {records} acknowledged before flush: a full batch \
             waited for linger.ms"
        );
        p.flush().unwrap();
        assert_eq!(done.load(Ordering::SeqCst), records, "{label}");
        assert_eq!(cluster.end_offset(TOPIC, 0), records as i64, "{label}");
        p.close();
    }
}
