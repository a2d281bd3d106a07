//! Orders as `Order::addWs` and `PaymentModule::validateOrder` make them: totals recomputed from the cart
//! (product prices, the sim's tax rules, the carrier chosen by `delivery_option`), state 11 when the posted
//! `total_paid` matches and state 8 "Payment error" when it does not, stock taken only in the first case,
//! one order per cart; and state changes as `OrderHistory::changeIdOrderState` applies them, restocking on
//! cancel.

use rust_decimal::Decimal;

use crate::{
    SentMail,
    error::WsError,
    schema,
    store::{
        self, ORDER_STATES, OrderState, Record, Row, STATE_CANCELED, STATE_ERROR, STATE_WS_PAYMENT, Store, row_get,
    },
    util::{self, fixed},
    validate,
};

/// One order line, priced.
#[derive(Debug, Clone)]
pub(crate) struct Line {
    pub id_product: i64,
    pub id_attr: i64,
    pub qty: i64,
    pub name: String,
    pub reference: String,
    pub ean13: String,
    pub isbn: String,
    pub upc: String,
    pub unit_excl: Decimal,
    pub unit_incl: Decimal,
    /// Unit weight: the product's plus the combination's impact (`order_detail.product_weight`).
    pub weight: Decimal,
}

/// A cart's totals as `Cart::getOrderTotal` computes them (ROUND_HALF_UP, rounded per line).
#[derive(Debug, Clone)]
pub(crate) struct Totals {
    pub lines: Vec<Line>,
    pub products_excl: Decimal,
    pub products_incl: Decimal,
    pub shipping_excl: Decimal,
    pub shipping_incl: Decimal,
    pub carrier: i64,
    pub carrier_tax_rate: Decimal,
}

impl Totals {
    pub(crate) fn total_incl(&self) -> Decimal {
        self.products_incl + self.shipping_incl
    }
    pub(crate) fn total_excl(&self) -> Decimal {
        self.products_excl + self.shipping_excl
    }
    /// `Cart::getOrderTotal(true, Cart::BOTH)` rounded to the currency's precision (2 decimals): the one
    /// value `validateOrder` compares the posted `total_paid` with (see [`paid_matches`]) and the one the
    /// connector's `carttotal` controller answers as `total_paid_tax_incl`.
    pub(crate) fn order_total(&self) -> Decimal {
        round2(self.total_incl())
    }
}

/// `validateOrder`'s check: the posted `total_paid`, rounded to the currency's precision, equals the cart's
/// [`Totals::order_total`].
pub(crate) fn paid_matches(paid: Decimal, totals: &Totals) -> bool {
    fixed(round2(paid), 2) == fixed(totals.order_total(), 2)
}

fn round2(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
}

