//! AWS STS over its Query API: `AssumeRole` (SigV4-signed with another provider's
//! credentials) and `AssumeRoleWithWebIdentity` (unsigned). Responses are XML; the few
//! fields we need are picked out by hand.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use super::attempts;
use super::http::{self, HttpFailure, HttpReply};
use super::{parse_timestamp, Credentials, CredentialsError, Provider, ProviderContext};
use crate::clock::Clock;
use crate::env::SharedEnv;
use crate::retry::{RetryStop, Shutdown};
use crate::sys_props;
use crate::transport::{HttpRequest, Transport};

/// The raw content of the first `<tag>...</tag>` element in `xml`.
fn xml_raw<'a>(xml: &'a str, tag: &str) -> Option<&'a str> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let start = xml.find(&open)? + open.len();
    let end = start + xml[start..].find(&close)?;
    Some(xml[start..end].trim())
}

/// The value of the first `<tag>...</tag>` element in `xml`, entity-decoded.
pub(crate) fn xml_field(xml: &str, tag: &str) -> Option<String> {
    xml_raw(xml, tag).map(xml_unescape)
}

fn xml_unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let after = &rest[i..];
        let semi = after.find(';').unwrap_or(0);
        let entity = &after[..semi + 1];
        let decoded = match entity {
            "&amp;" => Some('&'),
            "&lt;" => Some('<'),
            "&gt;" => Some('>'),
            "&quot;" => Some('"'),
            "&apos;" => Some('\''),
            e if e.starts_with("&#x") && e.len() > 4 => u32::from_str_radix(&e[3..e.len() - 1], 16)
                .ok()
                .and_then(char::from_u32),
            e if e.starts_with("&#") && e.len() > 3 => {
                e[2..e.len() - 1].parse().ok().and_then(char::from_u32)
            }
            _ => None,
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &after[entity.len()..];
            }
            None => {
                out.push('&');
                rest = &after[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// An STS failure: the error `Code` and `Message` of an `ErrorResponse`, or a description of
/// the unexpected response.
#[derive(Debug)]
pub(crate) struct StsError {
    pub code: Option<String>,
    pub text: String,
    /// Worth another attempt (5xx, throttling, identity provider hiccup, no answer).
    pub transient: bool,
    /// The caller's shutdown stopped the retries.
    pub interrupted: bool,
}

impl StsError {
    fn new(code: Option<String>, text: String, transient: bool) -> Self {
        StsError {
            code,
            text,
            transient,
            interrupted: false,
        }
    }

    /// The provider's error: [`CredentialsError::Interrupted`], or `Failed` with the reason
    /// `reason` makes of the text.
    pub fn into_credentials_error(
        self,
        provider: &'static str,
        reason: impl FnOnce(&str) -> String,
    ) -> CredentialsError {
        if self.interrupted {
            CredentialsError::Interrupted { provider }
        } else {
            CredentialsError::Failed {
                provider,
                reason: reason(&self.text),
            }
        }
    }
}

impl std::fmt::Display for StsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// Parses a successful STS response's `<Credentials>` element.
pub(crate) fn parse_credentials_xml(
    body: &str,
    provider: &'static str,
) -> Result<Credentials, String> {
    let creds = xml_raw(body, "Credentials")
        .ok_or_else(|| "the STS response has no <Credentials> element".to_string())?;
    let need = |tag: &str| {
        xml_field(creds, tag)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| format!("the STS response has no <{tag}> in <Credentials>"))
    };
    let akid = need("AccessKeyId")?;
    let secret = need("SecretAccessKey")?;
    let token = need("SessionToken")?;
    let exp_text = need("Expiration")?;
    let expiry = parse_timestamp(&exp_text)
        .ok_or_else(|| format!("the STS response has an unreadable <Expiration> '{exp_text}'"))?;
    Ok(Credentials::new(
        akid,
        secret,
        Some(token),
        Some(expiry),
        provider,
    ))
}

/// The error an STS reply describes; `known` are the secrets the request carried, masked
/// should the reply echo them.
fn sts_error(reply: &HttpReply, known: &[&str]) -> StsError {
    let code = xml_field(&reply.body, "Code");
    let message = xml_field(&reply.body, "Message");
    let transient = reply.status >= 500
        || matches!(
            code.as_deref(),
            Some("Throttling" | "ThrottlingException" | "IDPCommunicationError")
        );
    let text = match (&code, &message) {
        (Some(c), Some(m)) => format!(
            "HTTP {}: {c}: {}",
            reply.status,
            http::snippet(m, 500, known)
        ),
        (Some(c), None) => format!("HTTP {}: {c}", reply.status),
        _ => format!(
            "HTTP {}: unexpected response: {}",
            reply.status,
            http::snippet(&reply.body, 200, known)
        ),
    };
    StsError::new(code, text, transient)
}

/// [`sts_error`] of an answer with `status` and `body`: its code, text and whether it is
/// transient.
#[cfg(feature = "fuzzing")]
pub(crate) fn sts_error_text(status: u16, body: &str) -> (Option<String>, String, bool) {
    let e = sts_error(
        &HttpReply {
            status,
            body: body.to_string(),
        },
        &[],
    );
    (e.code, e.text, e.transient)
}

/// The region credential calls use: the client's region, else `AWS_REGION`,
/// `AWS_DEFAULT_REGION`, else `us-east-1`.
pub(crate) fn effective_region(ctx: &ProviderContext, env: &SharedEnv) -> String {
    ctx.region
        .clone()
        .or_else(|| env.get("AWS_REGION"))
        .or_else(|| env.get("AWS_DEFAULT_REGION"))
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| "us-east-1".to_string())
}

