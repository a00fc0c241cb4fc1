//! The metadata refresh cycle (Java `NetworkClient.DefaultMetadataUpdater`): the least loaded
//! node and when to send it a Metadata request.

use crate::cluster::Node;
use crate::network::{Chunk, OutboundRequest};
use crate::protocol::messages::MetadataRequest;
use crate::protocol::{ApiKey, encode_request};
use std::time::{Duration, Instant};

use super::NetworkClient;

impl NetworkClient {
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
    pub(super) fn maybe_update_metadata(&mut self, now: Instant) -> Duration {
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
}
