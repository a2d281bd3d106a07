//! The names of a shop's attribute values and groups (`product_option_values`, `product_options`): what the
//! third combination-matching rule compares (Size=S, Color=White), read the same way for the source's
//! orders and the clients' products.

use std::collections::{BTreeMap, HashMap};

use hub_domain::GatewayError;
use serde_json::Value;

use crate::{WebserviceClient, num};

/// A shop's attribute value and group names, in one language.
#[derive(Debug, Default)]
pub(crate) struct AttributeNames {
    /// Value id → (group id, name).
    values: HashMap<u64, (u64, String)>,
    /// Group id → name.
    groups: HashMap<u64, String>,
}

impl AttributeNames {
    /// Reads every value and group of the shop behind `client` (two list calls), names in `lang`.
    pub(crate) async fn read(client: &WebserviceClient, lang: u64) -> Result<Self, GatewayError> {
        let values = client
            .list_rows(
                "product_option_values",
                vec![("display", "[id,id_attribute_group,name]".into()), ("sort", "[id_ASC]".into())],
            )
            .await?;
        let groups = client
            .list_rows("product_options", vec![("display", "[id,name]".into()), ("sort", "[id_ASC]".into())])
            .await?;
        Ok(Self {
            values: values
                .iter()
                .map(|v| (num(&v["id"]), (num(&v["id_attribute_group"]), language_value(&v["name"], lang))))
                .collect(),
            groups: groups.iter().map(|g| (num(&g["id"]), language_value(&g["name"], lang))).collect(),
        })
    }

    /// Group → value of a combination's `product_option_values`.
    pub(crate) fn of(&self, value_ids: &[u64]) -> BTreeMap<String, String> {
        value_ids
            .iter()
            .filter_map(|v| {
                let (group, name) = self.values.get(v)?;
                Some((self.groups.get(group)?.clone(), name.clone()))
            })
            .collect()
    }

    /// True when every one of `value_ids` and its group is known (else the names were read before the
    /// shop created them).
    pub(crate) fn knows(&self, value_ids: &[u64]) -> bool {
        value_ids.iter().all(|v| self.values.get(v).is_some_and(|(g, _)| self.groups.contains_key(g)))
    }
}

/// The attribute value ids of a combination row read with `display=full` (the associations are only
/// output in full, FACTS.md §2.2).
pub(crate) fn value_ids(combination: &Value) -> Vec<u64> {
    combination["associations"]["product_option_values"]
        .as_array()
        .map(|vs| vs.iter().map(|v| num(&v["id"])).collect())
        .unwrap_or_default()
}

/// A language field's value in `lang`: a plain string when the shop outputs one language, else the
/// `[{"id":"1","value":"…"}]` list (FACTS.md §2.2); the first language when `lang` is not in it.
pub(crate) fn language_value(v: &Value, lang: u64) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(items) => items
            .iter()
            .find(|i| num(&i["id"]) == lang)
            .or_else(|| items.first())
            .and_then(|i| i["value"].as_str())
            .unwrap_or_default()
            .to_owned(),
        _ => String::new(),
    }
}
