//! A bounded fuzz pass: random bytes and mutated valid payloads go into every decoder
//! (csv, json, avro, raw) for schemas covering every type and nesting, under several option
//! sets. Decoding must return a row or an error — never panic — and every field or record
//! error must point at a byte inside the message.
//!
//! Deterministic by default (fixed seed, 400 rounds over every case whatever the machine's
//! speed). `FUZZ_SECS=60 FUZZ_SEED=7` runs for a minute with another seed.

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

use chrono::DateTime;
use kinesis_formats::{DataType, Decimal, Format, FormatError, LogicalType, Row, RowField, Value};

/// xorshift64*: small, deterministic, good enough for mutation choices.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

fn t(s: &str) -> DataType {
    DataType::parse(s).unwrap()
}

fn schema(cols: &[(&str, &str)]) -> Vec<RowField> {
    cols.iter()
        .map(|(n, ty)| RowField::new(*n, t(ty)))
        .collect()
}

fn schemas() -> Vec<Vec<RowField>> {
    let simple = [
        ("c", "CHAR(3)"),
        ("s", "STRING"),
        ("b", "BOOLEAN"),
        ("bin", "BINARY(4)"),
        ("vb", "BYTES"),
        ("d", "DECIMAL(10, 2)"),
        ("big", "DECIMAL(38, 18)"),
        ("ti", "TINYINT"),
        ("si", "SMALLINT"),
        ("i", "INT"),
        ("l", "BIGINT"),
        ("f", "FLOAT"),
        ("db", "DOUBLE"),
        ("dt", "DATE"),
        ("tm", "TIME(3)"),
        ("ts0", "TIMESTAMP(0)"),
        ("ts", "TIMESTAMP(3)"),
        ("ts9", "TIMESTAMP(9)"),
        ("ltz", "TIMESTAMP_LTZ(3)"),
        ("ltz6", "TIMESTAMP_LTZ(6)"),
    ];
    let not_null: Vec<(String, String)> = simple
        .iter()
        .map(|(n, ty)| (n.to_string(), format!("{ty} NOT NULL")))
        .collect();
    let not_null: Vec<(&str, &str)> = not_null
        .iter()
        .map(|(n, ty)| (n.as_str(), ty.as_str()))
        .collect();
    vec![
        schema(&simple),
        schema(&not_null),
        // csv-representable nesting.
        schema(&[
            ("id", "BIGINT NOT NULL"),
            ("tags", "ARRAY<STRING>"),
            ("nums", "ARRAY<INT NOT NULL>"),
            ("decs", "ARRAY<DECIMAL(5, 1)>"),
            ("r", "ROW<a INT, b STRING, c TIMESTAMP(3), d BOOLEAN>"),
        ]),
        // Deeper nesting (json and avro).
        schema(&[
            ("m", "MAP<STRING, INT>"),
            ("mm", "MAP<STRING, ARRAY<DECIMAL(10, 2)>>"),
            ("ms", "MULTISET<STRING>"),
            ("ar", "ARRAY<ROW<x DOUBLE, y ARRAY<BYTES>>>"),
            (
                "rr",
                "ROW<inner ROW<z DATE NOT NULL, w MAP<STRING, TIME(3)>>>",
            ),
            ("aa", "ARRAY<ARRAY<BIGINT>>"),
        ]),
        // The benchmark's seed schema.
        schema(&[
            ("user_id", "BIGINT"),
            ("item_id", "BIGINT"),
            ("category_id", "BIGINT"),
            ("behavior", "STRING"),
            ("ts", "TIMESTAMP(3)"),
        ]),
        schema(&[("line", "STRING")]),
        schema(&[("payload", "BYTES")]),
    ]
}

fn option_sets(format: &str) -> Vec<BTreeMap<String, String>> {
    let sets: &[&[(&str, &str)]] = match format {
        "csv" => &[
            &[],
            &[("csv.ignore-parse-errors", "true")],
            &[
                ("csv.null-literal", "\\N"),
                ("csv.escape-character", "\\"),
                ("csv.allow-comments", "true"),
                ("csv.field-delimiter", "|"),
                ("csv.quote-character", "'"),
            ],
            // Multi-byte delimiter, quote, escape and null literal.
            &[
                ("csv.field-delimiter", "§"),
                ("csv.quote-character", "«"),
                ("csv.escape-character", "€"),
                ("csv.array-element-delimiter", "¦"),
                ("csv.null-literal", "∅"),
            ],
            &[
                ("csv.disable-quote-character", "true"),
                ("csv.array-element-delimiter", ","),
                ("csv.field-delimiter", "\\t"),
                ("csv.write-bigdecimal-in-scientific-notation", "true"),
            ],
        ],
        "json" => &[
            &[],
            &[("json.ignore-parse-errors", "true")],
            &[
                ("json.timestamp-format.standard", "ISO-8601"),
                ("json.fail-on-missing-field", "true"),
                ("json.map-null-key.mode", "LITERAL"),
            ],
        ],
        "avro" => &[&[], &[("avro.timestamp_mapping.legacy", "false")]],
        "raw" => &[&[], &[("raw.charset", "ISO-8859-1")]],
        _ => unreachable!(),
    };
    sets.iter()
        .map(|s| {
            s.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        })
        .collect()
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
    "#hash",
    "\\N",
    "null",
    "{\"k\":[1]}",
    "日本語テキスト",
    "emoji 🎉",
];

