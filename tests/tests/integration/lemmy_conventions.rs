//! The conventions every v3 endpoint keeps, over the whole of Lemmy 0.19's client API (each
//! method and path lemmy-js-client 0.19.9 calls, and the picture upload): without a token, the
//! endpoints that need an account answer 400 `not_logged_in` and the others 200 or a Lemmy
//! error; with a token, a malformed form answers 400 `invalid_query` (or the endpoint's own
//! Lemmy name); every error is JSON with a Lemmy error name and a message; nothing answers 5xx
//! or anything but JSON.

use hearth_tests::app::{TestApp, TestUser};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::collections::HashSet;

/// Who may call an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    /// Anyone (some answer more with an account).
    Open,
    /// A signed-in account.
    Member,
    /// A signed-in administrator (the malformed form is sent with the admin's token).
    Admin,
}

/// What a malformed form answers, with a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Malformed {
    /// 400 `invalid_query`.
    Invalid,
    /// This Lemmy error name instead (the endpoint refuses before it reads the form, as Lemmy
    /// does for a feature that is off).
    Named(&'static str),
}

/// One endpoint: method, path (under `/api/v3`, or absolute for `/pictrs`), who may call it,
/// a malformed form (a query string for GET, a JSON body otherwise; `None` for endpoints
/// without a form, or whose call would change the test's accounts), and what it answers.
struct Endpoint {
    method: Method,
    path: &'static str,
    access: Access,
    bad_form: Option<&'static str>,
    malformed: Malformed,
}

const fn ep(
    method: Method,
    path: &'static str,
    access: Access,
    bad_form: Option<&'static str>,
) -> Endpoint {
    Endpoint {
        method,
        path,
        access,
        bad_form,
        malformed: Malformed::Invalid,
    }
}

const fn named(
    method: Method,
    path: &'static str,
    access: Access,
    bad_form: &'static str,
    name: &'static str,
) -> Endpoint {
    Endpoint {
        method,
        path,
        access,
        bad_form: Some(bad_form),
        malformed: Malformed::Named(name),
    }
}

use Access::{Admin, Member, Open};

