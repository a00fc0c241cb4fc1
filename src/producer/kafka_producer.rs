//! `KafkaProducer`: the public handle (Java's `KafkaProducer`).

use crate::cluster::{Cluster, PartitionInfo, TopicPartition};
use crate::config::ProducerConfig;
use crate::consumer::{ConsumerGroupMetadata, OffsetAndMetadata};
use crate::error::{Error, TimeoutKind};
use crate::metadata::{Metadata, MetadataConfig};
use crate::metrics::{KafkaMetric, MetricConfig, MetricName, Metrics, MetricsReporter};
use crate::network::client::{NetworkClient, NetworkConfig};
use crate::producer::delivery::{Callback, RecordFuture};
use crate::producer::interceptor::{InterceptorList, ProducerInterceptor, ProducerInterceptors};
use crate::producer::internals::accumulator::{AccumulatorConfig, RecordAccumulator};
use crate::producer::internals::buffer_pool::BufferPool;
use crate::producer::internals::kafka_producer_metrics::KafkaProducerMetrics;
use crate::producer::internals::sender::{Sender, SenderConfig, SenderControl, SenderMetrics};
use crate::producer::internals::sender_metrics_registry::SenderMetricsRegistry;
use crate::producer::internals::transaction_manager::transactional::Transactional;
use crate::producer::internals::transaction_manager::transactional_request_result::TransactionalRequestResult;
use crate::producer::partitioner::{Partitioner, partition_for_key};
use crate::producer::record::{ProducerRecord, RecordMetadata};
use crate::producer::serializer::{Serializer, serialized_bytes};
use crate::protocol::ErrorCode;
use crate::protocol::record_batch::estimate_size_upper_bound;
use mio::Waker;
use parking_lot::Mutex;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{JoinHandle, ThreadId};
use std::time::{Duration, Instant};

thread_local! {
    /// Per-thread scratch buffers for serialized keys and values: no allocation per record.
    static SCRATCH: RefCell<(Vec<u8>, Vec<u8>)> = const { RefCell::new((Vec::new(), Vec::new())) };
}

/// A Kafka producer: thread-safe, shared by reference (or in an `Arc`) between threads.
///
/// `send` serializes and partitions the record on the calling thread and appends it to an
/// in-memory batch; one background sender thread writes the batches to the brokers and
/// completes the futures and callbacks.
///
/// ```no_run
/// use kafka_producer::{KafkaProducer, ProducerConfig, ProducerRecord};
/// use kafka_producer::producer::serializer::{IntegerSerializer, StringSerializer};
///
/// let config = ProducerConfig::builder().bootstrap_servers("localhost:9092").build()?;
/// let producer = KafkaProducer::new(config, IntegerSerializer, StringSerializer)?;
///
/// // Blocking: wait for the acknowledgement.
/// let md = producer.send(ProducerRecord::with_key_value("demo", 1, "one".to_string())).get()?;
/// println!("partition {} offset {}", md.partition, md.offset);
///
/// // Fire and forget, with a callback run on the sender thread.
/// producer.send_with_callback(
///     ProducerRecord::with_key_value("demo", 2, "two".to_string()),
///     |result| match result {
///         Ok(md) => println!("sent to {}@{}", md.partition, md.offset),
///         Err(e) => eprintln!("failed: {e}"),
///     },
/// );
/// producer.flush()?;
/// producer.close();
/// # Ok::<(), kafka_producer::Error>(())
/// ```
pub struct KafkaProducer<K, V> {
    config: ProducerConfig,
    key_serializer: Box<dyn Serializer<K>>,
    value_serializer: Box<dyn Serializer<V>>,
    partitioner: Option<Box<dyn Partitioner>>,
    /// `None` without interceptors: the send path then does no extra work.
    interceptors: Option<ProducerInterceptors<K, V>>,
    transactional: Option<Arc<Transactional>>,
    accumulator: Arc<RecordAccumulator>,
    metadata: Arc<Metadata>,
    waker: Arc<Waker>,
    control: Arc<SenderControl>,
    closed: AtomicBool,
    sender_thread: Mutex<Option<JoinHandle<()>>>,
    sender_thread_id: ThreadId,
    sender_done: crossbeam_channel::Receiver<()>,
    /// The metrics registry (Java's `metrics`).
    metrics: Metrics,
    /// Java's `KafkaProducerMetrics` and `errors` sensor.
    producer_metrics: KafkaProducerMetrics,
}

/// Counters of what the producer did (see [`KafkaProducer::counters`]).
pub type ProducerMetrics = SenderMetrics;

/// Builds a [`KafkaProducer`] with optional parts: a custom [`Partitioner`], a chain of
/// [`ProducerInterceptor`]s. From [`KafkaProducer::builder`].
///
/// ```no_run
/// use kafka_producer::{KafkaProducer, ProducerConfig};
/// use kafka_producer::producer::serializer::StringSerializer;
///
/// let config = ProducerConfig::builder().bootstrap_servers("localhost:9092").build()?;
/// let producer: KafkaProducer<String, String> =
///     KafkaProducer::builder(config, StringSerializer, StringSerializer).build()?;
/// # Ok::<(), kafka_producer::Error>(())
/// ```
pub struct KafkaProducerBuilder<K, V> {
    config: ProducerConfig,
    key_serializer: Box<dyn Serializer<K>>,
    value_serializer: Box<dyn Serializer<V>>,
    partitioner: Option<Box<dyn Partitioner>>,
    interceptors: InterceptorList<K, V>,
    reporters: UnusedReporters,
}

/// Closes the metrics (their reporters) unless forgotten: a failed build.
struct CloseMetricsOnError(Option<Metrics>);

impl Drop for CloseMetricsOnError {
    fn drop(&mut self) {
        if let Some(m) = self.0.take() {
            m.close();
        }
    }
}

/// Reporters not yet handed to a producer's metrics: closed if the build fails (Java's
/// constructor closes its metrics, and so its reporters, when it fails).
#[derive(Default)]
struct UnusedReporters(Vec<Box<dyn MetricsReporter>>);

impl Drop for UnusedReporters {
    fn drop(&mut self) {
        for mut r in self.0.drain(..) {
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| r.close()));
        }
    }
}

