//! Reading whole catalogs for reconciliation: [`WebserviceCatalog`] implements the domain's
//! [`StoreCatalog`] over the same per-store [`WebserviceClient`]s as the sync (so the same concurrency cap,
//! rate cap and circuit breaker apply).
//!
//! One page is `GET /api/products?display=[…]&sort=[id_ASC]&limit=offset,n` (without `sort` the order is
//! whatever the database returns, FACTS.md §2.1), then the page's stock rows in one
//! `stock_availables?filter[id_product]=[a|b|…]` list, and the combinations of those products that have
//! some in one `combinations?filter[id_product]=[…]` list. Incremental reads add
//! `date=1&filter[date_upd]=[since,9999-12-31 23:59:59]` (date fields filter only with `date=1`, §2.3).
//! Reads are JSON list answers with `display=[…]`, which keep falsy fields (§2.2).

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::NaiveDateTime;
use hub_domain::{
    CombinationData, GatewayError, Money, Sku, StoreCode,
    catalog::RemoteStockRow,
    reconcile::{CatalogPage, ClientListing, SourceListing, SourceStockRow, StoreCatalog},
};

use crate::{WebserviceClient, WebserviceGateway, attributes::value_ids, int, num, text};

/// Ids per `filter[id_product]=[a|b|…]`: keeps the request line far below the 8 KiB web servers accept.
const IDS_PER_FILTER: usize = 200;

/// [`StoreCatalog`] over the stores' Webservices.
#[derive(Debug, Clone)]
pub struct WebserviceCatalog {
    gateway: WebserviceGateway,
}

/// A product row of a list page.
struct ProductRow {
    id: u64,
    reference: Option<String>,
    price: Money,
    active: bool,
    date_upd: Option<NaiveDateTime>,
    /// `id_category_default`, when listed.
    category: u64,
}

impl WebserviceCatalog {
    /// Reads through `gateway`'s clients.
    pub fn new(gateway: WebserviceGateway) -> Self {
        Self { gateway }
    }

    /// One page of products, in id order, and the offset of the next page.
    async fn products(
        &self,
        store: &StoreCode,
        c: &WebserviceClient,
        display: &str,
        select: Select<'_>,
        offset: u64,
        limit: u32,
    ) -> Result<(Vec<ProductRow>, Option<u64>), GatewayError> {
        let mut q = vec![
            ("display", display.to_owned()),
            ("sort", "[id_ASC]".to_owned()),
            ("limit", format!("{offset},{limit}")),
        ];
        match select {
            Select::All => {}
            Select::Since(since) => {
                q.push(("date", "1".into()));
                q.push(("filter[date_upd]", format!("[{},9999-12-31 23:59:59]", since.format("%Y-%m-%d %H:%M:%S"))));
            }
            Select::Ids(ids) => q.push(("filter[id]", any_of(ids))),
        }
        let found = c.list_rows("products", q).await?;
        let next = (found.len() as u64 >= u64::from(limit)).then(|| offset + found.len() as u64);
        let mut out = Vec::with_capacity(found.len());
        for p in &found {
            let id = num(&p["id"]);
            let Ok(price) = Money::parse(p["price"].as_str().unwrap_or("0")) else {
                tracing::warn!(store = %store, product = id, "catalog: unreadable price; product skipped");
                continue;
            };
            out.push(ProductRow {
                id,
                reference: text(&p["reference"]),
                price,
                active: int(&p["active"]) == 1,
                category: num(&p["id_category_default"]),
                date_upd: p["date_upd"]
                    .as_str()
                    .and_then(|d| NaiveDateTime::parse_from_str(d.trim(), "%Y-%m-%d %H:%M:%S").ok()),
            });
        }
        Ok((out, next))
    }

