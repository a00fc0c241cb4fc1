//! OIDC client credentials (Java `HttpAccessTokenRetriever`): POSTs
//! `grant_type=client_credentials[&scope=...]` with HTTP Basic authentication to the token
//! endpoint and reads `access_token` (and `expires_in`) from its JSON answer, retrying I/O
//! errors and HTTP 5xx/408/429 with exponential backoff.

use super::base64;
use super::http_client::{self, HttpUrl};
use crate::config::Password;
use crate::error::Error;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The most characters of an endpoint's error body kept in an error message.
const MAX_ERROR_BODY: usize = 256;

/// What the token endpoint returned. Its `Debug` hides the token.
pub(crate) struct RetrievedAccessToken {
    /// The access token (a JWT).
    pub(crate) access_token: String,
    /// The response's `expires_in`, when present.
    pub(crate) expires_in: Option<Duration>,
}

impl std::fmt::Debug for RetrievedAccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RetrievedAccessToken")
            .field("access_token", &Password::HIDDEN)
            .field("expires_in", &self.expires_in)
            .finish()
    }
}

/// Java `URLEncoder.encode(s, UTF_8)` (form encoding): letters, digits and `.-*_` kept, space
/// as `+`, every other byte `%XX`.
pub(crate) fn form_urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'-' | b'*' | b'_' => {
                out.push(char::from(b))
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn sanitize<'a>(what: &str, value: &'a str) -> Result<&'a str, Error> {
    let value = value.trim();
    if value.is_empty() {
        return Err(Error::Config {
            key: "sasl.jaas.config".to_string(),
            message: format!("{what} value must be non-empty"),
        });
    }
    Ok(value)
}

/// The `Authorization` header (Java `formatAuthorizationHeader`): `Basic ` and the base64 of
/// `clientId:clientSecret`, both trimmed and, when `urlencode`, form-URL-encoded first.
pub(crate) fn format_authorization_header(
    client_id: &str,
    client_secret: &str,
    urlencode: bool,
) -> Result<String, Error> {
    let id = sanitize("the token endpoint request client ID parameter", client_id)?;
    let secret = sanitize(
        "the token endpoint request client secret parameter",
        client_secret,
    )?;
    let pair = if urlencode {
        format!("{}:{}", form_urlencode(id), form_urlencode(secret))
    } else {
        format!("{id}:{secret}")
    };
    Ok(format!(
        "Basic {}",
        base64::encode_standard(pair.as_bytes())
    ))
}

/// The request body (Java `formatRequestBody`).
pub(crate) fn format_request_body(scope: Option<&str>) -> String {
    let mut body = "grant_type=client_credentials".to_string();
    if let Some(scope) = scope.map(str::trim).filter(|s| !s.is_empty()) {
        body.push_str("&scope=");
        body.push_str(&form_urlencode(scope));
    }
    body
}

/// An error body for a message (Java `formatErrorMessage`): `{error - error_description}` of
/// a JSON body, else the body; truncated, with `secret` masked should the endpoint echo it.
fn format_error_body(body: &[u8], secret: &str) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    let formatted = if text.is_empty() {
        "{}".to_string()
    } else {
        match serde_json::from_str::<serde_json::Value>(text) {
            Ok(json) if json.get("error").is_some() => format!(
                "{{{} - {}}}",
                json["error"],
                json.get("error_description")
                    .unwrap_or(&serde_json::Value::Null)
            ),
            Ok(json) if json.get("errorCode").is_some() => format!(
                "{{{} - {}}}",
                json["errorCode"],
                json.get("errorSummary").unwrap_or(&serde_json::Value::Null)
            ),
            _ => format!("{{{text}}}"),
        }
    };
    let masked = if secret.is_empty() {
        formatted
    } else {
        formatted.replace(secret, Password::HIDDEN)
    };
    let mut chars = masked.chars();
    let mut out: String = chars.by_ref().take(MAX_ERROR_BODY).collect();
    if chars.next().is_some() {
        out.push_str("...");
    }
    out
}

/// Reads `access_token` and `expires_in` from the endpoint's JSON answer (Java
/// `parseAccessToken`).
pub(crate) fn parse_access_token(body: &[u8]) -> Result<RetrievedAccessToken, Error> {
    let json: serde_json::Value = serde_json::from_slice(body).map_err(|e| {
        Error::sasl(format!(
            "The token endpoint response is not valid JSON: {e}"
        ))
    })?;
    let access_token = match json
        .get("access_token")
        .and_then(|v| v.as_str())
        .map(str::trim)
    {
        Some(t) if !t.is_empty() => t.to_string(),
        _ => {
            return Err(Error::sasl(
                "The token endpoint response did not contain an access_token value",
            ));
        }
    };
    let expires_in = match json.get("expires_in") {
        Some(serde_json::Value::Number(n)) => n.as_f64(),
        Some(serde_json::Value::String(s)) => s.trim().parse::<f64>().ok(),
        _ => None,
    }
    .filter(|s| s.is_finite() && *s >= 0.0 && *s < 1e10)
    .map(Duration::from_secs_f64);
    Ok(RetrievedAccessToken {
        access_token,
        expires_in,
    })
}

