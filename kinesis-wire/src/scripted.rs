//! [`Scripted`]: a transport for unit tests that replays scripted responses and records
//! every request, so request shapes, signing and error handling are tested without sockets.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use crate::error::TransportError;
use crate::transport::{HttpRequest, HttpResponse, Transport};

/// Replays scripted responses and records every request.
#[derive(Debug, Default)]
pub(crate) struct Scripted {
    pub responses: Mutex<VecDeque<Result<HttpResponse, TransportError>>>,
    pub requests: Mutex<Vec<HttpRequest>>,
}

impl Scripted {
    pub fn new(rs: Vec<Result<HttpResponse, TransportError>>) -> Arc<Self> {
        Arc::new(Scripted {
            responses: Mutex::new(rs.into()),
            requests: Mutex::default(),
        })
    }
}

impl Transport for Scripted {
    fn send(&self, req: &HttpRequest) -> Result<HttpResponse, TransportError> {
        self.requests.lock().unwrap().push(req.clone());
        self.responses
            .lock()
            .unwrap()
            .pop_front()
            .expect("more requests than scripted responses")
    }
}

/// A 200 answer with `body`.
pub(crate) fn ok(body: &str) -> Result<HttpResponse, TransportError> {
    Ok(HttpResponse {
        status: 200,
        headers: vec![],
        body: body.as_bytes().to_vec(),
    })
}

/// An error answer with `status` and `body` (request id `req-1`).
pub(crate) fn err(status: u16, body: &str) -> Result<HttpResponse, TransportError> {
    Ok(HttpResponse {
        status,
        headers: vec![("x-amzn-RequestId".into(), "req-1".into())],
        body: body.as_bytes().to_vec(),
    })
}