/// A minimal STS client bound to one endpoint.
#[derive(Debug)]
pub(crate) struct StsClient {
    transport: Result<Arc<dyn Transport>, String>,
    pub clock: Arc<dyn Clock>,
    pub endpoint: String,
    signing_region: String,
    trust_all_certificates: bool,
}

impl StsClient {
    /// The endpoint is `explicit` (`aws.credentials.role.stsEndpoint`), else
    /// `AWS_ENDPOINT_URL_STS`, else `AWS_ENDPOINT_URL`, else the regional STS endpoint.
    pub fn new(
        explicit: Option<&str>,
        region: &str,
        env: &SharedEnv,
        ctx: &ProviderContext,
    ) -> Self {
        let suffix = if region.starts_with("cn-") {
            "amazonaws.com.cn"
        } else {
            "amazonaws.com"
        };
        let endpoint = explicit
            .map(str::to_string)
            .or_else(|| env.get("AWS_ENDPOINT_URL_STS"))
            .or_else(|| env.get("AWS_ENDPOINT_URL"))
            .map(|e| e.trim().to_string())
            .filter(|e| !e.is_empty())
            .map(|e| {
                if e.contains("://") {
                    e
                } else {
                    format!("https://{e}")
                }
            })
            .unwrap_or_else(|| {
                if region == "aws-global" {
                    "https://sts.amazonaws.com".to_string()
                } else {
                    format!("https://sts.{region}.{suffix}")
                }
            });
        let endpoint = endpoint.trim_end_matches('/').to_string();
        // An AWS STS host names its own region; the global host signs for us-east-1.
        let host = endpoint
            .split("://")
            .nth(1)
            .unwrap_or("")
            .split(['/', ':'])
            .next()
            .unwrap_or("");
        let parts: Vec<&str> = host.split('.').collect();
        let signing_region = if host == "sts.amazonaws.com" {
            "us-east-1".to_string()
        } else if parts.len() >= 4 && parts[0] == "sts" && parts[2] == "amazonaws" {
            parts[1].to_string()
        } else {
            region.to_string()
        };
        StsClient {
            transport: http::transport(ctx, Duration::from_secs(5), Duration::from_secs(30), true),
            clock: ctx.clock.clone(),
            endpoint,
            signing_region,
            trust_all_certificates: ctx.trust_all_certificates,
        }
    }

    fn url(&self) -> String {
        format!("{}/", self.endpoint)
    }

