//! `MockProducer`: Java's `MockProducer` (records kept, futures completed on demand).

use crate::cluster::{Cluster, PartitionInfo, TopicPartition};
use crate::consumer::{ConsumerGroupMetadata, OffsetAndMetadata};
use crate::error::Error;
use crate::producer::delivery::{BatchOutcome, BatchResult, Callback, RecordFuture, RecordInfo};
use crate::producer::partitioner::{Partitioner, partition_for_key};
use crate::producer::record::{ProducerRecord, RecordMetadata};
use crate::producer::serializer::{Serializer, serialized_bytes};
use parking_lot::Mutex;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;

/// One sent record waiting for its outcome.
struct Completion {
    result: Arc<BatchResult>,
    info: RecordInfo,
    offset: i64,
    callback: Option<Callback>,
}

impl Completion {
    fn complete(self, error: Option<Error>) {
        let tp = self.result.topic_partition().clone();
        let outcome = match error {
            None => Ok(BatchOutcome {
                base_offset: self.offset,
                log_append_time: -1,
            }),
            Some(e) => Err(e),
        };
        self.result.complete(outcome.clone());
        if let Some(cb) = self.callback {
            cb.call(outcome.map(|o| self.info.metadata(&tp, &o)));
        }
    }
}

struct State<K, V> {
    sent: Vec<ProducerRecord<K, V>>,
    completions: VecDeque<Completion>,
    offsets: HashMap<TopicPartition, i64>,
    closed: bool,
    txn: TxnState<K, V>,
}

/// Java `MockProducer`'s transaction fields.
struct TxnState<K, V> {
    initialized: bool,
    in_flight: bool,
    committed: bool,
    aborted: bool,
    fenced: bool,
    sent_offsets: bool,
    commit_count: u64,
    uncommitted_sends: Vec<ProducerRecord<K, V>>,
    uncommitted_offsets: BTreeMap<String, HashMap<TopicPartition, OffsetAndMetadata>>,
    offsets_history: Vec<BTreeMap<String, HashMap<TopicPartition, OffsetAndMetadata>>>,
    errors: HashMap<TransactionCall, Error>,
}

impl<K, V> Default for TxnState<K, V> {
    fn default() -> Self {
        TxnState {
            initialized: false,
            in_flight: false,
            committed: false,
            aborted: false,
            fenced: false,
            sent_offsets: false,
            commit_count: 0,
            uncommitted_sends: Vec::new(),
            uncommitted_offsets: BTreeMap::new(),
            offsets_history: Vec::new(),
            errors: HashMap::new(),
        }
    }
}

/// A transactional call of [`MockProducer`] whose next invocation can be made to fail
/// ([`MockProducer::fail_next`]; Java's `initTransactionException`, `commitTransactionException`,
/// ... fields).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransactionCall {
    /// `init_transactions`.
    InitTransactions,
    /// `begin_transaction`.
    BeginTransaction,
    /// `send_offsets_to_transaction`.
    SendOffsetsToTransaction,
    /// `commit_transaction`.
    CommitTransaction,
    /// `abort_transaction`.
    AbortTransaction,
}

