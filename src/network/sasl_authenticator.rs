//! The SASL exchange of one connection, sans-IO (Java `SaslClientAuthenticator`): after the
//! ApiVersions handshake, a SaslHandshake names the mechanism, then SaslAuthenticate requests
//! carry the mechanism's messages until it is complete. The same exchange runs again to
//! re-authenticate before the session the broker granted expires (KIP-368).
//!
//! The authenticator only turns responses into the next request; the network client writes
//! them and routes their responses back ([`SaslClientAuthenticator::on_response`]).

use crate::error::{AuthenticationKind, Error};
use crate::protocol::messages::{
    Decode, SaslAuthenticateRequest, SaslAuthenticateResponse, SaslHandshakeRequest,
    SaslHandshakeResponse,
};
use crate::protocol::versions::ApiVersions;
use crate::protocol::{ApiKey, ErrorCode, Reader, Request, encode_request};
use crate::security::sasl::SaslClient;
use std::time::Duration;

/// Where the exchange is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Not started.
    New,
    /// The SaslHandshake is in flight.
    Handshake,
    /// A SaslAuthenticate is in flight.
    Authenticate,
    /// Authenticated.
    Complete,
    /// Failed (the connection is closed).
    Failed,
}

/// What to do after a response.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum SaslStep {
    /// Send this request (framed, header included) and route its response back.
    Send(SaslRequest),
    /// Authenticated; the broker grants a session of this length (KIP-368), if it limits it.
    Complete {
        /// `session_lifetime_ms` of the last SaslAuthenticate response, when positive.
        session_lifetime: Option<Duration>,
    },
}

/// A request of the exchange, ready to be written. `Debug` shows its length, not its bytes
/// (they carry the credentials).
#[derive(PartialEq, Eq)]
pub(crate) struct SaslRequest {
    /// SaslHandshake or SaslAuthenticate.
    pub api: ApiKey,
    /// The version it was encoded at.
    pub version: i16,
    /// Its correlation id.
    pub correlation_id: i32,
    /// The framed request.
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for SaslRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SaslRequest")
            .field("api", &self.api)
            .field("version", &self.version)
            .field("correlation_id", &self.correlation_id)
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

/// The SASL exchange of one connection (one authentication or re-authentication).
pub(crate) struct SaslClientAuthenticator {
    client: Box<dyn SaslClient>,
    client_id: String,
    state: State,
    handshake_version: i16,
    authenticate_version: i16,
}

impl std::fmt::Debug for SaslClientAuthenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SaslClientAuthenticator")
            .field("mechanism", &self.client.mechanism_name())
            .field("state", &self.state)
            .finish()
    }
}

impl SaslClientAuthenticator {
    /// An exchange for `client`'s mechanism with a broker that offers `versions`. Fails when the
    /// broker has no SaslHandshake v1+ or no SaslAuthenticate (brokers before Kafka 1.0).
    pub(crate) fn new(
        client: Box<dyn SaslClient>,
        versions: &ApiVersions,
        client_id: &str,
    ) -> Result<Self, Error> {
        let handshake_version = versions.version_for(ApiKey::SaslHandshake)?;
        let authenticate_version = versions.version_for(ApiKey::SaslAuthenticate)?;
        if handshake_version < 1 {
            return Err(Error::Authentication {
                kind: AuthenticationKind::Sasl,
                node: String::new(),
                message: "the broker only offers SaslHandshake v0 (Kafka before 1.0), without \
                          SaslAuthenticate framing; it is not supported"
                    .to_string(),
                source: None,
            });
        }
        Ok(SaslClientAuthenticator {
            client,
            client_id: client_id.to_string(),
            state: State::New,
            handshake_version,
            authenticate_version,
        })
    }

