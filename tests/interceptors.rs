//! Producer interceptors (Java's `ProducerInterceptor`, `ProducerInterceptors`,
//! `KafkaProducer.InterceptorCallback`) and header-aware serializers: against the in-process
//! `MockCluster`, `MockProducer`, and (the last test) the real broker, read back by the Java
//! console consumer.

#[path = "support/mock.rs"]
mod mock_support;
mod support;

use kafka_producer::mock::{MockCluster, MockProducer};
use kafka_producer::{
    Error, Header, Headers, KafkaProducer, ProducerConfig, ProducerInterceptor, ProducerRecord,
    RecordMetadata, Serializer, StringSerializer, TimeoutKind,
};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::ThreadId;
use std::time::Duration;

type Rec = ProducerRecord<String, String>;
type Shared<T> = Arc<Mutex<Vec<T>>>;

/// One acknowledgement an interceptor saw.
#[derive(Debug, Clone)]
struct Ack {
    metadata: RecordMetadata,
    error: Option<Error>,
    thread: ThreadId,
    thread_name: String,
}

/// What an interceptor does besides recording.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Fine,
    Fails,
    Panics,
}

/// An interceptor that records what it sees into shared state.
struct Probe {
    name: &'static str,
    mode: Mode,
    /// Shared by the probes of a test: the order of the calls, by name.
    events: Arc<Mutex<Vec<String>>>,
    seen: Arc<Mutex<Vec<Rec>>>,
    acks: Arc<Mutex<Vec<Ack>>>,
    closes: Arc<AtomicUsize>,
    /// Applied to the record in `on_send`.
    change: Option<fn(&mut Rec)>,
}

impl Probe {
    fn new(name: &'static str, mode: Mode, events: &Arc<Mutex<Vec<String>>>) -> Probe {
        Probe {
            name,
            mode,
            events: events.clone(),
            seen: Arc::default(),
            acks: Arc::default(),
            closes: Arc::default(),
            change: None,
        }
    }

    /// Handles on what it records, kept by the test after the probe moved into the producer.
    fn handles(&self) -> (Shared<Rec>, Shared<Ack>, Arc<AtomicUsize>) {
        (self.seen.clone(), self.acks.clone(), self.closes.clone())
    }
}

impl ProducerInterceptor<String, String> for Probe {
    fn on_send(&self, record: &mut Rec) -> Result<(), Error> {
        self.events.lock().push(format!("{}.on_send", self.name));
        if let Some(change) = self.change {
            change(record);
        }
        self.seen.lock().push(record.clone());
        match self.mode {
            Mode::Fine => Ok(()),
            Mode::Fails => Err(Error::Internal(format!("{} refuses", self.name))),
            Mode::Panics => panic!("{} panics in on_send", self.name),
        }
    }

    fn on_acknowledgement(&self, md: &RecordMetadata, error: Option<&Error>) -> Result<(), Error> {
        self.events.lock().push(format!("{}.ack", self.name));
        let current = std::thread::current();
        self.acks.lock().push(Ack {
            metadata: md.clone(),
            error: error.cloned(),
            thread: current.id(),
            thread_name: current.name().unwrap_or("").to_string(),
        });
        match self.mode {
            Mode::Fine => Ok(()),
            Mode::Fails => Err(Error::Internal(format!("{} refuses the ack", self.name))),
            Mode::Panics => panic!("{} panics in on_acknowledgement", self.name),
        }
    }

    fn close(&self) {
        self.events.lock().push(format!("{}.close", self.name));
        self.closes.fetch_add(1, Ordering::SeqCst);
    }
}

/// A value serializer that names its "schema" in a header (Confluent-style header schema ids)
/// and leaves the record's other headers as they are.
struct SchemaIdSerializer {
    schema_id: u32,
    /// Bytes of padding in the header value, to test the size estimate.
    padding: usize,
}

impl Serializer<String> for SchemaIdSerializer {
    fn serialize(&self, topic: &str, data: &String, out: &mut Vec<u8>) -> Result<(), Error> {
        Serializer::<String>::serialize(&StringSerializer, topic, data, out)
    }

    fn serialize_with_headers(
        &self,
        topic: &str,
        headers: &mut Headers,
        data: &String,
        out: &mut Vec<u8>,
    ) -> Result<(), Error> {
        // Text, so that the Java console consumer prints it as it is.
        let mut id = self.schema_id.to_string().into_bytes();
        id.resize(id.len() + self.padding, b'.');
        headers.push(Header::new("value.schema.id", id));
        self.serialize(topic, data, out)
    }
}

