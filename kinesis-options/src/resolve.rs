//! The effective option map: what the user wrote, with deprecated keys mapped (§8), read
//! through the declarative table's defaults.

use std::collections::BTreeMap;

use crate::spec;

/// Options after deprecated-key mapping. Keys are table keys.
#[derive(Clone, Default)]
pub(crate) struct Effective {
    pub map: BTreeMap<String, String>,
    /// For values taken from a fallback key: new key → the key the user wrote.
    pub origin: BTreeMap<String, String>,
}

impl Effective {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.map.get(key).map(String::as_str)
    }

    /// The key the user wrote for `key` (its deprecated fallback when that supplied the
    /// value), so errors name it (decisions D2).
    pub fn written<'a>(&'a self, key: &'a str) -> &'a str {
        self.origin.get(key).map(String::as_str).unwrap_or(key)
    }

    /// Flink's parse failure for `key`'s value, naming the key the user wrote.
    pub fn bad_value(&self, key: &str) -> crate::OptionsError {
        let value = self.value_or_default(key);
        let written = self.written(key);
        let mut message = could_not_parse(written, value);
        if written != key {
            message.pop();
            message.push_str(&format!(" (read as '{key}')."));
        }
        crate::OptionsError::invalid(written, message)
    }

    /// The value, else the table's default, else `""`.
    pub fn value_or_default(&self, key: &str) -> &str {
        self.get(key)
            .or_else(|| spec::find(key).and_then(|s| s.default))
            .unwrap_or("")
    }
}

/// Flink's `Configuration` parse failure: `Could not parse value '<v>' for key '<k>'.`
/// (sensitive values masked).
pub(crate) fn could_not_parse(key: &str, value: &str) -> String {
    format!(
        "Could not parse value '{}' for key '{key}'.",
        spec::display_value(key, value)
    )
}

/// Flink's boolean parsing of typed options: `true`/`false`, case-insensitive.
pub(crate) fn flink_bool(value: &str) -> Option<bool> {
    let v = value.trim();
    if v.eq_ignore_ascii_case("true") {
        Some(true)
    } else if v.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// Levenshtein distance, for did-you-mean.
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The closest of `candidates` to `key`, if close enough to be a plausible typo (or the
/// same key with a differently written separator, e.g. `scan.stream.initpos.timestamp`).
pub(crate) fn did_you_mean<'a>(key: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let norm = |s: &str| s.to_ascii_lowercase().replace(['-', '_', '.'], "");
    let nk = norm(key);
    let mut best: Option<(&str, usize)> = None;
    for c in candidates {
        let d = if norm(c) == nk {
            0
        } else {
            edit_distance(key, c)
        };
        if best.is_none_or(|(_, bd)| d < bd) {
            best = Some((c, d));
        }
    }
    let (c, d) = best?;
    let limit = (key.chars().count() / 4).clamp(2, 6);
    (d <= limit).then_some(c)
}

/// Deprecated `sink.producer.*` handling (reference §8), `aws.clientconfig.*` (D3).
pub(crate) fn map_deprecated(raw: &BTreeMap<String, String>) -> (Effective, Vec<String>) {
    let mut map = raw.clone();
    let mut origin = BTreeMap::new();
    let mut warnings = Vec::new();
    let mut warn = |w: String| {
        log::warn!("{w}");
        warnings.push(w);
    };
    for s in spec::OPTIONS {
        for f in s.fallback_keys {
            if let Some(v) = map.remove(*f) {
                if f.starts_with("sink.producer.") {
                    warn(format!(
                        "Option '{f}' is deprecated; it is read as '{}'{}",
                        s.key,
                        if raw.contains_key(s.key) {
                            ", which is also set and wins"
                        } else {
                            ""
                        }
                    ));
                }
                if !map.contains_key(s.key) {
                    origin.insert(s.key.to_string(), f.to_string());
                    map.insert(s.key.to_string(), v);
                }
            }
        }
    }
    let endpoint = map.remove("sink.producer.kinesis-endpoint");
    let port = map.remove("sink.producer.kinesis-port");
    if let Some(e) = endpoint {
        let url = match port {
            Some(p) => format!("https://{e}:{p}"),
            None => format!("https://{e}"),
        };
        warn(format!(
            "Option 'sink.producer.kinesis-endpoint' is deprecated; it is read as 'aws.endpoint' = '{url}'{}",
            if map.contains_key("aws.endpoint") { " unless aws.endpoint is set (it is)" } else { "" }
        ));
        map.entry("aws.endpoint".into()).or_insert(url);
    }
    if let Some(v) = map.remove("sink.producer.verify-certificate") {
        match flink_bool(&v) {
            Some(verify) => {
                warn(
                    "Option 'sink.producer.verify-certificate' is deprecated; it is read as 'aws.trust.all.certificates'"
                        .into(),
                );
                map.entry("aws.trust.all.certificates".into())
                    .or_insert((!verify).to_string());
            }
            None => warn(
                "Option sink.producer.verify-certificate is ignored due to invalid value".into(),
            ),
        }
    }
    let ignored: Vec<String> = map
        .keys()
        .filter(|k| k.starts_with("sink.producer.") || k.starts_with("aws.clientconfig."))
        .cloned()
        .collect();
    for k in ignored {
        map.remove(&k);
        if k.starts_with("sink.producer.") {
            warn(format!("Key {k} is unsupported by Kinesis Datastream Sink"));
        } else {
            warn(format!(
                "Option '{k}' configures the Java SDK v1 client and has no effect here"
            ));
        }
    }
    (Effective { map, origin }, warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        let keys = [
            "scan.stream.initpos",
            "scan.stream.initpos-timestamp",
            "sink.batch.max-size",
        ];
        assert_eq!(
            did_you_mean("scan.stream.initpos.timestamp", &keys),
            Some("scan.stream.initpos-timestamp")
        );
        assert_eq!(
            did_you_mean("sink.batch.maxsize", &keys),
            Some("sink.batch.max-size")
        );
        assert_eq!(did_you_mean("invalid.option", &keys), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
