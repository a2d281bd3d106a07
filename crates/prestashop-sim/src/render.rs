//! Output: objects and lists in PrestaShop's XML (`WebserviceOutputXML`) and JSON (`WebserviceOutputJSON`,
//! 8.x rules: integer top-level `id`, strings elsewhere, one-language collapse, the falsy-field drop on
//! single objects), error bodies, the `/api/` listing and the `blank`/`synopsis` schemas.

use crate::{
    schema::{Assoc, Field, GETTER, JSON_INT, NOT_FILTERABLE, NOT_WRITABLE, REQ, RO_ATTR, Resource, XLINK_ALWAYS},
    store::{Record, Row, Store, Value},
};

/// The answer's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Xml,
    Json,
}

impl Format {
    pub(crate) fn content_type(self) -> &'static str {
        match self {
            Self::Xml => "text/xml;charset=utf-8",
            Self::Json => "application/json",
        }
    }
}

/// One language of an answer, with its id as PrestaShop holds it: `Language::getIDs` gives strings, and
/// `language=[a,b]` a string first, then integers (`++$i`), which JSON shows as numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct OutLang {
    pub id: u32,
    pub int_id: bool,
}

impl OutLang {
    /// A language id as `Language::getIDs` gives it (a string).
    pub(crate) fn of(id: u32) -> Self {
        Self { id, int_id: false }
    }
}

/// What the renderer needs beyond the object: links, languages, shop state for getters.
pub(crate) struct Ctx<'a> {
    pub base: &'a str,
    pub langs: &'a [OutLang],
    pub store: &'a Store,
}

/// Which associations to output.
#[derive(Debug, Clone)]
pub(crate) enum AssocSel {
    None,
    All,
    /// Named associations, each with the sub-fields to keep (empty: all).
    Some(Vec<(String, Vec<String>)>),
}

/// A rendered scalar.
#[derive(Debug, Clone, PartialEq)]
enum Scalar {
    Null,
    Str(String),
    Int(i64),
}

#[derive(Debug, Clone)]
enum OutVal {
    Scalar(Scalar),
    /// A language field holding an array (stored objects, or one written per language): each output
    /// language with its value, `None` when the array has no such key (a language a POST left out).
    LangArray(Vec<(OutLang, Option<String>)>),
    /// A language field holding a plain string: absent from a write body (`""`) or written without
    /// `<language>` elements.
    LangScalar(String),
}

#[derive(Debug, Clone)]
struct OutField {
    name: &'static str,
    val: OutVal,
    xlink: Option<String>,
    not_filterable: bool,
}

#[derive(Debug, Clone)]
struct OutItem {
    xlink: Option<String>,
    fields: Vec<(&'static str, String, Option<String>)>,
}

#[derive(Debug, Clone)]
struct OutAssoc {
    assoc: &'static Assoc,
    items: Vec<OutItem>,
}

/// One object ready to print.
#[derive(Debug, Clone)]
pub(crate) struct OutEntity {
    singular: &'static str,
    fields: Vec<OutField>,
    assocs: Option<Vec<OutAssoc>>,
    /// JSON `id` as a string, as on write answers where the id came from the request.
    id_as_string: bool,
}

/// Options for building an [`OutEntity`].
pub(crate) struct View<'a> {
    /// Fields to output (`None`: all).
    pub fields: Option<&'a [&'static Field]>,
    pub assocs: AssocSel,
    /// The object is PrestaShop's in-memory object after a write, not a stored row.
    pub in_memory: bool,
}

