//! A synchronous DynamoDB client for the consumer groups' lease table (decisions D24):
//! [`DynamoDbClient`], DynamoDB JSON 1.0 (`X-Amz-Target: DynamoDB_20120810.<Action>`,
//! signed for `dynamodb`) on the same transport, SigV4 signer, credentials, retry policy and
//! error classification as [`crate::KinesisClient`].
//!
//! The actions are the ones a lease protocol needs: CreateTable (on demand, one string hash
//! key), DescribeTable and [`DynamoDbClient::wait_for_table_active`], DeleteTable, GetItem,
//! PutItem, UpdateItem and DeleteItem with condition expressions, and Scan with paging.
//!
//! Outcomes a caller must act on are values, not errors:
//! - a false `ConditionExpression` is [`WriteOutcome::ConditionFailed`] (never retried: another
//!   writer got there first);
//! - CreateTable of an existing table is [`CreateTableOutcome::AlreadyExists`];
//! - DescribeTable and DeleteTable of a missing table return `None`; GetItem of a missing
//!   item returns `None`.
//!
//! Everything else is a [`crate::KinesisError`] naming the DynamoDB action; throttling
//! (`ProvisionedThroughputExceededException`, `ThrottlingException`,
//! `RequestLimitExceeded`), HTTP 5xx and transient transport failures are
//! [`crate::KinesisError::is_retryable`], so a [`crate::RetryPolicy`] retries them. Item
//! operations on a missing table fail with [`codes::RESOURCE_NOT_FOUND`].
//!
//! Taking a lease: exactly one of two workers racing for the same counter wins.
//!
//! ```no_run
//! use kinesis_wire::dynamodb::*;
//! use kinesis_wire::{KinesisClient, KinesisError, RetryPolicy, Shutdown};
//!
//! fn take(client: &DynamoDbClient, table: &str, shard: &str, me: &str, seen_counter: u64)
//!     -> Result<Option<Item>, KinesisError>
//! {
//!     let take = UpdateItemInput::new(table, key("leaseKey", shard),
//!             "SET leaseOwner = :me, leaseCounter = leaseCounter + :one")
//!         .condition("leaseCounter = :seen")
//!         .value(":me", me)
//!         .value(":one", 1u64)
//!         .value(":seen", seen_counter)
//!         .return_values(ReturnValues::AllNew);
//!     match RetryPolicy::default().run(&Shutdown::new(), |_| client.update_item(&take))? {
//!         WriteOutcome::Applied(lease) => Ok(lease),
//!         WriteOutcome::ConditionFailed(_) => Ok(None), // someone else moved the counter
//!     }
//! }
//! # fn main() -> Result<(), KinesisError> {
//! # let kinesis = KinesisClient::new(Default::default())?;
//! let leases = DynamoDbClient::from_kinesis(&kinesis, Some("http://127.0.0.1:4568"), None)?;
//! let won = take(&leases, "orders-app", "shardId-000000000000", "worker-1", 41)?;
//! # Ok(()) }
//! ```

mod attribute;
mod client;
mod model;

pub use attribute::{key, AttributeError, AttributeValue, Item, ItemExt};
pub use client::DynamoDbClient;
pub use model::{
    AttributeDefinition, CreateTableInput, CreateTableOutcome, DeleteItemInput, GetItemInput,
    KeySchemaElement, KeyType, PutItemInput, ReturnValues, ScanInput, ScanOutput, TableDescription,
    TableStatus, UpdateItemInput, WriteOutcome,
};

/// `X-Amz-Target` prefix of the DynamoDB JSON protocol.
pub(crate) const TARGET_PREFIX: &str = "DynamoDB_20120810.";
/// `Content-Type` of the DynamoDB JSON protocol.
pub(crate) const CONTENT_TYPE: &str = "application/x-amz-json-1.0";

/// DynamoDB error codes (`__type` without namespace) the client and its callers tell apart.
/// Throttling codes are classified by [`crate::KinesisError::is_throttling`].
pub mod codes {
    /// A condition expression was false; the client turns it into
    /// [`super::WriteOutcome::ConditionFailed`].
    pub const CONDITIONAL_CHECK_FAILED: &str = "ConditionalCheckFailedException";
    /// The table does not exist (or is not `ACTIVE` yet).
    pub const RESOURCE_NOT_FOUND: &str = crate::codes::RESOURCE_NOT_FOUND;
    /// CreateTable of an existing table, or DeleteTable of a table being created.
    pub const RESOURCE_IN_USE: &str = crate::codes::RESOURCE_IN_USE;
    /// The table's (or account's) throughput was exceeded: retryable.
    pub const PROVISIONED_THROUGHPUT_EXCEEDED: &str = crate::codes::PROVISIONED_THROUGHPUT_EXCEEDED;
    /// The account's request rate was exceeded: retryable.
    pub const REQUEST_LIMIT_EXCEEDED: &str = "RequestLimitExceeded";
    /// Generic throttling: retryable.
    pub const THROTTLING: &str = crate::codes::THROTTLING;
    /// Too many tables being created or deleted at once: retryable.
    pub const LIMIT_EXCEEDED: &str = crate::codes::LIMIT_EXCEEDED;
    /// The item is part of a running transaction: not retried here.
    pub const TRANSACTION_CONFLICT: &str = "TransactionConflictException";
}

#[cfg(test)]
mod tests;