/// A producer for unit tests that sends nothing, as Java's `MockProducer`: it keeps every
/// record sent ([`history`](Self::history)) and completes their futures and callbacks at once
/// (`auto_complete`) or when the test says so ([`complete_next`](Self::complete_next),
/// [`error_next`](Self::error_next), [`flush`](Self::flush)). Offsets count from 0 per
/// partition.
///
/// Partitions: a record's own partition if it names one; else the
/// [`with_partitioner`](Self::with_partitioner) partitioner's choice, if any; else, when the
/// topic's partitions are known (the [`Cluster`] given to [`with_cluster`](Self::with_cluster))
/// and the record has a key, murmur2 of the serialized key as Java's default partitioner;
/// else 0.
///
/// ```
/// use kafka_producer::mock::MockProducer;
/// use kafka_producer::producer::serializer::StringSerializer;
/// use kafka_producer::ProducerRecord;
///
/// let producer: MockProducer<String, String> =
///     MockProducer::new(false, StringSerializer, StringSerializer);
/// let future = producer.send(ProducerRecord::new("t", "v".to_string()));
/// assert!(!future.is_done());
/// assert!(producer.complete_next());
/// assert_eq!(future.get()?.offset, 0);
/// assert_eq!(producer.history().len(), 1);
/// # Ok::<(), kafka_producer::Error>(())
/// ```
pub struct MockProducer<K, V> {
    auto_complete: bool,
    cluster: Cluster,
    partitioner: Option<Box<dyn Partitioner>>,
    key_serializer: Box<dyn Serializer<K>>,
    value_serializer: Box<dyn Serializer<V>>,
    state: Mutex<State<K, V>>,
}

impl<K, V> std::fmt::Debug for MockProducer<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let st = self.state.lock();
        f.debug_struct("MockProducer")
            .field("auto_complete", &self.auto_complete)
            .field("sent", &st.sent.len())
            .field("pending", &st.completions.len())
            .field("closed", &st.closed)
            .finish_non_exhaustive()
    }
}

impl<K, V> MockProducer<K, V> {
    /// A mock producer knowing no topic (so every record without a partition goes to
    /// partition 0); with `auto_complete` every send succeeds at once.
    ///
    /// ```
    /// use kafka_producer::mock::MockProducer;
    /// use kafka_producer::producer::serializer::StringSerializer;
    /// let p: MockProducer<String, String> = MockProducer::new(true, StringSerializer, StringSerializer);
    /// assert!(!p.closed());
    /// ```
    pub fn new(
        auto_complete: bool,
        key_serializer: impl Serializer<K> + 'static,
        value_serializer: impl Serializer<V> + 'static,
    ) -> Self {
        Self::with_cluster(
            Cluster::default(),
            auto_complete,
            key_serializer,
            value_serializer,
        )
    }

    /// A mock producer that partitions keyed records over the partitions `cluster` gives their
    /// topic (Java's `MockProducer(Cluster, boolean, Serializer, Serializer)`).
    ///
    /// ```
    /// use kafka_producer::mock::MockProducer;
    /// use kafka_producer::producer::serializer::StringSerializer;
    /// use kafka_producer::{Cluster, PartitionInfo, ProducerRecord};
    /// let parts = (0..2).map(|p| PartitionInfo::new("t", p, None));
    /// let cluster = Cluster::new(None, None, [], parts);
    /// let p = MockProducer::with_cluster(cluster, true, StringSerializer, StringSerializer);
    /// let md = p.send(ProducerRecord::with_key_value("t", "key".to_string(), "v".to_string())).get()?;
    /// assert_eq!(md.partition, 1);
    /// # Ok::<(), kafka_producer::Error>(())
    /// ```
    pub fn with_cluster(
        cluster: Cluster,
        auto_complete: bool,
        key_serializer: impl Serializer<K> + 'static,
        value_serializer: impl Serializer<V> + 'static,
    ) -> Self {
        MockProducer {
            auto_complete,
            cluster,
            partitioner: None,
            key_serializer: Box::new(key_serializer),
            value_serializer: Box::new(value_serializer),
            state: Mutex::new(State {
                sent: Vec::new(),
                completions: VecDeque::new(),
                offsets: HashMap::new(),
                closed: false,
                txn: TxnState::default(),
            }),
        }
    }

