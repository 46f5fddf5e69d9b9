//! `CREATE TABLE` forms, the seed document's example, and DDL errors with positions.

use kinesis_formats::{DataType, LogicalType};
use kinesis_options::{Column, ColumnKind, MetadataKey, OptionsError, Partitioner, TableDef};

const WITH: &str =
    "WITH ('connector' = 'kinesis', 'stream' = 's', 'format' = 'csv', 'aws.region' = 'us-east-1')";

fn ddl(body: &str) -> Result<TableDef, OptionsError> {
    TableDef::from_ddl(&format!("CREATE TABLE t ({body}) {WITH}"))
}

/// Line and column of a validation error found in a DDL text.
fn at(e: &OptionsError) -> Option<(usize, usize)> {
    match e {
        OptionsError::Located { line, column, .. } => Some((*line, *column)),
        _ => None,
    }
}

fn problems(e: OptionsError) -> Vec<(usize, usize, String)> {
    match e {
        OptionsError::Syntax(p) => p
            .into_iter()
            .map(|p| (p.line, p.column, p.message))
            .collect(),
        other => panic!("expected a syntax error, got {other:?}"),
    }
}

/// The seed document's extended example, with its lost `)`, `WITH (` and `);` restored.
const SEED_RESTORED: &str = "CREATE TABLE KinesisTable (
  `user_id` BIGINT,
  `item_id` BIGINT,
  `category_id` BIGINT,
  `behavior` STRING,
  `ts` TIMESTAMP(3),
  `arrival_time` TIMESTAMP(3) METADATA FROM 'timestamp' VIRTUAL,
  `shard_id` VARCHAR(128) NOT NULL METADATA FROM 'shard-id' VIRTUAL,
  `sequence_number` VARCHAR(128) NOT NULL METADATA FROM 'sequence-number' VIRTUAL
)
PARTITIONED BY (user_id, item_id)
WITH (
  'connector' = 'kinesis',
  'stream' = 'user_behavior',
  'aws.region' = 'us-east-2',
  'scan.stream.initpos' = 'LATEST',
  'format' = 'csv'
);";

/// The same example as the seed document prints it.
const SEED_PRINTED: &str = "CREATE TABLE KinesisTable (
  `user_id` BIGINT,
  `item_id` BIGINT,
  `category_id` BIGINT,
  `behavior` STRING,
  `ts` TIMESTAMP(3),
  `arrival_time` TIMESTAMP(3) METADATA FROM 'timestamp' VIRTUAL,
  `shard_id` VARCHAR(128) NOT NULL METADATA FROM 'shard-id' VIRTUAL,
  `sequence_number` VARCHAR(128) NOT NULL METADATA FROM 'sequence-number' VIRTUAL
PARTITIONED BY (user_id, item_id)
  'connector' = 'kinesis',
  'stream' = 'user_behavior',
  'aws.region' = 'us-east-2',
  'scan.stream.initpos' = 'LATEST',
  'format' = 'csv'
";

#[test]
fn seed_example_parses_once_repaired() {
    let t = TableDef::from_ddl(SEED_RESTORED).unwrap();
    assert_eq!(t.name(), "KinesisTable");
    assert_eq!(t.stream(), "user_behavior");
    let physical: Vec<&str> = t.physical_columns().map(|c| c.name.as_str()).collect();
    assert_eq!(
        physical,
        ["user_id", "item_id", "category_id", "behavior", "ts"]
    );
    let meta: Vec<(&str, MetadataKey)> = t
        .metadata_columns()
        .map(|c| (c.name.as_str(), c.metadata_key().unwrap()))
        .collect();
    assert_eq!(
        meta,
        [
            ("arrival_time", MetadataKey::Timestamp),
            ("shard_id", MetadataKey::ShardId),
            ("sequence_number", MetadataKey::SequenceNumber)
        ]
    );
    assert_eq!(t.partition_keys(), ["user_id", "item_id"]);
    assert_eq!(
        t.sink_options().partitioner,
        Partitioner::Fields {
            columns: vec!["user_id".into(), "item_id".into()],
            delimiter: "|".into()
        }
    );
    assert!(t.check_sink_requirements().is_ok());
    // The short example too.
    let short = SEED_RESTORED
        .lines()
        .filter(|l| !l.contains("METADATA"))
        .collect::<Vec<_>>()
        .join("\n")
        .replace("TIMESTAMP(3),", "TIMESTAMP(3)");
    assert_eq!(TableDef::from_ddl(&short).unwrap().columns().len(), 5);
}

#[test]
fn seed_example_as_printed_says_what_is_missing_where() {
    let e = TableDef::from_ddl(SEED_PRINTED).unwrap_err();
    let text = e.to_string();
    assert_eq!(
        problems(e),
        vec![
            (10, 1, "missing ')' to close the column list opened at line 1, column 27 (expected ')' before PARTITIONED BY)".to_string()),
            (11, 3, "missing 'WITH (' before the table options: the string 'connector' starts an option but no WITH clause was opened".to_string()),
            (15, 19, "missing ')' to close the WITH options (expected ')' after the last option)".to_string()),
        ]
    );
    assert!(
        text.contains("10 | PARTITIONED BY (user_id, item_id)\n   | ^"),
        "{text}"
    );
}

