//! `read`: rows out of the table's stream through the source, printed as JSON lines, CSV,
//! an aligned table or a `-f` template; with `-c`, `-e`, `--checkpoint` and clean Ctrl-C.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use kinesis_options::TableDef;
use kinesis_source::{
    Checkpoint, KinesisSource, LeaseChange, ShardMetrics, SourceContext, SourceError,
};

use crate::args::{Global, Offset, Output, ReadArgs};
use crate::error::{describe_kinesis_error, CliError};
use crate::output::{Printer, RecordView};
use crate::signals::Interrupts;
use crate::table;

/// How long one wait for a record lasts before the loop looks at Ctrl-C, `-e` and progress.
const POLL: Duration = Duration::from_millis(100);
/// How long `close` may take.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(10);

/// The `scan.stream.initpos*` options an `-o` value stands for (`seq:`/`after:`: the
/// shards other than the one the sequence number belongs to start at TRIM_HORIZON).
pub fn offset_options(offset: &Offset) -> Vec<(String, String)> {
    let pos = |v: &str| ("scan.stream.initpos".to_string(), v.to_string());
    match offset {
        Offset::Beginning | Offset::AtSequence(_) | Offset::AfterSequence(_) => {
            vec![pos("TRIM_HORIZON")]
        }
        Offset::End => vec![pos("LATEST")],
        Offset::AtMillis(ms) => vec![
            pos("AT_TIMESTAMP"),
            // Decimal epoch seconds are accepted whatever the timestamp format (§5.1).
            (
                "scan.stream.initpos-timestamp".to_string(),
                format!("{}.{:03}", ms.div_euclid(1000), ms.rem_euclid(1000)),
            ),
        ],
    }
}

/// Reads a checkpoint file; `None` when it does not exist yet.
pub fn load_checkpoint(path: &Path) -> Result<Option<Checkpoint>, CliError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Checkpoint::from_json(&text).map(Some).map_err(|e| {
            CliError::invalid(format!(
                "--checkpoint {}: not a checkpoint written by kinesis read: {e}",
                path.display()
            ))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(CliError::runtime(format!(
            "cannot read --checkpoint {}: {e}",
            path.display()
        ))),
    }
}

/// Writes the checkpoint atomically (decisions D20): a new temporary file beside it
/// (exclusive, mode 0600, never through a symlink), fsynced, renamed over it, directory
/// fsynced; a crash leaves either the old or the new checkpoint, never half of one, and a
/// failure leaves the old one intact.
pub fn save_checkpoint(path: &Path, checkpoint: &Checkpoint) -> Result<(), CliError> {
    if path.file_name().is_none() {
        return Err(CliError::usage(format!(
            "--checkpoint {} is not a file name",
            path.display()
        )));
    }
    let mut text = checkpoint.to_json();
    text.push('\n');
    crate::files::replace_atomically(path, text.as_bytes())
        .map_err(|e| CliError::runtime(format!("cannot save --checkpoint {}: {e}", path.display())))
}

/// The checkpoint to save for `stream`: the file's entries of other streams, kept as they
/// were (one file can serve several streams), plus the source's positions for `stream`.
pub fn merged_checkpoint(
    file: Option<&Checkpoint>,
    stream: &str,
    source: Checkpoint,
) -> Checkpoint {
    let mut merged = Checkpoint::default();
    if let Some(f) = file {
        merged
            .shards
            .extend(f.shards.iter().filter(|s| s.stream != stream).cloned());
        merged.consumer_arns.extend(
            f.consumer_arns
                .iter()
                .filter(|(k, _)| k.as_str() != stream)
                .map(|(k, v)| (k.clone(), v.clone())),
        );
    }
    merged.shards.extend(source.shards);
    merged.consumer_arns.extend(source.consumer_arns);
    merged
}

