//! The producer's metrics against the real broker (`KAFKA_BOOTSTRAP`): Java's names, groups and
//! tags, and values that add up (records sent, bytes, requests, connections, buffer memory).

mod support;

use kafka_producer::metrics::{KafkaMetric, MetricName, MetricsReporter};
use kafka_producer::producer::serializer::ByteArraySerializer;
use kafka_producer::{Error, KafkaProducer, ProducerConfig, ProducerRecord};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

type Metrics = HashMap<MetricName, Arc<KafkaMetric>>;

const CLIENT_ID: &str = "metrics-test";
const BUFFER_MEMORY: usize = 8 * 1024 * 1024;

fn producer() -> KafkaProducer<Vec<u8>, Vec<u8>> {
    let config = ProducerConfig::builder()
        .bootstrap_servers(support::bootstrap())
        .set("client.id", CLIENT_ID)
        .set("linger.ms", "5")
        .buffer_memory(BUFFER_MEMORY)
        .max_block(Duration::from_secs(30))
        .build()
        .unwrap();
    KafkaProducer::new(config, ByteArraySerializer, ByteArraySerializer).unwrap()
}

/// The value of `group:name` with these tags besides `client-id`.
fn get(m: &Metrics, group: &str, name: &str, tags: &[(&str, &str)]) -> f64 {
    let mut all = vec![("client-id", CLIENT_ID)];
    all.extend_from_slice(tags);
    let key = MetricName::new(name, group, "", all);
    m.get(&key)
        .unwrap_or_else(|| panic!("{key} registered"))
        .metric_value()
}

fn client(m: &Metrics, name: &str) -> f64 {
    get(m, "producer-metrics", name, &[])
}

fn topic(m: &Metrics, name: &str, topic: &str) -> f64 {
    get(m, "producer-topic-metrics", name, &[("topic", topic)])
}

