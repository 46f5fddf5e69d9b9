//! `cargo bench -p kinesis-formats`: decode and encode 100,000 rows of the seed schema
//! (`user_id BIGINT, item_id BIGINT, category_id BIGINT, behavior STRING, ts TIMESTAMP(3)`)
//! with our csv and json formats, and the same work done by plain `csv` + `serde_json`
//! (serde derive into a struct) as the baseline; and with our avro format against a decoder
//! and encoder hand-specialized to the schema (see `bench_avro`). Prints rows/s, MB/s and our/baseline ratios.
//!
//! Plain `Instant` timing: each case runs a warm-up pass, then the best of `RUNS` passes.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use kinesis_formats::{DataType, Format, Row, RowField, Value};

const ROWS: usize = 100_000;
const RUNS: usize = 5;

#[derive(serde::Deserialize, serde::Serialize)]
struct UserBehavior {
    user_id: i64,
    item_id: i64,
    category_id: i64,
    behavior: String,
    /// The baseline reads the timestamp as text and parses it with chrono, as any real
    /// consumer must (serde has no SQL timestamp type).
    ts: String,
}

fn schema() -> Vec<RowField> {
    [
        ("user_id", "BIGINT"),
        ("item_id", "BIGINT"),
        ("category_id", "BIGINT"),
        ("behavior", "STRING"),
        ("ts", "TIMESTAMP(3)"),
    ]
    .iter()
    .map(|(n, t)| RowField::new(*n, DataType::parse(t).unwrap()))
    .collect()
}

fn rows() -> Vec<Row> {
    let behaviors = ["pv", "buy", "cart", "fav"];
    let base = NaiveDateTime::parse_from_str("2017-11-26 01:00:00", "%Y-%m-%d %H:%M:%S").unwrap();
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    (0..ROWS)
        .map(|i| {
            Row::new(vec![
                Value::BigInt((next() % 1_000_000) as i64),
                Value::BigInt((next() % 5_000_000) as i64),
                Value::BigInt((next() % 5_000_000) as i64),
                Value::String(behaviors[i % 4].to_string()),
                Value::Timestamp(
                    base + chrono::Duration::milliseconds((next() % 86_400_000) as i64),
                ),
            ])
        })
        .collect()
}

struct Measure {
    best: Duration,
    bytes: usize,
}

fn time(mut f: impl FnMut() -> usize) -> Measure {
    let bytes = f();
    let mut best = Duration::MAX;
    for _ in 0..RUNS {
        let t = Instant::now();
        black_box(f());
        best = best.min(t.elapsed());
    }
    Measure { best, bytes }
}

fn report(name: &str, m: &Measure) -> f64 {
    let secs = m.best.as_secs_f64();
    let rows_s = ROWS as f64 / secs;
    println!(
        "{name:<40} {:>8.2} ms  {:>12.0} rows/s  {:>8.1} MB/s",
        secs * 1e3,
        rows_s,
        m.bytes as f64 / secs / 1e6
    );
    rows_s
}

fn parse_ts(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f").expect("timestamp")
}

