//! A buffered JSON byte reader built for heap snapshots: a hand-written scanner for the huge
//! arrays of non-negative integers (`nodes`, `edges`), a careful string decoder (escapes,
//! `\uXXXX` with surrogate pairs) and an iterative skipper for values we do not need.
//!
//! Every error carries the byte offset where the input stopped making sense; nothing here
//! panics on bad input and nothing recurses (snapshots nest `trace_tree` arbitrarily deep).

use std::io::{ErrorKind, Read};

use super::numbers;
use crate::CoreError;

/// Size of the read buffer. Large enough that refills are rare, small enough to stay in L2.
const BUF_SIZE: usize = 256 * 1024;

/// The replacement character, UTF-8 encoded, for lone surrogates and invalid UTF-8.
const REPLACEMENT: &[u8] = "\u{FFFD}".as_bytes();

pub(crate) struct Reader<R> {
    inner: R,
    buf: Box<[u8]>,
    pos: usize,
    len: usize,
    /// Absolute offset of `buf[0]` in the input.
    base: u64,
    eof: bool,
}

pub(crate) type Res<T> = Result<T, CoreError>;

impl<R: Read> Reader<R> {
    pub(crate) fn new(inner: R) -> Self {
        Reader {
            inner,
            buf: vec![0u8; BUF_SIZE].into_boxed_slice(),
            pos: 0,
            len: 0,
            base: 0,
            eof: false,
        }
    }

    /// Makes offsets count from `base`: the reader starts at that offset of a larger input.
    pub(crate) fn set_base(&mut self, base: u64) {
        self.base = base;
    }

    /// Skips `[ ... ]` up to the first `]`: enough for an array of numbers (the caller parses
    /// the part for real later and fails on anything else).
    pub(crate) fn skip_number_array(&mut self) -> Res<()> {
        self.expect(b'[')?;
        loop {
            if let Some(i) = memchr::memchr(b']', &self.buf[self.pos..self.len]) {
                self.pos += i + 1;
                return Ok(());
            }
            self.pos = self.len;
            if !self.fill()? {
                return Err(self.error("unexpected end of file inside an array"));
            }
        }
    }

    /// Absolute byte offset of the next unread byte.
    #[inline]
    pub(crate) fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// An error at the current offset.
    pub(crate) fn error(&self, reason: impl Into<String>) -> CoreError {
        CoreError::Snapshot {
            offset: self.offset(),
            reason: reason.into(),
        }
    }

