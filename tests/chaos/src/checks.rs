//! The checks run once the hub has settled, all from outside and against what the senders were told:
//! the accepted events against the inbox, the client products against their rule applied to the newest
//! accepted source state, the source's orders, carts, addresses and stock against the accepted retailer
//! orders, and `failed_jobs`.
//!
//! The expected client products are computed from what the senders had accepted, never read from the
//! hub: for every SKU the newest accepted source state (by `updated_at`, then `occurred_at`) with the
//! client's rule applied — the price times (1 + markup) rounded half away from zero to the cent, as
//! `Money::with_markup_percent` does, and the stock less the client's buffer, never below zero. For a
//! wrong product, [`explain`] adds what the hub's own tables say about it.

use std::{
    collections::{BTreeMap, BTreeSet},
    fmt,
};

use anyhow::Result;
use prestashop_sim::Simulator;
use serde_json::Value;

use crate::{
    instances::Sql,
    load::{OrderEvent, Plan, ProductEvent, micros_text},
    sender::Answer,
};

/// A client store's rule.
#[derive(Debug, Clone, Copy)]
pub struct ClientRule {
    /// Its code.
    pub code: &'static str,
    /// Markup in percent.
    pub markup_percent: i64,
    /// Units held back.
    pub stock_buffer: i64,
}

impl ClientRule {
    /// The client price, in millionths, of a source price in millionths: × (100 + markup) / 100,
    /// rounded half away from zero to the cent (prices are never negative).
    pub fn price_micros(&self, source_micros: i64) -> i64 {
        let scaled = i128::from(source_micros) * i128::from(100 + self.markup_percent);
        let cents = (scaled + 500_000) / 1_000_000;
        i64::try_from(cents * 10_000).unwrap_or(i64::MAX)
    }

    /// The client stock of a source stock.
    pub fn stock(&self, source: i64) -> i64 {
        (source - self.stock_buffer.max(0)).max(0)
    }
}

/// A simulated client shop with its product ids by SKU.
pub struct ClientShop<'a> {
    /// Its rule.
    pub rule: ClientRule,
    /// The shop.
    pub shop: &'a Simulator,
    /// SKU → product id there.
    pub ids: &'a BTreeMap<String, u64>,
}

/// The inbox row of an event.
#[derive(Debug, Clone)]
pub struct InboxRow {
    /// `received`, `queued`, `processed` or `failed`.
    pub status: String,
    /// The last error, if any.
    pub last_error: Option<String>,
}

/// Reads the inbox: `event_id` → row.
///
/// # Errors
/// When MariaDB does not answer.
pub async fn inbox_rows(sql: &Sql) -> Result<BTreeMap<String, InboxRow>> {
    let rows = sql.rows("SELECT event_id, status, last_error FROM inbox_events").await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let mut r = r.into_iter();
            let (id, status, error) = (r.next()?, r.next()?, r.next());
            Some((id, InboxRow { status, last_error: error.filter(|e| e != "NULL") }))
        })
        .collect())
}

/// A job kept in `failed_jobs`.
#[derive(Debug, Clone)]
pub struct FailedJob {
    /// Row id.
    pub id: String,
    /// Job type.
    pub job: String,
    /// Event id, or `store/sku`.
    pub subject: String,
    /// Attempts made.
    pub attempts: String,
    /// `failed`, `retried`, `discarded`…
    pub status: String,
    /// The last error.
    pub error: String,
}

/// Reads `failed_jobs`.
///
/// # Errors
/// When MariaDB does not answer.
pub async fn failed_jobs(sql: &Sql) -> Result<Vec<FailedJob>> {
    let rows = sql.rows("SELECT id, job, subject, attempts, status, error FROM failed_jobs ORDER BY id").await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let mut r = r.into_iter();
            Some(FailedJob {
                id: r.next()?,
                job: r.next()?,
                subject: r.next()?,
                attempts: r.next()?,
                status: r.next()?,
                error: r.next()?,
            })
        })
        .collect())
}

