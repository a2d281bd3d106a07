//! Reading a client's valid orders for reconciliation: [`WebserviceClientOrders`] implements the domain's
//! [`ClientOrders`] over the same per-store [`WebserviceClient`]s as the sync (same concurrency cap, rate cap
//! and circuit breaker).
//!
//! One page is `GET /api/orders?date=1&filter[valid]=[1]&filter[date_upd]=[since,9999-12-31 23:59:59]
//! &sort=[date_upd_ASC,id_ASC]&display=full&limit=offset,n` (date fields filter and sort only with `date=1`,
//! FACTS.md §2.3; `[a,b]` is an inclusive `BETWEEN`), then the page's customers, delivery addresses, their
//! countries and the currencies, one `filter[id]=[a|b|…]` list each. Each order becomes the `OrderData`
//! the connector's webhook would have carried (`OrderPayloadBuilder` in the module): lines from
//! `associations.order_rows` (reference, quantity, unit price tax included; lines of no quantity left out),
//! the phone or else the mobile phone, `date_add` as the time it was placed.

use std::collections::{BTreeMap, HashMap};

use async_trait::async_trait;
use chrono::{NaiveDateTime, TimeZone, Utc};
use hub_domain::{
    Address, Customer, GatewayError, Money, OrderData, OrderLine, OrderStatusData, OrderedCombination, Sku, StoreCode,
    reconcile::{CatalogPage, ClientOrders, ListedOrder},
};
use serde_json::Value;

use crate::{WebserviceClient, WebserviceGateway, int, num};

/// Ids per `filter[id]=[a|b|…]`: keeps the request line far below the 8 KiB web servers accept.
const IDS_PER_FILTER: usize = 200;

/// How PrestaShop writes `date_add` and `date_upd`.
const DATE: &str = "%Y-%m-%d %H:%M:%S";

/// [`ClientOrders`] over the stores' Webservices.
#[derive(Debug, Clone)]
pub struct WebserviceClientOrders {
    gateway: WebserviceGateway,
}

impl WebserviceClientOrders {
    /// Reads through `gateway`'s clients.
    pub fn new(gateway: WebserviceGateway) -> Self {
        Self { gateway }
    }

    /// The rows of `resource` whose id is one of `ids` (each read once), by id, with the fields `display`.
    async fn by_id(
        &self,
        c: &WebserviceClient,
        resource: &str,
        ids: impl Iterator<Item = u64>,
        display: &str,
        calls: &mut u32,
    ) -> Result<HashMap<u64, Value>, GatewayError> {
        let mut ids: Vec<u64> = ids.filter(|id| *id > 0).collect();
        ids.sort_unstable();
        ids.dedup();
        let mut out = HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(IDS_PER_FILTER) {
            *calls += 1;
            let joined: Vec<String> = chunk.iter().map(u64::to_string).collect();
            let found = c
                .list_rows(
                    resource,
                    vec![("filter[id]", format!("[{}]", joined.join("|"))), ("display", display.to_owned())],
                )
                .await?;
            out.extend(found.into_iter().map(|r| (num(&r["id"]), r)));
        }
        Ok(out)
    }
}

/// The text of a field, trimmed (empty when absent).
fn field(v: &Value, name: &str) -> String {
    match &v[name] {
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    }
}

fn date(v: &Value, name: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(&field(v, name), DATE).ok()
}

/// What the page's orders refer to, by id.
struct Related {
    customers: HashMap<u64, Value>,
    addresses: HashMap<u64, Value>,
    countries: HashMap<u64, Value>,
    currencies: HashMap<u64, Value>,
    /// The lines' products (`reference`), their combinations (`reference`, `ean13`, the ids of their
    /// attribute values), and those values' and groups' names.
    products: HashMap<u64, Value>,
    combinations: HashMap<u64, Value>,
    values: HashMap<u64, Value>,
    groups: HashMap<u64, Value>,
}

impl Related {
    /// `line` with its product's own reference and, when `row` is a combination's, that combination as the
    /// connector describes it (own reference, EAN13, attribute group → value names in the shop's first
    /// language): what the source resolves it by. A combination deleted since keeps only its id, which
    /// cannot be matched; the line then stays the parent's and replication names why.
    fn with_combination(&self, line: OrderLine, row: &Value) -> Result<OrderLine, String> {
        let combination_id = num(&row["product_attribute_id"]);
        if combination_id == 0 {
            return Ok(line);
        }
        let Some(c) = self.combinations.get(&combination_id) else {
            return Ok(line);
        };
        let sku = |v: String| Some(v).filter(|v| !v.is_empty()).and_then(|v| Sku::parse(&v).ok());
        let product_reference = self.products.get(&num(&row["product_id"])).and_then(|p| sku(field(p, "reference")));
        let mut attributes = BTreeMap::new();
        for v in c["associations"]["product_option_values"].as_array().map(Vec::as_slice).unwrap_or_default() {
            let Some(value) = self.values.get(&num(&v["id"])) else { continue };
            let Some(group) = self.groups.get(&num(&value["id_attribute_group"])) else { continue };
            attributes.insert(first_language(&group["name"]), first_language(&value["name"]));
        }
        let combination = OrderedCombination::new(
            combination_id,
            sku(field(c, "reference")),
            Some(field(c, "ean13")).filter(|e| !e.is_empty() && e != "0"),
            attributes,
        )
        .map_err(|e| format!("combination {combination_id}: {e}"))?;
        Ok(line.with_combination(product_reference, combination))
    }
}

