//! Product images: `GET /api/images/products/{id}` (the list of a product's images),
//! `POST /api/images/products/{id}` (a `multipart/form-data` upload in the field `image`) and
//! `GET /api/images/products/{id}/{image}[/{size}]` (one image's file), answered as PrestaShop 8.2.1's
//! `WebserviceSpecificManagementImages` does (see the `*image*` captures). Other image paths are not
//! modelled.

use crate::{
    error::{WsError, did_you_mean},
    render,
    store::Store,
    util,
};

/// The product image types of an 8.2.1 install (classic theme), as the code-58 message lists them.
const PRODUCT_IMAGE_TYPES: &[&str] =
    &["cart_default", "home_default", "large_default", "medium_default", "small_default"];

/// One part of a `multipart/form-data` body.
struct Part<'a> {
    name: String,
    filename: Option<String>,
    content_type: String,
    data: &'a [u8],
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn param(header: &str, key: &str) -> Option<String> {
    header.split(';').map(str::trim).find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k.trim().eq_ignore_ascii_case(key)).then(|| v.trim().trim_matches('"').to_owned())
    })
}

/// The parts of `body`, split on the boundary of `content_type`; empty when it is not multipart.
fn parts<'a>(content_type: &str, body: &'a [u8]) -> Vec<Part<'a>> {
    let Some(boundary) = content_type
        .to_ascii_lowercase()
        .starts_with("multipart/form-data")
        .then(|| param(content_type, "boundary"))
        .flatten()
    else {
        return Vec::new();
    };
    let delim = format!("--{boundary}").into_bytes();
    let mut out = Vec::new();
    let mut rest = body;
    while let Some(start) = find(rest, &delim) {
        rest = &rest[start + delim.len()..];
        if rest.starts_with(b"--") {
            break;
        }
        let Some(head_end) = find(rest, b"\r\n\r\n") else { break };
        let head = String::from_utf8_lossy(&rest[..head_end]).into_owned();
        let data_start = head_end + 4;
        let Some(len) = find(&rest[data_start..], &delim) else { break };
        let data = &rest[data_start..data_start + len];
        let data = data.strip_suffix(b"\r\n").unwrap_or(data);
        let disposition = head
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("content-disposition:"))
            .unwrap_or_default()
            .to_owned();
        let content_type = head
            .lines()
            .find_map(|l| l.split_once(':').filter(|(k, _)| k.trim().eq_ignore_ascii_case("content-type")))
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default();
        out.push(Part {
            name: param(&disposition, "name").unwrap_or_default(),
            filename: param(&disposition, "filename"),
            content_type,
            data,
        });
        rest = &rest[data_start + len..];
    }
    out
}

/// `ImageManager::validateUpload`: `isRealImage` (the content's MIME type, or the part's declared one when
/// the content is text or unrecognised by `finfo` as anything specific) and `isCorrectImageFileExt`.
fn acceptable(file: &Part<'_>) -> bool {
    let filename = file.filename.as_deref().unwrap_or("");
    let ext = filename.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    let ext_ok = matches!(ext.as_str(), "gif" | "jpg" | "jpeg" | "jpe" | "png" | "webp");
    let textual = file.data.iter().all(|&b| b.is_ascii_graphic() || b.is_ascii_whitespace() || b >= 0x80);
    let mime = if is_decodable(file.data) {
        "image/".to_owned()
    } else if textual {
        file.content_type.to_ascii_lowercase()
    } else {
        "application/octet-stream".to_owned()
    };
    let mime_ok = mime == "image/"
        || [
            "image/gif",
            "image/jpg",
            "image/jpeg",
            "image/pjpeg",
            "image/png",
            "image/x-png",
            "image/webp",
            "image/svg",
        ]
        .iter()
        .any(|t| mime.contains(t));
    ext_ok && mime_ok && !filename.contains("%00")
}

