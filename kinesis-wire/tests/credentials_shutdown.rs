//! Credential fetches stop when the caller's `Shutdown` triggers: STS, SSO, container and
//! instance-metadata retries (against loopback responders that keep answering 500),
//! `credential_process`, the cache's waiters, and a `KinesisClient::with_shutdown` handle.
//!
//! Each responder holds its first request until the test has triggered the shutdown, so
//! the test knows a fetch is in progress without timing it; the counts show that no
//! further attempt follows, elapsed-time bounds are generous.

#[path = "credentials_support/mod.rs"]
mod support;

use std::path::Path;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kinesis_wire::credentials::{self, Provider};
use kinesis_wire::env::{MapEnv, SharedEnv};
use kinesis_wire::model::ListStreamsInput;
use kinesis_wire::{
    credentials::CredentialsError, CredentialsSpec, KinesisClient, KinesisError, Shutdown,
};
use support::{rfc3339_in, temp_dir, Responder};

/// Far more than any interrupted fetch needs, far less than the fetch would take.
const PROMPT: Duration = Duration::from_secs(5);

fn env(pairs: &[(&str, &str)]) -> SharedEnv {
    Arc::new(MapEnv::from_pairs(
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())),
    ))
}

/// A responder answering 500 to everything. The first request is held until `release`
/// triggers (released anyway after 30 s), and announced on the returned receiver.
fn failing_server(release: &Shutdown) -> (Responder, mpsc::Receiver<()>) {
    let (tx, rx) = mpsc::channel();
    let tx = Mutex::new(Some(tx));
    let release = release.clone();
    let server = Responder::start(move |_| {
        if let Some(tx) = tx.lock().unwrap().take() {
            let _ = tx.send(());
            release.sleep(Duration::from_secs(30));
        }
        (500, "<Error><Code>InternalFailure</Code></Error>".into())
    });
    (server, rx)
}

fn assume_role(sts: &str) -> CredentialsSpec {
    CredentialsSpec::AssumeRole {
        role_arn: "arn:aws:iam::123456789012:role/r".into(),
        session_name: "s".into(),
        external_id: None,
        sts_endpoint: Some(sts.into()),
        provider: Box::new(CredentialsSpec::Basic {
            access_key_id: "AKIDSOURCE".into(),
            secret_access_key: "s".into(),
            session_token: None,
        }),
    }
}

/// Starts `fetch` on a thread, triggers the shutdown once the server holds the first
/// request, and returns what the fetch answered and how long it took after the trigger.
fn interrupt<T: Send + 'static>(
    shutdown: &Shutdown,
    first_request: &mpsc::Receiver<()>,
    fetch: impl FnOnce() -> T + Send + 'static,
) -> (T, Duration) {
    let t = std::thread::spawn(fetch);
    first_request
        .recv_timeout(Duration::from_secs(30))
        .expect("the fetch reached the server");
    let triggered = Instant::now();
    shutdown.trigger();
    let out = t.join().unwrap();
    (out, triggered.elapsed())
}

fn sso_home(dir: &Path) {
    std::fs::create_dir_all(dir.join(".aws/sso/cache")).unwrap();
    std::fs::write(
        dir.join(".aws/config"),
        "[profile sso]\nsso_session = corp\nsso_account_id = 1\nsso_role_name = R\n\
         [sso-session corp]\nsso_start_url = https://x.invalid/start\nsso_region = eu-west-1\n",
    )
    .unwrap();
    // sha1("corp"): the AWS CLI's cache file name for session `corp`.
    std::fs::write(
        dir.join(".aws/sso/cache/ee0bfd2552fbd840c02cc48b6e823320543c450f.json"),
        format!(
            r#"{{"accessToken":"t","expiresAt":"{}"}}"#,
            rfc3339_in(600.0)
        ),
    )
    .unwrap();
}

