//! Product images through `/api/images/products/{id}`, against the captures of a real 8.2.1. The uploads
//! are `multipart/form-data` with binary bodies, which the text captures do not hold: each test builds the
//! upload the capture's `curl -F` sent (the JPEG is the one the real shop answered with, decoded from the
//! capture) and compares the answer with `assert_like`.

use crate::{
    capture::{Capture, Rules, assert_like},
    support::{HUB_KEY, Resp, Shop, demo_catalog, headers_of},
};

/// The JPEG of the capture `post_image_product_7` (the shop's own 16×16 `img/genders/1.jpg`, as GD
/// re-encoded it).
fn jpeg() -> Vec<u8> {
    let c = Capture::load("post_image_product_7");
    let b64 = c.response_body.split("<![CDATA[/9j").nth(1).and_then(|s| s.split("]]>").next()).expect("content");
    decode(&format!("/9j{b64}"))
}

fn decode(s: &str) -> Vec<u8> {
    let val = |c: u8| match c {
        b'A'..=b'Z' => u32::from(c - b'A'),
        b'a'..=b'z' => u32::from(c - b'a') + 26,
        b'0'..=b'9' => u32::from(c - b'0') + 52,
        b'+' => 62,
        _ => 63,
    };
    let bytes: Vec<u8> = s.bytes().filter(|&c| c != b'=').collect();
    let mut out = Vec::new();
    for chunk in bytes.chunks(4) {
        let mut acc = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            acc |= val(c) << (18 - 6 * i as u32);
        }
        for i in 0..chunk.len() - 1 {
            out.push((acc >> (16 - 8 * i)) as u8);
        }
    }
    out
}

/// POSTs one file part, as `curl -F field=@filename` sends it.
async fn upload(shop: &Shop, path: &str, field: &str, filename: &str, ctype: &str, data: &[u8]) -> Resp {
    let boundary = "------------------------simBoundary17";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{filename}\"\r\nContent-Type: {ctype}\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(data);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let r = shop
        .http
        .post(shop.url(path))
        .basic_auth(HUB_KEY, Some(""))
        .header("Content-Type", format!("multipart/form-data; boundary={boundary}"))
        .body(body)
        .send()
        .await
        .expect("upload");
    Resp::read(r).await
}

async fn catalog() -> Shop {
    let shop = Shop::new().await;
    demo_catalog(&shop).await;
    shop
}

#[tokio::test]
async fn an_uploaded_image_is_answered_with_its_row_and_content() {
    let shop = catalog().await;
    let c = Capture::load("post_image_product_7");
    let got = upload(&shop, "/api/images/products/7", "image", "upload.jpg", "image/jpeg", &jpeg()).await;
    assert_like(&c, &got, &Rules::default());
    // Product 7 had image 7, so the new one is second and not the cover; its content is the file sent.
    assert_eq!(got.field("position"), "2");
    assert_eq!(got.field("cover"), "");
    assert!(got.body.contains(&format!("<![CDATA[{}]]></content>", encode(&jpeg()))));
    let id = got.id();
    let list = shop.get("/api/images/products/7").await;
    assert!(list.body.contains(&format!("<declination id=\"{id}\"")), "{}", list.body);
    let product = shop.get("/api/products/7").await;
    assert!(product.body.contains(&format!("<id><![CDATA[{id}]]></id>")), "{}", product.body);
}

fn encode(b: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in b.chunks(3) {
        let n =
            (u32::from(c[0]) << 16) | (u32::from(*c.get(1).unwrap_or(&0)) << 8) | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            out.push(if i <= c.len() { A[((n >> (18 - 6 * i)) & 63) as usize] as char } else { '=' });
        }
    }
    out
}

#[tokio::test]
async fn the_first_image_of_a_product_becomes_its_cover() {
    let shop = Shop::new().await;
    let id = shop.create("products", "product", &crate::support::product_xml("Box", "BOX-1", "3", 2)).await;
    let got = upload(&shop, &format!("/api/images/products/{id}"), "image", "box.jpg", "image/jpeg", &jpeg()).await;
    assert_eq!(got.status, 200, "{}", got.body);
    assert_eq!((got.field("position").as_str(), got.field("cover").as_str()), ("1", "1"));
    assert_eq!(shop.get(&format!("/api/products/{id}")).await.field("id_default_image"), got.id().to_string());
}

