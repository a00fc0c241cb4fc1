//! The poll loop (Java `NetworkClient.poll`): socket events, request and connection-setup
//! timeouts, requests that expect no response, and closing every connection.

use crate::error::{AuthenticationKind, Error, IoError};
use crate::network::connection::{ConnState, InFlight, ReadError};
use crate::network::transport::tls_error_of;
use crate::network::{ClientResponse, Disconnect};
use mio::Token;
use std::io;
use std::time::{Duration, Instant};

use super::{CLIENT_CLOSED, NetworkClient, WAKER};

impl NetworkClient {
    /// Waits up to `timeout` for I/O, then handles everything that happened. Returns the
    /// completed requests (Metadata and ApiVersions responses are handled here and not
    /// returned).
    pub(crate) fn poll(&mut self, timeout: Duration, now: Instant) -> Vec<ClientResponse> {
        let metadata_timeout = self.maybe_update_metadata(now);
        let reauthentication_timeout = self.maybe_reauthenticate(now);
        let mut timeout = timeout
            .min(metadata_timeout)
            .min(reauthentication_timeout)
            .min(self.config.request_timeout);
        if !self.pending.is_empty() {
            timeout = Duration::ZERO;
        }
        // Wake up for the nearest connection-setup deadline too.
        for (node, c) in &self.connections {
            if c.state.is_setting_up() {
                let left = (c.connect_started + self.setup_timeout_for(*node))
                    .saturating_duration_since(now);
                timeout = timeout.min(left);
            }
        }
        let select_start = Instant::now();
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
        if let Some(m) = &self.sensors {
            let io = now.elapsed() + std::mem::take(&mut self.io_time_outside_poll);
            m.poll(now - select_start, io, now);
        }
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
                    if let Some(m) = &self.sensors {
                        m.connection_created(now);
                    }
                    if conn.is_tls() {
                        conn.state = ConnState::TlsHandshake;
                    } else {
                        conn.state = ConnState::Handshake;
                        self.send_api_versions(node, now);
                    }
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
        let mut readable = readable;
        if self
            .connections
            .get(&node)
            .is_some_and(|c| c.state == ConnState::TlsHandshake)
        {
            if !self.drive_tls_handshake(node, now) {
                return;
            }
            // Records read with the last handshake messages may hold more: read them now,
            // edge-triggered readiness will not tell again.
            readable = true;
        }
        if readable {
            let Some(conn) = self.connections.get_mut(&node) else {
                return;
            };
            let (frames, result) = conn.read(now);
            if let Some(m) = &self.sensors {
                if conn.bytes_read > 0 {
                    m.bytes_received(node, conn.bytes_read, now);
                }
                for f in &frames {
                    m.completed_receive(node, f.payload.len() + 4, now);
                }
            }
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
                        ReadError::Authentication(io) => {
                            let error = self.tls_authentication_error(node, io);
                            self.authentication_failed(node, error, now);
                            return;
                        }
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

    /// Drives the TLS handshake of `node`; true once it is done (the ApiVersions handshake was
    /// sent), false while it runs or when it failed (the connection is then closed: a TLS
    /// error is an authentication failure, a socket error a plain disconnection).
    fn drive_tls_handshake(&mut self, node: i32, now: Instant) -> bool {
        let Some(conn) = self.connections.get_mut(&node) else {
            return false;
        };
        match conn.tls_handshake(now) {
            Ok(true) => {
                log::debug!("TLS handshake with node {node} ({}) done", conn.addr);
                conn.state = ConnState::Handshake;
                self.send_api_versions(node, now);
                true
            }
            Ok(false) => {
                if let Err(e) = conn.update_interest(self.poll.registry()) {
                    self.disconnect(node, Disconnect::io("TLS handshake failed", e), now);
                }
                false
            }
            Err(e) if tls_error_of(&e).is_some() => {
                let error = self.tls_authentication_error(node, e);
                self.authentication_failed(node, error, now);
                false
            }
            Err(e) => {
                log::warn!("TLS handshake with node {node} failed: {e}");
                self.disconnect(node, Disconnect::io("TLS handshake failed", e), now);
                false
            }
        }
    }

    /// The `Error::Authentication` of a TLS failure with `node` (`e` holds the rustls error).
    fn tls_authentication_error(&self, node: i32, e: io::Error) -> Error {
        let message = match tls_error_of(&e) {
            Some(rustls::Error::InvalidCertificate(_)) => {
                format!(
                    "certificate verification failed: {}",
                    tls_error_of(&e).map_or(String::new(), |t| t.to_string())
                )
            }
            Some(rustls::Error::AlertReceived(alert)) => format!(
                "the broker ended the TLS handshake with alert {alert:?} (a client certificate \
                 it requires or rejects, or no common protocol or cipher suite)"
            ),
            Some(other) => other.to_string(),
            None => e.to_string(),
        };
        Error::Authentication {
            kind: AuthenticationKind::Ssl,
            node: self.node_label(node),
            message,
            source: Some(IoError::new(e)),
        }
    }

    fn handle_timeouts(&mut self, now: Instant) {
        let mut timed_out = Vec::new();
        let mut setup_timed_out = Vec::new();
        let mut idle = Vec::new();
        for (node, c) in &self.connections {
            if c.state.is_setting_up() {
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
                self.sasl_sessions.remove(&node);
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

    /// Closes every connection; their in-flight requests are returned as disconnected.
    pub(crate) fn close_all(&mut self, now: Instant) -> Vec<ClientResponse> {
        let nodes: Vec<i32> = self.connections.keys().copied().collect();
        for n in nodes {
            self.disconnect(n, Disconnect::Closed(CLIENT_CLOSED.into()), now);
        }
        std::mem::take(&mut self.pending)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{NetworkClient, NetworkConfig};
    use crate::error::{AuthenticationKind, Error};
    use crate::metadata::{Metadata, MetadataConfig};
    use crate::security::ssl::SslFactory;
    use crate::security::ssl::tests::{server, trusting_ca};
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    fn client(port: u16, setup_timeout: Duration) -> (NetworkClient, Arc<Metadata>) {
        client_with("localhost", port, setup_timeout, &trusting_ca())
    }

    fn client_with(
        host: &str,
        port: u16,
        setup_timeout: Duration,
        ssl: &crate::security::ssl::SslSettings,
    ) -> (NetworkClient, Arc<Metadata>) {
        let metadata = Arc::new(Metadata::new(
            MetadataConfig {
                refresh_backoff: Duration::from_millis(50),
                refresh_backoff_max: Duration::from_millis(500),
                metadata_max_age: Duration::from_secs(300),
                metadata_max_idle: Duration::from_secs(300),
            },
            &[(host.to_string(), port)],
        ));
        let config = NetworkConfig {
            client_id: "tls-test".into(),
            sasl: None,
            max_in_flight: 5,
            request_timeout: Duration::from_secs(30),
            reconnect_backoff: Duration::from_millis(50),
            reconnect_backoff_max: Duration::from_secs(1),
            connection_setup_timeout: setup_timeout,
            connection_setup_timeout_max: setup_timeout * 4,
            connections_max_idle: Duration::from_secs(540),
            send_buffer: -1,
            receive_buffer: -1,
            allow_auto_create_topics: true,
            rebootstrap: false,
            rebootstrap_trigger: Duration::from_secs(300),
            ssl: Some(Arc::new(SslFactory::new(ssl).unwrap())),
            metrics: Some(crate::metrics::Metrics::new(
                crate::metrics::MetricConfig::default(),
                crate::time::system(),
            )),
        };
        (
            NetworkClient::new(config, metadata.clone()).unwrap(),
            metadata,
        )
    }

    #[test]
    fn a_tls_verification_failure_is_a_fatal_authentication_error() {
        let s = server("server2", false);
        let (mut client, metadata) = client(s.addr.port(), Duration::from_secs(10));
        let deadline = Instant::now() + Duration::from_secs(20);
        let error = loop {
            assert!(Instant::now() < deadline, "no authentication failure");
            client.poll(Duration::from_millis(20), Instant::now());
            match metadata.await_update(metadata.version(), Instant::now()) {
                Err(e @ Error::Authentication { .. }) => break e,
                _ => continue,
            }
        };
        let Error::Authentication {
            kind,
            node,
            message,
            source,
        } = &error
        else {
            unreachable!()
        };
        assert_eq!(*kind, AuthenticationKind::Ssl);
        assert!(
            node.starts_with(&format!("localhost:{}", s.addr.port())),
            "{node}"
        );
        assert!(node.contains("(id: "), "{node}");
        assert!(
            message.contains("certificate verification failed"),
            "{message}"
        );
        assert!(message.contains("UnknownIssuer"), "{message}");
        assert!(source.is_some());
        // The connection is gone and the reconnect backoff applies.
        assert!(client.connections.is_empty());
        let state = client.nodes.values().next().unwrap();
        assert!(state.failures >= 1 && state.backoff_until.is_some());
        assert!(state.authentication_failure_logged);
        // Java's SelectorMetrics: a connection created, failed authentication, closed.
        let metrics = client.config.metrics.as_ref().unwrap().metrics();
        let value = |n: &str| {
            let key = crate::metrics::MetricName::new(
                n,
                "producer-metrics",
                "",
                [("client-id", "tls-test")],
            );
            metrics[&key].metric_value()
        };
        assert_eq!(value("connection-creation-total"), 1.0);
        assert_eq!(value("failed-authentication-total"), 1.0);
        assert_eq!(value("successful-authentication-total"), 0.0);
        assert_eq!(value("connection-close-total"), 1.0);
        assert_eq!(value("connection-count"), 0.0);
        let _ = s.thread.join();
    }

    #[test]
    fn the_connection_setup_timeout_covers_the_tls_handshake() {
        // A TCP server that never answers the ClientHello.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let keep = std::thread::spawn(move || {
            let (s, _) = listener.accept().unwrap();
            std::thread::sleep(Duration::from_secs(2));
            drop(s);
        });
        let (mut client, _metadata) = client(port, Duration::from_millis(200));
        let start = Instant::now();
        let mut saw_handshake = false;
        while start.elapsed() < Duration::from_secs(5) {
            client.poll(Duration::from_millis(20), Instant::now());
            if client
                .connections
                .values()
                .any(|c| c.state == crate::network::connection::ConnState::TlsHandshake)
            {
                saw_handshake = true;
            }
            if client.nodes.values().any(|s| s.setup_failures > 0) {
                break;
            }
        }
        assert!(saw_handshake);
        assert!(
            client.nodes.values().any(|s| s.setup_failures > 0),
            "the TLS handshake did not time out"
        );
        assert!(start.elapsed() < Duration::from_secs(2));
        keep.join().unwrap();
    }

    /// Against the shared secure broker of `scripts/kafka.sh start --security` (`/tmp/ksec`):
    /// the TLS handshake, ApiVersions and a Metadata exchange on its SSL and MTLS listeners
    /// with the client property files it writes, and the failures its bad setups must give.
    /// `cargo test --lib real_broker_tls -- --ignored --nocapture`.
    #[test]
    #[ignore = "needs the secure broker in /tmp/ksec"]
    fn real_broker_tls() {
        use crate::config::Password;
        use crate::security::ssl::SslSettings;
        let dir = "/tmp/ksec/security/clients";
        let cases = [
            ("ssl", None),
            ("ssl-p12", None),
            ("mtls", None),
            ("mtls-p12", None),
            ("mtls-pbes2", None),
            ("ssl-unknown-ca", Some("UnknownIssuer")),
            ("badhost", Some("not valid for name")),
            ("mtls-no-cert", Some("alert")),
        ];
        for (name, expected_failure) in cases {
            let text = std::fs::read_to_string(format!("{dir}/{name}.properties")).unwrap();
            let mut s = SslSettings::default();
            let mut bootstrap = String::new();
            for line in text.lines().filter(|l| !l.starts_with('#')) {
                let Some((k, v)) = line.split_once('=') else {
                    continue;
                };
                let v = v.trim().to_string();
                match k.trim() {
                    "bootstrap.servers" => bootstrap = v,
                    "ssl.truststore.type" => s.truststore_type = v,
                    "ssl.truststore.location" => s.truststore_location = Some(v),
                    "ssl.truststore.password" => s.truststore_password = Some(Password::new(v)),
                    "ssl.keystore.type" => s.keystore_type = v,
                    "ssl.keystore.location" => s.keystore_location = Some(v),
                    "ssl.keystore.password" => s.keystore_password = Some(Password::new(v)),
                    "ssl.key.password" => s.key_password = Some(Password::new(v)),
                    _ => {}
                }
            }
            let (host, port) = bootstrap.rsplit_once(':').unwrap();
            let (mut client, metadata) =
                client_with(host, port.parse().unwrap(), Duration::from_secs(10), &s);
            let deadline = Instant::now() + Duration::from_secs(20);
            let outcome = loop {
                assert!(Instant::now() < deadline, "{name}: no outcome");
                client.poll(Duration::from_millis(20), Instant::now());
                if metadata.version() > 0 {
                    break Ok(metadata.fetch().nodes().count());
                }
                if let Err(e @ Error::Authentication { .. }) =
                    metadata.await_update(metadata.version(), Instant::now())
                {
                    break Err(e);
                }
            };
            println!("{name}: {outcome:?}");
            match (expected_failure, outcome) {
                (None, Ok(n)) => assert!(n > 0),
                (Some(what), Err(e)) => assert!(e.to_string().contains(what), "{name}: {e}"),
                (_, other) => panic!("{name}: {other:?}"),
            }
        }
    }
}
