//! Flink logical data types: the model, a parser for Flink's SQL spelling and the canonical
//! printed form.

use std::fmt;

/// The length Flink uses for `STRING` (`VARCHAR(2147483647)`) and `BYTES`.
pub(crate) const MAX_LENGTH: u32 = i32::MAX as u32;

/// A Flink logical type with its nullability.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DataType {
    /// The type without nullability.
    pub kind: LogicalType,
    /// `false` for `NOT NULL`.
    pub nullable: bool,
}

/// The logical type without nullability. Lengths and precisions are as declared
/// (`STRING` is `Varchar(i32::MAX as u32)`, `BYTES` is `Varbinary(i32::MAX as u32)`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LogicalType {
    /// CHAR(n): fixed length n.
    Char(u32),
    /// VARCHAR(n) and STRING (n = 2147483647).
    Varchar(u32),
    /// BOOLEAN.
    Boolean,
    /// BINARY(n): fixed length n.
    Binary(u32),
    /// VARBINARY(n) and BYTES (n = 2147483647).
    Varbinary(u32),
    /// DECIMAL(p, s).
    Decimal {
        /// Digits in all, 1..=38.
        precision: u8,
        /// Digits after the point, 0..=precision.
        scale: u8,
    },
    /// TINYINT: 8-bit signed.
    TinyInt,
    /// SMALLINT: 16-bit signed.
    SmallInt,
    /// INT: 32-bit signed.
    Int,
    /// BIGINT: 64-bit signed.
    BigInt,
    /// FLOAT: 32-bit IEEE 754.
    Float,
    /// DOUBLE: 64-bit IEEE 754.
    Double,
    /// DATE: a day without time zone.
    Date,
    /// TIME(p), p in 0..=9 (Flink keeps at most millisecond values, p ≤ 3 in practice).
    Time(u8),
    /// TIMESTAMP(p) WITHOUT TIME ZONE, p in 0..=9.
    Timestamp(u8),
    /// TIMESTAMP_LTZ(p) / TIMESTAMP(p) WITH LOCAL TIME ZONE.
    TimestampLtz(u8),
    /// `ARRAY<T>`.
    Array(Box<DataType>),
    /// `MAP<K, V>`.
    Map(Box<DataType>, Box<DataType>),
    /// `ROW<name T, ...>`.
    Row(Vec<RowField>),
    /// `MULTISET<T>`: elements with their multiplicity.
    Multiset(Box<DataType>),
}

/// A named field of a ROW type (or a table's physical row).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RowField {
    /// The field's name.
    pub name: String,
    /// The field's type.
    pub data_type: DataType,
    /// The field's comment (`COMMENT '...'` in DDL), if any.
    pub description: Option<String>,
}

impl RowField {
    /// A field without description.
    ///
    /// ```
    /// use kinesis_formats::{DataType, RowField};
    /// let f = RowField::new("id", DataType::parse("BIGINT").unwrap());
    /// assert_eq!(f.name, "id");
    /// ```
    pub fn new(name: impl Into<String>, data_type: DataType) -> Self {
        RowField {
            name: name.into(),
            data_type,
            description: None,
        }
    }
}

/// A type string that could not be parsed: the message and the byte offset in the input.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TypeParseError {
    /// Byte offset (0-based) in the parsed text where the problem was found.
    pub offset: usize,
    /// What is wrong there.
    pub message: String,
}

impl fmt::Display for TypeParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "could not parse type at byte {}: {}",
            self.offset, self.message
        )
    }
}

impl std::error::Error for TypeParseError {}

impl DataType {
    /// A nullable type of the given kind.
    ///
    /// ```
    /// use kinesis_formats::{DataType, LogicalType};
    /// assert_eq!(DataType::nullable(LogicalType::Int).to_string(), "INT");
    /// assert_eq!(DataType::not_null(LogicalType::Int).to_string(), "INT NOT NULL");
    /// assert_eq!(DataType::string().with_nullable(false).to_string(), "STRING NOT NULL");
    /// ```
    pub fn nullable(kind: LogicalType) -> Self {
        DataType {
            kind,
            nullable: true,
        }
    }

