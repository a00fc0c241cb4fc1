//! `ProducerBatch`: records of one partition, written once into a pooled buffer in
//! RecordBatch v2 form, with the per-record futures and callbacks (Java's `ProducerBatch`).

use crate::cluster::TopicPartition;
use crate::error::Error;
use crate::producer::delivery::{
    BatchOutcome, BatchResult, Callback, RecordFuture, RecordInfo, run_callback,
    with_completing_partition,
};
use crate::producer::internals::transaction_manager::{BatchSequence, ProducerIdAndEpoch};
use crate::protocol::record_batch::{
    Compression, Header, ProducerState, RecordBatchBuilder, record_size_in_bytes,
    rewrite_producer_state,
};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

static NEXT_BATCH_ID: AtomicU64 = AtomicU64::new(1);

thread_local! {
    /// Scratch space for compressing a batch when it is closed (on the sender thread).
    static COMPRESS_SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// How a batch's records are compressed: the codec, the compression ratio expected for its
/// topic (to fill the batch to about `batch.size` compressed), and the level.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BatchCompression {
    /// The codec.
    pub codec: Compression,
    /// Expected compressed / uncompressed size (`CompressionRatioEstimator`).
    pub estimated_ratio: f32,
    /// The level (`None`: the codec's default).
    pub level: Option<i32>,
}

impl BatchCompression {
    /// No compression.
    pub const NONE: BatchCompression = BatchCompression {
        codec: Compression::None,
        estimated_ratio: 1.0,
        level: None,
    };
}

/// A batch of records for one partition.
pub struct ProducerBatch {
    id: u64,
    tp: TopicPartition,
    /// Producer id, epoch and base sequence (idempotence), once drained the first time.
    sequence: Option<BatchSequence>,
    /// The sequence was reset by an epoch bump; the bytes are rewritten at the next close.
    reopened: bool,
    /// No more records go in (Java `closeForRecordAppends`); the bytes are finished at `close`.
    appends_closed: bool,
    builder: RecordBatchBuilder,
    /// The finished bytes, shared with the network layer while a request is being written.
    sealed: Option<Arc<Vec<u8>>>,
    /// Bytes of pool memory this batch holds.
    buffer_size: usize,
    /// The most bytes the records may take uncompressed in a compressed batch: the buffer
    /// taken from the pool, or a split batch's own buffer (outside the pool).
    uncompressed_limit: usize,
    compression: BatchCompression,
    result: Arc<BatchResult>,
    /// What each record's future and callback report, by offset in the batch.
    infos: Vec<RecordInfo>,
    /// Each record's callback, by offset in the batch (a separate vector from `infos`: pushing
    /// one 64-byte struct made of the info's fields and the callback went through a temporary
    /// on the stack whose wide reloads of narrow stores stalled every append).
    callbacks: Vec<Option<Callback>>,
    created: Instant,
    last_attempt: Instant,
    attempts: u32,
    drained: Option<Instant>,
    done: bool,
    /// Per-record errors of the broker's answer, used when the batch fails (KIP-467).
    record_errors: Option<std::sync::Arc<crate::producer::delivery::RecordErrors>>,
    /// The largest record's size upper bound (Java `maxRecordSize`, for `record-size-max`).
    max_record_size: usize,
    /// Compressed over uncompressed size once closed, 1.0 uncompressed (Java
    /// `compressionRatio`, for `compression-rate-avg`).
    compression_ratio: f32,
}

fn state_of(seq: &BatchSequence) -> ProducerState {
    ProducerState {
        producer_id: seq.producer.producer_id,
        producer_epoch: seq.producer.epoch,
        base_sequence: seq.base_sequence,
        is_transactional: seq.is_transactional,
    }
}

impl std::fmt::Debug for ProducerBatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProducerBatch")
            .field("tp", &self.tp)
            .field("records", &self.record_count())
            .field("bytes", &self.estimated_size_in_bytes())
            .field("attempts", &self.attempts)
            .field("done", &self.done)
            .finish()
    }
}