#[test]
fn statement_forms() {
    for head in [
        "CREATE TABLE t",
        "create table IF NOT EXISTS t",
        "CREATE TEMPORARY TABLE cat.db.t",
        "CREATE TABLE `my``table`",
    ] {
        let t = TableDef::from_ddl(&format!("{head} (a INT) {WITH};")).unwrap();
        assert_eq!(t.columns().len(), 1, "{head}");
    }
    assert_eq!(
        TableDef::from_ddl(&format!("CREATE TABLE cat.db.t (a INT) {WITH}"))
            .unwrap()
            .name(),
        "cat.db.t"
    );
    assert_eq!(
        TableDef::from_ddl(&format!("CREATE TABLE `my``table` (a INT) {WITH}"))
            .unwrap()
            .name(),
        "my`table"
    );
}

#[test]
fn columns_comments_and_strings() {
    let t = TableDef::from_ddl(
        "-- a comment line\n\
         CREATE TABLE t ( /* block\n comment */\n\
           `select` BIGINT NOT NULL COMMENT 'the id''s value',\n\
           `we``ird` ROW<x INT, y ARRAY<STRING>>,\n\
           m MAP<STRING, DOUBLE> -- trailing comment\n\
         ) COMMENT 'it''s a table' WITH ('stream' = 'it''s', 'format' = 'json', 'aws.region' = 'us-east-1')",
    )
    .unwrap();
    let c = t.columns();
    assert_eq!(c[0].name, "select");
    assert!(!c[0].data_type.nullable);
    assert_eq!(c[0].comment.as_deref(), Some("the id's value"));
    assert_eq!(c[1].name, "we`ird");
    assert!(matches!(c[1].data_type.kind, LogicalType::Row(_)));
    assert!(matches!(c[2].data_type.kind, LogicalType::Map(..)));
    assert_eq!(t.comment(), Some("it's a table"));
    assert_eq!(t.stream(), "it's");
}

#[test]
fn metadata_columns() {
    let t = ddl("a INT, \
         `timestamp` TIMESTAMP_LTZ(3) NOT NULL METADATA, \
         sid STRING METADATA FROM 'shard-id', \
         seq VARCHAR(128) METADATA FROM 'sequence-number' VIRTUAL COMMENT 'seq'")
    .unwrap();
    let kinds: Vec<ColumnKind> = t.columns().iter().map(|c| c.kind).collect();
    assert_eq!(
        kinds,
        [
            ColumnKind::Physical,
            ColumnKind::Metadata {
                key: MetadataKey::Timestamp,
                is_virtual: false
            },
            ColumnKind::Metadata {
                key: MetadataKey::ShardId,
                is_virtual: false
            },
            ColumnKind::Metadata {
                key: MetadataKey::SequenceNumber,
                is_virtual: true
            },
        ]
    );
    assert_eq!(t.physical_row_type().len(), 1);
    // Metadata is read-only: persisted metadata columns stop a sink.
    let e = t.check_sink_requirements().unwrap_err().to_string();
    assert_eq!(
        e,
        "Table 't' declares persistable metadata columns, but the underlying DynamicTableSink doesn't implement the SupportsWritingMetadata interface. If the column should not be persisted, it can be declared with the VIRTUAL keyword."
    );

    let e = ddl("a INT, m STRING METADATA FROM 'partition-key' VIRTUAL").unwrap_err();
    assert_eq!(at(&e), Some((1, 47)), "{e}");
    assert_eq!(
        e.without_location().to_string(),
        "Invalid metadata key 'partition-key' in column 'm' of table 't'. The DynamicTableSource class 'org.apache.flink.streaming.connectors.kinesis.table.KinesisDynamicSource' supports the following metadata keys for reading:\ntimestamp\nsequence-number\nshard-id"
    );
    let e = ddl("a INT, m INT METADATA FROM 'timestamp' VIRTUAL").unwrap_err();
    assert_eq!(at(&e), Some((1, 26)), "{e}");
    assert_eq!(
        e.without_location().to_string(),
        "Invalid data type for metadata column 'm' with metadata key 'timestamp' of table 't'. The column cannot be declared as 'INT' because the type must be castable from metadata type 'TIMESTAMP_LTZ(3) NOT NULL'."
    );
    assert!(
        matches!(e.without_location(), OptionsError::Schema { column: Some(ref c), .. } if c == "m")
    );
    let e = ddl("a INT, `shard-id` ARRAY<INT> METADATA VIRTUAL").unwrap_err();
    assert_eq!(
        e.without_location().to_string(),
        "Invalid data type for metadata column 'shard-id' of table 't'. The column cannot be declared as 'ARRAY<INT>' because the type must be castable from metadata type 'VARCHAR(128) NOT NULL'."
    );
    // TIMESTAMP(3) can hold the TIMESTAMP_LTZ(3) metadata (seed example).
    assert!(ddl("a INT, t TIMESTAMP(3) METADATA FROM 'timestamp' VIRTUAL").is_ok());
}

