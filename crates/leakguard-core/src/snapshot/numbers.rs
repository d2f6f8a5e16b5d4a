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

/// One number's value the scalar way: the digits `buf[s..e]`, followed by the separator at
/// `buf[e]`. `None` (nothing read) unless it has 1 to 16 digits, `e >= 16` and `buf[e]` exists.
/// Returns the value and where the next number starts (past `,` or `\n,`).
#[inline(always)]
fn one(buf: &[u8], s: usize, e: usize) -> Option<(u64, usize)> {
    let len = e.wrapping_sub(s);
    if len.wrapping_sub(1) >= 16 || e < 16 || e >= buf.len() {
        return None;
    }
    Some((
        value_before(buf, e, len),
        e + 1 + usize::from(buf[e] == b'\n'),
    ))
}

/// The values of the numbers that end at `ends[..n]` (from a [`scan`] of bytes in V8's shape),
/// the first starting at `start`, into `out[..n]`. Stops before the first number that [`one`]
/// does not read (more than 16 digits: the careful path's to report). Returns how many it read.
///
/// On x86-64 (detected at run time) four numbers of up to 8 digits are converted at once with
/// AVX2 ([`values_avx2`]), or two with SSSE3 ([`values_ssse3`]); elsewhere, and for longer
/// numbers, [`one`] reads them.
#[inline]
pub(super) fn values(buf: &[u8], ends: &[u32], n: usize, start: usize, out: &mut [u64]) -> usize {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2 (detected just above).
            return unsafe { values_avx2(buf, ends, n, start, out) };
        }
        if std::arch::is_x86_feature_detected!("ssse3") {
            // SAFETY: the CPU has SSSE3 (detected just above).
            return unsafe { values_ssse3(buf, ends, n, start, out) };
        }
    }
    values_scalar(buf, ends, n, start, out)
}

/// [`values`] a number at a time with [`one`]: the path without SSSE3, and the reference
/// the SSSE3 one is tested against.
fn values_scalar(buf: &[u8], ends: &[u32], n: usize, start: usize, out: &mut [u64]) -> usize {
    let n = n.min(ends.len()).min(out.len());
    let mut s = start;
    for i in 0..n {
        match one(buf, s, ends[i] as usize) {
            Some((v, next)) => {
                out[i] = v;
                s = next;
            }
            None => return i,
        }
    }
    n
}

/// [`values`] with SSSE3: two numbers at a time, each in one 64-bit half of a register
/// ([`pair_ssse3`]), when each is at most 9 bytes past the previous one's end (its separator
/// and up to 8 digits); any other number with [`one`].
///
/// No number's start is needed: the 8 bytes before an end hold its digits and, when it is
/// shorter, the separator before it (`,` or `\n,`) and maybe digits of the number before.
/// The mask of the bytes from the previous end on (`e - prev`) drops those digits, and the
/// separators, being below `'0'`, become leading zeros in a saturating subtraction.
///
/// # Safety
/// The CPU must support SSSE3.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "ssse3")]
unsafe fn values_ssse3(buf: &[u8], ends: &[u32], n: usize, start: usize, out: &mut [u64]) -> usize {
    let n = n.min(ends.len()).min(out.len());
    if n == 0 {
        return 0;
    }
    // The first number from its start: the byte before it need not be a separator (`[`).
    let Some((v, _)) = one(buf, start, ends[0] as usize) else {
        return 0;
    };
    out[0] = v;
    // The last end read: `16 <= prev < buf.len()` (`one` checked both), and every end read
    // after it is larger (each step below checks `e - prev >= 1`).
    let mut prev = ends[0] as usize;
    let mut i = 1;
    while i < n {
        let e0 = ends[i] as usize;
        if i + 1 < n {
            let e1 = ends[i + 1] as usize;
            let d0 = e0.wrapping_sub(prev);
            let d1 = e1.wrapping_sub(e0);
            // Both 1 to 9 bytes past the end before (a wrapped `e < prev` fails too), and the
            // second, thus the first, inside `buf`.
            if d0.wrapping_sub(1).max(d1.wrapping_sub(1)) < 9 && e1 < buf.len() {
                // SAFETY: SSSE3 (this function's precondition). The loads read
                // `buf[e0 - 8..e0]` and `buf[e1 - 8..e1]`: `e1 > e0 > prev >= 16`, and
                // `e0 < e1 < buf.len()`. `d0`, `d1` are in 1..=9.
                let v = unsafe { pair_ssse3(buf.as_ptr(), e0, d0, e1, d1) };
                out[i] = v & 0xffff_ffff;
                out[i + 1] = v >> 32;
                prev = e1;
                i += 2;
                continue;
            }
        }
        // `prev < buf.len()` (above): the next number starts past its separator.
        let s = prev + 1 + usize::from(buf[prev] == b'\n');
        match one(buf, s, e0) {
            Some((v, _)) => {
                out[i] = v;
                prev = e0;
                i += 1;
            }
            None => return i,
        }
    }
    n
}

