//! The producer when brokers are missing, stopped or restarted: bounded blocking, bounded
//! memory, retries that deliver everything.

mod support;

use kafka_producer::producer::serializer::StringSerializer;
use kafka_producer::{Error, KafkaProducer, ProducerConfig, ProducerRecord, TimeoutKind};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

fn producer(config: ProducerConfig) -> KafkaProducer<String, String> {
    KafkaProducer::new(config, StringSerializer, StringSerializer).unwrap()
}

/// A loopback port nothing listens on.
fn dead_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    port
}

#[test]
fn unreachable_bootstrap_blocks_at_most_max_block() {
    let config = ProducerConfig::builder()
        .bootstrap_servers(format!("127.0.0.1:{}", dead_port()))
        .max_block(Duration::from_millis(1000))
        .build()
        .unwrap();
    let p = producer(config);
    let start = Instant::now();
    let err = p
        .send(ProducerRecord::new("anything", "v".to_string()))
        .get()
        .unwrap_err();
    let waited = start.elapsed();
    assert!(
        matches!(
            err,
            Error::Timeout {
                kind: TimeoutKind::Metadata,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("anything"), "{err}");
    assert!(waited >= Duration::from_millis(950), "{waited:?}");
    assert!(waited < Duration::from_secs(5), "{waited:?}");
    let start = Instant::now();
    p.close();
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "close does not hang"
    );
}

#[test]
fn stopped_broker_bounds_memory_and_times_out_sends() {
    let cluster = support::TestCluster::start(1, &[]);
    let topic = support::unique_topic("stopped");
    support::create_topic_on(cluster.bootstrap(), &topic, 1, 1, &[]);
    let config = ProducerConfig::builder()
        .bootstrap_servers(cluster.bootstrap())
        .buffer_memory(64 * 1024)
        .batch_size(16 * 1024)
        .max_block(Duration::from_millis(1000))
        .request_timeout(Duration::from_millis(3000))
        .delivery_timeout(Duration::from_millis(8000))
        // Keep the known partitions while the only broker is down (with the default
        // rebootstrap, as in Java, the metadata goes back to bootstrap.servers and sends then
        // time out waiting for metadata instead of buffer memory).
        .set("metadata.recovery.strategy", "none")
        .build()
        .unwrap();
    let p = producer(config);
    p.send(ProducerRecord::new(topic.as_str(), "warm".to_string()))
        .get()
        .unwrap();
    cluster.kill(1);

    // Fill the 64 KiB pool: 1 KiB records, 4 full batches.
    let completed = Arc::new(AtomicUsize::new(0));
    let mut blocked_error = None;
    let mut sent = 0;
    for i in 0..200 {
        let c = completed.clone();
        let start = Instant::now();
        let f = p.send_with_callback(
            ProducerRecord::new(topic.as_str(), format!("{i:01024}")),
            move |_| {
                c.fetch_add(1, Ordering::SeqCst);
            },
        );
        if f.is_done() {
            if let Err(e) = f.get_timeout(Duration::ZERO) {
                assert!(
                    start.elapsed() >= Duration::from_millis(900),
                    "blocked before failing"
                );
                assert!(start.elapsed() < Duration::from_secs(5));
                blocked_error = Some(e);
                break;
            }
        }
        sent += 1;
    }
    let err = blocked_error.expect("the pool runs out while the broker is down");
    assert!(
        matches!(
            err,
            Error::Timeout {
                kind: TimeoutKind::BufferMemory,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("max.block.ms"), "{err}");
    assert!(sent <= 64, "at most 64 KiB buffered: {sent} records");
    // What was buffered fails after delivery.timeout.ms, each callback once.
    p.close();
    assert_eq!(completed.load(Ordering::SeqCst), sent + 1);
}

#[test]
fn broker_restarted_mid_stream_all_sends_complete() {
    let cluster = support::TestCluster::start(1, &[]);
    let topic = support::unique_topic("restart");
    support::create_topic_on(cluster.bootstrap(), &topic, 3, 1, &[]);
    let config = ProducerConfig::builder()
        .bootstrap_servers(cluster.bootstrap())
        .request_timeout(Duration::from_millis(5000))
        .delivery_timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let p = Arc::new(producer(config));
    let mut futures = Vec::new();
    for i in 0..2000 {
        futures.push(p.send(ProducerRecord::new(topic.as_str(), format!("before-{i}"))));
    }
    for f in futures.drain(..) {
        f.get().unwrap();
    }
    // Keep sending from a thread while the broker dies and comes back.
    let sender = {
        let p = p.clone();
        let topic = topic.clone();
        std::thread::spawn(move || {
            let mut fs = Vec::new();
            for i in 0..3000 {
                fs.push(p.send(ProducerRecord::new(topic.as_str(), format!("during-{i}"))));
                std::thread::sleep(Duration::from_millis(2));
            }
            fs
        })
    };
    std::thread::sleep(Duration::from_millis(500));
    cluster.kill(1);
    std::thread::sleep(Duration::from_millis(1000));
    cluster.restart(1);
    let fs = sender.join().unwrap();
    let mut ok = 0;
    for f in fs {
        f.get().expect("retried until the broker came back");
        ok += 1;
    }
    assert_eq!(ok, 3000);
    assert!(p.counters().retries > 0 || p.counters().disconnections > 0);
    p.close();
    let total: i64 = support::end_offsets_on(cluster.bootstrap(), &topic)
        .iter()
        .map(|(_, o)| *o)
        .sum();
    // Idempotent (the default): nothing lost, nothing written twice.
    assert_eq!(total, 5000);
}
