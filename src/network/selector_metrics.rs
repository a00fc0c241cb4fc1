//! `SelectorMetrics`: the network client's metrics (Java's `Selector.SelectorMetrics` with the
//! prefix `producer`): connections, authentications, bytes, requests and responses, and the
//! I/O thread's time, in `producer-metrics`; per node in `producer-node-metrics` with the tag
//! `node-id` = `node-<id>`.
//!
//! Per-node sensors are created when a connection to the node is opened (Java's
//! `maybeRegisterConnectionMetrics`) and kept in a map by node id.

use crate::metrics::stats::{Stat, TimeUnit};
use crate::metrics::{MetricName, Metrics, Sensor};
use rustc_hash::FxHashMap as HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const GROUP: &str = "producer-metrics";
const NODE_GROUP: &str = "producer-node-metrics";

/// One node's sensors.
struct NodeSensors {
    requests: Arc<Sensor>,
    bytes_sent: Arc<Sensor>,
    responses: Arc<Sensor>,
    bytes_received: Arc<Sensor>,
}

/// The client's sensors.
pub(crate) struct SelectorMetrics {
    metrics: Metrics,
    client_id: String,
    connection_closed: Arc<Sensor>,
    connection_created: Arc<Sensor>,
    successful_authentication: Arc<Sensor>,
    successful_reauthentication: Arc<Sensor>,
    failed_authentication: Arc<Sensor>,
    bytes_sent: Arc<Sensor>,
    requests_sent: Arc<Sensor>,
    bytes_received: Arc<Sensor>,
    responses_received: Arc<Sensor>,
    select_time: Arc<Sensor>,
    io_time: Arc<Sensor>,
    connection_count: Arc<AtomicUsize>,
    nodes: HashMap<i32, NodeSensors>,
}

impl std::fmt::Debug for SelectorMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SelectorMetrics")
            .field("nodes", &self.nodes.len())
            .finish()
    }
}

/// Adds Java's `createMeter`: `<base>-rate` ("The number of <what> per second") and
/// `<base>-total` ("The total number of <what>"), of the recorded values or (`count`) of the
/// recordings.
fn meter(
    sensor: &Arc<Sensor>,
    tags: &[(&str, &str)],
    group: &str,
    base: &str,
    what: &str,
    count: bool,
) {
    sensor.add_meter(
        name(
            group,
            &format!("{base}-rate"),
            &format!("The number of {what} per second"),
            tags,
        ),
        name(
            group,
            &format!("{base}-total"),
            &format!("The total number of {what}"),
            tags,
        ),
        count,
    );
}

fn name(group: &str, name: &str, description: &str, tags: &[(&str, &str)]) -> MetricName {
    MetricName::new(name, group, description, tags.iter().copied())
}

/// Java's `createIOThreadRatioMeter` (and its legacy twin): `<base>-ratio`, the fraction of
/// time, `<base>-time-ns-total` and the deprecated `<base>time-total`.
fn io_ratio(sensor: &Arc<Sensor>, tags: &[(&str, &str)], base: &str, action: &str) {
    sensor.add(
        name(
            GROUP,
            &format!("{base}-ratio"),
            &format!("The fraction of time the I/O thread spent {action}"),
            tags,
        ),
        Stat::rate_in(TimeUnit::Nanoseconds),
    );
    sensor.add(
        name(
            GROUP,
            &format!("{base}time-total"),
            &format!("*Deprecated* The total time the I/O thread spent {action}"),
            tags,
        ),
        Stat::cumulative_sum(),
    );
    sensor.add(
        name(
            GROUP,
            &format!("{base}-time-ns-total"),
            &format!("The total time the I/O thread spent {action}"),
            tags,
        ),
        Stat::cumulative_sum(),
    );
}

