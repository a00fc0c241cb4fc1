//! Producer interceptors: code that sees (and may change) every record before it is sent and
//! learns every record's outcome (Java's `ProducerInterceptor`, `ProducerInterceptors` and
//! `KafkaProducer.InterceptorCallback`).
//!
//! Add them with [`KafkaProducerBuilder::interceptor`](crate::producer::kafka_producer::KafkaProducerBuilder::interceptor);
//! they form a chain run in the order added.

use crate::error::Error;
use crate::producer::delivery::Callback;
use crate::producer::record::{ProducerRecord, RecordMetadata};
use std::marker::PhantomData;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

/// Sees every record before it is serialized and partitioned, and every record's outcome, as
/// Java's `org.apache.kafka.clients.producer.ProducerInterceptor`.
///
/// The methods run on the producer's threads: keep them short. An `Err` or a panic is logged
/// (warn) and ignored: the send goes on, and the next interceptor of the chain still runs.
///
/// ```no_run
/// use kafka_producer::{Error, KafkaProducer, ProducerConfig, ProducerInterceptor, ProducerRecord, RecordMetadata};
/// use kafka_producer::producer::serializer::StringSerializer;
/// use std::sync::atomic::{AtomicU64, Ordering};
///
/// /// Stamps every record with the sending host and counts failures.
/// #[derive(Default)]
/// struct Stamp {
///     failed: AtomicU64,
/// }
///
/// impl ProducerInterceptor<String, String> for Stamp {
///     fn on_send(&self, record: &mut ProducerRecord<String, String>) -> Result<(), Error> {
///         record.headers.push(kafka_producer::Header::new("host", b"web-1".to_vec()));
///         Ok(())
///     }
///
///     fn on_acknowledgement(&self, _md: &RecordMetadata, error: Option<&Error>) -> Result<(), Error> {
///         if error.is_some() {
///             self.failed.fetch_add(1, Ordering::Relaxed);
///         }
///         Ok(())
///     }
/// }
///
/// let config = ProducerConfig::builder().bootstrap_servers("localhost:9092").build()?;
/// let producer = KafkaProducer::builder(config, StringSerializer, StringSerializer)
///     .interceptor(Stamp::default())
///     .build()?;
/// producer.send(ProducerRecord::new("demo", "hello".to_string())).get()?;
/// # Ok::<(), kafka_producer::Error>(())
/// ```
pub trait ProducerInterceptor<K, V>: Send + Sync {
    /// Called on the caller thread at the very start of `send` (before even the closed check),
    /// before the key and value are serialized and the partition is chosen; may change or
    /// replace the record (`*record = ...`). An `Err` or a panic is logged (warn) and the send
    /// goes on with the record as it is, including any change made before the error (Java
    /// passes on the record from before the failing interceptor; here the record is changed in
    /// place, which saves a clone per record: change it only once nothing can fail).
    fn on_send(&self, record: &mut ProducerRecord<K, V>) -> Result<(), Error>;

    /// Called once per record when it is acknowledged or fails: on the sender thread before
    /// the user's callback runs and before the record's future completes, or on the calling
    /// thread when the send failed before the record was buffered (closed producer, fatal or
    /// transaction state, metadata timeout, serialization error, too large, buffer timeout;
    /// there, as in Java, after the user's callback).
    ///
    /// `metadata` is always given: on an error it has the topic, the partition (-1 if none
    /// was chosen yet), offset -1, timestamp -1 and sizes -1, as Java's `InterceptorCallback`
    /// builds it. An `Err` or a panic is logged (warn) and ignored.
    fn on_acknowledgement(
        &self,
        metadata: &RecordMetadata,
        error: Option<&Error>,
    ) -> Result<(), Error> {
        let _ = (metadata, error);
        Ok(())
    }

    /// Called once, by [`KafkaProducer::close`](crate::KafkaProducer::close), after the
    /// sender thread stopped.
    fn close(&self) {}
}

/// The part of an interceptor that needs no `K`, `V`: what a record's completion calls on the
/// sender thread (type-erased so that the callback is `'static` whatever `K` and `V`).
trait AckInterceptor: Send + Sync {
    fn on_acknowledgement(&self, metadata: &RecordMetadata, error: Option<&Error>);
    fn close(&self);
}