#[test]
fn metrics_of_a_real_run_add_up() {
    let t1 = support::unique_topic("metrics-a");
    let t2 = support::unique_topic("metrics-b");
    let small = support::unique_topic("metrics-small");
    support::create_topic(&t1, 3, 1, &[]);
    support::create_topic(&t2, 2, 1, &[]);
    support::create_topic(&small, 1, 1, &[("max.message.bytes", "2048")]);
    let p = producer();
    let m = p.metrics();
    assert_eq!(client(&m, "record-send-total"), 0.0);
    assert_eq!(client(&m, "buffer-total-bytes"), BUFFER_MEMORY as f64);
    assert!(get(&m, "app-info", "start-time-ms", &[]) > 1.6e12);

    let mut futures = Vec::with_capacity(20_000);
    for i in 0..20_000u32 {
        let t = if i % 4 == 0 { &t2 } else { &t1 };
        futures.push(p.send(
            ProducerRecord::new(t.as_str(), vec![b'x'; 100]).with_key(i.to_be_bytes().to_vec()),
        ));
    }
    p.flush().unwrap();
    for f in futures {
        f.get().unwrap();
    }
    let m = p.metrics();
    // Every record sent once (no retry against a healthy broker), 15000 + 5000 per topic.
    assert_eq!(client(&m, "record-send-total"), 20_000.0);
    assert_eq!(client(&m, "record-retry-total"), 0.0);
    assert_eq!(client(&m, "record-error-total"), 0.0);
    assert_eq!(topic(&m, "record-send-total", &t1), 15_000.0);
    assert_eq!(topic(&m, "record-send-total", &t2), 5_000.0);
    assert_eq!(topic(&m, "record-error-total", &t1), 0.0);
    assert!(client(&m, "record-send-rate") > 0.0);
    // Bytes: a batch holds 100-byte values, so its size is at least that per record.
    let bytes = topic(&m, "byte-total", &t1) + topic(&m, "byte-total", &t2);
    assert!(bytes > 20_000.0 * 100.0, "{bytes}");
    assert!(client(&m, "batch-size-avg") > 100.0);
    assert!(client(&m, "batch-size-max") >= client(&m, "batch-size-avg"));
    assert!(client(&m, "records-per-request-avg") >= 1.0);
    assert_eq!(client(&m, "compression-rate-avg"), 1.0);
    assert!(client(&m, "record-size-max") > 100.0);
    assert!(client(&m, "record-queue-time-avg") >= 0.0);
    assert!(client(&m, "request-latency-avg") > 0.0);
    assert!(client(&m, "request-latency-max") >= client(&m, "request-latency-avg"));
    assert_eq!(client(&m, "produce-throttle-time-max"), 0.0);
    assert!(client(&m, "metadata-age") >= 0.0 && client(&m, "metadata-age") < 300.0);
    // Buffer memory: all of it is back after the flush.
    assert_eq!(client(&m, "buffer-total-bytes"), BUFFER_MEMORY as f64);
    assert_eq!(client(&m, "buffer-available-bytes"), BUFFER_MEMORY as f64);
    assert_eq!(client(&m, "waiting-threads"), 0.0);
    assert!(client(&m, "flush-time-ns-total") > 0.0);
    assert!(
        client(&m, "metadata-wait-time-ns-total") > 0.0,
        "two new topics"
    );
    assert_eq!(client(&m, "txn-commit-time-ns-total"), 0.0);
    // The network: connections, requests and bytes.
    assert!(client(&m, "connection-count") >= 1.0);
    assert!(client(&m, "connection-creation-total") >= 1.0);
    assert_eq!(client(&m, "failed-authentication-total"), 0.0);
    assert!(client(&m, "successful-authentication-total") >= 1.0);
    let out = client(&m, "outgoing-byte-total");
    let incoming = client(&m, "incoming-byte-total");
    assert!(
        out > bytes,
        "the requests carry the batches: {out} > {bytes}"
    );
    assert!(incoming > 0.0 && incoming < out, "{incoming} < {out}");
    let requests = client(&m, "request-total");
    let responses = client(&m, "response-total");
    assert!(requests >= 2.0 && responses >= 2.0);
    assert!(responses <= requests);
    assert!(client(&m, "request-size-max") >= client(&m, "request-size-avg"));
    assert!(client(&m, "network-io-total") >= 2.0);
    assert!(client(&m, "select-total") >= 1.0);
    assert!(client(&m, "io-wait-time-ns-total") > 0.0);
    assert!(client(&m, "io-time-ns-total") > 0.0);
    let ratio = client(&m, "io-wait-ratio");
    assert!(ratio > 0.0 && ratio <= 1.0, "{ratio}");
    // Per node: tagged node-id=node-<id>, adding up to the client's totals.
    let nodes: Vec<&MetricName> = m
        .keys()
        .filter(|n| n.group() == "producer-node-metrics" && n.name() == "outgoing-byte-total")
        .collect();
    assert!(!nodes.is_empty());
    let mut node_out = 0.0;
    let mut node_latency = false;
    for n in &nodes {
        let id = n.tags()["node-id"].clone();
        assert!(id.starts_with("node-"), "{id}");
        node_out += m[*n].metric_value();
        let tags = [("node-id", id.as_str())];
        let lat = get(&m, "producer-node-metrics", "request-latency-avg", &tags);
        node_latency |= lat > 0.0;
        assert!(get(&m, "producer-node-metrics", "request-total", &tags) >= 1.0);
    }
    assert_eq!(node_out, out);
    assert!(node_latency, "the leader's Produce latency");
    // Nothing in flight once flushed (a metadata request may be, rarely: wait it out).
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while client(&p.metrics(), "requests-in-flight") != 0.0 {
        assert!(
            std::time::Instant::now() < deadline,
            "requests still in flight"
        );
        std::thread::sleep(Duration::from_millis(10));
    }

    // Errors: a record the topic refuses (MESSAGE_TOO_LARGE, the sender's error count) and
    // one refused before it is buffered (larger than max.request.size, doSend's count).
    let err = p
        .send(ProducerRecord::new(small.as_str(), vec![b'y'; 5000]))
        .get()
        .unwrap_err();
    assert!(err.to_string().contains("MESSAGE_TOO_LARGE"), "{err}");
    let m = p.metrics();
    assert_eq!(client(&m, "record-error-total"), 1.0);
    assert_eq!(topic(&m, "record-error-total", &small), 1.0);
    assert!(client(&m, "record-error-rate") > 0.0);
    let err = p
        .send(ProducerRecord::new(
            t1.as_str(),
            vec![b'z'; 2 * 1024 * 1024],
        ))
        .get()
        .unwrap_err();
    assert!(matches!(err, Error::RecordTooLarge { .. }), "{err}");
    let m = p.metrics();
    assert_eq!(client(&m, "record-error-total"), 2.0);
    assert_eq!(
        topic(&m, "record-error-total", &t1),
        0.0,
        "never sent: no topic error"
    );
    assert_eq!(client(&m, "record-send-total"), 20_001.0);
    p.close();
    // Readable after close, as Java's.
    let m = p.metrics();
    assert_eq!(client(&m, "record-send-total"), 20_001.0);
}

