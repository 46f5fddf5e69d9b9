//! Crash and resume against kinesis-mock: while a writer puts rows with per-key counters
//! and a shard is split and two are merged, a `kinesis read --checkpoint FILE
//! --checkpoint-interval 200ms` child is SIGKILLed at random moments (seeded) and restarted
//! on the same file each time; a last run with `-e` reads to the end. What the design
//! guarantees, checked against where the writer's rows landed (shard and sequence number
//! from the PutRecords answers):
//!
//! - no row is lost: every row written is printed at least once, and the last checkpoint
//!   covers every row;
//! - the checkpoint is never ahead of the output: every row it covers was printed, and every
//!   row printed before the file was saved (its mtime) is covered by it;
//! - a restarted run goes on exactly after the checkpoint: for each key, it prints the
//!   counters that follow the last one covered, consecutively, in order (so per-key order
//!   holds within every run, across the split and the merge: parents before children, D5);
//! - rows printed twice are exactly those printed after the last save before a kill, and
//!   that save is never much older than the interval.
//!
//! `RELIABILITY_SEED=N` replays the kill moments; `KINESIS_LONG_RELIABILITY=1` runs more kills
//! and rows. The figures (rows, kills, rows printed again per kill) are printed.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use kinesis_source::{Checkpoint, ShardPosition};
use kinesis_tests::TempStream;
use kinesis_wire::model::{MergeShardsInput, PutRecordsInput, SplitShardInput};
use kinesis_wire::model::{PutRecordsEntry, Shard};

/// `--checkpoint-interval` of the child.
const INTERVAL: Duration = Duration::from_millis(200);
/// Keys written (the partition key; each has its own counter).
const KEYS: usize = 5;
/// How long a save may lag behind the interval on a busy machine before it is a failure.
const SAVE_SLACK: Duration = Duration::from_millis(1500);

/// How much to do: a short run by default, a longer one with `KINESIS_LONG_RELIABILITY=1`.
struct Settings {
    kills: usize,
    /// Consecutive counters of each key in one PutRecords request.
    per_key_per_batch: u64,
    /// Pause between the writer's requests (random in this range, milliseconds): bursts
    /// and lulls, so that some rows reach the output between two saves (a lull longer than
    /// the read loop's poll flushes the output) and are printed again after a kill.
    pause_ms: std::ops::Range<u64>,
    /// A run is killed this long (random, milliseconds) after its first printed row.
    run_ms: std::ops::Range<u64>,
    /// The writer stops after this many requests even if the kills are not done.
    max_batches: u64,
}

fn settings() -> Settings {
    if std::env::var("KINESIS_LONG_RELIABILITY").as_deref() == Ok("1") {
        Settings {
            kills: 20,
            per_key_per_batch: 2,
            pause_ms: 10..250,
            run_ms: 300..3000,
            max_batches: 2000,
        }
    } else {
        Settings {
            kills: 5,
            per_key_per_batch: 4,
            pause_ms: 10..250,
            run_ms: 300..2500,
            max_batches: 600,
        }
    }
}

/// A row: (key index, counter).
type RowId = (usize, u64);

/// Where a row landed.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Landed {
    shard: String,
    seq: String,
}

/// Sequence numbers are decimal strings of any length: compare by length, then text.
fn seq_le(a: &str, b: &str) -> bool {
    (a.len(), a) <= (b.len(), b)
}

fn key_name(k: usize) -> String {
    format!("key-{k}")
}

// ---------------------------------------------------------------------------------------
// The writer.

struct Writer {
    stop: Arc<AtomicBool>,
    batches: Arc<AtomicU64>,
    handle: JoinHandle<BTreeMap<RowId, Landed>>,
}

