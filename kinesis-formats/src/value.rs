//! Values and rows.

/// An exact decimal: `unscaled * 10^-scale`. Flink's DECIMAL has at most 38 digits, which
/// fits an `i128`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Decimal {
    pub unscaled: i128,
    pub scale: u8,
}

/// One value of a Flink logical type.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Boolean(bool),
    TinyInt(i8),
    SmallInt(i16),
    Int(i32),
    BigInt(i64),
    Float(f32),
    Double(f64),
    Decimal(Decimal),
    /// CHAR / VARCHAR / STRING.
    String(String),
    /// BINARY / VARBINARY / BYTES.
    Bytes(Vec<u8>),
    /// Days since 1970-01-01.
    Date(i32),
    /// Nanoseconds since midnight.
    Time(u64),
    /// TIMESTAMP: a wall-clock date-time, no zone.
    Timestamp(chrono::NaiveDateTime),
    /// TIMESTAMP_LTZ: an instant.
    TimestampLtz(chrono::DateTime<chrono::Utc>),
    Array(Vec<Value>),
    /// Entries in order; keys may repeat only if the source had them repeated.
    Map(Vec<(Value, Value)>),
    Row(Row),
    /// Element with its multiplicity.
    Multiset(Vec<(Value, u32)>),
}

/// A row: one value per field of a row type, in field order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Row {
    pub values: Vec<Value>,
}

impl Row {
    /// A row of the given values.
    ///
    /// ```
    /// use kinesis_formats::{Row, Value};
    /// let row = Row::new(vec![Value::BigInt(1), Value::Null]);
    /// assert_eq!(row.len(), 2);
    /// ```
    pub fn new(values: Vec<Value>) -> Self {
        Row { values }
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// `true` for a row without fields.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}
