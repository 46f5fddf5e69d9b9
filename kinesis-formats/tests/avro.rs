//! The avro format: Flink's schema, Flink's bytes, round trips for every type and nesting,
//! interoperability with an independent implementation (Python fastavro), bad payloads and
//! options.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use chrono::{DateTime, NaiveDate};
use kinesis_formats::{
    avro_schema_json, DataType, Decimal, Format, FormatError, LogicalType, Row, RowField, Value,
    AVRO_ITEM_ALLOWANCE,
};
use serde_json::{json, Value as Json};

mod common;

use common::write_long;

fn ty(text: &str) -> DataType {
    DataType::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn fields(spec: &[(&str, &str)]) -> Vec<RowField> {
    spec.iter().map(|(n, t)| RowField::new(*n, ty(t))).collect()
}

fn avro(row_type: &[RowField]) -> Format {
    Format::from_options("avro", &BTreeMap::new(), row_type).unwrap()
}

fn options(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The avro format with `avro.timestamp_mapping.legacy` as given, and the schema it writes.
#[derive(Debug)]
struct Avro {
    format: Format,
    schema: String,
}

/// Why a row type has no avro schema.
#[derive(Debug)]
struct SchemaError {
    column: String,
    message: String,
}

impl Avro {
    fn new(row_type: &[RowField], legacy: bool) -> Result<Avro, SchemaError> {
        let o = options(&[("avro.timestamp_mapping.legacy", &legacy.to_string())]);
        match (
            avro_schema_json(&o, row_type),
            Format::from_options("avro", &o, row_type),
        ) {
            (Ok(schema), Ok(format)) => Ok(Avro { format, schema }),
            (
                Err(FormatError::UnsupportedType {
                    column, message, ..
                }),
                Err(e),
            ) => {
                assert_eq!(e.to_string(), message, "one error from both entry points");
                Err(SchemaError { column, message })
            }
            other => panic!("{other:?}"),
        }
    }

    fn schema_json(&self) -> String {
        self.schema.clone()
    }

    fn encode_row(&self, row: &Row, out: &mut Vec<u8>) -> Result<(), FormatError> {
        self.format.encode(row, out)
    }

    fn decode_row(&self, bytes: &[u8]) -> Result<Row, FormatError> {
        Ok(self
            .format
            .decode(bytes)?
            .expect("an avro datum is always a row"))
    }
}

// ---------------------------------------------------------------------------------------
// The schema, field by field, as Flink 1.15–1.17's AvroSchemaConverter derives it.

/// A table with every type the avro format supports, with and without NOT NULL.
const EVERY_TYPE: &[(&str, &str)] = &[
    ("bool_col", "BOOLEAN NOT NULL"),
    ("tiny", "TINYINT"),
    ("small", "SMALLINT NOT NULL"),
    ("int_col", "INT"),
    ("big", "BIGINT NOT NULL"),
    ("flt", "FLOAT"),
    ("dbl", "DOUBLE NOT NULL"),
    ("dec", "DECIMAL(10, 2)"),
    ("dec38", "DECIMAL(38, 18) NOT NULL"),
    ("ch", "CHAR(5) NOT NULL"),
    ("vc", "VARCHAR(20)"),
    ("str", "STRING"),
    ("bin", "BINARY(4) NOT NULL"),
    ("vbin", "VARBINARY(10)"),
    ("byts", "BYTES"),
    ("dt", "DATE"),
    ("tm", "TIME(3) NOT NULL"),
    ("tm0", "TIME"),
    ("ts", "TIMESTAMP(3)"),
    ("ts0", "TIMESTAMP(0) NOT NULL"),
    ("arr", "ARRAY<INT>"),
    ("arr_nn", "ARRAY<STRING NOT NULL> NOT NULL"),
    ("mp", "MAP<STRING, BIGINT>"),
    (
        "mp_nn",
        "MAP<VARCHAR(10) NOT NULL, DOUBLE NOT NULL> NOT NULL",
    ),
    ("ms", "MULTISET<STRING>"),
    ("rw", "ROW<a INT, b ROW<c STRING NOT NULL>>"),
    ("arr_rows", "ARRAY<ROW<x DOUBLE>>"),
    ("map_rows", "MAP<STRING, ROW<y INT NOT NULL> NOT NULL>"),
    ("nested", "ARRAY<MAP<STRING, ARRAY<DECIMAL(5, 0)>>>"),
];

/// What Flink derives for [`EVERY_TYPE`], written down from AvroSchemaConverter's rules.
fn flink_schema_for_every_type() -> Vec<(&'static str, Json, bool)> {
    let null_or = |t: Json| json!(["null", t]);
    vec![
        ("bool_col", json!("boolean"), false),
        ("tiny", null_or(json!("int")), true),
        ("small", json!("int"), false),
        ("int_col", null_or(json!("int")), true),
        ("big", json!("long"), false),
        ("flt", null_or(json!("float")), true),
        ("dbl", json!("double"), false),
        (
            "dec",
            null_or(
                json!({"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2}),
            ),
            true,
        ),
        (
            "dec38",
            json!({"type": "bytes", "logicalType": "decimal", "precision": 38, "scale": 18}),
            false,
        ),
        ("ch", json!("string"), false),
        ("vc", null_or(json!("string")), true),
        ("str", null_or(json!("string")), true),
        ("bin", json!("bytes"), false),
        ("vbin", null_or(json!("bytes")), true),
        ("byts", null_or(json!("bytes")), true),
        (
            "dt",
            null_or(json!({"type": "int", "logicalType": "date"})),
            true,
        ),
        (
            "tm",
            json!({"type": "int", "logicalType": "time-millis"}),
            false,
        ),
        (
            "tm0",
            null_or(json!({"type": "int", "logicalType": "time-millis"})),
            true,
        ),
        (
            "ts",
            null_or(json!({"type": "long", "logicalType": "timestamp-millis"})),
            true,
        ),
        (
            "ts0",
            json!({"type": "long", "logicalType": "timestamp-millis"}),
            false,
        ),
        (
            "arr",
            null_or(json!({"type": "array", "items": ["null", "int"]})),
            true,
        ),
        ("arr_nn", json!({"type": "array", "items": "string"}), false),
        (
            "mp",
            null_or(json!({"type": "map", "values": ["null", "long"]})),
            true,
        ),
        ("mp_nn", json!({"type": "map", "values": "double"}), false),
        // MULTISET<T>: a map from element to a nullable INT count.
        (
            "ms",
            null_or(json!({"type": "map", "values": ["null", "int"]})),
            true,
        ),
        // Nested records are named <enclosing record name>_<field>, in the same namespace.
        (
            "rw",
            null_or(json!({"type": "record", "name": "record_rw", "fields": [
                {"name": "a", "type": ["null", "int"], "default": null},
                {"name": "b", "type": ["null", {"type": "record", "name": "record_rw_b", "fields": [
                    {"name": "c", "type": "string"}
                ]}], "default": null}
            ]})),
            true,
        ),
        // A ROW inside an ARRAY or MAP keeps the name of the field holding the collection.
        (
            "arr_rows",
            null_or(
                json!({"type": "array", "items": ["null", {"type": "record", "name": "record_arr_rows", "fields": [
                    {"name": "x", "type": ["null", "double"], "default": null}
                ]}]}),
            ),
            true,
        ),
        (
            "map_rows",
            null_or(
                json!({"type": "map", "values": {"type": "record", "name": "record_map_rows", "fields": [
                    {"name": "y", "type": "int"}
                ]}}),
            ),
            true,
        ),
        (
            "nested",
            null_or(
                json!({"type": "array", "items": ["null", {"type": "map", "values": ["null",
                {"type": "array", "items": ["null",
                    {"type": "bytes", "logicalType": "decimal", "precision": 5, "scale": 0}]}]}]}),
            ),
            true,
        ),
    ]
}

#[test]
fn schema_matches_flink_field_by_field() {
    let row_type = fields(EVERY_TYPE);
    let format = Avro::new(&row_type, true).unwrap();
    let text = format.schema_json();
    let schema: Json = serde_json::from_str(&text).unwrap();
    assert_eq!(schema["type"], "record");
    assert_eq!(schema["name"], "record");
    assert_eq!(schema["namespace"], "org.apache.flink.avro.generated");
    assert_eq!(schema.as_object().unwrap().len(), 4, "{text}");
    let actual = schema["fields"].as_array().unwrap();
    let expected = flink_schema_for_every_type();
    assert_eq!(actual.len(), expected.len());
    for (field, (name, field_type, has_default)) in actual.iter().zip(&expected) {
        assert_eq!(field["name"], *name);
        assert_eq!(field["type"], *field_type, "field {name}");
        if *has_default {
            assert_eq!(field.get("default"), Some(&Json::Null), "field {name}");
            assert_eq!(field.as_object().unwrap().len(), 3, "field {name}");
        } else {
            assert_eq!(field.get("default"), None, "field {name}");
            assert_eq!(field.as_object().unwrap().len(), 2, "field {name}");
        }
    }
}

#[test]
fn schema_text_is_avros_compact_form() {
    // Avro's Schema#toString(): compact, keys in Avro's order, nested namespace omitted.
    let row_type = fields(&[
        ("id", "BIGINT NOT NULL"),
        ("price", "DECIMAL(5, 2)"),
        ("addr", "ROW<zip STRING>"),
    ]);
    let format = Avro::new(&row_type, true).unwrap();
    assert_eq!(
        format.schema_json(),
        concat!(
            r#"{"type":"record","name":"record","namespace":"org.apache.flink.avro.generated","fields":["#,
            r#"{"name":"id","type":"long"},"#,
            r#"{"name":"price","type":["null",{"type":"bytes","logicalType":"decimal","precision":5,"scale":2}],"default":null},"#,
            r#"{"name":"addr","type":["null",{"type":"record","name":"record_addr","fields":[{"name":"zip","type":["null","string"],"default":null}]}],"default":null}]}"#
        )
    );
}

#[test]
fn types_flink_cannot_map_are_rejected_with_flinks_messages() {
    let cases = [
        (
            "TIMESTAMP(6)",
            "Avro does not support TIMESTAMP type with precision: 6, it only supports precision less than 3.",
        ),
        (
            "TIME(6)",
            "Avro does not support TIME type with precision: 6, it only supports precision less than 3.",
        ),
        (
            "TIMESTAMP_LTZ(3)",
            "Unsupported to derive Schema for type: TIMESTAMP_LTZ(3)",
        ),
        (
            "MAP<INT, STRING>",
            "Avro format doesn't support non-string as key type of map. The key type is: INT",
        ),
        (
            "MULTISET<BIGINT>",
            "Avro format doesn't support non-string as key type of map. The key type is: BIGINT",
        ),
    ];
    for (type_text, message) in cases {
        let err = Format::from_options("avro", &BTreeMap::new(), &fields(&[("c", type_text)]))
            .unwrap_err();
        match &err {
            FormatError::UnsupportedType {
                column, message: m, ..
            } => {
                assert_eq!(column, "c");
                assert_eq!(m, message, "{type_text}");
            }
            other => panic!("{type_text}: {other:?}"),
        }
    }
    // Nested: the path names the column.
    let err = Avro::new(&fields(&[("r", "ROW<t TIMESTAMP(9)>")]), true).unwrap_err();
    assert_eq!(err.column, "r.t");
    // Avro names: letters, digits, underscore.
    let err = Avro::new(&fields(&[("my-col", "INT")]), true).unwrap_err();
    assert_eq!(err.message, "Illegal character in: my-col");
    let err = Avro::new(&fields(&[("1st", "INT")]), true).unwrap_err();
    assert_eq!(err.message, "Illegal initial character: 1st");
}

#[test]
fn records_with_one_name_are_referenced_or_rejected_as_avro_does() {
    // `a_b` and `a.b` both make a record named record_a_b. Identical: printed once, then
    // referenced by name (Avro's Schema#toString).
    let same = fields(&[("a_b", "ROW<x INT>"), ("a", "ROW<b ROW<x INT>>")]);
    let format = Avro::new(&same, true).unwrap();
    let schema: Json = serde_json::from_str(&format.schema_json()).unwrap();
    assert_eq!(
        schema["fields"][1]["type"][1]["fields"][0]["type"],
        json!(["null", "record_a_b"])
    );
    let row = Row::new(vec![
        Value::Row(Row::new(vec![Value::Int(1)])),
        Value::Row(Row::new(vec![Value::Row(Row::new(vec![Value::Int(2)]))])),
    ]);
    let mut out = Vec::new();
    format.encode_row(&row, &mut out).unwrap();
    assert_eq!(out, [0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x04]);
    assert_eq!(format.decode_row(&out).unwrap(), row);
    // Different: Avro cannot print the schema ("Can't redefine"), so Flink fails the job.
    let different = fields(&[("a_b", "ROW<x INT>"), ("a", "ROW<b ROW<y INT>>")]);
    let err = Avro::new(&different, true).unwrap_err();
    assert_eq!(
        err.message,
        "Can't redefine: org.apache.flink.avro.generated.record_a_b"
    );
    assert_eq!(err.column, "a.b");
}

#[test]
fn non_legacy_timestamp_mapping_follows_flink_1_19() {
    let row_type = fields(&[
        ("ts3", "TIMESTAMP(3)"),
        ("ts6", "TIMESTAMP(6) NOT NULL"),
        ("ts9", "TIMESTAMP(9) NOT NULL"),
        ("ltz3", "TIMESTAMP_LTZ(3) NOT NULL"),
        ("ltz6", "TIMESTAMP_LTZ(6) NOT NULL"),
        ("ltz9", "TIMESTAMP_LTZ(9) NOT NULL"),
        // Flink converts array elements with the legacy mapping even here.
        ("arr", "ARRAY<TIMESTAMP(3) NOT NULL> NOT NULL"),
    ]);
    let format = Avro::new(&row_type, false).unwrap();
    let schema: Json = serde_json::from_str(&format.schema_json()).unwrap();
    let types: Vec<&Json> = schema["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| &f["type"])
        .collect();
    let lt = |name: &str| json!({"type": "long", "logicalType": name});
    assert_eq!(*types[0], json!(["null", lt("local-timestamp-millis")]));
    assert_eq!(*types[1], lt("local-timestamp-micros"));
    assert_eq!(*types[2], lt("local-timestamp-nanos"));
    assert_eq!(*types[3], lt("timestamp-millis"));
    assert_eq!(*types[4], lt("timestamp-micros"));
    assert_eq!(*types[5], lt("timestamp-nanos"));
    assert_eq!(
        *types[6],
        json!({"type": "array", "items": lt("timestamp-millis")})
    );
    let err = Avro::new(&fields(&[("a", "ARRAY<TIMESTAMP_LTZ(3)>")]), false).unwrap_err();
    assert!(err
        .message
        .starts_with("Unsupported to derive Schema for type: TIMESTAMP_LTZ(3)"));

    // Values: the count of the unit since the epoch.
    let ts = NaiveDate::from_ymd_opt(2021, 1, 1)
        .unwrap()
        .and_hms_nano_opt(0, 0, 0, 123_456_789)
        .unwrap();
    let row = Row::new(vec![
        Value::Timestamp(
            NaiveDate::from_ymd_opt(2021, 1, 1)
                .unwrap()
                .and_hms_milli_opt(0, 0, 0, 123)
                .unwrap(),
        ),
        Value::Timestamp(
            NaiveDate::from_ymd_opt(2021, 1, 1)
                .unwrap()
                .and_hms_micro_opt(0, 0, 0, 123_456)
                .unwrap(),
        ),
        Value::Timestamp(ts),
        Value::TimestampLtz(ts.and_utc() - chrono::Duration::nanoseconds(456_789)),
        Value::TimestampLtz(ts.and_utc() - chrono::Duration::nanoseconds(789)),
        Value::TimestampLtz(ts.and_utc()),
        Value::Array(vec![]),
    ]);
    let mut out = Vec::new();
    format.encode_row(&row, &mut out).unwrap();
    let mut expected = vec![2u8];
    let seconds = 1_609_459_200i64;
    for v in [
        seconds * 1000 + 123,
        seconds * 1_000_000 + 123_456,
        seconds * 1_000_000_000 + 123_456_789,
        seconds * 1000 + 123,
        seconds * 1_000_000 + 123_456,
        seconds * 1_000_000_000 + 123_456_789,
    ] {
        write_long(&mut expected, v);
    }
    expected.push(0);
    assert_eq!(out, expected);
    assert_eq!(format.decode_row(&out).unwrap(), row);
}

// ---------------------------------------------------------------------------------------
// Flink's bytes.

#[test]
fn bytes_match_what_flink_writes() {
    let row_type = fields(&[
        ("id", "BIGINT NOT NULL"),
        ("name", "STRING"),
        ("price", "DECIMAL(5, 2)"),
        ("d", "DATE"),
        ("t", "TIME(3)"),
        ("ts", "TIMESTAMP(3)"),
        ("tags", "ARRAY<STRING>"),
        ("attrs", "MAP<STRING, INT>"),
        ("nothing", "INT"),
        ("neg", "DECIMAL(5, 0) NOT NULL"),
    ]);
    let format = avro(&row_type);
    let row = Row::new(vec![
        Value::BigInt(1),
        Value::String("ab".into()),
        Value::Decimal(Decimal {
            unscaled: 123,
            scale: 2,
        }),
        Value::Date(18628),                  // 2021-01-01
        Value::Time(45_296_789 * 1_000_000), // 12:34:56.789
        Value::Timestamp(
            NaiveDate::from_ymd_opt(2021, 1, 1)
                .unwrap()
                .and_hms_milli_opt(0, 0, 0, 123)
                .unwrap(),
        ),
        Value::Array(vec![Value::String("x".into()), Value::Null]),
        // Flink writes map entries in java.util.HashMap order: "a" (bucket 1) before "b".
        Value::Map(vec![
            (Value::String("b".into()), Value::Int(2)),
            (Value::String("a".into()), Value::Int(1)),
        ]),
        Value::Null,
        Value::Decimal(Decimal {
            unscaled: -128,
            scale: 0,
        }),
    ]);
    let mut out = Vec::new();
    format.encode(&row, &mut out).unwrap();
    #[rustfmt::skip]
    let expected: &[u8] = &[
        0x02,                                     // id = 1
        0x02, 0x04, b'a', b'b',                   // name: branch 1, "ab"
        0x02, 0x02, 0x7b,                         // price: branch 1, 1 byte, 123
        0x02, 0x88, 0xa3, 0x02,                   // d: 18628
        0x02, 0xaa, 0xb2, 0x99, 0x2b,             // t: 45296789 ms
        0x02, 0xf6, 0xc1, 0xf3, 0xb3, 0xd7, 0x5d, // ts: 1609459200123 ms
        0x02, 0x04, 0x02, 0x02, b'x', 0x00, 0x00, // tags: 2 items, "x", null, end
        0x02, 0x04, 0x02, b'a', 0x02, 0x02,       // attrs: 2 entries, "a" -> 1
        0x02, b'b', 0x02, 0x04, 0x00,             //        "b" -> 2, end
        0x00,                                     // nothing: null
        0x02, 0x80,                               // neg: 1 byte, -128
    ];
    assert_eq!(out, expected);
    // Decoding keeps the wire order of map entries.
    let mut decoded = format.decode(&out).unwrap().unwrap();
    decoded.values[7] = row.values[7].clone();
    assert_eq!(decoded, row);
}

#[test]
fn encoder_appends_and_rescales_decimals_half_up() {
    let format = avro(&fields(&[("d", "DECIMAL(4, 1) NOT NULL")]));
    let mut out = vec![0xaa];
    // 12.35 at scale 1 is 12.4 (HALF_UP), unscaled 124.
    format
        .encode(
            &Row::new(vec![Value::Decimal(Decimal {
                unscaled: 1235,
                scale: 2,
            })]),
            &mut out,
        )
        .unwrap();
    assert_eq!(out, [0xaa, 0x02, 0x7c]);
    let err = format
        .encode(
            &Row::new(vec![Value::Decimal(Decimal {
                unscaled: 10000,
                scale: 0,
            })]),
            &mut Vec::new(),
        )
        .unwrap_err();
    assert!(
        err.to_string().contains("Fail to serialize at field: d"),
        "{err}"
    );
}

// ---------------------------------------------------------------------------------------
// Round trips for every type and nesting, with generated rows.

/// xorshift64*: deterministic rows without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }
}

const TEXTS: &[&str] = &[
    "",
    "a",
    "héllo",
    "日本語",
    "😀 emoji",
    "quote \" and \\",
    "line\nbreak",
    "ü",
];

fn gen_string(rng: &mut Rng) -> String {
    let base = rng.pick(TEXTS);
    format!("{base}{}", rng.below(1000))
}

/// Epoch milliseconds between 1900 and 2100 (inside Python's datetime range).
fn gen_millis(rng: &mut Rng) -> i64 {
    rng.below(6_311_390_400_000) as i64 - 2_208_988_800_000
}

fn gen_value(rng: &mut Rng, data_type: &DataType) -> Value {
    if data_type.nullable && rng.below(6) == 0 {
        return Value::Null;
    }
    match &data_type.kind {
        LogicalType::Boolean => Value::Boolean(rng.next() & 1 == 1),
        LogicalType::TinyInt => Value::TinyInt(rng.next() as i8),
        LogicalType::SmallInt => {
            let r = rng.next() as i16;
            Value::SmallInt(rng.pick(&[i16::MIN, i16::MAX, 0, -1, r]))
        }
        LogicalType::Int => {
            let r = rng.next() as i32;
            Value::Int(rng.pick(&[i32::MIN, i32::MAX, 0, -1, 63, 64, r]))
        }
        LogicalType::BigInt => {
            let r = rng.next() as i64;
            Value::BigInt(rng.pick(&[i64::MIN, i64::MAX, 0, -1, r]))
        }
        LogicalType::Float => {
            let bits = rng.next() as u32;
            let v = f32::from_bits(bits);
            Value::Float(if v.is_nan() {
                rng.pick(&[0.0, -0.0, f32::INFINITY, 1.5])
            } else {
                v
            })
        }
        LogicalType::Double => {
            let v = f64::from_bits(rng.next());
            Value::Double(if v.is_nan() {
                rng.pick(&[0.0, -0.0, f64::NEG_INFINITY, 0.1])
            } else {
                v
            })
        }
        LogicalType::Char(_) | LogicalType::Varchar(_) => Value::String(gen_string(rng)),
        LogicalType::Binary(_) | LogicalType::Varbinary(_) => {
            let len = rng.below(9) as usize;
            Value::Bytes((0..len).map(|_| rng.next() as u8).collect())
        }
        LogicalType::Decimal { precision, scale } => {
            let limit = 10i128.pow(u32::from(*precision));
            let raw = ((rng.next() as i128) << 64 | rng.next() as i128) % limit;
            let unscaled = rng.pick(&[raw, -raw, 0, limit - 1, 1 - limit, -128, 127, 128]);
            let unscaled = if unscaled.abs() < limit {
                unscaled
            } else {
                raw
            };
            Value::Decimal(Decimal {
                unscaled,
                scale: *scale,
            })
        }
        LogicalType::Date => Value::Date(rng.below(73_049) as i32 - 25_567),
        LogicalType::Time(_) => Value::Time(rng.below(86_400_000) * 1_000_000),
        LogicalType::Timestamp(p) => {
            let millis = gen_millis(rng);
            let extra = match p {
                0..=3 => 0,
                4..=6 => rng.below(1000) as i64 * 1000,
                _ => rng.below(1_000_000) as i64,
            };
            let ts = DateTime::from_timestamp_millis(millis).unwrap()
                + chrono::Duration::nanoseconds(extra);
            Value::Timestamp(ts.naive_utc())
        }
        LogicalType::TimestampLtz(p) => {
            let millis = gen_millis(rng);
            let extra = match p {
                0..=3 => 0,
                4..=6 => rng.below(1000) as i64 * 1000,
                _ => rng.below(1_000_000) as i64,
            };
            Value::TimestampLtz(
                DateTime::from_timestamp_millis(millis).unwrap()
                    + chrono::Duration::nanoseconds(extra),
            )
        }
        LogicalType::Array(element) => {
            let len = rng.below(4);
            Value::Array((0..len).map(|_| gen_value(rng, element)).collect())
        }
        LogicalType::Map(_, value) => {
            let len = rng.below(5);
            Value::Map(
                (0..len)
                    .map(|i| {
                        (
                            Value::String(format!("{}{i}", gen_string(rng))),
                            gen_value(rng, value),
                        )
                    })
                    .collect(),
            )
        }
        LogicalType::Multiset(_) => {
            let len = rng.below(4);
            Value::Multiset(
                (0..len)
                    .map(|i| {
                        (
                            Value::String(format!("k{i}{}", gen_string(rng))),
                            rng.pick(&[0, 1, 7, i32::MAX as u32]),
                        )
                    })
                    .collect(),
            )
        }
        LogicalType::Row(fields) => Value::Row(Row::new(
            fields
                .iter()
                .map(|f| gen_value(rng, &f.data_type))
                .collect(),
        )),
    }
}

fn gen_rows(row_type: &[RowField], count: usize, seed: u64) -> Vec<Row> {
    let mut rng = Rng(seed);
    (0..count)
        .map(|_| {
            Row::new(
                row_type
                    .iter()
                    .map(|f| gen_value(&mut rng, &f.data_type))
                    .collect(),
            )
        })
        .collect()
}

/// Map entries come back in wire (Java HashMap) order: compare maps as sets.
fn normalize(value: &Value) -> Value {
    match value {
        Value::Array(items) => Value::Array(items.iter().map(normalize).collect()),
        Value::Row(row) => Value::Row(Row::new(row.values.iter().map(normalize).collect())),
        Value::Map(entries) => {
            let mut entries: Vec<(Value, Value)> = entries
                .iter()
                .map(|(k, v)| (normalize(k), normalize(v)))
                .collect();
            entries.sort_by(|a, b| format!("{:?}", a.0).cmp(&format!("{:?}", b.0)));
            Value::Map(entries)
        }
        Value::Multiset(entries) => {
            let mut entries = entries.clone();
            entries.sort_by(|a, b| format!("{:?}", a.0).cmp(&format!("{:?}", b.0)));
            Value::Multiset(entries)
        }
        other => other.clone(),
    }
}

fn normalize_row(row: &Row) -> Row {
    Row::new(row.values.iter().map(normalize).collect())
}

#[test]
fn round_trip_every_type_and_nesting() {
    let mut spec = EVERY_TYPE.to_vec();
    spec.extend_from_slice(&[
        ("deep", "ROW<a ARRAY<ROW<b MAP<STRING, ROW<c ARRAY<ARRAY<TIMESTAMP(3)>>, d MULTISET<CHAR(2)>>>>>> NOT NULL"),
        ("arr_bytes", "ARRAY<BYTES NOT NULL>"),
        ("tiny_nn", "TINYINT NOT NULL"),
    ]);
    let row_type = fields(&spec);
    let format = avro(&row_type);
    let mut out = Vec::new();
    for (i, row) in gen_rows(&row_type, 400, 0x5eed).iter().enumerate() {
        out.clear();
        format.encode(row, &mut out).unwrap();
        let decoded = format.decode(&out).unwrap().expect("a row");
        assert_eq!(normalize_row(&decoded), normalize_row(row), "row {i}");
        // Encoding the decoded row gives the same bytes (the order is canonical).
        let mut again = Vec::new();
        format.encode(&decoded, &mut again).unwrap();
        assert_eq!(again, out, "row {i}");
    }
}

#[test]
fn round_trip_non_legacy_timestamps() {
    let row_type = fields(&[
        ("ts3", "TIMESTAMP(3)"),
        ("ts6", "TIMESTAMP(6)"),
        ("ts9", "TIMESTAMP(9) NOT NULL"),
        ("ltz3", "TIMESTAMP_LTZ(3)"),
        ("ltz6", "TIMESTAMP_LTZ(6)"),
        ("ltz9", "TIMESTAMP_LTZ(9)"),
        ("r", "ROW<t TIMESTAMP_LTZ(6)>"),
    ]);
    let opts = options(&[("avro.timestamp_mapping.legacy", "false")]);
    let format = Format::from_options("avro", &opts, &row_type).unwrap();
    let mut out = Vec::new();
    for row in gen_rows(&row_type, 200, 77) {
        out.clear();
        format.encode(&row, &mut out).unwrap();
        assert_eq!(format.decode(&out).unwrap(), Some(row));
    }
}

#[test]
fn float_bits_survive_including_nan_and_negative_zero() {
    let format = avro(&fields(&[
        ("f", "FLOAT NOT NULL"),
        ("d", "DOUBLE NOT NULL"),
    ]));
    for (f, d) in [
        (f32::NAN, f64::NAN),
        (-0.0, -0.0),
        (f32::MIN_POSITIVE, f64::MAX),
    ] {
        let mut out = Vec::new();
        format
            .encode(&Row::new(vec![Value::Float(f), Value::Double(d)]), &mut out)
            .unwrap();
        assert_eq!(&out[..4], &f.to_le_bytes());
        let row = format.decode(&out).unwrap().unwrap();
        match (&row.values[0], &row.values[1]) {
            (Value::Float(a), Value::Double(b)) => {
                assert_eq!(a.to_bits(), f.to_bits());
                assert_eq!(b.to_bits(), d.to_bits());
            }
            other => panic!("{other:?}"),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Bad payloads and bad rows.

fn decode_err(format: &Format, bytes: &[u8]) -> (String, usize, String) {
    match format.decode(bytes) {
        Err(FormatError::Field {
            column,
            offset,
            reason,
            ..
        }) => (column, offset, reason),
        other => panic!("expected a field error for {bytes:02x?}, got {other:?}"),
    }
}

#[test]
fn bad_payloads_name_the_column_and_byte() {
    let format = avro(&fields(&[
        ("id", "BIGINT NOT NULL"),
        ("name", "STRING NOT NULL"),
        ("n", "INT"),
        ("r", "ROW<x ROW<y TINYINT NOT NULL> NOT NULL>"),
    ]));
    // Truncated string: length 4, one byte left.
    let (column, offset, reason) = decode_err(&format, &[0x02, 0x08, b'a']);
    assert_eq!((column.as_str(), offset), ("name", 1));
    assert!(reason.contains("length 4"), "{reason}");
    // Union branch out of range.
    let (column, offset, reason) = decode_err(&format, &[0x02, 0x00, 0x04]);
    assert_eq!((column.as_str(), offset), ("n", 2));
    assert!(reason.contains("union branch 2"), "{reason}");
    // Nested column out of range for TINYINT.
    let (column, offset, reason) = decode_err(&format, &[0x02, 0x00, 0x00, 0x02, 0x80, 0x04]);
    assert_eq!((column.as_str(), offset), ("r.x.y", 4));
    assert!(reason.contains("256"), "{reason}");
    // Payload ends before the row does.
    let (column, offset, _) = decode_err(&format, &[0x02, 0x00, 0x00, 0x02]);
    assert_eq!((column.as_str(), offset), ("r.x.y", 4));
    // Empty payload.
    let (column, offset, _) = decode_err(&format, &[]);
    assert_eq!((column.as_str(), offset), ("id", 0));
    // Invalid UTF-8 at byte 3.
    let (column, offset, _) =
        decode_err(&format, &[0x02, 0x04, b'a', 0xff, 0x00, 0x00, 0x02, 0x00]);
    assert_eq!((column.as_str(), offset), ("name", 3));
    // Bytes left after the last column.
    let (column, offset, reason) = decode_err(&format, &[0x02, 0x00, 0x00, 0x02, 0x00, 0x07]);
    assert_eq!((column.as_str(), offset), ("(end of record)", 5));
    assert!(reason.contains("1 bytes left"), "{reason}");
    // The message carries all of it.
    let err = format.decode(&[0x02, 0x08, b'a']).unwrap_err().to_string();
    assert!(
        err.contains("name") && err.contains("byte 1") && err.contains("STRING NOT NULL"),
        "{err}"
    );
}

#[test]
fn corrupt_collections_fail_without_huge_allocations() {
    let format = avro(&fields(&[
        ("a", "ARRAY<INT NOT NULL> NOT NULL"),
        ("m", "MAP<STRING, INT>"),
    ]));
    // A block count of 2^62 items in a 12-byte payload.
    let mut payload = Vec::new();
    write_long(&mut payload, 1 << 62);
    let (column, offset, reason) = decode_err(&format, &payload);
    assert_eq!((column.as_str(), offset), ("a", 0));
    assert!(reason.contains("items"), "{reason}");
    // A negative block count carries a byte size (Avro allows it; Flink reads it).
    let payload = [
        0x03, 0x04, 0x02, 0x04, 0x00, 0x02, 0x02, 0x02, b'k', 0x00, 0x00,
    ];
    let row = format.decode(&payload).unwrap().unwrap();
    assert_eq!(
        row.values[0],
        Value::Array(vec![Value::Int(1), Value::Int(2)])
    );
    assert_eq!(
        row.values[1],
        Value::Map(vec![(Value::String("k".into()), Value::Null)])
    );
}

#[test]
fn rows_that_cannot_be_written_name_the_column() {
    let format = avro(&fields(&[
        ("id", "BIGINT NOT NULL"),
        ("r", "ROW<x INT NOT NULL>"),
    ]));
    let encode_err = |row: Row| match format.encode(&row, &mut Vec::new()) {
        Err(FormatError::Encode { column, message }) => (column, message),
        other => panic!("{other:?}"),
    };
    let (column, message) = encode_err(Row::new(vec![Value::Null, Value::Null]));
    assert_eq!(column, "id");
    assert!(message.contains("Null"), "{message}");
    let (column, _) = encode_err(Row::new(vec![
        Value::BigInt(1),
        Value::Row(Row::new(vec![Value::Null])),
    ]));
    assert_eq!(column, "r.x");
    let (column, message) = encode_err(Row::new(vec![Value::String("1".into()), Value::Null]));
    assert_eq!(column, "id");
    assert!(message.contains("BIGINT NOT NULL"), "{message}");
    let (_, message) = encode_err(Row::new(vec![Value::BigInt(1)]));
    assert!(message.contains("1 fields"), "{message}");
}

// ---------------------------------------------------------------------------------------
// Options.

#[test]
fn options_are_validated() {
    let row_type = fields(&[("id", "BIGINT")]);
    for (key, value) in [
        ("avro.timestamp_mapping.legacy", "true"),
        ("avro.timestamp_mapping.legacy", "FALSE"),
        // Other formats' keys are not the avro format's business.
        ("csv.field-delimiter", ";"),
    ] {
        assert!(
            Format::from_options("avro", &options(&[(key, value)]), &row_type).is_ok(),
            "{key} = {value}"
        );
    }
    // avro.codec belongs to Flink's container-file factory; the message format rejects it,
    // and so does Flink 1.15-1.17's avro.encoding-less factory for avro.encoding.
    for key in ["avro.codec", "avro.encoding", "avro.schema"] {
        let err = Format::from_options("avro", &options(&[(key, "x")]), &row_type).unwrap_err();
        match &err {
            FormatError::UnsupportedOptions {
                keys, supported, ..
            } => {
                assert_eq!(keys, &[key]);
                assert_eq!(supported, &["avro.timestamp_mapping.legacy"]);
            }
            other => panic!("{other:?}"),
        }
    }
    let err = Format::from_options(
        "avro",
        &options(&[("avro.timestamp_mapping.legacy", "yes")]),
        &row_type,
    )
    .unwrap_err();
    assert_eq!(err.option_key(), Some("avro.timestamp_mapping.legacy"));
    let keys: Vec<&str> = Format::option_keys("avro").iter().map(|k| k.key).collect();
    assert_eq!(keys, ["avro.timestamp_mapping.legacy"]);
}

// ---------------------------------------------------------------------------------------
// Interoperability with Python fastavro (installed by scripts/install-test-deps).

fn fastavro_available() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import fastavro"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("python3 with fastavro is required in CI: run scripts/install-test-deps");
        }
        eprintln!(
            "notice: python3 -c 'import fastavro' failed; skipping the fastavro interop test"
        );
    }
    ok
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

/// The canonical form shared with tests/avro_fastavro.py.
fn canonical(value: &Value, data_type: &DataType, legacy: bool) -> Json {
    let since_epoch = |ts: DateTime<chrono::Utc>, p: u8| -> i64 {
        match p {
            0..=3 => ts.timestamp_millis(),
            4..=6 => ts.timestamp_micros(),
            _ => ts.timestamp_nanos_opt().unwrap(),
        }
    };
    match (value, &data_type.kind) {
        (Value::Null, _) => Json::Null,
        (Value::Boolean(b), _) => json!(b),
        (Value::TinyInt(v), _) => json!(v),
        (Value::SmallInt(v), _) => json!(v),
        (Value::Int(v), _) => json!(v),
        (Value::BigInt(v), _) => json!(v),
        (Value::Float(v), _) => json!(hex(&v.to_le_bytes())),
        (Value::Double(v), _) => json!(hex(&v.to_le_bytes())),
        (Value::String(s), _) => json!(s),
        (Value::Bytes(b), _) => json!(hex(b)),
        (Value::Decimal(d), _) => json!(d.unscaled.to_string()),
        (Value::Date(days), _) => json!(days),
        (Value::Time(nanos), _) => json!(nanos / 1_000_000),
        (Value::Timestamp(ts), LogicalType::Timestamp(p)) => {
            json!(since_epoch(ts.and_utc(), if legacy { 3 } else { *p }))
        }
        (Value::TimestampLtz(ts), LogicalType::TimestampLtz(p)) => json!(since_epoch(*ts, *p)),
        (Value::Array(items), LogicalType::Array(element)) => {
            // Array elements always use the legacy mapping (only p <= 3 there).
            Json::Array(
                items
                    .iter()
                    .map(|v| canonical(v, element, legacy))
                    .collect(),
            )
        }
        (Value::Map(entries), LogicalType::Map(_, value_type)) => Json::Array(
            entries
                .iter()
                .map(|(k, v)| {
                    json!([
                        canonical(k, &DataType::string(), legacy),
                        canonical(v, value_type, legacy)
                    ])
                })
                .collect(),
        ),
        (Value::Multiset(entries), LogicalType::Multiset(_)) => Json::Array(
            entries
                .iter()
                .map(|(k, n)| json!([canonical(k, &DataType::string(), legacy), n]))
                .collect(),
        ),
        (Value::Row(row), LogicalType::Row(fields)) => Json::Array(
            row.values
                .iter()
                .zip(fields)
                .map(|(v, f)| canonical(v, &f.data_type, legacy))
                .collect(),
        ),
        (v, t) => panic!("no canonical form for {v:?} as {t:?}"),
    }
}

fn canonical_row(row: &Row, row_type: &[RowField], legacy: bool) -> Json {
    canonical(
        &Value::Row(row.clone()),
        &DataType::not_null(LogicalType::Row(row_type.to_vec())),
        legacy,
    )
}

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "kinesis-avro-{tag}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn fastavro(mode: &str, schema: &std::path::Path, data: &std::path::Path) -> Vec<String> {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/avro_fastavro.py");
    let output = Command::new("python3")
        .arg(script)
        .arg(mode)
        .arg(schema)
        .arg(data)
        .output()
        .expect("run python3");
    assert!(
        output.status.success(),
        "fastavro {mode} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

/// Our payloads read by fastavro give the same values; fastavro's payloads read by us give
/// the same rows; and where both write the same bytes by construction, they do.
fn interop(tag: &str, row_type: &[RowField], legacy: bool, rows: &[Row], compare_bytes: bool) {
    let format = Avro::new(row_type, legacy).unwrap();
    let dir = TempDir::new(tag);
    let schema_path = dir.0.join("schema.json");
    std::fs::write(&schema_path, format.schema_json()).unwrap();

    let mut ours = Vec::with_capacity(rows.len());
    for row in rows {
        let mut out = Vec::new();
        format.encode_row(row, &mut out).unwrap();
        ours.push(out);
    }
    let payloads_path = dir.0.join("payloads.hex");
    std::fs::write(
        &payloads_path,
        ours.iter().map(|p| hex(p) + "\n").collect::<String>(),
    )
    .unwrap();
    let read_back = fastavro("read", &schema_path, &payloads_path);
    assert_eq!(read_back.len(), rows.len());
    for (i, line) in read_back.iter().enumerate() {
        let theirs: Json = serde_json::from_str(line).unwrap();
        // fastavro returns map entries in wire order: compare with our wire order.
        let decoded = format.decode_row(&ours[i]).unwrap();
        assert_eq!(
            theirs,
            canonical_row(&decoded, row_type, legacy),
            "{tag} row {i}: fastavro read"
        );
    }

    let values_path = dir.0.join("values.jsonl");
    std::fs::write(
        &values_path,
        rows.iter()
            .map(|r| canonical_row(r, row_type, legacy).to_string() + "\n")
            .collect::<String>(),
    )
    .unwrap();
    let written = fastavro("write", &schema_path, &values_path);
    assert_eq!(written.len(), rows.len());
    for (i, (line, row)) in written.iter().zip(rows).enumerate() {
        let payload = unhex(line);
        let decoded = format
            .decode_row(&payload)
            .unwrap_or_else(|e| panic!("{tag} row {i}: decoding fastavro's {line}: {e}"));
        assert_eq!(
            &decoded, row,
            "{tag} row {i}: our read of fastavro's payload"
        );
        if compare_bytes {
            assert_eq!(payload, ours[i], "{tag} row {i}: bytes");
        }
    }
}

#[test]
fn fastavro_reads_ours_and_we_read_fastavros() {
    if !fastavro_available() {
        return;
    }
    let row_type = fields(EVERY_TYPE);
    interop(
        "every-type",
        &row_type,
        true,
        &gen_rows(&row_type, 300, 0xfa57),
        false,
    );

    // Without maps, multisets and decimals (whose encodings Avro leaves to the writer: entry
    // order, and fastavro's non-minimal bytes for some negative decimals) the bytes agree.
    let simple: Vec<(&str, &str)> = EVERY_TYPE
        .iter()
        .copied()
        .filter(|(_, t)| !t.contains("MAP") && !t.contains("MULTISET") && !t.contains("DECIMAL"))
        .collect();
    let simple = fields(&simple);
    interop(
        "simple",
        &simple,
        true,
        &gen_rows(&simple, 200, 0xb17e),
        true,
    );

    let non_legacy = fields(&[
        ("ts3", "TIMESTAMP(3)"),
        ("ts6", "TIMESTAMP(6) NOT NULL"),
        ("ltz3", "TIMESTAMP_LTZ(3)"),
        ("ltz6", "TIMESTAMP_LTZ(6) NOT NULL"),
        ("arr", "ARRAY<TIMESTAMP(3)>"),
    ]);
    let referenced = fields(&[("a_b", "ROW<x INT>"), ("a", "ROW<b ROW<x INT>>")]);
    interop(
        "referenced",
        &referenced,
        true,
        &gen_rows(&referenced, 20, 3),
        true,
    );

    interop(
        "non-legacy",
        &non_legacy,
        false,
        &gen_rows(&non_legacy, 100, 0x1e6),
        true,
    );
}

#[test]
fn empty_rows_in_arrays_take_no_bytes() {
    let format = avro(&fields(&[("e", "ARRAY<ROW<> NOT NULL> NOT NULL")]));
    let row = Row::new(vec![Value::Array(vec![Value::Row(Row::default()); 3])]);
    let mut out = Vec::new();
    format.encode(&row, &mut out).unwrap();
    assert_eq!(out, [0x06, 0x00]);
    assert_eq!(format.decode(&out).unwrap(), Some(row));
    let mut huge = Vec::new();
    write_long(&mut huge, 1 << 40);
    huge.push(0);
    let (column, offset, _) = decode_err(&format, &huge);
    assert_eq!((column.as_str(), offset), ("e", 0));
}

/// The field error of a payload that must not decode, without printing a row that did
/// (before the fix such a row held millions of values).
fn bounded_decode_err(format: &Format, bytes: &[u8]) -> (String, usize, String) {
    match format.decoder().decode(bytes) {
        Err(FormatError::Field {
            column,
            offset,
            reason,
            ..
        }) => (column, offset, reason),
        Err(other) => panic!("expected a field error, got {other}"),
        Ok(row) => {
            let items = match row.as_ref().map(|r| &r.values[..]) {
                Some([Value::Array(items), ..]) => items.len(),
                _ => 0,
            };
            panic!(
                "a {}-byte payload decoded into a row ({items} items in its first column)",
                bytes.len()
            )
        }
    }
}

/// Blocks of `count` items, `blocks` times, then the end marker.
fn blocks(payload: &mut Vec<u8>, count: i64, blocks: usize) {
    for _ in 0..blocks {
        write_long(payload, count);
    }
    payload.push(0);
}

/// Issue #13 finding 3: `MAX_ZERO_SIZED_ITEMS` was checked per block, so this 66-byte
/// payload (16 blocks of 2^20 empty rows for an `ARRAY<ROW<> NOT NULL>` column) decoded
/// into 16.7 M items (about 800 MB). Items are now bounded per record: one per payload byte
/// plus `AVRO_ITEM_ALLOWANCE`, across all columns and nesting levels.
#[test]
fn empty_row_items_are_bounded_per_record() {
    let format = avro(&fields(&[("e", "ARRAY<ROW<> NOT NULL>")]));
    let mut payload = vec![0x02]; // union branch 1: the array
    blocks(&mut payload, 1 << 20, 16);
    assert_eq!(payload.len(), 66);
    let (column, offset, reason) = bounded_decode_err(&format, &payload);
    assert_eq!((column.as_str(), offset), ("e", 1));
    assert!(reason.contains("4162 items"), "{reason}");
    let message = format.decode(&payload).unwrap_err().to_string();
    assert!(
        message.contains("field: e.") && message.contains("at byte 1"),
        "{message}"
    );

    // Many small blocks add up: the block that crosses the limit is the one named.
    let mut payload = vec![0x02];
    blocks(&mut payload, 1000, 5);
    let (column, offset, _) = bounded_decode_err(&format, &payload);
    assert_eq!((column.as_str(), offset), ("e", 1 + 4 * 2));
    // Exactly the limit decodes (2 + 2 bytes: branch, count, end marker).
    let mut payload = vec![0x02];
    let limit = AVRO_ITEM_ALLOWANCE as i64 + 4;
    blocks(&mut payload, limit, 1);
    assert_eq!(payload.len(), 4);
    let row = format.decode(&payload).unwrap().unwrap();
    assert!(matches!(&row.values[0], Value::Array(items) if items.len() == limit as usize));

    // The budget is the record's, shared by columns and nesting levels; the column named
    // is the innermost array's.
    let two = avro(&fields(&[
        ("a", "ARRAY<ROW<> NOT NULL> NOT NULL"),
        (
            "b",
            "ARRAY<ARRAY<ROW<x ROW<> NOT NULL> NOT NULL> NOT NULL> NOT NULL",
        ),
    ]));
    let mut payload = Vec::new();
    blocks(&mut payload, 3000, 1);
    write_long(&mut payload, 1);
    blocks(&mut payload, 3000, 1);
    payload.push(0);
    let (column, offset, _) = bounded_decode_err(&two, &payload);
    assert_eq!((column.as_str(), offset), ("b[]", 4));
    // Negative block counts (with a byte size) are counted the same way.
    let mut payload = Vec::new();
    write_long(&mut payload, -(1 << 40));
    write_long(&mut payload, 0);
    payload.push(0);
    let (column, offset, _) = bounded_decode_err(&two, &payload);
    assert_eq!((column.as_str(), offset), ("a", 0));
}

/// The 1 KiB record of issue #13 (256 blocks of 2^20 empty rows in nested arrays): the
/// CLI aborted on a 6 GiB allocation; now a field error names the column.
#[test]
fn a_kibibyte_of_empty_row_blocks_is_an_error() {
    let format = avro(&fields(&[
        ("id", "BIGINT NOT NULL"),
        ("e", "ARRAY<ARRAY<ROW<> NOT NULL>>"),
    ]));
    let mut payload = vec![0x02, 0x02];
    write_long(&mut payload, 1);
    payload.push(0x02);
    blocks(&mut payload, 1 << 20, 254);
    payload.push(0);
    assert!((1000..=1024).contains(&payload.len()), "{}", payload.len());
    let (column, offset, _) = bounded_decode_err(&format, &payload);
    assert_eq!((column.as_str(), offset), ("e[]", 4));
}

#[test]
fn integers_widen_and_failed_rows_leave_the_buffer_untouched() {
    let format = avro(&fields(&[
        ("t", "TINYINT NOT NULL"),
        ("b", "BIGINT NOT NULL"),
        ("d", "DOUBLE"),
    ]));
    let mut out = Vec::new();
    format
        .encode(
            &Row::new(vec![Value::Int(-3), Value::SmallInt(7), Value::Float(0.5)]),
            &mut out,
        )
        .unwrap();
    assert_eq!(out, [0x05, 0x0e, 0x02, 0, 0, 0, 0, 0, 0, 0xe0, 0x3f]);
    let mut out = vec![0x55];
    let err = format
        .encode(
            &Row::new(vec![Value::Int(300), Value::BigInt(1), Value::Null]),
            &mut out,
        )
        .unwrap_err();
    assert!(err.to_string().contains("300"), "{err}");
    let err = format
        .encode(
            &Row::new(vec![
                Value::Int(1),
                Value::BigInt(1),
                Value::String("x".into()),
            ]),
            &mut out,
        )
        .unwrap_err();
    assert!(err.to_string().contains("field: d"), "{err}");
    assert_eq!(out, [0x55]);
}

/// The tests' own Avro `long` writer ([`common::write_long`]) against the specification.
#[test]
fn the_test_long_writer_follows_the_specification_table() {
    for (v, bytes) in [
        (0, &[0x00][..]),
        (-1, &[0x01]),
        (1, &[0x02]),
        (-2, &[0x03]),
        (2, &[0x04]),
        (-64, &[0x7f]),
        (64, &[0x80, 0x01]),
    ] {
        let mut out = Vec::new();
        write_long(&mut out, v);
        assert_eq!(out, bytes, "{v}");
    }
    let mut out = Vec::new();
    write_long(&mut out, i64::MIN);
    assert_eq!(
        out,
        [0xff; 9].iter().copied().chain([0x01]).collect::<Vec<u8>>()
    );
}
