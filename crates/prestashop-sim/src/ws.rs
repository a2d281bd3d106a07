//! The dispatcher: `webservice/dispatcher.php` and `WebserviceRequest::fetch` for one request —
//! authentication, output format, resource and method checks, then reading, writing or deleting, and the
//! headers PrestaShop puts on every answer.

use std::{
    sync::{Mutex, MutexGuard},
    time::Instant,
};

use crate::{
    KeySpec,
    error::{WsError, did_you_mean},
    images,
    query::{Display, ListQuery, Params, parse_display},
    render::{self, AssocSel, Ctx, Format, Listed, OutLang, Rendered, View},
    schema::{self, RESOURCES, Resource},
    store::Store,
    util,
    write::{self, WriteMethod, WriteOpts},
};

/// An HTTP answer before it goes on the wire.
#[derive(Debug, Clone)]
pub(crate) struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Answer with `HTTP/1.0` (PHP fatal errors under `php -S`).
    pub http10: bool,
    /// A HEAD answer: `Content-Length` is the body's, but the body is not sent.
    pub head: bool,
}

const REALM: &str = "Basic realm=\"Welcome to PrestaShop Webservice, please enter the authentication key as the login. No password required.\"";
const METHODS: [&str; 6] = ["GET", "PUT", "POST", "PATCH", "DELETE", "HEAD"];

/// What a successful call answers.
#[derive(Debug, Clone)]
pub(crate) enum Body {
    /// No body (DELETE): an empty `Content-Type`.
    None,
    /// A rendered XML or JSON answer.
    Text(String),
    /// A rendering that raised PHP warnings (see [`Rendered::warnings`]).
    Warned(Rendered),
    /// A product image's file, served as `image/jpeg`.
    Image(Vec<u8>),
}

impl From<Rendered> for Body {
    fn from(r: Rendered) -> Self {
        if r.warnings.is_empty() { Self::Text(r.body) } else { Self::Warned(r) }
    }
}

/// One incoming request, as the dispatcher sees it.
pub(crate) struct Incoming<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a str,
    pub headers: &'a [(String, String)],
    pub body: &'a [u8],
}

impl Incoming<'_> {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// The simulated shop's Webservice.
pub(crate) struct Webservice {
    store: Mutex<Store>,
    keys: Vec<KeySpec>,
    base: String,
}

enum Access<'a> {
    All,
    Some(&'a KeySpec),
}

impl Access<'_> {
    fn resource(&self, r: &str) -> bool {
        match self {
            Self::All => true,
            Self::Some(k) => k.permissions.iter().any(|p| p.resource == r),
        }
    }
    fn method(&self, r: &str, m: &str) -> bool {
        match self {
            Self::All => true,
            Self::Some(k) => {
                k.permissions.iter().any(|p| p.resource == r && p.methods.iter().any(|x| x.eq_ignore_ascii_case(m)))
            }
        }
    }
}

impl Webservice {
    pub(crate) fn new(main_key: String, extra: Vec<KeySpec>, base: String) -> Self {
        let mut keys = vec![KeySpec { key: main_key, active: true, permissions: Vec::new() }];
        keys.extend(extra);
        Self { store: Mutex::new(Store::seeded()), keys, base }
    }

    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Answers one request.
    pub(crate) fn handle(&self, req: &Incoming<'_>) -> Answer {
        let started = Instant::now();
        let params = util::parse_query(req.query);
        let p = Params(&params);
        let fmt = output_format(req, &p);
        let Some(rest) = req.path.strip_prefix("/api").filter(|r| r.is_empty() || r.starts_with('/')) else {
            return plain(404, "Not Found", "text/html; charset=utf-8");
        };
        let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
        let key = basic_user(req.header("authorization")).or_else(|| p.get("ws_key").map(str::to_owned));
        let Some(key) = key else {
            let mut a = plain(401, "401 Unauthorized", "text/html; charset=utf-8");
            a.headers.insert(0, ("WWW-Authenticate".into(), REALM.into()));
            a.headers.insert(0, ("X-Powered-By".into(), "PHP/8.2.36".into()));
            return a;
        };
        let access = match self.authenticate(&key) {
            Ok(a) => a,
            Err(list) => {
                let body = render::errors(fmt, &list).into_bytes();
                return Answer {
                    status: 401,
                    headers: vec![
                        ("WWW-Authenticate".into(), REALM.into()),
                        ("X-Powered-By".into(), "PrestaShop Webservice".into()),
                        ("PSWS-Version".into(), "0".into()),
                        ("Content-Type".into(), fmt.content_type().into()),
                    ],
                    body,
                    http10: false,
                    head: false,
                };
            }
        };
        let method = req.method.to_ascii_uppercase();
        let result = self.dispatch(req, &method, &segments, &p, fmt, &access);
        let mut answer = match result {
            Ok((status, body)) => ok_answer(status, fmt, body, req.header("local-content-sha1")),
            Err(e) => error_answer(fmt, e),
        };
        answer.head = method == "HEAD";
        if answer.headers.iter().any(|(k, v)| k == "X-Powered-By" && v == "PrestaShop Webservice") {
            let now =
                std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
            answer.headers.push(("Access-Time".into(), now.to_string()));
            answer.headers.push(("Execution-Time".into(), format!("{:.3}", started.elapsed().as_secs_f64())));
        }
        answer
    }