/// Builds the printable form of `rec`.
pub(crate) fn entity(ctx: &Ctx<'_>, res: &'static Resource, rec: &Record, view: &View<'_>) -> OutEntity {
    let id = rec.get("id").to_owned();
    let mut fields = Vec::new();
    for f in res.fields {
        if let Some(sel) = view.fields
            && !sel.iter().any(|s| s.name == f.name)
        {
            continue;
        }
        let value = if f.has(GETTER) {
            ctx.store.getter(res, f, rec)
        } else {
            rec.fields.get(f.name).cloned().unwrap_or(Value::Null)
        };
        let val = match value {
            Value::Lang(m) => OutVal::LangArray(ctx.langs.iter().map(|l| (*l, m.get(&l.id).cloned())).collect()),
            Value::Null if f.is_lang() => OutVal::LangScalar(String::new()),
            Value::Text(s) if f.is_lang() => OutVal::LangScalar(s),
            Value::Null => OutVal::Scalar(Scalar::Null),
            Value::Text(s) if f.has(JSON_INT) => OutVal::Scalar(Scalar::Int(s.parse().unwrap_or(0))),
            // `getWsNbProductsRecursive` returns the SQL count as a string, or the integer -1.
            Value::Text(s) if f.name == "nb_products_recursive" && s == "-1" => OutVal::Scalar(Scalar::Int(-1)),
            Value::Text(s) => OutVal::Scalar(Scalar::Str(s)),
        };
        let xlink = field_xlink(ctx, res, f, &val, &id);
        fields.push(OutField { name: f.name, val, xlink, not_filterable: f.has(NOT_FILTERABLE) });
    }
    let assocs = match &view.assocs {
        _ if res.assocs.is_empty() => None,
        AssocSel::None => None,
        sel => Some(
            res.assocs
                .iter()
                .filter_map(|a| {
                    let subs: Option<&Vec<String>> = match sel {
                        AssocSel::Some(list) => Some(&list.iter().find(|(n, _)| n == a.name)?.1),
                        _ => None,
                    };
                    let rows = ctx.store.assoc_rows(res, a.name, rec);
                    Some(OutAssoc { assoc: a, items: rows.iter().map(|r| item(ctx, a, r, &id, subs)).collect() })
                })
                .collect(),
        ),
    };
    OutEntity { singular: res.singular, fields, assocs, id_as_string: view.in_memory }
}

fn field_xlink(ctx: &Ctx<'_>, res: &Resource, f: &Field, val: &OutVal, id: &str) -> Option<String> {
    let target = f.xlink?;
    let v = match val {
        OutVal::Scalar(Scalar::Str(s)) => s.clone(),
        OutVal::Scalar(Scalar::Int(i)) => i.to_string(),
        _ => String::new(),
    };
    if f.has(XLINK_ALWAYS) {
        return Some(format!("{}/api/{target}/{v}", ctx.base));
    }
    if v.is_empty() || v == "0" {
        return None;
    }
    if res.name == "products" && f.name == "id_default_image" {
        return Some(format!("{}/api/images/products/{id}/{v}", ctx.base));
    }
    Some(format!("{}/api/{target}/{v}", ctx.base))
}

fn item(ctx: &Ctx<'_>, a: &Assoc, row: &Row, owner: &str, subs: Option<&Vec<String>>) -> OutItem {
    let get = |n: &str| row.iter().find(|(k, _)| *k == n).map_or(String::new(), |(_, v)| v.clone());
    let xlink = match a.api {
        Some(_) if a.virtual_entity => None,
        Some("images") => Some(format!("{}/api/images/products/{owner}/{}", ctx.base, get("id"))),
        Some("images/products") => {
            let pid = ctx.store.get("combinations", owner.parse().unwrap_or(0)).map(|c| c.get("id_product").to_owned());
            Some(format!("{}/api/images/products/{}/{}", ctx.base, pid.unwrap_or_default(), get("id")))
        }
        Some(api) => Some(format!("{}/api/{api}/{}", ctx.base, get("id"))),
        None => None,
    };
    // Without declared fields, the one field the builder makes is keyed 0, which no name in `display` is.
    let fields = a
        .fields
        .iter()
        .filter(|f| subs.is_none_or(|s| a.declared && (s.is_empty() || s.iter().any(|n| n == f.name))))
        .map(|f| {
            let v = get(f.name);
            let link = match f.xlink {
                Some(target) if a.virtual_entity => Some(format!("{}/api/{target}/{v}", ctx.base)),
                Some(_) if f.name == "id" => None,
                Some(target) if !v.is_empty() && v != "0" => Some(format!("{}/api/{target}/{v}", ctx.base)),
                _ => None,
            };
            (f.name, v, link)
        })
        .collect();
    OutItem { xlink, fields }
}