#[test]
fn watermark_is_kept() {
    let t = ddl("a INT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '5' SECOND").unwrap();
    let w = t.watermark().unwrap();
    assert_eq!(w.column, "ts");
    assert_eq!(w.expression, "ts - INTERVAL '5' SECOND");
    let t = ddl("ts TIMESTAMP(3), WATERMARK FOR `ts` AS f(ts, 1), b INT").unwrap();
    assert_eq!(t.watermark().unwrap().expression, "f(ts, 1)");
    assert_eq!(t.columns().len(), 2);
    let e = ddl("a INT, WATERMARK FOR ts AS ts").unwrap_err();
    assert_eq!(at(&e), Some((1, 38)), "{e}");
    assert_eq!(
        e.without_location().to_string(),
        "The rowtime attribute field 'ts' is not defined in the table schema."
    );
}

#[test]
fn rejected_forms() {
    let p = problems(ddl("a INT, b AS a + 1").unwrap_err());
    assert_eq!(p[0].0, 1);
    assert_eq!(
        p[0].2,
        "computed column `b` is not supported: declare a physical or METADATA column"
    );
    for body in [
        "a INT, PRIMARY KEY (a) NOT ENFORCED",
        "a INT PRIMARY KEY NOT ENFORCED",
        "a INT, CONSTRAINT pk PRIMARY KEY (a) NOT ENFORCED",
    ] {
        let p = problems(ddl(body).unwrap_err());
        assert_eq!(
            p[0].2,
            "PRIMARY KEY is not supported: the kinesis connector is append-only (it cannot apply updates or deletes)",
            "{body}"
        );
    }
    let p = problems(ddl("a INT, a BIGINT").unwrap_err());
    assert_eq!(
        p[0].2,
        "column `a` is defined twice (first at line 1, column 17)"
    );
    let p = problems(
        TableDef::from_ddl("CREATE TABLE t (a INT) WITH ('stream' = 's',\n 'stream' = 'x')")
            .unwrap_err(),
    );
    assert_eq!(
        p[0],
        (
            2,
            2,
            "option 'stream' is set twice (first at line 1, column 30)".into()
        )
    );
}

#[test]
fn syntax_errors_point_at_line_and_column() {
    let cases: &[(&str, (usize, usize), &str)] = &[
        (
            "CREATE TABLE t (a FOO) WITH ()",
            (1, 19),
            "invalid type for column `a`: ",
        ),
        (
            "CREATE TABLE t (a INT) WITH ('x' = 'open)",
            (1, 36),
            "unterminated string literal",
        ),
        (
            "CREATE TABLE t (a INT /* x) WITH ()",
            (1, 23),
            "unterminated comment",
        ),
        (
            "CREATE TABLE t (a INT) WITH ('s' = 's') extra",
            (1, 41),
            "unexpected 'extra' after the end",
        ),
        (
            "CREATE VIEW t",
            (1, 8),
            "expected TABLE after CREATE, found 'VIEW'",
        ),
        (
            "SELECT 1",
            (1, 1),
            "expected CREATE at the start of the statement",
        ),
        (
            "CREATE TABLE t (a INT b INT) WITH ()",
            (1, 23),
            "expected ',' or ')' after column `a`, found 'b'",
        ),
        (
            "CREATE TABLE t (a INT)\nWITH ('s' 's')",
            (2, 11),
            "expected '=' after option key 's'",
        ),
        (
            "CREATE TABLE t (a INT) WITH ('s' = 's' 't' = 'u')",
            (1, 40),
            "missing ',' between options",
        ),
        (
            "CREATE TABLE t (a INT) WITH ('s' = 1)",
            (1, 36),
            "expected the value of option 's' as a quoted string, found the number 1",
        ),
        (
            "CREATE TABLE t (a INT) PARTITIONED BY (a WITH ('s' = 's')",
            (1, 42),
            "expected ',' or ')' in PARTITIONED BY",
        ),
        (
            "CREATE TABLE t (a INT) garbage",
            (1, 24),
            "expected COMMENT, PARTITIONED BY or WITH (",
        ),
        (
            "CREATE TABLE t (\n  a INT,\n  b `unterminated",
            (3, 5),
            "unterminated quoted identifier",
        ),
        (
            "CREATE TABLE t ()",
            (1, 17),
            "expected a column name, found ')'",
        ),
    ];
    for (text, (line, col), msg) in cases {
        let p = problems(TableDef::from_ddl(text).unwrap_err());
        assert_eq!((p[0].0, p[0].1), (*line, *col), "{text}: {p:?}");
        assert!(p[0].2.starts_with(msg), "{text}: {}", p[0].2);
    }
}