    /// A `NOT NULL` type of the given kind.
    pub fn not_null(kind: LogicalType) -> Self {
        DataType {
            kind,
            nullable: false,
        }
    }

    /// The same type with the given nullability.
    pub fn with_nullable(mut self, nullable: bool) -> Self {
        self.nullable = nullable;
        self
    }

    /// `STRING` (nullable).
    pub fn string() -> Self {
        Self::nullable(LogicalType::Varchar(MAX_LENGTH))
    }

    /// `BYTES` (nullable).
    pub fn bytes() -> Self {
        Self::nullable(LogicalType::Varbinary(MAX_LENGTH))
    }

    /// Parses a whole type string in Flink's SQL spelling (case-insensitive keywords,
    /// parameters and nesting; `NOT NULL` / `NULL` suffixes).
    ///
    /// ```
    /// use kinesis_formats::{DataType, LogicalType};
    /// let t = DataType::parse("decimal(10, 2) not null").unwrap();
    /// assert_eq!(t.kind, LogicalType::Decimal { precision: 10, scale: 2 });
    /// assert!(!t.nullable);
    /// assert_eq!(t.to_string(), "DECIMAL(10, 2) NOT NULL");
    /// assert_eq!(DataType::parse("ROW(a INT, `b c` ARRAY<STRING>)").unwrap().to_string(),
    ///            "ROW<`a` INT, `b c` ARRAY<STRING>>");
    /// assert!(DataType::parse("INT garbage").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<DataType, TypeParseError> {
        let (t, end) = Self::parse_prefix(text)?;
        let mut p = Parser {
            s: text,
            pos: end,
            depth: 0,
        };
        p.skip_ws();
        if p.pos < text.len() {
            return Err(p.err("unexpected text after the type"));
        }
        Ok(t)
    }

    /// Parses one type at the start of `text` (leading whitespace allowed), including a
    /// trailing `NOT NULL` / `NULL`, and returns it with the number of bytes consumed (up to
    /// the end of the type's last token). The rest of the text is left alone, so a DDL parser
    /// can continue with `METADATA FROM 'x' VIRTUAL`, `COMMENT '...'`, `,` or `)`.
    ///
    /// ```
    /// use kinesis_formats::DataType;
    /// let col = "TIMESTAMP(3) NOT NULL METADATA FROM 'timestamp' VIRTUAL";
    /// let (t, used) = DataType::parse_prefix(col).unwrap();
    /// assert_eq!(t.to_string(), "TIMESTAMP(3) NOT NULL");
    /// assert_eq!(&col[used..], " METADATA FROM 'timestamp' VIRTUAL");
    /// ```
    pub fn parse_prefix(text: &str) -> Result<(DataType, usize), TypeParseError> {
        let mut p = Parser {
            s: text,
            pos: 0,
            depth: 0,
        };
        let t = p.parse_type()?;
        Ok((t, p.pos))
    }

    /// `true` for CHAR / VARCHAR / STRING.
    pub fn is_character_string(&self) -> bool {
        matches!(self.kind, LogicalType::Char(_) | LogicalType::Varchar(_))
    }

    /// Whether a declared column of this type can receive, on read, a value of type
    /// `actual` the way Flink allows it (the planner requires the actual type to be
    /// castable to the declared one, e.g. a metadata `TIMESTAMP_LTZ(3)` into a `TIMESTAMP(3)`
    /// column or `VARCHAR(128)` into `STRING`). Nullability is not considered here; a null
    /// arriving in a `NOT NULL` column is caught by [`crate::Value::convert_to`].
    ///
    /// ```
    /// use kinesis_formats::DataType;
    /// let p = |s| DataType::parse(s).unwrap();
    /// assert!(p("TIMESTAMP(3)").can_hold(&p("TIMESTAMP_LTZ(3) NOT NULL")));
    /// assert!(p("STRING").can_hold(&p("VARCHAR(128) NOT NULL")));
    /// assert!(p("BIGINT").can_hold(&p("INT")));
    /// assert!(!p("BOOLEAN").can_hold(&p("DATE")));
    /// ```
    pub fn can_hold(&self, actual: &DataType) -> bool {
        use LogicalType as L;
        let to = &self.kind;
        let from = &actual.kind;
        if to == from {
            return true;
        }
        let numeric = |t: &LogicalType| {
            matches!(
                t,
                L::TinyInt
                    | L::SmallInt
                    | L::Int
                    | L::BigInt
                    | L::Float
                    | L::Double
                    | L::Decimal { .. }
            )
        };
        let stringy = |t: &LogicalType| matches!(t, L::Char(_) | L::Varchar(_));
        let binary = |t: &LogicalType| matches!(t, L::Binary(_) | L::Varbinary(_));
        let time_point = |t: &LogicalType| matches!(t, L::Timestamp(_) | L::TimestampLtz(_));
        let simple =
            |t: &LogicalType| !matches!(t, L::Array(_) | L::Map(..) | L::Row(_) | L::Multiset(_));
        match (to, from) {
            // Everything simple is castable to a character string; nested types too (Flink
            // casts ARRAY/MAP/ROW to their string form since 1.15).
            (t, _) if stringy(t) => true,
            (t, f) if stringy(f) => simple(t),
            (t, f) if numeric(t) => numeric(f) || matches!(f, L::Boolean),
            (L::Boolean, f) => numeric(f),
            (t, f) if binary(t) => binary(f),
            (L::Date, f) => time_point(f),
            (L::Time(_), f) => time_point(f) || matches!(f, L::Time(_)),
            (t, f) if time_point(t) => time_point(f) || matches!(f, L::Date),
            (L::Array(a), L::Array(b)) | (L::Multiset(a), L::Multiset(b)) => a.can_hold(b),
            (L::Map(ka, va), L::Map(kb, vb)) => ka.can_hold(kb) && va.can_hold(vb),
            (L::Row(a), L::Row(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .zip(b)
                        .all(|(x, y)| x.data_type.can_hold(&y.data_type))
            }
            _ => false,
        }
    }
}

