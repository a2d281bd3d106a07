//! The published OpenAPI document: paperclip's, plus the validation rules it cannot read from garde
//! (lengths, patterns, bounds, formats), the fields the server treats as optional, and the error answers
//! of one operation only (paperclip gives every operation the codes listed on `ApiError`), so a body that
//! matches the document is one the API accepts and every answer an operation gives is documented.

use serde_json::{Value, json};

const MONEY: &str = r"^[0-9]{1,14}(\.[0-9]{1,6})?$";
const EVENT_ID: &str = "^[A-Za-z0-9._:-]{8,64}$";

/// Walks `schema` through `properties` (and `items` for `[]`) along `path`.
fn at<'a>(spec: &'a mut Value, schema: &str, path: &[&str]) -> Option<&'a mut Value> {
    let mut cur = spec.get_mut("components")?.get_mut("schemas")?.get_mut(schema)?;
    for step in path {
        cur = if *step == "[]" { cur.get_mut("items")? } else { cur.get_mut("properties")?.get_mut(*step)? };
    }
    Some(cur)
}

fn merge(spec: &mut Value, schema: &str, path: &[&str], rules: Value) {
    if let (Some(target), Value::Object(rules)) = (at(spec, schema, path), rules)
        && let Some(obj) = target.as_object_mut()
    {
        obj.extend(rules);
    }
}

/// Removes `fields` from the `required` list of the object at `path`.
fn optional(spec: &mut Value, schema: &str, path: &[&str], fields: &[&str]) {
    if let Some(req) = at(spec, schema, path).and_then(|o| o.get_mut("required")).and_then(Value::as_array_mut) {
        req.retain(|f| !fields.iter().any(|x| f == x));
    }
}

/// Documents the JSON error `code` of the operation `method path` (when the document has it).
fn error_response(spec: &mut Value, path: &str, method: &str, code: &str, description: &str) {
    let Some(responses) = spec
        .get_mut("paths")
        .and_then(|p| p.get_mut(path))
        .and_then(|p| p.get_mut(method))
        .and_then(|op| op.get_mut("responses"))
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    responses.insert(
        code.to_owned(),
        json!({
            "description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}
        }),
    );
}

