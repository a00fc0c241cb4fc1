//! Requests and responses: sending (Java `NetworkClient.send`), the ApiVersions handshake,
//! handling what was received, and failing the requests of a lost connection.

use crate::network::connection::{ConnState, InFlight, Received};
use crate::network::{Chunk, ClientResponse, Disconnect, OutboundRequest};
use crate::protocol::messages::{ApiVersionsRequest, ApiVersionsResponse, MetadataResponse};
use crate::protocol::versions::ApiVersions;
use crate::protocol::{ApiKey, ErrorCode, decode_response_header, encode_request};
use std::time::{Duration, Instant};

use super::NetworkClient;

impl NetworkClient {
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
                // Written at once, outside `poll`: the I/O time joins the next poll's.
                let start = self.sensors.is_some().then(Instant::now);
                self.flush_writes(node, now);
                if let Some(start) = start {
                    self.io_time_outside_poll += start.elapsed();
                }
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

    pub(super) fn flush_writes(&mut self, node: i32, now: Instant) {
        let Some(c) = self.connections.get_mut(&node) else {
            return;
        };
        let result = c.write(now).and_then(|(done, bytes)| {
            if let Some(m) = &self.sensors {
                if bytes > 0 {
                    m.bytes_sent(node, bytes, now);
                }
                for (_, size) in done {
                    m.completed_send(node, size, now);
                }
            }
            c.update_interest(self.poll.registry())
        });
        if let Err(e) = result {
            self.disconnect(node, Disconnect::io("write failed", e), now);
        }
    }

    pub(super) fn send_api_versions(&mut self, node: i32, now: Instant) {
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

    pub(super) fn handle_received(&mut self, node: i32, received: Received, now: Instant) {
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
            ApiKey::SaslHandshake | ApiKey::SaslAuthenticate => {
                self.handle_sasl_response(node, request.api, request.version, body, now)
            }
            ApiKey::Metadata if self.metadata_in_flight == Some((node, correlation_id)) => {
                self.metadata_in_flight = None;
                let mut r = crate::protocol::Reader::new(body, "MetadataResponse");
                use crate::protocol::messages::Decode;
                match MetadataResponse::decode(request.version, &mut r) {
                    Ok(resp) => {
                        self.throttle(
                            node,
                            Duration::from_millis(resp.throttle_time_ms.max(0) as u64),
                            now,
                        );
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
                self.update_finalized_features(&versions);
                if let Err(mut e) = versions.check(&[ApiKey::Metadata, ApiKey::Produce]) {
                    e.node = Some(self.node_label(node));
                    // Logged once per broker, not at every reconnect.
                    let state = self.nodes.entry(node).or_default();
                    state.unsupported = true;
                    if !state.unsupported_logged {
                        state.unsupported_logged = true;
                        log::error!("Node {node} cannot be used: {e}");
                    } else {
                        log::debug!("Node {node} cannot be used: {e}");
                    }
                    self.disconnect(node, Disconnect::Closed(e.to_string()), now);
                    // Do not hammer a broker that will never do.
                    self.nodes.entry(node).or_default().backoff_until =
                        Some(now + self.config.reconnect_backoff_max);
                    // Not retriable once no known broker is usable: sends waiting for metadata
                    // fail with it at once (Java's metadata fatal error for an
                    // UnsupportedVersionException). One old broker among usable ones (a rolling
                    // upgrade) only keeps the client away from it.
                    let cluster = self.metadata.fetch();
                    let all_unusable = cluster
                        .nodes()
                        .all(|n| self.nodes.get(&n.id).is_some_and(|s| s.unsupported));
                    if all_unusable {
                        self.metadata
                            .set_fatal_error(crate::error::Error::UnsupportedVersion(e));
                    }
                    return;
                }
                if let Some(c) = self.connections.get_mut(&node) {
                    c.api_versions = Some(versions);
                }
                if self.uses_sasl() {
                    self.begin_authentication(node, now);
                } else {
                    self.connection_ready(node, false);
                }
            }
            Err(e) => {
                log::error!("Invalid ApiVersions response from node {node}: {e}");
                self.disconnect(node, Disconnect::Closed(e.to_string()), now);
            }
        }
    }

    /// `node`'s connection is ready for requests (handshake and authentication done): its
    /// failure counters reset, and a fatal error of an earlier failure is cleared. A
    /// re-authentication (KIP-368) is not a new successful authentication (Java's Selector
    /// records it as `successful-reauthentication` only).
    pub(super) fn connection_ready(&mut self, node: i32, reauthentication: bool) {
        if let Some(c) = self.connections.get_mut(&node) {
            c.state = ConnState::Ready;
            log::debug!("Node {node} is ready");
            if let (false, Some(m)) = (reauthentication, &self.sensors) {
                m.successful_authentication(Instant::now());
            }
        }
        if let Some(s) = self.nodes.get_mut(&node) {
            s.failures = 0;
            s.setup_failures = 0;
            s.backoff_until = None;
            s.unsupported = false;
        }
        self.authentication_succeeded(node);
        self.metadata.clear_fatal_error();
    }

    /// Completes a request that will get no (valid) response.
    pub(super) fn fail_request(
        &mut self,
        node: i32,
        f: InFlight,
        reason: Disconnect,
        now: Instant,
    ) {
        match f.api {
            // The connection's own handshake: nobody else waits for it.
            ApiKey::ApiVersions | ApiKey::SaslHandshake | ApiKey::SaslAuthenticate => {}
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
}
