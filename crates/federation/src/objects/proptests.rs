//! Property tests of what reads other servers' objects: the wire types and activities on any
//! JSON, and the HTML-to-text paths (`html_to_text`, `content_text`, titles of untitled posts)
//! on any text. No input makes them panic; text made from markdown carries no tags.
//!
//! Each property runs `PROPTEST_CASES` cases (256 by default); see CONTRIBUTING.md ("Property tests").

use super::*;
use crate::activities::{self, read};
use crate::protocol::Source;
use crate::protocol::actors::{Group, Person};
use crate::protocol::objects::{Note, Page};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

/// Bounded cases for the suite; `PROPTEST_CASES` raises them for a longer local run.
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

/// Keys ActivityPub objects carry, so generated objects look enough like ours to get past the
/// first field and into the nested parsing.
const KEYS: &[&str] = &[
    "id",
    "type",
    "actor",
    "object",
    "attributedTo",
    "to",
    "cc",
    "audience",
    "content",
    "mediaType",
    "source",
    "name",
    "summary",
    "url",
    "attachment",
    "tag",
    "image",
    "icon",
    "published",
    "updated",
    "inReplyTo",
    "inbox",
    "outbox",
    "endpoints",
    "sharedInbox",
    "publicKey",
    "publicKeyPem",
    "owner",
    "preferredUsername",
    "followers",
    "href",
    "target",
    "sensitive",
    "stickied",
    "commentsEnabled",
    "language",
    "identifier",
    "startTime",
    "endTime",
    "location",
    "oneOf",
    "anyOf",
    "replies",
    "totalItems",
    "votersCount",
    "moderators",
];

/// Values ActivityPub fields hold: URLs, type names, dates, and anything else.
fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        any::<String>().prop_map(Value::from),
        "https://[a-z]{1,6}\\.example(:[0-9]{1,5})?/[a-z/#?=]{0,12}".prop_map(Value::from),
        prop::sample::select(vec![
            "Page",
            "Note",
            "Article",
            "Question",
            "Event",
            "Group",
            "Person",
            "Create",
            "Update",
            "Delete",
            "Follow",
            "Accept",
            "Undo",
            "Announce",
            "Like",
            "Dislike",
            "Image",
            "Link",
            "Mention",
            "Hashtag",
            "Tombstone",
            "Service",
            "Application",
            "text/markdown",
            "text/html",
            "2026-12-02T15:00:00Z",
            "https://www.w3.org/ns/activitystreams#Public",
        ])
        .prop_map(Value::from),
    ]
}

/// Any JSON, nested a few levels, its objects keyed mostly by ActivityPub's names.
fn activity_json() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 48, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop_oneof![
                        4 => prop::sample::select(KEYS).prop_map(str::to_owned),
                        1 => "[a-zA-Z@:]{1,8}",
                    ],
                    inner,
                ),
                0..8,
            )
            .prop_map(|pairs| Value::Object(pairs.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Reads `value` as every wire type and activity we parse; only panics matter here.
fn read_as_everything(value: &Value) {
    let _ = serde_json::from_value::<Page>(value.clone());
    let _ = serde_json::from_value::<Note>(value.clone());
    let _ = serde_json::from_value::<Group>(value.clone());
    let _ = serde_json::from_value::<Person>(value.clone());
    let _ = read::<activities::following::follow::Follow>(value);
    let _ = read::<activities::following::answer::Answer>(value);
    let _ = read::<activities::content::create_or_update::CreateOrUpdate>(value);
    let _ = read::<activities::content::delete::Delete>(value);
    let _ = read::<activities::votes::Vote>(value);
    let _ = read::<activities::announce::Announce>(value);
    if let Ok(page) = serde_json::from_value::<Page>(value.clone()) {
        let body = page.content.as_deref().unwrap_or_default();
        let _ = post::title_of(&page, body);
        let _ = post::link_of(&page);
        let _ = post::pictures_of(&page);
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn no_json_makes_a_wire_type_or_activity_panic(value in activity_json()) {
        read_as_everything(&value);
        // The same object as a Page, Note and Create, so that the nested fields are reached.
        for kind in ["Page", "Note", "Create"] {
            let mut typed = value.clone();
            if let Value::Object(fields) = &mut typed {
                fields.insert("type".to_owned(), Value::from(kind));
                fields.insert("id".to_owned(), Value::from("https://a.example/x"));
                fields.insert("actor".to_owned(), Value::from("https://a.example/u/kim"));
                fields.insert("attributedTo".to_owned(), Value::from("https://a.example/u/kim"));
            }
            read_as_everything(&typed);
        }
    }

    #[test]
    fn no_text_makes_html_to_text_panic(html in any::<String>()) {
        let _ = html_to_text(&html);
        let _ = post::untitled_parts(&html);
        let _ = content_text(Some(&html), Some("text/markdown"), None);
        let _ = content_text(Some(&html), Some("text/html"), None);
        let source = Source { content: html.clone(), media_type: "text/markdown".to_owned() };
        let _ = content_text(Some(&html), None, Some(&source));
    }

    #[test]
    fn html_like_text_never_makes_html_to_text_panic(html in "(<[/a-z]{0,4}( [a-z]{1,4}=\"?[a-z<>&;]{0,4}\"?)?/?>|&[a-z#0-9]{0,6};?|[a-z @\n]{0,6})*") {
        let text = html_to_text(&html);
        let (title, _body) = post::untitled_parts(&html);
        prop_assert!(!title.is_empty());
        prop_assert!(!title.contains('\n'));
        prop_assert!(text.len() <= html.len() * 4 + 16);
    }

    #[test]
    fn markdown_made_html_reads_back_as_text_without_tags(markdown in "([a-zA-Z0-9 ]{0,10}|[*_#>()!:.\\[\\]-]{1,2}|\n|\n\n|https://x\\.example/[a-z]{1,4})*") {
        let (stored_markdown, html) = content_text(Some(&markdown), Some("text/markdown"), None);
        prop_assert_eq!(stored_markdown, markdown.clone());
        let text = html_to_text(&html);
        prop_assert!(!text.contains('<'), "{markdown:?} gave {text:?}");
        let (title, _) = post::untitled_parts(&html);
        prop_assert!(!title.contains('<'));
    }
}
