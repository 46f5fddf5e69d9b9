//! The format decoders (csv, json, avro, raw) on random schemas and option sets.
//!
//! An input is a header and a payload:
//!
//! ```text
//! ROW<`a` INT, `b` ARRAY<STRING>>     the physical row type (Flink's spelling)
//! csv.field-delimiter=;               format options, one `key=value` a line
//!                                     an empty line
//! 1;x                                 the payload, every byte after the empty line
//! ```
//!
//! Generated inputs hold random rows of random schemas, encoded by the format's own
//! encoder; mutations mostly change the payload, sometimes the header.
//!
//! Checked on every input: decoding returns a row or an error, never panics; an error is a
//! field or record error pointing at a byte inside the payload; a row has one value per
//! column, each of its column's type; a decoded row that the encoder can write decodes
//! back to the same row; the row type prints and parses back to itself.

use std::collections::BTreeMap;

use chrono::DateTime;
use kinesis_formats::{DataType, Decimal, Format, FormatError, LogicalType, Row, RowField, Value};

use crate::alloc_cap::unmeasured;
use crate::driver::{Target, Verdict};
use crate::mutate::mutate;
use crate::rng::Rng;
use crate::MAX_INPUT;

/// The decoder of one format.
pub struct FormatTarget {
    format: &'static str,
    name: &'static str,
}

/// The four format targets.
pub fn targets() -> Vec<FormatTarget> {
    [
        ("csv", "csv"),
        ("json", "json"),
        ("avro", "avro"),
        ("raw", "raw"),
    ]
    .into_iter()
    .map(|(format, name)| FormatTarget { format, name })
    .collect()
}

/// A parsed input: row type, options and payload.
struct Input<'a> {
    row_type: DataType,
    options: BTreeMap<String, String>,
    payload: &'a [u8],
}

/// Splits an input into header and payload; `None` when the header is not one.
fn split(input: &[u8]) -> Option<(&[u8], &[u8])> {
    let at = input.windows(2).position(|w| w == b"\n\n")?;
    Some((&input[..at], &input[at + 2..]))
}

fn parse(input: &[u8]) -> Option<Input<'_>> {
    let (header, payload) = split(input)?;
    let header = std::str::from_utf8(header).ok()?;
    let mut lines = header.split('\n');
    let row_type = DataType::parse(lines.next()?).ok()?;
    let options = lines
        .map(|l| {
            l.split_once('=')
                .map(|(k, v)| (k.to_string(), v.to_string()))
        })
        .collect::<Option<BTreeMap<_, _>>>()?;
    Some(Input {
        row_type,
        options,
        payload,
    })
}

fn encode_input(
    row_type: &DataType,
    options: &BTreeMap<String, String>,
    payload: &[u8],
) -> Vec<u8> {
    let mut out = row_type.to_string().into_bytes();
    for (k, v) in options {
        out.push(b'\n');
        out.extend_from_slice(format!("{k}={v}").as_bytes());
    }
    out.extend_from_slice(b"\n\n");
    out.extend_from_slice(payload);
    out
}

