//! RSA-2048 key pairs for actors (people, communities, the instance), made on the blocking pool
//! because generation takes tens of milliseconds of CPU.

use crate::ServiceContext;
use hearth_core::Result;
use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};

/// A freshly made key pair in PEM: (public SPKI, private PKCS#8).
pub async fn generate() -> Result<(String, String)> {
    let pair = tokio::task::spawn_blocking(|| -> anyhow::Result<(String, String)> {
        let private = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048)?;
        let public = rsa::RsaPublicKey::from(&private);
        Ok((
            public.to_public_key_pem(LineEnding::LF)?,
            private.to_pkcs8_pem(LineEnding::LF)?.to_string(),
        ))
    })
    .await??;
    Ok(pair)
}

/// Gives a key pair to every local actor that lacks one (rows made before keys existed, and
/// the instance actor on first start).
pub async fn backfill(ctx: &ServiceContext) -> Result<()> {
    if hearth_db::site::keys(&ctx.pool).await?.is_none() {
        let (public, private) = generate().await?;
        hearth_db::site::set_keys(&ctx.pool, &public, &private).await?;
    }
    for id in hearth_db::person::local_without_keys(&ctx.pool).await? {
        let (public, private) = generate().await?;
        hearth_db::person::set_keys(&ctx.pool, id, &public, &private).await?;
    }
    for id in hearth_db::community::local_without_keys(&ctx.pool).await? {
        let (public, private) = generate().await?;
        hearth_db::community::set_keys(&ctx.pool, id, &public, &private).await?;
    }
    Ok(())
}
