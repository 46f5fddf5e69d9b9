//! [`DynamoDbClient`]: one method per DynamoDB action the lease table needs, JSON 1.0 over
//! the same [`Connection`] (transport, signer, credentials) as [`KinesisClient`].

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use super::attribute::Item;
use super::codes;
use super::model::*;
use crate::builder::sealed::Sealed;
use crate::builder::{ClientBuilder, ServiceClient};
use crate::client::KinesisClient;
use crate::config::ClientConfig;
use crate::connection::{parse_body, Connection, Protocol, DYNAMODB};
use crate::credentials::Provider;
use crate::error::{error_code, KinesisError};
use crate::paging::Pages;
use crate::retry::{RetryPolicy, Shutdown};
use crate::wait::{poll_until, Poll};

/// A synchronous DynamoDB client. Cheap to clone (an `Arc` inside); clones share the
/// connection pool and credentials, and may be used from many threads at once.
///
/// As with [`KinesisClient`], each method makes exactly one call (plus one re-signed call if
/// the credentials expired); wrap calls in a [`RetryPolicy`] to retry throttling
/// (`ProvisionedThroughputExceededException`, `ThrottlingException`,
/// `RequestLimitExceeded`), HTTP 5xx and transient transport failures. Writes return a
/// [`WriteOutcome`]: a false `ConditionExpression` is [`WriteOutcome::ConditionFailed`],
/// not an error, so a retry policy never repeats it.
///
/// ```no_run
/// use kinesis_wire::dynamodb::*;
/// use kinesis_wire::{RetryPolicy, Shutdown, credentials::{Credentials, StaticProvider}};
/// use std::{sync::Arc, time::Duration};
///
/// let client = DynamoDbClient::builder()
///     .endpoint("http://127.0.0.1:4568")
///     .region("us-east-1")
///     .credentials(Arc::new(StaticProvider::new(Credentials::new("test", "test", None, None, "BASIC"))))
///     .build()?;
/// match client.create_table(&CreateTableInput::new("orders-app", "leaseKey"))? {
///     CreateTableOutcome::Created(_) | CreateTableOutcome::AlreadyExists => {}
/// }
/// client.wait_for_table_active("orders-app", Duration::from_secs(30))?;
/// let policy = RetryPolicy::default();
/// let shutdown = Shutdown::new();
/// let put = PutItemInput::new("orders-app", key("leaseKey", "shardId-000000000000"))
///     .condition("attribute_not_exists(leaseKey)");
/// let outcome = policy.run(&shutdown, |_| client.put_item(&put))?;
/// println!("created: {}", outcome.is_applied());
/// # Ok::<(), kinesis_wire::KinesisError>(())
/// ```
#[derive(Clone)]
pub struct DynamoDbClient {
    conn: Arc<Connection>,
}

impl fmt::Debug for DynamoDbClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DynamoDbClient")
            .field("endpoint", &self.conn.endpoint)
            .field("region", &self.conn.region)
            .field("transport", &self.conn.transport)
            .field("credentials", &self.conn.credentials)
            .finish()
    }
}

impl Sealed for DynamoDbClient {
    const PROTOCOL: &'static Protocol = &DYNAMODB;
    fn from_connection(conn: Arc<Connection>) -> Self {
        DynamoDbClient { conn }
    }
    fn connection(&self) -> &Arc<Connection> {
        &self.conn
    }
}

impl ServiceClient for DynamoDbClient {}

impl DynamoDbClient {
    /// A builder with every setting of [`KinesisClient::builder`]; the endpoint defaults to
    /// `https://dynamodb.<region>.amazonaws.com` (`.com.cn` in China regions).
    /// [`ClientBuilder::shared_with`] takes the transport and credentials of a Kinesis
    /// client.
    ///
    /// ```
    /// use kinesis_wire::{credentials::{Credentials, StaticProvider}, dynamodb::DynamoDbClient};
    /// use std::sync::Arc;
    /// let client = DynamoDbClient::builder()
    ///     .region("cn-north-1")
    ///     .credentials(Arc::new(StaticProvider::new(Credentials::new("AKID", "secret", None, None, "BASIC"))))
    ///     .build()?;
    /// assert_eq!(client.endpoint(), "https://dynamodb.cn-north-1.amazonaws.com.cn");
    /// # Ok::<(), kinesis_wire::KinesisError>(())
    /// ```
    pub fn builder() -> ClientBuilder<DynamoDbClient> {
        ClientBuilder::new()
    }

