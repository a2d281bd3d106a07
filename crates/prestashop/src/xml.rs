//! The XML the Webservice takes (input is XML only) and its error bodies, with quick-xml: no hand-made
//! string parsing.

use std::io::Cursor;

use quick_xml::{
    Reader, Writer,
    events::{BytesEnd, BytesStart, BytesText, Event},
};

/// A piece of a Webservice body: a field with its value, or an element holding others (associations).
#[derive(Debug, Clone)]
pub enum Node {
    /// `<name>value</name>`, the value escaped.
    Field(&'static str, String),
    /// `<name>…children…</name>`.
    Group(&'static str, Vec<Node>),
    /// A language field: `<name><language id="1">value</language>…</name>`.
    Lang(&'static str, Vec<(u64, String)>),
}

fn write_nodes(w: &mut Writer<Cursor<Vec<u8>>>, nodes: &[Node]) {
    for node in nodes {
        // Writing into a Vec cannot fail.
        match node {
            Node::Field(name, value) => {
                let _ = w.write_event(Event::Start(BytesStart::new(*name)));
                let _ = w.write_event(Event::Text(BytesText::new(value)));
                let _ = w.write_event(Event::End(BytesEnd::new(*name)));
            }
            Node::Group(name, children) => {
                let _ = w.write_event(Event::Start(BytesStart::new(*name)));
                write_nodes(w, children);
                let _ = w.write_event(Event::End(BytesEnd::new(*name)));
            }
            Node::Lang(name, values) => {
                let _ = w.write_event(Event::Start(BytesStart::new(*name)));
                for (id, value) in values {
                    let id = id.to_string();
                    let _ =
                        w.write_event(Event::Start(BytesStart::new("language").with_attributes([("id", id.as_str())])));
                    let _ = w.write_event(Event::Text(BytesText::new(value)));
                    let _ = w.write_event(Event::End(BytesEnd::new("language")));
                }
                let _ = w.write_event(Event::End(BytesEnd::new(*name)));
            }
        }
    }
}

/// `<prestashop><{resource}>{nodes}</{resource}></prestashop>`.
pub fn document(resource: &'static str, nodes: Vec<Node>) -> String {
    let mut w = Writer::new(Cursor::new(Vec::new()));
    write_nodes(&mut w, &[Node::Group("prestashop", vec![Node::Group(resource, nodes)])]);
    String::from_utf8(w.into_inner().into_inner()).unwrap_or_default()
}

/// `<prestashop><{resource}>{fields}</{resource}></prestashop>`, each field's value escaped.
pub fn object(resource: &'static str, fields: &[(&'static str, String)]) -> String {
    document(resource, fields.iter().map(|(n, v)| Node::Field(n, v.clone())).collect())
}

/// The `(code, message)` pairs of a Webservice XML error body.
pub fn errors(body: &str) -> Vec<(String, String)> {
    let mut reader = Reader::from_str(body);
    let mut out = Vec::new();
    let (mut in_code, mut in_message) = (false, false);
    let (mut code, mut message) = (String::new(), String::new());
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => match e.name().as_ref() {
                b"code" => in_code = true,
                b"message" => in_message = true,
                b"error" => {
                    code.clear();
                    message.clear();
                }
                _ => {}
            },
            Ok(Event::End(e)) => match e.name().as_ref() {
                b"code" => in_code = false,
                b"message" => in_message = false,
                b"error" => out.push((code.trim().to_owned(), message.trim().to_owned())),
                _ => {}
            },
            Ok(Event::CData(t)) => {
                let text = String::from_utf8_lossy(&t).into_owned();
                if in_code {
                    code.push_str(&text);
                } else if in_message {
                    message.push_str(&text);
                }
            }
            Ok(Event::Text(t)) => {
                let text = t.decode().map(|c| c.into_owned()).unwrap_or_default();
                if in_code {
                    code.push_str(&text);
                } else if in_message {
                    message.push_str(&text);
                }
            }
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
    }
    out
}

