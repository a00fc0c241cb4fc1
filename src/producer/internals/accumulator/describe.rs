//! The description of the queues for the state dump (`KafkaProducer::debug_state`).

use crate::cluster::TopicPartition;
use crate::producer::internals::batch::ProducerBatch;
use std::time::Instant;

use super::{RecordAccumulator, retry_backoff};

impl RecordAccumulator {
    /// The non-empty partition queues, for the producer's state dump: per partition the
    /// queued batches and records, and the first batch's sequence, attempts, age and retry
    /// backoff left.
    pub fn describe_queues(&self, now: Instant) -> Vec<(TopicPartition, String)> {
        let mut out = Vec::new();
        let muted = self.muted.lock().clone();
        for (topic, partition, dq) in self.all_deques() {
            let d = dq.lock();
            let Some(first) = d.front() else { continue };
            let tp = TopicPartition { topic, partition };
            let records: usize = d.iter().map(ProducerBatch::record_count).sum();
            let backoff = retry_backoff(
                self.config.retry_backoff,
                self.config.retry_backoff_max,
                first.attempts(),
                partition as u64,
            );
            let backoff_left = if first.in_retry_backoff(backoff, now) {
                format!(
                    ", retry backoff {} ms left",
                    backoff.saturating_sub(first.waited_time(now)).as_millis()
                )
            } else {
                String::new()
            };
            let line = format!(
                "queued {} batch(es), {records} record(s); first: sequence {}, {} attempt(s), created {} ms ago{backoff_left}{}",
                d.len(),
                first
                    .sequence()
                    .map_or_else(|| "none".to_string(), |q| q.base_sequence.to_string()),
                first.attempts(),
                now.saturating_duration_since(first.created()).as_millis(),
                if muted.contains(&tp) { ", muted" } else { "" }
            );
            out.push((tp, line));
        }
        out.sort_by(|(a, _), (b, _)| a.cmp(b));
        out
    }

    /// The batches queued for `tp`, front first: (records, base sequence if assigned)
    /// (Java tests read `accumulator.getDeque(tp)`).
    #[cfg(test)]
    pub(crate) fn queued(&self, tp: &TopicPartition) -> Vec<(usize, Option<i32>)> {
        self.existing_deque(tp).map_or_else(Vec::new, |dq| {
            dq.lock()
                .iter()
                .map(|b| (b.record_count(), b.sequence().map(|q| q.base_sequence)))
                .collect()
        })
    }
}
