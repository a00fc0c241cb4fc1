//! One non-blocking broker connection.

use super::{Chunk, OutboundRequest};
use crate::protocol::frame::{SIZE_PREFIX, try_frame};
use crate::protocol::versions::ApiVersions;
use crate::protocol::{ApiKey, DecodeError};
use mio::net::TcpStream;
use mio::{Interest, Registry, Token};
use std::collections::VecDeque;
use std::io::{self, IoSlice, Read, Write};
use std::net::SocketAddr;
use std::time::Instant;

/// Largest response frame accepted: garbage on the wire must not make the client buffer
/// gigabytes.
pub const MAX_RESPONSE_SIZE: usize = 100 * 1024 * 1024;

/// Where the connection is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnState {
    /// TCP connect in progress.
    Connecting,
    /// Connected; the ApiVersions handshake is in flight.
    Handshake,
    /// Ready for requests.
    Ready,
}

/// A request written (or being written) whose response is awaited.
#[derive(Debug)]
pub struct InFlight {
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
}

/// A received response frame, matched with its request.
#[derive(Debug)]
pub struct Received {
    /// The request it answers.
    pub request: InFlight,
    /// The frame payload after the size prefix (header included).
    pub payload: Vec<u8>,
}

/// One connection to one broker.
pub struct Connection {
    /// The broker's node id.
    pub node: i32,
    /// The address connected to.
    pub addr: SocketAddr,
    /// The mio token.
    pub token: Token,
    stream: TcpStream,
    /// The state.
    pub state: ConnState,
    /// When the connect started.
    pub connect_started: Instant,
    /// Last read or write.
    pub last_activity: Instant,
    /// Negotiated versions (after the handshake).
    pub api_versions: Option<ApiVersions>,
    /// The ApiVersions version being tried in the handshake.
    pub handshake_version: i16,
    read_buf: Vec<u8>,
    read_len: usize,
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
    /// Starts a non-blocking connect and registers it for readiness.
    pub fn connect(
        node: i32,
        addr: SocketAddr,
        token: Token,
        registry: &Registry,
        send_buffer: i32,
        receive_buffer: i32,
        now: Instant,
    ) -> io::Result<Self> {
        let mut stream = open_socket(addr, send_buffer, receive_buffer)?;
        registry.register(&mut stream, token, Interest::READABLE | Interest::WRITABLE)?;
        Ok(Connection {
            node,
            addr,
            token,
            stream,
            state: ConnState::Connecting,
            connect_started: now,
            last_activity: now,
            api_versions: None,
            handshake_version: ApiKey::ApiVersions.supported_versions().1,
            read_buf: vec![0; 64 * 1024],
            read_len: 0,
            writes: VecDeque::new(),
            in_flight: VecDeque::new(),
            writable_interest: true,
        })
    }

    /// Checks a connect in progress; `Ok(true)` once connected.
    pub fn finish_connect(&mut self) -> io::Result<bool> {
        if let Some(e) = self.stream.take_error()? {
            return Err(e);
        }
        match self.stream.peer_addr() {
            Ok(_) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(false),
            Err(e) if e.raw_os_error() == Some(libc_einprogress()) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Whether another request may be queued (one write at a time, as Java).
    pub fn can_send_more(&self, max_in_flight: usize) -> bool {
        self.writes.is_empty() && self.in_flight.len() < max_in_flight
    }

    /// Queues a request for writing.
    pub fn enqueue(&mut self, req: OutboundRequest, now: Instant) {
        self.in_flight.push_back(InFlight {
            api: req.api,
            version: req.version,
            correlation_id: req.correlation_id,
            expect_response: req.expect_response,
            sent_at: now,
            written: false,
        });
        self.writes.push_back(PendingWrite {
            chunks: req.chunks,
            chunk: 0,
            offset: 0,
            correlation_id: req.correlation_id,
        });
    }

    /// Writes as much as the socket takes. Returns the correlation ids of requests written
    /// completely.
    pub fn write(&mut self, now: Instant) -> io::Result<Vec<i32>> {
        let mut done = Vec::new();
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
                let id = w.correlation_id;
                self.writes.pop_front();
                done.push(id);
                continue;
            }
            let n = match self.stream.write_vectored(&slices) {
                Ok(0) => return Err(io::Error::new(io::ErrorKind::WriteZero, "socket closed")),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            self.last_activity = now;
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
                let id = w.correlation_id;
                self.writes.pop_front();
                done.push(id);
            }
        }
        for id in &done {
            if let Some(f) = self.in_flight.iter_mut().find(|f| f.correlation_id == *id) {
                f.written = true;
            }
        }
        Ok(done)
    }

