//! Reading lists: `display`, `filter[...]` (every operator of `SQLUtils::getSQLRetrieveFilter`, compared
//! under MariaDB's case-insensitive collation), `sort`, `limit`, `date=1` and `language`, with the errors
//! (and the 500 quirk) PrestaShop gives when one of them is wrong.

use std::cmp::Ordering;

use rust_decimal::Decimal;

use crate::{
    error::{WsError, did_you_mean},
    render::AssocSel,
    schema::{Field, Kind, NOT_FILTERABLE, Resource},
    store::{Record, Value},
    util,
};

/// The `display` parameter.
#[derive(Debug, Clone)]
pub(crate) enum Display {
    /// No `display`: ids only for lists, everything for one object.
    Default,
    Full,
    Fields {
        fields: Vec<&'static Field>,
        assocs: AssocSel,
    },
}

/// A parsed list query.
#[derive(Debug)]
pub(crate) struct ListQuery {
    pub display: Display,
    filters: Vec<(&'static Field, Expr)>,
    sort: Vec<(&'static Field, bool)>,
    limit: Option<(usize, usize)>,
}

#[derive(Debug, Clone, PartialEq)]
enum Expr {
    Eq(String),
    Any(Vec<String>),
    /// `[a|b|…]` on a numeric field, the values parsed once and sorted (a 100-id page filter over a
    /// 10,000-row table stays cheap).
    AnyNumber(Vec<Decimal>),
    /// `x` or `[a|b|…]` on a text field, the values folded once (as MariaDB's collation compares them) into a
    /// set: each row's value is folded once and looked up, so a lookup by reference costs one fold per row,
    /// however many references it asks for.
    AnyText(std::collections::HashSet<String>),
    Between(String, String),
    Like(String),
    Gt(String),
    Lt(String),
    NoneOf(Vec<String>),
    Nothing,
}

/// The query parameters with their decoded names and values.
pub(crate) struct Params<'a>(pub &'a [(String, String)]);

impl Params<'_> {
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

fn is_date(f: &Field) -> bool {
    f.name == "date_add" || f.name == "date_upd"
}

fn filterable(res: &Resource, date: bool) -> Vec<&'static Field> {
    res.fields.iter().filter(|f| !f.is_lang() && (date || !is_date(f))).collect()
}

/// Parses `display` alone (single-object GETs accept it too).
pub(crate) fn parse_display(res: &'static Resource, raw: Option<&str>) -> Result<Display, WsError> {
    let Some(raw) = raw else { return Ok(Display::Default) };
    if raw == "full" {
        return Ok(Display::Full);
    }
    let all: Vec<&str> = res.fields.iter().map(|f| f.name).collect();
    let Some(inner) = raw.strip_prefix('[').and_then(|r| r.strip_suffix(']')) else {
        return Err(WsError::query(
            36,
            format!(
                "The 'display' syntax is wrong. You can set 'full' or '[field_1,field_2,field_3,...]'. These are available: {}",
                all.join(", ")
            ),
        ));
    };
    let mut fields = Vec::new();
    let mut assocs = Vec::new();
    for item in split_top(inner) {
        let (name, subs) = match item.split_once('[') {
            Some((n, rest)) => (n, Some(rest.trim_end_matches(']'))),
            None => (item, None),
        };
        if name == "associations" {
            return Err(WsError::PhpFatal);
        }
        if let Some(a) = res.assoc(name) {
            // `setFieldsToDisplay`: an association without `[…]` is looked up among the fields (captured:
            // 35); each sub-field but `id` must be one of the association's declared fields — an
            // association that declares none makes `array_key_exists` throw a TypeError.
            let Some(subs) = subs else {
                return Err(WsError::query(
                    35,
                    format!(
                        "Unable to display this field \"{name}\". However, these are available: {}",
                        all.join(", ")
                    ),
                ));
            };
            let subs: Vec<String> = subs.split(',').map(str::to_owned).collect();
            if subs.iter().any(|s| s != "id" && !a.fields.iter().any(|f| f.name == s.as_str())) {
                if !a.declared {
                    return Err(WsError::PhpFatal);
                }
                let listed: String = subs.iter().enumerate().map(|(i, s)| format!("  {i} => '{s}',\n")).collect();
                return Err(WsError::query(
                    35,
                    format!(
                        "Unable to display this field \"{name} (details : array (\n{listed}))\". However, these are available: {}",
                        all.join(", ")
                    ),
                ));
            }
            assocs.push((name.to_owned(), subs));
        } else if let Some(f) = res.field(name) {
            fields.push(f);
        } else if !name.is_empty() {
            return Err(WsError::query(
                35,
                format!("Unable to display this field \"{name}\". However, these are available: {}", all.join(", ")),
            ));
        }
    }
    let assocs = if assocs.is_empty() { AssocSel::None } else { AssocSel::Some(assocs) };
    Ok(Display::Fields { fields, assocs })
}