/// Every endpoint of lemmy-js-client 0.19.9 (`http.js`), and `/pictrs/image`.
fn endpoints() -> Vec<Endpoint> {
    const GET: Method = Method::GET;
    const POST: Method = Method::POST;
    const PUT: Method = Method::PUT;
    vec![
        // GET
        ep(GET, "/account/list_media", Member, Some("limit=many")),
        ep(GET, "/admin/list_all_media", Admin, Some("limit=many")),
        ep(
            GET,
            "/admin/registration_application",
            Admin,
            Some("person_id=x"),
        ),
        ep(GET, "/admin/registration_application/count", Admin, None),
        ep(
            GET,
            "/admin/registration_application/list",
            Admin,
            Some("limit=many"),
        ),
        ep(GET, "/comment", Open, Some("id=x")),
        ep(GET, "/comment/like/list", Member, Some("comment_id=x")),
        ep(GET, "/comment/list", Open, Some("limit=many")),
        ep(GET, "/comment/report/list", Member, Some("limit=many")),
        ep(GET, "/community", Open, Some("id=x")),
        ep(GET, "/community/list", Open, Some("limit=many")),
        ep(GET, "/federated_instances", Open, None),
        ep(GET, "/modlog", Open, Some("limit=many")),
        ep(GET, "/post", Open, Some("id=x")),
        ep(GET, "/post/like/list", Member, Some("post_id=x")),
        ep(GET, "/post/list", Open, Some("limit=many")),
        ep(GET, "/post/report/list", Member, Some("limit=many")),
        ep(GET, "/post/site_metadata", Member, Some("")),
        ep(GET, "/private_message/list", Member, Some("limit=many")),
        ep(
            GET,
            "/private_message/report/list",
            Member,
            Some("limit=many"),
        ),
        ep(GET, "/resolve_object", Open, Some("")),
        ep(GET, "/search", Open, Some("")),
        ep(GET, "/site", Open, None),
        ep(GET, "/user", Open, Some("person_id=x")),
        ep(GET, "/user/banned", Admin, None),
        ep(GET, "/user/export_settings", Member, None),
        ep(GET, "/user/get_captcha", Open, None),
        ep(GET, "/user/list_logins", Member, None),
        ep(GET, "/user/mention", Member, Some("limit=many")),
        ep(GET, "/user/replies", Member, Some("limit=many")),
        ep(GET, "/user/report_count", Member, Some("community_id=x")),
        ep(GET, "/user/unread_count", Member, None),
        ep(GET, "/user/validate_auth", Member, None),
        // POST
        ep(
            POST,
            "/admin/add",
            Admin,
            Some(r#"{"person_id":"x","added":true}"#),
        ),
        ep(
            POST,
            "/admin/purge/comment",
            Admin,
            Some(r#"{"comment_id":"x"}"#),
        ),
        ep(
            POST,
            "/admin/purge/community",
            Admin,
            Some(r#"{"community_id":"x"}"#),
        ),
        ep(
            POST,
            "/admin/purge/person",
            Admin,
            Some(r#"{"person_id":"x"}"#),
        ),
        ep(POST, "/admin/purge/post", Admin, Some(r#"{"post_id":"x"}"#)),
        ep(
            POST,
            "/comment",
            Member,
            Some(r#"{"content":"c","post_id":"x"}"#),
        ),
        ep(
            POST,
            "/comment/delete",
            Member,
            Some(r#"{"comment_id":"x","deleted":true}"#),
        ),
        ep(
            POST,
            "/comment/distinguish",
            Member,
            Some(r#"{"comment_id":"x","distinguished":true}"#),
        ),
        ep(
            POST,
            "/comment/like",
            Member,
            Some(r#"{"comment_id":"x","score":1}"#),
        ),
        ep(
            POST,
            "/comment/mark_as_read",
            Member,
            Some(r#"{"comment_reply_id":"x","read":true}"#),
        ),
        ep(
            POST,
            "/comment/remove",
            Member,
            Some(r#"{"comment_id":"x","removed":true}"#),
        ),
        ep(
            POST,
            "/comment/report",
            Member,
            Some(r#"{"comment_id":"x","reason":"r"}"#),
        ),
        ep(POST, "/community", Member, Some(r#"{"title":"no name"}"#)),
        ep(
            POST,
            "/community/ban_user",
            Member,
            Some(r#"{"community_id":"x","person_id":1,"ban":true}"#),
        ),
        ep(
            POST,
            "/community/block",
            Member,
            Some(r#"{"community_id":"x","block":true}"#),
        ),
        ep(
            POST,
            "/community/delete",
            Member,
            Some(r#"{"community_id":"x","deleted":true}"#),
        ),
        ep(
            POST,
            "/community/follow",
            Member,
            Some(r#"{"community_id":"x","follow":true}"#),
        ),
        ep(
            POST,
            "/community/mod",
            Member,
            Some(r#"{"community_id":"x","person_id":1,"added":true}"#),
        ),
        ep(
            POST,
            "/community/remove",
            Admin,
            Some(r#"{"community_id":"x","removed":true}"#),
        ),
        ep(
            POST,
            "/community/transfer",
            Member,
            Some(r#"{"community_id":"x","person_id":1}"#),
        ),
        named(
            POST,
            "/custom_emoji",
            Member,
            r#"{"category":1}"#,
            "not_an_admin",
        ),
        named(
            POST,
            "/custom_emoji/delete",
            Member,
            r#"{"id":"x"}"#,
            "not_an_admin",
        ),
        ep(
            POST,
            "/post",
            Member,
            Some(r#"{"name":"t","community_id":"x"}"#),
        ),
        ep(
            POST,
            "/post/delete",
            Member,
            Some(r#"{"post_id":"x","deleted":true}"#),
        ),
        ep(
            POST,
            "/post/feature",
            Member,
            Some(r#"{"post_id":"x","featured":true,"feature_type":"Local"}"#),
        ),
        ep(
            POST,
            "/post/hide",
            Member,
            Some(r#"{"post_ids":"x","hide":true}"#),
        ),
        ep(
            POST,
            "/post/like",
            Member,
            Some(r#"{"post_id":"x","score":1}"#),
        ),
        ep(
            POST,
            "/post/lock",
            Member,
            Some(r#"{"post_id":"x","locked":true}"#),
        ),
        ep(
            POST,
            "/post/mark_as_read",
            Member,
            Some(r#"{"post_id":"x","read":true}"#),
        ),
        ep(
            POST,
            "/post/remove",
            Member,
            Some(r#"{"post_id":"x","removed":true}"#),
        ),
        ep(
            POST,
            "/post/report",
            Member,
            Some(r#"{"post_id":"x","reason":"r"}"#),
        ),
        named(
            POST,
            "/private_message",
            Member,
            r#"{"content":"c","recipient_id":"x"}"#,
            "couldnt_create_private_message",
        ),
        named(
            POST,
            "/private_message/delete",
            Member,
            r#"{"private_message_id":"x","deleted":true}"#,
            "couldnt_find_private_message",
        ),
        named(
            POST,
            "/private_message/mark_as_read",
            Member,
            r#"{"private_message_id":"x","read":true}"#,
            "couldnt_find_private_message",
        ),
        named(
            POST,
            "/private_message/report",
            Member,
            r#"{"private_message_id":"x","reason":"r"}"#,
            "couldnt_find_private_message",
        ),
        ep(POST, "/site", Admin, Some(r#"{"name":5}"#)),
        ep(
            POST,
            "/site/block",
            Member,
            Some(r#"{"instance_id":"x","block":true}"#),
        ),
        ep(
            POST,
            "/user/ban",
            Admin,
            Some(r#"{"person_id":"x","ban":true}"#),
        ),
        ep(
            POST,
            "/user/block",
            Member,
            Some(r#"{"person_id":"x","block":true}"#),
        ),
        ep(
            POST,
            "/user/delete_account",
            Member,
            Some(r#"{"password":5,"delete_content":true}"#),
        ),
        ep(
            POST,
            "/user/import_settings",
            Member,
            Some(r#"{"memberships":"x"}"#),
        ),
        // With the admin's token it would end the admin's rights.
        ep(POST, "/user/leave_admin", Admin, None),
        ep(
            POST,
            "/user/login",
            Open,
            Some(r#"{"username_or_email":"x"}"#),
        ),
        // With a token it would end the session the other calls use.
        ep(POST, "/user/logout", Member, None),
        ep(POST, "/user/mark_all_as_read", Member, None),
        ep(
            POST,
            "/user/mention/mark_as_read",
            Member,
            Some(r#"{"person_mention_id":"x","read":true}"#),
        ),
        ep(
            POST,
            "/user/password_change",
            Open,
            Some(r#"{"token":"t","password":"p"}"#),
        ),
        ep(POST, "/user/password_reset", Open, Some(r#"{"email":5}"#)),
        ep(POST, "/user/register", Open, Some(r#"{"username":"x"}"#)),
        ep(POST, "/user/totp/generate", Member, None),
        named(
            POST,
            "/user/totp/update",
            Member,
            r#"{"totp_token":5,"enabled":true}"#,
            "missing_totp_secret",
        ),
        ep(POST, "/user/verify_email", Open, Some(r#"{"token":5}"#)),
        // PUT
        ep(
            PUT,
            "/admin/registration_application/approve",
            Admin,
            Some(r#"{"id":"x","approve":true}"#),
        ),
        ep(PUT, "/comment", Member, Some(r#"{"comment_id":"x"}"#)),
        ep(
            PUT,
            "/comment/report/resolve",
            Member,
            Some(r#"{"report_id":"x","resolved":true}"#),
        ),
        ep(
            PUT,
            "/comment/save",
            Member,
            Some(r#"{"comment_id":"x","save":true}"#),
        ),
        ep(PUT, "/community", Member, Some(r#"{"community_id":"x"}"#)),
        ep(
            PUT,
            "/community/hide",
            Admin,
            Some(r#"{"community_id":"x","hidden":true}"#),
        ),
        named(
            PUT,
            "/custom_emoji",
            Member,
            r#"{"id":"x"}"#,
            "not_an_admin",
        ),
        ep(PUT, "/post", Member, Some(r#"{"post_id":"x"}"#)),
        ep(
            PUT,
            "/post/report/resolve",
            Member,
            Some(r#"{"report_id":"x","resolved":true}"#),
        ),
        ep(
            PUT,
            "/post/save",
            Member,
            Some(r#"{"post_id":"x","save":true}"#),
        ),
        named(
            PUT,
            "/private_message",
            Member,
            r#"{"private_message_id":"x","content":"c"}"#,
            "couldnt_find_private_message",
        ),
        named(
            PUT,
            "/private_message/report/resolve",
            Member,
            r#"{"report_id":"x","resolved":true}"#,
            "couldnt_find_private_message_report",
        ),
        ep(PUT, "/site", Admin, Some(r#"{"name":5}"#)),
        ep(
            PUT,
            "/user/change_password",
            Member,
            Some(r#"{"new_password":"a"}"#),
        ),
        ep(
            PUT,
            "/user/save_user_settings",
            Member,
            Some(r#"{"show_nsfw":"yes"}"#),
        ),
        // Lemmy's picture upload (multipart), outside `/api/v3`.
        ep(POST, "/pictrs/image", Member, Some("{}")),
    ]
}

/// Lemmy 0.19's error names (`LemmyErrorType` of lemmy-js-client 0.19.9).
const LEMMY_ERRORS: &[&str] = &[
    "report_reason_required",
    "report_too_long",
    "not_a_moderator",
    "not_an_admin",
    "cant_block_yourself",
    "cant_block_admin",
    "couldnt_update_user",
    "passwords_do_not_match",
    "email_not_verified",
    "email_required",
    "couldnt_update_comment",
    "couldnt_update_private_message",
    "cannot_leave_admin",
    "no_lines_in_html",
    "site_metadata_page_is_not_doctype_html",
    "pictrs_response_error",
    "pictrs_purge_response_error",
    "pictrs_caching_disabled",
    "image_url_missing_path_segments",
    "image_url_missing_last_path_segment",
    "pictrs_api_key_not_provided",
    "no_content_type_header",
    "not_an_image_type",
    "not_a_mod_or_admin",
    "no_admins",
    "not_top_admin",
    "not_top_mod",
    "not_logged_in",
    "not_higher_mod",
    "not_higher_admin",
    "site_ban",
    "deleted",
    "banned_from_community",
    "couldnt_find_community",
    "couldnt_find_person",
    "couldnt_find_comment",
    "couldnt_find_comment_report",
    "couldnt_find_post_report",
    "couldnt_find_private_message_report",
    "couldnt_find_local_user",
    "couldnt_find_person_mention",
    "couldnt_find_registration_application",
    "couldnt_find_comment_reply",
    "couldnt_find_private_message",
    "couldnt_find_activity",
    "person_is_blocked",
    "community_is_blocked",
    "instance_is_blocked",
    "downvotes_are_disabled",
    "instance_is_private",
    "invalid_password",
    "site_description_length_overflow",
    "honeypot_failed",
    "registration_application_is_pending",
    "cant_enable_private_instance_and_federation_together",
    "locked",
    "couldnt_create_comment",
    "max_comment_depth_reached",
    "no_comment_edit_allowed",
    "only_admins_can_create_communities",
    "community_already_exists",
    "language_not_allowed",
    "only_mods_can_post_in_community",
    "couldnt_update_post",
    "no_post_edit_allowed",
    "couldnt_find_post",
    "edit_private_message_not_allowed",
    "site_already_exists",
    "application_question_required",
    "invalid_default_post_listing_type",
    "registration_closed",
    "registration_application_answer_required",
    "email_already_exists",
    "federation_forbidden_by_strict_allow_list",
    "person_is_banned_from_community",
    "object_is_not_public",
    "invalid_community",
    "cannot_create_post_or_comment_in_deleted_or_removed_community",
    "cannot_receive_page",
    "new_post_cannot_be_locked",
    "only_local_admin_can_remove_community",
    "only_local_admin_can_restore_community",
    "no_id_given",
    "incorrect_login",
    "invalid_query",
    "object_not_local",
    "post_is_locked",
    "person_is_banned_from_site",
    "invalid_vote_value",
    "page_does_not_specify_creator",
    "no_email_setup",
    "local_site_not_setup",
    "email_smtp_server_needs_a_port",
    "missing_an_email",
    "rate_limit_error",
    "invalid_name",
    "invalid_display_name",
    "invalid_matrix_id",
    "invalid_post_title",
    "invalid_body_field",
    "bio_length_overflow",
    "alt_text_length_overflow",
    "missing_totp_token",
    "missing_totp_secret",
    "incorrect_totp_token",
    "couldnt_parse_totp_secret",
    "couldnt_generate_totp",
    "totp_already_enabled",
    "couldnt_like_comment",
    "couldnt_save_comment",
    "couldnt_create_report",
    "couldnt_resolve_report",
    "community_moderator_already_exists",
    "community_user_already_banned",
    "community_block_already_exists",
    "community_follower_already_exists",
    "couldnt_update_community_hidden_status",
    "person_block_already_exists",
    "user_already_exists",
    "token_not_found",
    "couldnt_like_post",
    "couldnt_save_post",
    "couldnt_mark_post_as_read",
    "couldnt_hide_post",
    "couldnt_update_community",
    "couldnt_update_replies",
    "couldnt_update_person_mentions",
    "post_title_too_long",
    "couldnt_create_post",
    "couldnt_create_private_message",
    "couldnt_update_private",
    "system_err_login",
    "couldnt_set_all_registrations_accepted",
    "couldnt_set_all_email_verified",
    "banned",
    "blocked_url",
    "couldnt_get_comments",
    "couldnt_get_posts",
    "invalid_url",
    "email_send_failed",
    "slurs",
    "couldnt_find_object",
    "registration_denied",
    "federation_disabled",
    "domain_blocked",
    "domain_not_in_allow_list",
    "federation_disabled_by_strict_allow_list",
    "site_name_required",
    "site_name_length_overflow",
    "permissive_regex",
    "invalid_regex",
    "captcha_incorrect",
    "couldnt_create_audio_captcha",
    "invalid_url_scheme",
    "couldnt_send_webmention",
    "contradicting_filters",
    "instance_block_already_exists",
    "too_many_items",
    "community_has_no_followers",
    "ban_expiration_in_past",
    "invalid_unix_time",
    "invalid_bot_action",
    "cant_block_local_instance",
    "url_without_domain",
    "inbox_timeout",
    "unknown",
    "cant_delete_site",
    "url_length_overflow",
    // Not in the union type, but what Lemmy answers for an unknown endpoint or a missing object.
    "not_found",
];

/// An answer: status and JSON body (the call fails the test when the body is not JSON).
struct Answer {
    status: StatusCode,
    body: Value,
}

impl Answer {
    /// The error name, when the body is a Lemmy error; fails the test when an error answer is
    /// not one.
    fn error_name(&self, what: &str) -> Option<String> {
        if self.status.is_success() {
            return None;
        }
        let name = self.body["error"]
            .as_str()
            .unwrap_or_else(|| panic!("{what}: {} without `error`: {}", self.status, self.body));
        assert!(
            LEMMY_ERRORS.contains(&name),
            "{what}: `{name}` is not a Lemmy error name"
        );
        assert!(
            self.body["message"].is_string(),
            "{what}: error without a `message`: {}",
            self.body
        );
        Some(name.to_owned())
    }
}

/// Sends `form` (a query string for GET, a raw JSON body otherwise) with an optional token.
async fn ask(app: &TestApp, endpoint: &Endpoint, token: Option<&str>, form: &str) -> Answer {
    let path = if endpoint.path.starts_with("/pictrs") {
        endpoint.path.to_owned()
    } else {
        format!("/api/v3{}", endpoint.path)
    };
    let what = format!("{} {path}", endpoint.method);
    let mut request = if endpoint.method == Method::GET {
        let query = if form.is_empty() {
            String::new()
        } else {
            format!("?{form}")
        };
        app.client.get(format!("{}{path}{query}", app.base))
    } else {
        app.client
            .request(endpoint.method.clone(), format!("{}{path}", app.base))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(form.to_owned())
    };
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("request reaches the server");
    let status = response.status();
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let text = response.text().await.expect("a body");
    assert!(
        !status.is_server_error(),
        "{what} (token: {}) answered {status}: {text}",
        token.is_some()
    );
    assert!(
        content_type.starts_with("application/json"),
        "{what} answered {status} with `{content_type}`: {text}"
    );
    let body = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{what} answered {status} with no JSON ({e}): {text}"));
    Answer { status, body }
}

#[tokio::test]
async fn lemmy_conventions_hold_for_every_v3_endpoint() {
    let app = TestApp::spawn(&[]).await;
    let member: TestUser = app.user("conv_member").await;
    let admin: TestUser = app.admin("conv_admin").await;
    let table = endpoints();

    // The table is the whole API: lemmy-js-client 0.19.9 calls 100 (method, path) pairs.
    let distinct: HashSet<(String, &str)> = table
        .iter()
        .map(|e| (e.method.to_string(), e.path))
        .collect();
    assert_eq!(distinct.len(), table.len(), "an endpoint is listed twice");
    assert_eq!(table.len(), 100 + 1);

    let mut failures = Vec::new();
    for endpoint in &table {
        let what = format!("{} {}", endpoint.method, endpoint.path);
        // (a) Without a token, with an empty form.
        let empty = if endpoint.method == Method::GET {
            ""
        } else {
            "{}"
        };
        let anonymous = ask(&app, endpoint, None, empty).await;
        let name = anonymous.error_name(&format!("{what} without a token"));
        match endpoint.access {
            Access::Member | Access::Admin => {
                if (anonymous.status, name.as_deref())
                    != (StatusCode::BAD_REQUEST, Some("not_logged_in"))
                {
                    failures.push(format!(
                        "{what} without a token: {} {}",
                        anonymous.status, anonymous.body
                    ));
                }
            }
            Access::Open => {
                assert!(
                    anonymous.status == StatusCode::OK || name.is_some(),
                    "{what} without a token: {}",
                    anonymous.status
                );
            }
        }

        // (b) With a token, a malformed form.
        let Some(bad_form) = endpoint.bad_form else {
            continue;
        };
        let token = match endpoint.access {
            Access::Admin => &admin.token,
            Access::Member | Access::Open => &member.token,
        };
        let answer = ask(&app, endpoint, Some(token), bad_form).await;
        let name = answer.error_name(&format!("{what} with `{bad_form}`"));
        let expected = match endpoint.malformed {
            Malformed::Invalid => "invalid_query",
            Malformed::Named(name) => name,
        };
        if answer.status != StatusCode::BAD_REQUEST || name.as_deref() != Some(expected) {
            failures.push(format!(
                "{what} with `{bad_form}`: {} {} (expected 400 {expected})",
                answer.status, answer.body
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} endpoints broke the conventions:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