/// A language field's value: a plain string when the shop outputs one language, else the first of the
/// `[{"id":"1","value":"…"}]` list (FACTS.md §2.2), the shop's first language.
fn first_language(v: &Value) -> String {
    match v {
        Value::Array(items) => items.first().map(|i| field(i, "value")).unwrap_or_default(),
        Value::String(s) => s.trim().to_owned(),
        _ => String::new(),
    }
}

/// The order as the connector's webhook would carry it, or why it cannot be built.
fn order_data(o: &Value, related: &Related) -> Result<OrderData, String> {
    let customer_id = num(&o["id_customer"]);
    let c = related.customers.get(&customer_id).ok_or_else(|| format!("customer {customer_id} not readable"))?;
    let customer = Customer::new(field(c, "email"), field(c, "firstname"), field(c, "lastname"))
        .map_err(|e| format!("customer {customer_id}: {e}"))?;
    let address_id = num(&o["id_address_delivery"]);
    let a = related.addresses.get(&address_id).ok_or_else(|| format!("address {address_id} not readable"))?;
    let country_id = num(&a["id_country"]);
    let country = related
        .countries
        .get(&country_id)
        .map(|c| field(c, "iso_code"))
        .ok_or_else(|| format!("country {country_id} not readable"))?;
    let phone = Some(field(a, "phone")).filter(|p| !p.is_empty()).unwrap_or_else(|| field(a, "phone_mobile"));
    let address = Address::new(
        field(a, "firstname"),
        field(a, "lastname"),
        field(a, "company"),
        field(a, "address1"),
        field(a, "address2"),
        field(a, "postcode"),
        field(a, "city"),
        country,
        phone,
    )
    .map_err(|e| format!("delivery address {address_id}: {e}"))?;
    let currency_id = num(&o["id_currency"]);
    let currency = related
        .currencies
        .get(&currency_id)
        .map(|c| field(c, "iso_code"))
        .ok_or_else(|| format!("currency {currency_id} not readable"))?;
    let mut lines = Vec::new();
    for (i, row) in o["associations"]["order_rows"].as_array().map(Vec::as_slice).unwrap_or_default().iter().enumerate()
    {
        let quantity = int(&row["product_quantity"]);
        if quantity < 1 {
            continue;
        }
        let at = format!("line {}", i + 1);
        let reference = field(row, "product_reference");
        let reference = Sku::parse(&reference).map_err(|e| format!("{at}: reference `{reference}`: {e}"))?;
        let quantity = u32::try_from(quantity).map_err(|_| format!("{at}: quantity {quantity} out of range"))?;
        let price = Money::parse(&field(row, "unit_price_tax_incl")).map_err(|e| format!("{at}: unit price: {e}"))?;
        let line = OrderLine::new(reference, quantity, price).map_err(|e| format!("{at}: {e}"))?;
        lines.push(related.with_combination(line, row).map_err(|e| format!("{at}: {e}"))?);
    }
    let placed_at = date(o, "date_add").map(|d| Utc.from_utc_datetime(&d)).ok_or_else(|| "no date_add".to_owned())?;
    let total = Money::parse(&field(o, "total_paid_tax_incl")).map_err(|e| format!("total_paid_tax_incl: {e}"))?;
    let state = Some(field(o, "current_state")).filter(|s| !s.is_empty());
    let order = OrderData::new(
        num(&o["id"]),
        field(o, "reference"),
        currency,
        customer,
        address,
        lines,
        total,
        placed_at,
        Some(int(&o["valid"]) == 1),
        state,
    )
    .map_err(|e| e.to_string())?;
    Ok(order.with_carrier_id(Some(num(&o["id_carrier"])).filter(|id| *id > 0)))
}