#[test]
fn without_with_clause_reports_required_options() {
    let e = TableDef::from_ddl("CREATE TABLE t (a INT)").unwrap_err();
    assert_eq!(
        e.to_string(),
        "One or more required options are missing.\n\nMissing required options are:\n\nformat\nstream"
    );
}

#[test]
fn display_round_trips() {
    let t = TableDef::from_ddl(SEED_RESTORED).unwrap();
    let again = TableDef::from_ddl(&t.to_string()).unwrap();
    assert_eq!(again.columns(), t.columns());
    assert_eq!(again.partition_keys(), t.partition_keys());
    assert_eq!(again.resolved_options(), t.resolved_options());
    let w = ddl("ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND").unwrap();
    assert_eq!(
        TableDef::from_ddl(&w.to_string()).unwrap().watermark(),
        w.watermark()
    );
}

#[test]
fn not_null_and_types_come_from_the_formats_parser() {
    let t = ddl("ts TIMESTAMP(3) WITH LOCAL TIME ZONE NOT NULL, d DOUBLE").unwrap();
    assert_eq!(
        t.columns()[0].data_type,
        DataType::parse("TIMESTAMP_LTZ(3) NOT NULL").unwrap()
    );
    let t = ddl("a DECIMAL(10, 2) NOT NULL, b VARCHAR(5) NULL").unwrap();
    assert_eq!(
        t.columns()[0].data_type,
        DataType::parse("DECIMAL(10,2) NOT NULL").unwrap()
    );
    assert!(t.columns()[1].data_type.nullable);
}

/// A DDL whose WITH block alone is invalid (no region or endpoint, batch size 0).
const NEEDS_OVERRIDES: &str = "CREATE TABLE orders (
  id BIGINT COMMENT 'order id',
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
) COMMENT 'all orders'
PARTITIONED BY (id)
WITH ('stream' = 'orders', 'format' = 'json', 'sink.batch.max-size' = '0')";

#[test]
fn overrides_are_merged_before_validation() {
    let e = TableDef::from_ddl(NEEDS_OVERRIDES).unwrap_err();
    assert_eq!(at(&e), Some((7, 71)), "{e}");
    assert_eq!(
        e.without_location().to_string(),
        "Invalid option batch size. Must be a positive integer"
    );
    let t = TableDef::from_ddl_with_overrides(
        NEEDS_OVERRIDES,
        [
            ("sink.batch.max-size", "7"),
            ("aws.endpoint", "http://127.0.0.1:1"),
            ("sink.batch.max-size", "100"),
        ],
    )
    .unwrap();
    // Later overrides win; the merged map is what the table reports.
    assert_eq!(t.sink_options().batch_max_size, 100);
    assert_eq!(t.options()["sink.batch.max-size"], "100");
    assert_eq!(t.options()["aws.endpoint"], "http://127.0.0.1:1");
    assert_eq!(t.options()["stream"], "orders");
    // Everything else the DDL says is kept.
    assert_eq!(t.name(), "orders");
    let w = t.watermark().expect("watermark kept");
    assert_eq!(
        (w.column.as_str(), w.expression.as_str()),
        ("ts", "ts - INTERVAL '5' SECOND")
    );
    assert_eq!(t.comment(), Some("all orders"));
    assert_eq!(t.columns()[0].comment.as_deref(), Some("order id"));
    assert_eq!(t.partition_keys(), ["id"]);
    assert_eq!(t.format_options().name, "json");
    // The Display form carries the merged options and the clauses.
    let again = TableDef::from_ddl(&t.to_string()).unwrap();
    assert_eq!(again.watermark(), t.watermark());
    assert_eq!(again.comment(), t.comment());
    assert_eq!(again.resolved_options(), t.resolved_options());
}

#[test]
fn overrides_complete_a_ddl_without_with() {
    let text = "CREATE TABLE t (a INT)";
    assert!(matches!(
        TableDef::from_ddl(text),
        Err(OptionsError::MissingOptions(keys)) if keys == ["format", "stream"]
    ));
    let t = TableDef::from_ddl_with_overrides(
        text,
        [
            ("stream", "s"),
            ("format", "csv"),
            ("aws.region", "us-east-1"),
        ],
    )
    .unwrap();
    assert_eq!(t.stream(), "s");
    // Overrides are validated like WITH options: an unknown key is still refused.
    let e = TableDef::from_ddl_with_overrides(
        text,
        [
            ("stream", "s"),
            ("format", "csv"),
            ("aws.regoin", "us-east-1"),
        ],
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("aws.regoin (did you mean 'aws.region'?)"), "{e}");
}

