//! The only place that touches sockets: non-blocking broker connections on a `mio::Poll`
//! (Java's `NetworkClient` + `Selector`).
//!
//! - [`connection`]: one broker connection: connect, ApiVersions handshake, framed reads,
//!   vectored writes, in-flight requests.
//! - [`transport`]: the bytes of a connection, plaintext or TLS (Java `TransportLayer`).
//! - [`client`]: [`NetworkClient`](client::NetworkClient): connections by node id with
//!   reconnect backoff, request and connection-setup timeouts, the least-loaded node, and the
//!   metadata refresh (`maybe_update`).
//! - [`dns`]: `bootstrap.servers` resolved by `client.dns.lookup`, once, when the producer is
//!   created.

pub(crate) mod client;
pub(crate) mod connection;
pub(crate) mod dns;
pub(crate) mod kafka_client;
#[cfg(test)]
pub(crate) mod mock_client;
pub(crate) mod sasl_authenticator;
pub(crate) mod selector_metrics;
pub(crate) mod transport;

use crate::protocol::ApiKey;
use std::sync::Arc;
use std::time::Duration;

/// A piece of an outgoing request. Record batches are `Shared`: the bytes the accumulator wrote
/// are sent as they are, never copied into the request. `Debug` prints lengths only: a request
/// may carry credentials (SaslAuthenticate) or records.
#[derive(Clone)]
pub(crate) enum Chunk {
    /// Bytes owned by the request (header and framing).
    Owned(Vec<u8>),
    /// Bytes shared with a `ProducerBatch` (its RecordBatch).
    Shared(Arc<Vec<u8>>),
}

impl std::fmt::Debug for Chunk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Chunk::Owned(v) => write!(f, "Owned({} bytes)", v.len()),
            Chunk::Shared(v) => write!(f, "Shared({} bytes)", v.len()),
        }
    }
}

impl Chunk {
    /// The bytes.
    pub(crate) fn as_slice(&self) -> &[u8] {
        match self {
            Chunk::Owned(v) => v,
            Chunk::Shared(v) => v,
        }
    }
}

/// A request ready to be written: already framed and encoded at `version`.
#[derive(Debug)]
pub(crate) struct OutboundRequest {
    /// The API.
    pub api: ApiKey,
    /// The version it was encoded at.
    pub version: i16,
    /// The correlation id in its header.
    pub correlation_id: i32,
    /// Whether the broker answers (false for Produce with acks=0).
    pub expect_response: bool,
    /// The bytes, in order.
    pub chunks: Vec<Chunk>,
}

/// Why a request got no response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Disconnect {
    /// The request timed out (`request.timeout.ms`); the connection was closed.
    RequestTimeout,
    /// The connection failed or was closed; the text says why.
    Closed(String),
    /// A socket operation failed with this I/O error (connect, write, read).
    Io {
        /// What failed.
        context: String,
        /// The error.
        error: crate::error::IoError,
    },
    /// Authentication failed (TLS handshake, or SASL): an `Error::Authentication`. Not
    /// retriable; the client also makes it the metadata's fatal error.
    Authentication(crate::error::Error),
}

impl Disconnect {
    /// A disconnection by an I/O error.
    pub(crate) fn io(context: &str, error: std::io::Error) -> Self {
        Disconnect::Io {
            context: context.to_string(),
            error: crate::error::IoError::new(error),
        }
    }
}

/// The outcome of one request.
#[derive(Debug)]
pub(crate) struct ClientResponse {
    /// The node the request went to.
    pub node: i32,
    /// The API.
    pub api: ApiKey,
    /// The version it was sent at.
    pub version: i16,
    /// Its correlation id.
    pub correlation_id: i32,
    /// The response body (after the response header), `Ok(None)` for requests without a
    /// response (acks=0) once fully written, or why none came.
    pub body: Result<Option<Vec<u8>>, Disconnect>,
    /// Time from send to completion (kept for the request-latency metrics, which are not
    /// implemented yet).
    #[allow(dead_code)]
    pub latency: Duration,
}
