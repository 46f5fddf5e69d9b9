//! The container credentials endpoint (ECS task roles, EKS Pod Identity).

use std::net::IpAddr;
use std::time::Duration;

use super::http::{self, HttpFailure};
use super::{parse_timestamp, Credentials, CredentialsError, Provider, ProviderContext};
use crate::env::SharedEnv;

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
    /// The agent, or why it could not be built (an unreadable CA bundle), reported on use.
    agent: Result<ureq::Agent, String>,
    /// Where `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` is resolved: [`ECS_CREDENTIALS_HOST`]
    /// unless the embedding program chose another host in code. Deliberately not settable
    /// from the environment: whoever can set environment variables could otherwise send
    /// the authorization token to a host of their choice.
    relative_uri_host: String,
}

// Manual: the environment source holds the authorization token.
impl std::fmt::Debug for ContainerProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContainerProvider").finish_non_exhaustive()
    }
}

/// Whether `host` (from a URL; IPv6 in brackets) may be reached over plain http.
fn allowed_http_host(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<IpAddr>() {
        Ok(ip) => {
            ip.is_loopback()
                || bare == "169.254.170.2"
                || bare == "169.254.170.23"
                || bare.eq_ignore_ascii_case("fd00:ec2::23")
        }
        Err(_) => false,
    }
}

/// The host part of `url` (`http://host:port/path`), IPv6 kept in brackets.
fn url_host(url: &str) -> &str {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    let authority = authority
        .rsplit_once('@')
        .map(|(_, h)| h)
        .unwrap_or(authority);
    if authority.starts_with('[') {
        match authority.find(']') {
            Some(i) => &authority[..=i],
            None => authority,
        }
    } else {
        authority.split(':').next().unwrap_or("")
    }
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
        let agent = http::agent(&ctx.http_settings(Duration::from_secs(2), Duration::from_secs(5)));
        ContainerProvider {
            env,
            agent,
            relative_uri_host: ECS_CREDENTIALS_HOST.to_string(),
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

    fn url(&self) -> Result<String, CredentialsError> {
        if let Some(rel) = self.get_env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") {
            let sep = if rel.starts_with('/') { "" } else { "/" };
            return Ok(format!("{}{sep}{rel}", self.relative_uri_host));
        }
        let Some(full) = self.get_env("AWS_CONTAINER_CREDENTIALS_FULL_URI") else {
            return Err(CredentialsError::NotFound {
                provider: NAME,
                reason: "neither AWS_CONTAINER_CREDENTIALS_RELATIVE_URI nor \
                         AWS_CONTAINER_CREDENTIALS_FULL_URI is set"
                    .into(),
            });
        };
        let lower = full.to_ascii_lowercase();
        let ok = lower.starts_with("https://")
            || (lower.starts_with("http://") && allowed_http_host(url_host(&full)));
        if !ok {
            return Err(CredentialsError::Failed {
                provider: NAME,
                reason: format!(
                    "AWS_CONTAINER_CREDENTIALS_FULL_URI '{full}' must use https, or http to a \
                     loopback address (127.0.0.0/8, ::1, localhost) or the ECS/EKS container \
                     endpoint (169.254.170.2, 169.254.170.23, fd00:ec2::23)"
                ),
            });
        }
        Ok(full)
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
        let url = self.url()?;
        let token = self.auth_token()?;
        let failed = |reason: String| CredentialsError::Failed {
            provider: NAME,
            reason,
        };
        let agent = self.agent.as_ref().map_err(|e| failed(e.clone()))?;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let headers: Vec<(&str, &str)> = token
                .as_deref()
                .map(|t| vec![("Authorization", t)])
                .unwrap_or_default();
            match http::get(agent, &url, &headers) {
                Ok(reply) if reply.is_success() => {
                    return parse_json_credentials(&reply.body, NAME)
                        .map_err(|e| failed(format!("{url}: {e}")))
                }
                Ok(reply) if reply.status >= 500 && attempt < 3 => {}
                Ok(reply) => {
                    return Err(failed(format!(
                        "{url} answered HTTP {}: {}",
                        reply.status,
                        http::snippet(&reply.body, 200)
                    )))
                }
                Err(HttpFailure::Unreachable(_)) if attempt < 2 => {}
                Err(e) => return Err(failed(e.to_string())),
            }
            std::thread::sleep(Duration::from_millis(50 * attempt));
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

    #[test]
    fn full_uri_must_be_https_or_loopback() {
        for ok in [
            "https://example.com/creds",
            "http://127.0.0.1:8080/creds",
            "http://127.1.2.3/x",
            "http://localhost/x",
            "http://[::1]:80/x",
            "http://169.254.170.23/v1/credentials",
            "http://[fd00:ec2::23]/v1/credentials",
        ] {
            assert!(
                provider(&[("AWS_CONTAINER_CREDENTIALS_FULL_URI", ok)])
                    .url()
                    .is_ok(),
                "{ok}"
            );
        }
        for bad in [
            "http://10.0.0.1/x",
            "http://example.com/x",
            "http://127.0.0.1.evil.com/x",
        ] {
            let err = provider(&[("AWS_CONTAINER_CREDENTIALS_FULL_URI", bad)])
                .url()
                .unwrap_err()
                .to_string();
            assert!(err.contains("must use https"), "{bad}: {err}");
        }
    }
}