/// What to restore for `stream` from a checkpoint file: its entries for the stream, or
/// `None` (with the reason, for a warning) when it has none, or none of them names a shard
/// the stream has (`existing`): then the start position applies, as for a first run.
pub fn restorable(
    file: &Checkpoint,
    stream: &str,
    existing: &BTreeSet<String>,
) -> Result<Checkpoint, String> {
    let mine: Vec<_> = file
        .shards
        .iter()
        .filter(|s| s.stream == stream)
        .cloned()
        .collect();
    if mine.is_empty() {
        let others: BTreeSet<&str> = file.shards.iter().map(|s| s.stream.as_str()).collect();
        return Err(if others.is_empty() {
            format!("holds no shard position of stream {stream}")
        } else {
            format!(
                "holds no shard of stream {stream} (it has positions of {})",
                others.into_iter().collect::<Vec<_>>().join(", ")
            )
        });
    }
    if !mine.iter().any(|s| existing.contains(&s.shard_id)) {
        return Err(format!(
            "names none of stream {stream}'s shards ({} shard ids, e.g. {}; the stream was perhaps deleted and created again)",
            mine.len(),
            mine[0].shard_id
        ));
    }
    let mut restored = Checkpoint::new(mine);
    restored.consumer_arns = file
        .consumer_arns
        .iter()
        .filter(|(k, _)| k.as_str() == stream)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Ok(restored)
}

/// Decides when every shard is caught up (`-e`). A shard is caught up when it was read to
/// its end and the source knows at least one of its children (a closed shard always has
/// some, and the source adds them only after it marks the parent finished: without this
/// check a split during the run could end it before the children are read), or when at
/// least two GetRecords calls completed since a moment after which it delivered no record
/// while MillisBehindLatest was 0: the reader bumps the call counter before it emits a
/// response's records, so a second call proves the first one's batch (empty, since the
/// record count did not move) was completely handed over.
#[derive(Default)]
pub struct CaughtUp {
    since: BTreeMap<String, (u64, u64)>,
}

/// Ids of the shards that are a parent of some shard the source knows.
pub fn known_parents(checkpoint: &Checkpoint) -> BTreeSet<String> {
    checkpoint
        .shards
        .iter()
        .flat_map(|s| s.parent_shard_ids.iter().cloned())
        .collect()
}

impl CaughtUp {
    /// Feeds a metrics snapshot taken while no record was waiting, with the ids of the
    /// shards whose children are known ([`known_parents`]); `true` when every shard is
    /// caught up.
    pub fn observe(
        &mut self,
        metrics: &BTreeMap<String, ShardMetrics>,
        parents: &BTreeSet<String>,
    ) -> bool {
        let mut all = !metrics.is_empty();
        for (id, m) in metrics {
            if m.finished {
                self.since.remove(id);
                // A shard that ended without children (a server that ends an open shard)
                // has none to wait for.
                all &= parents.contains(id) || m.ended_without_children;
                continue;
            }
            // A server that never reports MillisBehindLatest is judged by empty batches alone.
            let at_tip = m.millis_behind_latest.is_none_or(|ms| ms == 0) && m.get_records_calls > 0;
            let done = match self.since.get(id) {
                Some(&(calls, records)) if at_tip && m.records == records => {
                    m.get_records_calls >= calls + 2
                }
                _ => {
                    if at_tip {
                        self.since
                            .insert(id.clone(), (m.get_records_calls, m.records));
                    } else {
                        self.since.remove(id);
                    }
                    false
                }
            };
            all &= done;
        }
        all
    }
}

/// How often skipped records are reported per shard while reading.
const SKIP_REPORT_INTERVAL: Duration = Duration::from_secs(5);

/// Records skipped under `*.ignore-parse-errors`, reported per shard once per interval
/// instead of once per record.
struct SkipReport {
    reported: BTreeMap<String, u64>,
    last: Instant,
}

impl Default for SkipReport {
    fn default() -> Self {
        SkipReport {
            reported: BTreeMap::new(),
            last: Instant::now(),
        }
    }
}

impl SkipReport {
    fn tick(&mut self, source: &KinesisSource) {
        if self.last.elapsed() >= SKIP_REPORT_INTERVAL {
            self.report(&source.metrics());
        }
    }

    /// One warning per shard that skipped records since the last report.
    fn report(&mut self, metrics: &BTreeMap<String, ShardMetrics>) {
        let since = self.last.elapsed();
        self.last = Instant::now();
        for (id, m) in metrics {
            let before = self
                .reported
                .insert(id.clone(), m.skipped_records)
                .unwrap_or(0);
            if m.skipped_records > before {
                log::warn!(
                    "shard {id}: {} records skipped as not decodable in the last {} (*.ignore-parse-errors; -vv shows each)",
                    m.skipped_records - before,
                    crate::output::human_duration(Duration::from_secs(since.as_secs().max(1)))
                );
            }
        }
    }
}

