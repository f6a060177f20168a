//! Wire types: the JSON other servers send and receive, shaped as Lemmy emits it (FEP-1b12) and
//! lenient in what it accepts (fields other servers leave out are optional; addressing may be
//! `Public`, `as:Public` or the full IRI). Nothing here touches the database.

pub mod actors;
pub mod collections;
pub mod objects;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use url::Url;

/// The `@context` Hearth sends, as Lemmy sends it, so peers read our extension fields.
pub fn context() -> Value {
    json!([
        "https://www.w3.org/ns/activitystreams",
        "https://w3id.org/security/v1",
        {
            "lemmy": "https://join-lemmy.org/ns#",
            "litepub": "http://litepub.social/ns#",
            "pt": "https://joinpeertube.org/ns#",
            "sc": "http://schema.org/",
            "ChatMessage": "litepub:ChatMessage",
            "commentsEnabled": "pt:commentsEnabled",
            "sensitive": "as:sensitive",
            "matrixUserId": "lemmy:matrixUserId",
            "postingRestrictedToMods": "lemmy:postingRestrictedToMods",
            "removeData": "lemmy:removeData",
            "stickied": "lemmy:stickied",
            "moderators": { "@type": "@id", "@id": "lemmy:moderators" },
            "featured": { "@type": "@id", "@id": "toot:featured" },
            "expires": "as:endTime",
            "distinguished": "lemmy:distinguished",
            "language": "sc:inLanguage",
            "identifier": "sc:identifier",
            "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
            "discoverable": "toot:discoverable",
            "toot": "http://joinmastodon.org/ns#",
            "votersCount": "toot:votersCount",
            "mz": "https://joinmobilizon.org/ns#",
            "ical": "http://www.w3.org/2002/12/cal/ical#",
            "joinMode": "mz:joinMode",
            "timezone": "mz:timezone",
            "isOnline": "mz:isOnline",
            "participantCount": "mz:participantCount",
            "anonymousParticipationEnabled": "mz:anonymousParticipationEnabled",
            "maximumAttendeeCapacity": "sc:maximumAttendeeCapacity",
            "remainingAttendeeCapacity": "sc:remainingAttendeeCapacity",
            "PostalAddress": "sc:PostalAddress",
            "address": "sc:address",
            "streetAddress": "sc:streetAddress"
        }
    ])
}

/// The public audience, as the full IRI.
pub const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

/// Markdown source next to HTML `content`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Source {
    /// The markdown.
    pub content: String,
    /// `text/markdown`.
    pub media_type: String,
}

impl Source {
    /// Markdown source.
    pub fn markdown(content: &str) -> Self {
        Self {
            content: content.to_owned(),
            media_type: "text/markdown".to_owned(),
        }
    }
}

/// An image reference (`icon`, `image`, attachments).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageRef {
    /// `Image`.
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    /// Where it is.
    pub url: Url,
    /// Alt text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl ImageRef {
    /// An `Image` at `url`, as we send `icon` and `image`.
    pub fn image(url: &str) -> Option<Self> {
        Some(Self {
            kind: Some("Image".to_owned()),
            url: Url::parse(url).ok()?,
            name: None,
        })
    }

    /// Reads the shapes servers send for an image: an object with `url` (a string, or a `Link`
    /// with `href`), a bare URL, or a list of those (PeerTube lists several sizes; the first
    /// readable one is taken). `None` for anything else.
    pub fn read(value: &Value) -> Option<Self> {
        match value {
            Value::String(url) => Some(Self {
                kind: None,
                url: Url::parse(url).ok()?,
                name: None,
            }),
            Value::Array(items) => items.iter().find_map(Self::read),
            Value::Object(map) => {
                let url = match map.get("url")? {
                    Value::String(url) => url.as_str(),
                    Value::Object(link) => link.get("href")?.as_str()?,
                    Value::Array(links) => links.iter().find_map(|l| match l {
                        Value::String(url) => Some(url.as_str()),
                        Value::Object(link) => link.get("href")?.as_str(),
                        _ => None,
                    })?,
                    _ => return None,
                };
                Some(Self {
                    kind: map.get("type").and_then(Value::as_str).map(str::to_owned),
                    url: Url::parse(url).ok()?,
                    name: map.get("name").and_then(Value::as_str).map(str::to_owned),
                })
            }
            _ => None,
        }
    }

    /// The URL when it is one we keep in an image slot: http(s), at most `MAX_IMAGE_URL`
    /// characters. A `javascript:` or `data:` URL, or an absurdly long one, is dropped.
    pub fn kept_url(&self) -> Option<&str> {
        kept_image_url(&self.url)
    }
}