fn round6(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(6, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
}

/// The carrier an order of `cart` gets: the one `delivery_option` names for the delivery address, else
/// PS_CARRIER_DEFAULT when it is active and serves the address's zone, else the first such carrier by
/// position (`Cart::getDeliveryOption`). A free carrier serves every zone here; a paying one the zones it
/// has `deliveries` rows for.
pub(crate) fn carrier_of(store: &Store, cart: &Record) -> i64 {
    let address = cart.get("id_address_delivery");
    let usable = |c: &Record| c.get("active") == "1" && c.get("deleted") == "0";
    let chosen = serde_json::from_str::<serde_json::Value>(cart.get("delivery_option")).ok().and_then(|v| {
        let obj = v.as_object()?.clone();
        let entry = obj.get(address).or_else(|| obj.values().next())?.as_str()?.to_owned();
        let id = util::php_int(entry.split(',').next().unwrap_or(""));
        store.get("carriers", id as u64).filter(|c| usable(c)).map(|_| id)
    });
    chosen.unwrap_or_else(|| {
        let zone = store
            .get("addresses", util::php_int(address).max(0) as u64)
            .and_then(|a| store.get("countries", a.int("id_country").max(0) as u64))
            .map_or(0, |c| c.int("id_zone"));
        let serves = |c: &Record| {
            c.get("is_free") == "1"
                || store
                    .rows_where("deliveries", |d| d.int("id_carrier") == c.int("id") && d.int("id_zone") == zone)
                    .next()
                    .is_some()
        };
        let default = store
            .rows_where("configurations", |c| c.get("name") == "PS_CARRIER_DEFAULT")
            .next()
            .map_or(0, |c| util::php_int(c.get("value")));
        if store.get("carriers", default.max(0) as u64).is_some_and(|c| usable(c) && serves(c)) {
            return default;
        }
        store
            .rows_where("carriers", |c| usable(c) && serves(c))
            .min_by_key(|c| (c.int("position"), c.int("id")))
            .map_or(0, |c| c.int("id"))
    })
}

/// Prices every row of `cart`.
pub(crate) fn cart_totals(store: &Store, cart: &Record) -> Totals {
    let id_lang = u32::try_from(cart.int("id_lang")).unwrap_or(1).max(1);
    let mut lines = Vec::new();
    for row in cart.assocs.get("cart_rows").into_iter().flatten() {
        let id_product = util::php_int(row_get(row, "id_product"));
        let id_attr = util::php_int(row_get(row, "id_product_attribute"));
        let qty = util::php_int(row_get(row, "quantity"));
        let Some(p) = store.get("products", id_product as u64) else { continue };
        let combo = (id_attr > 0).then(|| store.get("combinations", id_attr as u64)).flatten();
        let mut unit_excl = util::php_decimal(p.get("price"));
        let mut name = p.lang("name", id_lang).to_owned();
        let pick = |field: &str| {
            combo.map(|c| c.get(field)).filter(|v| !v.is_empty()).unwrap_or_else(|| p.get(field)).to_owned()
        };
        let mut weight = util::php_decimal(p.get("weight"));
        if let Some(c) = combo {
            unit_excl += util::php_decimal(c.get("price"));
            weight += util::php_decimal(c.get("weight"));
            let attrs = attribute_names(store, c, id_lang);
            if !attrs.is_empty() {
                name = format!("{name} ({attrs})");
            }
        }
        let rate = store::tax_rate(p.int("id_tax_rules_group"));
        let unit_incl = round6(unit_excl * (Decimal::ONE + rate / Decimal::ONE_HUNDRED));
        lines.push(Line {
            id_product,
            id_attr,
            qty,
            name,
            reference: pick("reference"),
            ean13: pick("ean13"),
            isbn: pick("isbn"),
            upc: pick("upc"),
            unit_excl: round6(unit_excl),
            unit_incl,
            weight,
        });
    }
    let products_excl = lines.iter().map(|l| round2(l.unit_excl * Decimal::from(l.qty))).sum();
    let products_incl = lines.iter().map(|l| round2(l.unit_incl * Decimal::from(l.qty))).sum();
    let carrier = carrier_of(store, cart);
    let carrier_rec = store.get("carriers", carrier as u64);
    let carrier_tax_rate = store::tax_rate(carrier_rec.map_or(0, |c| c.int("id_tax_rules_group")));
    let shipping_excl = if carrier_rec.is_some_and(|c| c.get("is_free") == "1") || lines.is_empty() {
        Decimal::ZERO
    } else {
        store::shipping_price(carrier)
    };
    let shipping_incl = round2(shipping_excl * (Decimal::ONE + carrier_tax_rate / Decimal::ONE_HUNDRED));
    Totals { lines, products_excl, products_incl, shipping_excl, shipping_incl, carrier, carrier_tax_rate }
}

/// "Size: S - Color: White" for a combination.
fn attribute_names(store: &Store, combo: &Record, lang: u32) -> String {
    let mut parts: Vec<(i64, String)> = combo
        .assocs
        .get("product_option_values")
        .into_iter()
        .flatten()
        .filter_map(|row| {
            let value = store.get("product_option_values", util::php_int(row_get(row, "id")) as u64)?;
            let group = store.get("product_options", value.int("id_attribute_group") as u64)?;
            let group_name = Some(group.lang("public_name", lang))
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| group.lang("name", lang));
            Some((group.int("id"), format!("{group_name}: {}", value.lang("name", lang))))
        })
        .collect();
    parts.sort();
    parts.into_iter().map(|(_, s)| s).collect::<Vec<_>>().join(" - ")
}

