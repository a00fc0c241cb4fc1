//! TLS and SASL against a real broker's secure listeners (`scripts/kafka.sh start --security`:
//! SSL, mTLS, a certificate for the wrong host, SASL_PLAINTEXT and SASL_SSL with PLAIN,
//! SCRAM-SHA-256/512 and OAUTHBEARER, a listener enabling only some mechanisms, and one with
//! `connections.max.reauth.ms=10000`). Every client here is configured by the same Java
//! properties file the Java tools use; the records written are read back by the Java console
//! consumer.

mod support;

use kafka_producer::producer::serializer::StringSerializer;
use kafka_producer::{AuthenticationKind, Error, KafkaProducer, ProducerConfig, ProducerRecord};
use parking_lot::Mutex;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::SecurityEnv;

/// The secure listeners, or `None` (the test is skipped) when the suite runs against a cluster
/// without them.
fn env() -> Option<SecurityEnv> {
    let env = support::security_env();
    if env.is_none() {
        eprintln!("skipped: no secure listeners (KAFKA_BOOTSTRAP set without KAFKA_SECURITY_DIR)");
    }
    env
}

/// The properties file `name` of the environment, with `extra` settings over it.
fn config(env: &SecurityEnv, name: &str, extra: &[(&str, &str)]) -> ProducerConfig {
    let text = std::fs::read_to_string(env.properties(name)).unwrap();
    let mut props = kafka_producer::config::parse_properties(&text).unwrap();
    for (k, v) in extra {
        props.push((k.to_string(), v.to_string()));
    }
    ProducerConfig::from_properties(props).unwrap()
}

fn producer(config: ProducerConfig) -> KafkaProducer<String, String> {
    KafkaProducer::new(config, StringSerializer, StringSerializer).unwrap()
}

/// Every client setup that must work: TLS (PEM and PKCS12 truststores; mTLS with PEM files,
/// inline PEM, an encrypted PKCS#8 key, PKCS12) and SASL (every mechanism, plaintext and TLS).
const WORKING: &[&str] = &[
    "ssl",
    "ssl-p12",
    "mtls",
    "mtls-p12",
    "mtls-pbes2",
    "mtls-inline",
    "sasl-plain",
    "sasl-scram-256",
    "sasl-scram-512",
    "sasl-oauthbearer",
    "sasl-ssl-plain",
    "sasl-ssl-scram-256",
    "sasl-ssl-scram-512",
    "sasl-ssl-oauthbearer",
];

#[test]
fn produce_on_every_listener_and_mechanism_read_back_by_java() {
    let Some(env) = env() else { return };
    let topic = support::unique_topic("security-all");
    support::create_topic_on(&env.plaintext, &topic, 3, 1, &[]);
    let per_setup = 50;
    for name in WORKING {
        let p = producer(config(&env, name, &[("linger.ms", "5")]));
        let futures: Vec<_> = (0..per_setup)
            .map(|i| {
                p.send(ProducerRecord::with_key_value(
                    topic.as_str(),
                    format!("{name}-{i}"),
                    format!("{name}:{i}"),
                ))
            })
            .collect();
        for f in futures {
            f.get()
                .unwrap_or_else(|e| panic!("{name}: send failed: {e}"));
        }
        p.close();
    }
    // Read back over a secure listener too (SASL_SSL with SCRAM-SHA-512).
    let expected = WORKING.len() * per_setup;
    let read = support::consume_with_config(
        &env.sasl_ssl,
        &topic,
        expected,
        Duration::from_secs(60),
        false,
        Some(&env.properties("sasl-ssl-scram-512")),
    );
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for r in &read {
        *seen.entry(r.value_str().unwrap()).or_default() += 1;
    }
    assert_eq!(read.len(), expected, "every record once");
    for name in WORKING {
        for i in 0..per_setup {
            assert_eq!(seen.get(&format!("{name}:{i}")), Some(&1), "{name}:{i}");
        }
    }
}

