//! The Kinesis JSON 1.1 operations the peers use, and the endpoint's own control operations
//! (`KinesisBench.*`): one request in, one `(status, body)` out.
//!
//! Kinesis: `CreateStream`, `DeleteStream`, `ListStreams`, `DescribeStreamSummary`,
//! `ListShards`, `GetShardIterator`, `GetRecords`, `PutRecords`, `PutRecord`.
//! Control: `KinesisBench.CreateStream` (`StreamName`, `ShardCount`, `Limited`, `Retain`,
//! `Prefill: {Records, Size}`), `KinesisBench.Stats` ([`super::stats::Stats`]).

use std::borrow::Cow;
use std::time::Instant;

use serde::Deserialize;
use serde_json::{json, Value};

use super::limits::ShardLimits;
use super::stats::{Counters, Stats};
use super::store::{
    base64_decoded_len, iterator, parse_iterator, parse_sequence_number, sequence_number, Store,
    Stream, StreamSpec, Throttled,
};

/// An answer: HTTP status and JSON body.
pub type Answer = (u16, Vec<u8>);

fn ok(v: Value) -> Answer {
    (200, v.to_string().into_bytes())
}

/// A Kinesis error answer (`__type` and `message`).
pub fn error(status: u16, kind: &str, message: impl std::fmt::Display) -> Answer {
    (
        status,
        json!({"__type": kind, "message": message.to_string()})
            .to_string()
            .into_bytes(),
    )
}

fn not_found(name: &str) -> Answer {
    error(
        400,
        "ResourceNotFoundException",
        format!("Stream {name} under account 000000000000 not found."),
    )
}

fn bad(message: impl std::fmt::Display) -> Answer {
    error(400, "ValidationException", message)
}

fn throttled(stream: &Stream, shard: usize) -> String {
    format!(
        "Rate exceeded for shard {} in stream {} under account 000000000000.",
        stream.shards[shard].id, stream.name
    )
}

/// The endpoint's state: streams, request counters, the limits new limited streams get.
pub struct Api {
    pub store: Store,
    pub counters: Counters,
    pub limits: ShardLimits,
    pub started: Instant,
}

impl Api {
    pub fn new(limits: ShardLimits) -> Api {
        Api {
            store: Store::default(),
            counters: Counters::default(),
            limits,
            started: Instant::now(),
        }
    }

    /// Answers one request.
    pub fn handle(&self, target: &str, body: &[u8]) -> Answer {
        let op = target.rsplit('.').next().unwrap_or("");
        let control = target.starts_with("KinesisBench.");
        let counted = if control { "KinesisBench" } else { op };
        self.counters.count(counted);
        self.counters.count_bytes(counted, body.len());
        let answer = if control {
            self.control(op, body)
        } else {
            self.kinesis(op, body)
        };
        match answer {
            Ok(a) | Err(a) => a,
        }
    }

    fn kinesis(&self, op: &str, body: &[u8]) -> Result<Answer, Answer> {
        match op {
            "PutRecords" => self.put_records(body),
            "GetRecords" => self.get_records(body),
            _ => {
                let v: Value = serde_json::from_slice(body)
                    .map_err(|e| error(400, "SerializationException", e))?;
                match op {
                    "PutRecord" => self.put_record(&v),
                    "GetShardIterator" => self.get_shard_iterator(&v),
                    "ListShards" => self.list_shards(&v),
                    "DescribeStreamSummary" => self.describe_summary(&v),
                    "ListStreams" => Ok(ok(json!({
                        "StreamNames": self.store.all().iter().map(|s| s.name.clone()).collect::<Vec<_>>(),
                        "HasMoreStreams": false
                    }))),
                    "CreateStream" => {
                        let spec = StreamSpec {
                            name: str_field(&v, "StreamName")?.to_string(),
                            shards: v["ShardCount"].as_u64().unwrap_or(1) as usize,
                            limits: None,
                            retain: true,
                        };
                        self.create(&spec)
                    }
                    "DeleteStream" => {
                        let name = str_field(&v, "StreamName")?;
                        if self.store.delete(name) {
                            Ok(ok(json!({})))
                        } else {
                            Err(not_found(name))
                        }
                    }
                    _ => Err(error(
                        400,
                        "UnknownOperationException",
                        format!("the bench endpoint does not serve {op}"),
                    )),
                }
            }
        }
    }