/// What became of the accepted events.
#[derive(Debug, Clone, Default)]
pub struct EventCheck {
    /// Distinct events answered 202 at least once.
    pub accepted: usize,
    /// Events never answered 202 but stored by the hub anyway (they count as accepted below).
    pub stored_without_202: usize,
    /// Of those, processed.
    pub processed: usize,
    /// Failed for good: `(event_id, last error)`.
    pub failed: Vec<(String, String)>,
    /// Still `received` or `queued`: `(event_id, status)`.
    pub pending: Vec<(String, String)>,
    /// Answered 202 but not in the inbox.
    pub missing: Vec<String>,
    /// Answered 202 `queued` more than once: taken for new twice (the inbox lost it in between, or told
    /// two copies apart wrongly).
    pub queued_twice: Vec<String>,
    /// Deliveries refused with a 4xx: `(event_id, answer)`.
    pub refused: Vec<(String, String)>,
    /// Deliveries the sender gave up on.
    pub gave_up: Vec<String>,
}

impl EventCheck {
    /// Compares the answers with the inbox.
    pub fn new(answers: &[(String, Answer)], inbox: &BTreeMap<String, InboxRow>) -> Self {
        let mut by_id: BTreeMap<&str, Vec<&Answer>> = BTreeMap::new();
        for (id, answer) in answers {
            by_id.entry(id).or_default().push(answer);
        }
        let mut check = Self::default();
        for (id, answers) in &by_id {
            let accepted = answers.iter().any(|a| a.accepted());
            for a in answers {
                match a {
                    Answer::Refused(status, body) => check.refused.push(((*id).to_owned(), format!("{status} {body}"))),
                    Answer::GaveUp => check.gave_up.push((*id).to_owned()),
                    _ => {}
                }
            }
            if answers.iter().filter(|a| matches!(a, Answer::Queued)).count() > 1 {
                check.queued_twice.push((*id).to_owned());
            }
            let row = inbox.get(*id);
            if accepted {
                check.accepted += 1;
            } else if row.is_some() {
                check.stored_without_202 += 1;
            } else {
                continue;
            }
            match row {
                None => check.missing.push((*id).to_owned()),
                Some(r) if r.status == "processed" => check.processed += 1,
                Some(r) if r.status == "failed" => {
                    check.failed.push(((*id).to_owned(), r.last_error.clone().unwrap_or_default()));
                }
                Some(r) => check.pending.push(((*id).to_owned(), r.status.clone())),
            }
        }
        check
    }

    /// Accepted events not processed.
    pub fn lost(&self) -> usize {
        self.failed.len() + self.pending.len() + self.missing.len()
    }
}

/// A client product that does not show what it must.
#[derive(Debug, Clone)]
pub struct WrongProduct {
    /// The client store.
    pub client: &'static str,
    /// The SKU.
    pub sku: String,
    /// What the shop shows: `price active stock`.
    pub shows: String,
    /// What it must show.
    pub wants: String,
    /// The accepted event whose state it must show (none for the ordered SKUs: the source's stock).
    pub event: Option<String>,
    /// What the hub's tables say about the pair, filled by [`explain`].
    pub hub: Option<String>,
}

impl fmt::Display for WrongProduct {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: shows {}, wants {}", self.client, self.sku, self.shows, self.wants)?;
        if let Some(event) = &self.event {
            write!(f, " (newest accepted event {event})")?;
        }
        if let Some(hub) = &self.hub {
            write!(f, "; hub: {hub}")?;
        }
        Ok(())
    }
}

/// Client products compared with what they must show.
#[derive(Debug, Clone, Default)]
pub struct ProductCheck {
    /// (client, SKU) pairs checked.
    pub checked: usize,
    /// The wrong ones.
    pub wrong: Vec<WrongProduct>,
}

fn micros_of(price: &str) -> Option<i64> {
    let (int, frac) = price.split_once('.').unwrap_or((price, ""));
    if frac.len() > 6 {
        return None;
    }
    let frac = format!("{frac:0<6}");
    Some(int.parse::<i64>().ok()? * 1_000_000 + frac.parse::<i64>().ok()?)
}

fn compare(client: &ClientShop<'_>, sku: &str, want: (i64, bool, i64), event: Option<&str>, check: &mut ProductCheck) {
    check.checked += 1;
    let wants = format!("{} {} {}", micros_text(want.0), want.1, want.2);
    let wrong = |shows: String| WrongProduct {
        client: client.rule.code,
        sku: sku.to_owned(),
        shows,
        wants: wants.clone(),
        event: event.map(str::to_owned),
        hub: None,
    };
    let Some(id) = client.ids.get(sku) else {
        check.wrong.push(wrong("nothing (not seeded)".into()));
        return;
    };
    let has = client.shop.product_state(*id);
    let got = has.as_ref().and_then(|(price, active, quantity)| Some((micros_of(price)?, *active, *quantity)));
    if got != Some(want) {
        let shows = got.map_or_else(|| format!("{has:?}"), |(p, a, q)| format!("{} {a} {q}", micros_text(p)));
        check.wrong.push(wrong(shows));
    }
}

