//! TLS settings against a loopback HTTPS responder whose certificate (SAN 127.0.0.1) is
//! signed by a test CA (`tests/fixtures/ca.pem`): unknown CA fails as a TLS error, the CA
//! bundle (from the config or `AWS_CA_BUNDLE`) is trusted (instead of the bundled roots), and
//! `trust_all_certificates` skips verification.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::Arc;

use kinesis_wire::credentials::StaticProvider;
use kinesis_wire::model::ListStreamsInput;
use kinesis_wire::{
    credentials::Credentials, env::MapEnv, ClientBuilder, KinesisClient, TransportErrorKind,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Serves up to `n` connections over TLS, answering each request with an empty ListStreams.
fn https_responder(n: usize) -> String {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(fixture("server.pem"))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_file(fixture("server.key")).unwrap();
    let cfg = Arc::new(
        rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap(),
    );
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("https://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for tcp in listener.incoming().take(n) {
            let Ok(tcp) = tcp else { continue };
            let conn = rustls::ServerConnection::new(cfg.clone()).unwrap();
            let mut tls = rustls::StreamOwned::new(conn, tcp);
            let mut reader = BufReader::new(&mut tls);
            let mut len = 0usize;
            let mut line = String::new();
            let mut ok = false;
            loop {
                line.clear();
                match reader.read_line(&mut line) {
                    Ok(0) | Err(_) => break, // e.g. the client rejected our certificate
                    Ok(_) => {}
                }
                let l = line.trim_end();
                if l.is_empty() {
                    ok = true;
                    break;
                }
                if let Some((k, v)) = l.split_once(':') {
                    if k.eq_ignore_ascii_case("content-length") {
                        len = v.trim().parse().unwrap_or(0);
                    }
                }
            }
            if !ok {
                continue;
            }
            let mut body = vec![0; len];
            if reader.read_exact(&mut body).is_err() {
                continue;
            }
            let resp = r#"{"StreamNames":["tls-ok"],"HasMoreStreams":false}"#;
            let _ = write!(
                tls,
                "HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{resp}",
                resp.len()
            );
            let _ = tls.flush();
            tls.conn.send_close_notify();
            let _ = tls.flush();
        }
    });
    url
}

fn builder(url: &str) -> ClientBuilder {
    KinesisClient::builder()
        .endpoint(url)
        .region("us-east-1")
        .credentials(Arc::new(StaticProvider::new(Credentials::new(
            "test", "test", None, None, "BASIC",
        ))))
        // Keep the injected environment empty so a real AWS_CA_BUNDLE cannot interfere.
        .env(Arc::new(MapEnv::default()))
}

fn list(c: &KinesisClient) -> Result<Vec<String>, kinesis_wire::KinesisError> {
    c.list_streams(&ListStreamsInput::default())
        .map(|o| o.stream_names)
}

#[test]
fn unknown_ca_is_a_tls_error_that_is_not_retried() {
    let url = https_responder(1);
    let e = list(&builder(&url).build().unwrap()).unwrap_err();
    assert_eq!(e.transport_kind(), Some(TransportErrorKind::Tls), "{e}");
    assert!(!e.is_retryable());
}

#[test]
fn ca_bundle_from_config_is_trusted() {
    let url = https_responder(1);
    let c = builder(&url).ca_bundle(fixture("ca.pem")).build().unwrap();
    assert_eq!(list(&c).unwrap(), ["tls-ok"]);
}

#[test]
fn ca_bundle_from_aws_ca_bundle_env_is_trusted() {
    let url = https_responder(1);
    let env = MapEnv::from_pairs([(
        "AWS_CA_BUNDLE",
        fixture("ca.pem").to_string_lossy().into_owned(),
    )]);
    let c = builder(&url).env(Arc::new(env)).build().unwrap();
    assert_eq!(list(&c).unwrap(), ["tls-ok"]);
}

#[test]
fn trust_all_certificates_skips_verification() {
    let url = https_responder(1);
    let c = builder(&url).trust_all_certificates(true).build().unwrap();
    assert_eq!(list(&c).unwrap(), ["tls-ok"]);
}