    fn control(&self, op: &str, body: &[u8]) -> Result<Answer, Answer> {
        let v: Value = if body.is_empty() {
            json!({})
        } else {
            serde_json::from_slice(body).map_err(|e| error(400, "SerializationException", e))?
        };
        match op {
            "CreateStream" => {
                let spec = StreamSpec {
                    name: str_field(&v, "StreamName")?.to_string(),
                    shards: v["ShardCount"].as_u64().unwrap_or(1) as usize,
                    limits: v["Limited"]
                        .as_bool()
                        .unwrap_or(false)
                        .then_some(self.limits),
                    retain: v["Retain"].as_bool().unwrap_or(true),
                };
                let answer = self.create(&spec)?;
                if let Some(n) = v["Prefill"]["Records"].as_u64() {
                    let size = v["Prefill"]["Size"].as_u64().unwrap_or(100) as usize;
                    let s = self.store.get(&spec.name).expect("just created");
                    s.prefill(n, size);
                }
                Ok(answer)
            }
            "DeleteStream" => {
                self.store.delete(str_field(&v, "StreamName")?);
                Ok(ok(json!({})))
            }
            "Stats" => {
                let stats = Stats::collect(self, v["Shards"].as_bool().unwrap_or(false));
                Ok((200, serde_json::to_vec(&stats).expect("stats serialise")))
            }
            _ => Err(error(
                400,
                "UnknownOperationException",
                format!("no control operation {op}"),
            )),
        }
    }

    fn create(&self, spec: &StreamSpec) -> Result<Answer, Answer> {
        if spec.shards == 0 || spec.shards > 10_000 {
            return Err(bad(format!(
                "ShardCount {} is not in 1..=10000",
                spec.shards
            )));
        }
        match self.store.create(spec) {
            Some(_) => Ok(ok(json!({}))),
            None => Err(error(
                400,
                "ResourceInUseException",
                format!(
                    "Stream {} under account 000000000000 already exists.",
                    spec.name
                ),
            )),
        }
    }

    fn stream(&self, v: &Value) -> Result<std::sync::Arc<Stream>, Answer> {
        let name = v["StreamName"]
            .as_str()
            .or_else(|| v["StreamARN"].as_str())
            .ok_or_else(|| bad("StreamName or StreamARN is required"))?;
        self.store.get(name).ok_or_else(|| not_found(name))
    }

