//! Byte-level mutations of an input: bit flips, byte changes, inserts and deletes, copies,
//! splices with another input, interesting integers and the target's dictionary tokens.
//! Several are stacked per input (usually one or two, sometimes many).

use crate::rng::Rng;

/// Integers at the edges of the types the parsers read (lengths, counts, indices).
const INTERESTING_INTS: &[i64] = &[
    0,
    1,
    -1,
    2,
    7,
    8,
    15,
    16,
    31,
    32,
    63,
    64,
    127,
    128,
    255,
    256,
    4095,
    4096,
    32767,
    32768,
    65535,
    65536,
    i32::MAX as i64,
    i32::MIN as i64,
    u32::MAX as i64,
    1 << 40,
    i64::MAX,
    i64::MIN,
];

/// Bytes that steer text and binary parsers into their special cases.
const INTERESTING_BYTES: &[u8] =
    b"\x00\x01\x7f\x80\x81\xbf\xc0\xc2\xe2\xf0\xf4\xff\"'\\,;:|{}[]<>=&#\n\r\t -+.0189eEnNtfuxX";

/// Returns `input` with 1 to 8 stacked mutations (a leaning towards few), at most `max_len`
/// bytes long. `other` is another input to splice from; `dictionary` holds tokens of the
/// target's grammar (keywords, field names, delimiters), inserted or overwritten whole.
///
/// ```
/// use kinesis_fuzz::{mutate::mutate, Rng};
/// let mut rng = Rng::new(1);
/// let out = mutate(&mut rng, b"{\"a\":1}", b"[2]", &[b"null"], 64);
/// assert!(out.len() <= 64);
/// ```
pub fn mutate(
    rng: &mut Rng,
    input: &[u8],
    other: &[u8],
    dictionary: &[&[u8]],
    max_len: usize,
) -> Vec<u8> {
    let mut v = input.to_vec();
    let rounds = 1 + rng.small(7);
    for _ in 0..rounds {
        mutate_once(rng, &mut v, other, dictionary);
    }
    v.truncate(max_len);
    v
}

fn mutate_once(rng: &mut Rng, v: &mut Vec<u8>, other: &[u8], dictionary: &[&[u8]]) {
    let len = v.len();
    match rng.below(16) {
        // Flip one bit.
        0 if len > 0 => {
            let i = rng.below(len);
            v[i] ^= 1 << rng.below(8);
        }
        // Replace a byte: random or interesting.
        1 if len > 0 => {
            let i = rng.below(len);
            v[i] = rng.byte();
        }
        2 if len > 0 => {
            let i = rng.below(len);
            v[i] = *rng.pick(INTERESTING_BYTES);
        }
        // Insert bytes.
        3 => {
            let at = rng.below(len + 1);
            let n = 1 + rng.small(15);
            let bytes: Vec<u8> = (0..n)
                .map(|_| {
                    if rng.chance(50) {
                        *rng.pick(INTERESTING_BYTES)
                    } else {
                        rng.byte()
                    }
                })
                .collect();
            v.splice(at..at, bytes);
        }
        // Delete a range.
        4 if len > 0 => {
            let at = rng.below(len);
            let n = (1 + rng.small(15)).min(len - at);
            v.drain(at..at + n);
        }
        // Truncate.
        5 => {
            let n = rng.below(len + 1);
            v.truncate(n);
        }
        // Copy a chunk of the input elsewhere in it.
        6 if len > 0 => {
            let (a, b) = chunk(rng, len);
            let piece = v[a..b].to_vec();
            let at = rng.below(len + 1);
            v.splice(at..at, piece);
        }
        // Repeat a chunk many times (nesting, long runs, huge counts).
        7 if len > 0 => {
            let a = rng.below(len);
            let b = (a + 1 + rng.small(3)).min(len);
            let piece = v[a..b].to_vec();
            let times = 1 + rng.small(600);
            let at = rng.below(len + 1);
            let run: Vec<u8> = piece
                .iter()
                .copied()
                .cycle()
                .take(piece.len() * times)
                .collect();
            v.splice(at..at, run);
        }
        // Splice with the other input: keep a prefix of one and a suffix of the other, or
        // insert a chunk of it.
        8 if !other.is_empty() => {
            if rng.chance(50) {
                let cut = rng.below(len + 1);
                let from = rng.below(other.len() + 1);
                v.truncate(cut);
                v.extend_from_slice(&other[from..]);
            } else {
                let (a, b) = chunk(rng, other.len());
                let at = rng.below(len + 1);
                v.splice(at..at, other[a..b].iter().copied());
            }
        }
        // Dictionary tokens: insert or overwrite.
        9 | 10 if !dictionary.is_empty() => {
            let token = *rng.pick(dictionary);
            let at = rng.below(len + 1);
            if rng.chance(50) || at + token.len() > len {
                v.splice(at..at, token.iter().copied());
            } else {
                v[at..at + token.len()].copy_from_slice(token);
            }
        }
        // An interesting integer, as decimal text.
        11 => {
            let n = *rng.pick(INTERESTING_INTS);
            let text = n.saturating_add([0, 0, 1, -1][rng.below(4)]).to_string();
            replace_digits_or_insert(rng, v, text.as_bytes());
        }
        // An interesting integer in binary: little/big endian, or a protobuf/avro varint.
        12 => {
            let n = *rng.pick(INTERESTING_INTS) as u64;
            let bytes = match rng.below(4) {
                0 => n.to_le_bytes()[..1 << rng.below(4)].to_vec(),
                1 => n.to_be_bytes()[8 - (1 << rng.below(4))..].to_vec(),
                2 => varint(n),
                _ => varint((n << 1) ^ ((n as i64 >> 63) as u64)),
            };
            let at = rng.below(len + 1);
            if rng.chance(50) && at + bytes.len() <= len {
                v[at..at + bytes.len()].copy_from_slice(&bytes);
            } else {
                v.splice(at..at, bytes);
            }
        }
        // Swap two bytes.
        13 if len > 1 => {
            let (a, b) = (rng.below(len), rng.below(len));
            v.swap(a, b);
        }
        // Arithmetic on a byte.
        14 if len > 0 => {
            let i = rng.below(len);
            let d = 1 + rng.below(16) as u8;
            v[i] = if rng.chance(50) {
                v[i].wrapping_add(d)
            } else {
                v[i].wrapping_sub(d)
            };
        }
        // Something new at the end.
        _ => {
            let n = rng.small(8);
            let bytes = rng.bytes(n);
            v.extend_from_slice(&bytes);
        }
    }
}

