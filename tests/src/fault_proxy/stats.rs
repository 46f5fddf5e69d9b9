//! What the proxy saw and did.

use std::collections::BTreeMap;

use serde_json::Value;

use super::entries::put_records_entries;
use super::plan::FaultKind;
use super::MAX_KEPT_UNANSWERED;

/// A request the server applied (answered 2xx) whose answer the client never got complete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unanswered {
    /// The action, e.g. `PutRecords`.
    pub action: String,
    /// The body as forwarded.
    pub body: Vec<u8>,
}

impl Unanswered {
    /// For PutRecords: each entry's `(PartitionKey, Data)` (`Data` base64, as on the wire).
    ///
    /// ```
    /// let u = kinesis_tests::fault_proxy::Unanswered {
    ///     action: "PutRecords".into(),
    ///     body: br#"{"StreamName":"s","Records":[{"Data":"YQ==","PartitionKey":"k"}]}"#.to_vec(),
    /// };
    /// assert_eq!(u.put_records_entries(), vec![("k".to_string(), "YQ==".to_string())]);
    /// ```
    pub fn put_records_entries(&self) -> Vec<(String, String)> {
        let field = |e: &Value, k: &str| e.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        put_records_entries(&self.body)
            .unwrap_or_default()
            .iter()
            .map(|e| (field(e, "PartitionKey"), field(e, "Data")))
            .collect()
    }
}

/// What a [`FaultProxy`](super::FaultProxy) saw and did so far.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stats {
    /// Client connections accepted.
    pub connections: u64,
    /// Requests read, by action.
    pub requests: BTreeMap<String, u64>,
    /// Faults chosen, by kind ([`FaultKind::Pass`] included).
    pub faults: BTreeMap<FaultKind, u64>,
    /// PutRecords entries failed by [`Fault::FailEntries`](super::Fault::FailEntries) /
    /// [`Fault::FailRandomEntries`](super::Fault::FailRandomEntries)
    /// (never forwarded).
    pub entries_failed: u64,
    /// Requests applied by the server (2xx) whose answer the client did not get complete:
    /// [`Fault::ResetAfterForward`](super::Fault::ResetAfterForward),
    /// [`Fault::Truncate`](super::Fault::Truncate), and answers the client was no
    /// longer there to read.
    pub applied_unanswered_count: u64,
    /// The first [`MAX_KEPT_UNANSWERED`] of those.
    pub applied_unanswered: Vec<Unanswered>,
    /// [`Fault::Delay`](super::Fault::Delay)s the client gave up on (those requests were not
    /// forwarded).
    pub delays_abandoned: u64,
    /// Requests the server could not be reached or answered unreadably for (answered 502).
    pub upstream_errors: u64,
}

impl Stats {
    /// Requests read for `action`.
    pub fn requests_for(&self, action: &str) -> u64 {
        self.requests.get(action).copied().unwrap_or(0)
    }

    /// Every request read.
    pub fn total_requests(&self) -> u64 {
        self.requests.values().sum()
    }

    /// How often `kind` was chosen.
    pub fn faults_of(&self, kind: FaultKind) -> u64 {
        self.faults.get(&kind).copied().unwrap_or(0)
    }

    pub(super) fn record_unanswered(&mut self, action: &str, body: &[u8]) {
        self.applied_unanswered_count += 1;
        if self.applied_unanswered.len() < MAX_KEPT_UNANSWERED {
            self.applied_unanswered.push(Unanswered {
                action: action.to_string(),
                body: body.to_vec(),
            });
        }
    }
}
