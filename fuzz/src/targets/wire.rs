//! kinesis-wire's parsers of server answers and credential files: the GetRecords fast page
//! parser against its serde_json fallback, the PutRecords response parser, STS XML,
//! container and SSO JSON, and profile INI files.
//!
//! The private parsers are reached through kinesis-wire's `fuzzing` feature
//! (`kinesis_wire::fuzzing`); this module is the only one that uses it.

use base64::Engine as _;
use kinesis_wire::credentials::Credentials;
use kinesis_wire::fuzzing;
use kinesis_wire::model::{
    parse_get_records, parse_get_records_page, parse_put_records_outcome, GetRecordsPage,
    PutRecordsOutput, RecordBatch,
};
use serde_json::Value;

use crate::driver::{Target, Verdict};
use crate::rng::Rng;

/// The planted secret of the credential targets.
const SECRET: &str = "S3CRETqZ";

// ---------------------------------------------------------------------------------------
// JSON text, written with random layout and escapes

/// Whitespace between tokens: usually none.
fn ws(rng: &mut Rng) -> &'static str {
    if rng.chance(80) {
        ""
    } else {
        const SPACES: [&str; 5] = [" ", "\n", "\t", "\r\n  ", "  "];
        SPACES[rng.below(SPACES.len())]
    }
}

