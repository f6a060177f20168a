//! Applying verified activities. Sent to us directly, an activity about one of our communities
//! passes the community's rules, is stored, and is announced verbatim to the community's other
//! servers in the same transaction. Announced to us by a remote community, an activity is
//! applied when it concerns that community's own content (the community vouches for it, as in
//! FEP-1b12). Anything else is acknowledged and ignored.

use crate::inbox::{InboxError, IncomingActivity, id_of};
use crate::objects::actor::ApubActor;
use crate::objects::comment::ApubComment;
use crate::objects::content_text;
use crate::objects::person::ApubPerson;
use crate::objects::post::{ApubPost, link_of, title_of};
use crate::protocol::objects::{Note, Page, author_of};
use crate::urls::authority;
use activitypub_federation::config::Data;
use activitypub_federation::fetch::fetch_object_http;
use activitypub_federation::fetch::object_id::ObjectId;
use activitypub_federation::traits::Object;
use chrono::Utc;
use hearth_core::{Error, ErrorKind};
use hearth_db::comment::NewComment;
use hearth_db::community::CommunityRow;
use hearth_db::post::NewPost;
use hearth_service::ServiceContext;
use hearth_service::auth::Viewer;
use hearth_service::outbox::Event;
use serde_json::{Value, json};
use url::Url;

/// How an activity reached us.
#[derive(Debug, Clone)]
pub(crate) enum Via {
    /// Sent to us by its actor: it counts only for our own communities.
    Direct,
    /// Announced by this remote community: it counts only for that community's content.
    Announced(Box<CommunityRow>),
}

pub(crate) type Applied = Result<(), InboxError>;
pub(crate) type Tx = sqlx::Transaction<'static, sqlx::Postgres>;

/// The ids of the activities being applied (an Announce and the activity it carries). They are
/// recorded in the transaction that applies them, so an activity is applied exactly once: a
/// concurrent duplicate finds them recorded, and a crash before commit records nothing.
#[derive(Debug, Clone)]
pub(crate) struct Receipt(Vec<String>);

impl Receipt {
    /// Begins the transaction of the change, recording the ids; `None` when one of them was
    /// recorded meanwhile (a duplicate being applied concurrently).
    pub(crate) async fn begin(
        &self,
        data: &Data<ServiceContext>,
    ) -> Result<Option<Tx>, InboxError> {
        let mut tx = data.pool.begin().await?;
        for id in &self.0 {
            if !hearth_db::federation::mark_received(&mut *tx, id).await? {
                return Ok(None);
            }
        }
        Ok(Some(tx))
    }

    fn with(&self, id: &Url) -> Self {
        let mut ids = self.0.clone();
        ids.push(id.to_string());
        Self(ids)
    }
}

/// Applies a verified activity.
pub async fn apply(activity: IncomingActivity, data: &Data<ServiceContext>) -> Applied {
    let raw = &activity.raw;
    let actor = &activity.actor;
    let receipt = Receipt(vec![activity.id.to_string()]);
    match activity.kind.as_str() {
        "Follow" => follow(raw, actor, &receipt, data).await,
        "Accept" | "Reject" => answer(raw, actor, activity.kind == "Accept", &receipt, data).await,
        "Announce" => announce(raw, actor, &receipt, data).await,
        kind => apply_as(kind, raw, actor, Via::Direct, &receipt, data).await,
    }
}

/// The activities a community relays: content, votes, and their undoing.
async fn apply_as(
    kind: &str,
    raw: &Value,
    actor: &Url,
    via: Via,
    receipt: &Receipt,
    data: &Data<ServiceContext>,
) -> Applied {
    match kind {
        "Update" if raw.get("object").and_then(|o| o.get("type")) == Some(&json!("Group")) => {
            crate::moderate::update_group(raw, actor, via, receipt, data).await
        }
        "Create" | "Update" => write(raw, actor, via, receipt, data).await,
        "Delete" => delete(raw, actor, via, receipt, data).await,
        "Lock" => crate::moderate::lock(raw, raw, actor, true, via, receipt, data).await,
        "Add" | "Remove" => {
            crate::moderate::add_or_remove(raw, actor, kind == "Add", via, receipt, data).await
        }
        "Block" => crate::moderate::block(raw, raw, actor, true, via, receipt, data).await,
        "Flag" => crate::reports::flag(raw, actor, via, receipt, data).await,
        "Resolve" => crate::reports::resolve(raw, actor, via, receipt, data).await,
        "Like" => vote(raw, actor, 1, via, receipt, data).await,
        "Dislike" => vote(raw, actor, -1, via, receipt, data).await,
        "Undo" => undo(raw, actor, via, receipt, data).await,
        other => {
            tracing::debug!(kind = other, "activity type not handled; ignored");
            Ok(())
        }
    }
}

