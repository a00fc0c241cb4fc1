//! Which nodes have sendable batches (Java `RecordAccumulator.ready`), with the per-node
//! latency stats of adaptive partitioning.

use crate::cluster::{Cluster, TopicPartition};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::{Deque, ReadyCheckResult, RecordAccumulator, TopicInfo, retry_backoff};

impl RecordAccumulator {
    /// Finds the leaders that have sendable batches (Java `ready`).
    pub fn ready(&self, cluster: &Cluster, now: Instant) -> ReadyCheckResult {
        let mut result = ReadyCheckResult {
            next_ready_check_delay: Duration::MAX,
            ..Default::default()
        };
        let exhausted = self.pool.queued() > 0;
        let closing = self.closed.load(Ordering::SeqCst)
            || self.flush_in_progress()
            || self.transaction_completing.load(Ordering::Relaxed);
        let muted = self.muted.lock().clone();
        let node_stats = self.node_stats.lock().clone();
        let topics: Vec<(Arc<str>, Arc<TopicInfo>)> = self
            .topics
            .read()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for (topic, info) in topics {
            let deques: Vec<(i32, Deque)> = info
                .deques
                .read()
                .iter()
                .map(|(p, d)| (*p, d.clone()))
                .collect();
            // Load stats for adaptive partitioning, as Java: only once every partition of the
            // topic has a queue; partitions on brokers slower than
            // partitioner.availability.timeout.ms are left out.
            let collect_stats = self.config.adaptive_partitioning
                && deques.len() >= cluster.partitions_for_topic(&topic).len();
            let mut queue_sizes: Vec<i32> = vec![0; if collect_stats { deques.len() } else { 0 }];
            let mut partition_ids: Vec<i32> = queue_sizes.clone();
            let mut stats_len = 0usize;
            for (partition, dq) in deques {
                let tp = TopicPartition {
                    topic: topic.clone(),
                    partition,
                };
                let leader = cluster.partition(&tp).and_then(|p| p.leader);
                let (len, first) = {
                    let d = dq.lock();
                    let first = d
                        .front()
                        .map(|b| (b.waited_time(now), b.attempts(), b.is_full()));
                    (d.len(), first)
                };
                let leader = match leader.filter(|l| cluster.node_by_id(*l).is_some()) {
                    Some(l) => l,
                    None => {
                        if len > 0 {
                            result.unknown_leader_topics.insert(topic.clone());
                        }
                        continue;
                    }
                };
                if collect_stats {
                    let slow = !self.config.partition_availability_timeout.is_zero()
                        && node_stats.get(&leader).is_some_and(|s| {
                            match (s.ready_time, s.drain_time) {
                                (Some(r), Some(d)) => {
                                    r.saturating_duration_since(d)
                                        > self.config.partition_availability_timeout
                                }
                                _ => false,
                            }
                        });
                    queue_sizes[stats_len] = len as i32;
                    partition_ids[stats_len] = partition;
                    if !slow {
                        stats_len += 1;
                    }
                }
                let Some((waited, attempts, first_full)) = first else {
                    continue;
                };
                if result.ready_nodes.contains(&leader) || muted.contains(&tp) {
                    continue;
                }
                let backoff = retry_backoff(
                    self.config.retry_backoff,
                    self.config.retry_backoff_max,
                    attempts,
                    partition as u64,
                );
                let backing_off = attempts > 0 && waited < backoff;
                let time_to_wait = if backing_off {
                    backoff
                } else {
                    self.config.linger
                };
                let full = len > 1 || first_full;
                let expired = waited >= time_to_wait;
                let sendable = full || expired || exhausted || closing;
                if sendable && !backing_off {
                    result.ready_nodes.insert(leader);
                } else {
                    let left = time_to_wait.saturating_sub(waited);
                    result.next_ready_check_delay = result.next_ready_check_delay.min(left);
                }
            }
            if self.config.adaptive_partitioning {
                info.partitioner.update_partition_load_stats_with_length(
                    collect_stats.then_some(&queue_sizes[..]),
                    &partition_ids,
                    stats_len,
                );
            }
        }
        result
    }

    /// Records when a node was ready and whether it could be drained (adaptive partitioning's
    /// availability check, `partitioner.availability.timeout.ms`).
    pub fn update_node_latency_stats(&self, node: i32, now: Instant, can_drain: bool) {
        let mut stats = self.node_stats.lock();
        let s = stats.entry(node).or_default();
        s.ready_time = Some(now);
        if can_drain || s.drain_time.is_none() {
            s.drain_time = Some(now);
        }
    }

    /// Whether any batch is still queued (not yet drained).
    pub fn has_undrained(&self) -> bool {
        let topics: Vec<Arc<TopicInfo>> = self.topics.read().values().cloned().collect();
        topics
            .iter()
            .any(|t| t.deques.read().values().any(|d| !d.lock().is_empty()))
    }

    /// Whether any batch is not yet completed (queued or in flight).
    pub fn has_incomplete(&self) -> bool {
        !self.incomplete.lock().is_empty()
    }

    /// The node's (ready time, drain time) of the availability check (Java `getNodeLatencyStats`).
    #[cfg(test)]
    pub(crate) fn node_latency_stats(
        &self,
        node: i32,
    ) -> Option<(Option<Instant>, Option<Instant>)> {
        self.node_stats
            .lock()
            .get(&node)
            .map(|s| (s.ready_time, s.drain_time))
    }
}
