//! The bytes of one broker connection (Java `TransportLayer`): plaintext straight on the mio
//! socket (Java `PlaintextTransportLayer`), or TLS with a rustls session over it (Java
//! `SslTransportLayer`).
//!
//! Every method behaves like a non-blocking socket: `WouldBlock` means "wait for readiness",
//! and is returned by a TLS read only once rustls holds no decrypted byte and the socket has no
//! byte left, so mio's edge-triggered readiness never leaves data behind without a wake-up.

use mio::net::TcpStream;
use std::io::{self, IoSlice, Read, Write};

/// How a connection's bytes travel.
pub(crate) enum TransportLayer {
    /// Plaintext (`security.protocol=PLAINTEXT` / `SASL_PLAINTEXT`).
    Plaintext(TcpStream),
    /// TLS (`SSL` / `SASL_SSL`).
    Ssl(Box<SslTransportLayer>),
}

/// A rustls client session over the socket.
pub(crate) struct SslTransportLayer {
    stream: TcpStream,
    tls: rustls::ClientConnection,
    /// The socket returned end of file.
    eof: bool,
    /// The handshake finished and no application byte came yet: with TLS 1.3 the broker
    /// rejects a client certificate only after the client's handshake is done, so a TLS error
    /// now is still an authentication failure (Java's `POST_HANDSHAKE` state).
    post_handshake: bool,
    /// A TLS error met while reading, returned once the plaintext decrypted before it was read
    /// (responses received before a bad record are not lost).
    read_error: Option<io::Error>,
}

/// A TLS error as an `io::Error` (kind `InvalidData`, the rustls error inside).
pub(crate) fn tls_io_error(e: rustls::Error) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e)
}

/// The rustls error inside an `io::Error` made by [`tls_io_error`].
pub(crate) fn tls_error_of(e: &io::Error) -> Option<&rustls::Error> {
    e.get_ref().and_then(|r| r.downcast_ref::<rustls::Error>())
}

impl TransportLayer {
    /// A transport over `stream`: TLS when `tls` is a session.
    pub(crate) fn new(stream: TcpStream, tls: Option<rustls::ClientConnection>) -> Self {
        match tls {
            None => TransportLayer::Plaintext(stream),
            Some(tls) => TransportLayer::Ssl(Box::new(SslTransportLayer {
                stream,
                tls,
                eof: false,
                read_error: None,
                post_handshake: false,
            })),
        }
    }

    /// The socket (registration, connect checks).
    pub(crate) fn stream_mut(&mut self) -> &mut TcpStream {
        match self {
            TransportLayer::Plaintext(s) => s,
            TransportLayer::Ssl(t) => &mut t.stream,
        }
    }

    /// The socket.
    pub(crate) fn stream(&self) -> &TcpStream {
        match self {
            TransportLayer::Plaintext(s) => s,
            TransportLayer::Ssl(t) => &t.stream,
        }
    }

    /// Whether this is TLS.
    pub(crate) fn is_tls(&self) -> bool {
        matches!(self, TransportLayer::Ssl(_))
    }

