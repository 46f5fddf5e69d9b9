//! The Avro schema Flink derives from a table's row type (`AvroSchemaConverter#convertToSchema`,
//! Flink 1.15–1.17), and its JSON text exactly as Avro's `Schema#toString()` prints it.
//!
//! Flink's rules, as implemented here:
//! - the table row is a record named `org.apache.flink.avro.generated.record`; a nested ROW in
//!   field `f` of a record named `N` is a record named `N_f` (same namespace); a ROW inside an
//!   ARRAY/MAP/MULTISET keeps the name of the field that holds the collection;
//! - a nullable type `T` becomes the union `["null", T]`; a nullable record field gets
//!   `"default": null`;
//! - BOOLEAN→boolean, TINYINT/SMALLINT/INT→int, BIGINT→long, FLOAT→float, DOUBLE→double,
//!   CHAR/VARCHAR→string, BINARY/VARBINARY→bytes, DECIMAL(p,s)→bytes+decimal(p,s),
//!   DATE→int+date, TIME(p≤3)→int+time-millis, TIMESTAMP(p≤3)→long+timestamp-millis,
//!   ARRAY→array, `MAP<string-ish,V>`→map of V, `MULTISET<string-ish>`→map of nullable int,
//!   ROW→record;
//! - with the legacy timestamp mapping (the default, and the only one Flink 1.15–1.17 has),
//!   TIMESTAMP_LTZ is rejected; without it (Flink 1.19+, `avro.timestamp_mapping.legacy =
//!   false`) TIMESTAMP(p) maps to `local-timestamp-{millis,micros,nanos}` and TIMESTAMP_LTZ(p)
//!   to `timestamp-{millis,micros,nanos}` — but, as in Flink, only for columns and ROW fields:
//!   ARRAY elements and MAP values are always converted with the legacy mapping.

use std::collections::{HashMap, HashSet};
use std::fmt;

use crate::types::{DataType, LogicalType, RowField};

/// The full name Flink gives the top-level record.
pub const TOP_RECORD_NAME: &str = "org.apache.flink.avro.generated.record";

/// An Avro logical type annotation on a primitive schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AvroLogical {
    /// `bytes` + `decimal(precision, scale)`.
    Decimal { precision: u8, scale: u8 },
    /// `int` + `date`: days since the epoch.
    Date,
    /// `int` + `time-millis`: milliseconds since midnight.
    TimeMillis,
    /// `long` + `timestamp-{millis,micros,nanos}`: an instant since the epoch.
    Timestamp(TimeUnit),
    /// `long` + `local-timestamp-{millis,micros,nanos}`: a wall-clock time since the epoch.
    LocalTimestamp(TimeUnit),
}

/// The unit of a timestamp logical type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeUnit {
    Millis,
    Micros,
    Nanos,
}

impl TimeUnit {
    fn suffix(self) -> &'static str {
        match self {
            TimeUnit::Millis => "millis",
            TimeUnit::Micros => "micros",
            TimeUnit::Nanos => "nanos",
        }
    }
}

/// An Avro primitive type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AvroPrimitive {
    Null,
    Boolean,
    Int,
    Long,
    Float,
    Double,
    Bytes,
    String,
}

impl AvroPrimitive {
    /// The Avro type name (`"long"`).
    pub fn name(self) -> &'static str {
        match self {
            AvroPrimitive::Null => "null",
            AvroPrimitive::Boolean => "boolean",
            AvroPrimitive::Int => "int",
            AvroPrimitive::Long => "long",
            AvroPrimitive::Float => "float",
            AvroPrimitive::Double => "double",
            AvroPrimitive::Bytes => "bytes",
            AvroPrimitive::String => "string",
        }
    }
}

/// The subset of Avro schemas Flink derives from SQL types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AvroSchema {
    Primitive {
        kind: AvroPrimitive,
        logical: Option<AvroLogical>,
    },
    /// Always `["null", T]` here.
    Union(Vec<AvroSchema>),
    Array(Box<AvroSchema>),
    /// Keys are always strings in Avro.
    Map(Box<AvroSchema>),
    Record(AvroRecord),
}

/// A named record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AvroRecord {
    /// The simple name (`record`, `record_address`).
    pub name: String,
    /// The namespace (`org.apache.flink.avro.generated`), `None` for none.
    pub namespace: Option<String>,
    pub fields: Vec<AvroField>,
}

impl AvroRecord {
    /// `namespace.name`, or the name alone without a namespace.
    pub fn full_name(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{ns}.{}", self.name),
            None => self.name.clone(),
        }
    }
}

