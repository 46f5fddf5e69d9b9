//! `PROFILE`: the shared `credentials` and `config` files of the AWS CLI and SDKs.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

use super::attempts;
use super::container::ContainerProvider;
use super::http;
use super::imds::ImdsProvider;
use super::process;
use super::static_keys::EnvVarProvider;
use super::sts::{effective_region, generated_session_name, StsClient, WebIdentityProvider};
use super::{parse_timestamp, Credentials, CredentialsError, Provider, ProviderContext};
use crate::env::SharedEnv;
use crate::retry::Shutdown;
use crate::transport::HttpRequest;

const NAME: &str = "PROFILE";

pub(crate) type Section = HashMap<String, String>;

/// Profiles, sso-sessions and services sections read from the two files.
#[derive(Default)]
pub(crate) struct ProfileFiles {
    pub(crate) profiles: HashMap<String, Section>,
    sso_sessions: HashMap<String, Section>,
    /// `[services NAME]` sections: nested properties as `service.key` (`kinesis.endpoint_url`).
    pub(crate) services: HashMap<String, Section>,
    /// The files that were read, for messages.
    pub(crate) sources: Vec<PathBuf>,
}

/// Parses INI text into `(section header, properties)` pairs. Keys are lower-cased;
/// indented lines under a key with an empty value (nested properties such as `s3 =` or a
/// services section's `kinesis =`) are kept as `parent.key`; `#` and `;` start comments at
/// the start of a line or after whitespace.
pub(crate) fn parse_ini(text: &str) -> Vec<(String, Section)> {
    let mut out: Vec<(String, Section)> = Vec::new();
    // The key with an empty value that indented lines below it belong to.
    let mut parent: Option<String> = None;
    for raw in text.lines() {
        let line = raw.trim_end();
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        if trimmed.starts_with('[') {
            let inner = trimmed
                .trim_start_matches('[')
                .split(']')
                .next()
                .unwrap_or("")
                .trim();
            // Collapse runs of whitespace so `[profile   x]` works.
            let header = inner.split_whitespace().collect::<Vec<_>>().join(" ");
            out.push((header, Section::new()));
            parent = None;
            continue;
        }
        let nested = line.starts_with([' ', '\t']);
        let Some((k, v)) = trimmed.split_once('=') else {
            continue;
        };
        let mut value = v.trim().to_string();
        for marker in [" #", "\t#", " ;", "\t;"] {
            if let Some(i) = value.find(marker) {
                value.truncate(i);
            }
        }
        let mut key = k.trim().to_ascii_lowercase();
        if nested {
            // A nested property, or a continuation line (not used): kept only under a parent.
            let Some(p) = &parent else { continue };
            key = format!("{p}.{key}");
        } else {
            parent = value.trim().is_empty().then(|| key.clone());
        }
        if let Some((_, section)) = out.last_mut() {
            section.insert(key, value.trim().to_string());
        }
    }
    out
}

// Manual: profiles hold secret keys and session tokens; names and files only.
impl std::fmt::Debug for ProfileFiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut profiles: Vec<&String> = self.profiles.keys().collect();
        profiles.sort();
        let mut sessions: Vec<&String> = self.sso_sessions.keys().collect();
        sessions.sort();
        f.debug_struct("ProfileFiles")
            .field("profiles", &profiles)
            .field("sso_sessions", &sessions)
            .field("sources", &self.sources)
            .finish()
    }
}

