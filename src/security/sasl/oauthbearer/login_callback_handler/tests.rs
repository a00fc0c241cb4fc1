//! The client-credentials flow against a local token endpoint serving canned responses.

use super::*;
use crate::security::sasl::oauthbearer::base64;
use crate::security::sasl::oauthbearer::login_access_token_validator::tests::jwt;
use serde_json::json;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::thread::JoinHandle;

const SECRET: &str = "s3cr3t-v@lue";

/// A request as the endpoint saw it.
#[derive(Debug)]
struct Seen {
    request_line: String,
    headers: Vec<(String, String)>,
    body: String,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Serves `responses` in order, one per connection, and returns the requests it read.
fn serve(responses: Vec<String>) -> (String, JoinHandle<Vec<Seen>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/oauth2/token", listener.local_addr().unwrap());
    let handle = std::thread::Builder::new()
        .name("test-token-endpoint".into())
        .spawn(move || {
            let mut seen = Vec::new();
            for response in responses {
                let (stream, _) = listener.accept().unwrap();
                let mut reader = BufReader::new(stream);
                let mut request_line = String::new();
                reader.read_line(&mut request_line).unwrap();
                let mut headers = Vec::new();
                loop {
                    let mut line = String::new();
                    reader.read_line(&mut line).unwrap();
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    let (n, v) = line.split_once(':').unwrap();
                    headers.push((n.to_string(), v.trim().to_string()));
                }
                let length: usize = headers
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
                    .map(|(_, v)| v.parse().unwrap())
                    .unwrap_or(0);
                let mut body = vec![0; length];
                reader.read_exact(&mut body).unwrap();
                let mut stream = reader.into_inner();
                stream.write_all(response.as_bytes()).unwrap();
                seen.push(Seen {
                    request_line: request_line.trim_end().to_string(),
                    headers,
                    body: String::from_utf8(body).unwrap(),
                });
            }
            seen
        })
        .unwrap();
    (url, handle)
}

fn ok_json(body: &str) -> String {
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

fn good_jwt() -> String {
    jwt(
        &json!({"sub": "svc-producer", "exp": 4_000_000_000u64, "iat": 1_700_000_000u64, "scope": "kafka"}),
    )
}

fn token_response(token: &str) -> String {
    ok_json(&json!({"access_token": token, "token_type": "Bearer", "expires_in": 3600}).to_string())
}

fn settings(url: &str) -> OAuthBearerLoginSettings {
    OAuthBearerLoginSettings {
        token_endpoint_url: url.to_string(),
        retry_backoff: Duration::from_millis(10),
        retry_backoff_max: Duration::from_millis(2_000),
        connect_timeout: Some(Duration::from_secs(5)),
        read_timeout: Some(Duration::from_secs(5)),
        ..OAuthBearerLoginSettings::default()
    }
}

fn options(scope: Option<&str>) -> BTreeMap<String, String> {
    let mut o = BTreeMap::new();
    o.insert("clientId".to_string(), "producer-app".to_string());
    o.insert("clientSecret".to_string(), SECRET.to_string());
    if let Some(s) = scope {
        o.insert("scope".to_string(), s.to_string());
    }
    o.insert("extension_logicalCluster".to_string(), "lkc-1".to_string());
    o
}

fn check_request(seen: &Seen, scope: Option<&str>) {
    assert_eq!(seen.request_line, "POST /oauth2/token HTTP/1.1");
    let expected_auth = format!(
        "Basic {}",
        base64::encode_standard(format!("producer-app:{SECRET}").as_bytes())
    );
    assert_eq!(seen.header("Authorization"), Some(expected_auth.as_str()));
    assert_eq!(
        seen.header("Content-Type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(seen.header("Accept"), Some("application/json"));
    assert_eq!(seen.header("Connection"), Some("close"));
    assert!(
        seen.header("Host")
            .is_some_and(|h| h.starts_with("127.0.0.1:"))
    );
    match scope {
        None => assert_eq!(seen.body, "grant_type=client_credentials"),
        Some(s) => assert_eq!(
            seen.body,
            format!("grant_type=client_credentials&scope={s}")
        ),
    }
}

#[test]
fn client_credentials_success() {
    let token_value = good_jwt();
    let (url, server) = serve(vec![token_response(&token_value)]);
    let handler =
        OAuthBearerLoginCallbackHandler::new(&settings(&url), &options(Some("kafka produce")))
            .unwrap();
    let token = handler.token().unwrap();
    assert_eq!(token.value(), token_value);
    assert_eq!(token.principal(), "svc-producer");
    assert_eq!(token.scope().iter().collect::<Vec<_>>(), ["kafka"]);
    // expires_in (an hour) ends before the JWT's exp (year 2096).
    let left = token
        .expires_at()
        .duration_since(SystemTime::now())
        .unwrap();
    assert!(
        left <= Duration::from_secs(3600) && left > Duration::from_secs(3500),
        "{left:?}"
    );
    assert_eq!(
        handler
            .extensions()
            .unwrap()
            .get("logicalCluster")
            .map(String::as_str),
        Some("lkc-1")
    );
    let seen = server.join().unwrap();
    assert_eq!(seen.len(), 1);
    check_request(&seen[0], Some("kafka+produce"));
}

#[test]
fn service_unavailable_is_retried() {
    let (url, server) = serve(vec![
        "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy".to_string(),
        "HTTP/1.1 429 Too Many Requests\r\nContent-Length: 0\r\n\r\n".to_string(),
        token_response(&good_jwt()),
    ]);
    let handler = OAuthBearerLoginCallbackHandler::new(&settings(&url), &options(None)).unwrap();
    assert_eq!(handler.token().unwrap().principal(), "svc-producer");
    let seen = server.join().unwrap();
    assert_eq!(seen.len(), 3);
    for s in &seen {
        check_request(s, None);
    }
}

#[test]
fn unauthorized_is_not_retried() {
    let body =
        json!({"error": "invalid_client", "error_description": "Client authentication failed"})
            .to_string();
    let (url, server) = serve(vec![format!(
        "HTTP/1.1 401 Unauthorized\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )]);
    let handler = OAuthBearerLoginCallbackHandler::new(&settings(&url), &options(None)).unwrap();
    let e = handler.token().unwrap_err();
    let Error::Authentication { message, .. } = &e else {
        panic!("{e:?}")
    };
    assert!(
        message.contains("401") && message.contains("invalid_client"),
        "{message}"
    );
    assert!(!message.contains(SECRET) && !e.to_string().contains(SECRET));
    // One request only: the server thread ends after it; a retry would not connect.
    assert_eq!(server.join().unwrap().len(), 1);
}

#[test]
fn retries_end_after_backoff_max() {
    let busy = "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n".to_string();
    let (url, server) = serve(vec![busy.clone(), busy.clone(), busy]);
    let mut s = settings(&url);
    // 10 ms, then 20 ms: the deadline (25 ms) cuts the second wait, and attempts stop there.
    s.retry_backoff_max = Duration::from_millis(25);
    let handler = OAuthBearerLoginCallbackHandler::new(&s, &options(None)).unwrap();
    let e = handler.token().unwrap_err().to_string();
    assert!(e.contains("500") && e.contains("attempt(s)"), "{e}");
    let attempts: usize = e
        .split(" attempt(s)")
        .next()
        .and_then(|head| head.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!((2..=3).contains(&attempts), "{e}");
    // Let the server thread end: one dummy request per response not asked for.
    let addr = url
        .trim_start_matches("http://")
        .trim_end_matches("/oauth2/token")
        .to_string();
    for _ in attempts..3 {
        let mut c = std::net::TcpStream::connect(&addr).unwrap();
        c.write_all(b"POST / HTTP/1.1\r\n\r\n").unwrap();
    }
    assert_eq!(server.join().unwrap().len(), 3);
}

#[test]
fn malformed_token_is_rejected() {
    let (url, server) = serve(vec![token_response("not-a-jwt")]);
    let handler = OAuthBearerLoginCallbackHandler::new(&settings(&url), &options(None)).unwrap();
    let e = handler.token().unwrap_err().to_string();
    assert!(
        e.contains("Malformed JWT") && !e.contains("not-a-jwt"),
        "{e}"
    );
    server.join().unwrap();

    let no_sub = jwt(&json!({"exp": 4_000_000_000u64}));
    let (url, server) = serve(vec![token_response(&no_sub)]);
    let handler = OAuthBearerLoginCallbackHandler::new(&settings(&url), &options(None)).unwrap();
    assert!(
        handler
            .token()
            .unwrap_err()
            .to_string()
            .contains("sub value must be non-null")
    );
    server.join().unwrap();
}

#[test]
fn chunked_response() {
    let body = json!({"access_token": good_jwt()}).to_string();
    let (a, b) = body.split_at(body.len() / 2);
    let response = format!(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{a}\r\n{:x}\r\n{b}\r\n0\r\n\r\n",
        a.len(),
        b.len()
    );
    let (url, server) = serve(vec![response]);
    let handler = OAuthBearerLoginCallbackHandler::new(&settings(&url), &options(None)).unwrap();
    let token = handler.token().unwrap();
    assert_eq!(token.value(), good_jwt());
    // No expires_in: the JWT's exp.
    assert_eq!(
        token.expires_at(),
        std::time::UNIX_EPOCH + Duration::from_secs(4_000_000_000)
    );
    server.join().unwrap();
}

#[test]
fn connection_refused_is_an_error_after_retries() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/token", listener.local_addr().unwrap());
    drop(listener);
    let mut s = settings(&url);
    s.retry_backoff_max = Duration::from_millis(50);
    let handler = OAuthBearerLoginCallbackHandler::new(&s, &options(None)).unwrap();
    let e = handler.token().unwrap_err().to_string();
    assert!(e.contains("Error reading the token endpoint"), "{e}");
}

#[test]
fn file_url() {
    let path = std::env::temp_dir().join(format!("kp-oauth-handler-{}.jwt", std::process::id()));
    std::fs::write(&path, good_jwt()).unwrap();
    let handler = OAuthBearerLoginCallbackHandler::new(
        &settings(&format!("file:{}", path.display())),
        &BTreeMap::new(),
    )
    .unwrap();
    assert_eq!(handler.token().unwrap().principal(), "svc-producer");
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn bad_settings() {
    let cases: Vec<(OAuthBearerLoginSettings, BTreeMap<String, String>, &str)> = vec![
        (
            settings(""),
            options(None),
            "sasl.oauthbearer.token.endpoint.url",
        ),
        (
            settings("ftp://x/"),
            options(None),
            "sasl.oauthbearer.token.endpoint.url",
        ),
        (
            // Neither the config key nor the JAAS option: Java's ConfigException names the key.
            settings("http://127.0.0.1:1/"),
            BTreeMap::new(),
            "sasl.oauthbearer.client.credentials.client.id",
        ),
        (
            settings("http://127.0.0.1:1/"),
            {
                let mut o = options(None);
                o.insert("clientId".into(), "  ".into());
                o
            },
            "sasl.jaas.config",
        ),
        (
            settings("http://127.0.0.1:1/"),
            {
                let mut o = options(None);
                o.insert("extension_auth".into(), "x".into());
                o
            },
            "sasl.jaas.config",
        ),
    ];
    for (s, o, expected_key) in cases {
        match OAuthBearerLoginCallbackHandler::new(&s, &o) {
            Err(Error::Config { key, .. }) => assert_eq!(key, expected_key),
            other => panic!("{s:?}: {other:?}"),
        }
    }
}

#[test]
fn debug_never_shows_secrets() {
    let token_value = good_jwt();
    let (url, server) = serve(vec![token_response(&token_value)]);
    let s = settings(&url);
    let handler = OAuthBearerLoginCallbackHandler::new(&s, &options(None)).unwrap();
    let token = handler.token().unwrap();
    server.join().unwrap();
    let basic = base64::encode_standard(format!("producer-app:{SECRET}").as_bytes());
    for text in [
        format!("{s:?}"),
        format!("{handler:?}"),
        format!("{token:?}"),
        format!("{handler:#?}"),
    ] {
        assert!(!text.contains(SECRET), "{text}");
        assert!(!text.contains(&basic), "{text}");
        assert!(!text.contains(&token_value), "{text}");
    }
    assert!(format!("{handler:?}").contains("127.0.0.1"));
}

#[test]
fn https_to_a_plaintext_server_fails_cleanly() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "https://localhost:{}/token",
        listener.local_addr().unwrap().port()
    );
    let server = std::thread::spawn(move || {
        // Answers each ClientHello with plaintext HTTP, as a misconfigured endpoint would.
        while let Ok((mut stream, _)) = listener.accept() {
            let mut hello = [0u8; 5];
            if stream.read_exact(&mut hello).is_err() {
                break;
            }
            let _ = stream.write_all(token_response(&good_jwt()).as_bytes());
            if hello[0] != 0x16 {
                break; // Not a TLS handshake: the test's stop signal.
            }
        }
    });
    let mut s = settings(&url);
    s.retry_backoff_max = Duration::from_millis(30);
    let handler = OAuthBearerLoginCallbackHandler::new(&s, &options(None)).unwrap();
    let e = handler.token().unwrap_err().to_string();
    assert!(e.contains("Error reading the token endpoint"), "{e}");
    assert!(!e.contains(SECRET));
    let addr = url
        .trim_start_matches("https://")
        .trim_end_matches("/token")
        .to_string();
    std::net::TcpStream::connect(addr)
        .unwrap()
        .write_all(b"stop!")
        .unwrap();
    server.join().unwrap();
}

#[test]
fn default_tls_config_builds() {
    let config = crate::security::sasl::oauthbearer::http_client::default_tls_config().unwrap();
    assert!(std::sync::Arc::ptr_eq(
        &config,
        &crate::security::sasl::oauthbearer::http_client::default_tls_config().unwrap()
    ));
}

// KIP-1139 (Java 4.1's ConfigOrJaas): sasl.oauthbearer.client.credentials.client.id,
// ...client.secret and sasl.oauthbearer.scope first, the JAAS options as the fallback.

/// The log records of the calling thread (test threads are named after their test), captured
/// by a process-wide logger; `None` when another logger was installed first.
mod log_capture {
    use std::sync::{Mutex, OnceLock};

    static LINES: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());
    static INSTALLED: OnceLock<bool> = OnceLock::new();

    struct Capture;

    impl log::Log for Capture {
        fn enabled(&self, _: &log::Metadata<'_>) -> bool {
            true
        }
        fn log(&self, record: &log::Record<'_>) {
            let thread = std::thread::current().name().unwrap_or("").to_string();
            let line = format!("{} {}", record.level(), record.args());
            LINES.lock().unwrap().push((thread, line));
        }
        fn flush(&self) {}
    }

    static CAPTURE: Capture = Capture;

    /// Installs the logger (once); true when it is the process's logger.
    pub(super) fn install() -> bool {
        *INSTALLED.get_or_init(|| {
            let ok = log::set_logger(&CAPTURE).is_ok();
            if ok {
                log::set_max_level(log::LevelFilter::Trace);
            }
            ok
        })
    }

    /// This thread's captured lines.
    pub(super) fn lines() -> Vec<String> {
        let me = std::thread::current().name().unwrap_or("").to_string();
        LINES
            .lock()
            .unwrap()
            .iter()
            .filter(|(t, _)| *t == me)
            .map(|(_, l)| l.clone())
            .collect()
    }

    /// Every captured line, of all threads.
    pub(super) fn all() -> Vec<String> {
        LINES
            .lock()
            .unwrap()
            .iter()
            .map(|(_, l)| l.clone())
            .collect()
    }
}

const CONFIG_SECRET: &str = "c0nfig-S3CRET/value";

fn config_settings(url: &str, scope: Option<&str>) -> OAuthBearerLoginSettings {
    OAuthBearerLoginSettings {
        client_id: Some("config-app".to_string()),
        client_secret: Some(Password::new(CONFIG_SECRET)),
        scope: scope.map(str::to_string),
        ..settings(url)
    }
}

fn basic(id: &str, secret: &str) -> String {
    format!(
        "Basic {}",
        base64::encode_standard(format!("{id}:{secret}").as_bytes())
    )
}

#[test]
fn config_keys_alone_give_the_client_credentials() {
    let installed = log_capture::install();
    let (url, server) = serve(vec![token_response(&good_jwt())]);
    // `OAuthBearerLoginModule required;`: no JAAS options at all.
    let handler = OAuthBearerLoginCallbackHandler::new(
        &config_settings(&url, Some("kafka produce")),
        &BTreeMap::new(),
    )
    .unwrap();
    assert_eq!(handler.token().unwrap().principal(), "svc-producer");
    let seen = server.join().unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0].header("Authorization"),
        Some(basic("config-app", CONFIG_SECRET).as_str())
    );
    assert_eq!(
        seen[0].body,
        "grant_type=client_credentials&scope=kafka+produce"
    );
    if installed {
        // No JAAS option used: no deprecation warning.
        let lines = log_capture::lines();
        assert!(!lines.iter().any(|l| l.contains("deprecated")), "{lines:?}");
    }

    // The scope is optional.
    let (url, server) = serve(vec![token_response(&good_jwt())]);
    let handler =
        OAuthBearerLoginCallbackHandler::new(&config_settings(&url, None), &BTreeMap::new())
            .unwrap();
    handler.token().unwrap();
    assert_eq!(
        server.join().unwrap()[0].body,
        "grant_type=client_credentials"
    );
}

#[test]
fn config_keys_win_over_the_jaas_options_with_a_warning() {
    let installed = log_capture::install();
    let (url, server) = serve(vec![token_response(&good_jwt())]);
    // options(): clientId producer-app, clientSecret SECRET, scope jaas-scope.
    let handler = OAuthBearerLoginCallbackHandler::new(
        &config_settings(&url, Some("config-scope")),
        &options(Some("jaas-scope")),
    )
    .unwrap();
    handler.token().unwrap();
    let seen = server.join().unwrap();
    assert_eq!(
        seen[0].header("Authorization"),
        Some(basic("config-app", CONFIG_SECRET).as_str())
    );
    assert_eq!(
        seen[0].body,
        "grant_type=client_credentials&scope=config-scope"
    );
    if installed {
        let lines = log_capture::lines();
        for (key, option) in [
            ("sasl.oauthbearer.client.credentials.client.id", "clientId"),
            (
                "sasl.oauthbearer.client.credentials.client.secret",
                "clientSecret",
            ),
            ("sasl.oauthbearer.scope", "scope"),
        ] {
            let expected = format!(
                "WARN Both the OAuth configuration {key} as well as the JAAS option {option} \
                 (from the sasl.jaas.config configuration) were provided. Since the {option} \
                 JAAS option is deprecated, it will be ignored and the value from the {key} \
                 configuration will be used."
            );
            assert!(
                lines.iter().any(|l| l.starts_with(&expected)),
                "{expected}\n{lines:?}"
            );
        }
    }
}

#[test]
fn each_setting_falls_back_on_its_own() {
    let installed = log_capture::install();
    // Only the client id from the config: secret and scope from JAAS.
    let (url, server) = serve(vec![token_response(&good_jwt())]);
    let s = OAuthBearerLoginSettings {
        client_id: Some("config-app".to_string()),
        ..settings(&url)
    };
    let handler = OAuthBearerLoginCallbackHandler::new(&s, &options(Some("jaas-scope"))).unwrap();
    handler.token().unwrap();
    let seen = server.join().unwrap();
    assert_eq!(
        seen[0].header("Authorization"),
        Some(basic("config-app", SECRET).as_str())
    );
    assert_eq!(
        seen[0].body,
        "grant_type=client_credentials&scope=jaas-scope"
    );
    if installed {
        let lines = log_capture::lines();
        let expected = "WARN The OAuth JAAS option clientSecret was configured in \
                        sasl.jaas.config, but that JAAS option is deprecated and will be removed. \
                        Please update your configuration to use the \
                        sasl.oauthbearer.client.credentials.client.secret configuration instead.";
        assert!(lines.iter().any(|l| l == expected), "{lines:?}");
    }
}

#[test]
fn jaas_options_alone_still_work() {
    let installed = log_capture::install();
    let (url, server) = serve(vec![token_response(&good_jwt())]);
    let handler =
        OAuthBearerLoginCallbackHandler::new(&settings(&url), &options(Some("kafka"))).unwrap();
    handler.token().unwrap();
    check_request(&server.join().unwrap()[0], Some("kafka"));
    if installed {
        let lines = log_capture::lines();
        for option in ["clientId", "clientSecret", "scope"] {
            let head = format!("WARN The OAuth JAAS option {option} was configured in");
            assert!(lines.iter().any(|l| l.starts_with(&head)), "{lines:?}");
        }
    }
}

#[test]
fn a_blank_config_key_is_set_not_a_fallback() {
    // Java: containsKey is true for "", so the JAAS option is not read; required values are
    // then an error, a blank scope is no scope.
    for (s, key) in [
        (
            OAuthBearerLoginSettings {
                client_id: Some(" ".to_string()),
                ..settings("http://127.0.0.1:1/")
            },
            "sasl.oauthbearer.client.credentials.client.id",
        ),
        (
            OAuthBearerLoginSettings {
                client_secret: Some(Password::new("")),
                ..settings("http://127.0.0.1:1/")
            },
            "sasl.oauthbearer.client.credentials.client.secret",
        ),
    ] {
        match OAuthBearerLoginCallbackHandler::new(&s, &options(None)) {
            Err(Error::Config { key: k, message }) => {
                assert_eq!(k, key);
                assert!(message.contains("must be non-empty"), "{message}");
            }
            other => panic!("{other:?}"),
        }
    }
    let (url, server) = serve(vec![token_response(&good_jwt())]);
    let s = OAuthBearerLoginSettings {
        scope: Some(String::new()),
        ..settings(&url)
    };
    let handler = OAuthBearerLoginCallbackHandler::new(&s, &options(Some("jaas-scope"))).unwrap();
    handler.token().unwrap();
    assert_eq!(
        server.join().unwrap()[0].body,
        "grant_type=client_credentials"
    );
}

#[test]
fn missing_secret_names_the_key_and_the_option() {
    let s = OAuthBearerLoginSettings {
        client_id: Some("config-app".to_string()),
        ..settings("http://127.0.0.1:1/")
    };
    match OAuthBearerLoginCallbackHandler::new(&s, &BTreeMap::new()) {
        Err(Error::Config { key, message }) => {
            assert_eq!(key, "sasl.oauthbearer.client.credentials.client.secret");
            assert!(message.contains("clientSecret"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_config_secret_never_shows() {
    let installed = log_capture::install();
    // The endpoint echoes the secret in its error body: masked in the error.
    let body =
        json!({"error": "invalid_client", "error_description": format!("bad {CONFIG_SECRET}")})
            .to_string();
    let (url, server) = serve(vec![format!(
        "HTTP/1.1 401 Unauthorized\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )]);
    let s = config_settings(&url, None);
    let handler = OAuthBearerLoginCallbackHandler::new(&s, &options(None)).unwrap();
    let e = handler.token().unwrap_err();
    server.join().unwrap();
    let encoded = basic("config-app", CONFIG_SECRET);
    let mut texts = vec![
        format!("{s:?}"),
        format!("{s:#?}"),
        format!("{handler:?}"),
        format!("{handler:#?}"),
        format!("{e}"),
        format!("{e:?}"),
    ];
    assert!(
        texts[0].contains("client_secret: Some([hidden])"),
        "{}",
        texts[0]
    );
    assert!(texts[4].contains("invalid_client"), "{}", texts[4]);
    if installed {
        // Every record of every test: none carries the secret.
        texts.extend(log_capture::all());
    }
    for text in &texts {
        assert!(!text.contains(CONFIG_SECRET), "{text}");
        assert!(!text.contains(SECRET), "{text}");
        assert!(!text.contains(&encoded), "{text}");
    }
}

/// The whole path from the producer's properties: `SaslLogin::from_config` gets the first token
/// with the config keys, the JAAS entry having no options.
#[test]
fn producer_config_keys_reach_the_token_endpoint() {
    use crate::config::ProducerConfig;
    use crate::security::sasl::login_manager::SaslLogin;
    let (url, server) = serve(vec![token_response(&good_jwt())]);
    let config = ProducerConfig::from_properties([
        ("bootstrap.servers", "localhost:9092"),
        ("security.protocol", "SASL_PLAINTEXT"),
        ("sasl.mechanism", "OAUTHBEARER"),
        (
            "sasl.jaas.config",
            "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;",
        ),
        ("sasl.oauthbearer.token.endpoint.url", url.as_str()),
        (
            "sasl.oauthbearer.client.credentials.client.id",
            "config-app",
        ),
        (
            "sasl.oauthbearer.client.credentials.client.secret",
            CONFIG_SECRET,
        ),
        ("sasl.oauthbearer.scope", "kafka"),
    ])
    .unwrap();
    assert!(!config.to_string().contains(CONFIG_SECRET));
    let login = SaslLogin::from_config(&config).unwrap().unwrap();
    assert_eq!(login.mechanism_name(), "OAUTHBEARER");
    assert!(!format!("{login:?}").contains(CONFIG_SECRET));
    drop(login);
    let seen = server.join().unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0].header("Authorization"),
        Some(basic("config-app", CONFIG_SECRET).as_str())
    );
    assert_eq!(seen[0].body, "grant_type=client_credentials&scope=kafka");

    // Without them (and without JAAS options) the error names the key.
    let e = SaslLogin::from_config(
        &ProducerConfig::from_properties([
            ("bootstrap.servers", "localhost:9092"),
            ("security.protocol", "SASL_PLAINTEXT"),
            ("sasl.mechanism", "OAUTHBEARER"),
            (
                "sasl.jaas.config",
                "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;",
            ),
            (
                "sasl.oauthbearer.token.endpoint.url",
                "http://127.0.0.1:1/token",
            ),
        ])
        .unwrap(),
    )
    .unwrap_err();
    assert!(
        matches!(&e, Error::Config { key, .. } if key == "sasl.oauthbearer.client.credentials.client.id"),
        "{e:?}"
    );
}
