//! The sender's sensors (Java's `Sender.SenderMetrics`): per drained batch and per Produce
//! request, retries, errors, latency, splits and throttling, at client level and per topic,
//! with the `requests-in-flight` and `metadata-age` gauges.
//!
//! The sensors are looked up once: per-topic ones when a topic is first sent to (Java's
//! `maybeRegisterTopicMetrics`), per-node latency ones when a node first answers; each is then
//! kept in a map of the sender, so recording formats no string and takes no registry lock.

use crate::metadata::Metadata;
use crate::metrics::Sensor;
use crate::metrics::stats::Stat;
use crate::producer::internals::batch::ProducerBatch;
use crate::producer::internals::sender_metrics_registry::{self as r, SenderMetricsRegistry};
use rustc_hash::FxHashMap as HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// One topic's sensors.
struct TopicSensors {
    records: Arc<Sensor>,
    bytes: Arc<Sensor>,
    compression_rate: Arc<Sensor>,
    retries: Arc<Sensor>,
    errors: Arc<Sensor>,
}

/// The sender's sensors.
pub(crate) struct SenderSensors {
    registry: SenderMetricsRegistry,
    retry: Arc<Sensor>,
    errors: Arc<Sensor>,
    queue_time: Arc<Sensor>,
    request_time: Arc<Sensor>,
    records_per_request: Arc<Sensor>,
    batch_size: Arc<Sensor>,
    compression_rate: Arc<Sensor>,
    record_size: Arc<Sensor>,
    batch_split: Arc<Sensor>,
    produce_throttle_time: Arc<Sensor>,
    topics: HashMap<Arc<str>, TopicSensors>,
    nodes: HashMap<i32, Arc<Sensor>>,
    /// The client's in-flight request count, published by the sender thread for the
    /// `requests-in-flight` gauge (the client itself lives on the sender thread).
    in_flight: Arc<AtomicUsize>,
}

impl std::fmt::Debug for SenderSensors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SenderSensors")
            .field("topics", &self.topics.len())
            .finish()
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

impl SenderSensors {
    /// Creates the client-level sensors and gauges (Java's `SenderMetrics` constructor and
    /// `Sender.throttleTimeSensor`).
    pub(crate) fn new(registry: SenderMetricsRegistry, metadata: Arc<Metadata>) -> Self {
        let m = registry.metrics().clone();
        let batch_size = m.sensor("batch-size");
        batch_size.add(registry.client(r::BATCH_SIZE_AVG), Stat::avg());
        batch_size.add(registry.client(r::BATCH_SIZE_MAX), Stat::max());
        let compression_rate = m.sensor("compression-rate");
        compression_rate.add(registry.client(r::COMPRESSION_RATE_AVG), Stat::avg());
        let queue_time = m.sensor("queue-time");
        queue_time.add(registry.client(r::RECORD_QUEUE_TIME_AVG), Stat::avg());
        queue_time.add(registry.client(r::RECORD_QUEUE_TIME_MAX), Stat::max());
        let request_time = m.sensor("request-time");
        request_time.add(registry.client(r::REQUEST_LATENCY_AVG), Stat::avg());
        request_time.add(registry.client(r::REQUEST_LATENCY_MAX), Stat::max());
        let records_per_request = m.sensor("records-per-request");
        records_per_request.add_meter(
            registry.client(r::RECORD_SEND_RATE),
            registry.client(r::RECORD_SEND_TOTAL),
            false,
        );
        records_per_request.add(registry.client(r::RECORDS_PER_REQUEST_AVG), Stat::avg());
        let retry = m.sensor("record-retries");
        retry.add_meter(
            registry.client(r::RECORD_RETRY_RATE),
            registry.client(r::RECORD_RETRY_TOTAL),
            false,
        );
        let errors = m.sensor("errors");
        errors.add_meter(
            registry.client(r::RECORD_ERROR_RATE),
            registry.client(r::RECORD_ERROR_TOTAL),
            false,
        );
        let record_size = m.sensor("record-size");
        record_size.add(registry.client(r::RECORD_SIZE_MAX), Stat::max());
        record_size.add(registry.client(r::RECORD_SIZE_AVG), Stat::avg());
        let in_flight = Arc::new(AtomicUsize::new(0));
        let count = in_flight.clone();
        m.add_gauge(registry.client(r::REQUESTS_IN_FLIGHT), move |_| {
            count.load(Ordering::Relaxed) as f64
        });
        m.add_gauge(registry.client(r::METADATA_AGE), move |now| {
            // Java: (now - lastSuccessfulUpdate) / 1000; here 0 before the first update.
            metadata
                .last_successful_update()
                .map_or(0.0, |t| now.saturating_duration_since(t).as_secs_f64())
        });
        let batch_split = m.sensor("batch-split-rate");
        batch_split.add_meter(
            registry.client(r::BATCH_SPLIT_RATE),
            registry.client(r::BATCH_SPLIT_TOTAL),
            false,
        );
        let produce_throttle_time = m.sensor("produce-throttle-time");
        produce_throttle_time.add(registry.client(r::PRODUCE_THROTTLE_TIME_AVG), Stat::avg());
        produce_throttle_time.add(registry.client(r::PRODUCE_THROTTLE_TIME_MAX), Stat::max());
        SenderSensors {
            registry,
            retry,
            errors,
            queue_time,
            request_time,
            records_per_request,
            batch_size,
            compression_rate,
            record_size,
            batch_split,
            produce_throttle_time,
            topics: HashMap::default(),
            nodes: HashMap::default(),
            in_flight,
        }
    }

