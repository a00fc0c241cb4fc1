//! Delivery results: the `RecordFuture` returned by `send` and the callbacks given to
//! `send_with_callback`. Both complete exactly once, when the batch holding the record is
//! acknowledged or fails (Java's `ProduceRequestResult` and `FutureRecordMetadata`).

use crate::cluster::TopicPartition;
use crate::error::{Error, TimeoutKind};
use crate::producer::record::RecordMetadata;
use parking_lot::{Condvar, Mutex};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

pub use crate::producer::callback::Callback;

/// Where a batch was written: the offset of its first record and the broker's append time
/// (-1 unless the topic uses `LogAppendTime`).
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchOutcome {
    /// Offset of the batch's first record; -1 with acks=0.
    pub base_offset: i64,
    /// Broker append time, or -1.
    pub log_append_time: i64,
}

/// Where a batch's records ended up: an outcome, or (after a split on `MESSAGE_TOO_LARGE`)
/// new batches, one `(result, relative offset)` per record.
#[derive(Debug, Clone)]
enum State {
    Pending,
    Done(Result<BatchOutcome, Error>),
    /// Failed with an error per record (KIP-467 record errors).
    Failed(Arc<RecordErrors>),
    Split(Arc<[(Arc<BatchResult>, i32)]>),
}

/// The errors of a batch the broker refused because of some of its records (KIP-467, Java's
/// `Sender.failBatch` with `recordErrors`): each record it named gets its own error, the others
/// a generic one saying they were only in bad company.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RecordErrors {
    /// The error of each record the broker named, by its index in the batch.
    pub(crate) by_index: std::collections::HashMap<i32, Error>,
    /// The error of every other record.
    pub(crate) others: Error,
}

impl RecordErrors {
    /// The error of record `index` of the batch.
    pub(crate) fn error_for(&self, index: i32) -> Error {
        self.by_index
            .get(&index)
            .cloned()
            .unwrap_or_else(|| self.others.clone())
    }
}

/// The result of one batch, shared by the futures of all its records (Java's
/// `ProduceRequestResult`; a split batch chains its records to the new batches, as Java's
/// `FutureRecordMetadata.chain`).
#[derive(Debug)]
pub(crate) struct BatchResult {
    tp: TopicPartition,
    state: Mutex<State>,
    done: Condvar,
    /// Tasks awaiting a [`RecordFuture`] of this batch; taken and woken (under the state
    /// lock, so none is missed) when the state leaves `Pending`.
    wakers: Mutex<Vec<Waker>>,
}

impl BatchResult {
    /// A pending result for a batch of `tp`.
    pub(crate) fn new(tp: TopicPartition) -> Arc<Self> {
        Arc::new(BatchResult {
            tp,
            state: Mutex::new(State::Pending),
            done: Condvar::new(),
            wakers: Mutex::new(Vec::new()),
        })
    }

    /// The batch's partition.
    pub(crate) fn topic_partition(&self) -> &TopicPartition {
        &self.tp
    }

    /// Sets the result; only the first call has an effect. Returns whether this call set it.
    pub(crate) fn complete(&self, result: Result<BatchOutcome, Error>) -> bool {
        self.finish(State::Done(result))
    }

    /// Fails the batch with an error per record; only the first outcome has an effect.
    pub(crate) fn fail_records(&self, errors: Arc<RecordErrors>) -> bool {
        self.finish(State::Failed(errors))
    }

    /// Chains the records to the batches they were split into: record `i` is now record
    /// `targets[i].1` of batch `targets[i].0`.
    pub(crate) fn split(&self, targets: Vec<(Arc<BatchResult>, i32)>) -> bool {
        self.finish(State::Split(targets.into()))
    }

    fn finish(&self, state: State) -> bool {
        let mut st = self.state.lock();
        if !matches!(*st, State::Pending) {
            return false;
        }
        *st = state;
        self.done.notify_all();
        let wakers = std::mem::take(&mut *self.wakers.lock());
        drop(st);
        for w in wakers {
            w.wake();
        }
        true
    }