impl<K, V> KafkaProducerBuilder<K, V> {
    /// Uses a custom [`Partitioner`] (Java's `partitioner.class`).
    pub fn partitioner(mut self, p: impl Partitioner + 'static) -> Self {
        self.partitioner = Some(Box::new(p));
        self
    }

    /// Appends an interceptor to the chain (Java's `interceptor.classes`): the chain runs in
    /// the order added.
    pub fn interceptor(mut self, i: impl ProducerInterceptor<K, V> + 'static) -> Self
    where
        K: 'static,
        V: 'static,
    {
        self.interceptors.push(i);
        self
    }

    /// Adds a [`MetricsReporter`] (Java's `metric.reporters`): told of every metric of the
    /// producer, at start and as new ones appear (a topic's, a broker's); closed when the
    /// producer closes.
    ///
    /// ```no_run
    /// use kafka_producer::metrics::{KafkaMetric, MetricsReporter};
    /// use kafka_producer::{KafkaProducer, ProducerConfig};
    /// use kafka_producer::producer::serializer::StringSerializer;
    /// use std::sync::Arc;
    ///
    /// struct LogNames;
    /// impl MetricsReporter for LogNames {
    ///     fn init(&mut self, metrics: &[Arc<KafkaMetric>]) {
    ///         metrics.iter().for_each(|m| self.metric_change(m));
    ///     }
    ///     fn metric_change(&mut self, metric: &Arc<KafkaMetric>) {
    ///         println!("new metric {}", metric.metric_name());
    ///     }
    /// }
    ///
    /// let config = ProducerConfig::builder().bootstrap_servers("localhost:9092").build()?;
    /// let producer: KafkaProducer<String, String> =
    ///     KafkaProducer::builder(config, StringSerializer, StringSerializer)
    ///         .metrics_reporter(LogNames)
    ///         .build()?;
    /// # Ok::<(), kafka_producer::Error>(())
    /// ```
    pub fn metrics_reporter(mut self, r: impl MetricsReporter + 'static) -> Self {
        self.reporters.0.push(Box::new(r));
        self
    }

    /// Builds the producer and starts its sender thread. On failure the interceptors are
    /// closed.
    pub fn build(self) -> Result<KafkaProducer<K, V>, Error> {
        let KafkaProducerBuilder {
            config,
            key_serializer,
            value_serializer,
            partitioner,
            interceptors,
            mut reporters,
        } = self;
        log::info!("{config}");
        let metadata = Arc::new(Metadata::new(
            MetadataConfig {
                refresh_backoff: config.retry_backoff().min(config.retry_backoff_max()),
                refresh_backoff_max: config.retry_backoff_max(),
                metadata_max_age: config.metadata_max_age(),
                metadata_max_idle: config.metadata_max_idle(),
            },
            &crate::network::dns::resolve_bootstrap_servers(
                config.bootstrap_servers(),
                config.client_dns_lookup(),
            )?,
        ));
        let metrics = Metrics::new(
            MetricConfig::new(
                config.metrics_num_samples(),
                config.metrics_sample_window(),
                config.metrics_recording_level(),
            ),
            crate::time::system(),
        );
        // The reporters first, as Java's `Metrics` constructor takes them: each then hears of
        // every metric as it is registered, the sender thread's included. A failed build
        // closes them (the guard), as Java's constructor closes its metrics.
        for r in reporters.0.drain(..) {
            metrics.add_reporter(r);
        }
        let mut metrics_guard = CloseMetricsOnError(Some(metrics.clone()));
        let registry = SenderMetricsRegistry::new(metrics.clone(), config.client_id());
        let producer_metrics = KafkaProducerMetrics::new(&registry);
        let pool = Arc::new(BufferPool::with_metrics(
            config.buffer_memory(),
            config.batch_size(),
            &registry,
        ));
        let accumulator = Arc::new(RecordAccumulator::new(
            AccumulatorConfig {
                batch_size: config.batch_size(),
                linger: config.linger(),
                retry_backoff: config.retry_backoff().min(config.retry_backoff_max()),
                retry_backoff_max: config.retry_backoff_max(),
                delivery_timeout: config.delivery_timeout(),
                adaptive_partitioning: config.partitioner_adaptive_partitioning_enable(),
                partition_availability_timeout: config.partitioner_availability_timeout(),
                compression: config.compression_type().codec(),
                compression_level: match config.compression_type() {
                    crate::config::CompressionType::Gzip => Some(config.compression_gzip_level()),
                    crate::config::CompressionType::Lz4 => Some(config.compression_lz4_level()),
                    crate::config::CompressionType::Zstd => Some(config.compression_zstd_level()),
                    _ => None,
                },
            },
            pool,
        ));
        accumulator.register_metrics(&registry);
        let client = NetworkClient::new(
            NetworkConfig {
                client_id: config.client_id().to_string(),
                max_in_flight: config.max_in_flight_requests_per_connection(),
                request_timeout: config.request_timeout(),
                reconnect_backoff: config.reconnect_backoff(),
                reconnect_backoff_max: config.reconnect_backoff_max(),
                connection_setup_timeout: config.socket_connection_setup_timeout(),
                connection_setup_timeout_max: config.socket_connection_setup_timeout_max(),
                connections_max_idle: config.connections_max_idle(),
                send_buffer: config.send_buffer_bytes(),
                receive_buffer: config.receive_buffer_bytes(),
                allow_auto_create_topics: config.allow_auto_create_topics(),
                rebootstrap: config.metadata_recovery_strategy()
                    == crate::config::MetadataRecoveryStrategy::Rebootstrap,
                rebootstrap_trigger: config.metadata_recovery_rebootstrap_trigger(),
                ssl: if config.security_protocol().uses_tls() {
                    let settings = crate::security::ssl::SslSettings::from_config(&config)?;
                    Some(Arc::new(crate::security::ssl::SslFactory::new(&settings)?))
                } else {
                    None
                },
                sasl: crate::security::sasl::SaslLogin::from_config(&config)?.map(Arc::new),
                metrics: Some(metrics.clone()),
            },
            metadata.clone(),
        )
        .map_err(|e| Error::Network(format!("cannot create the network selector: {e}")))?;
        let waker = client.waker();
        let transactional = config.transactional_id().map(|id| {
            Arc::new(Transactional::new(
                id,
                config.transaction_timeout(),
                config.retry_backoff().min(config.retry_backoff_max()),
            ))
        });
        let control = Arc::new(SenderControl::default());
        control.running.store(true, Ordering::SeqCst);
        let sender = Sender::new(
            client,
            crate::time::system(),
            accumulator.clone(),
            metadata.clone(),
            SenderConfig {
                acks: config.acks().as_i16(),
                max_request_size: config.max_request_size(),
                request_timeout: config.request_timeout(),
                delivery_timeout: config.delivery_timeout(),
                retries: config.retries(),
                guarantee_message_order: config.max_in_flight_requests_per_connection() == 1,
                retry_backoff: config.retry_backoff().min(config.retry_backoff_max()),
                idempotence: config.enable_idempotence(),
                transactional: transactional.clone(),
                metrics: registry,
            },
            control.clone(),
        );
        let (done_tx, done_rx) = crossbeam_channel::bounded(1);
        let interceptors = interceptors.build();
        let closer = interceptors.as_ref().map(|i| i.closer());
        let closer_on_error = closer.clone();
        let metrics_of_thread = metrics.clone();
        let thread = std::thread::Builder::new()
            .name(format!(
                "kafka-producer-network-thread | {}",
                config.client_id()
            ))
            .spawn(move || {
                sender.run();
                // Closed here too, so that a producer closed or dropped on this thread (in a
                // callback, where close cannot wait for the thread) still closes them; both
                // close only once.
                if let Some(c) = closer {
                    c.close();
                }
                metrics_of_thread.close();
                let _ = done_tx.send(());
            })
            .map_err(|e| {
                if let Some(c) = closer_on_error {
                    c.close();
                }
                Error::Network(format!("cannot start the sender thread: {e}"))
            })?;
        let sender_thread_id = thread.thread().id();
        // Built: the producer's close closes the metrics from now on.
        metrics_guard.0 = None;
        Ok(KafkaProducer {
            config,
            key_serializer,
            value_serializer,
            partitioner,
            interceptors,
            transactional,
            accumulator,
            metadata,
            waker,
            control,
            closed: AtomicBool::new(false),
            sender_thread: Mutex::new(Some(thread)),
            sender_thread_id,
            sender_done: done_rx,
            metrics,
            producer_metrics,
        })
    }
}

impl<K, V> KafkaProducer<K, V> {
    /// A builder, for a producer with a custom partitioner or interceptors.
    pub fn builder(
        config: ProducerConfig,
        key_serializer: impl Serializer<K> + 'static,
        value_serializer: impl Serializer<V> + 'static,
    ) -> KafkaProducerBuilder<K, V> {
        KafkaProducerBuilder {
            config,
            key_serializer: Box::new(key_serializer),
            value_serializer: Box::new(value_serializer),
            partitioner: None,
            interceptors: InterceptorList::default(),
            reporters: UnusedReporters::default(),
        }
    }