pub(crate) fn refused(code: &'static str, message: &str) -> InboxError {
    InboxError::Refused(Error::forbidden(code, message.to_owned()))
}

pub(crate) fn unreadable(message: impl Into<String>) -> InboxError {
    InboxError::Refused(Error::bad_request("malformed_activity", message))
}

fn same_authority(a: &Url, b: &Url) -> bool {
    authority(a).is_some() && authority(a) == authority(b)
}

/// The object of an activity, embedded or fetched by id.
async fn object_json(raw: &Value, data: &Data<ServiceContext>) -> Result<Value, InboxError> {
    match raw.get("object") {
        Some(Value::Object(_)) => Ok(raw["object"].clone()),
        Some(Value::String(id)) => {
            let url = Url::parse(id).map_err(|_| unreadable("The object id is not a URL."))?;
            let fetched = fetch_object_http::<ServiceContext, Value>(&url, data)
                .await
                .map_err(|e| InboxError::Other(anyhow::anyhow!("fetching {url}: {e}")))?;
            Ok(fetched.object)
        }
        _ => Err(unreadable("The activity has no object.")),
    }
}

pub(crate) async fn person(
    actor: &Url,
    data: &Data<ServiceContext>,
) -> Result<ApubPerson, InboxError> {
    Ok(ObjectId::<ApubPerson>::from(actor.clone())
        .dereference(data)
        .await?)
}

fn viewer_for(person: &ApubPerson) -> Viewer {
    Viewer {
        person_id: person.row.id,
        name: person.row.name.clone(),
        admin: false,
        token_id: 0,
    }
}

/// Where content of `community` may be applied, given how it reached us: `Ok(true)` apply and
/// announce, `Ok(false)` apply only, `None` not ours to apply.
pub(crate) fn scope(community: &CommunityRow, via: &Via) -> Result<Option<bool>, InboxError> {
    match via {
        Via::Direct if community.local => Ok(Some(true)),
        Via::Direct => Ok(None),
        Via::Announced(announcer) if announcer.id == community.id => Ok(Some(false)),
        Via::Announced(_) => Err(refused(
            "not_community_content",
            "A community may only announce its own content.",
        )),
    }
}

/// Create or Update of a post or comment.
async fn write(
    raw: &Value,
    actor: &Url,
    via: Via,
    receipt: &Receipt,
    data: &Data<ServiceContext>,
) -> Applied {
    let object = object_json(raw, data).await?;
    if !crate::protocol::is_addressed_publicly(&object)
        && !crate::protocol::is_addressed_publicly(raw)
    {
        // Direct messages and followers-only notes are not community content.
        return Ok(());
    }
    let object_id = id_of(Some(&object)).ok_or_else(|| unreadable("The object has no id."))?;
    if !same_authority(&object_id, actor) {
        return Err(refused(
            "origin_mismatch",
            "The object lives on another server than the activity's actor.",
        ));
    }
    // Read as the object is parsed: PeerTube's `attributedTo` is a list (account, channel).
    if object.get("attributedTo").and_then(author_of).as_ref() != Some(actor) {
        return Err(refused(
            "not_author",
            "Only the author may create or change this object.",
        ));
    }
    if hearth_db::federation::is_tombstoned(&data.pool, object_id.as_str()).await? {
        // Deleted before it arrived: it stays deleted.
        return Ok(());
    }
    if object.get("inReplyTo").is_some_and(|v| !v.is_null()) {
        let note: Note = serde_json::from_value(object)
            .map_err(|e| unreadable(format!("The comment cannot be read: {e}")))?;
        ApubComment::verify(&note, &object_id, data).await?;
        write_comment(raw, note, via, receipt, data).await
    } else {
        let page: Page = serde_json::from_value(object)
            .map_err(|e| unreadable(format!("The post cannot be read: {e}")))?;
        ApubPost::verify(&page, &object_id, data).await?;
        write_post(raw, page, via, receipt, data).await
    }
}

