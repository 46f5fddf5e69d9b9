//! Just enough HTTP/1.1 for the fault proxy and for tests that look at raw answers: reading
//! one message (head, then a `Content-Length`, chunked or read-to-close body) with bounded
//! sizes, and a raw client ([`RawConnection`]) that sends Kinesis JSON calls and returns
//! status, headers and body exactly as they came.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// Longest message head (start line and headers) read.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;
/// Longest message body read (GetRecords answers up to ~14 MB).
pub const MAX_BODY_BYTES: usize = 64 << 20;

/// One HTTP/1.1 message (request or response) as read from a connection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Message {
    /// The request line (`POST / HTTP/1.1`) or status line (`HTTP/1.1 200 OK`), without CRLF.
    pub start_line: String,
    /// Header names (as sent) and values, in order.
    pub headers: Vec<(String, String)>,
    /// The whole body (de-chunked).
    pub body: Vec<u8>,
}

impl Message {
    /// The value of header `name` (case-insensitive), if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The status code of a response (0 when the status line has none).
    pub fn status(&self) -> u16 {
        self.start_line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0)
    }

    /// The body as (lossy) UTF-8, for assertions and messages.
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Whether the sender asked to close the connection after this message.
    pub fn wants_close(&self) -> bool {
        self.header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"))
    }

    /// The message as bytes: start line, headers except framing ones (`Content-Length`,
    /// `Transfer-Encoding`, and with `drop_connection_headers` also `Connection` and
    /// `Keep-Alive`), `extra` headers, a `Content-Length` for `body` and `body`.
    pub fn to_bytes_with_body(
        &self,
        body: &[u8],
        drop_connection_headers: bool,
        extra: &[(&str, &str)],
    ) -> Vec<u8> {
        let mut out = Vec::with_capacity(256 + body.len());
        out.extend_from_slice(self.start_line.as_bytes());
        out.extend_from_slice(b"\r\n");
        for (k, v) in &self.headers {
            let framing = k.eq_ignore_ascii_case("content-length")
                || k.eq_ignore_ascii_case("transfer-encoding");
            let connection =
                k.eq_ignore_ascii_case("connection") || k.eq_ignore_ascii_case("keep-alive");
            if framing || (drop_connection_headers && connection) {
                continue;
            }
            out.extend_from_slice(format!("{k}: {v}\r\n").as_bytes());
        }
        for (k, v) in extra {
            out.extend_from_slice(format!("{k}: {v}\r\n").as_bytes());
        }
        out.extend_from_slice(format!("content-length: {}\r\n\r\n", body.len()).as_bytes());
        out.extend_from_slice(body);
        out
    }
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

/// Reads one line (up to CRLF or LF) without its line end, counting it against `budget`.
fn read_line(reader: &mut impl BufRead, budget: &mut usize) -> io::Result<Option<String>> {
    let mut line = Vec::new();
    let n = reader
        .by_ref()
        .take(*budget as u64 + 1)
        .read_until(b'\n', &mut line)?;
    if n == 0 {
        return Ok(None);
    }
    if n > *budget {
        return Err(invalid(format!(
            "HTTP head longer than {MAX_HEAD_BYTES} bytes"
        )));
    }
    *budget -= n;
    if line.last() != Some(&b'\n') {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "connection closed inside an HTTP head",
        ));
    }
    while matches!(line.last(), Some(b'\n' | b'\r')) {
        line.pop();
    }
    String::from_utf8(line)
        .map(Some)
        .map_err(|_| invalid("HTTP head is not UTF-8".into()))
}