/// [`values`] with AVX2: four numbers at a time, each in one 64-bit quarter of a register,
/// when each is at most 9 bytes past the previous one's end (see [`values_ssse3`] for why no
/// start is needed); any other number with [`one`].
///
/// # Safety
/// The CPU must support AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn values_avx2(buf: &[u8], ends: &[u32], n: usize, start: usize, out: &mut [u64]) -> usize {
    use std::arch::x86_64::*;
    // The differences below are taken modulo 2^32: with every end read below
    // `buf.len() <= u32::MAX - 64`, an end plus the four differences (<= 36) cannot wrap past
    // u32::MAX. (A larger buffer, which the reader never has, goes the scalar way.)
    if buf.len() > (u32::MAX - 64) as usize {
        return values_scalar(buf, ends, n, start, out);
    }
    let n = n.min(ends.len()).min(out.len());
    if n == 0 {
        return 0;
    }
    let Some((v, _)) = one(buf, start, ends[0] as usize) else {
        return 0;
    };
    out[0] = v;
    // Invariant: `ends[i - 1]` is the last end read, and `16 <= ends[i - 1] < buf.len()`.
    let mut i = 1;
    while i < n {
        if i + 4 <= n {
            // SAFETY: AVX2 (this function's precondition) includes SSE4.1. `1 <= i` and
            // `i + 4 <= n <= ends.len()`: both 16-byte loads read inside `ends[i - 1..i + 4]`.
            let (d, ok) = unsafe {
                let cur = _mm_loadu_si128(ends.as_ptr().add(i).cast());
                let before = _mm_loadu_si128(ends.as_ptr().add(i - 1).cast());
                let d = _mm_sub_epi32(cur, before);
                // d - 1 <= 8 (unsigned: a wrapped e < e_before fails too).
                let t = _mm_sub_epi32(d, _mm_set1_epi32(1));
                let ok = _mm_cmpeq_epi32(_mm_min_epu32(t, _mm_set1_epi32(8)), t);
                (d, _mm_movemask_ps(_mm_castsi128_ps(ok)) == 0xf)
            };
            let e3 = ends[i + 3] as usize;
            if ok && e3 < buf.len() {
                let (e0, e1, e2) = (ends[i] as usize, ends[i + 1] as usize, ends[i + 2] as usize);
                // SAFETY: AVX2. Each end is 1 to 9 bytes past the one before, without a
                // wrap (`buf.len()` checked at the top), so `16 <= ends[i - 1] < e0 < e1 < e2 < e3 < buf.len()` (the last
                // checked just above): the four 8-byte loads read inside `buf[8..buf.len()]`.
                // The store writes `out[i..i + 4]`, inside `out` (`i + 4 <= n <= out.len()`).
                unsafe {
                    let p = buf.as_ptr();
                    let w01 = _mm_unpacklo_epi64(
                        _mm_loadl_epi64(p.add(e0 - 8).cast()),
                        _mm_loadl_epi64(p.add(e1 - 8).cast()),
                    );
                    let w23 = _mm_unpacklo_epi64(
                        _mm_loadl_epi64(p.add(e2 - 8).cast()),
                        _mm_loadl_epi64(p.add(e3 - 8).cast()),
                    );
                    let w = _mm256_set_m128i(w23, w01);
                    // Keep the top min(d, 8) bytes of each quarter: shift all-ones left by
                    // 8 * (8 - min(d, 8)) bits.
                    let keep = _mm_min_epu32(d, _mm_set1_epi32(8));
                    let bits = _mm_slli_epi32(_mm_sub_epi32(_mm_set1_epi32(8), keep), 3);
                    let m = _mm256_sllv_epi64(_mm256_set1_epi64x(-1), _mm256_cvtepu32_epi64(bits));
                    let d = _mm256_and_si256(_mm256_subs_epu8(w, _mm256_set1_epi8(b'0' as i8)), m);
                    let t = _mm256_maddubs_epi16(d, _mm256_set1_epi16(0x010a));
                    let t = _mm256_madd_epi16(t, _mm256_set1_epi32(0x0001_0064));
                    let t = _mm256_packs_epi32(t, t);
                    let t = _mm256_madd_epi16(t, _mm256_set1_epi32(0x0001_2710));
                    // Each 128-bit half holds its two values in its low 64 bits: gather both
                    // halves' into the low 128 bits, widen to four u64.
                    let q = _mm256_permute4x64_epi64(t, 0b00_00_10_00);
                    let v = _mm256_cvtepu32_epi64(_mm256_castsi256_si128(q));
                    _mm256_storeu_si256(out.as_mut_ptr().add(i).cast(), v);
                }
                i += 4;
                continue;
            }
        }
        // One number: `ends[i - 1] < buf.len()` (the invariant), its separator is before it.
        let prev = ends[i - 1] as usize;
        let s = prev + 1 + usize::from(buf[prev] == b'\n');
        match one(buf, s, ends[i] as usize) {
            Some((v, _)) => {
                out[i] = v;
                i += 1;
            }
            None => return i,
        }
    }
    n
}

