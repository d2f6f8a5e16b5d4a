//! The fast scanner of the `nodes`/`edges` number arrays, for bytes in V8's own shape: digits,
//! `,` between numbers and `\n,` between records, nothing else.
//!
//! It works in two steps that have no chain from one number to the next (the old scanner found
//! where a number starts only once it had parsed the one before it, ~20 cycles a number):
//! - [`scan`] classifies 64 bytes at a time (SSE2 on x86-64, SWAR elsewhere) into bit masks of
//!   digits, commas and newlines, checks the shape with a few mask operations, and lists where
//!   every number ends (the separator after it);
//! - [`value_before`] reads a number from its end and length with one or two 8-byte loads and a
//!   SWAR multiply, independently of the others, so the CPU overlaps them.
//!
//! Anything else (whitespace, a sign, a fraction, a number of more than 16 digits, `]`, the last
//! bytes of the read buffer) is left to the reader's careful path, which reports errors with
//! their offsets.

const ONES: u64 = 0x0101_0101_0101_0101;

/// Bytes classified at a time.
pub(super) const BLOCK: usize = 64;

/// Blocks per [`scan`]: 4 KB, so that the ends of one scan stay in L1.
pub(super) const WINDOW_BLOCKS: usize = 64;

/// At most one number ends in every two bytes; room for a block's 32 more.
pub(super) const MAX_ENDS: usize = WINDOW_BLOCKS * BLOCK / 2 + 32;

/// Bit masks of the digits, commas and newlines in `block` (bit `i` for byte `i`).
#[inline(always)]
pub(super) fn classify(block: &[u8; BLOCK]) -> (u64, u64, u64) {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    {
        classify_sse2(block)
    }
    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
    {
        classify_swar(block)
    }
}

#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline(always)]
fn classify_sse2(block: &[u8; BLOCK]) -> (u64, u64, u64) {
    use std::arch::x86_64::*;
    // SAFETY: SSE2 is enabled for this target (cfg above: it is part of x86-64), and each
    // unaligned 16-byte load reads bytes 16 * i.. of the 64 in `block` (i < 4).
    unsafe {
        let zero = _mm_set1_epi8(b'0' as i8);
        let nine = _mm_set1_epi8(9);
        let comma = _mm_set1_epi8(b',' as i8);
        let newline = _mm_set1_epi8(b'\n' as i8);
        let (mut d, mut c, mut l) = (0u64, 0u64, 0u64);
        for i in 0..BLOCK / 16 {
            let v = _mm_loadu_si128(block.as_ptr().add(16 * i).cast::<__m128i>());
            let t = _mm_sub_epi8(v, zero);
            // A digit: t <= 9 unsigned, i.e. min(t, 9) == t.
            let digit = _mm_cmpeq_epi8(_mm_min_epu8(t, nine), t);
            let shift = 16 * i as u32;
            d |= u64::from(_mm_movemask_epi8(digit) as u16) << shift;
            c |= u64::from(_mm_movemask_epi8(_mm_cmpeq_epi8(v, comma)) as u16) << shift;
            l |= u64::from(_mm_movemask_epi8(_mm_cmpeq_epi8(v, newline)) as u16) << shift;
        }
        (d, c, l)
    }
}

/// [`classify`] without SIMD instructions (and the reference the SSE2 one is tested against).
#[cfg_attr(all(target_arch = "x86_64", target_feature = "sse2"), allow(dead_code))]
#[inline(always)]
fn classify_swar(block: &[u8; BLOCK]) -> (u64, u64, u64) {
    // The high bit of every byte equal to zero, exactly (no false positives).
    let zeros = |w: u64| !((((w & (ONES * 0x7f)) + ONES * 0x7f) | w) | (ONES * 0x7f));
    // Gathers the high bits of the 8 bytes into 8 bits.
    let gather = |m: u64| ((m >> 7).wrapping_mul(0x0102_0408_1020_4080)) >> 56;
    let (mut d, mut c, mut l) = (0u64, 0u64, 0u64);
    for (i, chunk) in block.chunks_exact(8).enumerate() {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(chunk);
        let w = u64::from_le_bytes(bytes);
        let (_, not_digit) = digits(w);
        let shift = 8 * i as u32;
        d |= gather(!not_digit & (ONES * 0x80)) << shift;
        c |= gather(zeros(w ^ (ONES * u64::from(b',')))) << shift;
        l |= gather(zeros(w ^ (ONES * u64::from(b'\n')))) << shift;
    }
    (d, c, l)
}

