//! Site bans: a server bans one of its own people instance-wide (`Block` with that server's
//! instance actor as `target`, and its `Undo`): we refuse their activities too. Another
//! server's ban of someone who is not its own concerns only it; an `Undo` never lifts a ban our
//! own admins made (`site_ban_source`). We send our admins' bans the same way.

use crate::activities::moderation::ban::{BanTerms, Block};
use crate::activities::{Addressing, Context, Received, Undo};
use crate::ingest;
use crate::protocol::PUBLIC;
use crate::received::{InboxError, Via};
use crate::urls::{Urls, authority};
use hearth_core::Settings;
use serde::{Deserialize, Serialize};
use url::Url;

/// A `Block` whose target is an instance: a site ban.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub(crate) struct SiteBan(pub(crate) Block);

impl SiteBan {
    /// Our admin's ban of `person` from this instance.
    pub(crate) fn new(
        settings: &Settings,
        admin: &Url,
        person: &str,
        terms: &BanTerms,
    ) -> anyhow::Result<Self> {
        let instance = Urls(settings).instance()?;
        let addressing = Addressing {
            to: vec![PUBLIC.to_owned()],
            ..Addressing::default()
        };
        Ok(Self(Block::new(
            settings, admin, person, &instance, addressing, terms,
        )?))
    }

    /// The person banned, when the ban is their own server's about them, sent by that server.
    async fn check(&self, cx: &Context<'_>) -> Result<Option<(i64, BanTerms, String)>, InboxError> {
        let block = &self.0;
        let home = authority(&block.actor);
        let is_instance = block
            .target
            .as_ref()
            .is_some_and(|t| t.path() == "/" && authority(t) == home);
        if !matches!(cx.via, Via::Direct) || !is_instance || authority(&block.object) != home {
            return Ok(None);
        }
        let member = ingest::person(&block.object, cx.data).await?;
        Ok(Some((
            member.row.id,
            block.terms(),
            home.unwrap_or_default(),
        )))
    }
}

async fn apply(
    (person_id, terms, source): (i64, BanTerms, String),
    banned: bool,
    cx: &Context<'_>,
) -> Result<(), InboxError> {
    let Some(mut tx) = cx.receipt.begin(cx.data).await? else {
        return Ok(());
    };
    hearth_db::person::set_site_ban(
        &mut *tx,
        person_id,
        banned,
        Some(&terms.reason),
        terms.expires_at,
        &source,
    )
    .await?;
    if banned && terms.remove_data {
        hearth_db::person::remove_all_content(&mut tx, person_id).await?;
    }
    tx.commit().await?;
    Ok(())
}

#[async_trait::async_trait]
impl Received for SiteBan {
    type Checked = (i64, BanTerms, String);

    async fn verify(&self, cx: &Context<'_>) -> Result<Option<Self::Checked>, InboxError> {
        self.check(cx).await
    }

    async fn receive(self, checked: Self::Checked, cx: &Context<'_>) -> Result<(), InboxError> {
        apply(checked, true, cx).await
    }
}

#[async_trait::async_trait]
impl Received for Undo<SiteBan> {
    type Checked = (i64, BanTerms, String);

    async fn verify(&self, cx: &Context<'_>) -> Result<Option<Self::Checked>, InboxError> {
        self.object.check(cx).await
    }

    async fn receive(self, checked: Self::Checked, cx: &Context<'_>) -> Result<(), InboxError> {
        apply(checked, false, cx).await
    }
}
