//! Credential providers against loopback responders (STS, IMDS, container, SSO portal).

// kinesis-tests' RefusingPort (kinesis-wire's tests cannot depend on kinesis-tests).
#[allow(dead_code)]
#[path = "../../tests/src/refusing_port.rs"]
mod refusing_port;
#[path = "credentials_support/mod.rs"]
mod support;

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use kinesis_wire::credentials::{
    self, CachingProvider, ContainerProvider, ImdsProvider, Provider, ProviderContext,
    StaticProvider,
};
use kinesis_wire::env::{MapEnv, SharedEnv};
use kinesis_wire::test_util::ManualClock;
use kinesis_wire::{
    credentials::{Credentials, CredentialsError},
    sys_props, Clock, CredentialsSpec,
};
use refusing_port::RefusingPort;
use support::{rfc3339_in, signed_akid, sts_err, sts_ok, temp_dir, Responder};

/// `sys_props` is process-wide: tests that set it, or run the AUTO chain (which reads it),
/// take this lock.
fn sys_lock() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

fn env(pairs: &[(&str, &str)]) -> SharedEnv {
    Arc::new(MapEnv::from_pairs(
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())),
    ))
}

fn basic(akid: &str, secret: &str) -> CredentialsSpec {
    CredentialsSpec::Basic {
        access_key_id: akid.into(),
        secret_access_key: secret.into(),
        session_token: None,
    }
}

fn assume_role_spec(sts: &str, source: CredentialsSpec) -> CredentialsSpec {
    CredentialsSpec::AssumeRole {
        role_arn: "arn:aws:iam::123456789012:role/reader".into(),
        session_name: "sess-1".into(),
        external_id: Some("ext-42".into()),
        sts_endpoint: Some(sts.into()),
        provider: Box::new(source),
    }
}

/// An STS responder answering AssumeRole / AssumeRoleWithWebIdentity with keys numbered by
/// call (`ASIA1`, `ASIA2`, ...) that expire `lifetime` seconds later, after `delay`.
fn counting_sts(lifetime: f64, delay: Duration) -> (Responder, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let r = Responder::start(move |req| {
        let n = c.fetch_add(1, Ordering::SeqCst) + 1;
        std::thread::sleep(delay);
        let action = req.form("Action").unwrap_or_default();
        (
            200,
            sts_ok(
                &action,
                &format!("ASIA{n}"),
                &format!("secret{n}"),
                &format!("token{n}"),
                &rfc3339_in(lifetime),
            ),
        )
    });
    (r, calls)
}

#[test]
fn basic_success_and_missing_keys_message() {
    let p = credentials::from_spec(&basic("AKIDBASIC", "hunter2"), env(&[])).unwrap();
    let c = p.credentials().unwrap();
    assert_eq!(
        (c.access_key_id.as_str(), c.provider_name),
        ("AKIDBASIC", "BASIC")
    );
    assert!(
        !format!("{p:?}").contains("hunter2"),
        "secret leaked into Debug: {p:?}"
    );
    let err = credentials::from_spec(&basic("", "x"), env(&[])).unwrap_err();
    assert!(err.to_string().contains(
        "Please set values for AWS Access Key ID ('aws.credentials.provider.basic.accesskeyid') \
         and Secret Key ('aws.credentials.provider.basic.secretkey') when using the BASIC AWS \
         credential provider type."
    ));
}

#[test]
fn env_var_success_and_failure_messages() {
    let e = env(&[
        ("AWS_ACCESS_KEY_ID", "AKIDENV"),
        ("AWS_SECRET_ACCESS_KEY", "envsecret"),
        ("AWS_SESSION_TOKEN", "envtoken"),
    ]);
    let c = credentials::from_spec(&CredentialsSpec::EnvVar, e)
        .unwrap()
        .credentials()
        .unwrap();
    assert_eq!(c.access_key_id, "AKIDENV");
    assert_eq!(c.session_token.as_deref(), Some("envtoken"));
    let err = credentials::from_spec(&CredentialsSpec::EnvVar, env(&[]))
        .unwrap()
        .credentials()
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(
            "Access key must be specified either via environment variable (AWS_ACCESS_KEY_ID)"
        ),
        "{err}"
    );
    let err = credentials::from_spec(&CredentialsSpec::EnvVar, env(&[("AWS_ACCESS_KEY_ID", "A")]))
        .unwrap()
        .credentials()
        .unwrap_err()
        .to_string();
    assert!(err.contains("Secret key must be specified"), "{err}");
}

#[test]
fn sys_prop_success_and_failure_messages() {
    let _g = sys_lock();
    let p = credentials::from_spec(&CredentialsSpec::SysProp, env(&[])).unwrap();
    let err = p.credentials().unwrap_err().to_string();
    assert!(err.contains("Access key must be specified either via environment variable (AWS_ACCESS_KEY_ID) or system property (aws.accessKeyId)"), "{err}");
    sys_props::set("aws.accessKeyId", "AKIDSYS");
    let err = p.credentials().unwrap_err().to_string();
    assert!(err.contains("Secret key must be specified either via environment variable (AWS_SECRET_ACCESS_KEY) or system property (aws.secretAccessKey)"), "{err}");
    sys_props::set("aws.secretKey", "syssecret");
    sys_props::set("aws.sessionToken", "systoken");
    let c = p.credentials().unwrap();
    assert_eq!(c.access_key_id, "AKIDSYS");
    assert_eq!(c.session_token.as_deref(), Some("systoken"));
    for k in ["aws.accessKeyId", "aws.secretKey", "aws.sessionToken"] {
        sys_props::clear(k);
    }
}

#[test]
fn custom_registered_and_unknown() {
    credentials::register_custom("test-vault", || {
        Ok(Arc::new(StaticProvider::new(Credentials::new(
            "AKIDVAULT",
            "v",
            None,
            None,
            "vault",
        ))))
    });
    let spec = CredentialsSpec::Custom {
        name: "test-vault".into(),
    };
    let c = credentials::from_spec(&spec, env(&[]))
        .unwrap()
        .credentials()
        .unwrap();
    assert_eq!(c.access_key_id, "AKIDVAULT");
    let err = credentials::from_spec(
        &CredentialsSpec::Custom {
            name: "nope".into(),
        },
        env(&[]),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("'nope'") && err.contains("register_custom"),
        "{err}"
    );
}

#[test]
fn assume_role_signs_with_nested_provider_and_sends_parameters() {
    let (sts, calls) = counting_sts(3600.0, Duration::ZERO);
    let source = CredentialsSpec::Basic {
        access_key_id: "AKIDSOURCE".into(),
        secret_access_key: "sourcesecret".into(),
        session_token: Some("sourcetoken".into()),
    };
    let ctx = ProviderContext::default().with_region("eu-west-1");
    let p =
        credentials::from_spec_with(&assume_role_spec(&sts.url, source), env(&[]), &ctx).unwrap();
    let c = p.credentials().unwrap();
    assert_eq!(c.access_key_id, "ASIA1");
    assert_eq!(c.secret_access_key, "secret1");
    assert_eq!(c.session_token.as_deref(), Some("token1"));
    assert!(c.expiry.is_some());
    // Cached: no second STS call.
    assert_eq!(p.credentials().unwrap().access_key_id, "ASIA1");
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    let req = &sts.requests()[0];
    assert_eq!(req.method, "POST");
    assert_eq!(req.form("Action").as_deref(), Some("AssumeRole"));
    assert_eq!(req.form("Version").as_deref(), Some("2011-06-15"));
    assert_eq!(
        req.form("RoleArn").as_deref(),
        Some("arn:aws:iam::123456789012:role/reader")
    );
    assert_eq!(req.form("RoleSessionName").as_deref(), Some("sess-1"));
    assert_eq!(req.form("ExternalId").as_deref(), Some("ext-42"));
    let auth = req
        .header("authorization")
        .expect("AssumeRole must be signed");
    assert_eq!(signed_akid(auth).as_deref(), Some("AKIDSOURCE"));
    assert!(auth.contains("/eu-west-1/sts/aws4_request"), "{auth}");
    assert_eq!(req.header("x-amz-security-token"), Some("sourcetoken"));
    // invalidate() drops the cache: the next call goes to STS again.
    p.invalidate();
    assert_eq!(p.credentials().unwrap().access_key_id, "ASIA2");
}

#[test]
fn assume_role_failure_names_role_and_code_without_secrets() {
    let sts = Responder::start(|_| {
        (
            403,
            sts_err(
                "AccessDenied",
                "User is not authorized to perform: sts:AssumeRole",
            ),
        )
    });
    let p = credentials::from_spec(
        &assume_role_spec(&sts.url, basic("AKIDSRC", "sourcesecret")),
        env(&[]),
    )
    .unwrap();
    let err = p.credentials().unwrap_err();
    assert!(matches!(
        err,
        CredentialsError::Failed {
            provider: "ASSUME_ROLE",
            ..
        }
    ));
    let text = err.to_string();
    assert!(
        text.contains("AccessDenied") && text.contains("not authorized"),
        "{text}"
    );
    assert!(
        text.contains("arn:aws:iam::123456789012:role/reader"),
        "{text}"
    );
    assert!(!text.contains("sourcesecret"), "{text}");
    // An unreadable CA bundle (AWS_CA_BUNDLE) is reported with its path on first use.
    let p = credentials::from_spec(
        &assume_role_spec(&sts.url, basic("A", "s")),
        env(&[("AWS_CA_BUNDLE", "/nonexistent/bundle.pem")]),
    )
    .unwrap();
    let text = p.credentials().unwrap_err().to_string();
    assert!(text.contains("/nonexistent/bundle.pem"), "{text}");
    // Not-XML answers are reported as such.
    let junk = Responder::start(|_| (200, "hello".into()));
    let p =
        credentials::from_spec(&assume_role_spec(&junk.url, basic("A", "s")), env(&[])).unwrap();
    let text = p.credentials().unwrap_err().to_string();
    assert!(text.contains("no <Credentials>"), "{text}");
}

/// A provider context whose clock only moves when the test moves it.
fn manual_clock() -> (ProviderContext, Arc<ManualClock>) {
    let clock = ManualClock::new();
    (ProviderContext::default().with_clock(clock.clone()), clock)
}