/// Splits `a,b[c,d],e` at the commas outside brackets.
fn split_top(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, c) in s.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            ',' if depth == 0 => {
                out.push(s[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(s[start..].trim());
    out
}

impl ListQuery {
    /// Parses the list parameters of `res`.
    pub(crate) fn parse(res: &'static Resource, p: &Params<'_>) -> Result<Self, WsError> {
        let date = p.get("date").is_some_and(|d| util::php_int(d) != 0);
        let available = filterable(res, date);
        let names: Vec<&str> = available.iter().map(|f| f.name).collect();
        let mut filters = Vec::new();
        for (k, v) in p.0 {
            let Some(name) = k.strip_prefix("filter[").and_then(|r| r.strip_suffix(']')) else { continue };
            let field = match available.iter().find(|f| f.name == name) {
                Some(f) => *f,
                None => match res.field(name) {
                    Some(f) if f.is_lang() && !v.is_empty() => f,
                    _ => return Err(WsError::query(32, did_you_mean("This filter does not exist", name, &names))),
                },
            };
            if v.is_empty() {
                return Err(WsError::query(33, format!("The filter \"{name}\" is malformed.")));
            }
            if field.has(NOT_FILTERABLE) {
                return Err(WsError::query(
                    34,
                    format!("The field \"{name}\" is dynamic. It is not possible to filter GET query with this field."),
                ));
            }
            let expr = match parse_expr(v) {
                Expr::Any(xs) if numeric(field) => {
                    let mut ds: Vec<Decimal> = xs.iter().map(|x| util::php_decimal(x)).collect();
                    ds.sort();
                    Expr::AnyNumber(ds)
                }
                Expr::Any(xs) => Expr::AnyText(xs.iter().map(|x| util::fold(x)).collect()),
                Expr::Eq(x) if !numeric(field) => Expr::AnyText([util::fold(&x)].into()),
                other => other,
            };
            filters.push((field, expr));
        }
        let display = parse_display(res, p.get("display"))?;
        let sort = match p.get("sort") {
            Some(raw) => parse_sort(res, raw, &available)?,
            None => Vec::new(),
        };
        // The list joins `category_shop`, which has a `position` too: `ORDER BY position` is ambiguous and
        // the database exception goes uncaught (captured: a bare 500).
        if res.name == "categories" && sort.iter().any(|(f, _)| f.name == "position") {
            return Err(WsError::PhpFatal);
        }
        let limit = match p.get("limit") {
            Some(raw) => Some(parse_limit(raw)?),
            None => None,
        };
        Ok(Self { display, filters, sort, limit })
    }

    /// The ids a filter on `id` allows (`[5]`, `[5|7]`), when there is one: the rows to look at are then
    /// found by their key instead of read through (the table's primary key is its index).
    pub(crate) fn id_candidates(&self) -> Option<Vec<u64>> {
        self.filters.iter().find(|(f, _)| f.name == "id").and_then(|(_, e)| match e {
            Expr::Eq(x) => Some(util::php_decimal(x).to_string().parse().ok().into_iter().collect()),
            Expr::AnyNumber(ds) => Some(ds.iter().filter_map(|d| d.to_string().parse().ok()).collect()),
            _ => None,
        })
    }

    /// The records that match, sorted and cut as asked. Without `sort` they come in id order.
    pub(crate) fn apply<'a>(&self, rows: impl Iterator<Item = &'a Record>) -> Vec<&'a Record> {
        let mut out: Vec<&Record> = rows.filter(|r| self.filters.iter().all(|(f, e)| matches(f, r, e))).collect();
        out.sort_by_key(|r| r.int("id"));
        if !self.sort.is_empty() {
            out.sort_by(|a, b| {
                self.sort
                    .iter()
                    .map(|(f, desc)| {
                        let o = compare(f, a, b);
                        if *desc { o.reverse() } else { o }
                    })
                    .find(|o| *o != Ordering::Equal)
                    .unwrap_or(Ordering::Equal)
            });
        }
        match self.limit {
            Some((offset, count)) => out.into_iter().skip(offset).take(count).collect(),
            None => out,
        }
    }
}

