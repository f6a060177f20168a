//! Deleting an account, as Lemmy does it: the person row stays (the name stays taken, and what
//! they wrote may stay with the author shown as "[deleted]"), the profile, sessions,
//! memberships and moderator seats go, and with `delete_content` their posts and comments are
//! deleted and blanked. The same retirement applies when another server tells us one of its
//! people deleted their account (`Delete{Person}`), so it lives here once.

use crate::auth::Viewer;
use crate::outbox::{self, Event};
use crate::rate_limit::{self, Action};
use crate::{ServiceContext, password};
use hearth_core::{Error, Result};
use hearth_db::moderation::{ModAction, NewModLogEntry};
use secrecy::SecretString;
use sqlx::PgConnection;

/// What the mod log says when a community passes to the admins.
pub const HANDOVER_REASON: &str =
    "The community's last moderator deleted their account; the site's admins moderate it now.";

/// A request to delete the signed-in account.
#[derive(Debug)]
pub struct AccountDeletion {
    /// The account's password, to confirm.
    pub password: SecretString,
    /// Delete the posts and comments too (else they stay, the author shown as deleted).
    pub delete_content: bool,
}

/// Deletes the signed-in account after checking its password (403 `wrong_password`). Every
/// token of the account ends at once; other servers that know the person hear it
/// (`Delete{Person}`).
#[tracing::instrument(skip_all, fields(person = viewer.person_id))]
pub async fn delete_account(
    ctx: &ServiceContext,
    viewer: &Viewer,
    deletion: AccountDeletion,
) -> Result<()> {
    // A stolen session must not become a way to guess the password at leisure.
    rate_limit::check(
        ctx,
        Action::Login,
        &format!("account-delete:{}", viewer.person_id),
    )
    .await?;
    let stored = hearth_db::preferences::password_hash(&ctx.pool, viewer.person_id)
        .await?
        .ok_or_else(|| Error::not_found("This account no longer exists."))?;
    if !password::verify(deletion.password, stored).await? {
        return Err(Error::forbidden(
            "wrong_password",
            "The password is not this account's password; the account was not deleted.",
        ));
    }
    if viewer.admin && hearth_db::person::active_admins(&ctx.pool).await?.len() <= 1 {
        return Err(Error::conflict(
            "last_admin",
            "The only administrator cannot delete their account; make someone else an admin first.",
        ));
    }
    let mut tx = ctx.pool.begin().await?;
    // Before the memberships go: they are how the outbox finds who must hear it.
    let event = Event::PersonDeleted {
        person_id: viewer.person_id,
        remove_data: deletion.delete_content,
    };
    outbox::record(ctx, &mut tx, event).await?;
    if !retire(ctx, &mut tx, viewer.person_id, deletion.delete_content).await? {
        return Err(Error::not_found("This account no longer exists."));
    }
    tx.commit().await?;
    tracing::info!(delete_content = deletion.delete_content, "account deleted");
    Ok(())
}

/// Retires a deleted person (local or remote) in `tx`: marks them deleted and clears their
/// profile, deletes their content when `delete_content`, hands the local communities they were
/// the last moderator of to the site's admins (logged as `add_moderator`), ends their
/// memberships and every token. False when they were already deleted (nothing changes).
pub async fn retire(
    ctx: &ServiceContext,
    tx: &mut PgConnection,
    person_id: i64,
    delete_content: bool,
) -> Result<bool> {
    if !hearth_db::person::mark_deleted(&mut *tx, person_id).await? {
        return Ok(false);
    }
    if delete_content {
        hearth_db::person::delete_all_content(&mut *tx, person_id).await?;
    }
    hand_over_communities(ctx, tx, person_id).await?;
    hearth_db::person::leave_all_communities(&mut *tx, person_id).await?;
    // The row stays (as "[deleted]"), so the cascade of saved and read marks does not run.
    hearth_db::saved::forget_person(&mut *tx, person_id).await?;
    // Token ids start at 1: keeping id 0 keeps none.
    hearth_db::preferences::revoke_other_tokens(&mut *tx, person_id, 0).await?;
    // Nothing signs in as a deleted account: its TOTP secret and recovery codes go.
    hearth_db::two_factor::delete(&mut *tx, person_id).await?;
    Ok(true)
}

/// Takes the person off every community's moderators; a community of ours left without one
/// passes to the site's admins, which the mod log records and the community's members on other
/// servers hear (`Add` to the moderators).
async fn hand_over_communities(
    ctx: &ServiceContext,
    tx: &mut PgConnection,
    person_id: i64,
) -> Result<()> {
    let moderated = hearth_db::person::moderated_communities(&mut *tx, person_id).await?;
    if moderated.is_empty() {
        return Ok(());
    }
    let admins: Vec<i64> = hearth_db::person::active_admins(&mut *tx)
        .await?
        .into_iter()
        .filter(|&admin| admin != person_id)
        .collect();
    for community in moderated {
        hearth_db::moderator::remove(&mut *tx, community.community_id, person_id).await?;
        if !community.local || community.others_remain {
            continue;
        }
        for &admin in &admins {
            if !hearth_db::moderator::add(&mut *tx, community.community_id, admin).await? {
                continue;
            }
            let entry = NewModLogEntry {
                moderator_id: Some(admin),
                target_person_id: Some(admin),
                reason: HANDOVER_REASON,
                ..NewModLogEntry::new(community.community_id, ModAction::AddModerator)
            };
            hearth_db::moderation::log(&mut *tx, &entry).await?;
            let event = Event::ModeratorChanged {
                community_id: community.community_id,
                person_id: admin,
                moderator_id: admin,
                added: true,
            };
            outbox::record(ctx, tx, event).await?;
        }
        tracing::info!(
            community = community.community_id,
            admins = admins.len(),
            "community handed to the admins"
        );
    }
    Ok(())
}
