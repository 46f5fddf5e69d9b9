//! The json format against the reference (§10.6, 10.7, 10.9) and decisions D12.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime, TimeZone, Utc};
use kinesis_formats::{DataType, Decimal, Format, FormatError, Row, RowField, Value};

fn fields(spec: &[(&str, &str)]) -> Vec<RowField> {
    spec.iter()
        .map(|(n, t)| RowField::new(*n, DataType::parse(t).unwrap()))
        .collect()
}

fn opts(o: &[(&str, &str)]) -> BTreeMap<String, String> {
    o.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn json(spec: &[(&str, &str)], o: &[(&str, &str)]) -> Format {
    Format::from_options("json", &opts(o), &fields(spec)).unwrap_or_else(|e| panic!("{e}"))
}

fn enc(f: &Format, values: Vec<Value>) -> String {
    let mut out = Vec::new();
    f.encode(&Row::new(values), &mut out)
        .unwrap_or_else(|e| panic!("{e}"));
    String::from_utf8(out).unwrap()
}

fn dec(f: &Format, text: &str) -> Option<Vec<Value>> {
    f.decode(text.as_bytes())
        .unwrap_or_else(|e| panic!("{text:?}: {e}"))
        .map(|r| r.values)
}

fn ts(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f").unwrap()
}

fn days(y: i32, m: u32, d: u32) -> i32 {
    (NaiveDate::from_ymd_opt(y, m, d).unwrap() - NaiveDate::from_ymd_opt(1970, 1, 1).unwrap())
        .num_days() as i32
}

fn s(x: &str) -> Value {
    Value::String(x.to_string())
}

/// (type, value, JSON text of the value): written as shown, read back to the same value.
#[test]
fn every_type_round_trips_with_its_text_form() {
    let cases: Vec<(&str, Value, &str)> = vec![
        ("BOOLEAN", Value::Boolean(true), "true"),
        ("TINYINT", Value::TinyInt(-128), "-128"),
        ("SMALLINT", Value::SmallInt(32767), "32767"),
        ("INT", Value::Int(42), "42"),
        ("BIGINT", Value::BigInt(i64::MIN), "-9223372036854775808"),
        ("FLOAT", Value::Float(33.333), "33.333"),
        ("FLOAT", Value::Float(f32::INFINITY), "\"Infinity\""),
        ("DOUBLE", Value::Double(1e20), "1.0E20"),
        ("DOUBLE", Value::Double(-0.0), "-0.0"),
        ("DOUBLE", Value::Double(f64::NEG_INFINITY), "\"-Infinity\""),
        (
            "STRING",
            s("hello \"world\"\n\t\u{1}/é😀"),
            "\"hello \\\"world\\\"\\n\\t\\u0001/é😀\"",
        ),
        ("VARCHAR(3)", s(""), "\"\""),
        ("BYTES", Value::Bytes(vec![107, 3, 11]), "\"awML\""),
        (
            "DECIMAL(10, 2)",
            Value::Decimal(Decimal::new(10000, 2)),
            "100.00",
        ),
        (
            "DECIMAL(38, 18)",
            Value::Decimal(Decimal::new(123_456_789_000_000_000_000, 18)),
            "123.456789000000000000",
        ),
        ("DATE", Value::Date(days(1990, 10, 14)), "\"1990-10-14\""),
        ("TIME(3)", Value::Time(43_994_100_000_000), "\"12:13:14.1\""),
        ("TIME(0)", Value::Time(43_963_000_000_000), "\"12:12:43\""),
        (
            "TIMESTAMP(3)",
            Value::Timestamp(ts("2020-12-30 12:13:14.1")),
            "\"2020-12-30 12:13:14.1\"",
        ),
        (
            "TIMESTAMP(9)",
            Value::Timestamp(ts("1990-10-14 12:12:43.123456789")),
            "\"1990-10-14 12:12:43.123456789\"",
        ),
        (
            "TIMESTAMP(0)",
            Value::Timestamp(ts("2020-12-30 12:13:00")),
            "\"2020-12-30 12:13:00\"",
        ),
        (
            "TIMESTAMP_LTZ(3)",
            Value::TimestampLtz(Utc.timestamp_millis_opt(1_609_330_394_100).unwrap()),
            "\"2020-12-30 12:13:14.1Z\"",
        ),
        (
            "ARRAY<INT>",
            Value::Array(vec![Value::Int(1), Value::Null, Value::Int(3)]),
            "[1,null,3]",
        ),
        (
            "ARRAY<ARRAY<STRING>>",
            Value::Array(vec![Value::Array(vec![s("a")]), Value::Array(vec![])]),
            "[[\"a\"],[]]",
        ),
        (
            "MAP<STRING, BIGINT>",
            Value::Map(vec![(s("b"), Value::BigInt(2)), (s("a"), Value::Null)]),
            "{\"b\":2,\"a\":null}",
        ),
        (
            "MULTISET<STRING>",
            Value::Multiset(vec![(s("x"), 3), (s("y"), 1)]),
            "{\"x\":3,\"y\":1}",
        ),
        (
            "ROW<a INT, `b c` ROW<d STRING>>",
            Value::Row(Row::new(vec![
                Value::Int(1),
                Value::Row(Row::new(vec![s("e")])),
            ])),
            "{\"a\":1,\"b c\":{\"d\":\"e\"}}",
        ),
    ];
    for (t, v, text) in cases {
        let f = json(&[("f", t)], &[]);
        let doc = format!("{{\"f\":{text}}}");
        assert_eq!(enc(&f, vec![v.clone()]), doc, "write {t} {v:?}");
        assert_eq!(dec(&f, &doc), Some(vec![v.clone()]), "read {t} {doc}");
    }
}

#[test]
fn timestamp_standards() {
    let t = [
        ("ts", "TIMESTAMP(3)"),
        ("ltz", "TIMESTAMP_LTZ(3)"),
        ("t", "TIME(3)"),
        ("d", "DATE"),
    ];
    let row = vec![
        Value::Timestamp(ts("2020-12-30 12:13:14.1")),
        Value::TimestampLtz(Utc.timestamp_millis_opt(1_609_330_394_100).unwrap()),
        Value::Time(43_994_100_000_000),
        Value::Date(days(2020, 12, 30)),
    ];
    let sql = json(&t, &[]);
    let sql_text = r#"{"ts":"2020-12-30 12:13:14.1","ltz":"2020-12-30 12:13:14.1Z","t":"12:13:14.1","d":"2020-12-30"}"#;
    assert_eq!(enc(&sql, row.clone()), sql_text);
    assert_eq!(dec(&sql, sql_text), Some(row.clone()));
    let iso = json(&t, &[("json.timestamp-format.standard", "ISO-8601")]);
    let iso_text = r#"{"ts":"2020-12-30T12:13:14.1","ltz":"2020-12-30T12:13:14.1Z","t":"12:13:14.1","d":"2020-12-30"}"#;
    assert_eq!(enc(&iso, row.clone()), iso_text);
    assert_eq!(dec(&iso, iso_text), Some(row));
    // ISO accepts minutes without seconds; SQL does not; each rejects the other's form.
    let one = |f: &Format, v: &str| f.decode(format!("{{\"ts\":\"{v}\"}}").as_bytes());
    let iso1 = json(
        &[("ts", "TIMESTAMP(3)")],
        &[("json.timestamp-format.standard", "ISO-8601")],
    );
    let sql1 = json(&[("ts", "TIMESTAMP(3)")], &[]);
    assert_eq!(
        one(&iso1, "2020-12-30T12:13").unwrap().unwrap().values,
        vec![Value::Timestamp(ts("2020-12-30 12:13:00"))]
    );
    assert!(one(&sql1, "2020-12-30 12:13").is_err());
    assert!(one(&sql1, "2020-12-30T12:13:14").is_err());
    assert!(one(&iso1, "2020-12-30 12:13:14").is_err());
    assert!(one(&sql1, "2020-12-30 12:13:14Z").is_err());
    // Flink's TIME form without a fraction reads; D12 keeps milliseconds.
    let t3 = json(&[("t", "TIME(3)")], &[]);
    assert_eq!(
        dec(&t3, r#"{"t":"12:12:43"}"#),
        Some(vec![Value::Time(43_963_000_000_000)])
    );
    assert_eq!(
        dec(&t3, r#"{"t":"12:12:43.123456"}"#),
        Some(vec![Value::Time(43_963_123_000_000)])
    );
}

#[test]
fn decimal_forms_follow_d12_and_the_explicit_option() {
    let t = [("a", "DECIMAL(20, 2)"), ("b", "DECIMAL(10, 9)")];
    let row = vec![
        Value::Decimal(Decimal::new(45462186404924617000, 2)),
        Value::Decimal(Decimal::new(27, 9)),
    ];
    assert_eq!(
        enc(&json(&t, &[]), row.clone()),
        r#"{"a":454621864049246170.00,"b":0.000000027}"#
    );
    let flink = json(&t, &[("json.encode.decimal-as-plain-number", "false")]);
    assert_eq!(
        enc(&flink, row.clone()),
        r#"{"a":4.5462186404924617E+17,"b":2.7E-8}"#
    );
    let plain = json(&t, &[("json.encode.decimal-as-plain-number", "true")]);
    assert_eq!(
        enc(&plain, row.clone()),
        r#"{"a":454621864049246170,"b":0.000000027}"#
    );
    for text in [
        r#"{"a":454621864049246170.00,"b":0.000000027}"#,
        r#"{"a":4.5462186404924617E+17,"b":2.7E-8}"#,
        r#"{"a":"454621864049246170","b":"27E-9"}"#,
    ] {
        assert_eq!(dec(&flink, text), Some(row.clone()), "{text}");
    }
    // Too many digits → null (Flink), HALF_UP rounding.
    let small = json(&[("d", "DECIMAL(4, 2)")], &[]);
    assert_eq!(dec(&small, r#"{"d":123.4}"#), Some(vec![Value::Null]));
    assert_eq!(
        dec(&small, r#"{"d":1.005}"#),
        Some(vec![Value::Decimal(Decimal::new(101, 2))])
    );
}

#[test]
fn lenient_read_forms_flink_accepts() {
    let f = json(
        &[
            ("s1", "STRING"),
            ("s2", "STRING"),
            ("s3", "STRING"),
            ("b", "BOOLEAN"),
            ("i", "INT"),
            ("l", "BIGINT"),
            ("t", "TINYINT"),
            ("d", "DOUBLE"),
            ("fl", "FLOAT"),
        ],
        &[],
    );
    let row = dec(
        &f,
        r#"{"s1":123.234,"s2":true,"s3":["array data1","array data2",123,234.345],
            "b":" TRUE ","i":112.013,"l":"123","t":" 12 ","d":"NaN","fl":"1.5","extra":{"x":[1,2]}}"#,
    )
    .unwrap();
    assert_eq!(
        &row[..7],
        &[
            s("123.234"),
            s("true"),
            s(r#"["array data1","array data2",123,234.345]"#),
            Value::Boolean(true),
            Value::Int(112),
            Value::BigInt(123),
            Value::TinyInt(12),
        ]
    );
    let ints = json(&[("i", "INT"), ("l", "BIGINT")], &[]);
    assert_eq!(
        dec(&ints, r#"{"i":-2147483648.0,"l":-1.5e3}"#),
        Some(vec![Value::Int(i32::MIN), Value::BigInt(-1500)])
    );
    assert!(matches!(row[7], Value::Double(x) if x.is_nan()));
    assert_eq!(row[8], Value::Float(1.5));
    // Java's hexadecimal float literals, which parseDouble/parseFloat accept, in strings.
    let hex = dec(&f, r#"{"d":"0x1p3","fl":" -0x1.8p1f "}"#).unwrap();
    assert_eq!(&hex[7..], &[Value::Double(8.0), Value::Float(-3.0)]);
    // Raw control characters inside strings are accepted (ALLOW_UNESCAPED_CONTROL_CHARS).
    let one = json(&[("s", "STRING")], &[]);
    assert_eq!(dec(&one, "{\"s\":\"a\tb\"}"), Some(vec![s("a\tb")]));
    // Field order does not matter; the last repeated key wins; names are case-sensitive.
    let two = json(&[("a", "INT"), ("A", "INT")], &[]);
    assert_eq!(
        dec(&two, r#"{"A":2,"a":1,"a":3}"#),
        Some(vec![Value::Int(3), Value::Int(2)])
    );
    // Missing fields read as null.
    assert_eq!(dec(&two, r#"{}"#), Some(vec![Value::Null, Value::Null]));
    // Whitespace and \u escapes with surrogate pairs.
    assert_eq!(
        dec(&one, " { \"s\" : \"\\ud83d\\ude00\\u00e9\" } \n"),
        Some(vec![s("😀é")])
    );
}

#[test]
fn message_level_rules() {
    let f = json(&[("a", "INT")], &[]);
    assert_eq!(f.decode(b"").unwrap(), None);
    assert_eq!(f.decode(b"  \n").unwrap(), None);
    assert_eq!(f.decode(b"null").unwrap(), None);
    for bad in [
        "{",
        "{\"a\":}",
        "{\"a\":1,}",
        "{'a':1}",
        "{\"a\":01}",
        "{\"a\":1}{\"a\":2}",
        "[1]",
        "42",
        "{\"a\":1} x",
        "{\"a\":\"\\x\"}",
        "{\"a\":\"\\ud800\"}",
        "{\"a\":NaN}",
    ] {
        let e = f.decode(bad.as_bytes()).unwrap_err();
        assert!(matches!(e, FormatError::Record { .. }), "{bad}: {e:?}");
        assert!(
            e.to_string().starts_with("Failed to deserialize JSON"),
            "{e}"
        );
    }
    assert!(f.decode(&[b'{', b'"', 0xff, b'"', b'}']).is_err());
    let lenient = json(&[("a", "INT")], &[("json.ignore-parse-errors", "true")]);
    assert_eq!(lenient.decode(b"{").unwrap(), None);
    assert_eq!(dec(&lenient, r#"{"a":"abc"}"#), Some(vec![Value::Null]));
    let arr = json(
        &[("a", "ARRAY<INT>")],
        &[("json.ignore-parse-errors", "true")],
    );
    assert_eq!(
        dec(&arr, r#"{"a":[123,"abc"]}"#),
        Some(vec![Value::Array(vec![Value::Int(123), Value::Null])])
    );
    // A NOT NULL column cannot become null: the row is skipped under ignore-parse-errors.
    let nn = json(
        &[("a", "INT NOT NULL")],
        &[("json.ignore-parse-errors", "true")],
    );
    assert_eq!(nn.decode(br#"{"a":"x"}"#).unwrap(), None);
    let nn_strict = json(&[("a", "INT NOT NULL")], &[]);
    assert!(nn_strict.decode(br#"{"a":null}"#).is_err());
    assert!(nn_strict.decode(br#"{}"#).is_err());
}

#[test]
fn fail_on_missing_field() {
    let f = json(
        &[("a", "INT"), ("r", "ROW<x INT>")],
        &[("json.fail-on-missing-field", "true")],
    );
    let e = f.decode(br#"{"a":1}"#).unwrap_err();
    assert!(
        e.to_string()
            .contains("Could not find field with name 'r'."),
        "{e}"
    );
    let e = f.decode(br#"{"a":1,"r":{}}"#).unwrap_err();
    assert!(
        e.to_string()
            .contains("Could not find field with name 'x'."),
        "{e}"
    );
    assert!(matches!(&e, FormatError::Field { column, .. } if column == "r.x"));
    assert_eq!(
        dec(&f, r#"{"a":null,"r":{"x":null}}"#),
        Some(vec![Value::Null, Value::Row(Row::new(vec![Value::Null]))])
    );
}

/// Invalid input for every type: a field error naming column, type, text and offset.
#[test]
fn invalid_input_for_every_type_is_a_clear_error() {
    let cases = [
        ("BOOLEAN", r#""trueA""#),
        ("BOOLEAN", "1"),
        ("TINYINT", "128"),
        ("TINYINT", "1.5"),
        ("SMALLINT", r#""40000""#),
        ("INT", r#""abc""#),
        ("INT", "true"),
        ("BIGINT", "92233720368547758070"),
        // Jackson checks the range before truncating.
        ("INT", "-2147483648.9"),
        ("INT", "2147483647.5"),
        ("FLOAT", r#""one""#),
        ("DOUBLE", "[1]"),
        ("DECIMAL(10, 2)", r#""1,5""#),
        ("DECIMAL(10, 2)", "false"),
        ("DATE", r#""20191112""#),
        ("DATE", "20191112"),
        ("TIME(3)", r#""12:13""#),
        ("TIMESTAMP(3)", r#""2020-12-30T12:13:14""#),
        ("TIMESTAMP(3)", "1609330394100"),
        ("TIMESTAMP_LTZ(3)", r#""2020-12-30 12:13:14+0800""#),
        ("BYTES", r#""!!!""#),
        ("BYTES", "12"),
        ("ARRAY<INT>", r#""1,2""#),
        ("MAP<STRING, INT>", "[]"),
        ("MULTISET<STRING>", r#"{"a":-1}"#),
        ("ROW<a INT>", "1"),
    ];
    for (t, bad) in cases {
        let f = json(&[("id", "INT"), ("col", t)], &[]);
        let msg = format!("{{\"id\":7,\"col\":{bad}}}");
        let e = f.decode(msg.as_bytes()).unwrap_err();
        match &e {
            FormatError::Field {
                column,
                expected,
                offset,
                text,
                ..
            } => {
                assert_eq!(column, "col", "{t} {bad}");
                assert_eq!(
                    expected,
                    &DataType::parse(t).unwrap().to_string(),
                    "{t} {bad}"
                );
                // The offending text (a string's content, a compound's raw JSON) and the
                // byte where the value starts.
                let (want_text, want_offset) = match t {
                    "ARRAY<INT>" => (bad, 14),
                    "MULTISET<STRING>" => ("-1", 19),
                    _ => (bad.trim_matches('"'), 14),
                };
                assert_eq!(text, want_text, "{t} {bad}");
                assert_eq!(*offset, want_offset, "{t} {bad}");
            }
            other => panic!("{t} {bad}: {other:?}"),
        }
        let text = e.to_string();
        assert!(text.contains("Fail to deserialize at field: col"), "{text}");
        assert!(
            text.contains(&format!("Expected {}", DataType::parse(t).unwrap())),
            "{text}"
        );
        let lenient = json(
            &[("id", "INT"), ("col", t)],
            &[("json.ignore-parse-errors", "true")],
        );
        let got = dec(&lenient, &msg).unwrap_or_else(|| panic!("{t} {bad}: row skipped"));
        assert_eq!(got[0], Value::Int(7));
        // A bad field becomes null (element-wise inside containers).
        assert!(
            got[1] == Value::Null || matches!(&got[1], Value::Multiset(_)),
            "{t} {bad}: {got:?}"
        );
    }
}

#[test]
fn map_null_keys_and_null_fields() {
    let t = [("m", "MAP<STRING, INT>"), ("n", "INT")];
    let row = vec![
        Value::Map(vec![(Value::Null, Value::Int(1)), (s("k"), Value::Int(2))]),
        Value::Null,
    ];
    let mut out = Vec::new();
    let e = json(&t, &[])
        .encode(&Row::new(row.clone()), &mut out)
        .unwrap_err();
    assert!(e.to_string().contains("JSON format doesn't support to serialize map data with null keys. You can drop null key entries or encode null in literals by specifying map-null-key.mode option."), "{e}");
    assert_eq!(
        enc(
            &json(&t, &[("json.map-null-key.mode", "drop")]),
            row.clone()
        ),
        r#"{"m":{"k":2},"n":null}"#
    );
    assert_eq!(
        enc(
            &json(
                &t,
                &[
                    ("json.map-null-key.mode", "LITERAL"),
                    ("json.map-null-key.literal", "nil")
                ]
            ),
            row.clone()
        ),
        r#"{"m":{"nil":1,"k":2},"n":null}"#
    );
    assert_eq!(
        enc(
            &json(
                &t,
                &[
                    ("json.map-null-key.mode", "LITERAL"),
                    ("json.encode.ignore-null-fields", "true")
                ]
            ),
            row
        ),
        r#"{"m":{"null":1,"k":2}}"#
    );
}

#[test]
fn option_and_schema_validation_uses_flinks_messages() {
    let t = fields(&[("a", "STRING")]);
    let err = |o: &[(&str, &str)]| {
        Format::from_options("json", &opts(o), &t)
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        err(&[
            ("json.fail-on-missing-field", "true"),
            ("json.ignore-parse-errors", "true")
        ]),
        "fail-on-missing-field and ignore-parse-errors shouldn't both be true."
    );
    assert_eq!(
        err(&[("json.timestamp-format.standard", "iso-8601")]),
        "Unsupported value 'iso-8601' for timestamp-format.standard. Supported values are [SQL, ISO-8601]."
    );
    assert_eq!(
        err(&[("json.map-null-key.mode", "KEEP")]),
        "Unsupported value 'KEEP' for option map-null-key.mode. Supported values are [LITERAL, FAIL, DROP]."
    );
    assert!(err(&[("json.encode.decimal-as-plain-number", "1")])
        .contains("Unrecognized option for boolean: 1"));
    let e = Format::from_options("json", &opts(&[("json.nope", "1")]), &t).unwrap_err();
    assert_eq!(e.option_key(), Some("json.nope"));
    let schema_err = Format::from_options(
        "json",
        &BTreeMap::new(),
        &fields(&[("m", "MAP<INT, STRING>")]),
    )
    .unwrap_err()
    .to_string();
    assert_eq!(
        schema_err,
        "JSON format doesn't support non-string as key type of map. The map type is: MAP<INT, STRING>"
    );
    let e = Format::from_options("xml", &BTreeMap::new(), &t).unwrap_err();
    assert!(matches!(e, FormatError::UnknownFormat { .. }));
    assert!(e.to_string().contains("'xml'"));
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let f = json(&[("s", "STRING")], &[]);
    let deep = format!("{{\"s\":{}{}}}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(f.decode(deep.as_bytes()).is_err());
    let skip = format!("{{\"x\":{}{}}}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(f.decode(skip.as_bytes()).is_err());
}

/// Nesting is bounded (a clear "nesting too deep" error), and the deepest document allowed
/// is read with half a thread's default stack (2 MiB), in a debug build, on every path that
/// recurses over the payload: a compound into a STRING column and a skipped unknown field.
#[test]
fn nesting_limit_fits_half_a_default_stack() {
    std::thread::Builder::new()
        .stack_size(1024 * 1024)
        .spawn(|| {
            let f = json(&[("s", "STRING"), ("d", "DECIMAL(5, 1)")], &[]);
            for key in ["s", "x"] {
                let ok = format!("{{\"{key}\":{}1{}}}", "[".repeat(500), "]".repeat(500));
                assert!(f.decode(ok.as_bytes()).is_ok(), "{key}");
                let deep = format!("{{\"{key}\":{}{}}}", "[".repeat(600), "]".repeat(600));
                let e = f.decode(deep.as_bytes()).unwrap_err().to_string();
                assert!(e.contains("nesting too deep"), "{e}");
            }
        })
        .unwrap()
        .join()
        .unwrap();
}

/// Issue #13 finding 6: `{"s":1e-9223372036854775808}` overflowed `frac.len() - exp` (a
/// panic in a debug build) when a DECIMAL column makes Jackson read floats as BigDecimal.
/// Java's BigDecimal rejects exponents and scales beyond 32 bits, so such a number in a
/// STRING column is a field error naming the column; without a DECIMAL column Jackson reads
/// it as a double, as we do.
#[test]
fn extreme_exponents_are_clear_errors() {
    let big = json(
        &[("s", "STRING"), ("d", "DECIMAL(10, 2)"), ("x", "DOUBLE")],
        &[],
    );
    for n in [
        "1e-9223372036854775808",
        "-1e-9223372036854775808",
        "1e9223372036854775807",
        "-2.5E+9223372036854775807",
        "1e-2147483648",
    ] {
        for (text, column) in [
            (format!(r#"{{"s":{n}}}"#), "s"),
            (format!(r#"{{"s":[1, {{"a": {n}}}]}}"#), "s"),
            (format!(r#"{{"d":{n}}}"#), "d"),
        ] {
            match big.decode(text.as_bytes()) {
                Err(FormatError::Field {
                    column: c, reason, ..
                }) => {
                    assert_eq!(c, column, "{text}");
                    assert!(
                        reason.contains("exponent") || reason.contains("not a decimal"),
                        "{text}: {reason}"
                    );
                }
                other => panic!("{text}: {other:?}"),
            }
        }
    }
    // DOUBLE reads any exponent, as Double.parseDouble does.
    assert_eq!(
        dec(&big, r#"{"x":-1e-9223372036854775808}"#).unwrap()[2],
        Value::Double(-0.0)
    );
    assert_eq!(
        dec(&big, r#"{"x":1e9223372036854775807}"#).unwrap()[2],
        Value::Double(f64::INFINITY)
    );
    let doubles = json(&[("s", "STRING")], &[]);
    assert_eq!(
        dec(&doubles, r#"{"s":1e-9223372036854775808}"#),
        Some(vec![s("0.0")])
    );
    assert_eq!(
        dec(&doubles, r#"{"s":-1e9223372036854775807}"#),
        Some(vec![s("-Infinity")])
    );
    // Under ignore-parse-errors the bad field becomes null.
    let lenient = json(
        &[("s", "STRING"), ("d", "DECIMAL(10, 2)")],
        &[("json.ignore-parse-errors", "true")],
    );
    assert_eq!(
        dec(&lenient, r#"{"s":1e-9223372036854775808,"d":1}"#),
        Some(vec![Value::Null, Value::Decimal(Decimal::new(100, 2))])
    );
}
