//! Rate limits: fixed windows counted in PostgreSQL, so every Hearth process on one database
//! shares them. A request over the limit gets 429 with the seconds until the window ends.

use crate::ServiceContext;
use hearth_core::settings::RateLimit;
use hearth_core::{Error, ErrorKind, Result};

/// What is being limited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Sign-ups, per IP address.
    Register,
    /// Login attempts, per IP address.
    Login,
    /// New posts, per account.
    Post,
    /// New comments, per account.
    Comment,
    /// Votes, per account.
    Vote,
    /// Picture uploads, per account.
    Upload,
    /// Lookups of other servers, per account.
    Resolve,
    /// Reports (`Flag`) received from other servers, per remote actor.
    RemoteFlag,
    /// Activities received, per remote server.
    RemoteActivity,
}

impl Action {
    fn name(self) -> &'static str {
        match self {
            Self::Register => "register",
            Self::Login => "login",
            Self::Post => "post",
            Self::Comment => "comment",
            Self::Vote => "vote",
            Self::Upload => "upload",
            Self::Resolve => "resolve",
            Self::RemoteFlag => "remote-flag",
            Self::RemoteActivity => "remote-activity",
        }
    }

    fn limit(self, ctx: &ServiceContext) -> RateLimit {
        let limits = &ctx.settings.rate_limits;
        match self {
            Self::Register => limits.register,
            Self::Login => limits.login,
            Self::Post => limits.post,
            Self::Comment => limits.comment,
            Self::Vote => limits.vote,
            Self::Upload => limits.upload,
            Self::Resolve => limits.resolve,
            Self::RemoteFlag => ctx.settings.federation.inbox.flags,
            Self::RemoteActivity => ctx.settings.federation.inbox.per_instance,
        }
    }
}

/// Counts one `action` by `subject` (an IP address, an account id, a remote actor or server) and refuses it with 429
/// when the window's allowance is used up.
pub async fn check(ctx: &ServiceContext, action: Action, subject: &str) -> Result<()> {
    let limit = action.limit(ctx);
    let key = format!("{}:{subject}", action.name());
    let window = i32::try_from(limit.window_secs).unwrap_or(i32::MAX);
    let hit = hearth_db::rate_limit::hit(&ctx.pool, &key, window).await?;
    if u32::try_from(hit.count).unwrap_or(u32::MAX) > limit.max {
        // Round up so a client that waits exactly this long is let through.
        let retry_after_secs = hit.seconds_left.ceil().max(1.0) as u64;
        return Err(Error::new(ErrorKind::RateLimited { retry_after_secs }));
    }
    Ok(())
}