/// Sends one record with `config` (small `max.block.ms`) and returns the error, checking that
/// it came within `max.block.ms` and is not retriable.
fn failing_send(config: ProducerConfig) -> (Error, Duration, KafkaProducer<String, String>) {
    let max_block = config.max_block();
    let p = producer(config);
    let started = Instant::now();
    let e = p
        .send(ProducerRecord::new(
            "security-never-written",
            "v".to_string(),
        ))
        .get()
        .expect_err("the send must fail");
    let took = started.elapsed();
    assert!(
        took <= max_block + Duration::from_secs(2),
        "the error came after {took:?}, beyond max.block.ms ({max_block:?}): {e}"
    );
    assert!(!e.is_retriable(), "{e:?}");
    (e, took, p)
}

fn kind_of(e: &Error) -> AuthenticationKind {
    match e {
        Error::Authentication { kind, .. } => *kind,
        other => panic!("expected an authentication error, got {other:?}"),
    }
}

#[test]
fn unknown_ca_fails_fast_naming_certificate_verification_with_bounded_reconnects() {
    let Some(env) = env() else { return };
    let config = config(
        &env,
        "ssl-unknown-ca",
        &[
            ("max.block.ms", "4000"),
            ("reconnect.backoff.ms", "200"),
            ("reconnect.backoff.max.ms", "1000"),
        ],
    );
    let (e, took, p) = failing_send(config);
    assert_eq!(kind_of(&e), AuthenticationKind::Ssl, "{e}");
    let text = e.to_string();
    assert!(
        text.contains("certificate verification") && text.contains("UnknownIssuer"),
        "{text}"
    );
    assert!(
        std::error::Error::source(&e).is_some(),
        "the TLS error is kept as the source"
    );
    // The first attempt already fails the send: well before max.block.ms.
    assert!(took < Duration::from_secs(3), "{took:?}");
    // Reconnects go on (as Java's), bounded by the exponential backoff: over 4 s with 200 ms
    // doubling to 1 s (±20 % jitter), at most 1 + 2 + ... attempts, far from a busy loop.
    std::thread::sleep(Duration::from_secs(4));
    let attempts = p.counters().connections;
    assert!(
        (2..=9).contains(&attempts),
        "{attempts} connection attempts in ~4 s with reconnect.backoff 200 ms..1 s"
    );
    // Later sends fail at once with the same error.
    let started = Instant::now();
    let again = p
        .send(ProducerRecord::new(
            "security-never-written",
            "v".to_string(),
        ))
        .get()
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(kind_of(&again), AuthenticationKind::Ssl);
    p.close();
}

#[test]
fn a_certificate_for_another_host_is_an_error_naming_the_host() {
    let Some(env) = env() else { return };
    let (e, _, p) = failing_send(config(&env, "badhost", &[("max.block.ms", "5000")]));
    assert_eq!(kind_of(&e), AuthenticationKind::Ssl, "{e}");
    let text = e.to_string();
    assert!(
        text.contains("127.0.0.1") && text.contains("wrong-host.invalid"),
        "{text}"
    );
    p.close();
    // Without the host name check (Java's empty ssl.endpoint.identification.algorithm) the
    // same listener works, the chain still verified.
    let topic = support::unique_topic("security-badhost");
    support::create_topic_on(&env.plaintext, &topic, 1, 1, &[]);
    let p = producer(config(
        &env,
        "badhost",
        &[("ssl.endpoint.identification.algorithm", "")],
    ));
    p.send(ProducerRecord::new(topic.as_str(), "v".to_string()))
        .get()
        .unwrap();
    p.close();
}

#[test]
fn mtls_required_by_the_broker_fails_without_a_client_certificate() {
    let Some(env) = env() else { return };
    let (e, _, p) = failing_send(config(&env, "mtls-no-cert", &[("max.block.ms", "5000")]));
    assert_eq!(kind_of(&e), AuthenticationKind::Ssl, "{e}");
    p.close();
}

