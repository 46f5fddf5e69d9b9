//! Answers the proxy sends itself, in the error shapes AWS services use.

use serde_json::json;

use crate::http1::Message;

/// An answer the proxy sends itself.
///
/// ```
/// use kinesis_tests::fault_proxy::Reply;
/// let r = Reply::xml_error(403, "SignatureDoesNotMatch", "wrong signature");
/// assert_eq!(r.status, 403);
/// assert!(String::from_utf8(r.body).unwrap().contains("<Code>SignatureDoesNotMatch</Code>"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// Headers besides `Content-Length` (always added) and `x-amzn-RequestId` (added when
    /// absent).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Reply {
    /// Any status, headers and body.
    pub fn raw(status: u16, headers: &[(&str, &str)], body: impl Into<Vec<u8>>) -> Reply {
        Reply {
            status,
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: body.into(),
        }
    }

    /// A status with an empty body and no error type (e.g. a bare 500 or 503).
    pub fn empty(status: u16) -> Reply {
        Reply::raw(status, &[], Vec::new())
    }

    /// A Kinesis JSON error: `{"__type": error_type, "message": message}`.
    pub fn json_error(status: u16, error_type: &str, message: &str) -> Reply {
        Reply::raw(
            status,
            &[("content-type", "application/x-amz-json-1.1")],
            json!({"__type": error_type, "message": message}).to_string(),
        )
    }

    /// An AWS Query-style XML error, as moto sends for signature and IAM failures:
    /// `<ErrorResponse><Errors><Error><Code>…`.
    pub fn xml_error(status: u16, code: &str, message: &str) -> Reply {
        let body = format!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<ErrorResponse><Errors><Error><Code>{}</Code><Message>{}</Message><Type>Sender</Type></Error></Errors></ErrorResponse>",
            xml_escape(code),
            xml_escape(message)
        );
        Reply::raw(status, &[("content-type", "text/xml")], body)
    }

    /// An error named only by the `x-amzn-ErrorType` header, with an empty body.
    pub fn header_only(status: u16, error_type: &str) -> Reply {
        Reply::raw(status, &[("x-amzn-ErrorType", error_type)], Vec::new())
    }

    /// 400 `ProvisionedThroughputExceededException`, as Kinesis throttles a shard.
    pub fn throughput_exceeded() -> Reply {
        Reply::json_error(
            400,
            "ProvisionedThroughputExceededException",
            "Rate exceeded for shard shardId-000000000000 (fault proxy)",
        )
    }

    /// 400 `ThrottlingException`, as AWS throttles a control-plane call.
    pub fn throttling() -> Reply {
        Reply::json_error(400, "ThrottlingException", "Rate exceeded (fault proxy)")
    }

    pub(super) fn to_bytes(&self, close: bool) -> Vec<u8> {
        let mut head = Message {
            start_line: format!("HTTP/1.1 {} {}", self.status, reason(self.status)),
            headers: self.headers.clone(),
            body: Vec::new(),
        };
        if head.header("x-amzn-requestid").is_none() {
            head.headers
                .push(("x-amzn-RequestId".into(), "fault-proxy".into()));
        }
        let extra: &[(&str, &str)] = if close {
            &[("connection", "close")]
        } else {
            &[]
        };
        head.to_bytes_with_body(&self.body, true, extra)
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "X",
    }
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_have_the_three_error_shapes() {
        let text = |r: &Reply| String::from_utf8(r.to_bytes(false)).unwrap();
        let json = text(&Reply::json_error(403, "AccessDeniedException", "no"));
        assert!(json.starts_with("HTTP/1.1 403 Forbidden\r\n"), "{json}");
        assert!(
            json.ends_with(r#"{"__type":"AccessDeniedException","message":"no"}"#),
            "{json}"
        );
        let xml = text(&Reply::xml_error(403, "AccessDenied", "a<b"));
        assert!(
            xml.contains("<Code>AccessDenied</Code><Message>a&lt;b</Message>"),
            "{xml}"
        );
        let bare = text(&Reply::header_only(403, "AccessDeniedException"));
        assert!(
            bare.contains("x-amzn-ErrorType: AccessDeniedException\r\n"),
            "{bare}"
        );
        assert!(bare.ends_with("content-length: 0\r\n\r\n"), "{bare}");
        assert!(text(&Reply::empty(503)).contains("x-amzn-RequestId: fault-proxy\r\n"));
        assert!(String::from_utf8(Reply::empty(500).to_bytes(true))
            .unwrap()
            .contains("connection: close\r\n"));
    }
}