impl ProducerBatch {
    /// A new, empty batch on `buffer` (which holds `buffer_size` bytes of pool memory). Records
    /// are appended while the batch stays under `batch_size` bytes (for a compressed batch:
    /// its estimated compressed size, while the uncompressed records must fit the buffer).
    pub fn new(
        tp: TopicPartition,
        buffer: Vec<u8>,
        buffer_size: usize,
        batch_size: usize,
        compression: BatchCompression,
        now: Instant,
    ) -> Self {
        let result = BatchResult::new(tp.clone());
        let write_limit = if compression.codec == Compression::None {
            batch_size.max(buffer_size)
        } else {
            batch_size
        };
        let mut builder = RecordBatchBuilder::new(buffer, write_limit);
        builder.set_compression(compression.codec, compression.estimated_ratio);
        ProducerBatch {
            id: NEXT_BATCH_ID.fetch_add(1, Ordering::Relaxed),
            tp,
            sequence: None,
            reopened: false,
            appends_closed: false,
            builder,
            sealed: None,
            buffer_size,
            uncompressed_limit: buffer_size,
            compression,
            result,
            infos: Vec::new(),
            callbacks: Vec::new(),
            created: now,
            last_attempt: now,
            attempts: 0,
            drained: None,
            done: false,
            record_errors: None,
            max_record_size: 0,
            compression_ratio: 1.0,
        }
    }

    /// The batch's partition.
    pub fn topic_partition(&self) -> &TopicPartition {
        &self.tp
    }

    /// Appends a record if it fits; `None` when the batch is full or closed.
    #[allow(clippy::too_many_arguments)]
    pub fn try_append(
        &mut self,
        timestamp: i64,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &[Header],
        callback: Option<Callback>,
    ) -> Result<RecordFuture, Option<Callback>> {
        if self.appends_closed {
            return Err(callback);
        }
        // Compressed batches hold their records uncompressed until closed: they must also fit
        // the buffer taken from the pool, so that memory stays within buffer.memory.
        if self.compression.codec != Compression::None
            && self.record_count() > 0
            && self.builder.size_in_bytes()
                + record_size_in_bytes(i32::MAX, i64::MAX, key, value, headers)
                > self.uncompressed_limit
        {
            return Err(callback);
        }
        let Some((relative_offset, written)) =
            self.builder.try_append(timestamp, key, value, headers)
        else {
            return Err(callback);
        };
        // The record as written, in a batch of its own (Java's record-size-max takes an upper
        // bound estimate; measuring what was written costs no second pass over the record).
        let size = crate::protocol::record_batch::RECORD_BATCH_OVERHEAD + written;
        self.max_record_size = self.max_record_size.max(size);
        let info = RecordInfo {
            relative_offset,
            timestamp,
            key_size: key.map_or(-1, |k| k.len() as i32),
            value_size: value.map_or(-1, |v| v.len() as i32),
        };
        if self.infos.is_empty() {
            // Room for up to 32 records of this size at once (the vectors then double), not
            // 4: fewer regrowths, and little memory outside buffer.memory for batches that stay
            // small.
            let room = (self.builder.write_limit() / written.max(1)).clamp(1, 32);
            self.infos.reserve(room);
            self.callbacks.reserve(room);
        }
        self.infos.push(info);
        self.callbacks.push(callback);
        // linger.ms counts from the batch's creation (or its last retry), not from this append.
        Ok(RecordFuture::pending(self.result.clone(), info))
    }

    /// Records in the batch.
    pub fn record_count(&self) -> usize {
        self.infos.len()
    }

    /// Bytes of the batch (header included): exact once closed; while open, with compression,
    /// the expected compressed size (Java `estimatedSizeInBytes`).
    pub fn estimated_size_in_bytes(&self) -> usize {
        match &self.sealed {
            Some(b) => b.len(),
            None => self.builder.estimated_size_in_bytes(),
        }
    }

