//! `put -K DELIM` (kcat's: each line is `KEY DELIM VALUE`) and `put --key-column NAME`:
//! where each record's partition key comes from when the table's partitioner does not set
//! it (no PARTITIONED BY, no `sink.partitioner`).

use kinesis_formats::Row;
use kinesis_options::TableDef;
use kinesis_options::{FieldsPartitionKeyGenerator, PartitionKeyGenerator};

use crate::error::CliError;

/// How `put` keys its records.
#[derive(Debug)]
pub enum Keying {
    /// The table's partitioner (random, fixed, PARTITIONED BY, registered).
    Partitioner,
    /// `-K DELIM`: the line's text before the first DELIM.
    Delimiter(Vec<u8>),
    /// `--key-column NAME`: that column's text (Flink's form, as PARTITIONED BY would give).
    Column {
        name: String,
        generator: FieldsPartitionKeyGenerator,
    },
}

impl Keying {
    /// The keying `-K` / `--key-column` ask for; a usage error when the table's
    /// partitioner already sets the key, or the column cannot be a key.
    pub fn new(
        table: &TableDef,
        delimiter: Option<&str>,
        column: Option<&str>,
    ) -> Result<Keying, CliError> {
        let flag = match (delimiter, column) {
            (None, None) => return Ok(Keying::Partitioner),
            (Some(_), _) => "-K",
            (None, Some(_)) => "--key-column",
        };
        if !table.partition_keys().is_empty() {
            return Err(CliError::usage(format!(
                "{flag} sets each record's partition key, but the table's PARTITIONED BY ({}) does too: use one of them",
                table.partition_keys().join(", ")
            )));
        }
        if let Some(p) = table.options().get("sink.partitioner") {
            return Err(CliError::usage(format!(
                "{flag} sets each record's partition key, but the table's sink.partitioner = '{p}' does too: use one of them"
            )));
        }
        if let Some(d) = delimiter {
            if d.is_empty() {
                return Err(CliError::usage(
                    "-K needs a delimiter of at least one character",
                ));
            }
            return Ok(Keying::Delimiter(unescape(d).into_bytes()));
        }
        let name = column.unwrap_or_default();
        FieldsPartitionKeyGenerator::new(&table.physical_row_type(), &[name.to_string()], "|")
            .map(|generator| Keying::Column {
                name: name.to_string(),
                generator,
            })
            .map_err(|e| CliError::usage(format!("--key-column {name}: {e}")))
    }

    /// Splits an input line into its key (`-K` only) and the payload to decode; an error
    /// when the line has no delimiter or its key is not UTF-8.
    pub fn split<'a>(&self, line: &'a [u8]) -> Result<(Option<String>, &'a [u8]), String> {
        let Keying::Delimiter(d) = self else {
            return Ok((None, line));
        };
        let at = line
            .windows(d.len())
            .position(|w| w == d.as_slice())
            .ok_or_else(|| {
                format!(
                    "no key delimiter '{}' (-K): expected KEY{}VALUE",
                    String::from_utf8_lossy(d),
                    String::from_utf8_lossy(d)
                )
            })?;
        let key = std::str::from_utf8(&line[..at])
            .map_err(|_| "the key before the -K delimiter is not UTF-8".to_string())?;
        Ok((Some(key.to_string()), &line[at + d.len()..]))
    }

    /// The partition key of a record: the split key (`-K`), the column's text, or `None`
    /// for the table's partitioner.
    pub fn key(&self, split_key: Option<String>, row: &Row) -> Option<String> {
        match self {
            Keying::Partitioner => None,
            Keying::Delimiter(_) => split_key,
            Keying::Column { generator, .. } => Some(generator.partition_key(row)),
        }
    }

    /// The input line of a record the sink handed back (`payload_line` in the input's form):
    /// with `-K`, its key and the delimiter first, so the line can be sent again as it was.
    pub fn line(&self, key: &str, mut payload_line: Vec<u8>) -> Vec<u8> {
        match self {
            Keying::Delimiter(d) => {
                let mut line = key.as_bytes().to_vec();
                line.extend_from_slice(d);
                line.append(&mut payload_line);
                line
            }
            _ => payload_line,
        }
    }
}

/// kcat's delimiter escapes: `\t`, `\n`... are not useful inside a line, so only `\t` and
/// `\\` are read as escapes.
fn unescape(d: &str) -> String {
    d.replace("\\t", "\t").replace("\\\\", "\\")
}

#[cfg(test)]
mod tests {
    use super::*;
    use kinesis_formats::{DataType, Value};
    use kinesis_options::Column;

    fn table(partitioned: bool, options: &[(&str, &str)]) -> TableDef {
        let mut o: Vec<(String, String)> = [
            ("stream", "s"),
            ("format", "csv"),
            ("aws.region", "us-east-1"),
        ]
        .iter()
        .chain(options)
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        o.sort();
        TableDef::from_options_partitioned(
            "t",
            vec![
                Column::physical("id", DataType::parse("BIGINT").unwrap()),
                Column::physical("v", DataType::string()),
            ],
            if partitioned { vec!["id"] } else { vec![] },
            o,
        )
        .unwrap()
    }

    #[test]
    fn delimiter_splits_at_the_first_occurrence() {
        let k = Keying::new(&table(false, &[]), Some("::"), None).unwrap();
        assert_eq!(
            k.split(b"user-1::a::b").unwrap(),
            (Some("user-1".to_string()), &b"a::b"[..])
        );
        assert!(k
            .split(b"no delimiter")
            .unwrap_err()
            .contains("no key delimiter '::'"));
        assert_eq!(k.line("user-1", b"a::b".to_vec()), b"user-1::a::b");
        let tab = Keying::new(&table(false, &[]), Some("\\t"), None).unwrap();
        assert_eq!(tab.split(b"k\tv").unwrap().0.as_deref(), Some("k"));
    }

    #[test]
    fn key_column_gives_the_columns_text() {
        let k = Keying::new(&table(false, &[]), None, Some("id")).unwrap();
        let row = Row::new(vec![Value::BigInt(42), Value::String("x".into())]);
        assert_eq!(k.key(None, &row).as_deref(), Some("42"));
        let e = Keying::new(&table(false, &[]), None, Some("nope")).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().starts_with("--key-column nope: "), "{e}");
    }

    #[test]
    fn a_table_that_keys_its_records_refuses_both() {
        for (t, names) in [
            (table(true, &[]), "PARTITIONED BY (id)"),
            (
                table(false, &[("sink.partitioner", "fixed")]),
                "sink.partitioner = 'fixed'",
            ),
        ] {
            for (d, c) in [(Some(":"), None), (None, Some("v"))] {
                let e = Keying::new(&t, d, c).expect_err("refused");
                assert_eq!(e.exit_code(), 2);
                assert!(e.to_string().contains(names), "{e}");
            }
        }
    }
}
