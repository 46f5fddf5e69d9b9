//! A tiny loopback HTTP responder for the credentials tests (STS, IMDS, container, SSO).
//! Included by the `credentials*.rs` tests with `#[path]`; kept in a directory so cargo does
//! not build it as a test binary of its own.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

/// One request as the responder saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// A form field of an `application/x-www-form-urlencoded` body, decoded.
    pub fn form(&self, key: &str) -> Option<String> {
        self.body.split('&').find_map(|kv| {
            let (k, v) = kv.split_once('=')?;
            (k == key).then(|| percent_decode(v))
        })
    }
}

pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else if b[i] == b'+' {
            out.push(b' ');
            i += 1;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

type Handler = dyn Fn(&Seen) -> (u16, String) + Send + Sync;

/// Serves HTTP/1.1 on 127.0.0.1 with one handler; records every request; stops on drop.
pub struct Responder {
    pub url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    stop: Arc<AtomicBool>,
    port: u16,
}

impl Responder {
    pub fn start(handler: impl Fn(&Seen) -> (u16, String) + Send + Sync + 'static) -> Responder {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let handler: Arc<Handler> = Arc::new(handler);
        let (seen2, stop2) = (seen.clone(), stop.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let (h, s) = (handler.clone(), seen2.clone());
                std::thread::spawn(move || serve(conn, &*h, &s));
            }
        });
        Responder {
            url: format!("http://127.0.0.1:{port}"),
            seen,
            stop,
            port,
        }
    }

    pub fn requests(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    pub fn count(&self) -> usize {
        self.seen.lock().unwrap().len()
    }
}

impl Drop for Responder {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn serve(conn: TcpStream, handler: &Handler, seen: &Mutex<Vec<Seen>>) {
    conn.set_read_timeout(Some(Duration::from_secs(5))).ok();
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    // Keep-alive: serve requests on this connection until the client closes it.
    for _ in 0..100 {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or("").to_string();
        let path = parts.next().unwrap_or("").to_string();
        let mut headers = Vec::new();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.push((k.trim().to_string(), v.trim().to_string()));
            }
        }
        let len: usize = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; len];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let req = Seen {
            method,
            path,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        };
        seen.lock().unwrap().push(req.clone());
        let (status, text) = handler(&req);
        let resp = format!(
            "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nContent-Type: text/plain\r\n\r\n{text}",
            text.len()
        );
        let mut w = &conn;
        if w.write_all(resp.as_bytes()).is_err() {
            return;
        }
    }
}

/// An RFC 3339 timestamp `secs_from_now` seconds from now (fractions kept; negative is in
/// the past).
pub fn rfc3339_in(secs_from_now: f64) -> String {
    let now = SystemTime::now();
    let t = if secs_from_now >= 0.0 {
        now + Duration::from_secs_f64(secs_from_now)
    } else {
        now - Duration::from_secs_f64(-secs_from_now)
    };
    let dt: chrono::DateTime<chrono::Utc> = t.into();
    dt.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// An STS success response body.
pub fn sts_ok(action: &str, akid: &str, secret: &str, token: &str, expiration: &str) -> String {
    format!(
        "<{action}Response xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><{action}Result>\
         <Credentials><AccessKeyId>{akid}</AccessKeyId><SecretAccessKey>{secret}</SecretAccessKey>\
         <SessionToken>{token}</SessionToken><Expiration>{expiration}</Expiration></Credentials>\
         </{action}Result><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata>\
         </{action}Response>"
    )
}

/// An STS error response body.
pub fn sts_err(code: &str, message: &str) -> String {
    format!(
        "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error>\
         <Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>\
         <RequestId>r-2</RequestId></ErrorResponse>"
    )
}

/// The access key id in a SigV4 `Authorization` header.
pub fn signed_akid(auth: &str) -> Option<String> {
    let cred = auth.split("Credential=").nth(1)?;
    Some(cred.split('/').next()?.to_string())
}

/// A fresh, empty temporary directory.
pub fn temp_dir(tag: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!(
        "kw-cred-{tag}-{}-{}",
        std::process::id(),
        fastrand_suffix()
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn fastrand_suffix() -> u64 {
    use std::sync::atomic::AtomicU64;
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as u64;
    nanos ^ (N.fetch_add(1, Ordering::SeqCst) << 32)
}

/// The path of a test fixture (`tests/fixtures/<name>`).
pub fn fixture(name: &str) -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Serves HTTPS on 127.0.0.1 with the test server certificate (`tests/fixtures/server.pem`,
/// SAN 127.0.0.1, signed by `tests/fixtures/ca.pem`), one request per connection, answering
/// `(200, body())`. Counts the requests that got through the TLS handshake. Serves at most
/// `max_connections` connections, then stops.
pub fn https_responder(
    max_connections: usize,
    body: impl Fn() -> String + Send + 'static,
) -> (String, Arc<std::sync::atomic::AtomicUsize>) {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(fixture("server.pem"))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_file(fixture("server.key")).unwrap();
    let cfg = Arc::new(
        rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap(),
    );
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("https://{}", listener.local_addr().unwrap());
    let served = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let served2 = served.clone();
    std::thread::spawn(move || {
        for tcp in listener.incoming().take(max_connections) {
            let Ok(tcp) = tcp else { continue };
            tcp.set_read_timeout(Some(Duration::from_secs(5))).ok();
            let conn = rustls::ServerConnection::new(cfg.clone()).unwrap();
            let mut tls = rustls::StreamOwned::new(conn, tcp);
            let mut reader = BufReader::new(&mut tls);
            let mut len = 0usize;
            let mut complete = false;
            for _ in 0..100 {
                let mut line = String::new();
                match reader.read_line(&mut line) {
                    Ok(0) | Err(_) => break, // e.g. the client rejected our certificate
                    Ok(_) => {}
                }
                let l = line.trim_end();
                if l.is_empty() {
                    complete = true;
                    break;
                }
                if let Some((k, v)) = l.split_once(':') {
                    if k.eq_ignore_ascii_case("content-length") {
                        len = v.trim().parse().unwrap_or(0);
                    }
                }
            }
            let mut buf = vec![0; len];
            if !complete || reader.read_exact(&mut buf).is_err() {
                continue;
            }
            served2.fetch_add(1, Ordering::SeqCst);
            let text = body();
            let _ = write!(
                tls,
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
                text.len()
            );
            let _ = tls.flush();
        }
    });
    (url, served)
}