/// A key serializer that adds a header too: key first, then value.
struct KeyMarker;

impl Serializer<String> for KeyMarker {
    fn serialize(&self, topic: &str, data: &String, out: &mut Vec<u8>) -> Result<(), Error> {
        Serializer::<String>::serialize(&StringSerializer, topic, data, out)
    }

    fn serialize_with_headers(
        &self,
        topic: &str,
        headers: &mut Headers,
        data: &String,
        out: &mut Vec<u8>,
    ) -> Result<(), Error> {
        headers.push(Header::new("key.marker", b"k".to_vec()));
        self.serialize(topic, data, out)
    }
}

fn config(cluster: &MockCluster, extra: &[(&str, &str)]) -> ProducerConfig {
    mock_support::config(cluster, extra).build().unwrap()
}

const WAIT: Duration = Duration::from_secs(20);

fn events() -> Arc<Mutex<Vec<String>>> {
    Arc::default()
}

/// The chain runs in the order added; `on_send` may replace the record (the change lands);
/// `on_acknowledgement` runs on the sender thread, each interceptor in order, before the
/// user's callback and before the future completes; `close` once.
#[test]
fn chain_order_replacement_and_ack_before_callback() {
    let cluster = MockCluster::new(1);
    cluster.create_topic("original", 1);
    cluster.create_topic("replaced", 1);
    let ev = events();
    let mut a = Probe::new("a", Mode::Fine, &ev);
    a.change = Some(|r| {
        *r = ProducerRecord::new("replaced", r.value.clone().unwrap().to_uppercase())
            .with_header("by", b"a".to_vec());
    });
    let b = Probe::new("b", Mode::Fine, &ev);
    let (_, a_acks, a_closes) = a.handles();
    let (b_seen, b_acks, b_closes) = b.handles();
    let producer =
        KafkaProducer::builder(config(&cluster, &[]), StringSerializer, StringSerializer)
            .interceptor(a)
            .interceptor(b)
            .build()
            .unwrap();

    // With a user callback: the acks, then the callback.
    let ev2 = ev.clone();
    let md = producer
        .send_with_callback(
            ProducerRecord::new("original", "hello".to_string()),
            move |r| {
                assert!(r.is_ok());
                ev2.lock().push("callback".into());
            },
        )
        .get_timeout(WAIT)
        .unwrap();
    assert_eq!((&*md.topic, md.partition, md.offset), ("replaced", 0, 0));
    assert_eq!(
        *ev.lock(),
        ["a.on_send", "b.on_send", "a.ack", "b.ack", "callback"]
    );
    let seen = b_seen.lock().clone();
    assert_eq!(seen.len(), 1);
    assert_eq!(&*seen[0].topic, "replaced", "b sees a's replacement");
    assert_eq!(seen[0].value.as_deref(), Some("HELLO"));
    let stored = cluster.records("replaced", 0);
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].value.as_deref(), Some(&b"HELLO"[..]));
    assert_eq!(stored[0].headers, vec![Header::new("by", b"a".to_vec())]);
    assert!(cluster.records("original", 0).is_empty());

    // Without a callback: the acks ran before the future completed.
    let md = producer
        .send(ProducerRecord::new("original", "again".to_string()))
        .get_timeout(WAIT)
        .unwrap();
    assert_eq!(md.offset, 1);
    for acks in [&a_acks, &b_acks] {
        let acks = acks.lock();
        assert_eq!(
            acks.len(),
            2,
            "once per record, and already when get() returned"
        );
        for (i, ack) in acks.iter().enumerate() {
            assert!(ack.error.is_none());
            assert_eq!(&*ack.metadata.topic, "replaced");
            assert_eq!(ack.metadata.offset, i as i64);
            assert_eq!(ack.metadata.serialized_value_size, 5);
            assert!(
                ack.thread_name.starts_with("kafka-producer-network-thread"),
                "{}",
                ack.thread_name
            );
        }
    }
    producer.close();
    producer.close();
    drop(producer);
    assert_eq!(a_closes.load(Ordering::SeqCst), 1);
    assert_eq!(b_closes.load(Ordering::SeqCst), 1);
    let ev = ev.lock();
    assert_eq!(ev[ev.len() - 2..], ["a.close", "b.close"]);
}