/// The longest image URL kept from another server.
pub const MAX_IMAGE_URL: usize = 2_000;

/// An image URL from another server as we keep it: http(s) with a host, at most
/// `MAX_IMAGE_URL` characters; `None` for anything else.
pub fn kept_image_url(url: &Url) -> Option<&str> {
    (matches!(url.scheme(), "http" | "https")
        && url.host_str().is_some()
        && url.as_str().len() <= MAX_IMAGE_URL)
        .then_some(url.as_str())
}

/// Reads an optional image field (`icon`, `image`) leniently (see `ImageRef::read`): a shape we
/// cannot read is no image, never a reason to refuse the whole object.
pub fn lenient_image<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<ImageRef>, D::Error> {
    Ok(Option::<Value>::deserialize(d)?
        .as_ref()
        .and_then(ImageRef::read))
}

/// A language tag as Lemmy sends it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LanguageTag {
    /// BCP 47 code, e.g. `fr`.
    pub identifier: String,
    /// Human name.
    #[serde(default)]
    pub name: Option<String>,
}

/// One value or a list of them (servers differ; we read both).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany<T> {
    /// A single value.
    One(T),
    /// A list.
    Many(Vec<T>),
}

impl<T> OneOrMany<T> {
    /// The values as a list.
    pub fn into_vec(self) -> Vec<T> {
        match self {
            Self::One(v) => vec![v],
            Self::Many(v) => v,
        }
    }

    /// The first value.
    pub fn first(&self) -> Option<&T> {
        match self {
            Self::One(v) => Some(v),
            Self::Many(v) => v.first(),
        }
    }
}

/// True for any spelling of the public audience.
pub fn is_public(url: &str) -> bool {
    matches!(url, PUBLIC | "Public" | "as:Public")
}

/// True when a document is addressed to the public (`to` or `cc`, any spelling, one value or a
/// list).
pub fn is_addressed_publicly(document: &Value) -> bool {
    ["to", "cc"].iter().any(|field| match document.get(*field) {
        Some(Value::Array(items)) => items.iter().any(|v| v.as_str().is_some_and(is_public)),
        Some(Value::String(s)) => is_public(s),
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(value: Value) -> Option<String> {
        ImageRef::read(&value).map(|i| i.url.to_string())
    }

    #[test]
    fn images_read_in_every_shape_servers_send() {
        let url = "https://pics.example/a.png";
        // Lemmy and Mastodon: an Image object.
        assert_eq!(
            read(json!({"type": "Image", "mediaType": "image/png", "url": url})).as_deref(),
            Some(url)
        );
        // PeerTube: a list of sizes; the first readable one.
        assert_eq!(
            read(json!([{"type": "Image", "url": 7}, {"type": "Image", "url": url, "width": 48}]))
                .as_deref(),
            Some(url)
        );
        // A bare URL, and a `Link` as the url.
        assert_eq!(read(json!(url)).as_deref(), Some(url));
        assert_eq!(
            read(json!({"type": "Image", "url": {"type": "Link", "href": url}})).as_deref(),
            Some(url)
        );
        // Nothing readable is no image, not an error.
        assert_eq!(read(json!({"type": "Image"})), None);
        assert_eq!(read(json!(42)), None);
        let person: actors::Person = serde_json::from_value(json!({
            "type": "Person", "id": "https://pics.example/u/a", "preferredUsername": "a",
            "inbox": "https://pics.example/u/a/inbox",
            "publicKey": {"id": "https://pics.example/u/a#main-key",
                          "owner": "https://pics.example/u/a", "publicKeyPem": "x"},
            "icon": {"type": "Image", "url": ["not", "a", "url"]},
            "image": "https://pics.example/banner.jpg",
        }))
        .expect("a person with an unreadable icon still reads");
        assert_eq!(person.icon, None);
        assert_eq!(
            person.image.as_ref().and_then(ImageRef::kept_url),
            Some("https://pics.example/banner.jpg")
        );
    }

    #[test]
    fn only_http_pictures_of_sane_length_are_kept() {
        let kept = |url: &str| {
            Url::parse(url)
                .ok()
                .and_then(|u| kept_image_url(&u).map(str::to_owned))
        };
        assert!(kept("https://pics.example/a.png").is_some());
        assert!(kept("http://pics.example/a.png").is_some());
        assert_eq!(kept("javascript:alert(1)"), None);
        assert_eq!(kept("data:image/png;base64,iVBORw0KGgo="), None);
        assert_eq!(kept("ftp://pics.example/a.png"), None);
        assert_eq!(
            kept(&format!(
                "https://pics.example/{}",
                "a".repeat(MAX_IMAGE_URL)
            )),
            None
        );
    }
}
