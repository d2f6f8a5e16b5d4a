//! The `timers` rule: timeouts still pending and intervals still running that were created since
//! the baseline (a test that leaves them keeps closures, and often the process, alive).

use serde::Deserialize;

use crate::leak::{Keyed, Leak, LeakDetail, TimersDetail};
use crate::site::site_phrase;

/// Live timers of one kind, delay and creation site.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
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
pub fn timer_leaks(groups: &[TimerGroup], cwd: &str) -> Vec<Keyed> {
    let mut out: Vec<Keyed> = groups
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
            // a delay computed from a clock reads 1046.1378500000046: whole milliseconds
            let message = format!(
                "left {} {what} {state} ({every}{} ms), {at}",
                g.count,
                g.delay_ms.round()
            );
            let detail = LeakDetail::Timers(TimersDetail {
                site: g.site.clone(),
            });
            Keyed {
                key: format!("timers|{message}"),
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
            leaks[0].leak.message,
            "left 2 timeouts pending (500 ms), creation site not captured"
        );
        assert_eq!(
            leaks[1].leak.message,
            "left 1 interval running (every 1000 ms), created at t.test.js:3:5"
        );
        assert!(leaks.iter().all(|l| l.leak.code == "LEAKGUARD_TIMERS"));
    }

    #[test]
    fn delays_are_shown_in_whole_milliseconds() {
        let g = TimerGroup {
            interval: false,
            delay_ms: 1046.1378500000046,
            site: None,
            count: 1,
        };
        assert_eq!(
            timer_leaks(&[g], "")[0].leak.message,
            "left 1 timeout pending (1046 ms), creation site not captured"
        );
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
