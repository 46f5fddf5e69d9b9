//! The caller's side of a shard's records: KPL de-aggregation, the format, metadata
//! columns. It runs on the thread that calls `recv`, so everything a [`SourceRecord`] owns is
//! allocated on the thread that will free it (with glibc, freeing memory another thread
//! allocated costs a contended arena lock per block: it tripled the cost per record). The
//! pages of Kinesis records go back to their reader thread to be freed there.

use std::cell::Cell;
use std::ops::Range;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use crossbeam_channel::Sender;
use kinesis_formats::{DataType, Decoder, FormatError, Row, Value};
use kinesis_options::MetadataKey;
use kinesis_wire::model::{RecordBatch, RecordRef};

use crate::checkpoint::ShardPosition;
use crate::deaggregate::{deaggregate, Deaggregated, KPL_MAGIC};
use crate::metrics::ShardCounters;
use crate::{SourceError, SourceRecord};

/// Where a column of the produced row comes from.
#[derive(Debug, Clone)]
enum Slot {
    Physical,
    /// A metadata key, with the declared type when it differs from the key's own type.
    Meta(MetadataKey, Option<DataType>),
}

/// How the produced row is assembled: the declared columns in order, physical ones from the
/// format's row and metadata ones from the record.
#[derive(Debug, Clone)]
pub(crate) struct RowLayout {
    slots: Vec<Slot>,
    /// No metadata column: the format's row is used as it is.
    identity: bool,
}

impl RowLayout {
    pub(crate) fn new(columns: &[kinesis_options::Column]) -> Result<RowLayout, SourceError> {
        let mut slots = Vec::with_capacity(columns.len());
        for c in columns {
            match c.metadata_key() {
                None if c.is_metadata() => {
                    return Err(SourceError::Config {
                        message: format!("column {} reads an unknown metadata key", c.name),
                    })
                }
                None => slots.push(Slot::Physical),
                Some(key) => {
                    let own = key.data_type();
                    let convert = (c.data_type.kind != own.kind).then(|| c.data_type.clone());
                    slots.push(Slot::Meta(key, convert));
                }
            }
        }
        let identity = slots.iter().all(|s| matches!(s, Slot::Physical));
        Ok(RowLayout { slots, identity })
    }

    fn build(
        &self,
        decoded: Row,
        shard_id: &str,
        sequence_number: &str,
        arrival: Option<DateTime<Utc>>,
    ) -> Result<Row, String> {
        if self.identity {
            return Ok(decoded);
        }
        let mut physical = decoded.values.into_iter();
        let mut values = Vec::with_capacity(self.slots.len());
        for slot in &self.slots {
            let v = match slot {
                Slot::Physical => physical.next().unwrap_or(Value::Null),
                Slot::Meta(key, convert) => {
                    let v = match key {
                        MetadataKey::Timestamp => {
                            arrival.map(Value::TimestampLtz).unwrap_or(Value::Null)
                        }
                        MetadataKey::ShardId => Value::String(shard_id.to_string()),
                        MetadataKey::SequenceNumber => Value::String(sequence_number.to_string()),
                    };
                    match convert {
                        None => v,
                        Some(t) => v.convert_to(t).map_err(|e| {
                            format!("metadata '{}' cannot be given as {t}: {e}", key.key())
                        })?,
                    }
                }
            };
            values.push(v);
        }
        Ok(Row::new(values))
    }
}

/// Turns a payload into the physical row.
pub(crate) enum RowDecoder {
    /// `format = raw` into one BINARY/VARBINARY column: the payload is the value (what the
    /// raw format's decoder produces), copied without a trip through the decoder.
    RawBytes,
    Format(Arc<dyn Decoder>),
}

impl RowDecoder {
    pub(crate) fn for_table(table: &kinesis_options::TableDef) -> RowDecoder {
        let physical: Vec<_> = table.physical_columns().collect();
        let bytes_column = physical.len() == 1
            && matches!(
                physical[0].data_type.kind,
                kinesis_formats::LogicalType::Binary(_)
                    | kinesis_formats::LogicalType::Varbinary(_)
            );
        if table.format().name() == "raw" && bytes_column {
            RowDecoder::RawBytes
        } else {
            RowDecoder::Format(table.format().decoder())
        }
    }

    fn decode(&self, data: &[u8]) -> Result<Option<Row>, FormatError> {
        match self {
            RowDecoder::RawBytes => Ok(Some(Row::new(vec![Value::Bytes(data.to_vec())]))),
            RowDecoder::Format(d) => d.decode(data),
        }
    }
}

