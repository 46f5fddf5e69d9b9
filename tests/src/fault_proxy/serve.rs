//! Serving one client connection: reading requests, applying the plan's fault, forwarding.

use std::io::{self, BufRead, BufReader, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;

use super::entries::{failed_entry, merge_failures, remove_entries};
use super::{lock, Fault, Reply, Shared};
use crate::http1::{self, Message};

const CLIENT_IDLE: Duration = Duration::from_secs(30);
const UPSTREAM_CONNECT: Duration = Duration::from_secs(5);
const UPSTREAM_READ: Duration = Duration::from_secs(30);
const WATCH_SLICE: Duration = Duration::from_millis(20);

/// Sends a TCP RST instead of a FIN when the socket closes.
fn set_reset_on_close(stream: &TcpStream) {
    let _ = socket2::SockRef::from(stream).set_linger(Some(Duration::ZERO));
}

fn action_of(req: &Message) -> String {
    req.header("x-amz-target")
        .map(|t| t.rsplit('.').next().unwrap_or(t).to_string())
        .unwrap_or_default()
}

/// Serves one client connection until it closes, breaks, idles out or a fault ends it.
pub(super) fn serve(shared: &Arc<Shared>, stream: TcpStream) {
    let _ = stream.set_nodelay(true);
    let _ = stream.set_read_timeout(Some(CLIENT_IDLE));
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    loop {
        let req = match http1::read_message(&mut reader, false) {
            Ok(Some(req)) => req,
            _ => return,
        };
        if shared.stop.load(Ordering::SeqCst) {
            return;
        }
        let action = action_of(&req);
        let fault = lock(&shared.plan).decide(&action, &req.body);
        {
            let mut stats = shared.stats();
            *stats.requests.entry(action.clone()).or_default() += 1;
            *stats.faults.entry(fault.kind()).or_default() += 1;
        }
        let close = req.wants_close();
        let keep_open = match fault {
            Fault::Pass => pass(shared, &req, &action, &mut writer, close),
            Fault::ResetBeforeForward => {
                set_reset_on_close(&writer);
                false
            }
            Fault::ResetAfterForward => {
                if let Ok(resp) = forward(shared, &req, &req.body) {
                    if is_success(&resp) {
                        shared.stats().record_unanswered(&action, &req.body);
                    }
                }
                set_reset_on_close(&writer);
                false
            }
            Fault::Truncate => {
                match forward(shared, &req, &req.body) {
                    Ok(resp) => {
                        let bytes = resp.to_bytes_with_body(&resp.body, true, &[]);
                        let cut = if resp.body.len() >= 2 {
                            bytes.len() - resp.body.len() / 2
                        } else {
                            (bytes.len() - resp.body.len()) / 2
                        };
                        let _ = writer.write_all(&bytes[..cut]);
                        if is_success(&resp) {
                            shared.stats().record_unanswered(&action, &req.body);
                        }
                    }
                    Err(_) => shared.stats().upstream_errors += 1,
                }
                let _ = writer.shutdown(Shutdown::Write);
                false
            }
            Fault::Delay(d) => {
                if client_stays(&mut reader, d, &shared.stop) {
                    pass(shared, &req, &action, &mut writer, close)
                } else {
                    shared.stats().delays_abandoned += 1;
                    false
                }
            }
            Fault::Reply(reply) => writer.write_all(&reply.to_bytes(close)).is_ok(),
            Fault::FailEntries(failed) => {
                fail_entries(shared, &req, &action, &failed, &mut writer, close)
            }
            Fault::FailRandomEntries(_) => unreachable!("Plan::decide resolves it"),
        };
        if !keep_open || close {
            return;
        }
    }
}

fn is_success(resp: &Message) -> bool {
    (200..300).contains(&resp.status())
}

/// Forwards `req` (with `body`) and relays the answer; `false` when the connection must end.
fn pass(
    shared: &Arc<Shared>,
    req: &Message,
    action: &str,
    writer: &mut TcpStream,
    close: bool,
) -> bool {
    match forward(shared, req, &req.body) {
        Ok(resp) => relay(shared, action, &req.body, &resp, &resp.body, writer, close),
        Err(e) => bad_gateway(shared, &e, writer, close),
    }
}

/// Writes the upstream answer `resp` with `body` to the client; records the request as
/// applied-unanswered if that fails after a 2xx.
fn relay(
    shared: &Arc<Shared>,
    action: &str,
    forwarded: &[u8],
    resp: &Message,
    body: &[u8],
    writer: &mut TcpStream,
    close: bool,
) -> bool {
    let extra: &[(&str, &str)] = if close {
        &[("connection", "close")]
    } else {
        &[]
    };
    let written = writer
        .write_all(&resp.to_bytes_with_body(body, true, extra))
        .is_ok();
    if !written && is_success(resp) {
        shared.stats().record_unanswered(action, forwarded);
    }
    written
}

fn bad_gateway(shared: &Arc<Shared>, e: &io::Error, writer: &mut TcpStream, close: bool) -> bool {
    shared.stats().upstream_errors += 1;
    let reply = Reply::json_error(
        502,
        "FaultProxyUpstreamError",
        &format!("fault proxy: upstream {}: {e}", shared.upstream_url),
    );
    writer.write_all(&reply.to_bytes(close)).is_ok()
}

/// Sends `req` with `body` to the upstream on a fresh connection and reads its answer.
fn forward(shared: &Arc<Shared>, req: &Message, body: &[u8]) -> io::Result<Message> {
    let stream = TcpStream::connect_timeout(&shared.upstream, UPSTREAM_CONNECT)?;
    let _registered = shared.register(&stream);
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(UPSTREAM_READ))?;
    (&stream).write_all(&req.to_bytes_with_body(body, false, &[]))?;
    http1::read_message(&mut BufReader::new(&stream), true)?.ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "upstream closed the connection without an answer",
        )
    })
}

