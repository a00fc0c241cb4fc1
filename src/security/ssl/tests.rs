//! TLS tests: [`SslFactory`] settings and errors, and connections through `Connection` to an
//! in-process rustls server on loopback (certificates from [`test_certs`]).

use super::test_certs::{path, read};
use super::{SslFactory, SslSettings};
use crate::config::Password;
use crate::error::{AuthenticationKind, Error};
use crate::network::connection::{ConnState, Connection, ReadError};
use crate::network::transport::tls_error_of;
use crate::network::{Chunk, OutboundRequest};
use crate::protocol::ApiKey;
use mio::{Events, Interest, Poll, Token};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Settings trusting the test CA (PEM file).
pub(crate) fn trusting_ca() -> SslSettings {
    SslSettings {
        truststore_type: "PEM".into(),
        truststore_location: Some(path("ca.pem")),
        ..SslSettings::default()
    }
}

fn config_key(r: Result<SslFactory, Error>) -> (String, String) {
    match r {
        Err(Error::Config { key, message }) => (key, message),
        other => panic!("expected a config error, got {other:?}"),
    }
}

/// Server certificate and key of `name` (`server` or `server2`).
fn server_identity(name: &str) -> (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>) {
    let certs = CertificateDer::pem_file_iter(path(&format!("{name}.pem")))
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_file(path(&format!("{name}.key"))).unwrap();
    (certs, key)
}

/// A rustls echo server: one connection, its bytes sent back until it closes.
pub(crate) struct Server {
    /// Where it listens.
    pub(crate) addr: SocketAddr,
    /// Its thread: how the connection ended.
    pub(crate) thread: JoinHandle<Result<(), String>>,
}

/// A server with the certificate `name` (`server`: CA `ca`, `server2`: CA `ca2`), requiring a
/// client certificate from `ca` when `require_client_cert`.
pub(crate) fn server(name: &str, require_client_cert: bool) -> Server {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap();
    let builder = if require_client_cert {
        let mut roots = rustls::RootCertStore::empty();
        for c in CertificateDer::pem_file_iter(path("ca.pem")).unwrap() {
            roots.add(c.unwrap()).unwrap();
        }
        let verifier =
            rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .unwrap();
        builder.with_client_cert_verifier(verifier)
    } else {
        builder.with_no_client_auth()
    };
    let (certs, key) = server_identity(name);
    let config = Arc::new(builder.with_single_cert(certs, key).unwrap());
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let thread = std::thread::spawn(move || {
        let (sock, _) = listener.accept().map_err(|e| e.to_string())?;
        sock.set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        let conn = rustls::ServerConnection::new(config).map_err(|e| e.to_string())?;
        let mut tls = rustls::StreamOwned::new(conn, sock);
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            match tls.read(&mut buf) {
                Ok(0) => return Ok(()),
                Ok(n) => tls.write_all(&buf[..n]).map_err(|e| e.to_string())?,
                Err(e) => return Err(e.to_string()),
            }
        }
    });
    Server { addr, thread }
}

/// Why a client run failed.
#[derive(Debug)]
enum Failure {
    /// A TLS error (handshake, or an alert before the first response).
    Tls(io::Error),
    /// Anything else.
    Other(String),
}

impl Failure {
    fn tls_message(&self) -> String {
        match self {
            Failure::Tls(e) => tls_error_of(e).map(|t| t.to_string()).unwrap(),
            Failure::Other(m) => panic!("expected a TLS failure, got {m}"),
        }
    }
}

