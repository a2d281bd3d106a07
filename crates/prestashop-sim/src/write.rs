//! Writing, as `WebserviceRequest::saveEntityFromXml` does it: POST without `<id>`, PUT as a full replace
//! (absent optional fields nulled, absent language fields emptied, absent required fields refused),
//! PATCH on the fields present only, setters and read-only fields, validation, associations replaced
//! through their setters; plus the side effects of each resource's `add`/`update` (stock rows, default
//! combination, password hashing, duplicate e-mails, orders) and DELETE.

use std::collections::BTreeMap;

use crate::{
    error::WsError,
    orders,
    schema::{AssocSource, Field, NOT_WRITABLE, REQ, Resource, SETTER},
    store::{Record, Row, Store, Value, row_get},
    util, validate,
    xmlin::{self, Node},
};

/// The write methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WriteMethod {
    Post,
    Put,
    Patch,
}

/// Parses a request body, answering as PHP does when it is not XML.
pub(crate) fn parse_body(body: &str) -> Result<Node, WsError> {
    let body = body.strip_prefix("xml=").unwrap_or(body);
    xmlin::parse(body).map_err(|detail| WsError::Errors { status: 500, list: xmlin::parse_errors(body, &detail) })
}

/// The request parameters a write reads besides its body.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct WriteOpts {
    /// `Tools::getValue('sendemail')` cast to bool: `POST order_histories` then runs `addWithemail`,
    /// `PUT`/`PATCH order_carriers` sends the `in_transit` mail.
    pub sendemail: bool,
}

/// Applies a write body and returns the in-memory objects PrestaShop renders in its answer.
pub(crate) fn write(
    store: &mut Store,
    res: &'static Resource,
    method: WriteMethod,
    root: &Node,
    opts: WriteOpts,
) -> Result<Vec<Record>, WsError> {
    if method != WriteMethod::Post {
        let mut seen = Vec::new();
        for e in &root.children {
            if let Some(id) = e.child("id") {
                if seen.contains(&id.text) {
                    return Err(WsError::new(400, 89, "The ID has been given twice in the XML request"));
                }
                seen.push(id.text.clone());
            }
        }
    }
    root.children.iter().map(|e| one(store, res, method, e, opts)).collect()
}

