//! [`KinesisSink`]: rows in, through the table's format and partitioner, into a
//! [`RecordSink`].

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use kinesis_formats::{Encoder, Row};
use kinesis_options::{random_partition_key, PartitionKeyGenerator, PartitionerContext};
use kinesis_options::{HttpProtocol, Partitioner, TableDef};
use kinesis_wire::{KinesisClient, KinesisError};

use crate::config::{SinkConfig, SinkContext};
use crate::engine::RecordSink;
use crate::error::SinkError;
use crate::metrics::SinkMetrics;
use crate::record::SinkRecord;

/// Rows encoded outside the lock before `write_all` buffers them together.
const CHUNK: usize = 256;

enum Keys {
    /// `random`: a UUID v4 per record.
    Random,
    /// `fixed`: the subtask index (decisions D1).
    Fixed(String),
    /// PARTITIONED BY fields (Flink's algorithm, §4.3) or a registered partitioner (D15).
    Generator(Box<dyn PartitionKeyGenerator>),
}

/// Writes rows of a Kinesis table: each row (the table's physical columns, in order) is
/// encoded by the table's format, keyed by its partitioner (`random`, `fixed`, PARTITIONED
/// BY fields, or a registered name) and sent with PutRecords as reference §7 describes,
/// with the per-record retries of decisions D7. `Send + Sync`: many producer threads may
/// write through one `&KinesisSink` (or an `Arc`).
///
/// Nothing is dropped silently: a fatal error is returned from the next `write`, `flush`
/// or `close` and hands back every record not acknowledged, with its last error code.
///
/// ```no_run
/// use std::time::Duration;
/// use kinesis_formats::{Row, Value};
/// use kinesis_options::TableDef;
/// use kinesis_sink::{KinesisSink, SinkContext};
/// let table = TableDef::from_ddl("
///     CREATE TABLE orders (user_id BIGINT, behavior STRING) PARTITIONED BY (user_id)
///     WITH ('connector' = 'kinesis', 'stream' = 'orders', 'format' = 'csv',
///           'aws.region' = 'us-east-1', 'aws.endpoint' = 'http://127.0.0.1:4567',
///           'aws.credentials.provider' = 'BASIC',
///           'aws.credentials.basic.accesskeyid' = 'test',
///           'aws.credentials.basic.secretkey' = 'test')")?;
/// let sink = KinesisSink::open(&table, SinkContext::default())?;
/// sink.write(&Row::new(vec![Value::BigInt(7), Value::String("buy".into())]))?;
/// sink.close(Duration::from_secs(30))?; // sends what is buffered and waits for it
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct KinesisSink {
    records: RecordSink,
    encoder: Arc<dyn Encoder>,
    keys: Keys,
    arity: usize,
    /// Capacity for the next encoded row: the largest row seen so far.
    size_hint: AtomicUsize,
}

impl std::fmt::Debug for KinesisSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KinesisSink")
            .field("records", &self.records)
            .field("arity", &self.arity)
            .finish()
    }
}

impl KinesisSink {
    /// Opens a sink for `table`: checks what a sink needs (`aws.region`, no persisted
    /// metadata column), builds the client from the table's options and resolves its
    /// credentials now (as Flink's writer does at start), builds the partitioner for
    /// subtask `ctx`, and starts the batcher thread.
    pub fn open(table: &TableDef, ctx: SinkContext) -> Result<KinesisSink, SinkError> {
        table.check_sink_requirements()?;
        let client = table.sink_client().map_err(SinkError::Client)?;
        client
            .credentials_provider()
            .credentials()
            .map_err(|e| SinkError::Client(KinesisError::Credentials(e)))?;
        KinesisSink::open_with_client(table, ctx, client)
    }

    /// As [`KinesisSink::open`] with a client built by the caller (a custom transport,
    /// shared pool or credentials); the table's client options are not used.
    pub fn open_with_client(
        table: &TableDef,
        ctx: SinkContext,
        client: KinesisClient,
    ) -> Result<KinesisSink, SinkError> {
        KinesisSink::open_with_config(table, ctx, client, table.sink_config())
    }