/// Puts rows `key-K,COUNTER` (partition key `key-K`) in sequential PutRecords requests:
/// each request holds the next counters of every key, in order, and the next request is
/// sent only after the answer, so per key the stream holds the counters in order.
fn start_writer(stream: &TempStream, s: &Settings, seed: u64) -> Writer {
    let stop = Arc::new(AtomicBool::new(false));
    let batches = Arc::new(AtomicU64::new(0));
    let (client, name) = (stream.client.clone(), stream.name.clone());
    let (per_key, pause_ms, max_batches) = (s.per_key_per_batch, s.pause_ms.clone(), s.max_batches);
    let handle = {
        let (stop, batches) = (stop.clone(), batches.clone());
        std::thread::spawn(move || {
            let mut rng = fastrand::Rng::with_seed(seed);
            let mut landed = BTreeMap::new();
            for b in 0..max_batches {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let ids: Vec<RowId> = (0..KEYS)
                    .flat_map(|k| (0..per_key).map(move |j| (k, b * per_key + j)))
                    .collect();
                let records = ids
                    .iter()
                    .map(|&(k, c)| {
                        PutRecordsEntry::new(
                            format!("{},{c}", key_name(k)).into_bytes(),
                            key_name(k),
                        )
                    })
                    .collect();
                let out = client
                    .put_records(&PutRecordsInput::new(name.clone(), records))
                    .unwrap_or_else(|e| panic!("writer: PutRecords {b}: {e}"));
                assert_eq!(out.failed_record_count, 0, "writer: {out:?}");
                for (id, r) in ids.into_iter().zip(out.records) {
                    let (Some(shard), Some(seq)) = (r.shard_id, r.sequence_number) else {
                        panic!("writer: an entry without shard or sequence number");
                    };
                    landed.insert(id, Landed { shard, seq });
                }
                batches.fetch_add(1, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(rng.u64(pause_ms.clone())));
            }
            landed
        })
    };
    Writer {
        stop,
        batches,
        handle,
    }
}

// ---------------------------------------------------------------------------------------
// The reader child.

/// A printed row, when the test read it.
#[derive(Debug, Clone)]
struct Line {
    at: SystemTime,
    shard: String,
    seq: String,
    id: RowId,
}

fn parse_line(text: &str, at: SystemTime) -> Line {
    let mut parts = text.splitn(3, ' ');
    let (Some(shard), Some(seq), Some(payload)) = (parts.next(), parts.next(), parts.next()) else {
        panic!("unexpected output line {text:?}");
    };
    let (key, counter) = payload
        .split_once(',')
        .unwrap_or_else(|| panic!("unexpected payload in {text:?}"));
    let k: usize = key
        .strip_prefix("key-")
        .and_then(|k| k.parse().ok())
        .unwrap_or_else(|| panic!("unexpected key in {text:?}"));
    Line {
        at,
        shard: shard.to_string(),
        seq: seq.to_string(),
        id: (k, counter.parse().expect("a counter")),
    }
}

/// One run of `kinesis read`, running or finished.
struct ReadRun {
    child: Child,
    lines: Arc<Mutex<Vec<Line>>>,
    stdout: JoinHandle<usize>,
    stderr: JoinHandle<String>,
}

/// What a finished run left.
struct RunResult {
    lines: Vec<Line>,
    /// Bytes of a last line cut by the kill (not a printed row).
    partial: usize,
    stderr: String,
    /// When it was SIGKILLed (`None`: it ended by itself).
    killed_at: Option<SystemTime>,
    /// The checkpoint file after the run, and when it was written.
    checkpoint: Option<(Checkpoint, SystemTime)>,
    exit: Option<i32>,
}

fn spawn_read(endpoint: &str, stream: &str, cp: &Path, exit_at_end: bool) -> ReadRun {
    let interval = format!("{}ms", INTERVAL.as_millis());
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kinesis"));
    cmd.args(["--endpoint", endpoint, "--region", "us-east-1"])
        .arg("-X")
        .arg(format!("stream={stream}"))
        .args(["-X", "scan.shard.getrecords.intervalmillis=50"])
        .args(["-X", "scan.shard.getrecords.maxrecordcount=100"])
        .args(["-X", "scan.shard.discovery.intervalmillis=200"])
        .args(["read", "-o", "beginning", "-f", "%p %o %s\\n"])
        .args(["--checkpoint-interval", &interval, "--checkpoint"])
        .arg(cp);
    if exit_at_end {
        cmd.arg("-e");
    }
    let mut child = cmd
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kinesis binary runs");
    let lines = Arc::new(Mutex::new(Vec::new()));
    let stdout = {
        let mut pipe = BufReader::new(child.stdout.take().unwrap());
        let lines = lines.clone();
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            loop {
                buf.clear();
                match pipe.read_until(b'\n', &mut buf) {
                    Ok(0) | Err(_) => return 0,
                    Ok(_) if buf.ends_with(b"\n") => {
                        let at = SystemTime::now();
                        let text = String::from_utf8_lossy(&buf[..buf.len() - 1]).into_owned();
                        lines.lock().unwrap().push(parse_line(&text, at));
                    }
                    // The kill cut the last line: not a printed row.
                    Ok(n) => return n,
                }
            }
        })
    };
    let stderr = {
        let mut pipe = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            let mut s = String::new();
            let _ = pipe.read_to_string(&mut s);
            s
        })
    };
    ReadRun {
        child,
        lines,
        stdout,
        stderr,
    }
}

