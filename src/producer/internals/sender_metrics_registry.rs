//! `SenderMetricsRegistry`: the names and descriptions of the sender's metrics, in one place
//! (Java's `org.apache.kafka.clients.producer.internals.SenderMetricsRegistry`), and the
//! producer's metric groups and tags.
//!
//! Client-level metrics are in the group `producer-metrics` with the tag `client-id`;
//! per-topic metrics in `producer-topic-metrics` with `client-id` and `topic`.

use crate::metrics::{MetricName, Metrics};
use std::sync::Arc;

/// The group of the client-level metrics (Java's `KafkaProducerMetrics.GROUP`).
pub(crate) const GROUP: &str = "producer-metrics";
/// The group of the per-topic metrics (Java's `TOPIC_METRIC_GROUP_NAME`).
pub(crate) const TOPIC_METRIC_GROUP_NAME: &str = "producer-topic-metrics";

/// A metric's name and description.
pub(crate) type Template = (&'static str, &'static str);

// Client level.
pub(crate) const BATCH_SIZE_AVG: Template = (
    "batch-size-avg",
    "The average number of bytes sent per partition per-request.",
);
pub(crate) const BATCH_SIZE_MAX: Template = (
    "batch-size-max",
    "The max number of bytes sent per partition per-request.",
);
pub(crate) const COMPRESSION_RATE_AVG: Template = (
    "compression-rate-avg",
    "The average compression rate of record batches, defined as the average ratio of the \
     compressed batch size over the uncompressed size.",
);
pub(crate) const RECORD_QUEUE_TIME_AVG: Template = (
    "record-queue-time-avg",
    "The average time in ms record batches spent in the send buffer.",
);
pub(crate) const RECORD_QUEUE_TIME_MAX: Template = (
    "record-queue-time-max",
    "The maximum time in ms record batches spent in the send buffer.",
);
pub(crate) const REQUEST_LATENCY_AVG: Template =
    ("request-latency-avg", "The average request latency in ms");
pub(crate) const REQUEST_LATENCY_MAX: Template =
    ("request-latency-max", "The maximum request latency in ms");
pub(crate) const RECORD_SEND_RATE: Template = (
    "record-send-rate",
    "The average number of records sent per second.",
);
pub(crate) const RECORD_SEND_TOTAL: Template =
    ("record-send-total", "The total number of records sent.");
pub(crate) const RECORDS_PER_REQUEST_AVG: Template = (
    "records-per-request-avg",
    "The average number of records per request.",
);
pub(crate) const RECORD_RETRY_RATE: Template = (
    "record-retry-rate",
    "The average per-second number of retried record sends",
);
pub(crate) const RECORD_RETRY_TOTAL: Template = (
    "record-retry-total",
    "The total number of retried record sends",
);
pub(crate) const RECORD_ERROR_RATE: Template = (
    "record-error-rate",
    "The average per-second number of record sends that resulted in errors",
);
pub(crate) const RECORD_ERROR_TOTAL: Template = (
    "record-error-total",
    "The total number of record sends that resulted in errors",
);
pub(crate) const RECORD_SIZE_MAX: Template = ("record-size-max", "The maximum record size");
pub(crate) const RECORD_SIZE_AVG: Template = ("record-size-avg", "The average record size");
pub(crate) const REQUESTS_IN_FLIGHT: Template = (
    "requests-in-flight",
    "The current number of in-flight requests awaiting a response.",
);
pub(crate) const METADATA_AGE: Template = (
    "metadata-age",
    "The age in seconds of the current producer metadata being used.",
);
pub(crate) const BATCH_SPLIT_RATE: Template = (
    "batch-split-rate",
    "The average number of batch splits per second",
);
pub(crate) const BATCH_SPLIT_TOTAL: Template =
    ("batch-split-total", "The total number of batch splits");
pub(crate) const PRODUCE_THROTTLE_TIME_AVG: Template = (
    "produce-throttle-time-avg",
    "The average time in ms a request was throttled by a broker",
);
pub(crate) const PRODUCE_THROTTLE_TIME_MAX: Template = (
    "produce-throttle-time-max",
    "The maximum time in ms a request was throttled by a broker",
);

// Topic level.
pub(crate) const TOPIC_RECORD_SEND_RATE: Template = (
    "record-send-rate",
    "The average number of records sent per second for a topic.",
);
pub(crate) const TOPIC_RECORD_SEND_TOTAL: Template = (
    "record-send-total",
    "The total number of records sent for a topic.",
);
pub(crate) const TOPIC_BYTE_RATE: Template = (
    "byte-rate",
    "The average number of bytes sent per second for a topic.",
);
pub(crate) const TOPIC_BYTE_TOTAL: Template =
    ("byte-total", "The total number of bytes sent for a topic.");
