//! Runs a `credential_process` command with a real bound on its time.
//!
//! The command runs through the shell in a process group of its own (Unix). Its output is
//! read on threads and waited for with a deadline, since end-of-file on stdout comes only
//! when every process holding the pipe has exited, and the command may have started
//! children that outlive it (`sleep 600 &`). At the deadline, or when the caller's
//! shutdown triggers, the whole group is killed, children included.

use std::io::{self, Read};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::retry::Shutdown;

/// Most stdout kept (credentials are a few hundred bytes); the rest is read and dropped.
const STDOUT_LIMIT: u64 = 1 << 20;
/// Most stderr kept.
const STDERR_LIMIT: u64 = 64 << 10;
/// How often the wait looks at the child's status and the shutdown.
const TICK: Duration = Duration::from_millis(10);

/// A command that ran to its end, both output pipes read to end-of-file.
pub(crate) struct Finished {
    pub status: ExitStatus,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

// Manual: stdout holds credentials (and stderr may).
impl std::fmt::Debug for Finished {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Finished")
            .field("status", &self.status)
            .field("stdout", &crate::redact::Body(self.stdout.len()))
            .field("stderr", &crate::redact::Body(self.stderr.len()))
            .finish()
    }
}

/// Why a command gave no [`Finished`].
#[derive(Debug)]
pub(crate) enum Stopped {
    /// It could not be started.
    Start(io::Error),
    /// Its status could not be read (it was killed).
    Wait(io::Error),
    /// It (or a process holding its output open) ran past the deadline and was killed.
    TimedOut,
    /// The shutdown triggered; it was killed.
    Interrupted,
}

enum Pipe {
    Out,
    Err,
}

/// Reads `pipe` on a thread: keeps `limit` bytes, drains the rest (so the writer never
/// blocks on a full pipe), and sends what it kept at end-of-file.
fn read_on_thread(
    pipe: Option<impl Read + Send + 'static>,
    limit: u64,
    which: Pipe,
    tx: mpsc::Sender<(Pipe, Vec<u8>)>,
) {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(mut p) = pipe {
            let _ = p.by_ref().take(limit).read_to_end(&mut buf);
            let _ = io::copy(&mut p, &mut io::sink());
        }
        let _ = tx.send((which, buf));
    });
}

/// Kills the child's process group (the child and whatever it started), and the child.
fn kill_all(child: &mut Child) {
    #[cfg(unix)]
    {
        use rustix::process::{kill_process_group, Pid, Signal};
        // The group id is the child's pid (process_group(0)). It cannot have been reused:
        // either the child is not reaped yet, or a member of its group still exists (that
        // is what keeps the output open), and a group id is not reused while the group
        // exists.
        let _ = kill_process_group(Pid::from_child(child), Signal::KILL);
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Runs `command` through the shell (`sh -c`, `cmd /C` on Windows) with stdin closed, and
/// waits for it to exit and close its output, at most `timeout`, stopping early when
/// `shutdown` triggers.
pub(crate) fn run(
    command: &str,
    timeout: Duration,
    shutdown: &Shutdown,
) -> Result<Finished, Stopped> {
    let mut cmd = if cfg!(windows) {
        let mut c = Command::new("cmd");
        c.arg("/C").arg(command);
        c
    } else {
        let mut c = Command::new("sh");
        c.arg("-c").arg(command);
        c
    };
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(Stopped::Start)?;
    let (tx, rx) = mpsc::channel();
    read_on_thread(child.stdout.take(), STDOUT_LIMIT, Pipe::Out, tx.clone());
    read_on_thread(child.stderr.take(), STDERR_LIMIT, Pipe::Err, tx);
    let deadline = Instant::now() + timeout;
    let (mut status, mut stdout, mut stderr) = (None, None, None);
    loop {
        if status.is_none() {
            match child.try_wait() {
                Ok(s) => status = s,
                Err(e) => {
                    kill_all(&mut child);
                    return Err(Stopped::Wait(e));
                }
            }
        }
        if let (Some(status), Some(_), Some(_)) = (status, &stdout, &stderr) {
            return Ok(Finished {
                status,
                stdout: stdout.unwrap_or_default(),
                stderr: stderr.unwrap_or_default(),
            });
        }
        if shutdown.is_triggered() {
            kill_all(&mut child);
            return Err(Stopped::Interrupted);
        }
        let now = Instant::now();
        if now >= deadline {
            kill_all(&mut child);
            return Err(Stopped::TimedOut);
        }
        if let Ok((which, bytes)) = rx.recv_timeout(TICK.min(deadline - now)) {
            match which {
                Pipe::Out => stdout = Some(bytes),
                Pipe::Err => stderr = Some(bytes),
            }
        }
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn alive(pid: &str) -> bool {
        std::path::Path::new(&format!("/proc/{pid}")).exists()
            && !std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .unwrap_or_default()
                .contains(") Z ")
    }

    #[test]
    fn output_and_status_of_a_quick_command() {
        let f = run(
            "echo out; echo err >&2; exit 3",
            Duration::from_secs(30),
            &Shutdown::new(),
        )
        .unwrap();
        assert_eq!(f.stdout, b"out\n");
        assert_eq!(f.stderr, b"err\n");
        assert_eq!(f.status.code(), Some(3));
        let shown = format!("{f:?}");
        assert!(
            !shown.contains("out\\n") && shown.contains("<4 bytes>"),
            "{shown}"
        );
    }

    /// The shell exits at once, but a child it left behind holds stdout open for ten
    /// minutes: the deadline still holds, and the child is killed with its group.
    #[test]
    fn a_background_child_cannot_outlast_the_deadline() {
        let dir = std::env::temp_dir().join(format!("kw-proc-{}", fastrand::u64(..)));
        std::fs::create_dir_all(&dir).unwrap();
        let pid_file = dir.join("pid");
        let command = format!("sleep 600 & echo $! > {}; echo '{{}}'", pid_file.display());
        let started = Instant::now();
        let out = run(&command, Duration::from_millis(500), &Shutdown::new());
        assert!(matches!(out, Err(Stopped::TimedOut)), "{out:?}");
        assert!(started.elapsed() < Duration::from_secs(10));
        let pid = std::fs::read_to_string(&pid_file)
            .unwrap()
            .trim()
            .to_string();
        // SIGKILL is delivered at once; allow a moment for the kernel to tear it down.
        let gone = Instant::now();
        while alive(&pid) {
            assert!(
                gone.elapsed() < Duration::from_secs(10),
                "sleep {pid} survived"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_triggered_shutdown_kills_the_group() {
        let s = Shutdown::new();
        s.trigger();
        let started = Instant::now();
        let out = run("sleep 600", Duration::from_secs(600), &s);
        assert!(matches!(out, Err(Stopped::Interrupted)), "{out:?}");
        assert!(started.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn large_output_does_not_block_the_command() {
        // 2 MiB on stdout, beyond what is kept: the command still finishes.
        let f = run(
            "head -c 2097152 /dev/zero",
            Duration::from_secs(30),
            &Shutdown::new(),
        )
        .unwrap();
        assert!(f.status.success());
        assert_eq!(f.stdout.len() as u64, STDOUT_LIMIT);
    }
}
