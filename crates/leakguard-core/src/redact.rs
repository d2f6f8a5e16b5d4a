//! Secret-looking text from a heap, redacted before anyone sees it.
//!
//! A heap snapshot holds every string of the process: environment variables, request headers,
//! tokens, passwords. What the analysis shows of them (the names of string nodes, property names
//! on retainer paths, holder names) goes to terminals, CI logs, HTML reports and `LeakWarning`s.
//! By default ([`Strings::Redacted`]) such text is shown shortened, with what looks like a
//! secret replaced by `[redacted]`; [`Strings::Raw`] (`--show-strings`, `showStrings: true`)
//! shows it as it is. This is the one definition of the rule: the CLI, the HTML report and the
//! JS API all get their strings from here.
//!
//! What looks like a secret (a heuristic: it errs on the side of hiding):
//! - the value of `key=value` / `key: value` / `"key":"value"` when the key names a secret
//!   (`AWS_SECRET_ACCESS_KEY=…`, `password=…`, `api_key: …`, `Authorization: …`): the key is
//!   kept, the value redacted;
//! - the credentials of `Bearer …` / `Basic …` and of a URL (`https://user:…@host`);
//! - a PEM private key block;
//! - AWS access key ids (`AKIA…`), JWTs (`eyJ….….…`), tokens with a known prefix (`ghp_`,
//!   `github_pat_`, `xoxb-`, `sk_live_`, `sk-`, `AIza`, `npm_`, `glpat-`);
//! - any other long run of base64 / hex characters that reads as random: at least 20
//!   letters and digits, with digits and letters, ≥ 10 distinct characters, changing between
//!   upper case, lower case and digits at ≥ 35 % of positions (random base64 does at ~62 %,
//!   hex at ~47 %; words, identifiers and file paths at < 30 %).
//!
//! A string reached through a property whose name names a secret (`env.AWS_SECRET_ACCESS_KEY`,
//! `user.password`) is redacted whole, whatever it looks like ([`is_secret_name`]).

use std::borrow::Cow;

/// How strings from the heap are shown.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Strings {
    /// Shortened, and secret-looking text replaced by `[redacted]`. @default
    #[default]
    Redacted,
    /// As they are (still shortened where a label must fit a line).
    Raw,
}

/// What replaces a secret.
pub const REDACTED: &str = "[redacted]";

/// Text longer than this is cut before it is searched: nothing past it is ever shown.
const SCAN_LIMIT: usize = 4096;

impl Strings {
    /// `text` as it may be shown: redacted unless `Raw`.
    pub fn text<'a>(self, text: &'a str) -> Cow<'a, str> {
        match self {
            Strings::Raw => Cow::Borrowed(text),
            Strings::Redacted => redact(text),
        }
    }

    /// At most `max` characters of `text` (then `…`), redacted unless `Raw`. Redaction runs
    /// before the cut, so a secret cut in half is still recognised.
    pub fn shortened(self, text: &str, max: usize) -> String {
        let shown = match self {
            Strings::Raw => Cow::Borrowed(text),
            Strings::Redacted => redact(head(text, SCAN_LIMIT)),
        };
        truncate(&shown, max)
    }
}

fn head(text: &str, max_bytes: usize) -> &str {
    if text.len() <= max_bytes {
        return text;
    }
    let mut end = max_bytes;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// At most `max` characters and `…`, never cutting a `[redacted]` in two.
fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_string(),
        Some((mut i, _)) => {
            if let Some(m) = text[..i].rfind(REDACTED.as_bytes()[0] as char) {
                if text[m..].starts_with(REDACTED) && m + REDACTED.len() > i {
                    i = m + REDACTED.len();
                }
            }
            if i >= text.len() {
                return text.to_string();
            }
            format!("{}…", &text[..i])
        }
    }
}

/// Words that make a key or property name name a secret (compared in upper case, `-` and `.`
/// read as `_`).
const SECRET_WORDS: &[&str] = &[
    "SECRET",
    "PASSWORD",
    "PASSWD",
    "PASSPHRASE",
    "PWD",
    "TOKEN",
    "APIKEY",
    "API_KEY",
    "ACCESS_KEY",
    "ACCESSKEY",
    "PRIVATE_KEY",
    "PRIVATEKEY",
    "CREDENTIAL",
    "AUTHORIZATION",
    "COOKIE",
    "SESSIONID",
    "SESSION_ID",
    "SIGNATURE",
    "CLIENT_KEY",
];

/// Whether a key or property name names a secret: `AWS_SECRET_ACCESS_KEY`, `password`,
/// `x-api-key`, `githubToken`, `Authorization`.
pub fn is_secret_name(name: &str) -> bool {
    if name.is_empty() || name.len() > 128 {
        return false;
    }
    let upper: String = name
        .chars()
        .map(|c| match c {
            '-' | '.' | ' ' => '_',
            c => c.to_ascii_uppercase(),
        })
        .collect();
    SECRET_WORDS.iter().any(|w| upper.contains(w))
}