impl ProfileFiles {
    /// Reads the config file and then the credentials file; a profile's properties in the
    /// credentials file win over the same properties in the config file.
    pub(crate) fn load(config: Option<&Path>, credentials: Option<&Path>) -> Result<Self, String> {
        let mut files = ProfileFiles::default();
        for (path, is_config) in [(config, true), (credentials, false)] {
            let Some(path) = path else { continue };
            let text = match std::fs::read_to_string(path) {
                Ok(t) => t,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(format!("could not read {}: {e}", path.display())),
            };
            files.sources.push(path.to_path_buf());
            for (header, props) in parse_ini(&text) {
                let target = if is_config {
                    if header == "default" {
                        Some((&mut files.profiles, "default".to_string()))
                    } else if let Some(n) = header.strip_prefix("profile ") {
                        Some((&mut files.profiles, n.trim().to_string()))
                    } else if let Some(n) = header.strip_prefix("sso-session ") {
                        Some((&mut files.sso_sessions, n.trim().to_string()))
                    } else if let Some(n) = header.strip_prefix("services ") {
                        Some((&mut files.services, n.trim().to_string()))
                    } else {
                        log::debug!(
                            "ignoring section [{header}] of {}: config file profiles are \
                             written [profile name]",
                            path.display()
                        );
                        None
                    }
                } else {
                    Some((&mut files.profiles, header))
                };
                if let Some((map, name)) = target {
                    map.entry(name).or_default().extend(props);
                }
            }
        }
        Ok(files)
    }

    fn sources_text(&self) -> String {
        self.sources
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Credentials from a named profile: static keys (with session token), `role_arn` with
/// `source_profile` / `credential_source` / `web_identity_token_file`, `credential_process`,
/// or SSO (`sso_session` or legacy `sso_start_url`). Files are read on every fetch.
///
/// ```
/// use std::sync::Arc;
/// use kinesis_wire::credentials::{ProfileProvider, Provider, ProviderContext};
/// use kinesis_wire::env::MapEnv;
/// let dir = std::env::temp_dir().join(format!("kw-doc-profile-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let file = dir.join("credentials");
/// std::fs::write(&file, "[dev]\naws_access_key_id = AKIDDEV\naws_secret_access_key = s\n").unwrap();
/// let p = ProfileProvider::new(Some(file), Some("dev".into()),
///     Arc::new(MapEnv::default()), &ProviderContext::default());
/// assert_eq!(p.credentials().unwrap().access_key_id, "AKIDDEV");
/// ```
pub struct ProfileProvider {
    path: Option<PathBuf>,
    name: Option<String>,
    env: SharedEnv,
    ctx: ProviderContext,
}

// Manual: the environment source may hold secrets.
impl std::fmt::Debug for ProfileProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProfileProvider")
            .field("path", &self.path)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl ProfileProvider {
    /// `path` is `aws.credentials.profile.path` (the credentials file; default
    /// `AWS_SHARED_CREDENTIALS_FILE` or `~/.aws/credentials`); `name` is
    /// `aws.credentials.profile.name` (default `AWS_PROFILE`, then `default`). The config file
    /// is `AWS_CONFIG_FILE` or `~/.aws/config`.
    pub fn new(
        path: Option<PathBuf>,
        name: Option<String>,
        env: SharedEnv,
        ctx: &ProviderContext,
    ) -> Self {
        ProfileProvider {
            path,
            name,
            env,
            ctx: ctx.clone(),
        }
    }

    fn env_nonblank(&self, k: &str) -> Option<String> {
        self.env
            .get(k)
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    }

    fn home(&self) -> Option<PathBuf> {
        self.env_nonblank("HOME")
            .or_else(|| self.env_nonblank("USERPROFILE"))
            .map(PathBuf::from)
    }

    fn credentials_path(&self) -> Option<PathBuf> {
        self.path
            .clone()
            .or_else(|| {
                self.env_nonblank("AWS_SHARED_CREDENTIALS_FILE")
                    .map(PathBuf::from)
            })
            .or_else(|| self.home().map(|h| h.join(".aws").join("credentials")))
    }

    fn config_path(&self) -> Option<PathBuf> {
        self.env_nonblank("AWS_CONFIG_FILE")
            .map(PathBuf::from)
            .or_else(|| self.home().map(|h| h.join(".aws").join("config")))
    }

    /// Who chose the profile name, when someone did (`None`: the implicit `default`).
    fn profile_name_source(&self) -> Option<&'static str> {
        if self.name.as_deref().is_some_and(|n| !n.trim().is_empty()) {
            Some("aws.credentials.profile.name")
        } else if self.env_nonblank("AWS_PROFILE").is_some() {
            Some("AWS_PROFILE")
        } else {
            None
        }
    }

    fn profile_name(&self) -> String {
        self.name
            .clone()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .or_else(|| self.env_nonblank("AWS_PROFILE"))
            .unwrap_or_else(|| "default".to_string())
    }
}

fn failed(reason: String) -> CredentialsError {
    CredentialsError::Failed {
        provider: NAME,
        reason,
    }
}

impl Provider for ProfileProvider {
    fn credentials(&self) -> Result<Credentials, CredentialsError> {
        self.credentials_with_shutdown(&Shutdown::new())
    }

