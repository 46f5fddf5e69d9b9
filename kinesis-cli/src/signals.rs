//! Ctrl-C (SIGINT) and SIGTERM: a thread receives them in order, so that the first one asks
//! the running command to stop cleanly and the second one can act at once (`put` aborts the
//! sink and saves what was not acknowledged) while the main thread is blocked.

use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use signal_hook::consts::{SIGINT, SIGTERM};

use crate::error::CliError;

type Hook = Box<dyn Fn(usize) + Send>;

struct State {
    /// The first signal received (0: none yet).
    first: AtomicI32,
    count: AtomicUsize,
    /// Called on the signal thread with the number of signals so far (1, 2, ...).
    hook: Mutex<Option<Hook>>,
}

/// The interrupts of this process; see the module docs.
#[derive(Clone)]
pub struct Interrupts {
    state: Arc<State>,
}

impl Interrupts {
    /// Installs the handlers and starts the `kinesis-signals` thread. Once installed, a
    /// signal no longer ends the process by itself: the command decides.
    pub fn install() -> Result<Interrupts, CliError> {
        let state = Arc::new(State {
            first: AtomicI32::new(0),
            count: AtomicUsize::new(0),
            hook: Mutex::new(None),
        });
        let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])
            .map_err(|e| CliError::runtime(format!("cannot install the Ctrl-C handler: {e}")))?;
        let s = state.clone();
        std::thread::Builder::new()
            .name("kinesis-signals".into())
            .spawn(move || {
                for sig in signals.forever() {
                    let _ = s
                        .first
                        .compare_exchange(0, sig, Ordering::SeqCst, Ordering::SeqCst);
                    let n = s.count.fetch_add(1, Ordering::SeqCst) + 1;
                    if let Some(hook) = s.hook.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
                        hook(n);
                    }
                }
            })
            .map_err(|e| CliError::runtime(format!("cannot start the signal thread: {e}")))?;
        Ok(Interrupts { state })
    }

    /// How many SIGINT/SIGTERM arrived so far.
    pub fn count(&self) -> usize {
        self.state.count.load(Ordering::SeqCst)
    }

    /// Whether at least one arrived.
    pub fn is_set(&self) -> bool {
        self.count() > 0
    }

    /// The exit code for "interrupted, nothing lost": 130 after SIGINT, 143 after SIGTERM
    /// (128 + the first signal's number).
    pub fn exit_code(&self) -> i32 {
        match self.state.first.load(Ordering::SeqCst) {
            0 => 130,
            sig => 128 + sig,
        }
    }

    /// Runs `hook(n)` on the signal thread for every later signal (`n` counts them).
    pub fn on_signal(&self, hook: impl Fn(usize) + Send + 'static) {
        *self.state.hook.lock().unwrap_or_else(|p| p.into_inner()) = Some(Box::new(hook));
    }
}