    /// As [`KinesisSink::open_with_client`] with explicit sink settings instead of the
    /// table's `sink.*` options (the partitioner and format still come from the table).
    pub fn open_with_config(
        table: &TableDef,
        ctx: SinkContext,
        client: KinesisClient,
        config: SinkConfig,
    ) -> Result<KinesisSink, SinkError> {
        if ctx.parallelism == 0 || ctx.subtask_index >= ctx.parallelism {
            return Err(SinkError::Config {
                key: "SinkContext",
                message: format!(
                    "subtask index {} is not below the parallelism {}",
                    ctx.subtask_index, ctx.parallelism
                ),
            });
        }
        let options = table.sink_options();
        if options.http_client.protocol == HttpProtocol::Http2 {
            log::debug!(
                "sink.http-client.protocol.version=HTTP2 is served over HTTP/1.1 (decisions D17)"
            );
        }
        let row_type = table.physical_row_type();
        let keys = match &options.partitioner {
            Partitioner::Random => Keys::Random,
            Partitioner::Fixed => Keys::Fixed(ctx.subtask_index.to_string()),
            _ => Keys::Generator(table.partition_key_generator(&PartitionerContext {
                subtask_index: ctx.subtask_index,
                parallelism: ctx.parallelism,
                row_type: &row_type,
            })?),
        };
        let records = RecordSink::open(client, table.stream(), config)?;
        Ok(KinesisSink {
            records,
            encoder: table.format().encoder(),
            keys,
            arity: row_type.len(),
            size_hint: AtomicUsize::new(64),
        })
    }

    fn encode(&self, row_no: u64, row: &Row) -> Result<SinkRecord, SinkError> {
        if row.values.len() != self.arity {
            self.records.count_rejected();
            return Err(SinkError::RowArity {
                row: row_no,
                expected: self.arity,
                found: row.values.len(),
            });
        }
        let hint = self.size_hint.load(Ordering::Relaxed);
        let mut data = Vec::with_capacity(hint);
        if let Err(e) = self.encoder.encode(row, &mut data) {
            self.records.count_rejected();
            return Err(SinkError::Encode {
                row: row_no,
                error: Box::new(e),
            });
        }
        if data.len() > hint {
            self.size_hint.store(
                data.len().min(kinesis_wire::limits::MAX_RECORD_BYTES),
                Ordering::Relaxed,
            );
        }
        let partition_key = match &self.keys {
            Keys::Random => random_partition_key(),
            Keys::Fixed(k) => k.clone(),
            Keys::Generator(g) => g.partition_key(row),
        };
        Ok(SinkRecord::new(data, partition_key))
    }

    /// Encodes, keys and buffers one row; blocks while the buffer is full. A row that
    /// cannot be encoded or that Kinesis would refuse (data over 1 MiB, empty key, key over
    /// 256 characters) fails with an error naming it (its 1-based number among the rows
    /// given to this sink) and nothing is sent for it; the sink goes on.
    pub fn write(&self, row: &Row) -> Result<(), SinkError> {
        let row_no = self.records.reserve_rows(1);
        let record = self.encode(row_no, row)?;
        self.records.push_numbered(&mut Some((row_no, record)))
    }

    /// Writes rows in order, as [`KinesisSink::write`] each, encoding a few hundred at a
    /// time before buffering them together. Stops at the first failure: the rows before it
    /// are buffered, the ones after it are not (the error's row number tells which).
    pub fn write_all<'a>(&self, rows: impl IntoIterator<Item = &'a Row>) -> Result<(), SinkError> {
        let mut rows = rows.into_iter().peekable();
        let mut pending: VecDeque<(u64, SinkRecord)> = VecDeque::with_capacity(CHUNK);
        while rows.peek().is_some() {
            let mut encode_error = None;
            for row in rows.by_ref().take(CHUNK) {
                let row_no = self.records.reserve_rows(1);
                match self.encode(row_no, row) {
                    Ok(r) => pending.push_back((row_no, r)),
                    Err(e) => {
                        encode_error = Some(e);
                        break;
                    }
                }
            }
            self.records.push_numbered(&mut pending)?;
            if let Some(e) = encode_error {
                return Err(e);
            }
        }
        Ok(())
    }

    /// Sends everything written before this call and waits until Kinesis acknowledged it.
    pub fn flush(&self) -> Result<(), SinkError> {
        self.records.flush()
    }

    /// Flushes and stops, waiting at most `timeout`; see [`RecordSink::close`].
    pub fn close(&self, timeout: Duration) -> Result<(), SinkError> {
        self.records.close(timeout)
    }

    /// Refuses further writes and starts sending what is buffered, without waiting; see
    /// [`RecordSink::stop_writes`].
    pub fn stop_writes(&self) {
        self.records.stop_writes()
    }

    /// Stops at once without waiting for requests on the wire, handing back every record
    /// not acknowledged; see [`RecordSink::abort`].
    pub fn abort(&self) -> Result<(), SinkError> {
        self.records.abort()
    }

    /// Counters and gauges now.
    pub fn metrics(&self) -> SinkMetrics {
        self.records.metrics()
    }

    /// The record-level sink underneath (to send already-encoded records alongside rows).
    pub fn records(&self) -> &RecordSink {
        &self.records
    }
}