#[test]
fn a_wrong_password_is_a_non_retriable_error_not_a_retry_loop() {
    let Some(env) = env() else { return };
    for name in ["sasl-plain-bad-password", "sasl-scram-256-bad-password"] {
        let (e, took, p) = failing_send(config(&env, name, &[("max.block.ms", "20000")]));
        assert_eq!(kind_of(&e), AuthenticationKind::Sasl, "{name}: {e}");
        assert!(
            e.to_string().contains("Authentication failed"),
            "{name}: the broker's message is kept: {e}"
        );
        // Far below max.block.ms (20 s): the first rejection ends the wait.
        assert!(took < Duration::from_secs(5), "{name}: {took:?}");
        p.close();
    }
}

#[test]
fn a_mechanism_the_broker_does_not_enable_lists_the_ones_it_does() {
    let Some(env) = env() else { return };
    let (e, _, p) = failing_send(config(
        &env,
        "sasl-limited-scram-512",
        &[("max.block.ms", "10000")],
    ));
    assert_eq!(
        kind_of(&e),
        AuthenticationKind::UnsupportedSaslMechanism,
        "{e}"
    );
    let text = e.to_string();
    assert!(
        text.contains("SCRAM-SHA-512") && text.contains("PLAIN, SCRAM-SHA-256"),
        "{text}"
    );
    p.close();
}

/// KIP-368: the broker grants 10 s sessions; a 60 s idempotent run at full speed
/// re-authenticates several times without losing, duplicating or failing a record.
#[test]
fn reauthentication_during_a_60s_idempotent_run_keeps_every_record_exactly_once() {
    let Some(env) = env() else { return };
    let secs: u64 = std::env::var("SECURITY_REAUTH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let topic = support::unique_topic("security-reauth");
    support::create_topic_on(&env.plaintext, &topic, 3, 1, &[]);
    let p = Arc::new(producer(config(
        &env,
        "reauth-scram-256",
        &[("enable.idempotence", "true"), ("linger.ms", "5")],
    )));
    let failed = Arc::new(Mutex::new(Vec::<String>::new()));
    let deadline = Instant::now() + Duration::from_secs(secs);
    // Full-speed bursts of 20,000 records, one a second (about 1.2 million records a minute, so
    // that the Java consumer can read them all back), with callbacks.
    let mut n: u64 = 0;
    let started = Instant::now();
    while Instant::now() < deadline {
        for _ in 0..20_000 {
            let failed = failed.clone();
            let value = format!("{n:010}");
            p.send_with_callback(
                ProducerRecord::new(topic.as_str(), value.clone()),
                move |r: Result<kafka_producer::RecordMetadata, Error>| {
                    if let Err(e) = r {
                        failed.lock().push(format!("{value}: {e}"));
                    }
                },
            );
            n += 1;
        }
        let next = started + Duration::from_secs(n / 20_000);
        std::thread::sleep(next.saturating_duration_since(Instant::now()));
    }
    p.flush().unwrap();
    // Read after close: the sender publishes its counters once per loop and a last time when
    // it stops, so a snapshot taken right after flush() may lag the callbacks.
    p.close();
    let metrics = p.counters();
    assert!(failed.lock().is_empty(), "failed: {:?}", &failed.lock()[..]);
    assert_eq!(metrics.records_acked, n);
    // Sessions of 10 s re-authenticated at 85-95 %: at least secs / 10 per connection.
    assert!(
        metrics.authentications > secs / 10,
        "{} authentications in {secs} s: {metrics:?}",
        metrics.authentications
    );
    // Java's selector metrics: one successful authentication per connection, the rest are
    // re-authentications (counted twice before: each re-authentication was also a new
    // successful authentication).
    let java = |name: &str| {
        p.metrics()
            .iter()
            .find(|(k, _)| k.group() == "producer-metrics" && k.name() == name)
            .map(|(_, m)| m.metric_value())
            .unwrap_or_else(|| panic!("no {name}"))
    };
    assert_eq!(
        java("successful-authentication-total"),
        java("connection-creation-total"),
        "one authentication per connection"
    );
    assert_eq!(
        java("successful-authentication-total") + java("successful-reauthentication-total"),
        metrics.authentications as f64,
        "every other authentication is a re-authentication"
    );
    // No session expired under the client: no reconnection (one connection to the bootstrap
    // address, one to the broker), each closed once, by close().
    assert!(metrics.connections <= 2, "reconnected: {metrics:?}");
    assert_eq!(
        metrics.disconnections, metrics.connections,
        "a connection broke: {metrics:?}"
    );
    // Exactly once: the log holds n records, each value once (checked by the Java consumer).
    let total: i64 = support::end_offsets_on(&env.plaintext, &topic)
        .iter()
        .map(|(_, o)| o)
        .sum();
    assert_eq!(total as u64, n, "log end offsets");
    let read = support::consume_with_config(
        &env.reauth,
        &topic,
        n as usize,
        Duration::from_secs(120),
        false,
        Some(&env.properties("reauth-scram-256")),
    );
    let mut counts: HashMap<String, u32> = HashMap::with_capacity(read.len());
    for r in &read {
        *counts.entry(r.value_str().unwrap()).or_default() += 1;
    }
    assert_eq!(read.len() as u64, n);
    assert_eq!(counts.len() as u64, n, "every value once");
}

/// Collects every log line of this test binary.
struct CapturingLogger(Mutex<String>);

impl log::Log for CapturingLogger {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        use std::fmt::Write;
        let _ = writeln!(self.0.lock(), "{} {}", record.level(), record.args());
    }
    fn flush(&self) {}
}