    /// The outcome of record `relative_offset` if known (following splits); otherwise
    /// registers `waker` with the batch that will know it.
    fn poll_record(
        self: &Arc<Self>,
        relative_offset: i32,
        waker: &Waker,
    ) -> Poll<(Arc<BatchResult>, i32, Result<BatchOutcome, Error>)> {
        let mut current = self.clone();
        let mut offset = relative_offset;
        loop {
            let step = {
                let st = current.state.lock();
                match Step::of(&st, offset) {
                    Some(step) => step,
                    None => {
                        let mut wakers = current.wakers.lock();
                        if !wakers.iter().any(|w| w.will_wake(waker)) {
                            wakers.push(waker.clone());
                        }
                        return Poll::Pending;
                    }
                }
            };
            match step {
                Step::Outcome(r) => return Poll::Ready((current, offset, r)),
                Step::Moved(next, o) => (current, offset) = (next, o),
            }
        }
    }

    /// Whether the result is known (for a split batch: whether it was split).
    pub(crate) fn is_done(&self) -> bool {
        !matches!(*self.state.lock(), State::Pending)
    }

    fn wait_state(&self, deadline: Option<Instant>) -> Option<State> {
        let mut st = self.state.lock();
        loop {
            if !matches!(*st, State::Pending) {
                return Some(st.clone());
            }
            match deadline {
                None => self.done.wait(&mut st),
                Some(d) => {
                    if self.done.wait_until(&mut st, d).timed_out() && matches!(*st, State::Pending)
                    {
                        return None;
                    }
                }
            }
        }
    }

    /// Waits until every record of the batch has its outcome (following splits), at most until
    /// `deadline`; false on timeout.
    pub(crate) fn wait_all(&self, deadline: Option<Instant>) -> bool {
        match self.wait_state(deadline) {
            None => false,
            Some(State::Split(targets)) => targets.iter().all(|(r, _)| r.wait_all(deadline)),
            Some(_) => true,
        }
    }

    /// Waits for the outcome of record `relative_offset`, at most until `deadline` (`None`
    /// waits forever); returns the batch result that holds it and its offset in that batch.
    fn wait_record(
        self: &Arc<Self>,
        relative_offset: i32,
        deadline: Option<Instant>,
    ) -> Option<(Arc<BatchResult>, i32, Result<BatchOutcome, Error>)> {
        let mut current = self.clone();
        let mut offset = relative_offset;
        loop {
            let state = current.wait_state(deadline)?;
            match Step::of(&state, offset)? {
                Step::Outcome(r) => return Some((current, offset, r)),
                Step::Moved(next, o) => (current, offset) = (next, o),
            }
        }
    }
}

/// Where record `offset` of a batch stands once the batch's state is known: its outcome, or
/// the batch and offset it moved to in a split. Shared by the blocking and the async waits.
enum Step {
    Outcome(Result<BatchOutcome, Error>),
    Moved(Arc<BatchResult>, i32),
}

impl Step {
    /// `None` while the state is pending.
    fn of(state: &State, offset: i32) -> Option<Step> {
        Some(match state {
            State::Pending => return None,
            State::Done(r) => Step::Outcome(r.clone()),
            State::Failed(e) => Step::Outcome(Err(e.error_for(offset))),
            State::Split(targets) => match targets.get(offset as usize) {
                Some((next, o)) => Step::Moved(next.clone(), *o),
                None => Step::Outcome(Err(Error::Internal("a split batch lost a record".into()))),
            },
        })
    }
}

/// The facts of one record needed to build its `RecordMetadata`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RecordInfo {
    pub relative_offset: i32,
    pub timestamp: i64,
    pub key_size: i32,
    pub value_size: i32,
}

impl RecordInfo {
    pub(crate) fn metadata(&self, tp: &TopicPartition, outcome: &BatchOutcome) -> RecordMetadata {
        RecordMetadata {
            topic: tp.topic.clone(),
            partition: tp.partition,
            offset: if outcome.base_offset < 0 {
                -1
            } else {
                outcome
                    .base_offset
                    .saturating_add(i64::from(self.relative_offset))
            },
            timestamp: if outcome.log_append_time >= 0 {
                outcome.log_append_time
            } else {
                self.timestamp
            },
            serialized_key_size: self.key_size,
            serialized_value_size: self.value_size,
        }
    }
}

