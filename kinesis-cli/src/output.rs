//! How `read` prints rows: `--output json|csv|table` or a kcat-like `-f` template.

use std::io::{self, Write};

use base64::Engine as _;
use kinesis_formats::{Format, Row, RowField, Value};
use kinesis_options::Column;

use crate::args::Output;
use crate::error::CliError;

/// Put before the base64 form of a payload (or BYTES value, in table output) that is not
/// valid UTF-8, so binary data is never printed lossily.
pub const BASE64_MARKER: &str = "base64:";

/// Rows buffered by the table printer before it fixes column widths and prints them.
const TABLE_BATCH: usize = 500;

/// One record as `read` hands it to a printer: the row's values in declared column order
/// (metadata included) and the record's Kinesis facts.
pub struct RecordView<'a> {
    pub values: &'a [Value],
    /// The record's payload as stored in Kinesis.
    pub payload: &'a [u8],
    pub partition_key: &'a str,
    pub shard_id: &'a str,
    pub sequence_number: &'a str,
    /// Approximate arrival time, epoch milliseconds.
    pub arrival_ms: i64,
    pub stream: &'a str,
}

/// A piece of a `-f` template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    Literal(Vec<u8>),
    Payload,
    /// `%S`: the payload's size in bytes.
    PayloadSize,
    PartitionKey,
    /// `%K`: the partition key's size in bytes (UTF-8).
    KeySize,
    ShardId,
    SequenceNumber,
    ArrivalMs,
    Stream,
}

