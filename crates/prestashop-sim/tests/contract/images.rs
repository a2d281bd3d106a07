//! Product images through `/api/images/products/{id}`, against the captures of a real 8.2.1. The uploads
//! are `multipart/form-data` with binary bodies, which the text captures do not hold: each test builds the
//! upload the capture's `curl -F` sent (the JPEG is the one the real shop answered with, decoded from the
//! capture) and compares the answer with `assert_like`.

use crate::{
    capture::{Capture, Rules, assert_like},
    support::{HUB_KEY, Resp, Shop, demo_catalog},
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