const XML_HEAD: &str =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<prestashop xmlns:xlink=\"http://www.w3.org/1999/xlink\">\n";
const XML_TAIL: &str = "</prestashop>\n";

fn cdata(s: &str) -> String {
    format!("<![CDATA[{}]]>", s.replace("]]>", "]]]]><![CDATA[>"))
}

pub(crate) fn attr(s: &str) -> String {
    s.replace('&', "&amp;").replace('"', "&quot;").replace('<', "&lt;").replace('>', "&gt;")
}

fn xml_entity(out: &mut String, ctx: &Ctx<'_>, e: &OutEntity) {
    out.push_str(&format!("<{}>\n", e.singular));
    for f in &e.fields {
        let mut attrs = String::new();
        if let Some(x) = &f.xlink {
            attrs.push_str(&format!(" xlink:href=\"{}\"", attr(x)));
        }
        if f.not_filterable {
            attrs.push_str(" notFilterable=\"true\"");
        }
        let content = match &f.val {
            OutVal::Scalar(Scalar::Null) => cdata(""),
            OutVal::Scalar(Scalar::Str(s)) => cdata(s),
            OutVal::Scalar(Scalar::Int(i)) => cdata(&i.to_string()),
            // `isset($field['value'][$language])`, with a link when the value is an array.
            OutVal::LangArray(list) => list
                .iter()
                .map(|(l, v)| {
                    format!(
                        "<language id=\"{}\" xlink:href=\"{}/api/languages/{}\">{}</language>",
                        l.id,
                        attr(ctx.base),
                        l.id,
                        cdata(v.as_deref().unwrap_or_default())
                    )
                })
                .collect(),
            // On a string, `$value[$language]` is the byte at that offset.
            OutVal::LangScalar(s) => ctx
                .langs
                .iter()
                .map(|l| {
                    let byte = s.as_bytes().get(l.id as usize).map(|b| String::from_utf8_lossy(&[*b]).into_owned());
                    format!("<language id=\"{}\">{}</language>", l.id, cdata(&byte.unwrap_or_default()))
                })
                .collect(),
        };
        out.push_str(&format!("\t<{0}{attrs}>{content}</{0}>\n", f.name));
    }
    if let Some(assocs) = &e.assocs {
        out.push_str("<associations>\n");
        for a in assocs {
            let head = assoc_attrs(a.assoc);
            if a.items.is_empty() {
                out.push_str(&format!("<{}{head}/>\n", a.assoc.name));
                continue;
            }
            out.push_str(&format!("<{}{head}>\n", a.assoc.name));
            for it in &a.items {
                let link = it.xlink.as_ref().map_or(String::new(), |x| format!(" xlink:href=\"{}\"", attr(x)));
                out.push_str(&format!("\t<{}{link}>\n", a.assoc.node));
                for (n, v, l) in &it.fields {
                    let link = l.as_ref().map_or(String::new(), |x| format!(" xlink:href=\"{}\"", attr(x)));
                    out.push_str(&format!("\t<{n}{link}>{}</{n}>\n", cdata(v)));
                }
                out.push_str(&format!("\t</{}>\n", a.assoc.node));
            }
            out.push_str(&format!("</{}>\n", a.assoc.name));
        }
        out.push_str("</associations>\n");
    }
    out.push_str(&format!("</{}>\n", e.singular));
}

fn assoc_attrs(a: &Assoc) -> String {
    match (a.virtual_entity, a.api) {
        (true, _) => format!(" nodeType=\"{}\" virtualEntity=\"true\"", a.node),
        (false, Some(api)) => format!(" nodeType=\"{}\" api=\"{api}\"", a.node),
        (false, None) => format!(" nodeType=\"{}\"", a.node),
    }
}