    /// Builds a producer and starts its sender thread.
    pub fn new(
        config: ProducerConfig,
        key_serializer: impl Serializer<K> + 'static,
        value_serializer: impl Serializer<V> + 'static,
    ) -> Result<Self, Error> {
        Self::builder(config, key_serializer, value_serializer).build()
    }

    /// Builds a producer with a custom [`Partitioner`] (see also [`builder`](Self::builder)).
    pub fn with_partitioner(
        config: ProducerConfig,
        key_serializer: impl Serializer<K> + 'static,
        value_serializer: impl Serializer<V> + 'static,
        partitioner: Option<Box<dyn Partitioner>>,
    ) -> Result<Self, Error> {
        let mut builder = Self::builder(config, key_serializer, value_serializer);
        builder.partitioner = partitioner;
        builder.build()
    }

    /// The configuration in use.
    pub fn config(&self) -> &ProducerConfig {
        &self.config
    }

    /// What the producer did so far: requests, batches, records, retries, connections.
    ///
    /// A snapshot the sender thread publishes once per loop, so right after a future completes
    /// it may not count that record yet; after [`close`](Self::close) it is exact. These are
    /// this crate's own counts (epoch bumps, authentications, ...); Java's metrics are
    /// [`metrics`](Self::metrics).
    ///
    /// ```no_run
    /// # use kafka_producer::{KafkaProducer, ProducerConfig};
    /// # use kafka_producer::producer::serializer::StringSerializer;
    /// # let config = ProducerConfig::builder().bootstrap_servers("localhost:9092").build()?;
    /// let producer: KafkaProducer<String, String> =
    ///     KafkaProducer::new(config, StringSerializer, StringSerializer)?;
    /// producer.close();
    /// let c = producer.counters();
    /// println!("{} produce requests, {} epoch bumps", c.produce_requests, c.epoch_bumps);
    /// # Ok::<(), kafka_producer::Error>(())
    /// ```
    pub fn counters(&self) -> ProducerMetrics {
        *self.control.metrics.lock()
    }

    /// The producer's metrics, by name (Java's `metrics()`): those of the Java producer, with
    /// its names, groups (`producer-metrics`, `producer-topic-metrics`,
    /// `producer-node-metrics`, `app-info`), tags and meanings. Each [`KafkaMetric`] reads its
    /// current value when asked.
    ///
    /// ```
    /// # #[cfg(feature = "mock")] {
    /// use kafka_producer::mock::MockCluster;
    /// use kafka_producer::producer::serializer::StringSerializer;
    /// use kafka_producer::{KafkaProducer, ProducerConfig, ProducerRecord};
    ///
    /// let cluster = MockCluster::new(1);
    /// cluster.create_topic("t", 1);
    /// let config = ProducerConfig::builder()
    ///     .bootstrap_servers(cluster.bootstrap_servers())
    ///     .build()?;
    /// let producer: KafkaProducer<String, String> =
    ///     KafkaProducer::new(config, StringSerializer, StringSerializer)?;
    /// producer.send(ProducerRecord::new("t", "v".to_string())).get()?;
    /// let sent = producer
    ///     .metrics()
    ///     .into_iter()
    ///     .find(|(n, _)| n.group() == "producer-metrics" && n.name() == "record-send-total")
    ///     .map(|(_, m)| m.metric_value());
    /// assert_eq!(sent, Some(1.0));
    /// # }
    /// # Ok::<(), kafka_producer::Error>(())
    /// ```
    pub fn metrics(&self) -> HashMap<MetricName, Arc<KafkaMetric>> {
        self.metrics.metrics()
    }