fn one(
    store: &mut Store,
    res: &'static Resource,
    method: WriteMethod,
    node: &Node,
    opts: WriteOpts,
) -> Result<Record, WsError> {
    let (mut obj, mut id) = match method {
        WriteMethod::Post => {
            if node.child("id").is_some() {
                return Err(WsError::new(400, 91, "id is forbidden when adding a new resource"));
            }
            (Record::default(), 0)
        }
        WriteMethod::Put | WriteMethod::Patch => {
            let Some(idn) = node.child("id") else {
                return Err(WsError::new(400, 90, "id is required when modifying a resource"));
            };
            let id = util::php_int(&idn.text).max(0) as u64;
            match store.get(res.name, id) {
                Some(r) => (r.clone(), id),
                None => return Err(WsError::new(404, 92, "Invalid ID")),
            }
        }
    };
    for f in res.fields.iter().filter(|f| f.name != "id") {
        let present = node.child(f.name);
        if f.is_lang() {
            assign_lang(&mut obj, f, present, method);
            continue;
        }
        match present {
            Some(n) => {
                if f.has(NOT_WRITABLE) {
                    return Err(WsError::new(
                        400,
                        93,
                        format!("parameter \"{}\" not writable. Please remove this attribute of this XML", f.name),
                    ));
                }
                if f.has(SETTER) {
                    setter(store, res, f, &mut obj, &n.text, method)?;
                } else {
                    obj.set(f.name, n.text.clone());
                }
            }
            None if method == WriteMethod::Patch => {}
            None if f.has(REQ) => return Err(WsError::new(400, 41, format!("parameter \"{}\" required", f.name))),
            None => {
                obj.fields.insert(f.name, Value::Null);
            }
        }
    }
    if method == WriteMethod::Post {
        ws_link_rewrite(res, &mut obj)?;
    }
    before_save(res, method, &mut obj);
    validate::object(res, &obj, store.default_language())?;
    match (res.name, method) {
        ("orders", WriteMethod::Post) => {
            let order_id = orders::validate_order(store, &obj)?;
            obj.set("id", order_id.to_string());
            if let Some(stored) = store.get("orders", order_id) {
                obj.assocs.insert("order_rows", stored.assocs.get("order_rows").cloned().unwrap_or_default());
            }
            return Ok(obj);
        }
        ("order_histories", WriteMethod::Post) => {
            let order = obj.int("id_order").max(0) as u64;
            let state = obj.int("id_order_state").max(0) as u64;
            // `OrderHistory::addWs`: `changeIdOrderState`, then `addWithemail` with `sendemail`, else `add`.
            let hid = orders::change_state(store, order, state, obj.int("id_employee"), opts.sendemail)?;
            obj.set("id", hid.to_string());
            return Ok(obj);
        }
        _ => {}
    }
    pre_insert(store, res, method, &obj)?;
    attribute_add(store, res, method, &mut obj);
    if res.name == "categories" {
        // `Category::add`/`update` → `calcLevelDepth`: a parent that does not exist (or the category
        // itself, on update) throws, uncaught.
        if method != WriteMethod::Post && obj.int("id_parent") == obj.int("id") {
            return Err(WsError::PhpFatal);
        }
        let parent = store.get("categories", obj.int("id_parent").max(0) as u64).ok_or(WsError::PhpFatal)?;
        obj.set("level_depth", (parent.int("level_depth") + 1).to_string());
    }
    if method == WriteMethod::Post {
        id = store.next_id(res.name);
        obj.set("id", id.to_string());
    }
    store.put(res, id, &obj);
    if let Some(assocs) = node.child("associations") {
        for a in &assocs.children {
            let Some(def) = res.assoc(&a.name) else {
                return Err(WsError::new(400, 86, format!("The association \"{}\" does not exists", a.name)));
            };
            if def.source != AssocSource::Stored {
                continue;
            }
            let rows: Vec<Row> = a
                .children
                .iter()
                .map(|entry| {
                    def.fields
                        .iter()
                        .map(|sf| {
                            let v = entry.child(sf.name).map(|c| c.text.clone());
                            let default = if sf.name == "id_customization" { "0" } else { "" };
                            (sf.name, v.unwrap_or_else(|| default.to_owned()))
                        })
                        .collect()
                })
                .collect();
            let rows = if (res.name, def.name) == ("products", "categories") {
                category_positions(store, id, &rows)
            } else {
                rows
            };
            obj.assocs.insert(def.name, rows.clone());
            if let Some(stored) = store.get_mut(res.name, id) {
                stored.assocs.insert(def.name, rows);
            }
        }
    }
    after_save(store, res, method, id, &mut obj);
    if res.name == "order_carriers" && method != WriteMethod::Post && opts.sendemail {
        orders::in_transit_mail(store, id)?;
    }
    Ok(obj)
}

