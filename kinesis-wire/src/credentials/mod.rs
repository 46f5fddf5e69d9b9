//! Credentials and the providers that find them.
//!
//! A [`Provider`] yields [`Credentials`]; providers are `Send + Sync` and called from many
//! threads. Secrets never appear in `Debug` or `Display` output, logs or errors.
//!
//! [`from_spec`] / [`from_spec_with`] turn a [`CredentialsSpec`] (one variant per value of
//! `aws.credentials.provider`) into a provider wrapped in one [`CachingProvider`]:
//!
//! | spec | provider |
//! |---|---|
//! | `Auto` | [`ChainProvider`]: [`EnvVarProvider`], [`SysPropProvider`], [`WebIdentityProvider`], [`ProfileProvider`], [`ContainerProvider`], [`ImdsProvider`] |
//! | `Basic` | [`StaticProvider`] |
//! | `EnvVar` / `SysProp` | [`EnvVarProvider`] / [`SysPropProvider`] (decisions D14) |
//! | `Profile` | [`ProfileProvider`]: static keys, `role_arn` chains, `credential_process`, SSO |
//! | `AssumeRole` | [`AssumeRoleProvider`] over the nested spec's provider |
//! | `WebIdentityToken` | [`WebIdentityProvider`] |
//! | `Custom` | whatever [`register_custom`] registered under the name (decisions D15) |
//!
//! ## `AUTO`: what happens when a provider is set up but broken
//!
//! A provider that finds nothing to use (variable unset, no profile file or profile, not on
//! EC2) answers [`CredentialsError::NotFound`] and the chain asks the next one. A provider
//! that is set up but fails (the web identity token file cannot be read, STS refuses the
//! role, a profile has an access key but no secret, `AWS_PROFILE` names a profile the files
//! do not define, `credential_process` exits non-zero, the container URI is not allowed)
//! answers [`CredentialsError::Failed`], and the chain **stops there** with that provider's
//! error. This is what the AWS SDK for Rust
//! (`aws-config`) and botocore (the AWS CLI) do. The Java SDKs behind Flink's `AUTO` log
//! such a failure and try the next provider instead; we deliberately do not: falling
//! through can silently run the job as another identity (on EKS a broken web identity
//! setup would fall through to the node's instance role), and the error finally shown
//! would name the last provider tried rather than the one the user set up. When the
//! provider that won earlier fails at refresh time, its error is reported as well, and
//! the cache keeps serving the previous credentials while they are still valid.
//!
//! ## Secrets and logging
//!
//! Secret keys, session tokens, SSO tokens, container authorization tokens and
//! `credential_process` output never appear in `Debug` or `Display` output, in errors or in
//! this crate's log lines. One thing is outside this crate's hands: the HTTP library logs
//! every byte it sends and receives at `TRACE` level under the log target `ureq_proto`
//! (STS responses and `x-amz-security-token` headers included). A program that installs a
//! logger must drop those records whatever its filter says: see [`crate::log_filter`].
//!
//! ## Retries and shutdown
//!
//! Providers that call a service (STS, the SSO portal, the container agent, the instance
//! metadata service) retry transient failures through [`crate::RetryPolicy`] with
//! full-jitter [`crate::Backoff`]. [`Provider::credentials_with_shutdown`] makes a fetch
//! stop when a [`Shutdown`] triggers: no further attempt, no further wait, and a running
//! `credential_process` is killed; it answers [`CredentialsError::Interrupted`]. An HTTP
//! request already in flight is not cut short: it ends within its timeouts. A
//! [`crate::KinesisClient`] passes its shutdown (see `KinesisClient::with_shutdown`).
//!
//! Environment variables come from an injectable [`SharedEnv`], HTTP goes through the
//! crate's [`Transport`] (ureq with no proxy and short timeouts unless the
//! [`ProviderContext`] brings another), and the time is read from its [`Clock`]; STS endpoints can be overridden with
//! `aws.credentials.role.stsEndpoint`, `AWS_ENDPOINT_URL_STS` or `AWS_ENDPOINT_URL`, the SSO
//! portal with `AWS_ENDPOINT_URL_SSO` or `AWS_ENDPOINT_URL`.

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock, RwLock};
use std::time::{Duration, SystemTime};

use crate::clock::Clock;
use crate::config::CredentialsSpec;
use crate::env::SharedEnv;
use crate::retry::Shutdown;
use crate::transport::Transport;