/// A record field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AvroField {
    pub name: String,
    pub schema: AvroSchema,
    /// `true` prints `"default":null` (Flink sets it on every nullable field).
    pub default_null: bool,
}

/// A row type that has no Avro schema under Flink's rules. The message is Flink's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AvroSchemaError {
    /// Dotted path of the column at fault (`address.zip`), empty for the table itself.
    pub column: String,
    pub message: String,
}

impl fmt::Display for AvroSchemaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.column.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "column '{}': {}", self.column, self.message)
        }
    }
}

impl std::error::Error for AvroSchemaError {}

impl AvroSchema {
    fn primitive(kind: AvroPrimitive) -> Self {
        AvroSchema::Primitive {
            kind,
            logical: None,
        }
    }

    fn logical(kind: AvroPrimitive, logical: AvroLogical) -> Self {
        AvroSchema::Primitive {
            kind,
            logical: Some(logical),
        }
    }

    /// Flink's `nullableSchema`: `["null", T]` unless `T` already accepts null.
    fn nullable(self) -> Self {
        match self {
            AvroSchema::Primitive {
                kind: AvroPrimitive::Null,
                ..
            } => self,
            AvroSchema::Union(ref branches)
                if branches.iter().any(|b| {
                    matches!(
                        b,
                        AvroSchema::Primitive {
                            kind: AvroPrimitive::Null,
                            ..
                        }
                    )
                }) =>
            {
                self
            }
            other => AvroSchema::Union(vec![AvroSchema::primitive(AvroPrimitive::Null), other]),
        }
    }

    /// The JSON text Avro's `Schema#toString()` prints for this schema (compact, no spaces,
    /// nested records in the enclosing namespace without a `namespace` key).
    pub fn to_json(&self) -> String {
        let mut out = String::with_capacity(256);
        self.write_json(&mut out, None, &mut HashSet::new());
        out
    }

    /// `defined`: full names of the records printed so far; a record seen again is printed
    /// as a reference to its name, as Avro does.
    fn write_json(
        &self,
        out: &mut String,
        enclosing_namespace: Option<&str>,
        defined: &mut HashSet<String>,
    ) {
        match self {
            AvroSchema::Primitive {
                kind,
                logical: None,
            } => {
                out.push('"');
                out.push_str(kind.name());
                out.push('"');
            }
            AvroSchema::Primitive {
                kind,
                logical: Some(logical),
            } => {
                out.push_str("{\"type\":\"");
                out.push_str(kind.name());
                out.push_str("\",\"logicalType\":\"");
                match logical {
                    AvroLogical::Decimal { precision, scale } => {
                        out.push_str("decimal\",\"precision\":");
                        out.push_str(&precision.to_string());
                        out.push_str(",\"scale\":");
                        out.push_str(&scale.to_string());
                        out.push('}');
                        return;
                    }
                    AvroLogical::Date => out.push_str("date"),
                    AvroLogical::TimeMillis => out.push_str("time-millis"),
                    AvroLogical::Timestamp(unit) => {
                        out.push_str("timestamp-");
                        out.push_str(unit.suffix());
                    }
                    AvroLogical::LocalTimestamp(unit) => {
                        out.push_str("local-timestamp-");
                        out.push_str(unit.suffix());
                    }
                }
                out.push_str("\"}");
            }
            AvroSchema::Union(branches) => {
                out.push('[');
                for (i, branch) in branches.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    branch.write_json(out, enclosing_namespace, defined);
                }
                out.push(']');
            }
            AvroSchema::Array(items) => {
                out.push_str("{\"type\":\"array\",\"items\":");
                items.write_json(out, enclosing_namespace, defined);
                out.push('}');
            }
            AvroSchema::Map(values) => {
                out.push_str("{\"type\":\"map\",\"values\":");
                values.write_json(out, enclosing_namespace, defined);
                out.push('}');
            }
            AvroSchema::Record(record) => {
                if !defined.insert(record.full_name()) {
                    // Avro's writeNameRef: the name, qualified only outside its namespace.
                    if record.namespace.as_deref() == enclosing_namespace {
                        push_json_string(out, &record.name);
                    } else {
                        push_json_string(out, &record.full_name());
                    }
                    return;
                }
                out.push_str("{\"type\":\"record\",\"name\":");
                push_json_string(out, &record.name);
                // Avro's Name#writeName: the namespace is printed only where it differs from
                // the enclosing one.
                match (&record.namespace, enclosing_namespace) {
                    (Some(ns), Some(enclosing)) if ns == enclosing => {}
                    (Some(ns), _) => {
                        out.push_str(",\"namespace\":");
                        push_json_string(out, ns);
                    }
                    (None, Some(_)) => out.push_str(",\"namespace\":\"\""),
                    (None, None) => {}
                }
                out.push_str(",\"fields\":[");
                let namespace = record.namespace.as_deref();
                for (i, field) in record.fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str("{\"name\":");
                    push_json_string(out, &field.name);
                    out.push_str(",\"type\":");
                    field.schema.write_json(out, namespace, defined);
                    if field.default_null {
                        out.push_str(",\"default\":null");
                    }
                    out.push('}');
                }
                out.push_str("]}");
            }
        }
    }
}