/// Reads one message from `reader`. `Ok(None)` when the connection closed cleanly before
/// its first byte. `is_response` selects the body rules of a response (a response without
/// `Content-Length` or chunking runs to the end of the connection; 1xx, 204 and 304 have
/// none). A request without `Content-Length` or chunking has an empty body.
pub fn read_message(reader: &mut impl BufRead, is_response: bool) -> io::Result<Option<Message>> {
    let mut budget = MAX_HEAD_BYTES;
    let Some(start_line) = read_line(reader, &mut budget)? else {
        return Ok(None);
    };
    let mut msg = Message {
        start_line,
        ..Message::default()
    };
    loop {
        let line = read_line(reader, &mut budget)?.ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "connection closed inside an HTTP head",
            )
        })?;
        if line.is_empty() {
            break;
        }
        let (k, v) = line
            .split_once(':')
            .ok_or_else(|| invalid(format!("malformed HTTP header line '{line}'")))?;
        msg.headers
            .push((k.trim().to_string(), v.trim().to_string()));
    }
    let chunked = msg
        .header("transfer-encoding")
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    let length = match msg.header("content-length") {
        Some(v) => Some(
            v.parse::<usize>()
                .map_err(|_| invalid(format!("bad Content-Length '{v}'")))?,
        ),
        None => None,
    };
    let status = msg.status();
    if is_response && (status < 200 || status == 204 || status == 304) {
        return Ok(Some(msg));
    }
    if chunked {
        msg.body = read_chunked(reader)?;
    } else if let Some(n) = length {
        if n > MAX_BODY_BYTES {
            return Err(invalid(format!(
                "body of {n} bytes is over {MAX_BODY_BYTES}"
            )));
        }
        msg.body.resize(n, 0);
        reader.read_exact(&mut msg.body)?;
    } else if is_response {
        reader
            .by_ref()
            .take(MAX_BODY_BYTES as u64 + 1)
            .read_to_end(&mut msg.body)?;
        if msg.body.len() > MAX_BODY_BYTES {
            return Err(invalid(format!("body over {MAX_BODY_BYTES} bytes")));
        }
    }
    Ok(Some(msg))
}

fn read_chunked(reader: &mut impl BufRead) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let mut budget = MAX_HEAD_BYTES;
        let line = read_line(reader, &mut budget)?
            .ok_or_else(|| io::Error::new(io::ErrorKind::UnexpectedEof, "chunked body cut"))?;
        let size_text = line.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_text, 16)
            .map_err(|_| invalid(format!("bad chunk size '{line}'")))?;
        if size == 0 {
            // Trailers up to the empty line.
            while !read_line(reader, &mut budget)?
                .unwrap_or_default()
                .is_empty()
            {}
            return Ok(body);
        }
        if body.len() + size > MAX_BODY_BYTES {
            return Err(invalid(format!("body over {MAX_BODY_BYTES} bytes")));
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader.read_exact(&mut body[start..])?;
        let mut crlf = [0u8; 2];
        reader.read_exact(&mut crlf)?;
    }
}

/// The `host:port` of an `http://host:port[/]` URL.
pub fn host_port(url: &str) -> io::Result<String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| invalid(format!("'{url}' is not an http:// URL")))?;
    let host = rest.split('/').next().unwrap_or("");
    if host.is_empty() {
        return Err(invalid(format!("'{url}' has no host")));
    }
    Ok(host.to_string())
}

/// A raw HTTP/1.1 client connection for Kinesis JSON calls: it sends the headers kinesis-mock
/// and kinesalite need (a fake SigV4 `Authorization`: neither checks signatures) and returns
/// the answer as it came, so tests can see statuses, bodies and headers that a client library
/// would interpret. Calls on one connection reuse it (keep-alive).
///
/// ```
/// use kinesis_tests::http1::RawConnection;
/// let url = kinesis_tests::endpoint("KINESALITE_ENDPOINT");
/// let mut conn = RawConnection::connect(&url, std::time::Duration::from_secs(5)).unwrap();
/// let answer = conn.call("ListStreams", b"{}").unwrap();
/// assert_eq!(answer.status(), 200);
/// assert!(answer.body_text().contains("StreamNames"));
/// ```
pub struct RawConnection {
    host: String,
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl RawConnection {
    /// Connects to `url` (`http://host:port`); every read waits at most `read_timeout`.
    pub fn connect(url: &str, read_timeout: Duration) -> io::Result<RawConnection> {
        let host = host_port(url)?;
        let addr = host
            .to_socket_addrs()?
            .next()
            .ok_or_else(|| invalid(format!("'{host}' resolves to nothing")))?;
        let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(read_timeout))?;
        let writer = stream.try_clone()?;
        Ok(RawConnection {
            host,
            reader: BufReader::new(stream),
            writer,
        })
    }

    /// Sends Kinesis `action` (e.g. `PutRecords`) with a JSON `body` and reads the answer.
    /// An error means no complete answer: reset, closed early, cut body, read timeout.
    pub fn call(&mut self, action: &str, body: &[u8]) -> io::Result<Message> {
        let target = format!("Kinesis_20131202.{action}");
        let headers = [
            ("content-type", "application/x-amz-json-1.1"),
            ("x-amz-target", target.as_str()),
            ("x-amz-date", "20200101T000000Z"),
            (
                "authorization",
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20200101/us-east-1/kinesis/aws4_request, SignedHeaders=host;x-amz-date, Signature=00",
            ),
        ];
        self.post(headers, body)
    }