/// Connects through `Connection` with a TLS session for `host`, sends one frame made of
/// `chunks` (size prefix included) and returns the payload echoed back.
fn echo(
    factory: &SslFactory,
    host: &str,
    addr: SocketAddr,
    chunks: Vec<Chunk>,
) -> Result<Vec<u8>, Failure> {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let now = Instant::now();
    let tls = factory
        .client_connection(host)
        .map_err(|e| Failure::Other(e.to_string()))?;
    let mut conn = Connection::connect(1, addr, Token(1), poll.registry(), -1, -1, Some(tls), now)
        .map_err(|e| Failure::Other(e.to_string()))?;
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut sent = false;
    while Instant::now() < deadline {
        poll.poll(&mut events, Some(Duration::from_millis(50)))
            .unwrap();
        let now = Instant::now();
        if conn.state == ConnState::Connecting {
            match conn.finish_connect() {
                Ok(true) => conn.state = ConnState::TlsHandshake,
                Ok(false) => continue,
                Err(e) => return Err(Failure::Other(e.to_string())),
            }
        }
        if conn.state == ConnState::TlsHandshake {
            match conn.tls_handshake(now) {
                Ok(true) => conn.state = ConnState::Ready,
                Ok(false) => {
                    conn.update_interest(poll.registry()).unwrap();
                    continue;
                }
                Err(e) if tls_error_of(&e).is_some() => return Err(Failure::Tls(e)),
                Err(e) => return Err(Failure::Other(e.to_string())),
            }
        }
        if !sent {
            conn.enqueue(
                OutboundRequest {
                    api: ApiKey::Produce,
                    version: 0,
                    correlation_id: 1,
                    expect_response: true,
                    chunks: chunks.clone(),
                },
                now,
            );
            sent = true;
        }
        conn.write(now).map_err(|e| Failure::Other(e.to_string()))?;
        conn.update_interest(poll.registry()).unwrap();
        let (mut frames, result) = conn.read(now);
        if let Some(f) = frames.pop() {
            conn.close(poll.registry());
            return Ok(f.payload);
        }
        match result {
            Ok(()) => {}
            Err(ReadError::Authentication(e)) => return Err(Failure::Tls(e)),
            Err(e) => return Err(Failure::Other(e.to_string())),
        }
    }
    Err(Failure::Other("timed out".into()))
}

/// A frame: size prefix and `payload`.
fn frame(payload: &[u8]) -> Vec<Chunk> {
    vec![
        Chunk::Owned((payload.len() as i32).to_be_bytes().to_vec()),
        Chunk::Shared(Arc::new(payload.to_vec())),
    ]
}

fn assert_echo(settings: &SslSettings, require_client_cert: bool) {
    let factory = SslFactory::new(settings).unwrap();
    let s = server("server", require_client_cert);
    let got = echo(&factory, "localhost", s.addr, frame(b"hello over TLS")).unwrap();
    assert_eq!(got, b"hello over TLS");
    s.thread.join().unwrap().unwrap();
}

#[test]
fn echo_through_connection_over_tls() {
    assert_echo(&trusting_ca(), false);
}

#[test]
fn inline_pem_truststore() {
    let settings = SslSettings {
        truststore_type: "PEM".into(),
        truststore_certificates: Some(Password::new(read("ca.pem"))),
        ..SslSettings::default()
    };
    assert_echo(&settings, false);
}

#[test]
fn pkcs12_truststore() {
    let settings = SslSettings {
        truststore_type: "PKCS12".into(),
        truststore_location: Some(path("trust.p12")),
        truststore_password: Some(Password::new("trustpass")),
        ..SslSettings::default()
    };
    assert_echo(&settings, false);
    // Typed JKS (Java's default) but really PKCS12: read as PKCS12.
    let settings = SslSettings {
        truststore_type: "JKS".into(),
        ..settings
    };
    assert_echo(&settings, false);
}

#[test]
fn pkcs12_truststore_with_a_wrong_password_is_a_config_error() {
    let settings = SslSettings {
        truststore_type: "PKCS12".into(),
        truststore_location: Some(path("trust.p12")),
        truststore_password: Some(Password::new("wrong")),
        ..SslSettings::default()
    };
    let (key, message) = config_key(SslFactory::new(&settings));
    assert_eq!(key, "ssl.truststore.password", "{message}");
}

