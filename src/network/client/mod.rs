//! `NetworkClient`: broker connections by node id on one `mio::Poll`, with the ApiVersions
//! handshake, reconnect backoff, request and connection-setup timeouts, and the metadata
//! refresh cycle (Java's `NetworkClient` with its `DefaultMetadataUpdater`).

use super::connection::{ConnState, Connection, InFlight, ReadError, Received};
use super::{Chunk, ClientResponse, Disconnect, OutboundRequest};
use crate::cluster::Node;
use crate::error::Error;
use crate::metadata::Metadata;
use crate::protocol::messages::{
    ApiVersionsRequest, ApiVersionsResponse, MetadataRequest, MetadataResponse,
};
use crate::protocol::versions::ApiVersions;
use crate::protocol::{ApiKey, ErrorCode, Request, decode_response_header, encode_request};
use mio::{Events, Poll, Token, Waker};
use std::collections::HashMap;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::time::{Duration, Instant};

const WAKER: Token = Token(usize::MAX);

/// Network settings.
#[derive(Debug, Clone)]
pub(crate) struct NetworkConfig {
    /// `client.id`.
    pub client_id: String,
    /// `max.in.flight.requests.per.connection`.
    pub max_in_flight: usize,
    /// `request.timeout.ms`.
    pub request_timeout: Duration,
    /// `reconnect.backoff.ms`.
    pub reconnect_backoff: Duration,
    /// `reconnect.backoff.max.ms`.
    pub reconnect_backoff_max: Duration,
    /// `socket.connection.setup.timeout.ms`.
    pub connection_setup_timeout: Duration,
    /// `socket.connection.setup.timeout.max.ms`.
    pub connection_setup_timeout_max: Duration,
    /// `connections.max.idle.ms`.
    pub connections_max_idle: Duration,
    /// `send.buffer.bytes`.
    pub send_buffer: i32,
    /// `receive.buffer.bytes`.
    pub receive_buffer: i32,
    /// `allow.auto.create.topics`.
    pub allow_auto_create_topics: bool,
    /// `metadata.recovery.strategy=rebootstrap`.
    pub rebootstrap: bool,
    /// `metadata.recovery.rebootstrap.trigger.ms`.
    pub rebootstrap_trigger: Duration,
}

#[derive(Debug, Default, Clone)]
struct NodeState {
    failures: u32,
    last_attempt: Option<Instant>,
    backoff_until: Option<Instant>,
    node: Option<Node>,
    setup_failures: u32,
    /// Which of the host's addresses the next attempt uses: after a failure the next one is
    /// tried (Java's `client.dns.lookup=use_all_dns_ips`).
    address_index: usize,
}

/// Counters of what the client did (tests and tools read them).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NetworkStats {
    /// Produce requests sent.
    pub produce_requests: u64,
    /// Metadata requests sent.
    pub metadata_requests: u64,
    /// Connections opened.
    pub connections: u64,
    /// Disconnections (errors, timeouts, broker closes).
    pub disconnections: u64,
}

/// The client.
pub(crate) struct NetworkClient {
    config: NetworkConfig,
    poll: Poll,
    events: Events,
    waker: Arc<Waker>,
    connections: HashMap<i32, Connection>,
    tokens: HashMap<Token, i32>,
    next_token: usize,
    nodes: HashMap<i32, NodeState>,
    correlation_id: i32,
    metadata: Arc<Metadata>,
    metadata_in_flight: Option<(i32, i32)>,
    metadata_attempt_start: Option<Instant>,
    pending: Vec<ClientResponse>,
    stats: NetworkStats,
    jitter: u64,
}

