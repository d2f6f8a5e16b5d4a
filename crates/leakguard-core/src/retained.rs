//! The `retained` rule: objects that were expected to become garbage (watched with `watch()`,
//! or sockets watched automatically from their `close`) and are still alive after a GC and a
//! grace period. Findings are grouped by description.

use serde::Deserialize;

use crate::leak::{doubling_bucket, Keyed, Leak, LeakDetail, RetainedDetail};

/// Objects of one description still alive after the grace period.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
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
pub fn retained_leaks(groups: &[RetainedGroup], threshold: u64) -> Vec<Keyed> {
    let mut kept: Vec<&RetainedGroup> = groups
        .iter()
        .filter(|g| g.count > 0 && g.count >= threshold)
        .collect();
    kept.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| a.description.cmp(&b.description))
    });
    kept.into_iter()
        .map(|g| Keyed {
            // one finding per description; warned again only when it doubled
            key: format!(
                "retained|{}|{}",
                g.description,
                doubling_bucket(g.count as f64)
            ),
            leak: retained_leak(g),
        })
        .collect()
}

/// `N objects 'closed Socket' still reachable after a GC, ...: something still holds them`.
pub(crate) fn retained_leak(g: &RetainedGroup) -> Leak {
    let plural = if g.count == 1 { "object" } else { "objects" };
    // how long the oldest has outlived its close: whole ms below a second, whole seconds above
    let age = if g.oldest_ms < 1000.0 {
        format!("{} ms", g.oldest_ms.max(0.0).floor() as u64)
    } else {
        format!("{} s", (g.oldest_ms / 1000.0).floor() as u64)
    };
    let message = format!(
        "{} {plural} '{}' still reachable after a GC, up to {age} after they should \
         have become garbage ({} others did): something still holds them",
        g.count, g.description, g.collected
    );
    let detail = LeakDetail::Retained(RetainedDetail {
        description: g.description.clone(),
    });
    Leak::new(detail, message, g.count as f64)
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
        assert_eq!(leaks[0].leak.count, 300.0);
        assert!(leaks[0].key.starts_with("retained|closed WebSocket|"));
        assert_eq!(
            leaks[0].leak.message,
            "300 objects 'closed WebSocket' still reachable after a GC, up to 2 s after they \
             should have become garbage (3 others did): something still holds them"
        );
    }

    #[test]
    fn below_threshold_is_silent() {
        assert!(retained_leaks(&[g("x", 4)], 5).is_empty());
        assert!(retained_leaks(&[g("x", 0)], 0).is_empty());
        assert_eq!(
            retained_leaks(&[g("x", 1)], 1)[0]
                .leak
                .message
                .split(' ')
                .nth(1),
            Some("object")
        );
    }
}
