//! Avro binary encoding primitives on byte slices (Avro specification, "Binary Encoding"):
//! zigzag varints for `int`/`long`, little-endian IEEE 754 for `float`/`double`, one byte for
//! `boolean`, a `long` length before `bytes`/`string`.

use std::fmt;

/// Appends a `long` (zigzag, then base-128 little-endian varint).
#[inline]
pub fn write_long(out: &mut Vec<u8>, value: i64) {
    let mut n = ((value << 1) ^ (value >> 63)) as u64;
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// Appends an `int` (same encoding as `long`: zigzag of a sign-extended value).
#[inline]
pub fn write_int(out: &mut Vec<u8>, value: i32) {
    write_long(out, i64::from(value));
}

/// Appends a `boolean` (one byte, 0 or 1).
#[inline]
pub fn write_boolean(out: &mut Vec<u8>, value: bool) {
    out.push(u8::from(value));
}

/// Appends a `float` (4 bytes little-endian).
#[inline]
pub fn write_float(out: &mut Vec<u8>, value: f32) {
    out.extend_from_slice(&value.to_le_bytes());
}

/// Appends a `double` (8 bytes little-endian).
#[inline]
pub fn write_double(out: &mut Vec<u8>, value: f64) {
    out.extend_from_slice(&value.to_le_bytes());
}

/// Appends `bytes` (length as `long`, then the bytes).
#[inline]
pub fn write_bytes(out: &mut Vec<u8>, value: &[u8]) {
    write_long(out, value.len() as i64);
    out.extend_from_slice(value);
}

/// Appends a `string` (UTF-8 `bytes`).
#[inline]
pub fn write_string(out: &mut Vec<u8>, value: &str) {
    write_bytes(out, value.as_bytes());
}

/// Why a datum could not be read; `offset` is the byte where the unreadable item starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodecError {
    /// The payload ended inside an item.
    UnexpectedEnd { offset: usize },
    /// A varint longer than 10 bytes (`long`) or 5 bytes (`int`), or with bits beyond 64.
    InvalidVarint { offset: usize },
    /// An `int` whose value does not fit 32 bits.
    IntOutOfRange { offset: usize, value: i64 },
    /// A negative length before `bytes`/`string`.
    NegativeLength { offset: usize, length: i64 },
    /// A length larger than what is left of the payload.
    LengthPastEnd {
        offset: usize,
        length: i64,
        remaining: usize,
    },
    /// A `string` that is not UTF-8; `offset` is the first invalid byte.
    InvalidUtf8 { offset: usize },
    /// A `boolean` byte other than 0 or 1.
    InvalidBoolean { offset: usize, byte: u8 },
}

impl CodecError {
    /// The byte offset in the payload where the problem is.
    pub fn offset(&self) -> usize {
        match self {
            CodecError::UnexpectedEnd { offset }
            | CodecError::InvalidVarint { offset }
            | CodecError::IntOutOfRange { offset, .. }
            | CodecError::NegativeLength { offset, .. }
            | CodecError::LengthPastEnd { offset, .. }
            | CodecError::InvalidUtf8 { offset }
            | CodecError::InvalidBoolean { offset, .. } => *offset,
        }
    }
}

impl fmt::Display for CodecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CodecError::UnexpectedEnd { offset } => {
                write!(f, "payload ends at byte {offset} in the middle of a value")
            }
            CodecError::InvalidVarint { offset } => {
                write!(f, "invalid varint at byte {offset}")
            }
            CodecError::IntOutOfRange { offset, value } => {
                write!(f, "int at byte {offset} out of 32-bit range: {value}")
            }
            CodecError::NegativeLength { offset, length } => {
                write!(f, "negative length {length} at byte {offset}")
            }
            CodecError::LengthPastEnd {
                offset,
                length,
                remaining,
            } => write!(
                f,
                "length {length} at byte {offset} exceeds the {remaining} bytes left"
            ),
            CodecError::InvalidUtf8 { offset } => {
                write!(f, "invalid UTF-8 in string at byte {offset}")
            }
            CodecError::InvalidBoolean { offset, byte } => {
                write!(f, "invalid boolean byte 0x{byte:02x} at byte {offset}")
            }
        }
    }
}

impl std::error::Error for CodecError {}