impl SelectorMetrics {
    /// Registers the client-level sensors and the `connection-count` gauge.
    pub(crate) fn new(metrics: Metrics, client_id: &str) -> Self {
        let tags: &[(&str, &str)] = &[("client-id", client_id)];
        let sensor = |n: &str| metrics.sensor(&format!("{n}:client-id-{client_id}"));
        let connection_closed = sensor("connections-closed");
        meter(
            &connection_closed,
            tags,
            GROUP,
            "connection-close",
            "connections closed",
            false,
        );
        let connection_created = sensor("connections-created");
        meter(
            &connection_created,
            tags,
            GROUP,
            "connection-creation",
            "new connections established",
            false,
        );
        let successful_authentication = sensor("successful-authentication");
        meter(
            &successful_authentication,
            tags,
            GROUP,
            "successful-authentication",
            "connections with successful authentication",
            false,
        );
        let successful_reauthentication = sensor("successful-reauthentication");
        meter(
            &successful_reauthentication,
            tags,
            GROUP,
            "successful-reauthentication",
            "successful re-authentication of connections",
            false,
        );
        let failed_authentication = sensor("failed-authentication");
        meter(
            &failed_authentication,
            tags,
            GROUP,
            "failed-authentication",
            "connections with failed authentication",
            false,
        );
        let bytes_transferred = sensor("bytes-sent-received");
        meter(
            &bytes_transferred,
            tags,
            GROUP,
            "network-io",
            "network operations (reads or writes) on all connections",
            true,
        );
        let bytes_sent = metrics.sensor_with(
            &format!("bytes-sent:client-id-{client_id}"),
            crate::metrics::RecordingLevel::Info,
            &[&bytes_transferred],
        );
        meter(
            &bytes_sent,
            tags,
            GROUP,
            "outgoing-byte",
            "outgoing bytes sent to all servers",
            false,
        );
        let requests_sent = sensor("requests-sent");
        meter(
            &requests_sent,
            tags,
            GROUP,
            "request",
            "requests sent",
            true,
        );
        requests_sent.add(
            name(
                GROUP,
                "request-size-avg",
                "The average size of requests sent.",
                tags,
            ),
            Stat::avg(),
        );
        requests_sent.add(
            name(
                GROUP,
                "request-size-max",
                "The maximum size of any request sent.",
                tags,
            ),
            Stat::max(),
        );
        let bytes_received = metrics.sensor_with(
            &format!("bytes-received:client-id-{client_id}"),
            crate::metrics::RecordingLevel::Info,
            &[&bytes_transferred],
        );
        meter(
            &bytes_received,
            tags,
            GROUP,
            "incoming-byte",
            "bytes read off all sockets",
            false,
        );
        let responses_received = sensor("responses-received");
        meter(
            &responses_received,
            tags,
            GROUP,
            "response",
            "responses received",
            true,
        );
        let select_time = sensor("select-time");
        meter(
            &select_time,
            tags,
            GROUP,
            "select",
            "times the I/O layer checked for new I/O to perform",
            true,
        );
        select_time.add(
            name(
                GROUP,
                "io-wait-time-ns-avg",
                "The average length of time the I/O thread spent waiting for a socket ready for \
                 reads or writes in nanoseconds.",
                tags,
            ),
            Stat::avg(),
        );
        io_ratio(&select_time, tags, "io-wait", "waiting");
        let io_time = sensor("io-time");
        io_time.add(
            name(
                GROUP,
                "io-time-ns-avg",
                "The average length of time for I/O per select call in nanoseconds.",
                tags,
            ),
            Stat::avg(),
        );
        io_ratio(&io_time, tags, "io", "doing I/O");
        let connection_count = Arc::new(AtomicUsize::new(0));
        let count = connection_count.clone();
        metrics.add_gauge(
            name(
                GROUP,
                "connection-count",
                "The current number of active connections.",
                tags,
            ),
            move |_| count.load(Ordering::Relaxed) as f64,
        );
        SelectorMetrics {
            metrics: metrics.clone(),
            client_id: client_id.to_string(),
            connection_closed,
            connection_created,
            successful_authentication,
            successful_reauthentication,
            failed_authentication,
            bytes_sent,
            requests_sent,
            bytes_received,
            responses_received,
            select_time,
            io_time,
            connection_count,
            nodes: HashMap::default(),
        }
    }