    fn authenticate(&self, key: &str) -> Result<Access<'_>, Vec<(u32, String)>> {
        if key.is_empty() {
            return Err(vec![(17, "Authentication key is empty".into())]);
        }
        if key.chars().count() != 32 {
            return Err(vec![(18, "Invalid authentication key format".into())]);
        }
        match self.keys.iter().position(|k| k.key == key) {
            Some(0) => Ok(Access::All),
            Some(i) if self.keys[i].active => Ok(Access::Some(&self.keys[i])),
            _ => Err(vec![
                (20, "Authentification key is not active".into()),
                (21, "No permission for this authentication key".into()),
            ]),
        }
    }

    fn dispatch(
        &self,
        req: &Incoming<'_>,
        method: &str,
        segments: &[&str],
        p: &Params<'_>,
        fmt: Format,
        access: &Access<'_>,
    ) -> Result<(u16, Body), WsError> {
        // `fetch` sets the answer's languages before it checks the resource.
        let langs = languages(&self.store(), p.get("language"))?;
        let Some(&name) = segments.first() else {
            if !METHODS.contains(&method) {
                return Err(WsError::new(405, 23, format!("Method {method} is not valid")));
            }
            let listed: Vec<Listed> = RESOURCES
                .iter()
                .filter(|r| access.resource(r.name))
                .map(|r| Listed { res: r, methods: METHODS.map(|m| access.method(r.name, m)) })
                .collect();
            return Ok((200, Body::Text(render::api_root(&self.base, fmt, &listed))));
        };
        if name == "images" {
            return self.images(req, method, segments, access, &langs);
        }
        let Some(res) = schema::resource(name) else {
            let names: Vec<&str> = RESOURCES.iter().map(|r| r.name).collect();
            return Err(WsError::new(
                400,
                27,
                did_you_mean(&format!("Resource of type \"{name}\" does not exists"), name, &names),
            ));
        };
        if !access.resource(res.name) {
            return Err(WsError::new(
                401,
                26,
                format!("Resource of type \"{}\" is not allowed with this authentication key", res.name),
            ));
        }
        if !METHODS.contains(&method) {
            return Err(WsError::new(405, 23, format!("Method {method} is not valid")));
        }
        let read_only_here = !res.writable && !matches!(method, "GET" | "HEAD");
        if res.forbidden.contains(&method) || read_only_here {
            return Err(WsError::new(
                405,
                101,
                format!("Method {method} is not allowed for the resource {}", res.name),
            ));
        }
        if !access.method(res.name, method) {
            return Err(WsError::new(
                405,
                25,
                format!("Method {method} is not allowed for the resource {} with this authentication key", res.name),
            ));
        }
        let id = match segments.get(1) {
            Some(s) => Some(s.parse::<u64>().map_err(|_| WsError::NotFound)?),
            None => None,
        };
        let body = String::from_utf8_lossy(req.body);
        // `(bool) Tools::getValue('sendemail', false)`: any value but "" and "0".
        let opts = WriteOpts { sendemail: p.get("sendemail").is_some_and(|v| !v.is_empty() && v != "0") };
        match method {
            "GET" | "HEAD" => self.read(res, id, p, fmt, &langs).map(|b| (200, b)),
            "POST" => {
                let root = write::parse_body(&body)?;
                let mut store = self.store();
                let objs = write::write(&mut store, res, WriteMethod::Post, &root, opts)?;
                Ok((201, self.render_written(&store, res, &objs, fmt, &langs)))
            }
            "PUT" | "PATCH" => {
                let m = if method == "PUT" { WriteMethod::Put } else { WriteMethod::Patch };
                let root = write::parse_body(&body)?;
                let mut store = self.store();
                // `saveEntityFromXml` never reads the URL's id: the body's `<id>` names the object, and one
                // that does not exist is 404 with error 92 in the requested format, not an empty 404.
                let objs = write::write(&mut store, res, m, &root, opts)?;
                Ok((200, self.render_written(&store, res, &objs, fmt, &langs)))
            }
            _ => {
                let ids: Vec<u64> = match id {
                    Some(id) => vec![id],
                    None => p
                        .get("id")
                        .map(|v| {
                            v.trim_matches(|c| c == '[' || c == ']')
                                .split([',', '|'])
                                .filter_map(|s| s.trim().parse().ok())
                                .collect()
                        })
                        .unwrap_or_default(),
                };
                if ids.is_empty() {
                    return Err(WsError::new(400, 87, "Id(s) not exists: "));
                }
                let mut store = self.store();
                write::delete(&mut store, res, &ids)?;
                Ok((200, Body::None))
            }
        }
    }

    /// `/api/images/products/{id}` (see `images`); any other image path answers as an image type that
    /// does not exist (code 48), as the simulator models product images only.
    fn images(
        &self,
        req: &Incoming<'_>,
        method: &str,
        segments: &[&str],
        access: &Access<'_>,
        langs: &[OutLang],
    ) -> Result<(u16, Body), WsError> {
        if !access.resource("images") {
            return Err(WsError::new(
                401,
                26,
                "Resource of type \"images\" is not allowed with this authentication key",
            ));
        }
        if !METHODS.contains(&method) {
            return Err(WsError::new(405, 23, format!("Method {method} is not valid")));
        }
        if !access.method("images", method) {
            return Err(WsError::new(
                405,
                25,
                format!("Method {method} is not allowed for the resource images with this authentication key"),
            ));
        }
        let kind = segments.get(1).copied().unwrap_or("");
        if kind != "products" || !(3..=5).contains(&segments.len()) {
            return Err(WsError::new(400, 48, format!("Image of type \"{kind}\" does not exist")));
        }
        let answer = match (method, segments) {
            ("GET" | "HEAD", [_, _, product, image, size @ ..]) => {
                images::file(&self.store(), product, image, size.first().copied()).map(|f| (200, Body::Image(f)))
            }
            (_, [_, _, _]) => {
                let id: u64 = segments[2].parse().map_err(|_| WsError::NotFound)?;
                match method {
                    "GET" | "HEAD" => images::list(&self.store(), &self.base, id).map(|b| (200, Body::Text(b))),
                    "POST" => {
                        let ct = req.header("content-type").unwrap_or("");
                        images::upload(&mut self.store(), &self.base, langs, id, ct, req.body)
                            .map(|b| (200, Body::Text(b)))
                    }
                    _ => Err(WsError::new(405, 77, format!("Method {method} is not allowed for an image resource"))),
                }
            }
            _ => Err(WsError::new(405, 77, format!("Method {method} is not allowed for an image resource"))),
        };
        answer.map_err(WsError::managed)
    }

    fn render_written(
        &self,
        store: &Store,
        res: &'static Resource,
        objs: &[crate::store::Record],
        fmt: Format,
        langs: &[OutLang],
    ) -> Body {
        let ctx = Ctx { base: &self.base, langs, store };
        let view = View { fields: None, assocs: AssocSel::All, in_memory: true };
        let entities: Vec<_> = objs.iter().map(|o| render::entity(&ctx, res, o, &view)).collect();
        render::single(&ctx, fmt, &entities, res).into()
    }

    fn read(
        &self,
        res: &'static Resource,
        id: Option<u64>,
        p: &Params<'_>,
        fmt: Format,
        langs: &[OutLang],
    ) -> Result<Body, WsError> {
        let store = self.store();
        let ctx = Ctx { base: &self.base, langs, store: &store };
        if let Some(schema) = p.get("schema") {
            return match schema {
                "blank" => Ok(Body::Text(render::schema(&self.base, langs, res, false))),
                "synopsis" => Ok(Body::Text(render::schema(&self.base, langs, res, true))),
                _ => Err(WsError::new(
                    400,
                    28,
                    "Please select a schema of type 'synopsis' to get the whole schema informations (which fields are required, which kind of content...) or 'blank' to get an empty schema to fill before using POST request",
                )),
            };
        }
        if let Some(id) = id {
            let rec = store.get(res.name, id).ok_or(WsError::NotFound)?;
            if res.name == "stock_availables" && rec.int("id_shop") != 1 {
                return Err(WsError::new(404, 131, format!("This {} ({id}) does not exists on this shop", res.class)));
            }
            return match parse_display(res, p.get("display"))? {
                Display::Default => {
                    let e =
                        render::entity(&ctx, res, rec, &View { fields: None, assocs: AssocSel::All, in_memory: false });
                    Ok(render::single(&ctx, fmt, &[e], res).into())
                }
                display => {
                    let e = entity_for(&ctx, res, rec, &display);
                    Ok(render::list(&ctx, fmt, &[e], res).into())
                }
            };
        }
        let q = ListQuery::parse(res, p)?;
        let table = store.table(res.name);
        let rows = match q.id_candidates() {
            Some(ids) => q.apply(ids.iter().filter_map(|id| table.and_then(|t| t.rows.get(id)))),
            None => q.apply(table.into_iter().flat_map(|t| t.rows.values())),
        };
        match &q.display {
            Display::Default => {
                let ids: Vec<u64> = rows.iter().map(|r| r.int("id") as u64).collect();
                Ok(Body::Text(render::list_minimal(&ctx, fmt, &ids, res)))
            }
            display => {
                let entities: Vec<_> = rows.iter().map(|r| entity_for(&ctx, res, r, display)).collect();
                Ok(render::list(&ctx, fmt, &entities, res).into())
            }
        }
    }
}