impl fmt::Display for AvroSchema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_json())
    }
}

/// A JSON string literal as Jackson writes it (quotes, backslashes and control characters
/// escaped; everything else verbatim).
fn push_json_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Converts a table's physical row type (a `ROW NOT NULL`) to the Avro schema Flink derives
/// for it; `legacy_timestamp_mapping` is `avro.timestamp_mapping.legacy` (default `true`).
pub fn row_type_to_avro(
    fields: &[RowField],
    legacy_timestamp_mapping: bool,
) -> Result<AvroSchema, AvroSchemaError> {
    let schema = record_schema(fields, TOP_RECORD_NAME, "", legacy_timestamp_mapping)?;
    check_record_names(&schema, "", &mut HashMap::new())?;
    Ok(schema)
}

/// Two different records with one full name (a field `a_b` beside a ROW field `a` with a
/// nested ROW `b`) make Avro fail with "Can't redefine" when Flink serializes the schema;
/// identical ones are printed once and then referenced by name.
fn check_record_names<'a>(
    schema: &'a AvroSchema,
    path: &str,
    seen: &mut HashMap<String, &'a AvroRecord>,
) -> Result<(), AvroSchemaError> {
    match schema {
        AvroSchema::Primitive { .. } => Ok(()),
        AvroSchema::Union(branches) => branches
            .iter()
            .try_for_each(|b| check_record_names(b, path, seen)),
        AvroSchema::Array(inner) | AvroSchema::Map(inner) => check_record_names(inner, path, seen),
        AvroSchema::Record(record) => {
            let full_name = record.full_name();
            if let Some(existing) = seen.get(&full_name) {
                if *existing != record {
                    return Err(AvroSchemaError {
                        column: path.to_string(),
                        message: format!("Can't redefine: {full_name}"),
                    });
                }
                return Ok(());
            }
            seen.insert(full_name, record);
            record
                .fields
                .iter()
                .try_for_each(|f| check_record_names(&f.schema, &join_path(path, &f.name), seen))
        }
    }
}

fn record_schema(
    fields: &[RowField],
    full_name: &str,
    path: &str,
    legacy: bool,
) -> Result<AvroSchema, AvroSchemaError> {
    let (namespace, name) = match full_name.rfind('.') {
        Some(dot) => (Some(full_name[..dot].to_string()), &full_name[dot + 1..]),
        None => (None, full_name),
    };
    let mut avro_fields = Vec::with_capacity(fields.len());
    for field in fields {
        let field_path = join_path(path, &field.name);
        validate_name(&field.name).map_err(|message| AvroSchemaError {
            column: field_path.clone(),
            message,
        })?;
        let nested_name = format!("{full_name}_{}", field.name);
        let schema = convert(&field.data_type, &nested_name, &field_path, legacy)?;
        avro_fields.push(AvroField {
            name: field.name.clone(),
            schema,
            default_null: field.data_type.nullable,
        });
    }
    Ok(AvroSchema::Record(AvroRecord {
        name: name.to_string(),
        namespace,
        fields: avro_fields,
    }))
}

pub(crate) fn join_path(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_string()
    } else {
        format!("{path}.{name}")
    }
}

/// Avro's `Schema#validateName` (Java `Character.isLetter`/`isLetterOrDigit`, approximated by
/// Unicode alphabetic/alphanumeric).
fn validate_name(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return Err("Empty name".to_string());
    };
    if !(first.is_alphabetic() || first == '_') {
        return Err(format!("Illegal initial character: {name}"));
    }
    if chars.any(|c| !(c.is_alphanumeric() || c == '_')) {
        return Err(format!("Illegal character in: {name}"));
    }
    Ok(())
}

