//! A small synchronous HTTP/1.1 client for the token endpoint: one request per connection
//! (`Connection: close`), `http://` and `https://` (rustls), responses framed by
//! `Content-Length`, `Transfer-Encoding: chunked` or the end of the stream.

use rustls::pki_types::ServerName;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// The largest response body read (a token endpoint's answer is a few KiB).
const MAX_BODY: u64 = 1 << 20;
/// The longest status or header line read.
const MAX_LINE: u64 = 16 * 1024;
/// The most header lines read in one response (trailer lines of a chunked body included).
const MAX_HEADERS: usize = 200;
/// The most bytes of status, header and trailer lines read in all (interim responses included).
const MAX_HEADER_BYTES: usize = 64 * 1024;

/// `http` or `https`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scheme {
    Http,
    Https,
}

/// An `http(s)://host[:port][/path][?query]` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HttpUrl {
    pub(crate) scheme: Scheme,
    /// Without brackets for IPv6 literals.
    pub(crate) host: String,
    pub(crate) port: u16,
    /// Starts with `/`.
    pub(crate) path_and_query: String,
}

impl HttpUrl {
    /// Parses `url`; the error says what is wrong (user info and fragments are not supported).
    pub(crate) fn parse(url: &str) -> Result<HttpUrl, String> {
        let (scheme, rest) = if let Some(rest) = url.strip_prefix("http://") {
            (Scheme::Http, rest)
        } else if let Some(rest) = url.strip_prefix("https://") {
            (Scheme::Https, rest)
        } else {
            return Err("the URL must start with http://, https:// or file:".to_string());
        };
        let rest = rest.split('#').next().unwrap_or_default();
        let split = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, path) = rest.split_at(split);
        if authority.contains('@') {
            return Err("user information in the URL is not supported".to_string());
        }
        let default_port = if scheme == Scheme::Http { 80 } else { 443 };
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (host, after) = v6.split_once(']').ok_or("unterminated IPv6 address")?;
            match after.strip_prefix(':') {
                Some(p) => (host, p),
                None if after.is_empty() => (host, ""),
                None => return Err("invalid authority".to_string()),
            }
        } else {
            match authority.split_once(':') {
                Some((h, p)) => (h, p),
                None => (authority, ""),
            }
        };
        if host.is_empty() {
            return Err("the URL has no host".to_string());
        }
        let port = if port.is_empty() {
            default_port
        } else {
            port.parse::<u16>()
                .map_err(|_| format!("invalid port \"{port}\""))?
        };
        let path_and_query = match path {
            "" => "/".to_string(),
            p if p.starts_with('?') => format!("/{p}"),
            p => p.to_string(),
        };
        Ok(HttpUrl {
            scheme,
            host: host.to_string(),
            port,
            path_and_query,
        })
    }

    fn host_header(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        let default_port = if self.scheme == Scheme::Http { 80 } else { 443 };
        if self.port == default_port {
            host
        } else {
            format!("{host}:{}", self.port)
        }
    }
}

/// A response: its status code and body (already de-chunked).
#[derive(Debug)]
pub(crate) struct HttpResponse {
    pub(crate) status: u16,
    pub(crate) body: Vec<u8>,
}

/// The TLS settings used when the caller gives none: the OS trust roots, built once.
pub(crate) fn default_tls_config() -> io::Result<Arc<rustls::ClientConfig>> {
    static CONFIG: OnceLock<Result<Arc<rustls::ClientConfig>, String>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let mut roots = rustls::RootCertStore::empty();
            let loaded = rustls_native_certs::load_native_certs();
            for error in &loaded.errors {
                log::warn!("Could not load an OS trust root: {error}");
            }
            let (added, ignored) = roots.add_parsable_certificates(loaded.certs);
            log::debug!("Loaded {added} OS trust roots ({ignored} ignored)");
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .map(|b| Arc::new(b.with_root_certificates(roots).with_no_client_auth()))
                .map_err(|e| e.to_string())
        })
        .clone()
        .map_err(io::Error::other)
}

