//! Rules that turn batched observations from the JavaScript side into findings.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::leak::{Keyed, Leak, LeakDetail, ListenersDetail};
use crate::site::display_site;

/// Live listeners of one emitter and event, added since the baseline at one add-site.
/// The JavaScript side reads these from the emitters themselves at check time.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListenerGroup {
    /// Stable id of the emitter for this session (the same emitter keeps its id).
    pub emitter_id: u64,
    /// A label for the emitter: `process`, `Server`, `AbortSignal`, ...
    pub emitter: String,
    /// The event name (symbols are shown as `Symbol(name)`).
    pub event: String,
    /// `file:line:column` where they were added; `None` when no stack was captured.
    pub site: Option<String>,
    /// How many of them are still registered.
    pub count: u64,
    /// They were added with `once()` / `{ once: true }` and never fired.
    #[serde(default)]
    pub once: bool,
    /// Listeners of this emitter and event added since the baseline and removed again (shared by
    /// its sites); `None` when unknown (sampled tracking).
    #[serde(default)]
    pub removed: Option<u64>,
}

/// Options of [`listener_leaks`].
#[derive(Debug, Clone, PartialEq)]
pub struct ListenerRuleOptions {
    /// An emitter and event is a finding once this many listeners added since the baseline are
    /// still registered. @default 10
    pub threshold: u64,
    /// Working directory, to show add-sites relative to it.
    pub cwd: String,
}

impl Default for ListenerRuleOptions {
    fn default() -> Self {
        ListenerRuleOptions {
            threshold: 10,
            cwd: String::new(),
        }
    }
}

/// Findings for listener groups: every emitter and event that holds at least `threshold`
/// listeners added since the baseline gives one finding per add-site, largest first.
pub fn listener_leaks(groups: &[ListenerGroup], options: &ListenerRuleOptions) -> Vec<Keyed> {
    let mut totals: BTreeMap<(u64, &str), u64> = BTreeMap::new();
    for g in groups {
        *totals.entry((g.emitter_id, g.event.as_str())).or_default() += g.count;
    }
    let mut kept: Vec<&ListenerGroup> = groups
        .iter()
        .filter(|g| g.count > 0 && totals[&(g.emitter_id, g.event.as_str())] >= options.threshold)
        .collect();
    kept.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| a.emitter.cmp(&b.emitter))
            .then_with(|| a.event.cmp(&b.event))
            .then_with(|| a.site.cmp(&b.site))
    });
    kept.into_iter()
        .map(|g| Keyed {
            // the same emitter, event and site is one finding across checks (warned once)
            key: format!(
                "listeners|{}|{}|{}",
                g.emitter_id,
                g.event,
                g.site.as_deref().unwrap_or("")
            ),
            leak: listener_leak(g, &options.cwd),
        })
        .collect()
}

fn listener_leak(g: &ListenerGroup, cwd: &str) -> Leak {
    let plural = match (g.once, g.count == 1) {
        (false, true) => "listener",
        (false, false) => "listeners",
        (true, true) => "once-listener (never fired)",
        (true, false) => "once-listeners (never fired)",
    };
    let at = match &g.site {
        Some(site) => format!("added at {}", display_site(site, cwd)),
        None => "add-site not captured (stacks off or not sampled)".to_string(),
    };
    let removed = match g.removed {
        None => String::new(),
        Some(0) => String::from("; none were removed"),
        Some(n) => format!("; {n} removed"),
    };
    let message = format!(
        "leaked {} {plural} for '{}' on {}, {at}{removed}",
        g.count, g.event, g.emitter
    );
    let detail = ListenersDetail {
        emitter: g.emitter.clone(),
        event: g.event.clone(),
        site: g.site.clone(),
        removed: g.removed.map(|r| r as f64),
        once: g.once.then_some(true),
    };
    Leak::new(LeakDetail::Listeners(detail), message, g.count as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::leak::LeakKind;

    fn detail(k: &Keyed) -> &ListenersDetail {
        match &k.leak.detail {
            LeakDetail::Listeners(d) => d,
            other => panic!("not a listeners finding: {other:?}"),
        }
    }

    fn group(id: u64, event: &str, site: Option<&str>, count: u64) -> ListenerGroup {
        ListenerGroup {
            emitter_id: id,
            emitter: "EventEmitter".into(),
            event: event.into(),
            site: site.map(String::from),
            count,
            once: false,
            removed: Some(0),
        }
    }

    fn opts(threshold: u64) -> ListenerRuleOptions {
        ListenerRuleOptions {
            threshold,
            cwd: "/app".into(),
        }
    }

    #[test]
    fn threshold_counts_all_sites_of_one_emitter_and_event() {
        let groups = [
            group(1, "data", Some("/app/a.js:1:1"), 6),
            group(1, "data", Some("/app/b.js:2:2"), 4),
            group(2, "data", Some("/app/a.js:1:1"), 9),
        ];
        let leaks = listener_leaks(&groups, &opts(10));
        assert_eq!(leaks.len(), 2, "emitter 1 reaches 10, emitter 2 does not");
        assert_eq!(leaks[0].leak.count, 6.0);
        assert_eq!(leaks[0].leak.site(), Some("/app/a.js:1:1"));
        assert_eq!(leaks[0].key, "listeners|1|data|/app/a.js:1:1");
        assert_eq!(leaks[1].leak.count, 4.0);
        assert!(leaks.iter().all(|l| l.leak.kind() == LeakKind::Listeners));
    }

    #[test]
    fn message_names_count_event_emitter_and_relative_site() {
        let mut g = group(1, "SIGUSR2", Some("/app/__tests__/a.test.js:5:11"), 1);
        g.emitter = "process".into();
        let leaks = listener_leaks(&[g], &opts(1));
        assert_eq!(
            leaks[0].leak.message,
            "leaked 1 listener for 'SIGUSR2' on process, added at __tests__/a.test.js:5:11; \
             none were removed"
        );
    }

    #[test]
    fn removals_and_missing_sites_are_said() {
        let mut g = group(1, "data", None, 3);
        g.removed = Some(2);
        let leaks = listener_leaks(&[g], &opts(1));
        assert!(leaks[0].leak.message.contains("leaked 3 listeners"));
        assert!(leaks[0].leak.message.contains("add-site not captured"));
        assert!(leaks[0].leak.message.ends_with("; 2 removed"));
        assert_eq!(detail(&leaks[0]).removed, Some(2.0));
    }

    #[test]
    fn once_listeners_that_never_fired_are_named_so() {
        let mut g = group(1, "response", Some("/app/a.js:1:1"), 2);
        g.once = true;
        let leaks = listener_leaks(&[g], &opts(1));
        assert!(leaks[0]
            .leak
            .message
            .starts_with("leaked 2 once-listeners (never fired) for 'response'"));
        assert_eq!(detail(&leaks[0]).once, Some(true));
    }

    #[test]
    fn unknown_removals_are_not_claimed() {
        let mut g = group(1, "data", Some("/app/a.js:1:1"), 3);
        g.removed = None;
        let leaks = listener_leaks(&[g], &opts(1));
        assert!(leaks[0].leak.message.ends_with("added at a.js:1:1"));
        assert_eq!(detail(&leaks[0]).removed, None);
    }

    #[test]
    fn below_threshold_or_empty_is_silent() {
        assert!(listener_leaks(&[group(1, "x", None, 9)], &opts(10)).is_empty());
        assert!(listener_leaks(&[group(1, "x", None, 0)], &opts(0)).is_empty());
        assert!(listener_leaks(&[], &opts(1)).is_empty());
    }
}