fn entity_for(
    ctx: &Ctx<'_>,
    res: &'static Resource,
    rec: &crate::store::Record,
    display: &Display,
) -> render::OutEntity {
    match display {
        Display::Fields { fields, assocs } => {
            render::entity(ctx, res, rec, &View { fields: Some(fields), assocs: assocs.clone(), in_memory: false })
        }
        _ => render::entity(ctx, res, rec, &View { fields: None, assocs: AssocSel::All, in_memory: false }),
    }
}

/// The languages of an answer: `Language::getIDs` (the active ones, ids as strings) without `language=`,
/// else `WebserviceRequest::filterLanguage` — `1` (one id, an integer), `[1|2]` (a list, in the order
/// given), `[1,3]` (a range: its first id as given, then integers from `++$i`), or `[..N]` (the last digit
/// of the first `[digits]`, PHP's `#\[(\d)+\]#`: `[12]` is language 2); any other value is code 79, a range
/// of other than two values 78, a non-numeric id after the first 80, and every one of them, or no language
/// left once unknown ids are dropped, 81 (all 400, as captured).
fn languages(store: &Store, raw: Option<&str>) -> Result<Vec<OutLang>, WsError> {
    let Some(raw) = raw else { return Ok(store.languages.iter().map(|&l| OutLang::of(l)).collect()) };
    let mut errors: Vec<(u32, String)> = Vec::new();
    // The ids as PHP holds them: the text, and whether it is an integer.
    let mut asked: Vec<(String, bool)> = Vec::new();
    let bracketed = raw.len() >= 2 && raw.starts_with('[') && raw.find(']') == Some(raw.len() - 1);
    if util::is_numeric(raw) {
        asked.push((util::php_int(raw).to_string(), true));
    } else if bracketed {
        let (pipe, comma) = (raw.contains('|'), raw.contains(','));
        let inner = raw.replace(['[', ']'], "");
        if pipe && !comma {
            asked = inner.split('|').map(|s| (s.to_owned(), false)).collect();
        } else if comma && !pipe {
            match inner.split(',').collect::<Vec<_>>()[..] {
                [a, b] if util::is_numeric(a) && util::is_numeric(b) => {
                    let (mut i, end) = (util::php_decimal(a), util::php_decimal(b));
                    let mut first = true;
                    // `for ($i = $a; $i <= $b; ++$i)` (bounded here).
                    while i <= end && asked.len() < 10_000 {
                        asked.push(if first { (a.to_owned(), false) } else { (i.normalize().to_string(), true) });
                        first = false;
                        i += rust_decimal::Decimal::ONE;
                    }
                }
                [_, _] => {}
                _ => errors.push((78, "A range value for a language must contains only 2 values".to_owned())),
            }
        } else if let Some(digits) = raw[..raw.len() - 1].rsplit('[').next().filter(|d| util::is_digits(d)) {
            asked.push((digits[digits.len() - 1..].to_owned(), false));
        }
    } else {
        errors.push((79, "language value is wrong".to_owned()));
    }
    // `array_search(false, …, true)`: a non-numeric first id goes unnoticed.
    if errors.is_empty() && asked.iter().position(|(v, _)| !util::is_numeric(v)).is_some_and(|i| i > 0) {
        errors.push((80, "Language ID must be numeric".to_owned()));
    }
    let exists = |v: &str| store.get("languages", util::php_int(v).max(0) as u64).is_some();
    let out: Vec<OutLang> = if errors.is_empty() {
        asked
            .iter()
            .filter(|(v, _)| exists(v))
            .map(|(v, int_id)| OutLang { id: u32::try_from(util::php_int(v)).unwrap_or(0), int_id: *int_id })
            .collect()
    } else {
        Vec::new()
    };
    if out.is_empty() {
        errors.push((81, "language is not available".to_owned()));
        return Err(WsError::Errors { status: 400, list: errors });
    }
    Ok(out)
}

