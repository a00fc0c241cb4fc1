//! A user's test with the in-process mock cluster (feature `mock`): the code under test sends
//! order events with a real `KafkaProducer`; the test points it at a `MockCluster`, makes the
//! leader of one partition fail once with a retriable error and move to another broker, and
//! checks what was written.
//!
//! In a user's crate this is a `#[test]` in `tests/`, with
//! `kafka-producer = { version = "0.1", features = ["mock"] }` under `[dev-dependencies]`.
//! Run it here with `cargo run --example mock_cluster_test`.

use kafka_producer::mock::{Action, MockCluster};
use kafka_producer::producer::serializer::StringSerializer;
use kafka_producer::protocol::ErrorCode;
use kafka_producer::{KafkaProducer, ProducerConfig, ProducerRecord};
use std::time::Duration;

/// The code under test: publishes one event per order, keyed by customer.
fn publish_orders(
    producer: &KafkaProducer<String, String>,
    orders: &[(&str, &str)],
) -> kafka_producer::Result<()> {
    let futures: Vec<_> = orders
        .iter()
        .map(|(customer, order)| {
            producer.send(ProducerRecord::with_key_value(
                "orders",
                customer.to_string(),
                order.to_string(),
            ))
        })
        .collect();
    for f in futures {
        f.get()?;
    }
    Ok(())
}

fn orders_are_published_once_despite_a_retriable_error() {
    let cluster = MockCluster::new(3);
    cluster.create_topic("orders", 3);
    // Every partition's first Produce fails once with NOT_ENOUGH_REPLICAS...
    for p in 0..3 {
        cluster.push_produce_errors("orders", p, &[ErrorCode::NOT_ENOUGH_REPLICAS]);
    }
    // ...and the first request broker 0 gets loses its response after the write (the retry
    // is a duplicate the broker recognizes by its sequence number).
    cluster.push_broker_produce_actions(0, [Action::AppendThenClose]);

    let config = ProducerConfig::builder()
        .bootstrap_servers(cluster.bootstrap_servers())
        .retry_backoff(Duration::from_millis(10))
        .build()
        .expect("config");
    let producer =
        KafkaProducer::new(config, StringSerializer, StringSerializer).expect("producer");
    let orders = [
        ("alice", "o-1"),
        ("bob", "o-2"),
        ("alice", "o-3"),
        ("carol", "o-4"),
    ];
    publish_orders(&producer, &orders).expect("every order published");

    // Partition 0 moves to broker 1: later sends follow it.
    cluster.set_leader("orders", 0, 1);
    publish_orders(&producer, &[("dave", "o-5")]).expect("published after the leader move");
    producer.close();

    // Every order once; one customer's orders in one partition, in order.
    let mut written = Vec::new();
    for p in 0..3 {
        let records = cluster.records("orders", p);
        let alice: Vec<_> = records
            .iter()
            .filter(|r| r.key.as_deref() == Some(&b"alice"[..]))
            .map(|r| r.value.clone().unwrap())
            .collect();
        assert!(alice.is_empty() || alice == [b"o-1".to_vec(), b"o-3".to_vec()]);
        written.extend(records.into_iter().map(|r| r.value.unwrap()));
    }
    written.sort();
    assert_eq!(
        written,
        ["o-1", "o-2", "o-3", "o-4", "o-5"].map(|s| s.as_bytes().to_vec())
    );
}

fn main() {
    orders_are_published_once_despite_a_retriable_error();
    println!("ok: orders_are_published_once_despite_a_retriable_error");
}
