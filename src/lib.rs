//! A native, synchronous Apache Kafka producer, designed after the Java `KafkaProducer`.
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod protocol;
