//! The `collection` rule: a registered Set / Map / Array that still holds closed members
//! (sockets, WebSockets, http2 sessions, or whatever `isClosed` says), or that only grows.

use serde::Deserialize;

use crate::leak::{CollectionDetail, Keyed, Leak, LeakDetail};
use crate::site::display_site;

/// One registered collection, as inspected at one check.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CollectionObservation {
    /// The registration's id (identifies one finding across checks).
    pub id: u64,
    /// The name given to `trackSet`.
    pub name: String,
    /// `Set`, `Map` or `Array`.
    pub collection_type: String,
    /// Where `trackSet` was called: `file:line:column`.
    pub site: Option<String>,
    /// Current size.
    pub size: u64,
    /// How many members were inspected (all of them, or a sample of a large collection).
    pub inspected: u64,
    /// How many of the inspected members are closed.
    pub closed: u64,
    /// What the closed members are, in plural (`sockets`, `WebSockets`, `members`).
    #[serde(default = "members")]
    pub member_label: String,
    /// Growth per minute when the trend engine says the size keeps rising.
    #[serde(default)]
    pub growth_per_minute: Option<f64>,
}

fn members() -> String {
    "members".to_string()
}

/// Estimated number of closed members: exact when every member was inspected, scaled from the
/// sample otherwise (never more than `size`).
pub fn estimated_closed(o: &CollectionObservation) -> u64 {
    if o.inspected == 0 || o.inspected >= o.size {
        return o.closed.min(o.size);
    }
    let scaled = (o.closed as f64 / o.inspected as f64 * o.size as f64).round() as u64;
    scaled.min(o.size)
}

/// Findings for the registered collections: closed members still held first, then growth.
pub fn collection_leaks(observations: &[CollectionObservation], cwd: &str) -> Vec<Keyed> {
    let mut out = Vec::new();
    for o in observations {
        let at = registered_at(o, cwd);
        let detail = || {
            LeakDetail::Collection(CollectionDetail {
                name: o.name.clone(),
                size: o.size as f64,
                site: o.site.clone(),
            })
        };
        let closed = estimated_closed(o);
        if closed > 0 {
            out.push(Keyed {
                key: format!("collection|{}|closed", o.id),
                leak: Leak::new(detail(), closed_message(o, closed, &at), closed as f64),
            });
        } else if let Some(rate) = o.growth_per_minute {
            let message = format!(
                "{} '{}' keeps growing: {} members now, +{:.1} per minute{at}; nothing removes \
                 what it adds",
                o.collection_type, o.name, o.size, rate
            );
            let mut leak = Leak::new(detail(), message, o.size as f64);
            leak.rate_per_minute = Some(rate);
            out.push(Keyed {
                key: format!("collection|{}|growth", o.id),
                leak,
            });
        }
    }
    out.sort_by(|a, b| {
        b.leak
            .count
            .total_cmp(&a.leak.count)
            .then_with(|| a.key.cmp(&b.key))
    });
    out
}

/// `Set 'connections' holds 120 closed sockets (of 120) (registered at ...): remove members ...`
pub(crate) fn closed_message(o: &CollectionObservation, closed: u64, at: &str) -> String {
    let approx = if o.inspected < o.size { "about " } else { "" };
    format!(
        "{} '{}' holds {approx}{closed} closed {} (of {}){at}: remove members when they \
         close (e.g. delete them in a 'close' handler)",
        o.collection_type, o.name, o.member_label, o.size
    )
}

/// ` (registered at file:line)` or nothing.
pub(crate) fn registered_at(o: &CollectionObservation, cwd: &str) -> String {
    match &o.site {
        Some(s) => format!(" (registered at {})", display_site(s, cwd)),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obs(size: u64, inspected: u64, closed: u64) -> CollectionObservation {
        CollectionObservation {
            id: 7,
            name: "connections".into(),
            collection_type: "Set".into(),
            site: Some("/app/server.js:2:21".into()),
            size,
            inspected,
            closed,
            member_label: "sockets".into(),
            growth_per_minute: None,
        }
    }

    #[test]
    fn closed_members_are_named_and_counted() {
        let leaks = collection_leaks(&[obs(120, 120, 120)], "/app");
        assert_eq!(leaks.len(), 1);
        assert_eq!(leaks[0].leak.kind(), crate::leak::LeakKind::Collection);
        assert_eq!(leaks[0].key, "collection|7|closed");
        assert_eq!(leaks[0].leak.count, 120.0);

        assert!(
            leaks[0]
                .leak
                .message
                .starts_with("Set 'connections' holds 120 closed sockets (of 120) (registered at server.js:2:21)"),
            "{}",
            leaks[0].leak.message
        );
    }

    #[test]
    fn samples_are_scaled_and_said_to_be_estimates() {
        let o = obs(10_000, 1_000, 500);
        assert_eq!(estimated_closed(&o), 5_000);
        let leaks = collection_leaks(&[o], "");
        assert!(leaks[0].leak.message.contains("holds about 5000 closed"));
    }

    #[test]
    fn open_members_without_growth_are_silent() {
        assert!(collection_leaks(&[obs(50, 50, 0)], "").is_empty());
        assert!(collection_leaks(&[obs(0, 0, 0)], "").is_empty());
    }

    #[test]
    fn growth_alone_is_a_finding() {
        let mut o = obs(600, 600, 0);
        o.growth_per_minute = Some(120.0);
        let leaks = collection_leaks(&[o], "");
        assert_eq!(leaks[0].leak.count, 600.0);
        assert_eq!(leaks[0].leak.rate_per_minute, Some(120.0));
        assert!(leaks[0]
            .leak
            .message
            .contains("keeps growing: 600 members now, +120.0 per minute"));
    }
}