    fn credentials_with_shutdown(
        &self,
        shutdown: &Shutdown,
    ) -> Result<Credentials, CredentialsError> {
        let cred_path = self.credentials_path();
        let config_path = self.config_path();
        let files =
            ProfileFiles::load(config_path.as_deref(), cred_path.as_deref()).map_err(failed)?;
        let name = self.profile_name();
        if files.sources.is_empty() {
            let looked: Vec<String> = [&cred_path, &config_path]
                .iter()
                .filter_map(|p| p.as_ref().map(|p| p.display().to_string()))
                .collect();
            let reason = if looked.is_empty() {
                "no profile file to look for: HOME is not set, nor are \
                 AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE"
                    .to_string()
            } else {
                format!("no profile file found (looked for {})", looked.join(", "))
            };
            return Err(CredentialsError::NotFound {
                provider: NAME,
                reason,
            });
        }
        if !files.profiles.contains_key(&name) {
            let reason = format!("profile '{name}' not found in {}", files.sources_text());
            // A profile the user named (option or AWS_PROFILE) that the files lack is most
            // likely a typo: stop the default chain here instead of silently moving on to
            // the container or instance role. A missing implicit `default` is just "nothing
            // here".
            return Err(match self.profile_name_source() {
                Some(chosen_by) => failed(format!("{reason}; it was selected by {chosen_by}")),
                None => CredentialsError::NotFound {
                    provider: NAME,
                    reason,
                },
            });
        }
        let resolver = Resolver {
            files: &files,
            provider: self,
            shutdown,
        };
        resolver.resolve(&name, &mut Vec::new())
    }
}

struct Resolver<'a> {
    files: &'a ProfileFiles,
    provider: &'a ProfileProvider,
    /// Stops STS and SSO retries and `credential_process`.
    shutdown: &'a Shutdown,
}

