//! Publishing: what the hub reads of a source product to create it on a client (its *sheet*), what it
//! needs of the client (languages, tax rules groups, categories, attributes), the ports that read and write
//! them, and the pure plan that maps one onto the other — or names why it cannot.

use std::collections::BTreeMap;

use async_trait::async_trait;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::{
    errors::GatewayError,
    model::{Money, PriceRule, Sku, StoreCode},
};

/// A text in each language, by ISO code (`en`, `fr`…).
pub type Texts = BTreeMap<String, String>;

/// What a shopper reads of a product in one language.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ProductTexts {
    /// Name.
    pub name: String,
    /// Long description (HTML).
    pub description: String,
    /// Short description (HTML).
    pub description_short: String,
    /// Meta title.
    pub meta_title: String,
    /// Meta description.
    pub meta_description: String,
    /// Friendly URL.
    pub link_rewrite: String,
}

/// An attribute of a combination: its group and value, named in each language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SheetAttribute {
    /// The group (`Size`).
    pub group: Texts,
    /// The group's public name (`Size` as shoppers see it).
    pub public_group: Texts,
    /// `select`, `radio` or `color`.
    pub group_type: String,
    /// The value (`M`).
    pub value: Texts,
    /// A colour value's `#rrggbb`, else empty.
    pub color: String,
}

/// A source combination as published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SheetCombination {
    /// Its id on the source.
    pub source_id: u64,
    /// Own reference.
    pub reference: String,
    /// EAN13.
    pub ean13: String,
    /// UPC.
    pub upc: String,
    /// MPN.
    pub mpn: String,
    /// Price impact on the product's price, tax excluded (may be negative).
    pub price_impact: Decimal,
    /// Weight impact.
    pub weight_impact: Decimal,
    /// Its attributes.
    pub attributes: Vec<SheetAttribute>,
    /// The product's default combination.
    pub default_on: bool,
}

/// Everything a shopper sees of a source product, as the source has it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductSheet {
    /// Product id on the source.
    pub source_id: u64,
    /// Reference.
    pub sku: Sku,
    /// For sale.
    pub active: bool,
    /// Price tax excluded.
    pub price: Money,
    /// Texts per language ISO code.
    pub texts: BTreeMap<String, ProductTexts>,
    /// The name of its tax rules group; `None` without tax.
    pub tax_rules_group: Option<String>,
    /// Weight, width, height, depth.
    pub dimensions: [Decimal; 4],
    /// EAN13, UPC, MPN.
    pub codes: [String; 3],
    /// `new`, `used` or `refurbished`.
    pub condition: String,
    /// `both`, `catalog`, `search` or `none`.
    pub visibility: String,
    /// Each category as its path of names below the source's home category (its default category first); a
    /// product in the home category alone has one empty path.
    pub categories: Vec<Vec<Texts>>,
    /// Its image ids, the cover first.
    pub images: Vec<u64>,
    /// Its combinations.
    pub combinations: Vec<SheetCombination>,
}

/// A client shop as publishing needs it: its languages and tax rules groups.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClientShop {
    /// Active languages: id and ISO code.
    pub languages: Vec<(u64, String)>,
    /// Tax rules groups: id and name (active ones).
    pub tax_rules_groups: Vec<(u64, String)>,
}

/// A text per client language id.
pub type LangTexts = BTreeMap<u64, String>;

/// A combination to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCombination {
    /// The source combination.
    pub source_id: u64,
    /// Own reference, EAN13, UPC, MPN.
    pub codes: [String; 4],
    /// Price impact through the client's rule.
    pub price_impact: Decimal,
    /// Weight impact.
    pub weight_impact: Decimal,
    /// Attributes in client languages: group, public group name, type, value, colour.
    pub attributes: Vec<NewAttribute>,
    /// The default combination.
    pub default_on: bool,
}

/// An attribute in client languages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAttribute {
    /// Group name.
    pub group: LangTexts,
    /// Group public name.
    pub public_group: LangTexts,
    /// Group type.
    pub group_type: String,
    /// Value name.
    pub value: LangTexts,
    /// Colour.
    pub color: String,
}