/// 8 zero bytes then 16 `0xff`: the 8 bytes from `LEN_MASK[d]` (`d` in 1..=16) keep the top
/// `min(d, 8)` bytes of a little-endian word (the bytes before the end of a number).
#[cfg(target_arch = "x86_64")]
static LEN_MASK: [u8; 24] = {
    let mut m = [0xff; 24];
    let mut i = 0;
    while i < 8 {
        m[i] = 0;
        i += 1;
    }
    m
};

/// The values of the numbers that end at `p[e0]` and `p[e1]`, as `v0 | v1 << 32`: of the 8
/// bytes before each end, the last `d0` (`d1`) are digits or bytes below `'0'` (leading zeros).
///
/// # Safety
/// SSSE3; `d0`, `d1` in 1..=16; `p[e0 - 8..e0]` and `p[e1 - 8..e1]` readable.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "ssse3")]
#[inline]
unsafe fn pair_ssse3(p: *const u8, e0: usize, d0: usize, e1: usize, d1: usize) -> u64 {
    use std::arch::x86_64::*;
    // SAFETY: the caller's bounds (8 readable bytes before each end); `LEN_MASK[d..d + 8]` is
    // inside the 24-byte table for `d <= 16`.
    unsafe {
        // Number 0 in the low 64 bits, number 1 in the high: the digits are the top bytes of
        // each half, the most significant first (lowest address).
        let w = _mm_unpacklo_epi64(
            _mm_loadl_epi64(p.add(e0 - 8).cast()),
            _mm_loadl_epi64(p.add(e1 - 8).cast()),
        );
        let m = _mm_unpacklo_epi64(
            _mm_loadl_epi64(LEN_MASK.as_ptr().add(d0).cast()),
            _mm_loadl_epi64(LEN_MASK.as_ptr().add(d1).cast()),
        );
        // Digit values; separators (below '0') saturate to 0, the bytes before are masked.
        let d = _mm_and_si128(_mm_subs_epu8(w, _mm_set1_epi8(b'0' as i8)), m);
        // Pairs (0..=99), quads (0..=9999), then 8 digits a half (Lemire, Muła).
        let t = _mm_maddubs_epi16(d, _mm_set1_epi16(0x010a));
        let t = _mm_madd_epi16(t, _mm_set1_epi32(0x0001_0064));
        let t = _mm_packs_epi32(t, t);
        let t = _mm_madd_epi16(t, _mm_set1_epi32(0x0001_2710));
        _mm_cvtsi128_si64(t) as u64
    }
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
///
/// With AVX2 and BMI1 (detected at run time) the blocks are classified 32 bytes at a time and
/// the ends listed with `tzcnt`/`blsr` ([`scan_avx2`]); the same checks either way.
#[inline(always)]
pub(super) fn scan(buf: &[u8], start: usize, len: usize, ends: &mut [u32; MAX_ENDS]) -> Scanned {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("bmi1") {
        // SAFETY: the CPU has AVX2 and BMI1 (detected just above).
        return unsafe { scan_avx2(buf, start, len, ends) };
    }
    scan_with(classify, buf, start, len, ends)
}

/// [`scan`] compiled for AVX2 and BMI1.
///
/// # Safety
/// The CPU must support AVX2 and BMI1.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,bmi1")]
unsafe fn scan_avx2(buf: &[u8], start: usize, len: usize, ends: &mut [u32; MAX_ENDS]) -> Scanned {
    // SAFETY: AVX2 (this function's precondition).
    scan_with(|b| unsafe { classify_avx2(b) }, buf, start, len, ends)
}

/// [`classify`] 32 bytes at a time.
///
/// # Safety
/// The CPU must support AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn classify_avx2(block: &[u8; BLOCK]) -> (u64, u64, u64) {
    use std::arch::x86_64::*;
    // SAFETY: AVX2 (the precondition); each unaligned 32-byte load reads bytes 32 * i.. of
    // the 64 in `block` (i < 2).
    unsafe {
        let zero = _mm256_set1_epi8(b'0' as i8);
        let nine = _mm256_set1_epi8(9);
        let comma = _mm256_set1_epi8(b',' as i8);
        let newline = _mm256_set1_epi8(b'\n' as i8);
        let (mut d, mut c, mut l) = (0u64, 0u64, 0u64);
        for i in 0..BLOCK / 32 {
            let v = _mm256_loadu_si256(block.as_ptr().add(32 * i).cast::<__m256i>());
            let t = _mm256_sub_epi8(v, zero);
            let digit = _mm256_cmpeq_epi8(_mm256_min_epu8(t, nine), t);
            let shift = 32 * i as u32;
            d |= u64::from(_mm256_movemask_epi8(digit) as u32) << shift;
            c |= u64::from(_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, comma)) as u32) << shift;
            l |= u64::from(_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, newline)) as u32) << shift;
        }
        (d, c, l)
    }
}