/// Why the read loop ended.
enum End {
    Count,
    CaughtUp,
    Interrupted,
}

fn progress_line(rows: u64, started: Instant, metrics: &BTreeMap<String, ShardMetrics>) -> String {
    let secs = started.elapsed().as_secs_f64().max(0.001);
    let lags: Vec<String> = metrics
        .values()
        .map(|m| {
            let id = m
                .shard_id
                .trim_start_matches("shardId-")
                .trim_start_matches('0');
            let id = if id.is_empty() { "0" } else { id };
            match (m.finished, m.millis_behind_latest) {
                (true, _) => format!("{id}:end"),
                (false, Some(ms)) => format!("{id}:{ms}ms"),
                (false, None) => format!("{id}:?"),
            }
        })
        .collect();
    format!(
        "\r\x1b[K{rows} rows, {:.0} rows/s, lag {}",
        rows as f64 / secs,
        lags.join(" ")
    )
}

/// Passes writes through and remembers whether the reader of the output went away
/// (`kinesis read | head`), which ends the run quietly instead of as a failure.
struct PipeWatch<'a> {
    inner: &'a mut dyn Write,
    broken: bool,
}

impl Write for PipeWatch<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.inner.write(buf).inspect_err(|e| {
            self.broken |= e.kind() == std::io::ErrorKind::BrokenPipe;
        })
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush().inspect_err(|e| {
            self.broken |= e.kind() == std::io::ErrorKind::BrokenPipe;
        })
    }
}

/// How long `close` may take after a normal end, and after a signal (`read` must stop
/// within a second of Ctrl-C).
const CLOSE_TIMEOUT_INTERRUPTED: Duration = Duration::from_millis(500);

/// The start position in force when nothing is restored, for messages.
fn start_position_text(table: &TableDef, offset: Option<&Offset>) -> String {
    use kinesis_options::StartPosition;
    let pos = match &table.source_options().start_position {
        StartPosition::Latest => "LATEST".to_string(),
        StartPosition::TrimHorizon => "TRIM_HORIZON".to_string(),
        StartPosition::AtTimestamp(t) => format!("AT_TIMESTAMP {}", t.to_rfc3339()),
    };
    match offset {
        Some(Offset::AtSequence(n)) => {
            format!("sequence number {n} in its shard, TRIM_HORIZON in the others (from -o)")
        }
        Some(Offset::AfterSequence(n)) => {
            format!("after sequence number {n} in its shard, TRIM_HORIZON in the others (from -o)")
        }
        Some(_) => format!("{pos} (from -o)"),
        None => format!("{pos} (scan.stream.initpos)"),
    }
}

/// Compares two decimal sequence numbers (up to 128 digits) as numbers.
fn cmp_sequence(a: &str, b: &str) -> std::cmp::Ordering {
    let (a, b) = (a.trim_start_matches('0'), b.trim_start_matches('0'));
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// The shard `sequence_number` belongs to. Its sequence number range must hold it; ranges
/// of open shards are open-ended and so overlap, so when several do, the server is asked
/// (GetShardIterator AT_SEQUENCE_NUMBER is refused for another shard's number), and among
/// those it accepts the one whose range starts last (a shard's numbers are issued after
/// its start).
fn owning_shard_of_sequence<'a>(
    client: &kinesis_wire::KinesisClient,
    stream: &str,
    shards: &'a [kinesis_wire::model::Shard],
    sequence_number: &str,
) -> Option<&'a kinesis_wire::model::Shard> {
    use std::cmp::Ordering::*;
    let mut candidates: Vec<&kinesis_wire::model::Shard> = shards
        .iter()
        .filter(|s| {
            let r = &s.sequence_number_range;
            cmp_sequence(&r.starting_sequence_number, sequence_number) != Greater
                && r.ending_sequence_number
                    .as_deref()
                    .is_none_or(|end| cmp_sequence(sequence_number, end) != Greater)
        })
        .collect();
    if candidates.len() > 1 {
        let accepted: Vec<&kinesis_wire::model::Shard> = candidates
            .iter()
            .copied()
            .filter(|s| {
                client
                    .get_shard_iterator(&kinesis_wire::model::GetShardIteratorInput::new(
                        stream,
                        s.shard_id.clone(),
                        kinesis_wire::model::StartingPosition::AtSequenceNumber(
                            sequence_number.to_string(),
                        ),
                    ))
                    .is_ok()
            })
            .collect();
        if !accepted.is_empty() {
            candidates = accepted;
        }
    }
    candidates.into_iter().max_by(|a, b| {
        cmp_sequence(
            &a.sequence_number_range.starting_sequence_number,
            &b.sequence_number_range.starting_sequence_number,
        )
    })
}