/// A cursor over one Avro-encoded datum.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    /// The offset of the next byte to read.
    #[inline]
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Bytes not read yet.
    #[inline]
    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// `true` when every byte has been read.
    #[inline]
    pub fn is_at_end(&self) -> bool {
        self.pos == self.buf.len()
    }

    /// Reads a `long`.
    #[inline]
    pub fn read_long(&mut self) -> Result<i64, CodecError> {
        let start = self.pos;
        // Fast path: one byte (small ints, union indexes, short lengths).
        if let Some(&b) = self.buf.get(start) {
            if b < 0x80 {
                self.pos = start + 1;
                return Ok(((b >> 1) as i64) ^ -((b & 1) as i64));
            }
        }
        let n = self.read_varint(start, 10)?;
        Ok(((n >> 1) as i64) ^ -((n & 1) as i64))
    }

    /// Reads an `int` (at most 5 varint bytes, value within 32 bits).
    #[inline]
    pub fn read_int(&mut self) -> Result<i32, CodecError> {
        let start = self.pos;
        if let Some(&b) = self.buf.get(start) {
            if b < 0x80 {
                self.pos = start + 1;
                return Ok(((b >> 1) as i32) ^ -((b & 1) as i32));
            }
        }
        let n = self.read_varint(start, 5)?;
        let value = ((n >> 1) as i64) ^ -((n & 1) as i64);
        i32::try_from(value).map_err(|_| CodecError::IntOutOfRange {
            offset: start,
            value,
        })
    }

    fn read_varint(&mut self, start: usize, max_bytes: usize) -> Result<u64, CodecError> {
        let mut n: u64 = 0;
        let mut shift = 0u32;
        for i in 0..max_bytes {
            let Some(&b) = self.buf.get(start + i) else {
                return Err(CodecError::UnexpectedEnd { offset: start });
            };
            let bits = u64::from(b & 0x7f);
            // The 10th byte of a long may only carry the top bit.
            if shift == 63 && bits > 1 {
                return Err(CodecError::InvalidVarint { offset: start });
            }
            n |= bits << shift;
            if b < 0x80 {
                self.pos = start + i + 1;
                return Ok(n);
            }
            shift += 7;
        }
        Err(CodecError::InvalidVarint { offset: start })
    }

    /// Reads a `boolean`; any byte other than 0 or 1 is an error.
    #[inline]
    pub fn read_boolean(&mut self) -> Result<bool, CodecError> {
        let offset = self.pos;
        match self.buf.get(offset) {
            Some(0) => {
                self.pos += 1;
                Ok(false)
            }
            Some(1) => {
                self.pos += 1;
                Ok(true)
            }
            Some(&byte) => Err(CodecError::InvalidBoolean { offset, byte }),
            None => Err(CodecError::UnexpectedEnd { offset }),
        }
    }

    #[inline]
    fn read_fixed<const N: usize>(&mut self) -> Result<[u8; N], CodecError> {
        let offset = self.pos;
        match self.buf.get(offset..offset + N) {
            Some(slice) => {
                self.pos += N;
                let mut array = [0u8; N];
                array.copy_from_slice(slice);
                Ok(array)
            }
            None => Err(CodecError::UnexpectedEnd { offset }),
        }
    }

    /// Reads a `float`.
    #[inline]
    pub fn read_float(&mut self) -> Result<f32, CodecError> {
        self.read_fixed::<4>().map(f32::from_le_bytes)
    }

    /// Reads a `double`.
    #[inline]
    pub fn read_double(&mut self) -> Result<f64, CodecError> {
        self.read_fixed::<8>().map(f64::from_le_bytes)
    }

    /// Reads `bytes`, borrowing them from the payload.
    #[inline]
    pub fn read_bytes(&mut self) -> Result<&'a [u8], CodecError> {
        let offset = self.pos;
        let length = self.read_long()?;
        if length < 0 {
            return Err(CodecError::NegativeLength { offset, length });
        }
        let remaining = self.remaining();
        if length as u64 > remaining as u64 {
            return Err(CodecError::LengthPastEnd {
                offset,
                length,
                remaining,
            });
        }
        let start = self.pos;
        self.pos += length as usize;
        Ok(&self.buf[start..self.pos])
    }

    /// Reads a `string`, borrowing it from the payload; invalid UTF-8 is an error.
    #[inline]
    pub fn read_str(&mut self) -> Result<&'a str, CodecError> {
        let bytes = self.read_bytes()?;
        let start = self.pos - bytes.len();
        std::str::from_utf8(bytes).map_err(|e| CodecError::InvalidUtf8 {
            offset: start + e.valid_up_to(),
        })
    }

    /// Reads the item count that starts an array or map block. A negative count is followed
    /// by the block's size in bytes (skipped); 0 ends the array or map.
    #[inline]
    pub fn read_block_count(&mut self) -> Result<u64, CodecError> {
        let count = self.read_long()?;
        if count < 0 {
            let size_offset = self.pos;
            let size = self.read_long()?;
            if size < 0 {
                return Err(CodecError::NegativeLength {
                    offset: size_offset,
                    length: size,
                });
            }
            Ok(count.unsigned_abs())
        } else {
            Ok(count as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_and_a_string_round_trip() {
        let mut buf = Vec::new();
        write_long(&mut buf, -3);
        write_string(&mut buf, "hi");
        assert_eq!(buf, [0x05, 0x04, b'h', b'i']);
        let mut reader = Reader::new(&buf);
        assert_eq!(reader.read_long().unwrap(), -3);
        assert_eq!(reader.read_str().unwrap(), "hi");
        assert!(reader.is_at_end());
    }

    #[test]
    fn zigzag_varints_match_the_specification_table() {
        let cases: &[(i64, &[u8])] = &[
            (0, &[0x00]),
            (-1, &[0x01]),
            (1, &[0x02]),
            (-2, &[0x03]),
            (2, &[0x04]),
            (-64, &[0x7f]),
            (64, &[0x80, 0x01]),
            (
                i64::MAX,
                &[0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
            ),
            (
                i64::MIN,
                &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
            ),
        ];
        for (value, bytes) in cases {
            let mut out = Vec::new();
            write_long(&mut out, *value);
            assert_eq!(&out[..], *bytes, "encoding {value}");
            let mut reader = Reader::new(bytes);
            assert_eq!(reader.read_long().unwrap(), *value);
            assert!(reader.is_at_end());
        }
    }

    #[test]
    fn int_limits_and_overlong_varints() {
        for value in [i32::MIN, -1, 0, 1, i32::MAX] {
            let mut out = Vec::new();
            write_int(&mut out, value);
            assert_eq!(Reader::new(&out).read_int().unwrap(), value);
        }
        let mut out = Vec::new();
        write_long(&mut out, i64::from(i32::MAX) + 1);
        assert_eq!(
            Reader::new(&out).read_int(),
            Err(CodecError::IntOutOfRange {
                offset: 0,
                value: i64::from(i32::MAX) + 1
            })
        );
        let eleven = [0xffu8; 11];
        assert_eq!(
            Reader::new(&eleven).read_long(),
            Err(CodecError::InvalidVarint { offset: 0 })
        );
        assert_eq!(
            Reader::new(&[0x80, 0x80]).read_long(),
            Err(CodecError::UnexpectedEnd { offset: 0 })
        );
    }

    #[test]
    fn bytes_strings_and_their_errors() {
        let mut reader = Reader::new(&[0x03]);
        assert_eq!(
            reader.read_bytes(),
            Err(CodecError::NegativeLength {
                offset: 0,
                length: -2
            })
        );
        let mut reader = Reader::new(&[0x00, 0x08, b'a']);
        assert_eq!(reader.read_str().unwrap(), "");
        assert_eq!(
            reader.read_bytes(),
            Err(CodecError::LengthPastEnd {
                offset: 1,
                length: 4,
                remaining: 1
            })
        );
        let mut reader = Reader::new(&[0x04, b'a', 0xff]);
        assert_eq!(
            reader.read_str(),
            Err(CodecError::InvalidUtf8 { offset: 2 })
        );
        assert_eq!(
            Reader::new(&[0x02]).read_boolean(),
            Err(CodecError::InvalidBoolean { offset: 0, byte: 2 })
        );
        assert_eq!(
            Reader::new(&[0, 0, 0]).read_float(),
            Err(CodecError::UnexpectedEnd { offset: 0 })
        );
    }

    #[test]
    fn negative_block_counts_carry_a_byte_size() {
        // -2 items, 6 bytes, then two ints, then the end marker.
        let mut reader = Reader::new(&[0x03, 0x0c, 0x02, 0x04, 0x00]);
        assert_eq!(reader.read_block_count().unwrap(), 2);
        assert_eq!(reader.read_int().unwrap(), 1);
        assert_eq!(reader.read_int().unwrap(), 2);
        assert_eq!(reader.read_block_count().unwrap(), 0);
    }
}