mod attempts;
mod cache;
mod chain;
mod container;
mod http;
mod imds;
mod process;
pub(crate) mod profile;
mod static_keys;
mod sts;

/// The parsers of credential answers, for `crate::fuzzing`.
#[cfg(feature = "fuzzing")]
pub(crate) mod parsers {
    pub(crate) use super::container::parse_json_credentials;
    pub(crate) use super::profile::{
        parse_ini, parse_process_credentials, parse_sso_role_credentials,
    };
    pub(crate) use super::sts::{parse_credentials_xml, sts_error_text};
}

pub use cache::{CachingProvider, DEFAULT_REFRESH_WINDOW};
pub use chain::ChainProvider;
pub use container::{ContainerProvider, ECS_CREDENTIALS_HOST};
pub use imds::ImdsProvider;
pub use profile::ProfileProvider;
pub use static_keys::{EnvVarProvider, StaticProvider, SysPropProvider};
pub use sts::{AssumeRoleProvider, WebIdentityProvider};

/// Settings of the client that credential providers share: the region (for the regional
/// STS endpoint), whether and how TLS certificates are checked (decisions D11), and, for
/// tests, the [`Transport`] their HTTP calls go through and the [`Clock`] they read.
///
/// ```
/// use kinesis_wire::credentials::ProviderContext;
/// let ctx = ProviderContext::default().with_region("eu-west-1");
/// assert_eq!(ctx.region.as_deref(), Some("eu-west-1"));
/// assert!(!ctx.trust_all_certificates);
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ProviderContext {
    /// `aws.region`; when `None`, `AWS_REGION`, `AWS_DEFAULT_REGION`, then `us-east-1`.
    pub region: Option<String>,
    /// `aws.trust.all.certificates`.
    pub trust_all_certificates: bool,
    /// CA certificates (PEM) trusted instead of the bundled roots for https credential
    /// endpoints (STS, SSO, container), as for Kinesis
    /// ([`crate::ClientConfig::ca_bundle`]); when `None`, `AWS_CA_BUNDLE` from the
    /// environment source.
    pub ca_bundle: Option<PathBuf>,
    /// Where the providers' HTTP calls (STS, SSO, container, instance metadata) go; `None`
    /// builds one ureq transport per provider with the credential endpoints' settings (no
    /// proxy, short timeouts, TLS as above).
    pub transport: Option<Arc<dyn Transport>>,
    /// The time credentials expire against, and the retries' waits.
    pub clock: Arc<dyn Clock>,
    /// Where `CUSTOM` providers are looked up; `None`: the process-wide registry
    /// ([`register_custom`]).
    pub custom_providers: Option<CustomProviders>,
}

impl Default for ProviderContext {
    fn default() -> Self {
        ProviderContext {
            region: None,
            trust_all_certificates: false,
            ca_bundle: None,
            transport: None,
            clock: crate::clock::system(),
            custom_providers: None,
        }
    }
}

impl ProviderContext {
    /// The context a client built from `config` uses.
    ///
    /// ```
    /// use kinesis_wire::{credentials::ProviderContext, ClientConfig};
    /// let cfg = ClientConfig::default().with_region("us-west-2");
    /// assert_eq!(ProviderContext::from_config(&cfg).region.as_deref(), Some("us-west-2"));
    /// ```
    pub fn from_config(config: &crate::config::ClientConfig) -> Self {
        ProviderContext {
            region: config.region.clone(),
            trust_all_certificates: config.trust_all_certificates,
            ca_bundle: config.ca_bundle.clone(),
            ..ProviderContext::default()
        }
    }

    /// This context with `aws.region` set.
    pub fn with_region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// This context with `aws.trust.all.certificates` set.
    pub fn with_trust_all_certificates(mut self, yes: bool) -> Self {
        self.trust_all_certificates = yes;
        self
    }

    /// This context trusting the certificates of the PEM file `path` instead of the
    /// bundled roots.
    pub fn with_ca_bundle(mut self, path: impl Into<PathBuf>) -> Self {
        self.ca_bundle = Some(path.into());
        self
    }

    /// This context sending the providers' HTTP calls through `transport` (tests: a
    /// `test_util::ScriptedTransport`).
    pub fn with_transport(mut self, transport: Arc<dyn Transport>) -> Self {
        self.transport = Some(transport);
        self
    }

