//! The captures of a real PrestaShop 8.2.1 (`captures/*.txt`): parsing, replaying one against the
//! simulator, and comparing the answers by status, content type, Webservice headers, error codes and
//! messages, and body structure (element and field names, nesting and order, attribute names), not
//! volatile values such as ids, dates and links.

use std::collections::BTreeSet;

use quick_xml::{Reader, events::Event};

use crate::support::{Auth, HUB_KEY, INACTIVE_KEY, READONLY_KEY, Resp, Shop};

/// One captured exchange.
#[derive(Debug, Clone)]
pub struct Capture {
    pub name: String,
    pub method: String,
    pub path_and_query: String,
    pub auth: Option<String>,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
    pub status: u16,
    pub response_headers: Vec<(String, String)>,
    pub response_body: String,
}

impl Capture {
    pub fn load(name: &str) -> Self {
        let path = format!("{}/tests/contract/captures/{name}.txt", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let (req, rest) = text.split_once("### RESPONSE HEADERS:\n").expect("response headers");
        let (head, resp_body) = rest.split_once("### RESPONSE BODY:\n").expect("response body");
        let first = req.lines().next().expect("request line").trim_start_matches("### REQUEST: ");
        let mut words = first.splitn(3, ' ');
        let method = words.next().expect("method").to_owned();
        let path_and_query = words.next().expect("path").to_owned();
        let tail = words.next().unwrap_or("");
        let key_hint = tail.split("auth key=").nth(1).and_then(|s| s.split("...").next()).unwrap_or("-");
        let auth = match key_hint {
            "-" => None,
            "HUBKEY01" => Some(HUB_KEY.to_owned()),
            "READONLY" => Some(READONLY_KEY.to_owned()),
            "INACTIVE" => Some(INACTIVE_KEY.to_owned()),
            "ZZZZZZZZ" => Some("Z".repeat(32)),
            other => Some(other.to_owned()),
        };
        let extra = tail.split(") ").nth(1).unwrap_or("").trim();
        let headers = extra
            .strip_prefix("-H ")
            .and_then(|h| h.split_once(':'))
            .map(|(k, v)| vec![(k.trim().to_owned(), v.trim().to_owned())])
            .unwrap_or_default();
        let body = req.split_once("### REQUEST BODY:\n").map(|(_, b)| b.strip_suffix("\n\n").unwrap_or(b).to_owned());
        let mut head_lines = head.lines();
        let status = head_lines
            .next()
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|s| s.parse().ok())
            .expect("status line");
        let response_headers = head_lines
            .filter(|l| !l.is_empty())
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
            .collect();
        let response_body = if method == "HEAD" { String::new() } else { resp_body.to_owned() };
        Self {
            name: name.to_owned(),
            method,
            path_and_query,
            auth,
            headers,
            body,
            status,
            response_headers,
            response_body,
        }
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.response_headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// Sends the captured request to `shop`.
    pub async fn replay(&self, shop: &Shop) -> Resp {
        let headers: Vec<(&str, &str)> = self.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let auth = self.auth.as_deref().map_or(Auth::None, Auth::Basic);
        shop.call(&self.method, &self.path_and_query, self.body.as_deref(), &headers, auth).await
    }
}

/// Replays `c` with `from` replaced by `to` in its path and body (an id the simulator gave differently).
pub async fn replay_as(shop: &Shop, c: &Capture, swaps: &[(&str, String)]) -> Resp {
    let mut c = c.clone();
    for (from, to) in swaps {
        c.path_and_query = c.path_and_query.replace(from, to);
        c.body = c.body.map(|b| b.replace(from, to));
    }
    c.replay(shop).await
}

/// Every `<language>` of the first entity of an XML answer: field, language id, link, value.
pub fn xml_languages(body: &str) -> Vec<(String, String, bool, String)> {
    let root = xml_tree(body);
    let entity = root.children.first().cloned().unwrap_or_default();
    entity
        .children
        .iter()
        .flat_map(|f| {
            f.children.iter().filter(|l| l.name == "language").map(|l| {
                let id = l.attrs.iter().find(|(k, _)| k == "id").map(|(_, v)| v.clone()).unwrap_or_default();
                let linked = l.attrs.iter().any(|(k, _)| k == "xlink:href");
                (f.name.clone(), id, linked, l.text.clone())
            })
        })
        .collect()
}

/// The JSON body with the top-level `id`s replaced by 0, for comparing values across shops.
pub fn without_ids(body: &str) -> serde_json::Value {
    let mut v: serde_json::Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"));
    if let Some(obj) = v.as_object_mut() {
        for (_, inner) in obj.iter_mut() {
            match inner {
                serde_json::Value::Array(items) => items.iter_mut().for_each(|i| i["id"] = 0.into()),
                serde_json::Value::Object(o) => {
                    o.insert("id".into(), 0.into());
                }
                _ => {}
            }
        }
    }
    v
}

/// How strictly to compare.
#[derive(Debug, Clone, Default)]
pub struct Rules {
    /// JSON keys whose presence depends on values the simulated shop cannot hold (falsy-drop).
    pub ignore_keys: Vec<&'static str>,
    /// Compare the body as "every element the simulator lists has the captured structure" (the root
    /// listing, where the simulator serves fewer resources).
    pub subset: bool,
    /// Error codes whose message is not compared (messages that list the shop's own resources, or
    /// quote libxml).
    pub skip_messages: Vec<u32>,
    /// Compare language fields language by language (the ids, in order, and in JSON their kind), for a
    /// simulator with the captured shop's two languages; otherwise a language list counts as one value,
    /// like the one-language collapse.
    pub languages: bool,
}

/// Asserts that `got` answers like the capture.
pub fn assert_like(c: &Capture, got: &Resp, rules: &Rules) {
    let ctx = format!("capture {} ({} {})\n--- simulator body:\n{}\n", c.name, c.method, c.path_and_query, got.body);
    assert_eq!(got.status, c.status, "status differs; {ctx}");
    let want_ct = c.header("content-type").unwrap_or("").to_ascii_lowercase();
    let got_ct = got.header("content-type").unwrap_or("").to_ascii_lowercase();
    assert_eq!(got_ct, want_ct, "content type differs; {ctx}");
    for h in ["PSWS-Version", "X-Powered-By"] {
        assert_eq!(got.header(h), c.header(h), "header {h} differs; {ctx}");
    }
    assert_eq!(
        got.header("WWW-Authenticate").is_some(),
        c.header("WWW-Authenticate").is_some(),
        "WWW-Authenticate; {ctx}"
    );
    let want = c.response_body.trim_end();
    let body = got.body.trim_end();
    if want.is_empty() {
        assert!(body.is_empty(), "body should be empty; {ctx}");
        return;
    }
    if want.starts_with("<?xml") {
        let (w, g) = (xml_tree(want), xml_tree(body));
        if w.name == "prestashop" && w.children.first().is_some_and(|e| e.name == "errors") {
            assert_errors(&errors_of_xml(&w), &errors_of_xml(&g), rules, &ctx);
        } else if rules.subset {
            assert_subset(&w, &g, &ctx);
        } else {
            assert_eq!(
                shape_of(&g, 0, rules.languages),
                shape_of(&w, 0, rules.languages),
                "XML structure differs; {ctx}"
            );
        }
    } else if want.starts_with('{') || want.starts_with('[') {
        let (w, g) = (Json::parse(want), Json::parse(body));
        if let Json::Obj(kv) = &w
            && kv.first().is_some_and(|(k, _)| k == "errors")
        {
            assert_errors(&errors_of_json(&w), &errors_of_json(&g), rules, &ctx);
        } else {
            assert_eq!(
                g.shape_of(&rules.ignore_keys, rules.languages),
                w.shape_of(&rules.ignore_keys, rules.languages),
                "JSON structure differs; {ctx}"
            );
        }
    } else {
        assert_eq!(body, want, "plain body differs; {ctx}");
    }
}

fn mask_digits(s: &str) -> String {
    let mut out = String::new();
    let mut in_num = false;
    for c in s.chars() {
        if c.is_ascii_digit() {
            if !in_num {
                out.push('#');
            }
            in_num = true;
        } else {
            in_num = false;
            out.push(c);
        }
    }
    out
}

fn assert_errors(want: &[(u32, String)], got: &[(u32, String)], rules: &Rules, ctx: &str) {
    let codes = |l: &[(u32, String)]| l.iter().map(|e| e.0).collect::<Vec<_>>();
    assert_eq!(codes(got), codes(want), "error codes differ; {ctx}");
    for ((code, w), (_, g)) in want.iter().zip(got) {
        let quotes_libxml = w.contains("SimpleXMLElement") || *code == 127;
        if rules.skip_messages.contains(code) || quotes_libxml {
            continue;
        }
        assert_eq!(mask_digits(g), mask_digits(w), "message of error {code} differs; {ctx}");
    }
}

/// A parsed XML element.
#[derive(Debug, Clone, Default)]
pub struct El {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub children: Vec<El>,
    pub text: String,
}

pub fn xml_tree(s: &str) -> El {
    let mut reader = Reader::from_str(s);
    let mut stack: Vec<El> = vec![El::default()];
    loop {
        match reader.read_event().unwrap_or_else(|e| panic!("bad XML ({e}): {s}")) {
            Event::Start(e) => stack.push(element(&e)),
            Event::Empty(e) => {
                let el = element(&e);
                stack.last_mut().expect("parent").children.push(el);
            }
            Event::End(_) => {
                let el = stack.pop().expect("open element");
                stack.last_mut().expect("parent").children.push(el);
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.xml_content().unwrap_or_default());
                }
            }
            Event::CData(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.xml_content().unwrap_or_default());
                }
            }
            Event::GeneralRef(r) => {
                if let Some(top) = stack.last_mut() {
                    let name = r.decode().unwrap_or_default();
                    top.text.push_str(quick_xml::escape::resolve_predefined_entity(&name).unwrap_or(""));
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    stack.pop().and_then(|root| root.children.into_iter().next()).unwrap_or_default()
}

fn element(e: &quick_xml::events::BytesStart<'_>) -> El {
    El {
        name: String::from_utf8_lossy(e.name().as_ref()).into_owned(),
        attrs: e
            .attributes()
            .filter_map(Result::ok)
            .map(|a| {
                (
                    String::from_utf8_lossy(a.key.as_ref()).into_owned(),
                    a.unescape_value().map(|v| v.into_owned()).unwrap_or_default(),
                )
            })
            .collect(),
        children: Vec::new(),
        text: String::new(),
    }
}

/// The structure of an element: names, attribute names (not `xlink:href`, whose presence follows the
/// values), children with runs of same-named siblings collapsed to the first.
pub fn shape(e: &El, depth: usize) -> String {
    shape_of(e, depth, false)
}

/// [`shape`], with each `<language>` kept, its `id` and whether it has a link, when `languages`.
pub fn shape_of(e: &El, depth: usize, languages: bool) -> String {
    let attrs: BTreeSet<&str> =
        e.attrs.iter().map(|(k, _)| k.as_str()).filter(|k| *k != "xlink:href" && *k != "xmlns:xlink").collect();
    let mut out = format!("{}{}{:?}", "  ".repeat(depth), e.name, attrs);
    if languages && e.name == "language" {
        let id = e.attrs.iter().find(|(k, _)| k == "id").map_or("", |(_, v)| v.as_str());
        let linked = e.attrs.iter().any(|(k, _)| k == "xlink:href");
        out.push_str(&format!(" id={id} linked={linked}"));
    }
    out.push('\n');
    let mut last: Option<&str> = None;
    for c in &e.children {
        if last == Some(c.name.as_str()) && !(languages && c.name == "language") {
            continue;
        }
        last = Some(&c.name);
        out.push_str(&shape_of(c, depth + 1, languages));
    }
    out
}

fn assert_subset(want: &El, got: &El, ctx: &str) {
    let (Some(w_api), Some(g_api)) = (want.children.first(), got.children.first()) else { panic!("no <api>; {ctx}") };
    assert_eq!(g_api.name, w_api.name, "{ctx}");
    assert!(!g_api.children.is_empty(), "empty listing; {ctx}");
    for g in &g_api.children {
        let w = w_api
            .children
            .iter()
            .find(|w| w.name == g.name)
            .unwrap_or_else(|| panic!("{} not in capture; {ctx}", g.name));
        assert_eq!(shape(g, 0), shape(w, 0), "listing of {} differs; {ctx}", g.name);
        assert_eq!(g.attrs.len(), w.attrs.len(), "flags of {}; {ctx}", g.name);
    }
}

fn errors_of_xml(root: &El) -> Vec<(u32, String)> {
    root.children
        .iter()
        .filter(|c| c.name == "errors")
        .flat_map(|e| &e.children)
        .map(|err| {
            let get = |n: &str| err.children.iter().find(|c| c.name == n).map(|c| c.text.clone()).unwrap_or_default();
            (get("code").trim().parse().unwrap_or(0), get("message"))
        })
        .collect()
}

fn errors_of_json(root: &Json) -> Vec<(u32, String)> {
    let Json::Obj(kv) = root else { return Vec::new() };
    let Some((_, Json::Arr(list))) = kv.iter().find(|(k, _)| k == "errors") else { return Vec::new() };
    list.iter()
        .filter_map(|e| match e {
            Json::Obj(f) => {
                let code = f.iter().find(|(k, _)| k == "code").and_then(|(_, v)| match v {
                    Json::Num(n) => n.parse().ok(),
                    _ => None,
                })?;
                let msg = f
                    .iter()
                    .find(|(k, _)| k == "message")
                    .map(|(_, v)| match v {
                        Json::Str(s) => s.clone(),
                        _ => String::new(),
                    })
                    .unwrap_or_default();
                Some((code, msg))
            }
            _ => None,
        })
        .collect()
}

/// JSON with object keys in document order.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Num(String),
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

impl Json {
    pub fn parse(s: &str) -> Json {
        let mut p = Parser { b: s.as_bytes(), i: 0 };
        let v = p.value();
        p.ws();
        assert_eq!(p.i, p.b.len(), "trailing data in JSON: {s}");
        v
    }

    /// The structure: keys in order, scalar kinds, arrays by their first item; a list of `{id, value}`
    /// (several languages) counts as a string, like the one-language collapse; with
    /// `languages`, a language list shows its ids (a string `"1"` or a number `1`) and the kind of each value.
    pub fn shape_of(&self, ignore: &[&str], languages: bool) -> String {
        match self {
            Json::Null => "null".into(),
            Json::Bool(_) => "bool".into(),
            Json::Num(_) => "num".into(),
            Json::Str(_) => "str".into(),
            Json::Arr(items) if items.iter().all(Json::is_lang_entry) && !items.is_empty() => {
                if !languages {
                    return "str".into();
                }
                let entries: Vec<String> = items
                    .iter()
                    .map(|i| match i {
                        Json::Obj(kv) => {
                            let id = match &kv[0].1 {
                                Json::Str(s) => format!("{s:?}"),
                                Json::Num(n) => n.clone(),
                                other => format!("{other:?}"),
                            };
                            format!("{id}:{}", kv[1].1.shape_of(ignore, languages))
                        }
                        _ => String::new(),
                    })
                    .collect();
                format!("lang[{}]", entries.join(","))
            }
            Json::Arr(items) => {
                format!("[{}]", items.first().map(|i| i.shape_of(ignore, languages)).unwrap_or_default())
            }
            Json::Obj(kv) => {
                let inner: Vec<String> = kv
                    .iter()
                    .filter(|(k, _)| !ignore.contains(&k.as_str()))
                    .map(|(k, v)| format!("{k}:{}", v.shape_of(ignore, languages)))
                    .collect();
                format!("{{{}}}", inner.join(","))
            }
        }
    }

    fn is_lang_entry(&self) -> bool {
        matches!(self, Json::Obj(kv) if kv.len() == 2 && kv[0].0 == "id" && kv[1].0 == "value")
    }
}

struct Parser<'a> {
    b: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.i < self.b.len() && self.b[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn value(&mut self) -> Json {
        self.ws();
        match self.b[self.i] {
            b'{' => {
                self.i += 1;
                let mut kv = Vec::new();
                loop {
                    self.ws();
                    if self.b[self.i] == b'}' {
                        self.i += 1;
                        return Json::Obj(kv);
                    }
                    let Json::Str(k) = self.value() else { panic!("object key") };
                    self.ws();
                    self.i += 1;
                    let v = self.value();
                    kv.push((k, v));
                    self.ws();
                    if self.b[self.i] == b',' {
                        self.i += 1;
                    }
                }
            }
            b'[' => {
                self.i += 1;
                let mut items = Vec::new();
                loop {
                    self.ws();
                    if self.b[self.i] == b']' {
                        self.i += 1;
                        return Json::Arr(items);
                    }
                    items.push(self.value());
                    self.ws();
                    if self.b[self.i] == b',' {
                        self.i += 1;
                    }
                }
            }
            b'"' => {
                let start = self.i;
                self.i += 1;
                while self.b[self.i] != b'"' {
                    if self.b[self.i] == b'\\' {
                        self.i += 1;
                    }
                    self.i += 1;
                }
                self.i += 1;
                let raw = std::str::from_utf8(&self.b[start..self.i]).expect("utf8");
                Json::Str(serde_json::from_str(raw).expect("string"))
            }
            b't' => {
                self.i += 4;
                Json::Bool(true)
            }
            b'f' => {
                self.i += 5;
                Json::Bool(false)
            }
            b'n' => {
                self.i += 4;
                Json::Null
            }
            _ => {
                let start = self.i;
                while self.i < self.b.len() && (self.b[self.i].is_ascii_digit() || b"-+.eE".contains(&self.b[self.i])) {
                    self.i += 1;
                }
                Json::Num(String::from_utf8_lossy(&self.b[start..self.i]).into_owned())
            }
        }
    }
}