/// `Product::modifierWsLinkRewrite` and `Category::modifierWsLinkRewrite` (POST only): for each language of
/// `name`, an empty `link_rewrite` becomes `str2url(name)` and an invalid one `str2url(link_rewrite)`. The
/// product's first empties an empty `link_rewrite`; the category's does not. Both loop over `name` and
/// write `link_rewrite` per language, so a `name` that is not per language (absent, or a plain string)
/// trips a `foreach()` warning, and a `link_rewrite` that is a string (the category's when absent) one
/// "Only the first byte" warning per language written: PHP warnings, which the Webservice answers as 500
/// with one code 3 each, nothing saved (all as captured).
fn ws_link_rewrite(res: &Resource, obj: &mut Record) -> Result<(), WsError> {
    let (file, line) = match res.name {
        "products" => ("Product", 8101),
        "categories" => ("Category", 2068),
        _ => return Ok(()),
    };
    let warning = |at: u32, text: &str| {
        (3, format!("[PHP Warning #2] {text} (/var/www/prestashop/classes/{file}.php, line {at})"))
    };
    let Some(Value::Lang(names)) = obj.fields.get("name").cloned() else {
        return Err(WsError::Errors {
            status: 500,
            list: vec![warning(line, "foreach() argument must be of type array|object, string given")],
        });
    };
    let mut rewrite = obj.fields.get("link_rewrite").cloned().unwrap_or(Value::Null);
    // `if (empty($this->link_rewrite)) $this->link_rewrite = [];` (products only).
    if res.name == "products" {
        let empty = match &rewrite {
            Value::Null => true,
            Value::Text(t) => util::php_empty(t),
            Value::Lang(m) => m.is_empty(),
        };
        if empty {
            rewrite = Value::Lang(BTreeMap::new());
        }
    }
    match rewrite {
        Value::Lang(mut m) => {
            for (l, name) in names {
                let slot = m.entry(l).or_default();
                if util::php_empty(slot) {
                    *slot = str2url(&name);
                } else if !validate::check("isLinkRewrite", slot) {
                    *slot = str2url(slot);
                }
            }
            obj.fields.insert("link_rewrite", Value::Lang(m));
            Ok(())
        }
        text => {
            // On a string, `$link_rewrite[$id_lang]` reads one byte and writing it warns.
            let s = text.as_str().to_owned();
            let list: Vec<(u32, String)> = names
                .keys()
                .filter_map(|&l| {
                    let byte = s.as_bytes().get(l as usize).map(|b| String::from_utf8_lossy(&[*b]).into_owned());
                    let at = match byte {
                        Some(b) if !util::php_empty(&b) && validate::check("isLinkRewrite", &b) => return None,
                        Some(b) if !util::php_empty(&b) => line + 4,
                        _ => line + 2,
                    };
                    Some(warning(at, "Only the first byte will be assigned to the string offset"))
                })
                .collect();
            if list.is_empty() { Ok(()) } else { Err(WsError::Errors { status: 500, list }) }
        }
    }
}

/// `AttributeGroup::add`/`update`: `is_color_group` = `group_type == 'color'` (a PHP bool, so the answer
/// shows "1" or ""); `add` of a group or a value with no positive `position` takes the highest position
/// (of all groups, or of the value's group) + 1, 0 for the first.
fn attribute_add(store: &Store, res: &Resource, method: WriteMethod, obj: &mut Record) {
    if res.name == "product_options" {
        let color = obj.get("group_type") == "color";
        obj.set(res.field("is_color_group").map_or("is_color_group", |f| f.name), if color { "1" } else { "" });
    }
    if method != WriteMethod::Post || util::php_int(obj.get("position")) > 0 {
        return;
    }
    let highest = match res.name {
        "product_options" => store.rows_where("product_options", |_| true).map(|r| r.int("position")).max(),
        "product_option_values" => {
            let group = obj.int("id_attribute_group");
            store
                .rows_where("product_option_values", move |r| r.int("id_attribute_group") == group)
                .map(|r| r.int("position"))
                .max()
        }
        _ => return,
    };
    obj.set(res.field("position").map_or("position", |f| f.name), highest.map_or(0, |h| h + 1).to_string());
}