#[async_trait]
impl ClientOrders for WebserviceClientOrders {
    async fn orders_page(
        &self,
        store: &StoreCode,
        since: NaiveDateTime,
        offset: u64,
        limit: u32,
    ) -> Result<CatalogPage<ListedOrder>, GatewayError> {
        let c = self.gateway.client(store)?;
        let found = c
            .list_rows(
                "orders",
                vec![
                    ("date", "1".into()),
                    ("filter[date_upd]", format!("[{},9999-12-31 23:59:59]", since.format(DATE))),
                    ("sort", "[date_upd_ASC,id_ASC]".into()),
                    ("display", "full".into()),
                    ("limit", format!("{offset},{limit}")),
                ],
            )
            .await?;
        let next = (found.len() as u64 >= u64::from(limit)).then(|| offset + found.len() as u64);
        if found.is_empty() {
            return Ok(CatalogPage { items: Vec::new(), next, calls: 1 });
        }
        let mut calls = 1;
        let customers = self
            .by_id(
                c,
                "customers",
                found.iter().map(|o| num(&o["id_customer"])),
                "[id,email,firstname,lastname]",
                &mut calls,
            )
            .await?;
        let addresses = self
            .by_id(
                c,
                "addresses",
                found.iter().map(|o| num(&o["id_address_delivery"])),
                "[id,id_country,company,lastname,firstname,address1,address2,postcode,city,phone,phone_mobile]",
                &mut calls,
            )
            .await?;
        let countries = self
            .by_id(c, "countries", addresses.values().map(|a| num(&a["id_country"])), "[id,iso_code]", &mut calls)
            .await?;
        let currencies = self
            .by_id(c, "currencies", found.iter().map(|o| num(&o["id_currency"])), "[id,iso_code]", &mut calls)
            .await?;
        let rows_of = |field: &str| -> Vec<u64> {
            found
                .iter()
                .flat_map(|o| o["associations"]["order_rows"].as_array().map(Vec::as_slice).unwrap_or_default())
                .map(|r| num(&r[field]))
                .collect()
        };
        let (product_ids, combination_ids) = (rows_of("product_id"), rows_of("product_attribute_id"));
        let products = self.by_id(c, "products", product_ids.into_iter(), "[id,reference]", &mut calls).await?;
        let combinations = self.by_id(c, "combinations", combination_ids.into_iter(), "full", &mut calls).await?;
        let value_ids: Vec<u64> = combinations
            .values()
            .flat_map(|c| c["associations"]["product_option_values"].as_array().map(Vec::as_slice).unwrap_or_default())
            .map(|v| num(&v["id"]))
            .collect();
        let values = self
            .by_id(c, "product_option_values", value_ids.into_iter(), "[id,id_attribute_group,name]", &mut calls)
            .await?;
        let group_ids: Vec<u64> = values.values().map(|v| num(&v["id_attribute_group"])).collect();
        let groups = self.by_id(c, "product_options", group_ids.into_iter(), "[id,name]", &mut calls).await?;
        let related = Related { customers, addresses, countries, currencies, products, combinations, values, groups };
        let mut items = Vec::with_capacity(found.len());
        for o in &found {
            let id = num(&o["id"]);
            let Some(date_upd) = date(o, "date_upd") else {
                tracing::warn!(store = %store, order = id, "orders: unreadable date_upd; order skipped");
                continue;
            };
            items.push(ListedOrder { id, valid: int(&o["valid"]) == 1, date_upd, order: order_data(o, &related) });
        }
        Ok(CatalogPage { items, next, calls })
    }