fn random_value(rng: &mut Rng, ty: &DataType, depth: usize) -> Value {
    if ty.nullable && rng.chance(10) {
        return Value::Null;
    }
    use LogicalType as L;
    match &ty.kind {
        L::Char(_) | L::Varchar(_) => Value::String(STRINGS[rng.below(STRINGS.len())].into()),
        L::Boolean => Value::Boolean(rng.chance(50)),
        L::Binary(_) | L::Varbinary(_) => {
            let n = rng.below(6);
            Value::Bytes((0..n).map(|_| rng.next() as u8).collect())
        }
        L::Decimal { precision, scale } => {
            let digits = rng.below(*precision as usize) as u32 + 1;
            let max = 10i128.pow(digits.min(*precision as u32)) - 1;
            let v = (rng.next() as i128) % (max + 1);
            Value::Decimal(Decimal::new(v, *scale))
        }
        L::TinyInt => Value::TinyInt(rng.next() as i8),
        L::SmallInt => Value::SmallInt(rng.next() as i16),
        L::Int => Value::Int(rng.next() as i32),
        L::BigInt => Value::BigInt(rng.next() as i64),
        L::Float => Value::Float([0.0f32, 1.5, -3.25e10, f32::MIN_POSITIVE][rng.below(4)]),
        L::Double => Value::Double([0.0, 0.1, -1e300, 123456.789][rng.below(4)]),
        L::Date => Value::Date(rng.below(40_000) as i32 - 10_000),
        L::Time(_) => Value::Time((rng.below(86_400_000) as u64) * 1_000_000),
        L::Timestamp(p) | L::TimestampLtz(p) => {
            let secs = (rng.next() % 4_000_000_000) as i64 - 1_000_000_000;
            let unit = 10u32.pow(9 - (*p).min(9) as u32);
            let nanos = (rng.next() % 1_000_000_000) as u32 / unit * unit;
            let ts = DateTime::from_timestamp(secs, nanos).unwrap();
            if matches!(ty.kind, L::Timestamp(_)) {
                Value::Timestamp(ts.naive_utc())
            } else {
                Value::TimestampLtz(ts)
            }
        }
        L::Array(e) => {
            let n = if depth > 3 { 0 } else { rng.below(4) };
            Value::Array((0..n).map(|_| random_value(rng, e, depth + 1)).collect())
        }
        L::Map(k, v) => {
            let n = if depth > 3 { 0 } else { rng.below(3) };
            Value::Map(
                (0..n)
                    .map(|i| {
                        let key = match random_value(rng, k, depth + 1) {
                            Value::String(s) => Value::String(format!("{s}{i}")),
                            other => other,
                        };
                        (key, random_value(rng, v, depth + 1))
                    })
                    .collect(),
            )
        }
        L::Multiset(e) => {
            let n = rng.below(3);
            Value::Multiset(
                (0..n)
                    .map(|i| {
                        let el = match random_value(rng, e, depth + 1) {
                            Value::String(s) => Value::String(format!("{s}{i}")),
                            other => other,
                        };
                        (el, rng.below(5) as u32 + 1)
                    })
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

/// Bytes that steer the parsers into their special cases.
const INTERESTING: &[u8] =
    b"\xa7\xab\xa6\xc2\xe2\x82\xacxXpP\"',;|\\\t\n\r#{}[]:-+.eE0123456789nNtfZT \x00\x7f\x80\xbf\xc3\xff";

fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut v = input.to_vec();
    for _ in 0..=rng.below(4) {
        let pick = |rng: &mut Rng| {
            if rng.chance(60) {
                INTERESTING[rng.below(INTERESTING.len())]
            } else {
                rng.next() as u8
            }
        };
        match rng.below(7) {
            0 if !v.is_empty() => {
                let i = rng.below(v.len());
                v[i] = pick(rng);
            }
            1 => {
                let i = rng.below(v.len() + 1);
                let b = pick(rng);
                v.insert(i, b);
            }
            2 if !v.is_empty() => {
                let i = rng.below(v.len());
                v.remove(i);
            }
            3 => {
                let n = rng.below(v.len() + 1);
                v.truncate(n);
            }
            4 if !v.is_empty() => {
                let a = rng.below(v.len());
                let b = (a + rng.below(8)).min(v.len());
                let chunk = v[a..b].to_vec();
                let at = rng.below(v.len() + 1);
                v.splice(at..at, chunk);
            }
            5 if !v.is_empty() => {
                // Avro varints: a long run of continuation bytes or a huge length.
                let i = rng.below(v.len());
                v[i] = [0xff, 0x80, 0x7f, 0x01, 0x00][rng.below(5)];
            }
            _ => {
                let i = rng.below(v.len() + 1);
                let junk: Vec<u8> = (0..rng.below(6)).map(|_| pick(rng)).collect();
                v.splice(i..i, junk);
            }
        }
    }
    v
}

fn check(format: &Format, label: &str, payload: &[u8]) {
    let result = catch_unwind(AssertUnwindSafe(|| format.decode(payload)));
    match result {
        Err(_) => panic!(
            "{label}: decoder panicked on payload {:?} ({})",
            payload,
            String::from_utf8_lossy(payload)
        ),
        Ok(Err(e)) => {
            let offset = match &e {
                FormatError::Field { offset, .. } | FormatError::Record { offset, .. } => *offset,
                other => panic!("{label}: unexpected error kind {other:?} on {payload:?}"),
            };
            assert!(
                offset <= payload.len(),
                "{label}: offset {offset} beyond the payload ({} bytes) in {e}",
                payload.len()
            );
            assert!(!e.to_string().is_empty());
        }
        Ok(Ok(_)) => {}
    }
}

#[test]
fn no_decoder_panics_on_random_or_mutated_input() {
    // By default a fixed amount of work (400 rounds), the same on any machine;
    // FUZZ_SECS=N runs for N seconds instead.
    let secs: Option<f64> = std::env::var("FUZZ_SECS").ok().and_then(|s| s.parse().ok());
    let seed: u64 = std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_1234_abcd_0001);
    let mut rng = Rng(seed | 1);
    // Quiet the default hook so a caught panic reports once, through `check`.
    let mut cases = Vec::new();
    for row_type in schemas() {
        for format in ["csv", "json", "avro", "raw"] {
            for opts in option_sets(format) {
                let Ok(f) = Format::from_options(format, &opts, &row_type) else {
                    continue;
                };
                let label = format!(
                    "{format} {opts:?} [{}]",
                    row_type
                        .iter()
                        .map(|c| format!("{} {}", c.name, c.data_type))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                // Seeds: valid payloads of random rows the encoder accepts.
                let mut seeds = Vec::new();
                for _ in 0..30 {
                    let row = Row::new(
                        row_type
                            .iter()
                            .map(|c| random_value(&mut rng, &c.data_type, 0))
                            .collect(),
                    );
                    let mut out = Vec::new();
                    if f.encode(&row, &mut out).is_ok() {
                        seeds.push(out);
                    }
                }
                cases.push((f, label, seeds));
            }
        }
    }
    assert!(
        cases.len() >= 30,
        "only {} format/schema cases",
        cases.len()
    );
    for (_, label, seeds) in &cases {
        assert!(
            seeds.len() >= 10,
            "{label}: only {} encodable seed rows",
            seeds.len()
        );
    }
    let deadline = secs.map(|s| Instant::now() + Duration::from_secs_f64(s));
    let mut runs = 0u64;
    'outer: for round in 0.. {
        for (f, label, seeds) in &cases {
            let done = match deadline {
                Some(d) => Instant::now() >= d,
                None => round >= 400,
            };
            if done {
                break 'outer;
            }
            for _ in 0..4 {
                let payload = if seeds.is_empty() || rng.chance(15) {
                    (0..rng.below(40)).map(|_| rng.next() as u8).collect()
                } else {
                    let s = &seeds[rng.below(seeds.len())];
                    mutate(&mut rng, s)
                };
                check(f, label, &payload);
                runs += 1;
            }
        }
    }
    eprintln!("fuzz: {} cases, {runs} payloads", cases.len());
    assert!(runs > 1000, "only {runs} payloads tried");
}