/// A language field of a write body, as `saveEntityFromXml` assigns it: given per language, the languages
/// given replace those of the object — after a non-required field was first set to `null`, so it then
/// holds only the languages given (the others are saved empty; a required field keeps the others, and
/// `formatFields` gives a language left empty the default language's value); given as a plain string, or
/// absent on POST or PUT, the string itself (`""` when absent), which is saved for every language; absent
/// on PATCH, untouched.
fn assign_lang(obj: &mut Record, f: &'static Field, present: Option<&Node>, method: WriteMethod) {
    match present {
        Some(n) if n.children.iter().any(|c| c.name == "language") => {
            let mut m = match obj.fields.get(f.name) {
                Some(Value::Lang(m)) if f.has(REQ) => m.clone(),
                _ => BTreeMap::new(),
            };
            for l in n.children.iter().filter(|c| c.name == "language") {
                let lid = util::php_int(l.attr("id").unwrap_or("0"));
                if let Ok(lid) = u32::try_from(lid) {
                    m.insert(lid, l.text.clone());
                }
            }
            obj.fields.insert(f.name, Value::Lang(m));
        }
        Some(n) => {
            obj.fields.insert(f.name, Value::Text(n.text.clone()));
        }
        None if method == WriteMethod::Patch => {}
        None => {
            obj.fields.insert(f.name, Value::Null);
        }
    }
}

fn setter(
    store: &mut Store,
    res: &Resource,
    f: &'static Field,
    obj: &mut Record,
    v: &str,
    method: WriteMethod,
) -> Result<(), WsError> {
    match (res.name, f.name) {
        ("products", "position_in_category") => {
            if util::php_int(v) <= 0 {
                return Err(WsError::new(500, 134, "You cannot set 0 or a negative position, the minimum is 1."));
            }
        }
        ("products", "id_default_combination") => {
            let pid = obj.int("id");
            let cid = util::php_int(v);
            let owns = store.get("combinations", cid.max(0) as u64).is_some_and(|c| c.int("id_product") == pid);
            if pid > 0 && owns {
                set_default_combination(store, pid, cid);
            }
        }
        ("products", "type") => {
            if matches!(v, "simple" | "pack" | "virtual") {
                obj.set("cache_is_pack", if v == "pack" { "1" } else { "0" });
                obj.set("is_virtual", if v == "virtual" { "1" } else { "0" });
            }
        }
        ("customers", "passwd") => {
            let keep = method != WriteMethod::Post && obj.get("passwd") == v;
            if !keep {
                obj.set("passwd", hash_password(v));
            }
        }
        ("orders", "current_state") => {
            let id = obj.int("id");
            let new = util::php_int(v);
            // `setWsCurrentState` → `Order::setCurrentState`: `changeIdOrderState`, then `addWithemail`.
            if method != WriteMethod::Post && id > 0 && new > 0 && new != obj.int("current_state") {
                orders::change_state(store, id as u64, new as u64, 0, true)?;
                if let Some(o) = store.get("orders", id as u64) {
                    for k in ["valid", "invoice_number", "invoice_date", "date_upd"] {
                        obj.set(res.field(k).map_or(k, |f| f.name), o.get(k).to_owned());
                    }
                }
            }
            obj.set(f.name, v.to_owned());
        }
        ("orders", "shipping_number") => {
            // `setWsShippingNumber`: the order itself has no such column.
            let id = obj.int("id");
            if id > 0 {
                orders::set_shipping_number(store, id as u64, v)?;
            }
        }
        _ => obj.set(f.name, v.to_owned()),
    }
    Ok(())
}

/// A stand-in for PHP's bcrypt hash: same shape (`$2y$10$` and 53 characters), not a real hash.
fn hash_password(plain: &str) -> String {
    let a = util::sha1_hex(plain.as_bytes());
    let b = util::token();
    format!("$2y$10${}{}", &b[..22], &a[..31])
}

/// `Product::setWsCategories`: the ids cast to integers, each once, and a `category_product` position for
/// each — the one the product had there, else the category's highest + 1, else 1 — kept as the row's
/// `position` (shown as `position_in_category`). Categories that do not exist are written too (captured).
fn category_positions(store: &Store, product: u64, rows: &[Row]) -> Vec<Row> {
    let positions = |category: &str, of_product: Option<i64>| {
        store
            .rows_where("products", move |p| of_product.is_none_or(|id| p.int("id") == id))
            .flat_map(|p| p.assocs.get("categories").cloned().unwrap_or_default())
            .filter(|r| row_get(r, "id") == category)
            .map(|r| util::php_int(row_get(&r, "position")))
            .max()
    };
    let mut out: Vec<Row> = Vec::new();
    for r in rows {
        let category = util::php_int(row_get(r, "id")).to_string();
        if out.iter().any(|o| row_get(o, "id") == category) {
            continue;
        }
        let position = positions(&category, Some(product as i64))
            .or_else(|| positions(&category, None).map(|max| max + 1))
            .unwrap_or(1);
        out.push(vec![("id", category), ("position", position.to_string())]);
    }
    out
}

