//! The one entry the binding calls for findings: a batch of observations of one detector, as
//! the JavaScript side gathered them, in; finished findings with their identity out.

use serde::Deserialize;

use crate::collections::{collection_leaks, CollectionObservation};
use crate::globals::{global_leaks, GlobalObservation};
use crate::growth::{growth_finding, GrowingSeries};
use crate::handles::{handle_leaks, HandleGroup};
use crate::leak::Keyed;
use crate::listeners::{listener_leaks, ListenerGroup, ListenerRuleOptions};
use crate::retained::{retained_leaks, RetainedGroup};
use crate::timers::{timer_leaks, TimerGroup};

/// What one detector saw at one check (or, `growth`, what guard mode's trend engines saw grow).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase", deny_unknown_fields)]
pub enum Observations {
    /// Listener groups: findings at `threshold` listeners per emitter and event.
    Listeners {
        groups: Vec<ListenerGroup>,
        threshold: u64,
    },
    /// Registered collections.
    Collection {
        collections: Vec<CollectionObservation>,
    },
    /// Watched objects still alive, by description; findings at `threshold` objects.
    Retained {
        groups: Vec<RetainedGroup>,
        threshold: u64,
    },
    /// Properties of `globalThis` added or growing.
    Global { globals: Vec<GlobalObservation> },
    /// Live timers by kind, delay and creation site.
    Timers { groups: Vec<TimerGroup> },
    /// Open servers and sockets by label, address and site.
    Handles { groups: Vec<HandleGroup> },
    /// Guard mode: series that grew.
    Growth { series: Vec<GrowingSeries> },
}

/// Findings for `observations`; sites are shown relative to `cwd`.
pub fn evaluate(observations: &Observations, cwd: &str) -> Vec<Keyed> {
    match observations {
        Observations::Listeners { groups, threshold } => listener_leaks(
            groups,
            &ListenerRuleOptions {
                threshold: *threshold,
                cwd: cwd.to_string(),
            },
        ),
        Observations::Collection { collections } => collection_leaks(collections, cwd),
        Observations::Retained { groups, threshold } => retained_leaks(groups, *threshold),
        Observations::Global { globals } => global_leaks(globals),
        Observations::Timers { groups } => timer_leaks(groups, cwd),
        Observations::Handles { groups } => handle_leaks(groups, cwd),
        Observations::Growth { series } => series.iter().map(|s| growth_finding(s, cwd)).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_shape_javascript_sends() {
        let obs: Observations = serde_json::from_value(serde_json::json!({
            "kind": "listeners",
            "threshold": 1,
            "groups": [{ "emitterId": 1, "emitter": "process", "event": "SIGUSR2",
                         "site": "/app/a.js:5:11", "count": 1, "removed": 0 }]
        }))
        .unwrap();
        let out = evaluate(&obs, "/app");
        assert_eq!(out.len(), 1);
        let json = serde_json::to_value(&out[0].leak).unwrap();
        assert_eq!(json["kind"], "listeners");
        assert_eq!(json["code"], "LEAKGUARD_LISTENERS");
        assert_eq!(json["site"], "/app/a.js:5:11");
        assert_eq!(json["removed"], 0.0);
        assert!(json.get("once").is_none());
    }

    #[test]
    fn an_unknown_field_or_kind_is_an_error_naming_it() {
        let err = serde_json::from_value::<Observations>(serde_json::json!({
            "kind": "listeners", "groups": [], "threshold": 1, "treshold": 2
        }))
        .unwrap_err();
        assert!(err.to_string().contains("treshold"), "{err}");
        let err = serde_json::from_value::<Observations>(serde_json::json!({ "kind": "sockets" }))
            .unwrap_err();
        assert!(err.to_string().contains("sockets"), "{err}");
    }
}