    /// Uses `partitioner` for records that name no partition (Java's
    /// `MockProducer(Cluster, boolean, Partitioner, Serializer, Serializer)`); it sees the
    /// producer's [`Cluster`]. When it returns `None` the default rule applies.
    ///
    /// ```
    /// use kafka_producer::mock::MockProducer;
    /// use kafka_producer::producer::serializer::StringSerializer;
    /// use kafka_producer::{Cluster, Partitioner, ProducerRecord};
    /// struct Seven;
    /// impl Partitioner for Seven {
    ///     fn partition(&self, _: &str, _: Option<&[u8]>, _: Option<&[u8]>, _: &Cluster) -> Option<i32> {
    ///         Some(7)
    ///     }
    /// }
    /// let p: MockProducer<String, String> =
    ///     MockProducer::new(true, StringSerializer, StringSerializer).with_partitioner(Seven);
    /// assert_eq!(p.send(ProducerRecord::new("t", "v".to_string())).get()?.partition, 7);
    /// # Ok::<(), kafka_producer::Error>(())
    /// ```
    pub fn with_partitioner(mut self, partitioner: impl Partitioner + 'static) -> Self {
        self.partitioner = Some(Box::new(partitioner));
        self
    }

    /// Sends a record: kept in the history, its future completed now (auto-complete) or by a
    /// later [`complete_next`](Self::complete_next) / [`error_next`](Self::error_next) /
    /// [`flush`](Self::flush). After [`close`](Self::close) the future fails with
    /// [`Error::ProducerClosed`] and nothing is kept; a serializer error fails it too.
    ///
    /// ```
    /// use kafka_producer::mock::MockProducer;
    /// use kafka_producer::producer::serializer::StringSerializer;
    /// use kafka_producer::ProducerRecord;
    /// let p: MockProducer<String, String> = MockProducer::new(true, StringSerializer, StringSerializer);
    /// assert_eq!(p.send(ProducerRecord::new("t", "a".to_string())).get()?.offset, 0);
    /// assert_eq!(p.send(ProducerRecord::new("t", "b".to_string())).get()?.offset, 1);
    /// # Ok::<(), kafka_producer::Error>(())
    /// ```
    pub fn send(&self, record: ProducerRecord<K, V>) -> RecordFuture {
        self.do_send(record, None)
    }

    /// [`send`](Self::send) with a callback, run with the outcome on the thread that completes
    /// the record (the sender's with auto-complete).
    ///
    /// ```
    /// use kafka_producer::mock::MockProducer;
    /// use kafka_producer::producer::serializer::StringSerializer;
    /// use kafka_producer::ProducerRecord;
    /// use std::sync::{Arc, atomic::{AtomicBool, Ordering}};
    /// let p: MockProducer<String, String> = MockProducer::new(false, StringSerializer, StringSerializer);
    /// let called = Arc::new(AtomicBool::new(false));
    /// let c = called.clone();
    /// p.send_with_callback(ProducerRecord::new("t", "v".to_string()), move |r| {
    ///     assert!(r.is_ok());
    ///     c.store(true, Ordering::SeqCst);
    /// });
    /// p.complete_next();
    /// assert!(called.load(Ordering::SeqCst));
    /// ```
    pub fn send_with_callback(
        &self,
        record: ProducerRecord<K, V>,
        callback: impl FnOnce(Result<RecordMetadata, Error>) + Send + 'static,
    ) -> RecordFuture {
        self.do_send(record, Some(Callback::new(callback)))
    }

