//! Resolving things that live on other servers (`!name@host`, `@name@host`, object URLs). The
//! service declares what it needs; the federation crate implements it and the server wires it
//! in, so that neither the API nor the web interface depends on federation.

use crate::ServiceContext;
use crate::auth::Viewer;
use hearth_core::{Error, Result};
use std::future::Future;
use std::pin::Pin;

/// What a query resolved to, stored locally.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolved {
    /// A community, by id.
    Community(i64),
    /// A person, by id.
    Person(i64),
    /// A post, by id.
    Post(i64),
    /// A comment, by id.
    Comment(i64),
}

/// The future a resolver returns.
pub type ResolveFuture<'a> = Pin<Box<dyn Future<Output = Result<Resolved>> + Send + 'a>>;

/// Finds (fetching when needed) a remote community, person, post or comment.
pub trait Resolver: Send + Sync {
    /// Resolves `!name@host`, `@name@host`, `name@host` or an object URL.
    fn resolve<'a>(&'a self, query: &'a str) -> ResolveFuture<'a>;
}

/// Resolves `query` for a signed-in viewer.
pub async fn resolve(ctx: &ServiceContext, viewer: &Viewer, query: &str) -> Result<Resolved> {
    let query = query.trim();
    if query.is_empty() || query.len() > 2000 {
        return Err(Error::validation("q", "must be 1 to 2000 characters long"));
    }
    crate::rate_limit::check(
        ctx,
        crate::rate_limit::Action::Resolve,
        &viewer.person_id.to_string(),
    )
    .await?;
    let Some(resolver) = ctx.resolver.as_ref() else {
        return Err(Error::forbidden(
            "federation_disabled",
            "This instance does not federate, so it cannot look up other servers.",
        ));
    };
    resolver.resolve(query).await
}
