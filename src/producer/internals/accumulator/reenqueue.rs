//! Putting batches back at the head of their queue: a retry (Java `reenqueue`), a split after
//! `MESSAGE_TOO_LARGE` (Java `splitAndReenqueue`), and new sequences after an epoch bump.

use crate::cluster::TopicPartition;
use crate::error::Error;
use crate::producer::internals::batch::ProducerBatch;
use crate::producer::internals::transaction_manager::{Rewrite, TransactionManager};
use crate::protocol::record_batch::Compression;
use std::time::Instant;

use super::{RecordAccumulator, result_key};

impl RecordAccumulator {
    /// Puts a batch back at the front of its queue for another attempt. A batch with a sequence
    /// (idempotence) goes in sequence order among the queued batches that have one (Java
    /// `insertInSequenceOrder`), so retries leave in order.
    pub fn reenqueue(&self, mut batch: ProducerBatch, now: Instant) {
        batch.reenqueued(now);
        let tp = batch.topic_partition().clone();
        let info = self.shared_topic_info(&tp.topic);
        let dq = Self::shared_deque(&info, tp.partition);
        let mut d = dq.lock();
        match batch.sequence() {
            None => d.push_front(batch),
            Some(seq) => insert_in_sequence_order(&mut d, batch, seq.base_sequence),
        }
    }

    /// Java `splitAndReenqueue`: splits a batch the broker found too large into batches of at
    /// most half its size (and at most `batch.size`), puts them at the front of the
    /// partition's queue (in sequence order with idempotence, tracked by `txn`), and frees the
    /// original. Returns how many batches it became, or gives the batch back if it cannot be
    /// split.
    pub fn split_and_reenqueue(
        &self,
        mut batch: ProducerBatch,
        txn: Option<&mut TransactionManager>,
        now: Instant,
    ) -> Result<usize, Box<(ProducerBatch, Error)>> {
        let tp = batch.topic_partition().clone();
        let codec = batch.compression().codec;
        if codec != Compression::None {
            self.ratio_estimator.set_estimation(&tp.topic, codec, 1.0);
        }
        let split_size = (batch.estimated_size_in_bytes() / 2)
            .min(self.config.batch_size)
            .max(1);
        let parts = match batch.split(split_size, now) {
            Ok(parts) => parts,
            Err(e) => return Err(Box::new((batch, e))),
        };
        let n = parts.len();
        let info = self.shared_topic_info(&tp.topic);
        let dq = Self::shared_deque(&info, tp.partition);
        let mut txn = txn;
        let mut d = dq.lock();
        for b in parts.into_iter().rev() {
            let result = b.result().clone();
            self.incomplete.lock().insert(result_key(&result), result);
            match (b.sequence(), txn.as_deref_mut()) {
                (Some(seq), Some(tm)) => {
                    tm.add_in_flight_batch(&tp, seq);
                    insert_in_sequence_order(&mut d, b, seq.base_sequence);
                }
                _ => d.push_front(b),
            }
        }
        drop(d);
        // Only now the original leaves the incomplete set: a flush() looking between the two
        // would have seen neither and returned early (Java adds the new batches first).
        self.deallocate(batch);
        Ok(n)
    }

    /// Applies sequence rewrites (an epoch bump) to the queued batches; returns the rewrites
    /// of batches not queued here (they are in flight, held by the sender).
    pub fn apply_rewrites(
        &self,
        rewrites: Vec<(TopicPartition, Rewrite)>,
    ) -> Vec<(TopicPartition, Rewrite)> {
        let mut rest = Vec::new();
        for (tp, r) in rewrites {
            let applied = self.existing_deque(&tp).is_some_and(|dq| {
                let mut d = dq.lock();
                match d.iter_mut().find(|b| b.id() == r.id) {
                    Some(b) => {
                        b.reset_producer_state(r.producer, r.base_sequence);
                        true
                    }
                    None => false,
                }
            });
            if !applied {
                rest.push((tp, r));
            }
        }
        rest
    }
}

/// Java `insertInSequenceOrder`: before the first queued batch that has no sequence (never
/// drained) or a sequence not below `base_sequence`, so retries leave in sequence order.
fn insert_in_sequence_order(
    d: &mut std::collections::VecDeque<ProducerBatch>,
    batch: ProducerBatch,
    base_sequence: i32,
) {
    let pos = d
        .iter()
        .position(|b| {
            b.sequence()
                .is_none_or(|q| q.base_sequence >= base_sequence)
        })
        .unwrap_or(d.len());
    d.insert(pos, batch);
}
