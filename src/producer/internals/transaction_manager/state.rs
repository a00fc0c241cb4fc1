//! The transactional producer's states and which transitions are valid (Java's
//! `TransactionManager.State`).

use std::fmt;

/// Where a transactional producer stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    /// `init_transactions` not called yet.
    Uninitialized,
    /// InitProducerId in progress (the first one, or an epoch bump after an abort).
    Initializing,
    /// Between transactions.
    Ready,
    /// A transaction is open: records and offsets may be added.
    InTransaction,
    /// `commit_transaction` called: flushing, then EndTxn(commit).
    CommittingTransaction,
    /// `abort_transaction` called: unsent records fail, then EndTxn(abort).
    AbortingTransaction,
    /// The transaction cannot commit; `abort_transaction` recovers.
    AbortableError,
    /// Nothing recovers; every call fails.
    FatalError,
}

impl State {
    /// Java's `State.isTransitionValid`.
    pub(crate) fn is_transition_valid(self, target: State) -> bool {
        use State::*;
        match target {
            Uninitialized => matches!(self, Ready | AbortableError),
            Initializing => matches!(self, Uninitialized | AbortingTransaction),
            Ready => matches!(
                self,
                Initializing | CommittingTransaction | AbortingTransaction
            ),
            InTransaction => self == Ready,
            CommittingTransaction => self == InTransaction,
            AbortingTransaction => matches!(self, InTransaction | AbortableError),
            AbortableError => matches!(
                self,
                InTransaction | CommittingTransaction | AbortableError | Initializing
            ),
            FatalError => true,
        }
    }

    /// Java's name of the state (`IN_TRANSACTION`, ...), as its messages print it.
    pub(crate) fn java_name(self) -> &'static str {
        match self {
            State::Uninitialized => "UNINITIALIZED",
            State::Initializing => "INITIALIZING",
            State::Ready => "READY",
            State::InTransaction => "IN_TRANSACTION",
            State::CommittingTransaction => "COMMITTING_TRANSACTION",
            State::AbortingTransaction => "ABORTING_TRANSACTION",
            State::AbortableError => "ABORTABLE_ERROR",
            State::FatalError => "FATAL_ERROR",
        }
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.java_name())
    }
}

#[cfg(test)]
mod tests {
    use super::State::*;

    #[test]
    fn transitions_follow_java() {
        assert!(Uninitialized.is_transition_valid(Initializing));
        assert!(!Ready.is_transition_valid(Initializing));
        assert!(Initializing.is_transition_valid(Ready));
        assert!(Ready.is_transition_valid(InTransaction));
        assert!(!InTransaction.is_transition_valid(InTransaction));
        assert!(InTransaction.is_transition_valid(CommittingTransaction));
        assert!(!AbortableError.is_transition_valid(CommittingTransaction));
        assert!(AbortableError.is_transition_valid(AbortingTransaction));
        assert!(AbortingTransaction.is_transition_valid(Initializing));
        assert!(!FatalError.is_transition_valid(AbortingTransaction));
        assert!(FatalError.is_transition_valid(FatalError));
        assert!(!Ready.is_transition_valid(AbortableError));
    }
}
