//! Diagnosability (issue 16): `KafkaProducer::debug_state()`, the state dump that `flush()` and
//! `close()` log once after waiting longer than `request.timeout.ms`, and a partition whose
//! retries never succeed giving every record its outcome by `delivery.timeout.ms`.

#[path = "support/mock.rs"]
mod mock_support;

use kafka_producer::mock::{Action, MockCluster};
use kafka_producer::protocol::ErrorCode;
use kafka_producer::{Error, KafkaProducer, ProducerRecord, TimeoutKind};
use parking_lot::Mutex;
use std::time::{Duration, Instant};

const TOPIC: &str = "fake-topic";

/// A one-broker cluster leading `partitions` partitions of [`TOPIC`] whose Produce requests
/// `script` answers.
fn start(partitions: usize, script: impl Fn() -> Action + Send + 'static) -> MockCluster {
    let cluster = MockCluster::new(1);
    cluster.create_topic(TOPIC, partitions);
    cluster.set_produce_script(move |_| script());
    cluster
}

/// Keeps every warning logged by the crate (the test binary's logger).
struct Capture;

static WARNINGS: Mutex<Vec<String>> = Mutex::new(Vec::new());

impl log::Log for Capture {
    fn enabled(&self, m: &log::Metadata<'_>) -> bool {
        m.level() <= log::Level::Warn && m.target().starts_with("kafka_producer")
    }
    fn log(&self, r: &log::Record<'_>) {
        if self.enabled(r.metadata()) {
            WARNINGS.lock().push(r.args().to_string());
        }
    }
    fn flush(&self) {}
}

fn capture_warnings() {
    static LOGGER: Capture = Capture;
    if log::set_logger(&LOGGER).is_ok() {
        log::set_max_level(log::LevelFilter::Warn);
    }
}

fn producer(broker: &MockCluster, extra: &[(&str, &str)]) -> KafkaProducer<String, String> {
    capture_warnings();
    let builder = mock_support::config(broker, &[])
        .retry_backoff(Duration::from_millis(10))
        .set("client.id", format!("dump-{}", broker.port(0)));
    mock_support::producer(mock_support::with(builder, extra))
}

fn send(
    p: &KafkaProducer<String, String>,
    partition: i32,
    n: usize,
) -> Vec<kafka_producer::RecordFuture> {
    (0..n)
        .map(|i| p.send(ProducerRecord::new(TOPIC, format!("v{i}")).with_partition(partition)))
        .collect()
}

#[test]
fn debug_state_names_partitions_sequences_and_nodes() {
    let broker = start(2, || Action::Silence);
    let p = producer(&broker, &[("request.timeout.ms", "20000")]);
    let futures = send(&p, 1, 3);
    // Wait until the batch is in flight (the broker saw the request).
    let start = Instant::now();
    while broker.produce_requests() == 0 {
        assert!(start.elapsed() < Duration::from_secs(10), "nothing sent");
        std::thread::sleep(Duration::from_millis(10));
    }
    let dump = p.debug_state();
    for needle in [
        "client.id dump-",
        "sender running",
        "producer id 1",
        "partition fake-topic-1: in flight: 3 record(s) at sequence 0 in request",
        "sequences: epoch 0, next sequence 3, last acked sequence -1, in flight by sequence [0..2 (epoch 0)]",
        "node 0 (127.0.0.1:",
        "Ready, 1 request(s) in flight",
    ] {
        assert!(dump.contains(needle), "{needle:?} not in:\n{dump}");
    }
    assert!(
        !dump.contains("fake-topic-0"),
        "idle partitions are left out:\n{dump}"
    );
    p.close_timeout(Duration::ZERO);
    for f in futures {
        assert!(f.get().is_err());
    }
}

