//! kinesis-options: the DDL parser (`TableDef::from_ddl`) and option maps
//! (`TableDef::from_options_partitioned`).
//!
//! Checked on every input: no panic; an error renders, and a syntax or located error points
//! at a line and column of the text; a secret written as the value of a sensitive key never
//! shows in an error, a table's Display or Debug, or its resolved options; a
//! table prints as DDL that reads back to a table printing the same.

use std::collections::BTreeMap;

use kinesis_formats::{DataType, LogicalType, RowField};
use kinesis_options::{
    is_sensitive, Column, OptionSpec, OptionsError, TableDef, ValueType, OPTIONS,
};

use crate::driver::{Target, Verdict};
use crate::rng::Rng;

/// The planted secret: a table's output must never hold it when it is only ever written as
/// a sensitive key's value.
const SECRET: &str = "S3CRETqZ";

/// Every way a table shows itself.
fn shown(t: &TableDef) -> String {
    format!(
        "{t}\n{t:?}\n{:?}\n{:?}\n{:?}",
        t.resolved_options(),
        t.warnings(),
        t.check_sink_requirements().err()
    )
}

/// Every way an error shows itself.
fn shown_error(e: &OptionsError) -> String {
    format!("{e}\n{e:?}\n{}", e.without_location())
}

/// A table's printed DDL reads back to a table that prints the same. Tables with a
/// sensitive option are left out: their printed form masks the value on purpose.
fn check_reprint(t: &TableDef) {
    if t.options().keys().any(|k| is_sensitive(k)) {
        return;
    }
    let printed = t.to_string();
    match TableDef::from_ddl(&printed) {
        Ok(again) => assert_eq!(
            again.to_string(),
            printed,
            "the printed table reads back to another table"
        ),
        Err(e) => panic!("the printed table does not read back: {e}\n{printed}"),
    }
}

/// Syntax and located errors point inside the text.
fn check_location(e: &OptionsError, text: &str) {
    let lines: Vec<&str> = text.split('\n').collect();
    let inside = |line: usize, column: usize| {
        line >= 1
            && line <= lines.len()
            && column >= 1
            && column <= lines[line - 1].chars().count() + 1
    };
    match e {
        OptionsError::Syntax(problems) => {
            assert!(!problems.is_empty(), "a syntax error without problems");
            for p in problems {
                assert!(
                    inside(p.line, p.column),
                    "syntax error at line {} column {} outside the {}-line text: {}",
                    p.line,
                    p.column,
                    lines.len(),
                    p.message
                );
            }
        }
        OptionsError::Located {
            line,
            column,
            error,
            ..
        } => {
            assert!(
                inside(*line, *column),
                "error at line {line} column {column} outside the {}-line text: {error}",
                lines.len()
            );
        }
        _ => {}
    }
}

// ---------------------------------------------------------------------------------------
// DDL

/// `TableDef::from_ddl` on CREATE TABLE texts.
pub struct Ddl;

/// Pieces the generator and the mutations put together.
const DDL_TOKENS: &[&[u8]] = &[
    b"CREATE TABLE ",
    b"CREATE TEMPORARY TABLE IF NOT EXISTS ",
    b"(",
    b")",
    b",",
    b"`",
    b"'",
    b"''",
    b"\"",
    b"--",
    b"/*",
    b"*/",
    b"\n",
    b" NOT NULL",
    b" METADATA FROM ",
    b" VIRTUAL",
    b" COMMENT ",
    b"WATERMARK FOR ",
    b" AS ",
    b" - INTERVAL '5' SECOND",
    b"PRIMARY KEY (",
    b") NOT ENFORCED",
    b"PARTITIONED BY (",
    b"WITH (",
    b" = ",
    b"ARRAY<",
    b"MAP<",
    b"ROW<",
    b">",
    b"DECIMAL(",
    b"TIMESTAMP_LTZ(3)",
    b"'timestamp'",
    b"'shard-id'",
    b"'sequence-number'",
    b"'stream'",
    b"'format'",
    b"'csv'",
    b"'json'",
    b"'aws.region'",
    b"'aws.credentials.basic.secretkey'",
    b"secretkey",
    b"\xe3\x80\x80",
    b";",
];

const COLUMN_TYPES: &[&str] = &[
    "INT",
    "BIGINT",
    "STRING",
    "VARCHAR(128)",
    "BYTES",
    "DOUBLE",
    "BOOLEAN",
    "DECIMAL(10, 2)",
    "TIMESTAMP(3)",
    "TIMESTAMP_LTZ(3)",
    "DATE",
    "TIME(3)",
    "ARRAY<STRING>",
    "MAP<STRING, INT>",
    "ROW<x INT, `y z` STRING>",
    "CHAR(3) NOT NULL",
    "BIGINT NOT NULL",
];

