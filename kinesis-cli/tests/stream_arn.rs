//! On-demand streams and stream ARNs (issue #14, point 10): `create-stream --on-demand`
//! shown by `describe`; `-t` (and `stream`) take a stream ARN, requests then carry
//! `StreamARN`, and the region comes from the ARN when nothing else sets it.

mod common;

use common::{endpoint, kinesis};

#[test]
fn an_on_demand_stream_read_and_written_by_its_arn() {
    let ep = endpoint();
    let name = common::unique("cli-ondemand");
    let run = kinesis(
        &[
            "--endpoint",
            &ep,
            "create-stream",
            &name,
            "--on-demand",
            "--wait",
        ],
        None,
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        run.stdout_text(),
        format!("created stream {name} (on-demand), ACTIVE\n")
    );
    let run = kinesis(&["--endpoint", &ep, "describe", &name], None);
    assert!(
        run.stdout_text().contains("mode:        ON_DEMAND\n"),
        "{run:?}"
    );
    let run = kinesis(
        &["--endpoint", &ep, "describe", &name, "--output", "json"],
        None,
    );
    let doc: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(doc["mode"], "ON_DEMAND");
    let arn = doc["arn"].as_str().unwrap().to_string();
    assert!(arn.starts_with("arn:aws:kinesis:"), "{arn}");

    // By ARN, with no region anywhere but the ARN.
    let by_arn = ["--endpoint", ep.as_str(), "-t", arn.as_str()];
    let mut args = by_arn.to_vec();
    args.push("validate");
    let run = kinesis(&args, None);
    let doc: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let region = arn.split(':').nth(3).unwrap();
    assert_eq!(doc["options"]["aws.region"], region);
    assert_eq!(doc["resolved"]["aws.region"]["from"], "the stream ARN");
    let mut args = by_arn.to_vec();
    args.push("put");
    let run = kinesis(&args, Some(b"a\nb\n"));
    assert_eq!(run.code, 0, "{run:?}");
    let mut args = by_arn.to_vec();
    args.extend(["read", "-o", "beginning", "-e"]);
    let run = kinesis(&args, None);
    assert_eq!(run.code, 0, "{run:?}");
    let mut got: Vec<String> = run.stdout_text().lines().map(String::from).collect();
    got.sort();
    assert_eq!(got, ["a", "b"]);
    let run = kinesis(&["--endpoint", &ep, "delete-stream", &arn], None);
    assert_eq!(run.code, 0, "{run:?}");
}

/// kinesalite knows no `StreamARN`: its refusal shows the requests carry the ARN, not a
/// name.
#[test]
fn requests_by_arn_carry_stream_arn() {
    let ep = kinesis_tests::endpoint("KINESALITE_ENDPOINT");
    let arn = "arn:aws:kinesis:us-east-1:000000000000:stream/no-such-name";
    let run = kinesis(
        &[
            "--endpoint",
            &ep,
            "-t",
            arn,
            "read",
            "-o",
            "beginning",
            "-e",
        ],
        None,
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr
            .contains("Either NextToken or StreamName should be provided"),
        "{run:?}"
    );
}
