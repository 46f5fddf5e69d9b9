//! The csv format against the reference (§10.2-10.4, 10.9) and decisions D12.

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

fn csv(spec: &[(&str, &str)], o: &[(&str, &str)]) -> Format {
    Format::from_options("csv", &opts(o), &fields(spec)).unwrap_or_else(|e| panic!("{e}"))
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

/// (type, value, written text): each written as shown and read back to the same value.
#[test]
fn every_type_round_trips_with_its_text_form() {
    let cases: Vec<(&str, Value, &str)> = vec![
        ("BOOLEAN", Value::Boolean(true), "true"),
        ("BOOLEAN", Value::Boolean(false), "false"),
        ("TINYINT", Value::TinyInt(-124), "-124"),
        ("SMALLINT", Value::SmallInt(12345), "12345"),
        ("INT", Value::Int(i32::MIN), "-2147483648"),
        ("BIGINT", Value::BigInt(12345678901), "12345678901"),
        ("FLOAT", Value::Float(0.33333334), "0.33333334"),
        ("FLOAT", Value::Float(1e20), "1.0E20"),
        ("DOUBLE", Value::Double(0.1), "0.1"),
        ("DOUBLE", Value::Double(1e20), "1.0E20"),
        ("DOUBLE", Value::Double(-1.5e-7), "-1.5E-7"),
        ("STRING", Value::String("abcdefgh".into()), "abcdefgh"),
        (
            "STRING",
            Value::String("héllo wörld".into()),
            "\"héllo wörld\"",
        ),
        ("STRING", Value::String("日本語".into()), "日本語"),
        ("VARCHAR(3)", Value::String("a,b".into()), "\"a,b\""),
        (
            "CHAR(4)",
            Value::String("say \"hi\"".into()),
            "\"say \"\"hi\"\"\"",
        ),
        (
            "STRING",
            Value::String("line\nbreak".into()),
            "\"line\nbreak\"",
        ),
        (
            "STRING",
            Value::String("x".repeat(25)),
            &*Box::leak(format!("\"{}\"", "x".repeat(25)).into_boxed_str()),
        ),
        (
            "STRING",
            Value::String("x".repeat(24)),
            &*Box::leak("x".repeat(24).into_boxed_str()),
        ),
        ("BYTES", Value::Bytes(vec![107, 3, 11]), "awML"),
        ("BYTES", Value::Bytes(vec![251, 255]), "\"+/8=\""),
        ("VARBINARY(4)", Value::Bytes(vec![]), ""),
        (
            "DECIMAL(10, 2)",
            Value::Decimal(Decimal::new(10000, 2)),
            "100.00",
        ),
        (
            "DECIMAL(5, 3)",
            Value::Decimal(Decimal::new(12345, 3)),
            "12.345",
        ),
        (
            "DECIMAL(38, 18)",
            Value::Decimal(Decimal::new(-1, 18)),
            "-0.000000000000000001",
        ),
        ("DATE", Value::Date(days(2018, 10, 12)), "2018-10-12"),
        ("DATE", Value::Date(days(1, 1, 1)), "0001-01-01"),
        ("TIME(0)", Value::Time(43_932_000_000_000), "12:12:12"),
        ("TIME(3)", Value::Time(43_932_232_000_000), "12:12:12.232"),
        ("TIME(3)", Value::Time(43_994_100_000_000), "12:13:14.1"),
        (
            "TIMESTAMP(3)",
            Value::Timestamp(ts("2020-12-30 12:13:14.1")),
            "\"2020-12-30 12:13:14.1\"",
        ),
        (
            "TIMESTAMP(0)",
            Value::Timestamp(ts("2018-10-12 12:12:12")),
            "\"2018-10-12 12:12:12\"",
        ),
        (
            "TIMESTAMP(9)",
            Value::Timestamp(ts("2018-10-12 12:12:12.123456789")),
            "\"2018-10-12 12:12:12.123456789\"",
        ),
        (
            "TIMESTAMP_LTZ(3)",
            Value::TimestampLtz(Utc.timestamp_millis_opt(123_456).unwrap()),
            "\"1970-01-01 00:02:03.456Z\"",
        ),
        (
            "TIMESTAMP(3) WITH LOCAL TIME ZONE",
            Value::TimestampLtz(Utc.timestamp_millis_opt(123_000).unwrap()),
            "\"1970-01-01 00:02:03Z\"",
        ),
        (
            "ARRAY<STRING>",
            Value::Array(vec![
                Value::String("a".into()),
                Value::String("b".into()),
                Value::String("c".into()),
            ]),
            "a;b;c",
        ),
        (
            "ARRAY<INT>",
            Value::Array(vec![Value::Int(12), Value::Int(4)]),
            "12;4",
        ),
        ("ARRAY<INT>", Value::Array(vec![]), ""),
        (
            "ROW<f0 STRING, f1 INT, f2 BOOLEAN>",
            Value::Row(Row::new(vec![
                Value::String("Hello".into()),
                Value::Int(42),
                Value::Boolean(false),
            ])),
            "Hello;42;false",
        ),
    ];
    for (t, v, text) in cases {
        let f = csv(&[("f", t)], &[]);
        assert_eq!(enc(&f, vec![v.clone()]), text, "write {t} {v:?}");
        if text.is_empty() {
            // An empty message is no record (Flink's null row); check the value in a
            // two-column row instead.
            assert_eq!(dec(&f, text), None);
            let two = csv(&[("f", t), ("g", "INT")], &[]);
            let got = two.decode(b",1");
            assert_eq!(got.unwrap().unwrap().values[0], v);
            continue;
        }
        assert_eq!(dec(&f, text), Some(vec![v.clone()]), "read {t} {text:?}");
    }
}

#[test]
fn decimal_forms_follow_d12_and_the_explicit_options() {
    let d = Value::Decimal(Decimal::new(10000, 2));
    let small = Value::Decimal(Decimal::new(27, 9));
    let t = [("d", "DECIMAL(10, 2)"), ("s", "DECIMAL(10, 9)")];
    assert_eq!(
        enc(&csv(&t, &[]), vec![d.clone(), small.clone()]),
        "100.00,0.000000027"
    );
    let sci = csv(
        &t,
        &[("csv.write-bigdecimal-in-scientific-notation", "true")],
    );
    assert_eq!(enc(&sci, vec![d.clone(), small.clone()]), "\"1E+2\",2.7E-8");
    let plain = csv(
        &t,
        &[("csv.write-bigdecimal-in-scientific-notation", "false")],
    );
    assert_eq!(
        enc(&plain, vec![d.clone(), small.clone()]),
        "100,0.000000027"
    );
    // Every form reads back.
    for text in [
        "100.00,0.000000027",
        "\"1E+2\",2.7E-8",
        "100,0.000000027",
        "1E+2,27E-9",
    ] {
        assert_eq!(
            dec(&sci, text),
            Some(vec![d.clone(), small.clone()]),
            "{text}"
        );
    }
    // The reference's quoting example: long plain decimals are quoted through the string path.
    let long = csv(
        &[("d", "DECIMAL(38, 28)")],
        &[("csv.write-bigdecimal-in-scientific-notation", "false")],
    );
    let v = Value::Decimal(Decimal::new(12_340_000_000_000_000_000_000_000_001_000, 28));
    assert_eq!(enc(&long, vec![v]), "\"1234.0000000000000000000000001\"");
    // CsvFormatFactoryTest: delimiter ';', quote '\'' → minSafe 60, digits get quoted too.
    let ff = csv(
        &[("a", "STRING"), ("b", "DECIMAL(10, 0)"), ("c", "BOOLEAN")],
        &[
            ("csv.field-delimiter", ";"),
            ("csv.quote-character", "'"),
            ("csv.write-bigdecimal-in-scientific-notation", "true"),
        ],
    );
    let row = vec![
        Value::String("abc".into()),
        Value::Decimal(Decimal::new(100000, 0)),
        Value::Boolean(false),
    ];
    assert_eq!(enc(&ff, row.clone()), "abc;'1E+5';false");
    let ff_plain = csv(
        &[("a", "STRING"), ("b", "DECIMAL(10, 0)"), ("c", "BOOLEAN")],
        &[
            ("csv.field-delimiter", ";"),
            ("csv.quote-character", "'"),
            ("csv.write-bigdecimal-in-scientific-notation", "false"),
        ],
    );
    assert_eq!(enc(&ff_plain, row), "abc;'100000';false");
    // Rounding HALF_UP to the scale; too many digits read as null (Flink).
    let f = csv(&[("d", "DECIMAL(4, 2)")], &[]);
    assert_eq!(
        dec(&f, "1.005"),
        Some(vec![Value::Decimal(Decimal::new(101, 2))])
    );
    assert_eq!(dec(&f, "123.4"), Some(vec![Value::Null]));
}

#[test]
fn quoting_and_escaping_options() {
    let t = [("a", "STRING"), ("b", "STRING")];
    let row = vec![Value::String("a;b'c".into()), Value::String("plain".into())];
    let f = csv(
        &t,
        &[("csv.field-delimiter", ";"), ("csv.quote-character", "'")],
    );
    assert_eq!(enc(&f, row.clone()), "'a;b''c';plain");
    assert_eq!(dec(&f, "'a;b''c';plain"), Some(row));

    // Field delimiter given as a Java escape.
    let tab = csv(&t, &[("csv.field-delimiter", "\\t")]);
    let row = vec![Value::String("x y".into()), Value::String("z".into())];
    assert_eq!(enc(&tab, row.clone()), "\"x y\"\tz");
    assert_eq!(dec(&tab, "x y\tz"), Some(row));

    // Escape char: doubled on write (inside quotes), removed on read; \n \t map to controls.
    let esc = csv(&t, &[("csv.escape-character", "\\")]);
    let row = vec![
        Value::String("back\\slash".into()),
        Value::String("q\"uote".into()),
    ];
    let text = enc(&esc, row.clone());
    assert_eq!(text, "\"back\\\\slash\",\"q\"\"uote\"");
    assert_eq!(dec(&esc, &text), Some(row));
    assert_eq!(
        dec(&esc, "a\\,b,c\\nd"),
        Some(vec![
            Value::String("a,b".into()),
            Value::String("c\nd".into())
        ])
    );

    // Disabled quoting: quotes are plain characters both ways.
    let nq = csv(&t, &[("csv.disable-quote-character", "true")]);
    let row = vec![Value::String("\"x y\"".into()), Value::String("z".into())];
    assert_eq!(enc(&nq, row.clone()), "\"x y\",z");
    assert_eq!(dec(&nq, "\"x y\",z"), Some(row));
    // ... and with an escape char, delimiters and line breaks are escaped instead.
    let nqe = csv(
        &t,
        &[
            ("csv.disable-quote-character", "true"),
            ("csv.escape-character", "\\"),
        ],
    );
    let row = vec![Value::String("a,b\nc".into()), Value::String("d\\e".into())];
    let text = enc(&nqe, row.clone());
    assert_eq!(text, "a\\,b\\nc,d\\\\e");
    assert_eq!(dec(&nqe, &text), Some(row));

    // Timestamps are always quoted (their space is below minSafe) with the configured quote
    // char; an escape char that occurs in them is doubled; no quoting when disabled.
    let ts_row = vec![
        Value::Timestamp(ts("2020-12-30 12:13:14.1")),
        Value::TimestampLtz(Utc.timestamp_millis_opt(123_456).unwrap()),
    ];
    let tt = [("a", "TIMESTAMP(3)"), ("b", "TIMESTAMP_LTZ(3)")];
    for (o, want) in [
        (
            &[("csv.quote-character", "'")][..],
            "'2020-12-30 12:13:14.1','1970-01-01 00:02:03.456Z'",
        ),
        (
            &[("csv.escape-character", ":")][..],
            "\"2020-12-30 12::13::14.1\",\"1970-01-01 00::02::03.456Z\"",
        ),
        (
            &[("csv.quote-character", "0")][..],
            "0200200-12-300 12:13:14.10,019700-001-001 0000:002:003.456Z0",
        ),
        (
            &[("csv.disable-quote-character", "true")][..],
            "2020-12-30 12:13:14.1,1970-01-01 00:02:03.456Z",
        ),
    ] {
        let f = csv(&tt, o);
        assert_eq!(enc(&f, ts_row.clone()), want, "{o:?}");
        assert_eq!(dec(&f, want), Some(ts_row.clone()), "{o:?}");
    }

    // Non-ASCII delimiter and quote.
    let u = csv(
        &t,
        &[("csv.field-delimiter", "§"), ("csv.quote-character", "«")],
    );
    let row = vec![Value::String("a§b".into()), Value::String("ü".into())];
    let text = enc(&u, row.clone());
    assert_eq!(dec(&u, &text), Some(row));
}

#[test]
fn nulls_and_the_null_literal() {
    let t = [("s", "STRING"), ("i", "INT"), ("a", "ARRAY<INT>")];
    let f = csv(&t, &[("csv.null-literal", "null")]);
    let row = vec![
        Value::Null,
        Value::Null,
        Value::Array(vec![Value::Int(12), Value::Int(4), Value::Null]),
    ];
    assert_eq!(enc(&f, row.clone()), "null,null,12;4;null");
    assert_eq!(dec(&f, "null,null,12;4;null"), Some(row));
    // Without a literal: nulls are empty fields; an empty STRING reads as "" and an empty
    // INT is a parse error.
    let plain = csv(&t, &[]);
    assert_eq!(
        enc(&plain, vec![Value::Null, Value::Null, Value::Null]),
        ",,"
    );
    let e = plain.decode(b",,").unwrap_err();
    assert!(
        matches!(&e, FormatError::Field { column, .. } if column == "i"),
        "{e}"
    );
    let lenient = csv(&t, &[("csv.ignore-parse-errors", "true")]);
    assert_eq!(
        dec(&lenient, ",,"),
        Some(vec![
            Value::String(String::new()),
            Value::Null,
            Value::Array(vec![])
        ])
    );
}

#[test]
fn row_level_rules() {
    let t = [("a", "INT"), ("b", "STRING")];
    let f = csv(&t, &[]);
    // Empty message → no row.
    assert_eq!(f.decode(b"").unwrap(), None);
    let e = f.decode(b"1").unwrap_err();
    assert!(
        e.to_string()
            .contains("Row length mismatch. 2 fields expected but was 1."),
        "{e}"
    );
    let e = f.decode(b"1,x,y").unwrap_err();
    assert!(e.to_string().contains("Too many entries"), "{e}");
    // One trailing line terminator is fine; a second record is not silently dropped.
    assert_eq!(
        dec(&f, "1,x\n"),
        Some(vec![Value::Int(1), Value::String("x".into())])
    );
    assert_eq!(
        dec(&f, "1,x\r\n"),
        Some(vec![Value::Int(1), Value::String("x".into())])
    );
    assert!(f.decode(b"1,x\n2,y").is_err());
    assert!(f.decode(b"\"1,x").is_err(), "unterminated quote");
    assert!(f.decode(b"\"1\"x,y").is_err(), "text after closing quote");
    assert!(f.decode(&[b'1', b',', 0xff]).is_err(), "invalid UTF-8");

    let lenient = csv(&t, &[("csv.ignore-parse-errors", "true")]);
    assert_eq!(dec(&lenient, "1"), Some(vec![Value::Int(1), Value::Null]));
    assert_eq!(dec(&lenient, "1,x,y"), None);
    assert_eq!(
        dec(&lenient, "abc,x"),
        Some(vec![Value::Null, Value::String("x".into())])
    );
    assert_eq!(dec(&lenient, "\"1,x"), None);

    let comments = csv(&t, &[("csv.allow-comments", "true")]);
    assert_eq!(dec(&comments, "# a comment"), None);
    assert_eq!(
        dec(&comments, "#c\n1,x"),
        Some(vec![Value::Int(1), Value::String("x".into())])
    );
    assert!(
        f.decode(b"# a comment").is_err(),
        "without allow-comments '#' is data"
    );

    // NOT NULL columns: a null is an error, or a skipped row under ignore-parse-errors.
    let nn = csv(&[("a", "INT NOT NULL")], &[("csv.null-literal", "N")]);
    assert!(nn.decode(b"N").is_err());
    let nn_lenient = csv(
        &[("a", "INT NOT NULL")],
        &[("csv.ignore-parse-errors", "true")],
    );
    assert_eq!(dec(&nn_lenient, "x"), None);
    assert!(nn
        .encode(&Row::new(vec![Value::Null]), &mut Vec::new())
        .is_err());
}

#[test]
fn lenient_read_forms() {
    let f = csv(
        &[
            ("b", "BOOLEAN"),
            ("i", "INT"),
            ("d", "DOUBLE"),
            ("f", "FLOAT"),
            ("day", "DATE"),
            ("t", "TIME(3)"),
            ("ts", "TIMESTAMP(3)"),
        ],
        &[],
    );
    let row = dec(
        &f,
        " TRUE , 42 ,1e3,1.5f,2020-2-30,12:13,\" 2020-12-30 12:13:14.123456 \"",
    )
    .unwrap();
    assert_eq!(
        row,
        vec![
            Value::Boolean(true),
            Value::Int(42),
            Value::Double(1000.0),
            Value::Float(1.5),
            Value::Date(days(2020, 3, 1)),
            Value::Time(43_980_000_000_000),
            Value::Timestamp(ts("2020-12-30 12:13:14.123456")),
        ]
    );
    // Java's trim() also strips control chars around a timestamp.
    assert_eq!(
        dec(
            &csv(&[("ts", "TIMESTAMP(3)")], &[]),
            "\u{1}2020-12-30 12:13:14\u{1}"
        ),
        Some(vec![Value::Timestamp(ts("2020-12-30 12:13:14"))])
    );
    // TIME is truncated (not rounded) to its precision.
    let t0 = csv(&[("t", "TIME(0)")], &[]);
    assert_eq!(
        dec(&t0, "12:13:14.999"),
        Some(vec![Value::Time(43_994_000_000_000)])
    );
    // NaN / Infinity.
    let d = csv(&[("d", "DOUBLE")], &[]);
    assert_eq!(
        dec(&d, "-Infinity"),
        Some(vec![Value::Double(f64::NEG_INFINITY)])
    );
    assert!(matches!(dec(&d, "NaN").unwrap()[0], Value::Double(x) if x.is_nan()));
    assert_eq!(enc(&d, vec![Value::Double(f64::NAN)]), "NaN");
    // Java's hexadecimal float literals (Double.parseDouble / Float.parseFloat).
    let hex = csv(&[("d", "DOUBLE"), ("f", "FLOAT")], &[]);
    assert_eq!(
        dec(&hex, "0x1p3, -0X1.8P1f"),
        Some(vec![Value::Double(8.0), Value::Float(-3.0)])
    );
    assert!(
        hex.decode(b"0x1,0x1p3").is_err(),
        "the binary exponent is required"
    );
    // SMART timestamps.
    let s = csv(&[("ts", "TIMESTAMP(3)")], &[]);
    assert_eq!(
        dec(&s, "\"2021-02-29 12:00:00\""),
        Some(vec![Value::Timestamp(ts("2021-02-28 12:00:00"))])
    );
    assert_eq!(
        dec(&s, "\"2020-12-30 24:00:00\""),
        Some(vec![Value::Timestamp(ts("2020-12-31 00:00:00"))])
    );
}

/// Invalid text for every type: a field error naming column, type, text and offset.
#[test]
fn invalid_input_for_every_type_is_a_clear_error() {
    let cases = [
        ("BOOLEAN", "yes"),
        ("BOOLEAN", "trueA"),
        ("TINYINT", "128"),
        ("SMALLINT", "40000"),
        ("INT", "1.5"),
        ("INT", "abc"),
        ("BIGINT", "9223372036854775808"),
        ("FLOAT", "one"),
        ("DOUBLE", "inf"),
        ("DECIMAL(10, 2)", "1,5"),
        ("DECIMAL(10, 2)", " 1.5"),
        ("DATE", "20191112"),
        ("DATE", "2019-13-01"),
        ("TIME(3)", "25:00"),
        ("TIME(3)", "12"),
        ("TIMESTAMP(3)", "2020-12-30T12:13:14"),
        ("TIMESTAMP(3)", "2020-12-30 12:13"),
        ("TIMESTAMP(3)", "2020-12-30 12:13:14Z"),
        // Java's trim() strips chars <= ' ' only, not Unicode spaces.
        ("TIMESTAMP(3)", "2020-12-30 12:13:14\u{2003}"),
        ("TIMESTAMP_LTZ(3)", "2020-12-30 12:13:14"),
        ("TIMESTAMP_LTZ(3)", "2020-12-30 12:13:14+0800"),
        ("BYTES", "!!!"),
        ("ARRAY<INT>", "1;x"),
        ("ROW<a INT, b INT>", "1;x"),
    ];
    for (t, bad) in cases {
        let f = csv(&[("id", "INT"), ("col", t)], &[]);
        let msg = format!("7,\"{}\"", bad.replace('"', "\"\""));
        let e = f.decode(msg.as_bytes()).unwrap_err();
        match &e {
            FormatError::Field {
                column,
                expected,
                text,
                offset,
                ..
            } => {
                // A bad element is named by its position, type, text and byte.
                let want = match t {
                    "ARRAY<INT>" => ("col[1]".to_string(), "INT".to_string(), "x", 5),
                    "ROW<a INT, b INT>" => ("col.b".to_string(), "INT".to_string(), "x", 5),
                    _ => (
                        "col".to_string(),
                        DataType::parse(t).unwrap().to_string(),
                        bad,
                        2,
                    ),
                };
                assert_eq!(
                    (column, expected, text.as_str(), *offset),
                    (&want.0, &want.1, want.2, want.3),
                    "{t} {bad}"
                );
            }
            other => panic!("{t} {bad}: {other:?}"),
        }
        let s = e.to_string();
        assert!(
            s.contains("col") && s.contains(bad.rsplit(';').next().unwrap()),
            "{s}"
        );
        // Under ignore-parse-errors the field becomes null.
        let lenient = csv(
            &[("id", "INT"), ("col", t)],
            &[("csv.ignore-parse-errors", "true")],
        );
        assert_eq!(
            dec(&lenient, &msg),
            Some(vec![Value::Int(7), Value::Null]),
            "{t} {bad}"
        );
    }
}

#[test]
fn option_validation_uses_flinks_messages() {
    let t = fields(&[("a", "STRING")]);
    let err = |o: &[(&str, &str)]| {
        Format::from_options("csv", &opts(o), &t)
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        err(&[
            ("csv.disable-quote-character", "true"),
            ("csv.quote-character", "'")
        ]),
        "Format cannot define a quote character and disabled quote character at the same time."
    );
    assert_eq!(
        err(&[("csv.quote-character", "abc")]),
        "Option 'csv.quote-character' must be a string with single character, but was: abc"
    );
    assert_eq!(
        err(&[("csv.field-delimiter", ";;")]),
        "Option 'csv.field-delimiter' must be a string with single character, but was: ;;"
    );
    assert_eq!(
        err(&[("csv.array-element-delimiter", "")]),
        "Option 'csv.array-element-delimiter' must be a string with single character, but was: "
    );
    assert_eq!(
        err(&[("csv.escape-character", "\\\\")]),
        "Option 'csv.escape-character' must be a string with single character, but was: \\\\"
    );
    assert!(err(&[("csv.ignore-parse-errors", "yes")]).contains(
        "Unrecognized option for boolean: yes. Expected either true or false(case insensitive)"
    ));
    let e = err(&[("csv.fieldDelimiter", ";")]);
    assert!(e.starts_with("Unsupported options found for 'kinesis'.\n\nUnsupported options:\n\ncsv.fieldDelimiter\n"), "{e}");
    assert!(e.contains("csv.field-delimiter"), "{e}");
    // U&'\0001'-style delimiters and case-insensitive booleans.
    let ok = Format::from_options(
        "csv",
        &opts(&[
            ("csv.field-delimiter", "\u{1}"),
            ("csv.allow-comments", "TRUE"),
        ]),
        &t,
    );
    assert!(ok.is_ok());
    // Keys of other formats and of the connector are not the csv format's business.
    assert!(Format::from_options("csv", &opts(&[("json.foo", "1"), ("stream", "s")]), &t).is_ok());
}

#[test]
fn schema_errors() {
    let err = |t: &str| {
        Format::from_options("csv", &BTreeMap::new(), &fields(&[("f", t)]))
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        err("MAP<STRING, INT>"),
        "Unsupported type 'MAP<STRING, INT>' for field 'f'."
    );
    assert_eq!(
        err("MULTISET<STRING>"),
        "Unsupported type 'MULTISET<STRING>' for field 'f'."
    );
    assert_eq!(
        err("ARRAY<ARRAY<INT>>"),
        "Only simple types are supported in the second level nesting of fields 'f' but was: ARRAY<INT>"
    );
    assert_eq!(
        err("ROW<a ROW<b INT>>"),
        "Only simple types are supported in the second level nesting of fields 'f' but was: ROW<`b` INT>"
    );
    assert_eq!(
        err("TIME(6)"),
        "Csv does not support TIME type with precision: 6, it only supports precision 0 ~ 3."
    );
}

#[test]
fn encode_rejects_mismatched_rows() {
    let f = csv(&[("a", "INT"), ("b", "STRING")], &[]);
    let mut out = b"keep".to_vec();
    assert!(f.encode(&Row::new(vec![Value::Int(1)]), &mut out).is_err());
    assert!(f
        .encode(
            &Row::new(vec![Value::String("x".into()), Value::String("y".into())]),
            &mut out
        )
        .is_err());
    assert!(f
        .encode(
            &Row::new(vec![Value::BigInt(1 << 40), Value::Null]),
            &mut out
        )
        .is_err());
    // A failed encode leaves the buffer as it was.
    assert_eq!(out, b"keep");
    // Widening within integers is fine.
    assert_eq!(enc(&f, vec![Value::TinyInt(3), Value::Null]), "3,");
}

#[test]
fn array_element_delimiter_option() {
    let f = csv(
        &[("tags", "ARRAY<STRING>"), ("r", "ROW<a INT, b DATE>")],
        &[
            ("csv.array-element-delimiter", "|"),
            ("csv.null-literal", "-"),
        ],
    );
    let row = vec![
        Value::Array(vec![
            Value::String("x;y".into()),
            Value::Null,
            Value::String("z".into()),
        ]),
        Value::Row(Row::new(vec![Value::Int(1), Value::Date(days(2020, 1, 2))])),
    ];
    let text = enc(&f, row.clone());
    assert_eq!(text, "x;y|-|z,1|2020-01-02");
    assert_eq!(dec(&f, &text), Some(row));
    // Elements of an unquoted field, and of a field whose quotes were undone (the offset is
    // then the field's).
    let e = f.decode(b"a|b,1|x").unwrap_err();
    assert_eq!(
        e.to_string(),
        "Failed to deserialize CSV row: Fail to deserialize at field: r.b. Expected DATE, \
         got 'x' at byte 6: not a date (yyyy-[m]m-[d]d)"
    );
    let e = f.decode(b"a,\"1|\"\"\"").unwrap_err();
    assert!(
        matches!(&e, FormatError::Field { column, text, offset: 2, .. }
            if column == "r.b" && text == "\""),
        "{e:?}"
    );
    // Flink's nested arity rule: fewer parts than the ROW has fields is an error naming the
    // column; extra parts are ignored; an empty (or blank) text is a null ROW and an empty
    // ARRAY (Jackson emits no elements).
    let e = f.decode(b"a,7").unwrap_err();
    assert_eq!(
        e.to_string(),
        "Failed to deserialize CSV row: Fail to deserialize at field: r. Expected ROW<`a` INT, `b` DATE>, \
         got '7' at byte 2: Row length mismatch. 2 fields expected but was 1."
    );
    assert_eq!(
        dec(&f, "a,7|2020-01-02|x"),
        Some(vec![
            Value::Array(vec![Value::String("a".into())]),
            Value::Row(Row::new(vec![Value::Int(7), Value::Date(days(2020, 1, 2))]))
        ])
    );
    assert_eq!(dec(&f, " ,"), Some(vec![Value::Array(vec![]), Value::Null]));
    let lenient = csv(
        &[("tags", "ARRAY<STRING>"), ("r", "ROW<a INT, b DATE>")],
        &[
            ("csv.array-element-delimiter", "|"),
            ("csv.ignore-parse-errors", "true"),
        ],
    );
    assert_eq!(
        dec(&lenient, "a,7"),
        Some(vec![
            Value::Array(vec![Value::String("a".into())]),
            Value::Row(Row::new(vec![Value::Int(7), Value::Null]))
        ])
    );
}

/// Issue #13 finding 6 (the csv side): numbers with exponents at the 64-bit limits, both
/// signs. A DECIMAL takes Java BigDecimal's exponents and scales (32 bits), so these are
/// field errors naming the column (or array element); DOUBLE and FLOAT read any exponent,
/// as `Double.parseDouble` does. Nothing overflows in a debug build.
#[test]
fn extreme_exponents_are_clear_errors() {
    let f = csv(
        &[
            ("d", "DECIMAL(10, 2)"),
            ("a", "ARRAY<DECIMAL(38, 0)>"),
            ("x", "DOUBLE"),
            ("y", "FLOAT"),
        ],
        &[],
    );
    for n in [
        "1e-9223372036854775808",
        "-1e-9223372036854775808",
        "1E9223372036854775807",
        "-1.5e+9223372036854775807",
        "1e-2147483648",
        "1e2147483648",
    ] {
        for (text, column) in [(format!("{n},,0,0"), "d"), (format!("1,2;{n},0,0"), "a[1]")] {
            match f.decode(text.as_bytes()) {
                Err(FormatError::Field {
                    column: c, reason, ..
                }) => {
                    assert_eq!(c, column, "{text}");
                    assert!(reason.contains("not a decimal number"), "{text}: {reason}");
                }
                other => panic!("{text}: {other:?}"),
            }
        }
        let row = dec(&f, &format!("1,,{n},{n}")).unwrap();
        let (x, y) = (row[2].clone(), row[3].clone());
        let huge = !n.contains("e-");
        let negative = n.starts_with('-');
        let expected_x = match (huge, negative) {
            (true, false) => f64::INFINITY,
            (true, true) => f64::NEG_INFINITY,
            (false, false) => 0.0,
            (false, true) => -0.0,
        };
        assert_eq!(x, Value::Double(expected_x), "{n}");
        assert_eq!(y, Value::Float(expected_x as f32), "{n}");
    }
}

#[test]
fn the_quoting_scan_counts_utf16_units_and_doubles_quotes_on_both_of_its_paths() {
    let f = csv(&[("s", "STRING")], &[]);
    let s = |t: &str| enc(&f, vec![Value::String(t.into())]);
    // Plain ASCII (the flag pass alone): quoted only past 24 chars.
    assert_eq!(s(&"a".repeat(24)), "a".repeat(24));
    assert_eq!(s(&"a".repeat(25)), format!("\"{}\"", "a".repeat(25)));
    // Non-ASCII (the counting pass): 24 UTF-16 units in 48 bytes stay plain, 25 do not; a
    // char outside the BMP counts two units.
    assert_eq!(s(&"é".repeat(24)), "é".repeat(24));
    assert_eq!(s(&"é".repeat(25)), format!("\"{}\"", "é".repeat(25)));
    assert_eq!(s(&"😀".repeat(12)), "😀".repeat(12));
    assert_eq!(s(&"😀".repeat(13)), format!("\"{}\"", "😀".repeat(13)));
    // A quote char forces quoting and is doubled; a space (below the delimiter) quotes.
    assert_eq!(s("a\"b"), "\"a\"\"b\"");
    assert_eq!(s("a b"), "\"a b\"");
}