impl Resolver<'_> {
    fn profile(&self, name: &str) -> Result<&Section, CredentialsError> {
        self.files.profiles.get(name).ok_or_else(|| {
            failed(format!(
                "profile '{name}' not found in {}",
                self.files.sources_text()
            ))
        })
    }

    fn static_keys(
        &self,
        name: &str,
        p: &Section,
    ) -> Result<Option<Credentials>, CredentialsError> {
        let get = |k: &str| p.get(k).filter(|v| !v.is_empty()).cloned();
        match (get("aws_access_key_id"), get("aws_secret_access_key")) {
            (Some(a), Some(s)) => Ok(Some(Credentials::new(
                a,
                s,
                get("aws_session_token"),
                None,
                NAME,
            ))),
            (Some(_), None) => Err(failed(format!(
                "profile '{name}' has aws_access_key_id but no aws_secret_access_key"
            ))),
            (None, Some(_)) => Err(failed(format!(
                "profile '{name}' has aws_secret_access_key but no aws_access_key_id"
            ))),
            (None, None) => Ok(None),
        }
    }

    fn resolve(
        &self,
        name: &str,
        chain: &mut Vec<String>,
    ) -> Result<Credentials, CredentialsError> {
        if chain.iter().any(|n| n == name) {
            chain.push(name.to_string());
            return Err(failed(format!(
                "profiles form a cycle through source_profile: {}",
                chain.join(" -> ")
            )));
        }
        chain.push(name.to_string());
        let p = self.profile(name)?;
        let get = |k: &str| p.get(k).filter(|v| !v.is_empty()).cloned();
        if let Some(role_arn) = get("role_arn") {
            return self.assume_role(name, p, &role_arn, chain);
        }
        if get("sso_session").is_some() || get("sso_start_url").is_some() {
            return self.sso(name, p);
        }
        if let Some(cmd) = get("credential_process") {
            return credential_process(name, &cmd, self.shutdown);
        }
        if let Some(c) = self.static_keys(name, p)? {
            return Ok(c);
        }
        let reason = format!(
            "profile '{name}' has no credentials: no aws_access_key_id, role_arn, \
             credential_process or sso settings"
        );
        if chain.len() == 1 {
            // A profile that only sets e.g. `region` is common; the default chain must move
            // on to the container and instance-metadata providers.
            Err(CredentialsError::NotFound {
                provider: NAME,
                reason,
            })
        } else {
            Err(failed(reason))
        }
    }

    fn assume_role(
        &self,
        name: &str,
        p: &Section,
        role_arn: &str,
        chain: &mut Vec<String>,
    ) -> Result<Credentials, CredentialsError> {
        let get = |k: &str| p.get(k).filter(|v| !v.is_empty()).cloned();
        let ctx = &self.provider.ctx;
        let env = &self.provider.env;
        let mut region_ctx = ctx.clone();
        if let Some(r) = get("region") {
            region_ctx.region = Some(r);
        }
        let region = effective_region(&region_ctx, env);
        let sts = StsClient::new(None, &region, env, ctx);
        let session =
            get("role_session_name").unwrap_or_else(|| generated_session_name(&*ctx.clock));
        if let Some(token_file) = get("web_identity_token_file") {
            let wi = WebIdentityProvider::with_client(
                sts,
                env.clone(),
                Some(role_arn.to_string()),
                Some(session),
                Some(PathBuf::from(token_file)),
                NAME,
            );
            return wi.credentials_with_shutdown(self.shutdown);
        }
        let source = if let Some(sp) = get("source_profile") {
            if sp == name {
                // A profile may name itself to assume a role with its own static keys.
                self.static_keys(name, p)?.ok_or_else(|| {
                    failed(format!(
                        "profile '{name}' is its own source_profile but has no static keys"
                    ))
                })?
            } else {
                self.resolve(&sp, chain)?
            }
        } else if let Some(cs) = get("credential_source") {
            let provider: Box<dyn Provider> = match cs.as_str() {
                "Environment" => Box::new(EnvVarProvider::new(env.clone())),
                "Ec2InstanceMetadata" => Box::new(ImdsProvider::new(env.clone(), ctx)),
                "EcsContainer" => Box::new(ContainerProvider::new(env.clone(), ctx)),
                other => {
                    return Err(failed(format!(
                        "profile '{name}' has credential_source '{other}'; expected \
                         Environment, Ec2InstanceMetadata or EcsContainer"
                    )))
                }
            };
            provider
                .credentials_with_shutdown(self.shutdown)
                .map_err(|e| match e {
                    CredentialsError::Interrupted { .. } => e,
                    e => failed(format!("credential_source {cs} of profile '{name}': {e}")),
                })?
        } else {
            return Err(failed(format!(
                "profile '{name}' has role_arn but neither source_profile, credential_source \
                 nor web_identity_token_file"
            )));
        };
        let duration = match get("duration_seconds") {
            Some(d) => Some(d.parse::<u32>().map_err(|_| {
                failed(format!(
                    "profile '{name}' has duration_seconds '{d}', which is not a whole number"
                ))
            })?),
            None => None,
        };
        sts.assume_role(
            &source,
            role_arn,
            &session,
            get("external_id").as_deref(),
            duration,
            NAME,
            self.shutdown,
        )
        .map_err(|e| {
            e.into_credentials_error(NAME, |text| {
                format!(
                    "profile '{name}': STS AssumeRole of {role_arn} at {} failed: {text}",
                    sts.endpoint
                )
            })
        })
    }

    fn sso(&self, name: &str, p: &Section) -> Result<Credentials, CredentialsError> {
        let get = |k: &str| p.get(k).filter(|v| !v.is_empty()).cloned();
        let (cache_key, region) = if let Some(session) = get("sso_session") {
            let s = self.files.sso_sessions.get(&session).ok_or_else(|| {
                failed(format!(
                    "profile '{name}' names sso_session '{session}', but there is no \
                     [sso-session {session}] section in {}",
                    self.files.sources_text()
                ))
            })?;
            let region = s
                .get("sso_region")
                .cloned()
                .or_else(|| get("sso_region"))
                .ok_or_else(|| failed(format!("[sso-session {session}] has no sso_region")))?;
            (session, region)
        } else {
            let url = get("sso_start_url").unwrap_or_default();
            let region = get("sso_region")
                .ok_or_else(|| failed(format!("profile '{name}' has no sso_region")))?;
            (url, region)
        };
        let account = get("sso_account_id")
            .ok_or_else(|| failed(format!("profile '{name}' has no sso_account_id")))?;
        let role = get("sso_role_name")
            .ok_or_else(|| failed(format!("profile '{name}' has no sso_role_name")))?;
        let login_hint = format!(
            "The SSO session of profile '{name}' has expired or is missing: run `aws sso login \
             --profile {name}` and try again"
        );
        let home = self
            .provider
            .home()
            .ok_or_else(|| failed(format!("{login_hint} (no HOME to find ~/.aws/sso/cache)")))?;
        let cache = home
            .join(".aws")
            .join("sso")
            .join("cache")
            .join(format!("{}.json", sha1_hex(cache_key.as_bytes())));
        let text = std::fs::read_to_string(&cache)
            .map_err(|e| failed(format!("{login_hint} ({}: {e})", cache.display())))?;
        let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
            failed(format!(
                "{login_hint} ({} is not JSON: {e})",
                cache.display()
            ))
        })?;
        let token = v.get("accessToken").and_then(|t| t.as_str()).unwrap_or("");
        let expires = v
            .get("expiresAt")
            .and_then(|t| t.as_str())
            .and_then(parse_timestamp);
        let clock = &*self.provider.ctx.clock;
        if token.is_empty() || expires.is_none_or(|e| e <= clock.now()) {
            return Err(failed(format!(
                "{login_hint} (the cached token in {} is expired or unreadable)",
                cache.display()
            )));
        }
        let env = &self.provider.env;
        let endpoint = self
            .provider
            .env_nonblank("AWS_ENDPOINT_URL_SSO")
            .or_else(|| env.get("AWS_ENDPOINT_URL").filter(|s| !s.trim().is_empty()))
            .unwrap_or_else(|| format!("https://portal.sso.{region}.amazonaws.com"));
        let url = format!(
            "{}/federation/credentials?account_id={}&role_name={}",
            endpoint.trim_end_matches('/'),
            http::form_encode(&account),
            http::form_encode(&role)
        );
        crate::insecure::warn_if_insecure(
            "SSO",
            &url,
            self.provider.ctx.trust_all_certificates,
            &[],
        );
        let transport = http::transport(
            &self.provider.ctx,
            Duration::from_secs(5),
            Duration::from_secs(30),
            true,
        )
        .map_err(failed)?;
        let req = HttpRequest::get(url.as_str()).with_header("x-amz-sso_bearer_token", token);
        let reply = http::send_retrying(&attempts::REMOTE, clock, self.shutdown, true, || {
            http::send(&*transport, &req)
        })
        .map_err(|_| CredentialsError::Interrupted { provider: NAME })?
        .map_err(|e| failed(format!("SSO GetRoleCredentials: {e}")))?;
        if reply.status == 401 || reply.status == 403 {
            return Err(failed(format!(
                "{login_hint} (SSO GetRoleCredentials answered HTTP {}: {})",
                reply.status,
                http::snippet(&reply.body, 200, &[token])
            )));
        }
        if !reply.is_success() {
            return Err(failed(format!(
                "SSO GetRoleCredentials for account {account} role {role} at {endpoint} \
                 answered HTTP {}: {}",
                reply.status,
                http::snippet(&reply.body, 200, &[token])
            )));
        }
        parse_sso_role_credentials(&reply.body)
            .map_err(|e| failed(format!("SSO GetRoleCredentials returned {e}")))
    }
}

