//! Property tests: no DDL text and no option map makes the parser or validator panic.

use kinesis_formats::DataType;
use kinesis_options::OPTIONS;
use kinesis_options::{Column, TableDef};
use proptest::prelude::*;

/// Pieces of DDL, so random sequences often get deep into the grammar.
const DDL_PIECES: &[&str] = &[
    "CREATE",
    "TABLE",
    "TEMPORARY",
    "IF",
    "NOT",
    "EXISTS",
    "t",
    "`a``b`",
    "(",
    ")",
    ",",
    ".",
    "INT",
    "BIGINT",
    "STRING",
    "VARCHAR(128)",
    "TIMESTAMP(3)",
    "TIMESTAMP_LTZ(3)",
    "ARRAY<",
    ">",
    "ROW<x INT>",
    "DECIMAL(10,",
    "2)",
    "NULL",
    "METADATA",
    "FROM",
    "'timestamp'",
    "'shard-id'",
    "VIRTUAL",
    "COMMENT",
    "'c''s'",
    "WATERMARK",
    "FOR",
    "AS",
    "-",
    "INTERVAL",
    "PRIMARY",
    "KEY",
    "ENFORCED",
    "PARTITIONED",
    "BY",
    "WITH",
    "'stream'",
    "=",
    "'s'",
    "'format'",
    "'csv'",
    "'aws.region'",
    "'us-east-1'",
    "'aws.credentials.basic.secretkey'",
    "secretkey",
    "\u{3000}",
    "→",
    ":",
    "--",
    "\n",
    "/*",
    "*/",
    ";",
    "'",
    "`",
    "é",
    "\u{1F600}",
    "\t",
];

/// What may follow a sensitive key before its value: separators, and a `,` or `)` that
/// comes before any value (the value is still to come).
const BEFORE_VALUE: &[&str] = &["=", "==", ":", "(", ",", ")", ";", " ", "\n", "/* c */"];

/// What may sit inside a value before the secret: literals, operators, brackets, comments
/// (no `,` or `)` at depth 0: after a literal those end the value).
const IN_VALUE: &[&str] = &[
    "'a'", "x", "1.5", "||", "+", "-", "(", "=", "'b''c'", "/* c */", "-- c\n", "\n", "`q`", "é",
    "\"",
];

/// The secret, written in the ways a value can be.
const SECRET_FORMS: &[&str] = &[
    "'{S}'",
    "{S}",
    "'x{S}'",
    "x{S}",
    "'{S}",
    "\"{S}\"",
    "/* {S} */",
    "-- {S}\n",
    "`{S}`",
    "'a''{S}'",
    "{S}-1",
    "1{S}",
    "'{S}' || 'z'",
];

/// What may follow the secret: the next option, the end, junk.
const AFTER_VALUE: &[&str] = &[
    ",",
    ")",
    "'b'",
    "junk",
    "\n",
    ";",
    ", 'k' = 'v'",
    "= 'z'",
    "(",
    "))",
];

fn ddl_soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(DDL_PIECES), 0..40).prop_map(|v| v.join(" "))
}

fn keys() -> Vec<&'static str> {
    let mut k: Vec<&'static str> = OPTIONS.iter().map(|s| s.key).collect();
    k.extend(OPTIONS.iter().flat_map(|s| s.fallback_keys.iter().copied()));
    k.extend([
        "scan.stream.efo.consumerarn.s",
        "scan.shard.consumer.error.recoverable[0].exception",
        "scan.shard.consumer.error.recoverable[1].exception",
        "aws.credentials.role.provider.basic.secretkey",
        "aws.credentials.role.provider.role.provider",
        "sink.producer.aggregation-enabled",
        "csv.field-delimiter",
        "json.fail-on-missing-field",
        "unknown.key",
    ]);
    k
}

const VALUES: &[&str] = &[
    "",
    "0",
    "-1",
    "1",
    "500",
    "501",
    "1048576",
    "99999999999999999999",
    "1.5",
    "NaN",
    "true",
    "TRUE",
    "false",
    "abc",
    "LATEST",
    "TRIM_HORIZON",
    "AT_TIMESTAMP",
    "EFO",
    "POLLING",
    "NONE",
    "EAGER",
    "LAZY",
    "BASIC",
    "ASSUME_ROLE",
    "CUSTOM",
    "PROFILE",
    "us-east-1",
    "s",
    "csv",
    "json",
    "raw",
    "kinesis",
    "random",
    "fixed",
    "uniform",
    "HTTP1_1",
    "2016-04-04T19:58:46.480-00:00",
    "yyyy-MM-dd'T'HH:mm:ss.SSSXXX",
    "'",
    "yyyy'",
    "\u{1F600}",
    "http://127.0.0.1:1",
];

