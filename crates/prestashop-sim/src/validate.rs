//! The subset of PrestaShop's `Validate::*` checks that `ObjectModel::validateFields` runs on webservice
//! writes, and the messages it gives.

use crate::{
    error::WsError,
    schema::{Field, Kind, REQ, Resource},
    store::{Record, Value},
    util,
};

fn all(s: &str, ok: impl Fn(char) -> bool) -> bool {
    s.chars().all(ok)
}

fn digits(s: &str) -> bool {
    !s.is_empty() && all(s, |c| c.is_ascii_digit())
}

fn signed_digits(s: &str) -> bool {
    digits(s.strip_prefix('-').or_else(|| s.strip_prefix('+')).unwrap_or(s))
}

fn price(s: &str, negative: bool) -> bool {
    let s = if negative { s.strip_prefix('-').unwrap_or(s) } else { s };
    let (int, frac) = s.split_once('.').unwrap_or((s, "0"));
    digits(int) && int.len() <= 10 && digits(frac) && frac.len() <= 9
}

fn float(s: &str) -> bool {
    s.parse::<f64>().is_ok_and(f64::is_finite)
}

fn none_of(s: &str, bad: &str) -> bool {
    !s.chars().any(|c| bad.contains(c))
}

/// True when `value` passes the validator called `format`; unknown validators pass.
pub(crate) fn check(format: &str, value: &str) -> bool {
    match format {
        "isUnsignedId" | "isUnsignedInt" | "isNullOrUnsignedId" => digits(value) && value.parse::<u32>().is_ok(),
        "isInt" => signed_digits(value),
        "isPositiveInt" => digits(value) && value.parse::<u64>().is_ok_and(|v| v > 0),
        "isBool" => value == "0" || value == "1",
        "isPrice" => price(value, false),
        "isNegativePrice" => price(value, true),
        "isFloat" => float(value),
        "isUnsignedFloat" => float(value) && !value.starts_with('-'),
        "isEmail" => {
            let (local, domain) = value.split_once('@').unwrap_or(("", ""));
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !value.contains(' ')
        }
        "isEan13" => value.len() <= 13 && all(value, |c| c.is_ascii_digit()),
        "isUpc" => value.len() <= 12 && all(value, |c| c.is_ascii_digit()),
        "isIsbn" => value.len() <= 32 && all(value, |c| c.is_ascii_digit() || c == '-'),
        "isReference" => none_of(value, "<>;={}"),
        "isGenericName" | "IsGenericName" => none_of(value, "<>={}"),
        "isCatalogName" => none_of(value, "<>;=#{}"),
        "isName" | "isCustomerName" => none_of(value, "0123456789!<>,;?=+()@#\"°{}_$%:*^|[]"),
        "isCityName" => none_of(value, "!<>;?=+@#\"°{}_$%"),
        "isAddress" => none_of(value, "!<>?=+@{}_$%"),
        "isPostCode" => all(value, |c| c.is_ascii_alphanumeric() || c == ' ' || c == '-'),
        "isPhoneNumber" => all(value, |c| c.is_ascii_digit() || "+. ()/-".contains(c)),
        "isModuleName" => all(value, |c| c.is_ascii_alphanumeric() || c == '_' || c == '-'),
        "isLinkRewrite" => !value.contains(' ') && none_of(value, "<>;=#{}?&/\\\"'"),
        "isCleanHtml" => {
            let l = value.to_lowercase();
            !l.contains("<script") && !l.contains("javascript:") && !l.contains("<iframe")
        }
        "isDate" | "isDateFormat" | "isBirthDate" | "isDateOrNull" => {
            let b = value.as_bytes();
            b.len() >= 10 && b[4] == b'-' && b[7] == b'-' && b[..4].iter().all(u8::is_ascii_digit)
        }
        "isProductVisibility" => matches!(value, "both" | "catalog" | "search" | "none"),
        "isMd5" => value.len() == 32 && all(value, |c| c.is_ascii_hexdigit()),
        "isUrl" => !value.contains(' '),
        // `^(https?:)?//[$~:;#,%&_=()[].? +-@/a-zA-Z0-9]+$`
        "isAbsoluteUrl" => {
            let rest = value.strip_prefix("https:").or_else(|| value.strip_prefix("http:")).unwrap_or(value);
            rest.strip_prefix("//").is_some_and(|r| {
                !r.is_empty() && all(r, |c| c.is_ascii_alphanumeric() || "$~:;#,%&_=()[].? +-@/".contains(c))
            })
        }
        // `^[~:#,%&_=()[].? +-@/a-zA-Z0-9]+$`
        "isTrackingNumber" => {
            !value.is_empty() && all(value, |c| c.is_ascii_alphanumeric() || "~:#,%&_=()[].? +-@/".contains(c))
        }
        _ => true,
    }
}

