//! The `handles` rule: servers still listening and sockets still open that a test created since
//! the baseline (they keep the process, and everything their handlers reach, alive).

use serde::Deserialize;

use crate::leak::{HandlesDetail, Keyed, Leak, LeakDetail};
use crate::site::site_phrase;

/// Open handles of one kind, address and creation site.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HandleGroup {
    /// A listening server (true) or an open client socket (false).
    pub server: bool,
    /// The class the user knows it by: `Server`, `Socket`, `TLSSocket`, `WebSocketServer`...
    pub label: String,
    /// `127.0.0.1:4242`, a pipe path, or nothing when not known.
    pub address: Option<String>,
    /// `file:line:column` where it was created (`listen()` / `connect()`), when known.
    pub site: Option<String>,
    /// How many are still open.
    pub count: u64,
}

/// One finding per group, largest first.
pub fn handle_leaks(groups: &[HandleGroup], cwd: &str) -> Vec<Keyed> {
    let mut out: Vec<Keyed> = groups
        .iter()
        .filter(|g| g.count > 0)
        .map(|g| {
            let plural = if g.count == 1 { "" } else { "s" };
            let (what, state, verb, prep) = if g.server {
                ("server", "listening", "listen() called", "on")
            } else {
                ("socket", "open", "connected", "to")
            };
            let described = match &g.address {
                Some(a) => format!("{} {prep} {a}", g.label),
                None => g.label.clone(),
            };
            let at = site_phrase(verb, g.site.as_deref(), cwd);
            let message = format!(
                "left {} {what}{plural} {state} ({described}), {at}",
                g.count
            );
            let detail = LeakDetail::Handles(HandlesDetail {
                site: g.site.clone(),
                description: described,
            });
            Keyed {
                key: format!("handles|{message}"),
                leak: Leak::new(detail, message, g.count as f64),
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.leak
            .count
            .total_cmp(&a.leak.count)
            .then_with(|| a.leak.site().cmp(&b.leak.site()))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn servers_and_sockets_read_as_a_person_says_them() {
        let groups = [
            HandleGroup {
                server: true,
                label: "Server".into(),
                address: Some("127.0.0.1:4242".into()),
                site: Some("/app/__tests__/a.test.js:7:12".into()),
                count: 1,
            },
            HandleGroup {
                server: false,
                label: "Socket".into(),
                address: Some("127.0.0.1:4242".into()),
                site: None,
                count: 3,
            },
        ];
        let leaks = handle_leaks(&groups, "/app");
        assert_eq!(
            leaks[0].leak.message,
            "left 3 sockets open (Socket to 127.0.0.1:4242), creation site not captured"
        );
        assert_eq!(
            leaks[1].leak.message,
            "left 1 server listening (Server on 127.0.0.1:4242), listen() called at __tests__/a.test.js:7:12"
        );
        assert!(matches!(
            &leaks[1].leak.detail,
            LeakDetail::Handles(d) if d.description == "Server on 127.0.0.1:4242"
        ));
        assert!(leaks.iter().all(|l| l.leak.code == "LEAKGUARD_HANDLES"));
    }

    #[test]
    fn empty_groups_are_no_findings() {
        let groups = [HandleGroup {
            server: false,
            label: "Socket".into(),
            address: None,
            site: None,
            count: 0,
        }];
        assert!(handle_leaks(&groups, "/app").is_empty());
    }
}