    /// The mechanism's name.
    pub(crate) fn mechanism(&self) -> &'static str {
        self.client.mechanism_name()
    }

    /// Whether the exchange completed.
    #[cfg(test)]
    pub(crate) fn is_complete(&self) -> bool {
        self.state == State::Complete
    }

    /// The first request: the SaslHandshake naming the mechanism.
    pub(crate) fn start(&mut self, correlation_id: i32) -> SaslRequest {
        debug_assert_eq!(self.state, State::New);
        self.state = State::Handshake;
        let request = SaslHandshakeRequest {
            mechanism: self.client.mechanism_name().to_string(),
        };
        self.request(&request, self.handshake_version, correlation_id)
    }

    /// Handles the response body (after the response header) of the request in flight, and
    /// says what comes next. An error fails the authentication: the connection must be closed.
    pub(crate) fn on_response(
        &mut self,
        api: ApiKey,
        version: i16,
        body: &[u8],
        next_correlation_id: i32,
    ) -> Result<SaslStep, Error> {
        let result = self.step(api, version, body, next_correlation_id);
        if result.is_err() {
            self.state = State::Failed;
        }
        result
    }

    fn step(
        &mut self,
        api: ApiKey,
        version: i16,
        body: &[u8],
        next_correlation_id: i32,
    ) -> Result<SaslStep, Error> {
        match (self.state, api) {
            (State::Handshake, ApiKey::SaslHandshake) => {
                let resp = SaslHandshakeResponse::decode(
                    version,
                    &mut Reader::new(body, "SaslHandshake"),
                )?;
                if resp.error_code == ErrorCode::UNSUPPORTED_SASL_MECHANISM {
                    return Err(Error::authentication(
                        AuthenticationKind::UnsupportedSaslMechanism,
                        format!(
                            "the broker does not enable SASL mechanism {}; it enables: {}",
                            self.client.mechanism_name(),
                            if resp.mechanisms.is_empty() {
                                "(none)".to_string()
                            } else {
                                resp.mechanisms.join(", ")
                            }
                        ),
                    ));
                }
                if !resp.error_code.is_ok() {
                    return Err(Error::authentication(
                        AuthenticationKind::Sasl,
                        format!("SaslHandshake failed: {}", resp.error_code),
                    ));
                }
                let first = self.client.initial_response()?;
                self.state = State::Authenticate;
                Ok(SaslStep::Send(
                    self.authenticate(first, next_correlation_id),
                ))
            }
            (State::Authenticate, ApiKey::SaslAuthenticate) => {
                let resp = SaslAuthenticateResponse::decode(
                    version,
                    &mut Reader::new(body, "SaslAuthenticate"),
                )?;
                if !resp.error_code.is_ok() {
                    let mut detail = resp
                        .error_message
                        .filter(|m| !m.is_empty())
                        .unwrap_or_else(|| resp.error_code.to_string());
                    if let Some(server) = self.client.server_error() {
                        detail = format!("{detail} ({server})");
                    }
                    return Err(Error::authentication(
                        AuthenticationKind::Sasl,
                        format!(
                            "the broker rejected {} authentication: {detail}",
                            self.client.mechanism_name()
                        ),
                    ));
                }
                match self.client.evaluate_challenge(&resp.auth_bytes)? {
                    Some(next) => Ok(SaslStep::Send(self.authenticate(next, next_correlation_id))),
                    None => {
                        self.state = State::Complete;
                        let lifetime = u64::try_from(resp.session_lifetime_ms)
                            .ok()
                            .filter(|&ms| ms > 0)
                            .map(Duration::from_millis);
                        Ok(SaslStep::Complete {
                            session_lifetime: lifetime,
                        })
                    }
                }
            }
            (state, api) => Err(Error::authentication(
                AuthenticationKind::Sasl,
                format!("unexpected {} response in SASL state {state:?}", api.name()),
            )),
        }
    }

    fn authenticate(&self, auth_bytes: Vec<u8>, correlation_id: i32) -> SaslRequest {
        let request = SaslAuthenticateRequest { auth_bytes };
        self.request(&request, self.authenticate_version, correlation_id)
    }

    fn request<R: Request>(&self, request: &R, version: i16, correlation_id: i32) -> SaslRequest {
        let mut bytes = Vec::new();
        encode_request(
            &mut bytes,
            request,
            version,
            correlation_id,
            Some(&self.client_id),
        );
        SaslRequest {
            api: R::API_KEY,
            version,
            correlation_id,
            bytes,
        }
    }
}