const METADATA: &[(&str, &str)] = &[
    ("TIMESTAMP_LTZ(3) NOT NULL", "timestamp"),
    ("VARCHAR(128) NOT NULL", "shard-id"),
    ("VARCHAR(128) NOT NULL", "sequence-number"),
];

/// Values for options: numbers at the edges, enumerations, timestamps, junk.
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
    "AUTO",
    "us-east-1",
    "s",
    "csv",
    "json",
    "avro",
    "raw",
    "kinesis",
    "random",
    "fixed",
    "uniform",
    "HTTP1_1",
    "2016-04-04T19:58:46.480-00:00",
    "1459799926.480",
    "yyyy-MM-dd'T'HH:mm:ss.SSSXXX",
    "'",
    "yyyy'",
    "\u{1F600}",
    "http://127.0.0.1:1",
    "arn:aws:iam::123456789012:role/r",
    "ProvisionedThroughputExceededException",
    "100 ms",
    "PT1S",
];

/// Option keys: every documented key, the deprecated ones, pattern keys and a few unknown.
fn keys() -> Vec<String> {
    let mut k: Vec<String> = OPTIONS
        .iter()
        .map(|s| {
            s.key
                .replace("<stream>", "s")
                .replace("[N]", "[0]")
                .replace("<N>", "0")
        })
        .collect();
    k.extend(
        OPTIONS
            .iter()
            .flat_map(|s| s.fallback_keys.iter().map(|f| f.to_string())),
    );
    k.extend(
        [
            "scan.shard.consumer.error.recoverable[0].exception",
            "scan.shard.consumer.error.recoverable[2].exception",
            "aws.credentials.role.provider.basic.secretkey",
            "aws.credentials.role.provider.role.provider",
            "sink.producer.aggregation-enabled",
            "sink.producer.record-max-buffered-time",
            "aws.clientconfig.x",
            "csv.field-delimiter",
            "json.fail-on-missing-field",
            "avro.timestamp_mapping.legacy",
            "unknown.key",
            "scan.strem.initpos",
        ]
        .map(String::from),
    );
    k
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A value for `key`: its default, one of its allowed values, a value of its type, or junk.
fn random_value(rng: &mut Rng, key: &str) -> String {
    let spec = OptionSpec::find(key);
    match (rng.below(10), spec) {
        (0..=3, Some(s)) if s.default.is_some() => s.default.unwrap_or_default().to_string(),
        (4..=6, Some(s)) if !s.allowed.is_empty() => rng.pick(s.allowed).to_string(),
        (4..=7, Some(s)) => match s.value_type {
            ValueType::Boolean => rng.pick(&["true", "false", "TRUE"]).to_string(),
            ValueType::Integer | ValueType::Long => rng
                .pick(&["0", "1", "100", "500", "1048576", "-1", "2147483648"])
                .to_string(),
            ValueType::Double => rng.pick(&["0.5", "1.5", "2", "-1", "1e3"]).to_string(),
            ValueType::String => rng.pick(VALUES).to_string(),
        },
        (8, _) => (0..rng.small(12))
            .map(|_| char::from(b' ' + rng.below(95) as u8))
            .collect(),
        _ => rng.pick(VALUES).to_string(),
    }
}

fn random_options(rng: &mut Rng) -> Vec<(String, String)> {
    let keys = keys();
    let mut options = vec![
        ("connector".to_string(), "kinesis".to_string()),
        ("stream".to_string(), "s".to_string()),
        (
            "format".to_string(),
            rng.pick(&["csv", "json", "raw", "avro"]).to_string(),
        ),
    ];
    options.push(("aws.region".into(), "us-east-1".into()));
    for _ in 0..rng.small(8) {
        let key = rng.pick(&keys).clone();
        let value = random_value(rng, &key);
        options.push((key, value));
    }
    if rng.chance(40) {
        let key = *rng.pick(&[
            "aws.credentials.basic.secretkey",
            "aws.credentials.basic.sessiontoken",
            "aws.credentials.role.provider.basic.secretkey",
        ]);
        options.push((key.into(), format!("{SECRET}{}", rng.below(1000))));
    }
    options.retain(|_| rng.chance(95));
    options
}

/// A backquoted identifier.
fn ident(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

fn random_ddl(rng: &mut Rng) -> String {
    let mut options = random_options(rng);
    let raw = options.iter().any(|(k, v)| k == "format" && v == "raw");
    let mut names: Vec<String> = Vec::new();
    let mut columns: Vec<String> = Vec::new();
    for i in 0..if raw { 1 } else { 1 + rng.small(5) } {
        let name = format!(
            "{}{i}",
            rng.pick(&["a", "user_id", "ts", "we`ird", "é", "data", "x y"])
        );
        let t = if raw {
            *rng.pick(&["STRING", "BYTES"])
        } else {
            *rng.pick(COLUMN_TYPES)
        };
        columns.push(format!("{} {t}", ident(&name)));
        names.push(name);
    }
    if rng.chance(30) {
        let (t, key) = rng.pick(METADATA);
        let virt = if rng.chance(50) { " VIRTUAL" } else { "" };
        columns.push(format!("m {t} METADATA FROM '{key}'{virt}"));
    }
    if rng.chance(15) {
        columns.push("t TIMESTAMP(3) COMMENT 'event time'".into());
        columns.push("WATERMARK FOR t AS t - INTERVAL '5' SECOND".into());
    }
    if rng.chance(3) {
        columns.push(format!("PRIMARY KEY ({}) NOT ENFORCED", ident(&names[0])));
    }
    if rng.chance(5) {
        options.retain(|(k, _)| k != "aws.region");
    }
    let with: Vec<String> = options
        .iter()
        .map(|(k, v)| format!("  {} = {}", quote(k), quote(v)))
        .collect();
    let mut ddl = format!("CREATE TABLE t (\n  {}\n)", columns.join(",\n  "));
    if rng.chance(15) {
        ddl.push_str("\nCOMMENT 'orders'");
    }
    if rng.chance(20) {
        let key = rng.pick(&names);
        ddl.push_str(&format!("\nPARTITIONED BY ({})", ident(key)));
    }
    ddl.push_str(&format!("\nWITH (\n{}\n)", with.join(",\n")));
    if rng.chance(10) {
        ddl.push_str(";\n-- done");
    }
    ddl
}

/// Whether `text` writes the planted secret only as a sensitive key's quoted value (the
/// leak check applies then; a mutation that moved the secret elsewhere makes it fair game).
fn secret_only_as_value(text: &str) -> bool {
    text.matches(SECRET).count() == 1
        && [
            "'aws.credentials.basic.secretkey' = '",
            "'aws.credentials.basic.sessiontoken' = '",
            "'aws.credentials.role.provider.basic.secretkey' = '",
        ]
        .iter()
        .any(|k| text.contains(&format!("{k}{SECRET}")))
}

impl Target for Ddl {
    fn name(&self) -> &'static str {
        "ddl"
    }

    fn about(&self) -> &'static str {
        "kinesis-options TableDef::from_ddl: the CREATE TABLE parser and the table validation"
    }

    fn dictionary(&self) -> &'static [&'static [u8]] {
        DDL_TOKENS
    }

    fn generate(&self, rng: &mut Rng) -> Vec<u8> {
        random_ddl(rng).into_bytes()
    }

    fn run(&self, input: &[u8]) -> Verdict {
        let text = String::from_utf8_lossy(input);
        let check_secret = secret_only_as_value(&text);
        let (verdict, output) = match TableDef::from_ddl(&text) {
            Ok(t) => {
                check_reprint(&t);
                (Verdict::Accepted, shown(&t))
            }
            Err(e) => {
                let out = shown_error(&e);
                assert!(!e.to_string().is_empty(), "an empty error message");
                check_location(&e, &text);
                (Verdict::Rejected, out)
            }
        };
        if check_secret {
            check_no_secret(&output);
        }
        verdict
    }
}

