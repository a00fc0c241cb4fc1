//! Metrics, as Java's `org.apache.kafka.common.metrics`: named [`Sensor`]s record values into
//! stats sampled over time windows (`metrics.num.samples` windows of
//! `metrics.sample.window.ms`), each stat read as a [`KafkaMetric`] named by a [`MetricName`]
//! (name, group, tags).

mod sensor;

pub use sensor::RecordingLevel;