    /// The node's sensors, registered on its first connection (Java's
    /// `maybeRegisterConnectionMetrics`), with its `node-<id>.latency` sensor, which the sender
    /// records into (`request-latency-avg` / `-max`).
    pub(crate) fn maybe_register_connection_metrics(&mut self, node: i32) {
        if self.nodes.contains_key(&node) {
            return;
        }
        let m = &self.metrics;
        let node_id = format!("node-{node}");
        let tags: &[(&str, &str)] = &[
            ("client-id", self.client_id.as_str()),
            ("node-id", node_id.as_str()),
        ];
        let requests = m.sensor(&format!("{node_id}.requests-sent"));
        meter(
            &requests,
            tags,
            NODE_GROUP,
            "request",
            "requests sent",
            true,
        );
        requests.add(
            name(
                NODE_GROUP,
                "request-size-avg",
                "The average size of requests sent.",
                tags,
            ),
            Stat::avg(),
        );
        requests.add(
            name(
                NODE_GROUP,
                "request-size-max",
                "The maximum size of any request sent.",
                tags,
            ),
            Stat::max(),
        );
        let bytes_sent = m.sensor(&format!("{node_id}.bytes-sent"));
        meter(
            &bytes_sent,
            tags,
            NODE_GROUP,
            "outgoing-byte",
            "outgoing bytes",
            false,
        );
        let responses = m.sensor(&format!("{node_id}.responses-received"));
        meter(
            &responses,
            tags,
            NODE_GROUP,
            "response",
            "responses received",
            true,
        );
        let bytes_received = m.sensor(&format!("{node_id}.bytes-received"));
        meter(
            &bytes_received,
            tags,
            NODE_GROUP,
            "incoming-byte",
            "incoming bytes",
            false,
        );
        let latency = m.sensor(&format!("{node_id}.latency"));
        latency.add(
            name(NODE_GROUP, "request-latency-avg", "", tags),
            Stat::avg(),
        );
        latency.add(
            name(NODE_GROUP, "request-latency-max", "", tags),
            Stat::max(),
        );
        self.nodes.insert(
            node,
            NodeSensors {
                requests,
                bytes_sent,
                responses,
                bytes_received,
            },
        );
    }

    pub(crate) fn connection_created(&self, now: Instant) {
        self.connection_created.record_at(1.0, now);
    }

    pub(crate) fn connection_closed(&self, now: Instant) {
        self.connection_closed.record_at(1.0, now);
    }

    pub(crate) fn successful_authentication(&self, now: Instant) {
        self.successful_authentication.record_at(1.0, now);
    }

    pub(crate) fn successful_reauthentication(&self, now: Instant) {
        self.successful_reauthentication.record_at(1.0, now);
    }

    pub(crate) fn failed_authentication(&self, now: Instant) {
        self.failed_authentication.record_at(1.0, now);
    }

    /// Bytes written to `node` in one write (Java's `recordBytesSent`).
    pub(crate) fn bytes_sent(&self, node: i32, bytes: usize, now: Instant) {
        self.bytes_sent.record_at(bytes as f64, now);
        if let Some(n) = self.nodes.get(&node) {
            n.bytes_sent.record_at(bytes as f64, now);
        }
    }

    /// A request of `size` bytes written completely (Java's `recordCompletedSend`).
    pub(crate) fn completed_send(&self, node: i32, size: usize, now: Instant) {
        self.requests_sent.record_at(size as f64, now);
        if let Some(n) = self.nodes.get(&node) {
            n.requests.record_at(size as f64, now);
        }
    }

