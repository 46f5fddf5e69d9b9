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
    if let Some(reason) = missing_credentials(e) {
        return no_credentials_message(reason);
    }
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

/// What to do when no credentials were found, as the first line; why each provider found
/// none after it under `-v` (one provider per line), else a pointer to `-v`.
pub const NO_CREDENTIALS: &str = "no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (any values for a local server), AWS_PROFILE, or aws.credentials.provider";

/// The providers' reasons when `e` (or the last error it retried) is "the default chain
/// found no credentials" (a provider the table names says itself what it lacks).
pub fn missing_credentials(e: &kinesis_wire::KinesisError) -> Option<&str> {
    use kinesis_wire::{credentials::CredentialsError, KinesisError};
    let root = match e {
        KinesisError::RetriesExhausted { last, .. } => last.as_ref(),
        other => other,
    };
    match root {
        KinesisError::Credentials(CredentialsError::NotFound { provider, reason })
            if *provider == "AUTO" =>
        {
            Some(reason)
        }
        _ => None,
    }
}

fn no_credentials_message(reason: &str) -> String {
    if !crate::logging::verbose() {
        return format!("{NO_CREDENTIALS}\n  (-v shows why each provider found none)");
    }
    // The default chain lists its providers' reasons in brackets, separated by "; ".
    let detail = reason
        .split_once('[')
        .and_then(|(_, rest)| rest.strip_suffix(']'))
        .unwrap_or(reason);
    let mut text = format!("{NO_CREDENTIALS}\n  why each provider found none:");
    for part in detail.split("; ") {
        text.push_str("\n    ");
        text.push_str(part);
    }
    text
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
    fn missing_credentials_lead_with_what_to_do() {
        let e = kinesis_wire::KinesisError::Credentials(kinesis_wire::credentials::CredentialsError::NotFound {
            provider: "AUTO",
            reason: "no provider yielded credentials: [ENV_VAR: no credentials: x; PROFILE: no credentials: y]".into(),
        });
        let m = describe_kinesis_error(Some("s"), "http://127.0.0.1:9", &e);
        assert!(m.starts_with(&format!("{NO_CREDENTIALS}\n")), "{m}");
        assert_eq!(
            missing_credentials(&e).map(|r| r.starts_with("no provider")),
            Some(true)
        );
        let text = no_credentials_message("chain: [A: x; B: y]");
        // Which of the two forms depends on the test process's log level; both lead alike.
        assert!(text.starts_with(NO_CREDENTIALS), "{text}");
        let failed = kinesis_wire::KinesisError::Credentials(
            kinesis_wire::credentials::CredentialsError::Failed {
                provider: "PROFILE",
                reason: "bad file".into(),
            },
        );
        assert_eq!(missing_credentials(&failed), None);
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
