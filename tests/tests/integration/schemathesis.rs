//! The API contract, judged by an outside tool: schemathesis (pinned in
//! tests/peers/python/requirements.txt, settings in tests/peers/python/schemathesis.toml) runs
//! every operation of `/api/v1/openapi.json` against a seeded instance without a token, with a
//! member's and with an administrator's, and fails on any 5xx, undocumented status, wrong content
//! type or body that does not match its documented schema. Then every status the document lists
//! must have been answered at least once in those runs, or be explained in [`UNREACHED`] (and in
//! docs/API.md, "Statuses the contract test does not reach").

use crate::media::upload;
use chrono::{Duration as ChronoDuration, Utc};
use hearth_tests::app::{SETUP_ADMIN, TEST_PASSWORD, TestApp, TestUser};
use hearth_tests::python::venv_bin;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

/// Documented statuses that no run reaches, by design, and why (docs/API.md has the same list,
/// "Statuses the contract test does not reach"). `*` stands for every operation.
const UNREACHED: &[(&str, &str, &str)] = &[
    (
        "*",
        "503",
        "the database is down: the fault suite stops PostgreSQL under load",
    ),
    (
        "*",
        "429",
        "rate limits: the test instances' are raised far above what a run sends",
    ),
    (
        "*",
        "413",
        "a body over the cap: schemathesis sends small bodies; media tests send large",
    ),
    // Ending the run's own session, or needing a secret the runs do not hand to the fuzzer.
    (
        "POST /api/v1/auth/logout",
        "204",
        "left out of the token runs: see SESSION_ENDERS",
    ),
    (
        "POST /api/v1/auth/tokens/revoke_all",
        "204",
        "left out of the token runs: see SESSION_ENDERS",
    ),
    (
        "DELETE /api/v1/auth/tokens/{id}",
        "400",
        "the id is fixed to the spare token (no run revokes its own)",
    ),
    (
        "POST /api/v1/account/delete",
        "204",
        "needs the password, withheld so the member is not deleted mid-run",
    ),
    (
        "POST /api/v1/account/delete",
        "409",
        "last_admin: needs the last admin's password, withheld",
    ),
    (
        "POST /api/v1/account/two_factor",
        "409",
        "two_factor_enabled: needs a TOTP code (two_factor.rs)",
    ),
    (
        "POST /api/v1/account/two_factor/confirm",
        "200",
        "needs a TOTP code (two_factor.rs)",
    ),
    (
        "POST /api/v1/account/two_factor/confirm",
        "409",
        "needs a TOTP code first (two_factor.rs)",
    ),
    // Mail is off on this instance; the e-mail tests run an SMTP server.
    (
        "POST /api/v1/account/email/verification",
        "202",
        "mail is off here (e-mail tests)",
    ),
    (
        "POST /api/v1/account/email/verify",
        "204",
        "needs a mailed token (e-mail tests)",
    ),
    (
        "POST /api/v1/account/password_reset",
        "202",
        "mail is off here (e-mail tests)",
    ),
    (
        "POST /api/v1/account/password_reset",
        "409",
        "needs a well-formed address first (e-mail tests)",
    ),
    (
        "POST /api/v1/account/password_reset/confirm",
        "204",
        "needs a mailed token (e-mail tests)",
    ),
    (
        "PUT /api/v1/account/email",
        "409",
        "mail is off here (e-mail tests)",
    ),
    // Needs another server.
    (
        "GET /api/v1/resolve",
        "200",
        "needs another server to look up (federation tests)",
    ),
    (
        "GET /api/v1/resolve",
        "404",
        "needs another server to answer 404 (federation tests)",
    ),
    (
        "DELETE /api/v1/admin/purge/communities/{name}",
        "204",
        "only remote communities are purged (federation_admin)",
    ),
    (
        "DELETE /api/v1/admin/purge/users/{user}",
        "204",
        "only remote people are purged (federation_admin)",
    ),
    // Site settings the runs do not turn on (the admin run comes last).
    (
        "POST /api/v1/accounts",
        "403",
        "registration_closed: registration is open here (api_accounts)",
    ),
    (
        "POST /api/v1/communities",
        "403",
        "community_creation_restricted: not restricted here (api_communities)",
    ),
    // Bodies schemathesis does not build: a value out of a short list, or ids of one post.
    (
        "PUT /api/v1/posts/{id}/rsvp",
        "409",
        "a full, cancelled or ended event (events_api)",
    ),
    (
        "PUT /api/v1/posts/{id}/poll/vote",
        "200",
        "choices within the poll's options (polls_api)",
    ),
    (
        "PUT /api/v1/posts/{id}/poll/vote",
        "409",
        "a closed poll or a second vote (polls_api)",
    ),
    (
        "POST /api/v1/posts/{id}/event/attendees/{person_id}/approve",
        "200",
        "the organiser, the event and an applicant together (events_api)",
    ),
    (
        "POST /api/v1/posts/{id}/event/attendees/{person_id}/approve",
        "409",
        "event_full (events_api)",
    ),
    (
        "POST /api/v1/communities/{name}/members/{user}/approve",
        "200",
        "the community and its pending member together (api_communities)",
    ),
    (
        "POST /api/v1/communities/{name}/members/{user}/deny",
        "200",
        "the community and its pending member together (api_communities)",
    ),
    (
        "POST /api/v1/communities/{name}/join",
        "403",
        "community_removed: the admin run removes it after the member run joined",
    ),
    (
        "POST /api/v1/admin/applications/{id}/deny",
        "200",
        "the pending application with a reason (api_accounts)",
    ),
    (
        "GET /api/v1/posts",
        "401",
        "feed=subscribed without a token (api_content)",
    ),
    (
        "POST /api/v1/reports",
        "404",
        "an unknown post or comment id in a well-formed report (api_content)",
    ),
    (
        "DELETE /api/v1/media/{id}",
        "403",
        "not_uploader: someone else's upload (media)",
    ),
    (
        "POST /api/v1/admin/bans",
        "404",
        "an unknown user in a well-formed ban (federation_admin)",
    ),
    (
        "GET /api/v1/admin/federation/inbox",
        "400",
        "a `limit` that is not a number: the runs send numbers (inbox_queue)",
    ),
    (
        "POST /api/v1/admin/applications/{id}/deny",
        "409",
        "already_decided: the one well-formed deny decides it (api_accounts)",
    ),
    (
        "POST /api/v1/posts",
        "403",
        "not_member, posting_restricted: a well-formed post in the approval community (api_content)",
    ),
    (
        "POST /api/v1/posts/{id}/remove",
        "403",
        "not_moderator with a well-formed reason on another community's post (moderation tests)",
    ),
    // Names are looked up as given (an over-long one is simply not found): only `%00` is refused.
    (
        "POST /api/v1/communities/{name}/block",
        "400",
        "invalid_path: `%00` (text_with_a_nul_character_is_refused_with_a_4xx_everywhere)",
    ),
];