/// An interceptor that fails or panics (in `on_send` and `on_acknowledgement`) breaks
/// neither the send nor the sender thread, and the next interceptors still run.
#[test]
fn failing_and_panicking_interceptors_are_ignored() {
    let cluster = MockCluster::new(1);
    cluster.create_topic("t", 1);
    let ev = events();
    let fails = Probe::new("fails", Mode::Fails, &ev);
    let panics = Probe::new("panics", Mode::Panics, &ev);
    let counts = Probe::new("counts", Mode::Fine, &ev);
    let (seen, acks, _) = counts.handles();
    let producer =
        KafkaProducer::builder(config(&cluster, &[]), StringSerializer, StringSerializer)
            .interceptor(fails)
            .interceptor(panics)
            .interceptor(counts)
            .build()
            .unwrap();
    let called = Arc::new(AtomicUsize::new(0));
    for i in 0..3 {
        let c = called.clone();
        let md = producer
            .send_with_callback(ProducerRecord::new("t", format!("v{i}")), move |r| {
                assert!(r.is_ok());
                c.fetch_add(1, Ordering::SeqCst);
            })
            .get_timeout(WAIT)
            .unwrap();
        assert_eq!(md.offset, i);
    }
    assert_eq!(called.load(Ordering::SeqCst), 3);
    assert_eq!(seen.lock().len(), 3);
    assert_eq!(acks.lock().len(), 3);
    assert_eq!(
        ev.lock()[..6],
        [
            "fails.on_send",
            "panics.on_send",
            "counts.on_send",
            "fails.ack",
            "panics.ack",
            "counts.ack"
        ]
    );
    assert_eq!(cluster.values("t", 0), [b"v0", b"v1", b"v2"]);
}

/// A record refused before it is buffered (too large) is acknowledged with its error once,
/// on the calling thread, with partition -1 (or the record's own partition) and offset,
/// timestamp and sizes -1; after the user's callback, as Java's `onSendError`.
#[test]
fn refused_record_is_acknowledged_once_on_the_calling_thread() {
    let cluster = MockCluster::new(1);
    cluster.create_topic("t", 2);
    let ev = events();
    let probe = Probe::new("p", Mode::Fine, &ev);
    let (_, acks, _) = probe.handles();
    let producer = KafkaProducer::builder(
        config(&cluster, &[("max.request.size", "1000")]),
        StringSerializer,
        StringSerializer,
    )
    .interceptor(probe)
    .build()
    .unwrap();
    let big = "x".repeat(2000);
    let ev2 = ev.clone();
    let r = producer
        .send_with_callback(ProducerRecord::new("t", big.clone()), move |r| {
            assert!(matches!(r, Err(Error::RecordTooLarge { .. })));
            ev2.lock().push("callback".into());
        })
        .get_timeout(WAIT);
    assert!(matches!(r, Err(Error::RecordTooLarge { .. })), "{r:?}");
    assert_eq!(*ev.lock(), ["p.on_send", "callback", "p.ack"]);
    let r = producer
        .send(ProducerRecord::new("t", big).with_partition(1))
        .get_timeout(WAIT);
    assert!(matches!(r, Err(Error::RecordTooLarge { .. })));
    let first = acks.lock().clone();
    assert_eq!(first.len(), 2);
    for (ack, partition) in first.iter().zip([-1, 1]) {
        assert_eq!(ack.thread, std::thread::current().id());
        assert!(matches!(ack.error, Some(Error::RecordTooLarge { .. })));
        let md = &ack.metadata;
        assert_eq!(
            (
                &*md.topic,
                md.partition,
                md.offset,
                md.timestamp,
                md.serialized_key_size,
                md.serialized_value_size
            ),
            ("t", partition, -1, -1, -1, -1)
        );
    }
    // A closed producer: on_send still runs first (Java's send), then the error's ack.
    producer.close();
    let r = producer
        .send(ProducerRecord::new("t", "late".to_string()))
        .get_timeout(WAIT);
    assert!(matches!(r, Err(Error::ProducerClosed(_))));
    let ev = ev.lock().clone();
    assert_eq!(ev[ev.len() - 2..], ["p.on_send", "p.ack"]);
    let acks = acks.lock().clone();
    assert_eq!(acks.len(), 3);
    assert!(matches!(acks[2].error, Some(Error::ProducerClosed(_))));
    assert_eq!(acks[2].thread, std::thread::current().id());
}