/// `Product::updateDefaultAttribute`: the product's `cache_default_attribute` follows its default
/// combination, and a product that has one becomes of type `combinations` (captured).
fn update_default_attribute(store: &mut Store, pid: i64) {
    let default = store.default_combination(pid);
    if let Some(p) = store.get_mut("products", pid.max(0) as u64) {
        p.set("cache_default_attribute", default.to_string());
        if default != 0 {
            p.set("product_type", "combinations");
        }
    }
}

fn set_default_combination(store: &mut Store, pid: i64, cid: i64) {
    let ids: Vec<u64> =
        store.rows_where("combinations", |c| c.int("id_product") == pid).map(|c| c.int("id") as u64).collect();
    for id in ids {
        if let Some(c) = store.get_mut("combinations", id) {
            c.set("default_on", if id as i64 == cid { "1" } else { "" });
        }
    }
    if let Some(p) = store.get_mut("products", pid as u64) {
        p.set("cache_default_attribute", cid.to_string());
    }
}

/// `Tools::str2url`: lower case, accents dropped, anything else than letters and digits as `-`.
pub(crate) fn str2url(s: &str) -> String {
    let folded = util::fold(s);
    let mut out = String::new();
    for c in folded.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_owned()
}

fn has(rec: &Record, name: &str) -> bool {
    !rec.get(name).is_empty()
}

fn before_save(res: &Resource, method: WriteMethod, obj: &mut Record) {
    let now = util::now();
    let dated = res.field("date_upd").is_some() || res.field("date_add").is_some();
    let skip_dates =
        matches!((res.name, method), ("orders", WriteMethod::Post) | ("order_histories", WriteMethod::Post));
    if !skip_dates && dated {
        if method == WriteMethod::Post || !has(obj, "date_add") {
            obj.set("date_add", now.clone());
        }
        if res.field("date_upd").is_some() {
            obj.set("date_upd", now.clone());
        }
    }
    if res.name == "order_histories" && method == WriteMethod::Post {
        obj.set("date_add", now.clone());
    }
    match (res.name, method) {
        ("products", WriteMethod::Post | WriteMethod::Put) => {
            for (k, v) in [("id_shop_default", "1"), ("condition", "new"), ("visibility", "both")] {
                if !has(obj, k) {
                    obj.set(res.field(k).map_or(k, |f| f.name), v);
                }
            }
            if method == WriteMethod::Put {
                let unit = util::php_decimal(obj.get("unit_price"));
                let ratio = if unit > rust_decimal::Decimal::ZERO {
                    util::fixed(util::php_decimal(obj.get("price")) / unit, 6)
                } else {
                    "0".to_owned()
                };
                obj.set("unit_price_ratio", ratio);
            }
        }
        ("customers", WriteMethod::Post) => {
            if !has(obj, "secure_key") {
                obj.set("secure_key", util::md5_like());
            }
            let generated = chrono::Local::now() - chrono::Duration::hours(6);
            obj.set("last_passwd_gen", generated.format("%Y-%m-%d %H:%M:%S").to_string());
            for (k, v) in [("id_shop", "1"), ("id_shop_group", "1"), ("id_default_group", "3"), ("id_lang", "1")] {
                if !has(obj, k) {
                    obj.set(res.field(k).map_or(k, |f| f.name), v);
                }
            }
        }
        ("categories", WriteMethod::Post) if !has(obj, "id_shop_default") => {
            obj.set(res.field("id_shop_default").map_or("id_shop_default", |f| f.name), "1");
        }
        ("carts", WriteMethod::Post) => {
            for k in ["id_shop_group", "id_shop"] {
                if !has(obj, k) {
                    obj.set(res.field(k).map_or(k, |f| f.name), "1");
                }
            }
        }
        _ => {}
    }
}