fn parse_sort(res: &Resource, raw: &str, available: &[&'static Field]) -> Result<Vec<(&'static Field, bool)>, WsError> {
    let raw = raw.trim();
    let inner = raw.strip_prefix('[').and_then(|r| r.strip_suffix(']')).unwrap_or(raw);
    let mut out = Vec::new();
    for item in inner.split(',') {
        let parsed = item.rsplit_once('_').and_then(|(name, dir)| match dir.to_ascii_uppercase().as_str() {
            "ASC" => Some((name, false)),
            "DESC" => Some((name, true)),
            _ => None,
        });
        let Some((name, desc)) = parsed else {
            return Err(WsError::query(
                37,
                "The \"sort\" value has to be formed as this example: \"field_ASC\" or '[field_1_DESC,field_2_ASC,field_3_ASC,...]' (\"field\" has to be an available field)",
            ));
        };
        let field =
            available.iter().copied().find(|f| f.name == name).or_else(|| res.field(name).filter(|f| f.is_lang()));
        let Some(field) = field else {
            let names: Vec<&str> = available.iter().map(|f| f.name).collect();
            let i18n: Vec<&str> = res.fields.iter().filter(|f| f.is_lang()).map(|f| f.name).collect();
            return Err(WsError::query(
                38,
                format!(
                    "Unable to filter by this field. However, these are available: {}, for i18n fields:{}",
                    names.join(", "),
                    i18n.join(", ")
                ),
            ));
        };
        out.push((field, desc));
    }
    Ok(out)
}

fn parse_limit(raw: &str) -> Result<(usize, usize), WsError> {
    let bad = || WsError::query(39, "The \"limit\" value has to be formed as this example: \"5,25\" or \"10\"");
    let num = |s: &str| s.trim().parse::<usize>().map_err(|_| bad());
    match raw.split_once(',') {
        Some((o, c)) => Ok((num(o)?, num(c)?)),
        None => Ok((0, num(raw)?)),
    }
}

fn parse_expr(v: &str) -> Expr {
    let (Some(open), Some(close)) = (v.rfind('['), v.rfind(']')) else { return Expr::Eq(v.to_owned()) };
    let open = v[..close].rfind('[').unwrap_or(open);
    if open > close {
        return Expr::Eq(v.to_owned());
    }
    let (before, inner, after) = (&v[..open], &v[open + 1..close], &v[close + 1..]);
    if before == "%" || after == "%" {
        return Expr::Like(format!("{before}{inner}{after}"));
    }
    match (before, after) {
        ("", "") => {
            if inner.find('|').is_some_and(|i| i > 0) {
                Expr::Any(inner.split('|').map(str::to_owned).collect())
            } else if let Some((a, b)) = inner.split_once(',').filter(|(a, b)| is_range_part(a) && is_range_part(b)) {
                Expr::Between(a.to_owned(), b.to_owned())
            } else {
                Expr::Eq(inner.to_owned())
            }
        }
        (">", "") => Expr::Gt(inner.to_owned()),
        ("<", "") => Expr::Lt(inner.to_owned()),
        ("!", "") => Expr::NoneOf(inner.split('|').map(str::to_owned).collect()),
        _ => Expr::Nothing,
    }
}

fn is_range_part(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_digit() || matches!(c, '.' | ':' | '-' | ' ' | '\t'))
}