/// Each provider that retries, against a server that keeps failing: the fetch stops at
/// the trigger after one request; without a trigger it would make three.
#[test]
fn every_retrying_provider_stops_at_shutdown() {
    let home = temp_dir("shutdown-sso");
    sso_home(&home);
    let token_file = home.join("web-identity-token");
    std::fs::write(&token_file, "web-token").unwrap();
    let sso_home_dir = home.clone();
    type Build = Box<dyn Fn(&str) -> Arc<dyn Provider>>;
    let cases: Vec<(&str, Build)> = vec![
        (
            "ASSUME_ROLE",
            Box::new(|url| credentials::from_spec(&assume_role(url), env(&[])).unwrap()),
        ),
        (
            "WEB_IDENTITY_TOKEN",
            Box::new(move |url| {
                let spec = CredentialsSpec::WebIdentityToken {
                    role_arn: Some("arn:aws:iam::1:role/r".into()),
                    session_name: Some("s".into()),
                    token_file: Some(token_file.clone()),
                    sts_endpoint: Some(url.into()),
                };
                credentials::from_spec(&spec, env(&[])).unwrap()
            }),
        ),
        (
            "PROFILE (SSO)",
            Box::new(move |url| {
                let spec = CredentialsSpec::Profile {
                    path: None,
                    name: Some("sso".into()),
                };
                let e = env(&[
                    ("HOME", sso_home_dir.to_str().unwrap()),
                    ("AWS_ENDPOINT_URL_SSO", url),
                ]);
                credentials::from_spec(&spec, e).unwrap()
            }),
        ),
        (
            "CONTAINER",
            Box::new(|url| {
                let e = env(&[(
                    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                    &format!("{url}/creds"),
                )]);
                credentials::from_spec(&CredentialsSpec::Auto, e).unwrap()
            }),
        ),
        (
            "INSTANCE_METADATA",
            Box::new(|url| {
                let e = env(&[("AWS_EC2_METADATA_SERVICE_ENDPOINT", url)]);
                Arc::new(credentials::ImdsProvider::new(
                    e,
                    &credentials::ProviderContext::default(),
                ))
            }),
        ),
    ];
    for (name, build) in &cases {
        // Interrupted in the middle.
        let shutdown = Shutdown::new();
        let (server, first) = failing_server(&shutdown);
        let provider = build(&server.url);
        let s = shutdown.clone();
        let (out, took) = interrupt(&shutdown, &first, move || {
            provider.credentials_with_shutdown(&s)
        });
        let err = out.unwrap_err();
        assert!(err.is_interrupted(), "{name}: {err}");
        assert!(took < PROMPT, "{name}: took {took:?} after the trigger");
        assert_eq!(server.count(), 1, "{name}: attempts after the trigger");

        // Already triggered: no request at all.
        let provider = build(&server.url);
        let err = provider.credentials_with_shutdown(&shutdown).unwrap_err();
        assert!(err.is_interrupted(), "{name}: {err}");
        assert_eq!(server.count(), 1, "{name}: a request after the trigger");

        // Without a shutdown the same failure is retried (3 requests) and reported.
        let released = Shutdown::new();
        released.trigger();
        let (server, _first) = failing_server(&released);
        let err = build(&server.url).credentials().unwrap_err();
        assert!(
            matches!(err, CredentialsError::Failed { .. }),
            "{name}: {err}"
        );
        assert_eq!(server.count(), 3, "{name}: {err}");
    }
    let _ = std::fs::remove_dir_all(home);
}

