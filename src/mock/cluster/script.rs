//! Scripting the fate of Produce requests: [`Action`], what a script sees ([`ProduceInfo`],
//! [`BatchInfo`]), setting scripts and queuing actions or partition errors, and the choice of
//! the action of a request.

use crate::protocol::ErrorCode;
use std::time::Duration;

use super::{Conn, MockCluster, partition_mut};

/// The fate of one Produce request, decided by a script or a queued action.
///
/// ```
/// use kafka_producer::mock::Action;
/// use kafka_producer::protocol::ErrorCode;
/// use std::time::Duration;
/// // Answer after 200 ms, with partition 1 failing.
/// let a = Action::Delay(
///     Duration::from_millis(200),
///     Box::new(Action::PartitionErrors(vec![(1, ErrorCode::NOT_ENOUGH_REPLICAS)])),
/// );
/// assert_ne!(a, Action::Ok);
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Action {
    /// Append the batches (as a broker does: leader and sequence checks) and answer.
    Ok,
    /// Answer every partition of the request with this error code, appending nothing.
    Error(ErrorCode),
    /// Write these raw bytes instead of a response frame (the connection stays open).
    Garbage(Vec<u8>),
    /// Do not answer (the client's request timeout must fire); later requests are served.
    Silence,
    /// Close the connection without answering.
    Close,
    /// Append the batches, then close the connection without answering (a lost response).
    AppendThenClose,
    /// Answer the listed partitions with their error code; append the others.
    PartitionErrors(Vec<(i32, ErrorCode)>),
    /// Forget every producer's sequence state on every partition (as a broker whose producer
    /// state expired), then do the inner action.
    ForgetProducers(Box<Action>),
    /// Wait this long on the connection's thread, then do the inner action. Later requests of
    /// the connection wait too (a broker answers a connection's requests in order).
    Delay(Duration, Box<Action>),
    /// Do the inner action with this `throttle_time_ms` in the response.
    Throttle(i32, Box<Action>),
}

/// One record batch of a Produce request, as a script sees it (read from the batch header).
///
/// ```
/// # use kafka_producer::mock::BatchInfo;
/// fn first_of_partition_0(b: &BatchInfo) -> bool {
///     b.partition == 0 && b.base_sequence == 0
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct BatchInfo {
    /// Topic name.
    pub topic: String,
    /// Partition index.
    pub partition: i32,
    /// Producer id, -1 for a non-idempotent producer.
    pub producer_id: i64,
    /// Producer epoch.
    pub producer_epoch: i16,
    /// Sequence of the batch's first record, -1 without idempotence.
    pub base_sequence: i32,
    /// Records in the batch.
    pub record_count: i32,
}

/// What a Produce script sees of one request.
///
/// ```
/// use kafka_producer::mock::{Action, MockCluster, ProduceInfo};
/// let cluster = MockCluster::new(1);
/// cluster.set_produce_script(|info: &ProduceInfo| {
///     if info.n == 0 { Action::Close } else { Action::Ok }
/// });
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ProduceInfo {
    /// The request's number in the cluster, from 0.
    pub n: usize,
    /// The broker that received it.
    pub broker: i32,
    /// The request's acks (0, 1 or -1).
    pub acks: i16,
    /// Its batches, in request order (one per partition with this crate's producer).
    pub batches: Vec<BatchInfo>,
}

impl MockCluster {
    /// Sets the script that decides the fate of every Produce request no queued action or
    /// broker script decides (replacing any earlier one). It runs on the receiving connection's
    /// thread, one request at a time across the cluster: sleeping in it delays this answer and
    /// the later ones of the connection.
    ///
    /// ```
    /// use kafka_producer::mock::{Action, MockCluster};
    /// use kafka_producer::protocol::ErrorCode;
    /// let cluster = MockCluster::new(1);
    /// cluster.set_produce_script(|info| {
    ///     if info.n < 2 { Action::Error(ErrorCode::NOT_ENOUGH_REPLICAS) } else { Action::Ok }
    /// });
    /// ```
    pub fn set_produce_script(&self, script: impl FnMut(&ProduceInfo) -> Action + Send + 'static) {
        *self.shared.script.lock() = Some(Box::new(script));
    }

