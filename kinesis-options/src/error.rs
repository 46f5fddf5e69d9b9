//! Errors of table definition: DDL syntax, schema problems and option validation.
//!
//! Option errors carry Flink's wording (reference §2) with the table key the user wrote
//! (decisions D2). No error ever contains the value of a sensitive option.

use std::fmt;

/// One problem found in a `CREATE TABLE` text, with its position.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DdlProblem {
    /// 1-based line of the DDL text.
    pub line: usize,
    /// 1-based column (in characters) of the DDL text.
    pub column: usize,
    /// What is wrong (and, where we can tell, what is missing).
    pub message: String,
    /// The offending line with a caret under the column.
    pub excerpt: String,
}

impl fmt::Display for DdlProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: {}\n{}",
            self.line, self.column, self.message, self.excerpt
        )
    }
}

/// Why a table definition was rejected.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum OptionsError {
    /// The DDL text does not parse. Holds every problem found (the parser recovers from a
    /// missing `)` or `WITH (` to report both); never empty.
    Syntax(Vec<DdlProblem>),
    /// A column, metadata or partitioning problem; `column` names the column when there is one.
    Schema {
        /// The column at fault, if there is one.
        column: Option<String>,
        /// What is wrong.
        message: String,
    },
    /// Required options are absent (Flink's "One or more required options are missing.").
    MissingOptions(Vec<String>),
    /// Keys that neither the source nor the sink knows (decisions D3), each with the closest
    /// known key, if any is close.
    UnsupportedOptions {
        /// `(key as written, suggestion)`, sorted by key; a key with a secret glued to it
        /// is shown as [`crate::spec::display_key`] does.
        keys: Vec<(String, Option<String>)>,
        /// Every supported key, sorted; deprecated ones suffixed ` (deprecated)`.
        supported: Vec<String>,
    },
    /// A value was rejected. `message` is Flink's message for the rule (naming the table
    /// key, D2); `key` is the option at fault.
    Invalid {
        /// The option at fault, as the user wrote it.
        key: String,
        /// Flink's message for the rule.
        message: String,
    },
    /// The format (`csv`, `json`, ...) rejected its options.
    Format {
        /// The format's name.
        format: String,
        /// What the format said.
        message: String,
    },
    /// `error`, found while validating a `CREATE TABLE` text, about something the text
    /// says (a column, a PARTITIONED BY key, an option): shown as `line L, column C:`, the
    /// error's first line, an excerpt with a caret (like a syntax error), then the rest of
    /// the error's lines.
    Located {
        /// The error itself.
        error: Box<OptionsError>,
        /// 1-based line of the DDL text.
        line: usize,
        /// 1-based column (in characters).
        column: usize,
        /// The line with a caret under the column (sensitive values masked).
        excerpt: String,
    },
    /// Every problem of a table, in the order the checks ran (Flink's order), when more
    /// than one was found and [`crate::Definition::all_errors`] asked for them all; never
    /// nested, never fewer than two.
    Multiple(Vec<OptionsError>),
}

impl OptionsError {
    /// The option key at fault, when the error is about one option.
    ///
    /// ```
    /// use kinesis_options::TableDef;
    /// let err = TableDef::from_options("t", vec![], [
    ///     ("stream", "s"), ("format", "csv"), ("aws.region", "us-east-1"),
    ///     ("sink.batch.max-size", "0"),
    /// ]).unwrap_err();
    /// assert_eq!(err.key(), Some("sink.batch.max-size"));
    /// ```
    pub fn key(&self) -> Option<&str> {
        match self {
            OptionsError::Invalid { key, .. } => Some(key),
            OptionsError::Located { error, .. } => error.key(),
            _ => None,
        }
    }

    /// The error without its DDL position (see [`OptionsError::Located`]): what to match
    /// on, whichever way the table was defined.
    ///
    /// ```
    /// use kinesis_options::{OptionsError, TableDef};
    /// let err = TableDef::from_ddl("CREATE TABLE t (a INT)
    ///     WITH ('stream' = 's', 'format' = 'csv', 'aws.region' = 'us-east-1',
    ///           'sink.batch.max-size' = '0')").unwrap_err();
    /// // Where the DDL sets the value at fault, then Flink's message, then an excerpt.
    /// let text = err.to_string();
    /// assert!(text.starts_with("line 3, column "), "{text}");
    /// assert!(text.contains(": Invalid option batch size."), "{text}");
    /// assert_eq!(err.without_location().to_string(),
    ///            "Invalid option batch size. Must be a positive integer");
    /// assert!(matches!(err.without_location(), OptionsError::Invalid { .. }));
    /// ```
    pub fn without_location(&self) -> &OptionsError {
        match self {
            OptionsError::Located { error, .. } => error.without_location(),
            other => other,
        }
    }

