//! `KafkaClient`: what the sender needs of the network (Java's `KafkaClient` interface), so that
//! the sender runs on the mio [`NetworkClient`](super::client::NetworkClient) in production and
//! on a scripted [`MockClient`](super::mock_client::MockClient) in deterministic tests.

use super::client::{NetworkClient, NetworkStats};
use super::{Chunk, ClientResponse, Disconnect, OutboundRequest};
use crate::cluster::Node;
use crate::error::Error;
use crate::protocol::{ApiKey, Request, encode_request};
use std::time::{Duration, Instant};

/// The network as the sender sees it. Every method takes the caller's `now`.
pub(crate) trait KafkaClient {
    /// Whether a request can be sent to `node` now; starts connecting when not connected and
    /// not in backoff (Java `ready`).
    fn ready(&mut self, node: &Node, now: Instant) -> bool;

    /// Whether `node` is connected but can take no request before a network event wakes the
    /// poll (a response, or the socket turning writable): its in-flight requests are at the
    /// limit or a write is pending. (Beyond Java: the sender then needs no wake-up for new
    /// batches of the partitions `node` leads.)
    fn send_blocked(&self, node: i32) -> bool;

    /// How long the sender may sleep on account of `node` (Java `connectionDelay`).
    fn connection_delay(&self, node: i32, now: Instant) -> Duration;

    /// The node with the fewest requests in flight (Java `leastLoadedNode`).
    fn least_loaded_node(&mut self, now: Instant) -> Option<Node>;

    /// The version of `api` negotiated with `node`.
    fn api_version(&self, node: i32, api: ApiKey) -> Result<i16, Error>;

    /// A fresh correlation id.
    fn next_correlation_id(&mut self) -> i32;

    /// The client id sent in request headers.
    fn client_id(&self) -> &str;

    /// Encodes a request for `node` at its negotiated version, with a fresh correlation id.
    fn build_request<R: Request>(
        &mut self,
        node: i32,
        request: &R,
        expect_response: bool,
    ) -> Result<OutboundRequest, Error> {
        let version = self.api_version(node, R::API_KEY)?;
        let id = self.next_correlation_id();
        let mut buf = Vec::new();
        encode_request(&mut buf, request, version, id, Some(self.client_id()));
        Ok(OutboundRequest {
            api: R::API_KEY,
            version,
            correlation_id: id,
            expect_response,
            chunks: vec![Chunk::Owned(buf)],
        })
    }

    /// Queues a request to `node` (which must be [`ready`](Self::ready)).
    fn send(&mut self, node: i32, request: OutboundRequest, now: Instant);

    /// Does I/O for at most `timeout` and returns the completed requests.
    fn poll(&mut self, timeout: Duration, now: Instant) -> Vec<ClientResponse>;

    /// A response from `node` asked the client to hold off for `throttle` (a broker quota,
    /// KIP-219): `node` is not ready until then.
    fn throttle(&mut self, node: i32, throttle: Duration, now: Instant);

    /// Closes the connection to `node`; its requests complete as disconnected at the next poll.
    fn disconnect(&mut self, node: i32, reason: Disconnect, now: Instant);

    /// Closes every connection and returns their in-flight requests as disconnected.
    fn close_all(&mut self, now: Instant) -> Vec<ClientResponse>;

    /// Requests in flight on all connections.
    fn in_flight_count(&self) -> usize;

    /// What the client did so far.
    fn stats(&self) -> NetworkStats;

    /// One line per node for the state dump.
    fn describe_nodes(&self, now: Instant) -> Vec<String>;

    /// The authentication error of `node`'s last connection attempt (TLS or SASL), until a
    /// connection to it becomes ready: its batches cannot be sent by retrying.
    fn authentication_error(&self, node: i32) -> Option<Error>;

    /// The finalized max level of feature `name` (e.g. `transaction.version`), from the
    /// ApiVersions answer with the highest finalized-features epoch seen on any connection so
    /// far (Java `ApiVersions.getMaxFinalizedFeaturesEpoch` / `getFinalizedFeaturesInfo`).
    fn finalized_feature(&self, name: &str) -> Option<i16>;

    /// Whether the last connection attempt to `node` failed and its reconnect backoff runs
    /// (Java `connectionFailed`): a coordinator there may have moved.
    fn connection_failed(&self, node: i32, now: Instant) -> bool;
}

impl KafkaClient for NetworkClient {
    fn ready(&mut self, node: &Node, now: Instant) -> bool {
        NetworkClient::ready(self, node, now)
    }
    fn send_blocked(&self, node: i32) -> bool {
        NetworkClient::is_send_blocked(self, node)
    }
    fn connection_delay(&self, node: i32, now: Instant) -> Duration {
        NetworkClient::connection_delay(self, node, now)
    }
    fn least_loaded_node(&mut self, now: Instant) -> Option<Node> {
        NetworkClient::least_loaded_node(self, now)
    }
    fn api_version(&self, node: i32, api: ApiKey) -> Result<i16, Error> {
        NetworkClient::api_version(self, node, api)
    }
    fn next_correlation_id(&mut self) -> i32 {
        NetworkClient::next_correlation_id(self)
    }
    fn client_id(&self) -> &str {
        NetworkClient::client_id(self)
    }
    fn send(&mut self, node: i32, request: OutboundRequest, now: Instant) {
        NetworkClient::send(self, node, request, now)
    }
    fn poll(&mut self, timeout: Duration, now: Instant) -> Vec<ClientResponse> {
        NetworkClient::poll(self, timeout, now)
    }
    fn throttle(&mut self, node: i32, throttle: Duration, now: Instant) {
        NetworkClient::throttle(self, node, throttle, now)
    }
    fn disconnect(&mut self, node: i32, reason: Disconnect, now: Instant) {
        NetworkClient::disconnect(self, node, reason, now)
    }
    fn close_all(&mut self, now: Instant) -> Vec<ClientResponse> {
        NetworkClient::close_all(self, now)
    }
    fn in_flight_count(&self) -> usize {
        NetworkClient::in_flight_count(self)
    }
    fn stats(&self) -> NetworkStats {
        NetworkClient::stats(self)
    }
    fn describe_nodes(&self, now: Instant) -> Vec<String> {
        NetworkClient::describe_nodes(self, now)
    }
    fn authentication_error(&self, node: i32) -> Option<Error> {
        NetworkClient::authentication_error(self, node)
    }
    fn finalized_feature(&self, name: &str) -> Option<i16> {
        NetworkClient::finalized_feature(self, name)
    }
    fn connection_failed(&self, node: i32, now: Instant) -> bool {
        NetworkClient::connection_failed(self, node, now)
    }
}