/// Parses the SSO portal's GetRoleCredentials answer (`roleCredentials` with
/// `accessKeyId`, `secretAccessKey`, `sessionToken` and `expiration` in epoch
/// milliseconds). Errors say what is missing ("no accessKeyId") and never quote the body.
pub(crate) fn parse_sso_role_credentials(body: &str) -> Result<Credentials, String> {
    let v: serde_json::Value = serde_json::from_str(body).map_err(|e| format!("no JSON: {e}"))?;
    let rc = v
        .get("roleCredentials")
        .ok_or_else(|| "no roleCredentials".to_string())?;
    let field = |k: &str| {
        rc.get(k)
            .and_then(|x| x.as_str())
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .ok_or_else(|| format!("no {k}"))
    };
    let expiry = rc
        .get("expiration")
        .and_then(|x| x.as_u64())
        .and_then(|ms| UNIX_EPOCH.checked_add(Duration::from_millis(ms)));
    Ok(Credentials::new(
        field("accessKeyId")?,
        field("secretAccessKey")?,
        Some(field("sessionToken")?),
        expiry,
        NAME,
    ))
}

/// How long `credential_process` may run, until it has exited and closed its output.
const PROCESS_TIMEOUT: Duration = Duration::from_secs(60);

/// Runs a `credential_process` command through the shell and parses its JSON
/// (`Version` 1, `AccessKeyId`, `SecretAccessKey`, optional `SessionToken` and `Expiration`).
/// The command, and whatever it starts, is killed at [`PROCESS_TIMEOUT`] or when
/// `shutdown` triggers (see [`process`]).
fn credential_process(
    profile: &str,
    command: &str,
    shutdown: &Shutdown,
) -> Result<Credentials, CredentialsError> {
    let finished = process::run(command, PROCESS_TIMEOUT, shutdown).map_err(|e| match e {
        process::Stopped::Start(e) => failed(format!(
            "could not start credential_process of profile '{profile}': {e}"
        )),
        process::Stopped::Wait(e) => failed(format!(
            "waiting for credential_process of profile '{profile}': {e}"
        )),
        process::Stopped::TimedOut => failed(format!(
            "credential_process of profile '{profile}' did not finish within {} s (it, and \
             what it started, was killed; a process it starts in the background must not \
             keep its output open)",
            PROCESS_TIMEOUT.as_secs()
        )),
        process::Stopped::Interrupted => CredentialsError::Interrupted { provider: NAME },
    })?;
    let (status, stdout, stderr) = (finished.status, finished.stdout, finished.stderr);
    if !status.success() {
        return Err(failed(format!(
            "credential_process of profile '{profile}' exited with {status}: {}",
            http::snippet(&String::from_utf8_lossy(&stderr), 300, &[])
        )));
    }
    // Never quote stdout in errors: it is supposed to hold secrets.
    parse_process_credentials(&stdout).map_err(|reason| {
        failed(format!(
            "the output of credential_process of profile '{profile}' {reason}"
        ))
    })
}

