//! The `global` rule: properties added to `globalThis` since the baseline, and global
//! collections whose size keeps growing (the trend engine decides "keeps growing").

use crate::leak::{Leak, LeakKind};

/// One property of `globalThis` worth judging.
#[derive(Debug, Clone, PartialEq)]
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
    pub growth_per_minute: Option<f64>,
}

/// One finding per added property and per growing global collection.
pub fn global_leaks(observations: &[GlobalObservation]) -> Vec<Leak> {
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
        out.push(Leak {
            name: Some(o.name.clone()),
            size: Some(o.size),
            value_type: Some(o.value_type.clone()),
            rate_per_minute: o.growth_per_minute,
            ..Leak::new(LeakKind::Global, message, 1)
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
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
        assert_eq!(leaks[0].kind, LeakKind::Global);
        assert_eq!(leaks[0].value_type.as_deref(), Some("Array"));
        assert!(leaks[0]
            .message
            .starts_with("global 'cache' was added since the baseline (Array, size 40)"));
    }

    #[test]
    fn growth_is_a_finding_and_old_quiet_globals_are_not() {
        let leaks = global_leaks(&[o("old", false, None), o("items", false, Some(60.0))]);
        assert_eq!(leaks.len(), 1);
        assert!(leaks[0]
            .message
            .contains("keeps growing: 40 elements now, +60.0 per minute"));
        assert_eq!(leaks[0].rate_per_minute, Some(60.0));
    }
}
