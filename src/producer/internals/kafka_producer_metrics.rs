//! `KafkaProducerMetrics`: the time the producer's blocking calls took (Java's
//! `org.apache.kafka.clients.producer.internals.KafkaProducerMetrics`), plus the sensors the
//! Java `KafkaProducer` itself records: `errors` (a record refused before it was buffered) and
//! the `app-info` group's `start-time-ms`.

use super::sender_metrics_registry::{self as r, SenderMetricsRegistry};
use crate::metrics::Sensor;
use crate::metrics::stats::Stat;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// `flush`, the transactional calls and the metadata waits of `send`, each a cumulative sum of
/// nanoseconds (`<name>-time-ns-total` in `producer-metrics`).
#[derive(Debug)]
pub(crate) struct KafkaProducerMetrics {
    flush: Arc<Sensor>,
    init: Arc<Sensor>,
    begin_txn: Arc<Sensor>,
    send_offsets: Arc<Sensor>,
    commit_txn: Arc<Sensor>,
    abort_txn: Arc<Sensor>,
    metadata_wait: Arc<Sensor>,
    errors: Arc<Sensor>,
}

/// The `*-time-ns-total` metrics: (name, description).
pub(crate) const LATENCY_TEMPLATES: &[r::Template] = &[
    (
        "flush-time-ns-total",
        "Total time producer has spent in flush in nanoseconds.",
    ),
    (
        "txn-init-time-ns-total",
        "Total time producer has spent in initTransactions in nanoseconds.",
    ),
    (
        "txn-begin-time-ns-total",
        "Total time producer has spent in beginTransaction in nanoseconds.",
    ),
    (
        "txn-send-offsets-time-ns-total",
        "Total time producer has spent in sendOffsetsToTransaction in nanoseconds.",
    ),
    (
        "txn-commit-time-ns-total",
        "Total time producer has spent in commitTransaction in nanoseconds.",
    ),
    (
        "txn-abort-time-ns-total",
        "Total time producer has spent in abortTransaction in nanoseconds.",
    ),
    (
        "metadata-wait-time-ns-total",
        "Total time producer has spent waiting on topic metadata in nanoseconds.",
    ),
];

fn ns(d: Duration) -> f64 {
    d.as_nanos() as f64
}

impl KafkaProducerMetrics {
    /// Registers the sensors; `errors` is the sender's sensor of the same name (its
    /// `record-error-rate` / `-total`), shared.
    pub(crate) fn new(registry: &SenderMetricsRegistry) -> Self {
        let latency = |i: usize| {
            let (name, description) = LATENCY_TEMPLATES[i];
            let s = registry.metrics().sensor(name);
            s.add(registry.client((name, description)), Stat::cumulative_sum());
            s
        };
        let errors = registry.metrics().sensor("errors");
        errors.add_meter(
            registry.client(r::RECORD_ERROR_RATE),
            registry.client(r::RECORD_ERROR_TOTAL),
            false,
        );
        let start_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_millis() as f64);
        // Java's AppInfoParser: version and commit-id are strings, not kept here.
        registry.metrics().add_gauge(
            registry.in_group(
                "app-info",
                "start-time-ms",
                "Metric indicating start-time-ms",
            ),
            move |_| start_ms,
        );
        KafkaProducerMetrics {
            flush: latency(0),
            init: latency(1),
            begin_txn: latency(2),
            send_offsets: latency(3),
            commit_txn: latency(4),
            abort_txn: latency(5),
            metadata_wait: latency(6),
            errors,
        }
    }

    pub(crate) fn record_flush(&self, d: Duration) {
        self.flush.record(ns(d));
    }

    pub(crate) fn record_init(&self, d: Duration) {
        self.init.record(ns(d));
    }

    pub(crate) fn record_begin_txn(&self, d: Duration) {
        self.begin_txn.record(ns(d));
    }

    pub(crate) fn record_send_offsets(&self, d: Duration) {
        self.send_offsets.record(ns(d));
    }

    pub(crate) fn record_commit_txn(&self, d: Duration) {
        self.commit_txn.record(ns(d));
    }

    pub(crate) fn record_abort_txn(&self, d: Duration) {
        self.abort_txn.record(ns(d));
    }

    pub(crate) fn record_metadata_wait(&self, d: Duration) {
        self.metadata_wait.record(ns(d));
    }

    /// A record refused before it was buffered (Java's `errors.record()` in `doSend`).
    pub(crate) fn record_error(&self) {
        self.errors.record(1.0);
    }
}
