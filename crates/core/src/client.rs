//! Who a request comes from, by the one rule every face (JSON API, pages, Lemmy API) uses for
//! its per-address rate limits: the peer's address, or, behind a reverse proxy, the last entry of
//! the header named by `http.client_ip_header`.

use crate::settings::Settings;
use axum::extract::ConnectInfo;
use axum::http::request::Parts;
use std::net::SocketAddr;

/// The client's IP address as text (`unknown` when neither the header nor the peer is known).
pub fn client_ip(settings: &Settings, parts: &Parts) -> String {
    let header = settings.http.client_ip_header.trim();
    if !header.is_empty()
        && let Some(last) = parts
            .headers
            .get(header)
            .and_then(|v| v.to_str().ok())
            // The last entry is the one the nearest (our) proxy added; clients choose the ones
            // before it.
            .and_then(|v| v.rsplit(',').next())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    {
        return last.to_owned();
    }
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip().to_string())
        .unwrap_or_else(|| "unknown".to_owned())
}

/// The client's `User-Agent` (empty when absent), to label sessions in the token list.
pub fn user_agent(headers: &axum::http::HeaderMap) -> String {
    headers
        .get(axum::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned()
}

/// The Lemmy version the Lemmy-compatible API (`/api/v3`) answers as: the last 0.19 release,
/// which apps made for Lemmy 0.19 accept. Hearth's own version is NodeInfo's `software`.
pub const LEMMY_API_VERSION: &str = "0.19.9";