    /// A client from plain configuration (its `endpoint`, when set, must be DynamoDB's).
    ///
    /// ```
    /// use kinesis_wire::{dynamodb::DynamoDbClient, ClientConfig, CredentialsSpec};
    /// let client = DynamoDbClient::new(
    ///     ClientConfig::default()
    ///         .with_endpoint("https://dynamodb.eu-west-1.amazonaws.com")
    ///         .with_credentials(CredentialsSpec::Basic {
    ///             access_key_id: "test".into(), secret_access_key: "test".into(), session_token: None }),
    /// )?;
    /// assert_eq!(client.signing_region(), "eu-west-1");
    /// # Ok::<(), kinesis_wire::KinesisError>(())
    /// ```
    pub fn new(config: ClientConfig) -> Result<Self, KinesisError> {
        Self::builder().config(config).build()
    }

    /// A client on `kinesis`'s transport and credentials, in its region unless `region` is
    /// given, at `endpoint` (`None`: the region's DynamoDB endpoint). The shape of
    /// `scan.lease.endpoint` / `scan.lease.region`.
    ///
    /// ```
    /// # use kinesis_wire::{dynamodb::DynamoDbClient, KinesisClient};
    /// # fn f(kinesis: &KinesisClient) -> Result<(), kinesis_wire::KinesisError> {
    /// let leases = DynamoDbClient::from_kinesis(kinesis, Some("http://127.0.0.1:4568"), None)?;
    /// # Ok(()) }
    /// ```
    pub fn from_kinesis(
        kinesis: &KinesisClient,
        endpoint: Option<&str>,
        region: Option<&str>,
    ) -> Result<Self, KinesisError> {
        let mut b = Self::builder().shared_with(kinesis);
        if let Some(e) = endpoint {
            b = b.endpoint(e);
        }
        if let Some(r) = region {
            b = b.region(r);
        }
        b.build()
    }

    /// The endpoint URL (without trailing slash).
    pub fn endpoint(&self) -> &str {
        &self.conn.endpoint
    }

    /// The region used in signatures.
    pub fn signing_region(&self) -> &str {
        &self.conn.region
    }

    /// The credentials provider.
    pub fn credentials_provider(&self) -> &Arc<dyn Provider> {
        &self.conn.credentials
    }

    /// CreateTable with on-demand billing and one string hash key. The table starts
    /// `CREATING`: [`DynamoDbClient::wait_for_table_active`] before using it. An existing
    /// table is [`CreateTableOutcome::AlreadyExists`], not an error.
    ///
    /// ```no_run
    /// # use kinesis_wire::dynamodb::*;
    /// # fn f(client: &DynamoDbClient) -> Result<(), kinesis_wire::KinesisError> {
    /// if let CreateTableOutcome::AlreadyExists = client.create_table(&CreateTableInput::new("orders-app", "leaseKey"))? {
    ///     let t = client.describe_table("orders-app")?.expect("it exists");
    ///     assert_eq!(t.hash_key(), Some(("leaseKey", "S")));
    /// }
    /// # Ok(()) }
    /// ```
    pub fn create_table(
        &self,
        input: &CreateTableInput,
    ) -> Result<CreateTableOutcome, KinesisError> {
        match self
            .conn
            .call::<_, TableDescriptionOutput>("CreateTable", input)
        {
            Ok(out) => Ok(CreateTableOutcome::Created(out.table_description)),
            Err(e) if e.is_code(codes::RESOURCE_IN_USE) => Ok(CreateTableOutcome::AlreadyExists),
            Err(e) => Err(e),
        }
    }

