//! Events and polls for servers that read only `Page`s (Lemmy and its family, see
//! `hearth_db::instance::PAGE_ONLY`): they drop an `Event` or a `Question`, so their members
//! get the post as a `Page` whose body first says when and where the event is, or lists the
//! poll's options with a link to vote on the web. The rewriting works on the activity's JSON,
//! so it serves our own posts and the ones our communities relay alike.

use crate::protocol::Source;
use chrono::{DateTime, Utc};
use serde_json::Value;

/// The fields of `Event` and `Question` that a `Page` does not have.
const EXTRA_FIELDS: [&str; 15] = [
    "startTime",
    "endTime",
    "timezone",
    "location",
    "joinMode",
    "maximumAttendeeCapacity",
    "remainingAttendeeCapacity",
    "participantCount",
    "anonymousParticipationEnabled",
    "isOnline",
    "ical:status",
    "oneOf",
    "anyOf",
    "closed",
    "votersCount",
];

/// The activity as page-only servers should get it: a `Create` or `Update` of an `Event` or
/// `Question` with its object rewritten as a `Page`; `None` for anything else (sent as it is).
pub(super) fn for_page_only(activity: &Value) -> Option<Value> {
    if !matches!(activity["type"].as_str(), Some("Create" | "Update")) {
        return None;
    }
    let object = activity.get("object").filter(|o| o.is_object())?;
    let preface = match object["type"].as_str()? {
        "Event" => event_text(object)?,
        "Question" => poll_text(object),
        _ => return None,
    };
    let mut page = object.clone();
    let fields = page.as_object_mut()?;
    for field in EXTRA_FIELDS {
        fields.remove(field);
    }
    fields.insert("type".to_owned(), Value::from("Page"));
    let content = fields
        .get("content")
        .and_then(Value::as_str)
        .unwrap_or_default();
    fields.insert(
        "content".to_owned(),
        Value::from(format!("{}{content}", preface.html)),
    );
    let source = fields
        .get("source")
        .and_then(|s| s.get("content"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    fields.insert(
        "source".to_owned(),
        serde_json::to_value(Source::markdown(&format!("{}{source}", preface.markdown))).ok()?,
    );
    let mut rewritten = activity.clone();
    rewritten["object"] = page;
    Some(rewritten)
}

/// What goes before the body, in both of its forms.
struct Preface {
    html: String,
    markdown: String,
}

impl Preface {
    /// A preface of labelled lines (`label`, plain text, a link or not).
    fn of(lines: &[(&str, String, Option<String>)]) -> Self {
        let mut html = String::from("<p>");
        let mut markdown = String::new();
        for (i, (label, text, link)) in lines.iter().enumerate() {
            if i > 0 {
                html.push_str("<br>");
            }
            let shown = match link {
                Some(href) => format!(
                    "<a href=\"{}\">{}</a>",
                    escape_html(href),
                    escape_html(text)
                ),
                None => escape_html(text),
            };
            html.push_str(&format!("<strong>{label}</strong> {shown}"));
            let shown = match link {
                Some(href) => format!("[{}](<{href}>)", escape_markdown(text)),
                None => escape_markdown(text),
            };
            markdown.push_str(&format!("**{label}** {shown}  \n"));
        }
        html.push_str("</p>");
        markdown.push('\n');
        Self { html, markdown }
    }
}

/// "When / Where / Online" of an event; `None` when it has no start we can read.
fn event_text(object: &Value) -> Option<Preface> {
    let start = time_of(&object["startTime"])?;
    let end = time_of(&object["endTime"]).filter(|end| *end >= start);
    let zone = object["timezone"]
        .as_str()
        .filter(|z| hearth_service::events::time_zone(z).is_ok());
    let mut when = match zone.filter(|z| *z != "UTC") {
        Some(zone) => format!(
            "{} ({zone}) · {} UTC",
            span(
                hearth_service::events::in_zone(start, zone).naive_local(),
                end.map(|e| hearth_service::events::in_zone(e, zone).naive_local())
            ),
            span(start.naive_utc(), end.map(|e| e.naive_utc()))
        ),
        None => format!(
            "{} UTC",
            span(start.naive_utc(), end.map(|e| e.naive_utc()))
        ),
    };
    if object["ical:status"].as_str() == Some("CANCELLED") {
        when.push_str(" — cancelled");
    }
    let mut lines = vec![("When:", when, None)];
    let place = &object["location"];
    let address = match &place["address"] {
        Value::String(line) => Some(line.clone()),
        Value::Object(parts) => parts
            .get("streetAddress")
            .and_then(Value::as_str)
            .map(str::to_owned),
        _ => None,
    };
    let where_ = [place["name"].as_str().map(str::to_owned), address]
        .into_iter()
        .flatten()
        .filter(|s| !s.trim().is_empty())
        .collect::<Vec<_>>()
        .join(", ");
    if !where_.is_empty() {
        lines.push(("Where:", where_.chars().take(1_000).collect(), None));
    }
    let online = object["attachment"].as_array().and_then(|items| {
        items.iter().find_map(|a| {
            (a["type"] == "Link" && a["name"] == crate::objects::event::ONLINE_LINK_NAME)
                .then(|| a["href"].as_str())
                .flatten()
                .filter(|h| h.starts_with("https://") || h.starts_with("http://"))
        })
    });
    if let Some(href) = online {
        lines.push(("Online:", href.to_owned(), Some(href.to_owned())));
    }
    Some(Preface::of(&lines))
}

/// A poll's options as a list, and where to vote.
fn poll_text(object: &Value) -> Preface {
    let (options, how) = match object["anyOf"].as_array() {
        Some(any) => (any.clone(), "choose any"),
        None => (
            object["oneOf"].as_array().cloned().unwrap_or_default(),
            "choose one",
        ),
    };
    let names: Vec<String> = options
        .iter()
        .filter_map(|o| o["name"].as_str())
        .take(50)
        .map(|n| n.chars().take(300).collect())
        .collect();
    let page = object["url"]
        .as_str()
        .or_else(|| object["id"].as_str())
        .unwrap_or_default()
        .to_owned();
    let mut html = format!("<p><strong>Poll</strong> ({how}):</p><ul>");
    let mut markdown = format!("**Poll** ({how}):\n\n");
    for name in &names {
        html.push_str(&format!("<li>{}</li>", escape_html(name)));
        markdown.push_str(&format!("- {}\n", escape_markdown(name)));
    }
    html.push_str("</ul>");
    markdown.push('\n');
    if let Some(end) = time_of(&object["endTime"]) {
        let closes = format!("{} UTC", end.format("%a %-d %b %Y, %H:%M"));
        html.push_str(&format!("<p>Closes {closes}.</p>"));
        markdown.push_str(&format!("Closes {closes}.\n\n"));
    }
    html.push_str(&format!(
        "<p>Vote on the web: <a href=\"{0}\">{0}</a></p>",
        escape_html(&page)
    ));
    markdown.push_str(&format!("Vote on the web: <{page}>\n\n"));
    Preface { html, markdown }
}

fn time_of(value: &Value) -> Option<DateTime<Utc>> {
    value.as_str()?.parse().ok()
}

/// "Thu 24 Dec 2026, 19:00–21:30", or with both dates when it ends on another day.
fn span(start: chrono::NaiveDateTime, end: Option<chrono::NaiveDateTime>) -> String {
    let from = start.format("%a %-d %b %Y, %H:%M").to_string();
    match end {
        Some(end) if end == start => from,
        Some(end) if end.date() == start.date() => format!("{from}–{}", end.format("%H:%M")),
        Some(end) => format!("{from} – {}", end.format("%a %-d %b %Y, %H:%M")),
        None => from,
    }
}

/// Text as HTML, safe in element text and in a double-quoted attribute alike.
fn escape_html(text: &str) -> String {
    html_escape::encode_double_quoted_attribute(text).into_owned()
}

fn escape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(
            c,
            '\\' | '*' | '_' | '[' | ']' | '<' | '>' | '`' | '#' | '!'
        ) {
            out.push('\\');
        }
        out.push(if c.is_control() { ' ' } else { c });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::for_page_only;
    use serde_json::json;

    #[test]
    fn an_event_becomes_a_page_that_says_when_and_where() {
        let create = json!({"type": "Create", "id": "https://a/activities/create/1",
            "object": {"type": "Event", "id": "https://a/post/1", "name": "Meet-up",
                "content": "<p>Come</p>", "source": {"content": "Come", "mediaType": "text/markdown"},
                "startTime": "2026-12-24T18:00:00Z", "endTime": "2026-12-24T20:30:00Z",
                "timezone": "Europe/Berlin", "joinMode": "free",
                "location": {"type": "Place", "name": "Hall <b>",
                             "address": {"type": "PostalAddress", "streetAddress": "Main street 1"}}}});
        let page = for_page_only(&create).expect("rewritten");
        let object = &page["object"];
        assert_eq!(object["type"], "Page");
        assert!(object.get("startTime").is_none() && object.get("joinMode").is_none());
        let content = object["content"].as_str().expect("content");
        assert!(
            content.starts_with(
                "<p><strong>When:</strong> Thu 24 Dec 2026, 19:00–21:30 (Europe/Berlin) · \
                 Thu 24 Dec 2026, 18:00–20:30 UTC<br><strong>Where:</strong> Hall &lt;b&gt;, \
                 Main street 1</p>"
            ),
            "{content}"
        );
        assert!(content.ends_with("<p>Come</p>"));
        assert!(
            object["source"]["content"]
                .as_str()
                .is_some_and(|s| s.starts_with("**When:**") && s.ends_with("Come"))
        );
        assert_eq!(page["id"], create["id"]);
    }

    #[test]
    fn a_question_lists_its_options_and_where_to_vote() {
        let create = json!({"type": "Update", "id": "https://a/activities/update/1",
            "object": {"type": "Question", "id": "https://a/post/2", "name": "Lunch?",
                "content": "", "oneOf": [{"type": "Note", "name": "Soup"}, {"type": "Note", "name": "Pie"}],
                "endTime": "2026-12-24T18:00:00Z"}});
        let page = for_page_only(&create).expect("rewritten");
        let content = page["object"]["content"].as_str().expect("content");
        assert!(content.contains("<li>Soup</li><li>Pie</li>"), "{content}");
        assert!(content.contains("Vote on the web: <a href=\"https://a/post/2\">"));
        assert!(page["object"].get("oneOf").is_none());
    }

    #[test]
    fn other_activities_are_left_alone() {
        let page = json!({"type": "Create", "object": {"type": "Page", "id": "https://a/post/3"}});
        assert_eq!(for_page_only(&page), None);
        let like = json!({"type": "Like", "object": "https://a/post/1"});
        assert_eq!(for_page_only(&like), None);
    }
}
