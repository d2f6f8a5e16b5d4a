//! Guard mode's findings: a series that a trend engine saw grow (rising floors over a window),
//! described by what its detector sampled. The same voice as `check()`'s findings: every
//! message is made here.

use serde::Deserialize;

use crate::collections::{closed_message, estimated_closed, registered_at, CollectionObservation};
use crate::leak::{
    Allocation, CollectionDetail, GlobalDetail, HeapDetail, Keyed, Leak, LeakDetail,
    ListenersDetail,
};
use crate::retained::{retained_leak, RetainedGroup};
use crate::site::display_site;
use crate::trend::Growth;

const MIB: f64 = 1024.0 * 1024.0;

/// One growing series and what its detector knows of it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "series", rename_all = "camelCase")]
pub enum GrowingSeries {
    /// Live listeners of one emitter and event; with `names`, the number of event names with
    /// listeners on one emitter (a listener per ever new name, `event` then null).
    #[serde(rename_all = "camelCase")]
    Listeners {
        emitter_id: u64,
        emitter: String,
        #[serde(default)]
        event: Option<String>,
        #[serde(default)]
        names: bool,
        /// The add-site most of its tagged live listeners were added at.
        #[serde(default)]
        site: Option<String>,
        growth: Growth,
    },
    /// The size of a collection registered with `trackSet`.
    #[serde(rename_all = "camelCase")]
    CollectionSize {
        collection: CollectionObservation,
        growth: Growth,
    },
    /// The closed members a registered collection keeps.
    #[serde(rename_all = "camelCase")]
    CollectionClosed {
        collection: CollectionObservation,
        growth: Growth,
    },
    /// Watched objects (closed sockets, `watch()`) still alive past their grace period.
    #[serde(rename_all = "camelCase")]
    Retained {
        group: RetainedGroup,
        growth: Growth,
    },
    /// The size of a collection that is a property of `globalThis`.
    #[serde(rename_all = "camelCase")]
    Global {
        name: String,
        value_type: String,
        growth: Growth,
    },
    /// Heap used after a major GC.
    #[serde(rename_all = "camelCase")]
    Heap {
        #[serde(default)]
        allocations: Vec<Allocation>,
        growth: Growth,
    },
}

/// `+12.3/min`, three significant digits.
fn per_minute(n: f64, unit: &str) -> String {
    let sign = if n >= 0.0 { "+" } else { "" };
    format!("{sign}{}{unit}/min", significant(n, 3))
}

fn significant(x: f64, digits: i32) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let scale = 10f64.powi(digits - 1 - x.abs().log10().floor() as i32);
    (x * scale).round() / scale
}

fn mib(n: f64) -> String {
    format!("{:.1} MiB", n / MIB)
}

fn verb(g: &Growth, plural: bool) -> &'static str {
    match (g.repeat, plural) {
        (true, true) => "keep growing",
        (true, false) => "keeps growing",
        (false, _) => "grew",
    }
}

fn with_growth(mut leak: Leak, g: &Growth) -> Leak {
    leak.rate_per_minute = Some(g.rate_per_minute);
    leak.from = Some(g.from);
    leak.repeat = Some(g.repeat);
    leak
}