    /// Refills the buffer once everything in it was consumed. `false` at end of input.
    #[cold]
    fn fill(&mut self) -> Res<bool> {
        if self.eof {
            return Ok(false);
        }
        self.base += self.len as u64;
        self.pos = 0;
        self.len = 0;
        loop {
            match self.inner.read(&mut self.buf) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(false);
                }
                Ok(n) => {
                    self.len = n;
                    return Ok(true);
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(self.error(format!("read failed: {e}"))),
            }
        }
    }

    /// The next byte without consuming it; `None` at end of input.
    #[inline]
    pub(crate) fn peek(&mut self) -> Res<Option<u8>> {
        if self.pos < self.len || self.fill()? {
            Ok(Some(self.buf[self.pos]))
        } else {
            Ok(None)
        }
    }

    /// The next byte without consuming it; end of input is an error naming `what` was expected.
    #[inline]
    fn peek_or(&mut self, what: &str) -> Res<u8> {
        match self.peek()? {
            Some(b) => Ok(b),
            None => Err(self.error(format!("unexpected end of file, expected {what}"))),
        }
    }

    /// Consumes one byte that `peek` returned.
    #[inline]
    fn bump(&mut self) {
        self.pos += 1;
    }

    /// Skips JSON whitespace.
    #[inline]
    pub(crate) fn skip_ws(&mut self) -> Res<()> {
        loop {
            while self.pos < self.len {
                match self.buf[self.pos] {
                    b' ' | b'\n' | b'\r' | b'\t' => self.pos += 1,
                    _ => return Ok(()),
                }
            }
            if !self.fill()? {
                return Ok(());
            }
        }
    }

    /// The next non-whitespace byte, not consumed; end of input is an error.
    pub(crate) fn peek_token(&mut self, what: &str) -> Res<u8> {
        self.skip_ws()?;
        self.peek_or(what)
    }

    /// Consumes `expected` (after whitespace) or fails saying what was found instead.
    pub(crate) fn expect(&mut self, expected: u8) -> Res<()> {
        // The common case first: no message built (this runs for every string and comma).
        if self.pos < self.len && self.buf[self.pos] == expected {
            self.bump();
            return Ok(());
        }
        self.skip_ws()?;
        match self.peek()? {
            Some(b) if b == expected => {
                self.bump();
                Ok(())
            }
            Some(b) => Err(self.error(format!(
                "expected '{}', found {}",
                expected as char,
                describe(b)
            ))),
            None => Err(self.error(format!(
                "unexpected end of file, expected '{}'",
                expected as char
            ))),
        }
    }

    /// Reads a non-negative integer (the only numbers in `nodes` and `edges`).
    #[inline]
    pub(crate) fn read_uint(&mut self) -> Res<u64> {
        let first = self.peek_or("a number")?;
        if !first.is_ascii_digit() {
            return Err(self.error(format!(
                "expected a non-negative integer, found {}",
                describe(first)
            )));
        }
        let start = self.offset();
        let mut acc: u64 = 0;
        loop {
            while self.pos < self.len {
                let b = self.buf[self.pos];
                let d = b.wrapping_sub(b'0');
                if d > 9 {
                    if matches!(b, b'.' | b'e' | b'E') {
                        return Err(self.error("expected an integer, found a fraction or exponent"));
                    }
                    return Ok(acc);
                }
                acc = match acc
                    .checked_mul(10)
                    .and_then(|v| v.checked_add(u64::from(d)))
                {
                    Some(v) => v,
                    None => {
                        return Err(CoreError::Snapshot {
                            offset: start,
                            reason: "integer does not fit in 64 bits".into(),
                        })
                    }
                };
                self.pos += 1;
            }
            if !self.fill()? {
                // In a snapshot a number is always followed by ',' or ']': the file was cut.
                return Err(self.error("unexpected end of file inside a number"));
            }
        }
    }

    /// Reads `[n, n, ...]`, handing each number and its byte offset to `sink`.
    ///
    /// The fast path parses straight from the buffer while at least 22 bytes are left (a
    /// number of up to 18 digits and its separator always fit): no refill checks, no overflow
    /// checks. Anything unusual (a longer number, a fraction, garbage, the end of the buffer)
    /// falls back to the careful path for that one number.
    pub(crate) fn read_uint_array(&mut self, mut sink: impl FnMut(u64, u64) -> Res<()>) -> Res<()> {
        self.expect(b'[')?;
        if self.peek_token("a number or ']'")? == b']' {
            self.bump();
            return Ok(());
        }
        loop {
            loop {
                let mut p = self.pos;
                while p < self.len && matches!(self.buf[p], b' ' | b'\n' | b'\r' | b'\t') {
                    p += 1;
                }
                if p + 22 > self.len {
                    break;
                }
                let start = p;
                let mut acc: u64 = 0;
                while p < start + 18 {
                    let d = self.buf[p].wrapping_sub(b'0');
                    if d > 9 {
                        break;
                    }
                    acc = acc * 10 + u64::from(d);
                    p += 1;
                }
                if p == start || p == start + 18 {
                    break;
                }
                let at = self.base + start as u64;
                // V8 writes a newline before the comma that ends each record.
                while p < self.len && matches!(self.buf[p], b' ' | b'\n' | b'\r' | b'\t') {
                    p += 1;
                }
                if p == self.len {
                    break;
                }
                match self.buf[p] {
                    b',' => {
                        self.pos = p + 1;
                        sink(acc, at)?;
                    }
                    b']' => {
                        self.pos = p + 1;
                        return sink(acc, at);
                    }
                    _ => break,
                }
            }
            // The careful path, for one number.
            self.skip_ws()?;
            let at = self.offset();
            let v = self.read_uint()?;
            sink(v, at)?;
            match self.peek_token("',' or ']'")? {
                b',' => self.bump(),
                b']' => {
                    self.bump();
                    return Ok(());
                }
                other => {
                    return Err(
                        self.error(format!("expected ',' or ']', found {}", describe(other)))
                    )
                }
            }
        }
    }

    /// Reads records of `N` numbers each (`N` = the fields of a node or edge record), handing
    /// each whole record to `sink.record` when it could be read straight from the buffer and
    /// every number of the others, one at a time, to `sink.number`.
    ///
    /// `open`: the input starts with the array's `[`; otherwise it starts inside the array, at
    /// a record (the second part of an array split in two). The array ends at its `]`
    /// (`Ok(true)`); with `part_end` the input may also end right after a `,` (`Ok(false)`: the
    /// first part of an array split in two).
    ///
    /// The fast path ([`numbers`]) finds the numbers of 4 KB at a time from bit masks of their
    /// bytes and reads each from its end (numbers of up to 16 digits), whole records only;
    /// anything unusual (a longer number, whitespace other than V8's newline before a comma,
    /// garbage, the last bytes of the buffer) goes to the careful path, a number at a time,
    /// which reports errors with their offsets.
    pub(crate) fn read_records<const N: usize, S: RecordSink>(
        &mut self,
        open: bool,
        part_end: bool,
        sink: &mut S,
    ) -> Res<bool> {
        if open {
            self.expect(b'[')?;
            if self.peek_token("a number or ']'")? == b']' {
                self.bump();
                return Ok(true);
            }
        } else {
            self.skip_ws()?;
            if part_end && self.peek()?.is_none() {
                return Ok(false);
            }
        }
        // The fast path is not tried again before this offset (it just stopped before it).
        let mut retry_at = 0u64;
        loop {
            // From 16 bytes into the buffer: numbers are read from loads of the 16 bytes
            // before their ends.
            if N > 0 && self.pos >= 16 && self.offset() >= retry_at && sink.at_record_start() {
                retry_at = self.fast_records::<N, S>(sink)?;
            }
            // The careful path, for one number.
            self.skip_ws()?;
            let at = self.offset();
            let v = self.read_uint()?;
            sink.number(v, at)?;
            match self.peek_token("',' or ']'")? {
                b',' => {
                    self.bump();
                    if part_end {
                        self.skip_ws()?;
                        if self.peek()?.is_none() {
                            return Ok(false);
                        }
                    }
                }
                b']' => {
                    self.bump();
                    return Ok(true);
                }
                other => {
                    return Err(
                        self.error(format!("expected ',' or ']', found {}", describe(other)))
                    )
                }
            }
        }
    }

    /// The fast path of `read_records`, from a record's first number: whole records in V8's
    /// shape (see [`numbers`]) while they fit in the buffer. Returns the offset before which it
    /// should not be tried again: past the bytes it stopped at, which the careful path reads.
    #[inline(always)]
    fn fast_records<const N: usize, S: RecordSink>(&mut self, sink: &mut S) -> Res<u64> {
        let mut ends = [0u32; numbers::MAX_ENDS];
        let mut vals = [0u64; numbers::MAX_ENDS];
        loop {
            let scanned = numbers::scan(&self.buf, self.pos, self.len, &mut ends);
            let whole = scanned.n / N * N;
            // Every number of the window's whole records, up to the first it does not read.
            let read = numbers::values(&self.buf, &ends, whole, self.pos, &mut vals);
            let records = read / N;
            let buf = &self.buf;
            // Where record `r` starts: past the separator after the previous record's last
            // number (`ends[..whole]` are in `buf`: `scan` checked the byte after each).
            let start_of = |r: usize, first: usize| match r {
                0 => first,
                _ => {
                    let e = ends[r * N - 1] as usize;
                    e + 1 + usize::from(buf[e] == b'\n')
                }
            };
            let first = self.pos;
            for (r, rec) in vals[..records * N].chunks_exact(N).enumerate() {
                sink.record(rec, self.base + start_of(r, first) as u64)?;
            }
            self.pos = start_of(records, first);
            if read < whole {
                // More than 16 digits: overflow is the careful path's to report.
                return Ok(self.base + ends[read] as u64 + 1);
            }
            if scanned.odd || records == 0 {
                return Ok(self.base + (scanned.stop + numbers::BLOCK) as u64);
            }
        }
    }

    /// Decodes one JSON string (after whitespace) and appends its UTF-8 bytes to `out`.
    /// Lone surrogates and invalid UTF-8 become U+FFFD: V8 writes strings as they are in the
    /// heap, and a heap may hold half a surrogate pair.
    pub(crate) fn read_string_into(&mut self, out: &mut Vec<u8>) -> Res<()> {
        self.expect(b'"')?;
        let start_len = out.len();
        let mut high: Option<u16> = None;
        loop {
            // Copy the plain run.
            let run_start = self.pos;
            while self.pos < self.len {
                let b = self.buf[self.pos];
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            if self.pos > run_start {
                if high.take().is_some() {
                    out.extend_from_slice(REPLACEMENT);
                }
                out.extend_from_slice(&self.buf[run_start..self.pos]);
            }
            if self.pos == self.len {
                if !self.fill()? {
                    return Err(self.error("unexpected end of file inside a string"));
                }
                continue;
            }
            let b = self.buf[self.pos];
            if b == b'"' {
                self.bump();
                if high.take().is_some() {
                    out.extend_from_slice(REPLACEMENT);
                }
                break;
            }
            if b < 0x20 {
                return Err(
                    self.error(format!("control character {} inside a string", describe(b)))
                );
            }
            // A backslash escape.
            self.bump();
            let e = match self.peek()? {
                Some(e) => e,
                None => return Err(self.error("unexpected end of file inside an escape")),
            };
            self.bump();
            if e == b'u' {
                let unit = self.read_hex4()?;
                if let Some(h) = high.take() {
                    if (0xDC00..0xE000).contains(&unit) {
                        let c =
                            0x10000 + ((u32::from(h) - 0xD800) << 10) + (u32::from(unit) - 0xDC00);
                        push_char(out, c);
                        continue;
                    }
                    out.extend_from_slice(REPLACEMENT);
                }
                match unit {
                    0xD800..=0xDBFF => high = Some(unit),
                    0xDC00..=0xDFFF => out.extend_from_slice(REPLACEMENT),
                    _ => push_char(out, u32::from(unit)),
                }
                continue;
            }
            if high.take().is_some() {
                out.extend_from_slice(REPLACEMENT);
            }
            let c = match e {
                b'"' => b'"',
                b'\\' => b'\\',
                b'/' => b'/',
                b'b' => 0x08,
                b'f' => 0x0C,
                b'n' => b'\n',
                b'r' => b'\r',
                b't' => b'\t',
                other => {
                    self.pos -= 1;
                    return Err(self.error(format!("invalid escape \\{}", describe(other))));
                }
            };
            out.push(c);
        }
        // Raw bytes were copied as they came: make sure the result is UTF-8.
        if std::str::from_utf8(&out[start_len..]).is_err() {
            let fixed = String::from_utf8_lossy(&out[start_len..]).into_owned();
            out.truncate(start_len);
            out.extend_from_slice(fixed.as_bytes());
        }
        Ok(())
    }

    /// Reads a short string (an object key) as a `String`.
    pub(crate) fn read_string(&mut self) -> Res<String> {
        let mut out = Vec::new();
        self.read_string_into(&mut out)?;
        // read_string_into guarantees UTF-8.
        Ok(String::from_utf8(out).unwrap_or_default())
    }

    fn read_hex4(&mut self) -> Res<u16> {
        let mut v: u16 = 0;
        for _ in 0..4 {
            let b = match self.peek()? {
                Some(b) => b,
                None => return Err(self.error("unexpected end of file inside a \\u escape")),
            };
            let d = match b {
                b'0'..=b'9' => b - b'0',
                b'a'..=b'f' => b - b'a' + 10,
                b'A'..=b'F' => b - b'A' + 10,
                _ => {
                    return Err(
                        self.error(format!("invalid hex digit {} in a \\u escape", describe(b)))
                    )
                }
            };
            self.bump();
            v = (v << 4) | u16::from(d);
        }
        Ok(v)
    }

    /// Skips one JSON value of any shape without recursion. When `record` is given, the
    /// value's bytes are appended to it (used for the small `snapshot` meta object).
    pub(crate) fn skip_value(&mut self, mut record: Option<&mut Vec<u8>>) -> Res<()> {
        let mut depth: usize = 0;
        loop {
            if depth > 0 && record.is_none() {
                self.skip_digits_and_commas()?;
            }
            let b = self.peek_token("a value")?;
            match b {
                b'{' | b'[' => {
                    depth += 1;
                    self.bump();
                    if let Some(r) = record.as_deref_mut() {
                        r.push(b);
                    }
                }
                b'}' | b']' => {
                    if depth == 0 {
                        return Err(self.error(format!("expected a value, found {}", describe(b))));
                    }
                    depth -= 1;
                    self.bump();
                    if let Some(r) = record.as_deref_mut() {
                        r.push(b);
                    }
                    if depth == 0 {
                        return Ok(());
                    }
                }
                b',' | b':' => {
                    if depth == 0 {
                        return Err(self.error(format!("expected a value, found {}", describe(b))));
                    }
                    self.bump();
                    if let Some(r) = record.as_deref_mut() {
                        r.push(b);
                    }
                }
                b'"' => {
                    match record.as_deref_mut() {
                        Some(r) => {
                            // Re-encode through serde_json so the recorded text stays valid JSON.
                            let mut s = Vec::new();
                            self.read_string_into(&mut s)?;
                            let s = String::from_utf8_lossy(&s);
                            r.extend_from_slice(
                                serde_json::to_string(s.as_ref())
                                    .unwrap_or_default()
                                    .as_bytes(),
                            );
                        }
                        None => self.skip_string()?,
                    }
                    if depth == 0 {
                        return Ok(());
                    }
                }
                _ => {
                    // A scalar: number, true, false, null.
                    let mut n = 0usize;
                    while let Some(c) = self.peek()? {
                        if c.is_ascii_alphanumeric() || matches!(c, b'-' | b'+' | b'.') {
                            self.bump();
                            if let Some(r) = record.as_deref_mut() {
                                r.push(c);
                            }
                            n += 1;
                        } else {
                            break;
                        }
                    }
                    if n == 0 {
                        return Err(self.error(format!("expected a value, found {}", describe(b))));
                    }
                    if depth == 0 {
                        return Ok(());
                    }
                }
            }
        }
    }

    /// Inside a value being skipped: skips digits, commas and whitespace in a tight loop (the
    /// bulk of a number array such as `locations`, megabytes), stopping before anything else.
    /// The loop of `skip_value` accepts exactly these bytes inside a value, a byte at a time.
    fn skip_digits_and_commas(&mut self) -> Res<()> {
        loop {
            let rest = &self.buf[self.pos..self.len];
            let run = rest
                .iter()
                .position(|&b| !matches!(b, b'0'..=b'9' | b',' | b' ' | b'\n' | b'\r' | b'\t'))
                .unwrap_or(rest.len());
            self.pos += run;
            if self.pos < self.len || !self.fill()? {
                return Ok(());
            }
        }
    }

    /// Skips a string without decoding it.
    fn skip_string(&mut self) -> Res<()> {
        self.expect(b'"')?;
        loop {
            while self.pos < self.len {
                match self.buf[self.pos] {
                    b'"' => {
                        self.pos += 1;
                        return Ok(());
                    }
                    b'\\' => {
                        self.pos += 1;
                        if self.pos == self.len && !self.fill()? {
                            return Err(self.error("unexpected end of file inside an escape"));
                        }
                        self.pos += 1;
                    }
                    _ => self.pos += 1,
                }
            }
            if !self.fill()? {
                return Err(self.error("unexpected end of file inside a string"));
            }
        }
    }
}