/// Whether PHP's GD could read the file (JPEG, PNG, GIF or WebP by their signatures).
fn is_decodable(data: &[u8]) -> bool {
    data.starts_with(&[0xFF, 0xD8, 0xFF])
        || data.starts_with(b"\x89PNG")
        || data.starts_with(b"GIF8")
        || (data.starts_with(b"RIFF") && data.get(8..12) == Some(b"WEBP"))
}

/// The image ids of product `id`, in order.
fn image_ids(store: &Store, id: u64) -> Option<Vec<String>> {
    let p = store.get("products", id)?;
    Some(
        p.assocs
            .get("images")
            .map(|rows| rows.iter().map(|r| crate::store::row_get(r, "id").to_owned()).collect())
            .unwrap_or_default(),
    )
}

/// `GET /api/images/products/{id}`: the product's images as declinations; 404 with an empty body when the
/// product does not exist or has no image (as captured).
pub(crate) fn list(store: &Store, base: &str, id: u64) -> Result<String, WsError> {
    let ids = image_ids(store, id).filter(|v| !v.is_empty()).ok_or(WsError::NotFound)?;
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<prestashop xmlns:xlink=\"http://www.w3.org/1999/xlink\">\n",
    );
    out.push_str(&format!("<image id=\"{id}\">\n"));
    for i in ids {
        out.push_str(&format!(
            "<declination id=\"{i}\" xlink:href=\"{}\"/>\n",
            render::attr(&format!("{base}/images/products/{id}/{i}"))
        ));
    }
    out.push_str("</image>\n</prestashop>\n");
    Ok(out)
}

/// `GET /api/images/products/{product}/{image}[/{size}]` (`manageEntityDeclinatedImages`): the product
/// id must be an unsigned id (400/60); the image one of the product's images, compared as PHP's
/// `in_array` does (`bin`: its cover), else 400/57 — an unknown product has none; then the stored file
/// (500/61 when the image has none on disk). A size: `bin` looks for the legacy file name, which a shop
/// of the new image system lacks (500/59, as captured); an unknown one is 400/58 with the image types;
/// a known one answers the stored file as it is (the simulator resizes nothing).
pub(crate) fn file(store: &Store, product: &str, image: &str, size: Option<&str>) -> Result<Vec<u8>, WsError> {
    let Some(pid) = util::is_digits(product).then(|| product.parse::<u32>().ok()).flatten() else {
        return Err(WsError::new(400, 60, "The image id is invalid. Please set a valid id or the \"default\" value"));
    };
    let available = image_ids(store, u64::from(pid)).unwrap_or_default();
    // `getCoverWs`: the product's cover, its first image here.
    let wanted = if image == "bin" { available.first().cloned().unwrap_or_default() } else { image.to_owned() };
    let loose_eq = |id: &str| {
        id == wanted
            || (util::is_numeric(id)
                && util::is_numeric(&wanted)
                && util::php_decimal(id) == util::php_decimal(&wanted))
    };
    let Some(found) = available.iter().find(|id| loose_eq(id)) else {
        return Err(WsError::new(400, 57, "This image id does not exist"));
    };
    let stored = store
        .image_files
        .get(&(util::php_int(found).max(0) as u64))
        .filter(|(owner, data)| u64::from(pid) == *owner && !data.is_empty())
        .map(|(_, data)| data.clone());
    match size.filter(|s| !s.is_empty()) {
        Some("bin") => Err(WsError::new(500, 59, "This image does not exist on disk")),
        Some(s) if !PRODUCT_IMAGE_TYPES.contains(&s) => {
            Err(WsError::new(400, 58, did_you_mean("This image size does not exist", s, PRODUCT_IMAGE_TYPES)))
        }
        Some(_) => stored.ok_or_else(|| WsError::new(500, 59, "This image does not exist on disk")),
        None => stored.ok_or_else(|| WsError::new(500, 61, "This image does not exist on disk")),
    }
}