/// The finding for one growing series. `key` identifies the series; a repeat gets its own.
pub fn growth_finding(series: &GrowingSeries, cwd: &str) -> Keyed {
    let (key, leak) = match series {
        GrowingSeries::Listeners {
            emitter_id,
            emitter,
            event,
            names,
            site,
            growth: g,
        } => {
            let at = match site {
                Some(s) => format!("added at {}", display_site(s, cwd)),
                None => "add-site not captured yet (stacks are sampled)".to_string(),
            };
            let event = match (names, event) {
                (false, Some(e)) => e.clone(),
                _ => String::from("*"),
            };
            let message = if *names {
                format!(
                    "event names with listeners on {emitter} {}: {} -> {} ({}): a listener for \
                     ever new names (such as once(`reply:${{id}}`)) that are never emitted or \
                     removed, {at}",
                    verb(g, false),
                    g.from,
                    g.to,
                    per_minute(g.rate_per_minute, "")
                )
            } else {
                format!(
                    "listeners for '{event}' on {emitter} {}: {} -> {} ({}) without matching \
                 removals, {at}",
                    verb(g, true),
                    g.from,
                    g.to,
                    per_minute(g.rate_per_minute, "")
                )
            };
            let key = if *names {
                format!("listeners|{emitter_id}\u{1}names")
            } else {
                format!("listeners|{emitter_id}|{event}")
            };
            let detail = LeakDetail::Listeners(ListenersDetail {
                emitter: emitter.clone(),
                event,
                site: site.clone(),
                removed: None,
                once: None,
            });
            (key, Leak::new(detail, message, g.to))
        }
        GrowingSeries::CollectionSize {
            collection: c,
            growth: g,
        } => {
            let message = format!(
                "{} '{}' {}: {} -> {} members ({}){}; nothing removes what it adds",
                c.collection_type,
                c.name,
                verb(g, false),
                g.from,
                g.to,
                per_minute(g.rate_per_minute, ""),
                registered_at(c, cwd)
            );
            (
                format!("collection|{}|growth", c.id),
                Leak::new(collection_detail(c), message, g.to),
            )
        }
        GrowingSeries::CollectionClosed {
            collection: c,
            growth: g,
        } => {
            let closed = estimated_closed(c);
            let message = format!(
                "closed members kept in '{}' {}: {} -> {} ({}); {}",
                c.name,
                verb(g, true),
                g.from,
                g.to,
                per_minute(g.rate_per_minute, ""),
                closed_message(c, closed, &registered_at(c, cwd))
            );
            (
                format!("collection|{}|closed", c.id),
                Leak::new(collection_detail(c), message, closed as f64),
            )
        }
        GrowingSeries::Retained { group, growth: g } => {
            let base = retained_leak(group);
            let message = format!(
                "'{}' objects still alive {}: {} -> {} ({}); {}",
                group.description,
                verb(g, true),
                g.from,
                g.to,
                per_minute(g.rate_per_minute, ""),
                base.message
            );
            (
                format!("retained|{}", group.description),
                Leak { message, ..base },
            )
        }
        GrowingSeries::Global {
            name,
            value_type,
            growth: g,
        } => {
            let message = format!(
                "global '{name}' ({value_type}) {}: {} -> {} elements ({}); nothing removes \
                 what is added to it",
                verb(g, false),
                g.from,
                g.to,
                per_minute(g.rate_per_minute, "")
            );
            let detail = LeakDetail::Global(GlobalDetail {
                name: name.clone(),
                value_type: value_type.clone(),
                size: g.to,
            });
            (
                format!("global|{name}|growth"),
                Leak::new(detail, message, 1.0),
            )
        }
        GrowingSeries::Heap {
            allocations,
            growth: g,
        } => {
            let mut message = format!(
                "heap used after GC {}: {} -> {} ({})",
                verb(g, false),
                mib(g.from),
                mib(g.to),
                per_minute(g.rate_per_minute / MIB, " MiB")
            );
            if let Some(a) = allocations.first() {
                let sign = if a.growth >= 0.0 { "+" } else { "" };
                message.push_str(&format!(
                    "; most sampled live memory allocated in {} ({}) ({}, {sign}{} since the \
                     last profile)",
                    a.function_name,
                    display_site(&a.site, cwd),
                    mib(a.bytes),
                    mib(a.growth)
                ));
            }
            let detail = LeakDetail::Heap(HeapDetail {
                heap_used: g.to,
                allocations: (!allocations.is_empty()).then(|| allocations.clone()),
            });
            let count = (g.to - g.from).round().max(0.0);
            ("heap".to_string(), Leak::new(detail, message, count))
        }
    };
    let growth = match series {
        GrowingSeries::Listeners { growth, .. }
        | GrowingSeries::CollectionSize { growth, .. }
        | GrowingSeries::CollectionClosed { growth, .. }
        | GrowingSeries::Retained { growth, .. }
        | GrowingSeries::Global { growth, .. }
        | GrowingSeries::Heap { growth, .. } => growth,
    };
    Keyed {
        key,
        leak: with_growth(leak, growth),
    }
}