/// `Io-Format`, then `Output-Format`, then `output_format`, then `io_format`: the first one present
/// decides, and only `JSON` in upper case gives JSON.
fn output_format(req: &Incoming<'_>, p: &Params<'_>) -> Format {
    let chosen = req
        .header("io-format")
        .or_else(|| req.header("output-format"))
        .or_else(|| p.get("output_format"))
        .or_else(|| p.get("io_format"));
    if chosen == Some("JSON") { Format::Json } else { Format::Xml }
}

/// The user part of HTTP Basic credentials.
fn basic_user(header: Option<&str>) -> Option<String> {
    let h = header?.trim();
    let (scheme, rest) = h.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = util::base64_decode(rest.trim())?;
    let text = String::from_utf8_lossy(&decoded).into_owned();
    Some(text.split_once(':').map_or(text.clone(), |(u, _)| u.to_owned()))
}

fn plain(status: u16, body: &str, content_type: &str) -> Answer {
    Answer {
        status,
        headers: vec![("Content-Type".into(), content_type.into())],
        body: body.as_bytes().to_vec(),
        http10: false,
        head: false,
    }
}

fn ws_headers() -> Vec<(String, String)> {
    vec![("X-Powered-By".into(), "PrestaShop Webservice".into()), ("PSWS-Version".into(), "8.2.1".into())]
}

