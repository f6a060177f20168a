//! Parsing what other servers send: fixtures written by us in the shapes Lemmy, Mastodon,
//! Mbin, NodeBB and Friendica use (tests/fixtures/<software>/).

use hearth_federation::protocol::actors::{Group, Person};
use hearth_federation::protocol::objects::{Attachment, Note, Page};
use hearth_federation::protocol::{OneOrMany, PUBLIC};
use serde::de::DeserializeOwned;

fn fixture<T: DeserializeOwned>(path: &str) -> T {
    let full = format!("{}/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{full}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path} does not parse: {e}"))
}

#[test]
fn groups_from_lemmy_mbin_and_nodebb_parse() {
    let lemmy: Group = fixture("lemmy/group.json");
    assert_eq!(lemmy.preferred_username, "gardening");
    assert_eq!(lemmy.posting_restricted_to_mods, Some(true));
    let languages = lemmy.language.expect("a Group with language").into_vec();
    assert_eq!(
        languages
            .iter()
            .map(|l| l.identifier.as_str())
            .collect::<Vec<_>>(),
        ["en", "de"]
    );
    assert_eq!(
        lemmy.endpoints.unwrap().shared_inbox.unwrap().as_str(),
        "https://lemmy.example/inbox"
    );

    let mbin: Group = fixture("mbin/group.json");
    assert_eq!(mbin.name.as_deref(), Some("Cycling"));
    assert_eq!(mbin.id.path(), "/m/cycling");

    let nodebb: Group = fixture("nodebb/group.json");
    assert_eq!(nodebb.preferred_username, "general");
    assert!(
        nodebb.endpoints.is_none(),
        "NodeBB puts sharedInbox at the top level"
    );
    assert_eq!(nodebb.public_key.owner, nodebb.id);
}

#[test]
fn people_with_and_without_names_parse() {
    let lemmy: Person = fixture("lemmy/person.json");
    assert_eq!(lemmy.name.as_deref(), Some("Rosa Gardener"));
    assert_eq!(lemmy.source.unwrap().content, "I grow *tomatoes*.");

    let mastodon: Person = fixture("mastodon/person.json");
    assert_eq!(mastodon.preferred_username, "sam");
    assert_eq!(
        mastodon.name.as_deref(),
        Some(""),
        "an empty name reads as no name when stored"
    );

    let nodebb: Person = fixture("nodebb/person.json");
    assert_eq!(nodebb.name, None, "a Person without name");
    assert_eq!(nodebb.summary, None);

    let friendica: Person = fixture("friendica/person.json");
    assert_eq!(
        friendica.inbox.as_str(),
        "https://friendica.example/inbox/kai"
    );
}

#[test]
fn posts_in_every_dialect_parse_with_their_links_and_addressing() {
    let lemmy: Page = fixture("lemmy/page.json");
    assert_eq!(lemmy.kind, "Page");
    assert_eq!(lemmy.name.as_deref(), Some("First tomatoes of the year"));
    assert!(matches!(
        lemmy.attachment.as_ref().and_then(OneOrMany::first),
        Some(Attachment::Link { href, .. }) if href.as_str() == "https://photos.example/tomatoes.jpg"
    ));
    assert_eq!(lemmy.language.unwrap().identifier, "en");
    assert!(
        lemmy.to.iter().any(|u| u.as_str() == PUBLIC),
        "full-IRI addressing"
    );

    let mbin: Page = fixture("mbin/page.json");
    assert!(
        mbin.to.iter().any(|u| u.as_str() == PUBLIC),
        "`as:Public` reads as the public IRI"
    );
    assert_eq!(mbin.url.unwrap(), "https://bikes.example/oil");

    let nodebb: Page = fixture("nodebb/page.json");
    assert_eq!(nodebb.kind, "Article");
    assert!(
        matches!(
            nodebb.attachment.as_ref().and_then(OneOrMany::first),
            Some(Attachment::Image { url, name }) if url.path() == "/assets/welcome.jpg" && name.as_deref() == Some("A wave")
        ),
        "a Page with an Image attachment"
    );

    let friendica: Page = fixture("friendica/page.json");
    assert!(
        friendica.to.iter().any(|u| u.as_str() == PUBLIC),
        "`Public` reads as the public IRI"
    );
    assert_eq!(friendica.source.unwrap().media_type, "text/bbcode");
}

#[test]
fn comments_from_lemmy_mastodon_and_friendica_parse() {
    let lemmy: Note = fixture("lemmy/note.json");
    assert_eq!(lemmy.in_reply_to.as_str(), "https://lemmy.example/post/42");
    assert_eq!(
        lemmy.audience.unwrap().as_str(),
        "https://lemmy.example/c/gardening"
    );

    let mastodon: Note = fixture("mastodon/note.json");
    assert!(mastodon.source.is_none(), "Mastodon sends HTML only");
    assert_eq!(mastodon.cc.len(), 2);

    let friendica: Note = fixture("friendica/note.json");
    assert_eq!(
        friendica.to.len(),
        1,
        "a single `to` string reads as a list"
    );
    assert_eq!(friendica.in_reply_to.path(), "/comment/7");
}