async fn write_post(
    raw: &Value,
    page: Page,
    via: Via,
    receipt: &Receipt,
    data: &Data<ServiceContext>,
) -> Applied {
    let Some(community) = addressed_community(&page, &via, data).await? else {
        return Ok(());
    };
    let Some(announce) = scope(&community, &via)? else {
        return Ok(());
    };
    let author = person(&page.attributed_to, data).await?;
    if let Some(existing) = hearth_db::post::id_by_ap_id(&data.pool, page.id.as_str()).await? {
        let row = hearth_db::post::find(&data.pool, existing, None)
            .await?
            .ok_or_else(|| InboxError::Other(anyhow::anyhow!("post {existing} vanished")))?;
        if row.local || row.author_ap_id != page.attributed_to.as_str() {
            return Err(refused(
                "not_author",
                "Only the author may change this post.",
            ));
        }
        if row.deleted || row.removed || is_stale(page.updated, row.edited_at) {
            return Ok(());
        }
    }
    if announce {
        hearth_service::content::may_write(data, &viewer_for(&author), &community, true)
            .await
            .map_err(InboxError::Refused)?;
    }
    let (mut body, mut body_html) = content_text(
        page.content.as_deref(),
        page.media_type.as_deref(),
        page.source.as_ref(),
    );
    let title = title_of(&page, &body_html);
    if page.name.as_deref().is_none_or(|n| n.trim().is_empty()) {
        // A note that mentions the group (Mastodon): the first line was the title.
        body = crate::objects::post::untitled_parts(&body_html).1;
        body_html = hearth_service::markdown::render(&body);
    }
    let url = link_of(&page);
    let language = page.language.as_ref().map(|l| l.identifier.clone());
    let Some(mut tx) = receipt.begin(data).await? else {
        return Ok(());
    };
    hearth_db::post::upsert_remote(
        &mut tx,
        &NewPost {
            ap_id: Some(page.id.as_str()),
            local: false,
            community_id: community.id,
            author_id: author.row.id,
            title: &title,
            url: url.as_ref().map(Url::as_str),
            body: &body,
            body_html: &body_html,
            nsfw: page.sensitive.unwrap_or(false),
            language: language.as_deref(),
        },
        page.published.map_or_else(Utc::now, |p| p.min(Utc::now())),
        page.updated,
    )
    .await?;
    if announce {
        crate::outbox::announce(
            &mut tx,
            &data.settings,
            raw.clone(),
            &community,
            authority(&page.attributed_to).as_deref(),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// An edit older than the copy we hold changes nothing.
fn is_stale(incoming: Option<chrono::DateTime<Utc>>, held: Option<chrono::DateTime<Utc>>) -> bool {
    matches!((incoming, held), (Some(incoming), Some(held)) if incoming < held)
        || (incoming.is_none() && held.is_some())
}

/// The community a post is addressed to: the announcer when it is among the addressees, else
/// one of our communities among them.
async fn addressed_community(
    page: &Page,
    via: &Via,
    data: &Data<ServiceContext>,
) -> Result<Option<CommunityRow>, InboxError> {
    // A Mastodon note names the group in `cc` or only in a `Mention` tag.
    let mentioned: Vec<Url> = page
        .tag
        .clone()
        .map(crate::protocol::OneOrMany::into_vec)
        .unwrap_or_default()
        .into_iter()
        .filter(|t| t.kind == "Mention")
        .filter_map(|t| t.href)
        .collect();
    let addressees: Vec<&Url> = page
        .audience
        .iter()
        .chain(page.to.iter())
        .chain(page.cc.iter())
        .chain(mentioned.iter())
        .collect();
    if let Via::Announced(announcer) = via {
        return if addressees.iter().any(|u| u.as_str() == announcer.ap_id) {
            Ok(Some(announcer.as_ref().clone()))
        } else {
            Err(refused(
                "not_community_content",
                "A community may only announce posts addressed to it.",
            ))
        };
    }
    for candidate in addressees {
        if let Some(row) =
            hearth_db::community::find_by_ap_id(&data.pool, candidate.as_str()).await?
            && row.local
        {
            return Ok(Some(row));
        }
    }
    Ok(None)
}

async fn write_comment(
    raw: &Value,
    note: Note,
    via: Via,
    receipt: &Receipt,
    data: &Data<ServiceContext>,
) -> Applied {
    let Some((post_id, parent_id)) = parent_of(&note, &via, data).await? else {
        return Ok(());
    };
    let post = hearth_db::post::find(&data.pool, post_id, None)
        .await?
        .ok_or_else(|| InboxError::Other(anyhow::anyhow!("post {post_id} vanished")))?;
    let community = hearth_db::community::find(&data.pool, post.community_id)
        .await?
        .ok_or_else(|| InboxError::Other(anyhow::anyhow!("community vanished")))?;
    let Some(announce) = scope(&community, &via)? else {
        return Ok(());
    };
    let author = person(&note.attributed_to, data).await?;
    let existing = hearth_db::comment::id_by_ap_id(&data.pool, note.id.as_str()).await?;
    if let Some(existing) = existing {
        let row = hearth_db::comment::find(&data.pool, existing, None)
            .await?
            .ok_or_else(|| InboxError::Other(anyhow::anyhow!("comment {existing} vanished")))?;
        if row.local || row.author_ap_id != note.attributed_to.as_str() {
            return Err(refused(
                "not_author",
                "Only the author may change this comment.",
            ));
        }
        if row.deleted || row.removed || is_stale(note.updated, row.edited_at) {
            return Ok(());
        }
    }
    if announce {
        if existing.is_none() && (post.deleted || post.removed) {
            return Err(refused(
                "deleted",
                "This post has been deleted; it takes no new comments.",
            ));
        }
        let moderates =
            hearth_db::moderator::is_moderator(&data.pool, community.id, author.row.id).await?;
        if existing.is_none() && post.locked && !moderates {
            return Err(refused(
                "locked",
                "This post is locked; it takes no new comments.",
            ));
        }
        hearth_service::content::may_write(data, &viewer_for(&author), &community, false)
            .await
            .map_err(InboxError::Refused)?;
    }
    let (body, body_html) = content_text(
        note.content.as_deref(),
        note.media_type.as_deref(),
        note.source.as_ref(),
    );
    let language = note.language.as_ref().map(|l| l.identifier.clone());
    let Some(mut tx) = receipt.begin(data).await? else {
        return Ok(());
    };
    match existing {
        Some(id) => {
            hearth_db::comment::refresh_remote(&mut *tx, id, &body, &body_html, note.updated)
                .await?;
        }
        None => {
            hearth_db::comment::insert(
                &mut tx,
                &NewComment {
                    ap_id: Some(note.id.as_str()),
                    local: false,
                    post_id,
                    parent_id,
                    author_id: author.row.id,
                    body: &body,
                    body_html: &body_html,
                    language: language.as_deref(),
                    published: note.published.map(|p| p.min(Utc::now())),
                },
                "",
            )
            .await?
            .ok_or_else(|| unreadable("The comment answers a comment of another post."))?;
        }
    }
    if announce {
        crate::outbox::announce(
            &mut tx,
            &data.settings,
            raw.clone(),
            &community,
            authority(&note.attributed_to).as_deref(),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The post a comment belongs to and the comment it answers, fetching a parent we do not hold
/// (deliveries arrive out of order) when it lives in a remote community.
async fn parent_of(
    note: &Note,
    via: &Via,
    data: &Data<ServiceContext>,
) -> Result<Option<(i64, Option<i64>)>, InboxError> {
    let parent = note.in_reply_to.as_str();
    if let Some(held) = held_parent(parent, data).await? {
        return Ok(Some(held));
    }
    if hearth_db::federation::is_tombstoned(&data.pool, parent).await? {
        // The parent was deleted before it reached us: it never will, and neither do replies.
        return Ok(None);
    }
    if matches!(via, Via::Direct) {
        // Our own community: the parent is usually still on its way, but it may never come
        // (Mastodon addresses a reply only to its parent's author, so a reply to such a reply
        // arrives without the middle of its thread). The parent is fetched from its own server
        // and applied as if its author had sent it here, parents first; the fetch budget of
        // this request bounds the climb. When that fails, the sender retries later.
        if let Err(e) = thread_in_parent(&note.in_reply_to, data).await {
            tracing::debug!(parent = %note.in_reply_to, error = ?e, "cannot fetch a missing parent");
            return Err(InboxError::Refused(Error::new(ErrorKind::Unavailable(
                "The comment's parent has not arrived here yet; retry later.".to_owned(),
            ))));
        }
        // `None`: applied, yet not kept (its own parent was deleted, say), nor is this reply.
        return held_parent(parent, data).await;
    }
    let url = note.in_reply_to.clone();
    match ObjectId::<ApubPost>::from(url.clone())
        .dereference(data)
        .await
    {
        Ok(post) => Ok(Some((post.row.id, None))),
        Err(_) => {
            let comment = ObjectId::<ApubComment>::from(url).dereference(data).await?;
            Ok(Some((comment.row.post_id, Some(comment.row.id))))
        }
    }
}

/// The post and comment a reply answers, when we hold the comment or post `parent`.
async fn held_parent(
    parent: &str,
    data: &Data<ServiceContext>,
) -> Result<Option<(i64, Option<i64>)>, InboxError> {
    if let Some(comment) = hearth_db::comment::id_by_ap_id(&data.pool, parent).await? {
        let facts = hearth_db::comment::facts(&data.pool, comment)
            .await?
            .ok_or_else(|| InboxError::Other(anyhow::anyhow!("comment {comment} vanished")))?;
        return Ok(Some((facts.post_id, Some(comment))));
    }
    Ok(hearth_db::post::id_by_ap_id(&data.pool, parent)
        .await?
        .map(|post| (post, None)))
}

/// Fetches a comment we miss in one of our own communities from its author's server and applies
/// it as a `Create` from its author (so it is announced to the members like any comment); its
/// own missing parents are fetched the same way first (through `write_comment`).
async fn thread_in_parent(url: &Url, data: &Data<ServiceContext>) -> Applied {
    let fetched = fetch_object_http::<ServiceContext, Value>(url, data)
        .await
        .map_err(|e| InboxError::Other(anyhow::anyhow!("{e}")))?
        .object;
    let note: Note = serde_json::from_value(fetched.clone())
        .map_err(|_| unreadable("The parent is not a comment."))?;
    if !crate::protocol::is_addressed_publicly(&fetched) {
        // A private reply is not ours to show in a public thread.
        return Err(refused("not_public", "The parent is not public."));
    }
    // What we store must come from where it lives, written by someone of that server.
    if &note.id != url || authority(&note.id) != authority(&note.attributed_to) {
        return Err(refused(
            "origin_mismatch",
            "The parent's id, address and author do not share an origin.",
        ));
    }
    let create = json!({
        "id": format!("{}#create", note.id),
        "type": "Create",
        "actor": note.attributed_to.as_str(),
        "to": fetched.get("to").cloned().unwrap_or(Value::Null),
        "cc": fetched.get("cc").cloned().unwrap_or(Value::Null),
        "object": fetched,
    });
    Box::pin(write_comment(
        &create,
        note,
        Via::Direct,
        &Receipt(Vec::new()),
        data,
    ))
    .await
}

/// What a Delete, Like or Undo is about: a post or a comment we hold.
pub(crate) enum Target {
    Post(hearth_db::post::PostRow),
    Comment(
        Box<hearth_db::comment::CommentRow>,
        hearth_db::post::PostRow,
    ),
}

impl Target {
    pub(crate) async fn find(
        ap_id: &str,
        ctx: &ServiceContext,
    ) -> Result<Option<Self>, InboxError> {
        if let Some(id) = hearth_db::post::id_by_ap_id(&ctx.pool, ap_id).await?
            && let Some(post) = hearth_db::post::find(&ctx.pool, id, None).await?
        {
            return Ok(Some(Self::Post(post)));
        }
        if let Some(id) = hearth_db::comment::id_by_ap_id(&ctx.pool, ap_id).await?
            && let Some(comment) = hearth_db::comment::find(&ctx.pool, id, None).await?
            && let Some(post) = hearth_db::post::find(&ctx.pool, comment.post_id, None).await?
        {
            return Ok(Some(Self::Comment(Box::new(comment), post)));
        }
        Ok(None)
    }

    pub(crate) fn post(&self) -> &hearth_db::post::PostRow {
        match self {
            Self::Post(p) | Self::Comment(_, p) => p,
        }
    }

    fn author(&self) -> &str {
        match self {
            Self::Post(p) => &p.author_ap_id,
            Self::Comment(c, _) => &c.author_ap_id,
        }
    }

    fn gone(&self) -> bool {
        match self {
            Self::Post(p) => p.deleted || p.removed,
            Self::Comment(c, p) => c.deleted || c.removed || p.deleted || p.removed,
        }
    }

    pub(crate) async fn community(&self, ctx: &ServiceContext) -> Result<CommunityRow, InboxError> {
        hearth_db::community::find(&ctx.pool, self.post().community_id)
            .await?
            .ok_or_else(|| InboxError::Other(anyhow::anyhow!("community vanished")))
    }
}

async fn delete(
    raw: &Value,
    actor: &Url,
    via: Via,
    receipt: &Receipt,
    data: &Data<ServiceContext>,
) -> Applied {
    let object = id_of(raw.get("object")).ok_or_else(|| unreadable("The Delete has no object."))?;
    let Some(target) = Target::find(object.as_str(), data).await? else {
        // Deleted before it reached us: a late Create must not bring it back. Only the
        // object's own server, signing itself, may say so (inside an Announce the inner actor
        // is only as good as the announcer's word).
        if matches!(via, Via::Direct)
            && same_authority(&object, actor)
            && let Some(mut tx) = receipt.begin(data).await?
        {
            hearth_db::federation::add_tombstone(&mut *tx, object.as_str()).await?;
            tx.commit().await?;
        }
        return Ok(());
    };
    let community = target.community(data).await?;
    // The author deletes; a Delete with a `summary` (a reason, maybe empty), or by anyone else,
    // is a moderator's removal.
    let by_author = target.author() == actor.as_str() && raw.get("summary").is_none();
    if !by_author {
        return crate::moderate::remove(
            raw, raw, actor, &target, &community, true, via, receipt, data,
        )
        .await;
    }
    let Some(announce) = scope(&community, &via)? else {
        return Ok(());
    };
    let Some(mut tx) = receipt.begin(data).await? else {
        return Ok(());
    };
    let changed = match &target {
        Target::Post(post) => hearth_db::post::mark_deleted(&mut *tx, post.id).await?,
        Target::Comment(comment, _) => {
            hearth_db::comment::mark_deleted(&mut *tx, comment.id).await?
        }
    };
    hearth_db::federation::add_tombstone(&mut *tx, object.as_str()).await?;
    // A repeated Delete changes nothing and is not announced again.
    if announce && changed {
        crate::outbox::announce(
            &mut tx,
            &data.settings,
            raw.clone(),
            &community,
            authority(actor).as_deref(),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The author takes a deletion back (`Undo{Delete}` without a `summary`).
async fn undelete(
    raw: &Value,
    actor: &Url,
    target: &Target,
    community: &CommunityRow,
    via: Via,
    receipt: &Receipt,
    data: &Data<ServiceContext>,
) -> Applied {
    let Some(announce) = scope(community, &via)? else {
        return Ok(());
    };
    let Some(mut tx) = receipt.begin(data).await? else {
        return Ok(());
    };
    let (changed, ap_id) = match target {
        Target::Post(post) => (
            hearth_db::post::mark_undeleted(&mut *tx, post.id).await?,
            post.ap_id.clone(),
        ),
        Target::Comment(comment, _) => (
            hearth_db::comment::mark_undeleted(&mut *tx, comment.id).await?,
            comment.ap_id.clone(),
        ),
    };
    hearth_db::federation::remove_tombstone(&mut *tx, &ap_id).await?;
    if announce && changed {
        crate::outbox::announce(
            &mut tx,
            &data.settings,
            raw.clone(),
            community,
            authority(actor).as_deref(),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// A vote (`Like` 1, `Dislike` -1) or, from an Undo, taking one back (0). `raw` is what a
/// community announces: the vote, or the Undo.
async fn vote(
    raw: &Value,
    actor: &Url,
    score: i16,
    via: Via,
    receipt: &Receipt,
    data: &Data<ServiceContext>,
) -> Applied {
    let object = id_of(raw.get("object")).ok_or_else(|| unreadable("The vote has no object."))?;
    apply_vote(raw, actor, &object, score, None, via, receipt, data).await
}

/// Applies a vote, or its undoing (`score` 0, with the undone vote's id as `undone`).
#[allow(clippy::too_many_arguments)]
async fn apply_vote(
    raw: &Value,
    actor: &Url,
    object: &Url,
    score: i16,
    undone: Option<&Url>,
    via: Via,
    receipt: &Receipt,
    data: &Data<ServiceContext>,
) -> Applied {
    let target = match Target::find(object.as_str(), data).await? {
        Some(target) => target,
        None if matches!(via, Via::Direct) => return Ok(()),
        None => {
            // Announced votes may overtake the content they are about.
            if ObjectId::<ApubPost>::from(object.clone())
                .dereference(data)
                .await
                .is_err()
            {
                ObjectId::<ApubComment>::from(object.clone())
                    .dereference(data)
                    .await?;
            }
            Target::find(object.as_str(), data)
                .await?
                .ok_or_else(|| InboxError::Other(anyhow::anyhow!("{object} vanished")))?
        }
    };
    let community = target.community(data).await?;
    let Some(announce) = scope(&community, &via)? else {
        return Ok(());
    };
    let voter = person(actor, data).await?;
    if announce && score != 0 {
        if target.gone() {
            return Err(refused("deleted", "This content has been deleted."));
        }
        hearth_service::content::may_write(data, &viewer_for(&voter), &community, false)
            .await
            .map_err(InboxError::Refused)?;
        if score < 0 && !hearth_db::site::get(&data.pool).await?.downvotes_enabled {
            return Err(refused(
                "downvotes_disabled",
                "This instance does not accept downvotes.",
            ));
        }
    }
    let Some(mut tx) = receipt.begin(data).await? else {
        return Ok(());
    };
    if let Some(undone) = undone.filter(|id| authority(id) == authority(actor)) {
        // Senders may send a vote and its undoing at once, and the Undo may arrive first. The
        // undone vote counts as received from now on, so if it comes late it is not applied.
        hearth_db::federation::mark_received(&mut *tx, undone.as_str()).await?;
    }
    match &target {
        Target::Post(post) => {
            hearth_db::post::vote(&mut tx, post.id, voter.row.id, score).await?;
        }
        Target::Comment(comment, _) => {
            hearth_db::comment::vote(&mut tx, comment.id, voter.row.id, score).await?;
        }
    }
    if announce {
        crate::outbox::announce(
            &mut tx,
            &data.settings,
            raw.clone(),
            &community,
            authority(actor).as_deref(),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

async fn undo(
    raw: &Value,
    actor: &Url,
    via: Via,
    receipt: &Receipt,
    data: &Data<ServiceContext>,
) -> Applied {
    let Some(inner) = raw.get("object").filter(|o| o.is_object()) else {
        // An Undo that only names the activity: we keep no ids of others' votes or follows.
        return Ok(());
    };
    if id_of(inner.get("actor")).as_ref() != Some(actor) {
        return Err(refused(
            "not_actor",
            "Only the actor of an activity may undo it.",
        ));
    }
    match inner.get("type").and_then(Value::as_str) {
        Some("Like" | "Dislike") => {
            let object =
                id_of(inner.get("object")).ok_or_else(|| unreadable("The vote has no object."))?;
            let undone = id_of(inner.get("id"));
            apply_vote(raw, actor, &object, 0, undone.as_ref(), via, receipt, data).await
        }
        Some("Follow") if matches!(via, Via::Direct) => unfollow(inner, actor, receipt, data).await,
        Some("Delete") => {
            let object = id_of(inner.get("object"))
                .ok_or_else(|| unreadable("The Delete has no object."))?;
            let Some(target) = Target::find(object.as_str(), data).await? else {
                return Ok(());
            };
            let community = target.community(data).await?;
            if target.author() == actor.as_str() && inner.get("summary").is_none() {
                return undelete(raw, actor, &target, &community, via, receipt, data).await;
            }
            crate::moderate::remove(
                raw, inner, actor, &target, &community, false, via, receipt, data,
            )
            .await
        }
        Some("Lock") => crate::moderate::lock(raw, inner, actor, false, via, receipt, data).await,
        Some("Block") => crate::moderate::block(raw, inner, actor, false, via, receipt, data).await,
        _ => Ok(()),
    }
}

/// A remote person joins one of our communities: a member (or a pending request in a
/// community that approves its members), answered with an Accept once admitted.
async fn follow(
    raw: &Value,
    actor: &Url,
    receipt: &Receipt,
    data: &Data<ServiceContext>,
) -> Applied {
    let object = id_of(raw.get("object")).ok_or_else(|| unreadable("The Follow has no object."))?;
    let Some(community) = hearth_db::community::find_by_ap_id(&data.pool, object.as_str())
        .await?
        .filter(|c| c.local)
    else {
        // Following people is not supported; nothing to do.
        return Ok(());
    };
    let follower = person(actor, data).await?;
    // Once per server: what it runs decides what it is sent.
    if let Err(e) = crate::nodeinfo::ensure_known(data, actor).await {
        tracing::warn!(error = ?e, "cannot record the follower's software");
    }
    let state = if community.visibility == "approval" {
        "pending"
    } else {
        "joined"
    };
    let Some(mut tx) = receipt.begin(data).await? else {
        return Ok(());
    };
    let inserted =
        hearth_db::membership::insert(&mut *tx, community.id, follower.row.id, state).await?;
    if inserted && state == "joined" {
        hearth_db::community::add_members(&mut *tx, community.id, 1).await?;
    }
    if let Some(id) = raw.get("id").and_then(Value::as_str) {
        hearth_db::membership::set_follow_ap_id(&mut *tx, community.id, follower.row.id, id)
            .await?;
    }
    let now = hearth_db::membership::state(&mut *tx, community.id, follower.row.id).await?;
    // A repeated Follow of a member is answered again: the first Accept may have been lost.
    if now.as_deref() == Some("joined") {
        let event = Event::Accepted {
            community_id: community.id,
            person_id: follower.row.id,
        };
        crate::outbox::record(&mut tx, &data.settings, event).await?;
    }
    tx.commit().await?;
    Ok(())
}

async fn unfollow(
    inner: &Value,
    actor: &Url,
    receipt: &Receipt,
    data: &Data<ServiceContext>,
) -> Applied {
    let object =
        id_of(inner.get("object")).ok_or_else(|| unreadable("The Follow has no object."))?;
    let Some(community) = hearth_db::community::find_by_ap_id(&data.pool, object.as_str())
        .await?
        .filter(|c| c.local)
    else {
        return Ok(());
    };
    let Some(follower) = hearth_db::person::actor_by_ap_id(&data.pool, actor.as_str()).await?
    else {
        return Ok(());
    };
    let Some(mut tx) = receipt.begin(data).await? else {
        return Ok(());
    };
    let was = hearth_db::membership::delete(&mut *tx, community.id, follower.id).await?;
    if was.as_deref() == Some("joined") {
        hearth_db::community::add_members(&mut *tx, community.id, -1).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// A remote community answers one of our people's Follows.
async fn answer(
    raw: &Value,
    actor: &Url,
    accepted: bool,
    receipt: &Receipt,
    data: &Data<ServiceContext>,
) -> Applied {
    let Some(community) = hearth_db::community::find_by_ap_id(&data.pool, actor.as_str())
        .await?
        .filter(|c| !c.local)
    else {
        return Ok(());
    };
    // The Follow answered: embedded (as Lemmy and Hearth send it) or named by the id we gave it.
    let follower = match raw.get("object") {
        Some(inner @ Value::Object(_)) => id_of(inner.get("actor")),
        Some(Value::String(id)) => hearth_db::federation::activity_by_ap_id(&data.pool, id)
            .await?
            .and_then(|(actor, _)| Url::parse(&actor).ok()),
        _ => None,
    };
    let Some(follower) = follower else {
        return Err(unreadable(
            "The answer does not name the Follow it answers.",
        ));
    };
    let Some(person) = hearth_db::person::actor_by_ap_id(&data.pool, follower.as_str())
        .await?
        .filter(|p| p.local)
    else {
        return Ok(());
    };
    // An answer to an older Follow (one undone since) does not decide the current one.
    let answered = id_of(raw.get("object"));
    let current = hearth_db::membership::follow_ap_id(&data.pool, community.id, person.id).await?;
    if let (Some(answered), Some(current)) = (&answered, &current)
        && answered.as_str() != current
    {
        return Ok(());
    }
    let Some(mut tx) = receipt.begin(data).await? else {
        return Ok(());
    };
    let mut backfill = false;
    if accepted {
        if hearth_db::membership::approve(&mut *tx, community.id, person.id).await? {
            hearth_db::community::add_members(&mut *tx, community.id, 1).await?;
            // The first of us to join: fetch what the community already has.
            backfill =
                hearth_db::membership::local_joined_count(&mut *tx, community.id).await? == 1;
        }
    } else if hearth_db::membership::delete(&mut *tx, community.id, person.id)
        .await?
        .as_deref()
        == Some("joined")
    {
        hearth_db::community::add_members(&mut *tx, community.id, -1).await?;
    }
    tx.commit().await?;
    if backfill {
        let data = data.reset_request_count();
        let ap_id = community.ap_id.clone();
        tokio::spawn(async move {
            if let Err(e) = crate::backfill::community(&data, &ap_id).await {
                tracing::warn!(community = %ap_id, error = ?e, "backfill failed");
            }
        });
    }
    Ok(())
}

/// A remote community relays an activity (embedded, or by id and fetched).
async fn announce(
    raw: &Value,
    actor: &Url,
    receipt: &Receipt,
    data: &Data<ServiceContext>,
) -> Applied {
    let announcer = ObjectId::<ApubActor>::from(actor.clone())
        .dereference(data)
        .await?;
    let ApubActor::Community(community) = announcer else {
        // A person's boost (Mastodon): nothing to apply.
        return Ok(());
    };
    // Only communities someone here joined (or asked to) are listened to: anyone can make a
    // Group, and this keeps strangers' Groups from filling our database.
    let listened_to = hearth_db::membership::has_local_members(&data.pool, community.row.id)
        .await?
        || hearth_db::moderator::has_local_moderators(&data.pool, community.row.id).await?;
    if community.row.local || !listened_to {
        return Ok(());
    }
    let mut inner = object_json(raw, data).await?;
    // Lemmy and NodeBB also announce the bare post (`Announce{Page}`): read it as its author's
    // Create. Arriving also as `Announce{Create{Page}}`, it is still stored once (by its id).
    let bare_object = inner.get("actor").is_none()
        && inner.get("attributedTo").is_some()
        && matches!(
            inner.get("type").and_then(Value::as_str),
            Some("Page" | "Article" | "Note" | "Video" | "Event" | "Question")
        );
    if bare_object {
        inner = json!({
            "id": inner["id"],
            "type": "Create",
            "actor": inner.get("attributedTo").and_then(author_of).map(|u| u.to_string()),
            "to": inner.get("to").cloned().unwrap_or(Value::Null),
            "cc": inner.get("cc").cloned().unwrap_or(Value::Null),
            "object": inner,
        });
    }
    let (Some(inner_id), Some(inner_actor), Some(kind)) = (
        id_of(inner.get("id")),
        id_of(inner.get("actor")),
        inner.get("type").and_then(Value::as_str),
    ) else {
        // A bare object rather than an activity: handled with the other servers' dialects.
        return Ok(());
    };
    if !same_authority(&inner_id, &inner_actor) {
        return Err(refused(
            "origin_mismatch",
            "The announced activity's id and actor live on different servers.",
        ));
    }
    if authority(&inner_actor).as_deref() == Some(data.settings.hostname.as_str()) {
        // Our own activity, relayed back: we hold it already.
        return Ok(());
    }
    // Blocks and site bans hold for relayed activities too.
    let inner_authority = authority(&inner_actor).unwrap_or_default();
    if !hearth_service::policy::allows(data, &inner_authority).await?
        || hearth_db::person::is_site_banned(&data.pool, inner_actor.as_str()).await?
    {
        return Ok(());
    }
    if hearth_db::federation::was_received(&data.pool, inner_id.as_str()).await? {
        return Ok(());
    }
    apply_as(
        kind,
        &inner,
        &inner_actor,
        Via::Announced(Box::new(community.row.clone())),
        &receipt.with(&inner_id),
        data,
    )
    .await
}
