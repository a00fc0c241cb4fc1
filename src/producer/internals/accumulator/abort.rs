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

    /// At close, after [`close`](Self::close): aborts every queued batch (Java
    /// `abortIncompleteBatches`). Java repeats until no thread is appending; here one pass
    /// after `close` suffices, because an append checks `closed` under its queue's lock: an
    /// append to a queue this pass has drained comes after the pass's unlock and finds the
    /// accumulator closed; a queue created after the pass took its list of queues was
    /// inserted under the map's write lock, after `close`, so its append finds it closed too.
    pub fn abort_incomplete_batches(&self, error: &Error) {
        self.abort_undrained_batches(error);
    }
}