impl Target for FormatTarget {
    fn name(&self) -> &'static str {
        self.name
    }

    fn about(&self) -> &'static str {
        match self.format {
            "csv" => "kinesis-formats csv decoder (Format::from_options + decode) on random schemas and options",
            "json" => "kinesis-formats json decoder on random schemas and options",
            "avro" => "kinesis-formats avro decoder on random schemas",
            _ => "kinesis-formats raw decoder on its column types and charsets",
        }
    }

    fn dictionary(&self) -> &'static [&'static [u8]] {
        match self.format {
            "json" => &[
                b"null",
                b"true",
                b"false",
                b"{}",
                b"[]",
                b"\"\"",
                b"\\u0000",
                b"\\ud800",
                b"\\\"",
                b"1e999",
                b"-0",
                b"0.1e-5",
                // Exponents and integers at the edge of i64 (issue #13, finding 6).
                b"1e-9223372036854775808",
                b"e9223372036854775807",
                b"-9223372036854775809",
                b"[[[[",
                b"]]]]",
                b"\":",
                b"2020-01-01T00:00:00Z",
                b"2020-01-01 00:00:00.123",
                b"12:34:56.789",
                b"{\"a\":",
                b"NaN",
                b"-Infinity",
            ],
            "csv" => &[
                b"\"\"",
                b";",
                b",",
                b"\\N",
                b"\\",
                b"'",
                b"\n",
                b"#",
                b"true",
                b"1e308",
                b"1e-9223372036854775808",
                b"-9223372036854775809",
                b"2020-01-01",
                b"2020-01-01 00:00:00.123",
                b"12:34:56",
                b"-",
                b"\xa7",
                b"\xc2\xa6",
            ],
            "avro" => &[
                b"\x00",
                b"\x01",
                b"\x02",
                b"\x7f",
                b"\xff\xff\xff\xff\x0f",
                b"\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01",
                b"\xfe\xff\xff\xff\xff\xff\xff\xff\xff\x01",
            ],
            _ => &[
                b"\xff\xfe",
                b"\xef\xbb\xbf",
                b"\xc3\xa9",
                b"\x00",
                b"\xed\xa0\x80",
            ],
        }
    }

    fn generate(&self, rng: &mut Rng) -> Vec<u8> {
        for _ in 0..20 {
            let fields = random_fields(rng, self.format);
            let options = random_options(rng, self.format);
            let Ok(format) = Format::from_options(self.format, &options, &fields) else {
                continue;
            };
            let row_type = DataType::nullable(LogicalType::Row(fields.clone()));
            let row = Row::new(
                fields
                    .iter()
                    .map(|f| random_value(rng, &f.data_type, 0))
                    .collect(),
            );
            let mut payload = Vec::new();
            if format.encode(&row, &mut payload).is_err() {
                let n = rng.small(40);
                payload = rng.bytes(n);
            }
            return encode_input(&row_type, &options, &payload);
        }
        let fields = vec![RowField::new("data", DataType::bytes())];
        encode_input(
            &DataType::nullable(LogicalType::Row(fields)),
            &BTreeMap::new(),
            &rng.bytes(8),
        )
    }

    fn mutate(&self, rng: &mut Rng, input: &[u8], other: &[u8]) -> Vec<u8> {
        let Some((header, payload)) = split(input) else {
            return mutate(rng, input, other, self.dictionary(), MAX_INPUT);
        };
        let other_payload = split(other).map_or(other, |(_, p)| p);
        let mut out = header.to_vec();
        out.extend_from_slice(b"\n\n");
        match rng.below(20) {
            // The whole input, header included.
            0 | 1 => return mutate(rng, input, other, self.dictionary(), MAX_INPUT),
            // Another input's header over this payload: a payload of one schema read with
            // another.
            2 => {
                if let Some((h, _)) = split(other) {
                    out = h.to_vec();
                    out.extend_from_slice(b"\n\n");
                }
                out.extend_from_slice(payload);
            }
            _ => out.extend_from_slice(&mutate(
                rng,
                payload,
                other_payload,
                self.dictionary(),
                MAX_INPUT,
            )),
        }
        out.truncate(MAX_INPUT);
        out
    }

    fn run(&self, input: &[u8]) -> Verdict {
        let Some(input) = parse(input) else {
            return Verdict::Rejected;
        };
        // The type parser: what it prints, it reads back.
        let printed = input.row_type.to_string();
        assert_eq!(
            DataType::parse(&printed).as_ref(),
            Ok(&input.row_type),
            "the row type does not read back from its printed form {printed:?}"
        );
        let LogicalType::Row(fields) = &input.row_type.kind else {
            return Verdict::Rejected;
        };
        let Ok(format) = Format::from_options(self.format, &input.options, fields) else {
            return Verdict::Rejected;
        };
        let payload = input.payload;
        match format.decode(payload) {
            Err(e) => {
                check_error(&e, payload);
                Verdict::Rejected
            }
            Ok(None) => Verdict::Accepted,
            Ok(Some(row)) => {
                assert_eq!(
                    row.values.len(),
                    fields.len(),
                    "a row of {} values for {} columns",
                    row.values.len(),
                    fields.len()
                );
                for (f, v) in fields.iter().zip(&row.values) {
                    assert!(
                        fits(&f.data_type, v),
                        "column {} of type {} decoded as {v:?}",
                        f.name,
                        f.data_type
                    );
                }
                unmeasured(|| check_round_trip(&format, &input.options, fields, &row));
                Verdict::Accepted
            }
        }
    }
}

