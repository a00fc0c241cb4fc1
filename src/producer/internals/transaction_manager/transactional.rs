//! The transactional half of Java's `TransactionManager`: the state machine, the queue of
//! transactional requests (Java's `TxnRequestHandler`s, by priority), the partitions and offsets
//! of the current transaction, the coordinators, and what each coordinator answer does.
//!
//! Shared between the caller threads (whose `init_transactions`, `begin_transaction`,
//! `send_offsets_to_transaction`, `commit_transaction`, `abort_transaction` and `send` change the
//! state and queue requests) and the sender thread (which sends the requests and hands the
//! answers to the `handle_*` methods), behind one mutex, as Java's methods are `synchronized`.
//! It is sans-IO: requests are described by [`TxnRequestKind`], answers come in as error codes
//! and values, and the sender does the I/O (`sender/transactional.rs`).
//!
//! Transaction protocol versions (KIP-890): with the brokers' finalized `transaction.version`
//! at 2 or more when a transaction begins ("TV2"), partitions join the transaction implicitly
//! with the first Produce (v12), offsets with TxnOffsetCommit v5, and EndTxn v5 returns a
//! bumped epoch after every transaction; with version 1 (or older brokers) AddPartitionsToTxn
//! and AddOffsetsToTxn come first, and an abortable error is followed by an epoch bump through
//! InitProducerId (KIP-360) when the coordinator supports it.

use super::ProducerIdAndEpoch;
use super::state::State;
use super::transactional_request_result::TransactionalRequestResult;
use crate::cluster::{Node, TopicPartition};
use crate::consumer::{ConsumerGroupMetadata, OffsetAndMetadata};
use crate::error::Error;
use crate::protocol::ErrorCode;
use parking_lot::{Mutex, MutexGuard};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

/// Which coordinator a request goes to (Java's `FindCoordinatorRequest.CoordinatorType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CoordinatorType {
    /// The consumer group's coordinator (TxnOffsetCommit).
    Group,
    /// The transaction coordinator (everything else).
    Transaction,
}

/// What a transactional request is; the sender turns it into a protocol request.
#[derive(Debug, Clone)]
pub(crate) enum TxnRequestKind {
    /// FindCoordinator for `key` (a transactional id or a group id).
    FindCoordinator {
        /// The coordinator's type.
        coordinator_type: CoordinatorType,
        /// The transactional id or group id.
        key: String,
    },
    /// InitProducerId with the transactional id; `bump`: with the current producer id and
    /// epoch, to bump the epoch (KIP-360), else for a (new) producer id.
    InitProducerId {
        /// Whether this bumps the current epoch.
        bump: bool,
    },
    /// AddPartitionsToTxn of these partitions (TV1).
    AddPartitions {
        /// The partitions.
        partitions: Vec<TopicPartition>,
    },
    /// AddOffsetsToTxn of the group (TV1); a TxnOffsetCommit follows.
    AddOffsets {
        /// The group.
        group: ConsumerGroupMetadata,
    },
    /// TxnOffsetCommit of the pending offsets to the group coordinator.
    TxnOffsetCommit {
        /// The group.
        group: ConsumerGroupMetadata,
    },
    /// EndTxn.
    EndTxn {
        /// Commit (true) or abort.
        commit: bool,
    },
}

impl TxnRequestKind {
    /// Java's `TxnRequestHandler.priority()`: lower first. An epoch bump goes after the
    /// EndTxn of the transaction it follows (an InitProducerId first would abort it).
    fn priority(&self) -> u8 {
        match self {
            TxnRequestKind::FindCoordinator { .. } => 0,
            TxnRequestKind::InitProducerId { bump: false } => 1,
            TxnRequestKind::InitProducerId { bump: true } => 4,
            TxnRequestKind::AddPartitions { .. }
            | TxnRequestKind::AddOffsets { .. }
            | TxnRequestKind::TxnOffsetCommit { .. } => 2,
            TxnRequestKind::EndTxn { .. } => 3,
        }
    }

    /// The coordinator it goes to; `None` for FindCoordinator (any broker).
    pub(crate) fn coordinator_type(&self) -> Option<CoordinatorType> {
        match self {
            TxnRequestKind::FindCoordinator { .. } => None,
            TxnRequestKind::TxnOffsetCommit { .. } => Some(CoordinatorType::Group),
            _ => Some(CoordinatorType::Transaction),
        }
    }

    /// The API's name, for logs.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            TxnRequestKind::FindCoordinator { .. } => "FindCoordinator",
            TxnRequestKind::InitProducerId { .. } => "InitProducerId",
            TxnRequestKind::AddPartitions { .. } => "AddPartitionsToTxn",
            TxnRequestKind::AddOffsets { .. } => "AddOffsetsToTxn",
            TxnRequestKind::TxnOffsetCommit { .. } => "TxnOffsetCommit",
            TxnRequestKind::EndTxn { .. } => "EndTxn",
        }
    }
}

/// A queued transactional request with the result its caller waits for (Java's
/// `TxnRequestHandler`).
#[derive(Debug, Clone)]
pub(crate) struct TxnRequest {
    /// What to send.
    pub(crate) kind: TxnRequestKind,
    /// Completed when the request (and what it stands for) is done.
    pub(crate) result: Arc<TransactionalRequestResult>,
    /// Whether it was sent before and is retried (the sender backs off first).
    pub(crate) is_retry: bool,
    /// The backoff before a retry (shorter for a first CONCURRENT_TRANSACTIONS).
    pub(crate) retry_backoff: Duration,
    /// When a retry may be sent (the sender sets it when it first picks the retry up).
    pub(crate) not_before: Option<std::time::Instant>,
}

impl TxnRequest {
    fn new(
        kind: TxnRequestKind,
        result: Arc<TransactionalRequestResult>,
        backoff: Duration,
    ) -> Self {
        TxnRequest {
            kind,
            result,
            is_retry: false,
            retry_backoff: backoff,
            not_before: None,
        }
    }
}

/// A call that timed out on its caller and is still going on (Java's `PendingStateTransition`).
#[derive(Debug)]
struct PendingTransition {
    result: Arc<TransactionalRequestResult>,
    state: State,
    operation: &'static str,
}

/// What the sender must do after an answer was handled.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Effects {
    /// Adopt this producer id and epoch (InitProducerId, or EndTxn v5 under TV2), resetting
    /// the sequences.
    pub(crate) producer: Option<ProducerIdAndEpoch>,
}

/// The transactional state; see the module documentation.
#[derive(Debug)]
pub(crate) struct TxnCore {
    transactional_id: String,
    transaction_timeout_ms: i32,
    retry_backoff: Duration,
    state: State,
    /// The error behind `AbortableError` / `FatalError`, as callers get it.
    last_error: Option<Error>,
    pending_transition: Option<PendingTransition>,
    pending_requests: Vec<TxnRequest>,
    new_partitions: BTreeSet<TopicPartition>,
    pending_partitions: HashSet<TopicPartition>,
    partitions_in_transaction: HashSet<TopicPartition>,
    /// Bumped whenever `partitions_in_transaction` changes, so the sender copies it only then.
    partitions_version: u64,
    pending_txn_offset_commits: BTreeMap<TopicPartition, OffsetAndMetadata>,
    transaction_started: bool,
    epoch_bump_required: bool,
    /// The brokers' finalized `transaction.version` (the sender keeps it current).
    broker_transaction_version: i16,
    /// TV2 for the current transaction (latched at init and at each begin).
    tv2: bool,
    coordinator_supports_bumping_epoch: bool,
    transaction_coordinator: Option<Node>,
    group_coordinator: Option<Node>,
    producer: ProducerIdAndEpoch,
    /// Mirrors `state == InTransaction` (with a producer id) for `send`'s check without the
    /// lock.
    in_transaction: Arc<AtomicBool>,
    /// Sends between their state check and the end of their append.
    sends_in_progress: Arc<AtomicUsize>,
}

/// The shared handle.
#[derive(Debug)]
pub(crate) struct Transactional {
    core: Mutex<TxnCore>,
    in_transaction: Arc<AtomicBool>,
    sends_in_progress: Arc<AtomicUsize>,
}

/// A `send` between its state check and the end of its append (see
/// [`Transactional::enter_send`]).
#[derive(Debug)]
pub(crate) struct SendGuard<'a>(&'a AtomicUsize);