    fn do_send(
        &self,
        mut record: ProducerRecord<K, V>,
        callback: Option<Callback>,
    ) -> RecordFuture {
        let fail = |e: Error, callback: Option<Callback>| {
            if let Some(cb) = callback {
                cb.call(Err(e.clone()));
            }
            RecordFuture::failed(e)
        };
        if self.state.lock().closed {
            return fail(
                Error::ProducerClosed("MockProducer is already closed.".into()),
                callback,
            );
        }
        let mut key = Vec::new();
        let mut value = Vec::new();
        // Key first, then value, with the record's own headers (as `KafkaProducer`).
        // The bytes `borrow_serialized` gives are used as they are, as `KafkaProducer` does.
        if let Some(k) = &record.key {
            let mut buf = Vec::new();
            match serialized_bytes(
                &*self.key_serializer,
                &record.topic,
                &mut record.headers,
                k,
                &mut buf,
            ) {
                Ok(bytes) => key.extend_from_slice(bytes),
                Err(e) => return fail(e, callback),
            }
        }
        if let Some(v) = &record.value {
            let mut buf = Vec::new();
            match serialized_bytes(
                &*self.value_serializer,
                &record.topic,
                &mut record.headers,
                v,
                &mut buf,
            ) {
                Ok(bytes) => value.extend_from_slice(bytes),
                Err(e) => return fail(e, callback),
            }
        }
        let custom = || {
            let p = self.partitioner.as_ref()?;
            p.partition(
                &record.topic,
                record.key.as_ref().map(|_| key.as_slice()),
                record.value.as_ref().map(|_| value.as_slice()),
                &self.cluster,
            )
        };
        let partition = record.partition.or_else(custom).unwrap_or_else(|| {
            match (
                &record.key,
                self.cluster.partition_count_for_topic(&record.topic),
            ) {
                (Some(_), Some(n)) if n > 0 => partition_for_key(&key, n),
                _ => 0,
            }
        });
        let tp = TopicPartition::new(record.topic.clone(), partition);
        let info = RecordInfo {
            relative_offset: 0,
            timestamp: record.timestamp.unwrap_or_else(now_ms),
            key_size: if record.key.is_some() {
                key.len() as i32
            } else {
                -1
            },
            value_size: if record.value.is_some() {
                value.len() as i32
            } else {
                -1
            },
        };
        let result = BatchResult::new(tp.clone());
        let future = RecordFuture::pending(result.clone(), info);
        let completion = {
            let mut st = self.state.lock();
            let next = st.offsets.entry(tp).or_insert(0);
            let offset = *next;
            *next += 1;
            // Records of a transaction join the history when it commits (Java).
            if st.txn.in_flight {
                st.txn.uncommitted_sends.push(record);
            } else {
                st.sent.push(record);
            }
            let c = Completion {
                result,
                info,
                offset,
                callback,
            };
            if self.auto_complete {
                Some(c)
            } else {
                st.completions.push_back(c);
                None
            }
        };
        if let Some(c) = completion {
            c.complete(None);
        }
        future
    }

    /// Completes the oldest pending record successfully; false if none is pending.
    ///
    /// ```
    /// use kafka_producer::mock::MockProducer;
    /// use kafka_producer::producer::serializer::StringSerializer;
    /// let p: MockProducer<String, String> = MockProducer::new(false, StringSerializer, StringSerializer);
    /// assert!(!p.complete_next());
    /// ```
    pub fn complete_next(&self) -> bool {
        self.finish_next(None)
    }

    /// Fails the oldest pending record with `error`; false if none is pending.
    ///
    /// ```
    /// use kafka_producer::mock::MockProducer;
    /// use kafka_producer::producer::serializer::StringSerializer;
    /// use kafka_producer::{Error, ProducerRecord};
    /// let p: MockProducer<String, String> = MockProducer::new(false, StringSerializer, StringSerializer);
    /// let f = p.send(ProducerRecord::new("t", "v".to_string()));
    /// assert!(p.error_next(Error::Network("down".into())));
    /// assert_eq!(f.get().unwrap_err(), Error::Network("down".into()));
    /// ```
    pub fn error_next(&self, error: Error) -> bool {
        self.finish_next(Some(error))
    }

    fn finish_next(&self, error: Option<Error>) -> bool {
        let next = self.state.lock().completions.pop_front();
        match next {
            Some(c) => {
                c.complete(error);
                true
            }
            None => false,
        }
    }