impl NetworkClient {
    /// A client with no connections yet.
    pub(crate) fn new(config: NetworkConfig, metadata: Arc<Metadata>) -> io::Result<Self> {
        let poll = Poll::new()?;
        let waker = Arc::new(Waker::new(poll.registry(), WAKER)?);
        Ok(NetworkClient {
            config,
            poll,
            events: Events::with_capacity(256),
            waker,
            connections: HashMap::new(),
            tokens: HashMap::new(),
            next_token: 0,
            nodes: HashMap::new(),
            correlation_id: 0,
            metadata,
            metadata_in_flight: None,
            metadata_attempt_start: None,
            pending: Vec::new(),
            stats: NetworkStats::default(),
            jitter: std::process::id() as u64,
        })
    }

    /// A handle that wakes `poll` from another thread.
    pub(crate) fn waker(&self) -> Arc<Waker> {
        self.waker.clone()
    }

    /// What the client did so far.
    pub(crate) fn stats(&self) -> NetworkStats {
        self.stats
    }

    /// The next correlation id.
    pub(crate) fn next_correlation_id(&mut self) -> i32 {
        self.correlation_id = self.correlation_id.wrapping_add(1) & i32::MAX;
        self.correlation_id
    }

    fn jittered(&mut self, base: Duration, max: Duration, failures: u32) -> Duration {
        self.jitter = self
            .jitter
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let exp = failures.saturating_sub(1).min(20);
        let raw = base.saturating_mul(1u32 << exp).min(max.max(base));
        let frac = (self.jitter >> 40) as f64 / (1u64 << 24) as f64;
        raw.mul_f64(0.8 + 0.4 * frac)
    }

    /// Whether a request can be sent to `node` now.
    pub(crate) fn is_ready(&self, node: i32) -> bool {
        self.connections.get(&node).is_some_and(|c| {
            c.state == ConnState::Ready && c.can_send_more(self.config.max_in_flight)
        })
    }

    /// Like [`is_ready`](Self::is_ready), and starts connecting when not connected and not in
    /// backoff.
    ///
    /// As Java's `isReady`, a node is not ready for produce data while a metadata update is
    /// due and not yet sent, so that the metadata request gets the next free slot.
    pub(crate) fn ready(&mut self, node: &Node, now: Instant) -> bool {
        if self.is_ready(node.id) {
            let update_due = self.metadata_in_flight.is_none()
                && self.metadata.time_to_next_update(now).is_zero();
            return !update_due;
        }
        if !self.connections.contains_key(&node.id) && self.can_connect(node.id, now) {
            self.initiate_connect(node, now);
        }
        false
    }

    fn can_connect(&self, node: i32, now: Instant) -> bool {
        !self.connections.contains_key(&node)
            && self
                .nodes
                .get(&node)
                .and_then(|s| s.backoff_until)
                .is_none_or(|t| now >= t)
    }

    /// How long the sender may sleep on account of `node` (Java `connectionDelay`): the backoff
    /// left after a failed connection, 0 when a connection can be started now, and
    /// `Duration::MAX` for a connection that exists (connecting, handshaking, or at its in-flight
    /// limit): socket readiness will wake the poll.
    pub(crate) fn connection_delay(&self, node: i32, now: Instant) -> Duration {
        match self.connections.get(&node) {
            Some(_) => Duration::MAX,
            None => self
                .nodes
                .get(&node)
                .and_then(|s| s.backoff_until)
                .map_or(Duration::ZERO, |t| t.saturating_duration_since(now)),
        }
    }

