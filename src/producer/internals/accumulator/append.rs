//! The append path (Java `RecordAccumulator.append`, `tryAppend`): finding the partition's
//! deque, appending to its last batch or allocating a new one, and telling the sticky
//! partitioner how many bytes went in.

use crate::cluster::{Cluster, TopicPartition};
use crate::error::Error;
use crate::producer::delivery::{Callback, RecordFuture};
use crate::producer::internals::batch::{BatchCompression, ProducerBatch};
use crate::producer::partitioner::StickyPartitionInfo;
use crate::protocol::compression::COMPRESSION_RATE_ESTIMATION_FACTOR;
use crate::protocol::record_batch::{Compression, RECORD_BATCH_OVERHEAD};
use crate::protocol::record_batch::{Header, estimate_size_upper_bound};
use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::time::Duration;

use super::{RecordAccumulator, RecordAppendResult, TopicInfo, result_key};

impl RecordAccumulator {
    /// Appends a record. `partition` is `None` to let the built-in sticky partitioner choose.
    /// Blocks at most `max_block` for buffer memory.
    #[allow(clippy::too_many_arguments)]
    pub fn append(
        &self,
        topic: &str,
        partition: Option<i32>,
        timestamp: i64,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &[Header],
        mut callback: Option<Callback>,
        max_block: Duration,
        cluster: &Cluster,
    ) -> Result<RecordAppendResult, (Error, Option<Callback>)> {
        let info = self.topic_info(topic);
        // No count of appends in progress (Java's `appendsInProgress`, two shared atomic
        // operations per record): every append checks `closed` under its queue's lock, which
        // is enough for `abort_incomplete_batches` (see there).
        let mut buffer: Option<(Vec<u8>, usize)> = None;
        let result = loop {
            let (sticky, effective): (Option<StickyPartitionInfo>, i32) = match partition {
                Some(p) => (None, p),
                None => {
                    let s = info.partitioner.peek_current_partition_info(cluster);
                    let p = s.partition();
                    (Some(s), p)
                }
            };
            let dq = self.deque_of(&info, effective);
            {
                let mut d = dq.lock();
                if self.closed.load(Ordering::SeqCst) {
                    break Err((closed_error(), callback));
                }
                if self.partition_changed(&info, sticky.as_ref()) {
                    continue;
                }
                match Self::try_append(&mut d, timestamp, key, value, headers, callback) {
                    Ok((future, appended)) => {
                        let r = appended_result(&d, &info, sticky.as_ref(), appended, cluster);
                        break Ok(r(future, false, effective));
                    }
                    Err(cb) => callback = cb,
                }
            }
            if buffer.is_none() {
                let size = self
                    .batch_buffer_size(topic)
                    .max(estimate_size_upper_bound(key, value, headers));
                match self.pool.allocate(size, max_block) {
                    Ok(b) => buffer = Some((b, size)),
                    Err(e) => break Err((e, callback)),
                }
            }
            let mut d = dq.lock();
            if self.closed.load(Ordering::SeqCst) {
                break Err((closed_error(), callback));
            }
            if self.partition_changed(&info, sticky.as_ref()) {
                continue;
            }
            // Another thread may have created a batch while we allocated. The new batch's
            // creation time (delivery.timeout.ms, linger.ms) is read after the allocation,
            // which may have blocked.
            let now = self.time.now();
            match Self::try_append(&mut d, timestamp, key, value, headers, callback) {
                Ok((future, appended)) => {
                    let r = appended_result(&d, &info, sticky.as_ref(), appended, cluster);
                    break Ok(r(future, false, effective));
                }
                Err(cb) => callback = cb,
            }
            let (buf, size) = buffer.take().expect("buffer allocated above");
            let tp = TopicPartition {
                topic: info.name.clone(),
                partition: effective,
            };
            let compression = self.batch_compression(&tp.topic);
            let mut batch =
                ProducerBatch::new(tp, buf, size, self.config.batch_size, compression, now);
            let before = batch.estimated_size_in_bytes();
            let future = match batch.try_append(timestamp, key, value, headers, callback) {
                Ok(f) => f,
                Err(cb) => {
                    // Cannot happen: a new batch is sized for its first record.
                    let (b, s) = batch.into_buffer();
                    buffer = b.map(|b| (b, s));
                    break Err((
                        Error::Internal("record does not fit in a new batch".into()),
                        cb,
                    ));
                }
            };
            let appended = batch.estimated_size_in_bytes() - before;
            let result = batch.result().clone();
            self.incomplete.lock().insert(result_key(&result), result);
            d.push_back(batch);
            let r = appended_result(&d, &info, sticky.as_ref(), appended, cluster);
            break Ok(r(future, true, effective));
        };
        if let Some((buf, size)) = buffer {
            self.pool.deallocate(buf, size);
        }
        result
    }