impl Drop for SendGuard<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Transactional {
    /// The state of a producer with `transactional.id` = `transactional_id`.
    pub(crate) fn new(
        transactional_id: &str,
        transaction_timeout: Duration,
        retry_backoff: Duration,
    ) -> Self {
        let in_transaction = Arc::new(AtomicBool::new(false));
        let sends_in_progress = Arc::new(AtomicUsize::new(0));
        Transactional {
            in_transaction: in_transaction.clone(),
            sends_in_progress: sends_in_progress.clone(),
            core: Mutex::new(TxnCore {
                transactional_id: transactional_id.to_string(),
                transaction_timeout_ms: transaction_timeout.as_millis().min(i32::MAX as u128)
                    as i32,
                retry_backoff,
                state: State::Uninitialized,
                last_error: None,
                pending_transition: None,
                pending_requests: Vec::new(),
                new_partitions: BTreeSet::new(),
                pending_partitions: HashSet::new(),
                partitions_in_transaction: HashSet::new(),
                partitions_version: 0,
                pending_txn_offset_commits: BTreeMap::new(),
                transaction_started: false,
                epoch_bump_required: false,
                broker_transaction_version: 0,
                tv2: false,
                coordinator_supports_bumping_epoch: false,
                transaction_coordinator: None,
                group_coordinator: None,
                producer: ProducerIdAndEpoch::NONE,
                in_transaction,
                sends_in_progress,
            }),
        }
    }

    /// `send`'s check before appending (Java's checks in `maybeAddPartition`), entering the
    /// gate that an EndTxn waits for: a commit or abort that begins while the record is being
    /// appended ends the transaction only after the record's batch (so the record belongs to
    /// the transaction it was checked in). Two atomic operations and a load while a
    /// transaction is open; the full check (and its error) otherwise.
    pub(crate) fn enter_send(&self) -> Result<SendGuard<'_>, Error> {
        self.sends_in_progress.fetch_add(1, Ordering::SeqCst);
        let guard = SendGuard(&self.sends_in_progress);
        if self.in_transaction.load(Ordering::SeqCst) {
            return Ok(guard);
        }
        self.lock().check_send()?;
        Ok(guard)
    }

    /// Locks the state.
    pub(crate) fn lock(&self) -> MutexGuard<'_, TxnCore> {
        self.core.lock()
    }
}

fn illegal_state(message: impl Into<String>) -> Error {
    Error::IllegalState(message.into())
}

/// Java's error classes: the error a broker code stands for in a transactional answer.
fn fenced(transactional_id: &str, producer: ProducerIdAndEpoch) -> Error {
    Error::ProducerFenced(format!(
        "Producer with transactionalId '{transactional_id}' and producer id {} epoch {} has been \
         fenced by another producer with the same transactionalId (or the coordinator aborted \
         its transaction after transaction.timeout.ms and bumped the epoch)",
        producer.producer_id, producer.epoch
    ))
}

fn fatal(message: impl Into<String>, cause: Error) -> Error {
    Error::TransactionFatal {
        message: message.into(),
        cause: Box::new(cause),
    }
}

fn abortable(message: impl Into<String>, cause: Error) -> Error {
    Error::TransactionAbortable {
        message: message.into(),
        cause: Box::new(cause),
    }
}

impl TxnCore {
    // ---- caller side (Java's public synchronized methods) ----

    /// The transactional id.
    pub(crate) fn transactional_id(&self) -> &str {
        &self.transactional_id
    }

    /// `transaction.timeout.ms`.
    pub(crate) fn transaction_timeout_ms(&self) -> i32 {
        self.transaction_timeout_ms
    }

    /// The current state.
    #[cfg(test)]
    pub(crate) fn state(&self) -> State {
        self.state
    }

    /// The error of `AbortableError` / `FatalError`.
    pub(crate) fn last_error(&self) -> Option<&Error> {
        self.last_error.as_ref()
    }

    /// Whether a fatal error happened.
    pub(crate) fn has_fatal_error(&self) -> bool {
        self.state == State::FatalError
    }

    /// Whether the transaction can only be aborted.
    pub(crate) fn has_abortable_error(&self) -> bool {
        self.state == State::AbortableError
    }

    /// Whether a commit or abort is under way.
    pub(crate) fn is_completing(&self) -> bool {
        matches!(
            self.state,
            State::CommittingTransaction | State::AbortingTransaction
        )
    }

    /// Whether an abort is under way.
    pub(crate) fn is_aborting(&self) -> bool {
        self.state == State::AbortingTransaction
    }

    /// Whether a transaction is open (Java's `hasOngoingTransaction`): one that `close`
    /// must abort.
    pub(crate) fn has_ongoing_transaction(&self) -> bool {
        matches!(
            self.state,
            State::InTransaction
                | State::CommittingTransaction
                | State::AbortingTransaction
                | State::AbortableError
        ) || (self.state == State::Initializing && self.epoch_bump_required)
    }

    /// Whether TV2 applies to the current transaction.
    pub(crate) fn is_transaction_v2(&self) -> bool {
        self.tv2
    }

    fn set_state(&mut self, state: State) {
        self.state = state;
        self.in_transaction.store(
            state == State::InTransaction && self.producer.is_valid(),
            Ordering::SeqCst,
        );
    }

    /// Java's `maybeFailWithError`: the error a call gets in an error state.
    fn maybe_fail_with_error(&self) -> Result<(), Error> {
        match (&self.state, &self.last_error) {
            (State::AbortableError | State::FatalError, Some(e)) => Err(e.clone()),
            (State::AbortableError | State::FatalError, None) => Err(illegal_state(
                "Cannot execute transactional method because we are in an error state",
            )),
            _ => Ok(()),
        }
    }

    /// Java's `throwIfPendingState`.
    fn throw_if_pending_state(&mut self, operation: &str) -> Result<(), Error> {
        if let Some(p) = &self.pending_transition {
            if p.result.is_acked() {
                self.pending_transition = None;
            } else {
                return Err(illegal_state(format!(
                    "Cannot attempt operation `{operation}` because the previous call to `{}` \
                     timed out and must be retried",
                    p.operation
                )));
            }
        }
        Ok(())
    }

    /// Java's `handleCachedTransactionRequestResult`: a call repeated after its caller timed
    /// out waits for the same result instead of starting again.
    fn handle_cached(
        &mut self,
        next_state: State,
        operation: &'static str,
        start: impl FnOnce(&mut Self) -> Result<Arc<TransactionalRequestResult>, Error>,
    ) -> Result<Arc<TransactionalRequestResult>, Error> {
        if let Some(p) = &self.pending_transition {
            if p.result.is_acked() {
                self.pending_transition = None;
            } else if p.state != next_state {
                return Err(illegal_state(format!(
                    "Cannot attempt operation `{operation}` because the previous call to `{}` \
                     timed out and must be retried",
                    p.operation
                )));
            } else {
                return Ok(p.result.clone());
            }
        }
        let result = start(self)?;
        self.pending_transition = Some(PendingTransition {
            result: result.clone(),
            state: next_state,
            operation,
        });
        Ok(result)
    }

    /// A caller-side transition (Java's `transitionTo` off the sender thread): an invalid one
    /// is an `IllegalState` error and changes nothing.
    fn transition_to(&mut self, target: State) -> Result<(), Error> {
        if !self.state.is_transition_valid(target) {
            return Err(illegal_state(format!(
                "TransactionalId {}: Invalid transition attempted from state {} to state {}",
                self.transactional_id, self.state, target
            )));
        }
        log::debug!(
            "[TransactionalId {}] Transition from state {} to {}",
            self.transactional_id,
            self.state,
            target
        );
        self.set_state(target);
        if !matches!(target, State::AbortableError | State::FatalError) {
            self.last_error = None;
        }
        Ok(())
    }

    fn enqueue(&mut self, request: TxnRequest) {
        log::trace!(
            "[TransactionalId {}] Enqueuing transactional request {}",
            self.transactional_id,
            request.kind.name()
        );
        let p = request.kind.priority();
        let at = self
            .pending_requests
            .iter()
            .position(|r| r.kind.priority() > p)
            .unwrap_or(self.pending_requests.len());
        self.pending_requests.insert(at, request);
    }

