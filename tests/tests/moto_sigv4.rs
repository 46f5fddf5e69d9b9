//! kinesis-wire's signing and credentials against moto, an independent implementation that
//! recomputes every SigV4 signature (botocore) and evaluates IAM policies: signed round trips
//! with BASIC keys and with ASSUME_ROLE session credentials from moto's STS succeed; a wrong
//! secret and a user denied `kinesis:PutRecords` are refused at the first answer. Requests
//! are counted by a pass-through fault proxy, which relays signed requests unchanged.

use std::time::Duration;

use kinesis_tests::fault_proxy::{Fault, FaultProxy, Plan};
use kinesis_tests::http1::{Message, RawConnection};
use kinesis_tests::moto::{Moto, MotoKeys};
use kinesis_tests::TempStream;
use kinesis_wire::model::{
    GetRecordsInput, GetShardIteratorInput, ListStreamsInput, PutRecordsInput, PutRecordsOutput,
};
use kinesis_wire::sign_request;
use kinesis_wire::transport::HttpRequest;
use kinesis_wire::{
    credentials::Credentials,
    model::{PutRecordsEntry, StartingPosition},
    KinesisClient, KinesisError, RetryPolicy, Shutdown,
};

fn entries(prefix: &str, n: usize) -> Vec<PutRecordsEntry> {
    (0..n)
        .map(|i| {
            PutRecordsEntry::new(
                format!("{prefix}-{i}").into_bytes(),
                format!("{prefix}-{i}"),
            )
        })
        .collect()
}

fn put(
    client: &KinesisClient,
    stream: &str,
    prefix: &str,
) -> Result<PutRecordsOutput, KinesisError> {
    client.put_records(&PutRecordsInput::new(stream, entries(prefix, 3)))
}

/// With the default retry policy, as a caller that retries what is retryable would.
fn put_with_retries(
    client: &KinesisClient,
    stream: &str,
) -> Result<PutRecordsOutput, KinesisError> {
    RetryPolicy::default().run(&Shutdown::new(), |_| put(client, stream, "refused"))
}

/// Every record's data in the stream's first shard (moto answers all of them at once).
fn stored(stream: &TempStream) -> Vec<String> {
    let iterator = stream
        .client
        .get_shard_iterator(&GetShardIteratorInput::new(
            stream.stream(),
            "shardId-000000000000",
            StartingPosition::TrimHorizon,
        ))
        .expect("GetShardIterator");
    let page = stream
        .client
        .get_records(&GetRecordsInput::new(iterator).limit(10_000))
        .expect("GetRecords");
    page.records
        .into_iter()
        .map(|r| String::from_utf8(r.data).unwrap())
        .collect()
}

fn written(prefix: &str) -> Vec<String> {
    (0..3).map(|i| format!("{prefix}-{i}")).collect()
}

/// A raw PutRecords signed with `keys`, sent to `url` (moto or a proxy in front of it).
fn signed_put(url: &str, keys: &MotoKeys, stream: &str) -> Message {
    let body = format!(
        r#"{{"StreamName":"{stream}","Records":[{{"Data":"cmF3","PartitionKey":"raw"}}]}}"#
    );
    let mut req = HttpRequest::post(format!("{url}/"), body.into_bytes())
        .with_header("content-type", "application/x-amz-json-1.1")
        .with_header("x-amz-target", "Kinesis_20131202.PutRecords");
    let creds = Credentials::new(
        keys.access_key_id.clone(),
        keys.secret_access_key.clone(),
        None,
        None,
        "BASIC",
    );
    sign_request(
        &mut req,
        &creds,
        "us-east-1",
        "kinesis",
        std::time::SystemTime::now(),
    )
    .unwrap();
    RawConnection::connect(url, Duration::from_secs(20))
        .unwrap()
        .post(
            req.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            &req.body,
        )
        .unwrap()
}

fn wrong_secret(moto: &Moto) -> MotoKeys {
    MotoKeys {
        access_key_id: moto.allowed.access_key_id.clone(),
        secret_access_key: format!("{}x", moto.allowed.secret_access_key),
    }
}

#[test]
fn basic_keys_put_and_read_back_verified_by_moto() {
    let moto = Moto::from_env();
    let client = moto.client(moto.allowed.basic());
    let stream = TempStream::create(&client, "moto-basic", 1);
    let out = put(&client, &stream.name, "basic").unwrap();
    assert_eq!(out.failed_record_count, 0);
    assert_eq!(stored(&stream), written("basic"));
}

#[test]
fn assume_role_session_credentials_put_and_read_back() {
    let moto = Moto::from_env();
    let client = moto.client(moto.assume_role("kinesis-rs-test"));
    // The credentials are a session of the role from moto's STS, not the user's keys.
    let session = client.credentials_provider().credentials().unwrap();
    assert!(session.session_token.is_some(), "{session:?}");
    assert_ne!(session.access_key_id, moto.allowed.access_key_id);
    assert!(session.expiry.is_some());
    let stream = TempStream::create(&client, "moto-role", 1);
    let out = put(&client, &stream.name, "role").unwrap();
    assert_eq!(out.failed_record_count, 0);
    assert_eq!(stored(&stream), written("role"));
}

