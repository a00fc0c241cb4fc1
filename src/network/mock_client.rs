//! `MockClient`: a scripted [`KafkaClient`] for deterministic sender tests (Java's
//! `MockClient`). Requests the sender sends are kept (decodable); responses are prepared in
//! advance (`prepare_response`, matched in order as requests are sent) or given to requests in
//! flight (`respond`); nodes can be disconnected, blacked out or throttled. Nothing sleeps and
//! no socket is opened: time is whatever the test's `MockTime` says.

// A test toolkit: not every test uses every knob.
#![allow(dead_code)]

use super::client::NetworkStats;
use super::kafka_client::KafkaClient;
use super::{ClientResponse, Disconnect, OutboundRequest};
use crate::cluster::Node;
use crate::error::Error;
use crate::metadata::Metadata;
use crate::protocol::messages::{Decode, Encode, ProduceRequest};
use crate::protocol::{ApiKey, OwnedRequestHeader, Reader};
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A request the sender sent.
#[derive(Debug, Clone)]
pub(crate) struct SentRequest {
    pub(crate) node: i32,
    pub(crate) api: ApiKey,
    pub(crate) version: i16,
    pub(crate) correlation_id: i32,
    pub(crate) expect_response: bool,
    pub(crate) sent_at: Instant,
    /// The body after the request header.
    pub(crate) body: Vec<u8>,
}

impl SentRequest {
    /// The Produce request (panics if it is not one).
    pub(crate) fn produce(&self) -> ProduceRequest<'_> {
        assert_eq!(self.api, ApiKey::Produce, "not a Produce request");
        ProduceRequest::decode(self.version, &mut Reader::new(&self.body, "ProduceRequest"))
            .expect("a decodable Produce request")
    }

    /// (topic, partition, record count) of each batch of a Produce request.
    pub(crate) fn produce_partitions(&self) -> Vec<(String, i32, usize)> {
        self.produce()
            .topics
            .iter()
            .flat_map(|t| {
                t.partitions.iter().map(|p| {
                    let n = crate::protocol::record_batch::RecordBatch::decode_all(
                        p.records.unwrap_or(&[]),
                    )
                    .map(|bs| bs.iter().map(|b| b.records.len()).sum())
                    .unwrap_or(0);
                    (t.name.clone(), p.index, n)
                })
            })
            .collect()
    }
}

type Body = Box<dyn FnOnce(i16) -> Vec<u8> + Send>;
/// A predicate a request must satisfy to get a prepared answer (Java `RequestMatcher`).
pub(crate) type Matcher = Box<dyn Fn(&SentRequest) -> bool + Send>;

/// An answer for a request.
pub(crate) enum Answer {
    /// A response body, encoded at the request's version.
    Body(Body),
    /// The connection drops before the response.
    Disconnect,
}

impl Answer {
    /// A response body.
    pub(crate) fn body(response: impl Encode + Send + 'static) -> Answer {
        Answer::Body(Box::new(move |version| {
            let mut buf = Vec::new();
            response.encode(version, &mut buf);
            buf
        }))
    }
}

struct Prepared {
    matcher: Option<Matcher>,
    answer: Answer,
    delay: Duration,
}

struct InFlight {
    request: SentRequest,
    answer: Option<(Answer, Instant)>,
    /// Answered with `respond_to`: delivered even before earlier requests of its node
    /// (Java `respondToRequest`, for out-of-order response tests).
    out_of_order: bool,
}

/// The mock client.
pub(crate) struct MockClient {
    metadata: Arc<Metadata>,
    request_timeout: Duration,
    max_in_flight: usize,
    correlation_id: i32,
    in_flight: VecDeque<InFlight>,
    prepared: VecDeque<Prepared>,
    completed: Vec<ClientResponse>,
    /// Every request sent, in order.
    pub(crate) sent: Vec<SentRequest>,
    blackout_until: HashMap<i32, Instant>,
    /// Throttles the sender applied, in order: (node, throttle time).
    pub(crate) throttles: Vec<(i32, Duration)>,
    unsupported: HashSet<ApiKey>,
    /// Highest version of an API a node supports (else this crate's highest).
    max_versions: HashMap<(i32, ApiKey), i16>,
    nodes_connected: HashSet<i32>,
    authentication_errors: HashMap<i32, Error>,
    stats: NetworkStats,
    /// The timeout of every poll, in order (Java tests verify `poll(timeout)` on a spy).
    pub(crate) poll_timeouts: Vec<Duration>,
    /// Finalized feature levels, as the brokers' ApiVersions answers would report them.
    finalized_features: HashMap<String, i16>,
    /// Nodes whose connection attempts fail, until when.
    failed_connections: HashMap<i32, Instant>,
}