    fn put_records(&self, body: &[u8]) -> Result<Answer, Answer> {
        #[derive(Deserialize)]
        struct Entry<'a> {
            #[serde(rename = "Data", borrow)]
            data: Cow<'a, str>,
            #[serde(rename = "PartitionKey", borrow)]
            partition_key: Cow<'a, str>,
            #[serde(rename = "ExplicitHashKey", borrow, default)]
            explicit_hash_key: Option<Cow<'a, str>>,
        }
        #[derive(Deserialize)]
        struct Req<'a> {
            #[serde(rename = "StreamName", borrow, default)]
            stream_name: Option<Cow<'a, str>>,
            #[serde(rename = "StreamARN", borrow, default)]
            stream_arn: Option<Cow<'a, str>>,
            #[serde(rename = "Records", borrow)]
            records: Vec<Entry<'a>>,
        }
        let req: Req<'_> =
            serde_json::from_slice(body).map_err(|e| error(400, "SerializationException", e))?;
        let name = req
            .stream_name
            .as_deref()
            .or(req.stream_arn.as_deref())
            .ok_or_else(|| bad("StreamName or StreamARN is required"))?;
        let stream = self.store.get(name).ok_or_else(|| not_found(name))?;
        if req.records.is_empty() || req.records.len() > 500 {
            return Err(bad(format!(
                "Records has {} entries; PutRecords takes 1 to 500",
                req.records.len()
            )));
        }
        let now = Instant::now();
        let mut out = String::with_capacity(req.records.len() * 100 + 64);
        let mut failed = 0usize;
        out.push_str("{\"Records\":[");
        for (i, e) in req.records.iter().enumerate() {
            let size = base64_decoded_len(&e.data).ok_or_else(|| {
                error(
                    400,
                    "SerializationException",
                    format!("Records[{i}].Data is not base64"),
                )
            })?;
            let shard = match &e.explicit_hash_key {
                Some(h) => stream.shard_for_hash(
                    h.parse()
                        .map_err(|_| bad(format!("Records[{i}].ExplicitHashKey {h:?}")))?,
                ),
                None => stream.shard_for_key(&e.partition_key),
            };
            if i > 0 {
                out.push(',');
            }
            match shard.append(&e.data, size, &e.partition_key, stream.retain, now) {
                Ok(pos) => {
                    out.push_str("{\"SequenceNumber\":\"");
                    out.push_str(&sequence_number(shard.index, pos));
                    out.push_str("\",\"ShardId\":\"");
                    out.push_str(&shard.id);
                    out.push_str("\"}");
                }
                Err(Throttled) => {
                    failed += 1;
                    out.push_str(
                        "{\"ErrorCode\":\"ProvisionedThroughputExceededException\",\"ErrorMessage\":",
                    );
                    out.push_str(&Value::from(throttled(&stream, shard.index)).to_string());
                    out.push('}');
                }
            }
        }
        out.push_str(&format!(
            "],\"FailedRecordCount\":{failed},\"EncryptionType\":\"NONE\"}}"
        ));
        Ok((200, out.into_bytes()))
    }

    fn put_record(&self, v: &Value) -> Result<Answer, Answer> {
        let stream = self.stream(v)?;
        let data = str_field(v, "Data")?;
        let key = str_field(v, "PartitionKey")?;
        let size = base64_decoded_len(data).ok_or_else(|| bad("Data is not base64"))?;
        let shard = stream.shard_for_key(key);
        match shard.append(data, size, key, stream.retain, Instant::now()) {
            Ok(pos) => Ok(ok(json!({
                "SequenceNumber": sequence_number(shard.index, pos),
                "ShardId": shard.id,
            }))),
            Err(Throttled) => Err(error(
                400,
                "ProvisionedThroughputExceededException",
                throttled(&stream, shard.index),
            )),
        }
    }

    fn get_shard_iterator(&self, v: &Value) -> Result<Answer, Answer> {
        let stream = self.stream(v)?;
        let shard_id = str_field(v, "ShardId")?;
        let shard = stream
            .shards
            .iter()
            .find(|s| s.id == shard_id)
            .ok_or_else(|| {
                error(
                    400,
                    "ResourceNotFoundException",
                    format!("Shard {shard_id} in stream {} not found.", stream.name),
                )
            })?;
        let seq = || -> Result<u64, Answer> {
            let s = str_field(v, "StartingSequenceNumber")?;
            parse_sequence_number(s)
                .filter(|(sh, _)| *sh == shard.index)
                .map(|(_, i)| i)
                .ok_or_else(|| bad(format!("StartingSequenceNumber {s} is not of {shard_id}")))
        };
        let position = match str_field(v, "ShardIteratorType")? {
            "TRIM_HORIZON" => 0,
            "LATEST" => shard.len(),
            "AT_SEQUENCE_NUMBER" => seq()?,
            "AFTER_SEQUENCE_NUMBER" => seq()? + 1,
            "AT_TIMESTAMP" => {
                let ts = v["Timestamp"]
                    .as_f64()
                    .ok_or_else(|| bad("Timestamp (epoch seconds) is required"))?;
                shard.position_at((ts * 1000.0).round() as i64)
            }
            other => return Err(bad(format!("ShardIteratorType {other}"))),
        };
        Ok(ok(
            json!({"ShardIterator": iterator(&stream.name, shard.index, position)}),
        ))
    }

    fn get_records(&self, body: &[u8]) -> Result<Answer, Answer> {
        #[derive(Deserialize)]
        struct Req<'a> {
            #[serde(rename = "ShardIterator", borrow)]
            shard_iterator: Cow<'a, str>,
            #[serde(rename = "Limit", default)]
            limit: Option<u64>,
        }
        let req: Req<'_> =
            serde_json::from_slice(body).map_err(|e| error(400, "SerializationException", e))?;
        let (name, shard, pos) = parse_iterator(&req.shard_iterator).ok_or_else(|| {
            bad(format!(
                "ShardIterator {:?} is not one of this endpoint's",
                req.shard_iterator
            ))
        })?;
        let stream = self.store.get(name).ok_or_else(|| not_found(name))?;
        let s = stream
            .shards
            .get(shard)
            .ok_or_else(|| bad(format!("ShardIterator names shard {shard}")))?;
        let limit = req.limit.unwrap_or(10_000) as usize;
        let out = s.read(pos, limit, Instant::now()).map_err(|Throttled| {
            error(
                400,
                "ProvisionedThroughputExceededException",
                throttled(&stream, shard),
            )
        })?;
        let next = iterator(&stream.name, shard, out.next);
        let mut body = String::with_capacity(out.records_json.len() + 160);
        body.push_str("{\"Records\":[");
        body.push_str(&out.records_json);
        body.push_str("],\"NextShardIterator\":\"");
        body.push_str(&next);
        body.push_str(&format!(
            "\",\"MillisBehindLatest\":{}}}",
            out.millis_behind
        ));
        Ok((200, body.into_bytes()))
    }

    fn list_shards(&self, v: &Value) -> Result<Answer, Answer> {
        // NextToken is "<offset>:<stream>".
        let (stream, from) = match v["NextToken"].as_str() {
            Some(t) => {
                let (off, name) = t
                    .split_once(':')
                    .ok_or_else(|| error(400, "InvalidArgumentException", "bad NextToken"))?;
                let s = self.store.get(name).ok_or_else(|| not_found(name))?;
                (s, off.parse::<usize>().unwrap_or(0))
            }
            None => {
                let s = self.stream(v)?;
                let from = match v["ExclusiveStartShardId"].as_str() {
                    Some(id) => s
                        .shards
                        .iter()
                        .position(|x| x.id == id)
                        .map_or(0, |p| p + 1),
                    None => 0,
                };
                (s, from)
            }
        };
        let max = v["MaxResults"].as_u64().unwrap_or(1000).clamp(1, 10_000) as usize;
        let page: Vec<Value> = stream
            .shards
            .iter()
            .skip(from)
            .take(max)
            .map(|s| {
                json!({
                    "ShardId": s.id,
                    "HashKeyRange": {
                        "StartingHashKey": s.starting_hash_key.to_string(),
                        "EndingHashKey": s.ending_hash_key.to_string(),
                    },
                    "SequenceNumberRange": {
                        "StartingSequenceNumber": sequence_number(s.index, 0),
                    },
                })
            })
            .collect();
        let mut answer = json!({ "Shards": page });
        if from + max < stream.shards.len() {
            answer["NextToken"] = Value::from(format!("{}:{}", from + max, stream.name));
        }
        Ok(ok(answer))
    }

    fn describe_summary(&self, v: &Value) -> Result<Answer, Answer> {
        let s = self.stream(v)?;
        Ok(ok(json!({
            "StreamDescriptionSummary": {
                "StreamName": s.name,
                "StreamARN": s.arn,
                "StreamStatus": "ACTIVE",
                "StreamModeDetails": {"StreamMode": "PROVISIONED"},
                "RetentionPeriodHours": 24,
                "StreamCreationTimestamp": s.created_ms as f64 / 1000.0,
                "EnhancedMonitoring": [{"ShardLevelMetrics": []}],
                "EncryptionType": "NONE",
                "OpenShardCount": s.shards.len(),
                "ConsumerCount": 0,
            }
        })))
    }
}

fn str_field<'a>(v: &'a Value, name: &str) -> Result<&'a str, Answer> {
    v[name]
        .as_str()
        .ok_or_else(|| bad(format!("{name} is required")))
}