    /// Drives the TLS handshake as far as the socket allows: `Ok(true)` once done (at once for
    /// plaintext). A TLS failure is an `io::Error` holding the rustls error ([`tls_error_of`]);
    /// the alert telling the broker why is sent first, best-effort.
    pub(crate) fn handshake(&mut self) -> io::Result<bool> {
        let TransportLayer::Ssl(t) = self else {
            return Ok(true);
        };
        loop {
            t.flush_tls()?;
            if !t.tls.is_handshaking() {
                t.post_handshake = true;
                return Ok(true);
            }
            match t.tls.read_tls(&mut t.stream) {
                Ok(0) => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "connection closed by the broker during the TLS handshake",
                    ));
                }
                Ok(_) => t.process()?,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    // Anything the last packets made rustls answer.
                    t.flush_tls()?;
                    if !t.tls.is_handshaking() {
                        t.post_handshake = true;
                        return Ok(true);
                    }
                    return Ok(false);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Whether a TLS error now is part of the authentication (see
    /// [`SslTransportLayer::post_handshake`]).
    pub(crate) fn in_post_handshake(&self) -> bool {
        matches!(self, TransportLayer::Ssl(t) if t.post_handshake)
    }

    /// Reads like a socket: `Ok(0)` at end of stream, `WouldBlock` when nothing is left.
    pub(crate) fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            TransportLayer::Plaintext(s) => s.read(buf),
            TransportLayer::Ssl(t) => t.read(buf),
        }
    }

    /// Writes from `slices` like a socket's `write_vectored`. TLS: rustls encrypts what its
    /// outgoing buffer limit allows (the one copy) and the records go to the socket; bytes
    /// accepted here may still sit in rustls until [`flush`](Self::flush) (see
    /// [`wants_write`](Self::wants_write)).
    pub(crate) fn write_vectored(&mut self, slices: &[IoSlice<'_>]) -> io::Result<usize> {
        match self {
            TransportLayer::Plaintext(s) => s.write_vectored(slices),
            TransportLayer::Ssl(t) => {
                t.flush_tls()?;
                let n = t.tls.writer().write_vectored(slices)?;
                t.flush_tls()?;
                if n == 0 {
                    return Err(io::ErrorKind::WouldBlock.into());
                }
                Ok(n)
            }
        }
    }

    /// Sends the TLS records waiting in rustls, as far as the socket takes them.
    pub(crate) fn flush(&mut self) -> io::Result<()> {
        match self {
            TransportLayer::Plaintext(_) => Ok(()),
            TransportLayer::Ssl(t) => t.flush_tls(),
        }
    }

    /// Whether TLS records wait for the socket (write interest needed).
    pub(crate) fn wants_write(&self) -> bool {
        matches!(self, TransportLayer::Ssl(t) if t.tls.wants_write())
    }

    /// Closes: TLS sends close_notify, best-effort; then the socket is shut down.
    pub(crate) fn close(&mut self) {
        if let TransportLayer::Ssl(t) = self {
            t.tls.send_close_notify();
            let _ = t.flush_tls();
        }
        let _ = self.stream().shutdown(std::net::Shutdown::Both);
    }
}

impl SslTransportLayer {
    /// Writes rustls's pending records until done or the socket would block.
    fn flush_tls(&mut self) -> io::Result<()> {
        while self.tls.wants_write() {
            match self.tls.write_tls(&mut self.stream) {
                Ok(0) => return Err(io::Error::new(io::ErrorKind::WriteZero, "socket closed")),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Processes the records read; on a TLS error, sends the alert rustls queued (best-effort).
    fn process(&mut self) -> io::Result<()> {
        match self.tls.process_new_packets() {
            Ok(_) => Ok(()),
            Err(e) => {
                let _ = self.flush_tls();
                Err(tls_io_error(e))
            }
        }
    }

    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            // Plaintext already decrypted first: rustls bounds what it holds, and nothing may
            // stay behind once the socket says WouldBlock.
            match self.tls.reader().read(buf) {
                Ok(n) => {
                    if n > 0 {
                        self.post_handshake = false;
                        return Ok(n);
                    }
                    if let Some(e) = self.read_error.take() {
                        return Err(e);
                    }
                    return Ok(0);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    if let Some(e) = self.read_error.take() {
                        return Err(e);
                    }
                    if self.eof {
                        return Ok(0);
                    }
                }
                // The socket closed without close_notify: end of stream.
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(0),
                Err(e) => return Err(self.read_error.take().unwrap_or(e)),
            }
            match self.tls.read_tls(&mut self.stream) {
                Ok(0) => {
                    self.eof = true;
                    if let Err(e) = self.process() {
                        self.read_error = Some(e);
                    }
                }
                Ok(_) => {
                    if let Err(e) = self.process() {
                        // Hand out what was decrypted before the bad record first.
                        self.read_error = Some(e);
                        continue;
                    }
                    // Key updates or alerts rustls answers; a failure to send them is the write
                    // path's to report, not a reason to drop the responses decrypted here.
                    let _ = self.flush_tls();
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}