fn check_error(e: &FormatError, payload: &[u8]) {
    let offset = match e {
        FormatError::Field { offset, .. } | FormatError::Record { offset, .. } => *offset,
        other => panic!("decoding failed with a {other:?}, not a field or record error"),
    };
    assert!(
        offset <= payload.len(),
        "error offset {offset} beyond the {}-byte payload: {e}",
        payload.len()
    );
    assert!(!e.to_string().is_empty(), "an empty error message");
}

/// A decoded row that the encoder writes decodes back to itself.
///
/// csv cannot tell some values apart (Flink's rules, spec §10.3): a null is written as an
/// empty field, which reads back as an empty string or as a parse error; an empty ARRAY is
/// written as nothing, and so is a `ROW<>` (which reads back as null); an ARRAY or ROW of
/// one null is written as the null literal (which reads back as null); a ROW or ARRAY of
/// blank strings may be written as a blank text, which reads back as null or empty; under
/// `csv.ignore-parse-errors` a text the strict reader refuses reads back as nulls. So for
/// csv, what it reads back must write the same text (rows with such values aside), and only
/// an empty line (or, under `csv.ignore-parse-errors`, a record it cannot read) reads as no
/// row.
fn check_round_trip(
    format: &Format,
    options: &BTreeMap<String, String>,
    fields: &[RowField],
    row: &Row,
) {
    let mut again = Vec::new();
    if format.encode(row, &mut again).is_err() {
        return;
    }
    let back = format.decode(&again);
    let shown = || String::from_utf8_lossy(&again).into_owned();
    if format.name() == "csv" {
        let lenient = options.get("csv.ignore-parse-errors").map(String::as_str) == Some("true");
        match back {
            Ok(Some(_)) if row.values.iter().any(has_empty_row) => {}
            Ok(Some(_)) if row.values.iter().any(has_blank_nested) => {}
            Ok(Some(_))
                if options.contains_key("csv.null-literal")
                    && row.values.iter().any(is_one_null) => {}
            // Under csv.ignore-parse-errors a field it cannot read is null: a nested null
            // written as an empty element (no INT, no TIMESTAMP) reads back as a null field.
            Ok(Some(_)) if lenient && strict_csv_rejects(options, fields, &again) => {}
            Ok(Some(back)) => {
                let mut third = Vec::new();
                if format.encode(&back, &mut third).is_ok() {
                    assert!(
                        third == again,
                        "csv: the row read back writes another text:\n  row {row:?}\n  wrote {:?}\n  read  {back:?}\n  wrote {:?}",
                        shown(),
                        String::from_utf8_lossy(&third)
                    );
                }
            }
            Ok(None) => assert!(
                lenient || again.iter().all(|b| matches!(b, b'\n' | b'\r')),
                "csv: the encoded row reads as no row:\n  row {row:?}\n  encoded {:?}",
                shown()
            ),
            Err(_) => {}
        }
        return;
    }
    match back {
        Ok(Some(back)) => assert!(
            canonical_row(&back) == canonical_row(row),
            "decode(encode(row)) differs from row:\n  row  {row:?}\n  back {back:?}\n  encoded {:?}",
            shown()
        ),
        other => panic!(
            "the encoded row does not decode: {other:?}\n  row {row:?}\n  encoded {:?}",
            shown()
        ),
    }
}

/// Whether the csv format of `options` without `csv.ignore-parse-errors` refuses `record`.
fn strict_csv_rejects(
    options: &BTreeMap<String, String>,
    fields: &[RowField],
    record: &[u8],
) -> bool {
    let mut strict = options.clone();
    strict.remove("csv.ignore-parse-errors");
    Format::from_options("csv", &strict, fields).is_ok_and(|f| f.decode(record).is_err())
}

/// Whether `v` is an ARRAY or ROW holding one null (or one such value): it writes as the
/// null literal alone, which reads back as a null field (as in Flink, whose Jackson reader
/// compares the whole field with the null literal).
fn is_one_null(v: &Value) -> bool {
    let one =
        |items: &[Value]| items.len() == 1 && (items[0] == Value::Null || is_one_null(&items[0]));
    match v {
        Value::Array(items) => one(items),
        Value::Row(r) => one(&r.values),
        _ => false,
    }
}