    /// A page of source products from `offset` in id order, of those `select` picks, with their stock and
    /// combinations.
    async fn source_listings(
        &self,
        store: &StoreCode,
        select: Select<'_>,
        offset: u64,
        limit: u32,
    ) -> Result<CatalogPage<SourceListing>, GatewayError> {
        let c = self.gateway.client(store)?;
        let mut calls = 1;
        let (products, next) = self
            .products(store, c, "[id,reference,price,active,date_upd,id_category_default]", select, offset, limit)
            .await?;
        let ids: Vec<u64> = products.iter().map(|p| p.id).collect();
        let mut stock = if ids.is_empty() { HashMap::new() } else { self.stock(c, &ids, &mut calls).await? };
        let with_combinations: Vec<u64> = ids
            .iter()
            .copied()
            .filter(|id| stock.get(id).is_some_and(|rows| rows.iter().any(|r| r.combination_id != 0)))
            .collect();
        let mut combinations: HashMap<u64, Vec<CombinationData>> = HashMap::new();
        if !with_combinations.is_empty() {
            let found = self.combinations(c, &with_combinations, &mut calls).await?;
            // The attribute names, as the connector's product event carries them: the third matching rule
            // (product reference + attribute set) needs them in the state a reconciliation records too.
            let all: Vec<u64> = found.iter().flat_map(|f| f.4.iter().copied()).collect();
            let names =
                if all.is_empty() { Default::default() } else { self.gateway.attribute_names(store, c, &all).await? };
            for (id, product, reference, ean13, values) in found {
                let quantity = stock
                    .get(&product)
                    .and_then(|rows| rows.iter().find(|r| r.combination_id == id))
                    .map_or(0, |r| r.quantity);
                let reference = reference.and_then(|r| Sku::parse(&r).ok());
                combinations.entry(product).or_default().push(CombinationData::new(
                    id,
                    reference,
                    ean13,
                    names.of(&values),
                    quantity,
                ));
            }
        }
        let items = products
            .into_iter()
            .map(|p| {
                let rows = stock.remove(&p.id).unwrap_or_default();
                SourceListing {
                    id: p.id,
                    reference: p.reference.and_then(|r| Sku::parse(&r).ok()),
                    price: p.price,
                    active: p.active,
                    date_upd: p.date_upd,
                    quantity: rows.iter().find(|r| r.combination_id == 0).map_or(0, |r| r.quantity),
                    combinations: combinations.remove(&p.id).unwrap_or_default(),
                    categories: Some(p.category).filter(|c| *c > 0).into_iter().collect(),
                }
            })
            .collect();
        Ok(CatalogPage { items, next, calls })
    }

    /// The stock rows of `ids`, by product id.
    async fn stock(
        &self,
        c: &WebserviceClient,
        ids: &[u64],
        calls: &mut u32,
    ) -> Result<HashMap<u64, Vec<RemoteStockRow>>, GatewayError> {
        let mut by_product: HashMap<u64, Vec<RemoteStockRow>> = HashMap::new();
        for chunk in ids.chunks(IDS_PER_FILTER) {
            *calls += 1;
            let found = c
                .list_rows(
                    "stock_availables",
                    vec![
                        ("filter[id_product]", any_of(chunk)),
                        ("display", "[id,id_product,id_product_attribute,quantity]".into()),
                        ("sort", "[id_ASC]".into()),
                    ],
                )
                .await?;
            for r in &found {
                by_product.entry(num(&r["id_product"])).or_default().push(RemoteStockRow {
                    id: num(&r["id"]),
                    combination_id: num(&r["id_product_attribute"]),
                    quantity: int(&r["quantity"]),
                });
            }
        }
        Ok(by_product)
    }

    /// The combinations of `ids` as `(id, product id, reference, ean13, attribute value ids)`.
    async fn combinations(
        &self,
        c: &WebserviceClient,
        ids: &[u64],
        calls: &mut u32,
    ) -> Result<Vec<Combination>, GatewayError> {
        let mut out = Vec::new();
        for chunk in ids.chunks(IDS_PER_FILTER) {
            *calls += 1;
            let found = c
                .list_rows(
                    "combinations",
                    vec![
                        ("filter[id_product]", any_of(chunk)),
                        // `full`: the attribute values are associations, only output in full (FACTS.md §2.2).
                        ("display", "full".into()),
                        ("sort", "[id_ASC]".into()),
                    ],
                )
                .await?;
            out.extend(found.iter().map(|r| {
                (num(&r["id"]), num(&r["id_product"]), text(&r["reference"]), text(&r["ean13"]), value_ids(r))
            }));
        }
        Ok(out)
    }
}