#[test]
fn short_lived_credentials_are_refreshed_before_expiry() {
    // Lifetime 1 h: the cache refreshes 5 minutes before expiry, at 55 minutes.
    let (sts, calls) = counting_sts(3600.0, Duration::ZERO);
    let (ctx, clock) = manual_clock();
    let p =
        credentials::from_spec_with(&assume_role_spec(&sts.url, basic("A", "s")), env(&[]), &ctx)
            .unwrap();
    assert_eq!(p.credentials().unwrap().access_key_id, "ASIA1");
    clock.advance(Duration::from_secs(54 * 60));
    assert_eq!(p.credentials().unwrap().access_key_id, "ASIA1");
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    clock.advance(Duration::from_secs(2 * 60));
    assert_eq!(p.credentials().unwrap().access_key_id, "ASIA2");
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[test]
fn concurrent_callers_share_one_sts_call() {
    // STS answers slowly; 8 threads ask at once with an empty cache: one call.
    let (sts, calls) = counting_sts(3600.0, Duration::from_millis(300));
    let (ctx, clock) = manual_clock();
    let p =
        credentials::from_spec_with(&assume_role_spec(&sts.url, basic("A", "s")), env(&[]), &ctx)
            .unwrap();
    let run_all = |p: &Arc<dyn Provider>| -> Vec<String> {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let p = p.clone();
                std::thread::spawn(move || p.credentials().unwrap().access_key_id)
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    };
    let first = run_all(&p);
    assert!(first.iter().all(|k| k == "ASIA1"), "{first:?}");
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    // Inside the refresh window but still valid: one thread refreshes (slowly), the others
    // keep the current credentials instead of waiting or calling STS themselves.
    let fetched_at = Instant::now();
    clock.advance(Duration::from_secs(56 * 60));
    let second = run_all(&p);
    assert_eq!(
        calls.load(Ordering::SeqCst),
        2,
        "one refresh, not one per thread"
    );
    assert!(second.iter().any(|k| k == "ASIA2"), "{second:?}");
    assert!(
        second.iter().all(|k| k == "ASIA1" || k == "ASIA2"),
        "{second:?}"
    );
    assert!(fetched_at.elapsed() < Duration::from_secs(10));
}

#[test]
fn expired_cache_waiters_get_the_refresh_error_once() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let sts = Responder::start(move |_| {
        c.fetch_add(1, Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(500));
        (403, sts_err("AccessDenied", "nope"))
    });
    let p = credentials::from_spec(&assume_role_spec(&sts.url, basic("A", "s")), env(&[])).unwrap();
    let handles: Vec<_> = (0..6)
        .map(|_| {
            let p = p.clone();
            std::thread::spawn(move || p.credentials().unwrap_err().to_string())
        })
        .collect();
    for h in handles {
        assert!(h.join().unwrap().contains("AccessDenied"));
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[test]
fn web_identity_reads_token_file_on_every_refresh() {
    let dir = temp_dir("wi");
    let token_file = dir.join("token");
    std::fs::write(&token_file, "jwt-one\n").unwrap();
    let (sts, _calls) = counting_sts(3600.0, Duration::ZERO);
    let e = env(&[
        ("AWS_WEB_IDENTITY_TOKEN_FILE", token_file.to_str().unwrap()),
        ("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/pod"),
        ("AWS_ENDPOINT_URL_STS", &sts.url),
    ]);
    let spec = CredentialsSpec::WebIdentityToken {
        role_arn: None,
        session_name: None,
        token_file: None,
        sts_endpoint: None,
    };
    let p = credentials::from_spec(&spec, e).unwrap();
    assert_eq!(p.credentials().unwrap().access_key_id, "ASIA1");
    std::fs::write(&token_file, "jwt-two").unwrap();
    p.invalidate();
    assert_eq!(p.credentials().unwrap().access_key_id, "ASIA2");
    let reqs = sts.requests();
    assert_eq!(
        reqs[0].form("Action").as_deref(),
        Some("AssumeRoleWithWebIdentity")
    );
    assert_eq!(reqs[0].form("WebIdentityToken").as_deref(), Some("jwt-one"));
    assert_eq!(reqs[1].form("WebIdentityToken").as_deref(), Some("jwt-two"));
    assert_eq!(
        reqs[0].form("RoleArn").as_deref(),
        Some("arn:aws:iam::123456789012:role/pod")
    );
    assert!(reqs[0]
        .form("RoleSessionName")
        .unwrap()
        .starts_with("kinesis-rs-"));
    assert!(
        reqs[0].header("authorization").is_none(),
        "AssumeRoleWithWebIdentity is unsigned"
    );

    // Options win over the environment.
    let spec = CredentialsSpec::WebIdentityToken {
        role_arn: Some("arn:aws:iam::123456789012:role/opt".into()),
        session_name: Some("opt-session".into()),
        token_file: Some(token_file.clone()),
        sts_endpoint: Some(sts.url.clone()),
    };
    credentials::from_spec(&spec, env(&[]))
        .unwrap()
        .credentials()
        .unwrap();
    let last = sts.requests().pop().unwrap();
    assert_eq!(
        last.form("RoleArn").as_deref(),
        Some("arn:aws:iam::123456789012:role/opt")
    );
    assert_eq!(last.form("RoleSessionName").as_deref(), Some("opt-session"));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn web_identity_failure_messages() {
    let _g = sys_lock(); // the provider also looks at aws.webIdentityTokenFile
    let spec = CredentialsSpec::WebIdentityToken {
        role_arn: None,
        session_name: None,
        token_file: None,
        sts_endpoint: Some("http://127.0.0.1:9".into()),
    };
    let err = credentials::from_spec(&spec, env(&[]))
        .unwrap()
        .credentials()
        .unwrap_err()
        .to_string();
    assert!(err.contains("Either the environment variable AWS_WEB_IDENTITY_TOKEN_FILE or the javaproperty aws.webIdentityTokenFile must be set."), "{err}");
    let sts = Responder::start(|_| {
        (
            400,
            sts_err("InvalidIdentityToken", "Couldn't retrieve verification key"),
        )
    });
    let dir = temp_dir("wi-fail");
    std::fs::write(dir.join("t"), "jwt").unwrap();
    let spec = CredentialsSpec::WebIdentityToken {
        role_arn: Some("arn:aws:iam::1:role/r".into()),
        session_name: None,
        token_file: Some(dir.join("t")),
        sts_endpoint: Some(sts.url.clone()),
    };
    let err = credentials::from_spec(&spec, env(&[]))
        .unwrap()
        .credentials()
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("InvalidIdentityToken") && err.contains("arn:aws:iam::1:role/r"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn container_full_uri_with_token_file() {
    let dir = temp_dir("ctr");
    let tok = dir.join("auth");
    std::fs::write(&tok, "auth-one").unwrap();
    let srv = Responder::start(|req| {
        assert_eq!(req.path, "/creds");
        (
            200,
            format!(
                r#"{{"AccessKeyId":"ASIACTR","SecretAccessKey":"ctrsecret","Token":"ctrtoken","Expiration":"{}"}}"#,
                rfc3339_in(3600.0)
            ),
        )
    });
    let e = env(&[
        (
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            &format!("{}/creds", srv.url),
        ),
        (
            "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
            tok.to_str().unwrap(),
        ),
        ("AWS_CONTAINER_AUTHORIZATION_TOKEN", "ignored-when-file-set"),
    ]);
    let p = ContainerProvider::new(e, &ProviderContext::default());
    let c = p.credentials().unwrap();
    assert_eq!(c.access_key_id, "ASIACTR");
    assert_eq!(c.session_token.as_deref(), Some("ctrtoken"));
    assert!(c.expiry.is_some());
    std::fs::write(&tok, "auth-two").unwrap();
    p.credentials().unwrap();
    let reqs = srv.requests();
    assert_eq!(reqs[0].header("authorization"), Some("auth-one"));
    assert_eq!(reqs[1].header("authorization"), Some("auth-two"));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn container_failure_message() {
    let srv = Responder::start(|_| (500, "agent broken".into()));
    let e = env(&[
        (
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            &format!("{}/creds", srv.url),
        ),
        ("AWS_CONTAINER_AUTHORIZATION_TOKEN", "t"),
    ]);
    let err = ContainerProvider::new(e, &ProviderContext::default())
        .credentials()
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("HTTP 500") && err.contains("agent broken"),
        "{err}"
    );
    assert_eq!(srv.count(), 3, "server errors are retried twice");
    let e = env(&[(
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "http://192.0.2.1/creds",
    )]);
    let err = ContainerProvider::new(e, &ProviderContext::default())
        .credentials()
        .unwrap_err()
        .to_string();
    assert!(err.contains("must use https"), "{err}");
}

/// A fake IMDS: PUT token (TTL header required), role list, role credentials; every GET
/// must carry a token it issued.
fn fake_imds(fail_token_puts: usize) -> (Responder, Arc<AtomicUsize>) {
    let puts = Arc::new(AtomicUsize::new(0));
    let p2 = puts.clone();
    let r = Responder::start(move |req| {
        if req.method == "PUT" && req.path == "/latest/api/token" {
            let n = p2.fetch_add(1, Ordering::SeqCst) + 1;
            if n <= fail_token_puts {
                return (503, "busy".into());
            }
            assert!(req.header("x-aws-ec2-metadata-token-ttl-seconds").is_some());
            return (200, format!("imds-token-{n}"));
        }
        match req.header("x-aws-ec2-metadata-token") {
            Some(t) if t.starts_with("imds-token-") => {}
            _ => return (401, String::new()), // IMDSv1 requests are refused
        }
        match req.path.as_str() {
            "/latest/meta-data/iam/security-credentials/" => (200, "ec2-role\n".into()),
            "/latest/meta-data/iam/security-credentials/ec2-role" => (
                200,
                format!(
                    r#"{{"Code":"Success","Type":"AWS-HMAC","AccessKeyId":"ASIAIMDS","SecretAccessKey":"imdssecret","Token":"imdstoken","Expiration":"{}"}}"#,
                    rfc3339_in(3600.0)
                ),
            ),
            _ => (404, String::new()),
        }
    });
    (r, puts)
}

#[test]
fn imds_v2_token_then_role_then_credentials_with_token_refresh() {
    let (srv, puts) = fake_imds(1); // the first token PUT fails with 503 and is retried
    let e = env(&[("AWS_EC2_METADATA_SERVICE_ENDPOINT", &srv.url)]);
    let (ctx, clock) = manual_clock();
    let p = ImdsProvider::new(e, &ctx).with_token_ttl(Duration::from_secs(1));
    let c = p.credentials().unwrap();
    assert_eq!(c.access_key_id, "ASIAIMDS");
    assert_eq!(c.session_token.as_deref(), Some("imdstoken"));
    assert_eq!(puts.load(Ordering::SeqCst), 2);
    p.credentials().unwrap();
    assert_eq!(
        puts.load(Ordering::SeqCst),
        2,
        "token reused within its TTL"
    );
    clock.advance(Duration::from_millis(1000));
    p.credentials().unwrap();
    assert_eq!(
        puts.load(Ordering::SeqCst),
        3,
        "token refreshed before its TTL ran out"
    );
    assert!(srv
        .requests()
        .iter()
        .filter(|r| r.method == "GET")
        .all(|r| r.header("x-aws-ec2-metadata-token").is_some()));
}

#[test]
fn imds_disabled_unreachable_and_failing() {
    let e = env(&[("AWS_EC2_METADATA_DISABLED", "TRUE")]);
    let err = ImdsProvider::new(e, &ProviderContext::default())
        .credentials()
        .unwrap_err();
    assert!(matches!(err, CredentialsError::NotFound { .. }), "{err}");
    // Nothing listens: NotFound, fast.
    let refusing = RefusingPort::bind();
    let e = env(&[("AWS_EC2_METADATA_SERVICE_ENDPOINT", &refusing.url())]);
    let t = Instant::now();
    let err = ImdsProvider::new(e, &ProviderContext::default())
        .credentials()
        .unwrap_err();
    assert!(matches!(err, CredentialsError::NotFound { .. }), "{err}");
    assert!(t.elapsed() < Duration::from_secs(2));
    // Token PUT keeps failing: a clear error, and no IMDSv1 fallback GET.
    let (srv, puts) = fake_imds(100);
    let e = env(&[("AWS_EC2_METADATA_SERVICE_ENDPOINT", &srv.url)]);
    let p = ImdsProvider::new(e, &ProviderContext::default());
    let err = p.credentials().unwrap_err().to_string();
    assert!(
        err.contains("session token") && err.contains("503"),
        "{err}"
    );
    assert_eq!(puts.load(Ordering::SeqCst), 3);
    assert!(srv.requests().iter().all(|r| r.method == "PUT"));
    // ... and the next call tries IMDSv2 again instead of giving up for good.
    let _ = p.credentials();
    assert_eq!(puts.load(Ordering::SeqCst), 6);
}

fn write(path: &PathBuf, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[test]
fn profile_static_session_token_config_sections_and_aws_profile() {
    let home = temp_dir("prof");
    write(&home.join(".aws/credentials"), "[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = d\n\n[dev]\naws_access_key_id=AKIDDEV\naws_secret_access_key=s\naws_session_token=devtoken\n");
    write(&home.join(".aws/config"), "[profile cfgonly]\naws_access_key_id = AKIDCFG\naws_secret_access_key = c\n[cfgonly]\naws_access_key_id = IGNORED\n");
    let h = home.to_str().unwrap();
    let prof = |name: Option<&str>, e: SharedEnv| {
        credentials::from_spec(
            &CredentialsSpec::Profile {
                path: None,
                name: name.map(String::from),
            },
            e,
        )
        .unwrap()
        .credentials()
    };
    assert_eq!(
        prof(None, env(&[("HOME", h)])).unwrap().access_key_id,
        "AKIDDEFAULT"
    );
    let dev = prof(None, env(&[("HOME", h), ("AWS_PROFILE", "dev")])).unwrap();
    assert_eq!(dev.access_key_id, "AKIDDEV");
    assert_eq!(dev.session_token.as_deref(), Some("devtoken"));
    assert_eq!(
        prof(Some("cfgonly"), env(&[("HOME", h), ("AWS_PROFILE", "dev")]))
            .unwrap()
            .access_key_id,
        "AKIDCFG"
    );
    let err = prof(Some("missing"), env(&[("HOME", h)]))
        .unwrap_err()
        .to_string();
    assert!(err.contains("profile 'missing' not found"), "{err}");
    let err = prof(None, env(&[])).unwrap_err().to_string();
    assert!(err.contains("HOME is not set"), "{err}");
    let err = prof(None, env(&[("HOME", "/nonexistent-home")]))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("no profile file found (looked for /nonexistent-home/.aws/credentials, /nonexistent-home/.aws/config)"),
        "{err}"
    );
    // aws.credentials.profile.path replaces the credentials file.
    let other = home.join("elsewhere");
    write(
        &other,
        "[x]\naws_access_key_id=AKIDPATH\naws_secret_access_key=p\n",
    );
    let spec = CredentialsSpec::Profile {
        path: Some(other.clone()),
        name: Some("x".into()),
    };
    let c = credentials::from_spec(&spec, env(&[("HOME", h)]))
        .unwrap()
        .credentials()
        .unwrap();
    assert_eq!(c.access_key_id, "AKIDPATH");
    // AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE.
    let e = env(&[
        ("AWS_SHARED_CREDENTIALS_FILE", other.to_str().unwrap()),
        ("AWS_CONFIG_FILE", "/nonexistent/x"),
        ("AWS_PROFILE", "x"),
    ]);
    assert_eq!(prof(None, e).unwrap().access_key_id, "AKIDPATH");
    let _ = std::fs::remove_dir_all(home);
}

#[test]
fn profile_role_chain_and_cycle() {
    let (sts, calls) = counting_sts(3600.0, Duration::ZERO);
    let home = temp_dir("chain");
    write(
        &home.join(".aws/credentials"),
        "[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = basesecret\n",
    );
    write(
        &home.join(".aws/config"),
        "[profile top]\nrole_arn = arn:aws:iam::1:role/top\nsource_profile = middle\nrole_session_name = top-s\n\
         [profile middle]\nrole_arn = arn:aws:iam::1:role/middle\nsource_profile = base\nexternal_id = mid-ext\n\
         [profile loop-a]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = loop-b\n\
         [profile loop-b]\nrole_arn = arn:aws:iam::1:role/b\nsource_profile = loop-a\n",
    );
    let e = env(&[
        ("HOME", home.to_str().unwrap()),
        ("AWS_ENDPOINT_URL_STS", &sts.url),
    ]);
    let spec = CredentialsSpec::Profile {
        path: None,
        name: Some("top".into()),
    };
    let c = credentials::from_spec(&spec, e.clone())
        .unwrap()
        .credentials()
        .unwrap();
    assert_eq!(c.access_key_id, "ASIA2");
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    let reqs = sts.requests();
    // middle is assumed with base's keys, then top with middle's session.
    assert_eq!(
        reqs[0].form("RoleArn").as_deref(),
        Some("arn:aws:iam::1:role/middle")
    );
    assert_eq!(reqs[0].form("ExternalId").as_deref(), Some("mid-ext"));
    assert_eq!(
        signed_akid(reqs[0].header("authorization").unwrap()).as_deref(),
        Some("AKIDBASE")
    );
    assert_eq!(
        reqs[1].form("RoleArn").as_deref(),
        Some("arn:aws:iam::1:role/top")
    );
    assert_eq!(reqs[1].form("RoleSessionName").as_deref(), Some("top-s"));
    assert_eq!(
        signed_akid(reqs[1].header("authorization").unwrap()).as_deref(),
        Some("ASIA1")
    );
    assert_eq!(reqs[1].header("x-amz-security-token"), Some("token1"));

    let spec = CredentialsSpec::Profile {
        path: None,
        name: Some("loop-a".into()),
    };
    let err = credentials::from_spec(&spec, e)
        .unwrap()
        .credentials()
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("cycle") && err.contains("loop-a -> loop-b -> loop-a"),
        "{err}"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 2, "a cycle makes no STS call");
    let _ = std::fs::remove_dir_all(home);
}

#[test]
fn profile_credential_process() {
    let home = temp_dir("proc");
    let exp = rfc3339_in(3600.0);
    let script = home.join("creds.sh");
    write(&script, &format!("#!/bin/sh\necho '{{\"Version\": 1, \"AccessKeyId\": \"AKIDPROC\", \"SecretAccessKey\": \"procsecret\", \"SessionToken\": \"proctoken\", \"Expiration\": \"{exp}\"}}'\n"));
    write(
        &home.join(".aws/config"),
        &format!(
            "[profile proc]\ncredential_process = sh {}\n[profile broken]\ncredential_process = sh -c 'echo no such vault >&2; exit 3'\n[profile badjson]\ncredential_process = echo not-json-secret\n",
            script.display()
        ),
    );
    let e = env(&[("HOME", home.to_str().unwrap())]);
    let get = |name: &str| {
        credentials::from_spec(
            &CredentialsSpec::Profile {
                path: None,
                name: Some(name.into()),
            },
            e.clone(),
        )
        .unwrap()
        .credentials()
    };
    let c = get("proc").unwrap();
    assert_eq!(c.access_key_id, "AKIDPROC");
    assert_eq!(c.session_token.as_deref(), Some("proctoken"));
    let expiry = c.expiry.expect("Expiration parsed");
    let left = expiry.duration_since(std::time::SystemTime::now()).unwrap();
    assert!(left > Duration::from_secs(3500) && left <= Duration::from_secs(3600));
    let err = get("broken").unwrap_err().to_string();
    assert!(
        err.contains("no such vault") && err.contains("'broken'"),
        "{err}"
    );
    let err = get("badjson").unwrap_err().to_string();
    assert!(
        err.contains("not JSON") && !err.contains("not-json-secret"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(home);
}

#[test]
fn profile_sso_cached_token_and_login_hint() {
    let portal = Responder::start(|req| {
        assert_eq!(
            req.header("x-amz-sso_bearer_token"),
            Some("cached-access-token")
        );
        assert!(req.path.starts_with("/federation/credentials?"));
        assert!(
            req.path.contains("account_id=111122223333") && req.path.contains("role_name=Reader")
        );
        (200, r#"{"roleCredentials":{"accessKeyId":"ASIASSO","secretAccessKey":"ssosecret","sessionToken":"ssotoken","expiration":4102444800000}}"#.into())
    });
    let home = temp_dir("sso");
    write(
        &home.join(".aws/config"),
        "[profile sso]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = Reader\n\
         [sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = eu-west-1\n\
         [profile expired]\nsso_start_url = https://old.awsapps.com/start\nsso_region = eu-west-1\nsso_account_id = 1\nsso_role_name = R\n",
    );
    // The AWS CLI names the cache file after the SHA-1 of the session name: sha1("corp")
    // as computed by Python's hashlib.
    let cache = home.join(".aws/sso/cache");
    write(
        &cache.join("ee0bfd2552fbd840c02cc48b6e823320543c450f.json"),
        &format!(
            r#"{{"accessToken":"cached-access-token","expiresAt":"{}","region":"eu-west-1"}}"#,
            rfc3339_in(600.0)
        ),
    );
    let e = env(&[
        ("HOME", home.to_str().unwrap()),
        ("AWS_ENDPOINT_URL_SSO", &portal.url),
    ]);
    let get = |name: &str| {
        credentials::from_spec(
            &CredentialsSpec::Profile {
                path: None,
                name: Some(name.into()),
            },
            e.clone(),
        )
        .unwrap()
        .credentials()
    };
    let c = get("sso").unwrap();
    assert_eq!(c.access_key_id, "ASIASSO");
    assert_eq!(c.session_token.as_deref(), Some("ssotoken"));
    let err = get("expired").unwrap_err().to_string();
    assert!(err.contains("aws sso login --profile expired"), "{err}");
    let _ = std::fs::remove_dir_all(home);
}

/// Every source of the AUTO chain, each with its own key id; `drop_first` removes the
/// first N sources so the next one must win.
struct AutoWorld {
    home: PathBuf,
    sts: Responder,
    container: Responder,
    imds: Responder,
}

impl AutoWorld {
    fn new() -> AutoWorld {
        let home = temp_dir("auto");
        write(
            &home.join(".aws/credentials"),
            "[default]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = p\n",
        );
        std::fs::write(home.join("wi-token"), "jwt").unwrap();
        let sts = Responder::start(|_| {
            (
                200,
                sts_ok(
                    "AssumeRoleWithWebIdentity",
                    "AKIDWEBID",
                    "w",
                    "t",
                    &rfc3339_in(3600.0),
                ),
            )
        });
        let container = Responder::start(|_| {
            (
                200,
                r#"{"AccessKeyId":"AKIDCONTAINER","SecretAccessKey":"c","Token":"t"}"#.into(),
            )
        });
        let (imds, _) = fake_imds(0);
        AutoWorld {
            home,
            sts,
            container,
            imds,
        }
    }

    fn env(&self, drop_first: usize) -> SharedEnv {
        let wi = self.home.join("wi-token");
        let mut layers: Vec<Vec<(String, String)>> = vec![
            vec![
                ("AWS_ACCESS_KEY_ID".into(), "AKIDENV".into()),
                ("AWS_SECRET_ACCESS_KEY".into(), "e".into()),
            ],
            vec![], // system properties, handled by the caller
            vec![
                (
                    "AWS_WEB_IDENTITY_TOKEN_FILE".into(),
                    wi.display().to_string(),
                ),
                ("AWS_ROLE_ARN".into(), "arn:aws:iam::1:role/w".into()),
            ],
            vec![], // the profile: HOME below, removed by pointing AWS_SHARED_CREDENTIALS_FILE away
            vec![(
                "AWS_CONTAINER_CREDENTIALS_FULL_URI".into(),
                format!("{}/c", self.container.url),
            )],
        ];
        for l in layers.iter_mut().take(drop_first) {
            l.clear();
        }
        let mut pairs: Vec<(String, String)> = layers.into_iter().flatten().collect();
        pairs.push(("HOME".into(), self.home.display().to_string()));
        if drop_first > 3 {
            pairs.push((
                "AWS_SHARED_CREDENTIALS_FILE".into(),
                "/nonexistent/credentials".into(),
            ));
        }
        pairs.push(("AWS_ENDPOINT_URL_STS".into(), self.sts.url.clone()));
        pairs.push((
            "AWS_EC2_METADATA_SERVICE_ENDPOINT".into(),
            self.imds.url.clone(),
        ));
        Arc::new(MapEnv::from_pairs(pairs))
    }
}

#[test]
fn auto_chain_order_each_source_shadows_the_later_ones() {
    let _g = sys_lock();
    let world = AutoWorld::new();
    let expected = [
        "AKIDENV",
        "AKIDSYSPROP",
        "AKIDWEBID",
        "AKIDPROFILE",
        "AKIDCONTAINER",
        "ASIAIMDS",
    ];
    for (drop_first, want) in expected.iter().enumerate() {
        if drop_first <= 1 {
            sys_props::set("aws.accessKeyId", "AKIDSYSPROP");
            sys_props::set("aws.secretKey", "s");
        } else {
            sys_props::clear("aws.accessKeyId");
            sys_props::clear("aws.secretKey");
        }
        let p = credentials::from_spec(&CredentialsSpec::Auto, world.env(drop_first)).unwrap();
        let c = p.credentials().unwrap();
        assert_eq!(
            &c.access_key_id, want,
            "with the first {drop_first} sources removed"
        );
    }
    let _ = std::fs::remove_dir_all(&world.home);
}

#[test]
fn auto_chain_error_lists_every_provider_and_is_fast_off_ec2() {
    let _g = sys_lock();
    let home = temp_dir("auto-none");
    let refusing = RefusingPort::bind();
    let e = env(&[
        ("HOME", home.to_str().unwrap()),
        ("AWS_EC2_METADATA_SERVICE_ENDPOINT", &refusing.url()),
    ]);
    let t = Instant::now();
    let err = credentials::from_spec(&CredentialsSpec::Auto, e)
        .unwrap()
        .credentials()
        .unwrap_err()
        .to_string();
    assert!(
        t.elapsed() < Duration::from_secs(2),
        "AUTO took {:?}",
        t.elapsed()
    );
    for name in [
        "ENV_VAR",
        "SYS_PROP",
        "WEB_IDENTITY_TOKEN",
        "PROFILE",
        "CONTAINER",
        "INSTANCE_METADATA",
    ] {
        assert!(err.contains(name), "{name} missing from: {err}");
    }
    // A profile that only sets a region is "nothing here": the chain moves on.
    write(&home.join(".aws/config"), "[default]\nregion = eu-west-1\n");
    let ctr = Responder::start(|_| {
        (
            200,
            r#"{"AccessKeyId":"AKIDCTR2","SecretAccessKey":"c"}"#.into(),
        )
    });
    let e = env(&[
        ("HOME", home.to_str().unwrap()),
        (
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            &format!("{}/c", ctr.url),
        ),
    ]);
    let c = credentials::from_spec(&CredentialsSpec::Auto, e)
        .unwrap()
        .credentials()
        .unwrap();
    assert_eq!(c.access_key_id, "AKIDCTR2");
    // A provider that is set up but broken stops the chain with its own error.
    write(
        &home.join(".aws/credentials"),
        "[default]\naws_access_key_id = AKIDHALF\n",
    );
    let e = env(&[
        ("HOME", home.to_str().unwrap()),
        ("AWS_EC2_METADATA_DISABLED", "true"),
    ]);
    let err = credentials::from_spec(&CredentialsSpec::Auto, e)
        .unwrap()
        .credentials()
        .unwrap_err()
        .to_string();
    assert!(err.contains("no aws_secret_access_key"), "{err}");
    let _ = std::fs::remove_dir_all(home);
}

#[test]
fn caching_keeps_valid_credentials_when_a_refresh_fails() {
    #[derive(Debug)]
    struct Flaky(AtomicUsize, Arc<ManualClock>);
    impl Provider for Flaky {
        fn credentials(&self) -> Result<Credentials, CredentialsError> {
            let n = self.0.fetch_add(1, Ordering::SeqCst);
            if n == 0 {
                let exp = self.1.now() + Duration::from_secs(3600);
                Ok(Credentials::new(
                    "AKIDFLAKY",
                    "flakysecret-log",
                    Some("flakytoken-log".into()),
                    Some(exp),
                    "flaky",
                ))
            } else {
                Err(CredentialsError::Failed {
                    provider: "flaky",
                    reason: "refresh-down-marker".into(),
                })
            }
        }
    }
    let logs = captured_logs();
    let clock = ManualClock::new();
    let flaky = Arc::new(Flaky(AtomicUsize::new(0), clock.clone()));
    let cache = CachingProvider::new(flaky.clone()).with_clock(clock.clone());
    assert_eq!(cache.credentials().unwrap().access_key_id, "AKIDFLAKY");
    // Refresh window: the last 5 minutes of the hour.
    clock.advance(Duration::from_secs(56 * 60)); // inside the refresh window, still valid
    assert_eq!(cache.credentials().unwrap().access_key_id, "AKIDFLAKY");
    assert_eq!(flaky.0.load(Ordering::SeqCst), 2, "a refresh was attempted");
    // The failed refresh was logged as a warning, without the secrets.
    let text = logs.lock().unwrap().clone();
    assert!(text.contains("refresh-down-marker"), "{text}");
    assert!(
        !text.contains("flakysecret-log") && !text.contains("flakytoken-log"),
        "{text}"
    );
    // A failed refresh is tried again after a second, not on every call.
    assert_eq!(cache.credentials().unwrap().access_key_id, "AKIDFLAKY");
    assert_eq!(
        flaky.0.load(Ordering::SeqCst),
        2,
        "no second attempt within the second"
    );
    clock.advance(Duration::from_secs(4 * 60)); // now expired
    assert!(cache
        .credentials()
        .unwrap_err()
        .to_string()
        .contains("refresh-down-marker"));
}

#[test]
fn nested_assume_role_chains_through_sts_twice() {
    let (sts, calls) = counting_sts(3600.0, Duration::ZERO);
    let inner = assume_role_spec(&sts.url, basic("AKIDROOT", "r"));
    let outer = CredentialsSpec::AssumeRole {
        role_arn: "arn:aws:iam::123456789012:role/outer".into(),
        session_name: "outer-s".into(),
        external_id: None,
        sts_endpoint: Some(sts.url.clone()),
        provider: Box::new(inner),
    };
    let c = credentials::from_spec(&outer, env(&[]))
        .unwrap()
        .credentials()
        .unwrap();
    assert_eq!(c.access_key_id, "ASIA2");
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    let reqs = sts.requests();
    assert_eq!(
        signed_akid(reqs[0].header("authorization").unwrap()).as_deref(),
        Some("AKIDROOT")
    );
    assert_eq!(
        reqs[1].form("RoleArn").as_deref(),
        Some("arn:aws:iam::123456789012:role/outer")
    );
    assert_eq!(
        signed_akid(reqs[1].header("authorization").unwrap()).as_deref(),
        Some("ASIA1")
    );
    assert_eq!(reqs[1].form("ExternalId"), None);
}

#[test]
fn expired_source_session_is_refetched_once() {
    #[derive(Debug, Default)]
    struct Numbered {
        fetches: AtomicUsize,
        invalidations: AtomicUsize,
    }
    impl Provider for Numbered {
        fn credentials(&self) -> Result<Credentials, CredentialsError> {
            let n = self.fetches.fetch_add(1, Ordering::SeqCst) + 1;
            Ok(Credentials::new(
                format!("AKIDSRC{n}"),
                "s",
                Some("t".into()),
                None,
                "src",
            ))
        }
        fn invalidate(&self) {
            self.invalidations.fetch_add(1, Ordering::SeqCst);
        }
    }
    // STS rejects the first source session as expired, accepts the next.
    let sts = Responder::start(|req| {
        if signed_akid(req.header("authorization").unwrap_or("")).as_deref() == Some("AKIDSRC1") {
            (
                400,
                sts_err(
                    "ExpiredToken",
                    "The security token included in the request is expired",
                ),
            )
        } else {
            (
                200,
                sts_ok("AssumeRole", "ASIAOK", "s", "t", &rfc3339_in(3600.0)),
            )
        }
    });
    let source = Arc::new(Numbered::default());
    let p = credentials::AssumeRoleProvider::new(
        source.clone(),
        "arn:aws:iam::1:role/r",
        "s",
        None,
        Some(&sts.url),
        env(&[]),
        &ProviderContext::default(),
    );
    assert_eq!(p.credentials().unwrap().access_key_id, "ASIAOK");
    assert_eq!(source.invalidations.load(Ordering::SeqCst), 1);
    assert_eq!(sts.count(), 2);
}

#[test]
fn debug_output_never_shows_secrets() {
    let e = env(&[
        ("AWS_ACCESS_KEY_ID", "AKIDDBG"),
        ("AWS_SECRET_ACCESS_KEY", "envsecret-xyz"),
        ("AWS_SESSION_TOKEN", "envtoken-xyz"),
        ("AWS_CONTAINER_AUTHORIZATION_TOKEN", "ctrtoken-xyz"),
    ]);
    let specs = [
        CredentialsSpec::Auto,
        CredentialsSpec::EnvVar,
        CredentialsSpec::Profile {
            path: None,
            name: None,
        },
        CredentialsSpec::Basic {
            access_key_id: "AKIDDBG".into(),
            secret_access_key: "basicsecret-xyz".into(),
            session_token: Some("basictoken-xyz".into()),
        },
        assume_role_spec("http://127.0.0.1:9", basic("AKIDDBG", "nestedsecret-xyz")),
    ];
    for spec in &specs {
        let p = credentials::from_spec(spec, e.clone()).unwrap();
        let _ = p.credentials(); // fill caches where possible
        let text = format!("{p:?}");
        assert!(
            !text.contains("-xyz"),
            "secret in Debug of {spec:?}: {text}"
        );
    }
}

#[test]
fn profile_role_with_credential_source_or_web_identity_file() {
    let (sts, _calls) = counting_sts(3600.0, Duration::ZERO);
    let home = temp_dir("credsrc");
    std::fs::write(home.join("jwt"), "profile-jwt").unwrap();
    write(
        &home.join(".aws/config"),
        &format!(
            "[profile fromenv]\nrole_arn = arn:aws:iam::1:role/e\ncredential_source = Environment\n\
             [profile wi]\nrole_arn = arn:aws:iam::1:role/w\nweb_identity_token_file = {}\n\
             [profile bad]\nrole_arn = arn:aws:iam::1:role/b\ncredential_source = Moon\n",
            home.join("jwt").display()
        ),
    );
    let e = env(&[
        ("HOME", home.to_str().unwrap()),
        ("AWS_ENDPOINT_URL_STS", &sts.url),
        ("AWS_ACCESS_KEY_ID", "AKIDFROMENV"),
        ("AWS_SECRET_ACCESS_KEY", "x"),
    ]);
    let get = |name: &str| {
        credentials::from_spec(
            &CredentialsSpec::Profile {
                path: None,
                name: Some(name.into()),
            },
            e.clone(),
        )
        .unwrap()
        .credentials()
    };
    assert_eq!(get("fromenv").unwrap().access_key_id, "ASIA1");
    assert_eq!(get("wi").unwrap().access_key_id, "ASIA2");
    let reqs = sts.requests();
    assert_eq!(
        signed_akid(reqs[0].header("authorization").unwrap()).as_deref(),
        Some("AKIDFROMENV")
    );
    assert_eq!(
        reqs[1].form("Action").as_deref(),
        Some("AssumeRoleWithWebIdentity")
    );
    assert_eq!(
        reqs[1].form("WebIdentityToken").as_deref(),
        Some("profile-jwt")
    );
    let err = get("bad").unwrap_err().to_string();
    assert!(err.contains("credential_source 'Moon'"), "{err}");
    let _ = std::fs::remove_dir_all(home);
}

#[test]
fn imds_rejected_token_is_replaced() {
    // The server forgets every token after its first use: each GET with an old token gets
    // 401, and the provider must fetch a new token and retry (still IMDSv2).
    let used = Arc::new(Mutex::new(std::collections::HashSet::<String>::new()));
    let issued = Arc::new(AtomicUsize::new(0));
    let (u, n) = (used.clone(), issued.clone());
    let srv = Responder::start(move |req| {
        if req.method == "PUT" {
            let k = n.fetch_add(1, Ordering::SeqCst) + 1;
            return (200, format!("tok-{k}"));
        }
        let tok = req
            .header("x-aws-ec2-metadata-token")
            .unwrap_or("")
            .to_string();
        if tok.is_empty() || !u.lock().unwrap().insert(tok) {
            return (401, String::new());
        }
        if req.path.ends_with("/security-credentials/") {
            (200, "r".into())
        } else {
            (
                200,
                r#"{"Code":"Success","AccessKeyId":"ASIAROT","SecretAccessKey":"s","Token":"t"}"#
                    .into(),
            )
        }
    });
    let e = env(&[("AWS_EC2_METADATA_SERVICE_ENDPOINT", &srv.url)]);
    let p = ImdsProvider::new(e, &ProviderContext::default());
    assert_eq!(p.credentials().unwrap().access_key_id, "ASIAROT");
    assert_eq!(
        issued.load(Ordering::SeqCst),
        2,
        "one new token after the 401"
    );
}

#[test]
fn auto_chain_stops_at_a_provider_that_is_set_up_but_broken() {
    let _g = sys_lock();
    let home = temp_dir("auto-broken");
    // A working container endpoint later in the chain: it must never be asked.
    let ctr = Responder::start(|_| {
        (
            200,
            r#"{"AccessKeyId":"AKIDCTRLATE","SecretAccessKey":"c"}"#.into(),
        )
    });
    let full_uri = format!("{}/c", ctr.url);
    // 1. A half-written profile (key id, no secret) stops the chain before the container.
    write(
        &home.join(".aws/credentials"),
        "[default]\naws_access_key_id = AKIDHALF\n",
    );
    let e = env(&[
        ("HOME", home.to_str().unwrap()),
        ("AWS_CONTAINER_CREDENTIALS_FULL_URI", &full_uri),
        ("AWS_EC2_METADATA_DISABLED", "true"),
    ]);
    let err = credentials::from_spec(&CredentialsSpec::Auto, e)
        .unwrap()
        .credentials()
        .unwrap_err();
    assert!(
        matches!(
            err,
            CredentialsError::Failed {
                provider: "AUTO",
                ..
            }
        ),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.contains("PROFILE") && text.contains("no aws_secret_access_key"),
        "{text}"
    );
    assert!(!text.contains("CONTAINER"), "the chain went on: {text}");
    assert_eq!(ctr.count(), 0, "the container endpoint was asked");

    // 2. Web identity set up but refused by STS: the valid profile after it is not used.
    write(
        &home.join(".aws/credentials"),
        "[default]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = p\n",
    );
    std::fs::write(home.join("jwt"), "jwt").unwrap();
    let sts = Responder::start(|_| (403, sts_err("AccessDenied", "not trusted")));
    let e = env(&[
        ("HOME", home.to_str().unwrap()),
        (
            "AWS_WEB_IDENTITY_TOKEN_FILE",
            home.join("jwt").to_str().unwrap(),
        ),
        ("AWS_ROLE_ARN", "arn:aws:iam::1:role/pod"),
        ("AWS_ENDPOINT_URL_STS", &sts.url),
        ("AWS_CONTAINER_CREDENTIALS_FULL_URI", &full_uri),
    ]);
    let err = credentials::from_spec(&CredentialsSpec::Auto, e.clone())
        .unwrap()
        .credentials()
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("WEB_IDENTITY_TOKEN") && err.contains("AccessDenied"),
        "{err}"
    );
    assert!(
        !err.contains("AKIDPROFILE") && !err.contains("PROFILE:"),
        "{err}"
    );
    assert_eq!(sts.count(), 1);
    assert_eq!(ctr.count(), 0);

    // 3. AWS_PROFILE naming a profile the files lack is a mistake, not "nothing here".
    let e = env(&[
        ("HOME", home.to_str().unwrap()),
        ("AWS_PROFILE", "prdo"),
        ("AWS_CONTAINER_CREDENTIALS_FULL_URI", &full_uri),
    ]);
    let err = credentials::from_spec(&CredentialsSpec::Auto, e)
        .unwrap()
        .credentials()
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("profile 'prdo' not found") && err.contains("selected by AWS_PROFILE"),
        "{err}"
    );
    assert_eq!(ctr.count(), 0);

    // 4. Without those variables the same environment yields the profile: the
    // providers above only passed because they had nothing, not because they failed.
    let e = env(&[
        ("HOME", home.to_str().unwrap()),
        ("AWS_CONTAINER_CREDENTIALS_FULL_URI", &full_uri),
    ]);
    let c = credentials::from_spec(&CredentialsSpec::Auto, e)
        .unwrap()
        .credentials()
        .unwrap();
    assert_eq!(c.access_key_id, "AKIDPROFILE");
    let _ = std::fs::remove_dir_all(home);
}

#[test]
fn auto_chain_is_fast_when_instance_metadata_hangs() {
    // Off EC2 the metadata address usually swallows packets. Closest loopback stand-in: a
    // listener that accepts connections (the kernel completes the handshake) and never
    // answers. The whole chain must still give up well under 2 s.
    let _g = sys_lock();
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let home = temp_dir("auto-hang");
    let e = env(&[
        ("HOME", home.to_str().unwrap()),
        (
            "AWS_EC2_METADATA_SERVICE_ENDPOINT",
            &format!("http://{}", silent.local_addr().unwrap()),
        ),
    ]);
    let t = Instant::now();
    let err = credentials::from_spec(&CredentialsSpec::Auto, e)
        .unwrap()
        .credentials()
        .unwrap_err();
    let took = t.elapsed();
    // One instance-metadata attempt times out after 1 s; a second one would take the chain
    // past 2 s.
    assert!(took < Duration::from_secs(2), "AUTO took {took:?}");
    assert!(matches!(err, CredentialsError::NotFound { .. }), "{err:?}");
    assert!(err.to_string().contains("INSTANCE_METADATA"), "{err}");
    drop(silent);
    let _ = std::fs::remove_dir_all(home);
}

#[test]
fn container_relative_uri_full_request_path() {
    let srv = Responder::start(|req| {
        if req.path != "/v2/credentials/task-1" {
            return (404, format!("unexpected path {}", req.path));
        }
        (
            200,
            format!(
                r#"{{"RoleArn":"arn:aws:iam::1:role/task","AccessKeyId":"ASIAREL","SecretAccessKey":"relsecret","Token":"reltoken","Expiration":"{}"}}"#,
                rfc3339_in(3600.0)
            ),
        )
    });
    let e = env(&[
        (
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
            "/v2/credentials/task-1",
        ),
        // The relative URI wins over the full one, as in the AWS SDKs.
        (
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            "http://127.0.0.1:9/never",
        ),
        ("AWS_CONTAINER_AUTHORIZATION_TOKEN", "rel-auth"),
    ]);
    let p = ContainerProvider::new(e, &ProviderContext::default())
        .with_relative_uri_host(format!("{}/", srv.url));
    let c = p.credentials().unwrap();
    assert_eq!(c.access_key_id, "ASIAREL");
    assert_eq!(c.session_token.as_deref(), Some("reltoken"));
    assert!(c.expiry.is_some());
    let reqs = srv.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].method, "GET");
    assert_eq!(reqs[0].header("authorization"), Some("rel-auth"));
    // A 4xx from the agent is reported with its status and text.
    let e = env(&[("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "other")]);
    let err = ContainerProvider::new(e, &ProviderContext::default())
        .with_relative_uri_host(srv.url.clone())
        .credentials()
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("HTTP 404") && err.contains("unexpected path /other"),
        "{err}"
    );
}

#[test]
fn assume_role_over_https_with_a_custom_ca() {
    let body = || {
        sts_ok(
            "AssumeRole",
            "ASIATLS",
            "tlssecret",
            "tlstoken",
            &rfc3339_in(3600.0),
        )
    };
    let (url, served) = support::https_responder(8, body);
    let spec = assume_role_spec(&url, basic("AKIDSRC", "s"));
    // Unknown CA: a TLS error naming the certificate problem, and no request got through.
    let err = credentials::from_spec(&spec, env(&[]))
        .unwrap()
        .credentials()
        .unwrap_err()
        .to_string();
    assert!(
        err.to_ascii_lowercase().contains("certificate") || err.contains("UnknownIssuer"),
        "{err}"
    );
    assert!(err.contains(&url), "{err}");
    assert_eq!(served.load(Ordering::SeqCst), 0);
    // The test CA from the client's settings ...
    let ca = support::fixture("ca.pem");
    let ctx = ProviderContext::default().with_ca_bundle(ca.clone());
    let c = credentials::from_spec_with(&spec, env(&[]), &ctx)
        .unwrap()
        .credentials()
        .unwrap();
    assert_eq!(c.access_key_id, "ASIATLS");
    // ... or from AWS_CA_BUNDLE ...
    let c = credentials::from_spec(&spec, env(&[("AWS_CA_BUNDLE", ca.to_str().unwrap())]))
        .unwrap()
        .credentials()
        .unwrap();
    assert_eq!(c.access_key_id, "ASIATLS");
    // ... or aws.trust.all.certificates.
    let ctx = ProviderContext::default().with_trust_all_certificates(true);
    let c = credentials::from_spec_with(&spec, env(&[]), &ctx)
        .unwrap()
        .credentials()
        .unwrap();
    assert_eq!(c.access_key_id, "ASIATLS");
    assert_eq!(served.load(Ordering::SeqCst), 3);
}

#[test]
fn sso_expired_or_rejected_token_asks_for_aws_sso_login() {
    let portal_calls = Arc::new(AtomicUsize::new(0));
    let pc = portal_calls.clone();
    let portal = Responder::start(move |req| {
        pc.fetch_add(1, Ordering::SeqCst);
        match req.header("x-amz-sso_bearer_token") {
            Some("revoked-token") => (
                401,
                r#"{"message":"Session token not found or invalid"}"#.into(),
            ),
            _ => (
                200,
                r#"{"roleCredentials":{"accessKeyId":"ASIALEGACY","secretAccessKey":"l","sessionToken":"t","expiration":4102444800000}}"#.into(),
            ),
        }
    });
    let home = temp_dir("sso-exp");
    write(
        &home.join(".aws/config"),
        "[profile sso]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = Reader\n\
         [sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = eu-west-1\n\
         [profile legacy]\nsso_start_url = https://legacy.awsapps.com/start\nsso_region = eu-west-1\n\
         sso_account_id = 1\nsso_role_name = R\n",
    );
    let cache = home.join(".aws/sso/cache");
    let token_file = |name: &str, token: &str, expires_in: f64| {
        write(
            &cache.join(name),
            &format!(
                r#"{{"accessToken":"{token}","expiresAt":"{}","region":"eu-west-1"}}"#,
                rfc3339_in(expires_in)
            ),
        );
    };
    // sha1("corp") and sha1("https://legacy.awsapps.com/start"), as the AWS CLI names them.
    let corp = "ee0bfd2552fbd840c02cc48b6e823320543c450f.json";
    let legacy = "79e435d7a515078e81c9dffc35f38d5687ebd3a7.json";
    // AWS_ENDPOINT_URL (without _SSO) also moves the portal.
    let e = env(&[
        ("HOME", home.to_str().unwrap()),
        ("AWS_ENDPOINT_URL", &portal.url),
    ]);
    let get = |name: &str| {
        credentials::from_spec(
            &CredentialsSpec::Profile {
                path: None,
                name: Some(name.into()),
            },
            e.clone(),
        )
        .unwrap()
        .credentials()
    };
    // Expired cached token: the login hint, and the portal is not bothered.
    token_file(corp, "old-token", -60.0);
    let err = get("sso").unwrap_err().to_string();
    assert!(
        err.contains("run `aws sso login --profile sso`") && err.contains("expired"),
        "{err}"
    );
    assert_eq!(portal_calls.load(Ordering::SeqCst), 0);
    // A token the portal no longer accepts: the same hint, with the portal's answer.
    token_file(corp, "revoked-token", 600.0);
    let err = get("sso").unwrap_err().to_string();
    assert!(
        err.contains("aws sso login --profile sso") && err.contains("HTTP 401"),
        "{err}"
    );
    assert!(!err.contains("revoked-token"), "token in error: {err}");
    // Legacy profile (sso_start_url): the cache file is named after the start URL.
    token_file(legacy, "legacy-token", 600.0);
    assert_eq!(get("legacy").unwrap().access_key_id, "ASIALEGACY");
    assert_eq!(portal_calls.load(Ordering::SeqCst), 2);
    let _ = std::fs::remove_dir_all(home);
}

/// Every log line of this test binary, so tests can check that secrets never reach logs.
/// Left out: `ureq_proto`'s TRACE dump of the raw HTTP bytes, which by design holds every
/// header and body, secrets included (see the credentials module docs on logging).
fn captured_logs() -> &'static Mutex<String> {
    struct Capture;
    static LINES: Mutex<String> = Mutex::new(String::new());
    static LOGGER: Capture = Capture;
    impl log::Log for Capture {
        fn enabled(&self, _: &log::Metadata) -> bool {
            true
        }
        fn log(&self, record: &log::Record) {
            if record.target().starts_with("ureq_proto") {
                return;
            }
            let mut l = LINES.lock().unwrap_or_else(|e| e.into_inner());
            l.push_str(&format!("{} {}\n", record.level(), record.args()));
        }
        fn flush(&self) {}
    }
    static INIT: std::sync::Once = std::sync::Once::new();
    INIT.call_once(|| {
        let _ = log::set_logger(&LOGGER);
        log::set_max_level(log::LevelFilter::Trace);
    });
    &LINES
}

/// A loopback Kinesis endpoint: ListStreams succeeds unless the request is signed with a
/// key id for which `expired` returns an error body; records the key id of every request.
fn kinesis_rejecting(
    expired: impl Fn(&str) -> Option<&'static str> + Send + Sync + 'static,
) -> (Responder, Arc<Mutex<Vec<String>>>) {
    let keys = Arc::new(Mutex::new(Vec::new()));
    let k = keys.clone();
    let r = Responder::start(move |req| {
        let akid = signed_akid(req.header("authorization").unwrap_or("")).unwrap_or_default();
        k.lock().unwrap().push(akid.clone());
        match expired(&akid) {
            Some(body) => (400, body.to_string()),
            None => (
                200,
                r#"{"StreamNames":["s"],"HasMoreStreams":false}"#.into(),
            ),
        }
    });
    (r, keys)
}

#[test]
fn kinesis_expired_credential_errors_refresh_the_cache_and_retry_once() {
    use kinesis_wire::model::ListStreamsInput;
    use kinesis_wire::KinesisClient;
    let logs = captured_logs();
    let bodies = [
        r#"{"__type":"ExpiredTokenException","message":"The security token included in the request is expired"}"#,
        r#"{"__type":"ExpiredToken","message":"The security token included in the request is expired"}"#,
        r#"{"__type":"InvalidSignatureException","message":"The security token included in the request is expired"}"#,
    ];
    for body in bodies {
        // Real chain: ASSUME_ROLE over a loopback STS behind the one cache; the first
        // session (ASIA1) is rejected by "Kinesis" as expired although not yet past its
        // Expiration (revoked, clock skew): the client must drop it, get ASIA2 and retry.
        let (sts, sts_calls) = counting_sts(3600.0, Duration::ZERO);
        let (kinesis, keys) = kinesis_rejecting(move |akid| (akid == "ASIA1").then_some(body));
        let client = KinesisClient::builder()
            .endpoint(kinesis.url.clone())
            .region("us-east-1")
            .credentials_spec(assume_role_spec(
                &sts.url,
                basic("AKIDSRC", "srcsecret-log"),
            ))
            .env(env(&[]))
            .build()
            .unwrap();
        let out = client.list_streams(&ListStreamsInput::default()).unwrap();
        assert_eq!(out.stream_names, vec!["s"], "{body}");
        assert_eq!(*keys.lock().unwrap(), vec!["ASIA1", "ASIA2"], "{body}");
        assert_eq!(sts_calls.load(Ordering::SeqCst), 2, "{body}");
        // The fresh session is cached: no STS call for the next request.
        client.list_streams(&ListStreamsInput::default()).unwrap();
        assert_eq!(sts_calls.load(Ordering::SeqCst), 2, "{body}");
        assert_eq!(keys.lock().unwrap().len(), 3);
    }
    // Still expired after the refresh: the error comes back after exactly one retry.
    let (sts, sts_calls) = counting_sts(3600.0, Duration::ZERO);
    let (kinesis, keys) = kinesis_rejecting(move |_| Some(bodies[0]));
    let client = KinesisClient::builder()
        .endpoint(kinesis.url.clone())
        .region("us-east-1")
        .credentials_spec(assume_role_spec(
            &sts.url,
            basic("AKIDSRC", "srcsecret-log"),
        ))
        .env(env(&[]))
        .build()
        .unwrap();
    let err = client
        .list_streams(&ListStreamsInput::default())
        .unwrap_err();
    assert!(err.is_code("ExpiredTokenException"), "{err}");
    assert_eq!(keys.lock().unwrap().len(), 2);
    assert_eq!(sts_calls.load(Ordering::SeqCst), 2);
    // An error that is not about expired credentials is not retried and keeps the cache.
    let (kinesis, keys) = kinesis_rejecting(|_| {
        Some(
            r#"{"__type":"UnrecognizedClientException","message":"The security token included in the request is invalid."}"#,
        )
    });
    let (sts, sts_calls) = counting_sts(3600.0, Duration::ZERO);
    let client = KinesisClient::builder()
        .endpoint(kinesis.url.clone())
        .region("us-east-1")
        .credentials_spec(assume_role_spec(
            &sts.url,
            basic("AKIDSRC", "srcsecret-log"),
        ))
        .env(env(&[]))
        .build()
        .unwrap();
    assert!(client.list_streams(&ListStreamsInput::default()).is_err());
    assert_eq!(keys.lock().unwrap().len(), 1);
    assert_eq!(sts_calls.load(Ordering::SeqCst), 1);
    // The retries were logged, without any secret.
    let text = logs.lock().unwrap().clone();
    assert!(
        text.contains("expired; refreshing and retrying once"),
        "{text}"
    );
    for secret in ["srcsecret-log", "secret1", "secret2", "token1", "token2"] {
        assert!(!text.contains(secret), "{secret} in logs: {text}");
    }
}

/// Checks the cache life of one provider whose source hands out numbered keys that expire
/// an hour after issue: reused at once and 54 minutes later, replaced once the refresh
/// window (the last 5 minutes) is reached on `clock`. `fetches` counts the source's answers.
fn check_short_lived(
    name: &str,
    p: Arc<dyn Provider>,
    clock: &ManualClock,
    fetches: &dyn Fn() -> usize,
) {
    let first = p.credentials().unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(first.expiry.is_some(), "{name}: expiry not parsed");
    assert_eq!(p.credentials().unwrap(), first, "{name}: not cached");
    clock.advance(Duration::from_secs(54 * 60));
    assert_eq!(
        p.credentials().unwrap(),
        first,
        "{name}: refreshed too early"
    );
    assert_eq!(fetches(), 1, "{name}");
    clock.advance(Duration::from_secs(2 * 60));
    let second = p.credentials().unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_ne!(
        second.access_key_id, first.access_key_id,
        "{name}: not refreshed"
    );
    assert_eq!(fetches(), 2, "{name}");
}

#[test]
fn every_expiring_provider_is_refreshed_before_expiry() {
    let home = temp_dir("short");
    // WEB_IDENTITY_TOKEN over STS.
    let (sts, sts_calls) = counting_sts(3600.0, Duration::ZERO);
    std::fs::write(home.join("jwt"), "jwt").unwrap();
    let (wi_ctx, wi_clock) = manual_clock();
    let wi = credentials::from_spec_with(
        &CredentialsSpec::WebIdentityToken {
            role_arn: Some("arn:aws:iam::1:role/r".into()),
            session_name: None,
            token_file: Some(home.join("jwt")),
            sts_endpoint: Some(sts.url.clone()),
        },
        env(&[]),
        &wi_ctx,
    )
    .unwrap();
    // Container endpoint (through AUTO, the way it is reached in practice).
    let ctr_calls = Arc::new(AtomicUsize::new(0));
    let cc = ctr_calls.clone();
    let ctr = Responder::start(move |_| {
        let n = cc.fetch_add(1, Ordering::SeqCst) + 1;
        (
            200,
            format!(
                r#"{{"AccessKeyId":"ASIACTR{n}","SecretAccessKey":"c","Token":"t","Expiration":"{}"}}"#,
                rfc3339_in(3600.0)
            ),
        )
    });
    let ctr_env = env(&[
        ("HOME", home.to_str().unwrap()),
        (
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            &format!("{}/c", ctr.url),
        ),
        ("AWS_EC2_METADATA_DISABLED", "true"),
    ]);
    // Instance metadata.
    let imds_calls = Arc::new(AtomicUsize::new(0));
    let ic = imds_calls.clone();
    let imds = Responder::start(move |req| match (req.method.as_str(), req.path.as_str()) {
        ("PUT", _) => (200, "tok".into()),
        (_, "/latest/meta-data/iam/security-credentials/") => (200, "role".into()),
        _ => {
            let n = ic.fetch_add(1, Ordering::SeqCst) + 1;
            (
                200,
                format!(
                    r#"{{"Code":"Success","AccessKeyId":"ASIAIMDS{n}","SecretAccessKey":"i","Token":"t","Expiration":"{}"}}"#,
                    rfc3339_in(3600.0)
                ),
            )
        }
    });
    let (imds_ctx, imds_clock) = manual_clock();
    let imds_provider: Arc<dyn Provider> = Arc::new(
        CachingProvider::new(Arc::new(ImdsProvider::new(
            env(&[("AWS_EC2_METADATA_SERVICE_ENDPOINT", &imds.url)]),
            &imds_ctx,
        )))
        .with_clock(imds_clock.clone()),
    );
    // credential_process: the script counts its runs in a file.
    let counter = home.join("runs");
    let script = home.join("proc.sh");
    write(
        &script,
        &format!(
            "#!/bin/sh\nn=$(( $(cat {c} 2>/dev/null || echo 0) + 1 ))\necho $n > {c}\n\
             echo \"{{\\\"Version\\\":1,\\\"AccessKeyId\\\":\\\"AKIDPROC$n\\\",\\\"SecretAccessKey\\\":\\\"p\\\",\\\"Expiration\\\":\\\"$(cat {e})\\\"}}\"\n",
            c = counter.display(),
            e = home.join("exp").display()
        ),
    );
    // SSO portal.
    let sso_calls = Arc::new(AtomicUsize::new(0));
    let sc = sso_calls.clone();
    let portal = Responder::start(move |_| {
        let n = sc.fetch_add(1, Ordering::SeqCst) + 1;
        let exp = std::time::SystemTime::now() + Duration::from_secs(3600);
        let ms = exp
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis();
        (
            200,
            format!(
                r#"{{"roleCredentials":{{"accessKeyId":"ASIASSO{n}","secretAccessKey":"s","sessionToken":"t","expiration":{ms}}}}}"#
            ),
        )
    });
    write(
        &home.join(".aws/config"),
        &format!(
            "[profile proc]\ncredential_process = sh {}\n\
             [profile sso]\nsso_start_url = https://short.awsapps.com/start\nsso_region = eu-west-1\n\
             sso_account_id = 1\nsso_role_name = R\n",
            script.display()
        ),
    );
    let sso_key = {
        // The AWS CLI's cache file name: sha1 of the start URL.
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg("printf %s https://short.awsapps.com/start | sha1sum")
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()[..40].to_string()
    };
    write(
        &home.join(format!(".aws/sso/cache/{sso_key}.json")),
        &format!(
            r#"{{"accessToken":"tok","expiresAt":"{}"}}"#,
            rfc3339_in(7200.0)
        ),
    );
    let profile = |name: &str, ctx: &ProviderContext| {
        credentials::from_spec_with(
            &CredentialsSpec::Profile {
                path: None,
                name: Some(name.into()),
            },
            env(&[
                ("HOME", home.to_str().unwrap()),
                ("AWS_ENDPOINT_URL_SSO", &portal.url),
            ]),
            ctx,
        )
        .unwrap()
    };
    let runs = || {
        std::fs::read_to_string(&counter)
            .map(|s| s.trim().parse().unwrap())
            .unwrap_or(0)
    };
    // The script reads its Expiration from a file.
    let exp_file = home.join("exp");
    std::fs::write(&exp_file, rfc3339_in(3600.0)).unwrap();
    let _g = sys_lock(); // AUTO reads the system properties
    std::thread::scope(|s| {
        s.spawn(|| {
            check_short_lived("WEB_IDENTITY_TOKEN", wi, &wi_clock, &|| {
                sts_calls.load(Ordering::SeqCst)
            })
        });
        s.spawn(|| {
            let (ctx, clock) = manual_clock();
            let p =
                credentials::from_spec_with(&CredentialsSpec::Auto, ctr_env.clone(), &ctx).unwrap();
            check_short_lived("CONTAINER", p, &clock, &|| ctr_calls.load(Ordering::SeqCst))
        });
        s.spawn(|| {
            check_short_lived("INSTANCE_METADATA", imds_provider, &imds_clock, &|| {
                imds_calls.load(Ordering::SeqCst)
            })
        });
        s.spawn(|| {
            let (ctx, clock) = manual_clock();
            check_short_lived("SSO", profile("sso", &ctx), &clock, &|| {
                sso_calls.load(Ordering::SeqCst)
            })
        });
        s.spawn(|| {
            let (ctx, clock) = manual_clock();
            let p = profile("proc", &ctx);
            let first = p.credentials().unwrap();
            assert_eq!(
                p.credentials().unwrap(),
                first,
                "credential_process: not cached"
            );
            clock.advance(Duration::from_secs(54 * 60));
            assert_eq!(
                p.credentials().unwrap(),
                first,
                "credential_process: too early"
            );
            assert_eq!(runs(), 1);
            clock.advance(Duration::from_secs(2 * 60));
            assert_eq!(p.credentials().unwrap().access_key_id, "AKIDPROC2");
            assert_eq!(runs(), 2);
        });
    });
    let _ = std::fs::remove_dir_all(home);
}

#[test]
fn callers_keep_valid_credentials_while_one_thread_refreshes() {
    use std::sync::mpsc;
    #[derive(Debug)]
    struct Gated {
        fetches: AtomicUsize,
        entered: Mutex<mpsc::Sender<()>>,
        release: Mutex<mpsc::Receiver<()>>,
        clock: Arc<ManualClock>,
    }
    impl Provider for Gated {
        fn credentials(&self) -> Result<Credentials, CredentialsError> {
            let n = self.fetches.fetch_add(1, Ordering::SeqCst) + 1;
            if n == 1 {
                let exp = self.clock.now() + Duration::from_secs(3600);
                return Ok(Credentials::new("AKIDOLD", "o", None, Some(exp), "gated"));
            }
            self.entered.lock().unwrap().send(()).unwrap();
            // Block until the test lets the refresh finish (bounded).
            let _ = self
                .release
                .lock()
                .unwrap()
                .recv_timeout(Duration::from_secs(10));
            let exp = self.clock.now() + Duration::from_secs(3600);
            Ok(Credentials::new("AKIDNEW", "n", None, Some(exp), "gated"))
        }
    }
    let (entered_tx, entered_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel();
    let clock = ManualClock::new();
    let gated = Arc::new(Gated {
        fetches: AtomicUsize::new(0),
        entered: Mutex::new(entered_tx),
        release: Mutex::new(release_rx),
        clock: clock.clone(),
    });
    let cache = Arc::new(CachingProvider::new(gated.clone()).with_clock(clock.clone()));
    assert_eq!(cache.credentials().unwrap().access_key_id, "AKIDOLD");
    // Into the refresh window (the last 5 minutes), still valid.
    clock.advance(Duration::from_secs(56 * 60));
    let c2 = cache.clone();
    let refresher = std::thread::spawn(move || c2.credentials().unwrap().access_key_id);
    entered_rx
        .recv_timeout(Duration::from_secs(5))
        .expect("the refresh started");
    // While that refresh hangs, other callers get the still-valid credentials and start no
    // fetch of their own. (Had they waited for the refresh, they would have got AKIDNEW,
    // or nothing: the refresh ends only when released below.)
    for _ in 0..4 {
        assert_eq!(cache.credentials().unwrap().access_key_id, "AKIDOLD");
    }
    assert_eq!(gated.fetches.load(Ordering::SeqCst), 2);
    release_tx.send(()).unwrap();
    assert_eq!(refresher.join().unwrap(), "AKIDNEW");
    assert_eq!(cache.credentials().unwrap().access_key_id, "AKIDNEW");
    assert_eq!(gated.fetches.load(Ordering::SeqCst), 2);
}

#[test]
fn endpoint_overrides_and_option_fallbacks() {
    let _g = sys_lock();
    // AWS_ENDPOINT_URL alone moves STS; AWS_ROLE_SESSION_NAME names the session.
    let (sts, _) = counting_sts(3600.0, Duration::ZERO);
    let dir = temp_dir("fallbacks");
    std::fs::write(dir.join("t"), "jwt").unwrap();
    let e = env(&[
        ("AWS_ENDPOINT_URL", &sts.url),
        (
            "AWS_WEB_IDENTITY_TOKEN_FILE",
            dir.join("t").to_str().unwrap(),
        ),
        ("AWS_ROLE_ARN", "arn:aws:iam::1:role/r"),
        ("AWS_ROLE_SESSION_NAME", "env-session"),
    ]);
    let spec = CredentialsSpec::WebIdentityToken {
        role_arn: None,
        session_name: None,
        token_file: None,
        sts_endpoint: None,
    };
    credentials::from_spec(&spec, e)
        .unwrap()
        .credentials()
        .unwrap();
    assert_eq!(
        sts.requests()[0].form("RoleSessionName").as_deref(),
        Some("env-session")
    );
    // SYS_PROP accepts aws.secretAccessKey (the SDK v2 name) as well as aws.secretKey.
    sys_props::set("aws.accessKeyId", "AKIDSYS2");
    sys_props::set("aws.secretAccessKey", "v2secret");
    let c = credentials::from_spec(&CredentialsSpec::SysProp, env(&[]))
        .unwrap()
        .credentials()
        .unwrap();
    assert_eq!(
        (c.access_key_id.as_str(), c.secret_access_key.as_str()),
        ("AKIDSYS2", "v2secret")
    );
    sys_props::clear("aws.accessKeyId");
    sys_props::clear("aws.secretAccessKey");
    // CUSTOM without a name: Flink's message.
    let err = credentials::from_spec(
        &CredentialsSpec::Custom {
            name: String::new(),
        },
        env(&[]),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("No custom AWS credential provider class was provided with config key aws.credentials.provider.custom.class"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn sts_retries_server_errors_and_throttling_then_reports_other_answers() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let sts = Responder::start(move |_| match c.fetch_add(1, Ordering::SeqCst) {
        0 => (503, "<html>Service Unavailable</html>".into()),
        1 => (400, sts_err("Throttling", "Rate exceeded")),
        _ => (
            200,
            sts_ok("AssumeRole", "ASIARETRY", "s", "t", &rfc3339_in(3600.0)),
        ),
    });
    let p = credentials::from_spec(&assume_role_spec(&sts.url, basic("A", "s")), env(&[])).unwrap();
    assert_eq!(p.credentials().unwrap().access_key_id, "ASIARETRY");
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    // An error page that is not an STS error: status and a bounded snippet, retried twice.
    let page = Responder::start(|_| (502, format!("<html>{}</html>", "x".repeat(500))));
    let err = credentials::from_spec(&assume_role_spec(&page.url, basic("A", "s")), env(&[]))
        .unwrap()
        .credentials()
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("HTTP 502: unexpected response: <html>xxx"),
        "{err}"
    );
    assert!(err.len() < 600, "{err}");
    assert_eq!(page.count(), 3);
}

#[test]
fn many_requests_rejecting_the_same_credentials_cause_one_refresh() {
    // 8 requests signed with the same session fail as expired at about the same time; each
    // reports it. One refresh must follow, not eight (STS would throttle a whole fleet).
    let (sts, calls) = counting_sts(3600.0, Duration::from_millis(50));
    let p = credentials::from_spec(&assume_role_spec(&sts.url, basic("A", "s")), env(&[])).unwrap();
    let used = p.credentials().unwrap();
    assert_eq!(used.access_key_id, "ASIA1");
    let barrier = Arc::new(std::sync::Barrier::new(8));
    let handles: Vec<_> = (0..8)
        .map(|i| {
            let (p, used, barrier) = (p.clone(), used.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                // Stagger the reports: some arrive after the refresh has finished.
                std::thread::sleep(Duration::from_millis(30 * i));
                p.invalidate_rejected(&used);
                p.credentials().unwrap().access_key_id
            })
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), "ASIA2");
    }
    assert_eq!(
        calls.load(Ordering::SeqCst),
        2,
        "one refresh for eight reports"
    );
    // Rejecting credentials the cache no longer holds changes nothing ...
    p.invalidate_rejected(&used);
    assert_eq!(p.credentials().unwrap().access_key_id, "ASIA2");
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    // ... rejecting the current ones fetches again, and invalidate() always does.
    let current = p.credentials().unwrap();
    p.invalidate_rejected(&current);
    assert_eq!(p.credentials().unwrap().access_key_id, "ASIA3");
    p.invalidate();
    assert_eq!(p.credentials().unwrap().access_key_id, "ASIA4");
}

#[test]
fn imds_without_role_or_enabled_service_and_assume_role_without_names() {
    // An instance without a role: "nothing here", so AUTO may report it with the rest.
    let no_role = Responder::start(|req| match req.method.as_str() {
        "PUT" => (200, "tok".into()),
        _ => (404, String::new()),
    });
    let e = env(&[("AWS_EC2_METADATA_SERVICE_ENDPOINT", &no_role.url)]);
    let err = ImdsProvider::new(e, &ProviderContext::default())
        .credentials()
        .unwrap_err();
    assert!(
        matches!(err, CredentialsError::NotFound { .. }) && err.to_string().contains("no IAM role"),
        "{err}"
    );
    // IMDS turned off on the instance (token PUT answers 403): said so, not retried.
    let off = Responder::start(|_| (403, String::new()));
    let e = env(&[("AWS_EC2_METADATA_SERVICE_ENDPOINT", &off.url)]);
    let err = ImdsProvider::new(e, &ProviderContext::default())
        .credentials()
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("HTTP 403") && err.contains("disabled"),
        "{err}"
    );
    assert_eq!(off.count(), 1);
    // ASSUME_ROLE needs a role ARN and a session name (SDK v1's message, with the options).
    for (arn, session) in [("", "s"), ("arn:aws:iam::1:role/r", "")] {
        let spec = CredentialsSpec::AssumeRole {
            role_arn: arn.into(),
            session_name: session.into(),
            external_id: None,
            sts_endpoint: Some("http://127.0.0.1:9".into()),
            provider: Box::new(basic("A", "s")),
        };
        let err = credentials::from_spec(&spec, env(&[]))
            .unwrap()
            .credentials()
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("You must specify a value for roleArn and roleSessionName"),
            "{err}"
        );
    }
}

#[test]
fn container_full_uri_over_https_with_a_custom_ca() {
    let (url, served) = support::https_responder(4, || {
        r#"{"AccessKeyId":"ASIACTRTLS","SecretAccessKey":"s","Token":"t"}"#.into()
    });
    let ca = support::fixture("ca.pem");
    let e = env(&[
        (
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            &format!("{url}/creds"),
        ),
        ("AWS_CA_BUNDLE", ca.to_str().unwrap()),
    ]);
    // Through AUTO, which picks up AWS_CA_BUNDLE from the environment source.
    let _g = sys_lock();
    let c = credentials::from_spec(&CredentialsSpec::Auto, e)
        .unwrap()
        .credentials()
        .unwrap();
    assert_eq!(c.access_key_id, "ASIACTRTLS");
    // Without the CA the certificate is refused and no request gets through.
    let e = env(&[(
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        &format!("{url}/creds"),
    )]);
    let err = ContainerProvider::new(e, &ProviderContext::default())
        .credentials()
        .unwrap_err()
        .to_string();
    assert!(
        err.to_ascii_lowercase().contains("certificate") || err.contains("UnknownIssuer"),
        "{err}"
    );
    assert_eq!(served.load(Ordering::SeqCst), 1);
}
