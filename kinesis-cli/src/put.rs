//! `put`: rows in, one per input line, through the sink to the table's stream. Whatever is
//! not written is saved, in the input's own form, to a file named in the error.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use kinesis_formats::Format;
use kinesis_options::TableDef;
use kinesis_sink::{KinesisSink, SinkContext, SinkError, SinkMetrics, SinkRecord};

use crate::args::{Global, Input, InputFormat};
use crate::error::{describe_kinesis_error, CliError};
use crate::table;

/// How long closing the sink (sending what is buffered) may take.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(300);

/// The input format when `--input-format` is not given: each line is a payload in the
/// table's own format (`raw`), except for avro, whose payloads are binary: then JSON lines.
pub fn default_input_format(table: &TableDef) -> InputFormat {
    if table.format_options().name == "avro" {
        InputFormat::Json
    } else {
        InputFormat::Raw
    }
}

/// The decoder of input lines: the table's format itself for `raw` input (and for csv/json
/// input when the table has that format, so its options apply), else that format with its
/// default options over the table's physical columns.
pub fn input_codec(table: &TableDef, input: InputFormat) -> Result<Format, CliError> {
    let name = match input {
        InputFormat::Raw => return Ok(table.format().clone()),
        InputFormat::Csv => "csv",
        InputFormat::Json => "json",
    };
    if table.format_options().name == name {
        return Ok(table.format().clone());
    }
    Format::from_options(name, &BTreeMap::new(), &table.physical_row_type()).map_err(|e| {
        CliError::invalid(format!(
            "--input-format {name} cannot carry this table's columns: {e}"
        ))
    })
}

/// Lines that did not reach Kinesis, kept in the input's form so the file can be fed back
/// with `kinesis put --input FILE`.
struct Unwritten {
    path: PathBuf,
    file: Option<File>,
    lines: u64,
}

impl Unwritten {
    fn add(&mut self, line: &[u8]) -> Result<(), CliError> {
        if self.file.is_none() {
            self.file = Some(File::create(&self.path).map_err(|e| {
                CliError::runtime(format!(
                    "records were not written and cannot be saved to {}: {e}",
                    self.path.display()
                ))
            })?);
        }
        let f = self.file.as_mut().expect("opened above");
        f.write_all(line)
            .and_then(|_| f.write_all(b"\n"))
            .map_err(|e| {
                CliError::runtime(format!(
                    "cannot save unwritten rows to {}: {e}",
                    self.path.display()
                ))
            })?;
        self.lines += 1;
        Ok(())
    }
}

/// Where unwritten rows go: `<input>.unwritten` beside an input file, else a new file in
/// the current directory.
fn unwritten_path(input: &Input) -> PathBuf {
    match input {
        Input::File(p) => {
            let mut s = p.clone().into_os_string();
            s.push(".unwritten");
            PathBuf::from(s)
        }
        Input::Stdin => PathBuf::from(format!(
            "kinesis-put-unwritten-{}.txt",
            chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ")
        )),
    }
}

/// Turns records handed back by the sink into input lines: the payload itself for raw
/// input; else the payload decoded by the table's format and encoded in the input format.
fn record_lines(
    records: Vec<SinkRecord>,
    table: &TableDef,
    input: InputFormat,
    codec: &Format,
) -> Vec<Vec<u8>> {
    records
        .into_iter()
        .map(|r| {
            if input == InputFormat::Raw {
                return r.data;
            }
            match table.format().decode(&r.data) {
                Ok(Some(row)) => {
                    let mut line = Vec::new();
                    match codec.encode(&row, &mut line) {
                        Ok(()) => line,
                        Err(_) => r.data,
                    }
                }
                _ => r.data,
            }
        })
        .collect()
}

/// A sink error for a person: a missing stream is said first, and a request that got no
/// answer at all names the endpoint it went to.
fn sink_error(table: &TableDef, e: &SinkError) -> String {
    let stream = table.stream();
    let endpoint = table.client_config().endpoint_url();
    match e {
        SinkError::Client(k) => describe_kinesis_error(Some(stream), &endpoint, k),
        SinkError::Failed(f)
            if f.code.as_deref() == Some(kinesis_wire::codes::RESOURCE_NOT_FOUND) =>
        {
            format!("stream '{stream}' not found: {e}")
        }
        // A PutRecords request that got no answer at all (refused, timeout, DNS, TLS).
        SinkError::Failed(f) if f.is_transport() => {
            format!(
                "cannot reach the Kinesis endpoint {endpoint} (check aws.endpoint / --endpoint and aws.region): {e}"
            )
        }
        other => other.to_string(),
    }
}