    /// Sends a form body, signed with `signer` when given, retrying transient failures
    /// ([`attempts::REMOTE`]) until `shutdown` triggers.
    fn call(
        &self,
        form: &str,
        signer: Option<&Credentials>,
        provider: &'static str,
        shutdown: &Shutdown,
        known: &[&str],
    ) -> Result<Credentials, StsError> {
        attempts::REMOTE
            .retry_on(
                &*self.clock,
                shutdown,
                |e: &StsError| e.transient,
                |_| self.call_once(form, signer, provider, known),
            )
            .map_err(|stop| match stop {
                RetryStop::Fatal(e) | RetryStop::Exhausted { last: e, .. } => e,
                RetryStop::Interrupted { .. } => StsError {
                    interrupted: true,
                    ..StsError::new(None, "interrupted by shutdown".into(), false)
                },
            })
    }

    fn call_once(
        &self,
        form: &str,
        signer: Option<&Credentials>,
        provider: &'static str,
        known: &[&str],
    ) -> Result<Credentials, StsError> {
        let url = self.url();
        crate::insecure::warn_if_insecure("STS", &url, self.trust_all_certificates, &[]);
        let mut req = HttpRequest::post(url, form.as_bytes().to_vec()).with_header(
            "content-type",
            "application/x-www-form-urlencoded; charset=utf-8",
        );
        if let Some(creds) = signer {
            crate::sign::sign_request(
                &mut req,
                creds,
                &self.signing_region,
                "sts",
                self.clock.now(),
            )
            .map_err(|e| {
                StsError::new(
                    None,
                    format!("could not sign the STS request: {}", e.message()),
                    false,
                )
            })?;
        }
        let transport = self
            .transport
            .as_ref()
            .map_err(|e| StsError::new(None, e.clone(), false))?;
        let reply = http::send(&**transport, &req).map_err(|f| {
            StsError::new(
                None,
                f.to_string(),
                matches!(f, HttpFailure::Unreachable(_)),
            )
        })?;
        if !reply.is_success() {
            return Err(sts_error(&reply, known));
        }
        parse_credentials_xml(&reply.body, provider)
            .map_err(|text| StsError::new(None, text, false))
    }

    /// STS `AssumeRole`, signed with `source`.
    #[allow(clippy::too_many_arguments)]
    pub fn assume_role(
        &self,
        source: &Credentials,
        role_arn: &str,
        session_name: &str,
        external_id: Option<&str>,
        duration_seconds: Option<u32>,
        provider: &'static str,
        shutdown: &Shutdown,
    ) -> Result<Credentials, StsError> {
        let duration = duration_seconds.map(|d| d.to_string());
        let mut pairs = vec![
            ("Action", "AssumeRole"),
            ("Version", "2011-06-15"),
            ("RoleArn", role_arn),
            ("RoleSessionName", session_name),
        ];
        if let Some(x) = external_id {
            pairs.push(("ExternalId", x));
        }
        if let Some(d) = &duration {
            pairs.push(("DurationSeconds", d));
        }
        let known = [
            source.secret_access_key.as_str(),
            source.session_token.as_deref().unwrap_or(""),
        ];
        self.call(
            &http::form_body(&pairs),
            Some(source),
            provider,
            shutdown,
            &known,
        )
    }

    /// STS `AssumeRoleWithWebIdentity` (unsigned: the token is the proof).
    pub fn assume_role_with_web_identity(
        &self,
        role_arn: &str,
        session_name: &str,
        token: &str,
        provider: &'static str,
        shutdown: &Shutdown,
    ) -> Result<Credentials, StsError> {
        let pairs = [
            ("Action", "AssumeRoleWithWebIdentity"),
            ("Version", "2011-06-15"),
            ("RoleArn", role_arn),
            ("RoleSessionName", session_name),
            ("WebIdentityToken", token),
        ];
        self.call(&http::form_body(&pairs), None, provider, shutdown, &[token])
    }
}

/// A session name for when none is configured, unique enough per call.
pub(crate) fn generated_session_name(clock: &dyn Clock) -> String {
    let millis = clock
        .now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis();
    format!("kinesis-rs-{millis}")
}