/// A product to create on a client: the sheet mapped onto its languages, tax rules and price rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewProduct {
    /// Reference.
    pub sku: Sku,
    /// For sale.
    pub active: bool,
    /// Price through the client's rule.
    pub price: Money,
    /// Texts per client language id.
    pub texts: BTreeMap<u64, ProductTexts>,
    /// Client tax rules group id (0: none).
    pub tax_rules_group: u64,
    /// Weight, width, height, depth.
    pub dimensions: [Decimal; 4],
    /// EAN13, UPC, MPN.
    pub codes: [String; 3],
    /// Condition.
    pub condition: String,
    /// Visibility.
    pub visibility: String,
    /// Category paths in client languages, the default first.
    pub categories: Vec<Vec<LangTexts>>,
    /// Combinations.
    pub combinations: Vec<NewCombination>,
}

/// Why a product cannot be published on a client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The client has no tax rules group of that name.
    #[error("no tax rules group named \"{0}\" on the client")]
    NoTaxRule(String),
    /// A client language has no text at the source, nor in the fallback language.
    #[error("no texts for the client's language `{0}` at the source, nor in the fallback language `{1}`")]
    NoLanguage(String, String),
    /// The client has no active language.
    #[error("the client has no active language")]
    NoClientLanguage,
}

/// Maps `sheet` onto `client` with `rule`: texts per client language (its ISO code, else `fallback`), the
/// tax rules group by name, the price and combination impacts through the rule (an impact is the difference
/// of the two final prices, so a combination's price ends like the product's).
///
/// # Errors
/// The [`Refusal`] that names what the client lacks.
pub fn plan(
    sheet: &ProductSheet,
    client: &ClientShop,
    rule: &PriceRule,
    fallback: &str,
) -> Result<NewProduct, Refusal> {
    if client.languages.is_empty() {
        return Err(Refusal::NoClientLanguage);
    }
    let pick = |texts: &Texts, iso: &str| -> Option<String> {
        texts.get(iso).or_else(|| texts.get(fallback)).or_else(|| texts.values().next()).cloned()
    };
    let mut texts = BTreeMap::new();
    for (id, iso) in &client.languages {
        let t = sheet
            .texts
            .get(iso)
            .or_else(|| sheet.texts.get(fallback))
            .ok_or_else(|| Refusal::NoLanguage(iso.clone(), fallback.to_owned()))?;
        texts.insert(*id, t.clone());
    }
    let per_lang = |t: &Texts| -> LangTexts {
        client.languages.iter().map(|(id, iso)| (*id, pick(t, iso).unwrap_or_default())).collect()
    };
    let tax_rules_group = match &sheet.tax_rules_group {
        None => 0,
        Some(name) => client
            .tax_rules_groups
            .iter()
            .find(|(_, n)| n.trim().eq_ignore_ascii_case(name.trim()))
            .map(|(id, _)| *id)
            .ok_or_else(|| Refusal::NoTaxRule(name.clone()))?,
    };
    let price = rule.price_for(&sheet.price);
    let combinations = sheet
        .combinations
        .iter()
        .map(|c| {
            let own = (sheet.price.as_decimal() + c.price_impact).max(Decimal::ZERO);
            let own = rule.price_for(&Money::from_decimal(own).unwrap_or(Money::ZERO));
            NewCombination {
                source_id: c.source_id,
                codes: [c.reference.clone(), c.ean13.clone(), c.upc.clone(), c.mpn.clone()],
                price_impact: own.as_decimal() - price.as_decimal(),
                weight_impact: c.weight_impact,
                attributes: c
                    .attributes
                    .iter()
                    .map(|a| NewAttribute {
                        group: per_lang(&a.group),
                        public_group: per_lang(&a.public_group),
                        group_type: a.group_type.clone(),
                        value: per_lang(&a.value),
                        color: a.color.clone(),
                    })
                    .collect(),
                default_on: c.default_on,
            }
        })
        .collect();
    Ok(NewProduct {
        sku: sheet.sku.clone(),
        active: sheet.active,
        price,
        texts,
        tax_rules_group,
        dimensions: sheet.dimensions,
        codes: sheet.codes.clone(),
        condition: sheet.condition.clone(),
        visibility: sheet.visibility.clone(),
        categories: sheet.categories.iter().map(|path| path.iter().map(per_lang).collect()).collect(),
        combinations,
    })
}

