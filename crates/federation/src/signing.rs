//! Signing outgoing requests: draft-cavage HTTP signatures over `(request-target) host date
//! digest`, RSA PKCS#1 v1.5 with SHA-256, computed with aws-lc-rs (the `rsa` crate stays for key
//! generation and PEM). Each private key is parsed once and cached by its PEM, so a rotated key
//! is simply a new entry; signing runs on the blocking pool so tokio workers never stall.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use url::Url;

/// The headers of one signed POST.
#[derive(Debug, Clone)]
pub struct SignedHeaders {
    /// `Host`.
    pub host: String,
    /// `Date`, in HTTP format.
    pub date: String,
    /// `Digest: SHA-256=…` of the body.
    pub digest: String,
    /// `Signature`.
    pub signature: String,
}

/// Parsed private keys, by PEM text. Keys are few (one per local actor that sends) and small.
#[derive(Default, Clone)]
pub struct Signer {
    keys: Arc<Mutex<HashMap<Arc<str>, Arc<RsaKeyPair>>>>,
}

impl Signer {
    /// Signs a POST of `body` to `inbox` as the actor `actor_id` (key id `<actor>#main-key`).
    pub async fn sign_post(
        &self,
        private_key_pem: &str,
        actor_id: &str,
        inbox: &Url,
        body: &[u8],
    ) -> anyhow::Result<SignedHeaders> {
        let key = self.key(private_key_pem).await?;
        let host =
            crate::urls::authority(inbox).ok_or_else(|| anyhow::anyhow!("{inbox} has no host"))?;
        let date = chrono::Utc::now()
            .format("%a, %d %b %Y %H:%M:%S GMT")
            .to_string();
        let digest = format!("SHA-256={}", BASE64.encode(Sha256::digest(body)));
        let target = match inbox.query() {
            Some(query) => format!("{}?{query}", inbox.path()),
            None => inbox.path().to_owned(),
        };
        let signing_string = format!(
            "(request-target): post {target}\nhost: {host}\ndate: {date}\ndigest: {digest}"
        );
        let signature = tokio::task::spawn_blocking(move || {
            let mut signature = vec![0; key.public_modulus_len()];
            key.sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                signing_string.as_bytes(),
                &mut signature,
            )
            .map_err(|_| anyhow::anyhow!("signing failed"))?;
            Ok::<_, anyhow::Error>(BASE64.encode(signature))
        })
        .await??;
        Ok(SignedHeaders {
            signature: format!(
                r#"keyId="{actor_id}#main-key",algorithm="rsa-sha256",headers="(request-target) host date digest",signature="{signature}""#
            ),
            host,
            date,
            digest,
        })
    }

    /// The parsed key for a PEM, parsing it (on the blocking pool) the first time.
    async fn key(&self, pem: &str) -> anyhow::Result<Arc<RsaKeyPair>> {
        if let Some(key) = self.cached(pem) {
            return Ok(key);
        }
        let owned = pem.to_owned();
        let key = tokio::task::spawn_blocking(move || parse_private_key(&owned)).await??;
        let key = Arc::new(key);
        if let Ok(mut keys) = self.keys.lock() {
            keys.insert(Arc::from(pem), key.clone());
        }
        Ok(key)
    }

    fn cached(&self, pem: &str) -> Option<Arc<RsaKeyPair>> {
        self.keys.lock().ok()?.get(pem).cloned()
    }
}

/// Parses a PKCS#8 PEM private key (as `generate_actor_keypair` writes it) for aws-lc-rs.
pub fn parse_private_key(pem: &str) -> anyhow::Result<RsaKeyPair> {
    let key = rsa::RsaPrivateKey::from_pkcs8_pem(pem)?;
    let der = key.to_pkcs8_der()?;
    RsaKeyPair::from_pkcs8(der.as_bytes()).map_err(|e| anyhow::anyhow!("unusable RSA key: {e}"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use rsa::Pkcs1v15Sign;
    use rsa::pkcs8::DecodePublicKey;

    /// PKCS#1 v1.5 is deterministic: what aws-lc-rs signs, the `rsa` crate (the library's
    /// verifier) accepts.
    #[tokio::test]
    async fn aws_lc_signatures_verify_with_the_rsa_crate() {
        let keys = activitypub_federation::http_signatures::generate_actor_keypair().unwrap();
        let signer = Signer::default();
        let inbox = Url::parse("http://localhost:8536/inbox?x=1").unwrap();
        let headers = signer
            .sign_post(
                &keys.private_key,
                "http://localhost:8001/u/alice",
                &inbox,
                b"{}",
            )
            .await
            .unwrap();
        assert_eq!(headers.host, "localhost:8536");
        assert!(headers.signature.starts_with(
            r#"keyId="http://localhost:8001/u/alice#main-key",algorithm="rsa-sha256""#
        ));
        let encoded = headers
            .signature
            .rsplit("signature=\"")
            .next()
            .unwrap()
            .trim_end_matches('"');
        let signature = BASE64.decode(encoded).unwrap();
        let public = rsa::RsaPublicKey::from_public_key_pem(&keys.public_key).unwrap();
        let message = format!(
            "(request-target): post /inbox?x=1\nhost: localhost:8536\ndate: {}\ndigest: {}",
            headers.date, headers.digest
        );
        public
            .verify(
                Pkcs1v15Sign::new::<Sha256>(),
                &Sha256::digest(message.as_bytes()),
                &signature,
            )
            .expect("the rsa crate accepts the aws-lc signature");
        // The key is parsed once.
        assert_eq!(signer.keys.lock().unwrap().len(), 1);
    }
}