    /// This context reading the time from `clock` (tests: a `test_util::ManualClock`).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// This context looking `CUSTOM` providers up in `providers` instead of the
    /// process-wide registry.
    pub fn with_custom_providers(mut self, providers: CustomProviders) -> Self {
        self.custom_providers = Some(providers);
        self
    }
}

/// Parses an RFC 3339 timestamp (`2030-01-02T03:04:05Z`, fractions and offsets allowed).
pub(crate) fn parse_timestamp(s: &str) -> Option<SystemTime> {
    let t = chrono::DateTime::parse_from_rfc3339(s.trim()).ok()?;
    let millis = t.timestamp_millis();
    if millis >= 0 {
        Some(SystemTime::UNIX_EPOCH + Duration::from_millis(millis as u64))
    } else {
        None
    }
}

/// AWS credentials: access key id, secret key, optional session token and expiry. `Debug`
/// shows the access key id only.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Credentials {
    /// The access key id, e.g. `AKIA...` (long-lived) or `ASIA...` (temporary).
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: String,
    /// The session token of temporary credentials.
    pub session_token: Option<String>,
    /// When these credentials stop working; `None` for long-lived keys.
    pub expiry: Option<SystemTime>,
    /// Which provider produced them (for logs), e.g. `"BASIC"`.
    pub provider_name: &'static str,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"******")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "******"),
            )
            .field("expiry", &self.expiry)
            .field("provider_name", &self.provider_name)
            .finish()
    }
}

/// Why credentials could not be had.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CredentialsError {
    /// The provider has nothing to offer here (e.g. an env var is unset); a chain moves on.
    NotFound {
        /// The provider, e.g. `ENV_VAR`.
        provider: &'static str,
        /// Why it found nothing.
        reason: String,
    },
    /// The provider is configured but failed (bad file, STS error, ...); a chain stops.
    Failed {
        /// The provider, e.g. `ASSUME_ROLE`.
        provider: &'static str,
        /// What failed, naming the setting, file or endpoint at fault.
        reason: String,
    },
    /// The fetch stopped because the caller's [`Shutdown`] was triggered
    /// ([`Provider::credentials_with_shutdown`]).
    Interrupted {
        /// The provider.
        provider: &'static str,
    },
}

impl CredentialsError {
    /// Whether this is [`CredentialsError::Interrupted`].
    ///
    /// ```
    /// use kinesis_wire::credentials::CredentialsError;
    /// assert!(CredentialsError::Interrupted { provider: "STS" }.is_interrupted());
    /// ```
    pub fn is_interrupted(&self) -> bool {
        matches!(self, CredentialsError::Interrupted { .. })
    }
}

impl fmt::Display for CredentialsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CredentialsError::NotFound { provider, reason } => {
                write!(f, "{provider}: no credentials: {reason}")
            }
            CredentialsError::Failed { provider, reason } => {
                write!(f, "{provider}: failed to load credentials: {reason}")
            }
            CredentialsError::Interrupted { provider } => {
                write!(f, "{provider}: stopped loading credentials: shutting down")
            }
        }
    }
}

impl std::error::Error for CredentialsError {}

/// A source of credentials. Implementations must be cheap to call repeatedly (cache inside)
/// and safe to call from many threads.
pub trait Provider: Send + Sync + fmt::Debug {
    /// Current credentials.
    fn credentials(&self) -> Result<Credentials, CredentialsError>;

    /// Current credentials, giving up as soon as `shutdown` is triggered: no further
    /// attempt is made, a retry wait ends at once, a running `credential_process` is
    /// killed, and the answer is [`CredentialsError::Interrupted`]. An HTTP request in
    /// flight is not cut short (it ends within its timeouts).
    ///
    /// Every provider of this crate implements it, and its [`Provider::credentials`] is
    /// this with a shutdown that never triggers. The default, for providers that never
    /// wait, calls [`Provider::credentials`]. A provider that waits or wraps other
    /// providers should override it and pass `shutdown` on; one that does not still works,
    /// it just cannot be interrupted.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use kinesis_wire::credentials::{CachingProvider, Provider, StaticProvider};
    /// use kinesis_wire::{Shutdown, credentials::Credentials};
    /// let cache = CachingProvider::new(Arc::new(StaticProvider::new(
    ///     Credentials::new("AKID", "s", None, None, "BASIC"))));
    /// let shutdown = Shutdown::new();
    /// assert!(cache.credentials_with_shutdown(&shutdown).is_ok());
    /// shutdown.trigger();
    /// // A cached value is still handed out; a fetch would stop.
    /// assert!(cache.credentials_with_shutdown(&shutdown).is_ok());
    /// ```
    fn credentials_with_shutdown(
        &self,
        shutdown: &Shutdown,
    ) -> Result<Credentials, CredentialsError> {
        let _ = shutdown;
        self.credentials()
    }
    /// Forget cached credentials (called after `ExpiredTokenException`); the next call to
    /// [`Provider::credentials`] fetches fresh ones.
    fn invalidate(&self) {}