/// Holds the request for `d`, watching whether the client closes meanwhile; `true` when it
/// is still there (and the proxy is not stopping).
fn client_stays(reader: &mut BufReader<TcpStream>, d: Duration, stop: &AtomicBool) -> bool {
    let deadline = Instant::now() + d;
    let mut alive = true;
    while alive && !stop.load(Ordering::SeqCst) {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        let slice = left.min(WATCH_SLICE);
        if !reader.buffer().is_empty() {
            // The client sent more (it should not before an answer); keep it for later.
            std::thread::sleep(slice);
            continue;
        }
        let _ = reader.get_ref().set_read_timeout(Some(slice));
        alive = match reader.fill_buf() {
            Ok(buf) => !buf.is_empty(),
            Err(e) => matches!(
                e.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
            ),
        };
    }
    let _ = reader.get_ref().set_read_timeout(Some(CLIENT_IDLE));
    alive && !stop.load(Ordering::SeqCst)
}

fn fail_entries(
    shared: &Arc<Shared>,
    req: &Message,
    action: &str,
    failed: &[usize],
    writer: &mut TcpStream,
    close: bool,
) -> bool {
    let Some((body, removed, total)) = remove_entries(&req.body, failed) else {
        return pass(shared, req, action, writer, close);
    };
    if removed.is_empty() {
        return pass(shared, req, action, writer, close);
    }
    shared.stats().entries_failed += removed.len() as u64;
    if removed.len() == total {
        let all_failed = json!({
            "FailedRecordCount": total,
            "Records": vec![failed_entry(); total],
        });
        let reply = Reply::raw(
            200,
            &[("content-type", "application/x-amz-json-1.1")],
            all_failed.to_string(),
        );
        return writer.write_all(&reply.to_bytes(close)).is_ok();
    }
    match forward(shared, req, &body) {
        Ok(resp) => {
            let merged = if is_success(&resp) {
                merge_failures(&resp.body, &removed, total)
            } else {
                None
            };
            let answer = merged.as_deref().unwrap_or(&resp.body);
            relay(shared, action, &body, &resp, answer, writer, close)
        }
        Err(e) => bad_gateway(shared, &e, writer, close),
    }
}