    /// Whether no more records should go in (Java `isFull`).
    pub fn is_full(&self) -> bool {
        self.appends_closed
            || (self.record_count() > 0
                && self.builder.estimated_size_in_bytes() >= self.builder.write_limit())
    }

    /// The batch's compression settings.
    pub fn compression(&self) -> BatchCompression {
        self.compression
    }

    /// Whether the batch was closed for appends.
    pub fn is_closed(&self) -> bool {
        self.appends_closed
    }

    /// Stops appends to the batch (Java `closeForRecordAppends`): it is full. The header is
    /// written later, by [`close`](Self::close), once the producer id and sequence are known.
    pub fn close_for_appends(&mut self) {
        self.appends_closed = true;
    }

    /// Closes the batch for appends and writes its header and CRC (compressing its records
    /// once, here, outside any lock); its bytes can then be sent. A batch whose sequence was
    /// reset since it was last sent gets its header rewritten. Returns the compression ratio
    /// achieved when this call compressed the batch (for the topic's ratio estimate).
    pub fn close(&mut self) -> Option<f32> {
        self.appends_closed = true;
        let mut ratio = None;
        match &mut self.sealed {
            None => {
                if let Some(seq) = self.sequence {
                    self.builder.set_producer_state(state_of(&seq));
                }
                if self.compression.codec == Compression::None {
                    self.builder.finish();
                } else {
                    let level = self.compression.level;
                    let result = COMPRESS_SCRATCH.with(|scratch| {
                        let mut scratch = scratch.borrow_mut();
                        self.builder
                            .finish_compressed(level, &mut scratch)
                            .map(|_| ())
                    });
                    match result {
                        Ok(()) => {
                            let r = self.builder.compression_ratio();
                            self.compression_ratio = r;
                            ratio = Some(r);
                        }
                        Err(e) => {
                            log::error!(
                                "Compressing a batch for {} failed ({e}); sending it uncompressed",
                                self.tp
                            );
                            self.builder.set_compression(Compression::None, 1.0);
                            self.builder.finish();
                        }
                    }
                }
                let builder =
                    std::mem::replace(&mut self.builder, RecordBatchBuilder::new(Vec::new(), 0));
                self.sealed = Some(Arc::new(builder.into_buffer()));
            }
            Some(arc) if self.reopened => {
                if let Some(seq) = self.sequence {
                    // The previous request is finished, so the bytes are normally not shared;
                    // if they still are, write a copy rather than touch bytes being sent.
                    rewrite_producer_state(Arc::make_mut(arc).as_mut_slice(), state_of(&seq));
                }
            }
            Some(_) => {}
        }
        self.reopened = false;
        ratio
    }

    /// The batch's unique id.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The producer id, epoch and base sequence, once assigned.
    pub fn sequence(&self) -> Option<BatchSequence> {
        self.sequence
    }

    /// Assigns the producer id, epoch and base sequence (at its first drain).
    pub fn set_sequence(&mut self, sequence: BatchSequence) {
        self.sequence = Some(sequence);
    }

    /// Resets the producer state after an epoch bump (Java `resetProducerState`): the header is
    /// rewritten at the next [`close`](Self::close), and until then
    /// [`sequence_has_been_reset`](Self::sequence_has_been_reset) is true.
    pub fn reset_producer_state(&mut self, producer: ProducerIdAndEpoch, base_sequence: i32) {
        if let Some(seq) = &mut self.sequence {
            seq.producer = producer;
            seq.base_sequence = base_sequence;
            self.reopened = true;
        }
    }

    /// Whether the sequence was reset since the batch was last sent.
    pub fn sequence_has_been_reset(&self) -> bool {
        self.reopened
    }

    /// Whether the batch was sent before and went back for a retry.
    pub fn in_retry(&self) -> bool {
        self.attempts > 0
    }

    /// The sealed bytes, shared (call [`close`](Self::close) first).
    pub fn shared_bytes(&self) -> Option<Arc<Vec<u8>>> {
        self.sealed.clone()
    }

    /// The shared result of the batch.
    pub(crate) fn result(&self) -> &Arc<BatchResult> {
        &self.result
    }

