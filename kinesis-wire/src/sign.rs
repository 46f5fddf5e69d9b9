//! SigV4 request signing through aws-sigv4 (synchronous; no runtime).

use std::time::SystemTime;

use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;

use crate::credentials::Credentials;
use crate::transport::HttpRequest;

/// Why a request could not be signed: its URL or a header cannot be signed (not valid
/// HTTP), or the signing parameters are incomplete.
///
/// ```
/// use kinesis_wire::{sign_request, credentials::Credentials, transport::HttpRequest};
/// let creds = Credentials::new("AKID", "secret", None, None, "BASIC");
/// let mut req = HttpRequest::post("not a url", Vec::new());
/// let e = sign_request(&mut req, &creds, "us-east-1", "kinesis", std::time::SystemTime::now())
///     .unwrap_err();
/// assert!(e.to_string().starts_with("cannot sign the request: "), "{e}");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignError {
    message: String,
}

impl SignError {
    /// What could not be signed.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl std::fmt::Display for SignError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot sign the request: {}", self.message)
    }
}

impl std::error::Error for SignError {}

fn sign_error(message: String) -> SignError {
    SignError { message }
}

/// Signs `req` in place for `service` in `region` at `time`: adds `x-amz-date`,
/// `authorization` and, with a session token, `x-amz-security-token`. Every header already
/// in `req` is signed (keep `user-agent` out until after signing, as botocore does).
///
/// ```
/// use kinesis_wire::{sign_request, credentials::Credentials, transport::HttpRequest};
/// let creds = Credentials::new("AKID", "secret", None, None, "BASIC");
/// let mut req = HttpRequest::post("https://kinesis.us-east-1.amazonaws.com/", b"{}".to_vec())
///     .with_header("x-amz-target", "Kinesis_20131202.ListStreams");
/// sign_request(&mut req, &creds, "us-east-1", "kinesis", std::time::SystemTime::now()).unwrap();
/// assert!(req.header("authorization").unwrap().starts_with("AWS4-HMAC-SHA256 Credential=AKID/"));
/// ```
pub fn sign_request(
    req: &mut HttpRequest,
    creds: &Credentials,
    region: &str,
    service: &str,
    time: SystemTime,
) -> Result<(), SignError> {
    sign_request_with(req, creds, region, service, time, false)
}

/// [`sign_request`], optionally adding (and signing) `x-amz-content-sha256`, which Kinesis
/// does not require and botocore does not send unless asked.
pub fn sign_request_with(
    req: &mut HttpRequest,
    creds: &Credentials,
    region: &str,
    service: &str,
    time: SystemTime,
    content_sha256_header: bool,
) -> Result<(), SignError> {
    let mut settings = SigningSettings::default();
    if content_sha256_header {
        settings.payload_checksum_kind = aws_sigv4::http_request::PayloadChecksumKind::XAmzSha256;
    }
    let aws_creds = aws_credential_types::Credentials::new(
        creds.access_key_id.clone(),
        creds.secret_access_key.clone(),
        creds.session_token.clone(),
        creds.expiry,
        creds.provider_name,
    );
    let identity = aws_creds.into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(service)
        .time(time)
        .settings(settings)
        .build()
        .map_err(|e| sign_error(format!("signing parameters: {e}")))?
        .into();
    let signable = SignableRequest::new(
        req.method.as_str(),
        req.url.as_str(),
        req.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        SignableBody::Bytes(&req.body),
    )
    .map_err(|e| sign_error(e.to_string()))?;
    let (instructions, _signature) = sign(signable, &params)
        .map_err(|e| sign_error(e.to_string()))?
        .into_parts();
    let (headers, _params) = instructions.into_parts();
    for h in headers {
        req.headers
            .push((h.name().to_string(), h.value().to_string()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    // Inputs of the botocore 1.44.8 cross-check (spec: rust-dependencies.md §3): the AWS
    // SigV4 test-suite credentials and session token, 2015-08-30T12:36:00Z.
    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    const TOKEN: &str = "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";

    fn fixed_time() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_440_938_160) // 2015-08-30T12:36:00Z
    }

    fn list_streams_request() -> HttpRequest {
        HttpRequest {
            method: crate::transport::Method::Post,
            url: "https://kinesis.us-east-1.amazonaws.com/".into(),
            headers: vec![
                ("content-type".into(), "application/x-amz-json-1.1".into()),
                ("x-amz-target".into(), "Kinesis_20131202.ListStreams".into()),
            ],
            body: br#"{"Limit":10}"#.to_vec(),
        }
    }

    fn creds() -> Credentials {
        Credentials {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: SECRET.into(),
            session_token: Some(TOKEN.into()),
            expiry: None,
            provider_name: "test",
        }
    }

    #[test]
    fn matches_botocore_vector_without_content_sha256() {
        let mut req = list_streams_request();
        sign_request(&mut req, &creds(), "us-east-1", "kinesis", fixed_time()).unwrap();
        assert_eq!(req.header("x-amz-date"), Some("20150830T123600Z"));
        assert_eq!(req.header("x-amz-security-token"), Some(TOKEN));
        assert_eq!(
            req.header("authorization"),
            Some(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/kinesis/aws4_request, \
                 SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, \
                 Signature=3e2fcbf21666f4fdd4b04a18cfbfa76344a89ed38816e00c9e714560a15912e6"
            )
        );
    }

    #[test]
    fn matches_botocore_vector_with_content_sha256_header() {
        let mut req = list_streams_request();
        sign_request_with(
            &mut req,
            &creds(),
            "us-east-1",
            "kinesis",
            fixed_time(),
            true,
        )
        .unwrap();
        assert_eq!(
            req.header("x-amz-content-sha256"),
            Some("7323ae808f32f1a67f80c52911966937e5b960c236a8de953aec7c984492feb0")
        );
        assert_eq!(
            req.header("authorization"),
            Some(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/kinesis/aws4_request, \
                 SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token;x-amz-target, \
                 Signature=85ba7d7e49b482872964eebed4397509afcb360adbce8a9d110fe7168ba179a6"
            )
        );
    }

    #[test]
    fn no_token_header_without_session_token() {
        let mut req = list_streams_request();
        let mut c = creds();
        c.session_token = None;
        sign_request(&mut req, &c, "eu-west-1", "kinesis", fixed_time()).unwrap();
        assert_eq!(req.header("x-amz-security-token"), None);
        let auth = req.header("authorization").unwrap();
        assert!(
            auth.contains("/20150830/eu-west-1/kinesis/aws4_request"),
            "{auth}"
        );
        assert!(auth.contains("SignedHeaders=content-type;host;x-amz-date;x-amz-target,"));
    }
}