    /// Forget `rejected`, credentials a service has just refused as expired. Unlike
    /// [`Provider::invalidate`], a cache that has already replaced them (another request
    /// failed the same way a moment earlier and refreshed) keeps its newer credentials, so
    /// many requests failing together cause one refresh instead of one each. The default
    /// forgets everything.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use kinesis_wire::credentials::{CachingProvider, Provider, StaticProvider};
    /// use kinesis_wire::credentials::Credentials;
    /// let cache = CachingProvider::new(Arc::new(StaticProvider::new(
    ///     Credentials::new("AKID", "s", None, None, "BASIC"))));
    /// let used = cache.credentials().unwrap();
    /// cache.invalidate_rejected(&used); // the next call fetches again
    /// assert_eq!(cache.credentials().unwrap(), used);
    /// ```
    fn invalidate_rejected(&self, rejected: &Credentials) {
        let _ = rejected;
        self.invalidate();
    }
}

impl Credentials {
    /// Credentials from their parts.
    ///
    /// ```
    /// use kinesis_wire::credentials::Credentials;
    /// let c = Credentials::new("AKID", "hunter2", None, None, "BASIC");
    /// assert!(!format!("{c:?}").contains("hunter2"));
    /// ```
    pub fn new(
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
        session_token: Option<String>,
        expiry: Option<SystemTime>,
        provider_name: &'static str,
    ) -> Self {
        Credentials {
            access_key_id: access_key_id.into(),
            secret_access_key: secret_access_key.into(),
            session_token,
            expiry,
            provider_name,
        }
    }
}

/// A function that builds a `CUSTOM` provider (decisions D15).
pub type CustomFactory =
    dyn Fn() -> Result<Arc<dyn Provider>, CredentialsError> + Send + Sync + 'static;

fn custom_registry() -> &'static RwLock<HashMap<String, Arc<CustomFactory>>> {
    static REGISTRY: OnceLock<RwLock<HashMap<String, Arc<CustomFactory>>>> = OnceLock::new();
    REGISTRY.get_or_init(|| RwLock::new(HashMap::new()))
}

/// Registers a provider factory under `name`, for `aws.credentials.provider = CUSTOM` with
/// `aws.credentials.custom.class = <name>` (decisions D15). A later registration under the
/// same name replaces the earlier one. The factory runs each time a client is built.
///
/// ```
/// use std::sync::Arc;
/// use kinesis_wire::credentials::{self, StaticProvider};
/// use kinesis_wire::{CredentialsSpec, credentials::Credentials};
/// credentials::register_custom("doc-vault", || {
///     Ok(Arc::new(StaticProvider::new(Credentials::new("AKID", "s", None, None, "vault"))))
/// });
/// let spec = CredentialsSpec::Custom { name: "doc-vault".into() };
/// let p = credentials::from_spec(&spec, kinesis_wire::env::process_env()).unwrap();
/// assert_eq!(p.credentials().unwrap().access_key_id, "AKID");
/// ```
pub fn register_custom(
    name: &str,
    factory: impl Fn() -> Result<Arc<dyn Provider>, CredentialsError> + Send + Sync + 'static,
) {
    custom_registry()
        .write()
        .unwrap_or_else(|e| e.into_inner())
        .insert(name.to_string(), Arc::new(factory));
}

/// Whether a `CUSTOM` provider is registered under `name`.
///
/// ```
/// assert!(!kinesis_wire::credentials::is_custom_registered("doc-nothing-here"));
/// ```
pub fn is_custom_registered(name: &str) -> bool {
    custom_registry()
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .contains_key(name)
}