/// The source's catalog as publishing reads it.
#[cfg_attr(test, mockall::automock)]
#[async_trait]
pub trait SourceSheets: Send + Sync + 'static {
    /// The sheet of source product `product_id`; `None` when it no longer exists.
    ///
    /// # Errors
    /// Retryable transport failures; permanent ones when the source refuses.
    async fn sheet(&self, product_id: u64) -> Result<Option<ProductSheet>, GatewayError>;

    /// The file of one of its images.
    ///
    /// # Errors
    /// As [`Self::sheet`]; [`GatewayError::Gone`] when the image no longer exists.
    async fn image(&self, product_id: u64, image_id: u64) -> Result<Vec<u8>, GatewayError>;
}

/// A client's catalog as publishing writes it. Every `ensure_*` finds what exists (by name) before it
/// creates, so a retry never creates twice.
#[cfg_attr(test, mockall::automock)]
#[async_trait]
pub trait ClientCatalogs: Send + Sync + 'static {
    /// The client's languages and tax rules groups.
    ///
    /// # Errors
    /// Transport failures.
    async fn shop(&self, store: &StoreCode) -> Result<ClientShop, GatewayError>;

    /// The id of the category at `path` below `root`, each step found by name among its parent's children
    /// or created.
    ///
    /// # Errors
    /// Transport failures; permanent when the client refuses a category.
    async fn ensure_category(&self, store: &StoreCode, root: u64, path: &[LangTexts]) -> Result<u64, GatewayError>;

    /// The id of the attribute value, its group and value found by name or created.
    ///
    /// # Errors
    /// As [`Self::ensure_category`].
    async fn ensure_attribute(&self, store: &StoreCode, attribute: &NewAttribute) -> Result<u64, GatewayError>;

    /// Creates the product (texts, price, tax, dimensions, codes, categories with the first as default);
    /// returns its id.
    ///
    /// # Errors
    /// As [`Self::ensure_category`].
    async fn create_product(
        &self,
        store: &StoreCode,
        product: &NewProduct,
        categories: &[u64],
    ) -> Result<u64, GatewayError>;

    /// Creates a combination of `product_id` with these attribute value ids.
    ///
    /// # Errors
    /// As [`Self::ensure_category`].
    async fn create_combination(
        &self,
        store: &StoreCode,
        product_id: u64,
        combination: &NewCombination,
        values: &[u64],
    ) -> Result<u64, GatewayError>;

    /// How many images `product_id` has.
    ///
    /// # Errors
    /// Transport failures.
    async fn image_count(&self, store: &StoreCode, product_id: u64) -> Result<usize, GatewayError>;

    /// Uploads an image to `product_id` (the first becomes the cover).
    ///
    /// # Errors
    /// As [`Self::ensure_category`].
    async fn upload_image(&self, store: &StoreCode, product_id: u64, file: Vec<u8>) -> Result<(), GatewayError>;

    /// Writes the descriptive content again (texts, dimensions, codes, condition, visibility, categories),
    /// touching nothing else.
    ///
    /// # Errors
    /// As [`Self::ensure_category`]; [`GatewayError::Gone`] when the product no longer exists.
    async fn update_content(
        &self,
        store: &StoreCode,
        product_id: u64,
        product: &NewProduct,
        categories: &[u64],
    ) -> Result<(), GatewayError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(pairs: &[(&str, &str)]) -> Texts {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    fn sheet() -> ProductSheet {
        let t =
            |name: &str| ProductTexts { name: name.into(), link_rewrite: name.to_lowercase(), ..Default::default() };
        ProductSheet {
            source_id: 1,
            sku: Sku::parse("DEMO_1").unwrap(),
            active: true,
            price: Money::parse("10.00").unwrap(),
            texts: [("en".to_owned(), t("Mug")), ("fr".to_owned(), t("Tasse"))].into(),
            tax_rules_group: Some("FR Taux standard (20%)".into()),
            dimensions: [Decimal::ONE, Decimal::ZERO, Decimal::ZERO, Decimal::ZERO],
            codes: Default::default(),
            condition: "new".into(),
            visibility: "both".into(),
            categories: vec![vec![texts(&[("en", "Home Accessories"), ("fr", "Accessoires de maison")])]],
            images: vec![3, 4],
            combinations: vec![SheetCombination {
                source_id: 9,
                reference: String::new(),
                ean13: String::new(),
                upc: String::new(),
                mpn: String::new(),
                price_impact: "2.00".parse().unwrap(),
                weight_impact: Decimal::ZERO,
                attributes: vec![SheetAttribute {
                    group: texts(&[("en", "Size"), ("fr", "Taille")]),
                    public_group: texts(&[("en", "Size")]),
                    group_type: "select".into(),
                    value: texts(&[("en", "M")]),
                    color: String::new(),
                }],
                default_on: true,
            }],
        }
    }

    fn client(langs: &[(u64, &str)], taxes: &[(u64, &str)]) -> ClientShop {
        ClientShop {
            languages: langs.iter().map(|(i, s)| (*i, (*s).to_owned())).collect(),
            tax_rules_groups: taxes.iter().map(|(i, s)| (*i, (*s).to_owned())).collect(),
        }
    }

    fn rule(markup: &str, ending: Option<&str>) -> PriceRule {
        PriceRule {
            markup_percent: markup.parse().unwrap(),
            stock_buffer: 0,
            min_margin_percent: None,
            price_ending: ending.map(|e| e.parse().unwrap()),
        }
    }

    #[test]
    fn texts_follow_the_clients_languages_by_iso_code_with_the_fallback_for_the_others() {
        let c = client(&[(1, "fr"), (2, "en"), (3, "de")], &[(7, "FR Taux standard (20%)")]);
        let p = plan(&sheet(), &c, &rule("30", None), "en").unwrap();
        assert_eq!(p.texts[&1].name, "Tasse");
        assert_eq!(p.texts[&2].name, "Mug");
        assert_eq!(p.texts[&3].name, "Mug", "German falls back to English");
        assert_eq!(p.tax_rules_group, 7);
        assert_eq!(p.categories[0][0][&1], "Accessoires de maison");
        assert_eq!(p.categories[0][0][&3], "Home Accessories");
        // A value named in one language only is that name everywhere.
        assert_eq!(p.combinations[0].attributes[0].value[&1], "M");
        assert_eq!(p.combinations[0].attributes[0].group[&1], "Taille");
    }

    #[test]
    fn what_the_client_lacks_is_named() {
        let c = client(&[(1, "en")], &[(1, "US Standard")]);
        assert_eq!(
            plan(&sheet(), &c, &rule("0", None), "en"),
            Err(Refusal::NoTaxRule("FR Taux standard (20%)".into()))
        );
        let c = client(&[(1, "de")], &[(7, "fr taux standard (20%)")]);
        assert_eq!(plan(&sheet(), &c, &rule("0", None), "it"), Err(Refusal::NoLanguage("de".into(), "it".into())));
        assert_eq!(plan(&sheet(), &client(&[], &[]), &rule("0", None), "en"), Err(Refusal::NoClientLanguage));
        let mut untaxed = sheet();
        untaxed.tax_rules_group = None;
        assert_eq!(plan(&untaxed, &client(&[(1, "en")], &[]), &rule("0", None), "en").unwrap().tax_rules_group, 0);
    }

    #[test]
    fn prices_and_impacts_go_through_the_clients_rule() {
        let c = client(&[(1, "en")], &[(1, "FR Taux standard (20%)")]);
        // (markup, ending, impact at the source) → (product price, client impact)
        let cases: &[(&str, Option<&str>, &str, &str, &str)] = &[
            ("30", None, "2.00", "13.00", "2.60"),
            ("30", Some("0.99"), "2.00", "13.99", "2.00"), // 15.60 → 15.99
            ("0", None, "-1.50", "10.00", "-1.50"),
            ("30", None, "-20.00", "13.00", "-13.00"), // never below zero in all
        ];
        for (markup, ending, impact, price, want) in cases {
            let mut s = sheet();
            s.combinations[0].price_impact = impact.parse().unwrap();
            let p = plan(&s, &c, &rule(markup, *ending), "en").unwrap();
            assert_eq!(p.price.to_string(), *price);
            assert_eq!(
                p.combinations[0].price_impact.normalize().to_string(),
                want.parse::<Decimal>().unwrap().normalize().to_string(),
                "{markup} {ending:?} {impact}"
            );
        }
    }
}