/// `ObjectModel::validateField` on one value: required (on the default language, or a value of no
/// language), size, then the validator (on a non-empty value), with PrestaShop's messages.
fn field(class: &str, f: &Field, v: &str, check_required: bool, lang: bool) -> Result<(), WsError> {
    let name = f.name;
    if check_required && f.has(REQ) && v.is_empty() {
        return Err(WsError::validation(lang, &format!("Property {class}->{name} is empty.")));
    }
    let length = v.chars().count();
    if let Some(max) = f.max.filter(|&max| length > max as usize) {
        return Err(WsError::validation(
            lang,
            &format!(
                "The length of property {class}->{name} is currently {length} chars. It must be between 0 and {max} chars."
            ),
        ));
    }
    if !lang && f.kind == Kind::Int && f.format == Some("isInt") && f.has(REQ) && !check("isInt", v) {
        return Err(WsError::validation(
            false,
            &format!(
                "The range of property {class}->{name} is currently {}. It must be between -2147483648 and 2147483647.",
                util::php_int(v)
            ),
        ));
    }
    if !util::php_empty(v) && f.format.is_some_and(|fm| !check(fm, v)) {
        return Err(WsError::validation(lang, &format!("Property {class}->{name} is not valid")));
    }
    Ok(())
}

/// `validateFieldsLang` (code 84) then `validateFields` (85) on the object about to be saved. A language
/// value that is not an array stands for the object's language, which a Webservice object does not have
/// (so it is checked as required), and the default language is always checked: a required language field
/// given as a plain string, or without the default language, is "empty".
pub(crate) fn object(res: &Resource, rec: &Record, default_lang: u32) -> Result<(), WsError> {
    let class = res.class;
    for f in res.fields.iter().filter(|f| f.is_lang()) {
        let mut values: Vec<(Option<u32>, &str)> = match rec.fields.get(f.name) {
            Some(Value::Lang(m)) => m.iter().map(|(l, v)| (Some(*l), v.as_str())).collect(),
            Some(Value::Text(s)) => vec![(None, s.as_str())],
            _ => vec![(None, "")],
        };
        if !values.iter().any(|(l, _)| *l == Some(default_lang)) {
            values.push((Some(default_lang), ""));
        }
        for (l, v) in values {
            field(class, f, v, l.is_none_or(|l| l == default_lang), true)?;
        }
    }
    for f in res.fields.iter().filter(|f| !f.is_lang() && f.name != "id") {
        let v = match rec.fields.get(f.name) {
            Some(Value::Text(v)) => v.as_str(),
            _ => "",
        };
        field(class, f, v, true, false)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validators_accept_and_refuse_like_prestashop() {
        assert!(check("isPrice", "10.000000"));
        assert!(!check("isPrice", "-1"));
        assert!(check("isNegativePrice", "-1.5"));
        assert!(check("isEmail", "retailer-1@example.com"));
        assert!(!check("isEmail", "nope"));
        assert!(check("isPostCode", "ABC"));
        assert!(!check("isName", "Doe2"));
        assert!(check("isModuleName", "ps_wirepayment"));
        assert!(!check("isModuleName", "bad module"));
        assert!(!check("isInt", "abc"));
        assert!(check("isEan13", "3760000000017"));
    }
}