fn numeric(f: &Field) -> bool {
    matches!(f.kind, Kind::Int | Kind::Bool | Kind::Dec(_))
}

/// Compares a column value with a literal the way MariaDB would.
fn cmp_value(f: &Field, value: &str, literal: &str) -> Ordering {
    if numeric(f) {
        util::php_decimal(value).cmp(&util::php_decimal(literal))
    } else {
        util::fold(value).cmp(&util::fold(literal))
    }
}

fn values<'a>(f: &Field, r: &'a Record) -> Vec<&'a str> {
    match r.fields.get(f.name) {
        Some(Value::Lang(m)) => m.values().map(String::as_str).collect(),
        Some(Value::Text(s)) => vec![s.as_str()],
        _ => vec![""],
    }
}

fn matches(f: &Field, r: &Record, e: &Expr) -> bool {
    let null = matches!(r.fields.get(f.name), Some(Value::Null));
    values(f, r).into_iter().any(|v| {
        if null && !matches!(e, Expr::Nothing) {
            return false;
        }
        match e {
            Expr::Eq(x) => cmp_value(f, v, x) == Ordering::Equal,
            Expr::Any(xs) => xs.iter().any(|x| cmp_value(f, v, x) == Ordering::Equal),
            Expr::AnyNumber(ds) => ds.binary_search(&util::php_decimal(v)).is_ok(),
            Expr::AnyText(folded) => folded.contains(&util::fold(v)),
            Expr::Between(a, b) => cmp_value(f, v, a) != Ordering::Less && cmp_value(f, v, b) != Ordering::Greater,
            Expr::Like(p) => util::like(v, p),
            Expr::Gt(x) => cmp_value(f, v, x) == Ordering::Greater,
            Expr::Lt(x) => cmp_value(f, v, x) == Ordering::Less,
            Expr::NoneOf(xs) => xs.iter().all(|x| cmp_value(f, v, x) != Ordering::Equal),
            Expr::Nothing => true,
        }
    })
}

