//! Client configuration as plain data.
//!
//! `kinesis-options` produces these from a table definition; `KinesisClient` consumes them.
//! Nothing here performs I/O.

use std::path::PathBuf;
use std::time::Duration;

/// Per-phase HTTP timeouts.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Timeouts {
    /// TCP connect, including TLS handshake.
    pub connect: Duration,
    /// Waiting for any single read on the socket.
    pub read: Duration,
    /// The whole call, from connect to the last byte of the body.
    pub overall: Duration,
}

impl Timeouts {
    /// Timeouts for connecting, for any single read, and for the whole call.
    ///
    /// ```
    /// use kinesis_wire::Timeouts;
    /// use std::time::Duration;
    /// let t = Timeouts::new(Duration::from_secs(2), Duration::from_secs(5), Duration::from_secs(10));
    /// assert_eq!(t.read, Duration::from_secs(5));
    /// ```
    pub fn new(connect: Duration, read: Duration, overall: Duration) -> Self {
        Timeouts {
            connect,
            read,
            overall,
        }
    }
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(10),
            read: Duration::from_secs(30),
            overall: Duration::from_secs(60),
        }
    }
}

/// How the client finds its credentials: one variant per value of Flink's
/// `aws.credentials.provider`.
#[derive(Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum CredentialsSpec {
    /// The default chain: env vars, system properties, web identity, profile, container, IMDS.
    #[default]
    Auto,
    /// Static keys from `aws.credentials.basic.*`.
    Basic {
        /// `aws.credentials.basic.accesskeyid`.
        access_key_id: String,
        /// `aws.credentials.basic.secretkey`.
        secret_access_key: String,
        /// A session token for temporary keys (not a Flink option; for embedding programs).
        session_token: Option<String>,
    },
    /// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`.
    EnvVar,
    /// `aws.accessKeyId` / `aws.secretKey` (/ `aws.sessionToken`) from the process-wide
    /// property map (decisions D14).
    SysProp,
    /// Shared credentials/config files.
    Profile {
        /// `aws.credentials.profile.path`; `None` means the default locations.
        path: Option<PathBuf>,
        /// `aws.credentials.profile.name`; `None` means `AWS_PROFILE` or `default`.
        name: Option<String>,
    },
    /// STS AssumeRole, signed with credentials from `provider`.
    AssumeRole {
        /// `aws.credentials.role.arn`.
        role_arn: String,
        /// `aws.credentials.role.sessionName`.
        session_name: String,
        /// `aws.credentials.role.externalId`.
        external_id: Option<String>,
        /// `aws.credentials.role.stsEndpoint`; `None` derives it from the region.
        sts_endpoint: Option<String>,
        /// `aws.credentials.role.provider` (and its nested keys): the credentials used to call STS.
        provider: Box<CredentialsSpec>,
    },
    /// STS AssumeRoleWithWebIdentity.
    WebIdentityToken {
        /// `aws.credentials.role.arn`; `None` means `AWS_ROLE_ARN`.
        role_arn: Option<String>,
        /// `aws.credentials.role.sessionName`; `None` means `AWS_ROLE_SESSION_NAME` or generated.
        session_name: Option<String>,
        /// `aws.credentials.webIdentityToken.file`; `None` means `AWS_WEB_IDENTITY_TOKEN_FILE`.
        token_file: Option<PathBuf>,
        /// STS endpoint override; `None` derives it from the region.
        sts_endpoint: Option<String>,
    },
    /// A provider registered by name by the embedding program (decisions D15).
    Custom {
        /// `aws.credentials.custom.class`: the name the provider was registered under.
        name: String,
    },
}

impl std::fmt::Debug for CredentialsSpec {
    // Secrets are masked, as Flink masks them.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CredentialsSpec::Auto => f.write_str("Auto"),
            CredentialsSpec::Basic {
                access_key_id,
                session_token,
                ..
            } => f
                .debug_struct("Basic")
                .field("access_key_id", access_key_id)
                .field("secret_access_key", &"******")
                .field("session_token", &session_token.as_ref().map(|_| "******"))
                .finish(),
            CredentialsSpec::EnvVar => f.write_str("EnvVar"),
            CredentialsSpec::SysProp => f.write_str("SysProp"),
            CredentialsSpec::Profile { path, name } => f
                .debug_struct("Profile")
                .field("path", path)
                .field("name", name)
                .finish(),
            CredentialsSpec::AssumeRole {
                role_arn,
                session_name,
                external_id,
                sts_endpoint,
                provider,
            } => f
                .debug_struct("AssumeRole")
                .field("role_arn", role_arn)
                .field("session_name", session_name)
                .field("external_id", external_id)
                .field("sts_endpoint", sts_endpoint)
                .field("provider", provider)
                .finish(),
            CredentialsSpec::WebIdentityToken {
                role_arn,
                session_name,
                token_file,
                sts_endpoint,
            } => f
                .debug_struct("WebIdentityToken")
                .field("role_arn", role_arn)
                .field("session_name", session_name)
                .field("token_file", token_file)
                .field("sts_endpoint", sts_endpoint)
                .finish(),
            CredentialsSpec::Custom { name } => {
                f.debug_struct("Custom").field("name", name).finish()
            }
        }
    }
}

