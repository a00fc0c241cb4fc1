//! One non-blocking broker connection.

use super::transport::{TransportLayer, tls_error_of};
use super::{Chunk, OutboundRequest};
use crate::protocol::frame::{SIZE_PREFIX, try_frame};
use crate::protocol::versions::ApiVersions;
use crate::protocol::{ApiKey, DecodeError};
use mio::net::TcpStream;
use mio::{Interest, Registry, Token};
use std::collections::VecDeque;
use std::io::{self, IoSlice};
use std::net::SocketAddr;
use std::time::Instant;

/// Largest response frame accepted (100 MiB, size prefix not counted): a larger announced
/// size closes the connection, so garbage on the wire cannot make the client buffer gigabytes.
/// The read buffer grows only as a frame's bytes arrive (see [`ReadBuffer`]), so a frame
/// header announcing this much costs nothing until the bytes come.
pub(crate) const MAX_RESPONSE_SIZE: usize = 100 * 1024 * 1024;

/// The read buffer's size when a connection opens, and the size it goes back to once a large
/// response has been read.
pub(crate) const INITIAL_READ_BUFFER: usize = 64 * 1024;

/// Bytes read from a connection and not yet cut into frames. The buffer starts at
/// [`INITIAL_READ_BUFFER`] bytes and, when full, doubles, bounded by the end of the frame being
/// read (itself at most [`MAX_RESPONSE_SIZE`] plus the size prefix): memory follows the bytes
/// that arrived, never the size a frame header announces.
#[derive(Debug)]
pub(crate) struct ReadBuffer {
    buf: Vec<u8>,
    len: usize,
}

impl Default for ReadBuffer {
    fn default() -> Self {
        ReadBuffer::new()
    }
}

impl ReadBuffer {
    /// An empty buffer of [`INITIAL_READ_BUFFER`] bytes.
    pub(crate) fn new() -> Self {
        ReadBuffer {
            buf: vec![0; INITIAL_READ_BUFFER],
            len: 0,
        }
    }

    /// Bytes allocated.
    #[cfg(test)]
    pub(crate) fn capacity(&self) -> usize {
        self.buf.len()
    }

    /// The bytes read and not consumed.
    pub(crate) fn filled(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    /// The end of the frame at the start of the buffer (size prefix included), capped at the
    /// largest frame accepted, once its size prefix is here.
    fn frame_end(&self) -> Option<usize> {
        let b = self
            .buf
            .get(..SIZE_PREFIX)
            .filter(|_| self.len >= SIZE_PREFIX)?;
        let size = usize::try_from(i32::from_be_bytes([b[0], b[1], b[2], b[3]])).ok()?;
        Some(size.min(MAX_RESPONSE_SIZE) + SIZE_PREFIX)
    }

    /// Room to read into (never empty): a full buffer first doubles, but not beyond the end
    /// of the frame being read.
    pub(crate) fn spare(&mut self) -> &mut [u8] {
        if self.len == self.buf.len() {
            let mut target = self.buf.len().saturating_mul(2).max(INITIAL_READ_BUFFER);
            if let Some(end) = self.frame_end().filter(|&end| end > self.len) {
                target = target.min(end);
            }
            self.buf.resize(target, 0);
        }
        &mut self.buf[self.len..]
    }

    /// Records that `n` bytes were read into [`spare`](Self::spare).
    pub(crate) fn advance(&mut self, n: usize) {
        self.len = (self.len + n).min(self.buf.len());
    }

    /// Drops the first `n` bytes (frames taken out).
    pub(crate) fn consume(&mut self, n: usize) {
        let n = n.min(self.len);
        self.buf.copy_within(n..self.len, 0);
        self.len -= n;
    }

    /// Goes back to [`INITIAL_READ_BUFFER`] bytes when empty after a large response.
    pub(crate) fn shrink_if_empty(&mut self) {
        if self.len == 0 && self.buf.len() > 1024 * 1024 {
            self.buf = vec![0; INITIAL_READ_BUFFER];
        }
    }
}

/// Where the connection is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ConnState {
    /// TCP connect in progress.
    Connecting,
    /// Connected; the TLS handshake is in progress (`security.protocol=SSL`).
    TlsHandshake,
    /// Connected; the ApiVersions handshake is in flight.
    Handshake,
    /// The SASL exchange is in flight (after the ApiVersions handshake; also while
    /// re-authenticating).
    Authenticating,
    /// Ready for requests.
    Ready,
}

