//! Matching a source product to a client's: the client product found by reference, then each source
//! combination to a client combination (own reference when unique there, else EAN13).

use std::collections::BTreeMap;

use super::{
    ports::{Applied, LinkStatus, ProductLink, RemoteCombination, RemoteProduct},
    target::Target,
};
use crate::model::{Sku, Store};

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
    }
}

/// Matches the source's combinations to the client's (own reference when unique there, else EAN13) and
/// builds the link with the client's current values as `applied`.
pub(crate) fn link_to(store: &Store, sku: &Sku, remote: &RemoteProduct, target: &Target) -> ProductLink {
    let mut stock_rows = BTreeMap::new();
    let mut unmatched = Vec::new();
    let row_of = |comb: u64| remote.stock.iter().find(|r| r.combination_id == comb);
    if target.combinations.is_empty() {
        if let Some(r) = row_of(0) {
            stock_rows.insert(0, (r.id, 0));
        }
    } else {
        for (c, _) in &target.combinations {
            let by_reference = c.reference.as_ref().and_then(|reference| {
                let same: Vec<&RemoteCombination> = remote
                    .combinations
                    .iter()
                    .filter(|rc| rc.reference.as_deref().is_some_and(|r| r.eq_ignore_ascii_case(reference.as_str())))
                    .collect();
                (same.len() == 1).then(|| same[0].id)
            });
            let by_ean = || {
                c.ean13.as_ref().and_then(|ean| {
                    let same: Vec<&RemoteCombination> =
                        remote.combinations.iter().filter(|rc| rc.ean13.as_deref() == Some(ean.as_str())).collect();
                    (same.len() == 1).then(|| same[0].id)
                })
            };
            match by_reference.or_else(by_ean).and_then(|id| row_of(id).map(|r| (r.id, id))) {
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
        stock: remote.stock.iter().map(|r| (r.id, r.quantity)).collect(),
    };
    let note =
        (!unmatched.is_empty()).then(|| format!("{} combination(s) matched nothing on the client", unmatched.len()));
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
    }
}