#[test]
fn jks_is_refused_with_how_to_convert() {
    let settings = SslSettings {
        truststore_type: "JKS".into(),
        truststore_location: Some(path("trust.jks")),
        truststore_password: Some(Password::new("trustpass")),
        ..SslSettings::default()
    };
    let (key, message) = config_key(SslFactory::new(&settings));
    assert_eq!(key, "ssl.truststore.location");
    assert!(message.contains("JKS"), "{message}");
    assert!(
        message.contains(
            "keytool -importkeystore -srckeystore X.jks -destkeystore X.p12 -deststoretype PKCS12"
        ),
        "{message}"
    );
}

#[test]
fn unknown_ca_is_an_ssl_authentication_failure() {
    let factory = SslFactory::new(&trusting_ca()).unwrap();
    let s = server("server2", false);
    let e = echo(&factory, "localhost", s.addr, frame(b"x")).unwrap_err();
    let m = e.tls_message();
    assert!(m.contains("UnknownIssuer"), "{m}");
    let _ = s.thread.join();
}

#[test]
fn a_name_mismatch_names_the_host() {
    let factory = SslFactory::new(&trusting_ca()).unwrap();
    let s = server("server", false);
    let e = echo(&factory, "broker.example.com", s.addr, frame(b"x")).unwrap_err();
    let m = e.tls_message();
    assert!(m.contains("broker.example.com"), "{m}");
    assert!(m.contains("not valid for name"), "{m}");
    let _ = s.thread.join();
}

#[test]
fn an_empty_endpoint_identification_skips_only_the_name_check() {
    let settings = SslSettings {
        endpoint_identification_algorithm: String::new(),
        ..trusting_ca()
    };
    let factory = SslFactory::new(&settings).unwrap();
    let s = server("server", false);
    let got = echo(
        &factory,
        "broker.example.com",
        s.addr,
        frame(b"no name check"),
    )
    .unwrap();
    assert_eq!(got, b"no name check");
    s.thread.join().unwrap().unwrap();
    // An unknown CA is still refused.
    let s = server("server2", false);
    let e = echo(&factory, "broker.example.com", s.addr, frame(b"x")).unwrap_err();
    assert!(e.tls_message().contains("UnknownIssuer"));
    let _ = s.thread.join();
}

#[test]
fn mtls_with_a_pem_keystore_file() {
    let settings = SslSettings {
        keystore_type: "PEM".into(),
        keystore_location: Some(path("client-keystore.pem")),
        ..trusting_ca()
    };
    assert_echo(&settings, true);
}

#[test]
fn mtls_with_inline_pem() {
    let settings = SslSettings {
        keystore_type: "PEM".into(),
        keystore_certificate_chain: Some(Password::new(read("client.pem"))),
        keystore_key: Some(Password::new(read("client.key"))),
        ..trusting_ca()
    };
    assert_echo(&settings, true);
}

#[test]
fn mtls_with_an_encrypted_pkcs8_key() {
    let settings = SslSettings {
        keystore_type: "PEM".into(),
        keystore_location: Some(path("client-keystore-enc.pem")),
        key_password: Some(Password::new("keypass")),
        ..trusting_ca()
    };
    assert_echo(&settings, true);
    // Without the password, or with a wrong one: a config error naming ssl.key.password.
    let (key, _) = config_key(SslFactory::new(&SslSettings {
        key_password: None,
        ..settings.clone()
    }));
    assert_eq!(key, "ssl.key.password");
    let (key, _) = config_key(SslFactory::new(&SslSettings {
        key_password: Some(Password::new("wrong")),
        ..settings
    }));
    assert_eq!(key, "ssl.key.password");
}

#[test]
fn mtls_with_a_pbes1_sha1_3des_encrypted_key() {
    let settings = SslSettings {
        keystore_type: "PEM".into(),
        keystore_location: Some(path("client-keystore-pbes1.pem")),
        key_password: Some(Password::new("keypass")),
        ..trusting_ca()
    };
    assert_echo(&settings, true);
    let (key, _) = config_key(SslFactory::new(&SslSettings {
        key_password: Some(Password::new("wrong")),
        ..settings
    }));
    assert_eq!(key, "ssl.key.password");
}