    fn wakeup(&self) {
        // One wake-up per sender round is enough (as Java's selector.wakeup). Once a wake-up
        // is pending (the common case while batches queue up: every append then asks for
        // one), a load answers without writing the cache line the sender thread clears: the
        // sender clears the flag before it looks for work, so a caller that still sees it set
        // made its change before that look (through the queue lock, or the flag's order).
        if self.control.wake_pending.load(Ordering::SeqCst)
            || self.control.wake_pending.swap(true, Ordering::SeqCst)
        {
            return;
        }
        if let Err(e) = self.waker.wake() {
            log::error!("Failed to wake the sender thread: {e}");
        }
    }

    /// Wakes the sender even when a wake-up is marked pending, for state the sender reads only
    /// between rounds (`running`, `force_close`): the round of a pending wake-up may have
    /// started, and looked at that state, before it changed.
    fn wakeup_always(&self) {
        self.control.wake_pending.store(true, Ordering::SeqCst);
        if let Err(e) = self.waker.wake() {
            log::error!("Failed to wake the sender thread: {e}");
        }
    }

    /// Sends a record; returns a future of its metadata. Errors found before the record is
    /// buffered (closed producer, metadata timeout, serialization, size, buffer memory) come
    /// back through the future. The [interceptors](KafkaProducerBuilder::interceptor) see the
    /// record first and its outcome before the future completes.
    #[must_use = "the future is the only way to learn the outcome; use send_with_callback otherwise"]
    pub fn send(&self, record: ProducerRecord<K, V>) -> RecordFuture {
        if let Some(interceptors) = &self.interceptors {
            return self.send_intercepted(interceptors, record, None);
        }
        match self.do_send(record, None) {
            Ok(f) => f,
            Err((e, _)) => {
                self.record_send_error(&e);
                RecordFuture::failed(e)
            }
        }
    }

    /// Sends a record; `callback` runs exactly once with its metadata or error (on the sender
    /// thread once the record is buffered, else at once on the calling thread).
    pub fn send_with_callback(
        &self,
        record: ProducerRecord<K, V>,
        callback: impl FnOnce(Result<RecordMetadata, Error>) + Send + 'static,
    ) -> RecordFuture {
        if let Some(interceptors) = &self.interceptors {
            return self.send_intercepted(interceptors, record, Some(Callback::new(callback)));
        }
        match self.do_send(record, Some(Callback::new(callback))) {
            Ok(f) => f,
            Err((e, cb)) => {
                self.record_send_error(&e);
                if let Some(cb) = cb {
                    crate::producer::delivery::run_callback(cb, Err(e.clone()));
                }
                RecordFuture::failed(e)
            }
        }
    }

    /// `send` through the interceptors (Java's `send`: `interceptors.onSend`, then `doSend`
    /// with an `AppendCallbacks` that calls `onAcknowledgement` before the user's callback,
    /// and `onSendError` for a record refused before it was buffered).
    fn send_intercepted(
        &self,
        interceptors: &ProducerInterceptors<K, V>,
        mut record: ProducerRecord<K, V>,
        user: Option<Callback>,
    ) -> RecordFuture {
        interceptors.on_send(&mut record);
        let partition = record.partition.unwrap_or(-1);
        let (callback, target) = interceptors.callback(&record.topic, user);
        match self.do_send(record, Some(callback)) {
            Ok(f) => {
                target.appended(f.appended_partition().unwrap_or(-1));
                f
            }
            Err((e, cb)) => {
                self.record_send_error(&e);
                target.refused(partition);
                match cb {
                    Some(cb) => crate::producer::delivery::run_callback(cb, Err(e.clone())),
                    None => interceptors.on_send_error(target.topic(), partition, &e),
                }
                RecordFuture::failed(e)
            }
        }
    }

    /// Java's `errors.record()` in `doSend`: a record refused before it was buffered counts
    /// in `record-error-rate` / `-total` (not a send on a closed producer, an
    /// `IllegalStateException` in Java).
    fn record_send_error(&self, e: &Error) {
        if !matches!(e, Error::ProducerClosed(_)) {
            self.producer_metrics.record_error();
        }
    }

    fn do_send(
        &self,
        record: ProducerRecord<K, V>,
        callback: Option<Callback>,
    ) -> Result<RecordFuture, (Error, Option<Callback>)> {
        if self.closed.load(Ordering::SeqCst) {
            return Err((
                Error::ProducerClosed(
                    "Cannot perform operation after producer has been closed".into(),
                ),
                callback,
            ));
        }
        if self.control.has_fatal_error.load(Ordering::Relaxed) {
            if let Some(err) = self.control.fatal_error.lock().clone() {
                return Err((err, callback));
            }
        }
        let Some(t) = &self.transactional else {
            return self.do_send_unchecked(record, callback);
        };
        // The gate keeps a commit or abort from ending the transaction while this record is
        // being appended (its EndTxn waits for the gate, then for the record's batch).
        let _gate = match t.enter_send() {
            Ok(g) => g,
            Err(e) => return Err((e, callback)),
        };
        let result = self.do_send_unchecked(record, callback);
        if let Err((e, _)) = &result {
            // Java's `doSend` catch of an `ApiException`: a record of the transaction that
            // could not even be buffered (metadata or buffer timeout, too large, topic not
            // authorized) makes the transaction abortable, so its commit fails.
            if matches!(
                e,
                Error::Timeout { .. }
                    | Error::RecordTooLarge { .. }
                    | Error::Broker { .. }
                    | Error::Authentication { .. }
                    | Error::UnsupportedVersion(_)
            ) {
                t.lock().batch_failed(e);
            }
        }
        result
    }

