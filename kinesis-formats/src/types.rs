//! Flink logical data types.

/// A Flink logical type with its nullability.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DataType {
    pub kind: LogicalType,
    /// `false` for `NOT NULL`.
    pub nullable: bool,
}

/// The logical type without nullability. Lengths and precisions are as declared
/// (`STRING` is `Varchar(i32::MAX as u32)`, `BYTES` is `Varbinary(i32::MAX as u32)`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LogicalType {
    Char(u32),
    Varchar(u32),
    Boolean,
    Binary(u32),
    Varbinary(u32),
    Decimal { precision: u8, scale: u8 },
    TinyInt,
    SmallInt,
    Int,
    BigInt,
    Float,
    Double,
    Date,
    /// TIME(p), p in 0..=9 (Flink keeps at most millisecond values, p ≤ 3 in practice).
    Time(u8),
    /// TIMESTAMP(p) WITHOUT TIME ZONE, p in 0..=9.
    Timestamp(u8),
    /// TIMESTAMP_LTZ(p) / TIMESTAMP(p) WITH LOCAL TIME ZONE.
    TimestampLtz(u8),
    Array(Box<DataType>),
    Map(Box<DataType>, Box<DataType>),
    Row(Vec<RowField>),
    Multiset(Box<DataType>),
}

/// A named field of a ROW type (or a table's physical row).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RowField {
    pub name: String,
    pub data_type: DataType,
    pub description: Option<String>,
}