impl fmt::Display for DataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.kind)?;
        if !self.nullable {
            f.write_str(" NOT NULL")?;
        }
        Ok(())
    }
}

impl fmt::Display for LogicalType {
    /// Flink's summary form (`LogicalType#asSummaryString`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use LogicalType as L;
        match self {
            L::Char(n) => write!(f, "CHAR({n})"),
            L::Varchar(n) if *n == MAX_LENGTH => f.write_str("STRING"),
            L::Varchar(n) => write!(f, "VARCHAR({n})"),
            L::Boolean => f.write_str("BOOLEAN"),
            L::Binary(n) => write!(f, "BINARY({n})"),
            L::Varbinary(n) if *n == MAX_LENGTH => f.write_str("BYTES"),
            L::Varbinary(n) => write!(f, "VARBINARY({n})"),
            L::Decimal { precision, scale } => write!(f, "DECIMAL({precision}, {scale})"),
            L::TinyInt => f.write_str("TINYINT"),
            L::SmallInt => f.write_str("SMALLINT"),
            L::Int => f.write_str("INT"),
            L::BigInt => f.write_str("BIGINT"),
            L::Float => f.write_str("FLOAT"),
            L::Double => f.write_str("DOUBLE"),
            L::Date => f.write_str("DATE"),
            L::Time(p) => write!(f, "TIME({p})"),
            L::Timestamp(p) => write!(f, "TIMESTAMP({p})"),
            L::TimestampLtz(p) => write!(f, "TIMESTAMP_LTZ({p})"),
            L::Array(t) => write!(f, "ARRAY<{t}>"),
            L::Map(k, v) => write!(f, "MAP<{k}, {v}>"),
            L::Multiset(t) => write!(f, "MULTISET<{t}>"),
            L::Row(fields) => {
                f.write_str("ROW<")?;
                for (i, field) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "`{}` {}", field.name.replace('`', "``"), field.data_type)?;
                    if let Some(d) = &field.description {
                        write!(f, " '{}'", d.replace('\'', "''"))?;
                    }
                }
                f.write_str(">")
            }
        }
    }
}