/// One attempt's failure.
enum AttemptError {
    /// I/O error or an HTTP status worth retrying.
    Retriable(String),
    /// A 4xx (but 408 and 429): retrying would fail the same way.
    Fatal(String),
}

/// The retriever: the endpoint and credentials, the retry and timeout settings.
pub(crate) struct HttpAccessTokenRetriever {
    url_text: String,
    url: HttpUrl,
    authorization: Password,
    client_secret: Password,
    scope: Option<String>,
    retry_backoff: Duration,
    retry_backoff_max: Duration,
    connect_timeout: Duration,
    read_timeout: Duration,
    tls: Option<Arc<rustls::ClientConfig>>,
}

impl std::fmt::Debug for HttpAccessTokenRetriever {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpAccessTokenRetriever")
            .field("url", &self.url_text)
            .field("authorization", &self.authorization)
            .field("scope", &self.scope)
            .field("retry_backoff", &self.retry_backoff)
            .field("retry_backoff_max", &self.retry_backoff_max)
            .field("connect_timeout", &self.connect_timeout)
            .field("read_timeout", &self.read_timeout)
            .field("tls", &self.tls.as_ref().map(|_| "custom"))
            .finish()
    }
}

/// The settings of a [`HttpAccessTokenRetriever`] besides the endpoint and credentials.
#[derive(Clone, Debug)]
pub(crate) struct RetrieverTimings {
    pub(crate) retry_backoff: Duration,
    pub(crate) retry_backoff_max: Duration,
    pub(crate) connect_timeout: Duration,
    pub(crate) read_timeout: Duration,
}