/// The record's `ApproximateArrivalTimestamp` in milliseconds, as TIMESTAMP_LTZ(3)
/// (`TimestampData.fromEpochMillis`). `day` remembers the last calendar day met: records of
/// one page nearly always share it, and computing a date from a day number is most of the
/// cost of a timestamp.
fn arrival_time(ts: Option<f64>, day: &Cell<Option<(i64, NaiveDate)>>) -> Option<DateTime<Utc>> {
    const MILLIS_PER_DAY: i64 = 86_400_000;
    let millis = (ts? * 1000.0).round() as i64;
    let (n, in_day) = (
        millis.div_euclid(MILLIS_PER_DAY),
        millis.rem_euclid(MILLIS_PER_DAY),
    );
    let date = match day.get() {
        Some((known, date)) if known == n => date,
        _ => {
            let date =
                DateTime::from_timestamp_millis(n.checked_mul(MILLIS_PER_DAY)?)?.date_naive();
            day.set(Some((n, date)));
            date
        }
    };
    let time = NaiveTime::from_num_seconds_from_midnight_opt(
        (in_day / 1000) as u32,
        (in_day % 1000) as u32 * 1_000_000,
    )?;
    Some(date.and_time(time).and_utc())
}

/// One GetRecords page of one shard, on its way to the caller.
pub(crate) struct Page {
    pub slot: usize,
    pub records: RecordBatch,
    /// Restarting inside a KPL aggregate: its sub-records up to this one were handed out.
    pub skip_through: Option<(String, i64)>,
    /// The shard's hash range (KPL filtering).
    pub hash_range: Option<(u128, u128)>,
    /// Where the page goes back to be freed by the thread that allocated it.
    pub recycle: Sender<RecordBatch>,
}

/// A page being handed out.
pub(crate) struct Cursor {
    page: Page,
    /// Next Kinesis record to look at.
    next: usize,
    /// The user records of the aggregate at `agg_index` (partition key, byte range of the
    /// payload inside the record's data), and the next one to hand out.
    subs: Vec<(String, Range<usize>)>,
    agg_index: usize,
    sub_next: usize,
    /// The last record processed (handed out, skipped or filtered): index, sub-sequence.
    last: Option<(usize, i64)>,
    /// The calendar day of the last arrival time (see [`arrival_time`]).
    day: Cell<Option<(i64, NaiveDate)>>,
}

/// Everything the cursor needs from the source.
pub(crate) struct DecodeContext<'a> {
    pub stream: &'a Arc<str>,
    pub shard_id: &'a Arc<str>,
    pub counters: &'a ShardCounters,
    pub decoder: &'a RowDecoder,
    pub layout: &'a RowLayout,
    /// Copy the payload, partition key and sequence number into the record (false for
    /// callers that take only the row: no per-record copies besides the row).
    pub record_fields: bool,
}

impl Cursor {
    pub(crate) fn new(page: Page) -> Cursor {
        Cursor {
            page,
            next: 0,
            subs: Vec::new(),
            agg_index: 0,
            sub_next: 0,
            last: None,
            day: Cell::new(None),
        }
    }

    pub(crate) fn slot(&self) -> usize {
        self.page.slot
    }

    /// The shard's position after what was processed so far, if anything was.
    pub(crate) fn position(&self) -> Option<ShardPosition> {
        let (i, sub) = self.last?;
        Some(ShardPosition::Sequence {
            sequence_number: self.record(i).sequence_number.to_string(),
            sub_sequence_number: sub,
        })
    }