/// A small recursive-descent parser over the type text. Tokens: words, backquoted
/// identifiers, quoted strings, unsigned integers and the symbols `< > ( ) ,`.
struct Parser<'a> {
    s: &'a str,
    pos: usize,
    /// Nesting depth, bounded so hostile input cannot overflow the stack.
    depth: u32,
}

/// Deepest nesting of ARRAY/MAP/ROW/MULTISET accepted by the parser.
const MAX_TYPE_DEPTH: u32 = 64;

impl<'a> Parser<'a> {
    fn err(&self, message: impl Into<String>) -> TypeParseError {
        TypeParseError {
            offset: self.pos,
            message: message.into(),
        }
    }

    fn skip_ws(&mut self) {
        let b = self.s.as_bytes();
        while self.pos < b.len() && b[self.pos].is_ascii_whitespace() {
            self.pos += 1;
        }
    }

    /// The next word (letters, digits, `_`, `$`) after whitespace, without consuming it.
    fn peek_word(&self) -> Option<(&'a str, usize, usize)> {
        let b = self.s.as_bytes();
        let mut i = self.pos;
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        let start = i;
        // Identifiers may hold non-ASCII letters (Calcite accepts them unquoted).
        if i < b.len() && (b[i].is_ascii_alphabetic() || b[i] == b'_' || b[i] >= 0x80) {
            while i < b.len()
                && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'$' || b[i] >= 0x80)
            {
                i += 1;
            }
            Some((&self.s[start..i], start, i))
        } else {
            None
        }
    }

    fn peek_keyword(&self, kw: &str) -> Option<usize> {
        match self.peek_word() {
            Some((w, _, end)) if w.eq_ignore_ascii_case(kw) => Some(end),
            _ => None,
        }
    }

    /// Consumes the keyword sequence `kws` if all of it is next; otherwise consumes nothing.
    fn accept_keywords(&mut self, kws: &[&str]) -> bool {
        let save = self.pos;
        for kw in kws {
            match self.peek_keyword(kw) {
                Some(end) => self.pos = end,
                None => {
                    self.pos = save;
                    return false;
                }
            }
        }
        true
    }

    fn peek_symbol(&self) -> Option<(u8, usize)> {
        let b = self.s.as_bytes();
        let mut i = self.pos;
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        b.get(i).map(|c| (*c, i))
    }

    fn accept_symbol(&mut self, c: u8) -> bool {
        match self.peek_symbol() {
            Some((x, i)) if x == c => {
                self.pos = i + 1;
                true
            }
            _ => false,
        }
    }

    fn expect_symbol(&mut self, c: u8) -> Result<(), TypeParseError> {
        if self.accept_symbol(c) {
            Ok(())
        } else {
            self.skip_ws();
            Err(self.err(format!("expected '{}'", c as char)))
        }
    }

    fn parse_uint(&mut self) -> Result<u64, TypeParseError> {
        self.skip_ws();
        let b = self.s.as_bytes();
        let start = self.pos;
        while self.pos < b.len() && b[self.pos].is_ascii_digit() {
            self.pos += 1;
        }
        if start == self.pos {
            return Err(self.err("expected a number"));
        }
        self.s[start..self.pos]
            .parse::<u64>()
            .map_err(|_| TypeParseError {
                offset: start,
                message: "number out of range".into(),
            })
    }

    /// `(n)` if present.
    fn optional_param(&mut self) -> Result<Option<(u64, usize)>, TypeParseError> {
        if self.accept_symbol(b'(') {
            self.skip_ws();
            let at = self.pos;
            let n = self.parse_uint()?;
            self.expect_symbol(b')')?;
            Ok(Some((n, at)))
        } else {
            Ok(None)
        }
    }

    fn length_param(&mut self, name: &str, default: u32) -> Result<u32, TypeParseError> {
        match self.optional_param()? {
            None => Ok(default),
            Some((n, at)) if (1..=MAX_LENGTH as u64).contains(&n) => {
                let _ = at;
                Ok(n as u32)
            }
            Some((_, at)) => Err(TypeParseError {
                offset: at,
                message: format!(
                    "{name} length must be between 1 and {MAX_LENGTH} (both inclusive)"
                ),
            }),
        }
    }

    fn precision_param(&mut self, name: &str, default: u8) -> Result<u8, TypeParseError> {
        match self.optional_param()? {
            None => Ok(default),
            Some((n, _)) if n <= 9 => Ok(n as u8),
            Some((_, at)) => Err(TypeParseError {
                offset: at,
                message: format!("{name} precision must be between 0 and 9 (both inclusive)"),
            }),
        }
    }

    fn parse_type(&mut self) -> Result<DataType, TypeParseError> {
        if self.depth >= MAX_TYPE_DEPTH {
            self.skip_ws();
            return Err(self.err(format!("types nested deeper than {MAX_TYPE_DEPTH} levels")));
        }
        self.depth += 1;
        let kind = self.parse_kind();
        self.depth -= 1;
        let kind = kind?;
        let mut t = DataType {
            kind,
            nullable: self.parse_nullability(),
        };
        // Flink's suffix notation: `INT ARRAY`, `STRING MULTISET`.
        loop {
            if self.accept_keywords(&["ARRAY"]) {
                t = DataType::nullable(LogicalType::Array(Box::new(t)));
            } else if self.accept_keywords(&["MULTISET"]) {
                t = DataType::nullable(LogicalType::Multiset(Box::new(t)));
            } else {
                break;
            }
            t.nullable = self.parse_nullability();
        }
        Ok(t)
    }

    fn parse_nullability(&mut self) -> bool {
        if self.accept_keywords(&["NOT", "NULL"]) {
            false
        } else {
            self.accept_keywords(&["NULL"]);
            true
        }
    }

    fn parse_kind(&mut self) -> Result<LogicalType, TypeParseError> {
        use LogicalType as L;
        self.skip_ws();
        let Some((word, start, end)) = self.peek_word() else {
            return Err(self.err("expected a type name"));
        };
        self.pos = end;
        let upper = word.to_ascii_uppercase();
        let kind = match upper.as_str() {
            "CHAR" | "CHARACTER" => {
                if self.accept_keywords(&["VARYING"]) {
                    L::Varchar(self.length_param("VARCHAR", 1)?)
                } else {
                    L::Char(self.length_param("CHAR", 1)?)
                }
            }
            "VARCHAR" => L::Varchar(self.length_param("VARCHAR", 1)?),
            "STRING" => L::Varchar(MAX_LENGTH),
            "BOOLEAN" => L::Boolean,
            "BINARY" => {
                if self.accept_keywords(&["VARYING"]) {
                    L::Varbinary(self.length_param("VARBINARY", 1)?)
                } else {
                    L::Binary(self.length_param("BINARY", 1)?)
                }
            }
            "VARBINARY" => L::Varbinary(self.length_param("VARBINARY", 1)?),
            "BYTES" => L::Varbinary(MAX_LENGTH),
            "DECIMAL" | "DEC" | "NUMERIC" => {
                let (mut precision, mut scale) = (10u64, 0u64);
                if self.accept_symbol(b'(') {
                    self.skip_ws();
                    let at = self.pos;
                    precision = self.parse_uint()?;
                    if !(1..=38).contains(&precision) {
                        return Err(TypeParseError {
                            offset: at,
                            message: "Decimal precision must be between 1 and 38 (both inclusive)."
                                .into(),
                        });
                    }
                    if self.accept_symbol(b',') {
                        self.skip_ws();
                        let at = self.pos;
                        scale = self.parse_uint()?;
                        if scale > precision {
                            return Err(TypeParseError {
                                offset: at,
                                message: format!(
                                    "Decimal scale must be between 0 and the precision {precision} (both inclusive)."
                                ),
                            });
                        }
                    }
                    self.expect_symbol(b')')?;
                }
                L::Decimal {
                    precision: precision as u8,
                    scale: scale as u8,
                }
            }
            "TINYINT" => L::TinyInt,
            "SMALLINT" => L::SmallInt,
            "INT" | "INTEGER" => L::Int,
            "BIGINT" => L::BigInt,
            "FLOAT" | "REAL" => L::Float,
            "DOUBLE" => {
                self.accept_keywords(&["PRECISION"]);
                L::Double
            }
            "DATE" => L::Date,
            "TIME" => {
                let p = self.precision_param("TIME", 0)?;
                self.accept_keywords(&["WITHOUT", "TIME", "ZONE"]);
                L::Time(p)
            }
            "TIMESTAMP" => {
                let p = self.precision_param("TIMESTAMP", 6)?;
                if self.accept_keywords(&["WITHOUT", "TIME", "ZONE"]) {
                    L::Timestamp(p)
                } else if self.accept_keywords(&["WITH", "LOCAL", "TIME", "ZONE"]) {
                    L::TimestampLtz(p)
                } else if self.peek_keyword("WITH").is_some() {
                    self.skip_ws();
                    return Err(self.err("TIMESTAMP WITH TIME ZONE is not supported"));
                } else {
                    L::Timestamp(p)
                }
            }
            "TIMESTAMP_LTZ" => L::TimestampLtz(self.precision_param("TIMESTAMP_LTZ", 6)?),
            "ARRAY" => {
                self.expect_symbol(b'<')?;
                let t = self.parse_type()?;
                self.expect_symbol(b'>')?;
                L::Array(Box::new(t))
            }
            "MULTISET" => {
                self.expect_symbol(b'<')?;
                let t = self.parse_type()?;
                self.expect_symbol(b'>')?;
                L::Multiset(Box::new(t))
            }
            "MAP" => {
                self.expect_symbol(b'<')?;
                let k = self.parse_type()?;
                self.expect_symbol(b',')?;
                let v = self.parse_type()?;
                self.expect_symbol(b'>')?;
                L::Map(Box::new(k), Box::new(v))
            }
            "ROW" => {
                let close = if self.accept_symbol(b'<') {
                    b'>'
                } else if self.accept_symbol(b'(') {
                    b')'
                } else {
                    self.skip_ws();
                    return Err(self.err("expected '<' or '(' after ROW"));
                };
                let mut fields = Vec::new();
                if !self.accept_symbol(close) {
                    loop {
                        self.skip_ws();
                        let name_at = self.pos;
                        let name = self.parse_identifier()?;
                        if fields.iter().any(|f: &RowField| f.name == name) {
                            return Err(TypeParseError {
                                offset: name_at,
                                message: format!("duplicate field name '{name}'"),
                            });
                        }
                        let data_type = self.parse_type()?;
                        let description = if matches!(self.peek_symbol(), Some((b'\'', _))) {
                            Some(self.parse_string_literal()?)
                        } else {
                            None
                        };
                        fields.push(RowField {
                            name,
                            data_type,
                            description,
                        });
                        if self.accept_symbol(b',') {
                            continue;
                        }
                        self.expect_symbol(close)?;
                        break;
                    }
                }
                L::Row(fields)
            }
            "INTERVAL" | "RAW" | "NULL" | "SYMBOL" | "STRUCTURED" | "DISTINCT" => {
                return Err(TypeParseError {
                    offset: start,
                    message: format!("type {upper} is not supported"),
                })
            }
            _ => {
                return Err(TypeParseError {
                    offset: start,
                    message: format!("unknown type '{word}'"),
                })
            }
        };
        Ok(kind)
    }

    fn parse_identifier(&mut self) -> Result<String, TypeParseError> {
        self.skip_ws();
        let b = self.s.as_bytes();
        if b.get(self.pos) == Some(&b'`') {
            let start = self.pos;
            let mut out = String::new();
            let mut i = self.pos + 1;
            loop {
                let rest = &self.s[i..];
                match rest.find('`') {
                    None => {
                        return Err(TypeParseError {
                            offset: start,
                            message: "unterminated quoted identifier".into(),
                        })
                    }
                    Some(j) => {
                        out.push_str(&rest[..j]);
                        i += j + 1;
                        if b.get(i) == Some(&b'`') {
                            out.push('`');
                            i += 1;
                        } else {
                            break;
                        }
                    }
                }
            }
            self.pos = i;
            if out.is_empty() {
                return Err(TypeParseError {
                    offset: start,
                    message: "empty field name".into(),
                });
            }
            Ok(out)
        } else if let Some((w, _, end)) = self.peek_word() {
            self.pos = end;
            Ok(w.to_string())
        } else {
            Err(self.err("expected a field name"))
        }
    }

    fn parse_string_literal(&mut self) -> Result<String, TypeParseError> {
        self.skip_ws();
        let start = self.pos;
        let b = self.s.as_bytes();
        let mut out = String::new();
        let mut i = self.pos + 1;
        loop {
            let rest = &self.s[i..];
            match rest.find('\'') {
                None => {
                    return Err(TypeParseError {
                        offset: start,
                        message: "unterminated string literal".into(),
                    })
                }
                Some(j) => {
                    out.push_str(&rest[..j]);
                    i += j + 1;
                    if b.get(i) == Some(&b'\'') {
                        out.push('\'');
                        i += 1;
                    } else {
                        break;
                    }
                }
            }
        }
        self.pos = i;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> DataType {
        DataType::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn parses_and_prints_canonically() {
        let cases = [
            ("BIGINT", "BIGINT"),
            ("bigint not null", "BIGINT NOT NULL"),
            ("VARCHAR(128) NOT NULL", "VARCHAR(128) NOT NULL"),
            ("varchar", "VARCHAR(1)"),
            ("STRING", "STRING"),
            ("VARCHAR(2147483647)", "STRING"),
            ("CHAR", "CHAR(1)"),
            ("CHAR(5)", "CHAR(5)"),
            ("CHARACTER VARYING(7)", "VARCHAR(7)"),
            ("BYTES", "BYTES"),
            ("BINARY(3)", "BINARY(3)"),
            ("VARBINARY(9)", "VARBINARY(9)"),
            ("DECIMAL", "DECIMAL(10, 0)"),
            ("DEC(5)", "DECIMAL(5, 0)"),
            ("NUMERIC(38,18)", "DECIMAL(38, 18)"),
            ("TINYINT", "TINYINT"),
            ("SMALLINT", "SMALLINT"),
            ("INTEGER", "INT"),
            ("FLOAT", "FLOAT"),
            ("DOUBLE PRECISION", "DOUBLE"),
            ("DATE", "DATE"),
            ("TIME", "TIME(0)"),
            ("TIME(3) WITHOUT TIME ZONE", "TIME(3)"),
            ("TIMESTAMP", "TIMESTAMP(6)"),
            ("TIMESTAMP(3)", "TIMESTAMP(3)"),
            ("timestamp(3) without time zone", "TIMESTAMP(3)"),
            ("TIMESTAMP(3) WITH LOCAL TIME ZONE", "TIMESTAMP_LTZ(3)"),
            ("TIMESTAMP_LTZ", "TIMESTAMP_LTZ(6)"),
            ("TIMESTAMP_LTZ(9) NOT NULL", "TIMESTAMP_LTZ(9) NOT NULL"),
            ("ARRAY<INT>", "ARRAY<INT>"),
            (
                "ARRAY<INT NOT NULL> NOT NULL",
                "ARRAY<INT NOT NULL> NOT NULL",
            ),
            ("INT ARRAY", "ARRAY<INT>"),
            ("MAP<STRING, ARRAY<BIGINT>>", "MAP<STRING, ARRAY<BIGINT>>"),
            ("MULTISET<STRING>", "MULTISET<STRING>"),
            ("ROW<a INT>", "ROW<`a` INT>"),
            (
                "ROW(a INT NOT NULL 'the a', `b``c` ROW<x DOUBLE>)",
                "ROW<`a` INT NOT NULL 'the a', `b``c` ROW<`x` DOUBLE>>",
            ),
            ("ROW<>", "ROW<>"),
            ("INT NULL", "INT"),
            ("REAL", "FLOAT"),
            ("ROW<größe INT>", "ROW<`größe` INT>"),
        ];
        for (input, printed) in cases {
            let t = p(input);
            assert_eq!(t.to_string(), printed, "{input}");
            assert_eq!(p(printed), t, "reparse of {printed}");
        }
    }

    #[test]
    fn prefix_stops_at_the_end_of_the_type() {
        for (text, rest) in [
            ("BIGINT, b INT", ", b INT"),
            ("STRING)", ")"),
            (
                "TIMESTAMP_LTZ(3) NOT NULL METADATA FROM 'timestamp'",
                " METADATA FROM 'timestamp'",
            ),
            ("VARCHAR(128) COMMENT 'x'", " COMMENT 'x'"),
            ("  ROW<a INT> NOT NULL  ,", "  ,"),
            ("INT NOT ENFORCED", " NOT ENFORCED"),
        ] {
            let (_, used) = DataType::parse_prefix(text).unwrap();
            assert_eq!(&text[used..], rest, "{text}");
        }
    }

    #[test]
    fn rejects_bad_types_with_offsets() {
        for (input, offset) in [
            ("", 0),
            ("FOO", 0),
            ("VARCHAR(0)", 8),
            ("DECIMAL(39, 0)", 8),
            ("DECIMAL(5, 6)", 11),
            ("TIMESTAMP(10)", 10),
            ("ARRAY<INT", 9),
            ("MAP<INT>", 7),
            ("ROW<a>", 5),
            ("INT INT", 4),
            ("TIMESTAMP(3) WITH TIME ZONE", 13),
            ("ROW<a INT, a INT>", 11),
            ("INTERVAL DAY", 0),
            (
                &*format!("{}INT{}", "ARRAY<".repeat(100), ">".repeat(100)),
                384,
            ),
        ] {
            let e = DataType::parse(input).unwrap_err();
            assert_eq!(e.offset, offset, "{input}: {e}");
        }
    }

    #[test]
    fn can_hold_follows_flink_casts() {
        assert!(p("TIMESTAMP(3)").can_hold(&p("TIMESTAMP_LTZ(3) NOT NULL")));
        assert!(p("TIMESTAMP_LTZ(3)").can_hold(&p("TIMESTAMP_LTZ(3) NOT NULL")));
        assert!(p("VARCHAR(128)").can_hold(&p("STRING")));
        assert!(p("STRING").can_hold(&p("TIMESTAMP_LTZ(3)")));
        assert!(p("BIGINT").can_hold(&p("STRING")));
        assert!(!p("ARRAY<INT>").can_hold(&p("STRING")));
        assert!(!p("DATE").can_hold(&p("BIGINT")));
        assert!(p("ARRAY<BIGINT>").can_hold(&p("ARRAY<INT>")));
    }
}