/// `AvroSchemaConverter#convertToSchema(LogicalType, String rowName, boolean legacy)`.
fn convert(
    data_type: &DataType,
    row_name: &str,
    path: &str,
    legacy: bool,
) -> Result<AvroSchema, AvroSchemaError> {
    use AvroPrimitive as P;
    let fail = |message: String| AvroSchemaError {
        column: path.to_string(),
        message,
    };
    let schema = match &data_type.kind {
        LogicalType::Boolean => AvroSchema::primitive(P::Boolean),
        LogicalType::TinyInt | LogicalType::SmallInt | LogicalType::Int => {
            AvroSchema::primitive(P::Int)
        }
        LogicalType::BigInt => AvroSchema::primitive(P::Long),
        LogicalType::Float => AvroSchema::primitive(P::Float),
        LogicalType::Double => AvroSchema::primitive(P::Double),
        LogicalType::Char(_) | LogicalType::Varchar(_) => AvroSchema::primitive(P::String),
        LogicalType::Binary(_) | LogicalType::Varbinary(_) => AvroSchema::primitive(P::Bytes),
        LogicalType::Timestamp(precision) => {
            let precision = *precision;
            let logical = if legacy {
                if precision <= 3 {
                    AvroLogical::Timestamp(TimeUnit::Millis)
                } else {
                    return Err(fail(format!(
                        "Avro does not support TIMESTAMP type with precision: {precision}, \
                         it only supports precision less than 3."
                    )));
                }
            } else {
                AvroLogical::LocalTimestamp(unit_for(precision))
            };
            AvroSchema::logical(P::Long, logical)
        }
        LogicalType::TimestampLtz(precision) => {
            if legacy {
                return Err(fail(format!(
                    "Unsupported to derive Schema for type: {data_type}"
                )));
            }
            AvroSchema::logical(P::Long, AvroLogical::Timestamp(unit_for(*precision)))
        }
        LogicalType::Date => AvroSchema::logical(P::Int, AvroLogical::Date),
        LogicalType::Time(precision) => {
            if *precision > 3 {
                return Err(fail(format!(
                    "Avro does not support TIME type with precision: {precision}, \
                     it only supports precision less than 3."
                )));
            }
            AvroSchema::logical(P::Int, AvroLogical::TimeMillis)
        }
        LogicalType::Decimal { precision, scale } => AvroSchema::logical(
            P::Bytes,
            AvroLogical::Decimal {
                precision: *precision,
                scale: *scale,
            },
        ),
        LogicalType::Row(fields) => record_schema(fields, row_name, path, legacy)?,
        LogicalType::Map(key, value) => {
            check_map_key(key).map_err(fail)?;
            // Flink calls the two-argument convertToSchema here: the legacy mapping.
            AvroSchema::Map(Box::new(convert(value, row_name, path, true)?))
        }
        LogicalType::Multiset(element) => {
            check_map_key(element).map_err(fail)?;
            AvroSchema::Map(Box::new(AvroSchema::primitive(P::Int).nullable()))
        }
        LogicalType::Array(element) => {
            // Flink calls the two-argument convertToSchema here: the legacy mapping.
            AvroSchema::Array(Box::new(convert(element, row_name, path, true)?))
        }
    };
    Ok(if data_type.nullable {
        schema.nullable()
    } else {
        schema
    })
}

fn unit_for(precision: u8) -> TimeUnit {
    if precision <= 3 {
        TimeUnit::Millis
    } else if precision <= 6 {
        TimeUnit::Micros
    } else {
        TimeUnit::Nanos
    }
}

fn check_map_key(key: &DataType) -> Result<(), String> {
    if matches!(key.kind, LogicalType::Char(_) | LogicalType::Varchar(_)) {
        Ok(())
    } else {
        Err(format!(
            "Avro format doesn't support non-string as key type of map. The key type is: {key}"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_json_text_is_avros() {
        let fields = vec![
            RowField::new("id", DataType::parse("BIGINT NOT NULL").unwrap()),
            RowField::new("name", DataType::parse("STRING").unwrap()),
        ];
        let schema = row_type_to_avro(&fields, true).unwrap();
        assert_eq!(
            schema.to_json(),
            r#"{"type":"record","name":"record","namespace":"org.apache.flink.avro.generated","fields":[{"name":"id","type":"long"},{"name":"name","type":["null","string"],"default":null}]}"#
        );
    }

    #[test]
    fn a_precise_timestamp_needs_the_new_mapping() {
        let fields = vec![RowField::new(
            "ts",
            DataType::parse("TIMESTAMP(6)").unwrap(),
        )];
        let err = row_type_to_avro(&fields, true).unwrap_err();
        assert_eq!(
            err.message,
            "Avro does not support TIMESTAMP type with precision: 6, it only supports precision less than 3."
        );
    }
}
