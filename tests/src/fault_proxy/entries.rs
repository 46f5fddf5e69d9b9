//! PutRecords entry failures: removing entries from a request and merging failure entries
//! into the answer at their positions.

use serde_json::{json, Value};

const FAILED_ENTRY_CODE: &str = "ProvisionedThroughputExceededException";

/// The `Records` array of a PutRecords body.
pub(super) fn put_records_entries(body: &[u8]) -> Option<Vec<Value>> {
    let mut v: Value = serde_json::from_slice(body).ok()?;
    match v.get_mut("Records")?.take() {
        Value::Array(a) => Some(a),
        _ => None,
    }
}

/// Splits a PutRecords body: the body without the entries at `failed`, and the positions
/// actually removed (in range, sorted, unique) out of how many entries. `None` when the body
/// is not a PutRecords request.
pub(super) fn remove_entries(
    body: &[u8],
    failed: &[usize],
) -> Option<(Vec<u8>, Vec<usize>, usize)> {
    let mut request: Value = serde_json::from_slice(body).ok()?;
    let Value::Array(entries) = request.get_mut("Records")?.take() else {
        return None;
    };
    let total = entries.len();
    let mut removed: Vec<usize> = failed.iter().copied().filter(|&i| i < total).collect();
    removed.sort_unstable();
    removed.dedup();
    let kept: Vec<Value> = entries
        .into_iter()
        .enumerate()
        .filter(|(i, _)| removed.binary_search(i).is_err())
        .map(|(_, e)| e)
        .collect();
    request["Records"] = Value::Array(kept);
    Some((serde_json::to_vec(&request).ok()?, removed, total))
}

pub(super) fn failed_entry() -> Value {
    json!({
        "ErrorCode": FAILED_ENTRY_CODE,
        "ErrorMessage": "Rate exceeded for shard (fault proxy: entry not written)",
    })
}

/// The answer to the whole request, from the upstream answer to the request without the
/// `removed` entries: failure entries merged back at their positions, `FailedRecordCount`
/// raised. `None` when the upstream answer does not fit (then it is relayed as it is).
pub(super) fn merge_failures(
    upstream_body: &[u8],
    removed: &[usize],
    total: usize,
) -> Option<Vec<u8>> {
    let mut answer: Value = serde_json::from_slice(upstream_body).ok()?;
    let Value::Array(written) = answer.get_mut("Records")?.take() else {
        return None;
    };
    if written.len() + removed.len() != total {
        return None;
    }
    let mut written = written.into_iter();
    let merged: Vec<Value> = (0..total)
        .map(|i| {
            if removed.binary_search(&i).is_ok() {
                Some(failed_entry())
            } else {
                written.next()
            }
        })
        .collect::<Option<_>>()?;
    let upstream_failed = answer
        .get("FailedRecordCount")
        .and_then(Value::as_u64)
        .unwrap_or(0);
    answer["Records"] = Value::Array(merged);
    answer["FailedRecordCount"] = json!(upstream_failed + removed.len() as u64);
    serde_json::to_vec(&answer).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = r#"{"StreamName":"s","Records":[{"Data":"MA==","PartitionKey":"0"},{"Data":"MQ==","PartitionKey":"1"},{"Data":"Mg==","PartitionKey":"2"},{"Data":"Mw==","PartitionKey":"3"}]}"#;

    #[test]
    fn removes_entries_and_merges_failures_back_in_place() {
        let (body, removed, total) = remove_entries(BODY.as_bytes(), &[3, 1, 9, 1]).unwrap();
        assert_eq!((removed.as_slice(), total), (&[1, 3][..], 4));
        let sent: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(sent["StreamName"], "s");
        let keys: Vec<&str> = sent["Records"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["PartitionKey"].as_str().unwrap())
            .collect();
        assert_eq!(keys, ["0", "2"]);

        let upstream = br#"{"FailedRecordCount":0,"Records":[{"SequenceNumber":"10","ShardId":"shardId-0"},{"SequenceNumber":"12","ShardId":"shardId-0"}]}"#;
        let merged: Value =
            serde_json::from_slice(&merge_failures(upstream, &removed, total).unwrap()).unwrap();
        assert_eq!(merged["FailedRecordCount"], 2);
        let records = merged["Records"].as_array().unwrap();
        assert_eq!(records[0]["SequenceNumber"], "10");
        assert_eq!(records[1]["ErrorCode"], FAILED_ENTRY_CODE);
        assert_eq!(records[2]["SequenceNumber"], "12");
        assert_eq!(records[3]["ErrorCode"], FAILED_ENTRY_CODE);
        // An answer with the wrong number of entries is not merged.
        assert_eq!(merge_failures(upstream, &[1], 4), None);
        assert_eq!(remove_entries(b"{\"StreamName\":\"s\"}", &[0]), None);
    }
}
