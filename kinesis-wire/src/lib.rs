//! A small, synchronous Amazon Kinesis Data Streams client.
//!
//! Kinesis JSON 1.1 over HTTP/1.1 (ureq), SigV4 signing (aws-sigv4), a credential-provider
//! chain, typed errors and full-jitter retries. No async runtime.
#![forbid(unsafe_code)]

pub mod client;
pub mod config;
pub mod credentials;
pub mod env;
pub mod error;
pub mod model;
pub mod paging;
pub mod retry;
pub mod shared_config;
pub mod sign;
pub mod sys_props;
pub mod transport;

pub use client::{ClientBuilder, KinesisClient};
pub use config::{ClientConfig, CredentialsSpec, Timeouts};
pub use credentials::{Credentials, CredentialsError, Provider};
pub use env::{EnvSource, MapEnv, ProcessEnv};
pub use error::{codes, KinesisError, TransportError, TransportErrorKind};
pub use model::{
    HashKeyRange, PutRecordsEntry, Record, SequenceNumberRange, Shard, StartingPosition, StreamRef,
    StreamStatus,
};
pub use retry::{Backoff, RetryPolicy, Shutdown};
