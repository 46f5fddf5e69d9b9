//! End to end: read and write kinesis-mock with credentials from BASIC, ENV_VAR, SYS_PROP,
//! PROFILE and WEB_IDENTITY_TOKEN (against a loopback STS).
//!
//! kinesis-mock keeps one namespace per account when the access key id is a 12-digit number,
//! so each provider gets its own 12-digit key id: a stream written with one provider's
//! credentials must be visible with the same credentials and invisible with another's. That
//! fails if a provider handed out the wrong credentials.

mod common;
#[path = "credentials_support/mod.rs"]
mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use kinesis_wire::model::{
    CreateStreamInput, DeleteStreamInput, GetRecordsInput, GetShardIteratorInput, ListShardsInput,
    ListStreamsInput, PutRecordInput,
};
use kinesis_wire::{
    codes,
    env::MapEnv,
    model::{StartingPosition, StreamRef},
    sys_props, ClientConfig, CredentialsSpec, KinesisClient,
};
use support::{rfc3339_in, sts_ok, temp_dir, Responder};

struct Case {
    name: &'static str,
    account: String,
    client: KinesisClient,
}

fn client(endpoint: &str, spec: CredentialsSpec, env: MapEnv) -> KinesisClient {
    KinesisClient::builder()
        .config(
            ClientConfig::default()
                .with_region("us-east-1")
                .with_endpoint(endpoint)
                .with_credentials(spec),
        )
        .max_connections(2)
        .env(Arc::new(env))
        .build()
        .expect("client builds")
}

fn read_all(c: &KinesisClient, stream: &StreamRef) -> Vec<Vec<u8>> {
    let shards = c
        .list_shards(&ListShardsInput::for_stream(stream.clone()))
        .expect("ListShards")
        .shards;
    let mut out = Vec::new();
    for shard in shards {
        let mut it = c
            .get_shard_iterator(&GetShardIteratorInput::new(
                stream.clone(),
                shard.shard_id.clone(),
                StartingPosition::TrimHorizon,
            ))
            .expect("GetShardIterator");
        for _ in 0..5 {
            let page = c
                .get_records(&GetRecordsInput::new(it.clone()))
                .expect("GetRecords");
            let empty = page.records.is_empty();
            out.extend(page.records.into_iter().map(|r| r.data));
            match page.next_shard_iterator {
                Some(next) if !empty => it = next,
                _ => break,
            }
        }
    }
    out
}