/// `s` as a JSON string, escaped in one of the ways JSON allows.
fn json_str(rng: &mut Rng, s: &str) -> String {
    let escape_all = rng.chance(5);
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str(if rng.chance(50) { "\\n" } else { "\\u000a" }),
            '/' if rng.chance(30) => out.push_str("\\/"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c if escape_all || (!c.is_ascii() && rng.chance(30)) => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04X}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A JSON object of `members` (already written values), in random order sometimes.
fn json_object(rng: &mut Rng, mut members: Vec<(String, String)>) -> String {
    if rng.chance(20) && members.len() > 1 {
        let i = rng.below(members.len());
        let j = rng.below(members.len());
        members.swap(i, j);
    }
    let inner: Vec<String> = members
        .into_iter()
        .map(|(k, v)| {
            let k = json_str(rng, &k);
            format!("{}{k}{}:{}{v}{}", ws(rng), ws(rng), ws(rng), ws(rng))
        })
        .collect();
    format!("{{{}{}}}", inner.join(","), ws(rng))
}

fn json_array(rng: &mut Rng, items: Vec<String>) -> String {
    let inner: Vec<String> = items
        .into_iter()
        .map(|v| format!("{}{v}{}", ws(rng), ws(rng)))
        .collect();
    format!("[{}{}]", inner.join(","), ws(rng))
}

const TEXTS: &[&str] = &[
    "",
    "k",
    "pk-1",
    "é",
    "日本",
    "🎉",
    "a\"b",
    "back\\slash",
    "line\nbreak",
    "tab\t",
    "\u{0}",
    "\u{7f}",
    "/slash/",
    "\u{2028}",
    "KMS",
    "NONE",
];

fn random_text(rng: &mut Rng) -> String {
    if rng.chance(70) {
        rng.pick(TEXTS).to_string()
    } else {
        let n = rng.small(20);
        (0..n)
            .map(|_| char::from(b' ' + rng.below(95) as u8))
            .collect()
    }
}

/// A value nobody asked for (an unknown field's).
fn junk_value(rng: &mut Rng, depth: usize) -> String {
    match rng.below(if depth > 2 { 5 } else { 7 }) {
        0 => "null".into(),
        1 => "true".into(),
        2 => rng
            .pick(&["0", "-1.5e3", "1e400", "12345678901234567890"])
            .to_string(),
        3 | 4 => {
            let t = random_text(rng);
            json_str(rng, &t)
        }
        5 => {
            let items = (0..rng.small(3))
                .map(|_| junk_value(rng, depth + 1))
                .collect();
            json_array(rng, items)
        }
        _ => {
            let members = (0..rng.small(3))
                .map(|i| (format!("x{i}"), junk_value(rng, depth + 1)))
                .collect();
            json_object(rng, members)
        }
    }
}

// ---------------------------------------------------------------------------------------
// GetRecords

/// The GetRecords fast page parser against the serde_json fallback.
pub struct GetRecords;

fn random_number_text(rng: &mut Rng) -> String {
    rng.pick(&[
        "1700000000.123",
        "1700000000",
        "1.7e9",
        "1.7E+9",
        "0",
        "-0",
        "-1.5",
        "0.1",
        "1700000000.1234567891234",
        "123456789012345678",
        "1e-400",
        "2.2250738585072011e-308",
        "9007199254740993",
        "4.35",
        "0.3",
    ])
    .to_string()
}

fn random_record(rng: &mut Rng) -> String {
    let mut m: Vec<(String, String)> = Vec::new();
    let seq: String = (0..1 + rng.small(56))
        .map(|_| char::from(b'0' + rng.below(10) as u8))
        .collect();
    if rng.chance(97) {
        m.push(("SequenceNumber".into(), json_str(rng, &seq)));
    }
    if rng.chance(90) {
        let v = if rng.chance(10) {
            "null".to_string()
        } else {
            random_number_text(rng)
        };
        m.push(("ApproximateArrivalTimestamp".into(), v));
    }
    if rng.chance(97) {
        let n = rng.small(40);
        let data = base64::engine::general_purpose::STANDARD.encode(rng.bytes(n));
        let data = match rng.below(20) {
            0 => data.trim_end_matches('=').to_string(),
            1 => format!("{data}="),
            2 => data.replacen('A', " ", 1),
            _ => data,
        };
        m.push(("Data".into(), json_str(rng, &data)));
    }
    if rng.chance(97) {
        let pk = random_text(rng);
        m.push(("PartitionKey".into(), json_str(rng, &pk)));
    }
    if rng.chance(30) {
        let v = if rng.chance(30) {
            "null".to_string()
        } else {
            let e = *rng.pick(&["KMS", "NONE"]);
            json_str(rng, e)
        };
        m.push(("EncryptionType".into(), v));
    }
    if rng.chance(10) {
        let v = junk_value(rng, 0);
        m.push(("Unknown".into(), v));
    }
    json_object(rng, m)
}

fn random_child_shard(rng: &mut Rng) -> String {
    let id = format!("shardId-{:012}", rng.below(10));
    let mut m = vec![("ShardId".to_string(), json_str(rng, &id))];
    if rng.chance(90) {
        let parents: Vec<String> = (0..rng.small(2) + 1)
            .map(|i| json_str(rng, &format!("shardId-{i:012}")))
            .collect();
        let v = if rng.chance(10) {
            "null".into()
        } else {
            json_array(rng, parents)
        };
        m.push(("ParentShards".into(), v));
    }
    if rng.chance(95) {
        let lo = json_str(rng, "0");
        let hi = json_str(rng, &u128::MAX.to_string());
        let range = json_object(
            rng,
            vec![("StartingHashKey".into(), lo), ("EndingHashKey".into(), hi)],
        );
        m.push(("HashKeyRange".into(), range));
    }
    json_object(rng, m)
}

fn random_page(rng: &mut Rng) -> String {
    let mut m: Vec<(String, String)> = Vec::new();
    if rng.chance(90) {
        let v = if rng.chance(5) {
            "null".to_string()
        } else {
            let records = (0..rng.small(6)).map(|_| random_record(rng)).collect();
            json_array(rng, records)
        };
        m.push(("Records".into(), v));
    }
    if rng.chance(90) {
        let v = if rng.chance(20) {
            "null".to_string()
        } else {
            let it = format!("AAAAAAAAAAH{}", rng.next_u64());
            json_str(rng, &it)
        };
        m.push(("NextShardIterator".into(), v));
    }
    if rng.chance(90) {
        let v = rng
            .pick(&[
                "0",
                "1000",
                "null",
                "18446744073709551615",
                "18446744073709551616",
                "-1",
                "1.5",
                "1e3",
            ])
            .to_string();
        m.push(("MillisBehindLatest".into(), v));
    }
    if rng.chance(30) {
        let v = if rng.chance(30) {
            "null".to_string()
        } else {
            let children = (0..rng.small(2) + 1)
                .map(|_| random_child_shard(rng))
                .collect();
            json_array(rng, children)
        };
        m.push(("ChildShards".into(), v));
    }
    if rng.chance(10) {
        let v = junk_value(rng, 0);
        m.push(("Extra".into(), v));
    }
    format!("{}{}{}", ws(rng), json_object(rng, m), ws(rng))
}

/// The same page, the arrival times compared bit for bit.
fn same_page(a: &GetRecordsPage, b: &GetRecordsPage) -> bool {
    a == b
        && a.records.iter().zip(b.records.iter()).all(|(x, y)| {
            x.approximate_arrival_timestamp.map(f64::to_bits)
                == y.approximate_arrival_timestamp.map(f64::to_bits)
        })
}

const JSON_TOKENS: &[&[u8]] = &[
    b"null",
    b"true",
    b"\"\"",
    b"{}",
    b"[]",
    b"\\u0000",
    b"\\ud83d\\ude00",
    b"\\ud800",
    b"\\\"",
    b"\\/",
    b"1e400",
    b"-0",
    b"0.1e-5",
    b"[[[[[[[[",
    b"\":",
    b",",
    b"\"Records\":",
    b"\"Data\":",
    b"\"SequenceNumber\":",
    b"\"PartitionKey\":",
    b"\"NextShardIterator\":",
    b"\"MillisBehindLatest\":",
    b"\"ChildShards\":",
    b"\"ApproximateArrivalTimestamp\":",
    b"\"EncryptionType\":",
    b"\xc3\xa9",
    b"\xed\xa0\x80",
    b"\xf0\x9f\x8e",
    b"==",
];

impl Target for GetRecords {
    fn name(&self) -> &'static str {
        "get-records"
    }

    fn about(&self) -> &'static str {
        "kinesis-wire GetRecords: the fast page parser against the serde_json fallback (and parse_get_records)"
    }

    fn dictionary(&self) -> &'static [&'static [u8]] {
        JSON_TOKENS
    }

    fn generate(&self, rng: &mut Rng) -> Vec<u8> {
        random_page(rng).into_bytes()
    }

    fn run(&self, input: &[u8]) -> Verdict {
        let fast = fuzzing::get_records_fast(input);
        let serde = fuzzing::get_records_serde(input);
        match (&fast, &serde) {
            (Some(f), Ok(s)) => assert!(
                same_page(f, s),
                "the fast parser and serde_json disagree:\n  fast  {f:?}\n  serde {s:?}"
            ),
            (Some(f), Err(e)) => {
                panic!("the fast parser accepted what serde_json refuses ({e}): {f:?}")
            }
            _ => {}
        }
        // The public parser is the fast one, else the fallback.
        let public = parse_get_records_page(input, RecordBatch::default());
        match (
            &public,
            fast.as_ref().ok_or(()).or(serde.as_ref().map_err(|_| ())),
        ) {
            (Ok(p), Ok(expected)) => {
                assert!(same_page(p, expected), "parse_get_records_page differs")
            }
            (Err(_), Err(())) => {}
            (p, _) => panic!("parse_get_records_page gave {p:?}"),
        }
        // parse_get_records (owned records, the client's) reads what both read the same.
        if let (Ok(owned), Ok(page)) = (parse_get_records(input), &public) {
            let records: Vec<_> = page.records.iter().map(|r| r.to_record()).collect();
            assert_eq!(
                owned.records, records,
                "parse_get_records reads other records"
            );
            assert_eq!(owned.next_shard_iterator, page.next_shard_iterator);
            assert_eq!(owned.millis_behind_latest, page.millis_behind_latest);
            assert_eq!(owned.child_shards, page.child_shards);
        }
        if public.is_ok() {
            Verdict::Accepted
        } else {
            Verdict::Rejected
        }
    }
}