    fn record(&self, i: usize) -> RecordRef<'_> {
        self.page
            .records
            .get(i)
            .expect("record index inside the page")
    }

    /// Sends the page back to its reader, to be refilled or freed there.
    pub(crate) fn recycle(self) {
        let _ = self.page.recycle.send(self.page.records);
    }

    /// The next record to hand out; `Ok(None)` when the page is done.
    pub(crate) fn next_record(
        &mut self,
        cx: &DecodeContext<'_>,
    ) -> Result<Option<SourceRecord>, SourceError> {
        loop {
            // Pending user records of a KPL aggregate.
            if self.sub_next < self.subs.len() {
                let j = self.sub_next;
                self.sub_next += 1;
                let i = self.agg_index;
                let rec = self.record(i);
                if let Some((seq, through)) = &self.page.skip_through {
                    if *seq == rec.sequence_number && (j as i64) <= *through {
                        continue;
                    }
                }
                let (pk, range) = &self.subs[j];
                let data = &rec.data[range.clone()];
                let out = emit(cx, rec, data, Some(j as i64), pk, &self.day)?;
                self.last = Some((i, j as i64));
                match out {
                    Some(r) => return Ok(Some(r)),
                    None => continue,
                }
            }
            if self.next >= self.page.records.len() {
                return Ok(None);
            }
            let i = self.next;
            self.next += 1;
            let rec = self.record(i);
            if !rec.data.starts_with(&KPL_MAGIC) {
                let out = emit(cx, rec, rec.data, None, rec.partition_key, &self.day)?;
                self.last = Some((i, -1));
                match out {
                    Some(r) => return Ok(Some(r)),
                    None => continue,
                }
            }
            match deaggregate(rec.data, self.page.hash_range) {
                Deaggregated::Plain => {
                    let out = emit(cx, rec, rec.data, None, rec.partition_key, &self.day)?;
                    self.last = Some((i, -1));
                    if let Some(r) = out {
                        return Ok(Some(r));
                    }
                }
                Deaggregated::Records(subs) => {
                    let base = rec.data.as_ptr() as usize;
                    self.subs = subs
                        .iter()
                        .map(|u| {
                            let start = u.data.as_ptr() as usize - base;
                            (u.partition_key.to_string(), start..start + u.data.len())
                        })
                        .collect();
                    self.agg_index = i;
                    self.sub_next = 0;
                    if self.subs.is_empty() {
                        self.last = Some((i, -1));
                    }
                }
                Deaggregated::OutsideHashRange(n) => {
                    log::debug!(
                        "dropping KPL aggregate {} of shard {}: a user record lies outside the shard's hash range",
                        rec.sequence_number,
                        cx.shard_id
                    );
                    ShardCounters::add(&cx.counters.filtered_records, n as u64);
                    self.last = Some((i, -1));
                }
            }
        }
    }
}

