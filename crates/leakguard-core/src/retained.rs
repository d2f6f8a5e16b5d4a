//! The `retained` rule: objects that were expected to become garbage (watched with `watch()`,
//! or sockets watched automatically from their `close`) and are still alive after a GC and a
//! grace period. Findings are grouped by description.

use crate::leak::{Leak, LeakKind};

/// Objects of one description still alive after the grace period.
#[derive(Debug, Clone, PartialEq)]
pub struct RetainedGroup {
    /// What they are (the `watch()` description, or e.g. `closed net.Socket`).
    pub description: String,
    /// How many are still alive.
    pub count: u64,
    /// How many of this description were watched and did become garbage.
    pub collected: u64,
    /// Age in milliseconds of the oldest one still alive.
    pub oldest_ms: f64,
}

/// One finding per description with at least `threshold` objects still alive, largest first.
pub fn retained_leaks(groups: &[RetainedGroup], threshold: u64) -> Vec<Leak> {
    let mut out: Vec<Leak> = groups
        .iter()
        .filter(|g| g.count > 0 && g.count >= threshold)
        .map(|g| {
            let plural = if g.count == 1 { "object" } else { "objects" };
            let secs = (g.oldest_ms / 1000.0).floor() as u64;
            let message = format!(
                "{} {plural} '{}' still reachable after a GC, up to {secs}s after they should \
                 have become garbage ({} others did): something still holds them",
                g.count, g.description, g.collected
            );
            Leak {
                description: Some(g.description.clone()),
                ..Leak::new(LeakKind::Retained, message, g.count)
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| a.description.cmp(&b.description))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(d: &str, count: u64) -> RetainedGroup {
        RetainedGroup {
            description: d.into(),
            count,
            collected: 3,
            oldest_ms: 2500.0,
        }
    }

    #[test]
    fn groups_become_findings_largest_first() {
        let leaks = retained_leaks(&[g("closed net.Socket", 2), g("closed WebSocket", 300)], 1);
        assert_eq!(leaks.len(), 2);
        assert_eq!(leaks[0].count, 300);
        assert_eq!(leaks[0].description.as_deref(), Some("closed WebSocket"));
        assert_eq!(
            leaks[0].message,
            "300 objects 'closed WebSocket' still reachable after a GC, up to 2s after they \
             should have become garbage (3 others did): something still holds them"
        );
    }

    #[test]
    fn below_threshold_is_silent() {
        assert!(retained_leaks(&[g("x", 4)], 5).is_empty());
        assert!(retained_leaks(&[g("x", 0)], 0).is_empty());
        assert_eq!(
            retained_leaks(&[g("x", 1)], 1)[0].message.split(' ').nth(1),
            Some("object")
        );
    }
}