/// Whether `v` is or holds a `ROW<>` value.
/// A top-level ROW or ARRAY whose elements are all blank strings (every char at most a
/// space) or nulls: its text may be blank, which Jackson trims to nothing (a null ROW, an
/// empty ARRAY), as Flink reads it.
fn has_blank_nested(v: &Value) -> bool {
    let blank = |v: &Value| match v {
        Value::String(s) => s.chars().all(|c| c <= ' '),
        Value::Null => true,
        _ => false,
    };
    match v {
        Value::Row(r) => r.values.iter().all(blank),
        Value::Array(items) => items.iter().all(blank),
        _ => false,
    }
}

fn has_empty_row(v: &Value) -> bool {
    match v {
        Value::Row(r) => r.values.is_empty() || r.values.iter().any(has_empty_row),
        Value::Array(items) => items.iter().any(has_empty_row),
        Value::Map(e) => e.iter().any(|(k, v)| has_empty_row(k) || has_empty_row(v)),
        Value::Multiset(e) => e.iter().any(|(k, _)| has_empty_row(k)),
        _ => false,
    }
}

/// A row's values as text, NaN equal to NaN, MAP / MULTISET entries in any order and a
/// repeated key counting once, its last value winning (the encoders hold maps as Flink
/// does, in a Java HashMap: avro writes them in its order).
fn canonical_row(row: &Row) -> Vec<String> {
    row.values.iter().map(canonical).collect()
}

fn canonical(v: &Value) -> String {
    match v {
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(canonical).collect::<Vec<_>>().join(",")
        ),
        Value::Row(r) => format!("({})", canonical_row(r).join(",")),
        Value::Map(entries) => canonical_map(entries.iter().map(|(k, v)| (k, canonical(v)))),
        Value::Multiset(entries) => canonical_map(entries.iter().map(|(k, n)| (k, n.to_string()))),
        other => format!("{other:?}"),
    }
}

fn canonical_map<'a>(entries: impl Iterator<Item = (&'a Value, String)>) -> String {
    let by_key: std::collections::BTreeMap<String, String> =
        entries.map(|(k, v)| (canonical(k), v)).collect();
    let e: Vec<String> = by_key.iter().map(|(k, v)| format!("{k}=>{v}")).collect();
    format!("{{{}}}", e.join(","))
}

/// Whether `v` is a value of type `t` (any value may be null).
fn fits(t: &DataType, v: &Value) -> bool {
    use LogicalType as L;
    match (&t.kind, v) {
        (_, Value::Null) => true,
        (L::Char(_) | L::Varchar(_), Value::String(_))
        | (L::Binary(_) | L::Varbinary(_), Value::Bytes(_))
        | (L::Boolean, Value::Boolean(_))
        | (L::Decimal { .. }, Value::Decimal(_))
        | (L::TinyInt, Value::TinyInt(_))
        | (L::SmallInt, Value::SmallInt(_))
        | (L::Int, Value::Int(_))
        | (L::BigInt, Value::BigInt(_))
        | (L::Float, Value::Float(_))
        | (L::Double, Value::Double(_))
        | (L::Date, Value::Date(_))
        | (L::Time(_), Value::Time(_))
        | (L::Timestamp(_), Value::Timestamp(_))
        | (L::TimestampLtz(_), Value::TimestampLtz(_)) => true,
        (L::Array(e), Value::Array(items)) => items.iter().all(|i| fits(e, i)),
        (L::Multiset(e), Value::Multiset(items)) => items.iter().all(|(i, _)| fits(e, i)),
        (L::Map(k, val), Value::Map(entries)) => {
            entries.iter().all(|(a, b)| fits(k, a) && fits(val, b))
        }
        (L::Row(fields), Value::Row(row)) => {
            row.values.len() == fields.len()
                && fields
                    .iter()
                    .zip(&row.values)
                    .all(|(f, v)| fits(&f.data_type, v))
        }
        _ => false,
    }
}

const NAMES: &[&str] = &[
    "a", "b", "id", "data", "ts", "x_1", "Name", "é", "b c", "select", "k`q", "a.b",
];

fn random_fields(rng: &mut Rng, format: &str) -> Vec<RowField> {
    if format == "raw" {
        let t = *rng.pick(&[
            "STRING",
            "BYTES",
            "VARCHAR(3)",
            "BINARY(4)",
            "CHAR(2)",
            "INT",
        ]);
        let mut dt = DataType::parse(t).expect("a raw column type");
        dt.nullable = rng.chance(70);
        return vec![RowField::new(*rng.pick(NAMES), dt)];
    }
    let n = 1 + rng.small(6);
    (0..n)
        .map(|i| {
            let name = format!("{}{i}", rng.pick(NAMES));
            let depth = if format == "csv" { 1 } else { 3 };
            RowField::new(name, random_type(rng, depth))
        })
        .collect()
}

