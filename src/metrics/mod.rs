//! Metrics, as Java's `org.apache.kafka.common.metrics`: named sensors record values into
//! stats sampled over time windows (`metrics.num.samples` windows of
//! `metrics.sample.window.ms`, see [`MetricConfig`]), each stat read as a [`KafkaMetric`]
//! named by a [`MetricName`] (name, group, tags).
//!
//! A producer's metrics are those of the Java producer, with the same names, groups, tags and
//! meanings: [`KafkaProducer::metrics`](crate::KafkaProducer::metrics) returns them keyed by
//! name, as Java's `Map<MetricName, Metric>`, and a [`MetricsReporter`] is told of each one.
//! With the `prometheus` feature, `metrics::prometheus::render` writes them in the Prometheus text
//! format.

mod kafka_metric;
mod metric_config;
mod metric_name;
mod metrics_reporter;
#[cfg(feature = "prometheus")]
pub mod prometheus;
mod registry;
mod sensor;
pub(crate) mod stats;

pub use kafka_metric::KafkaMetric;
pub use metric_config::MetricConfig;
pub use metric_name::MetricName;
pub use metrics_reporter::MetricsReporter;
pub(crate) use registry::Metrics;
pub use sensor::RecordingLevel;
pub(crate) use sensor::Sensor;
