//! Collections: outboxes, followers, moderators, featured posts.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

/// An `OrderedCollection` (outbox, moderators, featured).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderedCollection {
    /// `OrderedCollection`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The collection's id.
    pub id: Url,
    /// How many items it has.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_items: Option<i64>,
    /// The items, newest first.
    #[serde(default)]
    pub ordered_items: Vec<Value>,
}

/// A `Collection` with only a count (followers).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CountedCollection {
    /// `Collection`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The collection's id.
    pub id: Url,
    /// How many items it has.
    pub total_items: i64,
    /// Empty: members are not listed.
    #[serde(default)]
    pub items: Vec<Value>,
}
