//! `put`: rows in, one per input line, through the sink to the table's stream. Whatever is
//! not written is saved, in the input's own form, to a file named in the error.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kinesis_formats::Format;
use kinesis_options::TableDef;
use kinesis_sink::{KinesisSink, SinkContext, SinkError, SinkMetrics, SinkRecord};

use crate::args::{Global, Input, InputFormat, PutArgs};
use crate::error::{describe_kinesis_error, CliError};
use crate::files;
use crate::input::{LineInput, Next};
use crate::keying::Keying;
use crate::signals::Interrupts;
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

/// The input format a file's extension names: `.csv`; `.json`, `.jsonl`, `.ndjson`.
pub fn format_of_extension(path: &std::path::Path) -> Option<InputFormat> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    match ext.as_str() {
        "csv" => Some(InputFormat::Csv),
        "json" | "jsonl" | "ndjson" => Some(InputFormat::Json),
        _ => None,
    }
}

/// The input format: `--input-format`; else, for a table that is not raw (whose lines are
/// payloads whatever the file is called), the input file's extension; else
/// [`default_input_format`].
pub fn choose_input_format(table: &TableDef, args: &PutArgs) -> InputFormat {
    if let Some(f) = args.input_format {
        return f;
    }
    if let (Input::File(path), false) = (&args.input, table.format_options().name == "raw") {
        if let Some(f) = format_of_extension(path) {
            log::info!(
                "--input-format {f:?} from the extension of {}",
                path.display()
            );
            return f;
        }
    }
    default_input_format(table)
}

/// How many input lines that do not parse, with none parsed before them, stop `put`
/// early: the input is most likely in another format.
const EARLY_STOP_LINES: u64 = 10;

/// The format an input line looks like, for the hint when nothing parses.
fn sniff(line: &[u8]) -> Option<InputFormat> {
    let t = line.trim_ascii();
    if t.starts_with(b"{") && t.ends_with(b"}") {
        Some(InputFormat::Json)
    } else if t.contains(&b',') || t.contains(&b';') || t.contains(&b'\t') {
        Some(InputFormat::Csv)
    } else {
        None
    }
}