/// `w ^ '0'` per byte, and a mask with the high bit set in every byte of `w` (little endian)
/// that is not a decimal digit.
#[inline(always)]
fn digits(w: u64) -> (u64, u64) {
    let t = w ^ (ONES * 0x30);
    // A byte is a digit when t < 10: add 0x76 to its low 7 bits (no carry across bytes) to
    // set bit 7 from 10 on, or in t's own bit 7.
    let not_digit = (((t & (ONES * 0x7f)) + ONES * 0x76) | t) & (ONES * 0x80);
    (t, not_digit)
}

/// The value of 8 digit values (0..=9, one per byte, the first the most significant): pairs,
/// then quads, then all eight, one multiply each (Lemire).
#[inline(always)]
fn value8(t: u64) -> u64 {
    let t = (t.wrapping_mul(10 << 8 | 1)) >> 8;
    let t = ((t & 0x00ff_00ff_00ff_00ff).wrapping_mul(100 << 16 | 1)) >> 16;
    ((t & 0x0000_ffff_0000_ffff).wrapping_mul(10000 << 32 | 1)) >> 32
}

#[inline(always)]
fn word_before(buf: &[u8], e: usize) -> u64 {
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&buf[e - 8..e]);
    u64::from_le_bytes(bytes)
}

/// The value of the `len` (1 to 16) digits right before `buf[e]`. Needs `e >= 8` (`e >= 16`
/// for more than 8 digits); the bytes before the digits may be anything.
#[inline(always)]
pub(super) fn value_before(buf: &[u8], e: usize, len: usize) -> u64 {
    debug_assert!((1..=16).contains(&len));
    let low_len = len.min(8);
    // The digits are the top bytes of the word that ends at `e`; the bytes below them become
    // zeros (leading zeros).
    let (t, _) = digits(word_before(buf, e));
    let low = value8(t & (!0u64 << (8 * (8 - low_len))));
    if len <= 8 {
        return low;
    }
    let (t, _) = digits(word_before(buf, e - 8));
    value8(t & (!0u64 << (8 * (16 - len)))) * 100_000_000 + low
}

/// Where a [`scan`] stopped.
pub(super) struct Scanned {
    /// The numbers' ends found (`ends[..n]`, positions in the buffer of the byte after each
    /// number), each followed by a whole separator and a digit in the checked bytes.
    pub n: usize,
    /// The first byte not checked.
    pub stop: usize,
    /// Whether it stopped at a block that is not in V8's shape (rather than at the window's end).
    pub odd: bool,
}

