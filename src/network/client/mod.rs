//! `NetworkClient`: broker connections by node id on one `mio::Poll`, with the ApiVersions
//! handshake, reconnect backoff, request and connection-setup timeouts, and the metadata
//! refresh cycle (Java's `NetworkClient` with its `DefaultMetadataUpdater`).

use super::ClientResponse;
use super::connection::Connection;
use crate::cluster::Node;
use crate::error::Error;
use crate::metadata::Metadata;
use crate::protocol::ApiKey;
use mio::{Events, Poll, Token, Waker};
use rustc_hash::FxHashMap as HashMap;
use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

mod authentication;
mod connections;
mod describe;
mod metadata_updater;
mod poll;
mod requests;

const WAKER: Token = Token(usize::MAX);
/// The reason of the disconnections done by [`NetworkClient::close_all`] (the producer closing).
const CLIENT_CLOSED: &str = "client closed";

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
    /// TLS (`security.protocol=SSL` / `SASL_SSL`): the factory of the connections' TLS
    /// sessions; `None` for plaintext.
    pub ssl: Option<Arc<crate::security::ssl::SslFactory>>,
    /// SASL credentials, with `security.protocol` SASL_PLAINTEXT or SASL_SSL.
    pub sasl: Option<Arc<crate::security::sasl::SaslLogin>>,
    /// The producer's metrics registry (the selector's metrics); `None` records nothing.
    pub metrics: Option<crate::metrics::Metrics>,
}

#[derive(Debug, Default, Clone)]
struct NodeState {
    failures: u32,
    last_attempt: Option<Instant>,
    backoff_until: Option<Instant>,
    /// Whether the broker's unsupported versions were logged (once, not per reconnect).
    unsupported_logged: bool,
    /// Whether the last handshake found the broker unusable (no common version).
    unsupported: bool,
    /// Whether an authentication failure of this broker was logged (at error level once, not
    /// at every reconnect; reset when an authentication succeeds).
    authentication_failure_logged: bool,
    /// The last connection's authentication failure, until a connection is ready again.
    authentication_error: Option<Error>,
    /// A broker's quota throttle (KIP-219): no request to it before this instant.
    throttle_until: Option<Instant>,
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
    /// SASL authentications completed, re-authentications (KIP-368) included.
    pub authentications: u64,
}

/// The client.
pub(crate) struct NetworkClient {
    config: NetworkConfig,
    poll: Poll,
    events: Events,
    waker: Arc<Waker>,
    connections: HashMap<i32, Connection>,
    sasl_sessions: HashMap<i32, authentication::SaslSession>,
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
    /// The ApiVersions answer with the highest finalized-features epoch seen on any connection
    /// (Java `ApiVersions.maxFinalizedFeaturesEpoch` / `finalizedFeatures`).
    finalized_features: Option<crate::protocol::versions::ApiVersions>,
    /// Java's `Selector.SelectorMetrics`.
    sensors: Option<crate::network::selector_metrics::SelectorMetrics>,
    /// Time spent writing requests in `send` since the last poll (Java writes in `poll`):
    /// counted in the next poll's `io-time`.
    io_time_outside_poll: Duration,
}