    /// Bytes read from `node` in one read (Java's `recordBytesReceived`).
    pub(crate) fn bytes_received(&self, node: i32, bytes: usize, now: Instant) {
        self.bytes_received.record_at(bytes as f64, now);
        if let Some(n) = self.nodes.get(&node) {
            n.bytes_received.record_at(bytes as f64, now);
        }
    }

    /// A response of `size` bytes received completely (Java's `recordCompletedReceive`).
    pub(crate) fn completed_receive(&self, node: i32, size: usize, now: Instant) {
        self.responses_received.record_at(size as f64, now);
        if let Some(n) = self.nodes.get(&node) {
            n.responses.record_at(size as f64, now);
        }
    }

    /// One poll: `select` waited for readiness, `io` did the I/O after it.
    pub(crate) fn poll(&self, select: Duration, io: Duration, now: Instant) {
        self.select_time.record_at(select.as_nanos() as f64, now);
        self.io_time.record_at(io.as_nanos() as f64, now);
    }

    /// Publishes the number of open connections (`connection-count`).
    pub(crate) fn set_connection_count(&self, n: usize) {
        self.connection_count.store(n, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::MetricConfig;
    use crate::time::{MockTime, Time};

    /// Java's `SelectorTest` metric names: client-level meters in `producer-metrics`, per-node
    /// ones in `producer-node-metrics` tagged `node-id=node-<id>`, counted once per node.
    #[test]
    fn records_client_and_node_metrics() {
        let time = MockTime::new();
        let metrics = Metrics::new(MetricConfig::default(), Arc::new(time.clone()));
        let mut s = SelectorMetrics::new(metrics.clone(), "c1");
        s.maybe_register_connection_metrics(3);
        s.maybe_register_connection_metrics(3);
        let now = time.now();
        s.connection_created(now);
        s.set_connection_count(1);
        s.bytes_sent(3, 100, now);
        s.bytes_sent(3, 50, now);
        s.completed_send(3, 150, now);
        s.bytes_received(3, 40, now);
        s.completed_receive(3, 40, now);
        s.bytes_sent(7, 10, now); // a node without metrics: the client's only
        s.poll(Duration::from_millis(3), Duration::from_millis(1), now);
        let all = metrics.metrics();
        let client =
            |n: &str| all[&MetricName::new(n, GROUP, "", [("client-id", "c1")])].metric_value();
        let node = |n: &str| {
            all[&MetricName::new(
                n,
                NODE_GROUP,
                "",
                [("client-id", "c1"), ("node-id", "node-3")],
            )]
                .metric_value()
        };
        assert_eq!(client("connection-creation-total"), 1.0);
        assert_eq!(client("connection-count"), 1.0);
        assert_eq!(client("outgoing-byte-total"), 160.0);
        assert_eq!(client("incoming-byte-total"), 40.0);
        assert_eq!(client("network-io-total"), 4.0, "three writes and a read");
        assert_eq!(client("request-total"), 1.0);
        assert_eq!(client("request-size-avg"), 150.0);
        assert_eq!(client("response-total"), 1.0);
        assert_eq!(client("select-total"), 1.0);
        assert_eq!(client("io-wait-time-ns-total"), 3e6);
        assert_eq!(client("io-time-ns-total"), 1e6);
        assert_eq!(client("iotime-total"), 1e6, "the deprecated twin");
        assert_eq!(node("outgoing-byte-total"), 150.0);
        assert_eq!(node("incoming-byte-total"), 40.0);
        assert_eq!(node("request-total"), 1.0);
        assert_eq!(node("request-size-max"), 150.0);
        assert_eq!(node("response-total"), 1.0);
        assert!(
            node("request-latency-avg").is_nan(),
            "the sender records it"
        );
        metrics.sensor("node-3.latency").record(12.0);
        assert_eq!(node("request-latency-max"), 12.0);
    }
}