/// Decodes one (user) record: `Ok(None)` when the format skips it.
fn emit(
    cx: &DecodeContext<'_>,
    rec: RecordRef<'_>,
    data: &[u8],
    sub: Option<i64>,
    partition_key: &str,
    day: &Cell<Option<(i64, NaiveDate)>>,
) -> Result<Option<SourceRecord>, SourceError> {
    let arrival = arrival_time(rec.approximate_arrival_timestamp, day);
    match cx.decoder.decode(data) {
        Ok(Some(row)) => {
            let row = cx
                .layout
                .build(row, cx.shard_id, rec.sequence_number, arrival)
                .map_err(|message| SourceError::Config { message })?;
            ShardCounters::add(&cx.counters.records, 1);
            let (sequence_number, partition_key, data) = if cx.record_fields {
                (
                    rec.sequence_number.to_string(),
                    partition_key.to_string(),
                    data.to_vec(),
                )
            } else {
                (String::new(), String::new(), Vec::new())
            };
            Ok(Some(SourceRecord {
                row,
                stream: cx.stream.clone(),
                shard_id: cx.shard_id.clone(),
                sequence_number,
                sub_sequence_number: sub,
                arrival,
                partition_key,
                data,
            }))
        }
        Ok(None) => {
            log::warn!(
                "Skipping non-deserializable record at sequence number {} of shard {}.",
                rec.sequence_number,
                cx.shard_id
            );
            ShardCounters::add(&cx.counters.skipped_records, 1);
            Ok(None)
        }
        Err(error) => Err(SourceError::Decode {
            stream: cx.stream.to_string(),
            shard_id: cx.shard_id.to_string(),
            sequence_number: rec.sequence_number.to_string(),
            sub_sequence_number: sub,
            error: Box::new(error),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use md5::{Digest, Md5};
    use std::collections::BTreeMap;

    fn record(seq: &str, data: &[u8]) -> kinesis_wire::model::Record {
        kinesis_wire::model::Record::new(seq, data.to_vec(), "pk")
            .approximate_arrival_timestamp(1.5)
    }

    /// A KPL aggregate of `n` user records `u0..`, keys `k0..`.
    fn aggregate(n: usize) -> Vec<u8> {
        let mut body = Vec::new();
        for i in 0..n {
            let k = format!("k{i}");
            body.extend_from_slice(&[0x0a, k.len() as u8]);
            body.extend_from_slice(k.as_bytes());
        }
        for i in 0..n {
            let d = format!("u{i}");
            let rec = [&[0x08, i as u8, 0x1a, d.len() as u8][..], d.as_bytes()].concat();
            body.extend_from_slice(&[0x1a, rec.len() as u8]);
            body.extend_from_slice(&rec);
        }
        let mut out = KPL_MAGIC.to_vec();
        out.extend_from_slice(&body);
        out.extend_from_slice(&Md5::digest(&body));
        out
    }

    fn seq(s: &str, sub: i64) -> Option<ShardPosition> {
        Some(ShardPosition::Sequence {
            sequence_number: s.into(),
            sub_sequence_number: sub,
        })
    }

    #[test]
    fn arrival_times_match_chrono_across_days() {
        let day = Cell::new(None);
        for ts in [
            1700000000.123,
            1700000000.9995,
            1700086399.999,
            1700086400.0,
            0.0,
            -0.0005,
            -1.5,
            -86400.001,
            1795745028.866,
            253402300799.999,
            1e300,
            f64::NAN,
        ] {
            let expected = DateTime::from_timestamp_millis((ts * 1000.0).round() as i64);
            assert_eq!(arrival_time(Some(ts), &day), expected, "{ts}");
        }
        assert_eq!(arrival_time(None, &day), None);
    }

    #[test]
    fn cursor_positions_follow_what_was_handed_out() {
        let (tx, rx) = crossbeam_channel::unbounded();
        let page = Page {
            slot: 0,
            records: [
                record("1", b"{\"a\":1}"),
                record("2", &aggregate(3)),
                record("3", b"{\"a\":"),
                record("4", b"{\"a\":4}"),
            ]
            .iter()
            .map(RecordRef::from)
            .collect(),
            skip_through: Some(("2".into(), 0)),
            hash_range: None,
            recycle: tx,
        };
        let columns = vec![kinesis_options::Column::physical(
            "a",
            DataType::parse("BIGINT").unwrap(),
        )];
        let mut options = BTreeMap::new();
        options.insert("json.ignore-parse-errors".to_string(), "true".to_string());
        let format = kinesis_formats::Format::from_options(
            "json",
            &options,
            &[kinesis_formats::RowField::new(
                "a",
                DataType::parse("BIGINT").unwrap(),
            )],
        )
        .unwrap();
        let decoder = RowDecoder::Format(format.decoder());
        let layout = RowLayout::new(&columns).unwrap();
        let counters = ShardCounters::default();
        let (stream, shard): (Arc<str>, Arc<str>) = (Arc::from("s"), Arc::from("shardId-0"));
        let cx = DecodeContext {
            stream: &stream,
            shard_id: &shard,
            counters: &counters,
            decoder: &decoder,
            layout: &layout,
            record_fields: true,
        };
        let mut cur = Cursor::new(page);
        assert_eq!(cur.position(), None);
        let r = cur.next_record(&cx).unwrap().unwrap();
        assert_eq!(r.row.values, vec![Value::BigInt(1)]);
        assert_eq!(cur.position(), seq("1", -1));
        // The aggregate's user records `u0..u2` are not JSON: u0 was handed out before the
        // restart (skip_through), u1 and u2 are skipped as undecodable, and so is record 3.
        let r = cur.next_record(&cx).unwrap().unwrap();
        assert_eq!(r.sequence_number, "4");
        assert_eq!(cur.position(), seq("4", -1));
        assert_eq!(
            counters
                .skipped_records
                .load(std::sync::atomic::Ordering::Relaxed),
            3
        );
        assert!(cur.next_record(&cx).unwrap().is_none());
        cur.recycle();
        assert_eq!(rx.try_recv().unwrap().len(), 4);
    }

    #[test]
    fn raw_bytes_and_kpl_sub_records_with_their_positions() {
        let (tx, _rx) = crossbeam_channel::unbounded();
        let page = Page {
            slot: 0,
            records: [record("7", &aggregate(2)), record("8", b"plain")]
                .iter()
                .map(RecordRef::from)
                .collect(),
            skip_through: None,
            hash_range: Some((0, u128::MAX)),
            recycle: tx,
        };
        let columns = vec![kinesis_options::Column::physical(
            "data",
            DataType::parse("BYTES").unwrap(),
        )];
        let layout = RowLayout::new(&columns).unwrap();
        let counters = ShardCounters::default();
        let (stream, shard): (Arc<str>, Arc<str>) = (Arc::from("s"), Arc::from("shardId-0"));
        let cx = DecodeContext {
            stream: &stream,
            shard_id: &shard,
            counters: &counters,
            decoder: &RowDecoder::RawBytes,
            layout: &layout,
            record_fields: true,
        };
        let mut cur = Cursor::new(page);
        let mut got = Vec::new();
        while let Some(r) = cur.next_record(&cx).unwrap() {
            got.push((
                r.row.values[0].clone(),
                r.partition_key.clone(),
                r.sub_sequence_number,
                cur.position(),
            ));
        }
        assert_eq!(
            got,
            vec![
                (
                    Value::Bytes(b"u0".to_vec()),
                    "k0".into(),
                    Some(0),
                    seq("7", 0)
                ),
                (
                    Value::Bytes(b"u1".to_vec()),
                    "k1".into(),
                    Some(1),
                    seq("7", 1)
                ),
                (
                    Value::Bytes(b"plain".to_vec()),
                    "pk".into(),
                    None,
                    seq("8", -1)
                ),
            ]
        );
    }
}
