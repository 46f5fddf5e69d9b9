//! The container credentials endpoint (ECS task roles, EKS Pod Identity).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use ureq::http::Uri;

use super::attempts;
use super::http;
use super::{parse_timestamp, Credentials, CredentialsError, Provider, ProviderContext};
use crate::clock::Clock;
use crate::env::SharedEnv;
use crate::retry::Shutdown;
use crate::transport::{HttpRequest, Transport};

const NAME: &str = "CONTAINER";

/// Where `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` is resolved (the ECS agent's address).
pub const ECS_CREDENTIALS_HOST: &str = "http://169.254.170.2";

/// Credentials from `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` (on 169.254.170.2) or
/// `AWS_CONTAINER_CREDENTIALS_FULL_URI` (https, or http to a loopback or the ECS/EKS
/// link-local address), with `Authorization` from `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE`
/// (re-read on every fetch) or `AWS_CONTAINER_AUTHORIZATION_TOKEN`.
///
/// ```
/// use std::sync::Arc;
/// use kinesis_wire::credentials::{ContainerProvider, Provider, ProviderContext};
/// use kinesis_wire::env::MapEnv;
/// let p = ContainerProvider::new(Arc::new(MapEnv::default()), &ProviderContext::default());
/// assert!(p.credentials().unwrap_err().to_string().contains("AWS_CONTAINER_CREDENTIALS"));
/// ```
pub struct ContainerProvider {
    env: SharedEnv,
    /// The transport, or why it could not be built (an unreadable CA bundle), reported on
    /// use.
    transport: Result<Arc<dyn Transport>, String>,
    clock: Arc<dyn Clock>,
    /// Where `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` is resolved: [`ECS_CREDENTIALS_HOST`]
    /// unless the embedding program chose another host in code. Deliberately not settable
    /// from the environment: whoever can set environment variables could otherwise send
    /// the authorization token to a host of their choice.
    relative_uri_host: String,
    /// `aws.trust.all.certificates`, for the warning about an unverified https endpoint.
    trust_all_certificates: bool,
}

// Manual: the environment source holds the authorization token.
impl std::fmt::Debug for ContainerProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContainerProvider").finish_non_exhaustive()
    }
}

/// The addresses a host name resolves to; the system resolver in production.
pub(crate) type Resolve = dyn Fn(&str, u16) -> std::io::Result<Vec<IpAddr>> + Send + Sync;

fn system_resolve(host: &str, port: u16) -> std::io::Result<Vec<IpAddr>> {
    Ok((host, port).to_socket_addrs()?.map(|a| a.ip()).collect())
}

/// Whether plain http may go to `ip`: a loopback address or the ECS/EKS container agent
/// (`169.254.170.2`, `169.254.170.23`, `fd00:ec2::23`), as in the AWS SDKs.
fn allowed_http_ip(ip: IpAddr) -> bool {
    ip.is_loopback() || AGENT_ADDRESSES.contains(&ip)
}

/// The ECS and EKS container credential agents' link-local addresses.
const AGENT_ADDRESSES: [IpAddr; 3] = [
    IpAddr::V4(Ipv4Addr::new(169, 254, 170, 2)),
    IpAddr::V4(Ipv4Addr::new(169, 254, 170, 23)),
    IpAddr::V6(Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x23)),
];

/// Parses `AWS_CONTAINER_CREDENTIALS_FULL_URI` once, with the parser the request itself
/// uses (`http::Uri`, under ureq), and checks the host of that parse: https goes anywhere;
/// plain http only to a loopback or container-agent address, or to a host name that
/// resolves to loopback addresses only (as aws-config requires). Checking a host cut out
/// of the string by other rules than the request's let
/// `http://attacker:80#@169.254.170.2/` through while the request went to `attacker`.
/// The returned URI is the one to request. (A name is resolved again when connecting; as in
/// aws-config, a resolver that changes its answer in between is not defended against.)
pub(crate) fn checked_full_uri(full: &str, resolve: &Resolve) -> Result<Uri, String> {
    let rule = "AWS_CONTAINER_CREDENTIALS_FULL_URI must use https, or http to a loopback \
                address (127.0.0.0/8, ::1, or a name resolving only to them, such as \
                localhost) or the ECS/EKS container endpoint (169.254.170.2, \
                169.254.170.23, fd00:ec2::23)";
    let uri: Uri = full.parse().map_err(|e| {
        format!("AWS_CONTAINER_CREDENTIALS_FULL_URI '{full}' is not a valid URI: {e}")
    })?;
    let host = uri.host().filter(|h| !h.is_empty()).ok_or_else(|| {
        format!("AWS_CONTAINER_CREDENTIALS_FULL_URI '{full}' has no host; {rule}")
    })?;
    let scheme = uri.scheme_str().unwrap_or("");
    if scheme.eq_ignore_ascii_case("https") {
        return Ok(uri);
    }
    if !scheme.eq_ignore_ascii_case("http") {
        return Err(format!("'{full}': {rule}"));
    }
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return if allowed_http_ip(ip) {
            Ok(uri)
        } else {
            Err(format!("'{full}' names host {host}; {rule}"))
        };
    }
    let addrs = resolve(bare, uri.port_u16().unwrap_or(80))
        .map_err(|e| format!("'{full}': cannot resolve host {host} ({e}); {rule}"))?;
    if addrs.is_empty() || !addrs.iter().all(|ip| ip.is_loopback()) {
        let list: Vec<String> = addrs.iter().map(|a| a.to_string()).collect();
        return Err(format!(
            "'{full}' names host {host}, which resolves to [{}]; {rule}",
            list.join(", ")
        ));
    }
    Ok(uri)
}

