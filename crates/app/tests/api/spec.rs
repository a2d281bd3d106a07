//! The published OpenAPI document.

use hub_app::Mode;
use serde_json::Value;

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_lists_both_webhooks_the_key_scheme_and_every_error() {
    let env = Env::new(Backend::Sqlite).await;
    let api = env.spawn(Mode::Api).await;
    let resp = api.http.get(format!("{}/api/openapi.json", api.base)).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let spec: Value = resp.json().await.unwrap();
    assert!(spec["openapi"].as_str().unwrap().starts_with("3."));
    let schemes = &spec["components"]["securitySchemes"];
    let scheme = schemes.as_object().unwrap().values().next().expect("a security scheme");
    assert_eq!(scheme["type"], "apiKey");
    assert_eq!(scheme["in"], "header");
    assert_eq!(scheme["name"], "X-API-KEY");
    for path in ["/api/sync/product", "/api/sync/order", "/api/sync/order-status"] {
        let op = &spec["paths"][path]["post"];
        assert!(op.is_object(), "{path} documented");
        assert!(op["requestBody"]["content"]["application/json"]["schema"]["$ref"].is_string(), "{path} body");
        assert!(op["security"].as_array().is_some_and(|s| !s.is_empty()), "{path} security");
        for code in ["202", "401", "403", "413", "415", "422", "503"] {
            assert!(op["responses"][code].is_object(), "{path} documents {code}");
        }
        assert!(
            op["responses"]["422"]["content"]["application/json"]["schema"]["$ref"]
                .as_str()
                .is_some_and(|r| r.ends_with("ErrorResponse"))
        );
    }
    // The order link answers 404 for an unknown store or order, besides the errors of every keyed call.
    let order = &spec["paths"]["/api/orders/{client_store}/{client_order_id}"]["get"];
    assert!(order.is_object(), "the order link is documented");
    assert!(order["security"].as_array().is_some_and(|s| !s.is_empty()), "the order link needs a key");
    for code in ["200", "401", "403", "404", "503"] {
        assert!(order["responses"][code].is_object(), "the order link documents {code}");
    }
    assert!(
        order["responses"]["404"]["content"]["application/json"]["schema"]["$ref"]
            .as_str()
            .is_some_and(|r| r.ends_with("ErrorResponse")),
        "its 404 is the JSON error"
    );
    // "Where is my SKU?": keyed, 404 for a reference the hub does not know.
    let sku = &spec["paths"]["/api/skus/{reference}"]["get"];
    assert!(sku.is_object(), "the SKU report is documented");
    assert!(sku["security"].as_array().is_some_and(|s| !s.is_empty()), "the SKU report needs a key");
    for code in ["200", "401", "404", "503"] {
        assert!(sku["responses"][code].is_object(), "the SKU report documents {code}");
    }
    assert!(
        sku["responses"]["404"]["content"]["application/json"]["schema"]["$ref"]
            .as_str()
            .is_some_and(|r| r.ends_with("ErrorResponse")),
        "its 404 is the JSON error"
    );
    let schemas = spec["components"]["schemas"].as_object().unwrap();
    let report = schemas.iter().find(|(k, _)| k.ends_with("SkuResponse")).map(|(_, v)| v).expect("SKU schema");
    let client_row = &report["properties"]["clients"]["items"];
    assert!(client_row.is_object(), "{report}");
    for field in ["status", "note", "client_product_id", "combinations", "applied", "pending"] {
        assert!(client_row["properties"][field].is_object(), "a client row shows {field}");
    }
    for name in ["ProductEventBody", "OrderEventBody", "OrderStatusEventBody", "ErrorResponse", "AcceptedResponse"] {
        assert!(schemas.keys().any(|k| k.ends_with(name)), "schema {name}");
    }
    // The source's status report: its sequence is required, what an order may lack is nullable.
    let status = &spec["components"]["schemas"]["OrderStatusEventBody"];
    assert!(status["required"].as_array().unwrap().iter().any(|f| f == "sequence"), "{status}");
    for field in ["tracking_number", "carrier_id", "cart_id", "state_name", "updated_at"] {
        assert_eq!(status["properties"]["order"]["properties"][field]["nullable"], true, "order.{field} nullable");
    }
    // The validation rules garde enforces are published too.
    let product = &spec["components"]["schemas"]["ProductEventBody"]["properties"]["product"];
    assert!(product["properties"]["price"]["pattern"].is_string());
    assert_eq!(product["properties"]["reference"]["maxLength"], 64);
    assert!(!product["required"].as_array().unwrap().iter().any(|f| f == "combinations"));
    let lines = &spec["components"]["schemas"]["OrderEventBody"]["properties"]["order"]["properties"]["lines"];
    assert_eq!(lines["minItems"], 1);
    assert_eq!(lines["items"]["properties"]["quantity"]["minimum"], 1);
    // The order contract's optional extensions: a line's combination and product reference, the carrier.
    let line = &lines["items"];
    let combination = &line["properties"]["combination"];
    assert!(combination.is_object(), "a line's combination is documented: {line}");
    assert!(combination["properties"]["attributes"].is_object(), "{combination}");
    assert_eq!(combination["properties"]["ean13"]["maxLength"], 13);
    assert!(line["properties"]["product_reference"].is_object());
    let optional =
        |schema: &Value, field: &str| !schema["required"].as_array().is_some_and(|r| r.iter().any(|f| f == field));
    assert!(optional(line, "combination") && optional(line, "product_reference"), "old bodies stay valid");
    let order_body = &spec["components"]["schemas"]["OrderEventBody"]["properties"]["order"];
    assert!(order_body["properties"]["carrier_id"].is_object() && optional(order_body, "carrier_id"));
    let link = schemas.iter().find(|(k, _)| k.ends_with("OrderLinkResponse")).map(|(_, v)| v).expect("link schema");
    for field in ["carrier_id", "carrier_name", "shipping_tax_incl", "error", "source_reference"] {
        assert!(link["properties"][field].is_object(), "the order link shows {field}");
        assert!(optional(link, field), "{field} is optional");
    }
    let error = &spec["components"]["schemas"]["ErrorResponse"]["properties"]["error"];
    assert!(!error["required"].as_array().unwrap().iter().any(|f| f == "fields"), "fields is only sent for 422");

    let swagger = api.http.get(format!("{}/api/documentation", api.base)).send().await.unwrap();
    assert_eq!(swagger.status(), 200);
    // Kept for .ci/run, which validates it with an OpenAPI validator.
    let out = binary("openapi.json");
    std::fs::write(out, serde_json::to_string_pretty(&spec).unwrap()).unwrap();
    api.stop().await;
}
