//! Discovery: WebFinger (`acct:name@host` → actor), NodeInfo (what software this is) and
//! host-meta (where WebFinger is, for older clients). Failures are `hearth_core::Error`,
//! answered in the one error shape.

use crate::FederationState;
use crate::urls::{Urls, authority};
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use hearth_core::{Error, Result};
use serde::Deserialize;
use serde_json::{Value, json};

/// The discovery routes (served whatever the `Accept` header).
pub fn routes() -> Router<FederationState> {
    Router::new()
        .route("/.well-known/webfinger", get(webfinger))
        .route("/.well-known/nodeinfo", get(nodeinfo_links))
        .route("/nodeinfo/2.1", get(nodeinfo_21))
        .route("/nodeinfo/2.0", get(nodeinfo_20))
        .route("/.well-known/host-meta", get(host_meta))
}

/// 400 `invalid_resource`: the WebFinger `resource` cannot be read.
fn invalid_resource(message: &str) -> Error {
    Error::bad_request("invalid_resource", message)
}

/// The `resource` query of WebFinger.
#[derive(Debug, Deserialize)]
pub struct WebfingerQuery {
    resource: Option<String>,
}

async fn webfinger(
    State(state): State<FederationState>,
    Query(query): Query<WebfingerQuery>,
) -> Result<Response> {
    let ctx = &state.ctx;
    let ours = ctx.settings.hostname.as_str().to_owned();
    let Some(resource) = query
        .resource
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty())
    else {
        return Err(invalid_resource(
            "resource: is required (acct:name@host or an actor URL)",
        ));
    };
    let (name, subject) = resource_name(&resource, &ours)?;
    let urls = Urls(&ctx.settings);
    let mut links: Vec<Value> = Vec::new();
    // The instance actor answers to acct:host@host.
    if name.eq_ignore_ascii_case(&ours) {
        links.push(self_link(urls.instance()?.as_str(), "Application"));
    }
    if let Some(person) = hearth_db::person::local_actor(&ctx.pool, &name).await? {
        links.push(json!({ "rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": person.ap_id }));
        links.push(self_link(&person.ap_id, "Person"));
    }
    // Mastodon takes the last link: the community comes last.
    if let Some(community) = hearth_db::community::find_local(&ctx.pool, &name).await? {
        links.push(self_link(&community.ap_id, "Group"));
    }
    if links.is_empty() {
        return Err(Error::not_found("There is no such account here."));
    }
    let mut response = axum::Json(json!({ "subject": subject, "links": links })).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/jrd+json"),
    );
    Ok(response)
}

/// What a WebFinger `resource` names on this instance (`ours`): `acct:name@host` (a leading `@`
/// tolerated) or one of our actor URLs; the name to look up and the `subject` to answer with.
/// 404 for another instance's account, 400 for anything unreadable.
fn resource_name(resource: &str, ours: &str) -> Result<(String, String)> {
    if let Some(acct) = resource.strip_prefix("acct:") {
        let Some((name, host)) = acct
            .trim_start_matches('@')
            .rsplit_once('@')
            .filter(|(name, host)| !name.is_empty() && !host.is_empty())
        else {
            return Err(invalid_resource("resource: must be acct:name@host"));
        };
        if !host.eq_ignore_ascii_case(ours) {
            return Err(Error::not_found(
                "That account does not live on this instance.",
            ));
        }
        Ok((name.to_owned(), format!("acct:{name}@{ours}")))
    } else if let Ok(url) = url::Url::parse(resource) {
        if authority(&url).as_deref() != Some(ours) {
            return Err(Error::not_found(
                "That actor does not live on this instance.",
            ));
        }
        let segments: Vec<&str> = url.path_segments().map(|s| s.collect()).unwrap_or_default();
        match segments.as_slice() {
            ["c" | "u", name] => Ok(((*name).to_owned(), format!("acct:{name}@{ours}"))),
            [""] | [] => Ok((ours.to_owned(), format!("acct:{ours}@{ours}"))),
            _ => Err(Error::not_found("That is not an actor of this instance.")),
        }
    } else {
        Err(invalid_resource(
            "resource: must be acct:name@host or an actor URL",
        ))
    }
}

fn self_link(href: &str, kind: &str) -> Value {
    json!({
        "rel": "self",
        "type": "application/activity+json",
        "href": href,
        "properties": { "https://www.w3.org/ns/activitystreams#type": kind },
    })
}

async fn nodeinfo_links(State(state): State<FederationState>) -> Response {
    let base = state.ctx.settings.public_base_url();
    axum::Json(json!({
        "links": [
            { "rel": "http://nodeinfo.diaspora.software/ns/schema/2.1", "href": format!("{base}/nodeinfo/2.1") },
            { "rel": "http://nodeinfo.diaspora.software/ns/schema/2.0", "href": format!("{base}/nodeinfo/2.0") },
        ]
    }))
    .into_response()
}

