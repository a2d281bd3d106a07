//! Input: request bodies parsed the way `SimpleXMLElement` sees them (elements, attributes, text with
//! CDATA and entities resolved), and the errors PHP reports when a body is not XML.

use quick_xml::{Reader, escape::resolve_predefined_entity, events::Event};

/// One element of a request body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Node {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Node>,
    pub text: String,
}

impl Node {
    /// The first child called `name`.
    pub(crate) fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }

    pub(crate) fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// Parses a body; the error text says what libxml would complain about.
pub(crate) fn parse(body: &str) -> Result<Node, String> {
    let mut reader = Reader::from_str(body);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Node> = Vec::new();
    let mut root: Option<Node> = None;
    loop {
        let ev = reader.read_event().map_err(|e| format!("parser error : {e}"))?;
        match ev {
            Event::Start(ref s) | Event::Empty(ref s) => {
                if root.is_some() && stack.is_empty() {
                    return Err("parser error : Extra content at the end of the document".to_owned());
                }
                let empty = matches!(ev, Event::Empty(_));
                let name = String::from_utf8_lossy(s.name().as_ref()).into_owned();
                let mut attrs = Vec::new();
                for a in s.attributes() {
                    let a = a.map_err(|e| format!("parser error : {e}"))?;
                    let k = String::from_utf8_lossy(a.key.as_ref()).into_owned();
                    let v = a.unescape_value().map_err(|e| format!("parser error : {e}"))?.into_owned();
                    attrs.push((k, v));
                }
                let node = Node { name, attrs, children: Vec::new(), text: String::new() };
                if empty {
                    close(&mut stack, &mut root, node);
                } else {
                    stack.push(node);
                }
            }
            Event::End(_) => {
                let node = stack.pop().ok_or_else(|| "parser error : Opening and ending tag mismatch".to_owned())?;
                close(&mut stack, &mut root, node);
            }
            Event::Text(t) => {
                let s = t.xml_content().map_err(|e| format!("parser error : {e}"))?;
                match stack.last_mut() {
                    Some(n) => n.text.push_str(&s),
                    None if s.trim().is_empty() => {}
                    None => return Err("parser error : Start tag expected, '<' not found".to_owned()),
                }
            }
            Event::CData(c) => {
                let s = c.xml_content().map_err(|e| format!("parser error : {e}"))?;
                if let Some(n) = stack.last_mut() {
                    n.text.push_str(&s);
                }
            }
            Event::GeneralRef(r) => {
                let resolved = if r.is_char_ref() {
                    r.resolve_char_ref().ok().flatten().map(String::from)
                } else {
                    let name = r.decode().map_err(|e| format!("parser error : {e}"))?;
                    resolve_predefined_entity(&name).map(str::to_owned)
                };
                let s = resolved.ok_or_else(|| "parser error : Entity not defined".to_owned())?;
                match stack.last_mut() {
                    Some(n) => n.text.push_str(&s),
                    None => return Err("parser error : Start tag expected, '<' not found".to_owned()),
                }
            }
            Event::Eof => break,
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
    if let Some(open) = stack.last() {
        return Err(format!("parser error : Premature end of data in tag {} line 1", open.name));
    }
    root.ok_or_else(|| "parser error : Start tag expected, '<' not found".to_owned())
}

fn close(stack: &mut [Node], root: &mut Option<Node>, node: Node) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(node),
        None => *root = Some(node),
    }
}

/// The errors PrestaShop answers (500) for a body `SimpleXMLElement` rejects: three PHP warnings (code 3)
/// and code 127 with the original body.
pub(crate) fn parse_errors(body: &str, detail: &str) -> Vec<(u32, String)> {
    const AT: &str = "(/var/www/prestashop/classes/webservice/WebserviceRequest.php, line 1544)";
    // libxml reports a truncated document at its last line, anything else here at the first.
    let (line_no, line) = if detail.contains("Premature end") {
        let n = body.split('\n').count();
        (n, body.split('\n').next_back().unwrap_or(""))
    } else {
        (1, body.lines().next().unwrap_or(""))
    };
    vec![
        (3, format!("[PHP Warning #2] SimpleXMLElement::__construct(): Entity: line {line_no}: {detail} {AT}")),
        (3, format!("[PHP Warning #2] SimpleXMLElement::__construct(): {line} {AT}")),
        (3, format!("[PHP Warning #2] SimpleXMLElement::__construct(): ^ {AT}")),
        (
            127,
            format!(
                "XML error : String could not be parsed as XML\nXML length : {}\nOriginal XML : {body}\n",
                body.len()
            ),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cdata_entities_and_attributes_are_read() {
        let n = parse(
            "<?xml version=\"1.0\"?><prestashop xmlns:xlink=\"x\"><product><id><![CDATA[6]]></id>\
             <name><language id=\"1\">&lt;p&gt;Short&#33;</language></name></product></prestashop>",
        )
        .expect("xml");
        let p = n.child("product").expect("product");
        assert_eq!(p.child("id").map(|i| i.text.as_str()), Some("6"));
        let l = &p.child("name").expect("name").children[0];
        assert_eq!(l.attr("id"), Some("1"));
        assert_eq!(l.text, "<p>Short!");
    }

    #[test]
    fn json_and_truncated_bodies_are_rejected() {
        assert!(parse(r#"{"stock_available":{"id":6}}"#).is_err());
        assert!(parse("<prestashop><stock_available><id>6</id><quantity>").is_err());
        assert!(parse("").is_err());
        assert!(parse("<a></b>").is_err());
    }
}