/// The future of one sent record: `get` blocks until the broker acknowledged it (or it failed).
///
/// It is also a [`std::future::Future`]: async code can `.await` it (with any executor; this
/// crate depends on no runtime), and the sender thread wakes the task when the outcome is
/// known.
///
/// ```no_run
/// # use kafka_producer::{KafkaProducer, ProducerRecord, ProducerConfig};
/// # use kafka_producer::producer::serializer::StringSerializer;
/// # let config = ProducerConfig::builder().bootstrap_servers("localhost:9092").build().unwrap();
/// # let producer: KafkaProducer<String, String> = KafkaProducer::new(config, StringSerializer, StringSerializer).unwrap();
/// let future = producer.send(ProducerRecord::new("topic", "hello".to_string()));
/// let metadata = future.get()?;
/// println!("written at offset {}", metadata.offset);
/// # Ok::<(), kafka_producer::Error>(())
/// ```
#[derive(Debug)]
pub struct RecordFuture {
    inner: FutureInner,
}

#[derive(Debug)]
enum FutureInner {
    Pending {
        result: Arc<BatchResult>,
        info: RecordInfo,
    },
    Failed(Error),
}

impl RecordFuture {
    pub(crate) fn pending(result: Arc<BatchResult>, info: RecordInfo) -> Self {
        RecordFuture {
            inner: FutureInner::Pending { result, info },
        }
    }

    /// A future that has already failed (the record was refused before being buffered).
    pub fn failed(error: Error) -> Self {
        RecordFuture {
            inner: FutureInner::Failed(error),
        }
    }

    /// The partition of the batch the record was appended to (`None` for a failed future).
    pub(crate) fn appended_partition(&self) -> Option<i32> {
        match &self.inner {
            FutureInner::Pending { result, .. } => Some(result.topic_partition().partition),
            FutureInner::Failed(_) => None,
        }
    }

    /// Whether the outcome is known.
    pub fn is_done(&self) -> bool {
        match &self.inner {
            FutureInner::Pending { result, info } => result
                .wait_record(info.relative_offset, Some(Instant::now()))
                .is_some(),
            FutureInner::Failed(_) => true,
        }
    }

    /// Waits for the outcome.
    pub fn get(self) -> Result<RecordMetadata, Error> {
        self.wait(None)
            .unwrap_or_else(|| Err(Error::Internal("wait without deadline returned".into())))
    }

    /// Waits at most `timeout`; a [`TimeoutKind::Caller`] timeout error if the outcome is not
    /// known by then (the record may still be delivered later).
    pub fn get_timeout(&self, timeout: Duration) -> Result<RecordMetadata, Error> {
        self.wait(Some(Instant::now() + timeout))
            .unwrap_or_else(|| {
                Err(Error::timeout(
                    TimeoutKind::Caller,
                    format!(
                        "no acknowledgement within {} ms (the record may still be delivered)",
                        timeout.as_millis()
                    ),
                ))
            })
    }

    fn wait(&self, deadline: Option<Instant>) -> Option<Result<RecordMetadata, Error>> {
        match &self.inner {
            FutureInner::Failed(e) => Some(Err(e.clone())),
            FutureInner::Pending { result, info } => {
                let (batch, offset, r) = result.wait_record(info.relative_offset, deadline)?;
                let info = RecordInfo {
                    relative_offset: offset,
                    ..*info
                };
                Some(r.map(|o| info.metadata(batch.topic_partition(), &o)))
            }
        }
    }
}

impl Future for RecordFuture {
    type Output = Result<RecordMetadata, Error>;

    /// Ready once the record is acknowledged or failed; the sender thread wakes the task.
    ///
    /// ```no_run
    /// # use kafka_producer::{KafkaProducer, ProducerRecord, ProducerConfig};
    /// # use kafka_producer::producer::serializer::StringSerializer;
    /// # async fn example(producer: &KafkaProducer<String, String>) -> Result<(), kafka_producer::Error> {
    /// let metadata = producer
    ///     .send(ProducerRecord::new("topic", "hello".to_string()))
    ///     .await?;
    /// println!("written at offset {}", metadata.offset);
    /// # Ok(())
    /// # }
    /// ```
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &self.inner {
            FutureInner::Failed(e) => Poll::Ready(Err(e.clone())),
            FutureInner::Pending { result, info } => result
                .poll_record(info.relative_offset, cx.waker())
                .map(|(batch, offset, r)| {
                    let info = RecordInfo {
                        relative_offset: offset,
                        ..*info
                    };
                    r.map(|o| info.metadata(batch.topic_partition(), &o))
                }),
        }
    }
}