// ---------------------------------------------------------------------------------------
// PutRecords

/// `parse_put_records_outcome` against serde_json's reading of the same body.
pub struct PutRecords;

fn random_put_response(rng: &mut Rng) -> String {
    let n = rng.small(8);
    let mut failed = 0;
    let entries: Vec<String> = (0..n)
        .map(|i| {
            let mut m = Vec::new();
            if rng.chance(70) {
                m.push((
                    "SequenceNumber".to_string(),
                    json_str(rng, &format!("4963{i}")),
                ));
                m.push(("ShardId".to_string(), json_str(rng, "shardId-000000000000")));
                if rng.chance(10) {
                    m.push(("ErrorCode".to_string(), "null".to_string()));
                }
            } else {
                failed += 1;
                let code = *rng.pick(&[
                    "ProvisionedThroughputExceededException",
                    "InternalFailure",
                    "KMSThrottlingException",
                    "",
                ]);
                m.push(("ErrorCode".to_string(), json_str(rng, code)));
                if rng.chance(80) {
                    let msg = random_text(rng);
                    m.push(("ErrorMessage".to_string(), json_str(rng, &msg)));
                }
            }
            json_object(rng, m)
        })
        .collect();
    let mut m = vec![
        ("FailedRecordCount".to_string(), failed.to_string()),
        ("Records".to_string(), json_array(rng, entries)),
    ];
    if rng.chance(30) {
        m.push(("EncryptionType".to_string(), json_str(rng, "KMS")));
    }
    if rng.chance(5) {
        m.clear();
    }
    json_object(rng, m)
}