impl ConnState {
    /// Whether the connection is still being set up (TCP connect, TLS handshake): the time
    /// `socket.connection.setup.timeout.ms` bounds.
    pub(crate) fn is_setting_up(self) -> bool {
        matches!(self, ConnState::Connecting | ConnState::TlsHandshake)
    }
}

/// A request written (or being written) whose response is awaited.
#[derive(Debug)]
pub(crate) struct InFlight {
    /// The API.
    pub api: ApiKey,
    /// Its version.
    pub version: i16,
    /// Its correlation id.
    pub correlation_id: i32,
    /// Whether a response will come.
    pub expect_response: bool,
    /// When `send` was called.
    pub sent_at: Instant,
    /// Whether every byte was written.
    pub written: bool,
}

struct PendingWrite {
    chunks: Vec<Chunk>,
    chunk: usize,
    offset: usize,
    correlation_id: i32,
    /// The request's bytes (the `request-size-*` metrics).
    size: usize,
}

/// A received response frame, matched with its request.
#[derive(Debug)]
pub(crate) struct Received {
    /// The request it answers.
    pub request: InFlight,
    /// The frame payload after the size prefix (header included).
    pub payload: Vec<u8>,
}

/// One connection to one broker.
pub(crate) struct Connection {
    /// The broker's node id.
    pub node: i32,
    /// The address connected to.
    pub addr: SocketAddr,
    /// The mio token.
    pub token: Token,
    transport: TransportLayer,
    /// The state.
    pub state: ConnState,
    /// When the connect started.
    pub connect_started: Instant,
    /// Last read or write.
    pub last_activity: Instant,
    /// Bytes read by the last [`read`](Self::read) (the `incoming-byte` metrics).
    pub bytes_read: usize,
    /// Negotiated versions (after the handshake).
    pub api_versions: Option<ApiVersions>,
    /// The ApiVersions version being tried in the handshake.
    pub handshake_version: i16,
    read_buf: ReadBuffer,
    writes: VecDeque<PendingWrite>,
    /// Requests sent and not yet answered, in order.
    pub in_flight: VecDeque<InFlight>,
    writable_interest: bool,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("node", &self.node)
            .field("addr", &self.addr)
            .field("state", &self.state)
            .field("in_flight", &self.in_flight.len())
            .finish()
    }
}

