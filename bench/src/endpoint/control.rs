//! A client of the endpoint's control operations (`KinesisBench.*`), for the driver, the
//! peers that read the endpoint's counters, and tests.

use serde_json::{json, Value};

use super::stats::Stats;

/// Calls the endpoint's control operations.
pub struct Control {
    url: String,
    agent: ureq::Agent,
}

/// The backlog a new stream starts with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prefill {
    pub records: u64,
    pub size: usize,
}

impl Control {
    pub fn new(url: &str) -> Control {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        Control {
            url: url.to_string(),
            agent,
        }
    }

    fn call(&self, op: &str, body: Value) -> Result<Vec<u8>, String> {
        let mut resp = self
            .agent
            .post(&self.url)
            .header("content-type", "application/x-amz-json-1.1")
            .header("x-amz-target", format!("KinesisBench.{op}"))
            .send(body.to_string())
            .map_err(|e| format!("KinesisBench.{op} at {}: {e}", self.url))?;
        let status = resp.status().as_u16();
        let bytes = resp
            .body_mut()
            .with_config()
            .limit(256 << 20)
            .read_to_vec()
            .map_err(|e| format!("KinesisBench.{op}: reading the answer: {e}"))?;
        if status != 200 {
            return Err(format!(
                "KinesisBench.{op}: HTTP {status}: {}",
                String::from_utf8_lossy(&bytes)
            ));
        }
        Ok(bytes)
    }

    /// Creates a stream of `shards` open shards, enforcing the per-shard limits if `limited`,
    /// keeping records if `retain`, with a backlog of [`crate::payload`] rows if `prefill`.
    pub fn create_stream(
        &self,
        name: &str,
        shards: usize,
        limited: bool,
        retain: bool,
        prefill: Option<Prefill>,
    ) -> Result<(), String> {
        let mut body = json!({
            "StreamName": name, "ShardCount": shards, "Limited": limited, "Retain": retain,
        });
        if let Some(p) = prefill {
            body["Prefill"] = json!({"Records": p.records, "Size": p.size});
        }
        self.call("CreateStream", body).map(drop)
    }

    /// Deletes a stream (no error if it does not exist).
    pub fn delete_stream(&self, name: &str) -> Result<(), String> {
        self.call("DeleteStream", json!({ "StreamName": name }))
            .map(drop)
    }

    /// The endpoint's counters (per shard too if `per_shard`).
    pub fn stats(&self, per_shard: bool) -> Result<Stats, String> {
        let bytes = self.call("Stats", json!({ "Shards": per_shard }))?;
        serde_json::from_slice(&bytes).map_err(|e| format!("KinesisBench.Stats answer: {e}"))
    }
}