    /// One of the host's addresses: the `index`-th (modulo their number).
    fn resolve(node: &Node, index: usize) -> io::Result<SocketAddr> {
        let addrs: Vec<SocketAddr> = (node.host.as_str(), node.port).to_socket_addrs()?.collect();
        if addrs.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                "no address for host",
            ));
        }
        Ok(addrs[index % addrs.len()])
    }

    fn initiate_connect(&mut self, node: &Node, now: Instant) {
        let state = self.nodes.entry(node.id).or_default();
        let address_index = state.address_index;
        state.last_attempt = Some(now);
        state.node = Some(node.clone());
        let token = Token(self.next_token);
        self.next_token = (self.next_token + 1) % (usize::MAX - 1);
        let result = Self::resolve(node, address_index).and_then(|addr| {
            Connection::connect(
                node.id,
                addr,
                token,
                self.poll.registry(),
                self.config.send_buffer,
                self.config.receive_buffer,
                now,
            )
        });
        match result {
            Ok(conn) => {
                log::debug!("Initiating connection to node {node}");
                self.tokens.insert(token, node.id);
                self.connections.insert(node.id, conn);
                self.stats.connections += 1;
            }
            Err(e) => {
                log::warn!("Connection to node {node} could not be established: {e}");
                self.connection_failure(node.id, now);
                self.metadata.request_update();
            }
        }
    }

    fn connection_failure(&mut self, node: i32, now: Instant) {
        let failures = {
            let s = self.nodes.entry(node).or_default();
            s.failures += 1;
            s.address_index = s.address_index.wrapping_add(1);
            s.failures
        };
        let backoff = self.jittered(
            self.config.reconnect_backoff,
            self.config.reconnect_backoff_max,
            failures,
        );
        self.nodes.entry(node).or_default().backoff_until = Some(now + backoff);
    }

    /// The version of `api` to use with `node` (after its handshake).
    pub(crate) fn api_version(&self, node: i32, api: ApiKey) -> Result<i16, Error> {
        let conn = self
            .connections
            .get(&node)
            .ok_or_else(|| Error::Network(format!("node {node} is not connected")))?;
        let versions = conn
            .api_versions
            .as_ref()
            .ok_or_else(|| Error::Network(format!("node {node} has not finished its handshake")))?;
        Ok(versions.version_for(api)?)
    }

    /// Queues a request on a ready connection.
    pub(crate) fn send(&mut self, node: i32, req: OutboundRequest, now: Instant) {
        if req.api == ApiKey::Produce {
            self.stats.produce_requests += 1;
        }
        match self.connections.get_mut(&node) {
            Some(c) => {
                log::debug!(
                    "Sending {} request with correlation id {} to node {node}",
                    req.api.name(),
                    req.correlation_id
                );
                c.enqueue(req, now);
                self.flush_writes(node, now);
            }
            None => self.pending.push(ClientResponse {
                node,
                api: req.api,
                version: req.version,
                correlation_id: req.correlation_id,
                body: Err(Disconnect::Closed(format!("node {node} is not connected"))),
                latency: Duration::ZERO,
            }),
        }
    }

    fn flush_writes(&mut self, node: i32, now: Instant) {
        let Some(c) = self.connections.get_mut(&node) else {
            return;
        };
        let result = c
            .write(now)
            .and_then(|_| c.update_interest(self.poll.registry()));
        if let Err(e) = result {
            self.disconnect(node, Disconnect::io("write failed", e), now);
        }
    }

    /// Requests in flight on all connections.
    pub(crate) fn in_flight_count(&self) -> usize {
        self.connections.values().map(|c| c.in_flight.len()).sum()
    }

    /// One line per known node and connection, for the producer's state dump: connection
    /// state, requests in flight (and how long the oldest has waited), setup failures and
    /// reconnect backoff.
    pub(crate) fn describe_nodes(&self, now: Instant) -> Vec<String> {
        let mut ids: Vec<i32> = self
            .nodes
            .keys()
            .chain(self.connections.keys())
            .copied()
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids.into_iter()
            .map(|id| {
                let state = self.nodes.get(&id);
                let name = if id < 0 {
                    format!("{id} (bootstrap)")
                } else {
                    id.to_string()
                };
                let mut line = match self.connections.get(&id) {
                    Some(c) => {
                        let oldest = c
                            .in_flight
                            .front()
                            .map(|r| now.saturating_duration_since(r.sent_at).as_millis());
                        format!(
                            "node {name} ({}): {:?}, {} request(s) in flight{}, {} unwritten",
                            c.addr,
                            c.state,
                            c.in_flight.len(),
                            oldest.map_or(String::new(), |ms| format!(" (oldest {ms} ms)")),
                            c.in_flight.iter().filter(|r| !r.written).count()
                        )
                    }
                    None => match state.and_then(|s| s.node.as_ref()) {
                        Some(n) => format!("node {name} ({}:{}): not connected", n.host, n.port),
                        None => format!("node {name}: not connected"),
                    },
                };
                if let Some(s) = state {
                    if s.failures > 0 {
                        line.push_str(&format!(", {} failed attempt(s)", s.failures));
                    }
                    if let Some(t) = s.backoff_until.filter(|t| *t > now) {
                        line.push_str(&format!(", reconnect backoff {} ms", (t - now).as_millis()));
                    }
                }
                if self.metadata_in_flight.is_some_and(|(n, _)| n == id) {
                    line.push_str(", metadata request in flight");
                }
                line
            })
            .collect()
    }

    /// Requests in flight to `node`.
    pub(crate) fn in_flight_count_for(&self, node: i32) -> usize {
        self.connections.get(&node).map_or(0, |c| c.in_flight.len())
    }

    /// The node with the fewest requests in flight that is ready, else connecting, else
    /// connectable (Java `leastLoadedNode`).
    pub(crate) fn least_loaded_node(&mut self, now: Instant) -> Option<Node> {
        let cluster = self.metadata.fetch();
        let mut nodes: Vec<Node> = cluster.nodes().cloned().collect();
        nodes.sort_by_key(|n| n.id);
        if nodes.is_empty() {
            return None;
        }
        self.jitter = self
            .jitter
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1);
        let offset = (self.jitter >> 33) as usize % nodes.len();
        let mut ready: Option<(usize, Node)> = None;
        let mut connecting = None;
        let mut connectable = None;
        for i in 0..nodes.len() {
            let n = &nodes[(offset + i) % nodes.len()];
            let inflight = self.in_flight_count_for(n.id);
            if self.is_ready(n.id) {
                if inflight == 0 {
                    return Some(n.clone());
                }
                if ready.as_ref().is_none_or(|(c, _)| inflight < *c) {
                    ready = Some((inflight, n.clone()));
                }
            } else if self.connections.contains_key(&n.id) {
                connecting.get_or_insert_with(|| n.clone());
            } else if self.can_connect(n.id, now) {
                connectable.get_or_insert_with(|| n.clone());
            }
        }
        ready.map(|(_, n)| n).or(connecting).or(connectable)
    }

    /// Sends a Metadata request when one is due (Java `maybeUpdate`); returns how long until
    /// the next check.
    fn maybe_update_metadata(&mut self, now: Instant) -> Duration {
        let time_to_next = self.metadata.time_to_next_update(now);
        let wait_for_fetch = if self.metadata_in_flight.is_some() {
            self.config.request_timeout
        } else {
            Duration::ZERO
        };
        let timeout = time_to_next.max(wait_for_fetch);
        if !timeout.is_zero() {
            return timeout;
        }
        // An update is due: rebootstrap when it has been due for too long (KIP-1102).
        let due_since = *self.metadata_attempt_start.get_or_insert(now);
        if self.config.rebootstrap
            && !self.metadata.fetch().is_bootstrap()
            && now.saturating_duration_since(due_since) >= self.config.rebootstrap_trigger
        {
            log::info!(
                "No metadata for {} ms (metadata.recovery.rebootstrap.trigger.ms): rebootstrapping",
                self.config.rebootstrap_trigger.as_millis()
            );
            self.metadata.rebootstrap();
            self.metadata_attempt_start = Some(now);
        }
        let node = match self.least_loaded_node(now) {
            Some(n) => n,
            None if self.config.rebootstrap && !self.metadata.fetch().is_bootstrap() => {
                log::info!("No known broker is reachable: rebootstrapping from bootstrap.servers");
                self.metadata.rebootstrap();
                match self.least_loaded_node(now) {
                    Some(n) => n,
                    None => return self.config.reconnect_backoff,
                }
            }
            None => {
                log::debug!("Give up sending metadata request since no node is available");
                return self.config.reconnect_backoff;
            }
        };
        if self.is_ready(node.id) {
            let version = match self.api_version(node.id, ApiKey::Metadata) {
                Ok(v) => v,
                Err(e) => {
                    log::error!("Cannot request metadata from node {node}: {e}");
                    return self.config.reconnect_backoff_max;
                }
            };
            let topics = self.metadata.topics_for_request(now);
            let req = MetadataRequest::for_topics(topics, self.config.allow_auto_create_topics);
            let id = self.next_correlation_id();
            let mut buf = Vec::new();
            encode_request(&mut buf, &req, version, id, Some(&self.config.client_id));
            self.metadata_in_flight = Some((node.id, id));
            self.stats.metadata_requests += 1;
            self.send(
                node.id,
                OutboundRequest {
                    api: ApiKey::Metadata,
                    version,
                    correlation_id: id,
                    expect_response: true,
                    chunks: vec![Chunk::Owned(buf)],
                },
                now,
            );
            return self.config.request_timeout;
        }
        if !self.connections.contains_key(&node.id) && self.can_connect(node.id, now) {
            self.initiate_connect(&node, now);
        }
        self.config.reconnect_backoff
    }

    /// Waits up to `timeout` for I/O, then handles everything that happened. Returns the
    /// completed requests (Metadata and ApiVersions responses are handled here and not
    /// returned).
    pub(crate) fn poll(&mut self, timeout: Duration, now: Instant) -> Vec<ClientResponse> {
        let metadata_timeout = self.maybe_update_metadata(now);
        let mut timeout = timeout
            .min(metadata_timeout)
            .min(self.config.request_timeout);
        if !self.pending.is_empty() {
            timeout = Duration::ZERO;
        }
        // Wake up for the nearest connection-setup deadline too.
        for (node, c) in &self.connections {
            if c.state == ConnState::Connecting {
                let left = (c.connect_started + self.setup_timeout_for(*node))
                    .saturating_duration_since(now);
                timeout = timeout.min(left);
            }
        }
        if let Err(e) = self.poll.poll(&mut self.events, Some(timeout)) {
            if e.kind() != io::ErrorKind::Interrupted {
                log::error!("Poll failed: {e}");
            }
        }
        let now = Instant::now();
        let ready: Vec<(Token, bool, bool, bool)> = self
            .events
            .iter()
            .map(|e| {
                (
                    e.token(),
                    e.is_readable() || e.is_read_closed(),
                    e.is_writable(),
                    e.is_error() || e.is_write_closed(),
                )
            })
            .collect();
        for (token, readable, writable, error) in ready {
            if token == WAKER {
                continue;
            }
            let Some(&node) = self.tokens.get(&token) else {
                continue;
            };
            self.handle_event(node, readable, writable, error, now);
        }
        self.handle_timeouts(now);
        self.handle_written_without_response(now);
        std::mem::take(&mut self.pending)
    }

    fn handle_event(
        &mut self,
        node: i32,
        readable: bool,
        writable: bool,
        error: bool,
        now: Instant,
    ) {
        let Some(conn) = self.connections.get_mut(&node) else {
            return;
        };
        if conn.state == ConnState::Connecting && (writable || readable || error) {
            match conn.finish_connect() {
                Ok(true) => {
                    log::debug!("Connection to node {node} ({}) established", conn.addr);
                    conn.state = ConnState::Handshake;
                    self.send_api_versions(node, now);
                }
                Ok(false) => return,
                Err(e) => {
                    log::warn!(
                        "Connection to node {node} ({}) could not be established: {e}",
                        conn.addr
                    );
                    self.disconnect(node, Disconnect::io("connect failed", e), now);
                    return;
                }
            }
        }
        if readable {
            let Some(conn) = self.connections.get_mut(&node) else {
                return;
            };
            let (frames, result) = conn.read(now);
            for f in frames {
                self.handle_received(node, f, now);
            }
            match result {
                Ok(()) => {}
                Err(e) => {
                    let reason = match e {
                        ReadError::Io(io) if io.kind() == io::ErrorKind::UnexpectedEof => {
                            Disconnect::Closed("connection closed by the broker".to_string())
                        }
                        ReadError::Io(io) => Disconnect::io("read failed", io),
                        other => {
                            log::error!(
                                "Invalid bytes from node {node}: {other}; closing the connection"
                            );
                            Disconnect::Closed(other.to_string())
                        }
                    };
                    self.disconnect(node, reason, now);
                    return;
                }
            }
        }
        if writable
            || self
                .connections
                .get(&node)
                .is_some_and(|c| c.has_pending_writes())
        {
            self.flush_writes(node, now);
        }
    }

    fn send_api_versions(&mut self, node: i32, now: Instant) {
        let Some(conn) = self.connections.get_mut(&node) else {
            return;
        };
        let version = conn.handshake_version;
        self.correlation_id = self.correlation_id.wrapping_add(1) & i32::MAX;
        let id = self.correlation_id;
        let mut buf = Vec::new();
        encode_request(
            &mut buf,
            &ApiVersionsRequest::default(),
            version,
            id,
            Some(&self.config.client_id),
        );
        conn.enqueue(
            OutboundRequest {
                api: ApiKey::ApiVersions,
                version,
                correlation_id: id,
                expect_response: true,
                chunks: vec![Chunk::Owned(buf)],
            },
            now,
        );
        self.flush_writes(node, now);
    }

    fn handle_received(&mut self, node: i32, received: Received, now: Instant) {
        let Received { request, payload } = received;
        let header = decode_response_header(request.api, request.version, &payload);
        let (correlation_id, body_at) = match header {
            Ok((id, r)) => (id, payload.len() - r.remaining()),
            Err(e) => {
                log::error!("Invalid response header from node {node}: {e}");
                let reason = Disconnect::Closed(format!("invalid response: {e}"));
                self.fail_request(node, request, reason.clone(), now);
                self.disconnect(node, reason, now);
                return;
            }
        };
        if correlation_id != request.correlation_id {
            log::error!(
                "Correlation id mismatch from node {node}: expected {}, got {correlation_id}",
                request.correlation_id
            );
            let reason = Disconnect::Closed(format!(
                "correlation id mismatch: expected {}, got {correlation_id}",
                request.correlation_id
            ));
            self.fail_request(node, request, reason.clone(), now);
            self.disconnect(node, reason, now);
            return;
        }
        let body = &payload[body_at..];
        match request.api {
            ApiKey::ApiVersions => self.handle_api_versions(node, request.version, body, now),
            ApiKey::Metadata if self.metadata_in_flight == Some((node, correlation_id)) => {
                self.metadata_in_flight = None;
                let mut r = crate::protocol::Reader::new(body, "MetadataResponse");
                use crate::protocol::messages::Decode;
                match MetadataResponse::decode(request.version, &mut r) {
                    Ok(resp) => {
                        if !resp.error_code.is_ok() {
                            log::warn!(
                                "Metadata response from node {node} has error {}",
                                resp.error_code
                            );
                            self.metadata.failed_update(now);
                        } else if resp.brokers.is_empty() {
                            log::warn!("Ignoring empty metadata response from node {node}");
                            self.metadata.failed_update(now);
                        } else {
                            self.metadata.update(&resp, now);
                            self.metadata_attempt_start = None;
                        }
                    }
                    Err(e) => {
                        log::error!("Invalid metadata response from node {node}: {e}");
                        self.metadata.failed_update(now);
                        self.disconnect(node, Disconnect::Closed(e.to_string()), now);
                    }
                }
            }
            _ => self.pending.push(ClientResponse {
                node,
                api: request.api,
                version: request.version,
                correlation_id,
                body: Ok(Some(body.to_vec())),
                latency: now.saturating_duration_since(request.sent_at),
            }),
        }
    }

    fn handle_api_versions(&mut self, node: i32, version: i16, body: &[u8], now: Instant) {
        match ApiVersionsResponse::decode_with_fallback(version, body) {
            Ok(resp) if resp.error_code == ErrorCode::UNSUPPORTED_VERSION => {
                let broker_max = resp
                    .range_for(ApiKey::ApiVersions)
                    .map_or(0, |r| r.max_version)
                    .min(version - 1)
                    .max(0);
                log::debug!(
                    "Node {node} does not support ApiVersions v{version}; retrying with v{broker_max}"
                );
                if let Some(c) = self.connections.get_mut(&node) {
                    if version == 0 {
                        self.disconnect(
                            node,
                            Disconnect::Closed("ApiVersions v0 unsupported".into()),
                            now,
                        );
                        return;
                    }
                    c.handshake_version = broker_max;
                }
                self.send_api_versions(node, now);
            }
            Ok(resp) if !resp.error_code.is_ok() => {
                log::error!("ApiVersions from node {node} failed: {}", resp.error_code);
                self.disconnect(node, Disconnect::Closed(resp.error_code.to_string()), now);
            }
            Ok(resp) => {
                let versions = ApiVersions::from_response(&resp);
                if let Err(e) = versions.check(&[ApiKey::Metadata, ApiKey::Produce]) {
                    log::error!("Node {node} cannot be used: {e}");
                    self.disconnect(node, Disconnect::Closed(e.to_string()), now);
                    // Do not hammer a broker that will never do.
                    self.nodes.entry(node).or_default().backoff_until =
                        Some(now + self.config.reconnect_backoff_max);
                    return;
                }
                if let Some(c) = self.connections.get_mut(&node) {
                    c.api_versions = Some(versions);
                    c.state = ConnState::Ready;
                    log::debug!("Node {node} is ready (ApiVersions v{version})");
                }
                if let Some(s) = self.nodes.get_mut(&node) {
                    s.failures = 0;
                    s.setup_failures = 0;
                    s.backoff_until = None;
                }
            }
            Err(e) => {
                log::error!("Invalid ApiVersions response from node {node}: {e}");
                self.disconnect(node, Disconnect::Closed(e.to_string()), now);
            }
        }
    }

    /// The connection-setup timeout of `node`: `socket.connection.setup.timeout.ms`, doubled
    /// after each consecutive setup failure, up to `socket.connection.setup.timeout.max.ms`.
    fn setup_timeout_for(&self, node: i32) -> Duration {
        let failures = self.nodes.get(&node).map_or(0, |s| s.setup_failures);
        let base = self.config.connection_setup_timeout;
        base.saturating_mul(1u32 << failures.min(10))
            .min(self.config.connection_setup_timeout_max.max(base))
    }

    fn handle_timeouts(&mut self, now: Instant) {
        let mut timed_out = Vec::new();
        let mut setup_timed_out = Vec::new();
        let mut idle = Vec::new();
        for (node, c) in &self.connections {
            if c.state == ConnState::Connecting {
                let limit = self.setup_timeout_for(*node);
                if now.saturating_duration_since(c.connect_started) >= limit {
                    setup_timed_out.push(*node);
                }
            } else if c
                .in_flight
                .iter()
                .any(|f| now.saturating_duration_since(f.sent_at) >= self.config.request_timeout)
            {
                timed_out.push(*node);
            } else if c.in_flight.is_empty()
                && !c.has_pending_writes()
                && now.saturating_duration_since(c.last_activity)
                    >= self.config.connections_max_idle
            {
                idle.push(*node);
            }
        }
        for node in setup_timed_out {
            log::warn!("Connection setup to node {node} timed out; disconnecting");
            self.nodes.entry(node).or_default().setup_failures += 1;
            self.disconnect(
                node,
                Disconnect::Closed("connection setup timed out".into()),
                now,
            );
        }
        for node in timed_out {
            log::warn!(
                "Disconnecting from node {node} due to request timeout ({} ms)",
                self.config.request_timeout.as_millis()
            );
            self.disconnect(node, Disconnect::RequestTimeout, now);
        }
        for node in idle {
            log::debug!("Closing idle connection to node {node}");
            if let Some(c) = self.connections.remove(&node) {
                self.tokens.remove(&c.token);
                c.close(self.poll.registry());
            }
        }
    }

    fn handle_written_without_response(&mut self, now: Instant) {
        let mut done: Vec<(i32, InFlight)> = Vec::new();
        for (node, c) in self.connections.iter_mut() {
            for f in c.take_written_without_response() {
                done.push((*node, f));
            }
        }
        for (node, f) in done {
            self.pending.push(ClientResponse {
                node,
                api: f.api,
                version: f.version,
                correlation_id: f.correlation_id,
                body: Ok(None),
                latency: now.saturating_duration_since(f.sent_at),
            });
        }
    }

    /// Closes the connection to `node`; its in-flight requests complete with `reason`.
    pub(crate) fn disconnect(&mut self, node: i32, reason: Disconnect, now: Instant) {
        let Some(conn) = self.connections.remove(&node) else {
            return;
        };
        self.stats.disconnections += 1;
        let was_ready = conn.state == ConnState::Ready;
        self.tokens.remove(&conn.token);
        let in_flight = conn.close(self.poll.registry());
        self.connection_failure(node, now);
        if was_ready {
            log::warn!("Node {node} disconnected: {reason:?}");
        }
        // A broker that went away or cannot be reached: its leadership may have moved, or its
        // address changed (Java's `handleServerDisconnect`).
        self.metadata.request_update();
        for f in in_flight {
            self.fail_request(node, f, reason.clone(), now);
        }
        if self.metadata_in_flight.is_some_and(|(n, _)| n == node) {
            self.metadata_in_flight = None;
            self.metadata.failed_update(now);
        }
    }

    /// Completes a request that will get no (valid) response.
    fn fail_request(&mut self, node: i32, f: InFlight, reason: Disconnect, now: Instant) {
        match f.api {
            ApiKey::ApiVersions => {}
            ApiKey::Metadata if self.metadata_in_flight == Some((node, f.correlation_id)) => {
                self.metadata_in_flight = None;
                self.metadata.failed_update(now);
            }
            _ => self.pending.push(ClientResponse {
                node,
                api: f.api,
                version: f.version,
                correlation_id: f.correlation_id,
                body: Err(reason),
                latency: now.saturating_duration_since(f.sent_at),
            }),
        }
    }

    /// Closes every connection; their in-flight requests are returned as disconnected.
    pub(crate) fn close_all(&mut self, now: Instant) -> Vec<ClientResponse> {
        let nodes: Vec<i32> = self.connections.keys().copied().collect();
        for n in nodes {
            self.disconnect(n, Disconnect::Closed("client closed".into()), now);
        }
        std::mem::take(&mut self.pending)
    }

    /// Encodes a request for `node` at its negotiated version.
    pub(crate) fn build_request<R: Request>(
        &mut self,
        node: i32,
        request: &R,
        expect_response: bool,
    ) -> Result<OutboundRequest, Error> {
        let version = self.api_version(node, R::API_KEY)?;
        let id = self.next_correlation_id();
        let mut buf = Vec::new();
        encode_request(&mut buf, request, version, id, Some(&self.config.client_id));
        Ok(OutboundRequest {
            api: R::API_KEY,
            version,
            correlation_id: id,
            expect_response,
            chunks: vec![Chunk::Owned(buf)],
        })
    }

    /// The client id.
    pub(crate) fn client_id(&self) -> &str {
        &self.config.client_id
    }
}