impl Connection {
    /// Starts a non-blocking connect and registers it for readiness. With a TLS session
    /// (`tls`), the TLS handshake follows the TCP connect ([`ConnState::TlsHandshake`]).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn connect(
        node: i32,
        addr: SocketAddr,
        token: Token,
        registry: &Registry,
        send_buffer: i32,
        receive_buffer: i32,
        tls: Option<rustls::ClientConnection>,
        now: Instant,
    ) -> io::Result<Self> {
        let mut stream = open_socket(addr, send_buffer, receive_buffer)?;
        registry.register(&mut stream, token, Interest::READABLE | Interest::WRITABLE)?;
        Ok(Connection {
            node,
            addr,
            token,
            transport: TransportLayer::new(stream, tls),
            state: ConnState::Connecting,
            connect_started: now,
            last_activity: now,
            bytes_read: 0,
            api_versions: None,
            handshake_version: ApiKey::ApiVersions.supported_versions().1,
            read_buf: ReadBuffer::new(),
            writes: VecDeque::new(),
            in_flight: VecDeque::new(),
            writable_interest: true,
        })
    }

    /// Checks a connect in progress; `Ok(true)` once connected.
    pub(crate) fn finish_connect(&mut self) -> io::Result<bool> {
        if let Some(e) = self.transport.stream().take_error()? {
            return Err(e);
        }
        match self.transport.stream().peer_addr() {
            Ok(_) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(false),
            Err(e) if connect_in_progress(&e) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Whether the connection uses TLS.
    pub(crate) fn is_tls(&self) -> bool {
        self.transport.is_tls()
    }

    /// Drives the TLS handshake (see [`TransportLayer::handshake`]): `Ok(true)` once done.
    pub(crate) fn tls_handshake(&mut self, now: Instant) -> io::Result<bool> {
        let done = self.transport.handshake()?;
        self.last_activity = now;
        Ok(done)
    }

    /// Whether another request may be queued (one write at a time, as Java).
    pub(crate) fn can_send_more(&self, max_in_flight: usize) -> bool {
        self.writes.is_empty() && self.in_flight.len() < max_in_flight
    }

    /// Queues a request for writing.
    pub(crate) fn enqueue(&mut self, req: OutboundRequest, now: Instant) {
        self.in_flight.push_back(InFlight {
            api: req.api,
            version: req.version,
            correlation_id: req.correlation_id,
            expect_response: req.expect_response,
            sent_at: now,
            written: false,
        });
        let size = req.chunks.iter().map(|c| c.as_slice().len()).sum();
        self.writes.push_back(PendingWrite {
            size,
            chunks: req.chunks,
            chunk: 0,
            offset: 0,
            correlation_id: req.correlation_id,
        });
    }

    /// Writes as much as the socket takes. Returns the correlation ids and sizes of requests
    /// written completely, and the bytes written.
    pub(crate) fn write(&mut self, now: Instant) -> io::Result<(Vec<(i32, usize)>, usize)> {
        let mut done = Vec::new();
        let mut written = 0usize;
        // TLS records rustls still holds go first.
        self.transport.flush()?;
        while let Some(w) = self.writes.front_mut() {
            let mut slices: Vec<IoSlice<'_>> = Vec::with_capacity(w.chunks.len() - w.chunk);
            for (i, c) in w.chunks.iter().enumerate().skip(w.chunk) {
                let s = c.as_slice();
                let s = if i == w.chunk { &s[w.offset..] } else { s };
                if !s.is_empty() {
                    slices.push(IoSlice::new(s));
                }
                if slices.len() >= 64 {
                    break;
                }
            }
            if slices.is_empty() {
                let id = (w.correlation_id, w.size);
                self.writes.pop_front();
                done.push(id);
                continue;
            }
            let n = match self.transport.write_vectored(&slices) {
                Ok(0) => return Err(io::Error::new(io::ErrorKind::WriteZero, "socket closed")),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            self.last_activity = now;
            written += n;
            let mut left = n;
            while left > 0 {
                let len = w.chunks[w.chunk].as_slice().len() - w.offset;
                if left >= len {
                    left -= len;
                    w.chunk += 1;
                    w.offset = 0;
                } else {
                    w.offset += left;
                    left = 0;
                }
            }
            // Skip empty chunks and finish the request when all are written.
            while w.chunk < w.chunks.len() && w.chunks[w.chunk].as_slice().len() == w.offset {
                w.chunk += 1;
                w.offset = 0;
            }
            if w.chunk >= w.chunks.len() {
                let id = (w.correlation_id, w.size);
                self.writes.pop_front();
                done.push(id);
            }
        }
        for (id, _) in &done {
            if let Some(f) = self.in_flight.iter_mut().find(|f| f.correlation_id == *id) {
                f.written = true;
            }
        }
        Ok((done, written))
    }

    /// Whether bytes are waiting to be written (requests, or TLS records in rustls).
    pub(crate) fn has_pending_writes(&self) -> bool {
        !self.writes.is_empty() || self.transport.wants_write()
    }

    /// Turns write interest on or off as the queue requires.
    pub(crate) fn update_interest(&mut self, registry: &Registry) -> io::Result<()> {
        let want = self.has_pending_writes() || self.state == ConnState::Connecting;
        if want != self.writable_interest {
            let interest = if want {
                Interest::READABLE | Interest::WRITABLE
            } else {
                Interest::READABLE
            };
            registry.reregister(self.transport.stream_mut(), self.token, interest)?;
            self.writable_interest = want;
        }
        Ok(())
    }

    /// Reads what the socket has and returns the complete response frames, matched with their
    /// requests in order, and whether the connection is still good: a closed socket, a bad
    /// frame size, or a frame no request waits for is an error (the frames read before it are
    /// still returned).
    pub(crate) fn read(&mut self, now: Instant) -> (Vec<Received>, Result<(), ReadError>) {
        let mut out = Vec::new();
        self.bytes_read = 0;
        loop {
            match self.transport.read(self.read_buf.spare()) {
                Ok(0) => {
                    let result =
                        self.extract_frames(&mut out)
                            .and(Err(ReadError::Io(io::Error::new(
                                io::ErrorKind::UnexpectedEof,
                                "connection closed by the broker",
                            ))));
                    return (out, result);
                }
                Ok(n) => {
                    self.bytes_read += n;
                    self.read_buf.advance(n);
                    self.last_activity = now;
                    if let Err(e) = self.extract_frames(&mut out) {
                        return (out, Err(e));
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                // A TLS alert before any response (TLS 1.3: a rejected client certificate).
                Err(e) if tls_error_of(&e).is_some() && self.transport.in_post_handshake() => {
                    return (out, Err(ReadError::Authentication(e)));
                }
                Err(e) => return (out, Err(ReadError::Io(e))),
            }
        }
        // Shrink a buffer that grew for a large response.
        self.read_buf.shrink_if_empty();
        (out, Ok(()))
    }

    fn extract_frames(&mut self, out: &mut Vec<Received>) -> Result<(), ReadError> {
        let mut start = 0;
        while let Some(n) = try_frame(&self.read_buf.filled()[start..], MAX_RESPONSE_SIZE)
            .map_err(ReadError::Decode)?
        {
            let payload = self.read_buf.filled()[start + SIZE_PREFIX..start + n].to_vec();
            start += n;
            // Requests without a response (acks=0) never match a frame.
            let pos = self.in_flight.iter().position(|f| f.expect_response);
            let Some(pos) = pos else {
                return Err(ReadError::Unexpected(
                    "received a response while no request was waiting".into(),
                ));
            };
            let request = self.in_flight.remove(pos).expect("position is valid");
            out.push(Received { request, payload });
        }
        self.read_buf.consume(start);
        Ok(())
    }

    /// Removes requests without a response once fully written (acks=0).
    /// Whether TLS records wait in rustls for the socket.
    #[cfg(test)]
    pub(crate) fn transport_wants_write(&self) -> bool {
        self.transport.wants_write()
    }

    /// Over TLS a request counts as written once rustls has sent all its records to the
    /// socket, not when rustls took the plaintext (Java waits for the transport too).
    pub(crate) fn take_written_without_response(&mut self) -> Vec<InFlight> {
        let mut out = Vec::new();
        if self.transport.wants_write() {
            return out;
        }
        let mut i = 0;
        while i < self.in_flight.len() {
            if !self.in_flight[i].expect_response && self.in_flight[i].written {
                out.push(self.in_flight.remove(i).expect("index is valid"));
            } else {
                i += 1;
            }
        }
        out
    }

    /// Deregisters and closes the socket (TLS: close_notify first, best-effort); returns the
    /// requests that got no response.
    pub(crate) fn close(mut self, registry: &Registry) -> Vec<InFlight> {
        let _ = registry.deregister(self.transport.stream_mut());
        self.transport.close();
        self.in_flight.drain(..).collect()
    }
}

/// Why reading failed.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// The socket failed or closed.
    Io(io::Error),
    /// The bytes are not valid framing.
    Decode(DecodeError),
    /// A response nobody asked for.
    Unexpected(String),
    /// A TLS error right after the handshake, before any response: the broker rejected the
    /// client (TLS 1.3 reports a refused client certificate only then).
    Authentication(io::Error),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Io(e) => write!(f, "{e}"),
            ReadError::Decode(e) => write!(f, "{e}"),
            ReadError::Unexpected(m) => write!(f, "{m}"),
            ReadError::Authentication(e) => write!(f, "{e}"),
        }
    }
}

/// Opens a non-blocking TCP socket with `send.buffer.bytes` / `receive.buffer.bytes` (-1 keeps
/// the OS default) and TCP_NODELAY, and starts connecting it.
fn open_socket(addr: SocketAddr, send_buffer: i32, receive_buffer: i32) -> io::Result<TcpStream> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_nonblocking(true)?;
    socket.set_tcp_nodelay(true)?;
    if send_buffer >= 0 {
        socket.set_send_buffer_size(send_buffer as usize)?;
    }
    if receive_buffer >= 0 {
        socket.set_recv_buffer_size(receive_buffer as usize)?;
    }
    match socket.connect(&addr.into()) {
        Ok(()) => {}
        Err(e) if connect_in_progress(&e) => {}
        Err(e) => return Err(e),
    }
    Ok(TcpStream::from_std(socket.into()))
}