impl HttpAccessTokenRetriever {
    /// A retriever for the endpoint `url` (`http://` or `https://`).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        url: &str,
        client_id: &str,
        client_secret: &Password,
        scope: Option<&str>,
        urlencode_header: bool,
        timings: RetrieverTimings,
        tls: Option<Arc<rustls::ClientConfig>>,
    ) -> Result<Self, Error> {
        let parsed = HttpUrl::parse(url).map_err(|message| Error::Config {
            key: "sasl.oauthbearer.token.endpoint.url".to_string(),
            message: format!("{url}: {message}"),
        })?;
        let authorization =
            format_authorization_header(client_id, client_secret.value(), urlencode_header)?;
        Ok(HttpAccessTokenRetriever {
            url_text: url.to_string(),
            url: parsed,
            authorization: Password::new(authorization),
            client_secret: client_secret.clone(),
            scope: scope
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string),
            retry_backoff: timings.retry_backoff,
            retry_backoff_max: timings.retry_backoff_max,
            connect_timeout: timings.connect_timeout,
            read_timeout: timings.read_timeout,
            tls,
        })
    }

    fn attempt(&self) -> Result<Vec<u8>, AttemptError> {
        let body = format_request_body(self.scope.as_deref());
        let headers = [
            ("Accept", "application/json"),
            ("Authorization", self.authorization.value()),
            ("Cache-Control", "no-cache"),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ];
        log::debug!("Requesting an access token from {}", self.url_text);
        let response = http_client::post(
            &self.url,
            &headers,
            body.as_bytes(),
            self.connect_timeout,
            self.read_timeout,
            self.tls.as_ref(),
        )
        .map_err(|e| {
            AttemptError::Retriable(format!(
                "Error reading the token endpoint {}: {e}",
                self.url_text
            ))
        })?;
        match response.status {
            200 | 201 => {
                if response.body.iter().all(u8::is_ascii_whitespace) {
                    Err(AttemptError::Retriable(
                        "The token endpoint response was unexpectedly empty".to_string(),
                    ))
                } else {
                    Ok(response.body)
                }
            }
            status => {
                let error = format_error_body(&response.body, self.client_secret.value());
                log::warn!(
                    "The token endpoint {} returned HTTP status {status}, error: {error}",
                    self.url_text
                );
                if (400..500).contains(&status) && status != 408 && status != 429 {
                    Err(AttemptError::Fatal(format!(
                        "The token endpoint {} returned HTTP status {status} and error response {error}; will not attempt further retries",
                        self.url_text
                    )))
                } else {
                    Err(AttemptError::Retriable(format!(
                        "The token endpoint {} returned the unexpected HTTP status {status} and error response {error}",
                        self.url_text
                    )))
                }
            }
        }
    }

    /// Gets a token, retrying as Java's `Retry`: attempts until `retry_backoff_max` has passed
    /// since the first, waiting `retry_backoff * 2^(attempt - 1)` between them (but never past
    /// that deadline).
    pub(crate) fn retrieve(&self) -> Result<RetrievedAccessToken, Error> {
        let start = Instant::now();
        let end = start + self.retry_backoff_max;
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let error = match self.attempt() {
                Ok(body) => return parse_access_token(&body),
                Err(AttemptError::Fatal(message)) => return Err(Error::sasl(message)),
                Err(AttemptError::Retriable(message)) => message,
            };
            let now = Instant::now();
            let wait = self
                .retry_backoff
                .saturating_mul(
                    1u32.checked_shl(attempt.saturating_sub(1).min(31))
                        .unwrap_or(u32::MAX),
                )
                .min(end.saturating_duration_since(now));
            if wait.is_zero() {
                return Err(Error::sasl(format!(
                    "Could not get an access token after {attempt} attempt(s): {error}"
                )));
            }
            log::warn!(
                "Attempt {attempt} to get an access token failed: {error}; sleeping {} ms before retrying",
                wait.as_millis()
            );
            if super::expiring_credential_refreshing_login::cancellable_sleep(wait) {
                return Err(Error::sasl(format!(
                    "Gave up getting an access token after {attempt} attempt(s): the login was \
                     closed; last error: {error}"
                )));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorization_header_as_java() {
        // Java's HttpAccessTokenRetrieverTest: "id:secret" base64.
        assert_eq!(
            format_authorization_header("id", "secret", false).unwrap(),
            "Basic aWQ6c2VjcmV0"
        );
        assert_eq!(
            format_authorization_header(" id ", " secret ", true).unwrap(),
            "Basic aWQ6c2VjcmV0"
        );
        let header = format_authorization_header("my id", "p@ss:w/rd", true).unwrap();
        let decoded =
            base64::decode_url(&header["Basic ".len()..].replace('+', "-").replace('/', "_"))
                .unwrap();
        assert_eq!(decoded, b"my+id:p%40ss%3Aw%2Frd");
        for (id, secret) in [("", "s"), ("i", " "), ("  ", "s")] {
            assert!(matches!(
                format_authorization_header(id, secret, true),
                Err(Error::Config { .. })
            ));
        }
    }

    #[test]
    fn request_body_as_java() {
        assert_eq!(format_request_body(None), "grant_type=client_credentials");
        assert_eq!(
            format_request_body(Some("  ")),
            "grant_type=client_credentials"
        );
        assert_eq!(
            format_request_body(Some(" api://x/.default read ")),
            "grant_type=client_credentials&scope=api%3A%2F%2Fx%2F.default+read"
        );
        assert_eq!(form_urlencode("aZ09.-*_ é~"), "aZ09.-*_+%C3%A9%7E");
    }

    #[test]
    fn parses_token_response() {
        let t = parse_access_token(
            br#"{"access_token":"a.b.c","token_type":"Bearer","expires_in":3600}"#,
        )
        .unwrap();
        assert_eq!(
            (t.access_token.as_str(), t.expires_in),
            ("a.b.c", Some(Duration::from_secs(3600)))
        );
        let t = parse_access_token(br#"{"access_token":"a.b.c","expires_in":"60"}"#).unwrap();
        assert_eq!(t.expires_in, Some(Duration::from_secs(60)));
        let t = parse_access_token(br#"{"access_token":"a.b.c","expires_in":-1}"#).unwrap();
        assert_eq!(t.expires_in, None);
        for bad in [
            &b"not json"[..],
            b"{}",
            br#"{"access_token":""}"#,
            br#"{"access_token":5}"#,
            b"[]",
        ] {
            assert!(parse_access_token(bad).is_err());
        }
        assert!(!format!("{t:?}").contains("a.b.c"));
    }

    #[test]
    fn error_bodies() {
        assert_eq!(format_error_body(b"", "s3cr3t"), "{}");
        assert_eq!(
            format_error_body(
                br#"{"error":"invalid_client","error_description":"bad s3cr3t"}"#,
                "s3cr3t"
            ),
            r#"{"invalid_client" - "bad [hidden]"}"#
        );
        assert_eq!(
            format_error_body(br#"{"errorCode":"E1","errorSummary":"x"}"#, ""),
            r#"{"E1" - "x"}"#
        );
        assert_eq!(format_error_body(b"oops", "s3cr3t"), "{oops}");
        let long = format_error_body(&[b'x'; 5000], "s");
        assert_eq!(long.len(), MAX_ERROR_BODY + 3);
        assert!(long.ends_with("..."));
    }

    #[test]
    fn retry_wait_ends_when_the_login_is_closed() {
        // A port nothing listens on: every attempt fails at once and is retried.
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let retriever = HttpAccessTokenRetriever::new(
            &format!("http://127.0.0.1:{port}/token"),
            "id",
            &Password::new("secret"),
            None,
            true,
            RetrieverTimings {
                retry_backoff: Duration::from_secs(5),
                retry_backoff_max: Duration::from_secs(10),
                connect_timeout: Duration::from_secs(1),
                read_timeout: Duration::from_secs(1),
            },
            None,
        )
        .unwrap();
        let (stop, stopped) = crossbeam_channel::bounded::<()>(1);
        let started = Instant::now();
        let worker = std::thread::spawn(move || {
            super::super::expiring_credential_refreshing_login::set_cancel(stopped);
            retriever.retrieve()
        });
        std::thread::sleep(Duration::from_millis(200));
        drop(stop);
        let e = worker.join().unwrap().unwrap_err();
        let elapsed = started.elapsed();
        assert!(elapsed < Duration::from_secs(2), "{elapsed:?}");
        assert!(e.to_string().contains("closed"), "{e}");
    }
}