/// `ASSUME_ROLE`: STS `AssumeRole` with credentials from a nested provider.
#[derive(Debug)]
pub struct AssumeRoleProvider {
    sts: StsClient,
    source: Arc<dyn Provider>,
    role_arn: String,
    session_name: String,
    external_id: Option<String>,
    duration_seconds: Option<u32>,
    provider_name: &'static str,
}

impl AssumeRoleProvider {
    /// Assumes `role_arn` with credentials from `source`. STS is `sts_endpoint`
    /// (`aws.credentials.role.stsEndpoint`), else `AWS_ENDPOINT_URL_STS` /
    /// `AWS_ENDPOINT_URL` from `env`, else the regional endpoint of `ctx.region`. Wrap it in
    /// a [`super::CachingProvider`] (as [`super::from_spec`] does) to reuse the session.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use kinesis_wire::credentials::{AssumeRoleProvider, Provider, ProviderContext, StaticProvider};
    /// use kinesis_wire::{credentials::Credentials, env::MapEnv};
    /// let source = Arc::new(StaticProvider::new(Credentials::new("AKID", "s", None, None, "BASIC")));
    /// let p = AssumeRoleProvider::new(source, "", "session", None, None,
    ///     Arc::new(MapEnv::default()), &ProviderContext::default());
    /// assert!(p.credentials().unwrap_err().to_string().contains("roleArn"));
    /// ```
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        source: Arc<dyn Provider>,
        role_arn: impl Into<String>,
        session_name: impl Into<String>,
        external_id: Option<String>,
        sts_endpoint: Option<&str>,
        env: SharedEnv,
        ctx: &ProviderContext,
    ) -> Self {
        let region = effective_region(ctx, &env);
        Self::with_client(
            StsClient::new(sts_endpoint, &region, &env, ctx),
            source,
            role_arn.into(),
            session_name.into(),
            external_id,
            None,
            "ASSUME_ROLE",
        )
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn with_client(
        sts: StsClient,
        source: Arc<dyn Provider>,
        role_arn: String,
        session_name: String,
        external_id: Option<String>,
        duration_seconds: Option<u32>,
        provider_name: &'static str,
    ) -> Self {
        AssumeRoleProvider {
            sts,
            source,
            role_arn,
            session_name,
            external_id,
            duration_seconds,
            provider_name,
        }
    }
}

impl Provider for AssumeRoleProvider {
    fn credentials(&self) -> Result<Credentials, CredentialsError> {
        self.credentials_with_shutdown(&Shutdown::new())
    }

    fn credentials_with_shutdown(
        &self,
        shutdown: &Shutdown,
    ) -> Result<Credentials, CredentialsError> {
        let name = self.provider_name;
        if self.role_arn.trim().is_empty() || self.session_name.trim().is_empty() {
            return Err(CredentialsError::Failed {
                provider: name,
                reason: "You must specify a value for roleArn and roleSessionName \
                         (aws.credentials.role.arn, aws.credentials.role.sessionName)"
                    .into(),
            });
        }
        let mut retried = false;
        loop {
            let source = self
                .source
                .credentials_with_shutdown(shutdown)
                .map_err(|e| match e {
                    CredentialsError::Interrupted { .. } => e,
                    e => CredentialsError::Failed {
                        provider: name,
                        reason: format!(
                            "could not get the credentials to call STS AssumeRole for {} \
                             with: {e}",
                            self.role_arn
                        ),
                    },
                })?;
            match self.sts.assume_role(
                &source,
                &self.role_arn,
                &self.session_name,
                self.external_id.as_deref(),
                self.duration_seconds,
                name,
                shutdown,
            ) {
                Ok(c) => return Ok(c),
                // The source's cached session expired under us: fetch fresh ones once.
                Err(e)
                    if !retried
                        && matches!(
                            e.code.as_deref(),
                            Some("ExpiredToken" | "ExpiredTokenException")
                        ) =>
                {
                    retried = true;
                    self.source.invalidate_rejected(&source);
                }
                Err(e) => {
                    return Err(e.into_credentials_error(name, |text| {
                        format!(
                            "STS AssumeRole of {} at {} failed: {text}",
                            self.role_arn, self.sts.endpoint
                        )
                    }))
                }
            }
        }
    }