#[test]
fn overrides_do_not_hide_syntax_errors_or_deprecated_precedence() {
    // A syntax error stays a syntax error with its position.
    let p = problems(
        TableDef::from_ddl_with_overrides("CREATE TABLE t (a INT b INT)", [("stream", "s")])
            .unwrap_err(),
    );
    assert_eq!((p[0].0, p[0].1), (1, 23));
    // §8: the new key wins over its deprecated fallback, whichever side wrote which.
    let ddl_old = "CREATE TABLE t (a INT) WITH ('stream' = 's', 'format' = 'csv', 'aws.region' = 'us-east-1', 'sink.producer.collection-max-size' = '10')";
    let t = TableDef::from_ddl_with_overrides(ddl_old, [("sink.batch.max-size", "20")]).unwrap();
    assert_eq!(t.sink_options().batch_max_size, 20);
    let t = TableDef::from_ddl_with_overrides(
        &format!("CREATE TABLE t (a INT) {WITH}"),
        [("sink.producer.collection-max-size", "30")],
    )
    .unwrap();
    assert_eq!(t.sink_options().batch_max_size, 30);
}

#[test]
fn secrets_never_appear_in_ddl_errors() {
    let secret = "S3CR3T-value";
    let head = "CREATE TABLE t (a INT) WITH (";
    for tail in [
        // '=' missing: the found token is the secret.
        "'aws.credentials.basic.secretkey' 'S3CR3T-value')",
        // Unterminated secret.
        "'aws.credentials.basic.secretkey' = 'S3CR3T-value",
        // Value on the next line, error on that line.
        "'aws.credentials.basic.secretkey' =\n 'S3CR3T-value' 'x')",
        "'aws.credentials.basic.secretkey'\n = 'S3CR3T-value' x)",
        // Unquoted value, and an unquoted key.
        "'aws.credentials.basic.sessiontoken' = S3CR3T-value)",
        "aws.credentials.basic.secretkey = 'S3CR3T-value')",
        // Errors elsewhere on the secret's line.
        "'aws.credentials.basic.secretkey' = 'S3CR3T-value' junk)",
        "'aws.credentials.basic.secretkey' = 'S3CR3T-value'",
        "'aws.credentials.role.provider.basic.secretkey' = 'S3CR3T-value', 's' = 1)",
    ] {
        let text = format!("{head}{tail}");
        let e = TableDef::from_ddl(&text).unwrap_err();
        assert!(matches!(e, OptionsError::Syntax(_)), "{text}: {e:?}");
        for shown in [e.to_string(), format!("{e:?}")] {
            assert!(!shown.contains("S3CR3T"), "{text}\n{shown}");
        }
    }
    // The caret still points at the fault when a masked value precedes it on the line.
    // Anything after the value up to the next option may be part of the secret, so it is
    // masked as well.
    let text = format!("{head}'aws.credentials.basic.secretkey' = '{secret}' junk)");
    let OptionsError::Syntax(p) = TableDef::from_ddl(&text).unwrap_err() else {
        panic!()
    };
    assert_eq!(
        (p[0].line, p[0].column),
        (1, text.find("junk").unwrap() + 1)
    );
    let (shown, caret) = p[0].excerpt.split_once('\n').unwrap();
    assert_eq!(
        shown,
        "1 | CREATE TABLE t (a INT) WITH ('aws.credentials.basic.secretkey' = ****** ******)"
    );
    assert_eq!(caret.find('^'), shown.rfind("******"));
    // Values of other keys are shown as written.
    let e = TableDef::from_ddl(&format!("{head}'stream' 'orders')"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("found the string 'orders'"), "{e}");
}

/// Issue #13 finding 5: `secret_ranges` masked one token after at most two separators, so
/// these shapes showed the secret in the caret excerpt (and the last one named the wrong
/// option). Every literal after a sensitive key is masked up to the next option or the end
/// of the WITH clause.
#[test]
fn every_literal_after_a_secret_key_is_masked() {
    let head = "CREATE TABLE t (a INT) WITH ('stream' = 's',\n";
    for value in [
        "= = = 'S3CR'",
        "= ( 'S3CR'",
        "= , 'S3CR'",
        "= 'a' || 'S3CR'",
        "= 'a' 'S3CR'",
        "= ) 'S3CR'",
        "= 'a' + S3CR",
        "= 'a' /* S3CR */ 'b'",
        "= 'a' -- S3CR\n 'b'",
        ": : 'S3CR'",
        "'a' S3CR-x",
        "= ('a', 'S3CR')",
        "= 'a'\n'S3CR'",
    ] {
        for key in [
            "'aws.credentials.basic.secretkey'",
            "'aws.credentials.role.provider.basic.sessiontoken'",
            "aws.credentials.basic.secretkey",
        ] {
            let text = format!("{head}{key} {value})");
            let e = TableDef::from_ddl(&text).unwrap_err();
            let OptionsError::Syntax(problems) = &e else {
                panic!("{text}: {e:?}")
            };
            for shown in [e.to_string(), format!("{e:?}")] {
                assert!(!shown.contains("S3CR"), "{text}\n{shown}");
            }
            // The caret excerpt is there (and masked): the line of the fault.
            assert!(problems[0].excerpt.contains('^'), "{text}");
        }
    }
    // A missing ',' before the sensitive key.
    let text = format!("{head}'format' = 'csv' 'aws.credentials.basic.secretkey' = 'S3CR')");
    let e = TableDef::from_ddl(&text).unwrap_err();
    assert!(!format!("{e}{e:?}").contains("S3CR"), "{e}");
    // A stray word before the sensitive key (found by the fuzz harness,
    // fuzz/regressions/ddl/): the syntax error is at the word, and its excerpt showed the
    // rest of the line, the secret included.
    for stray in ["N ", "'format' = 'csv',N  ", "'format' = 'csv' x ", "WITH "] {
        let text = format!("{head}{stray}'aws.credentials.basic.secretkey' = 'S3CR')");
        let e = TableDef::from_ddl(&text).unwrap_err();
        assert!(!format!("{e}{e:?}").contains("S3CR"), "{text}\n{e}");
    }
    // A string left open before the options turns the text inside out: the sensitive key
    // is then an unquoted dotted name and its value a bare word (found by the fuzz
    // harness, fuzz/regressions/ddl/).
    for text in [
        "CREATE TABLE t (a INT COMMENT 'mine, b INT)\n\
         WITH ('stream' = 's', 'aws.credentials.basic.secretkey' = 'S3CR')",
        "CREATE TABLE t (a INT COMMENT 'mine, b INT)\n\
         WITH ('stream' = 's', 'aws.credentials.role.provider.basic.sessiontoken' = 'S3CR')",
    ] {
        let e = TableDef::from_ddl(text).unwrap_err();
        assert!(!format!("{e}{e:?}").contains("S3CR"), "{text}\n{e}");
    }
    // A commented-out secret on the line of an error (found by the fuzz harness).
    for text in [
        "CREATE TABLE t (a TIMESTAMP_LTZ -- 'aws.credentials.basic.secretkey' = 'S3CR'",
        "CREATE TABLE t (a INT) WITH ('stream' = 's' junk /* basic.secretkey = S3CR */)",
    ] {
        let e = TableDef::from_ddl(text).unwrap_err();
        assert!(!format!("{e}{e:?}").contains("S3CR"), "{text}\n{e}");
    }
    // A backquote left open swallows the options up to the next backquote, and the
    // column or partition-key error quoted that name with the secret in it (found by the
    // fuzz harness, fuzz/regressions/ddl/secret-in-a-*-name-left-open*.sql): such a name
    // is refused at its place without being quoted.
    for (text, line, column) in [
        (
            "CREATE TABLE t (`a INT, b STRING)\nWITH (\n  'stream' = 's',\n  \
             'aws.credentials.basic.secretkey' = 'S3CR'\n)\nCOMMENT 'see `a`'",
            1,
            17,
        ),
        (
            "CREATE TABLE t(`x INT NOT NULL 'aws.credentials.basic.secretkey' = 'S3CR`",
            1,
            16,
        ),
        (
            "CREATE TABLE t(a STRING) PARTITIONED BY(`ts')\n\
             'aws.credentials.role.provider.basic.secretkey' = 'S3CR`)",
            1,
            41,
        ),
    ] {
        let e = TableDef::from_ddl(text).unwrap_err();
        assert!(!format!("{e}{e:?}").contains("S3CR"), "{text}\n{e}");
        let OptionsError::Syntax(problems) = &e else {
            panic!("not a syntax error: {e:?}");
        };
        assert_eq!(
            (
                problems[0].line,
                problems[0].column,
                problems[0].message.as_str()
            ),
            (
                line,
                column,
                "a quoted identifier holds the value of a sensitive option \
                 (is its closing ` missing?)"
            ),
            "{text}"
        );
    }
    // A quoted name that only mentions a sensitive word is a name like any other (the
    // fuzz harness's options target found `token2` refused by a first version of the fix).
    let t =
        ddl("`password` STRING, `secret key = x` INT, `token2` INT, `it's a token` INT").unwrap();
    let names: Vec<&str> = t.columns().iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        ["password", "secret key = x", "token2", "it's a token"]
    );
    // `= 'a' 'S3CR'`: the message names the option just read (not the last one in
    // alphabetical order) and hides the value.
    let text = format!("{head}'aws.credentials.basic.secretkey' = 'a' 'S3CR')");
    let e = TableDef::from_ddl(&text).unwrap_err().to_string();
    assert!(
        e.contains(
            "missing ',' between options: a hidden value (the value of a sensitive option) \
             follows option 'aws.credentials.basic.secretkey'"
        ),
        "{e}"
    );
    let text = format!("{head}'aws.credentials.basic.secretkey' = 'a' junk)");
    let e = TableDef::from_ddl(&text).unwrap_err().to_string();
    assert!(
        e.contains("after option 'aws.credentials.basic.secretkey', found a hidden value"),
        "{e}"
    );
    // The masking ends at the next option: its key and value are shown.
    let text = format!("{head}'aws.credentials.basic.secretkey' = 'S3CR', 'format' 'csv')");
    let e = TableDef::from_ddl(&text).unwrap_err().to_string();
    assert!(!e.contains("S3CR"), "{e}");
    assert!(
        e.contains("expected '=' after option key 'format', found the string 'csv'"),
        "{e}"
    );
    assert!(
        e.contains("****** , 'format' 'csv')") || e.contains("******, 'format' 'csv')"),
        "{e}"
    );
    // A value mentioning a sensitive word is no key: what follows it is shown.
    let text = format!("{head}'format' = 'secret-csv' junk)");
    let e = TableDef::from_ddl(&text).unwrap_err().to_string();
    assert!(e.contains("found 'junk'"), "{e}");
}

