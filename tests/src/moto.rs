//! moto's server as a third test server: unlike kinesis-mock and kinesalite it verifies every
//! SigV4 signature and evaluates IAM policies, so tests that must be signed correctly (or
//! must be refused) run against it.
//!
//! `scripts/test` starts moto (`scripts/kinesis-server start --server moto`), creates the IAM
//! identities with `scripts/moto-setup.py` right after, and exports:
//!
//! | variable | what |
//! |---|---|
//! | `MOTO_ENDPOINT` | `http://127.0.0.1:PORT` (Kinesis, IAM and STS on one port) |
//! | `MOTO_ALLOWED_ACCESS_KEY_ID`, `MOTO_ALLOWED_SECRET_ACCESS_KEY` | user `kinesis-rs-allowed`: `kinesis:*`, and `sts:AssumeRole` on the role |
//! | `MOTO_ALLOWED_USER_ARN` | `arn:aws:iam::123456789012:user/kinesis-rs-allowed` |
//! | `MOTO_NO_PUT_ACCESS_KEY_ID`, `MOTO_NO_PUT_SECRET_ACCESS_KEY` | user `kinesis-rs-no-put`: `kinesis:*` but an explicit Deny of `kinesis:PutRecords` |
//! | `MOTO_NO_PUT_USER_ARN` | `arn:aws:iam::123456789012:user/kinesis-rs-no-put` |
//! | `MOTO_ROLE_ARN` | role `kinesis-rs-role`: trusts the allowed user, `kinesis:*` |
//!
//! Every request after the setup is authenticated: a wrong secret gets HTTP 403 with an XML
//! body (`<Code>SignatureDoesNotMatch</Code>`), a denied action 403 `AccessDenied`, an
//! unknown key 403 `InvalidClientTokenId`. moto's Kinesis has quirks (no keep-alive, small
//! integer sequence numbers, AWS-conformant ListShards paging broken, closed shards never
//! end): keep moto tests to signing and authorization.

use std::fmt;

use kinesis_wire::{ClientBuilder, CredentialsSpec, KinesisClient};

/// An access key pair of a moto IAM user. `Debug` masks the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct MotoKeys {
    /// The access key id.
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: String,
}

impl fmt::Debug for MotoKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MotoKeys")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"******")
            .finish()
    }
}

impl MotoKeys {
    /// `BASIC` credentials with these keys.
    pub fn basic(&self) -> CredentialsSpec {
        CredentialsSpec::Basic {
            access_key_id: self.access_key_id.clone(),
            secret_access_key: self.secret_access_key.clone(),
            session_token: None,
        }
    }
}

/// The moto server `scripts/test` started and the identities it created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moto {
    /// `MOTO_ENDPOINT`.
    pub endpoint: String,
    /// `MOTO_ALLOWED_*`: may use every Kinesis action and assume [`Moto::role_arn`].
    pub allowed: MotoKeys,
    /// `MOTO_ALLOWED_USER_ARN`.
    pub allowed_user_arn: String,
    /// `MOTO_NO_PUT_*`: every Kinesis action but `PutRecords`.
    pub no_put: MotoKeys,
    /// `MOTO_NO_PUT_USER_ARN`.
    pub no_put_user_arn: String,
    /// `MOTO_ROLE_ARN`: a role the allowed user may assume, with `kinesis:*`.
    pub role_arn: String,
}

impl Moto {
    /// The moto server from the environment `scripts/test` set (unset, the test fails with a
    /// message naming the variable and saying to run `scripts/test`, as [`crate::endpoint`]).
    ///
    /// ```
    /// // scripts/test sets the MOTO_* variables; a plain `cargo test` fails here.
    /// let moto = kinesis_tests::moto::Moto::from_env();
    /// assert!(moto.endpoint.starts_with("http://127.0.0.1:"));
    /// assert!(!format!("{moto:?}").contains(&moto.allowed.secret_access_key));
    /// ```
    pub fn from_env() -> Moto {
        Moto {
            endpoint: crate::endpoint("MOTO_ENDPOINT"),
            allowed: MotoKeys {
                access_key_id: crate::env_or_fail("MOTO_ALLOWED_ACCESS_KEY_ID"),
                secret_access_key: crate::env_or_fail("MOTO_ALLOWED_SECRET_ACCESS_KEY"),
            },
            allowed_user_arn: crate::env_or_fail("MOTO_ALLOWED_USER_ARN"),
            no_put: MotoKeys {
                access_key_id: crate::env_or_fail("MOTO_NO_PUT_ACCESS_KEY_ID"),
                secret_access_key: crate::env_or_fail("MOTO_NO_PUT_SECRET_ACCESS_KEY"),
            },
            no_put_user_arn: crate::env_or_fail("MOTO_NO_PUT_USER_ARN"),
            role_arn: crate::env_or_fail("MOTO_ROLE_ARN"),
        }
    }

    /// `ASSUME_ROLE` credentials for [`Moto::role_arn`], with moto as the STS endpoint and the
    /// allowed user's keys to call it.
    pub fn assume_role(&self, session_name: &str) -> CredentialsSpec {
        CredentialsSpec::AssumeRole {
            role_arn: self.role_arn.clone(),
            session_name: session_name.to_string(),
            external_id: None,
            sts_endpoint: Some(self.endpoint.clone()),
            provider: Box::new(self.allowed.basic()),
        }
    }

    /// A client builder for `endpoint` (moto itself, or a proxy in front of it), region
    /// `us-east-1`, with `credentials`.
    ///
    /// ```no_run
    /// let moto = kinesis_tests::moto::Moto::from_env();
    /// let client = moto.client_builder(&moto.endpoint, moto.allowed.basic()).build().unwrap();
    /// client.list_streams(&Default::default()).unwrap();
    /// ```
    pub fn client_builder(&self, endpoint: &str, credentials: CredentialsSpec) -> ClientBuilder {
        KinesisClient::builder()
            .endpoint(endpoint)
            .region("us-east-1")
            .credentials_spec(credentials)
    }

    /// A client for moto signed with `credentials`.
    pub fn client(&self, credentials: CredentialsSpec) -> KinesisClient {
        self.client_builder(&self.endpoint, credentials)
            .build()
            .expect("moto client builds")
    }
}