/// Everything needed to build a `KinesisClient`, as plain data: start from
/// [`ClientConfig::default`] and set fields (or the `with_*` setters).
///
/// ```
/// use kinesis_wire::ClientConfig;
/// let cfg = ClientConfig::default().with_region("eu-west-1");
/// assert_eq!(cfg.endpoint_url(), "https://kinesis.eu-west-1.amazonaws.com");
/// let mut local = ClientConfig::default();
/// local.endpoint = Some("http://127.0.0.1:4567".into());
/// assert_eq!(local.endpoint_url(), "http://127.0.0.1:4567");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ClientConfig {
    /// `aws.region`.
    pub region: Option<String>,
    /// `aws.endpoint`; when set, it wins over the region's endpoint.
    pub endpoint: Option<String>,
    /// HTTP timeouts.
    pub timeouts: Timeouts,
    /// `aws.trust.all.certificates` (decisions D11: every connection honours it).
    pub trust_all_certificates: bool,
    /// CA certificates (a PEM file, usually from `AWS_CA_BUNDLE`) trusted **instead of**
    /// the bundled Mozilla roots, for Kinesis and the credential endpoints alike. This is
    /// what botocore and the AWS CLI do with `AWS_CA_BUNDLE` (aws-config does not read it):
    /// a bundle for a private CA must also hold the public roots if public endpoints (STS,
    /// SSO) are to be reached with it.
    pub ca_bundle: Option<PathBuf>,
    /// How credentials are found.
    pub credentials: CredentialsSpec,
    /// Connection-pool size: at least the number of threads that share the client.
    pub max_connections: usize,
}

impl ClientConfig {
    /// This configuration with `aws.region` set.
    pub fn with_region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// This configuration with `aws.endpoint` set.
    pub fn with_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
        self
    }

    /// This configuration finding credentials as `spec` says.
    pub fn with_credentials(mut self, spec: CredentialsSpec) -> Self {
        self.credentials = spec;
        self
    }

    /// The endpoint URL Kinesis requests go to: `endpoint` if set, else derived from
    /// `region` (`https://kinesis.<region>.amazonaws.com`, `.amazonaws.com.cn` for `cn-`
    /// regions), else the `us-east-1` endpoint.
    pub fn endpoint_url(&self) -> String {
        self.endpoint_url_for("kinesis")
    }

    /// [`ClientConfig::endpoint_url`] for the service whose endpoint host starts with
    /// `service` (`kinesis`, `dynamodb`).
    ///
    /// ```
    /// use kinesis_wire::ClientConfig;
    /// let cfg = ClientConfig::default().with_region("cn-north-1");
    /// assert_eq!(cfg.endpoint_url_for("dynamodb"), "https://dynamodb.cn-north-1.amazonaws.com.cn");
    /// ```
    pub fn endpoint_url_for(&self, service: &str) -> String {
        if let Some(e) = &self.endpoint {
            return e.trim_end_matches('/').to_string();
        }
        let region = self.region.as_deref().unwrap_or("us-east-1");
        let suffix = if region.starts_with("cn-") {
            "amazonaws.com.cn"
        } else {
            "amazonaws.com"
        };
        format!("https://{service}.{region}.{suffix}")
    }

    /// The region used in SigV4 signatures: `region` if set; else the one in an AWS-style
    /// endpoint host (`kinesis.<region>.amazonaws.com`); else `us-east-1`.
    pub fn signing_region(&self) -> String {
        self.signing_region_for("kinesis")
    }

    /// [`ClientConfig::signing_region`] for the service whose endpoint host starts with
    /// `service` (`dynamodb.<region>.amazonaws.com` for `dynamodb`).
    ///
    /// ```
    /// use kinesis_wire::ClientConfig;
    /// let cfg = ClientConfig::default().with_endpoint("https://dynamodb.eu-west-1.amazonaws.com");
    /// assert_eq!(cfg.signing_region_for("dynamodb"), "eu-west-1");
    /// assert_eq!(cfg.signing_region_for("kinesis"), "us-east-1");
    /// ```
    pub fn signing_region_for(&self, service: &str) -> String {
        if let Some(r) = &self.region {
            return r.clone();
        }
        if let Some(e) = &self.endpoint {
            let host = e
                .split("://")
                .nth(1)
                .unwrap_or(e)
                .split(['/', ':'])
                .next()
                .unwrap_or("");
            let parts: Vec<&str> = host.split('.').collect();
            if parts.len() >= 4 && parts[0] == service && parts[2] == "amazonaws" {
                return parts[1].to_string();
            }
        }
        "us-east-1".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_from_region() {
        let cn = ClientConfig {
            region: Some("cn-north-1".into()),
            ..Default::default()
        };
        assert_eq!(
            cn.endpoint_url(),
            "https://kinesis.cn-north-1.amazonaws.com.cn"
        );
        let ep = ClientConfig {
            endpoint: Some("http://127.0.0.1:4567/".into()),
            ..Default::default()
        };
        assert_eq!(ep.endpoint_url(), "http://127.0.0.1:4567");
        assert_eq!(ep.signing_region(), "us-east-1");
        let aws = ClientConfig {
            endpoint: Some("https://kinesis.ap-south-2.amazonaws.com".into()),
            ..Default::default()
        };
        assert_eq!(aws.signing_region(), "ap-south-2");
    }

    #[test]
    fn debug_masks_secrets() {
        let spec = CredentialsSpec::Basic {
            access_key_id: "AKID".into(),
            secret_access_key: "topsecret".into(),
            session_token: Some("tok".into()),
        };
        let s = format!("{spec:?}");
        assert!(s.contains("AKID"));
        assert!(!s.contains("topsecret") && !s.contains("tok\""));
    }
}