impl Target for PutRecords {
    fn name(&self) -> &'static str {
        "put-records"
    }

    fn about(&self) -> &'static str {
        "kinesis-wire parse_put_records_outcome against serde_json's reading and the client's"
    }

    fn dictionary(&self) -> &'static [&'static [u8]] {
        &[
            b"null",
            b"\"\"",
            b"{}",
            b"[]",
            b"\"FailedRecordCount\":",
            b"\"Records\":",
            b"\"ErrorCode\":",
            b"\"ErrorMessage\":",
            b"\"EncryptionType\":",
            b"4294967296",
            b"-1",
            b"\\u0000",
            b",",
            b"[[[[",
        ]
    }

    fn generate(&self, rng: &mut Rng) -> Vec<u8> {
        random_put_response(rng).into_bytes()
    }

    fn run(&self, input: &[u8]) -> Verdict {
        // The client's own reading (KinesisClient::put_records) against the sink's.
        if let Err(e) = fuzzing::put_records_parsers_agree(input) {
            panic!("the PutRecords parsers disagree: {e}");
        }
        let Ok(outcome) = parse_put_records_outcome(input) else {
            return Verdict::Rejected;
        };
        let body: &[u8] = if input.iter().all(u8::is_ascii_whitespace) {
            b"{}"
        } else {
            input
        };
        // serde_json skips an ignored field's value without checking all of it (its
        // UTF-8, escapes, number ranges): the reference reads the body made valid UTF-8,
        // and only when it can.
        let body = String::from_utf8_lossy(body);
        let Ok(value) = serde_json::from_str::<Value>(&body) else {
            return Verdict::Accepted;
        };
        let object = value
            .as_object()
            .expect("accepted a body that is not an object");
        let entries: &[Value] = match object.get("Records") {
            Some(Value::Array(a)) => a,
            Some(Value::Null) | None => &[],
            Some(other) => panic!("accepted Records = {other}"),
        };
        assert_eq!(outcome.entries, entries.len(), "entry count");
        let failures: Vec<(usize, &str, Option<&str>)> = entries
            .iter()
            .enumerate()
            .filter_map(|(i, e)| {
                let code = e.get("ErrorCode")?.as_str()?;
                Some((i, code, e.get("ErrorMessage").and_then(Value::as_str)))
            })
            .collect();
        let got: Vec<(usize, &str, Option<&str>)> = outcome
            .failures
            .iter()
            .map(|f| (f.index, f.error_code.as_str(), f.error_message.as_deref()))
            .collect();
        assert_eq!(got, failures, "failed entries");
        let count = match object.get("FailedRecordCount") {
            Some(Value::Null) | None => 0,
            Some(v) => v
                .as_u64()
                .expect("accepted a FailedRecordCount that is no count"),
        };
        assert_eq!(
            u64::from(outcome.failed_record_count),
            count,
            "FailedRecordCount"
        );
        assert_eq!(
            outcome.encryption_type.as_deref(),
            object.get("EncryptionType").and_then(Value::as_str),
            "EncryptionType"
        );
        // The owned reading (PutRecordsOutput), where it reads the body too, agrees.
        if let Ok(owned) = serde_json::from_str::<PutRecordsOutput>(&body) {
            assert_eq!(owned.records.len(), outcome.entries);
            assert_eq!(owned.failed_record_count, outcome.failed_record_count);
            let owned_failures: Vec<usize> = owned
                .records
                .iter()
                .enumerate()
                .filter(|(_, r)| r.error_code.is_some())
                .map(|(i, _)| i)
                .collect();
            let indices: Vec<usize> = outcome.failures.iter().map(|f| f.index).collect();
            assert_eq!(owned_failures, indices);
        }
        Verdict::Accepted
    }
}