/// A `KinesisClient::with_shutdown` handle stops its credentials fetch and sends nothing
/// to Kinesis; the client it came from keeps working independently.
#[test]
fn client_handle_with_shutdown_stops_its_credentials_fetch() {
    let shutdown = Shutdown::new();
    let (sts, first) = failing_server(&shutdown);
    let kinesis =
        Responder::start(|_| (200, r#"{"StreamNames":[],"HasMoreStreams":false}"#.into()));
    let client = KinesisClient::builder()
        .endpoint(&kinesis.url)
        .region("us-east-1")
        .credentials_spec(assume_role(&sts.url))
        .env(env(&[]))
        .build()
        .unwrap();
    let closing = client.with_shutdown(shutdown.clone());
    let (out, took) = interrupt(&shutdown, &first, move || {
        closing.list_streams(&ListStreamsInput::default())
    });
    let err = out.unwrap_err();
    assert!(
        matches!(err, KinesisError::Interrupted { attempts: 0, .. }),
        "{err}"
    );
    assert!(took < PROMPT, "took {took:?} after the trigger");
    assert_eq!(sts.count(), 1);
    assert_eq!(kinesis.count(), 0);

    // The original handle is not shut down: it retries STS (3 requests) and reports the
    // credentials failure.
    let err = client
        .list_streams(&ListStreamsInput::default())
        .unwrap_err();
    assert!(matches!(err, KinesisError::Credentials(_)), "{err}");
    assert_eq!(sts.count(), 4);
    assert_eq!(kinesis.count(), 0);
}

/// A caller waiting for another thread's fetch in the cache leaves when its own shutdown
/// triggers; the fetching thread is unaffected. A fetch stopped by shutdown hands no error
/// to others: the next caller fetches itself.
#[test]
fn cache_waiters_leave_at_their_own_shutdown() {
    let fetcher_stop = Shutdown::new();
    let (sts, first) = failing_server(&fetcher_stop);
    let provider = credentials::from_spec(&assume_role(&sts.url), env(&[])).unwrap();

    let p = provider.clone();
    let s = fetcher_stop.clone();
    let fetcher = std::thread::spawn(move || p.credentials_with_shutdown(&s));
    first.recv_timeout(Duration::from_secs(30)).unwrap();

    // The fetcher holds the cache's refresh; a second caller waits for it, then leaves.
    let waiter_stop = Shutdown::new();
    let p = provider.clone();
    let s = waiter_stop.clone();
    let waiter = std::thread::spawn(move || p.credentials_with_shutdown(&s));
    std::thread::sleep(Duration::from_millis(100)); // let it start waiting (not required)
    let triggered = Instant::now();
    waiter_stop.trigger();
    let err = waiter.join().unwrap().unwrap_err();
    assert!(err.is_interrupted(), "{err}");
    assert!(triggered.elapsed() < PROMPT);
    assert!(!fetcher.is_finished(), "the fetcher was stopped too");
    assert_eq!(sts.count(), 1);

    fetcher_stop.trigger();
    let err = fetcher.join().unwrap().unwrap_err();
    assert!(err.is_interrupted(), "{err}");
    assert_eq!(sts.count(), 1);

    // Not handed the interruption: a new caller fetches (3 failing STS calls) itself.
    let err = provider.credentials().unwrap_err();
    assert!(matches!(err, CredentialsError::Failed { .. }), "{err}");
    assert_eq!(sts.count(), 4);
}

/// A `credential_process` that would run for ten minutes is killed at shutdown.
#[cfg(unix)]
#[test]
fn credential_process_is_killed_at_shutdown() {
    let dir = temp_dir("shutdown-process");
    let marker = dir.join("started");
    let config = dir.join("config");
    std::fs::write(
        &config,
        format!(
            "[profile slow]\ncredential_process = sh -c 'touch {}; sleep 600'\n",
            marker.display()
        ),
    )
    .unwrap();
    let e = env(&[
        ("AWS_CONFIG_FILE", config.to_str().unwrap()),
        (
            "AWS_SHARED_CREDENTIALS_FILE",
            dir.join("none").to_str().unwrap(),
        ),
    ]);
    let spec = CredentialsSpec::Profile {
        path: None,
        name: Some("slow".into()),
    };
    let provider = credentials::from_spec(&spec, e).unwrap();
    let shutdown = Shutdown::new();
    let s = shutdown.clone();
    let t = std::thread::spawn(move || provider.credentials_with_shutdown(&s));
    let started = Instant::now();
    while !marker.exists() {
        assert!(started.elapsed() < Duration::from_secs(30), "never started");
        std::thread::sleep(Duration::from_millis(10));
    }
    let triggered = Instant::now();
    shutdown.trigger();
    let err = t.join().unwrap().unwrap_err();
    assert!(err.is_interrupted(), "{err}");
    assert!(triggered.elapsed() < PROMPT, "{:?}", triggered.elapsed());
    let _ = std::fs::remove_dir_all(dir);
}