/// `Image::add` for product `id`, then the copy of its file: returns the new image's id, position and
/// whether it is the cover. An unknown product is 400/76; `Image::add` comes before the file is copied, so
/// data that is no image PHP can read leaves its row behind (without a file), then fails (as captured).
pub(crate) fn add(store: &mut Store, id: u64, data: &[u8]) -> Result<(u64, usize, bool), WsError> {
    let Some(existing) = image_ids(store, id) else {
        return Err(WsError::new(400, 76, format!("Product {id} does not exist")));
    };
    let referenced = store
        .table("products")
        .into_iter()
        .flat_map(|t| t.rows.values())
        .flat_map(|p| p.assocs.get("images").cloned().unwrap_or_default())
        .map(|r| util::php_int(crate::store::row_get(&r, "id")).max(0) as u64)
        .chain(store.image_files.keys().copied())
        .max()
        .unwrap_or(0);
    let image_id = referenced + 1;
    if let Some(p) = store.get_mut("products", id) {
        p.assocs.entry("images").or_default().push(vec![("id", image_id.to_string())]);
    }
    if !is_decodable(data) {
        store.image_files.insert(image_id, (id, Vec::new()));
        return Err(WsError::new(400, 76, "An error occurred while copying image"));
    }
    store.image_files.insert(image_id, (id, data.to_vec()));
    Ok((image_id, existing.len() + 1, existing.is_empty()))
}

/// `POST /api/images/products/{id}`: 200 with the new `Image` and the stored file in Base64.
pub(crate) fn upload(
    store: &mut Store,
    base: &str,
    langs: &[render::OutLang],
    id: u64,
    content_type: &str,
    body: &[u8],
) -> Result<String, WsError> {
    let all = parts(content_type, body);
    let Some(file) = all.iter().find(|p| p.name == "image" && p.filename.is_some() && !p.data.is_empty()) else {
        return Err(WsError::new(400, 76, "Please set an \"image\" parameter with image data for value"));
    };
    if file.data.len() > 8_000_000 {
        return Err(WsError::new(400, 72, "The image size is too large (maximum allowed is 8000 KB)"));
    }
    if !acceptable(file) {
        return Err(WsError::new(
            400,
            76,
            "Image upload error : Image format not recognized, allowed formats are: gif, jpg, jpeg, jpe, png, webp",
        ));
    }
    let (image_id, position, cover) = add(store, id, file.data)?;
    let mut legend = String::new();
    for l in langs {
        legend.push_str(&format!(
            "<language id=\"{}\" xlink:href=\"{}\"><![CDATA[]]></language>",
            l.id,
            render::attr(&format!("{base}/languages/{}", l.id))
        ));
    }
    Ok(format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<prestashop xmlns:xlink=\"http://www.w3.org/1999/xlink\">\n<image>\n\
         <id><![CDATA[{image_id}]]></id>\n<id_product><![CDATA[{id}]]></id_product>\n<position><![CDATA[{position}]]></position>\n\
         <cover><![CDATA[{}]]></cover>\n<legend>{legend}</legend>\n</image>\n<content encode=\"base64\"><![CDATA[{}]]></content>\n</prestashop>\n",
        if cover { "1" } else { "" },
        util::base64_encode(file.data)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipart_parts_are_split_on_the_boundary() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n\xFF\xD8\xFF\x00\r\n--XyZ--\r\n";
        let p = parts("multipart/form-data; boundary=XyZ", body);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].name, "image");
        assert_eq!(p[0].filename.as_deref(), Some("a.jpg"));
        assert_eq!(p[0].data, b"\xFF\xD8\xFF\x00");
    }

    #[test]
    fn base64_round_trips() {
        for s in [&b""[..], b"a", b"ab", b"abc", b"\xFF\xD8\xFF\xE0"] {
            assert_eq!(util::base64_decode(&util::base64_encode(s)).as_deref(), Some(s));
        }
        assert_eq!(util::base64_encode(b"HUBKEY:"), "SFVCS0VZOg==");
    }
}
