//! [`KinesisClient`]: one method per Kinesis action, JSON 1.1 over a [`Transport`].

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::builder::sealed::Sealed;
use crate::builder::ClientBuilder;
use crate::builder::ServiceClient;
use crate::config::ClientConfig;
use crate::connection::{parse_body, Connection, Protocol, KINESIS};
use crate::credentials::Provider;
use crate::error::{codes, KinesisError};
use crate::model::*;
use crate::paging::Pages;
use crate::retry::{RetryPolicy, Shutdown};
use crate::wait::{poll_until, Poll};

/// `X-Amz-Target` prefix of the Kinesis JSON protocol.
pub(crate) const TARGET_PREFIX: &str = "Kinesis_20131202.";
/// `Content-Type` of the Kinesis JSON protocol.
pub(crate) const CONTENT_TYPE: &str = "application/x-amz-json-1.1";

/// A synchronous Kinesis Data Streams client. Cheap to clone (an `Arc` inside); clones share
/// the connection pool and credentials, and may be used from many threads at once.
///
/// Each action method makes exactly one call (plus one re-signed call if the service says
/// the credentials expired, after invalidating the provider). Wrap calls in a
/// [`RetryPolicy`] to retry throttling and transient failures:
///
/// ```no_run
/// use kinesis_wire::{KinesisClient, RetryPolicy, Shutdown};
/// use kinesis_wire::model::{GetRecordsInput, GetShardIteratorInput, StartingPosition, StreamRef};
/// use kinesis_wire::credentials::{Credentials, StaticProvider};
/// use std::sync::Arc;
///
/// let client = KinesisClient::builder()
///     .endpoint("http://127.0.0.1:4567")
///     .region("us-east-1")
///     .credentials(Arc::new(StaticProvider::new(Credentials::new("test", "test", None, None, "BASIC"))))
///     .build()?;
/// let policy = RetryPolicy::default();
/// let shutdown = Shutdown::new();
/// let stream = StreamRef::from("orders");
/// let it = policy.run(&shutdown, |_| client.get_shard_iterator(&GetShardIteratorInput::new(
///     stream.clone(), "shardId-000000000000", StartingPosition::TrimHorizon)))?;
/// let page = policy.run(&shutdown, |_| client.get_records(&GetRecordsInput::new(it.clone()).limit(1000)))?;
/// println!("{} records", page.records.len());
/// # Ok::<(), kinesis_wire::KinesisError>(())
/// ```
#[derive(Clone)]
pub struct KinesisClient {
    conn: Arc<Connection>,
}

impl fmt::Debug for KinesisClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KinesisClient")
            .field("endpoint", &self.conn.endpoint)
            .field("region", &self.conn.region)
            .field("transport", &self.conn.transport)
            .field("credentials", &self.conn.credentials)
            .finish()
    }
}

impl Sealed for KinesisClient {
    const PROTOCOL: &'static Protocol = &KINESIS;
    fn from_connection(conn: Arc<Connection>) -> Self {
        KinesisClient { conn }
    }
    fn connection(&self) -> &Arc<Connection> {
        &self.conn
    }
}

impl ServiceClient for KinesisClient {}