impl MockClient {
    /// A client whose nodes are those of `metadata`'s cluster, every one ready.
    pub(crate) fn new(metadata: Arc<Metadata>) -> Self {
        MockClient {
            metadata,
            request_timeout: Duration::from_secs(30),
            max_in_flight: 5,
            correlation_id: 0,
            in_flight: VecDeque::new(),
            prepared: VecDeque::new(),
            completed: Vec::new(),
            sent: Vec::new(),
            blackout_until: HashMap::new(),
            throttles: Vec::new(),
            unsupported: HashSet::new(),
            max_versions: HashMap::new(),
            nodes_connected: HashSet::new(),
            authentication_errors: HashMap::new(),
            stats: NetworkStats::default(),
            poll_timeouts: Vec::new(),
            finalized_features: HashMap::new(),
            failed_connections: HashMap::new(),
        }
    }

    /// Sets `request.timeout.ms` (requests in flight longer time out at a poll).
    pub(crate) fn set_request_timeout(&mut self, d: Duration) {
        self.request_timeout = d;
    }

    /// Sets `max.in.flight.requests.per.connection`.
    pub(crate) fn set_max_in_flight(&mut self, n: usize) {
        self.max_in_flight = n;
    }

    /// The next request sent gets `answer` (Java `prepareResponse`).
    pub(crate) fn prepare_response(&mut self, answer: Answer) {
        self.prepare(None, answer, Duration::ZERO);
    }

    /// The next request sent, which must match, gets `answer` after `delay`.
    pub(crate) fn prepare(&mut self, matcher: Option<Matcher>, answer: Answer, delay: Duration) {
        self.prepared.push_back(Prepared {
            matcher,
            answer,
            delay,
        });
    }

    /// Answers the oldest request in flight that has no answer yet (Java `respond`).
    pub(crate) fn respond(&mut self, answer: Answer, now: Instant) {
        let f = self
            .in_flight
            .iter_mut()
            .find(|f| f.answer.is_none())
            .expect("no request in flight to respond to");
        f.answer = Some((answer, now));
    }

    /// Answers the request in flight with this correlation id, delivered at the next poll
    /// even if earlier requests of its node are still unanswered (Java `respondToRequest`).
    pub(crate) fn respond_to(&mut self, correlation_id: i32, answer: Answer, now: Instant) {
        let f = self
            .in_flight
            .iter_mut()
            .find(|f| f.request.correlation_id == correlation_id)
            .expect("no such request in flight");
        f.answer = Some((answer, now));
        f.out_of_order = true;
    }

    /// Requests in flight (answered or not, until a poll returns them).
    pub(crate) fn in_flight(&self) -> Vec<&SentRequest> {
        self.in_flight.iter().map(|f| &f.request).collect()
    }

    /// Requests in flight that have no answer yet, oldest first.
    pub(crate) fn unanswered(&self) -> Vec<&SentRequest> {
        self.in_flight
            .iter()
            .filter(|f| f.answer.is_none())
            .map(|f| &f.request)
            .collect()
    }

    /// Requests in flight.
    pub(crate) fn in_flight_len(&self) -> usize {
        self.in_flight.len()
    }

    /// Whether any prepared response is still waiting for its request.
    pub(crate) fn has_prepared(&self) -> bool {
        !self.prepared.is_empty()
    }

    /// The node's connection drops: its requests fail as disconnected at the next poll, and
    /// it is not ready until `backoff` has passed.
    pub(crate) fn disconnect_node(&mut self, node: i32, backoff: Duration, now: Instant) {
        KafkaClient::disconnect(
            self,
            node,
            Disconnect::Closed("mock disconnect".into()),
            now,
        );
        self.blackout_until.insert(node, now + backoff);
    }

    /// Connecting to `node` fails until `until` (Java's `connectionFailed` is true meanwhile).
    pub(crate) fn fail_connection(&mut self, node: i32, until: Instant) {
        self.blackout_until.insert(node, until);
        self.failed_connections.insert(node, until);
    }

    /// The node cannot be connected to until `until`.
    pub(crate) fn blackout(&mut self, node: i32, until: Instant) {
        self.blackout_until.insert(node, until);
    }

    /// Connections to `node` fail authentication with `error` (it is never ready).
    pub(crate) fn fail_authentication(&mut self, node: i32, error: Error) {
        self.authentication_errors.insert(node, error);
    }

    /// The brokers report feature `name` finalized at max level `level` (e.g.
    /// `transaction.version` 2).
    pub(crate) fn set_finalized_feature(&mut self, name: &str, level: i16) {
        self.finalized_features.insert(name.to_owned(), level);
    }