fn collection_detail(c: &CollectionObservation) -> LeakDetail {
    LeakDetail::Collection(CollectionDetail {
        name: c.name.clone(),
        size: c.size as f64,
        site: c.site.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn growth(from: f64, to: f64, rate: f64, repeat: bool) -> Growth {
        Growth {
            from,
            to,
            rate_per_minute: rate,
            repeat,
        }
    }

    fn collection(size: u64, closed: u64) -> CollectionObservation {
        CollectionObservation {
            id: 3,
            name: "registry".into(),
            collection_type: "Map".into(),
            site: Some("/app/server.js:4:1".into()),
            size,
            inspected: size,
            closed,
            member_label: "members".into(),
            growth_per_minute: None,
        }
    }

    #[test]
    fn listener_growth_names_event_emitter_rate_and_site() {
        let s = GrowingSeries::Listeners {
            emitter_id: 4,
            emitter: "Server".into(),
            event: Some("request".into()),
            names: false,
            site: Some("/app/server.js:10:5".into()),
            growth: growth(3.0, 40.0, 12.345, false),
        };
        let k = growth_finding(&s, "/app");
        assert_eq!(k.key, "listeners|4|request");
        assert_eq!(
            k.leak.message,
            "listeners for 'request' on Server grew: 3 -> 40 (+12.3/min) without matching \
             removals, added at server.js:10:5"
        );
        assert_eq!(k.leak.count, 40.0);
        assert_eq!(k.leak.from, Some(3.0));
        assert_eq!(k.leak.repeat, Some(false));
    }

    #[test]
    fn a_growing_number_of_event_names_is_one_listener_finding_of_its_own() {
        let s = GrowingSeries::Listeners {
            emitter_id: 4,
            emitter: "Client".into(),
            event: None,
            names: true,
            site: None,
            growth: growth(600.0, 900.0, 60.0, false),
        };
        let k = growth_finding(&s, "/app");
        assert_eq!(k.key, "listeners|4\u{1}names");
        assert_eq!(
            k.leak.message,
            "event names with listeners on Client grew: 600 -> 900 (+60/min): a listener for \
             ever new names (such as once(`reply:${id}`)) that are never emitted or removed, \
             add-site not captured yet (stacks are sampled)"
        );
        match k.leak.detail {
            LeakDetail::Listeners(d) => assert_eq!(d.event, "*"),
            _ => panic!("not a listeners detail"),
        }
    }

    #[test]
    fn collection_size_growth_is_a_collection_finding() {
        let s = GrowingSeries::CollectionSize {
            collection: collection(500, 0),
            growth: growth(100.0, 500.0, 400.0, false),
        };
        let k = growth_finding(&s, "/app");
        assert_eq!(k.leak.code, "LEAKGUARD_COLLECTION");
        assert_eq!(k.key, "collection|3|growth");
        assert_eq!(
            k.leak.message,
            "Map 'registry' grew: 100 -> 500 members (+400/min) (registered at \
             server.js:4:1); nothing removes what it adds"
        );
    }

    #[test]
    fn heap_growth_in_mib_with_the_top_allocation_site() {
        let s = GrowingSeries::Heap {
            allocations: vec![Allocation {
                site: "file:///app/a.js:2:3".into(),
                function_name: "grow".into(),
                bytes: 8.0 * MIB,
                growth: 2.0 * MIB,
            }],
            growth: growth(10.0 * MIB, 50.0 * MIB, 20.0 * MIB, true),
        };
        let k = growth_finding(&s, "/app");
        assert_eq!(
            k.leak.message,
            "heap used after GC keeps growing: 10.0 MiB -> 50.0 MiB (+20 MiB/min); most \
             sampled live memory allocated in grow (a.js:2:3) (8.0 MiB, +2.0 MiB since the \
             last profile)"
        );
        assert_eq!(k.leak.count, 40.0 * MIB);
    }

    #[test]
    fn three_significant_digits() {
        assert_eq!(per_minute(12345.0, ""), "+12300/min");
        assert_eq!(per_minute(0.012345, ""), "+0.0123/min");
        assert_eq!(per_minute(-2.0, ""), "-2/min");
        assert_eq!(per_minute(0.0, ""), "+0/min");
    }
}