/// A duration for people: `500 ms`, `10 s`, `1.5 s`, `2 min`.
pub fn human_duration(d: std::time::Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        format!("{ms} ms")
    } else if ms.is_multiple_of(60_000) {
        format!("{} min", ms / 60_000)
    } else if ms.is_multiple_of(1000) {
        format!("{} s", ms / 1000)
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

/// Parses a kcat-like template: `%s %S %k %K %p %o %T %t %%` and `\n \t \r \\` escapes.
pub fn parse_template(text: &str) -> Result<Vec<Token>, CliError> {
    let mut tokens = Vec::new();
    let mut lit = Vec::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '%' => {
                let t = match chars.next() {
                    Some('s') => Token::Payload,
                    Some('S') => Token::PayloadSize,
                    Some('k') => Token::PartitionKey,
                    Some('K') => Token::KeySize,
                    Some('p') => Token::ShardId,
                    Some('o') => Token::SequenceNumber,
                    Some('T') => Token::ArrivalMs,
                    Some('t') => Token::Stream,
                    Some('%') => {
                        lit.push(b'%');
                        continue;
                    }
                    Some(other) => {
                        return Err(CliError::usage(format!(
                            "-f: unknown token '%{other}' (use %s %S %k %K %p %o %T %t or %%)"
                        )))
                    }
                    None => return Err(CliError::usage("-f: '%' at the end of the format")),
                };
                if !lit.is_empty() {
                    tokens.push(Token::Literal(std::mem::take(&mut lit)));
                }
                tokens.push(t);
            }
            '\\' => match chars.next() {
                Some('n') => lit.push(b'\n'),
                Some('t') => lit.push(b'\t'),
                Some('r') => lit.push(b'\r'),
                Some('0') => lit.push(0),
                Some('\\') => lit.push(b'\\'),
                Some(other) => {
                    lit.push(b'\\');
                    let mut buf = [0u8; 4];
                    lit.extend_from_slice(other.encode_utf8(&mut buf).as_bytes());
                }
                None => lit.push(b'\\'),
            },
            other => {
                let mut buf = [0u8; 4];
                lit.extend_from_slice(other.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    if !lit.is_empty() {
        tokens.push(Token::Literal(lit));
    }
    Ok(tokens)
}

/// Writes `bytes` as is when they are UTF-8, else as [`BASE64_MARKER`] + base64.
pub fn write_payload(out: &mut dyn Write, bytes: &[u8]) -> io::Result<()> {
    match std::str::from_utf8(bytes) {
        Ok(_) => out.write_all(bytes),
        Err(_) => {
            out.write_all(BASE64_MARKER.as_bytes())?;
            out.write_all(
                base64::engine::general_purpose::STANDARD
                    .encode(bytes)
                    .as_bytes(),
            )
        }
    }
}

/// Prints records in one of the output forms.
pub enum Printer {
    /// One JSON object per line, in the json format's text forms.
    Json { format: Format, buf: Vec<u8> },
    /// One CSV line per row, in the csv format's text forms (no header).
    Csv { format: Format, buf: Vec<u8> },
    /// An aligned text table with a header.
    Table(TablePrinter),
    /// A `-f` template per record.
    Template(Vec<Token>),
}

fn full_row_type(columns: &[Column]) -> Vec<RowField> {
    columns
        .iter()
        .map(|c| RowField::new(c.name.clone(), c.data_type.clone()))
        .collect()
}

fn json_format(columns: &[Column]) -> Result<Format, CliError> {
    Format::from_options("json", &Default::default(), &full_row_type(columns))
        .map_err(|e| CliError::invalid(format!("cannot print this table as JSON: {e}")))
}

impl Printer {
    /// A printer for rows of `columns` (all of them, metadata included, as declared).
    pub fn new(
        columns: &[Column],
        output: Output,
        template: Option<&str>,
    ) -> Result<Printer, CliError> {
        if let Some(t) = template {
            return Ok(Printer::Template(parse_template(t)?));
        }
        Ok(match output {
            Output::Json => Printer::Json {
                format: json_format(columns)?,
                buf: Vec::new(),
            },
            Output::Csv => Printer::Csv {
                format: Format::from_options("csv", &Default::default(), &full_row_type(columns))
                    .map_err(|e| {
                    CliError::invalid(format!("cannot print this table as CSV: {e}"))
                })?,
                buf: Vec::new(),
            },
            // kcat's default: the payload as stored, and a newline (`-f '%s\n'`).
            Output::Raw => Printer::Template(vec![Token::Payload, Token::Literal(b"\n".to_vec())]),
            Output::Table => Printer::Table(TablePrinter {
                json: json_format(columns)?,
                names: columns.iter().map(|c| c.name.clone()).collect(),
                widths: columns.iter().map(|c| c.name.chars().count()).collect(),
                pending: Vec::new(),
                header_done: false,
            }),
        })
    }

    /// Prints one record (the table printer may hold it until [`Printer::flush`]).
    pub fn print(&mut self, rec: &RecordView<'_>, out: &mut dyn Write) -> Result<(), CliError> {
        let io = |e: io::Error| CliError::runtime(format!("cannot write to stdout: {e}"));
        match self {
            Printer::Json { format, buf } | Printer::Csv { format, buf } => {
                buf.clear();
                format
                    .encode(&Row::new(rec.values.to_vec()), buf)
                    .map_err(|e| {
                        CliError::runtime(format!(
                            "cannot print the record with sequence number {} of {}: {e}",
                            rec.sequence_number, rec.shard_id
                        ))
                    })?;
                buf.push(b'\n');
                out.write_all(buf).map_err(io)
            }
            Printer::Table(t) => {
                let cells = t.cells(rec)?;
                t.pending.push(cells);
                if t.pending.len() >= TABLE_BATCH {
                    t.flush(out).map_err(io)?;
                }
                Ok(())
            }
            Printer::Template(tokens) => {
                for t in tokens.iter() {
                    match t {
                        Token::Literal(b) => out.write_all(b),
                        Token::Payload => write_payload(out, rec.payload),
                        Token::PayloadSize => {
                            out.write_all(rec.payload.len().to_string().as_bytes())
                        }
                        Token::PartitionKey => out.write_all(rec.partition_key.as_bytes()),
                        Token::KeySize => {
                            out.write_all(rec.partition_key.len().to_string().as_bytes())
                        }
                        Token::ShardId => out.write_all(rec.shard_id.as_bytes()),
                        Token::SequenceNumber => out.write_all(rec.sequence_number.as_bytes()),
                        Token::ArrivalMs => out.write_all(rec.arrival_ms.to_string().as_bytes()),
                        Token::Stream => out.write_all(rec.stream.as_bytes()),
                    }
                    .map_err(io)?;
                }
                Ok(())
            }
        }
    }

    /// Prints whatever is held back, and flushes `out`.
    pub fn flush(&mut self, out: &mut dyn Write) -> Result<(), CliError> {
        let io = |e: io::Error| CliError::runtime(format!("cannot write to stdout: {e}"));
        if let Printer::Table(t) = self {
            t.flush(out).map_err(io)?;
        }
        out.flush().map_err(io)
    }
}

/// Buffers rows, then prints them aligned; widths only grow, so later batches stay aligned
/// with earlier ones unless a value is wider than anything seen before.
pub struct TablePrinter {
    json: Format,
    names: Vec<String>,
    widths: Vec<usize>,
    pending: Vec<Vec<String>>,
    header_done: bool,
}

/// Text of a string for one table cell: control characters escaped so a row stays on one
/// line.
fn cell_text(s: &str) -> String {
    if !s.chars().any(char::is_control) {
        return s.to_string();
    }
    s.chars()
        .map(|c| match c {
            '\n' => "\\n".to_string(),
            '\t' => "\\t".to_string(),
            '\r' => "\\r".to_string(),
            c if c.is_control() => format!("\\u{{{:x}}}", c as u32),
            c => c.to_string(),
        })
        .collect()
}

impl TablePrinter {
    fn cells(&self, rec: &RecordView<'_>) -> Result<Vec<String>, CliError> {
        let mut buf = Vec::new();
        self.json
            .encode(&Row::new(rec.values.to_vec()), &mut buf)
            .map_err(|e| {
                CliError::runtime(format!(
                    "cannot print the record with sequence number {} of {}: {e}",
                    rec.sequence_number, rec.shard_id
                ))
            })?;
        let obj: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(&buf)
            .map_err(|e| CliError::runtime(format!("internal: json row did not parse: {e}")))?;
        Ok(self
            .names
            .iter()
            .zip(rec.values)
            .map(|(name, value)| match value {
                Value::Null => "NULL".to_string(),
                Value::String(s) => cell_text(s),
                Value::Bytes(b) => match std::str::from_utf8(b) {
                    Ok(s) => cell_text(s),
                    Err(_) => format!(
                        "{BASE64_MARKER}{}",
                        base64::engine::general_purpose::STANDARD.encode(b)
                    ),
                },
                _ => match obj.get(name) {
                    Some(serde_json::Value::String(s)) => cell_text(s),
                    Some(other) => other.to_string(),
                    None => "NULL".to_string(),
                },
            })
            .collect())
    }

    fn flush(&mut self, out: &mut dyn Write) -> io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        for row in &self.pending {
            for (w, cell) in self.widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let mut text = String::new();
        let line = |text: &mut String, cells: &[String], widths: &[usize]| {
            for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
                if i > 0 {
                    text.push_str(" | ");
                }
                text.push_str(cell);
                if i + 1 < cells.len() {
                    for _ in cell.chars().count()..*w {
                        text.push(' ');
                    }
                }
            }
            text.push('\n');
        };
        if !self.header_done {
            line(&mut text, &self.names, &self.widths);
            let rule: Vec<String> = self.widths.iter().map(|w| "-".repeat(*w)).collect();
            text.push_str(&rule.join("-+-"));
            text.push('\n');
            self.header_done = true;
        }
        for row in self.pending.drain(..) {
            line(&mut text, &row, &self.widths);
        }
        out.write_all(text.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kinesis_formats::DataType;

    fn columns() -> Vec<Column> {
        vec![
            Column::physical("id", DataType::parse("BIGINT").unwrap()),
            Column::physical("data", DataType::bytes()),
            Column::physical("ts", DataType::parse("TIMESTAMP(3)").unwrap()),
        ]
    }

    fn record<'a>(values: &'a [Value], payload: &'a [u8]) -> RecordView<'a> {
        RecordView {
            values,
            payload,
            partition_key: "pk",
            shard_id: "shardId-000000000001",
            sequence_number: "4960",
            arrival_ms: 1_700_000_000_123,
            stream: "s",
        }
    }

    fn values() -> Vec<Value> {
        let ts = chrono::NaiveDate::from_ymd_opt(2024, 1, 1)
            .unwrap()
            .and_hms_milli_opt(10, 11, 12, 1)
            .unwrap();
        vec![
            Value::BigInt(7),
            Value::Bytes(vec![0xff, 0x00, b'a']),
            Value::Timestamp(ts),
        ]
    }

    #[test]
    fn json_lines_in_the_json_formats_text_forms() {
        let v = values();
        let mut p = Printer::new(&columns(), Output::Json, None).unwrap();
        let mut out = Vec::new();
        p.print(&record(&v, b"x"), &mut out).unwrap();
        let nulls = [Value::BigInt(-1), Value::Null, Value::Null];
        p.print(&record(&nulls, b"x"), &mut out).unwrap();
        p.flush(&mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"id\":7,\"data\":\"/wBh\",\"ts\":\"2024-01-01 10:11:12.001\"}\n\
             {\"id\":-1,\"data\":null,\"ts\":null}\n"
        );
    }

    #[test]
    fn table_marks_binary_and_aligns() {
        let v = values();
        let v2 = vec![
            Value::BigInt(12345),
            Value::Bytes(b"hello".to_vec()),
            Value::Null,
        ];
        let mut p = Printer::new(&columns(), Output::Table, None).unwrap();
        let mut out = Vec::new();
        p.print(&record(&v, b"x"), &mut out).unwrap();
        p.print(&record(&v2, b"x"), &mut out).unwrap();
        assert!(out.is_empty(), "held until flush");
        p.flush(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "id    | data        | ts");
        assert_eq!(lines[1], "------+-------------+------------------------");
        assert_eq!(lines[2], "7     | base64:/wBh | 2024-01-01 10:11:12.001");
        assert_eq!(lines[3], "12345 | hello       | NULL");
    }

    #[test]
    fn templates() {
        let t = parse_template("%t/%p/%o %k %T: %s\\n100%%").unwrap();
        let sizes = parse_template("%S %K|").unwrap();
        let mut out = Vec::new();
        let v = values();
        Printer::Template(sizes)
            .print(&record(&v, "héllo".as_bytes()), &mut out)
            .unwrap();
        assert_eq!(out, b"6 2|", "bytes, not characters");
        let v = values();
        let mut out = Vec::new();
        let mut p = Printer::Template(t);
        p.print(&record(&v, b"payload"), &mut out).unwrap();
        p.print(&record(&v, &[0xc3, 0x28]), &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "s/shardId-000000000001/4960 pk 1700000000123: payload\n100%\
             s/shardId-000000000001/4960 pk 1700000000123: base64:wyg=\n100%"
        );
        assert!(parse_template("%x").is_err());
        assert!(parse_template("abc%").is_err());
    }
}