    /// The compression of a new batch of `topic`, with the topic's current ratio estimate.
    fn batch_compression(&self, topic: &str) -> BatchCompression {
        match self.config.compression {
            Compression::None => BatchCompression::NONE,
            codec => BatchCompression {
                codec,
                estimated_ratio: self.ratio_estimator.estimation(topic, codec),
                level: self.config.compression_level,
            },
        }
    }

    /// Pool memory for a new batch: `batch.size`, or with compression room for the
    /// uncompressed records of a batch expected to compress to about `batch.size` (at most 16
    /// times `batch.size` and half of `buffer.memory`).
    fn batch_buffer_size(&self, topic: &str) -> usize {
        let batch_size = self.config.batch_size;
        let c = self.batch_compression(topic);
        if c.codec == Compression::None {
            return batch_size;
        }
        let ratio = f64::from(c.estimated_ratio * COMPRESSION_RATE_ESTIMATION_FACTOR).max(1e-3);
        let records =
            (batch_size.saturating_sub(RECORD_BATCH_OVERHEAD) as f64 / ratio).ceil() as usize;
        let cap = batch_size
            .saturating_mul(16)
            .min(self.pool.total_memory() / 2)
            .max(batch_size);
        (RECORD_BATCH_OVERHEAD + records).clamp(batch_size, cap)
    }

    fn partition_changed(&self, info: &TopicInfo, sticky: Option<&StickyPartitionInfo>) -> bool {
        match sticky {
            Some(s) => info.partitioner.is_partition_changed(s),
            None => false,
        }
    }

    fn try_append(
        d: &mut VecDeque<ProducerBatch>,
        timestamp: i64,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &[Header],
        callback: Option<Callback>,
    ) -> Result<(RecordFuture, usize), Option<Callback>> {
        match d.back_mut() {
            Some(last) if !last.is_closed() => {
                let before = last.estimated_size_in_bytes();
                match last.try_append(timestamp, key, value, headers, callback) {
                    Ok(f) => Ok((f, last.estimated_size_in_bytes() - before)),
                    Err(cb) => {
                        last.close_for_appends();
                        Err(cb)
                    }
                }
            }
            _ => Err(callback),
        }
    }
}

/// After an append: tells the sticky partitioner how many bytes went in (it may switch
/// partition once the batch is full, Java `updatePartitionInfo`) and builds the result; the
/// sender must be woken when more than one batch is queued or the last one is full.
fn appended_result(
    d: &VecDeque<ProducerBatch>,
    info: &TopicInfo,
    sticky: Option<&StickyPartitionInfo>,
    appended: usize,
    cluster: &Cluster,
) -> impl FnOnce(RecordFuture, bool, i32) -> RecordAppendResult {
    let full = d.len() > 1 || d.back().is_some_and(|b| b.is_full());
    if let Some(s) = sticky {
        info.partitioner
            .update_partition_info(s, appended, cluster, all_batches_full(d));
    }
    move |future, new_batch_created, partition| RecordAppendResult {
        future,
        batch_is_full: full,
        new_batch_created,
        partition,
    }
}

fn closed_error() -> Error {
    Error::ProducerClosed("Producer closed while send in progress".into())
}

fn all_batches_full(d: &VecDeque<ProducerBatch>) -> bool {
    d.back().is_none_or(|b| b.is_full())
}