fn main() {
    let schema = schema();
    let rows = rows();
    let none = BTreeMap::new();
    let mut ratios = Vec::new();

    // `cargo bench -p kinesis-formats -- json` runs only the json cases (likewise csv).
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    for name in ["csv", "json"] {
        if !args.is_empty() && !args.iter().any(|a| a == name) {
            continue;
        }
        let format = Format::from_options(name, &none, &schema).unwrap();
        let encoder = format.encoder();
        let decoder = format.decoder();
        // One message per row, as Kinesis records carry them.
        let messages: Vec<Vec<u8>> = rows
            .iter()
            .map(|r| {
                let mut out = Vec::new();
                encoder.encode(r, &mut out).unwrap();
                out
            })
            .collect();
        let total: usize = messages.iter().map(|m| m.len()).sum();
        println!(
            "\n== {name}: {ROWS} rows, {total} bytes, e.g. {}",
            String::from_utf8_lossy(&messages[0])
        );

        let ours_dec = time(|| {
            for m in &messages {
                black_box(decoder.decode(m).unwrap());
            }
            total
        });
        let r_ours_dec = report(&format!("kinesis-formats {name} decode"), &ours_dec);

        let ours_enc = time(|| {
            let mut buf = Vec::with_capacity(256);
            let mut n = 0;
            for r in &rows {
                buf.clear();
                encoder.encode(r, &mut buf).unwrap();
                n += buf.len();
                black_box(&buf);
            }
            n
        });
        let r_ours_enc = report(&format!("kinesis-formats {name} encode"), &ours_enc);

        let structs: Vec<UserBehavior> = messages
            .iter()
            .map(|m| {
                if name == "csv" {
                    let mut rdr = csv::ReaderBuilder::new()
                        .has_headers(false)
                        .from_reader(&m[..]);
                    rdr.deserialize().next().unwrap().unwrap()
                } else {
                    serde_json::from_slice(m).unwrap()
                }
            })
            .collect();

        let (base_dec, base_enc) = if name == "csv" {
            let dec = time(|| {
                for m in &messages {
                    let mut rdr = csv::ReaderBuilder::new()
                        .has_headers(false)
                        .from_reader(&m[..]);
                    let r: UserBehavior = rdr.deserialize().next().unwrap().unwrap();
                    black_box(parse_ts(&r.ts));
                    black_box(r);
                }
                total
            });
            report(
                "baseline csv crate + serde decode, reader per message",
                &dec,
            );
            // The csv crate is built for streams: its best case is one reader over all rows.
            let mut joined = Vec::with_capacity(total + ROWS);
            for m in &messages {
                joined.extend_from_slice(m);
                joined.push(b'\n');
            }
            let dec = time(|| {
                let mut rdr = csv::ReaderBuilder::new()
                    .has_headers(false)
                    .from_reader(&joined[..]);
                for r in rdr.deserialize::<UserBehavior>() {
                    let r = r.unwrap();
                    black_box(parse_ts(&r.ts));
                    black_box(r);
                }
                total
            });
            let enc = time(|| {
                // The baseline's best case: one writer, one growing buffer.
                let mut w = csv::WriterBuilder::new()
                    .has_headers(false)
                    .from_writer(Vec::with_capacity(total + ROWS));
                for s in &structs {
                    w.serialize(s).unwrap();
                }
                let buf = w.into_inner().unwrap();
                black_box(&buf);
                buf.len() - ROWS
            });
            (dec, enc)
        } else {
            let dec = time(|| {
                for m in &messages {
                    let r: UserBehavior = serde_json::from_slice(m).unwrap();
                    black_box(parse_ts(&r.ts));
                    black_box(r);
                }
                total
            });
            let enc = time(|| {
                let mut buf = Vec::with_capacity(256);
                let mut n = 0;
                for s in &structs {
                    buf.clear();
                    serde_json::to_writer(&mut buf, s).unwrap();
                    n += buf.len();
                    black_box(&buf);
                }
                n
            });
            (dec, enc)
        };
        // The same baselines without parsing the timestamp text (ts stays a String).
        if name == "csv" {
            let mut joined = Vec::with_capacity(total + ROWS);
            for m in &messages {
                joined.extend_from_slice(m);
                joined.push(b'\n');
            }
            let m = time(|| {
                let mut rdr = csv::ReaderBuilder::new()
                    .has_headers(false)
                    .from_reader(&joined[..]);
                for r in rdr.deserialize::<UserBehavior>() {
                    black_box(r.unwrap());
                }
                total
            });
            report("baseline csv decode, one stream, ts unparsed", &m);
        } else {
            let m = time(|| {
                for m in &messages {
                    black_box(serde_json::from_slice::<UserBehavior>(m).unwrap());
                }
                total
            });
            report("baseline serde_json decode, ts unparsed", &m);
        }
        let baseline = if name == "csv" {
            "csv crate + serde"
        } else {
            "serde_json + serde"
        };
        let r_base_dec = report(&format!("baseline {baseline} decode"), &base_dec);
        let r_base_enc = report(&format!("baseline {baseline} encode"), &base_enc);
        ratios.push((name, r_ours_dec / r_base_dec, r_ours_enc / r_base_enc));
    }

    // == avro ==
    if args.is_empty() || args.iter().any(|a| a == "avro") {
        bench_avro(&schema, &rows, &mut ratios);
    }

    println!("\n== ratios (ours / baseline rows/s; > 1.00 means faster than the baseline)");
    println!("baselines: decode = deserialize into a serde-derive struct and parse ts with chrono");
    println!(
        "(our decoders produce a typed TIMESTAMP); csv = one csv::Reader over all rows joined"
    );
    println!(
        "by newlines (a reader per message is far slower, shown above). Encode baselines write"
    );
    println!("ts from an already formatted String; ours formats the timestamp value.");
    for (name, dec, enc) in ratios {
        println!("{name:<6} decode {dec:>5.2}x   encode {enc:>5.2}x");
    }
}