#[test]
fn signed_requests_pass_the_fault_proxy_unchanged() {
    let moto = Moto::from_env();
    let proxy = FaultProxy::start(&moto.endpoint, Plan::pass_through());
    let via_proxy = moto
        .client_builder(&proxy.url, moto.allowed.basic())
        .build()
        .unwrap();
    let stream = TempStream::create(&via_proxy, "moto-proxy", 1);
    put(&via_proxy, &stream.name, "proxied").unwrap();
    assert_eq!(stored(&stream), written("proxied"));
    let stats = proxy.stats();
    assert_eq!(stats.requests_for("PutRecords"), 1);
    assert_eq!(stats.requests_for("CreateStream"), 1);
    assert_eq!(stats.upstream_errors, 0);
}

#[test]
fn every_request_is_authenticated_after_the_setup() {
    let moto = Moto::from_env();
    // A well-formed signature from a key moto does not know.
    let answer = RawConnection::connect(&moto.endpoint, Duration::from_secs(20))
        .unwrap()
        .call("ListStreams", b"{}")
        .unwrap();
    assert_eq!(answer.status(), 403, "{}", answer.body_text());
    assert!(
        answer
            .body_text()
            .contains("<Code>InvalidClientTokenId</Code>"),
        "{}",
        answer.body_text()
    );
}

#[test]
fn wrong_secret_is_refused_at_the_first_answer() {
    let moto = Moto::from_env();
    let wrong = wrong_secret(&moto);
    // moto's answer as it comes: 403 with an XML body naming the code.
    let answer = signed_put(&moto.endpoint, &wrong, "moto-never");
    assert_eq!(answer.status(), 403, "{}", answer.body_text());
    assert!(
        answer
            .body_text()
            .contains("<Code>SignatureDoesNotMatch</Code>"),
        "{}",
        answer.body_text()
    );
    // The client makes one request and reports the status and the code.
    let proxy = FaultProxy::start(&moto.endpoint, Plan::pass_through());
    let client = moto
        .client_builder(&proxy.url, wrong.basic())
        .build()
        .unwrap();
    let err = put_with_retries(&client, "moto-never").unwrap_err();
    assert_eq!(err.status(), Some(403), "{err}");
    // The code comes from moto's XML body (D19), and the error is classified by it.
    assert_eq!(err.code(), Some("SignatureDoesNotMatch"), "{err}");
    assert!(err.is_auth_failure() && !err.is_retryable(), "{err}");
    assert!(err.to_string().contains("SignatureDoesNotMatch"), "{err}");
    assert!(
        err.to_string()
            .contains("check the credentials provider and the clock"),
        "{err}"
    );
    let stats = proxy.stats();
    assert_eq!(stats.requests_for("PutRecords"), 1, "{stats:?}");
    assert_eq!(stats.total_requests(), 1, "{stats:?}");
}

#[test]
fn denied_put_records_is_refused_at_the_first_answer_and_writes_nothing() {
    let moto = Moto::from_env();
    let allowed = moto.client(moto.allowed.basic());
    let stream = TempStream::create(&allowed, "moto-denied", 1);
    let answer = signed_put(&moto.endpoint, &moto.no_put, &stream.name);
    assert_eq!(answer.status(), 403, "{}", answer.body_text());
    let text = answer.body_text();
    assert!(text.contains("AccessDenied"), "{text}");
    assert!(text.contains("kinesis:PutRecords"), "{text}");
    assert!(text.contains(&moto.no_put_user_arn), "{text}");

    let proxy = FaultProxy::start(&moto.endpoint, Plan::pass_through());
    let denied = moto
        .client_builder(&proxy.url, moto.no_put.basic())
        .build()
        .unwrap();
    // The same user may do what its policy allows ...
    denied.list_streams(&ListStreamsInput::default()).unwrap();
    // ... but PutRecords fails at the first answer.
    let err = put_with_retries(&denied, &stream.name).unwrap_err();
    assert_eq!(err.status(), Some(403), "{err}");
    assert_eq!(err.code(), Some("AccessDenied"), "{err}");
    assert!(err.is_auth_failure() && !err.is_retryable(), "{err}");
    assert!(
        err.to_string()
            .contains("the identity lacks kinesis:PutRecords"),
        "{err}"
    );
    let stats = proxy.stats();
    assert_eq!(stats.requests_for("PutRecords"), 1, "{stats:?}");
    assert!(stored(&stream).is_empty());
}

#[test]
fn a_body_changed_after_signing_is_refused_by_moto() {
    // Why the proxy's entry failures only work against servers that do not verify
    // signatures: the signature covers the body.
    let moto = Moto::from_env();
    let allowed = moto.client(moto.allowed.basic());
    let stream = TempStream::create(&allowed, "moto-changed", 1);
    let proxy = FaultProxy::start(
        &moto.endpoint,
        Plan::pass_through().script("PutRecords", [Fault::FailEntries(vec![0])]),
    );
    let via_proxy = moto
        .client_builder(&proxy.url, moto.allowed.basic())
        .build()
        .unwrap();
    let err = put(&via_proxy, &stream.name, "changed").unwrap_err();
    assert_eq!(err.status(), Some(403), "{err}");
    assert_eq!(err.code(), Some("SignatureDoesNotMatch"), "{err}");
    assert!(stored(&stream).is_empty());
}