/// `text` with what looks like a secret replaced by `[redacted]` (borrowed when nothing is).
pub fn redact(text: &str) -> Cow<'_, str> {
    if text.len() < 8 {
        return Cow::Borrowed(text);
    }
    let mut spans: Vec<(usize, usize)> = Vec::new();
    pem_blocks(text, &mut spans);
    key_values(text, &mut spans);
    schemes(text, &mut spans);
    url_credentials(text, &mut spans);
    tokens(text, &mut spans);
    if spans.is_empty() {
        return Cow::Borrowed(text);
    }
    spans.sort_unstable();
    // Overlapping spans (a JWT after `Bearer`) are one.
    let mut merged: Vec<(usize, usize)> = Vec::with_capacity(spans.len());
    for (start, end) in spans {
        match merged.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => merged.push((start, end)),
        }
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (start, end) in merged {
        out.push_str(&text[at..start]);
        out.push_str(REDACTED);
        at = end;
    }
    out.push_str(&text[at..]);
    Cow::Owned(out)
}

const fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'_' | b'-')
}

const fn is_key_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')
}

/// Where a value that follows a separator ends: at white space, `&`, `;`, `,`, a quote or a
/// closing bracket.
fn value_end(bytes: &[u8], from: usize) -> usize {
    let mut i = from;
    while i < bytes.len()
        && !matches!(
            bytes[i],
            b' ' | b'\t' | b'\n' | b'\r' | b'&' | b';' | b',' | b'"' | b'\'' | b'}' | b']' | b')'
        )
    {
        i += 1;
    }
    i
}

/// `KEY=value`, `key: value`, `"key":"value"`, `key=value` in a query string: the value.
fn key_values(text: &str, spans: &mut Vec<(usize, usize)>) {
    let b = text.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        if c != b'=' && c != b':' {
            continue;
        }
        // The key: the name right before the separator (a closing quote allowed).
        let mut k_end = i;
        if k_end > 0 && matches!(b[k_end - 1], b'"' | b'\'') {
            k_end -= 1;
        }
        let mut k_start = k_end;
        while k_start > 0 && is_key_byte(b[k_start - 1]) {
            k_start -= 1;
        }
        if k_start == k_end || !is_secret_name(&text[k_start..k_end]) {
            continue;
        }
        // `://` is a URL scheme, not a key.
        if c == b':' && b.get(i + 1) == Some(&b'/') {
            continue;
        }
        let mut v = i + 1;
        while v < b.len() && matches!(b[v], b' ' | b'\t' | b'"' | b'\'') {
            v += 1;
        }
        // `Authorization: Bearer xyz`: the scheme is kept, its credentials are `schemes`'.
        if let Some(rest) = text.get(v..) {
            if starts_with_scheme(rest).is_some() {
                continue;
            }
        }
        let end = value_end(b, v);
        if end > v {
            spans.push((v, end));
        }
    }
}

/// `Bearer <token>` / `Basic <credentials>` (any case): the length of the scheme and its space.
fn starts_with_scheme(text: &str) -> Option<usize> {
    let b = text.as_bytes();
    for scheme in ["bearer ", "basic "] {
        // bytes, not a str slice: the cut may fall inside a character (found by the fuzzer)
        if b.len() > scheme.len() && b[..scheme.len()].eq_ignore_ascii_case(scheme.as_bytes()) {
            return Some(scheme.len());
        }
    }
    None
}

fn schemes(text: &str, spans: &mut Vec<(usize, usize)>) {
    let b = text.as_bytes();
    for i in 0..b.len() {
        if i > 0 && b[i - 1].is_ascii_alphanumeric() {
            continue;
        }
        if !matches!(b[i], b'B' | b'b') {
            continue;
        }
        let Some(n) = text.get(i..).and_then(starts_with_scheme) else {
            continue;
        };
        let v = i + n;
        let mut end = v;
        while end < b.len() && (is_token_byte(b[end]) || b[end] == b'.' || b[end] == b'~') {
            end += 1;
        }
        // Credentials, not an English word after "basic": a digit, a symbol or mixed case.
        let cred = &b[v..end];
        let credential_like = cred
            .iter()
            .any(|c| c.is_ascii_digit() || !c.is_ascii_alphanumeric())
            || (cred.iter().any(u8::is_ascii_uppercase) && cred.iter().any(u8::is_ascii_lowercase));
        if cred.len() >= 8 && credential_like {
            spans.push((v, end));
        }
    }
}

