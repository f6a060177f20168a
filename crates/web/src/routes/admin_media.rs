//! The administrators' pictures page: the storage pictures use (uploads, the cache of other
//! servers' images and its limit) and purging one picture everywhere by its URL or hash.

use crate::extract::{CsrfForm, PageQuery, SignedIn};
use crate::forms::{Fields, FormErrors, by_fields, redirect_or_show_again};
use crate::page::{Layout, PageResult, render_status};
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use hearth_service::ServiceContext;
use serde::Deserialize;

/// `/admin/media` and its purge form.
pub fn router() -> Router<ServiceContext> {
    Router::new()
        .route("/admin/media", get(page))
        .route("/admin/media/purge", post(purge))
}

#[derive(Template)]
#[template(path = "admin_media.html")]
struct MediaPage {
    layout: Layout,
    storage: &'static str,
    files: i64,
    file_size: String,
    uploads: i64,
    remote_images: i64,
    remote_size: String,
    remote_limit: String,
    /// Set after a purge: what it did.
    purged: Option<String>,
    target: String,
    errors: FormErrors,
}

/// A size in bytes as people read it: `512 B`, `3.4 KiB`, `12.0 MiB`, `1.5 GiB`.
fn size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

async fn render_page(
    ctx: &ServiceContext,
    user: &SignedIn,
    status: StatusCode,
    purged: Option<String>,
    target: String,
    errors: FormErrors,
) -> PageResult {
    let usage = hearth_service::media::usage_for_admin(ctx, &user.viewer).await?;
    let bytes = |n: i64| size(u64::try_from(n).unwrap_or(0));
    render_status(
        status,
        &MediaPage {
            layout: Layout::new(&user.session, "Pictures", "admin"),
            storage: ctx.media.kind(),
            files: usage.files,
            file_size: bytes(usage.file_bytes),
            uploads: usage.uploads,
            remote_images: usage.remote_images,
            remote_size: bytes(usage.remote_bytes),
            remote_limit: size(ctx.settings.media.remote_cache_bytes),
            purged,
            target,
            errors,
        },
    )
}

#[derive(Debug, Deserialize)]
struct PageParams {
    /// Set by the purge's redirect: how many image slots it emptied.
    purged: Option<u64>,
}

async fn page(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    PageQuery(params): PageQuery<PageParams>,
) -> PageResult {
    let purged = params.purged.map(|slots| {
        format!(
            "Purged: {slots} avatar, icon, banner or post picture slot(s) emptied, files removed."
        )
    });
    render_page(
        &ctx,
        &user,
        StatusCode::OK,
        purged,
        String::new(),
        FormErrors::none(),
    )
    .await
}

#[derive(Debug, Deserialize)]
struct PurgeInput {
    target: String,
}

const PURGE_FIELDS: &Fields = &[("target", "Picture")];

async fn purge(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    CsrfForm(form): CsrfForm<PurgeInput>,
) -> PageResult {
    let result = hearth_service::media::purge_as_admin(&ctx, &user.viewer, &form.target).await;
    let done = match &result {
        Ok(purged) => format!("/admin/media?purged={}", purged.slots),
        Err(_) => "/admin/media".to_owned(),
    };
    redirect_or_show_again(result, &done, by_fields(PURGE_FIELDS), |status, errors| {
        render_page(&ctx, &user, status, None, form.target, errors)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::size;

    #[test]
    fn sizes_read_as_people_say_them() {
        assert_eq!(size(0), "0 B");
        assert_eq!(size(1023), "1023 B");
        assert_eq!(size(3 * 1024 + 400), "3.4 KiB");
        assert_eq!(size(1 << 30), "1.0 GiB");
    }
}