    /// Like [`set_produce_script`](Self::set_produce_script) for the Produce requests of one
    /// broker; it comes before the cluster-wide script.
    ///
    /// ```
    /// use kafka_producer::mock::{Action, MockCluster};
    /// let cluster = MockCluster::new(2);
    /// cluster.set_broker_produce_script(1, |_| Action::Silence);
    /// ```
    pub fn set_broker_produce_script(
        &self,
        broker: i32,
        script: impl FnMut(&ProduceInfo) -> Action + Send + 'static,
    ) {
        *self.broker(broker).script.lock() = Some(Box::new(script));
    }

    /// Removes every script (cluster-wide and per broker) and queued action.
    ///
    /// ```
    /// let cluster = kafka_producer::mock::MockCluster::new(1);
    /// cluster.clear_produce_scripts();
    /// ```
    pub fn clear_produce_scripts(&self) {
        *self.shared.script.lock() = None;
        self.shared.state.lock().actions.clear();
        for b in &self.shared.brokers {
            *b.script.lock() = None;
            b.actions.lock().clear();
        }
    }

    /// Queues actions for the next Produce requests the cluster receives, one each, before
    /// any script is asked.
    ///
    /// ```
    /// use kafka_producer::mock::{Action, MockCluster};
    /// let cluster = MockCluster::new(1);
    /// cluster.push_produce_actions([Action::Close, Action::Silence]);
    /// ```
    pub fn push_produce_actions(&self, actions: impl IntoIterator<Item = Action>) {
        self.shared.state.lock().actions.extend(actions);
    }

    /// Queues actions for the next Produce requests of one broker; they come before the
    /// cluster-wide queue.
    ///
    /// ```
    /// use kafka_producer::mock::{Action, MockCluster};
    /// let cluster = MockCluster::new(2);
    /// cluster.push_broker_produce_actions(1, [Action::Close]);
    /// ```
    pub fn push_broker_produce_actions(
        &self,
        broker: i32,
        actions: impl IntoIterator<Item = Action>,
    ) {
        self.broker(broker).actions.lock().extend(actions);
    }

    /// Makes the next Produce requests for a partition fail with these codes, one request
    /// each (librdkafka's `rd_kafka_mock_push_request_errors`, per partition). Creates nothing:
    /// the partition must exist.
    ///
    /// ```
    /// use kafka_producer::mock::MockCluster;
    /// use kafka_producer::protocol::ErrorCode;
    /// let cluster = MockCluster::new(1);
    /// cluster.create_topic("t", 1);
    /// cluster.push_produce_errors("t", 0, &[ErrorCode::NOT_LEADER_OR_FOLLOWER, ErrorCode::REQUEST_TIMED_OUT]);
    /// ```
    pub fn push_produce_errors(&self, topic: &str, partition: i32, codes: &[ErrorCode]) {
        let mut st = self.shared.state.lock();
        let p = partition_mut(&mut st, topic, partition)
            .unwrap_or_else(|| panic!("no partition {topic}-{partition} in the mock cluster"));
        p.pushed_errors.extend(codes.iter().copied());
    }
}

impl Conn<'_> {
    pub(super) fn next_action(&self, info: &ProduceInfo) -> Action {
        if let Some(a) = self.broker.actions.lock().pop_front() {
            return a;
        }
        if let Some(a) = self.shared.state.lock().actions.pop_front() {
            return a;
        }
        if let Some(script) = self.broker.script.lock().as_mut() {
            return script(info);
        }
        if let Some(script) = self.shared.script.lock().as_mut() {
            return script(info);
        }
        Action::Ok
    }
}