    /// Completes every pending record successfully (Java's `flush` of a mock producer without
    /// auto-complete); [`Error::ProducerClosed`] after [`close`](Self::close).
    ///
    /// ```
    /// use kafka_producer::mock::MockProducer;
    /// use kafka_producer::producer::serializer::StringSerializer;
    /// use kafka_producer::ProducerRecord;
    /// let p: MockProducer<String, String> = MockProducer::new(false, StringSerializer, StringSerializer);
    /// let f = p.send(ProducerRecord::new("t", "v".to_string()));
    /// p.flush()?;
    /// assert!(f.is_done() && p.flushed());
    /// # Ok::<(), kafka_producer::Error>(())
    /// ```
    pub fn flush(&self) -> Result<(), Error> {
        if self.closed() {
            return Err(Error::ProducerClosed(
                "MockProducer is already closed.".into(),
            ));
        }
        while self.complete_next() {}
        Ok(())
    }

    /// Whether no record is pending (Java's `flushed()`).
    ///
    /// ```
    /// use kafka_producer::mock::MockProducer;
    /// use kafka_producer::producer::serializer::StringSerializer;
    /// let p: MockProducer<String, String> = MockProducer::new(false, StringSerializer, StringSerializer);
    /// assert!(p.flushed());
    /// ```
    pub fn flushed(&self) -> bool {
        self.state.lock().completions.is_empty()
    }

    /// Forgets the history and the pending records (their futures stay pending).
    ///
    /// ```
    /// use kafka_producer::mock::MockProducer;
    /// use kafka_producer::producer::serializer::StringSerializer;
    /// use kafka_producer::ProducerRecord;
    /// let p: MockProducer<String, String> = MockProducer::new(true, StringSerializer, StringSerializer);
    /// p.send(ProducerRecord::new("t", "v".to_string()));
    /// p.clear();
    /// assert!(p.history().is_empty());
    /// ```
    pub fn clear(&self) {
        let mut st = self.state.lock();
        st.sent.clear();
        st.completions.clear();
        st.txn.uncommitted_sends.clear();
        st.txn.offsets_history.clear();
    }

    /// Closes the producer: later sends fail with [`Error::ProducerClosed`]. Pending records
    /// stay pending (complete them with [`complete_next`](Self::complete_next)).
    ///
    /// ```
    /// use kafka_producer::mock::MockProducer;
    /// use kafka_producer::producer::serializer::StringSerializer;
    /// let p: MockProducer<String, String> = MockProducer::new(true, StringSerializer, StringSerializer);
    /// p.close();
    /// assert!(p.closed());
    /// ```
    pub fn close(&self) {
        self.state.lock().closed = true;
    }

    /// Whether [`close`](Self::close) was called.
    ///
    /// ```
    /// use kafka_producer::mock::MockProducer;
    /// use kafka_producer::producer::serializer::StringSerializer;
    /// let p: MockProducer<String, String> = MockProducer::new(true, StringSerializer, StringSerializer);
    /// assert!(!p.closed());
    /// ```
    pub fn closed(&self) -> bool {
        self.state.lock().closed
    }

    fn transactional_call(
        &self,
        call: TransactionCall,
        f: impl FnOnce(&mut TxnState<K, V>) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let mut st = self.state.lock();
        if st.closed {
            return Err(Error::ProducerClosed(
                "MockProducer is already closed.".into(),
            ));
        }
        if st.txn.fenced {
            return Err(Error::ProducerFenced("MockProducer is fenced.".into()));
        }
        if call != TransactionCall::InitTransactions && !st.txn.initialized {
            return Err(Error::IllegalState(
                "MockProducer hasn't been initialized for transactions.".into(),
            ));
        }
        if let Some(e) = st.txn.errors.remove(&call) {
            return Err(e);
        }
        f(&mut st.txn)
    }