/// The products no order buys: each client must show its rule applied to the newest event counted in.
pub fn check_products(plan: &Plan, counted: &dyn Fn(&str) -> bool, clients: &[ClientShop<'_>]) -> ProductCheck {
    let mut newest: BTreeMap<&str, &ProductEvent> = BTreeMap::new();
    for p in plan.products.iter().filter(|p| counted(&p.event_id)) {
        let slot = newest.entry(&p.sku).or_insert(p);
        if p.recency() > slot.recency() {
            *slot = p;
        }
    }
    let mut check = ProductCheck::default();
    for (sku, p) in &newest {
        for c in clients {
            let want = (c.rule.price_micros(p.price_micros), p.active, c.rule.stock(p.quantity));
            compare(c, sku, want, Some(&p.event_id), &mut check);
        }
    }
    check
}

/// The ordered products: each client must show its rule applied to the first state's price and to the
/// source's stock now (the stock read back after the last order).
pub fn check_ordered_products(
    plan: &Plan,
    source: &Simulator,
    source_ids: &BTreeMap<String, u64>,
    clients: &[ClientShop<'_>],
) -> ProductCheck {
    let mut check = ProductCheck::default();
    for p in &plan.prime {
        let stock = source_ids.get(&p.sku).and_then(|id| source.product_state(*id)).map_or(-1, |s| s.2);
        for c in clients {
            let want = (c.rule.price_micros(p.price_micros), true, c.rule.stock(stock));
            compare(c, &p.sku, want, None, &mut check);
        }
    }
    check
}

/// Says, for each wrong product, what the hub's tables hold for the pair: its latest known state of the
/// SKU, what the client's link last dealt with, and the owed-sync sweep's one re-queue for that state.
/// `at` turns the tables' Unix microseconds into timeline seconds.
///
/// # Errors
/// When MariaDB does not answer.
pub async fn explain(
    sql: &Sql,
    check: &mut ProductCheck,
    inbox: &BTreeMap<String, InboxRow>,
    at: &dyn Fn(i64) -> f64,
) -> Result<()> {
    if check.wrong.is_empty() {
        return Ok(());
    }
    let skus: BTreeSet<&str> = check.wrong.iter().map(|w| w.sku.as_str()).collect();
    let list = skus.iter().map(|s| format!("'{s}'")).collect::<Vec<_>>().join(",");
    let rows = sql
        .rows(&format!(
            "SELECT c.store, s.sku, s.event_id, s.recorded_at_us, s.data, l.applied_event_id, r.event_id, \
             r.requeued_at_us, r.attempts \
             FROM product_states s CROSS JOIN (SELECT 'retail-1' AS store UNION ALL SELECT 'retail-2') c \
             LEFT JOIN product_links l ON l.store = c.store AND l.sku = s.sku \
             LEFT JOIN sync_requeues r ON r.store = c.store AND r.sku = s.sku WHERE s.sku IN ({list})"
        ))
        .await?;
    let by_pair: BTreeMap<(String, String), Vec<String>> =
        rows.into_iter().filter(|r| r.len() == 9).map(|r| ((r[0].clone(), r[1].clone()), r)).collect();
    let secs = |us: &str| us.parse::<i64>().map_or_else(|_| "?".to_owned(), |us| format!("t={:.1} s", at(us)));
    for w in &mut check.wrong {
        let Some(r) = by_pair.get(&(w.client.to_owned(), w.sku.clone())) else {
            w.hub = Some("no state of the SKU at all".into());
            continue;
        };
        let (state, recorded, data, applied, requeued, requeued_at, times) =
            (&r[2], &r[3], &r[4], &r[5], &r[6], &r[7], &r[8]);
        let values = serde_json::from_str::<Value>(data).map_or_else(
            |_| "unreadable".to_owned(),
            |d| format!("source price {} {} {}", text(&d["price"]), d["active"], d["quantity"]),
        );
        let mut said = format!("latest state {state} ({values}) recorded at {}", secs(recorded));
        if let Some(event) = w.event.as_ref().filter(|e| *e != state) {
            let fate = inbox.get(event).map_or_else(
                || "not in the inbox".to_owned(),
                |row| {
                    format!(
                        "{} in the inbox{}",
                        row.status,
                        row.last_error.as_ref().map(|e| format!(": {e}")).unwrap_or_default()
                    )
                },
            );
            said.push_str(&format!(", not the newest accepted event's ({fate})"));
        }
        if applied == state {
            said.push_str("; the link says this state was applied");
        } else {
            said.push_str(&format!("; the link last dealt with {applied}; "));
            if requeued == state {
                said.push_str(&format!(
                    "the owed-sync sweep re-queued it {times} time(s) for this state, last at {}",
                    secs(requeued_at)
                ));
            } else {
                said.push_str("never re-queued for this state");
            }
        }
        w.hub = Some(said);
    }
    Ok(())
}

/// Orders on the source compared with the retailer orders accepted.
#[derive(Debug, Clone, Default)]
pub struct OrderCheck {
    /// Distinct retailer orders counted in (accepted, or stored without a 202).
    pub expected: usize,
    /// Orders the run's retailers have on the source.
    pub source_orders: usize,
    /// Expected orders absent from the source: `retailer alias`.
    pub missing: Vec<String>,
    /// Expected orders present more than once: `(retailer alias, count)`.
    pub duplicated: Vec<(String, usize)>,
    /// Source orders matching no expected order.
    pub unexpected: Vec<String>,
    /// Carts created during the run that no order uses.
    pub orphan_carts: Vec<String>,
    /// Addresses created during the run that no cart uses.
    pub orphan_addresses: Vec<String>,
    /// Ordered SKUs whose source stock is not the first stock less what was ordered.
    pub stock_wrong: Vec<String>,
}

/// Ids of every row of `resource` on `shop`.
pub fn ids_of(shop: &Simulator, resource: &str) -> BTreeSet<String> {
    list(shop, resource, "id").iter().map(|r| text(&r["id"])).collect()
}

fn list(shop: &Simulator, resource: &str, fields: &str) -> Vec<Value> {
    let (_, body) =
        shop.admin_call("GET", &format!("{resource}?display=[{fields}]&limit=0,1000000&output_format=JSON"), None);
    serde_json::from_str::<Value>(&body).ok().and_then(|v| v[resource].as_array().cloned()).unwrap_or_default()
}

fn text(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_owned)
}

/// Checks the source's orders, carts and addresses; `baseline` holds the cart and address ids that
/// existed before the run.
pub fn check_orders(
    plan: &Plan,
    counted: &dyn Fn(&str) -> bool,
    source: &Simulator,
    source_ids: &BTreeMap<String, u64>,
    order_stock: i64,
    baseline: &(BTreeSet<String>, BTreeSet<String>),
) -> OrderCheck {
    let expected: BTreeMap<(String, String), &OrderEvent> = plan
        .orders
        .iter()
        .filter(|o| counted(&o.event_id))
        .map(|o| ((o.retailer.code().to_owned(), o.address_alias()), o))
        .collect();
    let retailer_of: BTreeMap<String, String> = list(source, "customers", "id,email")
        .iter()
        .filter_map(|c| {
            let email = text(&c["email"]);
            let code = email.strip_suffix("@retailers.fulfillment-hub.example")?;
            Some((text(&c["id"]), code.to_owned()))
        })
        .collect();
    let alias_of: BTreeMap<String, String> =
        list(source, "addresses", "id,alias").iter().map(|a| (text(&a["id"]), text(&a["alias"]))).collect();
    let orders = list(source, "orders", "id,id_cart,id_customer,id_address_delivery");
    let carts = list(source, "carts", "id,id_address_delivery");
    let mut check = OrderCheck { expected: expected.len(), ..OrderCheck::default() };

    let mut found: BTreeMap<(String, String), usize> = BTreeMap::new();
    for o in &orders {
        let Some(retailer) = retailer_of.get(&text(&o["id_customer"])) else { continue };
        let alias = alias_of.get(&text(&o["id_address_delivery"])).cloned().unwrap_or_default();
        check.source_orders += 1;
        *found.entry((retailer.clone(), alias)).or_insert(0) += 1;
    }
    for key in expected.keys() {
        match found.get(key) {
            None => check.missing.push(format!("{} {}", key.0, key.1)),
            Some(n) if *n > 1 => check.duplicated.push((format!("{} {}", key.0, key.1), *n)),
            Some(_) => {}
        }
    }
    check.unexpected = found.keys().filter(|k| !expected.contains_key(*k)).map(|(r, a)| format!("{r} {a}")).collect();

    let carts_ordered: BTreeSet<String> = orders.iter().map(|o| text(&o["id_cart"])).collect();
    let addresses_used: BTreeSet<String> = carts.iter().map(|c| text(&c["id_address_delivery"])).collect();
    let (old_carts, old_addresses) = baseline;
    check.orphan_carts = carts
        .iter()
        .map(|c| text(&c["id"]))
        .filter(|id| !old_carts.contains(id) && !carts_ordered.contains(id))
        .collect();
    check.orphan_addresses =
        alias_of.keys().filter(|id| !old_addresses.contains(*id) && !addresses_used.contains(*id)).cloned().collect();

    let mut ordered: BTreeMap<&str, i64> = BTreeMap::new();
    for o in expected.values() {
        for (sku, q) in &o.lines {
            *ordered.entry(sku).or_insert(0) += q;
        }
    }
    for p in &plan.prime {
        let want = order_stock - ordered.get(p.sku.as_str()).copied().unwrap_or(0);
        let has = source_ids.get(&p.sku).and_then(|id| source.product_state(*id)).map(|s| s.2);
        if has != Some(want) {
            check.stock_wrong.push(format!("{}: {has:?}, wants {want}", p.sku));
        }
    }
    check
}

#[cfg(test)]
mod tests {
    use super::*;

    const R1: ClientRule = ClientRule { code: "retail-1", markup_percent: 30, stock_buffer: 0 };
    const R2: ClientRule = ClientRule { code: "retail-2", markup_percent: 0, stock_buffer: 2 };

    #[test]
    fn prices_follow_money_with_markup_percent() {
        // 10.00 × 1.30 = 13.00; 0.05 × 1.30 = 0.065 → 0.07 (half away from zero).
        assert_eq!(R1.price_micros(10_000_000), 13_000_000);
        assert_eq!(R1.price_micros(50_000), 70_000);
        // 12.345678 × 1.30 = 16.0493814 → 16.05; without markup, 12.345678 → 12.35.
        assert_eq!(R1.price_micros(12_345_678), 16_050_000);
        assert_eq!(R2.price_micros(12_345_678), 12_350_000);
        assert_eq!(R2.price_micros(12_344_999), 12_340_000);
        assert_eq!(R2.price_micros(12_345_000), 12_350_000);
    }

    #[test]
    fn stock_keeps_the_buffer_back_and_never_goes_negative() {
        assert_eq!(R2.stock(10), 8);
        assert_eq!(R2.stock(1), 0);
        assert_eq!(R1.stock(0), 0);
    }

    #[test]
    fn shop_prices_read_as_millionths() {
        assert_eq!(micros_of("13.000000"), Some(13_000_000));
        assert_eq!(micros_of("0.07"), Some(70_000));
        assert_eq!(micros_of("5"), Some(5_000_000));
    }

    #[test]
    fn an_event_stored_but_never_processed_is_lost() {
        let answers = vec![
            ("a".to_owned(), Answer::Queued),
            ("a".to_owned(), Answer::Duplicate),
            ("b".to_owned(), Answer::Queued),
            ("c".to_owned(), Answer::GaveUp),
            ("d".to_owned(), Answer::Queued),
            ("d".to_owned(), Answer::Queued),
        ];
        let row = |s: &str| InboxRow { status: s.into(), last_error: None };
        let inbox: BTreeMap<String, InboxRow> =
            [("a", "processed"), ("b", "queued"), ("c", "processed"), ("d", "processed")]
                .into_iter()
                .map(|(id, s)| (id.to_owned(), row(s)))
                .collect();
        let check = EventCheck::new(&answers, &inbox);
        assert_eq!(check.accepted, 3);
        assert_eq!(check.stored_without_202, 1);
        assert_eq!(check.processed, 3);
        assert_eq!(check.pending, vec![("b".to_owned(), "queued".to_owned())]);
        assert_eq!(check.queued_twice, vec!["d".to_owned()]);
        assert_eq!(check.gave_up, vec!["c".to_owned()]);
        assert_eq!(check.lost(), 1);
    }
}