/// The body of [`scan`], with the block classifier given.
#[inline(always)]
fn scan_with(
    classify: impl Fn(&[u8; BLOCK]) -> (u64, u64, u64),
    buf: &[u8],
    start: usize,
    len: usize,
    ends: &mut [u32; MAX_ENDS],
) -> Scanned {
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
                #[cfg(target_arch = "x86_64")]
                if std::arch::is_x86_feature_detected!("avx2") {
                    // SAFETY: detected just above.
                    assert_eq!(unsafe { classify_avx2(&block) }, reference(&block));
                }
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
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: detected just above.
                assert_eq!(unsafe { classify_avx2(&block) }, reference(&block));
            }
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

    /// V8-shaped text of `count` numbers from `pick` (separators `,` or `\n,` from `x`), after
    /// `pad` bytes of `pre`; returns the text, where the numbers start and their values.
    fn shaped(
        pre: u8,
        pad: usize,
        count: usize,
        x: &mut u64,
        mut pick: impl FnMut(&mut u64) -> String,
    ) -> (Vec<u8>, usize, Vec<u64>) {
        let mut text = vec![pre; pad];
        let mut want = Vec::new();
        for i in 0..count {
            if i > 0 {
                text.extend_from_slice(if xorshift(x).is_multiple_of(3) {
                    b"\n,"
                } else {
                    b","
                });
            }
            let digits = pick(x);
            want.push(digits.parse::<u128>().map_or(u64::MAX, |v| v as u64));
            text.extend_from_slice(digits.as_bytes());
        }
        text.extend_from_slice(b"\n,");
        (text, pad, want)
    }

    /// Every end in `text[start..]`, by the plain definition.
    fn ends_of(text: &[u8], start: usize) -> Vec<u32> {
        (start..text.len())
            .filter(|&i| !text[i].is_ascii_digit() && text[i - 1].is_ascii_digit())
            .map(|i| i as u32)
            .collect()
    }

    /// Every SIMD variant of `values` this CPU runs (each leaves its values in `out`, the
    /// last one's kept), and `values` itself.
    fn simd_variants(
        text: &[u8],
        ends: &[u32],
        n: usize,
        start: usize,
        out: &mut [u64],
    ) -> Vec<(&'static str, usize)> {
        let mut got = Vec::new();
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("ssse3") {
                // SAFETY: detected just above.
                got.push(("ssse3", unsafe { values_ssse3(text, ends, n, start, out) }));
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: detected just above.
                got.push(("avx2", unsafe { values_avx2(text, ends, n, start, out) }));
            }
        }
        got.push(("values", values(text, ends, n, start, out)));
        got
    }

    /// The SIMD variants of `values` against `values_scalar`, and the scalar one
    /// against the numbers written, for every prefix length `n`.
    fn check_values(text: &[u8], start: usize, want: &[u64]) {
        let ends = ends_of(text, start);
        for n in 0..=ends.len() {
            let mut fast = vec![0u64; ends.len()];
            let mut slow = vec![0u64; ends.len()];
            let b = values_scalar(text, &ends, n, start, &mut slow);
            for (name, a) in simd_variants(text, &ends, n, start, &mut fast) {
                assert_eq!(a, b, "{name}: count read, n = {n}");
                assert_eq!(fast[..a], slow[..b], "{name}: n = {n}");
            }
            // Read up to the first number of more than 16 digits.
            let long = want.iter().take(n).position(|&v| v > 9_999_999_999_999_999);
            let read = long.unwrap_or(n);
            assert!(b <= read);
            // ... or, for 17 digits and more, any value of 16 digits and more is left out.
            assert_eq!(slow[..b], want[..b], "n = {n}");
        }
    }

    #[test]
    fn simd_values_equal_the_scalar_ones() {
        let mut x = 0x1234_5678_9abc_def1u64;
        // Digit counts 1 to 8 (the SIMD lanes), 9 to 17 (the scalar path and its limit),
        // u32::MAX and the largest 8- and 16-digit values, leading zeros.
        let special = [
            "0",
            "9",
            "99999999",
            "10000000",
            "4294967295",
            "4294967296",
            "123456789",
            "9999999999999999",
            "12345678901234567",
            "00000007",
            "000000000000000000",
            "18446744073709551615",
        ];
        for round in 0..400 {
            let pad = 16 + (round % 17);
            let (text, start, want) = shaped(b',', pad, 1 + round % 40, &mut x, |x| {
                let r = xorshift(x);
                if r.is_multiple_of(5) {
                    special[(r / 5 % special.len() as u64) as usize].to_string()
                } else {
                    let digits = 1 + (r >> 8) % if r.is_multiple_of(7) { 17 } else { 9 };
                    let v = xorshift(x) % 10u64.pow(digits as u32);
                    format!(
                        "{v:0width$}",
                        width = if r.is_multiple_of(11) {
                            digits as usize
                        } else {
                            0
                        }
                    )
                }
            });
            check_values(&text, start, &want);
        }
        // The byte before the first number is not a separator (`[`), or is a digit.
        for pre in [b'[', b'9', b' '] {
            let (text, start, want) =
                shaped(pre, 20, 30, &mut x, |x| (xorshift(x) % 1000).to_string());
            check_values(&text, start, &want);
        }
    }

    #[test]
    fn simd_values_at_the_buffer_end() {
        // The last separator is the buffer's last byte: the loads end right before it.
        for digits in 1..=9usize {
            for count in 1..6 {
                let mut text = vec![b','; 16];
                let mut want = Vec::new();
                for i in 0..count {
                    if i > 0 {
                        text.push(b',');
                    }
                    let v = "987654321"[..digits].to_string();
                    want.push(v.parse().unwrap());
                    text.extend_from_slice(v.as_bytes());
                }
                text.push(b'\n');
                check_values(&text, 16, &want);
            }
        }
    }

    #[test]
    fn values_never_read_outside_the_buffer_for_any_ends() {
        // Ends not from a scan (out of order, past the buffer, before 16): no panic, and no
        // read before a bad one.
        let text = b"1234567890,1,22,333\n,4444,55555,666666,7777777,88888888,999999999,7\n,";
        let mut x = 99u64;
        for _ in 0..5000 {
            let n = (xorshift(&mut x) % 12) as usize;
            let ends: Vec<u32> = (0..n)
                .map(|_| (xorshift(&mut x) % (text.len() as u64 + 40)) as u32)
                .collect();
            let start = (xorshift(&mut x) % (text.len() as u64 + 4)) as usize;
            let mut out = vec![0u64; n];
            for (_, a) in simd_variants(text, &ends, n, start, &mut out) {
                assert!(a <= n);
            }
            assert!(values_scalar(text, &ends, n, start, &mut out) <= n);
            // `n` larger than the arrays is cut to them.
            assert!(values(text, &ends, n + 5, start, &mut out) <= n);
        }
    }

    fn scan_text(text: &[u8]) -> (Vec<u32>, Scanned) {
        // `scan` (AVX2 where the CPU has it) and the SSE2/SWAR body find the same.
        let mut ends = [0u32; MAX_ENDS];
        let s = scan(text, 0, text.len(), &mut ends);
        let mut other = [0u32; MAX_ENDS];
        let o = scan_with(classify, text, 0, text.len(), &mut other);
        assert_eq!((s.n, s.stop, s.odd), (o.n, o.stop, o.odd));
        assert_eq!(ends[..s.n], other[..o.n]);
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