async fn nodeinfo(state: &FederationState, version: &str) -> anyhow::Result<Value> {
    let ctx = &state.ctx;
    let site = hearth_db::site::get(&ctx.pool).await?;
    let usage = hearth_db::person::usage(&ctx.pool).await?;
    let mut software = json!({ "name": "hearth", "version": env!("CARGO_PKG_VERSION") });
    let repository = env!("CARGO_PKG_REPOSITORY");
    if version == "2.1" && !repository.is_empty() {
        software["repository"] = json!(repository);
    }
    Ok(json!({
        "version": version,
        "software": software,
        "protocols": ["activitypub"],
        "services": { "inbound": [], "outbound": [] },
        "openRegistrations": site.registration_mode != hearth_core::settings::RegistrationMode::Closed,
        "usage": {
            "users": {
                "total": usage.total,
                "activeMonth": usage.active_month,
                "activeHalfyear": usage.active_halfyear,
            },
            "localPosts": usage.local_posts,
            "localComments": usage.local_comments,
        },
        "metadata": {
            "nodeName": site.name,
            // Where clients find the APIs: Hearth's own, and Lemmy 0.19's for the apps made
            // for Lemmy.
            "apis": [
                { "name": "hearth", "path": "/api/v1", "openapi": "/api/v1/openapi.json" },
                {
                    "name": "lemmy",
                    "path": "/api/v3",
                    "version": hearth_core::client::LEMMY_API_VERSION,
                },
            ],
        },
    }))
}

async fn nodeinfo_answer(state: &FederationState, version: &str) -> Result<Response> {
    let mut response = axum::Json(nodeinfo(state, version).await?).into_response();
    let profile = format!(
        "application/json; profile=\"http://nodeinfo.diaspora.software/ns/schema/{version}#\""
    );
    if let Ok(value) = HeaderValue::from_str(&profile) {
        response.headers_mut().insert(header::CONTENT_TYPE, value);
    }
    Ok(response)
}

async fn nodeinfo_21(State(state): State<FederationState>) -> Result<Response> {
    nodeinfo_answer(&state, "2.1").await
}

async fn nodeinfo_20(State(state): State<FederationState>) -> Result<Response> {
    nodeinfo_answer(&state, "2.0").await
}

async fn host_meta(State(state): State<FederationState>) -> Response {
    let base = state.ctx.settings.public_base_url();
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<XRD xmlns=\"http://docs.oasis-open.org/ns/xri/xrd-1.0\">\n  <Link rel=\"lrdd\" template=\"{base}/.well-known/webfinger?resource={{uri}}\"/>\n</XRD>\n"
    );
    (
        [(header::CONTENT_TYPE, "application/xrd+xml; charset=utf-8")],
        xml,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    //! Property tests of the WebFinger `resource` reading: no input panics, and every account
    //! name of ours reads back from `acct:name@host` and from its actor URLs. Cases:
    //! `PROPTEST_CASES` (256 by default), see CONTRIBUTING.md ("Property tests").

    use super::resource_name;
    use proptest::prelude::*;

    const OURS: &str = "hearth.example";

    fn config() -> ProptestConfig {
        let cases = std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(256);
        ProptestConfig {
            cases,
            failure_persistence: None,
            ..ProptestConfig::default()
        }
    }

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn no_resource_makes_it_panic(resource in any::<String>()) {
            let _ = resource_name(&resource, OURS);
            let _ = resource_name(&format!("acct:{resource}"), OURS);
            let _ = resource_name(&format!("http://{OURS}/{resource}"), OURS);
        }

        #[test]
        fn our_names_read_back_from_acct_and_from_actor_urls(name in "[a-z0-9_]{1,30}") {
            let subject = format!("acct:{name}@{OURS}");
            let from_acct = resource_name(&subject, OURS).expect("an acct: of ours");
            prop_assert_eq!(&from_acct, &(name.clone(), subject.clone()));
            let upper = format!("acct:@{name}@{}", OURS.to_uppercase());
            prop_assert_eq!(resource_name(&upper, OURS).expect("case-blind host"), from_acct.clone());
            for kind in ["c", "u"] {
                let url = format!("https://{OURS}/{kind}/{name}");
                prop_assert_eq!(resource_name(&url, OURS).expect("an actor URL"), from_acct.clone());
            }
        }

        #[test]
        fn other_hosts_are_not_ours(name in "[a-z0-9_]{1,30}", host in "[a-z]{1,20}\\.test") {
            let error = resource_name(&format!("acct:{name}@{host}"), OURS).expect_err("not ours");
            prop_assert_eq!(error.kind.code(), "not_found");
        }
    }
}
