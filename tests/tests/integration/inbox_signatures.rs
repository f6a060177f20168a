//! The inbox's own check of HTTP signatures (`hearth_federation::inbox_signature`, which took
//! over from activitypub_federation's `receive_activity` to check with aws-lc-rs and parsed keys
//! kept): a request signed by a real key passes, and every tampering a man in the middle or a
//! careless sender could do is refused with 401 and its code, applying nothing — a body changed
//! after signing, a `Digest` made to match a changed body, no `Digest`, a changed `Date`, a
//! request replayed to another inbox path, a signature that does not cover `Digest`.

use crate::federation_network::{create_community, write_post};
use hearth_federation::signing::SignedHeaders;
use hearth_tests::app::TestApp;
use hearth_tests::hostile::Evil;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn like(evil: &Evil, actor_path: &str, post: &str) -> Value {
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": evil.activity_id("Like"),
        "type": "Like",
        "actor": evil.url(actor_path),
        "object": post,
    })
}

/// Sends `body` to `path` with the `Date`, `Digest` and `Signature` of `signed`, each replaced
/// by `changed` where it names the header (`None`: left out); answers the status and the JSON.
async fn send(
    app: &TestApp,
    path: &str,
    signed: &SignedHeaders,
    changed: &[(&str, Option<String>)],
    body: Vec<u8>,
) -> (StatusCode, Value) {
    let mut request = reqwest::Client::new()
        .post(format!("http://{}{path}", app.settings.hostname.as_str()))
        .header("content-type", "application/activity+json");
    let headers = [
        ("date", &signed.date),
        ("digest", &signed.digest),
        ("signature", &signed.signature),
    ];
    for (name, value) in headers {
        let value = match changed.iter().find(|(n, _)| *n == name) {
            Some((_, replaced)) => replaced.clone(),
            None => Some(value.clone()),
        };
        if let Some(value) = value {
            request = request.header(name, value);
        }
    }
    let response = request.body(body).send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Asserts a refusal with 401 and `code`.
fn refused(answer: (StatusCode, Value), code: &str) {
    let (status, body) = answer;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some(code)),
        "{body}"
    );
}

async fn votes(app: &TestApp) -> i64 {
    let pool = app.db.pool().await;
    let count: i64 = sqlx::query_scalar("select count(*) from post_vote")
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    count
}

#[tokio::test]
async fn tampered_signed_requests_are_refused_with_401_and_apply_nothing() {
    let app = TestApp::spawn(&[]).await;
    let alice = app.user("alice").await;
    create_community(&app, &alice, "sigs", json!({})).await;
    let post = write_post(&app, &alice, "sigs", "Seals").await;
    let evil = Evil::start().await;
    let mallory = evil.person("mallory").await;
    let key = evil.private_key("/u/mallory");
    let signer = hearth_federation::signing::Signer::default();
    let inbox =
        url::Url::parse(&format!("http://{}/inbox", app.settings.hostname.as_str())).unwrap();
    let before = votes(&app).await;

    // Each case: a fresh activity, signed for /inbox, then spoiled one way.
    let signed_for = |activity: &Value| {
        let body = activity.to_string().into_bytes();
        let signer = &signer;
        let key = key.clone();
        let mallory = mallory.clone();
        let inbox = inbox.clone();
        async move {
            let headers = signer
                .sign_post(&key, &mallory, &inbox, &body)
                .await
                .unwrap();
            (body, headers)
        }
    };

    // The body changed after signing: its Digest no longer matches.
    let (body, h) = signed_for(&like(&evil, "/u/mallory", &post)).await;
    let mut changed = body.clone();
    changed.extend_from_slice(b" ");
    refused(
        send(&app, "/inbox", &h, &[], changed.clone()).await,
        "invalid_digest",
    );

    // The Digest recomputed for the changed body: the signature covers the old one.
    let digest = hearth_federation::signing::body_digest(&changed);
    let answer = send(&app, "/inbox", &h, &[("digest", Some(digest))], changed).await;
    refused(answer, "invalid_signature");

    // No Digest at all.
    let (body, h) = signed_for(&like(&evil, "/u/mallory", &post)).await;
    refused(
        send(&app, "/inbox", &h, &[("digest", None)], body).await,
        "invalid_digest",
    );

    // A Date other than the one signed.
    let (body, h) = signed_for(&like(&evil, "/u/mallory", &post)).await;
    let http_date = |ago: i64| {
        (chrono::Utc::now() - chrono::Duration::seconds(ago))
            .format("%a, %d %b %Y %H:%M:%S GMT")
            .to_string()
    };
    let date = if http_date(5) == h.date {
        http_date(65)
    } else {
        http_date(5)
    };
    let answer = send(&app, "/inbox", &h, &[("date", Some(date))], body).await;
    refused(answer, "invalid_signature");

    // Signed for /inbox, sent to the community's inbox: the request target differs.
    let (body, h) = signed_for(&like(&evil, "/u/mallory", &post)).await;
    refused(
        send(&app, "/c/sigs/inbox", &h, &[], body).await,
        "invalid_signature",
    );

    // A signature whose header list leaves Digest out: refused whatever it verifies.
    let (body, h) = signed_for(&like(&evil, "/u/mallory", &post)).await;
    let without_digest = h
        .signature
        .replace(" digest\"", "\"")
        .replace("digest ", "");
    assert_ne!(
        without_digest, h.signature,
        "the test's signature names digest: {}",
        h.signature
    );
    let answer = send(
        &app,
        "/inbox",
        &h,
        &[("signature", Some(without_digest))],
        body,
    )
    .await;
    assert_eq!(answer.0, StatusCode::UNAUTHORIZED, "{}", answer.1);
    assert_eq!(
        votes(&app).await,
        before,
        "nothing tampered with was applied"
    );

    // Untouched, the same kind of request is accepted and applied.
    let activity = like(&evil, "/u/mallory", &post);
    let (body, h) = signed_for(&activity).await;
    let (status, answer) = send(&app, "/inbox", &h, &[], body).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
    app.wait_applied(activity["id"].as_str().unwrap()).await;
    assert_eq!(votes(&app).await, before + 1, "the honest like counts");
    app.stop().await;
}