/// Parses what `credential_process` printed (`Version` 1, `AccessKeyId`, `SecretAccessKey`,
/// optional `SessionToken` and `Expiration`). Errors say what is wrong ("has no
/// AccessKeyId") and never quote the output.
pub(crate) fn parse_process_credentials(stdout: &[u8]) -> Result<Credentials, String> {
    let v: serde_json::Value =
        serde_json::from_slice(stdout).map_err(|e| format!("is not JSON: {e}"))?;
    match v.get("Version").and_then(|x| x.as_i64()) {
        Some(1) => {}
        other => {
            return Err(format!(
                "has Version {}; expected 1",
                other.map_or("(missing)".to_string(), |n| n.to_string())
            ))
        }
    }
    let field = |k: &str| v.get(k).and_then(|x| x.as_str()).filter(|s| !s.is_empty());
    let akid = field("AccessKeyId").ok_or("has no AccessKeyId")?;
    let secret = field("SecretAccessKey").ok_or("has no SecretAccessKey")?;
    let expiry = match field("Expiration") {
        Some(t) => {
            Some(parse_timestamp(t).ok_or_else(|| format!("has an unreadable Expiration '{t}'"))?)
        }
        None => None,
    };
    Ok(Credentials::new(
        akid,
        secret,
        field("SessionToken").map(str::to_string),
        expiry,
        NAME,
    ))
}

