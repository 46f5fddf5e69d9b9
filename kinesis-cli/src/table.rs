//! The table a command works on: `--table FILE` (a CREATE TABLE statement) with `-X`
//! overrides, or, without `--table`, a raw table of one BYTES column `data` described by
//! `-X` options alone.

use std::collections::BTreeMap;

use kinesis_formats::DataType;
use kinesis_options::{AwsEnvironment, Column, Definition, OptionsError, TableDef};
use kinesis_wire::ClientConfig;

use crate::args::Global;
use crate::error::CliError;

/// The table name used when there is no `--table`.
pub const DEFAULT_TABLE_NAME: &str = "kinesis";

/// Builds and validates the table from `--table` and `-X`. `extra` options (e.g. `read -o`)
/// go last, so they win over both. Region and endpoints the command line and the table
/// leave unset come from the process's AWS environment (decisions D21).
pub fn load(global: &Global, extra: &[(String, String)]) -> Result<TableDef, CliError> {
    load_in(global, extra, &AwsEnvironment::process(), false)
}

/// As [`load`], resolving from `env`; with `all_errors`, every problem of the table is
/// reported (`validate`).
pub fn load_in(
    global: &Global,
    extra: &[(String, String)],
    env: &AwsEnvironment,
    all_errors: bool,
) -> Result<TableDef, CliError> {
    let overrides: Vec<(String, String)> =
        global.options.iter().chain(extra.iter()).cloned().collect();
    let how = Definition::new()
        .environment(env.clone())
        .all_errors(all_errors);
    let verbose = global.verbosity > 0;
    match &global.table_file {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                CliError::invalid(format!("cannot read --table {}: {e}", path.display()))
            })?;
            // Overrides are merged into the WITH options before validation, so they can
            // repair an invalid or incomplete WITH and the DDL's other clauses are kept.
            TableDef::from_ddl_with(&text, overrides.iter().cloned(), &how).map_err(|e| {
                let with = if overrides.is_empty() {
                    ""
                } else {
                    " with -X overrides"
                };
                CliError::invalid(format!(
                    "invalid table in {}{with}: {}",
                    path.display(),
                    options_error(&e, verbose)
                ))
            })
        }
        None => {
            let mut options: BTreeMap<String, String> = overrides.into_iter().collect();
            if !options.contains_key("stream") {
                return Err(CliError::usage(
                    "no table: pass --table FILE.sql, or at least -t STREAM (-X stream=NAME): a raw table of one BYTES column `data`",
                ));
            }
            let format = options
                .entry("format".to_string())
                .or_insert_with(|| "raw".to_string())
                .clone();
            if format != "raw" {
                return Err(CliError::usage(format!(
                    "format '{format}' needs columns: pass --table FILE.sql (without --table the table is one BYTES column `data` in the raw format)"
                )));
            }
            TableDef::from_options_with(
                DEFAULT_TABLE_NAME,
                vec![Column::physical("data", DataType::bytes())],
                Vec::<String>::new(),
                options,
                &how,
            )
            .map_err(|e| {
                CliError::invalid(format!("invalid options: {}", options_error(&e, verbose)))
            })
        }
    }
}

/// The client configuration for commands that need no table (stream administration):
/// from `--table` when given, else from the `aws.*` options of `-X` alone (and the AWS
/// environment, D21), validated by the same rules (a placeholder raw table carries them).
pub fn client_config(global: &Global) -> Result<ClientConfig, CliError> {
    if global.table_file.is_some() {
        return Ok(load(global, &[])?.client_config().clone());
    }
    let mut options: BTreeMap<String, String> = global
        .options
        .iter()
        .filter(|(k, _)| k.starts_with("aws."))
        .cloned()
        .collect();
    options.insert("stream".into(), "kinesis-cli".into());
    options.insert("format".into(), "raw".into());
    let table = TableDef::from_options_with(
        DEFAULT_TABLE_NAME,
        vec![Column::physical("data", DataType::bytes())],
        Vec::<String>::new(),
        options,
        &Definition::new().environment(AwsEnvironment::process()),
    )
    .map_err(|e| {
        CliError::invalid(format!(
            "invalid options: {}",
            options_error(&e, global.verbosity > 0)
        ))
    })?;
    Ok(table.client_config().clone())
}