    /// DescribeTable; `None` when there is no such table.
    ///
    /// ```no_run
    /// # use kinesis_wire::dynamodb::*;
    /// # fn f(client: &DynamoDbClient) -> Result<(), kinesis_wire::KinesisError> {
    /// match client.describe_table("orders-app")? {
    ///     Some(t) => println!("{:?}, about {:?} items", t.table_status, t.item_count),
    ///     None => println!("no lease table"),
    /// }
    /// # Ok(()) }
    /// ```
    pub fn describe_table(&self, table: &str) -> Result<Option<TableDescription>, KinesisError> {
        match self
            .conn
            .call::<_, DescribeTableOutput>("DescribeTable", &TableNameInput { table_name: table })
        {
            Ok(out) => Ok(Some(out.table)),
            Err(e) if e.is_code(codes::RESOURCE_NOT_FOUND) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Polls DescribeTable until the table is `ACTIVE` (returning its description) or
    /// `timeout` passes. A table not found yet and retryable errors keep it waiting; any
    /// other error is returned.
    ///
    /// ```no_run
    /// # use kinesis_wire::dynamodb::*;
    /// # fn f(client: &DynamoDbClient) -> Result<(), kinesis_wire::KinesisError> {
    /// let t = client.wait_for_table_active("orders-app", std::time::Duration::from_secs(60))?;
    /// assert_eq!(t.table_status, TableStatus::Active);
    /// # Ok(()) }
    /// ```
    pub fn wait_for_table_active(
        &self,
        table: &str,
        timeout: Duration,
    ) -> Result<TableDescription, KinesisError> {
        poll_until(
            &*self.conn.clock,
            &self.conn.shutdown,
            || format!("table {table} to become ACTIVE"),
            timeout,
            || match self.describe_table(table) {
                Ok(Some(t)) if t.table_status == TableStatus::Active => Ok(Poll::Ready(t)),
                Ok(Some(t)) => Ok(Poll::Pending(
                    format!("{:?}", t.table_status).to_uppercase(),
                )),
                Ok(None) => Ok(Poll::Pending("not found".into())),
                Err(e) if e.is_retryable() => Ok(Poll::Pending(e.to_string())),
                Err(e) => Err(e),
            },
        )
    }

    /// DeleteTable (the table goes `DELETING`, then disappears); `None` when there was no
    /// such table.
    ///
    /// ```no_run
    /// # use kinesis_wire::dynamodb::*;
    /// # fn f(client: &DynamoDbClient) -> Result<(), kinesis_wire::KinesisError> {
    /// if client.delete_table("orders-app")?.is_none() {
    ///     println!("no such group");
    /// }
    /// # Ok(()) }
    /// ```
    pub fn delete_table(&self, table: &str) -> Result<Option<TableDescription>, KinesisError> {
        match self
            .conn
            .call::<_, TableDescriptionOutput>("DeleteTable", &TableNameInput { table_name: table })
        {
            Ok(out) => Ok(Some(out.table_description)),
            Err(e) if e.is_code(codes::RESOURCE_NOT_FOUND) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// GetItem; `None` when there is no such item. A missing table is an error
    /// (`ResourceNotFoundException`).
    ///
    /// ```no_run
    /// # use kinesis_wire::dynamodb::*;
    /// # fn f(client: &DynamoDbClient) -> Result<(), Box<dyn std::error::Error>> {
    /// let get = GetItemInput::new("orders-app", key("leaseKey", "shardId-000000000000")).consistent();
    /// if let Some(lease) = client.get_item(&get)? {
    ///     println!("owner {:?} counter {}", lease.opt_s("leaseOwner")?, lease.get_u64("leaseCounter")?);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn get_item(&self, input: &GetItemInput) -> Result<Option<Item>, KinesisError> {
        let out: GetItemOutput = self.conn.call("GetItem", input)?;
        Ok(out.item)
    }

    /// PutItem, conditional when the input has a `condition_expression`.
    ///
    /// ```no_run
    /// # use kinesis_wire::dynamodb::*;
    /// # fn f(client: &DynamoDbClient) -> Result<(), kinesis_wire::KinesisError> {
    /// let mut lease = key("leaseKey", "shardId-000000000001");
    /// lease.insert("leaseCounter".into(), 0u64.into());
    /// lease.insert("checkpoint".into(), "TRIM_HORIZON".into());
    /// let create = PutItemInput::new("orders-app", lease).condition("attribute_not_exists(leaseKey)");
    /// if let WriteOutcome::ConditionFailed(_) = client.put_item(&create)? {
    ///     println!("another worker created it first");
    /// }
    /// # Ok(()) }
    /// ```
    pub fn put_item(&self, input: &PutItemInput) -> Result<WriteOutcome, KinesisError> {
        self.write("PutItem", input)
    }

    /// UpdateItem, conditional when the input has a `condition_expression`. With
    /// [`ReturnValues::AllNew`] the applied outcome carries the item as written.
    ///
    /// A call retried after a lost answer may find its own first attempt applied: a
    /// [`WriteOutcome::ConditionFailed`] then does not prove that another writer won; read
    /// the item to tell (e.g. compare its owner).
    ///
    /// ```no_run
    /// # use kinesis_wire::dynamodb::*;
    /// # fn f(client: &DynamoDbClient) -> Result<(), kinesis_wire::KinesisError> {
    /// let renew = UpdateItemInput::new("orders-app", key("leaseKey", "shardId-000000000000"),
    ///         "SET leaseCounter = leaseCounter + :one")
    ///     .condition("leaseCounter = :expected AND leaseOwner = :me")
    ///     .value(":one", 1u64).value(":expected", 41u64).value(":me", "worker-1")
    ///     .return_values(ReturnValues::AllNew);
    /// match client.update_item(&renew)? {
    ///     WriteOutcome::Applied(item) => println!("renewed: {item:?}"),
    ///     WriteOutcome::ConditionFailed(_) => println!("lost the lease"),
    /// }
    /// # Ok(()) }
    /// ```
    pub fn update_item(&self, input: &UpdateItemInput) -> Result<WriteOutcome, KinesisError> {
        self.write("UpdateItem", input)
    }

    /// DeleteItem, conditional when the input has a `condition_expression`. Deleting an
    /// item that does not exist (with no condition) is applied.
    ///
    /// ```no_run
    /// # use kinesis_wire::dynamodb::*;
    /// # fn f(client: &DynamoDbClient) -> Result<(), kinesis_wire::KinesisError> {
    /// let done = DeleteItemInput::new("orders-app", key("leaseKey", "shardId-000000000000"))
    ///     .condition("checkpoint = :end").value(":end", "SHARD_END");
    /// let outcome = client.delete_item(&done)?;
    /// println!("deleted: {}", outcome.is_applied());
    /// # Ok(()) }
    /// ```
    pub fn delete_item(&self, input: &DeleteItemInput) -> Result<WriteOutcome, KinesisError> {
        self.write("DeleteItem", input)
    }

    /// Scan: one page. Continue with the page's `last_evaluated_key` as the next input's
    /// `exclusive_start_key`, or use [`DynamoDbClient::scan_all`].
    ///
    /// ```no_run
    /// # use kinesis_wire::dynamodb::*;
    /// # fn f(client: &DynamoDbClient) -> Result<(), kinesis_wire::KinesisError> {
    /// let page = client.scan(&ScanInput::new("orders-app").limit(100))?;
    /// println!("{} items, more: {}", page.items.len(), page.last_evaluated_key.is_some());
    /// # Ok(()) }
    /// ```
    pub fn scan(&self, input: &ScanInput) -> Result<ScanOutput, KinesisError> {
        self.conn.call("Scan", input)
    }

    /// Every item, following `LastEvaluatedKey` from the page `first` (its limit, filter and
    /// consistency apply to every page); each page is retried by `policy`. A scan that does
    /// not end (a key seen before, or more than 1,000 pages) is an
    /// error, as for the Kinesis listings.
    ///
    /// ```no_run
    /// # use kinesis_wire::{dynamodb::*, RetryPolicy, Shutdown};
    /// # fn f(client: &DynamoDbClient) -> Result<(), Box<dyn std::error::Error>> {
    /// for lease in client.scan_all(&ScanInput::new("orders-app").consistent(), &RetryPolicy::default(), &Shutdown::new())? {
    ///     println!("{} owned by {:?}", lease.get_s("leaseKey")?, lease.opt_s("leaseOwner")?);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn scan_all(
        &self,
        first: &ScanInput,
        policy: &RetryPolicy,
        shutdown: &Shutdown,
    ) -> Result<Vec<Item>, KinesisError> {
        const ACTION: &str = "Scan";
        let mut pages = Pages::new(ACTION);
        let mut input = first.clone();
        let mut items = Vec::new();
        loop {
            let page = policy.run(shutdown, |_| self.scan(&input))?;
            items.extend(page.items);
            match page.last_evaluated_key {
                Some(next) if !next.is_empty() => {
                    let token =
                        serde_json::to_string(&next).map_err(|e| KinesisError::Protocol {
                            action: ACTION,
                            message: format!("cannot encode LastEvaluatedKey: {e}"),
                        })?;
                    pages.next_token(&token)?;
                    input.exclusive_start_key = Some(next);
                }
                _ => {
                    pages.last();
                    return Ok(items);
                }
            }
        }
    }

    /// A write whose false condition is an outcome: the `ConditionalCheckFailedException`
    /// answer becomes [`WriteOutcome::ConditionFailed`] with the item it may carry.
    fn write<I: Serialize>(
        &self,
        action: &'static str,
        input: &I,
    ) -> Result<WriteOutcome, KinesisError> {
        let resp = self.conn.send(action, Connection::encode(action, input)?)?;
        if (200..300).contains(&resp.status) {
            let out: WriteOutput = parse_body(action, &resp.body)?;
            return Ok(WriteOutcome::Applied(out.attributes));
        }
        if error_code(&resp.headers, &resp.body) == codes::CONDITIONAL_CHECK_FAILED {
            let body: ConditionFailedBody = parse_body(action, &resp.body)?;
            return Ok(WriteOutcome::ConditionFailed(body.item));
        }
        Err(KinesisError::from_response(action, &resp))
    }
}