/// The avro format against a baseline hand-specialized to this one schema on the same codec
/// primitives (what generated code would do, with no `Row`/`Value` in between): the ratio is
/// the cost of the generic row path. Pushes ("avro", decode ratio, encode ratio).
fn bench_avro(schema: &[RowField], rows: &[Row], ratios: &mut Vec<(&'static str, f64, f64)>) {
    // The crate's own Avro primitives, compiled in here (they are not public API), so the
    // baseline differs from the format only by the generic row path.
    #[path = "../src/avro/codec.rs"]
    #[allow(dead_code, unused_imports)]
    mod codec;
    use codec::Reader;

    struct Behavior {
        user_id: Option<i64>,
        item_id: Option<i64>,
        category_id: Option<i64>,
        behavior: Option<String>,
        ts: Option<NaiveDateTime>,
    }

    fn read_long(r: &mut Reader<'_>) -> Option<i64> {
        match r.read_long().unwrap() {
            0 => None,
            _ => Some(r.read_long().unwrap()),
        }
    }

    fn write_long(out: &mut Vec<u8>, v: Option<i64>) {
        match v {
            None => out.push(0),
            Some(v) => {
                out.push(2);
                codec::write_long(out, v);
            }
        }
    }

    let format = Format::from_options("avro", &BTreeMap::new(), schema).unwrap();
    let encoder = format.encoder();
    let decoder = format.decoder();
    let messages: Vec<Vec<u8>> = rows
        .iter()
        .map(|r| {
            let mut out = Vec::new();
            encoder.encode(r, &mut out).unwrap();
            out
        })
        .collect();
    let total: usize = messages.iter().map(|m| m.len()).sum();
    println!(
        "\n== avro: {ROWS} rows, {total} bytes, e.g. {:02x?}",
        &messages[0]
    );

    let ours_dec = time(|| {
        for m in &messages {
            black_box(decoder.decode(m).unwrap());
        }
        total
    });
    let r_ours_dec = report("kinesis-formats avro decode", &ours_dec);
    let ours_enc = time(|| {
        let mut buf = Vec::with_capacity(256);
        let mut n = 0;
        for r in rows {
            buf.clear();
            encoder.encode(r, &mut buf).unwrap();
            n += buf.len();
            black_box(&buf);
        }
        n
    });
    let r_ours_enc = report("kinesis-formats avro encode", &ours_enc);

    let decode_one = |m: &[u8]| -> Behavior {
        let mut r = Reader::new(m);
        let user_id = read_long(&mut r);
        let item_id = read_long(&mut r);
        let category_id = read_long(&mut r);
        let behavior = match r.read_long().unwrap() {
            0 => None,
            _ => Some(r.read_str().unwrap().to_string()),
        };
        let ts = read_long(&mut r).map(|ms| {
            chrono::DateTime::from_timestamp_millis(ms)
                .unwrap()
                .naive_utc()
        });
        assert!(r.is_at_end());
        Behavior {
            user_id,
            item_id,
            category_id,
            behavior,
            ts,
        }
    };
    let structs: Vec<Behavior> = messages.iter().map(|m| decode_one(m)).collect();
    let base_dec = time(|| {
        for m in &messages {
            black_box(decode_one(m));
        }
        total
    });
    let base_enc = time(|| {
        let mut buf = Vec::with_capacity(256);
        let mut n = 0;
        for s in &structs {
            buf.clear();
            write_long(&mut buf, s.user_id);
            write_long(&mut buf, s.item_id);
            write_long(&mut buf, s.category_id);
            match &s.behavior {
                None => buf.push(0),
                Some(b) => {
                    buf.push(2);
                    codec::write_string(&mut buf, b);
                }
            }
            write_long(&mut buf, s.ts.map(|t| t.and_utc().timestamp_millis()));
            n += buf.len();
            black_box(&buf);
        }
        n
    });
    assert_eq!(base_enc.bytes, total, "the baseline writes the same bytes");
    let r_base_dec = report("baseline hand-specialized avro decode", &base_dec);
    let r_base_enc = report("baseline hand-specialized avro encode", &base_enc);
    ratios.push(("avro", r_ours_dec / r_base_dec, r_ours_enc / r_base_enc));
}