/// Java's `KafkaProducerMetrics`: the time spent in each transactional call, counted when the
/// call succeeds.
#[test]
fn transactional_calls_record_their_time() {
    let t = support::unique_topic("metrics-txn");
    support::create_topic(&t, 1, 1, &[]);
    let config = ProducerConfig::builder()
        .bootstrap_servers(support::bootstrap())
        .set("client.id", CLIENT_ID)
        .transactional_id(support::unique_topic("metrics-txn-id"))
        .max_block(Duration::from_secs(30))
        .build()
        .unwrap();
    let p: KafkaProducer<Vec<u8>, Vec<u8>> =
        KafkaProducer::new(config, ByteArraySerializer, ByteArraySerializer).unwrap();
    let names = [
        "txn-init-time-ns-total",
        "txn-begin-time-ns-total",
        "txn-send-offsets-time-ns-total",
        "txn-commit-time-ns-total",
        "txn-abort-time-ns-total",
    ];
    for n in names {
        assert_eq!(client(&p.metrics(), n), 0.0, "{n}");
    }
    p.init_transactions().unwrap();
    p.begin_transaction().unwrap();
    p.send(ProducerRecord::new(t.as_str(), b"v".to_vec()))
        .get()
        .unwrap();
    p.commit_transaction().unwrap();
    p.begin_transaction().unwrap();
    p.send(ProducerRecord::new(t.as_str(), b"w".to_vec()))
        .get()
        .unwrap();
    p.abort_transaction().unwrap();
    let m = p.metrics();
    for n in names.iter().filter(|n| !n.contains("send-offsets")) {
        assert!(client(&m, n) > 0.0, "{n}");
    }
    assert_eq!(client(&m, "txn-send-offsets-time-ns-total"), 0.0);
    assert_eq!(client(&m, "record-send-total"), 2.0);
    assert_eq!(topic(&m, "record-send-total", &t), 2.0);
    // The coordinator's requests count in the network metrics too.
    assert!(client(&m, "request-total") >= 6.0);
}

/// What [`Keeper`] heard, shared with the test.
#[derive(Default)]
struct Heard {
    init: Vec<MetricName>,
    changes: Vec<MetricName>,
    record_send_total: Option<Arc<KafkaMetric>>,
    closes: usize,
}

/// A reporter that notes every call and keeps `producer-metrics:record-send-total`. Its
/// `init` is slow (as one connecting to a monitoring system): metrics registered meanwhile
/// (the sender thread's first connection) must still reach it (they did not before the
/// reporters were added ahead of the sender thread).
struct Keeper(Arc<std::sync::Mutex<Heard>>);