fn load_checkpoint(cp: &Path) -> Option<(Checkpoint, SystemTime)> {
    let text = std::fs::read_to_string(cp).ok()?;
    let mtime = std::fs::metadata(cp).ok()?.modified().ok()?;
    let checkpoint = Checkpoint::from_json(&text)
        .unwrap_or_else(|e| panic!("checkpoint file {}: {e}: {text}", cp.display()));
    Some((checkpoint, mtime))
}

impl ReadRun {
    fn printed(&self) -> usize {
        self.lines.lock().unwrap().len()
    }

    /// Waits (at most 30 s) until the run printed a row.
    fn wait_for_a_row(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.printed() == 0 {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("the read ended ({status}) before printing a row");
            }
            assert!(Instant::now() < deadline, "no row printed within 30 s");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn finish(mut self, killed_at: Option<SystemTime>, cp: &Path) -> RunResult {
        let status = self.child.wait().unwrap();
        let partial = self.stdout.join().unwrap();
        let stderr = self.stderr.join().unwrap();
        let lines = std::mem::take(&mut *self.lines.lock().unwrap());
        RunResult {
            lines,
            partial,
            stderr,
            killed_at,
            checkpoint: load_checkpoint(cp),
            exit: status.code(),
        }
    }

    fn kill(mut self, cp: &Path) -> RunResult {
        let at = SystemTime::now();
        self.child.kill().unwrap(); // SIGKILL
        self.finish(Some(at), cp)
    }

    /// Waits (at most `limit`) for the run to end by itself.
    fn wait(mut self, limit: Duration, cp: &Path) -> RunResult {
        let deadline = Instant::now() + limit;
        while self.child.try_wait().unwrap().is_none() {
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let r = self.finish(None, cp);
                panic!("read -e did not end within {limit:?}: {}", r.stderr);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.finish(None, cp)
    }
}

// ---------------------------------------------------------------------------------------
// Resharding.

fn open_shards(stream: &TempStream) -> Vec<Shard> {
    let mut open: Vec<Shard> = stream
        .shards()
        .into_iter()
        .filter(|s| !s.is_closed())
        .collect();
    open.sort_by_key(|s| s.hash_key_range.bounds().unwrap().0);
    open
}

/// Splits the open shard with the lowest hash keys in the middle of its range.
fn split(stream: &TempStream) -> String {
    let shard = open_shards(stream).remove(0);
    let (lo, hi) = shard.hash_key_range.bounds().unwrap();
    stream
        .client
        .split_shard(&SplitShardInput::new(
            stream.stream(),
            shard.shard_id.clone(),
            (lo + (hi - lo) / 2).to_string(),
        ))
        .expect("SplitShard");
    shard.shard_id
}

/// Merges the last two adjacent open shards (after the split: the upper child and the
/// second original shard, so the merged shard's parents are of different generations).
fn merge(stream: &TempStream) -> (String, String) {
    let open = open_shards(stream);
    let pair = open
        .windows(2)
        .rev()
        .find(|w| {
            w[0].hash_key_range.bounds().unwrap().1 + 1 == w[1].hash_key_range.bounds().unwrap().0
        })
        .expect("two adjacent open shards");
    stream
        .client
        .merge_shards(&MergeShardsInput::new(
            stream.stream(),
            pair[0].shard_id.clone(),
            pair[1].shard_id.clone(),
        ))
        .expect("MergeShards");
    (pair[0].shard_id.clone(), pair[1].shard_id.clone())
}

// ---------------------------------------------------------------------------------------
// The checks.

fn covered(cp: Option<&Checkpoint>, stream: &str, at: &Landed) -> bool {
    let Some(state) = cp.and_then(|c| c.get(stream, &at.shard)) else {
        return false;
    };
    match &state.position {
        ShardPosition::ShardEnd => true,
        ShardPosition::Sequence {
            sequence_number, ..
        } => seq_le(&at.seq, sequence_number),
        // AT_SEQUENCE: nothing handed out yet, the record at it is still to be read.
        ShardPosition::AtSequence { sequence_number } => {
            seq_le(&at.seq, sequence_number) && at.seq != *sequence_number
        }
        ShardPosition::TrimHorizon | ShardPosition::AtTimestamp { .. } => false,
    }
}

/// What one kill cost.
struct KillFigures {
    printed: usize,
    printed_again: usize,
    save_age: Duration,
}

/// Checks every run against the rows written (see the module docs); returns the figures
/// of each killed run.
fn verify(
    stream: &str,
    written: &BTreeMap<RowId, Landed>,
    runs: &[RunResult],
    seed: u64,
) -> Vec<KillFigures> {
    let per_key: Vec<u64> = (0..KEYS)
        .map(|k| written.keys().filter(|(key, _)| *key == k).count() as u64)
        .collect();
    let mut printed_so_far: BTreeSet<RowId> = BTreeSet::new();
    let mut figures = Vec::new();
    let mut previous: Option<&Checkpoint> = None;
    for (r, run) in runs.iter().enumerate() {
        let ctx = format!("seed {seed}, run {r}");
        let current = run.checkpoint.as_ref().map(|(c, _)| c);
        // Every printed line is a row written, where the writer was told it landed.
        for line in &run.lines {
            let landed = written
                .get(&line.id)
                .unwrap_or_else(|| panic!("{ctx}: printed a row never written: {line:?}"));
            assert_eq!(
                (&line.shard, &line.seq),
                (&landed.shard, &landed.seq),
                "{ctx}: {line:?}"
            );
        }
        // The run went on exactly after the previous checkpoint: per key, the counters
        // after the last covered one, consecutively.
        for k in 0..KEYS {
            let next = (0..per_key[k])
                .find(|&c| !covered(previous, stream, &written[&(k, c)]))
                .unwrap_or(per_key[k]);
            for c in next..per_key[k] {
                assert!(
                    !covered(previous, stream, &written[&(k, c)]),
                    "{ctx}: the checkpoint covers key-{k} {c} but not {next}: a gap"
                );
            }
            let counters: Vec<u64> = run
                .lines
                .iter()
                .filter(|l| l.id.0 == k)
                .map(|l| l.id.1)
                .collect();
            let want: Vec<u64> = (next..next + counters.len() as u64).collect();
            assert_eq!(
                counters, want,
                "{ctx}: key-{k} must go on at {next}, consecutively and in order"
            );
        }
        printed_so_far.extend(run.lines.iter().map(|l| l.id));
        // The checkpoint only grows, and covers nothing that was not printed.
        for (id, landed) in written {
            let now = covered(current, stream, landed);
            assert!(
                now || !covered(previous, stream, landed),
                "{ctx}: {id:?} was covered by the previous checkpoint, not by this one"
            );
            assert!(
                !now || printed_so_far.contains(id),
                "{ctx}: the checkpoint covers {id:?}, which was never printed"
            );
        }
        if let Some(killed_at) = run.killed_at {
            let (_, saved_at) = run
                .checkpoint
                .as_ref()
                .unwrap_or_else(|| panic!("{ctx}: no checkpoint file after the kill"));
            // Rows that reached the test before the file was written are covered by it.
            for line in run.lines.iter().filter(|l| l.at < *saved_at) {
                assert!(
                    covered(current, stream, &written[&line.id]),
                    "{ctx}: {line:?} was printed before the checkpoint was saved but is not covered"
                );
            }
            let printed_again = run
                .lines
                .iter()
                .filter(|l| !covered(current, stream, &written[&l.id]))
                .count();
            let save_age = killed_at.duration_since(*saved_at).unwrap_or_default();
            // A run that printed its first row well before the kill saved its checkpoint
            // within about one interval of it.
            if run.lines.first().is_some_and(|l| {
                killed_at.duration_since(l.at).unwrap_or_default() > INTERVAL + SAVE_SLACK
            }) {
                assert!(
                    save_age <= INTERVAL + SAVE_SLACK,
                    "{ctx}: the last save was {save_age:?} before the kill"
                );
            }
            figures.push(KillFigures {
                printed: run.lines.len(),
                printed_again,
                save_age,
            });
        }
        previous = current;
    }
    // Nothing lost: every row printed, and the last checkpoint covers every row.
    let lost: Vec<&RowId> = written
        .keys()
        .filter(|id| !printed_so_far.contains(id))
        .collect();
    assert!(lost.is_empty(), "seed {seed}: rows never printed: {lost:?}");
    for (id, landed) in written {
        assert!(
            covered(previous, stream, landed),
            "seed {seed}: the last checkpoint does not cover {id:?}"
        );
    }
    // Rows printed more than once are exactly those printed after the last save of a
    // killed run.
    let prints: usize = runs.iter().map(|r| r.lines.len()).sum();
    let again: usize = figures.iter().map(|f| f.printed_again).sum();
    assert_eq!(
        prints - written.len(),
        again,
        "seed {seed}: duplicates not explained by the kills"
    );
    figures
}

// ---------------------------------------------------------------------------------------

struct Dir(PathBuf);

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn sigkilled_reads_resume_from_their_checkpoint_through_a_split_and_a_merge() {
    let endpoint = kinesis_tests::endpoint("KINESIS_MOCK_ENDPOINT");
    let s = settings();
    let seed = std::env::var("RELIABILITY_SEED")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| fastrand::u64(..));
    eprintln!("crash-resume: seed {seed} (RELIABILITY_SEED={seed} replays the kill moments)");
    let mut rng = fastrand::Rng::with_seed(seed);
    let started = Instant::now();
    let stream = TempStream::create(&kinesis_tests::client(&endpoint), "cli-crash", 2);
    let dir = Dir(std::env::temp_dir().join(kinesis_tests::unique_name("cli-crash")));
    std::fs::create_dir_all(&dir.0).unwrap();
    let cp = dir.0.join("read.ckpt");

    let writer = start_writer(&stream, &s, seed);
    let (split_at, merge_at) = (s.kills / 3, 2 * s.kills / 3);
    let mut runs: Vec<RunResult> = Vec::new();
    let mut reshards = Vec::new();
    for i in 0..s.kills {
        let mut run = spawn_read(&endpoint, &stream.name, &cp, false);
        run.wait_for_a_row();
        // Reshard while a run reads, then kill it at a random moment (perhaps before the
        // new shards are ACTIVE).
        if i == split_at {
            reshards.push(format!("split {}", split(&stream)));
        }
        if i == merge_at && i != split_at {
            stream.wait_active();
            let (a, b) = merge(&stream);
            reshards.push(format!("merge {a} + {b}"));
        }
        std::thread::sleep(Duration::from_millis(rng.u64(s.run_ms.clone())));
        let result = run.kill(&cp);
        assert_eq!(result.exit, None, "killed by a signal: {}", result.stderr);
        runs.push(result);
        stream.wait_active();
    }
    writer.stop.store(true, Ordering::SeqCst);
    let written = writer.handle.join().expect("the writer failed");
    stream.wait_active();
    let last = spawn_read(&endpoint, &stream.name, &cp, true).wait(Duration::from_secs(120), &cp);
    assert_eq!(last.exit, Some(0), "{}", last.stderr);
    runs.push(last);

    let figures = verify(&stream.name, &written, &runs, seed);
    let prints: usize = runs.iter().map(|r| r.lines.len()).sum();
    let partial: usize = runs.iter().filter(|r| r.partial > 0).count();
    eprintln!(
        "crash-resume: seed {seed}: {} rows written ({} requests, {KEYS} keys), {reshards:?}; \
         {} kills, {prints} rows printed, {} printed twice, lost 0; {partial} kills cut a line; \
         {:.1} s",
        written.len(),
        writer.batches.load(Ordering::SeqCst),
        figures.len(),
        prints - written.len(),
        started.elapsed().as_secs_f64()
    );
    for (i, f) in figures.iter().enumerate() {
        eprintln!(
            "crash-resume:   kill {}: {} rows printed, {} printed again after the restart, last save {} ms before the kill",
            i + 1,
            f.printed,
            f.printed_again,
            f.save_age.as_millis()
        );
    }
    assert_eq!(reshards.len(), 2, "{reshards:?}");
    let leftovers: Vec<String> = std::fs::read_dir(&dir.0)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "read.ckpt")
        .collect();
    eprintln!("crash-resume: files left beside the checkpoint: {leftovers:?}");
}
