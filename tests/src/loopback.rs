//! A minimal HTTP/1.1 responder on 127.0.0.1 for fault injection and benches: it reads
//! requests with a `Content-Length` body (keep-alive, one after another on a connection)
//! and writes Kinesis JSON replies. Enough for kinesis-wire's client, nothing more.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Responses at most this long go out in one write (head and body in two writes would meet
/// Nagle and delayed ACKs, ~40 ms per answer); longer ones are not copied.
const ONE_WRITE_MAX: usize = 64 * 1024;

/// One request as read from a connection.
#[derive(Debug, Default)]
pub struct Request {
    /// The `X-Amz-Target` header, e.g. `Kinesis_20131202.PutRecords` (empty when absent).
    pub target: String,
    /// The body (`Content-Length` bytes).
    pub body: Vec<u8>,
}

/// One accepted connection: reads requests and writes responses.
///
/// ```
/// use std::io::Write;
/// use kinesis_tests::loopback::Connection;
///
/// let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
/// let addr = listener.local_addr().unwrap();
/// let server = std::thread::spawn(move || {
///     let mut conn = Connection::new(listener.accept().unwrap().0);
///     assert!(conn.next_request());
///     assert_eq!(conn.request.target, "Kinesis_20131202.ListShards");
///     conn.respond(200, br#"{"Shards":[]}"#).unwrap();
/// });
/// let mut client = std::net::TcpStream::connect(addr).unwrap();
/// client
///     .write_all(b"POST / HTTP/1.1\r\nX-Amz-Target: Kinesis_20131202.ListShards\r\nContent-Length: 2\r\n\r\n{}")
///     .unwrap();
/// server.join().unwrap();
/// ```
pub struct Connection {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    line: String,
    /// The request [`Connection::next_request`] read last.
    pub request: Request,
}

impl Connection {
    /// Wraps an accepted stream (with `TCP_NODELAY`: every answer is one small write).
    pub fn new(stream: TcpStream) -> Connection {
        let _ = stream.set_nodelay(true);
        let writer = stream.try_clone().expect("clone the loopback socket");
        Connection {
            reader: BufReader::with_capacity(1 << 16, stream),
            writer,
            line: String::new(),
            request: Request::default(),
        }
    }

    /// Fails reads that wait longer than `timeout` (so an idle connection's thread ends).
    pub fn set_read_timeout(&self, timeout: Duration) {
        let _ = self.writer.set_read_timeout(Some(timeout));
    }

    /// Reads the next request into [`Connection::request`] (reusing its buffers); `false`
    /// when the peer closed the connection or it broke.
    pub fn next_request(&mut self) -> bool {
        let Connection {
            reader,
            line,
            request,
            ..
        } = self;
        let mut content_length = 0usize;
        request.target.clear();
        // Request line, then headers up to the empty line.
        line.clear();
        if reader.read_line(line).unwrap_or(0) == 0 {
            return false;
        }
        loop {
            line.clear();
            if reader.read_line(line).unwrap_or(0) == 0 {
                return false;
            }
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    content_length = v.trim().parse().unwrap_or(0);
                } else if k.eq_ignore_ascii_case("x-amz-target") {
                    request.target.push_str(v.trim());
                }
            }
        }
        request.body.resize(content_length, 0);
        reader.read_exact(&mut request.body).is_ok()
    }

    /// Writes a response with `status` and a Kinesis JSON `body`.
    pub fn respond(&mut self, status: u16, body: &[u8]) -> std::io::Result<()> {
        let head = response_head(status, body.len());
        if head.len() + body.len() <= ONE_WRITE_MAX {
            let mut out = head.into_bytes();
            out.extend_from_slice(body);
            self.writer.write_all(&out)
        } else {
            self.writer.write_all(head.as_bytes())?;
            self.writer.write_all(body)
        }
    }

    /// Writes bytes as they are (a whole response built with [`response`]).
    pub fn write_raw(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.writer.write_all(bytes)
    }

    /// Closes the connection in both directions without an answer (a reset for the client).
    pub fn reset(self) {
        let _ = self.writer.shutdown(Shutdown::Both);
    }
}

fn response_head(status: u16, content_length: usize) -> String {
    format!(
        "HTTP/1.1 {status} X\r\ncontent-type: application/x-amz-json-1.1\r\ncontent-length: {content_length}\r\nx-amzn-requestid: loopback\r\n\r\n"
    )
}

/// A whole response (head and body) with `status` and a Kinesis JSON `body`, for servers
/// that answer the same bytes many times.
///
/// ```
/// let r = kinesis_tests::loopback::response(200, b"{}");
/// assert!(r.starts_with(b"HTTP/1.1 200 ") && r.ends_with(b"\r\n\r\n{}"));
/// ```
pub fn response(status: u16, body: &[u8]) -> Vec<u8> {
    let mut out = response_head(status, body.len()).into_bytes();
    out.extend_from_slice(body);
    out
}

/// How a [`LoopbackServer`] answers one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// This HTTP status with this JSON body.
    Json(u16, Vec<u8>),
    /// No answer: the connection is closed (the client sees a reset or EOF).
    Reset,
}

/// A server on 127.0.0.1 (one thread per connection) answering each request with a handler.
/// Dropping it stops accepting connections.
///
/// ```
/// use kinesis_tests::loopback::{Answer, LoopbackServer};
///
/// let server = LoopbackServer::start(|request| {
///     assert_eq!(request.target, "Kinesis_20131202.ListShards");
///     Answer::Json(200, br#"{"Shards":[]}"#.to_vec())
/// });
/// let client = kinesis_tests::client(&server.url);
/// let shards = client
///     .list_shards(&kinesis_wire::model::ListShardsInput::for_stream("s"))
///     .unwrap();
/// assert!(shards.shards.is_empty());
/// ```
pub struct LoopbackServer {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    port: u16,
    stop: Arc<AtomicBool>,
    detached: bool,
}

impl LoopbackServer {
    /// Binds a free port and serves `handler`'s answers until dropped. Connections idle for
    /// 30 s are closed.
    pub fn start(handler: impl Fn(&Request) -> Answer + Send + Sync + 'static) -> LoopbackServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let port = listener.local_addr().expect("local address").port();
        let stop = Arc::new(AtomicBool::new(false));
        let handler = Arc::new(handler);
        {
            let stop = stop.clone();
            std::thread::spawn(move || {
                for conn in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        return;
                    }
                    let Ok(conn) = conn else { continue };
                    let handler = handler.clone();
                    std::thread::spawn(move || {
                        let mut conn = Connection::new(conn);
                        conn.set_read_timeout(Duration::from_secs(30));
                        while conn.next_request() {
                            match handler(&conn.request) {
                                Answer::Json(status, body) => {
                                    if conn.respond(status, &body).is_err() {
                                        return;
                                    }
                                }
                                Answer::Reset => {
                                    conn.reset();
                                    return;
                                }
                            }
                        }
                    });
                }
            });
        }
        LoopbackServer {
            url: format!("http://127.0.0.1:{port}"),
            port,
            stop,
            detached: false,
        }
    }

    /// Keeps serving until the test process ends; returns the URL.
    pub fn detach(mut self) -> String {
        self.detached = true;
        std::mem::take(&mut self.url)
    }
}

impl Drop for LoopbackServer {
    fn drop(&mut self) {
        if self.detached {
            return;
        }
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}