/// The checkpoint that starts `-o seq:N` (`at`) or `-o after:N` in the shard N belongs to;
/// every other shard is missing from it, so it starts at TRIM_HORIZON.
fn sequence_start(
    table: &TableDef,
    shards: &[kinesis_wire::model::Shard],
    sequence_number: &str,
    at: bool,
) -> Result<Checkpoint, CliError> {
    use kinesis_source::{ShardPosition, ShardState};
    let client = table::client(table.client_config())?;
    let shard = owning_shard_of_sequence(&client, table.stream(), shards, sequence_number)
        .ok_or_else(|| {
            CliError::runtime(format!(
                "no shard of stream {} holds sequence number {sequence_number} (it is outside every shard's sequence number range)",
                table.stream()
            ))
        })?;
    log::info!(
        "sequence number {sequence_number} belongs to {}; other shards start at TRIM_HORIZON",
        shard.shard_id
    );
    let position = if at {
        ShardPosition::AtSequence {
            sequence_number: sequence_number.to_string(),
        }
    } else {
        ShardPosition::Sequence {
            sequence_number: sequence_number.to_string(),
            sub_sequence_number: -1,
        }
    };
    Ok(Checkpoint::new(vec![ShardState::new(
        table.stream(),
        shard.shard_id.clone(),
        position,
    )]))
}

/// The shards the stream has now (one ListShards listing).
fn list_shards(table: &TableDef) -> Result<Vec<kinesis_wire::model::Shard>, CliError> {
    use kinesis_wire::model::ListShardsInput;
    let client = table::client(table.client_config())?;
    client
        .list_all_shards(
            &ListShardsInput::for_stream(table.stream().to_string()),
            &kinesis_wire::RetryPolicy::default(),
            &kinesis_wire::Shutdown::new(),
        )
        .map_err(|e| {
            CliError::runtime(format!(
                "ListShards of stream {}: {}",
                table.stream(),
                describe_kinesis_error(
                    Some(table.stream()),
                    &table.client_config().endpoint_url(),
                    &e
                )
            ))
        })
}

