//! Periodic housekeeping the server runs in the background.

use crate::ServiceContext;
use hearth_core::Result;

/// One round of housekeeping: drops rate-limit windows that ended long ago.
pub async fn run(ctx: &ServiceContext) -> Result<()> {
    let pruned = hearth_db::rate_limit::prune(&ctx.pool).await?;
    if pruned > 0 {
        tracing::debug!(pruned, "old rate-limit windows removed");
    }
    Ok(())
}