    /// Java's `initializeTransactions(ProducerIdAndEpoch)`: queues InitProducerId, for a new
    /// producer id (from `Uninitialized`) or to bump the epoch (after an abort that needs it).
    fn initialize(&mut self, bump: bool) -> Arc<TransactionalRequestResult> {
        if bump {
            log::info!(
                "[TransactionalId {}] Invoking InitProducerId with current producer ID and epoch \
                 {:?} in order to bump the epoch",
                self.transactional_id,
                self.producer
            );
        } else {
            log::info!(
                "[TransactionalId {}] Invoking InitProducerId for the first time in order to \
                 acquire a producer ID",
                self.transactional_id
            );
        }
        let result = Arc::new(TransactionalRequestResult::new("initTransactions"));
        self.enqueue(TxnRequest::new(
            TxnRequestKind::InitProducerId { bump },
            result.clone(),
            self.retry_backoff,
        ));
        result
    }

    /// `init_transactions`.
    pub(crate) fn initialize_transactions(
        &mut self,
    ) -> Result<Arc<TransactionalRequestResult>, Error> {
        self.maybe_fail_with_error()?;
        self.handle_cached(State::Initializing, "initTransactions", |core| {
            core.transition_to(State::Initializing)?;
            core.tv2 = core.broker_transaction_version >= 2;
            Ok(core.initialize(false))
        })
    }

    /// `begin_transaction` (does not block).
    pub(crate) fn begin_transaction(&mut self) -> Result<(), Error> {
        self.throw_if_pending_state("beginTransaction")?;
        self.maybe_fail_with_error()?;
        if self.state == State::Uninitialized || self.state == State::Initializing {
            return Err(illegal_state(
                "Cannot begin a transaction before init_transactions() completed",
            ));
        }
        if self.state == State::InTransaction {
            return Err(illegal_state(
                "A transaction is already in progress: commit or abort it first",
            ));
        }
        self.transition_to(State::InTransaction)?;
        let tv2 = self.broker_transaction_version >= 2;
        if tv2 != self.tv2 {
            log::info!(
                "[TransactionalId {}] Transaction protocol version {} from this transaction on",
                self.transactional_id,
                if tv2 { 2 } else { 1 }
            );
            self.tv2 = tv2;
        }
        Ok(())
    }

    /// `send_offsets_to_transaction`.
    pub(crate) fn send_offsets_to_transaction(
        &mut self,
        offsets: &HashMap<TopicPartition, OffsetAndMetadata>,
        group: &ConsumerGroupMetadata,
    ) -> Result<Arc<TransactionalRequestResult>, Error> {
        self.throw_if_pending_state("sendOffsetsToTransaction")?;
        self.maybe_fail_with_error()?;
        if self.state != State::InTransaction {
            return Err(illegal_state(format!(
                "Cannot send offsets if a transaction is not in progress (currentState= {})",
                self.state
            )));
        }
        for (tp, o) in offsets {
            self.pending_txn_offset_commits
                .insert(tp.clone(), o.clone());
        }
        let result = Arc::new(TransactionalRequestResult::new("sendOffsetsToTransaction"));
        let kind = if self.tv2 {
            log::debug!(
                "[TransactionalId {}] Begin adding offsets {offsets:?} for consumer group {} to \
                 transaction with transaction protocol V2",
                self.transactional_id,
                group.group_id
            );
            self.transaction_started = true;
            TxnRequestKind::TxnOffsetCommit {
                group: group.clone(),
            }
        } else {
            log::debug!(
                "[TransactionalId {}] Begin adding offsets {offsets:?} for consumer group {} to \
                 transaction",
                self.transactional_id,
                group.group_id
            );
            TxnRequestKind::AddOffsets {
                group: group.clone(),
            }
        };
        self.enqueue(TxnRequest::new(kind, result.clone(), self.retry_backoff));
        Ok(result)
    }

    /// `commit_transaction` (Java's `beginCommit`).
    pub(crate) fn begin_commit(&mut self) -> Result<Arc<TransactionalRequestResult>, Error> {
        self.handle_cached(State::CommittingTransaction, "commitTransaction", |core| {
            core.maybe_fail_with_error()?;
            if core.state != State::InTransaction {
                return Err(illegal_state(format!(
                    "Cannot commit: no transaction is in progress (state {})",
                    core.state
                )));
            }
            core.transition_to(State::CommittingTransaction)?;
            Ok(core.begin_completing_transaction(true))
        })
    }

    /// `abort_transaction` (Java's `beginAbort`).
    pub(crate) fn begin_abort(&mut self) -> Result<Arc<TransactionalRequestResult>, Error> {
        self.handle_cached(State::AbortingTransaction, "abortTransaction", |core| {
            if core.state != State::AbortableError {
                core.maybe_fail_with_error()?;
            }
            if !matches!(core.state, State::InTransaction | State::AbortableError) {
                return Err(illegal_state(format!(
                    "Cannot abort: no transaction is in progress (state {})",
                    core.state
                )));
            }
            core.transition_to(State::AbortingTransaction)?;
            // No need to add partitions to a transaction that is aborted.
            core.new_partitions.clear();
            Ok(core.begin_completing_transaction(false))
        })
    }

    /// Java's `beginCompletingTransaction`.
    fn begin_completing_transaction(&mut self, commit: bool) -> Arc<TransactionalRequestResult> {
        if !self.new_partitions.is_empty() {
            let r = self.add_partitions_request();
            self.enqueue(r);
        }
        let operation = if commit {
            "commitTransaction"
        } else {
            "abortTransaction"
        };
        let result = Arc::new(TransactionalRequestResult::new(operation));
        self.enqueue(TxnRequest::new(
            TxnRequestKind::EndTxn { commit },
            result.clone(),
            self.retry_backoff,
        ));
        if !self.epoch_bump_required {
            return result;
        }
        // After EndTxn, InitProducerId with the current epoch bumps it (KIP-360); the caller
        // waits for that. (Java skips EndTxn after INVALID_PRODUCER_ID_MAPPING, but its
        // `transitionTo` has cleared the error by then, so it never does: neither do we.)
        self.initialize(true)
    }

    /// Before a record is appended: may a record be sent now? (The state checks of Java's
    /// `maybeAddPartition`, made before the append so that a refused record is not buffered.)
    pub(crate) fn check_send(&mut self) -> Result<(), Error> {
        self.maybe_fail_with_error()?;
        self.throw_if_pending_state("send")?;
        if !self.producer.is_valid() {
            return Err(illegal_state(
                "Cannot send a record of a transactional producer before completing a call to \
                 init_transactions()",
            ));
        }
        if self.state != State::InTransaction {
            return Err(illegal_state(format!(
                "Cannot send a record outside a transaction (state {}): call \
                 begin_transaction() first",
                self.state
            )));
        }
        Ok(())
    }

    /// After a record was appended to `tp` (Java's `maybeAddPartition`): the partition joins
    /// the transaction (TV2: at once, the Produce request adds it; TV1: with the next
    /// AddPartitionsToTxn, before which its batches are not sent).
    pub(crate) fn maybe_add_partition(&mut self, tp: &TopicPartition) {
        // In an error state the record's batch is aborted, not added (Java's
        // `maybeFailWithError` first).
        if matches!(self.state, State::AbortableError | State::FatalError)
            || self.partitions_in_transaction.contains(tp)
            || self.pending_partitions.contains(tp)
            || self.new_partitions.contains(tp)
        {
            return;
        }
        if self.tv2 {
            self.partitions_in_transaction.insert(tp.clone());
            self.partitions_version += 1;
            self.transaction_started = true;
        } else {
            log::debug!(
                "[TransactionalId {}] Begin adding new partition {tp} to transaction",
                self.transactional_id
            );
            self.new_partitions.insert(tp.clone());
        }
    }

    // ---- sender side ----

    /// The partitions whose batches may be sent, if they changed since `seen` (their version).
    pub(crate) fn partitions_if_changed(
        &self,
        seen: u64,
    ) -> Option<(u64, HashSet<TopicPartition>)> {
        (self.partitions_version != seen).then(|| {
            (
                self.partitions_version,
                self.partitions_in_transaction.clone(),
            )
        })
    }

    /// The brokers' finalized `transaction.version`, as the network client knows it.
    pub(crate) fn set_broker_transaction_version(&mut self, level: i16) {
        self.broker_transaction_version = level;
    }

    /// Whether the coordinator supports epoch bumps (InitProducerId v3+).
    pub(crate) fn set_coordinator_supports_bumping_epoch(&mut self, yes: bool) {
        self.coordinator_supports_bumping_epoch = yes;
    }

    /// Java's `canBumpEpoch`.
    fn can_bump_epoch(&self) -> bool {
        self.coordinator_supports_bumping_epoch || self.tv2
    }