/// A secret glued to a sensitive key (a missing `=`: `…secretkeyS3CR`, `…secretkey''S3CR'`)
/// is not shown by the unknown-option error or its excerpt; the key is named up to its
/// sensitive word, and the error still points at it.
#[test]
fn secrets_glued_to_keys_are_masked() {
    let with = "'stream' = 's', 'format' = 'raw', 'aws.region' = 'us-east-1'";
    let text = format!(
        "CREATE TABLE t (a BYTES) WITH ({with},\n'aws.credentials.basic.secretkeyS3CR' = 'x')"
    );
    let e = TableDef::from_ddl(&text).unwrap_err();
    let shown = e.to_string();
    assert!(
        !shown.contains("S3CR") && !format!("{e:?}").contains("S3CR"),
        "{shown}"
    );
    assert!(
        shown.starts_with("line 2, column 1: Unsupported options"),
        "{shown}"
    );
    assert!(
        shown.contains("\naws.credentials.basic.secret******"),
        "{shown}"
    );
    assert!(shown.contains("2 | ****** = ******"), "{shown}");
    // The same key in an option map, as `-X` passes it.
    let e = TableDef::from_options(
        "t",
        vec![Column::physical("a", DataType::parse("BYTES").unwrap())],
        [
            ("stream", "s"),
            ("format", "raw"),
            ("aws.region", "us-east-1"),
            ("aws.credentials.basic.sessiontokenS3CR", "x"),
        ],
    )
    .unwrap_err();
    let shown = format!("{e}{e:?}");
    assert!(!shown.contains("S3CR"), "{shown}");
    assert!(
        shown.contains("aws.credentials.basic.sessiontoken******"),
        "{shown}"
    );
    // Quote doubling glues the value into the key string.
    let text =
        format!("CREATE TABLE t (a BYTES) WITH ({with},\n'aws.credentials.basic.secretkey''S3CR')");
    let e = TableDef::from_ddl(&text).unwrap_err();
    let shown = format!("{e}{e:?}");
    assert!(!shown.contains("S3CR"), "{shown}");
    assert!(
        shown.contains("after option key 'aws.credentials.basic.secret******'"),
        "{shown}"
    );
    // Known keys, and unknown keys without a sensitive word, are named as written.
    let e = TableDef::from_options(
        "t",
        vec![Column::physical("a", DataType::parse("BYTES").unwrap())],
        [
            ("stream", "s"),
            ("format", "raw"),
            ("aws.region", "us-east-1"),
            ("aws.credentials.provider.basic.secretkey", "x"),
            ("sink.batch.max-sise", "1"),
        ],
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("aws.credentials.provider.basic.secretkey (did you mean 'aws.credentials.basic.secretkey'?)")
            && e.contains("sink.batch.max-sise"),
        "{e}"
    );
}