    /// `do_send` after the producer's and the transaction's state checks.
    fn do_send_unchecked(
        &self,
        mut record: ProducerRecord<K, V>,
        callback: Option<Callback>,
    ) -> Result<RecordFuture, (Error, Option<Callback>)> {
        if let Some(ts) = record.timestamp.filter(|ts| *ts < 0) {
            return Err((
                Error::InvalidRecord(format!(
                    "Invalid timestamp: {ts}. Timestamp should always be non-negative or null."
                )),
                callback,
            ));
        }
        // One clock read per send (Java's `time.milliseconds()` in `doSend`): the wall clock,
        // for the record's timestamp and the topic's registration.
        let now_ms = crate::time::wall_clock_ms();
        let (cluster, waited, count) =
            match self.wait_on_metadata(&record.topic, record.partition, now_ms) {
                Ok(x) => x,
                Err(e) => return Err((e, callback)),
            };
        let remaining = self.config.max_block().saturating_sub(waited);
        SCRATCH.with(|scratch| {
            let mut scratch = scratch.borrow_mut();
            let (kbuf, vbuf) = &mut *scratch;
            kbuf.clear();
            vbuf.clear();
            let record = &mut record;
            // Bytes and strings go into the batch as they are, with no copy into the scratch
            // buffers (`borrow_serialized`).
            let key = match &record.key {
                Some(k) => match serialized_bytes(
                    &*self.key_serializer,
                    &record.topic,
                    &mut record.headers,
                    k,
                    kbuf,
                ) {
                    Ok(bytes) => Some(bytes),
                    Err(e) => return Err((serialization_error("key", e), callback)),
                },
                None => None,
            };
            let value = match &record.value {
                Some(v) => match serialized_bytes(
                    &*self.value_serializer,
                    &record.topic,
                    &mut record.headers,
                    v,
                    vbuf,
                ) {
                    Ok(bytes) => Some(bytes),
                    Err(e) => return Err((serialization_error("value", e), callback)),
                },
                None => None,
            };
            let partition = match self.partition(record, key, value, count, &cluster) {
                Ok(p) => p,
                Err(e) => return Err((e, callback)),
            };
            let size = estimate_size_upper_bound(key, value, &record.headers);
            if let Err(e) = self.ensure_valid_record_size(size) {
                return Err((e, callback));
            }
            // Read again after a wait for metadata (Java's `nowMs += waitedOnMetadataMs`).
            let timestamp = record.timestamp.unwrap_or_else(|| {
                if waited.is_zero() {
                    now_ms
                } else {
                    crate::time::wall_clock_ms()
                }
            });
            let result = self.accumulator.append(
                &record.topic,
                partition,
                timestamp,
                key,
                value,
                &record.headers,
                callback,
                remaining,
                &cluster,
            )?;
            // The partition joins the transaction with its first batch of the transaction: a
            // record appended to an existing batch finds it added already (the batches of the
            // last transaction were all complete before its EndTxn, which waits for the gate).
            if let (Some(t), true) = (&self.transactional, result.new_batch_created) {
                t.lock().maybe_add_partition(&TopicPartition::new(
                    record.topic.clone(),
                    result.partition,
                ));
            }
            if (result.batch_is_full || result.new_batch_created)
                && !self.control.sends_blocked.load(Ordering::SeqCst)
            {
                // Skipped while the sender could not send the batch before a response wakes
                // it anyway: it clears `sends_blocked` before it looks at the queues, so a
                // caller that still sees it set appended before that look.
                self.wakeup();
            }
            Ok(result.future)
        })
    }

    fn ensure_valid_record_size(&self, size: usize) -> Result<(), Error> {
        if size > self.config.max_request_size() {
            return Err(Error::RecordTooLarge {
                size,
                limit: self.config.max_request_size(),
                setting: "max.request.size",
            });
        }
        if size > self.config.buffer_memory() {
            return Err(Error::RecordTooLarge {
                size,
                limit: self.config.buffer_memory(),
                setting: "buffer.memory",
            });
        }
        Ok(())
    }

    /// Java's `partition()`: the record's partition, a custom partitioner's choice, the key's
    /// murmur2 hash, or `None` for the built-in sticky partitioner.
    fn partition(
        &self,
        record: &ProducerRecord<K, V>,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        count: usize,
        cluster: &Cluster,
    ) -> Result<Option<i32>, Error> {
        if let Some(p) = record.partition {
            return Ok(Some(p));
        }
        if let Some(custom) = &self.partitioner {
            if let Some(p) = custom.partition(&record.topic, key, value, cluster) {
                if p < 0 || p as usize >= count {
                    return Err(Error::InvalidPartition {
                        topic: record.topic.to_string(),
                        partition: p,
                        partitions: count,
                    });
                }
                return Ok(Some(p));
            }
        }
        match key {
            Some(k) if !self.config.partitioner_ignore_keys() && count > 0 => {
                Ok(Some(partition_for_key(k, count)))
            }
            _ => Ok(None),
        }
    }