    /// Whether requests are queued or the sender must still look at the queue (never in a
    /// fatal state: nothing will be sent then).
    pub(crate) fn has_pending_requests(&self) -> bool {
        self.state != State::FatalError
            && (!self.pending_requests.is_empty() || !self.new_partitions.is_empty())
    }

    /// The coordinator of a type, if known.
    pub(crate) fn coordinator(&self, t: CoordinatorType) -> Option<&Node> {
        match t {
            CoordinatorType::Transaction => self.transaction_coordinator.as_ref(),
            CoordinatorType::Group => self.group_coordinator.as_ref(),
        }
    }

    /// Java's `lookupCoordinator`: forgets the coordinator and queues a FindCoordinator.
    pub(crate) fn lookup_coordinator(&mut self, t: CoordinatorType, key: &str) {
        match t {
            CoordinatorType::Transaction => self.transaction_coordinator = None,
            CoordinatorType::Group => self.group_coordinator = None,
        }
        let already = self.pending_requests.iter().any(|r| {
            matches!(&r.kind, TxnRequestKind::FindCoordinator { coordinator_type, key: k } if *coordinator_type == t && k == key)
        });
        if !already {
            let result = Arc::new(TransactionalRequestResult::new("FindCoordinator"));
            self.enqueue(TxnRequest::new(
                TxnRequestKind::FindCoordinator {
                    coordinator_type: t,
                    key: key.to_string(),
                },
                result,
                self.retry_backoff,
            ));
        }
    }

    /// The key of a request's coordinator.
    pub(crate) fn coordinator_key(&self, kind: &TxnRequestKind) -> String {
        match kind {
            TxnRequestKind::TxnOffsetCommit { group } => group.group_id.clone(),
            _ => self.transactional_id.clone(),
        }
    }

    /// The answers every transaction-coordinator request retries (Java's handlers): a moved or
    /// unavailable coordinator is looked up again; a loading coordinator, a transaction still
    /// completing, or any retriable error waits for the backoff. Returns whether `r` was
    /// queued again.
    fn retry_if_retriable(&mut self, r: &TxnRequest, code: ErrorCode) -> bool {
        if code == ErrorCode::NOT_COORDINATOR || code == ErrorCode::COORDINATOR_NOT_AVAILABLE {
            let key = self.transactional_id.clone();
            self.lookup_coordinator(CoordinatorType::Transaction, &key);
        } else if !(code == ErrorCode::COORDINATOR_LOAD_IN_PROGRESS
            || code == ErrorCode::CONCURRENT_TRANSACTIONS
            || code.is_retriable())
        {
            return false;
        }
        self.retry(r.clone());
        true
    }

    /// Puts a request back unsent, ahead of the others of its priority (its node was not
    /// ready yet).
    pub(crate) fn push_front(&mut self, request: TxnRequest) {
        let p = request.kind.priority();
        let at = self
            .pending_requests
            .iter()
            .position(|r| r.kind.priority() >= p)
            .unwrap_or(self.pending_requests.len());
        self.pending_requests.insert(at, request);
    }

    /// Puts a request back for a retry (Java's `reenqueue` / `retry`).
    pub(crate) fn retry(&mut self, mut request: TxnRequest) {
        request.is_retry = true;
        request.not_before = None;
        self.enqueue(request);
    }

    fn add_partitions_request(&mut self) -> TxnRequest {
        let partitions: Vec<TopicPartition> = std::mem::take(&mut self.new_partitions)
            .into_iter()
            .collect();
        self.pending_partitions.extend(partitions.iter().cloned());
        TxnRequest::new(
            TxnRequestKind::AddPartitions { partitions },
            Arc::new(TransactionalRequestResult::new("AddPartitionsToTxn")),
            self.retry_backoff,
        )
    }

    /// Java's `nextRequest`: the next request to send, if any. EndTxn waits until every batch
    /// is complete (`has_incomplete_batches`); a request is failed instead of sent in an error
    /// state; an EndTxn of a transaction that never added anything completes locally.
    ///
    /// `has_incomplete_batches` is evaluated only after the send gate was found clear (no
    /// `send` between its state check and its append), so that a record a racing `send`
    /// appended is seen.
    pub(crate) fn next_request(
        &mut self,
        has_incomplete_batches: impl FnOnce() -> bool,
    ) -> Option<TxnRequest> {
        if !self.new_partitions.is_empty() {
            let r = self.add_partitions_request();
            self.enqueue(r);
        }
        let first = self.pending_requests.first()?;
        if matches!(first.kind, TxnRequestKind::EndTxn { .. })
            && (self.sends_in_progress.load(Ordering::SeqCst) > 0 || has_incomplete_batches())
        {
            return None;
        }
        let mut next = Some(self.pending_requests.remove(0));
        if let Some(r) = &next {
            if self.maybe_terminate_request_with_error(r) {
                log::trace!(
                    "[TransactionalId {}] Not sending transactional request {} because we are \
                     in an error state",
                    self.transactional_id,
                    r.kind.name()
                );
                return None;
            }
        }
        if let Some(r) = &next {
            if matches!(r.kind, TxnRequestKind::EndTxn { .. }) && !self.transaction_started {
                r.result.done();
                if self.state != State::FatalError {
                    log::debug!(
                        "[TransactionalId {}] Not sending EndTxn for completed transaction since \
                         no partitions or offsets were successfully added",
                        self.transactional_id
                    );
                    self.complete_transaction();
                }
                next = (!self.pending_requests.is_empty()).then(|| self.pending_requests.remove(0));
            }
        }
        next
    }

    fn maybe_terminate_request_with_error(&mut self, r: &TxnRequest) -> bool {
        if matches!(self.state, State::AbortableError | State::FatalError) {
            if self.state == State::AbortableError
                && matches!(r.kind, TxnRequestKind::FindCoordinator { .. })
            {
                return false;
            }
            if let TxnRequestKind::AddPartitions { partitions } = &r.kind {
                for tp in partitions {
                    self.pending_partitions.remove(tp);
                }
            }
            r.result.fail(
                self.last_error
                    .clone()
                    .unwrap_or_else(|| illegal_state("the transaction is in an error state")),
            );
            return true;
        }
        false
    }

    /// Java's `completeTransaction`.
    fn complete_transaction(&mut self) {
        let target = if self.epoch_bump_required {
            State::Initializing
        } else {
            State::Ready
        };
        self.sender_transition(target);
        self.last_error = None;
        self.epoch_bump_required = false;
        self.transaction_started = false;
        self.new_partitions.clear();
        self.pending_partitions.clear();
        self.partitions_in_transaction.clear();
        self.pending_txn_offset_commits.clear();
        self.partitions_version += 1;
    }

    /// A transition made by the sender thread: an invalid one poisons the state (Java's
    /// `shouldPoisonStateOnInvalidTransition`).
    fn sender_transition(&mut self, target: State) {
        if self.state.is_transition_valid(target) {
            log::debug!(
                "[TransactionalId {}] Transition from state {} to {}",
                self.transactional_id,
                self.state,
                target
            );
            self.set_state(target);
        } else {
            let e = illegal_state(format!(
                "TransactionalId {}: Invalid transition attempted from state {} to state {}",
                self.transactional_id, self.state, target
            ));
            log::error!("{e}");
            self.set_state(State::FatalError);
            self.last_error = Some(fatal("invalid transaction state transition", e));
        }
    }

    /// Java's `transitionToFatalError`: every later call fails with `error`.
    pub(crate) fn transition_to_fatal_error(&mut self, error: Error) {
        if self.state == State::FatalError {
            return;
        }
        log::info!(
            "[TransactionalId {}] Transiting to fatal error state due to {error}",
            self.transactional_id
        );
        self.set_state(State::FatalError);
        self.last_error = Some(error.clone());
        self.new_partitions.clear();
        if let Some(p) = &self.pending_transition {
            p.result.fail(error.clone());
        }
        for r in self.pending_requests.drain(..) {
            r.result.fail(error.clone());
        }
    }

    /// Java's `transitionToAbortableError` (skipped while aborting, and in states where no
    /// transaction is open).
    pub(crate) fn transition_to_abortable_error(&mut self, error: Error) {
        if self.state == State::AbortingTransaction {
            log::debug!(
                "[TransactionalId {}] Skipping transition to abortable error state since the \
                 transaction is already being aborted. Underlying exception: {error}",
                self.transactional_id
            );
            return;
        }
        if !self.state.is_transition_valid(State::AbortableError) {
            log::debug!(
                "[TransactionalId {}] Ignoring {error} in state {}",
                self.transactional_id,
                self.state
            );
            return;
        }
        log::info!(
            "[TransactionalId {}] Transiting to abortable error state due to {error}",
            self.transactional_id
        );
        self.set_state(State::AbortableError);
        self.last_error = Some(error);
    }

