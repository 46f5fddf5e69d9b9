//! Keeps secrets that the HTTP stack logs out of every log output.
//!
//! The HTTP client under this crate logs the raw bytes it sends and receives at `trace`
//! (`ureq_proto::util`: request headers with the SigV4 `Authorization` signature and the
//! `X-Amz-Security-Token`, and response bodies such as the `SecretAccessKey` and
//! `SessionToken` of an STS reply) and whole requests and call states at `debug`. The
//! AWS SDKs treat such output as a vulnerability (RUSTSEC-2023-0125).
//!
//! **What an embedding program must do**: if it installs a [`log`] logger, drop the records
//! [`is_sensitive`] names, whatever its filter configuration says; the simplest way is to
//! wrap the logger in [`SecretSafeLog`] (or call [`install`]). A filter string alone is not
//! enough: env_logger applies the *longest* matching module prefix, so a cap such as
//! `ureq_proto=warn` is overridden by `RUST_LOG=ureq_proto::util=trace`.
//!
//! ```
//! use kinesis_wire::log_filter::is_sensitive;
//! use log::Level;
//! assert!(is_sensitive("ureq_proto::util", Level::Trace));
//! assert!(is_sensitive("ureq::run", Level::Debug));
//! assert!(!is_sensitive("ureq", Level::Warn));
//! assert!(!is_sensitive("kinesis_wire::client", Level::Trace));
//! ```

use log::{Level, LevelFilter, Log, Metadata, Record, SetLoggerError};

/// The most detailed level at which records of each HTTP-stack crate may be emitted.
/// `None`: never. Targets are matched as module paths (`ureq` covers `ureq::run`, not
/// `ureq_proto`).
const CAPS: &[(&str, Option<Level>)] = &[
    // Raw request/response bytes (trace) and call-state dumps (debug): never.
    ("ureq_proto", None),
    // Request and response dumps (debug: headers partly redacted by ureq, URIs, pool keys)
    // and connection tracing: only info and above.
    ("ureq", Some(Level::Info)),
    // Handshake messages, certificates and session tickets dumped at trace; its debug
    // lines (protocol choices, alerts) help with TLS failures and carry no secrets.
    ("rustls", Some(Level::Debug)),
];

/// Whether `target` is `root` or a module under it.
fn under(target: &str, root: &str) -> bool {
    target
        .strip_prefix(root)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with("::"))
}

/// Whether a record of `target` at `level` must never be emitted: it may carry request or
/// response bytes, headers or bodies of the HTTP stack (ureq, ureq-proto, rustls).
///
/// ```
/// use kinesis_wire::log_filter::is_sensitive;
/// use log::Level;
/// assert!(is_sensitive("ureq_proto", Level::Error));
/// assert!(is_sensitive("rustls::client::hs", Level::Trace));
/// assert!(!is_sensitive("rustls::client::hs", Level::Debug));
/// assert!(!is_sensitive("ureqish", Level::Trace));
/// ```
pub fn is_sensitive(target: &str, level: Level) -> bool {
    CAPS.iter()
        .find(|(root, _)| under(target, root))
        .is_some_and(|(_, cap)| cap.is_none_or(|max| level > max))
}

/// A [`Log`] that drops the records [`is_sensitive`] names and passes every other record to
/// the logger it wraps, whatever that logger's own filters say.
///
/// ```
/// use kinesis_wire::log_filter::SecretSafeLog;
/// use log::{Level, Log, Metadata};
/// # struct Everything;
/// # impl Log for Everything {
/// #     fn enabled(&self, _: &Metadata) -> bool { true }
/// #     fn log(&self, _: &log::Record) {}
/// #     fn flush(&self) {}
/// # }
/// let logger = SecretSafeLog::new(Everything);
/// let wire = Metadata::builder().target("ureq_proto::util").level(Level::Trace).build();
/// let ours = Metadata::builder().target("kinesis_wire").level(Level::Trace).build();
/// assert!(!logger.enabled(&wire));
/// assert!(logger.enabled(&ours));
/// ```
#[derive(Debug)]
pub struct SecretSafeLog<L> {
    inner: L,
}

impl<L: Log> SecretSafeLog<L> {
    /// Wraps `inner`.
    pub fn new(inner: L) -> Self {
        SecretSafeLog { inner }
    }

    /// The wrapped logger.
    pub fn inner(&self) -> &L {
        &self.inner
    }
}

impl<L: Log> Log for SecretSafeLog<L> {
    fn enabled(&self, metadata: &Metadata) -> bool {
        !is_sensitive(metadata.target(), metadata.level()) && self.inner.enabled(metadata)
    }

    fn log(&self, record: &Record) {
        // `log` calls `log` without asking `enabled` first: filter here too.
        if !is_sensitive(record.target(), record.level()) {
            self.inner.log(record);
        }
    }

    fn flush(&self) {
        self.inner.flush();
    }
}

/// Installs `logger`, wrapped in [`SecretSafeLog`], as the process's logger with `max_level`
/// (usually the logger's own most detailed level). Fails when a logger is already installed.
///
/// ```no_run
/// let logger = env_logger::Builder::from_default_env().build();
/// let max = logger.filter();
/// kinesis_wire::log_filter::install(logger, max).expect("no logger installed yet");
/// ```
pub fn install<L: Log + 'static>(logger: L, max_level: LevelFilter) -> Result<(), SetLoggerError> {
    log::set_boxed_logger(Box::new(SecretSafeLog::new(logger)))?;
    log::set_max_level(max_level);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_per_crate_and_level() {
        for level in [
            Level::Error,
            Level::Warn,
            Level::Info,
            Level::Debug,
            Level::Trace,
        ] {
            assert!(is_sensitive("ureq_proto", level));
            assert!(is_sensitive("ureq_proto::util", level));
            assert!(is_sensitive("ureq_proto::client::amended", level));
            assert!(!is_sensitive("kinesis_wire::credentials", level));
            assert!(!is_sensitive("ureq_protocol", level));
        }
        assert!(is_sensitive("ureq", Level::Debug));
        assert!(is_sensitive(
            "ureq::unversioned::transport::tcp",
            Level::Trace
        ));
        assert!(!is_sensitive("ureq::pool", Level::Info));
        assert!(!is_sensitive("ureq", Level::Error));
        assert!(is_sensitive("rustls::conn", Level::Trace));
        assert!(!is_sensitive("rustls::conn", Level::Debug));
        assert!(!is_sensitive("rustls_pki_types", Level::Trace));
    }
}