/// A metadata timeout (unknown topic, short `max.block.ms`) is acknowledged once with the
/// timeout, on the calling thread.
#[test]
fn metadata_timeout_is_acknowledged() {
    let cluster = MockCluster::new(1);
    let ev = events();
    let probe = Probe::new("p", Mode::Fine, &ev);
    let (_, acks, _) = probe.handles();
    let producer = KafkaProducer::builder(
        config(&cluster, &[("max.block.ms", "200")]),
        StringSerializer,
        StringSerializer,
    )
    .interceptor(probe)
    .build()
    .unwrap();
    let r = producer
        .send(ProducerRecord::new("nowhere", "v".to_string()))
        .get_timeout(WAIT);
    assert!(
        matches!(
            r,
            Err(Error::Timeout {
                kind: TimeoutKind::Metadata,
                ..
            })
        ),
        "{r:?}"
    );
    let acks = acks.lock().clone();
    assert_eq!(acks.len(), 1);
    assert_eq!(acks[0].thread, std::thread::current().id());
    assert_eq!(
        (&*acks[0].metadata.topic, acks[0].metadata.partition),
        ("nowhere", -1)
    );
    assert!(matches!(
        acks[0].error,
        Some(Error::Timeout {
            kind: TimeoutKind::Metadata,
            ..
        })
    ));
}

/// Records that fail after they were buffered (a forced close aborts them) are acknowledged
/// once each, on the sender thread, with the partition they were appended to, before their
/// callbacks; with and without a user callback.
#[test]
fn records_failed_after_append_are_acknowledged_once() {
    let cluster = MockCluster::new(1);
    cluster.create_topic("t", 3);
    let ev = events();
    let probe = Probe::new("p", Mode::Fine, &ev);
    let (_, acks, closes) = probe.handles();
    let producer = KafkaProducer::builder(
        config(
            &cluster,
            &[("linger.ms", "60000"), ("batch.size", "100000")],
        ),
        StringSerializer,
        StringSerializer,
    )
    .interceptor(probe)
    .build()
    .unwrap();
    // Let metadata arrive first, so that the records are buffered.
    producer.partitions_for("t").unwrap();
    let mut futures = Vec::new();
    let callbacks = Arc::new(Mutex::new(Vec::new()));
    for i in 0..10 {
        let record = ProducerRecord::new("t", format!("v{i}"));
        let record = if i % 3 == 0 {
            record.with_partition(2)
        } else {
            record
        };
        if i % 2 == 0 {
            futures.push(producer.send(record));
        } else {
            let (cbs, acks, ev) = (callbacks.clone(), acks.clone(), ev.clone());
            futures.push(producer.send_with_callback(record, move |r| {
                // The interceptor saw this record's failure already.
                let seen = acks.lock().len();
                cbs.lock().push((r.map(|m| m.partition), seen));
                ev.lock().push("callback".into());
            }));
        }
    }
    assert!(acks.lock().is_empty(), "lingering, nothing completed yet");
    producer.close_timeout(Duration::ZERO);
    for f in futures {
        assert!(matches!(f.get_timeout(WAIT), Err(Error::ProducerClosed(_))));
    }
    let acks = acks.lock().clone();
    assert_eq!(acks.len(), 10, "once per record");
    let mut by_partition: HashMap<i32, usize> = HashMap::new();
    for ack in &acks {
        assert!(matches!(ack.error, Some(Error::ProducerClosed(_))));
        assert!(ack.thread_name.starts_with("kafka-producer-network-thread"));
        assert!((0..3).contains(&ack.metadata.partition), "{ack:?}");
        assert_eq!(ack.metadata.offset, -1);
        *by_partition.entry(ack.metadata.partition).or_default() += 1;
    }
    assert!(by_partition[&2] >= 4, "the 4 records sent to partition 2");
    let cbs = callbacks.lock().clone();
    assert_eq!(cbs.len(), 5);
    assert!(cbs.iter().all(|(r, seen)| r.is_err() && *seen >= 1));
    let ev = ev.lock();
    let acks_before_callbacks = ev
        .iter()
        .enumerate()
        .filter(|(_, e)| *e == "callback")
        .all(|(i, _)| i > 0 && ev[i - 1] == "p.ack");
    assert!(acks_before_callbacks, "{ev:?}");
    drop(producer);
    assert_eq!(closes.load(Ordering::SeqCst), 1);
}

