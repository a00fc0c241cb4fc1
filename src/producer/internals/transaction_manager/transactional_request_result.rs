//! `TransactionalRequestResult`: the outcome of a transactional call that the sender thread
//! completes and a caller thread waits for (Java's class of the same name).

use crate::error::{Error, TimeoutKind};
use parking_lot::{Condvar, Mutex};
use std::time::Instant;

/// A latch with an outcome.
#[derive(Debug)]
pub(crate) struct TransactionalRequestResult {
    operation: &'static str,
    outcome: Mutex<Option<Result<(), Error>>>,
    done: Condvar,
    acked: std::sync::atomic::AtomicBool,
}

impl TransactionalRequestResult {
    /// A pending result of `operation` (Java's method name, for messages).
    pub(crate) fn new(operation: &'static str) -> Self {
        TransactionalRequestResult {
            operation,
            outcome: Mutex::new(None),
            done: Condvar::new(),
            acked: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// A result that is already successful.
    #[cfg(test)]
    pub(crate) fn completed(operation: &'static str) -> Self {
        let r = Self::new(operation);
        r.done();
        r
    }

    /// Completes it successfully (the first completion wins).
    pub(crate) fn done(&self) {
        self.complete(Ok(()));
    }

    /// Completes it with `error` (the first completion wins).
    pub(crate) fn fail(&self, error: Error) {
        self.complete(Err(error));
    }

    fn complete(&self, outcome: Result<(), Error>) {
        let mut slot = self.outcome.lock();
        if slot.is_none() {
            *slot = Some(outcome);
            self.done.notify_all();
        }
    }

    /// Whether it completed.
    #[cfg(test)]
    pub(crate) fn is_completed(&self) -> bool {
        self.outcome.lock().is_some()
    }

    /// Whether it completed successfully.
    #[cfg(test)]
    pub(crate) fn is_successful(&self) -> bool {
        matches!(*self.outcome.lock(), Some(Ok(())))
    }

    /// Whether a caller has seen the outcome (Java's `isAcked`).
    pub(crate) fn is_acked(&self) -> bool {
        self.acked.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Waits until `deadline` for the outcome; a [`TimeoutKind::Transaction`] error when it
    /// does not come in time (the operation goes on).
    pub(crate) fn await_until(&self, deadline: Instant, waited_ms: u128) -> Result<(), Error> {
        let mut slot = self.outcome.lock();
        while slot.is_none() {
            if self.done.wait_until(&mut slot, deadline).timed_out() && slot.is_none() {
                return Err(Error::timeout(
                    TimeoutKind::Transaction,
                    format!(
                        "Timeout expired after {waited_ms} ms while awaiting {}; it goes on in \
                         the background: call {} again to wait for it",
                        self.operation,
                        java_to_rust(self.operation)
                    ),
                ));
            }
        }
        self.acked.store(true, std::sync::atomic::Ordering::SeqCst);
        slot.clone().unwrap_or(Ok(()))
    }
}

/// The Rust method of a Java operation name.
fn java_to_rust(operation: &str) -> &str {
    match operation {
        "InitProducerId" | "initTransactions" => "init_transactions()",
        "commitTransaction" | "EndTxn(COMMIT)" => "commit_transaction()",
        "abortTransaction" | "EndTxn(ABORT)" => "abort_transaction()",
        "sendOffsetsToTransaction" | "AddOffsetsToTxn" => "send_offsets_to_transaction()",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    #[test]
    fn first_completion_wins_and_waiters_see_it() {
        let r = Arc::new(TransactionalRequestResult::new("commitTransaction"));
        let w = {
            let r = r.clone();
            std::thread::spawn(move || r.await_until(Instant::now() + Duration::from_secs(5), 0))
        };
        r.fail(Error::ProducerFenced("x".into()));
        r.done();
        assert_eq!(w.join().unwrap(), Err(Error::ProducerFenced("x".into())));
        assert!(r.is_acked() && r.is_completed() && !r.is_successful());
    }

    #[test]
    fn timeout_names_max_block_and_the_method() {
        let r = TransactionalRequestResult::new("commitTransaction");
        let e = r.await_until(Instant::now(), 0).unwrap_err();
        assert!(e.to_string().contains("max.block.ms"), "{e}");
        assert!(e.to_string().contains("commit_transaction()"), "{e}");
        assert!(!r.is_acked());
        assert!(TransactionalRequestResult::completed("x").is_successful());
    }
}