/// A combination row: id, product id, reference, EAN13, attribute value ids.
type Combination = (u64, u64, Option<String>, Option<String>, Vec<u64>);

/// Which products a list picks.
#[derive(Debug, Clone, Copy)]
enum Select<'a> {
    /// All of them.
    All,
    /// Those whose `date_upd` is at or after this.
    Since(NaiveDateTime),
    /// Those with these ids.
    Ids(&'a [u64]),
}

/// `[a|b|c]`: any of the ids (FACTS.md §2.3).
fn any_of(ids: &[u64]) -> String {
    let ids: Vec<String> = ids.iter().map(u64::to_string).collect();
    format!("[{}]", ids.join("|"))
}

#[async_trait]
impl StoreCatalog for WebserviceCatalog {
    async fn source_page(
        &self,
        store: &StoreCode,
        since: Option<NaiveDateTime>,
        offset: u64,
        limit: u32,
    ) -> Result<CatalogPage<SourceListing>, GatewayError> {
        let select = since.map_or(Select::All, Select::Since);
        self.source_listings(store, select, offset, limit).await
    }

    async fn source_products(
        &self,
        store: &StoreCode,
        ids: &[u64],
    ) -> Result<CatalogPage<SourceListing>, GatewayError> {
        let mut page = CatalogPage { items: Vec::new(), next: None, calls: 0 };
        for chunk in ids.chunks(IDS_PER_FILTER) {
            let found = self.source_listings(store, Select::Ids(chunk), 0, IDS_PER_FILTER as u32).await?;
            page.items.extend(found.items);
            page.calls += found.calls;
        }
        Ok(page)
    }

    async fn source_stock_page(
        &self,
        store: &StoreCode,
        offset: u64,
        limit: u32,
    ) -> Result<CatalogPage<SourceStockRow>, GatewayError> {
        let c = self.gateway.client(store)?;
        let found = c
            .list_rows(
                "stock_availables",
                vec![
                    ("display", "[id,id_product,id_product_attribute,quantity]".into()),
                    ("sort", "[id_ASC]".into()),
                    ("limit", format!("{offset},{limit}")),
                ],
            )
            .await?;
        let next = (found.len() as u64 >= u64::from(limit)).then(|| offset + found.len() as u64);
        let items = found
            .iter()
            .map(|r| SourceStockRow {
                product_id: num(&r["id_product"]),
                combination_id: num(&r["id_product_attribute"]),
                quantity: int(&r["quantity"]),
            })
            .collect();
        Ok(CatalogPage { items, next, calls: 1 })
    }

    async fn client_page(
        &self,
        store: &StoreCode,
        offset: u64,
        limit: u32,
    ) -> Result<CatalogPage<ClientListing>, GatewayError> {
        let c = self.gateway.client(store)?;
        let mut calls = 1;
        let (products, next) =
            self.products(store, c, "[id,reference,price,active]", Select::All, offset, limit).await?;
        let ids: Vec<u64> = products.iter().map(|p| p.id).collect();
        let mut stock = if ids.is_empty() { HashMap::new() } else { self.stock(c, &ids, &mut calls).await? };
        let items = products
            .into_iter()
            .map(|p| ClientListing {
                id: p.id,
                reference: p.reference,
                price: p.price,
                active: p.active,
                stock: stock.remove(&p.id).unwrap_or_default(),
            })
            .collect();
        Ok(CatalogPage { items, next, calls })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_joined_as_one_any_of_filter() {
        assert_eq!(any_of(&[3, 10, 7]), "[3|10|7]");
        assert_eq!(any_of(&[5]), "[5]");
    }
}
