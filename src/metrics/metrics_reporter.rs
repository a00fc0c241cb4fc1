//! `MetricsReporter`: a plug-in told of every metric (Java's
//! `org.apache.kafka.common.metrics.MetricsReporter`, the `metric.reporters` setting).

use super::KafkaMetric;
use std::sync::Arc;

/// Told of every metric of a producer, as it is registered: at start ([`init`](Self::init))
/// and later ([`metric_change`](Self::metric_change), e.g. the metrics of a topic the producer
/// sends to for the first time). The [`KafkaMetric`]s it is given are live: it may keep them
/// and read their values whenever it likes, from any thread (a JMX-like registry, a periodic
/// push to a monitoring system).
///
/// Given in code, as Java's `metric.reporters` classes:
/// [`KafkaProducerBuilder::metrics_reporter`](crate::KafkaProducerBuilder::metrics_reporter).
/// Its methods run on the thread that registers the metric (a caller's or the sender's): keep
/// them short. A panic in a reporter is caught and logged.
///
/// ```
/// use kafka_producer::metrics::{KafkaMetric, MetricsReporter};
/// use std::sync::{Arc, Mutex};
///
/// /// Keeps the metrics of one group, to print them later.
/// #[derive(Default, Clone)]
/// struct Keep(Arc<Mutex<Vec<Arc<KafkaMetric>>>>);
///
/// impl MetricsReporter for Keep {
///     fn init(&mut self, metrics: &[Arc<KafkaMetric>]) {
///         for m in metrics {
///             self.metric_change(m);
///         }
///     }
///     fn metric_change(&mut self, metric: &Arc<KafkaMetric>) {
///         if metric.metric_name().group() == "producer-metrics" {
///             self.0.lock().unwrap().push(metric.clone());
///         }
///     }
/// }
/// ```
pub trait MetricsReporter: Send {
    /// The metrics that exist when the reporter is added.
    fn init(&mut self, metrics: &[Arc<KafkaMetric>]);

    /// A metric was added (or replaced).
    fn metric_change(&mut self, metric: &Arc<KafkaMetric>);

    /// A metric was removed.
    fn metric_removal(&mut self, metric: &Arc<KafkaMetric>) {
        let _ = metric;
    }

    /// The producer is closing: called once.
    fn close(&mut self) {}
}