#[tokio::test]
async fn an_upload_without_an_image_field_is_refused_with_76() {
    let shop = catalog().await;
    let c = Capture::load("post_image_without_file");
    let got = upload(&shop, "/api/images/products/7", "other", "upload.jpg", "image/jpeg", &jpeg()).await;
    assert_like(&c, &got, &Rules::default());
}

#[tokio::test]
async fn an_upload_to_an_unknown_product_is_refused_with_76() {
    let shop = catalog().await;
    let c = Capture::load("post_image_unknown_product");
    let got = upload(&shop, "/api/images/products/999", "image", "upload.jpg", "image/jpeg", &jpeg()).await;
    assert_like(&c, &got, &Rules::default());
}

#[tokio::test]
async fn a_file_without_an_image_extension_is_refused_before_anything_is_created() {
    let shop = catalog().await;
    let c = Capture::load("post_image_bad_extension");
    let got = upload(&shop, "/api/images/products/7", "image", "upload.txt", "text/plain", &jpeg()).await;
    assert_like(&c, &got, &Rules::default());
    assert_eq!(shop.get("/api/images/products/7").await.body.matches("<declination").count(), 1);
}

/// Text sent as `.jpg` passes `validateUpload` on the declared type, the `Image` row is added, and GD then
/// fails: 400, and the row stays (as on the real shop, where the product's list then named it).
#[tokio::test]
async fn text_sent_as_a_jpeg_fails_after_its_row_is_created() {
    let shop = catalog().await;
    let c = Capture::load("post_image_not_an_image");
    let got =
        upload(&shop, "/api/images/products/7", "image", "notimage.jpg", "image/jpeg", b"not an image at all\n").await;
    assert_like(&c, &got, &Rules::default());
    assert_eq!(shop.get("/api/images/products/7").await.body.matches("<declination").count(), 2);
}

/// The bytes and headers of a GET, read as bytes (an image is no text).
async fn get_bytes(shop: &Shop, path: &str) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let r = shop.http.get(shop.url(path)).basic_auth(HUB_KEY, Some("")).send().await.expect("answer");
    let (status, headers) = (r.status().as_u16(), headers_of(&r));
    (status, headers, r.bytes().await.expect("body").to_vec())
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

/// A binary capture's body: `(binary: N bytes, sha1 X…)`, then the file in Base64 when it was kept.
fn binary(c: &Capture) -> (usize, String, Option<Vec<u8>>) {
    let mut lines = c.response_body.lines();
    let head = lines.next().unwrap_or_default();
    let size = head.split("binary: ").nth(1).and_then(|s| s.split(' ').next()).and_then(|n| n.parse().ok());
    let sha = head.split("sha1 ").nth(1).map(|s| s.trim_end_matches(')').split(';').next().unwrap_or_default());
    let data = lines.next().filter(|l| !l.is_empty()).map(decode);
    (size.expect("size"), sha.expect("sha1").to_owned(), data)
}

/// Status, `Content-Type` and the Webservice headers of an image answer, as captured.
fn assert_image_headers(c: &Capture, status: u16, headers: &[(String, String)]) {
    assert_eq!(status, c.status, "{}", c.name);
    for h in ["Content-Type", "PSWS-Version", "X-Powered-By"] {
        let want = c.response_headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(h)).map(|(_, v)| v.as_str());
        assert_eq!(header(headers, h), want, "{h} of {}", c.name);
    }
}