// ---------------------------------------------------------------------------------------
// Credentials: STS XML, container JSON, SSO JSON

/// Checks parsed credentials: fields present, the secret masked in Debug.
fn check_credentials(c: &Credentials) {
    assert!(
        !c.access_key_id.is_empty(),
        "credentials without an access key id"
    );
    assert!(
        !c.secret_access_key.is_empty(),
        "credentials without a secret key"
    );
    let shown = format!("{c:?}");
    for secret in [Some(&c.secret_access_key), c.session_token.as_ref()]
        .into_iter()
        .flatten()
    {
        if secret.len() >= 8 && !c.access_key_id.contains(secret.as_str()) {
            assert!(
                !shown.contains(secret.as_str()),
                "Debug shows a secret: {shown}"
            );
        }
    }
}

/// The planted secret, written once, right after `prefix`: then no output may show it.
/// Once also once escapes are decoded: a mutation may spell it again with JSON `\u0053` or
/// XML `&#83;` escapes elsewhere (in the access key id, which is shown).
fn secret_only_after(text: &str, prefixes: &[&str]) -> bool {
    text.matches(SECRET).count() == 1
        && prefixes
            .iter()
            .any(|p| text.contains(&format!("{p}{SECRET}")))
        && unescaped(text).matches(SECRET).count() == 1
}

/// `text` with JSON backslash escapes and XML character references decoded (loosely: for
/// counting the secret's spellings, not for parsing).
fn unescaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        let decoded = if let Some(hex) = rest.strip_prefix("\\u").and_then(|r| r.get(..4)) {
            u32::from_str_radix(hex, 16).ok().map(|n| (n, 6))
        } else if let Some(r) = rest.strip_prefix("&#") {
            let end = r.find(';').filter(|&e| e <= 8);
            end.and_then(|e| {
                let n = match r[..e].strip_prefix(['x', 'X']) {
                    Some(h) => u32::from_str_radix(h, 16).ok(),
                    None => r[..e].parse().ok(),
                };
                n.map(|n| (n, e + 3))
            })
        } else {
            None
        };
        match decoded {
            Some((n, len)) => {
                out.push(char::from_u32(n).unwrap_or('\u{fffd}'));
                rest = &rest[len..];
            }
            // `\"`, `\\`, `\/`...: the character after the backslash.
            None => match rest.strip_prefix('\\') {
                Some(r) if r.starts_with(|c: char| c.is_ascii()) => {
                    out.push(char::from(r.as_bytes()[0]));
                    rest = &r[1..];
                }
                _ => {
                    out.push(c);
                    rest = &rest[c.len_utf8()..];
                }
            },
        }
    }
    out
}

/// The result's text (error or credentials' Debug) never holds the planted secret when it
/// was written only as a secret's value.
fn check_secret(text: &str, prefixes: &[&str], result: &Result<Credentials, String>) {
    if secret_only_after(text, prefixes) {
        let shown = match result {
            Ok(c) => format!("{c:?}"),
            Err(e) => e.clone(),
        };
        assert!(!shown.contains(SECRET), "the secret shows: {shown}");
    }
}

fn verdict(result: &Result<Credentials, String>) -> Verdict {
    match result {
        Ok(c) => {
            check_credentials(c);
            Verdict::Accepted
        }
        Err(e) => {
            assert!(!e.is_empty(), "an empty error message");
            Verdict::Rejected
        }
    }
}

const TIMESTAMPS: &[&str] = &[
    "2030-01-02T03:04:05Z",
    "2030-01-02T03:04:05.123456789+01:00",
    "1969-12-31T23:59:59Z",
    "9999-12-31T23:59:59Z",
    "2030-13-02T03:04:05Z",
    "2030-01-02 03:04:05",
    "",
    " 2030-01-02T03:04:05Z ",
    "+262143-01-01T00:00:00Z",
];