/// The output holds no secret; the failure names the output's first line (numbers apart,
/// it tells one leak from another).
fn check_no_secret(output: &str) {
    assert!(
        !output.contains(SECRET),
        "the secret value shows in the output of: {}\n{output}",
        output.lines().next().unwrap_or("")
    );
}

// ---------------------------------------------------------------------------------------
// Option maps

/// `TableDef::from_options_partitioned` on columns and option maps.
///
/// An input is text: the physical row type (`ROW<...>`, Flink's spelling) on the first
/// line, the PARTITIONED BY columns (comma-separated) on the second, then one `key=value`
/// option a line.
pub struct OptionMaps;

impl Target for OptionMaps {
    fn name(&self) -> &'static str {
        "options"
    }

    fn about(&self) -> &'static str {
        "kinesis-options TableDef::from_options_partitioned: option maps, validated"
    }

    fn dictionary(&self) -> &'static [&'static [u8]] {
        &[
            b"\naws.credentials.provider=",
            b"\nscan.stream.initpos=",
            b"\nsink.batch.max-size=",
            b"\nformat=",
            b"\naws.endpoint=",
            b"\nscan.stream.initpos.timestamp=",
            b"=",
            b"\n",
            b"-1",
            b"2147483648",
            b"9223372036854775808",
            b"AT_TIMESTAMP",
            b"ASSUME_ROLE",
            b"\naws.credentials.role.provider=",
            b".role.provider",
            b"[0]",
            b"EFO",
        ]
    }

    fn generate(&self, rng: &mut Rng) -> Vec<u8> {
        let options = random_options(rng);
        let raw = options.iter().any(|(k, v)| k == "format" && v == "raw");
        let fields: Vec<RowField> = (0..if raw { 1 } else { 1 + rng.small(4) })
            .map(|i| {
                let t = if raw {
                    *rng.pick(&["STRING", "BYTES"])
                } else {
                    *rng.pick(COLUMN_TYPES)
                };
                let t = DataType::parse(t).expect("a column type");
                RowField::new(format!("{}{i}", rng.pick(&["a", "b", "id", "x y"])), t)
            })
            .collect();
        let partition = if rng.chance(25) {
            fields[rng.below(fields.len())].name.clone()
        } else {
            String::new()
        };
        let mut text = format!(
            "{}\n{partition}",
            DataType::nullable(LogicalType::Row(fields))
        );
        for (k, v) in options {
            text.push_str(&format!("\n{k}={v}"));
        }
        text.into_bytes()
    }

    fn run(&self, input: &[u8]) -> Verdict {
        let text = String::from_utf8_lossy(input);
        let mut lines = text.split('\n');
        let Some(Ok(DataType {
            kind: LogicalType::Row(fields),
            ..
        })) = lines.next().map(DataType::parse)
        else {
            return Verdict::Rejected;
        };
        let partition: Vec<String> = match lines.next() {
            Some("") | None => Vec::new(),
            Some(p) => p.split(',').map(String::from).collect(),
        };
        let options: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        // The secret is checked when it is written only as the value of sensitive keys.
        let check_secret = options
            .iter()
            .any(|(k, v)| is_sensitive(k) && v.contains(SECRET))
            && options
                .iter()
                .all(|(k, v)| !k.contains(SECRET) && (is_sensitive(k) || !v.contains(SECRET)))
            && fields.iter().all(|f| !f.name.contains(SECRET))
            && partition.iter().all(|p| !p.contains(SECRET));
        let columns: Vec<Column> = fields
            .into_iter()
            .map(|f| Column::physical(f.name, f.data_type))
            .collect();
        let (verdict, output) =
            match TableDef::from_options_partitioned("t", columns, partition, options.clone()) {
                Ok(t) => {
                    check_reprint(&t);
                    // The options as given, the last of a repeated key winning, are the
                    // table's options (deprecated keys may add their new names).
                    let given: BTreeMap<&str, &str> = options
                        .iter()
                        .map(|(k, v)| (k.as_str(), v.as_str()))
                        .collect();
                    for (k, v) in &given {
                        if let Some(kept) = t.options().get(*k) {
                            assert_eq!(kept, v, "option {k} changed its value");
                        }
                    }
                    (Verdict::Accepted, shown(&t))
                }
                Err(e) => {
                    assert!(!e.to_string().is_empty(), "an empty error message");
                    (Verdict::Rejected, shown_error(&e))
                }
            };
        if check_secret {
            check_no_secret(&output);
        }
        verdict
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_tables_are_mostly_valid() {
        let mut rng = Rng::new(4);
        let (mut ddl_ok, mut map_ok) = (0, 0);
        for _ in 0..300 {
            ddl_ok += usize::from(Ddl.run(&Ddl.generate(&mut rng)) == Verdict::Accepted);
            map_ok +=
                usize::from(OptionMaps.run(&OptionMaps.generate(&mut rng)) == Verdict::Accepted);
        }
        assert!(ddl_ok > 60, "{ddl_ok} of 300 DDL texts valid");
        assert!(map_ok > 60, "{map_ok} of 300 option maps valid");
    }

    #[test]
    fn the_secret_check_applies_to_values_only() {
        assert!(secret_only_as_value(&format!(
            "WITH ('aws.credentials.basic.secretkey' = '{SECRET}1')"
        )));
        assert!(!secret_only_as_value(&format!(
            "WITH ('stream' = '{SECRET}')"
        )));
        assert!(!secret_only_as_value(&format!(
            "WITH ('aws.credentials.basic.secretkey' = '{SECRET}', 'stream' = '{SECRET}')"
        )));
    }
}
