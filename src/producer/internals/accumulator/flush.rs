//! Flush (Java `beginFlush`, `flushInProgress`, `awaitFlushCompletion`).

use crate::producer::delivery::BatchResult;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::RecordAccumulator;

impl RecordAccumulator {
    /// Starts a flush: every queued batch is sendable at once.
    pub fn begin_flush(&self) {
        self.flushes_in_progress.fetch_add(1, Ordering::SeqCst);
    }

    /// Whether a transaction is being committed or aborted: then, as in a flush, every queued
    /// batch is sendable at once.
    pub fn set_transaction_completing(&self, completing: bool) {
        self.transaction_completing
            .store(completing, Ordering::Relaxed);
    }

    /// Whether a flush is running.
    pub fn flush_in_progress(&self) -> bool {
        self.flushes_in_progress.load(Ordering::SeqCst) > 0
    }

    /// Waits until every batch incomplete at the call is done, then ends the flush.
    pub fn await_flush_completion(&self, deadline: Option<Instant>) -> bool {
        self.await_flush_completion_or(deadline, None, || {})
    }

    /// [`await_flush_completion`](Self::await_flush_completion), calling `slow` once if the
    /// batches are not all complete after `slow_after` (and waiting on).
    pub fn await_flush_completion_or(
        &self,
        deadline: Option<Instant>,
        slow_after: Option<Duration>,
        slow: impl FnOnce(),
    ) -> bool {
        let pending: Vec<Arc<BatchResult>> = self.incomplete.lock().values().cloned().collect();
        let mut slow = Some(slow);
        let slow_at = slow_after.and_then(|d| Instant::now().checked_add(d));
        let mut all = true;
        for r in pending {
            if let (Some(at), Some(_)) = (slow_at, slow.as_ref()) {
                let first_deadline = deadline.map_or(at, |d| d.min(at));
                if r.wait_all(Some(first_deadline)) {
                    continue;
                }
                if deadline.is_some_and(|d| d <= at) {
                    all = false;
                    break;
                }
                if let Some(f) = slow.take() {
                    f();
                }
            }
            if !r.wait_all(deadline) {
                all = false;
                break;
            }
        }
        self.flushes_in_progress.fetch_sub(1, Ordering::SeqCst);
        all
    }
}