    /// Java's `waitOnMetadata`: registers the topic and waits (at most `max.block.ms`) until
    /// metadata knows it and, for an explicit partition, that partition. Returns the cluster,
    /// the time waited and the topic's partition count.
    fn wait_on_metadata(
        &self,
        topic: &str,
        partition: Option<i32>,
        now_ms: i64,
    ) -> Result<(crate::metadata::LocalCluster, Duration, usize), Error> {
        if let Some(p) = partition {
            if p < 0 {
                return Err(Error::InvalidPartition {
                    topic: topic.to_owned(),
                    partition: p,
                    partitions: 0,
                });
            }
        }
        // The monotonic clock is read only when the metadata must be registered or waited for.
        let mut started: Option<Instant> = None;
        let mut start = || *started.get_or_insert_with(Instant::now);
        let (mut cluster, mut partitions) = self.metadata.topic_for_send(topic, now_ms, &mut start);
        let mut refreshed = false;
        loop {
            if let Some(count) = partitions {
                match partition {
                    Some(p) if p as usize >= count => {
                        if refreshed {
                            return Err(Error::InvalidPartition {
                                topic: topic.to_owned(),
                                partition: p,
                                partitions: count,
                            });
                        }
                    }
                    // The common case, metadata already known, reads no clock.
                    _ if !refreshed => return Ok((cluster, Duration::ZERO, count)),
                    _ => {
                        let waited = start().elapsed();
                        self.producer_metrics.record_metadata_wait(waited);
                        return Ok((cluster, waited, count));
                    }
                }
            }
            if let Some(code) = cluster.topic_error(topic) {
                if code == ErrorCode::TOPIC_AUTHORIZATION_FAILED
                    || code == ErrorCode::INVALID_TOPIC_EXCEPTION
                {
                    return Err(Error::broker(code, Some(format!("topic {topic}"))));
                }
            }
            if self.closed.load(Ordering::SeqCst) {
                return Err(Error::ProducerClosed(
                    "Producer closed while waiting for metadata".into(),
                ));
            }
            let version = self.metadata.request_update();
            self.wakeup();
            let deadline = start() + self.config.max_block();
            if let Err(e) = self.metadata.await_update(version, deadline) {
                let waited = start().elapsed().as_millis();
                return Err(
                    match (e, cluster.partition_count_for_topic(topic), partition) {
                        (Error::Timeout { .. }, Some(count), Some(p)) => Error::timeout(
                            TimeoutKind::Metadata,
                            format!(
                                "Partition {p} of topic {topic} with partition count {count} is not present in metadata after {waited} ms."
                            ),
                        ),
                        (Error::Timeout { .. }, _, _) => Error::timeout(
                            TimeoutKind::Metadata,
                            format!("Topic {topic} not present in metadata after {waited} ms."),
                        ),
                        (other, _, _) => other,
                    },
                );
            }
            refreshed = true;
            cluster = self.metadata.fetch_local();
            partitions = cluster.partition_count_for_topic(topic);
        }
    }

    /// Prepares a transactional producer (`transactional.id` set): finds the transaction
    /// coordinator, fences any earlier producer with the same `transactional.id`, completes or
    /// aborts the transaction it left open, and gets the producer id and epoch. Call it once,
    /// before any other transactional method (Java's `initTransactions`).
    ///
    /// Blocks at most `max.block.ms`; on [`TimeoutKind::Transaction`] the initialization goes
    /// on in the background and calling again waits for it.
    ///
    /// ```no_run
    /// use kafka_producer::{KafkaProducer, ProducerConfig, ProducerRecord};
    /// use kafka_producer::producer::serializer::StringSerializer;
    ///
    /// let config = ProducerConfig::builder()
    ///     .bootstrap_servers("localhost:9092")
    ///     .transactional_id("orders-writer-1")
    ///     .build()?;
    /// let producer: KafkaProducer<String, String> =
    ///     KafkaProducer::new(config, StringSerializer, StringSerializer)?;
    /// producer.init_transactions()?;
    /// producer.begin_transaction()?;
    /// producer.send(ProducerRecord::with_key_value("orders", "k".into(), "v".into()));
    /// match producer.commit_transaction() {
    ///     Ok(()) => {}
    ///     Err(e) if e.is_abortable() => producer.abort_transaction()?,
    ///     Err(e) => return Err(e), // fenced or fatal: close the producer
    /// }
    /// # Ok::<(), kafka_producer::Error>(())
    /// ```
    pub fn init_transactions(&self) -> Result<(), Error> {
        let start = Instant::now();
        let t = self.transactional_for("init_transactions")?;
        let result = t.lock().initialize_transactions()?;
        self.await_transactional(t, &result)?;
        self.producer_metrics.record_init(start.elapsed());
        Ok(())
    }

    /// Starts a transaction: the records sent until [`commit_transaction`](Self::commit_transaction)
    /// or [`abort_transaction`](Self::abort_transaction) become visible to `read_committed`
    /// consumers all together, or not at all (Java's `beginTransaction`). Does not block.
    pub fn begin_transaction(&self) -> Result<(), Error> {
        let start = Instant::now();
        let t = self.transactional_for("begin_transaction")?;
        t.lock().begin_transaction()?;
        self.producer_metrics.record_begin_txn(start.elapsed());
        Ok(())
    }

    /// Adds consumed offsets to the current transaction: they are committed to the consumer
    /// group `group_metadata` names if and only if the transaction commits (the
    /// consume-transform-produce loop of exactly-once pipelines; Java's
    /// `sendOffsetsToTransaction`). Blocks at most `max.block.ms`.
    ///
    /// ```no_run
    /// # use kafka_producer::{KafkaProducer, TopicPartition};
    /// # use kafka_producer::consumer::{ConsumerGroupMetadata, OffsetAndMetadata};
    /// # fn f(producer: &KafkaProducer<String, String>) -> kafka_producer::Result<()> {
    /// let mut offsets = std::collections::HashMap::new();
    /// offsets.insert(TopicPartition::new("input", 0), OffsetAndMetadata::new(1234));
    /// producer.send_offsets_to_transaction(&offsets, &ConsumerGroupMetadata::new("my-app"))?;
    /// # Ok(()) }
    /// ```
    pub fn send_offsets_to_transaction(
        &self,
        offsets: &HashMap<TopicPartition, OffsetAndMetadata>,
        group_metadata: &ConsumerGroupMetadata,
    ) -> Result<(), Error> {
        let t = self.transactional_for("send_offsets_to_transaction")?;
        if group_metadata.group_id.is_empty() {
            return Err(Error::IllegalState(
                "send_offsets_to_transaction needs the consumer group's id".into(),
            ));
        }
        if offsets.is_empty() {
            return Ok(());
        }
        let start = Instant::now();
        let result = t
            .lock()
            .send_offsets_to_transaction(offsets, group_metadata)?;
        self.await_transactional(t, &result)?;
        self.producer_metrics.record_send_offsets(start.elapsed());
        Ok(())
    }

    /// Commits the current transaction: sends what is buffered, waits for every record of the
    /// transaction to be acknowledged, then has the coordinator write the commit markers
    /// (Java's `commitTransaction`). Blocks at most `max.block.ms`.
    ///
    /// When a record of the transaction failed, fails with [`Error::TransactionAbortable`]:
    /// call [`abort_transaction`](Self::abort_transaction). [`Error::ProducerFenced`] and
    /// [`Error::TransactionFatal`] mean the producer must be closed.
    pub fn commit_transaction(&self) -> Result<(), Error> {
        let start = Instant::now();
        let t = self.transactional_for("commit_transaction")?;
        let result = t.lock().begin_commit()?;
        self.await_transactional(t, &result)?;
        self.producer_metrics.record_commit_txn(start.elapsed());
        Ok(())
    }