/// A set of `CUSTOM` provider factories by name, used instead of the process-wide registry
/// when given to [`ProviderContext::with_custom_providers`] or
/// [`crate::ClientBuilder::custom_providers`]: two clients in one process can then use
/// different providers under the same name.
///
/// ```
/// use std::sync::Arc;
/// use kinesis_wire::credentials::{self, Credentials, CustomProviders, ProviderContext, StaticProvider};
/// use kinesis_wire::{env::MapEnv, CredentialsSpec};
/// let vault = CustomProviders::new().with("vault", || {
///     Ok(Arc::new(StaticProvider::new(Credentials::new("AKID-A", "s", None, None, "vault"))))
/// });
/// let spec = CredentialsSpec::Custom { name: "vault".into() };
/// let ctx = ProviderContext::default().with_custom_providers(vault);
/// let p = credentials::from_spec_with(&spec, Arc::new(MapEnv::default()), &ctx).unwrap();
/// assert_eq!(p.credentials().unwrap().access_key_id, "AKID-A");
/// ```
#[derive(Clone, Default)]
pub struct CustomProviders {
    factories: HashMap<String, Arc<CustomFactory>>,
    process_wide_fallback: bool,
}

impl CustomProviders {
    /// An empty set: only its own factories are found.
    pub fn new() -> CustomProviders {
        CustomProviders::default()
    }

    /// This set, falling back to the process-wide registry for names it does not hold
    /// (`yes`), or not.
    pub fn with_process_wide_fallback(mut self, yes: bool) -> CustomProviders {
        self.process_wide_fallback = yes;
        self
    }

    /// This set with `factory` under `name` (replacing an earlier one).
    pub fn with(
        mut self,
        name: &str,
        factory: impl Fn() -> Result<Arc<dyn Provider>, CredentialsError> + Send + Sync + 'static,
    ) -> CustomProviders {
        self.insert(name, Arc::new(factory));
        self
    }

    /// Adds `factory` under `name` (replacing an earlier one).
    pub fn insert(&mut self, name: &str, factory: Arc<CustomFactory>) {
        self.factories.insert(name.to_string(), factory);
    }

    /// The factory of `name`: this set's, else (with the fallback) the process-wide one.
    pub fn get(&self, name: &str) -> Option<Arc<CustomFactory>> {
        match self.factories.get(name) {
            Some(f) => Some(f.clone()),
            None if self.process_wide_fallback => process_wide_custom(name),
            None => None,
        }
    }
}

impl fmt::Debug for CustomProviders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<&String> = self.factories.keys().collect();
        names.sort();
        f.debug_struct("CustomProviders")
            .field("names", &names)
            .field("process_wide_fallback", &self.process_wide_fallback)
            .finish()
    }
}

fn process_wide_custom(name: &str) -> Option<Arc<CustomFactory>> {
    custom_registry()
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .get(name)
        .cloned()
}

fn build_custom(name: &str, ctx: &ProviderContext) -> Result<Arc<dyn Provider>, CredentialsError> {
    if name.is_empty() {
        return Err(CredentialsError::Failed {
            provider: "CUSTOM",
            reason: "No custom AWS credential provider class was provided with config key \
                     aws.credentials.provider.custom.class"
                .into(),
        });
    }
    let factory = match &ctx.custom_providers {
        Some(set) => set.get(name),
        None => process_wide_custom(name),
    };
    match factory {
        Some(f) => f(),
        None => Err(CredentialsError::Failed {
            provider: "CUSTOM",
            reason: format!(
                "no custom credentials provider is registered under the name '{name}' \
                 (aws.credentials.custom.class); register it with \
                 kinesis_wire::credentials::register_custom before building the client"
            ),
        }),
    }
}

/// Builds the provider a [`CredentialsSpec`] describes, wrapped in one [`CachingProvider`].
/// Environment variables are read from `env`, never from the process directly, so tests can
/// inject them. STS calls use the region from `AWS_REGION` / `AWS_DEFAULT_REGION`; use
/// [`from_spec_with`] to pass the client's region and TLS settings.
///
/// ```
/// use kinesis_wire::{credentials, env::MapEnv, CredentialsSpec};
/// use std::sync::Arc;
/// let env = Arc::new(MapEnv::from_pairs([
///     ("AWS_ACCESS_KEY_ID", "AKIDENV"),
///     ("AWS_SECRET_ACCESS_KEY", "secret"),
/// ]));
/// let p = credentials::from_spec(&CredentialsSpec::EnvVar, env).unwrap();
/// assert_eq!(p.credentials().unwrap().access_key_id, "AKIDENV");
/// ```
pub fn from_spec(
    spec: &CredentialsSpec,
    env: SharedEnv,
) -> Result<Arc<dyn Provider>, CredentialsError> {
    from_spec_with(spec, env, &ProviderContext::default())
}

