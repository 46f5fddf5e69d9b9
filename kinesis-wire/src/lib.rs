//! A small, synchronous Amazon Kinesis Data Streams client.
//!
//! Kinesis JSON 1.1 over HTTP/1.1 (ureq), SigV4 signing (aws-sigv4), a credential-provider
//! chain, typed errors and full-jitter retries. No async runtime. [`dynamodb`] holds a
//! DynamoDB client on the same foundations, for the consumer groups' lease table.
//!
//! The API, all of it re-exported here:
//! - at the root: the client ([`KinesisClient`], [`ClientBuilder`], [`ClientConfig`]), its
//!   errors ([`KinesisError`], [`codes`]), retries ([`RetryPolicy`], [`Shutdown`]) and clock;
//! - [`model`]: the actions' inputs and outputs, and the hot paths' encoder and parsers;
//! - [`credentials`]: [`credentials::Credentials`] and the providers that find them;
//! - [`dynamodb`]: the DynamoDB client; [`mod@env`]: where environment variables come from;
//!   [`shared_config`]: the AWS config files' region and endpoints; [`limits`]: the service's limits; [`transport`]: the HTTP layer under the clients;
//!   [`log_filter`] and [`sys_props`]: process-wide helpers;
//! - with feature `test-util`, `test_util`: a scripted transport and a manual clock.
//!
//! Every call is one request (plus one re-signed request when the credentials expired);
//! retries are the caller's, through a [`RetryPolicy`]. The request encoder and the
//! response parsers can be used on their own:
//!
//! ```
//! use kinesis_wire::model::{encode_put_records, parse_get_records_page, PutRecordsEntryRef, RecordBatch, StreamRef};
//!
//! // The body of a PutRecords call, payloads base64'd straight into it.
//! let mut body = Vec::new();
//! encode_put_records(&StreamRef::from("orders"), [PutRecordsEntryRef::new(b"hi", "k")], &mut body);
//! assert_eq!(body, br#"{"Records":[{"Data":"aGk=","PartitionKey":"k"}],"StreamName":"orders"}"#);
//!
//! // A GetRecords answer, parsed into one batch (no allocation per record).
//! let answer = br#"{"Records":[{"SequenceNumber":"49","Data":"aGk=","PartitionKey":"k"}],
//!                   "NextShardIterator":"AAAA","MillisBehindLatest":0}"#;
//! let page = parse_get_records_page(answer, RecordBatch::new())?;
//! let record = page.records.get(0).unwrap();
//! assert_eq!((record.sequence_number, record.data), ("49", &b"hi"[..]));
//! assert_eq!(page.next_shard_iterator.as_deref(), Some("AAAA"));
//! # Ok::<(), kinesis_wire::ParseError>(())
//! ```
//!
//! A client, its calls and their retries:
//!
//! ```no_run
//! use kinesis_wire::credentials::{Credentials, StaticProvider};
//! use kinesis_wire::model::{GetRecordsInput, GetShardIteratorInput, StartingPosition};
//! use kinesis_wire::{KinesisClient, RetryPolicy, Shutdown};
//! use std::sync::Arc;
//!
//! let client = KinesisClient::builder()
//!     .region("eu-west-1")
//!     .credentials(Arc::new(StaticProvider::new(Credentials::new("AKID", "secret", None, None, "BASIC"))))
//!     .build()?;
//! let (policy, shutdown) = (RetryPolicy::default(), Shutdown::new());
//! let iterator = policy.run(&shutdown, |_| {
//!     client.get_shard_iterator(&GetShardIteratorInput::new(
//!         "orders", "shardId-000000000000", StartingPosition::TrimHorizon))
//! })?;
//! let page = policy.run(&shutdown, |_| client.get_records(&GetRecordsInput::new(iterator.clone())))?;
//! println!("{} records", page.records.len());
//! # Ok::<(), kinesis_wire::KinesisError>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod builder;
mod client;
mod clock;
mod config;
mod connection;
pub mod credentials;
pub mod dynamodb;
pub mod env;
mod error;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod insecure;
pub mod limits;
pub mod log_filter;
pub mod model;
mod paging;
mod parse;
mod redact;
mod resolver;
mod retry;
pub mod shared_config;
mod sign;
pub mod sys_props;
#[cfg(any(test, feature = "test-util"))]
pub mod test_util;
pub mod transport;
mod wait;

pub use builder::{ClientBuilder, ServiceClient, DEFAULT_MAX_CONNECTIONS};
pub use client::KinesisClient;
pub use clock::{Clock, SystemClock};
pub use config::{ClientConfig, CredentialsSpec, Timeouts};
pub use error::{codes, KinesisError, TransportError, TransportErrorKind};
pub use parse::ParseError;
pub use retry::{Backoff, RetryPolicy, RetryStop, Shutdown};
pub use sign::{sign_request, SignError};