    /// Send attempts so far (0 until the first retry).
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// When the batch was created.
    pub fn created(&self) -> Instant {
        self.created
    }

    /// How long the batch has waited since its creation or last attempt.
    pub fn waited_time(&self, now: Instant) -> Duration {
        now.saturating_duration_since(self.last_attempt)
    }

    /// Whether `delivery.timeout.ms` has passed since the batch was created.
    pub fn has_reached_delivery_timeout(&self, delivery_timeout: Duration, now: Instant) -> bool {
        now.saturating_duration_since(self.created) >= delivery_timeout
    }

    /// Whether the batch is in retry backoff at `now`.
    pub fn in_retry_backoff(&self, backoff: Duration, now: Instant) -> bool {
        self.attempts > 0 && self.waited_time(now) < backoff
    }

    /// The largest record's size upper bound, in bytes (Java `maxRecordSize`).
    pub fn max_record_size(&self) -> usize {
        self.max_record_size
    }

    /// Compressed over uncompressed size once closed; 1.0 for an uncompressed batch (Java
    /// `compressionRatio`).
    pub fn compression_ratio(&self) -> f32 {
        self.compression_ratio
    }

    /// Marks the batch as drained for sending.
    pub fn drained(&mut self, now: Instant) {
        self.drained = Some(now);
    }

    /// When the batch was last drained.
    pub fn drained_at(&self) -> Option<Instant> {
        self.drained
    }

    /// Marks the batch as going back to its queue for another attempt.
    pub fn reenqueued(&mut self, now: Instant) {
        self.attempts += 1;
        self.last_attempt = now;
        self.record_errors = None;
    }

    /// The broker named records of this batch as invalid: if the batch fails, each gets its
    /// own error (Java's `completeExceptionally(topLevel, recordExceptions)`).
    pub(crate) fn set_record_errors(&mut self, errors: crate::producer::delivery::RecordErrors) {
        self.record_errors = Some(std::sync::Arc::new(errors));
    }

    /// Whether a final outcome was set.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Sets the final outcome once: runs every record's callback in order, then completes
    /// the futures. Returns false (and does nothing) if the batch was already done.
    pub fn done(&mut self, outcome: Result<BatchOutcome, Error>) -> bool {
        if self.done {
            if let Err(e) = &outcome {
                log::debug!(
                    "Ignoring a late failure of already completed batch for {}: {e}",
                    self.tp
                );
            }
            return false;
        }
        self.done = true;
        let record_errors = match &outcome {
            Err(_) => self.record_errors.take(),
            Ok(_) => None,
        };
        with_completing_partition(self.tp.partition, || {
            for (info, callback) in self.infos.iter().zip(self.callbacks.iter_mut()) {
                if let Some(cb) = callback.take() {
                    let r = match (&outcome, &record_errors) {
                        (Ok(o), _) => Ok(info.metadata(&self.tp, o)),
                        (Err(_), Some(re)) => Err(re.error_for(info.relative_offset)),
                        (Err(e), None) => Err(e.clone()),
                    };
                    run_callback(cb, r);
                }
            }
        });
        match record_errors {
            Some(re) => self.result.fail_records(re),
            None => self.result.complete(outcome),
        };
        true
    }