    fn fatal_error(&mut self, r: &TxnRequest, error: Error) {
        self.transition_to_fatal_error(error.clone());
        r.result.fail(error);
    }

    fn abortable_error(&mut self, r: &TxnRequest, error: Error) {
        self.transition_to_abortable_error(error.clone());
        r.result.fail(self.last_error.clone().unwrap_or(error));
    }

    fn abortable_error_if_possible(&mut self, r: &TxnRequest, code: ErrorCode, what: &str) {
        let cause = Error::broker(code, Some(format!("in the {what} response")));
        if self.can_bump_epoch() {
            // Under TV2 EndTxn bumps the epoch itself.
            self.epoch_bump_required = self.coordinator_supports_bumping_epoch && !self.tv2;
            self.abortable_error(
                r,
                abortable("the coordinator lost or remapped the producer id", cause),
            );
        } else {
            self.fatal_error(
                r,
                fatal(
                    "the coordinator lost the producer id and cannot bump the epoch",
                    cause,
                ),
            );
        }
    }

    /// A record batch of the transaction failed with `error` (Java's
    /// `maybeTransitionToErrorState` from `handleFailedBatch`).
    pub(crate) fn batch_failed(&mut self, error: &Error) {
        if matches!(error, Error::TransactionAborted(_)) || error.is_fatal() || error.is_abortable()
        {
            return;
        }
        let fatal_code = match error {
            Error::Broker { code, .. } => [
                ErrorCode::CLUSTER_AUTHORIZATION_FAILED,
                ErrorCode::TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
                ErrorCode::UNSUPPORTED_VERSION,
            ]
            .contains(code)
            .then_some(*code),
            _ => None,
        };
        if matches!(error, Error::Broker { code, .. } if *code == ErrorCode::PRODUCER_FENCED) {
            self.transition_to_fatal_error(fenced(&self.transactional_id, self.producer));
        } else if fatal_code.is_some() || matches!(error, Error::UnsupportedVersion(_)) {
            self.transition_to_fatal_error(fatal(
                "a record batch of the transaction failed",
                error.clone(),
            ));
        } else {
            // Java's `needToTriggerEpochBumpFromClient`: under TV2 the coordinator bumps.
            if self.coordinator_supports_bumping_epoch && !self.tv2 && !self.is_completing() {
                self.epoch_bump_required = true;
            }
            self.transition_to_abortable_error(abortable(
                "a record batch of the transaction failed",
                error.clone(),
            ));
        }
    }

    /// A partition's sequence cannot be resolved (records whose fate is unknown): abortable
    /// with an epoch bump when possible, else fatal (Java's `maybeResolveSequences`).
    pub(crate) fn unresolved_sequence(&mut self, tp: &TopicPartition) {
        let what = format!(
            "The client hasn't received acknowledgment for some previously sent messages of \
             {tp} and can no longer retry them."
        );
        if self.can_bump_epoch() {
            self.epoch_bump_required = !self.tv2;
            self.transition_to_abortable_error(abortable(
                "It is safe to abort the transaction and continue",
                Error::Internal(what),
            ));
        } else {
            self.transition_to_fatal_error(fatal(
                "It isn't safe to continue",
                Error::Internal(what),
            ));
        }
    }

    // ---- answers (Java's TxnRequestHandler.handleResponse of each handler) ----

    /// The request could not be sent or got no answer (a disconnect or a request timeout):
    /// retried, after a new coordinator lookup when it needs one (Java `onComplete`).
    pub(crate) fn handle_disconnect(&mut self, r: TxnRequest) {
        if let Some(t) = r.kind.coordinator_type() {
            let key = self.coordinator_key(&r.kind);
            self.lookup_coordinator(t, &key);
        }
        self.retry(r);
    }

    /// The client cannot authenticate with the request's broker (TLS or SASL): fatal, as Java's
    /// `TransactionManager.authenticationFailed` (retrying fails the same way).
    pub(crate) fn handle_authentication_failure(&mut self, r: TxnRequest, error: Error) {
        self.fatal_error(
            &r,
            fatal(
                format!("cannot authenticate with the broker for {}", r.kind.name()),
                error,
            ),
        );
    }

    /// The coordinator does not speak the request's API: fatal.
    pub(crate) fn handle_unsupported(&mut self, r: TxnRequest, error: Error) {
        self.fatal_error(
            &r,
            fatal(
                format!("the broker cannot serve {} requests", r.kind.name()),
                error,
            ),
        );
    }

    /// FindCoordinator answered `code` (with the node when found).
    pub(crate) fn handle_find_coordinator(
        &mut self,
        r: TxnRequest,
        code: ErrorCode,
        message: Option<String>,
        node: Option<Node>,
    ) {
        let TxnRequestKind::FindCoordinator {
            coordinator_type,
            key,
        } = &r.kind
        else {
            return;
        };
        match (code, node) {
            (c, Some(node)) if c.is_ok() => {
                log::debug!(
                    "[TransactionalId {}] Discovered {:?} coordinator {node}",
                    self.transactional_id,
                    coordinator_type
                );
                match coordinator_type {
                    CoordinatorType::Transaction => self.transaction_coordinator = Some(node),
                    CoordinatorType::Group => self.group_coordinator = Some(node),
                }
                r.result.done();
            }
            (c, _) if c == ErrorCode::TRANSACTIONAL_ID_AUTHORIZATION_FAILED => {
                let e = fatal(
                    format!("transactional id {key} is not authorized"),
                    Error::broker(c, message),
                );
                self.fatal_error(&r, e);
            }
            (c, _) if c == ErrorCode::TRANSACTION_ABORTABLE => {
                let e = abortable(
                    format!("FindCoordinator for {key}"),
                    Error::broker(c, message),
                );
                self.abortable_error(&r, e);
            }
            (c, _) if c == ErrorCode::GROUP_AUTHORIZATION_FAILED => {
                let e = abortable(
                    format!("not authorized to access group {key}"),
                    Error::broker(c, message),
                );
                self.abortable_error(&r, e);
            }
            (c, _) if c.is_retriable() || c == ErrorCode::COORDINATOR_NOT_AVAILABLE => {
                self.retry(r);
            }
            (c, _) => {
                let e = fatal(
                    format!(
                        "Could not find a coordinator with type {coordinator_type:?} with key \
                         {key} due to unexpected error"
                    ),
                    Error::broker(c, message),
                );
                self.fatal_error(&r, e);
            }
        }
    }

    /// InitProducerId answered; `producer` when it succeeded.
    pub(crate) fn handle_init_producer_id(
        &mut self,
        r: TxnRequest,
        code: ErrorCode,
        producer: ProducerIdAndEpoch,
    ) -> Effects {
        let mut effects = Effects::default();
        if code.is_ok() {
            self.producer = producer;
            effects.producer = Some(producer);
            self.sender_transition(State::Ready);
            self.last_error = None;
            self.epoch_bump_required = false;
            r.result.done();
        } else if self.retry_if_retriable(&r, code) {
            // Queued again.
        } else if code == ErrorCode::CLUSTER_AUTHORIZATION_FAILED
            || code == ErrorCode::TRANSACTIONAL_ID_AUTHORIZATION_FAILED
        {
            // Java 4.x makes this abortable (fatal in every other answer), and its sender then
            // (`shouldHandleAuthorizationError`) fails what is queued and goes back to
            // UNINITIALIZED so that `init_transactions` can be retried once the ACLs allow
            // it. Done here at once: an abort in between would otherwise leave the producer
            // READY without a producer id.
            log::info!(
                "[TransactionalId {}] Authorization error in InitProducerId: {code}. Transition \
                 the producer state to {}",
                self.transactional_id,
                State::Uninitialized
            );
            let e = abortable(
                format!(
                    "InitProducerId for transactional id {} was refused; call \
                     init_transactions() again once authorized",
                    self.transactional_id
                ),
                Error::broker(code, None),
            );
            for q in self.pending_requests.drain(..) {
                q.result.fail(e.clone());
            }
            r.result.fail(e);
            self.pending_transition = None;
            self.set_state(State::Uninitialized);
            self.last_error = None;
        } else if code == ErrorCode::INVALID_PRODUCER_EPOCH || code == ErrorCode::PRODUCER_FENCED {
            let e = fenced(&self.transactional_id, self.producer);
            self.fatal_error(&r, e);
        } else if code == ErrorCode::TRANSACTION_ABORTABLE {
            let e = abortable("InitProducerId", Error::broker(code, None));
            self.abortable_error(&r, e);
        } else {
            let hint = if code == ErrorCode::INVALID_TRANSACTION_TIMEOUT {
                format!(
                    ": transaction.timeout.ms ({} ms) is above the broker's \
                     transaction.max.timeout.ms",
                    self.transaction_timeout_ms
                )
            } else {
                String::new()
            };
            let e = fatal(
                format!("Unexpected error in InitProducerIdResponse{hint}"),
                Error::broker(code, None),
            );
            self.fatal_error(&r, e);
        }
        effects
    }

