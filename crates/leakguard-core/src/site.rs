//! Add-sites (`/abs/path/file.js:12:5`) shown to people: relative to the working directory when
//! they are inside it, untouched otherwise.

/// `site` relative to `cwd` when it lies inside it (`/app/src/a.js:1:2` in `/app` →
/// `src/a.js:1:2`); otherwise `site` unchanged. `file://` URLs of ES modules are shown as paths.
pub fn display_site(site: &str, cwd: &str) -> String {
    let path = site.strip_prefix("file://").unwrap_or(site);
    let cwd = cwd.trim_end_matches('/');
    if !cwd.is_empty() {
        if let Some(rest) = path.strip_prefix(cwd) {
            if let Some(rel) = rest.strip_prefix('/') {
                return rel.to_string();
            }
        }
    }
    path.to_string()
}

/// `"<verb> at <site>"` with the site shown as [`display_site`] does, or `"creation site not
/// captured"` when there is none: the tail of the handles' and timers' messages.
pub fn site_phrase(verb: &str, site: Option<&str>, cwd: &str) -> String {
    match site {
        Some(site) => format!("{verb} at {}", display_site(site, cwd)),
        None => "creation site not captured".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inside_cwd_is_relative() {
        assert_eq!(display_site("/app/src/a.js:1:2", "/app"), "src/a.js:1:2");
        assert_eq!(display_site("/app/src/a.js:1:2", "/app/"), "src/a.js:1:2");
        assert_eq!(display_site("file:///app/a.mjs:3:4", "/app"), "a.mjs:3:4");
    }

    #[test]
    fn outside_cwd_or_prefix_only_is_untouched() {
        assert_eq!(display_site("/other/a.js:1:2", "/app"), "/other/a.js:1:2");
        assert_eq!(
            display_site("/application/a.js:1:2", "/app"),
            "/application/a.js:1:2"
        );
        assert_eq!(display_site("/a.js:1:2", ""), "/a.js:1:2");
    }
}