#[test]
fn slow_flush_and_close_log_the_state_once() {
    let broker = start(1, || Action::Silence);
    let p = producer(
        &broker,
        &[
            ("request.timeout.ms", "400"),
            ("delivery.timeout.ms", "2500"),
        ],
    );
    let id = format!("client.id dump-{}", broker.port(0));
    let futures = send(&p, 0, 5);
    let start = Instant::now();
    p.flush().unwrap();
    let waited = start.elapsed();
    // flush() returns once every record has its outcome: the delivery timeout.
    assert!(waited >= Duration::from_millis(2000), "{waited:?}");
    assert!(waited < Duration::from_secs(8), "{waited:?}");
    for f in futures {
        assert!(matches!(f.get(), Err(Error::Timeout { .. })));
    }
    let dumps: Vec<String> = WARNINGS
        .lock()
        .iter()
        .filter(|w| {
            w.starts_with("flush() has waited more than request.timeout.ms (400 ms)")
                && w.contains(&id)
        })
        .cloned()
        .collect();
    assert_eq!(dumps.len(), 1, "{dumps:#?}");
    assert!(dumps[0].contains("partition fake-topic-0:"), "{}", dumps[0]);
    assert!(dumps[0].contains("node 0 ("), "{}", dumps[0]);

    // close() that has to wait: the same dump, once.
    let more = send(&p, 0, 2);
    let start = Instant::now();
    p.close();
    assert!(start.elapsed() < Duration::from_secs(8));
    for f in more {
        assert!(f.get().is_err());
    }
    let closes = WARNINGS
        .lock()
        .iter()
        .filter(|w| {
            w.starts_with("close() has waited more than request.timeout.ms") && w.contains(&id)
        })
        .count();
    assert_eq!(closes, 1);
}

#[test]
fn endless_out_of_order_fails_every_record_by_the_delivery_timeout() {
    // A broker that answers partition 0 with OUT_OF_ORDER_SEQUENCE_NUMBER for ever (partition
    // 1 works): partition 0's records fail by delivery.timeout.ms, partition 1's succeed, and
    // flush() and close() return as soon as every record has its outcome.
    let broker = start(2, || {
        Action::PartitionErrors(vec![(0, ErrorCode::OUT_OF_ORDER_SEQUENCE_NUMBER)])
    });
    let p = producer(
        &broker,
        &[
            ("request.timeout.ms", "1000"),
            ("delivery.timeout.ms", "2000"),
            ("retry.backoff.max.ms", "100"),
            ("batch.size", "200"),
        ],
    );
    let start = Instant::now();
    let stuck = send(&p, 0, 50);
    let fine = send(&p, 1, 50);
    p.flush().unwrap();
    let flushed = start.elapsed();
    assert!(flushed < Duration::from_millis(4000), "{flushed:?}");
    for f in stuck {
        match f.get() {
            Err(Error::Timeout { kind, .. }) => assert_eq!(kind, TimeoutKind::Delivery),
            // A response that arrives after the batch's delivery timeout passed fails it with
            // the response's error (Java's `canRetry` is false then), which a loaded machine
            // makes happen: the record still fails by the deadline, with the broker's reason.
            Err(Error::Broker { code, .. }) => {
                assert_eq!(code, ErrorCode::OUT_OF_ORDER_SEQUENCE_NUMBER)
            }
            other => panic!("{other:?}"),
        }
    }
    for f in fine {
        f.get().unwrap();
    }
    let start = Instant::now();
    p.close();
    assert!(
        start.elapsed() < Duration::from_millis(1000),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(broker.values(TOPIC, 1).len(), 50);
    assert!(broker.values(TOPIC, 0).is_empty());
}

#[test]
fn an_unusable_broker_is_logged_once_not_at_every_reconnect() {
    // Issue 12: a broker too old for this client is reported once (error), although the
    // client keeps reconnecting to it (every reconnect.backoff.max.ms).
    let cluster = MockCluster::new(1);
    cluster.create_topic(TOPIC, 1);
    cluster.set_api_versions(kafka_producer::protocol::ApiKey::Produce, Some((0, 2)));
    let p = producer(
        &cluster,
        &[
            ("reconnect.backoff.max.ms", "50"),
            ("reconnect.backoff.ms", "10"),
        ],
    );
    let id = format!("127.0.0.1:{}", cluster.port(0));
    let start = Instant::now();
    while start.elapsed() < Duration::from_millis(800) {
        assert!(matches!(
            p.send(ProducerRecord::new(TOPIC, "v".to_string())).get(),
            Err(Error::UnsupportedVersion(_))
        ));
        std::thread::sleep(Duration::from_millis(50));
    }
    p.close_timeout(Duration::ZERO);
    let logged = WARNINGS
        .lock()
        .iter()
        .filter(|w| w.contains("cannot be used") && w.contains(&id))
        .count();
    assert_eq!(logged, 1);
}
