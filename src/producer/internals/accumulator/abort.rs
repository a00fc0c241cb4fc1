//! Failing the queued batches at a forced close (Java `abortIncompleteBatches`,
//! `abortBatches`).

use crate::cluster::TopicPartition;
use crate::error::Error;
use crate::producer::internals::batch::ProducerBatch;

use super::RecordAccumulator;

impl RecordAccumulator {
    /// Fails every queued batch with `error` and frees its memory (Java `abortBatches`).
    /// Batches in flight belong to the sender, which aborts them itself.
    pub fn abort_undrained_batches(&self, error: &Error) {
        for mut b in self.take_queued_batches() {
            b.done(Err(error.clone()));
            self.deallocate(b);
        }
    }

    /// Takes every queued batch out of the queues (the caller fails and deallocates them; the
    /// sender does, so that the transaction manager forgets their sequences).
    pub(crate) fn take_queued_batches(&self) -> Vec<ProducerBatch> {
        let mut out = Vec::new();
        for (_, _, dq) in self.all_deques() {
            out.extend(dq.lock().drain(..));
        }
        out
    }

    /// Takes the queued batches that have no sequence yet out of the queues (Java's
    /// `abortUndrainedBatches` with a transaction manager): batches being retried keep their
    /// place, their sequences are in the log's future.
    pub(crate) fn take_queued_batches_without_sequence(&self) -> Vec<ProducerBatch> {
        let mut out = Vec::new();
        for (_, _, dq) in self.all_deques() {
            let mut d = dq.lock();
            if d.iter().any(|b| b.sequence().is_none()) {
                let (keep, take): (Vec<_>, Vec<_>) =
                    d.drain(..).partition(|b| b.sequence().is_some());
                d.extend(keep);
                out.extend(take);
            }
        }
        out
    }

    /// Takes the queued batches of the partitions `pick` selects (by topic and partition) out
    /// of the queues, for the caller to fail (a leader that cannot be authenticated with).
    pub(crate) fn take_queued_batches_of(
        &self,
        mut pick: impl FnMut(&TopicPartition) -> bool,
    ) -> Vec<ProducerBatch> {
        let mut out = Vec::new();
        for (topic, partition, dq) in self.all_deques() {
            if pick(&TopicPartition { topic, partition }) {
                out.extend(dq.lock().drain(..));
            }
        }
        out
    }

    /// At a forced close: aborts queued batches until no thread is appending any more, then
    /// once more for a batch made by an append that ended just then (Java
    /// `abortIncompleteBatches`).
    pub fn abort_incomplete_batches(&self, error: &Error) {
        loop {
            self.abort_undrained_batches(error);
            if !self.has_appends_in_progress() {
                break;
            }
            std::thread::yield_now();
        }
        self.abort_undrained_batches(error);
    }
}
