//! Memory per record is bounded (issue #13, finding 3): the heap a decoder allocates for
//! one payload stays within a constant factor of the payload's size, for malicious payloads
//! of every format and for the densest valid ones. A counting global allocator measures the
//! peak, so this file holds a single test (the allocator is process-wide).

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};

mod common;

use common::write_long;

use kinesis_formats::{DataType, Format, RowField};

/// The system allocator, counting live bytes and their peak.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(bytes: usize) {
    let now = LIVE.fetch_add(bytes, Ordering::SeqCst) + bytes;
    PEAK.fetch_max(now, Ordering::SeqCst);
}

// SAFETY: every call is forwarded to `System` unchanged; only counters are updated.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc_zeroed(layout);
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        LIVE.fetch_sub(layout.size(), Ordering::SeqCst);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = System.realloc(ptr, layout, new_size);
        if !p.is_null() {
            // Counted as the new block arriving before the old one leaves (a moving
            // realloc holds both).
            grew(new_size);
            LIVE.fetch_sub(layout.size(), Ordering::SeqCst);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Bytes allocated at the peak of `decode`, beyond what was live before it.
fn peak_of(decode: impl FnOnce()) -> usize {
    let before = LIVE.load(Ordering::SeqCst);
    PEAK.store(before, Ordering::SeqCst);
    decode();
    PEAK.load(Ordering::SeqCst) - before
}

fn format(name: &str, columns: &[(&str, &str)]) -> Format {
    let row_type: Vec<RowField> = columns
        .iter()
        .map(|(n, t)| RowField::new(*n, DataType::parse(t).unwrap()))
        .collect();
    Format::from_options(name, &BTreeMap::new(), &row_type).unwrap()
}

/// What one record may cost: a decoded value is 48 bytes, a growing `Vec` briefly holds
/// one and a half times its items, and a schema may hold a few values per item.
fn bound(payload: &[u8]) -> usize {
    128 * payload.len() + (1 << 20)
}

/// `payload` decodes (`valid`) or fails with an error naming `column`, allocating at most
/// [`bound`] on the way.
fn check(what: &str, f: &Format, payload: &[u8], valid: bool, column: &str) {
    let mut outcome = None;
    let peak = peak_of(|| {
        outcome = Some(match f.decode(payload) {
            Ok(row) => Ok(row.is_some()),
            Err(e) => Err(e.to_string()),
        });
    });
    assert!(
        peak <= bound(payload),
        "{what}: a {}-byte payload allocated {peak} bytes at its peak",
        payload.len()
    );
    match outcome.unwrap() {
        Ok(_) if valid => {}
        Err(e) if !valid => assert!(e.contains(column), "{what}: {e}"),
        other => panic!("{what}: expected valid = {valid}, got {other:?}"),
    }
}

#[test]
fn decoding_allocates_within_a_constant_factor_of_the_payload() {
    // Avro: blocks of empty rows (zero bytes each). Before the fix the first payload (66
    // bytes, the issue's) decoded into 16.7 M rows, about 800 MB.
    let avro = format("avro", &[("e", "ARRAY<ROW<> NOT NULL>")]);
    let mut payload = vec![0x02];
    for _ in 0..16 {
        write_long(&mut payload, 1 << 20);
    }
    payload.push(0);
    check(
        "66 bytes of empty-row blocks",
        &avro,
        &payload,
        false,
        "field: e.",
    );
    let mut payload = vec![0x02];
    for _ in 0..16 {
        write_long(&mut payload, 250);
    }
    payload.push(0);
    check("small empty-row blocks", &avro, &payload, true, "");

    // Avro: lengths and counts beyond the payload.
    let avro = format(
        "avro",
        &[
            ("s", "STRING NOT NULL"),
            ("b", "BYTES NOT NULL"),
            ("m", "MAP<STRING, INT> NOT NULL"),
        ],
    );
    let mut payload = Vec::new();
    write_long(&mut payload, 1 << 62);
    check(
        "a string of 2^62 bytes",
        &avro,
        &payload,
        false,
        "field: s.",
    );
    let mut payload = vec![0x00];
    write_long(&mut payload, 1 << 40);
    check("bytes of 2^40 bytes", &avro, &payload, false, "field: b.");
    let mut payload = vec![0x00, 0x00];
    write_long(&mut payload, i64::MIN);
    write_long(&mut payload, 0);
    check(
        "a map block of 2^63 entries",
        &avro,
        &payload,
        false,
        "field: m.",
    );
    // The densest valid avro: one byte per array item.
    let avro = format("avro", &[("a", "ARRAY<BOOLEAN NOT NULL> NOT NULL")]);
    let mut payload = Vec::new();
    write_long(&mut payload, 60_000);
    payload.resize(payload.len() + 60_000, 1);
    payload.push(0);
    check("60 000 booleans", &avro, &payload, true, "");

    // JSON: nesting beyond the limit, in a column and in a skipped field.
    let json = format("json", &[("s", "STRING"), ("a", "ARRAY<ARRAY<INT>>")]);
    for key in ["s", "x"] {
        let deep = format!(
            "{{\"{key}\":{}{}}}",
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        check(
            "deep json",
            &json,
            deep.as_bytes(),
            false,
            "nesting too deep",
        );
    }
    // The densest valid json arrays: three bytes per item.
    let dense = format!("{{\"a\":[{}[]]}}", "[],".repeat(20_000));
    check("dense json arrays", &json, dense.as_bytes(), true, "");
    let dense = format!("{{\"s\":[{}1]}}", "1,".repeat(30_000));
    check("a dense array as text", &json, dense.as_bytes(), true, "");

    // CSV: one byte per array element.
    let csv = format("csv", &[("a", "ARRAY<STRING>"), ("b", "ARRAY<INT>")]);
    let dense = format!("{},1", ";".repeat(60_000));
    check("dense csv arrays", &csv, dense.as_bytes(), true, "");
}