thread_local! {
    /// The partition of the batch whose callbacks this thread is running (-1 outside), for
    /// the interceptors' `on_acknowledgement` of a failed record (Java's `AppendCallbacks`
    /// knows its partition; a failed `RecordMetadata` is not built here).
    static COMPLETING_PARTITION: std::cell::Cell<i32> = const { std::cell::Cell::new(-1) };
}

/// Runs `f` with [`completing_partition`] answering `partition`.
pub(crate) fn with_completing_partition<R>(partition: i32, f: impl FnOnce() -> R) -> R {
    let before = COMPLETING_PARTITION.with(|c| c.replace(partition));
    let out = f();
    COMPLETING_PARTITION.with(|c| c.set(before));
    out
}

/// The partition of the batch whose callbacks run on this thread, -1 outside of one.
pub(crate) fn completing_partition() -> i32 {
    COMPLETING_PARTITION.with(|c| c.get())
}

/// Runs a user callback, catching and logging a panic so the sender thread survives it.
pub(crate) fn run_callback(cb: Callback, result: Result<RecordMetadata, Error>) {
    if std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || cb.call(result))).is_err() {
        log::error!("A producer callback panicked; the panic was caught and ignored");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::Wake;

    /// Wakes by counting and unparking the test thread.
    struct CountingWaker {
        wakes: AtomicUsize,
        thread: std::thread::Thread,
    }

    impl Wake for CountingWaker {
        fn wake(self: Arc<Self>) {
            self.wakes.fetch_add(1, Ordering::SeqCst);
            self.thread.unpark();
        }
    }

    fn info(relative_offset: i32) -> RecordInfo {
        RecordInfo {
            relative_offset,
            timestamp: 7,
            key_size: -1,
            value_size: 1,
        }
    }

    fn poll(f: &mut RecordFuture, waker: &Waker) -> Poll<Result<RecordMetadata, Error>> {
        Pin::new(f).poll(&mut Context::from_waker(waker))
    }

    #[test]
    fn record_future_is_a_future_woken_by_completion() {
        let result = BatchResult::new(TopicPartition::new("t", 3));
        let mut f = RecordFuture::pending(result.clone(), info(2));
        let w = Arc::new(CountingWaker {
            wakes: AtomicUsize::new(0),
            thread: std::thread::current(),
        });
        let waker = Waker::from(w.clone());
        assert!(poll(&mut f, &waker).is_pending());
        assert!(poll(&mut f, &waker).is_pending(), "registered once");
        let r2 = result.clone();
        let t = std::thread::spawn(move || {
            r2.complete(Ok(BatchOutcome {
                base_offset: 100,
                log_append_time: -1,
            }))
        });
        while w.wakes.load(Ordering::SeqCst) == 0 {
            std::thread::park();
        }
        assert!(t.join().unwrap());
        assert_eq!(w.wakes.load(Ordering::SeqCst), 1);
        match poll(&mut f, &waker) {
            Poll::Ready(Ok(md)) => {
                assert_eq!((md.partition, md.offset, md.timestamp), (3, 102, 7));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn record_future_follows_splits_and_errors() {
        let original = BatchResult::new(TopicPartition::new("t", 0));
        let part = BatchResult::new(TopicPartition::new("t", 0));
        let mut f = RecordFuture::pending(original.clone(), info(1));
        let w = Arc::new(CountingWaker {
            wakes: AtomicUsize::new(0),
            thread: std::thread::current(),
        });
        let waker = Waker::from(w.clone());
        assert!(poll(&mut f, &waker).is_pending());
        original.split(vec![(part.clone(), 0), (part.clone(), 1)]);
        assert_eq!(
            w.wakes.load(Ordering::SeqCst),
            1,
            "the split wakes the task"
        );
        assert!(
            poll(&mut f, &waker).is_pending(),
            "now waiting on the new batch"
        );
        part.complete(Err(Error::Network("gone".into())));
        assert_eq!(w.wakes.load(Ordering::SeqCst), 2);
        assert!(matches!(
            poll(&mut f, &waker),
            Poll::Ready(Err(Error::Network(_)))
        ));
        let mut failed = RecordFuture::failed(Error::ProducerClosed("closed".into()));
        assert!(matches!(
            poll(&mut failed, &waker),
            Poll::Ready(Err(Error::ProducerClosed(_)))
        ));
    }
}