fn connect(url: &HttpUrl, connect_timeout: Duration) -> io::Result<TcpStream> {
    let mut last = io::Error::new(
        io::ErrorKind::NotFound,
        format!("{} resolves to no address", url.host),
    );
    for addr in (url.host.as_str(), url.port).to_socket_addrs()? {
        match TcpStream::connect_timeout(&addr, connect_timeout) {
            Ok(stream) => return Ok(stream),
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// A TCP stream whose every read and write must end by `deadline`: each one checks it first
/// and shrinks the socket timeout to the time left, so that a server sending a byte now and
/// then cannot keep the exchange going past it.
struct DeadlineStream {
    stream: TcpStream,
    deadline: Instant,
}

fn timed_out() -> io::Error {
    io::Error::new(
        io::ErrorKind::TimedOut,
        "the HTTP exchange with the token endpoint timed out",
    )
}

/// A socket timeout (`WouldBlock` on Unix) as [`timed_out`].
fn socket_timeout(e: io::Error) -> io::Error {
    match e.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => timed_out(),
        _ => e,
    }
}

impl DeadlineStream {
    fn time_left(&self) -> io::Result<Duration> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            Err(timed_out())
        } else {
            Ok(left)
        }
    }
}

impl Read for DeadlineStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.time_left()?;
        self.stream.set_read_timeout(Some(left))?;
        self.stream.read(buf).map_err(socket_timeout)
    }
}

impl Write for DeadlineStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let left = self.time_left()?;
        self.stream.set_write_timeout(Some(left))?;
        self.stream.write(buf).map_err(socket_timeout)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.stream.flush()
    }
}

/// Sends one POST request and reads the response. `headers` are added after `Host`,
/// `Content-Length` and `Connection: close`. Each address is tried for `connect_timeout`; then
/// the whole exchange (TLS handshake, request, response) must end within `read_timeout`.
pub(crate) fn post(
    url: &HttpUrl,
    headers: &[(&str, &str)],
    body: &[u8],
    connect_timeout: Duration,
    read_timeout: Duration,
    tls: Option<&Arc<rustls::ClientConfig>>,
) -> io::Result<HttpResponse> {
    let stream = DeadlineStream {
        stream: connect(url, connect_timeout)?,
        deadline: Instant::now() + read_timeout,
    };
    let mut request = format!(
        "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Length: {}\r\nConnection: close\r\n",
        url.path_and_query,
        url.host_header(),
        body.len()
    )
    .into_bytes();
    for (name, value) in headers {
        request.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    request.extend_from_slice(b"\r\n");
    request.extend_from_slice(body);
    match url.scheme {
        Scheme::Http => exchange(stream, &request),
        Scheme::Https => {
            let config = match tls {
                Some(c) => c.clone(),
                None => default_tls_config()?,
            };
            let name = ServerName::try_from(url.host.clone()).map_err(|e| {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("invalid host name: {e}"),
                )
            })?;
            let conn = rustls::ClientConnection::new(config, name).map_err(io::Error::other)?;
            exchange(rustls::StreamOwned::new(conn, stream), &request)
        }
    }
}

fn exchange<S: Read + Write>(mut stream: S, request: &[u8]) -> io::Result<HttpResponse> {
    stream.write_all(request)?;
    stream.flush()?;
    read_response(BufReader::new(stream))
}

fn invalid(message: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message.into())
}

/// Reads a status, header or trailer line, counting its bytes against `budget`.
fn read_line<R: BufRead>(reader: &mut R, budget: &mut usize) -> io::Result<String> {
    let mut line = Vec::new();
    let limit = MAX_LINE.min(*budget as u64 + 1);
    reader.take(limit).read_until(b'\n', &mut line)?;
    if line.len() > *budget {
        return Err(invalid("HTTP response header too large"));
    }
    *budget -= line.len();
    if line.last() != Some(&b'\n') {
        return Err(if line.len() as u64 >= MAX_LINE {
            invalid("HTTP line too long")
        } else {
            io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the connection closed in the HTTP response header",
            )
        });
    }
    let text = String::from_utf8_lossy(&line);
    Ok(text.trim_end_matches(['\r', '\n']).to_string())
}

