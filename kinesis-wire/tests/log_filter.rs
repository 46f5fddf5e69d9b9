//! `log_filter::SecretSafeLog` against real traffic: with every record enabled at trace, the
//! HTTP stack logs the session token and the STS reply's secret key (hex-dumped, 16 bytes a
//! row); the wrapped logger lets none of it through, and still passes our own records.

#[path = "credentials_support/mod.rs"]
mod support;

use std::sync::{Arc, Mutex, OnceLock};

use kinesis_wire::credentials::{self, StaticProvider};
use kinesis_wire::log_filter::SecretSafeLog;
use kinesis_wire::model::ListStreamsInput;
use kinesis_wire::{credentials::Credentials, CredentialsSpec, KinesisClient};
use log::{Log, Metadata, Record};
use support::{rfc3339_in, sts_ok, Responder};

/// Records every line it is given: `target: message`.
#[derive(Default)]
struct Capture(Mutex<Vec<String>>);

impl Log for Capture {
    fn enabled(&self, _: &Metadata) -> bool {
        true
    }
    fn log(&self, record: &Record) {
        self.0
            .lock()
            .unwrap()
            .push(format!("{}: {}", record.target(), record.args()));
    }
    fn flush(&self) {}
}

/// Hands every record to a raw capture and to a capture behind `SecretSafeLog`.
struct Tee {
    raw: &'static Capture,
    safe: SecretSafeLog<&'static Capture>,
}

impl Log for Tee {
    fn enabled(&self, _: &Metadata) -> bool {
        true
    }
    fn log(&self, record: &Record) {
        self.raw.log(record);
        if self.safe.enabled(record.metadata()) {
            self.safe.log(record);
        }
    }
    fn flush(&self) {}
}

fn captures() -> (&'static Capture, &'static Capture) {
    static RAW: OnceLock<Capture> = OnceLock::new();
    static SAFE: OnceLock<Capture> = OnceLock::new();
    static INSTALLED: OnceLock<()> = OnceLock::new();
    let raw = RAW.get_or_init(Capture::default);
    let safe = SAFE.get_or_init(Capture::default);
    INSTALLED.get_or_init(|| {
        log::set_boxed_logger(Box::new(Tee {
            raw,
            safe: SecretSafeLog::new(safe),
        }))
        .unwrap();
        log::set_max_level(log::LevelFilter::Trace);
    });
    (raw, safe)
}

/// The captured lines, with hex-dump rows decoded and joined (a secret may span rows).
fn text(c: &Capture) -> String {
    let lines = c.0.lock().unwrap().clone();
    let mut bytes = Vec::new();
    for l in &lines {
        let message = l.split_once(": ").map_or("", |(_, m)| m);
        let groups: Vec<&str> = message.split(' ').take(8).collect();
        if groups.len() == 8
            && groups
                .iter()
                .all(|g| g.len() == 4 && g.chars().all(|c| c.is_ascii_hexdigit() || c == '-'))
        {
            for g in groups {
                for pair in [&g[..2], &g[2..]] {
                    if let Ok(b) = u8::from_str_radix(pair, 16) {
                        bytes.push(b);
                    }
                }
            }
        }
    }
    format!("{}\n{}", lines.join("\n"), String::from_utf8_lossy(&bytes))
}

#[test]
fn wire_bytes_are_dropped_and_our_records_kept() {
    let (raw, safe) = captures();
    let kinesis =
        Responder::start(|_| (200, r#"{"StreamNames":[],"HasMoreStreams":false}"#.into()));
    let sts = Responder::start(|_| {
        (
            200,
            sts_ok(
                "AssumeRole",
                "ASIALOGCHECK",
                "StsSecretForLogCheck",
                "StsTokenForLogCheck",
                &rfc3339_in(3600.0),
            ),
        )
    });

    // Static keys with a session token: the token and the signature go on the wire.
    let client = KinesisClient::builder()
        .endpoint(&kinesis.url)
        .region("us-east-1")
        .credentials(Arc::new(StaticProvider::new(Credentials::new(
            "AKIDLOGCHECK",
            "unused",
            Some("BasicTokenForLogCheck".into()),
            None,
            "BASIC",
        ))))
        .build()
        .unwrap();
    client.list_streams(&ListStreamsInput::default()).unwrap();

    // ASSUME_ROLE: the STS reply carries a secret key and a session token.
    let spec = CredentialsSpec::AssumeRole {
        role_arn: "arn:aws:iam::123456789012:role/r".into(),
        session_name: "s".into(),
        external_id: None,
        sts_endpoint: Some(sts.url.clone()),
        provider: Box::new(CredentialsSpec::Basic {
            access_key_id: "AKIDSOURCE".into(),
            secret_access_key: "unused".into(),
            session_token: None,
        }),
    };
    let provider =
        credentials::from_spec(&spec, Arc::new(kinesis_wire::env::MapEnv::default())).unwrap();
    assert_eq!(
        provider.credentials().unwrap().access_key_id,
        "ASIALOGCHECK"
    );
    log::info!("a record of our own");

    let raw = text(raw);
    let safe = text(safe);
    let secrets = [
        "BasicTokenForLogCheck",
        "StsSecretForLogCheck",
        "StsTokenForLogCheck",
        "Signature=",
    ];
    // Unfiltered, the HTTP stack really logs them (so the check below means something).
    for s in secrets {
        assert!(
            raw.contains(s),
            "the raw log lacks {s}: the test saw no wire bytes"
        );
    }
    for s in secrets {
        assert!(!safe.contains(s), "{s} passed the filter:\n{safe}");
    }
    assert!(!safe.contains("ureq_proto"), "{safe}");
    assert!(safe.contains("a record of our own"), "{safe}");
}