fn pre_insert(store: &Store, res: &Resource, method: WriteMethod, obj: &Record) -> Result<(), WsError> {
    match (res.name, method) {
        ("customers", WriteMethod::Post) => {
            let email = util::fold(obj.get("email"));
            let taken = store.rows_where("customers", |c| {
                util::fold(c.get("email")) == email && c.get("deleted") != "1" && c.get("is_guest") != "1"
            });
            if taken.count() > 0 {
                return Err(WsError::Errors {
                    status: 500,
                    list: vec![
                        (140, "The email is already used, please choose another one".to_owned()),
                        (46, "Unable to save resource".to_owned()),
                    ],
                });
            }
        }
        ("stock_availables", WriteMethod::Put | WriteMethod::Patch)
            if util::php_int(obj.get("depends_on_stock")) != 0 =>
        {
            return Err(WsError::Errors {
                status: 500,
                list: vec![
                    (133, "You cannot update the available stock when it depends on stock.".to_owned()),
                    (46, "Unable to save resource".to_owned()),
                ],
            });
        }
        _ => {}
    }
    Ok(())
}

fn after_save(store: &mut Store, res: &Resource, method: WriteMethod, id: u64, obj: &mut Record) {
    match res.name {
        // `addPosition(getLastPosition(id_parent))`: stored at the end of its siblings, while the answer
        // shows the object as it was before (empty `position`).
        "categories" if method == WriteMethod::Post => {
            let parent = obj.int("id_parent");
            let siblings = store.rows_where("categories", |c| c.int("id_parent") == parent).count();
            if let Some(c) = store.get_mut("categories", id) {
                c.set("position", siblings.saturating_sub(1).to_string());
            }
        }
        "products" => {
            if method == WriteMethod::Post {
                store.create_stock_row(id as i64, 0);
            }
            // `addWs`/`updateWs` then `Search::indexation` (PS_SEARCH_INDEXATION): an active product shown in
            // search is marked indexed in the database, not on the object the answer shows (captured).
            if let Some(p) = store.get_mut("products", id)
                && p.get("active") == "1"
                && matches!(p.get("visibility"), "both" | "search")
            {
                p.set("indexed", "1");
            }
        }
        "combinations" => {
            let pid = obj.int("id_product");
            if let Some(c) = store.get_mut("combinations", id) {
                let on = util::php_int(c.get("default_on")) != 0;
                c.set("default_on", if on { "1" } else { "" });
            }
            store.create_stock_row(pid, id as i64);
            if obj.get("default_on") == "1" {
                set_default_combination(store, pid, id as i64);
            }
            update_default_attribute(store, pid);
            store.resync_product_stock(pid);
        }
        "stock_availables" => {
            if let Some(r) = store.get("stock_availables", id) {
                let (pid, attr) = (r.int("id_product"), r.int("id_product_attribute"));
                if attr != 0 {
                    store.resync_product_stock(pid);
                }
            }
        }
        "carts" => {
            let customer = obj.int("id_customer");
            let key = store.get("customers", customer.max(0) as u64).map(|c| c.get("secure_key").to_owned());
            if let Some(cart) = store.get_mut("carts", id) {
                if let Some(k) = key.filter(|_| cart.get("secure_key").is_empty()) {
                    cart.set("secure_key", k);
                }
                if let Some(rows) = cart.assocs.get_mut("cart_rows") {
                    rows.sort_by_key(|r| {
                        (
                            util::php_int(row_get(r, "id_product")),
                            util::php_int(row_get(r, "id_product_attribute")),
                            util::php_int(row_get(r, "id_customization")),
                            util::php_int(row_get(r, "id_address_delivery")),
                        )
                    });
                    obj.assocs.insert("cart_rows", rows.clone());
                }
            }
        }
        "carriers" if method == WriteMethod::Post => {
            // `Carrier::add`: a position after the others when none is given, `id_reference` set to the id by
            // SQL (so not on the echoed object), and PS_CARRIER_DEFAULT when it is the only carrier left.
            let others = store.rows_where("carriers", |c| c.int("id") != id as i64 && c.get("deleted") == "0");
            let (count, higher) = others.fold((0, -1), |(n, max), c| (n + 1, max.max(c.int("position"))));
            if obj.int("position") <= 0 {
                obj.set("position", (higher + 1).to_string());
            }
            let position = obj.get("position").to_owned();
            if let Some(c) = store.get_mut("carriers", id) {
                c.set("position", position);
                c.set("id_reference", id.to_string());
            }
            let alone = count == 0 && store.get("carriers", id).is_some_and(|c| c.get("deleted") == "0");
            if alone
                && let Some(conf) =
                    store.table_mut("configurations").rows.values_mut().find(|c| c.get("name") == "PS_CARRIER_DEFAULT")
            {
                conf.set("value", id.to_string());
            }
        }
        "customers" if method == WriteMethod::Post => {
            if let Some(c) = store.get_mut("customers", id)
                && c.assocs.get("groups").is_none_or(Vec::is_empty)
            {
                let g = c.get("id_default_group").to_owned();
                c.assocs.insert("groups", vec![vec![("id", g)]]);
            }
        }
        _ => {}
    }
}