/// [`from_spec`] with the client's region and TLS settings.
///
/// ```
/// use kinesis_wire::credentials::{self, ProviderContext};
/// use kinesis_wire::{env::MapEnv, CredentialsSpec};
/// use std::sync::Arc;
/// let spec = CredentialsSpec::Basic {
///     access_key_id: "AKID".into(),
///     secret_access_key: "s".into(),
///     session_token: None,
/// };
/// let ctx = ProviderContext::default().with_region("eu-west-1");
/// let p = credentials::from_spec_with(&spec, Arc::new(MapEnv::default()), &ctx).unwrap();
/// assert_eq!(p.credentials().unwrap().provider_name, "BASIC");
/// ```
pub fn from_spec_with(
    spec: &CredentialsSpec,
    env: SharedEnv,
    ctx: &ProviderContext,
) -> Result<Arc<dyn Provider>, CredentialsError> {
    let mut ctx = ctx.clone();
    if ctx.ca_bundle.is_none() {
        ctx.ca_bundle = env
            .get("AWS_CA_BUNDLE")
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .map(PathBuf::from);
    }
    let inner = build_uncached(spec, env, &ctx)?;
    Ok(Arc::new(
        CachingProvider::new(inner).with_clock(ctx.clock.clone()),
    ))
}

/// The AWS default chain, as `AUTO` builds it: environment variables, system properties,
/// web identity token, profile, container, instance metadata.
pub(crate) fn default_chain(env: SharedEnv, ctx: &ProviderContext) -> ChainProvider {
    ChainProvider::new(vec![
        Arc::new(EnvVarProvider::new(env.clone())) as Arc<dyn Provider>,
        Arc::new(SysPropProvider::new()),
        Arc::new(WebIdentityProvider::new(
            None,
            None,
            None,
            None,
            env.clone(),
            ctx,
        )),
        Arc::new(ProfileProvider::new(None, None, env.clone(), ctx)),
        Arc::new(ContainerProvider::new(env.clone(), ctx)),
        Arc::new(ImdsProvider::new(env, ctx)),
    ])
}

fn build_uncached(
    spec: &CredentialsSpec,
    env: SharedEnv,
    ctx: &ProviderContext,
) -> Result<Arc<dyn Provider>, CredentialsError> {
    Ok(match spec {
        CredentialsSpec::Auto => Arc::new(default_chain(env, ctx)),
        CredentialsSpec::Basic {
            access_key_id,
            secret_access_key,
            session_token,
        } => {
            if access_key_id.is_empty() || secret_access_key.is_empty() {
                return Err(CredentialsError::Failed {
                    provider: "BASIC",
                    reason: "Please set values for AWS Access Key ID \
                             ('aws.credentials.provider.basic.accesskeyid') and Secret Key \
                             ('aws.credentials.provider.basic.secretkey') when using the BASIC \
                             AWS credential provider type."
                        .into(),
                });
            }
            Arc::new(StaticProvider::new(Credentials::new(
                access_key_id.clone(),
                secret_access_key.clone(),
                session_token.clone().filter(|t| !t.is_empty()),
                None,
                "BASIC",
            )))
        }
        CredentialsSpec::EnvVar => Arc::new(EnvVarProvider::new(env)),
        CredentialsSpec::SysProp => Arc::new(SysPropProvider::new()),
        CredentialsSpec::Profile { path, name } => {
            Arc::new(ProfileProvider::new(path.clone(), name.clone(), env, ctx))
        }
        CredentialsSpec::AssumeRole {
            role_arn,
            session_name,
            external_id,
            sts_endpoint,
            provider,
        } => {
            // The nested provider gets its own cache, so a refresh of the role does not
            // refetch still-valid source credentials.
            let source = from_spec_with(provider, env.clone(), ctx)?;
            Arc::new(AssumeRoleProvider::new(
                source,
                role_arn.clone(),
                session_name.clone(),
                external_id.clone().filter(|x| !x.is_empty()),
                sts_endpoint.as_deref(),
                env,
                ctx,
            ))
        }
        CredentialsSpec::WebIdentityToken {
            role_arn,
            session_name,
            token_file,
            sts_endpoint,
        } => Arc::new(WebIdentityProvider::new(
            role_arn.clone(),
            session_name.clone(),
            token_file.clone(),
            sts_endpoint.as_deref(),
            env,
            ctx,
        )),
        CredentialsSpec::Custom { name } => build_custom(name, ctx)?,
    })
}
