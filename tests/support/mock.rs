//! Producers for the tests against the in-process `MockCluster` (feature `mock`), shared by
//! `tests/fault_injection.rs`, `tests/mock_cluster.rs`, `tests/state_dump.rs` and
//! `tests/kafka_producer.rs` (included with `#[path]`: they need no real broker).
#![allow(dead_code)]

use kafka_producer::mock::MockCluster;
use kafka_producer::{KafkaProducer, ProducerConfigBuilder, StringSerializer};
use std::time::Duration;

/// A config for `cluster`: no linger, `max.block.ms` 10 s, then `extra` (`RUST_LOG=debug`
/// shows the producer's logs for a failing test).
pub fn config(cluster: &MockCluster, extra: &[(&str, &str)]) -> ProducerConfigBuilder {
    let _ = env_logger::builder().is_test(true).try_init();
    with(
        kafka_producer::ProducerConfig::builder()
            .bootstrap_servers(cluster.bootstrap_servers())
            .linger(Duration::ZERO)
            .max_block(Duration::from_secs(10)),
        extra,
    )
}

/// `builder` with the `extra` settings applied.
pub fn with(mut builder: ProducerConfigBuilder, extra: &[(&str, &str)]) -> ProducerConfigBuilder {
    for (k, v) in extra {
        builder = builder.set(*k, *v);
    }
    builder
}

/// A String producer from `builder`.
pub fn producer(builder: ProducerConfigBuilder) -> KafkaProducer<String, String> {
    KafkaProducer::new(builder.build().unwrap(), StringSerializer, StringSerializer).unwrap()
}

/// A String producer for `cluster` with a short `retry.backoff.ms` (10 ms), then `extra`.
pub fn fast_retry_producer(
    cluster: &MockCluster,
    extra: &[(&str, &str)],
) -> KafkaProducer<String, String> {
    producer(with(
        config(cluster, &[]).retry_backoff(Duration::from_millis(10)),
        extra,
    ))
}