#[test]
fn mtls_with_a_pkcs12_keystore() {
    let settings = SslSettings {
        keystore_type: "PKCS12".into(),
        keystore_location: Some(path("client.p12")),
        keystore_password: Some(Password::new("storepass")),
        ..trusting_ca()
    };
    assert_echo(&settings, true);
    let (key, _) = config_key(SslFactory::new(&SslSettings {
        keystore_password: Some(Password::new("wrong")),
        ..settings
    }));
    assert_eq!(key, "ssl.keystore.password");
}

#[test]
fn mtls_without_a_client_certificate_fails_authentication() {
    for protocol in ["TLSv1.2", "TLSv1.3"] {
        let settings = SslSettings {
            enabled_protocols: vec![protocol.into()],
            ..trusting_ca()
        };
        let factory = SslFactory::new(&settings).unwrap();
        let s = server("server", true);
        match echo(&factory, "localhost", s.addr, frame(b"x")) {
            Err(Failure::Tls(e)) => {
                let m = tls_error_of(&e).unwrap().to_string();
                assert!(m.contains("alert"), "{protocol}: {m}");
            }
            other => panic!("{protocol}: {other:?}"),
        }
        let _ = s.thread.join();
    }
}

#[test]
fn cipher_suites_use_java_names() {
    let settings = SslSettings {
        cipher_suites: vec![
            "TLS_AES_128_GCM_SHA256".into(),
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256".into(),
        ],
        ..trusting_ca()
    };
    let factory = SslFactory::new(&settings).unwrap();
    assert_eq!(factory.config().crypto_provider().cipher_suites.len(), 2);
    assert_echo(&settings, false);
    let (key, message) = config_key(SslFactory::new(&SslSettings {
        cipher_suites: vec!["TLS_RSA_WITH_RC4_128_MD5".into()],
        ..trusting_ca()
    }));
    assert_eq!(key, "ssl.cipher.suites");
    assert!(message.contains("TLS_RSA_WITH_RC4_128_MD5"), "{message}");
    assert!(
        message.contains("TLS_AES_256_GCM_SHA384"),
        "lists the supported: {message}"
    );
    // TLS 1.3 suites only with TLSv1.2 only: nothing usable.
    let (key, _) = config_key(SslFactory::new(&SslSettings {
        cipher_suites: vec!["TLS_AES_128_GCM_SHA256".into()],
        enabled_protocols: vec!["TLSv1.2".into()],
        ..trusting_ca()
    }));
    assert_eq!(key, "ssl.cipher.suites");
}

#[test]
fn old_protocols_are_config_errors() {
    for p in ["TLSv1.1", "TLSv1", "SSLv3"] {
        let (key, message) = config_key(SslFactory::new(&SslSettings {
            enabled_protocols: vec!["TLSv1.2".into(), p.into()],
            ..trusting_ca()
        }));
        assert_eq!(key, "ssl.enabled.protocols");
        assert!(message.contains(p), "{message}");
    }
    for p in ["TLSv1.2", "TLSv1.3"] {
        let settings = SslSettings {
            enabled_protocols: vec![p.into()],
            ..trusting_ca()
        };
        assert_echo(&settings, false);
    }
}

#[test]
fn unreadable_files_and_bad_pem_name_their_key() {
    let (key, _) = config_key(SslFactory::new(&SslSettings {
        truststore_type: "PEM".into(),
        truststore_location: Some("/nonexistent/ca.pem".into()),
        ..SslSettings::default()
    }));
    assert_eq!(key, "ssl.truststore.location");
    let (key, _) = config_key(SslFactory::new(&SslSettings {
        truststore_type: "PEM".into(),
        truststore_certificates: Some(Password::new("not a certificate")),
        ..SslSettings::default()
    }));
    assert_eq!(key, "ssl.truststore.certificates");
    let (key, _) = config_key(SslFactory::new(&SslSettings {
        keystore_type: "PEM".into(),
        keystore_certificate_chain: Some(Password::new(read("client.pem"))),
        keystore_key: Some(Password::new(
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        )),
        ..trusting_ca()
    }));
    assert_eq!(key, "ssl.keystore.key");
    let (key, _) = config_key(SslFactory::new(&SslSettings {
        endpoint_identification_algorithm: "ldaps".into(),
        ..trusting_ca()
    }));
    assert_eq!(key, "ssl.endpoint.identification.algorithm");
}