    /// Java's `initTransactions`: once per producer.
    ///
    /// ```
    /// use kafka_producer::mock::MockProducer;
    /// use kafka_producer::producer::serializer::StringSerializer;
    /// use kafka_producer::ProducerRecord;
    /// let p: MockProducer<String, String> = MockProducer::new(true, StringSerializer, StringSerializer);
    /// p.init_transactions()?;
    /// p.begin_transaction()?;
    /// p.send(ProducerRecord::new("t", "v".to_string()));
    /// assert!(p.history().is_empty() && p.uncommitted_records().len() == 1);
    /// p.commit_transaction()?;
    /// assert!(p.transaction_committed() && p.history().len() == 1 && p.commit_count() == 1);
    /// # Ok::<(), kafka_producer::Error>(())
    /// ```
    pub fn init_transactions(&self) -> Result<(), Error> {
        self.transactional_call(TransactionCall::InitTransactions, |t| {
            if t.initialized {
                return Err(Error::IllegalState(
                    "MockProducer has already been initialized for transactions.".into(),
                ));
            }
            t.initialized = true;
            t.in_flight = false;
            t.committed = false;
            t.aborted = false;
            t.sent_offsets = false;
            Ok(())
        })
    }

    /// Java's `beginTransaction`.
    pub fn begin_transaction(&self) -> Result<(), Error> {
        self.transactional_call(TransactionCall::BeginTransaction, |t| {
            if t.in_flight {
                return Err(Error::IllegalState("Transaction already started".into()));
            }
            t.in_flight = true;
            t.committed = false;
            t.aborted = false;
            t.sent_offsets = false;
            Ok(())
        })
    }

    /// Java's `sendOffsetsToTransaction`: the offsets are kept until the commit
    /// ([`consumer_group_offsets_history`](Self::consumer_group_offsets_history)).
    pub fn send_offsets_to_transaction(
        &self,
        offsets: &HashMap<TopicPartition, OffsetAndMetadata>,
        group_metadata: &ConsumerGroupMetadata,
    ) -> Result<(), Error> {
        self.transactional_call(TransactionCall::SendOffsetsToTransaction, |t| {
            if !t.in_flight {
                return Err(Error::IllegalState("Transaction was not started".into()));
            }
            if offsets.is_empty() {
                return Ok(());
            }
            t.uncommitted_offsets
                .entry(group_metadata.group_id.clone())
                .or_default()
                .extend(offsets.iter().map(|(k, v)| (k.clone(), v.clone())));
            t.sent_offsets = true;
            Ok(())
        })
    }

    /// Java's `commitTransaction`: completes pending records, then the transaction's records
    /// join the [`history`](Self::history) and its offsets the offsets history.
    pub fn commit_transaction(&self) -> Result<(), Error> {
        self.transactional_call(TransactionCall::CommitTransaction, |t| {
            if !t.in_flight {
                return Err(Error::IllegalState("Transaction was not started".into()));
            }
            Ok(())
        })?;
        self.flush()?;
        let mut st = self.state.lock();
        let records = std::mem::take(&mut st.txn.uncommitted_sends);
        st.sent.extend(records);
        let t = &mut st.txn;
        if !t.uncommitted_offsets.is_empty() {
            t.offsets_history
                .push(std::mem::take(&mut t.uncommitted_offsets));
        }
        t.committed = true;
        t.aborted = false;
        t.in_flight = false;
        t.commit_count += 1;
        Ok(())
    }

    /// Java's `abortTransaction`: completes pending records, then forgets the transaction's
    /// records and offsets.
    pub fn abort_transaction(&self) -> Result<(), Error> {
        self.transactional_call(TransactionCall::AbortTransaction, |t| {
            if !t.in_flight {
                return Err(Error::IllegalState("Transaction was not started".into()));
            }
            Ok(())
        })?;
        self.flush()?;
        let t = &mut self.state.lock().txn;
        t.uncommitted_sends.clear();
        t.uncommitted_offsets.clear();
        t.committed = false;
        t.aborted = true;
        t.in_flight = false;
        Ok(())
    }

