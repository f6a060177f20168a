//! The static files (stylesheet, script, icon): compiled into the binary and served under names
//! that carry a hash of their content (`/static/style.<hash>.css`), so that browsers may cache
//! them forever and a new release is fetched at once. The hashes are computed once, at first use.

use axum::Router;
use axum::extract::Path;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use hearth_service::ServiceContext;
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

/// One compiled-in file.
struct Asset {
    stem: &'static str,
    extension: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

const FILES: [Asset; 3] = [
    Asset {
        stem: "style",
        extension: "css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../static/style.css"),
    },
    Asset {
        stem: "app",
        extension: "js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../static/app.js"),
    },
    Asset {
        stem: "icon",
        extension: "svg",
        content_type: "image/svg+xml",
        body: include_bytes!("../static/icon.svg"),
    },
];

/// The public paths of the assets, as pages link them.
#[derive(Debug)]
pub struct AssetUrls {
    /// The stylesheet.
    pub css: String,
    /// The progressive-enhancement script.
    pub js: String,
    /// The icon.
    pub icon: String,
}

/// `stem.<first 16 hex digits of SHA-256>.extension`, per file of `FILES`.
static NAMES: LazyLock<Vec<String>> = LazyLock::new(|| {
    FILES
        .iter()
        .map(|asset| {
            let digest = Sha256::digest(asset.body);
            let hash: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
            format!("{}.{hash}.{}", asset.stem, asset.extension)
        })
        .collect()
});

static URLS: LazyLock<AssetUrls> = LazyLock::new(|| {
    let path = |stem: &str| {
        FILES
            .iter()
            .zip(NAMES.iter())
            .find(|(asset, _)| asset.stem == stem)
            .map(|(_, name)| format!("/static/{name}"))
            .unwrap_or_default()
    };
    AssetUrls {
        css: path("style"),
        js: path("app"),
        icon: path("icon"),
    }
});

/// Where pages find the assets.
pub fn urls() -> &'static AssetUrls {
    &URLS
}

/// The asset routes.
pub fn router() -> Router<ServiceContext> {
    Router::new().route("/static/{file}", get(serve))
}

/// Serves an asset by its hashed name. Any other name (an old hash after an upgrade, say) is a
/// plain 404: the page that asked for it is stale, and caching a wrong file forever would be worse.
async fn serve(Path(file): Path<String>) -> Response {
    let nosniff = (X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    match FILES
        .iter()
        .zip(NAMES.iter())
        .find(|(_, name)| **name == file)
    {
        Some((asset, _)) => (
            [
                (CONTENT_TYPE, HeaderValue::from_static(asset.content_type)),
                (
                    CACHE_CONTROL,
                    HeaderValue::from_static("public, max-age=31536000, immutable"),
                ),
                nosniff,
            ],
            asset.body,
        )
            .into_response(),
        None => (
            StatusCode::NOT_FOUND,
            [
                (
                    CONTENT_TYPE,
                    HeaderValue::from_static("text/plain; charset=utf-8"),
                ),
                nosniff,
            ],
            "No such file.",
        )
            .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asset_names_carry_a_content_hash() {
        let urls = urls();
        for (url, stem, ext) in [
            (&urls.css, "style", "css"),
            (&urls.js, "app", "js"),
            (&urls.icon, "icon", "svg"),
        ] {
            let name = url.strip_prefix("/static/").unwrap();
            let parts: Vec<&str> = name.split('.').collect();
            assert_eq!(parts.len(), 3, "{name}");
            assert_eq!((parts[0], parts[2]), (stem, ext));
            assert_eq!(parts[1].len(), 16);
            assert!(parts[1].bytes().all(|b| b.is_ascii_hexdigit()));
        }
    }
}