fn state(id: u64) -> Option<&'static OrderState> {
    ORDER_STATES.iter().find(|s| s.id == id)
}

fn logable(id: u64) -> bool {
    state(id).is_some_and(|s| s.logable)
}

/// `Order::addWs`: runs `validateOrder` for the posted cart in `PS_OS_WS_PAYMENT` and returns the new
/// order's id.
pub(crate) fn validate_order(store: &mut Store, posted: &Record) -> Result<u64, WsError> {
    let key = store
        .get("customers", posted.int("id_customer").max(0) as u64)
        .map(|c| c.get("secure_key").to_owned())
        .unwrap_or_default();
    let payment = Payment {
        cart_id: posted.int("id_cart").max(0) as u64,
        state: STATE_WS_PAYMENT,
        paid: util::php_decimal(posted.get("total_paid")),
        module: posted.get("module"),
        payment: posted.get("payment"),
        secure_key: &key,
    };
    validate_order_in_state(store, &payment)
}

/// What a payment module passes to `PaymentModule::validateOrder`.
#[derive(Debug, Clone)]
pub(crate) struct Payment<'a> {
    pub cart_id: u64,
    /// `$id_order_state`: the state the order gets when `paid` matches the cart total.
    pub state: u64,
    /// `$amount_paid`.
    pub paid: Decimal,
    /// The payment module's name.
    pub module: &'a str,
    /// `$payment_method`, the order's `payment`.
    pub payment: &'a str,
    /// `$secure_key`, compared with the cart's.
    pub secure_key: &'a str,
}