/// The summary line.
pub fn summary(m: &SinkMetrics, stream: &str, elapsed: Duration) -> String {
    let secs = elapsed.as_secs_f64();
    format!(
        "wrote {} records ({} bytes) to {stream} in {secs:.2} s: {:.0} records/s, {} retries",
        m.records_written,
        m.bytes_written,
        if secs > 0.0 {
            m.records_written as f64 / secs
        } else {
            0.0
        },
        m.records_retried
    )
}

/// Runs `put`.
pub fn run(
    global: &Global,
    input: &Input,
    input_format: Option<InputFormat>,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let table = table::load(global, &[])?;
    let format = input_format.unwrap_or_else(|| default_input_format(&table));
    let codec = input_codec(&table, format)?;
    let reader: Box<dyn BufRead> = match input {
        Input::Stdin => Box::new(BufReader::with_capacity(256 * 1024, std::io::stdin())),
        Input::File(p) => Box::new(BufReader::with_capacity(
            256 * 1024,
            File::open(p).map_err(|e| {
                CliError::runtime(format!("cannot read --input {}: {e}", p.display()))
            })?,
        )),
    };
    let stream = table.stream().to_string();
    let started = Instant::now();
    let sink = KinesisSink::open(&table, SinkContext::default()).map_err(|e| match e {
        SinkError::Options(o) => CliError::invalid(table::options_error(&o)),
        SinkError::Config { .. } => CliError::invalid(e.to_string()),
        other => CliError::runtime(format!(
            "cannot open the sink: {}",
            sink_error(&table, &other)
        )),
    })?;

    let mut unwritten = Unwritten {
        path: unwritten_path(input),
        file: None,
        lines: 0,
    };
    let mut problems: Vec<String> = Vec::new();
    let stop = crate::read::stop_flag()?;
    let input_spec = InputSpec {
        table: &table,
        format,
        codec: &codec,
    };
    let mut stats = FeedStats::new(std::io::stderr().is_terminal());
    let outcome = feed(
        &stop,
        &sink,
        reader,
        &input_spec,
        &mut unwritten,
        &mut problems,
        &mut stats,
    );
    stats.clear_progress();
    let no_row_lines = stats.no_row_lines;
    if no_row_lines > 0 {
        // Not an error (the table's options say so), but never silent.
        log::warn!(
            "{no_row_lines} input lines yielded no row (comments, or rows the format's options skip) and were not sent"
        );
    }
    let fatal = outcome.err();
    let closed = sink.close(CLOSE_TIMEOUT);
    if let Err(e) = closed {
        let message = sink_error(&table, &e);
        for line in record_lines(e.into_records(), &table, format, &codec) {
            unwritten.add(&line)?;
        }
        problems.push(message);
    }
    let metrics = sink.metrics();
    let text = summary(&metrics, &stream, started.elapsed());
    out.write_all(format!("{text}\n").as_bytes())
        .and_then(|_| out.flush())
        .map_err(|e| CliError::runtime(format!("cannot write to stdout: {e}")))?;
    if let Some(e) = fatal {
        problems.insert(0, e.to_string());
    }
    if unwritten.lines == 0 && problems.is_empty() {
        return Ok(());
    }
    if let Some(f) = unwritten.file.as_mut() {
        let _ = f.sync_all();
    }
    let mut message = String::new();
    if unwritten.lines > 0 {
        message.push_str(&format!(
            "{} rows not written; saved to {} (send them again with: kinesis put --input {}{})",
            unwritten.lines,
            unwritten.path.display(),
            unwritten.path.display(),
            match format {
                InputFormat::Raw => String::new(),
                InputFormat::Csv => " --input-format csv".into(),
                InputFormat::Json => " --input-format json".into(),
            }
        ));
    }
    for p in problems.iter().take(5) {
        if !message.is_empty() {
            message.push_str("\n  ");
        }
        message.push_str(p);
    }
    if problems.len() > 5 {
        message.push_str(&format!("\n  ... and {} more", problems.len() - 5));
    }
    Err(CliError::runtime(message))
}

/// What `feed` counts beside the sink's metrics, and the progress line it draws on stderr
/// (once a second, only when stderr is a terminal).
struct FeedStats {
    /// Lines the format turned into no row (comments, rows its options skip).
    no_row_lines: u64,
    progress: bool,
    started: Instant,
    last_drawn: Instant,
    shown: bool,
}

impl FeedStats {
    fn new(progress: bool) -> Self {
        FeedStats {
            no_row_lines: 0,
            progress,
            started: Instant::now(),
            last_drawn: Instant::now(),
            shown: false,
        }
    }