    /// The broker does not support `api` (api_version fails).
    pub(crate) fn set_unsupported(&mut self, api: ApiKey) {
        self.unsupported.insert(api);
    }

    /// `node` supports `api` up to `version` only (an older broker): the negotiated version is
    /// the lower of it and this crate's highest.
    pub(crate) fn set_max_version(&mut self, node: i32, api: ApiKey, version: i16) {
        self.max_versions.insert((node, api), version);
    }

    fn node_in_flight(&self, node: i32) -> usize {
        self.in_flight
            .iter()
            .filter(|f| f.request.node == node)
            .count()
    }

    fn decode_sent(node: i32, request: &OutboundRequest, now: Instant) -> SentRequest {
        let bytes: Vec<u8> = request
            .chunks
            .iter()
            .flat_map(|c| c.as_slice().iter().copied())
            .collect();
        let mut r = Reader::new(&bytes[4..], "request");
        let header = OwnedRequestHeader::decode(
            &mut r,
            request.api.request_header_flexible(request.version),
        )
        .expect("a decodable request header");
        assert_eq!(header.correlation_id, request.correlation_id);
        let at = bytes.len() - 4 - r.remaining();
        SentRequest {
            node,
            api: request.api,
            version: request.version,
            correlation_id: request.correlation_id,
            expect_response: request.expect_response,
            sent_at: now,
            body: bytes[4 + at..].to_vec(),
        }
    }
}

impl KafkaClient for MockClient {
    fn ready(&mut self, node: &Node, now: Instant) -> bool {
        if self.authentication_errors.contains_key(&node.id) {
            return false;
        }
        if self.blackout_until.get(&node.id).is_some_and(|t| now < *t) {
            return false;
        }
        if self.nodes_connected.insert(node.id) {
            self.stats.connections += 1;
        }
        self.node_in_flight(node.id) < self.max_in_flight
    }

    fn send_blocked(&self, node: i32) -> bool {
        self.nodes_connected.contains(&node) && self.node_in_flight(node) >= self.max_in_flight
    }

    fn connection_failed(&self, node: i32, now: Instant) -> bool {
        self.failed_connections.get(&node).is_some_and(|t| now < *t)
    }

    fn connection_delay(&self, node: i32, now: Instant) -> Duration {
        self.blackout_until
            .get(&node)
            .map_or(Duration::ZERO, |t| t.saturating_duration_since(now))
    }

    fn least_loaded_node(&mut self, now: Instant) -> Option<Node> {
        let cluster = self.metadata.fetch();
        let mut nodes: Vec<Node> = cluster.nodes().cloned().collect();
        nodes.sort_by_key(|n| self.node_in_flight(n.id));
        nodes
            .into_iter()
            .find(|n| self.blackout_until.get(&n.id).is_none_or(|t| now >= *t))
    }

    fn api_version(&self, node: i32, api: ApiKey) -> Result<i16, Error> {
        if self.unsupported.contains(&api) {
            return Err(Error::UnsupportedVersion(
                crate::protocol::versions::UnsupportedApi {
                    api,
                    ours: api.supported_versions(),
                    broker: None,
                    node: None,
                },
            ));
        }
        let ours = api.supported_versions().1;
        Ok(self
            .max_versions
            .get(&(node, api))
            .map_or(ours, |&v| v.min(ours)))
    }

    fn next_correlation_id(&mut self) -> i32 {
        self.correlation_id += 1;
        self.correlation_id
    }

    fn client_id(&self) -> &str {
        "mock-client"
    }

    fn send(&mut self, node: i32, request: OutboundRequest, now: Instant) {
        let sent = Self::decode_sent(node, &request, now);
        if sent.api == ApiKey::Produce {
            self.stats.produce_requests += 1;
        }
        self.sent.push(sent.clone());
        if !sent.expect_response {
            self.completed.push(ClientResponse {
                node,
                api: sent.api,
                version: sent.version,
                correlation_id: sent.correlation_id,
                body: Ok(None),
                latency: Duration::ZERO,
            });
            return;
        }
        let answer = match self.prepared.pop_front() {
            Some(p) => {
                if let Some(m) = &p.matcher {
                    assert!(
                        m(&sent),
                        "the prepared response's matcher rejected {sent:?}"
                    );
                }
                Some((p.answer, now + p.delay))
            }
            None => None,
        };
        self.in_flight.push_back(InFlight {
            request: sent,
            answer,
            out_of_order: false,
        });
    }