    /// Aborts the current transaction: records not yet sent fail with
    /// [`Error::TransactionAborted`], records already written are never shown to
    /// `read_committed` consumers (Java's `abortTransaction`). Blocks at most `max.block.ms`.
    pub fn abort_transaction(&self) -> Result<(), Error> {
        let start = Instant::now();
        let t = self.transactional_for("abort_transaction")?;
        let result = t.lock().begin_abort()?;
        self.await_transactional(t, &result)?;
        self.producer_metrics.record_abort_txn(start.elapsed());
        Ok(())
    }

    /// The transactional state, for a transactional method called on an open producer from a
    /// caller thread (Java's `throwIfNoTransactionManager`, `throwIfProducerClosed`).
    fn transactional_for(&self, method: &str) -> Result<&Arc<Transactional>, Error> {
        let Some(t) = &self.transactional else {
            return Err(Error::IllegalState(format!(
                "Cannot use transactional methods ({method}) without enabling transactions by \
                 setting the transactional.id configuration property"
            )));
        };
        if self.closed.load(Ordering::SeqCst) {
            return Err(Error::ProducerClosed(
                "Cannot perform operation after producer has been closed".into(),
            ));
        }
        if std::thread::current().id() == self.sender_thread_id {
            return Err(Error::IllegalState(format!(
                "{method} invocation inside a callback is not permitted because it would wait \
                 for the sender thread, which runs the callback (a deadlock)"
            )));
        }
        Ok(t)
    }

    /// Wakes the sender and waits at most `max.block.ms` for a transactional call's outcome.
    fn await_transactional(
        &self,
        t: &Transactional,
        result: &Arc<TransactionalRequestResult>,
    ) -> Result<(), Error> {
        self.wakeup();
        let max_block = self.config.max_block();
        let outcome = result.await_until(Instant::now() + max_block, max_block.as_millis());
        if result.is_acked() {
            t.lock().ack(result);
        }
        outcome
    }

    /// The partitions of a topic, waiting at most `max.block.ms` for its metadata.
    pub fn partitions_for(&self, topic: &str) -> Result<Vec<PartitionInfo>, Error> {
        if self.closed.load(Ordering::SeqCst) {
            return Err(Error::ProducerClosed(
                "Cannot perform operation after producer has been closed".into(),
            ));
        }
        let (cluster, _, _) = self.wait_on_metadata(topic, None, crate::time::wall_clock_ms())?;
        Ok(cluster.partitions_for_topic(topic).to_vec())
    }

    /// A dump of the producer's internal state, for debugging a producer that seems stuck:
    /// per partition the queued batches (first batch's sequence, attempts, retry backoff
    /// left), the batches in flight and, with idempotence, the sequence state (next and last
    /// acknowledged sequence, in-flight sequences, epoch); per broker the connection state
    /// and requests in flight. `flush()` and `close()` log it (warn) once when they have
    /// waited longer than `request.timeout.ms`.
    ///
    /// The sender thread writes it at its next round; if it does not answer within two
    /// seconds, the dump holds what the calling thread can see (the queues).
    ///
    /// ```no_run
    /// # use kafka_producer::{KafkaProducer, ProducerConfig};
    /// # use kafka_producer::producer::serializer::StringSerializer;
    /// # let config = ProducerConfig::builder().bootstrap_servers("localhost:9092").build()?;
    /// let producer: KafkaProducer<String, String> =
    ///     KafkaProducer::new(config, StringSerializer, StringSerializer)?;
    /// eprintln!("{}", producer.debug_state());
    /// # Ok::<(), kafka_producer::Error>(())
    /// ```
    pub fn debug_state(&self) -> String {
        let ticket = self.control.dump.ask();
        self.wakeup();
        let wait = Duration::from_secs(2);
        if std::thread::current().id() != self.sender_thread_id {
            if let Some(text) = self.control.dump.wait(ticket, Instant::now() + wait) {
                return text;
            }
        }
        let now = Instant::now();
        let mut out = format!(
            "Kafka producer state (client.id {}): the sender thread did not answer within {} ms (busy, stopped, or this is its own thread); queues only:\n",
            self.config.client_id(),
            wait.as_millis()
        );
        let queues = self.accumulator.describe_queues(now);
        if queues.is_empty() {
            out.push_str("  no batch queued\n");
        }
        for (tp, line) in queues {
            out.push_str(&format!("  partition {tp}: {line}\n"));
        }
        out
    }

    fn warn_slow(&self, what: &str) {
        log::warn!(
            "{what} has waited more than request.timeout.ms ({} ms) for records to complete; {}",
            self.config.request_timeout().as_millis(),
            self.debug_state()
        );
    }

    /// Makes every buffered record sendable at once and waits until all records sent before
    /// the call are acknowledged or failed (their outcomes are in their futures and callbacks).
    ///
    /// Fails with [`Error::IllegalState`], without waiting, when called from a callback: the
    /// callback runs on the sender thread, which the flush would wait for (a deadlock), as
    /// Java's `flush()` throws there.
    pub fn flush(&self) -> Result<(), Error> {
        if std::thread::current().id() == self.sender_thread_id {
            let message = "KafkaProducer.flush() invocation inside a callback is not permitted \
                           because it may lead to deadlock.";
            log::error!("{message}");
            return Err(Error::IllegalState(message.into()));
        }
        log::trace!("Flushing accumulated records in producer.");
        let start = Instant::now();
        self.accumulator.begin_flush();
        self.wakeup();
        self.accumulator.await_flush_completion_or(
            None,
            Some(self.config.request_timeout()),
            || self.warn_slow("flush()"),
        );
        self.producer_metrics.record_flush(start.elapsed());
        Ok(())
    }

    /// Closes the producer: refuses new sends, delivers what is buffered, waits for it and
    /// stops the sender thread.
    pub fn close(&self) {
        self.close_timeout(Duration::MAX);
    }

