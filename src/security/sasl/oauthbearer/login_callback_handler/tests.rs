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
            settings("http://127.0.0.1:1/"),
            BTreeMap::new(),
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
