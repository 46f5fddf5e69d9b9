//! `validate`: the table as one JSON object.

use std::io::Write;

use kinesis_options::{AwsEnvironment, ColumnKind, OptionsError, TableDef};
use serde_json::{json, Value as Json};

use crate::args::Global;
use crate::error::CliError;
use crate::table;

/// Runs `validate`: the table's document on `out`, or every problem of the table (exit 2).
pub fn run(global: &Global, out: &mut dyn Write) -> Result<(), CliError> {
    let t = table::load_in(global, &[], &AwsEnvironment::process(), true)?;
    let mut warnings = t.warnings().to_vec();
    if let Some(w) = source_only(&t) {
        log::warn!("{w}");
        warnings.push(w);
    }
    out.write_all(document(&t, &warnings, &resolved(global, &t)).as_bytes())
        .map_err(|e| CliError::runtime(format!("cannot write to stdout: {e}")))
}

/// Why the table could serve only as a source, if it could: no region resolves (a sink
/// needs one), or a persisted metadata column.
pub fn source_only(table: &TableDef) -> Option<String> {
    match table.check_sink_requirements() {
        Ok(()) => None,
        Err(OptionsError::MissingOptions(_)) => Some(
            "the table can serve only as a source: no region resolves for a sink (set aws.region, --region, AWS_REGION, AWS_DEFAULT_REGION or the profile's region)".to_string(),
        ),
        Err(e) => Some(format!("the table can serve only as a source: {e}")),
    }
}

/// `{key: {"value", "from"}}` for every option value not taken from the table: set on the
/// command line (`from`: the flag) or resolved from the AWS environment (`from`: the
/// variable, profile or stream ARN). Secrets are masked.
pub fn resolved(global: &Global, table: &TableDef) -> Json {
    let mut map = serde_json::Map::new();
    for (key, flag) in &global.origins {
        let value = global.option(key).unwrap_or_default();
        map.insert(
            key.clone(),
            json!({
                "value": kinesis_options::display_value(key, value),
                "from": flag,
            }),
        );
    }
    for r in table.resolved_from_environment() {
        map.insert(
            r.key.clone(),
            json!({
                "value": kinesis_options::display_value(&r.key, &r.value),
                "from": r.from,
            }),
        );
    }
    Json::Object(map)
}

/// The `validate` document: `{"table", "columns": [{"name", "type", "metadata", "virtual"}],
/// "partition_keys", "options": {key: value-as-string}, "warnings", "resolved": {key:
/// {"value", "from"}}}`, keys in that order, pretty-printed, with a final newline.
pub fn document(table: &TableDef, warnings: &[String], resolved: &Json) -> String {
    let columns: Vec<Json> = table
        .columns()
        .iter()
        .map(|c| {
            let (metadata, is_virtual) = match c.kind {
                ColumnKind::Metadata { key, is_virtual } => (json!(key.key()), is_virtual),
                ColumnKind::Physical => (Json::Null, false),
            };
            json!({
                "name": c.name,
                "type": c.data_type.to_string(),
                "metadata": metadata,
                "virtual": is_virtual,
            })
        })
        .collect();
    // serde_json sorts object keys; the top level is written by hand to keep the documented
    // order, and each column object is written with its keys in order too.
    let mut out = String::from("{\n");
    out.push_str(&format!("  \"table\": {},\n", json!(table.name())));
    out.push_str("  \"columns\": [");
    for (i, c) in columns.iter().enumerate() {
        out.push_str(if i == 0 { "\n    " } else { ",\n    " });
        out.push_str(&format!(
            "{{\"name\": {}, \"type\": {}, \"metadata\": {}, \"virtual\": {}}}",
            c["name"], c["type"], c["metadata"], c["virtual"]
        ));
    }
    out.push_str(if columns.is_empty() {
        "],\n"
    } else {
        "\n  ],\n"
    });
    out.push_str(&format!(
        "  \"partition_keys\": {},\n",
        json!(table.partition_keys())
    ));
    out.push_str(&format!(
        "  \"options\": {},\n",
        indent(
            &serde_json::to_string_pretty(&table.resolved_options())
                .expect("a string map serializes")
        )
    ));
    out.push_str(&format!(
        "  \"warnings\": {},\n",
        indent(&serde_json::to_string_pretty(warnings).expect("strings serialize"))
    ));
    out.push_str(&format!(
        "  \"resolved\": {}\n",
        indent(&serde_json::to_string_pretty(resolved).expect("JSON serializes"))
    ));
    out.push_str("}\n");
    out
}

/// Indents every line but the first by two spaces (nesting a pretty-printed value).
fn indent(text: &str) -> String {
    text.replace('\n', "\n  ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_is_one_json_object_with_every_part() {
        let t = TableDef::from_ddl(
            "CREATE TABLE KinesisTable (
              `user_id` BIGINT,
              `behavior` STRING,
              `shard_id` VARCHAR(128) NOT NULL METADATA FROM 'shard-id' VIRTUAL
            ) PARTITIONED BY (user_id)
            WITH ('connector' = 'kinesis', 'stream' = 'user_behavior', 'aws.region' = 'us-east-2',
                  'format' = 'csv', 'aws.credentials.provider' = 'BASIC',
                  'aws.credentials.basic.accesskeyid' = 'AKID',
                  'aws.credentials.basic.secretkey' = 'hush')",
        )
        .unwrap();
        let text = document(&t, t.warnings(), &json!({}));
        assert!(
            text.starts_with("{\n  \"table\": \"KinesisTable\",\n  \"columns\""),
            "{text}"
        );
        let doc: Json = serde_json::from_str(&text).unwrap();
        assert_eq!(doc["table"], "KinesisTable");
        assert_eq!(
            doc["columns"][0],
            json!({"name": "user_id", "type": "BIGINT", "metadata": null, "virtual": false})
        );
        assert_eq!(doc["columns"][2]["metadata"], "shard-id");
        assert_eq!(doc["columns"][2]["type"], "VARCHAR(128) NOT NULL");
        assert_eq!(doc["partition_keys"], json!(["user_id"]));
        assert_eq!(doc["options"]["sink.batch.max-size"], "500");
        assert_eq!(doc["options"]["aws.credentials.basic.secretkey"], "******");
        assert!(!text.contains("hush"));
        assert!(doc["warnings"].is_array());
        assert_eq!(doc["resolved"], json!({}));
        assert!(text.ends_with("  \"resolved\": {}\n}\n"), "{text}");
    }
}