/// Parses the JSON the container and instance-metadata endpoints return.
pub(crate) fn parse_json_credentials(
    body: &str,
    provider: &'static str,
) -> Result<Credentials, String> {
    let v: serde_json::Value = serde_json::from_str(body)
        .map_err(|e| format!("the credentials response is not JSON: {e}"))?;
    if let Some(code) = v.get("Code").and_then(|c| c.as_str()) {
        if code != "Success" {
            let msg = v.get("Message").and_then(|m| m.as_str()).unwrap_or("");
            return Err(format!("the endpoint answered Code {code}: {msg}"));
        }
    }
    let field = |k: &str| {
        v.get(k)
            .and_then(|x| x.as_str())
            .map(str::to_string)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| format!("the credentials response has no {k}"))
    };
    let akid = field("AccessKeyId")?;
    let secret = field("SecretAccessKey")?;
    let token = v
        .get("Token")
        .or_else(|| v.get("SessionToken"))
        .and_then(|x| x.as_str())
        .map(str::to_string);
    let expiry = match v.get("Expiration").and_then(|x| x.as_str()) {
        Some(t) => Some(parse_timestamp(t).ok_or_else(|| {
            format!("the credentials response has an unreadable Expiration '{t}'")
        })?),
        None => None,
    };
    Ok(Credentials::new(akid, secret, token, expiry, provider))
}

impl ContainerProvider {
    /// A provider reading its settings from `env` on every fetch.
    pub fn new(env: SharedEnv, ctx: &ProviderContext) -> Self {
        let transport = http::transport(ctx, Duration::from_secs(2), Duration::from_secs(5), true);
        ContainerProvider {
            env,
            transport,
            clock: ctx.clock.clone(),
            relative_uri_host: ECS_CREDENTIALS_HOST.to_string(),
            trust_all_certificates: ctx.trust_all_certificates,
        }
    }

    /// Resolves `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` against `host` (e.g.
    /// `http://127.0.0.1:8080`) instead of the ECS agent at [`ECS_CREDENTIALS_HOST`]: for
    /// tests, and for programs that proxy the agent. Only code can change this, never the
    /// environment, so production behaviour stays that of the AWS SDKs.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use kinesis_wire::credentials::{ContainerProvider, ProviderContext};
    /// use kinesis_wire::env::MapEnv;
    /// let env = Arc::new(MapEnv::from_pairs([("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/x")]));
    /// let p = ContainerProvider::new(env, &ProviderContext::default())
    ///     .with_relative_uri_host("http://127.0.0.1:1/");
    /// # let _ = p;
    /// ```
    pub fn with_relative_uri_host(mut self, host: impl Into<String>) -> Self {
        self.relative_uri_host = host.into().trim_end_matches('/').to_string();
        self
    }

    fn get_env(&self, k: &str) -> Option<String> {
        self.env
            .get(k)
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    }

    /// The URI to request, parsed once: the request goes to exactly what was checked.
    fn url(&self) -> Result<Uri, CredentialsError> {
        self.url_with(&system_resolve)
    }