    /// The sensors of `topic`, created with its metrics on first use (Java's
    /// `maybeRegisterTopicMetrics`).
    fn topic(&mut self, topic: &Arc<str>) -> &TopicSensors {
        let registry = &self.registry;
        self.topics.entry(topic.clone()).or_insert_with(|| {
            let m = registry.metrics();
            let records = m.sensor(&format!("topic.{topic}.records-per-batch"));
            records.add_meter(
                registry.topic(r::TOPIC_RECORD_SEND_RATE, topic),
                registry.topic(r::TOPIC_RECORD_SEND_TOTAL, topic),
                false,
            );
            let bytes = m.sensor(&format!("topic.{topic}.bytes"));
            bytes.add_meter(
                registry.topic(r::TOPIC_BYTE_RATE, topic),
                registry.topic(r::TOPIC_BYTE_TOTAL, topic),
                false,
            );
            let compression_rate = m.sensor(&format!("topic.{topic}.compression-rate"));
            compression_rate.add(
                registry.topic(r::TOPIC_COMPRESSION_RATE, topic),
                Stat::avg(),
            );
            let retries = m.sensor(&format!("topic.{topic}.record-retries"));
            retries.add_meter(
                registry.topic(r::TOPIC_RECORD_RETRY_RATE, topic),
                registry.topic(r::TOPIC_RECORD_RETRY_TOTAL, topic),
                false,
            );
            let errors = m.sensor(&format!("topic.{topic}.record-errors"));
            errors.add_meter(
                registry.topic(r::TOPIC_RECORD_ERROR_RATE, topic),
                registry.topic(r::TOPIC_RECORD_ERROR_TOTAL, topic),
                false,
            );
            TopicSensors {
                records,
                bytes,
                compression_rate,
                retries,
                errors,
            }
        })
    }

    /// One Produce request's batches, closed (Java's `updateProduceRequestMetrics`, per node):
    /// per batch its records, bytes, compression ratio, queue time (drained minus created) and
    /// largest record; per request its record count.
    pub(crate) fn update_produce_request_metrics(
        &mut self,
        batches: &[ProducerBatch],
        now: Instant,
    ) {
        let mut records = 0usize;
        for batch in batches {
            let size = batch.estimated_size_in_bytes() as f64;
            let ratio = f64::from(batch.compression_ratio());
            let t = self.topic(&batch.topic_partition().topic);
            t.records.record_at(batch.record_count() as f64, now);
            t.bytes.record_at(size, now);
            t.compression_rate.record_at(ratio, now);
            self.batch_size.record_at(size, now);
            let drained = batch.drained_at().unwrap_or(now);
            self.queue_time
                .record_at(ms(drained.saturating_duration_since(batch.created())), now);
            self.compression_rate.record_at(ratio, now);
            self.record_size
                .record_at(batch.max_record_size() as f64, now);
            records += batch.record_count();
        }
        self.records_per_request.record_at(records as f64, now);
    }

    /// A batch of `count` records goes back for a retry (Java's `recordRetries`).
    pub(crate) fn record_retries(&mut self, topic: &Arc<str>, count: usize, now: Instant) {
        self.retry.record_at(count as f64, now);
        if let Some(t) = self.topics.get(topic) {
            t.retries.record_at(count as f64, now);
        }
    }

    /// A batch of `count` records failed (Java's `recordErrors`); the topic's sensor records
    /// only once the topic was sent to, as Java's.
    /// `now` is read from the clock when not given (errors are rare).
    pub(crate) fn record_errors(&mut self, topic: &Arc<str>, count: usize, now: Option<Instant>) {
        let now = now.unwrap_or_else(|| self.registry.metrics().time().now());
        self.errors.record_at(count as f64, now);
        if let Some(t) = self.topics.get(topic) {
            t.errors.record_at(count as f64, now);
        }
    }

    /// A Produce response came back from `node` after `latency` (Java's `recordLatency`):
    /// into `request-latency-*` and the node's `node-<id>.latency` sensor (its metrics are
    /// the network client's, in `producer-node-metrics`).
    pub(crate) fn record_latency(&mut self, node: i32, latency: Duration, now: Instant) {
        let latency = ms(latency);
        self.request_time.record_at(latency, now);
        let registry = &self.registry;
        self.nodes
            .entry(node)
            .or_insert_with(|| registry.metrics().sensor(&format!("node-{node}.latency")))
            .record_at(latency, now);
    }

    /// A batch was split (Java's `recordBatchSplit`).
    pub(crate) fn record_batch_split(&self, now: Instant) {
        self.batch_split.record_at(1.0, now);
    }

    /// A Produce response's throttle time (Java's `produce-throttle-time` sensor).
    pub(crate) fn record_throttle(&self, throttle_ms: i32, now: Instant) {
        self.produce_throttle_time
            .record_at(f64::from(throttle_ms.max(0)), now);
    }

    /// Publishes the client's in-flight request count for `requests-in-flight`.
    pub(crate) fn set_in_flight(&self, n: usize) {
        self.in_flight.store(n, Ordering::Relaxed);
    }
}