impl KinesisClient {
    /// A builder; see [`ClientBuilder`].
    ///
    /// ```
    /// use kinesis_wire::{KinesisClient, credentials::{Credentials, StaticProvider}};
    /// use std::sync::Arc;
    /// let client = KinesisClient::builder()
    ///     .region("eu-west-1")
    ///     .credentials(Arc::new(StaticProvider::new(Credentials::new("AKID", "secret", None, None, "BASIC"))))
    ///     .max_connections(8)
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(client.endpoint(), "https://kinesis.eu-west-1.amazonaws.com");
    /// assert_eq!(client.signing_region(), "eu-west-1");
    /// ```
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }

    /// A client from plain configuration; credentials come from `config.credentials`
    /// (environment variables from the process).
    ///
    /// ```
    /// use kinesis_wire::{ClientConfig, CredentialsSpec, KinesisClient};
    /// let client = KinesisClient::new(
    ///     ClientConfig::default()
    ///         .with_endpoint("http://127.0.0.1:4567")
    ///         .with_credentials(CredentialsSpec::Basic {
    ///             access_key_id: "test".into(), secret_access_key: "test".into(), session_token: None }),
    /// ).unwrap();
    /// assert_eq!(client.signing_region(), "us-east-1");
    /// ```
    pub fn new(config: ClientConfig) -> Result<Self, KinesisError> {
        Self::builder().config(config).build()
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

    /// A handle on the same client (connection pool, credentials cache, settings) whose
    /// calls stop once `shutdown` is triggered: a call started after the trigger sends
    /// nothing, and a credentials fetch in progress (STS, SSO, container or instance
    /// metadata retries, `credential_process`) stops at once instead of finishing its
    /// retries. Both answer [`KinesisError::Interrupted`] with no attempt made. A request
    /// already on the wire is not cut short; it ends within the client's timeouts.
    ///
    /// Give each component that has a close/abort its own handle with its own
    /// [`Shutdown`], and pass the same token to the [`RetryPolicy`] around its calls.
    /// Other handles (and the client this was made from) are not affected.
    ///
    /// ```
    /// use kinesis_wire::{KinesisClient, KinesisError, Shutdown, credentials::{Credentials, StaticProvider}};
    /// use kinesis_wire::model::ListStreamsInput;
    /// use std::sync::Arc;
    /// let client = KinesisClient::builder()
    ///     .endpoint("http://127.0.0.1:1")
    ///     .credentials(Arc::new(StaticProvider::new(Credentials::new("AKID", "s", None, None, "BASIC"))))
    ///     .build()
    ///     .unwrap();
    /// let shutdown = Shutdown::new();
    /// let closing = client.with_shutdown(shutdown.clone());
    /// shutdown.trigger();
    /// let err = closing.list_streams(&ListStreamsInput::default()).unwrap_err();
    /// assert!(matches!(err, KinesisError::Interrupted { attempts: 0, .. }));
    /// ```
    pub fn with_shutdown(&self, shutdown: Shutdown) -> KinesisClient {
        KinesisClient {
            conn: Arc::new(self.conn.with_shutdown(shutdown)),
        }
    }

    /// The stop signal of this handle (see [`KinesisClient::with_shutdown`]).
    pub fn shutdown(&self) -> &Shutdown {
        &self.conn.shutdown
    }

    /// ListShards: one page. Set `stream` for the first page and only `next_token` for later
    /// ones (AWS rejects both together).
    ///
    /// ```no_run
    /// # use kinesis_wire::{*, model::*};
    /// # fn f(client: &KinesisClient) -> Result<(), KinesisError> {
    /// let page = client.list_shards(&ListShardsInput::for_stream("orders").max_results(100))?;
    /// if let Some(token) = page.next_token {
    ///     let next = client.list_shards(&ListShardsInput::next_page(token))?;
    /// }
    /// # Ok(()) }
    /// ```
    pub fn list_shards(&self, input: &ListShardsInput) -> Result<ListShardsOutput, KinesisError> {
        if input.stream.is_some() && input.next_token.is_some() {
            return Err(KinesisError::Protocol {
                action: "ListShards",
                message: "set either the stream or NextToken, not both".into(),
            });
        }
        self.conn.call("ListShards", input)
    }

    /// Every shard, following `NextToken` from the first page `first` (its filter,
    /// `MaxResults` and `ExclusiveStartShardId` apply); each page is retried by `policy`.
    ///
    /// ```no_run
    /// # use kinesis_wire::*;
    /// # fn f(client: &KinesisClient) -> Result<(), KinesisError> {
    /// let shards = client.list_all_shards(
    ///     &model::ListShardsInput::for_stream("orders"),
    ///     &RetryPolicy::default(),
    ///     &Shutdown::new(),
    /// )?;
    /// for s in &shards { println!("{} closed={}", s.shard_id, s.is_closed()); }
    /// # Ok(()) }
    /// ```
    pub fn list_all_shards(
        &self,
        first: &ListShardsInput,
        policy: &RetryPolicy,
        shutdown: &Shutdown,
    ) -> Result<Vec<Shard>, KinesisError> {
        let mut pages = Pages::new("ListShards");
        let mut shards = Vec::new();
        let mut input = first.clone();
        loop {
            let page = policy.run(shutdown, |_| self.list_shards(&input))?;
            shards.extend(page.shards);
            match page.next_token {
                Some(tok) if !tok.is_empty() => {
                    pages.next_token(&tok)?;
                    input = ListShardsInput {
                        next_token: Some(tok),
                        max_results: first.max_results,
                        ..Default::default()
                    };
                }
                _ => return Ok(shards),
            }
        }
    }

    /// Every stream name, following `NextToken` (or the last name, for servers that page by
    /// name only); each page is retried by `policy`. A listing that does not end (a token
    /// seen before, or more than 1,000 pages) is an error.
    ///
    /// ```no_run
    /// # use kinesis_wire::*;
    /// # fn f(client: &KinesisClient) -> Result<(), KinesisError> {
    /// for name in client.list_all_streams(&RetryPolicy::default(), &Shutdown::new())? {
    ///     println!("{name}");
    /// }
    /// # Ok(()) }
    /// ```
    pub fn list_all_streams(
        &self,
        policy: &RetryPolicy,
        shutdown: &Shutdown,
    ) -> Result<Vec<String>, KinesisError> {
        let mut pages = Pages::new("ListStreams");
        let mut names = Vec::new();
        let mut input = ListStreamsInput::default();
        loop {
            let page = policy.run(shutdown, |_| self.list_streams(&input))?;
            let last = page.stream_names.last().cloned();
            names.extend(page.stream_names);
            if !page.has_more_streams {
                return Ok(names);
            }
            input =
                match (page.next_token, last) {
                    (Some(token), _) if !token.is_empty() => {
                        pages.next_token(&token)?;
                        ListStreamsInput {
                            next_token: Some(token),
                            ..Default::default()
                        }
                    }
                    (_, Some(name)) => {
                        pages.next_token(&name)?;
                        ListStreamsInput {
                            exclusive_start_stream_name: Some(name),
                            ..Default::default()
                        }
                    }
                    (_, None) => return Err(KinesisError::Protocol {
                        action: "ListStreams",
                        message:
                            "HasMoreStreams is true on a page with no stream name and no NextToken"
                                .into(),
                    }),
                };
        }
    }

    /// Every consumer of the stream `stream_arn`, following `NextToken`; each page is retried
    /// by `policy`, under the same bound as [`KinesisClient::list_all_streams`].
    ///
    /// ```no_run
    /// # use kinesis_wire::*;
    /// # fn f(client: &KinesisClient, arn: &str) -> Result<(), KinesisError> {
    /// for c in client.list_all_stream_consumers(arn, &RetryPolicy::default(), &Shutdown::new())? {
    ///     println!("{} {:?}", c.consumer_name, c.consumer_status);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn list_all_stream_consumers(
        &self,
        stream_arn: &str,
        policy: &RetryPolicy,
        shutdown: &Shutdown,
    ) -> Result<Vec<Consumer>, KinesisError> {
        let mut pages = Pages::new("ListStreamConsumers");
        let mut input = ListStreamConsumersInput {
            stream_arn: stream_arn.to_string(),
            ..Default::default()
        };
        let mut all = Vec::new();
        loop {
            let page = policy.run(shutdown, |_| self.list_stream_consumers(&input))?;
            all.extend(page.consumers);
            match page.next_token {
                Some(t) if !t.is_empty() => {
                    pages.next_token(&t)?;
                    input.next_token = Some(t);
                }
                _ => return Ok(all),
            }
        }
    }

    /// DescribeStreamSummary.
    ///
    /// ```no_run
    /// # use kinesis_wire::{*, model::*};
    /// # fn f(client: &KinesisClient) -> Result<(), KinesisError> {
    /// let s = client.describe_stream_summary(&StreamRef::from("orders"))?;
    /// println!("{} is {:?} with {:?} open shards", s.stream_arn, s.stream_status, s.open_shard_count);
    /// # Ok(()) }
    /// ```
    pub fn describe_stream_summary(
        &self,
        stream: &StreamRef,
    ) -> Result<StreamDescriptionSummary, KinesisError> {
        let out: DescribeStreamSummaryOutput = self.conn.call(
            "DescribeStreamSummary",
            &DescribeStreamSummaryInput {
                stream: stream.clone(),
            },
        )?;
        Ok(out.stream_description_summary)
    }

    /// DescribeStream (one page of shards; see `has_more_shards`).
    ///
    /// ```no_run
    /// # use kinesis_wire::{*, model::*};
    /// # fn f(client: &KinesisClient) -> Result<(), KinesisError> {
    /// let d = client.describe_stream(&DescribeStreamInput::new("orders").limit(100))?;
    /// println!("{} shards, more: {}", d.shards.len(), d.has_more_shards);
    /// # Ok(()) }
    /// ```
    pub fn describe_stream(
        &self,
        input: &DescribeStreamInput,
    ) -> Result<StreamDescription, KinesisError> {
        let out: DescribeStreamOutput = self.conn.call("DescribeStream", input)?;
        Ok(out.stream_description)
    }

    /// GetShardIterator; returns the iterator.
    ///
    /// ```no_run
    /// # use kinesis_wire::{*, model::*};
    /// # fn f(client: &KinesisClient) -> Result<(), KinesisError> {
    /// let it = client.get_shard_iterator(&GetShardIteratorInput::new("orders", "shardId-000000000000", StartingPosition::AfterSequenceNumber("49590338271490256608559692538361571095921575989136588898".into())))?;
    /// # Ok(()) }
    /// ```
    pub fn get_shard_iterator(
        &self,
        input: &GetShardIteratorInput,
    ) -> Result<String, KinesisError> {
        let out: GetShardIteratorOutput = self.conn.call("GetShardIterator", input)?;
        Ok(out.shard_iterator)
    }

    /// GetRecords. Payloads are base64-decoded; `next_shard_iterator == None` means the shard
    /// is closed and read to its end (then `child_shards` names its children).
    ///
    /// ```no_run
    /// # use kinesis_wire::{*, model::*};
    /// # fn f(client: &KinesisClient) -> Result<(), KinesisError> {
    /// let page = client.get_records(&GetRecordsInput::new("AAAA...").limit(kinesis_wire::limits::MAX_GET_RECORDS_LIMIT))?;
    /// for r in &page.records {
    ///     println!("{} {} bytes", r.sequence_number, r.data.len());
    /// }
    /// if page.next_shard_iterator.is_none() {
    ///     println!("shard closed; children: {:?}", page.child_shards);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn get_records(&self, input: &GetRecordsInput) -> Result<GetRecordsOutput, KinesisError> {
        const ACTION: &str = "GetRecords";
        let resp = self
            .conn
            .execute(ACTION, Connection::encode(ACTION, input)?)?;
        parse_get_records(&resp.body).map_err(|e| KinesisError::Protocol {
            action: ACTION,
            message: e.to_string(),
        })
    }

    /// GetRecords into a [`RecordBatch`]: the cheap form of [`KinesisClient::get_records`]
    /// (no allocation per record; `reuse`'s buffers are cleared and refilled, pass
    /// `RecordBatch::default()` for fresh ones).
    ///
    /// ```no_run
    /// # use kinesis_wire::{*, model::*};
    /// # fn f(client: &KinesisClient) -> Result<(), KinesisError> {
    /// let input = GetRecordsInput::new("AAAA...");
    /// let mut spare = RecordBatch::default();
    /// let page = client.get_records_page(&input, std::mem::take(&mut spare))?;
    /// for r in page.records.iter() {
    ///     println!("{} {} bytes", r.sequence_number, r.data.len());
    /// }
    /// spare = page.records; // its buffers serve the next call
    /// # Ok(()) }
    /// ```
    pub fn get_records_page(
        &self,
        input: &GetRecordsInput,
        reuse: RecordBatch,
    ) -> Result<GetRecordsPage, KinesisError> {
        const ACTION: &str = "GetRecords";
        let resp = self
            .conn
            .execute(ACTION, Connection::encode(ACTION, input)?)?;
        parse_get_records_page(&resp.body, reuse).map_err(|e| KinesisError::Protocol {
            action: ACTION,
            message: e.to_string(),
        })
    }

    /// PutRecords (≤ 500 entries). Check `failed_record_count` and each entry's `error_code`:
    /// partial failures are not errors of the call.
    ///
    /// ```no_run
    /// # use kinesis_wire::{*, model::*};
    /// # fn f(client: &KinesisClient) -> Result<(), KinesisError> {
    /// let out = client.put_records(&PutRecordsInput::new("orders", vec![PutRecordsEntry::new(b"{\"id\":1}".to_vec(), "1")]))?;
    /// let retry: Vec<usize> = (0..out.records.len()).filter(|&i| out.records[i].is_retryable_failure()).collect();
    /// # Ok(()) }
    /// ```
    pub fn put_records(&self, input: &PutRecordsInput) -> Result<PutRecordsOutput, KinesisError> {
        self.put_records_from(
            &input.stream,
            input.records.iter().map(PutRecordsEntryRef::from),
        )
    }

    /// PutRecords from borrowed entries (no copy of the payloads before encoding).
    ///
    /// ```no_run
    /// # use kinesis_wire::*;
    /// # fn f(client: &KinesisClient) -> Result<(), KinesisError> {
    /// use kinesis_wire::model::{PutRecordsEntryRef, StreamRef};
    /// let payloads: Vec<Vec<u8>> = vec![b"a".to_vec(), b"b".to_vec()];
    /// let out = client.put_records_from(
    ///     &StreamRef::from("orders"),
    ///     payloads.iter().map(|p| PutRecordsEntryRef::new(p, "k")),
    /// )?;
    /// assert_eq!(out.records.len(), 2);
    /// # Ok(()) }
    /// ```
    pub fn put_records_from<'a>(
        &self,
        stream: &StreamRef,
        entries: impl IntoIterator<Item = PutRecordsEntryRef<'a>>,
    ) -> Result<PutRecordsOutput, KinesisError> {
        const ACTION: &str = "PutRecords";
        let mut body = Vec::with_capacity(4096);
        encode_put_records(stream, entries, &mut body);
        let resp = self.conn.execute(ACTION, body)?;
        parse_body(ACTION, &resp.body)
    }

    /// PutRecords from borrowed entries, reporting only the failed entries (see
    /// [`PutRecordsOutcome`]): the cheap form of [`KinesisClient::put_records_from`] for
    /// writers that do not need each written record's sequence number.
    ///
    /// ```no_run
    /// # use kinesis_wire::*;
    /// # fn f(client: &KinesisClient) -> Result<(), KinesisError> {
    /// use kinesis_wire::model::{PutRecordsEntryRef, StreamRef};
    /// let payloads: Vec<Vec<u8>> = vec![b"a".to_vec(), b"b".to_vec()];
    /// let out = client.put_records_outcome_from(
    ///     &StreamRef::from("orders"),
    ///     payloads.iter().map(|p| PutRecordsEntryRef::new(p, "k")),
    /// )?;
    /// for f in &out.failures {
    ///     println!("entry {} failed: {}", f.index, f.error_code);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn put_records_outcome_from<'a>(
        &self,
        stream: &StreamRef,
        entries: impl IntoIterator<Item = PutRecordsEntryRef<'a>>,
    ) -> Result<PutRecordsOutcome, KinesisError> {
        const ACTION: &str = "PutRecords";
        let mut body = Vec::with_capacity(4096);
        encode_put_records(stream, entries, &mut body);
        let resp = self.conn.execute(ACTION, body)?;
        parse_put_records_outcome(&resp.body).map_err(|e| KinesisError::Protocol {
            action: ACTION,
            message: e.to_string(),
        })
    }

    /// PutRecord.
    ///
    /// ```no_run
    /// # use kinesis_wire::{*, model::*};
    /// # fn f(client: &KinesisClient) -> Result<(), KinesisError> {
    /// let out = client.put_record(&PutRecordInput::new("orders", b"hello".to_vec(), "k"))?;
    /// println!("{} {}", out.shard_id, out.sequence_number);
    /// # Ok(()) }
    /// ```
    pub fn put_record(&self, input: &PutRecordInput) -> Result<PutRecordOutput, KinesisError> {
        self.conn.call("PutRecord", input)
    }

    /// RegisterStreamConsumer (the consumer starts `CREATING`).
    ///
    /// ```no_run
    /// # use kinesis_wire::{*, model::*};
    /// # fn f(client: &KinesisClient) -> Result<(), KinesisError> {
    /// let arn = client.describe_stream_summary(&"orders".into())?.stream_arn;
    /// let c = client.register_stream_consumer(&RegisterStreamConsumerInput::new(arn, "app"))?;
    /// client.wait_for_consumer_active(&ConsumerRef::by_arn(c.consumer_arn), std::time::Duration::from_secs(60))?;
    /// # Ok(()) }
    /// ```
    pub fn register_stream_consumer(
        &self,
        input: &RegisterStreamConsumerInput,
    ) -> Result<Consumer, KinesisError> {
        let out: RegisterStreamConsumerOutput = self.conn.call("RegisterStreamConsumer", input)?;
        Ok(out.consumer)
    }

    /// DescribeStreamConsumer.
    ///
    /// ```no_run
    /// # use kinesis_wire::{*, model::*};
    /// # fn f(client: &KinesisClient) -> Result<(), KinesisError> {
    /// let d = client.describe_stream_consumer(&ConsumerRef::by_name("arn:aws:kinesis:us-east-1:123456789012:stream/orders", "app"))?;
    /// println!("{} {:?}", d.consumer_arn, d.consumer_status);
    /// # Ok(()) }
    /// ```
    pub fn describe_stream_consumer(
        &self,
        consumer: &ConsumerRef,
    ) -> Result<ConsumerDescription, KinesisError> {
        let out: DescribeStreamConsumerOutput =
            self.conn.call("DescribeStreamConsumer", consumer)?;
        Ok(out.consumer_description)
    }

    /// ListStreamConsumers: one page.
    ///
    /// ```no_run
    /// # use kinesis_wire::{*, model::*};
    /// # fn f(client: &KinesisClient) -> Result<(), KinesisError> {
    /// let page = client.list_stream_consumers(&ListStreamConsumersInput::new("arn:aws:kinesis:us-east-1:123456789012:stream/orders"))?;
    /// for c in &page.consumers { println!("{}", c.consumer_name); }
    /// # Ok(()) }
    /// ```
    pub fn list_stream_consumers(
        &self,
        input: &ListStreamConsumersInput,
    ) -> Result<ListStreamConsumersOutput, KinesisError> {
        self.conn.call("ListStreamConsumers", input)
    }

    /// DeregisterStreamConsumer.
    ///
    /// ```no_run
    /// # use kinesis_wire::{*, model::*};
    /// # fn f(client: &KinesisClient) -> Result<(), KinesisError> {
    /// client.deregister_stream_consumer(&ConsumerRef::by_arn("arn:aws:kinesis:us-east-1:123456789012:stream/orders/consumer/app:1"))?;
    /// # Ok(()) }
    /// ```
    pub fn deregister_stream_consumer(&self, consumer: &ConsumerRef) -> Result<(), KinesisError> {
        self.conn.call_unit("DeregisterStreamConsumer", consumer)
    }

    /// CreateStream (the stream starts `CREATING`; see [`KinesisClient::wait_for_stream_active`]).
    ///
    /// ```no_run
    /// # use kinesis_wire::{*, model::*};
    /// # fn f(client: &KinesisClient) -> Result<(), KinesisError> {
    /// client.create_stream(&CreateStreamInput::new("orders").shard_count(4))?;
    /// # Ok(()) }
    /// ```
    pub fn create_stream(&self, input: &CreateStreamInput) -> Result<(), KinesisError> {
        self.conn.call_unit("CreateStream", input)
    }

    /// DeleteStream.
    ///
    /// ```no_run
    /// # use kinesis_wire::{*, model::*};
    /// # fn f(client: &KinesisClient) -> Result<(), KinesisError> {
    /// client.delete_stream(&DeleteStreamInput::new("orders").enforce_consumer_deletion(true))?;
    /// # Ok(()) }
    /// ```
    pub fn delete_stream(&self, input: &DeleteStreamInput) -> Result<(), KinesisError> {
        self.conn.call_unit("DeleteStream", input)
    }

    /// ListStreams: one page.
    ///
    /// ```no_run
    /// # use kinesis_wire::{*, model::*};
    /// # fn f(client: &KinesisClient) -> Result<(), KinesisError> {
    /// let page = client.list_streams(&ListStreamsInput::default().limit(100))?;
    /// println!("{:?} more: {}", page.stream_names, page.has_more_streams);
    /// # Ok(()) }
    /// ```
    pub fn list_streams(
        &self,
        input: &ListStreamsInput,
    ) -> Result<ListStreamsOutput, KinesisError> {
        self.conn.call("ListStreams", input)
    }

    /// SplitShard (the stream goes `UPDATING`).
    ///
    /// ```no_run
    /// # use kinesis_wire::{*, model::*};
    /// # fn f(client: &KinesisClient) -> Result<(), KinesisError> {
    /// client.split_shard(&SplitShardInput::new("orders", "shardId-000000000000", (u128::MAX / 2 + 1).to_string()))?;
    /// client.wait_for_stream_active(&"orders".into(), std::time::Duration::from_secs(60))?;
    /// # Ok(()) }
    /// ```
    pub fn split_shard(&self, input: &SplitShardInput) -> Result<(), KinesisError> {
        self.conn.call_unit("SplitShard", input)
    }

    /// MergeShards (the stream goes `UPDATING`).
    ///
    /// ```no_run
    /// # use kinesis_wire::{*, model::*};
    /// # fn f(client: &KinesisClient) -> Result<(), KinesisError> {
    /// client.merge_shards(&MergeShardsInput::new("orders", "shardId-000000000001", "shardId-000000000002"))?;
    /// # Ok(()) }
    /// ```
    pub fn merge_shards(&self, input: &MergeShardsInput) -> Result<(), KinesisError> {
        self.conn.call_unit("MergeShards", input)
    }

    /// UpdateShardCount with `UNIFORM_SCALING`.
    ///
    /// ```no_run
    /// # use kinesis_wire::{*, model::*};
    /// # fn f(client: &KinesisClient) -> Result<(), KinesisError> {
    /// let out = client.update_shard_count(&UpdateShardCountInput::new("orders", 8))?;
    /// # Ok(()) }
    /// ```
    pub fn update_shard_count(
        &self,
        input: &UpdateShardCountInput,
    ) -> Result<UpdateShardCountOutput, KinesisError> {
        self.conn.call("UpdateShardCount", input)
    }

    /// Polls DescribeStreamSummary until the stream is `ACTIVE` (returning its summary) or
    /// `timeout` passes. Not-found and retryable errors keep it waiting (a new stream may not
    /// be visible yet); any other error is returned.
    ///
    /// ```no_run
    /// # use kinesis_wire::*;
    /// # fn f(client: &KinesisClient) -> Result<(), KinesisError> {
    /// use kinesis_wire::model::CreateStreamInput;
    /// use std::time::Duration;
    /// client.create_stream(&CreateStreamInput::new("orders").shard_count(4))?;
    /// let summary = client.wait_for_stream_active(&"orders".into(), Duration::from_secs(30))?;
    /// assert_eq!(summary.open_shard_count, Some(4));
    /// # Ok(()) }
    /// ```
    pub fn wait_for_stream_active(
        &self,
        stream: &StreamRef,
        timeout: Duration,
    ) -> Result<StreamDescriptionSummary, KinesisError> {
        poll_until(
            &*self.conn.clock,
            &self.conn.shutdown,
            || format!("stream {stream} to become ACTIVE"),
            timeout,
            || match self.describe_stream_summary(stream) {
                Ok(s) if s.stream_status == StreamStatus::Active => Ok(Poll::Ready(s)),
                Ok(s) => Ok(Poll::Pending(
                    format!("{:?}", s.stream_status).to_uppercase(),
                )),
                Err(e) if e.is_code(codes::RESOURCE_NOT_FOUND) || e.is_retryable() => {
                    Ok(Poll::Pending(e.to_string()))
                }
                Err(e) => Err(e),
            },
        )
    }

    /// Polls DescribeStreamConsumer until the consumer is `ACTIVE` or `timeout` passes.
    ///
    /// ```no_run
    /// # use kinesis_wire::{*, model::*};
    /// # fn f(client: &KinesisClient) -> Result<(), KinesisError> {
    /// let c = client.wait_for_consumer_active(
    ///     &ConsumerRef::by_arn("arn:...:consumer/app:1"),
    ///     std::time::Duration::from_secs(60),
    /// )?;
    /// # Ok(()) }
    /// ```
    pub fn wait_for_consumer_active(
        &self,
        consumer: &ConsumerRef,
        timeout: Duration,
    ) -> Result<ConsumerDescription, KinesisError> {
        poll_until(
            &*self.conn.clock,
            &self.conn.shutdown,
            || {
                format!(
                    "consumer {} to become ACTIVE",
                    consumer
                        .consumer_arn
                        .as_deref()
                        .or(consumer.consumer_name.as_deref())
                        .unwrap_or("?")
                )
            },
            timeout,
            || match self.describe_stream_consumer(consumer) {
                Ok(c) if c.consumer_status == ConsumerStatus::Active => Ok(Poll::Ready(c)),
                Ok(c) => Ok(Poll::Pending(
                    format!("{:?}", c.consumer_status).to_uppercase(),
                )),
                Err(e) if e.is_code(codes::RESOURCE_NOT_FOUND) || e.is_retryable() => {
                    Ok(Poll::Pending(e.to_string()))
                }
                Err(e) => Err(e),
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::{Credentials, CredentialsError, StaticProvider};
    use crate::error::{TransportError, TransportErrorKind};
    use crate::test_util::{err, ok, ScriptedTransport as Scripted};
    use crate::transport::HttpResponse;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn client(t: Arc<Scripted>) -> KinesisClient {
        KinesisClient::builder()
            .endpoint("http://127.0.0.1:1")
            .credentials(Arc::new(StaticProvider::new(Credentials::new(
                "AKID", "secret", None, None, "BASIC",
            ))))
            .transport(t)
            .build()
            .unwrap()
    }

    #[test]
    fn client_is_send_sync_clone() {
        fn assert_traits<T: Send + Sync + Clone + 'static>() {}
        assert_traits::<KinesisClient>();
        assert_traits::<Shutdown>();
        assert_traits::<RetryPolicy>();
        fn assert_error<T: std::error::Error + Send + Sync + 'static>() {}
        assert_error::<KinesisError>();
    }

    #[test]
    fn request_shape_target_signature_and_body() {
        let t = Scripted::new(vec![ok(r#"{"Shards":[],"NextToken":null}"#)]);
        let c = client(t.clone());
        let mut input = ListShardsInput::for_stream("s");
        input.max_results = Some(3);
        let out = c.list_shards(&input).unwrap();
        assert!(out.shards.is_empty() && out.next_token.is_none());
        let reqs = t.requests();
        let r = &reqs[0];
        assert_eq!(r.url, "http://127.0.0.1:1/");
        assert_eq!(
            r.header("x-amz-target"),
            Some("Kinesis_20131202.ListShards")
        );
        assert_eq!(r.header("content-type"), Some("application/x-amz-json-1.1"));
        assert!(r.header("x-amz-date").is_some());
        let auth = r.header("authorization").unwrap();
        assert!(
            auth.contains("Credential=AKID/") && auth.contains("/us-east-1/kinesis/aws4_request"),
            "{auth}"
        );
        assert_eq!(r.body, br#"{"StreamName":"s","MaxResults":3}"#);
    }

    #[test]
    fn requests_are_signed_at_the_clock_s_time() {
        use crate::test_util::ManualClock;
        let t = Scripted::new(vec![ok("{}"), ok("{}")]);
        // 2015-08-30T12:36:00Z
        let at = std::time::UNIX_EPOCH + Duration::from_secs(1_440_938_160);
        let clock = ManualClock::starting_at(at);
        let c = KinesisClient::builder()
            .endpoint("http://127.0.0.1:1")
            .credentials(Arc::new(StaticProvider::new(Credentials::new(
                "AKID", "secret", None, None, "BASIC",
            ))))
            .transport(t.clone())
            .clock(clock.clone())
            .build()
            .unwrap();
        c.list_streams(&ListStreamsInput::default()).unwrap();
        clock.advance(Duration::from_secs(86_400));
        c.list_streams(&ListStreamsInput::default()).unwrap();
        let dates: Vec<_> = t
            .requests()
            .iter()
            .map(|r| r.header("x-amz-date").unwrap().to_string())
            .collect();
        assert_eq!(dates, ["20150830T123600Z", "20150831T123600Z"]);
    }

    #[test]
    fn service_errors_are_parsed() {
        let t = Scripted::new(vec![
            err(
                400,
                r#"{"__type":"com.amazonaws.kinesis#ResourceNotFoundException","message":"Stream x not found"}"#,
            ),
            err(500, ""),
            Ok(HttpResponse {
                status: 400,
                headers: vec![(
                    "x-amzn-ErrorType".into(),
                    "ValidationException:http://internal".into(),
                )],
                body: br#"{"Message":"bad"}"#.to_vec(),
            }),
        ]);
        let c = client(t);
        let e = c.describe_stream_summary(&"x".into()).unwrap_err();
        assert!(e.is_code(codes::RESOURCE_NOT_FOUND), "{e}");
        assert_eq!(e.status(), Some(400));
        assert!(!e.is_retryable());
        match &e {
            KinesisError::Service {
                message,
                request_id,
                action,
                ..
            } => {
                assert_eq!(message, "Stream x not found");
                assert_eq!(request_id.as_deref(), Some("req-1"));
                assert_eq!(*action, "DescribeStreamSummary");
            }
            _ => unreachable!(),
        }
        let e = c.describe_stream_summary(&"x".into()).unwrap_err();
        assert_eq!(e.code(), None);
        assert!(e.is_retryable());
        let e = c.describe_stream_summary(&"x".into()).unwrap_err();
        assert!(e.is_code(codes::VALIDATION), "{e}");
        assert!(e.to_string().contains("bad"));
    }

    #[derive(Debug, Default)]
    struct CountingProvider {
        calls: AtomicUsize,
        invalidations: AtomicUsize,
    }

    impl Provider for CountingProvider {
        fn credentials(&self) -> Result<Credentials, CredentialsError> {
            let n = self.calls.fetch_add(1, Ordering::SeqCst);
            Ok(Credentials::new(
                format!("AKID{n}"),
                "s",
                Some("tok".into()),
                None,
                "TEST",
            ))
        }
        fn invalidate(&self) {
            self.invalidations.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn expired_token_invalidates_and_retries_once() {
        let t = Scripted::new(vec![
            err(
                400,
                r#"{"__type":"ExpiredTokenException","message":"The security token included in the request is expired"}"#,
            ),
            ok(r#"{"StreamNames":["a"],"HasMoreStreams":false}"#),
            err(
                400,
                r#"{"__type":"ExpiredTokenException","message":"expired"}"#,
            ),
            err(
                400,
                r#"{"__type":"ExpiredTokenException","message":"still expired"}"#,
            ),
        ]);
        let p = Arc::new(CountingProvider::default());
        let c = KinesisClient::builder()
            .endpoint("http://127.0.0.1:1")
            .credentials(p.clone())
            .transport(t.clone())
            .build()
            .unwrap();
        let out = c.list_streams(&ListStreamsInput::default()).unwrap();
        assert_eq!(out.stream_names, vec!["a"]);
        assert_eq!(p.invalidations.load(Ordering::SeqCst), 1);
        {
            let reqs = t.requests();
            // Re-signed with the fresh credentials, same body.
            assert!(reqs[0].header("authorization").unwrap().contains("AKID0/"));
            assert!(reqs[1].header("authorization").unwrap().contains("AKID1/"));
            assert_eq!(reqs[1].header("x-amz-security-token"), Some("tok"));
            assert_eq!(reqs[0].body, reqs[1].body);
            assert_eq!(
                reqs[1]
                    .headers
                    .iter()
                    .filter(|(k, _)| k == "authorization")
                    .count(),
                1
            );
        }
        // Only once per call: a second expiry is returned.
        let e = c.list_streams(&ListStreamsInput::default()).unwrap_err();
        assert!(e.is_code(codes::EXPIRED_TOKEN));
        assert_eq!(p.invalidations.load(Ordering::SeqCst), 2);
        assert_eq!(t.requests().len(), 4);
    }

    #[test]
    fn transport_errors_keep_their_kind() {
        let t = Scripted::new(vec![Err(TransportError::new(
            TransportErrorKind::Reset,
            "reset by peer",
        ))]);
        let e = client(t)
            .get_records(&GetRecordsInput {
                shard_iterator: "it".into(),
                limit: None,
                stream_arn: None,
            })
            .unwrap_err();
        assert_eq!(e.transport_kind(), Some(TransportErrorKind::Reset));
        assert!(e.is_retryable());
        assert_eq!(
            e.to_string(),
            "GetRecords failed: connection reset: reset by peer"
        );
    }

    #[test]
    fn retry_policy_around_client_calls() {
        let t = Scripted::new(vec![
            err(
                400,
                r#"{"__type":"ProvisionedThroughputExceededException","message":"slow down"}"#,
            ),
            err(503, ""),
            ok(r#"{"ShardIterator":"AAA"}"#),
        ]);
        let c = client(t.clone());
        let policy = RetryPolicy::new(
            5,
            crate::Backoff::new(Duration::from_millis(1), Duration::from_millis(5), 1.5),
        );
        let it = policy
            .run(&Shutdown::new(), |_| {
                c.get_shard_iterator(&GetShardIteratorInput {
                    stream: "s".into(),
                    shard_id: "shardId-000000000000".into(),
                    position: StartingPosition::Latest,
                })
            })
            .unwrap();
        assert_eq!(it, "AAA");
        assert_eq!(t.requests().len(), 3);
    }

    #[test]
    fn list_all_shards_follows_next_token() {
        let shard = |id: &str| {
            format!(
                r#"{{"ShardId":"{id}","HashKeyRange":{{"StartingHashKey":"0","EndingHashKey":"1"}},"SequenceNumberRange":{{"StartingSequenceNumber":"1"}}}}"#
            )
        };
        let t = Scripted::new(vec![
            ok(&format!(
                r#"{{"Shards":[{}],"NextToken":"t1"}}"#,
                shard("a")
            )),
            ok(&format!(
                r#"{{"Shards":[{}],"NextToken":"t2"}}"#,
                shard("b")
            )),
            ok(&format!(
                r#"{{"Shards":[{}],"NextToken":null}}"#,
                shard("c")
            )),
        ]);
        let c = client(t.clone());
        let mut first = ListShardsInput::for_stream("s");
        first.max_results = Some(1);
        let all = c
            .list_all_shards(&first, &RetryPolicy::no_retry(), &Shutdown::new())
            .unwrap();
        let ids: Vec<_> = all.iter().map(|s| s.shard_id.as_str()).collect();
        assert_eq!(ids, ["a", "b", "c"]);
        let reqs = t.requests();
        assert_eq!(reqs[1].body, br#"{"NextToken":"t1","MaxResults":1}"#);
        assert_eq!(reqs[2].body, br#"{"NextToken":"t2","MaxResults":1}"#);
    }

    #[test]
    fn put_records_body_and_empty_unit_responses() {
        let t = Scripted::new(vec![
            ok(
                r#"{"FailedRecordCount":0,"Records":[{"SequenceNumber":"1","ShardId":"shardId-000000000000"}]}"#,
            ),
            ok(""),
        ]);
        let c = client(t.clone());
        let out = c
            .put_records(&PutRecordsInput {
                stream: "s".into(),
                records: vec![PutRecordsEntry {
                    data: b"hello".to_vec(),
                    partition_key: "pk".into(),
                    explicit_hash_key: None,
                }],
            })
            .unwrap();
        assert_eq!(out.records[0].sequence_number.as_deref(), Some("1"));
        c.delete_stream(&DeleteStreamInput {
            stream: "s".into(),
            enforce_consumer_deletion: None,
        })
        .unwrap();
        let reqs = t.requests();
        assert_eq!(
            reqs[0].body,
            br#"{"Records":[{"Data":"aGVsbG8=","PartitionKey":"pk"}],"StreamName":"s"}"#
        );
        assert_eq!(
            reqs[1].header("x-amz-target"),
            Some("Kinesis_20131202.DeleteStream")
        );
    }

    #[test]
    fn builder_rejects_bad_endpoints_and_ca_bundles() {
        let creds: Arc<dyn Provider> = Arc::new(StaticProvider::new(Credentials::new(
            "a", "b", None, None, "BASIC",
        )));
        let e = KinesisClient::builder()
            .endpoint("localhost:4567")
            .credentials(creds.clone())
            .build()
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("aws.endpoint 'localhost:4567' has no scheme"),
            "{e}"
        );
        let e = KinesisClient::builder()
            .endpoint("http://127.0.0.1:4567")
            .credentials(creds.clone())
            .ca_bundle("/nonexistent/bundle.pem")
            .build()
            .unwrap_err();
        assert!(e.to_string().contains("/nonexistent/bundle.pem"), "{e}");
        // AWS_CA_BUNDLE from the injected environment is honoured the same way.
        let e = KinesisClient::builder()
            .endpoint("https://kinesis.us-east-1.amazonaws.com")
            .credentials(creds)
            .env(Arc::new(crate::env::MapEnv::from_pairs([(
                "AWS_CA_BUNDLE",
                "/nonexistent/env.pem",
            )])))
            .build()
            .unwrap_err();
        assert!(e.to_string().contains("/nonexistent/env.pem"), "{e}");
    }

    #[test]
    fn wait_for_stream_active_polls_until_active() {
        let summary = |status: &str| {
            ok(&format!(
                r#"{{"StreamDescriptionSummary":{{"StreamName":"s","StreamARN":"arn","StreamStatus":"{status}","OpenShardCount":2}}}}"#
            ))
        };
        let t = Scripted::new(vec![
            err(
                400,
                r#"{"__type":"ResourceNotFoundException","message":"no"}"#,
            ),
            summary("CREATING"),
            summary("ACTIVE"),
        ]);
        let c = client(t.clone());
        let s = c
            .wait_for_stream_active(&"s".into(), Duration::from_secs(5))
            .unwrap();
        assert_eq!(s.open_shard_count, Some(2));
        assert_eq!(t.requests().len(), 3);

        let t = Scripted::new(vec![
            summary("CREATING"),
            summary("CREATING"),
            summary("CREATING"),
            summary("CREATING"),
        ]);
        let c = client(t);
        let e = c
            .wait_for_stream_active(&"s".into(), Duration::from_millis(30))
            .unwrap_err();
        assert!(
            matches!(e, KinesisError::WaitTimedOut { ref last_state, .. } if last_state == "CREATING"),
            "{e}"
        );
    }
}