/// The client configuration and stream of `describe [NAME]` and `find-shard`: `name`
/// when given (the client from the command line's `aws.*` options, or `--table`'s),
/// else the table's stream.
pub fn client_and_stream(
    global: &Global,
    name: Option<String>,
) -> Result<(ClientConfig, String), CliError> {
    match name {
        Some(n) => Ok((client_config(global)?, n)),
        None => {
            let t = load(global, &[])?;
            Ok((t.client_config().clone(), t.stream().to_string()))
        }
    }
}

/// An options error in Flink's words, followed by the option at fault when Flink's
/// message does not name it (e.g. "Invalid option batch size"); every problem of a
/// [`OptionsError::Multiple`], each in that form, separated by blank lines. The list of
/// every supported option that follows an unknown option is shown only when `verbose`.
pub fn options_error(e: &OptionsError, verbose: bool) -> String {
    if let OptionsError::Multiple(list) = e {
        let parts: Vec<String> = list.iter().map(|p| options_error(p, verbose)).collect();
        return format!("{} problems\n{}", parts.len(), parts.join("\n\n"));
    }
    if let OptionsError::Located {
        error,
        line,
        column,
        excerpt,
    } = e
    {
        // The option's name goes with the message; the excerpt follows its first line.
        let text = options_error(error, verbose);
        let (head, tail) = text.split_at(text.find('\n').unwrap_or(text.len()));
        return format!("line {line}, column {column}: {head}\n{excerpt}{tail}");
    }
    let mut text = e.to_string();
    if !verbose {
        if let Some(i) = text.find("\n\nSupported options:") {
            text.truncate(i);
            text.push_str("\n\n(-v lists every supported option)");
        }
    }
    match e.key() {
        Some(key) if !text.contains(key) => format!("{text} (option '{key}')"),
        _ => text,
    }
}