fn format_name(f: InputFormat) -> &'static str {
    match f {
        InputFormat::Csv => "csv",
        InputFormat::Json => "json",
        InputFormat::Raw => "raw",
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
            // Exclusive, 0600, never through a planted symlink; a taken name moves on to
            // `NAME.1`, `NAME.2`, ... (the message names the file used).
            let (path, file) = files::create_private_numbered(&self.path).map_err(|e| {
                CliError::runtime(format!(
                    "records were not written and cannot be saved to {}: {e}",
                    self.path.display()
                ))
            })?;
            if path != self.path {
                log::warn!(
                    "{} exists; saving unwritten rows to {} instead",
                    self.path.display(),
                    path.display()
                );
            }
            self.path = path;
            self.file = Some(file);
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
/// the current directory. (When the name is taken, the next free `.N` suffix is used.)
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
/// input; else the payload decoded by the table's format and encoded in the input format;
/// with `-K`, the key and the delimiter before it.
fn record_lines(records: Vec<SinkRecord>, spec: &FinishSpec) -> Vec<Vec<u8>> {
    records
        .into_iter()
        .map(|r| {
            let payload = if spec.format == InputFormat::Raw {
                r.data
            } else {
                match spec.table.format().decode(&r.data) {
                    Ok(Some(row)) => {
                        let mut line = Vec::new();
                        match spec.codec.encode(&row, &mut line) {
                            Ok(()) => line,
                            Err(_) => r.data,
                        }
                    }
                    _ => r.data,
                }
            };
            spec.keying.line(&r.partition_key, payload)
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
        // A PutRecords request that could not connect (refused, unknown host, connect
        // timeout); a timeout waiting for an answer says so in its own words.
        SinkError::Failed(f) if f.cause_error().is_some_and(|e| e.is_connect_failure()) => {
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
    let mut line = format!(
        "wrote {} records ({} bytes) to {stream} in {secs:.2} s: {:.0} records/s, {} retries",
        m.records_written,
        m.bytes_written,
        if secs > 0.0 {
            m.records_written as f64 / secs
        } else {
            0.0
        },
        m.records_retried
    );
    // With sink.aggregation.enabled: how many Kinesis records carried them.
    if m.kinesis_records_written > 0 && m.kinesis_records_written != m.records_written {
        line.push_str(&format!(
            ", in {} aggregated Kinesis records",
            m.kinesis_records_written
        ));
    }
    if m.records_resent > 0 {
        line.push_str(&format!(
            ", {} re-sent after a reshard (a reader that does not filter aggregates may see them twice)",
            m.records_resent
        ));
    }
    line
}

/// What a run shares between the main thread and the signal thread: the input, what was
/// saved, and what went wrong. The signal thread finishes the run itself only when the main
/// thread does not (it can be inside a request with `sink.requests.max-inflight = 1`).
struct RunState {
    input: LineInput,
    unwritten: Unwritten,
    problems: Vec<String>,
    /// The last input line taken (sent, saved or skipped).
    line_no: u64,
    /// Rows given to the sink (not counting rows it refused as invalid), and records it
    /// handed back: every row given ends up acknowledged or handed back, which `finish`
    /// checks.
    given: u64,
    returned: u64,
    /// What `abort` handed back (from the signal thread).
    aborted: Option<SinkError>,
    /// Lines that parsed, and lines that did not (the first of which is kept for the hint).
    parsed: u64,
    unparsed: u64,
    first_unparsed: Option<Vec<u8>>,
}

/// Set by whichever thread finishes the run first (prints the summary and exits).
static FINISHING: AtomicBool = AtomicBool::new(false);

/// Runs `put`. On the first SIGINT/SIGTERM it stops reading, sends what the sink holds for
/// up to `drain_timeout`, then saves what was not acknowledged; a second signal does that
/// at once (see the README).
pub fn run(global: &Global, args: &PutArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let (input, drain_timeout) = (&args.input, args.drain_timeout);
    let table = table::load(global, &[])?;
    let keying = Keying::new(
        &table,
        args.key_delimiter.as_deref(),
        args.key_column.as_deref(),
    )?;
    let format = choose_input_format(&table, args);
    let codec = input_codec(&table, format)?;
    let lines = match input {
        Input::Stdin => LineInput::stdin(),
        Input::File(p) => LineInput::file(p)
            .map_err(|e| CliError::runtime(format!("cannot read --input {}: {e}", p.display())))?,
    };
    let stream = table.stream().to_string();
    let started = Instant::now();
    let context = match args.subtask {
        Some(s) => SinkContext {
            subtask_index: s.index,
            parallelism: s.count,
        },
        None => SinkContext::default(),
    };
    let sink = Arc::new(KinesisSink::open(&table, context).map_err(|e| match e {
        SinkError::Options(o) => CliError::invalid(table::options_error(&o, global.verbosity > 0)),
        SinkError::Config { .. } => CliError::invalid(e.to_string()),
        // Missing credentials lead with what to do.
        SinkError::Client(k) if crate::error::missing_credentials(&k).is_some() => {
            CliError::runtime(sink_error(&table, &SinkError::Client(k)))
        }
        other => CliError::runtime(format!(
            "cannot open the sink: {}",
            sink_error(&table, &other)
        )),
    })?);
    let state = Arc::new(Mutex::new(RunState {
        input: lines,
        unwritten: Unwritten {
            path: unwritten_path(input),
            file: None,
            lines: 0,
        },
        problems: Vec::new(),
        line_no: 0,
        given: 0,
        returned: 0,
        aborted: None,
        parsed: 0,
        unparsed: 0,
        first_unparsed: None,
    }));
    let spec = Arc::new(FinishSpec {
        table: table.clone(),
        format,
        codec: codec.clone(),
        input: input.clone(),
        stream: stream.clone(),
        started,
        quiet: global.quiet(),
        keying,
    });
    let interrupts = Interrupts::install()?;
    {
        let (sink, state, spec, interrupts2) = (
            sink.clone(),
            state.clone(),
            spec.clone(),
            interrupts.clone(),
        );
        interrupts
            .on_signal(move |n| on_interrupt(n, &sink, &state, &spec, &interrupts2, drain_timeout));
    }

    // Typing at a terminal: no progress line drawn over the text being typed, but one line
    // saying when typed rows leave.
    let typing = matches!(input, Input::Stdin) && std::io::stdin().is_terminal();
    if typing && !global.quiet() {
        eprintln!(
            "kinesis: type one row per line; each is sent within {} (sink.flush-buffer.timeout); Ctrl-D ends, Ctrl-C stops",
            crate::output::human_duration(table.sink_options().flush_buffer_timeout)
        );
    }
    let mut stats = FeedStats::new(std::io::stderr().is_terminal() && !typing);
    let outcome = feed(&interrupts, &sink, &state, &spec, &mut stats);
    stats.clear_progress();
    let no_row_lines = stats.no_row_lines;
    if no_row_lines > 0 {
        // Not an error (the table's options say so), but never silent.
        log::warn!(
            "{no_row_lines} input lines yielded no row (comments, or rows the format's options skip) and were not sent"
        );
    }
    if let Err(e) = outcome {
        lock(&state).problems.insert(0, e.to_string());
    }
    let closed = sink.close(CLOSE_TIMEOUT);
    finish(&sink, &state, &spec, &interrupts, closed, out)
}

/// What `finish` needs to know about the run, shared with the signal thread.
struct FinishSpec {
    table: TableDef,
    format: InputFormat,
    codec: Format,
    input: Input,
    stream: String,
    started: Instant,
    /// `-q`: no summary line.
    quiet: bool,
    keying: Keying,
}

fn lock(state: &Mutex<RunState>) -> std::sync::MutexGuard<'_, RunState> {
    state.lock().unwrap_or_else(|p| p.into_inner())
}

/// The signal thread's part: the first signal stops writes and starts the drain window,
/// the second (or the end of the window) aborts the sink.
fn on_interrupt(
    n: usize,
    sink: &Arc<KinesisSink>,
    state: &Arc<Mutex<RunState>>,
    spec: &Arc<FinishSpec>,
    interrupts: &Interrupts,
    drain_timeout: Duration,
) {
    if n == 1 {
        sink.stop_writes();
        let m = sink.metrics();
        eprintln!(
            "\r\x1b[Kinterrupted: sending {} buffered rows for up to {}; interrupt again to stop now",
            m.buffered_records + m.in_flight_records,
            crate::output::human_duration(drain_timeout)
        );
        let (sink, state, spec, interrupts) = (
            sink.clone(),
            state.clone(),
            spec.clone(),
            interrupts.clone(),
        );
        let _ = std::thread::Builder::new()
            .name("kinesis-put-drain".into())
            .spawn(move || {
                std::thread::sleep(drain_timeout);
                if interrupts.count() < 2 {
                    abort(&sink, &state, &spec, &interrupts);
                }
            });
    } else if n == 2 {
        abort(sink, state, spec, interrupts);
    }
}

/// Aborts the sink and keeps what it hands back for `finish`. If the main thread has not
/// finished a second later (it can be inside a request), finishes the run from here.
fn abort(sink: &KinesisSink, state: &Mutex<RunState>, spec: &FinishSpec, interrupts: &Interrupts) {
    {
        // Under the state lock: a `close` that `abort` wakes returns without the records,
        // and `finish` (which takes the lock) must find them here.
        let mut st = lock(state);
        if let Err(e) = sink.abort() {
            st.aborted = Some(e);
        }
    }
    std::thread::sleep(Duration::from_secs(1));
    if FINISHING.load(Ordering::SeqCst) {
        return;
    }
    let result = finish(
        sink,
        state,
        spec,
        interrupts,
        Ok(()),
        &mut std::io::stdout().lock(),
    );
    crate::exit_with(result);
}

/// Saves what was not written, prints the summary and says how the run ended. Runs once:
/// a second caller (the other thread) waits for the first to end the process.
fn finish(
    sink: &KinesisSink,
    state: &Mutex<RunState>,
    spec: &FinishSpec,
    interrupts: &Interrupts,
    closed: Result<(), SinkError>,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    if FINISHING.swap(true, Ordering::SeqCst) {
        loop {
            std::thread::park();
        }
    }
    let mut st = lock(state);
    let st = &mut *st;
    let interrupted = interrupts.is_set();
    let mut handed_back = Vec::new();
    for e in [closed.err(), st.aborted.take()].into_iter().flatten() {
        // Already reported (with its records) when it first came back: not again.
        let reported = match &e {
            SinkError::Aborted {
                handed_back_earlier,
                ..
            } => *handed_back_earlier,
            SinkError::Failed(f) => f.records_handed_back_earlier,
            _ => false,
        };
        if reported {
            continue;
        }
        let message = sink_error(&spec.table, &e);
        let records = e.into_records();
        if !records.is_empty() || !interrupted {
            st.problems.push(message);
        }
        handed_back.extend(records);
    }
    let metrics = sink.metrics();
    // Every accepted row is acknowledged or handed back; say so loudly if not (a bug, but
    // never a silent loss).
    st.returned += handed_back.len() as u64;
    let accounted = metrics.records_written + st.returned;
    if accounted < st.given {
        st.problems.push(format!(
            "{} rows given to the sink were neither acknowledged nor handed back",
            st.given - accounted
        ));
    }
    for line in record_lines(handed_back, spec) {
        st.unwritten.add(&line)?;
    }
    // Stdin input that was read (or can be read without waiting) but never sent: saved, as
    // it cannot be read again. A file keeps it: the message says where to resume.
    let mut resume_note = None;
    if interrupted {
        match spec.input {
            Input::Stdin => {
                let rest = st
                    .input
                    .take_available(Duration::from_secs(1))
                    .map_err(|e| {
                        CliError::runtime(format!("cannot read the rest of stdin: {e}"))
                    })?;
                for line in rest.split(|b| *b == b'\n') {
                    let line = line.strip_suffix(b"\r").unwrap_or(line);
                    if !line.is_empty() {
                        st.unwritten.add(line)?;
                    }
                }
            }
            Input::File(ref p) => {
                resume_note = Some(format!(
                    "input lines after line {} of {} were not read (resume with: tail -n +{} {} | kinesis ... put)",
                    st.line_no,
                    p.display(),
                    st.line_no + 1,
                    p.display()
                ));
            }
        }
    }
    if !spec.quiet {
        let text = summary(&metrics, &spec.stream, spec.started.elapsed());
        out.write_all(format!("{text}\n").as_bytes())
            .and_then(|_| out.flush())
            .map_err(|e| CliError::runtime(format!("cannot write to stdout: {e}")))?;
    }
    if let Some(f) = st.unwritten.file.as_mut() {
        f.sync_all().map_err(|e| {
            CliError::runtime(format!(
                "cannot save unwritten rows to {}: {e}",
                st.unwritten.path.display()
            ))
        })?;
    }
    if st.unwritten.lines == 0 && st.problems.is_empty() {
        if interrupted {
            let mut message = format!(
                "interrupted: every row given to the sink was acknowledged ({} records)",
                metrics.records_written
            );
            if let Some(note) = resume_note {
                message.push_str("; ");
                message.push_str(&note);
            }
            return Err(CliError::Interrupted {
                code: interrupts.exit_code(),
                message,
            });
        }
        return Ok(());
    }
    let mut message = String::new();
    if let (Input::File(p), true) = (&spec.input, st.unparsed > 0) {
        message.push_str(&format!(
            "{} input lines of {} did not parse and were not sent (they stay in the file; the lines are named below){}",
            st.unparsed,
            p.display(),
            format_hint(st, spec)
        ));
    } else if st.unparsed > 0 {
        let hint = format_hint(st, spec);
        if !hint.is_empty() {
            message.push_str(&format!("no input line parsed{hint}"));
        }
    }
    if st.unwritten.lines > 0 {
        if !message.is_empty() {
            message.push_str("\n  ");
        }
        message.push_str(&format!(
            "{} rows not written; saved to {} (send them again with: kinesis put --input {}{})",
            st.unwritten.lines,
            st.unwritten.path.display(),
            st.unwritten.path.display(),
            resend_flags(spec)
        ));
    }
    if interrupted {
        message.insert_str(0, "interrupted: ");
    }
    if let Some(note) = resume_note {
        st.problems.push(note);
    }
    for p in st.problems.iter().take(5) {
        if !message.is_empty() {
            message.push_str("\n  ");
        }
        message.push_str(p);
    }
    if st.problems.len() > 5 {
        message.push_str(&format!("\n  ... and {} more", st.problems.len() - 5));
    }
    Err(CliError::runtime(message))
}

/// Saves what is left of stdin (read until it ends or nothing comes for a second) to the
/// unwritten-rows file: it cannot be read again once the run ends.
fn save_rest_of_stdin(st: &mut RunState) -> Result<(), CliError> {
    loop {
        match st.input.next_line(Duration::from_secs(1)) {
            Ok(Next::Line(l)) if l.is_empty() => {}
            Ok(Next::Line(l)) => st.unwritten.add(&l)?,
            Ok(Next::Wait) | Ok(Next::End) => return Ok(()),
            Err(e) => {
                st.problems
                    .push(format!("cannot read the rest of the input: {e}"));
                return Ok(());
            }
        }
    }
}

/// What input lines are parsed as: the input format, or the table's format for payloads.
fn parsed_as(spec: &FinishSpec) -> String {
    match spec.format {
        InputFormat::Raw => format!("{} (the table's format)", spec.table.format_options().name),
        other => format_name(other).to_string(),
    }
}

/// The `put` flags that read the unwritten-rows file back as it was written.
fn resend_flags(spec: &FinishSpec) -> String {
    let mut flags = match spec.format {
        InputFormat::Raw => String::new(),
        other => format!(" --input-format {}", format_name(other)),
    };
    match &spec.keying {
        Keying::Delimiter(d) => flags.push_str(&format!(" -K '{}'", String::from_utf8_lossy(d))),
        Keying::Column { name, .. } => flags.push_str(&format!(" --key-column {name}")),
        Keying::Partitioner => {}
    }
    flags
}

/// Records an input line that did not parse: saved to the unwritten-rows file when it came
/// from stdin (it cannot be read again); a file keeps it, and the message names the line.
fn unparsed_line(
    st: &mut RunState,
    spec: &FinishSpec,
    line_no: u64,
    line: &[u8],
    error: &str,
) -> Result<(), CliError> {
    st.unparsed += 1;
    if st.first_unparsed.is_none() {
        st.first_unparsed = Some(line[..line.len().min(4096)].to_vec());
    }
    match &spec.input {
        Input::File(p) => {
            st.problems
                .push(format!("input line {line_no} of {}: {error}", p.display()));
            Ok(())
        }
        Input::Stdin => {
            st.problems.push(format!("input line {line_no}: {error}"));
            st.unwritten.add(line)
        }
    }
}

/// `"; input looks like csv: try --input-format csv"` when no line parsed and the first
/// one looks like another format, else nothing.
fn format_hint(st: &RunState, spec: &FinishSpec) -> String {
    if st.parsed > 0 {
        return String::new();
    }
    let effective = match spec.format {
        InputFormat::Raw => spec.table.format_options().name.as_str(),
        other => format_name(other),
    };
    match st
        .first_unparsed
        .as_deref()
        .and_then(sniff)
        .map(format_name)
    {
        Some(guess) if guess != effective => {
            format!("; input looks like {guess}: try --input-format {guess}")
        }
        _ => String::new(),
    }
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

/// How long one wait for input lasts before the loop looks at interrupts and progress.
const INPUT_POLL: Duration = Duration::from_millis(100);

/// Reads every line into the sink until the input ends or a signal arrives. A line that
/// does not parse, or a row the sink refuses, is saved and reading goes on; a fatal sink
/// error saves what the sink hands back and ends the run (the rest of a file input stays
/// where it is, stdin's is saved by `finish`).
fn feed(
    interrupts: &Interrupts,
    sink: &KinesisSink,
    state: &Mutex<RunState>,
    spec: &FinishSpec,
    stats: &mut FeedStats,
) -> Result<(), CliError> {
    loop {
        let line_no = lock(state).line_no;
        stats.progress(line_no, sink);
        if interrupts.is_set() {
            return Ok(());
        }
        let next = lock(state).input.next_line(INPUT_POLL);
        let line = match next {
            Ok(Next::Line(line)) => line,
            Ok(Next::Wait) => continue,
            Ok(Next::End) => return Ok(()),
            Err(e) => {
                return Err(CliError::runtime(format!(
                    "cannot read the input after line {line_no}: {e}"
                )))
            }
        };
        let line_no = line_no + 1;
        lock(state).line_no = line_no;
        if line.is_empty() {
            continue;
        }
        let decoded = spec.keying.split(&line).and_then(|(key, payload)| {
            spec.codec
                .decode(payload)
                .map(|row| row.map(|r| (key, r)))
                .map_err(|e| e.to_string())
        });
        let (key, row) = match decoded {
            Ok(Some(row)) => row,
            Ok(None) => {
                log::info!("input line {line_no} yields no row (comment or ignored parse error)");
                stats.no_row_lines += 1;
                continue;
            }
            Err(e) => {
                let mut st = lock(state);
                unparsed_line(&mut st, spec, line_no, &line, &e)?;
                if st.parsed == 0 && st.unparsed >= EARLY_STOP_LINES {
                    if let Input::Stdin = spec.input {
                        save_rest_of_stdin(&mut st)?;
                    }
                    return Err(CliError::runtime(format!(
                        "stopped after the first {} input lines: none parses as {}",
                        st.unparsed,
                        parsed_as(spec)
                    )));
                }
                continue;
            }
        };
        lock(state).parsed += 1;
        let written = match spec.keying.key(key, &row) {
            None => sink.write(&row),
            Some(partition_key) => {
                let mut data = Vec::new();
                match spec.table.format().encode(&row, &mut data) {
                    Ok(()) => sink.records().send(SinkRecord::new(data, partition_key)),
                    Err(e) => {
                        let mut st = lock(state);
                        st.problems
                            .push(format!("input line {line_no}: cannot encode the row: {e}"));
                        st.unwritten.add(&line)?;
                        continue;
                    }
                }
            }
        };
        match written {
            Ok(()) => lock(state).given += 1,
            Err(e) if e.is_row_error() => {
                let mut st = lock(state);
                st.problems.push(format!("input line {line_no}: {e}"));
                st.unwritten.add(&line)?;
            }
            // Writes stopped by a signal: this row is handed back and saved; `finish` saves
            // the rest.
            Err(SinkError::Closed { records }) if interrupts.is_set() => {
                let mut st = lock(state);
                st.given += 1;
                st.returned += records.len() as u64;
                for l in record_lines(records, spec) {
                    st.unwritten.add(&l)?;
                }
                return Ok(());
            }
            Err(e) => {
                let message = sink_error(&spec.table, &e);
                let mut st = lock(state);
                let records = e.into_records();
                st.given += 1;
                st.returned += records.len() as u64;
                for l in record_lines(records, spec) {
                    st.unwritten.add(&l)?;
                }
                // The rest of stdin cannot be read again: save it. A file's rest stays in
                // the file (the message says from which line).
                match &spec.input {
                    Input::Stdin => save_rest_of_stdin(&mut st)?,
                    Input::File(p) => st.problems.push(format!(
                        "input lines after line {line_no} of {} were not sent (resume with: tail -n +{} {} | kinesis ... put)",
                        p.display(),
                        line_no + 1,
                        p.display()
                    )),
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
        let aggregated = SinkMetrics {
            kinesis_records_written: 4,
            records_resent: 20,
            ..m
        };
        assert!(summary(&aggregated, "s", Duration::from_millis(2000))
            .ends_with("3 retries, in 4 aggregated Kinesis records, 20 re-sent after a reshard (a reader that does not filter aggregates may see them twice)"));
    }
}