    /// Splits a batch the broker found too large (`MESSAGE_TOO_LARGE`) into batches of at most
    /// `split_size` bytes each (one record each if need be), as Java's `ProducerBatch.split`:
    /// the records move to the new batches in order, with their callbacks; their futures are
    /// chained to the new batches; the new batches keep this one's creation time, compression
    /// (with a ratio estimate of 1, so they stay under the size) and, with idempotence,
    /// consecutive sequences from this one's base sequence. Their memory is outside the pool,
    /// as in Java. This batch is done afterwards (deallocate it).
    pub fn split(&mut self, split_size: usize, now: Instant) -> Result<Vec<ProducerBatch>, Error> {
        let Some(bytes) = self.sealed.clone() else {
            return Err(Error::Internal(
                "splitting a batch that was never closed".into(),
            ));
        };
        let decoded = crate::protocol::record_batch::RecordBatch::decode_all(&bytes)
            .map_err(|e| Error::Internal(format!("cannot decode the batch to split: {e}")))?;
        let mut records = Vec::with_capacity(self.infos.len());
        for b in &decoded {
            for r in &b.records {
                records.push((b.timestamp_of(r), r));
            }
        }
        if records.len() != self.infos.len() {
            return Err(Error::Internal("the batch to split lost records".into()));
        }
        let compression = BatchCompression {
            estimated_ratio: 1.0,
            ..self.compression
        };
        let mut out: Vec<ProducerBatch> = Vec::new();
        let mut targets = Vec::with_capacity(records.len());
        for ((timestamp, r), slot) in records.into_iter().zip(self.callbacks.iter_mut()) {
            let (key, value) = (r.key.as_deref(), r.value.as_deref());
            let mut callback = slot.take();
            loop {
                if let Some(b) = out.last_mut() {
                    let offset = b.record_count() as i32;
                    match b.try_append(timestamp, key, value, &r.headers, callback) {
                        Ok(_) => {
                            targets.push((b.result.clone(), offset));
                            break;
                        }
                        Err(cb) => callback = cb,
                    }
                }
                let size =
                    split_size.max(crate::protocol::record_batch::estimate_size_upper_bound(
                        key, value, &r.headers,
                    ));
                let mut b = ProducerBatch::new(
                    self.tp.clone(),
                    Vec::with_capacity(size),
                    0,
                    split_size,
                    compression,
                    now,
                );
                b.created = self.created;
                // Its buffer is its own (no pool memory): records fill it up to `size`.
                b.uncompressed_limit = size;
                out.push(b);
            }
        }
        // No record may join a split batch later (its sequence range is fixed).
        for b in out.iter_mut() {
            b.close_for_appends();
        }
        if let Some(seq) = self.sequence {
            let mut base = seq.base_sequence;
            for b in out.iter_mut() {
                let count = b.record_count() as i32;
                b.sequence = Some(BatchSequence {
                    id: b.id,
                    producer: seq.producer,
                    base_sequence: base,
                    record_count: count,
                    is_transactional: seq.is_transactional,
                });
                base = crate::producer::internals::transaction_manager::increment_sequence(
                    base, count,
                );
            }
        }
        self.done = true;
        self.result.split(targets);
        Ok(out)
    }

    /// Gives back the buffer and the number of pool bytes it accounts for. The buffer is `None`
    /// when the network layer still shares it (its memory is then freed when it drops).
    pub fn into_buffer(mut self) -> (Option<Vec<u8>>, usize) {
        let size = self.buffer_size;
        let buf = match self.sealed.take() {
            Some(arc) => Arc::try_unwrap(arc).ok(),
            None => Some(
                std::mem::replace(&mut self.builder, RecordBatchBuilder::new(Vec::new(), 0))
                    .into_buffer(),
            ),
        };
        (buf, size)
    }
}

/// The guard of last resort: a batch dropped before its outcome was set (e.g. held on the
/// sender thread's stack when a panic unwound it, which the sender's catch only recovers for
/// queued and in-flight batches) fails its records, so that no future, callback or `flush()`
/// waits for it forever. `flush()` waits on the batch's shared result, which this completes.
impl Drop for ProducerBatch {
    fn drop(&mut self) {
        if self.done && self.result.is_done() {
            return;
        }
        let err = Error::Internal(format!(
            "a batch for {} was dropped before its records were acknowledged or failed \
             (the producer's sender thread failed or stopped)",
            self.tp
        ));
        if self.record_count() > 0 {
            log::error!("{err}; failing its {} record(s)", self.record_count());
        }
        if !self.done(Err(err.clone())) {
            // Done, but the shared result was never set (a panic between the two).
            self.result.complete(Err(err));
        }
    }
}

#[cfg(test)]
mod tests;
