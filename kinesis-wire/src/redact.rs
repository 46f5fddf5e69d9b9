//! Keeping secrets out of text meant for people: `Debug` output of requests and replies,
//! and the pieces of response bodies or process output that errors quote.

use std::fmt;

/// What secrets are replaced with.
pub(crate) const MASK: &str = "******";

/// Headers whose values are credentials (compared case-insensitively).
const SECRET_HEADERS: &[&str] = &[
    "authorization",
    "x-amz-security-token",
    "x-amz-sso_bearer_token",
    "x-aws-ec2-metadata-token",
];

/// Whether header `name` carries a credential.
pub(crate) fn is_secret_header(name: &str) -> bool {
    SECRET_HEADERS.iter().any(|h| h.eq_ignore_ascii_case(name))
}

/// Headers for `Debug`: names and values, credential values masked.
pub(crate) struct Headers<'a>(pub &'a [(String, String)]);

impl fmt::Debug for Headers<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|(k, v)| {
                let v = if is_secret_header(k) {
                    MASK
                } else {
                    v.as_str()
                };
                (k.as_str(), v)
            }))
            .finish()
    }
}

/// A body for `Debug`: its length only (bodies carry records and credentials).
pub(crate) struct Body(pub usize);

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{} bytes>", self.0)
    }
}

/// Names of fields whose values are secrets, lower-cased: JSON and XML credentials
/// (`SecretAccessKey`, `SessionToken`, `Token`, `accessToken`, ...), the shared config
/// files' keys, the STS form's `WebIdentityToken`, headers, and SigV4's `Signature`.
const SECRET_FIELDS: &[&str] = &[
    "secretaccesskey",
    "secret_access_key",
    "aws_secret_access_key",
    "secretkey",
    "sessiontoken",
    "session_token",
    "aws_session_token",
    "token",
    "accesstoken",
    "webidentitytoken",
    "signature",
    "password",
    "authorization",
    "x-amz-security-token",
    "x-amz-sso_bearer_token",
    "x-aws-ec2-metadata-token",
];

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

/// `text` with the values of secret fields masked, in the forms they come in: JSON
/// (`"SecretAccessKey": "..."`), XML (`<SessionToken>...</SessionToken>`), forms and INI
/// files (`WebIdentityToken=...`, `aws_session_token = ...`) and headers
/// (`Authorization: ...` to the end of the line).
pub(crate) fn mask_secret_fields(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(is_name_char) {
        let len = rest[start..]
            .find(|c| !is_name_char(c))
            .unwrap_or(rest.len() - start);
        let name = &rest[start..start + len];
        let before = rest[..start].chars().next_back();
        out.push_str(&rest[..start + len]);
        rest = &rest[start + len..];
        if !SECRET_FIELDS.iter().any(|f| f.eq_ignore_ascii_case(name)) {
            continue;
        }
        // A closing quote of the name, spaces, then the separator.
        let after_quote = rest.strip_prefix(['"', '\'']).unwrap_or(rest);
        let after_space = after_quote.trim_start_matches([' ', '\t']);
        let Some(sep) = after_space.chars().next().filter(|c| match c {
            ':' | '=' => true,
            // An opening tag only: after `</Token>` comes other text.
            '>' => before == Some('<'),
            _ => false,
        }) else {
            continue;
        };
        let value = after_space[1..].trim_start_matches([' ', '\t']);
        let (open, value) = match value.chars().next() {
            Some(q @ ('"' | '\'')) => (Some(q), &value[1..]),
            _ => (None, value),
        };
        let end = match (open, sep) {
            (Some(q), _) => value.find(q),
            (None, '>') => value.find('<'),
            (None, ':') => value.find(['\r', '\n']),
            (None, _) => value.find(|c: char| c.is_whitespace() || "&;,\"'<".contains(c)),
        }
        .unwrap_or(value.len());
        if end == 0 {
            continue;
        }
        // Everything up to the value as it was, then the mask.
        let value_at = rest.len() - value.len();
        out.push_str(&rest[..value_at]);
        out.push_str(MASK);
        rest = &value[end..];
    }
    out.push_str(rest);
    out
}

/// `text` with every occurrence of each of `known` (secrets a request carried; empty ones
/// ignored) masked: an error page or a proxy may echo the request in any form.
pub(crate) fn mask_known(text: &str, known: &[&str]) -> String {
    let mut out = text.to_string();
    for k in known.iter().filter(|k| k.len() >= 4) {
        if out.contains(k) {
            out = out.replace(k, MASK);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_fields_are_masked_in_every_form() {
        for (text, secret) in [
            (
                r#"{"AccessKeyId":"AKID","SecretAccessKey":"s3cr3tA","x":1}"#,
                "s3cr3tA",
            ),
            (r#"{ "SessionToken" : "tok/en+B=" }"#, "tok/en+B="),
            (r#"{"Token": "tokC"}"#, "tokC"),
            (r#"{"accessToken":"ssoD"}"#, "ssoD"),
            (
                "<Credentials><SecretAccessKey>xmlE</SecretAccessKey>",
                "xmlE",
            ),
            ("<SessionToken>xmlF</SessionToken>", "xmlF"),
            ("Action=X&WebIdentityToken=eyJG.H&Version=1", "eyJG.H"),
            ("aws_secret_access_key = iniI\n", "iniI"),
            ("aws_session_token=iniJ", "iniJ"),
            (
                "Authorization: AWS4-HMAC-SHA256 Credential=A/x, Signature=abc\r\nHost: h",
                "Signature=abc",
            ),
            ("x-amz-security-token: hdrK\n", "hdrK"),
            ("..., Signature=0123abcd", "0123abcd"),
        ] {
            let masked = mask_secret_fields(text);
            assert!(!masked.contains(secret), "{text} -> {masked}");
            assert!(masked.contains(MASK), "{text} -> {masked}");
        }
        // Other fields and text stay as they are.
        let plain = r#"{"AccessKeyId":"AKID","Code":"AccessDenied","Message":"no token here"}"#;
        assert_eq!(mask_secret_fields(plain), plain);
        assert_eq!(
            mask_secret_fields("<Code>InvalidToken</Code> HTTP 500"),
            "<Code>InvalidToken</Code> HTTP 500"
        );
        // Masking keeps the structure around the value.
        assert_eq!(
            mask_secret_fields(r#"{"Token":"abc","Expiration":"2030"}"#),
            r#"{"Token":"******","Expiration":"2030"}"#
        );
        assert_eq!(mask_secret_fields("né Token=é z"), "né Token=****** z");
        assert_eq!(
            mask_secret_fields("<Token>a</Token> HTTP 500 <x>"),
            "<Token>******</Token> HTTP 500 <x>"
        );
    }

    #[test]
    fn known_values_are_masked() {
        assert_eq!(
            mask_known("bad token eyJhbGciOi in request", &["eyJhbGciOi", "", "ab"]),
            "bad token ****** in request"
        );
    }

    #[test]
    fn debug_helpers() {
        let h = vec![
            ("Authorization".to_string(), "AWS4 Signature=x".to_string()),
            ("x-amz-security-token".to_string(), "tok".to_string()),
            ("content-type".to_string(), "json".to_string()),
        ];
        let s = format!("{:?} {:?}", Headers(&h), Body(12));
        assert!(!s.contains("Signature=x") && !s.contains("tok\""), "{s}");
        assert!(s.contains("json") && s.contains("<12 bytes>"), "{s}");
    }
}