static LOGGER: CapturingLogger = CapturingLogger(Mutex::new(String::new()));

#[test]
fn no_password_key_or_token_appears_in_debug_display_or_logs() {
    let Some(env) = env() else { return };
    let _ = log::set_logger(&LOGGER);
    log::set_max_level(log::LevelFilter::Trace);
    let topic = support::unique_topic("security-secrets");
    support::create_topic_on(&env.plaintext, &topic, 1, 1, &[]);
    let mut shown = String::new();
    let key_pem = std::fs::read_to_string(env.file("client.key")).unwrap();
    let key_body: String = key_pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .take(2)
        .collect();
    let mut secrets = vec![
        env.var("KAFKA_SASL_PASSWORD").unwrap().to_string(),
        env.var("KAFKA_KEY_PASSWORD").unwrap().to_string(),
        env.var("KAFKA_STORE_PASSWORD").unwrap().to_string(),
        key_body,
    ];
    for name in [
        "sasl-ssl-scram-512",
        "sasl-plain",
        "sasl-oauthbearer",
        "mtls-pbes2",
        "mtls-inline",
        "mtls-p12",
    ] {
        let c = config(&env, name, &[]);
        shown.push_str(&format!("{c}\n{c:?}\n"));
        let p = producer(c);
        p.send(ProducerRecord::new(topic.as_str(), name.to_string()))
            .get()
            .unwrap();
        shown.push_str(&p.debug_state());
        p.close();
    }
    // Failures too: their errors, Debug and Display.
    for name in ["sasl-plain-bad-password", "sasl-scram-256-bad-password"] {
        let (e, _, p) = failing_send(config(&env, name, &[("max.block.ms", "5000")]));
        shown.push_str(&format!("{e}\n{e:?}\n"));
        p.close();
    }
    // The unsecured JWT the OAUTHBEARER client made is a token: its payload must not show.
    let jwt_payload_start = "eyJ"; // base64url of `{"` — any JWT part starts so.
    shown.push_str(&LOGGER.0.lock());
    for s in secrets.drain(..) {
        assert!(!s.is_empty());
        assert!(!shown.contains(&s), "a secret leaked: {s:.4}...");
    }
    assert!(
        !shown.contains(jwt_payload_start),
        "an OAUTHBEARER token leaked into the output"
    );
    assert!(shown.contains("[hidden]"));
}