#[test]
fn a_large_write_across_many_chunks_arrives_intact() {
    let factory = SslFactory::new(&trusting_ca()).unwrap();
    let s = server("server", false);
    // 8 MiB in 2,000 chunks of varied sizes.
    let mut payload = Vec::new();
    let mut chunks = Vec::new();
    let mut i = 0u32;
    while payload.len() < 8 << 20 {
        let len = 1000 + (i as usize * 7919) % 7000;
        let part: Vec<u8> = (0..len).map(|j| (j as u32 ^ i) as u8).collect();
        payload.extend_from_slice(&part);
        chunks.push(if i.is_multiple_of(2) {
            Chunk::Owned(part)
        } else {
            Chunk::Shared(Arc::new(part))
        });
        i += 1;
    }
    let mut all = vec![Chunk::Owned((payload.len() as i32).to_be_bytes().to_vec())];
    all.extend(chunks);
    let got = echo(&factory, "localhost", s.addr, all).unwrap();
    assert!(
        got == payload,
        "{} bytes back of {}",
        got.len(),
        payload.len()
    );
    s.thread.join().unwrap().unwrap();
}

#[test]
fn debug_shows_no_secret() {
    let key = read("client.key");
    let settings = SslSettings {
        keystore_type: "PEM".into(),
        keystore_certificate_chain: Some(Password::new(read("client.pem"))),
        keystore_key: Some(Password::new(key.clone())),
        keystore_password: Some(Password::new("storepass-secret")),
        key_password: Some(Password::new("keypass-secret")),
        truststore_password: Some(Password::new("trustpass-secret")),
        ..trusting_ca()
    };
    let factory = SslFactory::new(&settings).unwrap();
    let shown = format!("{settings:?} {factory:?} {factory:#?}");
    for secret in [
        "storepass-secret",
        "keypass-secret",
        "trustpass-secret",
        "PRIVATE KEY",
    ] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
    let body: String = key.lines().filter(|l| !l.starts_with("-----")).collect();
    assert!(!shown.contains(&body[..20]));
}

#[test]
fn server_names_may_be_ip_addresses() {
    let factory = SslFactory::new(&trusting_ca()).unwrap();
    assert!(factory.client_connection("127.0.0.1").is_ok());
    assert!(factory.client_connection("::1").is_ok());
    assert!(factory.client_connection("broker-1.example.com").is_ok());
    assert!(factory.client_connection("not a name!").is_err());
}

#[test]
fn authentication_error_display() {
    let e = Error::Authentication {
        kind: AuthenticationKind::Ssl,
        node: "localhost:9093 (id: 1)".into(),
        message: "certificate verification failed: invalid peer certificate: UnknownIssuer".into(),
        source: None,
    };
    assert!(
        e.to_string()
            .contains("TLS handshake with node localhost:9093 (id: 1) failed")
    );
    let _ = Interest::READABLE;
}