impl NetworkClient {
    /// A client with no connections yet.
    pub(crate) fn new(config: NetworkConfig, metadata: Arc<Metadata>) -> io::Result<Self> {
        let poll = Poll::new()?;
        let waker = Arc::new(Waker::new(poll.registry(), WAKER)?);
        let sensors = config
            .metrics
            .clone()
            .map(|m| crate::network::selector_metrics::SelectorMetrics::new(m, &config.client_id));
        Ok(NetworkClient {
            sensors,
            io_time_outside_poll: Duration::ZERO,
            config,
            poll,
            events: Events::with_capacity(256),
            waker,
            connections: HashMap::default(),
            sasl_sessions: HashMap::default(),
            tokens: HashMap::default(),
            next_token: 0,
            nodes: HashMap::default(),
            correlation_id: 0,
            metadata,
            metadata_in_flight: None,
            metadata_attempt_start: None,
            pending: Vec::new(),
            stats: NetworkStats::default(),
            jitter: std::process::id() as u64,
            finalized_features: None,
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

    /// The finalized max level of feature `name` from the ApiVersions answer with the highest
    /// finalized-features epoch seen so far on any connection.
    pub(crate) fn finalized_feature(&self, name: &str) -> Option<i16> {
        self.finalized_features
            .as_ref()
            .and_then(|v| v.finalized_feature(name))
    }

    /// Keeps `versions` when its finalized features are newer than any seen before.
    fn update_finalized_features(&mut self, versions: &crate::protocol::versions::ApiVersions) {
        let best = self
            .finalized_features
            .as_ref()
            .map_or(-1, |v| v.finalized_features_epoch());
        if versions.finalized_features_epoch() > best {
            self.finalized_features = Some(versions.clone());
        }
    }

    /// Requests in flight on all connections.
    pub(crate) fn in_flight_count(&self) -> usize {
        self.connections.values().map(|c| c.in_flight.len()).sum()
    }

    /// Requests in flight to `node`.
    pub(crate) fn in_flight_count_for(&self, node: i32) -> usize {
        self.connections.get(&node).map_or(0, |c| c.in_flight.len())
    }

    /// The client id.
    pub(crate) fn client_id(&self) -> &str {
        &self.config.client_id
    }
}

#[cfg(test)]
mod tests {
    use super::{NetworkClient, NetworkConfig};
    use crate::metadata::{Metadata, MetadataConfig};
    use crate::protocol::messages::ApiVersionsResponse;
    use crate::protocol::messages::api_versions::FeatureRange;
    use crate::protocol::versions::ApiVersions;
    use std::sync::Arc;
    use std::time::Duration;

    fn client() -> NetworkClient {
        let metadata = Arc::new(Metadata::new(
            MetadataConfig {
                refresh_backoff: Duration::from_millis(50),
                refresh_backoff_max: Duration::from_millis(500),
                metadata_max_age: Duration::from_secs(300),
                metadata_max_idle: Duration::from_secs(300),
            },
            &[("localhost".to_string(), 9092)],
        ));
        let config = NetworkConfig {
            client_id: "features-test".into(),
            sasl: None,
            max_in_flight: 5,
            request_timeout: Duration::from_secs(30),
            reconnect_backoff: Duration::from_millis(50),
            reconnect_backoff_max: Duration::from_secs(1),
            connection_setup_timeout: Duration::from_secs(10),
            connection_setup_timeout_max: Duration::from_secs(30),
            connections_max_idle: Duration::from_secs(540),
            send_buffer: -1,
            receive_buffer: -1,
            allow_auto_create_topics: true,
            rebootstrap: false,
            rebootstrap_trigger: Duration::from_secs(300),
            ssl: None,
            metrics: None,
        };
        NetworkClient::new(config, metadata).unwrap()
    }

    fn versions(epoch: i64, tv: Option<i16>) -> ApiVersions {
        ApiVersions::from_response(&ApiVersionsResponse {
            finalized_features_epoch: epoch,
            finalized_features: tv
                .map(|level| FeatureRange {
                    name: "transaction.version".into(),
                    min_version: level,
                    max_version: level,
                })
                .into_iter()
                .collect(),
            ..Default::default()
        })
    }

    /// As Java's `ApiVersions.update`: the answer with the highest finalized-features epoch on
    /// any connection wins, whatever the order the connections answered in.
    #[test]
    fn finalized_features_follow_the_highest_epoch() {
        let mut c = client();
        assert_eq!(c.finalized_feature("transaction.version"), None);
        // No epoch (an old broker): nothing learned.
        c.update_finalized_features(&versions(-1, Some(1)));
        assert_eq!(c.finalized_feature("transaction.version"), None);
        c.update_finalized_features(&versions(5, Some(2)));
        assert_eq!(c.finalized_feature("transaction.version"), Some(2));
        // An older view from another broker does not win.
        c.update_finalized_features(&versions(3, Some(0)));
        assert_eq!(c.finalized_feature("transaction.version"), Some(2));
        // Nor does the same epoch.
        c.update_finalized_features(&versions(5, None));
        assert_eq!(c.finalized_feature("transaction.version"), Some(2));
        // A newer one does, even when the feature was downgraded away.
        c.update_finalized_features(&versions(6, None));
        assert_eq!(c.finalized_feature("transaction.version"), None);
        c.update_finalized_features(&versions(7, Some(1)));
        assert_eq!(c.finalized_feature("transaction.version"), Some(1));
    }
}