fn ok_answer(status: u16, fmt: Format, body: Body, local_sha1: Option<&str>) -> Answer {
    let mut headers = ws_headers();
    // `returnOutput` hashes the content before any error replaces it.
    let (status, content_type, content, sent) = match body {
        Body::Text(b) => (status, fmt.content_type(), b.clone().into_bytes(), b.into_bytes()),
        Body::Warned(r) => (500, fmt.content_type(), r.body.clone().into_bytes(), r.with_errors().into_bytes()),
        Body::Image(data) => (status, "image/jpeg", data.clone(), data),
        Body::None => {
            headers.push(("Content-Type".into(), String::new()));
            return Answer { status, headers, body: Vec::new(), http10: false, head: false };
        }
    };
    let sha = util::sha1_hex(&content);
    if local_sha1.is_some_and(|l| l.eq_ignore_ascii_case(&sha)) {
        return Answer { status: 304, headers, body: Vec::new(), http10: false, head: false };
    }
    headers.push(("Content-Type".into(), content_type.into()));
    headers.push(("Content-Sha1".into(), sha));
    Answer { status, headers, body: sent, http10: false, head: false }
}

fn error_answer(fmt: Format, e: WsError) -> Answer {
    match e {
        WsError::Errors { status, list } => {
            let mut headers = ws_headers();
            headers.push(("Content-Type".into(), fmt.content_type().into()));
            Answer { status, headers, body: render::errors(fmt, &list).into_bytes(), http10: false, head: false }
        }
        WsError::Managed { status, list } => {
            let mut a = error_answer(fmt, WsError::Errors { status, list });
            a.headers.push(("Content-Sha1".into(), util::sha1_hex(b"")));
            a
        }
        WsError::NotFound => {
            let mut headers = ws_headers();
            headers.push(("Content-Type".into(), String::new()));
            Answer { status: 404, headers, body: Vec::new(), http10: false, head: false }
        }
        WsError::PhpFatal => Answer {
            status: 500,
            headers: vec![
                ("X-Powered-By".into(), "PHP/8.2.36".into()),
                ("Content-Type".into(), "text/html; charset=utf-8".into()),
            ],
            body: Vec::new(),
            http10: true,
            head: false,
        },
        WsError::Die(msg) => Answer {
            status: 500,
            headers: vec![
                ("X-Powered-By".into(), "PHP/8.2.36".into()),
                ("Content-Type".into(), "text/html; charset=utf-8".into()),
            ],
            body: msg.into_bytes(),
            http10: false,
            head: false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Permission;

    const KEY: &str = "SIMKEY0123456789ABCDEFGHIJKLMNOP";

    fn ws() -> Webservice {
        let ro = KeySpec {
            key: "READONLYKEY456789ABCDEFGHIJKLMNO".into(),
            active: true,
            permissions: vec![Permission { resource: "products".into(), methods: vec!["GET".into()] }],
        };
        Webservice::new(KEY.into(), vec![ro], "http://shop".into())
    }

    fn call(ws: &Webservice, method: &str, path: &str, query: &str, key: Option<&str>, body: &str) -> Answer {
        let mut q = query.to_owned();
        if let Some(k) = key {
            q = format!("ws_key={k}&{q}");
        }
        ws.handle(&Incoming { method, path, query: &q, headers: &[], body: body.as_bytes() })
    }

    #[test]
    fn missing_key_gives_plain_401_with_challenge() {
        let a = call(&ws(), "GET", "/api/products", "", None, "");
        assert_eq!(a.status, 401);
        assert_eq!(a.body, b"401 Unauthorized");
        assert!(a.headers.iter().any(|(k, _)| k == "WWW-Authenticate"));
    }

    #[test]
    fn permission_errors_follow_prestashop_order() {
        let w = ws();
        let ro = Some("READONLYKEY456789ABCDEFGHIJKLMNO");
        assert_eq!(call(&w, "GET", "/api/orders", "", ro, "").status, 401);
        assert_eq!(call(&w, "PUT", "/api/products/1", "", ro, "").status, 405);
        assert_eq!(call(&w, "POST", "/api/stock_availables", "", Some(KEY), "").status, 405);
        assert_eq!(call(&w, "GET", "/api/productz", "", Some(KEY), "").status, 400);
    }

    /// A JSON answer whose rendering warned: 500, the object then the warnings, and `Content-Sha1` of the
    /// object alone (as captured: `returnOutput` hashes the content before the errors replace it).
    #[test]
    fn a_warned_json_answer_hashes_the_content_without_the_errors() {
        let w = ws();
        w.store().add_language("fr", "Français (French)");
        let body = "<prestashop><product><price>1</price><name><language id=\"1\">Mug</language></name></product></prestashop>";
        let a = call(&w, "POST", "/api/products", "output_format=JSON", Some(KEY), body);
        assert_eq!(a.status, 500);
        let text = String::from_utf8_lossy(&a.body).into_owned();
        let (content, errors) = text.split_once(",\"errors\":").expect("errors after the object");
        assert!(errors.contains("Undefined array key 2"), "{text}");
        let sha = a.headers.iter().find(|(k, _)| k == "Content-Sha1").map(|(_, v)| v.clone());
        assert_eq!(sha, Some(util::sha1_hex(format!("{content}}}").as_bytes())));
    }

    #[test]
    fn basic_credentials_take_the_user_part() {
        assert_eq!(basic_user(Some("Basic SFVCS0VZOg==")).as_deref(), Some("HUBKEY"));
        assert_eq!(basic_user(Some("Bearer x")), None);
    }
}