/// A serializer's headers (key first, then value) are stored with the record, after the
/// record's own; the size check counts them.
#[test]
fn header_aware_serializers_headers_are_stored_and_sized() {
    let cluster = MockCluster::new(1);
    cluster.create_topic("t", 1);
    let producer = KafkaProducer::new(
        config(&cluster, &[("max.request.size", "2000")]),
        KeyMarker,
        SchemaIdSerializer {
            schema_id: 42,
            padding: 0,
        },
    )
    .unwrap();
    producer
        .send(
            ProducerRecord::with_key_value("t", "k".to_string(), "v".to_string())
                .with_header("own", b"1".to_vec()),
        )
        .get_timeout(WAIT)
        .unwrap();
    let stored = cluster.records("t", 0);
    assert_eq!(stored.len(), 1);
    assert_eq!(
        stored[0].headers,
        vec![
            Header::new("own", b"1".to_vec()),
            Header::new("key.marker", b"k".to_vec()),
            Header::new("value.schema.id", b"42".to_vec()),
        ]
    );
    // The record alone fits, the serializer's header makes it too large.
    let padded: KafkaProducer<String, String> = KafkaProducer::new(
        config(&cluster, &[("max.request.size", "2000")]),
        StringSerializer,
        SchemaIdSerializer {
            schema_id: 1,
            padding: 3000,
        },
    )
    .unwrap();
    let r = padded
        .send(ProducerRecord::new("t", "v".to_string()))
        .get_timeout(WAIT);
    assert!(
        matches!(r, Err(Error::RecordTooLarge { size, .. }) if size > 3000),
        "{r:?}"
    );
}

/// `MockProducer` calls the header-aware serializers too.
#[test]
fn mock_producer_calls_serialize_with_headers() {
    let p = MockProducer::new(
        true,
        KeyMarker,
        SchemaIdSerializer {
            schema_id: 7,
            padding: 0,
        },
    );
    p.send(ProducerRecord::with_key_value(
        "t",
        "k".to_string(),
        "v".to_string(),
    ))
    .get()
    .unwrap();
    let history = p.history();
    assert_eq!(
        history[0].headers,
        vec![
            Header::new("key.marker", b"k".to_vec()),
            Header::new("value.schema.id", b"7".to_vec()),
        ]
    );
}

/// Counts `on_send` by the record's value (its index).
struct SendCounter(Arc<Mutex<HashMap<String, usize>>>);

impl ProducerInterceptor<String, String> for SendCounter {
    fn on_send(&self, record: &mut Rec) -> Result<(), Error> {
        *self
            .0
            .lock()
            .entry(record.value.clone().unwrap_or_default())
            .or_default() += 1;
        Ok(())
    }
}

/// Counts acknowledgements: successes by (partition, offset), failures with their errors.
#[derive(Default)]
struct AckCounts {
    ok: HashMap<(i32, i64), usize>,
    failed: Vec<(i32, Error)>,
}

struct AckCounter(Arc<Mutex<AckCounts>>);

impl ProducerInterceptor<String, String> for AckCounter {
    fn on_send(&self, _: &mut Rec) -> Result<(), Error> {
        Ok(())
    }

    fn on_acknowledgement(&self, md: &RecordMetadata, error: Option<&Error>) -> Result<(), Error> {
        let mut c = self.0.lock();
        match error {
            None => *c.ok.entry((md.partition, md.offset)).or_default() += 1,
            Some(e) => c.failed.push((md.partition, e.clone())),
        }
        Ok(())
    }
}

