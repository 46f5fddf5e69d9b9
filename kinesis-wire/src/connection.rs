//! [`Connection`]: the part every service client shares. One AWS JSON-protocol endpoint
//! (Kinesis JSON 1.1, DynamoDB JSON 1.0), its signing region, the [`Transport`] and the
//! credentials [`Provider`]; [`Connection::execute`] signs, sends and classifies one call.

use std::fmt;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::clock::Clock;
use crate::credentials::Provider;
use crate::error::KinesisError;
use crate::retry::Shutdown;
use crate::sign::sign_request;
use crate::transport::{HttpRequest, HttpResponse, Method, Transport};

/// What tells one AWS JSON-protocol service from another on the wire (public in name only:
/// the module is private).
#[derive(Debug)]
pub struct Protocol {
    /// SigV4 signing name, e.g. `kinesis`.
    pub signing_name: &'static str,
    /// First label of the service's AWS endpoint host (`<prefix>.<region>.amazonaws.com`).
    pub endpoint_prefix: &'static str,
    /// `X-Amz-Target` prefix, e.g. `Kinesis_20131202.`.
    pub target_prefix: &'static str,
    /// `Content-Type` of requests.
    pub content_type: &'static str,
    /// How errors name the endpoint setting, e.g. `aws.endpoint`.
    pub endpoint_setting: &'static str,
    /// The service's name in messages, e.g. `Kinesis`.
    pub display_name: &'static str,
}

/// Kinesis Data Streams: JSON 1.1.
pub(crate) const KINESIS: Protocol = Protocol {
    signing_name: "kinesis",
    endpoint_prefix: "kinesis",
    target_prefix: crate::client::TARGET_PREFIX,
    content_type: crate::client::CONTENT_TYPE,
    endpoint_setting: "aws.endpoint",
    display_name: "Kinesis",
};

/// DynamoDB: JSON 1.0.
pub(crate) const DYNAMODB: Protocol = Protocol {
    signing_name: "dynamodb",
    endpoint_prefix: "dynamodb",
    target_prefix: crate::dynamodb::TARGET_PREFIX,
    content_type: crate::dynamodb::CONTENT_TYPE,
    endpoint_setting: "the DynamoDB endpoint",
    display_name: "DynamoDB",
};

/// One service endpoint with everything needed to call it; shared (`Arc`) by a client and
/// its clones. A handle made by `with_shutdown` gets its own copy (sharing the transport
/// and credentials) with its own stop signal.
#[derive(Clone)]
pub struct Connection {
    pub(crate) protocol: &'static Protocol,
    /// The endpoint URL without trailing slash.
    pub(crate) endpoint: String,
    /// The URL requests are posted to.
    pub(crate) url: String,
    /// The region in signatures.
    pub(crate) region: String,
    pub(crate) transport: Arc<dyn Transport>,
    pub(crate) credentials: Arc<dyn Provider>,
    /// Stops this handle's calls, credential fetches included (a fresh, never triggered
    /// token unless `with_shutdown` gave one).
    pub(crate) shutdown: Shutdown,
    /// The time of signatures and of the `wait_for_*_active` polls.
    pub(crate) clock: Arc<dyn Clock>,
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("service", &self.protocol.signing_name)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("transport", &self.transport)
            .field("credentials", &self.credentials)
            .field("shut_down", &self.shutdown.is_triggered())
            .finish()
    }
}

impl Connection {
    /// This connection with another stop signal (see `KinesisClient::with_shutdown`).
    pub(crate) fn with_shutdown(&self, shutdown: Shutdown) -> Connection {
        Connection {
            shutdown,
            ..self.clone()
        }
    }

    /// Credentials for a call: stops when this handle's shutdown triggers.
    fn call_credentials(&self) -> Result<crate::credentials::Credentials, KinesisError> {
        let interrupted = || KinesisError::Interrupted {
            attempts: 0,
            last: None,
        };
        if self.shutdown.is_triggered() {
            return Err(interrupted());
        }
        match self.credentials.credentials_with_shutdown(&self.shutdown) {
            Ok(c) => Ok(c),
            Err(e) if e.is_interrupted() => Err(interrupted()),
            Err(e) => Err(e.into()),
        }
    }

    /// Sends one action with a ready JSON body; returns the 2xx response or the error. An
    /// expired-credentials error invalidates the provider and re-signs once.
    pub(crate) fn execute(
        &self,
        action: &'static str,
        body: Vec<u8>,
    ) -> Result<HttpResponse, KinesisError> {
        let resp = self.send(action, body)?;
        if (200..300).contains(&resp.status) {
            Ok(resp)
        } else {
            Err(KinesisError::from_response(action, &resp))
        }
    }

