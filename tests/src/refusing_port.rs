//! [`RefusingPort`]: a loopback port reserved for one test that refuses every connection.
//!
//! Binding `127.0.0.1:0`, noting the port and dropping the listener leaves a port that is
//! free for anyone: another test binding a listener, or the kernel picking a client's source
//! port, may take it before the test connects, and the "connection refused" test then talks
//! to a stranger. A socket bound but never listening keeps the port taken for as long as it
//! lives, and the kernel answers every SYN to it with a reset: `ECONNREFUSED`, every time.
//!
//! kinesis-wire's tests include this file by path (they cannot depend on this crate), so it
//! uses only std and socket2.

use std::net::{Ipv4Addr, SocketAddr};

use socket2::{Domain, Protocol, Socket, Type};

/// A 127.0.0.1 port that refuses connections, reserved until dropped: a TCP socket bound to
/// it that never listens. Keep it alive for as long as anything may connect to the port.
///
/// ```
/// use std::io::ErrorKind;
/// use std::net::{TcpListener, TcpStream};
///
/// let refusing = kinesis_tests::RefusingPort::bind();
/// assert_eq!(refusing.url(), format!("http://127.0.0.1:{}", refusing.port()));
/// for _ in 0..3 {
///     let err = TcpStream::connect(refusing.addr()).unwrap_err();
///     assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
/// }
/// // Nobody else can take the port while it is reserved.
/// assert!(TcpListener::bind(refusing.addr()).is_err());
/// ```
#[derive(Debug)]
pub struct RefusingPort {
    /// Held only to keep the port: bound, never listening.
    _socket: Socket,
    addr: SocketAddr,
}

impl RefusingPort {
    /// Reserves a free 127.0.0.1 port (chosen by the kernel) that refuses connections.
    pub fn bind() -> RefusingPort {
        let socket = Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP))
            .expect("create a TCP socket");
        // No SO_REUSEADDR: with it, a listener that sets it too (as std's does) could still
        // bind the port.
        socket
            .bind(&SocketAddr::from((Ipv4Addr::LOCALHOST, 0)).into())
            .expect("bind a loopback port");
        let addr = socket
            .local_addr()
            .expect("local address")
            .as_socket()
            .expect("an IPv4 address");
        RefusingPort {
            _socket: socket,
            addr,
        }
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `127.0.0.1:PORT`.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, an endpoint that refuses every connection.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}