    /// Sends `POST /` with `Host` (this connection's `host:port`, as a signer derives it from
    /// the URL), these `headers` (e.g. those of a request signed with
    /// `kinesis_wire::sign_request`; `Host` and `Content-Length` among them are
    /// ignored), a `Content-Length` and `body`; reads the answer.
    pub fn post<K: AsRef<str>, V: AsRef<str>>(
        &mut self,
        headers: impl IntoIterator<Item = (K, V)>,
        body: &[u8],
    ) -> io::Result<Message> {
        let mut out = format!("POST / HTTP/1.1\r\nhost: {}\r\n", self.host).into_bytes();
        for (k, v) in headers {
            let k = k.as_ref();
            // This connection's own framing and host win.
            if k.eq_ignore_ascii_case("host") || k.eq_ignore_ascii_case("content-length") {
                continue;
            }
            out.extend_from_slice(format!("{k}: {}\r\n", v.as_ref()).as_bytes());
        }
        out.extend_from_slice(format!("content-length: {}\r\n\r\n", body.len()).as_bytes());
        out.extend_from_slice(body);
        self.writer.write_all(&out)?;
        read_message(&mut self.reader, true)?.ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "connection closed before an answer",
            )
        })
    }
}

/// One call on a new [`RawConnection`] (read timeout 30 s).
///
/// ```
/// let url = kinesis_tests::endpoint("KINESALITE_ENDPOINT");
/// let answer = kinesis_tests::http1::call(&url, "DescribeStreamSummary", br#"{"StreamName":"none"}"#).unwrap();
/// assert_eq!(answer.status(), 400);
/// assert!(answer.body_text().contains("ResourceNotFoundException"));
/// ```
pub fn call(url: &str, action: &str, body: &[u8]) -> io::Result<Message> {
    RawConnection::connect(url, Duration::from_secs(30))?.call(action, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(bytes: &[u8], is_response: bool) -> io::Result<Option<Message>> {
        read_message(&mut io::Cursor::new(bytes.to_vec()), is_response)
    }

    #[test]
    fn reads_content_length_chunked_and_to_close_bodies() {
        let m = read(
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-A: b\r\n\r\n{}rest",
            true,
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            (m.status(), m.body.as_slice(), m.header("x-a")),
            (200, &b"{}"[..], Some("b"))
        );
        let m = read(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x\r\nde\r\n0\r\n\r\n", true)
            .unwrap()
            .unwrap();
        assert_eq!(m.body, b"abcde");
        let m = read(
            b"HTTP/1.1 500 X\r\nConnection: close\r\n\r\nall of it",
            true,
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            (m.body_text().as_str(), m.wants_close()),
            ("all of it", true)
        );
        let m = read(b"POST / HTTP/1.1\r\nHost: h\r\n\r\n", false)
            .unwrap()
            .unwrap();
        assert!(m.body.is_empty());
        assert_eq!(read(b"", false).unwrap(), None);
    }

    #[test]
    fn cut_or_oversized_messages_are_errors() {
        let e = read(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}", true).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
        let e = read(b"HTTP/1.1 200 OK\r\nContent-Le", true).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
        let e = read(b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", true).unwrap_err();
        assert!(e.to_string().contains("Content-Length"), "{e}");
        let long = format!(
            "GET / HTTP/1.1\r\nX: {}\r\n\r\n",
            "a".repeat(MAX_HEAD_BYTES)
        );
        let e = read(long.as_bytes(), false).unwrap_err();
        assert!(e.to_string().contains("longer than"), "{e}");
    }

    #[test]
    fn to_bytes_replaces_framing_headers() {
        let m = Message {
            start_line: "HTTP/1.1 200 OK".into(),
            headers: vec![
                ("Content-Length".into(), "99".into()),
                ("Connection".into(), "close".into()),
                ("x-amzn-RequestId".into(), "r".into()),
            ],
            body: vec![],
        };
        let out = m.to_bytes_with_body(b"{}", true, &[("x-extra", "1")]);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "HTTP/1.1 200 OK\r\nx-amzn-RequestId: r\r\nx-extra: 1\r\ncontent-length: 2\r\n\r\n{}"
        );
    }
}