fn random_type(rng: &mut Rng, depth: usize) -> DataType {
    use LogicalType as L;
    let nested = depth > 0 && rng.chance(25);
    let kind = if nested {
        match rng.below(4) {
            0 => L::Array(Box::new(random_type(rng, depth - 1))),
            1 => L::Map(
                Box::new(random_type(rng, 0)),
                Box::new(random_type(rng, depth - 1)),
            ),
            2 => L::Multiset(Box::new(random_type(rng, depth - 1))),
            _ => L::Row(
                (0..rng.small(4))
                    .map(|i| RowField::new(format!("f{i}"), random_type(rng, depth - 1)))
                    .collect(),
            ),
        }
    } else {
        match rng.below(19) {
            0 => L::Char(1 + rng.small(10) as u32),
            1 => L::Varchar(1 + rng.small(300) as u32),
            2 => L::Varchar(i32::MAX as u32),
            3 => L::Boolean,
            4 => L::Binary(1 + rng.small(16) as u32),
            5 => L::Varbinary(i32::MAX as u32),
            6 => {
                let precision = 1 + rng.below(38) as u8;
                L::Decimal {
                    precision,
                    scale: rng.below(precision as usize + 1) as u8,
                }
            }
            7 => L::TinyInt,
            8 => L::SmallInt,
            9 => L::Int,
            10 => L::BigInt,
            11 => L::Float,
            12 => L::Double,
            13 => L::Date,
            14 => L::Time(rng.below(4) as u8),
            15 => L::Timestamp(rng.below(10) as u8),
            16 => L::TimestampLtz(rng.below(10) as u8),
            17 => L::Varbinary(1 + rng.small(40) as u32),
            _ => L::Varchar(i32::MAX as u32),
        }
    };
    DataType {
        kind,
        nullable: rng.chance(75),
    }
}

const STRINGS: &[&str] = &[
    "",
    "a",
    "héllo wörld",
    "x,y;z",
    "quote\"d",
    "it's",
    "back\\slash",
    "tab\there",
    "line\nbreak",
    "cr\r\n",
    "#hash",
    "\\N",
    "null",
    "NULL",
    "{\"k\":[1]}",
    "日本語",
    "🎉",
    " lead",
    "trail ",
    "\u{0}",
    "\u{7f}",
    "\u{2028}",
    "true",
    "1e5",
    "-0",
    "§¦«€∅",
];