/// Runs `read`. Returns the number of rows printed.
pub fn run(global: &Global, args: &ReadArgs, out: &mut dyn Write) -> Result<u64, CliError> {
    let mut watch = PipeWatch {
        inner: out,
        broken: false,
    };
    let out: &mut dyn Write = &mut watch;
    let mut extra = args.offset.as_ref().map(offset_options).unwrap_or_default();
    if let Some(g) = &args.group {
        if let Some(Offset::AtSequence(_) | Offset::AfterSequence(_)) = &args.offset {
            return Err(CliError::usage(
                "-o seq:/after: cannot be used with --group: a group's positions are in its lease table (kinesis group reset)",
            ));
        }
        extra.push(("scan.lease.table".to_string(), g.clone()));
    }
    let table: TableDef = table::load(global, &extra)?;
    let stream = table.stream().to_string();
    // A raw table's default is its payloads as they are, one per line (kcat's); any other
    // table's is JSON lines.
    let output = args
        .output
        .unwrap_or(if table.format_options().name == "raw" {
            Output::Raw
        } else {
            Output::Json
        });
    let mut printer = Printer::new(table.columns(), output, args.format.as_deref())?;

    // A second signal quits at once: the checkpoint file never covers rows that were not
    // printed, so the next run prints them again (nothing is lost).
    // Before the first row (opening the source can wait on the network) a signal ends the
    // run at once too: nothing was printed, the checkpoint file is untouched.
    let interrupts = Interrupts::install()?;
    let reading = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    {
        let i = interrupts.clone();
        let reading = reading.clone();
        interrupts.on_signal(move |n| {
            if n >= 2 || !reading.load(std::sync::atomic::Ordering::SeqCst) {
                std::process::exit(i.exit_code());
            }
        });
    }

    let mut ctx = match args.subtask {
        Some(s) => SourceContext::new(s.index, s.count),
        None => SourceContext::default(),
    };
    let mut file_checkpoint: Option<Checkpoint> = None;
    let mut shards: Option<Vec<kinesis_wire::model::Shard>> = None;
    let mut restored = false;
    if let Some(path) = &args.checkpoint {
        if let Some(cp) = load_checkpoint(path)? {
            let listed = shards.insert(list_shards(&table)?);
            let ids: BTreeSet<String> = listed.iter().map(|s| s.shard_id.clone()).collect();
            match restorable(&cp, &stream, &ids) {
                Ok(mine) => {
                    log::info!(
                        "resuming from {} ({} shards of stream {stream})",
                        path.display(),
                        mine.shards.len()
                    );
                    ctx = ctx.restore(mine);
                    restored = true;
                }
                Err(why) => log::warn!(
                    "--checkpoint {} {why}: every shard starts at {}",
                    path.display(),
                    start_position_text(&table, args.offset.as_ref())
                ),
            }
            file_checkpoint = Some(cp);
        }
    }
    if let (false, Some(Offset::AtSequence(seq) | Offset::AfterSequence(seq))) =
        (restored, &args.offset)
    {
        let listed = match shards.take() {
            Some(s) => s,
            None => list_shards(&table)?,
        };
        let at = matches!(args.offset, Some(Offset::AtSequence(_)));
        ctx = ctx.restore(sequence_start(&table, &listed, seq, at)?);
    }

    let source = KinesisSource::open(&table, ctx).map_err(|e| source_error(&table, e))?;
    reading.store(true, std::sync::atomic::Ordering::SeqCst);
    // Progress goes to stderr only when it is a terminal. When stdout is that terminal too,
    // the line is drawn only while no row is coming and wiped before the next row, so rows
    // and progress never share a line.
    let progress = std::io::stderr().is_terminal() && !global.quiet();
    let stdout_tty = std::io::stdout().is_terminal();
    let mut progress_shown = false;
    let started = Instant::now();
    let mut last_progress = Instant::now();
    let mut last_save = Instant::now();
    let mut rows: u64 = 0;
    let mut caught_up = CaughtUp::default();
    // Saves the checkpoint after flushing every row it covers (D20), so a kill re-prints at
    // most about one interval of rows.
    let save = |printer: &mut Printer, out: &mut dyn Write, source: &KinesisSource| {
        if args.group.is_some() {
            // The group's checkpoints cover what reached the output.
            printer.flush(out)?;
            source.ack();
            return Ok(());
        }
        let Some(path) = &args.checkpoint else {
            return Ok(());
        };
        printer.flush(out)?;
        let cp = merged_checkpoint(file_checkpoint.as_ref(), &stream, source.checkpoint());
        save_checkpoint(path, &cp)
    };

    let mut skips = SkipReport::default();
    let mut last_events = Instant::now();
    let result: Result<End, CliError> = (|| loop {
        if interrupts.is_set() {
            return Ok(End::Interrupted);
        }
        skips.tick(&source);
        if args.group.is_some() && last_events.elapsed() >= POLL {
            report_lease_events(&source);
            last_events = Instant::now();
        }
        if last_save.elapsed() >= args.checkpoint_interval {
            save(&mut printer, out, &source)?;
            last_save = Instant::now();
        }
        if progress && !stdout_tty && last_progress.elapsed() >= Duration::from_secs(1) {
            eprint!("{}", progress_line(rows, started, &source.metrics()));
            last_progress = Instant::now();
        }
        let record = match source.recv_timeout(POLL) {
            Ok(Some(r)) => r,
            Ok(None) => {
                printer.flush(out)?;
                if args.group.is_some() {
                    source.ack();
                }
                if progress && stdout_tty && last_progress.elapsed() >= Duration::from_secs(1) {
                    eprint!("{}", progress_line(rows, started, &source.metrics()));
                    last_progress = Instant::now();
                    progress_shown = true;
                }
                if args.exit_at_end
                    && caught_up.observe(&source.metrics(), &known_parents(&source.checkpoint()))
                {
                    // Anything that arrived between the snapshot and now is printed first.
                    match source.try_recv().map_err(|e| source_error(&table, e))? {
                        None => return Ok(End::CaughtUp),
                        Some(r) => r,
                    }
                } else {
                    continue;
                }
            }
            Err(e) => return Err(source_error(&table, e)),
        };
        let view = RecordView {
            values: &record.row.values,
            // The bytes as stored in Kinesis (after KPL de-aggregation), not a re-encoding.
            payload: &record.data,
            partition_key: &record.partition_key,
            shard_id: &record.shard_id,
            sequence_number: &record.sequence_number,
            arrival_ms: record.arrival.map(|t| t.timestamp_millis()).unwrap_or(-1),
            stream: &record.stream,
        };
        if progress_shown {
            eprint!("\r\x1b[K");
            progress_shown = false;
        }
        printer.print(&view, out)?;
        rows += 1;
        if args.count.is_some_and(|c| rows >= c) {
            return Ok(End::Count);
        }
    })();

    let metrics = source.metrics();
    skips.report(&metrics);
    let skipped: u64 = metrics.values().map(|m| m.skipped_records).sum();
    let skipped_text = if skipped > 0 {
        format!(
            "; {skipped} records skipped as not decodable ({}.ignore-parse-errors)",
            table.format_options().name
        )
    } else {
        String::new()
    };
    if progress_shown {
        eprint!("\r\x1b[K");
    } else if progress && !stdout_tty {
        eprintln!("{}{skipped_text}", progress_line(rows, started, &metrics));
    } else if skipped > 0 && !global.quiet() {
        // Piped: no progress, but skipped records are never silent.
        eprintln!(
            "read {rows} rows from {stream} in {:.2} s{skipped_text}",
            started.elapsed().as_secs_f64()
        );
    }
    // Print what is held back before the checkpoint moves past it: a saved position must
    // never cover a row that did not reach the output.
    let flushed = printer.flush(out);
    if args.group.is_some() && flushed.is_ok() && !watch.broken {
        // Everything printed is acknowledged: close writes it to the group's leases and
        // releases them, so the next member starts right after.
        source.ack();
    }
    let checkpoint = source.checkpoint();
    let closed = source.close(if interrupts.is_set() {
        CLOSE_TIMEOUT_INTERRUPTED
    } else {
        CLOSE_TIMEOUT
    });
    if args.group.is_some() {
        report_lease_events(&source);
    }
    let stdout_gone = {
        let broken = result.as_ref().is_err() || flushed.is_err();
        broken && watch.broken
    };
    if stdout_gone {
        // The reader of our output stopped (e.g. `| head`): a normal way to end. Rows may
        // have been lost in the pipe, so the checkpoint stays where it was.
        log::info!("stdout closed after {rows} rows; checkpoint not saved");
        return Ok(rows);
    }
    if let Err(e) = &flushed {
        return Err(CliError::runtime(format!(
            "{e}; the checkpoint was not saved, so the next run reads those rows again"
        )));
    }
    if let Some(path) = &args.checkpoint {
        save_checkpoint(
            path,
            &merged_checkpoint(file_checkpoint.as_ref(), &stream, checkpoint),
        )?;
        log::info!("checkpoint saved to {}", path.display());
    }
    if let Err(e) = closed {
        log::warn!("closing the source: {e}");
    }
    match result? {
        End::Interrupted => {
            return Err(CliError::Interrupted {
                code: interrupts.exit_code(),
                message: match (&args.checkpoint, &args.group) {
                    (Some(p), _) => format!(
                        "interrupted after {rows} rows; checkpoint saved to {}",
                        p.display()
                    ),
                    (None, Some(g)) => {
                        format!("interrupted after {rows} rows; positions saved to group {g}")
                    }
                    (None, None) => format!("interrupted after {rows} rows"),
                },
            })
        }
        End::CaughtUp => log::info!("every shard caught up after {rows} rows"),
        End::Count => log::info!("read {rows} rows"),
    }
    Ok(rows)
}

