//! Test doubles for users' tests (feature `mock`): an in-process Kafka cluster speaking the real
//! wire protocol ([`MockCluster`]) and a producer that sends nowhere ([`MockProducer`]).
//!
//! [`MockCluster`] is to this crate what librdkafka's mock cluster and franz-go's `kfake` are to
//! theirs: N brokers on loopback ports, each with its own threads, that answer ApiVersions,
//! Metadata, InitProducerId and Produce as Kafka does (leaders, idempotent sequence checks,
//! duplicates answered with the original offset), with scriptable faults (error codes, garbage,
//! silence, delays, dropped connections, leader moves, throttling) and the written records
//! readable back. Point a real [`KafkaProducer`](crate::KafkaProducer) at it:
//!
//! ```
//! use kafka_producer::mock::MockCluster;
//! use kafka_producer::producer::serializer::StringSerializer;
//! use kafka_producer::protocol::ErrorCode;
//! use kafka_producer::{KafkaProducer, ProducerConfig, ProducerRecord};
//! use std::time::Duration;
//!
//! let cluster = MockCluster::new(3);
//! cluster.create_topic("orders", 4);
//! // The first Produce of partition 2 fails with a retriable error: the producer retries.
//! cluster.push_produce_errors("orders", 2, &[ErrorCode::NOT_ENOUGH_REPLICAS]);
//! let config = ProducerConfig::builder()
//!     .bootstrap_servers(cluster.bootstrap_servers())
//!     .retry_backoff(Duration::from_millis(10))
//!     .build()?;
//! let producer = KafkaProducer::new(config, StringSerializer, StringSerializer)?;
//! let md = producer
//!     .send(ProducerRecord::with_key_value("orders", "k".to_string(), "v".to_string()).with_partition(2))
//!     .get()?;
//! assert_eq!(md.offset, 0);
//! producer.close();
//! let records = cluster.records("orders", 2);
//! assert_eq!(records.len(), 1);
//! assert_eq!(records[0].value.as_deref(), Some(&b"v"[..]));
//! # Ok::<(), kafka_producer::Error>(())
//! ```
//!
//! [`MockProducer`] mirrors Java's `MockProducer`: it keeps the records sent (`history`) and
//! completes their futures automatically or when the test says so (`complete_next`,
//! `error_next`, `flush`).
//!
//! The [`responses`] module builds sample protocol responses (ApiVersions, Metadata, Produce,
//! InitProducerId) for decoder tests and fuzz seeds.
//!
//! The feature is off by default; enable it for tests only:
//!
//! ```toml
//! [dev-dependencies]
//! kafka-producer = { version = "0.1", features = ["mock"] }
//! ```

mod cluster;
mod producer;
pub mod responses;

pub use cluster::{Action, BatchInfo, MockCluster, MockClusterBuilder, MockRecord, ProduceInfo};
pub use producer::{MockProducer, TransactionCall};
