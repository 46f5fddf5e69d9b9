//! EC2 instance metadata, IMDSv2 only (session token first, never the v1 fallback).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::attempts;
use super::container::parse_json_credentials;
use super::http::{self, HttpFailure, HttpReply};
use super::{Credentials, CredentialsError, Provider, ProviderContext};
use crate::clock::Clock;
use crate::env::SharedEnv;
use crate::retry::Shutdown;
use crate::transport::{HttpRequest, Method, Transport};

const NAME: &str = "INSTANCE_METADATA";
const DEFAULT_ENDPOINT: &str = "http://169.254.169.254";
const DEFAULT_ENDPOINT_V6: &str = "http://[fd00:ec2::254]";
const ROLE_PATH: &str = "/latest/meta-data/iam/security-credentials/";

/// Credentials of the instance profile role, from the instance metadata service (IMDSv2).
///
/// A session token is fetched with `PUT /latest/api/token` and reused until shortly before
/// its TTL runs out; a failed token fetch is retried (with backoff on server errors) on the
/// next call and never falls back to IMDSv1. `AWS_EC2_METADATA_DISABLED=true` turns the
/// provider off; `AWS_EC2_METADATA_SERVICE_ENDPOINT` (or
/// `AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE=IPv6`) picks the endpoint. Timeouts are 1 s so
/// the `AUTO` chain is fast off EC2.
///
/// ```
/// use std::sync::Arc;
/// use kinesis_wire::credentials::{ImdsProvider, Provider, ProviderContext};
/// use kinesis_wire::env::MapEnv;
/// let env = Arc::new(MapEnv::from_pairs([("AWS_EC2_METADATA_DISABLED", "true")]));
/// let p = ImdsProvider::new(env, &ProviderContext::default());
/// assert!(p.credentials().unwrap_err().to_string().contains("AWS_EC2_METADATA_DISABLED"));
/// ```
pub struct ImdsProvider {
    env: SharedEnv,
    transport: Result<Arc<dyn Transport>, String>,
    clock: Arc<dyn Clock>,
    token_ttl: Duration,
    /// The session token and when to stop using it.
    token: Mutex<Option<(String, Instant)>>,
}

// Manual: neither the environment source nor the session token belong in output.
impl std::fmt::Debug for ImdsProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImdsProvider")
            .field("token_ttl", &self.token_ttl)
            .finish_non_exhaustive()
    }
}

impl ImdsProvider {
    /// A provider with a 6-hour token TTL.
    pub fn new(env: SharedEnv, ctx: &ProviderContext) -> Self {
        // IMDS is plain http on a link-local address: no TLS settings apply.
        let second = Duration::from_secs(1);
        ImdsProvider {
            env,
            transport: http::transport(ctx, second, second, false),
            clock: ctx.clock.clone(),
            token_ttl: Duration::from_secs(21_600),
            token: Mutex::new(None),
        }
    }

    /// Requests session tokens with this TTL (whole seconds, 1 s to 6 h).
    ///
    /// ```
    /// use std::{sync::Arc, time::Duration};
    /// use kinesis_wire::credentials::{ImdsProvider, ProviderContext};
    /// use kinesis_wire::env::MapEnv;
    /// let p = ImdsProvider::new(Arc::new(MapEnv::default()), &ProviderContext::default())
    ///     .with_token_ttl(Duration::from_secs(60));
    /// # let _ = p;
    /// ```
    pub fn with_token_ttl(mut self, ttl: Duration) -> Self {
        self.token_ttl = ttl.clamp(Duration::from_secs(1), Duration::from_secs(21_600));
        self
    }

    fn endpoint(&self) -> String {
        if let Some(e) = self
            .env
            .get("AWS_EC2_METADATA_SERVICE_ENDPOINT")
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
        {
            return e.trim_end_matches('/').to_string();
        }
        match self.env.get("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE") {
            Some(m) if m.trim().eq_ignore_ascii_case("ipv6") => DEFAULT_ENDPOINT_V6.to_string(),
            _ => DEFAULT_ENDPOINT.to_string(),
        }
    }

    fn transport(&self) -> Result<&dyn Transport, CredentialsError> {
        self.transport
            .as_deref()
            .map_err(|e| Self::failed(e.clone()))
    }

    fn unreachable(endpoint: &str, e: &HttpFailure) -> CredentialsError {
        CredentialsError::NotFound {
            provider: NAME,
            reason: format!(
                "the instance metadata service at {endpoint} did not answer (not on EC2?): {e}"
            ),
        }
    }

    fn failed(reason: String) -> CredentialsError {
        CredentialsError::Failed {
            provider: NAME,
            reason,
        }
    }