    async fn order_statuses(
        &self,
        store: &StoreCode,
        ids: &[u64],
    ) -> Result<(Vec<OrderStatusData>, u32), GatewayError> {
        let c = self.gateway.client(store)?;
        let mut calls = 0;
        let rows = self
            .by_id(
                c,
                "orders",
                ids.iter().copied(),
                "[id,id_cart,id_carrier,reference,current_state,shipping_number]",
                &mut calls,
            )
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for o in rows.values() {
            let state = field(o, "current_state");
            match OrderStatusData::new(
                num(&o["id"]),
                field(o, "reference"),
                Some(num(&o["id_cart"])),
                state,
                None,
                Some(field(o, "shipping_number")),
                Some(num(&o["id_carrier"])),
                None,
            ) {
                Ok(s) => out.push(s),
                Err(e) => {
                    tracing::warn!(store = %store, order = num(&o["id"]), error = %e, "reconcile: unreadable order status")
                }
            }
        }
        Ok((out, calls))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn related() -> Related {
        Related {
            customers: HashMap::from([(
                3,
                json!({"id":3,"email":"ana@example.com","firstname":"Ana","lastname":"Garcia"}),
            )]),
            addresses: HashMap::from([(
                7,
                json!({"id":7,"id_country":"6","company":"","lastname":"Garcia","firstname":"Ana",
                       "address1":"Calle Mayor 1","address2":"","postcode":"28013","city":"Madrid",
                       "phone":"","phone_mobile":"+34600000000"}),
            )]),
            countries: HashMap::from([(6, json!({"id":6,"iso_code":"ES"}))]),
            currencies: HashMap::from([(1, json!({"id":1,"iso_code":"EUR"}))]),
            // As a real 8.2.1 demo shop lists them (combination 1 of demo_1 carries its parent's reference).
            products: HashMap::from([
                (1, json!({"id":1,"reference":"demo_1"})),
                (6, json!({"id":6,"reference":"demo_11"})),
            ]),
            combinations: HashMap::from([(
                1,
                json!({"id":1,"id_product":"1","ean13":"","reference":"demo_1",
                       "associations":{"product_option_values":[{"id":"1"},{"id":"8"}]}}),
            )]),
            values: HashMap::from([
                (1, json!({"id":1,"id_attribute_group":"1","name":[{"id":"1","value":"S"},{"id":"2","value":"S"}]})),
                (
                    8,
                    json!({"id":8,"id_attribute_group":"2","name":[{"id":"1","value":"White"},{"id":"2","value":"Blanc"}]}),
                ),
            ]),
            groups: HashMap::from([
                (1, json!({"id":1,"name":[{"id":"1","value":"Size"},{"id":"2","value":"Taille"}]})),
                (2, json!({"id":2,"name":[{"id":"1","value":"Color"},{"id":"2","value":"Couleur"}]})),
            ]),
        }
    }

    /// `GET /api/orders/7` of the captured 8.2.1 shop (get_order_7_json), as a `display=full` list row.
    fn captured_order() -> Value {
        json!({"id":7,"id_address_delivery":"7","id_cart":"7","id_currency":"1","id_customer":"3","id_carrier":"1",
            "current_state":"11","module":"ps_wirepayment","valid":"1","date_add":"2026-11-28 00:18:02",
            "date_upd":"2026-11-28 00:18:03","total_paid_tax_incl":"54.140000","reference":"DHQLLXIEC",
            "associations":{"order_rows":[
                {"id":"10","product_id":"1","product_attribute_id":"1","product_quantity":"1",
                 "product_reference":"demo_1","unit_price_tax_incl":"22.944000"},
                {"id":"11","product_id":"6","product_attribute_id":"0","product_quantity":"2",
                 "product_reference":"demo_11","unit_price_tax_incl":"15.600000"}]}})
    }

    #[test]
    fn a_captured_order_becomes_the_order_a_webhook_would_carry() {
        let o = order_data(&captured_order(), &related()).unwrap();
        assert_eq!((o.client_order_id, o.reference.as_str(), o.currency.as_str()), (7, "DHQLLXIEC", "EUR"));
        assert_eq!(o.customer.email, "ana@example.com");
        assert_eq!((o.delivery_address.country.as_str(), o.delivery_address.phone.as_str()), ("ES", "+34600000000"));
        let lines: Vec<(String, u32, String)> = o
            .lines
            .iter()
            .map(|l| (l.reference.as_str().to_owned(), l.quantity, l.unit_price_tax_incl.to_string()))
            .collect();
        assert_eq!(lines, vec![("demo_1".into(), 1, "22.944".into()), ("demo_11".into(), 2, "15.60".into())]);
        assert_eq!(o.total_paid_tax_incl, Money::parse("54.14").unwrap());
        assert_eq!((o.valid, o.state.as_deref()), (Some(true), Some("11")));
        assert_eq!(o.placed_at, Utc.with_ymd_and_hms(2026, 11, 28, 0, 18, 2).unwrap());
        assert_eq!(o.carrier_id, Some(1));
    }

    #[test]
    fn a_combination_line_carries_its_combination_as_the_connector_would_send_it() {
        let o = order_data(&captured_order(), &related()).unwrap();
        let c = o.lines[0].combination.as_ref().expect("line 1 is combination 1");
        assert_eq!(o.lines[0].product_reference.as_ref().map(Sku::as_str), Some("demo_1"));
        assert_eq!((c.id, c.reference.as_ref().map(Sku::as_str), c.ean13.as_deref()), (1, Some("demo_1"), None));
        let attributes: Vec<(&str, &str)> = c.attributes.iter().map(|(g, v)| (g.as_str(), v.as_str())).collect();
        assert_eq!(attributes, vec![("Color", "White"), ("Size", "S")]);
        assert_eq!((o.lines[1].combination.as_ref(), o.lines[1].product_reference.as_ref()), (None, None));
    }

    #[test]
    fn a_line_without_a_reference_makes_the_order_unbuildable_with_the_reason() {
        let mut o = captured_order();
        o["associations"]["order_rows"][1]["product_reference"] = json!("");
        let why = order_data(&o, &related()).unwrap_err();
        assert!(why.starts_with("line 2: reference"), "{why}");
    }
}
