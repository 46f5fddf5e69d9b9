//! [`ClientBuilder`]: builds a [`KinesisClient`] or a [`DynamoDbClient`] from the same
//! settings (endpoint, region, credentials, timeouts, TLS, pool), so both services are
//! reached the same way.

use std::fmt;
use std::marker::PhantomData;
use std::path::PathBuf;
use std::sync::Arc;

use crate::client::KinesisClient;
use crate::clock::Clock;
use crate::config::{ClientConfig, CredentialsSpec, Timeouts};
use crate::connection::Connection;
use crate::credentials::{self, Provider};
use crate::env::{process_env, SharedEnv};
use crate::error::KinesisError;
use crate::transport::{is_loopback_endpoint, Transport, UreqSettings, UreqTransport};

#[cfg(doc)]
use crate::dynamodb::DynamoDbClient;

/// Connection-pool size when the configuration leaves it at 0.
pub const DEFAULT_MAX_CONNECTIONS: usize = 16;

/// A client [`ClientBuilder`] builds: [`KinesisClient`] or [`DynamoDbClient`]. Sealed: the
/// crate's own clients only.
pub trait ServiceClient: sealed::Sealed {}

pub(crate) mod sealed {
    use std::sync::Arc;

    use crate::connection::{Connection, Protocol};

    /// What [`super::ClientBuilder::build`] needs of a client type.
    pub trait Sealed: Sized {
        /// The wire protocol of its service.
        const PROTOCOL: &'static Protocol;
        /// The client on a built connection.
        fn from_connection(connection: Arc<Connection>) -> Self;
        /// The connection of a built client (for sharing its transport and credentials).
        fn connection(&self) -> &Arc<Connection>;
    }
}

/// Builds a client of type `C`: [`KinesisClient::builder`] (the default) or
/// [`DynamoDbClient::builder`]. Later setters override earlier ones, including the fields of
/// a whole [`ClientBuilder::config`].
pub struct ClientBuilder<C = KinesisClient> {
    config: ClientConfig,
    credentials: Option<Arc<dyn Provider>>,
    transport: Option<Arc<dyn Transport>>,
    clock: Arc<dyn Clock>,
    env: SharedEnv,
    custom_providers: Option<credentials::CustomProviders>,
    client: PhantomData<fn() -> C>,
}

impl<C> fmt::Debug for ClientBuilder<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("client", &std::any::type_name::<C>())
            .field("config", &self.config)
            .field("credentials", &self.credentials)
            .field("transport", &self.transport)
            .field("clock", &self.clock)
            .field("env", &self.env)
            .field("custom_providers", &self.custom_providers)
            .finish()
    }
}

impl<C> ClientBuilder<C> {
    /// A builder with the default configuration, reading the process environment.
    pub(crate) fn new() -> Self {
        ClientBuilder {
            config: ClientConfig::default(),
            credentials: None,
            transport: None,
            clock: crate::clock::system(),
            env: process_env(),
            custom_providers: None,
            client: PhantomData,
        }
    }

    /// Starts from a whole [`ClientConfig`] (later setters override its fields).
    pub fn config(mut self, config: ClientConfig) -> Self {
        self.config = config;
        self
    }
    /// `aws.region`: signing region, and the endpoint when none is given.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.config.region = Some(region.into());
        self
    }
    /// `aws.endpoint`, e.g. `http://127.0.0.1:4567`.
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.config.endpoint = Some(endpoint.into());
        self
    }
    /// Use this credentials provider (wins over the config's [`CredentialsSpec`]).
    pub fn credentials(mut self, provider: Arc<dyn Provider>) -> Self {
        self.credentials = Some(provider);
        self
    }
    /// Build the provider from this spec (ignored when [`ClientBuilder::credentials`] is set).
    pub fn credentials_spec(mut self, spec: CredentialsSpec) -> Self {
        self.config.credentials = spec;
        self
    }
    /// HTTP timeouts.
    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.config.timeouts = timeouts;
        self
    }
    /// Pool size: at least the number of threads sharing the client.
    pub fn max_connections(mut self, n: usize) -> Self {
        self.config.max_connections = n;
        self
    }
    /// `aws.trust.all.certificates`.
    pub fn trust_all_certificates(mut self, yes: bool) -> Self {
        self.config.trust_all_certificates = yes;
        self
    }
    /// CA certificates (PEM file) trusted instead of the bundled roots (see
    /// [`crate::ClientConfig::ca_bundle`]); when unset, `AWS_CA_BUNDLE` from
    /// [`ClientBuilder::env`].
    pub fn ca_bundle(mut self, path: impl Into<PathBuf>) -> Self {
        self.config.ca_bundle = Some(path.into());
        self
    }
    /// Where environment variables (`AWS_CA_BUNDLE`, credentials) are read from.
    pub fn env(mut self, env: SharedEnv) -> Self {
        self.env = env;
        self
    }
    /// Replace the HTTP transport (tests, instrumentation).
    pub fn transport(mut self, transport: Arc<dyn Transport>) -> Self {
        self.transport = Some(transport);
        self
    }
    /// Look `CUSTOM` credentials providers (`aws.credentials.custom.class`) up in
    /// `providers` instead of the process-wide registry.
    pub fn custom_providers(mut self, providers: credentials::CustomProviders) -> Self {
        self.custom_providers = Some(providers);
        self
    }

    /// Read the time from `clock` (signatures, `wait_for_*_active` polls, and the
    /// credentials built from a [`CredentialsSpec`]: their cache and retries) instead of the
    /// system clock; for tests.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Shares `client`'s transport (connection pool, timeouts, TLS and proxy settings),
    /// clock and credentials provider (one cache, one refresh), and starts from its signing region;
    /// the endpoint is still this builder's (derived from the region when not set). Set
    /// [`ClientBuilder::region`] afterwards for a service in another region.
    ///
    /// The shared transport keeps the proxy choice made for `client`'s endpoint (none for a
    /// loopback endpoint); when this client's endpoint is of the other kind, set a
    /// [`ClientBuilder::config`] and [`ClientBuilder::credentials`] instead.
    ///
    /// ```
    /// use kinesis_wire::{KinesisClient, credentials::{Credentials, StaticProvider}, dynamodb::DynamoDbClient};
    /// use std::sync::Arc;
    /// let kinesis = KinesisClient::builder()
    ///     .region("eu-west-1")
    ///     .credentials(Arc::new(StaticProvider::new(Credentials::new("AKID", "secret", None, None, "BASIC"))))
    ///     .build()?;
    /// let leases = DynamoDbClient::builder().shared_with(&kinesis).build()?;
    /// assert_eq!(leases.endpoint(), "https://dynamodb.eu-west-1.amazonaws.com");
    /// assert!(Arc::ptr_eq(leases.credentials_provider(), kinesis.credentials_provider()));
    /// # Ok::<(), kinesis_wire::KinesisError>(())
    /// ```
    pub fn shared_with(mut self, client: &KinesisClient) -> Self {
        use sealed::Sealed;
        let conn = client.connection();
        self.transport = Some(conn.transport.clone());
        self.clock = conn.clock.clone();
        self.credentials = Some(conn.credentials.clone());
        self.config.region = Some(conn.region.clone());
        self
    }
}