    fn url_with(&self, resolve: &Resolve) -> Result<Uri, CredentialsError> {
        let failed = |reason: String| CredentialsError::Failed {
            provider: NAME,
            reason,
        };
        if let Some(rel) = self.get_env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") {
            let sep = if rel.starts_with('/') { "" } else { "/" };
            let full = format!("{}{sep}{rel}", self.relative_uri_host);
            let uri: Uri = full.parse().map_err(|e| {
                failed(format!(
                    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI '{rel}' does not make a valid URI \
                     ({full}): {e}"
                ))
            })?;
            // The relative part cannot move the request to another host.
            let base: Option<Uri> = self.relative_uri_host.parse().ok();
            if uri.authority() != base.as_ref().and_then(|b| b.authority()) {
                return Err(failed(format!(
                    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI '{rel}' would leave {}",
                    self.relative_uri_host
                )));
            }
            return Ok(uri);
        }
        let Some(full) = self.get_env("AWS_CONTAINER_CREDENTIALS_FULL_URI") else {
            return Err(CredentialsError::NotFound {
                provider: NAME,
                reason: "neither AWS_CONTAINER_CREDENTIALS_RELATIVE_URI nor \
                         AWS_CONTAINER_CREDENTIALS_FULL_URI is set"
                    .into(),
            });
        };
        checked_full_uri(&full, resolve).map_err(failed)
    }

    fn auth_token(&self) -> Result<Option<String>, CredentialsError> {
        let token = if let Some(path) = self.get_env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE") {
            let t = std::fs::read_to_string(&path).map_err(|e| CredentialsError::Failed {
                provider: NAME,
                reason: format!(
                    "could not read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE {path}: {e}"
                ),
            })?;
            Some(t.trim().to_string())
        } else {
            self.get_env("AWS_CONTAINER_AUTHORIZATION_TOKEN")
        };
        if let Some(t) = &token {
            if t.contains(['\r', '\n']) {
                return Err(CredentialsError::Failed {
                    provider: NAME,
                    reason: "the container authorization token contains a line break".into(),
                });
            }
        }
        Ok(token)
    }
}

impl Provider for ContainerProvider {
    fn credentials(&self) -> Result<Credentials, CredentialsError> {
        self.credentials_with_shutdown(&Shutdown::new())
    }