    /// AddPartitionsToTxn answered, an error code per partition.
    pub(crate) fn handle_add_partitions(
        &mut self,
        mut r: TxnRequest,
        errors: &[(TopicPartition, ErrorCode)],
    ) {
        let TxnRequestKind::AddPartitions { partitions } = &r.kind else {
            return;
        };
        let partitions = partitions.clone();
        let mut has_partition_errors = false;
        let mut unauthorized: BTreeSet<String> = BTreeSet::new();
        r.retry_backoff = self.retry_backoff;
        for (tp, code) in errors {
            let code = *code;
            if code.is_ok() {
                continue;
            } else if code == ErrorCode::COORDINATOR_NOT_AVAILABLE
                || code == ErrorCode::NOT_COORDINATOR
            {
                let key = self.transactional_id.clone();
                self.lookup_coordinator(CoordinatorType::Transaction, &key);
                self.retry(r);
                return;
            } else if code == ErrorCode::CONCURRENT_TRANSACTIONS {
                // Java's maybeOverrideRetryBackoffMs: the first add of a transaction often
                // meets the previous one still completing; retry soon.
                if self.partitions_in_transaction.is_empty() {
                    r.retry_backoff = self.retry_backoff.min(Duration::from_millis(20));
                }
                self.retry(r);
                return;
            } else if code.is_retriable() {
                self.retry(r);
                return;
            } else if code == ErrorCode::INVALID_PRODUCER_EPOCH
                || code == ErrorCode::PRODUCER_FENCED
            {
                let e = fenced(&self.transactional_id, self.producer);
                self.fatal_error(&r, e);
                return;
            } else if code == ErrorCode::TRANSACTIONAL_ID_AUTHORIZATION_FAILED
                || code == ErrorCode::INVALID_TXN_STATE
            {
                let e = fatal("AddPartitionsToTxn failed", Error::broker(code, None));
                self.fatal_error(&r, e);
                return;
            } else if code == ErrorCode::TOPIC_AUTHORIZATION_FAILED {
                unauthorized.insert(tp.topic.to_string());
            } else if code == ErrorCode::OPERATION_NOT_ATTEMPTED {
                log::debug!(
                    "[TransactionalId {}] Did not attempt to add partition {tp} to transaction \
                     because other partitions in the batch had errors.",
                    self.transactional_id
                );
                has_partition_errors = true;
            } else if code == ErrorCode::UNKNOWN_PRODUCER_ID
                || code == ErrorCode::INVALID_PRODUCER_ID_MAPPING
            {
                self.abortable_error_if_possible(&r, code, "AddPartitionsToTxn");
                return;
            } else if code == ErrorCode::TRANSACTION_ABORTABLE {
                let e = abortable("AddPartitionsToTxn", Error::broker(code, None));
                self.abortable_error(&r, e);
                return;
            } else {
                log::error!(
                    "[TransactionalId {}] Could not add partition {tp} due to unexpected error \
                     {code}",
                    self.transactional_id
                );
                has_partition_errors = true;
            }
        }
        // Out of the pending set whatever the outcome: batches of partitions that failed are
        // aborted with the transaction.
        for tp in &partitions {
            self.pending_partitions.remove(tp);
        }
        if !unauthorized.is_empty() {
            let topics: Vec<String> = unauthorized.into_iter().collect();
            let e = abortable(
                "Could not add partitions to the transaction",
                Error::broker(
                    ErrorCode::TOPIC_AUTHORIZATION_FAILED,
                    Some(format!("topics {}", topics.join(", "))),
                ),
            );
            self.abortable_error(&r, e);
        } else if has_partition_errors {
            let detail: Vec<String> = errors
                .iter()
                .filter(|(_, c)| !c.is_ok())
                .map(|(tp, c)| format!("{tp}: {c}"))
                .collect();
            let e = abortable(
                "Could not add partitions to transaction due to errors",
                Error::broker(ErrorCode::UNKNOWN_SERVER_ERROR, Some(detail.join(", "))),
            );
            self.abortable_error(&r, e);
        } else {
            log::debug!(
                "[TransactionalId {}] Successfully added partitions {partitions:?} to transaction",
                self.transactional_id
            );
            self.partitions_in_transaction.extend(partitions);
            self.partitions_version += 1;
            self.transaction_started = true;
            r.result.done();
        }
    }

    /// AddOffsetsToTxn answered.
    pub(crate) fn handle_add_offsets(&mut self, r: TxnRequest, code: ErrorCode) {
        let TxnRequestKind::AddOffsets { group } = &r.kind else {
            return;
        };
        let group = group.clone();
        if code.is_ok() {
            log::debug!(
                "[TransactionalId {}] Successfully added partition for consumer group {} to \
                 transaction",
                self.transactional_id,
                group.group_id
            );
            // The caller's result completes when the TxnOffsetCommit does.
            self.enqueue(TxnRequest::new(
                TxnRequestKind::TxnOffsetCommit { group },
                r.result.clone(),
                self.retry_backoff,
            ));
            self.transaction_started = true;
        } else if self.retry_if_retriable(&r, code) {
            // Queued again.
        } else if code == ErrorCode::UNKNOWN_PRODUCER_ID
            || code == ErrorCode::INVALID_PRODUCER_ID_MAPPING
        {
            self.abortable_error_if_possible(&r, code, "AddOffsetsToTxn");
        } else if code == ErrorCode::INVALID_PRODUCER_EPOCH || code == ErrorCode::PRODUCER_FENCED {
            let e = fenced(&self.transactional_id, self.producer);
            self.fatal_error(&r, e);
        } else if code == ErrorCode::TRANSACTIONAL_ID_AUTHORIZATION_FAILED {
            let e = fatal("AddOffsetsToTxn failed", Error::broker(code, None));
            self.fatal_error(&r, e);
        } else if code == ErrorCode::GROUP_AUTHORIZATION_FAILED
            || code == ErrorCode::TRANSACTION_ABORTABLE
        {
            let e = abortable(
                format!("AddOffsetsToTxn for group {}", group.group_id),
                Error::broker(code, None),
            );
            self.abortable_error(&r, e);
        } else {
            let e = fatal(
                "Unexpected error in AddOffsetsToTxnResponse",
                Error::broker(code, None),
            );
            self.fatal_error(&r, e);
        }
    }

    /// The offsets a TxnOffsetCommit sends: those not committed yet.
    pub(crate) fn pending_offsets(&self) -> Vec<(TopicPartition, OffsetAndMetadata)> {
        self.pending_txn_offset_commits
            .iter()
            .map(|(tp, o)| (tp.clone(), o.clone()))
            .collect()
    }