/// `GET /api/images/products/{id}/{image}` answers the stored file itself: `image/jpeg`, `Content-Sha1` of
/// the file. Uploaded with the bytes the real shop stored (its answer to the same upload), the simulator
/// serves exactly the captured file.
#[tokio::test]
async fn one_image_is_served_as_the_stored_file() {
    let shop = catalog().await;
    let up = Capture::load("post_image_product_for_download");
    let b64 = up.response_body.split("<![CDATA[/9j").nth(1).and_then(|s| s.split("]]>").next()).expect("content");
    let stored = decode(&format!("/9j{b64}"));
    let posted = upload(&shop, "/api/images/products/19", "image", "upload.jpg", "image/jpeg", &stored).await;
    assert_like(&up, &posted, &Rules::default());
    let c = Capture::load("image_uploaded_file");
    let (size, sha, data) = binary(&c);
    let (status, headers, body) = get_bytes(&shop, &format!("/api/images/products/19/{}", posted.id())).await;
    assert_image_headers(&c, status, &headers);
    assert_eq!((body.len(), Some(body)), (size, data));
    assert_eq!(header(&headers, "Content-Sha1"), Some(sha.as_str()));
    // The product's cover (`bin`) and a size of the theme give the file too (not resized here).
    for path in ["/api/images/products/19/bin", &format!("/api/images/products/19/{}/small_default", posted.id())] {
        let (status, headers, body) = get_bytes(&shop, path).await;
        assert_eq!((status, header(&headers, "Content-Type"), body.len()), (200, Some("image/jpeg"), size), "{path}");
    }
}

/// The captured demo image of product 1 (its file is not kept): the same answer for the simulator's first
/// image of product 1.
#[tokio::test]
async fn a_products_image_its_cover_and_a_size_answer_as_captured() {
    let shop = Shop::new().await;
    let id = shop.create("products", "product", &crate::support::product_xml("Box", "BOX-1", "3", 2)).await;
    assert_eq!(shop.sim.seed_image(id, &jpeg()), 1);
    for (name, path) in [
        ("image_of_product_1", "/api/images/products/1/1"),
        ("image_cover_of_product_1", "/api/images/products/1/bin"),
        ("image_of_product_1_small", "/api/images/products/1/1/small_default"),
    ] {
        let c = Capture::load(name);
        assert_eq!(c.path_and_query, path);
        let (status, headers, body) = get_bytes(&shop, path).await;
        assert_image_headers(&c, status, &headers);
        assert_eq!(body, jpeg(), "{name}");
    }
}

/// The refusals, as captured: an unknown image or product (400/57), a product id that is no id (400/60),
/// an unknown size (400/58, with the theme's sizes), the legacy `bin` size (500/59); each with the
/// `Content-Sha1` of an empty content, as `returnOutput` hashed it before the error replaced it.
#[tokio::test]
async fn unknown_images_and_sizes_are_refused_as_captured() {
    let shop = Shop::new().await;
    let id = shop.create("products", "product", &crate::support::product_xml("Box", "BOX-1", "3", 2)).await;
    shop.sim.seed_image(id, &jpeg());
    for name in [
        "image_unknown_id_of_product",
        "image_of_unknown_product",
        "image_invalid_product_id",
        "image_unknown_size",
        "image_size_bin",
    ] {
        let c = Capture::load(name);
        let got = c.replay(&shop).await;
        assert_like(&c, &got, &Rules::default());
        assert_eq!(got.header("Content-Sha1"), Some("da39a3ee5e6b4b0d3255bfef95601890afd80709"), "{name}");
    }
    // An id compares as PHP's `in_array` does: "01" is image 1.
    assert_eq!(get_bytes(&shop, "/api/images/products/1/01").await.0, 200);
}

/// An image whose row exists without a file — the demo catalog's, which names images it has no file for,
/// or a failed copy — is "not on disk" (500/61, from the source: the real shop keeps its demo files).
#[tokio::test]
async fn an_image_without_a_file_is_not_on_disk() {
    let shop = catalog().await;
    let r = shop.get("/api/images/products/1/1").await;
    assert_eq!((r.status, r.codes()), (500, vec![61]), "{}", r.body);
    let failed =
        upload(&shop, "/api/images/products/7", "image", "notimage.jpg", "image/jpeg", b"not an image at all\n").await;
    assert_eq!(failed.status, 400);
    let listed = shop.get("/api/images/products/7").await;
    let last = listed.body.rsplit("<declination id=\"").next().and_then(|s| s.split('"').next()).unwrap_or_default();
    let r = shop.get(&format!("/api/images/products/7/{last}")).await;
    assert_eq!((r.status, r.codes()), (500, vec![61]), "{}", r.body);
}