/// `PaymentModule::validateOrder`: the order of the cart in `payment.state` (state 8 "Payment error" when
/// the amount paid is not the cart total), its rows, its `order_carrier` row, stock taken unless the state
/// is 6 or 8, the first history row with the state's mail (`addWithemail`), and the `order_conf` mail
/// unless the state is 6 or 8. Returns the order's id.
pub(crate) fn validate_order_in_state(store: &mut Store, payment: &Payment<'_>) -> Result<u64, WsError> {
    if !store::PAYMENT_MODULES.contains(&payment.module) {
        return Err(WsError::PhpFatal);
    }
    let cart_id = payment.cart_id;
    let cart = match store.get("carts", cart_id) {
        Some(c)
            if !store.ordered_carts.contains(&cart_id) && c.assocs.get("cart_rows").is_some_and(|r| !r.is_empty()) =>
        {
            c.clone()
        }
        _ => {
            return Err(WsError::Die(
                "Cart cannot be loaded or an order has already been placed using this cart".into(),
            ));
        }
    };
    if payment.secure_key != cart.get("secure_key") {
        return Err(WsError::Die("Secure key does not match".into()));
    }
    let totals = cart_totals(store, &cart);
    let paid = payment.paid;
    let matches = paid_matches(paid, &totals);
    let state_id = if matches { payment.state } else { STATE_ERROR };
    let st = state(state_id).copied();
    let now = util::now();
    let order_id = store.next_id("orders");
    let mut o = Record::default();
    let money = |d: Decimal| fixed(d, 6);
    let invoice = st.is_some_and(|s| s.invoice);
    let (invoice_number, invoice_date) = if invoice {
        let n = store.next_invoice;
        store.next_invoice += 1;
        (n.to_string(), now.clone())
    } else {
        ("0".to_owned(), String::new())
    };
    let fields: Vec<(&'static str, String)> = vec![
        ("id_address_delivery", cart.get("id_address_delivery").to_owned()),
        ("id_address_invoice", cart.get("id_address_invoice").to_owned()),
        ("id_cart", cart_id.to_string()),
        ("id_currency", cart.get("id_currency").to_owned()),
        ("id_lang", cart.get("id_lang").to_owned()),
        ("id_customer", cart.get("id_customer").to_owned()),
        ("id_carrier", totals.carrier.to_string()),
        ("current_state", state_id.to_string()),
        ("module", payment.module.to_owned()),
        ("invoice_number", invoice_number),
        ("invoice_date", invoice_date),
        ("delivery_number", "0".to_owned()),
        ("valid", if logable(state_id) { "1" } else { "0" }.to_owned()),
        ("date_add", now.clone()),
        ("date_upd", now.clone()),
        ("id_shop_group", "1".to_owned()),
        ("id_shop", "1".to_owned()),
        ("secure_key", cart.get("secure_key").to_owned()),
        ("payment", payment.payment.to_owned()),
        ("recyclable", "0".to_owned()),
        ("gift", "0".to_owned()),
        ("mobile_theme", "0".to_owned()),
        ("total_discounts", money(Decimal::ZERO)),
        ("total_discounts_tax_incl", money(Decimal::ZERO)),
        ("total_discounts_tax_excl", money(Decimal::ZERO)),
        ("total_paid", money(totals.total_incl())),
        ("total_paid_tax_incl", money(totals.total_incl())),
        ("total_paid_tax_excl", money(totals.total_excl())),
        ("total_paid_real", money(paid)),
        ("total_products", money(totals.products_excl)),
        ("total_products_wt", money(totals.products_incl)),
        ("total_shipping", money(totals.shipping_incl)),
        ("total_shipping_tax_incl", money(totals.shipping_incl)),
        ("total_shipping_tax_excl", money(totals.shipping_excl)),
        ("carrier_tax_rate", fixed(totals.carrier_tax_rate, 3)),
        ("total_wrapping", money(Decimal::ZERO)),
        ("total_wrapping_tax_incl", money(Decimal::ZERO)),
        ("total_wrapping_tax_excl", money(Decimal::ZERO)),
        ("round_mode", "2".to_owned()),
        ("round_type", "2".to_owned()),
        ("conversion_rate", "1.000000".to_owned()),
        ("reference", util::order_reference()),
    ];
    for (k, v) in fields {
        o.set(k, v);
    }
    let mut rows: Vec<Row> = Vec::new();
    for l in &totals.lines {
        let id = store.next_order_detail;
        store.next_order_detail += 1;
        rows.push(vec![
            ("id", id.to_string()),
            ("product_id", l.id_product.to_string()),
            ("product_attribute_id", l.id_attr.to_string()),
            ("product_quantity", l.qty.to_string()),
            ("product_name", l.name.clone()),
            ("product_reference", l.reference.clone()),
            ("product_ean13", l.ean13.clone()),
            ("product_isbn", l.isbn.clone()),
            ("product_upc", l.upc.clone()),
            ("product_price", money(l.unit_excl)),
            ("id_customization", "0".to_owned()),
            ("unit_price_tax_incl", money(l.unit_incl)),
            ("unit_price_tax_excl", money(l.unit_excl)),
        ]);
    }
    o.assocs.insert("order_rows", rows);
    if let Some(res) = schema::resource("orders") {
        store.put(res, order_id, &o);
    }
    if state_id != STATE_ERROR && state_id != STATE_CANCELED {
        for l in &totals.lines {
            store.add_stock(l.id_product, l.id_attr, -l.qty);
        }
    }
    // `createOrder` adds the order_carrier row (when the cart has a carrier) before the state change, whose
    // `setInvoice` then links it to the invoice (the simulated invoice's id is its number).
    if totals.carrier > 0 {
        let weight: Decimal = totals.lines.iter().map(|l| l.weight * Decimal::from(l.qty)).sum();
        let id_order_invoice = o.get("invoice_number").to_owned();
        add_order_carrier(
            store,
            &[
                ("id_order", order_id.to_string()),
                ("id_carrier", totals.carrier.to_string()),
                ("id_order_invoice", id_order_invoice),
                ("weight", money(weight)),
                ("shipping_cost_tax_excl", money(totals.shipping_excl)),
                ("shipping_cost_tax_incl", money(totals.shipping_incl)),
                ("tracking_number", String::new()),
                ("date_add", now.clone()),
            ],
        );
    }
    add_history(store, order_id, state_id, 0);
    state_mail(store, order_id, state_id);
    store.ordered_carts.insert(cart_id);
    if state_id != STATE_ERROR && state_id != STATE_CANCELED {
        let email = store
            .get("customers", cart.int("id_customer").max(0) as u64)
            .map(|c| c.get("email").to_owned())
            .filter(|e| validate::check("isEmail", e));
        if let Some(recipient) = email {
            record_mail(store, "order_conf", recipient, order_id, String::new(), String::new());
        }
    }
    Ok(order_id)
}

