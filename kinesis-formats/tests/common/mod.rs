//! Helpers shared by the integration tests (no tests here: `decode_memory.rs` must run its
//! one test alone, as its allocator counts the whole process).

/// Appends an Avro `long` as the specification encodes it (zigzag, then 7 bits a byte, low
/// group first): written here independently of the crate, to craft payloads by hand.
pub fn write_long(out: &mut Vec<u8>, v: i64) {
    let mut z = ((v << 1) ^ (v >> 63)) as u64;
    while z >= 0x80 {
        out.push(z as u8 | 0x80);
        z >>= 7;
    }
    out.push(z as u8);
}
