//! Test support: a simulator with the keys of the captured shop, an HTTP client, and the state the
//! captures depend on (a demo-like catalog, customers, carts and orders), created through the API.

use std::time::Duration;

use prestashop_sim::{KeySpec, SimConfig, Simulator};

/// The captured shop's full key; the simulators of these tests use it as their main key.
pub const HUB_KEY: &str = "HUBKEY0123456789ABCDEFGHIJKLMNOP";
/// Only `products` GET.
pub const READONLY_KEY: &str = "READONLYKEY456789ABCDEFGHIJKLMNO";
/// Known but inactive.
pub const INACTIVE_KEY: &str = "INACTIVEKEY456789ABCDEFGHIJKLMNO";

/// A simulator and a client for it.
pub struct Shop {
    pub sim: Simulator,
    pub http: reqwest::Client,
}

/// An answer, fully read.
#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// An answer's headers as (name, value) text pairs.
pub fn headers_of(r: &reqwest::Response) -> Vec<(String, String)> {
    r.headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
        .collect()
}

impl Resp {
    /// Status, headers and body text of an answer.
    pub async fn read(r: reqwest::Response) -> Self {
        let (status, headers) = (r.status().as_u16(), headers_of(&r));
        Resp { status, headers, body: r.text().await.unwrap_or_default() }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The first `<id>` of an XML answer, or the `id` of a JSON one.
    pub fn id(&self) -> u64 {
        if let Some(rest) = self.body.split("<id><![CDATA[").nth(1) {
            return rest.split(']').next().and_then(|s| s.parse().ok()).unwrap_or(0);
        }
        let v: serde_json::Value = serde_json::from_str(&self.body).unwrap_or_default();
        let obj = v.as_object().and_then(|o| o.values().next()).cloned().unwrap_or_default();
        match &obj["id"] {
            serde_json::Value::Number(n) => n.as_u64().unwrap_or(0),
            serde_json::Value::String(s) => s.parse().unwrap_or(0),
            _ => 0,
        }
    }

    /// The value of the first `<name>` element of an XML answer (CDATA unwrapped).
    pub fn field(&self, name: &str) -> String {
        let open = format!("<{name}");
        let Some(start) = self.body.find(&open) else { return String::new() };
        let rest = &self.body[start..];
        let Some(gt) = rest.find('>') else { return String::new() };
        let inner = &rest[gt + 1..];
        let end = inner.find(&format!("</{name}>")).unwrap_or(0);
        inner[..end].trim_start_matches("<![CDATA[").trim_end_matches("]]>").to_owned()
    }

    /// Error codes of an XML or JSON error body.
    pub fn codes(&self) -> Vec<u32> {
        if self.body.trim_start().starts_with('{') {
            let v: serde_json::Value = serde_json::from_str(&self.body).unwrap_or_default();
            return v["errors"]
                .as_array()
                .map(|a| a.iter().filter_map(|e| e["code"].as_u64()).map(|c| c as u32).collect())
                .unwrap_or_default();
        }
        self.body
            .split("<code><![CDATA[")
            .skip(1)
            .filter_map(|s| s.split(']').next().and_then(|c| c.parse().ok()))
            .collect()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// How a request authenticates.
#[derive(Debug, Clone, Copy)]
pub enum Auth<'a> {
    None,
    Basic(&'a str),
}

pub fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().timeout(Duration::from_secs(20)).build().expect("client")
}

impl Shop {
    /// A fresh simulator whose main key is the captured shop's, plus its read-only and inactive keys.
    pub async fn new() -> Self {
        let config = SimConfig {
            key: HUB_KEY.to_owned(),
            keys: vec![KeySpec::new(READONLY_KEY).allow("products", &["GET"]), KeySpec::new(INACTIVE_KEY).inactive()],
            ..SimConfig::default()
        };
        Self::with_config(config).await
    }

    /// [`Shop::new`] with French added as language 2, as the captured shops have it (`Language::add`: the
    /// records it holds get their English values in French).
    pub async fn bilingual() -> Self {
        let shop = Self::new().await;
        assert_eq!(shop.sim.add_language("fr", "Français (French)"), 2);
        shop
    }

    /// A fresh simulator with `config`.
    pub async fn with_config(config: SimConfig) -> Self {
        Self { sim: Simulator::start(config).await.expect("simulator starts"), http: client() }
    }

    pub fn url(&self, path_and_query: &str) -> String {
        format!("{}{path_and_query}", self.sim.base_url())
    }

    /// Sends one request and reads the whole answer.
    pub async fn call(
        &self,
        method: &str,
        path_and_query: &str,
        body: Option<&str>,
        headers: &[(&str, &str)],
        auth: Auth<'_>,
    ) -> Resp {
        let m = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = self.http.request(m, self.url(path_and_query));
        if let Auth::Basic(k) = auth {
            req = req.basic_auth(k, Some(""));
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req.body(b.to_owned());
        }
        let r = req.send().await.unwrap_or_else(|e| panic!("{method} {path_and_query}: {e}"));
        Resp::read(r).await
    }

    pub async fn get(&self, pq: &str) -> Resp {
        self.call("GET", pq, None, &[], Auth::Basic(HUB_KEY)).await
    }

    pub async fn send(&self, method: &str, pq: &str, body: &str) -> Resp {
        self.call(method, pq, Some(body), &[], Auth::Basic(HUB_KEY)).await
    }

    /// POSTs `<prestashop><{singular}>{inner}</{singular}></prestashop>` and returns the new id.
    pub async fn create(&self, resource: &str, singular: &str, inner: &str) -> u64 {
        let body = format!("<prestashop><{singular}>{inner}</{singular}></prestashop>");
        let r = self.send("POST", &format!("/api/{resource}"), &body).await;
        assert_eq!(r.status, 201, "POST {resource}: {}", r.body);
        r.id()
    }

    /// PATCHes one field of one object.
    pub async fn patch(&self, resource: &str, singular: &str, id: u64, inner: &str) {
        let body = format!("<prestashop><{singular}><id>{id}</id>{inner}</{singular}></prestashop>");
        let r = self.send("PATCH", &format!("/api/{resource}/{id}"), &body).await;
        assert_eq!(r.status, 200, "PATCH {resource}/{id}: {}", r.body);
    }

    /// Sets the quantity of a stock row.
    pub async fn set_stock(&self, id: u64, quantity: i64) {
        self.patch("stock_availables", "stock_available", id, &format!("<quantity>{quantity}</quantity>")).await;
    }

    /// The quantity of a product's (or combination's) stock row, read through the API.
    pub async fn stock_of(&self, id_product: u64, id_attr: u64) -> i64 {
        let r = self
            .get(&format!(
                "/api/stock_availables?filter[id_product]=[{id_product}]&filter[id_product_attribute]=[{id_attr}]&display=[quantity]"
            ))
            .await;
        r.field("quantity").parse().unwrap_or_else(|_| panic!("no stock row: {}", r.body))
    }
}

/// A file of `tests/contract/bodies`.
pub fn body_file(name: &str) -> String {
    let path = format!("{}/tests/contract/bodies/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A simple product body.
pub fn product_xml(name: &str, reference: &str, price: &str, category: u32) -> String {
    format!(
        "<id_category_default>{category}</id_category_default><id_tax_rules_group>1</id_tax_rules_group>\
         <reference>{reference}</reference><price>{price}</price><active>1</active><state>1</state>\
         <minimal_quantity>1</minimal_quantity><available_for_order>1</available_for_order><show_price>1</show_price>\
         <visibility>both</visibility><product_type>standard</product_type><redirect_type>301-category</redirect_type>\
         <name><language id=\"1\">{name}</language></name>\
         <associations><categories><category><id>2</id></category><category><id>{category}</id></category></categories></associations>"
    )
}

/// Product 6 as the captured shop holds it: its own GET, less `id` and the read-only fields; `image`,
/// `reference` and `name` replace its own.
pub fn product6_xml(image: u32, reference: &str, name: &str) -> String {
    let full = body_file("p6_get.xml");
    let start = full.find("<product>").map_or(0, |i| i + "<product>".len());
    let end = full.rfind("</product>").unwrap_or(full.len());
    let inner = full[start..end].replacen("\t<id><![CDATA[6]]></id>\n", "", 1);
    let kept: Vec<&str> =
        inner.lines().filter(|l| !l.contains("<manufacturer_name") && !l.contains("<quantity notFilterable")).collect();
    kept.join("\n").replace("demo_11", reference).replace("Mug The best is yet to come", name).replace(
        "images/products/6/6\">\n\t<id><![CDATA[6]]>",
        &format!("images/products/6/{image}\">\n\t<id><![CDATA[{image}]]>"),
    )
}

const CATALOG: &[(&str, &str, &str, u32)] = &[
    ("Hummingbird printed t-shirt", "demo_1", "23.900000", 4),
    ("Hummingbird printed sweater", "demo_3", "35.900000", 5),
    ("The best is yet to come' Framed poster", "demo_6", "29.000000", 9),
    ("The adventure begins Framed poster", "demo_5", "29.000000", 9),
    ("Today is a good day Framed poster", "demo_7", "29.000000", 9),
    ("", "", "", 8),
    ("", "", "", 8),
    ("Mug Today is a good day", "demo_13", "11.900000", 8),
    ("Mountain fox cushion", "demo_15", "18.900000", 8),
    ("Brown bear cushion", "demo_16", "18.900000", 8),
    ("Hummingbird cushion", "demo_17", "18.900000", 8),
    ("Mountain fox - Vector graphics", "demo_18", "9.000000", 9),
    ("Brown bear - Vector graphics", "demo_19", "9.000000", 9),
    ("Hummingbird - Vector graphics", "demo_20", "9.000000", 9),
    ("Pack Mug + Framed poster", "demo_21", "35.000000", 8),
    ("Mountain fox notebook", "demo_8", "12.900000", 7),
    ("Brown bear notebook", "demo_9", "12.900000", 7),
    ("Hummingbird notebook", "demo_10", "12.900000", 7),
    ("Customizable mug", "demo_14", "13.900000", 8),
];

/// A catalog shaped like PrestaShop's demo data, with the same ids where the captures name them:
/// products 1–19 (stock rows 1–19), product 6 identical to the captured one, product 1 with eight
/// combinations (stock rows 20–27) and product 2 with four (rows 28–31), sizes and colours.
pub async fn demo_catalog(shop: &Shop) {
    for (name, public, kind, color) in [
        ("Size", "Size", "select", 0),
        ("Color", "Color", "color", 1),
        ("Dimension", "Dimension", "select", 0),
        ("Paper Type", "Paper Type", "select", 0),
    ] {
        shop.create(
            "product_options",
            "product_option",
            &format!(
                "<is_color_group>{color}</is_color_group><group_type>{kind}</group_type>\
                 <name><language id=\"1\">{name}</language></name><public_name><language id=\"1\">{public}</language></public_name>"
            ),
        )
        .await;
    }
    for (group, name) in [
        (1, "S"),
        (1, "M"),
        (1, "L"),
        (1, "XL"),
        (2, "Grey"),
        (2, "Taupe"),
        (2, "Beige"),
        (2, "White"),
        (2, "Off White"),
        (2, "Red"),
        (2, "Black"),
    ] {
        shop.create(
            "product_option_values",
            "product_option_value",
            &format!(
                "<id_attribute_group>{group}</id_attribute_group><name><language id=\"1\">{name}</language></name>"
            ),
        )
        .await;
    }
    for (i, (name, reference, price, cat)) in CATALOG.iter().enumerate() {
        let id = i + 1;
        let inner = match id {
            6 => product6_xml(6, "demo_11", "Mug The best is yet to come"),
            7 => product6_xml(7, "demo_12", "Mug The adventure begins"),
            1 => product_xml(name, reference, price, *cat).replace(
                "</categories>",
                "<category><id>3</id></category></categories><images><image><id>1</id></image><image><id>2</id></image></images>\
                 <product_features><product_feature><id>1</id><id_feature_value>4</id_feature_value></product_feature>\
                 <product_feature><id>2</id><id_feature_value>8</id_feature_value></product_feature></product_features>",
            ),
            _ => product_xml(name, reference, price, *cat),
        };
        let got = shop.create("products", "product", &inner).await;
        assert_eq!(got, id as u64);
    }
    for (i, (size, color)) in [(1, 8), (1, 11), (2, 8), (2, 11), (3, 8), (3, 11), (4, 8), (4, 11)].iter().enumerate() {
        shop.create(
            "combinations",
            "combination",
            &format!(
                "<id_product>1</id_product><reference>demo_1</reference><minimal_quantity>1</minimal_quantity>\
                 <default_on>{}</default_on><associations><product_option_values>\
                 <product_option_value><id>{size}</id></product_option_value><product_option_value><id>{color}</id></product_option_value>\
                 </product_option_values><images><image><id>{}</id></image></images></associations>",
                u8::from(i == 0),
                if i % 2 == 0 { 2 } else { 1 }
            ),
        )
        .await;
    }
    for size in 1..=4 {
        shop.create(
            "combinations",
            "combination",
            &format!(
                "<id_product>2</id_product><reference>demo_3</reference><minimal_quantity>1</minimal_quantity>\
                 <associations><product_option_values><product_option_value><id>{size}</id></product_option_value>\
                 </product_option_values></associations>"
            ),
        )
        .await;
    }
    for row in 20..=27 {
        shop.set_stock(row, 300).await;
    }
    for (row, q) in [(28, 1200), (29, 300), (30, 300), (31, 300)] {
        shop.set_stock(row, q).await;
    }
    for (row, q) in [(3, 1500), (4, 1500), (16, 1200), (17, 1200), (18, 1200)] {
        shop.set_stock(row, q).await;
    }
    for row in [5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 19] {
        shop.set_stock(row, 300).await;
    }
}

/// An order body for `cart` paid `total`.
pub fn order_xml(cart: u64, total: &str) -> String {
    format!(
        "<prestashop><order><id_address_delivery>7</id_address_delivery><id_address_invoice>7</id_address_invoice>\
         <id_cart>{cart}</id_cart><id_currency>1</id_currency><id_lang>1</id_lang><id_customer>3</id_customer>\
         <id_carrier>2</id_carrier><module>ps_wirepayment</module><payment>Bank wire</payment>\
         <total_paid>{total}</total_paid><total_paid_real>{total}</total_paid_real><total_products>{total}</total_products>\
         <total_products_wt>{total}</total_products_wt><conversion_rate>1</conversion_rate></order></prestashop>"
    )
}

/// The captured order scenario: the demo catalog priced as during the capture (product 6 at 13.00,
/// product 1 at 19.12), customer 3, address 7, carts 6 and 7 (two mugs and one t-shirt, no
/// `delivery_option`) and cart 8 (same rows, carrier 2 chosen), with filler records so that the ids
/// match; orders 1–5 exist; then the carts in `place` are ordered in turn (6 with a wrong total, 7 with
/// the right one, 8 with the right products total but carrier 2).
pub async fn order_flow(shop: &Shop, place: &[u64]) {
    demo_catalog(shop).await;
    shop.patch("products", "product", 6, "<price>13.000000</price>").await;
    shop.patch("products", "product", 1, "<price>19.120000</price>").await;
    for n in 1..=2 {
        shop.create(
            "customers",
            "customer",
            &format!("<passwd>x12345678</passwd><lastname>Filler</lastname><firstname>Customer</firstname><email>filler{n}@example.com</email>"),
        )
        .await;
    }
    let customer = body_file("customer_post.xml");
    let r = shop.send("POST", "/api/customers", &customer).await;
    assert_eq!(r.id(), 3, "{}", r.body);
    for _ in 1..=6 {
        shop.create(
            "addresses",
            "address",
            "<id_customer>1</id_customer><id_country>8</id_country><alias>Filler</alias><lastname>Filler</lastname>\
             <firstname>Address</firstname><address1>1 rue</address1><city>Paris</city>",
        )
        .await;
    }
    let r = shop.send("POST", "/api/addresses", &body_file("address_post.xml")).await;
    assert_eq!(r.id(), 7, "{}", r.body);
    for _ in 1..=5 {
        shop.create(
            "carts",
            "cart",
            "<id_address_delivery>7</id_address_delivery><id_address_invoice>7</id_address_invoice><id_currency>1</id_currency>\
             <id_customer>3</id_customer><id_lang>1</id_lang><associations><cart_rows><cart_row><id_product>6</id_product>\
             <id_product_attribute>0</id_product_attribute><id_address_delivery>7</id_address_delivery><quantity>1</quantity>\
             </cart_row></cart_rows></associations>",
        )
        .await;
    }
    for (file, want) in [("cart_post.xml", 6), ("cart_post.xml", 7), ("cart_post_delivery_option.xml", 8)] {
        let r = shop.send("POST", "/api/carts", &body_file(file)).await;
        assert_eq!(r.id(), want, "{}", r.body);
    }
    for cart in 1..=5 {
        let r = shop.send("POST", "/api/orders", &order_xml(cart, "15.60")).await;
        assert_eq!((r.status, r.id()), (201, cart), "{}", r.body);
    }
    for &cart in place {
        let total = if cart == 6 { "1.00" } else { "54.14" };
        let r = shop.send("POST", "/api/orders", &order_xml(cart, total)).await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
}