pub(crate) const TOPIC_COMPRESSION_RATE: Template = (
    "compression-rate",
    "The average compression rate of record batches for a topic, defined as the average ratio \
     of the compressed batch size over the uncompressed size.",
);
pub(crate) const TOPIC_RECORD_RETRY_RATE: Template = (
    "record-retry-rate",
    "The average per-second number of retried record sends for a topic",
);
pub(crate) const TOPIC_RECORD_RETRY_TOTAL: Template = (
    "record-retry-total",
    "The total number of retried record sends for a topic",
);
pub(crate) const TOPIC_RECORD_ERROR_RATE: Template = (
    "record-error-rate",
    "The average per-second number of record sends that resulted in errors for a topic",
);
pub(crate) const TOPIC_RECORD_ERROR_TOTAL: Template = (
    "record-error-total",
    "The total number of record sends that resulted in errors for a topic",
);

/// Every client-level template of the sender (Java's `allTemplates`, client part).
#[cfg(test)]
pub(crate) const CLIENT_TEMPLATES: &[Template] = &[
    BATCH_SIZE_AVG,
    BATCH_SIZE_MAX,
    COMPRESSION_RATE_AVG,
    RECORD_QUEUE_TIME_AVG,
    RECORD_QUEUE_TIME_MAX,
    REQUEST_LATENCY_AVG,
    REQUEST_LATENCY_MAX,
    PRODUCE_THROTTLE_TIME_AVG,
    PRODUCE_THROTTLE_TIME_MAX,
    RECORD_SEND_RATE,
    RECORD_SEND_TOTAL,
    RECORDS_PER_REQUEST_AVG,
    RECORD_RETRY_RATE,
    RECORD_RETRY_TOTAL,
    RECORD_ERROR_RATE,
    RECORD_ERROR_TOTAL,
    RECORD_SIZE_MAX,
    RECORD_SIZE_AVG,
    REQUESTS_IN_FLIGHT,
    METADATA_AGE,
    BATCH_SPLIT_RATE,
    BATCH_SPLIT_TOTAL,
];

/// Every per-topic template (Java's `allTemplates`, topic part).
#[cfg(test)]
pub(crate) const TOPIC_TEMPLATES: &[Template] = &[
    TOPIC_RECORD_SEND_RATE,
    TOPIC_RECORD_SEND_TOTAL,
    TOPIC_BYTE_RATE,
    TOPIC_BYTE_TOTAL,
    TOPIC_COMPRESSION_RATE,
    TOPIC_RECORD_RETRY_RATE,
    TOPIC_RECORD_RETRY_TOTAL,
    TOPIC_RECORD_ERROR_RATE,
    TOPIC_RECORD_ERROR_TOTAL,
];

/// The producer's registry with its `client-id` tag: builds the [`MetricName`]s of the
/// templates above (Java's `SenderMetricsRegistry`, whose `Metrics` carries the `client-id`
/// tag in its config). Cheap to clone.
#[derive(Clone, Debug)]
pub(crate) struct SenderMetricsRegistry {
    metrics: Metrics,
    client_id: Arc<str>,
}

impl SenderMetricsRegistry {
    /// The registry of the producer `client_id`.
    pub(crate) fn new(metrics: Metrics, client_id: &str) -> Self {
        SenderMetricsRegistry {
            metrics,
            client_id: client_id.into(),
        }
    }

    /// The underlying registry.
    pub(crate) fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// A client-level metric of `producer-metrics` (Java's `createMetricName`).
    pub(crate) fn client(&self, (name, description): Template) -> MetricName {
        self.in_group(GROUP, name, description)
    }

    /// A metric of `group` with the `client-id` tag (Java's `metrics.metricName(name, group,
    /// description)` with the config's tags).
    pub(crate) fn in_group(&self, group: &str, name: &str, description: &str) -> MetricName {
        MetricName::new(
            name,
            group,
            description,
            [("client-id", self.client_id.as_ref())],
        )
    }

    /// A per-topic metric of `producer-topic-metrics`.
    pub(crate) fn topic(&self, (name, description): Template, topic: &str) -> MetricName {
        MetricName::new(
            name,
            TOPIC_METRIC_GROUP_NAME,
            description,
            [("client-id", self.client_id.as_ref()), ("topic", topic)],
        )
    }
}