    /// Whether bytes are waiting to be written.
    pub fn has_pending_writes(&self) -> bool {
        !self.writes.is_empty()
    }

    /// Turns write interest on or off as the queue requires.
    pub fn update_interest(&mut self, registry: &Registry) -> io::Result<()> {
        let want = self.has_pending_writes() || self.state == ConnState::Connecting;
        if want != self.writable_interest {
            let interest = if want {
                Interest::READABLE | Interest::WRITABLE
            } else {
                Interest::READABLE
            };
            registry.reregister(&mut self.stream, self.token, interest)?;
            self.writable_interest = want;
        }
        Ok(())
    }

    /// Reads what the socket has and returns the complete response frames, matched with their
    /// requests in order, and whether the connection is still good: a closed socket, a bad
    /// frame size, or a frame no request waits for is an error (the frames read before it are
    /// still returned).
    pub fn read(&mut self, now: Instant) -> (Vec<Received>, Result<(), ReadError>) {
        let mut out = Vec::new();
        loop {
            if self.read_len == self.read_buf.len() {
                let grow = self.read_buf.len();
                self.read_buf.resize(self.read_buf.len() + grow, 0);
            }
            match self.stream.read(&mut self.read_buf[self.read_len..]) {
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
                    self.read_len += n;
                    self.last_activity = now;
                    if let Err(e) = self.extract_frames(&mut out) {
                        return (out, Err(e));
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return (out, Err(ReadError::Io(e))),
            }
        }
        // Shrink a buffer that grew for a large response.
        if self.read_len == 0 && self.read_buf.len() > 1024 * 1024 {
            self.read_buf = vec![0; 64 * 1024];
        }
        (out, Ok(()))
    }

    fn extract_frames(&mut self, out: &mut Vec<Received>) -> Result<(), ReadError> {
        let mut start = 0;
        while let Some(n) = try_frame(&self.read_buf[start..self.read_len], MAX_RESPONSE_SIZE)
            .map_err(ReadError::Decode)?
        {
            let payload = self.read_buf[start + SIZE_PREFIX..start + n].to_vec();
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
        if start > 0 {
            self.read_buf.copy_within(start..self.read_len, 0);
            self.read_len -= start;
        }
        // Make room for a large frame whose size is known.
        if self.read_len >= SIZE_PREFIX {
            let size = i32::from_be_bytes([
                self.read_buf[0],
                self.read_buf[1],
                self.read_buf[2],
                self.read_buf[3],
            ]) as usize
                + SIZE_PREFIX;
            if size > self.read_buf.len() {
                self.read_buf.resize(size, 0);
            }
        }
        Ok(())
    }

    /// Removes requests without a response once fully written (acks=0).
    pub fn take_written_without_response(&mut self) -> Vec<InFlight> {
        let mut out = Vec::new();
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

    /// Deregisters and closes the socket; returns the requests that got no response.
    pub fn close(mut self, registry: &Registry) -> Vec<InFlight> {
        let _ = registry.deregister(&mut self.stream);
        let _ = self.stream.shutdown(std::net::Shutdown::Both);
        self.in_flight.drain(..).collect()
    }
}

/// Why reading failed.
#[derive(Debug)]
pub enum ReadError {
    /// The socket failed or closed.
    Io(io::Error),
    /// The bytes are not valid framing.
    Decode(DecodeError),
    /// A response nobody asked for.
    Unexpected(String),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Io(e) => write!(f, "{e}"),
            ReadError::Decode(e) => write!(f, "{e}"),
            ReadError::Unexpected(m) => write!(f, "{m}"),
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
        Err(e) if e.raw_os_error() == Some(libc_einprogress()) => {}
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
        Err(e) => return Err(e),
    }
    Ok(TcpStream::from_std(socket.into()))
}

/// EINPROGRESS on Linux (peer_addr on a socket still connecting answers ENOTCONN, this is a
/// fallback for other systems).
fn libc_einprogress() -> i32 {
    115
}