fn compare(f: &Field, a: &Record, b: &Record) -> Ordering {
    let av = values(f, a).first().copied().unwrap_or("");
    let bv = values(f, b).first().copied().unwrap_or("");
    if numeric(f) {
        let (x, y): (Decimal, Decimal) = (util::php_decimal(av), util::php_decimal(bv));
        x.cmp(&y)
    } else {
        util::fold(av).cmp(&util::fold(bv))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema;

    fn products() -> &'static Resource {
        schema::resource("products").expect("products")
    }

    fn q(pairs: &[(&str, &str)]) -> Result<ListQuery, WsError> {
        let owned: Vec<(String, String)> = pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        ListQuery::parse(products(), &Params(&owned))
    }

    fn rec(id: u32, reference: &str, price: &str, name: &str) -> Record {
        let mut r = Record::default();
        r.set("id", id.to_string());
        r.set("reference", reference);
        r.set("price", price);
        r.fields.insert("name", Value::Lang([(1, name.to_owned())].into_iter().collect()));
        r.set("date_upd", format!("2024-05-0{id} 10:00:00"));
        r
    }

    fn ids(q: &ListQuery, rows: &[Record]) -> Vec<i64> {
        q.apply(rows.iter()).iter().map(|r| r.int("id")).collect()
    }

    fn sample() -> Vec<Record> {
        vec![
            rec(1, "demo_1", "23.900000", "Hummingbird printed t-shirt"),
            rec(2, "demo_2", "35.900000", "Hummingbird printed sweater"),
            rec(3, "demo_11", "11.900000", "Mug The best is yet to come"),
            rec(4, "DEMO_12", "11.900000", "Mug The adventure begins"),
        ]
    }

    #[test]
    fn every_filter_operator_selects_the_expected_rows() {
        let rows = sample();
        let cases: &[(&str, &str, &[i64])] = &[
            ("filter[reference]", "[demo_11]", &[3]),
            ("filter[reference]", "[DEMO_12]", &[4]),
            ("filter[reference]", "demo_2", &[2]),
            ("filter[reference]", "[demo_1|demo_2]", &[1, 2]),
            ("filter[id]", "[2,3]", &[2, 3]),
            ("filter[price]", ">[20]", &[1, 2]),
            ("filter[price]", "<[20]", &[3, 4]),
            ("filter[price]", "[11.9]", &[3, 4]),
            ("filter[reference]", "![demo_1|demo_2]", &[3, 4]),
            ("filter[name]", "%[mug]%", &[3, 4]),
            ("filter[name]", "[hummingbird]%", &[1, 2]),
            ("filter[name]", "%[SWEATER]", &[2]),
        ];
        for (k, v, want) in cases {
            let parsed = q(&[(k, v)]).expect("valid filter");
            assert_eq!(ids(&parsed, &rows), *want, "{k}={v}");
        }
    }

    #[test]
    fn date_fields_need_date_1() {
        assert!(q(&[("filter[date_upd]", ">[2024-05-02]")]).is_err());
        let ok = q(&[("date", "1"), ("filter[date_upd]", ">[2024-05-02 10:00:00]")]).expect("date=1");
        assert_eq!(ids(&ok, &sample()), [3, 4]);
        let range =
            q(&[("date", "1"), ("filter[date_upd]", "[2024-05-02 00:00:00,2024-05-03 23:59:59]")]).expect("range");
        assert_eq!(ids(&range, &sample()), [2, 3]);
    }

    #[test]
    fn sort_and_limit_page_the_result() {
        let parsed = q(&[("sort", "[price_DESC,id_ASC]"), ("limit", "1,2")]).expect("sort");
        assert_eq!(ids(&parsed, &sample()), [1, 3]);
        let single = q(&[("sort", "reference_DESC"), ("limit", "1")]).expect("sort");
        assert_eq!(ids(&single, &sample()), [2]);
    }

    #[test]
    fn bad_parameters_give_their_codes() {
        let code = |r: Result<ListQuery, WsError>| match r {
            Err(WsError::Errors { status: 500, list }) => list[0].0,
            other => panic!("unexpected {other:?}"),
        };
        assert_eq!(code(q(&[("filter[foo]", "[1]")])), 32);
        assert_eq!(code(q(&[("filter[reference]", "")])), 33);
        assert_eq!(code(q(&[("filter[quantity]", "[1]")])), 34);
        assert_eq!(code(q(&[("display", "[id,foo]")])), 35);
        assert_eq!(code(q(&[("display", "id")])), 36);
        assert_eq!(code(q(&[("sort", "reference")])), 37);
        assert_eq!(code(q(&[("sort", "[foo_ASC]")])), 38);
        assert_eq!(code(q(&[("limit", "a")])), 39);
        assert!(matches!(q(&[("display", "[id,associations[stock_availables[id]]]")]), Err(WsError::PhpFatal)));
    }

    #[test]
    fn display_keeps_the_resource_order_and_reads_association_subfields() {
        let Ok(ListQuery { display: Display::Fields { fields, assocs }, .. }) =
            q(&[("display", "[reference,id,stock_availables[id,id_product_attribute]]")])
        else {
            panic!("display not parsed")
        };
        assert_eq!(fields.iter().map(|f| f.name).collect::<Vec<_>>(), ["reference", "id"]);
        assert!(matches!(assocs, AssocSel::Some(ref a) if a[0].0 == "stock_availables" && a[0].1.len() == 2));
    }
}