impl Keeper {
    fn keep(h: &mut Heard, m: &Arc<KafkaMetric>) {
        let n = m.metric_name();
        if n.group() == "producer-metrics" && n.name() == "record-send-total" {
            h.record_send_total = Some(m.clone());
        }
    }
}

impl MetricsReporter for Keeper {
    fn init(&mut self, metrics: &[Arc<KafkaMetric>]) {
        std::thread::sleep(Duration::from_millis(200));
        let mut h = self.0.lock().unwrap();
        for m in metrics {
            h.init.push(m.metric_name().clone());
            Self::keep(&mut h, m);
        }
    }

    fn metric_change(&mut self, metric: &Arc<KafkaMetric>) {
        let mut h = self.0.lock().unwrap();
        h.changes.push(metric.metric_name().clone());
        Self::keep(&mut h, metric);
    }

    fn close(&mut self) {
        self.0.lock().unwrap().closes += 1;
    }
}

#[test]
fn a_reporter_hears_every_metric_and_keeps_live_ones() {
    const N: usize = 500;
    let t = support::unique_topic("metrics-reporter");
    support::create_topic(&t, 2, 1, &[]);
    let heard = Arc::new(std::sync::Mutex::new(Heard::default()));
    let config = ProducerConfig::builder()
        .bootstrap_servers(support::bootstrap())
        .set("client.id", CLIENT_ID)
        .max_block(Duration::from_secs(30))
        .build()
        .unwrap();
    let p: KafkaProducer<Vec<u8>, Vec<u8>> =
        KafkaProducer::builder(config, ByteArraySerializer, ByteArraySerializer)
            .metrics_reporter(Keeper(heard.clone()))
            .build()
            .unwrap();
    {
        let h = heard.lock().unwrap();
        let key = MetricName::new(
            "record-send-total",
            "producer-metrics",
            "",
            [("client-id", CLIENT_ID)],
        );
        assert!(
            h.init.contains(&key) || h.changes.contains(&key),
            "told of {key}: {:?} {:?}",
            h.init,
            h.changes
        );
        assert!(h.record_send_total.is_some());
        assert!(
            !h.init
                .iter()
                .chain(&h.changes)
                .any(|n| n.tags().get("topic") == Some(&t)),
            "no topic metric before a send"
        );
        assert_eq!(h.closes, 0);
    }

    let futures: Vec<_> = (0..N as u32)
        .map(|i| p.send(ProducerRecord::new(t.as_str(), i.to_be_bytes().to_vec())))
        .collect();
    p.flush().unwrap();
    for f in futures {
        f.get().unwrap();
    }
    {
        let h = heard.lock().unwrap();
        let topic_metrics: Vec<&str> = h
            .changes
            .iter()
            .filter(|n| n.group() == "producer-topic-metrics" && n.tags().get("topic") == Some(&t))
            .map(|n| n.name())
            .collect();
        for name in ["record-send-total", "byte-total", "record-error-total"] {
            assert!(topic_metrics.contains(&name), "{name} in {topic_metrics:?}");
        }
        let nodes: Vec<&MetricName> = h
            .changes
            .iter()
            .filter(|n| n.group() == "producer-node-metrics")
            .collect();
        assert!(
            nodes
                .iter()
                .any(|n| n.name() == "request-total" && n.tags()["node-id"].starts_with("node-")),
            "{nodes:?}"
        );
        // It was told of every metric the producer has.
        for n in p.metrics().keys() {
            assert!(h.init.contains(n) || h.changes.contains(n), "{n} told");
        }
        assert_eq!(h.closes, 0, "not closed before close()");
    }
    // The kept metric is live, and readable from another thread.
    let kept = heard.lock().unwrap().record_send_total.clone().unwrap();
    let value = std::thread::spawn(move || kept.metric_value())
        .join()
        .unwrap();
    assert_eq!(value, N as f64);

    p.close();
    assert_eq!(heard.lock().unwrap().closes, 1);
    p.close();
    drop(p);
    let h = heard.lock().unwrap();
    assert_eq!(h.closes, 1, "closed once");
    assert_eq!(
        h.record_send_total.as_ref().unwrap().metric_value(),
        N as f64
    );
}