/// An interceptor seen as an [`AckInterceptor`].
struct Erased<K, V, I> {
    inner: Arc<I>,
    _types: PhantomData<fn(K, V)>,
}

impl<K, V, I: ProducerInterceptor<K, V>> AckInterceptor for Erased<K, V, I> {
    fn on_acknowledgement(&self, metadata: &RecordMetadata, error: Option<&Error>) {
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            self.inner.on_acknowledgement(metadata, error)
        }));
        match outcome {
            Ok(Ok(())) => {}
            Ok(Err(e)) => log::warn!(
                "Error executing interceptor onAcknowledgement callback for {}-{}: {e}",
                metadata.topic,
                metadata.partition
            ),
            Err(_) => log::warn!(
                "Interceptor onAcknowledgement callback for {}-{} panicked; the panic was caught and ignored",
                metadata.topic,
                metadata.partition
            ),
        }
    }

    fn close(&self) {
        if catch_unwind(AssertUnwindSafe(|| self.inner.close())).is_err() {
            log::warn!("An interceptor's close panicked; the panic was caught and ignored");
        }
    }
}

/// The acknowledgement half of the chain, shared by the records' callbacks and the sender
/// thread (which closes it when it stops).
pub(crate) struct AckChain {
    list: Vec<Arc<dyn AckInterceptor>>,
    closed: AtomicBool,
}

impl AckChain {
    fn on_acknowledgement(&self, metadata: &RecordMetadata, error: Option<&Error>) {
        for i in &self.list {
            i.on_acknowledgement(metadata, error);
        }
    }

    /// Calls every interceptor's `close`, once whatever the number of calls.
    pub(crate) fn close(&self) {
        if self.closed.swap(true, Ordering::SeqCst) {
            return;
        }
        for i in &self.list {
            i.close();
        }
    }
}

/// The interceptors of a producer, run in the order added (Java's `ProducerInterceptors`).
pub(crate) struct ProducerInterceptors<K, V> {
    on_send: Vec<Arc<dyn ProducerInterceptor<K, V>>>,
    acks: Arc<AckChain>,
}

/// An interceptor, once as itself and once type-erased.
type Entry<K, V> = (Arc<dyn ProducerInterceptor<K, V>>, Arc<dyn AckInterceptor>);

/// What the builder collects.
pub(crate) struct InterceptorList<K, V>(Vec<Entry<K, V>>);

impl<K, V> Default for InterceptorList<K, V> {
    fn default() -> Self {
        InterceptorList(Vec::new())
    }
}

impl<K, V> InterceptorList<K, V> {
    /// Appends an interceptor to the chain.
    pub(crate) fn push(&mut self, interceptor: impl ProducerInterceptor<K, V> + 'static)
    where
        K: 'static,
        V: 'static,
    {
        let inner = Arc::new(interceptor);
        let erased: Arc<dyn AckInterceptor> = Arc::new(Erased {
            inner: inner.clone(),
            _types: PhantomData,
        });
        self.0.push((inner, erased));
    }

    /// The chain, or `None` without interceptors (the send path then does no extra work).
    pub(crate) fn build(mut self) -> Option<ProducerInterceptors<K, V>> {
        if self.0.is_empty() {
            return None;
        }
        let (on_send, acks) = std::mem::take(&mut self.0).into_iter().unzip();
        Some(ProducerInterceptors {
            on_send,
            acks: Arc::new(AckChain {
                list: acks,
                closed: AtomicBool::new(false),
            }),
        })
    }
}

/// Interceptors that never became a producer's (its build failed, or the builder was dropped)
/// are closed, as Java's constructor closes them when it fails.
impl<K, V> Drop for InterceptorList<K, V> {
    fn drop(&mut self) {
        for (_, i) in &self.0 {
            i.close();
        }
    }
}

/// The partition of a record whose append has not returned yet.
const PARTITION_PENDING: i32 = i32::MIN;

/// What a record's interceptor callback needs besides the outcome: its topic and the partition
/// it was appended to (Java's `AppendCallbacks.setPartition`), known once `append` returned.
pub(crate) struct AckTarget {
    topic: Arc<str>,
    partition: AtomicI32,
    /// The send failed before the record was buffered: the user's callback runs first and
    /// the interceptors after it, as Java's `doSend` catch does.
    refused: AtomicBool,
}

impl AckTarget {
    /// The record's topic (after `on_send`).
    pub(crate) fn topic(&self) -> &str {
        &self.topic
    }