fn add_order_carrier(store: &mut Store, values: &[(&'static str, String)]) -> u64 {
    let Some(res) = schema::resource("order_carriers") else { return 0 };
    let id = store.next_id("order_carriers");
    let mut rec = Record::default();
    for (k, v) in values {
        rec.set(k, v.clone());
    }
    store.put(res, id, &rec);
    id
}

fn record_mail(store: &mut Store, template: &str, recipient: String, id_order: u64, followup: String, number: String) {
    store.mails.push(SentMail {
        template: template.to_owned(),
        recipient,
        id_order,
        followup,
        shipping_number: number,
        date: util::now(),
    });
}

/// `OrderHistory::sendEmail` for the history row just added in `state_id`: a mail only when the state has
/// `send_email = 1` and a template in the order's language, and the customer's e-mail is valid; `{followup}`
/// is the order carrier's `url` with `@` replaced by the order's shipping number (empty when none).
fn state_mail(store: &mut Store, order_id: u64, state_id: u64) {
    let Some(order) = store.get("orders", order_id) else { return };
    let Some(st) = store.get("order_states", state_id) else { return };
    let lang = u32::try_from(order.int("id_lang")).unwrap_or(0);
    let template = st.lang("template", lang).to_owned();
    if st.get("send_email") != "1" || template.is_empty() {
        return;
    }
    let email = store.get("customers", order.int("id_customer").max(0) as u64).map(|c| c.get("email").to_owned());
    let Some(recipient) = email.filter(|e| validate::check("isEmail", e)) else { return };
    let url = store.get("carriers", order.int("id_carrier").max(0) as u64).map(|c| c.get("url").to_owned());
    let number = store.order_carrier_of(order_id as i64).map(|oc| oc.get("tracking_number").to_owned());
    let followup = url.unwrap_or_default().replace('@', number.as_deref().unwrap_or(""));
    record_mail(store, &template, recipient, order_id, followup, number.unwrap_or_default());
}

/// `OrderCarrier::updateWs` with `sendemail`: `sendInTransitEmail`, the `in_transit` mail, sent only when the
/// order's carrier has a `url`. A missing order, customer, carrier or delivery address is an uncaught
/// `PrestaShopException`; a mail `Mail::Send` refuses (invalid e-mail) makes `updateWs` fail (500/46).
pub(crate) fn in_transit_mail(store: &mut Store, order_carrier: u64) -> Result<(), WsError> {
    let oc = store.get("order_carriers", order_carrier).ok_or(WsError::PhpFatal)?;
    let tracking = oc.get("tracking_number").to_owned();
    let order_id = oc.int("id_order").max(0) as u64;
    let order = store.get("orders", order_id).ok_or(WsError::PhpFatal)?;
    let customer = store.get("customers", order.int("id_customer").max(0) as u64).ok_or(WsError::PhpFatal)?;
    let carrier = store.get("carriers", order.int("id_carrier").max(0) as u64).ok_or(WsError::PhpFatal)?;
    store.get("addresses", order.int("id_address_delivery").max(0) as u64).ok_or(WsError::PhpFatal)?;
    let url = carrier.get("url").to_owned();
    if url.is_empty() {
        return Ok(());
    }
    let recipient = customer.get("email").to_owned();
    if !validate::check("isEmail", &recipient) {
        return Err(WsError::new(500, 46, "Unable to save resource"));
    }
    let followup = url.replace('@', &tracking);
    record_mail(store, "in_transit", recipient, order_id, followup, tracking);
    Ok(())
}

/// `Order::setWsShippingNumber`: writes the tracking number of the order's `order_carrier` row (nothing
/// when it has none). The row's `update()` validates it: an invalid number is an uncaught
/// `PrestaShopException` (a PHP fatal error).
pub(crate) fn set_shipping_number(store: &mut Store, order_id: u64, number: &str) -> Result<(), WsError> {
    let Some(id) = store.order_carrier_of(order_id as i64).map(|oc| oc.int("id") as u64) else { return Ok(()) };
    if !number.is_empty() && !validate::check("isTrackingNumber", number) {
        return Err(WsError::PhpFatal);
    }
    if let Some(oc) = store.get_mut("order_carriers", id) {
        oc.set("tracking_number", number.to_owned());
    }
    Ok(())
}

fn add_history(store: &mut Store, order_id: u64, state_id: u64, id_employee: i64) -> u64 {
    let id = store.next_id("order_histories");
    let mut h = Record::default();
    h.set("id_employee", id_employee.to_string());
    h.set("id_order_state", state_id.to_string());
    h.set("id_order", order_id.to_string());
    h.set("date_add", util::now());
    if let Some(res) = schema::resource("order_histories") {
        store.put(res, id, &h);
    }
    id
}

/// `OrderHistory::changeIdOrderState` followed by the history row (`add`, or `addWithemail` when
/// `with_email`: then `sendEmail` sends the new state's mail): moves stock when the order enters or leaves
/// the error/canceled states, creates the invoice when the new state has one (linking the order carrier to
/// it), and returns the history id.
pub(crate) fn change_state(
    store: &mut Store,
    order_id: u64,
    new_state: u64,
    id_employee: i64,
    with_email: bool,
) -> Result<u64, WsError> {
    let Some(order) = store.get("orders", order_id).cloned() else {
        return Err(WsError::validation(false, "Property OrderHistory->id_order is not valid"));
    };
    let Some(new) = state(new_state).copied() else {
        return Err(WsError::validation(false, "Property OrderHistory->id_order_state is not valid"));
    };
    let old_state = order.int("current_state").max(0) as u64;
    let errorish = |s: u64| s == STATE_ERROR || s == STATE_CANCELED;
    let old_logable = logable(old_state);
    let rows = order.assocs.get("order_rows").cloned().unwrap_or_default();
    for row in &rows {
        let pid = util::php_int(row_get(row, "product_id"));
        let attr = util::php_int(row_get(row, "product_attribute_id"));
        let qty = util::php_int(row_get(row, "product_quantity"));
        if new.logable && !old_logable {
            if errorish(old_state) {
                store.add_stock(pid, attr, -qty);
            }
        } else if !new.logable && old_logable {
            if errorish(new_state) {
                store.add_stock(pid, attr, qty);
            }
        } else if !new.logable && !old_logable && errorish(new_state) && !errorish(old_state) {
            store.add_stock(pid, attr, qty);
        }
    }
    let needs_invoice = new.invoice && order.int("invoice_number") == 0;
    let invoice = needs_invoice.then(|| {
        let n = store.next_invoice;
        store.next_invoice += 1;
        n
    });
    if let Some(o) = store.get_mut("orders", order_id) {
        o.set("current_state", new_state.to_string());
        o.set("valid", if new.logable { "1" } else { "0" });
        o.set("date_upd", util::now());
        if let Some(n) = invoice {
            o.set("invoice_number", n.to_string());
            o.set("invoice_date", util::now());
        }
    }
    if let Some(n) = invoice {
        let oc = store.order_carrier_of(order_id as i64).map(|oc| oc.int("id") as u64);
        if let Some(oc) = oc.and_then(|id| store.get_mut("order_carriers", id)) {
            oc.set("id_order_invoice", n.to_string());
        }
    }
    let history = add_history(store, order_id, new_state, id_employee);
    if with_email {
        state_mail(store, order_id, new_state);
    }
    Ok(history)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shop_with_cart(carrier_option: Option<&str>) -> (Store, u64) {
        let mut s = Store::seeded();
        let products = schema::resource("products").expect("products");
        let mut p = Record::default();
        p.set("price", "13.000000");
        p.set("id_tax_rules_group", "1");
        p.set("reference", "demo_11");
        p.fields.insert("name", store::Value::text("Mug"));
        s.put(products, 1, &p);
        s.create_stock_row(1, 0);
        s.add_stock(1, 0, 10);
        let customers = schema::resource("customers").expect("customers");
        let mut c = Record::default();
        c.set("secure_key", "k");
        s.put(customers, 1, &c);
        let carts = schema::resource("carts").expect("carts");
        let mut cart = Record::default();
        cart.set("id_customer", "1");
        cart.set("id_lang", "1");
        cart.set("id_address_delivery", "7");
        cart.set("secure_key", "k");
        if let Some(o) = carrier_option {
            cart.set("delivery_option", o);
        }
        cart.assocs.insert(
            "cart_rows",
            vec![vec![("id_product", "1".into()), ("id_product_attribute", "0".into()), ("quantity", "2".into())]],
        );
        s.put(carts, 1, &cart);
        (s, 1)
    }

    fn post(total: &str) -> Record {
        let mut o = Record::default();
        o.set("module", "ps_wirepayment");
        o.set("id_cart", "1");
        o.set("id_customer", "1");
        o.set("total_paid", total);
        o
    }

    fn stock(s: &Store) -> i64 {
        s.stock_row_id(1, 0).and_then(|id| s.get("stock_availables", id)).map_or(0, |r| r.int("quantity"))
    }

    #[test]
    fn matching_total_is_accepted_and_takes_stock() {
        let (mut s, _) = shop_with_cart(None);
        let id = validate_order(&mut s, &post("31.20")).expect("order");
        let o = s.get("orders", id).expect("stored");
        assert_eq!(o.get("current_state"), "11");
        assert_eq!(o.get("total_paid_tax_incl"), "31.200000");
        assert_eq!(o.get("id_carrier"), "1");
        assert_eq!(stock(&s), 8);
    }

    #[test]
    fn wrong_total_gives_payment_error_without_stock_move() {
        let (mut s, _) = shop_with_cart(None);
        let id = validate_order(&mut s, &post("1.00")).expect("order");
        assert_eq!(s.get("orders", id).map(|o| o.get("current_state").to_owned()), Some("8".into()));
        assert_eq!(stock(&s), 10);
    }

    #[test]
    fn delivery_option_picks_a_paying_carrier() {
        let (mut s, _) = shop_with_cart(Some(r#"{"7":"2,"}"#));
        let id = validate_order(&mut s, &post("31.20")).expect("order");
        let o = s.get("orders", id).expect("stored");
        assert_eq!(o.get("id_carrier"), "2");
        assert_eq!(o.get("current_state"), "8");
        assert_eq!(o.get("total_paid"), "39.600000");
    }

    #[test]
    fn a_cart_is_ordered_once_and_cancel_restocks() {
        let (mut s, _) = shop_with_cart(None);
        let id = validate_order(&mut s, &post("31.20")).expect("order");
        assert!(matches!(validate_order(&mut s, &post("31.20")), Err(WsError::Die(_))));
        change_state(&mut s, id, STATE_CANCELED, 0, false).expect("cancel");
        assert_eq!(stock(&s), 10);
    }
}