    fn progress(&mut self, lines_read: u64, sink: &KinesisSink) {
        if !self.progress || self.last_drawn.elapsed() < Duration::from_secs(1) {
            return;
        }
        let m = sink.metrics();
        let secs = self.started.elapsed().as_secs_f64().max(0.001);
        eprint!(
            "\r\x1b[K{lines_read} lines read, {} records written, {:.0} records/s, {} retries",
            m.records_written,
            m.records_written as f64 / secs,
            m.records_retried
        );
        self.last_drawn = Instant::now();
        self.shown = true;
    }

    /// Wipes the progress line, so the summary and messages start on a clean line.
    fn clear_progress(&mut self) {
        if self.shown {
            eprint!("\r\x1b[K");
            self.shown = false;
        }
    }
}

/// How input lines become rows, and handed-back records become input lines again.
struct InputSpec<'a> {
    table: &'a TableDef,
    format: InputFormat,
    codec: &'a Format,
}

fn strip_line_end(mut line: &[u8]) -> &[u8] {
    if line.last() == Some(&b'\n') {
        line = &line[..line.len() - 1];
        if line.last() == Some(&b'\r') {
            line = &line[..line.len() - 1];
        }
    }
    line
}

/// Reads every line into the sink. A line that does not parse, or a row the sink refuses,
/// is saved and reading goes on; a fatal sink error saves what the sink hands back and the
/// rest of the input, and ends the run.
fn feed(
    stop: &AtomicBool,
    sink: &KinesisSink,
    mut reader: Box<dyn BufRead>,
    input: &InputSpec<'_>,
    unwritten: &mut Unwritten,
    problems: &mut Vec<String>,
    stats: &mut FeedStats,
) -> Result<(), CliError> {
    let InputSpec {
        table,
        format,
        codec,
    } = *input;
    let mut buf = Vec::new();
    let mut line_no: u64 = 0;
    loop {
        stats.progress(line_no, sink);
        if stop.load(Ordering::SeqCst) {
            // What was given to the sink is still sent by close; nothing more is read.
            return Err(CliError::runtime(format!(
                "interrupted after input line {line_no}; the rest of the input was not read"
            )));
        }
        buf.clear();
        let n = reader.read_until(b'\n', &mut buf).map_err(|e| {
            CliError::runtime(format!("cannot read the input after line {line_no}: {e}"))
        })?;
        if n == 0 {
            return Ok(());
        }
        line_no += 1;
        let line = strip_line_end(&buf);
        if line.is_empty() {
            continue;
        }
        let row = match codec.decode(line) {
            Ok(Some(row)) => row,
            Ok(None) => {
                log::info!("input line {line_no} yields no row (comment or ignored parse error)");
                stats.no_row_lines += 1;
                continue;
            }
            Err(e) => {
                problems.push(format!("input line {line_no}: {e}"));
                unwritten.add(line)?;
                continue;
            }
        };
        match sink.write(&row) {
            Ok(()) => {}
            Err(e) if e.is_row_error() => {
                problems.push(format!("input line {line_no}: {e}"));
                unwritten.add(line)?;
            }
            Err(e) => {
                let message = sink_error(table, &e);
                for l in record_lines(e.into_records(), table, format, codec) {
                    unwritten.add(&l)?;
                }
                // This line was refused too (the sink had stopped), and nothing after it
                // was read: both go to the file as they are.
                unwritten.add(line)?;
                loop {
                    buf.clear();
                    match reader.read_until(b'\n', &mut buf) {
                        Ok(0) => break,
                        Ok(_) => {
                            let l = strip_line_end(&buf).to_vec();
                            if !l.is_empty() {
                                unwritten.add(&l)?;
                            }
                        }
                        Err(e) => {
                            problems.push(format!("cannot read the rest of the input: {e}"));
                            break;
                        }
                    }
                }
                return Err(CliError::runtime(message));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_ends_are_stripped() {
        assert_eq!(strip_line_end(b"a,b\r\n"), b"a,b");
        assert_eq!(strip_line_end(b"a,b\n"), b"a,b");
        assert_eq!(strip_line_end(b"a,b"), b"a,b");
    }

    #[test]
    fn unwritten_file_sits_beside_the_input() {
        assert_eq!(
            unwritten_path(&Input::File("/tmp/rows.csv".into())),
            PathBuf::from("/tmp/rows.csv.unwritten")
        );
        let p = unwritten_path(&Input::Stdin);
        assert!(p.to_str().unwrap().starts_with("kinesis-put-unwritten-"));
    }

    #[test]
    fn summary_has_every_figure() {
        let m = SinkMetrics {
            records_written: 1000,
            bytes_written: 52_000,
            records_retried: 3,
            ..Default::default()
        };
        assert_eq!(
            summary(&m, "s", Duration::from_millis(2000)),
            "wrote 1000 records (52000 bytes) to s in 2.00 s: 500 records/s, 3 retries"
        );
    }
}