fn option_map() -> impl Strategy<Value = Vec<(String, String)>> {
    let keys = keys();
    prop::collection::vec(
        (
            prop::sample::select(keys),
            prop_oneof![
                prop::sample::select(VALUES).prop_map(String::from),
                ".{0,12}"
            ],
        ),
        0..16,
    )
    .prop_map(|v| v.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn timestamps_never_panic(text in ".{0,40}", pattern in "[yMdHmsSXZ'T: .x-]{0,30}") {
        // Through the table: the timestamp and its pattern are options.
        for format in [Some(pattern.as_str()), None] {
            let mut options = vec![
                ("stream", "s"), ("format", "csv"), ("aws.region", "us-east-1"),
                ("scan.stream.initpos", "AT_TIMESTAMP"),
                ("scan.stream.initpos-timestamp", text.as_str()),
            ];
            if let Some(f) = format {
                options.push(("scan.stream.initpos-timestamp-format", f));
            }
            let _ = TableDef::from_options("t", vec![], options);
        }
    }

    #[test]
    fn arbitrary_text_never_panics(text in ".{0,200}") {
        let _ = TableDef::from_ddl(&text);
    }

    #[test]
    fn ddl_soup_never_panics(text in ddl_soup()) {
        if let Err(e) = TableDef::from_ddl(&text) {
            // Every error renders.
            prop_assert!(!e.to_string().is_empty());
        }
    }

    /// A secret value never shows in an error, a Display or Debug form, the resolved
    /// options or the validate summary, whether the table comes from a map or from DDL.
    #[test]
    fn secrets_never_leak(
        mut options in option_map(),
        secret in "Zq9[a-z]{8}",
        key in prop::sample::select(vec![
            "aws.credentials.basic.secretkey",
            "aws.credentials.basic.sessiontoken",
            "aws.credentials.role.provider.basic.secretkey",
        ]),
    ) {
        options.retain(|(k, _)| k != key);
        options.push((key.to_string(), secret.clone()));
        let quote = |s: &str| format!("'{}'", s.replace('\'', "''"));
        let with: Vec<String> = options
            .iter()
            .map(|(k, v)| format!("{} = {}", quote(k), quote(v)))
            .collect();
        let ddl = format!("CREATE TABLE t (a STRING, b DOUBLE)\nWITH (\n{}\n)", with.join(",\n"));
        let shown = |r: Result<TableDef, kinesis_options::OptionsError>| match r {
            Ok(t) => format!("{t}{t:?}{:?}", t.resolved_options()),
            Err(e) => format!("{e}{e:?}"),
        };
        let columns = vec![
            Column::physical("a", DataType::parse("STRING").unwrap()),
            Column::physical("b", DataType::parse("DOUBLE").unwrap()),
        ];
        for text in [
            shown(TableDef::from_options("t", columns, options.clone())),
            shown(TableDef::from_ddl(&ddl)),
        ] {
            prop_assert!(!text.contains(&secret), "{}", text);
        }
    }

    /// Issue #13 finding 5: whatever separators, brackets, operators, literals and
    /// comments sit between a sensitive key and its value (up to the next option), the
    /// value never shows in an error or anywhere else.
    #[test]
    fn secrets_never_leak_whatever_precedes_them(
        secret in "Zq9[a-z]{8}",
        key in prop::sample::select(vec![
            "'aws.credentials.basic.secretkey'",
            "'aws.credentials.basic.sessiontoken'",
            "'aws.credentials.role.provider.basic.secretkey'",
            "aws.credentials.basic.secretkey",
        ]),
        before in prop::collection::vec(prop::sample::select(BEFORE_VALUE), 0..5),
        between in prop::collection::vec(prop::sample::select(IN_VALUE), 0..5),
        form in prop::sample::select(SECRET_FORMS),
        after in prop::collection::vec(prop::sample::select(AFTER_VALUE), 0..4),
        separator in prop::sample::select(vec![" ", "\n", ""]),
        comma in prop::sample::select(vec![",", ""]),
    ) {
        let mut pieces: Vec<String> = vec![key.to_string()];
        pieces.extend(before.iter().map(|p| p.to_string()));
        pieces.extend(between.iter().map(|p| p.to_string()));
        pieces.push(form.replace("{S}", &secret));
        pieces.extend(after.iter().map(|p| p.to_string()));
        let ddl = format!(
            "CREATE TABLE t (a STRING, b DOUBLE)\nWITH (\n'stream' = 's'{comma}\n{}\n)",
            pieces.join(separator)
        );
        let text = match TableDef::from_ddl(&ddl) {
            Ok(t) => format!("{t}{t:?}{:?}", t.resolved_options()),
            Err(e) => format!("{e}{e:?}"),
        };
        prop_assert!(!text.contains(&secret), "{}\n{}", ddl, text);
    }

    #[test]
    fn option_maps_never_panic(mut options in option_map(), partitioned in any::<bool>()) {
        options.push(("stream".into(), "s".into()));
        options.push(("format".into(), "csv".into()));
        let columns = vec![
            Column::physical("a", DataType::parse("STRING").unwrap()),
            Column::physical("b", DataType::parse("DOUBLE").unwrap()),
        ];
        let keys: Vec<&str> = if partitioned { vec!["a", "b"] } else { vec![] };
        match TableDef::from_options_partitioned("t", columns, keys, options.clone()) {
            Ok(t) => {
                let _ = t.resolved_options();
                let _ = t.check_sink_requirements();
                let _ = format!("{t}{t:?}");
                // Display output parses back.
                prop_assert!(TableDef::from_ddl(&t.to_string()).is_ok() || options.iter().any(|(k, _)| k.contains("secret") || k.contains("token")));
            }
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }
}