    fn credentials_with_shutdown(
        &self,
        shutdown: &Shutdown,
    ) -> Result<Credentials, CredentialsError> {
        let url = self.url()?;
        // Plain http to the agent's link-local addresses is how ECS and EKS work.
        crate::insecure::warn_if_insecure(
            "container credentials",
            &url.to_string(),
            self.trust_all_certificates,
            &AGENT_ADDRESSES,
        );
        let token = self.auth_token()?;
        let failed = |reason: String| CredentialsError::Failed {
            provider: NAME,
            reason,
        };
        let transport = self.transport.as_ref().map_err(|e| failed(e.clone()))?;
        // The URI as checked, written out whole: parsing it again gives the same host.
        let mut req = HttpRequest::get(url.to_string());
        if let Some(t) = &token {
            req = req.with_header("authorization", t.as_str());
        }
        let sent = http::send_retrying(&attempts::CONTAINER, &*self.clock, shutdown, true, || {
            http::send(&**transport, &req)
        })
        .map_err(|_| CredentialsError::Interrupted { provider: NAME })?;
        match sent {
            Ok(reply) if reply.is_success() => {
                parse_json_credentials(&reply.body, NAME).map_err(|e| failed(format!("{url}: {e}")))
            }
            Ok(reply) => Err(failed(format!(
                "{url} answered HTTP {}: {}",
                reply.status,
                http::snippet(&reply.body, 200, &[token.as_deref().unwrap_or("")])
            ))),
            Err(e) => Err(failed(e.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::MapEnv;
    use std::sync::Arc;

    fn provider(pairs: &[(&str, &str)]) -> ContainerProvider {
        ContainerProvider::new(
            Arc::new(MapEnv::from_pairs(pairs.iter().copied())),
            &ProviderContext::default(),
        )
    }

    #[test]
    fn relative_uri_goes_to_the_ecs_agent() {
        let p = provider(&[("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/creds/abc")]);
        assert_eq!(p.url().unwrap(), "http://169.254.170.2/v2/creds/abc");
    }

    /// A resolver without DNS: `localhost` and `local.test` are loopback, `mixed.test` is
    /// loopback and not, `attacker` is not, anything else does not resolve.
    fn fake_resolve(host: &str, _port: u16) -> std::io::Result<Vec<IpAddr>> {
        let ips: &[&str] = match host {
            "localhost" => &["127.0.0.1", "::1"],
            "local.test" => &["127.0.0.1"],
            "mixed.test" => &["127.0.0.1", "10.0.0.1"],
            "attacker" => &["203.0.113.7"],
            _ => return Err(std::io::Error::other("no such host")),
        };
        Ok(ips.iter().map(|s| s.parse().unwrap()).collect())
    }

    fn full_uri(uri: &str) -> Result<Uri, CredentialsError> {
        provider(&[("AWS_CONTAINER_CREDENTIALS_FULL_URI", uri)]).url_with(&fake_resolve)
    }

    #[test]
    fn full_uri_must_be_https_or_loopback() {
        for (ok, host) in [
            ("https://example.com/creds", "example.com"),
            ("http://127.0.0.1:8080/creds", "127.0.0.1"),
            ("http://127.1.2.3/x", "127.1.2.3"),
            ("http://localhost/x", "localhost"),
            ("http://local.test:9/x", "local.test"),
            ("HTTP://[::1]:80/x", "[::1]"),
            ("http://169.254.170.2/v2/creds", "169.254.170.2"),
            ("http://169.254.170.23/v1/credentials", "169.254.170.23"),
            ("http://[fd00:ec2::23]/v1/credentials", "[fd00:ec2::23]"),
            ("http://user@127.0.0.1/x", "127.0.0.1"),
        ] {
            let uri = full_uri(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
            // The URI handed to the request names the host that was checked, and the text
            // the transport is given parses back to the same URI.
            assert_eq!(uri.host(), Some(host), "{ok}");
            let again: Uri = uri.to_string().parse().unwrap();
            assert_eq!((again.host(), &again), (Some(host), &uri), "{ok}");
        }
        for bad in [
            "http://10.0.0.1/x",
            "http://example.com/x",
            "http://127.0.0.1.evil.com/x",
            "http://mixed.test/x",
            "http://[::ffff:10.0.0.1]/x",
            "ftp://127.0.0.1/x",
            // The host as the request sees it is `attacker`, whatever follows.
            "http://attacker:80#@169.254.170.2/creds",
            "http://attacker#@127.0.0.1/creds",
            "http://attacker?@127.0.0.1/creds",
            "http://127.0.0.1@attacker/creds",
            "http://169.254.170.2:80@attacker/creds",
        ] {
            let err = full_uri(bad)
                .map(|u| format!("accepted, host {:?}", u.host()))
                .unwrap_err()
                .to_string();
            assert!(err.contains("must use https"), "{bad}: {err}");
        }
        for unparsable in ["http://attacker\\@127.0.0.1/", "http://", "not a uri"] {
            assert!(full_uri(unparsable).is_err(), "{unparsable}");
        }
    }

    #[test]
    fn the_request_goes_to_the_checked_uri_with_the_token_and_is_retried() {
        use crate::test_util::{answer, ManualClock, ScriptedTransport};
        let t = ScriptedTransport::new([
            answer(503, "busy"),
            answer(
                200,
                r#"{"AccessKeyId":"AKIDCTR","SecretAccessKey":"s","Token":"t",
                    "Expiration":"2030-01-02T03:04:05Z"}"#,
            ),
        ]);
        let clock = ManualClock::new();
        let ctx = ProviderContext::default()
            .with_transport(t.clone())
            .with_clock(clock.clone());
        let env = MapEnv::from_pairs([
            (
                "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                "http://127.0.0.1:9/creds?a=1",
            ),
            ("AWS_CONTAINER_AUTHORIZATION_TOKEN", "ctr-token"),
        ]);
        let c = ContainerProvider::new(Arc::new(env), &ctx)
            .credentials()
            .unwrap();
        assert_eq!(c.access_key_id, "AKIDCTR");
        let sent = t.requests();
        assert_eq!(sent.len(), 2, "the 503 was retried");
        for r in &sent {
            assert_eq!(r.method, crate::transport::Method::Get);
            assert_eq!(r.url, "http://127.0.0.1:9/creds?a=1");
            assert_eq!(r.header("authorization"), Some("ctr-token"));
        }
        // The retry waited on the provider's clock, not the real one.
        assert_eq!(clock.sleeps().len(), 1);
    }

    #[test]
    fn names_are_resolved_by_the_system_resolver() {
        let p = provider(&[("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://localhost:1/x")]);
        assert_eq!(p.url().unwrap().host(), Some("localhost"));
    }

    #[test]
    fn relative_uri_cannot_leave_the_agent() {
        for rel in ["/v2/x", "v2/x", "/@attacker/x", "?a=b"] {
            let p = provider(&[("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", rel)]);
            assert_eq!(p.url().unwrap().host(), Some("169.254.170.2"), "{rel}");
        }
        let p = provider(&[("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/x y")]);
        assert!(p.url().is_err());
    }
}