/// Whether an error of a non-blocking connect (or of `peer_addr` while it runs) only means
/// "not connected yet": `EINPROGRESS` on Unix, whatever its number (115 on Linux, 36 on macOS
/// and the BSDs), and `WSAEWOULDBLOCK` on Windows ([`io::ErrorKind::WouldBlock`]), as mio's own
/// connect treats them. std decodes `EINPROGRESS` on every Unix as `ErrorKind::InProgress`,
/// which stable Rust cannot name yet (feature `io_error_inprogress`), so the kind is matched
/// by its name.
fn connect_in_progress(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::WouldBlock || format!("{:?}", e.kind()) == "InProgress"
}

#[cfg(test)]
mod tests {
    use super::*;
    use mio::{Events, Poll};
    use std::io::Write;
    use std::time::Duration;

    /// Polls until `conn` is connected (or fails), as the client does.
    fn wait_connected(poll: &mut Poll, conn: &mut Connection) -> io::Result<()> {
        let mut events = Events::with_capacity(8);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            poll.poll(&mut events, Some(Duration::from_millis(100)))?;
            if conn.finish_connect()? {
                return Ok(());
            }
        }
        Err(io::Error::new(io::ErrorKind::TimedOut, "connect timed out"))
    }

    #[test]
    fn connect_in_progress_is_recognized_by_kind_not_by_a_linux_errno() {
        // EINPROGRESS of the system the tests run on, as a connect returns it.
        #[cfg(any(target_os = "linux", target_os = "android"))]
        let einprogress = Some(115);
        #[cfg(any(
            target_vendor = "apple",
            target_os = "freebsd",
            target_os = "netbsd",
            target_os = "openbsd",
            target_os = "dragonfly"
        ))]
        let einprogress = Some(36);
        #[cfg(not(any(
            target_os = "linux",
            target_os = "android",
            target_vendor = "apple",
            target_os = "freebsd",
            target_os = "netbsd",
            target_os = "openbsd",
            target_os = "dragonfly"
        )))]
        let einprogress: Option<i32> = None;
        if let Some(n) = einprogress {
            assert!(connect_in_progress(&io::Error::from_raw_os_error(n)));
        }
        assert!(connect_in_progress(&io::Error::from(
            io::ErrorKind::WouldBlock
        )));
        assert!(!connect_in_progress(&io::Error::from(
            io::ErrorKind::ConnectionRefused
        )));
        assert!(!connect_in_progress(&io::Error::from(
            io::ErrorKind::NotConnected
        )));
    }

    #[test]
    fn connects_to_a_loopback_listener_and_fails_on_a_closed_port() {
        let mut poll = Poll::new().unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let now = Instant::now();
        let mut conn = Connection::connect(
            1,
            addr,
            Token(1),
            poll.registry(),
            1 << 17,
            1 << 17,
            None,
            now,
        )
        .unwrap();
        wait_connected(&mut poll, &mut conn).unwrap();
        assert!(listener.accept().is_ok());
        conn.close(poll.registry());

        // A port nobody listens on: refused, at once or when the connect completes.
        let closed = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap()
        };
        match Connection::connect(2, closed, Token(2), poll.registry(), -1, -1, None, now) {
            Err(e) => assert_eq!(e.kind(), io::ErrorKind::ConnectionRefused, "{e}"),
            Ok(mut conn) => {
                let e = wait_connected(&mut poll, &mut conn).unwrap_err();
                assert_eq!(e.kind(), io::ErrorKind::ConnectionRefused, "{e}");
            }
        }
    }

    /// A connection (token 1) to a loopback listener, and the listener's end of it.
    fn connected_to_a_loopback_peer(
        poll: &mut Poll,
        now: Instant,
    ) -> (Connection, std::net::TcpStream) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let mut conn =
            Connection::connect(1, addr, Token(1), poll.registry(), -1, -1, None, now).unwrap();
        wait_connected(poll, &mut conn).unwrap();
        (conn, listener.accept().unwrap().0)
    }

    /// Waits for a readable event of `conn`'s token.
    fn wait_readable(poll: &mut Poll, token: Token) -> bool {
        let mut events = Events::with_capacity(8);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            poll.poll(&mut events, Some(Duration::from_millis(100)))
                .unwrap();
            if events.iter().any(|e| e.token() == token && e.is_readable()) {
                return true;
            }
        }
        false
    }

    /// A frame split in two: the first part completes nothing, the rest raises a new
    /// edge-triggered event and completes the frame, so nothing is left unread.
    #[test]
    fn a_short_read_ends_the_loop_and_the_rest_of_a_frame_raises_a_new_event() {
        let mut poll = Poll::new().unwrap();
        let now = Instant::now();
        let (mut conn, mut server) = connected_to_a_loopback_peer(&mut poll, now);
        conn.enqueue(
            OutboundRequest {
                api: ApiKey::Metadata,
                version: 12,
                correlation_id: 1,
                expect_response: true,
                chunks: Vec::new(),
            },
            now,
        );
        let mut frame = 8i32.to_be_bytes().to_vec();
        frame.extend_from_slice(&[1, 0, 0, 0, 0, 0, 0, 0]);
        for (part, complete) in [(&frame[..6], false), (&frame[6..], true)] {
            server.write_all(part).unwrap();
            assert!(wait_readable(&mut poll, Token(1)), "no readable event");
            let (frames, result) = conn.read(Instant::now());
            result.unwrap();
            assert_eq!(frames.len(), usize::from(complete));
        }
        assert!(conn.read_buf.filled().is_empty());
    }

    /// The broker's last response and its close (FIN) can come with one readiness event: the
    /// read must go on past the response to the end of stream, or no later event reports the
    /// close and the requests in flight wait for `request.timeout.ms` (found in review of a
    /// read loop that stopped at the first short read).
    #[test]
    fn a_close_arriving_with_the_last_response_is_seen_at_once() {
        let mut poll = Poll::new().unwrap();
        let now = Instant::now();
        let (mut conn, mut server) = connected_to_a_loopback_peer(&mut poll, now);
        for id in [1, 2] {
            conn.enqueue(
                OutboundRequest {
                    api: ApiKey::Metadata,
                    version: 12,
                    correlation_id: id,
                    expect_response: true,
                    chunks: Vec::new(),
                },
                now,
            );
        }
        let mut frame = 8i32.to_be_bytes().to_vec();
        frame.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0]);
        server.write_all(&frame).unwrap();
        drop(server);
        std::thread::sleep(Duration::from_millis(100)); // the FIN is in the socket too
        assert!(wait_readable(&mut poll, Token(1)), "no readable event");
        let (frames, result) = conn.read(Instant::now());
        assert_eq!(frames.len(), 1);
        assert!(
            matches!(&result, Err(ReadError::Io(e)) if e.kind() == io::ErrorKind::UnexpectedEof),
            "{result:?}"
        );
    }

    #[test]
    fn a_large_announced_frame_allocates_only_as_its_bytes_arrive() {
        let mut poll = Poll::new().unwrap();
        let now = Instant::now();
        let (mut conn, mut server) = connected_to_a_loopback_peer(&mut poll, now);
        // A frame header announcing 100 MiB, then 100 bytes of it.
        server
            .write_all(&(MAX_RESPONSE_SIZE as i32).to_be_bytes())
            .unwrap();
        server.write_all(&[7; 100]).unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while conn.read_buf.filled().len() < 104 && Instant::now() < deadline {
            let (frames, result) = conn.read(Instant::now());
            assert!(frames.is_empty());
            result.unwrap();
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(conn.read_buf.filled().len(), 104);
        assert_eq!(
            conn.read_buf.capacity(),
            INITIAL_READ_BUFFER,
            "nothing allocated for bytes that did not arrive"
        );
    }

    #[test]
    fn read_buffer_doubles_up_to_the_frame_end() {
        let mut b = ReadBuffer::new();
        let size = 3_000_000usize;
        let mut frame = (size as i32).to_be_bytes().to_vec();
        frame.extend((0..size).map(|i| i as u8));
        let mut fed = 0;
        let mut capacities = vec![b.capacity()];
        while fed < frame.len() {
            let spare = b.spare();
            assert!(!spare.is_empty());
            let n = spare.len().min(frame.len() - fed).min(10_000);
            spare[..n].copy_from_slice(&frame[fed..fed + n]);
            b.advance(n);
            fed += n;
            // Never more than twice what arrived (or the initial size).
            assert!(b.capacity() <= (2 * fed).max(INITIAL_READ_BUFFER), "{fed}");
            if capacities.last() != Some(&b.capacity()) {
                capacities.push(b.capacity());
            }
        }
        assert_eq!(b.capacity(), size + SIZE_PREFIX, "capped at the frame end");
        assert_eq!(
            try_frame(b.filled(), MAX_RESPONSE_SIZE).unwrap(),
            Some(size + SIZE_PREFIX)
        );
        assert_eq!(b.filled(), &frame[..]);
        assert!(capacities.len() < 10, "amortized doubling: {capacities:?}");
        b.consume(size + SIZE_PREFIX);
        b.shrink_if_empty();
        assert_eq!(b.capacity(), INITIAL_READ_BUFFER);
    }
}