    /// The problems this error stands for: the list of [`OptionsError::Multiple`], else
    /// the error itself.
    ///
    /// ```
    /// use kinesis_options::{Definition, TableDef};
    /// let err = TableDef::from_options_with("t", vec![], Vec::<String>::new(), [
    ///     ("stream", "s"), ("format", "csv"), ("aws.region", "us-east-1"),
    ///     ("sink.batch.max-size", "0"), ("scan.stream.initpos", "SOMETIME"),
    /// ], &Definition::new().all_errors(true)).unwrap_err();
    /// let keys: Vec<_> = err.problems().iter().map(|e| e.key()).collect();
    /// assert_eq!(keys, [Some("sink.batch.max-size"), Some("scan.stream.initpos")]);
    /// ```
    pub fn problems(&self) -> &[OptionsError] {
        match self {
            OptionsError::Multiple(list) => list,
            one => std::slice::from_ref(one),
        }
    }

    pub(crate) fn invalid(key: impl Into<String>, message: impl Into<String>) -> Self {
        OptionsError::Invalid {
            key: key.into(),
            message: message.into(),
        }
    }

    pub(crate) fn schema(column: Option<&str>, message: impl Into<String>) -> Self {
        OptionsError::Schema {
            column: column.map(str::to_string),
            message: message.into(),
        }
    }
}

impl fmt::Display for OptionsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OptionsError::Syntax(problems) => {
                for (i, p) in problems.iter().enumerate() {
                    if i > 0 {
                        f.write_str("\n")?;
                    }
                    write!(f, "{p}")?;
                }
                Ok(())
            }
            OptionsError::Schema { message, .. } => f.write_str(message),
            OptionsError::MissingOptions(keys) => write!(
                f,
                "One or more required options are missing.\n\nMissing required options are:\n\n{}",
                keys.join("\n")
            ),
            OptionsError::UnsupportedOptions { keys, supported } => {
                f.write_str(
                    "Unsupported options found for 'kinesis'.\n\nUnsupported options:\n\n",
                )?;
                for (i, (key, suggestion)) in keys.iter().enumerate() {
                    if i > 0 {
                        f.write_str("\n")?;
                    }
                    match suggestion {
                        Some(s) => write!(f, "{key} (did you mean '{s}'?)")?,
                        None => f.write_str(key)?,
                    }
                }
                write!(f, "\n\nSupported options:\n\n{}", supported.join("\n"))
            }
            OptionsError::Invalid { message, .. } => f.write_str(message),
            OptionsError::Format { message, .. } => f.write_str(message),
            OptionsError::Located {
                error,
                line,
                column,
                excerpt,
            } => {
                // The excerpt follows the error's first line, so a long message (the
                // supported-option list) does not push it out of sight.
                let text = error.to_string();
                let (head, tail) = text.split_at(text.find('\n').unwrap_or(text.len()));
                write!(f, "line {line}, column {column}: {head}\n{excerpt}{tail}")
            }
            OptionsError::Multiple(list) => {
                for (i, e) in list.iter().enumerate() {
                    if i > 0 {
                        f.write_str("\n\n")?;
                    }
                    write!(f, "{e}")?;
                }
                Ok(())
            }
        }
    }
}

/// Collects the problems of a table definition. In first-error mode (Flink's) a problem
/// is returned at once; in all-errors mode it is kept and the checks go on with a
/// fallback value, so that [`Problems::finish`] reports every problem in check order.
pub(crate) struct Problems {
    all: bool,
    found: Vec<OptionsError>,
}

impl Problems {
    pub fn new(all: bool) -> Problems {
        Problems {
            all,
            found: Vec::new(),
        }
    }

    /// Records `e`: returned at once in first-error mode, kept in all-errors mode (once:
    /// a rule checked twice, e.g. the credential tree, is reported once).
    pub fn report(&mut self, e: OptionsError) -> Result<(), OptionsError> {
        if !self.all {
            return Err(e);
        }
        if !self.found.contains(&e) {
            self.found.push(e);
        }
        Ok(())
    }

    /// `r`'s value, or `None` once its error is recorded ([`Problems::report`]).
    pub fn check<T>(&mut self, r: Result<T, OptionsError>) -> Result<Option<T>, OptionsError> {
        match r {
            Ok(v) => Ok(Some(v)),
            Err(e) => self.report(e).map(|_| None),
        }
    }

    /// `r`'s value, or `fallback` once its error is recorded.
    pub fn or<T>(&mut self, r: Result<T, OptionsError>, fallback: T) -> Result<T, OptionsError> {
        Ok(self.check(r)?.unwrap_or(fallback))
    }

    /// Whether a problem was recorded.
    pub fn any(&self) -> bool {
        !self.found.is_empty()
    }

    /// Ok when nothing was found; the one problem, or [`OptionsError::Multiple`].
    pub fn finish(mut self) -> Result<(), OptionsError> {
        match self.found.len() {
            0 => Ok(()),
            1 => Err(self.found.remove(0)),
            _ => Err(OptionsError::Multiple(self.found)),
        }
    }
}

impl std::error::Error for OptionsError {}