/// An unsecured JWT (`alg: none`), as the broker's default OAUTHBEARER validator accepts.
fn unsecured_jwt(sub: &str, lifetime_s: u64) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let header = b64.encode(br#"{"alg":"none"}"#);
    let claims = format!(
        r#"{{"sub":"{sub}","iat":{now},"exp":{},"scope":"kafka"}}"#,
        now + lifetime_s
    );
    format!("{header}.{}.", b64.encode(claims))
}

#[test]
fn oauthbearer_with_a_token_provider_given_in_code() {
    let Some(env) = env() else { return };
    struct Provider(std::sync::atomic::AtomicU32);
    impl kafka_producer::security::OAuthBearerTokenProvider for Provider {
        fn token(&self) -> Result<kafka_producer::security::OAuthBearerToken, Error> {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok(kafka_producer::security::OAuthBearerToken::new(
                unsecured_jwt("from-code", 3600),
                "from-code",
                std::time::SystemTime::now() + Duration::from_secs(3600),
            ))
        }
    }
    let provider = Arc::new(Provider(Default::default()));
    let topic = support::unique_topic("security-provider");
    support::create_topic_on(&env.plaintext, &topic, 1, 1, &[]);
    let props = kafka_producer::config::parse_properties(
        &std::fs::read_to_string(env.properties("sasl-oauthbearer")).unwrap(),
    )
    .unwrap()
    .into_iter()
    .filter(|(k, _)| k != "sasl.jaas.config");
    let c = ProducerConfig::from_properties(props)
        .unwrap()
        .with_sasl_oauthbearer_token_provider(provider.clone());
    let p = producer(c);
    p.send(ProducerRecord::new(topic.as_str(), "v".to_string()))
        .get()
        .unwrap();
    p.close();
    assert_eq!(provider.0.load(std::sync::atomic::Ordering::SeqCst), 1);
}

/// An RS256 JWT (`kid` test-key, as in `oidc-jwks.json`) signed with the RSA key in the
/// PKCS#8 PEM `key_pem`, with the claims `sub`, `iat`, `exp` and `scope`.
fn rs256_jwt(key_pem: &str, sub: &str, lifetime_s: u64) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let der: String = key_pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(der.trim())
        .unwrap();
    let key = ring::signature::RsaKeyPair::from_pkcs8(&der).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let header = b64.encode(br#"{"alg":"RS256","typ":"JWT","kid":"test-key"}"#);
    let claims = b64.encode(format!(
        r#"{{"sub":"{sub}","iat":{now},"exp":{},"scope":"kafka"}}"#,
        now + lifetime_s
    ));
    let signing_input = format!("{header}.{claims}");
    let mut signature = vec![0u8; key.public().modulus_len()];
    key.sign(
        &ring::signature::RSA_PKCS1_SHA256,
        &ring::rand::SystemRandom::new(),
        signing_input.as_bytes(),
        &mut signature,
    )
    .unwrap();
    format!("{signing_input}.{}", b64.encode(signature))
}

/// A local OIDC token endpoint: answers every request with a client-credentials token response
/// whose access token is an RS256 JWT signed with `key_pem`, and records the requests.
fn token_endpoint(key_pem: String) -> (String, Arc<Mutex<Vec<String>>>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/oauth2/token", listener.local_addr().unwrap());
    let requests = Arc::new(Mutex::new(Vec::new()));
    let seen = requests.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
            let mut buf = vec![0u8; 16 * 1024];
            let mut len = 0;
            // Headers, then the form body (Content-Length).
            while len < buf.len() {
                let Ok(n) = stream.read(&mut buf[len..]) else {
                    break;
                };
                if n == 0 {
                    break;
                }
                len += n;
                let text = String::from_utf8_lossy(&buf[..len]).to_string();
                if let Some(end) = text.find("\r\n\r\n") {
                    let body_len = text[..end]
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                        })
                        .unwrap_or(0);
                    if len >= end + 4 + body_len {
                        break;
                    }
                }
            }
            seen.lock()
                .push(String::from_utf8_lossy(&buf[..len]).to_string());
            let body = format!(
                r#"{{"access_token":"{}","token_type":"bearer","expires_in":3600}}"#,
                rs256_jwt(&key_pem, "oidc-producer", 3600)
            );
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
                 Connection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (url, requests)
}

