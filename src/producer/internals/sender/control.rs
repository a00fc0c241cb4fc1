//! The sender's settings and what it shares with the producer handle: [`SenderConfig`],
//! [`SenderMetrics`], [`SenderControl`] (the flags and the fatal error) and [`StateDump`] (a
//! state dump asked of the sender thread).

use crate::error::Error;
use parking_lot::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Sender settings.
#[derive(Debug, Clone)]
pub(crate) struct SenderConfig {
    /// `acks` as sent: 0, 1 or -1.
    pub acks: i16,
    /// `max.request.size`.
    pub max_request_size: usize,
    /// `request.timeout.ms`.
    pub request_timeout: Duration,
    /// `delivery.timeout.ms`.
    pub delivery_timeout: Duration,
    /// `retries`.
    pub retries: i32,
    /// `max.in.flight.requests.per.connection == 1`: mute partitions while a batch is in flight.
    pub guarantee_message_order: bool,
    /// `retry.backoff.ms`: the wait between InitProducerId attempts.
    pub retry_backoff: Duration,
    /// `enable.idempotence`.
    pub idempotence: bool,
    /// The producer's metrics registry, with its `client-id` tag.
    pub metrics: crate::producer::internals::sender_metrics_registry::SenderMetricsRegistry,
    /// The transactional state, with `transactional.id`.
    pub transactional: Option<
        std::sync::Arc<
            crate::producer::internals::transaction_manager::transactional::Transactional,
        >,
    >,
}

/// What the sender did, for tests and tools: the producer's `counters()` (its Java-named metrics
/// are `metrics()`).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct SenderMetrics {
    /// Produce requests sent.
    pub produce_requests: u64,
    /// Batches sent (attempts, retries included).
    pub batches_sent: u64,
    /// Records acknowledged.
    pub records_acked: u64,
    /// Records failed.
    pub records_failed: u64,
    /// Batches put back for a retry.
    pub retries: u64,
    /// Epoch bumps of the idempotent producer.
    pub epoch_bumps: u64,
    /// Batches split after `MESSAGE_TOO_LARGE`.
    pub splits: u64,
    /// Metadata requests sent.
    pub metadata_requests: u64,
    /// Connections opened.
    pub connections: u64,
    /// Disconnections.
    pub disconnections: u64,
    /// SASL authentications completed, the re-authentications before a session expires
    /// (KIP-368) included.
    pub authentications: u64,
}

/// Flags shared between the producer handle and the sender thread.
#[derive(Debug, Default)]
pub(crate) struct SenderControl {
    /// Cleared to make the sender finish what is buffered and stop.
    pub running: AtomicBool,
    /// Set to make the sender fail what is left and stop at once.
    pub force_close: AtomicBool,
    /// The latest metrics.
    pub metrics: Mutex<SenderMetrics>,
    /// A fatal error of the idempotent producer (e.g. fenced): every later send fails with it.
    pub fatal_error: Mutex<Option<Error>>,
    /// Whether `fatal_error` is set (read by every send without taking the lock).
    pub has_fatal_error: AtomicBool,
    /// Set by a caller thread that woke the sender, cleared by the sender before it looks for
    /// work: while it is set, further wake-ups (a system call each) are skipped.
    pub wake_pending: AtomicBool,
    /// Set by the sender before it blocks when every partition leader's connection is up but
    /// can take no request before a network event (which wakes the poll anyway), cleared by
    /// the sender before it looks for work: while it is set, a new or full batch needs no
    /// wake-up, since the sender could not send it sooner.
    pub sends_blocked: AtomicBool,
    /// State dumps asked by callers.
    pub dump: StateDump,
}

impl SenderControl {
    /// Records a fatal error: every later send fails with it.
    pub(crate) fn set_fatal_error(&self, err: Error) {
        *self.fatal_error.lock() = Some(err);
        self.has_fatal_error.store(true, Ordering::SeqCst);
    }
}

/// A state dump asked of the sender thread by a caller (`KafkaProducer::debug_state`): the
/// caller asks and waits, the sender answers at the start of its next round.
#[derive(Debug, Default)]
pub(crate) struct StateDump {
    asked: AtomicBool,
    slot: Mutex<(u64, Option<String>)>,
    answered: parking_lot::Condvar,
}

impl StateDump {
    /// Asks for a dump; returns the ticket to wait with.
    pub(crate) fn ask(&self) -> u64 {
        let mut slot = self.slot.lock();
        slot.0 += 1;
        slot.1 = None;
        self.asked.store(true, Ordering::SeqCst);
        slot.0
    }

    /// Whether a dump was asked and not answered yet (one atomic load).
    pub(crate) fn is_asked(&self) -> bool {
        self.asked.load(Ordering::SeqCst)
    }

    /// The sender's answer.
    pub(crate) fn answer(&self, text: String) {
        let mut slot = self.slot.lock();
        self.asked.store(false, Ordering::SeqCst);
        slot.1 = Some(text);
        self.answered.notify_all();
    }

    /// Waits until `deadline` for the answer to the dump asked with `ticket`.
    pub(crate) fn wait(&self, ticket: u64, deadline: Instant) -> Option<String> {
        let mut slot = self.slot.lock();
        loop {
            if slot.0 != ticket {
                return None;
            }
            if let Some(text) = &slot.1 {
                return Some(text.clone());
            }
            if self.answered.wait_until(&mut slot, deadline).timed_out() {
                return None;
            }
        }
    }
}