/// Where `read_records` puts what it reads.
pub(crate) trait RecordSink {
    /// True between records (every number given to `number` so far completed a record).
    fn at_record_start(&self) -> bool;
    /// One whole record; `at` is the offset of its first number.
    fn record(&mut self, rec: &[u64], at: u64) -> Res<()>;
    /// One number of a record read number by number.
    fn number(&mut self, v: u64, at: u64) -> Res<()>;
}

/// Appends a code point as UTF-8.
fn push_char(out: &mut Vec<u8>, c: u32) {
    match char::from_u32(c) {
        Some(ch) => {
            let mut tmp = [0u8; 4];
            out.extend_from_slice(ch.encode_utf8(&mut tmp).as_bytes());
        }
        None => out.extend_from_slice(REPLACEMENT),
    }
}

/// A byte as an error message shows it.
pub(crate) fn describe(b: u8) -> String {
    if b.is_ascii_graphic() {
        format!("'{}'", b as char)
    } else {
        format!("byte 0x{b:02x}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reader(s: &str) -> Reader<&[u8]> {
        Reader::new(s.as_bytes())
    }

    fn string(s: &str) -> Result<String, CoreError> {
        reader(s).read_string()
    }

    fn numbers(s: &str) -> Result<Vec<u64>, CoreError> {
        let mut v = Vec::new();
        reader(s).read_uint_array(|n, _| {
            v.push(n);
            Ok(())
        })?;
        Ok(v)
    }

    fn offset_of(e: CoreError) -> u64 {
        match e {
            CoreError::Snapshot { offset, .. } => offset,
            other => panic!("expected a snapshot error, got {other:?}"),
        }
    }

    #[test]
    fn scans_numbers_with_any_whitespace() {
        assert_eq!(numbers("[]").unwrap(), Vec::<u64>::new());
        assert_eq!(numbers(" [ ] ").unwrap(), Vec::<u64>::new());
        assert_eq!(numbers("[0,1,22,333]").unwrap(), vec![0, 1, 22, 333]);
        assert_eq!(numbers("[ 7 ,\n8\r\n,\t9 ]").unwrap(), vec![7, 8, 9]);
        assert_eq!(
            numbers("[18446744073709551615]").unwrap(),
            vec![u64::MAX],
            "u64::MAX fits"
        );
    }

    #[test]
    fn number_errors_say_where() {
        let e = numbers("[1,2,-3]").unwrap_err();
        assert_eq!(offset_of(e.clone()), 5);
        assert!(e.to_string().contains("non-negative"), "{e}");
        assert_eq!(offset_of(numbers("[1,2.5]").unwrap_err()), 4);
        assert_eq!(
            offset_of(numbers("[1,18446744073709551616]").unwrap_err()),
            3
        );
        let e = numbers("[1,23").unwrap_err();
        assert!(e.to_string().contains("end of file inside a number"), "{e}");
        assert_eq!(offset_of(e), 5);
        assert_eq!(offset_of(numbers("[1,,2]").unwrap_err()), 3);
        assert_eq!(offset_of(numbers("[1 2]").unwrap_err()), 3);
    }

    #[test]
    fn numbers_across_buffer_refills() {
        // More than one buffer of numbers: a number split across a refill must stay whole.
        let n = BUF_SIZE / 3;
        let text = format!(
            "[{}]",
            (0..n)
                .map(|i| (i * 7919).to_string())
                .collect::<Vec<_>>()
                .join(",")
        );
        let got = numbers(&text).unwrap();
        assert_eq!(got.len(), n);
        assert!(got.iter().enumerate().all(|(i, &v)| v == (i * 7919) as u64));
    }

    #[test]
    fn fast_path_hands_over_to_the_careful_one() {
        // Long arrays take the fast path; long numbers, whitespace before a separator and
        // garbage must come out the same as on the careful path, with the right offsets.
        let mut text = String::from("[");
        let mut want = Vec::new();
        for i in 0..2000u64 {
            let v = match i % 5 {
                0 => u64::MAX - i,
                1 => 123_456_789_012_345_678 + i,
                _ => i,
            };
            want.push(v);
            text.push_str(&v.to_string());
            text.push_str(if i % 7 == 0 { " ,\n" } else { "," });
        }
        text.pop();
        text.push(']');
        assert_eq!(numbers(&text).unwrap(), want);

        let prefix = format!("[{}", "1234,".repeat(100));
        let at = prefix.len() as u64;
        for bad in ["12x4,5]", "-3,4]", "1.5,2]", "7;8]"] {
            let e = numbers(&format!("{prefix}{bad}{}", ",1".repeat(50))).unwrap_err();
            let want = at + bad.find(|c: char| !c.is_ascii_digit()).unwrap() as u64;
            assert_eq!(offset_of(e), want, "{bad}");
        }
        // Offsets handed to the sink are the numbers' own.
        let mut offsets = Vec::new();
        reader(&format!("{prefix}9]"))
            .read_uint_array(|_, at| {
                offsets.push(at);
                Ok(())
            })
            .unwrap();
        assert_eq!(offsets[3], 16);
        assert_eq!(*offsets.last().unwrap(), at);
    }

    /// Records of 3 into a list: whole ones (fast path) and single numbers (careful path).
    #[derive(Debug, Default)]
    struct Collect {
        values: Vec<u64>,
        offsets: Vec<u64>,
        k: usize,
        whole: usize,
    }

    impl RecordSink for Collect {
        fn at_record_start(&self) -> bool {
            self.k == 0
        }
        fn record(&mut self, rec: &[u64], at: u64) -> Res<()> {
            self.values.extend_from_slice(rec);
            self.offsets.push(at);
            self.whole += 1;
            Ok(())
        }
        fn number(&mut self, v: u64, at: u64) -> Res<()> {
            if self.k == 0 {
                self.offsets.push(at);
            }
            self.values.push(v);
            self.k = (self.k + 1) % 3;
            Ok(())
        }
    }

    fn records(s: &str) -> Result<Collect, CoreError> {
        let mut c = Collect::default();
        reader(s).read_records::<3, _>(true, false, &mut c)?;
        Ok(c)
    }

    #[test]
    fn records_read_like_single_numbers() {
        // Many shapes: V8's "\n,", spaces, long numbers, a record across the careful path.
        let mut text = String::from("[");
        let mut want = Vec::new();
        for i in 0..3000u64 {
            let v = match i % 11 {
                0 => u64::MAX - i,
                1 => 123_456_789_012_345 + i,
                2 => 99_999_999,
                3 => 100_000_000 + i,
                _ => i * 7,
            };
            want.push(v);
            text.push_str(&v.to_string());
            text.push_str(match i % 3 {
                2 if i % 13 == 0 => " ,\t",
                2 => "\n,",
                _ => ",",
            });
        }
        text.truncate(text.trim_end_matches([',', '\n', ' ', '\t']).len());
        text.push(']');
        let c = records(&text).unwrap();
        assert_eq!(c.values, want);
        assert!(
            c.whole > 500,
            "most records take the fast path ({})",
            c.whole
        );
        // Offsets are the records' first numbers'.
        let mut expected = Vec::new();
        let mut r = reader(&text);
        let mut k = 0;
        r.read_uint_array(|_, at| {
            if k % 3 == 0 {
                expected.push(at);
            }
            k += 1;
            Ok(())
        })
        .unwrap();
        assert_eq!(c.offsets, expected);
        // Errors as read_uint_array reports them.
        let prefix = format!("[{}", "1234,5,6\n,".repeat(100));
        for bad in ["12x4,5,6]", "-3,4,5]", "1.5,2,3]", "7;8,9]", "1,2,,3]"] {
            let text = format!("{prefix}{bad}{}", ",1".repeat(60));
            let e = records(&text).unwrap_err();
            let want = reader(&text).read_uint_array(|_, _| Ok(())).unwrap_err();
            assert_eq!(offset_of(e), offset_of(want), "{bad}");
        }
        // Split in two: the first part ends after a comma, the second starts at a record.
        let (a, b) = text_split("[1,2,3\n,4,5,6\n,7,8,9]", 15);
        let mut c = Collect::default();
        assert!(!reader(a).read_records::<3, _>(true, true, &mut c).unwrap());
        assert!(reader(b)
            .read_records::<3, _>(false, false, &mut c)
            .unwrap());
        assert_eq!(c.values, (1..=9).collect::<Vec<u64>>());
    }

    /// What the careful path alone (`read_uint_array`) reads: values, or the error's offset
    /// and message.
    fn careful(text: &str) -> Result<Vec<u64>, (u64, String)> {
        numbers(text).map_err(|e| (offset_of(e.clone()), e.to_string()))
    }

    fn fast(text: &str) -> Result<Collect, (u64, String)> {
        records(text).map_err(|e| (offset_of(e.clone()), e.to_string()))
    }

    #[test]
    fn v8_shaped_records_of_every_length_read_as_the_careful_path_reads_them() {
        // Records of 3 in V8's shape ("a,b,c\n,"), numbers of every length from 1 to 20
        // digits (leading zeros too), over several buffer refills so that numbers are cut by
        // them at many places.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut text = String::from("[");
        let mut i = 0u64;
        while text.len() < 3 * BUF_SIZE + 1000 {
            let digits = 1 + (next() % 20) as u32;
            let v = if digits == 20 {
                next() % (u64::MAX - 9_999_999_999_999_999_999) + 9_999_999_999_999_999_999
            } else {
                next() % 10u64.pow(digits)
            };
            if next() % 17 == 0 {
                text.push_str(&format!("{v:0width$}", width = digits as usize));
            } else {
                text.push_str(&v.to_string());
            }
            i += 1;
            text.push_str(if i % 3 == 0 { "\n," } else { "," });
        }
        text.truncate(text.len() - if text.ends_with("\n,") { 2 } else { 1 });
        while i % 3 != 0 {
            text.push_str(",7");
            i += 1;
        }
        text.push(']');
        let want = careful(&text).unwrap();
        let c = fast(&text).unwrap();
        assert_eq!(c.values, want);
        assert!(
            c.whole * 3 > want.len() / 2,
            "the fast path read {} records",
            c.whole
        );
        let mut expected = Vec::new();
        let mut k = 0;
        reader(&text)
            .read_uint_array(|_, at| {
                if k % 3 == 0 {
                    expected.push(at);
                }
                k += 1;
                Ok(())
            })
            .unwrap();
        assert_eq!(c.offsets, expected);
    }

    #[test]
    fn a_number_cut_by_a_refill_reads_whole() {
        // A number of every length that starts at every place around the end of the first
        // buffer, after V8-shaped records that fill it.
        for digits in [1usize, 7, 8, 9, 16, 17, 20] {
            for before in 0..=21 {
                let mut text = String::from("[");
                while text.len() < BUF_SIZE - before - 40 {
                    text.push_str("1,22,333\n,");
                }
                while text.len() < BUF_SIZE - before {
                    text.push_str("5,");
                }
                // The largest of that many digits that fits in 64 bits.
                let v = if digits < 20 {
                    "9".repeat(digits)
                } else {
                    u64::MAX.to_string()
                };
                text.push_str(&format!("{v},4\n,{v},{v},{v}\n,"));
                text.push_str(&"12,345,6789\n,".repeat(50));
                text.push_str("1,2,3]");
                let c = fast(&text).unwrap_or_else(|e| panic!("{digits} {before}: {e:?}"));
                assert_eq!(
                    c.values,
                    careful(&text).unwrap(),
                    "{digits} digits, {before}"
                );
            }
        }
    }

    #[test]
    fn overflow_signs_and_whitespace_in_v8_shaped_records() {
        let prefix = format!("[{}", "1234,5,6\n,".repeat(300));
        let tail = ",1".repeat(60) + "]";
        // Past u64: an error at the number, as the careful path says it.
        for bad in [
            "18446744073709551616",
            "99999999999999999999",
            "123456789012345678901234",
            "00000000000000000000018446744073709551616",
        ] {
            let text = format!("{prefix}{bad},1,2{tail}");
            let e = fast(&text).unwrap_err();
            assert_eq!(e, careful(&text).unwrap_err(), "{bad}");
            assert_eq!(e.0, prefix.len() as u64, "{bad}");
            assert!(e.1.contains("does not fit in 64 bits"), "{}", e.1);
        }
        // u64::MAX and long runs of leading zeros fit.
        for good in ["18446744073709551615", "000000000000000000000000042", "0"] {
            let text = format!("{prefix}{good},1,2{tail}");
            let c = fast(&text).unwrap();
            assert_eq!(c.values, careful(&text).unwrap(), "{good}");
        }
        // Signs, fractions, exponents: errors where the careful path finds them.
        for bad in [
            "-1", "+1", "1.5", "1e3", "1E3", "-0", "0x10", "\"1\"", "null", "",
        ] {
            let text = format!("{prefix}{bad},1,2{tail}");
            assert_eq!(
                fast(&text).unwrap_err(),
                careful(&text).unwrap_err(),
                "{bad}"
            );
        }
        // JSON whitespace anywhere between the numbers reads the same.
        for ws in [" ", "\t", "\r", "\r\n", "\n\n", " \n "] {
            let text = format!("[{}{ws}7{ws},{ws}8,9{tail}", "1234,5,6\n,".repeat(300));
            assert_eq!(
                fast(&text).unwrap().values,
                careful(&text).unwrap(),
                "{ws:?}"
            );
        }
        // Cut off: the end of input inside a number or after a comma.
        for cut in [
            format!("{prefix}12"),
            format!("{prefix}12,"),
            prefix.clone(),
        ] {
            assert_eq!(fast(&cut).unwrap_err(), careful(&cut).unwrap_err());
        }
    }

    fn text_split(s: &str, at: usize) -> (&str, &str) {
        s.split_at(at)
    }

    #[test]
    fn decodes_escapes_and_surrogate_pairs() {
        assert_eq!(string(r#""plain""#).unwrap(), "plain");
        assert_eq!(
            string(r#""a\"b\\c\/d\n\t\r\b\f""#).unwrap(),
            "a\"b\\c/d\n\t\r\u{8}\u{c}"
        );
        assert_eq!(string(r#""\u0041\u00e9\u4e2d""#).unwrap(), "Aé中");
        assert_eq!(string(r#""\ud83d\ude00!""#).unwrap(), "😀!");
        assert_eq!(string("\"raw utf-8 é 😀\"").unwrap(), "raw utf-8 é 😀");
        // Lone surrogates become U+FFFD, the rest is kept.
        assert_eq!(string(r#""a\ud800b""#).unwrap(), "a\u{FFFD}b");
        assert_eq!(string(r#""\ud800""#).unwrap(), "\u{FFFD}");
        assert_eq!(string(r#""\ude00x""#).unwrap(), "\u{FFFD}x");
        assert_eq!(string(r#""\ud800\ud83d\ude00""#).unwrap(), "\u{FFFD}😀");
        assert_eq!(string(r#""\ud800\n""#).unwrap(), "\u{FFFD}\n");
    }

    #[test]
    fn string_errors_say_where() {
        assert_eq!(offset_of(string(r#""abc"#).unwrap_err()), 4);
        assert_eq!(offset_of(string(r#""a\x""#).unwrap_err()), 3);
        assert_eq!(offset_of(string(r#""\u12G4""#).unwrap_err()), 5);
        assert_eq!(offset_of(string("\"a\nb\"").unwrap_err()), 2);
        assert_eq!(offset_of(string("x").unwrap_err()), 0);
    }

    #[test]
    fn invalid_utf8_is_replaced_not_fatal() {
        let bytes = b"\"a\xffb\"";
        let mut r = Reader::new(&bytes[..]);
        assert_eq!(r.read_string().unwrap(), "a\u{FFFD}b");
    }

    #[test]
    fn skips_long_number_arrays_across_buffers() {
        // a `locations`-sized array, longer than the buffer, with what the tight loop stops
        // at: other scalars, nested arrays, strings, whitespace of every kind
        let mut text = String::from("{\"k\":[");
        let mut i = 0u64;
        while text.len() < 3 * BUF_SIZE {
            text.push_str(&format!("{i},{}\n,", i * 7));
            if i % 1000 == 0 {
                text.push_str("-1.5e3, true,\t[1,2,[]],\r\n\"a,]1\", {\"x\":[9]},");
            }
            i += 1;
        }
        text.push_str("0]}");
        let tail = ",\"after\"";
        let whole = format!("{text}{tail}");
        let mut r = reader(&whole);
        r.skip_value(None).unwrap();
        assert_eq!(r.offset(), text.len() as u64);
        // cut anywhere inside, it is an error, not a value
        for cut in [text.len() - 1, BUF_SIZE + 3, BUF_SIZE, 10] {
            assert!(
                reader(&text[..cut]).skip_value(None).is_err(),
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn skips_and_records_nested_values() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let mut r = reader(&deep);
        r.skip_value(None).unwrap();
        assert_eq!(r.offset(), deep.len() as u64);

        let mut rec = Vec::new();
        let mut r = reader(r#"{"a": [1, -2.5e3, true, null, "x\"y"], "b": {}} tail"#);
        r.skip_value(Some(&mut rec)).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&rec).unwrap();
        assert_eq!(v["a"][1], serde_json::json!(-2500.0));
        assert_eq!(v["a"][4], serde_json::json!("x\"y"));

        assert!(reader("[1, 2").skip_value(None).is_err());
        assert!(reader("]").skip_value(None).is_err());
        assert!(reader("[\"abc").skip_value(None).is_err());
    }
}