/// The most interim (1xx) responses skipped before the final one.
const MAX_INTERIM: usize = 8;

/// Reads a response from `reader`: status line, headers, body; interim (1xx) responses, such
/// as `100 Continue`, are skipped.
pub(crate) fn read_response<R: BufRead>(mut reader: R) -> io::Result<HttpResponse> {
    let mut budget = MAX_HEADER_BYTES;
    for _ in 0..MAX_INTERIM {
        if let Some(response) = read_one_response(&mut reader, &mut budget)? {
            return Ok(response);
        }
    }
    Err(invalid("too many interim HTTP responses"))
}

/// One response, `None` for an interim one.
fn read_one_response<R: BufRead>(
    mut reader: R,
    budget: &mut usize,
) -> io::Result<Option<HttpResponse>> {
    let status_line = read_line(&mut reader, budget)?;
    let mut parts = status_line.split_whitespace();
    let version = parts.next().unwrap_or_default();
    if !version.starts_with("HTTP/1.") {
        return Err(invalid("not an HTTP/1.x response"));
    }
    let status = parts
        .next()
        .and_then(|s| s.parse::<u16>().ok())
        .filter(|s| (100..=999).contains(s))
        .ok_or_else(|| invalid("invalid HTTP status line"))?;
    let mut content_length = None;
    let mut chunked = false;
    let mut count = 0;
    loop {
        let line = read_line(&mut reader, budget)?;
        if line.is_empty() {
            break;
        }
        count += 1;
        if count > MAX_HEADERS {
            return Err(invalid("too many HTTP headers"));
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err(invalid("invalid HTTP header line"));
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            content_length = Some(
                value
                    .parse::<u64>()
                    .map_err(|_| invalid("invalid Content-Length"))?,
            );
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = value
                .to_ascii_lowercase()
                .split(',')
                .any(|v| v.trim() == "chunked");
        }
    }
    if (100..200).contains(&status) {
        return Ok(None);
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            // Chunk framing is bounded by MAX_BODY and the deadline, not the header budget.
            let line = read_line(&mut reader, &mut (MAX_LINE as usize))?;
            let size = line.split(';').next().unwrap_or_default().trim();
            let size = u64::from_str_radix(size, 16).map_err(|_| invalid("invalid chunk size"))?;
            if size == 0 {
                // Trailers, up to the empty line, counted with the headers.
                while !read_line(&mut reader, budget)?.is_empty() {
                    count += 1;
                    if count > MAX_HEADERS {
                        return Err(invalid("too many HTTP headers and trailers"));
                    }
                }
                break;
            }
            if (body.len() as u64).saturating_add(size) > MAX_BODY {
                return Err(invalid("HTTP response body too large"));
            }
            let read = (&mut reader).take(size).read_to_end(&mut body)?;
            if read as u64 != size {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the connection closed in a chunk",
                ));
            }
            if !read_line(&mut reader, &mut (MAX_LINE as usize))?.is_empty() {
                return Err(invalid("missing CRLF after a chunk"));
            }
        }
    } else if let Some(length) = content_length {
        if length > MAX_BODY {
            return Err(invalid("HTTP response body too large"));
        }
        let read = (&mut reader).take(length).read_to_end(&mut body)?;
        if read as u64 != length {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the connection closed in the body",
            ));
        }
    } else if status != 204 && status != 304 {
        (&mut reader).take(MAX_BODY + 1).read_to_end(&mut body)?;
        if body.len() as u64 > MAX_BODY {
            return Err(invalid("HTTP response body too large"));
        }
    }
    Ok(Some(HttpResponse { status, body }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_urls() {
        let u = HttpUrl::parse("https://idp.example.com/oauth2/token?x=1#frag").unwrap();
        assert_eq!(
            (u.scheme, u.host.as_str(), u.port, u.path_and_query.as_str()),
            (Scheme::Https, "idp.example.com", 443, "/oauth2/token?x=1")
        );
        assert_eq!(u.host_header(), "idp.example.com");
        let u = HttpUrl::parse("http://[::1]:8080").unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.path_and_query.as_str()),
            ("::1", 8080, "/")
        );
        assert_eq!(u.host_header(), "[::1]:8080");
        let u = HttpUrl::parse("http://h?q").unwrap();
        assert_eq!(u.path_and_query, "/?q");
        for bad in [
            "ftp://h/",
            "http://",
            "http://h:99999/",
            "http://u:p@h/",
            "http://[::1/",
            "http://:80/",
        ] {
            assert!(HttpUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn reads_responses() {
        let r =
            read_response(&b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloextra"[..]).unwrap();
        assert_eq!((r.status, &r.body[..]), (200, &b"hello"[..]));
        let r = read_response(&b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nhel\r\n2\r\nlo\r\n0\r\nT: v\r\n\r\n"[..]).unwrap();
        assert_eq!(r.body, b"hello");
        let r = read_response(&b"HTTP/1.0 503 Busy\r\n\r\nbody to eof"[..]).unwrap();
        assert_eq!((r.status, &r.body[..]), (503, &b"body to eof"[..]));
        let r = read_response(
            &b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"[..],
        )
        .unwrap();
        assert_eq!(r.status, 201);
    }

    #[test]
    fn rejects_bad_responses_without_panicking() {
        let interim = b"HTTP/1.1 100 Continue\r\n\r\n".repeat(100);
        let mut many_headers = b"HTTP/1.1 200 OK\r\n".to_vec();
        many_headers.extend(
            format!("X: {}\r\n", "a".repeat(1000))
                .repeat(100)
                .as_bytes(),
        );
        many_headers.extend(b"\r\n");
        let cases: Vec<&[u8]> = vec![
            b"",
            b"SSH-2.0\r\n\r\n",
            b"HTTP/1.1 abc OK\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
            b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX\r\n0\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nno colon\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nA: b",
            &interim,
            // Headers over the byte budget (within the line count).
            &many_headers,
        ];
        for case in cases {
            assert!(
                read_response(case).is_err(),
                "{}",
                String::from_utf8_lossy(case)
            );
        }
    }

    /// `prefix`, then `pattern` repeated forever.
    struct Endless {
        prefix: std::io::Cursor<Vec<u8>>,
        pattern: &'static [u8],
        at: usize,
    }

    impl Read for Endless {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.prefix.read(buf)?;
            if n > 0 {
                return Ok(n);
            }
            for b in buf.iter_mut() {
                *b = self.pattern[self.at];
                self.at = (self.at + 1) % self.pattern.len();
            }
            Ok(buf.len())
        }
    }

    #[test]
    fn endless_trailers_or_headers_are_refused() {
        for (prefix, pattern) in [
            (
                &b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n"[..],
                &b"T: v\r\n"[..],
            ),
            (&b"HTTP/1.1 200 OK\r\n"[..], &b"H: v\r\n"[..]),
            (
                &b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n"[..],
                &b"Trailer-With-A-Long-Name-To-Use-The-Byte-Budget: v\r\n"[..],
            ),
        ] {
            let reader = Endless {
                prefix: std::io::Cursor::new(prefix.to_vec()),
                pattern,
                at: 0,
            };
            let e = read_response(BufReader::new(reader)).unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::InvalidData, "{e}");
        }
    }

    #[test]
    fn slow_drip_server_hits_the_deadline() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            let (mut socket, _) = listener.accept().unwrap();
            let mut request = [0u8; 4096];
            let _ = socket.read(&mut request);
            if socket.write_all(b"HTTP/1.1 200 OK\r\nX: ").is_err() {
                return;
            }
            // One byte every 50 ms, until the client goes away.
            while socket.write_all(b"a").is_ok() {
                std::thread::sleep(Duration::from_millis(50));
            }
        });
        let url = HttpUrl::parse(&format!("http://127.0.0.1:{port}/token")).unwrap();
        let started = Instant::now();
        let e = post(
            &url,
            &[],
            b"x",
            Duration::from_secs(5),
            Duration::from_millis(500),
            None,
        )
        .unwrap_err();
        let elapsed = started.elapsed();
        assert_eq!(e.kind(), io::ErrorKind::TimedOut, "{e}");
        assert!(elapsed < Duration::from_millis(1500), "{elapsed:?}");
    }
}