/// The STS AssumeRole / AssumeRoleWithWebIdentity response parser.
pub struct StsXml;

fn xml_escape(rng: &mut Rng, s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c if !c.is_ascii() && rng.chance(30) => out.push_str(&format!("&#x{:X};", c as u32)),
            c if rng.chance(2) => out.push_str(&format!("&#{};", c as u32)),
            c => out.push(c),
        }
    }
    out
}

fn random_sts(rng: &mut Rng) -> String {
    let action = *rng.pick(&["AssumeRole", "AssumeRoleWithWebIdentity"]);
    let mut fields = vec![
        ("AccessKeyId", format!("ASIA{}", rng.below(1_000_000))),
        ("SecretAccessKey", format!("{SECRET}{}", rng.below(1000))),
        ("SessionToken", format!("tok/{}&+=", rng.next_u64())),
        ("Expiration", rng.pick(TIMESTAMPS).to_string()),
    ];
    fields.retain(|_| rng.chance(95));
    if rng.chance(20) {
        let i = rng.below(fields.len().max(1));
        if i < fields.len() {
            let j = rng.below(fields.len());
            fields.swap(i, j);
        }
    }
    let inner: String = fields
        .iter()
        .map(|(k, v)| {
            let v = if *k == "SecretAccessKey" {
                v.clone()
            } else {
                xml_escape(rng, v)
            };
            format!("{}<{k}>{}{v}{}</{k}>", ws(rng), ws(rng), ws(rng))
        })
        .collect();
    if rng.chance(10) {
        return format!(
            "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>{}</Message></Error></ErrorResponse>",
            {
                let t = random_text(rng);
                xml_escape(rng, &t)
            }
        );
    }
    format!(
        "<{action}Response xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n<{action}Result>\n<Credentials>{inner}\n</Credentials>\n<AssumedRoleUser><Arn>arn:aws:sts::1:assumed-role/r/s</Arn></AssumedRoleUser></{action}Result></{action}Response>"
    )
}

impl Target for StsXml {
    fn name(&self) -> &'static str {
        "sts-xml"
    }

    fn about(&self) -> &'static str {
        "kinesis-wire STS AssumeRole / AssumeRoleWithWebIdentity XML response parser"
    }

    fn dictionary(&self) -> &'static [&'static [u8]] {
        &[
            b"<Credentials>",
            b"</Credentials>",
            b"<AccessKeyId>",
            b"</AccessKeyId>",
            b"<SecretAccessKey>",
            b"</SecretAccessKey>",
            b"<SessionToken>",
            b"</SessionToken>",
            b"<Expiration>",
            b"</Expiration>",
            b"&amp;",
            b"&#x",
            b"&#",
            b";",
            b"&#xD800;",
            b"&#1114112;",
            b"&#x110000;",
            b"&",
            b"<",
            b">",
            b"<![CDATA[",
            b"]]>",
        ]
    }

    fn generate(&self, rng: &mut Rng) -> Vec<u8> {
        random_sts(rng).into_bytes()
    }

    fn run(&self, input: &[u8]) -> Verdict {
        let text = String::from_utf8_lossy(input);
        let result = fuzzing::sts_credentials(&text);
        check_secret(&text, &["<SecretAccessKey>"], &result);
        if let Ok(c) = &result {
            assert!(c.expiry.is_some(), "STS credentials without an expiry");
            assert!(
                c.session_token.is_some(),
                "STS credentials without a session token"
            );
        }
        verdict(&result)
    }
}

/// The container / instance-metadata credentials JSON parser.
pub struct ContainerJson;

fn random_container(rng: &mut Rng) -> String {
    let mut m = vec![
        ("AccessKeyId".to_string(), json_str(rng, "ASIAEXAMPLE")),
        (
            "SecretAccessKey".to_string(),
            format!("\"{SECRET}{}\"", rng.below(1000)),
        ),
    ];
    if rng.chance(80) {
        let k = if rng.chance(50) {
            "Token"
        } else {
            "SessionToken"
        };
        m.push((k.to_string(), json_str(rng, "tok/en+=")));
    }
    if rng.chance(80) {
        let t = *rng.pick(TIMESTAMPS);
        m.push(("Expiration".to_string(), json_str(rng, t)));
    }
    if rng.chance(30) {
        let code = *rng.pick(&["Success", "Failure", ""]);
        m.push(("Code".to_string(), json_str(rng, code)));
        let msg = random_text(rng);
        m.push(("Message".to_string(), json_str(rng, &msg)));
    }
    if rng.chance(20) {
        m.push((
            "LastUpdated".to_string(),
            json_str(rng, "2030-01-01T00:00:00Z"),
        ));
        m.push(("Type".to_string(), json_str(rng, "AWS-HMAC")));
    }
    m.retain(|_| rng.chance(95));
    json_object(rng, m)
}