/// A random non-empty range of `0..len` (`len > 0`), at most 64 bytes long.
fn chunk(rng: &mut Rng, len: usize) -> (usize, usize) {
    let a = rng.below(len);
    let b = (a + 1 + rng.small(63)).min(len);
    (a, b)
}

/// Replaces a run of ASCII digits with `text`, or inserts it when there is none.
fn replace_digits_or_insert(rng: &mut Rng, v: &mut Vec<u8>, text: &[u8]) {
    let starts: Vec<usize> = (0..v.len())
        .filter(|&i| v[i].is_ascii_digit() && (i == 0 || !v[i - 1].is_ascii_digit()))
        .collect();
    if starts.is_empty() || rng.chance(20) {
        let at = rng.below(v.len() + 1);
        v.splice(at..at, text.iter().copied());
        return;
    }
    let a = *rng.pick(&starts);
    let b = a + v[a..].iter().take_while(|c| c.is_ascii_digit()).count();
    v.splice(a..b, text.iter().copied());
}

/// `n` as a base-128 varint, low group first (protobuf, avro after zigzag).
pub fn varint(mut n: u64) -> Vec<u8> {
    let mut out = Vec::new();
    while n >= 0x80 {
        out.push(n as u8 | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mutations_change_inputs_and_respect_the_cap() {
        let mut rng = Rng::new(11);
        let input = b"{\"Records\":[{\"Data\":\"aGk=\"}],\"MillisBehindLatest\":0}";
        let mut changed = 0;
        for _ in 0..2000 {
            let out = mutate(&mut rng, input, b"[1,2,3]", &[b"null", b"\\u0000"], 256);
            assert!(out.len() <= 256);
            changed += usize::from(out != input);
        }
        // A mutation can undo itself (a swap of equal bytes), rarely.
        assert!(changed > 1900, "only {changed} of 2000 changed");
    }

    #[test]
    fn empty_inputs_grow() {
        let mut rng = Rng::new(5);
        let grown = (0..200)
            .filter(|_| !mutate(&mut rng, b"", b"", &[], 64).is_empty())
            .count();
        assert!(grown > 50, "{grown}");
    }

    #[test]
    fn varints() {
        assert_eq!(varint(0), [0]);
        assert_eq!(varint(300), [0xac, 0x02]);
        assert_eq!(varint(u64::MAX).len(), 10);
    }
}