/// Adds what paperclip cannot know to the generated document.
pub fn annotate(mut spec: Value) -> Value {
    error_response(
        &mut spec,
        "/api/orders/{client_store}/{client_order_id}",
        "get",
        "404",
        "No such client store, or no order with that id from it",
    );
    error_response(&mut spec, "/api/skus/{reference}", "get", "404", "The hub has no source state of this reference");

    let p = "ProductEventBody";
    merge(&mut spec, p, &["event_id"], json!({"minLength": 8, "maxLength": 64, "pattern": EVENT_ID}));
    merge(&mut spec, p, &["occurred_at"], json!({"format": "date-time"}));
    merge(&mut spec, p, &["sequence"], json!({"minimum": 0}));
    merge(&mut spec, p, &["product", "reference"], json!({"minLength": 1, "maxLength": 64}));
    merge(&mut spec, p, &["product", "name"], json!({"maxLength": 255}));
    merge(&mut spec, p, &["product", "price"], json!({"pattern": MONEY, "example": "11.90"}));
    merge(&mut spec, p, &["product", "updated_at"], json!({"format": "date-time"}));
    merge(&mut spec, p, &["product", "combinations", "[]", "reference"], json!({"maxLength": 64}));
    merge(&mut spec, p, &["product", "combinations", "[]", "ean13"], json!({"maxLength": 13}));
    optional(&mut spec, p, &["product"], &["name", "combinations"]);
    optional(&mut spec, p, &["product", "combinations", "[]"], &["attributes"]);

    let o = "OrderEventBody";
    merge(&mut spec, o, &["event_id"], json!({"minLength": 8, "maxLength": 64, "pattern": EVENT_ID}));
    merge(&mut spec, o, &["occurred_at"], json!({"format": "date-time"}));
    merge(&mut spec, o, &["sequence"], json!({"minimum": 0}));
    merge(&mut spec, o, &["order", "reference"], json!({"minLength": 1, "maxLength": 32}));
    merge(&mut spec, o, &["order", "currency"], json!({"pattern": "^[A-Za-z]{3}$", "example": "EUR"}));
    merge(&mut spec, o, &["order", "lines"], json!({"minItems": 1, "maxItems": 500}));
    merge(&mut spec, o, &["order", "lines", "[]", "reference"], json!({"minLength": 1, "maxLength": 64}));
    merge(&mut spec, o, &["order", "lines", "[]", "quantity"], json!({"minimum": 1, "maximum": 100_000}));
    merge(&mut spec, o, &["order", "lines", "[]", "unit_price_tax_incl"], json!({"pattern": MONEY}));
    merge(&mut spec, o, &["order", "lines", "[]", "product_reference"], json!({"maxLength": 64}));
    // The connector sends null for a combination without a reference or EAN13 of its own, and may send a
    // null combination for a simple product: the server takes null as absent.
    merge(&mut spec, o, &["order", "lines", "[]", "combination"], json!({"nullable": true}));
    merge(
        &mut spec,
        o,
        &["order", "lines", "[]", "combination", "reference"],
        json!({"maxLength": 64, "nullable": true}),
    );
    merge(&mut spec, o, &["order", "lines", "[]", "combination", "ean13"], json!({"maxLength": 13, "nullable": true}));
    merge(
        &mut spec,
        o,
        &["order", "lines", "[]", "combination", "attributes"],
        json!({"maxProperties": 50, "example": {"Size": "M", "Color": "Black"}}),
    );
    optional(&mut spec, o, &["order", "lines", "[]", "combination"], &["attributes"]);
    merge(&mut spec, o, &["order", "carrier_id"], json!({"minimum": 0}));
    merge(&mut spec, o, &["order", "total_paid_tax_incl"], json!({"pattern": MONEY}));
    merge(&mut spec, o, &["order", "placed_at"], json!({"format": "date-time"}));
    merge(&mut spec, o, &["order", "state"], json!({"maxLength": 32}));
    merge(&mut spec, o, &["order", "customer", "email"], json!({"format": "email", "maxLength": 255}));
    for name in ["firstname", "lastname"] {
        merge(&mut spec, o, &["order", "customer", name], json!({"minLength": 1, "maxLength": 255}));
        merge(&mut spec, o, &["order", "delivery_address", name], json!({"minLength": 1, "maxLength": 255}));
    }
    let address = [
        ("company", 0, 255),
        ("address1", 1, 128),
        ("address2", 0, 128),
        ("postcode", 0, 12),
        ("city", 1, 64),
        ("phone", 0, 32),
    ];
    for (name, min, max) in address {
        merge(&mut spec, o, &["order", "delivery_address", name], json!({"minLength": min, "maxLength": max}));
    }
    merge(
        &mut spec,
        o,
        &["order", "delivery_address", "country"],
        json!({"pattern": "^[A-Za-z]{2}$", "example": "ES"}),
    );
    optional(&mut spec, o, &["order", "delivery_address"], &["company", "address2", "postcode", "phone"]);

    let t = "OrderStatusEventBody";
    merge(&mut spec, t, &["event_id"], json!({"minLength": 8, "maxLength": 64, "pattern": EVENT_ID}));
    merge(&mut spec, t, &["occurred_at"], json!({"format": "date-time"}));
    merge(&mut spec, t, &["sequence"], json!({"minimum": 1}));
    merge(&mut spec, t, &["order", "id"], json!({"minimum": 1}));
    merge(&mut spec, t, &["order", "reference"], json!({"minLength": 1, "maxLength": 32}));
    merge(&mut spec, t, &["order", "state"], json!({"pattern": "^[0-9]{1,10}$", "example": "4"}));
    // The connector sends null for what the order lacks (no tracking number yet, no carrier, a state
    // without a name in the shop's language): the server takes null as absent.
    merge(&mut spec, t, &["order", "cart_id"], json!({"minimum": 0, "nullable": true}));
    merge(&mut spec, t, &["order", "carrier_id"], json!({"minimum": 0, "nullable": true}));
    merge(&mut spec, t, &["order", "state_name"], json!({"maxLength": 64, "nullable": true}));
    merge(&mut spec, t, &["order", "tracking_number"], json!({"maxLength": 64, "nullable": true}));
    merge(&mut spec, t, &["order", "updated_at"], json!({"format": "date-time", "nullable": true}));

    let r = "OrderLinkResponse";
    for field in [
        "source_order_id",
        "source_reference",
        "source_state",
        "source_state_name",
        "source_stage",
        "client_state",
        "client_stage",
        "tracking_number",
        "status_updated_at",
        "attention",
        "error",
    ] {
        merge(&mut spec, r, &[field], json!({"nullable": true}));
    }
    spec
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_land_on_the_nested_fields_and_optional_fields_leave_required() {
        let spec = json!({"components": {"schemas": {"ProductEventBody": {"properties": {
            "event_id": {"type": "string"},
            "product": {"properties": {"price": {"type": "string"}, "name": {"type": "string"}}, "required": ["name", "price"]}
        }}}}});
        let out = annotate(spec);
        let p = &out["components"]["schemas"]["ProductEventBody"]["properties"];
        assert_eq!(p["product"]["properties"]["price"]["pattern"], MONEY);
        assert_eq!(p["event_id"]["maxLength"], 64);
        assert_eq!(p["product"]["required"], json!(["price"]));
    }

    #[test]
    fn the_order_link_documents_its_404_as_the_json_error() {
        let path = "/api/orders/{client_store}/{client_order_id}";
        let spec = json!({"paths": {path: {"get": {"responses": {"200": {"description": "OK"}}}}}});
        let out = annotate(spec);
        let responses = &out["paths"][path]["get"]["responses"];
        assert_eq!(responses["200"]["description"], "OK");
        assert_eq!(
            responses["404"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/ErrorResponse"
        );
    }
}
