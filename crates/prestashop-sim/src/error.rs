//! The ways a Webservice call fails, each rendered the way PrestaShop 8.2.1 answers it.

/// A failed call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum WsError {
    /// An XML/JSON error body with one entry per `(code, message)`.
    Errors { status: u16, list: Vec<(u32, String)> },
    /// 404 with an empty body and an empty `Content-Type`.
    NotFound,
    /// A PHP fatal error: 500, empty `text/html` body, none of the Webservice headers.
    PhpFatal,
    /// A PHP `die()` with a message: 500, `text/html`.
    Die(String),
    /// An error body thrown inside a specific management (images): `returnOutput` has already hashed the
    /// empty content, so the answer carries `Content-Sha1` of nothing (as captured).
    Managed { status: u16, list: Vec<(u32, String)> },
}

impl WsError {
    pub(crate) fn new(status: u16, code: u32, message: impl Into<String>) -> Self {
        Self::Errors { status, list: vec![(code, message.into())] }
    }

    /// An error raised while reading `filter`, `display`, `sort` or `limit`: PHP carries on, trips on four
    /// warnings, and the answer becomes a 500 that lists them after the real error.
    pub(crate) fn query(code: u32, message: impl Into<String>) -> Self {
        let mut list = vec![(code, message.into())];
        for line in 1333..=1336 {
            list.push((
                3,
                format!(
                    "[PHP Warning #2] Trying to access array offset on value of type bool \
                     (/var/www/prestashop/classes/webservice/WebserviceRequest.php, line {line})"
                ),
            ));
        }
        Self::Errors { status: 500, list }
    }

    /// The same error raised by a specific management (see [`WsError::Managed`]).
    pub(crate) fn managed(self) -> Self {
        match self {
            Self::Errors { status, list } => Self::Managed { status, list },
            other => other,
        }
    }

    /// `Validation error: "…"` (code 85, or 84 for language fields). The detail is HTML-escaped, as
    /// PrestaShop's translator does.
    pub(crate) fn validation(lang: bool, detail: &str) -> Self {
        let detail = detail.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
        Self::new(400, if lang { 84 } else { 85 }, format!("Validation error: \"{detail}\""))
    }
}

/// The closest word as `WebserviceRequest::getClosest` picks it (ties go to the later word).
pub(crate) fn closest<'a>(input: &str, words: &[&'a str]) -> &'a str {
    let mut best = "";
    let mut shortest: Option<usize> = None;
    for w in words {
        let d = levenshtein(input.as_bytes(), w.as_bytes());
        if d == 0 {
            return w;
        }
        if shortest.is_none_or(|s| d <= s) {
            best = w;
            shortest = Some(d);
        }
    }
    best
}

/// `setErrorDidYouMean`: the label, the closest word, and the full list.
pub(crate) fn did_you_mean(label: &str, input: &str, words: &[&str]) -> String {
    let mut msg = format!("{label}. Did you mean: \"{}\"?", closest(input, words));
    if words.len() > 1 {
        msg.push_str(&format!(" The full list is: \"{}\"", words.join("\", \"")));
    }
    msg
}

fn levenshtein(a: &[u8], b: &[u8]) -> usize {
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_word_prefers_the_last_of_equal_distances() {
        assert_eq!(closest("foo", &["id", "upc", "mpn", "price"]), "mpn");
        assert_eq!(closest("productz", &["orders", "products", "stock_availables"]), "products");
    }

    #[test]
    fn query_errors_become_500_with_four_warnings() {
        let WsError::Errors { status, list } = WsError::query(37, "x") else { panic!("not an error body") };
        assert_eq!(status, 500);
        assert_eq!(list.iter().map(|e| e.0).collect::<Vec<_>>(), [37, 3, 3, 3, 3]);
    }
}