/// A minimal JSON writer that keeps key order and escapes like PHP's `json_encode` with
/// `JSON_UNESCAPED_UNICODE` (slashes escaped).
#[derive(Debug, Clone)]
pub(crate) enum Json {
    Null,
    Int(i64),
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

impl Json {
    pub(crate) fn write(&self, out: &mut String) {
        match self {
            Self::Null => out.push_str("null"),
            Self::Int(i) => out.push_str(&i.to_string()),
            Self::Str(s) => json_str(out, s),
            Self::Arr(items) => {
                out.push('[');
                for (i, it) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    it.write(out);
                }
                out.push(']');
            }
            Self::Obj(kv) => {
                out.push('{');
                for (i, (k, v)) in kv.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    json_str(out, k);
                    out.push(':');
                    v.write(out);
                }
                out.push('}');
            }
        }
    }

    pub(crate) fn into_string(self) -> String {
        let mut s = String::new();
        self.write(&mut s);
        s
    }

    fn is_falsy(&self) -> bool {
        match self {
            Self::Null => true,
            Self::Int(i) => *i == 0,
            Self::Str(s) => s.is_empty() || s == "0",
            Self::Arr(a) => a.is_empty(),
            Self::Obj(o) => o.is_empty(),
        }
    }
}

fn json_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '/' => out.push_str("\\/"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `WebserviceOutputJSON::renderField` reading `$field['value'][$id_lang]` for a key the array lacks.
fn undefined_key(lang: u32) -> (u32, String) {
    (
        3,
        format!(
            "[PHP Warning #2] Undefined array key {lang} \
             (/var/www/prestashop/classes/webservice/WebserviceOutputJSON.php, line 98)"
        ),
    )
}

fn json_lang_id(l: OutLang) -> Json {
    if l.int_id { Json::Int(i64::from(l.id)) } else { Json::Str(l.id.to_string()) }
}

fn json_entity(e: &OutEntity, drop_falsy: bool, warnings: &mut Vec<(u32, String)>) -> Json {
    let mut kv: Vec<(String, Json)> = Vec::new();
    for f in &e.fields {
        let v = match &f.val {
            OutVal::Scalar(Scalar::Str(s)) if f.name == "id" && !e.id_as_string => {
                s.parse::<i64>().map_or_else(|_| Json::Str(s.clone()), Json::Int)
            }
            OutVal::Scalar(Scalar::Null) => Json::Null,
            OutVal::Scalar(Scalar::Str(s)) => Json::Str(s.clone()),
            OutVal::Scalar(Scalar::Int(i)) => Json::Int(*i),
            OutVal::LangScalar(s) => Json::Str(s.clone()),
            OutVal::LangArray(list) => {
                let mut values: Vec<(Json, Json)> = list
                    .iter()
                    .map(|(l, v)| {
                        let value = v.as_ref().map_or_else(
                            || {
                                warnings.push(undefined_key(l.id));
                                Json::Null
                            },
                            |v| Json::Str(v.clone()),
                        );
                        (json_lang_id(*l), value)
                    })
                    .collect();
                if values.len() == 1 {
                    values.remove(0).1
                } else {
                    Json::Arr(
                        values
                            .into_iter()
                            .map(|(id, value)| Json::Obj(vec![("id".into(), id), ("value".into(), value)]))
                            .collect(),
                    )
                }
            }
        };
        kv.push((f.name.to_owned(), v));
    }
    if let Some(assocs) = &e.assocs {
        // An entry that shows no field is not added (`renderNodeFooter`), nor an association left empty.
        let list: Vec<(String, Json)> = assocs
            .iter()
            .filter(|a| a.items.iter().any(|it| !it.fields.is_empty()))
            .map(|a| {
                let items = a
                    .items
                    .iter()
                    .filter(|it| !it.fields.is_empty())
                    .map(|it| {
                        Json::Obj(it.fields.iter().map(|(n, v, _)| ((*n).to_owned(), Json::Str(v.clone()))).collect())
                    })
                    .collect();
                (a.assoc.name.to_owned(), Json::Arr(items))
            })
            .collect();
        if !list.is_empty() {
            kv.push(("associations".into(), Json::Obj(list)));
        }
    }
    if drop_falsy {
        kv.retain(|(_, v)| !v.is_falsy());
    }
    Json::Obj(kv)
}

/// A rendered answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rendered {
    pub body: String,
    /// PHP warnings raised while rendering (JSON only: a language an in-memory object lacks). PrestaShop
    /// then answers 500 with the content followed by `"errors"`, and `Content-Sha1` of the content alone.
    pub warnings: Vec<(u32, String)>,
}