/// When to re-authenticate a session of `lifetime` that started at `start`: at a random point
/// between 85 % and 95 % of it, as Java's `SaslClientAuthenticator` (so that the clients of a
/// broker do not all re-authenticate at once). `random` is in `0.0..1.0`.
pub(crate) fn reauthentication_delay(lifetime: Duration, random: f64) -> Duration {
    lifetime.mul_f64(0.85 + 0.10 * random.clamp(0.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::frame::SIZE_PREFIX;
    use crate::protocol::header::OwnedRequestHeader;
    use crate::protocol::messages::Encode;
    use crate::protocol::messages::api_versions::ApiVersionsResponse;

    /// A scripted mechanism: an initial response, then one answer per challenge.
    struct Scripted {
        initial: Vec<u8>,
        answers: Vec<Option<Vec<u8>>>,
        seen: std::sync::Arc<parking_lot::Mutex<Vec<Vec<u8>>>>,
    }

    impl SaslClient for Scripted {
        fn mechanism_name(&self) -> &'static str {
            "SCRAM-SHA-256"
        }
        fn initial_response(&mut self) -> Result<Vec<u8>, Error> {
            Ok(self.initial.clone())
        }
        fn evaluate_challenge(&mut self, challenge: &[u8]) -> Result<Option<Vec<u8>>, Error> {
            self.seen.lock().push(challenge.to_vec());
            if challenge == b"bad proof" {
                return Err(Error::sasl("server signature"));
            }
            Ok(self.answers.remove(0))
        }
    }

    fn versions() -> ApiVersions {
        let mut resp = ApiVersionsResponse::default();
        for (api, max) in [(ApiKey::SaslHandshake, 1), (ApiKey::SaslAuthenticate, 2)] {
            resp.api_keys
                .push(crate::protocol::messages::api_versions::ApiVersionRange {
                    api_key: api as i16,
                    min_version: 0,
                    max_version: max,
                });
        }
        ApiVersions::from_response(&resp)
    }

    fn authenticator(answers: Vec<Option<Vec<u8>>>) -> SaslClientAuthenticator {
        let client = Scripted {
            initial: b"client-first".to_vec(),
            answers,
            seen: Default::default(),
        };
        SaslClientAuthenticator::new(Box::new(client), &versions(), "c").unwrap()
    }

    fn body<T: Encode>(t: &T, version: i16) -> Vec<u8> {
        let mut b = Vec::new();
        t.encode(version, &mut b);
        b
    }

    fn auth_bytes_of(req: &SaslRequest) -> Vec<u8> {
        // The request is framed: size, header (api, version, correlation id, client id,
        // tagged fields at v2), then the body; decode the body with the oracle-free decoder.
        let payload = &req.bytes[SIZE_PREFIX..];
        let mut r = Reader::new(payload, "test");
        let header =
            OwnedRequestHeader::decode(&mut r, req.api.request_header_flexible(req.version))
                .unwrap();
        assert_eq!(header.correlation_id, req.correlation_id);
        let body = SaslAuthenticateRequest::decode(req.version, &mut r).unwrap();
        body.auth_bytes
    }

    #[test]
    fn handshake_then_authenticate_until_the_mechanism_is_complete() {
        let mut a = authenticator(vec![Some(b"client-final".to_vec()), None]);
        let first = a.start(1);
        assert_eq!(
            (first.api, first.version, first.correlation_id),
            (ApiKey::SaslHandshake, 1, 1)
        );
        let hs = SaslHandshakeResponse {
            error_code: ErrorCode::NONE,
            mechanisms: vec!["SCRAM-SHA-256".into()],
        };
        let SaslStep::Send(auth) = a
            .on_response(ApiKey::SaslHandshake, 1, &body(&hs, 1), 2)
            .unwrap()
        else {
            panic!("expected a SaslAuthenticate")
        };
        assert_eq!(
            (auth.api, auth.version, auth.correlation_id),
            (ApiKey::SaslAuthenticate, 2, 2)
        );
        assert_eq!(auth_bytes_of(&auth), b"client-first");
        // Debug shows the length, never the mechanism's bytes (credentials).
        assert!(!format!("{auth:?}").contains("99, 108, 105"), "{auth:?}");
        let server_first = SaslAuthenticateResponse {
            error_code: ErrorCode::NONE,
            error_message: None,
            auth_bytes: b"server-first".to_vec(),
            session_lifetime_ms: 0,
        };
        let SaslStep::Send(fin) = a
            .on_response(ApiKey::SaslAuthenticate, 2, &body(&server_first, 2), 3)
            .unwrap()
        else {
            panic!("expected the client-final message")
        };
        assert_eq!(auth_bytes_of(&fin), b"client-final");
        let server_final = SaslAuthenticateResponse {
            auth_bytes: b"server-final".to_vec(),
            session_lifetime_ms: 10_000,
            ..server_first
        };
        assert_eq!(
            a.on_response(ApiKey::SaslAuthenticate, 2, &body(&server_final, 2), 4)
                .unwrap(),
            SaslStep::Complete {
                session_lifetime: Some(Duration::from_secs(10))
            }
        );
        assert!(a.is_complete());
    }

    #[test]
    fn an_unsupported_mechanism_lists_the_ones_the_broker_enables() {
        let mut a = authenticator(vec![]);
        a.start(1);
        let hs = SaslHandshakeResponse {
            error_code: ErrorCode::UNSUPPORTED_SASL_MECHANISM,
            mechanisms: vec!["PLAIN".into(), "SCRAM-SHA-512".into()],
        };
        let e = a
            .on_response(ApiKey::SaslHandshake, 1, &body(&hs, 1), 2)
            .unwrap_err();
        let Error::Authentication { kind, message, .. } = &e else {
            panic!("{e:?}")
        };
        assert_eq!(*kind, AuthenticationKind::UnsupportedSaslMechanism);
        assert!(message.contains("SCRAM-SHA-256"), "{message}");
        assert!(message.contains("PLAIN, SCRAM-SHA-512"), "{message}");
        assert!(!e.is_retriable());
    }

    #[test]
    fn a_rejection_carries_the_brokers_message_and_a_bad_proof_fails() {
        let mut a = authenticator(vec![]);
        a.start(1);
        let hs = SaslHandshakeResponse {
            error_code: ErrorCode::NONE,
            mechanisms: vec![],
        };
        a.on_response(ApiKey::SaslHandshake, 1, &body(&hs, 1), 2)
            .unwrap();
        let rejected = SaslAuthenticateResponse {
            error_code: ErrorCode::SASL_AUTHENTICATION_FAILED,
            error_message: Some("Authentication failed: Invalid username or password".into()),
            auth_bytes: vec![],
            session_lifetime_ms: 0,
        };
        let e = a
            .on_response(ApiKey::SaslAuthenticate, 1, &body(&rejected, 1), 3)
            .unwrap_err();
        assert!(
            e.to_string().contains("Invalid username or password"),
            "{e}"
        );

        let mut a = authenticator(vec![]);
        a.start(1);
        a.on_response(ApiKey::SaslHandshake, 1, &body(&hs, 1), 2)
            .unwrap();
        let bad = SaslAuthenticateResponse {
            error_code: ErrorCode::NONE,
            error_message: None,
            auth_bytes: b"bad proof".to_vec(),
            session_lifetime_ms: 0,
        };
        let e = a
            .on_response(ApiKey::SaslAuthenticate, 2, &body(&bad, 2), 3)
            .unwrap_err();
        assert!(e.to_string().contains("server signature"), "{e}");
    }

    #[test]
    fn garbage_and_out_of_order_responses_are_errors_not_panics() {
        let mut a = authenticator(vec![]);
        a.start(1);
        assert!(
            a.on_response(ApiKey::SaslAuthenticate, 2, &[0, 0], 2)
                .is_err()
        );
        let mut a = authenticator(vec![]);
        a.start(1);
        for garbage in [&[][..], &[0xff; 3], &[0, 0, 0xff, 0xff, 0xff, 0xff]] {
            let _ = a.on_response(ApiKey::SaslHandshake, 1, garbage, 2);
        }
    }

    #[test]
    fn reauthentication_happens_between_85_and_95_percent_of_the_session() {
        let l = Duration::from_secs(10);
        assert_eq!(reauthentication_delay(l, 0.0), Duration::from_millis(8500));
        assert_eq!(reauthentication_delay(l, 1.0), Duration::from_millis(9500));
        assert_eq!(reauthentication_delay(l, 7.0), Duration::from_millis(9500));
    }

    #[test]
    fn old_brokers_without_sasl_authenticate_are_refused() {
        let client = Scripted {
            initial: vec![],
            answers: vec![],
            seen: Default::default(),
        };
        let e = SaslClientAuthenticator::new(
            Box::new(client),
            &ApiVersions::from_response(&ApiVersionsResponse::default()),
            "c",
        )
        .unwrap_err();
        assert!(e.to_string().contains("Sasl"), "{e}");
    }
}
