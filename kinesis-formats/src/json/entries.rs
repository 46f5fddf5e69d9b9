//! MAP and MULTISET entries as they are read, with the semantics of Jackson's `ObjectNode`
//! (a `LinkedHashMap`) that Flink reads through: a repeated key keeps its first position and
//! takes the last value.
//!
//! A 1 MiB message can hold an object of about 100,000 keys, so a repeated key must not be
//! looked for by scanning every entry read so far (that is quadratic: a CPU denial of
//! service). Small objects, the usual case, are scanned; from [`SCAN_LIMIT`] entries on, a
//! hash index (std's randomly keyed SipHash, so keys cannot be chosen to collide) finds
//! them in constant time.

use std::borrow::Cow;
use std::collections::HashMap;

use crate::value::Value;

/// Objects with at most this many entries are scanned; larger ones get an index.
const SCAN_LIMIT: usize = 16;

/// The entries of one object, in first-seen order.
pub(super) struct Entries<V> {
    entries: Vec<(Value, V)>,
    /// Position of each key, once there are more than [`SCAN_LIMIT`] entries.
    index: Option<HashMap<Box<str>, usize>>,
}

impl<V> Entries<V> {
    pub(super) fn new() -> Self {
        Entries {
            entries: Vec::new(),
            index: None,
        }
    }

    /// Adds `key` with `value`; a key seen before keeps its position and takes `value`.
    pub(super) fn put(&mut self, key: Cow<'_, str>, value: V) {
        if let Some(i) = self.position(&key) {
            self.entries[i].1 = value;
            return;
        }
        let i = self.entries.len();
        if let Some(index) = &mut self.index {
            index.insert(Box::from(&*key), i);
        }
        self.entries.push((Value::String(key.into_owned()), value));
        if self.index.is_none() && self.entries.len() > SCAN_LIMIT {
            self.index = Some(
                self.entries
                    .iter()
                    .enumerate()
                    .map(|(i, (k, _))| (Box::from(key_str(k)), i))
                    .collect(),
            );
        }
    }

    fn position(&self, key: &str) -> Option<usize> {
        match &self.index {
            Some(index) => {
                probed();
                index.get(key).copied()
            }
            None => self.entries.iter().position(|(k, _)| {
                probed();
                key_str(k) == key
            }),
        }
    }

    pub(super) fn into_vec(self) -> Vec<(Value, V)> {
        self.entries
    }
}

/// The text of a key (keys are only ever strings here).
fn key_str(k: &Value) -> &str {
    match k {
        Value::String(s) => s,
        _ => "",
    }
}

#[cfg(test)]
thread_local! {
    /// Key comparisons and index look-ups made on this thread: the work a test bounds.
    pub(super) static KEY_PROBES: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

#[inline]
fn probed() {
    #[cfg(test)]
    KEY_PROBES.with(|c| c.set(c.get() + 1));
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The semantics spelled out: a scan over everything read so far.
    fn scanned(puts: &[(String, u32)]) -> Vec<(Value, u32)> {
        let mut out: Vec<(Value, u32)> = Vec::new();
        for (k, v) in puts {
            match out.iter_mut().find(|(e, _)| key_str(e) == k) {
                Some(e) => e.1 = *v,
                None => out.push((Value::String(k.clone()), *v)),
            }
        }
        out
    }

    fn indexed(puts: &[(String, u32)]) -> Vec<(Value, u32)> {
        let mut entries = Entries::new();
        for (k, v) in puts {
            entries.put(Cow::Borrowed(k.as_str()), *v);
        }
        entries.into_vec()
    }

    #[test]
    fn a_repeated_key_keeps_its_first_position_and_takes_the_last_value() {
        for n in [3, SCAN_LIMIT, SCAN_LIMIT + 1, 100] {
            let mut puts: Vec<(String, u32)> =
                (0..n).map(|i| (format!("k{i}"), i as u32)).collect();
            puts.push(("k0".into(), 1000));
            puts.push((format!("k{}", n - 1), 1001));
            puts.push(("new".into(), 1002));
            let got = indexed(&puts);
            assert_eq!(got.len(), n + 1, "{n}");
            assert_eq!(got[0], (Value::String("k0".into()), 1000), "{n}");
            assert_eq!(got[n - 1].1, 1001, "{n}");
            assert_eq!(got[n], (Value::String("new".into()), 1002), "{n}");
            assert_eq!(got, scanned(&puts), "{n}");
        }
    }

    /// Issue #15: 100,000 distinct keys took 5·10⁹ comparisons; now about one look-up each.
    #[test]
    fn the_work_per_key_is_bounded() {
        let n = 100_000u64;
        KEY_PROBES.with(|c| c.set(0));
        let mut entries = Entries::new();
        for i in 0..n {
            entries.put(Cow::Owned(format!("key{i}")), i);
        }
        entries.put(Cow::Borrowed("key7"), 7_000);
        let probes = KEY_PROBES.with(|c| c.get());
        let entries = entries.into_vec();
        assert_eq!(entries.len() as u64, n);
        assert_eq!(entries[7].1, 7_000);
        assert!(probes <= 2 * n, "{probes} key comparisons for {n} keys");
    }

    proptest! {
        #[test]
        fn entries_match_a_full_scan(
            puts in proptest::collection::vec(("[a-e]{1,2}", any::<u32>()), 0..80)
        ) {
            prop_assert_eq!(indexed(&puts), scanned(&puts));
        }
    }
}
