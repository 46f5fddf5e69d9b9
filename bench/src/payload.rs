//! The records of every path, identical in every peer (`boto3_peer.py` has the same
//! generator): 100-byte csv rows of the seed schema (`user_id BIGINT, item_id BIGINT,
//! category_id BIGINT, behavior STRING, ts TIMESTAMP(3)`), the behavior padded so the row
//! has the requested size, keyed by the user id in decimal.
//!
//! Put paths take record `i` from a pool of [`POOL`] prepared records (`i % POOL`), so that
//! making the records costs nothing in the measured loop, in any language.

/// Prepared records per put path.
pub const POOL: usize = 1024;

const BEHAVIORS: [&str; 4] = ["pv", "buy", "cart", "fav"];

/// The timestamp every row carries (csv's `TIMESTAMP(3)` text).
pub const TS: &str = "2017-11-26 01:00:00.000";

/// The fields of row `i`: user id, item id, category id, behavior (padded so the csv line
/// is `size` bytes when it can be).
pub fn fields(i: u64, size: usize) -> (i64, i64, i64, String) {
    let user = 1_000_000 + i as i64;
    let item = 2_000_000 + (i as i64 * 7919) % 1_000_000;
    let category = (i % 5000) as i64;
    let behavior = BEHAVIORS[(i % 4) as usize];
    let base = format!("{user},{item},{category},{behavior},{TS}").len();
    let pad = size.saturating_sub(base);
    (
        user,
        item,
        category,
        format!("{behavior}{}", "x".repeat(pad)),
    )
}

/// Row `i` as a csv line of `size` bytes (no newline).
///
/// ```
/// let r = kinesis_bench::payload::csv_row(7, 100);
/// assert_eq!(r.len(), 100);
/// assert!(r.starts_with(b"1000007,"));
/// ```
pub fn csv_row(i: u64, size: usize) -> Vec<u8> {
    let (user, item, category, behavior) = fields(i, size);
    format!("{user},{item},{category},{behavior},{TS}").into_bytes()
}

/// The partition key of row `i`: its user id in decimal.
///
/// ```
/// assert_eq!(kinesis_bench::payload::key(7), "1000007");
/// ```
pub fn key(i: u64) -> String {
    (1_000_000 + i).to_string()
}

/// The [`POOL`] records (data, key) the put paths cycle through.
pub fn pool(size: usize) -> Vec<(Vec<u8>, String)> {
    (0..POOL as u64)
        .map(|i| (csv_row(i, size), key(i)))
        .collect()
}
