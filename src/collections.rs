//! The `collection` rule: one batched call per check.

use leakguard_core::collections::{self, CollectionObservation};
use napi_derive::napi;

use crate::rules::LeakOutput;

/// One registered collection as inspected at one check.
#[napi(object)]
pub struct CollectionInput {
    /// The name given to `trackSet`.
    pub name: String,
    /// `Set`, `Map` or `Array`.
    pub collection_type: String,
    /// Where `trackSet` was called.
    pub site: Option<String>,
    /// Current size.
    pub size: u32,
    /// Members inspected (all, or a sample of a large collection).
    pub inspected: u32,
    /// Closed members among those inspected.
    pub closed: u32,
    /// Plural label of the closed members. @default 'members'
    pub member_label: Option<String>,
    /// Growth per minute, when the trend engine reported the size rising.
    pub growth_per_minute: Option<f64>,
}

/// Turns the registered collections of one check into findings.
#[napi(catch_unwind)]
pub fn evaluate_collections(
    collections: Vec<CollectionInput>,
    cwd: Option<String>,
) -> Vec<LeakOutput> {
    let obs: Vec<CollectionObservation> = collections
        .into_iter()
        .map(|c| CollectionObservation {
            name: c.name,
            collection_type: c.collection_type,
            site: c.site,
            size: u64::from(c.size),
            inspected: u64::from(c.inspected),
            closed: u64::from(c.closed),
            member_label: c.member_label.unwrap_or_else(|| "members".to_string()),
            growth_per_minute: c.growth_per_minute,
        })
        .collect();
    collections::collection_leaks(&obs, cwd.as_deref().unwrap_or(""))
        .into_iter()
        .map(LeakOutput::from)
        .collect()
}