    /// The record was appended to `partition`.
    pub(crate) fn appended(&self, partition: i32) {
        self.partition.store(partition, Ordering::Release);
    }

    /// The record was refused before being buffered; `partition` is the record's own (or -1).
    pub(crate) fn refused(&self, partition: i32) {
        self.refused.store(true, Ordering::Relaxed);
        self.partition.store(partition, Ordering::Release);
    }

    /// The partition: as reported by the caller thread, or, when the record's batch completes
    /// before `append` returned to it, the partition of the batch whose callbacks run.
    fn partition(&self) -> i32 {
        match self.partition.load(Ordering::Acquire) {
            PARTITION_PENDING => crate::producer::delivery::completing_partition(),
            p => p,
        }
    }
}

impl<K, V> ProducerInterceptors<K, V> {
    /// Runs every interceptor's `on_send` in order (Java's `ProducerInterceptors.onSend`).
    pub(crate) fn on_send(&self, record: &mut ProducerRecord<K, V>) {
        for i in &self.on_send {
            match catch_unwind(AssertUnwindSafe(|| i.on_send(record))) {
                Ok(Ok(())) => {}
                Ok(Err(e)) => log::warn!(
                    "Error executing interceptor onSend callback for topic: {}, partition: {:?}: {e}",
                    record.topic,
                    record.partition
                ),
                Err(_) => log::warn!(
                    "Interceptor onSend callback for topic: {} panicked; the panic was caught and ignored",
                    record.topic
                ),
            }
        }
    }

    /// The callback a record is sent with (Java's `AppendCallbacks`): on completion, the
    /// interceptors' `on_acknowledgement`, then `user`. Report the partition to `target`.
    pub(crate) fn callback(
        &self,
        topic: &str,
        user: Option<Callback>,
    ) -> (Callback, Arc<AckTarget>) {
        let target = Arc::new(AckTarget {
            topic: Arc::from(topic),
            partition: AtomicI32::new(PARTITION_PENDING),
            refused: AtomicBool::new(false),
        });
        let acks = self.acks.clone();
        let t = target.clone();
        let callback = Callback::new(move |result: Result<RecordMetadata, Error>| {
            match &result {
                Ok(md) => acks.on_acknowledgement(md, None),
                Err(e) => {
                    let md = error_metadata(t.topic.clone(), t.partition());
                    if t.refused.load(Ordering::Relaxed) {
                        // Java's doSend: the user's callback, then `onSendError`.
                        if let Some(cb) = user {
                            crate::producer::delivery::run_callback(cb, result.clone());
                        }
                        acks.on_acknowledgement(&md, Some(e));
                        return;
                    }
                    acks.on_acknowledgement(&md, Some(e));
                }
            }
            if let Some(cb) = user {
                cb.call(result);
            }
        });
        (callback, target)
    }

    /// Calls `on_acknowledgement` with `error` for a record refused before it had a callback
    /// of its own (Java's `onSendError`).
    pub(crate) fn on_send_error(&self, topic: &str, partition: i32, error: &Error) {
        self.acks
            .on_acknowledgement(&error_metadata(Arc::from(topic), partition), Some(error));
    }

    /// Calls every interceptor's `close`, once whatever the number of calls.
    pub(crate) fn close(&self) {
        self.acks.close();
    }

    /// The part that closes the chain, for the sender thread: it closes the interceptors when
    /// it stops, after the last acknowledgement, also when the producer was closed or dropped
    /// on the sender thread itself (from a callback), where `close` cannot wait for it.
    pub(crate) fn closer(&self) -> Arc<AckChain> {
        self.acks.clone()
    }
}

/// The metadata of a failed record, as Java's `InterceptorCallback` builds it.
fn error_metadata(topic: Arc<str>, partition: i32) -> RecordMetadata {
    RecordMetadata {
        topic,
        partition,
        offset: -1,
        timestamp: -1,
        serialized_key_size: -1,
        serialized_value_size: -1,
    }
}