/// `scheme://user:password@host`: the password.
fn url_credentials(text: &str, spans: &mut Vec<(usize, usize)>) {
    let mut from = 0;
    while let Some(at) = text[from..].find("://") {
        let start = from + at + 3;
        let rest = &text[start..];
        let end = rest
            .find(|c: char| c.is_whitespace() || c == '/' || c == '"' || c == '\'')
            .unwrap_or(rest.len());
        let authority = &rest[..end];
        if let Some(atsign) = authority.rfind('@') {
            if let Some(colon) = authority[..atsign].find(':') {
                if colon + 1 < atsign {
                    spans.push((start + colon + 1, start + atsign));
                }
            }
        }
        from = start;
    }
}

/// `-----BEGIN … PRIVATE KEY-----` to its `END` line (or the end of the text).
fn pem_blocks(text: &str, spans: &mut Vec<(usize, usize)>) {
    let mut from = 0;
    while let Some(at) = text[from..].find("-----BEGIN ") {
        let start = from + at;
        let Some(line_end) = text[start + 11..].find("-----").map(|i| start + 11 + i + 5) else {
            break;
        };
        let label = &text[start + 11..line_end - 5];
        if !label.contains("PRIVATE KEY") {
            from = line_end;
            continue;
        }
        let end = text[line_end..]
            .find("-----END ")
            .map_or(text.len(), |i| line_end + i);
        if end > line_end {
            spans.push((line_end, end));
        }
        from = end.max(line_end);
        if from >= text.len() {
            break;
        }
    }
}

/// Runs of token characters: known shapes, and anything that reads as random.
fn tokens(text: &str, spans: &mut Vec<(usize, usize)>) {
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if !is_token_byte(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && is_token_byte(b[i]) {
            // `=` is base64's padding at the end of a run; inside one it separates a key from
            // its value (`KEY=value` are two runs).
            if b[i] == b'='
                && i > start
                && b.get(i + 1).is_some_and(|&n| is_token_byte(n) && n != b'=')
            {
                i += 1;
                break;
            }
            i += 1;
        }
        // A JWT: three base64url parts joined by dots.
        if text[start..].starts_with("eyJ") {
            let mut end = i;
            let mut dots = 0;
            while dots < 2 && end + 1 < b.len() && b[end] == b'.' && is_token_byte(b[end + 1]) {
                end += 1;
                while end < b.len() && is_token_byte(b[end]) {
                    end += 1;
                }
                dots += 1;
            }
            if dots == 2 {
                spans.push((start, end));
                i = end;
                continue;
            }
        }
        if looks_secret(&text[start..i]) {
            spans.push((start, i));
        }
    }
}

const PREFIXES: &[&str] = &[
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "glpat-",
    "xoxb-",
    "xoxp-",
    "xoxa-",
    "xoxs-",
    "sk_live_",
    "rk_live_",
    "sk-",
    "AIza",
    "npm_",
];

/// Whether one run of token characters is a secret.
fn looks_secret(run: &str) -> bool {
    let b = run.as_bytes();
    // AWS access key ids: a 4-letter prefix and 16 upper-case letters or digits.
    if b.len() >= 20 {
        for p in [
            "AKIA", "ASIA", "AGPA", "AIDA", "AROA", "AIPA", "ANPA", "ANVA",
        ] {
            if let Some(pos) = run.find(p) {
                let id = &b[pos..];
                if id.len() >= 20
                    && id[4..20]
                        .iter()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
                {
                    return true;
                }
            }
        }
    }
    if b.len() >= 20 && PREFIXES.iter().any(|p| run.starts_with(p)) {
        return true;
    }
    reads_random(run)
}