    /// A valid session token: the cached one, or a fresh one when it is close to its TTL.
    fn session_token(
        &self,
        endpoint: &str,
        shutdown: &Shutdown,
    ) -> Result<String, CredentialsError> {
        let mut slot = self.token.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((tok, use_until)) = slot.as_ref() {
            if self.clock.instant() < *use_until {
                return Ok(tok.clone());
            }
        }
        let url = format!("{endpoint}/latest/api/token");
        let ttl_secs = self.token_ttl.as_secs().max(1);
        let ttl_header = ttl_secs.to_string();
        let started = self.clock.instant();
        // Server errors are retried; an unreachable service is not (off EC2 the AUTO
        // chain must move on fast).
        let transport = self.transport()?;
        let req = HttpRequest::new(Method::Put, url.as_str())
            .with_header("x-aws-ec2-metadata-token-ttl-seconds", ttl_header);
        let sent =
            http::send_retrying(&attempts::IMDS_TOKEN, &*self.clock, shutdown, false, || {
                http::send(transport, &req)
            })
            .map_err(|_| CredentialsError::Interrupted { provider: NAME })?;
        let reply = match sent {
            Ok(r) if r.is_success() => r,
            Ok(r) if r.status == 403 => {
                return Err(Self::failed(format!(
                    "{url} answered HTTP 403: the instance metadata service is disabled on \
                     this instance"
                )))
            }
            Ok(r) => {
                return Err(Self::failed(format!(
                    "fetching an IMDSv2 session token from {url} failed: HTTP {}: {}",
                    r.status,
                    http::snippet(&r.body, 200, &[])
                )))
            }
            Err(e @ HttpFailure::Unreachable(_)) => return Err(Self::unreachable(endpoint, &e)),
            Err(e) => return Err(Self::failed(e.to_string())),
        };
        let tok = reply.body.trim().to_string();
        if tok.is_empty() || tok.contains(['\r', '\n']) {
            return Err(Self::failed(format!(
                "{url} returned an unusable session token"
            )));
        }
        // Stop using it a little before the TTL (a tenth, at most a minute) so a request in
        // flight never carries a token that expires on the way.
        let ttl = Duration::from_secs(ttl_secs);
        let margin = (ttl / 10).min(Duration::from_secs(60));
        *slot = Some((tok.clone(), started + ttl - margin));
        Ok(tok)
    }

    fn get(
        &self,
        endpoint: &str,
        path: &str,
        shutdown: &Shutdown,
    ) -> Result<HttpReply, CredentialsError> {
        let url = format!("{endpoint}{path}");
        let mut retried_token = false;
        loop {
            let token = self.session_token(endpoint, shutdown)?;
            let req = HttpRequest::get(url.as_str()).with_header("x-aws-ec2-metadata-token", token);
            let reply = http::send(self.transport()?, &req).map_err(|e| match e {
                HttpFailure::Unreachable(_) => Self::unreachable(endpoint, &e),
                other => Self::failed(other.to_string()),
            })?;
            if reply.status == 401 && !retried_token {
                // The token was rejected (expired early, instance restarted): get a new one.
                retried_token = true;
                *self.token.lock().unwrap_or_else(|e| e.into_inner()) = None;
                continue;
            }
            return Ok(reply);
        }
    }
}

impl Provider for ImdsProvider {
    fn credentials(&self) -> Result<Credentials, CredentialsError> {
        self.credentials_with_shutdown(&Shutdown::new())
    }

    fn credentials_with_shutdown(
        &self,
        shutdown: &Shutdown,
    ) -> Result<Credentials, CredentialsError> {
        if let Some(v) = self.env.get("AWS_EC2_METADATA_DISABLED") {
            if v.trim().eq_ignore_ascii_case("true") {
                return Err(CredentialsError::NotFound {
                    provider: NAME,
                    reason: "disabled by AWS_EC2_METADATA_DISABLED=true".into(),
                });
            }
        }
        let endpoint = self.endpoint();
        let reply = self.get(&endpoint, ROLE_PATH, shutdown)?;
        if reply.status == 404 {
            return Err(CredentialsError::NotFound {
                provider: NAME,
                reason: "no IAM role is attached to this instance".into(),
            });
        }
        if !reply.is_success() {
            return Err(Self::failed(format!(
                "{endpoint}{ROLE_PATH} answered HTTP {}: {}",
                reply.status,
                http::snippet(&reply.body, 200, &[])
            )));
        }
        let role = reply.body.lines().next().unwrap_or("").trim().to_string();
        if role.is_empty() {
            return Err(CredentialsError::NotFound {
                provider: NAME,
                reason: "no IAM role is attached to this instance".into(),
            });
        }
        let path = format!("{ROLE_PATH}{}", http::form_encode(&role));
        let reply = self.get(&endpoint, &path, shutdown)?;
        if !reply.is_success() {
            return Err(Self::failed(format!(
                "{endpoint}{path} answered HTTP {}: {}",
                reply.status,
                http::snippet(&reply.body, 200, &[])
            )));
        }
        parse_json_credentials(&reply.body, NAME)
            .map_err(|e| Self::failed(format!("{endpoint}{path}: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::MapEnv;
    use std::sync::Arc;

    fn endpoint(pairs: &[(&str, &str)]) -> String {
        let env = Arc::new(MapEnv::from_pairs(pairs.iter().copied()));
        ImdsProvider::new(env, &ProviderContext::default()).endpoint()
    }

    #[test]
    fn endpoint_selection() {
        assert_eq!(endpoint(&[]), "http://169.254.169.254");
        assert_eq!(
            endpoint(&[("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "IPv6")]),
            "http://[fd00:ec2::254]"
        );
        assert_eq!(
            endpoint(&[
                (
                    "AWS_EC2_METADATA_SERVICE_ENDPOINT",
                    "http://127.0.0.1:1234/"
                ),
                ("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "IPv6"),
            ]),
            "http://127.0.0.1:1234"
        );
    }
}
