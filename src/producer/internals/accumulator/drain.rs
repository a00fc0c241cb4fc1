//! Draining the ready partitions of each node into request-sized lists of batches (Java
//! `RecordAccumulator.drain`, `drainBatchesForOneNode`).

use crate::cluster::Cluster;
use crate::producer::internals::batch::ProducerBatch;
use crate::producer::internals::transaction_manager::TransactionManager;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::time::Instant;

use super::{RecordAccumulator, retry_backoff};

impl RecordAccumulator {
    /// Takes, for each ready node, up to `max_size` bytes of batches, one per partition,
    /// round-robin across the node's partitions (Java `drain`). Drained batches are closed.
    ///
    /// With idempotence (`txn`), a partition whose first batch must wait (no producer id yet,
    /// a retry that is not the lowest sequence in flight, an unresolved sequence) stops the
    /// node's drain for this round, and a batch drained for the first time gets its producer
    /// id, epoch and sequence.
    pub fn drain(
        &self,
        cluster: &Cluster,
        nodes: &HashSet<i32>,
        max_size: usize,
        now: Instant,
        guarantee_order: bool,
        mut txn: Option<&mut TransactionManager>,
    ) -> HashMap<i32, Vec<ProducerBatch>> {
        let mut out = HashMap::default();
        for &node in nodes {
            let batches = self.drain_node(
                cluster,
                node,
                max_size,
                now,
                guarantee_order,
                txn.as_deref_mut(),
            );
            out.insert(node, batches);
        }
        out
    }

    fn drain_node(
        &self,
        cluster: &Cluster,
        node: i32,
        max_size: usize,
        now: Instant,
        guarantee_order: bool,
        mut txn: Option<&mut TransactionManager>,
    ) -> Vec<ProducerBatch> {
        let parts = cluster.partitions_for_node(node);
        let mut ready = Vec::new();
        if parts.is_empty() {
            return ready;
        }
        let mut size = 0usize;
        let mut index = self.drain_index.lock();
        let start = *index.get(&node).unwrap_or(&0) % parts.len();
        let mut i = start;
        loop {
            let tp = &parts[i];
            // The index of the partition looked at, not the next one: a partition that did
            // not fit this request is the first one of the next (Java's updateDrainIndex).
            index.insert(node, i);
            i = (i + 1) % parts.len();
            let muted = guarantee_order && self.muted.lock().contains(tp);
            if !muted {
                if let Some(dq) = self.existing_deque(tp) {
                    let mut d = dq.lock();
                    if let Some(first) = d.front() {
                        let backoff = retry_backoff(
                            self.config.retry_backoff,
                            self.config.retry_backoff_max,
                            first.attempts(),
                            tp.partition as u64,
                        );
                        let backing_off = first.in_retry_backoff(backoff, now);
                        let too_big =
                            size + first.estimated_size_in_bytes() > max_size && !ready.is_empty();
                        if too_big {
                            // One request is full; a lone batch bigger than max_size still goes.
                            break;
                        }
                        // A partition whose first batch must wait (Java's
                        // shouldStopDrainBatchesForPartition) is skipped; unlike Java, which
                        // ends the node's drain there, the node's other partitions still go.
                        let must_wait = txn.as_deref().is_some_and(|tm| {
                            tm.should_stop_drain(tp, first.sequence().map(|q| q.base_sequence))
                        });
                        if !backing_off && !must_wait {
                            let mut batch = d.pop_front().expect("front exists");
                            if let Some(tm) = txn.as_deref_mut() {
                                if batch.sequence().is_none() {
                                    let count = batch.record_count() as i32;
                                    batch.set_sequence(tm.assign_sequence(tp, batch.id(), count));
                                }
                            }
                            drop(d);
                            if let Some(ratio) = batch.close() {
                                let c = batch.compression().codec;
                                self.ratio_estimator.update_estimation(&tp.topic, c, ratio);
                            }
                            batch.drained(now);
                            size += batch.estimated_size_in_bytes();
                            if guarantee_order {
                                self.muted.lock().insert(tp.clone());
                            }
                            ready.push(batch);
                        }
                    }
                }
            }
            if i == start {
                break;
            }
        }
        ready
    }
}