impl Rendered {
    fn plain(body: String) -> Self {
        Self { body, warnings: Vec::new() }
    }

    fn json(content: Vec<(String, Json)>, warnings: Vec<(u32, String)>) -> Self {
        Self { body: Json::Obj(content).into_string(), warnings }
    }

    /// The body PrestaShop sends when warnings were raised: the content, then the `errors`.
    pub(crate) fn with_errors(&self) -> String {
        let errors = errors(Format::Json, &self.warnings);
        match (self.body.strip_suffix('}'), errors.strip_prefix('{')) {
            (Some(content), Some(list)) if content.len() > 1 => format!("{content},{list}"),
            _ => errors,
        }
    }
}

/// One object on its own (`GET /api/x/{id}`, write answers). JSON drops its falsy fields.
pub(crate) fn single(ctx: &Ctx<'_>, fmt: Format, entities: &[OutEntity], res: &Resource) -> Rendered {
    let mut warnings = Vec::new();
    match fmt {
        Format::Xml => {
            let mut out = XML_HEAD.to_owned();
            if entities.len() > 1 {
                out.push_str(&format!("<{}>\n", res.name));
            }
            for e in entities {
                xml_entity(&mut out, ctx, e);
            }
            if entities.len() > 1 {
                out.push_str(&format!("</{}>\n", res.name));
            }
            out.push_str(XML_TAIL);
            Rendered::plain(out)
        }
        Format::Json => {
            let content = match entities {
                [one] => vec![(res.singular.to_owned(), json_entity(one, true, &mut warnings))],
                many => vec![(
                    res.name.to_owned(),
                    Json::Arr(many.iter().map(|e| json_entity(e, true, &mut warnings)).collect()),
                )],
            };
            Rendered::json(content, warnings)
        }
    }
}

/// A list with fields (`display=full` or `display=[...]`).
pub(crate) fn list(ctx: &Ctx<'_>, fmt: Format, entities: &[OutEntity], res: &Resource) -> Rendered {
    let mut warnings = Vec::new();
    match fmt {
        Format::Xml => {
            let mut out = XML_HEAD.to_owned();
            out.push_str(&format!("<{}>\n", res.name));
            for e in entities {
                xml_entity(&mut out, ctx, e);
            }
            out.push_str(&format!("</{}>\n", res.name));
            out.push_str(XML_TAIL);
            Rendered::plain(out)
        }
        Format::Json if entities.is_empty() => Rendered::plain("[]".to_owned()),
        Format::Json => {
            let items = entities.iter().map(|e| json_entity(e, false, &mut warnings)).collect();
            Rendered::json(vec![(res.name.to_owned(), Json::Arr(items))], warnings)
        }
    }
}

/// The default list: ids and links only.
pub(crate) fn list_minimal(ctx: &Ctx<'_>, fmt: Format, ids: &[u64], res: &Resource) -> String {
    match fmt {
        Format::Xml => {
            let mut out = XML_HEAD.to_owned();
            out.push_str(&format!("<{}>\n", res.name));
            for id in ids {
                out.push_str(&format!(
                    "<{} id=\"{id}\" xlink:href=\"{}/api/{}/{id}\"/>\n",
                    res.singular,
                    attr(ctx.base),
                    res.name
                ));
            }
            out.push_str(&format!("</{}>\n", res.name));
            out.push_str(XML_TAIL);
            out
        }
        Format::Json if ids.is_empty() => "[]".to_owned(),
        Format::Json => Json::Obj(vec![(
            res.name.to_owned(),
            Json::Arr(ids.iter().map(|id| Json::Obj(vec![("id".into(), Json::Int(*id as i64))])).collect()),
        )])
        .into_string(),
    }
}

