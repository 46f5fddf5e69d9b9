//! Error messages quote pieces of failed responses (and of `credential_process`'s stderr)
//! to say what went wrong. An endpoint, a proxy or a process that echoes the request's
//! secrets (a web identity token, a session token, an SSO or container authorization
//! token, credentials printed to the wrong stream) must not get them into the error.

#[path = "credentials_support/mod.rs"]
mod support;

use std::sync::Arc;

use kinesis_wire::credentials::{self, ContainerProvider, Provider, ProviderContext};
use kinesis_wire::env::{MapEnv, SharedEnv};
use kinesis_wire::CredentialsSpec;
use support::{rfc3339_in, temp_dir, Responder};

fn env(pairs: &[(&str, &str)]) -> SharedEnv {
    Arc::new(MapEnv::from_pairs(
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())),
    ))
}

fn assert_hidden(err: &str, secrets: &[&str]) {
    for s in secrets {
        assert!(!err.contains(s), "the error shows {s}: {err}");
    }
}

#[test]
fn sts_errors_do_not_echo_the_web_identity_token_or_session_token() {
    // The STS message quotes the token it was sent.
    let sts = Responder::start(|req| {
        let token = req.form("WebIdentityToken").unwrap_or_default();
        (
            400,
            format!(
                "<ErrorResponse><Error><Code>InvalidIdentityToken</Code>\
                 <Message>Token {token} could not be validated</Message></Error></ErrorResponse>"
            ),
        )
    });
    let dir = temp_dir("echo-wi");
    let file = dir.join("token");
    std::fs::write(&file, "eyJWebIdentityEcho.payload.sig").unwrap();
    let spec = CredentialsSpec::WebIdentityToken {
        role_arn: Some("arn:aws:iam::1:role/r".into()),
        session_name: Some("s".into()),
        token_file: Some(file),
        sts_endpoint: Some(sts.url.clone()),
    };
    let err = credentials::from_spec(&spec, env(&[]))
        .unwrap()
        .credentials()
        .unwrap_err()
        .to_string();
    assert!(err.contains("InvalidIdentityToken"), "{err}");
    assert_hidden(&err, &["eyJWebIdentityEcho"]);

    // A proxy answers with an error page that dumps the request headers.
    let proxy = Responder::start(|req| {
        let dump: String = req
            .headers
            .iter()
            .map(|(k, v)| format!("{k}: {v}\n"))
            .collect();
        (403, format!("Forbidden\n{dump}"))
    });
    let spec = CredentialsSpec::AssumeRole {
        role_arn: "arn:aws:iam::1:role/r".into(),
        session_name: "s".into(),
        external_id: None,
        sts_endpoint: Some(proxy.url.clone()),
        provider: Box::new(CredentialsSpec::Basic {
            access_key_id: "AKIDSOURCE".into(),
            secret_access_key: "SourceSecretEcho".into(),
            session_token: Some("SourceSessionTokenEcho".into()),
        }),
    };
    let err = credentials::from_spec(&spec, env(&[]))
        .unwrap()
        .credentials()
        .unwrap_err()
        .to_string();
    assert!(err.contains("HTTP 403"), "{err}");
    assert_hidden(&err, &["SourceSessionTokenEcho", "Signature="]);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn container_and_sso_errors_do_not_echo_their_tokens() {
    let echo = Responder::start(|req| {
        let token = req
            .header("authorization")
            .or(req.header("x-amz-sso_bearer_token"))
            .unwrap_or("");
        (403, format!("request with {token} denied"))
    });
    let e = env(&[
        (
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            &format!("{}/creds", echo.url),
        ),
        ("AWS_CONTAINER_AUTHORIZATION_TOKEN", "ContainerTokenEcho"),
    ]);
    let err = ContainerProvider::new(e, &ProviderContext::default())
        .credentials()
        .unwrap_err()
        .to_string();
    assert!(err.contains("HTTP 403") && err.contains("denied"), "{err}");
    assert_hidden(&err, &["ContainerTokenEcho"]);

    let home = temp_dir("echo-sso");
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
            r#"{{"accessToken":"SsoTokenEcho","expiresAt":"{}"}}"#,
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
        ("AWS_ENDPOINT_URL_SSO", &echo.url),
    ]);
    let err = credentials::from_spec(&spec, e)
        .unwrap()
        .credentials()
        .unwrap_err()
        .to_string();
    assert!(err.contains("HTTP 403") && err.contains("denied"), "{err}");
    assert_hidden(&err, &["SsoTokenEcho"]);
    let _ = std::fs::remove_dir_all(home);
}

#[cfg(unix)]
#[test]
fn credential_process_stderr_is_quoted_without_credentials() {
    let dir = temp_dir("echo-process");
    let config = dir.join("config");
    std::fs::write(
        &config,
        "[profile p]\ncredential_process = sh -c 'echo \"{\\\"Version\\\": 1, \
         \\\"AccessKeyId\\\": \\\"AKID\\\", \\\"SecretAccessKey\\\": \\\"StderrSecretEcho\\\", \
         \\\"SessionToken\\\": \\\"StderrTokenEcho\\\"}\" >&2; echo oops >&2; exit 1'\n",
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
        name: Some("p".into()),
    };
    let err = credentials::from_spec(&spec, e)
        .unwrap()
        .credentials()
        .unwrap_err()
        .to_string();
    assert!(err.contains("exited with") && err.contains("oops"), "{err}");
    assert_hidden(&err, &["StderrSecretEcho", "StderrTokenEcho"]);
    let _ = std::fs::remove_dir_all(dir);
}