/// The heuristic for unknown tokens (see the module's doc).
fn reads_random(run: &str) -> bool {
    let mut alnum = 0usize;
    let (mut digits, mut letters) = (0usize, 0usize);
    let mut changes = 0usize;
    let mut last: Option<u8> = None;
    let mut seen = [false; 128];
    for &c in run.as_bytes() {
        let class = if c.is_ascii_digit() {
            digits += 1;
            0
        } else if c.is_ascii_lowercase() {
            letters += 1;
            1
        } else if c.is_ascii_uppercase() {
            letters += 1;
            2
        } else {
            continue; // separators neither count nor break a run of a class
        };
        seen[c as usize] = true;
        if last.is_some_and(|l| l != class) {
            changes += 1;
        }
        last = Some(class);
        alnum += 1;
    }
    if alnum < 20 || digits == 0 || letters == 0 {
        return false;
    }
    let distinct = seen.iter().filter(|&&s| s).count();
    distinct >= 10 && changes * 100 >= 35 * (alnum - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const AWS_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzq93Kd0aXkLl";

    #[test]
    fn key_values_keep_the_key_and_hide_the_value() {
        let t = format!("AWS_SECRET_ACCESS_KEY={AWS_SECRET}");
        assert_eq!(redact(&t), "AWS_SECRET_ACCESS_KEY=[redacted]");
        assert_eq!(
            redact("user=bob&password=hunter2&page=3"),
            "user=bob&password=[redacted]&page=3"
        );
        assert_eq!(
            redact(r#"{"apiKey":"abc","name":"x"}"#),
            r#"{"apiKey":"[redacted]","name":"x"}"#
        );
        assert_eq!(redact("DB_PASSWORD: s3cr3t!"), "DB_PASSWORD: [redacted]");
        assert_eq!(
            redact("MY_APP_SECRET=short"),
            "MY_APP_SECRET=[redacted]",
            "a weak secret is still a secret"
        );
    }

    #[test]
    fn credentials_of_schemes_and_urls() {
        assert_eq!(
            redact("Authorization: Bearer abc.def-ghi_jkl"),
            "Authorization: Bearer [redacted]"
        );
        assert_eq!(redact("basic dXNlcjpwYXNzd29yZA=="), "basic [redacted]");
        assert_eq!(
            redact("the basic functionality of a bearer bond"),
            "the basic functionality of a bearer bond"
        );
        assert_eq!(
            redact("postgres://app:pa55word@db.internal:5432/prod"),
            "postgres://app:[redacted]@db.internal:5432/prod"
        );
        assert_eq!(
            redact("https://example.com/a:b@c"),
            "https://example.com/a:b@c",
            "a colon and @ in the path are no credentials"
        );
    }

    #[test]
    fn known_token_shapes() {
        assert_eq!(
            redact("key AKIAIOSFODNN7EXAMPLE used"),
            "key [redacted] used"
        );
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
        assert_eq!(redact(&format!("token {jwt}")), "token [redacted]");
        assert_eq!(redact(&format!("[{jwt}]")), "[[redacted]]");
        assert_eq!(
            redact("ghp_16C7e42F292c6912E7710c838347Ae178B4a"),
            "[redacted]"
        );
        assert_eq!(
            redact(
                "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----"
            ),
            "-----BEGIN RSA PRIVATE KEY-----[redacted]-----END RSA PRIVATE KEY-----"
        );
    }

    #[test]
    fn random_looking_runs_are_hidden_words_and_paths_are_not() {
        assert_eq!(redact(AWS_SECRET), "[redacted]");
        assert_eq!(
            redact("sha 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b"),
            "sha [redacted]"
        );
        assert_eq!(redact("x=Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA"), "x=[redacted]");
        for plain in [
            "(GC roots) → … → sessionRegistry (Map) → table → LeakyThing",
            "/app/node_modules/debug/src/node.js",
            "/tmp/leakguard-snapshots-XyZ123/leaks.js:4",
            "createDebug.instances",
            "Uint8ArrayConstructor",
            "LEAKGUARD_SNAPSHOT_NOT_FILE",
            "AWS_SECRET_ACCESS_KEY",
            "system / Context",
            "a1a1a1a1a1a1a1a1a1a1a1a1",
            "hello world, this is a perfectly normal sentence of text 2024",
            "h\u{e9}llo \u{1F600}",
        ] {
            assert_eq!(redact(plain), plain);
        }
    }

    #[test]
    fn secret_names() {
        for name in [
            "AWS_SECRET_ACCESS_KEY",
            "password",
            "x-api-key",
            "githubToken",
            "Authorization",
            "session_id",
        ] {
            assert!(is_secret_name(name), "{name}");
        }
        for name in ["table", "head", "instances", "sessionRegistry", "keys"] {
            assert!(!is_secret_name(name), "{name}");
        }
    }

    #[test]
    fn shortened_redacts_before_cutting_and_raw_shows_all() {
        let t = format!("AWS_SECRET_ACCESS_KEY={AWS_SECRET} and more text after it");
        let s = Strings::Redacted.shortened(&t, 30);
        assert_eq!(s, "AWS_SECRET_ACCESS_KEY=[redacted]…");
        assert!(!s.contains("wJal"));
        assert_eq!(
            Strings::Raw.shortened(&t, 30),
            "AWS_SECRET_ACCESS_KEY=wJalrXUt…"
        );
        assert_eq!(Strings::Raw.text(&t), t);
        assert_eq!(
            Strings::Redacted.shortened("é".repeat(5000).as_str(), 3),
            "ééé…"
        );
    }

    #[test]
    fn never_panics_on_odd_text() {
        for t in [
            "=",
            ":",
            "password=",
            "password:",
            "://",
            "a://b:@c",
            "-----BEGIN ",
            "-----BEGIN PRIVATE KEY-----",
            "eyJ.",
            "eyJa.b",
            "Bearer ",
            "\u{1F600}=\u{1F600}password=\u{1F600}",
        ] {
            let _ = redact(t);
            let _ = Strings::Redacted.shortened(t, 2);
        }
    }
}
