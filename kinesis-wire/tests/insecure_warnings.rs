//! A warning, once per endpoint, when traffic is not protected: plain http to another
//! host, or https with `aws.trust.all.certificates` (Kinesis, STS, SSO, container).
//! Loopback http is the test servers' normal setup and stays quiet.

#[path = "credentials_support/mod.rs"]
mod support;

use std::sync::{Arc, Mutex, OnceLock};

use kinesis_wire::credentials::{self, ProviderContext, StaticProvider};
use kinesis_wire::env::{MapEnv, SharedEnv};
use kinesis_wire::{credentials::Credentials, CredentialsSpec, KinesisClient};
use log::{Log, Metadata, Record};
use support::{https_responder, rfc3339_in, sts_ok, temp_dir};

struct Capture(Mutex<Vec<String>>);

impl Log for Capture {
    fn enabled(&self, m: &Metadata) -> bool {
        m.level() <= log::Level::Warn
    }
    fn log(&self, r: &Record) {
        if self.enabled(r.metadata()) {
            self.0.lock().unwrap().push(r.args().to_string());
        }
    }
    fn flush(&self) {}
}

/// The warnings logged so far in this test binary.
fn warnings() -> &'static Capture {
    static CAPTURE: OnceLock<&'static Capture> = OnceLock::new();
    CAPTURE.get_or_init(|| {
        let c: &'static Capture = Box::leak(Box::new(Capture(Mutex::new(Vec::new()))));
        log::set_logger(c).unwrap();
        log::set_max_level(log::LevelFilter::Warn);
        c
    })
}

fn count(containing: &str) -> usize {
    warnings()
        .0
        .lock()
        .unwrap()
        .iter()
        .filter(|w| w.contains(containing))
        .count()
}

fn client(endpoint: &str, trust_all: bool) -> KinesisClient {
    KinesisClient::builder()
        .endpoint(endpoint)
        .region("us-east-1")
        .trust_all_certificates(trust_all)
        .credentials(Arc::new(StaticProvider::new(Credentials::new(
            "AKID", "s", None, None, "BASIC",
        ))))
        .env(Arc::new(MapEnv::default()))
        .build()
        .unwrap()
}

fn env(pairs: &[(&str, &str)]) -> SharedEnv {
    Arc::new(MapEnv::from_pairs(
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())),
    ))
}

#[test]
fn kinesis_endpoints_warn_once_each() {
    warnings();
    // Building the client is enough (nothing is sent to these hosts).
    for _ in 0..3 {
        client("http://kinesis.plain.invalid:4567", false);
        client("https://kinesis.unchecked.invalid", true);
        client("http://127.0.0.1:4567", true);
        client("https://kinesis.checked.invalid", false);
    }
    assert_eq!(
        count("Kinesis endpoint http://kinesis.plain.invalid:4567: plain http"),
        1
    );
    assert_eq!(
        count(
            "Kinesis endpoint https://kinesis.unchecked.invalid: TLS certificates are not verified"
        ),
        1
    );
    assert_eq!(count("127.0.0.1:4567"), 0);
    assert_eq!(count("kinesis.checked.invalid"), 0);
}

#[test]
fn credential_endpoints_warn_when_certificates_are_not_checked() {
    warnings();
    let ctx = ProviderContext::default()
        .with_region("us-east-1")
        .with_trust_all_certificates(true);

    // STS (ASSUME_ROLE), twice: one warning.
    let (sts, _) = https_responder(2, || {
        sts_ok("AssumeRole", "ASIAX", "s", "t", &rfc3339_in(3600.0))
    });
    let spec = CredentialsSpec::AssumeRole {
        role_arn: "arn:aws:iam::1:role/r".into(),
        session_name: "s".into(),
        external_id: None,
        sts_endpoint: Some(sts.clone()),
        provider: Box::new(CredentialsSpec::Basic {
            access_key_id: "A".into(),
            secret_access_key: "s".into(),
            session_token: None,
        }),
    };
    for _ in 0..2 {
        let p = credentials::from_spec_with(&spec, env(&[]), &ctx).unwrap();
        assert_eq!(p.credentials().unwrap().access_key_id, "ASIAX");
    }
    assert_eq!(
        count(&format!(
            "STS endpoint {sts}: TLS certificates are not verified"
        )),
        1
    );

    // The container endpoint.
    let (container, _) = https_responder(1, || {
        r#"{"AccessKeyId":"ASIAC","SecretAccessKey":"s","Token":"t"}"#.into()
    });
    let e = env(&[(
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        &format!("{container}/creds"),
    )]);
    let p = credentials::ContainerProvider::new(e, &ctx);
    assert_eq!(
        kinesis_wire::credentials::Provider::credentials(&p)
            .unwrap()
            .access_key_id,
        "ASIAC"
    );
    assert_eq!(
        count(&format!(
            "container credentials endpoint {container}: TLS certificates are not verified"
        )),
        1
    );

    // The SSO portal.
    let (sso, _) = https_responder(1, || {
        r#"{"roleCredentials":{"accessKeyId":"ASIAS","secretAccessKey":"s","sessionToken":"t","expiration":4102444800000}}"#.into()
    });
    let home = temp_dir("insecure-sso");
    std::fs::create_dir_all(home.join(".aws/sso/cache")).unwrap();
    std::fs::write(
        home.join(".aws/config"),
        "[profile sso]\nsso_session = corp\nsso_account_id = 1\nsso_role_name = R\n\
         [sso-session corp]\nsso_start_url = https://x.invalid/start\nsso_region = eu-west-1\n",
    )
    .unwrap();
    // sha1("corp"): the AWS CLI's cache file name for session `corp`.
    std::fs::write(
        home.join(".aws/sso/cache/ee0bfd2552fbd840c02cc48b6e823320543c450f.json"),
        format!(
            r#"{{"accessToken":"t","expiresAt":"{}"}}"#,
            rfc3339_in(600.0)
        ),
    )
    .unwrap();
    let spec = CredentialsSpec::Profile {
        path: None,
        name: Some("sso".into()),
    };
    let e = env(&[
        ("HOME", home.to_str().unwrap()),
        ("AWS_ENDPOINT_URL_SSO", &sso),
    ]);
    let p = credentials::from_spec_with(&spec, e, &ctx).unwrap();
    assert_eq!(p.credentials().unwrap().access_key_id, "ASIAS");
    assert_eq!(
        count(&format!(
            "SSO endpoint {sso}: TLS certificates are not verified"
        )),
        1
    );
    let _ = std::fs::remove_dir_all(home);
}