/// Says which shards this member gained and lost (`-v`), one line each.
fn report_lease_events(source: &KinesisSource) {
    for e in source.lease_events() {
        let what = match e.change {
            LeaseChange::Gained => "gained",
            LeaseChange::Lost => "lost",
            LeaseChange::Released => "released",
            LeaseChange::Finished => "finished",
            _ => "changed",
        };
        match &e.previous_owner {
            Some(from) => log::info!(
                "worker {}: {what} shard {} (from {from})",
                source.worker_id().unwrap_or("?"),
                e.shard_id
            ),
            None => log::info!(
                "worker {}: {what} shard {}",
                source.worker_id().unwrap_or("?"),
                e.shard_id
            ),
        }
    }
}

fn source_error(table: &TableDef, e: SourceError) -> CliError {
    match e {
        // Missing credentials lead with what to do, whatever call found out.
        SourceError::Kinesis { error, .. }
            if crate::error::missing_credentials(&error).is_some() =>
        {
            CliError::runtime(describe_kinesis_error(
                Some(table.stream()),
                &table.client_config().endpoint_url(),
                &error,
            ))
        }
        SourceError::Kinesis { context, error } => CliError::runtime(format!(
            "{context}: {}",
            describe_kinesis_error(
                Some(table.stream()),
                &table.client_config().endpoint_url(),
                &error
            )
        )),
        SourceError::Config { message } => CliError::invalid(message),
        other => CliError::runtime(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_become_initpos_options() {
        assert_eq!(
            offset_options(&Offset::AtMillis(1_700_000_000_123)),
            vec![
                (
                    "scan.stream.initpos".to_string(),
                    "AT_TIMESTAMP".to_string()
                ),
                (
                    "scan.stream.initpos-timestamp".to_string(),
                    "1700000000.123".to_string()
                ),
            ]
        );
        assert_eq!(offset_options(&Offset::Beginning)[0].1, "TRIM_HORIZON");
        assert_eq!(offset_options(&Offset::End)[0].1, "LATEST");
    }

    fn m(id: &str, calls: u64, records: u64, behind: Option<u64>, finished: bool) -> ShardMetrics {
        let mut m = ShardMetrics::default();
        m.shard_id = id.into();
        m.records = records;
        m.millis_behind_latest = behind;
        m.get_records_calls = calls;
        m.finished = finished;
        m
    }

    #[test]
    fn caught_up_needs_two_quiet_calls_at_the_tip() {
        let snap = |v: Vec<ShardMetrics>| -> BTreeMap<String, ShardMetrics> {
            v.into_iter().map(|m| (m.shard_id.clone(), m)).collect()
        };
        let none = BTreeSet::new();
        let mut c = CaughtUp::default();
        assert!(!c.observe(
            &snap(vec![
                m("a", 1, 10, Some(0), false),
                m("b", 3, 0, Some(5), false)
            ]),
            &none
        ));
        // a: one more call only; b: now at the tip.
        assert!(!c.observe(
            &snap(vec![
                m("a", 2, 10, Some(0), false),
                m("b", 4, 0, Some(0), false)
            ]),
            &none
        ));
        // a: two calls since, no new record; b: records moved, so it starts over.
        assert!(!c.observe(
            &snap(vec![
                m("a", 3, 10, Some(0), false),
                m("b", 6, 2, Some(0), false)
            ]),
            &none
        ));
        assert!(c.observe(
            &snap(vec![
                m("a", 3, 10, Some(0), false),
                m("b", 8, 2, Some(0), false)
            ]),
            &none
        ));
        // A finished shard is caught up once a child of it is known; a shard never polled
        // (a child waiting for its parent) is not.
        let x_parent: BTreeSet<String> = ["x".to_string()].into();
        let mut c = CaughtUp::default();
        assert!(
            !c.observe(&snap(vec![m("x", 5, 1, Some(9), true)]), &none),
            "read to its end, children not yet discovered"
        );
        assert!(!c.observe(
            &snap(vec![m("x", 5, 1, Some(9), true), m("y", 0, 0, None, false)]),
            &x_parent
        ));
        assert!(!c.observe(
            &snap(vec![m("x", 5, 1, Some(9), true), m("y", 3, 0, None, false)]),
            &x_parent
        ));
        assert!(c.observe(
            &snap(vec![m("x", 5, 1, Some(9), true), m("y", 5, 0, None, false)]),
            &x_parent
        ));
    }

    #[test]
    fn checkpoint_files_are_replaced_atomically() {
        let dir = std::env::temp_dir().join(format!("kinesis-cli-cp-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("cp.json");
        assert_eq!(load_checkpoint(&path).unwrap(), None);
        let cp = Checkpoint::default();
        save_checkpoint(&path, &cp).unwrap();
        assert_eq!(load_checkpoint(&path).unwrap(), Some(cp));
        std::fs::write(&path, "not json").unwrap();
        assert_eq!(load_checkpoint(&path).unwrap_err().exit_code(), 2);
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            1,
            "no temporary left behind"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