/// DELETE of one or more ids; every id must exist (404, code 87).
pub(crate) fn delete(store: &mut Store, res: &'static Resource, ids: &[u64]) -> Result<(), WsError> {
    if let Some(missing) = ids.iter().find(|id| store.get(res.name, **id).is_none()) {
        return Err(WsError::new(404, 87, format!("Id(s) not exists: {missing}")));
    }
    for &id in ids {
        let removed = store.table_mut(res.name).rows.remove(&id);
        match res.name {
            "products" => {
                let stock: Vec<u64> = store
                    .rows_where("stock_availables", |r| r.int("id_product") == id as i64)
                    .map(|r| r.int("id") as u64)
                    .collect();
                for s in stock {
                    store.table_mut("stock_availables").rows.remove(&s);
                }
                let combos: Vec<u64> = store
                    .rows_where("combinations", |r| r.int("id_product") == id as i64)
                    .map(|r| r.int("id") as u64)
                    .collect();
                for c in combos {
                    store.table_mut("combinations").rows.remove(&c);
                }
            }
            "combinations" => {
                let pid = removed.as_ref().map_or(0, |c| c.int("id_product"));
                if let Some(s) = store.stock_row_id(pid, id as i64) {
                    store.table_mut("stock_availables").rows.remove(&s);
                }
                update_default_attribute(store, pid);
                store.resync_product_stock(pid);
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema;

    fn products() -> &'static Resource {
        schema::resource("products").expect("products")
    }

    fn run(store: &mut Store, res: &'static Resource, m: WriteMethod, body: &str) -> Result<Vec<Record>, WsError> {
        let root = parse_body(body)?;
        write(store, res, m, &root, WriteOpts::default())
    }

    fn code(r: Result<Vec<Record>, WsError>) -> (u16, u32) {
        match r {
            Err(WsError::Errors { status, list }) => (status, list[0].0),
            other => panic!("expected an error, got {other:?}"),
        }
    }

    #[test]
    fn post_creates_a_product_with_its_stock_row_and_link_rewrite() {
        let mut s = Store::seeded();
        let out = run(
            &mut s,
            products(),
            WriteMethod::Post,
            "<prestashop><product><price>10</price><name><language id=\"1\">Synced widget</language></name></product></prestashop>",
        )
        .expect("created");
        assert_eq!(out[0].get("id"), "1");
        let stored = s.get("products", 1).expect("stored");
        assert_eq!(stored.get("price"), "10.000000");
        assert_eq!(stored.lang("link_rewrite", 1), "synced-widget");
        assert!(s.stock_row_id(1, 0).is_some());
    }

    #[test]
    fn put_nulls_what_is_absent_and_patch_keeps_it() {
        let mut s = Store::seeded();
        run(&mut s, products(), WriteMethod::Post, "<prestashop><product><price>10</price><reference>R</reference><active>1</active><name><language id=\"1\">N</language></name></product></prestashop>")
            .expect("created");
        run(
            &mut s,
            products(),
            WriteMethod::Patch,
            "<prestashop><product><id>1</id><price>12</price></product></prestashop>",
        )
        .expect("patched");
        let p = s.get("products", 1).expect("p");
        assert_eq!(
            (p.get("price"), p.get("reference"), p.get("active"), p.lang("name", 1)),
            ("12.000000", "R", "1", "N")
        );
        run(
            &mut s,
            products(),
            WriteMethod::Put,
            "<prestashop><product><id>1</id><price>13</price></product></prestashop>",
        )
        .expect("put");
        let p = s.get("products", 1).expect("p");
        assert_eq!(
            (p.get("price"), p.get("reference"), p.get("active"), p.lang("name", 1)),
            ("13.000000", "", "0", "")
        );
    }

    #[test]
    fn write_errors_carry_prestashop_codes() {
        let mut s = Store::seeded();
        let name = "<name><language id=\"1\">X</language></name>";
        run(
            &mut s,
            products(),
            WriteMethod::Post,
            &format!("<prestashop><product><price>1</price>{name}</product></prestashop>"),
        )
        .expect("ok");
        // `modifierWsLinkRewrite` loops over `name`: without it per language, a PHP warning and nothing saved.
        assert_eq!(
            code(run(
                &mut s,
                products(),
                WriteMethod::Post,
                "<prestashop><product><price>1</price></product></prestashop>"
            )),
            (500, 3)
        );
        assert_eq!(
            code(run(
                &mut s,
                products(),
                WriteMethod::Post,
                "<prestashop><product><price>1</price><name>X</name></product></prestashop>"
            )),
            (500, 3)
        );
        assert_eq!(s.table("products").map(|t| t.rows.len()), Some(1));
        let p = "<prestashop><product>";
        assert_eq!(
            code(run(
                &mut s,
                products(),
                WriteMethod::Post,
                &format!("{p}<id>1</id><price>1</price></product></prestashop>")
            )),
            (400, 91)
        );
        assert_eq!(
            code(run(&mut s, products(), WriteMethod::Put, &format!("{p}<price>1</price></product></prestashop>"))),
            (400, 90)
        );
        assert_eq!(
            code(run(&mut s, products(), WriteMethod::Put, &format!("{p}<id>1</id></product></prestashop>"))),
            (400, 41)
        );
        assert_eq!(
            code(run(
                &mut s,
                products(),
                WriteMethod::Put,
                &format!("{p}<id>9</id><price>1</price></product></prestashop>")
            )),
            (404, 92)
        );
        assert_eq!(
            code(run(
                &mut s,
                products(),
                WriteMethod::Put,
                &format!("{p}<id>1</id><quantity>3</quantity><price>1</price></product></prestashop>")
            )),
            (400, 93)
        );
        assert_eq!(
            code(run(
                &mut s,
                products(),
                WriteMethod::Put,
                &format!(
                    "{p}<id>1</id><position_in_category></position_in_category><price>1</price></product></prestashop>"
                )
            )),
            (500, 134)
        );
        assert_eq!(code(run(&mut s, products(), WriteMethod::Patch, "{\"product\":{}}")), (500, 3));
    }

    #[test]
    fn str2url_matches_prestashop() {
        assert_eq!(str2url("Widget synchronisé"), "widget-synchronise");
        assert_eq!(str2url("Mug The best is yet to come"), "mug-the-best-is-yet-to-come");
    }
}
