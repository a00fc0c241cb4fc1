//! `KafkaMetric`: one named, readable metric (Java's `org.apache.kafka.common.metrics.KafkaMetric`).

use super::MetricName;
use super::sensor::Sensor;
use crate::time::Time;
use std::fmt;
use std::sync::Arc;
use std::time::Instant;

/// Where a metric's value comes from.
enum Source {
    /// A stat of a sensor.
    Stat { sensor: Arc<Sensor>, index: usize },
    /// A function of the current time (Java's `Gauge`).
    Gauge(Box<dyn Fn(Instant) -> f64 + Send + Sync>),
}

/// A metric: its [`MetricName`] and its current value, read at each call (Java's
/// `KafkaMetric`). Held by [`KafkaProducer::metrics`](crate::KafkaProducer::metrics) and by
/// [`MetricsReporter`](super::MetricsReporter)s, which may read it from any thread.
///
/// ```no_run
/// # use kafka_producer::{KafkaProducer, ProducerConfig};
/// # use kafka_producer::producer::serializer::StringSerializer;
/// # let config = ProducerConfig::builder().bootstrap_servers("localhost:9092").build()?;
/// let producer: KafkaProducer<String, String> =
///     KafkaProducer::new(config, StringSerializer, StringSerializer)?;
/// for (name, metric) in producer.metrics() {
///     if name.group() == "producer-metrics" && name.name() == "record-send-total" {
///         println!("{} records sent", metric.metric_value());
///     }
/// }
/// # Ok::<(), kafka_producer::Error>(())
/// ```
pub struct KafkaMetric {
    name: MetricName,
    source: Source,
    time: Arc<dyn Time>,
}

impl fmt::Debug for KafkaMetric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KafkaMetric")
            .field("name", &self.name)
            .field("value", &self.metric_value())
            .finish()
    }
}

impl KafkaMetric {
    pub(super) fn of_stat(
        name: MetricName,
        sensor: Arc<Sensor>,
        index: usize,
        time: Arc<dyn Time>,
    ) -> Self {
        KafkaMetric {
            name,
            source: Source::Stat { sensor, index },
            time,
        }
    }

    pub(super) fn gauge(
        name: MetricName,
        f: Box<dyn Fn(Instant) -> f64 + Send + Sync>,
        time: Arc<dyn Time>,
    ) -> Self {
        KafkaMetric {
            name,
            source: Source::Gauge(f),
            time,
        }
    }

    /// The metric's name, group and tags.
    pub fn metric_name(&self) -> &MetricName {
        &self.name
    }

    /// The current value: NaN for an average or a maximum over windows with no recording, as
    /// in Java.
    pub fn metric_value(&self) -> f64 {
        let now = self.time.now();
        match &self.source {
            Source::Stat { sensor, index } => sensor.measure(*index, now),
            Source::Gauge(f) => f(now),
        }
    }
}