impl<C: ServiceClient> ClientBuilder<C> {
    /// Builds the client: validates the endpoint, builds the credentials provider and the
    /// ureq agent (reading the CA bundle).
    pub fn build(self) -> Result<C, KinesisError> {
        let protocol = C::PROTOCOL;
        let cfg = self.config;
        let setting = protocol.endpoint_setting;
        let endpoint = cfg.endpoint_url_for(protocol.endpoint_prefix);
        let Some((scheme, rest)) = endpoint.split_once("://") else {
            return Err(KinesisError::Config {
                message: format!(
                    "{setting} '{endpoint}' has no scheme: write it as http://host:port or https://host"
                ),
            });
        };
        if !matches!(scheme, "http" | "https") || rest.is_empty() {
            return Err(KinesisError::Config {
                message: format!(
                    "{setting} '{endpoint}' must be an http:// or https:// URL with a host"
                ),
            });
        }
        let url = if rest.contains('/') {
            endpoint.clone()
        } else {
            format!("{endpoint}/")
        };
        crate::insecure::warn_if_insecure(
            protocol.display_name,
            &endpoint,
            cfg.trust_all_certificates,
            &[],
        );
        let region = cfg.signing_region_for(protocol.endpoint_prefix);
        if cfg.region.is_none() {
            log::info!("signing region {region} derived from endpoint {endpoint} (no region set)");
        }
        let credentials = match self.credentials {
            Some(p) => p,
            // The client's region and TLS settings reach STS/SSO/container calls too (D11).
            None => credentials::from_spec_with(
                &cfg.credentials,
                self.env.clone(),
                &credentials::ProviderContext {
                    custom_providers: self.custom_providers.clone(),
                    ..credentials::ProviderContext::from_config(&cfg).with_clock(self.clock.clone())
                },
            )?,
        };
        let transport: Arc<dyn Transport> = match self.transport {
            Some(t) => t,
            None => {
                let ca_bundle = cfg.ca_bundle.clone().or_else(|| {
                    self.env
                        .get("AWS_CA_BUNDLE")
                        .filter(|s| !s.trim().is_empty())
                        .map(PathBuf::from)
                });
                let settings = UreqSettings {
                    connect_timeout: cfg.timeouts.connect,
                    read_timeout: cfg.timeouts.read,
                    overall_timeout: cfg.timeouts.overall,
                    max_connections: if cfg.max_connections == 0 {
                        DEFAULT_MAX_CONNECTIONS
                    } else {
                        cfg.max_connections
                    },
                    trust_all_certificates: cfg.trust_all_certificates,
                    ca_bundle,
                    no_proxy: is_loopback_endpoint(&endpoint),
                    user_agent: crate::transport::USER_AGENT.to_string(),
                    max_response_bytes: crate::transport::MAX_RESPONSE_BYTES,
                };
                Arc::new(
                    UreqTransport::new(&settings).map_err(|e| KinesisError::Config {
                        message: e.to_string(),
                    })?,
                )
            }
        };
        Ok(C::from_connection(Arc::new(Connection {
            protocol,
            endpoint,
            url,
            region,
            transport,
            credentials,
            shutdown: crate::retry::Shutdown::new(),
            clock: self.clock,
        })))
    }
}