    /// [`Connection::execute`], but an error answer of the service comes back as the
    /// response, for callers that read more of it than [`KinesisError::from_response`]
    /// keeps (DynamoDB's failed conditions carry the item).
    pub(crate) fn send(
        &self,
        action: &'static str,
        body: Vec<u8>,
    ) -> Result<HttpResponse, KinesisError> {
        let mut req = HttpRequest {
            method: Method::Post,
            url: self.url.clone(),
            headers: Vec::with_capacity(6),
            body,
        };
        let mut refreshed = false;
        loop {
            req.headers.clear();
            req.headers
                .push(("content-type".into(), self.protocol.content_type.into()));
            req.headers.push((
                "x-amz-target".into(),
                format!("{}{action}", self.protocol.target_prefix),
            ));
            let creds = self.call_credentials()?;
            sign_request(
                &mut req,
                &creds,
                &self.region,
                self.protocol.signing_name,
                self.clock.now(),
            )
            .map_err(|e| KinesisError::Protocol {
                action,
                message: e.to_string(),
            })?;
            let resp = self
                .transport
                .send(&req)
                .map_err(|error| KinesisError::Transport { action, error })?;
            if (200..300).contains(&resp.status) || refreshed {
                return Ok(resp);
            }
            let err = KinesisError::from_response(action, &resp);
            if !err.is_expired_credentials() {
                return Ok(resp);
            }
            log::warn!(
                "{action}: credentials from {} expired; refreshing and retrying once: {err}",
                creds.provider_name
            );
            // Only the credentials this call used: when many threads see the same expiry
            // at once, the cache refreshes once, not once per thread.
            self.credentials.invalidate_rejected(&creds);
            refreshed = true;
        }
    }

    /// `input` as a JSON request body.
    pub(crate) fn encode<I: Serialize>(
        action: &'static str,
        input: &I,
    ) -> Result<Vec<u8>, KinesisError> {
        serde_json::to_vec(input).map_err(|e| KinesisError::Protocol {
            action,
            message: format!("cannot encode request: {e}"),
        })
    }

    /// One call with a JSON input and output.
    pub(crate) fn call<I: Serialize, O: DeserializeOwned>(
        &self,
        action: &'static str,
        input: &I,
    ) -> Result<O, KinesisError> {
        let resp = self.execute(action, Self::encode(action, input)?)?;
        parse_body(action, &resp.body)
    }

    /// One call whose answer carries nothing the caller needs.
    pub(crate) fn call_unit<I: Serialize>(
        &self,
        action: &'static str,
        input: &I,
    ) -> Result<(), KinesisError> {
        self.execute(action, Self::encode(action, input)?)
            .map(|_| ())
    }
}

/// A JSON response body as `O`; an empty body reads as `{}`.
pub(crate) fn parse_body<O: DeserializeOwned>(
    action: &'static str,
    body: &[u8],
) -> Result<O, KinesisError> {
    let body: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        body
    };
    // Every answer of these services is a JSON object; serde would read a struct from an
    // array too (`[]` as an empty PutRecords output), so anything else is refused here.
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(KinesisError::Protocol {
            action,
            message: format!(
                "invalid response: not a JSON object; body starts with {}",
                crate::parse::body_start(body)
            ),
        });
    }
    serde_json::from_slice(body).map_err(|e| KinesisError::Protocol {
        action,
        message: format!(
            "invalid response: {e}; body starts with {}",
            crate::parse::body_start(body)
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::parse_body;
    use crate::model::PutRecordsOutput;

    #[test]
    fn only_a_json_object_is_an_answer() {
        // Found by the fuzz harness: serde reads a struct from a sequence, so `[]` was an
        // empty PutRecords output to the client while the sink's parser refused it.
        for body in [&b"[]"[..], b" [0, []]", b"\"x\"", b"1"] {
            let e = parse_body::<PutRecordsOutput>("PutRecords", body).unwrap_err();
            assert!(e.to_string().contains("not a JSON object"), "{e}");
        }
        let ok: PutRecordsOutput =
            parse_body("PutRecords", br#" {"FailedRecordCount":0,"Records":[]}"#).unwrap();
        assert_eq!(ok.failed_record_count, 0);
        assert!(parse_body::<PutRecordsOutput>("PutRecords", b"  ").is_ok());
    }
}