/// The real broker: 2000 records through two interceptors, some refused (too large for
/// `max.request.size`, or to a partition the topic does not have): every record is seen once
/// on send and acknowledged once (failures with their errors); the header of the header-aware
/// serializer is read back by the Java console consumer.
#[test]
fn real_broker_two_interceptors_2000_records() {
    let topic = support::unique_topic("interceptors");
    support::create_topic(&topic, 3, 1, &[]);
    let sends = Arc::new(Mutex::new(HashMap::new()));
    let acks = Arc::new(Mutex::new(AckCounts::default()));
    let config = ProducerConfig::builder()
        .bootstrap_servers(support::bootstrap())
        .max_block(Duration::from_secs(30))
        .set("max.request.size", "10000")
        .build()
        .unwrap();
    let producer = KafkaProducer::builder(
        config,
        StringSerializer,
        SchemaIdSerializer {
            schema_id: 1234,
            padding: 0,
        },
    )
    .interceptor(SendCounter(sends.clone()))
    .interceptor(AckCounter(acks.clone()))
    .build()
    .unwrap();
    let n = 2000;
    let (mut too_large, mut bad_partition) = (0, 0);
    let mut futures = Vec::new();
    for i in 0..n {
        let value = if i % 97 == 5 {
            too_large += 1;
            format!("{i:05}{}", "x".repeat(20_000))
        } else {
            format!("{i:05}")
        };
        let mut record = ProducerRecord::with_key_value(topic.as_str(), format!("k{i}"), value);
        if i % 250 == 7 {
            bad_partition += 1;
            record = record.with_partition(7);
        }
        futures.push(producer.send(record));
    }
    producer.flush().unwrap();
    let mut ok = 0;
    for f in futures {
        match f.get_timeout(WAIT) {
            Ok(_) => ok += 1,
            Err(Error::RecordTooLarge { .. } | Error::InvalidPartition { .. }) => {}
            Err(e) => panic!("unexpected error {e}"),
        }
    }
    assert_eq!(ok, n - too_large - bad_partition);
    let sends = sends.lock().clone();
    assert_eq!(sends.len(), n, "each record seen on send");
    assert!(sends.values().all(|c| *c == 1), "once each");
    {
        let acks = acks.lock();
        assert_eq!(acks.ok.len(), ok, "one ack per (partition, offset)");
        assert!(acks.ok.values().all(|c| *c == 1));
        assert_eq!(acks.failed.len(), too_large + bad_partition);
        let large = acks
            .failed
            .iter()
            .filter(|(p, e)| *p == -1 && matches!(e, Error::RecordTooLarge { .. }))
            .count();
        let invalid = acks
            .failed
            .iter()
            .filter(|(p, e)| *p == 7 && matches!(e, Error::InvalidPartition { partition: 7, .. }))
            .count();
        assert_eq!((large, invalid), (too_large, bad_partition));
    }
    producer.close();
    let consumed = support::consume(&topic, ok, Duration::from_secs(60));
    assert_eq!(consumed.len(), ok);
    for r in &consumed {
        assert_eq!(
            r.headers,
            vec![("value.schema.id".to_string(), Some(b"1234".to_vec()))]
        );
    }
}

/// A producer that cannot be built (here: a trust store that does not exist) closes the
/// interceptors it was given, once, as Java's constructor does when it fails.
#[test]
fn failed_build_closes_the_interceptors() {
    let cluster = MockCluster::new(1);
    let ev = events();
    let probe = Probe::new("p", Mode::Fine, &ev);
    let (_, _, closes) = probe.handles();
    let r = KafkaProducer::builder(
        config(
            &cluster,
            &[
                ("security.protocol", "SSL"),
                ("ssl.truststore.location", "/nonexistent/truststore.jks"),
                ("ssl.truststore.password", "secret"),
            ],
        ),
        StringSerializer,
        StringSerializer,
    )
    .interceptor(probe)
    .build();
    assert!(r.is_err());
    assert_eq!(closes.load(Ordering::SeqCst), 1);
    assert_eq!(*ev.lock(), ["p.close"]);
}

/// A producer whose last handle is dropped inside a callback (so its close runs on the sender
/// thread, which cannot wait for itself) still closes its interceptors, once, when the sender
/// thread stops (Java's `close()` from a callback closes them too). Failed before the sender
/// thread closed them: 0 closes, ever.
#[test]
fn producer_dropped_in_a_callback_closes_the_interceptors() {
    let cluster = MockCluster::new(1);
    cluster.create_topic("t", 1);
    let ev = events();
    let probe = Probe::new("p", Mode::Fine, &ev);
    let (_, acks, closes) = probe.handles();
    let producer = Arc::new(
        KafkaProducer::builder(config(&cluster, &[]), StringSerializer, StringSerializer)
            .interceptor(probe)
            .build()
            .unwrap(),
    );
    producer.partitions_for("t").unwrap();
    let last = Arc::new(Mutex::new(Some(producer.clone())));
    let in_callback = last.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    let _future =
        producer.send_with_callback(ProducerRecord::new("t", "v".to_string()), move |r| {
            // Drops the last handle here, on the sender thread.
            in_callback.lock().take();
            let _ = tx.send(r.is_ok());
        });
    drop(producer);
    assert!(rx.recv_timeout(WAIT).unwrap(), "the record was sent");
    let deadline = std::time::Instant::now() + WAIT;
    while closes.load(Ordering::SeqCst) == 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(closes.load(Ordering::SeqCst), 1);
    assert_eq!(acks.lock().len(), 1);
    assert!(last.lock().is_none());
}