/// Builds a client from a configuration.
pub fn client(config: &ClientConfig) -> Result<kinesis_wire::KinesisClient, CliError> {
    kinesis_wire::KinesisClient::new(config.clone())
        .map_err(|e| CliError::invalid(format!("cannot create the Kinesis client: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An AWS environment with no variables and no profile files.
    fn no_env() -> AwsEnvironment {
        AwsEnvironment::new(std::sync::Arc::new(kinesis_wire::env::MapEnv::default()))
    }

    fn load(global: &Global, extra: &[(String, String)]) -> Result<TableDef, CliError> {
        load_in(global, extra, &no_env(), false)
    }

    fn global(opts: &[(&str, &str)]) -> Global {
        Global {
            options: opts
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..Global::default()
        }
    }

    #[test]
    fn raw_table_without_ddl() {
        let t = load(
            &global(&[("stream", "s"), ("aws.region", "us-east-1")]),
            &[],
        )
        .unwrap();
        assert_eq!(t.stream(), "s");
        assert_eq!(t.columns().len(), 1);
        assert_eq!(t.columns()[0].name, "data");
        assert_eq!(t.format_options().name, "raw");
    }

    #[test]
    fn later_options_win() {
        let t = load(
            &global(&[
                ("stream", "a"),
                ("aws.region", "us-east-1"),
                ("stream", "b"),
            ]),
            &[("scan.stream.initpos".into(), "TRIM_HORIZON".into())],
        )
        .unwrap();
        assert_eq!(t.stream(), "b");
        assert_eq!(t.resolved_options()["scan.stream.initpos"], "TRIM_HORIZON");
    }

    #[test]
    fn missing_stream_and_columnless_csv_are_usage_errors() {
        let e = load(&global(&[]), &[]).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().contains("-X stream=NAME"), "{e}");
        let e = load(&global(&[("stream", "s"), ("format", "csv")]), &[]).unwrap_err();
        assert!(e.to_string().contains("needs columns"), "{e}");
    }

    #[test]
    fn bad_option_is_invalid() {
        let e = load(
            &global(&[("stream", "s"), ("sink.batch.max-size", "0")]),
            &[],
        )
        .unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().contains("sink.batch.max-size"), "{e}");
    }

    /// A `--table` file holding `ddl`, removed when dropped.
    struct DdlFile(std::path::PathBuf);

    impl DdlFile {
        fn new(tag: &str, ddl: &str) -> Self {
            let path = std::env::temp_dir().join(format!(
                "kinesis-cli-table-{tag}-{}.sql",
                std::process::id()
            ));
            std::fs::write(&path, ddl).unwrap();
            DdlFile(path)
        }
    }

    impl Drop for DdlFile {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    #[test]
    fn overrides_repair_the_ddl_and_keep_its_clauses() {
        // Invalid on its own: no region or endpoint, and a batch size of 0.
        let file = DdlFile::new(
            "repair",
            "CREATE TABLE t (a INT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) COMMENT 'c'
             WITH ('stream' = 's', 'format' = 'csv', 'sink.batch.max-size' = '0')",
        );
        let mut g = global(&[]);
        g.table_file = Some(file.0.clone());
        let e = load(&g, &[]).unwrap_err().to_string();
        assert!(
            e.contains(": line 2, column 78: Invalid option batch size. Must be a positive integer (option 'sink.batch.max-size')\n2 | "),
            "{e}"
        );
        g.options = vec![
            ("aws.endpoint".into(), "http://127.0.0.1:9".into()),
            ("sink.batch.max-size".into(), "10".into()),
        ];
        let t = load(&g, &[("scan.stream.initpos".into(), "TRIM_HORIZON".into())]).unwrap();
        assert_eq!(t.sink_options().batch_max_size, 10);
        assert_eq!(t.resolved_options()["scan.stream.initpos"], "TRIM_HORIZON");
        assert_eq!(t.watermark().map(|w| w.column.as_str()), Some("ts"));
        assert_eq!(t.comment(), Some("c"));
        // A bad override names the file and the overrides.
        g.options.push(("sink.batch.max-size".into(), "-1".into()));
        let e = load(&g, &[]).unwrap_err().to_string();
        assert!(
            e.contains("with -X overrides: Invalid option batch size"),
            "{e}"
        );
    }

    #[test]
    fn the_environment_fills_what_the_command_line_and_table_leave_unset() {
        let env = AwsEnvironment::new(std::sync::Arc::new(kinesis_wire::env::MapEnv::from_pairs(
            [
                ("AWS_REGION", "eu-west-1"),
                ("AWS_ENDPOINT_URL_KINESIS", "http://127.0.0.1:9"),
            ],
        )));
        let t = load_in(&global(&[("stream", "s")]), &[], &env, false).unwrap();
        assert_eq!(t.client_config().region.as_deref(), Some("eu-west-1"));
        assert_eq!(
            t.client_config().endpoint.as_deref(),
            Some("http://127.0.0.1:9")
        );
        let t = load_in(
            &global(&[("stream", "s"), ("aws.region", "us-east-2")]),
            &[],
            &env,
            false,
        )
        .unwrap();
        assert_eq!(t.client_config().region.as_deref(), Some("us-east-2"));
        assert_eq!(t.resolved_from_environment().len(), 1);
    }

    #[test]
    fn every_problem_and_the_supported_list_only_when_verbose() {
        let g = global(&[
            ("stream", "s"),
            ("aws.region", "us-east-1"),
            ("sink.batch.max-sise", "3"),
            ("scan.stream.initpos", "x"),
        ]);
        let e = load_in(&g, &[], &no_env(), true).unwrap_err().to_string();
        assert!(
            e.starts_with("invalid options: 2 problems\nUnsupported options"),
            "{e}"
        );
        assert!(e.contains("sink.batch.max-sise (did you mean 'sink.batch.max-size'?)\n\n(-v lists every supported option)\n\nInvalid initial position"), "{e}");
        assert!(!e.contains("Supported options:"), "{e}");
        let mut verbose = g.clone();
        verbose.verbosity = 1;
        let e = load_in(&verbose, &[], &no_env(), true)
            .unwrap_err()
            .to_string();
        assert!(e.contains("Supported options:\n\n"), "{e}");
        // Without all_errors: the first only.
        let e = load_in(&g, &[], &no_env(), false).unwrap_err().to_string();
        assert!(!e.contains("Invalid initial position"), "{e}");
    }

    #[test]
    fn client_config_uses_only_aws_keys() {
        let c = client_config(&global(&[
            ("aws.endpoint", "http://127.0.0.1:9"),
            ("format", "csv"),
        ]))
        .unwrap();
        assert_eq!(c.endpoint.as_deref(), Some("http://127.0.0.1:9"));
    }
}
