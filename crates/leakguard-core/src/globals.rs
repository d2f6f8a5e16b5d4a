//! The `global` rule: properties added to `globalThis` since the baseline, and global
//! collections whose size keeps growing (the trend engine decides "keeps growing").

use serde::Deserialize;

use crate::leak::{GlobalDetail, Keyed, Leak, LeakDetail};

/// One property of `globalThis` worth judging.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GlobalObservation {
    /// The property name.
    pub name: String,
    /// `Array`, `Map`, `Set`, `object`, `string`, `function`, ...
    pub value_type: String,
    /// Elements of a collection, length of a string, own keys of an object; 0 otherwise.
    pub size: u64,
    /// True when the property did not exist at the baseline.
    pub added: bool,
    /// Growth per minute when the trend engine says the size keeps rising.
    #[serde(default)]
    pub growth_per_minute: Option<f64>,
}

/// One finding per added property and per growing global collection.
pub fn global_leaks(observations: &[GlobalObservation]) -> Vec<Keyed> {
    let mut out = Vec::new();
    for o in observations {
        let message = match (o.added, o.growth_per_minute) {
            (_, Some(rate)) => format!(
                "global '{}' ({}) keeps growing: {} elements now, +{:.1} per minute; nothing \
                 removes what is added to it",
                o.name, o.value_type, o.size, rate
            ),
            (true, None) => format!(
                "global '{}' was added since the baseline ({}, size {}): a missing \
                 let/const/var, or state that lives forever on globalThis",
                o.name, o.value_type, o.size
            ),
            (false, None) => continue,
        };
        let detail = LeakDetail::Global(GlobalDetail {
            name: o.name.clone(),
            value_type: o.value_type.clone(),
            size: o.size as f64,
        });
        let mut leak = Leak::new(detail, message, 1.0);
        leak.rate_per_minute = o.growth_per_minute;
        let what = if o.growth_per_minute.is_some() {
            "growth"
        } else {
            "added"
        };
        out.push(Keyed {
            key: format!("global|{}|{what}", o.name),
            leak,
        });
    }
    out.sort_by(|a, b| a.key.cmp(&b.key));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn o(name: &str, added: bool, growth: Option<f64>) -> GlobalObservation {
        GlobalObservation {
            name: name.into(),
            value_type: "Array".into(),
            size: 40,
            added,
            growth_per_minute: growth,
        }
    }

    #[test]
    fn added_globals_are_named_with_type_and_size() {
        let leaks = global_leaks(&[o("cache", true, None)]);
        assert_eq!(leaks.len(), 1);
        assert_eq!(leaks[0].leak.kind(), crate::leak::LeakKind::Global);
        assert!(matches!(&leaks[0].leak.detail, LeakDetail::Global(d) if d.value_type == "Array"));
        assert!(leaks[0]
            .leak
            .message
            .starts_with("global 'cache' was added since the baseline (Array, size 40)"));
    }

    #[test]
    fn growth_is_a_finding_and_old_quiet_globals_are_not() {
        let leaks = global_leaks(&[o("old", false, None), o("items", false, Some(60.0))]);
        assert_eq!(leaks.len(), 1);
        assert!(leaks[0]
            .leak
            .message
            .contains("keeps growing: 40 elements now, +60.0 per minute"));
        assert_eq!(leaks[0].leak.rate_per_minute, Some(60.0));
    }
}