/// Operations the token runs leave out, because they would end the run's own session; each is
/// tested elsewhere, and the anonymous run still checks their 401.
const SESSION_ENDERS: &[(&str, &str)] = &[
    (
        "POST /api/v1/auth/logout",
        "api_accounts::tokens_are_listed_revoked_and_logout_ends_the_session",
    ),
    (
        "POST /api/v1/auth/tokens/revoke_all",
        "account_sessions (revoking every session)",
    ),
];

/// What the instance is seeded with, so that path parameters and ids in bodies hit real rows.
struct Seeded {
    admin: TestUser,
    member: TestUser,
    /// An account whose application waits for an admin.
    applicant: String,
    /// A second token of the member's, the one `DELETE /api/v1/auth/tokens/{id}` may revoke.
    spare_token_id: i64,
    communities: Vec<String>,
    users: Vec<String>,
    persons: Vec<i64>,
    posts: Vec<i64>,
    comments: Vec<i64>,
    notifications: Vec<i64>,
    reports: Vec<i64>,
    uploads: Vec<i64>,
    /// The uploads' URLs (what an admin purges).
    pictures: Vec<String>,
    applications: Vec<i64>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_api_operation_keeps_its_documented_contract() {
    let started = Instant::now();
    let app = TestApp::spawn(&[]).await;
    let seeded = seed(&app).await;
    let work = tempfile::tempdir().expect("a directory for the runs");
    let config = write_config(work.path(), &seeded);

    let session_enders: Vec<&str> = SESSION_ENDERS.iter().map(|(name, _)| *name).collect();
    let runs = [
        ("anonymous", None, Vec::new()),
        (
            "member",
            Some(seeded.member.token.as_str()),
            session_enders.clone(),
        ),
        ("admin", Some(seeded.admin.token.as_str()), session_enders),
    ];
    let mut failures = String::new();
    let mut answered: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let document: Value = app
        .get("/api/v1/openapi.json")
        .await
        .json()
        .await
        .expect("the OpenAPI document is JSON");
    let operations = documented_statuses(&document);
    for (label, token, excluded) in runs {
        let run = run_schemathesis(&app, work.path(), &config, label, token, &excluded).await;
        if !run.passed {
            let _ = writeln!(
                failures,
                "=== schemathesis run `{label}` failed ===\n{}",
                run.output
            );
        }
        for (method, path, status) in run.exchanges {
            if let Some(operation) = operation_of(&operations, &method, &path) {
                answered.entry(operation).or_default().insert(status);
            }
        }
    }
    eprintln!(
        "schemathesis: three runs in {:.0?} (whole test)",
        started.elapsed()
    );
    assert!(failures.is_empty(), "{failures}");

    // Every documented status was answered, or it is one the runs cannot reach.
    let mut unexplained = Vec::new();
    for (operation, statuses) in &operations {
        let seen = answered.get(operation);
        for status in statuses {
            let reached = seen.is_some_and(|s| s.contains(status));
            let explained = UNREACHED
                .iter()
                .any(|(op, s, _)| (*op == "*" || op == operation) && s == status);
            if !reached && !explained {
                unexplained.push(format!("{operation}: {status}"));
            }
        }
    }
    // And the table holds only what is true: an entry for a status some run reached is stale.
    let stale: Vec<String> = UNREACHED
        .iter()
        .filter(|(operation, status, _)| {
            answered
                .get(*operation)
                .is_some_and(|seen| seen.contains(*status))
        })
        .map(|(operation, status, _)| format!("{operation}: {status}"))
        .collect();
    assert!(
        stale.is_empty(),
        "UNREACHED lists statuses the runs reached; remove them (and from docs/API.md):\n{}",
        stale.join("\n")
    );
    assert!(
        unexplained.is_empty(),
        "documented statuses no run reached and UNREACHED does not explain (reach them with \
         seeded data, or explain them here and in docs/API.md):\n{}",
        unexplained.join("\n")
    );
    app.stop().await;
}

/// Found by schemathesis: PostgreSQL's text cannot hold U+0000, and text with it reached the
/// database from bodies, paths and query strings alike (500). The edge refuses it now.
#[tokio::test]
async fn text_with_a_nul_character_is_refused_with_a_4xx_everywhere() {
    let app = TestApp::spawn(&[]).await;
    let member = app.user("member").await;
    let (status, body) = app
        .post_json(
            "/api/v1/communities",
            member.auth(),
            json!({"name": "gardening", "title": "Gardening", "description": "a\u{0}b"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"], "invalid_body");
    let (status, body) = app
        .call(
            Method::PUT,
            "/api/v1/me/profile",
            member.auth(),
            Some(json!({"bio": "line\u{0}"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    // A backslash followed by the letters `u0000` is ordinary text.
    let (status, body) = app
        .call(
            Method::PUT,
            "/api/v1/me/profile",
            member.auth(),
            Some(json!({"bio": "written \\u0000 as text"})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, body) = app.get_json("/api/v1/communities/a%00b", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"], "invalid_path");
    let (status, body) = app.get_json("/api/v1/users/a%00b", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = app.get_json("/api/v1/search?q=a%00b", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"], "invalid_query");

    // The pages' forms, queries and paths, and the Lemmy-compatible API, refuse it as well.
    let mut visitor = crate::web_pages::Visitor::signed_in(&app, &member).await;
    let page = visitor
        .post(
            "/settings/profile",
            &[("display_name", "M"), ("bio", "a\u{0}b")],
        )
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    let page = visitor.get("/search?q=a%00b").await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    let page = visitor.get("/c/a%00b").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    let (status, me) = app.get_json("/api/v1/me", member.auth()).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_ne!(me["display_name"], "M", "nothing was stored: {me}");
    let jwt = hearth_tests::lemmy::v3_jwt(&app, "member").await;
    let (status, body) = app
        .call(
            Method::PUT,
            "/api/v3/user/save_user_settings",
            Some(&jwt),
            Some(json!({"bio": "a\u{0}b"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"], "invalid_query", "{body}");
    let (status, body) = app.get_json("/api/v3/search?q=a%00b", Some(&jwt)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    app.stop().await;
}

/// One schemathesis run: whether it passed, its report, and every request it sent as
/// (method, path, status).
struct Run {
    passed: bool,
    output: String,
    exchanges: Vec<(String, String, String)>,
}

async fn run_schemathesis(
    app: &TestApp,
    work: &Path,
    config: &Path,
    label: &str,
    token: Option<&str>,
    excluded: &[&str],
) -> Run {
    let schemathesis = venv_bin().join("schemathesis");
    assert!(
        schemathesis.exists(),
        "{} is missing: run the tests with scripts/test, which installs \
         tests/peers/python/requirements.txt",
        schemathesis.display()
    );
    let har = work.join(format!("{label}.har"));
    let mut command = tokio::process::Command::new(&schemathesis);
    command
        .arg("--config-file")
        .arg(config)
        .arg("run")
        .arg(format!("{}/api/v1/openapi.json", app.base))
        .arg("--no-color")
        .arg("--report")
        .arg("har")
        .arg("--report-har-path")
        .arg(&har);
    if let Some(token) = token {
        command
            .arg("--header")
            .arg(format!("Authorization: Bearer {token}"));
    }
    for name in excluded {
        command.arg("--exclude-name").arg(name);
    }
    let output = tokio::time::timeout(
        Duration::from_secs(300),
        command
            .current_dir(work)
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output(),
    )
    .await
    .unwrap_or_else(|_| panic!("schemathesis run `{label}` took over 5 minutes"))
    .unwrap_or_else(|e| panic!("cannot run {}: {e}", schemathesis.display()));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    eprintln!(
        "schemathesis `{label}`: {}",
        text.lines()
            .rev()
            .find(|l| l.contains(" in "))
            .unwrap_or("")
    );
    let exchanges = read_har(&har);
    Run {
        passed: output.status.success(),
        output: text,
        exchanges,
    }
}

/// (method, path, status) of every request in a HAR file; none when there is no file.
fn read_har(path: &Path) -> Vec<(String, String, String)> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    let har: Value = serde_json::from_str(&text).expect("the HAR report is JSON");
    har["log"]["entries"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter_map(|entry| {
            let method = entry["request"]["method"].as_str()?.to_owned();
            let url = url::Url::parse(entry["request"]["url"].as_str()?).ok()?;
            let status = entry["response"]["status"].as_u64()?.to_string();
            Some((method, url.path().to_owned(), status))
        })
        .collect()
}

/// "METHOD /template" → the statuses the document lists for it.
fn documented_statuses(document: &Value) -> BTreeMap<String, BTreeSet<String>> {
    let mut operations = BTreeMap::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("a path item") {
            let Some(responses) = operation["responses"].as_object() else {
                continue;
            };
            operations.insert(
                format!("{} {path}", method.to_uppercase()),
                responses.keys().cloned().collect(),
            );
        }
    }
    operations
}

/// The documented operation a request went to: its method, and the template that matches the
/// path with the most literal segments (`/posts/read` before `/posts/{id}`).
fn operation_of(
    operations: &BTreeMap<String, BTreeSet<String>>,
    method: &str,
    path: &str,
) -> Option<String> {
    let segments: Vec<&str> = path.split('/').collect();
    operations
        .keys()
        .filter_map(|operation| {
            let (op_method, template) = operation.split_once(' ')?;
            if !op_method.eq_ignore_ascii_case(method) {
                return None;
            }
            let parts: Vec<&str> = template.split('/').collect();
            if parts.len() != segments.len() {
                return None;
            }
            let mut literal = 0;
            for (part, segment) in parts.iter().zip(&segments) {
                if part.starts_with('{') {
                    continue;
                }
                if part != segment {
                    return None;
                }
                literal += 1;
            }
            Some((literal, operation.clone()))
        })
        .max_by_key(|(literal, _)| *literal)
        .map(|(_, operation)| operation)
}

/// A copy of tests/peers/python/schemathesis.toml with the seeded ids and names: each path
/// parameter and id field draws from the rows of its kind most of the time (and from anything
/// its schema allows otherwise), so the runs reach past 404.
fn write_config(work: &Path, seeded: &Seeded) -> PathBuf {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("peers/python/schemathesis.toml");
    let mut config = std::fs::read_to_string(&base).expect("schemathesis.toml");
    let strings = |values: &[String]| {
        values
            .iter()
            .map(|v| format!("{v:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let numbers = |values: &[i64]| {
        values
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let _ = write!(
        config,
        r#"
# Added by tests/tests/integration/schemathesis.rs: the seeded instance's ids and names.
[dictionaries]
communities = {{ values = [{communities}] }}
users = {{ values = [{users}] }}
persons = {{ values = [{persons}] }}
posts = {{ values = [{posts}] }}
comments = {{ values = [{comments}] }}
notifications = {{ values = [{notifications}] }}
reports = {{ values = [{reports}] }}
uploads = {{ values = [{uploads}] }}
pictures = {{ values = [{pictures}] }}
titles = {{ values = ["Seedlings", "Late frost"] }}
new_names = {{ values = ["allotment", "gardening"] }}
policy_modes = {{ values = ["open", "allowlist"] }}
applications = {{ values = [{applications}] }}

sign_in_names = {{ values = [{sign_in_names}] }}
passwords = {{ values = [{password:?}] }}

[parameters]
"path.name" = {{ dictionary = "communities", probability = 0.8 }}
"path.user" = {{ dictionary = "users", probability = 0.8 }}
"path.person_id" = {{ dictionary = "persons", probability = 0.8 }}
"query.community" = {{ dictionary = "communities", probability = 0.5 }}
"query.parent_id" = {{ dictionary = "comments", probability = 0.5 }}
"body.community" = {{ dictionary = "communities", probability = 0.8 }}
"body.user" = {{ dictionary = "users", probability = 0.8 }}
"body.post_id" = {{ dictionary = "posts", probability = 0.8 }}
"body.comment_id" = {{ dictionary = "comments", probability = 0.5 }}
"body.parent_id" = {{ dictionary = "comments", probability = 0.5 }}
"body.target" = {{ dictionary = "pictures", probability = 0.5 }}
"body.title" = {{ dictionary = "titles", probability = 0.5 }}
"body.name" = {{ dictionary = "new_names", probability = 0.5 }}
"body.mode" = {{ dictionary = "policy_modes", probability = 0.5 }}

[[operations]]
include-path-regex = "^/api/v1/posts/\\{{id\\}}"
parameters = {{ "path.id" = {{ dictionary = "posts", probability = 0.8 }} }}

[[operations]]
include-path-regex = "^/api/v1/comments/\\{{id\\}}"
parameters = {{ "path.id" = {{ dictionary = "comments", probability = 0.8 }} }}

[[operations]]
include-path-regex = "^/api/v1/notifications/\\{{id\\}}"
parameters = {{ "path.id" = {{ dictionary = "notifications", probability = 0.8 }} }}

[[operations]]
include-path-regex = "^/api/v1/reports/\\{{id\\}}"
parameters = {{ "path.id" = {{ dictionary = "reports", probability = 0.8 }} }}

[[operations]]
include-path-regex = "^/api/v1/media/\\{{id\\}}"
parameters = {{ "path.id" = {{ dictionary = "uploads", probability = 0.8 }} }}

[[operations]]
include-path-regex = "^/api/v1/admin/applications/\\{{id\\}}"
parameters = {{ "path.id" = {{ dictionary = "applications", probability = 0.8 }} }}

# Purges: every draw a seeded name (local ones are refused, unknown ones are 404).
[[operations]]
include-path-regex = "^/api/v1/admin/purge/"
parameters = {{ "path.name" = {{ dictionary = "communities", probability = 1.0 }}, "path.user" = {{ dictionary = "users", probability = 1.0 }} }}

# Sign-ins that work, and one still waiting for its application; sign-ups with names taken.
[[operations]]
include-name = "POST /api/v1/auth/login"
parameters = {{ "body.username" = {{ dictionary = "sign_in_names", probability = 0.7 }}, "body.password" = {{ dictionary = "passwords", probability = 0.7 }} }}

[[operations]]
include-name = "POST /api/v1/accounts"
parameters = {{ "body.username" = {{ dictionary = "users", probability = 0.3 }} }}

# Only the member's spare token: a generated id could be the run's own token.
[[operations]]
include-name = "DELETE /api/v1/auth/tokens/{{id}}"
parameters = {{ "path.id" = {spare_token} }}
"#,
        communities = strings(&seeded.communities),
        users = strings(&seeded.users),
        persons = numbers(&seeded.persons),
        posts = numbers(&seeded.posts),
        comments = numbers(&seeded.comments),
        notifications = numbers(&seeded.notifications),
        reports = numbers(&seeded.reports),
        uploads = numbers(&seeded.uploads),
        pictures = strings(&seeded.pictures),
        applications = numbers(&seeded.applications),
        spare_token = seeded.spare_token_id,
        sign_in_names = strings(&[seeded.member.name.clone(), seeded.applicant.clone(),]),
        password = TEST_PASSWORD,
    );
    let path = work.join("schemathesis.toml");
    std::fs::write(&path, config).expect("write the run's schemathesis.toml");
    path
}

/// A JSON call that must succeed; its answer.
async fn ok(
    app: &TestApp,
    method: Method,
    path: &str,
    user: &TestUser,
    body: Option<Value>,
) -> Value {
    let (status, answer) = app.call(method.clone(), path, user.auth(), body).await;
    assert!(status.is_success(), "{method} {path}: {status} {answer}");
    answer
}

fn id(value: &Value) -> i64 {
    value["id"].as_i64().expect("an id")
}

/// Three communities (one the member moderates, one they are a plain member of, one that
/// approves members), posts of every kind, comments and replies (so notifications), reports, an
/// upload, a pending application, an event answer. Every list of ids and names also holds one
/// that does not exist, so that the runs meet 404s as well.
async fn seed(app: &TestApp) -> Seeded {
    let admin = TestUser {
        id: 0,
        name: SETUP_ADMIN.to_owned(),
        token: app.login(SETUP_ADMIN, TEST_PASSWORD).await,
    };
    let member = app.user("member").await;
    let author = app.user("author").await;

    ok(
        app,
        Method::POST,
        "/api/v1/communities",
        &member,
        Some(json!({"name": "gardening", "title": "Gardening"})),
    )
    .await;
    ok(
        app,
        Method::POST,
        "/api/v1/communities",
        &author,
        Some(json!({"name": "quiet", "title": "Quiet", "visibility": "approval"})),
    )
    .await;
    ok(
        app,
        Method::POST,
        "/api/v1/communities/gardening/join",
        &author,
        None,
    )
    .await;
    // A community where the member is no moderator: its moderation is refused to them.
    ok(
        app,
        Method::POST,
        "/api/v1/communities",
        &author,
        Some(json!({"name": "orchard", "title": "Orchard"})),
    )
    .await;
    ok(
        app,
        Method::POST,
        "/api/v1/communities/orchard/join",
        &member,
        None,
    )
    .await;
    let elsewhere = ok(
        app,
        Method::POST,
        "/api/v1/posts",
        &author,
        Some(json!({"community": "orchard", "title": "Pruning", "body": "In winter."})),
    )
    .await;
    let comment_elsewhere = ok(
        app,
        Method::POST,
        "/api/v1/comments",
        &author,
        Some(json!({"post_id": id(&elsewhere), "body": "Not in frost."})),
    )
    .await;
    // The member asks to join the community that approves members: a pending member.
    ok(
        app,
        Method::POST,
        "/api/v1/communities/quiet/join",
        &member,
        None,
    )
    .await;

    let text = ok(
        app,
        Method::POST,
        "/api/v1/posts",
        &member,
        Some(json!({"community": "gardening", "title": "Tomatoes", "body": "When to plant?"})),
    )
    .await;
    let poll = ok(
        app,
        Method::POST,
        "/api/v1/posts",
        &author,
        Some(
            json!({"community": "gardening", "title": "Best bean?", "poll": {
                "options": ["runner", "broad", "french"],
                "ends_at": (Utc::now() + ChronoDuration::days(7)).to_rfc3339(),
            }}),
        ),
    )
    .await;
    let starts = Utc::now() + ChronoDuration::days(3);
    let event = ok(
        app,
        Method::POST,
        "/api/v1/posts",
        &member,
        Some(
            json!({"community": "gardening", "title": "Seed swap", "event": {
                "starts_at": starts.to_rfc3339(),
                "ends_at": (starts + ChronoDuration::hours(2)).to_rfc3339(),
                "needs_approval": true,
                "capacity": 20,
            }}),
        ),
    )
    .await;
    ok(
        app,
        Method::PUT,
        &format!("/api/v1/posts/{}/rsvp", id(&event)),
        &author,
        Some(json!({"answer": "going"})),
    )
    .await;

    let comment = ok(
        app,
        Method::POST,
        "/api/v1/comments",
        &author,
        Some(json!({"post_id": id(&text), "body": "In May, @member."})),
    )
    .await;
    let reply = ok(
        app,
        Method::POST,
        "/api/v1/comments",
        &member,
        Some(json!({"post_id": id(&text), "parent_id": id(&comment), "body": "Thanks!"})),
    )
    .await;
    let on_poll = ok(
        app,
        Method::POST,
        "/api/v1/comments",
        &member,
        Some(json!({"post_id": id(&poll), "body": "Runner beans."})),
    )
    .await;

    let report_on_post = ok(
        app,
        Method::POST,
        "/api/v1/reports",
        &author,
        Some(json!({"post_id": id(&poll), "reason": "duplicate"})),
    )
    .await;
    let report_on_comment = ok(
        app,
        Method::POST,
        "/api/v1/reports",
        &author,
        Some(json!({"comment_id": id(&on_poll), "reason": "off topic"})),
    )
    .await;

    // Reported by the member in a community they do not moderate: its report is not theirs to
    // resolve.
    let report_elsewhere = ok(
        app,
        Method::POST,
        "/api/v1/reports",
        &member,
        Some(json!({"post_id": id(&elsewhere), "reason": "spam"})),
    )
    .await;

    let (status, uploaded) = upload(
        app,
        &member,
        "tomato.png",
        "image/png",
        &hearth_tests::pictures::tinted_png([200, 40, 40]),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{uploaded}");

    // One pending application: approval mode for one sign-up, then open again.
    ok(
        app,
        Method::PATCH,
        "/api/v1/admin/site",
        &admin,
        Some(json!({"registration_mode": "approval", "application_question": "Why?"})),
    )
    .await;
    let (status, applied) = app
        .post_json(
            "/api/v1/accounts",
            None,
            json!({"username": "applicant", "password": TEST_PASSWORD,
                   "application_answer": "I grow beans"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{applied}");
    ok(
        app,
        Method::PATCH,
        "/api/v1/admin/site",
        &admin,
        Some(json!({"registration_mode": "open"})),
    )
    .await;
    let applications = ok(app, Method::GET, "/api/v1/admin/applications", &admin, None).await;

    let notifications = ok(app, Method::GET, "/api/v1/notifications", &member, None).await;
    let notifications_of_author =
        ok(app, Method::GET, "/api/v1/notifications", &author, None).await;

    // The member's spare session: the only token id the member run may revoke.
    let before: BTreeSet<i64> =
        ok(app, Method::GET, "/api/v1/auth/tokens", &member, None).await["items"]
            .as_array()
            .expect("a token list")
            .iter()
            .map(id)
            .collect();
    app.login("member", TEST_PASSWORD).await;
    let spare_token_id = ok(app, Method::GET, "/api/v1/auth/tokens", &member, None).await["items"]
        .as_array()
        .expect("a token list")
        .iter()
        .map(id)
        .find(|token| !before.contains(token))
        .expect("the new session is listed");

    let ids = |page: &Value| -> Vec<i64> {
        page["items"]
            .as_array()
            .expect("a page of items")
            .iter()
            .map(id)
            .collect()
    };
    let notifications: Vec<i64> = ids(&notifications)
        .into_iter()
        .chain(ids(&notifications_of_author))
        .collect();
    assert!(!notifications.is_empty(), "the replies notified someone");
    let applications = ids(&applications);
    assert!(!applications.is_empty(), "the application is listed");

    // An id no row has, and a name longer than any name may be (400 `invalid_field`).
    const MISSING: i64 = 987_654_321;
    const TOO_LONG: &str = "a_name_far_longer_than_the_one_hundred_characters_any_community_or_person_may_have_on_any_server_at_all";
    Seeded {
        applicant: "applicant".to_owned(),
        spare_token_id,
        communities: vec![
            "gardening".into(),
            "orchard".into(),
            "quiet".into(),
            "no_such_place".into(),
            TOO_LONG.into(),
        ],
        users: vec![
            member.name.clone(),
            author.name.clone(),
            "nobody_here".into(),
            TOO_LONG.into(),
        ],
        persons: vec![author.id, member.id, MISSING],
        posts: vec![id(&text), id(&poll), id(&event), id(&elsewhere), MISSING],
        comments: vec![
            id(&comment),
            id(&reply),
            id(&on_poll),
            id(&comment_elsewhere),
            MISSING,
        ],
        notifications: notifications.into_iter().chain([MISSING]).collect(),
        reports: vec![
            id(&report_on_post),
            id(&report_on_comment),
            id(&report_elsewhere),
            MISSING,
        ],
        uploads: vec![id(&uploaded), MISSING],
        pictures: vec![
            uploaded["url"]
                .as_str()
                .expect("the upload's URL")
                .to_owned(),
        ],
        applications: applications.into_iter().chain([MISSING]).collect(),
        admin,
        member,
    }
}
