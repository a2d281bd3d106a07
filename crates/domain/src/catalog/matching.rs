//! Matching a source product to a client's: the client product found by reference, then each source
//! combination to a client combination by the shared rule of [`match_combination`] (own reference when
//! unique there, else EAN13 when unique, else the attribute set — a set two client combinations share is
//! never guessed).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::{
    ports::{Applied, LinkStatus, ProductLink, RemoteProduct},
    target::Target,
};
use crate::model::{CombinationCandidate, CombinationIdentity, CombinationMatch, Sku, Store, match_combination};

/// A link that says why `sku` has no client product on `store`, having dealt with the state of `event_id`
/// (so the owed-sync sweeper does not count the pair as lagging).
pub(crate) fn unlinked(store: &Store, sku: &Sku, status: LinkStatus, note: &str, event_id: &str) -> ProductLink {
    ProductLink {
        store: store.code.clone(),
        sku: sku.clone(),
        status,
        client_product_id: None,
        stock_rows: BTreeMap::new(),
        unmatched_combinations: Vec::new(),
        applied: Applied::default(),
        applied_event_id: Some(event_id.to_owned()),
        note: Some(note.to_owned()),
        verified_at: None,
        publication: None,
    }
}

/// Matches the source's combinations to the client's (the shared rule of [`match_combination`]: own
/// reference when unique there, else EAN13 when unique, else the attribute set) and builds the link with
/// the client's current values as `applied`, verified at `now` (`remote` was just read).
pub(crate) fn link_to(
    store: &Store,
    sku: &Sku,
    remote: &RemoteProduct,
    target: &Target,
    now: DateTime<Utc>,
) -> ProductLink {
    let mut stock_rows = BTreeMap::new();
    let mut unmatched = Vec::new();
    let mut ambiguous = Vec::new();
    let row_of = |comb: u64| remote.stock.iter().find(|r| r.combination_id == comb);
    if target.combinations.is_empty() {
        if let Some(r) = row_of(0) {
            stock_rows.insert(0, (r.id, 0));
        }
    } else {
        let candidates: Vec<CombinationCandidate> = remote
            .combinations
            .iter()
            .map(|rc| CombinationCandidate {
                id: rc.id,
                reference: rc.reference.clone(),
                ean13: rc.ean13.clone(),
                attributes: rc.attributes.clone(),
            })
            .collect();
        for (c, _) in &target.combinations {
            let wanted = CombinationIdentity {
                reference: c.reference.as_ref().map(Sku::as_str),
                ean13: c.ean13.as_deref(),
                attributes: &c.attributes,
            };
            let found = match match_combination(wanted, &candidates) {
                CombinationMatch::Found(id) => Some(id),
                CombinationMatch::Ambiguous(ids) => {
                    ambiguous.push(format!("combination {} could be client combinations {}", c.source_id, join(&ids)));
                    None
                }
                CombinationMatch::NotFound => None,
            };
            match found.and_then(|id| row_of(id).map(|r| (r.id, id))) {
                Some(found) => {
                    stock_rows.insert(c.source_id, found);
                }
                None => unmatched.push(c.source_id),
            }
        }
    }
    let applied = Applied {
        price: Some(remote.price),
        active: Some(remote.active),
        stock: if remote.stock_read {
            remote.stock.iter().map(|r| (r.id, r.quantity)).collect()
        } else {
            BTreeMap::new()
        },
    };
    let note = (!unmatched.is_empty()).then(|| {
        let mut note = format!("{} combination(s) matched nothing on the client", unmatched.len());
        if !ambiguous.is_empty() {
            note.push_str(&format!(" ({}: same attributes, never guessed)", ambiguous.join("; ")));
        }
        note
    });
    ProductLink {
        store: store.code.clone(),
        sku: sku.clone(),
        status: LinkStatus::Linked,
        client_product_id: Some(remote.id),
        stock_rows,
        unmatched_combinations: unmatched,
        applied,
        applied_event_id: None,
        note,
        verified_at: Some(now),
        publication: None,
    }
}

/// Ids as `12, 31`.
pub(crate) fn join(ids: &[u64]) -> String {
    ids.iter().map(u64::to_string).collect::<Vec<_>>().join(", ")
}