/// A producer with these extra settings, its records sent and flushed.
fn sampled_producer(settings: &[(&str, &str)], topic: &str) -> KafkaProducer<Vec<u8>, Vec<u8>> {
    let mut b = ProducerConfig::builder()
        .bootstrap_servers(support::bootstrap())
        .set("client.id", CLIENT_ID)
        .max_block(Duration::from_secs(30));
    for (k, v) in settings {
        b = b.set(*k, *v);
    }
    let p =
        KafkaProducer::new(b.build().unwrap(), ByteArraySerializer, ByteArraySerializer).unwrap();
    let futures: Vec<_> = (0..1000u32)
        .map(|i| p.send(ProducerRecord::new(topic, i.to_be_bytes().to_vec())))
        .collect();
    p.flush().unwrap();
    for f in futures {
        f.get().unwrap();
    }
    p
}

/// `metrics.num.samples` and `metrics.sample.window.ms` reach the stats: a rate forgets what
/// is older than its samples' windows.
#[test]
fn sample_settings_reach_the_rates() {
    let t = support::unique_topic("metrics-samples");
    support::create_topic(&t, 1, 1, &[]);
    let short = sampled_producer(
        &[
            ("metrics.num.samples", "2"),
            ("metrics.sample.window.ms", "200"),
        ],
        &t,
    );
    let m = short.metrics();
    assert!(client(&m, "record-send-rate") > 0.0);
    assert!(topic(&m, "record-send-rate", &t) > 0.0);
    assert_eq!(client(&m, "record-send-total"), 1000.0);
    std::thread::sleep(Duration::from_millis(600));
    let m = short.metrics();
    assert_eq!(client(&m, "record-send-rate"), 0.0);
    assert_eq!(topic(&m, "record-send-rate", &t), 0.0);
    assert_eq!(
        client(&m, "record-send-total"),
        1000.0,
        "a total forgets nothing"
    );
    assert_eq!(topic(&m, "record-send-total", &t), 1000.0);
    short.close();

    // The defaults (2 samples of 30 s): the same pause forgets nothing.
    let default = sampled_producer(&[], &t);
    std::thread::sleep(Duration::from_millis(600));
    let m = default.metrics();
    assert!(client(&m, "record-send-rate") > 0.0);
    assert!(topic(&m, "record-send-rate", &t) > 0.0);
    assert_eq!(client(&m, "record-send-total"), 1000.0);
    default.close();
}

/// A producer whose last handle is dropped inside a callback (its close then runs on the
/// sender thread, which cannot wait for itself) still closes its reporters, once, when the
/// sender thread stops (before: never).
#[test]
fn a_producer_dropped_in_a_callback_closes_its_reporters() {
    let t = support::unique_topic("metrics-drop");
    support::create_topic(&t, 1, 1, &[]);
    let heard = Arc::new(std::sync::Mutex::new(Heard::default()));
    let config = ProducerConfig::builder()
        .bootstrap_servers(support::bootstrap())
        .build()
        .unwrap();
    let p: Arc<KafkaProducer<Vec<u8>, Vec<u8>>> = Arc::new(
        KafkaProducer::builder(config, ByteArraySerializer, ByteArraySerializer)
            .metrics_reporter(Keeper(heard.clone()))
            .build()
            .unwrap(),
    );
    let last = Arc::new(parking_lot::Mutex::new(Some(p.clone())));
    let in_callback = last.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    let _future = p.send_with_callback(ProducerRecord::new(t.as_str(), b"v".to_vec()), move |r| {
        in_callback.lock().take();
        let _ = tx.send(r.is_ok());
    });
    drop(p);
    assert!(rx.recv_timeout(Duration::from_secs(30)).unwrap());
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while heard.lock().unwrap().closes == 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(heard.lock().unwrap().closes, 1);
    assert!(last.lock().is_none());
}