    /// Closes the producer, waiting at most `timeout` for buffered records to be delivered;
    /// records still pending then fail with [`Error::ProducerClosed`]. `Duration::ZERO` fails
    /// every pending record at once.
    pub fn close_timeout(&self, timeout: Duration) {
        let first = !self.closed.swap(true, Ordering::SeqCst);
        let on_sender_thread = std::thread::current().id() == self.sender_thread_id;
        let timeout = if on_sender_thread {
            if !timeout.is_zero() {
                log::warn!(
                    "Overriding close timeout {} ms to 0 ms in order to prevent useless blocking due to self-join. \
                     This means you have incorrectly invoked close with a non-zero timeout from the producer call-back.",
                    timeout.as_millis()
                );
            }
            Duration::ZERO
        } else {
            timeout
        };
        if first {
            log::info!(
                "Closing the Kafka producer with timeoutMillis = {} ms.",
                timeout.as_millis().min(u64::MAX as u128)
            );
        }
        self.accumulator.close();
        if timeout.is_zero() {
            self.control.force_close.store(true, Ordering::SeqCst);
        }
        self.control.running.store(false, Ordering::SeqCst);
        self.wakeup_always();
        if on_sender_thread {
            return;
        }
        // Done when the thread said so, or already gone (a repeated close). After
        // request.timeout.ms of waiting, the state is logged once.
        let start = Instant::now();
        let deadline = start.checked_add(timeout);
        let slow_at = start + self.config.request_timeout();
        let done_by = |at: Instant| {
            !matches!(
                self.sender_done.recv_deadline(at),
                Err(crossbeam_channel::RecvTimeoutError::Timeout)
            )
        };
        let mut finished = done_by(deadline.map_or(slow_at, |d| d.min(slow_at)));
        if !finished && deadline.is_none_or(|d| d > slow_at) {
            self.warn_slow("close()");
            finished = match deadline {
                Some(d) => done_by(d),
                None => {
                    let _ = self.sender_done.recv();
                    true
                }
            };
        }
        if !finished {
            log::info!(
                "Proceeding to force close the producer since pending requests could not be completed within timeout {} ms.",
                timeout.as_millis()
            );
            self.control.force_close.store(true, Ordering::SeqCst);
            self.wakeup_always();
        }
        if let Some(t) = self.sender_thread.lock().take() {
            if t.join().is_err() {
                log::error!("The sender thread panicked");
            }
        }
        self.metadata.close();
        self.accumulator.pool().close();
        self.metrics.close();
        if let Some(p) = &self.partitioner {
            if first {
                p.close();
            }
        }
        // Once, even when the first close ran on the sender thread and returned early.
        if let Some(i) = &self.interceptors {
            i.close();
        }
        log::debug!("Kafka producer has been closed");
    }
}

impl<K, V> Drop for KafkaProducer<K, V> {
    fn drop(&mut self) {
        self.close();
    }
}

fn serialization_error(what: &str, e: Error) -> Error {
    match e {
        Error::Serialization(m) => Error::Serialization(format!("{what}: {m}")),
        other => Error::Serialization(format!("{what}: {other}")),
    }
}

#[cfg(test)]
mod wakeup_tests {
    use super::*;
    use crate::mock::MockCluster;
    use crate::producer::serializer::StringSerializer;

    /// A producer on a one-broker `MockCluster` whose topic "t" has `partitions`, with
    /// `linger`, once a first record (partition 0, flushed) is acknowledged and the sender has
    /// settled into its idle poll (nothing queued, nothing in flight).
    fn idle_producer(
        partitions: usize,
        linger: Duration,
    ) -> (MockCluster, KafkaProducer<String, String>) {
        let cluster = MockCluster::new(1);
        cluster.create_topic("t", partitions);
        let config = ProducerConfig::builder()
            .bootstrap_servers(cluster.bootstrap_servers())
            .linger(linger)
            .build()
            .unwrap();
        let producer: KafkaProducer<String, String> =
            KafkaProducer::new(config, StringSerializer, StringSerializer).unwrap();
        let first = producer.send(ProducerRecord::new("t", "v".to_string()).with_partition(0));
        producer.flush().unwrap();
        first.get_timeout(Duration::from_secs(20)).unwrap();
        std::thread::sleep(Duration::from_millis(300));
        (cluster, producer)
    }

    /// `close()` wakes the sender even when a wake-up is still marked pending: the flag stays
    /// set from an append whose eventfd write a past round already consumed until the next
    /// round starts, and the sender reads `running` only between rounds. A `close()` that
    /// trusted the flag waited for the idle sender's poll to time out (found in review).
    #[test]
    fn close_wakes_the_sender_even_with_a_wake_up_marked_pending() {
        let (_cluster, producer) = idle_producer(1, Duration::from_millis(5));
        // Leave the flag as a consumed wake-up leaves it.
        producer.control.wake_pending.store(true, Ordering::SeqCst);
        let start = Instant::now();
        producer.close();
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "close() took {:?}",
            start.elapsed()
        );
    }

    /// A caller that opens a new batch skips the sender's wake-up while the sender marked
    /// `sends_blocked`, and wakes it otherwise. Whether the sender ran a round is read off a
    /// state dump asked without a wake-up: the sender answers it at the start of its next round.
    #[test]
    fn a_new_batch_skips_the_wake_up_only_while_sends_are_blocked() {
        let (_cluster, producer) = idle_producer(2, Duration::from_secs(600));
        let control = &producer.control;
        control.sends_blocked.store(true, Ordering::SeqCst);
        control.dump.ask();
        let blocked = producer.send(ProducerRecord::new("t", "a".to_string()).with_partition(0));
        std::thread::sleep(Duration::from_millis(300));
        assert!(
            control.dump.is_asked(),
            "the sender was woken while sends were blocked"
        );
        control.sends_blocked.store(false, Ordering::SeqCst);
        let free = producer.send(ProducerRecord::new("t", "b".to_string()).with_partition(1));
        let deadline = Instant::now() + Duration::from_secs(10);
        while control.dump.is_asked() {
            assert!(
                Instant::now() < deadline,
                "the sender was not woken for a new batch"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        producer.flush().unwrap();
        for f in [blocked, free] {
            f.get_timeout(Duration::from_secs(20)).unwrap();
        }
        producer.close();
    }
}
