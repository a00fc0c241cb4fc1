//! Queued batches past `delivery.timeout.ms` (Java `RecordAccumulator.expiredBatches`).

use crate::producer::internals::batch::ProducerBatch;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{RecordAccumulator, TopicInfo};

impl RecordAccumulator {
    /// Removes and returns queued batches that waited longer than `delivery.timeout.ms`.
    pub fn expired_batches(&self, now: Instant) -> Vec<ProducerBatch> {
        let mut expired = Vec::new();
        for (_, _, dq) in self.all_deques() {
            let mut d = dq.lock();
            while d
                .front()
                .is_some_and(|b| b.has_reached_delivery_timeout(self.config.delivery_timeout, now))
            {
                // Failed, never sent: no header to write (nor records to compress under the
                // lock).
                expired.push(d.pop_front().expect("front exists"));
            }
        }
        expired
    }

    /// How long until the first queued batch reaches `delivery.timeout.ms`.
    pub fn next_expiry_delay(&self, now: Instant) -> Duration {
        let mut min = Duration::MAX;
        let topics: Vec<Arc<TopicInfo>> = self.topics.read().values().cloned().collect();
        for t in topics {
            for dq in t.deques.read().values() {
                if let Some(b) = dq.lock().front() {
                    let deadline = b.created() + self.config.delivery_timeout;
                    min = min.min(deadline.saturating_duration_since(now));
                }
            }
        }
        min
    }
}
