//! SASL on a connection (Java's `KafkaChannel` with its `SaslClientAuthenticator`): after the
//! ApiVersions handshake a connection of a SASL listener authenticates before it is ready, and
//! re-authenticates before the session the broker granted runs out (KIP-368,
//! `connections.max.reauth.ms` on the broker). An authentication failure is not retriable: the
//! metadata gets it as its fatal error, so sends fail with it at once (Java's
//! `DefaultMetadataUpdater.handleServerDisconnect` with an `AuthenticationException`).

use crate::error::Error;
use crate::network::connection::ConnState;
use crate::network::sasl_authenticator::{
    SaslClientAuthenticator, SaslStep, reauthentication_delay,
};
use crate::network::{Chunk, OutboundRequest};
use crate::protocol::ApiKey;
use std::time::{Duration, Instant};

use super::NetworkClient;

/// The SASL state of one connection.
#[derive(Debug, Default)]
pub(super) struct SaslSession {
    /// The exchange in progress, if any.
    authenticator: Option<SaslClientAuthenticator>,
    /// When to re-authenticate (the broker limits the session).
    reauthenticate_at: Option<Instant>,
    /// How many times this connection authenticated (1 + re-authentications).
    pub(super) authentications: u32,
}

impl NetworkClient {
    /// Whether connections must authenticate with SASL.
    pub(super) fn uses_sasl(&self) -> bool {
        self.config.sasl.is_some()
    }

    /// Starts the SASL exchange on `node` (its ApiVersions handshake done): the connection
    /// becomes ready when it completes.
    pub(super) fn begin_authentication(&mut self, node: i32, now: Instant) {
        let Some(login) = self.config.sasl.clone() else {
            return;
        };
        let Some(conn) = self.connections.get_mut(&node) else {
            return;
        };
        let Some(versions) = conn.api_versions.as_ref() else {
            return;
        };
        conn.state = ConnState::Authenticating;
        let authenticator = login.new_client().and_then(|client| {
            SaslClientAuthenticator::new(client, versions, &self.config.client_id)
        });
        let mut authenticator = match authenticator {
            Ok(a) => a,
            Err(e) => {
                self.authentication_failed(node, e, now);
                return;
            }
        };
        log::debug!(
            "Authenticating to node {node} with SASL mechanism {}",
            authenticator.mechanism()
        );
        let id = self.next_correlation_id();
        let request = authenticator.start(id);
        self.sasl_sessions.entry(node).or_default().authenticator = Some(authenticator);
        self.send_sasl(node, request, now);
    }

    fn send_sasl(
        &mut self,
        node: i32,
        request: crate::network::sasl_authenticator::SaslRequest,
        now: Instant,
    ) {
        let Some(conn) = self.connections.get_mut(&node) else {
            return;
        };
        conn.enqueue(
            OutboundRequest {
                api: request.api,
                version: request.version,
                correlation_id: request.correlation_id,
                expect_response: true,
                chunks: vec![Chunk::Owned(request.bytes)],
            },
            now,
        );
        self.flush_writes(node, now);
    }

    /// A SaslHandshake or SaslAuthenticate response from `node`.
    pub(super) fn handle_sasl_response(
        &mut self,
        node: i32,
        api: ApiKey,
        version: i16,
        body: &[u8],
        now: Instant,
    ) {
        let next_id = self.next_correlation_id();
        let random = self.random_fraction();
        let Some(session) = self.sasl_sessions.get_mut(&node) else {
            return;
        };
        let Some(authenticator) = session.authenticator.as_mut() else {
            let e = Error::sasl(format!("unexpected {} response", api.name()));
            self.authentication_failed(node, e, now);
            return;
        };
        match authenticator.on_response(api, version, body, next_id) {
            Ok(SaslStep::Send(request)) => self.send_sasl(node, request, now),
            Ok(SaslStep::Complete { session_lifetime }) => {
                let mechanism = authenticator.mechanism();
                session.authenticator = None;
                session.authentications += 1;
                self.stats.authentications += 1;
                let first = session.authentications == 1;
                if let (false, Some(m)) = (first, &self.sensors) {
                    m.successful_reauthentication(now);
                }
                session.reauthenticate_at =
                    session_lifetime.map(|lifetime| now + reauthentication_delay(lifetime, random));
                if first {
                    log::debug!(
                        "Authenticated to node {node} with {mechanism}{}",
                        lifetime_text(session_lifetime)
                    );
                } else {
                    log::debug!(
                        "Re-authenticated to node {node} with {mechanism}{}",
                        lifetime_text(session_lifetime)
                    );
                }
                self.connection_ready(node, !first);
            }
            Err(e) => self.authentication_failed(node, e, now),
        }
    }

    /// `error` with the broker's description filled in.
    pub(super) fn with_node(&self, node: i32, error: Error) -> Error {
        match error {
            Error::Authentication {
                kind,
                node: n,
                message,
                source,
            } if n.is_empty() => Error::Authentication {
                kind,
                node: self.node_label(node),
                message,
                source,
            },
            other => other,
        }
    }

    /// Whether `node`'s session must be renewed before more requests go out.
    pub(super) fn reauthentication_due(&self, node: i32, now: Instant) -> bool {
        self.sasl_sessions
            .get(&node)
            .and_then(|s| s.reauthenticate_at)
            .is_some_and(|t| now >= t)
    }

    /// Starts the re-authentications that are due on idle connections (KIP-368). A connection
    /// whose session is due takes no new requests (see `is_ready`); once its requests in
    /// flight are answered it re-authenticates, then is ready again. Returns how long until the
    /// next one is due.
    pub(super) fn maybe_reauthenticate(&mut self, now: Instant) -> Duration {
        let mut next = Duration::MAX;
        let mut due = Vec::new();
        for (&node, session) in &self.sasl_sessions {
            let Some(at) = session.reauthenticate_at else {
                continue;
            };
            if now < at {
                next = next.min(at - now);
                continue;
            }
            if let Some(c) = self.connections.get(&node) {
                if c.state == ConnState::Ready && c.in_flight.is_empty() && !c.has_pending_writes()
                {
                    due.push(node);
                }
            }
        }
        for node in due {
            if let Some(s) = self.sasl_sessions.get_mut(&node) {
                s.reauthenticate_at = None;
            }
            log::debug!("Re-authenticating to node {node} (its SASL session is about to expire)");
            self.begin_authentication(node, now);
        }
        next
    }

    /// A number in `0.0..1.0` from the client's jitter generator.
    fn random_fraction(&mut self) -> f64 {
        self.jitter = self
            .jitter
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.jitter >> 40) as f64 / (1u64 << 24) as f64
    }
}

fn lifetime_text(lifetime: Option<Duration>) -> String {
    match lifetime {
        Some(l) => format!(" (session lifetime {} ms)", l.as_millis()),
        None => String::new(),
    }
}
