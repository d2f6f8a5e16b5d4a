//! The `timers` rule: timeouts still pending and intervals still running that were created since
//! the baseline (a test that leaves them keeps closures, and often the process, alive).

use crate::leak::{Leak, LeakKind};
use crate::site::site_phrase;

/// Live timers of one kind, delay and creation site.
#[derive(Debug, Clone, PartialEq)]
pub struct TimerGroup {
    /// `setInterval` (true) or `setTimeout` (false).
    pub interval: bool,
    /// The delay in milliseconds.
    pub delay_ms: f64,
    /// `file:line:column` where they were created, when known.
    pub site: Option<String>,
    /// How many are still pending / running.
    pub count: u64,
}

/// One finding per group, largest first.
pub fn timer_leaks(groups: &[TimerGroup], cwd: &str) -> Vec<Leak> {
    let mut out: Vec<Leak> = groups
        .iter()
        .filter(|g| g.count > 0)
        .map(|g| {
            let (what, state, every) = match (g.interval, g.count == 1) {
                (true, true) => ("interval", "running", "every "),
                (true, false) => ("intervals", "running", "every "),
                (false, true) => ("timeout", "pending", ""),
                (false, false) => ("timeouts", "pending", ""),
            };
            let at = site_phrase("created", g.site.as_deref(), cwd);
            let message = format!(
                "left {} {what} {state} ({every}{} ms), {at}",
                g.count, g.delay_ms
            );
            Leak {
                site: g.site.clone(),
                ..Leak::new(LeakKind::Timers, message, g.count)
            }
        })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.site.cmp(&b.site)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_and_timeouts_read_as_a_person_says_them() {
        let groups = [
            TimerGroup {
                interval: true,
                delay_ms: 1000.0,
                site: Some("/app/t.test.js:3:5".into()),
                count: 1,
            },
            TimerGroup {
                interval: false,
                delay_ms: 500.0,
                site: None,
                count: 2,
            },
        ];
        let leaks = timer_leaks(&groups, "/app");
        assert_eq!(
            leaks[0].message,
            "left 2 timeouts pending (500 ms), creation site not captured"
        );
        assert_eq!(
            leaks[1].message,
            "left 1 interval running (every 1000 ms), created at t.test.js:3:5"
        );
        assert!(leaks.iter().all(|l| l.kind.code() == "LEAKGUARD_TIMERS"));
    }

    #[test]
    fn empty_groups_are_silent() {
        let g = TimerGroup {
            interval: true,
            delay_ms: 1.0,
            site: None,
            count: 0,
        };
        assert!(timer_leaks(&[g], "").is_empty());
    }
}
