//! Static files compiled into the binary, with content-hashed URLs so they can be
//! cached for a year.

use std::collections::HashMap;
use std::sync::OnceLock;

use actix_web::http::header::{self, ETag, EntityTag};
use actix_web::{HttpRequest, HttpResponse, web};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "static/"]
struct Assets;

/// Short content hashes, computed once per process.
fn hashes() -> &'static HashMap<String, String> {
    static HASHES: OnceLock<HashMap<String, String>> = OnceLock::new();
    HASHES.get_or_init(|| {
        Assets::iter()
            .filter_map(|name| {
                let file = Assets::get(&name)?;
                Some((name.to_string(), hex::encode(&file.metadata.sha256_hash()[..6])))
            })
            .collect()
    })
}

/// The URL of an asset, with its content hash as version: `/static/css/app.css?v=1a2b3c…`.
pub fn url(name: &str) -> String {
    match hashes().get(name) {
        Some(hash) => format!("/static/{name}?v={hash}"),
        None => format!("/static/{name}"),
    }
}

#[derive(serde::Deserialize)]
pub struct Version {
    v: Option<String>,
}

pub async fn serve(req: HttpRequest, path: web::Path<String>, query: web::Query<Version>) -> HttpResponse {
    let name = path.into_inner();
    let Some(file) = Assets::get(&name) else {
        return HttpResponse::NotFound().content_type("text/plain; charset=utf-8").body("not found");
    };
    let hash = hex::encode(&file.metadata.sha256_hash()[..6]);
    let tag = EntityTag::new_strong(hash.clone());
    let fresh = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim().trim_matches('"') == hash));
    // A versioned URL never changes content; an unversioned one must be revalidated.
    let cache = if query.v.as_deref() == Some(hash.as_str()) {
        "public, max-age=31536000, immutable"
    } else {
        "public, no-cache"
    };
    if fresh {
        return HttpResponse::NotModified()
            .insert_header(ETag(tag))
            .insert_header((header::CACHE_CONTROL, cache))
            .finish();
    }
    let mime = mime_guess::from_path(&name).first_or_octet_stream();
    HttpResponse::Ok()
        .content_type(mime.as_ref())
        .insert_header(ETag(tag))
        .insert_header((header::CACHE_CONTROL, cache))
        .body(file.data.into_owned())
}