/// An error body: one entry per `(code, message)`.
pub(crate) fn errors(fmt: Format, errors: &[(u32, String)]) -> String {
    match fmt {
        Format::Xml => {
            let mut out = XML_HEAD.to_owned();
            out.push_str("<errors>\n");
            for (code, msg) in errors {
                out.push_str(&format!(
                    "<error>\n<code>{}</code>\n<message>{}</message>\n</error>\n",
                    cdata(&code.to_string()),
                    cdata(msg)
                ));
            }
            out.push_str("</errors>\n");
            out.push_str(XML_TAIL);
            out
        }
        Format::Json => Json::Obj(vec![(
            "errors".into(),
            Json::Arr(
                errors
                    .iter()
                    .map(|(c, m)| {
                        Json::Obj(vec![
                            ("code".into(), Json::Int(i64::from(*c))),
                            ("message".into(), Json::Str(m.clone())),
                        ])
                    })
                    .collect(),
            ),
        )])
        .into_string(),
    }
}

/// Permission flags of one resource in the `/api/` listing.
pub(crate) struct Listed {
    pub res: &'static Resource,
    pub methods: [bool; 6],
}

/// `GET /api/`: the resources the key may use.
pub(crate) fn api_root(base: &str, fmt: Format, listed: &[Listed]) -> String {
    const NAMES: [&str; 6] = ["get", "put", "post", "patch", "delete", "head"];
    match fmt {
        Format::Xml => {
            let mut out = XML_HEAD.to_owned();
            out.push_str("<api shopName=\"PrestaShop\">\n");
            for l in listed {
                let flags: String = NAMES.iter().zip(l.methods).map(|(n, b)| format!(" {n}=\"{b}\"")).collect();
                let href = format!("{}/api/{}", attr(base), l.res.name);
                out.push_str(&format!("<{} xlink:href=\"{href}\"{flags}>\n", l.res.name));
                out.push_str(&format!(
                    "<description xlink:href=\"{href}\"{flags}>\n{}</description>\n",
                    l.res.description
                ));
                out.push_str(&format!("<schema xlink:href=\"{href}?schema=blank\" type=\"blank\"/>\n"));
                out.push_str(&format!("<schema xlink:href=\"{href}?schema=synopsis\" type=\"synopsis\"/>\n"));
                out.push_str(&format!("</{}>\n", l.res.name));
            }
            out.push_str("</api>\n");
            out.push_str(XML_TAIL);
            out
        }
        Format::Json => {
            let items = listed
                .iter()
                .map(|l| {
                    let mut kv: Vec<(String, Json)> = vec![
                        ("description".into(), Json::Str(l.res.description.to_owned())),
                        ("href".into(), Json::Str(format!("{base}/api/{}", l.res.name))),
                    ];
                    for (n, b) in NAMES.iter().zip(l.methods) {
                        kv.push(((*n).to_owned(), Json::Str(b.to_string())));
                    }
                    (l.res.name.to_owned(), Json::Obj(kv))
                })
                .collect();
            Json::Obj(vec![("api".into(), Json::Obj(items))]).into_string()
        }
    }
}

