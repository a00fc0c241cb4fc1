//! Connections by node: readiness, connecting with reconnect backoff and connection-setup
//! timeouts, and disconnecting (Java `NetworkClient.ready`, `initiateConnect`, `disconnect`, with
//! `ClusterConnectionStates`).

use crate::cluster::Node;
use crate::error::Error;
use crate::network::Disconnect;
use crate::network::connection::{ConnState, Connection};
use mio::Token;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::time::{Duration, Instant};

use super::{CLIENT_CLOSED, NetworkClient};

impl NetworkClient {
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
        }) && (self.sasl_sessions.is_empty() || !self.reauthentication_due(node, Instant::now()))
    }

    /// Whether `node`'s connection is up but cannot take another request until a network event:
    /// its `max.in.flight.requests.per.connection` requests are out (a response frees a slot)
    /// or a write is pending (the socket's writability continues it).
    pub(crate) fn is_send_blocked(&self, node: i32) -> bool {
        self.connections.get(&node).is_some_and(|c| {
            c.state == ConnState::Ready && !c.can_send_more(self.config.max_in_flight)
        })
    }

    /// Like [`is_ready`](Self::is_ready), and starts connecting when not connected and not in
    /// backoff.
    ///
    /// As Java's `isReady`, a node is not ready for produce data while a metadata update is
    /// due and not yet sent, so that the metadata request gets the next free slot.
    pub(crate) fn ready(&mut self, node: &Node, now: Instant) -> bool {
        if self.is_throttled(node.id, now) {
            return false;
        }
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

    pub(super) fn can_connect(&self, node: i32, now: Instant) -> bool {
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
        if let Some(t) = self.throttle_until(node, now) {
            return t.saturating_duration_since(now);
        }
        match self.connections.get(&node) {
            Some(_) => Duration::MAX,
            None => self
                .nodes
                .get(&node)
                .and_then(|s| s.backoff_until)
                .map_or(Duration::ZERO, |t| t.saturating_duration_since(now)),
        }
    }

    /// Whether `node` has no connection and its reconnect backoff runs: the last attempt
    /// failed or the connection broke (Java `connectionFailed`).
    pub(crate) fn connection_failed(&self, node: i32, now: Instant) -> bool {
        !self.connections.contains_key(&node)
            && self
                .nodes
                .get(&node)
                .and_then(|s| s.backoff_until)
                .is_some_and(|t| t > now)
    }

    /// A response from `node` said the client is throttled for `throttle` (a quota, KIP-219):
    /// no request goes to it until then (Java `NetworkClient.maybeThrottle`).
    pub(crate) fn throttle(&mut self, node: i32, throttle: Duration, now: Instant) {
        if throttle.is_zero() {
            return;
        }
        log::debug!(
            "Node {node} throttles this client for {} ms (quota)",
            throttle.as_millis()
        );
        let until = now + throttle;
        let s = self.nodes.entry(node).or_default();
        if s.throttle_until.is_none_or(|t| t < until) {
            s.throttle_until = Some(until);
        }
    }

    fn throttle_until(&self, node: i32, now: Instant) -> Option<Instant> {
        self.nodes
            .get(&node)
            .and_then(|s| s.throttle_until)
            .filter(|t| *t > now)
    }

    fn is_throttled(&self, node: i32, now: Instant) -> bool {
        self.throttle_until(node, now).is_some()
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

    pub(super) fn initiate_connect(&mut self, node: &Node, now: Instant) {
        let state = self.nodes.entry(node.id).or_default();
        let address_index = state.address_index;
        state.last_attempt = Some(now);
        state.node = Some(node.clone());
        let token = Token(self.next_token);
        self.next_token = (self.next_token + 1) % (usize::MAX - 1);
        let tls = match &self.config.ssl {
            None => Ok(None),
            Some(factory) => factory
                .client_connection(&node.host)
                .map(Some)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string())),
        };
        let result = tls.and_then(|tls| {
            let addr = Self::resolve(node, address_index)?;
            Connection::connect(
                node.id,
                addr,
                token,
                self.poll.registry(),
                self.config.send_buffer,
                self.config.receive_buffer,
                tls,
                now,
            )
        });
        match result {
            Ok(conn) => {
                log::debug!("Initiating connection to node {node}");
                self.tokens.insert(token, node.id);
                self.connections.insert(node.id, conn);
                self.stats.connections += 1;
                if let Some(m) = &mut self.sensors {
                    m.maybe_register_connection_metrics(node.id);
                    m.set_connection_count(self.connections.len());
                }
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

    /// The connection-setup timeout of `node`: `socket.connection.setup.timeout.ms`, doubled
    /// after each consecutive setup failure, up to `socket.connection.setup.timeout.max.ms`.
    pub(super) fn setup_timeout_for(&self, node: i32) -> Duration {
        let failures = self.nodes.get(&node).map_or(0, |s| s.setup_failures);
        let base = self.config.connection_setup_timeout;
        base.saturating_mul(1u32 << failures.min(10))
            .min(self.config.connection_setup_timeout_max.max(base))
    }

    /// `node` (its host, port and id) for messages: `host:port (id: n)`.
    pub(super) fn node_label(&self, node: i32) -> String {
        match (
            self.nodes.get(&node).and_then(|s| s.node.as_ref()),
            self.connections.get(&node),
        ) {
            (Some(n), _) => n.to_string(),
            (None, Some(c)) => format!("{} (id: {node})", c.addr),
            (None, None) => format!("id {node}"),
        }
    }

    /// Authentication with `node` failed (`error` is an `Error::Authentication`: the TLS
    /// handshake here, the SASL exchange for its engineer): logged at error level once per
    /// broker (not at every reconnect), the connection closed with
    /// [`Disconnect::Authentication`] (the reconnect backoff grows as for any failure), and the
    /// error made the metadata's fatal error, so that sends waiting for metadata fail with it
    /// at once (Java `DefaultMetadataUpdater.handleServerDisconnect` with an
    /// `AuthenticationException`). A later successful handshake clears it.
    pub(crate) fn authentication_failed(&mut self, node: i32, error: Error, now: Instant) {
        let error = self.with_node(node, error);
        let state = self.nodes.entry(node).or_default();
        state.authentication_error = Some(error.clone());
        if !state.authentication_failure_logged {
            state.authentication_failure_logged = true;
            log::error!("{error}");
        } else {
            log::debug!("{error}");
        }
        if let Some(m) = &self.sensors {
            m.failed_authentication(now);
        }
        self.disconnect(node, Disconnect::Authentication(error.clone()), now);
        self.metadata.set_fatal_error(error);
    }

    /// Authentication with `node` succeeded: its next failure is logged at error level again.
    pub(crate) fn authentication_succeeded(&mut self, node: i32) {
        if let Some(s) = self.nodes.get_mut(&node) {
            s.authentication_failure_logged = false;
            s.authentication_error = None;
        }
    }

    /// `node`'s authentication failure, until a connection to it is ready again.
    pub(crate) fn authentication_error(&self, node: i32) -> Option<Error> {
        self.nodes
            .get(&node)
            .and_then(|s| s.authentication_error.clone())
    }

    /// Closes the connection to `node`; its in-flight requests complete with `reason`.
    pub(crate) fn disconnect(&mut self, node: i32, reason: Disconnect, now: Instant) {
        let Some(conn) = self.connections.remove(&node) else {
            return;
        };
        self.stats.disconnections += 1;
        if let Some(m) = &self.sensors {
            m.connection_closed(now);
            m.set_connection_count(self.connections.len());
        }
        self.sasl_sessions.remove(&node);
        let was_ready = conn.state == ConnState::Ready;
        self.tokens.remove(&conn.token);
        let in_flight = conn.close(self.poll.registry());
        self.connection_failure(node, now);
        match &reason {
            // The producer's own close: nothing went wrong.
            Disconnect::Closed(why) if why == CLIENT_CLOSED => {
                log::debug!("Node {node} disconnected: the client is closing")
            }
            _ if was_ready => log::warn!("Node {node} disconnected: {reason:?}"),
            _ => {}
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
}
