//! `describe`, `list-streams` and `find-shard` with `--output json` (issue #14, point 7):
//! one JSON document each, stable keys, parsed back and checked against the text forms
//! and the server. Against kinesis-mock.

mod common;

use common::{endpoint, kinesis, TempStream};
use serde_json::Value;

fn json(args: &[&str]) -> Value {
    let run = kinesis(args, None);
    assert_eq!(run.code, 0, "{args:?}\n{run:?}");
    serde_json::from_slice(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run:?}"))
}

#[test]
fn admin_commands_print_one_json_document() {
    let ep = endpoint();
    let stream = TempStream::create(&ep, "cli-json", 3);
    let e = ep.as_str();

    let doc = json(&["--endpoint", e, "list-streams", "--output", "json"]);
    let names: Vec<&str> = doc["streams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(names.contains(&stream.name.as_str()), "{doc}");

    let doc = json(&[
        "--endpoint",
        e,
        "describe",
        &stream.name,
        "--output",
        "json",
    ]);
    let keys: Vec<&str> = doc
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "arn",
            "consumers",
            "consumers_error",
            "encryption",
            "mode",
            "open_shards",
            "retention_hours",
            "shards",
            "status",
            "stream"
        ]
    );
    assert_eq!(doc["stream"], stream.name.as_str());
    assert_eq!(doc["status"], "ACTIVE");
    assert_eq!(doc["open_shards"], 3);
    assert_eq!(doc["consumers"], serde_json::json!([]));
    assert_eq!(doc["consumers_error"], Value::Null);
    let shards = doc["shards"].as_array().unwrap();
    assert_eq!(shards.len(), 3);
    for s in shards {
        assert_eq!(s["open"], true, "{s}");
        assert_eq!(s["parent_shard_id"], Value::Null);
        // Hash keys are strings (beyond a JSON number's precision) and tile the key space.
        s["hash_key_range"]["start"]
            .as_str()
            .unwrap()
            .parse::<u128>()
            .unwrap();
        s["hash_key_range"]["end"]
            .as_str()
            .unwrap()
            .parse::<u128>()
            .unwrap();
        assert!(s["sequence_number_range"]["start"].is_string());
        assert_eq!(s["sequence_number_range"]["end"], Value::Null);
    }
    assert_eq!(shards[0]["hash_key_range"]["start"], "0");
    assert_eq!(
        shards[2]["hash_key_range"]["end"],
        u128::MAX.to_string().as_str()
    );
    // The text form says the same.
    let run = kinesis(&["--endpoint", e, "describe", &stream.name], None);
    let text = run.stdout_text();
    assert!(text.contains(&format!("arn:         {}\n", doc["arn"].as_str().unwrap())));
    for s in shards {
        assert!(text.contains(s["shard_id"].as_str().unwrap()), "{text}");
    }

    let t = format!("stream={}", stream.name);
    let doc = json(&[
        "--endpoint",
        e,
        "-X",
        &t,
        "find-shard",
        "user-42",
        "--output",
        "json",
    ]);
    let hash: u128 = doc["hash_key"].as_str().unwrap().parse().unwrap();
    let start: u128 = doc["hash_key_range"]["start"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let end: u128 = doc["hash_key_range"]["end"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(start <= hash && hash <= end, "{doc}");
    assert_eq!(doc["partition_key"], "user-42");
    let run = kinesis(&["--endpoint", e, "-X", &t, "find-shard", "user-42"], None);
    assert_eq!(
        run.stdout_text(),
        format!("{}\n", doc["shard_id"].as_str().unwrap())
    );
}