    /// TxnOffsetCommit answered, an error code per partition.
    pub(crate) fn handle_txn_offset_commit(
        &mut self,
        r: TxnRequest,
        errors: &[(TopicPartition, ErrorCode)],
    ) {
        let TxnRequestKind::TxnOffsetCommit { group } = &r.kind else {
            return;
        };
        let group = group.clone();
        let mut had_failure = false;
        let mut coordinator_reloaded = false;
        for (tp, code) in errors {
            let code = *code;
            if code.is_ok() {
                self.pending_txn_offset_commits.remove(tp);
            } else if code == ErrorCode::COORDINATOR_NOT_AVAILABLE
                || code == ErrorCode::NOT_COORDINATOR
                || code == ErrorCode::REQUEST_TIMED_OUT
            {
                had_failure = true;
                if !coordinator_reloaded {
                    coordinator_reloaded = true;
                    self.lookup_coordinator(CoordinatorType::Group, &group.group_id);
                }
            } else if code == ErrorCode::UNKNOWN_TOPIC_OR_PARTITION
                || code == ErrorCode::COORDINATOR_LOAD_IN_PROGRESS
                || code == ErrorCode::CONCURRENT_TRANSACTIONS
                || code.is_retriable()
            {
                had_failure = true;
            } else if code == ErrorCode::GROUP_AUTHORIZATION_FAILED {
                let e = abortable(
                    format!(
                        "not authorized to commit offsets of group {}",
                        group.group_id
                    ),
                    Error::broker(code, None),
                );
                self.abortable_error(&r, e);
                return;
            } else if code == ErrorCode::UNKNOWN_MEMBER_ID
                || code == ErrorCode::ILLEGAL_GENERATION
                || code == ErrorCode::FENCED_INSTANCE_ID
            {
                let e = abortable(
                    "Transaction offset Commit failed due to consumer group metadata mismatch",
                    Error::broker(code, None),
                );
                self.abortable_error(&r, e);
                return;
            } else if code == ErrorCode::INVALID_PRODUCER_EPOCH
                || code == ErrorCode::PRODUCER_FENCED
            {
                let e = fenced(&self.transactional_id, self.producer);
                self.fatal_error(&r, e);
                return;
            } else if code == ErrorCode::TRANSACTION_ABORTABLE {
                let e = abortable("TxnOffsetCommit", Error::broker(code, None));
                self.abortable_error(&r, e);
                return;
            } else if code == ErrorCode::UNKNOWN_PRODUCER_ID
                || code == ErrorCode::INVALID_PRODUCER_ID_MAPPING
            {
                self.abortable_error_if_possible(&r, code, "TxnOffsetCommit");
                return;
            } else {
                let e = fatal(
                    "Unexpected error in TxnOffsetCommitResponse",
                    Error::broker(code, None),
                );
                self.fatal_error(&r, e);
                return;
            }
        }
        if !had_failure || self.pending_txn_offset_commits.is_empty() {
            r.result.done();
        } else {
            self.retry(r);
        }
    }

    /// EndTxn answered; `producer` is the bumped producer id and epoch of EndTxn v5 (TV2), when
    /// the response carries one.
    pub(crate) fn handle_end_txn(
        &mut self,
        r: TxnRequest,
        code: ErrorCode,
        producer: Option<ProducerIdAndEpoch>,
    ) -> Effects {
        let mut effects = Effects::default();
        if code.is_ok() {
            if let Some(p) = producer.filter(|p| p.is_valid()) {
                self.producer = p;
                effects.producer = Some(p);
            }
            self.complete_transaction();
            r.result.done();
        } else if self.retry_if_retriable(&r, code) {
            // Queued again.
        } else if code == ErrorCode::INVALID_PRODUCER_EPOCH || code == ErrorCode::PRODUCER_FENCED {
            let e = fenced(&self.transactional_id, self.producer);
            self.fatal_error(&r, e);
        } else if code == ErrorCode::TRANSACTIONAL_ID_AUTHORIZATION_FAILED
            || code == ErrorCode::INVALID_TXN_STATE
        {
            let message = if code == ErrorCode::INVALID_TXN_STATE {
                format!(
                    "EndTxn failed: the coordinator has no such open transaction (it aborts one \
                     left open longer than transaction.timeout.ms, {} ms)",
                    self.transaction_timeout_ms
                )
            } else {
                "EndTxn failed".to_string()
            };
            let e = fatal(message, Error::broker(code, None));
            self.fatal_error(&r, e);
        } else if code == ErrorCode::UNKNOWN_PRODUCER_ID
            || code == ErrorCode::INVALID_PRODUCER_ID_MAPPING
        {
            self.abortable_error_if_possible(&r, code, "EndTxn");
        } else if code == ErrorCode::TRANSACTION_ABORTABLE {
            let e = abortable("EndTxn", Error::broker(code, None));
            self.abortable_error(&r, e);
        } else {
            let e = fatal(
                "Unhandled error in EndTxnResponse",
                Error::broker(code, None),
            );
            self.fatal_error(&r, e);
        }
        effects
    }

    /// Forgets a timed-out call once its caller saw the outcome.
    pub(crate) fn ack(&mut self, result: &Arc<TransactionalRequestResult>) {
        if self
            .pending_transition
            .as_ref()
            .is_some_and(|p| Arc::ptr_eq(&p.result, result))
        {
            self.pending_transition = None;
        }
    }