#[test]
fn each_provider_reads_and_writes_its_own_account() {
    let endpoint = common::endpoint("KINESIS_MOCK_ENDPOINT");
    let run = format!("{:06}", fastrand::u32(..1_000_000));
    // Distinct 12-digit key ids: kinesis-mock uses each as its own account id.
    let account = |i: u32| format!("{:06}{run}", 700_000 + i);

    let home = temp_dir("e2e");
    std::fs::create_dir_all(home.join(".aws")).unwrap();
    std::fs::write(
        home.join(".aws/credentials"),
        format!(
            "[e2e]\naws_access_key_id = {}\naws_secret_access_key = p\n",
            account(4)
        ),
    )
    .unwrap();
    std::fs::write(home.join("wi-token"), "jwt-e2e").unwrap();
    let wi_account = account(5);
    let sts = Responder::start(move |req| {
        assert_eq!(req.form("WebIdentityToken").as_deref(), Some("jwt-e2e"));
        (
            200,
            sts_ok(
                "AssumeRoleWithWebIdentity",
                &wi_account,
                "w",
                "wtoken",
                &rfc3339_in(3600.0),
            ),
        )
    });
    // Only this test in this binary touches the process-wide property map.
    sys_props::set("aws.accessKeyId", &account(3));
    sys_props::set("aws.secretKey", "s");

    let cases = vec![
        Case {
            name: "BASIC",
            account: account(1),
            client: client(
                &endpoint,
                CredentialsSpec::Basic {
                    access_key_id: account(1),
                    secret_access_key: "b".into(),
                    session_token: None,
                },
                MapEnv::default(),
            ),
        },
        Case {
            name: "ENV_VAR",
            account: account(2),
            client: client(
                &endpoint,
                CredentialsSpec::EnvVar,
                MapEnv::from_pairs([
                    ("AWS_ACCESS_KEY_ID", account(2)),
                    ("AWS_SECRET_ACCESS_KEY", "e".into()),
                ]),
            ),
        },
        Case {
            name: "SYS_PROP",
            account: account(3),
            client: client(&endpoint, CredentialsSpec::SysProp, MapEnv::default()),
        },
        Case {
            name: "PROFILE",
            account: account(4),
            client: client(
                &endpoint,
                CredentialsSpec::Profile {
                    path: None,
                    name: Some("e2e".into()),
                },
                MapEnv::from_pairs([("HOME", home.display().to_string())]),
            ),
        },
        Case {
            name: "WEB_IDENTITY_TOKEN",
            account: account(5),
            client: client(
                &endpoint,
                CredentialsSpec::WebIdentityToken {
                    role_arn: Some("arn:aws:iam::123456789012:role/e2e".into()),
                    session_name: None,
                    token_file: Some(home.join("wi-token")),
                    sts_endpoint: Some(sts.url.clone()),
                },
                MapEnv::default(),
            ),
        },
    ];

    // The credentials each client signs with are the ones its provider was meant to find.
    for case in &cases {
        let c = case.client.credentials_provider().credentials().unwrap();
        assert_eq!(c.access_key_id, case.account, "{}", case.name);
    }

    let stream_name = |case: &Case| {
        format!(
            "cred-e2e-{}-{run}",
            case.name.to_lowercase().replace('_', "-")
        )
    };
    for case in &cases {
        case.client
            .create_stream(&CreateStreamInput::new(stream_name(case)).shard_count(1))
            .unwrap_or_else(|e| panic!("{}: CreateStream: {e}", case.name));
    }
    let started = Instant::now();
    let mut failures = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let stream = StreamRef::Name(stream_name(case));
        let summary = case
            .client
            .wait_for_stream_active(&stream, Duration::from_secs(30))
            .unwrap_or_else(|e| panic!("{}: {e}", case.name));
        if !summary.stream_arn.contains(&format!(":{}:", case.account)) {
            failures.push(format!(
                "{}: stream ARN {} is not in account {}",
                case.name, summary.stream_arn, case.account
            ));
        }
        let payload = format!("written with {}", case.name).into_bytes();
        case.client
            .put_record(&PutRecordInput::new(stream.clone(), payload.clone(), "pk"))
            .unwrap_or_else(|e| panic!("{}: PutRecord: {e}", case.name));
        // Visible with the same credentials: listed, and the record reads back.
        let listed = case
            .client
            .list_streams(&ListStreamsInput::default().limit(1000))
            .unwrap();
        if !listed.stream_names.contains(&stream_name(case)) {
            failures.push(format!("{}: own stream not listed", case.name));
        }
        let read = read_all(&case.client, &stream);
        if read != vec![payload] {
            failures.push(format!("{}: read back {:?}", case.name, read));
        }
        // Invisible with the next provider's credentials.
        let other = &cases[(i + 1) % cases.len()];
        match other.client.describe_stream_summary(&stream) {
            Err(e) if e.is_code(codes::RESOURCE_NOT_FOUND) => {}
            other_result => failures.push(format!(
                "{}'s stream seen with {}'s credentials: {other_result:?}",
                case.name, other.name
            )),
        }
        let listed = other
            .client
            .list_streams(&ListStreamsInput::default().limit(1000))
            .unwrap();
        if listed.stream_names.contains(&stream_name(case)) {
            failures.push(format!(
                "{}'s stream listed with {}'s credentials",
                case.name, other.name
            ));
        }
    }
    assert!(started.elapsed() < Duration::from_secs(120));
    for case in &cases {
        let _ = case
            .client
            .delete_stream(&DeleteStreamInput::new(StreamRef::Name(stream_name(case))));
    }
    sys_props::clear("aws.accessKeyId");
    sys_props::clear("aws.secretKey");
    let _ = std::fs::remove_dir_all(&home);
    assert!(
        sts.count() >= 1,
        "the web identity provider called the loopback STS"
    );
    assert!(failures.is_empty(), "{failures:#?}");
}
