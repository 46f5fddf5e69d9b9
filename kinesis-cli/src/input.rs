//! [`LineInput`]: `put`'s input lines, read so that waiting for input never hides a Ctrl-C
//! (stdin is polled with a timeout) and so that what was read but not yet used can be saved
//! when the run stops early.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;
use std::time::{Duration, Instant};

/// The longest input line taken (a Kinesis record holds at most 1 MiB, so no valid row is
/// near this): memory stays bounded whatever the input holds.
pub const MAX_LINE_BYTES: usize = 16 << 20;

/// Bytes asked for per read: more than std's stdin buffer (8 KiB), so reads bypass it and
/// nothing is held where [`LineInput::take_available`] cannot see it.
const READ_CHUNK: usize = 64 * 1024;

enum Source {
    File(File),
    Stdin(io::Stdin),
}

/// What [`LineInput::next_line`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum Next {
    /// A line, without its line end.
    Line(Vec<u8>),
    /// No complete line arrived within the wait.
    Wait,
    /// The input ended.
    End,
}

/// Input lines from a file or stdin.
pub struct LineInput {
    source: Source,
    buf: Vec<u8>,
    /// Start of the unconsumed part of `buf`.
    start: usize,
    ended: bool,
}

impl LineInput {
    /// Lines of the file at `path`.
    pub fn file(path: &Path) -> io::Result<LineInput> {
        Ok(LineInput::new(Source::File(File::open(path)?)))
    }

    /// Lines of stdin.
    pub fn stdin() -> LineInput {
        LineInput::new(Source::Stdin(io::stdin()))
    }

    fn new(source: Source) -> LineInput {
        LineInput {
            source,
            buf: Vec::with_capacity(READ_CHUNK),
            start: 0,
            ended: false,
        }
    }

    /// The next line, waiting at most `wait` for input on stdin (a file never waits).
    /// A line longer than [`MAX_LINE_BYTES`] is an error.
    pub fn next_line(&mut self, wait: Duration) -> io::Result<Next> {
        let deadline = Instant::now() + wait;
        let mut searched = self.start;
        loop {
            if let Some(i) = memchr(b'\n', &self.buf[searched..]) {
                let end = searched + i;
                let line = strip_cr(&self.buf[self.start..end]).to_vec();
                self.start = end + 1;
                return Ok(Next::Line(line));
            }
            if self.buf.len() - self.start > MAX_LINE_BYTES {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("a line is longer than {MAX_LINE_BYTES} bytes"),
                ));
            }
            if self.ended {
                if self.start < self.buf.len() {
                    let line = strip_cr(&self.buf[self.start..]).to_vec();
                    self.start = self.buf.len();
                    return Ok(Next::Line(line));
                }
                return Ok(Next::End);
            }
            // Bytes after `start` already searched: `fill` may move the unconsumed bytes to
            // the front, so the search resumes at the same distance from the new `start`.
            let searched_len = self.buf.len() - self.start;
            let left = deadline.saturating_duration_since(Instant::now());
            match self.fill(left)? {
                Fill::Read => {}
                Fill::NotReady => return Ok(Next::Wait),
            }
            searched = self.start + searched_len;
        }
    }

    /// Everything read but not returned yet, plus whatever the input can give without
    /// waiting (for at most `budget`): for saving unsent stdin input when the run stops.
    pub fn take_available(&mut self, budget: Duration) -> io::Result<Vec<u8>> {
        let deadline = Instant::now() + budget;
        while !self.ended && Instant::now() < deadline {
            if self.buf.len() - self.start > MAX_LINE_BYTES * 4 {
                break;
            }
            if let Fill::NotReady = self.fill(Duration::ZERO)? {
                break;
            }
        }
        let rest = self.buf[self.start..].to_vec();
        self.start = self.buf.len();
        Ok(rest)
    }

    /// Reads once (after waiting up to `wait` for stdin to be readable).
    fn fill(&mut self, wait: Duration) -> io::Result<Fill> {
        if self.start > 0 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        let len = self.buf.len();
        self.buf.resize(len + READ_CHUNK, 0);
        let n = match &mut self.source {
            Source::File(f) => f.read(&mut self.buf[len..]),
            Source::Stdin(s) => {
                if !readable(s, wait)? {
                    self.buf.truncate(len);
                    return Ok(Fill::NotReady);
                }
                s.read(&mut self.buf[len..])
            }
        };
        let n = match n {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => 0,
            Err(e) => {
                self.buf.truncate(len);
                return Err(e);
            }
        };
        self.buf.truncate(len + n);
        if n == 0 {
            self.ended = true;
        }
        Ok(Fill::Read)
    }
}

enum Fill {
    Read,
    NotReady,
}

/// Whether stdin can be read without blocking, waiting up to `wait`.
fn readable(stdin: &io::Stdin, wait: Duration) -> io::Result<bool> {
    use rustix::event::{poll, PollFd, PollFlags, Timespec};
    let mut fds = [PollFd::new(stdin, PollFlags::IN)];
    let timeout = Timespec {
        tv_sec: wait.as_secs().min(i64::MAX as u64) as i64,
        tv_nsec: wait.subsec_nanos() as _,
    };
    match poll(&mut fds, Some(&timeout)) {
        Ok(n) => Ok(n > 0),
        Err(rustix::io::Errno::INTR) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

fn memchr(b: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().position(|&c| c == b)
}

fn strip_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines_of(text: &[u8]) -> Vec<Vec<u8>> {
        let dir = std::env::temp_dir().join(format!("kinesis-cli-input-{}", fastrand_name()));
        std::fs::write(&dir, text).unwrap();
        let mut input = LineInput::file(&dir).unwrap();
        let mut out = Vec::new();
        for _ in 0..text.len() + 2 {
            match input.next_line(Duration::ZERO).unwrap() {
                Next::Line(l) => out.push(l),
                Next::End => break,
                Next::Wait => panic!("a file never waits"),
            }
        }
        std::fs::remove_file(&dir).unwrap();
        out
    }

    fn fastrand_name() -> String {
        format!(
            "{}-{:?}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        )
    }

    #[test]
    fn lines_lose_their_line_ends_and_the_last_needs_none() {
        assert_eq!(
            lines_of(b"a,b\r\nc\n\nd"),
            vec![b"a,b".to_vec(), b"c".to_vec(), b"".to_vec(), b"d".to_vec()]
        );
    }

    #[test]
    fn short_lines_after_the_first_read_chunk_are_split() {
        // Regression: after a read that moved a partial line to the front of the buffer, the
        // search for the next line end skipped as many new bytes as the lines consumed
        // before it, so the whole next chunk came back as one line.
        let lines: Vec<Vec<u8>> = (0..20_000)
            .map(|i| format!("key-{i}:r{i}").into_bytes())
            .collect();
        let text: Vec<u8> = lines
            .iter()
            .flat_map(|l| [&l[..], b"\n"].concat())
            .collect();
        assert!(text.len() > 3 * READ_CHUNK);
        assert_eq!(lines_of(&text), lines);
    }

    #[test]
    fn lines_across_read_chunks_are_whole() {
        let long = vec![b'x'; READ_CHUNK * 2 + 17];
        let mut text = long.clone();
        text.extend_from_slice(b"\nshort\n");
        assert_eq!(lines_of(&text), vec![long, b"short".to_vec()]);
    }
}