/// SHA-1 as hex: the AWS CLI names SSO token cache files after the SHA-1 of the session
/// name (or legacy start URL). Not used for anything security-related.
pub(crate) fn sha1_hex(data: &[u8]) -> String {
    let mut h: [u32; 5] = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0];
    let mut msg = data.to_vec();
    let bit_len = (data.len() as u64).wrapping_mul(8);
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&bit_len.to_be_bytes());
    for chunk in msg.chunks(64) {
        let mut w = [0u32; 80];
        for i in 0..16 {
            w[i] = u32::from_be_bytes([
                chunk[4 * i],
                chunk[4 * i + 1],
                chunk[4 * i + 2],
                chunk[4 * i + 3],
            ]);
        }
        for i in 16..80 {
            w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
        }
        let [mut a, mut b, mut c, mut d, mut e] = h;
        for (i, wi) in w.iter().enumerate() {
            let (f, k) = match i {
                0..=19 => ((b & c) | (!b & d), 0x5A827999),
                20..=39 => (b ^ c ^ d, 0x6ED9EBA1),
                40..=59 => ((b & c) | (b & d) | (c & d), 0x8F1BBCDC),
                _ => (b ^ c ^ d, 0xCA62C1D6),
            };
            let t = a
                .rotate_left(5)
                .wrapping_add(f)
                .wrapping_add(e)
                .wrapping_add(k)
                .wrapping_add(*wi);
            e = d;
            d = c;
            c = b.rotate_left(30);
            b = a;
            a = t;
        }
        for (x, y) in h.iter_mut().zip([a, b, c, d, e]) {
            *x = x.wrapping_add(y);
        }
    }
    h.iter().map(|x| format!("{x:08x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha1_known_values() {
        assert_eq!(sha1_hex(b""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
        assert_eq!(sha1_hex(b"abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
        // Longer than one block.
        assert_eq!(
            sha1_hex(&[b'a'; 1000]),
            "291e9a6c66994949b57ba5e650361e98fc36b1ba"
        );
    }

    #[test]
    fn ini_parsing() {
        let text = "# c\n[default]\naws_access_key_id = A ; note\nAWS_Secret_Access_Key=B\n\
                    s3 =\n  max_concurrent_requests = 2\n[profile  x ]\nregion=eu-west-1\n";
        let s = parse_ini(text);
        assert_eq!(s[0].0, "default");
        assert_eq!(s[0].1["aws_access_key_id"], "A");
        assert_eq!(s[0].1["aws_secret_access_key"], "B");
        assert_eq!(s[0].1["s3"], "");
        assert!(!s[0].1.contains_key("max_concurrent_requests"));
        assert_eq!(s[0].1["s3.max_concurrent_requests"], "2");
        assert_eq!(s[1].0, "profile x");
        assert_eq!(s[1].1["region"], "eu-west-1");
        let s = parse_ini(
            "[services local]\nkinesis =\n  endpoint_url = http://127.0.0.1:4567\n\
             sts=\n\tendpoint_url=http://127.0.0.1:5000 # moto\nregion = x\n  stray = 1\n",
        );
        assert_eq!(s[0].0, "services local");
        assert_eq!(s[0].1["kinesis.endpoint_url"], "http://127.0.0.1:4567");
        assert_eq!(s[0].1["sts.endpoint_url"], "http://127.0.0.1:5000");
        assert_eq!(s[0].1.len(), 5, "{:?}", s[0].1);
        assert!(!s[0].1.contains_key("region.stray"));
    }

    #[test]
    fn debug_of_loaded_files_shows_names_only() {
        let dir = std::env::temp_dir().join(format!("kw-profile-debug-{}", fastrand::u64(..)));
        std::fs::create_dir_all(&dir).unwrap();
        let creds = dir.join("credentials");
        std::fs::write(
            &creds,
            "[dev]\naws_access_key_id = AKID\naws_secret_access_key = s3cr3tkey\n\
             aws_session_token = t0ken\n",
        )
        .unwrap();
        let files = ProfileFiles::load(None, Some(&creds)).unwrap();
        let shown = format!("{files:?}");
        assert!(shown.contains("dev"), "{shown}");
        assert!(
            !shown.contains("s3cr3tkey") && !shown.contains("t0ken"),
            "{shown}"
        );
        let _ = std::fs::remove_dir_all(dir);
    }
}
