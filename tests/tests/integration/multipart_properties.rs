//! Property test of the upload path (`POST /api/v1/media`: axum's multipart reader, then our
//! spool to disk) on a running instance: generated multipart bodies, well-formed or not, get a
//! 4xx or a 201, never a 5xx or a dropped connection.
//!
//! Runs `PROPTEST_CASES` bodies (64 by default, each a real request); see CONTRIBUTING.md.

use hearth_tests::app::TestApp;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;

/// One part of a multipart body: its field name, maybe a file name and type, and its bytes.
fn part() -> impl Strategy<Value = Vec<u8>> {
    (
        prop_oneof![Just("file".to_owned()), "[a-z]{0,6}", any::<String>()],
        prop::option::of("[ -~]{0,12}"),
        prop::option::of(prop_oneof![
            Just("image/png".to_owned()),
            Just("image/jpeg".to_owned()),
            "[ -~]{0,16}"
        ]),
        prop_oneof![
            prop::collection::vec(any::<u8>(), 0..2048),
            // A PNG signature followed by noise: gets past the first sniff into the decoder.
            prop::collection::vec(any::<u8>(), 0..512).prop_map(|noise| {
                let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
                png.extend(noise);
                png
            }),
        ],
    )
        .prop_map(|(name, file_name, content_type, bytes)| {
            let mut out = format!("Content-Disposition: form-data; name=\"{name}\"").into_bytes();
            if let Some(file_name) = file_name {
                out.extend(format!("; filename=\"{file_name}\"").into_bytes());
            }
            if let Some(content_type) = content_type {
                out.extend(format!("\r\nContent-Type: {content_type}").into_bytes());
            }
            out.extend(b"\r\n\r\n");
            out.extend(bytes);
            out
        })
}

/// A body of up to three parts, with its ending sometimes cut off or replaced by noise.
fn body() -> impl Strategy<Value = Vec<u8>> {
    (
        prop::collection::vec(part(), 0..3),
        0u8..4,
        prop::collection::vec(any::<u8>(), 0..64),
    )
        .prop_map(|(parts, ending, noise)| {
            let mut out = Vec::new();
            for part in parts {
                out.extend(b"--XBOUNDARY\r\n");
                out.extend(part);
                out.extend(b"\r\n");
            }
            match ending {
                0 => out.extend(b"--XBOUNDARY--\r\n"),
                1 => {}
                2 => out.extend(noise),
                _ => {
                    out.extend(b"--XBOUNDARY--\r\n");
                    out.extend(noise);
                }
            }
            out
        })
}

#[tokio::test]
async fn no_multipart_body_gets_a_server_error() {
    let app = TestApp::spawn(&[("HEARTH__RATE_LIMITS__UPLOAD__MAX", "100000")]).await;
    let kim = app.user("kim").await;
    let cases: u32 = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(64);
    let mut runner = TestRunner::deterministic();
    let strategy = body();
    let mut statuses = std::collections::BTreeSet::new();
    for _ in 0..cases {
        let sent = strategy.new_tree(&mut runner).unwrap().current();
        let answer = app
            .client
            .post(format!("{}/api/v1/media", app.base))
            .bearer_auth(&kim.token)
            .header("content-type", "multipart/form-data; boundary=XBOUNDARY")
            .body(sent.clone())
            .send()
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "the connection failed ({e}) for {:?}",
                    String::from_utf8_lossy(&sent)
                )
            });
        let status = answer.status();
        let text = answer.text().await.unwrap();
        assert!(
            status.is_client_error() || status.as_u16() == 201,
            "{status} for {:?}: {text}",
            String::from_utf8_lossy(&sent)
        );
        if status.is_client_error() {
            let error: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert!(error["error"].is_string(), "{text}");
        }
        statuses.insert(status.as_u16());
    }
    // The generator reaches past the multipart reader, not only its first refusal.
    assert!(statuses.len() >= 2, "only {statuses:?}");
}
