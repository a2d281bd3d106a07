//! Matching a combination across shops, the one rule the product sync and order replication share
//! (FACTS.md §4.3, DESIGN.md): its own reference when exactly one candidate has it, else its EAN13 when
//! exactly one has it, else its set of attribute values (group → value, compared case- and
//! accent-insensitively). Two candidates with the same attribute set are ambiguous: never guessed.

use std::collections::BTreeMap;

use unicode_normalization::UnicodeNormalization;

/// What identifies a combination: each part is optional (combinations often carry no reference of their
/// own, or their product's).
#[derive(Debug, Clone, Copy)]
pub struct CombinationIdentity<'a> {
    /// Its own reference.
    pub reference: Option<&'a str>,
    /// Its EAN13.
    pub ean13: Option<&'a str>,
    /// Attribute group → value, e.g. `Size` → `M`.
    pub attributes: &'a BTreeMap<String, String>,
}

/// A combination of the product on the other shop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CombinationCandidate {
    /// Its id there.
    pub id: u64,
    /// Its own reference, when not empty.
    pub reference: Option<String>,
    /// Its EAN13, when not empty.
    pub ean13: Option<String>,
    /// Its attribute values (empty when they were not read).
    pub attributes: BTreeMap<String, String>,
}

/// What matching found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CombinationMatch {
    /// Exactly this one.
    Found(u64),
    /// Several candidates carry the same attribute set.
    Ambiguous(Vec<u64>),
    /// None.
    NotFound,
}

/// Matches `wanted` among `candidates`: own reference when unique, else EAN13 when unique, else the
/// attribute set.
pub fn match_combination(wanted: CombinationIdentity<'_>, candidates: &[CombinationCandidate]) -> CombinationMatch {
    let unique = |same: Vec<&CombinationCandidate>| (same.len() == 1).then(|| same[0].id);
    let by_reference = wanted.reference.filter(|r| !r.trim().is_empty()).and_then(|reference| {
        unique(
            candidates
                .iter()
                .filter(|c| c.reference.as_deref().is_some_and(|r| r.trim().eq_ignore_ascii_case(reference.trim())))
                .collect(),
        )
    });
    if let Some(id) = by_reference {
        return CombinationMatch::Found(id);
    }
    let by_ean = wanted.ean13.filter(|e| !e.trim().is_empty()).and_then(|ean| {
        unique(candidates.iter().filter(|c| c.ean13.as_deref().is_some_and(|e| e.trim() == ean.trim())).collect())
    });
    if let Some(id) = by_ean {
        return CombinationMatch::Found(id);
    }
    if wanted.attributes.is_empty() {
        return CombinationMatch::NotFound;
    }
    let key = attribute_key(wanted.attributes);
    let same: Vec<u64> = candidates
        .iter()
        .filter(|c| !c.attributes.is_empty() && attribute_key(&c.attributes) == key)
        .map(|c| c.id)
        .collect();
    match same.as_slice() {
        [] => CombinationMatch::NotFound,
        [id] => CombinationMatch::Found(*id),
        _ => CombinationMatch::Ambiguous(same),
    }
}

/// An attribute set in comparable form: group and value folded (see [`fold`]), sorted.
fn attribute_key(attributes: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    attributes.iter().map(|(g, v)| (fold(g), fold(v))).collect()
}

/// Lower case without accents and surrounding spaces: "Négro " and "negro" compare equal.
pub fn fold(s: &str) -> String {
    s.trim()
        .nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(g, v)| ((*g).to_owned(), (*v).to_owned())).collect()
    }

    fn candidate(id: u64, reference: Option<&str>, ean13: Option<&str>, a: &[(&str, &str)]) -> CombinationCandidate {
        CombinationCandidate {
            id,
            reference: reference.map(str::to_owned),
            ean13: ean13.map(str::to_owned),
            attributes: attrs(a),
        }
    }

    #[test]
    fn a_shared_reference_falls_back_to_the_attribute_set_compared_without_case_or_accents() {
        let candidates = [
            candidate(1, Some("demo_1"), None, &[("Size", "S"), ("Color", "White")]),
            candidate(3, Some("demo_1"), None, &[("Size", "M"), ("Color", "Black")]),
            candidate(5, Some("demo_1"), None, &[("Size", "M"), ("Color", "Négro")]),
        ];
        let wanted = attrs(&[("size", "m"), ("COLOR", "black ")]);
        let id = CombinationIdentity { reference: Some("demo_1"), ean13: None, attributes: &wanted };
        assert_eq!(match_combination(id, &candidates), CombinationMatch::Found(3));
        let negro = attrs(&[("Size", "M"), ("Color", "negro")]);
        let id = CombinationIdentity { reference: None, ean13: None, attributes: &negro };
        assert_eq!(match_combination(id, &candidates), CombinationMatch::Found(5));
    }

    #[test]
    fn own_reference_then_ean13_win_over_attributes() {
        let candidates = [
            candidate(1, Some("TS-S"), None, &[("Size", "S")]),
            candidate(2, None, Some("4006381333931"), &[("Size", "M")]),
        ];
        let none = BTreeMap::new();
        let by_ref = CombinationIdentity { reference: Some("ts-s"), ean13: None, attributes: &none };
        assert_eq!(match_combination(by_ref, &candidates), CombinationMatch::Found(1));
        let by_ean = CombinationIdentity { reference: Some("OTHER"), ean13: Some("4006381333931"), attributes: &none };
        assert_eq!(match_combination(by_ean, &candidates), CombinationMatch::Found(2));
        assert_eq!(
            match_combination(CombinationIdentity { reference: None, ean13: None, attributes: &none }, &candidates),
            CombinationMatch::NotFound
        );
    }

    #[test]
    fn two_candidates_with_the_same_attribute_set_are_ambiguous() {
        let candidates = [candidate(7, None, None, &[("Size", "M")]), candidate(8, None, None, &[("size", "M")])];
        let wanted = attrs(&[("Size", "M")]);
        let id = CombinationIdentity { reference: None, ean13: None, attributes: &wanted };
        assert_eq!(match_combination(id, &candidates), CombinationMatch::Ambiguous(vec![7, 8]));
        let other = attrs(&[("Size", "XL")]);
        let id = CombinationIdentity { reference: None, ean13: None, attributes: &other };
        assert_eq!(match_combination(id, &candidates), CombinationMatch::NotFound);
    }
}