fn random_value(rng: &mut Rng, ty: &DataType, depth: usize) -> Value {
    if ty.nullable && rng.chance(10) {
        return Value::Null;
    }
    use LogicalType as L;
    match &ty.kind {
        L::Char(_) | L::Varchar(_) => {
            if rng.chance(80) {
                Value::String(rng.pick(STRINGS).to_string())
            } else {
                let n = rng.small(30);
                Value::String(
                    (0..n)
                        .map(|_| char::from(b' ' + rng.below(95) as u8))
                        .collect(),
                )
            }
        }
        L::Boolean => Value::Boolean(rng.chance(50)),
        L::Binary(_) | L::Varbinary(_) => {
            let n = rng.small(20);
            Value::Bytes(rng.bytes(n))
        }
        L::Decimal { precision, scale } => {
            let digits = 1 + rng.below(*precision as usize) as u32;
            let max = 10i128.pow(digits) - 1;
            let v = (i128::from(rng.next_u64() as i64) * i128::from(rng.next_u64())) % (max + 1);
            Value::Decimal(Decimal::new(v, *scale))
        }
        L::TinyInt => Value::TinyInt(rng.next_u64() as i8),
        L::SmallInt => Value::SmallInt(rng.next_u64() as i16),
        L::Int => {
            let any = rng.next_u64() as i32;
            Value::Int(*rng.pick(&[0, 1, -1, i32::MIN, i32::MAX, any]))
        }
        L::BigInt => {
            let any = rng.next_u64() as i64;
            Value::BigInt(*rng.pick(&[0, -1, i64::MIN, i64::MAX, any]))
        }
        L::Float => {
            let any = f32::from_bits(rng.next_u64() as u32);
            Value::Float(*rng.pick(&[
                0.0f32,
                -0.0,
                1.5,
                -3.25e10,
                f32::MIN_POSITIVE,
                f32::MAX,
                any,
            ]))
        }
        L::Double => {
            let any = f64::from_bits(rng.next_u64());
            Value::Double(*rng.pick(&[0.0, 0.1, -1e300, 123456.789, f64::MAX, 5e-324, any]))
        }
        L::Date => Value::Date(rng.below(4_000_000) as i32 - 1_000_000),
        L::Time(p) => {
            let unit = 10u64.pow(9 - u32::from((*p).min(3)));
            Value::Time(rng.below(86_400_000_000_000 / unit as usize) as u64 * unit)
        }
        L::Timestamp(p) | L::TimestampLtz(p) => {
            let secs = (rng.next_u64() % 400_000_000_000) as i64 - 100_000_000_000;
            let unit = 10u32.pow(9 - u32::from((*p).min(9)));
            let nanos = (rng.next_u64() % 1_000_000_000) as u32 / unit * unit;
            let ts = DateTime::from_timestamp(secs, nanos)
                .unwrap_or_else(|| DateTime::from_timestamp(0, 0).expect("the epoch"));
            if matches!(ty.kind, L::Timestamp(_)) {
                Value::Timestamp(ts.naive_utc())
            } else {
                Value::TimestampLtz(ts)
            }
        }
        L::Array(e) => {
            let n = if depth > 3 { 0 } else { rng.small(5) };
            Value::Array((0..n).map(|_| random_value(rng, e, depth + 1)).collect())
        }
        L::Map(k, v) => {
            let n = if depth > 3 { 0 } else { rng.small(3) };
            Value::Map(
                (0..n)
                    .map(|_| {
                        (
                            random_value(rng, k, depth + 1),
                            random_value(rng, v, depth + 1),
                        )
                    })
                    .collect(),
            )
        }
        L::Multiset(e) => {
            let n = if depth > 3 { 0 } else { rng.small(3) };
            Value::Multiset(
                (0..n)
                    .map(|_| (random_value(rng, e, depth + 1), 1 + rng.small(4) as u32))
                    .collect(),
            )
        }
        L::Row(fields) => Value::Row(Row::new(
            fields
                .iter()
                .map(|f| random_value(rng, &f.data_type, depth + 1))
                .collect(),
        )),
    }
}

/// Values for format options: delimiters, switches, modes, charsets.
const OPTION_VALUES: &[&str] = &[
    "true",
    "false",
    ";",
    "|",
    ",",
    "\\t",
    "'",
    "\"",
    "\\",
    "¦",
    "§",
    "«",
    "€",
    "∅",
    "\\N",
    "",
    "null",
    "ab",
    "ISO-8601",
    "SQL",
    "FAIL",
    "DROP",
    "LITERAL",
    "UTF-8",
    "ISO-8859-1",
    "UTF-16",
    "US-ASCII",
    "big-endian",
    "little-endian",
];

fn random_options(rng: &mut Rng, format: &str) -> BTreeMap<String, String> {
    let keys = Format::option_keys(format);
    let mut options = BTreeMap::new();
    if keys.is_empty() {
        return options;
    }
    for _ in 0..rng.small(4) {
        let key = rng.pick(keys).key;
        options.insert(key.to_string(), rng.pick(OPTION_VALUES).to_string());
    }
    options
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_inputs_parse_and_mostly_decode() {
        for target in targets() {
            let mut rng = Rng::new(9);
            let mut accepted = 0;
            for _ in 0..200 {
                let input = target.generate(&mut rng);
                assert!(parse(&input).is_some(), "{}: {input:?}", target.name);
                accepted += usize::from(target.run(&input) == Verdict::Accepted);
            }
            assert!(accepted > 100, "{}: {accepted} of 200 decoded", target.name);
        }
    }

    #[test]
    fn header_and_payload_split_at_the_first_empty_line() {
        let input = b"ROW<a STRING>\ncsv.field-delimiter=;\n\nx\n\ny";
        let parsed = parse(input).unwrap();
        assert_eq!(parsed.options["csv.field-delimiter"], ";");
        assert_eq!(parsed.payload, b"x\n\ny");
    }
}