impl Target for ContainerJson {
    fn name(&self) -> &'static str {
        "container-json"
    }

    fn about(&self) -> &'static str {
        "kinesis-wire container (ECS/EKS) and IMDS credentials JSON parser"
    }

    fn dictionary(&self) -> &'static [&'static [u8]] {
        &[
            b"\"AccessKeyId\":",
            b"\"SecretAccessKey\":",
            b"\"Token\":",
            b"\"Expiration\":",
            b"\"Code\":",
            b"\"Message\":",
            b"null",
            b"\"\"",
            b"\\u0000",
            b"{}",
            b"[]",
        ]
    }

    fn generate(&self, rng: &mut Rng) -> Vec<u8> {
        random_container(rng).into_bytes()
    }

    fn run(&self, input: &[u8]) -> Verdict {
        let text = String::from_utf8_lossy(input);
        let result = fuzzing::container_credentials(&text);
        check_secret(
            &text,
            &["\"SecretAccessKey\":\"", "\"SecretAccessKey\": \""],
            &result,
        );
        if let Ok(c) = &result {
            let v: Value = serde_json::from_str(&text).expect("accepted JSON serde_json refuses");
            assert_eq!(
                v.get("AccessKeyId").and_then(Value::as_str),
                Some(c.access_key_id.as_str())
            );
        }
        verdict(&result)
    }
}

/// The SSO GetRoleCredentials answer parser.
pub struct SsoJson;

fn random_sso(rng: &mut Rng) -> String {
    let mut rc = vec![
        ("accessKeyId".to_string(), json_str(rng, "ASIASSO")),
        (
            "secretAccessKey".to_string(),
            format!("\"{SECRET}{}\"", rng.below(1000)),
        ),
        ("sessionToken".to_string(), json_str(rng, "sso/tok+=")),
    ];
    if rng.chance(80) {
        let e = rng
            .pick(&[
                "1893456000000",
                "0",
                "-1",
                "1.5e12",
                "18446744073709551615",
                "\"1893456000000\"",
                "null",
            ])
            .to_string();
        rc.push(("expiration".to_string(), e));
    }
    rc.retain(|_| rng.chance(95));
    let rc = json_object(rng, rc);
    json_object(rng, vec![("roleCredentials".to_string(), rc)])
}

impl Target for SsoJson {
    fn name(&self) -> &'static str {
        "sso-json"
    }

    fn about(&self) -> &'static str {
        "kinesis-wire SSO GetRoleCredentials JSON parser"
    }

    fn dictionary(&self) -> &'static [&'static [u8]] {
        &[
            b"\"roleCredentials\":",
            b"\"accessKeyId\":",
            b"\"secretAccessKey\":",
            b"\"sessionToken\":",
            b"\"expiration\":",
            b"18446744073709551616",
            b"null",
            b"{}",
        ]
    }

    fn generate(&self, rng: &mut Rng) -> Vec<u8> {
        random_sso(rng).into_bytes()
    }

    fn run(&self, input: &[u8]) -> Verdict {
        let text = String::from_utf8_lossy(input);
        let result = fuzzing::sso_role_credentials(&text);
        check_secret(
            &text,
            &["\"secretAccessKey\":\"", "\"secretAccessKey\": \""],
            &result,
        );
        verdict(&result)
    }
}

// ---------------------------------------------------------------------------------------
// Profile INI

/// The shared config / credentials file parser.
pub struct ProfileIni;