/// Java's `OAuthBearerLoginCallbackHandler` flow end to end: client credentials POSTed to a
/// token endpoint, the RS256 JWT it returns checked client-side and then by the broker's OIDC
/// listener (`OAuthBearerValidatorCallbackHandler` against the JWKS of `oidc-key.pem`); a JWT
/// signed by another key is refused by the broker.
#[test]
fn oauthbearer_with_an_oidc_token_endpoint_client_credentials() {
    let Some(env) = env() else { return };
    let key_pem = std::fs::read_to_string(env.file("oidc-key.pem")).unwrap();
    let (url, requests) = token_endpoint(key_pem);
    let topic = support::unique_topic("security-oidc");
    support::create_topic_on(&env.plaintext, &topic, 1, 1, &[]);
    // clientId producer-app, clientSecret oidc-s3cret, scope kafka (kafka.sh's oidc.properties).
    let p = producer(config(
        &env,
        "oidc",
        &[("sasl.oauthbearer.token.endpoint.url", &url)],
    ));
    for i in 0..20 {
        p.send(ProducerRecord::new(topic.as_str(), format!("oidc-{i}")))
            .get()
            .unwrap_or_else(|e| panic!("send {i}: {e:?}"));
    }
    p.close();
    let reqs = requests.lock().clone();
    assert!(!reqs.is_empty(), "the token endpoint was asked");
    let first = &reqs[0];
    assert!(
        first.starts_with("POST /oauth2/token HTTP/1.1\r\n"),
        "{first}"
    );
    use base64::Engine;
    // Java's default (sasl.oauthbearer.header.urlencode=false): id and secret as they are.
    let basic = base64::engine::general_purpose::STANDARD.encode("producer-app:oidc-s3cret");
    let headers = first.split("\r\n\r\n").next().unwrap().to_ascii_lowercase();
    assert!(
        headers.contains(&format!(
            "authorization: basic {}",
            basic.to_ascii_lowercase()
        )),
        "{first}"
    );
    let body = first.split_once("\r\n\r\n").unwrap().1;
    let mut form: Vec<&str> = body.split('&').collect();
    form.sort_unstable();
    assert_eq!(
        form,
        ["grant_type=client_credentials", "scope=kafka"],
        "{first}"
    );
    let read = support::consume_with_config(
        &env.sasl_plaintext,
        &topic,
        20,
        Duration::from_secs(60),
        false,
        Some(&env.properties("sasl-scram-512")),
    );
    let values: Vec<String> = read.iter().map(|r| r.value_str().unwrap()).collect();
    let expected: Vec<String> = (0..20).map(|i| format!("oidc-{i}")).collect();
    assert_eq!(values, expected);

    // A token signed by another RSA key (same kid): well-formed for the client-side check,
    // refused by the broker's signature check.
    let other = std::env::temp_dir().join(format!("oidc-other-key-{}.pem", std::process::id()));
    let out = std::process::Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
        ])
        .arg(&other)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let other_pem = std::fs::read_to_string(&other).unwrap();
    let _ = std::fs::remove_file(&other);
    let (bad_url, bad_requests) = token_endpoint(other_pem);
    let (e, _, p) = failing_send(config(
        &env,
        "oidc",
        &[
            ("sasl.oauthbearer.token.endpoint.url", &bad_url),
            ("max.block.ms", "10000"),
        ],
    ));
    assert_eq!(kind_of(&e), AuthenticationKind::Sasl, "{e}");
    // The broker's OAUTHBEARER error response ({"status":"invalid_token"}) is kept.
    assert!(e.to_string().contains("invalid_token"), "{e}");
    assert!(!bad_requests.lock().is_empty(), "a token was fetched");
    p.close();
}