    /// One line for the state dump.
    pub(crate) fn describe(&self) -> String {
        format!(
            "transactional id {}, state {}, transaction version {}, producer id {} epoch {}, {} \
             partition(s) in the transaction, {} pending, {} request(s) queued{}",
            self.transactional_id,
            self.state,
            if self.tv2 { 2 } else { 1 },
            self.producer.producer_id,
            self.producer.epoch,
            self.partitions_in_transaction.len(),
            self.pending_partitions.len() + self.new_partitions.len(),
            self.pending_requests.len(),
            match &self.last_error {
                Some(e) => format!(", last error: {e}"),
                None => String::new(),
            }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn core() -> Transactional {
        Transactional::new("tx", Duration::from_secs(60), Duration::from_millis(100))
    }

    fn pid(epoch: i16) -> ProducerIdAndEpoch {
        ProducerIdAndEpoch {
            producer_id: 7,
            epoch,
        }
    }

    fn tp(p: i32) -> TopicPartition {
        TopicPartition::new("t", p)
    }

    /// Init through FindCoordinator and InitProducerId, as the sender drives it.
    fn initialized(tv: i16) -> Transactional {
        let t = core();
        let mut c = t.lock();
        c.set_broker_transaction_version(tv);
        let result = c.initialize_transactions().unwrap();
        assert_eq!(c.state(), State::Initializing);
        let r = c.next_request(|| false).unwrap();
        assert!(matches!(
            r.kind,
            TxnRequestKind::InitProducerId { bump: false }
        ));
        // The coordinator is unknown: the sender looks it up and retries.
        c.lookup_coordinator(CoordinatorType::Transaction, "tx");
        c.retry(r);
        let f = c.next_request(|| false).unwrap();
        assert!(matches!(f.kind, TxnRequestKind::FindCoordinator { .. }));
        c.handle_find_coordinator(f, ErrorCode::NONE, None, Some(Node::new(1, "h", 1)));
        assert!(c.coordinator(CoordinatorType::Transaction).is_some());
        let r = c.next_request(|| false).unwrap();
        assert!(r.is_retry);
        let e = c.handle_init_producer_id(r, ErrorCode::NONE, pid(0));
        assert_eq!(e.producer, Some(pid(0)));
        assert_eq!(c.state(), State::Ready);
        result.await_until(std::time::Instant::now(), 0).unwrap();
        drop(c);
        t
    }

    #[test]
    fn tv1_partitions_are_added_before_their_batches_go_and_commit_waits_for_batches() {
        let t = initialized(1);
        let mut c = t.lock();
        c.begin_transaction().unwrap();
        c.check_send().unwrap();
        c.maybe_add_partition(&tp(0));
        c.maybe_add_partition(&tp(0));
        let seen = c.partitions_if_changed(u64::MAX).unwrap().0;
        let add = c.next_request(|| true).unwrap();
        let TxnRequestKind::AddPartitions { partitions } = &add.kind else {
            panic!("{add:?}")
        };
        assert_eq!(partitions, &[tp(0)]);
        assert!(c.partitions_if_changed(seen).is_none());
        c.handle_add_partitions(add, &[(tp(0), ErrorCode::NONE)]);
        let (_, sendable) = c.partitions_if_changed(seen).unwrap();
        assert!(sendable.contains(&tp(0)));
        let commit = c.begin_commit().unwrap();
        // EndTxn waits while batches are incomplete.
        assert!(c.next_request(|| true).is_none());
        let end = c.next_request(|| false).unwrap();
        assert!(matches!(end.kind, TxnRequestKind::EndTxn { commit: true }));
        c.handle_end_txn(end, ErrorCode::NONE, None);
        assert!(commit.is_successful());
        assert_eq!(c.state(), State::Ready);
        assert!(c.check_send().is_err());
    }

    #[test]
    fn tv2_partitions_join_at_once_and_end_txn_gives_the_next_epoch() {
        let t = initialized(2);
        let mut c = t.lock();
        c.begin_transaction().unwrap();
        assert!(c.is_transaction_v2());
        c.maybe_add_partition(&tp(1));
        let (_, sendable) = c.partitions_if_changed(u64::MAX).unwrap();
        assert!(sendable.contains(&tp(1)));
        let commit = c.begin_commit().unwrap();
        let end = c.next_request(|| false).unwrap();
        let e = c.handle_end_txn(end, ErrorCode::NONE, Some(pid(1)));
        assert_eq!(e.producer, Some(pid(1)));
        assert!(commit.is_successful());
    }

    /// A `send` between its state check and its append holds EndTxn back, so its record ends
    /// up in the transaction it was checked in (found by a review: a record appended while
    /// EndTxn went out was stranded and written in the next transaction).
    #[test]
    fn end_txn_waits_for_a_send_in_progress() {
        let t = initialized(2);
        t.lock().begin_transaction().unwrap();
        t.lock().maybe_add_partition(&tp(0));
        let gate = t.enter_send().unwrap();
        let commit = t.lock().begin_commit().unwrap();
        // A send starting now is refused; the one in progress holds EndTxn.
        assert!(t.enter_send().is_err());
        assert!(t.lock().next_request(|| false).is_none());
        let mut appended = false;
        t.lock().maybe_add_partition(&tp(1));
        drop(gate);
        // The gate is clear, but the record's batch is incomplete: still no EndTxn.
        assert!(t.lock().next_request(|| !appended).is_none());
        appended = true;
        let end = t.lock().next_request(|| !appended).unwrap();
        assert!(matches!(end.kind, TxnRequestKind::EndTxn { commit: true }));
        t.lock().handle_end_txn(end, ErrorCode::NONE, Some(pid(1)));
        assert!(commit.is_successful());
    }

    #[test]
    fn empty_transaction_ends_without_end_txn() {
        let t = initialized(1);
        let mut c = t.lock();
        c.begin_transaction().unwrap();
        let commit = c.begin_commit().unwrap();
        assert!(c.next_request(|| false).is_none());
        assert!(commit.is_successful());
        assert_eq!(c.state(), State::Ready);
    }

    #[test]
    fn failed_batch_makes_the_transaction_abortable_and_abort_recovers() {
        let t = initialized(1);
        let mut c = t.lock();
        c.set_coordinator_supports_bumping_epoch(true);
        c.begin_transaction().unwrap();
        c.maybe_add_partition(&tp(0));
        let add = c.next_request(|| false).unwrap();
        c.handle_add_partitions(add, &[(tp(0), ErrorCode::NONE)]);
        c.batch_failed(&Error::broker(ErrorCode::MESSAGE_TOO_LARGE, None));
        assert_eq!(c.state(), State::AbortableError);
        let e = c.begin_commit().unwrap_err();
        assert!(e.is_abortable(), "{e}");
        assert!(c.check_send().unwrap_err().is_abortable());
        // Abort: EndTxn(abort), then (TV1, bump needed) InitProducerId with the epoch.
        let abort = c.begin_abort().unwrap();
        let end = c.next_request(|| false).unwrap();
        assert!(matches!(end.kind, TxnRequestKind::EndTxn { commit: false }));
        c.handle_end_txn(end, ErrorCode::NONE, None);
        assert_eq!(c.state(), State::Initializing);
        let bump = c.next_request(|| false).unwrap();
        assert!(matches!(
            bump.kind,
            TxnRequestKind::InitProducerId { bump: true }
        ));
        c.handle_init_producer_id(bump, ErrorCode::NONE, pid(1));
        abort.await_until(std::time::Instant::now(), 0).unwrap();
        assert_eq!(c.state(), State::Ready);
        c.begin_transaction().unwrap();
    }

    #[test]
    fn fenced_is_fatal_for_every_later_call() {
        let t = initialized(1);
        let mut c = t.lock();
        c.begin_transaction().unwrap();
        c.maybe_add_partition(&tp(0));
        let add = c.next_request(|| false).unwrap();
        c.handle_add_partitions(add, &[(tp(0), ErrorCode::NONE)]);
        let commit = c.begin_commit().unwrap();
        let end = c.next_request(|| false).unwrap();
        c.handle_end_txn(end, ErrorCode::PRODUCER_FENCED, None);
        assert_eq!(c.state(), State::FatalError);
        let e = commit
            .await_until(std::time::Instant::now(), 0)
            .unwrap_err();
        assert!(matches!(e, Error::ProducerFenced(_)), "{e}");
        assert!(e.to_string().contains("transaction.timeout.ms"), "{e}");
        assert!(c.begin_transaction().unwrap_err().is_fatal());
        assert!(c.begin_abort().unwrap_err().is_fatal());
        assert!(c.check_send().unwrap_err().is_fatal());
    }

    #[test]
    fn a_timed_out_call_is_resumed_not_restarted() {
        let t = initialized(1);
        let mut c = t.lock();
        c.begin_transaction().unwrap();
        c.maybe_add_partition(&tp(0));
        let add = c.next_request(|| false).unwrap();
        c.handle_add_partitions(add, &[(tp(0), ErrorCode::NONE)]);
        let first = c.begin_commit().unwrap();
        // The caller timed out (not acked): the same call gets the same result, another
        // call is refused.
        let again = c.begin_commit().unwrap();
        assert!(Arc::ptr_eq(&first, &again));
        assert!(matches!(c.begin_abort(), Err(Error::IllegalState(m)) if m.contains("timed out")));
        assert!(matches!(c.begin_transaction(), Err(Error::IllegalState(_))));
        let end = c.next_request(|| false).unwrap();
        c.handle_end_txn(end, ErrorCode::CONCURRENT_TRANSACTIONS, None);
        let end = c.next_request(|| false).unwrap();
        assert!(end.is_retry);
        c.handle_end_txn(end, ErrorCode::NONE, None);
        first.await_until(std::time::Instant::now(), 0).unwrap();
        c.ack(&first);
        c.begin_transaction().unwrap();
    }

    #[test]
    fn coordinator_errors_look_it_up_again() {
        let t = initialized(1);
        let mut c = t.lock();
        c.begin_transaction().unwrap();
        c.maybe_add_partition(&tp(0));
        let add = c.next_request(|| false).unwrap();
        c.handle_add_partitions(add, &[(tp(0), ErrorCode::NOT_COORDINATOR)]);
        assert!(c.coordinator(CoordinatorType::Transaction).is_none());
        let f = c.next_request(|| false).unwrap();
        assert!(matches!(f.kind, TxnRequestKind::FindCoordinator { .. }));
        c.handle_find_coordinator(f, ErrorCode::NONE, None, Some(Node::new(2, "h", 2)));
        let add = c.next_request(|| false).unwrap();
        assert!(add.is_retry);
        c.handle_add_partitions(add, &[(tp(0), ErrorCode::NONE)]);
        assert!(
            c.partitions_if_changed(u64::MAX)
                .unwrap()
                .1
                .contains(&tp(0))
        );
    }

    #[test]
    fn offsets_tv1_add_then_commit_and_tv2_commit_only() {
        let mut offsets = HashMap::new();
        offsets.insert(tp(3), OffsetAndMetadata::new(10));
        let group = ConsumerGroupMetadata::new("g");
        for tv in [1, 2] {
            let t = initialized(tv);
            let mut c = t.lock();
            c.begin_transaction().unwrap();
            let result = c.send_offsets_to_transaction(&offsets, &group).unwrap();
            let mut r = c.next_request(|| false).unwrap();
            if tv == 1 {
                assert!(matches!(r.kind, TxnRequestKind::AddOffsets { .. }));
                c.handle_add_offsets(r, ErrorCode::NONE);
                assert!(!result.is_completed());
                r = c.next_request(|| false).unwrap();
            }
            assert!(matches!(r.kind, TxnRequestKind::TxnOffsetCommit { .. }));
            assert_eq!(
                c.pending_offsets(),
                vec![(tp(3), OffsetAndMetadata::new(10))]
            );
            assert_eq!(
                r.kind.coordinator_type(),
                Some(CoordinatorType::Group),
                "to the group coordinator"
            );
            c.handle_txn_offset_commit(r, &[(tp(3), ErrorCode::NONE)]);
            assert!(result.is_successful());
            // The commit sends EndTxn: offsets started the transaction.
            c.begin_commit().unwrap();
            assert!(matches!(
                c.next_request(|| false).unwrap().kind,
                TxnRequestKind::EndTxn { commit: true }
            ));
        }
    }
}