/// A TLS server that answers the first frame it reads with the same frame and, in the same TCP
/// write, a corrupt TLS record (bad MAC): the response decrypted before the bad record must
/// still reach the client, the error after it.
fn server_answering_then_corrupting() -> Server {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth();
    let (certs, key) = server_identity("server");
    let config = Arc::new(builder.with_single_cert(certs, key).unwrap());
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let thread = std::thread::spawn(move || {
        let (sock, _) = listener.accept().map_err(|e| e.to_string())?;
        sock.set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        let conn = rustls::ServerConnection::new(config).map_err(|e| e.to_string())?;
        let mut tls = rustls::StreamOwned::new(conn, sock);
        let mut request = Vec::new();
        let mut buf = vec![0u8; 64 * 1024];
        while request.len() < 4
            || request.len() < 4 + i32::from_be_bytes(request[..4].try_into().unwrap()) as usize
        {
            let n = tls.read(&mut buf).map_err(|e| e.to_string())?;
            if n == 0 {
                return Err("closed".into());
            }
            request.extend_from_slice(&buf[..n]);
        }
        tls.conn
            .writer()
            .write_all(&request)
            .map_err(|e| e.to_string())?;
        let mut out = Vec::new();
        while tls.conn.wants_write() {
            tls.conn.write_tls(&mut out).map_err(|e| e.to_string())?;
        }
        // An application-data record whose MAC cannot check out.
        out.extend_from_slice(&[23, 3, 3, 0, 40]);
        out.extend_from_slice(&[0xa5; 40]);
        tls.sock.write_all(&out).map_err(|e| e.to_string())?;
        std::thread::sleep(Duration::from_millis(500));
        Ok(())
    });
    Server { addr, thread }
}

#[test]
fn a_response_decrypted_before_a_corrupt_record_is_not_lost() {
    let factory = SslFactory::new(&trusting_ca()).unwrap();
    let s = server_answering_then_corrupting();
    let got = echo(
        &factory,
        "localhost",
        s.addr,
        frame(b"kept before the bad record"),
    )
    .unwrap();
    assert_eq!(got, b"kept before the bad record");
    s.thread.join().unwrap().unwrap();
}

/// acks=0 over TLS: a request counts as written only once rustls has handed every record to
/// the socket. A server that completes the handshake and then stops reading, with small socket
/// buffers on both sides, leaves rustls holding most of a 60 KB request it fully accepted.
#[test]
fn a_request_without_response_is_written_only_when_rustls_has_sent_it() {
    use socket2::{Domain, Socket, Type};
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = Arc::new(
        rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(server_identity("server").0, server_identity("server").1)
            .unwrap(),
    );
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    socket
        .bind(&"127.0.0.1:0".parse::<SocketAddr>().unwrap().into())
        .unwrap();
    socket.listen(1).unwrap();
    let listener: TcpListener = socket.into();
    let addr = listener.local_addr().unwrap();
    let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
    let server = std::thread::spawn(move || {
        let (mut sock, _) = listener.accept().unwrap();
        let mut conn = rustls::ServerConnection::new(config).unwrap();
        while conn.is_handshaking() {
            conn.complete_io(&mut sock).unwrap();
        }
        // Then read nothing until told.
        let _ = stop_rx.recv_timeout(Duration::from_secs(20));
    });
    let factory = SslFactory::new(&trusting_ca()).unwrap();
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let tls = factory.client_connection("localhost").unwrap();
    let mut conn = Connection::connect(
        1,
        addr,
        Token(1),
        poll.registry(),
        4096,
        4096,
        Some(tls),
        Instant::now(),
    )
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while conn.state != ConnState::Ready && Instant::now() < deadline {
        poll.poll(&mut events, Some(Duration::from_millis(20)))
            .unwrap();
        if conn.state == ConnState::Connecting && conn.finish_connect().unwrap() {
            conn.state = ConnState::TlsHandshake;
        }
        if conn.state == ConnState::TlsHandshake && conn.tls_handshake(Instant::now()).unwrap() {
            conn.state = ConnState::Ready;
        }
    }
    assert_eq!(conn.state, ConnState::Ready);
    let payload = vec![7u8; 60_000];
    conn.enqueue(
        OutboundRequest {
            api: ApiKey::Produce,
            version: 3,
            correlation_id: 9,
            expect_response: false,
            chunks: frame(&payload),
        },
        Instant::now(),
    );
    for _ in 0..50 {
        conn.write(Instant::now()).unwrap();
        std::thread::sleep(Duration::from_millis(2));
    }
    assert!(
        conn.transport_wants_write(),
        "the test needs rustls to hold records the socket did not take"
    );
    assert!(
        conn.take_written_without_response().is_empty(),
        "not written while rustls still holds its records"
    );
    let _ = stop_tx.send(());
    conn.close(poll.registry());
    server.join().unwrap();
}
