//! A small, synchronous Amazon Kinesis Data Streams client.
//!
//! Kinesis JSON 1.1 over HTTP/1.1 (ureq), SigV4 signing (aws-sigv4), a credential-provider
//! chain, typed errors and full-jitter retries. No async runtime. [`dynamodb`] holds a
//! DynamoDB client on the same foundations, for the consumer groups' lease table.
#![forbid(unsafe_code)]

pub mod builder;
pub mod client;
mod clock;
pub mod config;
mod connection;
pub mod credentials;
pub mod dynamodb;
pub mod env;
pub mod error;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
mod insecure;
pub mod limits;
pub mod log_filter;
pub mod model;
pub mod paging;
mod parse;
mod redact;
pub mod retry;
pub mod sign;
pub mod sys_props;
#[cfg(any(test, feature = "test-util"))]
pub mod test_util;
pub mod transport;
mod wait;

pub use builder::{ClientBuilder, ServiceClient};
pub use client::KinesisClient;
pub use clock::{Clock, SystemClock};
pub use config::{ClientConfig, CredentialsSpec, Timeouts};
pub use credentials::{Credentials, CredentialsError, Provider};
pub use env::{EnvSource, MapEnv, ProcessEnv};
pub use error::{codes, KinesisError, TransportError, TransportErrorKind};
pub use model::{
    HashKeyRange, PutRecordsEntry, Record, SequenceNumberRange, Shard, StartingPosition, StreamRef,
    StreamStatus,
};
pub use parse::ParseError;
pub use retry::{Backoff, RetryPolicy, RetryStop, Shutdown};