#[test]
fn validation_errors_point_into_the_ddl() {
    let text = "CREATE TABLE t (
  name STRING,
  ts TIMESTAMP(3)
)
PARTITIONED BY (name, nope, ts)
WITH ('stream' = 's', 'format' = 'csv', 'aws.region' = 'us-east-1')";
    let e = TableDef::from_ddl(text).unwrap_err();
    assert_eq!(
        e.to_string(),
        "line 5, column 23: The following partition keys are not present in the table: nope\n\
         5 | PARTITIONED BY (name, nope, ts)\n  |                       ^"
    );
    let e = TableDef::from_ddl(&text.replace("nope, ", "")).unwrap_err();
    assert_eq!(at(&e), Some((5, 23)), "{e}");
    assert!(e
        .without_location()
        .to_string()
        .ends_with("not supported by Kinesis: ts"));
    let e = TableDef::from_ddl(&text.replace("nope, ts", "name")).unwrap_err();
    assert_eq!(at(&e), Some((5, 23)), "{e}");
    assert_eq!(
        e.without_location().to_string(),
        "The sequence of partition keys cannot contain duplicates"
    );
    // The format's errors: an unsupported column type, an unknown format.
    let e = TableDef::from_ddl(
        "CREATE TABLE t (a INT,\n  m MAP<STRING, INT>)\nWITH ('stream' = 's', 'format' = 'csv', 'aws.region' = 'us-east-1')",
    )
    .unwrap_err();
    assert_eq!(at(&e), Some((2, 5)), "{e}");
    let e = TableDef::from_ddl(
        "CREATE TABLE t (a INT)\nWITH ('stream' = 's', 'format' = 'nope', 'aws.region' = 'us-east-1')",
    )
    .unwrap_err();
    assert_eq!(at(&e), Some((2, 34)), "{e}");
    assert!(matches!(e.without_location(), OptionsError::Format { .. }));
    // Options: a bad value points at the value, an unknown key at the key.
    let opts = |more: &str| {
        format!(
            "CREATE TABLE t (a INT)\nWITH ('stream' = 's', 'format' = 'csv',\n  'aws.region' = 'us-east-1',{more})"
        )
    };
    let e = TableDef::from_ddl(&opts("\n  'scan.stream.initpos' = 'latest'")).unwrap_err();
    assert_eq!(at(&e), Some((4, 27)), "{e}");
    assert_eq!(e.key(), Some("scan.stream.initpos"));
    let e = TableDef::from_ddl(&opts("\n  'scan.stream.initpos.timestamp' = '0'")).unwrap_err();
    assert_eq!(at(&e), Some((4, 3)), "{e}");
    assert!(matches!(
        e.without_location(),
        OptionsError::UnsupportedOptions { .. }
    ));
    // The excerpt follows the first line, before the long list of supported options.
    assert!(
        e.to_string().starts_with(
            "line 4, column 3: Unsupported options found for 'kinesis'.\n4 |   'scan.stream.initpos.timestamp' = '0')\n  |   ^\n\nUnsupported options:\n\nscan.stream.initpos.timestamp (did you mean 'scan.stream.initpos-timestamp'?)\n\nSupported options:\n"
        ),
        "{e}"
    );
    // A deprecated key the user wrote is where its value is.
    let e = TableDef::from_ddl(&opts(" 'sink.producer.collection-max-size' = '0'")).unwrap_err();
    assert_eq!(at(&e), Some((3, 69)), "{e}");
    // Not in the DDL: an overridden option, a missing one, a rule about no single place.
    let e = TableDef::from_ddl_with_overrides(
        &opts(" 'sink.batch.max-size' = '9'"),
        [("sink.batch.max-size", "0")],
    )
    .unwrap_err();
    assert_eq!(at(&e), None);
    assert_eq!(
        e.to_string(),
        "Invalid option batch size. Must be a positive integer"
    );
    // Missing options, and rules about options the DDL leaves out, point at WITH.
    let e = TableDef::from_ddl("CREATE TABLE t (a INT)\n  WITH ('format' = 'csv')").unwrap_err();
    assert_eq!(at(&e), Some((2, 3)), "{e}");
    assert_eq!(
        e.to_string(),
        "line 2, column 3: One or more required options are missing.\n2 |   WITH ('format' = 'csv')\n  |   ^\n\nMissing required options are:\n\nstream"
    );
    let e = TableDef::from_ddl("CREATE TABLE t (a INT) WITH ('format' = 'csv', 'stream' = 's')")
        .unwrap_err();
    assert_eq!(at(&e), Some((1, 24)), "{e}");
    assert!(e
        .without_location()
        .to_string()
        .starts_with("For FlinkKinesisConsumer AWS region ('aws.region')"));
    // A secret on the line of the fault is masked; a long line is cut around the caret.
    let long = "CREATE TABLE t (a INT) WITH ('stream' = 's', 'format' = 'csv', 'aws.region' = 'us-east-1', 'aws.credentials.basic.accesskeyid' = 'AK', 'aws.credentials.basic.secretkey' = 'S3CR3T', 'sink.batch.max-size' = '0', 'scan.shard.getrecords.maxretries' = '3', 'scan.shard.getiterator.maxretries' = '3', 'scan.list.shards.maxretries' = '3')";
    let e = TableDef::from_ddl(long).unwrap_err();
    let OptionsError::Located {
        excerpt, column, ..
    } = &e
    else {
        panic!("{e:?}")
    };
    assert!(!e.to_string().contains("S3CR3T"), "{e}");
    let (shown, caret) = excerpt.split_once('\n').unwrap();
    assert!(
        shown.starts_with("1 | ...") && shown.ends_with("..."),
        "{shown}"
    );
    assert!(shown.chars().count() < 120, "{shown}");
    assert!(
        shown[caret.find('^').unwrap()..].starts_with("'0', 'scan"),
        "caret under the value: {excerpt}"
    );
    assert_eq!(*column, long.rfind("'0'").unwrap() + 1);
}