/// Rewrites a full object read by GET for a PUT (shops before 8.0, which lack PATCH): sets the direct
/// children named in `set`, drops those in `drop` (read-only fields, which a PUT refuses with 400/93), and
/// keeps everything else as it was, so the PUT replaces the object with itself plus the change.
///
/// # Errors
/// A body that is not well-formed XML.
pub fn rewrite_for_put(body: &str, resource: &str, set: &[(&str, String)], drop: &[&str]) -> Result<String, String> {
    let mut reader = Reader::from_str(body);
    let mut w = Writer::new(Cursor::new(Vec::new()));
    let mut depth = 0usize;
    let mut in_resource = false;
    // Depth at which we are skipping an element (dropped) or replacing its content (set).
    let mut skipping: Option<usize> = None;
    let mut replacing: Option<usize> = None;
    loop {
        let event = reader.read_event().map_err(|e| format!("malformed XML from the store: {e}"))?;
        match event {
            Event::Eof => break,
            Event::Start(e) => {
                depth += 1;
                if skipping.is_some() || replacing.is_some() {
                    continue;
                }
                let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                if depth == 2 && name == resource {
                    in_resource = true;
                }
                if in_resource && depth == 3 {
                    if drop.contains(&name.as_str()) {
                        skipping = Some(depth);
                        continue;
                    }
                    if let Some((_, v)) = set.iter().find(|(n, _)| *n == name) {
                        w.write_event(Event::Start(BytesStart::new(name.clone()))).map_err(|e| e.to_string())?;
                        w.write_event(Event::Text(BytesText::new(v))).map_err(|e| e.to_string())?;
                        replacing = Some(depth);
                        continue;
                    }
                }
                w.write_event(Event::Start(e.into_owned())).map_err(|e| e.to_string())?;
            }
            Event::End(e) => {
                let at = depth;
                depth = depth.saturating_sub(1);
                if skipping == Some(at) {
                    skipping = None;
                    continue;
                }
                if replacing == Some(at) {
                    replacing = None;
                    w.write_event(Event::End(e.into_owned())).map_err(|e| e.to_string())?;
                    continue;
                }
                if skipping.is_some() || replacing.is_some() {
                    continue;
                }
                if at == 2 {
                    in_resource = false;
                }
                w.write_event(Event::End(e.into_owned())).map_err(|e| e.to_string())?;
            }
            Event::Empty(e) => {
                if skipping.is_some() || replacing.is_some() {
                    continue;
                }
                let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                if in_resource && depth == 2 {
                    if drop.contains(&name.as_str()) {
                        continue;
                    }
                    if let Some((_, v)) = set.iter().find(|(n, _)| *n == name) {
                        w.write_event(Event::Start(BytesStart::new(name.clone()))).map_err(|e| e.to_string())?;
                        w.write_event(Event::Text(BytesText::new(v))).map_err(|e| e.to_string())?;
                        w.write_event(Event::End(BytesEnd::new(name))).map_err(|e| e.to_string())?;
                        continue;
                    }
                }
                w.write_event(Event::Empty(e.into_owned())).map_err(|e| e.to_string())?;
            }
            other => {
                if skipping.is_some() || replacing.is_some() {
                    continue;
                }
                w.write_event(other.into_owned()).map_err(|e| e.to_string())?;
            }
        }
    }
    String::from_utf8(w.into_inner().into_inner()).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_object_body_escapes_its_values() {
        let x = object("product", &[("id", "6".into()), ("reference", "A&B<C>".into())]);
        assert_eq!(x, "<prestashop><product><id>6</id><reference>A&amp;B&lt;C&gt;</reference></product></prestashop>");
    }

    #[test]
    fn error_bodies_are_read_with_their_codes() {
        let body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<prestashop xmlns:xlink=\"http://www.w3.org/1999/xlink\">\n<errors>\n<error>\n<code><![CDATA[41]]></code>\n<message><![CDATA[parameter \"id_product\" required]]></message>\n</error>\n<error>\n<code><![CDATA[46]]></code>\n<message><![CDATA[Unable to save resource]]></message>\n</error>\n</errors>\n</prestashop>";
        assert_eq!(
            errors(body),
            vec![
                ("41".into(), "parameter \"id_product\" required".into()),
                ("46".into(), "Unable to save resource".into())
            ]
        );
    }

    #[test]
    fn a_full_object_is_rewritten_with_the_change_and_without_read_only_fields() {
        let got = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<prestashop xmlns:xlink=\"http://www.w3.org/1999/xlink\">\n<product>\n\t<id><![CDATA[6]]></id>\n\t<manufacturer_name notFilterable=\"true\"><![CDATA[Studio]]></manufacturer_name>\n\t<quantity notFilterable=\"true\"><![CDATA[0]]></quantity>\n\t<price><![CDATA[11.900000]]></price>\n\t<active><![CDATA[1]]></active>\n\t<name><language id=\"1\"><![CDATA[Mug]]></language></name>\n\t<associations><stock_availables><stock_available><id><![CDATA[6]]></id></stock_available></stock_availables></associations>\n</product>\n</prestashop>";
        let put = rewrite_for_put(
            got,
            "product",
            &[("price", "13.000000".into()), ("active", "0".into())],
            &["manufacturer_name", "quantity"],
        )
        .unwrap();
        assert!(put.contains("<price>13.000000</price>"), "{put}");
        assert!(put.contains("<active>0</active>"));
        assert!(!put.contains("manufacturer_name") && !put.contains("<quantity"));
        assert!(put.contains("<name><language id=\"1\"><![CDATA[Mug]]></language></name>"), "{put}");
        assert!(put.contains("<stock_available><id><![CDATA[6]]></id>"), "{put}");
    }
}
