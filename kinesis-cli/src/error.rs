//! [`CliError`]: what went wrong, and which exit code that means.

use std::fmt;

/// A failed command. The variant decides the exit code (the CLI contract): 2 for bad usage
/// or an invalid table/options, 1 for a failure at run time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CliError {
    /// The command line is wrong (unknown flag, missing value, bad number).
    Usage(String),
    /// The command line is wrong, as clap words it (with its suggestions and usage line);
    /// printed as it is.
    Clap(String),
    /// The table definition or an option is invalid.
    Invalid(String),
    /// The command ran and failed: network, missing stream, records not written.
    Runtime(String),
    /// SIGINT or SIGTERM stopped the command and nothing was lost (every row acknowledged,
    /// or a checkpoint saved): exit 130 or 143 (`code`), with `message` on stderr.
    Interrupted { code: i32, message: String },
}

impl CliError {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Usage(_) | CliError::Clap(_) | CliError::Invalid(_) => 2,
            CliError::Runtime(_) => 1,
            CliError::Interrupted { code, .. } => *code,
        }
    }

    /// A usage error.
    pub fn usage(message: impl Into<String>) -> Self {
        CliError::Usage(message.into())
    }

    /// An invalid-table/option error.
    pub fn invalid(message: impl Into<String>) -> Self {
        CliError::Invalid(message.into())
    }

    /// A run-time failure.
    pub fn runtime(message: impl Into<String>) -> Self {
        CliError::Runtime(message.into())
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Usage(m) => write!(f, "{m}\n(run `kinesis --help` for usage)"),
            CliError::Clap(m) => f.write_str(m.trim_end()),
            CliError::Invalid(m) | CliError::Runtime(m) => f.write_str(m),
            CliError::Interrupted { message, .. } => f.write_str(message),
        }
    }
}

impl std::error::Error for CliError {}

/// Describes a Kinesis error for a person: the service's own words plus a hint for the
/// usual causes (stream missing, endpoint unreachable). `endpoint` is the URL requests went
/// to ([`kinesis_wire::ClientConfig::endpoint_url`]), named when it could not be reached.
pub fn describe_kinesis_error(
    stream: Option<&str>,
    endpoint: &str,
    e: &kinesis_wire::KinesisError,
) -> String {
    use kinesis_wire::{codes, KinesisError};
    let root = match e {
        KinesisError::RetriesExhausted { last, .. } => last.as_ref(),
        other => other,
    };
    if root.is_code(codes::RESOURCE_NOT_FOUND) {
        if let Some(s) = stream {
            return format!("stream '{s}' not found: {e}");
        }
    }
    if root.is_connect_failure() {
        return format!(
            "cannot reach the Kinesis endpoint {endpoint} (check aws.endpoint / --endpoint and aws.region): {e}"
        );
    }
    e.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_follow_the_contract() {
        assert_eq!(CliError::usage("x").exit_code(), 2);
        assert_eq!(CliError::invalid("x").exit_code(), 2);
        assert_eq!(CliError::runtime("x").exit_code(), 1);
    }

    #[test]
    fn missing_stream_is_named() {
        let e = kinesis_wire::KinesisError::Service {
            action: "ListShards",
            code: kinesis_wire::codes::RESOURCE_NOT_FOUND.into(),
            message: "Stream nope under account 1 not found.".into(),
            status: 400,
            request_id: None,
        };
        let m = describe_kinesis_error(Some("nope"), "http://127.0.0.1:9", &e);
        assert!(
            m.starts_with("stream 'nope' not found: ListShards failed"),
            "{m}"
        );
    }
}
