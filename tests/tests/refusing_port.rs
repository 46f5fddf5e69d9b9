//! [`RefusingPort`]: refused connections, a reserved port, released on drop.

use std::io::ErrorKind;
use std::net::{TcpListener, TcpStream};

use kinesis_tests::RefusingPort;

#[test]
fn connections_are_refused_and_the_port_stays_taken_until_dropped() {
    let refusing = RefusingPort::bind();
    let addr = refusing.addr();
    assert!(addr.ip().is_loopback() && addr.port() != 0, "{addr}");
    for _ in 0..5 {
        let err = TcpStream::connect(addr).expect_err("refused");
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");
    }
    let err = TcpListener::bind(addr).expect_err("the port is reserved");
    assert_eq!(err.kind(), ErrorKind::AddrInUse, "{err}");
    // Two reservations never share a port.
    let other = RefusingPort::bind();
    assert_ne!(other.port(), refusing.port());
    // Dropped, the port is free again.
    drop(refusing);
    let listener = TcpListener::bind(addr).expect("free after drop");
    assert_eq!(listener.local_addr().unwrap(), addr);
}
