//! The zero-setup demo: with `[demo] simulate_shops = true`, `hub` starts a simulated PrestaShop 8.2.1 shop
//! (the project's `prestashop-sim`) in its own process for every store whose Webservice is on this machine,
//! seeded with a small catalog (the same references on every shop), so a newcomer sees a sync and an order
//! happen with nothing else installed. Without that setting nothing here runs: production configurations
//! never start a simulated shop.

use std::net::SocketAddr;

use anyhow::{Context, bail};
use prestashop_sim::{SimConfig, Simulator};
use serde::Deserialize;

use crate::settings::{Settings, StoreSettings};
use hub_domain::StoreRole;

/// `[demo]`: what the demo starts.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DemoSettings {
    /// Start a simulated shop for every store whose `webservice.url` is `http://127.0.0.1:<port>`.
    pub simulate_shops: bool,
}

/// A product of the demo catalog: reference, name, price (tax excluded), the source's stock, and the
/// references of its combinations (size S, M, L).
const CATALOG: &[(&str, &str, &str, i64, &[&str])] = &[
    ("WHS-0001", "Mug The best is yet to come", "11.90", 300, &[]),
    ("WHS-0002", "Framed poster", "19.00", 40, &[]),
    ("WHS-0003", "Hummingbird T-shirt", "15.90", 0, &["WHS-0003-S", "WHS-0003-M", "WHS-0003-L"]),
];

/// The simulated shops of a demo run; they stop with it.
pub struct DemoShops {
    shops: Vec<(StoreSettings, Simulator)>,
}

impl DemoShops {
    /// Starts and seeds a shop for each store of `settings` served on 127.0.0.1, when the demo asks for it.
    ///
    /// # Errors
    /// A store URL that is not `http://127.0.0.1:<port>`, or a port already taken.
    pub async fn start(settings: &Settings) -> anyhow::Result<Option<Self>> {
        if !settings.demo.simulate_shops {
            return Ok(None);
        }
        let mut shops = Vec::new();
        for store in settings.stores.iter().filter(|s| s.active) {
            let Some(ws) = &store.webservice else { continue };
            let Some(addr) = ws.url.strip_prefix("http://").map(|a| a.trim_end_matches('/')) else {
                bail!("demo.simulate_shops: store `{}` needs webservice.url = \"http://127.0.0.1:<port>\"", store.code);
            };
            let addr: SocketAddr = addr.parse().with_context(|| {
                format!("demo.simulate_shops: store `{}`: `{}` is not 127.0.0.1:<port>", store.code, ws.url)
            })?;
            let source = store.role == StoreRole::Source;
            let config = SimConfig {
                key: ws.key.expose().to_owned(),
                // The source runs the connector module: it answers the hub's cart-total requests.
                connector_key: source.then(|| store.api_key.expose().to_owned()),
                connector_secret: if source {
                    store.signing_secret.as_ref().map(|s| s.expose().to_owned())
                } else {
                    None
                },
                ..SimConfig::default()
            };
            let sim = Simulator::bind(addr, config)
                .await
                .with_context(|| format!("demo.simulate_shops: cannot serve store `{}` on {addr}", store.code))?;
            seed(&sim, source);
            shops.push((store.clone(), sim));
        }
        Ok(Some(Self { shops }))
    }

    /// Says where everything is: the API, its documentation, the dashboard, and each shop's Webservice.
    pub fn announce(&self, settings: &Settings, port: Option<u16>) {
        let host = settings.server.listen.rsplit_once(':').map_or("127.0.0.1", |(h, _)| h);
        let base = format!("http://{host}:{}", port.unwrap_or_default());
        println!("Fulfillment Hub demo: one process, SQLite files, simulated PrestaShop shops.");
        println!("  API           {base}/api/sync/product, {base}/api/sync/order");
        println!("  Swagger UI    {base}/api/documentation");
        if let Some(token) = &settings.server.admin_token {
            println!("  dashboard     {base}/dashboard   (demo token: {})", token.expose());
        }
        for (store, sim) in &self.shops {
            println!(
                "  {:<13} {} ({}), Webservice {}/api/  key {}",
                store.code,
                if store.role == StoreRole::Source { "wholesaler shop" } else { "retailer shop" },
                store.role,
                sim.base_url().trim_end_matches('/'),
                sim.key()
            );
        }
        println!("  Every key above is a demo value: never reuse them.");
    }
}

/// The demo catalog: on the source with its stock, on a client with the same references, a price of its
/// own and nothing in stock (the hub fills it in).
fn seed(sim: &Simulator, source: bool) {
    let groups = [("Size", "select")];
    for (name, kind) in groups {
        sim.admin_call(
            "POST",
            "product_options",
            Some(&format!(
                "<prestashop><product_option><is_color_group>0</is_color_group><group_type>{kind}</group_type>\
                 <name><language id=\"1\">{name}</language></name><public_name><language id=\"1\">{name}</language>\
                 </public_name></product_option></prestashop>"
            )),
        );
    }
    let mut values = Vec::new();
    for size in ["S", "M", "L"] {
        let (_, body) = sim.admin_call(
            "POST",
            "product_option_values?output_format=JSON",
            Some(&format!(
                "<prestashop><product_option_value><id_attribute_group>1</id_attribute_group>\
                 <name><language id=\"1\">{size}</language></name></product_option_value></prestashop>"
            )),
        );
        values.push(id_of(&body, "product_option_value"));
    }
    for (reference, name, price, stock, combinations) in CATALOG {
        let price = if source { (*price).to_owned() } else { "1.00".to_owned() };
        let product = sim.seed_product(reference, name, &price, if source { *stock } else { 0 });
        for (combination, value) in combinations.iter().zip(&values) {
            let (_, body) = sim.admin_call(
                "POST",
                "combinations?output_format=JSON",
                Some(&format!(
                    "<prestashop><combination><id_product>{product}</id_product><reference>{combination}</reference>\
                     <minimal_quantity>1</minimal_quantity><associations><product_option_values><product_option_value>\
                     <id>{value}</id></product_option_value></product_option_values></associations></combination></prestashop>"
                )),
            );
            if source {
                sim.seed_stock(product, id_of(&body, "combination"), 25);
            }
        }
    }
}

fn id_of(body: &str, resource: &str) -> u64 {
    let v: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    match &v[resource]["id"] {
        serde_json::Value::String(s) => s.parse().unwrap_or_default(),
        other => other.as_u64().unwrap_or_default(),
    }
}