    /// Java's `fenceProducer`: every later transactional call fails with
    /// [`Error::ProducerFenced`].
    ///
    /// ```
    /// use kafka_producer::mock::MockProducer;
    /// use kafka_producer::producer::serializer::StringSerializer;
    /// let p: MockProducer<String, String> = MockProducer::new(true, StringSerializer, StringSerializer);
    /// p.init_transactions()?;
    /// p.fence_producer();
    /// assert!(p.begin_transaction().unwrap_err().is_fatal());
    /// # Ok::<(), kafka_producer::Error>(())
    /// ```
    pub fn fence_producer(&self) {
        self.state.lock().txn.fenced = true;
    }

    /// Makes the next `call` fail with `error` (Java's `initTransactionException`, ...).
    ///
    /// ```
    /// use kafka_producer::mock::{MockProducer, TransactionCall};
    /// use kafka_producer::producer::serializer::StringSerializer;
    /// use kafka_producer::Error;
    /// let p: MockProducer<String, String> = MockProducer::new(true, StringSerializer, StringSerializer);
    /// p.fail_next(TransactionCall::InitTransactions, Error::Network("down".into()));
    /// assert!(p.init_transactions().is_err());
    /// assert!(p.init_transactions().is_ok());
    /// ```
    pub fn fail_next(&self, call: TransactionCall, error: Error) {
        self.state.lock().txn.errors.insert(call, error);
    }

    /// Whether `init_transactions` succeeded.
    pub fn transaction_initialized(&self) -> bool {
        self.state.lock().txn.initialized
    }

    /// Whether a transaction is open.
    pub fn transaction_in_flight(&self) -> bool {
        self.state.lock().txn.in_flight
    }

    /// Whether the last transaction committed.
    pub fn transaction_committed(&self) -> bool {
        self.state.lock().txn.committed
    }

    /// Whether the last transaction aborted.
    pub fn transaction_aborted(&self) -> bool {
        self.state.lock().txn.aborted
    }

    /// Whether offsets were sent in the open transaction.
    pub fn sent_offsets(&self) -> bool {
        self.state.lock().txn.sent_offsets
    }

    /// Transactions committed.
    pub fn commit_count(&self) -> u64 {
        self.state.lock().txn.commit_count
    }

    /// The offsets of each committed transaction that sent some, by group id (Java's
    /// `consumerGroupOffsetsHistory`).
    pub fn consumer_group_offsets_history(
        &self,
    ) -> Vec<BTreeMap<String, HashMap<TopicPartition, OffsetAndMetadata>>> {
        self.state.lock().txn.offsets_history.clone()
    }

    /// The partitions the producer's [`Cluster`] gives `topic` (empty if it knows none).
    ///
    /// ```
    /// use kafka_producer::mock::MockProducer;
    /// use kafka_producer::producer::serializer::StringSerializer;
    /// let p: MockProducer<String, String> = MockProducer::new(true, StringSerializer, StringSerializer);
    /// assert!(p.partitions_for("t").is_empty());
    /// ```
    pub fn partitions_for(&self, topic: &str) -> Vec<PartitionInfo> {
        self.cluster.partitions_for_topic(topic).to_vec()
    }
}

impl<K: Clone, V: Clone> MockProducer<K, V> {
    /// The records sent so far (since the last [`clear`](Self::clear)), in send order.
    ///
    /// ```
    /// use kafka_producer::mock::MockProducer;
    /// use kafka_producer::producer::serializer::StringSerializer;
    /// use kafka_producer::ProducerRecord;
    /// let p: MockProducer<String, String> = MockProducer::new(true, StringSerializer, StringSerializer);
    /// let r = ProducerRecord::new("t", "v".to_string());
    /// p.send(r.clone());
    /// assert_eq!(p.history(), vec![r]);
    /// ```
    pub fn history(&self) -> Vec<ProducerRecord<K, V>> {
        self.state.lock().sent.clone()
    }

    /// The records of the open transaction (Java's `uncommittedRecords`).
    pub fn uncommitted_records(&self) -> Vec<ProducerRecord<K, V>> {
        self.state.lock().txn.uncommitted_sends.clone()
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