    fn invalidate(&self) {
        self.source.invalidate();
    }
}

/// `WEB_IDENTITY_TOKEN`: STS `AssumeRoleWithWebIdentity` with a token read from a file on
/// every fetch (EKS rotates it).
pub struct WebIdentityProvider {
    sts: StsClient,
    env: SharedEnv,
    role_arn: Option<String>,
    session_name: Option<String>,
    token_file: Option<PathBuf>,
    provider_name: &'static str,
}

// Manual: the environment source may hold secrets.
impl std::fmt::Debug for WebIdentityProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebIdentityProvider")
            .field("sts", &self.sts.endpoint)
            .field("role_arn", &self.role_arn)
            .field("session_name", &self.session_name)
            .field("token_file", &self.token_file)
            .finish_non_exhaustive()
    }
}

fn non_blank(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

impl WebIdentityProvider {
    /// Exchanges the token in `token_file` (else `AWS_WEB_IDENTITY_TOKEN_FILE`) for a session
    /// of `role_arn` (else `AWS_ROLE_ARN`) named `session_name` (else
    /// `AWS_ROLE_SESSION_NAME`, else generated). STS is chosen as for
    /// [`AssumeRoleProvider::new`].
    ///
    /// ```
    /// use std::sync::Arc;
    /// use kinesis_wire::credentials::{Provider, ProviderContext, WebIdentityProvider};
    /// use kinesis_wire::env::MapEnv;
    /// let p = WebIdentityProvider::new(None, None, None, None,
    ///     Arc::new(MapEnv::default()), &ProviderContext::default());
    /// assert!(p.credentials().unwrap_err().to_string().contains("AWS_WEB_IDENTITY_TOKEN_FILE"));
    /// ```
    pub fn new(
        role_arn: Option<String>,
        session_name: Option<String>,
        token_file: Option<PathBuf>,
        sts_endpoint: Option<&str>,
        env: SharedEnv,
        ctx: &ProviderContext,
    ) -> Self {
        let region = effective_region(ctx, &env);
        Self::with_client(
            StsClient::new(sts_endpoint, &region, &env, ctx),
            env,
            role_arn,
            session_name,
            token_file,
            "WEB_IDENTITY_TOKEN",
        )
    }

    pub(crate) fn with_client(
        sts: StsClient,
        env: SharedEnv,
        role_arn: Option<String>,
        session_name: Option<String>,
        token_file: Option<PathBuf>,
        provider_name: &'static str,
    ) -> Self {
        WebIdentityProvider {
            sts,
            env,
            role_arn,
            session_name,
            token_file,
            provider_name,
        }
    }
}

impl Provider for WebIdentityProvider {
    fn credentials(&self) -> Result<Credentials, CredentialsError> {
        self.credentials_with_shutdown(&Shutdown::new())
    }

    fn credentials_with_shutdown(
        &self,
        shutdown: &Shutdown,
    ) -> Result<Credentials, CredentialsError> {
        let name = self.provider_name;
        let token_file = self
            .token_file
            .clone()
            .or_else(|| non_blank(self.env.get("AWS_WEB_IDENTITY_TOKEN_FILE")).map(PathBuf::from))
            .or_else(|| non_blank(sys_props::get("aws.webIdentityTokenFile")).map(PathBuf::from))
            .ok_or_else(|| CredentialsError::NotFound {
                provider: name,
                reason: "Either the environment variable AWS_WEB_IDENTITY_TOKEN_FILE or the \
                         javaproperty aws.webIdentityTokenFile must be set."
                    .into(),
            })?;
        let role_arn = non_blank(self.role_arn.clone())
            .or_else(|| non_blank(self.env.get("AWS_ROLE_ARN")))
            .or_else(|| non_blank(sys_props::get("aws.roleArn")))
            .ok_or_else(|| CredentialsError::Failed {
                provider: name,
                reason: format!(
                    "a web identity token file is set ({}) but no role: set \
                     aws.credentials.role.arn or the environment variable AWS_ROLE_ARN",
                    token_file.display()
                ),
            })?;
        let session = non_blank(self.session_name.clone())
            .or_else(|| non_blank(self.env.get("AWS_ROLE_SESSION_NAME")))
            .or_else(|| non_blank(sys_props::get("aws.roleSessionName")))
            .unwrap_or_else(|| generated_session_name(&*self.sts.clock));
        let token = std::fs::read_to_string(&token_file).map_err(|e| CredentialsError::Failed {
            provider: name,
            reason: format!(
                "could not read the web identity token file {}: {e}",
                token_file.display()
            ),
        })?;
        let token = token.trim();
        if token.is_empty() {
            return Err(CredentialsError::Failed {
                provider: name,
                reason: format!(
                    "the web identity token file {} is empty",
                    token_file.display()
                ),
            });
        }
        self.sts
            .assume_role_with_web_identity(&role_arn, &session, token, name, shutdown)
            .map_err(|e| {
                e.into_credentials_error(name, |text| {
                    format!(
                        "STS AssumeRoleWithWebIdentity of {role_arn} at {} failed: {text}",
                        self.sts.endpoint
                    )
                })
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_assume_role_response() {
        let xml = r#"<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <AssumedRoleUser><Arn>arn:aws:sts::1:assumed-role/r/s</Arn></AssumedRoleUser>
    <Credentials>
      <AccessKeyId>ASIAEXAMPLE</AccessKeyId>
      <SecretAccessKey>se/cr+et&amp;</SecretAccessKey>
      <SessionToken>tok</SessionToken>
      <Expiration>2030-01-02T03:04:05Z</Expiration>
    </Credentials>
  </AssumeRoleResult></AssumeRoleResponse>"#;
        let c = parse_credentials_xml(xml, "ASSUME_ROLE").unwrap();
        assert_eq!(c.access_key_id, "ASIAEXAMPLE");
        assert_eq!(c.secret_access_key, "se/cr+et&");
        assert_eq!(c.session_token.as_deref(), Some("tok"));
        let secs = c
            .expiry
            .unwrap()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        assert_eq!(secs, 1_893_553_445);
        assert!(parse_credentials_xml("<x/>", "A")
            .unwrap_err()
            .contains("<Credentials>"));
    }

    #[test]
    fn parses_error_response() {
        let reply = HttpReply {
            status: 403,
            body: "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>\
                   <Message>not &lt;allowed&gt;</Message></Error></ErrorResponse>"
                .into(),
        };
        let e = sts_error(&reply, &[]);
        assert_eq!(e.code.as_deref(), Some("AccessDenied"));
        assert_eq!(e.text, "HTTP 403: AccessDenied: not <allowed>");
        assert!(!e.transient);
    }

    #[test]
    fn endpoint_resolution() {
        let ctx = ProviderContext::default();
        let env: SharedEnv = Arc::new(crate::env::MapEnv::default());
        let c = StsClient::new(None, "eu-west-1", &env, &ctx);
        assert_eq!(c.endpoint, "https://sts.eu-west-1.amazonaws.com");
        assert_eq!(c.signing_region, "eu-west-1");
        let c = StsClient::new(None, "aws-global", &env, &ctx);
        assert_eq!(c.endpoint, "https://sts.amazonaws.com");
        assert_eq!(c.signing_region, "us-east-1");
        let c = StsClient::new(None, "cn-north-1", &env, &ctx);
        assert_eq!(c.endpoint, "https://sts.cn-north-1.amazonaws.com.cn");
        let env: SharedEnv = Arc::new(crate::env::MapEnv::from_pairs([
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:1"),
            ("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:2/"),
        ]));
        let c = StsClient::new(None, "eu-west-1", &env, &ctx);
        assert_eq!(c.endpoint, "http://127.0.0.1:2");
        let c = StsClient::new(Some("https://sts.amazonaws.com"), "eu-west-1", &env, &ctx);
        assert_eq!(c.signing_region, "us-east-1");
    }
}