/// Checks the bytes `buf[start..]`, a block at a time while whole blocks fit before `len` (at
/// most [`WINDOW_BLOCKS`]), for V8's shape, starting at the first digit of a number: digits; a
/// `,` between numbers, or a `\n` and a `,`. Lists the ends of the numbers in `ends`.
#[inline(always)]
pub(super) fn scan(buf: &[u8], start: usize, len: usize, ends: &mut [u32; MAX_ENDS]) -> Scanned {
    let mut n = 0;
    let mut p = start;
    // The byte before `start` counts as a comma: a number must start there.
    let (mut carry_d, mut carry_c, mut carry_l) = (0u64, 1u64, 0u64);
    let end = len.min(start + WINDOW_BLOCKS * BLOCK);
    let mut odd = false;
    // (A window of blocks always leaves room for one more block's ends: `n + 32` stays in.)
    while p + BLOCK <= end && n + 32 <= ends.len() {
        let Some(block) = buf.get(p..p + BLOCK).and_then(|b| b.try_into().ok()) else {
            break;
        };
        let (d, c, l) = classify(block);
        let pd = (d << 1) | carry_d;
        let pc = (c << 1) | carry_c;
        let pl = (l << 1) | carry_l;
        let shaped = (d | c | l) == !0
            && l & !pd == 0 // a newline follows a digit,
            && c & !(pd | pl) == 0 // a comma a digit or newline,
            && pc & !d == 0 // a digit follows a comma,
            && pl & !c == 0; // a comma a newline.
        if !shaped {
            odd = true;
            break;
        }
        // Every end in the block, 8 at a time without a branch per end (simdjson's flatten):
        // past the last one the slots get garbage that the next block overwrites.
        let e = (c | l) & pd;
        let count = e.count_ones() as usize;
        let base = p as u32;
        let mut e = e;
        let mut i = n;
        loop {
            for slot in &mut ends[i..i + 8] {
                *slot = base + e.trailing_zeros();
                e &= e.wrapping_sub(1);
            }
            i += 8;
            if i >= n + count {
                break;
            }
        }
        n += count;
        carry_d = d >> 63;
        carry_c = c >> 63;
        carry_l = l >> 63;
        p += BLOCK;
    }
    // An end whose separator (up to 2 bytes) and next digit were not all checked is dropped.
    while n > 0 && ends[n - 1] as usize + 2 >= p {
        n -= 1;
    }
    Scanned { n, stop: p, odd }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xorshift(x: &mut u64) -> u64 {
        *x ^= *x << 13;
        *x ^= *x >> 7;
        *x ^= *x << 17;
        *x
    }

    fn reference(block: &[u8; BLOCK]) -> (u64, u64, u64) {
        let mut m = (0, 0, 0);
        for (i, &b) in block.iter().enumerate() {
            m.0 |= u64::from(b.is_ascii_digit()) << i;
            m.1 |= u64::from(b == b',') << i;
            m.2 |= u64::from(b == b'\n') << i;
        }
        m
    }

    #[test]
    fn classifies_every_byte() {
        // Every byte value at every position, and random blocks.
        for b in 0..=255u8 {
            for at in 0..BLOCK {
                let mut block = [b'7'; BLOCK];
                block[at] = b;
                assert_eq!(classify(&block), reference(&block), "byte {b} at {at}");
                assert_eq!(classify_swar(&block), reference(&block), "byte {b} at {at}");
            }
        }
        let mut x = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..2000 {
            let mut block = [0u8; BLOCK];
            for b in block.iter_mut() {
                *b = b"0123456789,\n ]-.\x80\xff/:"[(xorshift(&mut x) % 20) as usize];
            }
            assert_eq!(classify(&block), reference(&block));
            assert_eq!(classify_swar(&block), reference(&block));
        }
    }

    #[test]
    fn reads_numbers_of_every_length_from_their_end() {
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        for digits in 1..=16u32 {
            for _ in 0..300 {
                let v = xorshift(&mut x) % 10u64.pow(digits);
                // Leading zeros are kept as the careful path keeps them ("007" is 7).
                for text in [
                    format!(
                        "{},\n,9,{v:0width$},",
                        "x".repeat(16),
                        width = digits as usize
                    ),
                    format!("{},{v}\n,", "12345678901234567890"),
                ] {
                    let e = text.len() - if text.ends_with("\n,") { 2 } else { 1 };
                    let len = if text.starts_with('x') {
                        digits as usize
                    } else {
                        v.to_string().len()
                    };
                    assert_eq!(value_before(text.as_bytes(), e, len), v, "{text}");
                }
            }
        }
        assert_eq!(
            value_before(b"........9999999999999999", 24, 16),
            9_999_999_999_999_999
        );
    }

    fn scan_text(text: &[u8]) -> (Vec<u32>, Scanned) {
        let mut ends = [0u32; MAX_ENDS];
        let s = scan(text, 0, text.len(), &mut ends);
        (ends[..s.n].to_vec(), s)
    }

    #[test]
    fn scan_lists_the_ends_of_numbers_in_v8_shape() {
        let mut text = Vec::new();
        let mut want = Vec::new();
        let mut x = 7u64;
        while text.len() < 3 * BLOCK {
            let digits = 1 + (xorshift(&mut x) % 20) as u32;
            text.extend_from_slice(
                format!("{}", xorshift(&mut x) % 10u64.pow(digits.min(19))).as_bytes(),
            );
            want.push(text.len() as u32);
            text.extend_from_slice(if x % 3 == 0 { b"\n," } else { b"," });
        }
        let (ends, s) = scan_text(&text);
        assert!(!s.odd);
        assert_eq!(s.stop, 3 * BLOCK, "whole blocks only");
        assert!(!ends.is_empty());
        // Every end listed, in order, up to the ones whose separator was not all checked.
        assert_eq!(ends[..], want[..ends.len()]);
        assert!(want[ends.len()] as usize + 2 >= s.stop);
    }

    #[test]
    fn scan_stops_at_the_first_block_out_of_shape() {
        let good = "12,345\n,6,".repeat(20);
        for bad in [
            " ", "\t", "\r", "-", "+", ".", "e", "]", ",,", "\n\n", ",\n", "\n1", "\u{e9}",
        ] {
            for at in [0, 1, 63, 64, 65, 100, 127, 128, 150] {
                let mut text = good.clone().into_bytes();
                text.splice(at..at, bad.bytes());
                let (ends, s) = scan_text(&text);
                let block = at / BLOCK * BLOCK;
                assert!(s.odd, "{bad:?} at {at}");
                assert!(s.stop <= block + BLOCK, "{bad:?} at {at}");
                // No number ends past a checked byte, nor next to the odd one.
                assert!(
                    ends.iter().all(|&e| e as usize + 2 < s.stop),
                    "{bad:?} at {at}"
                );
            }
        }
        // A number must start at the first byte.
        assert!(scan_text(",1,2,".repeat(20).as_bytes()).1.odd);
        // Too short for a block: nothing checked.
        let (ends, s) = scan_text(b"1,2,3");
        assert_eq!((ends.len(), s.stop, s.odd), (0, 0, false));
    }
}