    fn poll(&mut self, timeout: Duration, now: Instant) -> Vec<ClientResponse> {
        self.poll_timeouts.push(timeout);
        let mut out = std::mem::take(&mut self.completed);
        let mut keep = VecDeque::new();
        // Per node, responses come in request order: a request waits behind an earlier
        // unanswered one of its node.
        let mut blocked: HashSet<i32> = HashSet::new();
        for f in std::mem::take(&mut self.in_flight) {
            let node = f.request.node;
            let due = f.answer.as_ref().is_some_and(|(_, at)| *at <= now);
            if due && (!blocked.contains(&node) || f.out_of_order) {
                let (answer, _) = f.answer.expect("due");
                let body = match answer {
                    Answer::Body(encode) => Ok(Some(encode(f.request.version))),
                    Answer::Disconnect => Err(Disconnect::Closed("mock disconnect".into())),
                };
                out.push(ClientResponse {
                    node,
                    api: f.request.api,
                    version: f.request.version,
                    correlation_id: f.request.correlation_id,
                    body,
                    latency: now.saturating_duration_since(f.request.sent_at),
                });
            } else if now.saturating_duration_since(f.request.sent_at) >= self.request_timeout {
                blocked.insert(node);
                self.stats.disconnections += 1;
                out.push(ClientResponse {
                    node,
                    api: f.request.api,
                    version: f.request.version,
                    correlation_id: f.request.correlation_id,
                    body: Err(Disconnect::RequestTimeout),
                    latency: now.saturating_duration_since(f.request.sent_at),
                });
            } else {
                blocked.insert(node);
                keep.push_back(f);
            }
        }
        self.in_flight = keep;
        out
    }

    fn throttle(&mut self, node: i32, throttle: Duration, now: Instant) {
        if throttle.is_zero() {
            return;
        }
        self.throttles.push((node, throttle));
        let until = now + throttle;
        let t = self.blackout_until.entry(node).or_insert(until);
        *t = (*t).max(until);
    }

    fn disconnect(&mut self, node: i32, reason: Disconnect, now: Instant) {
        self.stats.disconnections += 1;
        self.nodes_connected.remove(&node);
        self.metadata.request_update();
        let (gone, kept): (VecDeque<InFlight>, VecDeque<InFlight>) =
            std::mem::take(&mut self.in_flight)
                .into_iter()
                .partition(|f| f.request.node == node);
        self.in_flight = kept;
        for f in gone {
            self.completed.push(ClientResponse {
                node,
                api: f.request.api,
                version: f.request.version,
                correlation_id: f.request.correlation_id,
                body: Err(reason.clone()),
                latency: now.saturating_duration_since(f.request.sent_at),
            });
        }
    }

    fn close_all(&mut self, now: Instant) -> Vec<ClientResponse> {
        let nodes: HashSet<i32> = self.in_flight.iter().map(|f| f.request.node).collect();
        for n in nodes {
            KafkaClient::disconnect(self, n, Disconnect::Closed("client closed".into()), now);
        }
        std::mem::take(&mut self.completed)
    }

    fn in_flight_count(&self) -> usize {
        self.in_flight.len()
    }

    fn stats(&self) -> NetworkStats {
        self.stats
    }

    fn authentication_error(&self, node: i32) -> Option<Error> {
        self.authentication_errors.get(&node).cloned()
    }

    fn finalized_feature(&self, name: &str) -> Option<i16> {
        self.finalized_features.get(name).copied()
    }

    fn describe_nodes(&self, _now: Instant) -> Vec<String> {
        let mut nodes: Vec<i32> = self.nodes_connected.iter().copied().collect();
        nodes.sort_unstable();
        nodes
            .into_iter()
            .map(|n| {
                format!(
                    "node {n} (mock): {} request(s) in flight",
                    self.node_in_flight(n)
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::MockClient;
    use crate::metadata::{Metadata, MetadataConfig};
    use crate::network::kafka_client::KafkaClient;
    use std::sync::Arc;
    use std::time::Duration;

    #[test]
    fn finalized_features_are_scripted() {
        let metadata = Arc::new(Metadata::new(
            MetadataConfig {
                refresh_backoff: Duration::from_millis(50),
                refresh_backoff_max: Duration::from_secs(1),
                metadata_max_age: Duration::from_secs(300),
                metadata_max_idle: Duration::from_secs(300),
            },
            &[("localhost".into(), 1969)],
        ));
        let mut client = MockClient::new(metadata);
        assert_eq!(client.finalized_feature("transaction.version"), None);
        client.set_finalized_feature("transaction.version", 2);
        assert_eq!(client.finalized_feature("transaction.version"), Some(2));
        assert_eq!(client.finalized_feature("group.version"), None);
    }
}