/// `?schema=blank` (`synopsis == false`) or `?schema=synopsis`.
pub(crate) fn schema(base: &str, langs: &[OutLang], res: &Resource, synopsis: bool) -> String {
    let mut out = XML_HEAD.to_owned();
    out.push_str(&format!("<{}>\n", res.singular));
    for f in res.fields {
        if synopsis && f.name == "id" {
            continue;
        }
        if !synopsis && f.has(NOT_WRITABLE) {
            continue;
        }
        let mut attrs = String::new();
        if synopsis {
            if f.has(REQ) {
                attrs.push_str(" required=\"true\"");
            }
            if let Some(m) = f.max {
                attrs.push_str(&format!(" maxSize=\"{m}\""));
            }
            if let Some(fm) = f.format {
                attrs.push_str(&format!(" format=\"{fm}\""));
            }
            if f.has(NOT_FILTERABLE) {
                attrs.push_str(" notFilterable=\"true\"");
            }
            if f.has(NOT_WRITABLE) {
                attrs.push_str(" read_only=\"true\" readOnly=\"true\"");
            } else if f.has(RO_ATTR) {
                attrs.push_str(" readOnly=\"true\"");
            }
        }
        let content = if f.is_lang() {
            langs
                .iter()
                .map(|l| {
                    let l = l.id;
                    if synopsis {
                        format!(
                            "<language id=\"{l}\" xlink:href=\"{}/api/languages/{l}\" format=\"isUnsignedId\" >{}</language>",
                            attr(base),
                            cdata("")
                        )
                    } else {
                        format!("<language id=\"{l}\">{}</language>", cdata(""))
                    }
                })
                .collect()
        } else {
            cdata("")
        };
        out.push_str(&format!("\t<{0}{attrs}>{content}</{0}>\n", f.name));
    }
    if !res.assocs.is_empty() {
        out.push_str("<associations>\n");
        for a in res.assocs {
            let head = if synopsis { assoc_attrs(a) } else { String::new() };
            out.push_str(&format!("<{}{head}>\n\t<{}>\n", a.name, a.node));
            for f in a.fields {
                let mut attrs = String::new();
                if synopsis {
                    if let Some(x) = f.xlink {
                        attrs.push_str(&format!(" xlink:href=\"{}/api/{x}/\"", attr(base)));
                    }
                    if f.required {
                        attrs.push_str(" required=\"true\"");
                    }
                    if f.read_only {
                        attrs.push_str(" read_only=\"true\" readOnly=\"true\"");
                    }
                }
                out.push_str(&format!("\t<{0}{attrs}>{1}</{0}>\n", f.name, cdata("")));
            }
            out.push_str(&format!("\t</{}>\n</{}>\n", a.node, a.name));
        }
        out.push_str("</associations>\n");
    }
    out.push_str(&format!("</{}>\n", res.singular));
    out.push_str(XML_TAIL);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema;

    fn ctx(store: &Store) -> Ctx<'_> {
        Ctx { base: "http://shop", langs: &[OutLang { id: 1, int_id: false }], store }
    }

    #[test]
    fn json_escapes_slashes_but_not_unicode() {
        let j = Json::Obj(vec![("d".into(), Json::Str("<p>a/b é</p>".into()))]);
        assert_eq!(j.into_string(), r#"{"d":"<p>a\/b é<\/p>"}"#);
    }

    #[test]
    fn stock_row_renders_like_prestashop_in_xml() {
        let store = Store::seeded();
        let res = schema::resource("stock_availables").expect("res");
        let mut rec = Record::default();
        for (k, v) in [
            ("id", "6"),
            ("id_product", "6"),
            ("id_product_attribute", "0"),
            ("id_shop", "1"),
            ("id_shop_group", "0"),
            ("quantity", "300"),
            ("depends_on_stock", "0"),
            ("out_of_stock", "2"),
            ("location", ""),
        ] {
            rec.set(res.field(k).expect("field").name, v);
        }
        let c = ctx(&store);
        let e = entity(&c, res, &rec, &View { fields: None, assocs: AssocSel::All, in_memory: false });
        let xml = single(&c, Format::Xml, std::slice::from_ref(&e), res).body;
        assert!(xml.contains("\t<id_product xlink:href=\"http://shop/api/products/6\"><![CDATA[6]]></id_product>\n"));
        assert!(xml.contains("\t<id_product_attribute><![CDATA[0]]></id_product_attribute>\n"));
        assert!(xml.ends_with("</stock_available>\n</prestashop>\n"));
        let json = single(&c, Format::Json, &[e], res).body;
        assert_eq!(
            json,
            r#"{"stock_available":{"id":6,"id_product":"6","id_shop":"1","quantity":"300","out_of_stock":"2"}}"#
        );
    }

    #[test]
    fn empty_json_list_is_a_bare_array() {
        let store = Store::seeded();
        let res = schema::resource("products").expect("res");
        assert_eq!(list_minimal(&ctx(&store), Format::Json, &[], res), "[]");
        assert_eq!(list(&ctx(&store), Format::Json, &[], res).body, "[]");
    }

    #[test]
    fn error_bodies_carry_integer_codes_in_json() {
        let e = vec![(41, "parameter \"price\" required".to_owned())];
        assert_eq!(errors(Format::Json, &e), r#"{"errors":[{"code":41,"message":"parameter \"price\" required"}]}"#);
        assert!(errors(Format::Xml, &e).contains("<code><![CDATA[41]]></code>"));
    }
}