fn random_ini(rng: &mut Rng) -> String {
    let mut out = String::new();
    for s in 0..1 + rng.small(3) {
        let header = *rng.pick(&[
            "default",
            "profile dev",
            "profile   spaced  ",
            "sso-session s",
            "dev",
        ]);
        out.push_str(&format!("{}[{header}{s}]{}\n", ws(rng), ws(rng)));
        for _ in 0..rng.small(6) {
            let key = *rng.pick(&[
                "aws_access_key_id",
                "AWS_Secret_Access_Key",
                "aws_session_token",
                "region",
                "role_arn",
                "source_profile",
                "sso_session",
                "s3",
                "credential_process",
            ]);
            let value = *rng.pick(&["AKID", "x ; note", "y # note", "", "a=b", "é", " spaced "]);
            out.push_str(&format!("{key}{}={}{value}\n", ws(rng), ws(rng)));
            if value.is_empty() && rng.chance(50) {
                out.push_str("  max_concurrent_requests = 2\n");
            }
        }
        if rng.chance(20) {
            let line: &&str = rng.pick(&["# comment\n", "; comment\n", "\n", "no equals sign\n"]);
            out.push_str(line);
        }
    }
    out
}

impl Target for ProfileIni {
    fn name(&self) -> &'static str {
        "profile-ini"
    }

    fn about(&self) -> &'static str {
        "kinesis-wire shared config / credentials INI file parser"
    }

    fn dictionary(&self) -> &'static [&'static [u8]] {
        &[
            b"[",
            b"]",
            b"=",
            b"\n",
            b" #",
            b"\t;",
            b"[profile ",
            b"\r\n",
            b"\t",
            b"\xc2\xa0",
        ]
    }

    fn generate(&self, rng: &mut Rng) -> Vec<u8> {
        random_ini(rng).into_bytes()
    }

    fn run(&self, input: &[u8]) -> Verdict {
        let text = String::from_utf8_lossy(input);
        let sections = fuzzing::profile_ini(&text);
        for (header, props) in &sections {
            assert_eq!(header.trim(), header, "an untrimmed section header");
            assert!(
                !header.contains("  "),
                "a header with a run of spaces: {header:?}"
            );
            for (k, v) in props {
                assert_eq!(k.trim(), k, "an untrimmed key");
                assert_eq!(&k.to_ascii_lowercase(), k, "a key not lower-cased");
                assert_eq!(v.trim(), v, "an untrimmed value");
                assert!(
                    !v.contains(" #") && !v.contains(" ;"),
                    "a comment in a value: {v:?}"
                );
            }
        }
        if sections.is_empty() {
            Verdict::Rejected
        } else {
            Verdict::Accepted
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_inputs_are_mostly_accepted() {
        let targets: [&dyn Target; 6] = [
            &GetRecords,
            &PutRecords,
            &StsXml,
            &ContainerJson,
            &SsoJson,
            &ProfileIni,
        ];
        for t in targets {
            let mut rng = Rng::new(21);
            let accepted = (0..300)
                .filter(|_| t.run(&t.generate(&mut rng)) == Verdict::Accepted)
                .count();
            assert!(accepted > 60, "{}: {accepted} of 300 accepted", t.name());
        }
    }

    /// Found by the long run (fuzz/regressions/sso-json/): a mutation spelt the secret
    /// again in the access key id with `\u` escapes; the leak check applies only when the
    /// secret is written once, escapes decoded.
    #[test]
    fn the_secret_is_counted_with_escapes_decoded() {
        assert_eq!(
            unescaped(r#"{"a":"\u0041\u00533C","b":"&#83;&#x33;&amp;\"\\"}"#),
            r#"{"a":"AS3C","b":"S3&amp;"\"}"#
        );
        let prefixes = ["\"secretAccessKey\":\""];
        let once = format!(r#"{{"accessKeyId":"A","secretAccessKey":"{SECRET}"}}"#);
        assert!(secret_only_after(&once, &prefixes));
        let twice = format!(
            r#"{{"accessKeyId":"\u0053{}","secretAccessKey":"{SECRET}"}}"#,
            &SECRET[1..]
        );
        assert!(!secret_only_after(&twice, &prefixes));
    }

    #[test]
    fn json_strings_escape_and_read_back() {
        let mut rng = Rng::new(8);
        for s in TEXTS {
            for _ in 0..20 {
                let written = json_str(&mut rng, s);
                let back: String = serde_json::from_str(&written).unwrap();
                assert_eq!(&back, s, "{written}");
            }
        }
    }
}
